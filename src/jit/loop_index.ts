// The index a bpf_loop callback is called with, where the verifier bounds the loop's count.
//
// bpf_loop(nr_loops, callback, ctx, 0) calls callback(i, ctx) for i = 0, 1, … while i < nr_loops
// (kernel/bpf/bpf_iter.c BPF_CALL_4(bpf_loop)). The verifier makes nr_loops precise at the call and
// knows its largest value (VerifierFacts.loopCountMax); it walks the callback with r1 unknown, so a
// callback that guards its array index (`if (i >= 30) return 1;` in front of `c->words[i]`) keeps the
// test in its code. When every call of a callback is an inlined bpf_loop with a known bound N, its r1
// on entry is in [0, N - 1], and the entry block's test of r1 against a constant is decided here: the
// JIT lowers that branch as a jump (emit.ts, a callback's clone only; the generic function, which the
// fast path's bpf_loop and tail calls enter, keeps the test).
//
// r1's range is followed through the entry block's instructions that keep it exact: clang's zero
// extension of a u32 argument (`r1 <<= 32; r1 >>= 32`, or `w1 = w1`), shifts and masks by constants,
// an add of a constant. Any other write of r1, or a call, ends it (the branch is lowered
// as written).

import { AluOp, Class, CLASS_MASK, JmpOp, OP_MASK, Source, SOURCE_MASK } from '../isa/opcodes.js';
import { writesRegister, type Insn } from '../isa/insn.js';
import type { Subprogram } from './cfg.js';

/**
 * r1's values as an interval, computed without wrapping: a `hi` past the width of the operation that
 * made it means some value wrapped, and such a range decides nothing (step and indexBranch look first).
 */
type Range = { lo: bigint; hi: bigint };

const U32 = 1n << 32n;
const U64 = 1n << 64n;

/**
 * r1's range after `ins` (which writes it), or undefined when the instruction is not one followed here.
 * A 32-bit operation's range must stay below 2^32 here: the register holds its result zero-extended,
 * so a wrapped range (w1 += -1 over [0, 9] is [2^32 - 1, 2^32 + 8], i.e. 0xffffffff and 0..8) would
 * pass the width check of a 64-bit instruction or test after it.
 */
function step(ins: Insn, r: Range): Range | undefined {
  const out = exact(ins, r);
  return out && (ins.code & CLASS_MASK) === Class.ALU && out.hi >= U32 ? undefined : out;
}

function exact(ins: Insn, r: Range): Range | undefined {
  const cls = ins.code & CLASS_MASK;
  if (cls !== Class.ALU64 && cls !== Class.ALU) return undefined;
  const width = cls === Class.ALU64 ? U64 : U32;
  // a 32-bit operation sees the low half: exact only while the value fits in it
  if (r.hi >= width) return undefined;
  const op = ins.code & OP_MASK;
  if ((ins.code & SOURCE_MASK) === Source.X) return op === AluOp.MOV && ins.src === 1 && ins.off === 0 ? r : undefined;
  const k = BigInt.asUintN(cls === Class.ALU64 ? 64 : 32, BigInt(ins.imm));
  switch (op) {
    case AluOp.LSH: {
      const s = k & (width === U64 ? 63n : 31n);
      return { lo: r.lo << s, hi: r.hi << s };
    }
    case AluOp.RSH: {
      const s = k & (width === U64 ? 63n : 31n);
      return { lo: r.lo >> s, hi: r.hi >> s };
    }
    case AluOp.AND:
      return { lo: 0n, hi: r.hi < k ? r.hi : k };
    case AluOp.ADD:
      // (a negative immediate is k's two's complement: a sum that goes below zero wraps, past the width)
      return { lo: r.lo + k, hi: r.hi + k };
    default:
      return undefined;
  }
}

/** Whether `x OP k` holds for every x in r (true), for none (false), or is open (undefined); unsigned k. */
function decide(op: number, r: Range, k: bigint): boolean | undefined {
  switch (op) {
    case JmpOp.JEQ:
      return k < r.lo || k > r.hi ? false : r.lo === r.hi ? true : undefined;
    case JmpOp.JNE: {
      const eq = decide(JmpOp.JEQ, r, k);
      return eq === undefined ? undefined : !eq;
    }
    case JmpOp.JGT:
      return r.lo > k ? true : r.hi <= k ? false : undefined;
    case JmpOp.JGE:
      return r.lo >= k ? true : r.hi < k ? false : undefined;
    case JmpOp.JLT:
      return r.hi < k ? true : r.lo >= k ? false : undefined;
    case JmpOp.JLE:
      return r.hi <= k ? true : r.lo > k ? false : undefined;
    default:
      return undefined;
  }
}

const SIGNED: Record<number, number> = { [JmpOp.JSGT]: JmpOp.JGT, [JmpOp.JSGE]: JmpOp.JGE, [JmpOp.JSLT]: JmpOp.JLT, [JmpOp.JSLE]: JmpOp.JLE };

/**
 * The entry block's branch of callback `sp` decided for an r1 in [0, count - 1]: true (always taken),
 * false (never), or undefined (lowered as written). `count` >= 1.
 */
export function indexBranch(prog: readonly Insn[], sp: Subprogram, count: number): boolean | undefined {
  const bb = sp.blocks[0]!;
  if (bb.term.kind !== 'branch') return undefined;
  // The block must be entered only at the callback's entry, with r1 the index.
  for (const b of sp.blocks) {
    const t = b.term;
    if ((t.kind === 'goto' && t.target === sp.entry) || (t.kind === 'branch' && (t.target === sp.entry || t.next === sp.entry))) return undefined;
  }
  let r: Range | undefined = { lo: 0n, hi: BigInt(count - 1) };
  for (let pc = bb.start; pc < bb.end && r; pc++) {
    const ins = prog[pc]!;
    const cls = ins.code & CLASS_MASK;
    if (cls === Class.JMP || cls === Class.JMP32) return undefined; // a call clobbers r1..r5
    if (writesRegister(ins, 1)) r = step(ins, r);
  }
  const ins = prog[bb.term.pc]!;
  if (!r || ins.dst !== 1 || (ins.code & SOURCE_MASK) !== Source.K) return undefined;
  const is32 = (ins.code & CLASS_MASK) === Class.JMP32;
  const width = is32 ? U32 : U64;
  if (r.hi >= width) return undefined;
  const op = ins.code & OP_MASK;
  const unsigned = SIGNED[op];
  if (unsigned === undefined) return decide(op, r, BigInt.asUintN(is32 ? 32 : 64, BigInt(ins.imm)));
  // Signed: r's values are below the sign bit, so they compare as the same numbers signed; a
  // negative k is below all of them.
  if (r.hi >= width >> 1n) return undefined;
  const k = BigInt(is32 ? ins.imm | 0 : ins.imm);
  if (k < 0n) return unsigned === JmpOp.JGT || unsigned === JmpOp.JGE;
  return decide(unsigned, r, k);
}
