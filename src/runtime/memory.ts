// The one WebAssembly.Memory that programs, their stacks and (later) maps and the fast path share.
//
// Layout until the fast path's ABI (assembly/abi.ts) takes over the low region:
//
//   0x00000 +---------------------------+
//           | null guard (never mapped  |  address 0 and small offsets from it always fault
//           | into a region)            |
//   0x01000 +---------------------------+ STACK_BASE
//           | frame 7 | ... | frame 0   |  MAX_FRAMES × 512 B; frame 0's r10 = STACK_TOP,
//   0x02000 +---------------------------+ STACK_TOP   each bpf-to-bpf call moves r10 down 512 B
//           | reserved                  |
//   0x10000 +---------------------------+ INPUT_BASE
//           | input memory (r1, len r2) |  packet / conformance "mem"; grows to the end of memory
//           +---------------------------+
//
// Every address is a 32-bit linear address held in a 64-bit eBPF register.

import { MAX_FRAMES, STACK_SIZE } from '../isa/opcodes.js';

export const WASM_PAGE = 65536;
export const STACK_BASE = 0x1000;
export const STACK_TOP = STACK_BASE + MAX_FRAMES * STACK_SIZE;
export const INPUT_BASE = 0x10000;

/** A span of linear memory a checked program may touch: [start, end). */
export interface Region {
  name: string;
  start: number;
  end: number;
  writable: boolean;
}

export interface EngineMemoryOptions {
  /** Initial pages (64 KiB each). Default 4. */
  initialPages?: number;
  /** Maximum pages. Default 256 (16 MiB). */
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

  /** Bytes available for input memory at INPUT_BASE without growing. */
  get inputCapacity(): number {
    return this.memory.buffer.byteLength - INPUT_BASE;
  }

  /** Copy `data` to INPUT_BASE, growing memory when needed, and return the input region. */
  placeInput(data: Uint8Array): Region {
    const need = INPUT_BASE + data.length;
    const have = this.memory.buffer.byteLength;
    if (need > have) this.memory.grow(Math.ceil((need - have) / WASM_PAGE));
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
