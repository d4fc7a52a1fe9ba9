// Control-flow analysis for the JIT: which slots form which subprogram, and the basic blocks of each.
// Pure TypeScript over the Insn model; emit.ts turns the result into WebAssembly.
//
// A subprogram is the entry (slot 0) or the target of a bpf-to-bpf call, and owns every slot reachable
// from its entry without following calls. Code reachable from two entries (which the load-time check
// rejects, but an unchecked caller may pass) is simply compiled into both functions.
//
// Blocks end at a jump, a conditional jump or `exit`, and before every jump target. Calls do not end a
// block: in WebAssembly they are ordinary expressions that return.

import { WxdpError } from '../errors.js';
import {
  Class,
  CLASS_MASK,
  FP,
  JmpOp,
  OP_LDDW,
  OP_MASK,
  PseudoCall,
  PseudoLd,
  Source,
  SOURCE_MASK,
} from '../isa/opcodes.js';
import { callTarget, jumpTarget, writesRegister, type Insn } from '../isa/insn.js';

/** How a block ends. */
export type Terminator =
  | { kind: 'exit' }
  /** Unconditional transfer to `target` (a `ja`, or falling into the next block). */
  | { kind: 'goto'; target: number }
  /** The conditional jump at slot `pc`: taken → `target`, not taken → `next`. */
  | { kind: 'branch'; pc: number; target: number; next: number };

export interface BasicBlock {
  /** First slot. */
  start: number;
  /** Slots [start, end) that execute in order; a terminating jump or exit is not among them. */
  end: number;
  term: Terminator;
}

export interface Subprogram {
  /** Entry slot. */
  entry: number;
  /** Blocks in slot order; blocks[0] starts at `entry`. */
  blocks: BasicBlock[];
}

export interface ProgramLayout {
  /** subprograms[0] is the entry function (slot 0); the rest by ascending entry. */
  subprograms: Subprogram[];
  /** Ids of helpers called with `call imm` (src 0), ascending. */
  helperIds: number[];
  /** Entry slots of subprograms used as callbacks (ld_imm64 BPF_PSEUDO_FUNC), ascending. */
  callbacks: number[];
  /** Whether any `callx` (helper id in a register) occurs. */
  usesCallx: boolean;
  /** Whether any bpf-to-bpf call occurs. */
  usesLocalCalls: boolean;
  /**
   * No instruction writes r10, so in every frame r10 is that frame's pointer and an access at
   * [r10 + off, r10 + off + size) with -512 <= off, off + size <= 0 stays inside the frame: checked
   * mode needs no test for it. (The load-time check rejects writes to r10; unchecked callers may not.)
   */
  framePointerFixed: boolean;
}

const compileError = (pc: number, msg: string): WxdpError =>
  new WxdpError('JIT_COMPILE', `insn ${pc}: ${msg}`);

export const isJmpClass = (i: Insn): boolean => {
  const c = i.code & CLASS_MASK;
  return c === Class.JMP || c === Class.JMP32;
};


/** Does this instruction end a block (ja, conditional jump, exit)? */
function isTerminator(i: Insn): boolean {
  if (!isJmpClass(i)) return false;
  return (i.code & OP_MASK) !== JmpOp.CALL;
}

export function analyze(prog: readonly Insn[]): ProgramLayout {
  const n = prog.length;
  if (n === 0) throw new WxdpError('JIT_COMPILE', 'program is empty');
  for (let pc = 0; pc < n; pc++) {
    const tailHere = prog[pc]!.isLdImm64Tail === true;
    const afterLddw = pc > 0 && prog[pc - 1]!.code === OP_LDDW && !prog[pc - 1]!.isLdImm64Tail;
    if (tailHere !== afterLddw) {
      throw compileError(tailHere ? pc : pc - 1, tailHere ? 'ld_imm64 second slot without a first' : 'ld_imm64 without its second slot');
    }
  }

  const checkSlot = (from: number, to: number, what: string): number => {
    if (to < 0 || to >= n) throw compileError(from, `${what} to ${to} leaves the program (0..${n - 1})`);
    if (prog[to]!.isLdImm64Tail) throw compileError(from, `${what} to ${to} lands inside ld_imm64 ${to - 1}`);
    return to;
  };

  const helperIds = new Set<number>();
  const callbacks = new Set<number>();
  let usesCallx = false;
  let usesLocalCalls = false;

  const entries = [0];
  const seenEntries = new Set(entries);
  const subprograms: Subprogram[] = [];

  for (let e = 0; e < entries.length; e++) {
    const entry = entries[e]!;
    // Reachable slots and block leaders, by a walk from the entry that does not follow calls.
    const reached = new Set<number>();
    const leaders = new Set<number>([entry]);
    const work = [entry];
    while (work.length > 0) {
      const pc = work.pop()!;
      if (reached.has(pc)) continue;
      reached.add(pc);
      const ins = prog[pc]!;
      const succ: number[] = [];
      if (ins.code === OP_LDDW) {
        if (pc + 1 >= n || !prog[pc + 1]!.isLdImm64Tail) throw compileError(pc, 'ld_imm64 without its second slot');
        succ.push(checkSlot(pc, pc + 2, 'fall-through'));
        if (ins.src === PseudoLd.FUNC) {
          // A callback (bpf_loop): its target is a subprogram of its own, reached through the table.
          const cb = checkSlot(pc, callTarget(ins, pc), 'callback');
          callbacks.add(cb);
          if (!seenEntries.has(cb)) {
            seenEntries.add(cb);
            entries.push(cb);
          }
        }
      } else if (isJmpClass(ins)) {
        const op = ins.code & OP_MASK;
        if (op === JmpOp.EXIT) {
          // no successor
        } else if (op === JmpOp.CALL) {
          // The same precedence as the interpreter: src 1 is a local call, then the X bit means callx,
          // anything else calls the helper numbered imm.
          if (ins.src === PseudoCall.LOCAL) {
            usesLocalCalls = true;
            const callee = checkSlot(pc, callTarget(ins, pc), 'call');
            if (!seenEntries.has(callee)) {
              seenEntries.add(callee);
              entries.push(callee);
            }
          } else if ((ins.code & SOURCE_MASK) === Source.X) {
            usesCallx = true;
          } else {
            helperIds.add(ins.imm);
          }
          succ.push(checkSlot(pc, pc + 1, 'fall-through'));
        } else if (op === JmpOp.JA) {
          const t = checkSlot(pc, jumpTarget(ins, pc)!, 'jump');
          leaders.add(t);
          succ.push(t);
        } else {
          const t = checkSlot(pc, jumpTarget(ins, pc)!, 'jump');
          const f = checkSlot(pc, pc + 1, 'fall-through');
          leaders.add(t);
          leaders.add(f);
          succ.push(f, t);
        }
      } else {
        succ.push(checkSlot(pc, pc + 1, 'fall-through'));
      }
      for (const s of succ) if (!reached.has(s)) work.push(s);
    }

    const starts = [...leaders].sort((a, b) => a - b);
    const blocks: BasicBlock[] = [];
    for (const start of starts) {
      let pc = start;
      let term: Terminator | undefined;
      for (;;) {
        const ins = prog[pc]!;
        if (isTerminator(ins)) {
          const op = ins.code & OP_MASK;
          if (op === JmpOp.EXIT) term = { kind: 'exit' };
          else if (op === JmpOp.JA) term = { kind: 'goto', target: jumpTarget(ins, pc)! };
          else term = { kind: 'branch', pc, target: jumpTarget(ins, pc)!, next: pc + 1 };
          blocks.push({ start, end: pc, term });
          break;
        }
        const next = pc + (ins.code === OP_LDDW ? 2 : 1);
        if (leaders.has(next)) {
          blocks.push({ start, end: next, term: { kind: 'goto', target: next } });
          break;
        }
        pc = next;
      }
    }
    // Entry first (it is the smallest slot only when no code sits before it in the same function).
    blocks.sort((a, b) => (a.start === entry ? -1 : b.start === entry ? 1 : a.start - b.start));
    subprograms.push({ entry, blocks });
  }

  const [main, ...rest] = subprograms;
  rest.sort((a, b) => a.entry - b.entry);
  return {
    subprograms: [main!, ...rest],
    helperIds: [...helperIds].sort((a, b) => a - b),
    callbacks: [...callbacks].sort((a, b) => a - b),
    usesCallx,
    usesLocalCalls,
    framePointerFixed: !prog.some((i) => writesRegister(i, FP)),
  };
}

