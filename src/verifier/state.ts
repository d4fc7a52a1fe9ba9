// Verifier states: the registers and stack of each call frame, the references held (ringbuf
// reservations), and the equivalence test that lets exploration stop at a state already proven safe
// (states_equal / regsafe / stacksafe in the kernel).

import { dynptrSlotsSafe, type DynptrSlot } from './dynptr.js';
import { addConstOf, addLinkDelta, baseId, BPF_ADD_CONST, BPF_ADD_CONST32, Reg, RegType, scalarWithin } from './reg.js';
import type { IterType } from '../helpers/kfuncs.js';

export const STACK_SLOTS = 64;

/** What a stack byte holds (the kernel's slot_type). */
export const enum Byte {
  INVALID = 0,
  MISC = 1,
  ZERO = 2,
  SPILL = 3,
  /** Part of a `struct bpf_dynptr` (two whole slots; dynptr.ts). */
  DYNPTR = 4,
  /** Part of an open-coded iterator's state (`struct bpf_iter_num`: one whole slot; bpf_iter_bits: two), STACK_ITER. */
  ITER = 5,
  /** STACK_IRQ_FLAG: a bpf_local_irq_save's `unsigned long` flags (one whole slot). */
  IRQ = 6,
}

/**
 * STACK_ITER: the iterator's type (iter.btf_id), reference (ref_obj_id: the first slot's; a two-slot
 * iterator's second slot has none), state (ACTIVE or DRAINED) and loop depth.
 */
export interface IterSlot {
  readonly type: IterType;
  readonly ref: number;
  readonly drained: boolean;
  readonly depth: number;
}

/** One 8-byte stack slot; immutable, replaced on every write. `bytes[0]` is the lowest address. */
export interface Slot {
  readonly bytes: readonly Byte[];
  /** A spilled register (8-byte spill, or a narrower spill of a scalar at the slot's start). */
  readonly spill?: Reg;
  readonly spillSize?: number;
  /** STACK_DYNPTR slots: what the kernel keeps in the slot's spilled_ptr (dynptr.ts). */
  readonly dynptr?: DynptrSlot;
  /** STACK_ITER slots. */
  readonly iter?: IterSlot;
  /** STACK_IRQ_FLAG slots: the irq state's reference (ref_obj_id). */
  readonly irqRef?: number;
  /** STACK_IRQ_FLAG slots: irq.kfunc_class IRQ_LOCK_KFUNC (bpf_res_spin_lock_irqsave's flags), else IRQ_NATIVE_KFUNC. */
  readonly irqLock?: boolean;
}

/** Frame.chunksShared: the list of stack chunks is shared with a clone (bits 0-7: each chunk). */
const CHUNK_LIST = 1 << 8;

/** Frame.regsShared: the registers' array itself is shared with a clone (bits 0-10: each register). */
const REGS_ARRAY = 1 << 11;

export const EMPTY_SLOT: Slot = { bytes: [0, 0, 0, 0, 0, 0, 0, 0] };

export interface CallbackInfo {
  /** The helper call that runs the callback (bpf_loop). */
  helperInsn: number;
  retMin: bigint;
  retMax: bigint;
  /** A timer's callback (in_async_callback_fn): verified on its own, as frame 0. */
  async?: boolean;
}

/**
 * Test hook: freeze every register a clone shares and the array holding them, so a change made in place
 * to a shared register (one not taken with Frame.own first) or a register put in without Frame.put throws
 * (tests/verifier/cow.test.ts).
 */
export const cowCheck = { freeze: false };

export class Frame {
  /**
   * The registers, shared with clones (the array and each register): read them here; put a new register
   * in with put(r, reg), change one in place only through own(r).
   */
  regs: readonly Reg[];
  /** Bit r: regs[r] may be shared with a clone (own(r) copies it first); REGS_ARRAY: the array is. */
  private regsShared = 0;
  /**
   * The stack slots in 8 chunks of 8 (slot spi in chunks[spi >> 3][spi & 7]), shared with clones: the
   * chunk list and each chunk until a write (setSlot copies the list and the one chunk it writes, not all
   * 64 slots). Read them with slot() or chunk().
   */
  private chunks: Slot[][];
  /** Bit c: chunks[c] may be shared with a clone; CHUNK_LIST: the list is. */
  private chunksShared = 0;
  /** Bit spi (slots 0-31, 32-63): the slot holds a spilled register (kept by setSlot). */
  spillLo = 0;
  spillHi = 0;
  /**
   * The kernel's allocated_stack: the bytes below the frame pointer this path has accessed, in whole
   * 8-byte slots (grow_stack_state). A slot below it was never accessed on this path.
   */
  allocatedStack = 0;
  /** The call instruction that entered this frame (-1 for the main program). */
  callsite: number;
  /** Entry slot of the subprogram. */
  subprog: number;
  frameno: number;
  callback: CallbackInfo | undefined;
  /**
   * bpf_loop iterations of a callback scheduled from this frame's current call (the kernel's
   * callback_depth): no further one once it reaches the loop count's upper bound.
   */
  callbackDepth = 0;
  /**
   * A checkpoint's frame (noteCheckpoint): bit r, register r is NOT_INIT / an imprecise scalar, which a
   * pruning comparison passes over without reading it (an imprecise one when the current register is a
   * scalar too). setPrecise clears a bit of `impreciseRegs`; 0 in the frames of paths being walked.
   */
  notInitRegs = 0;
  impreciseRegs = 0;

  constructor(frameno: number, callsite: number, subprog: number) {
    this.frameno = frameno;
    this.callsite = callsite;
    this.subprog = subprog;
    const regs: Reg[] = [];
    for (let i = 0; i < 10; i++) regs.push(new Reg());
    const fp = Reg.pointer(RegType.STACK);
    fp.frameno = frameno;
    regs.push(fp);
    this.regs = regs;
    this.chunks = [];
    for (let c = 0; c < STACK_SLOTS / 8; c++) this.chunks.push([EMPTY_SLOT, EMPTY_SLOT, EMPTY_SLOT, EMPTY_SLOT, EMPTY_SLOT, EMPTY_SLOT, EMPTY_SLOT, EMPTY_SLOT]);
    this.callback = undefined;
  }

  /** This frame is a checkpoint's (never changed again but by precision marks): note notInitRegs and impreciseRegs. */
  noteCheckpoint(): void {
    let notInit = 0;
    let imprecise = 0;
    for (let r = 0; r < 10; r++) {
      const g = this.regs[r]!;
      if (g.type === RegType.NOT_INIT) notInit |= 1 << r;
      else if (g.type === RegType.SCALAR && !g.precise) imprecise |= 1 << r;
    }
    this.notInitRegs = notInit;
    this.impreciseRegs = imprecise;
  }

  /** Register r, this frame's own, to change in place (a shared one is copied first). */
  own(r: number): Reg {
    const reg = this.regs[r]!;
    if (!(this.regsShared & (1 << r))) return reg;
    this.regsShared &= ~(1 << r);
    const copy = reg.clone();
    this.writableRegs()[r] = copy;
    return copy;
  }

  /**
   * Register r marked precise (or imprecise): in place when this frame owns it, else replaced by its
   * precision twin (Reg.precisionTwin, shared like the register it stands for).
   */
  setPrecise(r: number, precise: boolean): void {
    if (precise) this.impreciseRegs &= ~(1 << r);
    const reg = this.regs[r]!;
    if (reg.precise === precise) return;
    if (!(this.regsShared & (1 << r))) reg.precise = precise;
    else {
      const twin = reg.precisionTwin();
      if (cowCheck.freeze) Object.freeze(twin);
      this.writableRegs()[r] = twin;
    }
  }

  /** Put `reg` in register r (the array is copied first when a clone shares it). */
  put(r: number, reg: Reg): void {
    this.writableRegs()[r] = reg;
  }

  /**
   * Put `reg` in register r, shared: held by another register too, or a constant made once per
   * instruction; own(r) copies it before any change.
   */
  putShared(r: number, reg: Reg): void {
    this.writableRegs()[r] = reg;
    this.regsShared |= 1 << r;
    if (cowCheck.freeze) Object.freeze(reg);
  }

  /** Register r is shared from now on (another register holds it too): own(r) copies it first. */
  share(r: number): void {
    this.regsShared |= 1 << r;
  }

  private writableRegs(): Reg[] {
    if (this.regsShared & REGS_ARRAY) {
      this.regs = this.regs.slice();
      this.regsShared &= ~REGS_ARRAY;
    }
    return this.regs as Reg[];
  }

  /** Stack slot `spi` (0 = fp-512), undefined outside the stack. */
  slot(spi: number): Slot | undefined {
    return this.chunks[spi >> 3]?.[spi & 7];
  }

  /** Slots 8c .. 8c + 7: identical chunks of two frames hold identical slots. */
  chunk(c: number): readonly Slot[] {
    return this.chunks[c]!;
  }

  /** Replace stack slot `spi` (slots are immutable: a write makes a new one). */
  setSlot(spi: number, slot: Slot): void {
    if (this.chunksShared) {
      if (this.chunksShared & CHUNK_LIST) {
        this.chunks = this.chunks.slice();
        this.chunksShared &= ~CHUNK_LIST;
      }
      const c = spi >> 3;
      if (this.chunksShared & (1 << c)) {
        this.chunks[c] = this.chunks[c]!.slice();
        this.chunksShared &= ~(1 << c);
      }
    }
    this.chunks[spi >> 3]![spi & 7] = slot;
    if (spi < 32) this.spillLo = slot.spill ? this.spillLo | (1 << spi) : this.spillLo & ~(1 << spi);
    else this.spillHi = slot.spill ? this.spillHi | (1 << (spi - 32)) : this.spillHi & ~(1 << (spi - 32));
  }

  /** The slots holding a spilled register, lowest first (spillLo / spillHi as slot numbers). */
  spillSlots(out: number[]): number[] {
    let n = 0;
    for (let m = this.spillLo; m; m &= m - 1) out[n++] = 31 - Math.clz32(m & -m);
    for (let m = this.spillHi; m; m &= m - 1) out[n++] = 63 - Math.clz32(m & -m);
    // the length stored only when it changes (a builtin call)
    if (out.length !== n) out.length = n;
    return out;
  }

  clone(): Frame {
    const f = Object.create(Frame.prototype) as Frame;
    f.frameno = this.frameno;
    f.callsite = this.callsite;
    f.subprog = this.subprog;
    f.callback = this.callback;
    f.callbackDepth = this.callbackDepth;
    f.notInitRegs = 0;
    f.impreciseRegs = 0;
    // Copy on write: a branch or a checkpoint's snapshot shares every register until own(r) (regs[r] is
    // rarely changed in place: most instructions put a new register in).
    f.regs = this.regs;
    f.regsShared = this.regsShared = 0x7ff | REGS_ARRAY;
    if (cowCheck.freeze) {
      // the array too: a write that does not go through put() or own() throws
      Object.freeze(f.regs);
      for (const r of f.regs) Object.freeze(r);
    }
    // Copy on write: most clones (a branch's two paths, a checkpoint's snapshot) write few slots or none.
    f.chunks = this.chunks;
    f.spillLo = this.spillLo;
    f.spillHi = this.spillHi;
    f.allocatedStack = this.allocatedStack;
    f.chunksShared = this.chunksShared = CHUNK_LIST | 0xff;
    if (cowCheck.freeze) {
      Object.freeze(f.chunks);
      for (const c of f.chunks) Object.freeze(c);
    }
    return f;
  }
}

export interface RefState {
  id: number;
  insn: number;
  /** A held bpf_spin_lock (locks.ts): the name of the map whose value holds it. */
  lock?: string;
  /** REF_TYPE_RES_LOCK: the held lock is a bpf_res_spin_lock. */
  resLock?: boolean;
  /** REF_TYPE_RES_LOCK_IRQ: taken by bpf_res_spin_lock_irqsave. */
  resLockIrq?: boolean;
  /** REF_TYPE_IRQ: a bpf_local_irq_save not yet restored (not a leak: check_reference_leak skips it). */
  irq?: boolean;
}

/** A state stored at a prune point. `branches` counts paths from it still being explored. */
export interface Checkpoint {
  insn: number;
  state: State;
  branches: number;
  /**
   * The path's checkpoint before this one, set once when this one is made, so the chain only reaches
   * older checkpoints and ends (the walks up it, popPath and backtrack, need no bound of their own).
   */
  parent: Checkpoint | null;
  /** Checkpoints before it on its path (the kernel's dfs_depth): find_prev_entry looks only at older ones. */
  depth: number;
  /** Times it pruned a path / failed to. */
  hits: number;
  misses: number;
  /** Instructions executed from the parent checkpoint up to this one (exclusive). */
  hist: History;
  /** fingerprint() of the state: identical states have equal ones. */
  fp: number;
  /** Where the last pruning comparison against it failed and what it held there (statesEqual's `hint`), or -1. */
  failAt: number;
  failOld: Reg | Slot | undefined;
  /**
   * clean_live_states has cleaned it (its dead stack slots made STACK_INVALID): done once, at a visit of
   * its instruction from the same callsites after its paths all ended, unless its component then still
   * had backedges to propagate (incomplete_read_marks). Until then a comparison sees every slot it holds,
   * dead ones too (6.18.44 compares slot types byte for byte only for EXACT, probed: wide seeds 12623,
   * 12772).
   */
  cleaned: boolean;
  /**
   * The slots alive (bpf_stack_slot_alive, per frame) when it was cleaned: clean_verifier_state wipes the
   * dead ones from the stored state then, once, so a read found later on another path (a variable-offset
   * load reaching further) does not bring them back (wide seed 45337: a slot dead when the checkpoint at
   * 52 was cleaned, read at 57 by the next path, still skipped by the kernel's later comparisons there).
   */
  cleanLive: StackLive | undefined;
}

/**
 * A path's instruction history (the kernel's jmp_history), shared with the paths it branched into:
 * `items` are this node's own entries, after the first `prevLen` entries of `prev`. A branch forks the
 * history instead of copying it; the original goes on appending to its own node, past what the fork sees.
 * A path's entries, newest first: its node's `items` from the end, then each `prev`'s first `prevLen`.
 */
export class History {
  readonly items: number[] = [];
  /**
   * The registers a compare found linked (collectLinkedRegs, two or more), by the index of its entry in
   * `items` (the kernel's jmp_history_entry.linked_regs): backtracking makes them precise together.
   */
  linked: Map<number, readonly number[]> | undefined = undefined;
  readonly prev: History | null;
  readonly prevLen: number;

  constructor(prev: History | null = null, prevLen = 0) {
    this.prev = prev;
    this.prevLen = prevLen;
  }

  push(h: number): void {
    this.items.push(h);
  }

  /** Record the linked registers of the newest entry. */
  setLinked(linked: readonly number[]): void {
    (this.linked ??= new Map()).set(this.items.length - 1, linked);
  }

  /** A history that continues this one as it is now. */
  fork(): History {
    return this.items.length ? new History(this, this.items.length) : new History(this.prev, this.prevLen);
  }
}

/**
 * A checkpoint's snapshot's history: it runs no instruction, so it has none of its own (frozen: a push
 * would throw). Its path's history is the checkpoint's `hist`.
 */
const NO_HISTORY: History = Object.freeze(new History());
Object.freeze(NO_HISTORY.items);

/** A state's references when it holds none (shared: refs arrays are never changed in place). */
const NO_REFS: readonly RefState[] = [];

/** forEachReg's list of spill slots (reused: forEachReg does not nest). */
const SPILLS: number[] = [];

export class State {
  frames: Frame[];
  /**
   * The references held. The array is shared with clones and never changed in place: an acquire or a
   * release puts a new one in (st.refs = [...]), as do the RefState objects.
   */
  refs: readonly RefState[];
  /** The last checkpoint on this path. */
  cp: Checkpoint | null = null;
  /** Instructions executed since `cp`, for precision backtracking. */
  hist: History;
  /** Jump targets and stack accesses in `hist` (the length of the kernel's jmp_history). */
  histMarks = 0;
  /** Callback visits scheduled on this path (the kernel's callback_unroll_depth). */
  cbUnroll = 0;
  /** may_goto fall-throughs on this path (the kernel's may_goto_depth): iterations of may_goto loops. */
  mayGotoDepth = 0;
  /** check_kfunc_call's active_rcu_lock: inside bpf_rcu_read_lock() .. bpf_rcu_read_unlock(). */
  rcuLock = false;
  /** active_preempt_locks: bpf_preempt_disable() calls not yet matched by bpf_preempt_enable(). */
  preemptLocks = 0;

  constructor(frames: Frame[], refs: readonly RefState[] = NO_REFS, hist = new History()) {
    this.frames = frames;
    this.refs = refs;
    this.hist = hist;
  }

  get cur(): Frame {
    return this.frames[this.frames.length - 1]!;
  }

  /** A copy; `withHist` false for a checkpoint's snapshot, which starts no history of its own. */
  clone(withHist = true): State {
    const frames: Frame[] = [];
    for (let i = 0; i < this.frames.length; i++) frames.push(this.frames[i]!.clone());
    const s = new State(frames, this.refs, withHist ? this.hist.fork() : NO_HISTORY);
    s.cp = this.cp;
    s.histMarks = this.histMarks;
    s.cbUnroll = this.cbUnroll;
    s.mayGotoDepth = this.mayGotoDepth;
    s.rcuLock = this.rcuLock;
    s.preemptLocks = this.preemptLocks;
    return s;
  }

  /**
   * Apply `fn` to every register, spilled ones included (each is copied before the change when shared:
   * registers and slots are shared between states). With `match`, only the registers and spills it
   * selects are copied and changed.
   */
  forEachReg(fn: (r: Reg) => void, match?: (r: Reg) => boolean): void {
    for (const f of this.frames) {
      for (let r = 0; r < f.regs.length; r++) if (!match || match(f.regs[r]!)) fn(f.own(r));
      for (const i of f.spillSlots(SPILLS)) {
        const s = f.slot(i)!;
        if (!s.spill || (match && !match(s.spill))) continue;
        const copy = s.spill.clone();
        fn(copy);
        f.setSlot(i, { ...s, spill: copy });
      }
    }
  }
}

/**
 * mark_all_scalars_imprecise: forEachReg(r => (r.precise = false), r => r.isScalar && r.precise) written
 * out (no closures: it runs at every checkpoint), shared registers and spills replaced by their imprecise
 * twins (made once each) instead of copies.
 */
export function makeScalarsImprecise(st: State): void {
  for (const f of st.frames) {
    for (let r = 0; r < f.regs.length; r++) {
      const g = f.regs[r]!;
      if (g.precise && g.isScalar) f.setPrecise(r, false);
    }
    if (!(f.spillLo | f.spillHi)) continue;
    for (const i of f.spillSlots(SPILLS)) {
      const s = f.slot(i)!;
      const sp = s.spill;
      if (!sp || !sp.precise || !sp.isScalar) continue;
      f.setSlot(i, { ...s, spill: sp.precisionTwin() });
    }
  }
}

/** include/linux/bpf_verifier.h: LINKED_REGS_MAX, the registers one compare records as linked. */
const LINKED_REGS_MAX = 6;

/**
 * A linked register as collect_linked_regs records it: frame << 7 | 64 for a register | its number, or
 * frame << 7 | a stack slot's number (spi here: 0 = fp-512).
 */
export const linkedEntry = (frameno: number, isReg: boolean, idx: number): number => (frameno << 7) | (isReg ? 64 : 0) | idx;

/**
 * collect_linked_regs: the scalars of `st` whose id without its BPF_ADD_CONST flags is `id`'s — the
 * live registers of each frame (`live`: per frame, live before its current instruction), innermost
 * frame first, then its spilled registers from fp-8 down — appended to `out`, at most LINKED_REGS_MAX in
 * all: one more loses its id in `st` (its link to the others is forgotten).
 */
export function collectLinkedRegs(st: State, id: number, live: readonly number[], out: number[]): void {
  const base = baseId(id);
  for (let fr = st.frames.length - 1; fr >= 0; fr--) {
    const f = st.frames[fr]!;
    const liveRegs = live[fr]!;
    for (let r = 0; r < 10; r++) {
      if (!(liveRegs & (1 << r))) continue;
      const g = f.regs[r]!;
      if (g.type !== RegType.SCALAR || baseId(g.id) !== base) continue;
      if (out.length < LINKED_REGS_MAX) out.push(linkedEntry(fr, true, r));
      else f.own(r).id = 0;
    }
    // (the slots holding a spill, from fp-8 down)
    const spills = f.spillSlots(SPILLS);
    for (let k = spills.length - 1; k >= 0; k--) {
      const i = spills[k]!;
      const s = f.slot(i)!;
      const sp = s.spill;
      if (!sp || s.bytes[0] !== Byte.SPILL || sp.type !== RegType.SCALAR || baseId(sp.id) !== base) continue;
      if (out.length < LINKED_REGS_MAX) out.push(linkedEntry(fr, false, i));
      else {
        const copy = sp.clone();
        copy.id = 0;
        f.setSlot(i, { ...s, spill: copy });
      }
    }
  }
}

/**
 * sync_linked_regs: every register of `linked` (collectLinkedRegs) still a scalar of the id of `known`
 * (register `knownReg` of the innermost frame, just refined by a compare) becomes a copy of it (the
 * whole register: bounds, id, delta, precision), or, when the two keep different deltas, a copy plus
 * the difference (its own id and delta kept; zero-extended when either delta is a 32-bit one). A
 * 32-bit delta and a 64-bit one say nothing of each other: skipped.
 */
export function syncLinkedRegs(st: State, known: Reg, knownReg: number, linked: readonly number[]): void {
  const kc = addConstOf(known.id);
  for (const e of linked) {
    const fr = e >> 7;
    const isReg = (e & 64) !== 0;
    const idx = e & 63;
    const f = st.frames[fr]!;
    if (isReg && fr === st.frames.length - 1 && idx === knownReg) continue;
    const s = isReg ? undefined : f.slot(idx)!;
    const reg = isReg ? f.regs[idx]! : s!.spill;
    if (!reg || reg.type !== RegType.SCALAR || reg === known) continue;
    if (baseId(reg.id) !== baseId(known.id)) continue;
    const rc = addConstOf(reg.id);
    if ((rc ^ kc) >>> 0 === BPF_ADD_CONST) continue;
    const next = known.clone();
    if ((rc || kc) && reg.off !== known.off) {
      next.id = reg.id;
      next.off = reg.off;
      addLinkDelta(next, BigInt(reg.off - known.off), ((reg.id | known.id) & BPF_ADD_CONST32) !== 0);
    }
    if (isReg) f.put(idx, next);
    else f.setSlot(idx, { ...s!, spill: next });
  }
}

// ---- widening (bpf_loop callbacks, may_goto loops) ----

/** same_callsites: the same frames, entered from the same calls. */
export function sameCallsites(a: State, b: State): boolean {
  if (a.frames.length !== b.frames.length) return false;
  for (let f = 0; f < a.frames.length; f++) if (a.frames[f]!.callsite !== b.frames[f]!.callsite) return false;
  return true;
}

/**
 * widen_imprecise_scalars: an imprecise scalar (register or spill) that differs from the one `old` (the
 * previous visit of the same call or may_goto) had becomes unknown in `cur`, so a callback's or a
 * may_goto loop's iterations converge.
 */
export function widenImpreciseScalars(old: State, cur: State): void {
  const ids = IDS;
  ids.reset();
  const widen = (o: Reg, c: Reg): boolean => {
    if (o.type !== RegType.SCALAR || c.type !== RegType.SCALAR) return false;
    if (o.precise || c.precise || regsafe(o, c, ids, true)) return false;
    return true;
  };
  for (let f = old.frames.length - 1; f >= 0; f--) {
    const of = old.frames[f]!;
    const cf = cur.frames[f]!;
    for (let r = 0; r < 11; r++) if (widen(of.regs[r]!, cf.regs[r]!)) cf.own(r).markUnknown();
    for (let i = 0; i < STACK_SLOTS; i++) {
      const o = of.slot(i)!;
      const c = cf.slot(i)!;
      if (!o.spill || !c.spill || o.bytes[0] !== Byte.SPILL || c.bytes[0] !== Byte.SPILL) continue;
      if (widen(o.spill, c.spill)) cf.setSlot(i, { ...c, spill: Reg.unknown() });
    }
  }
}

// ---- equivalence ----

/**
 * The old-id ↔ current-id bijection of one comparison (the kernel's bpf_idmap): few ids per state, so
 * two parallel arrays searched linearly, reused by every comparison (no allocation per call).
 */
class IdMap {
  private readonly olds: number[] = [];
  private readonly curs: number[] = [];
  private n = 0;
  private tmpId = 0;

  reset(): void {
    this.n = 0;
    this.tmpId = 0;
  }

  check(oldId: number, curId: number): boolean {
    if (oldId === 0 && curId === 0) return true;
    if (oldId === 0 || curId === 0) return false;
    for (let i = 0; i < this.n; i++) {
      if (this.olds[i] === oldId) return this.curs[i] === curId;
      if (this.curs[i] === curId) return false;
    }
    this.olds[this.n] = oldId;
    this.curs[this.n] = curId;
    this.n++;
    return true;
  }

  /** checkScalar as a function value, made once (a closure made in slotSafe would allocate its context per call). */
  readonly checkScalarFn = (oldId: number, curId: number): boolean => this.checkScalar(oldId, curId);

  checkScalar(oldId: number, curId: number): boolean {
    // An old scalar linked to nothing says nothing; a linked one needs the same links now.
    return oldId === 0 || this.check(oldId, curId);
  }

  /**
   * check_scalar_ids as 6.18.y has it ("bpf: Relax scalar id equivalence for state pruning"): an old
   * scalar linked to nothing accepts any links now (they only add constraints); a linked one needs
   * the same links, an unlinked current scalar getting an id of its own.
   */
  scalarIds(oldId: number, curId: number): boolean {
    if (oldId === 0) return true;
    const cur = curId || --this.tmpId;
    if (!this.check(oldId, cur)) return false;
    // A linked scalar with a delta (BPF_ADD_CONST): its base id must map as the id does, or an old
    // r3 = r2 + K would match a current r3 derived from an unrelated register.
    return !addConstOf(oldId) || this.check(baseId(oldId), baseId(cur));
  }
}

const IDS = new IdMap();

/**
 * `exact` asks for identical registers (the kernel's EXACT); `within` (RANGE_WITHIN, at a callback's
 * call) compares imprecise scalars by range too.
 */
function regsafe(old: Reg, cur: Reg, ids: IdMap, exact: boolean, within = false): boolean {
  if (old.type === RegType.NOT_INIT) return exact ? cur.type === RegType.NOT_INIT : true;
  if (cur.type === RegType.NOT_INIT) return false;
  if (exact) {
    // regs_exact: memcmp up to the id, then check_ids, both set or both 0 (a scalar's delta is in off)
    return regBytesEqual(old, cur) && old.frameno === cur.frameno && ids.check(old.id, cur.id) && ids.check(old.refObjId, cur.refObjId);
  }
  if (old.type !== cur.type) return false;
  switch (old.type) {
    case RegType.SCALAR:
      if (!old.precise && !within) return true;
      // A linked old scalar needs the same kind of delta now (none, 64- or 32-bit), and the same delta.
      if (old.id && addConstOf(old.id) !== addConstOf(cur.id)) return false;
      if (addConstOf(old.id) && old.off !== cur.off) return false;
      return scalarWithin(old, cur) && ids.scalarIds(old.id, cur.id);
    case RegType.CONST_MAP:
      return old.map === cur.map && old.mapUid === cur.mapUid;
    case RegType.FUNC:
      return old.subprog === cur.subprog;
    case RegType.PACKET:
    case RegType.PACKET_META:
      // The old state must not have relied on more proven bytes than the current one has; a pointer
      // marked at or past the end (a negative range, mark_pkt_end) only stands for one marked alike.
      if (old.range < 0 || cur.range < 0) {
        if (old.range !== cur.range) return false;
      } else if (old.range > cur.range) return false;
      if (old.off !== cur.off) return false;
      return ids.check(old.id, cur.id) && scalarWithin(old, cur);
    case RegType.STACK:
      // two stack pointers are equal only if they point into the same frame, at the same offsets
      return regsExact(old, cur, ids) && old.frameno === cur.frameno;
    case RegType.MAP_VALUE:
    case RegType.MAP_KEY:
    case RegType.MEM:
      // The same object, the current offsets within the old ones, and ids in the same relation: always
      // compared (check_ids), not only while the pointer may be NULL — a non-NULL map value keeps an id
      // where it holds a bpf_spin_lock (it names the lock), and a reference its ref_obj_id.
      return (
        old.maybeNull === cur.maybeNull &&
        old.map === cur.map &&
        old.mapUid === cur.mapUid &&
        old.memSize === cur.memSize &&
        old.ringbuf === cur.ringbuf &&
        old.rdonly === cur.rdonly &&
        old.untrusted === cur.untrusted &&
        old.trustedBtf === cur.trustedBtf &&
        old.pktSlice === cur.pktSlice &&
        old.alloc === cur.alloc &&
        old.nonOwning === cur.nonOwning &&
        old.rcu === cur.rcu &&
        old.percpu === cur.percpu &&
        old.off === cur.off &&
        scalarWithin(old, cur) &&
        ids.check(old.id, cur.id) &&
        ids.check(old.refObjId, cur.refObjId)
      );
    default:
      // ctx, packet end, sockets, BTF pointers: regs_exact
      return regsExact(old, cur, ids);
  }
}

/** regs_exact: memcmp up to the id, then check_ids of the id and of ref_obj_id. */
function regsExact(old: Reg, cur: Reg, ids: IdMap): boolean {
  return regBytesEqual(old, cur) && ids.check(old.id, cur.id) && ids.check(old.refObjId, cur.refObjId);
}

/**
 * states_maybe_looping: the innermost frame's registers, all eleven whether live or not, byte for byte
 * (memcmp of bpf_reg_state up to frameno: ids as they are, not mapped) — the infinite-loop check's
 * first test, before states_equal(EXACT).
 */
export function statesMaybeLooping(old: State, cur: State): boolean {
  if (old.frames.length !== cur.frames.length) return false;
  const of = old.frames[old.frames.length - 1]!;
  const cf = cur.frames[cur.frames.length - 1]!;
  for (let r = 0; r < 11; r++) if (!regMemEqual(of.regs[r]!, cf.regs[r]!)) return false;
  return true;
}

function regMemEqual(a: Reg, b: Reg): boolean {
  return a === b || (regBytesEqual(a, b) && a.id === b.id && a.refObjId === b.refObjId);
}

/**
 * memcmp of two bpf_reg_states up to their id: the type and its flags, the fixed offset (a scalar's
 * delta), the union (packet range, map, memory size, dynptr, subprogram, BTF type) and var_off with
 * the eight bounds.
 */
function regBytesEqual(a: Reg, b: Reg): boolean {
  return (
    a.type === b.type &&
    a.maybeNull === b.maybeNull &&
    a.ringbuf === b.ringbuf &&
    a.rdonly === b.rdonly &&
    a.untrusted === b.untrusted &&
    a.trustedBtf === b.trustedBtf &&
    a.pktSlice === b.pktSlice &&
    a.off === b.off &&
    a.range === b.range &&
    a.map === b.map &&
    a.mapUid === b.mapUid &&
    a.memSize === b.memSize &&
    a.dynptrId === b.dynptrId &&
    a.subprog === b.subprog &&
    a.btf === b.btf &&
    a.alloc === b.alloc &&
    a.nonOwning === b.nonOwning &&
    a.rcu === b.rcu &&
    a.percpu === b.percpu &&
    a.varOff.equals(b.varOff) &&
    a.smin === b.smin &&
    a.smax === b.smax &&
    a.umin === b.umin &&
    a.umax === b.umax &&
    a.s32min === b.s32min &&
    a.s32max === b.s32max &&
    a.u32min === b.u32min &&
    a.u32max === b.u32max
  );
}

/** The kernel's is_stack_all_misc with allow_uninit_stack (privileged): every byte MISC or INVALID. */
function allMiscOrInvalid(bytes: readonly Byte[]): boolean {
  for (let b = 0; b < 8; b++) if (bytes[b] !== Byte.MISC && bytes[b] !== Byte.INVALID) return false;
  return true;
}

/** unbound_reg: the scalar a load from MISC bytes gives (never changed). */
const UNBOUND = Reg.unknown();

/** A slot's bytes all SPILL, shared (the verifier's stores put this array in, so allSpill finds it at once). */
export const ALL_SPILL: readonly Byte[] = Object.freeze([Byte.SPILL, Byte.SPILL, Byte.SPILL, Byte.SPILL, Byte.SPILL, Byte.SPILL, Byte.SPILL, Byte.SPILL]);

function allSpill(bytes: readonly Byte[]): boolean {
  if (bytes === ALL_SPILL) return true;
  for (let b = 0; b < 8; b++) if (bytes[b] !== Byte.SPILL) return false;
  return true;
}

/** Is the old slot `o` safe to stand for the current slot `c` (one slot of stacksafe)? */
function slotSafe(o: Slot, c: Slot, ids: IdMap, exact: boolean, within: boolean): boolean {
  if (exact) {
    for (let b = 0; b < 8; b++) if (o.bytes[b] !== c.bytes[b]) return false;
    if (!!o.spill !== !!c.spill) return false;
    if (o.spill && !regsafe(o.spill, c.spill!, ids, true)) return false;
    if (o.iter && !iterSlotsSafe(o.iter, c.iter, ids)) return false;
    if (o.irqRef !== undefined && (!ids.check(o.irqRef, c.irqRef ?? 0) || !!o.irqLock !== !!c.irqLock)) return false;
    return dynptrSlotsSafe(o.dynptr, c.dynptr, ids.checkScalarFn);
  }
  if (o.spill && allSpill(o.bytes)) {
    if (!c.spill || !allSpill(c.bytes)) {
      // stacksafe's scalar_reg_for_stack: a 64-bit spilled scalar compares with a current slot only as
      // regsafe against the unbound scalar a load from it gives, and only when that slot is all MISC
      // (or uninitialised: privileged, allow_uninit_stack). Anything else (zeros, a narrower spill, a
      // pointer) goes byte by byte, and a SPILL byte against a non-SPILL one differs: katran's
      // `mmmm` + 32-bit spill at fp-16 is not pruned by an old imprecise 64-bit spill there.
      return o.spill.type === RegType.SCALAR && allMiscOrInvalid(c.bytes) && regsafe(o.spill, UNBOUND, ids, false, within);
    }
    return regsafe(o.spill, c.spill, ids, false, within);
  }
  for (let b = 0; b < 8; b++) {
    const ob = o.bytes[b]!;
    // With uninitialised stack reads allowed (privileged), MISC and INVALID say the same: "anything".
    if (ob === Byte.INVALID || ob === Byte.MISC) continue;
    if (ob !== c.bytes[b]) return false;
  }
  if (o.spill && (!c.spill || !regsafe(o.spill, c.spill, ids, false, within))) return false;
  if (o.dynptr && !dynptrSlotsSafe(o.dynptr, c.dynptr, ids.checkScalarFn)) return false;
  if (o.iter && !iterSlotsSafe(o.iter, c.iter, ids)) return false;
  // stacksafe's STACK_IRQ_FLAG: the same reference (check_ids) and kfunc_class
  if (o.irqRef !== undefined && (!ids.check(o.irqRef, c.irqRef ?? 0) || !!o.irqLock !== !!c.irqLock)) return false;
  return true;
}

/**
 * stacksafe's STACK_ITER: the same state and reference (check_ids); iter.depth is not compared (it only
 * keeps the infinite-loop check off: iterActiveDepthsDiffer).
 */
function iterSlotsSafe(o: IterSlot, c: IterSlot | undefined, ids: IdMap): boolean {
  return !!c && o.type === c.type && o.drained === c.drained && ids.check(o.ref, c.ref);
}

/** iter_active_depths_differ: an ACTIVE iterator slot of the old state at another depth in the current one. */
export function iterActiveDepthsDiffer(old: State, cur: State): boolean {
  for (let fr = 0; fr < old.frames.length; fr++) {
    const of = old.frames[fr]!;
    const cf = cur.frames[fr];
    if (!cf) continue;
    for (let i = 0; i < STACK_SLOTS; i++) {
      const o = of.slot(i)!.iter;
      if (!o || o.drained) continue;
      if (cf.slot(i)!.iter?.depth !== o.depth) return true;
    }
  }
  return false;
}

/**
 * `liveLo`/`liveHi`: the slots (bit spi) still read from here on; -1 for all of them. Returns the first
 * slot that differs, or -1.
 */
function stacksafe(old: Frame, cur: Frame, ids: IdMap, exact: boolean, liveLo: number, liveHi: number, within: boolean): number {
  // The old stack's allocated slots are compared (the current one's others are ignored: the old path
  // never used them); slots from `curFirst` up only are allocated in the current stack, and one the
  // old path used below that (anything but uninitialised or misc data) differs — an exact comparison
  // asks for all of the old one's allocated.
  const oldFirst = STACK_SLOTS - (old.allocatedStack >> 3);
  const curFirst = STACK_SLOTS - (cur.allocatedStack >> 3);
  if (exact && curFirst > oldFirst) return curFirst - 1;
  for (let ch = 0; ch < STACK_SLOTS / 8; ch++) {
    // The chunk's slots still read, lowest first (a slot nothing reads again cannot make the paths
    // differ); an exact comparison looks at all of them.
    let live = exact ? 0xff : (ch < 4 ? liveLo >>> (ch * 8) : liveHi >>> ((ch - 4) * 8)) & 0xff;
    // (only the old stack's allocated slots)
    if (oldFirst > ch * 8) live &= 0xff << Math.min(8, oldFirst - ch * 8);
    if (!live) continue;
    const oc = old.chunk(ch);
    const cc = cur.chunk(ch);
    // a chunk both share: eight identical slots (compared still where one holds an id: the same id on
    // both sides fails check_ids when a register has mapped it elsewhere)
    if (oc === cc) {
      for (let m = live; m; m &= m - 1) {
        const k = 31 - Math.clz32(m & -m);
        if (!slotHasIds(oc[k]!)) live &= ~(1 << k);
      }
      if (!live) continue;
    }
    for (; live; live &= live - 1) {
      const k = 31 - Math.clz32(live & -live);
      const o = oc[k]!;
      const c = cc[k]!;
      if (ch * 8 + k < curFirst && o !== EMPTY_SLOT && !allMiscOrInvalid(o.bytes)) return ch * 8 + k;
      // (an old slot never written passes, unread, unless the comparison is exact)
      if ((o !== c || slotHasIds(o)) && (exact || o !== EMPTY_SLOT) && !slotSafe(o, c, ids, exact, within)) return ch * 8 + k;
    }
  }
  return -1;
}

/** A slot whose comparison goes through the idmap: a spilled register with an id or a reference, a dynptr. */
function slotHasIds(o: Slot): boolean {
  return (o.spill !== undefined && (o.spill.id !== 0 || o.spill.refObjId !== 0)) || o.dynptr !== undefined || o.iter !== undefined || o.irqRef !== undefined;
}

/** Per frame, the stack slots still read (bit spi: slots 0-31 in lo, 32-63 in hi). */
export interface StackLive {
  lo: number[];
  hi: number[];
}

/**
 * Where the last statesEqual that failed found the difference (`at`: frame * 128 + register, or + 16 +
 * stack slot) and the old state's register or slot there, so a later comparison with the same old state
 * can test that first (see statesEqual's `hint`).
 */
export const mismatch: { at: number; old: Reg | Slot | undefined } = { at: -1, old: undefined };

/**
 * The one register or slot `at` of the comparison statesEqual makes, the old side being `o` (what the old
 * state held there when it last failed); true if they do not differ. The old state itself is not read:
 * checkpoints change later only by precision marks, which make a comparison stricter, so an older `o` can
 * only pass where the current one would fail, never the reverse, and a pass leads to the full comparison.
 */
function oneSafe(o: Reg | Slot, cur: State, live: readonly number[], exact: boolean, stackLive: StackLive | undefined, within: boolean, at: number): boolean {
  const f = at >> 7;
  const k = at & 127;
  const cf = cur.frames[f];
  if (!cf) return true;
  const ids = IDS;
  ids.reset();
  if (k < 16) return !((live[f] ?? 0x7ff) & (1 << k)) || regsafe(o as Reg, cf.regs[k]!, ids, exact, within);
  const i = k - 16;
  const c = cf.slot(i)!;
  if (o === c) return true;
  if (!exact && stackLive && !(((i < 32 ? stackLive.lo[f]! >>> i : stackLive.hi[f]! >>> (i - 32)) & 1))) return true;
  return slotSafe(o as Slot, c, ids, exact, within);
}

/**
 * Is every execution from `cur` covered by the already-explored `old`? `live[f]` lists the registers
 * that may still be read in frame f (others are ignored). `exact` asks for identical states (the
 * infinite-loop check).
 *
 * `hint` and `hintOld` (the `mismatch` of an earlier failed comparison with `old`) are tested first, on
 * their own: the comparison is a conjunction, and one register or slot that differs with no ids mapped
 * yet differs with any, so the answer is the same, only found sooner (states at one instruction tend to
 * differ in the same place). A failure sets `mismatch`.
 */
export function statesEqual(
  old: State,
  cur: State,
  live: readonly number[],
  exact: boolean,
  /** Per frame, the stack slots still read from here on (bits, slots 0-31 and 32-63); all if omitted. */
  stackLive?: StackLive,
  /** RANGE_WITHIN: imprecise scalars compared by range as well (a callback's convergence). */
  within = false,
  hint = -1,
  hintOld?: Reg | Slot,
): boolean {
  mismatch.at = -1;
  mismatch.old = undefined;
  if (hint >= 0 && hintOld && !oneSafe(hintOld, cur, live, exact, stackLive, within, hint)) {
    mismatch.at = hint;
    mismatch.old = hintOld;
    return false;
  }
  if (old.frames.length !== cur.frames.length) return false;
  if (old.refs.length !== cur.refs.length) return false;
  // refsafe: the same RCU read section and preemption count
  if (old.rcuLock !== cur.rcuLock || old.preemptLocks !== cur.preemptLocks) return false;
  const ids = IDS;
  ids.reset();
  // refsafe: each reference's id, type (REF_TYPE_PTR / _IRQ / _LOCK / _RES_LOCK / _RES_LOCK_IRQ) and, for a lock, its
  // map (the kernel's refs[i].ptr)
  for (let i = 0; i < old.refs.length; i++) {
    const o = old.refs[i]!;
    const c = cur.refs[i]!;
    if (!ids.check(o.id, c.id) || o.lock !== c.lock || !o.resLock !== !c.resLock || !o.resLockIrq !== !c.resLockIrq || !o.irq !== !c.irq) return false;
  }
  for (let f = 0; f < old.frames.length; f++) {
    const of = old.frames[f]!;
    const cf = cur.frames[f]!;
    if (of.callsite !== cf.callsite || of.subprog !== cf.subprog) return false;
    if (of.callbackDepth > cf.callbackDepth) return false;
    let mask = live[f] ?? 0x7ff;
    // What regsafe passes at once, not read (a checkpoint's registers are often far from the cache):
    // an old NOT_INIT register, an old imprecise scalar against a current scalar.
    if (!exact && !within) {
      mask &= ~of.notInitRegs;
      const imprecise = of.impreciseRegs & mask;
      if (imprecise) for (let r = 0; r < 10; r++) if (imprecise & (1 << r) && cf.regs[r]!.type === RegType.SCALAR) mask &= ~(1 << r);
    }
    for (let r = 0; r < 10; r++) {
      if (!(mask & (1 << r))) continue;
      if (!regsafe(of.regs[r]!, cf.regs[r]!, ids, exact, within)) {
        mismatch.at = (f << 7) | r;
        mismatch.old = of.regs[r];
        return false;
      }
    }
    const bad = stacksafe(of, cf, ids, exact, stackLive ? stackLive.lo[f]! : -1, stackLive ? stackLive.hi[f]! : -1, within);
    if (bad >= 0) {
      mismatch.at = (f << 7) | (16 + bad);
      mismatch.old = of.slot(bad);
      return false;
    }
  }
  return true;
}
