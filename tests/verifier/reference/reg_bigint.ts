// The scalar domain as it was before the verifier's fast paths (git 8da5f81: src/verifier/reg.ts), kept
// unchanged as the oracle of tests/verifier/bounds_diff.test.ts: every result of the fast code must equal it.

// Register state and the scalar domain of the verifier: a tnum (known bits) plus signed and unsigned
// bounds at 64 and 32 bits, kept consistent with each other by reg_bounds_sync(). The arithmetic follows
// kernel/bpf/verifier.c (scalar_min_max_*, __reg_deduce_bounds, zext_32_to_64, reg_set_min_max) so that
// what wxdp proves about a value is what the kernel proves, and the log prints the same ranges.

import { Tnum } from './tnum_bigint.js';

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
  /** PTR_TO_SOCKET: a full socket (struct bpf_sock), from ctx->sk or a sockmap lookup. */
  SOCKET,
  /** PTR_TO_SOCK_COMMON: the part of struct bpf_sock every socket kind has (sk_reuseport's migrating_sk). */
  SOCK_COMMON,
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
  /** array_of_maps / hash_of_maps: the inner map template (inner_map_meta) a non-NULL lookup points to. */
  inner?: MapInfo;
  /** Where the value's `struct bpf_spin_lock` is (its BTF), or -1 / undefined without one. */
  spinLockOff?: number;
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
  /** The reference (ringbuf reservation, socket) this pointer holds. */
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
  /** A bpf_dynptr_data slice: the id of the dynptr it came from (invalid once that dynptr is overwritten). */
  dynptrId = 0;
  /** PTR_TO_MEM | DYNPTR_TYPE_XDP: a bpf_dynptr_slice(_rdwr) of the packet, invalid once the packet moves. */
  pktSlice = false;
  /** MEM standing for a PTR_TO_BTF_ID a kfunc returned: the WXDP_BTF struct it points at (btf_access.ts walks its loads). */
  btf: string | undefined;

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
    r.dynptrId = this.dynptrId;
    r.pktSlice = this.pktSlice;
    r.btf = this.btf;
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

  /** An unknown scalar from now on (__mark_reg_unknown). */
  markUnknown(): void {
    Object.assign(this, new Reg());
    this.type = RegType.SCALAR;
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
    // 6.18.y: the u64 range and the tnum meeting in one value make it that constant (the id stays);
    // on a constant or unknown tnum it un-crosses crossed bounds (bounds within u64: tnum_step's type).
    if ((v.mask === U64_MAX || v.mask === 0n) && !(this.umin >= 0n && this.umin <= U64_MAX && this.umax >= 0n && this.umax <= U64_MAX)) return;
    const next = v.step(this.umin);
    const uminIn = v.has(this.umin);
    const tmax = v.value | v.mask;
    let k: bigint | undefined;
    if (uminIn && next > this.umax) k = this.umin;
    else if (!uminIn && next === tmax) k = tmax;
    else if (!uminIn && next <= this.umax && v.step(next) > this.umax) k = next;
    if (k !== undefined) {
      const id = this.id;
      this.setKnown(k);
      this.id = id;
    }
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
      if (u32(this.smin) <= u32(this.smax)) {
        this.u32min = max(this.u32min, u32(this.smin));
        this.u32max = min(this.u32max, u32(this.smax));
      }
      if (s32(this.smin) <= s32(this.smax)) {
        this.s32min = max(this.s32min, s32(this.smin));
        this.s32max = min(this.s32max, s32(this.smax));
      }
    }
    // upper halves two consecutive u32 values, the lower halves negative then non-negative as s32
    for (const [lo, hi] of [[this.umin, this.umax], [this.smin, this.smax]] as const) {
      if (u32((lo >> 32n) + 1n) === u32(hi >> 32n) && s32(lo) < 0n && s32(hi) >= 0n) {
        this.s32min = max(this.s32min, s32(lo));
        this.s32max = min(this.s32max, s32(hi));
      }
    }
    if (s32(this.u32min) <= s32(this.u32max)) {
      this.s32min = max(this.s32min, s32(this.u32min));
      this.s32max = min(this.s32max, s32(this.u32max));
    }
    if (u32(this.s32min) <= u32(this.s32max)) {
      this.u32min = max(this.u32min, u32(this.s32min));
      this.u32max = min(this.u32max, u32(this.s32max));
    } else if (this.u32max < u32(this.s32min)) {
      this.s32min = s32(this.u32min);
      this.u32max = min(this.u32max, u32(this.s32max));
    } else if (u32(this.s32max) < this.u32min) {
      this.s32max = s32(this.u32max);
      this.u32min = max(this.u32min, u32(this.s32min));
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
    } else if (this.umax < u64(this.smin)) {
      // (a semantic change made here too: Linux 6.17's s64 range across the sign boundary)
      this.smin = s64(this.umin);
      this.umax = min(this.umax, u64(this.smax));
    } else if (u64(this.smax) < this.umin) {
      this.smax = s64(this.umax);
      this.umin = max(this.umin, u64(this.smin));
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
    // reg_bounds_sync on a value that knows nothing changes nothing; a constant within its bounds
    // becomes exact in every view. Both are common and the general path is costly in BigInt.
    const v = this.varOff;
    if (v.isUnknown && this.smin === S64_MIN && this.smax === S64_MAX && this.umin === 0n && this.umax === U64_MAX &&
        this.s32min === S32_MIN && this.s32max === S32_MAX && this.u32min === 0n && this.u32max === U32_MAX) {
      return;
    }
    if (v.isConst) {
      const k = v.value;
      const sk = s64(k);
      const k32 = u32(k);
      const sk32 = s32(k);
      if (this.umin <= k && k <= this.umax && this.smin <= sk && sk <= this.smax &&
          this.u32min <= k32 && k32 <= this.u32max && this.s32min <= sk32 && sk32 <= this.s32max) {
        this.umin = this.umax = k;
        this.smin = this.smax = sk;
        this.u32min = this.u32max = k32;
        this.s32min = this.s32max = sk32;
        return;
      }
    }
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
    // (a 4-byte truncation keeps the 32-bit bounds as they were: coerce_reg_to_size forgets them only
    // below 4 bytes, then reg_bounds_sync takes them from the 64-bit ones)
    if (size < 4) {
      this.mark32Unbounded();
      this.u32min = this.umin;
      this.u32max = this.umax;
      this.s32min = this.umin;
      this.s32max = this.umax;
    }
    this.sync();
  }

  /** Sign-extend the low `size` bytes (movsx, ldsx). */
  coerceToSizeSx(size: number, to: 32 | 64): void {
    // (a semantic change made here too: the 64-bit one as 6.18.44 does it, probed — see sx64 below)
    if (to === 64) {
      this.sx64(size);
      return;
    }
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
      // (semantic changes made here too: a 64-bit sign extension of 4 bytes takes the s32 bounds, 6.18.44;
      // a 32-bit one starts from the s32 bounds; and of 1 or 2 bytes, bounds that agree above those bytes
      // with low parts of one sign give the sign-extended low parts, coerce_(sub)reg_to_size_sx, where
      // only a 64-bit one keeps a range that fits)
      const fromS32 = size === 4 || to === 32;
      const sv = fromS32 ? this.s32min : this.smin;
      const ev = fromS32 ? this.s32max : this.smax;
      if (sv >= lo && ev <= hi && sv <= ev && (to === 64 || sv >= 0n || ev < 0n)) {
        smin = sv;
        smax = ev;
      } else if (size < 4) {
        const w = to === 32 ? 32 : 64;
        if (BigInt.asUintN(w, sv) >> BigInt(bits) === BigInt.asUintN(w, ev) >> BigInt(bits)) {
          const a = BigInt.asIntN(bits, sv);
          const b = BigInt.asIntN(bits, ev);
          const [mn, mx] = a < b ? [a, b] : [b, a];
          if (mn >= 0n === mx >= 0n) {
            smin = mn;
            smax = mx;
          }
        }
      }
    }
    const out = Reg.unknown();
    if (to === 64) {
      // (a semantic change made here too: the s32 bounds with the s64 ones, coerce_reg_to_size_sx)
      out.smin = out.s32min = smin;
      out.smax = out.s32max = smax;
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

  /**
   * 6.18.44's 64-bit sign extension (probed): a constant sign-extended; s32 bounds within the narrower
   * type keep the low half (s32, u32 as they are; s64 = s32; u64 = u32 sign-extended; the tnum their
   * range); otherwise 6.18.35's coerce_reg_to_size_sx on the s64 bounds. Not synced after.
   */
  private sx64(size: number): void {
    const bits = size * 8;
    const lo = -(1n << BigInt(bits - 1));
    const hi = (1n << BigInt(bits - 1)) - 1n;
    const set = (smin: bigint, smax: bigint, umin: bigint, umax: bigint, s32min: bigint, s32max: bigint, u32min: bigint, u32max: bigint, t: Tnum): void => {
      this.smin = smin;
      this.smax = smax;
      this.umin = umin;
      this.umax = umax;
      this.s32min = s32min;
      this.s32max = s32max;
      this.u32min = u32min;
      this.u32max = u32max;
      this.varOff = t;
    };
    if (this.varOff.isConst) {
      const v = BigInt.asIntN(bits, this.varOff.value);
      set(v, v, u64(v), u64(v), s32(v), s32(v), u32(v), u32(v), Tnum.const(u64(v)));
      return;
    }
    if (this.s32min >= lo && this.s32max <= hi) {
      const umin = u64(s32(this.u32min));
      const umax = u64(s32(this.u32max));
      set(this.s32min, this.s32max, umin, umax, this.s32min, this.s32max, this.u32min, this.u32max, Tnum.range(umin, umax));
      return;
    }
    if (u64(this.smin) >> BigInt(bits) === u64(this.smax) >> BigInt(bits)) {
      const a = BigInt.asIntN(bits, this.smin);
      const b = BigInt.asIntN(bits, this.smax);
      const [mn, mx] = a < b ? [a, b] : [b, a];
      if (mn >= 0n === mx >= 0n) {
        set(mn, mx, u64(mn), u64(mx), mn, mx, u32(mn), u32(mx), Tnum.range(u64(mn), u64(mx)));
        return;
      }
    }
    set(lo, hi, 0n, U64_MAX, lo, hi, 0n, U32_MAX, Tnum.unknown);
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
      if (this.varOff.isConst) return `${s64(this.varOff.value)}`;
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
  [RegType.SOCKET]: 'sock',
  [RegType.SOCK_COMMON]: 'sock_common',
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
export function divModConst(d: Reg, c: bigint, isDiv: boolean, alu32: boolean): void {
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

const TWO_OPERAND: Partial<Record<number, 'add' | 'sub' | 'mul' | Bitwise>> = {
  0x00: 'add',
  0x10: 'sub',
  0x20: 'mul',
  0x40: 'or',
  0x50: 'and',
  0xa0: 'xor',
};

/**
 * dst = dst OP src on scalars (both SCALAR), 64-bit (`alu32` false) or 32-bit. Returns false when the
 * kernel would not compute a range (the result is then an unknown scalar).
 */
export function scalarAlu(d: Reg, src: Reg, op: number, alu32: boolean): void {
  const s = src;
  const bits = alu32 ? 32n : 64n;
  const isShift = op === 0x60 || op === 0x70 || op === 0xc0;
  if (isShift && (!s.varOff.isConst || u64(s.varOff.value) >= bits)) {
    // is_safe_to_compute_dst_reg_range: a shift by an unknown amount yields nothing known (s32: all 64
    // bits, no ALU32 zero extension — adjust_scalar_min_max_vals returns before it).
    d.markUnknown();
    return;
  }
  const shiftU = isShift ? (alu32 ? s.u32min : s.umin) : 0n;
  switch (op) {
    case 0x00: // add
    case 0x10: // sub
    case 0x20: // mul
    case 0x50: // and
    case 0x40: // or
    case 0xa0: {
      // xor — var_off first: the bitwise bounds start from the result's known bits.
      const name = TWO_OPERAND[op]!;
      d.varOff = d.varOff[name](s.varOff);
      if (name === 'add' || name === 'sub' || name === 'mul') {
        arith(d, s, name, W32);
        arith(d, s, name, W64);
      } else {
        bitwise(d, s, name, W32);
        bitwise(d, s, name, W64);
      }
      break;
    }
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
    // div/mod by a constant no longer get a range (verif14d: Linux 6.18 computes none); divModConst stays
    // below, unused, as the record of what they got.
    default:
      // signed div/mod, and anything else: no range is computed, all 64 bits unknown (s32, as above).
      d.markUnknown();
      d.id = 0;
      d.sync();
      return;
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
      // a 64-bit compare: 32-bit ranges that do not meet decide it too
      if (!is32 && (a.u32min > b.u32max || a.u32max < b.u32min || a.s32min > b.s32max || a.s32max < b.s32min)) return 0;
      if (!x.t.intersectsWith(y.t)) return 0;
      return -1;
    case 'ne':
      if (x.t.isConst && y.t.isConst) return x.t.value !== y.t.value ? 1 : 0;
      if (x.umin > y.umax || x.umax < y.umin || x.smin > y.smax || x.smax < y.smin) return 1;
      // a 64-bit compare: 32-bit ranges that do not meet decide it too
      if (!is32 && (a.u32min > b.u32max || a.u32max < b.u32min || a.s32min > b.s32max || a.s32max < b.s32min)) return 1;
      if (!x.t.intersectsWith(y.t)) return 1;
      return -1;
    case 'set': {
      // decided only against a constant, either side (is_scalar_branch_taken's JSET)
      const [v, k] = y.t.mask === 0n ? [x.t, y.t] : x.t.mask === 0n ? [y.t, x.t] : [undefined, undefined];
      if (!v || !k) return -1;
      if ((v.value & k.value) !== 0n) return 1;
      if (((v.value | v.mask) & k.value) === 0n) return 0;
      return -1;
    }
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
  refineAt(a, b, cmp, is32 ? W32 : W64);
}

const isPow2 = (v: bigint): boolean => v !== 0n && (v & (v - 1n)) === 0n;

/** Replace the known bits at one width: the whole tnum, or its low half. */
function setTnum(r: Reg, w: Width, t: Tnum): void {
  r.varOff = w === W64 ? t : r.varOff.withSubreg(t);
}

function refineAt(a: Reg, b: Reg, cmp: Cmp, w: Width): void {
  const bt = w.tnum(b);
  switch (cmp) {
    case 'eq': {
      a[w.umin] = b[w.umin] = max(a[w.umin], b[w.umin]);
      a[w.umax] = b[w.umax] = min(a[w.umax], b[w.umax]);
      a[w.smin] = b[w.smin] = max(a[w.smin], b[w.smin]);
      a[w.smax] = b[w.smax] = min(a[w.smax], b[w.smax]);
      const t = w.tnum(a).intersect(bt);
      setTnum(a, w, t);
      setTnum(b, w, t);
      break;
    }
    case 'ne':
      if (bt.isConst) neConst(a, bt.value, w);
      else if (w.tnum(a).isConst) neConst(b, w.tnum(a).value, w);
      break;
    case 'set':
    case 'nset': {
      // The constant side is the mask, either side.
      if (!bt.isConst && w.tnum(a).isConst) {
        refineAt(b, a, cmp, w);
        break;
      }
      if (!bt.isConst) break;
      if (cmp === 'set') {
        // Some bit of b is set in a: known only when b has a single bit.
        if (isPow2(bt.value)) setTnum(a, w, w.tnum(a).or(bt));
        break;
      }
      // No bit of b is set in a: every range forgotten first (Linux 6.18), then the tnum narrowed.
      a.mark64Unbounded();
      a.mark32Unbounded();
      const t = w.tnum(a);
      setTnum(a, w, Tnum.of(t.value & ~bt.value, t.mask & ~bt.value));
      break;
    }
    case 'le':
      a[w.umax] = min(a[w.umax], b[w.umax]);
      b[w.umin] = max(b[w.umin], a[w.umin]);
      break;
    case 'lt':
      a[w.umax] = min(a[w.umax], b[w.umax] - 1n);
      b[w.umin] = max(b[w.umin], a[w.umin] + 1n);
      break;
    case 'sle':
      a[w.smax] = min(a[w.smax], b[w.smax]);
      b[w.smin] = max(b[w.smin], a[w.smin]);
      break;
    case 'slt':
      a[w.smax] = min(a[w.smax], b[w.smax] - 1n);
      b[w.smin] = max(b[w.smin], a[w.smin] + 1n);
      break;
    default:
      refineAt(b, a, SWAP[cmp], w);
  }
}

/** A range whose end equals the excluded constant shrinks by one. */
function neConst(a: Reg, v: bigint, w: Width): void {
  const uv = w.unsigned(v);
  const sv = w.signed(v);
  if (a[w.umin] === uv) a[w.umin] += 1n;
  else if (a[w.umax] === uv) a[w.umax] -= 1n;
  if (a[w.smin] === sv) a[w.smin] += 1n;
  else if (a[w.smax] === sv) a[w.smax] -= 1n;
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
