// A compiled program bound to one EngineMemory: the wasm Instance, its imports (faults, helpers) and
// the per-run entry. `run()` is the hot path of benchmarks: it allocates only the result object.

import { callbackFault, callDepthFault, memFault, RuntimeFault, WxdpError } from '../errors.js';
import { helperName, type HelperTable } from '../helpers/index.js';
import { MAX_FRAMES } from '../isa/opcodes.js';
import { STACK_REGION, WALK_REGION, type EngineMemory, type Region } from '../runtime/memory.js';
import { HelperArgMemo } from './arg_memo.js';
import type { Engine, RunRequest, RunResult } from '../runtime/types.js';
import type { FastPath } from '../runtime/fastpath.js';
import {
  callbackExportName,
  callbackSlotGlobal,
  EXPORT_TAIL_ENTRY,
  HELPER_TAIL_CALL,
  IMPORT_PROG_ARRAY_GET,
  IMPORT_TABLE,
  wasmHelperImportName,
  EXPORT_BURST,
  EXPORT_REPEAT,
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
  REGION_SLOTS,
} from './abi.js';

/** What the cache keeps per program: everything but the binding to a memory and helper table. */
export interface CompiledModule {
  /** @internal */
  module: WebAssembly.Module;
  checked: boolean;
  /** Helper ids called with `call imm` (signed, as in the instruction). */
  helperIds: readonly number[];
  /** Helper ids imported as wasm functions of the fast path. */
  wasmHelpers: readonly number[];
  /** bpf_tail_call is lowered through the fast path's table. */
  tailCalls: boolean;
  /** Callback subprograms (bpf_loop) to register in the fast path's table. */
  callbacks: readonly number[];
  /** Checked mode's back-edge budget per run (0: none; then no insn_limit import). */
  backEdgeBudget: number;
  usesCallx: boolean;
  /** The module exports xdp_burst. */
  burst: boolean;
  /** Size of the wasm binary. */
  wasmBytes: number;
  /** Milliseconds from the instruction array to a WebAssembly.Module (excluding binaryen's load). */
  compileMs: number;
  /** The wasm bytes came from the on-disk cache (src/cache): binaryen was not needed. */
  fromDisk?: boolean;
}

export interface JitProgramInfo {
  /** Whether the Module came from the cache. */
  cached: boolean;
  /** Whether the wasm came from the on-disk cache (src/cache): no binaryen in this process for it. */
  fromDisk: boolean;
  compileMs: number;
  wasmBytes: number;
}

type Entry = (r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint;
type Repeat = (n: number, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint;
type SetRegion = (slot: number, start: number, len: number, writable: number) => void;
type SetPacket = (readable: number, writable: number) => void;

const NO_REGION = -1;

export class JitProgram implements Engine {
  readonly name = 'jit' as const;
  /** @internal */
  readonly module: WebAssembly.Module;
  /** @internal */
  readonly instance: WebAssembly.Instance;
  readonly info: JitProgramInfo;
  readonly checked: boolean;

  private readonly entry: Entry;
  private readonly repeatEntry: Repeat;
  private readonly setRegion: SetRegion | undefined;
  private readonly setPacket: SetPacket | undefined;
  // The packet region now: 0 none, 1 read-only, 2 read-write.
  private packetMode = 0;
  // What each region slot holds now (slots [0, slotsUsed) are in use).
  private readonly slotStart = new Float64Array(JIT_REGION_SLOTS).fill(NO_REGION);
  private readonly slotEnd = new Float64Array(JIT_REGION_SLOTS).fill(NO_REGION);
  private readonly slotWritable = new Uint8Array(JIT_REGION_SLOTS);
  private slotsUsed = 0;
  // The regions bound now, the stack first (what check_helper checks against).
  private bound: readonly Region[] = [STACK_REGION, WALK_REGION];
  // The last fault an import raised: run_guarded swallows it, takeFault() tells.
  private readonly faults: { last?: unknown } = {};

  private readonly fastPath: FastPath | undefined;
  /** The table indexes of this program's callbacks (what a kfunc calling back may be given). */
  private readonly callbackSlots = new Set<number>();
  private tableSlot = -1;
  private runSlot = -1;
  private burstSlot = -1;

  constructor(compiled: CompiledModule, memory: EngineMemory, helpers: HelperTable, cached: boolean, fastPath?: FastPath) {
    this.module = compiled.module;
    this.checked = compiled.checked;
    this.fastPath = fastPath;
    this.info = { cached, fromDisk: compiled.fromDisk ?? false, compileMs: compiled.compileMs, wasmBytes: compiled.wasmBytes };
    this.instance = new WebAssembly.Instance(compiled.module, { [IMPORT_MODULE]: bindImports(compiled, memory, helpers, fastPath, () => this.bound, this.faults, this.callbackSlots) });
    const ex = this.instance.exports;
    for (const cb of compiled.callbacks) {
      if (!fastPath) throw new WxdpError('USAGE', 'a program with callbacks (bpf_loop) needs the fast path');
      const slot = fastPath.addToTable(ex[callbackExportName(cb)] as Function);
      (ex[callbackSlotGlobal(cb)] as WebAssembly.Global).value = slot;
      this.callbackSlots.add(slot);
    }
    this.entry = ex[EXPORT_RUN] as Entry;
    this.repeatEntry = ex[EXPORT_REPEAT] as Repeat;
    this.setRegion = compiled.checked ? (ex[EXPORT_SET_REGION] as SetRegion) : undefined;
    this.setPacket = compiled.checked ? (ex[EXPORT_SET_PACKET] as SetPacket) : undefined;
    // the map walks' keys (one fixed region, read only): the slot past a run's, bound once
    if (this.setRegion) this.assignSlot(REGION_SLOTS, WALK_REGION);
  }

  run(req: RunRequest): RunResult {
    return this.runRepeated(req, 1);
  }

  /**
   * The fault that ended the last guarded run (run_guarded returns XDP_ABORTED and forgets it), cleared
   * by the call: what a test run through the table (sk_lookup) reports as the program's error.
   */
  takeFault(): unknown {
    const f = this.faults.last;
    this.faults.last = undefined;
    return f;
  }

  /** @internal The table slots given out so far (tail entry, run entry, burst): what may hold this program. */
  get slotsGiven(): number[] {
    return [this.tableSlot, this.runSlot, this.burstSlot].filter((s) => s >= 0);
  }

  /** This program's index in the fast path's table: what a prog_array holds to tail-call it. */
  get tableIndex(): number {
    if (this.tableSlot < 0) {
      if (!this.fastPath) throw new WxdpError('USAGE', 'tail calls need the fast path');
      this.tableSlot = this.fastPath.addToTable(this.instance.exports[EXPORT_TAIL_ENTRY] as Function);
    }
    return this.tableSlot;
  }

  /**
   * The slot of this program's `run` (r1..r5 i64 -> i64) in the fast path's table: what a device's
   * NAPI poll and a devmap entry call per frame (call_indirect), the entry resetting the tail-call count.
   */
  get runTableIndex(): number {
    if (this.runSlot < 0) {
      if (!this.fastPath) throw new WxdpError('USAGE', 'attaching to a device needs the fast path');
      // Checked: the guarded entry, so a fault ends the run as XDP_ABORTED instead of unwinding the poll.
      this.runSlot = this.fastPath.addToTable(this.instance.exports[this.checked ? EXPORT_RUN_GUARDED : EXPORT_RUN] as Function);
    }
    return this.runSlot;
  }

  /**
   * The slot of this program's xdp_burst in the fast path's table, or 0 when it was compiled without.
   * A checked program has none: the poll calls its guarded entry per frame (runTableIndex).
   */
  get burstTableIndex(): number {
    const f = this.instance.exports[EXPORT_BURST];
    if (typeof f !== 'function' || !this.fastPath || this.checked) return 0;
    if (this.burstSlot < 0) this.burstSlot = this.fastPath.addToTable(f as Function);
    return this.burstSlot;
  }

  /**
   * Run the program `repeat` times inside wasm (one JS->wasm call) and return the last r0 — the
   * equivalent of BPF_PROG_TEST_RUN's repeat. Memory is not reset between iterations.
   */
  runRepeated(req: RunRequest, repeat: number): RunResult {
    if (!Number.isInteger(repeat) || repeat < 1 || repeat > 0x7fffffff) {
      throw new WxdpError('USAGE', `repeat must be an integer in [1, 2^31), got ${repeat}`);
    }
    const regions = req.regions;
    if (this.setRegion && (regions.length !== 0 || this.slotsUsed !== 0 || this.packetMode !== 0)) this.bindRegions(regions);
    const a = req.args;
    let r0: bigint;
    try {
      r0 =
        repeat === 1
          ? this.entry(a[0] ?? 0n, a[1] ?? 0n, a[2] ?? 0n, a[3] ?? 0n, a[4] ?? 0n)
          : this.repeatEntry(repeat, a[0] ?? 0n, a[1] ?? 0n, a[2] ?? 0n, a[3] ?? 0n, a[4] ?? 0n);
    } catch (e) {
      throw translateTrap(e);
    }
    // wasm hands i64 back signed; registers are reported unsigned, as the interpreter does.
    return { r0: r0 >= 0n ? r0 : BigInt.asUintN(64, r0) };
  }

  /**
   * Give this program a run's regions without running it: a program reached by a tail call checks its
   * accesses against the regions of the run it joins.
   */
  setRegions(regions: readonly Region[]): void {
    if (this.setRegion && (regions.length !== 0 || this.slotsUsed !== 0 || this.packetMode !== 0)) this.bindRegions(regions);
  }

  /** Load the run's regions into the module's slots; unchanged slots cost a compare, not a wasm call. */
  private bindRegions(all: readonly Region[]): void {
    this.bound = [STACK_REGION, WALK_REGION, ...all];
    let packet = 0;
    let regions = all;
    if (all.some((g) => g.packet)) {
      const p = all.find((g) => g.packet)!;
      packet = p.writable ? 2 : 1;
      regions = all.filter((g) => !g.packet);
    }
    if (packet !== this.packetMode) {
      this.setPacket!(packet !== 0 ? 1 : 0, packet === 2 ? 1 : 0);
      this.packetMode = packet;
    }
    // An empty region covers no byte a load or store could reach: it takes no slot (the object heap's spans
    // not in use yet, helpers/obj_kfuncs.ts, 8 of them for any program calling the object kfuncs; a map that
    // gives no value pointers). Helpers still see every region (this.bound).
    let n = 0;
    for (const g of regions) if (g.end > g.start) n++;
    if (n > REGION_SLOTS) {
      throw new WxdpError('USAGE', `the JIT checks at most ${REGION_SLOTS} regions besides the stack, got ${n}`);
    }
    let k = 0;
    for (const g of regions) {
      if (g.end <= g.start) continue;
      if (g.start !== this.slotStart[k] || g.end !== this.slotEnd[k] || +g.writable !== this.slotWritable[k]) {
        this.assignSlot(k, g);
      }
      k++;
    }
    for (let k = n; k < this.slotsUsed; k++) this.assignSlot(k, undefined);
    this.slotsUsed = n;
  }

  private assignSlot(k: number, g: Region | undefined): void {
    if (g && !(Number.isInteger(g.start) && Number.isInteger(g.end) && g.start >= 0 && g.end <= 0xffff_ffff)) {
      throw new WxdpError('USAGE', `region ${g.name} [${g.start}, ${g.end}) is not a 32-bit address range`);
    }
    const start = g ? g.start : 0;
    const len = g ? Math.max(0, g.end - g.start) : 0;
    this.setRegion!(k, start | 0, len | 0, g?.writable ? 1 : 0);
    this.slotStart[k] = g ? g.start : NO_REGION;
    this.slotEnd[k] = g ? g.end : NO_REGION;
    this.slotWritable[k] = g ? +g.writable : 0;
  }
}

function bindImports(c: CompiledModule, mem: EngineMemory, helpers: HelperTable, fp: FastPath | undefined, regions: () => readonly Region[], faults: { last?: unknown }, callbackSlots: ReadonlySet<number>): WebAssembly.ModuleImports {
  const argMemo = new HelperArgMemo(mem);
  const imports: WebAssembly.ModuleImports = {
    [IMPORT_CHECK_HELPER]: (id: number, pc: number, l1: number, h1: number, l2: number, h2: number, l3: number, h3: number, l4: number, h4: number, l5: number, h5: number): void => {
      const f = argMemo.checkHalves(id, pc, l1, h1, l2, h2, l3, h3, l4, h4, l5, h5, regions());
      if (f) throw (faults.last = f);
    },
    [IMPORT_MEMORY]: mem.memory,
    [IMPORT_FAULT]: (pc: number, addr: bigint, size: number, write: number): never => {
      throw (faults.last = memFault(pc, addr, size, write !== 0));
    },
    [IMPORT_BAD_CALLBACK]: (pc: number, value: bigint): never => {
      throw (faults.last = callbackFault(pc, value));
    },
    [IMPORT_CALL_DEPTH]: (pc: number): never => {
      throw (faults.last = callDepthFault(pc, MAX_FRAMES));
    },
  };
  if (c.backEdgeBudget > 0) {
    imports[IMPORT_INSN_LIMIT] = (pc: number): never => {
      throw (faults.last = new RuntimeFault('RUN_INSN_LIMIT', `${c.backEdgeBudget} backward jumps in one run: an unbounded loop? (the loop head)`, pc));
    };
  }
  // Helpers are looked up per call, as the interpreter does, so a table filled after compile works.
  // one context object, its pc set at each call (helpers read it during the call only)
  // a kfunc calling the program back (bpf_rbtree_add's less()): the callback's table entry, cb_<slot>,
  // which runs one frame below the frame the call stored (emit.ts stores it before such a call)
  const callback = (fn: bigint, r1: bigint, r2: bigint): bigint => {
    const slot = Number(BigInt.asUintN(64, fn));
    if (!fp || !callbackSlots.has(slot)) throw callbackFault(ctx.pc, fn);
    return BigInt.asUintN(64, (fp.table.get(slot) as (a: bigint, b: bigint, c: bigint, d: bigint, e: bigint) => bigint)(r1, r2, 0n, 0n, 0n));
  };
  const ctx = { mem, pc: 0, callback };
  const callHelper = (id: number, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint, pc: number): bigint => {
    const def = helpers.get(id);
    if (!def) throw (faults.last = new RuntimeFault('RUN_HELPER', `call to unknown helper ${helperName(id)} (id ${id})`, pc));
    try {
      ctx.pc = pc;
      return def.fn(r1, r2, r3, r4, r5, ctx);
    } catch (e) {
      throw (faults.last = e);
    }
  };
  for (const id of c.wasmHelpers) imports[wasmHelperImportName(id)] = helpers.get(id)!.wasm!;
  if (c.tailCalls) {
    imports[IMPORT_TABLE] = fp!.table;
    imports[IMPORT_PROG_ARRAY_GET] = fp!.fn(IMPORT_PROG_ARRAY_GET);
  }
  for (const id of c.helperIds) {
    if (c.wasmHelpers.includes(id) || (id === HELPER_TAIL_CALL && c.tailCalls)) continue;
    imports[helperImportName(id)] = (r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint, pc: number): bigint =>
      callHelper(id, r1, r2, r3, r4, r5, pc);
  }
  if (c.usesCallx) {
    imports[IMPORT_CALLX] = (id: bigint, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint, pc: number): bigint =>
      callHelper(Number(BigInt.asUintN(32, id)), r1, r2, r3, r4, r5, pc);
  }
  return imports;
}

/**
 * A wasm trap in a run: an unchecked program touched memory that is not there (or, on a shared memory,
 * made a misaligned atomic access). The instruction is unknown, so the index is -1.
 */
function translateTrap(e: unknown): unknown {
  if (e instanceof WebAssembly.RuntimeError) {
    const f = new RuntimeFault('RUN_MEM_FAULT', `WebAssembly trap: ${e.message}`, -1);
    (f as { cause?: unknown }).cause = e;
    return f;
  }
  return e;
}
