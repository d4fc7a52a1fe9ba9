// The one WebAssembly.Memory that programs, their stacks, maps and the fast path share.
// The layout is drawn in assembly/abi.ts; the constants here are the same facts for TypeScript
// (tests/fastpath/abi.test.ts proves they agree with the AssemblyScript module).

import { WxdpError } from '../errors.js';
import { MAX_FRAMES, STACK_SIZE } from '../isa/opcodes.js';

export const WASM_PAGE = 65536;
export const STACK_BASE = 0x1000;
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
  SIZE: 64,
} as const;

/** Per-run state (offsets from RUN_BASE). */
export const RUN_BASE = 0x2100;
export const RUN = {
  TAIL_CALLS: 0,
  CPU: 4,
  NCPUS: 8,
  FRAME_PTR: 12,
  FRAME_DEPTH: 16,
  PRANDOM: 24,
  SIZE: 64,
} as const;
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
  SIZE: 64,
} as const;

/** A span of linear memory a checked program may touch: [start, end). */
export interface Region {
  name: string;
  start: number;
  end: number;
  writable: boolean;
}

export interface EngineMemoryOptions {
  /** Initial pages (64 KiB each). Default 4 (the AssemblyScript module's minimum). */
  initialPages?: number;
  /** Maximum pages. Default 256 (16 MiB), the AssemblyScript module's maximum. */
  maximumPages?: number;
  /** A SharedArrayBuffer-backed memory, for worker threads. */
  shared?: boolean;
}

export class EngineMemory {
  readonly memory: WebAssembly.Memory;
  readonly initialPages: number;
  readonly maximumPages: number;
  readonly shared: boolean;

  constructor(opts: EngineMemoryOptions = {}) {
    this.initialPages = opts.initialPages ?? 4;
    this.maximumPages = opts.maximumPages ?? 256;
    this.shared = opts.shared ?? false;
    this.memory = new WebAssembly.Memory({
      initial: this.initialPages,
      maximum: this.maximumPages,
      shared: this.shared,
    });
  }

  /** A fresh byte view (the buffer is replaced when memory grows). */
  bytes(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }

  /** A fresh DataView over the whole memory. */
  view(): DataView {
    return new DataView(this.memory.buffer);
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

export const STACK_REGION: Region = { name: 'stack', start: STACK_BASE, end: STACK_TOP, writable: true };
