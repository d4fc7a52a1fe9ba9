// Verifier benchmark: how long wxdp's verifier takes on each program of programs/ and on a synthetic
// 1,000-instruction parser, next to the kernel verifier's own "verification time" for the same object
// (bpftool -d prog loadall, measured in the same run). Target: ≤ 50 ms for a 1,000-instruction program.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Datapath, verifierMap } from '../src/control/datapath.js';
import { encode, Ins, Jmp, Alu64, type Insn } from '../src/isa/index.js';
import { kernelAvailability, writeBpfObject } from '../src/oracle/index.js';
import { verify } from '../src/verifier/verifier.js';
import { projectRoot } from './project_root.js';

export interface VerifierRow {
  program: string;
  insns: number;
  processed: number;
  wxdpMs: number;
  kernelMs: number | null;
  ratio: number | null;
}

/** A parser-shaped program of about `n` instructions: bounds checks and loads at growing offsets. */
export function syntheticParser(n: number): Insn[] {
  const p: Insn[] = [
    Ins.ldx('w', 6, 1, 0), // r6 = data
    Ins.ldx('w', 7, 1, 4), // r7 = data_end
    Alu64.mov.imm(8, 0),
  ];
  const blocks = Math.floor((n - 5) / 6);
  const exitAt = 3 + blocks * 6;
  for (let b = 0; b < blocks; b++) {
    const at = p.length;
    p.push(Alu64.mov.reg(2, 6), Alu64.add.imm(2, b + 1), Jmp.jgt.reg(2, 7, exitAt - (at + 3)), Ins.ldx('b', 3, 6, b), Alu64.add.reg(8, 3), Jmp.jset.imm(8, 1 << 20, exitAt - (at + 6)));
  }
  p.push(Alu64.mov.imm(0, 2), Ins.exit());
  return p;
}

function kernelTimes(obj: Uint8Array | string): number[] | null {
  if (!kernelAvailability().ok) return null;
  const pin = `/sys/fs/bpf/wxdp_vbench_${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'wxdp-vbench-'));
  try {
    let path = obj as string;
    if (typeof obj !== 'string') writeFileSync((path = join(dir, 'p.o')), obj);
    const out = execFileSync('sh', ['-c', `bpftool -d prog loadall "${path}" "${pin}" 2>&1; true`], { encoding: 'utf8', maxBuffer: 1 << 30 });
    return [...out.matchAll(/verification time (\d+) usec/g)].map((m) => Number(m[1]) / 1000);
  } finally {
    rmSync(pin, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

function best(times: number, f: () => number): number {
  let b = Infinity;
  for (let i = 0; i < times; i++) b = Math.min(b, f());
  return b;
}

export async function runVerifierBench(opts: { quick?: boolean; log?: (s: string) => void; only?: string } = {}): Promise<VerifierRow[]> {
  const root = projectRoot();
  const rows: VerifierRow[] = [];
  const reps = opts.quick ? 1 : 3;
  const synth = syntheticParser(1000);
  // Warm V8 up on the verifier first (a load in a running service is not the process's first).
  for (let i = 0; i < 5; i++) verify(synth);
  if (!opts.only || 'synthetic_parser_1000'.includes(opts.only)) {
    opts.log?.(`verifier: synthetic parser (${synth.length} insns)\n`);
    let processed = 0;
    const ms = best(reps, () => {
      const r = verify(synth);
      processed = r.stats.insnsProcessed;
      return r.stats.timeMs;
    });
    const k = kernelTimes(writeBpfObject([{ name: 'synthetic', section: 'xdp', insns: encode(synth) }], { license: 'GPL' }));
    const kms = k?.[0] ?? null;
    rows.push({ program: 'synthetic_parser_1000', insns: synth.length, processed, wxdpMs: ms, kernelMs: kms, ratio: kms ? ms / kms : null });
  }
  for (const f of readdirSync(join(root, 'programs')).filter((x) => x.endsWith('.o')).sort()) {
    const path = join(root, 'programs', f);
    if (opts.only && !f.includes(opts.only)) continue;
    opts.log?.(`verifier: ${f}\n`);
    const dp = await Datapath.create();
    const obj = await dp.loadObject(readFileSync(path), { path, verify: false });
    const k = kernelTimes(path);
    [...obj.programs.values()].forEach((p, i) => {
      const maps = [...obj.maps.values()].map(verifierMap);
      let processed = 0;
      const ms = best(reps, () => {
        const r = verify(p.insns, { maps, helpers: dp.helpers });
        processed = r.stats.insnsProcessed;
        return r.stats.timeMs;
      });
      const kms = k?.[i] ?? null;
      rows.push({ program: p.name, insns: p.insns.filter((x) => !x.isLdImm64Tail).length, processed, wxdpMs: ms, kernelMs: kms, ratio: kms ? ms / kms : null });
    });
  }
  return rows;
}

export function formatVerifierTable(rows: readonly VerifierRow[]): string {
  const head = ['program', 'insns', 'processed', 'wxdp ms', 'kernel ms', 'wxdp / kernel'];
  const body = rows.map((r) => [r.program, `${r.insns}`, `${r.processed}`, r.wxdpMs.toFixed(2), r.kernelMs === null ? '—' : r.kernelMs.toFixed(2), r.ratio === null ? '—' : `${r.ratio.toFixed(2)}×`]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join('  ');
  return [line(head), ...body.map(line)].join('\n') + '\n';
}

