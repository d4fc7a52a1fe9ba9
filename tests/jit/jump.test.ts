// Jumps and control flow: JMP / JMP32 comparisons (RFC 9669 §4.3), ja / ja32, loops and an
// irreducible CFG lowered through binaryen's Relooper.

import { describe, expect, it } from 'vitest';
import { Alu64, Ins, Jmp, Jmp32, type Insn } from '../../src/isa/insn.js';
import { type Piece, r0Of } from './harness.js';
import { MAY_GOTO_PROGRAMS } from '../support/may_goto.js';

const U64_MAX = 0xffff_ffff_ffff_ffffn;

/** r0 = 1 when `jump` (a test of r1 against r2 or an imm, offset +2) is taken, else 0. */
const taken = (a: bigint, b: bigint, jump: Insn): Piece[] => [
  Ins.lddw(1, a),
  Ins.lddw(2, b),
  jump, //              → mov r0, 1
  Alu64.mov.imm(0, 0),
  Ins.exit(),
  Alu64.mov.imm(0, 1),
  Ins.exit(),
];

describe('JIT conditional jumps', () => {
  type Case = [string, bigint, bigint, Insn, boolean];
  it.each<Case>([
    // 64-bit, register operands
    ['jeq equal', 5n, 5n, Jmp.jeq.reg(1, 2, 2), true],
    ['jne equal', 5n, 5n, Jmp.jne.reg(1, 2, 2), false],
    ['jgt is unsigned: 2^64-1 > 1', U64_MAX, 1n, Jmp.jgt.reg(1, 2, 2), true],
    ['jsgt is signed: -1 > 1 is false', U64_MAX, 1n, Jmp.jsgt.reg(1, 2, 2), false],
    ['jge equal', 7n, 7n, Jmp.jge.reg(1, 2, 2), true],
    ['jsge: -1 >= -1', U64_MAX, U64_MAX, Jmp.jsge.reg(1, 2, 2), true],
    ['jlt is unsigned: 1 < 2^64-1', 1n, U64_MAX, Jmp.jlt.reg(1, 2, 2), true],
    ['jslt is signed: 1 < -1 is false', 1n, U64_MAX, Jmp.jslt.reg(1, 2, 2), false],
    ['jle: 3 <= 2 is false', 3n, 2n, Jmp.jle.reg(1, 2, 2), false],
    ['jsle: INT64_MIN <= 0', 1n << 63n, 0n, Jmp.jsle.reg(1, 2, 2), true],
    ['jset: 0b1010 & 0b0010 ≠ 0', 0b1010n, 0b0010n, Jmp.jset.reg(1, 2, 2), true],
    ['jset: 0b1010 & 0b0101 = 0', 0b1010n, 0b0101n, Jmp.jset.reg(1, 2, 2), false],
    ['jset sees the upper half', 1n << 40n, 1n << 40n, Jmp.jset.reg(1, 2, 2), true],
    // 64-bit, immediates are sign-extended to 64 bits
    ['jeq imm -1 matches 2^64-1', U64_MAX, 0n, Jmp.jeq.imm(1, -1, 2), true],
    ['jeq imm -1 does not match 0xffffffff', 0xffff_ffffn, 0n, Jmp.jeq.imm(1, -1, 2), false],
    ['jgt imm -1 compares against 2^64-1: 5 > 2^64-1 is false', 5n, 0n, Jmp.jgt.imm(1, -1, 2), false],
    ['jsgt imm -1: 0 > -1', 0n, 0n, Jmp.jsgt.imm(1, -1, 2), true],
    // 32-bit: only the low halves, signed compares as s32
    ['jeq32 ignores the upper half: 2^32 == 0', 1n << 32n, 0n, Jmp32.jeq.imm(1, 0, 2), true],
    ['jeq32 imm -1 matches 0xffffffff', 0xffff_ffffn, 0n, Jmp32.jeq.imm(1, -1, 2), true],
    ['jslt32: 0x80000000 is negative as s32', 0x8000_0000n, 0n, Jmp32.jslt.imm(1, 0, 2), true],
    ['jslt (64-bit) on the same value is false', 0x8000_0000n, 0n, Jmp.jslt.imm(1, 0, 2), false],
    ['jgt32: 0x1_00000001 > 0xffffffff is false (1 > 0xffffffff)', 0x1_0000_0001n, 0xffff_ffffn, Jmp32.jgt.reg(1, 2, 2), false],
    ['jsge32: 0x7fffffff >= 0x80000000 (max >= min)', 0x7fff_ffffn, 0x8000_0000n, Jmp32.jsge.reg(1, 2, 2), true],
    ['jset32 ignores the upper half', 1n << 32n, 1n << 32n, Jmp32.jset.reg(1, 2, 2), false],
    ['jne32', 0xdead_0000_0000_0001n, 1n, Jmp32.jne.reg(1, 2, 2), false],
    ['jle32: 0xffffffff <= 1 is false (unsigned)', 0xffff_ffffn, 1n, Jmp32.jle.imm(1, 1, 2), false],
    ['jsle32: 0xffffffff <= 1 (-1 <= 1)', 0xffff_ffffn, 1n, Jmp32.jsle.imm(1, 1, 2), true],
    ['jlt32', 2n, 3n, Jmp32.jlt.reg(1, 2, 2), true],
    ['jge32', 2n, 3n, Jmp32.jge.reg(1, 2, 2), false],
    ['jsgt32: 1 > 0xffffffff (1 > -1)', 1n, 0xffff_ffffn, Jmp32.jsgt.reg(1, 2, 2), true],
  ])('%s', async (_name, a, b, jump, want) => {
    expect(await r0Of(taken(a, b, jump))).toBe(want ? 1n : 0n);
  });

  it('a conditional jump whose target is the next instruction', async () => {
    expect(await r0Of([Alu64.mov.imm(0, 3), Jmp.jeq.imm(0, 3, 0), Ins.exit()])).toBe(3n);
  });
});

describe('JIT unconditional jumps', () => {
  it('ja skips forward by off', async () => {
    expect(await r0Of([Alu64.mov.imm(0, 1), Ins.ja(1), Alu64.mov.imm(0, 2), Ins.exit()])).toBe(1n);
  });

  it('ja32 (JMP32 | JA) takes its offset from imm', async () => {
    expect(await r0Of([Alu64.mov.imm(0, 1), Ins.ja32(1), Alu64.mov.imm(0, 2), Ins.exit()])).toBe(1n);
  });

  it('ja over an ld_imm64 counts both of its slots', async () => {
    expect(await r0Of([Alu64.mov.imm(0, 1), Ins.ja(2), Ins.lddw(0, 9n), Ins.exit()])).toBe(1n);
  });
});

describe('JIT loops', () => {
  it('a backward jump: sum of 1..10 = 55', async () => {
    const p = [
      Alu64.mov.imm(0, 0), //   0
      Alu64.mov.imm(1, 10), //  1
      Alu64.add.reg(0, 1), //   2: loop
      Alu64.sub.imm(1, 1), //   3
      Jmp.jne.imm(1, 0, -3), // 4: → 2
      Ins.exit(), //            5
    ];
    expect(await r0Of(p)).toBe(55n);
  });

  it('nested loops: 7 × 9 increments = 63', async () => {
    const p = [
      Alu64.mov.imm(0, 0), //    0
      Alu64.mov.imm(1, 7), //    1
      Alu64.mov.imm(2, 9), //    2: outer
      Alu64.add.imm(0, 1), //    3: inner
      Alu64.sub.imm(2, 1), //    4
      Jmp.jne.imm(2, 0, -3), //  5: → 3
      Alu64.sub.imm(1, 1), //    6
      Jmp.jne.imm(1, 0, -6), //  7: → 2
      Ins.exit(), //             8
    ];
    expect(await r0Of(p)).toBe(63n);
  });

  it('a loop entered at two places (irreducible CFG)', async () => {
    // A (slot 3) and B (slot 5) form one cycle A → B → A; slot 2 enters it at A or at B.
    const p = [
      Alu64.mov.imm(0, 0), //   0
      Alu64.mov.imm(2, 3), //   1
      Jmp.jne.imm(1, 0, 2), //  2: r1 ≠ 0 → B
      Alu64.add.imm(0, 1), //   3: A
      Jmp.jeq.imm(2, 0, 3), //  4: r2 = 0 → exit (8)
      Alu64.add.imm(0, 10), //  5: B
      Alu64.sub.imm(2, 1), //   6
      Ins.ja(-5), //            7: → A
      Ins.exit(), //            8
    ];
    // Entering at A: A B A B A B A → 1 + 10 + 1 + 10 + 1 + 10 + 1 = 34
    expect(await r0Of(p, { args: [0n] })).toBe(34n);
    // Entering at B: B A B A B A → 10 + 1 + 10 + 1 + 10 + 1 = 33
    expect(await r0Of(p, { args: [1n] })).toBe(33n);
  });

  it('three blocks jumping into each other in a ring with a switch-like entry', async () => {
    // r1 picks the entry (0 → X, 1 → Y, else Z); X → Y → Z → X until r2 counts down from 5.
    // Each of X, Y, Z appends its digit: r0 = r0 * 10 + digit.
    const p = [
      Alu64.mov.imm(0, 0), //      0
      Alu64.mov.imm(2, 5), //      1
      Jmp.jeq.imm(1, 0, 3), //     2: → X (6)
      Jmp.jeq.imm(1, 1, 7), //     3: → Y (11)
      Ins.ja(10), //               4: → Z (15)
      Ins.exit(), //               5: (unreachable)
      Alu64.mul.imm(0, 10), //     6: X
      Alu64.add.imm(0, 1), //      7
      Alu64.sub.imm(2, 1), //      8
      Jmp.jeq.imm(2, 0, 10), //    9: → out (20)
      Ins.ja(0), //               10: → Y
      Alu64.mul.imm(0, 10), //    11: Y
      Alu64.add.imm(0, 2), //     12
      Alu64.sub.imm(2, 1), //     13
      Jmp.jeq.imm(2, 0, 5), //    14: → out (20)
      Alu64.mul.imm(0, 10), //    15: Z
      Alu64.add.imm(0, 3), //     16
      Alu64.sub.imm(2, 1), //     17
      Jmp.jeq.imm(2, 0, 1), //    18: → out (20)
      Ins.ja(-14), //             19: → X (6)
      Ins.exit(), //              20: out
    ];
    // five digits starting at the entry block, cycling 1 → 2 → 3 → 1
    expect(await r0Of(p, { args: [0n] })).toBe(12312n);
    expect(await r0Of(p, { args: [1n] })).toBe(23123n);
    expect(await r0Of(p, { args: [2n] })).toBe(31231n);
  });

  it('prime.data (bpf-conformance): 67 is prime, 66 is not', async () => {
    const { primeProgram } = await import('./prime.js');
    expect(await r0Of(primeProgram(67))).toBe(1n);
    expect(await r0Of(primeProgram(66))).toBe(0n);
    expect(await r0Of(primeProgram(2))).toBe(1n);
  });
});

describe('JIT may_goto', () => {
  it.each(MAY_GOTO_PROGRAMS)('%s', async (_name, pieces, want) => {
    expect(await r0Of(pieces)).toBe(want);
  });
});
