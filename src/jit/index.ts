// The eBPF → WebAssembly JIT: `compile(prog, opts)` gives a JitProgram (an Engine) bound to
// opts.memory. Modules are cached per program text and shape, so compiling the same program again
// (another memory, another helper table) only instantiates.
//
//   Insn[] ──cfg.ts──▶ subprograms, basic blocks ──emit.ts (binaryen, Relooper)──▶ wasm bytes
//          ──WebAssembly.Module (cached)──program.ts──▶ Instance over opts.memory + JS imports

import { encode, type Insn } from '../isa/insn.js';
import type { EngineOptions } from '../runtime/types.js';
import { analyze, type ProgramLayout } from './cfg.js';
import { emitModule, loadBinaryen, type EmitOptions, type FibAnswers, type InlineArray, type InlineHash, type InlineTrie, type OptimizeMode, type RunAreas } from './emit.js';
import { HELPER_FIB_LOOKUP } from './abi.js';
import { BURST_MAX, MAP_HDR, type EngineMemory } from '../runtime/memory.js';
import type { FastPath } from '../runtime/fastpath.js';
import type { VerifierFacts } from '../verifier/verifier.js';

const BPF_MAP_TYPE_HASH = 1;
const BPF_MAP_TYPE_PERCPU_HASH = 5;
const BPF_MAP_TYPE_LPM_TRIE = 11;
const BPF_MAP_TYPE_LRU_HASH = 9;
const BPF_MAP_TYPE_HASH_OF_MAPS = 13;
import { JitProgram, type CompiledModule } from './program.js';
import { arrayMapsOf, mapRefs } from './array_maps.js';
import { percpuStride } from '../maps/uapi.js';
import { programCache } from '../cache/program_cache.js';

export { JitProgram, type CompiledModule, type JitProgramInfo } from './program.js';
export { REGION_SLOTS } from './abi.js';
export type { OptimizeMode, RunAreas } from './emit.js';

export interface JitOptions extends EngineOptions {
  /**
   * Optimise the module with binaryen (default true, meaning the `'light'` pipeline: inlining plus a
   * few cheap passes, as fast at run time as -O3 for a fraction of the build). A mode name picks another
   * pipeline; false skips binaryen's optimiser (V8 still optimises, but calls stay calls).
   */
  optimize?: boolean | OptimizeMode;
  /**
   * Checked mode: backward jumps one run may take before it ends with RUN_INSN_LIMIT (default 100M,
   * about a second), so an unverified program with an unbounded loop cannot hang its caller. 0: none.
   */
  maxBackEdges?: number;
  /** Also emit `xdp_burst`, the entry a device's NAPI poll calls once per burst (src/jit/abi.ts). */
  burst?: boolean;
  /** A worker's run areas (src/control/workers.ts): the module is that worker's copy. */
  areas?: RunAreas;
  /** What the verifier proved about the program (its VerifiedProgram's facts); unchecked code builds on them. */
  facts?: VerifierFacts;
}

export const DEFAULT_MAX_BACK_EDGES = 100_000_000;

const CACHE_LIMIT = 512;
const cache = new Map<string, Promise<CompiledModule>>();

function optimizeMode(o: JitOptions['optimize']): OptimizeMode {
  if (o === undefined || o === true) return 'light';
  if (o === false) return 'none';
  return o;
}

export async function compile(prog: readonly Insn[], opts: JitOptions): Promise<JitProgram> {
  const { compiled, cached } = await cachedModule(prog, opts);
  return new JitProgram(compiled, opts.memory, opts.helpers, cached, opts.fastPath);
}

/**
 * The module `compile` would instantiate, not instantiated: what a worker thread instantiates over the
 * shared memory with its own fast path (src/control/workers.ts; `opts.areas` are that worker's).
 */
export async function compileModule(prog: readonly Insn[], opts: JitOptions): Promise<CompiledModule> {
  return (await cachedModule(prog, opts)).compiled;
}

async function cachedModule(prog: readonly Insn[], opts: JitOptions): Promise<{ compiled: CompiledModule; cached: boolean }> {
  const checked = opts.checked ?? true;
  const optimize = optimizeMode(opts.optimize);
  const mem = opts.memory;
  const memory = { initialPages: mem.initialPages, maximumPages: mem.maximumPages, shared: mem.shared };
  // Analysis first (cheap): it rejects slot layouts the wire format cannot express (a stray
  // ld_imm64 tail), so equal encodings below mean equal programs.
  const layout = analyze(prog);
  // Helpers the fast path implements in wasm are imported wasm to wasm; tail calls need its table.
  const fp = opts.fastPath;
  const wasmHelpers = layout.helperIds.filter((id) => opts.helpers.get(id)?.wasm !== undefined);
  const tailCalls = fp !== undefined;
  const inlineArrays = fp ? arrayMapsOf(prog, mem, fp) : new Map<number, InlineArray>();
  const inlineHashes = fp ? hashMapsOf(prog, mem, fp) : new Map<number, InlineHash>();
  const inlineTries = fp ? trieMapsOf(prog, mem, fp) : new Map<number, InlineTrie>();
  const backEdgeBudget = checked ? (opts.maxBackEdges ?? DEFAULT_MAX_BACK_EDGES) : 0;
  // Facts matter to unchecked code only; a checked module is the same with or without them.
  const loopCountMax = !checked && opts.facts && opts.facts.loopCountMax.size > 0 ? opts.facts.loopCountMax : undefined;
  const loopInlined = !checked && opts.facts && opts.facts.loopInlined.size > 0 ? opts.facts.loopInlined : undefined;
  // (probe loads in checked code too: what they may read is not a region's question)
  const probeLoads = opts.facts && opts.facts.probeLoads.size > 0 ? opts.facts.probeLoads : undefined;
  const fibAnswers = fp && !checked && !memory.shared && !opts.areas && wasmHelpers.includes(HELPER_FIB_LOOKUP) ? fibAnswersOf(fp) : undefined;
  // The module depends on the program, the check mode, the optimiser and the memory's declared shape;
  // helpers and regions are bound per instance.
  const key = [
    checked ? 'c' : 'u',
    optimize,
    memory.initialPages,
    memory.maximumPages,
    memory.shared ? 's' : 'p',
    wasmHelpers.join(','),
    tailCalls ? 't' : '',
    JSON.stringify([...inlineArrays]),
    JSON.stringify([...inlineHashes]),
    JSON.stringify([...inlineTries]),
    backEdgeBudget,
    opts.burst ? 'b' : '',
    opts.areas ? `w${opts.areas.stackBase},${opts.areas.ctxBase},${opts.areas.runBase}` : '',
    fibAnswers ? JSON.stringify(fibAnswers) : '',
    loopCountMax ? JSON.stringify([...loopCountMax]) : '',
    loopInlined ? JSON.stringify([...loopInlined]) : '',
    probeLoads ? JSON.stringify([...probeLoads]) : '',
    Buffer.from(encode(prog)).toString('base64'),
  ].join(':');

  let entry = cache.get(key);
  const cached = entry !== undefined;
  if (entry) {
    cache.delete(key); // re-insert: Map order doubles as LRU order
  } else {
    const arrayStrideAt = fp ? fp.global('MAPS_ARRAY_STRIDE') : undefined;
    entry = build(prog, layout, { checked, optimize, memory, wasmHelpers, tailCalls, inlineArrays, inlineHashes, inlineTries, ...(arrayStrideAt !== undefined ? { arrayStrideAt } : {}), backEdgeBudget, burst: opts.burst ?? false, ...(opts.areas ? { areas: opts.areas } : {}), ...(fibAnswers ? { fibAnswers } : {}), ...(loopCountMax ? { loopCountMax } : {}), ...(loopInlined ? { loopInlined } : {}), ...(probeLoads ? { probeLoads } : {}) }, key);
    entry.catch(() => cache.delete(key));
  }
  cache.set(key, entry);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);

  return { compiled: await entry, cached };
}

async function build(
  prog: readonly Insn[],
  layout: ProgramLayout,
  opts: EmitOptions,
  key: string,
): Promise<CompiledModule> {
  const disk = fromDisk(key);
  if (disk) return disk;
  // binaryen (~1 s to load, once per process) is imported only here, on a miss of both caches.
  await loadBinaryen();
  const t0 = performance.now();
  const { bytes } = await emitModule(prog, layout, opts);
  const module = new WebAssembly.Module(bytes);
  const compiled: CompiledModule = {
    module,
    checked: opts.checked,
    helperIds: layout.helperIds,
    wasmHelpers: opts.wasmHelpers,
    tailCalls: opts.tailCalls && layout.helperIds.includes(12),
    callbacks: layout.callbacks,
    backEdgeBudget: opts.checked ? (opts.backEdgeBudget ?? 0) : 0,
    usesCallx: layout.usesCallx,
    burst: opts.burst ?? false,
    wasmBytes: bytes.length,
    compileMs: performance.now() - t0,
  };
  toDisk(key, compiled, bytes);
  return compiled;
}

/*
 * A module in the on-disk cache (src/cache): u32 length of the JSON facts, the facts (CompiledModule
 * without the Module), the wasm bytes.
 */
function fromDisk(key: string): CompiledModule | undefined {
  const cache = programCache();
  const payload = cache.get('jit', key);
  if (!payload) return undefined;
  try {
    const n = payload.readUInt32LE(0);
    const facts = JSON.parse(payload.subarray(4, 4 + n).toString('utf8')) as Omit<CompiledModule, 'module'>;
    const t0 = performance.now();
    const module = new WebAssembly.Module(new Uint8Array(payload.subarray(4 + n)));
    return { ...facts, module, compileMs: performance.now() - t0, fromDisk: true };
  } catch {
    // Whole but not ours to read (a wasm V8 refuses): rebuilt, and the put replaces it.
    cache.stats.corrupt++;
    return undefined;
  }
}

function toDisk(key: string, compiled: CompiledModule, bytes: Uint8Array): void {
  const { module: _module, compileMs: _ms, ...facts } = compiled;
  const json = Buffer.from(JSON.stringify(facts), 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32LE(json.length, 0);
  programCache().put('jit', key, Buffer.concat([head, json, bytes]));
}

/**
 * The HASH and PERCPU_HASH maps a program refers to: their lookups are inlined as the kernel's
 * htab_map_gen_lookup does, with the key size, bucket mask and element layout as constants (fixed
 * from the map's creation: elements are preallocated, buckets never move; assembly/maps/hash.ts).
 * The hash seed is read from the header at each lookup, so equal programs share one module.
 */
function hashMapsOf(prog: readonly Insn[], mem: EngineMemory, fp: FastPath): Map<number, InlineHash> {
  const out = new Map<number, InlineHash>();
  const view = mem.view();
  const MASK = fp.global('MAPS_HT_MASK');
  const KEY_OFF = fp.global('MAPS_HT_KEY_OFF');
  const VALUE_OFF = fp.global('MAPS_HT_VALUE_OFF');
  const PERCPU_NCPUS = fp.global('MAPS_PERCPU_NCPUS');
  for (const [addr, type] of mapRefs(prog, view)) {
    // hash_of_maps: a hash whose u32 values are inner map addresses (assembly/maps/map_in_map.ts)
    // lru_hash: the same table (assembly/maps/lru.ts finds with htabFind), a hit sets the element's ref byte
    if (type !== BPF_MAP_TYPE_HASH && type !== BPF_MAP_TYPE_PERCPU_HASH && type !== BPF_MAP_TYPE_HASH_OF_MAPS && type !== BPF_MAP_TYPE_LRU_HASH) continue;
    out.set(addr, {
      keySize: view.getUint32(addr + MAP_HDR.KEY_SIZE, true),
      mask: view.getUint32(addr + MASK, true),
      data: view.getUint32(addr + MAP_HDR.DATA, true),
      keyOff: view.getUint32(addr + KEY_OFF, true),
      valueOff: view.getUint32(addr + VALUE_OFF, true),
      seedAt: addr + fp.global('MAPS_HT_SEED'),
      ...(type === BPF_MAP_TYPE_HASH_OF_MAPS ? { ofMaps: true } : {}),
      ...(type === BPF_MAP_TYPE_LRU_HASH ? { lruRef: fp.global('MAPS_LRU_REF') } : {}),
      ...(type === BPF_MAP_TYPE_PERCPU_HASH ? { percpu: { cpuStride: percpuStride(view.getUint32(addr + MAP_HDR.VALUE_SIZE, true), view.getUint32(addr + MAP_HDR.MAX_ENTRIES, true)), ncpus: view.getUint32(addr + PERCPU_NCPUS, true) } } : {}),
    });
  }
  return out;
}

/**
 * The LPM_TRIE maps with 4- or 16-byte addresses (IPv4, IPv6 keys) a program refers to: their lookups
 * are inlined as trieLookup walks them (assembly/maps/lpm_trie.ts), with the node layout, the data size
 * and the value's offset in a node as constants (fixed at the map's creation). The root is read at each
 * lookup: updates relink nodes, never move the header.
 */
function trieMapsOf(prog: readonly Insn[], mem: EngineMemory, fp: FastPath): Map<number, InlineTrie> {
  const out = new Map<number, InlineTrie>();
  const view = mem.view();
  for (const [addr, type] of mapRefs(prog, view)) {
    if (type !== BPF_MAP_TYPE_LPM_TRIE) continue;
    const dataSize = view.getUint32(addr + fp.global('MAPS_LPM_DATA_SIZE'), true);
    if (dataSize !== 4 && dataSize !== 16) continue;
    out.set(addr, {
      dataSize,
      rootAt: addr + fp.global('MAPS_LPM_ROOT'),
      valueOff: view.getUint32(addr + fp.global('MAPS_LPM_VALUE_OFF'), true),
      nodeFlags: fp.global('MAPS_LPM_NODE_FLAGS'),
      nodePrefixlen: fp.global('MAPS_LPM_NODE_PREFIXLEN'),
      nodeData: fp.global('MAPS_LPM_NODE_DATA'),
    });
  }
  return out;
}

/**
 * The fast path's answers by slot for bpf_fib_lookup (assembly/net/fib_helper.ts, its exported
 * layout), or undefined when it keeps none (the shared build: FIB_ANSWERS 0).
 */
function fibAnswersOf(fp: FastPath): FibAnswers | undefined {
  const base = fp.global('FIB_ANSWERS') >>> 0;
  if (base === 0) return undefined;
  return {
    base,
    warmSlots: (fp.exports as unknown as Record<string, () => number>)['napi_warm_slots']!() >>> 0,
    valid: fp.global('ANS_VALID'),
    slot: fp.global('ANS_SLOT'),
    hits: fp.global('ANS_HITS'),
    recs: fp.global('ANS_RECS'),
    recSize: fp.global('ANS_REC_SIZE'),
    slots: BURST_MAX,
    dst: fp.global('ANSR_DST'),
    ifindex: fp.global('ANSR_IFINDEX'),
    tos: fp.global('ANSR_TOS'),
    mtu: fp.global('ANSR_MTU'),
    metric: fp.global('ANSR_METRIC'),
    oif: fp.global('ANSR_OIF'),
    newDst: fp.global('ANSR_NEWDST'),
    macs: fp.global('ANSR_MACS'),
    key: fp.global('ANSR_KEY'),
    keyMask: fp.global('ANSR_KEYMASK'),
    src: fp.global('ANSR_SRC'),
  };
}

/** Drop every cached Module (tests, long-running tools that compile many one-off programs). */
export function clearJitCache(): void {
  cache.clear();
}

/** The wasm text of a program as the JIT would build it (debugging, tests). */
export async function jitText(prog: readonly Insn[], opts: Omit<JitOptions, 'helpers'>): Promise<string> {
  const m = opts.memory;
  const fp = opts.fastPath;
  // With the fast path, its maps' lookups are inlined as compile() inlines them.
  const { text } = await emitModule(prog, analyze(prog), {
    checked: opts.checked ?? true,
    optimize: optimizeMode(opts.optimize),
    memory: { initialPages: m.initialPages, maximumPages: m.maximumPages, shared: m.shared },
    wasmHelpers: [],
    tailCalls: false,
    ...(fp ? { inlineArrays: arrayMapsOf(prog, m, fp), inlineHashes: hashMapsOf(prog, m, fp), inlineTries: trieMapsOf(prog, m, fp) } : {}),
    ...(opts.facts && !(opts.checked ?? true) ? { loopCountMax: opts.facts.loopCountMax, loopInlined: opts.facts.loopInlined } : {}),
    ...(opts.facts ? { probeLoads: opts.facts.probeLoads } : {}),
    text: true,
  });
  return text!;
}
