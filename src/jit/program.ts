// A compiled program bound to one EngineMemory: the wasm Instance, its imports (faults, helpers) and
// the per-run entry. `run()` is the hot path of benchmarks: it allocates only the result object.

import { callDepthFault, memFault, RuntimeFault, WxdpError } from '../errors.js';
import { helperName, type HelperTable } from '../helpers/index.js';
import { MAX_FRAMES } from '../isa/opcodes.js';
import type { EngineMemory, Region } from '../runtime/memory.js';
import type { Engine, RunRequest, RunResult } from '../runtime/types.js';
import {
  EXPORT_RUN,
  EXPORT_SET_REGION,
  helperImportName,
  IMPORT_CALL_DEPTH,
  IMPORT_CALLX,
  IMPORT_FAULT,
  IMPORT_MEMORY,
  IMPORT_MODULE,
  REGION_SLOTS,
} from './abi.js';

/** What the cache keeps per program: everything but the binding to a memory and helper table. */
export interface CompiledModule {
  module: WebAssembly.Module;
  checked: boolean;
  /** Helper ids called with `call imm` (signed, as in the instruction). */
  helperIds: readonly number[];
  usesCallx: boolean;
  /** Size of the wasm binary. */
  wasmBytes: number;
  /** Milliseconds from the instruction array to a WebAssembly.Module (excluding binaryen's load). */
  compileMs: number;
}

export interface JitProgramInfo {
  /** Whether the Module came from the cache. */
  cached: boolean;
  compileMs: number;
  wasmBytes: number;
}

type Entry = (r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint;
type SetRegion = (slot: number, start: number, len: number, writable: number) => void;

const NO_REGION = -1;

export class JitProgram implements Engine {
  readonly name = 'jit' as const;
  readonly module: WebAssembly.Module;
  readonly instance: WebAssembly.Instance;
  readonly info: JitProgramInfo;
  readonly checked: boolean;

  private readonly entry: Entry;
  private readonly setRegion: SetRegion | undefined;
  // What each region slot holds now, so unchanged regions cost no call into wasm.
  private readonly slotStart = new Array<number>(REGION_SLOTS).fill(NO_REGION);
  private readonly slotEnd = new Array<number>(REGION_SLOTS).fill(NO_REGION);
  private readonly slotWritable = new Array<boolean>(REGION_SLOTS).fill(false);

  constructor(compiled: CompiledModule, memory: EngineMemory, helpers: HelperTable, cached: boolean) {
    this.module = compiled.module;
    this.checked = compiled.checked;
    this.info = { cached, compileMs: compiled.compileMs, wasmBytes: compiled.wasmBytes };
    this.instance = new WebAssembly.Instance(compiled.module, { [IMPORT_MODULE]: bindImports(compiled, memory, helpers) });
    const ex = this.instance.exports;
    this.entry = ex[EXPORT_RUN] as Entry;
    this.setRegion = compiled.checked ? (ex[EXPORT_SET_REGION] as SetRegion) : undefined;
  }

  run(req: RunRequest): RunResult {
    if (this.setRegion) this.bindRegions(req.regions);
    const a = req.args;
    let r0: bigint;
    try {
      r0 = this.entry(a[0] ?? 0n, a[1] ?? 0n, a[2] ?? 0n, a[3] ?? 0n, a[4] ?? 0n);
    } catch (e) {
      throw translateTrap(e);
    }
    // wasm hands i64 back signed; registers are reported unsigned, as the interpreter does.
    return { r0: r0 >= 0n ? r0 : BigInt.asUintN(64, r0) };
  }

  private bindRegions(regions: readonly Region[]): void {
    if (regions.length > REGION_SLOTS) {
      throw new WxdpError('USAGE', `the JIT checks at most ${REGION_SLOTS} regions besides the stack, got ${regions.length}`);
    }
    for (let k = 0; k < REGION_SLOTS; k++) {
      const g = regions[k];
      const start = g ? g.start : NO_REGION;
      const end = g ? g.end : NO_REGION;
      const writable = g ? g.writable : false;
      if (start === this.slotStart[k] && end === this.slotEnd[k] && writable === this.slotWritable[k]) continue;
      if (g && !(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end <= 2 ** 32 - 1)) {
        throw new WxdpError('USAGE', `region ${g.name} [${start}, ${end}) is not a 32-bit address range`);
      }
      this.setRegion!(k, g ? start | 0 : 0, g ? Math.max(0, end - start) | 0 : 0, writable ? 1 : 0);
      this.slotStart[k] = start;
      this.slotEnd[k] = end;
      this.slotWritable[k] = writable;
    }
  }
}

function bindImports(c: CompiledModule, mem: EngineMemory, helpers: HelperTable): WebAssembly.ModuleImports {
  const imports: WebAssembly.ModuleImports = {
    [IMPORT_MEMORY]: mem.memory,
    [IMPORT_FAULT]: (pc: number, addr: bigint, size: number, write: number): never => {
      throw memFault(pc, addr, size, write !== 0);
    },
    [IMPORT_CALL_DEPTH]: (pc: number): never => {
      throw callDepthFault(pc, MAX_FRAMES);
    },
  };
  // Helpers are looked up per call, as the interpreter does, so a table filled after compile works.
  const callHelper = (id: number, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint, pc: number): bigint => {
    const def = helpers.get(id);
    if (!def) throw new RuntimeFault('RUN_HELPER', `call to unknown helper ${helperName(id)} (id ${id})`, pc);
    return def.fn(r1, r2, r3, r4, r5, { mem, pc });
  };
  for (const id of c.helperIds) {
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
