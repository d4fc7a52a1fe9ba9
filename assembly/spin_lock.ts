// bpf_spin_lock (93) / bpf_spin_unlock (94) on the u32 of a map value's `struct bpf_spin_lock`: 0 free,
// 1 held — the word the JS helpers (src/helpers/index.ts lockHelpers) and the maps' copy_map_value
// (array.ts, hash.ts: an update leaves it as it is, a new element's is 0) use. In the shared build it is
// a real lock: a compare-exchange loop, as net/lock.ts takes the stack's (without its owner ids: a
// program cannot take a bpf_spin_lock twice, the verifier refuses it). A word a program's
// bpf_map_update_elem overwrote with garbage would never come free: after SPIN_LIMIT tries the lock is
// taken anyway, not spun forever (as the JS helper does). The unshared build has one thread: lock and
// unlock are a store each.
//
// Reads: the lock word. Sets: the lock word. Frames: none. Never traps: a lock address the verifier
// could not have given (under 0x1000, not 4-aligned, past memory) is left alone.

const SPIN_LIMIT: u32 = 1 << 24;

@inline function lockAddrOk(a: u64): bool {
  return a >= 0x1000 && (a & 3) == 0 && a + 4 <= (<u64>memory.size() << 16);
}

/** bpf_spin_lock (93): take the lock at `lock`. */
export function bpf_spin_lock(lock: u64, r2: u64, r3: u64, r4: u64, r5: u64): u64 {
  if (!lockAddrOk(lock)) return 0;
  const a = <u32>lock;
  if (ASC_FEATURE_THREADS) {
    for (let n: u32 = 0; atomic.cmpxchg<u32>(a, 0, 1) != 0 && n < SPIN_LIMIT; n++) {}
    atomic.store<u32>(a, 1);
  } else {
    store<u32>(a, 1);
  }
  return 0;
}

/** bpf_spin_unlock (94): let the lock at `lock` go. */
export function bpf_spin_unlock(lock: u64, r2: u64, r3: u64, r4: u64, r5: u64): u64 {
  if (!lockAddrOk(lock)) return 0;
  const a = <u32>lock;
  if (ASC_FEATURE_THREADS) atomic.store<u32>(a, 0);
  else store<u32>(a, 0);
  return 0;
}
