// The writers' lock of a map that workers and the control plane change at once (hash and LRU maps):
// the kernel's bucket and LRU spinlocks, as one spin lock per map in its header. Readers take none
// (lookups walk chains whose links are single aligned stores, as RCU readers of the kernel's
// hlist_nulls do). Only the shared build (workers, ASC_FEATURE_THREADS) has it; the unshared build has
// one thread and compiles the lock away.
//
//   map header +60  u32 0 free, 1 held (the type's own header words end before it)

export const MAP_WRITER_LOCK: u32 = 68; // the map header's writer lock word (abi.ts MAP_HEADER_SIZE lists the generic words)

@inline export function mapWriterLock(m: u32): void {
  if (ASC_FEATURE_THREADS) {
    while (atomic.cmpxchg<u32>(m + MAP_WRITER_LOCK, 0, 1) != 0) {}
  }
}

@inline export function mapWriterUnlock(m: u32): void {
  if (ASC_FEATURE_THREADS) atomic.store<u32>(m + MAP_WRITER_LOCK, 0);
}
