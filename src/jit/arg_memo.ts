// Checked mode checks a helper's pointer arguments before each call (runtime/helper_args.ts). The check
// reads the regions, the map headers and the packet bounds and makes BigInts on the way: about as much
// work as the helper itself, at every call. A call site mostly passes the same arguments run after run
// (its map, a key on the stack, the ctx), so both engines keep, per call site, the last arguments that
// passed and skip the check when the call repeats them over the same regions and the same packet
// bounds. What helperArgFault reads besides those is fixed for a map's life (its type, key and value
// sizes). Only helpers whose argument kinds are all in MEMO_SAFE are remembered: a kind whose check
// would read other state (a dynptr, a socket, a ringbuf record) is checked at every call.

import type { RuntimeFault } from '../errors.js';
import { helperArgFault, helperArgsMemoSafe } from '../runtime/helper_args.js';
import { CTX, CTX_BASE, type EngineMemory, type Region } from '../runtime/memory.js';
import { Arg } from '../verifier/protos.js';

const MEMO_SAFE = new Set<Arg>([
  Arg.ANYTHING, Arg.CONST_MAP_PTR, Arg.PTR_TO_MAP_KEY, Arg.PTR_TO_MAP_VALUE, Arg.PTR_TO_UNINIT_MAP_VALUE, Arg.PTR_TO_CTX,
  Arg.PTR_TO_MEM, Arg.PTR_TO_MEM_OR_NULL, Arg.PTR_TO_UNINIT_MEM, Arg.PTR_TO_FIXED_SIZE_MEM, Arg.CONST_SIZE, Arg.CONST_SIZE_OR_ZERO, Arg.CONST_ALLOC_SIZE_OR_ZERO,
]);

interface Passed {
  id: number;
  regions: readonly Region[];
  meta: number;
  end: number;
  r1: bigint;
  r2: bigint;
  r3: bigint;
  r4: bigint;
  r5: bigint;
}

export class HelperArgMemo {
  /** The last passing call of each call site (by instruction index). */
  private readonly sites = new Map<number, Passed>();
  private readonly safe = new Map<number, boolean>();
  private dv: DataView;

  constructor(private readonly mem: EngineMemory) {
    this.dv = new DataView(mem.memory.buffer);
  }

  /** helperArgFault(id, [r1..r5], regions, mem, pc), skipped when the call repeats one that passed. */
  check(id: number, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint, regions: readonly Region[], pc: number): RuntimeFault | undefined {
    let dv = this.dv;
    if (dv.buffer.byteLength === 0) dv = this.dv = new DataView(this.mem.memory.buffer); // a grow detached it
    const meta = dv.getUint32(CTX_BASE + CTX.DATA_META, true);
    const end = dv.getUint32(CTX_BASE + CTX.DATA_END, true);
    const p = this.sites.get(pc);
    if (p && p.id === id && p.regions === regions && p.meta === meta && p.end === end && p.r1 === r1 && p.r2 === r2 && p.r3 === r3 && p.r4 === r4 && p.r5 === r5) return undefined;
    const f = helperArgFault(id, [r1, r2, r3, r4, r5], regions, this.mem, pc);
    if (f === undefined && this.memoSafe(id)) this.sites.set(pc, { id, regions, meta, end, r1, r2, r3, r4, r5 });
    return f;
  }

  /**
   * The same for r1..r5 given as 32-bit halves (lo, hi), as JIT'd code passes them: compared as numbers,
   * made BigInts only when the check runs.
   */
  checkHalves(id: number, pc: number, l1: number, h1: number, l2: number, h2: number, l3: number, h3: number, l4: number, h4: number, l5: number, h5: number, regions: readonly Region[]): RuntimeFault | undefined {
    let dv = this.dv;
    if (dv.buffer.byteLength === 0) dv = this.dv = new DataView(this.mem.memory.buffer);
    const meta = dv.getUint32(CTX_BASE + CTX.DATA_META, true);
    const end = dv.getUint32(CTX_BASE + CTX.DATA_END, true);
    const p = this.halfSites.get(pc);
    if (p && p.id === id && p.regions === regions && p.meta === meta && p.end === end) {
      const w = p.words;
      if (w[0] === l1 && w[1] === h1 && w[2] === l2 && w[3] === h2 && w[4] === l3 && w[5] === h3 && w[6] === l4 && w[7] === h4 && w[8] === l5 && w[9] === h5) return undefined;
    }
    const f = helperArgFault(id, [pair(l1, h1), pair(l2, h2), pair(l3, h3), pair(l4, h4), pair(l5, h5)], regions, this.mem, pc);
    if (f === undefined && this.memoSafe(id)) this.halfSites.set(pc, { id, regions, meta, end, words: Int32Array.of(l1, h1, l2, h2, l3, h3, l4, h4, l5, h5) });
    return f;
  }
  private readonly halfSites = new Map<number, { id: number; regions: readonly Region[]; meta: number; end: number; words: Int32Array }>();

  private memoSafe(id: number): boolean {
    let s = this.safe.get(id);
    if (s === undefined) this.safe.set(id, (s = helperArgsMemoSafe(id, (a) => MEMO_SAFE.has(a))));
    return s;
  }
}

/** The unsigned 64-bit value of two 32-bit halves. */
const pair = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
