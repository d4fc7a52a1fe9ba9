// Property: on random programs the verifier accepts, the unchecked JIT (built on the verifier's facts,
// with the analyses only verified code gets: stack slots in locals, store merging, unrolling, loop
// indexes; known zeros and low halves too) leaves the registers and the stack exactly as the reference
// interpreter does. The checked JIT of tests/jit/differential.test.ts and tests/diff/random.test.ts
// never runs the verified-only ones.
//
// The generator aims at what they assume: stack slots written and read at mixed widths (and with
// sign-extending loads), byte swaps feeding or/shift chains, movsx, sdiv/smod with edge values, clang's
// zero-extension pair and bit-mask triple, byte copies through a register (store merging's shape),
// copies of r10, 32-bit jumps over all of them, small counted loops (unrolled), bpf-to-bpf calls of a
// callee with its own frame (frame specialisation), passed a pointer into the caller's or not, and
// bpf_loop with a constant count over a callback whose entry block tests its index after shifts, masks,
// adds and zero extensions (loop_index.ts decides such tests; these run in a Datapath, whose fast path
// runs callbacks). Programs the verifier refuses are skipped (and counted: most pass). At the end
// r0–r9 and the stack are folded into r0.
// WXDP_JIT_VERIFIED_RUNS sets the count (default 10: each compiles optimised modules, 0.3-1 s);
// fast-check names the seed of a failure.

import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { VerifierError } from '../../src/errors.js';
import { HelperTable } from '../../src/helpers/index.js';
import { Interpreter } from '../../src/interp/index.js';
import { Ins, insn, type Insn, type Reg } from '../../src/isa/insn.js';
import { AluOp, Class, JmpOp, Mode, Size, Source } from '../../src/isa/opcodes.js';
import { compile } from '../../src/jit/index.js';
import { EngineMemory } from '../../src/runtime/memory.js';
import { verify } from '../../src/verifier/verifier.js';
import { fuzzClock } from '../support/budget.js';

const EDGE = [
  0n, 1n, 2n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fff_ffffn, 0x8000_0000n, 0xffff_ffffn, 0x1_0000_0000n,
  0x7fff_ffff_ffff_ffffn, 0x8000_0000_0000_0000n, 0xffff_ffff_ffff_ffffn, 0xffff_ffff_8000_0000n, 0x0123_4567_89ab_cdefn, 0x80n << 56n,
];
const IMM_EDGE = [0, 1, -1, 2, 8, 16, 31, 32, 63, 0x7fff_ffff, -0x8000_0000, 0xff, 0xffff, -2, 0x80, 0x8000];

const reg = fc.integer({ min: 0, max: 9 }) as fc.Arbitrary<Reg>;
const value = fc.oneof(fc.constantFrom(...EDGE), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));
const imm = fc.oneof(fc.constantFrom(...IMM_EDGE), fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }));

const ALU_OPS = [AluOp.ADD, AluOp.SUB, AluOp.MUL, AluOp.DIV, AluOp.OR, AluOp.AND, AluOp.LSH, AluOp.RSH, AluOp.NEG, AluOp.MOD, AluOp.XOR, AluOp.MOV, AluOp.ARSH];
const JMP_OPS = [JmpOp.JEQ, JmpOp.JGT, JmpOp.JGE, JmpOp.JSET, JmpOp.JNE, JmpOp.JSGT, JmpOp.JSGE, JmpOp.JLT, JmpOp.JLE, JmpOp.JSLT, JmpOp.JSLE];
const SIZES = [Size.B, Size.H, Size.W, Size.DW];
const BYTES: Record<number, number> = { [Size.B]: 1, [Size.H]: 2, [Size.W]: 4, [Size.DW]: 8 };

/** One ALU instruction the verifier takes: K shifts below the width, no K division by zero. */
const aluInsn: fc.Arbitrary<Insn[]> = fc
  .record({ cls: fc.constantFrom(Class.ALU, Class.ALU64), op: fc.constantFrom(...ALU_OPS), x: fc.boolean(), dst: reg, src: reg, imm, variant: fc.integer({ min: 0, max: 3 }) })
  .map(({ cls, op, x, dst, src, imm, variant }) => {
    if (op === AluOp.NEG) return [insn(cls | op, dst)];
    let off = 0;
    if ((op === AluOp.DIV || op === AluOp.MOD) && variant >= 2) off = 1;
    if (op === AluOp.MOV && x) off = [0, 8, 16, cls === Class.ALU64 ? 32 : 0][variant]!;
    if (x) return [insn(cls | op | Source.X, dst, src, off)];
    const bits = cls === Class.ALU64 ? 64 : 32;
    let k = imm;
    if (op === AluOp.LSH || op === AluOp.RSH || op === AluOp.ARSH) k = ((imm % bits) + bits) % bits;
    if ((op === AluOp.DIV || op === AluOp.MOD) && k === 0) k = -1;
    return [insn(cls | op, dst, 0, off, k)];
  });

const endInsn: fc.Arbitrary<Insn[]> = fc
  .record({ kind: fc.integer({ min: 0, max: 2 }), dst: reg, bits: fc.constantFrom(16, 32, 64) })
  .map(({ kind, dst, bits }) => [insn([Class.ALU | AluOp.END | Source.K, Class.ALU | AluOp.END | Source.X, Class.ALU64 | AluOp.END][kind]!, dst, 0, 0, bits)]);

/** A byte swap whose result is or-ed, shifted or added into another register (known_zeros' shape). */
const swapChain: fc.Arbitrary<Insn[]> = fc
  .record({ end: endInsn, other: reg, sh: fc.integer({ min: 0, max: 63 }), op: fc.constantFrom(AluOp.OR, AluOp.ADD, AluOp.XOR), first: fc.boolean() })
  .map(({ end, other, sh, op, first }) => {
    const d = end[0]!.dst as Reg;
    const out = [...end, insn(Class.ALU64 | AluOp.LSH, other, 0, 0, sh)];
    out.push(first ? insn(Class.ALU64 | op | Source.X, other, d) : insn(Class.ALU64 | op | Source.X, d, other));
    return out;
  });

/** clang's zero / sign extension pair and the bit-mask triple (emit.ts extension, bitMask). */
const idiom: fc.Arbitrary<Insn[]> = fc
  .record({ kind: fc.integer({ min: 0, max: 2 }), d: reg, s: reg, n: fc.integer({ min: 0, max: 63 }) })
  .map(({ kind, d, s, n }) => {
    if (kind === 0) return [insn(Class.ALU64 | AluOp.LSH, d, 0, 0, 32), insn(Class.ALU64 | AluOp.RSH, d, 0, 0, 32)];
    if (kind === 1) return [insn(Class.ALU64 | AluOp.LSH, d, 0, 0, 32), insn(Class.ALU64 | AluOp.ARSH, d, 0, 0, 32)];
    const shift = s === d ? insn(Class.ALU64 | AluOp.RSH, d, 0, 0, n) : insn(Class.ALU64 | AluOp.RSH | Source.X, d, s);
    return [shift, insn(Class.ALU64 | AluOp.AND, d, 0, 0, 1), insn(Class.ALU64 | AluOp.NEG, d)];
  });

/** A stack offset for `size` bytes, aligned (the verifier wants stack accesses aligned), in [-64, 0). */
const stackOff = (size: number, k: number): number => -size * (1 + (k % (64 / size)));

/** Stack stores and loads of every width, plain and sign-extending. */
const stackInsn: fc.Arbitrary<Insn[]> = fc
  .record({ kind: fc.integer({ min: 0, max: 3 }), sz: fc.constantFrom(...SIZES), r: reg, k: fc.nat(63), imm })
  .map(({ kind, sz, r, k, imm }) => {
    const off = stackOff(BYTES[sz]!, k);
    if (kind === 0) return [insn(Class.STX | Mode.MEM | sz, 10, r, off)];
    if (kind === 1) return [insn(Class.ST | Mode.MEM | sz, 10, 0, off, imm)];
    if (kind === 2 && sz !== Size.DW) return [insn(Class.LDX | Mode.MEMSX | sz, r, 10, off)];
    return [insn(Class.LDX | Mode.MEM | sz, r, 10, off)];
  });

/** A byte copy through a register (store merging's shape): a wide load stored a byte or two at a time. */
const byteCopy: fc.Arbitrary<Insn[]> = fc
  .record({ t: reg, from: fc.nat(7), to: fc.nat(31), n: fc.constantFrom(2, 4, 8), piece: fc.constantFrom(Size.B, Size.H), alu32: fc.boolean() })
  .map(({ t, from, to, n, piece, alu32 }) => {
    const lsz = n === 2 ? Size.H : n === 4 ? Size.W : Size.DW;
    const src = -64 + 8 * from;
    const dst = -128 + 2 * to;
    const p = BYTES[piece]!;
    const out: Insn[] = [insn(Class.LDX | Mode.MEM | lsz, t, 10, src - (src % n === 0 ? 0 : src % n))];
    for (let i = 0; i < n; i += p) {
      out.push(insn(Class.STX | Mode.MEM | piece, 10, t, dst + i));
      if (i + p < n) out.push(insn((alu32 && n <= 4 ? Class.ALU : Class.ALU64) | AluOp.RSH, t, 0, 0, 8 * p));
    }
    return out;
  });

/** A copy of r10 moved by a constant, then an access through it. */
const framePtr: fc.Arbitrary<Insn[]> = fc
  .record({ p: reg, r: reg, k: fc.nat(63), sz: fc.constantFrom(...SIZES), store: fc.boolean() })
  .map(({ p, r, k, sz, store }) => {
    const n = BYTES[sz]!;
    const off = stackOff(n, k);
    const ptr = [insn(Class.ALU64 | AluOp.MOV | Source.X, p, 10), insn(Class.ALU64 | AluOp.ADD, p, 0, 0, off)];
    // p is made a scalar again after the access: the fold at the end may not multiply a pointer
    const clear = insn(Class.ALU64 | AluOp.MOV, p, 0, 0, k);
    if (store) return r === p ? ptr : [...ptr, insn(Class.STX | Mode.MEM | sz, p, r, 0), clear];
    return [...ptr, insn(Class.LDX | Mode.MEM | sz, r, p, 0), ...(r === p ? [] : [clear])];
  });

/** A forward conditional jump, 64 or 32 bits; its offset is clamped to the program when assembled. */
const jmpInsn: fc.Arbitrary<Insn[]> = fc
  .record({ cls: fc.constantFrom(Class.JMP, Class.JMP32), op: fc.constantFrom(...JMP_OPS), x: fc.boolean(), dst: reg, src: reg, imm, off: fc.integer({ min: 0, max: 8 }) })
  .map(({ cls, op, x, dst, src, imm, off }) => [x ? insn(cls | op | Source.X, dst, src, off) : insn(cls | op, dst, 0, off, imm)]);

const straight = fc.oneof(
  { weight: 6, arbitrary: aluInsn },
  { weight: 1, arbitrary: endInsn },
  { weight: 2, arbitrary: swapChain },
  { weight: 1, arbitrary: idiom },
  { weight: 4, arbitrary: stackInsn },
  { weight: 1, arbitrary: byteCopy },
  { weight: 1, arbitrary: framePtr },
);

/** A counted loop (r9 the counter, n trips) over a straight body that leaves r9 alone. */
const loop: fc.Arbitrary<Insn[]> = fc
  .record({ n: fc.integer({ min: 1, max: 20 }), body: fc.array(straight, { minLength: 1, maxLength: 5 }), down: fc.boolean() })
  .map(({ n, body, down }) => {
    const inner = body.flat().filter((i) => i.dst !== 9 && !(i.code === (Class.ALU64 | AluOp.MOV | Source.X) && i.dst === 9));
    if (inner.length === 0) return [];
    const head = down ? [insn(Class.ALU64 | AluOp.MOV, 9, 0, 0, n)] : [insn(Class.ALU64 | AluOp.MOV, 9, 0, 0, 0)];
    const step = down ? insn(Class.ALU64 | AluOp.SUB, 9, 0, 0, 1) : insn(Class.ALU64 | AluOp.ADD, 9, 0, 0, 1);
    const back = down ? insn(Class.JMP | JmpOp.JNE, 9, 0, -(inner.length + 2), 0) : insn(Class.JMP | JmpOp.JLT, 9, 0, -(inner.length + 2), n);
    return [...head, ...inner, step, back];
  });

/** An odd 32-bit multiplier for the fold (the golden ratio's). */
const FOLD = -0x61c88647;

const isJump = (ins: Insn): boolean => (ins.code & 0x07) === Class.JMP || (ins.code & 0x07) === Class.JMP32;

/** Where a bpf-to-bpf call's target is filled in once the callee's place is known. */
const CALL_MARK = 0x7fff_fff0;

/** A call of the program's callee; r1–r5 are set again after it (the call leaves them unreadable). */
const callPiece: fc.Arbitrary<Insn[]> = fc.record({ k: fc.nat(15), ks: fc.array(imm, { minLength: 5, maxLength: 5 }) }).map(({ k, ks }) => [
  // r1 = r10 - 8(k + 1) when the program passes a frame pointer, else the scalar k - 8(k + 1): the
  // first of these two is made one or the other below (it carries k in its offset until then)
  insn(Class.ALU64 | AluOp.MOV | Source.X, 1, 10, k),
  insn(Class.ALU64 | AluOp.ADD, 1, 0, 0, -8 * (k + 1)),
  insn(Class.JMP | JmpOp.CALL, 0, 1, 0, CALL_MARK),
  ...ks.map((v, i) => insn(Class.ALU64 | AluOp.MOV, i + 1, 0, 0, v)),
]);

/** Where a bpf_loop's callback address is filled in (ld_imm64 BPF_PSEUDO_FUNC's imm). */
const CB_MARK = 0x7fff_ffe0;
const HELPER_LOOP = 181;

/**
 * bpf_loop(n, callback, &ctx, 0) with ctx the u64 at r10 - 8 (the callback folds into it); r1–r5 set
 * again after the call. With a constant n the verifier knows the count (loop_index.ts decides the
 * callback's test of its index from it).
 */
const loopCall: fc.Arbitrary<Insn[]> = fc.record({ n: fc.integer({ min: 0, max: 40 }), ks: fc.array(imm, { minLength: 5, maxLength: 5 }) }).map(({ n, ks }) => [
  insn(Class.ALU64 | AluOp.MOV, 1, 0, 0, n),
  { code: 0x18, dst: 2, src: 4, off: 0, imm: CB_MARK, imm64: BigInt(CB_MARK) },
  { code: 0, dst: 0, src: 0, off: 0, imm: 0, isLdImm64Tail: true },
  insn(Class.ALU64 | AluOp.MOV | Source.X, 3, 10),
  insn(Class.ALU64 | AluOp.ADD, 3, 0, 0, -8),
  insn(Class.ALU64 | AluOp.MOV, 4, 0, 0, 0),
  insn(Class.JMP | JmpOp.CALL, 0, 0, 0, HELPER_LOOP),
  ...ks.map((v, i) => insn(Class.ALU64 | AluOp.MOV, i + 1, 0, 0, v)),
]);

/** The callback's entry block: what it does to its index r1 before testing it (loop_index.ts follows these). */
const indexOps: fc.Arbitrary<Insn[]> = fc.array(
  fc.oneof(
    fc.constant([insn(Class.ALU64 | AluOp.LSH, 1, 0, 0, 32), insn(Class.ALU64 | AluOp.RSH, 1, 0, 0, 32)]),
    fc.constant([insn(Class.ALU | AluOp.MOV | Source.X, 1, 1)]),
    // a small 32-bit step back: wraps below zero for the first indexes
    fc.record({ k: fc.integer({ min: -3, max: 3 }), w32: fc.boolean() }).map(({ k, w32 }) => [insn((w32 ? Class.ALU : Class.ALU64) | AluOp.ADD, 1, 0, 0, k)]),
    fc.record({ op: fc.constantFrom(AluOp.AND, AluOp.ADD, AluOp.LSH, AluOp.RSH), w32: fc.boolean(), k: imm }).map(({ op, w32, k }) => {
      const bits = w32 ? 32 : 64;
      const v = op === AluOp.LSH || op === AluOp.RSH ? ((k % bits) + bits) % bits : k;
      return [insn((w32 ? Class.ALU : Class.ALU64) | op, 1, 0, 0, v)];
    }),
  ),
  { maxLength: 3 },
).map((xs) => xs.flat());

/** The callback: r7 = 1 or 2 by its entry block's test of r1, then ctx = ctx * 3 + r7 + r1; returns 0. */
const callback: fc.Arbitrary<Insn[]> = fc
  .record({ ops: indexOps, cls: fc.constantFrom(Class.JMP, Class.JMP32), op: fc.constantFrom(...JMP_OPS), k: fc.oneof(fc.integer({ min: -2, max: 45 }), imm) })
  .map(({ ops, cls, op, k }) => [
    insn(Class.ALU64 | AluOp.MOV | Source.X, 6, 2),
    ...ops,
    insn(cls | op, 1, 0, 2, k),
    insn(Class.ALU64 | AluOp.MOV, 7, 0, 0, 1),
    Ins.ja(1),
    insn(Class.ALU64 | AluOp.MOV, 7, 0, 0, 2),
    Ins.ldx('dw', 3, 6, 0),
    insn(Class.ALU64 | AluOp.MUL, 3, 0, 0, 3),
    insn(Class.ALU64 | AluOp.ADD | Source.X, 3, 7),
    insn(Class.ALU64 | AluOp.ADD | Source.X, 3, 1),
    Ins.stx('dw', 6, 3, 0),
    insn(Class.ALU64 | AluOp.MOV, 0, 0, 0, 0),
    Ins.exit(),
  ]);

/** Pieces laid out one after another, each forward jump landing on a piece boundary (never inside a loop). */
function layout(body: Insn[][]): Insn[] {
  const flat: Insn[] = [];
  const ends: number[] = [];
  for (const p of body) {
    flat.push(...p.map((i) => ({ ...i })));
    ends.push(flat.length);
  }
  flat.forEach((ins, i) => {
    // a piece's own jumps (a loop's back edge) keep their offsets; a lone forward jump goes at most
    // off pieces on
    if (!isJump(ins) || ins.off < 0 || (ins.code & 0xf0) === JmpOp.CALL) return;
    const k = ends.findIndex((e) => e > i);
    const target = ends[Math.min(k + ins.off, ends.length - 1)]!;
    ins.off = target - i - 1;
  });
  return flat;
}

/** r0 := a fold of r0-r9 and the frame's first `bytes` (slots kept in locals are not in memory after
 * the run: what the program leaves there can only be seen through its registers). */
function foldAndExit(bytes: number): Insn[] {
  const out: Insn[] = [];
  const fold = (r: Reg): Insn[] => [insn(Class.ALU64 | AluOp.XOR | Source.X, 0, r), insn(Class.ALU64 | AluOp.MUL, 0, 0, 0, FOLD)];
  for (let r = 1; r <= 9; r++) out.push(...fold(r as Reg));
  for (let off = -8; off >= -bytes; off -= 8) out.push(Ins.ldx('dw', 1, 10, off), ...fold(1));
  // the high half folded into the low (a Datapath run answers a 32-bit retval)
  out.push(insn(Class.ALU64 | AluOp.MOV | Source.X, 1, 0), insn(Class.ALU64 | AluOp.RSH, 1, 0, 0, 32), insn(Class.ALU64 | AluOp.XOR | Source.X, 0, 1), Ins.exit());
  return out;
}

/** The stack the fold reads, written first (a privileged program may read uninitialised stack). */
const zeroFrame = (bytes: number): Insn[] => Array.from({ length: bytes / 8 }, (_, i) => Ins.st('dw', 10, -8 * (i + 1), 0));

const program = fc
  .record({
    init: fc.array(value, { minLength: 10, maxLength: 10 }),
    body: fc.array(
      fc.oneof({ weight: 8, arbitrary: straight }, { weight: 2, arbitrary: jmpInsn }, { weight: 1, arbitrary: loop }, { weight: 1, arbitrary: callPiece }, { weight: 1, arbitrary: loopCall }),
      { minLength: 1, maxLength: 20 },
    ),
    callee: fc.array(fc.oneof({ weight: 8, arbitrary: straight }, { weight: 2, arbitrary: jmpInsn }, { weight: 1, arbitrary: loop }), { minLength: 0, maxLength: 8 }),
    fpArg: fc.boolean(),
    cb: callback,
  })
  .map(({ init, body, callee, fpArg, cb }) => {
    const out: Insn[] = [];
    init.forEach((v, r) => out.push(...Ins.lddw(r as Reg, v)));
    out.push(...zeroFrame(128), ...layout(body), ...foldAndExit(128));
    const calls = out.some((i) => i.imm === CALL_MARK);
    const entry = out.length;
    if (calls) {
      // the callee: args in r1-r5 (with fpArg r1 points into the caller's frame, written through),
      // its own 64 bytes of frame, the drawn body, the same fold
      if (fpArg) out.push(Ins.stx('dw', 1, 2, 0), insn(Class.ALU64 | AluOp.MOV, 1, 0, 0, 5));
      out.push(insn(Class.ALU64 | AluOp.MOV | Source.X, 0, 5), ...[6, 7, 8, 9].map((r) => insn(Class.ALU64 | AluOp.MOV | Source.X, r, r - 5)));
      out.push(...zeroFrame(64), ...layout(callee), ...foldAndExit(64));
    }
    const cbAt = out.length;
    if (out.some((i) => i.imm === CB_MARK)) out.push(...cb.map((i) => ({ ...i })));
    out.forEach((ins, pc) => {
      if (ins.imm === CB_MARK && ins.code === 0x18 && ins.src === 4) {
        ins.imm = cbAt - pc - 1;
        ins.imm64 = BigInt(ins.imm);
      }
      if (ins.imm === CALL_MARK && (ins.code & 0xf0) === JmpOp.CALL) ins.imm = entry - pc - 1;
      if (ins.code === (Class.ALU64 | AluOp.MOV | Source.X) && ins.dst === 1 && ins.src === 10 && out[pc + 2]?.imm === CALL_MARK) {
        out[pc] = fpArg ? insn(Class.ALU64 | AluOp.MOV | Source.X, 1, 10) : insn(Class.ALU64 | AluOp.MOV, 1, 0, 0, ins.off);
      }
    });
    return out;
  });

const RUNS = Number(process.env['WXDP_JIT_VERIFIED_RUNS'] ?? 10);

describe('unchecked JIT vs reference interpreter on random verified programs', () => {
  const clock = fuzzClock('unchecked JIT vs interpreter verified programs', RUNS);
  let accepted = 0;
  afterAll(() => {
    clock.report();
    if (process.env['WXDP_JIT_VERIFIED_RUNS']) console.log(`verified differential: ${accepted} of ${clock.done} programs accepted by the verifier`);
  });
  it('agree on the registers and the stack (folded into r0)', { timeout: Math.max(120_000, RUNS * 2_000) }, async () => {
    const helpers = new HelperTable();
    const memI = new EngineMemory();
    const memJ = new EngineMemory();
    const dp = await Datapath.create();
    const refusals = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(program, async (p) => {
        if (!clock.more()) return;
        if (p.some((i) => i.code === (Class.JMP | JmpOp.CALL) && i.src === 0 && i.imm === HELPER_LOOP)) {
          // bpf_loop runs its callback through the fast path: both engines in a Datapath, on a
          // minimal frame, the fold's 64 bits folded into the 32-bit retval
          const engines = [{ engine: 'interp' }, { engine: 'jit', checked: false }] as const;
          let got: number[];
          try {
            got = [];
            for (const o of engines) {
              const prog = await dp.loadInsns(p, o as Parameters<Datapath['loadInsns']>[1]);
              got.push(prog.testRun({ data: new Uint8Array(14) }).retval >>> 0);

            }
          } catch (e) {
            if (!(e instanceof VerifierError)) throw e;
            refusals.set(e.reason.replace(/\d+/g, 'N'), (refusals.get(e.reason.replace(/\d+/g, 'N')) ?? 0) + 1);
            return;
          }
          accepted++;
          expect(got[1]).toBe(got[0]);
          return;
        }
        let facts;
        try {
          facts = verify(p, { helpers }).facts;
        } catch (e) {
          if (e instanceof VerifierError) refusals.set(e.reason.replace(/\d+/g, 'N'), (refusals.get(e.reason.replace(/\d+/g, 'N')) ?? 0) + 1);
          return; // refused: not this property's business
        }
        accepted++;
        memI.clearStack();
        memJ.clearStack();
        const want = new Interpreter(p, { memory: memI, helpers }).run({ args: [], regions: [] }).r0;
        const got = (await compile(p, { memory: memJ, helpers, checked: false, facts })).run({ args: [], regions: [] }).r0;
        expect(got).toBe(want);
      }),
      { numRuns: RUNS },
    );
    if (process.env['WXDP_JIT_VERIFIED_RUNS']) console.log('refusals', [...refusals].sort((a, b) => b[1] - a[1]).slice(0, 8));
    expect(accepted, 'the verifier accepts most generated programs').toBeGreaterThan(clock.done / 4);
  });
});
