// ALU and ALU64 semantics of the JIT. Every expected value is derived by hand from RFC 9669 §4:
// 64-bit ops wrap modulo 2^64, ALU32 ops work on the low halves and zero-extend, K operands are the
// immediate sign-extended to 64 bits (then truncated to 32 for ALU32).

import { describe, expect, it } from 'vitest';
import { Alu32, Alu64, Ins, type Insn } from '../../src/isa/insn.js';
import { AluOp, Class, Source } from '../../src/isa/opcodes.js';
import { type Piece, r0Of, raw } from './harness.js';

const U64_MAX = 0xffff_ffff_ffff_ffffn;
const INT64_MIN = 0x8000_0000_0000_0000n;

/** r0 = a; r1 = b; <op>; exit */
const binary = (a: bigint, b: bigint, op: Insn): Piece[] => [Ins.lddw(0, a), Ins.lddw(1, b), op, Ins.exit()];
/** r0 = a; <op>; exit */
const unary = (a: bigint, op: Insn): Piece[] => [Ins.lddw(0, a), op, Ins.exit()];

const sdiv64 = (dst: 0, src: 1): Insn => raw(Class.ALU64 | AluOp.DIV | Source.X, dst, src, 1);
const smod64 = (dst: 0, src: 1): Insn => raw(Class.ALU64 | AluOp.MOD | Source.X, dst, src, 1);
const sdiv32 = (dst: 0, src: 1): Insn => raw(Class.ALU | AluOp.DIV | Source.X, dst, src, 1);
const smod32 = (dst: 0, src: 1): Insn => raw(Class.ALU | AluOp.MOD | Source.X, dst, src, 1);
const sdiv64k = (imm: number): Insn => raw(Class.ALU64 | AluOp.DIV | Source.K, 0, 0, 1, imm);
const smod64k = (imm: number): Insn => raw(Class.ALU64 | AluOp.MOD | Source.K, 0, 0, 1, imm);
const sdiv32k = (imm: number): Insn => raw(Class.ALU | AluOp.DIV | Source.K, 0, 0, 1, imm);
const smod32k = (imm: number): Insn => raw(Class.ALU | AluOp.MOD | Source.K, 0, 0, 1, imm);

describe('JIT ALU64', () => {
  it.each<[string, Piece[], bigint]>([
    ['add wraps at 2^64: (2^64-1) + 2 = 1', unary(U64_MAX, Alu64.add.imm(0, 2)), 1n],
    ['add imm -1 is sign-extended: 0 + (-1) = 2^64-1', unary(0n, Alu64.add.imm(0, -1)), U64_MAX],
    ['sub below zero wraps: 1 - 2 = 2^64-1', unary(1n, Alu64.sub.imm(0, 2)), U64_MAX],
    ['mul wraps: 2^32 * 2^32 = 2^64 ≡ 0', binary(1n << 32n, 1n << 32n, Alu64.mul.reg(0, 1)), 0n],
    ['mul by -1 negates: 5 * (-1) = 2^64-5', unary(5n, Alu64.mul.imm(0, -1)), U64_MAX - 4n],
    ['and imm -1 keeps all 64 bits (sign-extended mask)', unary(0x1234_5678_9abc_def0n, Alu64.and.imm(0, -1)), 0x1234_5678_9abc_def0n],
    ['or imm 0x80000000 sets the upper half too (sign extension)', unary(0n, Alu64.or.imm(0, -0x8000_0000)), 0xffff_ffff_8000_0000n],
    ['xor', binary(0xff00n, 0x0ff0n, Alu64.xor.reg(0, 1)), 0xf0f0n],
    ['mov imm -1 = 2^64-1', [Alu64.mov.imm(0, -1), Ins.exit()], U64_MAX],
    ['mov reg copies 64 bits', binary(0n, U64_MAX - 1n, Alu64.mov.reg(0, 1)), U64_MAX - 1n],
    ['neg 1 = 2^64-1', unary(1n, Ins.neg64(0)), U64_MAX],
    ['neg INT64_MIN = INT64_MIN', unary(INT64_MIN, Ins.neg64(0)), INT64_MIN],
    ['ld_imm64 with the top bit set reads back unsigned', [Ins.lddw(0, 0x8000_0000_0000_0001n), Ins.exit()], 0x8000_0000_0000_0001n],
  ])('%s', async (_name, p, want) => {
    expect(await r0Of(p)).toBe(want);
  });
});

describe('JIT ALU32 zero-extends into the 64-bit register', () => {
  it.each<[string, Piece[], bigint]>([
    ['add32: low half 0xffffffff + 1 = 0, upper half cleared', unary(U64_MAX, Alu32.add.imm(0, 1)), 0n],
    ['sub32: 0 - 1 = 0xffffffff', unary(0n, Alu32.sub.imm(0, 1)), 0xffff_ffffn],
    ['mul32: 0x10000 * 0x10000 = 2^32 ≡ 0', unary(0x1_0000n, Alu32.mul.imm(0, 0x1_0000)), 0n],
    ['mov32 imm -1 = 0xffffffff (not sign-extended to 64)', [Alu32.mov.imm(0, -1), Ins.exit()], 0xffff_ffffn],
    ['mov32 reg drops the upper half', binary(0n, 0xdead_beef_1234_5678n, Alu32.mov.reg(0, 1)), 0x1234_5678n],
    ['and32 with imm -1 clears the upper half', unary(0xdead_beef_1234_5678n, Alu32.and.imm(0, -1)), 0x1234_5678n],
    ['or32', unary(0xffff_ffff_0000_0000n, Alu32.or.imm(0, 1)), 1n],
    ['xor32', unary(0xffff_ffff_0000_00ffn, Alu32.xor.imm(0, 0xff)), 0n],
    ['neg32 1 = 0xffffffff', unary(1n, Ins.neg32(0)), 0xffff_ffffn],
    ['neg32 2^32 = 0 (the low half is 0)', unary(1n << 32n, Ins.neg32(0)), 0n],
  ])('%s', async (_name, p, want) => {
    expect(await r0Of(p)).toBe(want);
  });
});

describe('JIT division and modulo (RFC 9669 §4.1)', () => {
  it.each<[string, Piece[], bigint]>([
    // unsigned, 64-bit
    ['div by register 0 = 0', binary(7n, 0n, Alu64.div.reg(0, 1)), 0n],
    ['div by imm 0 = 0', unary(7n, Alu64.div.imm(0, 0)), 0n],
    ['mod by register 0 leaves dst (all 64 bits)', binary(0x1_0000_0007n, 0n, Alu64.mod.reg(0, 1)), 0x1_0000_0007n],
    ['mod by imm 0 leaves dst', unary(0x1_0000_0007n, Alu64.mod.imm(0, 0)), 0x1_0000_0007n],
    ['div, both fit in 32 bits: 100 / 7 = 14', binary(100n, 7n, Alu64.div.reg(0, 1)), 14n],
    ['mod, both fit in 32 bits: 100 % 7 = 2', binary(100n, 7n, Alu64.mod.reg(0, 1)), 2n],
    ['div, 64-bit dividend: (2^64-1) / 3 = 0x5555555555555555', binary(U64_MAX, 3n, Alu64.div.reg(0, 1)), 0x5555_5555_5555_5555n],
    ['mod, 64-bit dividend: (2^64-1) % 10 = 5 (18446744073709551615)', binary(U64_MAX, 10n, Alu64.mod.reg(0, 1)), 5n],
    ['div, 64-bit divisor: 2^40 / 2^33 = 128', binary(1n << 40n, 1n << 33n, Alu64.div.reg(0, 1)), 128n],
    ['div, only the divisor is wide: 5 / 2^32 = 0', binary(5n, 1n << 32n, Alu64.div.reg(0, 1)), 0n],
    ['div is unsigned: (2^64-1) / 2 = 2^63-1', binary(U64_MAX, 2n, Alu64.div.reg(0, 1)), (1n << 63n) - 1n],
    ['div imm -1 divides by 2^64-1: 5 / (2^64-1) = 0', unary(5n, Alu64.div.imm(0, -1)), 0n],
    ['div imm -1: (2^64-1) / (2^64-1) = 1', unary(U64_MAX, Alu64.div.imm(0, -1)), 1n],
    ['mod imm -1: (2^64-2) % (2^64-1) = 2^64-2', unary(U64_MAX - 1n, Alu64.mod.imm(0, -1)), U64_MAX - 1n],
    // unsigned, 32-bit
    ['div32 by register 0 = 0 (upper half of dst dropped)', binary(0xffff_ffff_0000_0007n, 0n, Alu32.div.reg(0, 1)), 0n],
    ['mod32 by register 0 = low half of dst, zero-extended', binary(0xffff_ffff_0000_0007n, 0n, Alu32.mod.reg(0, 1)), 7n],
    ['mod32 by imm 0 = low half of dst', unary(0xffff_ffff_0000_0007n, Alu32.mod.imm(0, 0)), 7n],
    ['div32 by a register whose low half is 0 (2^32) = 0', binary(9n, 1n << 32n, Alu32.div.reg(0, 1)), 0n],
    ['div32 is unsigned: 0xfffffffe / 2 = 0x7fffffff', unary(0xffff_fffen, Alu32.div.imm(0, 2)), 0x7fff_ffffn],
    ['div32 imm -1 divides by 0xffffffff: 0xfffffffe / 0xffffffff = 0', unary(0xffff_fffen, Alu32.div.imm(0, -1)), 0n],
    // signed (offset 1), 64-bit
    ['sdiv INT64_MIN / -1 = INT64_MIN (wasm div_s would trap)', binary(INT64_MIN, U64_MAX, sdiv64(0, 1)), INT64_MIN],
    ['smod INT64_MIN % -1 = 0', binary(INT64_MIN, U64_MAX, smod64(0, 1)), 0n],
    ['sdiv imm: INT64_MIN / -1 = INT64_MIN', unary(INT64_MIN, sdiv64k(-1)), INT64_MIN],
    ['smod imm: INT64_MIN % -1 = 0', unary(INT64_MIN, smod64k(-1)), 0n],
    ['sdiv by 0 = 0', binary(-7n, 0n, sdiv64(0, 1)), 0n],
    ['smod by 0 leaves dst', binary(BigInt.asUintN(64, -7n), 0n, smod64(0, 1)), BigInt.asUintN(64, -7n)],
    ['sdiv truncates toward zero: -7 / 2 = -3', binary(BigInt.asUintN(64, -7n), 2n, sdiv64(0, 1)), BigInt.asUintN(64, -3n)],
    ['smod takes the dividend sign: -7 % 2 = -1', binary(BigInt.asUintN(64, -7n), 2n, smod64(0, 1)), U64_MAX],
    ['smod: 7 % -2 = 1', binary(7n, BigInt.asUintN(64, -2n), smod64(0, 1)), 1n],
    ['sdiv imm: 9 / -3 = -3', unary(9n, sdiv64k(-3)), BigInt.asUintN(64, -3n)],
    ['sdiv by -1 in general negates: 5 / -1 = -5', binary(5n, U64_MAX, sdiv64(0, 1)), BigInt.asUintN(64, -5n)],
    // signed, 32-bit: operands are the low halves as s32, the result is zero-extended
    ['sdiv32 INT32_MIN / -1 = INT32_MIN, zero-extended', binary(0x8000_0000n, 0xffff_ffffn, sdiv32(0, 1)), 0x8000_0000n],
    ['smod32 INT32_MIN % -1 = 0', binary(0x8000_0000n, 0xffff_ffffn, smod32(0, 1)), 0n],
    ['sdiv32 imm: INT32_MIN / -1 = INT32_MIN', unary(0x8000_0000n, sdiv32k(-1)), 0x8000_0000n],
    ['smod32 imm: INT32_MIN % -1 = 0', unary(0x8000_0000n, smod32k(-1)), 0n],
    ['sdiv32 by 0 = 0', binary(0xffff_ffff_ffff_fff9n, 0n, sdiv32(0, 1)), 0n],
    ['smod32 by 0 = low half of dst', binary(0x1234_5678_ffff_fff9n, 0n, smod32(0, 1)), 0xffff_fff9n],
    ['sdiv32: -7 / 2 = -3 as u32', binary(0xffff_fff9n, 2n, sdiv32(0, 1)), 0xffff_fffdn],
    ['smod32: -7 % 2 = -1 as u32', binary(0xffff_fff9n, 2n, smod32(0, 1)), 0xffff_ffffn],
    ['sdiv32 ignores the upper halves: (2^32 + 6) / (2^32 + 3) = 6 / 3 = 2', binary((1n << 32n) + 6n, (1n << 32n) + 3n, sdiv32(0, 1)), 2n],
  ])('%s', async (_name, p, want) => {
    expect(await r0Of(p)).toBe(want);
  });
});

describe('JIT shifts mask the count (64: & 63, 32: & 31)', () => {
  it.each<[string, Piece[], bigint]>([
    ['lsh by register 65 = lsh 1', binary(1n, 65n, Alu64.lsh.reg(0, 1)), 2n],
    ['lsh by register 64 = lsh 0', binary(3n, 64n, Alu64.lsh.reg(0, 1)), 3n],
    ['rsh by register 68 = rsh 4', binary(0xf0n, 68n, Alu64.rsh.reg(0, 1)), 0xfn],
    ['rsh is logical: 2^63 >> 63 = 1', binary(INT64_MIN, 63n, Alu64.rsh.reg(0, 1)), 1n],
    ['arsh by register 127 = arsh 63: INT64_MIN → all ones', binary(INT64_MIN, 127n, Alu64.arsh.reg(0, 1)), U64_MAX],
    ['arsh by imm 4: -16 >> 4 = -1', unary(BigInt.asUintN(64, -16n), Alu64.arsh.imm(0, 4)), U64_MAX],
    ['lsh by a huge register count (2^32 + 1) = lsh 1', binary(1n, (1n << 32n) + 1n, Alu64.lsh.reg(0, 1)), 2n],
    ['lsh32 by register 33 = lsh 1', binary(1n, 33n, Alu32.lsh.reg(0, 1)), 2n],
    ['lsh32 drops bits shifted past bit 31', binary(0x8000_0001n, 1n, Alu32.lsh.reg(0, 1)), 2n],
    ['rsh32 uses only the low half: 0xffffffff_80000000 >> (63 & 31 = 31) = 1', binary(0xffff_ffff_8000_0000n, 63n, Alu32.rsh.reg(0, 1)), 1n],
    ['arsh32 by 35 = arsh 3: 0x80000000 → 0xf0000000', binary(0x8000_0000n, 35n, Alu32.arsh.reg(0, 1)), 0xf000_0000n],
    ['arsh32 sign comes from bit 31, not bit 63', binary(0x8000_0000_7fff_ffffn, 31n, Alu32.arsh.reg(0, 1)), 0n],
    ['lsh32 by imm 31', unary(1n, Alu32.lsh.imm(0, 31)), 0x8000_0000n],
  ])('%s', async (_name, p, want) => {
    expect(await r0Of(p)).toBe(want);
  });
});

describe('JIT movsx (MOV with offset 8/16/32)', () => {
  const movsx64 = (off: number): Insn => raw(Class.ALU64 | AluOp.MOV | Source.X, 0, 1, off);
  const movsx32 = (off: number): Insn => raw(Class.ALU | AluOp.MOV | Source.X, 0, 1, off);
  it.each<[string, Piece[], bigint]>([
    ['movsx64 8: 0x80 → 0xffffffffffffff80', binary(0n, 0x80n, movsx64(8)), 0xffff_ffff_ffff_ff80n],
    ['movsx64 8 uses only the low byte: 0x17f → 0x7f', binary(0n, 0x17fn, movsx64(8)), 0x7fn],
    ['movsx64 16: 0x8000 → 0xffffffffffff8000', binary(0n, 0x8000n, movsx64(16)), 0xffff_ffff_ffff_8000n],
    ['movsx64 32: 0x80000000 → 0xffffffff80000000', binary(0n, 0x8000_0000n, movsx64(32)), 0xffff_ffff_8000_0000n],
    ['movsx64 32: 0x1_7fffffff → 0x7fffffff', binary(0n, 0x1_7fff_ffffn, movsx64(32)), 0x7fff_ffffn],
    ['movsx32 8: 0x180 → 0xffffff80, zero-extended', binary(U64_MAX, 0x180n, movsx32(8)), 0xffff_ff80n],
    ['movsx32 16: 0x8001 → 0xffff8001, zero-extended', binary(0n, 0xdead_0000_0000_8001n, movsx32(16)), 0xffff_8001n],
    ['movsx32 16: 0x7fff stays 0x7fff', binary(0n, 0x7fffn, movsx32(16)), 0x7fffn],
  ])('%s', async (_name, p, want) => {
    expect(await r0Of(p)).toBe(want);
  });
});

describe('JIT byte order (END): to-LE truncates, to-BE and bswap swap', () => {
  const V = 0x0123_4567_89ab_cdefn;
  const le = (bits: number): Insn => raw(Class.ALU | AluOp.END | Source.K, 0, 0, 0, bits);
  const be = (bits: number): Insn => raw(Class.ALU | AluOp.END | Source.X, 0, 0, 0, bits);
  const bswap = (bits: number): Insn => raw(Class.ALU64 | AluOp.END | Source.K, 0, 0, 0, bits);
  it.each<[string, Insn, bigint]>([
    ['le16 keeps the low 16 bits', le(16), 0xcdefn],
    ['le32 keeps the low 32 bits', le(32), 0x89ab_cdefn],
    ['le64 is a no-op on a little-endian host', le(64), V],
    ['be16 swaps the low 2 bytes, zero-extended', be(16), 0xefcdn],
    ['be32 swaps the low 4 bytes, zero-extended', be(32), 0xefcd_ab89n],
    ['be64 swaps all 8 bytes', be(64), 0xefcd_ab89_6745_2301n],
    ['bswap16 (ALU64)', bswap(16), 0xefcdn],
    ['bswap32 (ALU64)', bswap(32), 0xefcd_ab89n],
    ['bswap64 (ALU64)', bswap(64), 0xefcd_ab89_6745_2301n],
  ])('%s', async (_name, op, want) => {
    expect(await r0Of(unary(V, op))).toBe(want);
  });

  it('bswap64 moves a high-bit byte from the top to the bottom', async () => {
    // 0x80 00 00 00 00 00 00 01 reversed = 0x01 00 00 00 00 00 00 80
    expect(await r0Of(unary(0x8000_0000_0000_0001n, bswap(64)))).toBe(0x0100_0000_0000_0080n);
  });
});

describe('JIT entry', () => {
  it('r1–r5 come from args (missing = 0) and r10 is the top of the stack', async () => {
    // r0 = r1 + 2*r2 + 3*r3 + 4*r4 + 5*r5 with args [1, 10, 100] → 1 + 20 + 300 = 321
    const p = [
      Alu64.mov.reg(0, 1),
      Alu64.mul.imm(2, 2), Alu64.add.reg(0, 2),
      Alu64.mul.imm(3, 3), Alu64.add.reg(0, 3),
      Alu64.mul.imm(4, 4), Alu64.add.reg(0, 4),
      Alu64.mul.imm(5, 5), Alu64.add.reg(0, 5),
      Ins.exit(),
    ];
    expect(await r0Of(p, { args: [1n, 10n, 100n] })).toBe(321n);
    expect(await r0Of([Alu64.mov.reg(0, 10), Ins.exit()])).toBe(0x2000n); // STACK_TOP
  });

  it('args above 2^63 pass through unchanged', async () => {
    expect(await r0Of([Alu64.mov.reg(0, 1), Ins.exit()], { args: [U64_MAX - 1n] })).toBe(U64_MAX - 1n);
  });
});

// clang's `r <<= 32; r >>= 32` (s>>= 32) pair is lowered as one extension of the low half (emit.ts
// `extension`): the same value as the two shifts, and only when both are one register's, in one block.
describe('JIT 32-bit extension pairs', () => {
  const V = 0xdead_beef_8765_4321n;
  const pair = (a: bigint, ...ops: Insn[]): Piece[] => [Ins.lddw(0, a), ...ops, Ins.exit()];
  it.each<[string, Piece[], bigint]>([
    ['lsh 32, rsh 32 zero-extends the low half', pair(V, Alu64.lsh.imm(0, 32), Alu64.rsh.imm(0, 32)), 0x8765_4321n],
    ['lsh 32, arsh 32 sign-extends the low half', pair(V, Alu64.lsh.imm(0, 32), Alu64.arsh.imm(0, 32)), 0xffff_ffff_8765_4321n],
    ['lsh 32, arsh 32 of a positive low half', pair(0xffff_ffff_1234_5678n, Alu64.lsh.imm(0, 32), Alu64.arsh.imm(0, 32)), 0x1234_5678n],
    ['lsh 32, rsh 31 is two shifts', pair(V, Alu64.lsh.imm(0, 32), Alu64.rsh.imm(0, 31)), 0x1_0eca_8642n],
    ['lsh 32 of r0, rsh 32 of r1: two registers', [Ins.lddw(0, V), Ins.lddw(1, 5n << 32n), Alu64.lsh.imm(0, 32), Alu64.rsh.imm(1, 32), Alu64.add.reg(0, 1), Ins.exit()], 0x8765_4321_0000_0005n],
    // the ja lands on the rsh: that path shifts r0 right only
    ['a jump to the second shift skips the first', pair(V, Ins.ja(1), Alu64.lsh.imm(0, 32), Alu64.rsh.imm(0, 32)), 0xdead_beefn],
  ])('%s', async (_name, p, want) => {
    expect(await r0Of(p)).toBe(want);
  });
});
