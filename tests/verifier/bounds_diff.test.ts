// Differential check of the verifier's scalar domain: the code in src/verifier (reg.ts, tnum.ts), with its
// fast paths, against the BigInt implementation it replaced (tests/verifier/reference/, kept unchanged but
// for eight semantic changes made in both: div/mod by a constant compute no range, as in Linux 6.18; where
// no range is computed (div, mod, a shift by an unknown amount) an ALU32 result is not zero-extended
// either (all 64 bits unknown: adjust_scalar_min_max_vals returns before the zero extension); an
// s64 range across the sign boundary narrows by a u64 range on one side of it, as since Linux 6.17; a
// sign-extending load or move sets the s32 bounds with the s64 ones, as coerce_reg_to_size_sx does, and of
// 4 bytes to 64 bits starts from the s32 bounds, as 6.18.44's does, and of 1 or 2 bytes takes the low
// bytes' range where the bounds agree above them (coerce_(sub)reg_to_size_sx, a 32-bit move from the s32
// bounds); 6.18.y's
// single-value rule, which also un-crosses the crossed bounds of a constant or unknown tnum; a 64-bit JEQ /
// JNE decided by 32-bit ranges that do not meet, as is_scalar_branch_taken does; __reg32_deduce_bounds' rule
// for an s64 range's low halves (a u32 range only when they form one) and its special case of upper halves
// one apart; an s32 range across the sign boundary narrowed by a u32 range on one side of it, as at 64 bits).
// Random 64-bit values and ranges, edge values mixed in, go through the same operations on both — the
// ALU ops at both widths, branch refinement and is_branch_taken, truncation and sign extension, pointer
// bounds, reg_bounds_sync on arbitrary (even inconsistent) bounds, regsafe's range test — and every
// bound, the tnum and the log's text must come out equal. Seeded: a failure names its seed and step.

import { describe, expect, it } from 'vitest';
import * as New from '../../src/verifier/reg.js';
import { Tnum as NewTnum } from '../../src/verifier/tnum.js';
import * as Old from './reference/reg_bigint.js';
import { Tnum as OldTnum } from './reference/tnum_bigint.js';

/** xorshift128+: deterministic 64-bit randomness. */
class Rng {
  private a: bigint;
  private b: bigint;
  constructor(seed: number) {
    this.a = BigInt(seed) * 0x9e3779b97f4a7c15n + 1n;
    this.b = BigInt(seed) ^ 0xdeadbeefcafebaben;
    for (let i = 0; i < 8; i++) this.u64();
  }
  u64(): bigint {
    let x = this.a;
    const y = this.b;
    this.a = y;
    x = BigInt.asUintN(64, x ^ (x << 23n));
    this.b = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    return BigInt.asUintN(64, this.b + y);
  }
  int(n: number): number {
    return Number(this.u64() % BigInt(n));
  }
}

const EDGES = [0n, 1n, 2n, 7n, 8n, 0xffn, 0x100n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n, (1n << 64n) - 2n, 0xffffffff80000000n, 0xffffffff00000000n];

/** A 64-bit value: an edge, a small number, a 32-bit one, a full one, or near an edge. */
function value(g: Rng): bigint {
  switch (g.int(6)) {
    case 0: return EDGES[g.int(EDGES.length)]!;
    case 1: return BigInt(g.int(300));
    case 2: return g.u64() & 0xffffffffn;
    case 3: return g.u64();
    case 4: return BigInt.asUintN(64, EDGES[g.int(EDGES.length)]! + BigInt(g.int(5)) - 2n);
    default: return g.u64() >> BigInt(g.int(64));
  }
}

type AnyReg = Old.Reg | New.Reg;

/** The same register in both implementations. */
function pair(g: Rng): [Old.Reg, New.Reg] {
  const kind = g.int(4);
  if (kind === 0) {
    const v = value(g);
    return [Old.Reg.known(v), New.Reg.known(v)];
  }
  if (kind === 1) {
    // A range: [lo, hi] unsigned, known bits from it.
    let lo = value(g);
    let hi = value(g);
    if (lo > hi) [lo, hi] = [hi, lo];
    const o = Old.Reg.unknown();
    const n = New.Reg.unknown();
    o.umin = n.umin = lo;
    o.umax = n.umax = hi;
    o.varOff = OldTnum.range(lo, hi);
    n.varOff = NewTnum.range(lo, hi);
    o.sync();
    n.sync();
    return [o, n];
  }
  if (kind === 2) {
    // Arbitrary bounds, each within its type (possibly contradicting each other), and a random tnum.
    const o = Old.Reg.unknown();
    const n = New.Reg.unknown();
    const s64 = BigInt.asIntN(64, value(g));
    const s64b = BigInt.asIntN(64, value(g));
    const u = [value(g), value(g)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const s = [s64, s64b].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const u32 = [value(g) & 0xffffffffn, value(g) & 0xffffffffn].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const s32 = [BigInt.asIntN(32, value(g)), BigInt.asIntN(32, value(g))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const inverted = g.int(8) === 0; // now and then min > max (a dead branch being detected)
    for (const r of [o, n] as AnyReg[]) {
      r.umin = u[inverted ? 1 : 0]!;
      r.umax = u[inverted ? 0 : 1]!;
      r.smin = s[0]!;
      r.smax = s[1]!;
      r.u32min = u32[0]!;
      r.u32max = u32[1]!;
      r.s32min = s32[0]!;
      r.s32max = s32[1]!;
    }
    const v = value(g);
    const m = g.int(3) === 0 ? (1n << 64n) - 1n : value(g);
    o.varOff = OldTnum.of(v, m);
    n.varOff = NewTnum.of(v, m);
    if (g.int(2)) {
      o.sync();
      n.sync();
    }
    return [o, n];
  }
  return [Old.Reg.unknown(), New.Reg.unknown()];
}

function fields(r: AnyReg): Record<string, unknown> {
  return {
    smin: r.smin,
    smax: r.smax,
    umin: r.umin,
    umax: r.umax,
    s32min: r.s32min,
    s32max: r.s32max,
    u32min: r.u32min,
    u32max: r.u32max,
    value: r.varOff.value,
    mask: r.varOff.mask,
    id: r.id,
    invalid: r.smin > r.smax || r.umin > r.umax || r.s32min > r.s32max || r.u32min > r.u32max,
    text: r.boundsText(),
  };
}

const ALU_OPS = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xc0, 0xff];
const CMPS: New.Cmp[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'sgt', 'sge', 'slt', 'sle', 'set', 'nset'];

/** One random operation on both pairs; returns its description. */
function step(g: Rng, a: [Old.Reg, New.Reg], b: [Old.Reg, New.Reg]): string {
  const what = g.int(8);
  if (what <= 2) {
    const op = ALU_OPS[g.int(ALU_OPS.length)]!;
    const alu32 = g.int(2) === 1;
    if (op === 0x60 || op === 0x70 || op === 0xc0) {
      // The verifier computes shifts by a known amount; now and then an unknown or too-large one.
      // (Its bounds agree with its known bits, as the verifier's registers' do: the shift reads umin.)
      if (g.int(4)) {
        const k = BigInt(g.int(alu32 ? 32 : 64));
        b[0] = Old.Reg.known(k);
        b[1] = New.Reg.known(k);
      } else {
        b[0] = Old.Reg.unknown();
        b[1] = New.Reg.unknown();
      }
    }
    Old.scalarAlu(a[0], b[0], op, alu32);
    New.scalarAlu(a[1], b[1], op, alu32);
    return `alu ${op.toString(16)} ${alu32 ? 32 : 64}`;
  }
  if (what === 3) {
    const cmp = CMPS[g.int(CMPS.length)]!;
    const is32 = g.int(2) === 1;
    expect(New.branchTaken(a[1], b[1], cmp, is32), `branchTaken ${cmp}`).toBe(Old.branchTaken(a[0], b[0], cmp, is32));
    Old.refine(a[0], b[0], cmp, is32);
    New.refine(a[1], b[1], cmp, is32);
    a[0].sync();
    a[1].sync();
    b[0].sync();
    b[1].sync();
    return `refine ${cmp} ${is32 ? 32 : 64}`;
  }
  if (what === 4) {
    const size = [1, 2, 4, 8][g.int(4)]!;
    a[0].coerceToSize(size);
    a[1].coerceToSize(size);
    return `coerce ${size}`;
  }
  if (what === 5) {
    const size = [1, 2, 4][g.int(3)]!;
    // (a 32-bit move sign-extends 1 or 2 bytes only: `w1 = (s32)w2` is no instruction)
    const to = g.int(2) || size === 4 ? 64 : 32;
    a[0].coerceToSizeSx(size, to);
    a[1].coerceToSizeSx(size, to);
    return `coerceSx ${size} ${to}`;
  }
  if (what === 6) {
    expect(New.scalarWithin(a[1], b[1]), 'scalarWithin').toBe(Old.scalarWithin(a[0], b[0]));
    expect(New.scalarWithin(b[1], a[1]), 'scalarWithin').toBe(Old.scalarWithin(b[0], a[0]));
    a[0].zext32();
    a[1].zext32();
    a[0].sync();
    a[1].sync();
    return 'within, zext32';
  }
  const op = g.int(2) ? 'add' : 'sub';
  const r0 = Old.Reg.unknown();
  const r1 = New.Reg.unknown();
  Old.pointerBounds(r0, a[0], b[0], op);
  New.pointerBounds(r1, a[1], b[1], op);
  a[0] = r0;
  a[1] = r1;
  return `pointerBounds ${op}`;
}

describe('scalar ALU on two constants equals the BigInt reference', () => {
  it('every op at both widths, on edge constants and every shift amount', () => {
    const consts = [...EDGES, 3n, 5n, 31n, 32n, 33n, 63n, 64n, 0x1234_5678_9abc_def0n, 0xfffffffffffffff0n];
    for (const op of ALU_OPS) {
      for (const alu32 of [false, true]) {
        for (const x of consts) {
          const ys = op === 0x60 || op === 0x70 || op === 0xc0 ? [...Array.from({ length: 66 }, (_, k) => BigInt(k)), ...consts] : consts;
          for (const y of ys) {
            const o = Old.Reg.known(x);
            const n = New.Reg.known(x);
            Old.scalarAlu(o, Old.Reg.known(y), op, alu32);
            New.scalarAlu(n, New.Reg.known(y), op, alu32);
            expect(fields(n), `${x} ${op.toString(16)} ${y} (${alu32 ? 32 : 64})`).toEqual(fields(o));
          }
        }
      }
    }
  });
});

describe('scalar bounds: the verifier equals the BigInt reference on random operations', () => {
  for (let seed = 1; seed <= 4; seed++) {
    it(`seed ${seed}: 2000 chains of up to 6 operations`, () => {
      const g = new Rng(seed);
      for (let chain = 0; chain < 2000; chain++) {
        const a = pair(g);
        const b = pair(g);
        expect(fields(a[1]), `seed ${seed} chain ${chain}: initial`).toEqual(fields(a[0]));
        const n = 1 + g.int(6);
        for (let k = 0; k < n; k++) {
          const what = step(g, a, b);
          expect(fields(a[1]), `seed ${seed} chain ${chain} step ${k}: ${what}`).toEqual(fields(a[0]));
          expect(fields(b[1]), `seed ${seed} chain ${chain} step ${k}: ${what} (src)`).toEqual(fields(b[0]));
          expect(a[1].describe()).toBe(a[0].describe());
          // Operands are reused as the next step's: now and then swap roles or start fresh.
          if (g.int(3) === 0) {
            const t = a.slice() as [Old.Reg, New.Reg];
            a[0] = b[0];
            a[1] = b[1];
            b[0] = t[0];
            b[1] = t[1];
          }
          if (g.int(4) === 0) {
            const f = pair(g);
            b[0] = f[0];
            b[1] = f[1];
          }
        }
      }
    });
  }

  it('tnum operations equal the reference on random tnums', () => {
    const g = new Rng(99);
    const t = (): [OldTnum, NewTnum] => {
      const v = value(g);
      const m = g.int(4) === 0 ? 0n : value(g);
      return [OldTnum.of(v, m), NewTnum.of(v, m)];
    };
    const same = (x: OldTnum, y: NewTnum, what: string): void => {
      expect([y.value, y.mask], what).toEqual([x.value, x.mask]);
    };
    for (let i = 0; i < 3000; i++) {
      const [a0, a1] = t();
      const [b0, b1] = t();
      same(a0.add(b0), a1.add(b1), 'add');
      same(a0.sub(b0), a1.sub(b1), 'sub');
      same(a0.mul(b0), a1.mul(b1), 'mul');
      same(a0.and(b0), a1.and(b1), 'and');
      same(a0.or(b0), a1.or(b1), 'or');
      same(a0.xor(b0), a1.xor(b1), 'xor');
      same(a0.intersect(b0), a1.intersect(b1), 'intersect');
      same(a0.union(b0), a1.union(b1), 'union');
      same(a0.neg(), a1.neg(), 'neg');
      const k = g.int(64);
      same(a0.lshift(k), a1.lshift(k), 'lshift');
      same(a0.rshift(k), a1.rshift(k), 'rshift');
      same(a0.arshift(k, 64), a1.arshift(k, 64), 'arshift 64');
      same(a0.subreg().arshift(k & 31, 32), a1.subreg().arshift(k & 31, 32), 'arshift 32');
      for (const size of [1, 2, 4, 8] as const) same(a0.cast(size), a1.cast(size), `cast ${size}`);
      same(a0.clearSubreg(), a1.clearSubreg(), 'clearSubreg');
      same(a0.withSubreg(b0), a1.withSubreg(b1), 'withSubreg');
      expect(a1.contains(b1), 'contains').toBe(a0.contains(b0));
      expect(a1.intersectsWith(b1), 'intersectsWith').toBe(a0.intersectsWith(b0));
      const x = value(g);
      expect(a1.has(x), 'has').toBe(a0.has(x));
      const al = 1n << BigInt(g.int(4));
      expect(a1.isAligned(al), 'isAligned').toBe(a0.isAligned(al));
      let lo = value(g);
      let hi = value(g);
      if (lo > hi) [lo, hi] = [hi, lo];
      same(OldTnum.range(lo, hi), NewTnum.range(lo, hi), 'range');
      expect(a1.toString()).toBe(a0.toString());
    }
  });
});

describe("reg_bounds_sync's single-value rule on 32-bit tnums equals the BigInt reference", () => {
  it('tnums at the 32-bit edges, u64 ranges around their members', () => {
    // Tnums within 32 bits (the numbers path of the single-value test), with their members' neighbours,
    // the tnum's largest value, 2^32 and 2^64 - 1 as umin / umax: ranges holding none, one or two members.
    const masks = [1n, 2n, 3n, 0x10n, 0x11n, 0x12n, 0xff00n, 0x0f0f0f0fn, 0x7fffffffn, 0x80000000n, 0x80000001n, 0xc0000000n, 0xfffffffen, 0xffffffffn];
    const values = [0n, 1n, 4n, 0x20n, 0x7fffffffn, 0x80000000n, 0xfffffffen, 0xffffffffn];
    let checked = 0;
    for (const m of masks) {
      for (const v0 of values) {
        const v = v0 & ~m;
        const top = v | m;
        const low = m & -m;
        const members = [v, v + low, top - low, top];
        const ends = [0n, 0xffffffffn, 0x100000000n, (1n << 64n) - 1n, ...members.flatMap((x) => [x - 1n, x, x + 1n])].filter((x) => x >= 0n);
        for (const lo of ends) {
          for (const hi of ends) {
            const o = Old.Reg.unknown();
            const n = New.Reg.unknown();
            o.umin = n.umin = lo;
            o.umax = n.umax = hi;
            o.varOff = OldTnum.of(v, m);
            n.varOff = NewTnum.of(v, m);
            o.sync();
            n.sync();
            expect(fields(n), `tnum (${v}; ${m}) umin ${lo} umax ${hi}`).toEqual(fields(o));
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(10000);
  });
});
