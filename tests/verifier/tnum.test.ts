// Tnum soundness: for random tnums a, b and random members x of a and y of b, op(x, y) is a member of
// op(a, b), with op's concrete meaning from the eBPF ISA (64-bit wrapping arithmetic). Plus examples
// worked by hand from kernel/bpf/tnum.c's definitions.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tnum } from '../../src/verifier/tnum.js';

const M64 = (1n << 64n) - 1n;
const u64 = (x: bigint) => x & M64;

// A tnum and one of its members: random known bits, random unknown bits, and a filling of the unknowns.
const tnumWithMember = fc
  .tuple(fc.bigInt({ min: 0n, max: M64 }), fc.bigInt({ min: 0n, max: M64 }), fc.bigInt({ min: 0n, max: M64 }), fc.constantFrom(0n, 0xffn, 0xffffn, 0xffffffffn, M64, 0xf0f0n))
  .map(([v, m, fill, keep]) => {
    const mask = m & keep; // bias toward few unknown bits, so results stay informative
    const t = Tnum.of(v, mask);
    return { t, x: t.value | (fill & t.mask) };
  });

const binary: Array<[string, (a: Tnum, b: Tnum) => Tnum, (x: bigint, y: bigint) => bigint]> = [
  ['add', (a, b) => a.add(b), (x, y) => u64(x + y)],
  ['sub', (a, b) => a.sub(b), (x, y) => u64(x - y)],
  ['mul', (a, b) => a.mul(b), (x, y) => u64(x * y)],
  ['and', (a, b) => a.and(b), (x, y) => x & y],
  ['or', (a, b) => a.or(b), (x, y) => x | y],
  ['xor', (a, b) => a.xor(b), (x, y) => x ^ y],
  ['union (holds x)', (a, b) => a.union(b), (x) => x],
  ['union (holds y)', (a, b) => a.union(b), (_x, y) => y],
];

describe('Tnum', () => {
  it.each(binary)('%s is sound', (_name, abstract, concrete) => {
    fc.assert(
      fc.property(tnumWithMember, tnumWithMember, ({ t: a, x }, { t: b, x: y }) => {
        expect(abstract(a, b).has(concrete(x, y))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('shifts, casts, negation and subregisters are sound', () => {
    fc.assert(
      fc.property(tnumWithMember, fc.integer({ min: 0, max: 63 }), ({ t, x }, s) => {
        expect(t.lshift(s).has(u64(x << BigInt(s)))).toBe(true);
        expect(t.rshift(s).has(x >> BigInt(s))).toBe(true);
        expect(t.arshift(s, 64).has(u64(BigInt.asIntN(64, x) >> BigInt(s)))).toBe(true);
        expect(t.arshift(s & 31, 32).has(BigInt.asUintN(32, BigInt.asIntN(32, x) >> BigInt(s & 31)))).toBe(true);
        expect(t.neg().has(u64(-x))).toBe(true);
        for (const size of [1, 2, 4, 8] as const) expect(t.cast(size).has(BigInt.asUintN(size * 8, x))).toBe(true);
        expect(t.subreg().has(x & 0xffffffffn)).toBe(true);
        expect(t.clearSubreg().has(x & ~0xffffffffn & M64)).toBe(true);
        expect(t.umin <= x && x <= t.umax).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('range(min, max) holds every value between', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: M64 }), fc.bigInt({ min: 0n, max: M64 }), fc.bigInt({ min: 0n, max: M64 }), (a, b, f) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const x = lo + (hi > lo ? f % (hi - lo + 1n) : 0n);
        expect(Tnum.range(lo, hi).has(x)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('step(z) is the smallest member above z, as the kernel\'s tnum_step', () => {
    // The kernel's own example (kernel/bpf/tnum.c): t = x11100x0, z = 241 -> 242.
    expect(Tnum.of(0b01110000n, 0b10000010n).step(241n)).toBe(242n);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 0xfffn }), fc.bigInt({ min: 0n, max: 0xfffn }), fc.bigInt({ min: 0n, max: 0xfffn }), (v, m, z) => {
        const t = Tnum.of(v, m);
        const tmax = t.value | t.mask;
        let want = z >= tmax ? tmax : t.value;
        if (z >= t.value && z < tmax) for (want = z + 1n; !t.has(want); want++);
        expect(t.step(z)).toBe(want);
      }),
      { numRuns: 2000 },
    );
  });

  it('matches hand-worked values from the kernel definitions', () => {
    // tnum_range(0, 255): chi = 0xff, fls64 = 8, delta = 0xff → (0x0; 0xff), as the log prints var_off
    expect(Tnum.range(0n, 255n).toString()).toBe('(0x0; 0xff)');
    // tnum_range(16, 31): chi = 0x0f, delta = 0xf → (0x10; 0xf)
    expect(Tnum.range(16n, 31n).toString()).toBe('(0x10; 0xf)');
    expect(Tnum.range(0n, M64).isUnknown).toBe(true);
    // (0x0; 0xff) & 0xf0 → known zero outside 0xf0: (0x0; 0xf0)
    expect(Tnum.range(0n, 255n).and(Tnum.const(0xf0n)).toString()).toBe('(0x0; 0xf0)');
    // (0x10; 0xf) + 1: sv = 0x11, sm = 0xf, sigma = 0x20, chi = 0x31, mu = 0x3f → (0x0; 0x3f)
    expect(Tnum.range(16n, 31n).add(Tnum.const(1n)).toString()).toBe('(0x0; 0x3f)');
    // constants stay constants
    expect(Tnum.const(6n).mul(Tnum.const(7n)).equals(Tnum.const(42n))).toBe(true);
    expect(Tnum.const(3n).sub(Tnum.const(5n)).equals(Tnum.const(u64(-2n)))).toBe(true);
    // alignment: (0x10; 0xc) values are multiples of 4
    expect(Tnum.of(0x10n, 0xcn).isAligned(4n)).toBe(true);
    expect(Tnum.of(0x10n, 0xcn).isAligned(8n)).toBe(false);
    expect(Tnum.range(0n, 255n).contains(Tnum.const(7n))).toBe(true);
    expect(Tnum.const(7n).contains(Tnum.range(0n, 255n))).toBe(false);
    expect(Tnum.of(0x100000000n, 0n).withSubreg(Tnum.const(5n)).toString()).toBe('(0x100000005; 0x0)');
  });
});
