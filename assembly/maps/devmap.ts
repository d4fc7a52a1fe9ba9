// BPF_MAP_TYPE_DEVMAP and BPF_MAP_TYPE_DEVMAP_HASH (kernel/bpf/devmap.c): redirect targets. The value
// is struct bpf_devmap_val { u32 ifindex; union { int fd; u32 id; } bpf_prog; }, value_size 4 or 8.
// wxdp stores the ifindex as given (the kernel checks the device exists) and keeps a positive program
// fd as the "program id" a lookup reads back, without running it. Programs may only look these maps
// up (the kernel makes them BPF_F_RDONLY_PROG) and redirect through them.
//
//   devmap       MAP_DATA  max_entries × 8-byte slots: u32 ifindex (0 = empty) | u32 prog id
//
//   devmap_hash  header +32 u32 mask (n_buckets - 1, n_buckets = roundup_pow_of_two(max_entries))
//                       +36 u32 free-list head
//                MAP_COUNT entries
//                MAP_DATA  | n_buckets × u32 chain heads | max_entries elements |
//                element   +0 u32 next | +4 u32 key | +8 u32 ifindex | +12 u32 prog id
//                bucket of a key: key & mask (dev_map_index_hash); chains newest first.

import { MAP_COUNT, MAP_DATA, MAP_MAX_ENTRIES, MAP_TYPE, MAP_VALUE_SIZE } from '../abi';
import { allocMap } from './arena';
import {
  BPF_EXIST, BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY, BPF_MAP_TYPE_DEVMAP_HASH, BPF_NOEXIST,
  E2BIG, EEXIST, EINVAL, ENOENT, ENOMEM,
} from './uapi';

const DH_MASK: u32 = 32;
const DH_FREE: u32 = 36;
const D_NEXT: u32 = 0;
const D_KEY: u32 = 4;
const D_VAL: u32 = 8;
const D_ELEM: u32 = 16;

const DEV_CREATE_FLAG_MASK: u32 = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY;

/** dev_map_alloc() / dev_map_init_map(). */
export function devmapCreate(type: u32, keySize: u32, valueSize: u32, maxEntries: u32, flags: u32, id: u32): i64 {
  if (maxEntries == 0 || keySize != 4 || (valueSize != 4 && valueSize != 8) || (flags & ~DEV_CREATE_FLAG_MASK) != 0) {
    return -EINVAL;
  }
  // Enforced so the value can be handed to programs as is.
  const mapFlags = flags | BPF_F_RDONLY_PROG;
  if (type == BPF_MAP_TYPE_DEVMAP_HASH) {
    if (maxEntries > 0x80000000) return -EINVAL;
    const nBuckets: u32 = maxEntries <= 1 ? 1 : <u32>1 << (32 - clz<u32>(maxEntries - 1));
    const size = <u64>nBuckets * 4 + <u64>maxEntries * D_ELEM;
    if (size >= 0x1_0000_0000) return -ENOMEM;
    const m = allocMap(type, keySize, valueSize, maxEntries, mapFlags, id, size, 8);
    if (m == 0) return -ENOMEM;
    store<u32>(m, nBuckets - 1, DH_MASK);
    const first = load<u32>(m, MAP_DATA) + nBuckets * 4;
    let e = first;
    for (let i: u32 = 1; i < maxEntries; i++) {
      store<u32>(e, e + D_ELEM, D_NEXT);
      e += D_ELEM;
    }
    store<u32>(m, first, DH_FREE);
    return m;
  }
  const m = allocMap(type, keySize, valueSize, maxEntries, mapFlags, id, <u64>maxEntries * 8, 8);
  return m == 0 ? -ENOMEM : m;
}

// ---- devmap ----

/** __dev_map_lookup_elem(): the slot (struct bpf_devmap_val) of an occupied index, or 0. */
@inline export function devmapLookupIdx(m: u32, idx: u32): u32 {
  if (idx >= load<u32>(m, MAP_MAX_ENTRIES)) return 0;
  const s = load<u32>(m, MAP_DATA) + (idx << 3);
  return load<u32>(s) == 0 ? 0 : s;
}

/** __dev_map_update_elem(). */
function devmapUpdate(m: u32, key: u32, value: u32, flags: u64): i32 {
  const idx = load<u32>(key);
  if (flags > BPF_EXIST) return -EINVAL;
  if (idx >= load<u32>(m, MAP_MAX_ENTRIES)) return -E2BIG;
  // Every index exists already.
  if (flags == BPF_NOEXIST) return -EEXIST;
  const ifindex = load<u32>(value);
  const fd: i32 = load<u32>(m, MAP_VALUE_SIZE) == 8 ? load<i32>(value, 4) : 0;
  const s = load<u32>(m, MAP_DATA) + (idx << 3);
  if (ifindex == 0) {
    // No program without a device.
    if (fd > 0) return -EINVAL;
    store<u64>(s, 0);
    return 0;
  }
  store<u32>(s, ifindex);
  store<u32>(s, fd > 0 ? <u32>fd : 0, 4);
  return 0;
}

/** dev_map_delete_elem(): clears the slot; an out-of-range index is -EINVAL. */
function devmapDelete(m: u32, key: u32): i32 {
  const idx = load<u32>(key);
  if (idx >= load<u32>(m, MAP_MAX_ENTRIES)) return -EINVAL;
  store<u64>(load<u32>(m, MAP_DATA) + (idx << 3), 0);
  return 0;
}

// ---- devmap_hash ----

/** __dev_map_hash_lookup_elem(): the element's value (struct bpf_devmap_val), or 0. */
export function devmapHashLookupIdx(m: u32, idx: u32): u32 {
  let e = load<u32>(load<u32>(m, MAP_DATA) + ((idx & load<u32>(m, DH_MASK)) << 2));
  while (e != 0) {
    if (load<u32>(e, D_KEY) == idx) return e + D_VAL;
    e = load<u32>(e, D_NEXT);
  }
  return 0;
}

/** __dev_map_hash_update_elem(): BPF_EXIST on a missing key inserts it, as in the kernel. */
function devmapHashUpdate(m: u32, key: u32, value: u32, flags: u64): i32 {
  const idx = load<u32>(key);
  const ifindex = load<u32>(value);
  if (flags > BPF_EXIST || ifindex == 0) return -EINVAL;
  const fd: i32 = load<u32>(m, MAP_VALUE_SIZE) == 8 ? load<i32>(value, 4) : 0;
  const b = load<u32>(m, MAP_DATA) + ((idx & load<u32>(m, DH_MASK)) << 2);
  let prev: u32 = 0;
  let e = load<u32>(b);
  while (e != 0 && load<u32>(e, D_KEY) != idx) {
    prev = e;
    e = load<u32>(e, D_NEXT);
  }
  if (e != 0 && (flags & BPF_NOEXIST) != 0) return -EEXIST;
  if (e != 0) {
    // The kernel links a new entry at the head and unlinks the old one.
    if (prev != 0) {
      store<u32>(prev, load<u32>(e, D_NEXT), D_NEXT);
      store<u32>(e, load<u32>(b), D_NEXT);
      store<u32>(b, e);
    }
  } else {
    if (load<u32>(m, MAP_COUNT) >= load<u32>(m, MAP_MAX_ENTRIES)) return -E2BIG;
    e = load<u32>(m, DH_FREE);
    store<u32>(m, load<u32>(e, D_NEXT), DH_FREE);
    store<u32>(e, idx, D_KEY);
    store<u32>(e, load<u32>(b), D_NEXT);
    store<u32>(b, e);
    store<u32>(m, load<u32>(m, MAP_COUNT) + 1, MAP_COUNT);
  }
  store<u32>(e, ifindex, D_VAL);
  store<u32>(e, fd > 0 ? <u32>fd : 0, D_VAL + 4);
  return 0;
}

/** __dev_map_hash_delete_elem(). */
function devmapHashDelete(m: u32, key: u32): i32 {
  const idx = load<u32>(key);
  const b = load<u32>(m, MAP_DATA) + ((idx & load<u32>(m, DH_MASK)) << 2);
  let prev: u32 = 0;
  let e = load<u32>(b);
  while (e != 0 && load<u32>(e, D_KEY) != idx) {
    prev = e;
    e = load<u32>(e, D_NEXT);
  }
  if (e == 0) return -ENOENT;
  if (prev == 0) store<u32>(b, load<u32>(e, D_NEXT));
  else store<u32>(prev, load<u32>(e, D_NEXT), D_NEXT);
  store<u32>(e, load<u32>(m, DH_FREE), D_NEXT);
  store<u32>(m, e, DH_FREE);
  store<u32>(m, load<u32>(m, MAP_COUNT) - 1, MAP_COUNT);
  return 0;
}

/** dev_map_hash_get_next_key() (devmap walks like an array: arrayGetNextKey). */
export function devmapHashGetNextKey(m: u32, key: u32, next: u32): i32 {
  const mask = load<u32>(m, DH_MASK);
  const buckets = load<u32>(m, MAP_DATA);
  let i: u32 = 0;
  if (key != 0) {
    const idx = load<u32>(key);
    const v = devmapHashLookupIdx(m, idx);
    if (v != 0) {
      const n = load<u32>(v - D_VAL, D_NEXT);
      if (n != 0) {
        store<u32>(next, load<u32>(n, D_KEY));
        return 0;
      }
      i = (idx & mask) + 1;
    }
  }
  for (; i <= mask; i++) {
    const n = load<u32>(buckets + (i << 2));
    if (n != 0) {
      store<u32>(next, load<u32>(n, D_KEY));
      return 0;
    }
  }
  return -ENOENT;
}

// ---- both ----

export function devmapLookup(m: u32, key: u32): u32 {
  const idx = load<u32>(key);
  return load<u32>(m, MAP_TYPE) == BPF_MAP_TYPE_DEVMAP_HASH ? devmapHashLookupIdx(m, idx) : devmapLookupIdx(m, idx);
}

export function devmapUpdateAny(m: u32, key: u32, value: u32, flags: u64): i32 {
  return load<u32>(m, MAP_TYPE) == BPF_MAP_TYPE_DEVMAP_HASH ? devmapHashUpdate(m, key, value, flags) : devmapUpdate(m, key, value, flags);
}

export function devmapDeleteAny(m: u32, key: u32): i32 {
  return load<u32>(m, MAP_TYPE) == BPF_MAP_TYPE_DEVMAP_HASH ? devmapHashDelete(m, key) : devmapDelete(m, key);
}

/** Empty the map (TypeScript's clear()). */
export function devmapClear(m: u32): void {
  if (load<u32>(m, MAP_TYPE) != BPF_MAP_TYPE_DEVMAP_HASH) {
    memory.fill(load<u32>(m, MAP_DATA), 0, <usize>load<u32>(m, MAP_MAX_ENTRIES) * 8);
    return;
  }
  const mask = load<u32>(m, DH_MASK);
  const buckets = load<u32>(m, MAP_DATA);
  for (let i: u32 = 0; i <= mask; i++) {
    let e = load<u32>(buckets + (i << 2));
    while (e != 0) {
      const n = load<u32>(e, D_NEXT);
      store<u32>(e, load<u32>(m, DH_FREE), D_NEXT);
      store<u32>(m, e, DH_FREE);
      e = n;
    }
    store<u32>(buckets + (i << 2), 0);
  }
  store<u32>(m, 0, MAP_COUNT);
}
