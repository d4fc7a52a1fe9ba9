// The verifier's dynptr rules (kernel/bpf/verifier.c: process_dynptr_func, mark_stack_slots_dynptr,
// destroy_if_dynptr_stack_slot, is_dynptr_reg_valid_init/uninit). A `struct bpf_dynptr` lives in two
// whole stack slots of the frame that declared it:
//
//   fp-16          fp-8           fp
//   | first slot   | second slot  |      both STACK_DYNPTR (Byte.DYNPTR), each with { type, first, id }
//
// Only a helper or kfunc argument of dynptr type creates one (bpf_dynptr_from_xdp, _from_mem, _clone);
// the program may not read its bytes ("invalid read from stack"), and any store into either slot
// destroys both (an XDP or local dynptr holds no reference) along with the bpf_dynptr_data slices taken
// from it. Slices of the packet (bpf_dynptr_slice(_rdwr) of an XDP dynptr) are PTR_TO_MEM |
// DYNPTR_TYPE_XDP: they die with the packet pointers when a helper moves the packet, not with the dynptr.

import type { Frame, Slot, State } from './state.js';
import { Byte } from './state.js';
import type { Reg } from './reg.js';
import { RegType } from './reg.js';
import type { VerifierErrno } from '../errors.js';

/** state.ts's STACK_SLOTS: the stack's 8-byte slots (state.ts imports this module, so it is not imported back). */
const STACK_SLOTS = 64;

/** enum bpf_dynptr_type (include/linux/bpf.h). */
export const enum DynptrType {
  INVALID = 0,
  LOCAL = 1,
  RINGBUF = 2,
  SKB = 3,
  XDP = 4,
}

/** What a STACK_DYNPTR slot records (the kernel's spilled_ptr.dynptr and id). */
export interface DynptrSlot {
  readonly type: DynptrType;
  /** The lower-addressed slot of the two (the kernel's first_slot). */
  readonly first: boolean;
  /** The dynptr's id: its bpf_dynptr_data slices carry it. */
  readonly id: number;
  /** A ringbuf dynptr's reference (ref_obj_id), shared by its clones: released by submit / discard. */
  readonly ref?: number;
}

const MAX_BPF_STACK = 512;
const TYPE_NAMES: Record<DynptrType, string> = { 0: 'invalid', 1: 'local', 2: 'ringbuf', 3: 'skb', 4: 'xdp' };

/** dynptr_type_str */
export function dynptrTypeName(t: DynptrType): string {
  return TYPE_NAMES[t] ?? 'unknown';
}

/**
 * stacksafe's STACK_DYNPTR case: the same kind of dynptr in the same place, holding the same reference
 * (check_ids on ref_obj_id); the dynptr's own id is not compared.
 */
export function dynptrSlotsSafe(old: DynptrSlot | undefined, cur: DynptrSlot | undefined, ids: (a: number, b: number) => boolean): boolean {
  if (!old) return true;
  return !!cur && old.type === cur.type && old.first === cur.first && ids(old.ref ?? 0, cur.ref ?? 0);
}

/** Refuse with the kernel's words; process_dynptr_func's refusals are EINVAL unless `errno` says otherwise. */
type Fail = (reason: string, errno?: VerifierErrno) => never;

/**
 * dynptr_get_spi: the index (in wxdp's numbering, 0 = fp-512) of the dynptr's first slot, or a
 * message. A dynptr sits at a constant, 8-byte-aligned offset with room for both slots.
 */
function dynptrSlot(reg: Reg): number | { message: string } {
  if (!reg.varOff.isConst) return { message: 'dynptr has to be at a constant offset' };
  const off = reg.off + Number(BigInt.asIntN(64, reg.varOff.value));
  if (off % 8 !== 0 || off > -16 || off < -MAX_BPF_STACK) return { message: `cannot pass in dynptr at an offset=${off}` };
  return (off + MAX_BPF_STACK) >> 3;
}

/** What a CONST_PTR_TO_DYNPTR register stands for: a dynptr of type SKB holding no reference. */
function constDynptrSlot(id: number): DynptrSlot {
  return { type: DynptrType.SKB, first: true, id, ref: 0 };
}

/** The dynptr a register points to, when it points at an initialised one (is_dynptr_reg_valid_init). */
export function dynptrAt(st: State, reg: Reg): DynptrSlot | undefined {
  // a global function's dynptr argument, whose id is the register's (dynptr_id). Its type is SKB:
  // 6.18.44-fc-v1252 logs it `dynptr_ptr(id=2,type=skb)`, and its bpf_dynptr_slice slices die when the
  // packet moves (bpf_xdp_adjust_head) or when bpf_dynptr_write writes through it (changes_data),
  // as a packet dynptr's do — the caller may pass one — where 6.18.35's do_check_common assumed LOCAL.
  if (reg.type === RegType.CONST_DYNPTR) return constDynptrSlot(reg.id);
  if (reg.type !== RegType.STACK) return undefined;
  const spi = dynptrSlot(reg);
  if (typeof spi !== 'number') return undefined;
  const f = st.frames[reg.frameno]!;
  const a = f.slot(spi)!;
  const b = f.slot(spi + 1)!;
  if (!a.dynptr?.first || !b.dynptr || b.dynptr.first) return undefined;
  if (!a.bytes.every((x) => x === Byte.DYNPTR) || !b.bytes.every((x) => x === Byte.DYNPTR)) return undefined;
  return a.dynptr;
}

/** The stack liveness's note of a slot written whole (bpf_mark_stack_write): frame, slot (0 = fp-512). */
export type SlotWritten = (frameno: number, spi: number) => void;

/**
 * destroy_if_dynptr_stack_slot: a write into slot `spi` of `frame` ends the dynptr there (both of its
 * slots become STACK_INVALID) and every bpf_dynptr_data slice of it (an unknown scalar from then on,
 * as mark_reg_invalid makes it for a privileged loader).
 */
export function destroyDynptrAt(st: State, frame: Frame, spi: number, fail: Fail, written?: SlotWritten): void {
  const s = frame.slot(spi);
  if (!s?.dynptr) return;
  if (s.dynptr.ref) fail('cannot overwrite referenced dynptr');
  const first = s.dynptr.first ? spi : spi - 1;
  const id = s.dynptr.id;
  const invalid: Slot = { bytes: [0, 0, 0, 0, 0, 0, 0, 0] };
  frame.setSlot(first, invalid);
  frame.setSlot(first + 1, invalid);
  written?.(frame.frameno, first);
  written?.(frame.frameno, first + 1);
  st.forEachReg(
    (o) => o.markUnknown(),
    (o) => o.type === RegType.MEM && o.dynptrId === id,
  );
}

/** Every dynptr whose slots overlap stack bytes [lo, hi) of `frame` (0 = fp-512) is destroyed. */
export function destroyDynptrsIn(st: State, frame: Frame, lo: number, hi: number, fail: Fail, written?: SlotWritten): void {
  for (let spi = lo >> 3; spi <= (hi - 1) >> 3 && spi < STACK_SLOTS; spi++) destroyDynptrAt(st, frame, spi, fail, written);
}

/**
 * process_dynptr_func for an argument that creates a dynptr (MEM_UNINIT): any dynptr already in the
 * two slots is destroyed and a new one of `type` (with a fresh id) takes its place.
 */
export function initDynptrArg(
  st: State,
  reg: Reg,
  regno: number,
  type: DynptrType,
  newId: () => number,
  fail: Fail,
  log: (s: string) => void,
  /** A refcounted type (ringbuf): takes the reference, after the dynptr's id (mark_stack_slots_dynptr). */
  acquire?: () => number,
  written?: SlotWritten,
): void {
  if (reg.type !== RegType.STACK && reg.type !== RegType.CONST_DYNPTR) fail(`R${regno} type=${reg.typeName()} expected=fp, dynptr_ptr`, 'EACCES'); // check_reg_type
  // is_dynptr_reg_valid_uninit: a const dynptr is an initialised one
  if (reg.type === RegType.CONST_DYNPTR) fail('Dynptr has to be an uninitialized dynptr');
  const spi = dynptrSlot(reg);
  if (typeof spi !== 'number') {
    log(spi.message);
    fail('Dynptr has to be an uninitialized dynptr');
  }
  const frame = st.frames[reg.frameno]!;
  destroyDynptrAt(st, frame, spi, fail, written);
  destroyDynptrAt(st, frame, spi + 1, fail, written);
  const id = newId();
  const ref = acquire?.();
  const bytes = [Byte.DYNPTR, Byte.DYNPTR, Byte.DYNPTR, Byte.DYNPTR, Byte.DYNPTR, Byte.DYNPTR, Byte.DYNPTR, Byte.DYNPTR];
  frame.setSlot(spi, { bytes, dynptr: { type, first: true, id, ref } });
  frame.setSlot(spi + 1, { bytes, dynptr: { type, first: false, id, ref } });
  written?.(frame.frameno, spi);
  written?.(frame.frameno, spi + 1);
}

/**
 * A release argument (bpf_ringbuf_submit_dynptr / _discard_dynptr): a referenced dynptr on the stack.
 * Its reference, and with it every dynptr sharing it (clones) and their slices, ends.
 */
export function releaseDynptrArg(st: State, reg: Reg, regno: number, fail: Fail, log: (s: string) => void, written?: SlotWritten): void {
  if (reg.type !== RegType.STACK) fail('cannot release unowned const bpf_dynptr');
  const spi = dynptrSlot(reg);
  const slot = typeof spi === 'number' ? st.frames[reg.frameno]!.slot(spi)! : undefined;
  if (typeof spi !== 'number') log(spi.message);
  if (!slot?.dynptr?.ref) fail(`arg ${regno} is an unacquired reference`);
  const d = useDynptrArg(st, reg, regno, fail, log, false);
  if (d.type !== DynptrType.RINGBUF) fail(`Expected a dynptr of type ringbuf as arg #${regno - 1}`);
  const ref = d.ref!;
  st.refs = st.refs.filter((r) => r.id !== ref);
  const invalid: Slot = { bytes: [0, 0, 0, 0, 0, 0, 0, 0] };
  for (const f of st.frames) {
    for (let i = 0; i < STACK_SLOTS; i++) {
      if (f.slot(i)!.dynptr?.ref !== ref) continue;
      f.setSlot(i, invalid);
      written?.(f.frameno, i);
    }
  }
  st.forEachReg(
    (o) => o.markUnknown(),
    (o) => o.refObjId === ref,
  );
}

/**
 * process_dynptr_func for an argument that uses an initialised dynptr: the argument number in the
 * message is the register's minus one, as the kernel prints it for helpers (R3 → #2) and kfuncs (arg i).
 */
export function useDynptrArg(st: State, reg: Reg, regno: number, fail: Fail, log: (s: string) => void, kfunc: boolean): DynptrSlot {
  if (reg.type === RegType.CONST_DYNPTR) {
    // check_func_arg_reg_off: the pointer as it was given (__check_ptr_off_reg)
    if (reg.off < 0) fail(`negative offset dynptr_ptr ptr R${regno} off=${reg.off} disallowed`, 'EACCES');
    if (reg.off) fail(`dereference of modified dynptr_ptr ptr R${regno} off=${reg.off} disallowed`, 'EACCES');
    if (!reg.varOff.isConst || reg.varOff.value !== 0n) fail(`variable dynptr_ptr access var_off=${reg.varOff.toString()} disallowed`, 'EACCES');
    return dynptrAt(st, reg)!;
  }
  if (reg.type !== RegType.STACK) {
    if (kfunc) fail(`arg#${regno - 1} expected pointer to stack or const struct bpf_dynptr`);
    fail(`R${regno} type=${reg.typeName()} expected=fp, dynptr_ptr`);
  }
  const d = dynptrAt(st, reg);
  if (!d) {
    const spi = dynptrSlot(reg);
    if (typeof spi !== 'number') log(spi.message);
    fail(`Expected an initialized dynptr as arg #${regno - 1}`);
  }
  return d;
}

/** The stack byte range [lo, hi) (0 = fp-512) of the dynptr a register points to, for liveness. */
export function dynptrSlots(reg: Reg): [number, number] | undefined {
  if (reg.type !== RegType.STACK) return undefined;
  const spi = dynptrSlot(reg);
  return typeof spi === 'number' ? [spi, spi + 1] : undefined;
}
