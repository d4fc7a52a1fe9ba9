// Register state and the scalar domain of the verifier: a tnum (known bits) plus signed and unsigned
// bounds at 64 and 32 bits, kept consistent with each other by reg_bounds_sync(). The arithmetic follows
// kernel/bpf/verifier.c (scalar_min_max_*, __reg_deduce_bounds, zext_32_to_64, reg_set_min_max) so that
// what wxdp proves about a value is what the kernel proves, and the log prints the same ranges.

import { Tnum } from './tnum.js';

export const S64_MIN = -(1n << 63n);
export const S64_MAX = (1n << 63n) - 1n;
export const U64_MAX = (1n << 64n) - 1n;
export const S32_MIN = -(1n << 31n);
export const S32_MAX = (1n << 31n) - 1n;
export const U32_MAX = (1n << 32n) - 1n;
/** The kernel's BPF_MAX_VAR_OFF: offsets beyond ±2^29 are never trusted. */
export const MAX_VAR_OFF = 1n << 29n;

export const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
export const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
export const s32 = (x: bigint): bigint => BigInt.asIntN(32, x);
export const u32 = (x: bigint): bigint => BigInt.asUintN(32, x);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

export enum RegType {
  NOT_INIT,
  SCALAR,
  CTX,
  CONST_MAP,
  MAP_VALUE,
  MAP_KEY,
  STACK,
  PACKET_META,
  PACKET,
  PACKET_END,
  MEM,
  FUNC,
}

/** What the verifier knows of a map an instruction refers to (CONST_PTR_TO_MAP). */
export interface MapInfo {
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** Program-side read-only (BPF_F_RDONLY_PROG or a frozen .rodata): stores are rejected. */
  readonly?: boolean;
  /** A frozen, read-only map's single value: loads at a constant offset read it as a known constant. */
  frozenValue?: Uint8Array;
}

export class Reg {
  type: RegType = RegType.NOT_INIT;
  /** PTR_MAYBE_NULL: a pointer a helper returned that has not been compared with 0 yet. */
  maybeNull = false;
  /** MEM_RINGBUF (for MEM) / MEM_RDONLY. */
  ringbuf = false;
  rdonly = false;
  /** Fixed offset of a pointer. */
  off = 0;
  varOff: Tnum = Tnum.unknown;
  smin = S64_MIN;
  smax = S64_MAX;
  umin = 0n;
  umax = U64_MAX;
  s32min = S32_MIN;
  s32max = S32_MAX;
  u32min = 0n;
  u32max = U32_MAX;
  /** Scalars linked by a copy, or pointers that are null-checked together, or packet pointers of one base. */
  id = 0;
  /** The reference (ringbuf reservation) this pointer holds. */
  refObjId = 0;
  /** Packet pointers: bytes proven readable past `off` (data_end comparison); may be negative (unusable). */
  range = 0;
  /** CONST_MAP / MAP_VALUE / MAP_KEY. */
  map: MapInfo | undefined;
  /** MEM: the size of the region. */
  memSize = 0;
  /** STACK: the frame the pointer points into. */
  frameno = 0;
  /** FUNC: the subprogram's entry slot. */
  subprog = 0;
  /**
   * A scalar whose exact range some later check depends on (the kernel's `precise`). State pruning
   * ignores the values of imprecise scalars; precision is propagated backwards when a use needs it.
   */
  precise = false;

  clone(): Reg {
    const r = new Reg();
    r.type = this.type;
    r.maybeNull = this.maybeNull;
    r.ringbuf = this.ringbuf;
    r.rdonly = this.rdonly;
    r.off = this.off;
    r.varOff = this.varOff;
    r.smin = this.smin;
    r.smax = this.smax;
    r.umin = this.umin;
    r.umax = this.umax;
    r.s32min = this.s32min;
    r.s32max = this.s32max;
    r.u32min = this.u32min;
    r.u32max = this.u32max;
    r.id = this.id;
    r.refObjId = this.refObjId;
    r.range = this.range;
    r.map = this.map;
    r.memSize = this.memSize;
    r.frameno = this.frameno;
    r.subprog = this.subprog;
    r.precise = this.precise;
    return r;
  }

  get isScalar(): boolean {
    return this.type === RegType.SCALAR;
  }

  get isPointer(): boolean {
    return this.type !== RegType.SCALAR && this.type !== RegType.NOT_INIT;
  }

  get isPkt(): boolean {
    return this.type === RegType.PACKET || this.type === RegType.PACKET_META;
  }

  get isConst(): boolean {
    return this.varOff.isConst;
  }

  /** A scalar known to be `v`. */
  static known(v: bigint): Reg {
    const r = new Reg();
    r.type = RegType.SCALAR;
    r.setKnown(v);
    return r;
  }

  static unknown(): Reg {
    const r = new Reg();
    r.type = RegType.SCALAR;
    return r;
  }

  setKnown(v: bigint): void {
    this.id = 0;
    this.varOff = Tnum.const(v);
    this.smin = this.smax = s64(v);
    this.umin = this.umax = u64(v);
    this.s32min = this.s32max = s32(v);
    this.u32min = this.u32max = u32(v);
  }

  /** A pointer of `type` at offset 0, no variable part (mark_reg_known_zero + type). */
  static pointer(type: RegType): Reg {
    const r = Reg.known(0n);
    r.type = type;
    return r;
  }

  markUnknown(): void {
    const keep = this.type === RegType.NOT_INIT ? RegType.SCALAR : RegType.SCALAR;
    Object.assign(this, new Reg());
    this.type = keep;
  }

  mark64Unbounded(): void {
    this.smin = S64_MIN;
    this.smax = S64_MAX;
    this.umin = 0n;
    this.umax = U64_MAX;
  }

  mark32Unbounded(): void {
    this.s32min = S32_MIN;
    this.s32max = S32_MAX;
    this.u32min = 0n;
    this.u32max = U32_MAX;
  }

  // ---- reg_bounds_sync ----

  update32Bounds(): void {
    const v = this.varOff.subreg();
    this.s32min = max(this.s32min, s32(v.value | (v.mask & u32(S32_MIN))));
    this.s32max = min(this.s32max, s32(v.value | (v.mask & S32_MAX)));
    this.u32min = max(this.u32min, u32(v.value));
    this.u32max = min(this.u32max, u32(v.value | v.mask));
  }

  update64Bounds(): void {
    const v = this.varOff;
    this.smin = max(this.smin, s64(v.value | (v.mask & u64(S64_MIN))));
    this.smax = min(this.smax, s64(v.value | (v.mask & S64_MAX)));
    this.umin = max(this.umin, v.value);
    this.umax = min(this.umax, v.value | v.mask);
  }

  updateBounds(): void {
    this.update32Bounds();
    this.update64Bounds();
  }

  private deduce32(): void {
    if (this.umin >> 32n === this.umax >> 32n) {
      this.u32min = max(this.u32min, u32(this.umin));
      this.u32max = min(this.u32max, u32(this.umax));
      if (s32(this.umin) <= s32(this.umax)) {
        this.s32min = max(this.s32min, s32(this.umin));
        this.s32max = min(this.s32max, s32(this.umax));
      }
    }
    if (this.smin >> 32n === this.smax >> 32n) {
      this.u32min = max(this.u32min, u32(this.smin));
      this.u32max = min(this.u32max, u32(this.smax));
      if (s32(this.smin) <= s32(this.smax)) {
        this.s32min = max(this.s32min, s32(this.smin));
        this.s32max = min(this.s32max, s32(this.smax));
      }
    }
    if (s32(this.u32min) <= s32(this.u32max)) {
      this.s32min = max(this.s32min, s32(this.u32min));
      this.s32max = min(this.s32max, s32(this.u32max));
    }
    if (u32(this.s32min) <= u32(this.s32max)) {
      this.u32min = max(this.u32min, u32(this.s32min));
      this.u32max = min(this.u32max, u32(this.s32max));
    }
  }

  private deduce64(): void {
    if (s64(this.umin) <= s64(this.umax)) {
      this.smin = max(this.smin, s64(this.umin));
      this.smax = min(this.smax, s64(this.umax));
    }
    if (u64(this.smin) <= u64(this.smax)) {
      this.umin = max(this.umin, u64(this.smin));
      this.umax = min(this.umax, u64(this.smax));
    }
  }

  private deduceMixed(): void {
    const hiMask = ~0xffffffffn;
    this.umin = max(this.umin, u64((this.umin & hiMask) | this.u32min));
    this.umax = min(this.umax, u64((this.umax & hiMask) | this.u32max));
    this.smin = max(this.smin, s64((this.smin & hiMask) | this.u32min));
    this.smax = min(this.smax, s64((this.smax & hiMask) | this.u32max));
    if (this.s32min >= 0n && this.smin >= S32_MIN && this.smax <= S32_MAX) {
      this.smin = this.s32min;
      this.smax = this.s32max;
      this.umin = this.s32min;
      this.umax = this.s32max;
      this.varOff = this.varOff.intersect(Tnum.range(this.umin, this.umax));
    }
  }

  private deduceBounds(): void {
    this.deduce32();
    this.deduce64();
    this.deduceMixed();
  }

  private boundOffset(): void {
    const v64 = this.varOff.intersect(Tnum.range(this.umin, this.umax));
    const v32 = v64.subreg().intersect(Tnum.range(this.u32min, this.u32max));
    this.varOff = v64.clearSubreg().or(v32);
  }

  sync(): void {
    this.updateBounds();
    this.deduceBounds();
    this.deduceBounds();
    this.boundOffset();
    this.updateBounds();
  }

  /** Bounds that cross (min > max) mean the path is impossible (a dead branch). */
  get boundsInvalid(): boolean {
    return this.smin > this.smax || this.umin > this.umax || this.s32min > this.s32max || this.u32min > this.u32max;
  }

  // ---- 32-bit results and loads ----

  /** zext_32_to_64: a 32-bit ALU result, upper half zero. */
  zext32(): void {
    this.varOff = this.varOff.subreg();
    this.umin = this.u32min;
    this.umax = this.u32max;
    if (this.s32min >= 0n && this.s32max >= 0n) {
      this.smin = this.s32min;
      this.smax = this.s32max;
    } else {
      this.smin = 0n;
      this.smax = U32_MAX;
    }
  }

  /** coerce_reg_to_size: keep the low `size` bytes (a narrower load or a truncating move). */
  coerceToSize(size: number): void {
    if (size >= 8) return;
    const bits = BigInt(size * 8);
    const mask = (1n << bits) - 1n;
    this.varOff = this.varOff.cast(size as 1 | 2 | 4);
    if (this.umin >> bits === this.umax >> bits) {
      this.umin &= mask;
      this.umax &= mask;
    } else {
      this.umin = 0n;
      this.umax = mask;
    }
    this.smin = this.umin;
    this.smax = this.umax;
    this.mark32Unbounded();
    if (size < 4) {
      this.u32min = this.umin;
      this.u32max = this.umax;
      this.s32min = this.umin;
      this.s32max = this.umax;
    }
    this.sync();
  }

  /** Sign-extend the low `size` bytes (movsx, ldsx). */
  coerceToSizeSx(size: number, to: 32 | 64): void {
    const bits = size * 8;
    const lo = -(1n << BigInt(bits - 1));
    const hi = (1n << BigInt(bits - 1)) - 1n;
    let smin = lo;
    let smax = hi;
    if (this.varOff.isConst) {
      const v = BigInt.asIntN(bits, this.varOff.value);
      smin = smax = v;
    } else {
      // The range survives when every value already fits the narrower signed type.
      const sv = this.smin;
      const ev = this.smax;
      if (sv >= lo && ev <= hi && sv <= ev) {
        smin = sv;
        smax = ev;
      }
    }
    const out = Reg.unknown();
    if (to === 64) {
      out.smin = smin;
      out.smax = smax;
      if (smin === smax) out.setKnown(smin);
    } else {
      out.s32min = smin;
      out.s32max = smax;
      if (smin === smax) out.setKnown(u32(smin));
      else out.zext32();
    }
    out.sync();
    this.copyScalarFrom(out);
  }

  copyScalarFrom(o: Reg): void {
    this.varOff = o.varOff;
    this.smin = o.smin;
    this.smax = o.smax;
    this.umin = o.umin;
    this.umax = o.umax;
    this.s32min = o.s32min;
    this.s32max = o.s32max;
    this.u32min = o.u32min;
    this.u32max = o.u32max;
  }

  /** The kernel's reg type names (reg_type_str), as its messages print them. */
  typeName(): string {
    const base = REG_TYPE_NAMES[this.type];
    const pre = (this.rdonly ? 'rdonly_' : '') + (this.ringbuf ? 'ringbuf_' : '');
    return pre + base + (this.maybeNull ? '_or_null' : '');
  }

  /** The register as the kernel's log prints it in states: `pkt(off=14,r=34)`, `scalar(umax=255,...)`. */
  describe(): string {
    if (this.type === RegType.NOT_INIT) return '';
    if (this.type === RegType.SCALAR) {
      if (this.varOff.isConst) return this.id ? `${s64(this.varOff.value)}` : `${s64(this.varOff.value)}`;
      return `scalar(${this.boundsText()})`;
    }
    const parts: string[] = [];
    if (this.id) parts.push(`id=${this.id}`);
    if (this.refObjId) parts.push(`ref_obj_id=${this.refObjId}`);
    if (this.off) parts.push(`off=${this.off}`);
    if (this.isPkt) parts.push(`r=${this.range}`);
    if (this.type === RegType.MAP_VALUE || this.type === RegType.CONST_MAP || this.type === RegType.MAP_KEY) {
      if (this.map) parts.push(`map=${this.map.name}`, `ks=${this.map.keySize}`, `vs=${this.map.valueSize}`);
    }
    if (this.type === RegType.MEM) parts.push(`mem_size=${this.memSize}`);
    if (!this.varOff.isConst || this.varOff.value !== 0n) parts.push(this.boundsText());
    return `${this.typeName()}(${parts.join(',')})`;
  }

  boundsText(): string {
    const p: string[] = [];
    if (this.id) p.push(`id=${this.id}`);
    if (this.smin !== S64_MIN && this.smin !== s64(this.umin)) p.push(`smin=${this.smin}`);
    if (this.smax !== S64_MAX && this.smax !== s64(this.umax)) p.push(`smax=${this.smax}`);
    if (this.umin !== 0n) p.push(`umin=${this.umin}`);
    if (this.umax !== U64_MAX) p.push(`umax=${this.umax}`);
    if (this.s32min !== S32_MIN && this.s32min !== s32(this.u32min)) p.push(`smin32=${this.s32min}`);
    if (this.s32max !== S32_MAX && this.s32max !== s32(this.u32max)) p.push(`smax32=${this.s32max}`);
    if (this.u32min !== 0n && this.u32min !== this.umin) p.push(`umin32=${this.u32min}`);
    if (this.u32max !== U32_MAX && this.u32max !== this.umax) p.push(`umax32=${this.u32max}`);
    if (!this.varOff.isConst && !this.varOff.isUnknown) p.push(`var_off=${this.varOff.toString()}`);
    return p.join(',');
  }
}

const REG_TYPE_NAMES: Record<RegType, string> = {
  [RegType.NOT_INIT]: '?',
  [RegType.SCALAR]: 'scalar',
  [RegType.CTX]: 'ctx',
  [RegType.CONST_MAP]: 'map_ptr',
  [RegType.MAP_VALUE]: 'map_value',
  [RegType.MAP_KEY]: 'map_key',
  [RegType.STACK]: 'fp',
  [RegType.PACKET_META]: 'pkt_meta',
  [RegType.PACKET]: 'pkt',
  [RegType.PACKET_END]: 'pkt_end',
  [RegType.MEM]: 'mem',
  [RegType.FUNC]: 'func',
};

export function regTypeName(t: RegType): string {
  return REG_TYPE_NAMES[t];
}

// ---- scalar ALU (adjust_scalar_min_max_vals) ----

const addOvf64s = (a: bigint, b: bigint): boolean => a + b > S64_MAX || a + b < S64_MIN;
const subOvf64s = (a: bigint, b: bigint): boolean => a - b > S64_MAX || a - b < S64_MIN;
const addOvf32s = (a: bigint, b: bigint): boolean => a + b > S32_MAX || a + b < S32_MIN;
const subOvf32s = (a: bigint, b: bigint): boolean => a - b > S32_MAX || a - b < S32_MIN;

function add64(d: Reg, s: Reg): void {
  if (addOvf64s(d.smin, s.smin) || addOvf64s(d.smax, s.smax)) {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  } else {
    d.smin += s.smin;
    d.smax += s.smax;
  }
  const umin = d.umin + s.umin;
  const umax = d.umax + s.umax;
  if (umin > U64_MAX || umax > U64_MAX) {
    // Both ends wrapping by the same amount keep the range (the kernel's 6.x refinement).
    if (umin > U64_MAX && umax > U64_MAX) {
      d.umin = u64(umin);
      d.umax = u64(umax);
    } else {
      d.umin = 0n;
      d.umax = U64_MAX;
    }
  } else {
    d.umin = umin;
    d.umax = umax;
  }
}

function add32(d: Reg, s: Reg): void {
  if (addOvf32s(d.s32min, s.s32min) || addOvf32s(d.s32max, s.s32max)) {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  } else {
    d.s32min += s.s32min;
    d.s32max += s.s32max;
  }
  const umin = d.u32min + s.u32min;
  const umax = d.u32max + s.u32max;
  if (umin > U32_MAX || umax > U32_MAX) {
    if (umin > U32_MAX && umax > U32_MAX) {
      d.u32min = u32(umin);
      d.u32max = u32(umax);
    } else {
      d.u32min = 0n;
      d.u32max = U32_MAX;
    }
  } else {
    d.u32min = umin;
    d.u32max = umax;
  }
}

function sub64(d: Reg, s: Reg): void {
  if (subOvf64s(d.smin, s.smax) || subOvf64s(d.smax, s.smin)) {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  } else {
    d.smin -= s.smax;
    d.smax -= s.smin;
  }
  if (d.umin < s.umax) {
    const lo = d.umin - s.umax;
    const hi = d.umax - s.umin;
    if (lo < 0n && hi < 0n) {
      d.umin = u64(lo);
      d.umax = u64(hi);
    } else {
      d.umin = 0n;
      d.umax = U64_MAX;
    }
  } else {
    d.umin -= s.umax;
    d.umax -= s.umin;
  }
}

function sub32(d: Reg, s: Reg): void {
  if (subOvf32s(d.s32min, s.s32max) || subOvf32s(d.s32max, s.s32min)) {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  } else {
    d.s32min -= s.s32max;
    d.s32max -= s.s32min;
  }
  if (d.u32min < s.u32max) {
    const lo = d.u32min - s.u32max;
    const hi = d.u32max - s.u32min;
    if (lo < 0n && hi < 0n) {
      d.u32min = u32(lo);
      d.u32max = u32(hi);
    } else {
      d.u32min = 0n;
      d.u32max = U32_MAX;
    }
  } else {
    d.u32min -= s.u32max;
    d.u32max -= s.u32min;
  }
}

function mul64(d: Reg, s: Reg): void {
  const umax = d.umax * s.umax;
  const umin = d.umin * s.umin;
  if (umax > U64_MAX || umin > U64_MAX) {
    d.umin = 0n;
    d.umax = U64_MAX;
  } else {
    d.umin = umin;
    d.umax = umax;
  }
  const p = [d.smin * s.smin, d.smin * s.smax, d.smax * s.smin, d.smax * s.smax];
  if (p.some((x) => x > S64_MAX || x < S64_MIN)) {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  } else {
    d.smin = p.reduce(min);
    d.smax = p.reduce(max);
  }
}

function mul32(d: Reg, s: Reg): void {
  const umax = d.u32max * s.u32max;
  const umin = d.u32min * s.u32min;
  if (umax > U32_MAX || umin > U32_MAX) {
    d.u32min = 0n;
    d.u32max = U32_MAX;
  } else {
    d.u32min = umin;
    d.u32max = umax;
  }
  const p = [d.s32min * s.s32min, d.s32min * s.s32max, d.s32max * s.s32min, d.s32max * s.s32max];
  if (p.some((x) => x > S32_MAX || x < S32_MIN)) {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  } else {
    d.s32min = p.reduce(min);
    d.s32max = p.reduce(max);
  }
}

type Bitwise = 'and' | 'or' | 'xor';

function bitwise64(d: Reg, s: Reg, op: Bitwise): void {
  if (d.varOff.isConst && s.varOff.isConst) {
    // var_off already holds the result.
    d.setKnown(d.varOff.value);
    return;
  }
  if (op === 'and') {
    d.umin = d.varOff.value;
    d.umax = min(d.umax, s.umax);
  } else if (op === 'or') {
    d.umin = max(d.umin, s.umin);
    d.umax = d.varOff.value | d.varOff.mask;
  } else {
    d.umin = d.varOff.value;
    d.umax = d.varOff.value | d.varOff.mask;
  }
  if (s64(d.umin) <= s64(d.umax)) {
    d.smin = s64(d.umin);
    d.smax = s64(d.umax);
  } else {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  }
  d.updateBounds();
}

function bitwise32(d: Reg, s: Reg, op: Bitwise): void {
  const v = d.varOff.subreg();
  if (v.isConst && s.varOff.subreg().isConst) {
    d.s32min = d.s32max = s32(v.value);
    d.u32min = d.u32max = v.value;
    return;
  }
  if (op === 'and') {
    d.u32min = v.value;
    d.u32max = min(d.u32max, s.u32max);
  } else if (op === 'or') {
    d.u32min = max(d.u32min, s.u32min);
    d.u32max = v.value | v.mask;
  } else {
    d.u32min = v.value;
    d.u32max = v.value | v.mask;
  }
  if (s32(d.u32min) <= s32(d.u32max)) {
    d.s32min = s32(d.u32min);
    d.s32max = s32(d.u32max);
  } else {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  }
}

function lsh32Bounds(d: Reg, umin: bigint, umax: bigint): void {
  d.s32min = S32_MIN;
  d.s32max = S32_MAX;
  if (umax > 31n || d.u32max > 1n << (31n - umax)) {
    d.u32min = 0n;
    d.u32max = U32_MAX;
  } else {
    d.u32min <<= umin;
    d.u32max <<= umax;
  }
}

function lsh64(d: Reg, umin: bigint, umax: bigint): void {
  d.smax = umin === 32n && umax === 32n && d.s32max >= 0n ? d.s32max << 32n : S64_MAX;
  d.smin = umin === 32n && umax === 32n && d.s32min >= 0n ? d.s32min << 32n : S64_MIN;
  if (d.umax > 1n << (63n - umax)) {
    d.umin = 0n;
    d.umax = U64_MAX;
  } else {
    d.umin <<= umin;
    d.umax <<= umax;
  }
  lsh32Bounds(d, umin, umax);
  d.varOff = d.varOff.lshift(Number(umin));
  d.updateBounds();
}

/** Unsigned division or modulo by a known constant (the ISA: x / 0 = 0, x % 0 = x). */
function divModConst(d: Reg, c: bigint, isDiv: boolean, alu32: boolean): void {
  let lo = alu32 ? d.u32min : d.umin;
  let hi = alu32 ? d.u32max : d.umax;
  if (c === 0n) {
    if (isDiv) lo = hi = 0n;
  } else if (isDiv) {
    lo /= c;
    hi /= c;
  } else if (hi >= c) {
    lo = 0n;
    hi = c - 1n;
  }
  if (!isDiv && (c === 0n || (alu32 ? d.u32max : d.umax) < c)) return; // dst unchanged
  if (alu32) {
    d.varOff = d.varOff.withSubreg(Tnum.range(lo, hi));
    d.u32min = lo;
    d.u32max = hi;
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
    d.mark64Unbounded();
    d.update32Bounds();
  } else {
    d.varOff = Tnum.range(lo, hi);
    d.umin = lo;
    d.umax = hi;
    d.smin = S64_MIN;
    d.smax = S64_MAX;
    d.mark32Unbounded();
    d.updateBounds();
  }
}

/**
 * dst = dst OP src on scalars (both SCALAR), 64-bit (`alu32` false) or 32-bit. Returns false when the
 * kernel would not compute a range (the result is then an unknown scalar).
 */
export function scalarAlu(d: Reg, src: Reg, op: number, alu32: boolean): void {
  const s = src;
  const bits = alu32 ? 32n : 64n;
  const isShift = op === 0x60 || op === 0x70 || op === 0xc0;
  if (isShift && (!s.varOff.isConst || u64(s.varOff.value) >= bits)) {
    // is_safe_to_compute_dst_reg_range: a shift by an unknown amount yields nothing known.
    d.markUnknown();
    if (alu32) d.zext32();
    return;
  }
  const shiftU = isShift ? (alu32 ? s.u32min : s.umin) : 0n;
  switch (op) {
    case 0x00: // add
      add32(d, s);
      add64(d, s);
      d.varOff = d.varOff.add(s.varOff);
      break;
    case 0x10: // sub
      sub32(d, s);
      sub64(d, s);
      d.varOff = d.varOff.sub(s.varOff);
      break;
    case 0x20: // mul
      d.varOff = d.varOff.mul(s.varOff);
      mul32(d, s);
      mul64(d, s);
      break;
    case 0x50: // and
      d.varOff = d.varOff.and(s.varOff);
      bitwise32(d, s, 'and');
      bitwise64(d, s, 'and');
      break;
    case 0x40: // or
      d.varOff = d.varOff.or(s.varOff);
      bitwise32(d, s, 'or');
      bitwise64(d, s, 'or');
      break;
    case 0xa0: // xor
      d.varOff = d.varOff.xor(s.varOff);
      bitwise32(d, s, 'xor');
      bitwise64(d, s, 'xor');
      break;
    case 0x60: // lsh
      if (alu32) {
        lsh32Bounds(d, shiftU, shiftU);
        d.varOff = d.varOff.subreg().lshift(Number(shiftU)).subreg();
        d.mark64Unbounded();
        d.update32Bounds();
      } else {
        lsh64(d, shiftU, shiftU);
      }
      break;
    case 0x70: // rsh
      if (alu32) {
        const sub = d.varOff.subreg();
        d.s32min = S32_MIN;
        d.s32max = S32_MAX;
        d.varOff = sub.rshift(Number(shiftU));
        d.u32min >>= shiftU;
        d.u32max >>= shiftU;
        d.mark64Unbounded();
        d.update32Bounds();
      } else {
        d.smin = S64_MIN;
        d.smax = S64_MAX;
        d.varOff = d.varOff.rshift(Number(shiftU));
        d.umin >>= shiftU;
        d.umax >>= shiftU;
        d.mark32Unbounded();
        d.updateBounds();
      }
      break;
    case 0xc0: // arsh
      if (alu32) {
        d.s32min >>= shiftU;
        d.s32max >>= shiftU;
        d.varOff = d.varOff.subreg().arshift(Number(shiftU), 32);
        d.u32min = 0n;
        d.u32max = U32_MAX;
        d.mark64Unbounded();
        d.update32Bounds();
      } else {
        d.smin >>= shiftU;
        d.smax >>= shiftU;
        d.varOff = d.varOff.arshift(Number(shiftU), 64);
        d.umin = 0n;
        d.umax = U64_MAX;
        d.mark32Unbounded();
        d.updateBounds();
      }
      break;
    case 0x30: // div (unsigned)
    case 0x90: // mod (unsigned)
      if (!s.varOff.isConst) {
        d.markUnknown();
        break;
      }
      divModConst(d, alu32 ? u32(s.varOff.value) : s.varOff.value, op === 0x30, alu32);
      break;
    default:
      // signed div/mod, and anything else: no range is computed.
      d.markUnknown();
      break;
  }
  d.id = 0;
  if (alu32) d.zext32();
  d.sync();
}

// ---- branches (is_branch_taken, reg_set_min_max) ----

/** Jump ops as the verifier reasons about them. */
/** `set` is JSET (a & b != 0); `nset` its negation, the fall-through of a JSET. */
export type Cmp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'sgt' | 'sge' | 'slt' | 'sle' | 'set' | 'nset';

export const FLIP: Record<Cmp, Cmp> = {
  eq: 'ne', ne: 'eq', gt: 'le', ge: 'lt', lt: 'ge', le: 'gt', sgt: 'sle', sge: 'slt', slt: 'sge', sle: 'sgt', set: 'nset', nset: 'set',
};
/** a OP b ⇔ b SWAP(OP) a. */
export const SWAP: Record<Cmp, Cmp> = {
  eq: 'eq', ne: 'ne', gt: 'lt', ge: 'le', lt: 'gt', le: 'ge', sgt: 'slt', sge: 'sle', slt: 'sgt', sle: 'sge', set: 'set', nset: 'nset',
};

interface View {
  smin: bigint;
  smax: bigint;
  umin: bigint;
  umax: bigint;
  t: Tnum;
}

function view(r: Reg, is32: boolean): View {
  return is32
    ? { smin: r.s32min, smax: r.s32max, umin: r.u32min, umax: r.u32max, t: r.varOff.subreg() }
    : { smin: r.smin, smax: r.smax, umin: r.umin, umax: r.umax, t: r.varOff };
}

/** 1: always taken, 0: never, -1: unknown (is_scalar_branch_taken). */
export function branchTaken(a: Reg, b: Reg, cmp: Cmp, is32: boolean): -1 | 0 | 1 {
  const x = view(a, is32);
  const y = view(b, is32);
  switch (cmp) {
    case 'eq':
      if (x.t.isConst && y.t.isConst) return x.t.value === y.t.value ? 1 : 0;
      if (x.umin > y.umax || x.umax < y.umin || x.smin > y.smax || x.smax < y.smin) return 0;
      if (!x.t.intersectsWith(y.t)) return 0;
      return -1;
    case 'ne':
      if (x.t.isConst && y.t.isConst) return x.t.value !== y.t.value ? 1 : 0;
      if (x.umin > y.umax || x.umax < y.umin || x.smin > y.smax || x.smax < y.smin) return 1;
      if (!x.t.intersectsWith(y.t)) return 1;
      return -1;
    case 'set':
      if ((x.t.value & y.t.value) !== 0n) return 1;
      if (((x.t.value | x.t.mask) & (y.t.value | y.t.mask)) === 0n) return 0;
      return -1;
    case 'nset': {
      const t = branchTaken(a, b, 'set', is32);
      return t < 0 ? -1 : t === 1 ? 0 : 1;
    }
    case 'gt':
      if (x.umin > y.umax) return 1;
      if (x.umax <= y.umin) return 0;
      return -1;
    case 'sgt':
      if (x.smin > y.smax) return 1;
      if (x.smax <= y.smin) return 0;
      return -1;
    case 'lt':
      if (x.umax < y.umin) return 1;
      if (x.umin >= y.umax) return 0;
      return -1;
    case 'slt':
      if (x.smax < y.smin) return 1;
      if (x.smin >= y.smax) return 0;
      return -1;
    case 'ge':
      if (x.umin >= y.umax) return 1;
      if (x.umax < y.umin) return 0;
      return -1;
    case 'sge':
      if (x.smin >= y.smax) return 1;
      if (x.smax < y.smin) return 0;
      return -1;
    case 'le':
      if (x.umax <= y.umin) return 1;
      if (x.umin > y.umax) return 0;
      return -1;
    case 'sle':
      if (x.smax <= y.smin) return 1;
      if (x.smin > y.smax) return 0;
      return -1;
  }
}

/**
 * Narrow a and b assuming `a cmp b` holds (regs_refine_cond_op). Both are scalars; the caller syncs them
 * afterwards and drops the branch when the bounds cross.
 */
export function refine(a: Reg, b: Reg, cmp: Cmp, is32: boolean): void {
  if (is32) refine32(a, b, cmp);
  else refine64(a, b, cmp);
}

function refine64(a: Reg, b: Reg, cmp: Cmp): void {
  switch (cmp) {
    case 'eq': {
      a.umin = b.umin = max(a.umin, b.umin);
      a.umax = b.umax = min(a.umax, b.umax);
      a.smin = b.smin = max(a.smin, b.smin);
      a.smax = b.smax = min(a.smax, b.smax);
      a.varOff = b.varOff = a.varOff.intersect(b.varOff);
      break;
    }
    case 'ne':
      if (b.varOff.isConst) neConst(a, b.varOff.value, false);
      else if (a.varOff.isConst) neConst(b, a.varOff.value, false);
      break;
    case 'set':
      // Some bit of b is set in a: known only when b has a single bit.
      if (b.varOff.isConst && isPow2(b.varOff.value)) a.varOff = a.varOff.or(b.varOff);
      break;
    case 'nset':
      // No bit of b is set in a.
      if (b.varOff.isConst) a.varOff = Tnum.of(a.varOff.value & ~b.varOff.value, a.varOff.mask & ~b.varOff.value);
      break;
    case 'le':
      a.umax = min(a.umax, b.umax);
      b.umin = max(b.umin, a.umin);
      break;
    case 'lt':
      a.umax = min(a.umax, b.umax - 1n);
      b.umin = max(b.umin, a.umin + 1n);
      break;
    case 'sle':
      a.smax = min(a.smax, b.smax);
      b.smin = max(b.smin, a.smin);
      break;
    case 'slt':
      a.smax = min(a.smax, b.smax - 1n);
      b.smin = max(b.smin, a.smin + 1n);
      break;
    default:
      refine64(b, a, SWAP[cmp]);
      return;
  }
}

const isPow2 = (v: bigint): boolean => v !== 0n && (v & (v - 1n)) === 0n;

function neConst(a: Reg, v: bigint, is32: boolean): void {
  // A range whose end equals the excluded constant shrinks by one.
  if (is32) {
    const uv = u32(v);
    const sv = s32(v);
    if (a.u32min === uv) a.u32min += 1n;
    else if (a.u32max === uv) a.u32max -= 1n;
    if (a.s32min === sv) a.s32min += 1n;
    else if (a.s32max === sv) a.s32max -= 1n;
  } else {
    const uv = u64(v);
    const sv = s64(v);
    if (a.umin === uv) a.umin += 1n;
    else if (a.umax === uv) a.umax -= 1n;
    if (a.smin === sv) a.smin += 1n;
    else if (a.smax === sv) a.smax -= 1n;
  }
}

function refine32(a: Reg, b: Reg, cmp: Cmp): void {
  switch (cmp) {
    case 'eq': {
      a.u32min = b.u32min = max(a.u32min, b.u32min);
      a.u32max = b.u32max = min(a.u32max, b.u32max);
      a.s32min = b.s32min = max(a.s32min, b.s32min);
      a.s32max = b.s32max = min(a.s32max, b.s32max);
      const t = a.varOff.subreg().intersect(b.varOff.subreg());
      a.varOff = a.varOff.withSubreg(t);
      b.varOff = b.varOff.withSubreg(t);
      break;
    }
    case 'ne':
      if (b.varOff.subreg().isConst) neConst(a, b.varOff.subreg().value, true);
      else if (a.varOff.subreg().isConst) neConst(b, a.varOff.subreg().value, true);
      break;
    case 'set':
      if (b.varOff.subreg().isConst && isPow2(b.varOff.subreg().value)) {
        a.varOff = a.varOff.withSubreg(a.varOff.subreg().or(b.varOff.subreg()));
      }
      break;
    case 'nset':
      if (b.varOff.subreg().isConst) {
        const v = b.varOff.subreg().value;
        const sub = a.varOff.subreg();
        a.varOff = a.varOff.withSubreg(Tnum.of(sub.value & ~v, sub.mask & ~v));
      }
      break;
    case 'le':
      a.u32max = min(a.u32max, b.u32max);
      b.u32min = max(b.u32min, a.u32min);
      break;
    case 'lt':
      a.u32max = min(a.u32max, b.u32max - 1n);
      b.u32min = max(b.u32min, a.u32min + 1n);
      break;
    case 'sle':
      a.s32max = min(a.s32max, b.s32max);
      b.s32min = max(b.s32min, a.s32min);
      break;
    case 'slt':
      a.s32max = min(a.s32max, b.s32max - 1n);
      b.s32min = max(b.s32min, a.s32min + 1n);
      break;
    default:
      refine32(b, a, SWAP[cmp]);
      return;
  }
}

// ---- state equivalence for scalars (regsafe: range_within + tnum_in) ----

/** Does `old` cover every value `cur` may hold? */
export function scalarWithin(old: Reg, cur: Reg): boolean {
  return (
    old.umin <= cur.umin &&
    old.umax >= cur.umax &&
    old.smin <= cur.smin &&
    old.smax >= cur.smax &&
    old.u32min <= cur.u32min &&
    old.u32max >= cur.u32max &&
    old.s32min <= cur.s32min &&
    old.s32max >= cur.s32max &&
    old.varOff.contains(cur.varOff)
  );
}
