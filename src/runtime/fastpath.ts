// The AssemblyScript module (build/fastpath.wasm) instantiated over an EngineMemory. It owns the map
// arena and exports the hot helpers JIT'd programs import directly (wasm to wasm).

import { readFileSync } from 'node:fs';
import { WxdpError } from '../errors.js';
import type { EngineMemory } from './memory.js';
import type { WasmTable } from './wasm_types.js';

// Two builds of one source: fastpath.wasm imports an unshared memory; fastpath.shared.wasm (asconfig's
// `shared` target: --sharedMemory, threads) a shared one, for worker threads (src/control/workers.ts).
const WASM_FILE = { plain: 'fastpath.wasm', shared: 'fastpath.shared.wasm' } as const;

const modulePromises: { plain?: Promise<WebAssembly.Module>; shared?: Promise<WebAssembly.Module> } = {};

function wasmBytes(file: string): Buffer {
  for (const u of [new URL(`../../build/${file}`, import.meta.url), new URL(`../../../build/${file}`, import.meta.url)]) {
    try {
      return readFileSync(u);
    } catch {
      // try the next location (src/ under vitest, dist/src/ when built)
    }
  }
  throw new WxdpError('USAGE', `build/${file} is missing: run \`npm run build\` (npm ci does it)`);
}

/** @internal The compiled fast path for a memory that is `shared` or not (compiled once per process). */
export function fastPathModule(shared: boolean): Promise<WebAssembly.Module> {
  const kind = shared ? 'shared' : 'plain';
  return (modulePromises[kind] ??= WebAssembly.compile(new Uint8Array(wasmBytes(WASM_FILE[kind]))));
}

/** @internal */
export type FastPathExports = Record<string, WebAssembly.ExportValue>;

/**
 * The build moves the module's layout constants (`export const`) out of its exports into one custom
 * section (scripts/fastpath-consts.mjs: ~1,530 global exports made instantiation cost per export):
 * read once per compiled module, values as `WebAssembly.Global.value` would give them.
 */
const CONSTS_SECTION = 'wxdp.consts';
const constTables = new WeakMap<WebAssembly.Module, ReadonlyMap<string, number | bigint>>();

function constsOf(module: WebAssembly.Module): ReadonlyMap<string, number | bigint> {
  let table = constTables.get(module);
  if (table) return table;
  const sections = WebAssembly.Module.customSections(module, CONSTS_SECTION);
  const raw = sections.length ? (JSON.parse(new TextDecoder().decode(sections[0])) as Record<string, number | [string, string]>) : {};
  table = new Map(Object.entries(raw).map(([k, v]) => [k, Array.isArray(v) ? BigInt(v[1]) : v]));
  constTables.set(module, table);
  return table;
}

/**
 * The constants as immutable WebAssembly.Globals, made once per module and shared by its instances:
 * the prototype of every FastPath's `exports`, so that `exports[name].value` reads a constant as
 * before the build moved it (tests, flowtable.ts and conntrack.ts do).
 */
const constGlobals = new WeakMap<WebAssembly.Module, FastPathExports>();

function constGlobalsOf(module: WebAssembly.Module): FastPathExports {
  let globals = constGlobals.get(module);
  if (globals) return globals;
  globals = Object.create(null) as FastPathExports;
  for (const [k, v] of constsOf(module)) globals[k] = new WebAssembly.Global({ value: typeof v === 'bigint' ? 'i64' : 'i32', mutable: false }, v);
  constGlobals.set(module, globals);
  return globals;
}

/** A word nobody notifies: Atomics.wait on it is a sleep. */
const napWord = new Int32Array(new SharedArrayBuffer(4));

/**
 * The shared build's sleep (net/reclaim.ts hostNap: the control plane waiting for a grace period), `us`
 * microseconds. Not the module's own memory.atomic.wait32: Node 20's Liftoff loses the caller's loop
 * state across it.
 */
export function nap(us: number): void {
  Atomics.wait(napWord, 0, 0, us / 1000);
}

/** FastPath.xdpEntries: what kind of XDP program a table slot's entry is. */
export type XdpEntryKind = 'xdp' | 'xdp_devmap' | 'xdp_cpumap' | 'bound';

export class FastPath {
  readonly memory: EngineMemory;
  /** @internal */
  readonly instance: WebAssembly.Instance;
  /** @internal */
  readonly exports: FastPathExports;
  /** Functions JIT'd programs reach through call_indirect: tail-call targets and callbacks. */
  readonly table: WasmTable;
  /**
   * The table slots that hold a program's XDP entry (Program.fd; the Datapath adds and removes them), each with its
   * program's kind — expected_attach_type (BPF_XDP 'xdp', BPF_XDP_DEVMAP, BPF_XDP_CPUMAP) or 'bound' (loaded
   * device-bound): the only values a devmap's or cpumap's bpf_prog.fd may take (maps/map.ts update), as the fast path
   * calls that slot; a devmap takes only xdp_devmap programs, a cpumap only xdp_cpumap ones, as the kernel's.
   */
  readonly xdpEntries = new Map<number, XdpEntryKind>();

  /** The module's layout constants (scripts/fastpath-consts.mjs), by export name. */
  private readonly consts: ReadonlyMap<string, number | bigint>;

  private constructor(memory: EngineMemory, module: WebAssembly.Module, instance: WebAssembly.Instance, table: WebAssembly.Table) {
    this.memory = memory;
    this.instance = instance;
    this.consts = constsOf(module);
    // own properties: the instance's exports (functions, mutable globals), copied as one object; constants: the prototype's
    this.exports = Object.assign(Object.create(constGlobalsOf(module)) as FastPathExports, instance.exports);
    this.table = table;
  }

  static async load(memory: EngineMemory): Promise<FastPath> {
    const module = await fastPathModule(memory.shared);
    const table = new WebAssembly.Table({ element: 'anyfunc', initial: 1, maximum: 65536 });
    const instance = await WebAssembly.instantiate(module, {
      env: {
        memory: memory.memory,
        table,
        abort: (_msg: number, _file: number, line: number, col: number) => {
          throw new WxdpError('RUN_HELPER', `fast path aborted at ${line}:${col}`);
        },
        nap,
      },
    });
    return new FastPath(memory, module, instance, table);
  }

  /** Put a wasm function in the shared table (tail-call targets, callbacks); returns its index. */
  addToTable(fn: Function | null): number {
    const index = this.table.length;
    this.table.grow(1);
    this.table.set(index, fn);
    return index;
  }

  /** An exported function, typed by the caller. */
  fn<T extends (...args: never[]) => unknown>(name: string): T {
    const f = this.instance.exports[name];
    if (typeof f !== 'function') throw new WxdpError('USAGE', `the fast path does not export '${name}'`);
    return f as unknown as T;
  }

  /** An exported global's value. */
  global(name: string): number {
    const c = this.consts.get(name);
    if (c !== undefined) return c as number;
    const g = this.instance.exports[name];
    if (!(g instanceof WebAssembly.Global)) throw new WxdpError('USAGE', `the fast path does not export global '${name}'`);
    return g.value as number;
  }
}
