// Inner loops with a trip count known at compile time, unrolled whole (unchecked programs, the verified
// ones: checked mode keeps each loop as written, its back edges counted against the budget; emit.ts
// lowers the loop block `count` times in a row and then jumps to its exit).
//
// A bit loop such as the Toeplitz hash's `for (b = 7; b >= 0; b--)` is one block that branches out or
// back to itself (or to a block holding only the `ja` back). Rolled, V8 runs its counter, the counter's
// zero extension, the exit compare and two variable shifts (the count must be in CL) every iteration;
// unrolled, binaryen's precompute-propagate turns the counter into constants in each copy, the shifts
// into constant shifts, and the exit tests disappear.
//
// The trip count comes from constant propagation over the subprogram (this file: each register
// undefined, a constant, or varying; BigInt arithmetic on the ISA's 64- and 32-bit ALU rules), then
// from running the loop block's instructions on the constants at its entry until the exit test is
// decided: every test before the last must stay in the loop, the last must leave, each decided by
// constants alone. The entry state joins the blocks that enter the loop other than through its back
// edge. Registers start as the JIT's locals do: r1–r5 (parameters) and r10 varying, r0 and r6–r9 zero.
// Only blocks of ALU, loads and plain stores are unrolled: no call (a callee's labels and facts are
// per call site), no atomics.

import { AluOp, Class, CLASS_MASK, FP, JmpOp, Mode, MODE_MASK, OP_LDDW, OP_MASK, Source, SOURCE_MASK } from '../isa/opcodes.js';
import { writesRegister, type Insn } from '../isa/insn.js';
import type { BasicBlock, Subprogram } from './cfg.js';

/** Undefined (no path has set it yet), a 64-bit constant, or varying. */
export type Val = bigint | 'var' | undefined;
export type State = Val[];

/** The most iterations, and instructions in all copies, a loop is unrolled to. */
const MAX_TRIPS = 16;
const MAX_UNROLLED_INSNS = 256;

export interface Unroll {
  /** Iterations: the loop block is lowered this many times in a row. */
  count: number;
  /** Where the last iteration leaves to. */
  exit: number;
  /**
   * A loop of several blocks (a chain, below): their starts, the head first. Each copy lowers them
   * all; a block before the last keeps its branch out (a side exit, decided at run time), the last
   * one's branch is decided per copy. Absent: the head is the loop alone.
   */
  chain?: number[];
}

const M64 = (1n << 64n) - 1n;
const u64 = (v: bigint): bigint => v & M64;
const u32 = (v: bigint): bigint => v & 0xffffffffn;
const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const s32 = (v: bigint): bigint => BigInt.asIntN(32, v);

const join = (a: Val, b: Val): Val => (a === undefined ? b : b === undefined ? a : a === b ? a : 'var');

/** One ALU operation on constants (the result as a u64), or undefined for the ones not folded here. */
function alu(op: number, is64: boolean, a: bigint, b: bigint): bigint | undefined {
  if (is64) {
    switch (op) {
      case AluOp.ADD: return u64(a + b);
      case AluOp.SUB: return u64(a - b);
      case AluOp.MUL: return u64(a * b);
      case AluOp.OR: return a | b;
      case AluOp.AND: return a & b;
      case AluOp.XOR: return a ^ b;
      case AluOp.LSH: return u64(a << (b & 63n));
      case AluOp.RSH: return a >> (b & 63n);
      case AluOp.ARSH: return u64(s64(a) >> (b & 63n));
      case AluOp.NEG: return u64(-a);
      case AluOp.MOV: return b;
      default: return undefined;
    }
  }
  const x = u32(a);
  const y = u32(b);
  switch (op) {
    case AluOp.ADD: return u32(x + y);
    case AluOp.SUB: return u32(x - y);
    case AluOp.MUL: return u32(x * y);
    case AluOp.OR: return x | y;
    case AluOp.AND: return x & y;
    case AluOp.XOR: return x ^ y;
    case AluOp.LSH: return u32(x << (y & 31n));
    case AluOp.RSH: return x >> (y & 31n);
    case AluOp.ARSH: return u32(s32(x) >> (y & 31n));
    case AluOp.NEG: return u32(-x);
    case AluOp.MOV: return y;
    default: return undefined;
  }
}

/** `st` after the instruction at pc. */
function step(prog: readonly Insn[], pc: number, st: State): void {
  const ins = prog[pc]!;
  const c = ins.code & CLASS_MASK;
  if (c === Class.ALU || c === Class.ALU64) {
    const op = ins.code & OP_MASK;
    const x = (ins.code & SOURCE_MASK) === Source.X;
    const a = st[ins.dst];
    const b: Val = x ? st[ins.src] : u64(BigInt(ins.imm));
    // movsx (off != 0), signed div/mod, byte swaps: not folded
    const plain = ins.off === 0 || (op !== AluOp.MOV && op !== AluOp.DIV && op !== AluOp.MOD);
    const known = typeof b === 'bigint' && (op === AluOp.MOV || typeof a === 'bigint');
    const r = plain && known ? alu(op, c === Class.ALU64, typeof a === 'bigint' ? a : 0n, b as bigint) : undefined;
    st[ins.dst] = r ?? 'var';
    return;
  }
  if (ins.code === OP_LDDW) {
    st[ins.dst] = ins.src === 0 && ins.imm64 !== undefined ? u64(ins.imm64) : 'var';
    return;
  }
  if (c === Class.JMP && (ins.code & OP_MASK) === JmpOp.CALL) {
    for (let r = 0; r <= 5; r++) st[r] = 'var';
    return;
  }
  for (let r = 0; r < 10; r++) if (writesRegister(ins, r)) st[r] = 'var';
}

/** Whether the conditional jump at pc is taken on `st`, or undefined when constants do not decide it. */
function taken(ins: Insn, st: State): boolean | undefined {
  const is32 = (ins.code & CLASS_MASK) === Class.JMP32;
  const a = st[ins.dst];
  const b: Val = (ins.code & SOURCE_MASK) === Source.X ? st[ins.src] : u64(BigInt(ins.imm));
  if (typeof a !== 'bigint' || typeof b !== 'bigint') return undefined;
  const ua = is32 ? u32(a) : a;
  const ub = is32 ? u32(b) : b;
  const sa = is32 ? s32(a) : s64(a);
  const sb = is32 ? s32(b) : s64(b);
  switch (ins.code & OP_MASK) {
    case JmpOp.JEQ: return ua === ub;
    case JmpOp.JNE: return ua !== ub;
    case JmpOp.JGT: return ua > ub;
    case JmpOp.JGE: return ua >= ub;
    case JmpOp.JLT: return ua < ub;
    case JmpOp.JLE: return ua <= ub;
    case JmpOp.JSGT: return sa > sb;
    case JmpOp.JSGE: return sa >= sb;
    case JmpOp.JSLT: return sa < sb;
    case JmpOp.JSLE: return sa <= sb;
    case JmpOp.JSET: return (ua & ub) !== 0n;
    default: return undefined;
  }
}

/** Only ALU, loads and non-atomic stores (and plain ld_imm64) in [start, end). */
function simple(prog: readonly Insn[], bb: BasicBlock): boolean {
  for (let pc = bb.start; pc < bb.end; pc += prog[pc]!.code === OP_LDDW ? 2 : 1) {
    const ins = prog[pc]!;
    const c = ins.code & CLASS_MASK;
    if (ins.code === OP_LDDW) {
      if (ins.src !== 0) return false;
      continue;
    }
    if (c === Class.ALU || c === Class.ALU64 || c === Class.LDX || c === Class.ST) continue;
    if (c === Class.STX && (ins.code & MODE_MASK) === Mode.MEM) continue;
    return false;
  }
  return true;
}

/** The loops of `sp` to unroll, by the start of the loop block (file header). */
export function unrollPlans(prog: readonly Insn[], sp: Subprogram): Map<number, Unroll> {
  const plans = new Map<number, Unroll>();
  const byStart = new Map(sp.blocks.map((b) => [b.start, b]));
  const succ = (b: BasicBlock): number[] => (b.term.kind === 'goto' ? [b.term.target] : b.term.kind === 'branch' ? [b.term.target, b.term.next] : []);
  const preds = new Map<number, number[]>();
  for (const b of sp.blocks) for (const s of succ(b)) preds.set(s, [...(preds.get(s) ?? []), b.start]);

  // Candidates: block L ending in a branch, one way back to L (directly or through a block holding
  // only the `ja`), the other way out.
  const loops: Array<{ l: BasicBlock; back: number; latch: number; exit: number }> = [];
  for (const l of sp.blocks) {
    if (l.term.kind !== 'branch' || !simple(prog, l)) continue;
    const viaJa = (to: number): boolean => {
      const b = byStart.get(to);
      return b !== undefined && b.start === b.end && b.term.kind === 'goto' && b.term.target === l.start;
    };
    const { target, next } = l.term;
    const backTaken = target === l.start || viaJa(target);
    const backNext = next === l.start || viaJa(next);
    if (backTaken === backNext) continue;
    const latch = backTaken ? target : next;
    const exit = backTaken ? next : target;
    // the `ja` block must be the loop's alone
    if (latch !== l.start && (preds.get(latch) ?? []).length !== 1) continue;
    loops.push({ l, back: backTaken ? 1 : 0, latch, exit });
  }
  const chains = loopChains(prog, sp, byStart, preds);
  if (loops.length === 0 && chains.length === 0) return plans;

  const out = blockConstants(prog, sp, preds);
  if (!out) return plans; // no fixpoint (cannot happen on this lattice): unroll nothing
  for (const c of chains) {
    const plan = chainPlan(prog, sp, c, out, preds);
    if (plan) plans.set(c.blocks[0]!.start, plan);
  }

  for (const { l, latch, exit } of loops) {
    const term = l.term as Extract<BasicBlock['term'], { kind: 'branch' }>;
    // the state entering the loop: its predecessors but the back edge
    const st = entryConstants(sp, l.start, out, preds, new Set([latch, l.start]));
    let size = 0;
    for (let pc = l.start; pc < l.end; pc += prog[pc]!.code === OP_LDDW ? 2 : 1) size++;
    for (let trip = 1; trip <= MAX_TRIPS && trip * size <= MAX_UNROLLED_INSNS; trip++) {
      for (let pc = l.start; pc < l.end; pc += prog[pc]!.code === OP_LDDW ? 2 : 1) step(prog, pc, st);
      const t = taken(prog[term.pc]!, st);
      if (t === undefined) break;
      if ((t ? term.target : term.next) === exit) {
        plans.set(l.start, { count: trip, exit });
        break;
      }
    }
  }
  return plans;
}

// ---- chains ----
//
// A loop written `for (i = 0; i < 30; i++) { if (i >= n || p + 1 > end) break; … }` is a chain of blocks:
// each but the last branches out (a side exit the data decides) or on to the next, which only it enters;
// the last branches back to the head (directly or through a block holding only the `ja`) or out. Its trip
// count is the last branch's, found as for one block with the side exits taken as staying in: every
// copy keeps its side exits as branches, so leaving early stays exact, and the copies drop the counter,
// the back edge and its test (loop_csum's header copy: 30 trips of two tests, a load and a store).

/** The most trips a chain is unrolled to (its instructions in all copies count against MAX_UNROLLED_INSNS). */
const MAX_CHAIN_TRIPS = 32;

interface Chain {
  blocks: BasicBlock[];
  /** The back edge's source: the last block, or the `ja` block after it. */
  latch: number;
  /** Where the last block leaves to when it does not go back. */
  exit: number;
}

function loopChains(prog: readonly Insn[], sp: Subprogram, byStart: ReadonlyMap<number, BasicBlock>, preds: ReadonlyMap<number, readonly number[]>): Chain[] {
  const out: Chain[] = [];
  for (const head of sp.blocks) {
    const blocks: BasicBlock[] = [];
    let b: BasicBlock | undefined = head;
    while (b && b.term.kind === 'branch' && simple(prog, b) && !blocks.includes(b)) {
      blocks.push(b);
      const { target, next } = b.term;
      const h = head.start;
      const viaJa = (to: number): boolean => {
        const j = byStart.get(to);
        return j !== undefined && j.start === j.end && j.term.kind === 'goto' && j.term.target === h && (preds.get(to) ?? []).length === 1;
      };
      const backT = target === h || viaJa(target);
      const backN = next === h || viaJa(next);
      if (backT !== backN) {
        if (blocks.length >= 2) out.push({ blocks, latch: backT ? target : next, exit: backT ? next : target });
        break;
      }
      if (backT) break;
      // on to the one successor only this block enters (the other is a side exit)
      const only = (to: number): boolean => to !== h && (preds.get(to) ?? []).length === 1;
      if (only(next) === only(target)) break;
      b = byStart.get(only(next) ? next : target);
    }
  }
  return out;
}

function chainPlan(prog: readonly Insn[], sp: Subprogram, c: Chain, out: ReadonlyMap<number, State>, preds: ReadonlyMap<number, readonly number[]>): Unroll | undefined {
  const head = c.blocks[0]!;
  const st = entryConstants(sp, head.start, out, preds, new Set([c.latch, c.blocks[c.blocks.length - 1]!.start]));
  let size = 0;
  for (const b of c.blocks) for (let pc = b.start; pc <= b.end; pc += prog[pc]!.code === OP_LDDW ? 2 : 1) size++;
  for (let trip = 1; trip <= MAX_CHAIN_TRIPS && trip * size <= MAX_UNROLLED_INSNS; trip++) {
    for (const [i, b] of c.blocks.entries()) {
      for (let pc = b.start; pc < b.end; pc += prog[pc]!.code === OP_LDDW ? 2 : 1) step(prog, pc, st);
      const term = b.term as Extract<BasicBlock['term'], { kind: 'branch' }>;
      const t = taken(prog[term.pc]!, st);
      if (i < c.blocks.length - 1) {
        // a side exit the constants decide to take: not a loop of this shape
        if (t !== undefined && (t ? term.target : term.next) !== c.blocks[i + 1]!.start) return undefined;
        continue;
      }
      if (t === undefined) return undefined;
      if ((t ? term.target : term.next) === c.exit) return { count: trip, exit: c.exit, chain: c.blocks.map((x) => x.start) };
    }
  }
  return undefined;
}

/** Registers as the JIT's locals start: r1–r5 (parameters) and r10 varying, r0 and r6–r9 zero. */
function entryState(): State {
  const entry: State = new Array<Val>(11).fill(undefined);
  for (const r of [1, 2, 3, 4, 5, FP]) entry[r] = 'var';
  for (const r of [0, 6, 7, 8, 9]) entry[r] = 0n;
  return entry;
}

/**
 * Constant propagation over `sp` to a fixpoint: each block's state at its end, by block start, or
 * undefined when no fixpoint was reached (cannot happen on this lattice). `preds`: block start ->
 * the starts of the blocks that go to it.
 */
export function blockConstants(prog: readonly Insn[], sp: Subprogram, preds: ReadonlyMap<number, readonly number[]>): Map<number, State> | undefined {
  const out = new Map<number, State>();
  const inState = (b: BasicBlock): State => {
    const st: State = b.start === sp.entry ? entryState() : new Array<Val>(11).fill(undefined);
    for (const p of preds.get(b.start) ?? []) {
      const o = out.get(p);
      if (o) for (let r = 0; r < 11; r++) st[r] = join(st[r], o[r]);
    }
    return st;
  };
  let changed = true;
  for (let round = 0; changed && round < 100; round++) {
    changed = false;
    for (const b of sp.blocks) {
      const st = inState(b);
      for (let pc = b.start; pc < b.end; pc += prog[pc]!.code === OP_LDDW ? 2 : 1) step(prog, pc, st);
      const old = out.get(b.start);
      if (!old || old.some((v, r) => v !== st[r])) {
        out.set(b.start, st);
        changed = true;
      }
    }
  }
  return changed ? undefined : out;
}

/**
 * The state entering the block at `start` from its predecessors but `skip` (a loop's back edges),
 * from blockConstants' `out`: a register is a bigint when every such path sets it to that constant.
 */
export function entryConstants(sp: Subprogram, start: number, out: ReadonlyMap<number, State>, preds: ReadonlyMap<number, readonly number[]>, skip: ReadonlySet<number>): State {
  const st: State = start === sp.entry ? entryState() : new Array<Val>(11).fill(undefined);
  for (const p of preds.get(start) ?? []) {
    if (skip.has(p)) continue;
    const o = out.get(p);
    if (o) for (let r = 0; r < 11; r++) st[r] = join(st[r], o[r]);
  }
  return st;
}
