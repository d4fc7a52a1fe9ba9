// The static verifier: abstract interpretation of every path through an XDP, sk_lookup or sk_reuseport
// program, with the kernel's model (kernel/bpf/verifier.c, privileged loader): register types, scalar
// bounds, packet ranges proven by comparisons with data_end, map values and their null checks, the
// stack byte by byte, helper prototypes per program type, the context's fields per program type
// (net/core/filter.c *_is_valid_access), socket pointers and references (ringbuf reservations, sockets
// from a sockmap lookup, released by bpf_sk_release), bpf-to-bpf calls and bpf_loop callbacks, bounded
// loops, and state pruning at jump targets. A program it accepts runs in the JIT's unchecked mode.
//
// Messages use the kernel's wording; the log lists each instruction processed (level 1) and the
// register state after it (level 2), as `bpftool prog load ... -d` shows the kernel's.

import { formatInsn } from '../asm/disassemble.js';
import { ProgramError, VerifierError, type VerifierErrno } from '../errors.js';
import { KPTR_XCHG_OBJ, PERCPU_PTR } from '../helpers/obj_kfuncs.js';
import { helperName, kernelHelpersOf, notProvidedReason } from '../helpers/index.js';
import type { HelperTable } from '../helpers/index.js';
import { AtomicOp, Class, JmpOp, Mode, OP_LDDW, PseudoCall, PseudoLd, sizeBytes } from '../isa/opcodes.js';
import { isLocalCall, isMayGoto, type Insn } from '../isa/insn.js';
import { liveRegisters, StackLiveness, successors } from './liveness.js';
import { Arg, GPL_ONLY_HELPERS, helperAllowed, mapAllowsHelper, MapType, mayUpdateSockmap, PROTOS, Ret, type VerifierProgType } from './protos.js';
import {
  addConstOf,
  AT_PKT_END,
  BEYOND_PKT_END,
  BPF_ADD_CONST32,
  BPF_ADD_CONST64,
  branchTaken,
  FLIP,
  MAX_VAR_OFF,
  pointerBounds,
  Reg,
  RegType,
  refine,
  s32,
  S64_MIN,
  s64,
  scalarAlu,
  scalarAluShared,
  SWAP,
  u32,
  U32_MAX,
  type Cmp,
  type MapInfo,
} from './reg.js';
import { ALL_SPILL, Byte, collectLinkedRegs, iterActiveDepthsDiffer, type IterSlot, EMPTY_SLOT, makeScalarsImprecise, STACK_SLOTS, Frame, History, mismatch, sameCallsites, State, statesEqual, statesMaybeLooping, syncLinkedRegs, widenImpreciseScalars, type Checkpoint, type Slot, type StackLive } from './state.js';
import { Tnum } from './tnum.js';
import { checkCallUnderLock, checkExitUnderLock, checkLockOverlap, processSpinLock, type LocalLock } from './locks.js';
import { walkedInsnError } from './check.js';
import { jitSubprogsRefusal } from './fixups.js';
import { allocReg, graphKfuncCall, graphRootOverlap, kptrOverlap, kptrTypeName, localAccess, localLockOff, localStruct, mapValueKptrs, refcountOff, valueKptrs, type KptrField, type ObjNewSizes } from './local_obj.js';
import type { Btf } from '../elf/btf.js';
import { ITER_SLOTS, kfuncById, type IterType, type KfuncDef } from '../helpers/kfuncs.js';
import { bprintfPrepare } from '../helpers/bprintf.js';
import { tracingCtxAccess } from './tracing.js';
import { btfStructRead } from './btf_access.js';
import { WXDP_BTF, wxdpBtfTypeName } from '../elf/core.js';
import { destroyDynptrsIn, DynptrType, dynptrSlots, initDynptrArg, releaseDynptrArg, useDynptrArg, type DynptrSlot } from './dynptr.js';

export const COMPLEXITY_LIMIT = 1_000_000;
const MAX_CALL_FRAMES = 8;
const MAX_BPF_STACK = 512;
const MAX_PACKET_OFF = 0xffff;
/** sizeof(struct xdp_md) and its fields. */
const XDP_MD_SIZE = 24;
const XDP_MD = { data: 0, data_end: 4, data_meta: 8, ingress_ifindex: 12, rx_queue_index: 16, egress_ifindex: 20 };
/** sizeof(struct bpf_sk_lookup) (68 bytes of fields, the 8-byte union rounds it up). */
const SK_LOOKUP_SIZE = 72;
/** sizeof(struct sk_reuseport_md). */
const SK_REUSEPORT_MD_SIZE = 56;
/** sizeof(struct bpf_sock). */
const BPF_SOCK_SIZE = 80;
/** SK_DROP, SK_PASS: what an sk_lookup program may return (check_return_code). */
const SK_LOOKUP_RETVAL: readonly [bigint, bigint] = [0n, 1n];

/** A map as the loaded program refers to it: ld_imm64 holds `address` (map fd) or `valueAddress + off`. */
export interface VerifierMap extends MapInfo {
  address: number;
  valueAddress: number;
}

export interface SourceLine {
  index: number;
  file: string;
  line: number;
  text: string;
}

export interface VerifyOptions {
  maps?: readonly VerifierMap[];
  /** Helpers the runtime provides; a call to another id is rejected. Omit to allow every prototype known. */
  helpers?: HelperTable;
  /** 0: errors only (the default), 1: every instruction processed, 2: and the state after each. */
  logLevel?: 0 | 1 | 2;
  /** BTF line_info, to print source lines in the log and in errors. */
  lineInfo?: readonly SourceLine[];
  /** Processed-instruction budget (the kernel's BPF_COMPLEXITY_LIMIT_INSNS). */
  complexityLimit?: number;
  /** Program name for messages. */
  name?: string;
  /** Global (non-static) functions, from BTF func_info: verified once each against their prototypes. */
  globalFuncs?: readonly GlobalFunc[];
  /** The program type (default 'xdp'): its context, its helpers, its return values. */
  progType?: VerifierProgType;
  /** libbpf's expected_attach_type name ('xdp_devmap' lets an XDP program read ctx->egress_ifindex). */
  attachType?: string;
  /** Loaded for a device (BPF_F_XDP_DEV_BOUND_ONLY): the XDP metadata kfuncs are allowed. */
  devBound?: boolean;
  /** progType 'tracing': the tracepoint a tp_btf program attaches to (its arguments are the ctx). */
  tracepoint?: string;
  /**
   * The program's license is GPL-compatible (licenseIsGplCompatible of its `license` section; default
   * true): when false, kfunc calls and the gpl_only helpers are refused as the kernel refuses them.
   */
  gplCompatible?: boolean;
  /**
   * The kernel's nr_cpu_ids, the CPUs a program may run on (the Datapath's ncpus): bpf_get_smp_processor_id
   * returns less (do_refine_retval_range). Undefined: an unknown scalar.
   */
  nrCpuIds?: number;
  /** The program's BTF: the local types bpf_obj_new allocates (src/verifier/local_obj.ts). */
  progBtf?: Btf;
}

/**
 * A global function's argument, as its BTF prototype and arg: tags type it (btf_prepare_func_args):
 * ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_PTR_TO_MEM (| PTR_MAYBE_NULL unless tagged nonnull),
 * ARG_PTR_TO_DYNPTR | MEM_RDONLY (a `struct bpf_dynptr *`), ARG_PTR_TO_ARENA.
 */
export type GlobalArg =
  | { kind: 'ctx' }
  | { kind: 'scalar' }
  | { kind: 'mem'; size: number; nonnull?: boolean }
  /** ARG_PTR_TO_MEM | MEM_RDONLY | PTR_UNTRUSTED: arg:untrusted on `void *` or a pointer to a primitive. */
  | { kind: 'untrusted_mem' }
  | { kind: 'dynptr' }
  | { kind: 'arena' };

export interface GlobalFunc {
  name: string;
  /** Entry slot. */
  entry: number;
  args: GlobalArg[];
  /** btf_prepare_func_args refused the prototype: its log line and errno, reported at a call. */
  invalid?: { message: string; errno: VerifierErrno };
}

export interface VerifierStats {
  /** Instructions processed over all paths (the kernel's `processed N insns`). */
  insnsProcessed: number;
  /** States stored at prune points. */
  totalStates: number;
  peakStates: number;
  maxStatesPerInsn: number;
  /**
   * The end of the furthest ctx load (off + size; the kernel's prog->aux->max_ctx_offset): attaching a
   * tracepoint program checks it against the event's record or argument count.
   */
  maxCtxOffset: number;
  /** Stack depth of each subprogram, by entry slot. */
  stackDepth: ReadonlyMap<number, number>;
  /** Milliseconds spent. */
  timeMs: number;
}

export interface VerifiedProgram {
  insns: readonly Insn[];
  log: string;
  stats: VerifierStats;
  facts: VerifierFacts;
}

/** What the walk proved about the program that the JIT may build on (verified code, run unchecked). */
export interface VerifierFacts {
  /**
   * bpf_loop calls by instruction: the largest iteration count r1 holds there (its umax over every
   * state that reached the call), for calls whose count is at most BPF_MAX_LOOPS. The count is precise
   * at the call (it decides how many callback visits are verified), so a state pruned on its way there
   * holds a count within an explored state's: the bound covers every run.
   */
  loopCountMax: ReadonlyMap<number, number>;
  /**
   * bpf_loop calls the kernel inlines (optimize_bpf_loop: fit_for_inline, its flags a known 0 and one
   * callback on every path). Their -E2BIG is the inlined code's BPF_MOV32_IMM(r0, -E2BIG): r0 =
   * 0xfffffff9, zero-extended, where the helper returns the 64-bit -7.
   */
  loopInlined: ReadonlySet<number>;
  /**
   * Loads through untrusted memory (a global function's arg:untrusted `void *` or pointer to a
   * primitive), which the kernel makes BPF_PROBE_MEM loads: any address, a fault reads 0.
   */
  probeLoads: ReadonlySet<number>;
  /** bpf_obj_new calls by instruction: the object's size (the kernel's insn_aux_data obj_new_size), which the loader lowers them to. */
  objNewSizes?: ReadonlyMap<number, number>;
}

const BPF_FUNC_FOR_EACH_MAP_ELEM = 164;
const BPF_FUNC_TIMER_INIT = 169;
const BPF_FUNC_TIMER_SET_CALLBACK = 170;
/** Helpers that run a callback before they return (is_sync_callback_calling_function): bpf_for_each_map_elem, bpf_loop. */
const SYNC_CALLBACK_HELPERS: ReadonlySet<number> = new Set([BPF_FUNC_FOR_EACH_MAP_ELEM, 181]);
/** Maps whose ops have map_for_each_callback (arraymap.c, hashtab.c): what bpf_for_each_map_elem may walk. */
const FOR_EACH_MAPS: ReadonlySet<number> = new Set<number>([
  MapType.ARRAY, MapType.PERCPU_ARRAY, MapType.HASH, MapType.PERCPU_HASH, MapType.LRU_HASH, MapType.LRU_PERCPU_HASH,
]);
/**
 * A map element callback's arguments (map_set_for_each_callback_args, set_timer_callback_state): r1 the
 * map, r2 its key (PTR_TO_MAP_KEY), r3 its value (PTR_TO_MAP_VALUE), both at offset 0.
 */
function putMapElemArgs(callee: Frame, mapReg: Reg, map: MapInfo): void {
  callee.put(1, mapReg);
  for (const [r, type] of [[2, RegType.MAP_KEY], [3, RegType.MAP_VALUE]] as const) {
    const p = Reg.pointer(type);
    p.map = map;
    callee.put(r, p);
  }
}

/** include/linux/bpf.h: bpf_loop's largest nr_loops (BPF_MAX_LOOPS, 8M). */
const BPF_MAX_LOOPS = 1n << 23n;

interface Pending {
  state: State;
  insn: number;
  from: number;
}

/** include/linux/trace_events.h: the largest tracepoint record a classic tracepoint program may read. */
const PERF_MAX_TRACE_SIZE = 8192;
/** include/linux/bpf.h */
const MAX_BPF_FUNC_ARGS = 12;

/** Thrown inside the walk; turned into a VerifierError with the log. */
class Reject {
  constructor(
    readonly reason: string,
    readonly insn: number,
    /** A second line the kernel prints after the error (e.g. `R2 offset is outside of the packet`). */
    readonly detail?: string,
    readonly errno: VerifierErrno = 'EACCES',
  ) {}
}

/** include/uapi/linux/bpf.h: bpf_get_smp_processor_id, whose result do_refine_retval_range bounds. */
const BPF_FUNC_GET_SMP_PROCESSOR_ID = 8;

/** include/uapi/linux/bpf.h: bpf_dynptr_from_mem. */
const BPF_FUNC_DYNPTR_FROM_MEM = 197;
/** include/uapi/linux/bpf.h: bpf_dynptr_write. */
const BPF_FUNC_DYNPTR_WRITE = 202;
const BPF_FUNC_KPTR_XCHG = 194;
/** bpf_tail_call. */
const BPF_FUNC_TAIL_CALL = 12;
const BPF_FUNC_SNPRINTF = 165;

/** Helpers after which packet pointers are stale (bpf_helper_changes_pkt_data). */
const CHANGES_PKT_DATA = new Set([44, 54, 65]);
/** Helpers that may take packet pointers as memory arguments (their proto's pkt_access). */
const PKT_ACCESS = new Set([1, 2, 3, 28, 84, 85, 99, 100, 110, 204, 205, 206, 207]);

/** A history entry: the instruction's slot in the low bits, its stack access (stepStack) above them. */
const HIST_PC_BITS = 21;
const HIST_PC_MASK = (1 << HIST_PC_BITS) - 1;
const STACK_INDIRECT = 0x3ff;
/**
 * A compare's entry, in the same bits (a jump accesses no stack): INSN_F_DST_REG_STACK and
 * INSN_F_SRC_REG_STACK, that side was a stack pointer.
 */
const HIST_DST_STACK = 1;
const HIST_SRC_STACK = 2;
/** MAX_VAR_OFF as a number, for pointers' fixed offsets. */
const MAX_VAR_OFF_NUM = Number(MAX_VAR_OFF);
/** The kernel forces a checkpoint once a path's jump history since the last one passes 40 entries. */
const HIST_MARKS_MAX = 40;

const CMP_OF_OP: Partial<Record<number, Cmp>> = {
  [JmpOp.JEQ]: 'eq', [JmpOp.JNE]: 'ne', [JmpOp.JGT]: 'gt', [JmpOp.JGE]: 'ge', [JmpOp.JLT]: 'lt', [JmpOp.JLE]: 'le',
  [JmpOp.JSGT]: 'sgt', [JmpOp.JSGE]: 'sge', [JmpOp.JSLT]: 'slt', [JmpOp.JSLE]: 'sle', [JmpOp.JSET]: 'set',
};

const ALU_NAMES: Record<number, string> = {
  0x00: '+=', 0x10: '-=', 0x20: '*=', 0x30: '/=', 0x40: '|=', 0x50: '&=', 0x60: '<<=', 0x70: '>>=', 0x80: 'neg',
  0x90: '%=', 0xa0: '^=', 0xb0: '=', 0xc0: 's>>=', 0xd0: 'endian',
};

/**
 * adjust_reg_min_max_vals' ending for a scalar `dst OP= src`: `rX += K` / `rX -= K` (a constant src, not
 * rX itself) of a linked rX keeps the link with the constant as its delta (id | BPF_ADD_CONST64, or
 * BPF_ADD_CONST32 for `wX += K` of an rX within 32 bits before it), so sync_linked_regs can bound it
 * from the others; a delta outside s32, a second delta, or any other op leaves it unlinked (id 0 and
 * off 0). `dst` and `src` as before the op. Undefined: unlinked, by an op other than a constant add.
 */
function linkAfterAlu(dst: Reg, src: Reg, op: number, alu32: boolean, sameReg: boolean): { id: number; off: number } | undefined {
  if ((op !== 0x00 && op !== 0x10) || dst.id === 0 || sameReg) return undefined;
  // is_reg_const, reg_const_value
  const t = alu32 ? src.varOff.subreg() : src.varOff;
  if (!src.isScalar || !t.isConst) return undefined;
  const val = t.value;
  const cleared = { id: 0, off: 0 };
  if (!alu32 && s64(val) !== s32(val)) return cleared;
  if (alu32 && dst.umax > U32_MAX) return cleared;
  let off = Number(s32(val));
  if (op === 0x10) {
    if (off === -0x80000000) return cleared;
    off = -off;
  }
  if (addConstOf(dst.id)) return cleared;
  return { id: (dst.id | (alu32 ? BPF_ADD_CONST32 : BPF_ADD_CONST64)) >>> 0, off };
}

/**
 * maybe_fork_scalars' marks: __mark_reg_known(reg, v) (id and delta cleared), or for the s32 case
 * __mark_reg32_known (the low half of the tnum and the 32-bit bounds only, left unsynced).
 */
function markForked(r: Reg, sub: boolean, v: bigint): void {
  if (!sub) {
    r.setKnown(v);
    return;
  }
  r.varOff = Tnum.of((r.varOff.value & ~U32_MAX) | u32(v), r.varOff.mask & ~U32_MAX);
  r.s32min = r.s32max = s32(v);
  r.u32min = r.u32max = u32(v);
}

/** Verify `prog` (a loaded program: map references patched to addresses). Throws VerifierError. */
export function verify(prog: readonly Insn[], opts: VerifyOptions = {}): VerifiedProgram {
  return new Verifier(prog, opts).run();
}

class Verifier {
  /** The program as given (returned as VerifiedProgram.insns). */
  private readonly input: readonly Insn[];
  /**
   * The program as walked: each instruction copied into one object shape (every field present), so the
   * walk's many reads of ins.code / ins.dst / … see one hidden class, not the three an object's loader
   * makes (plain, with imm64, ld_imm64's tail).
   */
  private readonly prog: readonly Insn[];
  private readonly opts: VerifyOptions;
  private readonly logLevel: number;
  private readonly lines: string[] = [];
  private readonly lineAt = new Map<number, SourceLine>();
  private readonly limit: number;
  private idGen = 0;
  private processed = 0;
  private jmps = 0;
  private prevJmps = 0;
  private prevProcessed = 0;
  private totalStates = 0;
  private curStates = 0;
  private peakStates = 0;
  /**
   * The checkpoints, oldest first, in the kernel's explored_states buckets (explored_state: instruction
   * xor the current frame's callsite, modulo the program's length; walked newest first): of those at
   * the instruction, finished ones (branches 0) prune and in-flight ones detect infinite loops. A bucket
   * holds the states of other callsites only when they collide, and only those take part in the
   * in-flight and miss heuristics, as in the kernel.
   */
  /** The explored states' buckets, (insn ^ callsite) % the program's length (an array: a lookup per prune point). */
  private readonly states: (Checkpoint[] | undefined)[];
  private maxStatesPerInsn = 0;
  private maxCtxOffset = 0;
  /** bpf_loop calls' loop_inline_state, by instruction: still fit for inlining, and its callback. */
  private readonly loopInline = new Map<number, { fit: boolean; subprog: number | undefined }>();
  /** VerifierFacts.probeLoads */
  private readonly probeLoads = new Set<number>();
  private readonly objNewSizes: ObjNewSizes = new Map();
  /** bpf_loop calls' largest count (r1's umax) over the states that reached them, by instruction (VerifierFacts). */
  private readonly loopCountMax = new Map<number, bigint>();
  /** Per frame, the stack slots live where states are compared (one object, refilled per comparison). */
  private readonly slotLive = { lo: [] as number[], hi: [] as number[] };
  /** liveMasks' array (reused). */
  private readonly liveBuf: number[] = [];
  /** scalarRefine's copy of an immediate operand (refilled per compare; never put in a state). */
  private readonly immScratch = new Reg();
  /** What backtracking follows (reused: the walks do not nest). */
  private readonly bt = new Backtrack(0);
  /** propagatePrecision's list of spill slots (reused). */
  private readonly spillList: number[] = [];
  private readonly pending: Pending[] = [];
  /**
   * preciseSpill of each slot marked, made once: slots are immutable and shared between states, and the
   * checkpoints one precision mark passes often hold the same slot (katran: 1,400 slots among 29,000 marks).
   */
  private readonly preciseSpills = new Map<Slot, Slot>();
  private prune!: Uint8Array;
  /**
   * The kernel's jmp points (mark_jmp_point): branch and goto targets, the instruction after a call, a
   * callback-calling helper call. Each one visited is an entry of the path's jump history.
   */
  private jmpPoint!: Uint8Array;
  /**
   * Helper calls that run a callback (bpf_loop): a forced checkpoint, where a callback's iterations
   * converge (the kernel's calls_callback: compared by range with the states still being explored).
   */
  private readonly callbackCalls = new Set<number>();
  /** bpf_iter_num_next calls (is_iter_next_insn): prune points and forced checkpoints, where an iterator's loop converges. */
  private readonly iterNexts = new Set<number>();
  private readonly isCallbackCall = (insn: number): boolean => this.callbackCalls.has(insn);
  /** A stack slot written whole by the instruction being walked (dynptr slots made or destroyed). */
  private readonly slotWritten = (frameno: number, spi: number): void => this.stackLive.write(frameno, spi);
  /**
   * may_goto instructions (is_may_goto_insn): forced checkpoints where a loop's iterations converge —
   * compared by range with the states still being explored, as a callback's call is.
   */
  private mayGotos!: Uint8Array;
  /**
   * The kernel's compute_scc: per instruction, the strongly connected component of its function's
   * control flow graph it is in (1, 2, …; 0 for none: a single instruction without a jump to itself).
   */
  private scc!: Int32Array;
  /**
   * bpf_scc_visit by callchain (sccCallchain): the checkpoint that entered the component on the path
   * being explored, and the backedges found there since — paths pruned by a checkpoint of the same
   * component through a RANGE_WITHIN comparison, whose precision is propagated again when every path
   * from the entry has ended (maybe_exit_scc).
   */
  private readonly sccVisits = new Map<string, { entry: Checkpoint | null; backedges: { state: State; equal: Checkpoint; insn: number }[] }>();
  /** Backedges held by all visits (env->num_backedges): none, and no comparison needs RANGE_WITHIN. */
  private backedges = 0;
  /** Precision marks set on checkpoints (bt's `changed` of __mark_chain_precision), counted. */
  private newMarks = 0;
  private live!: Uint16Array;
  private stackLive!: StackLiveness;
  /** Entry slots of subprograms (calls and callbacks), ascending; [0] = 0. */

  private readonly stackDepth = new Map<number, number>();
  private readonly callees = new Map<number, Set<number>>();
  private readonly mapsByAddr = new Map<number, VerifierMap>();
  private readonly globals = new Map<number, GlobalFunc>();
  /** Global functions a verified path called (check_func_call's subprog_aux->called), by entry. */
  private readonly calledGlobals = new Set<number>();
  /** Subprogram index (func#) by entry instruction, as add_subprog numbers them (the program is 0). */
  private readonly funcIndex = new Map<number, number>();
  /** may_goto instructions the walk reached (the others are dead code the kernel removes). */
  private readonly mayGotoWalked = new Set<number>();
  /**
   * What the rewrites after the walk make of an instruction (fixups.ts), by instruction: a ctx load's
   * field offset (convert_ctx_accesses makes several of some), a bpf_map_lookup_elem call's map, null
   * when paths passed different ones (record_func_map's poison: no inlined lookup).
   */
  private readonly rewriteFacts = new Map<number, number | MapInfo | null>();
  private lastLinfo: SourceLine | undefined;
  private curPc = 0;
  private readonly progType: VerifierProgType;
  /**
   * The stack slot the instruction being executed loaded or stored (the kernel's INSN_F_STACK_ACCESS in
   * its jump history), recorded with the instruction in the path's history for backtracking:
   * 0 none, 1 + spi for a fixed slot of the executing frame, STACK_INDIRECT otherwise; for a compare,
   * HIST_DST_STACK | HIST_SRC_STACK.
   */
  private stepStack = 0;
  /** stackReadFixed's load restored the spilled register (see there). */
  private stackFilled = false;
  /** The registers the instruction being executed (a compare) found linked, two or more (collectLinked). */
  private stepLinked: number[] | undefined = undefined;
  /** Per instruction, what backtrack may pass by without backtrackInsn (backtrackSkipBits). */
  private readonly btSkip: Int32Array;
  /**
   * Per instruction, its immediate as a known scalar, made once: the source operand of an ALU op or a
   * compare, which only read it, or the value a `mov` of it puts in (a 32-bit mov's zero-extended), shared
   * by every path through the instruction (put in with Frame.putShared: copied before any change).
   */
  private readonly immRegs: (Reg | undefined)[];
  /** Instructions whose fields walkedInsnError has passed (they do not change from one visit to the next). */
  private readonly fieldsChecked: Uint8Array;

  constructor(prog: readonly Insn[], opts: VerifyOptions) {
    this.input = prog;
    prog = prog.map((i) => ({ code: i.code, dst: i.dst, src: i.src, off: i.off, imm: i.imm, imm64: i.imm64, isLdImm64Tail: i.isLdImm64Tail }));
    this.prog = prog;
    this.btSkip = backtrackSkipBits(prog);
    this.immRegs = new Array<Reg | undefined>(prog.length);
    this.fieldsChecked = new Uint8Array(prog.length);
    this.states = new Array<Checkpoint[] | undefined>(prog.length).fill(undefined);
    this.opts = opts;
    this.logLevel = opts.logLevel ?? 0;
    this.limit = opts.complexityLimit ?? COMPLEXITY_LIMIT;
    this.progType = opts.progType ?? 'xdp';
    for (const l of opts.lineInfo ?? []) this.lineAt.set(l.index, l);
    for (const m of opts.maps ?? []) this.mapsByAddr.set(m.address, m);
    for (const g of opts.globalFuncs ?? []) if (g.entry !== 0) this.globals.set(g.entry, g);
  }

  private log(s: string): void {
    this.lines.push(s);
  }

  private reject(reason: string, insn: number, detail?: string, errno?: VerifierErrno): never {
    throw new Reject(reason, insn, detail, errno);
  }

  run(): VerifiedProgram {
    const t0 = performance.now();
    try {
      this.addKfuncCalls();
      this.checkCfg();
      this.live = liveRegisters(this.prog, (id, kfunc) => (kfunc ? kfuncById(id)?.args.length : PROTOS[id]?.args.length));
      this.stackLive = new StackLiveness(this.prog, [0, ...this.funcIndex.keys()]);
      this.walk();
      // do_check_subprogs: a global function is verified once, on its own, from its BTF prototype, and
      // only when a verified path calls it (lazily, since Linux 6.8: one called from dead code is
      // not verified); passes in func# order until one verifies no new function.
      const verified = new Set<number>();
      const globals = [...this.globals.keys()].sort((a, b) => a - b);
      for (let fresh = true; fresh; ) {
        fresh = false;
        for (const entry of globals) {
          if (!this.calledGlobals.has(entry) || verified.has(entry)) continue;
          const g = this.globals.get(entry)!;
          const idx = this.funcIndex.get(entry);
          if (this.logLevel >= 1) this.log(`Validating ${g.name}() func#${idx}...`);
          this.walk(entry);
          if (this.logLevel >= 1) this.log(`Func#${idx} ('${g.name}') is safe for any args that match its prototype`);
          verified.add(entry);
          fresh = true;
        }
      }
      this.checkMaxStackDepth();
      this.checkThrowInCallback();
      const entries = [...this.funcIndex.keys()].sort((a, b) => a - b);
      const loopInlined = new Map([...this.loopInline].filter(([, l]) => l.fit && l.subprog !== undefined).map(([pc, l]) => [pc, l.subprog!]));
      // (fieldsChecked: the instructions a path stepped, the kernel's insn_aux_data.seen)
      const jit = jitSubprogsRefusal(this.prog, { seen: this.fieldsChecked, entries, loopInlined, rewriteFacts: this.rewriteFacts, progType: this.progType });
      if (jit) this.reject(jit.reason, jit.insn, undefined, 'EFAULT');
    } catch (e) {
      if (!(e instanceof Reject)) throw e;
      const src = this.lineAt.get(e.insn);
      if (src && src !== this.lastLinfo) this.log(`; ${src.text.trim()} @ ${src.file}:${src.line}`);
      this.log(e.reason);
      if (e.detail) this.log(e.detail);
      this.summary();
      throw new VerifierError(e.reason, e.insn, this.lines.join('\n') + '\n', this.opts.name, e.errno);
    }
    this.summary();
    return {
      insns: this.input,
      log: this.lines.join('\n') + '\n',
      stats: {
        insnsProcessed: this.processed,
        totalStates: this.totalStates,
        peakStates: this.peakStates,
        maxStatesPerInsn: this.maxStatesPerInsn,
        maxCtxOffset: this.maxCtxOffset,
        stackDepth: this.reportedStackDepth(),
        timeMs: performance.now() - t0,
      },
      facts: {
        loopCountMax: new Map([...this.loopCountMax].filter(([, n]) => n <= BPF_MAX_LOOPS).map(([pc, n]) => [pc, Number(n)])),
        loopInlined: new Set([...this.loopInline].filter(([, s]) => s.fit).map(([pc]) => pc)),
        probeLoads: this.probeLoads,
        ...(this.objNewSizes.size ? { objNewSizes: this.objNewSizes } : {}),
      },
    };
  }

  private addKfuncCalls(): void {
    const r = kfuncCallRefusal(this.prog, this.opts);
    if (r) this.reject(r.reason, r.insn, undefined, 'EINVAL');
  }

  private summary(): void {
    this.log(
      `processed ${this.processed} insns (limit ${this.limit}) max_states_per_insn ${this.maxStatesPerInsn} total_states ${this.totalStates} peak_states ${this.peakStates} mark_read 0`,
    );
  }

  // ---- control flow graph (check_cfg) ----

  private checkCfg(): void {
    const prog = this.prog;
    const n = prog.length;
    this.prune = new Uint8Array(n);
    this.jmpPoint = new Uint8Array(n);
    this.mayGotos = new Uint8Array(n);
    const starts = new Set<number>([0]);
    for (let i = 0; i < n; i++) {
      const ins = prog[i]!;
      if (ins.isLdImm64Tail) continue;
      if (isLocalCall(ins)) starts.add(i + 1 + ins.imm);
      if (ins.code === OP_LDDW && ins.src === PseudoLd.FUNC) starts.add(i + 1 + ins.imm);
    }
    [...starts].sort((a, b) => a - b).forEach((entry, k) => this.funcIndex.set(entry, k));

    // Depth-first from insn 0 through jumps, calls and callback references.
    const seen = new Uint8Array(n);
    const stack = [0];
    seen[0] = 1;
    const visit = (t: number, from: number): void => {
      if (t < 0 || t >= n) this.reject(`jump out of range from insn ${from} to ${t}`, from, undefined, 'EINVAL');
      if (!seen[t]) {
        seen[t] = 1;
        stack.push(t);
      }
    };
    while (stack.length) {
      const i = stack.pop()!;
      const ins = prog[i]!;
      const c = ins.code & 0x07;
      const op = ins.code & 0xf0;
      const isJmp = c === Class.JMP || c === Class.JMP32;
      const next = ins.code === OP_LDDW ? i + 2 : i + 1;
      if (ins.code === OP_LDDW && ins.src === PseudoLd.FUNC) {
        // visit_func_call_insn: the reference, the instruction after it and the callback's entry.
        visit(i + 1 + ins.imm, i);
        this.prune[i + 1 + ins.imm] = this.jmpPoint[i + 1 + ins.imm] = 1;
        this.prune[i] = 1;
        if (next < n) this.prune[next] = this.jmpPoint[next] = 1;
      }
      if (!isJmp) {
        if (next >= n) this.reject('last insn is not an exit or jmp', i, undefined, 'EINVAL');
        visit(next, i);
        continue;
      }
      if (op === JmpOp.EXIT) continue;
      if (op === JmpOp.CALL) {
        if (isLocalCall(ins)) {
          visit(i + 1 + ins.imm, i);
          this.prune[i + 1 + ins.imm] = this.jmpPoint[i + 1 + ins.imm] = 1;
          this.prune[i] = 1;
        }
        // visit_insn: an iterator's next call is a prune point and a forced checkpoint
        if (ins.src === PseudoCall.KFUNC && kfuncById(ins.imm)?.ret === 'iter_next') {
          this.iterNexts.add(i);
          this.prune[i] = 1;
        }
        if ((ins.src === PseudoCall.HELPER && SYNC_CALLBACK_HELPERS.has(ins.imm)) || (ins.src === PseudoCall.KFUNC && kfuncById(ins.imm)?.graph === 'rbtree_add')) {
          this.callbackCalls.add(i);
          this.prune[i] = this.jmpPoint[i] = 1;
        }
        this.prune[next] = this.jmpPoint[next] = 1;
        visit(next, i);
        continue;
      }
      const t = i + 1 + (c === Class.JMP32 && op === JmpOp.JA ? ins.imm : ins.off);
      this.prune[t] = this.jmpPoint[t] = 1;
      visit(t, i);
      if (op !== JmpOp.JA) {
        // The kernel's prune points for a conditional jump: the jump itself and its target; a may_goto
        // is a forced checkpoint too (visit_insn: mark_force_checkpoint), where its loop converges.
        this.prune[i] = 1;
        if (isMayGoto(ins)) this.mayGotos[i] = 1;
        visit(next, i);
      }
    }
    for (let i = 0; i < n; i++) {
      if (!seen[i] && !prog[i]!.isLdImm64Tail) this.reject(`unreachable insn ${i}`, i, undefined, 'EINVAL');
    }
    this.scc = computeScc(prog, this.callbackCalls);
  }

  // ---- the walk (do_check) ----

  /** Walk every path from `entry` (the program, or a global function verified on its own). */
  private walk(entry = 0): void {
    const main = new Frame(0, -1, entry);
    const g = this.globals.get(entry);
    if (entry === 0) main.put(1, Reg.pointer(RegType.CTX));
    else g!.args.forEach((a, k) => main.put(k + 1, this.globalArgReg(a)));
    let st = new State([main]);
    let pc = entry;
    let from = -1;
    // Every round either processes an instruction (counted against the limit) or ends a path that a
    // processed instruction pushed (one push at most per instruction), so the walk ends within twice the
    // limit; \`rounds\` makes that bound explicit, whatever a bug elsewhere does to pruning.
    let rounds = 0;
    const maxRounds = 2 * this.limit + 2;
    // do_check's do_print_state: a path just popped is named "from X to Y" once, with ": safe" when it is
    // pruned at once, else with its state.
    let popped = false;
    for (;;) {
      if (++rounds > maxRounds) this.reject(`BPF program is too large. Processed ${this.processed} insn`, from >= 0 ? from : pc, undefined, 'E2BIG');
      // do_check counts the instruction before is_state_visited: a visit pruned there is processed too,
      // and the checkpoint heuristics see the count with it.
      if (++this.processed > this.limit) {
        // Named as the kernel's log names it: by the last instruction it processed.
        this.reject(`BPF program is too large. Processed ${this.processed} insn`, from >= 0 ? from : pc, undefined, 'E2BIG');
      }
      if (this.prune[pc] && (from >= 0 || this.forcedAt(pc))) {
        // The instruction about to run: where precision propagated on a hit starts backwards from.
        this.curPc = pc;
        if (this.isStateVisited(st, pc)) {
          if (this.logLevel >= 1) this.log(popped ? `from ${from} to ${pc}: safe` : `${pc}: safe`);
          this.stackLive.update(st.frames);
          const next = this.popPath(st);
          if (!next) return;
          ({ state: st, insn: pc, from } = next);
          popped = true;
          continue;
        }
      }
      if (popped) {
        if (this.logLevel >= 1) this.log(`from ${from} to ${pc}: ${this.stateText(st)}`);
        popped = false;
      }
      this.logInsn(pc);
      const cls = this.prog[pc]!.code & 0x07;
      if (cls === Class.JMP || cls === Class.JMP32) this.jmps++;
      this.curPc = pc;
      this.stepStack = 0;
      this.stepLinked = undefined;
      const depth = st.frames.length;
      this.stackLive.beginInsn(st.frames, pc);
      const next = this.step(st, pc);
      // a call entered or a function returned: the kernel's cur_instance was reset, nothing committed
      if (st.frames.length === depth) this.stackLive.commit();
      else this.stackLive.resetCur();
      st.hist.push(this.stepStack ? pc | (this.stepStack << HIST_PC_BITS) : pc);
      if (this.stepLinked) st.hist.setLinked(this.stepLinked);
      if (this.stepStack || this.jmpPoint[pc] || this.stepLinked) st.histMarks++;
      if (this.logLevel >= 2) this.log(`${pc}: ${this.stateText(st)}`);
      if (next < 0) {
        this.stackLive.update(st.frames);
        const p = this.popPath(st);
        if (!p) return;
        ({ state: st, insn: pc, from } = p);
        popped = true;
        continue;
      }
      // A return from a function (or a callback) to its caller: do_check names the state it goes on
      // with as it names a popped one (do_print_state).
      if (this.prog[pc]!.code === (Class.JMP | JmpOp.EXIT)) popped = true;
      from = pc;
      pc = next;
    }
  }

  private logInsn(pc: number): void {
    if (this.logLevel < 1) return;
    const src = this.lineAt.get(pc);
    if (src && src !== this.lastLinfo) {
      this.log(`; ${src.text.trim()} @ ${src.file}:${src.line}`);
      this.lastLinfo = src;
    }
    const ins = this.prog[pc]!;
    this.log(`${pc}: (${ins.code.toString(16).padStart(2, '0')}) ${formatInsn(ins, 'llvm')}`);
  }

  private stateText(st: State): string {
    const parts: string[] = [];
    st.frames.forEach((f, k) => {
      const pre = st.frames.length > 1 ? `frame${k}: ` : '';
      const regs = f.regs
        .map((r, i) => (r.type === RegType.NOT_INIT ? '' : `R${i}=${r.describe()}`))
        .filter(Boolean);
      const stack: string[] = [];
      for (let spi = 0; spi < STACK_SLOTS; spi++) {
        const s = f.slot(spi)!;
        if (s === EMPTY_SLOT) continue;
        const off = spi * 8 - MAX_BPF_STACK;
        if (s.spill && s.bytes[0] === Byte.SPILL) {
          // print_verifier_state: the bytes above a narrower spill, then the register it keeps
          let above = '';
          for (let j = 7; j >= 0 && s.bytes[j] !== Byte.SPILL; j--) above += '?mzr'[s.bytes[j]!];
          stack.push(`fp${off}=${above}${s.spill.describe()}`);
        } else stack.push(`fp${off}=${s.bytes.map((b) => '?mzr'[b]).reverse().join('')}`);
      }
      parts.push(pre + [...regs, ...stack].join(' '));
    });
    return parts.join(' ');
  }

  /** End a path: count it down the checkpoints it passed; return the next pending path. */
  private popPath(st: State): Pending | undefined {
    for (let c = st.cp; c; c = c.parent) {
      if (--c.branches > 0) break;
      this.maybeExitScc(c);
    }
    return this.pending.pop();
  }

  /** `stackSides`: a compare's HIST_DST_STACK | HIST_SRC_STACK, in its entry on the pushed path too. */
  private pushBranch(st: State, insn: number, from: number, linked?: number[], record = true, stackSides = 0): void {
    if (st.cp) st.cp.branches++;
    if (record) st.hist.push(stackSides ? from | (stackSides << HIST_PC_BITS) : from);
    if (linked !== undefined && linked.length > 1) st.hist.setLinked(linked);
    this.pending.push({ state: st, insn, from });
    // push_stack past BPF_COMPLEXITY_LIMIT_JMP_SEQ: ERR_PTR(-E2BIG), which every caller returns (6.18.44)
    if (this.pending.length > 8192) this.reject(`The sequence of ${this.pending.length} jumps is too complex.`, from, undefined, 'E2BIG');
  }

  /**
   * A forced checkpoint (is_force_checkpoint: a may_goto, a call that runs a callback): do_check asks
   * is_state_visited there even at the walk's first instruction, so a may_goto at insn 0 keeps the
   * state its loop converges to (wide random program seed 253: processed 47 -> 33, the kernel's).
   */
  private forcedAt(pc: number): boolean {
    return this.mayGotos[pc] === 1 || this.callbackCalls.has(pc) || this.iterNexts.has(pc);
  }

  /**
   * is_state_visited: prune against an equivalent explored state, detect infinite loops, store a
   * checkpoint. The checkpoints of an instruction are walked as the kernel walks its explored_states
   * list, newest first, finished and in-flight ones alike: the order decides which state a path is
   * pruned by, which misses are counted, and an in-flight state evicted for its misses no longer holds
   * back the checkpoints of the loop it is in.
   */
  private isStateVisited(st: State, pc: number): boolean {
    const live = this.liveMasks(st, pc);
    const callsCallback = this.callbackCalls.has(pc);
    const mayGoto = this.mayGotos[pc] === 1;
    const iterNext = this.iterNexts.has(pc);
    // Computed only when an in-flight state may repeat or a checkpoint is stored (no closure: this runs
    // at every prune point).
    let fpMemo = 0;
    let fpDone = false;
    // The kernel's add_new_state: a checkpoint after 2 jumps and 8 instructions since the last one, or
    // forced (a call that runs a callback, a may_goto; a history of more than 40 jump targets and stack
    // accesses).
    const forced = callsCallback || mayGoto || iterNext;
    const force = forced || st.histMarks > HIST_MARKS_MAX;
    let add = force || (this.jmps - this.prevJmps >= 2 && this.processed - this.prevProcessed >= 8);
    const bucket = ((pc ^ st.cur.callsite) >>> 0) % this.prog.length;
    const list = this.states[bucket];
    if (list) {
      // max_states_per_insn counts the bucket's states (states_cnt), whatever their instruction
      const walked = list.length;
      const slotLive = this.slotLive;
      this.liveSlots(st, pc, slotLive);
      for (let k = list.length - 1; k >= 0; k--) {
        const old = list[k]!;
        if (old.insn !== pc) continue;
        // clean_live_states, before the comparisons: a checkpoint whose paths have all ended, reached
        // from the same callsites, is cleaned unless its component still has backedges to propagate.
        const incomplete = old.branches === 0 && this.backedges > 0 && this.incompleteReadMarks(old);
        if (!old.cleaned && old.branches === 0 && !incomplete && sameCallsites(old.state, st)) {
          old.cleaned = true;
          old.cleanLive = { lo: slotLive.lo.slice(), hi: slotLive.hi.slice() };
        }
        if (old.branches > 0) {
          // An iterator's next call reached again within the ranges of the state still being explored
          // there, the iterator still ACTIVE: the loop converged (RANGE_WITHIN, an SCC backedge); else no
          // infinite-loop check at this instruction (the iterator's contract ends the loop).
          if (iterNext) {
            if (statesEqual(old.state, st, live, false, undefined, true) && !this.iterAt(st, this.reg(st, 1))?.drained) {
              old.hits++;
              this.propagatePrecision(old.state, st, live, slotLive);
              this.addSccBackedge(st, old, pc);
              return true;
            }
          } else {
            // A may_goto reached again one iteration deeper, within the ranges of the state still being
            // explored there: the loop adds nothing (RANGE_WITHIN); otherwise on to the checks below.
            if (mayGoto && old.state.mayGotoDepth !== st.mayGotoDepth && statesEqual(old.state, st, live, false, undefined, true)) {
              old.hits++;
              this.propagatePrecision(old.state, st, live, slotLive);
              this.addSccBackedge(st, old, pc);
              return true;
            }
            if (callsCallback) {
              // A callback's next iteration from a state within the ranges of one still being explored
              // adds nothing (RANGE_WITHIN: imprecise scalars compared too); no infinite-loop check here.
              // The pruned path is kept as a backedge of the call's component (as an iterator's or a
              // may_goto's): until that visit ends, the checkpoints in it are compared by range too
              // (incomplete_read_marks), as 6.18.44 compares them (syncookie_xdp: 14,615 processed).
              if (statesEqual(old.state, st, live, false, undefined, true)) {
                old.hits++;
                this.propagatePrecision(old.state, st, live, slotLive);
                this.addSccBackedge(st, old, pc);
                return true;
              }
            } else if (
              old.fp === (fpDone ? fpMemo : ((fpDone = true), (fpMemo = fingerprint(st, live[live.length - 1]!)))) &&
              old.state.cbUnroll === st.cbUnroll && old.state.mayGotoDepth === st.mayGotoDepth && statesMaybeLooping(old.state, st) && statesEqual(old.state, st, live, true) &&
              !iterActiveDepthsDiffer(old.state, st)) {
              // An identical state still being explored: this path went round a loop and changed nothing.
              this.reject(`infinite loop detected at insn ${pc}`, pc, undefined, 'EINVAL');
            }
          }
          // While a loop is explored (an in-flight state here), not before 20 jumps or 100 instructions.
          if (!force && this.jmps - this.prevJmps < 20 && this.processed - this.prevProcessed < 100) add = false;
        } else {
          // A checkpoint of a loop whose paths are not all explored yet (a backedge found there waits
          // for them: incomplete_read_marks) has not all its precision marks: compared by range too.
          // (RANGE_WITHIN compares every slot of a checkpoint not yet cleaned, the live ones of one cleaned)
          const loop = incomplete;
          // (a cleaned one by the slots alive when it was cleaned: the kernel wiped the others then)
          const slots = old.cleanLive ?? slotLive;
          if (statesEqual(old.state, st, live, false, loop && !old.cleaned ? undefined : slots, loop, old.failAt, old.failOld)) {
            old.hits++;
            this.propagatePrecision(old.state, st, live, slots);
            if (loop) this.addSccBackedge(st, old, pc);
            return true;
          }
          old.failAt = mismatch.at;
          old.failOld = mismatch.old;
        }
        // A state that keeps failing to prune costs more than it saves (the kernel's miss_cnt heuristic,
        // counted only when the miss leads to a new checkpoint); in flight at a forced checkpoint, 64.
        if (add) old.misses++;
        const n = forced && old.branches > 0 ? 64 : 3;
        if (old.misses > old.hits * n + n) {
          // Dropped at once (the walk goes on to older ones, and may yet hit one of them).
          // (written out: splice() allocates the array of what it removes)
          for (let j = k; j < list.length - 1; j++) list[j] = list[j + 1]!;
          list.pop();
          this.curStates--;
        }
      }
      // max_states_per_insn: the states walked here without a hit.
      if (walked > this.maxStatesPerInsn) this.maxStatesPerInsn = walked;
      if (!list.length) this.states[bucket] = undefined;
    }
    if (!add) return false;
    this.prevJmps = this.jmps;
    this.prevProcessed = this.processed;
    // Precision marks inherited from before the checkpoint say nothing about values computed after it
    // (mark_all_scalars_imprecise, before the copy): from here on they are earned by backtracking only.
    makeScalarsImprecise(st);
    const snap = st.clone(false);
    for (const f of snap.frames) f.noteCheckpoint();
    const cp: Checkpoint = { insn: pc, state: snap, branches: 1, parent: st.cp, depth: st.cp ? st.cp.depth + 1 : 0, hits: 0, misses: 0, hist: st.hist, fp: fpDone ? fpMemo : fingerprint(st, live[live.length - 1]!), failAt: -1, failOld: undefined, cleaned: false, cleanLive: undefined };
    snap.cp = null;
    st.cp = cp;
    st.hist = new History();
    st.histMarks = 0;
    const at = this.states[bucket];
    if (at) at.push(cp);
    else this.states[bucket] = [cp];
    this.maybeEnterScc(cp);
    this.totalStates++;
    this.curStates++;
    if (this.curStates > this.peakStates) this.peakStates = this.curStates;
    return false;
  }

  /**
   * compute_scc_callchain: the callsites of the frames outside the innermost one in a component (whose
   * instruction is the callsite of the frame above it, or the state's own for the innermost frame),
   * then the component; undefined when no frame is in one.
   */
  private sccCallchain(st: State, insn: number): string | undefined {
    const top = st.frames.length - 1;
    let key = '';
    for (let f = 0; f <= top; f++) {
      const at = f < top ? st.frames[f + 1]!.callsite : insn;
      const scc = this.scc[at]!;
      if (scc) return `${key}${scc}`;
      if (f === top) return undefined;
      key += `${at},`;
    }
    return undefined;
  }

  /** maybe_enter_scc: a checkpoint in a component is its visit's entry when the visit has none. */
  private maybeEnterScc(cp: Checkpoint): void {
    const key = this.sccCallchain(cp.state, cp.insn);
    if (key === undefined) return;
    const visit = this.sccVisits.get(key);
    if (!visit) this.sccVisits.set(key, { entry: cp, backedges: [] });
    else if (!visit.entry) visit.entry = cp;
  }

  /** incomplete_read_marks: `cp`'s component visit holds backedges still to propagate. */
  private incompleteReadMarks(cp: Checkpoint): boolean {
    const key = this.sccCallchain(cp.state, cp.insn);
    return key !== undefined && (this.sccVisits.get(key)?.backedges.length ?? 0) > 0;
  }

  /** add_scc_backedge: the path `st`, pruned at `insn` by `equal` through RANGE_WITHIN, kept with equal's visit. */
  private addSccBackedge(st: State, equal: Checkpoint, insn: number): void {
    const key = this.sccCallchain(equal.state, equal.insn);
    const visit = key === undefined ? undefined : this.sccVisits.get(key);
    if (!visit) return;
    visit.backedges.push({ state: st.clone(), equal, insn });
    this.backedges++;
  }

  /**
   * maybe_exit_scc: when the visit's entry checkpoint has no path left to explore, every path through
   * the component has ended: the backedges' precision is propagated again (propagate_backedges) until
   * nothing changes (after 64 rounds, every scalar of their paths precise), then they are dropped.
   */
  private maybeExitScc(cp: Checkpoint): void {
    if (!this.sccVisits.size) return;
    const key = this.sccCallchain(cp.state, cp.insn);
    const visit = key === undefined ? undefined : this.sccVisits.get(key);
    if (!visit || visit.entry !== cp) return;
    visit.entry = null;
    const edges = visit.backedges;
    if (!edges.length) return;
    const saved = this.curPc;
    for (let round = 0; ; round++) {
      if (round > 64) {
        for (const e of edges) this.markAllPrecise(e.state);
        break;
      }
      const before = this.newMarks;
      for (const e of edges) {
        const live = this.liveMasks(e.state, e.insn);
        const slots = { lo: [] as number[], hi: [] as number[] };
        this.liveSlots(e.state, e.insn, slots);
        this.curPc = e.insn;
        this.propagatePrecision(e.equal.state, e.state, live, slots);
      }
      if (this.newMarks === before) break;
    }
    this.curPc = saved;
    this.backedges -= edges.length;
    visit.backedges = [];
  }

  /**
   * bpf_stack_slot_alive, per frame f of `st` at `pc`: a slot is alive if the executing function may
   * still read it (from pc on, through a pointer for a caller's frame), or if some frame g from f up to
   * the caller of the executing one may, after its call returns (before its call, when that call runs a
   * callback: the callback runs again).
   */
  private liveSlots(st: State, pc: number, out: { lo: number[]; hi: number[] }): void {
    this.stackLive.alive(st.frames, pc, this.isCallbackCall, out);
  }

  private liveMasks(st: State, pc: number): number[] {
    // One array, refilled per prune point: statesEqual reads it during the comparisons only.
    const masks = this.liveBuf;
    const n = st.frames.length;
    if (masks.length > n) masks.length = n;
    for (let f = 0; f < n; f++) {
      const frame = st.frames[f]!;
      if (f === n - 1) masks[f] = this.live[pc]!;
      else {
        // A caller's registers as live before its call (frame_insn_idx is the callsite): those live when
        // the callee returns, r0 excepted, and the call's arguments. A subprogram's caller has r1-r5
        // cleared at the call, but a callback's (bpf_loop) keeps them: its count r1 is precise there.
        const call = st.frames[f + 1]!.callsite;
        masks[f] = frame && call >= 0 && call < this.live.length ? this.live[call]! : 0x3ff;
      }
    }
    return masks;
  }

  // ---- one instruction ----

  private reg(st: State, r: number): Reg {
    return st.cur.regs[r]!;
  }

  /** check_reg_arg(SRC_OP) */
  private readReg(st: State, r: number, pc: number): Reg {
    const reg = st.cur.regs[r]!;
    if (reg.type === RegType.NOT_INIT) this.reject(`R${r} !read_ok`, pc);
    return reg;
  }

  /** check_reg_arg(DST_OP) */
  private checkDst(r: number, pc: number): void {
    if (r === 10) this.reject('frame pointer is read only', pc);
  }

  private setReg(st: State, r: number, v: Reg): void {
    st.cur.put(r, v);
  }

  /** Execute prog[pc] on st; return the next pc, or -1 when the path ends. */
  private step(st: State, pc: number): number {
    const ins = this.prog[pc]!;
    if (!this.fieldsChecked[pc]) {
      // do_check's checks of the instruction's own fields, made where the walk reaches it (the
      // load-time check leaves them to the walk: the kernel accepts such an instruction in dead code)
      const e = walkedInsnError(ins, this.opts.helpers ? { helpers: this.opts.helpers, progType: this.progType } : {});
      // (do_check returns -EINVAL for each of them: reserved fields, bad opcodes, unknown helpers)
      if (e) this.reject(e.reason, pc, undefined, 'EINVAL');
      this.fieldsChecked[pc] = 1;
    }
    const c = ins.code & 0x07;
    switch (c) {
      case Class.ALU:
      case Class.ALU64:
        this.alu(st, ins, pc);
        return pc + 1;
      case Class.LDX:
        this.ldx(st, ins, pc);
        return pc + 1;
      case Class.ST:
      case Class.STX:
        this.store(st, ins, pc);
        return pc + 1;
      case Class.LD:
        if (ins.code === OP_LDDW) {
          this.ldImm64(st, ins, pc);
          return pc + 2;
        }
        return this.reject('BPF_LD_[ABS|IND] instructions not allowed for this program type', pc, undefined, 'EINVAL');
      default:
        return this.jmp(st, ins, pc);
    }
  }

  // ---- ALU (check_alu_op, adjust_reg_min_max_vals) ----

  private alu(st: State, ins: Insn, pc: number): void {
    const op = ins.code & 0xf0;
    const alu64 = (ins.code & 0x07) === Class.ALU64;
    const x = (ins.code & 0x08) !== 0;
    if (op === 0xd0 || op === 0x80) {
      // end / neg
      const d = this.readReg(st, ins.dst, pc);
      this.checkDst(ins.dst, pc);
      if (d.isPointer) {
        // Privileged: negating or byte-swapping a pointer leaks it as a number, which is allowed.
        this.setReg(st, ins.dst, Reg.unknown());
        return;
      }
      const r = d.clone();
      // scalar_byte_swap unlinks the register only where its value changes: `le64` on a little-endian
      // host keeps its id (seed 143720: a compare of the copy after it bounds the register linked to it);
      // a negation is __mark_reg_known(0) first, which clears it
      if (op === 0x80 || alu64 || x || ins.imm !== 64) r.id = 0;
      if (op === 0x80) {
        const z = Reg.known(0n);
        scalarAlu(z, r, 0x10, !alu64);
        this.setReg(st, ins.dst, z);
      } else {
        const bits = ins.imm;
        if (!alu64 && !x) {
          // to_le on a little-endian host truncates.
          if (bits < 64) r.coerceToSize(bits / 8);
          this.setReg(st, ins.dst, r);
        } else {
          // A byte swap permutes the low `bits` bits and clears the rest: swap the tnum's bytes.
          const t = r.varOff;
          const out = Reg.unknown();
          out.varOff = Tnum.of(bswap(t.value, bits), bswap(t.mask, bits));
          out.sync();
          this.setReg(st, ins.dst, out);
        }
      }
      return;
    }
    if (op === 0xb0) {
      this.mov(st, ins, pc, alu64, x);
      return;
    }
    // Two-operand ALU: check_alu_op reads src and dst, refuses a zero divisor or a shift out of range,
    // and only then asks that dst be writable (`r10 /= 0` is "div by zero").
    if (x) this.readReg(st, ins.src, pc);
    const dst = this.readReg(st, ins.dst, pc);
    if ((op === 0x30 || op === 0x90) && !x && ins.imm === 0) this.reject('div by zero', pc, undefined, 'EINVAL');
    if ((op === 0x60 || op === 0x70 || op === 0xc0) && !x) {
      const bits = alu64 ? 64 : 32;
      if (ins.imm < 0 || ins.imm >= bits) this.reject(`invalid shift ${ins.imm}`, pc, undefined, 'EINVAL');
    }
    this.checkDst(ins.dst, pc);
    // An immediate is sign-extended to 64 bits; a 32-bit operation looks at its low half only.
    const src = x ? this.reg(st, ins.src) : (this.immRegs[pc] ??= Reg.known(BigInt(ins.imm)));
    if (dst.isPointer || src.isPointer) {
      this.ptrAlu(st, ins, pc, dst, src, x, alu64, op);
      return;
    }
    if ((op === 0x50 || op === 0x40) && src.varOff.isConst) this.maybeForkScalars(st, ins, pc);
    this.aluScalar(st, ins, op, alu64, x, this.reg(st, ins.dst), src);
  }

  /**
   * maybe_fork_scalars: `rX &= K` / `rX |= K` of an rX that is -1 or 0 (its s64 range, or else its s32
   * range, [-1, 0]) is walked twice: on with rX = -1 (the s32 case: its low half, the rest of the
   * register as it was), and from this instruction again, pushed, with rX = 0 — where the op's result
   * is a constant rather than the bounds of [-1, 0] OP K.
   */
  private maybeForkScalars(st: State, ins: Insn, pc: number): void {
    const d = this.reg(st, ins.dst);
    let sub: boolean;
    if (d.smin === -1n && d.smax === 0n) sub = false;
    else if (d.s32min === -1n && d.s32max === 0n) sub = true;
    else return;
    const branch = st.clone();
    markForked(branch.cur.own(ins.dst), sub, 0n);
    // (the path starts this instruction over: nothing of it in its history yet)
    this.pushBranch(branch, pc, pc, undefined, false);
    markForked(st.cur.own(ins.dst), sub, -1n);
  }

  private aluScalar(st: State, ins: Insn, op: number, alu64: boolean, x: boolean, dst: Reg, src: Reg): void {
    // sdiv/smod (off 1): no range is computed for the signed forms.
    const aluOp = (op === 0x30 || op === 0x90) && ins.off === 1 ? 0xff : op;
    const link = linkAfterAlu(dst, src, op, !alu64, x && ins.src === ins.dst);
    // operands met before: the result register those made, shared (an unlinked result only)
    const shared = link === undefined || link.id === 0 ? scalarAluShared(dst, src, aluOp, !alu64) : undefined;
    if (shared) {
      st.cur.putShared(ins.dst, shared);
      return;
    }
    const r = dst.clone();
    scalarAlu(r, src, aluOp, !alu64);
    if (link !== undefined) {
      r.id = link.id;
      r.off = link.off;
    } else {
      // 6.18.44 drops the delta with the link (the 6.18.35 source clears only the id): a new link made
      // later, by a copy or a spill, starts from none (probed: kernel case alu_unlink_clears_delta)
      r.off = 0;
    }
    this.setReg(st, ins.dst, r);
  }

  private mov(st: State, ins: Insn, pc: number, alu64: boolean, x: boolean): void {
    // check_alu_op's BPF_MOV: the source is read before dst is asked to be writable (`r10 = r2` of an
    // r2 never written is "R2 !read_ok")
    const src = x ? this.readReg(st, ins.src, pc) : undefined;
    this.checkDst(ins.dst, pc);
    if (!src) {
      // the constant, made once for the instruction and shared by every path through it
      st.cur.putShared(ins.dst, (this.immRegs[pc] ??= Reg.known(alu64 ? BigInt(ins.imm) : u32(BigInt(ins.imm)))));
      return;
    }
    const sx = ins.off;
    if (alu64) {
      if (sx === 0) {
        const s = this.assignScalarIdBeforeMov(st, ins.src);
        // one register in both (copy_register_state): each copied before either changes
        st.cur.putShared(ins.dst, s);
        st.cur.share(ins.src);
        return;
      }
      if (src.isPointer) {
        this.setReg(st, ins.dst, Reg.unknown());
        return;
      }
      this.setReg(st, ins.dst, this.movSx(st, ins.src, sx, 64));
      return;
    }
    // 32-bit move: a pointer's low half is an unknown scalar (privileged loaders may leak pointers).
    if (src.isPointer) {
      const r = Reg.unknown();
      r.zext32();
      r.sync();
      this.setReg(st, ins.dst, r);
      return;
    }
    if (sx !== 0) {
      this.setReg(st, ins.dst, this.movSx(st, ins.src, sx, 32));
      return;
    }
    // `w1 = w2` of a w2 known to fit in 32 bits (get_reg_width <= 32) copies it whole: linked as a
    // 64-bit move is (assign_scalar_id_before_mov), so a later compare of either narrows both; a wider
    // one is copied unlinked (id 0; its delta, off, copied as it is)
    const inU32 = src.isScalar && src.umax <= U32_MAX;
    const r = (inU32 ? this.assignScalarIdBeforeMov(st, ins.src) : src).clone();
    if (!inU32) r.id = 0;
    r.zext32();
    r.sync();
    this.setReg(st, ins.dst, r);
  }

  /**
   * assign_scalar_id_before_mov: a scalar about to be copied gets an id the copy shares, unless it is
   * a constant; one with a delta (id | BPF_ADD_CONST) loses its link first, as a second delta could
   * not be kept. Changes the source register in the state; returns it.
   */
  private assignScalarIdBeforeMov(st: State, regno: number): Reg {
    let s = this.reg(st, regno);
    if (!s.isScalar) return s;
    if (addConstOf(s.id)) {
      s = st.cur.own(regno);
      s.id = 0;
      s.off = 0;
    }
    if (s.id === 0 && !s.varOff.isConst) {
      s = st.cur.own(regno);
      s.id = ++this.idGen;
    }
    return s;
  }

  /**
   * `rX = (s8, s16, s32) rY` / `wX = (s8, s16) wY` of a scalar: linked to rY when no value of it
   * changes (umax below the narrower sign bit), unlinked otherwise (id 0, off copied as it is).
   */
  private movSx(st: State, regno: number, sx: number, to: 32 | 64): Reg {
    const noSext = this.reg(st, regno).umax < 1n << BigInt(sx - 1);
    const r = (noSext ? this.assignScalarIdBeforeMov(st, regno) : this.reg(st, regno)).clone();
    if (!noSext) r.id = 0;
    r.coerceToSizeSx(sx / 8, to);
    return r;
  }

  /** adjust_ptr_min_max_vals and the pointer cases of adjust_reg_min_max_vals. */
  private ptrAlu(st: State, ins: Insn, pc: number, dst: Reg, src: Reg, x: boolean, alu64: boolean, op: number): void {
    const opName = ALU_NAMES[op] ?? '?';
    if (dst.isPointer && src.isPointer) {
      if (op === 0x10) {
        this.setReg(st, ins.dst, Reg.unknown());
        return;
      }
      this.reject(`R${ins.dst} pointer ${opName} pointer prohibited`, pc);
    }
    const ptrIsDst = dst.isPointer;
    const ptr = ptrIsDst ? dst : src;
    const off = ptrIsDst ? src : dst;
    // adjust_reg_min_max_vals marks a register offset precise before adjust_ptr_min_max_vals looks at
    // it, so also where the result is an unknown scalar (a 32-bit `w0 -= w1` of a pointer): a checkpoint
    // before it keeps the offset's range (random program seed 172631).
    if (x) this.precise(st, ptrIsDst ? ins.src : ins.dst);
    if (!alu64) {
      if (op === 0x10) {
        this.setReg(st, ins.dst, Reg.unknown());
        return;
      }
      this.reject(`R${ins.dst} 32-bit pointer arithmetic prohibited`, pc);
    }
    if (ptr.maybeNull) {
      this.reject(`R${ins.dst} pointer arithmetic on ${ptr.typeName()} prohibited, null-check it first`, pc);
    }
    switch (ptr.type) {
      case RegType.CTX:
      case RegType.MAP_VALUE:
      case RegType.MAP_KEY:
      case RegType.STACK:
      case RegType.PACKET_META:
      case RegType.PACKET:
      case RegType.MEM:
      case RegType.FUNC:
      case RegType.CONST_DYNPTR:
        break;
      case RegType.CONST_MAP:
        if (off.varOff.isConst && off.smin === 0n && op === 0x00) break;
        this.reject(`R${ins.dst} pointer arithmetic on ${ptr.typeName()} prohibited`, pc);
        break;
      default:
        this.reject(`R${ins.dst} pointer arithmetic on ${ptr.typeName()} prohibited`, pc);
    }
    const known = off.varOff.isConst;
    if ((known && (off.smin !== off.smax || off.umin !== off.umax)) || off.smin > off.smax || off.umin > off.umax) {
      this.setReg(st, ins.dst, Reg.unknown());
      return;
    }
    const tname = ptr.typeName();
    this.checkSaneOffset(off, tname, pc);
    this.checkSaneOffset(ptr, tname, pc);
    const r = ptr.clone();
    const smin = off.smin;
    if (op === 0x00 || op === 0x10) {
      const sub = op === 0x10;
      if (sub && !ptrIsDst) this.reject(`R${ins.dst} tried to subtract pointer from scalar`, pc);
      if (sub && ptr.type === RegType.STACK) this.reject(`R${ins.dst} subtraction from stack pointer prohibited`, pc);
      const fixed = BigInt(ptr.off) + (sub ? -smin : smin);
      if (known && fixed === s32(fixed)) {
        // pointer ± K: accumulated in the fixed offset.
        r.off = Number(fixed);
      } else {
        // A new variable offset; a packet pointer gets a new id and, unless it only moved back, no range.
        pointerBounds(r, ptr, off, sub ? 'sub' : 'add');
        r.varOff = sub ? ptr.varOff.sub(off.varOff) : ptr.varOff.add(off.varOff);
        if (ptr.isPkt) {
          r.id = ++this.idGen;
          if (!sub || smin < 0n) r.range = 0;
        }
      }
    } else if (op === 0x50 || op === 0x40 || op === 0xa0) {
      this.reject(`R${ins.dst} bitwise operator ${opName} on pointer prohibited`, pc);
    } else {
      this.reject(`R${ins.dst} pointer arithmetic with ${opName} operator prohibited`, pc);
    }
    this.checkSaneOffset(r, tname, pc);
    r.sync();
    this.setReg(st, ins.dst, r);
  }

  /**
   * check_reg_sane_offset_scalar and check_reg_sane_offset_ptr: the scalar operand of pointer arithmetic
   * must be bounded below and within ±BPF_MAX_VAR_OFF; a pointer (the operand, and the result) must have
   * its offset within ±BPF_MAX_VAR_OFF. 6.18 reports a pointer's out-of-range smin as "pointer offset",
   * with no separate test for S64_MIN (it is out of range too).
   */
  private checkSaneOffset(reg: Reg, tname: string, pc: number): void {
    if (reg.isScalar) {
      if (reg.varOff.isConst) {
        const val = reg.smin;
        if (val >= MAX_VAR_OFF || val <= -MAX_VAR_OFF) this.reject(`math between ${tname} pointer and ${val} is not allowed`, pc, undefined, 'EINVAL');
      }
      if (reg.smin === S64_MIN) {
        this.reject(`math between ${tname} pointer and register with unbounded min value is not allowed`, pc, undefined, 'EINVAL');
      }
      if (reg.smin >= MAX_VAR_OFF || reg.smin <= -MAX_VAR_OFF) {
        this.reject(`value ${reg.smin} makes ${tname} pointer be out of bounds`, pc, undefined, 'EINVAL');
      }
      return;
    }
    if (reg.varOff.isConst && (reg.smin >= MAX_VAR_OFF || reg.smin <= -MAX_VAR_OFF)) {
      this.reject(`${tname} pointer offset ${reg.smin} is not allowed`, pc, undefined, 'EINVAL');
    }
    if (reg.off >= MAX_VAR_OFF_NUM || reg.off <= -MAX_VAR_OFF_NUM) {
      this.reject(`${tname} pointer offset ${reg.off} is not allowed`, pc, undefined, 'EINVAL');
    }
    if (reg.smin >= MAX_VAR_OFF || reg.smin <= -MAX_VAR_OFF) {
      this.reject(`${tname} pointer offset ${reg.smin} is not allowed`, pc, undefined, 'EINVAL');
    }
  }

  // ---- ld_imm64 ----

  private ldImm64(st: State, ins: Insn, pc: number): void {
    this.checkDst(ins.dst, pc);
    const v = ins.imm64 ?? BigInt(ins.imm);
    switch (ins.src) {
      case PseudoLd.IMM64:
        this.setReg(st, ins.dst, Reg.known(v));
        return;
      case PseudoLd.MAP_FD:
      case PseudoLd.MAP_IDX: {
        const m = this.mapsByAddr.get(Number(v));
        if (!m) this.reject(`fd ${ins.imm} is not pointing to valid bpf_map`, pc);
        const r = Reg.pointer(RegType.CONST_MAP);
        r.map = m;
        this.setReg(st, ins.dst, r);
        return;
      }
      case PseudoLd.MAP_VALUE:
      case PseudoLd.MAP_IDX_VALUE: {
        const a = Number(v);
        const m = [...this.mapsByAddr.values()].find((x) => a >= x.valueAddress && a <= x.valueAddress + x.valueSize);
        if (!m) this.reject(`fd ${ins.imm} is not pointing to valid bpf_map`, pc);
        const r = Reg.pointer(RegType.MAP_VALUE);
        r.map = m;
        r.off = a - m.valueAddress;
        this.setReg(st, ins.dst, r);
        return;
      }
      case PseudoLd.FUNC: {
        const r = Reg.pointer(RegType.FUNC);
        r.subprog = pc + 1 + ins.imm;
        this.setReg(st, ins.dst, r);
        return;
      }
      default:
        this.reject(`unrecognized bpf_ld_imm64 insn`, pc);
    }
  }

  // ---- memory ----

  /** bpf_per_cpu_ptr / bpf_this_cpu_ptr's per-CPU object (check_func_arg's meta->ret_btf_id). */
  private percpuArg: Reg | undefined;

  /** bpf_kptr_xchg's destination field (check_func_arg's meta->kptr_field), for its source's type check. */
  private xchgField: KptrField | undefined;

  /** The instruction of the access memAccess checks (check_map_kptr_access asks its class and mode). */
  private accessInsn: Insn | undefined;

  /**
   * check_map_access's kptr field rules, then check_map_kptr_access: an 8-byte BPF_MEM access at the
   * field's constant offset; a load gives the object (MEM_ALLOC | MEM_RCU | PTR_MAYBE_NULL: XDP runs in
   * an RCU section) or, from a kptr_untrusted, an untrusted pointer to it; a store only into a
   * kptr_untrusted, of NULL or a pointer to its struct (map_kptr_match_type); a referenced kptr changes
   * only through bpf_kptr_xchg.
   */
  private mapKptrAccess(reg: Reg, k: KptrField, off: number, size: number, read: boolean, value: Reg | undefined, valueRegno: number | undefined, pc: number): Reg {
    const name = kptrTypeName(k);
    if (!reg.varOff.isConst) this.reject(`${name} access cannot have variable offset`, pc, undefined, 'EACCES');
    const at = off + Number(reg.varOff.value);
    if (at !== k.off) this.reject(`${name} access misaligned expected=${k.off} off=${at}`, pc, undefined, 'EACCES');
    if (size !== 8) this.reject(`${name} access size must be BPF_DW`, pc, undefined, 'EACCES');
    const ins = this.accessInsn;
    const cls = ins ? ins.code & 0x07 : Class.LDX;
    if (ins && (ins.code & 0xe0) !== Mode.MEM) this.reject('kptr in map can only be accessed using BPF_MEM instruction mode', pc, undefined, 'EACCES');
    if (cls !== Class.LDX && k.type !== 'kptr_untrusted') this.reject('store to referenced kptr disallowed', pc, undefined, 'EACCES');
    const s = localStruct(this.opts.progBtf, k.structId)!;
    if (cls === Class.LDX) {
      if (!read) return Reg.unknown();
      const r = allocReg(k.structId, s);
      r.maybeNull = true;
      r.id = ++this.idGen;
      // PTR_UNTRUSTED from a kptr_untrusted (reads only, through probe loads), else MEM_RCU
      if (k.type === 'kptr_untrusted') r.untrusted = true;
      else r.rcu = true;
      if (k.type === 'percpu_kptr') r.percpu = true;
      return r;
    }
    if (cls === Class.STX) {
      const v = value!;
      const isNull = v.isScalar && v.varOff.isConst && v.varOff.value === 0n;
      if (!isNull) this.kptrMatchType(k, v, valueRegno!, pc);
    } else if (ins!.imm !== 0) this.reject(`BPF_ST imm must be 0 when storing to kptr at off=${k.off}`, pc, undefined, 'EACCES');
    return Reg.unknown();
  }

  /**
   * map_kptr_match_type: a MEM_ALLOC pointer (maybe NULL; MEM_PERCPU for a percpu_kptr, only then) to the
   * kptr's struct, at its start, else "invalid kptr access" (the type's flags refused before its name is known).
   */
  private kptrMatchType(k: KptrField, v: Reg, regno: number, pc: number): void {
    const target = k.structName;
    const bad = (t: string): never =>
      this.reject(`invalid kptr access, R${regno} type=${t} expected=ptr_${target}${k.type === 'kptr_untrusted' ? ` or untrusted_ptr_${target}` : ''}`, pc, undefined, 'EACCES');
    const alloc = v.type === RegType.MEM && v.alloc !== 0;
    const flags = (v.percpu ? 'percpu_' : '') + (v.rcu ? 'rcu_' : '') + (v.untrusted ? 'untrusted_' : '');
    const typeStr = alloc ? `${flags}ptr_${v.maybeNull ? 'or_null_' : ''}` : v.typeName();
    if (!alloc || v.rcu || v.untrusted || v.nonOwning || (v.percpu && k.type !== 'percpu_kptr') || (!v.percpu && k.type === 'percpu_kptr')) bad(typeStr);
    // __check_ptr_off_reg (fixed offset allowed), then btf_struct_ids_match (strict for a referenced kptr: offset 0)
    if (v.off < 0) this.reject(`negative offset ptr_ ptr R${regno} off=${v.off} disallowed`, pc, undefined, 'EACCES');
    if (!v.varOff.isConst || v.varOff.value !== 0n) this.reject(`variable ptr_ access var_off=${v.varOff.toString()} disallowed`, pc, undefined, 'EACCES');
    // (a kptr to a struct vmlinux has is to the kernel's type: no program object is one of those)
    if (v.alloc !== k.structId || v.off !== 0 || k.kernel) bad(typeStr + v.btf);
  }

  private ldx(st: State, ins: Insn, pc: number): void {
    this.readReg(st, ins.src, pc);
    this.checkDst(ins.dst, pc);
    const size = sizeBytes(ins.code & 0x18);
    const sx = (ins.code & 0xe0) === Mode.MEMSX;
    this.accessInsn = ins;
    const v = this.memAccess(st, pc, ins.src, ins.off, size, 'read', undefined, ins.dst, sx);
    this.accessInsn = undefined;
    if (sx && v.isScalar) {
      // a sign-extending fill keeps the link to the spill's copies only for a value the extension leaves
      // as it is (measured on 6.18.44: an s8 fill of a u32 spill in [0, 127] keeps its id, of one in
      // [0, 255] loses it; old seed 328761 processed one insn more with the link kept)
      if (v.umax >= 1n << BigInt(size * 8 - 1)) v.id = 0;
      v.coerceToSizeSx(size, 64);
    }
    this.setReg(st, ins.dst, v);
  }

  private store(st: State, ins: Insn, pc: number): void {
    const isSt = (ins.code & 0x07) === Class.ST;
    const size = sizeBytes(ins.code & 0x18);
    if (!isSt) this.readReg(st, ins.src, pc);
    const dst = this.readReg(st, ins.dst, pc);
    if ((ins.code & 0xe0) === Mode.ATOMIC) {
      this.atomic(st, ins, pc, size, dst);
      return;
    }
    const value = isSt ? Reg.known(BigInt(ins.imm)) : this.reg(st, ins.src).clone();
    this.accessInsn = ins;
    this.memAccess(st, pc, ins.dst, ins.off, size, 'write', value, isSt ? undefined : ins.src);
    this.accessInsn = undefined;
  }

  private atomic(st: State, ins: Insn, pc: number, size: number, dst: Reg): void {
    const op = ins.imm;
    if (size !== 4 && size !== 8) this.reject('invalid atomic operand size', pc);
    if (dst.type === RegType.CTX || dst.isPkt || (isSockType(dst.type) && !dst.maybeNull)) {
      this.reject(`BPF_ATOMIC stores into R${ins.dst} ${dst.typeName()} is not allowed`, pc);
    }
    if (op === AtomicOp.CMPXCHG) this.readReg(st, 0, pc);
    // A fetch's destination (r0 for cmpxchg, else src) is marked unknown before the accesses
    // (check_reg_arg(load_reg, DST_OP)): when it is also the address register, the access goes through
    // an unknown scalar, and is refused as misaligned.
    if (op & AtomicOp.FETCH) {
      const loadReg = op === AtomicOp.CMPXCHG ? 0 : ins.src;
      this.checkDst(loadReg, pc);
      this.setReg(st, loadReg, Reg.unknown());
    }
    // check_atomic_rmw's accesses pass strict_alignment_once: whatever the platform, an atomic access
    // must be aligned (check_ptr_alignment, before any other check of the access). The stack's own
    // accesses are always strict (stackAccess); packets and the ctx are refused above.
    const ptr = this.reg(st, ins.dst);
    if (ptr.type !== RegType.STACK) this.checkStrictAlignment(ptr, ins.off, size, pc);
    // (a fetch reads into its destination register, the plain operations into none). The fetched value
    // is what that read loads (check_atomic_rmw's second check_mem_access, "to simulate the register
    // fill"): a stack slot's spilled register (`r4 = atomic64_xchg((u64 *)(r10 - 64), r4)` of a spilled
    // 0 is 0; wxdp made it unknown), else an unknown value of the access's size.
    const loadReg = op & AtomicOp.FETCH ? (op === AtomicOp.CMPXCHG ? 0 : ins.src) : undefined;
    this.accessInsn = ins;
    const fetched = this.memAccess(st, pc, ins.dst, ins.off, size, 'read', undefined, loadReg);
    this.memAccess(st, pc, ins.dst, ins.off, size, 'write', Reg.unknown());
    this.accessInsn = undefined;
    // The read names the slot in the jump history (backtracking follows the fetch into it) only as a
    // load would: when the spilled register comes back, whole or narrowed, or its 0 (check_stack_read_
    // fixed_off keeps insn_flags; the write, not a spill, adds none). A fetch of bytes of a smaller
    // spill or of plain data stops there (wide random program seed 5524: an 8-byte fetch_and of a 2-byte
    // spill; wxdp followed it into the spill and made the spilled register precise, 138 processed
    // against 124).
    if (loadReg !== undefined) this.setReg(st, loadReg, fetched);
  }

  /**
   * check_generic_ptr_alignment with strict set: `reg + off` must be a multiple of `size`, the message
   * naming the pointer's kind as check_ptr_alignment's pointer_desc does (none for a scalar).
   */
  private checkStrictAlignment(reg: Reg, off: number, size: number, pc: number): void {
    if (reg.isPkt) {
      // check_pkt_ptr_alignment: NET_IP_ALIGN (2) in front of the packet (and of its metadata)
      if (size === 1 || reg.varOff.add(Tnum.const(BigInt(2 + reg.off + off))).isAligned(BigInt(size))) return;
      this.reject(`misaligned packet access off 2+${offText(reg.varOff)}+${reg.off}+${off} size ${size}`, pc);
    }
    if (size === 1 || reg.varOff.add(Tnum.const(BigInt(reg.off + off))).isAligned(BigInt(size))) return;
    // (check_ptr_alignment's switch is on the whole type: a map value that may be NULL, PTR_TO_MAP_VALUE |
    // PTR_MAYBE_NULL, names no kind)
    const desc = reg.maybeNull ? '' : reg.type === RegType.MAP_VALUE ? 'value ' : reg.type === RegType.MAP_KEY ? 'key ' : reg.type === RegType.CTX ? 'context ' : reg.type === RegType.STACK ? 'stack ' : '';
    this.reject(`misaligned ${desc}access off ${offText(reg.varOff)}+${reg.off}+${off} size ${size}`, pc);
  }

  /**
   * check_mem_access: a load (returns the value read) or a store of `value` through register `regno`
   * plus `off`, `size` bytes. `valueRegno`: the register stored, or the one a load goes to (none for an
   * atomic's plain read).
   */
  private memAccess(
    st: State,
    pc: number,
    regno: number,
    insnOff: number,
    size: number,
    kind: 'read' | 'write',
    value: Reg | undefined,
    valueRegno?: number,
    /** A sign-extending load (BPF_MEMSX: the kernel's is_ldsx). */
    sx = false,
  ): Reg {
    const reg = this.reg(st, regno);
    const off = insnOff + reg.off;
    const read = kind === 'read';
    switch (reg.type) {
      case RegType.MAP_VALUE: {
        if (reg.maybeNull) break;
        const m = reg.map!;
        // check_map_access_type (bpf_map_flags_to_cap), before the bounds
        if (!read && m.readonly) {
          this.reject(`write into map forbidden, value_size=${m.valueSize} off=${off} size=${size}`, pc);
        }
        if (read && m.writeonly) {
          this.reject(`read from map forbidden, value_size=${m.valueSize} off=${off} size=${size}`, pc);
        }
        this.checkMemRegion(reg, regno, off, size, m.valueSize, false, pc);
        checkLockOverlap(reg, off, size, (r) => this.reject(r, pc));
        if (this.opts.progBtf && !m.noBtf) {
          const g = graphRootOverlap(this.opts.progBtf, m, reg.smin + BigInt(off), reg.umax + BigInt(off + size));
          if (g) this.reject(g, pc);
          const k = kptrOverlap(this.opts.progBtf, m, reg.smin + BigInt(off), reg.umax + BigInt(off + size));
          if (k) return this.mapKptrAccess(reg, k, off, size, read, value, valueRegno, pc);
        }
        if (read && m.frozenValue && reg.varOff.isConst) {
          const at = off + Number(reg.varOff.value);
          let v = 0n;
          for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(m.frozenValue[at + i] ?? 0);
          return Reg.known(v);
        }
        return this.loaded(size);
      }
      case RegType.MAP_KEY:
        // a callback's key (bpf_for_each_map_elem, timers): the map's own, read only
        if (!read) this.reject(`write to change key R${regno} not allowed`, pc);
        this.checkMemRegion(reg, regno, off, size, reg.map!.keySize, false, pc);
        return this.loaded(size);
      case RegType.MEM: {
        if (reg.maybeNull) break;
        if (reg.alloc) {
          // check_ptr_to_btf_access on PTR_TO_BTF_ID | MEM_ALLOC: reads and writes, btf_struct_access's walk
          // (an untrusted one, a kptr_untrusted's load, is no MEM_ALLOC: reads only)
          if (reg.untrusted && !read) this.reject('only read is supported', pc, undefined, 'EACCES');
          this.btfOffsetChecks(reg.btf!, reg, regno, off, true, pc);
          // a per-CPU object's memory is its CPUs' copies: bpf_this_cpu_ptr / bpf_per_cpu_ptr's only
          if (reg.percpu) this.reject(`R${regno} is ptr_${reg.btf} access percpu memory: off=${off}`, pc, undefined, 'EACCES');
          if (reg.untrusted) this.probeLoads.add(pc);
          const refusal = localAccess(this.opts.progBtf!, reg.alloc, off, size);
          if (refusal !== null) this.reject(refusal, pc);
          return read ? this.loaded(size) : Reg.unknown();
        }
        if (reg.btf !== undefined) return this.btfLoad(reg, regno, off, size, read, pc);
        // a tp_btf struct pointer argument: check_ptr_to_btf_access's refusals before the struct's fields
        if (reg.trustedBtf !== undefined) this.btfOffsetChecks(reg.trustedBtf, reg, regno, off, read, pc);
        if (!read && reg.rdonly) this.reject(`R${regno} cannot write into ${reg.typeName()}`, pc);
        // check_mem_access: untrusted read-only memory is read with BPF_PROBE_MEM loads (a fault reads
        // 0), so at any offset: no bounds (rdonly_untrusted)
        if (reg.untrusted) {
          this.probeLoads.add(pc);
          return this.loaded(size);
        }
        this.checkMemRegion(reg, regno, off, size, reg.memSize, false, pc);
        return this.loaded(size);
      }
      case RegType.CTX: {
        // check_ptr_off_reg (__check_ptr_off_reg) before check_ctx_access: a moved ctx pointer is refused
        // as such, a store through it too
        if (reg.off < 0) this.reject(`negative offset ctx ptr R${regno} off=${reg.off} disallowed`, pc);
        if (reg.off) this.reject(`dereference of modified ctx ptr R${regno} off=${reg.off} disallowed`, pc);
        if (!reg.varOff.isConst || reg.varOff.value !== 0n) {
          this.reject(`variable ctx access var_off=${reg.varOff.toString()} disallowed`, pc);
        }
        if (!read && this.progType === 'xdp') this.reject(`invalid bpf_context access off=${off} size=${size}`, pc);
        if (this.progType === 'tracing') return this.tracingCtxLoad(off, size, read, pc);
        const field = this.ctxField(off, size, read, sx);
        if (field === undefined) this.reject(`invalid bpf_context access off=${off} size=${size}`, pc);
        // check_ctx_access: env->prog->aux->max_ctx_offset
        if (off + size > this.maxCtxOffset) this.maxCtxOffset = off + size;
        this.rewriteFacts.set(pc, off);
        if (field === RegType.SCALAR) return this.loaded(size);
        const p = Reg.pointer(field.type);
        if (field.orNull) {
          p.maybeNull = true;
          p.id = ++this.idGen;
        }
        return p;
      }
      case RegType.SOCKET:
      case RegType.SOCK_COMMON: {
        if (reg.maybeNull) break;
        if (!read) this.reject(`R${regno} cannot write into ${reg.typeName()}`, pc);
        if (reg.smin < 0n) this.reject(`R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`, pc);
        if (!bpfSockAccessOk(off, size, reg.type === RegType.SOCK_COMMON)) {
          this.reject(`R${regno} invalid ${reg.typeName()} access off=${off} size=${size}`, pc);
        }
        return this.loaded(size);
      }
      case RegType.XDP_SOCK: {
        // check_sock_access with bpf_xdp_sock_is_valid_access: struct bpf_xdp_sock is one __u32,
        // queue_id (the socket's bound queue, read through bpf_xdp_sock_convert_ctx_access)
        if (reg.maybeNull) break;
        if (!read) this.reject(`R${regno} cannot write into ${reg.typeName()}`, pc);
        if (reg.smin < 0n) this.reject(`R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`, pc);
        if (off !== 0 || size !== 4) this.reject(`R${regno} invalid ${reg.typeName()} access off=${off} size=${size}`, pc);
        return this.loaded(size);
      }
      case RegType.PACKET:
      case RegType.PACKET_META: {
        this.checkPacket(reg, regno, off, size, false, pc);
        return this.loaded(size);
      }
      case RegType.STACK:
        return this.stackAccess(st, pc, reg, regno, off, size, kind, value, valueRegno);
      default:
        break;
    }
    this.reject(`R${regno} invalid mem access '${reg.btf !== undefined ? (reg.rcu ? 'rcu_' : '') + (reg.maybeNull ? 'ptr_or_null_' : 'ptr_') : reg.typeName()}'`, pc);
  }

  /** check_ptr_to_btf_access for a kfunc's struct pointer (see kptrOrNull): a scalar, or the kernel's refusal. */
  private btfLoad(reg: Reg, regno: number, off: number, size: number, read: boolean, pc: number): Reg {
    const name = reg.btf!;
    this.btfOffsetChecks(name, reg, regno, off, true, pc);
    if (!read) {
      // XDP's btf_struct_access (nf_conntrack_btf_struct_access): of nf_conn and nf_conn___init (the same
      // layout) only `mark` may be written
      if (name !== 'nf_conn' && name !== 'nf_conn___init') this.reject('only read is supported', pc);
      const mark = WXDP_BTF['nf_conn']!.fields['mark']!;
      if (off !== mark.offset) this.reject(`no write support to nf_conn at off ${off}`, pc);
      if (off + size > mark.offset + mark.size) {
        this.reject(`write access at off ${off} with size ${size} beyond the member of nf_conn ended at ${mark.offset + mark.size}`, pc);
      }
      return Reg.unknown();
    }
    const walk = btfStructRead(name, off, size);
    if (typeof walk === 'string') this.reject(walk, pc);
    // BPF_PROBE_MEM: an untrusted pointer may point anywhere (a fault reads 0)
    if (reg.untrusted) this.probeLoads.add(pc);
    if (walk === null) return this.loaded(size);
    // a pointer member: never trusted past the first struct
    return walk.ptr === 'void' ? this.untrustedMem() : this.btfPointer(walk.ptr, true);
  }

  /**
   * check_ptr_to_btf_access's checks before the struct's own: a negative offset, a variable one, and
   * (`read` false, where the program type has no btf_struct_access — tracing) any write.
   */
  private btfOffsetChecks(name: string, reg: Reg, regno: number, off: number, read: boolean, pc: number): void {
    if (off < 0) this.reject(`R${regno} is ptr_${name} invalid negative access: off=${off}`, pc);
    if (!reg.varOff.isConst || reg.varOff.value !== 0n) {
      this.reject(`R${regno} is ptr_${name} invalid variable offset: off=${off}, var_off=${reg.varOff.toString()}`, pc);
    }
    if (!read) this.reject('only read is supported', pc);
  }

  /**
   * The program type's is_valid_access for a context load (writes: none of these types may write):
   * SCALAR for a plain field (narrow loads of it included), a pointer type, or undefined (invalid).
   */
  private ctxField(off: number, size: number, read: boolean, sx: boolean): RegType.SCALAR | { type: RegType; orNull: boolean } | undefined {
    const narrow = (fieldSize: number): boolean => size <= fieldSize;
    const within = (start: number, len: number): boolean => off >= start && off < start + len;
    switch (this.progType) {
      case 'xdp':
        if (off < 0 || off >= XDP_MD_SIZE || off % size !== 0 || size !== 4) return undefined;
        // xdp_is_valid_access: only a devmap program (expected_attach_type BPF_XDP_DEVMAP) has an egress device.
        if (off === XDP_MD.egress_ifindex && this.opts.attachType !== 'xdp_devmap') return undefined;
        // a sign-extending load of a packet pointer is no pointer: refused (info->is_ldsx)
        if (sx && (off === XDP_MD.data || off === XDP_MD.data_meta || off === XDP_MD.data_end)) return undefined;
        if (off === XDP_MD.data) return { type: RegType.PACKET, orNull: false };
        if (off === XDP_MD.data_meta) return { type: RegType.PACKET_META, orNull: false };
        if (off === XDP_MD.data_end) return { type: RegType.PACKET_END, orNull: false };
        return RegType.SCALAR;
      case 'sk_lookup':
        // struct bpf_sk_lookup: sk/cookie 0 (8), family 8, protocol 12, remote_ip4 16, remote_ip6 20,
        // remote_port 36 (be16) + 2 bytes of zero padding, local_ip4 40, local_ip6 44, local_port 60,
        // ingress_ifindex 64.
        if (off < 0 || off >= SK_LOOKUP_SIZE || off % size !== 0 || !read) return undefined;
        if (off === 0) return size === 8 ? { type: RegType.SOCKET, orNull: true } : undefined;
        if (within(8, 32 - 4) || within(40, 28)) return narrow(4) ? RegType.SCALAR : undefined;
        // remote_port: a 4-byte load is allowed for backward compatibility; the padding narrowly.
        if (within(36, 2)) return size === 4 || narrow(2) ? RegType.SCALAR : undefined;
        if (within(38, 2)) return narrow(2) ? RegType.SCALAR : undefined;
        return undefined;
      case 'sk_reuseport':
        // struct sk_reuseport_md: data 0, data_end 8, len 16, eth_protocol 20, ip_protocol 24,
        // bind_inany 28, hash 32, sk 40, migrating_sk 48.
        if (off < 0 || off >= SK_REUSEPORT_MD_SIZE || off % size !== 0 || !read) return undefined;
        if (off === 0) return size === 8 ? { type: RegType.PACKET, orNull: false } : undefined;
        if (off === 8) return size === 8 ? { type: RegType.PACKET_END, orNull: false } : undefined;
        if (off === 32) return size === 4 ? RegType.SCALAR : undefined;
        if (off === 40) return size === 8 ? { type: RegType.SOCKET, orNull: false } : undefined;
        if (off === 48) return size === 8 ? { type: RegType.SOCK_COMMON, orNull: true } : undefined;
        // eth_protocol is skb->protocol (2 bytes): no single-byte loads of it.
        if (within(20, 4)) return size >= 2 && narrow(4) ? RegType.SCALAR : undefined;
        if (within(16, 4) || within(24, 8)) return narrow(4) ? RegType.SCALAR : undefined;
        return undefined;
      case 'tracepoint':
        // tp_prog_is_valid_access: the record after its first 8 bytes, up to PERF_MAX_TRACE_SIZE (8192)
        if (off < 8 || off >= PERF_MAX_TRACE_SIZE || !read || off % size !== 0) return undefined;
        return RegType.SCALAR;
      case 'raw_tracepoint':
        // raw_tp_prog_is_valid_access (bpf_tracing_ctx_access): the u64 arguments, MAX_BPF_FUNC_ARGS of them
        if (off < 0 || off >= 8 * MAX_BPF_FUNC_ARGS || !read || off % size !== 0) return undefined;
        return RegType.SCALAR;
      case 'tracing':
        return undefined;
    }
  }

  /** A tp_btf program's ctx load (tracing.ts): a scalar argument, or a read-only view of the struct one points at. */
  private tracingCtxLoad(off: number, size: number, read: boolean, pc: number): Reg {
    const a = tracingCtxAccess(this.opts.tracepoint ?? '', off, size, read);
    if (!('kind' in a)) this.reject(a.message, pc, a.detail);
    if (a.kind === 'scalar') return this.loaded(size);
    const r = Reg.pointer(RegType.MEM);
    r.memSize = a.size;
    r.rdonly = true;
    r.trustedBtf = a.struct;
    return r;
  }

  private loaded(size: number): Reg {
    return (LOADED[size] ??= loadedTemplate(size)).clone();
  }

  /** __check_mem_access's message for `reg`'s region kind. */
  private memFail(reg: Reg, regno: number, off: number, size: number, memSize: number, pc: number, detail?: string): never {
    switch (reg.type) {
      case RegType.MAP_VALUE:
        return this.reject(`invalid access to map value, value_size=${memSize} off=${off} size=${size}`, pc, detail);
      case RegType.MAP_KEY:
        return this.reject(`invalid access to map key, key_size=${memSize} off=${off} size=${size}`, pc, detail);
      case RegType.PACKET:
      case RegType.PACKET_META:
        return this.reject(
          `invalid access to packet, off=${off} size=${size}, R${regno}(id=${reg.id},off=${off},r=${memSize})`,
          pc,
          `R${regno} offset is outside of the packet`,
        );
      default:
        return this.reject(`invalid access to memory, mem_size=${memSize} off=${off} size=${size}`, pc, detail);
    }
  }

  private memOk(off: bigint, size: number, memSize: number, zeroOk: boolean): boolean {
    const sizeOk = size > 0 || (size === 0 && zeroOk);
    return sizeOk && off >= 0n && BigInt(size) <= BigInt(memSize) - off;
  }

  /** check_mem_region_access: fixed `off` plus the register's variable part, within [0, memSize). */
  private checkMemRegion(reg: Reg, regno: number, off: number, size: number, memSize: number, zeroOk: boolean, pc: number): void {
    const o = BigInt(off);
    if (reg.smin < 0n && (reg.smin === S64_MIN || o + reg.smin !== s32(o + reg.smin) || reg.smin + o < 0n)) {
      this.reject(`R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`, pc);
    }
    if (!this.memOk(reg.smin + o, size, memSize, zeroOk)) {
      this.memFail(reg, regno, Number(reg.smin + o), size, memSize, pc, `R${regno} min value is outside of the allowed memory range`);
    }
    if (reg.umax >= MAX_VAR_OFF) {
      this.reject(`R${regno} unbounded memory access, make sure to bounds check any such access`, pc);
    }
    if (!this.memOk(reg.umax + o, size, memSize, zeroOk)) {
      this.memFail(reg, regno, Number(reg.umax + o), size, memSize, pc, `R${regno} max value is outside of the allowed memory range`);
    }
  }

  /** check_packet_access: `off` is relative to the register's fixed offset base (already added). */
  private checkPacket(reg: Reg, regno: number, off: number, size: number, zeroOk: boolean, pc: number): void {
    if (reg.smin < 0n) {
      this.reject(`R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`, pc);
    }
    // A pointer at or past the end (mark_pkt_end) has no bytes: -EINVAL, without __check_mem_access's line.
    if (reg.range < 0) this.reject(`R${regno} offset is outside of the packet`, pc, undefined, 'EINVAL');
    if (!this.memOk(BigInt(off), size, reg.range, zeroOk)) this.memFail(reg, regno, off, size, reg.range, pc);
  }

  // ---- stack ----

  private stackAccess(
    st: State,
    pc: number,
    reg: Reg,
    regno: number,
    off: number,
    size: number,
    kind: 'read' | 'write' | 'helper',
    value: Reg | undefined,
    valueRegno?: number,
    helperWrite = false,
  ): Reg {
    const frame = st.frames[reg.frameno]!;
    const constOff = reg.varOff.isConst;
    const extra = kind === 'write' || (kind === 'helper' && helperWrite) ? ' write to' : ' read from';
    // The window [minN, maxN) of frame-pointer offsets (numbers once checked to be within the stack).
    let minN: number;
    let maxN: number;
    if (constOff && reg.varOff.value === 0n) {
      // The usual access, fp + a constant: the same checks in numbers (an instruction's size is 1, 2, 4
      // or 8, so the alignment is the low bits of the offset).
      minN = off;
      maxN = off + size;
      // check_mem_access checks the alignment (check_ptr_alignment) before the bounds
      if (kind !== 'helper' && size > 0 && (off & (size - 1)) !== 0) {
        this.reject(`misaligned stack access off 0+${reg.off}+${off - reg.off} size ${size}`, pc);
      }
      // check_stack_access_within_bounds: a start outside the frame is EACCES (check_stack_slot_within_bounds),
      // an end past it EINVAL
      if (minN < -MAX_BPF_STACK || minN > -1 || maxN > 0 || size < 0) {
        this.reject(`invalid${extra} stack R${regno} off=${off} size=${size}`, pc, undefined, minN < -MAX_BPF_STACK || minN > -1 ? 'EACCES' : 'EINVAL');
      }
    } else {
      if (kind !== 'helper') {
        if (!reg.varOff.add(Tnum.const(BigInt(off))).isAligned(BigInt(size))) {
          this.reject(`misaligned stack access off ${offText(reg.varOff)}+${reg.off}+${off - reg.off} size ${size}`, pc);
        }
      }
      let minOff: bigint;
      let maxOff: bigint;
      if (constOff) {
        minOff = s64(reg.varOff.value) + BigInt(off);
        maxOff = minOff + BigInt(size);
      } else {
        if (reg.smax >= MAX_VAR_OFF || reg.smin <= -MAX_VAR_OFF) {
          this.reject(`invalid unbounded variable-offset${extra} stack R${regno}`, pc);
        }
        minOff = reg.smin + BigInt(off);
        maxOff = reg.smax + BigInt(off) + BigInt(size);
      }
      if (minOff < -BigInt(MAX_BPF_STACK) || minOff > -1n || maxOff > 0n || size < 0) {
        const errno = minOff < -BigInt(MAX_BPF_STACK) || minOff > -1n ? 'EACCES' : 'EINVAL';
        if (constOff) this.reject(`invalid${extra} stack R${regno} off=${off} size=${size}`, pc, undefined, errno);
        this.reject(`invalid variable-offset${extra} stack R${regno} var_off=${reg.varOff.toString()} off=${off} size=${size}`, pc, undefined, errno);
      }
      minN = Number(minOff);
      maxN = Number(maxOff);
    }
    this.noteStackDepth(st, reg.frameno, -minN);
    if (kind === 'read' || (kind === 'helper' && !helperWrite)) {
      this.stackRead(st, reg.frameno, this.curPc, (minN + MAX_BPF_STACK) >> 3, (maxN - 1 + MAX_BPF_STACK) >> 3);
    }
    // The kernel records the access in the jump history (INSN_F_STACK_ACCESS) only where a register's
    // state goes to or comes from the slot: a spill (save_register_state), a fill that restores the
    // spilled register (check_stack_read_fixed_off keeps insn_flags), set below; any other access at a
    // fixed offset records nothing, so backtracking passes it by.
    if (kind !== 'helper' && !constOff) this.stepStack = STACK_INDIRECT;
    if (!constOff) this.precise(st, regno);
    const lo = minN + MAX_BPF_STACK;
    const hi = maxN + MAX_BPF_STACK; // exclusive, byte index from the bottom of the stack
    if (kind === 'write') {
      destroyDynptrsIn(st, frame, lo, hi, (r, e) => this.reject(r, pc, undefined, e ?? 'EINVAL'), this.slotWritten);
      // check_stack_write_fixed_off: a whole aligned slot written, through any pointer to it (bpf_mark_stack_write)
      if (constOff && (lo & 7) === 0 && size === 8) this.stackLive.write(reg.frameno, lo >> 3);
      if (constOff && value) {
        if (valueRegno !== undefined && (lo & 7) === 0 && value.isScalar && value.umax < 1n << BigInt(size * 8)) {
          // check_stack_write_fixed_off: a scalar spilled whole gets an id first (assign_scalar_id_before_mov),
          // so a later compare of the register refines the slot too (katran: `v6 &= 48` spilled, then
          // `if (v6)` leaves fp-240 >= 1); one linked with a delta (rX += K) loses that link first and
          // takes a fresh id (old random program seed 234717: wxdp spilled `id=2-1678515584`, the kernel
          // `id=3`, and pruned at 24 where wxdp did not, 103 processed against 111).
          const src = this.assignScalarIdBeforeMov(st, valueRegno);
          value.id = src.id;
          value.off = src.off;
        }
        if (this.stackWriteFixed(frame, lo, size, value, valueRegno !== undefined, pc)) this.stepStack = reg.frameno * 64 + (lo >> 3) + 1;
        // A zero register stored off a slot boundary is no spill but STACK_ZERO bytes, known through the
        // register alone: check_stack_write_fixed_off makes it precise (mark_chain_precision).
        if (valueRegno !== undefined && (lo & 7) !== 0 && value.isScalar && value.varOff.isConst && value.varOff.value === 0n) {
          this.precise(st, valueRegno);
        }
      } else {
        // Variable offset: any byte in the window may be written, or left as it was
        // (check_stack_write_var_off). A zero written keeps a byte zero that was zero already (and a
        // spilled constant 0 a spill); every other byte becomes unknown data.
        const zero = value?.isScalar && value.varOff.isConst && value.varOff.value === 0n;
        let zeroUsed = false;
        for (let b = lo; b < hi; b++) {
          const s = frame.slot(b >> 3)!;
          const was = s.bytes[b & 7];
          if (zero && was === Byte.SPILL && s.spill?.isScalar && s.spill.varOff.isConst && s.spill.varOff.value === 0n) {
            zeroUsed = true;
            continue;
          }
          const keepZero = zero === true && was === Byte.ZERO;
          zeroUsed ||= keepZero;
          this.setStackByte(frame, b, keepZero ? Byte.ZERO : Byte.MISC);
        }
        // Zeros kept are known through the register only: it must be precise (backtracking does
        // not follow stores at a variable offset).
        if (zeroUsed && valueRegno !== undefined) this.precise(st, valueRegno);
      }
      return NO_VALUE;
    }
    if (kind === 'helper') return NO_VALUE;
    if (constOff) {
      // (a read's valueRegno is the register it loads into, if any)
      const v = this.stackReadFixed(frame, lo, size, pc, minN, valueRegno !== undefined);
      if (this.stackFilled) this.stepStack = reg.frameno * 64 + (lo >> 3) + 1;
      return v;
    }
    for (let b = lo; b < hi; b++) {
      const t = frame.slot(b >> 3)!.bytes[b & 7];
      if (t === Byte.DYNPTR || t === Byte.ITER || t === Byte.IRQ) this.reject(`invalid read from stack R${regno} var_off ${reg.varOff.toString()}+${b - lo} size ${size}`, pc);
    }
    // Variable-offset read: initialised or not (privileged), the value is unknown.
    return this.loaded(size);
  }

  /** grow_stack_state: the frame's allocated stack (whole slots) and its subprogram's deepest. */
  private noteStackDepth(st: State, frameno: number, depth: number): void {
    const f = st.frames[frameno]!;
    const size = (depth + 7) & ~7;
    if (f.allocatedStack < size) f.allocatedStack = size;
    const sub = f.subprog;
    if ((this.stackDepth.get(sub) ?? 0) < depth) this.stackDepth.set(sub, depth);
  }

  /** One byte of a write at a variable offset (check_stack_write_var_off: the spill's other bytes stay data). */
  private setStackByte(frame: Frame, b: number, t: Byte): void {
    this.setStackBytes(frame, b, b + 1, t, false);
  }

  /**
   * Bytes [lo, hi) (from the bottom of the stack) become `t`: one new slot per slot touched. Writing any
   * byte of a spilled register's slot turns it into plain data: its SPILL bytes become MISC, and with
   * `scrub` (a write at a fixed offset, check_stack_write_fixed_off, or a helper's, as
   * check_stack_range_initialized clobbers) the whole slot is scrubbed as scrub_spilled_slot does it:
   * every byte but an uninitialised one becomes MISC, the zeros beside a narrower spill too.
   */
  private setStackBytes(frame: Frame, lo: number, hi: number, t: Byte, scrub = true): void {
    for (let b = lo; b < hi; ) {
      const spi = b >> 3;
      const end = Math.min(hi, (spi + 1) * 8);
      const s = frame.slot(spi)!;
      const bytes = copyBytes(s.bytes);
      if (s.spill) {
        // is_stack_slot_special: the slot's lowest byte is a spill's
        if (scrub && bytes[0] === Byte.SPILL) {
          for (let i = 0; i < 8; i++) if (bytes[i] !== Byte.INVALID) bytes[i] = Byte.MISC;
        } else for (let i = 0; i < 8; i++) if (bytes[i] === Byte.SPILL) bytes[i] = Byte.MISC;
      }
      for (; b < end; b++) bytes[b & 7] = t;
      frame.setSlot(spi, { bytes: sharedBytes(bytes) });
    }
  }

  /** A store at a fixed offset; true when it spills the register (or the immediate) into the slot. */
  private stackWriteFixed(frame: Frame, lo: number, size: number, value: Reg, fromReg: boolean, pc: number): boolean {
    const spi = lo >> 3;
    const aligned = (lo & 7) === 0;
    if (fromReg && value.isPointer) {
      if (size !== 8) this.reject('invalid size of register spill', pc);
      if (!aligned) this.reject(`misaligned stack access off ${lo - MAX_BPF_STACK} size ${size}`, pc);
      frame.setSlot(spi, { bytes: ALL_BYTES[Byte.SPILL]!, spill: value.clone(), spillSize: 8 });
      return true;
    }
    // An aligned store of a scalar register, or of an immediate (BPF_ST, a constant), is a spill of that
    // size; an atomic's write (no register: value_regno -1, an unknown) is plain data.
    if (aligned && value.isScalar && (fromReg || value.varOff.isConst)) {
      {
        const prev = frame.slot(spi)!;
        const bytes = copyBytes(prev.bytes);
        if (prev.spill) for (let i = 0; i < 8; i++) if (bytes[i] === Byte.SPILL) bytes[i] = Byte.MISC;
        for (let i = 0; i < size; i++) bytes[i] = Byte.SPILL;
        // save_register_state: the register is kept whole, a narrower spill too (a fill of its low bytes
        // truncates what it reads); a value wider than the store loses its link to the register.
        const v = value.clone();
        if (size < 8 && v.umax >= 1n << BigInt(size * 8)) v.id = 0;
        frame.setSlot(spi, { bytes: sharedBytes(bytes), spill: v, spillSize: size });
        return true;
      }
    }
    const zero = value.isScalar && value.varOff.isConst && value.varOff.value === 0n;
    this.setStackBytes(frame, lo, lo + size, zero ? Byte.ZERO : Byte.MISC);
    return false;
  }

  /**
   * check_stack_read_fixed_off: a load of `size` bytes at a fixed offset. `fill`: the value goes to a
   * register (a load, an atomic's fetch; not an atomic's plain read, dst_regno -1). Sets stackFilled
   * when the spilled register's state is what comes back (the kernel keeps insn_flags: the access is
   * in the jump history for backtracking).
   */
  private stackReadFixed(frame: Frame, lo: number, size: number, pc: number, off: number, fill: boolean): Reg {
    const spi = lo >> 3;
    const s = frame.slot(spi)!;
    this.stackFilled = false;
    // is_spilled_reg: the slot's lowest byte is a spill's, whichever bytes the load reads
    if (s.spill && s.bytes[0] === Byte.SPILL) {
      const spill = s.spill;
      const spillSize = s.spillSize ?? 8;
      if (size === 8 && spillSize === 8) {
        this.stackFilled = true;
        return spill.clone();
      }
      if (!spill.isScalar) this.reject('invalid size of register fill', pc);
      if (!fill) return this.loaded(size);
      if ((lo & 7) === 0 && size <= spillSize) {
        // A fill of the spill's low bytes (bpf_stack_narrow_access_ok): the value, truncated (the link
        // to copies only if it fits).
        const r = spill.clone();
        if (r.umax >= 1n << BigInt(size * 8)) r.id = 0;
        r.coerceToSize(size);
        this.stackFilled = true;
        return r;
      }
      // Any other load from the slot: the spill's bytes, counted apart from zeros, misc and (privileged)
      // uninitialised ones. Only a load of spilled bytes alone of a spilled 0 is still a fill; zeros
      // alone read as 0 too; anything else, spilled bytes and zeros mixed included, is unknown.
      let spillCnt = 0;
      let zeroCnt = 0;
      for (let b = lo; b < lo + size; b++) {
        const t = s.bytes[b & 7]!;
        if (t === Byte.SPILL) spillCnt++;
        else if (t === Byte.ZERO) zeroCnt++;
        else if (t !== Byte.MISC && t !== Byte.INVALID) this.reject(`invalid read from stack off ${off}+${b - lo} size ${size}`, pc);
      }
      if (spillCnt === size && spill.varOff.isConst && spill.varOff.value === 0n) {
        this.stackFilled = true;
        return Reg.known(0n);
      }
      return zeroCnt === size ? Reg.known(0n) : this.loaded(size);
    }
    // Plain bytes: zeros read as 0, anything else (initialised or, privileged, not) as unknown.
    let allZero = true;
    for (let b = lo; b < lo + size; b++) {
      const slot = frame.slot(b >> 3)!;
      const t = slot.bytes[b & 7]!;
      if ((t === Byte.SPILL && slot.spill && !slot.spill.isScalar) || t === Byte.DYNPTR || t === Byte.ITER || t === Byte.IRQ) {
        this.reject(`invalid read from stack off ${off}+${b - lo} size ${size}`, pc);
      }
      if (t !== Byte.ZERO) allZero = false;
    }
    return allZero ? Reg.known(0n) : this.loaded(size);
  }

  /** check_stack_range_initialized for helper memory arguments (privileged: uninitialised is fine). */
  private stackHelperAccess(st: State, pc: number, reg: Reg, regno: number, size: number, write: boolean): void {
    this.stackAccess(st, pc, reg, regno, reg.off, size, 'helper', undefined, undefined, write);
    const frame = st.frames[reg.frameno]!;
    const lo = Number(reg.smin) + reg.off + MAX_BPF_STACK;
    const hi = Number(reg.smax) + reg.off + size + MAX_BPF_STACK;
    // A dynptr's bytes are neither read nor overwritten by a helper (check_stack_range_initialized).
    // (nor an iterator's read: STACK_ITER is not initialised data)
    for (let b = lo; b < hi; b++) {
      const t = frame.slot(b >> 3)!.bytes[b & 7];
      if (t !== Byte.DYNPTR && ((t !== Byte.ITER && t !== Byte.IRQ) || write)) continue;
      if (write) this.reject(`potential write to dynptr at off=${b - MAX_BPF_STACK} disallowed`, pc);
      const min = lo - MAX_BPF_STACK;
      this.reject(reg.varOff.isConst ? `invalid read from stack R${regno} off ${min}+${b - lo} size ${size}` : `invalid read from stack R${regno} var_off ${reg.varOff.toString()}+${b - lo} size ${size}`, pc);
    }
    if (!write) return;
    this.setStackBytes(frame, lo, hi, Byte.MISC);
  }

  // ---- jumps ----

  private jmp(st: State, ins: Insn, pc: number): number {
    const op = ins.code & 0xf0;
    const is32 = (ins.code & 0x07) === Class.JMP32;
    if (op === JmpOp.JA) return pc + 1 + (is32 ? ins.imm : ins.off);
    if (op === JmpOp.EXIT) return this.exit(st, pc);
    if (op === JmpOp.CALL) return this.call(st, ins, pc);
    if (op === JmpOp.JCOND) return this.mayGoto(st, ins, pc);
    const cmp = CMP_OF_OP[op];
    if (!cmp) this.reject(`invalid BPF_JMP/JMP32 opcode ${ins.code.toString(16)}`, pc);
    const x = (ins.code & 0x08) !== 0;
    const dst = this.readReg(st, ins.dst, pc);
    const src = x ? this.readReg(st, ins.src, pc) : (this.immRegs[pc] ??= Reg.known(is32 ? u32(BigInt(ins.imm)) : BigInt(ins.imm)));
    const target = pc + 1 + ins.off;
    const fall = pc + 1;
    // check_cond_jmp_op: a compare with a stack pointer on either side gets a jump history entry saying
    // which (INSN_F_DST_REG_STACK / INSN_F_SRC_REG_STACK), before the branch is decided or forked, so
    // backtracking never follows that register: an fp compared in a function would otherwise reach its
    // entry as r10 ("static subprog unexpected regs"). 6.18 (bpf: Do not include stack ptr register in
    // precision backtracking bookkeeping); seed 45793's `if r10 == r5` in a subprogram.
    const stackSides = (dst.type === RegType.STACK ? HIST_DST_STACK : 0) | (x && src.type === RegType.STACK ? HIST_SRC_STACK : 0);
    if (stackSides) this.stepStack = stackSides;

    // Pointers: null checks, packet range checks, and otherwise both ways unrefined.
    if (dst.isPointer || src.isPointer) {
      const taken = this.ptrBranchTaken(dst, src, cmp, is32);
      if (taken >= 0) {
        // check_cond_jmp_op: the scalar side of a decided pointer compare is marked precise.
        if (!dst.isPointer) this.precise(st, ins.dst);
        if (x && !src.isPointer) this.precise(st, ins.src);
        return taken === 1 ? target : fall;
      }
      const linked = this.collectLinked(st, ins, pc, x);
      const other = this.forkAtCompare(st, pc, linked);
      // (reg_set_min_max learns nothing when either side is a pointer: the scalar side's links are
      // synced with it as it is)
      this.syncLinked(other, ins, x, linked);
      this.syncLinked(st, ins, x, linked);
      this.ptrRefine(other, ins, cmp, is32, x, src);
      this.ptrRefine(st, ins, FLIP[cmp], is32, x, src);
      this.pushBranch(other, target, pc, linked, true, stackSides);
      return fall;
    }
    const taken = branchTaken(dst, src, cmp, is32);
    if (taken >= 0) {
      // The outcome rests on the values: they must stay exact for pruning.
      this.precise(st, ins.dst);
      if (x) this.precise(st, ins.src);
      return taken === 1 ? target : fall;
    }
    // Both ways are walked: in 6.18 only is_branch_taken decides a branch; bounds the refinement
    // leaves crossed are an invariant violation, not a dead branch (reg_bounds_sanity_check).
    const linked = this.collectLinked(st, ins, pc, x);
    const other = this.forkAtCompare(st, pc, linked);
    this.scalarRefine(other, ins, cmp, is32, x, src, 'true');
    this.scalarRefine(st, ins, FLIP[cmp], is32, x, src, 'false');
    this.syncLinked(other, ins, x, linked);
    this.syncLinked(st, ins, x, linked);
    this.pushBranch(other, target, pc, linked, true, stackSides);
    return fall;
  }

  /**
   * check_cond_jmp_op's collect_linked_regs, before the paths part: the scalars linked to src's id, then
   * to dst's (a register of both twice). Two or more go into the jump's history entry (linked_regs), on
   * both paths. Undefined when neither operand is a linked scalar.
   */
  private collectLinked(st: State, ins: Insn, pc: number, x: boolean): number[] | undefined {
    const s = x ? this.reg(st, ins.src) : undefined;
    if (!(s?.isScalar && s.id) && !(this.reg(st, ins.dst).isScalar && this.reg(st, ins.dst).id)) return undefined;
    const live = this.liveMasks(st, pc);
    const out: number[] = [];
    if (s?.isScalar && s.id) collectLinkedRegs(st, s.id, live, out);
    // (read again: one beyond LINKED_REGS_MAX lost its id)
    const d = this.reg(st, ins.dst);
    if (d.isScalar && d.id) collectLinkedRegs(st, d.id, live, out);
    if (out.length > 1) this.stepLinked = out;
    return out;
  }

  /**
   * push_stack at a compare: the jump's path, a copy of this one with its history so far — the
   * compare's own entry (a jump target's, linked registers') counted in it too: the kernel pushes
   * that entry before it copies the state.
   */
  private forkAtCompare(st: State, pc: number, linked: number[] | undefined): State {
    const other = st.clone();
    if (this.jmpPoint[pc] || this.stepStack || (linked !== undefined && linked.length > 1)) other.histMarks++;
    return other;
  }

  /** check_cond_jmp_op's sync_linked_regs on one path: from src (a register compare), then from dst. */
  private syncLinked(st: State, ins: Insn, x: boolean, linked: number[] | undefined): void {
    if (linked === undefined) return;
    if (x) {
      const b = this.reg(st, ins.src);
      if (b.isScalar && b.id) syncLinkedRegs(st, b, ins.src, linked);
    }
    const a = this.reg(st, ins.dst);
    if (a.isScalar && a.id) syncLinkedRegs(st, a, ins.dst, linked);
  }

  /**
   * check_cond_jmp_op's may_goto: the jump (the loop's exit, its budget spent) is walked first; the fall
   * through (one more iteration) is pushed one may_goto_depth deeper, its imprecise scalars widened
   * against the previous iteration's checkpoint here so the loop converges. (The walk reached this slot
   * through is_state_visited's forced checkpoint: st.cp is the checkpoint made here just now.)
   */
  private mayGoto(st: State, ins: Insn, pc: number): number {
    this.mayGotoWalked.add(pc);
    const prev = st.cp ? this.findPrevEntry(st, st.cp.depth, pc) : undefined;
    const queued = st.clone();
    queued.mayGotoDepth++;
    if (prev) widenImpreciseScalars(prev.state, queued);
    this.pushBranch(queued, pc + 1, pc);
    return pc + 1 + ins.off;
  }

  /**
   * find_prev_entry: the newest checkpoint at `insn` still being explored (on this path: the walk is
   * depth first) from the same callsites and older than `depth` — the previous visit of a loop.
   * Checkpoints evicted from the instruction's list are not found, as in the kernel.
   */
  private findPrevEntry(st: State, depth: number, insn: number): Checkpoint | undefined {
    const list = this.states[((insn ^ st.cur.callsite) >>> 0) % this.prog.length];
    if (!list) return undefined;
    for (let k = list.length - 1; k >= 0; k--) {
      const c = list[k]!;
      if (c.insn === insn && c.branches > 0 && c.depth < depth && sameCallsites(c.state, st)) return c;
    }
    return undefined;
  }

  /**
   * reg_set_min_max: narrow the scalars of `st` assuming the branch condition (`side`: the jump's, 'true',
   * or the fall-through's). `imm`: an immediate's register.
   */
  private scalarRefine(st: State, ins: Insn, cmp: Cmp, is32: boolean, x: boolean, imm: Reg, side: 'true' | 'false'): void {
    const a = this.reg(st, ins.dst).clone();
    // an immediate: jmp's register of it (the constant, sign-extended, or its low half for JMP32)
    // (the immediate's refined copy only says whether the branch is possible: a scratch register)
    // `if r7 <= r7`: reg_set_min_max hands regs_refine_cond_op the same register twice, which it
    // narrows as if they were two (`r7 > r7` leaves r7 in [umin + 1, umax - 1]), so one object here
    const b = x ? (ins.src === ins.dst ? a : this.reg(st, ins.src).clone()) : this.immScratch.copyFrom(imm);
    refine(a, b, cmp, is32);
    a.sync();
    b.sync();
    this.boundsSanityCheck(a, `${side}_reg1`);
    this.boundsSanityCheck(b, `${side}_reg2`);
    st.cur.put(ins.dst, a);
    if (x) st.cur.put(ins.src, b);
  }

  /**
   * reg_bounds_sanity_check: bounds that cross, or a constant tnum the bounds disagree with, are a
   * verifier bug the kernel logs (`verifier bug: REG INVARIANTS VIOLATION`) and survives by forgetting
   * the bounds (__mark_reg_unbounded; the tnum stays) — the path goes on (-EFAULT only under
   * BPF_F_TEST_REG_INVARIANTS, which programs are not loaded with).
   */
  private boundsSanityCheck(r: Reg, ctx: string): void {
    const msg = r.invariantViolation();
    if (msg === undefined) return;
    if (this.logLevel >= 1) this.log(`verifier bug: REG INVARIANTS VIOLATION (${ctx}): ${msg} ${r.boundsDump()}`);
    r.mark64Unbounded();
    r.mark32Unbounded();
  }

  private ptrBranchTaken(dst: Reg, src: Reg, cmp: Cmp, is32: boolean): -1 | 0 | 1 {
    // Linux 6.18 walks both ways of a JMP32 compare of a pointer (`if w1 == 0` of a map pointer).
    if (is32) return -1;
    if (isPktAny(dst) && isPktAny(src)) return pktPtrBranchTaken(dst, src, cmp);
    const [p, k] = dst.isPointer ? [dst, src] : [src, dst];
    if (!k.isScalar || !k.varOff.isConst || k.varOff.value !== 0n) return -1;
    // reg_not_null: only these types are known non-NULL (not xdp_sock; CONST_PTR_TO_MAP too: `if r1 == 0` of a map
    // pointer loaded from the stack, katran's lru_map); a packet, stack or ctx pointer compared with 0 is
    // explored both ways by the kernel (and a program that relies on pruning it is rejected).
    if (
      p.maybeNull ||
      !(
        p.type === RegType.MAP_VALUE ||
        p.type === RegType.MAP_KEY ||
        p.type === RegType.MEM ||
        p.type === RegType.CONST_MAP ||
        p.type === RegType.SOCKET ||
        p.type === RegType.SOCK_COMMON
      )
    )
      return -1;
    if (cmp === 'eq') return 0;
    if (cmp === 'ne') return 1;
    return -1;
  }

  /** acquire_reference: a new reference id the program holds (from `pc`) until it releases it. */
  private acquireReference(st: State, pc: number): number {
    const id = ++this.idGen;
    st.refs = [...st.refs, { id, insn: pc }];
    return id;
  }

  /** Refine pointer facts in `st` assuming `dst cmp src`; `imm`: jmp's register of an immediate. */
  private ptrRefine(st: State, ins: Insn, cmp: Cmp, is32: boolean, x: boolean, imm: Reg): void {
    if (is32) return;
    const dst = this.reg(st, ins.dst);
    const src = x ? this.reg(st, ins.src) : imm;
    // Null checks: `ptr == 0` / `ptr != 0`.
    if (cmp === 'eq' || cmp === 'ne') {
      const p = dst.maybeNull && isZero(src) ? dst : src.maybeNull && isZero(dst) ? src : undefined;
      if (p) {
        this.markPtrOrNull(st, p.id, cmp === 'eq');
        return;
      }
    }
    // Two pointers, one maybe NULL and the other not: where they are equal the first is not NULL either
    // (check_cond_jmp_op lifts PTR_MAYBE_NULL with mark_ptr_not_null_reg, that register only; wxdp has no
    // PTR_TO_BTF_ID, the type it leaves out).
    if (cmp === 'eq' && x && dst.isPointer && src.isPointer && dst.maybeNull !== src.maybeNull) {
      st.cur.own(dst.maybeNull ? ins.dst : ins.src).maybeNull = false;
    }
    // Packet ranges (try_match_pkt_pointers): pkt' vs pkt_end, pkt_meta' vs pkt. Now `l c end`: l <= end
    // gives off bytes, l < end one more; l > end or l >= end marks the compared register itself as
    // past the end or at it (mark_pkt_end), for a later compare of it with the end.
    if (!x) return;
    const [l, lreg, c] = isEndOf(dst, src) ? [dst, ins.dst, cmp] : isEndOf(src, dst) ? [src, ins.src, SWAP[cmp]] : [undefined, 0, cmp];
    if (!l) return;
    if (c === 'le') this.goodPktPointers(st, l, false);
    else if (c === 'lt') this.goodPktPointers(st, l, true);
    else if ((c === 'gt' || c === 'ge') && l.type === RegType.PACKET) st.cur.own(lreg).range = c === 'gt' ? BEYOND_PKT_END : AT_PKT_END;
  }

  /** find_good_pkt_pointers */
  private goodPktPointers(st: State, p: Reg, rightOpen: boolean): void {
    if (p.off < 0 || (p.off === 0 && rightOpen)) return;
    if (p.umax > BigInt(MAX_PACKET_OFF) || p.umax + BigInt(p.off) > BigInt(MAX_PACKET_OFF)) return;
    const range = p.off + (rightOpen ? 1 : 0);
    const { type, id } = p;
    st.forEachReg(
      (o) => (o.range = range),
      (o) => o.type === type && o.id === id && o.range < range,
    );
  }

  /**
   * An allocated object the lock calls take (spin_lock_types: PTR_TO_BTF_ID | MEM_ALLOC — an owning reference, no
   * other flag): its struct's lock offsets (-EINVAL: none; `any`: reg_may_point_to_spin_lock), else undefined.
   */
  private localLockReg(r: Reg): LocalLock | undefined {
    const btf = this.opts.progBtf;
    if (!r.alloc || !btf || r.nonOwning || r.percpu || r.rcu) return undefined;
    const spin = localLockOff(btf, r.alloc, false);
    const res = localLockOff(btf, r.alloc, true);
    return { off: (isRes) => (isRes ? res : spin), any: spin >= 0 || res >= 0 };
  }

  /** mark_ptr_or_null_regs: after `ptr == 0` (isNull) or `ptr != 0`, every copy (same id) learns it. */
  private markPtrOrNull(st: State, id: number, isNull: boolean): void {
    let ref = 0;
    st.forEachReg((o) => {
      if (isNull) {
        // mark_ptr_or_null_regs: only the pointer an acquire returned (ref_obj_id == id) holds the reference
        if (o.refObjId && o.refObjId === o.id) ref = o.refObjId;
        Object.assign(o, Reg.known(0n));
      } else {
        o.maybeNull = false;
        // mark_ptr_or_null_reg: the id has done its work (every copy learnt the check) and goes, so
        // that states compare alike — but on a map value holding a bpf_spin_lock, whose id names the
        // lock (reg_may_point_to_spin_lock); a reference keeps its ref_obj_id until released
        if (!(o.type === RegType.MAP_VALUE && (o.map?.spinLockOff ?? -1) >= 0) && !this.localLockReg(o)?.any) o.id = 0;
      }
    }, (o) => o.maybeNull && o.id === id);
    // A reservation that failed holds nothing to release.
    if (isNull && ref) st.refs = st.refs.filter((r) => r.id !== ref);
  }

  // ---- calls ----

  private call(st: State, ins: Insn, pc: number): number {
    if (ins.src === PseudoCall.LOCAL) return this.localCall(st, pc + 1 + ins.imm, pc, undefined);
    if (ins.src === PseudoCall.KFUNC) return this.kfuncCall(st, ins.imm, pc);
    if (ins.src !== PseudoCall.HELPER) this.reject(`calling kernel functions is not supported`, pc);
    return this.helperCall(st, ins.imm, pc);
  }

  private globalArgReg(a: GlobalArg): Reg {
    switch (a.kind) {
      case 'ctx':
        return Reg.pointer(RegType.CTX);
      case 'scalar':
      case 'arena': // the caller passes an arena pointer or a scalar
        return Reg.unknown();
      case 'dynptr': {
        // __mark_dynptr_reg(reg, BPF_DYNPTR_TYPE_LOCAL, true, ++env->id_gen): "assume unspecial LOCAL dynptr type"
        const r = Reg.pointer(RegType.CONST_DYNPTR);
        r.id = ++this.idGen;
        return r;
      }
      case 'untrusted_mem': {
        // do_check_common: PTR_TO_MEM | MEM_RDONLY | PTR_UNTRUSTED of mem_size 0, never NULL-checked
        const r = Reg.pointer(RegType.MEM);
        r.rdonly = true;
        r.untrusted = true;
        return r;
      }
      case 'mem': {
        const r = Reg.pointer(RegType.MEM);
        r.memSize = a.size;
        if (!a.nonnull) {
          r.maybeNull = true;
          r.id = ++this.idGen;
        }
        return r;
      }
    }
  }

  /**
   * A call to a global function: the arguments must match its prototype (btf_check_func_arg_match);
   * the body was verified alone. A mismatch is refused with the check's line, then "Caller passes
   * invalid args into func#N".
   */
  private globalCall(st: State, g: GlobalFunc, pc: number): number {
    const caller = `Caller passes invalid args into func#${this.funcIndex.get(g.entry)} ('${g.name}')`;
    if (g.invalid) this.reject(g.invalid.message, pc, caller, g.invalid.errno);
    try {
      g.args.forEach((a, k) => this.globalArg(st, a, k, pc));
    } catch (e) {
      if (!(e instanceof Reject) || e.detail !== undefined) throw e;
      throw new Reject(e.reason, e.insn, caller, e.errno);
    }
    if (this.logLevel >= 1) this.log(`Func#${this.funcIndex.get(g.entry)} ('${g.name}') is global and assumed valid.`);
    this.calledGlobals.add(g.entry);
    for (let r = 0; r <= 5; r++) st.cur.putShared(r, UNINIT);
    st.cur.put(0, Reg.unknown());
    return pc + 1;
  }

  /**
   * btf_check_func_arg_match for argument `k` (register k + 1). The registers are not checked as read
   * first (no check_reg_arg): one the caller never set (clang leaves an argument the function does
   * not use unset) fails the argument's own check — a pointer's in check_func_arg_reg_off, on the
   * unknown var_off of a NOT_INIT register.
   */
  private globalArg(st: State, a: GlobalArg, k: number, pc: number): void {
    const regno = k + 1;
    const reg = st.cur.regs[regno]!;
    // an untrusted argument takes anything: its function reads it with probe loads
    if (a.kind === 'untrusted_mem') return;
    if (a.kind !== 'scalar' && a.kind !== 'arena') this.funcArgRegOff(reg, regno, a.kind === 'dynptr', pc);
    switch (a.kind) {
      case 'scalar':
        if (!reg.isScalar) this.reject(`R${regno} is not a scalar`, pc, undefined, 'EINVAL');
        return;
      case 'arena':
        if (!reg.isScalar) this.reject(`R${regno} is not a pointer to arena or scalar.`, pc, undefined, 'EINVAL');
        return;
      case 'ctx':
        if (reg.type !== RegType.CTX) this.reject(`arg#${k} expects pointer to ctx`, pc, undefined, 'EINVAL');
        return;
      case 'dynptr':
        // process_dynptr_func(ARG_PTR_TO_DYNPTR | MEM_RDONLY): an initialised dynptr, read
        this.dynptrArg(st, reg, regno, pc, true);
        return;
      case 'mem': {
        // check_mem_reg: NULL passes; a maybe-NULL pointer is checked as if it were not NULL, for
        // reading and for writing the pointee's size (any failure is -EINVAL)
        if (!(reg.isScalar && reg.varOff.isConst && reg.varOff.value === 0n)) {
          const p = reg.clone();
          p.maybeNull = false;
          try {
            this.helperMem(st, pc, regno, p, a.size, false, false);
            this.helperMem(st, pc, regno, p, a.size, true, false);
          } catch (e) {
            if (!(e instanceof Reject)) throw e;
            throw new Reject(e.reason, e.insn, e.detail, 'EINVAL');
          }
        }
        if (a.nonnull && reg.maybeNull) this.reject(`arg#${k} is expected to be non-NULL`, pc, undefined, 'EINVAL');
        return;
      }
    }
  }

  /**
   * check_func_arg_reg_off for a pointer argument of a global function: the memory types take any
   * offset; other registers (ctx, a maybe-NULL pointer, one never set) only as they were made
   * (__check_ptr_off_reg without a fixed offset), -EACCES.
   */
  private funcArgRegOff(reg: Reg, regno: number, dynptr: boolean, pc: number): void {
    switch (reg.type) {
      case RegType.STACK:
      case RegType.PACKET:
      case RegType.PACKET_META:
      case RegType.MAP_KEY:
      case RegType.MAP_VALUE:
      case RegType.SCALAR:
        return;
      case RegType.MEM:
        // (a packet slice carries DYNPTR_TYPE_XDP / _SKB: not one of the listed types)
        if (!reg.maybeNull && !reg.pktSlice) return;
        break;
      case RegType.CONST_DYNPTR:
        if (dynptr) return; // useDynptrArg checks it
        break;
    }
    if (reg.off < 0) this.reject(`negative offset ${reg.typeName()} ptr R${regno} off=${reg.off} disallowed`, pc);
    if (reg.off) this.reject(`dereference of modified ${reg.typeName()} ptr R${regno} off=${reg.off} disallowed`, pc);
    if (!reg.varOff.isConst || reg.varOff.value !== 0n) this.reject(`variable ${reg.typeName()} access var_off=${reg.varOff.toString()} disallowed`, pc);
  }

  private localCall(st: State, target: number, pc: number, callback: Frame['callback']): number {
    const g = callback ? undefined : this.globals.get(target);
    if (g) return this.globalCall(st, g, pc);
    if (st.frames.length >= MAX_CALL_FRAMES) {
      this.reject(`the call stack of ${st.frames.length + 1} frames is too deep`, pc, undefined, 'E2BIG');
    }
    const caller = st.cur;
    const callerSub = caller.subprog;
    let edges = this.callees.get(callerSub);
    if (!edges) this.callees.set(callerSub, (edges = new Set()));
    edges.add(target);
    const callee = new Frame(st.frames.length, pc, target);
    callee.callback = callback;
    if (!callback) {
      for (let r = 1; r <= 5; r++) callee.put(r, caller.regs[r]!.clone());
      // The caller's scratch registers are clobbered by the call.
      for (let r = 0; r <= 5; r++) caller.putShared(r, UNINIT);
    }
    st.frames.push(callee);
    return target;
  }

  private exit(st: State, pc: number): number {
    const frame = st.cur;
    const r0 = frame.regs[0]!;
    // Only the program's (and a callback's) return value must be set; a subprogram may return nothing.
    if (r0.type === RegType.NOT_INIT && (st.frames.length === 1 || frame.callback)) this.reject('R0 !read_ok', pc);
    if (st.frames.length === 1) {
      // check_return_code: an async callback's (a timer's) r0 in its callback_ret_range
      if (frame.callback?.async) this.checkReturnCode(st, r0, [frame.callback.retMin, frame.callback.retMax], pc, 'At async callback return');
      else if (frame.subprog !== 0 && !r0.isScalar) this.reject(`At subprogram exit the register R0 is not a scalar value (${r0.typeName()})`, pc);
      checkExitUnderLock(st, (r) => this.reject(r, pc, undefined, 'EINVAL')); // check_resource_leak: -EINVAL
      const leak = st.refs.find((r) => !r.irq);
      if (leak) {
        const r = leak;
        this.reject(`Unreleased reference id=${r.id} alloc_insn=${r.insn}`, pc, 'BPF_EXIT instruction in main prog would lead to reference leak', 'EINVAL');
      }
      this.checkSections(st, 'BPF_EXIT instruction in main prog', pc);
      if (frame.subprog === 0 && this.progType === 'sk_lookup') this.checkReturnCode(st, r0, SK_LOOKUP_RETVAL, pc);
      return -1;
    }
    // prepare_func_exit refuses any stack pointer, the caller's too ("technically it's ok to return
    // caller's stack pointer ... but let's be conservative"), a callback's before its range check
    if (r0.type === RegType.STACK) this.reject('cannot return stack pointer to the caller', pc, undefined, 'EINVAL');
    if (frame.callback) {
      const cb = frame.callback;
      if (r0.isScalar) this.precise(st, 0);
      if (!r0.isScalar || r0.smin < cb.retMin || r0.smax > cb.retMax) {
        const what = r0.isScalar
          ? [r0.smin > -(1n << 63n) ? ` smin=${r0.smin}` : '', r0.smax < (1n << 63n) - 1n ? ` smax=${r0.smax}` : ''].join('') || ' unknown scalar value'
          : ` type=${r0.typeName()}`;
        this.reject(`At callback return the register R0 has${what} should have been in [${cb.retMin}, ${cb.retMax}]`, pc, undefined, 'EINVAL');
      }
    }
    // process_bpf_exit_full: the callee's chain is solved before the frame goes (bpf_update_live_stack)
    this.stackLive.update(st.frames);
    st.frames.pop();
    const caller = st.cur;
    // A callback returns to the call that ran it (prepare_func_exit): that call, run again with the
    // caller's registers as they were, schedules the next iteration until it adds nothing new.
    if (frame.callback) {
      // Scalars that changed since the previous visit of that call and are not precise: unknown now.
      // The previous visit is find_prev_entry's, from the call's checkpoint list (the current state one
      // deeper than its newest checkpoint): not a walk up the checkpoint chain, which is as long as the
      // path (wide seed 72625: bpf_loop callbacks with may_goto loops took over 10 minutes to the
      // complexity limit) and finds a checkpoint the miss heuristic evicted, which the kernel does not.
      const prev = st.cp ? this.findPrevEntry(st, st.cp.depth + 1, frame.callsite) : undefined;
      if (prev) widenImpreciseScalars(prev.state, st);
      return frame.callsite;
    }
    caller.put(0, r0.clone());
    return frame.callsite + 1;
  }

  /** check_return_code: the program's r0 must be a scalar within `range`. */
  private checkReturnCode(st: State, r0: Reg, range: readonly [bigint, bigint], pc: number, where = 'At program exit'): void {
    // both refusals are check_return_code's -EINVAL (6.18.44, probed: sk_lookup returning ctx, returning 2)
    if (!r0.isScalar) this.reject(`${where} the register R0 is not a known value (${r0.typeName()})`, pc, undefined, 'EINVAL');
    this.precise(st, 0);
    if (r0.smin >= range[0] && r0.smax <= range[1]) return;
    const what = [r0.smin > -(1n << 63n) ? ` smin=${r0.smin}` : '', r0.smax < (1n << 63n) - 1n ? ` smax=${r0.smax}` : ''].join('') || ' unknown scalar value';
    this.reject(`${where} the register R0 has${what} should have been in [${range[0]}, ${range[1]}]`, pc, undefined, 'EINVAL');
  }

  private helperCall(st: State, id: number, pc: number): number {
    const proto = PROTOS[id];
    const name = helperName(id);
    if (!proto || !helperAllowed(this.progType, id) || (this.opts.helpers && !this.opts.helpers.has(id) && id !== 12)) {
      // one the kernel gives this type that wxdp does not (an sk_lookup's bpf_perf_event_output, an
      // sk_reuseport's bpf_skb_load_bytes_relative): a limit of wxdp's, not the kernel's verdict
      const kernel = kernelHelpersOf(this.progType);
      if (kernel?.ids.has(id)) throw new ProgramError(notProvidedReason(id, kernel.type), pc, 'PROG_UNSUPPORTED');
      this.reject(`program of this type cannot use helper ${name}#${id}`, pc, undefined, 'EINVAL');
    }
    // (the closure made only under a lock: this runs at every helper call)
    if (st.refs.length) checkCallUnderLock(st, id, (r) => this.reject(r, pc, undefined, 'EINVAL'));
    // eBPF programs must be GPL compatible to use GPL-ed functions
    if (this.opts.gplCompatible === false && GPL_ONLY_HELPERS.has(id)) {
      this.reject('cannot call GPL-restricted function from non-GPL compatible program', pc, undefined, 'EINVAL');
    }
    let mapArg: Reg | undefined;
    let releaseRef = 0;
    let allocSize = 0;
    let dynptr: DynptrSlot | undefined;
    // An array lookup with a key the verifier knows in range cannot fail (get_constant_map_key).
    const constKey = id === 1 ? this.constantMapKey(st, st.cur.regs[1]!, st.cur.regs[2]!) : undefined;
    // (a loop, not forEach: a closure per helper call)
    for (let k = 0; k < proto.args.length; k++) {
      const a = proto.args[k]!;
      const regno = k + 1;
      const reg = this.readReg(st, regno, pc);
      this.checkArg(st, pc, id, a, regno, reg, mapArg);
      if (a === Arg.CONST_MAP_PTR) mapArg = reg;
      if (a === Arg.PTR_TO_RINGBUF_MEM_RELEASE || a === Arg.PTR_TO_SOCK_COMMON_RELEASE || a === Arg.PTR_TO_KPTR_OBJ_OR_NULL_RELEASE) releaseRef = reg.refObjId;
      if (a === Arg.CONST_ALLOC_SIZE_OR_ZERO) allocSize = Number(reg.umax);
      if (a === Arg.PTR_TO_DYNPTR) dynptr = this.dynptrArg(st, reg, regno, pc, false);
      if (a === Arg.PTR_TO_DYNPTR_UNINIT_LOCAL) this.newDynptrArg(st, regno, DynptrType.LOCAL, pc);
      if (a === Arg.PTR_TO_DYNPTR_UNINIT_RINGBUF) {
        // a reserved record is a reference, even when the reservation fails (the dynptr is then NULL)
        this.newDynptrArg(st, regno, DynptrType.RINGBUF, pc, () => this.acquireReference(st, pc));
      }
      if (a === Arg.PTR_TO_DYNPTR_RELEASE_RINGBUF) releaseDynptrArg(st, reg, regno, (r, e) => this.reject(r, pc, undefined, e ?? 'EINVAL'), (l) => this.log(l), this.slotWritten);
    }
    // check_helper_call: a local dynptr's memory is a map value, nothing else (the proto's
    // ARG_PTR_TO_UNINIT_MEM alone would take the stack); the JIT's frame walk (stack_slots.ts) counts
    // on bpf_dynptr_data never answering a pointer into the frame
    if (id === BPF_FUNC_DYNPTR_FROM_MEM && (st.cur.regs[1]!.type !== RegType.MAP_VALUE || st.cur.regs[1]!.rdonly)) {
      this.reject(`Unsupported reg type ${st.cur.regs[1]!.typeName()} for bpf_dynptr_from_mem data`, pc, undefined, 'EACCES');
    }
    if (id === BPF_FUNC_SNPRINTF) this.snprintfFormat(st, pc);
    // push_callback_call (set_map_elem_callback_state) comes before check_map_func_compatibility: a
    // ringbuf is refused as a map without map_for_each_callback, not as one the helper may not take
    if (id === BPF_FUNC_FOR_EACH_MAP_ELEM && !FOR_EACH_MAPS.has(mapArg!.map!.type)) {
      this.reject('callback function not allowed for map', pc, undefined, 'ENOTSUPP');
    }
    if (mapArg && proto.mapTypes && !proto.mapTypes.includes(mapArg.map!.type)) {
      this.reject(`cannot pass map_type ${mapArg.map!.type} into func ${name}#${id}`, pc, undefined, 'EINVAL');
    }
    if (id === 1 && mapArg) {
      const had = this.rewriteFacts.get(pc);
      this.rewriteFacts.set(pc, had === undefined || had === mapArg.map! ? mapArg.map! : null);
    }
    const mt = mapArg?.map!.type;
    const sockmap = mt === MapType.SOCKMAP || mt === MapType.SOCKHASH;
    if (sockmap && (id === 2 || id === 3) && !mayUpdateSockmap(this.progType, id)) {
      this.log('cannot update sockmap in this context');
      this.reject(`cannot pass map_type ${mt} into func ${name}#${id}`, pc, undefined, 'EINVAL');
    }
    if (mapArg && !mapAllowsHelper(mt!, id)) {
      this.reject(`cannot pass map_type ${mt} into func ${name}#${id}`, pc, undefined, 'EINVAL');
    }
    if (id === 12 && st.refs.some((r) => !r.irq)) this.reject('tail_call would lead to reference leak', pc);
    if (id === 12) this.checkSections(st, 'tail_call', pc);
    if (releaseRef) {
      st.refs = st.refs.filter((r) => r.id !== releaseRef);
      // Every copy of the released pointer becomes unusable — but a per-CPU object given to bpf_kptr_xchg in
      // an RCU section (an XDP program always is) stays readable through it: MEM_RCU, no reference
      st.forEachReg(
        (o) => {
          if (id === BPF_FUNC_KPTR_XCHG && o.percpu && o.alloc) {
            o.refObjId = 0;
            o.rcu = true;
          } else Object.assign(o, Reg.unknown());
        },
        (o) => o.refObjId === releaseRef,
      );
    }
    if (id === 181) return this.loopCall(st, pc);
    // set_timer_callback_state: the callback's map is that of the timer in this call's R1 (its register, not
    // anything kept across calls or states)
    if (id === BPF_FUNC_TIMER_SET_CALLBACK) this.pushTimerCallback(st, pc, st.cur.regs[1]!.map!);
    if (id === BPF_FUNC_FOR_EACH_MAP_ELEM) return this.forEachCall(st, pc, mapArg!);
    for (let r = 0; r <= 5; r++) st.cur.putShared(r, UNINIT);
    // check_helper_call: bpf_dynptr_write through an skb dynptr changes packet data (a global
    // function's dynptr argument is one), which invalidates every slice of the packet with its pointers
    if (CHANGES_PKT_DATA.has(id) || (id === BPF_FUNC_DYNPTR_WRITE && dynptr?.type === DynptrType.SKB)) {
      this.clearPktPointers(st);
    }
    switch (proto.ret) {
      case Ret.INTEGER:
        if (id === BPF_FUNC_GET_SMP_PROCESSOR_ID && this.opts.nrCpuIds !== undefined) {
          // do_refine_retval_range: a CPU number, [0, nr_cpu_ids - 1] at both widths
          const r = Reg.unknown();
          const max = BigInt(this.opts.nrCpuIds - 1);
          r.umin = r.u32min = r.smin = r.s32min = 0n;
          r.umax = r.u32max = r.smax = r.s32max = max;
          r.sync();
          st.cur.put(0, r);
        } else st.cur.putShared(0, UNKNOWN);
        break;
      case Ret.VOID:
        break;
      case Ret.MAP_VALUE_OR_NULL: {
        // This kernel (6.18.44-fc-v1252) types what a lookup finds at the call, before its NULL check:
        // a map-in-map's element is the inner map, map_ptr_or_null with the outer map's inner_map_meta
        // (no name: bpf_map_meta_alloc copies none), a sockmap's or sockhash's a socket, sock_or_null
        // (earlier builds, as upstream, said map_value_or_null and changed the type at the NULL check,
        // mark_ptr_not_null_reg).
        // An xskmap's element is the AF_XDP socket, xdp_sock_or_null (upstream: map_value_or_null
        // until the NULL check makes it xdp_sock).
        const m = mapArg!.map!;
        const xsk = m.type === MapType.XSKMAP;
        const r = Reg.pointer(m.inner ? RegType.CONST_MAP : sockmap ? RegType.SOCKET : xsk ? RegType.XDP_SOCK : RegType.MAP_VALUE);
        r.map = m.inner ?? (sockmap || xsk ? undefined : m);
        if (constKey === undefined || constKey >= BigInt(m.maxEntries) || sockmap) {
          r.maybeNull = true;
          r.id = ++this.idGen;
        } else if ((m.spinLockOff ?? -1) >= 0) {
          // a value with a bpf_spin_lock keeps an id, so unlock can name the value lock took
          r.id = ++this.idGen;
        }
        // is_acquire_function: the socket found is a reference the program must release.
        if (sockmap) r.id = r.refObjId = this.acquireReference(st, pc);
        // map_uid: a value found in an inner map belongs to the lookup that found that map; an inner map
        // whose template holds a bpf_timer is told from others by the id of its own lookup
        // (mark_ptr_or_null_reg: map_uid = reg->id)
        r.mapUid = (m.inner?.timerOff ?? -1) >= 0 ? r.id : mapArg!.mapUid;
        st.cur.put(0, r);
        break;
      }
      case Ret.SOCKET_OR_NULL:
      case Ret.SOCK_COMMON_OR_NULL: {
        // is_acquire_function: a socket the program must release, or NULL (the NULL check's id is
        // drawn first, then the reference's, which the register takes for both)
        const r = Reg.pointer(proto.ret === Ret.SOCKET_OR_NULL ? RegType.SOCKET : RegType.SOCK_COMMON);
        r.maybeNull = true;
        ++this.idGen;
        r.id = r.refObjId = this.acquireReference(st, pc);
        st.cur.put(0, r);
        break;
      }
      case Ret.CPU_ALLOC_PTR: {
        // returns_cpu_specific_alloc_ptr: one CPU's copy, PTR_TO_BTF_ID | MEM_ALLOC | MEM_RCU, never NULL
        // to the verifier (bpf_per_cpu_ptr's NULL for a CPU past nr_cpu_ids is the run's); the call is lowered
        // to the helper of the object's size (each CPU's copy lies `size` bytes after the previous one)
        const a = this.percpuArg!;
        const r = allocReg(a.alloc, { name: a.btf!, size: a.memSize });
        r.rcu = true;
        st.cur.put(0, r);
        const was = this.objNewSizes.get(pc);
        if (was !== undefined && was !== PERCPU_PTR + id * 4096 + a.memSize) throw new ProgramError(`${name}: one call of two per-CPU structs' sizes is not supported by wxdp`, pc, 'PROG_UNSUPPORTED');
        this.objNewSizes.set(pc, PERCPU_PTR + id * 4096 + a.memSize);
        break;
      }
      case Ret.KPTR_OR_NULL: {
        // the field's old object: the kptr's struct (MEM_ALLOC: a struct of the program's BTF), a reference
        // the program now holds, or NULL (the NULL check's id drawn first, then the reference's)
        const k = this.xchgField!;
        const r = allocReg(k.structId, localStruct(this.opts.progBtf, k.structId)!);
        r.maybeNull = true;
        r.percpu = k.type === 'percpu_kptr';
        ++this.idGen;
        r.id = r.refObjId = this.acquireReference(st, pc);
        st.cur.put(0, r);
        break;
      }
      case Ret.RINGBUF_MEM_OR_NULL: {
        const r = Reg.pointer(RegType.MEM);
        r.ringbuf = true;
        r.maybeNull = true;
        r.memSize = allocSize;
        ++this.idGen;
        r.id = r.refObjId = this.acquireReference(st, pc);
        st.cur.put(0, r);
        break;
      }
      case Ret.DYNPTR_MEM_OR_NULL: {
        // bpf_dynptr_data: memory of the constant size asked for, or NULL; it dies with its dynptr.
        const r = Reg.pointer(RegType.MEM);
        r.maybeNull = true;
        r.memSize = allocSize;
        r.id = ++this.idGen;
        r.dynptrId = dynptr!.id;
        // a slice of a ringbuf record dies with the record's reference
        if (dynptr!.ref) r.refObjId = dynptr!.ref;
        st.cur.put(0, r);
        break;
      }
    }
    // check_helper_call: a tail call from a subprogram may return from it (the callee replaced only
    // this frame, its callers' stay and get its return value). The failed call, falling through, is
    // pushed; the walk goes on as if the subprogram exited with an unknown R0 (prepare_func_exit), the
    // tail-called program having maybe moved the packet (clear_all_pkt_pointers).
    if (id === BPF_FUNC_TAIL_CALL && st.frames.length > 1) {
      this.pushBranch(st.clone(), pc + 1, pc);
      this.clearPktPointers(st);
      st.cur.put(0, Reg.unknown());
      return this.exit(st, pc);
    }
    return pc + 1;
  }

  /** clear_all_pkt_pointers: the frame moved; every packet pointer is now just a number. */
  private clearPktPointers(st: State): void {
    st.forEachReg(
      (o) => Object.assign(o, Reg.unknown()),
      (o) => o.isPkt || o.type === RegType.PACKET_END || o.pktSlice,
    );
  }

  /** check_resource_leak after the reference check: no open RCU read section, preemption enabled. */
  private checkSections(st: State, prefix: string, pc: number): void {
    if (st.refs.some((r) => r.irq)) this.reject(`${prefix} cannot be used inside bpf_local_irq_save-ed region`, pc, undefined, 'EINVAL');
    if (st.rcuLock) this.reject(`${prefix} cannot be used inside bpf_rcu_read_lock-ed region`, pc, undefined, 'EINVAL');
    if (st.preemptLocks) this.reject(`${prefix} cannot be used inside bpf_preempt_disable-ed region`, pc, undefined, 'EINVAL');
  }

  /** An initialised dynptr argument (process_dynptr_func without MEM_UNINIT); its slots are read. */
  private dynptrArg(st: State, reg: Reg, regno: number, pc: number, kfunc: boolean): DynptrSlot {
    const d = useDynptrArg(st, reg, regno, (r, e) => this.reject(r, pc, undefined, e ?? 'EINVAL'), (l) => this.log(l), kfunc);
    const slots = dynptrSlots(reg);
    if (slots) this.stackRead(st, reg.frameno, pc, slots[0], slots[1]);
    return d;
  }

  /**
   * Slots [first, last] of frame `frameno`'s stack are read at `pc`: by the executing function, at its
   * depth below that frame (a callee reads its caller's stack through a pointer it was given).
   */
  private stackRead(st: State, frameno: number, pc: number, first: number, last: number): void {
    // (the callers' calls read it too: propagated from the function's entry when its chain is solved)
    this.stackLive.read(st.frames, frameno, pc, first, last);
  }

  /**
   * A dynptr argument the call initialises (MEM_UNINIT): two 8-byte stack writes (check_mem_access,
   * which destroys what was there), then both slots become STACK_DYNPTR of `type`.
   */
  private newDynptrArg(st: State, regno: number, type: DynptrType, pc: number, acquire?: () => number): void {
    const reg = this.reg(st, regno);
    if (reg.type === RegType.STACK && dynptrSlots(reg)) {
      this.memAccess(st, pc, regno, 0, 8, 'write', Reg.unknown());
      this.memAccess(st, pc, regno, 8, 8, 'write', Reg.unknown());
    }
    initDynptrArg(st, this.reg(st, regno), regno, type, () => ++this.idGen, (r, e) => this.reject(r, pc, undefined, e ?? 'EINVAL'), (l) => this.log(l), acquire, this.slotWritten);
  }

  /** check_kfunc_call for the kfuncs of helpers/kfuncs.ts: prototype, device binding, the lock rule. */
  private kfuncCall(st: State, btfId: number, pc: number): number {
    const def = kfuncById(btfId);
    // (add_kfunc_call refused unknown ids and unbound metadata kfuncs before the walk)
    if (!def) this.reject(`kernel btf_id ${btfId} is not a function`, pc, undefined, 'EINVAL');
    if (def.resLock === 'lock') {
      // check_kfunc_call, first of all: the path where taking the lock failed, pushed as it is before the
      // call, goes on at the next instruction with r0-r5 cleared and r0 in [-MAX_ERRNO, -1] (s32 and s64),
      // no lock held
      const failed = st.clone();
      for (let r = 0; r <= 5; r++) failed.cur.putShared(r, UNINIT);
      const r0 = Reg.unknown();
      r0.smin = r0.s32min = -4095n;
      r0.smax = r0.s32max = -1n;
      r0.sync();
      failed.cur.put(0, r0);
      this.pushBranch(failed, pc + 1, pc);
    }
    // do_check: under a bpf_spin_lock only kfunc_spin_allowed ones (the bpf_iter_num API)
    if (!def.spinAllowed) checkCallUnderLock(st, -1, (r) => this.reject(r, pc, undefined, 'EINVAL'));
    if (def.graph) return this.graphCall(st, def, pc);
    let dynptr: DynptrSlot | undefined;
    let constSize = 0;
    let releaseRef = 0;
    let constArg = 0n;
    let iter: { frameno: number; spi: number } | undefined;
    def.args.forEach((a, k) => {
      const regno = k + 1;
      // check_kfunc_args: an `__ign` argument is skipped; a scalar one is a type check (an unset
      // register is "not a scalar": kfunc arguments are not checked as read first)
      if (a.kind === 'ign') return;
      if (a.kind === 'scalar') {
        if (!st.cur.regs[regno]!.isScalar) this.reject(`R${regno} is not a scalar`, pc, undefined, 'EINVAL');
        return;
      }
      if (a.kind === 'const') {
        // is_kfunc_arg_constant (`__k`): a known value, made precise (mark_chain_precision)
        const c = st.cur.regs[regno]!;
        if (!c.isScalar) this.reject(`R${regno} is not a scalar`, pc, undefined, 'EINVAL');
        if (!c.varOff.isConst) this.reject(`R${regno} must be a known constant`, pc, undefined, 'EINVAL');
        this.precise(st, regno);
        constArg = c.varOff.value;
        return;
      }
      const reg = this.readReg(st, regno, pc);
      // KF_ARG_PTR_TO_CTX: the ctx itself, else the kfunc's own refusal (not a helper's), after a trusted
      // kfunc's NULL check (bpf_xdp_ct_lookup's)
      if (a.kind === 'ctx') this.trustedNotNull(def, reg, k, pc);
      if (a.kind === 'ctx' && reg.type !== RegType.CTX) this.reject(`arg#${k} expected pointer to ctx, but got ${reg.typeName()}`, pc, undefined, 'EINVAL');
      if (a.kind === 'ctx') this.checkArg(st, pc, 0, Arg.PTR_TO_CTX, regno, reg, undefined);
      else if (a.kind === 'dynptr') {
        const d = this.dynptrArg(st, reg, regno, pc, true);
        dynptr ??= d;
      } else if (a.kind === 'dynptr_uninit') {
        if (reg.type !== RegType.STACK) this.reject(`arg#${k} expected pointer to stack or const struct bpf_dynptr`, pc);
        this.newDynptrArg(st, regno, a.type === 'xdp' ? DynptrType.XDP : dynptr!.type, pc);
      } else if (a.kind === 'buffer_szk') {
        // KF_ARG_PTR_TO_MEM_SIZE: buffer__opt (NULL allowed), then its size, a known constant.
        const size = this.readReg(st, regno + 1, pc);
        if (!size.isScalar) this.reject(`R${regno + 1} is not a scalar`, pc, undefined, 'EINVAL');
        if (!size.varOff.isConst) this.reject(`R${regno + 1} must be a known constant`, pc, undefined, 'EINVAL');
        this.precise(st, regno + 1);
        constSize = Number(size.varOff.value);
        const isNull = reg.isScalar && reg.varOff.isConst && reg.varOff.value === 0n;
        if (!isNull) {
          if (reg.isScalar || reg.maybeNull) this.reject(`R${regno} type=${reg.typeName()} expected=fp, pkt, pkt_meta, map_key, map_value, mem`, pc);
          this.helperMem(st, pc, regno, reg, constSize, false, true);
          this.helperMem(st, pc, regno, reg, constSize, true, true);
        }
      } else if (a.kind === 'mem_sz') {
        this.trustedNotNull(def, reg, k, pc);
        // KF_ARG_PTR_TO_MEM_SIZE: check_kfunc_mem_size_reg, as check_mem_size_reg for a read and a write
        const size = this.readReg(st, regno + 1, pc);
        if (!size.isScalar) this.reject(`R${regno + 1} type=${size.typeName()} expected=scalar`, pc);
        this.precise(st, regno + 1);
        if (size.smin < 0n) this.reject(`R${regno + 1} min value is negative, either use unsigned or 'var &= const'`, pc);
        if (size.umax >= 1n << 29n) this.reject(`R${regno + 1} unbounded memory access, use 'var &= const' or 'if (var < const)'`, pc);
        const isNull = reg.isScalar && reg.varOff.isConst && reg.varOff.value === 0n;
        if (!(isNull && size.umax === 0n)) {
          if (reg.isScalar || reg.maybeNull) this.reject(`R${regno} type=${reg.typeName()} expected=fp, pkt, pkt_meta, map_key, map_value, mem`, pc);
          this.helperMem(st, pc, regno, reg, Number(size.umax), false, true);
          this.helperMem(st, pc, regno, reg, Number(size.umax), true, true);
        }
      } else if (a.kind === 'conn') {
        // check_kfunc_args for KF_ARG_PTR_TO_BTF_ID of a KF_RELEASE / KF_TRUSTED_ARGS kfunc: not NULL; a
        // reference (is_trusted_reg: wxdp's only trusted struct pointers are the acquired ones); at its
        // start (check_func_arg_reg_off); then process_kf_arg_ptr_to_btf_id's strict match (KF_ACQUIRE,
        // KF_RELEASE and KF_TRUSTED_ARGS all ask for it): nf_conn___init, whose first member is the
        // nf_conn, is not an nf_conn there, nor the other way round
        this.trustedNotNull(def, reg, k, pc);
        if (!reg.refObjId || !st.refs.some((r) => r.id === reg.refObjId)) this.reject(`R${regno} must be referenced or trusted`, pc, undefined, 'EINVAL');
        if (reg.off !== 0 || !reg.varOff.isConst || reg.varOff.value !== 0n) {
          this.reject(`R${regno} must have zero offset when passed to release func or trusted arg to kfunc`, pc, undefined, 'EINVAL');
        }
        if (reg.btf !== a.struct) {
          this.reject(`kernel function ${def.name} args#${k} expected pointer to STRUCT ${a.struct} but R${regno} has a pointer to STRUCT ${reg.btf}`, pc, undefined, 'EINVAL');
        }
        if (def.release) releaseRef = reg.refObjId;
      } else if (a.kind === 'map') {
        // KF_ARG_PTR_TO_BTF_ID struct bpf_map: NULL refused first (trusted), then get_kfunc_ptr_arg_type —
        // a register of no BTF type (reg2btf_ids has the map pointer, the sockets) is memory, which a
        // struct without scalars cannot be; then process_kf_arg_ptr_to_btf_id's type match
        this.trustedNotNull(def, reg, k, pc);
        const btfName = reg.type === RegType.SOCKET ? 'sock' : reg.type === RegType.SOCK_COMMON ? 'sock_common' : reg.type === RegType.XDP_SOCK ? 'xdp_sock' : reg.btf ?? reg.trustedBtf;
        if (reg.type !== RegType.CONST_MAP && btfName === undefined) {
          this.reject(`arg#${k} pointer type STRUCT bpf_map must point to scalar, or struct with scalar`, pc, undefined, 'EINVAL');
        }
        if (reg.type !== RegType.CONST_MAP) {
          this.reject(`kernel function ${def.name} args#${k} expected pointer to STRUCT bpf_map but R${regno} has a pointer to STRUCT ${btfName}`, pc, undefined, 'EINVAL');
        }
      } else if (a.kind === 'res_lock') {
        // KF_ARG_PTR_TO_RES_SPIN_LOCK: a map value or an allocated object, then process_spin_lock
        const local = this.localLockReg(reg);
        if (reg.type !== RegType.MAP_VALUE && !local) this.reject(`arg#${k} doesn't point to map value or allocated object`, pc, undefined, 'EINVAL');
        processSpinLock(st, reg, regno, def.resLock === 'lock', pc, (r) => this.reject(r, pc, undefined, 'EINVAL'), true, def.resLockIrq, local);
      } else if (a.kind === 'irq_flag') {
        this.irqFlagArg(st, reg, regno, a.op, pc, a.lock ?? false);
      } else if (a.kind === 'iter') {
        iter = this.iterArg(st, reg, regno, a.op, a.type, pc);
      } else if (a.kind === 'size') {
        // consumed with the buffer before it
      } else {
        // KF_ARG_PTR_TO_MEM: check_mem_reg checks it as helper memory, so a packet or metadata pointer
        // is fine within its checked range (6.18.44 loads xdp_metadata.c's &meta->rx_hash)
        this.trustedNotNull(def, reg, k, pc);
        this.helperMem(st, pc, regno, reg, a.size, true, false);
      }
    });
    // This kernel (6.18.44-fc-v1252) refuses bpf_dynptr_slice_rdwr in every program type and for every
    // dynptr kind (xdp, skb, a local one from bpf_dynptr_from_mem, a ringbuf record's), once the
    // arguments have been checked (the dynptr, then buffer__szk made precise), with EPERM; earlier
    // builds accepted it. bpf_dynptr_slice and bpf_dynptr_write are still allowed.
    if (def.name === 'bpf_dynptr_slice_rdwr') this.reject(`${def.name}() is not allowed`, pc, undefined, 'EPERM');
    if (def.section) this.kfuncSection(st, def, pc);
    if (def.throws) {
      // do_check: bpf_throw goes to process_bpf_exit_full with exception_exit — check_resource_leak(env,
      // true, !curframe, "bpf_throw"): a reference held in any frame leaks; the sections only in the main
      // frame; then the path ends (no return value checks, no frame returned to)
      const leak = st.refs.find((r) => !r.irq);
      if (leak) this.reject(`Unreleased reference id=${leak.id} alloc_insn=${leak.insn}`, pc, 'bpf_throw would lead to reference leak', 'EINVAL');
      if (st.frames.length === 1) this.checkSections(st, 'bpf_throw', pc);
      return -1;
    }
    if (releaseRef) {
      st.refs = st.refs.filter((r) => r.id !== releaseRef);
      // Every copy of the released pointer becomes unusable.
      st.forEachReg(
        (o) => Object.assign(o, Reg.unknown()),
        (o) => o.refObjId === releaseRef,
      );
    }
    // check_kfunc_call: after a packet-changing kfunc (bpf_xdp_pull_data) no packet pointer survives
    if (def.changesPkt) this.clearPktPointers(st);
    for (let r = 1; r <= 5; r++) st.cur.putShared(r, UNINIT);
    if (def.ret === 'void') st.cur.putShared(0, UNINIT);
    else if (def.ret === 'iter_next') {
      // KF_RET_NULL `int *`: PTR_TO_MEM | MEM_RDONLY | PTR_MAYBE_NULL of 4 bytes, then process_iter_next_call
      const r = Reg.pointer(RegType.MEM);
      r.memSize = 4;
      r.rdonly = true;
      r.maybeNull = true;
      r.id = ++this.idGen;
      st.cur.put(0, r);
      this.iterNext(st, iter!, pc);
    }
    else if (def.ret === 'slice' || def.ret === 'slice_rdwr') st.cur.put(0, this.dynptrSlice(dynptr!, constSize, def.ret === 'slice'));
    else if (def.ret === 'acquire_or_null') {
      // KF_ACQUIRE | KF_RET_NULL: a reference the program must release (acquire_reference), NULL or not
      const r = this.kptrOrNull(def.retStruct ?? '');
      // check_kfunc_call: the NULL-check id first, then acquire_reference's id replaces it
      r.id = r.refObjId = this.acquireReference(st, pc);
      st.cur.put(0, r);
    } else if (def.ret === 'kern_ctx') st.cur.put(0, this.btfPointer('xdp_buff', false));
    else if (def.ret === 'rdonly_cast') {
      // check_kfunc_call for bpf_rdonly_cast: the type id is of the kfunc's BTF (wxdp's: src/elf/core.ts)
      if (constArg === 0n) st.cur.put(0, this.untrustedMem());
      else {
        const name = constArg < 1n << 31n ? wxdpBtfTypeName(Number(constArg)) : undefined;
        if (name === undefined) this.reject(`Unknown type ID ${constArg} passed to kfunc bpf_rdonly_cast`, pc, undefined, 'EINVAL');
        st.cur.put(0, this.btfPointer(name, true));
      }
    } else if (def.resLock === 'lock') st.cur.put(0, Reg.known(0n)); // __mark_reg_const_zero: the lock is held
    else st.cur.put(0, def.ret === 'kptr_or_null' ? this.kptrOrNull(def.retStruct ?? '') : Reg.unknown());
    return pc + 1;
  }

  /** A kfunc of helpers/obj_kfuncs.ts: checked by local_obj.ts over this state. */
  private graphCall(st: State, def: KfuncDef, pc: number): number {
    const r0 = graphKfuncCall(
      {
        btf: this.opts.progBtf,
        reject: (r, e, d) => this.reject(r, pc, d, e),
        arg: (r) => this.readReg(st, r, pc),
        precise: (r) => this.precise(st, r),
        newId: () => ++this.idGen,
        acquire: () => this.acquireReference(st, pc),
        hasRef: (id) => st.refs.some((r) => r.id === id),
        release: (id) => {
          st.refs = st.refs.filter((r) => r.id !== id);
          st.forEachReg(
            (o) => Object.assign(o, Reg.unknown()),
            (o) => o.refObjId === id,
          );
        },
        toNonOwning: (id) => {
          st.refs = st.refs.filter((r) => r.id !== id);
          st.forEachReg(
            (o) => {
              o.nonOwning = true;
              o.refObjId = 0;
            },
            (o) => o.refObjId === id,
          );
        },
        lock: () => {
          const l = st.refs.find((r) => r.lock !== undefined);
          return l ? { map: l.lock!, id: l.id } : undefined;
        },
        pushLess: (subprog, node) => {
          // push_callback_call with set_rbtree_add_callback_state: less(a, b), both non-owning nodes
          this.pushCallback(st, pc, subprog, (_caller, callee) => {
            callee.put(1, node());
            callee.put(2, node());
          });
        },
        inRbtreeCb: () => {
          // in_rbtree_lock_required_cb: the current frame is bpf_rbtree_add's less()
          const cb = st.cur.callback;
          if (!cb || cb.async) return false;
          const ins = this.prog[cb.helperInsn];
          return ins !== undefined && ins.src === PseudoCall.KFUNC && kfuncById(ins.imm)?.graph === 'rbtree_add';
        },
      },
      def,
      pc,
      this.objNewSizes,
    );
    for (let r = 1; r <= 5; r++) st.cur.putShared(r, UNINIT);
    if (r0) st.cur.put(0, r0);
    else st.cur.putShared(0, UNINIT);
    return pc + 1;
  }

  /**
   * iter_get_spi for a `struct bpf_iter_<type> *` of `slots` slots: its first (lowest) slot, or why it is
   * none (stack_slot_obj_get_spi).
   */
  private iterSpi(reg: Reg, slots: number): number | string {
    if (!reg.varOff.isConst) return 'iter has to be at a constant offset';
    const off = reg.off + Number(BigInt.asIntN(64, reg.varOff.value));
    if (off % 8 !== 0 || off > -8 * slots || off < -MAX_BPF_STACK) return `cannot pass in iter at an offset=${off}`;
    return (off + MAX_BPF_STACK) >> 3;
  }

  /**
   * The first STACK_ITER slot of the iterator of `type` `reg` points to (is_iter_reg_valid_init: every slot
   * all STACK_ITER of that type, the first holding the reference, the others none), or undefined.
   */
  private iterAt(st: State, reg: Reg, type?: IterType): IterSlot | undefined {
    if (reg.type !== RegType.STACK) return undefined;
    const frame = st.frames[reg.frameno]!;
    const first = (() => {
      const spi = this.iterSpi(reg, 1);
      return typeof spi === 'number' ? frame.slot(spi)!.iter : undefined;
    })();
    const t = type ?? first?.type;
    if (!t) return undefined;
    const slots = ITER_SLOTS[t];
    const spi = this.iterSpi(reg, slots);
    if (typeof spi !== 'number') return undefined;
    for (let i = 0; i < slots; i++) {
      const slot = frame.slot(spi + i)!;
      if (!slot.iter || slot.iter.type !== t || (i === 0) !== !!slot.iter.ref || slot.bytes.some((b) => b !== Byte.ITER)) return undefined;
    }
    return frame.slot(spi)!.iter;
  }

  /**
   * process_iter_arg: _new's iterator must be uninitialised stack (no STACK_ITER byte in its slots); it is
   * written (check_mem_access, 8 bytes a slot) and becomes STACK_ITER, ACTIVE at depth 0, its first slot
   * holding a new reference (mark_stack_slots_iter). _next's and _destroy's must be one of the same type;
   * its slots are read, and _destroy releases the reference and leaves them invalid (unmark_stack_slots_iter).
   */
  private iterArg(st: State, reg: Reg, regno: number, op: 'new' | 'next' | 'destroy', type: IterType, pc: number): { frameno: number; spi: number } {
    if (reg.type !== RegType.STACK) this.reject(`arg#${regno - 1} expected pointer to an iterator on stack`, pc, undefined, 'EINVAL');
    const slots = ITER_SLOTS[type];
    const spi = this.iterSpi(reg, slots);
    if (typeof spi !== 'number') this.log(spi);
    const frame = st.frames[reg.frameno]!;
    if (op === 'new') {
      if (typeof spi !== 'number' || Array.from({ length: slots }, (_, i) => frame.slot(spi + i)!).some((sl) => sl.bytes.some((b) => b === Byte.ITER))) {
        this.reject(`expected uninitialized iter_${type} as arg #${regno - 1}`, pc, undefined, 'EINVAL');
      }
      for (let i = 0; i < slots; i++) this.memAccess(st, pc, regno, 8 * i, 8, 'write', Reg.unknown());
      const ref = this.acquireReference(st, pc);
      for (let i = 0; i < slots; i++) {
        frame.setSlot(spi + i, { bytes: ALL_BYTES[Byte.ITER]!, iter: { type, ref: i === 0 ? ref : 0, drained: false, depth: 0 } });
        this.slotWritten(frame.frameno, spi + i);
      }
      return { frameno: frame.frameno, spi };
    }
    const it = this.iterAt(st, reg, type);
    if (!it || typeof spi !== 'number') this.reject(`expected an initialized iter_${type} as arg #${regno - 1}`, pc, undefined, 'EINVAL');
    this.stackRead(st, reg.frameno, pc, spi, spi + slots - 1);
    if (op === 'destroy') {
      st.refs = st.refs.filter((r) => r.id !== it.ref);
      for (let i = 0; i < slots; i++) {
        frame.setSlot(spi + i, { bytes: [0, 0, 0, 0, 0, 0, 0, 0] });
        this.slotWritten(frame.frameno, spi + i);
      }
    }
    return { frameno: frame.frameno, spi };
  }

  /**
   * KF_ARG_PTR_TO_IRQ_FLAG (process_irq_flag): bpf_local_irq_save's flags must be uninitialised stack (no
   * STACK_IRQ_FLAG byte); it is written (8 bytes) and becomes STACK_IRQ_FLAG holding a new REF_TYPE_IRQ
   * reference, the active one. bpf_local_irq_restore's must be one, read, and the active one (the latest
   * saved: "cannot restore irq state out of order", EACCES); it is released, the slot left invalid.
   */
  private irqFlagArg(st: State, reg: Reg, regno: number, op: 'save' | 'restore', pc: number, lock: boolean): void {
    if (reg.type !== RegType.STACK) this.reject(`arg#${regno - 1} doesn't point to an irq flag on stack`, pc, undefined, 'EINVAL');
    let spi: number | string;
    if (!reg.varOff.isConst) spi = 'irq_flag has to be at a constant offset';
    else {
      const off = reg.off + Number(BigInt.asIntN(64, reg.varOff.value));
      spi = off % 8 !== 0 || off > -8 || off < -MAX_BPF_STACK ? `cannot pass in irq_flag at an offset=${off}` : (off + MAX_BPF_STACK) >> 3;
    }
    if (typeof spi !== 'number') this.log(spi);
    const frame = st.frames[reg.frameno]!;
    if (op === 'save') {
      if (typeof spi !== 'number' || frame.slot(spi)!.bytes.some((b) => b === Byte.IRQ)) this.reject(`expected uninitialized irq flag as arg#${regno - 1}`, pc, undefined, 'EINVAL');
      this.memAccess(st, pc, regno, 0, 8, 'write', Reg.unknown());
      const id = ++this.idGen;
      st.refs = [...st.refs, { id, insn: pc, irq: true }];
      frame.setSlot(spi, { bytes: ALL_BYTES[Byte.IRQ]!, irqRef: id, ...(lock ? { irqLock: true } : {}) });
      this.slotWritten(frame.frameno, spi);
      return;
    }
    const slot = typeof spi === 'number' ? frame.slot(spi)! : undefined;
    if (!slot || !slot.irqRef || slot.bytes.some((b) => b !== Byte.IRQ)) this.reject(`expected an initialized irq flag as arg#${regno - 1}`, pc, undefined, 'EINVAL');
    this.stackRead(st, reg.frameno, pc, spi as number, spi as number);
    // unmark_stack_slot_irq_flag: the flags restored by the kind of kfunc that saved them
    if (!!slot.irqLock !== lock) {
      const cls = (l: boolean): string => (l ? 'lock' : 'native');
      this.reject(`irq flag acquired by ${cls(!!slot.irqLock)} kfuncs cannot be restored with ${cls(lock)} kfuncs`, pc, undefined, 'EINVAL');
    }
    const irqs = st.refs.filter((r) => r.irq);
    const active = irqs[irqs.length - 1];
    if (!active || active.id !== slot.irqRef) {
      this.reject(`cannot restore irq state out of order, expected id=${active?.id ?? 0} acquired at insn_idx=${active?.insn ?? 0}`, pc, undefined, 'EACCES');
    }
    st.refs = st.refs.filter((r) => r !== active);
    frame.setSlot(spi as number, { bytes: [0, 0, 0, 0, 0, 0, 0, 0] });
    this.slotWritten(frame.frameno, spi as number);
  }

  /**
   * check_kfunc_call after the arguments: bpf_rcu_read_lock opens the RCU read section ("nested rcu read
   * lock" inside one), _unlock closes it ("unmatched" outside one); bpf_preempt_disable counts up,
   * _enable down ("unmatched attempt to enable preemption" at 0). All EINVAL.
   */
  private kfuncSection(st: State, def: KfuncDef, pc: number): void {
    switch (def.section) {
      case 'rcu_lock':
        if (st.rcuLock) this.reject(`nested rcu read lock (kernel function ${def.name})`, pc, undefined, 'EINVAL');
        st.rcuLock = true;
        break;
      case 'rcu_unlock':
        if (!st.rcuLock) this.reject(`unmatched rcu read unlock (kernel function ${def.name})`, pc, undefined, 'EINVAL');
        st.rcuLock = false;
        break;
      case 'preempt_disable':
        st.preemptLocks++;
        break;
      case 'preempt_enable':
        if (!st.preemptLocks) this.reject(`unmatched attempt to enable preemption (kernel function ${def.name})`, pc, undefined, 'EINVAL');
        st.preemptLocks--;
        break;
      default:
        break;
    }
  }

  /**
   * process_iter_next_call: an ACTIVE iterator forks — the next iteration (ACTIVE one depth deeper, r0 not
   * NULL, imprecise scalars widened against the loop's previous visit) is pushed; this path goes on with
   * the iterator DRAINED (depth unchanged) and r0 = 0, the loop's exit.
   */
  private iterNext(st: State, at: { frameno: number; spi: number }, pc: number): void {
    const frame = st.frames[at.frameno]!;
    const slot = frame.slot(at.spi)!;
    const it = slot.iter!;
    if (!it.drained) {
      const prev = st.cp ? this.findPrevEntry(st, st.cp.depth, pc) : undefined;
      const queued = st.clone();
      queued.frames[at.frameno]!.setSlot(at.spi, { ...slot, iter: { ...it, depth: it.depth + 1 } });
      if (prev) widenImpreciseScalars(prev.state, queued);
      const r0 = this.reg(queued, 0).clone();
      r0.maybeNull = false;
      queued.cur.put(0, r0);
      this.pushBranch(queued, pc + 1, pc);
    }
    frame.setSlot(at.spi, { ...slot, iter: { ...it, drained: true } });
    st.cur.put(0, Reg.known(0n));
  }

  /**
   * check_kfunc_args, first for each pointer argument of a KF_TRUSTED_ARGS or KF_RELEASE kfunc
   * (is_kfunc_trusted_args): NULL, or a pointer that may be NULL, is refused.
   */
  private trustedNotNull(def: KfuncDef, reg: Reg, k: number, pc: number): void {
    if (!def.trusted && !def.release) return;
    if (reg.maybeNull || (reg.isScalar && reg.varOff.isConst && reg.varOff.value === 0n)) this.reject(`Possibly NULL pointer passed to trusted arg${k}`, pc);
  }

  /**
   * bpf_dynptr_slice(_rdwr)'s r0: PTR_TO_MEM (| MEM_RDONLY) | PTR_MAYBE_NULL of the constant size, with
   * the dynptr's type flag: a slice of the packet dies when the packet moves.
   */
  private dynptrSlice(d: DynptrSlot, size: number, rdonly: boolean): Reg {
    const r = Reg.pointer(RegType.MEM);
    r.memSize = size;
    r.rdonly = rdonly;
    r.maybeNull = true;
    r.id = ++this.idGen;
    r.pktSlice = d.type === DynptrType.XDP || d.type === DynptrType.SKB;
    return r;
  }

  /**
   * KF_RET_NULL of a PTR_TO_BTF_ID (bpf_xdp_flow_lookup's struct flow_offload_tuple_rhash *): compared
   * with NULL, then read only, field by field as wxdp's BTF lays the struct out (btf_access.ts), as the
   * kernel reads PTR_TO_BTF_ID (BPF_PROBE_MEM loads after btf_struct_access).
   */
  private kptrOrNull(struct: string): Reg {
    const r = this.btfPointer(struct, false);
    r.maybeNull = true;
    r.id = ++this.idGen;
    return r;
  }

  /**
   * A PTR_TO_BTF_ID of WXDP_BTF's struct: trusted (bpf_cast_to_kern_ctx's) or PTR_UNTRUSTED (bpf_rdonly_cast's,
   * a pointer member read through one), read field by field (btfLoad); untrusted ones with probe loads.
   */
  private btfPointer(struct: string, untrusted: boolean): Reg {
    const r = Reg.pointer(RegType.MEM);
    r.rdonly = true;
    r.btf = struct;
    r.untrusted = untrusted;
    r.memSize = WXDP_BTF[struct]?.size ?? 0;
    return r;
  }

  /** rdonly_untrusted_mem(sz=0): a `void *` read from a struct, bpf_rdonly_cast to void; probe loads at any offset. */
  private untrustedMem(): Reg {
    const r = Reg.pointer(RegType.MEM);
    r.rdonly = true;
    r.untrusted = true;
    return r;
  }

  /**
   * bpf_loop as the kernel verifies it (push_callback_call): this path goes on after the call; one
   * more visit of the callback is scheduled while fewer than the loop count's upper bound are (the
   * count is precise: it decides that). The callback returns to this call, which runs again.
   */
  private loopCall(st: State, pc: number): number {
    // (st.cur.regs read where used: own() and put() may replace the array, and st.clone() shares it)
    const fn = st.cur.regs[2]!;
    // update_loop_inline_state: while the call stays fit for inlining (its flags a known 0, one
    // callback), loop_flag_is_zero makes r4 precise; then r1, the iteration count, is made precise.
    const flagZero = (): boolean => {
      const r4 = st.cur.regs[4]!;
      const zero = r4.isScalar && r4.varOff.isConst && r4.varOff.value === 0n;
      if (zero) this.precise(st, 4);
      return zero;
    };
    const inline = this.loopInline.get(pc);
    if (!inline) this.loopInline.set(pc, { fit: flagZero(), subprog: fn.subprog });
    else if (inline.fit) inline.fit = flagZero() && inline.subprog === fn.subprog;
    this.precise(st, 1);
    const count = st.cur.regs[1]!;
    const seen = this.loopCountMax.get(pc);
    this.loopCountMax.set(pc, !count.isScalar ? 1n << 64n : seen === undefined || count.umax > seen ? count.umax : seen);
    if (BigInt(st.cur.callbackDepth) < st.cur.regs[1]!.umax) {
      this.pushCallback(st, pc, fn.subprog, (caller, callee) => {
        // set_loop_callback_state: callback(index, ctx), ctx being bpf_loop's third argument
        callee.put(1, Reg.unknown());
        callee.put(2, caller.regs[3]!.clone());
      });
    } else {
      st.cur.callbackDepth = 0;
      if (this.logLevel >= 2) this.log(`frame${st.frames.length - 1} bpf_loop iteration limit reached`);
    }
    return this.callbackHelperReturns(st, pc);
  }

  /**
   * bpf_for_each_map_elem (push_callback_call with set_map_elem_callback_state): a visit of the
   * callback is scheduled at every visit of the call (no count: the walk converges by state pruning at
   * the call), callback(map, key, value, ctx) returning 0 or 1. Maps without map_for_each_callback are
   * refused there, -ENOTSUPP.
   */
  private forEachCall(st: State, pc: number, mapArg: Reg): number {
    const map = mapArg.map!;
    this.pushCallback(st, pc, st.cur.regs[2]!.subprog, (caller, callee) => {
      putMapElemArgs(callee, caller.regs[1]!.clone(), map);
      callee.put(4, caller.regs[3]!.clone());
    });
    return this.callbackHelperReturns(st, pc);
  }

  /**
   * bpf_timer_set_callback (push_callback_call's async case, push_async_cb): the callback is verified
   * from a fresh state of its own — frame 0, called from nowhere (BPF_MAIN_FUNC), with (map, key,
   * value) of the timer's map (set_timer_callback_state) — and must return 0.
   */
  private pushTimerCallback(st: State, pc: number, map: MapInfo): void {
    const subprog = st.cur.regs[2]!.subprog;
    const frame = new Frame(0, -1, subprog);
    frame.callback = { helperInsn: pc, retMin: 0n, retMax: 0n, async: true };
    const m = Reg.pointer(RegType.CONST_MAP);
    m.map = map;
    putMapElemArgs(frame, m, map);
    this.pending.push({ state: new State([frame]), insn: subprog, from: pc });
  }

  /**
   * push_callback_call: this path goes on after the call; a copy of it enters the callback (one frame
   * deeper, its arguments set by `args` from the caller's registers) and returns to the call.
   */
  private pushCallback(st: State, pc: number, subprog: number, args: (caller: Frame, callee: Frame) => void): void {
    const cb = st.clone();
    cb.cbUnroll++;
    cb.cur.callbackDepth++;
    const target = this.localCall(cb, subprog, pc, { helperInsn: pc, retMin: 0n, retMax: 1n });
    args(cb.frames[cb.frames.length - 2]!, cb.cur);
    this.pushBranch(cb, target, pc);
    st.cur.callbackDepth = 0;
  }

  /** After a callback-calling helper: r1-r5 clobbered, r0 the helper's integer. */
  private callbackHelperReturns(st: State, pc: number): number {
    for (let r = 0; r <= 5; r++) st.cur.putShared(r, UNINIT);
    st.cur.put(0, Reg.unknown());
    return pc + 1;
  }

  /**
   * get_constant_map_key: the key as a constant, from the bytes of its stack slot that it starts in:
   * zeros (at least key_size of them from the key on), or a spilled constant whose spill is exactly
   * key_size bytes from there. The value is the whole spilled register (a narrower spill keeps it all:
   * 0x100000002 spilled in four bytes is that, past any max_entries), made precise.
   */
  private constantMapKey(st: State, map: Reg, key: Reg): bigint | undefined {
    if (map.type !== RegType.CONST_MAP || !map.map) return undefined;
    if (map.map.type !== MapType.ARRAY && map.map.type !== MapType.PERCPU_ARRAY) return undefined;
    if (key.type !== RegType.STACK || !key.varOff.isConst) return undefined;
    const keySize = map.map.keySize;
    const off = Number(s64(key.varOff.value)) + key.off;
    if (off < -MAX_BPF_STACK || off >= 0) return undefined;
    const b = off + MAX_BPF_STACK;
    const slot = st.frames[key.frameno]!.slot(b >> 3)!;
    // counted from the key's first byte up to the slot's end (the kernel's slot_type[off] down to [0])
    const run = (t: Byte): number => {
      let n = 0;
      for (let i = b & 7; i < 8 && slot.bytes[i] === t; i++) n++;
      return n;
    };
    if (run(Byte.ZERO) >= keySize) return 0n;
    if (!slot.spill || slot.bytes[0] !== Byte.SPILL || !slot.spill.isScalar) return undefined;
    if (run(Byte.SPILL) !== keySize || !slot.spill.varOff.isConst) return undefined;
    this.preciseSlot(st, key.frameno, b >> 3);
    return slot.spill.varOff.value;
  }

  /** check_func_arg */
  private checkArg(
    st: State,
    pc: number,
    id: number,
    a: Arg,
    regno: number,
    reg: Reg,
    mapArg: Reg | undefined,
  ): void {
    const isNull = reg.isScalar && reg.varOff.isConst && reg.varOff.value === 0n;
    const expect = (types: RegType[], names: string[]): void => {
      // (PTR_UNTRUSTED is in none of the compatible types' flags)
      if (types.includes(reg.type) && !reg.maybeNull && !reg.untrusted) return;
      this.reject(`R${regno} type=${reg.typeName()} expected=${names.join(', ')}`, pc);
    };
    const memTypes = [RegType.STACK, RegType.PACKET, RegType.PACKET_META, RegType.MAP_KEY, RegType.MAP_VALUE, RegType.MEM];
    const memNames = ['fp', 'pkt', 'pkt_meta', 'map_key', 'map_value', 'mem', 'ringbuf_mem', 'buf', 'trusted_ptr_'];
    if (a === Arg.ANYTHING) return;
    if (reg.isPkt && !PKT_ACCESS.has(id)) this.reject('helper access to the packet is not allowed', pc);
    switch (a) {
      case Arg.CONST_MAP_PTR:
        if (id === 12 && (reg.type !== RegType.CONST_MAP || reg.map!.type !== MapType.PROG_ARRAY)) {
          this.reject('expected prog array map for tail call', pc, undefined, 'EINVAL');
        }
        expect([RegType.CONST_MAP], ['map_ptr']);
        // bpf_timer_init(timer, map): the map holding the timer, R1's (check_func_arg's meta->map_ptr and
        // map_uid, a local of the call): for an inner map, the one the same outer lookup found
        if (id === BPF_FUNC_TIMER_INIT) {
          const timer = st.cur.regs[1]!;
          if (timer.map !== reg.map || timer.mapUid !== reg.mapUid) {
            this.reject(`timer pointer in R1 map_uid=${timer.mapUid} doesn't match map pointer in R2 map_uid=${reg.mapUid}`, pc, undefined, 'EINVAL');
          }
        }
        return;
      case Arg.PTR_TO_TIMER: {
        // process_timer_func: a map value's bpf_timer at a constant offset, the one its BTF places
        expect([RegType.MAP_VALUE], ['map_value']);
        const m = reg.map!;
        if (!reg.varOff.isConst) this.reject(`R${regno} doesn't have constant offset. bpf_timer has to be at the constant offset`, pc, undefined, 'EINVAL');
        if (m.noBtf) this.reject(`map '${m.name}' has to have BTF in order to use bpf_timer`, pc, undefined, 'EINVAL');
        if (m.timerOff === undefined || m.timerOff < 0) this.reject(`map '${m.name}' has no valid bpf_timer`, pc, undefined, 'EINVAL');
        const off = Number(reg.varOff.value) + reg.off;
        if (off !== m.timerOff) this.reject(`off ${off} doesn't point to 'struct bpf_timer' that is at ${m.timerOff}`, pc, undefined, 'EINVAL');
        return;
      }
      case Arg.PTR_TO_CTX:
        expect([RegType.CTX], ['ctx']);
        // check_func_arg_reg_off's default: negative, fixed and variable offsets, in that order
        this.funcArgRegOff(reg, regno, false, pc);
        return;
      case Arg.PTR_TO_FUNC:
        expect([RegType.FUNC], ['func']);
        return;
      case Arg.PTR_TO_SPIN_LOCK: {
        // spin_lock_types: a map value or an allocated object (PTR_TO_BTF_ID | MEM_ALLOC exactly: not a
        // non-owning, RCU or per-CPU one); the object's fixed offset allowed, a variable one never
        // (check_func_arg_reg_off), then process_spin_lock on its struct's lock
        const local = this.localLockReg(reg);
        if (!local) expect([RegType.MAP_VALUE], ['map_value', 'ptr_']);
        else if (!reg.varOff.isConst || reg.varOff.value !== 0n) this.reject(`variable ptr_ access var_off=${reg.varOff.toString()} disallowed`, pc);
        processSpinLock(st, reg, regno, id === 93, pc, (r) => this.reject(r, pc, undefined, 'EINVAL'), false, false, local); // process_spin_lock: -EINVAL
        // invalidate_non_owning_refs: a collection's nodes are the program's only while the lock is held
        if (id === 94) st.forEachReg((o) => Object.assign(o, Reg.unknown()), (o) => o.nonOwning);
        return;
      }
      case Arg.PTR_TO_CONST_STR:
        expect([RegType.MAP_VALUE], ['map_value']);
        this.constStr(reg, regno, pc);
        return;
      case Arg.PTR_TO_STACK_OR_NULL:
        if (isNull) return;
        expect([RegType.STACK], ['fp']);
        return;
      case Arg.PTR_TO_DYNPTR:
      case Arg.PTR_TO_DYNPTR_UNINIT_LOCAL:
      case Arg.PTR_TO_DYNPTR_UNINIT_RINGBUF:
      case Arg.PTR_TO_DYNPTR_RELEASE_RINGBUF:
        // check_reg_type's dynptr_types; process_dynptr_func runs in helperCall.
        expect([RegType.STACK, RegType.CONST_DYNPTR], ['fp', 'dynptr_ptr']);
        return;
      case Arg.PTR_TO_MAP_KEY:
      case Arg.PTR_TO_MAP_VALUE:
      case Arg.PTR_TO_UNINIT_MAP_VALUE: {
        const mt = mapArg?.map!.type;
        if (a === Arg.PTR_TO_MAP_VALUE && (mt === MapType.SOCKMAP || mt === MapType.SOCKHASH)) {
          // resolve_map_arg_type: a sockmap's value is a socket (ARG_PTR_TO_BTF_ID_SOCK_COMMON).
          if (!isSockType(reg.type) || reg.maybeNull) {
            this.reject(`R${regno} type=${reg.typeName()} expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_`, pc);
          }
          return;
        }
        expect(memTypes.slice(0, 5), memNames);
        if (!mapArg) this.reject(`invalid map_ptr to access map->${a === Arg.PTR_TO_MAP_KEY ? 'key' : 'value'}`, pc);
        const m = mapArg.map!;
        const size = a === Arg.PTR_TO_MAP_KEY ? m.keySize : m.valueSize;
        this.helperMem(st, pc, regno, reg, size, a === Arg.PTR_TO_UNINIT_MAP_VALUE, false);
        return;
      }
      case Arg.PTR_TO_MEM:
      case Arg.PTR_TO_MEM_OR_NULL:
      case Arg.PTR_TO_UNINIT_MEM_OR_NULL:
      case Arg.PTR_TO_UNINIT_MEM:
        if ((a === Arg.PTR_TO_MEM_OR_NULL || a === Arg.PTR_TO_UNINIT_MEM_OR_NULL) && isNull) return;
        expect(memTypes, memNames);
        // check_reg_type: a BTF pointer found among mem_types for an argument without MEM_RDONLY
        if (reg.trustedBtf !== undefined && (a === Arg.PTR_TO_UNINIT_MEM || a === Arg.PTR_TO_UNINIT_MEM_OR_NULL)) this.reject(`${helperName(id)}() may write into memory pointed by R${regno} type=${reg.typeName()}`, pc);
        return; // the size argument checks the region
      case Arg.PTR_TO_FIXED_SIZE_MEM:
      case Arg.PTR_TO_FIXED_SIZE_MEM_WRITE_ALIGNED: {
        // check_func_arg's MEM_FIXED_SIZE: check_helper_mem_access of arg_size bytes, a read, or a write
        // with MEM_WRITE (what the stack held there becomes unknown); MEM_ALIGNED then asks
        // check_ptr_alignment, strict, for that size
        expect(memTypes, memNames);
        const size = PROTOS[id]!.argSizes![regno - 1]!;
        const write = a === Arg.PTR_TO_FIXED_SIZE_MEM_WRITE_ALIGNED;
        if (reg.trustedBtf !== undefined && write) this.reject(`${helperName(id)}() may write into memory pointed by R${regno} type=${reg.typeName()}`, pc);
        this.helperMem(st, pc, regno, reg, size, write, false);
        if (write) this.checkStrictAlignment(this.reg(st, regno), 0, size, pc);
        return;
      }
      case Arg.CONST_SIZE:
      case Arg.CONST_SIZE_OR_ZERO: {
        const zeroOk = a === Arg.CONST_SIZE_OR_ZERO;
        const mem = st.cur.regs[regno - 1]!;
        const memArg = PROTOS[id]!.args[regno - 2];
        if (!reg.isScalar) this.reject(`R${regno} type=${reg.typeName()} expected=scalar`, pc);
        this.precise(st, regno);
        if (reg.smin < 0n) this.reject(`R${regno} min value is negative, either use unsigned or 'var &= const'`, pc);
        if (reg.umin === 0n && !zeroOk) this.reject(`R${regno} invalid zero-sized read: u64=[${reg.umin},${reg.umax}]`, pc);
        if (reg.umax >= 1n << 29n) this.reject(`R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'`, pc);
        const memNull = mem.isScalar && mem.varOff.isConst && mem.varOff.value === 0n;
        const uninit = memArg === Arg.PTR_TO_UNINIT_MEM || memArg === Arg.PTR_TO_UNINIT_MEM_OR_NULL;
        if (memNull && (memArg === Arg.PTR_TO_MEM_OR_NULL || memArg === Arg.PTR_TO_UNINIT_MEM_OR_NULL)) {
          // check_func_arg skips the type check of a NULL for a maybe-NULL argument; check_mem_size_reg's
          // check_helper_mem_access then allows it only a zero size (its default case: "expected=fp")
          if (reg.umax !== 0n) this.reject(`R${regno - 1} type=scalar expected=fp`, pc);
          return;
        }
        this.helperMem(st, pc, regno - 1, mem, Number(reg.umax), uninit, zeroOk);
        return;
      }
      case Arg.CONST_ALLOC_SIZE_OR_ZERO:
        if (!reg.isScalar || !reg.varOff.isConst) this.reject(`R${regno} is not a known constant'`, pc);
        this.precise(st, regno);
        return;
      case Arg.PTR_TO_SOCKET_OR_NULL:
        if (isNull) return;
        if (reg.type !== RegType.SOCKET) this.reject(`R${regno} type=${reg.typeName()} expected=sock`, pc);
        return;
      case Arg.PTR_TO_SOCK_COMMON_OR_NULL:
        if (isNull) return;
        if (!isSockType(reg.type)) {
          this.reject(`R${regno} type=${reg.typeName()} expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_`, pc);
        }
        return;
      case Arg.PTR_TO_SOCK_COMMON:
        // check_reg_type: a NULL or a socket not yet NULL-checked is no sock_common (sock_or_null)
        if (!isSockType(reg.type) || reg.maybeNull) {
          this.reject(`R${regno} type=${reg.typeName()} expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_`, pc);
        }
        return;
      // check_func_arg's release check returns -EINVAL (6.18.44, probed: bpf_sk_release of sk_lookup's ctx->sk)
      case Arg.KPTR_XCHG_DEST: {
        // check_reg_type (kptr_xchg_dest_types), then process_kptr_func
        if (!(reg.type === RegType.MAP_VALUE && !reg.maybeNull) && !(reg.alloc && !reg.maybeNull && !reg.rcu && !reg.untrusted)) {
          this.reject(`R${regno} type=${reg.alloc ? `${reg.rcu ? 'rcu_' : ''}${reg.untrusted ? 'untrusted_' : ''}ptr_${reg.maybeNull ? 'or_null_' : ''}` : reg.typeName()} expected=map_value, ptr_`, pc);
        }
        if (reg.alloc) {
          // an allocated object's own kptr (process_kptr_func: reg_btf_record of the object's struct)
          const kptrs = this.opts.progBtf && !reg.percpu ? valueKptrs(this.opts.progBtf, reg.alloc) : [];
          if (kptrs.length === 0) this.reject(`R${regno} has no valid kptr`, pc, undefined, 'EINVAL');
          if (!reg.varOff.isConst) this.reject(`R${regno} doesn't have constant offset. kptr has to be at the constant offset`, pc, undefined, 'EINVAL');
          const off = reg.off + Number(reg.varOff.value);
          const k = kptrs.find((x) => x.off === off);
          if (!k) this.reject(`off=${off} doesn't point to kptr`, pc, undefined, 'EACCES');
          if (k.type === 'kptr_untrusted') this.reject(`off=${off} kptr isn't referenced kptr`, pc, undefined, 'EACCES');
          this.xchgField = k;
          // the call is lowered to the exchange that records the object's kptr (dropping the object drops its object)
          const id = KPTR_XCHG_OBJ + 1 + refcountOff(this.opts.progBtf!, k.structId);
          const was = this.objNewSizes.get(pc);
          if (was !== undefined && was !== id) throw new ProgramError('bpf_kptr_xchg: one call into two allocated structs\' kptrs of different types is not supported by wxdp', pc, 'PROG_UNSUPPORTED');
          this.objNewSizes.set(pc, id);
          return;
        }
        const m = reg.map!;
        if (m.noBtf) this.reject(`map '${m.name}' has to have BTF in order to use bpf_kptr_xchg`, pc, undefined, 'EINVAL');
        if (!reg.varOff.isConst) this.reject(`R${regno} doesn't have constant offset. kptr has to be at the constant offset`, pc, undefined, 'EINVAL');
        const kptrs = m.inner ? [] : mapValueKptrs(this.opts.progBtf, m);
        if (kptrs.length === 0) this.reject(`R${regno} has no valid kptr`, pc, undefined, 'EINVAL');
        const off = reg.off + Number(reg.varOff.value);
        const k = kptrs.find((x) => x.off === off);
        if (!k) this.reject(`off=${off} doesn't point to kptr`, pc, undefined, 'EACCES');
        if (k.type === 'kptr_untrusted') this.reject(`off=${off} kptr isn't referenced kptr`, pc, undefined, 'EACCES');
        this.xchgField = k;
        return;
      }
      case Arg.PTR_TO_PERCPU_BTF_ID: {
        // percpu_btf_ptr_types: MEM_PERCPU alone (a ksym), with MEM_RCU or PTR_TRUSTED; not an owning
        // reference (MEM_ALLOC), not maybe NULL
        const ok = reg.type === RegType.MEM && reg.percpu && reg.rcu && !reg.maybeNull;
        if (!ok) {
          const t = reg.type === RegType.MEM && reg.alloc ? `${reg.percpu ? 'percpu_' : ''}${reg.rcu ? 'rcu_' : ''}${reg.untrusted ? 'untrusted_' : ''}ptr_${reg.maybeNull ? 'or_null_' : ''}` : reg.typeName();
          this.reject(`R${regno} type=${t} expected=percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_`, pc);
        }
        this.percpuArg = reg;
        return;
      }
      case Arg.PTR_TO_KPTR_OBJ_OR_NULL_RELEASE: {
        if (!isNull) {
          // check_reg_type: the MEM_ALLOC flag dropped for bpf_kptr_xchg's source; PTR_MAYBE_NULL allowed
          if (!(reg.type === RegType.MEM && reg.alloc && !reg.untrusted)) {
            this.reject(`R${regno} type=${reg.typeName()} expected=ptr_, trusted_ptr_, rcu_ptr_`, pc);
          }
          // its switch on the whole type: MEM_ALLOC alone (a held object, at its NULL check's far side)
          // reaches map_kptr_match_type; with PTR_MAYBE_NULL or MEM_RCU no case (6.18.44: EFAULT)
          if (reg.maybeNull || reg.rcu) this.reject('verifier bug: invalid PTR_TO_BTF_ID register for type match', pc, undefined, 'EFAULT');
          this.kptrMatchType(this.xchgField!, reg, regno, pc);
        }
        if (!reg.refObjId && !isNull) this.reject(`R${regno} must be referenced when passed to release function`, pc, undefined, 'EINVAL');
        return;
      }
      case Arg.PTR_TO_SOCK_COMMON_RELEASE:
        if (!isSockType(reg.type) || reg.maybeNull) {
          this.reject(`R${regno} type=${reg.typeName()} expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_`, pc);
        }
        if (!reg.refObjId || !st.refs.some((r) => r.id === reg.refObjId)) {
          this.reject(`R${regno} must be referenced when passed to release function`, pc, undefined, 'EINVAL');
        }
        return;
      case Arg.PTR_TO_RINGBUF_MEM_RELEASE:
        if (reg.type !== RegType.MEM || !reg.ringbuf || reg.maybeNull) {
          this.reject(`R${regno} type=${reg.typeName()} expected=ringbuf_mem`, pc);
        }
        if (reg.off !== 0 || !reg.varOff.isConst || reg.varOff.value !== 0n) {
          this.reject(`R${regno} must have zero offset when passed to release func or trusted arg to kfunc`, pc, undefined, 'EINVAL');
        }
        if (!reg.refObjId || !st.refs.some((r) => r.id === reg.refObjId)) {
          this.reject(`R${regno} must be referenced when passed to release function`, pc, undefined, 'EINVAL');
        }
        return;
    }
  }

  /**
   * check_reg_const_str: a string in a frozen read-only array (bpf_map_is_rdonly) at a constant offset,
   * readable to the value's end (check_map_access) and NUL-terminated before it. (The kernel's first two
   * messages end in a stray quote.)
   */
  private constStr(reg: Reg, regno: number, pc: number): void {
    const m = reg.map!;
    if (!m.readonly || !m.frozen) this.reject(`R${regno} does not point to a readonly map'`, pc, undefined, 'EACCES');
    if (!reg.varOff.isConst) this.reject(`R${regno} is not a constant address'`, pc, undefined, 'EACCES');
    // map_direct_value_addr: the array's (hash and the others have none)
    if (m.type !== MapType.ARRAY) this.reject('no direct value access support for this map type', pc, undefined, 'EACCES');
    this.checkMemRegion(reg, regno, reg.off, m.valueSize - reg.off, m.valueSize, false, pc);
    const off = reg.off + Number(reg.varOff.value);
    // array_map_direct_value_addr: one entry only (-EOPNOTSUPP's kernel-internal ENOTSUPP), within the value
    if (m.maxEntries !== 1) this.reject('direct value access on string failed', pc, undefined, 'ENOTSUPP');
    if (off >= m.valueSize) this.reject('direct value access on string failed', pc, undefined, 'EINVAL');
    if (!m.frozenValue || m.frozenValue.subarray(off, m.valueSize).indexOf(0) < 0) this.reject('string is not zero-terminated', pc, undefined, 'EINVAL');
  }

  /**
   * check_bpf_snprintf_call: data_len a multiple of 8 (a bare -EINVAL), and the format (r3, a constant string
   * constStr proved) as bpf_bprintf_prepare takes it with that many arguments.
   */
  private snprintfFormat(st: State, pc: number): void {
    const len = st.cur.regs[5]!.varOff.value;
    if (len % 8n !== 0n) this.reject(`call bpf_snprintf#${BPF_FUNC_SNPRINTF}: data_len not a multiple of 8`, pc, undefined, 'EINVAL');
    const fmt = st.cur.regs[3]!;
    const off = fmt.off + Number(fmt.varOff.value);
    const bytes = fmt.map!.frozenValue!;
    const text = bytes.subarray(off, bytes.indexOf(0, off));
    if (bprintfPrepare(text, Number(len / 8n)).err < 0) this.reject('Invalid format string', pc, undefined, 'EINVAL');
  }

  /** check_helper_mem_access: `size` bytes at the pointer in `regno`. */
  private helperMem(st: State, pc: number, regno: number, reg: Reg, size: number, write: boolean, zeroOk: boolean): void {
    switch (reg.type) {
      case RegType.PACKET:
      case RegType.PACKET_META:
        this.checkPacket(reg, regno, reg.off, size, zeroOk, pc);
        return;
      case RegType.MAP_VALUE:
        if (write && reg.map!.readonly) this.reject(`write into map forbidden, value_size=${reg.map!.valueSize} off=${reg.off} size=${size}`, pc);
        if (!write && reg.map!.writeonly) this.reject(`read from map forbidden, value_size=${reg.map!.valueSize} off=${reg.off} size=${size}`, pc);
        this.checkMemRegion(reg, regno, reg.off, size, reg.map!.valueSize, zeroOk, pc);
        checkLockOverlap(reg, reg.off, size, (r) => this.reject(r, pc));
        // check_map_access for a helper too: a bpf_list_head is the list kfuncs' only (a helper writing it
        // would hand them any address as a node)
        if (this.opts.progBtf && !reg.map!.noBtf) {
          const g = graphRootOverlap(this.opts.progBtf, reg.map!, reg.smin + BigInt(reg.off), reg.umax + BigInt(reg.off + size));
          if (g) this.reject(g, pc);
          // (a kptr is bpf_kptr_xchg's only: a helper writing it would leak or forge a reference)
          const k = kptrOverlap(this.opts.progBtf, reg.map!, reg.smin + BigInt(reg.off), reg.umax + BigInt(reg.off + size));
          if (k) this.reject(`${kptrTypeName(k)} cannot be accessed indirectly by helper`, pc, undefined, 'EACCES');
        }
        return;
      case RegType.MAP_KEY:
        this.checkMemRegion(reg, regno, reg.off, size, reg.map!.keySize, zeroOk, pc);
        return;
      case RegType.MEM:
        this.checkMemRegion(reg, regno, reg.off, size, reg.memSize, zeroOk, pc);
        return;
      case RegType.STACK:
        // check_stack_range_initialized: a zero-sized access where none is allowed is refused first (the
        // key of a map whose key_size is 0: a bloom filter's, a queue's); one allowed must still start
        // within the stack (fp + 0 is refused as a read of size 0), and grows it (grow_stack_state)
        if (size === 0 && !zeroOk) this.reject('invalid zero-sized read', pc);
        this.stackHelperAccess(st, pc, reg, regno, size, write);
        return;
      default:
        this.reject(`R${regno} type=${reg.typeName()} expected=fp`, pc);
    }
  }

  // ---- precision (mark_chain_precision) ----

  /**
   * A use at the current instruction needs the exact value of scalar register `r`: say so backwards.
   * 6.18's __mark_chain_precision backtracks whatever the register's mark in the current state (it sets
   * none there: only checkpoints carry them), so a register marked here before is followed again — its
   * value may have come through a jump since (`if r0 s> r5` makes r0 as needed as r5).
   */
  private precise(st: State, r: number): void {
    const reg = st.cur.regs[r]!;
    if (!reg.isScalar) return;
    const bt = this.bt.reset(st.frames.length - 1);
    bt.regs[bt.frame] = 1 << r;
    this.backtrack(st, bt);
  }

  /** The spilled scalar at slot `spi` of frame `frameno` must stay exact (a constant map key). */
  private preciseSlot(st: State, frameno: number, spi: number): void {
    const bt = this.bt.reset(st.frames.length - 1);
    bt.setSlot(frameno, spi);
    this.backtrack(st, bt);
  }

  /** After pruning against `old`: what `old` relied on, the current path must keep exact too (propagate_precision). */
  private propagatePrecision(old: State, st: State, live: readonly number[], slots: StackLive): void {
    const bt = this.bt.reset(old.frames.length - 1);
    for (let f = 0; f <= bt.frame; f++) {
      const of = old.frames[f]!;
      const cf = st.frames[f]!;
      // The old state as clean_verifier_state leaves it for the comparison: its dead registers and
      // stack slots are gone, and only what it still holds is propagated.
      const regs = live[f] ?? 0x3ff;
      for (let i = 0; i < 10; i++) {
        const r = of.regs[i]!;
        if (regs & (1 << i) && r.precise && r.isScalar && cf.regs[i]!.isScalar) bt.regs[f] |= 1 << i;
      }
      if (!(of.spillLo | of.spillHi)) continue;
      for (const i of of.spillSlots(this.spillList)) {
        if (!(((i < 32 ? slots.lo[f]! >>> i : slots.hi[f]! >>> (i - 32)) & 1))) continue;
        const sp = of.slot(i)!.spill;
        if (sp && sp.isScalar && sp.precise) bt.setSlot(f, i);
      }
    }
    // (the pruned path itself ends here: only its checkpoints keep the marks)
    if (!bt.empty()) this.backtrack(st, bt, true);
  }

  /**
   * What backtracking follows, marked precise in state `s` (the path's own, or with `checkpoint` one of
   * its checkpoints, where a register or slot found precise already, or not a scalar, stops being
   * followed: its history was followed when that mark was made). False when `s` is in another frame.
   */
  private preciseSpill(slot: Slot): Slot {
    let p = this.preciseSpills.get(slot);
    if (p === undefined) this.preciseSpills.set(slot, (p = preciseSpill(slot)));
    return p;
  }

  private markBacktracked(s: State, checkpoint: boolean, bt: Backtrack): boolean {
    if (s.frames.length - 1 !== bt.frame) return false;
    for (let fr = bt.frame; fr >= 0; fr--) {
      const f = s.frames[fr]!;
      let m = bt.regs[fr]!;
      for (let r = 0; m; r++, m >>>= 1) {
        if (!(m & 1)) continue;
        const reg = f.regs[r]!;
        if (!reg.isScalar) {
          // Not a number there: whatever made it cannot matter to this value.
          if (checkpoint) bt.regs[fr]! &= ~(1 << r);
          continue;
        }
        if (reg.precise) {
          if (checkpoint) bt.regs[fr]! &= ~(1 << r);
        } else {
          f.setPrecise(r, true);
          if (checkpoint) this.newMarks++;
        }
      }
      for (let half = 0; half < 2; half++) {
        let sm = half ? bt.slotsHi[fr]! : bt.slotsLo[fr]!;
        for (let k = 0; sm; k++, sm >>>= 1) {
          if (!(sm & 1)) continue;
          const spi = half * 32 + k;
          const slot = f.slot(spi)!;
          if (!slot.spill?.isScalar) {
            if (checkpoint) bt.clearSlot(fr, spi);
            continue;
          }
          if (slot.spill.precise) {
            if (checkpoint) bt.clearSlot(fr, spi);
          } else {
            f.setSlot(spi, this.preciseSpill(slot));
            if (checkpoint) this.newMarks++;
          }
        }
      }
    }
    return true;
  }

  /**
   * Walk the path's history backwards from the current instruction, following how the registers and
   * stack slots in `bt` (per call frame) were computed, marking them precise in every checkpoint passed.
   * Calls and returns move between frames as the kernel's backtrack_insn does: a callee's r0 at its
   * exit is the caller's r0 after the call, the callee's r1-r5 at its entry are the caller's arguments.
   */
  private backtrack(st: State, bt: Backtrack, ending = false): void {
    // `ending`: st is a path pruned here, dropped once this returns; what it would be marked with
    // matters to no one (markBacktracked on st follows everything it is given: bt is unchanged).
    if (ending ? st.frames.length - 1 !== bt.frame : !this.markBacktracked(st, false, bt)) return this.markAllPrecise(st);
    const skipBits = this.btSkip;
    let hist = st.hist;
    let cp = st.cp;
    let subseq = this.curPc;
    // the current frame's followed registers (bt.regs[bt.frame]), read again after anything changes bt
    let regs = bt.regs[bt.frame]!;
    for (;;) {
      // Newest first, through the history's shared nodes (History.walkBack written out: this is hot):
      // stop at an instruction not followed (all precise) or when nothing is left to follow.
      let len = hist.items.length;
      for (let node: History | null = hist; node; len = node.prevLen, node = node.prev) {
        const items = node.items;
        const nodeLinked = node.linked;
        for (let k = len - 1; k >= 0; k--) {
          const h = items[k]!;
          const pc = h & HIST_PC_MASK;
          const linked = nodeLinked !== undefined ? nodeLinked.get(k) : undefined;
          if (linked !== undefined) {
            // backtrack_insn syncs a compare's linked registers before and after it
            bt.syncLinked(linked);
            if (!this.backtrackInsn(h, subseq, bt)) return this.markAllPrecise(st);
            bt.syncLinked(linked);
            if (bt.empty()) return;
            regs = bt.regs[bt.frame]!;
            subseq = pc;
            continue;
          }
          // Most instructions neither set nor read what is followed: passed by (backtrackInsn would
          // change nothing, and bt stays non-empty).
          // A store through a register not followed, to no fixed slot or to a fixed slot not followed
          // either, is passed by too (backtrackInsn returns true and changes nothing).
          const skip = skipBits[pc]!;
          if (skip >= 0) {
            if (!(regs & skip)) {
              subseq = pc;
              continue;
            }
          } else if (skip <= BT_SKIP_STORE && !(regs & (1 << (BT_SKIP_STORE - skip)))) {
            const stack = h >>> HIST_PC_BITS;
            if (stack === 0 || stack === STACK_INDIRECT || !bt.hasSlot((stack - 1) >> 6, (stack - 1) & 63)) {
              subseq = pc;
              continue;
            }
          }
          if (!this.backtrackInsn(h, subseq, bt)) return this.markAllPrecise(st);
          if (bt.empty()) return;
          regs = bt.regs[bt.frame]!;
          subseq = pc;
        }
      }
      // The path's first state passed with something still followed (a value made from the ctx pointer
      // by a byte swap, say): __mark_chain_precision's fallback after its loop marks every scalar precise
      // (old random program seed 283753: r1 = le16 r1 at insn 1, a later checkpoint's spilled constant
      // left imprecise let wxdp prune a path the kernel walks, 19 processed against 22).
      if (!cp) {
        if (!bt.empty()) this.markAllPrecise(st);
        return;
      }
      if (!this.markBacktracked(cp.state, true, bt)) return this.markAllPrecise(st);
      if (bt.empty()) return;
      regs = bt.regs[bt.frame]!;
      subseq = cp.insn;
      hist = cp.hist;
      cp = cp.parent;
    }
  }

  /**
   * backtrack_insn: `h` is a history entry, `subseq` the instruction executed after it. False when the
   * instruction is one this backtracker does not follow (the caller then marks every scalar precise).
   */
  private backtrackInsn(h: number, subseq: number, bt: Backtrack): boolean {
    const i = h & HIST_PC_MASK;
    const stack = h >>> HIST_PC_BITS;
    const ins = this.prog[i]!;
    const c = ins.code & 0x07;
    const op = ins.code & 0xf0;
    const x = (ins.code & 0x08) !== 0;
    const fr = bt.frame;
    const regs = bt.regs[fr]!;
    const dbit = 1 << ins.dst;
    const sbit = ins.src === 10 ? 0 : 1 << ins.src;
    switch (c) {
      case Class.ALU:
      case Class.ALU64:
        if (!(regs & dbit)) return true;
        if (op === 0xb0) {
          bt.regs[fr] = (regs & ~dbit) | (x ? sbit : 0);
        } else if (x && op !== 0x80 && op !== 0xd0) {
          bt.regs[fr] = regs | sbit;
        }
        return true;
      case Class.LDX:
        if (!(regs & dbit)) return true;
        bt.regs[fr] = regs & ~dbit;
        // A read at a variable offset gives no spilled value (an unknown, or a zero): nothing to follow.
        if (stack === STACK_INDIRECT) return true;
        if (stack) bt.setSlot((stack - 1) >> 6, (stack - 1) & 63);
        return true;
      case Class.ST:
      case Class.STX: {
        if ((ins.code & 0xe0) === Mode.ATOMIC && ins.imm & AtomicOp.FETCH) {
          // 6.18.44 backtracks an atomic fetch as a load (probed; the 6.18.35 source passes it as a
          // store): its destination, r0 for cmpxchg, is not followed past it, but the stack slot it
          // read is (`r3 = atomic64_fetch_add((u64 *)(r10 -8), r3)` then `if r3 > 100`: "regs= stack=-8";
          // wide random program seed 5498: the old r3 was made precise, a path the kernel prunes walked)
          const lbit = 1 << (ins.imm === AtomicOp.CMPXCHG ? 0 : ins.src);
          if (!(regs & lbit)) return true;
          bt.regs[fr] = regs & ~lbit;
          if (stack && stack !== STACK_INDIRECT) bt.setSlot((stack - 1) >> 6, (stack - 1) & 63);
          return true;
        }
        // An atomic is a store to backtrack_insn (BPF_STX): its history entry names a slot only where
        // its read found a spill there (see stackReadFixed), and then the slot is followed into its
        // source register, as a spill's; a fetch's destination is followed on past it as it was.
        // A store through a followed scalar is pointer arithmetic backtracking cannot follow
        // (backtrack_insn's -ENOTSUPP): every scalar is made precise instead.
        if (regs & dbit) return false;
        // A store at a variable offset spills nothing (its slots lose their spills): nothing to follow.
        if (stack === STACK_INDIRECT) return true;
        if (!stack) return true;
        const sf = (stack - 1) >> 6;
        const spi = (stack - 1) & 63;
        if (bt.hasSlot(sf, spi)) {
          bt.clearSlot(sf, spi);
          if (c === Class.STX) bt.regs[fr]! |= sbit;
        }
        return true;
      }
      case Class.LD:
        bt.regs[fr] = regs & ~dbit;
        return true;
      default: {
        if (op === JmpOp.JA) return true;
        if (op === JmpOp.EXIT) {
          if (fr + 1 >= MAX_CALL_FRAMES) return false;
          if (this.callbackCalls.has(subseq)) {
            // Backwards into a callback that returned to the call running it: the callback's r0 is
            // no value of the caller's. The caller's r1-r5 asked for (bpf_loop's count and flags)
            // stay asked for in its frame, to be followed from the call on: 6.18's log marks them
            // in the checkpoint at the callback's entry ("frame0: parent state regs=r1,r4").
            bt.regs[fr] = regs & ~1;
            bt.frame = fr + 1;
            bt.regs[fr + 1] = 0;
            bt.slotsLo[fr + 1] = 0;
            bt.slotsHi[fr + 1] = 0;
            return true;
          }
          // Backwards into the callee that returned here: only a subprogram's (not a callback's) r0
          // carries over; the caller's r1-r5 were clobbered by the call, its r6-r9 and stack stay put.
          const call = this.prog[subseq - 1];
          if (!call || !isLocalCall(call)) return false;
          if (regs & 0x3e) return false;
          if (fr + 1 >= MAX_CALL_FRAMES) return false;
          bt.regs[fr] = regs & ~1;
          bt.frame = fr + 1;
          bt.regs[fr + 1] = regs & 1;
          bt.slotsLo[fr + 1] = 0;
          bt.slotsHi[fr + 1] = 0;
          return true;
        }
        if (op === JmpOp.CALL) {
          if (isLocalCall(ins)) {
            const target = i + 1 + ins.imm;
            if (this.globals.has(target)) {
              // A global function is verified alone: it sets r0 and reads only its arguments' types.
              if (regs & 0x3e) return false;
              bt.regs[fr] = regs & ~1;
              return true;
            }
            if (subseq !== target || fr === 0) return false;
            // Backwards out of the callee into its caller: its r1-r5 were the caller's arguments; its
            // stack was new (a slot read before any write held nothing the caller computed).
            if (regs & ~0x3e) return false;
            bt.regs[fr] = 0;
            bt.slotsLo[fr] = 0;
            bt.slotsHi[fr] = 0;
            bt.frame = fr - 1;
            bt.regs[fr - 1]! |= regs;
            return true;
          }
          // A kfunc call sets r0 as a helper call does (backtrack_insn: only one with imm 0 is not followed).
          if (ins.src !== PseudoCall.HELPER && (ins.src !== PseudoCall.KFUNC || ins.imm === 0)) return false;
          if (this.callbackCalls.has(i) && subseq !== i + 1) {
            // Backwards out of a callback's entry into the call that scheduled it: only its r1-r5
            // (set by the call) may be asked for, and none of its stack.
            if (fr === 0 || regs & ~0x3e || bt.slotsLo[fr] || bt.slotsHi[fr]) return false;
            bt.regs[fr] = 0;
            bt.frame = fr - 1;
            return true;
          }
          bt.regs[fr] = regs & ~0x3f;
          return true;
        }
        // dreg <cond> sreg: both need precision before it, but for a side that was a stack pointer
        if (x && (regs & (dbit | sbit))) bt.regs[fr] = regs | (stack & HIST_DST_STACK ? 0 : dbit) | (stack & HIST_SRC_STACK ? 0 : sbit);
        return true;
      }
    }
  }

  /** The fallback: every scalar on the path and in its checkpoints is precise. */
  private markAllPrecise(st: State): void {
    const all = (s: State): void => {
      for (const f of s.frames) {
        for (let r = 0; r < f.regs.length; r++) {
          if (!f.regs[r]!.isScalar || f.regs[r]!.precise) continue;
          f.setPrecise(r, true);
          this.newMarks++;
        }
        for (let spi = 0; spi < STACK_SLOTS; spi++) {
          const slot = f.slot(spi)!;
          if (slot.spill?.isScalar && !slot.spill.precise) f.setSlot(spi, this.preciseSpill(slot));
        }
      }
    };
    all(st);
    for (let c = st.cp; c; c = c.parent) all(c.state);
  }

  // ---- after the walk ----

  /**
   * Each subprogram's stack depth as the kernel reports it (print_verification_stats' `stack depth`,
   * after the fixups), by entry slot: the walk's deepest access in whole 8-byte slots (grow_stack_state
   * records the stack it allocates: 4 bytes used is a depth of 8), plus the hidden slots the rewrites
   * add to a function that needs them — an inlined bpf_loop's three (optimize_bpf_loop: 3 × 8 bytes),
   * then may_goto's counter (do_misc_fixups: x86-64 has timed may_goto, bpf_jit_supports_timed_may_goto,
   * a count and a start time, 16 bytes; `may_goto +0` is removed as a nop before). Linux 6.18 on x86-64
   * reports xdp_may_goto's mg_calls as 16+16: its static function's loop has no stack of its own.
   * check_max_stack_depth ran before the rewrites: it saw the walk's depth alone.
   */
  private reportedStackDepth(): Map<number, number> {
    const entries = [...this.funcIndex.keys()].sort((a, b) => a - b);
    const subprogOf = (pc: number): number => entries.reduce((found, e) => (e <= pc ? e : found), 0);
    const loops = new Set([...this.loopInline].filter(([, s]) => s.fit).map(([pc]) => subprogOf(pc)));
    const mayGotos = new Set([...this.mayGotoWalked].filter((pc) => this.prog[pc]!.off !== 0).map(subprogOf));
    const out = new Map<number, number>();
    for (const e of entries) {
      let depth = Math.ceil((this.stackDepth.get(e) ?? 0) / 8) * 8;
      if (loops.has(e)) depth += 3 * 8;
      if (mayGotos.has(e)) depth += 16;
      out.set(e, depth);
    }
    return out;
  }

  /**
   * check_max_stack_depth over the static call graph: each frame rounded up to 32 bytes, at most 512
   * in all and 8 frames deep (recursion never ends), and a tail call only under ≤ 256 bytes of callers.
   */
  private checkMaxStackDepth(): void {
    const prog = this.prog;
    const starts = [...new Set([0, ...this.stackDepth.keys(), ...[...this.callees.values()].flatMap((x) => [...x])])];
    for (let i = 0; i < prog.length; i++) if (isLocalCall(prog[i]!)) starts.push(i + 1 + prog[i]!.imm);
    const entries = [...new Set(starts)].sort((a, b) => a - b);
    const end = (s: number): number => entries.find((e) => e > s) ?? prog.length;
    const calls = new Map<number, number[]>();
    const tail = new Set<number>();
    for (const s of entries) {
      const out: number[] = [];
      for (let i = s; i < end(s); i++) {
        const ins = prog[i]!;
        if (ins.isLdImm64Tail) continue;
        if (isLocalCall(ins)) out.push(i + 1 + ins.imm);
        else if (ins.code === (Class.JMP | JmpOp.CALL) && ins.src === PseudoCall.HELPER && ins.imm === 12) tail.add(s);
      }
      calls.set(s, out);
    }
    const frameSize = (s: number): number => Math.ceil(Math.max(this.stackDepth.get(s) ?? 0, 1) / 32) * 32;
    const walk = (s: number, depth: number, frame: number): void => {
      if (frame >= MAX_CALL_FRAMES) this.reject(`the call stack of ${frame} frames is too deep !`, -1, undefined, 'E2BIG');
      if (s !== 0 && tail.has(s) && depth >= 256) {
        this.reject(`tail_calls are not allowed when call stack of previous frames is ${depth} bytes. Too large`, -1);
      }
      const d = depth + frameSize(s);
      if (d > MAX_BPF_STACK) this.reject(`combined stack size of ${frame + 1} calls is ${d}. Too large`, -1);
      for (const t of calls.get(s) ?? []) walk(t, d, frame + 1);
    };
    walk(0, 0, 0);
  }

  /**
   * check_max_stack_depth_subprog's bpf_throw check: an exception cannot unwind through the helper that
   * calls a callback (bpf_loop, bpf_for_each_map_elem, a timer's), so a bpf_throw in a callback subprogram,
   * or in a subprogram a callback calls, is refused: 'bpf_throw kfunc (insn N) cannot be called from
   * callback subprog M' (EINVAL; 6.18.44 for a bpf_loop and a bpf_timer callback). The kernel walks each
   * async callback, then the main program, through calls and callback references; here every callback is
   * a root (the message names the throw and its subprogram whichever path reached it).
   */
  private checkThrowInCallback(): void {
    const prog = this.prog;
    const entries = [...this.funcIndex.keys()].sort((a, b) => a - b);
    const end = (s: number): number => entries.find((e) => e > s) ?? prog.length;
    const callbacks = new Set<number>();
    for (let i = 0; i < prog.length; i++) {
      const ins = prog[i]!;
      if (!ins.isLdImm64Tail && ins.code === OP_LDDW && ins.src === PseudoLd.FUNC) callbacks.add(i + 1 + ins.imm);
    }
    if (callbacks.size === 0) return;
    const done = new Set<string>();
    const walk = (s: number, inCb: boolean, frame: number): void => {
      const key = `${s}:${inCb}`;
      if (done.has(key) || frame >= MAX_CALL_FRAMES) return;
      done.add(key);
      const cb = inCb || callbacks.has(s);
      for (let i = s; i < end(s); i++) {
        const ins = prog[i]!;
        if (ins.isLdImm64Tail) continue;
        if (ins.code === (Class.JMP | JmpOp.CALL) && ins.src === PseudoCall.KFUNC && ins.off === 0 && kfuncById(ins.imm)?.throws) {
          if (cb) this.reject(`bpf_throw kfunc (insn ${i}) cannot be called from callback subprog ${this.funcIndex.get(s) ?? 0}`, -1, undefined, 'EINVAL');
          continue;
        }
        if (isLocalCall(ins)) walk(i + 1 + ins.imm, cb, frame + 1);
        else if (ins.code === OP_LDDW && ins.src === PseudoLd.FUNC) walk(i + 1 + ins.imm, true, frame + 1);
      }
    };
    for (const c of [...callbacks].sort((a, b) => b - a)) walk(c, true, 0);
  }
}

/**
 * A variable offset as the misaligned-access messages print it (Linux 6.18): a constant as the log's
 * unsigned numbers are (verbose_unum: decimal up to U16_MAX, else %#llx of its 64 bits — 40001,
 * 0x10000, -3 as 0xfffffffffffffffd), otherwise the tnum.
 */
function offText(t: Tnum): string {
  if (!t.isConst) return t.toString();
  const v = BigInt.asUintN(64, t.value);
  return v <= 0xffffn ? `${v}` : `0x${v.toString(16)}`;
}

/** A known zero scalar (the other side of a null check). */
function isZero(k: Reg): boolean {
  return k.isScalar && k.varOff.isConst && k.varOff.value === 0n;
}

/**
 * add_subprog_and_kfunc's add_kfunc_call, the first check of bpf_check (before the instructions' own
 * checks and the walk), kfunc call by kfunc call in program order: kfuncs need a GPL-compatible
 * license, the id must name a function, and the XDP metadata kfuncs a device-bound program
 * (bpf_dev_bound_kfunc_check) — each refused with -EINVAL and 0 insns processed. The first refusal.
 */
export function kfuncCallRefusal(prog: readonly Insn[], opts: Pick<VerifyOptions, 'gplCompatible' | 'devBound'>): { insn: number; reason: string } | undefined {
  for (let k = 0; k < prog.length; k++) {
    const ins = prog[k]!;
    if (ins.code !== (Class.JMP | JmpOp.CALL) || ins.src !== PseudoCall.KFUNC || ins.isLdImm64Tail) continue;
    if (opts.gplCompatible === false) return { insn: k, reason: 'cannot call kernel function from non-GPL compatible program' };
    const def = kfuncById(ins.imm);
    if (!def) return { insn: k, reason: `kernel btf_id ${ins.imm} is not a function` };
    if (def.devBound && !opts.devBound) return { insn: k, reason: 'metadata kfuncs require device-bound program' };
  }
  return undefined;
}

/** reg_is_pkt_pointer_any: a packet or metadata pointer, or the packet's end. */
function isPktAny(r: Reg): boolean {
  return r.type === RegType.PACKET || r.type === RegType.PACKET_META || r.type === RegType.PACKET_END;
}

/**
 * is_pkt_ptr_branch_taken: a packet pointer compared with the end is decided only when an earlier
 * compare left it marked past the end (BEYOND_PKT_END: `>` is taken, `<=` not) or at it (AT_PKT_END or
 * beyond: `>=` is taken, `<` not).
 */
function pktPtrBranchTaken(dst: Reg, src: Reg, cmp: Cmp): -1 | 0 | 1 {
  const [pkt, c] = src.type === RegType.PACKET_END ? [dst, cmp] : dst.type === RegType.PACKET_END ? [src, SWAP[cmp]] : [undefined, cmp];
  if (!pkt || pkt.range >= 0) return -1;
  if ((c === 'le' || c === 'gt') && pkt.range === BEYOND_PKT_END) return c === 'gt' ? 1 : 0;
  if (c === 'lt' || c === 'ge') return c === 'ge' ? 1 : 0;
  return -1;
}

/** `e` is the end of the packet (or metadata) `p` points into: pkt vs pkt_end, pkt_meta vs pkt. */
function isEndOf(p: Reg, e: Reg): boolean {
  return (
    (p.type === RegType.PACKET && e.type === RegType.PACKET_END) ||
    (p.type === RegType.PACKET_META && e.type === RegType.PACKET && e.off === 0 && e.varOff.isConst && e.varOff.value === 0n)
  );
}

/** type_is_sk_pointer. */
function isSockType(t: RegType): boolean {
  return t === RegType.SOCKET || t === RegType.SOCK_COMMON || t === RegType.XDP_SOCK;
}

/**
 * bpf_sock_is_valid_access (and bpf_sock_common_is_valid_access, which also refuses type, protocol,
 * mark and priority): struct bpf_sock is bound_dev_if 0, family 4, type 8, protocol 12, mark 16,
 * priority 20, src_ip4 24, src_ip6 28, src_port 44, dst_port 48 (be16 + 2 bytes of padding), dst_ip4 52,
 * dst_ip6 56, state 72, rx_queue_mapping 76.
 */
function bpfSockAccessOk(off: number, size: number, common: boolean): boolean {
  if (off < 0 || off >= BPF_SOCK_SIZE || off % size !== 0) return false;
  if (common && off >= 8 && off < 24) return false;
  const within = (start: number, len: number): boolean => off >= start && off < start + len;
  if (off === 72 || off === 4 || off === 8 || off === 12 || off === 44 || off === 76) return size <= 4;
  if (within(24, 20) || within(52, 20)) return size <= 4;
  if (within(48, 2)) return size <= (size === 4 ? 4 : 2);
  if (within(50, 2)) return false;
  return size === 4;
}

/**
 * A cheap hash that identical states share (the top frame's live registers: type, offset, known bits),
 * for the infinite-loop check; equal hashes are then compared exactly. No bound is read: a BigInt's
 * conversion to a number costs more than the rare exact comparison of states that differ only there,
 * and each tnum's hash is computed once (registers and their tnums are shared between states).
 */
function fingerprint(st: State, live: number): number {
  const f = st.cur;
  let h = st.frames.length;
  for (let r = 0; r < 10; r++) {
    if (!(live & (1 << r))) continue;
    const g = f.regs[r]!;
    h = Math.imul(h ^ g.type, 0x9e3779b1) ^ g.off;
    h = Math.imul(h ^ g.varOff.hash32(), 0x85ebca6b);
  }
  return h;
}

/**
 * backtrackSkipBits: always ask backtrackInsn; a store through rN (BT_SKIP_STORE - N), passed by unless
 * rN or the fixed stack slot it wrote is followed.
 */
const BT_SKIP_ALWAYS_CALL = -1;
const BT_SKIP_STORE = -16;

/**
 * For each instruction, the registers backtrackInsn reads when it is reached (the instruction is passed
 * by when none of them is followed), or BT_SKIP_ALWAYS_CALL / BT_SKIP_STORE - dst. Mirrors
 * backtrackInsn's early returns: an ALU op or a load whose destination is not followed, a jump that
 * compares with an immediate or registers not followed, `ja`, a non-atomic store through a register
 * not followed to no fixed slot or to one not followed (the walk tests the slot).
 */
function backtrackSkipBits(prog: readonly Insn[]): Int32Array {
  const out = new Int32Array(prog.length);
  for (let i = 0; i < prog.length; i++) {
    const ins = prog[i]!;
    const c = ins.code & 0x07;
    const op = ins.code & 0xf0;
    const x = (ins.code & 0x08) !== 0;
    const dbit = 1 << ins.dst;
    const sbit = ins.src === 10 ? 0 : 1 << ins.src;
    switch (c) {
      case Class.ALU:
      case Class.ALU64:
      case Class.LDX:
        out[i] = dbit;
        break;
      case Class.ST:
      case Class.STX:
        out[i] = (ins.code & 0xe0) === Mode.ATOMIC ? BT_SKIP_ALWAYS_CALL : BT_SKIP_STORE - ins.dst;
        break;
      case Class.LD:
        out[i] = BT_SKIP_ALWAYS_CALL;
        break;
      default:
        if (op === JmpOp.EXIT || op === JmpOp.CALL) out[i] = BT_SKIP_ALWAYS_CALL;
        else if (op === JmpOp.JA) out[i] = 0;
        else out[i] = x ? dbit | sbit : 0;
    }
  }
  return out;
}

/**
 * The kernel's backtrack_state: the registers (bit r) and stack slots (bit spi, in two 32-bit halves)
 * whose values backtracking still follows, per call frame, and the frame the walk is in.
 */
class Backtrack {
  readonly regs = [0, 0, 0, 0, 0, 0, 0, 0];
  readonly slotsLo = [0, 0, 0, 0, 0, 0, 0, 0];
  readonly slotsHi = [0, 0, 0, 0, 0, 0, 0, 0];
  constructor(public frame: number) {}

  /** Nothing followed, in frame `frame`. */
  reset(frame: number): this {
    this.frame = frame;
    for (let f = 0; f < 8; f++) this.regs[f] = this.slotsLo[f] = this.slotsHi[f] = 0;
    return this;
  }

  setSlot(fr: number, spi: number): void {
    if (spi < 32) this.slotsLo[fr]! |= 1 << spi;
    else this.slotsHi[fr]! |= 1 << (spi - 32);
  }

  clearSlot(fr: number, spi: number): void {
    if (spi < 32) this.slotsLo[fr]! &= ~(1 << spi);
    else this.slotsHi[fr]! &= ~(1 << (spi - 32));
  }

  hasSlot(fr: number, spi: number): boolean {
    return ((spi < 32 ? this.slotsLo[fr]! >>> spi : this.slotsHi[fr]! >>> (spi - 32)) & 1) !== 0;
  }

  empty(): boolean {
    for (let f = 0; f <= this.frame; f++) if (this.regs[f] || this.slotsLo[f] || this.slotsHi[f]) return false;
    return true;
  }

  /**
   * bt_sync_linked_regs: when one register or slot of a compare's linked set (its history entry's
   * linked_regs) is followed, all of them are — a bound learnt by one was learnt by all.
   */
  syncLinked(linked: readonly number[]): void {
    let some = false;
    for (const e of linked) {
      const fr = e >> 7;
      if (e & 64 ? this.regs[fr]! & (1 << (e & 63)) : this.hasSlot(fr, e & 63)) {
        some = true;
        break;
      }
    }
    if (!some) return;
    for (const e of linked) {
      const fr = e >> 7;
      if (e & 64) this.regs[fr]! |= 1 << (e & 63);
      else this.setSlot(fr, e & 63);
    }
  }
}

/** A copy of a slot whose spilled scalar is precise (slots and their spills are shared between states). */
function preciseSpill(slot: Slot): Slot {
  return { ...slot, spill: slot.spill!.precisionTwin() };
}

/** A slot's bytes all one kind, made once per kind (slots and their bytes are never changed in place). */
const ALL_BYTES: readonly (readonly Byte[])[] = [Byte.INVALID, Byte.MISC, Byte.ZERO, Byte.SPILL, Byte.DYNPTR, Byte.ITER, Byte.IRQ].map((b) => (b === Byte.SPILL ? ALL_SPILL : Object.freeze(new Array<Byte>(8).fill(b))));

/**
 * A slot's bytes as a new array to change: written out, because slice() and map() of the frozen shared
 * arrays (ALL_BYTES) take V8's slow path (~10x a plain copy; a stack store's main cost).
 */
function copyBytes(b: readonly Byte[]): Byte[] {
  return [b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!, b[6]!, b[7]!];
}

/** `bytes`, or the shared array with the same contents when all eight are one kind. */
function sharedBytes(bytes: Byte[]): readonly Byte[] {
  const b0 = bytes[0]!;
  for (let i = 1; i < 8; i++) if (bytes[i] !== b0) return bytes;
  return ALL_BYTES[b0] ?? bytes;
}

/**
 * A register a call clobbered (NOT_INIT) and a helper's unknown result: put in shared (Frame.putShared),
 * so a call allocates no register for them (never changed in place: own() copies a shared register).
 */
const UNINIT = new Reg();
const UNKNOWN = Reg.unknown();

/** What stackAccess returns for a write or a helper's access (its callers do not read it; frozen). */
const NO_VALUE: Reg = Object.freeze(Reg.unknown()) as Reg;

/** An unknown value of `size` bytes, zero-extended (a load's result): built once per size. */
const LOADED: Reg[] = [];
function loadedTemplate(size: number): Reg {
  const r = Reg.unknown();
  r.coerceToSize(size);
  return r;
}

function bswap(v: bigint, bits: number): bigint {
  let out = 0n;
  for (let i = 0; i < bits / 8; i++) out = (out << 8n) | ((v >> BigInt(i * 8)) & 0xffn);
  return out;
}

/**
 * compute_scc: Tarjan's strongly connected components of each function's control flow graph (a call
 * goes on at the next instruction), iteratively as the kernel walks it. A component gets a number
 * (from 1) when it has two or more instructions or one that jumps to itself; a call that runs a
 * callback (`callbackCalls`) counts as one that jumps to itself, since the callback returns to it and
 * it runs again: 6.18.44's live-registers listing numbers a lone `call bpf_loop` as a component.
 */
function computeScc(prog: readonly Insn[], callbackCalls: ReadonlySet<number>): Int32Array {
  const n = prog.length;
  const succ = successors(prog);
  const scc = new Int32Array(n);
  const pre = new Int32Array(n);
  const low = new Int32Array(n);
  const NOT_ON_STACK = 0x7fffffff;
  const stack: number[] = [];
  const dfs: number[] = [];
  let nextPre = 1;
  let nextScc = 1;
  for (let i = 0; i < n; i++) {
    if (pre[i] || prog[i]!.isLdImm64Tail) continue;
    dfs.push(i);
    while (dfs.length) {
      const w = dfs[dfs.length - 1]!;
      if (pre[w] === 0) {
        low[w] = pre[w] = nextPre++;
        stack.push(w);
      }
      let descended = false;
      for (const s of succ[w]!) {
        if (pre[s]) low[w] = Math.min(low[w]!, low[s]!);
        else {
          dfs.push(s);
          descended = true;
          break;
        }
      }
      if (descended) continue;
      // a vertex above on the stack is reachable from w: w stays on the stack
      if (low[w]! < pre[w]!) {
        dfs.pop();
        continue;
      }
      const assign = stack[stack.length - 1] !== w || succ[w]!.includes(w) || callbackCalls.has(w);
      let t: number;
      do {
        t = stack.pop()!;
        low[t] = NOT_ON_STACK;
        if (assign) scc[t] = nextScc;
      } while (t !== w);
      if (assign) nextScc++;
      dfs.pop();
    }
  }
  return scc;
}
