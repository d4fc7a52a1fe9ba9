// Byte reductions vectorised: a loop that folds a function of each byte it reads (and of its counter)
// into a sum, an xor or an or, run 16 iterations at a time in WebAssembly SIMD before the loop as
// written finishes the rest (verified programs only; checked mode keeps every access checked).
//
//   for (i = 0; i < 128; i++) { if (p + i + 1 > end) break; sum += p[i] * (i + 1); }
//
// V8 runs it as a load, a zero extension and a 64-bit multiply a byte; vectorised, 16 bytes are one
// v128 load, two widenings and two i16x8 multiplies.
//
// The loop is a chain of blocks H → B1 → … → Bk → H (each leaving the chain on one side of its branch,
// the last going back to H, directly or through a block holding only the `ja`), entered at H only.
// Its instructions are run symbolically over the values the registers hold at H (terms), and at the
// back edge every register must be one of:
//   invariant   not written;
//   counter     iv + 1 (the induction variable, a constant at the loop's entry; another such
//               register is a reduction summing ones);
//   reduction   r = r + X, r ^ X or r | X (64 or 32 bits), X free of r and of every other written
//               register but the counter;
//   temporary   written before every exit the iteration can take and never read before it is written,
//               so its value at the head is dead and skipping iterations cannot be seen.
// Only ALU instructions and one-byte loads at p + iv + d (p invariant, d constant) are allowed: no
// store, call or atomic. X is built from the counter, constants (invariants whose value at the
// entry is a constant), those bytes and add, sub, mul, and, or, xor and shifts by constants; an
// interval analysis over the counter's range (from the exit comparing it with a constant) bounds
// every value of X, which picks 16-bit lanes when all fit below 2^16, 32-bit ones below 2^32, and
// refuses otherwise, so lane arithmetic is exact and equals the ISA's 64- and 32-bit results.
//
// A vector step runs while every exit of the chain stays in the loop for all 16 iterations: each exit
// condition must compare an affine function of the counter (base register + iv + c) with one free of
// it; a monotone comparison is tested at the first and the last of the 16 (with no wrap between
// them), an inequality by the distance to the value it excludes. The step then performs exactly the
// loads those 16 iterations would have performed (bytes the verifier proved in range), adds 16 to the
// counter and leaves the temporaries as they were: the loop as written runs next and ends as before.
// A run whose first step fails its test takes the loop as written alone.

import type BinaryenNs from 'binaryen';
import { AluOp, Class, CLASS_MASK, FP, JmpOp, Mode, MODE_MASK, OP_LDDW, OP_MASK, Size, SIZE_MASK, Source, SOURCE_MASK } from '../isa/opcodes.js';
import { writesRegister, type Insn } from '../isa/insn.js';
import type { BasicBlock, Subprogram } from './cfg.js';
import { blockConstants, entryConstants } from './unroll.js';

/** Iterations a vector step runs: one v128 of bytes. */
export const LANES = 16;

/** A register's value in an iteration, in terms of what the registers held at the loop's head. */
export type Term =
  | { k: 'reg'; r: number }
  | { k: 'c'; v: bigint }
  | { k: 'op'; op: number; w: 32 | 64; a: Term; b: Term }
  | { k: 'ld'; addr: Term }
  | { k: 'bad' };

/** base + iv·coef + c (coef 0 or 1; base a register invariant in the loop, or none). */
export interface Affine {
  base?: number;
  coef: 0 | 1;
  c: bigint;
}

/** An exit of the chain: its condition stays in the loop for every iteration of a vector step. */
export interface Guard {
  /** The comparison as written (JmpOp), on 64 bits or (JMP32) on the low 32. */
  op: number;
  w: 32 | 64;
  a: Affine;
  b: Affine;
  /** The loop goes on when the comparison is this. */
  stayWhen: boolean;
}

export interface Reduction {
  reg: number;
  op: 'add' | 'xor' | 'or';
  w: 32 | 64;
  /** X, what each iteration folds in. */
  term: Term;
}

export interface VectorPlan {
  /** The loop's head block (the vector steps run before it, on every entry but the back edge). */
  head: number;
  /** The loop's blocks: the chain and the `ja` block when there is one. */
  blocks: number[];
  /** The counter register and its value at the loop's entry. */
  iv: number;
  ivStart: bigint;
  /** Lane width: 16 or 32 bits. */
  width: 16 | 32;
  guards: Guard[];
  reductions: Reduction[];
  /** Constants the invariants of X hold (register -> value). */
  constants: Map<number, bigint>;
  /** Distinct byte offsets d of the loads p + iv + d X reads, with their base register. */
  loads: Array<{ base: number; d: bigint }>;
}

const C = (v: bigint): Term => ({ k: 'c', v });
const BAD: Term = { k: 'bad' };

/** The term of `ins`'s result, or BAD for what is not modelled. */
function aluTerm(ins: Insn, regs: Term[]): Term {
  const op = ins.code & OP_MASK;
  const w = (ins.code & CLASS_MASK) === Class.ALU64 ? 64 : 32;
  const b = (ins.code & SOURCE_MASK) === Source.X ? regs[ins.src]! : C(BigInt.asUintN(64, BigInt(ins.imm)));
  if (ins.off !== 0) return BAD; // movsx, sdiv, smod
  switch (op) {
    case AluOp.MOV:
      if (w === 64) return b;
      return { k: 'op', op: AluOp.AND, w: 64, a: b, b: C(0xffffffffn) };
    case AluOp.ADD:
    case AluOp.SUB:
    case AluOp.MUL:
    case AluOp.AND:
    case AluOp.OR:
    case AluOp.XOR:
    case AluOp.LSH:
    case AluOp.RSH:
      return { k: 'op', op, w, a: regs[ins.dst]!, b };
    default:
      return BAD;
  }
}

const has = (t: Term, pred: (t: Term) => boolean): boolean =>
  pred(t) || (t.k === 'op' && (has(t.a, pred) || has(t.b, pred))) || (t.k === 'ld' && has(t.addr, pred));
const readsReg = (t: Term, r: number): boolean => has(t, (x) => x.k === 'reg' && x.r === r);

/** `t` as base + iv·coef + c over 64-bit adds and subtracts of constants, or undefined. */
function affine(t: Term, iv: number, invariant: (r: number) => boolean): Affine | undefined {
  if (t.k === 'c') return { coef: 0, c: t.v };
  if (t.k === 'reg') {
    if (t.r === iv) return { coef: 1, c: 0n };
    return invariant(t.r) ? { base: t.r, coef: 0, c: 0n } : undefined;
  }
  if (t.k !== 'op' || t.w !== 64 || (t.op !== AluOp.ADD && t.op !== AluOp.SUB)) return undefined;
  const a = affine(t.a, iv, invariant);
  const b = affine(t.b, iv, invariant);
  if (!a || !b) return undefined;
  if (t.op === AluOp.SUB) {
    if (b.coef !== 0 || b.base !== undefined) return undefined;
    return { ...a, c: BigInt.asUintN(64, a.c - b.c) };
  }
  if (a.base !== undefined && b.base !== undefined) return undefined;
  const coef = a.coef + b.coef;
  if (coef > 1) return undefined;
  const base = a.base ?? b.base;
  return { ...(base !== undefined ? { base } : {}), coef: coef as 0 | 1, c: BigInt.asUintN(64, a.c + b.c) };
}

interface Interval {
  lo: bigint;
  hi: bigint;
}

const bitsFor = (v: bigint): bigint => (v <= 0n ? 0n : (1n << BigInt(v.toString(2).length)) - 1n);

/** The values X takes (non-negative integers, exact), or undefined when unbounded or possibly negative. */
function interval(t: Term, iv: number, ivRange: Interval, constants: ReadonlyMap<number, bigint>, loads: Array<{ base: number; d: bigint }>, invariant: (r: number) => boolean): Interval | undefined {
  const rec = (x: Term): Interval | undefined => interval(x, iv, ivRange, constants, loads, invariant);
  switch (t.k) {
    case 'c':
      return { lo: t.v, hi: t.v };
    case 'reg': {
      if (t.r === iv) return ivRange;
      const v = constants.get(t.r);
      return v !== undefined ? { lo: v, hi: v } : undefined;
    }
    case 'ld': {
      const a = affine(t.addr, iv, invariant);
      if (!a || a.coef !== 1 || a.base === undefined) return undefined;
      const d = BigInt.asIntN(64, a.c);
      if (!loads.some((l) => l.base === a.base && l.d === d)) loads.push({ base: a.base, d });
      return { lo: 0n, hi: 255n };
    }
    case 'bad':
      return undefined;
    case 'op': {
      const a = rec(t.a);
      const b = rec(t.b);
      if (!a || !b) return undefined;
      let r: Interval;
      switch (t.op) {
        case AluOp.ADD: r = { lo: a.lo + b.lo, hi: a.hi + b.hi }; break;
        case AluOp.SUB: r = { lo: a.lo - b.hi, hi: a.hi - b.lo }; break;
        case AluOp.MUL: r = { lo: a.lo * b.lo, hi: a.hi * b.hi }; break;
        case AluOp.AND: r = { lo: 0n, hi: a.hi < b.hi ? a.hi : b.hi }; break;
        case AluOp.OR:
        case AluOp.XOR: r = { lo: 0n, hi: bitsFor(a.hi > b.hi ? a.hi : b.hi) }; break;
        case AluOp.LSH:
        case AluOp.RSH:
          // by a constant below 16 only (the lanes' shift counts)
          if (b.lo !== b.hi || b.lo >= 16n) return undefined;
          r = t.op === AluOp.LSH ? { lo: a.lo << b.lo, hi: a.hi << b.lo } : { lo: a.lo >> b.lo, hi: a.hi >> b.lo };
          break;
        default:
          return undefined;
      }
      // no value may leave [0, 2^32): then the ISA's 32- and 64-bit results are the integers themselves
      if (r.lo < 0n || r.hi >= 1n << 32n) return undefined;
      return r;
    }
  }
}

/** The largest value anywhere in X (every subterm), for the lane width. */
function maxIn(t: Term, iv: number, ivRange: Interval, constants: ReadonlyMap<number, bigint>, invariant: (r: number) => boolean): bigint {
  const own = interval(t, iv, ivRange, constants, [], invariant)!.hi;
  if (t.k !== 'op') return own;
  // a constant mask needs no lane of its own width: x & (c mod 2^W) is x & c for x below 2^W
  const leaf = (x: Term): boolean => t.op === AluOp.AND && (x.k === 'c' || (x.k === 'reg' && x.r !== iv));
  const a = leaf(t.a) ? 0n : maxIn(t.a, iv, ivRange, constants, invariant);
  const b = leaf(t.b) ? 0n : maxIn(t.b, iv, ivRange, constants, invariant);
  return [own, a, b].reduce((x, y) => (x > y ? x : y));
}

/** Whether the block is a load, ALU or branch only (the instructions a vectorised loop may hold). */
function allowed(prog: readonly Insn[], bb: BasicBlock): boolean {
  for (let pc = bb.start; pc < bb.end; pc += prog[pc]!.code === OP_LDDW ? 2 : 1) {
    const ins = prog[pc]!;
    const c = ins.code & CLASS_MASK;
    if (c === Class.ALU || c === Class.ALU64) continue;
    if (c === Class.LDX && (ins.code & MODE_MASK) === Mode.MEM) continue;
    if (ins.code === OP_LDDW && ins.src === 0) continue;
    return false;
  }
  return true;
}

/** The loops of `sp` to vectorise (file header), by head block. */
export function vectorPlans(prog: readonly Insn[], sp: Subprogram): Map<number, VectorPlan> {
  const plans = new Map<number, VectorPlan>();
  const byStart = new Map(sp.blocks.map((b) => [b.start, b]));
  const index = new Map(sp.blocks.map((b, i) => [b.start, i]));
  const succ = (b: BasicBlock): number[] => (b.term.kind === 'goto' ? [b.term.target] : b.term.kind === 'branch' ? [b.term.target, b.term.next] : []);
  const preds = new Map<number, number[]>();
  for (const b of sp.blocks) for (const s of new Set(succ(b))) preds.set(s, [...(preds.get(s) ?? []), b.start]);
  let consts: ReturnType<typeof blockConstants> | null = null;

  for (const last of sp.blocks) {
    for (const h of succ(last)) {
      if (h > last.start) continue;
      const plan = planLoop(h, last);
      if (plan) plans.set(plan.head, plan);
    }
  }
  return plans;

  function planLoop(h: number, last: BasicBlock): VectorPlan | undefined {
    // the latch: `last` itself, or a `ja`-only block going back whose one way in is from the chain
    let latch: BasicBlock | undefined;
    let tail = last;
    if (last.start === last.end && last.term.kind === 'goto' && last.term.target === h) {
      const p = preds.get(last.start) ?? [];
      if (p.length !== 1) return undefined;
      latch = last;
      tail = byStart.get(p[0]!)!;
    }
    const i0 = index.get(h)!;
    const i1 = index.get(tail.start)!;
    if (i1 < i0) return undefined;
    const chain = sp.blocks.slice(i0, i1 + 1);
    const inLoop = new Set([...chain.map((b) => b.start), ...(latch ? [latch.start] : [])]);
    const backTo = latch ? latch.start : h;
    // one way in (at h), one way on along the chain, each exit leaving it
    for (const b of chain) {
      if (b.start !== h && (preds.get(b.start) ?? []).some((p) => !inLoop.has(p))) return undefined;
      if (!allowed(prog, b)) return undefined;
    }
    const entryPreds = (preds.get(h) ?? []).filter((p) => !inLoop.has(p));
    if (entryPreds.length === 0 && h !== sp.entry) return undefined;

    // run the chain symbolically
    const regs: Term[] = Array.from({ length: 11 }, (_, r) => ({ k: 'reg', r }) as Term);
    const written = new Set<number>();
    const exits: Array<{ pc: number; a: Term; b: Term; op: number; w: 32 | 64; stayWhen: boolean; written: Set<number> }> = [];
    for (let j = 0; j < chain.length; j++) {
      const b = chain[j]!;
      for (let pc = b.start; pc < b.end; pc += prog[pc]!.code === OP_LDDW ? 2 : 1) {
        const ins = prog[pc]!;
        const c = ins.code & CLASS_MASK;
        let t: Term;
        if (c === Class.ALU || c === Class.ALU64) t = aluTerm(ins, regs);
        else if (ins.code === OP_LDDW) t = C(BigInt.asUintN(64, ins.imm64 ?? 0n));
        else t = (ins.code & SIZE_MASK) === Size.B ? { k: 'ld', addr: ins.off === 0 ? regs[ins.src]! : { k: 'op', op: AluOp.ADD, w: 64, a: regs[ins.src]!, b: C(BigInt.asUintN(64, BigInt(ins.off))) } } : BAD;
        for (let r = 0; r <= FP; r++) {
          if (!writesRegister(ins, r)) continue;
          regs[r] = t;
          written.add(r);
        }
      }
      const next = j + 1 < chain.length ? chain[j + 1]!.start : backTo;
      const t = b.term;
      if (t.kind === 'exit') return undefined;
      if (t.kind === 'goto') {
        if (t.target !== next) return undefined;
        continue;
      }
      if (t.target === next && t.next === next) continue;
      if (t.target !== next && t.next !== next) return undefined;
      const exitTo = t.target === next ? t.next : t.target;
      if (inLoop.has(exitTo)) return undefined;
      const ins = prog[t.pc]!;
      exits.push({
        pc: t.pc,
        a: regs[ins.dst]!,
        b: (ins.code & SOURCE_MASK) === Source.X ? regs[ins.src]! : C(BigInt.asUintN(64, BigInt(ins.imm))),
        op: ins.code & OP_MASK,
        w: (ins.code & CLASS_MASK) === Class.JMP32 ? 32 : 64,
        stayWhen: t.target === next,
        written: new Set(written),
      });
    }
    if (written.has(FP)) return undefined;

    // the counter
    const isPlusOne = (t: Term, r: number): boolean =>
      t.k === 'op' && t.op === AluOp.ADD && ((t.a.k === 'reg' && t.a.r === r && t.b.k === 'c' && t.b.v === 1n) || (t.b.k === 'reg' && t.b.r === r && t.a.k === 'c' && t.a.v === 1n));
    // (a second one is a sum of ones, a reduction, when nothing else reads it)
    for (const iv of [...written].filter((r) => isPlusOne(regs[r]!, r))) {
      const plan = withCounter(iv);
      if (plan) return plan;
    }
    return undefined;

    function withCounter(iv: number): VectorPlan | undefined {
      const invariant = (r: number): boolean => !written.has(r);

      // reductions and temporaries
      const reductions: Reduction[] = [];
      const temps: number[] = [];
      for (const r of written) {
        if (r === iv) continue;
        const t = regs[r]!;
        const op = t.k === 'op' && t.w === 64 ? t.op : t.k === 'op' ? t.op : undefined;
        const kind = op === AluOp.ADD ? 'add' : op === AluOp.XOR ? 'xor' : op === AluOp.OR ? 'or' : undefined;
        if (kind && t.k === 'op') {
          const x = t.a.k === 'reg' && t.a.r === r ? t.b : t.b.k === 'reg' && t.b.r === r ? t.a : undefined;
          if (x && !readsReg(x, r)) {
            reductions.push({ reg: r, op: kind, w: t.w, term: x });
            continue;
          }
        }
        temps.push(r);
      }
      if (reductions.length === 0) return undefined;
      // What a written register held at the head may be read by its own fold only (the counter anywhere).
      const others = (skip?: number): Term[] => [...regs.filter((_, r) => written.has(r) && r !== skip).map((t) => t), ...exits.flatMap((e) => [e.a, e.b])];
      for (const r of [...temps, ...reductions.map((x) => x.reg)]) {
        const red = reductions.find((x) => x.reg === r);
        const terms = red ? [...others(r), red.term] : [...others(), ...reductions.map((x) => x.term)];
        if (terms.some((t) => readsReg(t, r))) return undefined;
      }
      for (const e of exits) for (const r of temps) if (!e.written.has(r)) return undefined;

      // the counter's range: its value at the entry, and an exit bounding it by a constant
      consts ??= blockConstants(prog, sp, preds) ?? null;
      if (!consts) return undefined;
      const entry = entryConstants(sp, h, consts, preds, inLoop);
      const start = entry[iv];
      if (typeof start !== 'bigint' || start >= 1n << 31n) return undefined;
      const guards: Guard[] = [];
      let hi: bigint | undefined;
      for (const e of exits) {
        const a = affine(e.a, iv, invariant);
        const b = affine(e.b, iv, invariant);
        if (!a || !b || a.coef + b.coef > 1) return undefined;
        // equality with a counter cannot hold 16 times in a row
        if (a.coef + b.coef === 1 && (e.op === JmpOp.JSET || (e.op === JmpOp.JEQ && e.stayWhen) || (e.op === JmpOp.JNE && !e.stayWhen))) return undefined;
        guards.push({ op: e.op, w: e.w, a, b, stayWhen: e.stayWhen });
        const bound = counterBound(e.op, e.stayWhen, a, b);
        if (bound !== undefined && (hi === undefined || bound < hi)) hi = bound;
      }
      if (hi === undefined || hi < start || hi >= 1n << 31n) return undefined;

      const constants = new Map<number, bigint>();
      for (let r = 0; r < FP; r++) {
        const v = entry[r];
        if (!written.has(r) && typeof v === 'bigint') constants.set(r, v);
      }
      const loads: Array<{ base: number; d: bigint }> = [];
      const ivRange = { lo: start, hi };
      let top = hi;
      for (const red of reductions) {
        if (!interval(red.term, iv, ivRange, constants, loads, invariant)) return undefined;
        const m = maxIn(red.term, iv, ivRange, constants, invariant);
        if (m > top) top = m;
      }
      if (loads.length === 0) return undefined;
      return { head: h, blocks: [...inLoop], iv, ivStart: start, width: top < 1n << 16n ? 16 : 32, guards, reductions, constants, loads };
    }
  }
}

/**
 * The largest counter an iteration can run with, from an exit comparing iv + c with a constant N
 * (the loop goes on while iv + c != N, < N or <= N, unsigned; N - c, or N - c + 1 for <=), or
 * undefined. The counter starts below N - c, else `!=` would wrap around: the caller checks start <= hi.
 */
function counterBound(op: number, stayWhen: boolean, a: Affine, b: Affine): bigint | undefined {
  let x = a;
  let n = b;
  let o = op;
  if (b.coef === 1) {
    x = b;
    n = a;
    o = o === JmpOp.JGT ? JmpOp.JLT : o === JmpOp.JGE ? JmpOp.JLE : o === JmpOp.JLT ? JmpOp.JGT : o === JmpOp.JLE ? JmpOp.JGE : o;
  }
  if (x.coef !== 1 || x.base !== undefined || n.coef !== 0 || n.base !== undefined) return undefined;
  // the condition under which the loop goes on, as an unsigned comparison of iv + c with N
  const stay = stayWhen ? o : o === JmpOp.JNE ? JmpOp.JEQ : o === JmpOp.JEQ ? JmpOp.JNE : o === JmpOp.JGT ? JmpOp.JLE : o === JmpOp.JGE ? JmpOp.JLT : o === JmpOp.JLT ? JmpOp.JGE : o === JmpOp.JLE ? JmpOp.JGT : undefined;
  const c = BigInt.asIntN(64, x.c);
  const N = n.c;
  if (N >= 1n << 31n || c < -(1n << 16n) || c > 1n << 16n) return undefined;
  if (stay === JmpOp.JNE || stay === JmpOp.JLT) return N - c;
  if (stay === JmpOp.JLE) return N - c + 1n;
  return undefined;
}

/** What the lowering needs from emit.ts: the module, and reading and writing registers (i64). */
export interface VectorEmit {
  B: typeof BinaryenNs;
  m: BinaryenNs.Module;
  get: (r: number) => number;
  set: (r: number, v: number) => number;
  /** The first of vectorLocals(plan)'s locals. */
  local0: number;
}

/**
 * Locals the lowering of `plan` uses: the step's counter and the counter at the entry (i64), a v128
 * scratch, then a v128 per load and per reduction.
 */
export function vectorLocals(B: typeof BinaryenNs, plan: VectorPlan): number[] {
  return [B.i64, B.i64, B.v128, ...plan.loads.map(() => B.v128), ...plan.reductions.map(() => B.v128)];
}

/**
 * The vector steps of `plan`, then each reduction's register folded with its lanes: the code of a
 * block that runs on the loop's entry and then goes to its head.
 */
export function lowerVectorLoop(e: VectorEmit, plan: VectorPlan): number {
  const { B, m, get, set } = e;
  const I = e.local0;
  const S = e.local0 + 1;
  const TMP = e.local0 + 2;
  const loadLocal = (i: number): number => e.local0 + 3 + i;
  const accLocal = (i: number): number => e.local0 + 3 + plan.loads.length + i;
  const k64 = (v: bigint): number => m.i64.const(BigInt.asIntN(64, v));
  const k32 = (v: number): number => m.i32.const(v | 0);
  const iNow = (): number => m.local.get(I, B.i64);
  const W = plan.width;
  const parts = W === 16 ? 2 : 4;
  const perPart = LANES / parts;
  const vx = W === 16 ? m.i16x8 : m.i32x4;
  const invariant = (r: number): boolean => r !== plan.iv;

  /** An affine at the lane `lane` of this step, as an i64. */
  const at = (a: Affine, lane: number): number => {
    let v = k64(a.c + (a.coef === 1 ? BigInt(lane) : 0n));
    if (a.coef === 1) v = m.i64.add(iNow(), v);
    if (a.base !== undefined) v = m.i64.add(get(a.base), v);
    return v;
  };
  const cmp = (op: number, w: 32 | 64, x: number, y: number): number => {
    const [p, q] = w === 32 ? [m.i32.wrap(x), m.i32.wrap(y)] : [x, y];
    const t = w === 32 ? m.i32 : m.i64;
    switch (op) {
      case JmpOp.JEQ: return t.eq(p, q);
      case JmpOp.JNE: return t.ne(p, q);
      case JmpOp.JGT: return t.gt_u(p, q);
      case JmpOp.JGE: return t.ge_u(p, q);
      case JmpOp.JLT: return t.lt_u(p, q);
      case JmpOp.JLE: return t.le_u(p, q);
      case JmpOp.JSGT: return t.gt_s(p, q);
      case JmpOp.JSGE: return t.ge_s(p, q);
      case JmpOp.JSLT: return t.lt_s(p, q);
      case JmpOp.JSLE: return t.le_s(p, q);
      default: throw new Error(`vectorize: comparison ${op}`);
    }
  };
  const signed = (op: number): boolean => op === JmpOp.JSGT || op === JmpOp.JSGE || op === JmpOp.JSLT || op === JmpOp.JSLE;
  /** Whether every iteration of the step stays in the loop at guard g. */
  const stays = (g: Guard): number => {
    const stay = (x: number): number => (g.stayWhen ? x : m.i32.eqz(x));
    if (g.a.coef === 0 && g.b.coef === 0) return stay(cmp(g.op, g.w, at(g.a, 0), at(g.b, 0)));
    const [iv, other] = g.a.coef === 1 ? [g.a, g.b] : [g.b, g.a];
    if (g.op === JmpOp.JNE || g.op === JmpOp.JEQ) {
      // (the plan kept only "goes on while unequal") the iv side takes LANES consecutive values: the other is none of them
      const dist = m.i64.sub(at(other, 0), at(iv, 0));
      return g.w === 32 ? m.i32.ge_u(m.i32.wrap(dist), k32(LANES)) : m.i64.ge_u(dist, k64(BigInt(LANES)));
    }
    // monotone in the counter: the first and the last lane, and no wrap between them
    const order = cmp(signed(g.op) ? JmpOp.JSLE : JmpOp.JLE, g.w, at(iv, 0), at(iv, LANES - 1));
    const first = stay(cmp(g.op, g.w, at(g.a, 0), at(g.b, 0)));
    const last = stay(cmp(g.op, g.w, at(g.a, LANES - 1), at(g.b, LANES - 1)));
    return m.i32.and(order, m.i32.and(first, last));
  };

  /** The step's bytes p + iv + d (load i) of part `part`, widened to W-bit lanes. */
  const bytes = (i: number, part: number): number => {
    const v = m.local.get(loadLocal(i), B.v128);
    if (W === 16) return part === 0 ? m.i16x8.extend_low_i8x16_u(v) : m.i16x8.extend_high_i8x16_u(v);
    const half = part < 2 ? m.i16x8.extend_low_i8x16_u(v) : m.i16x8.extend_high_i8x16_u(v);
    return part % 2 === 0 ? m.i32x4.extend_low_i16x8_u(half) : m.i32x4.extend_high_i16x8_u(half);
  };
  const laneConst = (f: (lane: number) => number): number => {
    const out = new Uint8Array(16);
    const dv = new DataView(out.buffer);
    for (let l = 0; l < perPart; l++) {
      if (W === 16) dv.setUint16(l * 2, f(l), true);
      else dv.setUint32(l * 4, f(l), true);
    }
    return m.v128.const(out);
  };
  const splat = (v: bigint): number => vx.splat(k32(Number(BigInt.asUintN(32, v))));
  const constOf = (t: Term): number => (t.k === 'c' ? Number(t.v) : Number(plan.constants.get((t as { r: number }).r)!));
  const lanes = (t: Term, part: number): number => {
    switch (t.k) {
      case 'c':
        return splat(t.v);
      case 'reg':
        if (t.r === plan.iv) return vx.add(vx.splat(m.i32.wrap(iNow())), laneConst((l) => part * perPart + l));
        return splat(plan.constants.get(t.r)!);
      case 'ld': {
        const a = affine(t.addr, plan.iv, invariant)!;
        return bytes(plan.loads.findIndex((l) => l.base === a.base && l.d === BigInt.asIntN(64, a.c)), part);
      }
      case 'op': {
        const x = lanes(t.a, part);
        switch (t.op) {
          case AluOp.ADD: return vx.add(x, lanes(t.b, part));
          case AluOp.SUB: return vx.sub(x, lanes(t.b, part));
          case AluOp.MUL: return vx.mul(x, lanes(t.b, part));
          case AluOp.AND: return m.v128.and(x, lanes(t.b, part));
          case AluOp.OR: return m.v128.or(x, lanes(t.b, part));
          case AluOp.XOR: return m.v128.xor(x, lanes(t.b, part));
          case AluOp.LSH: return vx.shl(x, k32(constOf(t.b)));
          case AluOp.RSH: return vx.shr_u(x, k32(constOf(t.b)));
        }
      }
    }
    throw new Error('vectorize: a term the plan refused');
  };

  const step: number[] = [m.local.set(I, get(plan.iv))];
  step.push(m.br('vec_done', m.i32.eqz(plan.guards.map(stays).reduce((x, y) => m.i32.and(x, y)))));
  plan.loads.forEach((l, i) => {
    const addr = m.i32.add(m.i32.wrap(get(l.base)), m.i32.wrap(m.i64.add(iNow(), k64(l.d))));
    step.push(m.local.set(loadLocal(i), m.v128.load(0, 1, addr)));
  });
  const tmp = (): number => m.local.get(TMP, B.v128);
  plan.reductions.forEach((red, i) => {
    const acc = (): number => m.local.get(accLocal(i), B.v128);
    const widenAdd = (v: number): number[] => [
      // i32x4 lanes into the i64x2 sum
      m.local.set(TMP, v),
      m.local.set(accLocal(i), m.i64x2.add(acc(), m.i64x2.add(m.i64x2.extend_low_i32x4_u(tmp()), m.i64x2.extend_high_i32x4_u(tmp())))),
    ];
    if (red.op === 'add' && W === 16) {
      // 16-bit lanes pairwise into 32 bits (below 2^18 with both parts), then widened once
      step.push(...widenAdd(m.i32x4.add(m.i32x4.extadd_pairwise_i16x8_u(lanes(red.term, 0)), m.i32x4.extadd_pairwise_i16x8_u(lanes(red.term, 1)))));
    } else if (red.op === 'add') {
      for (let p = 0; p < parts; p++) step.push(...widenAdd(lanes(red.term, p)));
    } else {
      const f = red.op === 'xor' ? m.v128.xor : m.v128.or;
      for (let p = 0; p < parts; p++) step.push(m.local.set(accLocal(i), f(acc(), lanes(red.term, p))));
    }
  });
  step.push(set(plan.iv, m.i64.add(iNow(), k64(BigInt(LANES)))), m.br('vec_step'));

  // After the steps, when any ran: each register folded with its lanes (32-bit folds zero-extend, as ALU32 does).
  const folds: number[] = plan.reductions.map((red, i) => {
    const acc = (): number => m.local.get(accLocal(i), B.v128);
    let v: number;
    if (red.op === 'add') {
      v = m.i64.add(get(red.reg), m.i64.add(m.i64x2.extract_lane(acc(), 0), m.i64x2.extract_lane(acc(), 1)));
    } else {
      const f = red.op === 'xor' ? m.i32.xor : m.i32.or;
      let lanesFold: number | undefined;
      for (let l = 0; l < 16 / (W / 8); l++) {
        const x = W === 16 ? m.i16x8.extract_lane_u(acc(), l) : m.i32x4.extract_lane(acc(), l);
        lanesFold = lanesFold === undefined ? x : f(lanesFold, x);
      }
      v = (red.op === 'xor' ? m.i64.xor : m.i64.or)(get(red.reg), m.i64.extend_u(lanesFold!));
    }
    return set(red.reg, red.w === 32 ? m.i64.extend_u(m.i32.wrap(v)) : v);
  });
  const zero = m.v128.const(new Uint8Array(16));
  return m.block(null, [
    m.local.set(S, get(plan.iv)),
    ...plan.reductions.map((_, i) => m.local.set(accLocal(i), i === 0 ? zero : m.v128.const(new Uint8Array(16)))),
    m.block('vec_done', [m.loop('vec_step', m.block(null, step))]),
    m.if(m.i64.ne(get(plan.iv), m.local.get(S, B.i64)), m.block(null, folds)),
  ]);
}
