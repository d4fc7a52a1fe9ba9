// The stack's spin locks for the shared build: what the kernel's spinlocks do where several workers
// (and the control plane, on the main thread) write one table at once — the reassembly queues
// (inet_frag_queue.lock), the neighbour tables (tbl->lock, n->lock), conntrack's table, a socket's
// receive queue (sk_receive_queue.lock) and the ready ring, the reclaimer's free lists. Readers take
// none: tables publish with single aligned stores, and what is unlinked waits for a grace period
// (reclaim.ts). The unshared build has one thread and compiles every lock away.
//
// Reads: nothing. Sets: the lock words. Frames: none.
//
// A lock word: 0 free, else the holder's id in bits 0-7 and how many times it holds it in bits 8-31.
// The holder may take it again (a stage that sends while it holds its table's lock can come back into
// it: a neighbour's failed resolution sends an ICMP error, which resolves a neighbour); anybody else
// spins on a compare-exchange. Ids: 1 the main thread (the control plane, and the data path when there
// are no workers), 2 + w worker w (worker.ts sets it).
//
// Order, when one lock is taken while another is held: reassembly → neighbour → socket / ready ring →
// reclaimer; conntrack is taken alone (its holders call no other stage).

/** This instance's lock id (a wasm global: every worker's instance has its own). */
let lockId: u32 = 1;

/** This thread's lock id (1 the main thread, 2 + w worker w). */
@inline export function netLockId(): u32 {
  return lockId;
}

/** worker_init: worker `w` takes locks as 2 + w. */
export function netLockIdSet(w: u32): void {
  lockId = 2 + w;
}

/** Take the lock at `a` (again, when this thread holds it). */
@inline export function spinLock(a: u32): void {
  if (ASC_FEATURE_THREADS) {
    const v = atomic.load<u32>(a);
    if ((v & 0xff) == lockId) {
      atomic.store<u32>(a, v + 0x100);
      return;
    }
    while (atomic.cmpxchg<u32>(a, 0, lockId | 0x100) != 0) {}
  }
}

/** Let the lock at `a` go once (free when this was the outermost hold). */
@inline export function spinUnlock(a: u32): void {
  if (ASC_FEATURE_THREADS) {
    const v = atomic.load<u32>(a);
    atomic.store<u32>(a, v >= 0x200 ? v - 0x100 : 0);
  }
}

/** `*a += v` seen whole by every thread (a counter several workers bump: sk_drops, udp_mem). */
@inline export function atomicAdd32(a: u32, v: u32): u32 {
  if (ASC_FEATURE_THREADS) return atomic.add<u32>(a, v);
  const old = load<u32>(a);
  store<u32>(a, old + v);
  return old;
}

/** `*a += v` for a u64 counter several workers bump. */
@inline export function atomicAdd64(a: u32, v: u64): void {
  if (ASC_FEATURE_THREADS) atomic.add<u64>(a, v);
  else store<u64>(a, load<u64>(a) + v);
}

/** `*a = v` for a u64 another thread reads at any time (a timeout the control plane's collector reads): one whole store. */
@inline export function atomicStore64(a: u32, v: u64): void {
  if (ASC_FEATURE_THREADS) atomic.store<u64>(a, v);
  else store<u64>(a, v);
}
