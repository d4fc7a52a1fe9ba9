// The TypeScript side of the fast path's rings (assembly/ring.ts): the same header and the same
// free-running indices, driven here as libxdp's xsk_ring_prod / xsk_ring_cons are from user space.
// TypeScript is the consumer of TX, host and socket RX/completion rings and the producer of socket
// fill/TX rings; the fast path holds the other end.
//
//   ring   +0 u32 producer | +4 u32 consumer | +8 u32 mask | +12 u32 entry size | +16 u32 entries
//
// Over a shared memory (workers hold the other end) the indices are read and published with Atomics,
// as the fast path's shared build does (assembly/ring.ts: acquire / release, as the kernel's xsk rings).

import type { EngineMemory } from '../runtime/memory.js';
import { DESC, RING } from '../runtime/memory.js';

/** struct xdp_desc: where the data is, how long, and the options word (metadata length in bits 0-7). */
export interface XdpDesc {
  addr: number;
  len: number;
  options: number;
}

export class Ring {
  constructor(
    private readonly mem: EngineMemory,
    /** The ring's address in the shared memory. */
    readonly address: number,
  ) {}

  private get view(): DataView {
    return this.mem.view();
  }

  get size(): number {
    return this.view.getUint32(this.address + RING.MASK, true) + 1;
  }
  get producer(): number {
    if (this.mem.shared) return Atomics.load(this.indices(), RING.PRODUCER >> 2) >>> 0;
    return this.view.getUint32(this.address + RING.PRODUCER, true);
  }
  get consumer(): number {
    if (this.mem.shared) return Atomics.load(this.indices(), RING.CONSUMER >> 2) >>> 0;
    return this.view.getUint32(this.address + RING.CONSUMER, true);
  }

  /** The producer and consumer words, for Atomics (a fresh view: the buffer is replaced when memory grows). */
  private indices(): Int32Array {
    return new Int32Array(this.mem.memory.buffer, this.address, 2);
  }

  private publish(word: number, v: number): void {
    if (this.mem.shared) Atomics.store(this.indices(), word >> 2, v | 0);
    else this.view.setUint32(this.address + word, v >>> 0, true);
  }
  /** Entries a consumer may take. */
  available(): number {
    return (this.producer - this.consumer) >>> 0;
  }
  /** Entries a producer may add. */
  free(): number {
    return this.size - this.available();
  }

  /** xsk_ring_prod__reserve: the first index of `n` entries, or -1 when there is no room for all. */
  reserve(n: number): number {
    return this.free() < n ? -1 : this.producer;
  }
  /** xsk_ring_prod__submit. */
  submit(n: number): void {
    this.publish(RING.PRODUCER, this.producer + n);
  }
  /** xsk_ring_cons__peek: how many of `n` entries are there, from index `consumer`. */
  peek(n: number): number {
    return Math.min(n, this.available());
  }
  /** xsk_ring_cons__release. */
  release(n: number): void {
    this.publish(RING.CONSUMER, this.consumer + n);
  }

  private entry(i: number): number {
    const v = this.view;
    const mask = v.getUint32(this.address + RING.MASK, true);
    const size = v.getUint32(this.address + RING.ENTRY_SIZE, true);
    return v.getUint32(this.address + RING.ENTRIES, true) + ((i & mask) >>> 0) * size;
  }

  /** Fill / completion rings: the address at index `i`. */
  addr(i: number): number {
    return Number(this.view.getBigUint64(this.entry(i), true));
  }
  setAddr(i: number, addr: number): void {
    this.view.setBigUint64(this.entry(i), BigInt(addr), true);
  }
  /** RX / TX / host rings: the descriptor at index `i`. */
  desc(i: number): XdpDesc {
    const e = this.entry(i);
    const v = this.view;
    return { addr: Number(v.getBigUint64(e + DESC.ADDR, true)), len: v.getUint32(e + DESC.LEN, true), options: v.getUint32(e + DESC.OPTIONS, true) };
  }
  setDesc(i: number, d: XdpDesc): void {
    const e = this.entry(i);
    const v = this.view;
    v.setBigUint64(e + DESC.ADDR, BigInt(d.addr), true);
    v.setUint32(e + DESC.LEN, d.len, true);
    v.setUint32(e + DESC.OPTIONS, d.options, true);
  }
}
