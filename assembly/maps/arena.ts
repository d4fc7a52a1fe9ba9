// The map arena: every map's header and storage, bump-allocated at creation from ARENA_BASE upwards,
// growing the memory when needed. Nothing is allocated per operation and nothing is ever freed (maps
// live as long as the memory; arena_reset() exists for tests).
//
// The arena's own state lives in memory, not in wasm globals, so every instance over a shared memory
// (worker threads) sees the same arena:
//
//   ARENA_BASE +0  u32 magic 'WXMA' (absent: the arena is not initialised yet)
//              +4  u32 top: first free byte
//              +8  u32 scratch buffer address (0 until scratch_base() is first called)
//              +12 u32 hash seed the next hash map takes (unless BPF_F_ZERO_SEED)
//              +16 .. +63 reserved
//              +64 first allocation
//
// A map is one allocation: its 64-byte header (MAP_* in abi.ts) followed by the type's storage.

import { ARENA_BASE, MAP_DATA, MAP_FLAGS, MAP_HEADER_SIZE, MAP_ID, MAP_KEY_SIZE, MAP_MAX_ENTRIES, MAP_SPIN_LOCK, MAP_TYPE, MAP_VALUE_SIZE } from '../abi';

const ARENA_MAGIC: u32 = 0x414d5857;
const ARENA_TOP: u32 = 4;
const ARENA_SCRATCH: u32 = 8;
const ARENA_SEED: u32 = 12;

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
}

/**
 * `size` zeroed bytes aligned to `align` (a power of two), or 0 when the memory cannot grow that far.
 * Grows the memory: views over its old buffer are detached.
 */
export function arena_alloc(size: u32, align: u32): u32 {
  arenaInit();
  const a: u64 = align == 0 ? 1 : <u64>align;
  let start: u64 = 0;
  let end: u64 = 0;
  let done = false;
  while (!done) {
    // the shared build: a worker's first use of a table may allocate while the control plane does, so
    // the top moves by compare-exchange (memory.grow on a shared memory is atomic itself)
    const top = <u64>(ASC_FEATURE_THREADS ? atomic.load<u32>(ARENA_BASE + ARENA_TOP) : load<u32>(ARENA_BASE + ARENA_TOP));
    start = (top + a - 1) & ~(a - 1);
    end = start + <u64>size;
    if (end >= 0x1_0000_0000) return 0;
    const have = <u64>memory.size() << 16;
    if (end > have) {
      // Grow by at least an eighth of the memory: each grow costs V8 a new ArrayBuffer and, with a large
      // JS heap, a full GC (~100 ms measured at 100 MiB), so a table built chunk by chunk must not grow
      // page by page. Past the limit, only what is needed.
      const need = <i32>((end - have + 0xffff) >> 16);
      const step = max(need, memory.size() >> 3);
      if (memory.grow(step) < 0 && (step == need || memory.grow(need) < 0)) {
        // another thread may have grown it meanwhile
        if (end > (<u64>memory.size() << 16)) return 0;
      }
    }
    if (ASC_FEATURE_THREADS) {
      done = atomic.cmpxchg<u32>(ARENA_BASE + ARENA_TOP, <u32>top, <u32>end) == <u32>top;
    } else {
      store<u32>(ARENA_BASE + ARENA_TOP, <u32>end);
      done = true;
    }
  }
  memory.fill(<usize>start, 0, <usize>size);
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
  return m;
}
