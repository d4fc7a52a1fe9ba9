// The interface of a JIT'd module: what emit.ts builds and program.ts instantiates.
//
// imports (module "env")
//   memory                                   the EngineMemory (same initial/maximum/shared)
//   fault(pc i32, addr i64, size i32, write i32)       checked mode: throws memFault (never returns)
//   call_depth(pc i32)                       a bpf-to-bpf call beyond MAX_FRAMES: throws callDepthFault
//   check_helper(id i32, pc i32, r1..r5 as lo, hi i32 halves) checked mode: a helper's pointer arguments (runtime/helper_args.ts)
//   helper_<id>(r1..r5 i64, pc i32) -> i64   one per helper id the program calls with `call imm`
//   callx(id i64, r1..r5 i64, pc i32) -> i64 `callx`: helper id from a register, looked up in JS
//   whelper_<id>(r1..r5 i64) -> i64          a helper the fast path implements (wasm to wasm)
//   table                                    the fast path's funcref table (tail calls, callbacks)
//   prog_array_get(map i32, index i32) -> i32   tail calls: the table index stored in a prog_array, or -1
// exports
//   run(r1..r5 i64) -> i64                   the entry function: r10 = STACK_TOP, frame 0; returns r0
//   run_guarded(r1..r5 i64) -> i64           checked mode: `run`, a fault caught and returned as 0
//   repeat(n i32, r1..r5 i64) -> i64        the entry n times in one call (testRun's `repeat`); last r0
//   tail_entry(r1 i64, r10 i64, depth i32) -> i64   what a tail call into this program runs
//   cb_<slot>(r1..r5 i64) -> i64, global cbslot_<slot>   callbacks (bpf_loop) and their table index
//   set_region(slot i32, start i32, len i32, writable i32)   checked mode: region slot k of the run
//   set_packet(readable i32, writable i32)   checked mode: the packet, [data_meta, data_end) of the ctx
//   xdp_burst(rx i32, first i32, n i32, ifindex i32, queue i32, out i32)   with `burst`: see EXPORT_BURST
//
// Internal functions: `sub_<entry slot>(r1..r5 i64, r10 i64, depth i32) -> i64`, one per subprogram.
// Checked mode keeps JIT_REGION_SLOTS regions in globals (a run's REGION_SLOTS, the map walks' keys) (start, readable length, writable length; an
// unused slot has length 0) besides the stack, which is checked against constants, and the packet,
// checked against the ctx's data_meta and data_end as they are at the access.

export const IMPORT_MODULE = 'env';
export const IMPORT_MEMORY = 'memory';
export const IMPORT_FAULT = 'fault';
export const IMPORT_CALL_DEPTH = 'call_depth';
/** Checked mode: bpf_loop's r2 is none of the program's callbacks (bad_callback(pc i32, r2 i64), throws RUN_HELPER). */
export const IMPORT_BAD_CALLBACK = 'bad_callback';
export const IMPORT_CALLX = 'callx';
/** Checked mode: the run's back-edge budget is exhausted (insn_limit(pc i32), throws RUN_INSN_LIMIT). */
export const IMPORT_INSN_LIMIT = 'insn_limit';
/** Checked mode: check_helper(id i32, pc i32, r1..r5 as lo, hi i32 halves) before a helper with pointer arguments; throws a fault. */
export const IMPORT_CHECK_HELPER = 'check_helper';
export const helperImportName = (id: number): string => `helper_${id >>> 0}`;
/** A helper the fast path implements in wasm: imported without the pc argument, called wasm to wasm. */
export const wasmHelperImportName = (id: number): string => `whelper_${id >>> 0}`;
export const IMPORT_TABLE = 'table';
export const IMPORT_PROG_ARRAY_GET = 'prog_array_get';
/** The entry a tail call jumps to: (r1 i64, r10 i64, depth i32) -> i64, without resetting the count. */
export const EXPORT_TAIL_ENTRY = 'tail_entry';
/** `cb_<slot>`: a callback subprogram as (r1..r5 i64) -> i64; `cbslot_<slot>`: its table index (set after instantiation). */
export const callbackExportName = (slot: number): string => `cb_${slot}`;
export const callbackSlotGlobal = (slot: number): string => `cbslot_${slot}`;
/** Helper ids the JIT lowers itself. */
export const HELPER_TAIL_CALL = 12;
export const HELPER_LOOP = 181;
/** Helpers given a callback of the program that the fast path calls through its table: bpf_loop, bpf_for_each_map_elem, bpf_timer_set_callback. */
export const CALLBACK_HELPERS: readonly number[] = [HELPER_LOOP, 164, 170];
export const HELPER_MAP_LOOKUP = 1;
/** Helpers the JIT inlines when the fast path implements them (the inline code is that helper's). */
export const HELPER_MAP_UPDATE = 2;
export const HELPER_REDIRECT = 23;
/** bpf_fib_lookup: its common IPv4 answer read from the burst's answers (EmitOptions.fibAnswers), else the helper. */
export const HELPER_FIB_LOOKUP = 69;
export const HELPER_GET_SMP_PROCESSOR_ID = 8;
export const HELPER_XDP_ADJUST_META = 54;
export const HELPER_XDP_GET_BUFF_LEN = 188;
export const HELPER_XDP_LOAD_BYTES = 189;
export const HELPER_XDP_STORE_BYTES = 190;
export const HELPER_CSUM_DIFF = 28;

export const EXPORT_RUN = 'run';
/** Checked mode: `run` with any fault caught, returning XDP_ABORTED (0): the entry devices call. */
export const EXPORT_RUN_GUARDED = 'run_guarded';
/**
 * xdp_burst(rx i32, first i32, n i32, ifindex i32, queue i32, out i32): the entry run over n RX
 * descriptors, one BURST_RECORD_SIZE record each at out (u32 r0, data, data_end, data_meta,
 * redirect ifindex, redirect map, u64 redirect flags). Emitted with the `burst` option.
 */
export const EXPORT_BURST = 'xdp_burst';
/** The copy of `run` xdp_burst calls (not exported, so binaryen inlines it). */
export const BURST_BODY = 'run_burst';
export { BURST_RECORD_SIZE } from '../runtime/memory.js';
export const EXPORT_REPEAT = 'repeat';
export const EXPORT_SET_REGION = 'set_region';
/** Checked mode: set_packet(readable i32, writable i32), the XDP packet region (Region.packet). */
export const EXPORT_SET_PACKET = 'set_packet';

/** Regions a checked run may pass besides the stack. */
export const REGION_SLOTS = 16;
/** The slots checked mode has: REGION_SLOTS for a run's regions, then one for the map walks' keys (WALK_REGION). */
export const JIT_REGION_SLOTS = REGION_SLOTS + 1;
