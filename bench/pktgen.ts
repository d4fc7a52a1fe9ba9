// Packet generator benchmark: how fast the fast path's pktgen refills frames (bursts of 64 into
// strided 2 KiB UMEM-like frames, one JS→wasm call per burst), per template, size and flow
// distribution. Baseline, measured in the same run: JavaScript copying the same frames into the same
// places (Uint8Array.set per frame, no field or checksum work) — the least a JS-per-packet refill costs.
// The two are sampled in turns (best of 5 rounds of the benchmark package's timing each).
//
//   node dist/bench/pktgen.js [--quick] [--json] [--only NAME]

import Benchmark from 'benchmark';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { PacketGenerator, type PacketGeneratorOptions } from '../src/control/pktgen.js';
import { FastPath } from '../src/runtime/fastpath.js';
import { EngineMemory } from '../src/runtime/memory.js';

const BURST = 64;
const STRIDE = 2048;

export interface PktgenRow {
  workload: string;
  template: string;
  size: string;
  distribution: string;
  flows: number;
  burst: number;
  /** Mean bytes per frame written (no FCS). */
  meanFrameBytes: number;
  nsPerFrame: number;
  mpps: number;
  /** Frame bytes written per second, in Gbit/s. */
  gbps: number;
  /** JS Uint8Array.set of the same frames, ns per frame. */
  jsCopyNsPerFrame: number;
  /** jsCopy / pktgen: how many times faster the generator is than the copy alone in JS. */
  speedupOverJsCopy: number;
}

interface Workload {
  name: string;
  opts: PacketGeneratorOptions;
}

const WORKLOADS: Workload[] = [
  { name: 'udp4 64B 1 flow', opts: { template: { l3: 'ipv4', l4: 'udp' }, size: 64, flows: 1, distribution: 'seq' } },
  { name: 'udp4 64B seq 64k', opts: { template: { l3: 'ipv4', l4: 'udp' }, size: 64, flows: 65536, distribution: 'seq' } },
  { name: 'udp4 64B random 64k', opts: { template: { l3: 'ipv4', l4: 'udp' }, size: 64, flows: 65536, distribution: 'random' } },
  { name: 'udp4 64B zipf 1k s=1.1', opts: { template: { l3: 'ipv4', l4: 'udp' }, size: 64, flows: 1024, distribution: 'zipf', zipfS: 1.1 } },
  { name: 'udp4 64B zipf 1M s=1.1', opts: { template: { l3: 'ipv4', l4: 'udp' }, size: 64, flows: 1 << 20, distribution: 'zipf', zipfS: 1.1 } },
  { name: 'tcp6 78B random 64k', opts: { template: { l3: 'ipv6', l4: 'tcp' }, size: 64, flows: 65536, distribution: 'random' } },
  { name: 'icmp4 64B seq 1k', opts: { template: { l3: 'ipv4', l4: 'icmp' }, size: 64, flows: 1024, distribution: 'seq' } },
  { name: 'udp4 128B random 64k', opts: { template: { l3: 'ipv4', l4: 'udp' }, size: 128, flows: 65536, distribution: 'random' } },
  { name: 'udp4 512B random 64k', opts: { template: { l3: 'ipv4', l4: 'udp' }, size: 512, flows: 65536, distribution: 'random' } },
  { name: 'udp4 1518B random 64k', opts: { template: { l3: 'ipv4', l4: 'udp' }, size: 1518, flows: 65536, distribution: 'random' } },
  { name: 'udp4 IMIX random 64k', opts: { template: { l3: 'ipv4', l4: 'udp' }, size: 'imix', flows: 65536, distribution: 'random' } },
];

/** Mean seconds per call of `fn` (the benchmark package: cycles until `maxTime`, outliers handled). */
function secondsPerCall(fn: () => void, maxTime: number): number {
  const b = new Benchmark(fn, { maxTime, minSamples: 5, initCount: 1 });
  b.run();
  if (b.error) throw b.error;
  return b.stats.mean;
}

export interface PktgenBenchOptions {
  quick?: boolean;
  /** Only the workloads whose name contains this. */
  only?: string;
  log?: (s: string) => void;
}

export async function runPktgenBench(opts: PktgenBenchOptions = {}): Promise<PktgenRow[]> {
  const maxTime = opts.quick ? 0.2 : 0.5;
  const rounds = opts.quick ? 2 : 5;
  const fp = await FastPath.load(new EngineMemory());
  const alloc = fp.fn<(size: number, align: number) => number>('arena_alloc');
  const base = alloc(BURST * STRIDE, 64) >>> 0;
  const lens = alloc(BURST * 4, 64) >>> 0;
  const rows: PktgenRow[] = [];
  for (const w of WORKLOADS.filter((x) => opts.only === undefined || x.name.includes(opts.only))) {
    opts.log?.(`  ${w.name}...\n`);
    const gen = new PacketGenerator(fp, { ...w.opts, seed: 1 });
    // The frames one burst writes, for the baseline to copy: the same lengths in the same order.
    const cycle = Array.from({ length: BURST }, () => gen.next());
    const meanFrameBytes = cycle.reduce((n, f) => n + f.length, 0) / BURST;
    gen.reset();
    const fill = () => {
      gen.fillStrided(base, STRIDE, BURST, lens);
    };
    const copy = () => {
      const mem = new Uint8Array(fp.memory.memory.buffer);
      for (let i = 0; i < BURST; i++) mem.set(cycle[i]!, base + i * STRIDE);
    };
    for (let i = 0; i < 20000; i++) fill(); // V8 tiers wasm up between calls, not inside one
    // Sampled in turns, best of each: this machine is shared, and a busy moment should not land on one side.
    let ns = Infinity;
    let jsNs = Infinity;
    for (let r = 0; r < rounds; r++) {
      ns = Math.min(ns, (secondsPerCall(fill, maxTime) * 1e9) / BURST);
      jsNs = Math.min(jsNs, (secondsPerCall(copy, maxTime) * 1e9) / BURST);
    }
    const t = w.opts.template!;
    rows.push({
      workload: w.name,
      template: `${t.l3}/${t.l4}`,
      size: String(w.opts.size),
      distribution: w.opts.distribution!,
      flows: w.opts.flows!,
      burst: BURST,
      meanFrameBytes,
      nsPerFrame: ns,
      mpps: 1e3 / ns,
      gbps: (meanFrameBytes * 8) / ns,
      jsCopyNsPerFrame: jsNs,
      speedupOverJsCopy: jsNs / ns,
    });
  }
  return rows;
}

export function formatPktgenTable(rows: PktgenRow[]): string {
  const head = ['workload', 'bytes', 'ns/frame', 'Mpps', 'Gbit/s', 'JS copy ns', 'vs JS copy'];
  const body = rows.map((r) => [
    r.workload,
    r.meanFrameBytes.toFixed(0),
    r.nsPerFrame.toFixed(2),
    r.mpps.toFixed(1),
    r.gbps.toFixed(1),
    r.jsCopyNsPerFrame.toFixed(2),
    r.speedupOverJsCopy.toFixed(2) + 'x',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), line(widths.map((n) => '-'.repeat(n))), ...body.map(line)].join('\n') + '\n';
}

export async function pktgenBenchCommand(args: string[], io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false }, quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
  const rows = await runPktgenBench({ quick: values.quick, ...(values.only !== undefined ? { only: values.only } : {}), ...(values.json ? {} : { log: io.err }) });
  if (values.json) {
    io.out(JSON.stringify({ node: process.version, burst: BURST, stride: STRIDE, rows }, null, 2) + '\n');
  } else {
    io.out(`wxdp pktgen bench — node ${process.version}; bursts of ${BURST} frames ${STRIDE} bytes apart, one call per burst; baseline: JS Uint8Array.set of the same frames, same run; sampled in turns, best of ${values.quick ? 2 : 5}\n`);
    io.out(formatPktgenTable(rows));
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await pktgenBenchCommand(process.argv.slice(2), { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) });
}
