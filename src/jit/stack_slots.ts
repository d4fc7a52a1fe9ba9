// Stack slots a subprogram's wasm function can keep in locals instead of linear memory (verified
// programs only). clang spills registers to 8-byte stack slots and fills them back, often on a loop's
// carried values; in memory each fill waits on the store before it, in a local V8 allocates a register.
//
// A slot [S, S + 8) of the function's own frame (S 8-aligned, -512 <= S < 0) is promoted when every
// access to any of its bytes is an 8-byte LDX / STX / ST (not atomic) at r10 + S, and no pointer into the
// frame can reach it otherwise. Pointers into the frame are followed by a small dataflow over the
// function's blocks: each register is not frame-derived, r10 + K (K known), or frame-derived at an
// unknown offset. Then:
//   - a frame pointer stored to memory, passed to a bpf-to-bpf call, to callx, to a helper taking a
//     callback (bpf_loop's context goes to code that may index it anywhere) or of unknown offset passed
//     to any helper, and any access through an unknown-offset pointer: no slot is promoted;
//   - r10 + K passed to a helper: the helper reads or writes inside [K, 0) (the verifier checked the
//     span against the frame), so slots from K up stay in memory;
//   - an access through r10 + K (a copy of r10): the slots it touches stay in memory.
// Verified programs never write r10 (cfg.ts framePointerFixed is required). A promoted slot starts at 0
// on each call, as a wasm local does; a verified program reads no slot it did not write, except a
// privileged one reading uninitialised stack, whose value is unspecified either way.

import { AluOp, AtomicOp, Class, CLASS_MASK, FP, JmpOp, Mode, MODE_MASK, OP_LDDW, OP_MASK, PseudoCall, sizeBytes, Source, SOURCE_MASK, STACK_SIZE } from '../isa/opcodes.js';
import type { Insn } from '../isa/insn.js';
import { Arg, PROTOS } from '../verifier/protos.js';
import type { Subprogram } from './cfg.js';

/** Not frame-derived (undefined), r10 + K (a number), or frame-derived at an unknown offset. */
export type FrameVal = number | 'any' | undefined;
type Val = FrameVal;

const join = (a: Val, b: Val): Val => (a === b ? a : a === undefined ? b : b === undefined ? a : 'any');

/** What the dataflow found: each block's registers at entry, and how far frame pointers escaped. */
interface FrameWalk {
  entry: Map<number, Val[]>;
  /** A frame pointer went where its offset is lost (stored, passed to a call or callback, unknown offset used). */
  escapeAll: boolean;
  /** Slots at or above this offset may be reached through a pointer passed to a helper. */
  escapeFrom: number;
}

/** One instruction's effect on the registers (and on `w`'s escapes); `access` sees r10-relative accesses. */
function step(ins: Insn, st: Val[], w: FrameWalk, access?: (off: number, size: number, ok: boolean) => void): void {
  const val = (r: number): Val => (r === FP ? 0 : st[r]);
  const fpArg = (r: number): boolean => val(r) !== undefined;
  const c = ins.code & CLASS_MASK;
  const op = ins.code & OP_MASK;
  const x = (ins.code & SOURCE_MASK) === Source.X;
  if (c === Class.LDX || c === Class.ST || c === Class.STX) {
    const base = c === Class.LDX ? ins.src : ins.dst;
    const atomic = c === Class.STX && (ins.code & MODE_MASK) === Mode.ATOMIC;
    const size = sizeBytes(ins.code);
    const b = val(base);
    if (b === 'any') w.escapeAll = true;
    else if (b !== undefined) access?.(b + ins.off, size, base === FP && !atomic && (ins.code & MODE_MASK) !== Mode.MEMSX);
    if (c === Class.STX && fpArg(ins.src)) w.escapeAll = true; // a frame pointer stored
    if (c === Class.LDX && ins.dst !== FP) st[ins.dst] = undefined;
    if (atomic && (ins.imm & AtomicOp.FETCH) !== 0) st[ins.imm === AtomicOp.CMPXCHG ? 0 : ins.src] = undefined;
    return;
  }
  if (c === Class.ALU64 || c === Class.ALU) {
    const d = ins.dst;
    if (d === FP) {
      w.escapeAll = true; // cfg.ts refuses this layout for promotion anyway
      return;
    }
    const a = val(d);
    const s: Val = x ? val(ins.src) : undefined;
    if (c === Class.ALU64 && op === AluOp.MOV) st[d] = x && ins.off === 0 ? s : x && s !== undefined ? 'any' : undefined;
    else if (c === Class.ALU64 && (op === AluOp.ADD || op === AluOp.SUB) && !x && typeof a === 'number') st[d] = op === AluOp.ADD ? a + ins.imm : a - ins.imm;
    else st[d] = a !== undefined || s !== undefined ? 'any' : undefined;
    return;
  }
  if (ins.code === OP_LDDW) {
    st[ins.dst] = undefined;
    return;
  }
  if (c === Class.JMP && op === JmpOp.CALL) {
    const args = [1, 2, 3, 4, 5];
    if (ins.src === PseudoCall.LOCAL || x) {
      if (args.some(fpArg)) w.escapeAll = true;
    } else {
      const proto = PROTOS[ins.imm];
      const callback = !proto || proto.args.includes(Arg.PTR_TO_FUNC);
      for (const r of args) {
        const v = val(r);
        if (v === undefined) continue;
        if (v === 'any' || callback) w.escapeAll = true;
        else w.escapeFrom = Math.min(w.escapeFrom, v);
      }
    }
    for (let r = 0; r <= 5; r++) st[r] = undefined;
  }
}

/** The forward dataflow over the subprogram's blocks (stops early once a frame pointer escapes). */
function walk(prog: readonly Insn[], sp: Subprogram, access?: (off: number, size: number, ok: boolean) => void): FrameWalk {
  const byStart = new Map(sp.blocks.map((b) => [b.start, b]));
  const w: FrameWalk = { entry: new Map([[sp.entry, new Array<Val>(11).fill(undefined)]]), escapeAll: false, escapeFrom: 0 };
  const work = [sp.entry];
  while (work.length > 0 && !w.escapeAll) {
    const start = work.pop()!;
    const bb = byStart.get(start);
    if (!bb) continue;
    const st = [...w.entry.get(start)!];
    for (let pc = bb.start; pc < bb.end; pc += prog[pc]!.code === OP_LDDW ? 2 : 1) step(prog[pc]!, st, w, access);
    const t = bb.term;
    const succ = t.kind === 'goto' ? [t.target] : t.kind === 'branch' ? [t.target, t.next] : [];
    for (const n of succ) {
      const old = w.entry.get(n);
      if (!old) {
        w.entry.set(n, [...st]);
        work.push(n);
        continue;
      }
      let changed = false;
      for (let r = 0; r < 11; r++) {
        const j = join(old[r], st[r]);
        if (j !== old[r]) {
          old[r] = j;
          changed = true;
        }
      }
      if (changed) work.push(n);
    }
  }
  return w;
}

/** Offsets S (from r10) of the slots to keep in locals, ascending. */
export function promotableSlots(prog: readonly Insn[], sp: Subprogram): number[] {
  const bad = new Set<number>();
  const good = new Set<number>();
  const access = (off: number, size: number, ok: boolean): void => {
    if (off < -STACK_SIZE || off + size > 0) return; // not this frame (the verifier rejects it anyway)
    for (let s = Math.floor(off / 8) * 8; s < off + size; s += 8) {
      if (ok && s === off && size === 8) good.add(s);
      else bad.add(s);
    }
  };
  const w = walk(prog, sp, access);
  if (w.escapeAll) return [];
  return [...good].filter((s) => !bad.has(s) && s + 8 <= w.escapeFrom).sort((a, b) => a - b);
}

/**
 * Each instruction's registers before it runs, as frame values (r10 is 0), for the blocks the entry
 * reaches; undefined when a frame pointer escapes (then any pointer may point into the frame).
 */
export function frameValues(prog: readonly Insn[], sp: Subprogram): Map<number, readonly Val[]> | undefined {
  const w = walk(prog, sp);
  if (w.escapeAll) return undefined;
  const out = new Map<number, readonly Val[]>();
  for (const bb of sp.blocks) {
    const at = w.entry.get(bb.start);
    if (!at) continue;
    const st = [...at];
    st[FP] = 0;
    for (let pc = bb.start; pc < bb.end; pc += prog[pc]!.code === OP_LDDW ? 2 : 1) {
      out.set(pc, [...st]);
      step(prog[pc]!, st, w);
      st[FP] = 0;
    }
  }
  return out;
}
