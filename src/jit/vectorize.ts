// Byte and word reductions vectorised: a loop that folds a function of the values it reads (and of
// its counter) into a sum, an xor or an or runs a v128 of iterations at a time in WebAssembly SIMD
// (16 of one-byte loads, 8 of two-byte, 4 of four-byte; byte loops then one half step of 8) before
// the loop as written finishes the rest (verified programs only; checked mode keeps every access
// checked).
//
//   for (i = 0; i < 128; i++) { if (p + i + 1 > end) break; sum += p[i] * (i + 1); }
//   for (q = p; q + 2 <= end; q += 2) csum += *(u16 *)q;
//
// V8 runs the first as a load, a zero extension and a 64-bit multiply a byte; vectorised, 16 bytes
// are one v128 load, two widenings and two i16x8 multiplies.
//
// The loop is a chain of blocks H → B1 → … → Bk → H (each leaving the chain on one side of its branch,
// the last going back to H, directly or through a block holding only the `ja`), entered at H only.
// Its instructions are run symbolically over the values the registers hold at H (terms), and at the
// back edge every register must be one of:
//   invariant   not written;
//   counter     iv + s, s a constant from 1 to 16 (the induction variable: an index or a pointer;
//               another such register is a reduction when nothing else reads it);
//   reduction   r = r + X, r ^ X or r | X (64 or 32 bits), X free of r and of every other written
//               register but the counter;
//   temporary   never read before it is written, and at each exit written in that iteration or dead
//               where the exit goes (liveness), so skipping iterations cannot be seen.
// Only ALU instructions and loads of 1, 2 or 4 bytes at base + iv·k + d are allowed (no store, call or
// atomic), every load of X one size, and k·s that size: an iteration's values sit side by side. X is
// built from the counter, constants (invariants whose value at the entry is a constant), the loads and
// add, sub, mul, and, or, xor and shifts by constants; an interval analysis bounds every value of X
// (the counter's range from its constant start and an exit comparing it with a constant), which
// picks 16-bit lanes when all fit below 2^16, 32-bit ones below 2^32, and refuses otherwise, so lane
// arithmetic is exact and equals the ISA's 64- and 32-bit results.
//
// A vector step runs while every exit of the chain stays in the loop for all of its iterations: each
// exit condition must compare an affine function of the counter (base + iv·k + c) with one free of it;
// a monotone comparison is tested at the step's first and last iteration (with no wrap between them),
// an inequality by the distance to the value it excludes. The step then performs exactly the loads
// those iterations would have performed (memory the verifier proved in range), advances the counter
// and leaves the temporaries as they were: the loop as written runs next and ends as before. A run
// whose first step fails its test takes the loop as written alone.

import type BinaryenNs from 'binaryen';
import { AluOp, Class, CLASS_MASK, FP, JmpOp, Mode, MODE_MASK, OP_LDDW, OP_MASK, Size, SIZE_MASK, Source, SOURCE_MASK } from '../isa/opcodes.js';
import { writesRegister, type Insn } from '../isa/insn.js';
import type { BasicBlock, Subprogram } from './cfg.js';
import { blockConstants, entryConstants } from './unroll.js';

/** Bytes a vector step loads from each address it reads: one v128. */
const V128 = 16;

/** A register's value in an iteration, in terms of what the registers held at the loop's head. */
export type Term =
  | { k: 'reg'; r: number }
  | { k: 'c'; v: bigint }
  | { k: 'op'; op: number; w: 32 | 64; a: Term; b: Term }
  | { k: 'ld'; size: 1 | 2 | 4; addr: Term }
  | { k: 'bad' };

/** base + iv·coef + c (coef a small non-negative integer; base a register invariant in the loop, or none). */
export interface Affine {
  base?: number;
  coef: bigint;
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
  /** The counter register, what an iteration adds to it, and the iterations a step runs (16 / size). */
  iv: number;
  step: bigint;
  iters: number;
  /** The bytes each load of X reads (all alike). */
  size: 1 | 2 | 4;
  /** Lane width: 16 or 32 bits. */
  width: 16 | 32;
  guards: Guard[];
  reductions: Reduction[];
  /** Constants the invariants of X hold (register -> value). */
  constants: Map<number, bigint>;
  /** The distinct addresses X loads from, base + iv·coef + d (coef·step = size: iterations read side by side). */
  loads: Load[];
}

export interface Load {
  base?: number;
  coef: bigint;
  d: bigint;
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

/** `t` as base + iv·coef + c over 64-bit adds, subtracts, and multiplies and shifts by constants, or undefined. */
function affine(t: Term, iv: number, invariant: (r: number) => boolean): Affine | undefined {
  if (t.k === 'c') return { coef: 0n, c: t.v };
  if (t.k === 'reg') {
    if (t.r === iv) return { coef: 1n, c: 0n };
    return invariant(t.r) ? { base: t.r, coef: 0n, c: 0n } : undefined;
  }
  if (t.k !== 'op' || t.w !== 64) return undefined;
  const a = affine(t.a, iv, invariant);
  const b = affine(t.b, iv, invariant);
  if (!a || !b) return undefined;
  const k = b.coef === 0n && b.base === undefined ? b.c : undefined;
  let r: Affine;
  switch (t.op) {
    case AluOp.ADD: {
      if (a.base !== undefined && b.base !== undefined) return undefined;
      const base = a.base ?? b.base;
      r = { ...(base !== undefined ? { base } : {}), coef: a.coef + b.coef, c: BigInt.asUintN(64, a.c + b.c) };
      break;
    }
    case AluOp.SUB:
      if (k === undefined) return undefined;
      r = { ...a, c: BigInt.asUintN(64, a.c - k) };
      break;
    case AluOp.MUL:
    case AluOp.LSH: {
      if (k === undefined || a.base !== undefined || k > 16n) return undefined;
      const f = t.op === AluOp.MUL ? k : 1n << k;
      r = { coef: a.coef * f, c: BigInt.asUintN(64, a.c * f) };
      break;
    }
    default:
      return undefined;
  }
  return r.coef > 16n ? undefined : r;
}

interface Interval {
  lo: bigint;
  hi: bigint;
}

const bitsFor = (v: bigint): bigint => (v <= 0n ? 0n : (1n << BigInt(v.toString(2).length)) - 1n);

/** The values X takes (non-negative integers, exact), or undefined when unbounded or possibly negative. */
function interval(t: Term, iv: number, ivRange: Interval | undefined, constants: ReadonlyMap<number, bigint>, loads: Load[], invariant: (r: number) => boolean): Interval | undefined {
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
      if (!a || a.coef === 0n) return undefined;
      const d = BigInt.asIntN(64, a.c);
      if (!loads.some((l) => l.base === a.base && l.coef === a.coef && l.d === d)) loads.push({ ...(a.base !== undefined ? { base: a.base } : {}), coef: a.coef, d });
      return { lo: 0n, hi: (1n << BigInt(8 * t.size)) - 1n };
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
function maxIn(t: Term, iv: number, ivRange: Interval | undefined, constants: ReadonlyMap<number, bigint>, invariant: (r: number) => boolean): bigint {
  const own = interval(t, iv, ivRange, constants, [], invariant)!.hi;
  if (t.k !== 'op') return own;
  // a constant mask needs no lane of its own width: x & (c mod 2^W) is x & c for x below 2^W
  const leaf = (x: Term): boolean => t.op === AluOp.AND && (x.k === 'c' || (x.k === 'reg' && x.r !== iv));
  const a = leaf(t.a) ? 0n : maxIn(t.a, iv, ivRange, constants, invariant);
  const b = leaf(t.b) ? 0n : maxIn(t.b, iv, ivRange, constants, invariant);
  return [own, a, b].reduce((x, y) => (x > y ? x : y));
}

/** The registers `ins` may read (more than it does is safe: liveness only keeps loops as written). */
export function reads(ins: Insn): number[] {
  const c = ins.code & CLASS_MASK;
  const x = (ins.code & SOURCE_MASK) === Source.X;
  if (c === Class.ALU || c === Class.ALU64) {
    const op = ins.code & OP_MASK;
    if (op === AluOp.MOV) return x ? [ins.src] : [];
    return x ? [ins.dst, ins.src] : [ins.dst];
  }
  if (ins.code === OP_LDDW) return [];
  if (c === Class.LDX) return [ins.src];
  if (c === Class.ST) return [ins.dst];
  if (c === Class.STX) return [ins.dst, ins.src, 0];
  if (c === Class.JMP || c === Class.JMP32) {
    const op = ins.code & OP_MASK;
    if (op === JmpOp.CALL) return [1, 2, 3, 4, 5, ...(x ? [ins.dst] : [])];
    if (op === JmpOp.EXIT) return [0];
    if (op === JmpOp.JA) return [];
    return x ? [ins.dst, ins.src] : [ins.dst];
  }
  return [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, FP];
}

/** The registers live at the start of each block of `sp` (a backward fixpoint), by block start. */
export function liveIns(prog: readonly Insn[], sp: Subprogram): Map<number, Set<number>> {
  const live = new Map<number, Set<number>>(sp.blocks.map((b) => [b.start, new Set<number>()]));
  for (let changed = true; changed; ) {
    changed = false;
    for (let k = sp.blocks.length - 1; k >= 0; k--) {
      const b = sp.blocks[k]!;
      const t = b.term;
      const cur = new Set<number>(t.kind === 'exit' ? [0] : []);
      for (const s of t.kind === 'goto' ? [t.target] : t.kind === 'branch' ? [t.target, t.next] : []) for (const r of live.get(s) ?? []) cur.add(r);
      if (t.kind === 'branch') for (const r of reads(prog[t.pc]!)) cur.add(r);
      const pcs: number[] = [];
      for (let pc = b.start; pc < b.end; pc += prog[pc]!.code === OP_LDDW ? 2 : 1) pcs.push(pc);
      for (const pc of pcs.reverse()) {
        for (let r = 0; r <= FP; r++) if (writesRegister(prog[pc]!, r)) cur.delete(r);
        for (const r of reads(prog[pc]!)) cur.add(r);
      }
      const old = live.get(b.start)!;
      if (cur.size !== old.size || [...cur].some((r) => !old.has(r))) {
        live.set(b.start, cur);
        changed = true;
      }
    }
  }
  return live;
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
  let live: Map<number, Set<number>> | undefined;

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
    const exits: Array<{ pc: number; a: Term; b: Term; op: number; w: 32 | 64; stayWhen: boolean; written: Set<number>; to: number }> = [];
    for (let j = 0; j < chain.length; j++) {
      const b = chain[j]!;
      for (let pc = b.start; pc < b.end; pc += prog[pc]!.code === OP_LDDW ? 2 : 1) {
        const ins = prog[pc]!;
        const c = ins.code & CLASS_MASK;
        let t: Term;
        if (c === Class.ALU || c === Class.ALU64) t = aluTerm(ins, regs);
        else if (ins.code === OP_LDDW) t = C(BigInt.asUintN(64, ins.imm64 ?? 0n));
        else {
          const sz = ins.code & SIZE_MASK;
          const size = sz === Size.B ? 1 : sz === Size.H ? 2 : sz === Size.W ? 4 : undefined;
          t = size ? { k: 'ld', size, addr: ins.off === 0 ? regs[ins.src]! : { k: 'op', op: AluOp.ADD, w: 64, a: regs[ins.src]!, b: C(BigInt.asUintN(64, BigInt(ins.off))) } } : BAD;
        }
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
      // a may_goto exit compares no register: its count is the function's, not the loop's
      if ((ins.code & OP_MASK) === JmpOp.JCOND) return undefined;
      exits.push({
        pc: t.pc,
        a: regs[ins.dst]!,
        b: (ins.code & SOURCE_MASK) === Source.X ? regs[ins.src]! : C(BigInt.asUintN(64, BigInt(ins.imm))),
        op: ins.code & OP_MASK,
        w: (ins.code & CLASS_MASK) === Class.JMP32 ? 32 : 64,
        stayWhen: t.target === next,
        written: new Set(written),
        to: exitTo,
      });
    }
    if (written.has(FP)) return undefined;

    // the counter
    /** What each iteration adds to r when it is r + a constant from 1 to 16. */
    const stepOf = (t: Term, r: number): bigint | undefined => {
      if (t.k !== 'op' || t.op !== AluOp.ADD) return undefined;
      const k = t.a.k === 'reg' && t.a.r === r && t.b.k === 'c' ? t.b.v : t.b.k === 'reg' && t.b.r === r && t.a.k === 'c' ? t.a.v : undefined;
      return k !== undefined && k >= 1n && k <= 16n ? k : undefined;
    };
    // (a second one is a sum of ones, a reduction, when nothing else reads it)
    for (const iv of written) {
      const step = stepOf(regs[iv]!, iv);
      const plan = step !== undefined ? withCounter(iv, step) : undefined;
      if (plan) return plan;
    }
    return undefined;

    function withCounter(iv: number, step: bigint): VectorPlan | undefined {
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
      // a temporary an exit leaves as the iteration before left it: dead where the exit goes
      live ??= liveIns(prog, sp);
      for (const e of exits) for (const r of temps) if (!e.written.has(r) && live.get(e.to)!.has(r)) return undefined;

      // the exits: each compares an affine function of the counter with one free of it
      const guards: Guard[] = [];
      let hi: bigint | undefined;
      for (const e of exits) {
        const a = affine(e.a, iv, invariant);
        const b = affine(e.b, iv, invariant);
        if (!a || !b || (a.coef > 0n && b.coef > 0n)) return undefined;
        // equality with the counter cannot hold for a whole step
        if (a.coef + b.coef > 0n && (e.op === JmpOp.JSET || (e.op === JmpOp.JEQ && e.stayWhen) || (e.op === JmpOp.JNE && !e.stayWhen))) return undefined;
        guards.push({ op: e.op, w: e.w, a, b, stayWhen: e.stayWhen });
        const bound = counterBound(e.op, e.stayWhen, a, b, step);
        if (bound !== undefined && (hi === undefined || bound < hi)) hi = bound;
      }

      // X's values: the counter's range is needed only where X reads the counter itself (not an address)
      consts ??= blockConstants(prog, sp, preds) ?? null;
      if (!consts) return undefined;
      const entry = entryConstants(sp, h, consts, preds, inLoop);
      const start = entry[iv];
      const ivRange = typeof start === 'bigint' && hi !== undefined && start <= hi && hi < 1n << 31n ? { lo: start, hi } : undefined;
      const constants = new Map<number, bigint>();
      for (let r = 0; r < FP; r++) {
        const v = entry[r];
        if (!written.has(r) && typeof v === 'bigint') constants.set(r, v);
      }
      const loads: Load[] = [];
      let top = 0n;
      for (const red of reductions) {
        if (!interval(red.term, iv, ivRange, constants, loads, invariant)) return undefined;
        const m = maxIn(red.term, iv, ivRange, constants, invariant);
        if (m > top) top = m;
      }
      // every load reads the iterations' values side by side: one size, each iteration `size` bytes on
      const sizes = new Set<number>();
      const collect = (t: Term): void => {
        if (t.k === 'ld') sizes.add(t.size);
        if (t.k === 'op') {
          collect(t.a);
          collect(t.b);
        }
      };
      for (const red of reductions) collect(red.term);
      if (loads.length === 0 || sizes.size !== 1) return undefined;
      const size = [...sizes][0] as 1 | 2 | 4;
      if (loads.some((l) => l.coef * step !== BigInt(size))) return undefined;
      return { head: h, blocks: [...inLoop], iv, step, iters: V128 / size, size, width: top < 1n << 16n ? 16 : 32, guards, reductions, constants, loads };
    }
  }
}

/**
 * The largest counter an iteration can run with, from an exit comparing iv + c with a constant N
 * while the counter grows by `step` (the loop goes on while iv + c != N: N - c; < N: N - c + step - 1;
 * <= N: N - c + step), or undefined. The caller checks that the counter starts at most there.
 */
function counterBound(op: number, stayWhen: boolean, a: Affine, b: Affine, step: bigint): bigint | undefined {
  let x = a;
  let n = b;
  let o = op;
  if (b.coef > 0n) {
    x = b;
    n = a;
    o = o === JmpOp.JGT ? JmpOp.JLT : o === JmpOp.JGE ? JmpOp.JLE : o === JmpOp.JLT ? JmpOp.JGT : o === JmpOp.JLE ? JmpOp.JGE : o;
  }
  if (x.coef !== 1n || x.base !== undefined || n.coef !== 0n || n.base !== undefined) return undefined;
  // the condition under which the loop goes on, as an unsigned comparison of iv + c with N
  const stay = stayWhen ? o : o === JmpOp.JNE ? JmpOp.JEQ : o === JmpOp.JEQ ? JmpOp.JNE : o === JmpOp.JGT ? JmpOp.JLE : o === JmpOp.JGE ? JmpOp.JLT : o === JmpOp.JLT ? JmpOp.JGE : o === JmpOp.JLE ? JmpOp.JGT : undefined;
  const c = BigInt.asIntN(64, x.c);
  const N = n.c;
  if (N >= 1n << 31n || c < -(1n << 16n) || c > 1n << 16n) return undefined;
  if (stay === JmpOp.JNE) return N - c;
  if (stay === JmpOp.JLT) return N - c + step - 1n;
  if (stay === JmpOp.JLE) return N - c + step;
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
  const K = plan.iters;
  /** Vectors of W-bit lanes a step's values of X fill, and the iterations in each. */
  const parts = (K * W) / 128;
  const perPart = K / parts;
  const vx = W === 16 ? m.i16x8 : m.i32x4;
  const invariant = (r: number): boolean => r !== plan.iv;

  /** An affine at the iteration `lane` of this step (the counter I + lane·step), as an i64. */
  const scaled = (coef: bigint): number => (coef === 1n ? iNow() : m.i64.mul(iNow(), k64(coef)));
  const at = (a: Affine, lane: number): number => {
    let v = k64(a.c + a.coef * plan.step * BigInt(lane));
    if (a.coef > 0n) v = m.i64.add(scaled(a.coef), v);
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
  /** Whether every iteration of a step of K iterations stays in the loop at guard g. */
  const stays = (g: Guard, K: number): number => {
    const stay = (x: number): number => (g.stayWhen ? x : m.i32.eqz(x));
    if (g.a.coef === 0n && g.b.coef === 0n) return stay(cmp(g.op, g.w, at(g.a, 0), at(g.b, 0)));
    const [iv, other] = g.a.coef > 0n ? [g.a, g.b] : [g.b, g.a];
    if (g.op === JmpOp.JNE || g.op === JmpOp.JEQ) {
      // (the plan kept only "goes on while unequal") the iv side takes K values, D apart from the
      // first: the other is at least K·D past it, so none of them
      const span = BigInt(K) * iv.coef * plan.step;
      const dist = m.i64.sub(at(other, 0), at(iv, 0));
      return g.w === 32 ? m.i32.ge_u(m.i32.wrap(dist), k32(Number(span))) : m.i64.ge_u(dist, k64(span));
    }
    // monotone in the counter: the first and the last iteration, and no wrap between them
    const order = cmp(signed(g.op) ? JmpOp.JSLE : JmpOp.JLE, g.w, at(iv, 0), at(iv, K - 1));
    const first = stay(cmp(g.op, g.w, at(g.a, 0), at(g.b, 0)));
    const last = stay(cmp(g.op, g.w, at(g.a, K - 1), at(g.b, K - 1)));
    return m.i32.and(order, m.i32.and(first, last));
  };

  /** The step's values of load i, part `part`, widened to W-bit lanes (a half step: 8 bytes as i16x8). */
  const values = (i: number, part: number, half: boolean): number => {
    const v = m.local.get(loadLocal(i), B.v128);
    if (half) return W === 16 ? v : part === 0 ? m.i32x4.extend_low_i16x8_u(v) : m.i32x4.extend_high_i16x8_u(v);
    if (plan.size * 8 === W) return v;
    if (plan.size === 2) return part === 0 ? m.i32x4.extend_low_i16x8_u(v) : m.i32x4.extend_high_i16x8_u(v);
    if (W === 16) return part === 0 ? m.i16x8.extend_low_i8x16_u(v) : m.i16x8.extend_high_i8x16_u(v);
    const w16 = part < 2 ? m.i16x8.extend_low_i8x16_u(v) : m.i16x8.extend_high_i8x16_u(v);
    return part % 2 === 0 ? m.i32x4.extend_low_i16x8_u(w16) : m.i32x4.extend_high_i16x8_u(w16);
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
  const lanes = (t: Term, part: number, half = false): number => {
    switch (t.k) {
      case 'c':
        return splat(t.v);
      case 'reg':
        if (t.r === plan.iv) return vx.add(vx.splat(m.i32.wrap(iNow())), laneConst((l) => (part * perPart + l) * Number(plan.step)));
        return splat(plan.constants.get(t.r)!);
      case 'ld': {
        const a = affine(t.addr, plan.iv, invariant)!;
        return values(plan.loads.findIndex((l) => l.base === a.base && l.coef === a.coef && l.d === BigInt.asIntN(64, a.c)), part, half);
      }
      case 'op': {
        const x = lanes(t.a, part, half);
        const y = (): number => lanes(t.b, part, half);
        switch (t.op) {
          case AluOp.ADD: return vx.add(x, y());
          case AluOp.SUB: return vx.sub(x, y());
          case AluOp.MUL: return vx.mul(x, y());
          case AluOp.AND: return m.v128.and(x, y());
          case AluOp.OR: return m.v128.or(x, y());
          case AluOp.XOR: return m.v128.xor(x, y());
          case AluOp.LSH: return vx.shl(x, k32(constOf(t.b)));
          case AluOp.RSH: return vx.shr_u(x, k32(constOf(t.b)));
        }
      }
    }
    throw new Error('vectorize: a term the plan refused');
  };

  /**
   * One step: its test (leaving `out` when it fails), its loads, the folds into the accumulators and the
   * counter advanced. A half step (byte loads only) runs 8 iterations from one v128.load8x8_u.
   */
  const stepCode = (half: boolean, out: string): number[] => {
    const k = half ? K / 2 : K;
    const n = half ? parts / 2 : parts;
    const code: number[] = [m.local.set(I, get(plan.iv))];
    code.push(m.br(out, m.i32.eqz(plan.guards.map((g) => stays(g, k)).reduce((x, y) => m.i32.and(x, y)))));
    plan.loads.forEach((l, i) => {
      const off = m.i32.wrap(m.i64.add(scaled(l.coef), k64(l.d)));
      const addr = l.base !== undefined ? m.i32.add(m.i32.wrap(get(l.base)), off) : off;
      code.push(m.local.set(loadLocal(i), half ? m.v128.load8x8_u(0, 1, addr) : m.v128.load(0, 1, addr)));
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
        let sum = m.i32x4.extadd_pairwise_i16x8_u(lanes(red.term, 0, half));
        for (let p = 1; p < n; p++) sum = m.i32x4.add(sum, m.i32x4.extadd_pairwise_i16x8_u(lanes(red.term, p, half)));
        code.push(...widenAdd(sum));
      } else if (red.op === 'add') {
        for (let p = 0; p < n; p++) code.push(...widenAdd(lanes(red.term, p, half)));
      } else {
        const f = red.op === 'xor' ? m.v128.xor : m.v128.or;
        for (let p = 0; p < n; p++) code.push(m.local.set(accLocal(i), f(acc(), lanes(red.term, p, half))));
      }
    });
    code.push(set(plan.iv, m.i64.add(iNow(), k64(BigInt(k) * plan.step))));
    return code;
  };

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
    m.block('vec_done', [m.loop('vec_step', m.block(null, [...stepCode(false, 'vec_done'), m.br('vec_step')]))]),
    // what is left of the bytes: 8 more at once when the loop goes on that long
    ...(plan.size === 1 ? [m.block('vec_half', stepCode(true, 'vec_half'))] : []),
    m.if(m.i64.ne(get(plan.iv), m.local.get(S, B.i64)), m.block(null, folds)),
  ]);
}
