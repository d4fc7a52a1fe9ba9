// The single door to binaryen: eBPF subprograms → one WebAssembly module (interface in abi.ts).
//
// Each subprogram becomes a function whose locals are the eBPF registers:
//
//   local  0 … 4   5     6       7    8 … 11   12      13   14   15
//         +-------+-----+-------+----+--------+-------+----+----+----+
//         | r1–r5 | r10 | depth | r0 | r6–r9  | label | tA | tB | tO |     params 0–6, vars 7–15
//         +-------+-----+-------+----+--------+-------+----+----+----+
//          i64     i64   i32     i64  i64      i32     i64  i64  i64
//
// so r6–r9 are callee-saved for free and the caller's r1–r5 survive a call. A callee's r0 and r6–r9
// start at 0 (wasm zeroes locals; the verifier forbids reading them, the interpreter gives the same
// zeros). `label` is the Relooper's dispatch variable, tA holds an effective address, tB an atomic's
// old value, tO a region offset. The exported `run` is the entry subprogram again with r10 and depth
// as locals set to frame 0's constants: binaryen propagates them, so stack accesses of a run use
// constant addresses.
//
// Semantics follow RFC 9669 (ISA v4); each rule that WebAssembly does not give for free is spelled out
// where it is emitted (division by zero, INT_MIN / -1, movsx, byte swaps, atomics, bounds checks).

import type BinaryenNs from 'binaryen';
import { WxdpError } from '../errors.js';
import { isRbtreeAdd } from '../helpers/obj_kfuncs.js';
import {
  AluOp,
  AtomicOp,
  BPF_MAX_LOOPS,
  Class,
  CLASS_MASK,
  JmpOp,
  MAX_FRAMES,
  Mode,
  MODE_MASK,
  OP_LDDW,
  OP_MASK,
  OP_MAY_GOTO,
  PseudoCall,
  PseudoLd,
  sizeBytes,
  Source,
  SOURCE_MASK,
  STACK_SIZE,
} from '../isa/opcodes.js';
import { callTarget, writesRegister, type Insn } from '../isa/insn.js';
import { CTX, CTX_BASE, DESC, FRAGS_BASE, FRAME_SIZE, MAP_HDR, MAX_TAIL_CALL_CNT, NULL_GUARD_END, RING, RUN, RUN_BASE, STACK_BASE, STACK_TOP, XDP_ACTIONS, XDP_FRAME_STRUCT } from '../runtime/memory.js';
import {
  callbackExportName,
  callbackSlotGlobal,
  BURST_BODY,
  BURST_RECORD_SIZE,
  EXPORT_BURST,
  EXPORT_REPEAT,
  EXPORT_TAIL_ENTRY,
  HELPER_LOOP,
  CALLBACK_HELPERS,
  HELPER_MAP_LOOKUP,
  HELPER_MAP_UPDATE,
  HELPER_XDP_ADJUST_META,
  HELPER_GET_SMP_PROCESSOR_ID,
  HELPER_XDP_GET_BUFF_LEN,
  HELPER_XDP_LOAD_BYTES,
  HELPER_XDP_STORE_BYTES,
  HELPER_CSUM_DIFF,
  HELPER_REDIRECT,
  HELPER_FIB_LOOKUP,
  HELPER_TAIL_CALL,
  IMPORT_PROG_ARRAY_GET,
  IMPORT_TABLE,
  wasmHelperImportName,
  EXPORT_RUN,
  EXPORT_RUN_GUARDED,
  EXPORT_SET_REGION,
  EXPORT_SET_PACKET,
  helperImportName,
  IMPORT_BAD_CALLBACK,
  IMPORT_CALL_DEPTH,
  IMPORT_CALLX,
  IMPORT_FAULT,
  IMPORT_INSN_LIMIT,
  IMPORT_CHECK_HELPER,
  IMPORT_MEMORY,
  IMPORT_MODULE,
  JIT_REGION_SLOTS,
} from './abi.js';
import type { BasicBlock, ProgramLayout, Subprogram } from './cfg.js';
import { helperHasPointerArgs } from '../runtime/helper_args.js';
import { promotableSlots } from './stack_slots.js';
import { storeMerges, type MergedCopy, type StoreMerges } from './store_merge.js';
import { KnownZeros } from './known_zeros.js';
import { ctxFieldsFixed, ctxFramesUnread, ctxRegisters } from './ctx_fields.js';
import { blockEntries, LowHalves, type Fact } from './low_halves.js';
import { cutsIn, frameStores } from './store_cuts.js';
import { dynptrCallConstants, lowerDynptrCall, type DynptrLowering } from './inline_dynptr.js';
import { unrollPlans, type Unroll } from './unroll.js';
import { indexBranch } from './loop_index.js';
import { lowerVectorLoop, vectorLocals, vectorPlans, type VectorPlan } from './vectorize.js';
import { HELPER_PERF_EVENT_OUTPUT, HELPER_XDP_OUTPUT, lowerPerfOutput, type PerfLowering } from './inline_perf.js';
import { KFUNC_HELPER_BASE, kfuncByName, R0_LOW_BYTE_CALLS } from '../helpers/kfuncs.js';

/** bpf_throw as the engines call it (a helper id: src/control/kfunc_calls.ts). */
const HELPER_THROW = KFUNC_HELPER_BASE + kfuncByName('bpf_throw')!.btfId;

type Binaryen = typeof BinaryenNs;
type Module = BinaryenNs.Module;
type Expr = number;

let loading: Promise<Binaryen> | undefined;

/** binaryen.js is ESM with top-level await and takes ~1 s to load: load it once, on first use. */
export function loadBinaryen(): Promise<Binaryen> {
  loading ??= import('binaryen').then((m) => m.default);
  return loading;
}

/**
 * A module whose 32-bit loads are unsigned. binaryen.js makes every `i32.load` a signed load (the flag
 * means nothing for a full-width load until binaryen folds an extension into it), and binaryen 132's
 * optimizer turns `i64.extend_i32_u(i32.load)` — also once a local between them is gone — into
 * `i64.load32_s`: 0x80000001 read as -2147483647 (tests/jit/unsigned_loads). Every address and field
 * the JIT reads with i32.load is unsigned, so each is made so where it is made.
 */
export function jitModule(B: Binaryen): Module {
  const m = new B.Module();
  const signedLoad = m.i32.load.bind(m.i32);
  // binaryen.js's expression wrapper (not in its type declarations)
  const load = (B as unknown as { Load: { setSigned(expr: Expr, signed: boolean): void } }).Load;
  m.i32.load = (offset: number, align: number, ptr: Expr, name?: string): Expr => {
    const e = signedLoad(offset, align, ptr, name);
    load.setSigned(e, false);
    return e;
  };
  return m;
}

/** How much binaryen optimises after lowering. */
export type OptimizeMode =
  | 'none'
  /** The `inlining` pass plus a few cheap clean-ups (the default; measurements at LIGHT_PASSES). */
  | 'light'
  /** binaryen's default pipeline at -O2 / -O3. */
  | 'O2'
  | 'O3';

export interface EmitOptions {
  checked: boolean;
  optimize: OptimizeMode;
  memory: { initialPages: number; maximumPages: number; shared: boolean };
  /** Helper ids bound to wasm functions of the fast path (imported without the pc argument). */
  wasmHelpers: readonly number[];
  /** Lower bpf_tail_call through the fast path's table and prog_array_get (needs the fast path). */
  tailCalls: boolean;
  /**
   * Array maps whose lookups the JIT inlines (the kernel's map_gen_lookup), by map address: a map's
   * geometry is fixed once it exists, so `call bpf_map_lookup_elem` on a constant array map becomes a
   * bounds check and an add, and `bpf_map_update_elem` the checks and a copy of value_size bytes.
   */
  inlineArrays?: ReadonlyMap<number, InlineArray>;
  /** HASH / PERCPU_HASH maps whose lookups the JIT inlines (htab_map_gen_lookup), by map address. */
  inlineHashes?: ReadonlyMap<number, InlineHash>;
  /** LPM_TRIE maps of 4- or 16-byte addresses whose lookups the JIT inlines (trieLookup's walk), by map address. */
  inlineTries?: ReadonlyMap<number, InlineTrie>;
  /**
   * Where an ARRAY map's header keeps its element stride (assembly/maps/array.ts): set with the fast
   * path, it lets a verified program's lookups in maps known only at run time (inner maps of a
   * map-in-map) read an ARRAY inline from its header.
   */
  arrayStrideAt?: number;
  /**
   * Checked mode: how many backward jumps one run may take before it ends with RUN_INSN_LIMIT, so an
   * unverified program with an unbounded loop cannot hang the caller (0: no limit).
   */
  backEdgeBudget?: number;
  /** Also return the module as text (tests, debugging). */
  text?: boolean;
  /** Also emit xdp_burst, the poll loop's per-burst entry (see addBurst). */
  burst?: boolean;
  /** A worker's own stack, xdp_md and run state (src/control/workers.ts); default the main thread's fixed ones. */
  areas?: RunAreas;
  /** The fast path's answers by slot for bpf_fib_lookup (assembly/net/fib_helper.ts): its calls read them inline. */
  fibAnswers?: FibAnswers;
  /**
   * The verifier's bound on bpf_loop's count, by call instruction (VerifierFacts.loopCountMax): used by
   * unchecked code only, whose program the verifier accepted.
   */
  loopCountMax?: ReadonlyMap<number, number>;
  /** bpf_loop calls the kernel inlines (VerifierFacts.loopInlined): their -E2BIG is 32-bit. */
  loopInlined?: ReadonlySet<number>;
  /** Loads the kernel makes BPF_PROBE_MEM (VerifierFacts.probeLoads): any address, a fault reads 0. */
  probeLoads?: ReadonlySet<number>;
}

/**
 * Where the fast path keeps each warmed frame's answer to the common bpf_fib_lookup (assembly/net/
 * fib_helper.ts fibAnswersWalk; the offsets are its exports): the area's address, its header words,
 * the records and their fields.
 */
export interface FibAnswers {
  base: number;
  /** The poll's slot of each frame of the burst (napi.ts warmSlots: i8 by the frame's place, -1: none). */
  warmSlots: number;
  valid: number;
  slot: number;
  hits: number;
  recs: number;
  recSize: number;
  slots: number;
  dst: number;
  ifindex: number;
  tos: number;
  mtu: number;
  metric: number;
  oif: number;
  newDst: number;
  macs: number;
  /** The struct's bytes 0..7 asked (u64) and the mask of those the answer depends on (its bits 16..47: ipv4_src's). */
  key: number;
  keyMask: number;
  /** ipv4_src asked. */
  src: number;
}

/** Where a run's stack, context and run state are: constants in the code, so one module per worker. */
export interface RunAreas {
  stackBase: number;
  ctxBase: number;
  runBase: number;
}

/** The run areas `opts` names, the fixed ones by default (a worker's: src/control/workers.ts). */
function runAreas(opts: EmitOptions): { CTX_BASE: number; RUN_BASE: number; STACK_BASE: number; STACK_TOP: number } {
  const a = opts.areas;
  if (!a) return { CTX_BASE, RUN_BASE, STACK_BASE, STACK_TOP };
  return { CTX_BASE: a.ctxBase, RUN_BASE: a.runBase, STACK_BASE: a.stackBase, STACK_TOP: a.stackBase + STACK_SPAN };
}

export interface InlineArray {
  maxEntries: number;
  valueSize: number;
  /** Bytes per element (percpu: per CPU value; element i of CPU c at data + c × cpuStride + i × stride). */
  stride: number;
  data: number;
  /** percpu_array: bytes from one CPU's values to the next's, and the CPUs held (RUN_CPU beyond them reads CPU 0). */
  percpu?: { cpuStride: number; ncpus: number };
  /** A prog_array: u32 table indices, 0xffffffff in an empty slot (bpf_tail_call reads them inline). */
  progArray?: boolean;
  /** An array_of_maps: a lookup answers the slot's u32 inner map address (0: empty, NULL), not the slot. */
  ofMaps?: boolean;
  /** Values hold a bpf_spin_lock or a bpf_timer, whose bytes an update leaves alone: the helper updates. */
  specialFields?: boolean;
}

/**
 * A hash map's fixed geometry (assembly/maps/hash.ts): elements are `+0 u32 next | +4 u32 hash | key
 * at keyOff | value at valueOff`, bucket heads are u32s at data, `mask` = n_buckets - 1.
 */
export interface InlineHash {
  keySize: number;
  mask: number;
  data: number;
  keyOff: number;
  valueOff: number;
  /** Address of the map's hash seed (read at each lookup). */
  seedAt: number;
  /** percpu_hash: bytes from one CPU's region of values to the next's, and the CPUs held (RUN_CPU beyond them reads CPU 0). */
  percpu?: { cpuStride: number; ncpus: number };
  /** A hash_of_maps: a lookup answers the value's u32 inner map address, not the value. */
  ofMaps?: boolean;
  /** An lru_hash: a hit sets the byte at this offset of the element (htabLruLookup's ref). */
  lruRef?: number;
}

/**
 * An LPM trie's fixed geometry (assembly/maps/lpm_trie.ts): a node is `+0 u32 child[0] | +4 u32
 * child[1] | +nodeFlags u32 (1: intermediate) | +nodePrefixlen u32 | +nodeData data[dataSize] … value
 * at valueOff`; the root's address is read from rootAt at each lookup.
 */
export interface InlineTrie {
  dataSize: 4 | 16;
  rootAt: number;
  valueOff: number;
  nodeFlags: number;
  nodePrefixlen: number;
  nodeData: number;
}

/** The stores of a block over a key or value at r10 + at, oldest first. */
interface StackBytes {
  at: number;
  writes: StackWrite[];
}

/** A store of a block to r10 + off: `size` bytes of a register, or of an immediate (`bytes`). */
interface StackWrite {
  pc: number;
  off: number;
  size: number;
  reg?: number;
  bytes?: bigint;
}

export interface EmitResult {
  bytes: Uint8Array<ArrayBuffer>;
  text?: string;
}

// Measured on prime / a byte-sum loop / a call-heavy loop (see tests/jit/perf.test.ts): run time equal to
// -O3 (the call-heavy loop 45 ns vs 60 with `inlining` alone), at 1–3 ms per program instead of 4–10.
// The clean-up before `inlining` matters: the Relooper's output spends a local.set per eBPF instruction,
// so a 10-instruction subprogram (a bpf_loop callback, a rol32) measures over the always-inline size
// until simplify-locals has folded it (programs/xdp_nat 1.79 -> 0.78 x the kernel, xdp_calls 1.62 -> 1.06).
const LIGHT_PASSES = [
  'simplify-locals',
  'vacuum',
  'inlining',
  'precompute-propagate',
  'optimize-instructions',
  'simplify-locals',
  'vacuum',
  'merge-blocks',
  'remove-unused-brs',
  'simplify-locals',
  'vacuum',
];

// Local indices (see the diagram above). Registers are named by number (get(r), set(r, v)) and mapped
// to their local by `slot`; the temporaries are named by their local index.
const R0 = 0;
const R10 = 10;
const BPF_MAP_TYPE_ARRAY = 2;
const DEPTH = 6;
const LABEL = 12;
const REG_LOCAL = [7, 0, 1, 2, 3, 4, 8, 9, 10, 11, 5];
const slot = (r: number): number => (r <= R10 ? REG_LOCAL[r]! : r);
const TA = 13;
const TB = 14;
const TO = 15;
// i32 temporaries of inlined hash lookups: jhash's a, b, c, the hash, the element, the key's address.
const HA = 16;
const HB = 17;
const HC = 18;
const HH = 19;
const HE = 20;
const HK = 21;
/**
 * i64: this run's offset into the per-CPU maps' values, (RUN_CPU < ncpus ? RUN_CPU : 0) × the CPU stride,
 * set once at the function's entry when every inlined per-CPU access shares one shape (percpuPrologue).
 */
const CPUO = 22;
/** The first local of the stack slots kept in locals (stack_slots.ts), one i64 each. */
const SLOT0 = 23;

const STACK_SPAN = STACK_TOP - STACK_BASE;
const BUDGET = 'back_edge_budget';
const PACKET_R = 'packet_readable';
const PACKET_W = 'packet_writable';
/** At most this many specialised clones of subprograms per program (frame specialisation, below). */
const SPECIALISE_MAX = 32;
/** Region slots checked inline (the rest out of line): callers put the busiest regions first. */
const INLINE_SLOTS = 2;

const fail = (pc: number, msg: string): WxdpError => new WxdpError('JIT_COMPILE', `insn ${pc}: ${msg}`);

/** The value a `mov dst, imm` (64 or 32 bits) leaves in dst, or undefined for any other instruction. */
function movImm(ins: Insn): number | undefined {
  if (ins.code === (Class.ALU64 | AluOp.MOV | Source.K)) return ins.imm;
  if (ins.code === (Class.ALU | AluOp.MOV | Source.K)) return ins.imm >>> 0;
  return undefined;
}

function withInlineLimits(B: Binaryen, f: () => void): void {
  const always = B.getAlwaysInlineMaxSize();
  const flexible = B.getFlexibleInlineMaxSize();
  B.setAlwaysInlineMaxSize(40);
  B.setFlexibleInlineMaxSize(200);
  try {
    f();
  } finally {
    B.setAlwaysInlineMaxSize(always);
    B.setFlexibleInlineMaxSize(flexible);
  }
}

export async function emitModule(prog: readonly Insn[], layout: ProgramLayout, opts: EmitOptions): Promise<EmitResult> {
  const B = await loadBinaryen();
  const m = jitModule(B);
  try {
    return build(B, m, prog, layout, opts);
  } finally {
    m.dispose();
  }
}

function build(B: Binaryen, m: Module, prog: readonly Insn[], layout: ProgramLayout, opts: EmitOptions): EmitResult {
  // (shadows the module's constants: everything below addresses this run's areas)
  const { CTX_BASE, RUN_BASE, STACK_BASE, STACK_TOP } = runAreas(opts);
  const { shared } = opts.memory;
  let features = B.Features.MutableGlobals | B.Features.SignExt;
  if (shared) features |= B.Features.Atomics;
  // Checked mode's guarded entry catches a fault (try / catch_all, the EH proposal V8 ships)
  if (opts.checked) features |= B.Features.ExceptionHandling;
  m.setFeatures(features);
  m.setMemory(opts.memory.initialPages, opts.memory.maximumPages, null, [], shared, false, IMPORT_MEMORY);
  m.addMemoryImport(IMPORT_MEMORY, IMPORT_MODULE, IMPORT_MEMORY, shared);

  const i32 = B.i32;
  const i64 = B.i64;
  const none = B.none;
  const params = (n: number, t: number): number => B.createType(new Array<number>(n).fill(t));
  const subParams = B.createType([...new Array<number>(6).fill(i64), i32]);

  // ---- imports ----
  if (opts.checked) {
    m.addFunctionImport(IMPORT_FAULT, IMPORT_MODULE, IMPORT_FAULT, B.createType([i32, i64, i32, i32]), none);
  }
  const checkedHelpers = opts.checked ? layout.helperIds.filter(helperHasPointerArgs) : [];
  if (checkedHelpers.length > 0) {
    m.addFunctionImport(IMPORT_CHECK_HELPER, IMPORT_MODULE, IMPORT_CHECK_HELPER, B.createType([i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32]), none);
  }
  const checkedLoop = opts.checked && CALLBACK_HELPERS.some((id) => layout.helperIds.includes(id));
  if (checkedLoop) m.addFunctionImport(IMPORT_BAD_CALLBACK, IMPORT_MODULE, IMPORT_BAD_CALLBACK, B.createType([i32, i64]), none);
  if (layout.usesLocalCalls || layout.callbacks.length > 0) {
    m.addFunctionImport(IMPORT_CALL_DEPTH, IMPORT_MODULE, IMPORT_CALL_DEPTH, i32, none);
  }
  const helperArgs = B.createType([i64, i64, i64, i64, i64, i32]);
  const wasmHelpers = new Set(opts.wasmHelpers);
  const tailCalls = opts.tailCalls && layout.helperIds.includes(HELPER_TAIL_CALL);
  const tailEntryType = B.createType([i64, i64, i32]);
  // bpf_throw (BPF exceptions, default callback) is lowered here, not called: the throwing frame stores
  // the cookie and RUN.THROWN = 1 and returns the cookie; each call site that may see a throw come back
  // (a bpf-to-bpf call; a callback helper and the inlined bpf_loop, for unverified programs: the verifier
  // refuses a throw in a callback, as the kernel does) returns the stored cookie at once while
  // RUN.THROWN is set, so the whole program returns it, as the kernel's unwinding to the main frame does.
  // A tail call's target that throws returns its cookie through the tail call and clears the flag (its
  // tail_entry): made from a subprogram, the tail call returns the cookie to that subprogram's caller,
  // which goes on, as the kernel's unwinding stops at the tail-called program's frame. No
  // JavaScript exception: the program runs inside the fast path's burst (a device, a devmap or cpumap
  // entry, a worker). Every entry into a module that reads the flag clears it (no entry happens while
  // a throw unwinds, and a throw outside a run, in a timer's callback, leaves it set).
  const throwsHere = layout.helperIds.includes(HELPER_THROW);
  // (only a module with a bpf_throw reads the flag: a tail call never comes back with it set)
  const unwinds = throwsHere;
  const thrownAt = RUN_BASE + RUN.THROWN;
  const cookieAt = RUN_BASE + RUN.THROW_COOKIE;
  for (const id of layout.helperIds) {
    if (id === HELPER_TAIL_CALL && tailCalls) continue;
    if (id === HELPER_THROW) continue;
    if (wasmHelpers.has(id)) {
      m.addFunctionImport(wasmHelperImportName(id), IMPORT_MODULE, wasmHelperImportName(id), params(5, i64), i64);
    } else {
      const name = helperImportName(id);
      m.addFunctionImport(name, IMPORT_MODULE, name, helperArgs, i64);
    }
  }
  if (tailCalls) {
    m.addTableImport(IMPORT_TABLE, IMPORT_MODULE, IMPORT_TABLE);
    m.addFunctionImport(IMPORT_PROG_ARRAY_GET, IMPORT_MODULE, IMPORT_PROG_ARRAY_GET, B.createType([i32, i32]), i32);
  }
  if (opts.checked && (opts.backEdgeBudget ?? 0) > 0) {
    m.addGlobal(BUDGET, i64, true, m.i64.const(0n));
    m.addFunctionImport(IMPORT_INSN_LIMIT, IMPORT_MODULE, IMPORT_INSN_LIMIT, i32, none);
  }
  for (const cb of layout.callbacks) {
    m.addGlobal(callbackSlotGlobal(cb), i32, true, m.i32.const(0));
    m.addGlobalExport(callbackSlotGlobal(cb), callbackSlotGlobal(cb));
  }
  if (layout.usesCallx) {
    m.addFunctionImport(IMPORT_CALLX, IMPORT_MODULE, IMPORT_CALLX, B.createType([i64, i64, i64, i64, i64, i64, i32]), i64);
  }

  // ---- small expression helpers ----
  const get = (r: number): Expr => m.local.get(slot(r), i64);
  const set = (r: number, v: Expr): Expr => m.local.set(slot(r), v);
  const k64 = (v: number | bigint): Expr => m.i64.const(BigInt.asIntN(64, BigInt(v)));
  const k32 = (v: number): Expr => m.i32.const(v | 0);
  const lo32 = (r: number): Expr => m.i32.wrap(get(r));
  const zext = (v: Expr): Expr => m.i64.extend_u(v);
  const block = (stmts: Expr[]): Expr => (stmts.length === 0 ? m.nop() : stmts.length === 1 ? stmts[0]! : m.block(null, stmts));
  /** After a call a throw may come back through: while RUN.THROWN is set, return the cookie. */
  const unwound = (): Expr[] => (unwinds ? [m.if(m.i32.load(0, 4, m.i32.const(thrownAt)), m.return(m.i64.load(0, 8, m.i32.const(cookieAt))))] : []);
  const clearThrown = (): Expr[] => (unwinds ? [m.i32.store(0, 4, m.i32.const(thrownAt), m.i32.const(0))] : []);

  const bswap32 = (w: () => Expr): Expr =>
    // bytes b3 b2 b1 b0: (b3 0 b1 0) rotl 8 = (0 b1 0 b3); (0 b2 0 b0) rotr 8 = (b0 0 b2 0); or = b0 b1 b2 b3
    m.i32.or(m.i32.rotl(m.i32.and(w(), k32(0xff00ff00)), k32(8)), m.i32.rotr(m.i32.and(w(), k32(0x00ff00ff)), k32(8)));

  // ---- checked mode: region globals, set_region, and the out-of-line slot check ----
  const lo = (k: number): string => `region${k}_start`;
  const rlen = (k: number): string => `region${k}_len`;
  const wlen = (k: number): string => `region${k}_wlen`;
  if (opts.checked) {
    for (let k = 0; k < JIT_REGION_SLOTS; k++) {
      m.addGlobal(lo(k), i64, true, k64(0));
      m.addGlobal(rlen(k), i64, true, k64(0));
      m.addGlobal(wlen(k), i64, true, k64(0));
    }
    // set_region(slot, start, len, writable): start and len are unsigned 32-bit.
    const setters: Expr[] = [];
    for (let k = 0; k < JIT_REGION_SLOTS; k++) {
      setters.push(
        m.if(
          m.i32.eq(m.local.get(0, i32), k32(k)),
          m.block(null, [
            m.global.set(lo(k), zext(m.local.get(1, i32))),
            m.global.set(rlen(k), zext(m.local.get(2, i32))),
            m.global.set(wlen(k), m.select(m.local.get(3, i32), zext(m.local.get(2, i32)), k64(0))),
          ]),
        ),
      );
    }
    m.addFunction(EXPORT_SET_REGION, params(4, i32), none, [], m.block(null, setters));
    m.addFunctionExport(EXPORT_SET_REGION, EXPORT_SET_REGION);
    // set_packet(readable, writable): the packet region, [data_meta, data_end) read from the ctx at each access.
    m.addGlobal(PACKET_R, i32, true, k32(0));
    m.addGlobal(PACKET_W, i32, true, k32(0));
    m.addFunction(EXPORT_SET_PACKET, params(2, i32), none, [], m.block(null, [
      m.global.set(PACKET_R, m.local.get(0, i32)),
      m.global.set(PACKET_W, m.i32.and(m.local.get(0, i32), m.local.get(1, i32))),
    ]));
    m.addFunctionExport(EXPORT_SET_PACKET, EXPORT_SET_PACKET);

    // check_slow(addr i64, size i32, write i32, pc i32): slots 2.. (the stack, slots 0 and 1 are inline).
    const body: Expr[] = [];
    for (let k = INLINE_SLOTS; k < JIT_REGION_SLOTS; k++) {
      const len = (): Expr => m.select(m.local.get(2, i32), m.global.get(wlen(k), i64), m.global.get(rlen(k), i64));
      body.push(
        m.if(
          m.i32.and(
            m.i64.lt_u(m.local.tee(4, m.i64.sub(m.local.get(0, i64), m.global.get(lo(k), i64)), i64), len()),
            m.i64.le_u(m.i64.add(m.local.get(4, i64), zext(m.local.get(1, i32))), len()),
          ),
          m.return(),
        ),
      );
    }
    // The frame's fragments, [FRAGS_BASE, + frags_len): a dynptr slice points into them in place
    // (bpf_xdp_pointer), and they are the packet's bytes, readable and writable as its linear part is.
    const fragsLen = (): Expr => zext(m.i32.load(0, 4, k32(CTX_BASE + CTX.FRAGS_LEN)));
    body.push(
      m.if(
        m.i32.and(
          m.global.get(PACKET_R, i32),
          m.i32.and(
            m.i32.or(m.i32.eqz(m.local.get(2, i32)), m.global.get(PACKET_W, i32)),
            m.i32.and(
              m.i64.lt_u(m.local.tee(4, m.i64.sub(m.local.get(0, i64), k64(FRAGS_BASE)), i64), fragsLen()),
              m.i64.le_u(m.i64.add(m.local.get(4, i64), zext(m.local.get(1, i32))), fragsLen()),
            ),
          ),
        ),
        m.return(),
      ),
    );
    body.push(
      m.call(IMPORT_FAULT, [m.local.get(3, i32), m.local.get(0, i64), m.local.get(1, i32), m.local.get(2, i32)], none),
      m.unreachable(),
    );
    m.addFunction('check_slow', B.createType([i64, i32, i32, i32]), none, [i64], m.block(null, body));
  }

  /**
   * [addr, addr + size) must lie in the stack or one region slot (writable slots for writes). The
   * offset from a slot's start is compared unsigned against its length, so addresses below the start,
   * huge or "negative" addresses all fail; `off < len` first keeps `off + size` from wrapping.
   */
  const checkAccess = (size: number, write: boolean, pc: number): Expr => {
    const stackOk = m.i64.le_u(m.i64.sub(get(TA), k64(STACK_BASE)), k64(STACK_SPAN - size));
    const slotOk = (k: number): Expr => {
      const len = (): Expr => m.global.get(write ? wlen(k) : rlen(k), i64);
      return m.i32.and(
        m.i64.lt_u(m.local.tee(TO, m.i64.sub(get(TA), m.global.get(lo(k), i64)), i64), len()),
        m.i64.le_u(m.i64.add(get(TO), k64(size)), len()),
      );
    };
    // The packet: data_meta and data_end as they are now (adjust_head/meta/tail move them).
    const ctxField = (f: number): Expr => m.i32.load(0, 4, k32(CTX_BASE + f));
    const packetLen = (): Expr => zext(m.i32.sub(ctxField(CTX.DATA_END), ctxField(CTX.DATA_META)));
    const packetOk = m.i32.and(
      m.global.get(write ? PACKET_W : PACKET_R, i32),
      m.i32.and(
        m.i64.lt_u(m.local.tee(TO, m.i64.sub(get(TA), zext(ctxField(CTX.DATA_META))), i64), packetLen()),
        m.i64.le_u(m.i64.add(get(TO), k64(size)), packetLen()),
      ),
    );
    // The inline tests, then one branch (measured: ~20% faster than testing them one after the other).
    const slow = m.call('check_slow', [get(TA), k32(size), k32(write ? 1 : 0), k32(pc)], none);
    return m.if(m.i32.eqz(m.i32.or(m.i32.or(stackOk, packetOk), m.i32.or(slotOk(0), slotOk(1)))), slow);
  };

  /**
   * The effective address reg + off. Returns the statements to run first and a factory for the wasm
   * pointer and memarg offset (a factory: binaryen expressions are tree nodes and may not be shared).
   * `viaLowHalf`: the pointer may be built from the registers base came from (loads and stores, whose
   * factory runs before they write a register; an atomic's may run after it wrote src).
   */
  const address = (
    base: number,
    off: number,
    size: number,
    write: boolean,
    pc: number,
    viaLowHalf = false,
  ): { pre: Expr[]; ptr: () => Expr; offset: number } => {
    // r10-relative accesses inside the current frame need no check when nothing writes r10 (cfg.ts).
    const inFrame = base === R10 && layout.framePointerFixed && off >= -STACK_SIZE && off + size <= 0;
    if (opts.checked && !inFrame) {
      const pre = [set(TA, off === 0 ? get(base) : m.i64.add(get(base), k64(off))), checkAccess(size, write, pc)];
      return { pre, ptr: () => m.i32.wrap(get(TA)), offset: 0 };
    }
    // Unchecked: wasm memargs are unsigned, so a negative offset needs an explicit add.
    const low = (): Expr => (viaLowHalf ? lowHalf(base) : lo32(base));
    if (off >= 0) return { pre: [], ptr: low, offset: off };
    return { pre: [], ptr: () => m.i32.add(low(), k32(off)), offset: 0 };
  };

  // Low halves known in the block being lowered (low_halves.ts), stepped past each instruction from
  // what the block starts with (per subprogram, shared by its clones).
  const lowHalves = new LowHalves();
  // Known zero bits in the block being lowered (known_zeros.ts), from nothing at its start.
  const knownZeros = new KnownZeros();
  const lowHalvesAt = new Map<number, Map<number, ReadonlyMap<number, Fact>>>();
  /**
   * The low half of r as i32 arithmetic on the registers it came from: equal to wrap(r), and what V8
   * knows to be zero-extended (a 32-bit add), where wrap(r) of an i64 add costs a movl at each access.
   */
  const lowHalf = (r: number): Expr => {
    const f = lowHalves.of(r);
    if (!f) return lo32(r);
    if (f.kind === 'zext') return lo32(f.a);
    let e = lo32(f.a);
    if (f.b !== undefined) e = m.i32.add(e, lo32(f.b));
    return f.k === 0 ? e : m.i32.add(e, k32(f.k));
  };

  // ---- instruction lowering ----
  const alu = (ins: Insn, pc: number): Expr => {
    const is64 = (ins.code & CLASS_MASK) === Class.ALU64;
    const x = (ins.code & SOURCE_MASK) === Source.X;
    const op = ins.code & OP_MASK;
    const d = ins.dst;
    const s = ins.src;
    const signed = ins.off === 1;

    if (is64) {
      const a = (): Expr => get(d);
      // K operands are the immediate sign-extended to 64 bits.
      const b = (): Expr => (x ? get(s) : k64(ins.imm));
      const put = (v: Expr): Expr => set(d, v);
      switch (op) {
        case AluOp.ADD:
          return put(m.i64.add(a(), b()));
        case AluOp.SUB:
          return put(m.i64.sub(a(), b()));
        case AluOp.MUL:
          return put(m.i64.mul(a(), b()));
        case AluOp.OR:
          // no bit set in both (known_zeros.ts): an add, which V8 can fold with a shift into a leaq
          if (x && knownZeros.disjoint(d, s)) return put(m.i64.add(a(), b()));
          return put(m.i64.or(a(), b()));
        case AluOp.AND:
          return put(m.i64.and(a(), b()));
        case AluOp.XOR:
          return put(m.i64.xor(a(), b()));
        case AluOp.LSH: // wasm masks the count with 63, as eBPF does
          return put(m.i64.shl(a(), b()));
        case AluOp.RSH:
          return put(m.i64.shr_u(a(), b()));
        case AluOp.ARSH:
          return put(m.i64.shr_s(a(), b()));
        case AluOp.NEG:
          return put(m.i64.sub(k64(0), a()));
        case AluOp.MOV:
          if (!x) return put(k64(ins.imm));
          if (ins.off === 8) return put(m.i64.extend8_s(get(s)));
          if (ins.off === 16) return put(m.i64.extend16_s(get(s)));
          if (ins.off === 32) return put(m.i64.extend32_s(get(s)));
          return put(get(s));
        case AluOp.DIV:
        case AluOp.MOD:
          return put(divmod64(op === AluOp.DIV, signed, d, x ? s : undefined, ins.imm));
        case AluOp.END: // ALU64 | END is bswap16/32/64 whatever the host order
          return put(bswap(d, ins.imm, pc));
        default:
          throw fail(pc, `unknown ALU64 opcode 0x${ins.code.toString(16)}`);
      }
    }

    // ALU32: operate on the low 32 bits, zero-extend the result into the register.
    const a = (): Expr => lo32(d);
    const b = (): Expr => (x ? lo32(s) : k32(ins.imm));
    const put = (v: Expr): Expr => set(d, zext(v));
    switch (op) {
      case AluOp.ADD:
        return put(m.i32.add(a(), b()));
      case AluOp.SUB:
        return put(m.i32.sub(a(), b()));
      case AluOp.MUL:
        return put(m.i32.mul(a(), b()));
      case AluOp.OR:
        return put(m.i32.or(a(), b()));
      case AluOp.AND:
        return put(m.i32.and(a(), b()));
      case AluOp.XOR:
        return put(m.i32.xor(a(), b()));
      case AluOp.LSH: // wasm masks the count with 31, as eBPF does
        return put(m.i32.shl(a(), b()));
      case AluOp.RSH:
        return put(m.i32.shr_u(a(), b()));
      case AluOp.ARSH:
        return put(m.i32.shr_s(a(), b()));
      case AluOp.NEG:
        return put(m.i32.sub(k32(0), a()));
      case AluOp.MOV:
        if (!x) return set(d, k64(ins.imm >>> 0));
        // movsx into 32 bits, then the usual zero extension
        if (ins.off === 8) return put(m.i32.extend8_s(lo32(s)));
        if (ins.off === 16) return put(m.i32.extend16_s(lo32(s)));
        return put(lo32(s));
      case AluOp.DIV:
      case AluOp.MOD:
        return put(divmod32(op === AluOp.DIV, signed, d, x ? s : undefined, ins.imm));
      case AluOp.END:
        if (!x) {
          // to little-endian on a little-endian host: only the truncation to the width remains
          if (ins.imm === 16) return set(d, m.i64.and(get(d), k64(0xffff)));
          if (ins.imm === 32) return set(d, zext(lo32(d)));
          if (ins.imm === 64) return m.nop();
          throw fail(pc, `invalid byte swap width ${ins.imm}`);
        }
        return set(d, bswap(d, ins.imm, pc)); // to big-endian: a swap
      default:
        throw fail(pc, `unknown ALU opcode 0x${ins.code.toString(16)}`);
    }
  };

  /** The low `bits` of register d, byte-swapped and zero-extended. */
  const bswap = (d: number, bits: number, pc: number): Expr => {
    if (bits === 16) {
      const w = (): Expr => lo32(d);
      return zext(m.i32.or(m.i32.and(m.i32.shl(w(), k32(8)), k32(0xff00)), m.i32.and(m.i32.shr_u(w(), k32(8)), k32(0xff))));
    }
    if (bits === 32) return zext(bswap32(() => lo32(d)));
    if (bits === 64) {
      const low = bswap32(() => lo32(d));
      const high = bswap32(() => m.i32.wrap(m.i64.shr_u(get(d), k64(32))));
      return m.i64.or(m.i64.shl(zext(low), k64(32)), zext(high));
    }
    throw fail(pc, `invalid byte swap width ${bits}`);
  };

  /**
   * 64-bit division and modulo, RFC 9669 §4.1: x / 0 = 0, x % 0 = x; signed (off 1) INT_MIN / -1 =
   * INT_MIN (wasm's div_s traps there, so -1 divides by negation) and INT_MIN % -1 = 0 (wasm's rem_s
   * already gives 0). Unsigned division by a register takes a 32-bit divide when both operands fit in
   * 32 bits: a 64-bit divide costs several times more on x86.
   */
  const divmod64 = (isDiv: boolean, signed: boolean, d: number, s: number | undefined, imm: number): Expr => {
    const a = (): Expr => get(d);
    if (s === undefined) {
      if (imm === 0) return isDiv ? k64(0) : a();
      if (signed && imm === -1) return isDiv ? m.i64.sub(k64(0), a()) : k64(0);
      const b = k64(imm);
      if (signed) return isDiv ? m.i64.div_s(a(), b) : m.i64.rem_s(a(), b);
      return isDiv ? m.i64.div_u(a(), b) : m.i64.rem_u(a(), b);
    }
    const b = (): Expr => get(s);
    const byZero = isDiv ? k64(0) : a();
    if (signed) {
      const q = isDiv ? m.if(m.i64.eq(b(), k64(-1)), m.i64.sub(k64(0), a()), m.i64.div_s(a(), b())) : m.i64.rem_s(a(), b());
      return m.if(m.i64.eqz(b()), byZero, q);
    }
    const narrow = zext(isDiv ? m.i32.div_u(lo32(d), lo32(s)) : m.i32.rem_u(lo32(d), lo32(s)));
    const wide = isDiv ? m.i64.div_u(a(), b()) : m.i64.rem_u(a(), b());
    const fits32 = m.i64.eqz(m.i64.shr_u(m.i64.or(a(), b()), k64(32)));
    return m.if(m.i64.eqz(b()), byZero, m.if(fits32, narrow, wide));
  };

  /** 32-bit division and modulo on the low halves; same rules, result zero-extended by the caller. */
  const divmod32 = (isDiv: boolean, signed: boolean, d: number, s: number | undefined, imm: number): Expr => {
    const a = (): Expr => lo32(d);
    if (s === undefined) {
      if (imm === 0) return isDiv ? k32(0) : a();
      if (signed && imm === -1) return isDiv ? m.i32.sub(k32(0), a()) : k32(0);
      const b = k32(imm);
      if (signed) return isDiv ? m.i32.div_s(a(), b) : m.i32.rem_s(a(), b);
      return isDiv ? m.i32.div_u(a(), b) : m.i32.rem_u(a(), b);
    }
    const b = (): Expr => lo32(s);
    const byZero = isDiv ? k32(0) : a();
    let q: Expr;
    if (signed) q = isDiv ? m.if(m.i32.eq(b(), k32(-1)), m.i32.sub(k32(0), a()), m.i32.div_s(a(), b())) : m.i32.rem_s(a(), b());
    else q = isDiv ? m.i32.div_u(a(), b()) : m.i32.rem_u(a(), b());
    return m.if(m.i32.eqz(b()), byZero, q);
  };

  const condition = (ins: Insn, pc: number): Expr => {
    if (ins.code === OP_MAY_GOTO) {
      // may_goto: do_misc_fixups' `AX = *(fp - depth - 8); if AX == 0 goto +off; AX -= 1; *(fp - ...) = AX`
      // on a counter that each subprogram's prologue sets to BPF_MAX_LOOPS; here a local of the function
      // (wasm locals start at 0 on every call, as the prologue's store does) counting fall-throughs up
      const n = (): Expr => m.local.get(mayGotoLocal, i32);
      return m.if(m.i32.eq(n(), k32(BPF_MAX_LOOPS)), k32(1), m.block(null, [m.local.set(mayGotoLocal, m.i32.add(n(), k32(1))), k32(0)], i32));
    }
    checkRegs(ins, pc);
    const is32 = (ins.code & CLASS_MASK) === Class.JMP32;
    const x = (ins.code & SOURCE_MASK) === Source.X;
    const op = ins.code & OP_MASK;
    const T = is32 ? m.i32 : m.i64;
    const a = is32 ? lo32(ins.dst) : get(ins.dst);
    const b = x ? (is32 ? lo32(ins.src) : get(ins.src)) : is32 ? k32(ins.imm) : k64(ins.imm);
    switch (op) {
      case JmpOp.JEQ:
        return T.eq(a, b);
      case JmpOp.JNE:
        return T.ne(a, b);
      case JmpOp.JGT:
        return T.gt_u(a, b);
      case JmpOp.JGE:
        return T.ge_u(a, b);
      case JmpOp.JLT:
        return T.lt_u(a, b);
      case JmpOp.JLE:
        return T.le_u(a, b);
      case JmpOp.JSGT:
        return T.gt_s(a, b);
      case JmpOp.JSGE:
        return T.ge_s(a, b);
      case JmpOp.JSLT:
        return T.lt_s(a, b);
      case JmpOp.JSLE:
        return T.le_s(a, b);
      case JmpOp.JSET:
        return is32 ? m.i32.ne(m.i32.and(a, b), k32(0)) : m.i64.ne(m.i64.and(a, b), k64(0));
      default:
        throw fail(pc, `unknown jump opcode 0x${ins.code.toString(16)}`);
    }
  };

  const load = (ins: Insn, pc: number): Expr[] => {
    const size = sizeBytes(ins.code);
    const sx = (ins.code & MODE_MASK) === Mode.MEMSX;
    if ((ins.code & MODE_MASK) !== Mode.MEM && !sx) throw fail(pc, `unknown load opcode 0x${ins.code.toString(16)}`);
    const inLocal = ins.src === R10 && size === 8 ? slotLocals?.get(ins.off) : undefined;
    if (inLocal !== undefined) return [set(ins.dst, m.local.get(inLocal, i64))];
    if (ctxHeld && size === 4 && !sx && ((ctxHeld.get(pc) ?? 0) >> ins.src) & 1) {
      const k = ins.off === CTX.DATA ? 0 : ins.off === CTX.DATA_END ? 1 : ins.off === CTX.DATA_META ? 2 : -1;
      if (k >= 0) return [set(ins.dst, m.local.get(ctxLocal0 + k, i64))];
    }
    if (opts.probeLoads?.has(pc)) return probeLoad(ins, size, sx);
    const { pre, ptr, offset } = address(ins.src, ins.off, size, false, pc, true);
    let v: Expr;
    switch (size) {
      case 1:
        v = sx ? m.i64.load8_s(offset, 1, ptr()) : m.i64.load8_u(offset, 1, ptr());
        break;
      case 2:
        v = sx ? m.i64.load16_s(offset, 2, ptr()) : m.i64.load16_u(offset, 2, ptr());
        break;
      case 4:
        v = sx ? m.i64.load32_s(offset, 4, ptr()) : m.i64.load32_u(offset, 4, ptr());
        break;
      default:
        v = m.i64.load(offset, 8, ptr());
    }
    return [...pre, set(ins.dst, v)];
  };

  /**
   * A BPF_PROBE_MEM load (untrusted memory): the kernel's exception table turns a fault into a 0 in
   * the destination (and its JIT reads 0 for a user address without trying). Here any 64-bit address
   * past the null guard is read if the linear memory holds all its bytes, else the destination is 0
   * (no region check: the kernel's probe read sees all of kernel memory).
   */
  const probeLoad = (ins: Insn, size: number, sx: boolean): Expr[] => {
    const ptr = (): Expr => m.i32.wrap(get(TA));
    const v =
      size === 1 ? (sx ? m.i64.load8_s(0, 1, ptr()) : m.i64.load8_u(0, 1, ptr()))
      : size === 2 ? (sx ? m.i64.load16_s(0, 1, ptr()) : m.i64.load16_u(0, 1, ptr()))
      : size === 4 ? (sx ? m.i64.load32_s(0, 1, ptr()) : m.i64.load32_u(0, 1, ptr()))
      : m.i64.load(0, 1, ptr());
    const memBytes = m.i64.shl(m.i64.extend_u(m.memory.size(IMPORT_MEMORY)), k64(16));
    return [
      set(TA, ins.off === 0 ? get(ins.src) : m.i64.add(get(ins.src), k64(ins.off))),
      // NULL_GUARD_END <= TA <= memBytes - size, as one unsigned compare
      set(ins.dst, m.if(m.i64.le_u(m.i64.sub(get(TA), k64(NULL_GUARD_END)), m.i64.sub(memBytes, k64(NULL_GUARD_END + size))), v, k64(0))),
    ];
  };

  const storeOf = (size: number, offset: number, ptr: Expr, v: Expr): Expr => {
    switch (size) {
      case 1:
        return m.i64.store8(offset, 1, ptr, v);
      case 2:
        return m.i64.store16(offset, 2, ptr, v);
      case 4:
        return m.i64.store32(offset, 4, ptr, v);
      default:
        return m.i64.store(offset, 8, ptr, v);
    }
  };

  const store = (ins: Insn, pc: number): Expr[] => {
    const size = sizeBytes(ins.code);
    const isSt = (ins.code & CLASS_MASK) === Class.ST;
    const inLocal = ins.dst === R10 && size === 8 ? slotLocals?.get(ins.off) : undefined;
    const sh = shadowAt.get(pc);
    const shadow = sh !== undefined && !isSt ? [m.local.set(shadowBase + sh, get(ins.src))] : [];
    if (inLocal !== undefined) return [...shadow, m.local.set(inLocal, isSt ? k64(ins.imm) : get(ins.src))];
    const { pre, ptr, offset } = address(ins.dst, ins.off, size, true, pc, true);
    return [...shadow, ...pre, storeOf(size, offset, ptr(), isSt ? k64(ins.imm) : get(ins.src))];
  };

  /**
   * STX | ATOMIC, 32 or 64 bits. On an unshared memory nothing else runs during the program, so a
   * plain load and store is atomic; a shared memory uses the wasm threads instructions. 32-bit
   * variants zero-extend the old value they hand back.
   */
  const atomic = (ins: Insn, pc: number): Expr[] => {
    const size = sizeBytes(ins.code);
    if (size !== 4 && size !== 8) throw fail(pc, `atomic operation of ${size} bytes`);
    const aop = ins.imm;
    const fetch = (aop & AtomicOp.FETCH) !== 0;
    const base = aop & ~AtomicOp.FETCH;
    const known =
      aop === AtomicOp.XCHG ||
      aop === AtomicOp.CMPXCHG ||
      base === AtomicOp.ADD ||
      base === AtomicOp.OR ||
      base === AtomicOp.AND ||
      base === AtomicOp.XOR;
    if (!known) throw fail(pc, `unknown atomic operation 0x${(aop >>> 0).toString(16)}`);
    const { pre, ptr, offset } = address(ins.dst, ins.off, size, true, pc);
    const src = ins.src;
    const w = size === 4;
    // cmpxchg compares the access width of r0
    const expected = (): Expr => (w ? zext(lo32(R0)) : get(R0));

    if (shared) {
      const A = w ? m.i64.atomic.rmw32_u : m.i64.atomic.rmw;
      if (aop === AtomicOp.CMPXCHG) return [...pre, set(R0, A.cmpxchg(offset, ptr(), expected(), get(src)))];
      if (aop === AtomicOp.XCHG) return [...pre, set(src, A.xchg(offset, ptr(), get(src)))];
      const rmw =
        base === AtomicOp.ADD ? A.add : base === AtomicOp.OR ? A.or : base === AtomicOp.AND ? A.and : A.xor;
      const e = rmw(offset, ptr(), get(src));
      return [...pre, fetch ? set(src, e) : m.drop(e)];
    }

    const old = (): Expr => (w ? m.i64.load32_u(offset, 4, ptr()) : m.i64.load(offset, 8, ptr()));
    const put = (v: Expr): Expr => storeOf(size, offset, ptr(), v);
    if (aop === AtomicOp.CMPXCHG) {
      return [...pre, set(TB, old()), m.if(m.i64.eq(get(TB), expected()), put(get(src))), set(R0, get(TB))];
    }
    if (aop === AtomicOp.XCHG) return [...pre, set(TB, old()), put(get(src)), set(src, get(TB))];
    const combine = (o: Expr, v: Expr): Expr =>
      base === AtomicOp.ADD ? m.i64.add(o, v) : base === AtomicOp.OR ? m.i64.or(o, v) : base === AtomicOp.AND ? m.i64.and(o, v) : m.i64.xor(o, v);
    if (!fetch) return [...pre, put(combine(old(), get(src)))];
    return [...pre, set(TB, old()), put(combine(get(TB), get(src))), set(src, get(TB))];
  };

  /** Checked mode: a helper with pointer arguments is preceded by their check (the interpreter's, in JS). */
  const call = (ins: Insn, pc: number): Expr[] => {
    const lowered = callLowered(ins, pc);
    if (checkedLoop && CALLBACK_HELPERS.includes(ins.imm) && ins.src !== PseudoCall.LOCAL && (ins.code & SOURCE_MASK) !== Source.X && !loopCallbacks.has(pc)) {
      // The fast path's bpf_loop and bpf_for_each_map_elem call r2 as a table index: in a checked run
      // only one of this program's callbacks (the table holds every program's code and the helpers).
      const ours = layout.callbacks.reduce<Expr>((ok, cb) => m.i32.or(ok, m.i64.eq(get(2), m.i64.extend_u(m.global.get(callbackSlotGlobal(cb), i32)))), k32(0));
      return [m.if(m.i32.eqz(ours), m.block(null, [m.call(IMPORT_BAD_CALLBACK, [k32(pc), get(2)], none), m.unreachable()])), ...lowered];
    }
    if (ins.src === PseudoCall.LOCAL || (ins.code & SOURCE_MASK) === Source.X || !checkedHelpers.includes(ins.imm)) return lowered;
    // the arguments as 32-bit halves: numbers on the JS side, no BigInt made unless the check runs
    const halves = [1, 2, 3, 4, 5].flatMap((r) => [lo32(r), m.i32.wrap(m.i64.shr_u(get(r), k64(32)))]);
    return [m.call(IMPORT_CHECK_HELPER, [k32(ins.imm), k32(pc), ...halves], none), ...lowered];
  };
  const callLowered = (ins: Insn, pc: number): Expr[] => {
    const args = (): Expr[] => [get(1), get(2), get(3), get(4), get(5)];
    // Precedence as in cfg.ts and the interpreter: local call, callx, helper by imm.
    if (ins.src === PseudoCall.LOCAL) {
      const depth = (): Expr => m.i32.add(m.local.get(DEPTH, i32), k32(1));
      // A callee starts with r1–r5 and its own frame (r0 and r6–r9 are its zeroed locals).
      return [
        m.if(m.i32.ge_u(depth(), k32(MAX_FRAMES)), m.block(null, [m.call(IMPORT_CALL_DEPTH, [k32(pc)], none), m.unreachable()])),
        set(R0, callSub(callTarget(ins, pc), args())),
        ...unwound(),
      ];
    }
    if ((ins.code & SOURCE_MASK) === Source.X) {
      // callx: the helper id is in dst; JS looks it up.
      return [set(R0, m.call(IMPORT_CALLX, [get(ins.dst), ...args(), k32(pc)], i64))];
    }
    const runField = (field: number): number => RUN_BASE + field;
    if (ins.imm === HELPER_THROW) {
      // bpf_throw(cookie): the program returns the cookie (see throwsHere)
      return [
        m.i64.store(0, 8, k32(cookieAt), get(1)),
        m.i32.store(0, 4, k32(thrownAt), k32(1)),
        m.return(get(1)),
      ];
    }
    if (ins.imm === HELPER_TAIL_CALL && tailCalls) {
      // bpf_tail_call(ctx, prog_array, index): on success the target program runs in this frame and its
      // r0 is this function's result; on failure (no entry, 33 tail calls taken) execution goes on with
      // r0 unchanged, as in the kernel.
      const count = (): Expr => m.i32.load(0, 4, k32(runField(RUN.TAIL_CALLS)));
      // prog_array_get(map, index): a prog_array known here is read inline (its slots never move).
      const progs = tailCallMaps.get(pc);
      const slotOf = progs
        ? m.if(m.i32.lt_u(lo32(3), k32(progs.maxEntries)), m.i32.load(0, 4, m.i32.add(k32(progs.data), m.i32.shl(lo32(3), k32(2)))), k32(-1))
        : m.call(IMPORT_PROG_ARRAY_GET, [m.i32.wrap(get(2)), m.i32.wrap(get(3))], i32);
      return [
        m.if(
          m.i32.lt_u(count(), k32(MAX_TAIL_CALL_CNT)),
          m.block(null, [
            m.local.set(TA, m.i64.extend_s(slotOf)),
            m.if(
              m.i64.ge_s(get(TA), k64(0)),
              m.block(null, [
                m.i32.store(0, 4, k32(runField(RUN.TAIL_CALLS)), m.i32.add(count(), k32(1))),
                m.return(m.call_indirect(IMPORT_TABLE, m.i32.wrap(get(TA)), [get(1), get(R10), m.local.get(DEPTH, i32)], tailEntryType, i64)),
              ]),
            ),
          ]),
        ),
      ];
    }
    const arr = arrayLookups.get(pc);
    if (arr) {
      // bpf_map_lookup_elem on an array: index = *(u32 *)key; index < max_entries ? &elem : NULL.
      // (The key is read unchecked, as the helper reads it.)
      const idx = (): Expr => m.i64.extend_u(keyRead(pc, 0, 4) ?? m.i32.load(0, 4, m.i32.wrap(get(2))));
      let elem = m.i64.add(k64(arr.data), m.i64.mul(get(TA), k64(arr.stride)));
      if (arr.percpu) {
        if (cpuHoisted(arr.percpu)) return [set(TA, idx()), set(R0, m.select(m.i64.lt_u(get(TA), k64(arr.maxEntries)), m.i64.add(elem, get(CPUO)), k64(0)))];
        const cpuOk = m.select(m.i64.lt_u(get(TO), k64(arr.percpu.ncpus)), get(TO), k64(0));
        elem = m.i64.add(elem, m.i64.mul(cpuOk, k64(arr.percpu.cpuStride)));
        return [
          set(TA, idx()),
          m.local.set(TO, m.i64.extend_u(m.i32.load(0, 4, k32(RUN_BASE + RUN.CPU)))),
          set(R0, m.select(m.i64.lt_u(get(TA), k64(arr.maxEntries)), elem, k64(0))),
        ];
      }
      if (arr.ofMaps) {
        // array_of_map_lookup_elem: the inner map in the slot (mapInMapLookup), the slot read only in range
        return [set(TA, idx()), set(R0, m.if(m.i64.lt_u(get(TA), k64(arr.maxEntries)), m.i64.load32_u(0, 4, m.i32.wrap(elem)), k64(0)))];
      }
      return [set(TA, idx()), set(R0, m.select(m.i64.lt_u(get(TA), k64(arr.maxEntries)), elem, k64(0)))];
    }
    const htab = hashLookups.get(pc);
    if (htab) return hashLookup(htab, pc);
    const trie = trieLookups.get(pc);
    if (trie) return trieLookup(trie, pc);
    if (runtimeMapLookups.has(pc)) {
      // A map known at run time only (an inner map): bpf_map_lookup_elem's switch on the header's type,
      // an ARRAY answered inline as arrayElem reads it (index, max_entries, data, stride), else the call.
      const map = (): Expr => lo32(1);
      const hdr = (off: number): Expr => m.i32.load(off, 4, map());
      return [
        m.if(
          m.i32.eq(hdr(MAP_HDR.TYPE), k32(BPF_MAP_TYPE_ARRAY)),
          m.block(null, [
            m.local.set(HA, m.i32.load(0, 4, lo32(2))),
            set(R0, m.if(
              m.i32.lt_u(m.local.get(HA, i32), hdr(MAP_HDR.MAX_ENTRIES)),
              zext(m.i32.add(hdr(MAP_HDR.DATA), m.i32.mul(m.local.get(HA, i32), hdr(opts.arrayStrideAt!)))),
              k64(0),
            )),
          ]),
          set(R0, callFastPath(HELPER_MAP_LOOKUP)),
        ),
      ];
    }
    const inlineCb = ins.imm === HELPER_LOOP ? loopCallbacks.get(pc) : undefined;
    if (inlineCb !== undefined) {
      // bpf_loop with a callback known here, inlined as the kernel's verifier does (inline_bpf_loop):
      // a wasm loop calling the callback subprogram directly, one frame below this one.
      // TA = i, TB = nr; the loop result (iterations) goes to r0.
      const depth = (): Expr => m.i32.add(m.local.get(DEPTH, i32), k32(1));
      const lbl = `loop_${pc}`;
      const done = `loop_${pc}_done`;
      // One call: i < nr ? r0' = callback(i, ctx); i++; r0' != 0 ends the loop : the loop is over. A
      // verified program's loop makes four calls a turn (each checks its own bound), so V8's loop header
      // (an interrupt check) and the back edge are paid once per four (loop_csum 16.2 -> 15.0 ns).
      const iteration = (then: Expr[]): Expr =>
        m.if(
          m.i64.lt_u(get(TA), get(TB)),
          m.block(null, [
            m.local.set(TO, callSub(inlineCb, [get(TA), get(3), k64(0), k64(0), k64(0)])),
            ...unwound(),
            set(TA, m.i64.add(get(TA), k64(1))),
            m.if(m.i64.ne(get(TO), k64(0)), m.block(null, [set(R0, get(TA)), m.br(done)])),
            ...then,
          ]),
        );
      return [
        m.block(done, [
          m.if(m.i64.ne(get(4), k64(0)), m.block(null, [set(R0, k64(-22)), m.br(done)])), // flags: -EINVAL
          // -E2BIG, unless the verifier bounds the count within BPF_MAX_LOOPS (VerifierFacts.loopCountMax)
          // (the kernel's inlined loop sets it with a 32-bit move: 0xfffffff9, VerifierFacts.loopInlined)
          ...(loopCountMax(pc) === undefined
            ? [m.if(m.i64.gt_u(get(1), k64(1 << 23)), m.block(null, [set(R0, k64(!opts.checked && opts.loopInlined?.has(pc) ? 0xfffffff9 : -7)), m.br(done)]))]
            : []),
          set(TB, get(1)),
          set(TA, k64(0)),
          set(R0, get(TB)),
          m.if(m.i32.and(m.i64.ne(get(TB), k64(0)), m.i32.ge_u(depth(), k32(MAX_FRAMES))), m.block(null, [m.call(IMPORT_CALL_DEPTH, [k32(pc)], none), m.unreachable()])),
          m.loop(lbl, iteration(opts.checked ? [m.br(lbl)] : [iteration([iteration([iteration([m.br(lbl)])])])])),
        ]),
      ];
    }
    const dynptr = !opts.checked && wasmHelpers.has(ins.imm) ? dynptrCalls.get(pc) : undefined;
    if (dynptr) {
      const inlined = lowerDynptrCall(dynptrLowering, ins.imm, dynptr);
      if (inlined) return inlined;
    }
    if (!opts.checked && wasmHelpers.has(ins.imm) && (ins.imm === HELPER_PERF_EVENT_OUTPUT || ins.imm === HELPER_XDP_OUTPUT)) {
      return lowerPerfOutput(perfLowering, ins.imm);
    }
    if (wasmHelpers.has(ins.imm)) {
      const inlined = inlineFastPathHelper(ins, pc);
      if (inlined) return inlined;
      const pre: Expr[] = [];
      if (CALLBACK_HELPERS.includes(ins.imm)) {
        // Callbacks run one frame below the caller: tell the callback entry where that is.
        pre.push(m.i32.store(0, 4, k32(runField(RUN.FRAME_PTR)), m.i32.wrap(get(R10))));
        pre.push(m.i32.store(0, 4, k32(runField(RUN.FRAME_DEPTH)), m.local.get(DEPTH, i32)));
      }
      return [...pre, setR0Call(ins.imm, m.call(wasmHelperImportName(ins.imm), args(), i64)), ...(CALLBACK_HELPERS.includes(ins.imm) ? unwound() : [])];
    }
    // bpf_rbtree_add calls less() back (program.ts ctx.callback): its frame one below this one, as above
    const calls = CALLBACK_HELPERS.includes(ins.imm) || isRbtreeAdd(ins.imm);
    const pre = isRbtreeAdd(ins.imm) ? [m.i32.store(0, 4, k32(runField(RUN.FRAME_PTR)), m.i32.wrap(get(R10))), m.i32.store(0, 4, k32(runField(RUN.FRAME_DEPTH)), m.local.get(DEPTH, i32))] : [];
    return [...pre, setR0Call(ins.imm, m.call(helperImportName(ins.imm), [...args(), k32(pc)], i64)), ...(calls ? unwound() : [])];
  };
  /** r0 = a call's answer; for R0_LOW_BYTE_CALLS (bpf_dynptr_is_null) its low byte, the rest of r0 as it was. */
  const setR0Call = (id: number, call: Expr): Expr =>
    set(R0, R0_LOW_BYTE_CALLS.has(id) ? m.i64.or(m.i64.and(get(R0), k64(-256)), m.i64.and(call, k64(0xff))) : call);

  // ---- fast path helpers inlined: each is the AssemblyScript helper's code (assembly/xdp.ts,
  // assembly/maps/array.ts), check for check and in the same order; rare cases call the helper ----
  const ctxField = (field: number): Expr => m.i64.extend_u(m.i32.load(0, 4, k32(CTX_BASE + field)));
  const errno = (e: number): Expr => k64(-e);
  const callFastPath = (id: number): Expr => m.call(wasmHelperImportName(id), [get(1), get(2), get(3), get(4), get(5)], i64);
  /**
   * `n` bytes from src to dst (wasm addresses), as unrolled loads and stores, when a forward copy is safe.
   * `cuts`: offsets where a store to the source began or ended (store_cuts.ts): a load never spans one
   * (it is forwarded from the one store it reads), and the pieces of an 8-, 4- or 2-byte span are put
   * together in a register and written with one store — a store each would leave the copy as many
   * stores as the source had fields (xdp_parse's 60-byte value: 25), each an entry of the store buffer
   * to write to the cache, and all of them to drain before a locked instruction after the copy (the
   * shared build's atomics) can run.
   */
  const copyInline = (dst: () => Expr, src: () => Expr, n: number, known?: (off: number, w: 1 | 2 | 4 | 8) => Expr | undefined, cuts?: ReadonlySet<number>): Expr[] => {
    const out: Expr[] = [];
    const straddles = (o: number, w: number): boolean => {
      for (let c = o + 1; c < o + w; c++) if (cuts?.has(c)) return true;
      return false;
    };
    /** The w bytes at o (i64 for 8, else i32): known, one load, or its halves' put together (little-endian). */
    const value = (o: number, w: 1 | 2 | 4 | 8): Expr => {
      const k = known?.(o, w);
      if (k) return k;
      if (w > 1 && straddles(o, w)) {
        const h = (w >> 1) as 1 | 2 | 4;
        const lo = value(o, h);
        const hi = value(o + h, h);
        return w === 8
          ? m.i64.or(m.i64.extend_u(lo), m.i64.shl(m.i64.extend_u(hi), k64(32)))
          : m.i32.or(lo, m.i32.shl(hi, k32(h * 8)));
      }
      return w === 8 ? m.i64.load(o, 1, src()) : w === 4 ? m.i32.load(o, 1, src()) : w === 2 ? m.i32.load16_u(o, 1, src()) : m.i32.load8_u(o, 1, src());
    };
    for (let o = 0; o < n; ) {
      const w: 1 | 2 | 4 | 8 = n - o >= 8 ? 8 : n - o >= 4 ? 4 : n - o >= 2 ? 2 : 1;
      const v = value(o, w);
      out.push(w === 8 ? m.i64.store(o, 1, dst(), v) : w === 4 ? m.i32.store(o, 1, dst(), v) : w === 2 ? m.i32.store16(o, 1, dst(), v) : m.i32.store8(o, 1, dst(), v));
      o += w;
    }
    return out;
  };
  /** memmove semantics: a forward copy is wrong only when dst lies in (src, src + n); the helper takes that case. */
  const forwardSafe = (dst: () => Expr, src: () => Expr, n: number): Expr => m.i32.ge_u(m.i32.sub(dst(), src()), k32(n));
  const dynptrLowering: DynptrLowering = {
    m, i32, i64, get, set, lo32: (r) => lowHalf(r), temps: [HA, HB, HC, HH, HE, HK], temp64: TB,
    callHelper: callFastPath, copyInline: (dst, src, n) => copyInline(dst, src, n), forwardSafe,
  };
  const perfLowering: PerfLowering = {
    m, i32, i64, get, set, lo32, temps: [HA, HB], ctxBase: CTX_BASE, cpuAt: RUN_BASE + RUN.CPU, callHelper: callFastPath,
  };
  const EINVAL = 22;
  const E2BIG = 7;
  const EEXIST = 17;
  const EACCES = 13;
  const BPF_NOEXIST = 1;
  const BPF_EXIST = 2;
  const BPF_F_LOCK = 4;
  const INLINE_COPY_MAX = 128;
  /** bpf_csum_diff spans summed inline: 16 words. */
  const CSUM_INLINE_MAX = 64;

  /**
   * bpf_fib_lookup(ctx, params, plen, flags) answered from the running frame's record when the call is
   * the one the record was made for (assembly/net/fib_helper.ts fibAnswersWalk): flags 0, plen >= 64
   * (the helper's signed compare), the records current, the frame warmed into a slot, and the struct
   * asking IPv4 for the record's destination, ingress ifindex and TOS with tot_len within its MTU, and for
   * its source, protocol and ports where the record's answer depends on them (its masks). The
   * answer is the helper's: rt_metric, the output ifindex, the gateway as ipv4_dst, smac and dmac, no
   * VLAN, the MTU in tot_len, SUCCESS; the record's hit counted. Anything else calls the helper.
   * i32 temporaries: HA the record, HB the struct, HC the record's ifindex; TA the record's key mask.
   * Measured (12-06, xdp router 10k, perf cpu-clock over the JIT'd run): these checks and the answer's
   * copy are 22 % of the program's samples, ~1.9 ns a frame, beside 30 % for its parse and struct fill
   * and 24 % for its TTL, MAC and redirect work; folding the valid/slot pair into one record address and
   * the family's re-read would save ~9 of the program's ~200 instructions (≤ 0.4 ns, under the noise).
   * perf annotate of the burst loop (12-07, xdp router 1M, V8's TurboFan code, load ~8; ~13 ns a frame,
   * 15 % of the round): the loop's per-frame set-up and ctx stores 29 % (7 % one stall on the frame's
   * first touch: see assembly/napi.ts warmRing), the struct's memset 3 %, parse and struct fill 23 %, this
   * inline lookup 14 %, fwd_stats' count and the TTL update 20 %, the MACs and redirect 4 %, the burst
   * record 6 %. Per frame also: the percpu map's CPU word loaded twice from memory and spilled (constant
   * over the burst) and V8's loop stack check; each is a few instructions, below what A/B can show here.
   * Tried (12-07, rt52, commit a0ed7df4): the struct kept in i64 locals instead of the stack (scalar
   * replacement: the 64 bytes cut at every access's edges into 20 fields when every access to them is
   * the program's own at r10 + K or this lookup's; the helper proper's call stores them before and loads
   * them after). Correct (tests/net fib_answers, router_kernel, fib_kernel, router_fuzz_kernel seeds
   * 1165-1168, tests/jit, tests/conformance passed), and xdp_burst lost the memset, the field and answer
   * stores and the read-backs (outside that spill and reload: 68 -> 33 stores, 84 -> 67 loads), but in
   * one process, the two programs attached in alternated rounds (whole round, paired B - A median), at
   * load 18-26: 10k -0.64 ns (32/60 rounds faster), 10k +1.77 ns (22/60), 1M +0.39 ns (24/50) — no gain
   * A/B could show (the fields live across the function may cost TurboFan registers what the stores
   * cost, and store-to-load forwarding made the stack round trip cheap). Not kept.
   */
  const fibLookupInline = (a: FibAnswers, pc: number): Expr[] => {
    const L = (k: number): Expr => m.local.get(k, i32);
    const S = (k: number, v: Expr): Expr => m.local.set(k, v);
    const rec = (off: number): Expr => m.i32.load(off, 4, L(HA));
    const slow = `fib_${pc}_slow`;
    const done = `fib_${pc}_done`;
    const AF_INET = 2;
    // The struct's bytes 0..7 (family, l4_protocol, sport, dport, tot_len) as one u64, read a field at
    // a time: the program has just stored them a field at a time, and a load that spans several
    // stores cannot take its bytes from the store buffer — it waits for them all to retire (one u64
    // load here held a quarter of the program's samples in perf on the 2-way ECMP row, whose records
    // the key decides).
    const structHead = (): Expr =>
      m.i64.or(
        m.i64.or(m.i64.load8_u(0, 1, L(HB)), m.i64.shl(m.i64.load8_u(1, 1, L(HB)), k64(8))),
        m.i64.or(m.i64.or(m.i64.shl(m.i64.load16_u(2, 2, L(HB)), k64(16)), m.i64.shl(m.i64.load16_u(4, 2, L(HB)), k64(32))), m.i64.shl(m.i64.load16_u(6, 2, L(HB)), k64(48))),
      );
    return [
      m.block(done, [
        m.block(slow, [
          m.br(slow, m.i64.ne(get(4), k64(0))),
          m.br(slow, m.i32.lt_s(lo32(3), k32(64))),
          m.br(slow, m.i32.eqz(m.i32.load(0, 4, k32(a.base + a.valid)))),
          S(HA, burstSlotHere ? m.i32.wrap(m.local.get(ctxLocal0 + 3, i64)) : m.i32.load(0, 4, k32(a.base + a.slot))),
          m.br(slow, m.i32.ge_u(L(HA), k32(a.slots))), // -1: no slot
          S(HA, m.i32.add(k32(a.base + a.recs), m.i32.mul(L(HA), k32(a.recSize)))),
          S(HB, lo32(2)),
          S(HC, rec(a.ifindex)),
          m.br(slow, m.i32.eqz(L(HC))), // no answer for this slot
          m.br(slow, m.i32.ne(m.i32.load8_u(0, 1, L(HB)), k32(AF_INET))),
          // protocol, ports and source as the record's where the rules or the multipath hash read them
          // (its key mask TA nonzero), compared under the mask
          set(TA, m.i64.load(a.keyMask, 8, L(HA))),
          m.if(
            m.i64.ne(get(TA), k64(0)),
            m.block(null, [
              m.br(slow, m.i64.ne(m.i64.and(m.i64.xor(structHead(), m.i64.load(a.key, 8, L(HA))), get(TA)), k64(0))),
              m.br(slow, m.i32.ne(m.i32.and(m.i32.xor(m.i32.load(16, 4, L(HB)), rec(a.src)), m.i32.wrap(m.i64.shr_u(get(TA), k64(16)))), k32(0))),
            ]),
          ),
          m.br(slow, m.i32.ne(m.i32.load(8, 4, L(HB)), L(HC))),
          m.br(slow, m.i32.ne(m.i32.load(32, 4, L(HB)), rec(a.dst))),
          m.br(slow, m.i32.ne(m.i32.and(m.i32.load8_u(12, 1, L(HB)), k32(0xfc)), rec(a.tos))),
          m.br(slow, m.i32.gt_u(m.i32.load16_u(6, 2, L(HB)), rec(a.mtu))),
          m.i32.store(12, 4, L(HB), rec(a.metric)),
          m.i32.store(8, 4, L(HB), rec(a.oif)),
          m.i32.store(32, 4, L(HB), rec(a.newDst)),
          // smac (52..57) and dmac (58..63) each as a u32 and a u16, the words a program's 6-byte copy
          // of them reads back (memcpy to the Ethernet header: a u32 and a u16 load each): a load that
          // spans two stores cannot take its bytes from the store buffer and waits for both to retire
          // (dmac's first four bytes, across an 8-byte and a 4-byte store, held a quarter of the XDP
          // router program's samples in perf)
          m.i32.store(52, 4, L(HB), rec(a.macs)),
          m.i32.store16(56, 2, L(HB), m.i32.load16_u(a.macs + 4, 2, L(HA))),
          m.i32.store(58, 2, L(HB), m.i32.load(a.macs + 6, 2, L(HA))),
          m.i32.store16(62, 2, L(HB), m.i32.load16_u(a.macs + 10, 2, L(HA))),
          m.i32.store(48, 4, L(HB), k32(0)), // h_vlan_proto, h_vlan_TCI
          m.i32.store16(6, 2, L(HB), rec(a.mtu)),
          m.i32.store(0, 4, k32(a.base + a.hits), m.i32.add(m.i32.load(0, 4, k32(a.base + a.hits)), k32(1))),
          set(R0, k64(0)),
          m.br(done),
        ]),
        set(R0, callFastPath(HELPER_FIB_LOOKUP)),
      ]),
    ];
  };

  /**
   * bpf_xdp_load_bytes / store_bytes whose length the block does not set to a constant (a header's
   * options, a payload up to a bound): a copy loop, 8 bytes a step, then 4, 2 and 1 by the length's low
   * bits, all in ascending order, when 1 <= len <= VARIABLE_COPY_MAX, the span [offset, offset + len)
   * lies in the linear part and the destination does not start inside the source's span (a forward
   * copy is then memmove's). Anything else calls the helper (its errors, fragments, a backward
   * overlap). i32 temporaries: HA the destination, HB the source, HC len, HE the bytes copied so far.
   */
  const bytesVariable = (id: number): Expr[] => {
    const L = (k: number): Expr => m.local.get(k, i32);
    const S = (k: number, v: Expr): Expr => m.local.set(k, v);
    const toPacket = id === HELPER_XDP_STORE_BYTES;
    const pkt = (): Expr => m.i32.add(m.i32.load(0, 4, k32(CTX_BASE + CTX.DATA)), lo32(2));
    const inLinear = m.i64.le_u(m.i64.add(zext(lo32(2)), zext(L(HC))), m.i64.sub(ctxField(CTX.DATA_END), ctxField(CTX.DATA)));
    // memmove semantics: a forward copy is wrong only when the destination starts inside the source span
    const forward = m.i32.ge_u(m.i32.sub(L(HA), L(HB)), L(HC));
    const at = (k: number): Expr => m.i32.add(L(k), L(HE));
    const step = (w: 4 | 2 | 1): Expr =>
      m.if(
        m.i32.and(L(HC), k32(w)),
        m.block(null, [
          w === 4 ? m.i32.store(0, 1, at(HA), m.i32.load(0, 1, at(HB))) : w === 2 ? m.i32.store16(0, 1, at(HA), m.i32.load16_u(0, 1, at(HB))) : m.i32.store8(0, 1, at(HA), m.i32.load8_u(0, 1, at(HB))),
          S(HE, m.i32.add(L(HE), k32(w))),
        ]),
      );
    const lbl = `bytes_${id}_${bytesLoops++}`;
    return [
      S(HC, lo32(4)),
      S(toPacket ? HA : HB, pkt()),
      S(toPacket ? HB : HA, lo32(3)),
      m.if(
        m.i32.and(m.i32.and(m.i32.ne(L(HC), k32(0)), m.i32.le_u(L(HC), k32(VARIABLE_COPY_MAX))), m.i32.and(inLinear, forward)),
        m.block(null, [
          S(HE, k32(0)),
          m.loop(
            lbl,
            m.if(
              m.i32.le_u(m.i32.add(L(HE), k32(8)), L(HC)),
              m.block(null, [m.i64.store(0, 1, at(HA), m.i64.load(0, 1, at(HB))), S(HE, m.i32.add(L(HE), k32(8))), m.br(lbl)]),
            ),
          ),
          step(4),
          step(2),
          step(1),
          set(R0, k64(0)),
        ]),
        set(R0, callFastPath(id)),
      ),
    ];
  };
  let bytesLoops = 0;
  const VARIABLE_COPY_MAX = 256;

  const inlineFastPathHelper = (ins: Insn, pc: number): Expr[] | undefined => {
    const upd = arrayUpdates.get(pc);
    if (upd && upd.valueSize <= INLINE_COPY_MAX) {
      // arrayUpdate(): flags, then the key (index), NOEXIST, F_LOCK, then the copy of the value. TO = element.
      const fl = (): Expr => get(4);
      let elem = m.i64.add(k64(upd.data), m.i64.mul(get(TA), k64(upd.stride)));
      const setElem: Expr[] = [];
      if (upd.percpu && cpuHoisted(upd.percpu)) {
        elem = m.i64.add(elem, get(CPUO));
      } else if (upd.percpu) {
        setElem.push(m.local.set(TB, m.i64.extend_u(m.i32.load(0, 4, k32(RUN_BASE + RUN.CPU)))));
        const cpuOk = m.select(m.i64.lt_u(get(TB), k64(upd.percpu.ncpus)), get(TB), k64(0));
        elem = m.i64.add(elem, m.i64.mul(cpuOk, k64(upd.percpu.cpuStride)));
      }
      const dst = (): Expr => m.i32.wrap(get(TO));
      const src = (): Expr => lo32(3);
      return [
        m.if(
          m.i64.gt_u(m.i64.and(fl(), k64(~BPF_F_LOCK)), k64(BPF_EXIST)),
          set(R0, errno(EINVAL)),
          m.block(null, [
            set(TA, m.i64.extend_u(keyRead(pc, 0, 4) ?? m.i32.load(0, 4, lo32(2)))),
            m.if(
              m.i64.ge_u(get(TA), k64(upd.maxEntries)),
              set(R0, errno(E2BIG)),
              m.if(
                m.i64.ne(m.i64.and(fl(), k64(BPF_NOEXIST)), k64(0)),
                set(R0, errno(EEXIST)),
                m.if(
                  m.i64.ne(m.i64.and(fl(), k64(BPF_F_LOCK)), k64(0)),
                  set(R0, errno(EINVAL)),
                  m.block(null, [
                    ...setElem,
                    m.local.set(TO, elem),
                    m.if(
                      forwardSafe(dst, src, upd.valueSize),
                      m.block(null, [...copyInline(dst, src, upd.valueSize, (o, w) => keyRead(pc, o, w, valueBytes), valueCuts.get(pc)), set(R0, k64(0))]),
                      set(R0, callFastPath(HELPER_MAP_UPDATE)),
                    ),
                  ]),
                ),
              ),
            ),
          ]),
        ),
      ];
    }
    switch (ins.imm) {
      case HELPER_REDIRECT:
        // bpf_redirect(ifindex, flags): any flag is invalid for XDP (XDP_ABORTED); else the target in the
        // context's redirect fields (ifindex, no map, flags 0) and XDP_REDIRECT
        return [
          m.if(
            m.i64.ne(get(2), k64(0)),
            set(R0, k64(XDP_ACTIONS.indexOf('XDP_ABORTED'))),
            m.block(null, [
              // ifindex and no map in one store, as the burst loop copies them (src/jit/emit.ts addBurst: a
              // load that two narrower stores must feed waits for them to reach the cache)
              m.i64.store(0, 4, k32(CTX_BASE + CTX.REDIRECT_IFINDEX), m.i64.extend_u(lo32(1))),
              m.i64.store(0, 8, k32(CTX_BASE + CTX.REDIRECT_FLAGS), k64(0)),
              set(R0, k64(XDP_ACTIONS.indexOf('XDP_REDIRECT'))),
            ]),
          ),
        ];
      case HELPER_FIB_LOOKUP:
        return opts.fibAnswers && !opts.checked ? fibLookupInline(opts.fibAnswers, pc) : undefined;
      case HELPER_GET_SMP_PROCESSOR_ID: // the run's CPU (assembly/xdp.ts)
        return [set(R0, m.i64.extend_u(m.i32.load(0, 4, k32(RUN_BASE + RUN.CPU))))];
      case HELPER_XDP_GET_BUFF_LEN:
        // data_end - data + frags_len, in u32 arithmetic
        return [set(R0, zext(m.i32.wrap(m.i64.add(m.i64.sub(ctxField(CTX.DATA_END), ctxField(CTX.DATA)), ctxField(CTX.FRAGS_LEN)))))];
      case HELPER_XDP_ADJUST_META: {
        // TA = new data_meta (signed 64-bit), TB = data; frame end = hard_start + the xdp_frame
        const metalen = (): Expr => m.i64.sub(get(TB), get(TA));
        return [
          set(TA, m.i64.add(ctxField(CTX.DATA_META), m.i64.extend_s(lo32(2)))),
          set(TB, ctxField(CTX.DATA)),
          m.if(
            m.i32.or(m.i64.lt_s(get(TA), m.i64.add(ctxField(CTX.HARD_START), k64(XDP_FRAME_STRUCT))), m.i64.gt_s(get(TA), get(TB))),
            set(R0, errno(EINVAL)),
            m.if(
              m.i32.or(m.i64.ne(m.i64.and(metalen(), k64(3)), k64(0)), m.i64.gt_u(metalen(), k64(255))),
              set(R0, errno(EACCES)),
              m.block(null, [m.i32.store(0, 4, k32(CTX_BASE + CTX.DATA_META), m.i32.wrap(get(TA))), set(R0, k64(0))]),
            ),
          ),
        ];
      }
      case HELPER_CSUM_DIFF: {
        // bpf_csum_diff(from, from_size, to, to_size, seed) with both sizes constant, multiples of 4 and at
        // most CSUM_INLINE_MAX together (else the helper: odd sizes, long spans): the helper's sum of the
        // seed's low word, each `from` word complemented and each `to` word, all zero-extended to 64 bits
        // (17 terms < 2^37: two folds of the high word bring it under 2^32), then its two 16-bit folds
        const sizes = csumSizes.get(pc);
        if (!sizes) return undefined;
        const [fs, ts] = sizes;
        if (fs < 0 || ts < 0 || ((fs | ts) & 3) !== 0 || fs + ts > CSUM_INLINE_MAX) return undefined;
        // (i64.load32_u, not extend_i32_u of an i32.load: binaryen's optimizer made a load32_s of that)
        const terms: Expr[] = [m.i64.and(get(5), k64(0xffffffff))];
        for (let o = 0; o < fs; o += 4) terms.push(m.i64.xor(m.i64.load32_u(o, 1, lo32(1)), k64(0xffffffff)));
        for (let o = 0; o < ts; o += 4) terms.push(m.i64.load32_u(o, 1, lo32(3)));
        const fold = (sh: number, mask: bigint): Expr => set(R0, m.i64.add(m.i64.and(get(R0), k64(mask)), m.i64.shr_u(get(R0), k64(sh))));
        // That sum is the kernel's modulo 0xffff, and the kernel's answer is the only one in 0..0xffff with
        // its residue but for residue 0, where ones' complement has two zeros and 6.18's csum_partial chains
        // decide between 0 and 0xffff: the helper answers then (assembly/xdp.ts bpf_csum_diff)
        const zeroResidue = m.i32.or(m.i64.eqz(get(R0)), m.i64.eq(get(R0), k64(0xffff)));
        return [
          set(R0, terms.reduce((a, b) => m.i64.add(a, b))), fold(32, 0xffffffffn), fold(32, 0xffffffffn), fold(16, 0xffffn), fold(16, 0xffffn),
          m.if(zeroResidue, set(R0, callFastPath(ins.imm))),
        ];
      }
      case HELPER_XDP_LOAD_BYTES:
      case HELPER_XDP_STORE_BYTES: {
        // A constant length and a span inside the linear part: one copy between data + offset and the
        // buffer. Otherwise (fragments, out of range, overlap) the helper decides.
        const n = bytesLengths.get(pc);
        if (n === undefined) return bytesVariable(ins.imm);
        if (n < 1 || n > INLINE_COPY_MAX) return undefined;
        const toPacket = ins.imm === HELPER_XDP_STORE_BYTES;
        const pkt = (): Expr => m.i32.add(m.i32.load(0, 4, k32(CTX_BASE + CTX.DATA)), lo32(2));
        const buf = (): Expr => lo32(3);
        const [dst, src] = toPacket ? [pkt, buf] : [buf, pkt];
        const inLinear = m.i64.le_u(m.i64.add(zext(lo32(2)), k64(n)), m.i64.sub(ctxField(CTX.DATA_END), ctxField(CTX.DATA)));
        return [
          m.if(
            m.i32.and(inLinear, forwardSafe(dst, src, n)),
            m.block(null, [...copyInline(dst, src, n), set(R0, k64(0))]),
            set(R0, callFastPath(ins.imm)),
          ),
        ];
      }
    }
    return undefined;
  };

  /**
   * Key forwarding for inlined map lookups: `size` bytes at `off` of the key of the lookup at `pc`, put
   * together from what the stores of the same block left there (each byte from the newest store over it:
   * the register as stored, kept in a shadow local from the store on, or the immediate) instead of
   * loaded back. A load over bytes of two stores (a u32 of a struct's two u16 fields, a u8 field over a
   * zeroed word) cannot be served by the CPU's store forwarding and waits for the stores to be written
   * (over 10 cycles) on the way to the hash. i32 for 1, 2 or 4 bytes, i64 for 8; undefined when a byte
   * is not known. `facts`: valueBytes for an array update's value.
   */
  const keyRead = (pc: number, off: number, size: 1 | 2 | 4 | 8, facts = keyBytes): Expr | undefined => {
    const k = facts.get(pc);
    if (!k) return undefined;
    const a = k.at + off;
    const newest = (byte: number): StackWrite | undefined => {
      for (let i = k.writes.length - 1; i >= 0; i--) {
        const w = k.writes[i]!;
        if (w.off <= byte && byte < w.off + w.size) return w;
      }
      return undefined;
    };
    const parts: Expr[] = [];
    let known = 0n;
    for (let b = 0; b < size; ) {
      const w = newest(a + b);
      if (!w) return undefined;
      let len = 1;
      while (b + len < size && newest(a + b + len) === w) len++;
      const shift = BigInt((a + b - w.off) * 8);
      const mask = (1n << BigInt(len * 8)) - 1n;
      if (w.bytes !== undefined) {
        known |= ((w.bytes >> shift) & mask) << BigInt(b * 8);
      } else {
        const sh = shadowAt.get(w.pc);
        if (sh === undefined) return undefined;
        let v = m.local.get(shadowBase + sh, i64);
        if (shift) v = m.i64.shr_u(v, k64(shift));
        if (len < 8) v = m.i64.and(v, k64(mask));
        if (b) v = m.i64.shl(v, k64(b * 8));
        parts.push(v);
      }
      b += len;
    }
    if (known || !parts.length) parts.push(k64(known));
    const v64 = parts.reduce((x, y) => m.i64.or(x, y));
    return size === 8 ? v64 : m.i32.wrap(v64);
  };

  /**
   * bpf_map_lookup_elem on a HASH / PERCPU_HASH / LRU_HASH / HASH_OF_MAPS map, inlined as htab_map_gen_lookup inlines
   * __htab_map_lookup_elem: the kernel's hash of the key (jhash2 over words, jhash over bytes, as
   * htab_map_hash; unrolled for the map's key size), the bucket, then the chain walk comparing hashes
   * and keys (memcmp). The key is read unchecked, as the helper reads it. Same code as htabFind.
   */
  const hashLookup = (h: InlineHash, pc: number): Expr[] => {
    const L = (i: number): Expr => m.local.get(i, i32);
    const S = (i: number, v: Expr): Expr => m.local.set(i, v);
    const add = (i: number, v: Expr): Expr => S(i, m.i32.add(L(i), v));
    const word = (off: number): Expr => keyRead(pc, off, 4) ?? m.i32.load(off, 1, L(HK));
    const byte = (off: number): Expr => keyRead(pc, off, 1) ?? m.i32.load8_u(off, 1, L(HK));
    const JHASH_INITVAL = 0xdeadbeef;
    // __jhash_mix: rows x -= y; x ^= rol32(y, k); y += z
    const mix = (): Expr[] =>
      ([[HA, HC, HB, 4], [HB, HA, HC, 6], [HC, HB, HA, 8], [HA, HC, HB, 16], [HB, HA, HC, 19], [HC, HB, HA, 4]] as const).flatMap(([x, y, z, k]) => [
        S(x, m.i32.xor(m.i32.sub(L(x), L(y)), m.i32.rotl(L(y), k32(k)))),
        add(y, L(z)),
      ]);
    // __jhash_final: rows x ^= y; x -= rol32(y, k)
    const final = (): Expr[] =>
      ([[HC, HB, 14], [HA, HC, 11], [HB, HA, 25], [HC, HB, 16], [HA, HC, 4], [HB, HA, 14], [HC, HB, 24]] as const).map(([x, y, k]) =>
        S(x, m.i32.sub(m.i32.xor(L(x), L(y)), m.i32.rotl(L(y), k32(k)))),
      );
    const ks = h.keySize;
    const words = (ks & 3) === 0;
    const stmts: Expr[] = [S(HK, lo32(2))];
    // a = b = c = JHASH_INITVAL + length in bytes + seed
    stmts.push(S(HA, m.i32.add(m.i32.load(0, 4, k32(h.seedAt)), k32(JHASH_INITVAL + ks))), S(HB, L(HA)), S(HC, L(HA)));
    let left = ks;
    let off = 0;
    while (left > 12) {
      stmts.push(add(HA, word(off)), add(HB, word(off + 4)), add(HC, word(off + 8)), ...mix());
      left -= 12;
      off += 12;
    }
    if (words) {
      // jhash2: the last 1..3 words
      if (left >= 12) stmts.push(add(HC, word(off + 8)));
      if (left >= 8) stmts.push(add(HB, word(off + 4)));
      stmts.push(add(HA, word(off)));
    } else {
      // jhash: the last 1..12 bytes, byte j into a, b or c at bits 8 × (j % 4)
      for (let j = left - 1; j >= 0; j--) {
        const v = byte(off + j);
        stmts.push(add(j >= 8 ? HC : j >= 4 ? HB : HA, j % 4 === 0 ? v : m.i32.shl(v, k32((j % 4) * 8))));
      }
    }
    stmts.push(...final(), S(HH, L(HC)));
    // memcmp(elem key, key, ks) == 0: 8, then 4, then 1 byte at a time, as htabKeyEq
    const keyEq = (): Expr => {
      const parts: Expr[] = [];
      const ko = h.keyOff;
      let o = 0;
      for (; o + 8 <= ks; o += 8) parts.push(m.i64.eq(m.i64.load(ko + o, 1, L(HE)), keyRead(pc, o, 8) ?? m.i64.load(o, 1, L(HK))));
      if (o + 4 <= ks) {
        parts.push(m.i32.eq(m.i32.load(ko + o, 1, L(HE)), word(o)));
        o += 4;
      }
      for (; o < ks; o++) parts.push(m.i32.eq(m.i32.load8_u(ko + o, 1, L(HE)), byte(o)));
      return parts.reduce((x, y) => m.i32.and(x, y));
    };
    let value = m.i32.add(L(HE), k32(h.valueOff));
    if (h.percpu) {
      // the element's pptr (CPU 0's value), then this CPU's region (assembly/maps/hash.ts htabPcpuValue)
      const cpu = (): Expr => m.i32.load(0, 4, k32(RUN_BASE + RUN.CPU));
      const off = cpuHoisted(h.percpu) ? m.i32.wrap(get(CPUO)) : m.i32.mul(m.select(m.i32.lt_u(cpu(), k32(h.percpu.ncpus)), cpu(), k32(0)), k32(h.percpu.cpuStride));
      value = m.i32.add(m.i32.load(h.valueOff, 4, L(HE)), off);
    }
    const done = `htab_${pc}_done`;
    const walk = `htab_${pc}_walk`;
    stmts.push(
      S(HE, m.i32.load(0, 4, m.i32.add(k32(h.data), m.i32.shl(m.i32.and(L(HH), k32(h.mask)), k32(2))))),
      set(R0, k64(0)),
      m.block(done, [
        m.loop(
          walk,
          m.if(
            L(HE),
            m.block(null, [
              m.if(
                m.i32.eq(m.i32.load(4, 4, L(HE)), L(HH)),
                // hash_of_maps: htab_of_map_lookup_elem answers the inner map the value holds
                m.if(keyEq(), m.block(null, [
                  ...(h.lruRef !== undefined ? [m.i32.store8(h.lruRef, 1, L(HE), k32(1))] : []),
                  set(R0, h.ofMaps ? m.i64.load32_u(0, 4, value) : zext(value)),
                  m.br(done),
                ])),
              ),
              S(HE, m.i32.load(0, 4, L(HE))),
              m.br(walk),
            ]),
          ),
        ),
      ]),
    );
    return stmts;
  };

  /**
   * bpf_map_lookup_elem on an LPM_TRIE of 4- or 16-byte addresses, inlined as trieLookup walks it
   * (trie_lookup_elem). Per node, with c = the leading bits node data and key share (most significant
   * first: clz of the byte-swapped xor) and np the node's prefixlen, trie_lookup_elem's match length
   * min(c, np, kp) decides as follows: below np (c < np or kp < np) the walk ends; np = max_prefixlen
   * (then c = kp = max_prefixlen) is the full match; else a real node is the best so far and the key's
   * bit np picks the child. That bit is read from the key as loaded (little-endian words of network-
   * order bytes): bit np most significant first is bit np ^ 7 of the loaded word. Both children are
   * loaded and one picked, so the next node waits on this one only, not on its prefixlen. The key is
   * read unchecked, as the helper reads it. i32 temporaries: HA the key's prefixlen, HB its 4-byte
   * address, HE the node, HC its prefixlen, HH the best node; a 16-byte address is TA:TB (TO a temporary).
   */
  const trieLookup = (t: InlineTrie, pc: number): Expr[] => {
    const L = (i: number): Expr => m.local.get(i, i32);
    const S = (i: number, v: Expr): Expr => m.local.set(i, v);
    const T = (i: number): Expr => m.local.get(i, i64);
    const bswap32 = (v: () => Expr): Expr =>
      m.i32.or(m.i32.rotl(m.i32.and(v(), k32(0xff00ff00)), k32(8)), m.i32.rotr(m.i32.and(v(), k32(0x00ff00ff)), k32(8)));
    const bswap64 = (tmp: number): Expr => {
      // bytes swapped in pairs, then halfwords, then the halves (AssemblyScript's bswap<u64>)
      const step = (mask: bigint, sh: number): Expr =>
        m.i64.or(m.i64.and(m.i64.shr_u(T(tmp), k64(sh)), k64(mask)), m.i64.shl(m.i64.and(T(tmp), k64(mask)), k64(sh)));
      return m.block(null, [m.local.set(tmp, step(0x00ff00ff00ff00ffn, 8)), m.i64.rotr(step(0x0000ffff0000ffffn, 16), k64(32))], i64);
    };
    const maxPrefixlen = t.dataSize * 8;
    const node = (off: number): Expr => m.i32.load(off, 4, L(HE));
    const node64 = (off: number): Expr => m.i64.load(off, 4, L(HE));
    const done = `trie_${pc}_done`;
    const walk = `trie_${pc}_walk`;
    const stmts: Expr[] = [S(HK, lo32(2)), S(HA, keyRead(pc, 0, 4) ?? m.i32.load(0, 4, L(HK))), S(HH, k32(0))];
    let shared: Expr; // c
    let bit: Expr;
    const swapped = m.i32.xor(L(HC), k32(7)); // np ^ 7 (a 64-bit shift takes it mod 64: the low half's bit too)
    if (t.dataSize === 4) {
      stmts.push(S(HB, keyRead(pc, 4, 4) ?? m.i32.load(4, 4, L(HK))));
      shared = m.i32.clz(m.block(null, [S(HK, m.i32.xor(node(t.nodeData), L(HB))), bswap32(() => L(HK))], i32));
      bit = m.i32.and(m.i32.shr_u(L(HB), swapped), k32(1));
    } else {
      const half = (off: number): Expr => keyRead(pc, off, 8) ?? m.i64.load(off, 4, L(HK));
      stmts.push(m.local.set(TA, half(4)), m.local.set(TB, half(12)));
      shared = m.block(null, [
        m.local.set(TO, m.i64.xor(node64(t.nodeData), T(TA))),
        m.if(
          m.i64.ne(T(TO), k64(0)),
          m.i32.wrap(m.i64.clz(bswap64(TO))),
          m.block(null, [m.local.set(TO, m.i64.xor(node64(t.nodeData + 8), T(TB))), m.i32.add(k32(64), m.i32.wrap(m.i64.clz(bswap64(TO))))], i32),
        ),
      ], i32);
      bit = m.i32.wrap(m.i64.and(m.i64.shr_u(m.select(m.i32.lt_u(L(HC), k32(64)), T(TA), T(TB)), m.i64.extend_u(swapped)), k64(1)));
    }
    stmts.push(
      m.block(done, [
        m.br(done, m.i32.gt_u(L(HA), k32(maxPrefixlen))),
        S(HE, m.i32.load(0, 4, k32(t.rootAt))),
        m.loop(
          walk,
          m.if(
            L(HE),
            m.block(null, [
              S(HC, node(t.nodePrefixlen)),
              m.br(done, m.i32.lt_u(L(HA), L(HC))),
              m.br(done, m.i32.lt_u(shared, L(HC))),
              m.if(m.i32.eq(L(HC), k32(maxPrefixlen)), m.block(null, [S(HH, L(HE)), m.br(done)])),
              m.if(m.i32.eqz(m.i32.and(node(t.nodeFlags), k32(1))), S(HH, L(HE))),
              S(HE, m.select(bit, node(4), node(0))),
              m.br(walk),
            ]),
          ),
        ),
      ]),
      set(R0, m.select(L(HH), zext(m.i32.add(L(HH), k32(t.valueOff))), k64(0))),
    );
    return stmts;
  };

  /**
   * `rX <<= 32; rX >>= 32` (or `s>>= 32`), clang's zero (sign) extension of a 32-bit value: one
   * i64.extend_i32_u (_s) of the low half, which V8 compiles to a single movl (movsxd) where the two
   * 64-bit shifts stay two instructions. Undefined when the pair is not that.
   */
  const extension = (a: Insn, b: Insn): Expr | undefined => {
    const SHL = Class.ALU64 | AluOp.LSH | Source.K;
    if (a.code !== SHL || a.imm !== 32 || b.dst !== a.dst || b.imm !== 32) return undefined;
    if (b.code === (Class.ALU64 | AluOp.RSH | Source.K)) return set(a.dst, zext(lo32(a.dst)));
    if (b.code === (Class.ALU64 | AluOp.ARSH | Source.K)) return set(a.dst, m.i64.extend_s(lo32(a.dst)));
    return undefined;
  };

  /**
   * `rX >>= n; rX &= 1; rX = -rX`, bit n of rX spread over the whole register (0 or all ones): one
   * shift left that puts bit n on top and an arithmetic shift right by 63, where the three stay three
   * instructions (and V8 a fourth, a copy for the neg). For every n: eBPF and wasm read a 64-bit
   * shift's count mod 64, and (63 - n) mod 64 = 63 - (n mod 64). Undefined when the three are not that.
   */
  const bitMask = (a: Insn, b: Insn, c: Insn): Expr | undefined => {
    const d = a.dst;
    const rshX = a.code === (Class.ALU64 | AluOp.RSH | Source.X);
    if (!rshX && a.code !== (Class.ALU64 | AluOp.RSH | Source.K)) return undefined;
    if (rshX && a.src === d) return undefined;
    if (b.code !== (Class.ALU64 | AluOp.AND | Source.K) || b.dst !== d || b.imm !== 1) return undefined;
    if (c.code !== (Class.ALU64 | AluOp.NEG | Source.K) || c.dst !== d) return undefined;
    const up = rshX ? m.i64.sub(k64(63), get(a.src)) : k64(63 - (a.imm & 63));
    return set(d, m.i64.shr_s(m.i64.shl(get(d), up), k64(63)));
  };

  const lowerInsn = (ins: Insn, pc: number): Expr[] => {
    const c = ins.code & CLASS_MASK;
    checkRegs(ins, pc);
    switch (c) {
      case Class.ALU:
      case Class.ALU64:
        return [alu(ins, pc)];
      case Class.LD:
        if (ins.code !== OP_LDDW) throw fail(pc, `unsupported load opcode 0x${ins.code.toString(16)}`);
        if (ins.src === PseudoLd.FUNC) {
          // A callback's "address" is its index in the fast path's table, known after instantiation.
          return [set(ins.dst, m.i64.extend_u(m.global.get(callbackSlotGlobal(callTarget(ins, pc)), i32)))];
        }
        // imm64 is the whole constant; without it, what encode() would write (imm zero-extended)
        return [set(ins.dst, k64(ins.imm64 ?? BigInt(ins.imm >>> 0)))];
      case Class.LDX:
        return load(ins, pc);
      case Class.ST:
        if ((ins.code & MODE_MASK) !== Mode.MEM) throw fail(pc, `unknown store opcode 0x${ins.code.toString(16)}`);
        return store(ins, pc);
      case Class.STX:
        if ((ins.code & MODE_MASK) === Mode.ATOMIC) return atomic(ins, pc);
        if ((ins.code & MODE_MASK) !== Mode.MEM) throw fail(pc, `unknown store opcode 0x${ins.code.toString(16)}`);
        return store(ins, pc);
      default: // JMP / JMP32 in the middle of a block: only calls get here
        if ((ins.code & OP_MASK) === JmpOp.CALL && c === Class.JMP) return call(ins, pc);
        throw fail(pc, `unexpected opcode 0x${ins.code.toString(16)}`);
    }
  };

  const subName = (entry: number): string => `sub_${entry}`;

  // Frame specialisation. Frames nest: depth d has r10 = STACK_TOP - d × STACK_SIZE. Code reached from
  // `run` by direct calls (bpf-to-bpf, inlined bpf_loop callbacks) knows its depth, so each subprogram
  // is also lowered per depth it is reached at, as `sub_<entry>_at<d>(r1..r5)` with r10 and depth
  // locals set to constants (`run` is the entry at depth 0): binaryen folds the stack addresses and
  // the depth checks, and a clone with one caller is inlined into it. Tail calls and the fast path's
  // bpf_loop enter the generic `sub_<entry>(r1..r5, r10, depth)`.
  const atName = (entry: number, depth: number): string => (entry === 0 && depth === 0 ? EXPORT_RUN : `sub_${entry}_at${depth}`);
  const directCallees = (sp: Subprogram): number[] => {
    const out: number[] = [];
    for (const bb of sp.blocks) {
      for (let pc = bb.start; pc < bb.end; pc += prog[pc]!.code === OP_LDDW ? 2 : 1) {
        const ins = prog[pc]!;
        if (ins.code !== (Class.JMP | JmpOp.CALL)) continue;
        if (ins.src === PseudoCall.LOCAL) out.push(callTarget(ins, pc));
        else if (ins.src === PseudoCall.HELPER && ins.imm === HELPER_LOOP && loopCallbacks.has(pc)) out.push(loopCallbacks.get(pc)!);
      }
    }
    return out;
  };
  /** (subprogram entry, depth) pairs reached from run at a depth below MAX_FRAMES (filled before lowering). */
  const specialised = new Map<string, { sp: Subprogram; depth: number }>();
  /** The depth of the function being lowered when it is a specialised clone. */
  let frameDepth: number | undefined;
  /** Stack slots of the function being lowered that live in locals: r10 offset -> local index. */
  let slotLocals: Map<number, number> | undefined;
  // Verified programs only: checked mode keeps every byte in memory, where its checks look.
  const slotCache = new Map<number, number[]>();
  const slotsOf = (sp: Subprogram): number[] => {
    if (opts.checked || !layout.framePointerFixed) return [];
    let s = slotCache.get(sp.entry);
    if (!s) slotCache.set(sp.entry, (s = promotableSlots(prog, sp)));
    return s;
  };
  /** A direct call one frame down: the callee's clone for that depth when there is one, else the generic. */
  const callSub = (entry: number, args: Expr[]): Expr => {
    const clone = frameDepth !== undefined ? atName(entry, frameDepth + 1) : undefined;
    if (clone !== undefined && specialised.has(clone)) return m.call(clone, args, i64);
    // a call from the deepest frame: the depth check before it faults
    if (frameDepth !== undefined && frameDepth + 1 >= MAX_FRAMES) return m.unreachable();
    const depth = m.i32.add(m.local.get(DEPTH, i32), k32(1));
    return m.call(subName(entry), [...args, m.i64.sub(get(R10), k64(STACK_SIZE)), depth], i64);
  };

  /** Registers beyond r10 would alias the internal locals: refuse them (the load-time check does too). */
  const checkRegs = (ins: Insn, pc: number): void => {
    const c = ins.code & CLASS_MASK;
    const srcIsReg =
      c === Class.LDX || c === Class.STX || ((c === Class.ALU || c === Class.ALU64 || c === Class.JMP32 || c === Class.JMP) &&
        (ins.code & SOURCE_MASK) === Source.X && !((ins.code & OP_MASK) === JmpOp.CALL && c === Class.JMP));
    if (ins.dst > R10 || (srcIsReg && ins.src > R10)) throw fail(pc, `invalid register r${ins.dst > R10 ? ins.dst : ins.src}`);
  };

  // Constants known at helper calls, from earlier in the same block: bpf_loop's callback (r2,
  // BPF_PSEUDO_FUNC), the map of bpf_map_lookup_elem / update_elem (r1, BPF_PSEUDO_MAP_FD) when it is
  // an inlinable array, and the length of bpf_xdp_load_bytes / store_bytes (r4, a mov of an immediate).
  const loopCallbacks = new Map<number, number>();
  /** The verifier's bound on the count of the bpf_loop at pc (unchecked code only). */
  const loopCountMax = (pc: number): number | undefined => (opts.checked ? undefined : opts.loopCountMax?.get(pc));
  /**
   * The most iterations any inlined bpf_loop runs callback `cb` for, when each of them has a bound and
   * nothing calls `cb` directly (its clones are then entered from those loops alone, r1 the index).
   */
  const callbackCount = (cb: number): number | undefined => {
    let n = 0;
    for (const [pc, target] of loopCallbacks) {
      if (target !== cb) continue;
      const c = loopCountMax(pc);
      if (c === undefined) return undefined;
      n = Math.max(n, c);
    }
    if (n === 0) return undefined;
    for (let pc = 0; pc < prog.length; pc++) {
      const ins = prog[pc]!;
      if (ins.code === (Class.JMP | JmpOp.CALL) && ins.src === PseudoCall.LOCAL && callTarget(ins, pc) === cb) return undefined;
    }
    return n;
  };
  /** Inlined lookups' keys as the block's stores left them (keyRead). */
  const keyBytes = new Map<number, StackBytes>();
  /** Inlined array updates' values as the block's stores left them (keyRead). */
  const valueBytes = new Map<number, StackBytes>();
  /** Stores whose register is also kept in a local (key forwarding): store pc -> ordinal in its subprogram. */
  const shadowAt = new Map<number, number>();
  /** Shadow locals per subprogram (after its stack-slot locals). */
  const shadowCount = new Map<number, number>();
  /** The first shadow local of the function being lowered. */
  let shadowBase = 0;
  /** The running subprogram's may_goto counter (an i32 local after all its others; see condition()). */
  let mayGotoLocal = -1;
  /**
   * The burst loop's copy of the entry (BURST_BODY) takes what the loop knows of the frame in r2-r5,
   * which a program cannot read (uninitialised at entry; the prologue moves them to four i64 locals
   * after the may_goto counter, from ctxLocal0, and clears them as `run` has them): data, data_end and
   * data_meta when no run can move them (ctx_fields.ts: the ctx loads through a register holding it
   * read the locals; ctxHeld, the registers holding it before each slot), and the frame's FIB answer
   * slot with inline answers (fibLookupInline reads it where `run` reads ANS_SLOT). See addBurst.
   */
  let ctxHeld: Map<number, number> | undefined;
  let ctxLocal0 = -1;
  const ctxForward = !opts.checked && opts.burst === true && ctxFieldsFixed(prog, layout);
  const slotArg = !opts.checked && opts.burst === true && opts.fibAnswers !== undefined;
  let burstSlotHere = false;
  const arrayLookups = new Map<number, InlineArray>();
  const arrayUpdates = new Map<number, InlineArray>();
  const hashLookups = new Map<number, InlineHash>();
  const trieLookups = new Map<number, InlineTrie>();
  const tailCallMaps = new Map<number, InlineArray>();
  const bytesLengths = new Map<number, number>();
  /** bpf_csum_diff calls whose from_size (r2) and to_size (r4) the block sets to constants. */
  const csumSizes = new Map<number, [number, number]>();
  /** bpf_map_lookup_elem calls whose map is not an ld_imm64 of the block (verified, with the fast path). */
  const runtimeMapLookups = new Set<number>();
  /** Inlined array updates: where the subprogram's frame stores cut their value (store_cuts.ts). */
  const valueCuts = new Map<number, Set<number>>();
  /** Dynptr calls (inline_dynptr.ts): r1..r5 where a mov of an immediate in the block set them. */
  const dynptrCalls = new Map<number, Array<number | undefined>>();
  // Per-CPU values (percpu_array, percpu_hash): when every inlined per-CPU access shares one shape, a
  // function with two or more of them computes this run's offset (RUN_CPU clamped to the CPUs held, times
  // the CPU stride) once at its entry, in CPUO, and each access adds it; otherwise each access loads
  // RUN_CPU, clamps and multiplies. (The CPU of a run never changes within it.) With one access there is
  // nothing to share, and the larger entry measured slower in a tail-call target (xdp_ipv4 +0.4 ns).
  type PercpuShape = { ncpus: number; cpuStride: number };
  let percpuShape: PercpuShape | undefined | null = null; // null: not looked at yet
  const percpuAt = (pc: number): PercpuShape | undefined => arrayLookups.get(pc)?.percpu ?? arrayUpdates.get(pc)?.percpu ?? hashLookups.get(pc)?.percpu;
  const sharedPercpu = (): PercpuShape | undefined => {
    if (percpuShape !== null) return percpuShape;
    const shapes = new Set<string>();
    let one: PercpuShape | undefined;
    for (const pc of [...arrayLookups.keys(), ...arrayUpdates.keys(), ...hashLookups.keys()]) {
      const p = percpuAt(pc);
      if (p) shapes.add(`${(one = p).ncpus}:${p.cpuStride}`);
    }
    percpuShape = shapes.size === 1 ? one : undefined;
    return percpuShape;
  };
  /** The function being lowered keeps CPUO (set by lowerSubprogram from percpuSites). */
  let cpuoHere = false;
  const percpuSites = (sp: Subprogram): number => {
    let n = 0;
    for (const bb of sp.blocks) for (let pc = bb.start; pc < bb.end; pc++) if (percpuAt(pc)) n++;
    return n;
  };
  const cpuHoisted = (p: PercpuShape): boolean => {
    const s = sharedPercpu();
    return cpuoHere && s !== undefined && s.ncpus === p.ncpus && s.cpuStride === p.cpuStride;
  };
  const percpuPrologue = (): Expr[] => {
    const s = sharedPercpu();
    if (!s || !cpuoHere) return [];
    const cpu = (): Expr => m.i32.load(0, 4, k32(RUN_BASE + RUN.CPU));
    // the CPU word read once (select evaluates its arms before its condition; V8 loaded it twice)
    return [m.local.set(CPUO, m.i64.extend_u(m.i32.mul(m.select(m.i32.lt_u(m.local.get(HA, i32), k32(s.ncpus)), m.local.tee(HA, cpu(), i32), k32(0)), k32(s.cpuStride))))];
  };
  for (const sp of layout.subprograms) dynptrCallConstants(prog, sp, dynptrCalls);
  for (const sp of layout.subprograms) {
    const stores = frameStores(prog, sp);
    let shadows = 0;
    for (const bb of sp.blocks) {
      let r1: number | undefined;
      let r2: number | undefined;
      let r2map: number | undefined;
      let r4: number | undefined;
      let r2imm: number | undefined;
      // r2 as r10 + offset, and what the block's stores left in the stack (key forwarding, keyRead)
      let r2fp: number | undefined;
      let r3fp: number | undefined;
      let stack: StackWrite[] = [];
      /** What the block's stores left in [at, at + n): the facts keyRead puts bytes together from. */
      const known = (at: number, n: number): StackBytes | undefined => {
        const writes = stack.filter((w) => w.off < at + n && at < w.off + w.size);
        if (!writes.length) return undefined;
        for (const w of writes) if (w.reg !== undefined && !shadowAt.has(w.pc)) shadowAt.set(w.pc, shadows++);
        return { at, writes };
      };
      for (let pc = bb.start; pc < bb.end; pc += prog[pc]!.code === OP_LDDW ? 2 : 1) {
        const ins = prog[pc]!;
        if (ins.code === (Class.JMP | JmpOp.CALL)) {
          if (ins.src === PseudoCall.HELPER && ins.imm === HELPER_MAP_LOOKUP && r1 !== undefined && r2fp !== undefined && layout.framePointerFixed) {
            // an inlined lookup: the registers its key was stored from are kept (shadowed) from their store on
            const t = opts.inlineTries?.get(r1);
            const ks = opts.inlineArrays?.has(r1) ? 4 : opts.inlineHashes?.get(r1)?.keySize ?? (t ? 4 + t.dataSize : 0);
            const k = ks ? known(r2fp, ks) : undefined;
            if (k) keyBytes.set(pc, k);
          }
          const upd = r1 !== undefined && ins.src === PseudoCall.HELPER && ins.imm === HELPER_MAP_UPDATE && layout.framePointerFixed ? opts.inlineArrays?.get(r1) : undefined;
          if (upd && !upd.progArray && !upd.ofMaps) {
            // an inlined array update: its key, and the value it copies
            const k = r2fp !== undefined ? known(r2fp, 4) : undefined;
            if (k) keyBytes.set(pc, k);
            const v = r3fp !== undefined ? known(r3fp, upd.valueSize) : undefined;
            if (v) valueBytes.set(pc, v);
            if (r3fp !== undefined) valueCuts.set(pc, cutsIn(stores, r3fp, upd.valueSize));
          }
          stack = []; // a call may write any stack it can reach
          r2fp = r3fp = undefined;
          if (ins.src === PseudoCall.HELPER) {
            if (ins.imm === HELPER_LOOP && r2 !== undefined) loopCallbacks.set(pc, r2);
            const arr = r1 !== undefined ? opts.inlineArrays?.get(r1) : undefined;
            if (ins.imm === HELPER_MAP_LOOKUP && arr && !arr.progArray) arrayLookups.set(pc, arr);
            const htab = r1 !== undefined ? opts.inlineHashes?.get(r1) : undefined;
            if (ins.imm === HELPER_MAP_LOOKUP && htab) hashLookups.set(pc, htab);
            const trie = r1 !== undefined ? opts.inlineTries?.get(r1) : undefined;
            if (ins.imm === HELPER_MAP_LOOKUP && trie) trieLookups.set(pc, trie);
            if (ins.imm === HELPER_MAP_LOOKUP && r1 === undefined && !opts.checked && opts.arrayStrideAt !== undefined && wasmHelpers.has(HELPER_MAP_LOOKUP)) runtimeMapLookups.add(pc);
            if (ins.imm === HELPER_MAP_UPDATE && arr && !arr.progArray && !arr.ofMaps && !arr.specialFields) arrayUpdates.set(pc, arr);
            const progs = r2map !== undefined ? opts.inlineArrays?.get(r2map) : undefined;
            if (ins.imm === HELPER_TAIL_CALL && progs?.progArray) tailCallMaps.set(pc, progs);
            if ((ins.imm === HELPER_XDP_LOAD_BYTES || ins.imm === HELPER_XDP_STORE_BYTES) && r4 !== undefined) bytesLengths.set(pc, r4);
            if (ins.imm === HELPER_CSUM_DIFF && r2imm !== undefined && r4 !== undefined) csumSizes.set(pc, [r2imm, r4]);
          }
          r1 = r2 = r2map = r4 = r2imm = undefined; // calls clobber r1–r5
          continue;
        }
        const cls = ins.code & CLASS_MASK;
        if (cls === Class.ST || cls === Class.STX) {
          if ((ins.code & MODE_MASK) === Mode.MEM && ins.dst === R10) {
            const size = sizeBytes(ins.code);
            stack.push(cls === Class.STX ? { pc, off: ins.off, size, reg: ins.src } : { pc, off: ins.off, size, bytes: BigInt.asUintN(size * 8, BigInt(ins.imm)) });
          } else {
            stack = []; // through another pointer (or an atomic): it may be to the stack
          }
        }
        const fpOffset = (r: number, was: number | undefined): number | undefined =>
          !writesRegister(ins, r) ? was
          : ins.code === (Class.ALU64 | AluOp.MOV | Source.X) && ins.src === R10 && ins.off === 0 ? 0
          : ins.code === (Class.ALU64 | AluOp.ADD | Source.K) && was !== undefined ? was + ins.imm
          : undefined;
        r2fp = fpOffset(2, r2fp);
        r3fp = fpOffset(3, r3fp);
        if (writesRegister(ins, 1)) r1 = ins.code === OP_LDDW && ins.src === PseudoLd.MAP_FD ? Number(BigInt.asUintN(32, ins.imm64 ?? 0n)) : undefined;
        if (writesRegister(ins, 2)) {
          r2 = ins.code === OP_LDDW && ins.src === PseudoLd.FUNC ? callTarget(ins, pc) : undefined;
          r2map = ins.code === OP_LDDW && ins.src === PseudoLd.MAP_FD ? Number(BigInt.asUintN(32, ins.imm64 ?? 0n)) : undefined;
        }
        if (writesRegister(ins, 4)) r4 = movImm(ins);
        if (writesRegister(ins, 2)) r2imm = movImm(ins);
      }
    }
    shadowCount.set(sp.entry, shadows);
  }

  // Loop heads: every cycle of a function has an edge to a block at or before its source block, so a
  // budget decremented at those targets bounds every loop.
  const budget = opts.checked && (opts.backEdgeBudget ?? 0) > 0 ? opts.backEdgeBudget! : 0;
  const loopHeads = new Set<number>();
  if (budget > 0) {
    for (const sp of layout.subprograms) {
      for (const bb of sp.blocks) {
        const t = bb.term;
        const targets = t.kind === 'goto' ? [t.target] : t.kind === 'branch' ? [t.target, t.next] : [];
        for (const x of targets) if (x <= bb.start) loopHeads.add(x);
      }
    }
  }

  // A top-level run starts a new tail-call chain (and, checked, a new back-edge budget).
  const resetTailCalls = (): Expr[] => (tailCalls ? [m.i32.store(0, 4, k32(RUN_BASE + RUN.TAIL_CALLS), k32(0))] : []);
  const resetBudget = (): Expr[] => (budget > 0 ? [m.global.set(BUDGET, k64(budget))] : []);

  /**
   * One subprogram as the generic `sub_<entry>(r1..r5, r10, depth)`, or at a known depth as its clone
   * `sub_<entry>_at<depth>(r1..r5)` (the entry at depth 0: the exported `run`).
   */
  /** Loops to unroll (unroll.ts), per subprogram (shared by its clones). */
  const unrollCache = new Map<number, ReadonlyMap<number, Unroll>>();
  /**
   * Loops to vectorise (vectorize.ts; verified programs), per subprogram: not an unrolled one, and
   * only when no low-half fact at the head names a register the steps write (the steps would be a
   * predecessor the facts did not meet).
   */
  const vectorCache = new Map<number, ReadonlyMap<number, VectorPlan>>();
  let usesSimd = false;
  const vectorsOf = (sp: Subprogram, unrolls: ReadonlyMap<number, Unroll>, entries: ReadonlyMap<number, ReadonlyMap<number, Fact>>): ReadonlyMap<number, VectorPlan> => {
    let v = vectorCache.get(sp.entry);
    if (v) return v;
    const plans = opts.checked ? new Map<number, VectorPlan>() : vectorPlans(prog, sp);
    for (const [head, plan] of plans) {
      const writes = new Set([plan.iv, ...plan.reductions.map((r) => r.reg)]);
      const facts = entries.get(head) ?? new Map<number, Fact>();
      const named = [...facts].some(([r, f]) => writes.has(r) || writes.has(f.a) || (f.kind === 'sum' && f.b !== undefined && writes.has(f.b)));
      const chained = [...unrolls.values()].some((u) => u.chain?.some((b) => plan.blocks.includes(b)));
      if (unrolls.has(head) || named || chained) plans.delete(head);
    }
    if (plans.size > 0) usesSimd = true;
    vectorCache.set(sp.entry, (v = plans));
    return v;
  };
  /** Narrow stores of loaded bytes merged into wide copies (store_merge.ts; verified programs), per subprogram. */
  const mergeCache = new Map<number, StoreMerges>();
  const mergesOf = (sp: Subprogram): StoreMerges => {
    let s = mergeCache.get(sp.entry);
    if (!s) {
      s = opts.checked || !layout.framePointerFixed ? { copies: new Map(), dropped: new Set() } : storeMerges(prog, sp, (pc) => {
        // a store whose register is shadowed (key forwarding), a load of a slot kept in a local
        const ins = prog[pc]!;
        const slot = (ins.code & CLASS_MASK) === Class.LDX && ins.src === R10 && sizeBytes(ins.code) === 8 && slotsOf(sp).includes(ins.off);
        return shadowAt.has(pc) || slot;
      });
      mergeCache.set(sp.entry, s);
    }
    return s;
  };
  const wideCopy = (c: MergedCopy): Expr[] => {
    const s = address(c.srcReg, c.srcOff, c.width, false, c.at, true);
    const d = address(c.dstReg, c.dstOff, c.width, true, c.at, true);
    const v = c.width === 8 ? m.i64.load(s.offset, 1, s.ptr()) : c.width === 4 ? m.i32.load(s.offset, 1, s.ptr()) : m.i32.load16_u(s.offset, 1, s.ptr());
    const put = c.width === 8 ? m.i64.store(d.offset, 1, d.ptr(), v) : c.width === 4 ? m.i32.store(d.offset, 1, d.ptr(), v) : m.i32.store16(d.offset, 1, d.ptr(), v);
    return [...s.pre, ...d.pre, put];
  };
  const lowerSubprogram = (sp: Subprogram, depth?: number, as?: string): void => {
    frameDepth = depth;
    cpuoHere = sharedPercpu() !== undefined && percpuSites(sp) >= 2;
    const merges = mergesOf(sp);
    const slots = slotsOf(sp);
    slotLocals = new Map(slots.map((off, i) => [off, SLOT0 + i]));
    shadowBase = SLOT0 + slots.length;
    const burstBody = as === BURST_BODY && (ctxForward || slotArg);
    ctxHeld = burstBody && ctxForward ? ctxRegisters(prog, sp) : undefined;
    burstSlotHere = burstBody && slotArg;
    const rl = new B.Relooper(m);
    const ids = new Map<number, number>();
    let unrolls = unrollCache.get(sp.entry);
    if (!unrolls) unrollCache.set(sp.entry, (unrolls = opts.checked ? new Map<number, Unroll>() : unrollPlans(prog, sp)));
    let entries = lowHalvesAt.get(sp.entry);
    if (!entries) lowHalvesAt.set(sp.entry, (entries = blockEntries(prog, sp)));
    const vectors = vectorsOf(sp, unrolls, entries);
    // after the shadows, the vector loops' locals and the may_goto counter (the order of `vars` below)
    ctxLocal0 = shadowBase + (shadowCount.get(sp.entry) ?? 0) + [...vectors.values()].reduce((n, p) => n + vectorLocals(B, p).length, 0) + 1;
    const byStart = new Map(sp.blocks.map((b) => [b.start, b]));
    /** A block's instructions lowered, from the facts at its entry. */
    const blockBody = (bb: BasicBlock): Expr[] => {
      const stmts: Expr[] = [];
      lowHalves.reset(entries.get(bb.start));
      knownZeros.reset();
      for (let pc = bb.start; pc < bb.end; pc += prog[pc]!.code === OP_LDDW ? 2 : 1) {
        const mask = pc + 2 < bb.end ? bitMask(prog[pc]!, prog[pc + 1]!, prog[pc + 2]!) : undefined;
        if (mask !== undefined) {
          for (let i = 0; i < 3; i++) {
            checkRegs(prog[pc + i]!, pc + i);
            lowHalves.step(prog[pc + i]!);
            knownZeros.step(prog[pc + i]!);
          }
          stmts.push(mask);
          pc += 2;
          continue;
        }
        const pair = pc + 1 < bb.end ? extension(prog[pc]!, prog[pc + 1]!) : undefined;
        if (pair !== undefined) {
          checkRegs(prog[pc]!, pc);
          stmts.push(pair);
          lowHalves.step(prog[pc]!);
          lowHalves.step(prog[pc + 1]!);
          knownZeros.step(prog[pc]!);
          knownZeros.step(prog[pc + 1]!);
          pc++;
          continue;
        }
        for (const c of merges.copies.get(pc) ?? []) stmts.push(...wideCopy(c));
        if (!merges.dropped.has(pc)) stmts.push(...lowerInsn(prog[pc]!, pc));
        lowHalves.step(prog[pc]!);
        knownZeros.step(prog[pc]!);
      }
      return stmts;
    };
    // a clone is entered by direct calls only: from the inlined bpf_loops, when it is their callback
    const indexCount = depth !== undefined && layout.callbacks.includes(sp.entry) ? callbackCount(sp.entry) : undefined;
    for (const bb of sp.blocks) {
      const stmts: Expr[] = [];
      if (loopHeads.has(bb.start)) {
        stmts.push(
          m.global.set(BUDGET, m.i64.sub(m.global.get(BUDGET, i64), k64(1))),
          m.if(m.i64.eqz(m.global.get(BUDGET, i64)), m.block(null, [m.call(IMPORT_INSN_LIMIT, [k32(bb.start)], none), m.unreachable()])),
        );
      }
      // An unrolled loop block (unroll.ts): its instructions `count` times, each copy from the block's entry facts.
      const u = unrolls.get(bb.start);
      const copies = u && !u.chain ? u.count : 1;
      for (let copy = 0; copy < copies; copy++) stmts.push(...blockBody(bb));
      if (bb.term.kind === 'exit') stmts.push(m.return(get(R0)));
      ids.set(bb.start, rl.addBlock(block(stmts)));
    }
    // An unrolled chain (unroll.ts): copy 0 is its blocks as lowered above, copies 1.. are more blocks.
    const chainAt = new Map<number, { plan: Unroll; index: number }>();
    const chainIds = new Map<string, number>();
    for (const plan of unrolls.values()) {
      if (!plan.chain) continue;
      plan.chain.forEach((start, index) => chainAt.set(start, { plan, index }));
      for (let copy = 1; copy < plan.count; copy++) for (const start of plan.chain) chainIds.set(`${copy}:${start}`, rl.addBlock(block(blockBody(byStart.get(start)!))));
    }
    // A vectorised loop (vectorize.ts): its steps in a block of their own, entered instead of the head.
    const vecIds = new Map<number, number>();
    let vecLocal = shadowBase + (shadowCount.get(sp.entry) ?? 0);
    const vecVars: number[] = [];
    for (const plan of vectors.values()) {
      const local0 = vecLocal;
      const types = vectorLocals(B, plan);
      vecVars.push(...types);
      vecLocal += types.length;
      vecIds.set(plan.head, rl.addBlock(lowerVectorLoop({ B, m, get, set, local0 }, plan)));
      rl.addBranch(vecIds.get(plan.head)!, ids.get(plan.head)!, 0, 0);
    }
    const id = (slot: number): number => ids.get(slot)!;
    mayGotoLocal = vecLocal;
    if (burstBody && ctxLocal0 !== vecLocal + 1) throw new WxdpError('JIT_COMPILE', 'burst body: ctx locals misplaced');
    for (const bb of sp.blocks) {
      const from = id(bb.start);
      const t = bb.term;
      const to = (target: number): number => {
        const v = vecIds.get(target);
        return v !== undefined && !vectors.get(target)!.blocks.includes(bb.start) ? v : id(target);
      };
      const link = chainAt.get(bb.start);
      if (link && t.kind === 'branch') {
        // each copy of a chain block: its side exit as written, on to the same copy's next block; the
        // last block to the next copy's head, the last copy's out
        const { plan, index } = link;
        const chain = plan.chain!;
        const at = (copy: number, start: number): number => (copy === 0 ? id(start) : chainIds.get(`${copy}:${start}`)!);
        for (let copy = 0; copy < plan.count; copy++) {
          const here = at(copy, bb.start);
          if (index === chain.length - 1) {
            rl.addBranch(here, copy + 1 < plan.count ? at(copy + 1, chain[0]!) : to(plan.exit), 0, 0);
            continue;
          }
          const on = chain[index + 1]!;
          const cond = condition(prog[t.pc]!, t.pc);
          if (t.next === on) {
            rl.addBranch(here, to(t.target), cond, 0);
            rl.addBranch(here, at(copy, on), 0, 0);
          } else {
            rl.addBranch(here, at(copy, on), cond, 0);
            rl.addBranch(here, to(t.next), 0, 0);
          }
        }
        continue;
      }
      const unrolled = unrolls.get(bb.start);
      if (unrolled) {
        // the last copy leaves; the block that jumped back is left unreached
        rl.addBranch(from, to(unrolled.exit), 0, 0);
        continue;
      }
      if (t.kind === 'goto') {
        rl.addBranch(from, to(t.target), 0, 0);
      } else if (t.kind === 'branch') {
        // A callback clone's test of its index, decided by the loops' bounds (loop_index.ts)
        const decided = bb.start === sp.entry && indexCount !== undefined ? indexBranch(prog, sp, indexCount) : undefined;
        if (decided !== undefined) {
          rl.addBranch(from, to(decided ? t.target : t.next), 0, 0);
          continue;
        }
        const cond = condition(prog[t.pc]!, t.pc);
        if (t.target !== t.next) rl.addBranch(from, to(t.target), cond, 0);
        rl.addBranch(from, to(t.next), 0, 0);
      }
    }
    const body = rl.renderAndDispose(vecIds.get(sp.entry) ?? id(sp.entry), LABEL);
    // locals after the parameters: r0, r6–r9, label, tA, tB, tO (run: r10 and depth first)
    const vars = [i64, i64, i64, i64, i64, i32, i64, i64, i64, i32, i32, i32, i32, i32, i32, i64, ...slots.map(() => i64), ...Array.from({ length: shadowCount.get(sp.entry) ?? 0 }, () => i64), ...vecVars, i32, ...(burstBody ? [i64, i64, i64, i64] : [])];
    if (depth === undefined) {
      m.addFunction(subName(sp.entry), subParams, i64, vars, m.block(null, [...percpuPrologue(), body, m.unreachable()]));
      return;
    }
    const name = as ?? atName(sp.entry, depth);
    const frame = [m.local.set(slot(R10), k64(STACK_TOP - depth * STACK_SIZE)), m.local.set(DEPTH, k32(depth)), ...percpuPrologue()];
    // the burst loop's r2-r5 (see ctxLocal0)
    const ctxArgs = burstBody ? [0, 1, 2, 3].flatMap((k) => [m.local.set(ctxLocal0 + k, m.local.get(slot(2 + k), i64)), set(2 + k, k64(0))]) : [];
    const prologue = sp.entry === 0 && depth === 0 ? [...resetTailCalls(), ...clearThrown(), ...resetBudget(), ...ctxArgs, ...frame] : frame;
    m.addFunction(name, params(5, i64), i64, [i64, i32, ...vars], m.block(null, [...prologue, body, m.unreachable()]));
    if (name === EXPORT_RUN) m.addFunctionExport(EXPORT_RUN, EXPORT_RUN);
  };

  /**
   * xdp_burst(rx, first, n, ifindex, queue, out): the NAPI poll's inner loop for this program. For the
   * n descriptors of RX ring `rx` from index `first`, the xdp_buff is set up as xdp_setup does
   * (assembly/xdp.ts), the entry runs (a copy of `run` with this one caller, so binaryen inlines it),
   * and a BURST_RECORD_SIZE record goes to out[i]: r0, data, data_end, data_meta and the redirect
   * target fields. One call_indirect per burst instead of one per frame (assembly/napi.ts).
   */
  const addBurst = (entry: Subprogram): void => {
    lowerSubprogram(entry, 0, BURST_BODY);
    const [RX, FIRST, N, IFX, QI, OUT, I, E, DATA, HARD, META] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const R0L = 11;
    const [ENTS, MASK, LEN] = [12, 13, 14]; // the RX ring's entries and mask (per burst), the frame's length
    // a program nothing else reads the frame fields for (ctx_fields.ts ctxFramesUnread): the loop writes
    // none of them (see below)
    const frameBlind = ctxForward && ctxFramesUnread(prog, layout);
    const l = (k: number): Expr => m.local.get(k, i32);
    const ctxStore = (field: number, v: Expr): Expr => m.i32.store(0, 4, k32(CTX_BASE + field), v);
    const ctxLoad = (field: number): Expr => m.i32.load(0, 4, k32(CTX_BASE + field));
    const rec = (): Expr => m.i32.add(l(OUT), m.i32.mul(l(I), k32(BURST_RECORD_SIZE)));
    const dataEnd = (): Expr => m.i32.add(l(DATA), l(LEN));
    const dataMeta = (): Expr => m.i32.sub(l(DATA), l(META));
    // The entry's arguments past the ctx (lowerSubprogram's burst body): data, data_end and data_meta
    // when the program cannot move them (ctx_fields.ts), and with inline bpf_fib_lookup answers the
    // frame's slot in the poll's FIB warm-up, as assembly/napi.ts warmRing wrote it for the same
    // descriptors just before (napi_warm_slots), where fibLookupInline reads it. This loop had worked the
    // slot out again from the frame's header and stored it to ANS_SLOT, and the program's ctx loads had
    // read back the fields this loop had just stored. Together with the CPU word read once
    // (percpuPrologue), 12-07, xdp router 1M, one process, the programs built with and without attached
    // in alternated rounds, whole round: 77.9 -> 76.9 ns (paired median -1.15 ns, 34/40 rounds faster,
    // load 15-20); the fields alone -0.58 ns (24/40), the slot and CPU word over them 78.3 -> 77.2 (-1.05 ns,
    // 28/30, load 17-18).
    // XDP_DROP (no ctx load, no lookup: only the record's fields) 36.0 -> 36.1 ns, +0.22 (11/30): noise.
    // Code outside this copy of the entry (a subprogram's, a tail-called program's) reads ANS_SLOT:
    // stored too for the programs that have any.
    // The frame fields (hard_start, frame_end, data, data_meta, data_end, frags_len) are stored for each
    // frame only when something may read them from the context area: not for a program whose ctx loads
    // read the locals and that calls only helpers that read none of them (ctxFramesUnread; the redirect
    // fields are still zeroed and copied). 12-08, spr58, the two builds' programs attached in alternated
    // windows (100-200 rounds, 1,500 windows, load 15-24), 10th percentile of the whole round (generator
    // included): xdp_drop 35.22 -> 34.39 ns (paired median -0.75, faster in 956/1500; ~10 % of its data
    // path's ~7.2); xdp router 10k 67.02 -> 66.43 (-0.69, 814/1500; an A/A pair 0.998, 726/1500), 1M
    // 74.65 -> 74.00 (-0.67, 933/1500): ~1.4 % of the router's data path.
    const fa = opts.fibAnswers;
    const warmSlot = (): Expr => m.i32.load8_s(0, 1, m.i32.add(l(I), k32(fa!.warmSlots)));
    const slotStored = slotArg && (layout.subprograms.length > 1 || layout.helperIds.includes(HELPER_TAIL_CALL));
    const slotSet = slotStored ? [m.i32.store(0, 4, k32(fa!.base + fa!.slot), warmSlot())] : [];
    const args = (): Expr[] => [
      ...(ctxForward ? [l(DATA), dataEnd(), dataMeta()].map((v) => m.i64.extend_u(v)) : [k64(0), k64(0), k64(0)]),
      !slotArg ? k64(0) : m.i64.extend_s(slotStored ? m.i32.load(0, 4, k32(fa!.base + fa!.slot)) : warmSlot()),
    ];
    const perFrame = [
      // the descriptor: entries + ((first + i) & mask) * DESC.SIZE, the ring's geometry read once a burst
      // (perBurst) and the length once a frame (12-07, xdp router 1M, in-process, the two builds' programs
      // attached in alternated rounds, load 12-22: whole round 0.997x (9/12 rounds faster), 0.987x (16/20);
      // three loads a frame out of ~270 instructions: small, but less work in every XDP row)
      m.local.set(E, m.i32.add(l(ENTS), m.i32.mul(m.i32.and(m.i32.add(l(FIRST), l(I)), l(MASK)), k32(DESC.SIZE)))),
      m.local.set(DATA, m.i32.load(DESC.ADDR, 4, l(E))),
      m.local.set(LEN, m.i32.load(DESC.LEN, 4, l(E))),
      m.local.set(META, m.i32.and(m.i32.load(DESC.OPTIONS, 4, l(E)), k32(0xff))),
      ...slotSet,
      ...(frameBlind
        ? []
        : [
            m.local.set(HARD, m.i32.and(l(DATA), k32(~(FRAME_SIZE - 1)))),
            ctxStore(CTX.HARD_START, l(HARD)),
            ctxStore(CTX.FRAME_END, m.i32.add(l(HARD), k32(FRAME_SIZE))),
            ctxStore(CTX.DATA, l(DATA)),
            ctxStore(CTX.DATA_META, dataMeta()),
            ctxStore(CTX.DATA_END, dataEnd()),
          ]),
      // the redirect's ifindex and map (adjacent) in one store
      m.i64.store(0, 4, k32(CTX_BASE + CTX.REDIRECT_IFINDEX), k64(0)),
      m.i64.store(0, 8, k32(CTX_BASE + CTX.REDIRECT_FLAGS), k64(0)),
      ...(frameBlind ? [] : [ctxStore(CTX.FRAGS_LEN, k32(0))]),
      m.local.set(R0L, m.call(BURST_BODY, [k64(CTX_BASE), ...args()], i64)),
      m.i32.store(0, 4, rec(), m.i32.wrap(m.local.get(R0L, i64))),
      // data, data_end, data_meta one by one: each was stored alone, and one u64 load over the two u32
      // stores waits for both to reach the cache (tried 12-06: xdp drop 10.3 -> 12.7 ns a frame); the
      // redirect's ifindex and map in one load, as every writer stores them. A program that cannot move
      // them (ctx_fields.ts) leaves the loop's own.
      m.i32.store(4, 4, rec(), ctxForward ? l(DATA) : ctxLoad(CTX.DATA)),
      m.i32.store(8, 4, rec(), ctxForward ? dataEnd() : ctxLoad(CTX.DATA_END)),
      m.i32.store(12, 4, rec(), ctxForward ? dataMeta() : ctxLoad(CTX.DATA_META)),
      m.i64.store(16, 8, rec(), m.i64.load(0, 4, k32(CTX_BASE + CTX.REDIRECT_IFINDEX))),
      m.i64.store(24, 8, rec(), m.i64.load(0, 8, k32(CTX_BASE + CTX.REDIRECT_FLAGS))),
      m.local.set(I, m.i32.add(l(I), k32(1))),
      m.br('frame', m.i32.lt_u(l(I), l(N))),
    ];
    // Once a burst, not a frame: the fields a program cannot change (xdp_md is read-only to it, and no
    // helper writes these three); only the poll between bursts does (a devmap entry's program sets
    // egress_ifindex), and every burst starts here.
    const perBurst = [
      ctxStore(CTX.INGRESS_IFINDEX, l(IFX)),
      ctxStore(CTX.RX_QUEUE_INDEX, l(QI)),
      ctxStore(CTX.EGRESS_IFINDEX, k32(0)),
      // the RX ring's entries and mask: the poll does not resize a ring in a burst
      m.local.set(ENTS, m.i32.load(RING.ENTRIES, 4, l(RX))),
      m.local.set(MASK, m.i32.load(RING.MASK, 4, l(RX))),
    ];
    m.addFunction(
      EXPORT_BURST,
      B.createType([i32, i32, i32, i32, i32, i32]),
      none,
      [i32, i32, i32, i32, i32, i64, i32, i32, i32],
      m.if(m.i32.ne(l(N), k32(0)), m.block(null, [...perBurst, m.loop('frame', m.block(null, perFrame))])),
    );
    m.addFunctionExport(EXPORT_BURST, EXPORT_BURST);
  };

  {
    // Clones to lower: the pairs reached from run; none past SPECIALISE_MAX.
    const byEntry = new Map(layout.subprograms.map((sp) => [sp.entry, sp]));
    const work: Array<[number, number]> = [[0, 0]];
    while (work.length > 0 && specialised.size <= SPECIALISE_MAX) {
      const [entry, depth] = work.pop()!;
      const name = atName(entry, depth);
      const sp = byEntry.get(entry);
      if (!sp || specialised.has(name)) continue;
      specialised.set(name, { sp, depth });
      if (depth + 1 < MAX_FRAMES) for (const c of directCallees(sp)) work.push([c, depth + 1]);
    }
    // Too many clones (deep or wide call graphs): run alone is specialised, calls take the generic code.
    if (specialised.size > SPECIALISE_MAX) for (const k of [...specialised.keys()]) if (k !== EXPORT_RUN) specialised.delete(k);
  }
  for (const { sp, depth } of specialised.values()) lowerSubprogram(sp, depth);
  // The generic code (tail calls, the fast path's bpf_loop) goes through binaryen's passes too: added
  // after them, unoptimised, a tail-call target ran 2× slower (programs/xdp_ipv4 0.61 -> 1.30 × the kernel).
  for (const sp of layout.subprograms) lowerSubprogram(sp);

  if (opts.burst) addBurst(layout.subprograms.find((sp) => sp.entry === 0)!);

  // tail_entry(r1, r10, depth): a tail call into this program keeps the caller's frame and count.
  const zeros = (n: number): Expr[] => new Array(n).fill(0).map(() => k64(0));
  // A throw in a tail-called program ends at its entry: the cookie is what the tail call returns, and a
  // subprogram that made the tail call returns it to its caller, which goes on (6.18.44: selftests'
  // exception_tail_call, a subprogram tail-calling a program that throws 16, its caller adding 8: 24).
  const tailCall = (): Expr => m.call(subName(0), [m.local.get(0, i64), ...zeros(4), m.local.get(1, i64), m.local.get(2, i32)], i64);
  m.addFunction(
    EXPORT_TAIL_ENTRY,
    tailEntryType,
    i64,
    unwinds ? [i64] : [],
    unwinds ? m.block(null, [...clearThrown(), m.local.set(3, tailCall()), ...clearThrown(), m.local.get(3, i64)], i64) : tailCall(),
  );
  m.addFunctionExport(EXPORT_TAIL_ENTRY, EXPORT_TAIL_ENTRY);

  // cb_<slot>(r1..r5): a callback, one frame below the frame that called the helper taking it.
  for (const cb of layout.callbacks) {
    const depth = (): Expr => m.i32.add(m.i32.load(0, 4, k32(RUN_BASE + RUN.FRAME_DEPTH)), k32(1));
    const fp = m.i64.sub(m.i64.extend_u(m.i32.load(0, 4, k32(RUN_BASE + RUN.FRAME_PTR))), k64(STACK_SIZE));
    m.addFunction(
      callbackExportName(cb),
      params(5, i64),
      i64,
      unwinds ? [i64] : [],
      m.block(null, [
        m.if(m.i32.ge_u(depth(), k32(MAX_FRAMES)), m.block(null, [m.call(IMPORT_CALL_DEPTH, [k32(cb)], none), m.unreachable()])),
        ...clearThrown(),
        // a throw in the callback answers 1 (stop) to the helper looping over it, whose caller unwinds
        unwinds
          ? m.block(null, [
            m.local.set(5, m.call(subName(cb), [...[0, 1, 2, 3, 4].map((i) => m.local.get(i, i64)), fp, depth()], i64)),
            m.select(m.i32.load(0, 4, k32(thrownAt)), k64(1), m.local.get(5, i64)),
          ], i64)
          : m.call(subName(cb), [...[0, 1, 2, 3, 4].map((i) => m.local.get(i, i64)), fp, depth()], i64),
      ], i64),
    );
    m.addFunctionExport(callbackExportName(cb), callbackExportName(cb));
  }


  if (usesSimd) m.setFeatures(features | B.Features.SIMD128);
  if (!m.validate()) throw new WxdpError('JIT_COMPILE', 'binaryen rejected the generated module (see the validator output above)');

  switch (opts.optimize) {
    case 'none':
      break;
    case 'light':
      // Subprograms are small and hot (bpf-to-bpf helpers, bpf_loop callbacks): let binaryen inline more
      // than its defaults (2 always / 20 flexible), as clang's always_inline would have.
      withInlineLimits(B, () => m.runPasses(LIGHT_PASSES));
      break;
    case 'O2':
    case 'O3': {
      const before = B.getOptimizeLevel();
      B.setOptimizeLevel(opts.optimize === 'O2' ? 2 : 3);
      try {
        m.optimize();
      } finally {
        B.setOptimizeLevel(before);
      }
      break;
    }
  }
  // repeat(n, r1..r5): `run` n times (n >= 1) in one call, returning the last r0 — the in-wasm loop
  // behind BPF_PROG_TEST_RUN-style `repeat`, so a measurement pays one JS->wasm crossing, not n.
  // Added after binaryen's passes, so `run` is not inlined into it: a run costs a call, as a packet
  // does, and a program whose result does not depend on memory is not hoisted out of the loop (that
  // would make the figure meaningless).
  // When r2..r5 are zero (a program's ctx is its only argument, as for XDP), the loop passes constants:
  // V8 keeps no callee-saved registers, so each value live across the call is spilled and reloaded every
  // run (r1..r5, the count, the instance: seven loads a run), which is the harness's cost, not the program's.
  const repArgs = [1, 2, 3, 4, 5].map((i) => m.local.get(i, i64));
  const repLoop = (label: string, args: Expr[]): Expr =>
    m.loop(
      label,
      m.block(null, [
        m.local.set(6, m.call(EXPORT_RUN, args, i64)),
        m.local.set(0, m.i32.sub(m.local.get(0, i32), k32(1))),
        m.br(label, m.i32.gt_s(m.local.get(0, i32), k32(0))),
      ]),
    );
  m.addFunction(
    EXPORT_REPEAT,
    B.createType([i32, i64, i64, i64, i64, i64]),
    i64,
    [i64],
    m.block(null, [
      m.if(
        m.i64.eqz(m.i64.or(m.i64.or(repArgs[1]!, repArgs[2]!), m.i64.or(repArgs[3]!, repArgs[4]!))),
        repLoop('again_ctx', [m.local.get(1, i64), k64(0), k64(0), k64(0), k64(0)]),
        repLoop('again', [1, 2, 3, 4, 5].map((i) => m.local.get(i, i64))),
      ),
      m.local.get(6, i64),
    ], i64),
  );
  m.addFunctionExport(EXPORT_REPEAT, EXPORT_REPEAT);

  // run_guarded(r1..r5): what a device and a devmap entry call in checked mode. A fault (a checked
  // access outside the run's regions, a helper's or the call depth's error, the back-edge budget) is a
  // JS exception thrown by an import; it unwinds to here and the run ends with XDP_ABORTED (0), so the
  // poll counts, traces and drops the frame as the kernel does with a program exception, then goes on.
  if (opts.checked) {
    m.addFunction(
      EXPORT_RUN_GUARDED,
      params(5, i64),
      i64,
      [],
      m.try('guard', m.call(EXPORT_RUN, repArgs.map((_, i) => m.local.get(i, i64)), i64), [], [k64(0)]), // no tags and one body: catch_all
    );
    m.addFunctionExport(EXPORT_RUN_GUARDED, EXPORT_RUN_GUARDED);
  }

  const out: EmitResult = { bytes: m.emitBinary() as Uint8Array<ArrayBuffer> };
  if (opts.text) out.text = m.emitText();
  return out;
}
