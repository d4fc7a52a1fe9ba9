// Single-producer single-consumer rings, as AF_XDP's (and libxdp's xsk_ring_prod / xsk_ring_cons):
// a power-of-two array of entries, free-running u32 producer and consumer indices (entry i lives at
// i & mask; they wrap at 2^32, the differences stay right), batch reserve/submit and peek/release.
//
//   ring   +0 u32 producer | +4 u32 consumer | +8 u32 mask | +12 u32 entry size | +16 u32 entries
//          RING_HEADER_SIZE, then (mask + 1) × entry size bytes
//
// Threads (the shared build): the producer and the consumer may be different threads (a worker filling
// the RX ring the main thread injected into, the host ring the main thread drains). As the kernel's xsk
// rings (smp_load_acquire / smp_store_release on the indices, libxdp's __atomic pair), a side reads the
// other side's index with an atomic load (acquire: the entries it covers are visible) and publishes its
// own with an atomic store (release: its entries are written before). Wasm's atomics are sequentially
// consistent, which is stronger. The unshared build has one thread and plain loads and stores.
//
// Reads: nothing but the ring. Sets: the ring. Used by device.ts (fill/RX/TX/completion/host rings),
// xsk.ts (a socket's four rings) and napi.ts; TypeScript (src/control/ring.ts) works the same header.

import { RING_CONSUMER, RING_ENTRIES, RING_ENTRY_SIZE, RING_HEADER_SIZE, RING_MASK, RING_PRODUCER } from './abi';
import { arena_alloc } from './maps/arena';

/** Whether `size` is a ring size ring_create takes (a power of two, at most 2^20). */
@inline export function ringSizeOk(size: u32): bool {
  return size != 0 && (size & (size - 1)) == 0 && size <= 0x100000;
}

/** The bytes a ring of `size` entries of `entrySize` bytes takes, header included. */
@inline export function ringBytes(size: u32, entrySize: u32): u32 {
  return RING_HEADER_SIZE + size * entrySize;
}

/** Lay a ring of `size` entries of `entrySize` bytes over ringBytes() zeroed bytes at `r`. Returns r. */
export function ring_init(r: u32, size: u32, entrySize: u32): u32 {
  store<u32>(r, size - 1, RING_MASK);
  store<u32>(r, entrySize, RING_ENTRY_SIZE);
  store<u32>(r, r + RING_HEADER_SIZE, RING_ENTRIES);
  return r;
}

/** A ring of `size` entries (a power of two) of `entrySize` bytes, or 0 (no memory / bad size). */
export function ring_create(size: u32, entrySize: u32): u32 {
  if (!ringSizeOk(size)) return 0;
  const r = arena_alloc(ringBytes(size, entrySize), 64);
  if (r == 0) return 0;
  return ring_init(r, size, entrySize);
}

/** The producer index as the consumer reads it (acquire: the entries it covers are written). */
@inline export function ringProducerAcquire(r: u32): u32 {
  if (ASC_FEATURE_THREADS) return atomic.load<u32>(r + RING_PRODUCER);
  return load<u32>(r, RING_PRODUCER);
}

/** The consumer index as the producer reads it (acquire: the entries it released are read). */
@inline export function ringConsumerAcquire(r: u32): u32 {
  if (ASC_FEATURE_THREADS) return atomic.load<u32>(r + RING_CONSUMER);
  return load<u32>(r, RING_CONSUMER);
}

/** The producer publishes index `p` (release: the entries before it are written first). */
@inline export function ringProducerRelease(r: u32, p: u32): void {
  if (ASC_FEATURE_THREADS) atomic.store<u32>(r + RING_PRODUCER, p);
  else store<u32>(r, p, RING_PRODUCER);
}

/** The consumer publishes index `c` (release: it is done reading the entries before it). */
@inline export function ringConsumerRelease(r: u32, c: u32): void {
  if (ASC_FEATURE_THREADS) atomic.store<u32>(r + RING_CONSUMER, c);
  else store<u32>(r, c, RING_CONSUMER);
}

/** Entries a consumer may take. */
@inline export function ringAvail(r: u32): u32 {
  return ringProducerAcquire(r) - load<u32>(r, RING_CONSUMER);
}

/** Entries a producer may add. */
@inline export function ringFree(r: u32): u32 {
  return load<u32>(r, RING_MASK) + 1 - (load<u32>(r, RING_PRODUCER) - ringConsumerAcquire(r));
}

/** The address of entry `i` (a free-running index). */
@inline export function ringEntry(r: u32, i: u32): u32 {
  return load<u32>(r, RING_ENTRIES) + (i & load<u32>(r, RING_MASK)) * load<u32>(r, RING_ENTRY_SIZE);
}

/**
 * xsk_ring_prod__reserve: all `n` entries or none. Returns the first index (the producer, as
 * entries [idx, idx + n) are written before ringSubmit) or -1 when there is no room.
 */
@inline export function ringReserve(r: u32, n: u32): i64 {
  if (ringFree(r) < n) return -1;
  return <i64>load<u32>(r, RING_PRODUCER);
}

/** xsk_ring_prod__submit: publish `n` reserved entries. */
@inline export function ringSubmit(r: u32, n: u32): void {
  ringProducerRelease(r, load<u32>(r, RING_PRODUCER) + n);
}

/** xsk_ring_cons__peek: up to `n` entries starting at the consumer index (read them, then release). */
@inline export function ringPeek(r: u32, n: u32): u32 {
  return min(ringAvail(r), n);
}

/** xsk_ring_cons__release. */
@inline export function ringRelease(r: u32, n: u32): void {
  ringConsumerRelease(r, load<u32>(r, RING_CONSUMER) + n);
}

/** Push one u64 address (fill / completion rings); false when full. */
@inline export function ringPushAddr(r: u32, addr: u64): bool {
  const p = load<u32>(r, RING_PRODUCER);
  if (p - ringConsumerAcquire(r) > load<u32>(r, RING_MASK)) return false;
  store<u64>(ringEntry(r, p), addr);
  ringProducerRelease(r, p + 1);
  return true;
}

/** Pop one u64 address; -1 when empty. */
@inline export function ringPopAddr(r: u32): i64 {
  const c = load<u32>(r, RING_CONSUMER);
  if (ringProducerAcquire(r) == c) return -1;
  const a = load<u64>(ringEntry(r, c));
  ringConsumerRelease(r, c + 1);
  return <i64>a;
}

/** Push one descriptor; false when full. */
@inline export function ringPushDesc(r: u32, addr: u64, len: u32, options: u32): bool {
  const p = load<u32>(r, RING_PRODUCER);
  if (p - ringConsumerAcquire(r) > load<u32>(r, RING_MASK)) return false;
  const e = ringEntry(r, p);
  store<u64>(e, addr);
  store<u32>(e, len, 8);
  store<u32>(e, options, 12);
  ringProducerRelease(r, p + 1);
  return true;
}

/**
 * The producer lock of a ring several threads push onto (a device's host ring, a TX ring two workers'
 * queues share): a word in the header's free space. Only the shared build (workers) takes it; the
 * unshared build has one thread and compiles this to the plain push.
 */
export const RING_PRODUCER_LOCK: u32 = 20;

/** Take the producer lock of `r` (the shared build; nothing in the unshared one). */
@inline export function ringProducerLock(r: u32): void {
  if (ASC_FEATURE_THREADS) {
    while (atomic.cmpxchg<u32>(r + RING_PRODUCER_LOCK, 0, 1) != 0) {}
  }
}

/** Let the producer lock of `r` go. */
@inline export function ringProducerUnlock(r: u32): void {
  if (ASC_FEATURE_THREADS) atomic.store<u32>(r + RING_PRODUCER_LOCK, 0);
}

/** ringPushDesc for a ring with several producers (see RING_PRODUCER_LOCK). */
@inline export function ringPushDescShared(r: u32, addr: u64, len: u32, options: u32): bool {
  if (!ASC_FEATURE_THREADS) return ringPushDesc(r, addr, len, options);
  ringProducerLock(r);
  const ok = ringPushDesc(r, addr, len, options);
  ringProducerUnlock(r);
  return ok;
}

// Exported for TypeScript tests of the ring itself (the data path inlines the functions above).
export function ring_reserve(r: u32, n: u32): i64 {
  return ringReserve(r, n);
}
export function ring_submit(r: u32, n: u32): void {
  ringSubmit(r, n);
}
export function ring_peek(r: u32, n: u32): u32 {
  return ringPeek(r, n);
}
export function ring_release(r: u32, n: u32): void {
  ringRelease(r, n);
}
