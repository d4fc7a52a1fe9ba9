// The interface of a JIT'd module: what emit.ts builds and program.ts instantiates.
//
// imports (module "env")
//   memory                                   the EngineMemory (same initial/maximum/shared)
//   fault(pc i32, addr i64, size i32, write i32)       checked mode: throws memFault (never returns)
//   call_depth(pc i32)                       a bpf-to-bpf call beyond MAX_FRAMES: throws callDepthFault
//   helper_<id>(r1..r5 i64, pc i32) -> i64   one per helper id the program calls with `call imm`
//   callx(id i64, r1..r5 i64, pc i32) -> i64 `callx`: helper id from a register, looked up in JS
// exports
//   run(r1..r5 i64) -> i64                   the entry function: r10 = STACK_TOP, frame 0; returns r0
//   repeat(n i32, r1..r5 i64) -> i64        the entry n times in one call (testRun's `repeat`); last r0
//   set_region(slot i32, start i32, len i32, writable i32)   checked mode: region slot k of the run
//
// Internal functions: `sub_<entry slot>(r1..r5 i64, r10 i64, depth i32) -> i64`, one per subprogram.
// Checked mode keeps REGION_SLOTS regions in globals (start, readable length, writable length; an
// unused slot has length 0) besides the stack, which is checked against constants.

export const IMPORT_MODULE = 'env';
export const IMPORT_MEMORY = 'memory';
export const IMPORT_FAULT = 'fault';
export const IMPORT_CALL_DEPTH = 'call_depth';
export const IMPORT_CALLX = 'callx';
export const helperImportName = (id: number): string => `helper_${id >>> 0}`;

export const EXPORT_RUN = 'run';
export const EXPORT_REPEAT = 'repeat';
export const EXPORT_SET_REGION = 'set_region';

/** Regions a checked run may pass besides the stack. */
export const REGION_SLOTS = 4;
