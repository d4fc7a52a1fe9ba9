// Low halves: what the low 32 bits of a register are in terms of other registers that still hold the
// values they had then. The lowering uses them where wasm wants an i32 of a register, a memory address,
// which V8 would otherwise zero-extend again at each access (`movl r, r` after a 64-bit add):
//
//   r4 = r1; r4 += r3; if r4 > r2 goto out; r5 = *(u8 *)(r4 + 0)
//        address i32.add(wrap r1, wrap r3): one leal, which V8 knows zero-extends
//
// (Shift counts were tried too: a 64-bit shift reads 6 bits of its count, so `r7 = zext32(r1); r8 >>= r7`
// can shift by r1; V8 then shuffles registers around CL and loop_toeplitz measured 5% slower.)
//
// A fact holds from the instruction after the one that made it until one of the registers it names
// (or the register it describes) is written, or a call clobbers r0–r5. Across blocks it is a forward
// "must" analysis: a block starts with the facts every predecessor ends with (their intersection; the
// entry and blocks without predecessors start with none), iterated until nothing changes, which ends
// because facts only ever go away. Each fact is an identity modulo 2^32 (`zext` and the internal `shl32`
// exact ones) that holds whatever the registers hold, so it is true on every path into the instruction.

import { AluOp, Class, CLASS_MASK, JmpOp, OP_LDDW, OP_MASK, Source } from '../isa/opcodes.js';
import { writesRegister, type Insn } from '../isa/insn.js';
import type { Subprogram } from './cfg.js';

/**
 * What the low 32 bits of a register are:
 *   sum   low32(a) + low32(b) + k (mod 2^32); b absent: low32(a) + k
 *   zext  the whole register is zext32(low32(a)), so its low half is a's
 */
export type LowHalf = { kind: 'sum'; a: number; b?: number; k: number } | { kind: 'zext'; a: number };

/** Internal: r = a << 32 (the first half of clang's zero extension `<<= 32; >>= 32`). */
export type Fact = LowHalf | { kind: 'shl32'; a: number };

const ALU64_K = (op: number): number => Class.ALU64 | op | Source.K;
const ALU64_X = (op: number): number => Class.ALU64 | op | Source.X;

const names = (f: Fact): number[] => (f.kind === 'sum' && f.b !== undefined ? [f.a, f.b] : [f.a]);

/** A register whose low half equals r's: the register a fact copies, else r itself. */
function root(facts: ReadonlyMap<number, Fact>, r: number): number {
  const f = facts.get(r);
  if (f && ((f.kind === 'sum' && f.b === undefined && f.k === 0) || f.kind === 'zext')) return f.a;
  return r;
}

/** The fact `ins` makes about its destination, from the facts before it (undefined: none). */
function made(facts: ReadonlyMap<number, Fact>, ins: Insn): Fact | undefined {
  const d = ins.dst;
  const s = ins.src;
  const f = facts.get(d);
  switch (ins.code) {
    case ALU64_X(AluOp.MOV):
      if (ins.off !== 0 || s === d) return undefined; // movsx: not a copy
      return facts.get(s) ?? { kind: 'sum', a: s, k: 0 };
    case ALU64_K(AluOp.ADD):
    case ALU64_K(AluOp.SUB): {
      const imm = ins.code === ALU64_K(AluOp.ADD) ? ins.imm : -ins.imm;
      if (f?.kind === 'sum') return { ...f, k: (f.k + imm) | 0 };
      if (f?.kind === 'zext') return { kind: 'sum', a: f.a, k: imm | 0 };
      return undefined;
    }
    case ALU64_X(AluOp.ADD): {
      if (s === d) return undefined;
      if (f?.kind === 'sum' && f.b === undefined) return { kind: 'sum', a: f.a, b: s, k: f.k };
      if (f?.kind === 'zext') return { kind: 'sum', a: f.a, b: s, k: 0 };
      return undefined;
    }
    case ALU64_K(AluOp.LSH):
      if (ins.imm === 32 && f && root(facts, d) !== d) return { kind: 'shl32', a: root(facts, d) };
      return undefined;
    case ALU64_K(AluOp.RSH):
      return ins.imm === 32 && f?.kind === 'shl32' ? { kind: 'zext', a: f.a } : undefined;
    case Class.ALU | AluOp.MOV | Source.X: {
      if (ins.off !== 0) return undefined; // movsx
      const a = root(facts, s);
      return a === d ? undefined : { kind: 'zext', a };
    }
    default:
      return undefined;
  }
}

/** The registers `ins` writes (a call: r0–r5, as the ABI says; the JIT's helpers may use them). */
function written(ins: Insn): number[] {
  if ((ins.code & CLASS_MASK) === Class.JMP && (ins.code & OP_MASK) === JmpOp.CALL) return [0, 1, 2, 3, 4, 5];
  const out: number[] = [];
  for (let r = 0; r <= 10; r++) if (writesRegister(ins, r)) out.push(r);
  return out;
}

/**
 * Walks one basic block: `at()` is what is known before the next instruction, `step(ins)` moves past it.
 * Only facts of the LowHalf kinds are reported.
 */
export class LowHalves {
  private facts = new Map<number, Fact>();

  /** A block starts with `entry` known (blockEntries), or nothing. */
  reset(entry?: ReadonlyMap<number, Fact>): void {
    this.facts = new Map(entry);
  }

  /** Everything known now (a block's exit state for blockEntries). */
  snapshot(): ReadonlyMap<number, Fact> {
    return new Map(this.facts);
  }

  /** The low half of register r before the next instruction, when it is known in terms of others. */
  of(r: number): LowHalf | undefined {
    const f = this.facts.get(r);
    return f && f.kind !== 'shl32' ? f : undefined;
  }

  /** Past `ins` (an ld_imm64 is its first slot). */
  step(ins: Insn): void {
    const fact = made(this.facts, ins);
    for (const w of written(ins)) {
      this.facts.delete(w);
      for (const [r, f] of this.facts) if (names(f).includes(w)) this.facts.delete(r);
    }
    if (fact && !names(fact).includes(ins.dst)) this.facts.set(ins.dst, fact);
  }
}

/** The facts before each instruction of a straight line (tests; the JIT steps a LowHalves itself). */
export function lowHalvesOf(block: readonly Insn[]): Array<ReadonlyMap<number, LowHalf>> {
  const t = new LowHalves();
  const out: Array<ReadonlyMap<number, LowHalf>> = [];
  for (const ins of block) {
    const now = new Map<number, LowHalf>();
    for (let r = 0; r <= 10; r++) {
      const f = t.of(r);
      if (f) now.set(r, f);
    }
    out.push(now);
    if (!ins.isLdImm64Tail) t.step(ins);
  }
  return out;
}

const MAX_PASSES = 32;

const sameFact = (x: Fact, y: Fact): boolean =>
  x.kind === y.kind && x.a === y.a && (x.kind !== 'sum' || (y.kind === 'sum' && x.b === y.b && x.k === y.k));

/** The facts both maps hold. */
function meet(x: ReadonlyMap<number, Fact>, y: ReadonlyMap<number, Fact>): Map<number, Fact> {
  const out = new Map<number, Fact>();
  for (const [r, f] of x) {
    const g = y.get(r);
    if (g && sameFact(f, g)) out.set(r, f);
  }
  return out;
}

/**
 * The facts each block of `sp` starts with, by block start: what every path from the subprogram's
 * entry brings to it (see the header). Predecessors not yet reached count as "anything" until they are.
 */
export function blockEntries(prog: readonly Insn[], sp: Subprogram): Map<number, ReadonlyMap<number, Fact>> {
  const preds = new Map<number, number[]>(sp.blocks.map((b) => [b.start, []]));
  for (const b of sp.blocks) {
    const t = b.term;
    const succ = t.kind === 'goto' ? [t.target] : t.kind === 'branch' ? [t.target, t.next] : [];
    for (const x of new Set(succ)) preds.get(x)?.push(b.start);
  }
  const exits = new Map<number, ReadonlyMap<number, Fact>>();
  const entries = new Map<number, ReadonlyMap<number, Fact>>();
  const walker = new LowHalves();
  const none = new Map<number, Fact>();
  // Facts only go away as predecessors are met, but a copy takes its source's fact when there is one
  // and names the source when not, so a pass may swap one fact for another: passes are capped, and a
  // subprogram that does not settle within them starts every block knowing nothing (always true).
  let passes = 0;
  for (let changed = true; changed; ) {
    if (++passes > MAX_PASSES) return new Map(sp.blocks.map((b) => [b.start, none]));
    changed = false;
    for (const b of sp.blocks) {
      let entry: ReadonlyMap<number, Fact> | undefined;
      if (b.start !== sp.entry) {
        for (const p of preds.get(b.start)!) {
          const out = exits.get(p);
          if (out) entry = entry ? meet(entry, out) : out;
        }
      }
      entry ??= none;
      walker.reset(entry);
      for (let pc = b.start; pc < b.end; pc += prog[pc]!.code === OP_LDDW ? 2 : 1) walker.step(prog[pc]!);
      const out = walker.snapshot();
      const before = exits.get(b.start);
      if (!before || before.size !== out.size || [...out].some(([r, f]) => !before.has(r) || !sameFact(f, before.get(r)!))) {
        exits.set(b.start, out);
        changed = true;
      }
      entries.set(b.start, entry);
    }
  }
  return entries;
}
