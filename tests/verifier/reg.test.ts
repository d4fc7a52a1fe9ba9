// The verifier's scalar domain is sound: for registers holding ranges of values, and any concrete
// values drawn from them, the concrete result of every ALU operation (with the ISA's semantics) lies in
// the abstract result; and a branch refinement never drops a pair of values that takes the branch.
// Plus hand-worked cases from the kernel's reg_bounds_sync and is_branch_taken.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { branchTaken, refine, Reg, S64_MAX, S64_MIN, scalarAlu, U64_MAX, type Cmp } from '../../src/verifier/reg.js';
import { Tnum } from '../../src/verifier/tnum.js';

const M64 = (1n << 64n) - 1n;
const s64 = (x: bigint) => BigInt.asIntN(64, x);
const u64 = (x: bigint) => BigInt.asUintN(64, x);
const u32 = (x: bigint) => BigInt.asUintN(32, x);
const s32 = (x: bigint) => BigInt.asIntN(32, x);

/** A scalar register holding every value in [lo, hi] (unsigned). */
function rangeReg(lo: bigint, hi: bigint): Reg {
  const r = Reg.unknown();
  r.umin = lo;
  r.umax = hi;
  r.varOff = Tnum.range(lo, hi);
  r.sync();
  return r;
}

function contains(r: Reg, x: bigint): boolean {
  const v = u64(x);
  return (
    r.varOff.has(v) &&
    r.umin <= v &&
    v <= r.umax &&
    r.smin <= s64(v) &&
    s64(v) <= r.smax &&
    r.u32min <= u32(v) &&
    u32(v) <= r.u32max &&
    r.s32min <= s32(v) &&
    s32(v) <= r.s32max
  );
}

/** The ISA's result of dst OP src. */
function concrete(op: number, a: bigint, b: bigint, alu32: boolean): bigint {
  const w = alu32 ? 32n : 64n;
  const m = (1n << w) - 1n;
  const x = a & m;
  const y = b & m;
  const sx = BigInt.asIntN(Number(w), x);
  let r: bigint;
  switch (op) {
    case 0x00: r = x + y; break;
    case 0x10: r = x - y; break;
    case 0x20: r = x * y; break;
    case 0x30: r = y === 0n ? 0n : x / y; break;
    case 0x40: r = x | y; break;
    case 0x50: r = x & y; break;
    case 0x60: r = x << (y & (w - 1n)); break;
    case 0x70: r = x >> (y & (w - 1n)); break;
    case 0x90: r = y === 0n ? x : x % y; break;
    case 0xa0: r = x ^ y; break;
    case 0xc0: r = sx >> (y & (w - 1n)); break;
    default: throw new Error(`op ${op}`);
  }
  return r & m;
}

const bound = fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.bigInt({ min: 0n, max: (1n << 8n) - 1n }), fc.bigInt({ min: 0n, max: (1n << 16n) - 1n }), fc.bigInt({ min: 0n, max: (1n << 33n) - 1n }), fc.constantFrom(0n, 1n, M64, 1n << 63n, (1n << 63n) - 1n, 0xffffffffn, 0x80000000n));
const range = fc.tuple(bound, bound).map(([a, b]) => (a <= b ? [a, b] : [b, a]) as [bigint, bigint]);
const pick = (lo: bigint, hi: bigint, t: bigint) => lo + (hi === lo ? 0n : t % (hi - lo + 1n));

describe('scalar ALU is sound (the concrete result is in the abstract one)', () => {
  const OPS = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xc0];
  for (const alu32 of [false, true]) {
    it.each(OPS.map((op) => [op.toString(16), op] as const))(`${alu32 ? 'alu32' : 'alu64'} op 0x%s`, (_n, op) => {
      fc.assert(
        fc.property(range, range, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), ([alo, ahi], [blo, bhi], ta, tb) => {
          const isShift = op === 0x60 || op === 0x70 || op === 0xc0;
          const bits = alu32 ? 32n : 64n;
          if (isShift) {
            // The verifier reasons about shifts by a known, in-range amount (others reject or go unknown).
            blo = bhi = blo % bits;
          }
          const a = rangeReg(alo, ahi);
          const b = rangeReg(blo, bhi);
          const x = pick(alo, ahi, ta);
          const y = pick(blo, bhi, tb);
          const r = a.clone();
          scalarAlu(r, b, op, alu32);
          return contains(r, concrete(op, x, y, alu32));
        }),
        { numRuns: 400 },
      );
    });
  }
});

describe('branches', () => {
  const CMPS: Cmp[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'sgt', 'sge', 'slt', 'sle', 'set', 'nset'];
  const holds = (c: Cmp, x: bigint, y: bigint, is32: boolean): boolean => {
    const [a, b] = is32 ? [u32(x), u32(y)] : [u64(x), u64(y)];
    const [sa, sb] = is32 ? [s32(x), s32(y)] : [s64(x), s64(y)];
    switch (c) {
      case 'eq': return a === b;
      case 'ne': return a !== b;
      case 'gt': return a > b;
      case 'ge': return a >= b;
      case 'lt': return a < b;
      case 'le': return a <= b;
      case 'sgt': return sa > sb;
      case 'sge': return sa >= sb;
      case 'slt': return sa < sb;
      case 'sle': return sa <= sb;
      case 'set': return (a & b) !== 0n;
      case 'nset': return (a & b) === 0n;
    }
  };
  for (const is32 of [false, true]) {
    it.each(CMPS)(`${is32 ? 'jmp32' : 'jmp'} %s: is_branch_taken and the refinement keep every pair that takes the branch`, (c) => {
      fc.assert(
        fc.property(range, range, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), ([alo, ahi], [blo, bhi], ta, tb) => {
          const x = pick(alo, ahi, ta);
          const y = pick(blo, bhi, tb);
          const a = rangeReg(alo, ahi);
          const b = rangeReg(blo, bhi);
          const taken = branchTaken(a, b, c, is32);
          const h = holds(c, x, y, is32);
          if (taken === 1 && !h) return false;
          if (taken === 0 && h) return false;
          if (!h) return true;
          const ra = a.clone();
          const rb = b.clone();
          refine(ra, rb, c, is32);
          ra.sync();
          rb.sync();
          return contains(ra, x) && contains(rb, y);
        }),
        { numRuns: 400 },
      );
    });
  }
});

describe('hand-worked cases', () => {
  it('x & 0xff is [0, 255] with var_off (0x0; 0xff)', () => {
    const r = Reg.unknown();
    scalarAlu(r, Reg.known(0xffn), 0x50, false);
    expect([r.umin, r.umax, r.smin, r.smax, r.varOff.toString()]).toEqual([0n, 255n, 0n, 255n, '(0x0; 0xff)']);
  });

  it('div and mod compute no range, even of constants (Linux 6.18 logs `r3 /= 3` of r3=7 as scalar(): programs/xdp_calls insn 148)', () => {
    const r = Reg.unknown();
    scalarAlu(r, Reg.known(60n), 0x90, false);
    expect([r.umin, r.umax, r.varOff.isUnknown]).toEqual([0n, U64_MAX, true]);
    const d = rangeReg(0n, 255n);
    scalarAlu(d, Reg.known(4n), 0x30, false);
    expect([d.umin, d.umax, d.varOff.isUnknown]).toEqual([0n, U64_MAX, true]);
    const k = Reg.known(7n);
    scalarAlu(k, Reg.known(3n), 0x30, false);
    expect([k.umin, k.umax, k.smin, k.smax]).toEqual([0n, U64_MAX, S64_MIN, S64_MAX]);
  });

  it('a 32-bit add zero-extends: w1 = 0xffffffff + 1 is 0', () => {
    const r = Reg.known(0xffffffffn);
    scalarAlu(r, Reg.known(1n), 0x00, true);
    expect(r.isConst && r.varOff.value).toBe(0n);
  });

  it('u < 16 on an unknown gives [0, 15]; the other way [16, U64_MAX]', () => {
    const a = Reg.unknown();
    const k = Reg.known(16n);
    const t = a.clone();
    refine(t, k.clone(), 'lt', false);
    t.sync();
    expect([t.umin, t.umax, t.varOff.toString()]).toEqual([0n, 15n, '(0x0; 0xf)']);
    const f = a.clone();
    refine(f, k.clone(), 'ge', false);
    f.sync();
    expect([f.umin, f.umax]).toEqual([16n, M64]);
  });

  it('is_branch_taken: [0, 15] > 15 never, [16, 20] >= 16 always, a signed compare that may go either way', () => {
    expect(branchTaken(rangeReg(0n, 15n), Reg.known(15n), 'gt', false)).toBe(0);
    expect(branchTaken(rangeReg(16n, 20n), Reg.known(16n), 'ge', false)).toBe(1);
    expect(branchTaken(Reg.unknown(), Reg.known(0n), 'slt', false)).toBe(-1);
  });
});
