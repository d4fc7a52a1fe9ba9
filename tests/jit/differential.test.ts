// Property: on random arithmetic programs over edge-case values (0, ±1, INT_MIN, 2^32 ± 1, …) the
// JIT leaves every register exactly as the reference interpreter does. Programs are straight-line
// ALU/ALU32 code (every opcode, both sources, signed division, movsx, byte swaps, swaps feeding a
// shift and an or) with forward conditional jumps; at the end r0–r9 are stored to the stack and both
// stacks are compared.

import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { HelperTable } from '../../src/helpers/index.js';
import { Interpreter } from '../../src/interp/index.js';
import { Ins, insn, type Insn, type Reg } from '../../src/isa/insn.js';
import { AluOp, Class, JmpOp, Source } from '../../src/isa/opcodes.js';
import { compile } from '../../src/jit/index.js';
import { EngineMemory, STACK_TOP } from '../../src/runtime/memory.js';
import { fuzzClock } from '../support/budget.js';

const EDGE = [
  0n, 1n, 2n, 3n, 7n, 31n, 32n, 63n, 64n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn,
  0x7fff_ffffn, 0x8000_0000n, 0xffff_ffffn, 0x1_0000_0000n, 0x1_0000_0001n,
  0x7fff_ffff_ffff_ffffn, 0x8000_0000_0000_0000n, 0xffff_ffff_ffff_ffffn, 0xffff_ffff_ffff_fffen,
  0xffff_ffff_8000_0000n, 0x0123_4567_89ab_cdefn,
];
const IMM_EDGE = [0, 1, -1, 2, 3, 31, 32, 63, 64, 0x7fff_ffff, -0x8000_0000, 0xffff, -2, 7];

const reg = fc.integer({ min: 0, max: 9 }) as fc.Arbitrary<Reg>;
const value = fc.oneof(fc.constantFrom(...EDGE), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));
const imm = fc.oneof(fc.constantFrom(...IMM_EDGE), fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }));

const ALU_OPS = [AluOp.ADD, AluOp.SUB, AluOp.MUL, AluOp.DIV, AluOp.OR, AluOp.AND, AluOp.LSH, AluOp.RSH, AluOp.NEG, AluOp.MOD, AluOp.XOR, AluOp.MOV, AluOp.ARSH];
const JMP_OPS = [JmpOp.JEQ, JmpOp.JGT, JmpOp.JGE, JmpOp.JSET, JmpOp.JNE, JmpOp.JSGT, JmpOp.JSGE, JmpOp.JLT, JmpOp.JLE, JmpOp.JSLT, JmpOp.JSLE];

/** One ALU instruction; the offset selects sdiv/smod or movsx where that exists. */
const aluInsn: fc.Arbitrary<Insn> = fc
  .record({
    cls: fc.constantFrom(Class.ALU, Class.ALU64),
    op: fc.constantFrom(...ALU_OPS),
    x: fc.boolean(),
    dst: reg,
    src: reg,
    imm,
    variant: fc.integer({ min: 0, max: 3 }),
  })
  .map(({ cls, op, x, dst, src, imm, variant }) => {
    if (op === AluOp.NEG) return insn(cls | op, dst);
    let off = 0;
    if ((op === AluOp.DIV || op === AluOp.MOD) && variant === 1) off = 1;
    if (op === AluOp.MOV && x) off = [0, 8, 16, cls === Class.ALU64 ? 32 : 0][variant]!;
    return x ? insn(cls | op | Source.X, dst, src, off) : insn(cls | op, dst, 0, off, imm);
  });

const endInsn: fc.Arbitrary<Insn> = fc
  .record({ kind: fc.integer({ min: 0, max: 2 }), dst: reg, bits: fc.constantFrom(16, 32, 64) })
  .map(({ kind, dst, bits }) =>
    insn([Class.ALU | AluOp.END | Source.K, Class.ALU | AluOp.END | Source.X, Class.ALU64 | AluOp.END][kind]!, dst, 0, 0, bits),
  );

/** A forward conditional jump; its offset is clamped to the program when assembled. */
const jmpInsn: fc.Arbitrary<Insn> = fc
  .record({ cls: fc.constantFrom(Class.JMP, Class.JMP32), op: fc.constantFrom(...JMP_OPS), x: fc.boolean(), dst: reg, src: reg, imm, off: fc.integer({ min: 0, max: 6 }) })
  .map(({ cls, op, x, dst, src, imm, off }) => (x ? insn(cls | op | Source.X, dst, src, off) : insn(cls | op, dst, 0, off, imm)));

/**
 * A byte swap whose result a shift and an or / add / xor of another register take next: known_zeros.ts
 * turns a 64-bit `or` of operands with no common set bit into an add (7f30e2eb: be64 was taken for a
 * 32-bit result there).
 */
const swapChain: fc.Arbitrary<Insn[]> = fc
  .record({ end: endInsn, other: reg, sh: fc.integer({ min: 0, max: 63 }), op: fc.constantFrom(AluOp.OR, AluOp.ADD, AluOp.XOR), first: fc.boolean() })
  .map(({ end, other, sh, op, first }) => [
    end,
    insn(Class.ALU64 | AluOp.LSH, other, 0, 0, sh),
    first ? insn(Class.ALU64 | op | Source.X, other, end.dst as Reg) : insn(Class.ALU64 | op | Source.X, end.dst as Reg, other),
  ]);

const one = (a: fc.Arbitrary<Insn>): fc.Arbitrary<Insn[]> => a.map((i) => [i]);

const program = fc
  .record({
    init: fc.array(value, { minLength: 10, maxLength: 10 }),
    pieces: fc.array(
      fc.oneof({ weight: 6, arbitrary: one(aluInsn) }, { weight: 1, arbitrary: one(endInsn) }, { weight: 2, arbitrary: one(jmpInsn) }, { weight: 1, arbitrary: swapChain }),
      { minLength: 1, maxLength: 24 },
    ),
  })
  .map(({ init, pieces }) => {
    const body = pieces.flat();
    const out: Insn[] = [];
    init.forEach((v, r) => out.push(...Ins.lddw(r as Reg, v)));
    const start = out.length;
    const end = start + body.length; // the first store below
    body.forEach((ins, i) => {
      const pc = start + i;
      const isJump = (ins.code & 0x07) === Class.JMP || (ins.code & 0x07) === Class.JMP32;
      out.push(isJump ? { ...ins, off: Math.min(ins.off, end - pc - 1) } : ins);
    });
    for (let r = 0; r <= 9; r++) out.push(Ins.stx('dw', 10, r as Reg, -8 * (r + 1)));
    out.push(Ins.exit());
    return out;
  });

// Each run compiles a module through binaryen (6-10 ms on this 2-core box; 0.2-0.5 s in its slow phases): 200 by default, more in CI
// (.ci/run sets WXDP_JIT_FUZZ_RUNS), with a time limit that grows with the count.
const RUNS = Number(process.env.WXDP_JIT_FUZZ_RUNS ?? 200);

describe('JIT vs reference interpreter on random arithmetic', () => {
  const clock = fuzzClock('JIT vs interpreter random arithmetic', RUNS);
  afterAll(() => clock.report());
  it('agree on every register', { timeout: Math.max(300_000, RUNS * 1_500) }, async () => {
    const helpers = new HelperTable();
    const memI = new EngineMemory();
    const memJ = new EngineMemory();
    const stack = (m: EngineMemory): string => Buffer.from(m.bytes().subarray(STACK_TOP - 80, STACK_TOP)).toString('hex');
    await fc.assert(
      fc.asyncProperty(program, async (p) => {
        if (!clock.more()) return;
        memI.clearStack();
        memJ.clearStack();
        const want = new Interpreter(p, { memory: memI, helpers }).run({ args: [], regions: [] }).r0;
        const got = (await compile(p, { memory: memJ, helpers })).run({ args: [], regions: [] }).r0;
        expect(got).toBe(want);
        expect(stack(memJ)).toBe(stack(memI));
      }),
      { numRuns: RUNS },
    );
  });
});
