// Programs the kernel comparison (tests/verifier/fuzz_kernel.test.ts) found wxdp answering differently,
// minimised, each with what the kernel does and why. kernel_cases.json holds the kernel's answers
// (Linux 6.18), recorded by kernel_cases.test.ts with WXDP_RECORD_KERNEL_CASES=1.

import { insn, type Insn } from '../../src/isa/insn.js';
import type { FuzzProgType } from '../support/verifier_kernel.js';

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn[] => [insn(code, dst, src, off, imm)];
/** ld_imm64 of FUZZ_MAPS[idx] (BPF_PSEUDO_MAP_FD). */
const LDMAP = (dst: number, idx: number): Insn[] => [{ code: 0x18, dst, src: 1, off: 0, imm: idx, imm64: BigInt(idx) }, { code: 0, dst: 0, src: 0, off: 0, imm: 0, isLdImm64Tail: true }];
/** r0 = bpf_map_lookup_elem(fz_array, &(u32)0); if r0 == NULL return 0 — r0 is the map value after it. */
const LOOKUP: Insn[] = [...I(0x62, 10, 0, -8, 0), ...LDMAP(1, 0), ...I(0xbf, 2, 10), ...I(0x07, 2, 0, 0, -8), ...I(0x85, 0, 0, 0, 1), ...I(0x55, 0, 0, 2, 0), ...I(0xb7, 0, 0, 0, 0), ...I(0x95)];
const RET0 = [...I(0xb7, 0, 0, 0, 0), ...I(0x95)];

/** Instructions do_check refuses when it reaches them, by what is wrong with them. */
const DEAD_CODE: [string, Insn[]][] = [
  ['shift_32', I(0x64, 1, 0, 0, 32)],
  ['r10_written', I(0xb7, 10, 0, 0, 1)],
  ['div_by_imm_zero', I(0x37, 0, 0, 0, 0)],
  ['alu_reserved_off', I(0x07, 0, 0, 5, 1)],
  ['mov_reserved_src', I(0xb7, 0, 1, 0, 1)],
  ['neg_reserved_imm', I(0x87, 0, 0, 0, 1)],
  ['end_imm_17', I(0xd4, 0, 0, 0, 17)],
  ['ldx_into_r10', I(0x79, 10, 10, -8, 0)],
  ['st_reserved_src', I(0x7a, 10, 1, -8, 0)],
  ['stx_reserved_imm', I(0x7b, 10, 0, -8, 1)],
  ['atomic_byte', I(0xd3, 10, 0, -8, 0)],
  ['atomic_opcode_12', I(0xdb, 10, 0, -8, 0x12)],
  ['atomic_fetch_into_r10', I(0xdb, 10, 10, -8, 0x01)],
  ['ja_reserved_dst', I(0x05, 1, 0, 0, 0)],
  ['call_reserved_dst', I(0x85, 1, 0, 0, 7)],
  ['call_unknown_helper', I(0x85, 0, 0, 0, 9999)],
  ['jmp_reg_reserved_imm', I(0x1d, 0, 1, 0, 5)],
  ['jmp_imm_reserved_src', I(0x15, 0, 1, 0, 5)],
  ['sdiv_off_2', I(0x37, 0, 0, 2, 5)],
  ['movsx32_off_32', I(0xbc, 0, 1, 32, 0)],
  ['ld_abs', I(0x20, 0, 0, 0, 0)],
  ['r11_written', I(0xb7, 11, 0, 0, 1)],
  ['r11_read', I(0xbf, 0, 11, 0, 0)],
  // check_alu_op: the source read, a zero divisor, a shift out of range are refused before the write to r10
  // (random program seed 87123: `r10 = r2` of a clobbered r2 is "R2 !read_ok", wxdp said "frame pointer is read only")
  ['r10_from_unread_r2', I(0xbf, 10, 2)],
  ['w10_sx_from_unread_r2', I(0xbc, 10, 2, 8)],
  ['r10_div_by_imm_zero', I(0x37, 10, 0, 0, 0)],
  ['w10_shift_32', I(0x64, 10, 0, 0, 32)],
  ['ld_imm64_into_r10', [{ code: 0x18, dst: 10, src: 0, off: 0, imm: 1, imm64: 1n }, { code: 0, dst: 0, src: 0, off: 0, imm: 0, isLdImm64Tail: true }]],
];

/** ld_imm64 of a constant. */
const LDIMM = (dst: number, v: number): Insn[] => [{ code: 0x18, dst, src: 0, off: 0, imm: v | 0, imm64: BigInt(v) }, { code: 0, dst: 0, src: 0, off: 0, imm: 0, isLdImm64Tail: true }];

/** ALU32 ops on r0 (bpf_get_prandom_u32's unknown result; r1 a copy of it). */
const ALU32_UNKNOWN: [string, Insn[]][] = [
  ['mod_imm', I(0x94, 0, 0, 0, 16)],
  ['smod_imm', I(0x94, 0, 0, 1, 16)],
  ['div_imm', I(0x34, 0, 0, 0, 3)],
  ['sdiv_imm', I(0x34, 0, 0, 1, 3)],
  ['mod_reg', I(0x9c, 0, 1)],
  ['lsh_unknown_reg', I(0x6c, 0, 1)],
  ['and_imm', I(0x54, 0, 0, 0, 15)],
];

/** may_goto (BPF_JMP | BPF_JCOND, src BPF_MAY_GOTO): 0xe5 with the given fields. */
const MAY_GOTO = (off: number, dst = 0, src = 0, imm = 0): Insn[] => I(0xe5, dst, src, off, imm);

/** may_goto's forms and loops (check_cond_jmp_op, is_state_visited's may_goto convergence). */
const MAY_GOTO_CASES: KernelCase[] = [
  {
    name: 'may_goto_at_insn_0',
    why: 'a may_goto loop at the first instruction: do_check asks is_state_visited there on the first visit too (a forced checkpoint), so the iteration back at insn 0 is within it and pruned (wide random program seed 253: wxdp kept no checkpoint at insn 0 and walked the loop twice, 47 processed against 33)',
    insns: [...MAY_GOTO(3), ...I(0xb7, 8, 0, 0, 51), ...I(0xb7, 7, 0, 0, 5), ...I(0x05, 0, 0, -4, 0), ...I(0xb7, 0, 0, 0, 0), ...I(0x7, 0, 0, 0, 1), ...I(0x7, 0, 0, 0, 1), ...I(0x95)],
  },
  {
    name: 'may_goto_counter_loop',
    why: 'r0 = 0; loop: may_goto +2; r0 += 1; goto loop: r0 is imprecise, so the fall-through is widened against the previous iteration\'s checkpoint (widen_imprecise_scalars) and the next may_goto, one depth deeper, is within it (RANGE_WITHIN): accepted in a few iterations',
    insns: [...I(0xb7, 0, 0, 0, 0), ...MAY_GOTO(2), ...I(0x07, 0, 0, 0, 1), ...I(0x05, 0, 0, -3, 0), ...I(0x95)],
  },
  {
    name: 'may_goto_zero_offset',
    why: '`may_goto +0` (allowed since "bpf: Allow may_goto 0 instruction"): both ways lead to the next instruction',
    insns: [...I(0xb7, 0, 0, 0, 0), ...MAY_GOTO(0), ...I(0x95)],
  },
  {
    name: 'may_goto_precise_counter',
    why: 'the counter addresses the stack (a read at fp - 8 + (r0 & 7)): r0 is precise, every iteration differs, and with each iteration leaving one path (`if r6 == r0`, r6 random) the walk ends at 8192 pending paths',
    insns: [...I(0x7a, 10, 0, -8, 0), ...I(0x85, 0, 0, 0, 7), ...I(0xbf, 6, 0), ...I(0xb7, 0, 0, 0, 0), ...MAY_GOTO(9), ...I(0xbf, 1, 0), ...I(0x57, 1, 0, 0, 7), ...I(0xbf, 2, 10), ...I(0x07, 2, 0, 0, -8), ...I(0x0f, 2, 1), ...I(0x71, 3, 2, 0), ...I(0x1d, 6, 0, 2, 0), ...I(0x07, 0, 0, 0, 1), ...I(0x05, 0, 0, -10, 0), ...I(0x95)],
  },
  {
    name: 'may_goto_in_subprog',
    why: 'a may_goto loop in a subprogram called twice: each call\'s loop converges on its own (find_prev_entry looks at checkpoints from the same callsites)',
    insns: [...I(0x85, 0, 1, 0, 4), ...I(0xbf, 6, 0), ...I(0x85, 0, 1, 0, 2), ...I(0x0f, 0, 6), ...I(0x95), ...I(0xb7, 0, 0, 0, 0), ...MAY_GOTO(2), ...I(0x07, 0, 0, 0, 1), ...I(0x05, 0, 0, -3, 0), ...I(0x95)],
  },
  {
    name: 'may_goto_full_stack',
    why: 'a function using all 512 bytes of stack with a may_goto: the hidden counter slot do_misc_fixups adds below it comes after check_max_stack_depth, and a JIT-requested program is not refused for it',
    insns: [...I(0x7a, 10, 0, -512, 0), ...I(0xb7, 0, 0, 0, 0), ...MAY_GOTO(0), ...I(0x95)],
  },
  {
    name: 'may_goto_imm_set',
    why: 'check_cond_jmp_op: a may_goto with imm set is refused when reached (-EINVAL), with imm in the message',
    insns: [...I(0xb7, 0, 0, 0, 0), ...MAY_GOTO(0, 0, 0, 5), ...I(0x95)],
  },
  {
    name: 'may_goto_src_set',
    why: 'BPF_JCOND with src_reg other than BPF_MAY_GOTO: the same message, imm 0',
    insns: [...I(0xb7, 0, 0, 0, 0), ...MAY_GOTO(0, 0, 1, 0), ...I(0x95)],
  },
  {
    name: 'may_goto_dst_set',
    why: 'BPF_JCOND with a dst_reg: the same message (dst is not a register here; r11 is not refused as one)',
    insns: [...I(0xb7, 0, 0, 0, 0), ...MAY_GOTO(0, 11, 0, 0), ...I(0x95)],
  },
  {
    name: 'may_goto_bad_in_dead_code',
    why: 'the same malformed may_goto where the walk never reaches it: accepted (sanitize_dead_code)',
    insns: [...I(0xb7, 0, 0, 0, 0), ...I(0x15, 0, 0, 1, 0), ...MAY_GOTO(0, 0, 0, 5), ...I(0x95)],
  },
  {
    name: 'jcond_jmp32',
    why: 'BPF_JMP32 | BPF_JCOND is not in the kernel\'s instruction table: refused at load time',
    insns: [...I(0xb7, 0, 0, 0, 0), ...I(0x05, 0, 0, 1, 0), ...I(0xe6, 0, 0, 0, 0), ...I(0x95)],
  },
  {
    name: 'jcond_reg_source',
    why: 'BPF_JMP | BPF_JCOND | BPF_X (0xed) is not in it either',
    insns: [...I(0xb7, 0, 0, 0, 0), ...I(0x05, 0, 0, 1, 0), ...I(0xed, 0, 0, 0, 0), ...I(0x95)],
  },
];

/** r6 = r7 = a value of fz_lock (map 2, a bpf_spin_lock at 4) looked up with key 0 (NULL-checked). */
const LOCK_LOOKUP = (reg: number): Insn[] => [...I(0x62, 10, 0, -4, 0), ...LDMAP(1, 2), ...I(0xbf, 2, 10), ...I(0x07, 2, 0, 0, -4), ...I(0x85, 0, 0, 0, 1), ...I(0x55, 0, 0, 2, 0), ...RET0, ...I(0xbf, reg, 0)];
/**
 * `if r0 s> 5` over the first path's r7 = r6 and seven more instructions, one a call: where the paths
 * meet, the first has made two jumps and eight instructions since the jump, and gets a checkpoint
 * (add_new_state).
 */
const FORK_R7_IS_R6 = [...I(0x85, 0, 0, 0, 7), ...I(0x65, 0, 0, 8, 5), ...I(0xbf, 7, 6), ...I(0x85, 0, 0, 0, 7), ...I(0xb7, 8, 0, 0, 0), ...I(0xb7, 8, 0, 0, 0), ...I(0xb7, 8, 0, 0, 0), ...I(0xb7, 8, 0, 0, 0), ...I(0xb7, 8, 0, 0, 0), ...I(0xb7, 8, 0, 0, 0)];

/** regsafe's check_ids on map values: a value of a map with a bpf_spin_lock keeps its id after the NULL check. */
const LOCKED_VALUE_IDS: KernelCase[] = [
  {
    name: 'locked_value_ids_compared',
    why: 'r6 and r7 are values of a map with a bpf_spin_lock (ids kept: reg_may_point_to_spin_lock); on the first path r7 = r6, on the second r7 is another lookup\'s. Where they meet, regsafe compares PTR_TO_MAP_VALUE ids with check_ids whether or not the pointer may be NULL: r6 and r7 share an id in the old state and not in the current one, so the second path is walked, and `bpf_spin_unlock(r7)` after `bpf_spin_lock(r6)` is another lock\'s (wxdp compared ids only while NULL was possible, pruned the path and accepted)',
    insns: [...LOCK_LOOKUP(6), ...LOCK_LOOKUP(7), ...FORK_R7_IS_R6, ...I(0xbf, 1, 6), ...I(0x07, 1, 0, 0, 4), ...I(0x85, 0, 0, 0, 93), ...I(0xbf, 1, 7), ...I(0x07, 1, 0, 0, 4), ...I(0x85, 0, 0, 0, 94), ...RET0],
  },
  {
    name: 'locked_value_same_lock',
    why: 'the control: both paths lock and unlock r6',
    insns: [...LOCK_LOOKUP(6), ...LOCK_LOOKUP(7), ...FORK_R7_IS_R6, ...I(0xbf, 1, 6), ...I(0x07, 1, 0, 0, 4), ...I(0x85, 0, 0, 0, 93), ...I(0xbf, 1, 6), ...I(0x07, 1, 0, 0, 4), ...I(0x85, 0, 0, 0, 94), ...RET0],
  },
];

/** r2 = data, r3 = data_end, r4 = data + 14. */
const PKT14 = [...I(0x61, 2, 1, 0), ...I(0x61, 3, 1, 4), ...I(0xbf, 4, 2), ...I(0x07, 4, 0, 0, 14)];
/** A stack read of fp + 8: refused wherever the walk reaches it. */
const BAD = [...I(0x79, 0, 10, 8), ...I(0x95)];

/**
 * An atomic fetch from the stack (check_atomic_rmw): the fetched value is what its second
 * check_mem_access loads, a spilled register as a fill would, or zeros as zeros; the slot is data after.
 * Each case then asks `if rX != K` of what the kernel knows and reads the stack past fp when it is taken
 * (wide random program seed 166: `r4 = atomic64_xchg((u64 *)(r10 - 64), r4)` of a spilled 0 made r4
 * unknown in wxdp, the count of a bpf_loop after it [0, 7] rather than 0, and its callback walked).
 */
const STACK_ATOMIC_FETCH: KernelCase[] = [
  ['xchg_spilled_zero', [...I(0xb7, 1), ...I(0x7b, 10, 1, -8), ...I(0xb7, 4, 0, 0, 5), ...I(0xdb, 10, 4, -8, 0xe1), ...I(0x55, 4, 0, 2, 0)], 'xchg of a spilled 0 fetches 0'],
  ['fetch_add_w_spilled_7', [...I(0xb7, 1, 0, 0, 7), ...I(0x7b, 10, 1, -8), ...I(0xb7, 4, 0, 0, 5), ...I(0xc3, 10, 4, -8, 0x01), ...I(0x55, 4, 0, 2, 7)], 'a 4-byte fetch_add of the low half of a spilled 7 fetches 7 (a narrow fill)'],
  ['cmpxchg_spilled_zero', [...I(0xb7, 1), ...I(0x7b, 10, 1, -8), ...I(0xb7, 4, 0, 0, 5), ...I(0xb7, 0, 0, 0, 3), ...I(0xdb, 10, 4, -8, 0xf1), ...I(0x55, 0, 0, 2, 0)], 'cmpxchg fetches a spilled 0 into r0'],
  ['fetch_add_zeroed_slot', [...I(0x7a, 10, 0, -8, 0), ...I(0xb7, 4, 0, 0, 5), ...I(0xdb, 10, 4, -8, 0x01), ...I(0x55, 4, 0, 2, 0)], 'fetch_add of a slot of zeros (STACK_ZERO) fetches 0'],
  ['fetch_or_w_upper_half_of_spilled_zero', [...I(0xb7, 1), ...I(0x7b, 10, 1, -8), ...I(0xb7, 4, 0, 0, 5), ...I(0xc3, 10, 4, -4, 0x41), ...I(0x55, 4, 0, 2, 0)], 'a 4-byte fetch_or of the upper half of a spilled 0 fetches 0 (spilled bytes of a 0)'],
  ['xchg_twice', [...I(0xb7, 1), ...I(0x7b, 10, 1, -8), ...I(0xb7, 4, 0, 0, 5), ...I(0xdb, 10, 4, -8, 0xe1), ...I(0xdb, 10, 4, -8, 0xe1), ...I(0x55, 4, 0, 2, 5)], 'the first xchg leaves data (STACK_MISC) in the slot, not its 5: the second fetches an unknown value and `if r4 != 5` is walked'],
].map(([name, insns, why]) => ({ name: `atomic_${name as string}`, why: why as string, insns: [...(insns as Insn[]), ...RET0, ...BAD] }));

/** r3 = prandom & 15 and a zeroed fp-8; `pad` moves of r8 (for the checkpoint heuristics) around a compare. */
const FETCH_PRUNE = (before: number, after: number): Insn[] => [
  ...I(0x85, 0, 0, 0, 7), ...I(0x57, 0, 0, 0, 15), ...I(0xbf, 3), ...I(0x7a, 10, 0, -8, 0),
  ...Array.from({ length: before }, () => I(0xb7, 8)).flat(), ...I(0x25, 3, 0, after, 7), ...Array.from({ length: after }, () => I(0xb7, 8)).flat(),
  ...I(0xdb, 10, 3, -8, 0x01), ...I(0x25, 3, 0, 2, 100), ...RET0, ...BAD,
];

/**
 * 6.18.44 backtracks an atomic fetch as a load (probed): `r3 = atomic64_fetch_add((u64 *)(r10 - 8), r3)`
 * of a zeroed slot, then `if r3 > 100` (decided: r3 is 0) makes the slot precise, not the r3 added,
 * so the second path to the fetch (r3 in [8, 15] against [0, 7]) is pruned (wide random program seed
 * 5498; wxdp followed r3 past the fetch and walked it: 17 processed against 14, 21 against 18).
 */
const ATOMIC_FETCH_BACKTRACK: KernelCase[] = [
  { name: 'atomic_fetch_backtracks_as_load', why: 'the compare right before the fetch', insns: FETCH_PRUNE(4, 0) },
  { name: 'atomic_fetch_backtracks_as_load_branch', why: 'the compare skipping 8 instructions to the fetch', insns: FETCH_PRUNE(0, 8) },
];

/**
 * A fetch follows the stack slot it read back to its store only where the read is a fill (the spilled
 * register whole or narrowed, or its 0): an 8-byte fetch_and of a 2-byte spill of r3 reads spilled and
 * uninitialised bytes, an unknown value; the map value offset made of it is precise, not the spill, so
 * r3 stays imprecise in the checkpoint at 16 (its store) and the path with r3 in [8, 15] is pruned there
 * (wide random program seed 5524: wxdp followed the fetch into the spill, 138 processed against 124).
 */
const FETCH_OF_PARTIAL_SPILL: Insn[] = [
  ...I(0x85, 0, 0, 0, 7), ...I(0x57, 0, 0, 0, 15), ...I(0xbf, 3), ...Array.from({ length: 4 }, () => I(0xb7, 8)).flat(),
  ...I(0x25, 3, 0, 8, 7), ...Array.from({ length: 8 }, () => I(0xb7, 8)).flat(),
  ...I(0x6b, 10, 3, -16), ...I(0xb7, 1), ...I(0xdb, 10, 1, -16, 0x51), ...I(0x57, 1, 0, 0, 7), ...I(0xbf, 6, 1),
  ...LOOKUP, ...I(0x0f, 0, 6), ...I(0x72, 0, 0, 0, 1), ...RET0,
];

/** `r1 = count; r2 = callback (ld_imm64 of a function, `at` instructions on); r3 = 0; r4 = flags; call bpf_loop`. */
const BPF_LOOP = (count: number, at: number, flags = 0): Insn[] => [
  ...I(0xb7, 1, 0, 0, count), { code: 0x18, dst: 2, src: 4, off: 0, imm: at, imm64: BigInt(at) }, { code: 0, dst: 0, src: 0, off: 0, imm: 0, isLdImm64Tail: true },
  ...I(0xb7, 3), ...I(0xb7, 4, 0, 0, flags), ...I(0x85, 0, 0, 0, 181),
];
/** `call pc+off`. */
const CALL = (off: number): Insn[] => I(0x85, 0, 1, 0, off);

/**
 * jit_subprogs after the dead code is gone: a bpf_loop of count 0 never has its callback walked, so the
 * callback is removed as dead code, and its reference (the ld_imm64, and the inlined loop's call) keeps
 * pointing where it started. Refused (EFAULT, "verifier bug: No program to jit at insn N (subprog < 0)")
 * when that is no subprogram's start and more than one subprogram is left; N counts the instructions of
 * the rewritten program (random programs: about one wide program in 150, e.g. wide seeds 15014, 15613).
 */
const JIT_SUBPROGS: KernelCase[] = [
  {
    name: 'jit_dead_callback_last',
    why: 'main, a function it calls, the callback last: the reference points past the program; the inlined bpf_loop (19 instructions for its call) moves it by 18: insn 29',
    insns: [...BPF_LOOP(0, 9), ...CALL(2), ...RET0, ...RET0, ...RET0],
  },
  {
    name: 'jit_dead_callback_not_inlined',
    why: 'the same with flags 1: not fit for inlining, the reference points at insn 11, past the program',
    insns: [...BPF_LOOP(0, 9, 1), ...CALL(2), ...RET0, ...RET0, ...RET0],
  },
  {
    name: 'jit_dead_callback_before_function',
    why: 'the callback before the called function: once it is removed the reference points at that function\'s start, a subprogram: accepted',
    insns: [...BPF_LOOP(0, 7), ...CALL(4), ...RET0, ...RET0, ...RET0],
  },
  {
    name: 'jit_dead_callback_only_function',
    why: 'main and the callback alone: one subprogram is left and jit_subprogs returns before it looks: accepted',
    insns: [...BPF_LOOP(0, 6), ...RET0, ...RET0],
  },
  {
    name: 'jit_dead_callback_after_live_one',
    why: 'a bpf_loop of count 1 and one of count 0, their callbacks in that order: the second removed, its reference points past the program, both calls inlined: insn 52',
    insns: [...BPF_LOOP(1, 12), ...BPF_LOOP(0, 8), ...RET0, ...RET0, ...RET0],
  },
  {
    name: 'jit_dead_callback_rewrites',
    why: 'N counts each rewrite before it: an XDP ingress_ifindex load (3 instructions), an array and a hash map lookup (7, 3), a 32-bit cmpxchg (and its zero extension), a division by a register (4), get_smp_processor_id (3), a may_goto (7, and 2 stores at the function\'s start), a branch whose other way is dead (hard-wired, then a nop removed with the dead instruction), the inlined bpf_loop (19): insn 80',
    insns: [
      ...I(0xbf, 6, 1), ...I(0x61, 2, 6, 12),
      ...I(0x62, 10, 0, -8, 0), ...LDMAP(1, 0), ...I(0xbf, 2, 10), ...I(0x07, 2, 0, 0, -8), ...I(0x85, 0, 0, 0, 1),
      ...I(0x7a, 10, 0, -16, 0), ...LDMAP(1, 1), ...I(0xbf, 2, 10), ...I(0x07, 2, 0, 0, -16), ...I(0x85, 0, 0, 0, 1),
      ...I(0xb7, 0), ...I(0xb7, 1), ...I(0x7a, 10, 0, -24, 0), ...I(0xc3, 10, 1, -24, 0xf1),
      ...I(0xb7, 3, 0, 0, 5), ...I(0xb7, 4, 0, 0, 7), ...I(0x3f, 4, 3), ...I(0x85, 0, 0, 0, 8),
      ...I(0xb7, 9, 0, 0, 2), ...MAY_GOTO(2), ...I(0x17, 9, 0, 0, 1), ...I(0x55, 9, 0, -3, 0),
      ...I(0xb7, 3, 0, 0, 5), ...I(0x15, 3, 0, 1, 5), ...I(0xb7, 0, 0, 0, 1),
      ...BPF_LOOP(0, 9), ...CALL(2), ...RET0, ...RET0, ...RET0,
    ],
  },
];

/**
 * mark_pkt_end: where a packet pointer compared with the end is past it (`>`) or at it (`>=`), its range
 * says so (BEYOND_PKT_END, AT_PKT_END) and is_pkt_ptr_branch_taken decides its next compare with the end.
 * Each program: `first` from r4 = data + 14 to the second compare, whose untaken side is the bad read.
 */
const PKT_END_MARKS: KernelCase[] = [
  {
    name: 'pkt_beyond_end_decides_gt',
    why: '`if r4 > r3` (data + 14 > data_end) marks the jump\'s r4 BEYOND_PKT_END, so a second `if r4 > r3` there is always taken and its fall-through (a bad read) never walked',
    insns: [...PKT14, ...I(0x2d, 4, 3, 2), ...RET0, ...I(0x2d, 4, 3, 2), ...BAD, ...RET0],
  },
  {
    name: 'pkt_end_below_pkt_decides',
    why: 'the same with pkt_end on the left: `if r3 < r4` marks r4 past the end (flip_opcode), and `if r3 >= r4` after it is never taken',
    insns: [...PKT14, ...I(0xad, 3, 4, 2), ...RET0, ...I(0x3d, 3, 4, 2), ...RET0, ...BAD],
  },
  {
    name: 'pkt_at_end_decides_lt',
    why: '`if r4 >= r3` marks r4 AT_PKT_END, and `if r4 < r3` there is never taken',
    insns: [...PKT14, ...I(0x3d, 4, 3, 2), ...RET0, ...I(0xad, 4, 3, 2), ...RET0, ...BAD],
  },
  {
    name: 'pkt_at_end_leaves_gt_open',
    why: 'the control: at the end is not past it, so `if r4 > r3` after `if r4 >= r3` is walked both ways, to the bad read',
    insns: [...PKT14, ...I(0x3d, 4, 3, 2), ...RET0, ...I(0x2d, 4, 3, 2), ...BAD, ...RET0],
  },
  {
    name: 'pkt_end_mark_on_register_only',
    why: 'mark_pkt_end marks the compared register, not its copies (r5 = r4 before the compare): `if r5 > r3` is walked both ways',
    insns: [...PKT14, ...I(0xbf, 5, 4), ...I(0x2d, 4, 3, 2), ...RET0, ...I(0x2d, 5, 3, 2), ...BAD, ...RET0],
  },
];

export interface KernelCase {
  name: string;
  why: string;
  insns: Insn[];
  /** The program type (the loader's -t): XDP unless named. */
  type?: FuzzProgType;
}

export const KERNEL_CASES: KernelCase[] = [
  {
    name: 'atomic_map_value_misaligned',
    why: 'check_atomic_rmw passes strict_alignment_once: an atomic add at map value + 4, 8 bytes wide, is misaligned on any platform',
    insns: [...LOOKUP, ...I(0xb7, 1, 0, 0, 1), ...I(0xdb, 0, 1, 4, 0), ...RET0],
  },
  {
    name: 'atomic_map_value_aligned',
    why: 'the same at map value + 8 is aligned',
    insns: [...LOOKUP, ...I(0xb7, 1, 0, 0, 1), ...I(0xdb, 0, 1, 8, 0), ...RET0],
  },
  {
    name: 'atomic_scalar_misaligned',
    why: 'an atomic through the scalar 5: check_ptr_alignment (no pointer_desc) refuses it before check_mem_access sees a scalar',
    insns: [...I(0xb7, 0, 0, 0, 5), ...I(0xb7, 2, 0, 0, 1), ...I(0xdb, 0, 2, 0, 0), ...I(0x95)],
  },
  {
    name: 'atomic_unknown_scalar',
    why: 'the same through an unknown 32-bit scalar: its var_off is printed as a tnum',
    insns: [...I(0x61, 0, 1, 12), ...I(0xb7, 2, 0, 0, 1), ...I(0xdb, 0, 2, 0, 0), ...I(0x95)],
  },
  {
    name: 'atomic_stack_misaligned',
    why: 'an atomic at fp-16+4: the stack is always strict',
    insns: [...I(0x7a, 10, 0, -8, 0), ...I(0x7a, 10, 0, -16, 0), ...I(0xbf, 1, 10), ...I(0x07, 1, 0, 0, -16), ...I(0xb7, 2, 0, 0, 1), ...I(0xdb, 1, 2, 4, 0), ...RET0],
  },
  {
    name: 'stack_misaligned_above_fp',
    why: 'a store at fp+4, 8 bytes: check_mem_access checks the alignment before the stack bounds',
    insns: [...I(0x7a, 10, 0, 4, 0), ...RET0],
  },
  {
    name: 'atomic_cmpxchg_through_r0',
    why: 'cmpxchg marks r0 (its fetch destination) unknown before the accesses: through r0 = 0 it is a misaligned access of an unknown scalar',
    insns: [...I(0x7a, 10, 0, -8, 0), ...I(0xb7, 0, 0, 0, 0), ...I(0xb7, 9, 0, 0, 1), ...I(0xdb, 0, 9, 0, 0xf1), ...RET0],
  },
  {
    name: 'atomic_fetch_add_through_src',
    why: 'r1 = atomic_fetch_add(*(u64 *)(r1 + 0), r1): the fetch destination r1 is unknown before the access through it',
    insns: [...I(0x7a, 10, 0, -8, 0), ...I(0xbf, 1, 10), ...I(0x07, 1, 0, 0, -8), ...I(0xdb, 1, 1, 0, 1), ...RET0],
  },
  {
    name: 'atomic_xchg_stack',
    why: 'xchg through fp-8 into another register: accepted',
    insns: [...I(0x7a, 10, 0, -8, 0), ...I(0xbf, 1, 10), ...I(0x07, 1, 0, 0, -8), ...I(0xb7, 2, 0, 0, 7), ...I(0xdb, 1, 2, 0, 0xe1), ...I(0xbf, 0, 2), ...I(0x95)],
  },
  ...DEAD_CODE.flatMap(([name, bad]): KernelCase[] => [
    {
      name: `dead_${name}`,
      why: 'do_check checks an instruction\'s fields only where its walk reaches it: in a branch never taken (r0 is 0) the kernel accepts it, and sanitize_dead_code replaces it',
      insns: [...I(0xb7, 0, 0, 0, 0), ...I(0x7a, 10, 0, -8, 0), ...I(0x15, 0, 0, bad.length, 0), ...bad, ...I(0x95)],
    },
    {
      name: `live_${name}`,
      why: 'the same instruction reached',
      insns: [...I(0xb7, 0, 0, 0, 0), ...I(0x7a, 10, 0, -8, 0), ...I(0xb7, 1, 0, 0, 0), ...bad, ...I(0x95)],
    },
  ]),
  {
    name: 'subprog_returns_caller_stack',
    why: 'a subprogram returning the caller\'s stack pointer (r1 = fp-8): prepare_func_exit refuses every PTR_TO_STACK r0, the caller\'s too',
    insns: [...I(0x7a, 10, 0, -8, 0), ...I(0xbf, 1, 10), ...I(0x07, 1, 0, 0, -8), ...I(0x85, 0, 1, 0, 2), ...I(0xb7, 0, 0, 0, 0), ...I(0x95), ...I(0xbf, 0, 1), ...I(0x95)],
  },
  {
    name: 'smp_processor_id_bounded',
    why: 'do_refine_retval_range: bpf_get_smp_processor_id returns at most nr_cpu_ids - 1 (1 on the 2-CPU machine of the recording), so `if r0 > 1` is never taken and its branch is never walked',
    insns: [...I(0x85, 0, 0, 0, 8), ...I(0x25, 0, 0, 2, 1), ...I(0xb7, 0, 0, 0, 0), ...I(0x95), ...I(0xb7, 0, 0, 0, 1), ...I(0x95)],
  },
  {
    name: 's64_across_sign_boundary',
    why: 'r7 in [-255, 0]; after `if r7 > 0` (unsigned) it is in [1, U64_MAX] too: __reg64_deduce_bounds (Linux 6.17) makes its s64 range [-255, -1], so `if r7 s> -1` is never taken',
    insns: [...I(0xb7, 0, 0, 0, 0), ...I(0x61, 7, 1, 12), ...I(0x57, 7, 0, 0, 255), ...I(0x17, 7, 0, 0, 255), ...I(0x25, 7, 0, 1, 0), ...I(0x95), ...I(0x65, 7, 0, 1, -1), ...I(0x95), ...I(0xb7, 0, 0, 0, 1), ...I(0x95)],
  },
  {
    name: 'compare_register_with_itself',
    why: 'r7 in [-255, 0]; `if r7 <= r7`: the kernel walks the fall-through too, with r7 narrowed as if compared with another register holding the same range ([umin + 1, umax - 1]: -255..-2), so `if r7 s> -2` after it is never taken',
    insns: [...I(0xb7, 0, 0, 0, 0), ...I(0x61, 7, 1, 12), ...I(0x57, 7, 0, 0, 255), ...I(0x17, 7, 0, 0, 255), ...I(0xbd, 7, 7, 3, 0), ...I(0x65, 7, 0, 1, -2), ...I(0x95), ...I(0xb7, 0, 0, 0, 1), ...I(0x95)],
  },
  {
    name: 'ldsx_s32_bounds',
    why: 'r2 = (s8)ingress_ifindex, loaded back from the stack, is in [-128, 127] at 32 bits too (coerce_reg_to_size_sx sets both): `if w2 s>= -1000` is always taken',
    insns: [...I(0x61, 3, 1, 12), ...I(0x7b, 10, 3, -8), ...I(0x91, 2, 10, -8), ...I(0x76, 2, 0, 2, -1000), ...I(0xb7, 0, 0, 0, 1), ...I(0x95), ...I(0xb7, 0, 0, 0, 2), ...I(0x95)],
  },
  {
    name: 'callx',
    why: 'BPF_CALL|BPF_X is not in the kernel\'s instruction table: refused at load time, reached or not',
    insns: [...I(0xb7, 0, 0, 0, 0), ...I(0x15, 0, 0, 1, 0), ...I(0x8d), ...I(0x95)],
  },
  {
    name: 'jset_same_register_nonzero',
    why: 'w0 has bit 30 known set (prandom | 0x40000000); `if w0 & w0` is decided by is_scalar_branch_taken only against a constant, so the kernel walks the fall-through and refuses its stack read (random program seed 253: processed 76 against 74)',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0x44, 0, 0, 0, 0x40000000), ...I(0x4e, 0, 0, 2, 0), ...I(0x79, 0, 10, 8), ...I(0x95), ...I(0xb7, 0, 0, 0, 1), ...I(0x95)],
  },
  {
    name: 'jset_constant_bit_known',
    why: 'the control: `if w0 & 0x40000000` of the same w0 is always taken (the fall-through and its bad read never walked)',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0x44, 0, 0, 0, 0x40000000), ...I(0x46, 0, 0, 2, 0x40000000), ...I(0x79, 0, 10, 8), ...I(0x95), ...I(0xb7, 0, 0, 0, 1), ...I(0x95)],
  },
  {
    name: 'jump_leaves_constant_tnum',
    why: 'r0 = prandom & 0x78000000, not 0: [1, 0x78000000]; `if r0 s< 9` is open to is_branch_taken, and its jump narrows r0 to [1, 8] with a tnum of 0 — crossed bounds __update_reg64_bounds\' single-value rule makes the constant 0, so the kernel walks the jump and refuses its stack read (random program seed 835: processed 56 against 55, wxdp had taken the crossing for a dead branch)',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0x57, 0, 0, 0, 0x78000000), ...I(0x15, 0, 0, 2, 0), ...I(0xc5, 0, 0, 3, 9), ...I(0x95), ...I(0xb7, 0, 0, 0, 0), ...I(0x95), ...I(0x79, 0, 10, 8), ...I(0x95)],
  },
  {
    name: 'jne_decided_by_s32_ranges',
    why: 'r0 in [0, 0xffffffff] with s32 >= -100 against r1 = 0xffffff00 (s32 -256): the 64-bit ranges meet, the s32 ones do not, and is_scalar_branch_taken decides the 64-bit `if r0 != r1` by them — the fall-through and its stack read are never walked (random program seed 2360)',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0xc6, 0, 0, 5, -100), ...LDIMM(1, 0xffffff00), ...I(0x5d, 0, 1, 2, 0), ...I(0x79, 0, 10, 8), ...I(0x95), ...I(0xb7, 0, 0, 0, 0), ...I(0x95)],
  },
  {
    name: 'self_compare_invariant_violation',
    why: 'r0 in [0xfae55f73, 0xfae55f74] (var_off (0xfae55f70; 0x7), s32 negative); `if r0 s< r0` narrows the jump\'s r0 to s64 [0xfae55f74, 0xfae55f73]: no rule of reg_bounds_sync un-crosses it, so reg_bounds_sanity_check logs a REG INVARIANTS VIOLATION and forgets the bounds, and `if r0 == 0xfae55f74` is walked both ways — to the stack read (random program seed 1924; wxdp made r0 the constant 0xfae55f74)',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0x57, 0, 0, 0, 1), ...LDIMM(1, 0xfae55f73), ...I(0x0f, 0, 1), ...I(0xcd, 0, 0, 2, 0), ...I(0xb7, 0, 0, 0, 0), ...I(0x95), ...LDIMM(1, 0xfae55f74), ...I(0x1d, 0, 1, -4, 0), ...I(0x79, 0, 10, 8), ...I(0x95)],
  },
  ...([['40001', 40001], ['65536', 65536], ['minus_3', -3]] as const).map(([name, k]): KernelCase => ({
    name: `misaligned_constant_${name}`,
    why: 'an atomic AND through the constant r0 + 9: check_generic_ptr_alignment prints the constant as the log prints unsigned numbers — decimal up to U16_MAX, else hex of its 64 bits (random program seed 2086: 0x46cb01ab, wxdp printed 1187709355)',
    insns: [...I(0xb7, 0, 0, 0, k), ...I(0xdb, 0, 0, 9, 0x50), ...I(0x95)],
  })),
  {
    name: 'ctx_store_through_moved_pointer',
    why: 'a store through ctx + 2: check_ptr_off_reg refuses the moved pointer before check_ctx_access sees the store (random program seed 1019; wxdp said invalid bpf_context access)',
    insns: [...I(0x07, 1, 0, 0, 2), ...I(0xb7, 0, 0, 0, 0), ...I(0x7b, 1, 0, -1, 0), ...I(0x95)],
  },
  {
    name: 'ctx_load_below_ctx',
    why: 'a load through ctx - 8 (+ 8): __check_ptr_off_reg\'s own message for a negative offset',
    insns: [...I(0x07, 1, 0, 0, -8), ...I(0x61, 0, 1, 8, 0), ...I(0x95)],
  },
  {
    name: 'mov32_links_u32_scalar',
    why: 'w2 = w0 of a u32 ctx field: a source that fits in 32 bits (get_reg_width) is copied whole and linked (assign_scalar_id_before_mov), so `if w2 <= 100` narrows r0 too and `if r0 s> 100` is always taken — the stack read after it never walked (random program seed 1719: wxdp walked it and refused an earlier map value read)',
    insns: [...I(0x61, 0, 1, 12), ...I(0xbc, 2, 0), ...I(0xb6, 2, 0, 3, 100), ...I(0x65, 0, 0, 2, 100), ...I(0x79, 0, 10, 8), ...I(0x95), ...I(0xb7, 0, 0, 0, 0), ...I(0x95)],
  },
  {
    name: 'mov32_wide_source_unlinked',
    why: 'the control: bpf_get_prandom_u32\'s r0 is an unknown 64-bit scalar to the verifier, w2 = w0 does not link them, and the stack read is walked',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0xbc, 2, 0), ...I(0xb6, 2, 0, 3, 100), ...I(0x65, 0, 0, 2, 100), ...I(0x79, 0, 10, 8), ...I(0x95), ...I(0xb7, 0, 0, 0, 0), ...I(0x95)],
  },
  {
    name: 's32_across_sign_boundary',
    why: 'w0 of a u32 ctx field in s32 [-65535, 0], then not 0 (u32 [1, U32_MAX]): the s32 range crosses the sign boundary with the u32 range past its non-negative end, so __reg32_deduce_bounds makes it s32 [-65535, -1] (u32 [0xffff0001, U32_MAX]) — `if w0 s>= 0` is never taken and its stack read never walked (random program seed 4744: processed 112 against 82)',
    insns: [...I(0x61, 0, 1, 12), ...I(0xc6, 0, 0, 4, -65535), ...I(0x66, 0, 0, 3, 0), ...I(0x15, 0, 0, 2, 0), ...I(0x76, 0, 0, 2, 0), ...I(0xb7, 0, 0, 0, 0), ...I(0x95), ...I(0x79, 0, 10, 8), ...I(0x95)],
  },
  {
    name: 'map_value_minus_unbounded_offset',
    why: 'r0 (a map value) -= r3 in [0, S64_MAX]: the result\'s smin is -S64_MAX, and 6.18 checks the result with check_reg_sane_offset_ptr, whose message is "pointer offset ... is not allowed" (the scalar operand\'s "value ... makes ... pointer be out of bounds" is check_reg_sane_offset_scalar\'s) (random program seed 3265)',
    insns: [...LOOKUP, ...I(0x79, 3, 0, 0), ...I(0x77, 3, 0, 0, 1), ...I(0x1f, 0, 3), ...RET0],
  },
  {
    name: 'precise_again_through_cond_jump',
    why: 'r5 in [256, 263] is made precise by `if r5 > 1000` (decided), then `if r0 s> r5` (not decided; r5 left as it was), r5 &= 0 and `if r5 == 0` (decided): 6.18\'s __mark_chain_precision backtracks r5 again whatever the current state says (it marks only checkpoints), and backtrack_insn makes r0 as needed as r5 at the jump, so the checkpoint at insn 13 (r0 in [0, 0xffff]) has r0 precise and the path with r0 in [0, 0x1ffff] is walked, not pruned (random program seed 5390: processed 164 against 155)',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0xbf, 6, 0), ...I(0x85, 0, 0, 0, 7), ...I(0xbf, 7, 0), ...I(0x85, 0, 0, 0, 7), ...I(0x57, 0, 0, 0, 0x1ffff), ...I(0x05), ...I(0x05), ...I(0xb7, 1, 0, 0, 0), ...I(0xb7, 1, 0, 0, 0), ...I(0xb7, 1, 0, 0, 0), ...I(0x25, 7, 0, 1, 5), ...I(0x57, 0, 0, 0, 0xffff), ...I(0xbf, 5, 6), ...I(0x57, 5, 0, 0, 7), ...I(0x07, 5, 0, 0, 256), ...I(0x25, 5, 0, 0, 1000), ...I(0x6d, 0, 5, 0, 0), ...I(0x57, 5, 0, 0, 0), ...I(0x15, 5, 0, 0, 0), ...RET0],
  },
  {
    name: 'add_const_link_bounds',
    why: 'r1 = r0 (linked), r1 += 10: adjust_reg_min_max_vals keeps the link with delta 10 (id | BPF_ADD_CONST64, off 10), so `if r0 > 5` bounds r1 to [10, 15] on its fall-through (sync_linked_regs: r1 = r0 + 10) and `if r1 > 15` is never taken — its stack read never walked (random program seed 5705: constant-offset links, processed 141 against 133)',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0x57, 0, 0, 0, 255), ...I(0xbf, 1, 0), ...I(0x07, 1, 0, 0, 10), ...I(0x25, 0, 0, 2, 5), ...I(0x25, 1, 0, 2, 15), ...I(0x95), ...I(0x95), ...I(0x79, 0, 10, 8), ...I(0x95)],
  },
  {
    name: 'sub_const_link_bounds',
    why: 'r1 = r0, r1 -= 3: BPF_SUB keeps the link too, with delta -3, so after `if r0 > 5` r1 is in [-3, 2] and `if r1 s> 2` is never taken',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0x57, 0, 0, 0, 255), ...I(0xbf, 1, 0), ...I(0x17, 1, 0, 0, 3), ...I(0x25, 0, 0, 2, 5), ...I(0x65, 1, 0, 2, 2), ...I(0x95), ...I(0x95), ...I(0x79, 0, 10, 8), ...I(0x95)],
  },
  {
    name: 'add_const32_link_bounds',
    why: '`w1 += 10` of an r1 within 32 bits links as BPF_ADD_CONST32 (the sum zero-extended), and `if r0 > 5` bounds r1 to [10, 15] as the 64-bit add does',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0x57, 0, 0, 0, 255), ...I(0xbf, 1, 0), ...I(0x04, 1, 0, 0, 10), ...I(0x25, 0, 0, 2, 5), ...I(0x25, 1, 0, 2, 15), ...I(0x95), ...I(0x95), ...I(0x79, 0, 10, 8), ...I(0x95)],
  },
  {
    name: 'movsx_links_when_no_sign_extension',
    why: 'r1 = (s8)r0 of r0 in [0, 127]: no value changes (umax below the sign bit), so check_alu_op links them (assign_scalar_id_before_mov) and `if r1 > 5` bounds r0 — `if r0 > 5` is never taken on its fall-through',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0x57, 0, 0, 0, 0x7f), ...I(0xbf, 1, 0, 8), ...I(0x25, 1, 0, 2, 5), ...I(0x25, 0, 0, 2, 5), ...I(0x95), ...I(0x95), ...I(0x79, 0, 10, 8), ...I(0x95)],
  },
  {
    name: 'movsx_unlinked_when_sign_extending',
    why: 'the control: r0 in [0, 255] may change sign as an s8, r1 = (s8)r0 is not linked, and the stack read is walked',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0x57, 0, 0, 0, 0xff), ...I(0xbf, 1, 0, 8), ...I(0x25, 1, 0, 2, 5), ...I(0x25, 0, 0, 2, 5), ...I(0x95), ...I(0x95), ...I(0x79, 0, 10, 8), ...I(0x95)],
  },
  {
    name: 'linked_delta_precision_loop',
    why: 'a loop `r4 = r9; r9 -= 1; if r9 != 0` (r9 from a packet byte + 1) then `if r9 == r8` (decided: r9 precise): r9 -= 1 keeps the link with r4, the compare records both in its history entry (linked_regs) and backtracking makes them precise together (bt_sync_linked_regs), which decides the loop-head checkpoints that prune (random program seed 5705, minimised: processed 1036, wxdp 1035)',
    insns: [...I(0xb7, 0, 0, 0, 0), ...I(0x61, 9, 1, 4), ...I(0x61, 3, 1, 0), ...I(0xbf, 7, 3), ...I(0x07, 7, 0, 0, 34), ...I(0xad, 9, 7, 7), ...I(0xb7, 8, 0, 0, 32), ...I(0x71, 9, 3, 0), ...I(0x07, 9, 0, 0, 1), ...I(0xbf, 4, 9), ...I(0x17, 9, 0, 0, 1), ...I(0x55, 9, 0, -3, 0), ...I(0x1d, 9, 8), ...I(0x95)],
  },
  {
    name: 'linked_precision_at_compare',
    why: 'path A: r0 &= 15, r1 = r0 (linked); path B: r0 &= 255, r1 = r0 & 15 (unlinked); they meet at insn 10, then `if r0 > 10` and `if r1 > 20` (decided on A: r1 precise). The first compare\'s history entry records r0 and r1 as linked, and backtracking through it makes r0 precise too (bt_sync_linked_regs: "regs=r0,r1 before 10"), so B\'s r0 in [0, 255] is not within A\'s [0, 15] and B is walked, not pruned',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0xbf, 6, 0), ...I(0x85, 0, 0, 0, 7), ...I(0x15, 6, 0, 3, 0), ...I(0x57, 0, 0, 0, 0xf), ...I(0xbf, 1, 0), ...I(0x05, 0, 0, 3), ...I(0x57, 0, 0, 0, 0xff), ...I(0xbf, 1, 0), ...I(0x57, 1, 0, 0, 0xf), ...I(0xb7, 2, 0, 0, 0), ...I(0x25, 0, 0, 2, 10), ...I(0x25, 1, 0, 2, 20), ...I(0x95), ...I(0x95), ...I(0x79, 0, 10, 8), ...I(0x95)],
  },
  {
    name: 'linked_delta_through_caller_spill',
    why: 'r4 spilled as 32 bits in the caller (fp-8, linked to r4), passed to a subprogram that does r4 += r3 (a constant 32768: a delta) and `if r1 == r4`: the caller\'s spill is among the linked registers (collect_linked_regs walks every frame and its spills) and is bounded as r1 - 32768, so the states back in the caller differ and are walked (random program seed 7920, minimised: processed 47 against 44)',
    insns: [...I(0xb7, 3, 0, 0, 0x7fffffff), ...I(0x61, 4, 1, 12), ...I(0x3f, 3, 3), ...I(0x17, 4, 0, 0, -812546293), ...I(0xa7, 4, 0, 0, 48), ...I(0x75, 3, 0, 1, 32), ...I(0x61, 4, 1, 16), ...I(0x63, 10, 4, -8), ...I(0xb7, 1, 0, 0, 1611927565), ...I(0xb7, 3, 0, 0, 32768), ...I(0xb7, 5, 0, 0, -599409545), ...I(0x85, 0, 1, 0, 2), ...I(0xb7, 0, 0, 0, 3), ...I(0x95), ...I(0x7a, 10, 0, -8, 0), ...I(0x7a, 10, 0, -16, 0), ...I(0x7a, 10, 0, -24, 0), ...I(0x7a, 10, 0, -32, 0), ...I(0x7a, 10, 0, -40, 0), ...I(0x6d, 4, 3, 3), ...I(0x7e, 5, 1, 1), ...I(0x0f, 4, 3), ...I(0x1d, 1, 4), ...I(0x95)],
  },
  {
    name: 'infinite_loop_dead_register_differs',
    why: 'r9 = 4; loop: r2 = r9; if r9 != 0 goto loop. The checkpoint at the loop head has r2 = fp-8 (dead: written before read) and the paths back have r2 = 4: states_maybe_looping compares all eleven registers of the frame, live or not, so no loop is found there; it is found at the jump, whose checkpoint was made on the second round (random program seed 4996: insn 23, wxdp said 21)',
    insns: [...I(0x7a, 10, 0, -8, 0), ...LDMAP(1, 1), ...I(0xbf, 2, 10), ...I(0x07, 2, 0, 0, -8), ...I(0x85, 0, 0, 0, 1), ...I(0x15, 0, 0, 4, 0), ...I(0xb7, 9, 0, 0, 4), ...I(0xbf, 2, 9), ...I(0x55, 9, 0, -2, 0), ...I(0x85, 0, 1, 0, 1), ...I(0x95), ...I(0x95)],
  },
  {
    name: 'stacksafe_unallocated_slot',
    why: '`if r4 s> r4` is walked both ways; its fall-through stores fp-64 (read later through fp-60), its jump never touches the stack: at the lookup the jump\'s stack is not allocated down to fp-64 (allocated_stack), and stacksafe refuses an old state that used a slot the current one has not allocated — walked again, not pruned (random program seed 8075, minimised: processed 15 against 14)',
    insns: [...I(0x61, 4, 1, 12), ...I(0x6d, 4, 4, 1), ...I(0x7a, 10, 0, -64, -836008461), ...LDMAP(1, 1), ...I(0xbf, 2, 10), ...I(0x07, 2, 0, 0, -24), ...I(0x85, 0, 0, 0, 1), ...I(0x71, 7, 10, -60), ...I(0x95)],
  },
  {
    name: 'or_forks_minus_one_or_zero',
    why: 'r8 s>>= 62 then w8 s>>= 7: s32 [-1, 0]; `r8 |= K` forks (maybe_fork_scalars): the path goes on with the low half -1, and the instruction is walked again, pushed, with it 0 (random program seed 8308, minimised: processed 12 against 10)',
    insns: [...I(0x71, 8, 10, -61), ...LDMAP(1, 1), ...I(0xbf, 2, 10), ...I(0x07, 2, 0, 0, -48), ...I(0x85, 0, 0, 0, 1), ...I(0x34, 8, 0, 0, 225364923), ...I(0xc7, 8, 0, 0, 62), ...I(0xc4, 8, 0, 0, 7), ...I(0x47, 8, 0, 0, -2037318149), ...I(0x95)],
  },
  {
    name: 'jset_false_forgets_ranges',
    why: 'r0 in [0x1000, 0x7fffffff]; the fall-through of `if r0 & 0x8000` forgets every range before it narrows the tnum (6.18\'s regs_refine_cond_op, BPF_JSET | BPF_X: __mark_reg_unbounded, "to avoid invariant violations if we\'re on a dead branch"), so r0 is [0, 0x7fff7fff] from the tnum alone and `if r0 < 0x1000` is walked to its stack read (random program seed 12232: processed 213 against 218; 13609 and 15255 alike)',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0x57, 0, 0, 0, 0x7fffffff), ...I(0xa5, 0, 0, 2, 0x1000), ...I(0x45, 0, 0, 1, 0x8000), ...I(0xa5, 0, 0, 2, 0x1000), ...RET0, ...I(0x79, 0, 10, 8), ...I(0x95)],
  },
  {
    name: 'jset_true_keeps_ranges',
    why: 'the control: the jump of `if r0 & 0x8000` (a single bit: tnum_or) keeps r0\'s ranges, and `if r0 < 0x1000` after it is never taken',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0x57, 0, 0, 0, 0x7fffffff), ...I(0xa5, 0, 0, 3, 0x1000), ...I(0x45, 0, 0, 1, 0x8000), ...I(0x05, 0, 0, 1), ...I(0xa5, 0, 0, 2, 0x1000), ...RET0, ...I(0x79, 0, 10, 8), ...I(0x95)],
  },
  {
    name: 'jset_constant_left_operand',
    why: '`if r1 & r0` with r1 the constant 0x80 and r0 in [0, 0xff]: regs_refine_cond_op swaps the operands when only the left one is constant, so the fall-through clears bit 7 of r0 and `if r0 > 0x7f` is never taken',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0x57, 0, 0, 0, 0xff), ...I(0xb7, 1, 0, 0, 0x80), ...I(0x4d, 1, 0, 1, 0), ...I(0x25, 0, 0, 2, 0x7f), ...RET0, ...I(0x79, 0, 10, 8), ...I(0x95)],
  },
  ...([['data', 0], ['data_end', 4], ['data_meta', 8], ['ingress_ifindex', 12]] as const).map(([field, off]): KernelCase => ({
    name: `ldsx_ctx_${field}`,
    why: 'a sign-extending 4-byte load from struct xdp_md: xdp_is_valid_access refuses it for data, data_meta and data_end (info->is_ldsx: no pointer comes of it) and allows it for the scalar fields (random program seed 18936: wxdp accepted `r0 = *(s32 *)(r1 + 0)`)',
    insns: [...I(0x81, 0, 1, off), ...RET0],
  })),
  ...([['fp0', 0, 'off=0 is above the frame'], ['fp_minus_8', -8, 'the control, fp-8']] as const).map(([name, off, what]): KernelCase => ({
    name: `zero_size_helper_stack_${name}`,
    why: `bpf_csum_diff(fp${off ? off : ''}, 0, NULL, 0, 0): check_stack_range_initialized checks a zero-sized access's start against the stack all the same (check_stack_access_within_bounds) — ${what} (random program seed 14147: wxdp accepted fp + 0)`,
    insns: [...I(0xbf, 1, 10), ...I(0x07, 1, 0, 0, off), ...I(0xb7, 2, 0, 0, 0), ...I(0xb7, 3, 0, 0, 0), ...I(0xb7, 4, 0, 0, 0), ...I(0xb7, 5, 0, 0, 0), ...I(0x85, 0, 0, 0, 28), ...RET0],
  })),
  {
    name: 'stack_read_beside_spill_not_a_fill',
    why: 'r0 ([0, 15] on one path, [0, 255] on the other) is spilled as 4 bytes at fp-8, then `r4 = *(u16 *)(r10 - 2)` reads the slot\'s uninitialised upper bytes and `if r4 > 0xffff` needs r4 precise: that load restores no spilled register, so check_stack_read_fixed_off puts no stack access in the jump history (insn_flags = 0) and backtracking stops at it — r0 stays imprecise at the checkpoint after the paths meet, and the second path is pruned there (random program seed 19105: processed 66 against 83)',
    insns: [...I(0xb7, 7, 0, 0, 0), ...I(0xb7, 8, 0, 0, 0), ...I(0x85, 0, 0, 0, 7), ...I(0xbf, 6, 0), ...I(0x85, 0, 0, 0, 7), ...I(0x57, 0, 0, 0, 0xff), ...I(0x65, 6, 0, 1, 5), ...I(0x57, 0, 0, 0, 0xf), ...I(0x63, 10, 0, -8), ...I(0x69, 4, 10, -2), ...I(0x25, 4, 0, 2, 0xffff), ...RET0, ...I(0x79, 0, 10, 8), ...I(0x95)],
  },
  {
    name: 'stack_fill_of_narrow_spill',
    why: 'the control: `r4 = *(u32 *)(r10 - 8)` of the same 4-byte spill restores it (bpf_stack_narrow_access_ok), the access is in the jump history, and `if r4 > 15` makes the spilled r0 precise: the second path ([0, 255]) is not pruned',
    insns: [...I(0xb7, 7, 0, 0, 0), ...I(0xb7, 8, 0, 0, 0), ...I(0x85, 0, 0, 0, 7), ...I(0xbf, 6, 0), ...I(0x85, 0, 0, 0, 7), ...I(0x57, 0, 0, 0, 0xff), ...I(0x65, 6, 0, 1, 5), ...I(0x57, 0, 0, 0, 0xf), ...I(0x63, 10, 0, -8), ...I(0x61, 4, 10, -8), ...I(0x25, 4, 0, 2, 0xff), ...RET0, ...I(0x79, 0, 10, 8), ...I(0x95)],
  },
  {
    name: 'stack_spilled_zero_beside_zeros',
    why: 'fp-4 holds four STACK_ZERO bytes, fp-8 a 4-byte spill of 0: an 8-byte load of the slot reads spilled bytes and zeros mixed, neither all spilled (spill_cnt) nor all zero (zero_cnt), so check_stack_read_fixed_off makes it unknown and `if r1 != 0` is walked to its stack read',
    insns: [...I(0x62, 10, 0, -4, 0), ...I(0xb7, 0, 0, 0, 0), ...I(0x63, 10, 0, -8), ...I(0x79, 1, 10, -8), ...I(0x55, 1, 0, 2, 0), ...RET0, ...I(0x79, 0, 10, 8), ...I(0x95)],
  },
  {
    name: 'atomic_write_is_no_spill',
    why: 'r0 ([0, 15] or [0, 255]) spilled at fp-8, then `lock *(u64 *)(r10 - 8) += r1`: the atomic\'s write (value_regno -1) makes the slot STACK_MISC, so the load after it is no fill and `if r2 > 0xff` makes nothing precise through the slot — the second path is pruned where the paths met',
    insns: [...I(0xb7, 7, 0, 0, 0), ...I(0xb7, 8, 0, 0, 0), ...I(0x85, 0, 0, 0, 7), ...I(0xbf, 6, 0), ...I(0x85, 0, 0, 0, 7), ...I(0x57, 0, 0, 0, 0xff), ...I(0x65, 6, 0, 1, 5), ...I(0x57, 0, 0, 0, 0xf), ...I(0x7b, 10, 0, -8), ...I(0xb7, 1, 0, 0, 1), ...I(0xdb, 10, 1, -8, 0), ...I(0x79, 2, 10, -8), ...I(0x57, 2, 0, 0, 0xff), ...I(0x25, 2, 0, 2, 0xff), ...RET0, ...I(0x79, 0, 10, 8), ...I(0x95)],
  },
  {
    name: 'atomic_write_leaves_misc',
    why: 'one path spills r1 at fp-8 and does `lock *(u64 *)(r10 - 8) += r1` (the slot becomes STACK_MISC: check_stack_write_fixed_off has no register to save), the other spills r1 as 4 bytes there; where they meet, the old slot\'s misc bytes stand for anything and the second path is pruned (a spilled unknown would not stand for a narrower spill)',
    insns: [...I(0xb7, 7, 0, 0, 0), ...I(0xb7, 8, 0, 0, 0), ...I(0x85, 0, 0, 0, 7), ...I(0xbf, 6, 0), ...I(0xb7, 1, 0, 0, 1), ...I(0x65, 6, 0, 3, 5), ...I(0x7b, 10, 1, -8), ...I(0xdb, 10, 1, -8, 0), ...I(0x05, 0, 0, 1), ...I(0x63, 10, 1, -8), ...I(0x71, 2, 10, -1), ...RET0],
  },
  {
    name: 'le32_keeps_32bit_bounds',
    why: 'w0 > 0xffff, then `r0 = le32 r0` (a truncation on a little-endian host: scalar_byte_swap\'s coerce_reg_to_size(4), which forgets the 32-bit bounds only below 4 bytes): r0 is [0x10000, 0xffffffff] and `if r0 < 0x10000` is never taken (random program seed 35036: processed 50 against 55; 37193 alike)',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0xb6, 0, 0, 2, 0xffff), ...I(0xd4, 0, 0, 0, 32), ...I(0xa5, 0, 0, 2, 0x10000), ...RET0, ...BAD],
  },
  {
    name: 'narrow_fill_keeps_32bit_bounds',
    why: 'the same r0 spilled whole at fp-8 and filled back as 4 bytes (a narrow fill: coerce_reg_to_size(4) keeps its 32-bit bounds): `if r1 < 0x10000` is never taken',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0xb6, 0, 0, 3, 0xffff), ...I(0x7b, 10, 0, -8), ...I(0x61, 1, 10, -8), ...I(0xa5, 1, 0, 2, 0x10000), ...RET0, ...BAD],
  },
  {
    name: 'movsx32_from_s32_bounds',
    why: 'r0 = (prandom << 32) | (prandom & 3): the low half is [0, 3], the upper unknown (smin/smax span every sign); `r1 = (s32)r0` on 6.18.44 takes the s32 bounds, r1 is [0, 3] and `if r1 > 3` is never taken (coerce_reg_to_size_sx testing smin/smax alone gives [S32_MIN, S32_MAX])',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0xbf, 6, 0), ...I(0x57, 6, 0, 0, 3), ...I(0x85, 0, 0, 0, 7), ...I(0x67, 0, 0, 0, 32), ...I(0x4f, 0, 6), ...I(0xbf, 1, 0, 32), ...I(0x25, 1, 0, 2, 3), ...RET0, ...BAD],
  },
  {
    name: 'movsx32_of_known_low_half',
    why: 'the same unknown upper half, `if w0 != -1` not taken: the low half is the constant 0xffffffff, and `r1 = (s32)r0` is the constant -1 on 6.18.44, so `if r1 != -1` is never taken (random program seed 37484: processed 121 against 87, the 33 -> 36 path not pruned)',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0xbf, 6, 0), ...I(0x85, 0, 0, 0, 7), ...I(0x67, 0, 0, 0, 32), ...I(0x4f, 0, 6), ...I(0x56, 0, 0, 2, -1), ...I(0xbf, 1, 0, 32), ...I(0x55, 1, 0, 2, -1), ...RET0, ...BAD],
  },
  ...LOCKED_VALUE_IDS,
  ...PKT_END_MARKS,
  {
    name: 'stack_pointer_compared_exactly',
    why: 'r9 = fp - 16 + (prandom & 8) on the first path, fp - 16 on the second; where they meet (a load through r9 after), regsafe compares PTR_TO_STACK with regs_exact: the second path\'s constant offset lies within the first\'s range but is not the same register, so it is walked, not pruned',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0xbf, 6, 0), ...I(0x85, 0, 0, 0, 7), ...I(0x57, 0, 0, 0, 8), ...I(0x65, 6, 0, 9, 5), ...I(0xbf, 9, 10), ...I(0x07, 9, 0, 0, -16), ...I(0x0f, 9, 0), ...I(0xb7, 8, 0, 0, 0), ...I(0xb7, 8, 0, 0, 0), ...I(0xb7, 8, 0, 0, 0), ...I(0xb7, 8, 0, 0, 0), ...I(0xb7, 8, 0, 0, 0), ...I(0x05, 0, 0, 2), ...I(0xbf, 9, 10), ...I(0x07, 9, 0, 0, -16), ...I(0x71, 3, 9, 0), ...RET0],
  },
  {
    name: 'fp_compare_not_backtracked',
    why: 'a subprogram compares r10 with its argument r1 (`if r10 == r1`, walked both ways); the caller\'s decided `if r0 > 0` backtracks r0 = r1 to that compare: 6.18 records the stack pointer side in the jump history (INSN_F_DST_REG_STACK) and does not follow r10, so only r1 reaches the call and the checkpoint there keeps r6 imprecise — the second path (r6 = 0, the first had 1) is pruned at the call (random program seed 45793: processed 110 against 91; wxdp followed r10 to the function entry and marked every scalar precise)',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0xb7, 6), ...I(0x25, 0, 0, 1, 5), ...I(0xb7, 6, 0, 0, 1), ...I(0xb7, 7), ...I(0xb7, 7), ...I(0xb7, 7), ...I(0xb7, 7), ...I(0xb7, 7), ...I(0xb7, 7), ...I(0xb7, 7), ...I(0xb7, 7), ...I(0xb7, 1, 0, 0, 1), ...I(0x85, 0, 1, 0, 3), ...I(0x25), ...I(0xbf, 0, 6), ...I(0x95), ...I(0x1d, 10, 1), ...I(0xbf, 0, 1), ...I(0x95)],
  },
  {
    name: 'movsx32_s8_top_bits_equal',
    why: 'w0 in [0x100, 0x107]: coerce_subreg_to_size_sx sees the s32 bounds agree above the low byte, so `w7 = (s8)w0` is [0, 7] and `if w7 > 7` is never taken',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0x57, 0, 0, 0, 7), ...I(0x47, 0, 0, 0, 256), ...I(0xbc, 7, 0, 8), ...I(0x26, 7, 0, 2, 7), ...RET0, ...BAD],
  },
  {
    name: 'movsx32_s16_from_s32_bounds',
    why: 'r0 = 2 * (u32)(prandom + K), then w0 < 12: s32 [0, 11] with a 64-bit smax of 0x10000000b; `w7 = (s16)w0` takes the s32 bounds (coerce_subreg_to_size_sx), [0, 11], and `if w7 > 11` is never taken (random program seed 50519: processed 87 against 99, wxdp sign-extended from the s64 bounds and pruned a path the kernel walks)',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0x4, 0, 0, 0, 2131968029), ...I(0xf), ...I(0x36, 0, 0, 2, 12), ...I(0xbc, 7, 0, 16), ...I(0x26, 7, 0, 2, 11), ...RET0, ...BAD],
  },
  {
    name: 'movsx32_s16_crossing_zero',
    why: 'w0 in s32 [-5, 10]: the bounds differ above the low 16 bits, so `w7 = (s16)w0` is [S16_MIN, S16_MAX] (set_sext32_default_val) and `if w7 s> 10` is walked to its stack read',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0x57, 0, 0, 0, 15), ...I(0x14, 0, 0, 0, 5), ...I(0xbc, 7, 0, 16), ...I(0x66, 7, 0, 2, 10), ...RET0, ...BAD],
  },
  {
    name: 'movsx_s8_top_bits_equal',
    why: 'r0 in [0x100, 0x107]: coerce_reg_to_size_sx sees the s64 bounds agree above the low byte, so `r7 = (s8)r0` is [0, 7] and `if r7 > 7` is never taken',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0x57, 0, 0, 0, 7), ...I(0x47, 0, 0, 0, 256), ...I(0xbf, 7, 0, 8), ...I(0x25, 7, 0, 2, 7), ...RET0, ...BAD],
  },
  {
    name: 'movsx_s8_fits',
    why: 'r0 in s64 [-5, 10], already an s8: 6.18.44 keeps the range for `r7 = (s8)r0` (the bounds differ above the low byte) and `if r7 s> 10` is never taken',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0x57, 0, 0, 0, 15), ...I(0x17, 0, 0, 0, 5), ...I(0xbf, 7, 0, 8), ...I(0x65, 7, 0, 2, 10), ...RET0, ...BAD],
  },
  {
    name: 'movsx_s8_crossing_a_byte',
    why: 'r0 in [0x1fb, 0x20a]: neither an s8 nor one above the low byte, so `r7 = (s8)r0` is [S8_MIN, S8_MAX] (set_sext64_default_val) although its low bytes sign-extend to [-5, 10]; `if r7 s> 10` is walked',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0x57, 0, 0, 0, 15), ...I(0x7, 0, 0, 0, 507), ...I(0xbf, 7, 0, 8), ...I(0x65, 7, 0, 2, 10), ...RET0, ...BAD],
  },
  {
    name: 'movsx_s8_ignores_the_low_half_bounds',
    why: 'r0 = (prandom << 32) | ((prandom % 6) + 0x100): the low half is in [0x100, 0x105] but the s64 bounds span everything, and the 64-bit `r7 = (s8)r0` takes nothing from s32 bounds that are not within s8 (unlike (s32), whose are): [S8_MIN, S8_MAX], `if r7 > 5` is walked',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0xbf, 6), ...I(0x97, 6, 0, 0, 6), ...I(0x7, 6, 0, 0, 256), ...I(0x85, 0, 0, 0, 7), ...I(0x67, 0, 0, 0, 32), ...I(0x4f, 0, 6), ...I(0xbf, 7, 0, 8), ...I(0x25, 7, 0, 2, 5), ...RET0, ...BAD],
  },
  {
    name: 'movsx_s16_low_half_known_zero',
    why: 'r0 = prandom << 32: the s64 bounds span everything but the s32 ones are [0, 0], within s16, so 6.18.44 makes `r7 = (s16)r0` the s32 bounds sign-extended, 0, and `if r7 != 0` is never taken (random program seed 78365: processed 60 against 54, wxdp took [S16_MIN, S16_MAX] from the s64 bounds and walked a path the kernel never sees)',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0x67, 0, 0, 0, 32), ...I(0xbf, 7, 0, 16), ...I(0x55, 7, 0, 2, 0), ...RET0, ...BAD],
  },
  {
    name: 'movsx_s32_across_zero_keeps_u32min',
    why: 'w0 = prandom | 0x1ff: u32 [0x1ff, U32_MAX], s32 [S32_MIN + 0x1ff, S32_MAX]; `r7 = (s32)r0` keeps both and sign-extends the u32 bounds to u64 [0x1ff, U64_MAX], so `if r7 < 0x1ff` is never taken',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0x44, 0, 0, 0, 0x1ff), ...I(0xbf, 7, 0, 32), ...I(0xa5, 7, 0, 2, 0x1ff), ...RET0, ...BAD],
  },
  {
    name: 'movsx_s8_low_half_const_outside_s8',
    why: 'r0 = (prandom << 32) | 0xffffff00: s32 [-256, -256] is not within s8, so the s64 bounds decide and they differ above the low byte: `r7 = (s8)r0` is [S8_MIN, S8_MAX] although the low byte is known 0, and `if r7 != 0` is walked',
    insns: [...I(0xb7, 6, 0, 0, -256), ...I(0xbc, 6, 6), ...I(0x85, 0, 0, 0, 7), ...I(0x67, 0, 0, 0, 32), ...I(0x4f, 0, 6), ...I(0xbf, 7, 0, 8), ...I(0x55, 7, 0, 2, 0), ...RET0, ...BAD],
  },
  ...STACK_ATOMIC_FETCH,
  ...ATOMIC_FETCH_BACKTRACK,
  { name: 'atomic_fetch_of_partial_spill_not_followed', why: 'as FETCH_OF_PARTIAL_SPILL says', insns: FETCH_OF_PARTIAL_SPILL },
  {
    name: 'spill_of_delta_linked_scalar_takes_fresh_id',
    why: 'r8 = r5 (linked), r8 += -100 (linked with a delta), spilled to fp-8: check_stack_write_fixed_off\'s assign_scalar_id_before_mov drops the delta link and gives r8 and the slot a fresh id, so `if r5 > 10` does not bound the slot and `if r1 s> -90` of its fill is walked to the bad read (old random program seed 234717: wxdp kept the link, 111 processed against 103; here it accepted)',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0x57, 0, 0, 0, 255), ...I(0xbf, 5), ...I(0xbf, 8, 5), ...I(0x07, 8, 0, 0, -100), ...I(0x7b, 10, 8, -8), ...I(0x25, 5, 0, 2, 10), ...I(0x79, 1, 10, -8), ...I(0x65, 1, 0, 2, -90), ...RET0, ...BAD],
  },
  ...JIT_SUBPROGS,
  ...([['out_of_bounds', -0x40000000], ['within', -0x10000000]] as const).map(([name, k]): KernelCase => ({
    name: `map_value_plus_var_${name}`,
    why: `a map value plus (prandom & 0xffff) + (${k}): check_reg_sane_offset_scalar refuses an operand whose smin is at or below -BPF_MAX_VAR_OFF (2^29), "value ${k} makes map_value pointer be out of bounds", and adjust_ptr_min_max_vals returns -EINVAL as for its other refusals (random programs old seed 245175, wide 20583, 20710: wxdp said EACCES); with ${-0x10000000} the pointer is only moved, never read: accepted`,
    insns: [...LOOKUP, ...I(0xbf, 6, 0), ...I(0x85, 0, 0, 0, 7), ...I(0xbf, 1, 0), ...I(0x57, 1, 0, 0, 0xffff), ...I(0x07, 1, 0, 0, k), ...I(0x0f, 6, 1), ...RET0],
  })),
  ...([
    ['sk_lookup', [...I(0x61, 2, 6, 20), ...I(0x71, 2, 6, 21), ...I(0x69, 2, 6, 62), ...I(0x71, 2, 6, 9)], 'remote_ip6[0] (3: a pointer checked for NULL), a byte of it (5), local_port\'s upper half (1) and a byte of family (3)'],
    ['sk_reuseport', [...I(0x79, 2, 6, 0), ...I(0x71, 2, 6, 17), ...I(0x61, 2, 6, 16), ...I(0x61, 2, 6, 28)], 'data (2), a byte of len (4), len (2) and bind_inany (1)'],
  ] as const).map(([type, loads, what]): KernelCase => ({
    name: `jit_dead_callback_${type}_ctx_rewrites`,
    type,
    why: `as jit_dead_callback_last in an ${type} program after four ctx loads: N counts what ${type}_convert_ctx_access makes of each, ${what} (fixups.ts took every non-XDP load as one instruction)`,
    insns: [...I(0xbf, 6, 1), ...loads, ...BPF_LOOP(0, 9), ...CALL(2), ...RET0, ...RET0, ...RET0],
  })),
  ...([['le64', 0xd4, 64], ['le32', 0xd4, 32], ['be64', 0xdc, 64]] as const).map(([op, code, imm]): KernelCase => ({
    name: `${op}_keeps_link`.replace('le32_keeps', 'le32_breaks').replace('be64_keeps', 'be64_breaks'),
    why: `r8 a copy of r5 (one id), then \`r8 = ${op} r8\` and \`if r8 != 7\`: scalar_byte_swap keeps the id where nothing changes (le64 on a little-endian host: r5 is 7 too, \`if r5 != 7\` never taken; random program seed 143720: 58 processed against 59) and clears it where the value is truncated or swapped (le32, be64: walked)`,
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0xbf, 5), ...I(0xbf, 8, 5), ...I(code, 8, 0, 0, imm), ...I(0x55, 8, 0, 1, 7), ...I(0x55, 5, 0, 2, 7), ...RET0, ...BAD],
  })),
  {
    name: 'atomic_map_value_or_null_misaligned',
    why: 'an atomic through a hash map value not yet checked for NULL at a misaligned offset: check_ptr_alignment switches on the whole type, PTR_TO_MAP_VALUE | PTR_MAYBE_NULL, and names no kind ("misaligned access", random program seed 113498: wxdp said "misaligned value access")',
    insns: [...I(0x7a, 10, 0, -8, 0), ...LDMAP(1, 1), ...I(0xbf, 2, 10), ...I(0x07, 2, 0, 0, -8), ...I(0x85, 0, 0, 0, 1), ...I(0xb7, 3), ...I(0xdb, 0, 3, 7, 0x40), ...RET0],
  },
  ...([['from', 1], ['to', 3]] as const).map(([side, reg]): KernelCase => ({
    name: `csum_diff_null_${side}_with_a_size`,
    why: `bpf_csum_diff with r${reg} = NULL and a size of 8: check_func_arg lets a NULL through to a maybe-NULL argument, and check_mem_size_reg's check_helper_mem_access allows it only a zero size: "R${reg} type=scalar expected=fp" (random program seed 116462: wxdp listed every memory type)`,
    insns: [...I(0x7a, 10, 0, -8, 0), ...I(0x7a, 10, 0, -16, 0), ...I(0xbf, 1, 10), ...I(0x07, 1, 0, 0, -8), ...I(0xb7, 2, 0, 0, 8), ...I(0xbf, 3, 10), ...I(0x07, 3, 0, 0, -16), ...I(0xb7, 4, 0, 0, 8), ...I(0xb7, reg), ...I(0xb7, 5), ...I(0x85, 0, 0, 0, 28), ...RET0],
  })),
  {
    name: 'tnum_mul_union',
    why: 'r0 = -(w(prandom & 0x1000000) - 459279648), var_off (0xffffffff1a600d20; 0x1000000), squared: 6.18\'s tnum_mul takes the union of the sums with and without b for a\'s unknown bit, (0x18ac4400; 0xffffffffe0000000), so bits 42-43 are unknown and `if r0 != 3` after `r0 >>= 42; r0 &= 3` is walked (the older acc_v/acc_m tnum_mul knows them as 1 — both values have them — and never walks it; random program seed 63305: processed 66 against 75)',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0x57, 0, 0, 0, 0x1000000), ...I(0x14, 0, 0, 0, 459279648), ...I(0x87), ...I(0x2f), ...I(0x77, 0, 0, 0, 42), ...I(0x57, 0, 0, 0, 3), ...I(0x55, 0, 0, 2, 3), ...RET0, ...BAD],
  },
  ...MAY_GOTO_CASES,
  {
    name: 'ptr_sub32_marks_offset_precise',
    why: 'r1 = 0 or 1 on two paths to a checkpoint at 8, then `w2 -= w1` of r2 = r10: adjust_reg_min_max_vals marks r1 precise (pointer += scalar) before adjust_ptr_min_max_vals makes the 32-bit result an unknown scalar, so the second path (r1 = 0) is not pruned at 8 and is walked: 16 processed (random program seed 172631: 90 against 88, wxdp marked the offset only on the 64-bit path)',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0xb7, 1), ...I(0xb7, 3), ...I(0xb7, 4), ...I(0xb7, 5), ...I(0xb7, 6), ...I(0x15, 0, 0, 1, 0), ...I(0xb7, 1, 0, 0, 1), ...I(0xbf, 2, 10), ...I(0x1c, 2, 1), ...RET0],
  },
  ...([['spill', I(0x7b, 10, 2, -8)], ['no_store', I(0xbf, 3, 2)]] as const).map(([name, store]): KernelCase => ({
    name: `bpf_loop_uncleaned_checkpoint_${name}`,
    why: 'a bpf_loop callback branches on its index, one way storing r2 = 0 to fp-8 (dead from 14), and meets at 14, a checkpoint; that path returns first, a backedge of the loop: the checkpoint, not cleaned while backedges wait (clean_live_states skips it: incomplete_read_marks), still holds fp-8 and the other path, whose stack has no fp-8, is walked, 19 processed (random program wide seed 12623: 52 against 46, wxdp compared live slots only); with nothing stored there it is pruned at 14, 17',
    insns: [...I(0xb7, 1, 0, 0, 1), { code: 0x18, dst: 2, src: 4, off: 0, imm: 6, imm64: 6n }, { code: 0, dst: 0, src: 0, off: 0, imm: 0, isLdImm64Tail: true }, ...I(0xb7, 3), ...I(0xb7, 4), ...I(0x85, 0, 0, 0, 181), ...RET0,
      ...I(0xb7, 2), ...I(0xb7, 3), ...I(0xb7, 4), ...I(0xb7, 5), ...I(0x15, 1, 0, 1, 0), ...store, ...RET0],
  })),
  {
    name: 'bpf_loop_range_within_slot_types',
    why: 'as bpf_loop_uncleaned_checkpoint_spill, the paths meeting at 16 with fp-8 misc bytes (`*(u32 *)(r10 -4) = r1`) in the checkpoint and a spilled 0 in the other path: the RANGE_WITHIN comparison (backedges waiting) does not ask the slot types to be the same byte for byte in 6.18.44 (the 6.18.35 source asks it for all but NOT_EXACT) and prunes there, 19 processed (random program wide seed 12772: 69, wxdp 71 with a byte-exact comparison)',
    insns: [...I(0xb7, 1, 0, 0, 1), { code: 0x18, dst: 2, src: 4, off: 0, imm: 6, imm64: 6n }, { code: 0, dst: 0, src: 0, off: 0, imm: 0, isLdImm64Tail: true }, ...I(0xb7, 3), ...I(0xb7, 4), ...I(0x85, 0, 0, 0, 181), ...RET0,
      ...I(0xb7, 2), ...I(0xb7, 3), ...I(0xb7, 4), ...I(0xb7, 5), ...I(0x15, 1, 0, 2, 0), ...I(0x63, 10, 1, -4), ...I(0x05, 0, 0, 1), ...I(0x7b, 10, 2, -8), ...RET0],
  },
  ...([['spill', I(0x7b, 10, 6, -8)], ['no_store', I(0xbf, 9, 6)]] as const).map(([name, store]): KernelCase => ({
    name: `cleaned_checkpoint_later_read_${name}`,
    why: 'r6 spilled to fp-8 on the first path to a checkpoint at 17, whose variable-offset load (fp-16 + r7, r7 in {0, 4}) reads fp-16 only; the next path (r7 in {0, 4, 8, 12}) is not pruned there, cleans the checkpoint (clean_verifier_state wipes fp-8, dead then: once, for good) and reads fp-8 at 21; the last path, without fp-8, is pruned at 17 by the cleaned checkpoint, 47 processed (random program wide seed 45337: 127 against 133; wxdp compared the checkpoint\'s fp-8 by the liveness found since, 53); with nothing stored there, 46',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0xbf, 6, 0), ...I(0xbf, 8, 0), ...I(0x57, 8, 0, 0, 4), ...I(0xbf, 7, 0), ...I(0x57, 7, 0, 0, 12), ...I(0x15, 6, 0, 2, 0), ...store, ...I(0x25, 6, 0, 1, 5), ...I(0xbf, 7, 8),
      ...I(0xb7, 1, 0, 0, 1), ...I(0xb7, 2, 0, 0, 2), ...I(0xb7, 3, 0, 0, 3), ...I(0xb7, 4, 0, 0, 4), ...I(0xb7, 5, 0, 0, 5), ...I(0xb7, 9, 0, 0, 9), ...I(0x25, 8, 0, 0, 100), ...I(0x25, 7, 0, 0, 100),
      ...I(0xbf, 1, 10), ...I(0x07, 1, 0, 0, -16), ...I(0x0f, 1, 7), ...I(0x61, 0, 1, 0), ...RET0],
  })),
  {
    name: 'alu_unlink_clears_delta',
    why: 'r1 = r0 + 100 (linked, delta 100), then `r1 &= 15` unlinks it; r2 = r1 links the two anew and `r2 += 3` gives r2 a delta of 3: `if r2 != 5` not taken makes r2 5 and r1 2, not 102 with a delta of 100 left in r1 (random program wide seed 11292: 54 against 50), so `if r1 != 2` is never taken',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0x57, 0, 0, 0, 255), ...I(0xbf, 1, 0), ...I(0x07, 1, 0, 0, 100), ...I(0x57, 1, 0, 0, 15), ...I(0xbf, 2, 1), ...I(0x07, 2, 0, 0, 3), ...I(0x55, 2, 0, 3, 5), ...I(0x55, 1, 0, 4, 2), ...RET0, ...RET0, ...BAD],
  },
  {
    name: 'may_goto_shared_spill_id',
    why: 'r7 = r0 (one id) spilled to fp-8, then a may_goto loop setting r7 = 5: at the second may_goto r7 has no id and its old id maps to a fresh one, so fp-8, the same spill with the same id on both sides, fails check_ids and the loop is walked once more, 14 processed (random program wide seed 12478: 83 against 72, wxdp skipped a slot both states share)',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0xbf, 7, 0), ...I(0x7b, 10, 7, -8), ...MAY_GOTO(2), ...I(0xb7, 7, 0, 0, 5), ...I(0x05, 0, 0, -3), ...I(0xbf, 0, 7), ...I(0x95)],
  },
  ...(['xdp', 'sk_lookup'] as const).map((type): KernelCase => ({
    name: `${type}_helper_0_unspec`,
    type,
    why: 'helper id 0 is BPF_FUNC_unspec, an id the kernel knows and no program type has: "program of this type cannot use helper bpf_unspec#0" (EINVAL), not the "invalid func unknown#N" of ids past the last (tests/verifier/helper_sets_kernel.test.ts: wxdp said that of 0)',
    insns: [...I(0x85, 0, 0, 0, 0), ...RET0],
  })),
  ...([['ctx_sk', true], ['null', false]] as const).map(([name, ctxSk]): KernelCase => ({
    name: `sk_lookup_release_${name}`,
    type: 'sk_lookup',
    why: 'bpf_sk_release of ctx->sk after its NULL check: a socket no acquire gave, so check_func_arg\'s "R1 must be referenced when passed to release function", EINVAL (random sk_lookup program seed 53: wxdp said EACCES); of NULL: check_reg_type\'s type refusal, EACCES',
    insns: ctxSk ? [...I(0x79, 1, 1, 0, 0), ...I(0x15, 1, 0, 1, 0), ...I(0x85, 0, 0, 0, 86), ...I(0xb7, 0, 0, 0, 1), ...I(0x95)] : [...I(0xb7, 1), ...I(0x85, 0, 0, 0, 86), ...I(0xb7, 0, 0, 0, 1), ...I(0x95)],
  })),
  ...([['pass', 1], ['returns_2', 2], ['returns_ctx', -1]] as const).map(([name, v]): KernelCase => ({
    name: `sk_lookup_${name}`,
    type: 'sk_lookup',
    why: 'check_return_code: an sk_lookup program returns SK_DROP or SK_PASS; any other value, or a pointer, is refused with EINVAL, not the EACCES of most refusals (random sk_lookup program seed 135: wxdp said EACCES); returning 1 is accepted',
    insns: [...(v < 0 ? I(0xbf, 0, 1) : I(0xb7, 0, 0, 0, v)), ...I(0x95)],
  })),
  // tp_btf on xdp_redirect (dev, xdp, tgt, err, map_type, map_id, index): btf_ctx_access lets a pointer
  // argument, `const void *tgt` too, be read only whole — "func 'xdp_redirect' size 4 must be 8", then
  // check_ctx_access's "invalid bpf_context access" (tp_btf fuzz seed 1: wxdp accepted a narrow read of
  // tgt and of dev; seed 127: its message was the second line, the kernel's log has btf_ctx_access's first);
  // a scalar argument read narrowly and sign-extended is accepted
  ...([
    ['dev_u32', I(0x61, 2, 1, 0)],
    ['tgt_u32', I(0x61, 2, 1, 16)],
    ['xdp_u8', I(0x71, 2, 1, 8)],
    ['past_last_arg', I(0x61, 2, 1, 56)],
    ['offset_not_multiple_of_8', I(0x69, 2, 1, 44)],
    ['err_s32', I(0x81, 2, 1, 24)],
    ['index_u8', I(0x71, 2, 1, 48)],
  ] as const).map(([name, load]): KernelCase => ({
    name: `tp_btf_xdp_redirect_${name}`,
    type: 'tp_btf/xdp_redirect',
    why: 'btf_ctx_access on a tp_btf program\'s arguments: a pointer read narrowly, an argument past the last, an offset not a multiple of 8 are refused with its line first; a scalar read narrowly (sign-extended too) is accepted',
    insns: [...load, ...RET0],
  })),
  // check_reg_type: a tp_btf program's struct pointer argument (PTR_TO_BTF_ID | PTR_TRUSTED) is among
  // mem_types, but an argument without MEM_RDONLY refuses it — "bpf_probe_read_kernel() may write into
  // memory pointed by R1 type=trusted_ptr_" (tp_btf fuzz xdp_exception seed 1054: wxdp accepted it as
  // read-only memory, seed 1339: refused it by its size); the pointer as the source (ARG_ANYTHING) is fine
  ...([['dst', true], ['src', false]] as const).map(([name, dst]): KernelCase => ({
    name: `tp_btf_probe_read_kernel_dev_${name}`,
    type: 'tp_btf/xdp_exception',
    why: 'bpf_probe_read_kernel(dst, 8, src) with xdp_exception\'s dev as the destination (refused) or as the source (accepted)',
    insns: [...I(0x79, 6, 1, 0), ...(dst ? [...I(0xbf, 1, 6), ...I(0xb7, 3)] : [...I(0xbf, 1, 10), ...I(0x07, 1, 0, 0, -8), ...I(0xbf, 3, 6)]), ...I(0xb7, 2, 0, 0, 8), ...I(0x85, 0, 0, 0, 113), ...RET0],
  })),
  // check_ptr_to_btf_access before the struct's fields (btf_struct_access): a negative offset, a variable
  // one, a write (tracing has no btf_struct_access of its own: "only read is supported") — each layout-
  // free (tp_btf fuzz xdp_exception seeds 2001, 2057, 2068: wxdp said "cannot write into trusted_ptr_",
  // "invalid access to memory", or accepted the variable offset); dev spilled and filled back is the control
  ...([
    ['store', [...I(0x7a, 6, 0, 0, 1)]],
    ['negative_load', [...I(0x61, 2, 6, -4)]],
    ['variable_offset_load', [...I(0x85, 0, 0, 0, 7), ...I(0x57, 0, 0, 0, 4), ...I(0x0f, 6, 0), ...I(0x71, 2, 6, 0)]],
    ['spill_fill', [...I(0x7b, 10, 6, -8), ...I(0x79, 6, 10, -8)]],
  ] as const).map(([name, use]): KernelCase => ({
    name: `tp_btf_dev_${name}`,
    type: 'tp_btf/xdp_exception',
    why: 'check_ptr_to_btf_access on xdp_exception\'s dev: its refusals that do not depend on struct net_device\'s layout',
    insns: [...I(0x79, 6, 1, 0), ...use, ...RET0],
  })),
  // tracing_prog_func_proto has no bpf_ktime_get_coarse_ns (#160): "program of this type cannot use
  // helper", EINVAL (helper_sets_kernel on tp_btf: wxdp accepted it); bpf_ktime_get_ns (#5) is the control
  ...([['ktime_get_coarse_ns', 160], ['ktime_get_ns', 5]] as const).map(([name, id]): KernelCase => ({
    name: `tp_btf_helper_${name}`,
    type: 'tp_btf/xdp_exception',
    why: 'tracing_prog_func_proto\'s helpers, measured: bpf_ktime_get_coarse_ns is not among them, bpf_ktime_get_ns is',
    insns: [...I(0x85, 0, 0, 0, id), ...RET0],
  })),
  // __mark_chain_precision: what is still followed when the path's first state is passed makes every
  // scalar precise (mark_all_scalars_precise). r1 = le16 r1 turns the ctx pointer into a number, so
  // `if r1 <= 11` at 7 follows r1 back past insn 0; the checkpoint at 7 then has its spilled constant at
  // fp-8 precise, and the path from 4 (fp-8 = 0) is not pruned there (old random program seed 283753:
  // wxdp stopped backtracking at the first state, pruned it, 19 processed against 22). With r1 loaded
  // from the ctx instead the chain ends at the load, fp-8 stays imprecise and the path is pruned.
  ...([['le16_of_ctx', I(0xd4, 1, 0, 0, 16)], ['ctx_load', I(0x61, 1, 1, 12)]] as const).map(([name, make]): KernelCase => ({
    name: `precision_past_first_state_${name}`,
    why: 'a precision chain that does (le16 of the ctx pointer) or does not (a ctx field) run past the first instruction: the fallback marks the checkpoint\'s spilled constant precise',
    insns: [
      ...I(0x7a, 10, 0, -8, 0), ...make, ...I(0x6f, 1, 1), ...I(0xc7, 1, 0, 0, 39), ...I(0xad, 1, 1, 1),
      ...I(0x6a, 10, 0, -8, 1294891054), ...I(0x55, 1, 0, 1, 11), ...I(0xb5, 1, 0, 0, 11),
      ...I(0x71, 5, 10, -8), ...I(0xbf, 0, 5), ...I(0x95),
    ],
  })),
  ...ALU32_UNKNOWN.map(([name, op]): KernelCase => ({
    name: `alu32_${name}_upper_half`,
    why: 'adjust_scalar_min_max_vals: where is_safe_to_compute_dst_reg_range says no (div and mod, signed or not; a shift by an unknown amount), __mark_reg_unknown and return before the ALU32 zero extension: the upper half is unknown too, so `if r0 > 0xffffffff` is walked and its stack read refused (`w0 &= 15`: zero-extended, never walked)',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0xbf, 1, 0), ...op, ...LDIMM(1, 0xffffffff), ...I(0x2d, 0, 1, 2, 0), ...I(0xb7, 0, 0, 0, 2), ...I(0x95), ...I(0x79, 0, 10, 8), ...I(0x95)],
  })),
  // check_func_arg_reg_off on an ARG_PTR_TO_CTX argument: __check_ptr_off_reg without a fixed offset, so a
  // negative one, then any fixed one, then a variable one is refused, EACCES (old seed 300050: ctx plus a
  // masked scalar given to bpf_xdp_adjust_meta; wxdp checked the fixed offset alone and accepted it)
  ...([
    ['variable', [...I(0xbf, 6, 1), ...I(0x85, 0, 0, 0, 7), ...I(0x57, 0, 0, 0, 4), ...I(0x0f, 6, 0), ...I(0xbf, 1, 6)]],
    ['negative', I(0x07, 1, 0, 0, -4)],
    ['fixed', I(0x07, 1, 0, 0, 4)],
    ['unmodified', []],
  ] as const).map(([name, move]): KernelCase => ({
    name: `helper_ctx_arg_${name}_offset`,
    why: 'check_func_arg_reg_off: a helper\'s ctx argument only as it was given (negative, fixed and variable offsets refused, in that order)',
    insns: [...move, ...I(0xb7, 2, 0, 0, 0), ...I(0x85, 0, 0, 0, 54), ...RET0],
  })),
  // a sign-extending fill of a narrow scalar spill: linked to the spilled register only when the value is
  // below the load's sign bit (measured: an s8 fill of a u32 spill in [0, 255] has no id, of one in
  // [0, 127] keeps it); the link decides whether `if r0 > 127` after `if r1 s< 0` is walked both ways
  // (old seed 328761: wxdp kept the link, processed 36, the kernel's 35)
  ...([['unlinked', 255], ['linked', 127]] as const).map(([name, mask]): KernelCase => ({
    name: `sx_fill_${name}`,
    why: 'check_stack_read_fixed_off and coerce_reg_to_size_sx on an s8 fill of a u32 spill: the id survives only below the sign bit',
    insns: [...I(0x85, 0, 0, 0, 7), ...I(0x57, 0, 0, 0, mask), ...I(0x63, 10, 0, -8), ...I(0x91, 1, 10, -8), ...I(0xc5, 1, 0, 2, 0), ...I(0x25, 0, 0, 1, 127), ...I(0xb7, 0, 0, 0, 1), ...I(0x95)],
  })),
  // 6.18's stack liveness (kernel/bpf/liveness.c): a slot written whole (8 bytes at a fixed offset) is dead
  // before the write, whatever stack pointer the write goes through, and a function's writes to its
  // caller's slots count at the call (must_write_acc of its entry). The path from 8 to 10 has no fp-16,
  // the checkpoint at 10 a spilled r6 there: pruned where fp-16 is written whole before it is read at 13
  // (wide random program seed 189796: a slot written through r9 = fp-32 + 8, wxdp took it as live and
  // walked on, 229 processed against 187).
  ...([
    ['written_through_pointer', [...I(0xbf, 1, 10), ...I(0x07, 1, 0, 0, -16), ...I(0x7a, 1, 0, 0, 0), ...I(0x79, 0, 10, -16), ...RET0]],
    ['half_written_through_pointer', [...I(0xbf, 1, 10), ...I(0x07, 1, 0, 0, -16), ...I(0x62, 1, 0, 0, 0), ...I(0x79, 0, 10, -16), ...RET0]],
    ['written_by_callee', [...I(0xbf, 1, 10), ...I(0x07, 1, 0, 0, -16), ...I(0x85, 0, 1, 0, 3), ...I(0x79, 0, 10, -16), ...RET0, ...I(0x7a, 1, 0, 0, 0), ...RET0]],
    ['half_written_by_callee', [...I(0xbf, 1, 10), ...I(0x07, 1, 0, 0, -16), ...I(0x85, 0, 1, 0, 3), ...I(0x79, 0, 10, -16), ...RET0, ...I(0x62, 1, 0, 4, 0), ...RET0]],
  ] as const).map(([name, tail]): KernelCase => ({
    name: `stack_slot_${name}`,
    why: 'bpf_stack_slot_alive: a slot the path writes whole before reading it is not compared at the checkpoint (through r1 = fp-16, or in a function given fp-16: its entry\'s must_write_acc at the call); half written, it is',
    insns: [
      ...I(0x85, 0, 0, 0, 7), ...I(0xbf, 6, 0), ...[2, 3, 4, 5, 6, 7].flatMap(() => I(0xb7, 7, 0, 0, 0)),
      ...I(0x25, 6, 0, 1, 5), ...I(0x7b, 10, 6, -16), ...tail,
    ],
  })),
  // must_write is the intersection of what an instruction's visits wrote whole: `*(u64 *)(r1 + 0) = 0` at 15
  // writes fp-272 on its first visit and fp-280 on its second, so it must write neither, and fp-272 read at
  // 16 is live at the checkpoint at 11, where the path from 8 holds no fp-272 (not pruned). But
  // commit_stack_write_marks keeps the old mask in a u32: the slots below fp-256 (bits 32-63) are never
  // dropped from it, so with fp-272/fp-280 the kernel keeps fp-272 written and prunes at 11; with
  // fp-16/fp-24 it does not.
  ...([['deep', -280], ['shallow', -24]] as const).map(([name, base]): KernelCase => ({
    name: `stack_must_write_intersection_${name}`,
    why: 'commit_stack_write_marks: must_write of an instruction is what every visit wrote (a u32 old_must_write: the slots below fp-256 stay as the first visit wrote them)',
    insns: [
      ...I(0x85, 0, 0, 0, 7), ...I(0xbf, 6, 0), ...[2, 3, 4, 5, 6, 7].flatMap(() => I(0xb7, 7, 0, 0, 0)),
      ...I(0x25, 6, 0, 2, 5), ...I(0x7b, 10, 6, base + 8), ...I(0xb7, 7, 0, 0, 0),
      ...I(0xbf, 1, 10), ...I(0x07, 1, 0, 0, base), ...I(0x25, 6, 0, 1, 3), ...I(0x07, 1, 0, 0, 8),
      ...I(0x7a, 1, 0, 0, 0), ...I(0x79, 0, 10, base + 8), ...RET0,
    ],
  })),
];
