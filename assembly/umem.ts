// UMEM: the frames every device receives into, FRAME_SIZE bytes each and FRAME_SIZE-aligned, so a
// frame's start (hard_start) is any of its addresses with the low bits cleared. A frame as the XDP
// hook sees it is laid out as BPF_PROG_TEST_RUN's (assembly/xdp.ts):
//
//   hard_start                                                                 hard_start + FRAME_SIZE
//   | xdp_frame (40) | headroom (256 in all) | meta | data ........ | tailroom | skb_shared_info (320) |
//
// Frames not on any ring sit on the pool, a stack of u32 frame addresses (DP_POOL): device queues take
// their fill rings from it at creation and give back what transmit completion and the host ring free.
//
// In the shared build each worker keeps a frame cache in its own area (FC_BYTES; page_pool's per-CPU
// alloc cache): the frames it frees wait there and are the first it takes again, newest first, so a
// frame's lines stay in the cache of the core that last wrote them, and the pool's lock and stack top
// are visited a batch at a time (FC_BATCH) when the cache runs dry or full (FC_MAX). Before it, frames
// a worker freed went to the one stack the other worker popped from next: half of them moved their
// lines between cores. The main thread has no cache (fcBuf 0). Each worker publishes how many frames
// its cache holds in a slot of DP_FC_COUNTS (written by that worker only), so dp_pool_free counts them
// as free: they are, for that worker. worker_exit gives them back.
//
// Big frames hold a datagram that outgrows one frame (a reassembled one, net/reasm.ts): BIG_FRAME_SIZE
// bytes each, FRAME_SIZE-aligned and laid out as a frame (headroom, data, the same tail reserve), in one
// region outside the UMEM set up the first time one is asked for. frameFree knows them by address, so
// whoever is done with a frame (netFree(0, …), the host ring, …) gives a big one back the same way:
//
//   region (address at DP_BASE + DP_BIG): +0 u32 frames | +4 u32 free | +8 free stack (u32 × frames)
//   region + FRAME_SIZE: frames × BIG_FRAME_SIZE
//
// Reads/sets: DP_BASE's pool fields and DP_BIG.

import {
  DP_BASE, DP_BIG, DP_FC_COUNTS, DP_MAGIC, DP_POOL, DP_POOL_CAP, DP_POOL_LOCK, DP_POOL_FREE, DP_UMEM_BASE, DP_UMEM_FRAMES, DP_DEVS,
  DP_XSKS, DP_TRACE, FRAME_SIZE, MAX_DEVICES, MAX_XSKS, RING_ENTRIES, RING_ENTRY_SIZE, RING_MASK, TRACE_SLOTS, TRACE_EVENT_SIZE,
} from './abi';
import { arena_alloc } from './maps/arena';

const DP_MAGIC_VALUE: u32 = 0x50445857; // 'WXDP'

/** Set up the data path with a UMEM of `frames` frames. 0, or -12 (ENOMEM), -17 (EEXIST: done before). */
export function dp_init(frames: u32): i32 {
  if (load<u32>(DP_BASE + DP_MAGIC) == DP_MAGIC_VALUE) return -17;
  const umem = arena_alloc(frames * FRAME_SIZE, FRAME_SIZE);
  const pool = arena_alloc(frames * 4, 8);
  const counts = ASC_FEATURE_THREADS ? arena_alloc(FC_SLOTS * 4, 64) : 0;
  if (umem == 0 || pool == 0 || (ASC_FEATURE_THREADS && counts == 0)) return -12;
  store<u32>(DP_BASE + DP_FC_COUNTS, counts);
  for (let i: u32 = 0; i < frames; i++) store<u32>(pool + i * 4, umem + (frames - 1 - i) * FRAME_SIZE);
  memory.fill(DP_DEVS, 0, MAX_DEVICES * 4);
  memory.fill(DP_XSKS, 0, MAX_XSKS * 4);
  memory.fill(DP_TRACE, 0, 4 + TRACE_SLOTS * TRACE_EVENT_SIZE);
  store<u32>(DP_BASE + DP_POOL, pool);
  store<u32>(DP_BASE + DP_POOL_FREE, frames);
  store<u32>(DP_BASE + DP_POOL_CAP, frames);
  store<u32>(DP_BASE + DP_UMEM_BASE, umem);
  store<u32>(DP_BASE + DP_UMEM_FRAMES, frames);
  store<u32>(DP_BASE + DP_MAGIC, DP_MAGIC_VALUE);
  return 0;
}

// In the shared build (workers, ASC_FEATURE_THREADS) every thread pops and pushes the one pool: a spin
// lock guards it, held for a few loads and stores. The unshared build has one thread and no lock at all.
@inline function poolLock(): void {
  if (ASC_FEATURE_THREADS) {
    while (atomic.cmpxchg<u32>(DP_BASE + DP_POOL_LOCK, 0, 1) != 0) {}
  }
}

@inline function poolUnlock(): void {
  if (ASC_FEATURE_THREADS) atomic.store<u32>(DP_BASE + DP_POOL_LOCK, 0);
}

// ---- the worker's frame cache (shared build) ----

/** Frames a worker's cache holds at most, and how many move to or from the pool at a time (page_pool's
 *  PP_ALLOC_CACHE_SIZE and PP_ALLOC_CACHE_REFILL). */
export const FC_MAX: u32 = 128;
export const FC_BATCH: u32 = 64;
/** Bytes of a worker's area the cache takes (worker.ts WK_FRAME_CACHE). */
export const FC_BYTES: u32 = FC_MAX * 4;
/** Slots of DP_FC_COUNTS: one per worker (src/control/workers.ts MAX_WORKERS). */
const FC_SLOTS: u32 = 64;

// Per instance: the cache (0 on the main thread), the frames on it, and where the count is published.
let fcBuf: u32 = 0;
let fcN: u32 = 0;
let fcW: u32 = 0;
let fcSlot: u32 = 0;

/** worker_init: worker `w`'s frame cache at `a` (FC_BYTES of its own area), empty. */
export function frameCacheSet(w: u32, a: u32): void {
  if (!ASC_FEATURE_THREADS || w >= FC_SLOTS) return;
  fcBuf = a;
  fcN = 0;
  fcW = w;
  // the counts' table is made by dp_init, which may come after the workers start (the first device)
  fcSlot = 0;
}

/** worker_exit: every frame of the cache back to the pool; the cache is gone. */
export function frameCacheDrain(): void {
  if (!ASC_FEATURE_THREADS || fcBuf == 0) return;
  fcSpill(fcN);
  fcBuf = 0;
}

@inline function fcPublish(): void {
  if (fcSlot == 0) {
    const counts = load<u32>(DP_BASE + DP_FC_COUNTS);
    if (counts == 0) return;
    fcSlot = counts + (fcW << 2);
  }
  atomic.store<u32>(fcSlot, fcN);
}

/** Up to FC_BATCH frames from the pool's top onto the empty cache, the pool's newest on the cache's top. */
function fcRefill(): void {
  poolLock();
  const free = load<u32>(DP_BASE + DP_POOL_FREE);
  const k = min(FC_BATCH, free);
  memory.copy(fcBuf, load<u32>(DP_BASE + DP_POOL) + (free - k) * 4, k * 4);
  store<u32>(DP_BASE + DP_POOL_FREE, free - k);
  poolUnlock();
  fcN = k;
}

/** The cache's `k` oldest frames (its bottom) back onto the pool; the rest move down. */
function fcSpill(k: u32): void {
  poolLock();
  const free = load<u32>(DP_BASE + DP_POOL_FREE);
  memory.copy(load<u32>(DP_BASE + DP_POOL) + free * 4, fcBuf, k * 4);
  store<u32>(DP_BASE + DP_POOL_FREE, free + k);
  poolUnlock();
  fcN -= k;
  memory.copy(fcBuf, fcBuf + k * 4, fcN * 4);
  fcPublish();
}

/** A frame for this worker: its cache's newest, the cache refilled from the pool when empty. 0: none. */
function fcAlloc(): u32 {
  if (fcN == 0) fcRefill();
  if (fcN == 0) return 0;
  fcN--;
  fcPublish();
  return load<u32>(fcBuf + (fcN << 2));
}

/** A frame (its start) onto this worker's cache, the oldest half spilled to the pool when it is full. */
@inline function fcFree(frame: u32): void {
  if (fcN == FC_MAX) fcSpill(FC_BATCH);
  store<u32>(fcBuf + (fcN << 2), frame);
  fcN++;
}

/** A free frame's address, or 0 when the pool is empty. */
@inline export function frameAlloc(): u32 {
  if (ASC_FEATURE_THREADS && fcBuf != 0) return fcAlloc();
  poolLock();
  const n = load<u32>(DP_BASE + DP_POOL_FREE);
  if (n == 0) {
    poolUnlock();
    return 0;
  }
  store<u32>(DP_BASE + DP_POOL_FREE, n - 1);
  const f = load<u32>(load<u32>(DP_BASE + DP_POOL) + (n - 1) * 4);
  poolUnlock();
  return f;
}

/** Give a frame (any address inside it) back to the pool; a big frame back to the big frames. */
@inline export function frameFree(addr: u32): void {
  const umem = load<u32>(DP_BASE + DP_UMEM_BASE);
  if (addr - umem >= load<u32>(DP_BASE + DP_UMEM_FRAMES) * FRAME_SIZE && bigFrameFree(addr)) return;
  if (ASC_FEATURE_THREADS && fcBuf != 0) {
    fcFree(addr & ~(FRAME_SIZE - 1));
    fcPublish();
    return;
  }
  poolLock();
  const n = load<u32>(DP_BASE + DP_POOL_FREE);
  store<u32>(load<u32>(DP_BASE + DP_POOL) + n * 4, addr & ~(FRAME_SIZE - 1));
  store<u32>(DP_BASE + DP_POOL_FREE, n + 1);
  poolUnlock();
}

/**
 * Up to `n` frames from the pool written as u64 addresses into ring `r`'s entries from index `p` on (the
 * caller publishes them): one hold of the pool's lock for the lot, as a driver refills a ring in bulk.
 * Returns how many.
 */
export function framesAllocTo(r: u32, p: u32, n: u32): u32 {
  if (n == 0) return 0;
  // the ring's geometry read once (ringEntry reads it for every entry: the stores between may alias it)
  const ents = load<u32>(r, RING_ENTRIES);
  const mask = load<u32>(r, RING_MASK);
  const size = load<u32>(r, RING_ENTRY_SIZE);
  if (ASC_FEATURE_THREADS && fcBuf != 0) {
    // once a frame: the cache's top in a local (fcN, a wasm global, lives in the instance's memory in
    // V8: read and written at each frame)
    let i: u32 = 0;
    while (i < n) {
      if (fcN == 0) fcRefill();
      let top = fcBuf + (fcN << 2);
      if (top == fcBuf) break;
      const k = min(n - i, fcN);
      const end = p + i + k;
      for (let e = p + i; e != end; e++) {
        top -= 4;
        store<u64>(ents + (e & mask) * size, <u64>load<u32>(top));
      }
      fcN -= k;
      i += k;
    }
    fcPublish();
    return i;
  }
  poolLock();
  const free = load<u32>(DP_BASE + DP_POOL_FREE);
  const k = min(n, free);
  const pool = load<u32>(DP_BASE + DP_POOL);
  for (let i: u32 = 0; i < k; i++) store<u64>(ents + ((p + i) & mask) * size, <u64>load<u32>(pool + (free - 1 - i) * 4));
  store<u32>(DP_BASE + DP_POOL_FREE, free - k);
  poolUnlock();
  return k;
}

/**
 * The frames of ring `r`'s entries [c, c + n) (each entry starts with its u64 address) back to the pool,
 * as frameFree does each: one hold of the pool's lock for the lot.
 */
export function framesFreeFrom(r: u32, c: u32, n: u32): void {
  if (n == 0) return;
  const ents = load<u32>(r, RING_ENTRIES);
  const mask = load<u32>(r, RING_MASK);
  const size = load<u32>(r, RING_ENTRY_SIZE);
  const umem = load<u32>(DP_BASE + DP_UMEM_BASE);
  const span = load<u32>(DP_BASE + DP_UMEM_FRAMES) * FRAME_SIZE;
  if (ASC_FEATURE_THREADS && fcBuf != 0) {
    // fcFree's loop, the cache's count in a local (fcN written back before a spill, which moves the
    // cache, and at the end)
    const buf = fcBuf;
    let m = fcN;
    for (let e = c, end = c + n; e != end; e++) {
      const addr = <u32>load<u64>(ents + (e & mask) * size);
      if (addr - umem >= span && bigFrameFree(addr)) continue;
      if (m == FC_MAX) {
        fcN = m;
        fcSpill(FC_BATCH);
        m = fcN;
      }
      store<u32>(buf + (m << 2), addr & ~(FRAME_SIZE - 1));
      m++;
    }
    fcN = m;
    fcPublish();
    return;
  }
  poolLock();
  const pool = load<u32>(DP_BASE + DP_POOL);
  let free = load<u32>(DP_BASE + DP_POOL_FREE);
  for (let i: u32 = 0; i < n; i++) {
    const addr = <u32>load<u64>(ents + ((c + i) & mask) * size);
    if (addr - umem >= span && bigFrameFree(addr)) continue;
    store<u32>(pool + free * 4, addr & ~(FRAME_SIZE - 1));
    free++;
  }
  store<u32>(DP_BASE + DP_POOL_FREE, free);
  poolUnlock();
}

export function frame_free(addr: u32): void {
  frameFree(addr);
}

/** frameAlloc for tests: a free frame's address, or 0. */
export function frame_alloc(): u32 {
  return frameAlloc();
}

/** Frames on the pool and on the workers' caches (tests: every frame is accounted for). */
export function dp_pool_free(): u32 {
  let n = load<u32>(DP_BASE + DP_POOL_FREE);
  if (ASC_FEATURE_THREADS) {
    const counts = load<u32>(DP_BASE + DP_FC_COUNTS);
    for (let w: u32 = 0; w < FC_SLOTS; w++) n += atomic.load<u32>(counts + (w << 2));
  }
  return n;
}

// ---- Big frames ----

/** 17 frames: 256 B headroom, an Ethernet header, 40 B of IPv6 header and 65,535 B of payload, 320 B tail reserve. */
export const BIG_FRAME_SIZE: u32 = 17 * FRAME_SIZE;
export const BIG_FRAMES: u32 = 8;

/** A free big frame's address, or 0 when none is free (or the memory cannot hold the region). */
export function bigFrameAlloc(): u32 {
  let r = load<u32>(DP_BASE + DP_BIG);
  if (r == 0) {
    r = arena_alloc(FRAME_SIZE + BIG_FRAMES * BIG_FRAME_SIZE, FRAME_SIZE);
    if (r == 0) return 0;
    for (let i: u32 = 0; i < BIG_FRAMES; i++) store<u32>(r + 8 + i * 4, r + FRAME_SIZE + (BIG_FRAMES - 1 - i) * BIG_FRAME_SIZE);
    store<u32>(r, BIG_FRAMES);
    store<u32>(r + 4, BIG_FRAMES);
    store<u32>(DP_BASE + DP_BIG, r); // last: frameFree sees no region or a whole one
  }
  const n = load<u32>(r + 4);
  if (n == 0) return 0;
  store<u32>(r + 4, n - 1);
  return load<u32>(r + 8 + (n - 1) * 4);
}

/** `addr` (any address inside) back to the big frames: true, or false when it is not a big frame. */
function bigFrameFree(addr: u32): bool {
  const r = load<u32>(DP_BASE + DP_BIG);
  if (r == 0) return false;
  const off = addr - (r + FRAME_SIZE);
  if (off >= load<u32>(r) * BIG_FRAME_SIZE) return false;
  const n = load<u32>(r + 4);
  store<u32>(r + 8 + n * 4, r + FRAME_SIZE + (off / BIG_FRAME_SIZE) * BIG_FRAME_SIZE);
  store<u32>(r + 4, n + 1);
  return true;
}

/** Big frames free (tests: every one is accounted for); BIG_FRAMES before the first is asked for. */
export function dp_big_free(): u32 {
  const r = load<u32>(DP_BASE + DP_BIG);
  return r == 0 ? BIG_FRAMES : load<u32>(r + 4);
}
