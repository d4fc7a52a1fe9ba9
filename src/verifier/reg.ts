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

/**
 * include/linux/bpf_verifier.h: the id's upper bits of a scalar linked with a constant delta. `r1 = r2`
 * links both under one id N; `r1 += 10` then makes r1's id N | BPF_ADD_CONST64 with off 10 (`w1 += 10`:
 * BPF_ADD_CONST32), so a compare that bounds r2 bounds r1 as r2 + 10 (sync_linked_regs). Ids stay
 * below BPF_ADD_CONST32 (they count up from 1); an id with a flag is kept unsigned (`>>> 0`).
 */
export const BPF_ADD_CONST64 = 0x80000000;
export const BPF_ADD_CONST32 = 0x40000000;
export const BPF_ADD_CONST = 0xc0000000;
/** `id & ~BPF_ADD_CONST`: the id linked registers share. */
export const baseId = (id: number): number => id & 0x3fffffff;
/** `id & BPF_ADD_CONST`: which delta, if any, the register keeps to the others of its id (unsigned). */
export const addConstOf = (id: number): number => (id & BPF_ADD_CONST) >>> 0;

export const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
export const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
export const s32 = (x: bigint): bigint => BigInt.asIntN(32, x);
export const u32 = (x: bigint): bigint => BigInt.asUintN(32, x);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
/** The sign bit alone, unsigned (u64(S64_MIN), u32(S32_MIN)), and every bit above the low 32 (~0xffffffff). */
const S64_SIGN = 1n << 63n;
const S32_SIGN = 1n << 31n;
const HI_MASK = ~0xffffffffn;
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
  /** PTR_TO_XDP_SOCK: an AF_XDP socket found in an xskmap (struct bpf_xdp_sock: its queue_id only). */
  XDP_SOCK,
  /**
   * CONST_PTR_TO_DYNPTR: a global function's `struct bpf_dynptr *` argument (do_check_common), an
   * initialised dynptr (of type SKB, dynptr.ts: dynptrAt) the function may not re-create or release.
   */
  CONST_DYNPTR,
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
  /** Program-side write-only (BPF_F_WRONLY_PROG without BPF_F_RDONLY_PROG): loads are rejected. */
  writeonly?: boolean;
  /** BPF_MAP_FREEZE'd (with readonly: bpf_map_is_rdonly, what ARG_PTR_TO_CONST_STR asks). */
  frozen?: boolean;
  /** A frozen, read-only map's single value: loads at a constant offset read it as a known constant. */
  frozenValue?: Uint8Array;
  /** array_of_maps / hash_of_maps: the inner map template (inner_map_meta) a non-NULL lookup points to. */
  inner?: MapInfo;
  /** Where the value's `struct bpf_spin_lock` is (its BTF), or -1 / undefined without one. */
  spinLockOff?: number;
  /** The lock at spinLockOff is a `struct bpf_res_spin_lock` (the bpf_res_spin_lock kfuncs'), not a bpf_spin_lock. */
  resLock?: boolean;
  /** Where the value's `struct bpf_timer` is (its BTF), or -1 / undefined without one. */
  timerOff?: number;
  /** Created without BTF (libbpf's retry after map_check_btf's EOPNOTSUPP): map->btf is NULL. */
  noBtf?: boolean;
  /** An inner map template's bpf_list_head / bpf_rb_root fields (local_obj.ts GraphRoot); others: from the `.maps` BTF by name. */
  graphRoots?: readonly { off: number; type: 'bpf_list_head' | 'bpf_rb_root'; valueId: number; valueName: string; nodeOff: number }[];
  /** An inner map template's kptr fields (local_obj.ts KptrField); others: from the `.maps` BTF by name. */
  kptrs?: readonly { off: number; type: 'kptr' | 'kptr_untrusted' | 'percpu_kptr'; structId: number; structName: string; kernel: boolean }[];
}

/** A constant's views (setKnown), made once per value: BigInt and Tnum values are immutable, so shared. */
interface KnownViews {
  t: Tnum;
  s: bigint;
  u: bigint;
  s32: bigint;
  u32: bigint;
}

const KNOWN = new Map<bigint, KnownViews>();

/** mark_pkt_end's ranges: the pointer is at the packet's end or past it (`pkt >= pkt_end`), or past it (`pkt > pkt_end`). */
export const AT_PKT_END = -1;
export const BEYOND_PKT_END = -2;

export class Reg {
  type: RegType = RegType.NOT_INIT;
  /** PTR_MAYBE_NULL: a pointer a helper returned that has not been compared with 0 yet. */
  maybeNull = false;
  /** MEM_RINGBUF (for MEM) / MEM_RDONLY. */
  ringbuf = false;
  rdonly = false;
  /**
   * PTR_UNTRUSTED (for MEM): a global function's arg:untrusted `void *` or pointer to a primitive
   * (btf_prepare_func_args), read through probe loads, which fault to 0, so at any offset.
   */
  untrusted = false;
  /**
   * PTR_TO_BTF_ID | PTR_TRUSTED, modelled as read-only MEM of wxdp's struct size: a tp_btf program's
   * struct pointer argument (tracing.ts), the struct's name. Its type name is the kernel's (trusted_ptr_),
   * a helper may not be given it to write into (check_reg_type), and check_ptr_to_btf_access's offset and
   * write refusals name the struct (ptr_net_device).
   */
  trustedBtf: string | undefined = undefined;
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
  /** Packet pointers: bytes proven readable past `off` (data_end comparison), or AT_PKT_END / BEYOND_PKT_END. */
  range = 0;
  /** CONST_MAP / MAP_VALUE / MAP_KEY. */
  map: MapInfo | undefined;
  /**
   * map_uid: which lookup of a map-in-map found the inner map (the lookup's id, when the inner
   * template's value holds a bpf_timer), carried to the values looked up in it; 0 for any other map.
   * bpf_timer_init's map must be the timer's own, uid included (one inner template stands for every
   * inner map, so the pointer alone does not tell two lookups apart).
   */
  mapUid = 0;
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
  /**
   * PTR_TO_BTF_ID | MEM_ALLOC (src/verifier/local_obj.ts): the program-BTF type id of a bpf_obj_new
   * object (btf holds its struct's name, memSize its size); 0 for any other register.
   */
  alloc = 0;
  /** A MEM_ALLOC pointer that is a non-owning reference (NON_OWN_REF: a node pushed into a collection, valid until the lock goes). */
  nonOwning = false;
  /**
   * MEM_RCU on a MEM_ALLOC pointer: a map value's kptr loaded inside an RCU section (XDP is never
   * sleepable, so always: btf_ld_kptr_type), usable for loads and stores, but no reference to drop or push.
   */
  rcu = false;
  /** MEM_PERCPU on a MEM_ALLOC pointer: a bpf_percpu_obj_new object (one copy per CPU, no direct access). */
  percpu = false;
  /**
   * This register with `precise` flipped, made once (precisionTwin): registers shared between
   * states are never changed, so every state that marks a shared one (im)precise can hold the same copy.
   * Not copied by clone().
   */
  private twin: Reg | undefined = undefined;

  clone(): Reg {
    return new Reg().copyFrom(this);
  }

  /**
   * A copy with `precise` flipped (marked precise, or imprecise for a precise one), the same one every
   * time it is asked for, whose own twin is this register: only for a register that is never changed in
   * place again (one shared between states, or a spill), and the copy is shared as well.
   */
  precisionTwin(): Reg {
    if (this.twin === undefined) {
      const t = this.clone();
      t.precise = !this.precise;
      // (tests/verifier/cow freezes shared registers: nothing kept on those)
      if (Object.isFrozen(this)) return t;
      this.twin = t;
      // and the twin's twin is this register (a precision mark and a checkpoint's unmarking alternate)
      t.twin = this;
    }
    return this.twin;
  }

  /** Make this register a copy of `o` (clone() without the allocation: a scratch register refilled). */
  copyFrom(o: Reg): this {
    this.twin = undefined;
    this.type = o.type;
    this.maybeNull = o.maybeNull;
    this.ringbuf = o.ringbuf;
    this.rdonly = o.rdonly;
    this.untrusted = o.untrusted;
    this.trustedBtf = o.trustedBtf;
    this.off = o.off;
    this.copyScalarFrom(o);
    this.id = o.id;
    this.refObjId = o.refObjId;
    this.range = o.range;
    this.map = o.map;
    this.mapUid = o.mapUid;
    this.memSize = o.memSize;
    this.frameno = o.frameno;
    this.subprog = o.subprog;
    this.precise = o.precise;
    this.dynptrId = o.dynptrId;
    this.pktSlice = o.pktSlice;
    this.btf = o.btf;
    this.alloc = o.alloc;
    this.nonOwning = o.nonOwning;
    this.rcu = o.rcu;
    this.percpu = o.percpu;
    return this;
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

  /** __mark_reg_known: the constant in every view; the id and the fixed part (a scalar's delta) cleared. */
  setKnown(v: bigint): void {
    this.id = 0;
    this.off = 0;
    let k = KNOWN.get(v);
    if (!k) {
      if (KNOWN.size >= 4096) KNOWN.clear();
      k = { t: Tnum.const(v), s: s64(v), u: u64(v), s32: s32(v), u32: u32(v) };
      KNOWN.set(v, k);
    }
    this.varOff = k.t;
    this.smin = this.smax = k.s;
    this.umin = this.umax = k.u;
    this.s32min = this.s32max = k.s32;
    this.u32min = this.u32max = k.u32;
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

  /** Every range unbounded, the tnum kept (__mark_reg_unbounded). */
  markUnbounded(): void {
    this.mark64Unbounded();
    this.mark32Unbounded();
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
    const t = this.varOff;
    // An unknown low half (value 0, mask all ones there) narrows nothing: skip the arithmetic.
    if (t.mask === U64_MAX || (t.value === 0n && (t.mask & U32_MAX) === U32_MAX)) return;
    const v = t.subreg();
    const lo = s32(v.value | (v.mask & S32_SIGN));
    const hi = s32(v.value | (v.mask & S32_MAX));
    const umax = v.value | v.mask;
    if (lo > this.s32min) this.s32min = lo;
    if (hi < this.s32max) this.s32max = hi;
    if (v.value > this.u32min) this.u32min = v.value;
    if (umax < this.u32max) this.u32max = umax;
  }

  update64Bounds(): void {
    const v = this.varOff;
    if (v.mask === U64_MAX) {
      // unknown: narrows nothing, but its single-value rule still applies (umin at or past umax)
      this.singleValue();
      return;
    }
    const lo = s64(v.value | (v.mask & S64_SIGN));
    const hi = s64(v.value | (v.mask & S64_MAX));
    const umax = v.value | v.mask;
    if (lo > this.smin) this.smin = lo;
    if (hi < this.smax) this.smax = hi;
    if (v.value > this.umin) this.umin = v.value;
    if (umax < this.umax) this.umax = umax;
    this.singleValue();
  }

  /**
   * Where the u64 range and the tnum meet in a single value, the register is that value (6.18.y's
   * __update_reg64_bounds, efc11a667878): umin alone, the tnum's largest, or one member in between.
   * An ihl*2 in {28, 30} found above 28 is 30. The same test on a constant tnum or an unknown one
   * un-crosses crossed bounds: a constant c outside [umin, umax] is c (tnum_step gives c, the tnum's
   * largest), an unknown tnum with umin at or past umax is umin (tnum_step(umin) is umin + 1) — so
   * `if r1 s< 9` of r1 in [1, 0x61fc3086] with var_off (0x0; 0x78000000) leaves r1 = 0 on its jump
   * (bounds [1, 8], a tnum of 0), a branch the kernel walks.
   */
  private singleValue(): void {
    const k = this.singleValueIn(this.umin, this.umax);
    if (k !== undefined) {
      // ___mark_reg_known: the value in every view; the id and its delta stay.
      const id = this.id;
      const off = this.off;
      this.setKnown(k);
      this.id = id;
      this.off = off;
    }
  }

  /** The one value of the tnum within [umin, umax] when there is exactly one (singleValue's test), else undefined. */
  private singleValueIn(umin: bigint, umax: bigint): bigint | undefined {
    const v = this.varOff;
    // (umin, umax outside the u64 type: bounds deduced from bounds outside it; tnum_step is on u64)
    if (v.isConst || v.mask === U64_MAX) {
      if (!(umin >= 0n && umin <= U64_MAX && umax >= 0n && umax <= U64_MAX)) return undefined;
      if (v.isConst) return umin > umax ? v.value : undefined;
      return umin >= umax && !(umin === U64_MAX && umax === U64_MAX) ? umin : undefined;
    }
    const top = v.value | v.mask;
    // A tnum within 32 bits, umin not above it (the usual case): the same test in numbers.
    if (top <= U32_MAX && umin <= top && umax >= 0n) {
      const k = singleValueIn32(Number(v.value), Number(v.mask), Number(umin), Number(umax));
      return k < 0 ? undefined : BigInt(k);
    }
    // Bounds within the u64 type (always, but for bounds deduced from bounds outside it): the same test
    // on 32-bit halves in numbers (tnum_step in BigInt allocates a dozen times).
    if (umin >= 0n && umin <= U64_MAX && umax >= 0n && umax <= U64_MAX) {
      const r = singleValueInHalves(v.value, v.mask, umin, umax);
      return r === SV_NONE ? undefined : r === SV_UMIN ? umin : r === SV_TOP ? top : unsignedS(SV_NEXT);
    }
    const next = v.step(umin);
    const uminIn = v.has(umin);
    if (uminIn && next > umax) return umin;
    if (!uminIn && next === top) return top;
    if (!uminIn && next <= umax && v.step(next) > umax) return next;
    return undefined;
  }

  updateBounds(): void {
    this.update32Bounds();
    this.update64Bounds();
  }

  /**
   * A 64-bit range [lo, hi] whose ends share their upper half bounds the lower half (both views). The
   * u64 range's low halves bound u32 as they are; the s64 range's (`signed`) only when they form a u32
   * range — they may not, in crossed s64 bounds (`if r9 s< r9`), which __reg32_deduce_bounds leaves be.
   */
  private lowerHalfWithin(lo: bigint, hi: bigint, signed: boolean): void {
    if (lo >> 32n !== hi >> 32n) return;
    const a = u32(lo);
    const b = u32(hi);
    if (!signed || a <= b) {
      this.u32min = max(this.u32min, a);
      this.u32max = min(this.u32max, b);
    }
    const sa = s32(a);
    const sb = s32(b);
    if (sa <= sb) {
      this.s32min = max(this.s32min, sa);
      this.s32max = min(this.s32max, sb);
    }
  }

  /** __reg32_deduce_bounds' special case: [lo, hi] across one step of the upper half, s32 ends negative then not. */
  private lowerHalfAcross(lo: bigint, hi: bigint): void {
    if (u32((lo >> 32n) + 1n) !== u32(hi >> 32n)) return;
    const sa = s32(lo);
    const sb = s32(hi);
    if (sa < 0n && sb >= 0n) {
      this.s32min = max(this.s32min, sa);
      this.s32max = min(this.s32max, sb);
    }
  }

  private deduce32(): void {
    // Each 64-bit range whose ends share their upper half bounds the lower half.
    this.lowerHalfWithin(this.umin, this.umax, false);
    this.lowerHalfWithin(this.smin, this.smax, true);
    // Upper halves two consecutive u32 values (0xffffffff then 0 too) with the low halves going from
    // negative to non-negative as s32: the values run through the s32 range [s32(lo), s32(hi)].
    this.lowerHalfAcross(this.umin, this.umax);
    this.lowerHalfAcross(this.smin, this.smax);
    const su0 = s32(this.u32min);
    const su1 = s32(this.u32max);
    if (su0 <= su1) {
      this.s32min = max(this.s32min, su0);
      this.s32max = min(this.s32max, su1);
    }
    const us0 = u32(this.s32min);
    const us1 = u32(this.s32max);
    if (us0 <= us1) {
      this.u32min = max(this.u32min, us0);
      this.u32max = min(this.u32max, us1);
    } else if (this.u32max < us0) {
      // The s32 range crosses the sign boundary and the u32 range lies in its non-negative part, as
      // deduce64 does at 64 bits (Linux 6.18's __reg32_deduce_bounds): the s32 range starts at u32min.
      this.s32min = s32(this.u32min);
      this.u32max = min(this.u32max, us1);
    } else if (us1 < this.u32min) {
      // ... or in its negative part: the s32 range ends at u32max (s32 [-65535, 0] with u32 [1, ...]
      // is s32 [-65535, -2], u32 [0xffff0001, 0xfffffffe]).
      this.s32max = s32(this.u32max);
      this.u32min = max(this.u32min, us0);
    }
  }

  private deduce64(): void {
    const su0 = s64(this.umin);
    const su1 = s64(this.umax);
    if (su0 <= su1) {
      this.smin = max(this.smin, su0);
      this.smax = min(this.smax, su1);
    }
    const us0 = u64(this.smin);
    const us1 = u64(this.smax);
    if (us0 <= us1) {
      this.umin = max(this.umin, us0);
      this.umax = min(this.umax, us1);
    } else if (this.umax < us0) {
      // The s64 range crosses the sign boundary and the u64 range lies in its non-negative part (Linux
      // 6.17, "bpf: Improve bounds when s64 crosses sign boundary"): the s64 range starts at umin.
      this.smin = s64(this.umin);
      this.umax = min(this.umax, us1);
    } else if (us1 < this.umin) {
      // ... or in its negative part: the s64 range ends at umax.
      this.smax = s64(this.umax);
      this.umin = max(this.umin, us0);
    }
  }

  private deduceMixed(): void {
    this.umin = max(this.umin, u64((this.umin & HI_MASK) | this.u32min));
    this.umax = min(this.umax, u64((this.umax & HI_MASK) | this.u32max));
    this.smin = max(this.smin, s64((this.smin & HI_MASK) | this.u32min));
    this.smax = min(this.smax, s64((this.smax & HI_MASK) | this.u32max));
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
    // The same inputs recur (a loop's body walked again): the result of a recent sync of them, if any.
    const h = syncHash(this);
    const e = SYNC_MEMO[h];
    if (e !== undefined && e.tv === v.value && e.tm === v.mask && e.smin === this.smin && e.smax === this.smax && e.umin === this.umin &&
        e.umax === this.umax && e.s32min === this.s32min && e.s32max === this.s32max && e.u32min === this.u32min && e.u32max === this.u32max) {
      putMemoOut(this, e);
      return;
    }
    const m: SyncMemo = {
      tv: v.value, tm: v.mask, smin: this.smin, smax: this.smax, umin: this.umin, umax: this.umax,
      s32min: this.s32min, s32max: this.s32max, u32min: this.u32min, u32max: this.u32max,
      out: v, osmin: 0n, osmax: 0n, oumin: 0n, oumax: 0n, os32min: 0n, os32max: 0n, ou32min: 0n, ou32max: 0n,
    };
    this.syncUncached();
    m.out = this.varOff;
    m.osmin = this.smin;
    m.osmax = this.smax;
    m.oumin = this.umin;
    m.oumax = this.umax;
    m.os32min = this.s32min;
    m.os32max = this.s32max;
    m.ou32min = this.u32min;
    m.ou32max = this.u32max;
    SYNC_MEMO[h] = m;
  }

  /** reg_bounds_sync itself (sync() without its memo). */
  private syncUncached(): void {
    const v = this.varOff;
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
    // The numbers path has update64Bounds' narrowing without its single-value rule: a register the rule
    // makes constant in the first pass takes the BigInt path; the last pass's rule is applied after.
    // syncInNumbers tests both in numbers when the tnum is within 32 bits; a wider one is tested here.
    const t = this.varOff;
    const wide = !t.isConst && t.mask !== U64_MAX && (t.value > U32_MAX || t.mask > U32_MAX);
    if (!wide || this.singleValueIn(max(this.umin, t.value), min(this.umax, t.value | t.mask)) === undefined) {
      const k = syncInNumbers(this, !wide);
      if (k !== SYNC_BIGINT) {
        if (k === SYNC_SINGLE_BIGINT) this.singleValue();
        else if (k >= 0) {
          // singleValue's ___mark_reg_known, the value found in numbers
          const id = this.id;
          const off = this.off;
          this.setKnown(BigInt(k));
          this.id = id;
          this.off = off;
        }
        return;
      }
    }
    this.updateBounds();
    this.deduceBounds();
    this.deduceBounds();
    this.boundOffset();
    this.updateBounds();
  }

  /**
   * reg_bounds_sanity_check's finding on a scalar (undefined: none): bounds that cross, or a constant
   * tnum (or its low half) that its bounds do not pin.
   */
  invariantViolation(): string | undefined {
    if (!this.isScalar) return undefined;
    if (this.smin > this.smax || this.umin > this.umax || this.s32min > this.s32max || this.u32min > this.u32max) return 'range bounds violation';
    const v = this.varOff;
    if (v.isConst) {
      const k = v.value;
      if (this.umin !== k || this.umax !== k || this.smin !== s64(k) || this.smax !== s64(k)) return 'const tnum out of sync with range bounds';
    }
    const v32 = v.subreg();
    if (v32.isConst) {
      const k = v32.value;
      if (this.u32min !== k || this.u32max !== k || this.s32min !== s32(k) || this.s32max !== s32(k)) return 'const subreg tnum out of sync with range bounds';
    }
    return undefined;
  }

  /** The bounds as reg_bounds_sanity_check prints them: `u64=[%#llx, %#llx] s64=[…] u32=[%#x, %#x] s32=[…] var_off=(%#llx, %#llx)`. */
  boundsDump(): string {
    const x = (n: bigint, bits: 32n | 64n): string => (n === 0n ? '0' : `0x${BigInt.asUintN(Number(bits), n).toString(16)}`);
    const v = this.varOff;
    return `u64=[${x(this.umin, 64n)}, ${x(this.umax, 64n)}] s64=[${x(this.smin, 64n)}, ${x(this.smax, 64n)}] ` +
      `u32=[${x(this.u32min, 32n)}, ${x(this.u32max, 32n)}] s32=[${x(this.s32min, 32n)}, ${x(this.s32max, 32n)}] var_off=(${x(v.value, 64n)}, ${x(v.mask, 64n)})`;
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
    if (to === 64) {
      this.coerceRegToSizeSx(size);
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
      // coerce_subreg_to_size_sx: when the s32 bounds agree above the low `bits`, their low parts
      // sign-extended bound the result if they have one sign: s32 [0x100, 0x107] gives (s8) [0, 7];
      // [0x1fb, 0x20a] or [-5, 10] the default (set_sext32_default_val; probed on 6.18.44: `w7 = (s16)w0`
      // of s32 [-5, 10] is [S16_MIN, S16_MAX], seed 50519's s32 [0, 11] with a 64-bit smax of
      // 0x10000000b is [0, 11]).
      const top = (v: bigint): bigint => BigInt.asUintN(32, v) >> BigInt(bits);
      if (top(this.s32min) === top(this.s32max)) {
        const a = BigInt.asIntN(bits, this.s32min);
        const b = BigInt.asIntN(bits, this.s32max);
        const mn = a < b ? a : b;
        const mx = a < b ? b : a;
        if (mn >= 0n === mx >= 0n) {
          smin = mn;
          smax = mx;
        }
      }
    }
    const out = Reg.unknown();
    out.s32min = smin;
    out.s32max = smax;
    if (smin === smax) out.setKnown(u32(smin));
    else out.zext32();
    out.sync();
    this.copyScalarFrom(out);
  }

  /**
   * The 64-bit sign extension (`r1 = (s8, s16, s32) r2`, ldsx) as Linux 6.18.44 does it, established by
   * probing (1,288 random source states, every field of the result equal; the 6.18.35 source differs):
   * - a constant: the constant sign-extended;
   * - s32 bounds within the narrower type (always for s32): the value's low half is already what the
   *   narrower type holds, so the s32 and u32 bounds stay, the s64 bounds are the s32 ones and the u64
   *   ones the u32 ones sign-extended, the tnum their range. `(s16)r0` of an r0 whose low half is known
   *   0 is 0 (random program seed 78365: r0 <<= 61 leaves the upper bits unknown; wxdp took
   *   [S16_MIN, S16_MAX] and walked 54 instructions against the kernel's 60); `(s32)r0` of s32 [-3, 123]
   *   is [-3, 123] across zero, u64 [0, U64_MAX];
   * - otherwise 6.18.35's coerce_reg_to_size_sx on the s64 bounds: when they agree above the low bits,
   *   those sign-extended, if of one sign, are every bound and the tnum their range; else
   *   set_sext64_default_val ([S8_MIN, S8_MAX] ... in both signed views, the unsigned ones unbounded).
   * No reg_bounds_sync follows (the kernel prints the state as left here).
   */
  private coerceRegToSizeSx(size: number): void {
    const bits = BigInt(size * 8);
    const lo = -(1n << (bits - 1n));
    const hi = (1n << (bits - 1n)) - 1n;
    if (this.varOff.isConst) {
      // (the fields alone: the id stays, as copy_register_state left it)
      const k = Reg.known(u64(BigInt.asIntN(Number(bits), this.varOff.value)));
      this.copyScalarFrom(k);
      return;
    }
    if (this.s32min >= lo && this.s32max <= hi) {
      this.smin = this.s32min;
      this.smax = this.s32max;
      this.umin = u64(s32(this.u32min));
      this.umax = u64(s32(this.u32max));
      this.varOff = Tnum.range(this.umin, this.umax);
      return;
    }
    const top = (v: bigint): bigint => u64(v) >> bits;
    if (top(this.smin) === top(this.smax)) {
      const a = BigInt.asIntN(Number(bits), this.smin);
      const b = BigInt.asIntN(Number(bits), this.smax);
      const mn = a < b ? a : b;
      const mx = a < b ? b : a;
      if (mn >= 0n === mx >= 0n) {
        this.smin = this.s32min = mn;
        this.smax = this.s32max = mx;
        this.umin = u64(mn);
        this.umax = u64(mx);
        this.u32min = u32(mn);
        this.u32max = u32(mx);
        this.varOff = Tnum.range(this.umin, this.umax);
        return;
      }
    }
    this.smin = this.s32min = lo;
    this.smax = this.s32max = hi;
    this.umin = this.u32min = 0n;
    this.umax = U64_MAX;
    this.u32max = U32_MAX;
    this.varOff = Tnum.unknown;
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
    if (this.trustedBtf !== undefined) return 'trusted_ptr_';
    const base = REG_TYPE_NAMES[this.type];
    // reg_type_str: the flags' prefixes in the order MEM_RDONLY, MEM_RINGBUF, ..., PTR_UNTRUSTED
    const pre = (this.rdonly ? 'rdonly_' : '') + (this.ringbuf ? 'ringbuf_' : '') + (this.untrusted ? 'untrusted_' : '');
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
    if (this.id) parts.push(this.idText());
    if (this.refObjId) parts.push(`ref_obj_id=${this.refObjId}`);
    if (this.off) parts.push(`off=${this.off}`);
    // verbose_unum: mark_pkt_end's negative ranges print as u64 (r=0xfffffffffffffffe)
    if (this.isPkt) parts.push(`r=${this.range < 0 ? `0x${BigInt.asUintN(64, BigInt(this.range)).toString(16)}` : this.range}`);
    if (this.type === RegType.MAP_VALUE || this.type === RegType.CONST_MAP || this.type === RegType.MAP_KEY) {
      if (this.map) {
        // print_reg_state names the map only when it has a name (an inner_map_meta has none)
        if (this.map.name) parts.push(`map=${this.map.name}`);
        parts.push(`ks=${this.map.keySize}`, `vs=${this.map.valueSize}`);
      }
    }
    if (this.type === RegType.MEM) parts.push(`mem_size=${this.memSize}`);
    if (this.type === RegType.CONST_DYNPTR) parts.push('type=skb'); // dynptr.ts: dynptrAt
    if (!this.varOff.isConst || this.varOff.value !== 0n) parts.push(this.boundsText(false));
    return `${this.typeName()}(${parts.filter(Boolean).join(',')})`;
  }

  /** print_reg_state's id: the linked id, then a linked scalar's delta (`id=1+11`, `id=5-1`). */
  private idText(): string {
    const base = `id=${baseId(this.id)}`;
    return addConstOf(this.id) ? `${base}${this.off >= 0 ? '+' : ''}${this.off}` : base;
  }

  boundsText(withId = true): string {
    const p: string[] = [];
    if (withId && this.id) p.push(this.idText());
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

// ---- sync()'s memo ----
//
// reg_bounds_sync is a function of the tnum and the eight bounds alone (the id stays), and a verification
// meets few distinct inputs many times (loop_tcpopt: 1,093 among 136,000 calls). A direct-mapped table of
// recent inputs and their results; the BigInts and the Tnum are immutable, so results are shared.

/** A memo's result: the tnum and the eight bounds a register takes from it (SyncMemo, AluMemo). */
interface MemoOut {
  out: Tnum; osmin: bigint; osmax: bigint; oumin: bigint; oumax: bigint; os32min: bigint; os32max: bigint; ou32min: bigint; ou32max: bigint;
}

/** Register `r`'s tnum and bounds set to memo entry `e`'s result (the values are immutable: shared). */
function putMemoOut(r: Reg, e: MemoOut): void {
  r.varOff = e.out;
  r.smin = e.osmin;
  r.smax = e.osmax;
  r.umin = e.oumin;
  r.umax = e.oumax;
  r.s32min = e.os32min;
  r.s32max = e.os32max;
  r.u32min = e.ou32min;
  r.u32max = e.ou32max;
}

interface SyncMemo extends MemoOut {
  tv: bigint; tm: bigint; smin: bigint; smax: bigint; umin: bigint; umax: bigint; s32min: bigint; s32max: bigint; u32min: bigint; u32max: bigint;
}

const SYNC_MEMO_BITS = 12;
const SYNC_MEMO: (SyncMemo | undefined)[] = new Array<SyncMemo | undefined>(1 << SYNC_MEMO_BITS).fill(undefined);

/** 32 bits of a bound, from both halves of it as a double (Number() of a BigInt allocates nothing). */
function fold(x: bigint): number {
  const d = Number(x);
  return (d | 0) ^ ((d / 4294967296) | 0);
}

/** A slot of SYNC_MEMO for r's inputs: the tnum and the bounds that tell most inputs apart. */
function syncHash(r: Reg): number {
  return memoSlot(boundsHash(r, 0x27d4eb2f), SYNC_MEMO_BITS);
}

/**
 * A hash of r's tnum (its cached hash32: the memos' results share their tnums) and some bounds (fewer for
 * a constant: they are mostly its value).
 */
function boundsHash(r: Reg, h: number): number {
  const t = r.varOff;
  h = Math.imul(h ^ t.hash32(), 0x9e3779b1);
  if (t.mask === 0n) return h ^ fold(r.u32max) ^ Math.imul(fold(r.umin), 0x85ebca6b);
  h = Math.imul(h ^ fold(r.umax), 0x85ebca6b) ^ fold(r.umin);
  return Math.imul(h ^ fold(r.u32max), 0xc2b2ae35) ^ fold(r.s32min);
}

function memoSlot(h: number, bits: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return (h ^ (h >>> 15)) >>> (32 - bits);
}

// ---- scalarAlu's memo, the same way ----

/** A register's tnum and bounds, as scalarAlu read them. */
interface Bounds {
  tv: bigint; tm: bigint; smin: bigint; smax: bigint; umin: bigint; umax: bigint; s32min: bigint; s32max: bigint; u32min: bigint; u32max: bigint;
}

interface AluMemo extends MemoOut {
  op: number; alu32: boolean; d: Bounds; s: Bounds;
  /** The result as a plain scalar register, imprecise / precise, made on the first scalarAluShared hit. */
  res: Reg | undefined; resP: Reg | undefined;
}

const ALU_MEMO_BITS = 12;
const ALU_MEMO: (AluMemo | undefined)[] = new Array<AluMemo | undefined>(1 << ALU_MEMO_BITS).fill(undefined);

function boundsOf(r: Reg): Bounds {
  return {
    tv: r.varOff.value, tm: r.varOff.mask, smin: r.smin, smax: r.smax, umin: r.umin, umax: r.umax,
    s32min: r.s32min, s32max: r.s32max, u32min: r.u32min, u32max: r.u32max,
  };
}

function sameBounds(b: Bounds, r: Reg): boolean {
  const t = r.varOff;
  return b.tv === t.value && b.tm === t.mask && b.smin === r.smin && b.smax === r.smax && b.umin === r.umin && b.umax === r.umax &&
    b.s32min === r.s32min && b.s32max === r.s32max && b.u32min === r.u32min && b.u32max === r.u32max;
}

/** A slot of ALU_MEMO: both operands as syncHash reads them, the op and the width. */
function aluHash(d: Reg, s: Reg, op: number, alu32: boolean): number {
  return memoSlot(boundsHash(s, boundsHash(d, (op << 1) | (alu32 ? 1 : 0))), ALU_MEMO_BITS);
}

// ---- reg_bounds_sync in numbers ----
//
// sync()'s general path (update, deduce twice, bound the tnum, update) computed on 32-bit halves held in
// numbers: in BigInt nearly every step allocates, and this is the verifier's hottest arithmetic. The same
// steps as the methods above, operation for operation; bounds outside their type (never made by the
// verifier, but reg_bounds_sync is defined on them) and the one step that would leave the u64 type
// fall back to the BigInt methods.
//
//   W: each 64-bit quantity as [high half, low half], uint32 each; signed bounds as their two's-complement
//      bits (a signed comparison reads the high halves as int32).
//      SMIN 0 │ SMAX 2 │ UMIN 4 │ UMAX 6 │ VAL 8 │ MSK 10 (the tnum) │ RV 12 │ RM 14 (a Tnum.range)
//   N: s32min, s32max (signed), u32min, u32max (unsigned), as numbers.
//   W0, N0: the values read, so only the bounds that changed are written back as new BigInts.

const W = new Uint32Array(16);
const W0 = new Uint32Array(12);
const N = new Float64Array(4);
const N0 = new Float64Array(4);
const SMIN = 0, SMAX = 2, UMIN = 4, UMAX = 6, VAL = 8, MSK = 10, RV = 12, RM = 14;
const S32MIN = 0, S32MAX = 1, U32MIN = 2, U32MAX = 3;
const TWO32 = 4294967296;
/** 2^53 - 1: BigInts within ±SAFE convert to a double and back exactly, without allocating. */
const SAFE = (1n << 53n) - 1n;
const NEG_SAFE = -SAFE;

/** x (in [S64_MIN, U64_MAX]) into W[i], W[i + 1] as 64-bit two's complement. */
function load64(x: bigint, i: number): void {
  if (x >= NEG_SAFE && x <= SAFE) {
    const n = Number(x);
    const lo = n >>> 0;
    W[i] = (n - lo) / TWO32; // stored modulo 2^32: a negative high half becomes its bits
    W[i + 1] = lo;
  } else if (x === U64_MAX) {
    W[i] = W[i + 1] = 0xffffffff;
  } else if (x === S64_MIN) {
    W[i] = 0x80000000;
    W[i + 1] = 0;
  } else if (x === S64_MAX) {
    W[i] = 0x7fffffff;
    W[i + 1] = 0xffffffff;
  } else {
    const u = u64(x);
    W[i] = Number(u >> 32n);
    W[i + 1] = Number(u & U32_MAX);
  }
}

function unsigned64(i: number): bigint {
  const hi = W[i]!;
  const lo = W[i + 1]!;
  if (hi < 0x200000) return BigInt(hi * TWO32 + lo);
  if (hi === 0xffffffff && lo === 0xffffffff) return U64_MAX;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

function signed64(i: number): bigint {
  const hi = W[i]! | 0;
  const lo = W[i + 1]!;
  if (hi >= -0x200000 && hi < 0x200000) return BigInt(hi * TWO32 + lo);
  if (hi === 0x7fffffff && lo === 0xffffffff) return S64_MAX;
  if (hi === -0x80000000 && lo === 0) return S64_MIN;
  return s64((BigInt(W[i]!) << 32n) | BigInt(lo));
}

/** Unsigned / signed W[i] < W[j]. */
function ltU(i: number, j: number): boolean {
  const a = W[i]!;
  const b = W[j]!;
  return a < b || (a === b && W[i + 1]! < W[j + 1]!);
}

function ltS(i: number, j: number): boolean {
  const a = W[i]! | 0;
  const b = W[j]! | 0;
  return a < b || (a === b && W[i + 1]! < W[j + 1]!);
}

function copy64(d: number, s: number): void {
  W[d] = W[s]!;
  W[d + 1] = W[s + 1]!;
}

/** update32Bounds then update64Bounds. */
function updateInNumbers(): void {
  const vhi = W[VAL]!;
  const vlo = W[VAL + 1]!;
  const mhi = W[MSK]!;
  const mlo = W[MSK + 1]!;
  const lo32 = vlo | (mlo & 0x80000000);
  const hi32 = vlo | (mlo & 0x7fffffff);
  const umax32 = (vlo | mlo) >>> 0;
  if (lo32 > N[S32MIN]!) N[S32MIN] = lo32;
  if (hi32 < N[S32MAX]!) N[S32MAX] = hi32;
  if (vlo > N[U32MIN]!) N[U32MIN] = vlo;
  if (umax32 < N[U32MAX]!) N[U32MAX] = umax32;
  // smin/smax from the tnum with its unknown sign bit set / clear; umin/umax its least and largest
  W[RV] = vhi | (mhi & 0x80000000);
  W[RV + 1] = vlo;
  if (ltS(SMIN, RV)) copy64(SMIN, RV);
  W[RV] = vhi | (mhi & 0x7fffffff);
  W[RV + 1] = vlo | mlo;
  if (ltS(RV, SMAX)) copy64(SMAX, RV);
  if (ltU(UMIN, VAL)) copy64(UMIN, VAL);
  W[RV] = vhi | mhi;
  W[RV + 1] = vlo | mlo;
  if (ltU(RV, UMAX)) copy64(UMAX, RV);
}

/** lowerHalfWithin for the 64-bit range [W[a], W[b]]. */
function lowerHalfInNumbers(a: number, b: number, signed: boolean): void {
  if (W[a] !== W[b]) return;
  const lo = W[a + 1]!;
  const hi = W[b + 1]!;
  if (!signed || lo <= hi) {
    if (lo > N[U32MIN]!) N[U32MIN] = lo;
    if (hi < N[U32MAX]!) N[U32MAX] = hi;
  }
  const sa = lo | 0;
  const sb = hi | 0;
  if (sa <= sb) {
    if (sa > N[S32MIN]!) N[S32MIN] = sa;
    if (sb < N[S32MAX]!) N[S32MAX] = sb;
  }
}

/** lowerHalfAcross for the 64-bit range [W[a], W[b]]. */
function lowerHalfAcrossInNumbers(a: number, b: number): void {
  if (((W[a]! + 1) >>> 0) !== W[b]) return;
  const sa = W[a + 1]! | 0;
  const sb = W[b + 1]! | 0;
  if (sa < 0 && sb >= 0) {
    if (sa > N[S32MIN]!) N[S32MIN] = sa;
    if (sb < N[S32MAX]!) N[S32MAX] = sb;
  }
}

/** deduce32, deduce64, deduceMixed; false where the BigInt code would leave the u64 type. */
function deduceInNumbers(): boolean {
  lowerHalfInNumbers(UMIN, UMAX, false);
  lowerHalfInNumbers(SMIN, SMAX, true);
  lowerHalfAcrossInNumbers(UMIN, UMAX);
  lowerHalfAcrossInNumbers(SMIN, SMAX);
  const su0 = N[U32MIN]! | 0;
  const su1 = N[U32MAX]! | 0;
  if (su0 <= su1) {
    if (su0 > N[S32MIN]!) N[S32MIN] = su0;
    if (su1 < N[S32MAX]!) N[S32MAX] = su1;
  }
  const us0 = N[S32MIN]! >>> 0;
  const us1 = N[S32MAX]! >>> 0;
  if (us0 <= us1) {
    if (us0 > N[U32MIN]!) N[U32MIN] = us0;
    if (us1 < N[U32MAX]!) N[U32MAX] = us1;
  } else if (N[U32MAX]! < us0) {
    N[S32MIN] = N[U32MIN]! | 0;
    if (us1 < N[U32MAX]!) N[U32MAX] = us1;
  } else if (us1 < N[U32MIN]!) {
    N[S32MAX] = N[U32MAX]! | 0;
    if (us0 > N[U32MIN]!) N[U32MIN] = us0;
  }
  // deduce64
  if (!ltS(UMAX, UMIN)) {
    if (ltS(SMIN, UMIN)) copy64(SMIN, UMIN);
    if (ltS(UMAX, SMAX)) copy64(SMAX, UMAX);
  }
  if (!ltU(SMAX, SMIN)) {
    if (ltU(UMIN, SMIN)) copy64(UMIN, SMIN);
    if (ltU(SMAX, UMAX)) copy64(UMAX, SMAX);
  } else if (ltU(UMAX, SMIN) || ltU(SMAX, UMIN)) {
    // an s64 range across the sign boundary with the u64 range on one side of it: the BigInt code's
    return false;
  }
  // deduceMixed: each 64-bit bound with its low half replaced by the 32-bit one (same high half)
  const u32min = N[U32MIN]!;
  const u32max = N[U32MAX]!;
  if (u32min > W[UMIN + 1]!) W[UMIN + 1] = u32min;
  if (u32max < W[UMAX + 1]!) W[UMAX + 1] = u32max;
  if (u32min > W[SMIN + 1]!) W[SMIN + 1] = u32min;
  if (u32max < W[SMAX + 1]!) W[SMAX + 1] = u32max;
  const sminHi = W[SMIN]! | 0;
  const smaxHi = W[SMAX]! | 0;
  const s32min = N[S32MIN]!;
  if (s32min >= 0 && (sminHi >= 0 || (sminHi === -1 && W[SMIN + 1]! >= 0x80000000)) && (smaxHi < 0 || (smaxHi === 0 && W[SMAX + 1]! <= 0x7fffffff))) {
    const s32max = N[S32MAX]!;
    // umax = s32max < 0 (crossed 32-bit bounds) is no u64: the BigInt code's business.
    if (s32max < 0) return false;
    W[SMIN] = W[SMAX] = W[UMIN] = W[UMAX] = 0;
    W[SMIN + 1] = W[UMIN + 1] = s32min;
    W[SMAX + 1] = W[UMAX + 1] = s32max;
    rangeInNumbers(UMIN, UMAX);
    intersectRange();
  }
  return true;
}

/** Tnum.range(W[a], W[b]) (unsigned) into RV, RM. */
function rangeInNumbers(a: number, b: number): void {
  const xhi = W[a]! ^ W[b]!;
  const xlo = W[a + 1]! ^ W[b + 1]!;
  const bits = xhi ? 64 - Math.clz32(xhi) : xlo ? 32 - Math.clz32(xlo) : 0;
  if (bits > 63) {
    W[RV] = W[RV + 1] = 0;
    W[RM] = W[RM + 1] = 0xffffffff;
    return;
  }
  const dhi = bits > 32 ? ((1 << (bits - 32)) - 1) >>> 0 : 0;
  const dlo = bits >= 32 ? 0xffffffff : ((1 << bits) - 1) >>> 0;
  W[RV] = W[a]! & ~dhi;
  W[RV + 1] = W[a + 1]! & ~dlo;
  W[RM] = dhi;
  W[RM + 1] = dlo;
}

/** varOff = varOff.intersect(RV, RM). */
function intersectRange(): void {
  for (let k = 0; k < 2; k++) {
    const v = W[VAL + k]! | W[RV + k]!;
    const mu = W[MSK + k]! & W[RM + k]!;
    W[VAL + k] = v & ~mu;
    W[MSK + k] = mu;
  }
}

/**
 * Tnum.step for a tnum (value `v`, mask `m`) within 32 bits and 0 <= z: the same arithmetic on the low
 * 32 bits (its bits above 31 are known zeros, so the carry that leaves bit 31 is masked off either way).
 */
function step32(v: number, m: number, z: number): number {
  const tmax = (v | m) >>> 0;
  if (z >= tmax) return tmax;
  if (z < v) return v;
  const d = z - v;
  const x = (d & ~m) >>> 0;
  const carry = x ? 2 ** (32 - Math.clz32(x)) - 1 : 0;
  const filled = d | carry | ~m;
  return (v | ((filled + 1) & m)) >>> 0;
}

/**
 * Reg.singleValueIn for a tnum within 32 bits and umin (`lo`) not above its largest value: the one
 * member in [lo, hi], or -1. `hi` (umax) may be rounded past 2^53: it is only compared with members,
 * all below 2^32, so the answers are the same.
 */
function singleValueIn32(v: number, m: number, lo: number, hi: number): number {
  const top = (v | m) >>> 0;
  const next = step32(v, m, lo);
  const loIn = ((lo & ~m) >>> 0) === v;
  if (loIn && next > hi) return lo;
  if (!loIn && next === top) return top;
  if (!loIn && next <= hi && step32(v, m, next) > hi) return next;
  return -1;
}


// ---- the single-value test on 64-bit values, in 32-bit halves ----
//
//   S: [high half, low half], uint32 each: VAL 0, MSK 2 (the tnum), LO 4 (umin), HI 6 (umax),
//      NEXT 8 (tnum_step(umin)), T 10 (tnum_step(NEXT))

const S = new Uint32Array(12);
const SV_VAL = 0, SV_MSK = 2, SV_LO = 4, SV_HI = 6, SV_NEXT = 8, SV_T = 10;
/** singleValueInHalves' answers: no single value; umin; the tnum's largest; the value in S at SV_NEXT. */
const SV_NONE = 0, SV_UMIN = 1, SV_TOP = 2, SV_STEP = 3;

/** x (in [0, U64_MAX]) into S[i], S[i + 1]. */
function loadS(x: bigint, i: number): void {
  if (x <= SAFE) {
    const n = Number(x);
    const lo = n >>> 0;
    S[i] = (n - lo) / TWO32;
    S[i + 1] = lo;
  } else if (x === U64_MAX) {
    S[i] = S[i + 1] = 0xffffffff;
  } else {
    S[i] = Number(x >> 32n);
    S[i + 1] = Number(x & U32_MAX);
  }
}

function unsignedS(i: number): bigint {
  const hi = S[i]!;
  const lo = S[i + 1]!;
  if (hi < 0x200000) return BigInt(hi * TWO32 + lo);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** S[i] > S[j], unsigned. */
function gtS(i: number, j: number): boolean {
  const a = S[i]!;
  const b = S[j]!;
  return a > b || (a === b && S[i + 1]! > S[j + 1]!);
}

/**
 * Tnum.step of the tnum in S (SV_VAL, SV_MSK) above the value at S[z], into S[out]: the smallest member
 * above z (its largest when z is not below that, its smallest when z is below that). z + 1 within the
 * mask: d = z - value with every known position filled with ones, and below d's highest bit outside
 * the mask, so the carry of + 1 runs through them.
 */
function stepS(z: number, out: number): void {
  const vh = S[SV_VAL]!;
  const vl = S[SV_VAL + 1]!;
  const mh = S[SV_MSK]!;
  const ml = S[SV_MSK + 1]!;
  const th = (vh | mh) >>> 0;
  const tl = (vl | ml) >>> 0;
  const zh = S[z]!;
  const zl = S[z + 1]!;
  if (zh > th || (zh === th && zl >= tl)) {
    S[out] = th;
    S[out + 1] = tl;
    return;
  }
  if (zh < vh || (zh === vh && zl < vl)) {
    S[out] = vh;
    S[out + 1] = vl;
    return;
  }
  // d = z - value (z >= value: no borrow out of the high half)
  let dl = zl - vl;
  let dh = zh - vh;
  if (dl < 0) {
    dl += TWO32;
    dh -= 1;
  }
  // carry = DELTA[fls64(d & ~mask)]: every bit up to the highest one of d outside the mask
  const xh = (dh & ~mh) >>> 0;
  const xl = (dl & ~ml) >>> 0;
  let ch = 0;
  let cl = 0;
  if (xh) {
    ch = xh >= 0x80000000 ? 0xffffffff : ((1 << (32 - Math.clz32(xh))) - 1) >>> 0;
    cl = 0xffffffff;
  } else if (xl) {
    cl = xl >= 0x80000000 ? 0xffffffff : ((1 << (32 - Math.clz32(xl))) - 1) >>> 0;
  }
  // filled + 1, modulo 2^64
  let fl = ((dl | cl | ~ml) >>> 0) + 1;
  let fh = (dh | ch | ~mh) >>> 0;
  if (fl > 0xffffffff) {
    fl = 0;
    fh = (fh + 1) >>> 0;
  }
  S[out] = (vh | (fh & mh)) >>> 0;
  S[out + 1] = (vl | (fl & ml)) >>> 0;
}

/** Reg.singleValueIn's general test (neither constant nor unknown tnum; umin, umax within u64), in halves. */
function singleValueInHalves(value: bigint, mask: bigint, umin: bigint, umax: bigint): number {
  loadS(value, SV_VAL);
  loadS(mask, SV_MSK);
  loadS(umin, SV_LO);
  loadS(umax, SV_HI);
  stepS(SV_LO, SV_NEXT);
  const uminIn = ((S[SV_LO]! & ~S[SV_MSK]!) >>> 0) === S[SV_VAL] && ((S[SV_LO + 1]! & ~S[SV_MSK + 1]!) >>> 0) === S[SV_VAL + 1];
  if (uminIn && gtS(SV_NEXT, SV_HI)) return SV_UMIN;
  if (uminIn) return SV_NONE;
  if (S[SV_NEXT] === ((S[SV_VAL]! | S[SV_MSK]!) >>> 0) && S[SV_NEXT + 1] === ((S[SV_VAL + 1]! | S[SV_MSK + 1]!) >>> 0)) return SV_TOP;
  if (gtS(SV_NEXT, SV_HI)) return SV_NONE;
  stepS(SV_NEXT, SV_T);
  return gtS(SV_T, SV_HI) ? SV_STEP : SV_NONE;
}

/** syncInNumbers' answers besides a single value (>= 0): none, the BigInt path instead, singleValue() to run. */
const SYNC_NONE = -1;
const SYNC_BIGINT = -2;
const SYNC_SINGLE_BIGINT = -3;

/**
 * Reg.singleValueIn for the tnum in W (VAL, MSK) within [lo, W[UMAX]] when its fast path applies: the
 * tnum within 32 bits (high halves zero), lo (a number) not above its largest value. Else SYNC_BIGINT.
 * umax only meets members (below 2^32) in comparisons, so one past 2^32 stands for any larger value.
 */
function singleValueInW(lo: number, hiHigh: number, hiLow: number): number {
  if (W[VAL] !== 0 || W[MSK] !== 0) return SYNC_BIGINT;
  const v = W[VAL + 1]!;
  const m = W[MSK + 1]!;
  const top = (v | m) >>> 0;
  if (lo > top) return SYNC_BIGINT;
  return singleValueIn32(v, m, lo, hiHigh ? TWO32 : hiLow);
}

/**
 * Reg.singleValueIn's constant and unknown tnums on W: a constant outside [umin, umax], an unknown tnum
 * with umin at or past umax (but umin = umax = U64_MAX) — where update64Bounds makes the register known.
 */
function crossesInNumbers(): boolean {
  const mhi = W[MSK]!;
  const mlo = W[MSK + 1]!;
  if (mhi === 0 && mlo === 0) return ltU(VAL, UMIN) || ltU(UMAX, VAL);
  if (mhi === 0xffffffff && mlo === 0xffffffff) return !ltU(UMIN, UMAX) && !(W[UMIN] === 0xffffffff && W[UMIN + 1] === 0xffffffff && W[UMAX] === 0xffffffff && W[UMAX + 1] === 0xffffffff);
  return false;
}

/**
 * sync()'s general path in numbers: SYNC_BIGINT when it must run in BigInt (nothing written), else the
 * bounds written back and what the last pass's single-value rule gives (a value, SYNC_NONE, or
 * SYNC_SINGLE_BIGINT for the caller to apply). `first`: test the first pass's rule here (the tnum is
 * within 32 bits or constant or unknown; the caller tested a wider one).
 */
function syncInNumbers(r: Reg, first: boolean): number {
  const s32min = Number(r.s32min);
  const s32max = Number(r.s32max);
  const u32min = Number(r.u32min);
  const u32max = Number(r.u32max);
  if (!(s32min >= -0x80000000 && s32min <= 0x7fffffff && s32max >= -0x80000000 && s32max <= 0x7fffffff)) return SYNC_BIGINT;
  if (!(u32min >= 0 && u32min <= 0xffffffff && u32max >= 0 && u32max <= 0xffffffff)) return SYNC_BIGINT;
  if (r.smin < S64_MIN || r.smax > S64_MAX || r.smax < S64_MIN || r.smin > S64_MAX) return SYNC_BIGINT;
  if (r.umin < 0n || r.umax > U64_MAX || r.umax < 0n || r.umin > U64_MAX) return SYNC_BIGINT;
  N0[S32MIN] = N[S32MIN] = s32min;
  N0[S32MAX] = N[S32MAX] = s32max;
  N0[U32MIN] = N[U32MIN] = u32min;
  N0[U32MAX] = N[U32MAX] = u32max;
  load64(r.smin, SMIN);
  load64(r.smax, SMAX);
  load64(r.umin, UMIN);
  load64(r.umax, UMAX);
  load64(r.varOff.value, VAL);
  load64(r.varOff.mask, MSK);
  // (written out: subarray() allocates a view, the cost of the rest of this function)
  for (let i = 0; i < 12; i++) W0[i] = W[i]!;
  if (first) {
    // The first pass's single-value rule (update64Bounds, after its narrowing): any value sends the
    // register down the BigInt path. A constant or unknown tnum: only crossed bounds (uncrossed).
    const mhi = W[MSK]!;
    const mlo = W[MSK + 1]!;
    if (crossesInNumbers()) return SYNC_BIGINT;
    if (!(mhi === 0 && mlo === 0) && !(mhi === 0xffffffff && mlo === 0xffffffff)) {
      // [max(umin, value), min(umax, value | mask)]: with the tnum within 32 bits, a umin above 2^32 is above it
      if (W[UMIN] !== 0) return SYNC_BIGINT;
      const lo = Math.max(W[UMIN + 1]!, W[VAL + 1]!);
      const top = (W[VAL + 1]! | mlo) >>> 0;
      const hi = W[UMAX] !== 0 ? top : Math.min(W[UMAX + 1]!, top);
      if (singleValueInW(lo, 0, hi) !== SYNC_NONE) return SYNC_BIGINT;
    }
  }
  updateInNumbers();
  if (!deduceInNumbers() || !deduceInNumbers()) return SYNC_BIGINT;
  // boundOffset: the tnum within [umin, umax], its low half within [u32min, u32max]
  rangeInNumbers(UMIN, UMAX);
  intersectRange();
  const lo = N[U32MIN]!;
  const hi = N[U32MAX]!;
  const x = (lo ^ hi) >>> 0;
  const d = x ? (x >= 0x80000000 ? 0xffffffff : ((1 << (32 - Math.clz32(x))) - 1) >>> 0) : 0;
  const v32 = (W[VAL + 1]! | (lo & ~d)) >>> 0;
  const m32 = W[MSK + 1]! & d;
  W[VAL + 1] = v32 & ~m32;
  W[MSK + 1] = m32;
  W[MSK] = W[MSK]! & ~W[VAL]!;
  updateInNumbers();
  // write back what changed
  if (W[SMIN] !== W0[SMIN] || W[SMIN + 1] !== W0[SMIN + 1]) r.smin = signed64(SMIN);
  if (W[SMAX] !== W0[SMAX] || W[SMAX + 1] !== W0[SMAX + 1]) r.smax = signed64(SMAX);
  if (W[UMIN] !== W0[UMIN] || W[UMIN + 1] !== W0[UMIN + 1]) r.umin = unsigned64(UMIN);
  if (W[UMAX] !== W0[UMAX] || W[UMAX + 1] !== W0[UMAX + 1]) r.umax = unsigned64(UMAX);
  if (W[VAL] !== W0[VAL] || W[VAL + 1] !== W0[VAL + 1] || W[MSK] !== W0[MSK] || W[MSK + 1] !== W0[MSK + 1]) {
    r.varOff = Tnum.of(unsigned64(VAL), unsigned64(MSK));
  }
  if (N[S32MIN] !== N0[S32MIN]) r.s32min = BigInt(N[S32MIN]!);
  if (N[S32MAX] !== N0[S32MAX]) r.s32max = BigInt(N[S32MAX]!);
  if (N[U32MIN] !== N0[U32MIN]) r.u32min = BigInt(N[U32MIN]!);
  if (N[U32MAX] !== N0[U32MAX]) r.u32max = BigInt(N[U32MAX]!);
  // The last pass's single-value rule on what was written (Reg.singleValue, its fast path in numbers).
  const mhi = W[MSK]!;
  const mlo = W[MSK + 1]!;
  if (crossesInNumbers()) return SYNC_SINGLE_BIGINT;
  if ((mhi === 0 && mlo === 0) || (mhi === 0xffffffff && mlo === 0xffffffff)) return SYNC_NONE;
  if (W[UMIN] !== 0) return SYNC_SINGLE_BIGINT;
  const k = singleValueInW(W[UMIN + 1]!, W[UMAX]!, W[UMAX + 1]!);
  return k === SYNC_BIGINT ? SYNC_SINGLE_BIGINT : k;
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
  [RegType.XDP_SOCK]: 'xdp_sock',
  [RegType.CONST_DYNPTR]: 'dynptr_ptr',
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
  const dsl = d[w.smin];
  const dsh = d[w.smax];
  const dul = d[w.umin];
  const duh = d[w.umax];
  const ssl = s[w.smin];
  const ssh = s[w.smax];
  const sul = s[w.umin];
  const suh = s[w.umax];
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
    const p0 = dsl * ssl;
    const p1 = dsl * ssh;
    const p2 = dsh * ssl;
    const p3 = dsh * ssh;
    setSigned(d, w, min(min(p0, p1), min(p2, p3)), max(max(p0, p1), max(p2, p3)));
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
 * sync_linked_regs' `reg += delta` of a register copied from the known one: scalar32_min_max_add,
 * scalar_min_max_add and tnum_add of the constant, zext_32_to_64 for a 32-bit link (BPF_ADD_CONST32),
 * then reg_bounds_sync.
 */
export function addLinkDelta(r: Reg, delta: bigint, zext: boolean): void {
  const k = Reg.known(delta);
  arith(r, k, 'add', W32);
  arith(r, k, 'add', W64);
  r.varOff = r.varOff.add(k.varOff);
  if (zext) r.zext32();
  r.sync();
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

/** A constant with every bound exactly its value (as setKnown leaves it). */
function isExactConst(r: Reg): boolean {
  const t = r.varOff;
  if (t.mask !== 0n) return false;
  const k = KNOWN.get(t.value);
  return (
    k !== undefined && r.umin === k.u && r.umax === k.u && r.smin === k.s && r.smax === k.s &&
    r.u32min === k.u32 && r.u32max === k.u32 && r.s32min === k.s32 && r.s32max === k.s32
  );
}

/**
 * The ALU op on two constants (64-bit, or the low halves zero-extended); undefined for the ops whose
 * result scalarAlu leaves unknown (div, mod, a shift by the width or more).
 */
function constAlu(a: bigint, b: bigint, op: number, alu32: boolean): bigint | undefined {
  const bits = alu32 ? 32 : 64;
  const wrap = (x: bigint): bigint => BigInt.asUintN(bits, x);
  const x = alu32 ? u32(a) : a;
  const y = alu32 ? u32(b) : b;
  switch (op) {
    case 0x00: return wrap(x + y);
    case 0x10: return wrap(x - y);
    case 0x20: return wrap(x * y);
    case 0x40: return x | y;
    case 0x50: return x & y;
    case 0xa0: return x ^ y;
    case 0x60:
    case 0x70:
    case 0xc0: {
      // The amount is the full 64-bit value (scalarAlu's is_safe_to_compute_dst_reg_range).
      if (b >= BigInt(bits)) return undefined;
      if (op === 0x60) return wrap(x << y);
      if (op === 0x70) return x >> y;
      return wrap(BigInt.asIntN(bits, x) >> y);
    }
    default:
      return undefined;
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
  // The same operands recur (a loop's body walked again; loop_tcpopt: 1,100 distinct among 78,000 ops).
  const h = aluHash(d, src, op, alu32);
  const e = ALU_MEMO[h];
  // (a destination with a delta left in off computes afresh: whether off survives depends on the path)
  if (e !== undefined && e.op === op && e.alu32 === alu32 && d.off === 0 && sameBounds(e.d, d) && sameBounds(e.s, src)) {
    putMemoOut(d, e);
    d.id = 0;
    return;
  }
  const dIn = boundsOf(d);
  const sIn = src === d ? dIn : boundsOf(src);
  if (!scalarAluUncached(d, src, op, alu32)) return;
  ALU_MEMO[h] = {
    op, alu32, d: dIn, s: sIn,
    out: d.varOff, osmin: d.smin, osmax: d.smax, oumin: d.umin, oumax: d.umax, os32min: d.s32min, os32max: d.s32max, ou32min: d.u32min, ou32max: d.u32max,
    res: undefined, resP: undefined,
  };
}

/**
 * A scalar with nothing but its bounds, id and precision: every other field at the value an unknown
 * scalar has (what an ALU result carries over from its destination register).
 */
function isPlainScalar(r: Reg): boolean {
  return r.type === RegType.SCALAR && r.off === 0 && !r.maybeNull && !r.ringbuf && !r.rdonly && r.refObjId === 0 && r.range === 0 &&
    r.map === undefined && r.mapUid === 0 && r.memSize === 0 && r.frameno === 0 && r.subprog === 0 && r.dynptrId === 0 && !r.pktSlice && r.btf === undefined && r.alloc === 0;
}

/**
 * scalarAlu(copy of d, src, op, alu32) as one register shared by every path that computes it, when `d`
 * is a plain scalar and the memo holds the result (a loop's body meets the same operands again);
 * undefined otherwise (compute it on a copy). The register is never changed in place: put it in with
 * Frame.putShared, which copies it before any change.
 */
export function scalarAluShared(d: Reg, src: Reg, op: number, alu32: boolean): Reg | undefined {
  const e = ALU_MEMO[aluHash(d, src, op, alu32)];
  if (e === undefined || e.op !== op || e.alu32 !== alu32 || !sameBounds(e.d, d) || !sameBounds(e.s, src) || !isPlainScalar(d)) return undefined;
  const cached = d.precise ? e.resP : e.res;
  if (cached !== undefined) return cached;
  const r = d.clone();
  putMemoOut(r, e);
  r.id = 0;
  if (d.precise) e.resP = r;
  else e.res = r;
  return r;
}

/**
 * scalarAlu itself; false where the result is an unknown scalar (markUnknown, which resets every field
 * of the register, not only its bounds: not memoised), true where only the bounds changed and the id is 0.
 */
function scalarAluUncached(d: Reg, src: Reg, op: number, alu32: boolean): boolean {
  const s = src;
  // Two exactly known operands (a third of loop_tcpopt's ALU ops, most of xdp_parse's): the general
  // path below makes the result known too; set it at once (bounds_diff compares both on edge constants).
  if (isExactConst(d) && isExactConst(s)) {
    const k = constAlu(d.varOff.value, s.varOff.value, op, alu32);
    if (k !== undefined) {
      // the general path keeps a scalar's delta (off) except where a bitwise op of two constants
      // __mark_reg_known's the result
      const off = op === 0x40 || op === 0x50 || op === 0xa0 ? 0 : d.off;
      d.setKnown(k);
      d.off = off;
      return true;
    }
  }
  const bits = alu32 ? 32n : 64n;
  const isShift = op === 0x60 || op === 0x70 || op === 0xc0;
  if (isShift && (!s.varOff.isConst || u64(s.varOff.value) >= bits)) {
    // is_safe_to_compute_dst_reg_range: a shift by an unknown amount yields nothing known —
    // __mark_reg_unknown and return, before the ALU32 zero extension: all 64 bits unknown.
    d.markUnknown();
    return false;
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
    default:
      // div and mod (signed or not, even by a constant: Linux 6.18 logs `r3 /= 3` of r3=7 as scalar()),
      // and anything else: no range is computed (is_safe_to_compute_dst_reg_range), and
      // adjust_scalar_min_max_vals returns before the ALU32 zero extension: all 64 bits unknown, a
      // `w0 %= 16` too (Linux 6.18 walks `if r0 > 0xffffffff` after it).
      d.markUnknown();
      d.id = 0;
      d.sync();
      return false;
  }
  d.id = 0;
  if (alu32) d.zext32();
  d.sync();
  return true;
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

/** branchTaken's two views, refilled per call (it returns before any nested call reads them again). */
const VIEW_A: View = { smin: 0n, smax: 0n, umin: 0n, umax: 0n, t: Tnum.unknown };
const VIEW_B: View = { smin: 0n, smax: 0n, umin: 0n, umax: 0n, t: Tnum.unknown };

function fillView(v: View, r: Reg, is32: boolean): void {
  if (is32) {
    v.smin = r.s32min;
    v.smax = r.s32max;
    v.umin = r.u32min;
    v.umax = r.u32max;
    v.t = r.varOff.subreg();
  } else {
    v.smin = r.smin;
    v.smax = r.smax;
    v.umin = r.umin;
    v.umax = r.umax;
    v.t = r.varOff;
  }
}

/** 1: always taken, 0: never, -1: unknown (is_scalar_branch_taken). */
export function branchTaken(a: Reg, b: Reg, cmp: Cmp, is32: boolean): -1 | 0 | 1 {
  // two shared views, refilled (no allocation: this runs at every conditional jump)
  const x = VIEW_A;
  const y = VIEW_B;
  fillView(x, a, is32);
  fillView(y, b, is32);
  switch (cmp) {
    case 'eq':
      if (x.t.isConst && y.t.isConst) return x.t.value === y.t.value ? 1 : 0;
      if (x.umin > y.umax || x.umax < y.umin || x.smin > y.smax || x.smax < y.smin) return 0;
      if (!is32 && disjoint32(a, b)) return 0;
      if (!x.t.intersectsWith(y.t)) return 0;
      return -1;
    case 'ne':
      if (x.t.isConst && y.t.isConst) return x.t.value !== y.t.value ? 1 : 0;
      if (x.umin > y.umax || x.umax < y.umin || x.smin > y.smax || x.smax < y.smin) return 1;
      if (!is32 && disjoint32(a, b)) return 1;
      if (!x.t.intersectsWith(y.t)) return 1;
      return -1;
    case 'set': {
      // is_scalar_branch_taken decides a JSET only against a constant (either side): `if w0 & w0` of a
      // w0 known nonzero is walked both ways (Linux 6.18 has no same-register case)
      const [v, k] = y.t.isConst ? [x.t, y.t] : x.t.isConst ? [y.t, x.t] : [undefined, undefined];
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
 * is_scalar_branch_taken's second look at a 64-bit JEQ / JNE the 64-bit ranges leave open: 32-bit
 * ranges that do not meet tell the values apart too (r9 with s32 in [-767192967, S32_MAX] is never
 * 0xd2459078, whose s32 is -767192968).
 */
function disjoint32(a: Reg, b: Reg): boolean {
  return a.u32min > b.u32max || a.u32max < b.u32min || a.s32min > b.s32max || a.s32max < b.s32min;
}

/**
 * Narrow a and b assuming `a cmp b` holds (regs_refine_cond_op). Both are scalars; the caller syncs them
 * afterwards and checks their invariants (reg_bounds_sanity_check).
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
      // The constant side is the mask (either side: `if r1 & r2` of a constant r1 narrows r2); with none,
      // nothing is learnt.
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
      // No bit of b is set in a. Linux 6.18 forgets every range of a (64-bit and 32-bit, whatever the
      // width of the jump) before it narrows the tnum, so that a dead branch's tnum cannot contradict
      // them (an invariant violation); reg_bounds_sync then takes the ranges from the tnum alone.
      a.markUnbounded();
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
  // one register shared by both states (copy-on-write): within itself
  if (old === cur) return true;
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
