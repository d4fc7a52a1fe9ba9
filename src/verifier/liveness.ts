// Static register liveness (the kernel's compute_live_registers, 6.15+): for each instruction, the
// registers that some path from it may read before writing. State pruning ignores dead registers, so
// two states that differ only in values nobody reads again are the same state.

import { Class, JmpOp, Mode, AtomicOp, OP_LDDW } from '../isa/opcodes.js';
import { isLocalCall, jumpTarget, type Insn } from '../isa/insn.js';

const ARGS = 0b111110; // r1–r5
const CALLER_SAVED = 0b111111; // r0–r5

/** A helper's argument count (its prototype), or undefined when unknown; `kfunc`: a kfunc's by BTF id. */
export type HelperArgCount = (id: number, kfunc: boolean) => number | undefined;

function useDef(ins: Insn, helperArgs?: HelperArgCount): { use: number; def: number } {
  const c = ins.code & 0x07;
  const op = ins.code & 0xf0;
  const x = (ins.code & 0x08) !== 0;
  const d = 1 << ins.dst;
  const s = 1 << ins.src;
  switch (c) {
    case Class.ALU:
    case Class.ALU64:
      if (op === 0xb0) return { use: x ? s : 0, def: d }; // mov
      if (op === 0x80 || op === 0xd0) return { use: d, def: d }; // neg, end
      return { use: d | (x ? s : 0), def: d };
    case Class.LDX:
      return { use: s, def: d };
    case Class.ST:
      return { use: d, def: 0 };
    case Class.STX:
      if ((ins.code & 0xe0) === Mode.ATOMIC) {
        if (ins.imm === AtomicOp.CMPXCHG) return { use: d | s | 1, def: 1 };
        return { use: d | s, def: ins.imm & AtomicOp.FETCH ? s : 0 };
      }
      return { use: d | s, def: 0 };
    case Class.LD:
      if (ins.code === OP_LDDW) return { use: 0, def: d };
      return { use: ARGS | 1 << 6 | (x ? s : 0), def: CALLER_SAVED };
    case Class.JMP:
    case Class.JMP32:
      if (op === JmpOp.CALL) {
        // A helper reads only the arguments its prototype has, a kfunc those of its BTF prototype (the
        // kernel's get_call_summary: fn->arg_type, then btf_type_vlen of the kfunc's func_proto).
        const n = ins.src === 0 || ins.src === 2 ? helperArgs?.(ins.imm, ins.src === 2) : undefined;
        return { use: n === undefined ? ARGS : ARGS & ((1 << (n + 1)) - 1), def: CALLER_SAVED };
      }
      if (op === JmpOp.EXIT) return { use: 1, def: 0 };
      // compute_insn_live_regs: ja and may_goto (BPF_JCOND) read no register
      if (op === JmpOp.JA || op === JmpOp.JCOND) return { use: 0, def: 0 };
      return { use: d | (x ? s : 0), def: 0 };
  }
  return { use: 0, def: 0 };
}

/** live[i]: bit r set when register r may be read at or after slot i before being written. */
export function liveRegisters(prog: readonly Insn[], helperArgs?: HelperArgCount): Uint16Array {
  const n = prog.length;
  const use = new Uint16Array(n);
  const def = new Uint16Array(n);
  const succ = successors(prog);
  for (let i = 0; i < n; i++) {
    const ins = prog[i]!;
    if (ins.isLdImm64Tail) continue;
    const ud = useDef(ins, helperArgs);
    use[i] = ud.use;
    def[i] = ud.def;
  }
  const live = new Uint16Array(n);
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      let out = 0;
      for (const s of succ[i]!) out |= live[s]!;
      const v = use[i]! | (out & ~def[i]!);
      if (v !== live[i]) {
        live[i] = v;
        changed = true;
      }
    }
  }
  return live;
}

/** The first set bit at or after `from`, or -1. */
function nextBit(bits: Uint32Array, from: number): number {
  let w = from >> 5;
  if (w >= bits.length) return -1;
  let word = bits[w]! & (~0 << (from & 31));
  while (!word) {
    if (++w >= bits.length) return -1;
    word = bits[w]!;
  }
  return (w << 5) + 31 - Math.clz32(word & -word);
}

interface ChainNode {
  readonly kids: Map<number, ChainNode>;
  readonly byStart: Map<number, Instance>;
}

/** A frame of a state as the stack liveness sees it: the call that entered it, its function's entry. */
export interface LiveFrame {
  readonly callsite: number;
  readonly subprog: number;
}

// Per instruction and frame, 8 words: may_read, must_write, must_write_acc, live_before, each as two
// halves (lo: slots 0-31 = fp-512..fp-264, hi: slots 32-63 = fp-256..fp-8; the kernel's bit spi is
// fp-(spi+1)*8, so its low 32 bits are our hi half).
const MAY = 0;
const MW = 2;
const ACC = 4;
const LIVE = 6;
const W = 8;

/**
 * The kernel's func_instance: one function reached through one call chain (the calls of frames 1..depth,
 * then the function's entry), with marks per instruction for each frame of that chain.
 */
interface Instance {
  readonly start: number;
  readonly n: number;
  readonly depth: number;
  readonly callsites: readonly number[];
  /** The entries of the chain's functions, frame 0 first (sp_starts). */
  readonly starts: readonly number[];
  /** Per frame 0..depth, W words per instruction (allocated at the first mark of that frame). */
  readonly frames: (Int32Array | undefined)[];
  /** must_write_set: the instruction was committed once (later commits intersect). */
  readonly mwSet: Uint8Array;
  /**
   * Per frame, a bit per postorder position whose instruction's inputs changed since it was last solved
   * (its marks, or a successor's live_before or must_write_acc). The kernel solves every instruction in
   * postorder until a pass changes nothing; one whose inputs did not change solves to what it holds, so
   * only these are solved, in the same order and passes, to the same result.
   */
  readonly dirty: (Uint32Array | undefined)[];
  updated: boolean;
  mwDropped: boolean;
}

/**
 * The live stack slots analysis of the kernel (6.18, kernel/bpf/liveness.c): which stack slots may be
 * read from an instruction on, per call chain. As the walk goes, each instruction records the slots it
 * read (may_read, a union over its visits) and those it wrote whole (must_write, an intersection over
 * its visits: full 8-byte stores at a fixed offset through any stack pointer, dynptr slots made or
 * destroyed); a function's entry passes what it must write and may read of its callers' frames to the
 * call that entered it. live_before is solved again for the chains of the path that ended, at each path
 * end and each return from a function (bpf_update_live_stack), not at every read: a checkpoint cleaned
 * in between sees the liveness of the paths finished by then, as the kernel's does. Quirks kept: an
 * exit's live_before is never computed; the solution starts from the previous one in postorder; a second
 * commit keeps only the kernel's low 32 bits of the new write mask (its old_must_write is a u32).
 */
export class StackLiveness {
  /** The instances by call chain: a trie over the callsites, then the function's entry. */
  private readonly root: ChainNode = { kids: new Map(), byStart: new Map() };
  /** alive()'s per-frame instances (reused). */
  private readonly insts: Instance[] = [];
  /** Some write was marked since beginInsn (write_masks_acc is not all zero). */
  private accUsed = false;
  /** Kernel successors (bpf_insn_successors: fall-through first, then the jump target). */
  private readonly succ: Int32Array[];
  /** Per function entry, its instructions in the kernel's postorder (compute_postorder). */
  private readonly postorder = new Map<number, Int32Array>();
  private readonly ends = new Map<number, number>();
  /** Each instruction's position in its function's postorder (-1: not reached). */
  private readonly pos: Int32Array;
  /** Kernel predecessors (the reverse of succ, reached instructions only). */
  private readonly pred: number[][];
  /** env->liveness->cur_instance: the instance of the walking state, until its call chain changes. */
  private cur: Instance | undefined;
  private writeIdx = 0;
  /** write_masks_acc per frame, lo/hi. */
  private readonly acc = new Int32Array(2 * 8);

  constructor(prog: readonly Insn[], entries: readonly number[]) {
    const n = prog.length;
    this.succ = [];
    for (let i = 0; i < n; i++) {
      const ins = prog[i]!;
      const c = ins.code & 0x07;
      const op = ins.code & 0xf0;
      const next = ins.code === OP_LDDW ? i + 2 : i + 1;
      if (ins.isLdImm64Tail) this.succ.push(new Int32Array(0));
      else if ((c === Class.JMP || c === Class.JMP32) && op !== JmpOp.CALL) {
        const t = i + 1 + (c === Class.JMP32 && op === JmpOp.JA ? ins.imm : ins.off);
        if (op === JmpOp.EXIT) this.succ.push(new Int32Array(0));
        else if (op === JmpOp.JA) this.succ.push(Int32Array.of(t));
        else this.succ.push(Int32Array.of(next, t));
      } else this.succ.push(Int32Array.of(next));
    }
    const starts = [...new Set(entries)].sort((a, b) => a - b);
    const state = new Uint8Array(n);
    for (const [k, s] of starts.entries()) {
      this.ends.set(s, k + 1 < starts.length ? starts[k + 1]! : n);
      const order: number[] = [];
      const stack = [s];
      state[s] |= 1;
      while (stack.length) {
        const top = stack[stack.length - 1]!;
        if (state[top]! & 2) {
          order.push(top);
          stack.pop();
          continue;
        }
        for (const t of this.succ[top]!) {
          if (t >= 0 && t < n && !state[t]) {
            stack.push(t);
            state[t] |= 1;
          }
        }
        state[top] |= 2;
      }
      this.postorder.set(s, Int32Array.from(order));
    }
    this.pos = new Int32Array(n).fill(-1);
    for (const order of this.postorder.values()) order.forEach((i, k) => (this.pos[i] = k));
    this.pred = Array.from({ length: n }, () => [] as number[]);
    for (let i = 0; i < n; i++) if (this.pos[i]! >= 0) for (const t of this.succ[i]!) if (t >= 0 && t < n) this.pred[t]!.push(i);
  }

  /** lookup_instance: the instance of frame `f`'s call chain in `frames`. */
  instance(frames: readonly LiveFrame[], f: number): Instance {
    const callsites: number[] = [];
    const starts: number[] = [frames[0]!.subprog];
    for (let i = 1; i <= f; i++) {
      callsites.push(frames[i]!.callsite);
      starts.push(frames[i]!.subprog);
    }
    return this.lookup(callsites, starts);
  }

  private lookup(callsites: readonly number[], starts: readonly number[]): Instance {
    const start = starts[starts.length - 1]!;
    let node = this.root;
    for (const c of callsites) {
      let next = node.kids.get(c);
      if (!next) node.kids.set(c, (next = { kids: new Map(), byStart: new Map() }));
      node = next;
    }
    let inst = node.byStart.get(start);
    if (!inst) {
      const n = (this.ends.get(start) ?? start + 1) - start;
      inst = { start, n, depth: callsites.length, callsites, starts, frames: [], mwSet: new Uint8Array(n), dirty: [], updated: false, mwDropped: false };
      node.byStart.set(start, inst);
    }
    return inst;
  }

  /** lookup_instance without building the chain's arrays when the instance exists. */
  private find(frames: readonly LiveFrame[], f: number): Instance {
    let node: ChainNode | undefined = this.root;
    for (let i = 1; i <= f && node; i++) node = node.kids.get(frames[i]!.callsite);
    return node?.byStart.get(frames[f]!.subprog) ?? this.instance(frames, f);
  }

  private masks(inst: Instance, frame: number): Int32Array {
    let m = inst.frames[frame];
    if (!m) {
      inst.frames[frame] = m = new Int32Array(inst.n * W);
      inst.dirty[frame] = new Uint32Array(((this.postorder.get(inst.start)?.length ?? 0) + 31) >> 5);
    }
    return m;
  }

  private markDirty(inst: Instance, frame: number, insn: number): void {
    const p = this.pos[insn]!;
    if (p >= 0) inst.dirty[frame]![p >> 5] |= 1 << (p & 31);
  }

  /** bpf_reset_live_stack_callchain: the walking state entered or left a function. */
  resetCur(): void {
    this.cur = undefined;
  }

  private ensureCur(frames: readonly LiveFrame[]): Instance {
    return (this.cur ??= this.find(frames, frames.length - 1));
  }

  /** bpf_reset_stack_write_marks, before an instruction of the walking state. */
  beginInsn(frames: readonly LiveFrame[], pc: number): void {
    this.ensureCur(frames);
    this.writeIdx = pc;
    if (this.accUsed) {
      this.acc.fill(0);
      this.accUsed = false;
    }
  }

  /** bpf_mark_stack_write: slot `spi` (0 = fp-512) of frame `frame` is written whole by this instruction. */
  write(frame: number, spi: number): void {
    this.accUsed = true;
    if (spi < 32) this.acc[2 * frame] |= 1 << spi;
    else this.acc[2 * frame + 1] |= 1 << (spi - 32);
  }

  /** bpf_commit_stack_write_marks: after the instruction, unless the call chain changed (cur reset). */
  commit(): void {
    if (this.cur) this.commitTo(this.cur, this.writeIdx);
  }

  private commitTo(inst: Instance, insn: number): void {
    const idx = insn - inst.start;
    for (let frame = 0; frame <= inst.depth; frame++) {
      let lo = this.acc[2 * frame]!;
      let hi = this.acc[2 * frame + 1]!;
      // (the kernel allocates the frame's marks here; zeros stay zeros)
      if (!lo && !hi && (!inst.mwSet[idx] || !inst.frames[frame])) continue;
      const m = this.masks(inst, frame);
      const at = idx * W + MW;
      // old_must_write is a u32: the kernel's low half (our hi) only
      const oldHi = m[at + 1]!;
      if (inst.mwSet[idx]) {
        lo = 0;
        hi &= oldHi;
      }
      if (lo !== 0 || hi !== oldHi) {
        if (lo !== m[at] || hi !== m[at + 1]) this.markDirty(inst, frame, insn);
        m[at] = lo;
        m[at + 1] = hi;
        inst.updated = true;
      }
      if (oldHi & ~hi) inst.mwDropped = true;
    }
    inst.mwSet[idx] = 1;
  }

  /** bpf_mark_stack_read: slots [first, last] (0 = fp-512) of frame `frame` are read at `pc`. */
  read(frames: readonly LiveFrame[], frame: number, pc: number, first: number, last: number): void {
    let lo = 0;
    let hi = 0;
    for (let s = Math.max(0, first); s <= Math.min(63, last); s++) {
      if (s < 32) lo |= 1 << s;
      else hi |= 1 << (s - 32);
    }
    this.markRead(this.ensureCur(frames), frame, pc, lo, hi);
  }

  private markRead(inst: Instance, frame: number, pc: number, lo: number, hi: number): void {
    const m = this.masks(inst, frame);
    const at = (pc - inst.start) * W;
    const nlo = m[at + MAY]! | lo;
    const nhi = m[at + MAY + 1]! | hi;
    if (nlo === m[at + MAY] && nhi === m[at + MAY + 1]) return;
    if ((nlo | m[at + LIVE]!) !== m[at + LIVE] || (nhi | m[at + LIVE + 1]!) !== m[at + LIVE + 1]) inst.updated = true;
    this.markDirty(inst, frame, pc);
    m[at + MAY] = nlo;
    m[at + MAY + 1] = nhi;
  }

  /** bpf_update_live_stack: solve again the instances of `frames`' chain that changed, innermost first. */
  update(frames: readonly LiveFrame[]): void {
    this.cur = undefined;
    for (let f = frames.length - 1; f >= 0; f--) {
      const inst = this.find(frames, f);
      if (!inst.updated) continue;
      this.updateInstance(inst);
      inst.updated = false;
      inst.mwDropped = false;
    }
  }

  private updateInstance(inst: Instance): void {
    const order = this.postorder.get(inst.start) ?? new Int32Array(0);
    if (inst.mwDropped) {
      for (const [f, m] of inst.frames.entries()) {
        if (!m) continue;
        for (let i = 0; i < inst.n; i++) m[i * W + ACC] = m[i * W + ACC + 1] = 0;
        inst.dirty[f]!.fill(~0);
      }
    }
    const start = inst.start;
    // Frames do not meet in update_insn: each is solved to its fixed point on its own.
    for (let frame = 0; frame <= inst.depth; frame++) {
      const m = inst.frames[frame];
      if (!m) continue;
      const dirty = inst.dirty[frame]!;
      let again = true;
      while (again) {
        again = false;
        // one pass: the dirty positions in postorder; one made dirty after the current position is taken
        // in this pass (the kernel's pass sees a change made earlier in it), one before it in the next
        for (let k = nextBit(dirty, 0); k >= 0; k = nextBit(dirty, k + 1)) {
          dirty[k >> 5] = (dirty[k >> 5]! & ~(1 << (k & 31))) >>> 0;
          if (k >= order.length) continue;
          const i = order[k]!;
          const succ = this.succ[i]!;
          if (!succ.length) continue;
          let afterLo = 0;
          let afterHi = 0;
          let accLo = -1;
          let accHi = -1;
          for (let s = 0; s < succ.length; s++) {
            const b2 = (succ[s]! - start) * W;
            afterLo |= m[b2 + LIVE]!;
            afterHi |= m[b2 + LIVE + 1]!;
            accLo &= m[b2 + ACC]!;
            accHi &= m[b2 + ACC + 1]!;
          }
          const a = (i - start) * W;
          accLo |= m[a + MW]!;
          accHi |= m[a + MW + 1]!;
          const liveLo = (afterLo & ~m[a + MW]!) | m[a + MAY]!;
          const liveHi = (afterHi & ~m[a + MW + 1]!) | m[a + MAY + 1]!;
          if (liveLo === m[a + LIVE] && liveHi === m[a + LIVE + 1] && accLo === m[a + ACC] && accHi === m[a + ACC + 1]) continue;
          m[a + LIVE] = liveLo;
          m[a + LIVE + 1] = liveHi;
          m[a + ACC] = accLo;
          m[a + ACC + 1] = accHi;
          for (const p of this.pred[i]!) {
            const q = this.pos[p]!;
            dirty[q >> 5] |= 1 << (q & 31);
            if (q <= k) again = true;
          }
        }
      }
    }
    if (inst.depth > 0) this.propagateToOuter(inst);
  }

  /** propagate_to_outer_instance: the entry's must_write_acc and live_before of the callers' frames go to the call. */
  private propagateToOuter(inst: Instance): void {
    const callsite = inst.callsites[inst.depth - 1]!;
    const outer = this.lookup(inst.callsites.slice(0, -1), inst.starts.slice(0, -1));
    this.acc.fill(0);
    this.accUsed = true;
    for (let frame = 0; frame < inst.depth; frame++) {
      const m = inst.frames[frame];
      if (!m) continue;
      this.acc[2 * frame] = m[ACC]!;
      this.acc[2 * frame + 1] = m[ACC + 1]!;
      this.markRead(outer, frame, callsite, m[LIVE]!, m[LIVE + 1]!);
    }
    this.commitTo(outer, callsite);
  }

  private liveAt(inst: Instance, pc: number, frame: number, half: 0 | 1): number {
    const m = inst.frames[frame];
    return m ? m[(pc - inst.start) * W + LIVE + half]! : 0;
  }

  /**
   * bpf_stack_slot_alive for every frame of a state at `pc` (bpf_live_stack_query_init): a slot is alive
   * if the executing function's instance may read it from pc on, or some caller's instance may after
   * its call returns (before the call, when it runs a callback: the callback runs again).
   */
  alive(frames: readonly LiveFrame[], pc: number, callsCallback: (insn: number) => boolean, out: { lo: number[]; hi: number[] }): void {
    const top = frames.length - 1;
    if (out.lo.length > top + 1) out.lo.length = out.hi.length = top + 1;
    const insts = this.insts;
    for (let f = 0; f <= top; f++) insts[f] = this.find(frames, f);
    const cur = insts[top]!;
    for (let f = 0; f <= top; f++) {
      let lo = this.liveAt(cur, pc, f, 0);
      let hi = this.liveAt(cur, pc, f, 1);
      for (let g = f; g < top; g++) {
        const c = cur.callsites[g]!;
        const at = callsCallback(c) ? c : c + 1;
        lo |= this.liveAt(insts[g]!, at, f, 0);
        hi |= this.liveAt(insts[g]!, at, f, 1);
      }
      out.lo[f] = lo;
      out.hi[f] = hi;
    }
  }
}

/** Control-flow successors of each slot within its function (a local call continues at the next slot). */
export function successors(prog: readonly Insn[]): number[][] {
  const n = prog.length;
  const succ: number[][] = [];
  for (let i = 0; i < n; i++) {
    const ins = prog[i]!;
    succ.push([]);
    if (ins.isLdImm64Tail) continue;
    const c = ins.code & 0x07;
    const op = ins.code & 0xf0;
    const isJmp = c === Class.JMP || c === Class.JMP32;
    const next = ins.code === OP_LDDW ? i + 2 : i + 1;
    if (isJmp && op === JmpOp.EXIT) continue;
    const t = jumpTarget(ins, i);
    if (t !== undefined) succ[i]!.push(t);
    if (!(isJmp && op === JmpOp.JA) || isLocalCall(ins)) {
      if (next < n) succ[i]!.push(next);
    }
  }
  return succ;
}
