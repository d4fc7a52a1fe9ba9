// Engine benchmark: the same programs through the reference interpreter, the WebAssembly JIT and,
// where bpftool is usable, the kernel's BPF_PROG_TEST_RUN — all measured in this run, reported as
// ns/run, ns per executed instruction and ratios (these machines are noisy; ratios travel, absolutes don't).
//
// Workloads: prime.data and subnet.data from bpf-conformance (when ../shared is present), a bare
// `r0 = 2; exit` (the per-run overhead floor), and a long straight-line ALU program.

import Benchmark from 'benchmark';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { assemble } from '../src/asm/index.js';
import { parseConformance } from '../src/conformance/data.js';
import { vectorProgram } from '../src/conformance/runner.js';
import { createEngine } from '../src/control/engine.js';
import { baseHelpers } from '../src/helpers/index.js';
import { Interpreter } from '../src/interp/index.js';
import type { Insn } from '../src/isa/insn.js';
import { kernelAvailability, loadKernelProgram, wrapForXdp } from '../src/oracle/kernel.js';
import { writeBpfObject } from '../src/oracle/bpf_object.js';
import { encode } from '../src/isa/insn.js';
import { EngineMemory, INPUT_BASE } from '../src/runtime/memory.js';
import type { Engine } from '../src/runtime/types.js';

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

interface Workload {
  name: string;
  prog: Insn[];
  mem: Uint8Array;
}

export interface EngineRow {
  workload: string;
  insns: number;
  executed: number;
  interpNsPerRun: number;
  jitNsPerRun: number;
  kernelNsPerRun: number | null;
  interpNsPerInsn: number;
  jitNsPerInsn: number;
  jitSpeedupOverInterp: number;
  jitOverKernel: number | null;
}

const here = dirname(fileURLToPath(import.meta.url));

/** The project root, whether running from bench/ (tsx/vitest) or dist/bench/ (compiled). */
function projectRoot(): string {
  let d = here;
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(d, 'package.json'))) return d;
    d = dirname(d);
  }
  return resolve(here, '..');
}

export function conformanceDir(): string {
  return resolve(projectRoot(), '..', 'shared', 'bpf-conformance', 'tests');
}

/** A long straight-line ALU program: r0–r9 initialised, then `n` mixed 64/32-bit ALU ops, then exit. */
export function straightLineAlu(n: number): string {
  const ops = ['+=', '^=', '*=', '|=', '-=', '&=', '<<=', '>>='];
  const lines: string[] = [];
  for (let r = 0; r <= 9; r++) lines.push(`r${r} = ${0x1234567 * (r + 1)}`);
  let seed = 1;
  const rnd = (m: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % m;
  for (let i = 0; i < n; i++) {
    const d = rnd(10);
    const op = ops[rnd(ops.length)]!;
    const w = rnd(4) === 0 ? 'w' : 'r';
    const shift = op === '<<=' || op === '>>=';
    const operand = shift ? String(1 + rnd(w === 'w' ? 31 : 63)) : rnd(2) ? `${w}${rnd(10)}` : String(rnd(1000) + 1);
    lines.push(`${w}${d} ${op} ${operand}`);
  }
  lines.push('exit');
  return lines.join('\n');
}

export function workloads(): Workload[] {
  const out: Workload[] = [{ name: 'return 2', prog: assemble('r0 = 2\nexit'), mem: new Uint8Array(0) }];
  const dir = conformanceDir();
  for (const f of ['prime', 'subnet']) {
    const p = join(dir, `${f}.data`);
    if (!existsSync(p)) continue;
    const vec = parseConformance(readFileSync(p, 'utf8'), p);
    out.push({ name: `${f}.data`, prog: vectorProgram(vec), mem: vec.mem });
  }
  out.push({ name: 'alu straight-line x1000', prog: assemble(straightLineAlu(1000)), mem: new Uint8Array(0) });
  return out;
}

function nsPerCall(fn: () => void, maxTime: number): number {
  const b = new Benchmark(fn, { maxTime, minSamples: 5, initCount: 1 });
  b.run();
  if (b.error) throw b.error;
  return b.stats.mean * 1e9;
}

/** Warm V8's optimising tier: short calls until the per-call time stops improving. */
function warm(fn: () => void, ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) for (let i = 0; i < 1000; i++) fn();
}

async function engineFor(kind: 'interp' | 'jit', w: Workload): Promise<{ engine: Engine; call: () => void; memory: EngineMemory }> {
  const memory = new EngineMemory();
  const { engine } = await createEngine(w.prog, { engine: kind, memory, helpers: baseHelpers() });
  const region = memory.placeInput(w.mem);
  const req = { args: [BigInt(INPUT_BASE), BigInt(w.mem.length)], regions: [region] };
  return { engine, memory, call: () => void engine.run(req) };
}

function kernelNs(w: Workload, repeat: number): number | null {
  const avail = kernelAvailability();
  if (!avail.ok) return null;
  const prog = w.mem.length > 0 ? wrapForXdp(w.prog, w.mem.length) : w.prog;
  const kp = loadKernelProgram(writeBpfObject([{ name: 'bench', section: 'xdp', insns: encode(prog) }]));
  try {
    const data = w.mem.length >= 14 ? w.mem : new Uint8Array(64);
    kp.run({ data, repeat: 1000 }); // warm
    return kp.run({ data, repeat }).durationNs;
  } finally {
    kp.close();
  }
}

export async function runEngineBench(opts: { quick?: boolean; log?: (s: string) => void } = {}): Promise<EngineRow[]> {
  const maxTime = opts.quick ? 0.2 : 2;
  const rows: EngineRow[] = [];
  for (const w of workloads()) {
    opts.log?.(`  ${w.name}…\n`);
    const cm = new EngineMemory();
    const counter = new Interpreter(w.prog, { memory: cm, helpers: baseHelpers() });
    const region = cm.placeInput(w.mem);
    counter.run({ args: [BigInt(INPUT_BASE), BigInt(w.mem.length)], regions: [region] });
    const executed = counter.executed;

    const interp = await engineFor('interp', w);
    const jit = await engineFor('jit', w);
    warm(jit.call, opts.quick ? 50 : 300);
    const interpNs = nsPerCall(interp.call, maxTime);
    const jitNs = nsPerCall(jit.call, maxTime);
    let kNs: number | null = null;
    try {
      kNs = kernelNs(w, opts.quick ? 100_000 : 1_000_000);
    } catch (e) {
      opts.log?.(`    kernel: ${(e as Error).message.split('\n')[0]}\n`);
    }
    rows.push({
      workload: w.name,
      insns: w.prog.filter((i) => !i.isLdImm64Tail).length,
      executed,
      interpNsPerRun: interpNs,
      jitNsPerRun: jitNs,
      kernelNsPerRun: kNs,
      interpNsPerInsn: interpNs / executed,
      jitNsPerInsn: jitNs / executed,
      jitSpeedupOverInterp: interpNs / jitNs,
      jitOverKernel: kNs === null ? null : jitNs / kNs,
    });
  }
  return rows;
}

export function formatTable(rows: readonly EngineRow[]): string {
  const head = ['workload', 'insns', 'executed', 'interp ns/run', 'jit ns/run', 'kernel ns/run', 'interp ns/insn', 'jit ns/insn', 'jit speedup vs interp', 'jit / kernel'];
  const f = (v: number | null, d = 1) => (v === null ? 'n/a' : v.toFixed(d));
  const body = rows.map((r) => [
    r.workload,
    String(r.insns),
    String(r.executed),
    f(r.interpNsPerRun, 0),
    f(r.jitNsPerRun),
    f(r.kernelNsPerRun),
    f(r.interpNsPerInsn),
    f(r.jitNsPerInsn, 3),
    f(r.jitSpeedupOverInterp, 0) + 'x',
    r.jitOverKernel === null ? 'n/a' : r.jitOverKernel.toFixed(2) + 'x',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n';
}

export async function benchCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean', default: false }, quick: { type: 'boolean', default: false } },
  });
  const avail = kernelAvailability();
  if (!values.json) {
    io.out(`wxdp engine bench — node ${process.version}; kernel baseline: ${avail.ok ? 'BPF_PROG_TEST_RUN via bpftool' : `unavailable (${avail.reason})`}\n`);
  }
  const rows = await runEngineBench({ quick: values.quick, log: values.json ? undefined : io.err });
  if (values.json) io.out(JSON.stringify({ bench: 'engine', node: process.version, kernel: avail.ok ? 'bpftool' : null, rows }, null, 2) + '\n');
  else io.out(formatTable(rows));
  return 0;
}
