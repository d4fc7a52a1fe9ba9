// The map arena: every map's header and storage, allocated at creation from ARENA_BASE upwards,
// growing the memory when needed. Nothing is allocated per operation. A map freed when its object is
// unloaded (arena_free) goes on an address-ordered free list, merged with its free neighbours, and the
// next allocations take from that list (first fit) before the top moves; a free block that reaches the
// top lowers it. Blocks are multiples of 8 bytes at 8-byte aligned addresses (arena_reset() is for tests).
//
// The arena's own state lives in memory, not in wasm globals, so every instance over a shared memory
// (worker threads) sees the same arena:
//
//   ARENA_BASE +0  u32 magic 'WXMA' (absent: the arena is not initialised yet)
//              +4  u32 top: first free byte
//              +8  u32 scratch buffer address (0 until scratch_base() is first called)
//              +12 u32 hash seed the next hash map takes (unless BPF_F_ZERO_SEED)
//              +16 u32 free list: the lowest free block (0: none); a free block is u32 next | u32 size
//              +20 u32 bytes on the free list
//              +24 u32 the arena's lock (the shared build: a worker's first use of a table may allocate
//                  while the control plane does; alloc and free hold it, memory.grow is atomic itself)
//              +28 .. +63 reserved
//              +64 first allocation
//
// A map is one allocation: its 64-byte header (MAP_* in abi.ts) followed by the type's storage.

import { ARENA_BASE, MAP_ALLOC_SIZE, MAP_DATA, MAP_FLAGS, MAP_HEADER_SIZE, MAP_ID, MAP_KEY_SIZE, MAP_MAX_ENTRIES, MAP_NO_UREF, MAP_SPIN_LOCK, MAP_TIMER, MAP_TYPE, MAP_VALUE_SIZE } from '../abi';

const ARENA_MAGIC: u32 = 0x414d5857;
const ARENA_TOP: u32 = 4;
const ARENA_SCRATCH: u32 = 8;
const ARENA_SEED: u32 = 12;
const ARENA_FREE: u32 = 16;
const ARENA_FREE_BYTES: u32 = 20;
const ARENA_LOCK: u32 = 24;

@inline function arenaLock(): void {
  if (ASC_FEATURE_THREADS) {
    while (atomic.cmpxchg<u32>(ARENA_BASE + ARENA_LOCK, 0, 1) != 0) {
      // another thread allocates: a few instructions
    }
  }
}

@inline function arenaUnlock(): void {
  if (ASC_FEATURE_THREADS) atomic.store<u32>(ARENA_BASE + ARENA_LOCK, 0);
}

/** Bytes at ARENA_BASE the arena keeps for itself. */
export const MAPS_ARENA_HEADER: u32 = 64;
/** Size of the buffer scratch_base() returns, for TypeScript to pass keys and values. */
export const MAPS_SCRATCH_SIZE: u32 = 65536;

function arenaInit(): void {
  if (load<u32>(ARENA_BASE) == ARENA_MAGIC) return;
  const need = <u64>ARENA_BASE + MAPS_ARENA_HEADER;
  const have = <u64>memory.size() << 16;
  if (need > have) memory.grow(<i32>((need - have + 0xffff) >> 16));
  store<u32>(ARENA_BASE, ARENA_MAGIC);
  store<u32>(ARENA_BASE + ARENA_TOP, ARENA_BASE + MAPS_ARENA_HEADER);
  store<u32>(ARENA_BASE + ARENA_SCRATCH, 0);
  store<u32>(ARENA_BASE + ARENA_SEED, 0x9e3779b9);
  store<u32>(ARENA_BASE + ARENA_FREE, 0);
  store<u32>(ARENA_BASE + ARENA_FREE_BYTES, 0);
}

/** First fit on the free list: an address for `size` bytes (a multiple of 8) aligned to `a`, or 0. */
function takeFree(size: u32, a: u32): u32 {
  let prev: u32 = ARENA_BASE + ARENA_FREE; // the link to rewrite (a block's +0 is its next)
  let b = load<u32>(prev);
  while (b != 0) {
    const bs = load<u32>(b, 4);
    const next = load<u32>(b);
    const s = (b + a - 1) & ~(a - 1);
    if (<u64>s + size <= <u64>b + bs) {
      // unlink, then give back what is left before and after (both multiples of 8, in address order)
      let link = prev;
      if (s > b) {
        store<u32>(b, s - b, 4);
        link = b;
      } else {
        store<u32>(prev, next);
      }
      const tail = b + bs - (s + size);
      if (tail != 0) {
        const t = s + size;
        store<u32>(t, next);
        store<u32>(t, tail, 4);
        store<u32>(link, t);
      } else if (link != prev) {
        store<u32>(link, next);
      }
      store<u32>(ARENA_BASE + ARENA_FREE_BYTES, load<u32>(ARENA_BASE + ARENA_FREE_BYTES) - size);
      return s;
    }
    prev = b;
    b = next;
  }
  return 0;
}

/**
 * Give back `size` bytes at `addr` (what arena_alloc returned for that size). Merged with the free
 * blocks on either side; a block that ends at the top lowers the top instead. The bytes are not
 * cleared here: arena_alloc zeroes what it hands out.
 */
export function arena_free(addr: u32, size: u32): void {
  arenaInit();
  if (addr == 0 || size == 0) return;
  arenaLock();
  freeLocked(addr, (size + 7) & ~7);
  arenaUnlock();
}

function freeLocked(addr: u32, size: u32): void {
  // in address order; `link` is the word that points at `b` (the list head, or the previous block,
  // whose +0 is its next), `prevLink` the one that points at that previous block
  let prevLink: u32 = 0;
  let link: u32 = ARENA_BASE + ARENA_FREE;
  let b = load<u32>(link);
  while (b != 0 && b < addr) {
    prevLink = link;
    link = b;
    b = load<u32>(b);
  }
  store<u32>(ARENA_BASE + ARENA_FREE_BYTES, load<u32>(ARENA_BASE + ARENA_FREE_BYTES) + size);
  let start = addr;
  let end = addr + size;
  let next = b;
  if (next == end) {
    // merge with the next block
    end += load<u32>(next, 4);
    next = load<u32>(next);
  }
  if (prevLink != 0 && link + load<u32>(link, 4) == start) {
    // merge with the previous block: it becomes the start
    start = link;
    link = prevLink;
  }
  if (end == load<u32>(ARENA_BASE + ARENA_TOP)) {
    // the block reaches the top: the top comes down and the block leaves the list (nothing is above it)
    store<u32>(ARENA_BASE + ARENA_TOP, start);
    store<u32>(ARENA_BASE + ARENA_FREE_BYTES, load<u32>(ARENA_BASE + ARENA_FREE_BYTES) - (end - start));
    store<u32>(link, 0);
    return;
  }
  store<u32>(link, start);
  store<u32>(start, next);
  store<u32>(start, end - start, 4);
}

/** Bytes on the arena's free list (freed, below the top, not yet taken again). */
export function arena_free_bytes(): u32 {
  arenaInit();
  return load<u32>(ARENA_BASE + ARENA_FREE_BYTES);
}

/**
 * `size` zeroed bytes aligned to `align` (a power of two), or 0 when the memory cannot grow that far.
 * Grows the memory: views over its old buffer are detached.
 */
export function arena_alloc(size: u32, align: u32): u32 {
  arenaInit();
  if (<u64>size + 7 >= 0x1_0000_0000) return 0;
  size = (size + 7) & ~7;
  const al: u32 = align < 8 ? 8 : align;
  arenaLock();
  let at = takeFree(size, al);
  if (at == 0) at = takeTop(size, al);
  arenaUnlock();
  if (at != 0) memory.fill(<usize>at, 0, <usize>size);
  return at;
}

/** `size` bytes aligned to `a` from the top, growing the memory; 0 when it cannot grow that far. */
function takeTop(size: u32, a: u32): u32 {
  const top = <u64>load<u32>(ARENA_BASE + ARENA_TOP);
  const start = (top + a - 1) & ~(<u64>a - 1);
  const end = start + <u64>size;
  if (end >= 0x1_0000_0000) return 0;
  const have = <u64>memory.size() << 16;
  if (end > have) {
    // Grow by at least an eighth of the memory: each grow costs V8 a new ArrayBuffer and, with a large
    // JS heap, a full GC (~100 ms measured at 100 MiB), so a table built chunk by chunk must not grow
    // page by page. Past the limit, only what is needed (another thread may have grown it meanwhile).
    const need = <i32>((end - have + 0xffff) >> 16);
    const step = max(need, memory.size() >> 3);
    if (memory.grow(step) < 0 && (step == need || memory.grow(need) < 0) && end > (<u64>memory.size() << 16)) return 0;
  }
  store<u32>(ARENA_BASE + ARENA_TOP, <u32>end);
  // the bytes skipped to align the block go on the free list for smaller allocations
  if (start > top) freeLocked(<u32>top, <u32>(start - top));
  return <u32>start;
}

/** The first free byte of the arena. */
export function arena_top(): u32 {
  arenaInit();
  return load<u32>(ARENA_BASE + ARENA_TOP);
}

/** Forget every allocation (tests only: maps created before become garbage). */
export function arena_reset(): void {
  arenaInit();
  store<u32>(ARENA_BASE + ARENA_TOP, ARENA_BASE + MAPS_ARENA_HEADER);
  store<u32>(ARENA_BASE + ARENA_SCRATCH, 0);
  store<u32>(ARENA_BASE + ARENA_FREE, 0);
  store<u32>(ARENA_BASE + ARENA_FREE_BYTES, 0);
}

/** A MAPS_SCRATCH_SIZE-byte buffer for TypeScript's keys and values, allocated once (0: no memory). */
export function scratch_base(): u32 {
  arenaInit();
  let s = load<u32>(ARENA_BASE + ARENA_SCRATCH);
  if (s == 0) {
    s = arena_alloc(MAPS_SCRATCH_SIZE, 8);
    store<u32>(ARENA_BASE + ARENA_SCRATCH, s);
  }
  return s;
}

/** Set the hash seed later hash maps take (the kernel draws one with get_random_u32() per map). */
export function map_hash_seed(seed: u32): void {
  arenaInit();
  store<u32>(ARENA_BASE + ARENA_SEED, seed);
}

export function nextHashSeed(): u32 {
  arenaInit();
  return load<u32>(ARENA_BASE + ARENA_SEED);
}

/**
 * Allocate a map: the header, then `dataSize` bytes of storage aligned to `dataAlign` (the header is
 * aligned the same way, so a 4096-aligned ring buffer gets its data one page after the header).
 * Returns the map's address with the common header fields and MAP_DATA filled in, or 0 (no memory).
 */
export function allocMap(type: u32, keySize: u32, valueSize: u32, maxEntries: u32, flags: u32, id: u32, dataSize: u64, dataAlign: u32): u32 {
  const align: u32 = dataAlign < 8 ? 8 : dataAlign;
  const hdr: u64 = (<u64>MAP_HEADER_SIZE + align - 1) & ~(<u64>align - 1);
  const total = hdr + dataSize;
  if (total >= 0x1_0000_0000) return 0;
  const m = arena_alloc(<u32>total, align);
  if (m == 0) return 0;
  store<u32>(m + MAP_TYPE, type);
  store<u32>(m + MAP_KEY_SIZE, keySize);
  store<u32>(m + MAP_VALUE_SIZE, valueSize);
  store<u32>(m + MAP_MAX_ENTRIES, maxEntries);
  store<u32>(m + MAP_FLAGS, flags);
  store<u32>(m + MAP_ID, id);
  store<u32>(m + MAP_DATA, m + <u32>hdr);
  store<u32>(m + MAP_SPIN_LOCK, 0);
  store<u32>(m + MAP_TIMER, 0);
  store<u32>(m + MAP_NO_UREF, 0);
  store<u32>(m + MAP_ALLOC_SIZE, <u32>((total + 7) & ~7));
  return m;
}
