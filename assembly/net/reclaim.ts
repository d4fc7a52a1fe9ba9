// The stack's one notion of "every reader has passed": memory for tables the control plane rebuilds
// aside while workers read them, reclaimed the way the kernel's RCU does it for the FIB
// (quiescent-state based). The control plane takes blocks from size-class free lists (or the arena),
// publishes a new version with one aligned store, RETIRES the blocks the old version used, and a
// retired block goes back on a free list only after every worker that could still be reading it has
// passed a quiescent point.
//
// Reads: the per-worker counters. Sets: the counters (workers), the free lists, the batches and the
// grace-period numbers (the control plane only). Frames: none.
//
// Workers: each registers (net_worker_online), bumps its counter at every quiescent point — between
// bursts, when it holds no pointer into any table (net_quiescent) — and deregisters when it stops
// polling (net_worker_offline). A worker that is offline holds nothing. The main thread, which both
// runs the control plane and the fast path between calls, needs no counter: when it reclaims, it is
// itself quiescent.
//
// Control plane: retired blocks collect in an OPEN batch. rc_reclaim() closes the open batch into the
// PENDING one with a snapshot of every worker's counter (when nothing is pending), and frees the
// pending batch once each worker that was online at the snapshot is offline or has moved its counter.
// Retired blocks are recorded beside them (in chunks the control plane owns), never in the block
// itself: a reader may still be reading every byte of it. Counters are single aligned u32 words, read
// and written whole (the module is built without the threads feature, as every publishing store here).
//
// Grace periods are numbered: the open batch is grace period `seq`, and `done` is the last one that is
// over. Pools that must keep their own memory use the same grace periods instead of a clock of their
// own: the LPM tables' per-table heap (lpm_heap.ts: blocks packed per table, exact 8-byte classes) and
// the neighbour entries (neigh.ts: allocated and retired on the data path, which must not touch the
// reclaimer). Such a pool tags what it unlinked with rc_stamp() (the open grace period, which then
// closes at the next rc_reclaim even with no block of ours in it) and reuses it once rc_passed(stamp).
// So every user — reclaim.ts's own free lists (fib.ts, netdev.ts, neigh.ts's hash blocks and parms,
// device records), lpm_heap.ts and neigh.ts entries — waits for the same snapshot of the same counters.
//
// State (its address at NR_RECLAIM in the root, set up on first use):
//
//   +0   u32 open batch (chunk list)        +4 u32 pending batch (chunk list)
//   +8   u32 a batch is pending (1)         +12 u32 bytes retired, not yet free
//   +16  u64 bytes taken from the arena     +24 u64 bytes on the free lists
//   +32  u32 slab: next free byte           +36 u32 slab end
//   +40  u32 seq: the open grace period     +44 u32 done: the last grace period that is over
//   +48  u32 the pending grace period       +52 u32 the open one was stamped (1): it must close
//   +64  RC_WORKERS × u32 worker counters (0: offline)
//   +320 RC_WORKERS × u32 the pending batch's snapshot
//   +576 RC_CLASSES × u32 free lists by class (16 << class bytes): +0 next
//   +640 u32 large free list (blocks over the last class, whole 64 KiB): +0 next, +4 size
//   +644 u32 packed slab: next free byte   +648 u32 packed slab end
//   +704 RC_CLASSES × u32 packed free lists by class
//
// Packed blocks (rc_alloc_packed / rc_retire_packed): small records that a lookup reads at random among
// many others, carved from a slab of their own and reused only as packed blocks. From the one slab they
// would sit between the records made between them (a reuseport group among its members' socket
// records: one per 4 KiB page with 16 members, so a lookup that reads thousands of them misses the TLB
// on each); packed, thousands share a few hundred pages.
//
//   chunk (CHUNK_BYTES, class CHUNK_CLASS): +0 next chunk | +4 count | +8 count × (u32 block, u32 size)

import { arena_alloc, arena_top } from '../maps/arena';
import { NET_ROOT_PTR, NR_RECLAIM } from './abi';
import { spinLock, spinUnlock } from './lock';

/** The stack's root (core.ts netRoot; read here directly so maps can use the reclaimer without core's imports). */
@inline function netRoot(): u32 {
  return load<u32>(NET_ROOT_PTR);
}

export const RC_WORKERS: u32 = 64;
const RC_CLASSES: u32 = 16;
const RS_OPEN: u32 = 0;
const RS_PENDING: u32 = 4;
const RS_SNAPPED: u32 = 8;
const RS_RETIRED: u32 = 12;
const RS_ARENA: u32 = 16;
const RS_FREE: u32 = 24;
const RS_SLAB_POS: u32 = 32;
const RS_SLAB_END: u32 = 36;
const RS_SEQ: u32 = 40;
const RS_DONE: u32 = 44;
const RS_PENDING_SEQ: u32 = 48;
const RS_STAMPED: u32 = 52;
// the shared build: the free lists and batches change under one spin lock (lock.ts), as the data path
// allocates too (a neighbour hash growing) while the control plane does
const RS_LOCK: u32 = 56;
// New small blocks are carved from slabs taken from the arena a MiB (or an eighth of the arena) at a
// time: growing the memory a page at a time makes V8 collect garbage at every grow (a million routes
// took minutes instead of seconds).
const SLAB_MIN: u32 = 1 << 20;
const RS_COUNTERS: u32 = 64;
const RS_SNAPSHOT: u32 = 320;
const RS_CLASSES: u32 = 576;
const RS_LARGE: u32 = 640;
const RS_PSLAB_POS: u32 = 644;
const RS_PSLAB_END: u32 = 648;
const RS_PCLASSES: u32 = 704;
const RS_SIZE: u32 = 768;
/** A packed slab's bytes (2048 blocks of 128). */
const PSLAB_BYTES: u32 = 256 << 10;
/** In a retired block's recorded size: the block is packed (back on the packed free lists). */
const RC_PACKED: u32 = 0x80000000;
const CHUNK_BYTES: u32 = 4096;
const CHUNK_ENTRIES: u32 = (CHUNK_BYTES - 8) / 8;
const LARGE_UNIT: u32 = 65536;

function state(): u32 {
  const r = netRoot();
  if (r == 0) return 0;
  let s = load<u32>(r + NR_RECLAIM);
  if (s == 0) {
    s = arena_alloc(RS_SIZE, 64);
    if (s == 0) return 0;
    memory.fill(s, 0, RS_SIZE);
    store<u32>(s + RS_SEQ, 1); // grace period 0 is over before anything is stamped
    store<u32>(r + NR_RECLAIM, s);
  }
  return s;
}

/** The class of a block of `size` bytes (RC_CLASSES: large). */
@inline function classOf(size: u32): u32 {
  if (size <= 16) return 0;
  const c: u32 = 28 - clz<u32>(size - 1); // 16 << c >= size
  return c < RC_CLASSES ? c : RC_CLASSES;
}

/** What a block of `size` bytes really occupies. */
@inline function blockBytes(size: u32): u32 {
  const c = classOf(size);
  return c < RC_CLASSES ? <u32>16 << c : (size + LARGE_UNIT - 1) & ~(LARGE_UNIT - 1);
}

/**
 * `size` zeroed bytes (16-aligned, 64 for blocks of 64 bytes and more) from the free lists or the
 * arena; 0 when the memory cannot grow. The control plane; the data path too in the shared build (under
 * the reclaimer's lock), where a first use or a growing table allocates.
 */
export function rc_alloc(size: u32): u32 {
  const s = state();
  if (s == 0) return 0;
  spinLock(s + RS_LOCK);
  const b = rcAlloc(s, size);
  spinUnlock(s + RS_LOCK);
  return b;
}

function rcAlloc(s: u32, size: u32): u32 {
  if (s == 0 || size == 0) return 0;
  const bytes = blockBytes(size);
  const c = classOf(size);
  let b: u32 = 0;
  if (c < RC_CLASSES) {
    const head = s + RS_CLASSES + (c << 2);
    b = load<u32>(head);
    if (b != 0) store<u32>(head, load<u32>(b));
  } else {
    // large blocks are reused only at their exact size (bucket arrays come back at the sizes they left)
    let prev = s + RS_LARGE;
    b = load<u32>(prev);
    while (b != 0 && load<u32>(b + 4) != bytes) {
      prev = b;
      b = load<u32>(b);
    }
    if (b != 0) store<u32>(prev, load<u32>(b));
  }
  if (b != 0) {
    store<u64>(s + RS_FREE, load<u64>(s + RS_FREE) - bytes);
    memory.fill(b, 0, bytes);
    return b;
  }
  if (c < RC_CLASSES) {
    let slab = arena_top() >> 3;
    if (slab < SLAB_MIN) slab = SLAB_MIN;
    b = slabCarve(s, bytes, RS_SLAB_POS, RS_CLASSES, slab);
  } else {
    b = arena_alloc(bytes, 64);
    if (b != 0) store<u64>(s + RS_ARENA, load<u64>(s + RS_ARENA) + bytes);
  }
  return b;
}

/** `bytes` (a class size: a power of two ≥ 16) from the current slab, a new one when it is spent. */
/**
 * `bytes` from the slab whose cursor and end are at s + `pos` (its end right after), a new one of
 * `slabBytes` when it has no room: what is left of the old one goes to the free lists at s + `lists`,
 * block by block.
 */
function slabCarve(s: u32, bytes: u32, posAt: u32, lists: u32, slabBytes: u32): u32 {
  const align: u32 = bytes < 64 ? bytes : 64;
  let pos = (load<u32>(s + posAt) + align - 1) & ~(align - 1);
  if (pos == 0 || pos + bytes > load<u32>(s + posAt + 4)) {
    let left = load<u32>(s + posAt);
    const end = load<u32>(s + posAt + 4);
    for (let c = <i32>RC_CLASSES - 1; c >= 0 && left != 0; c--) {
      const size = <u32>16 << c;
      const al: u32 = size < 64 ? size : 64;
      while (((left + al - 1) & ~(al - 1)) + size <= end) {
        left = (left + al - 1) & ~(al - 1);
        releaseTo(s, lists, left, size);
        left += size;
      }
    }
    const base = arena_alloc(slabBytes, 64);
    if (base == 0) return 0;
    store<u64>(s + RS_ARENA, load<u64>(s + RS_ARENA) + slabBytes);
    store<u32>(s + posAt + 4, base + slabBytes);
    pos = base;
  }
  store<u32>(s + posAt, pos + bytes);
  return pos;
}

/**
 * `size` zeroed bytes (a small block: up to 16 << 15) for a record that lookups read at random among
 * many (see Packed blocks above): from the packed free lists or the packed slab; 0 when the memory
 * cannot grow. Retire it with rc_retire_packed. As rc_alloc: the control plane (and the data path in
 * the shared build, under the lock).
 */
export function rc_alloc_packed(size: u32): u32 {
  const s = state();
  if (s == 0 || size == 0 || classOf(size) >= RC_CLASSES) return 0;
  spinLock(s + RS_LOCK);
  const bytes = blockBytes(size);
  const head = s + RS_PCLASSES + (classOf(size) << 2);
  let b = load<u32>(head);
  if (b != 0) {
    store<u32>(head, load<u32>(b));
    store<u64>(s + RS_FREE, load<u64>(s + RS_FREE) - bytes);
    memory.fill(b, 0, bytes);
  } else b = slabCarve(s, bytes, RS_PSLAB_POS, RS_PCLASSES, PSLAB_BYTES);
  spinUnlock(s + RS_LOCK);
  return b;
}

/** rc_retire for a block from rc_alloc_packed: once free it goes back on the packed free lists. */
export function rc_retire_packed(b: u32, size: u32): i32 {
  return rc_retire(b, size | RC_PACKED);
}

/** Put a block nobody can reach any more on its free list (a packed one, RC_PACKED in `size`, on the packed ones). */
function release(s: u32, b: u32, size: u32): void {
  if ((size & RC_PACKED) != 0) releaseTo(s, RS_PCLASSES, b, size & ~RC_PACKED);
  else releaseTo(s, RS_CLASSES, b, size);
}

/** Put block `b` of `size` bytes on its class's free list at s + `lists` (or the large list). */
function releaseTo(s: u32, lists: u32, b: u32, size: u32): void {
  const c = classOf(size);
  const bytes = blockBytes(size);
  if (c < RC_CLASSES) {
    const head = s + lists + (c << 2);
    store<u32>(b, load<u32>(head));
    store<u32>(head, b);
  } else {
    store<u32>(b, load<u32>(s + RS_LARGE));
    store<u32>(b + 4, bytes);
    store<u32>(s + RS_LARGE, b);
  }
  store<u64>(s + RS_FREE, load<u64>(s + RS_FREE) + bytes);
}

/**
 * Block `b` (`size` bytes, as it was allocated) is no longer reachable from any published structure:
 * free it once every worker has passed a quiescent point. 0, or -12 (ENOMEM: no room to record it;
 * the block is then simply not reused).
 */
export function rc_retire(b: u32, size: u32): i32 {
  const s = state();
  if (s == 0 || b == 0) return 0;
  spinLock(s + RS_LOCK);
  const r = rcRetire(s, b, size);
  spinUnlock(s + RS_LOCK);
  return r;
}

function rcRetire(s: u32, b: u32, size: u32): i32 {
  let ch = load<u32>(s + RS_OPEN);
  if (ch == 0 || load<u32>(ch + 4) == CHUNK_ENTRIES) {
    const n = rc_alloc(CHUNK_BYTES);
    if (n == 0) return -12;
    store<u32>(n, ch);
    store<u32>(s + RS_OPEN, n);
    ch = n;
  }
  const k = load<u32>(ch + 4);
  store<u32>(ch + 8 + (k << 3), b);
  store<u32>(ch + 12 + (k << 3), size);
  store<u32>(ch + 4, k + 1);
  store<u32>(s + RS_RETIRED, load<u32>(s + RS_RETIRED) + blockBytes(size & ~RC_PACKED));
  return 0;
}

/** Every worker online at the snapshot has gone offline or passed a quiescent point since. */
function graceOver(s: u32): bool {
  for (let w: u32 = 0; w < RC_WORKERS; w++) {
    const snap = load<u32>(s + RS_SNAPSHOT + (w << 2));
    if (snap == 0) continue;
    const now = load<u32>(s + RS_COUNTERS + (w << 2));
    if (now != 0 && now == snap) return false;
  }
  return true;
}

/**
 * A block no reader can have seen (never published: a refused command's undo) straight back on its free list: no
 * grace period, and no chunk to record it in — what rc_retire needs, and cannot get once memory has run out.
 */
export function rc_free_unseen(b: u32, size: u32): void {
  const s = state();
  if (s == 0 || b == 0) return;
  spinLock(s + RS_LOCK);
  release(s, b, size);
  spinUnlock(s + RS_LOCK);
}

/**
 * Reclaim what can be: the open batch becomes the pending one (the workers' counters noted) when
 * none is pending, and the pending batch goes to the free lists once its grace period is over.
 * Returns the bytes still retired and waiting. Control plane only; call it after publishing, and
 * again later when workers are running (each call is cheap).
 */
export function rc_reclaim(): u32 {
  const s = state();
  if (s == 0) return 0;
  // a grace period pending and not over yet: nothing to do, and nothing taken. Read without the lock
  // (a hint: a caller that waits for a grace period calls this in a loop, and taking the lock each
  // time would starve the workers that need it on their way to their quiescent point)
  if (load<u32>(s + RS_SNAPPED) != 0 && !graceOver(s)) return load<u32>(s + RS_RETIRED);
  spinLock(s + RS_LOCK);
  const r = rcReclaim(s);
  spinUnlock(s + RS_LOCK);
  return r;
}

function rcReclaim(s: u32): u32 {
  if (load<u32>(s + RS_SNAPPED) == 0 && (load<u32>(s + RS_OPEN) != 0 || load<u32>(s + RS_STAMPED) != 0)) {
    store<u32>(s + RS_PENDING, load<u32>(s + RS_OPEN));
    store<u32>(s + RS_OPEN, 0);
    store<u32>(s + RS_SNAPPED, 1);
    store<u32>(s + RS_STAMPED, 0);
    const seq = load<u32>(s + RS_SEQ);
    store<u32>(s + RS_PENDING_SEQ, seq);
    store<u32>(s + RS_SEQ, seq + 1);
    for (let w: u32 = 0; w < RC_WORKERS; w++) store<u32>(s + RS_SNAPSHOT + (w << 2), load<u32>(s + RS_COUNTERS + (w << 2)));
  }
  if (load<u32>(s + RS_SNAPPED) != 0 && graceOver(s)) {
    let ch = load<u32>(s + RS_PENDING);
    while (ch != 0) {
      const next = load<u32>(ch);
      const n = load<u32>(ch + 4);
      for (let k: u32 = 0; k < n; k++) {
        const size = load<u32>(ch + 12 + (k << 3));
        release(s, load<u32>(ch + 8 + (k << 3)), size);
        store<u32>(s + RS_RETIRED, load<u32>(s + RS_RETIRED) - blockBytes(size & ~RC_PACKED));
      }
      release(s, ch, CHUNK_BYTES);
      ch = next;
    }
    store<u32>(s + RS_PENDING, 0);
    store<u32>(s + RS_SNAPPED, 0);
    store<u32>(s + RS_DONE, load<u32>(s + RS_PENDING_SEQ));
    // what was retired (or stamped) meanwhile may start its own grace period at once
    if (load<u32>(s + RS_OPEN) != 0 || load<u32>(s + RS_STAMPED) != 0) return rcReclaim(s);
  }
  return load<u32>(s + RS_RETIRED);
}

/**
 * For a pool that keeps its own memory: the grace period what it has just unlinked waits for (the open
 * one, which is closed by the next rc_reclaim). Reuse it once rc_passed(stamp). 0 (always passed)
 * when the stack has no root. Control plane only.
 */
export function rc_stamp(): u32 {
  const s = state();
  if (s == 0) return 0;
  spinLock(s + RS_LOCK);
  store<u32>(s + RS_STAMPED, 1);
  const seq = load<u32>(s + RS_SEQ);
  spinUnlock(s + RS_LOCK);
  return seq;
}

/**
 * Grace period `stamp` (from rc_stamp) is over: every worker that could hold what was unlinked before
 * it has passed a quiescent point. Compared as serial numbers in the low 24 bits (a pool may keep only
 * those), so the numbers may wrap.
 */
export function rc_passed(stamp: u32): bool {
  const s = state();
  if (s == 0) return true;
  return <i32>((stamp - load<u32>(s + RS_DONE)) << 8) <= 0;
}

/** How long rc_synchronize sleeps between looks (µs), and how many of those make a millisecond. */
const SYNC_NAP_US: u32 = 100;
const SYNC_NAPS_PER_MS: u32 = 10;

/**
 * The host's sleep (src/runtime/fastpath.ts, worker_thread.ts: Atomics.wait on a word nobody notifies),
 * not memory.atomic.wait32: V8 11.3's Liftoff (Node 20) loses the calling function's loop state across
 * that instruction (a loop's bound read back as 0 after the first nap, so the wait ended at once; checked
 * apart from this module with --liftoff-only, and TurboFan keeps it). Only the shared build imports it.
 */
// @ts-ignore: decorator
@external("env", "nap")
declare function hostNap(us: u32): void;

/**
 * synchronize_rcu() for the control plane (the main thread of the shared build, which may sleep):
 * waits until grace period `stamp` is over, sleeping SYNC_NAP_US between looks so the workers it waits
 * for keep the cores, for at most `ms` milliseconds. True when it is over. Spinning instead left a
 * descheduled worker's quiescent point hundreds of milliseconds away on a loaded 2-core box. At most
 * 1000 s.
 */
export function rc_synchronize(stamp: u32, ms: u32): bool {
  const naps: u32 = min(ms, 1_000_000) * SYNC_NAPS_PER_MS;
  for (let i: u32 = 0; i <= naps; i++) {
    rc_reclaim();
    if (rc_passed(stamp)) return true;
    if (ASC_FEATURE_THREADS) hostNap(SYNC_NAP_US);
  }
  return false;
}

/** Bytes the reclaimer took from the arena (slabs whole), and of those how many are free for reuse (for tests and stats). */
export function rc_arena_bytes(): u64 {
  const s = state();
  return s == 0 ? 0 : load<u64>(s + RS_ARENA);
}

export function rc_free_bytes(): u64 {
  const s = state();
  return s == 0 ? 0 : load<u64>(s + RS_FREE);
}

// ---- The workers' side ----

/**
 * This instance's worker slot: 0 for the thread that runs the control plane (it never registers),
 * w + 1 once worker w registered. A wasm global, so every instance (every worker) has its own; stages
 * that keep per-worker state the data path writes (dst.ts's route cache) index it with this.
 */
let workerSlot: u32 = 0;

@inline export function netWorkerSlot(): u32 {
  return workerSlot;
}

/** Worker `w` (0 .. RC_WORKERS-1) starts reading tables. */
export function net_worker_online(w: u32): void {
  const s = state();
  if (s == 0 || w >= RC_WORKERS) return;
  const a = s + RS_COUNTERS + (w << 2);
  if (load<u32>(a) == 0) store<u32>(a, 1);
  workerSlot = w + 1;
}

/** Worker `w` holds no pointer into any table (between bursts): a quiescent point. */
export function net_quiescent(w: u32): void {
  const s = load<u32>(netRoot() + NR_RECLAIM);
  if (s == 0 || w >= RC_WORKERS) return;
  const a = s + RS_COUNTERS + (w << 2);
  let v = load<u32>(a) + 1;
  if (v == 0) v = 1;
  store<u32>(a, v);
}

/** Worker `w` stops reading tables (it may be idle for long: it must not hold reclamation back). */
export function net_worker_offline(w: u32): void {
  const s = state();
  if (s == 0 || w >= RC_WORKERS) return;
  store<u32>(s + RS_COUNTERS + (w << 2), 0);
}
