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

/** One width's bounds: the 64-bit ones or the 32-bit (subregister) ones, and their limits. */
interface Width {
  smin: 'smin' | 's32min';
  smax: 'smax' | 's32max';
  umin: 'umin' | 'u32min';
  umax: 'umax' | 'u32max';
  SMIN: bigint;
  SMAX: bigint;
  UMAX: bigint;
  signed: (x: bigint) => bigint;
  unsigned: (x: bigint) => bigint;
  tnum: (r: Reg) => Tnum;
}

const W64: Width = { smin: 'smin', smax: 'smax', umin: 'umin', umax: 'umax', SMIN: S64_MIN, SMAX: S64_MAX, UMAX: U64_MAX, signed: s64, unsigned: u64, tnum: (r) => r.varOff };
const W32: Width = { smin: 's32min', smax: 's32max', umin: 'u32min', umax: 'u32max', SMIN: S32_MIN, SMAX: S32_MAX, UMAX: U32_MAX, signed: s32, unsigned: u32, tnum: (r) => r.varOff.subreg() };

/** Signed bounds [lo, hi] computed exactly; if either end left the type, nothing is known. */
function setSigned(d: Reg, w: Width, lo: bigint, hi: bigint): void {
  const over = lo < w.SMIN || hi > w.SMAX || lo > w.SMAX || hi < w.SMIN;
  d[w.smin] = over ? w.SMIN : lo;
  d[w.smax] = over ? w.SMAX : hi;
}

/** Unsigned bounds [lo, hi] computed exactly: both ends wrapping by the same amount keep the range. */
function setUnsigned(d: Reg, w: Width, lo: bigint, hi: bigint): void {
  const m = w.UMAX + 1n;
  const loWrap = lo < 0n ? -1n : lo > w.UMAX ? 1n : 0n;
  const hiWrap = hi < 0n ? -1n : hi > w.UMAX ? 1n : 0n;
  if (loWrap !== hiWrap) {
    d[w.umin] = 0n;
    d[w.umax] = w.UMAX;
  } else {
    d[w.umin] = lo - loWrap * m;
    d[w.umax] = hi - hiWrap * m;
  }
}

/** scalar(32)_min_max_add / _sub / _mul, at one width. */
function arith(d: Reg, s: Reg, op: 'add' | 'sub' | 'mul', w: Width): void {
  const [dsl, dsh, dul, duh] = [d[w.smin], d[w.smax], d[w.umin], d[w.umax]];
  const [ssl, ssh, sul, suh] = [s[w.smin], s[w.smax], s[w.umin], s[w.umax]];
  if (op === 'add') {
    setSigned(d, w, dsl + ssl, dsh + ssh);
    setUnsigned(d, w, dul + sul, duh + suh);
  } else if (op === 'sub') {
    setSigned(d, w, dsl - ssh, dsh - ssl);
    setUnsigned(d, w, dul - suh, duh - sul);
  } else {
    const ulo = dul * sul;
    const uhi = duh * suh;
    d[w.umin] = uhi > w.UMAX ? 0n : ulo;
    d[w.umax] = uhi > w.UMAX ? w.UMAX : uhi;
    const p = [dsl * ssl, dsl * ssh, dsh * ssl, dsh * ssh];
    setSigned(d, w, p.reduce(min), p.reduce(max));
  }
}

type Bitwise = 'and' | 'or' | 'xor';

/** scalar(32)_min_max_and / _or / _xor, at one width, after var_off holds the result's known bits. */
function bitwise(d: Reg, s: Reg, op: Bitwise, w: Width): void {
  const v = w.tnum(d);
  if (v.isConst && w.tnum(s).isConst) {
    if (w === W64) {
      d.setKnown(v.value);
    } else {
      d.s32min = d.s32max = s32(v.value);
      d.u32min = d.u32max = v.value;
    }
    return;
  }
  if (op === 'and') {
    d[w.umin] = v.value;
    d[w.umax] = min(d[w.umax], s[w.umax]);
  } else {
    d[w.umin] = op === 'or' ? max(d[w.umin], s[w.umin]) : v.value;
    d[w.umax] = v.value | v.mask;
  }
  // The unsigned range is a signed one too when it does not cross the sign boundary.
  const ok = w.signed(d[w.umin]) <= w.signed(d[w.umax]);
  d[w.smin] = ok ? w.signed(d[w.umin]) : w.SMIN;
  d[w.smax] = ok ? w.signed(d[w.umax]) : w.SMAX;
  if (w === W64) d.updateBounds();
}

/**
 * Pointer arithmetic's bounds (adjust_ptr_min_max_vals): the 64-bit sum or difference of the
 * pointer's variable part and the offset; the 32-bit bounds are left unbounded.
 */
export function pointerBounds(r: Reg, ptr: Reg, off: Reg, op: 'add' | 'sub'): void {
  r.copyScalarFrom(ptr);
  arith(r, off, op, W64);
  r.mark32Unbounded();
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
      arith(d, s, 'add', W32);
      arith(d, s, 'add', W64);
      d.varOff = d.varOff.add(s.varOff);
      break;
    case 0x10: // sub
      arith(d, s, 'sub', W32);
      arith(d, s, 'sub', W64);
      d.varOff = d.varOff.sub(s.varOff);
      break;
    case 0x20: // mul
      d.varOff = d.varOff.mul(s.varOff);
      arith(d, s, 'mul', W32);
      arith(d, s, 'mul', W64);
      break;
    case 0x50: // and
      d.varOff = d.varOff.and(s.varOff);
      bitwise(d, s, 'and', W32);
      bitwise(d, s, 'and', W64);
      break;
    case 0x40: // or
      d.varOff = d.varOff.or(s.varOff);
      bitwise(d, s, 'or', W32);
      bitwise(d, s, 'or', W64);
      break;
    case 0xa0: // xor
      d.varOff = d.varOff.xor(s.varOff);
      bitwise(d, s, 'xor', W32);
      bitwise(d, s, 'xor', W64);
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
