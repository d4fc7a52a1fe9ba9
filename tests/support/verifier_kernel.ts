// The kernel and wxdp side by side on raw instruction streams (XDP, or sk_lookup / sk_reuseport / tp_btf/NAME): tests/verifier/fuzz_kernel.test.ts
// (random programs) and tests/verifier/kernel_cases.test.ts (the programs it found) load each program
// into the kernel through tests/support/verifier_fuzz_loader.c (BPF_PROG_LOAD, log level 1, fresh maps
// FUZZ_MAPS per program; BPF_PROG_TEST_RUN) and into wxdp (loadObject), and compare the answers.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Datapath } from '../../src/control/datapath.js';
import { Btf, type MapSpec, type ObjectSpec } from '../../src/elf/index.js';
import { ProgramError, VerifierError } from '../../src/errors.js';
import { encode, type Insn } from '../../src/isa/insn.js';
import { OP_LDDW } from '../../src/isa/opcodes.js';
import { analyzeRejection } from '../../scripts/record-verifier-corpus.mjs';
import { FUZZ_GLOBAL_IDX, FUZZ_GLOBAL_MAP, FUZZ_MAPS } from './verifier_gen.js';

const root = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'wxdp-vfuzz-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
const loader = join(dir, 'verifier_fuzz_loader');

/** Why the kernel cannot be asked (undefined: it can; the loader is built). */
export function kernelUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'the kernel oracle needs Linux';
  if (process.getuid?.() !== 0) return 'BPF_PROG_LOAD of XDP programs needs root';
  if (process.env['WXDP_NO_KERNEL']) return 'WXDP_NO_KERNEL is set';
  const cc = spawnSync('gcc', ['-O1', '-o', loader, `${root}tests/support/verifier_fuzz_loader.c`, '-lbpf'], { encoding: 'utf8' });
  if (cc.error || cc.status !== 0) return `cannot build the loader (gcc, libbpf-dev): ${(cc.stderr || cc.error?.message || '').trim().split('\n')[0]}`;
  return undefined;
}

/** One side's answer; a refusal's errno is bpf(BPF_PROG_LOAD)'s, by name (EACCES, EINVAL, E2BIG...). */
export type Verdict =
  | { accepted: true; processed: number; runs?: string[] }
  | { accepted: false; errno: string; message: string; insn: number | null };

const errnoName = (n: number): string => Object.entries(constants.errno).find(([, v]) => v === n)?.[0] ?? `errno ${n}`;

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The program types the loader loads (verifier_fuzz_loader.c's -t): XDP, or a type verifier_ctx_gen.ts probes (tp_btf/NAME: TRACING on that tracepoint). */
export type FuzzProgType = 'xdp' | 'sk_lookup' | 'sk_reuseport' | `tp_btf/${string}`;

/** The kernel's answers for a batch of programs of one type (the loader makes fresh maps for each). */
export function kernel(progs: { insns: Insn[]; run: boolean; packets: Uint8Array[] }[], type: FuzzProgType = 'xdp'): Verdict[] {
  const input = progs.map((p) => [hex(encode(p.insns)), ...(p.run ? p.packets.map(hex) : [])].join(' ')).join('\n') + '\n';
  const r = spawnSync(loader, ['-t', type], { input, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`loader failed: ${r.stderr} ${r.stdout.slice(-200)}`);
  const lines = r.stdout.trimEnd().split('\n');
  return lines.map((l, i) => {
    if (l.startsWith('ok ')) {
      const [, n, ...runs] = l.split(' ');
      return { accepted: true, processed: Number(n), ...(progs[i]!.run ? { runs } : {}) };
    }
    const errno = errnoName(Number(l.slice(4, l.indexOf(' ', 4))));
    const log = l.slice(l.indexOf(' ', 4) + 1).replace(/\\(n|\\)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
    const a = analyzeRejection(log, { insns: progs[i]!.insns }) as { message: string; insn: number | null; insnSource: string | null };
    return { accepted: false, errno, message: a.message, insn: a.insnSource === 'log' ? a.insn : null };
  });
}

/**
 * The BTF of the loader's map 2 (verifier_fuzz_loader.c builds the same with libbpf): int (1),
 * struct bpf_spin_lock { int val; } (2), struct fz_lock_val { int a; struct bpf_spin_lock lock; int b, c; } (3).
 */
function lockBtf(): Btf {
  const names = ['int', 'bpf_spin_lock', 'val', 'fz_lock_val', 'a', 'lock', 'b', 'c'];
  const at: Record<string, number> = {};
  let strs = '\0';
  for (const n of names) {
    at[n] = strs.length;
    strs += `${n}\0`;
  }
  const INT = 1 << 24;
  const STRUCT = 4 << 24;
  const types = [
    at['int']!, INT, 4, (1 << 24) | 32, // BTF_INT_SIGNED, 32 bits
    at['bpf_spin_lock']!, STRUCT | 1, 4, at['val']!, 1, 0,
    at['fz_lock_val']!, STRUCT | 4, 16, at['a']!, 1, 0, at['lock']!, 2, 32, at['b']!, 1, 64, at['c']!, 1, 96,
  ];
  const out = new DataView(new ArrayBuffer(24 + types.length * 4 + strs.length));
  out.setUint16(0, 0xeb9f, true);
  out.setUint8(2, 1);
  out.setUint32(4, 24, true);
  out.setUint32(8, 0, true);
  out.setUint32(12, types.length * 4, true);
  out.setUint32(16, types.length * 4, true);
  out.setUint32(20, strs.length, true);
  types.forEach((v, i) => out.setUint32(24 + i * 4, v, true));
  for (let i = 0; i < strs.length; i++) out.setUint8(24 + types.length * 4 + i, strs.charCodeAt(i));
  return Btf.parse(new Uint8Array(out.buffer));
}

/** The loader's map 2: an ARRAY whose value holds a bpf_spin_lock at 4 (for kernel_cases only: the generator uses FUZZ_MAPS). */
const LOCK_MAP: MapSpec = { name: 'fz_lock', type: 2, typeName: 'array', keySize: 4, valueSize: 16, maxEntries: 4, flags: 0, pinning: 'none', kind: 'btf', keyTypeId: 1, valueTypeId: 3 };

export function fuzzSpec(insns: Insn[], type: FuzzProgType = 'xdp'): ObjectSpec {
  const lock = insns.some((i) => i.code === OP_LDDW && i.src === 1 && i.imm === 2);
  // ld_imm64 of a map (src 1) or of an address in its value (src 2, the offset in the tail's imm)
  const isMapLd = (i: Insn): boolean => i.code === OP_LDDW && (i.src === 1 || i.src === 2);
  const global = insns.some((i) => isMapLd(i) && i.imm === FUZZ_GLOBAL_IDX);
  const mapName = (imm: number): string => (imm === 2 ? LOCK_MAP.name : imm === FUZZ_GLOBAL_IDX ? FUZZ_GLOBAL_MAP.name : FUZZ_MAPS[imm]!.name);
  return {
    license: 'GPL',
    maps: [
      ...FUZZ_MAPS.map((m) => ({ ...m, flags: 0, pinning: 'none' as const, kind: 'legacy' as const })),
      ...(lock ? [LOCK_MAP] : []),
      ...(global ? [{ ...FUZZ_GLOBAL_MAP, flags: 0, pinning: 'none' as const, kind: 'legacy' as const }] : []),
    ],
    ...(lock ? { btf: lockBtf() } : {}),
    programs: [
      {
        name: 'fz',
        section: type,
        type: type.startsWith('tp_btf/') ? 'tracing' : type,
        ...(type.startsWith('tp_btf/') ? { attachType: 'trace_raw_tp' } : {}),
        insns: insns.map((i) => ({ ...i })),
        mapRefs: insns.flatMap((i, index) =>
          isMapLd(i) ? [i.src === 1 ? { index, map: mapName(i.imm), kind: 'fd' as const, offset: 0 } : { index, map: mapName(i.imm), kind: 'value' as const, offset: Number(BigInt.asUintN(64, i.imm64 ?? 0n) >> 32n) }] : [],
        ),
        funcInfo: [],
        lineInfo: [],
        license: 'GPL',
      },
    ],
  };
}

/** wxdp's answer: the verdict, and the test runs on both engines (JIT first). */
export async function wxdp(dp: Datapath, insns: Insn[], run: boolean, pkts: Uint8Array[], type: FuzzProgType = 'xdp'): Promise<Verdict & { interp?: string[] }> {
  let runs: string[][] = [];
  let processed = -1;
  try {
    for (const engine of ['jit', 'interp'] as const) {
      const obj = await dp.loadObject(fuzzSpec(insns, type), { engine });
      const p = obj.program('fz');
      processed = p.verifierStats!.insnsProcessed;
      if (!run) break;
      runs.push(pkts.map((data) => {
        try {
          const t = p.testRun({ data });
          return `${t.retval}:${hex(t.data)}`;
        } catch (e) {
          return `throw:${(e as Error).message}`;
        }
      }));
      dp.unloadObject(obj);
    }
  } catch (e) {
    if (e instanceof VerifierError || e instanceof ProgramError) return { accepted: false, errno: e.errno, message: e.reason, insn: e.index };
    throw e;
  }
  return run ? { accepted: true, processed, runs: runs[0]!, interp: runs[1]! } : { accepted: true, processed };
}

