// Micro-benchmarks with the `benchmark` package: the costs the data path is built from, each beside a
// baseline measured in the same run.
// - ring ops: a reserve + submit + peek + release of one entry on an AF_XDP-style ring (wasm), against
//   an empty JS→wasm call;
// - program call: one run of a verified program through testRun from JS (`repeat: 1`), against the
//   same program's per-run cost inside wasm (`repeat: 1e5`);
// - map ops: BpfMap.lookup and update of a hash map from TS (the syscall side), against a JS Map.
//
//   wxdp bench micro [--quick] [--json]

import Benchmark from 'benchmark';
import { join } from 'node:path';
import { Datapath } from '../src/control/datapath.js';
import { createMap } from '../src/maps/index.js';
import { projectRoot } from './project_root.js';

export interface MicroRow {
  name: string;
  nsPerOp: number;
  baseline: string;
  baselineNsPerOp: number;
}

function ns(fn: () => void, quick: boolean): number {
  const b = new Benchmark(fn, { maxTime: quick ? 0.2 : 1, minSamples: 5, initCount: 1 });
  b.run();
  return 1e9 / b.hz;
}

export async function runMicroBench(opts: { quick?: boolean; log?: (s: string) => void } = {}): Promise<MicroRow[]> {
  const quick = opts.quick ?? false;
  const dp = await Datapath.create();
  const x = dp.fastPath.exports as Record<string, (...a: number[]) => number>;
  const rows: MicroRow[] = [];

  opts.log?.('  ring ops…\n');
  const ring = x['ring_create']!(256, 8)!;
  const empty = x['dp_pool_free']!;
  const ringOp = (): void => {
    x['ring_reserve']!(ring, 1);
    x['ring_submit']!(ring, 1);
    x['ring_peek']!(ring, 1);
    x['ring_release']!(ring, 1);
  };
  rows.push({ name: 'ring reserve+submit+peek+release (4 wasm calls)', nsPerOp: ns(ringOp, quick), baseline: '4 empty JS→wasm calls', baselineNsPerOp: ns(() => (empty(), empty(), empty(), empty()), quick) });

  opts.log?.('  program call…\n');
  const obj = await dp.loadObject(join(projectRoot(), 'programs/xdp_pass_drop.o'));
  const prog = obj.program('xdp_drop');
  const frame = new Uint8Array(60);
  frame[12] = 0x08;
  const inWasm = (): number => prog.testRun({ data: frame, repeat: 100_000 }).duration;
  for (let i = 0; i < 20; i++) inWasm();
  rows.push({ name: 'xdp_drop via testRun from JS (repeat 1)', nsPerOp: ns(() => void prog.testRun({ data: frame }), quick), baseline: 'per run inside wasm (repeat 1e5)', baselineNsPerOp: Math.min(inWasm(), inWasm(), inWasm()) });

  opts.log?.('  map ops…\n');
  const hash = createMap(dp.fastPath, { name: 'h', type: 1, keySize: 4, valueSize: 8, maxEntries: 4096 });
  const jsMap = new Map<number, Uint8Array>();
  const key = new Uint8Array(4);
  const value = new Uint8Array(8);
  for (let i = 0; i < 1024; i++) {
    key[0] = i & 0xff;
    key[1] = i >> 8;
    hash.update(key, value);
    jsMap.set(i, value);
  }
  let k = 0;
  rows.push({
    name: 'hash map lookup from TS (1024 entries)',
    nsPerOp: ns(() => {
      k = (k + 1) & 1023;
      key[0] = k & 0xff;
      key[1] = k >> 8;
      hash.lookup(key);
    }, quick),
    baseline: 'JS Map.get',
    baselineNsPerOp: ns(() => {
      k = (k + 1) & 1023;
      jsMap.get(k);
    }, quick),
  });
  rows.push({
    name: 'hash map update from TS (existing key)',
    nsPerOp: ns(() => {
      k = (k + 1) & 1023;
      key[0] = k & 0xff;
      key[1] = k >> 8;
      hash.update(key, value);
    }, quick),
    baseline: 'JS Map.set',
    baselineNsPerOp: ns(() => {
      k = (k + 1) & 1023;
      jsMap.set(k, value);
    }, quick),
  });
  return rows;
}

export function formatMicroTable(rows: readonly MicroRow[]): string {
  const head = ['operation', 'ns/op', 'baseline', 'baseline ns/op', 'ratio'];
  const body = rows.map((r) => [r.name, r.nsPerOp.toFixed(1), r.baseline, r.baselineNsPerOp.toFixed(1), `${(r.nsPerOp / r.baselineNsPerOp).toFixed(2)}×`]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => (i === 0 || i === 2 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join('  ');
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...body.map(line)].join('\n') + '\n';
}
