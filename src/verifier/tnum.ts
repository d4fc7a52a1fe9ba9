// Tristate numbers, the kernel verifier's known-bits domain (kernel/bpf/tnum.c): a 64-bit value in
// which each bit is known 0, known 1 or unknown.
//
//   value: the known 1 bits          mask: the unknown bits        (value & mask) == 0 always
//
//   e.g. (value 0x10, mask 0x0f) is every x with x & ~0x0f == 0x10: 0x10 ..= 0x1f
//
// Every operation is sound: for all x in a and y in b, op(x, y) is in op(a, b). The arithmetic is the
// kernel's, bit for bit, so the bounds wxdp derives (and prints as `var_off=(0x10; 0xf)`) are the ones a
// kernel user sees in the verifier log.

const M64 = (1n << 64n) - 1n;
const u64 = (x: bigint): bigint => x & M64;
const HI32 = M64 ^ 0xffffffffn;
const CAST_MASK: Record<number, bigint> = { 1: 0xffn, 2: 0xffffn, 4: 0xffffffffn };

export class Tnum {
  readonly value: bigint;
  readonly mask: bigint;
  /** hash32()'s value once computed (0: not yet; a tnum is immutable, so it never changes). */
  private h = 0;

  private constructor(value: bigint, mask: bigint) {
    this.value = value;
    this.mask = mask;
  }

  /**
   * A 32-bit hash of value and mask, never 0, computed once per tnum: the verifier's state fingerprint
   * reads the tnums of registers that states share, so most are hashed already.
   */
  hash32(): number {
    if (this.h) return this.h;
    const v = this.value;
    const m = this.mask;
    let h = Math.imul((Number(v) | 0) ^ 0x27d4eb2f, 0x85ebca6b) ^ (Number(m) | 0);
    h = Math.imul(h ^ (h >>> 15), 0xc2b2ae35) ^ Number(v >> 32n) ^ Number(m >> 40n);
    return (this.h = h | 1);
  }

  static of(value: bigint, mask: bigint): Tnum {
    const m = u64(mask);
    return new Tnum(u64(value) & ~m & M64, m);
  }

  /** value and mask already 64-bit and disjoint (results of and/or/xor/shift-right of valid tnums). */
  private static raw(value: bigint, mask: bigint): Tnum {
    return new Tnum(value, mask);
  }

  static const(value: bigint): Tnum {
    return new Tnum(u64(value), 0n);
  }

  static readonly unknown = new Tnum(0n, M64);

  /** The smallest tnum holding every value in [min, max] (unsigned). */
  static range(min: bigint, max: bigint): Tnum {
    if (min === max) return Tnum.const(min);
    // Bounds of registers (the usual callers) are already 64-bit unsigned: no wrapping needed.
    const inRange = min >= 0n && max >= 0n && min <= M64 && max <= M64;
    const lo = inRange ? min : u64(min);
    const bits = fls64(inRange ? min ^ max : lo ^ u64(max));
    if (bits > 63) return Tnum.unknown;
    const delta = DELTA[bits]!;
    return Tnum.raw(lo & ~delta, delta);
  }

  get isConst(): boolean {
    return this.mask === 0n;
  }

  get isUnknown(): boolean {
    return this.mask === M64;
  }

  /** The smallest and largest unsigned values the tnum holds. */
  get umin(): bigint {
    return this.value;
  }

  get umax(): bigint {
    return this.value | this.mask;
  }

  /** Does the tnum hold the concrete value `x`? */
  has(x: bigint): boolean {
    return (u64(x) & ~this.mask & M64) === this.value;
  }

  lshift(shift: number): Tnum {
    return Tnum.of(this.value << BigInt(shift), this.mask << BigInt(shift));
  }

  rshift(shift: number): Tnum {
    return Tnum.raw(this.value >> BigInt(shift), this.mask >> BigInt(shift));
  }

  /** Arithmetic right shift at 64 or 32 bits (the 32-bit result is zero-extended). */
  arshift(shift: number, bits: 32 | 64): Tnum {
    const s = BigInt(shift);
    if (bits === 32) {
      const sx = (x: bigint): bigint => BigInt.asUintN(32, BigInt.asIntN(32, x) >> s);
      return Tnum.of(sx(this.value), sx(this.mask));
    }
    return Tnum.of(BigInt.asIntN(64, this.value) >> s, BigInt.asIntN(64, this.mask) >> s);
  }

  add(b: Tnum): Tnum {
    const sm = u64(this.mask + b.mask);
    const sv = u64(this.value + b.value);
    const sigma = u64(sm + sv);
    const chi = sigma ^ sv;
    const mu = chi | this.mask | b.mask;
    return Tnum.of(sv & ~mu, mu);
  }

  sub(b: Tnum): Tnum {
    const dv = u64(this.value - b.value);
    const alpha = u64(dv + this.mask);
    const beta = u64(dv - b.mask);
    const chi = alpha ^ beta;
    const mu = chi | this.mask | b.mask;
    return Tnum.of(dv & ~mu, mu);
  }

  neg(): Tnum {
    return Tnum.const(0n).sub(this);
  }

  and(b: Tnum): Tnum {
    const alpha = this.value | this.mask;
    const beta = b.value | b.mask;
    const v = this.value & b.value;
    return Tnum.raw(v, alpha & beta & ~v);
  }

  or(b: Tnum): Tnum {
    const v = this.value | b.value;
    const mu = this.mask | b.mask;
    return Tnum.raw(v, mu & ~v);
  }

  xor(b: Tnum): Tnum {
    const v = this.value ^ b.value;
    const mu = this.mask | b.mask;
    return Tnum.raw(v & ~mu, mu);
  }

  /**
   * Long multiplication over a's bits (6.18's tnum_mul): b added for a bit of a known 1, the union of
   * the sum with and without b for an unknown one (the older acc_v/acc_m split, which adds b's mask
   * alone, knows bits no value has in common: (0xffffffff1a600d20; 0x1000000) squared was
   * (0xc0018ac4400; 0xffffe0ffe0000000) there, (0x18ac4400; 0xffffffffe0000000) in 6.18 — seed 63305).
   */
  mul(b: Tnum): Tnum {
    let acc = Tnum.const(0n);
    let a: Tnum = this;
    let bb: Tnum = b;
    // At most 64 rounds: each shifts a right by one bit (a bound of its own, not only a's emptying).
    for (let i = 0; i < 64 && (a.value !== 0n || a.mask !== 0n); i++) {
      if (a.value & 1n) acc = acc.add(bb);
      else if (a.mask & 1n) acc = acc.union(acc.add(bb));
      a = a.rshift(1);
      bb = bb.lshift(1);
    }
    return acc;
  }

  /** Could a and b hold a common value (no bit known 0 in one and 1 in the other)? */
  intersectsWith(b: Tnum): boolean {
    return ((this.value ^ b.value) & ~(this.mask | b.mask) & M64) === 0n;
  }

  /** Values in both (a and b known to hold the same value): tnum_intersect. */
  intersect(b: Tnum): Tnum {
    if (this === b || b.mask === M64) return this;
    if (this.mask === M64) return b;
    const v = this.value | b.value;
    const mu = this.mask & b.mask;
    return Tnum.raw(v & ~mu, mu);
  }

  /** Values in either: tnum_union. */
  union(b: Tnum): Tnum {
    const v = this.value & b.value;
    const mu = (this.value ^ b.value) | this.mask | b.mask;
    return Tnum.raw(v & ~mu, mu);
  }

  /** Truncate to `size` bytes (tnum_cast). */
  cast(size: 1 | 2 | 4 | 8): Tnum {
    if (size === 8) return this;
    const m = CAST_MASK[size]!;
    if ((this.value | this.mask) <= m) return this;
    return Tnum.raw(this.value & m, this.mask & m);
  }

  /** Is every value a multiple of `size` (a power of two)? */
  isAligned(size: bigint): boolean {
    if (size === 0n) return true;
    return ((this.value | this.mask) & (size - 1n)) === 0n;
  }

  /** Is every value of `b` also in this tnum? (tnum_in) */
  contains(b: Tnum): boolean {
    // Shared or unknown (common in state comparisons): no arithmetic needed.
    if (this === b || this.mask === M64) return true;
    if (this.mask === 0n) return b.mask === 0n && this.value === b.value;
    if (b.mask & ~this.mask & M64) return false;
    return this.value === (b.value & ~this.mask & M64);
  }

  /** The low 32 bits (tnum_subreg), the high 32 bits only (tnum_clear_subreg), and their combination. */
  subreg(): Tnum {
    return this.cast(4);
  }

  clearSubreg(): Tnum {
    return Tnum.raw(this.value & HI32, this.mask & HI32);
  }

  withSubreg(sub: Tnum): Tnum {
    return this.clearSubreg().or(sub.subreg());
  }

  /**
   * The smallest value of the tnum above `z` (tnum_step): its largest when `z` is not below that, its
   * smallest when `z` is below that. `z` + 1 "within the mask": every known position filled with ones
   * so the carry runs through them, and below the highest known one bit of `z - value`.
   */
  step(z: bigint): bigint {
    const tmax = this.value | this.mask;
    if (z >= tmax) return tmax;
    if (z < this.value) return this.value;
    const d = z - this.value;
    const carry = DELTA[fls64(d & ~this.mask & M64)]!;
    const filled = d | carry | (~this.mask & M64);
    return this.value | ((filled + 1n) & this.mask);
  }

  equals(b: Tnum): boolean {
    return this.value === b.value && this.mask === b.mask;
  }

  /** As the kernel's verifier log prints it: `(0x10; 0xf)`. */
  toString(): string {
    return `(0x${this.value.toString(16)}; 0x${this.mask.toString(16)})`;
  }
}

/** DELTA[n] = 2^n - 1: the masks Tnum.range makes, allocated once. */
const DELTA: bigint[] = Array.from({ length: 65 }, (_, n) => (1n << BigInt(n)) - 1n);

/** Index of the highest set bit, 1-based; 0 for 0 (the kernel's fls64). */
function fls64(x: bigint): number {
  if (x === 0n) return 0;
  const hi = Number(x >> 32n);
  if (hi) return 64 - Math.clz32(hi);
  return 32 - Math.clz32(Number(x));
}
