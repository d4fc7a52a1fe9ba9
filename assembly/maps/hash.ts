// Hash maps (kernel/bpf/hashtab.c): BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH.
// Every element is preallocated at creation (as the kernel does unless BPF_F_NO_PREALLOC, which is
// accepted and ignored); buckets chain their elements, newest first, as the kernel's hlist_nulls.
// With the kernel's hash (jhash/jhash2, htab_map_hash) and bucket count (roundup_pow_of_two(max_entries)),
// a map created with BPF_F_ZERO_SEED walks (get_next_key) in exactly the kernel's order.
//
//   header +32 u32 mask       n_buckets - 1
//          +36 u32 hashrnd    seed (0 with BPF_F_ZERO_SEED, else map_hash_seed()'s value)
//          +40 u32 key_off    offset of the key in an element: 8, or 24 for LRU maps
//          +44 u32 value_off  key_off + round_up(key_size, 8)
//          +48 u32 free       free-list head (through each free element's hash word; not for LRU maps)
//          +52 u32 ncpus      (percpu) values per element
//          +56 u32 lru        (LRU) address of the LRU state (lru.ts)
//   MAP_COUNT                 live elements
//   MAP_DATA  | n_buckets × u32 chain heads | max_entries elements | (LRU) LRU state |
//             (percpu) | pad to 128 | cpu 0: element 0's value | element 1's | .. | cpu 1: ... | gather |
//
//   element  +0 u32 next | +4 u32 hash | (LRU: +8 the LRU node, 16 bytes) | key, pad to 8 |
//            value: round_up(value_size, 8); for percpu maps a u32 pptr (and 4 bytes of padding): CPU 0's
//            value of the element, set at creation (element i's is region + i × unit, as the kernel's
//            preallocated elements keep theirs, htab_elem_set_ptr), CPU c's at pptr + c × cpu stride
//            (percpu.ts percpuStride: max_entries × unit, 128-aligned).
//            `gather` (ncpus × unit) is where the syscall's lookup copies the values side by side
//            (bpf_percpu_hash_copy; the control plane's thread only).
//            A free element links the free list through its hash word (E_FREE), keeping `next`.
//
// LRU maps (LRU_HASH, LRU_PERCPU_HASH) are in lru.ts: the kernel's LRU lists, eviction and update.
//
// Updating an existing element of a hash map writes its value in place (the kernel swaps in a new
// element, and moves it to the head of its bucket: so does this code, keeping the order).

import { MAP_COUNT, MAP_DATA, MAP_KEY_SIZE, MAP_SPIN_LOCK, MAP_TYPE, MAP_VALUE_SIZE } from '../abi';
import { allocMap, nextHashSeed } from './arena';
import { htabHash, jhash1w, jhash2w, jhash4w } from './jhash';
import { HT_LRU, htabLruClear, htabLruDelete, htabLruUpdate, LRU_KEY_OFF, lruInit, lruStateSize, MAPS_LRU_LAST } from './lru';
import { currentCpu, MAPS_PERCPU_NCPUS, ncpusForCreate, PCPU_REGION_ALIGN, percpuRegionSize, percpuStride } from './percpu';
import {
  accessFlagsOk, BPF_EXIST, BPF_F_ACCESS_MASK, BPF_F_LOCK, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE,
  BPF_F_ZERO_SEED, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_HASH,
  BPF_NOEXIST, E2BIG, EEXIST, EINVAL, ENOENT, ENOMEM, ENOTSUPP, round8,
} from './uapi';
import { copyBytes, fillBytes } from '../bytes';
import { mapWriterLock, mapWriterUnlock } from './map_lock';
import { timerFreeValue } from './timer';
import { copyMapValue, initMapValue } from './map_value';
import { bpf_spin_lock, bpf_spin_unlock } from '../spin_lock';

// Exported as globals for the JIT, which inlines lookups (src/jit/index.ts hashMapsOf).
export const MAPS_HT_MASK: u32 = 32;
export const MAPS_HT_SEED: u32 = 36;
export const MAPS_HT_KEY_OFF: u32 = 40;
export const MAPS_HT_VALUE_OFF: u32 = 44;
const HT_MASK = MAPS_HT_MASK;
const HT_SEED = MAPS_HT_SEED;
const HT_KEY_OFF = MAPS_HT_KEY_OFF;
const HT_VALUE_OFF = MAPS_HT_VALUE_OFF;
const HT_FREE: u32 = 48;

const E_NEXT: u32 = 0;
const E_HASH: u32 = 4;
// A free element's free-list link is its hash word: its chain link stays as it was, so a walk that read
// it before the element was deleted goes on along the old chain (the kernel's freelist node is a field
// of its own; bpf_for_each_hash_elem's hlist_nulls_for_each_entry_safe relies on that).
const E_FREE: u32 = E_HASH;

const HTAB_CREATE_FLAG_MASK: u32 = BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK | BPF_F_ZERO_SEED;
// KMALLOC_MAX_SIZE (x86-64: 4 MiB) - sizeof(struct htab_elem) (48)
const HTAB_KV_LIMIT: u64 = (1 << 22) - 48;
const PCPU_MIN_UNIT_SIZE: u32 = 32768;

export { htabLruLookup, htabLruPercpuLookup } from './lru';

@inline function isLru(type: u32): bool {
  return type == BPF_MAP_TYPE_LRU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}
@inline function isPercpu(type: u32): bool {
  return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/** htab_map_alloc_check() then htab_map_alloc(). */
export function htabCreate(type: u32, keySize: u32, valueSize: u32, maxEntries: u32, flags: u32, id: u32): i64 {
  const percpu = isPercpu(type);
  const lru = isLru(type);
  const percpuLru = (flags & BPF_F_NO_COMMON_LRU) != 0;
  const prealloc = (flags & BPF_F_NO_PREALLOC) == 0;
  if ((flags & ~HTAB_CREATE_FLAG_MASK) != 0 || !accessFlagsOk(flags)) return -EINVAL;
  if (!lru && percpuLru) return -EINVAL;
  if (lru && !prealloc) return -ENOTSUPP;
  if ((flags & BPF_F_NUMA_NODE) != 0 && (percpu || percpuLru)) return -EINVAL;
  if (maxEntries == 0 || keySize == 0 || valueSize == 0) return -EINVAL;
  if (<u64>keySize + <u64>valueSize >= HTAB_KV_LIMIT) return -E2BIG;
  if (percpu && round8(valueSize) > PCPU_MIN_UNIT_SIZE) return -E2BIG;

  const ncpus: u32 = ncpusForCreate();
  let max = maxEntries;
  if (percpuLru) {
    // Each CPU's LRU list gets the same number of elements, at least one.
    const up = (<u64>maxEntries + ncpus - 1) / ncpus * ncpus;
    max = up > 0xffffffff ? maxEntries / ncpus * ncpus : <u32>up;
  }
  if (max > 0x80000000) return -E2BIG;
  const nBuckets: u32 = max <= 1 ? 1 : <u32>1 << (32 - clz<u32>(max - 1));

  const unit = round8(valueSize);
  const keyOff: u32 = lru ? LRU_KEY_OFF : 8;
  const valueOff = keyOff + round8(keySize);
  const valueBytes: u64 = percpu ? 8 : <u64>unit;
  const elemSize: u64 = <u64>valueOff + valueBytes;
  const tables: u64 = <u64>nBuckets * 4 + elemSize * max + (lru ? lruStateSize(percpuLru, ncpus) : 0);
  // percpu: every CPU's region of values after the tables, then the syscall's gather area
  const regions: u64 = percpu ? (tables + PCPU_REGION_ALIGN - 1) & ~(PCPU_REGION_ALIGN - 1) : tables;
  const cpuStride: u64 = percpu ? percpuRegionSize(unit, max) : 0;
  const size: u64 = percpu ? regions + cpuStride * ncpus + <u64>unit * ncpus : tables;
  if (size >= 0x1_0000_0000) return -ENOMEM;
  const m = allocMap(type, keySize, valueSize, max, flags, id, size, percpu ? <u32>PCPU_REGION_ALIGN : 8);
  if (m == 0) return -ENOMEM;

  store<u32>(m, nBuckets - 1, HT_MASK);
  store<u32>(m, (flags & BPF_F_ZERO_SEED) != 0 ? 0 : nextHashSeed(), HT_SEED);
  store<u32>(m, keyOff, HT_KEY_OFF);
  store<u32>(m, valueOff, HT_VALUE_OFF);
  store<u32>(m, percpu ? ncpus : 1, MAPS_PERCPU_NCPUS);
  const es = <u32>elemSize;
  const first = load<u32>(m, MAP_DATA) + nBuckets * 4;
  if (percpu) {
    const region = load<u32>(m, MAP_DATA) + <u32>regions;
    for (let i: u32 = 0; i < max; i++) store<u32>(first + i * es + valueOff, region + i * unit);
  }
  if (lru) {
    const state = first + max * es;
    store<u32>(m, state, HT_LRU);
    store<u32>(m, 0, MAPS_LRU_LAST);
    lruInit(state, percpuLru, ncpus, first, es, max);
    return m;
  }
  // Thread every element onto the free list, first element first.
  let e = first;
  for (let i: u32 = 1; i < max; i++) {
    store<u32>(e, e + es, E_FREE);
    e += es;
  }
  store<u32>(m, first, HT_FREE);
  return m;
}

/** memcmp() == 0 over `n` bytes. */
@inline export function htabKeyEq(a: usize, b: usize, n: u32): bool {
  let i: u32 = 0;
  for (; i + 8 <= n; i += 8) {
    if (load<u64>(a + i) != load<u64>(b + i)) return false;
  }
  if (i + 4 <= n) {
    if (load<u32>(a + i) != load<u32>(b + i)) return false;
    i += 4;
  }
  for (; i < n; i++) {
    if (load<u8>(a + i) != load<u8>(b + i)) return false;
  }
  return true;
}

/** The bucket (chain head) of `hash`. */
@inline export function htabBucketOf(m: u32, hash: u32): u32 {
  return load<u32>(m, MAP_DATA) + ((hash & load<u32>(m, HT_MASK)) << 2);
}

@inline export function htabSeed(m: u32): u32 {
  return load<u32>(m, HT_SEED);
}

@inline export function htabValueOff(m: u32): u32 {
  return load<u32>(m, HT_VALUE_OFF);
}

/**
 * The u32 at `key + off` put together from its four bytes. A key is often built by the program's
 * stores just before the call (a struct's u16 and u8 fields over a zeroed word): a wider load over
 * bytes of two stores cannot take the CPU's store forwarding and waits for the stores to be written
 * (over 10 cycles a load), where a byte load always forwards.
 */
@inline export function keyWord(key: u32, off: u32): u32 {
  return <u32>load<u8>(key + off) | (<u32>load<u8>(key + off, 1) << 8) | (<u32>load<u8>(key + off, 2) << 16) | (<u32>load<u8>(key + off, 3) << 24);
}

/** The element holding `key`, or 0 (lookup_nulls_elem_raw). 4-, 8- and 16-byte keys skip the loops. */
@inline export function htabFind(m: u32, key: u32): u32 {
  const ks = load<u32>(m, MAP_KEY_SIZE);
  const seed = load<u32>(m, HT_SEED);
  const koff = load<u32>(m, HT_KEY_OFF);
  if (ks == 4) {
    const k0 = load<u32>(key);
    const hash = jhash1w(k0, seed);
    let e = load<u32>(htabBucketOf(m, hash));
    while (e != 0) {
      if (load<u32>(e, E_HASH) == hash && load<u32>(e + koff) == k0) return e;
      e = load<u32>(e, E_NEXT);
    }
    return 0;
  }
  if (ks == 8) {
    const k = load<u64>(key);
    const hash = jhash2w(<u32>k, <u32>(k >> 32), seed);
    let e = load<u32>(htabBucketOf(m, hash));
    while (e != 0) {
      if (load<u32>(e, E_HASH) == hash && load<u64>(e + koff) == k) return e;
      e = load<u32>(e, E_NEXT);
    }
    return 0;
  }
  if (ks == 16) {
    const w0 = keyWord(key, 0);
    const w1 = keyWord(key, 4);
    const w2 = keyWord(key, 8);
    const w3 = keyWord(key, 12);
    const hash = jhash4w(w0, w1, w2, w3, seed);
    let e = load<u32>(htabBucketOf(m, hash));
    while (e != 0) {
      if (load<u32>(e, E_HASH) == hash && load<u32>(e + koff) == w0 && load<u32>(e + koff, 4) == w1 && load<u32>(e + koff, 8) == w2 && load<u32>(e + koff, 12) == w3) return e;
      e = load<u32>(e, E_NEXT);
    }
    return 0;
  }
  const hash = htabHash(key, ks, seed);
  let e = load<u32>(htabBucketOf(m, hash));
  while (e != 0) {
    if (load<u32>(e, E_HASH) == hash && htabKeyEq(e + koff, key, ks)) return e;
    e = load<u32>(e, E_NEXT);
  }
  return 0;
}

// ---- lookups ----

/** htab_map_lookup_elem(): value address or 0. */
export function htabLookup(m: u32, key: u32): u32 {
  const e = htabFind(m, key);
  return e == 0 ? 0 : e + load<u32>(m, HT_VALUE_OFF);
}

/** htab_percpu_map_lookup_elem(): the running CPU's value. */
export function htabPercpuLookup(m: u32, key: u32): u32 {
  const e = htabFind(m, key);
  if (e == 0) return 0;
  return htabPcpuValue(m, e);
}

/** A percpu element's value for the running CPU (this_cpu_ptr(htab_elem_get_ptr())). */
@inline export function htabPcpuValue(m: u32, e: u32): u32 {
  return load<u32>(e + load<u32>(m, HT_VALUE_OFF)) + currentCpu(m) * percpuStride(m);
}

/**
 * The syscall's lookup (no LRU update): the value's address; for percpu maps every CPU's value copied
 * side by side, round_up(value_size, 8) bytes each, into the map's gather area (bpf_percpu_hash_copy).
 */
export function htabLookupSys(m: u32, key: u32): u32 {
  const e = htabFind(m, key);
  if (e == 0) return 0;
  const v = e + load<u32>(m, HT_VALUE_OFF);
  if (!isPercpu(load<u32>(m, MAP_TYPE))) return v;
  const unit = round8(load<u32>(m, MAP_VALUE_SIZE));
  const ncpus = load<u32>(m, MAPS_PERCPU_NCPUS);
  const stride = percpuStride(m);
  // the first element's pptr is the start of CPU 0's region; the gather area follows the last region
  const first = load<u32>(m, MAP_DATA) + ((load<u32>(m, HT_MASK) + 1) << 2);
  const out = load<u32>(first + load<u32>(m, HT_VALUE_OFF)) + stride * ncpus;
  const p = load<u32>(v);
  for (let c: u32 = 0; c < ncpus; c++) copyBytes(out + c * unit, p + c * stride, unit);
  return out;
}

// ---- update / delete ----

/**
 * Write a value: pcpu_copy_value() / pcpu_init_value() for percpu maps (`v`: the element's pptr slot),
 * copy_map_value() otherwise.
 */
export function htabWriteValue(m: u32, v: u32, value: u32, percpu: bool, onAllCpus: bool, fresh: bool): void {
  const vs = load<u32>(m, MAP_VALUE_SIZE);
  if (!percpu) {
    // copy_map_value; a new element's lock free and no timer (check_and_init_map_value)
    copyMapValue(m, v, value);
    if (fresh) initMapValue(m, v);
    return;
  }
  const unit = round8(vs);
  const ncpus = load<u32>(m, MAPS_PERCPU_NCPUS);
  const stride = percpuStride(m);
  const p = load<u32>(v);
  if (onAllCpus) {
    for (let c: u32 = 0; c < ncpus; c++) copyBytes(p + c * stride, value + c * unit, unit);
    return;
  }
  // From a program: the running CPU's value; a new element starts at zero on the other CPUs.
  if (fresh) for (let c: u32 = 0; c < ncpus; c++) fillBytes(p + c * stride, 0, unit);
  copyBytes(p + currentCpu(m) * stride, value, vs);
}

/**
 * htab_map_update_elem() and its percpu / LRU variants. `onAllCpus`: the syscall's percpu update,
 * whose value holds ncpus values of round_up(value_size, 8) bytes.
 */
export function htabUpdate(m: u32, key: u32, value: u32, flags: u64, onAllCpus: bool): i32 {
  mapWriterLock(m);
  const r = htabUpdateLocked(m, key, value, flags, onAllCpus);
  mapWriterUnlock(m);
  return r;
}

function htabUpdateLocked(m: u32, key: u32, value: u32, flags: u64, onAllCpus: bool): i32 {
  const type = load<u32>(m, MAP_TYPE);
  if (isLru(type)) return htabLruUpdate(m, key, value, flags, onAllCpus);
  if (type == BPF_MAP_TYPE_HASH) {
    if ((flags & ~BPF_F_LOCK) > BPF_EXIST) return -EINVAL;
    // BPF_F_LOCK needs a bpf_spin_lock in the value (BTF).
    if ((flags & BPF_F_LOCK) != 0 && load<u32>(m, MAP_SPIN_LOCK) == 0) return -EINVAL;
  } else if (flags > BPF_EXIST) {
    return -EINVAL;
  }
  const percpu = isPercpu(type);
  const ks = load<u32>(m, MAP_KEY_SIZE);
  const hash = htabHash(key, ks, load<u32>(m, HT_SEED));
  const koff = load<u32>(m, HT_KEY_OFF);
  const voff = load<u32>(m, HT_VALUE_OFF);
  const b = htabBucketOf(m, hash);

  let prev: u32 = 0;
  let e = load<u32>(b);
  while (e != 0) {
    if (load<u32>(e, E_HASH) == hash && htabKeyEq(e + koff, key, ks)) break;
    prev = e;
    e = load<u32>(e, E_NEXT);
  }
  // check_flags(): BPF_F_LOCK aside
  if (e != 0 && (flags & ~BPF_F_LOCK) == BPF_NOEXIST) return -EEXIST;
  if (e == 0 && (flags & ~BPF_F_LOCK) == BPF_EXIST) return -ENOENT;

  if (e != 0 && (flags & BPF_F_LOCK) != 0) {
    // htab_map_update_elem's BPF_F_LOCK on an existing element: copy_map_value_locked in place under the
    // value's lock and return — the element stays where it is, and so does its bpf_timer
    const lock = <u64>(e + voff + load<u32>(m, MAP_SPIN_LOCK) - 1);
    bpf_spin_lock(lock, 0, 0, 0, 0);
    copyMapValue(m, e + voff, value);
    bpf_spin_unlock(lock, 0, 0, 0, 0);
    return 0;
  }
  if (e != 0) {
    // the kernel swaps in a new element and frees the old one with its timer (check_and_free_fields;
    // timerFree zeroes the field); the copy leaves the lock as it is
    timerFreeValue(m, e + voff);
    htabWriteValue(m, e + voff, value, percpu, onAllCpus, false);
    if (!percpu && prev != 0) {
      // The kernel links a new element at the head and unlinks the old one.
      store<u32>(prev, load<u32>(e, E_NEXT), E_NEXT);
      store<u32>(e, load<u32>(b), E_NEXT);
      store<u32>(b, e);
    }
    return 0;
  }

  const n = load<u32>(m, HT_FREE);
  // All preallocated elements are in use (alloc_htab_elem).
  if (n == 0) return -E2BIG;
  store<u32>(m, load<u32>(n, E_FREE), HT_FREE);
  copyBytes(n + koff, key, ks);
  store<u32>(n, hash, E_HASH);
  htabWriteValue(m, n + voff, value, percpu, onAllCpus, true);
  store<u32>(n, load<u32>(b), E_NEXT);
  store<u32>(b, n);
  store<u32>(m, load<u32>(m, MAP_COUNT) + 1, MAP_COUNT);
  return 0;
}

/** htab_map_delete_elem() / htab_lru_map_delete_elem(). */
export function htabDelete(m: u32, key: u32): i32 {
  mapWriterLock(m);
  const r = htabDeleteLocked(m, key);
  mapWriterUnlock(m);
  return r;
}

function htabDeleteLocked(m: u32, key: u32): i32 {
  if (isLru(load<u32>(m, MAP_TYPE))) return htabLruDelete(m, key);
  const ks = load<u32>(m, MAP_KEY_SIZE);
  const hash = htabHash(key, ks, load<u32>(m, HT_SEED));
  const koff = load<u32>(m, HT_KEY_OFF);
  const b = htabBucketOf(m, hash);
  let prev: u32 = 0;
  let e = load<u32>(b);
  while (e != 0) {
    if (load<u32>(e, E_HASH) == hash && htabKeyEq(e + koff, key, ks)) break;
    prev = e;
    e = load<u32>(e, E_NEXT);
  }
  if (e == 0) return -ENOENT;
  timerFreeValue(m, e + load<u32>(m, HT_VALUE_OFF));
  if (prev == 0) store<u32>(b, load<u32>(e, E_NEXT));
  else store<u32>(prev, load<u32>(e, E_NEXT), E_NEXT);
  store<u32>(e, load<u32>(m, HT_FREE), E_FREE);
  store<u32>(m, e, HT_FREE);
  store<u32>(m, load<u32>(m, MAP_COUNT) - 1, MAP_COUNT);
  return 0;
}

/**
 * htab_map_get_next_key(): the element after `key` in its bucket, else the first element of the
 * following buckets; a missing key (or `key` 0) starts from bucket 0.
 */
export function htabGetNextKey(m: u32, key: u32, next: u32): i32 {
  const ks = load<u32>(m, MAP_KEY_SIZE);
  const koff = load<u32>(m, HT_KEY_OFF);
  const mask = load<u32>(m, HT_MASK);
  const buckets = load<u32>(m, MAP_DATA);
  let i: u32 = 0;
  if (key != 0) {
    const e = htabFind(m, key);
    if (e != 0) {
      const n = load<u32>(e, E_NEXT);
      if (n != 0) {
        memory.copy(next, n + koff, ks);
        return 0;
      }
      i = (load<u32>(e, E_HASH) & mask) + 1;
    }
  }
  for (; i <= mask; i++) {
    const n = load<u32>(buckets + (i << 2));
    if (n != 0) {
      memory.copy(next, n + koff, ks);
      return 0;
    }
  }
  return -ENOENT;
}

/** Every element back on the free list (TypeScript's clear(); the kernel has no such call). */
export function htabClear(m: u32): void {
  const mask = load<u32>(m, HT_MASK);
  if (isLru(load<u32>(m, MAP_TYPE))) {
    htabLruClear(m, mask + 1);
    return;
  }
  const buckets = load<u32>(m, MAP_DATA);
  for (let i: u32 = 0; i <= mask; i++) {
    let e = load<u32>(buckets + (i << 2));
    while (e != 0) {
      const n = load<u32>(e, E_NEXT);
      timerFreeValue(m, e + load<u32>(m, HT_VALUE_OFF));
      store<u32>(e, load<u32>(m, HT_FREE), E_FREE);
      store<u32>(m, e, HT_FREE);
      e = n;
    }
    store<u32>(buckets + (i << 2), 0);
  }
  store<u32>(m, 0, MAP_COUNT);
}
