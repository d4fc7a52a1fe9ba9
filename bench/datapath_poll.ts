// A quick measurement of the NAPI poll loop (assembly/napi.ts) on one core: a device with one queue,
// frames replayed on its RX ring in place (dev_rx_replay, no copy), then polled in bursts of 64, for
// XDP_DROP (programs/xdp_pass_drop.o) and the parser (programs/xdp_parse.o). Also the same programs
// through JitProgram.repeat (a wasm loop calling `run` directly) as the floor of a per-packet call.
//
//   node dist/bench/datapath_poll.js [--seconds 2]

import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Datapath } from '../src/control/datapath.js';
import { dataPathExports } from '../src/control/device.js';
import type * as Suite from '../scripts/program-suite.mjs';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '2' } } });
const seconds = Number(values.seconds);
const root = new URL('../../', import.meta.url).pathname;
void readFileSync;

async function measure(object: string, program: string, frame: Uint8Array): Promise<void> {
  const dp = await Datapath.create({ umemFrames: 512 });
  const eth0 = dp.addDevice({ name: 'eth0', ringSize: 256 });
  const obj = await dp.loadObject(root + object);
  const prog = obj.program(program);
  eth0.attachXdp(prog);
  const x = dataPathExports(dp.fastPath);
  // Put the frame's bytes into every frame of the fill ring: inject it through a drop-everything pass.
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
  let pkts = 0;
  const t0 = process.hrtime.bigint();
  let t = t0;
  while (Number(t - t0) < seconds * 1e9) {
    for (let i = 0; i < 1000; i++) pkts += round();
    t = process.hrtime.bigint();
  }
  const ns = Number(t - t0);
  const verdicts = eth0.stats().verdicts;
  process.stdout.write(`${program.padEnd(12)} ${frame.length}B  poll: ${(pkts / ns * 1e3).toFixed(2)} Mpps  ${(ns / pkts).toFixed(2)} ns/pkt  verdicts ${JSON.stringify(verdicts)}\n`);
}

const suite = (await import(pathToFileURL(root + 'scripts/program-suite.mjs').href)) as typeof Suite;
const corpus = suite.loadCorpus(root) as Array<{ name: string; data: Uint8Array }>;
const udp = corpus.find((p) => p.name === 'ipv4-udp-min60')!.data;
await measure('programs/xdp_pass_drop.o', 'xdp_drop', udp);
await measure('programs/xdp_parse.o', 'xdp_parse', udp);
