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

/**
 * Stack liveness (the idea of the kernel's 6.18 liveness.c): which stack slots may be read from each
 * instruction on, of the executing frame (depth 0) and of its callers (depth d: the frame d calls up,
 * read through a pointer the function was given). Reads are recorded as the verifier explores (a fill,
 * a helper reading stack memory, a variable-offset read), then propagated backwards over the control
 * flow graph within the function, killed (depth 0 only) by full 8-byte stores through r10. A read of a
 * caller's stack is also a read, at each call on the way down, by the function making that call: the
 * kernel's per-call-chain instances, merged here over the call chains that reach a function. A state
 * is compared with a finished one only on the slots live where they meet: every read reachable from a
 * finished state has been recorded by then.
 */
export class StackLiveness {
  /** Control-flow predecessors of each slot: new reads flow backwards along them. */
  private readonly pred: number[][];
  private readonly killLo: Uint32Array;
  private readonly killHi: Uint32Array;
  /** Per depth (0: the function's own frame), the slots live at each instruction. */
  private readonly liveLo: Uint32Array[] = [];
  private readonly liveHi: Uint32Array[] = [];
  private readonly n: number;
  /** Work list of the propagation: slot, then the bits it gained (lo, hi). */
  private readonly work: number[] = [];

  constructor(prog: readonly Insn[]) {
    const n = prog.length;
    this.n = n;
    const succ = successors(prog);
    this.pred = Array.from({ length: n }, () => [] as number[]);
    for (let i = 0; i < n; i++) for (const t of succ[i]!) this.pred[t]!.push(i);
    this.killLo = new Uint32Array(n);
    this.killHi = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const ins = prog[i]!;
      const c = ins.code & 0x07;
      const full = (c === Class.ST || c === Class.STX) && (ins.code & 0xe0) === Mode.MEM && (ins.code & 0x18) === 0x18;
      if (ins.isLdImm64Tail || !full || ins.dst !== 10 || ins.off % 8 !== 0 || ins.off < -512 || ins.off >= 0) continue;
      const spi = (ins.off + 512) >> 3;
      if (spi < 32) this.killLo[i] = 1 << spi;
      else this.killHi[i] = 1 << (spi - 32);
    }
  }

  private layer(depth: number): [Uint32Array, Uint32Array] {
    while (this.liveLo.length <= depth) {
      this.liveLo.push(new Uint32Array(this.n));
      this.liveHi.push(new Uint32Array(this.n));
    }
    return [this.liveLo[depth]!, this.liveHi[depth]!];
  }

  /**
   * Slots [first, last] (0 = fp-512) of the frame `depth` calls up may be read at insn `pc`. Liveness
   * only grows as reads are found, so the new bits are pushed backwards at once (live[i] = read[i] |
   * (live of successors & ~kill[i])) instead of solving the whole program again.
   */
  read(pc: number, depth: number, first: number, last: number): void {
    const [liveLo, liveHi] = this.layer(depth);
    const killLo = depth === 0 ? this.killLo : undefined;
    const killHi = depth === 0 ? this.killHi : undefined;
    let lo = 0;
    let hi = 0;
    for (let s = Math.max(0, first); s <= Math.min(63, last); s++) {
      if (s < 32) lo |= 1 << s;
      else hi |= 1 << (s - 32);
    }
    lo = (lo & ~liveLo[pc]!) >>> 0;
    hi = (hi & ~liveHi[pc]!) >>> 0;
    if (!lo && !hi) return;
    liveLo[pc] = liveLo[pc]! | lo;
    liveHi[pc] = liveHi[pc]! | hi;
    const work = this.work;
    work.push(pc, lo, hi);
    while (work.length) {
      const bhi = work.pop()!;
      const blo = work.pop()!;
      const i = work.pop()!;
      for (const p of this.pred[i]!) {
        const nlo = (blo & ~(killLo ? killLo[p]! : 0) & ~liveLo[p]!) >>> 0;
        const nhi = (bhi & ~(killHi ? killHi[p]! : 0) & ~liveHi[p]!) >>> 0;
        if (!nlo && !nhi) continue;
        liveLo[p] = liveLo[p]! | nlo;
        liveHi[p] = liveHi[p]! | nhi;
        work.push(p, nlo, nhi);
      }
    }
  }

  /** Slots 0-31 (bit spi) of the frame `depth` calls up possibly read from `pc` on. */
  liveLoAt(pc: number, depth = 0): number {
    return depth < this.liveLo.length ? this.liveLo[depth]![pc]! | 0 : 0;
  }

  /** Slots 32-63 (bit spi - 32) of the frame `depth` calls up possibly read from `pc` on. */
  liveHiAt(pc: number, depth = 0): number {
    return depth < this.liveHi.length ? this.liveHi[depth]![pc]! | 0 : 0;
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
