// A quick measurement of the NAPI poll loop (assembly/napi.ts) on one core: a device with one queue,
// frames replayed on its RX ring in place (dev_rx_replay, no copy), then polled in bursts of 64, for
// XDP_DROP (programs/xdp_pass_drop.o) and the parser (programs/xdp_parse.o), with both ways of
// reaching the program: through the table per frame, and the JIT's per-program burst loop.
//
//   node dist/bench/datapath_poll.js [--seconds 5]   (per program and dispatch, split in 5 windows)

import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Datapath } from '../src/control/datapath.js';
import { dataPathExports } from '../src/control/device.js';
import type * as Suite from '../scripts/program-suite.mjs';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' } } });
const seconds = Number(values.seconds);
const root = new URL('../../', import.meta.url).pathname;
void readFileSync;

interface Setup {
  run(seconds: number): number; // ns per packet over one window
  verdicts(): string;
}

async function setup(object: string, program: string, frame: Uint8Array, dispatch: 'burst' | 'table'): Promise<Setup> {
  const dp = await Datapath.create({ umemFrames: 512, dispatch });
  const eth0 = dp.addDevice({ name: 'eth0', ringSize: 256 });
  const obj = await dp.loadObject(root + object);
  eth0.attachXdp(obj.program(program));
  const x = dataPathExports(dp.fastPath);
  // Put the frame's bytes into every frame of the fill ring by receiving it through each of them.
  for (let i = 0; i < 512; i++) {
    eth0.inject(frame);
    eth0.poll();
  }
  eth0.readTx();
  eth0.readHost();
  const dev = eth0.address;
  const burst = 64;
  const round = (): number => {
    x.dev_rx_replay(dev, 0, frame.length, burst);
    const n = x.napi_poll(dev, 0, burst);
    // Frames the program kept (PASS, TX) go back unread so the fill ring never runs dry.
    x.dev_host_done(dev, burst);
    x.dev_tx_done(dev, 0, burst);
    return n;
  };
  // warm-up: V8 tiers wasm up while it runs in short calls
  for (let i = 0; i < 20000; i++) round();
  return {
    run(secs: number): number {
      let pkts = 0;
      const t0 = process.hrtime.bigint();
      let t = t0;
      while (Number(t - t0) < secs * 1e9) {
        for (let i = 0; i < 1000; i++) pkts += round();
        t = process.hrtime.bigint();
      }
      return Number(t - t0) / pkts;
    },
    verdicts(): string {
      return Object.entries(eth0.stats().verdicts).filter(([, n]) => n > 0).map(([k]) => k).join(', ');
    },
  };
}

const suite = (await import(pathToFileURL(root + 'scripts/program-suite.mjs').href)) as typeof Suite;
const corpus = suite.loadCorpus(root) as Array<{ name: string; data: Uint8Array }>;
const frameName = 'ipv4-udp-min60';
const udp = corpus.find((p) => p.name === frameName)!.data;
const rounds = 5;
process.stdout.write(`NAPI poll, 1 queue, bursts of 64, ${frameName} (${udp.length} B); table: call_indirect to run per frame, burst: the JIT's xdp_burst once per burst; best of ${rounds} alternating windows of ${seconds / rounds} s\n`);
for (const [object, program] of [['programs/xdp_pass_drop.o', 'xdp_drop'], ['programs/xdp_parse.o', 'xdp_parse']] as const) {
  const table = await setup(object, program, udp, 'table');
  const burst = await setup(object, program, udp, 'burst');
  let bt = Infinity;
  let bb = Infinity;
  for (let r = 0; r < rounds; r++) {
    bt = Math.min(bt, table.run(seconds / rounds));
    bb = Math.min(bb, burst.run(seconds / rounds));
  }
  const row = (d: string, ns: number) => `${program.padEnd(10)} ${d.padEnd(5)} ${(1e3 / ns).toFixed(1).padStart(6)} Mpps ${ns.toFixed(2).padStart(6)} ns/pkt`;
  process.stdout.write(`${row('table', bt)}  (${table.verdicts()})\n${row('burst', bb)}  burst/table time ${(bb / bt).toFixed(2)}\n`);
}
