// Which registers hold the program's ctx (its r1 at entry, offset 0) before each instruction of the
// entry subprogram: the burst loop (emit.ts addBurst) hands the frame's data, data_end and data_meta to
// its copy of the entry in locals, and a 4-byte load of one of them through such a register reads the
// local instead of the xdp_md word the loop has just stored. The store and its reload sat on every
// frame's longest dependency chain (descriptor → data → the headers → the lookup's key).
//
// Forward over the subprogram's blocks to a fixed point, a register bitmask per slot: r1 at entry; a
// 64-bit `mov rd, rs` copies rs's bit, any other write of a register and every call's r0-r5 clear it;
// where blocks meet, only what holds on every path in. Valid only for programs in which nothing can
// move data, data_end or data_meta during a run (ctxFieldsFixed): xdp_md is read-only to the program.

import { AluOp, Class, CLASS_MASK, JmpOp, OP_LDDW, OP_MASK, PseudoCall, Source } from '../isa/opcodes.js';
import { writesRegister, type Insn } from '../isa/insn.js';
import type { ProgramLayout, Subprogram } from './cfg.js';
import { KFUNC_HELPER_BASE } from '../helpers/kfuncs.js';

/** bpf_tail_call, bpf_xdp_adjust_head / _meta / _tail: what moves the fields or runs another program's code. */
const MOVES_CTX_FIELDS: ReadonlySet<number> = new Set([12, 44, 54, 65]);

/**
 * Whether no run of the program can change its ctx's data, data_end or data_meta: no helper that
 * moves them (the kernel's bpf_helper_changes_pkt_data for XDP), no tail call, no callx, no kfunc
 * (nor the calls the loader lowers to ids from KFUNC_HELPER_BASE up).
 */
export function ctxFieldsFixed(prog: readonly Insn[], layout: ProgramLayout): boolean {
  if (layout.usesCallx || layout.helperIds.some((id) => MOVES_CTX_FIELDS.has(id) || id >= KFUNC_HELPER_BASE)) return false;
  if (prog.some((i) => (i.code & CLASS_MASK) === Class.JMP && (i.code & OP_MASK) === JmpOp.CALL && i.src === PseudoCall.KFUNC && !i.isLdImm64Tail)) return false;
  // An unverified program may store to its ctx (the verifier refuses any XDP ctx write): data moved so, as a run
  // through `run` or the per-frame dispatch moves it, not the burst copy's locals (a store of data + 14 through r1:
  // 46 bytes sent per frame, 60 in bursts). Such a store through a register known to hold the ctx keeps the loads.
  const entry = layout.subprograms.find((sp) => sp.entry === 0);
  if (!entry) return false;
  const held = ctxRegisters(prog, entry);
  for (const [pc, mask] of held) {
    const c = prog[pc]!.code & CLASS_MASK;
    if ((c === Class.ST || c === Class.STX) && !prog[pc]!.isLdImm64Tail && ((mask >> prog[pc]!.dst) & 1) !== 0) return false;
  }
  return true;
}

/**
 * Helpers whose fast-path code reads none of the xdp_buff's frame fields (hard_start, frame_end, data,
 * data_end, data_meta, frags_len) from the context area: map lookup / update / delete, ktime_get_ns,
 * get_prandom_u32, get_smp_processor_id, redirect, csum_diff, redirect_map, fib_lookup (it takes ctx and
 * reads nothing of it: assembly/net/fib_helper.ts). Not check_mtu (it reads data and data_end).
 */
const FRAME_BLIND_HELPERS: ReadonlySet<number> = new Set([1, 2, 3, 5, 7, 8, 23, 28, 51, 69]);

/**
 * Whether, in a program whose ctx fields are fixed (ctxFieldsFixed), nothing during a run but the entry's
 * own 4-byte ctx loads through the registers ctxRegisters finds (which the burst copy reads from its locals)
 * reads the frame fields from the context area: one subprogram, only FRAME_BLIND_HELPERS, and the ctx
 * never stored anywhere (a ctx spilled to the stack and filled back is a register ctxRegisters does not
 * follow, whose loads read the area). The burst loop then leaves those fields unwritten (emit.ts addBurst).
 */
export function ctxFramesUnread(prog: readonly Insn[], layout: ProgramLayout): boolean {
  if (layout.subprograms.length !== 1 || layout.usesCallx || !layout.helperIds.every((id) => FRAME_BLIND_HELPERS.has(id))) return false;
  if (prog.some((i) => (i.code & CLASS_MASK) === Class.JMP && (i.code & OP_MASK) === JmpOp.CALL && i.src !== 0 && !i.isLdImm64Tail)) return false;
  const entry = layout.subprograms[0]!;
  for (const [pc, mask] of ctxRegisters(prog, entry)) {
    const ins = prog[pc]!;
    if ((ins.code & CLASS_MASK) === Class.STX && !ins.isLdImm64Tail && ((mask >> ins.src) & 1) !== 0) return false;
  }
  return true;
}

const ALL = 0x7ff;

/** Slot -> the registers (bit r) holding the ctx before it, for every slot of `sp` reached from its entry. */
export function ctxRegisters(prog: readonly Insn[], sp: Subprogram): Map<number, number> {
  const step = (ins: Insn, held: number): number => {
    if ((ins.code & CLASS_MASK) === Class.JMP && (ins.code & OP_MASK) === JmpOp.CALL) return held & ~0x3f;
    if (ins.code === (Class.ALU64 | AluOp.MOV | Source.X) && ins.off === 0) {
      return (held & ~(1 << ins.dst)) | (((held >> ins.src) & 1) << ins.dst);
    }
    for (let r = 0; r <= 10; r++) if (writesRegister(ins, r)) held &= ~(1 << r);
    return held;
  };
  const next = (pc: number): number => pc + (prog[pc]!.code === OP_LDDW ? 2 : 1);
  const byStart = new Map(sp.blocks.map((b) => [b.start, b]));
  const atEntry = new Map<number, number>([[sp.entry, 1 << 1]]);
  const work = [sp.entry];
  while (work.length > 0) {
    const b = byStart.get(work.pop()!)!;
    let held = atEntry.get(b.start)!;
    for (let pc = b.start; pc < b.end; pc = next(pc)) held = step(prog[pc]!, held);
    const succ = b.term.kind === 'exit' ? [] : b.term.kind === 'goto' ? [b.term.target] : [b.term.target, b.term.next];
    for (const s of succ) {
      const before = atEntry.get(s) ?? ALL;
      const after = before & held;
      if (!atEntry.has(s) || after !== before) {
        atEntry.set(s, after);
        work.push(s);
      }
    }
  }
  const out = new Map<number, number>();
  for (const b of sp.blocks) {
    let held = atEntry.get(b.start);
    if (held === undefined) continue;
    for (let pc = b.start; pc < b.end; pc = next(pc)) {
      out.set(pc, held);
      held = step(prog[pc]!, held);
    }
  }
  return out;
}
