// Workers: how the data path scales over worker threads, and what sharing the memory costs. A device
// with one queue per worker (256-entry rings, its fill-ring frames filled once with distinct UDP flows)
// replays its frames in place and polls them in NAPI bursts of 64, through XDP_DROP and the parser
// (xdp_parse; UDP to port 1900, which it parses whole and drops), on:
//   main   the main thread, unshared memory (the single-thread data path: the baseline)
//   1w     one worker thread over a shared memory (the shared build)
//   2w     two workers, each its own queue, at once
// Reported: Mpps per setup, shared/unshared on one thread (target ≥ 0.95, i.e. ≤ 5% slower) and
// 2w/1w (target ≥ 1.9 on 2 cores). The same loop (replay, poll) runs in every setup.
//
//   node dist/bench/workers.js [--quick] [--json]

import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Datapath } from '../src/control/datapath.js';
import { dataPathExports } from '../src/control/device.js';
import { PacketGenerator } from '../src/control/pktgen.js';
import { projectRoot } from './project_root.js';

const RING = 256;
const BURST = 64;

export interface WorkersRow {
  program: string;
  frameSize: number;
  /** Mpps on the main thread over an unshared memory. */
  mainMpps: number;
  /** Mpps of one worker over a shared memory. */
  oneWorkerMpps: number;
  /** Mpps of two workers together. */
  twoWorkersMpps: number;
  /** oneWorker / main: the cost of sharing (1.0 = none). */
  sharedOverUnshared: number;
  /** twoWorkers / oneWorker. */
  scaling: number;
}

interface Scenario {
  object: string;
  program: string;
}

const SCENARIOS: Scenario[] = [
  { object: 'programs/xdp_pass_drop.o', program: 'xdp_drop' },
  { object: 'programs/xdp_parse.o', program: 'xdp_parse' },
];

/** A Datapath with one queue per poller, its fill-ring frames holding distinct flows; returns the frame length. */
async function setup(s: Scenario, workers: number, size: number): Promise<{ dp: Datapath; len: number; dev: number }> {
  const queues = Math.max(1, workers);
  const dp = await Datapath.create({ umemFrames: RING * queues, ...(workers > 0 ? { workers } : {}) });
  const eth0 = dp.addDevice({ name: 'eth0', queues, ringSize: RING, rss: false });
  const obj = await dp.loadObject(join(projectRoot(), s.object));
  eth0.attachXdp(obj.program(s.program));
  const gen = new PacketGenerator(dp.fastPath, { template: { l3: 'ipv4', l4: 'udp', dstPort: 1900 }, size, flows: 1024, distribution: 'random', seed: 1 });
  let len = 0;
  for (let q = 0; q < queues; q++) {
    for (let i = 0; i < RING; i++) {
      const f = gen.next();
      len = f.length;
      eth0.inject(f, { queue: q });
      if (workers === 0) eth0.poll();
      else if (i % BURST === BURST - 1) dp.workers!.settle();
    }
  }
  if (workers > 0) dp.workers!.settle();
  return { dp, len, dev: eth0.address };
}

/** The main thread's loop: the same replay and poll the workers run (worker_thread.ts bench). */
function mainRate(dp: Datapath, dev: number, len: number, ms: number): number {
  const x = dataPathExports(dp.fastPath);
  const end = performance.now() + ms;
  let frames = 0;
  do {
    for (let i = 0; i < 64; i++) {
      x.dev_rx_replay(dev, 0, len, BURST);
      frames += x.napi_poll(dev, 0, BURST);
    }
  } while (performance.now() < end);
  return frames / (ms * 1000);
}

/** Best of `rounds` runs of `ms` each, after one warm-up run (V8 tiers the wasm up while it runs). */
function best(run: (ms: number) => number, ms: number, rounds: number): number {
  run(Math.min(ms, 300));
  let b = 0;
  for (let i = 0; i < rounds; i++) b = Math.max(b, run(ms));
  return b;
}

export async function runWorkersBench(opts: { quick?: boolean; log?: (s: string) => void; only?: string } = {}): Promise<WorkersRow[]> {
  const ms = opts.quick ? 300 : 1000;
  const rounds = opts.quick ? 2 : 3;
  const rows: WorkersRow[] = [];
  for (const s of SCENARIOS) {
    if (opts.only && !s.program.includes(opts.only)) continue;
    const size = 64;
    opts.log?.(`  ${s.program} ${size} B…\n`);
    const main = await setup(s, 0, size);
    const mainMpps = best((t) => mainRate(main.dp, main.dev, main.len, t), ms, rounds);
    await main.dp.close();
    const rate = async (n: number): Promise<number> => {
      const w = await setup(s, n, size);
      try {
        return best((t) => w.dp.workers!.bench(w.dev, w.len, t).reduce((a, b) => a + b, 0) / (t * 1000), ms, rounds);
      } finally {
        await w.dp.close();
      }
    };
    const one = await rate(1);
    const two = await rate(2);
    rows.push({
      program: s.program,
      frameSize: size,
      mainMpps,
      oneWorkerMpps: one,
      twoWorkersMpps: two,
      sharedOverUnshared: one / mainMpps,
      scaling: two / one,
    });
  }
  return rows;
}

export function formatWorkers(rows: readonly WorkersRow[]): string {
  const head = ['program', 'size', 'main Mpps', '1w Mpps', '2w Mpps', '1w/main', '2w/1w'];
  const body = rows.map((r) => [r.program, `${r.frameSize}`, r.mainMpps.toFixed(2), r.oneWorkerMpps.toFixed(2), r.twoWorkersMpps.toFixed(2), r.sharedOverUnshared.toFixed(3), r.scaling.toFixed(2)]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cols: string[]) => cols.map((c, i) => c.padStart(w[i]!)).join('  ');
  return [
    'workers: replay + NAPI poll of 64-byte UDP frames, one queue per thread (main: unshared memory; 1w/2w: worker threads, shared memory)',
    line(head),
    ...body.map(line),
    'targets: 1w/main ≥ 0.95 (sharing costs ≤ 5%), 2w/1w ≥ 1.9 (2 cores)',
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, json: { type: 'boolean' } } });
  const rows = await runWorkersBench({ quick: values.quick, log: (s) => process.stderr.write(s) });
  console.log(values.json ? JSON.stringify(rows, null, 2) : formatWorkers(rows));
}
