// The one WebAssembly.Memory that programs, their stacks, maps and the fast path share.
// The layout is drawn in assembly/abi.ts; the constants here are the same facts for TypeScript
// (tests/fastpath/abi.test.ts proves they agree with the AssemblyScript module).

import { WxdpError } from '../errors.js';
import { MAX_FRAMES, STACK_SIZE } from '../isa/opcodes.js';
import { adviseHugePages, collapseHugePages, hugePageReport, hugePagesWanted, type HugePageAdvice, type HugePageReport } from './hugepages.js';
import type { WasmMemory } from './wasm_types.js';

export const WASM_PAGE = 65536;
export const STACK_BASE = 0x1000;
/** The null guard below the main thread's stacks: no region, an access there faults (a probe load reads 0). */
export const NULL_GUARD_END = STACK_BASE;
export const STACK_TOP = STACK_BASE + MAX_FRAMES * STACK_SIZE;

/** xdp_md and the xdp_buff fields behind it (offsets from CTX_BASE). */
export const CTX_BASE = 0x2000;
export const CTX = {
  DATA: 0,
  DATA_END: 4,
  DATA_META: 8,
  INGRESS_IFINDEX: 12,
  RX_QUEUE_INDEX: 16,
  EGRESS_IFINDEX: 20,
  USER_SIZE: 24,
  HARD_START: 32,
  FRAME_END: 36,
  REDIRECT_IFINDEX: 40,
  REDIRECT_MAP: 44,
  REDIRECT_FLAGS: 48,
  FRAGS_LEN: 56,
  FRAGS_HEAD: 60,
  SIZE: 64,
  /** bpf_cast_to_kern_ctx's struct xdp_buff fields the ctx has no word for (assembly/abi.ts CTX_KERN_*). */
  KERN_FRAME_SZ: 64,
  KERN_FLAGS: 68,
  KERN_RXQ: 72,
  KERN_RXQ_REC: 80,
  KERN_DEV: 112,
} as const;

/** Per-run state (offsets from RUN_BASE). */
export const RUN_BASE = 0x2100;
export const RUN = {
  TAIL_CALLS: 0,
  CPU: 4,
  NCPUS: 8,
  FRAME_PTR: 12,
  FRAME_DEPTH: 16,
  /** u32 1 while a bpf_throw unwinds the JIT'd frames (src/jit/emit.ts: each call site returns at once). */
  THROWN: 20,
  PRANDOM: 24,
  /** u64 the cookie of that bpf_throw, what each frame returns as it unwinds. */
  THROW_COOKIE: 32,
  ITERS: 64,
  SIZE: 192,
} as const;
/** Bytes of one bpf_for_each_map_elem walk's record at RUN.ITERS (assembly/maps/for_each.ts). */
export const MAP_ITER_SIZE = 16;
/** Where a walk record keeps the visited element's value address (and, before it, the key word at 8). */
export const MAP_ITER_VALUE = 12;
export const MAP_ITER_KEY = 8;
export const MAX_TAIL_CALL_CNT = 33;

export const AS_DATA_BASE = 0x3000;
export const INPUT_BASE = 0x10000;
export const INPUT_MAX = 0x20000;
export const FRAME_BASE = INPUT_BASE;
export const FRAME_SIZE = 4096;
export const XDP_PACKET_HEADROOM = 256;
export const FRAME_TAILROOM_RESERVED = 320;
export const XDP_FRAME_STRUCT = 40;
export const FRAGS_BASE = FRAME_BASE + FRAME_SIZE;
export const FRAG_SIZE = 4096;
export const MAX_FRAGS = 17;
export const ARENA_BASE = 0x30000;

/** Map header at every map's address (offsets). */
export const MAP_HDR = {
  TYPE: 0,
  KEY_SIZE: 4,
  VALUE_SIZE: 8,
  MAX_ENTRIES: 12,
  FLAGS: 16,
  ID: 20,
  COUNT: 24,
  DATA: 28,
  /** 1 + offset of the value's bpf_spin_lock (hash and array maps with one in their BTF), 0: none. */
  SPIN_LOCK: 60,
  /** Bytes of the map's arena allocation (header and storage; 0 once freed). */
  ALLOC_SIZE: 72,
  /** 1 + offset of the value's struct bpf_timer (hash, lru_hash and array maps with one in their BTF), 0: none. */
  TIMER: 80,
  SIZE: 88,
} as const;

/** A span of linear memory a checked program may touch: [start, end). */
export interface Region {
  name: string;
  start: number;
  end: number;
  writable: boolean;
  /**
   * The XDP packet: [data_meta, data_end) of the xdp_buff at CTX_BASE, read at each access (helpers
   * move them), so a checked program reaches its frame's bytes and nothing around them; start and end
   * are ignored.
   */
  packet?: boolean;
  /** The header address of the map whose storage this is: a map the program may pass to helpers. */
  map?: number;
}

/** wasm32's largest memory: 65536 pages of 64 KiB, 4 GiB. */
export const WASM32_MAX_PAGES = 65536;

export interface EngineMemoryOptions {
  /** Initial pages (64 KiB each). Default 4 (the AssemblyScript module's minimum). */
  initialPages?: number;
  /**
   * The most memory maps, tables and rings may grow to, in bytes (rounded up to 64 KiB pages, at most
   * wasm32's 4 GiB). Default 4 GiB. Memory starts small and grows as tables and maps are created; an
   * allocation past the limit fails with ENOMEM naming it. `maximumPages` says the same in pages.
   */
  memoryLimit?: number;
  /** The same limit in pages (64 KiB each); `memoryLimit` wins when both are given. */
  maximumPages?: number;
  /** A SharedArrayBuffer-backed memory, for worker threads. */
  shared?: boolean;
  /**
   * Ask the kernel for 2 MiB pages for the whole memory, growth included (madvise(MADV_HUGEPAGE) by the
   * native addon; see src/runtime/hugepages.ts). Default true, unless WXDP_HUGEPAGES=0; nothing happens
   * under THP `never` or without the addon (`hugePages` says why).
   */
  hugePages?: boolean;
}

export class EngineMemory {
  /** The WebAssembly.Memory itself (its `buffer` is replaced when it grows). */
  readonly memory: WasmMemory;
  readonly initialPages: number;
  /** The memory's declared maximum: the limit in pages (the JIT's modules import it with this maximum). */
  readonly maximumPages: number;
  readonly shared: boolean;

  constructor(opts: EngineMemoryOptions = {}) {
    this.initialPages = opts.initialPages ?? 4;
    this.maximumPages = limitPages(opts);
    this.shared = opts.shared ?? false;
    if (!Number.isInteger(this.initialPages) || this.initialPages < 4 || this.initialPages > this.maximumPages) {
      throw new WxdpError('USAGE', `initialPages ${this.initialPages} must be 4..${this.maximumPages} (the memory limit in pages)`);
    }
    this.memory = new WebAssembly.Memory({
      initial: this.initialPages,
      maximum: this.maximumPages,
      shared: this.shared,
    });
    this.hugePages = adviseHugePages(this.memory.buffer, this.limitBytes, hugePagesWanted(opts.hugePages));
  }

  /** What asking for 2 MiB pages did (advised or why not). */
  readonly hugePages: HugePageAdvice;

  /**
   * MADV_COLLAPSE on the resident chunks still on 4 KiB pages (after a big grow and load: the chunk
   * across the old end faulted in before the mapping covered it whole). Nothing when not advised.
   */
  collapseHugePages(): void {
    collapseHugePages(this.hugePages, this.memory.buffer);
  }

  /** The advice and what the memory's mapping holds now (AnonHugePages from /proc/self/smaps). */
  hugePageReport(): HugePageReport {
    return hugePageReport(this.hugePages, this.memory.buffer);
  }

  /** The limit in bytes (`memoryLimit`). */
  get limitBytes(): number {
    return this.maximumPages * WASM_PAGE;
  }

  /** Bytes the memory holds now. */
  get sizeBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /**
   * The words an ENOMEM error carries after its subject: "the memory limit of N MiB is reached
   * (memoryLimit)" — e.g. `map 'm': create: ENOMEM (…: the memory limit of 16 MiB is reached (memoryLimit))`.
   */
  limitReached(): string {
    return `the memory limit of ${formatMiB(this.limitBytes)} MiB is reached (memoryLimit)`;
  }

  /** A fresh byte view (the buffer is replaced when memory grows). */
  bytes(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }

  /** A fresh DataView over the whole memory. */
  view(): DataView {
    return new DataView(this.memory.buffer);
  }

  private u64s?: BigUint64Array;

  /**
   * The little-endian u64 at `addr`, read whole. The data path's counters (conntrack's acct, the
   * flowtable's, nft counters) are added to by the workers with 64-bit atomics, as atomic64_add does: a
   * DataView read of shared memory is not one access and was seen torn mid-add (tests/workers/flowtable:
   * bytes not a multiple of the frame's), so a shared memory's aligned u64 is read with Atomics.load.
   */
  loadU64(addr: number): bigint {
    const buf = this.memory.buffer;
    if (!this.shared || (addr & 7) !== 0) return new DataView(buf).getBigUint64(addr, true);
    if (this.u64s?.buffer !== buf) this.u64s = new BigUint64Array(buf);
    return Atomics.load(this.u64s, addr / 8);
  }

  /** Copy `data` to INPUT_BASE and return the input region. */
  placeInput(data: Uint8Array): Region {
    if (data.length > INPUT_MAX) {
      throw new WxdpError('USAGE', `input of ${data.length} bytes exceeds the ${INPUT_MAX}-byte input area`);
    }
    this.bytes().set(data, INPUT_BASE);
    return { name: 'input', start: INPUT_BASE, end: INPUT_BASE + data.length, writable: true };
  }

  /** Read `len` bytes back from INPUT_BASE (a copy). */
  readInput(len: number): Uint8Array {
    return this.bytes().slice(INPUT_BASE, INPUT_BASE + len);
  }

  /** Zero the whole stack area, so runs do not see each other's stack. */
  clearStack(): void {
    this.bytes().fill(0, STACK_BASE, STACK_TOP);
  }
}

function limitPages(opts: EngineMemoryOptions): number {
  if (opts.memoryLimit !== undefined) {
    const b = opts.memoryLimit;
    if (!Number.isFinite(b) || b < 4 * WASM_PAGE || b > WASM32_MAX_PAGES * WASM_PAGE) {
      throw new WxdpError('USAGE', `memoryLimit ${b} must be ${4 * WASM_PAGE}..${WASM32_MAX_PAGES * WASM_PAGE} bytes (256 KiB..4 GiB)`);
    }
    return Math.ceil(b / WASM_PAGE);
  }
  const p = opts.maximumPages ?? WASM32_MAX_PAGES;
  if (!Number.isInteger(p) || p < 4 || p > WASM32_MAX_PAGES) {
    throw new WxdpError('USAGE', `maximumPages ${p} must be 4..${WASM32_MAX_PAGES}`);
  }
  return p;
}

function formatMiB(bytes: number): string {
  const m = bytes / (1 << 20);
  return Number.isInteger(m) ? String(m) : m.toFixed(2);
}

export const STACK_REGION: Region = { name: 'stack', start: STACK_BASE, end: STACK_TOP, writable: true };
/**
 * The map walks' records (RUN.ITERS, assembly/maps/for_each.ts), read only: an array element's key a
 * bpf_for_each_map_elem or bpf_timer callback gets points into them.
 */
export const WALK_REGION: Region = { name: 'map walk keys', start: RUN_BASE + RUN.ITERS, end: RUN_BASE + RUN.ITERS + MAX_FRAMES * MAP_ITER_SIZE, writable: false };

// ---- The data path (assembly/device.ts, ring.ts, umem.ts, napi.ts, xsk.ts; drawn in assembly/abi.ts) ----

/** The data path's root: pool, device and socket tables, trace events. */
export const DP_BASE = 0x2200;
export const DP = { MAGIC: 0, POOL: 4, POOL_FREE: 8, POOL_CAP: 12, UMEM_BASE: 16, UMEM_FRAMES: 20, BIG: 24, POOL_LOCK: 28 } as const;
export const DP_DEVS = 0x2300;
export const MAX_DEVICES = 64;
export const DP_XSKS = 0x2400;
export const MAX_XSKS = 64;
export const DP_TRACE = 0x2500;
export const TRACE_SLOTS = 32;
export const TRACE_EVENT_SIZE = 16;
/** Burst results of a program's xdp_burst (src/jit/abi.ts), BURST_MAX records of BURST_RECORD_SIZE. */
export const DP_BURST = 0x2800;
export const BURST_MAX = 64;
export const BURST_RECORD_SIZE = 32;

/** Ring header (offsets); fill/completion entries are u64 addresses, the others descriptors. */
export const RING = { PRODUCER: 0, CONSUMER: 4, MASK: 8, ENTRY_SIZE: 12, ENTRIES: 16, HEADER_SIZE: 64 } as const;
/** struct xdp_desc. */
export const DESC = { ADDR: 0, LEN: 8, OPTIONS: 12, SIZE: 16 } as const;
/** Device header and queue offsets. */
export const DEV = { IFINDEX: 0, MTU: 4, NQUEUES: 8, PROG: 12, MAC: 16, HOST_RING: 24, PEER: 28, BURST: 32, BLOCK: 36, HEADER_SIZE: 64 } as const;
export const Q = { FILL: 0, RX: 4, TX: 8, COMP: 12, XSK: 16, STATS: 64 } as const;
/** Per-queue u64 counters, by index. */
export const QSTAT = {
  RX_PACKETS: 0,
  RX_BYTES: 1,
  TX_PACKETS: 2,
  TX_BYTES: 3,
  XDP_ABORTED: 4,
  XDP_DROP: 5,
  XDP_PASS: 6,
  XDP_TX: 7,
  XDP_REDIRECT: 8,
  XDP_INVALID: 9,
  DROP_BASE: 10,
} as const;
/** Drop reasons, in counter order after QSTAT.DROP_BASE. */
export const DROP_REASONS = [
  'PKT_TOO_SMALL',
  'PKT_TOO_BIG',
  'NO_BUFFER',
  'RX_RING_FULL',
  'XDP_DROP',
  'XDP_ABORTED',
  'TX_RING_FULL',
  'HOST_RING_FULL',
  'REDIRECT_NO_DEVICE',
  'REDIRECT_LOOP',
  'REDIRECT_UNSUPPORTED',
  'DEVMAP_PROG',
  'XSK_INVALID',
  'XSK_NO_BUFFER',
  'XSK_RX_FULL',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];
export const QSTAT_COUNT = QSTAT.DROP_BASE + DROP_REASONS.length;
export const QUEUE_SIZE = Q.STATS + QSTAT_COUNT * 8;
export const MAX_REDIRECT_HOPS = 8;
export const NAPI_BUDGET = 64;
export const XSK = { IFINDEX: 0, QUEUE: 4, UMEM: 8, UMEM_SIZE: 12, FILL: 16, RX: 20, TX: 24, COMP: 28, RX_DROPPED: 32, HEADER_SIZE: 64 } as const;
export const XSK_FRAME_SIZE = 4096;
export const XDP_ACTIONS = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'] as const;

// ---- A worker thread's own area (assembly/worker.ts draws it; src/control/workers.ts allocates one per worker) ----

/** Offsets in a worker's area: its eBPF stacks, xdp_md, run state, burst results and control words. */
/**
 * A worker's area (assembly/worker.ts draws it): stacks, xdp_md, run state, burst results, control words,
 * tracepoint arguments, then the stack's counters as this worker counts them (MIB_COUNT then NDROP_COUNT
 * u64s, summed with the root's by src/control/stack.ts), then its transmit bulks (device.ts).
 */
export const WK = { STACK: 0, STACK_TOP: 4096, CTX: 4096, RUN: 4352, BURST: 4608, CONTROL: 6656, TP_ARGS: 6720, LINK_KEYS: 6848, HOST_BUF: 7168, MIB: 8192, DROPS: 8192 + 256 * 8, TXB: 12288, PEND_BUF: 14656, REDIR_BUF: 15168, FRAME_CACHE: 15680, SIZE: 16384, ALIGN: 64 } as const;
/** The control words (u32 at WK.CONTROL + 4 × index), read and written with Atomics by both sides. */
export const WKC = { STATE: 0, WAKE: 1, ROUNDS: 2, FRAMES: 3, ACK: 4, FAULTS: 5, HOLD: 6, GEN_LEN: 8, BENCH_WALL: 9, BENCH_CPU: 10 } as const;
