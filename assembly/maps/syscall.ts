// The control side of the maps, what bpf(2) does for user space: BPF_MAP_CREATE, LOOKUP_ELEM,
// UPDATE_ELEM, DELETE_ELEM, GET_NEXT_KEY and the queue/stack operations. TypeScript (src/maps) calls
// these exports with keys and values in the scratch buffer (scratch_base()). Results are 0 or a
// negative errno, as the syscall returns them.
//
// Percpu maps: a lookup returns CPU 0's value, the other CPUs' follow every round_up(value_size, 8)
// bytes; an update takes ncpus such values, as the syscall does.

import { MAP_ALLOC_SIZE, MAP_DATA, MAP_MAX_ENTRIES, MAP_NO_UREF, MAP_TIMER, MAP_TYPE } from '../abi';
import { arena_free } from './arena';
import { arrayCreate, arrayDelete, arrayElem, arrayGetNextKey, arrayUpdate, percpuArrayGather } from './array';
import { devmapClear, devmapCreate, devmapDeleteAny, devmapHashGetNextKey, devmapLookup, devmapUpdateAny } from './devmap';
import { fdArrayClear, fdArrayCreate, fdArrayDelete, fdArrayLookup, fdArrayUpdate } from './fd_array';
import { htabClear, htabCreate, htabDelete, htabGetNextKey, htabLookup, htabLookupSys, htabUpdate } from './hash';
import { trieClear, trieCreate, trieDelete, trieFreeChunks, trieGetNextKey, trieLookup, trieUpdate } from './lpm_trie';
import { queueStackClear, queueStackCreate, queueStackGet, queueStackPush } from './queue_stack';
import { ringbufCreate } from './ringbuf';
import { bloomCreate, bloomPeek, bloomPush } from './bloom_filter';
import { isMapInMap, mapInMapFreeMeta, mapInMapArrayClear, mapInMapDelete, mapInMapUpdate } from './map_in_map';
import { perfEventArrayClear, perfEventArrayCreate, perfEventArrayDelete, perfEventArrayFreeRings, perfEventArrayUpdate } from './perf_event';
import { cpumapClear, cpumapCreate, cpumapDelete, cpumapLookup, cpumapUpdate } from './cpumap';
import { sockMapClear, sockMapCreate, sockMapUnlist, sockMapDelete, sockMapGetNextKey, sockMapLookupSys, sockMapUpdate } from './sockmap';
import {
  BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_CPUMAP, BPF_MAP_TYPE_HASH_OF_MAPS, BPF_MAP_TYPE_PERF_EVENT_ARRAY,
  BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_DEVMAP, BPF_MAP_TYPE_DEVMAP_HASH, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LPM_TRIE,
  BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_HASH,
  BPF_MAP_TYPE_PROG_ARRAY, BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY, BPF_MAP_TYPE_RINGBUF,
  BPF_MAP_TYPE_SOCKHASH, BPF_MAP_TYPE_SOCKMAP, BPF_MAP_TYPE_STACK, BPF_MAP_TYPE_XSKMAP, EBADF, EINVAL, ENOTSUPP,
  BPF_MAP_TYPE_BLOOM_FILTER, EOPNOTSUPP,
} from './uapi';
import { timerFreeMap } from './timer';

let extraLo: u32 = 0;
let extraHi: u32 = 0;

/** BPF_MAP_CREATE's map_extra (u64, as two halves) for the next map_create, which consumes it. */
export function map_set_extra(lo: u32, hi: u32): void {
  extraLo = lo;
  extraHi = hi;
}

/**
 * BPF_MAP_CREATE: the map's address (its header), or a negative errno: -EINVAL for an unsupported
 * type or attributes the kernel's map_alloc_check refuses, -E2BIG / -ENOTSUPP where the kernel says
 * so, -ENOMEM when the memory cannot grow to hold it.
 */
export function map_create(type: u32, keySize: u32, valueSize: u32, maxEntries: u32, flags: u32, id: u32): i64 {
  // map_extra is the bloom filter's (and the arena's) alone: any other type with one is -EINVAL (map_create)
  const extra = (<u64>extraHi << 32) | extraLo;
  extraLo = 0;
  extraHi = 0;
  if (extra != 0 && type != BPF_MAP_TYPE_BLOOM_FILTER) return -EINVAL;
  switch (type) {
    case BPF_MAP_TYPE_ARRAY:
    case BPF_MAP_TYPE_PERCPU_ARRAY:
      return arrayCreate(type, keySize, valueSize, maxEntries, flags, id);
    case BPF_MAP_TYPE_HASH:
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_LRU_HASH:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
      return htabCreate(type, keySize, valueSize, maxEntries, flags, id);
    case BPF_MAP_TYPE_PROG_ARRAY:
    case BPF_MAP_TYPE_XSKMAP:
      return fdArrayCreate(type, keySize, valueSize, maxEntries, flags, id);
    case BPF_MAP_TYPE_LPM_TRIE:
      return trieCreate(type, keySize, valueSize, maxEntries, flags, id);
    case BPF_MAP_TYPE_DEVMAP:
    case BPF_MAP_TYPE_DEVMAP_HASH:
      return devmapCreate(type, keySize, valueSize, maxEntries, flags, id);
    case BPF_MAP_TYPE_QUEUE:
    case BPF_MAP_TYPE_STACK:
      return queueStackCreate(type, keySize, valueSize, maxEntries, flags, id);
    case BPF_MAP_TYPE_RINGBUF:
      return ringbufCreate(type, keySize, valueSize, maxEntries, flags, id);
    case BPF_MAP_TYPE_BLOOM_FILTER:
      return bloomCreate(type, keySize, valueSize, maxEntries, flags, id, extra);
    case BPF_MAP_TYPE_SOCKMAP:
    case BPF_MAP_TYPE_SOCKHASH:
    case BPF_MAP_TYPE_REUSEPORT_SOCKARRAY:
      return sockMapCreate(type, keySize, valueSize, maxEntries, flags, id);
    case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
      return perfEventArrayCreate(type, keySize, valueSize, maxEntries, flags, id);
    case BPF_MAP_TYPE_CPUMAP:
      return cpumapCreate(type, keySize, valueSize, maxEntries, flags, id);
    // array_of_maps / hash_of_maps need their inner map: map_in_map_create (map_in_map.ts).
  }
  return -EINVAL;
}

/**
 * BPF_MAP_LOOKUP_ELEM: the value's address, or 0 when there is none. Maps whose syscall lookup is
 * not a plain value (queue/stack: use map_peek; ringbuf: -ENOTSUPP; xskmap: -EOPNOTSUPP) give 0;
 * src/maps tells those apart by type. LRU maps are not touched (htab_lru_map_lookup_elem_sys).
 */
export function map_lookup(map: u32, keyPtr: u32): u32 {
  switch (load<u32>(map, MAP_TYPE)) {
    case BPF_MAP_TYPE_ARRAY:
      return arrayElem(map, keyPtr);
    case BPF_MAP_TYPE_PERCPU_ARRAY:
      return percpuArrayGather(map, keyPtr);
    case BPF_MAP_TYPE_HASH:
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_LRU_HASH:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
      return htabLookupSys(map, keyPtr);
    case BPF_MAP_TYPE_LPM_TRIE:
      return trieLookup(map, keyPtr);
    case BPF_MAP_TYPE_PROG_ARRAY:
      return fdArrayLookup(map, keyPtr);
    case BPF_MAP_TYPE_DEVMAP:
    case BPF_MAP_TYPE_DEVMAP_HASH:
      return devmapLookup(map, keyPtr);
    case BPF_MAP_TYPE_CPUMAP:
      return cpumapLookup(map, keyPtr);
    case BPF_MAP_TYPE_ARRAY_OF_MAPS:
      // the slot (TypeScript reads the inner map's address there and answers its id)
      return arrayElemOrEmpty(map, keyPtr);
    case BPF_MAP_TYPE_HASH_OF_MAPS:
      return htabLookupSys(map, keyPtr);
  }
  return 0;
}

/** BPF_MAP_UPDATE_ELEM (queue/stack: a push of the value, as the syscall does). */
export function map_update(map: u32, keyPtr: u32, valuePtr: u32, flags: u32): i32 {
  const f = <u64>flags;
  switch (load<u32>(map, MAP_TYPE)) {
    case BPF_MAP_TYPE_ARRAY:
    case BPF_MAP_TYPE_PERCPU_ARRAY:
      return arrayUpdate(map, keyPtr, valuePtr, f, true);
    case BPF_MAP_TYPE_HASH:
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_LRU_HASH:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
      return htabUpdate(map, keyPtr, valuePtr, f, true);
    case BPF_MAP_TYPE_LPM_TRIE:
      return trieUpdate(map, keyPtr, valuePtr, f);
    case BPF_MAP_TYPE_PROG_ARRAY:
    case BPF_MAP_TYPE_XSKMAP:
      return fdArrayUpdate(map, keyPtr, valuePtr, f);
    case BPF_MAP_TYPE_DEVMAP:
    case BPF_MAP_TYPE_DEVMAP_HASH:
      return devmapUpdateAny(map, keyPtr, valuePtr, f);
    case BPF_MAP_TYPE_QUEUE:
    case BPF_MAP_TYPE_STACK:
      return queueStackPush(map, valuePtr, f);
    case BPF_MAP_TYPE_BLOOM_FILTER:
      return bloomPush(map, valuePtr, f);
    case BPF_MAP_TYPE_RINGBUF:
      return -ENOTSUPP;
    case BPF_MAP_TYPE_SOCKMAP:
    case BPF_MAP_TYPE_SOCKHASH:
    case BPF_MAP_TYPE_REUSEPORT_SOCKARRAY:
      return sockMapUpdate(map, keyPtr, valuePtr, f);
    case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
      return perfEventArrayUpdate(map, keyPtr, valuePtr, f);
    case BPF_MAP_TYPE_CPUMAP:
      return cpumapUpdate(map, keyPtr, valuePtr, f);
    // array_of_maps / hash_of_maps: map_in_map_update, with the inner map resolved.
  }
  return -EINVAL;
}

/** BPF_MAP_DELETE_ELEM. */
export function map_delete(map: u32, keyPtr: u32): i32 {
  switch (load<u32>(map, MAP_TYPE)) {
    case BPF_MAP_TYPE_ARRAY:
    case BPF_MAP_TYPE_PERCPU_ARRAY:
      return arrayDelete(map, keyPtr);
    case BPF_MAP_TYPE_HASH:
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_LRU_HASH:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
      return htabDelete(map, keyPtr);
    case BPF_MAP_TYPE_LPM_TRIE:
      return trieDelete(map, keyPtr);
    case BPF_MAP_TYPE_PROG_ARRAY:
    case BPF_MAP_TYPE_XSKMAP:
      return fdArrayDelete(map, keyPtr);
    case BPF_MAP_TYPE_DEVMAP:
    case BPF_MAP_TYPE_DEVMAP_HASH:
      return devmapDeleteAny(map, keyPtr);
    case BPF_MAP_TYPE_RINGBUF:
      return -ENOTSUPP;
    case BPF_MAP_TYPE_BLOOM_FILTER:
      return -EOPNOTSUPP; // bloom_map_delete_elem
    case BPF_MAP_TYPE_SOCKMAP:
    case BPF_MAP_TYPE_SOCKHASH:
    case BPF_MAP_TYPE_REUSEPORT_SOCKARRAY:
      return sockMapDelete(map, keyPtr);
    case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
      return perfEventArrayDelete(map, keyPtr);
    case BPF_MAP_TYPE_CPUMAP:
      return cpumapDelete(map, keyPtr);
    case BPF_MAP_TYPE_ARRAY_OF_MAPS:
    case BPF_MAP_TYPE_HASH_OF_MAPS:
      return mapInMapDelete(map, keyPtr);
  }
  return -EINVAL;
}

/**
 * BPF_MAP_GET_NEXT_KEY: writes the key after `keyPtr` (0: the first key) at `nextKeyPtr`. A key that
 * is not in the map gives the first key; after the last key, -ENOENT.
 */
export function map_get_next_key(map: u32, keyPtr: u32, nextKeyPtr: u32): i32 {
  switch (load<u32>(map, MAP_TYPE)) {
    case BPF_MAP_TYPE_ARRAY:
    case BPF_MAP_TYPE_PERCPU_ARRAY:
    case BPF_MAP_TYPE_PROG_ARRAY:
    case BPF_MAP_TYPE_XSKMAP:
    case BPF_MAP_TYPE_DEVMAP:
    case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
    case BPF_MAP_TYPE_CPUMAP:
    case BPF_MAP_TYPE_ARRAY_OF_MAPS:
      return arrayGetNextKey(map, keyPtr, nextKeyPtr);
    case BPF_MAP_TYPE_HASH_OF_MAPS:
    case BPF_MAP_TYPE_HASH:
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_LRU_HASH:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
      return htabGetNextKey(map, keyPtr, nextKeyPtr);
    case BPF_MAP_TYPE_LPM_TRIE:
      return trieGetNextKey(map, keyPtr, nextKeyPtr);
    case BPF_MAP_TYPE_DEVMAP_HASH:
      return devmapHashGetNextKey(map, keyPtr, nextKeyPtr);
    case BPF_MAP_TYPE_RINGBUF:
      return -ENOTSUPP;
    case BPF_MAP_TYPE_BLOOM_FILTER:
      return -EOPNOTSUPP; // bloom_map_get_next_key
    case BPF_MAP_TYPE_SOCKMAP:
    case BPF_MAP_TYPE_SOCKHASH:
    case BPF_MAP_TYPE_REUSEPORT_SOCKARRAY:
      return sockMapGetNextKey(map, keyPtr, nextKeyPtr);
  }
  return -EINVAL;
}

/** An array_of_maps slot holding a map, or 0. */
function arrayElemOrEmpty(map: u32, keyPtr: u32): u32 {
  const idx = load<u32>(keyPtr);
  if (idx >= load<u32>(map, MAP_MAX_ENTRIES)) return 0;
  const e = load<u32>(map, MAP_DATA) + (idx << 2);
  return load<u32>(e) != 0 ? e : 0;
}

const mimValue = memory.data(8);

/**
 * BPF_MAP_UPDATE_ELEM of an array_of_maps or hash_of_maps: `inner` is the address of the map the
 * value's id names (TypeScript resolves it; 0 when no map has that id: -EBADF, as a bad fd).
 */
export function map_in_map_update(map: u32, keyPtr: u32, inner: u32, flags: u32): i32 {
  if (!isMapInMap(load<u32>(map, MAP_TYPE))) return -EINVAL;
  if (inner == 0) return -EBADF;
  return mapInMapUpdate(map, keyPtr, inner, <u64>flags, <u32>mimValue);
}

@inline function isQueueStack(map: u32): bool {
  const t = load<u32>(map, MAP_TYPE);
  return t == BPF_MAP_TYPE_QUEUE || t == BPF_MAP_TYPE_STACK;
}

/**
 * Queue/stack push (BPF_MAP_UPDATE_ELEM on them): BPF_EXIST overwrites the oldest when full. Bloom
 * filter: the value's bits set (flags other than BPF_ANY: -EINVAL).
 */
export function map_push(map: u32, valuePtr: u32, flags: u32): i32 {
  if (load<u32>(map, MAP_TYPE) == BPF_MAP_TYPE_BLOOM_FILTER) return bloomPush(map, valuePtr, <u64>flags);
  return isQueueStack(map) ? queueStackPush(map, valuePtr, <u64>flags) : -EINVAL;
}

/** Queue/stack pop (BPF_MAP_LOOKUP_AND_DELETE_ELEM on them; a bloom filter: -ENOTSUPP, as the syscall). */
export function map_pop(map: u32, valuePtr: u32): i32 {
  if (load<u32>(map, MAP_TYPE) == BPF_MAP_TYPE_BLOOM_FILTER) return -ENOTSUPP;
  return isQueueStack(map) ? queueStackGet(map, valuePtr, true) : -EINVAL;
}

/**
 * Queue/stack peek (BPF_MAP_LOOKUP_ELEM on them). Bloom filter: the value at `valuePtr` is the one
 * asked about (the syscall copies it in): 0 when all its bits are set, else -ENOENT.
 */
export function map_peek(map: u32, valuePtr: u32): i32 {
  if (load<u32>(map, MAP_TYPE) == BPF_MAP_TYPE_BLOOM_FILTER) return bloomPeek(map, valuePtr);
  return isQueueStack(map) ? queueStackGet(map, valuePtr, false) : -EINVAL;
}

/**
 * Remove every element (no kernel counterpart; what deleting each key would do, in one call):
 * 0, or -EINVAL for maps whose elements cannot be deleted (array, percpu_array) and -ENOTSUPP for
 * ringbuf. xskmap and devmap slots are emptied.
 */
/**
 * The map's last reference went (its object unloaded, no program or outer map holding it): its memory
 * goes back to the arena, with what the type allocated beside it (perf rings, the inner-map template),
 * and socket maps leave the list socket close walks. 0, or -EINVAL for an address that is no live map.
 * A cpumap's entries are emptied first: their queues are drained by their workers and freed after a
 * grace period (cpumap.ts cpumap_reclaim), as the kernel's __cpu_map_entry_free.
 */
export function map_free(map: u32): i32 {
  const size = load<u32>(map, MAP_ALLOC_SIZE);
  if (size == 0) return -EINVAL;
  switch (load<u32>(map, MAP_TYPE)) {
    case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
      perfEventArrayFreeRings(map);
      break;
    case BPF_MAP_TYPE_SOCKMAP:
    case BPF_MAP_TYPE_SOCKHASH:
    case BPF_MAP_TYPE_REUSEPORT_SOCKARRAY:
      sockMapUnlist(map);
      break;
    case BPF_MAP_TYPE_ARRAY_OF_MAPS:
    case BPF_MAP_TYPE_HASH_OF_MAPS:
      mapInMapFreeMeta(map);
      break;
    case BPF_MAP_TYPE_CPUMAP:
      cpumapClear(map);
      break;
    case BPF_MAP_TYPE_LPM_TRIE:
      trieFreeChunks(map);
      break;
  }
  // bpf_map_free_timers: the map's timers go with it
  if (load<u32>(map, MAP_TIMER) != 0) timerFreeMap(map);
  store<u32>(map, 0, MAP_ALLOC_SIZE);
  arena_free(map, size);
  return 0;
}

/**
 * bpf_map_put_uref's last user reference gone (the map's object unloaded while a program or another
 * object's map-in-map still holds the map): map->ops->map_release_uref. A prog_array is emptied
 * (prog_array_map_clear: its tail calls fall through from now on), a hash, LRU hash or array map's
 * timers are cancelled and freed (htab_map_free_timers_and_wq, array_map_free_timers_wq), and
 * bpf_timer_init on the map answers -EPERM after (__bpf_async_init reads usercnt 0).
 */
export function map_release_uref(map: u32): void {
  // atomic in the shared build: a worker's bpf_timer_init reads it under the timers' lock (maps/timer.ts)
  if (ASC_FEATURE_THREADS) atomic.store<u32>(map + MAP_NO_UREF, 1);
  else store<u32>(map, 1, MAP_NO_UREF);
  if (load<u32>(map, MAP_TYPE) == BPF_MAP_TYPE_PROG_ARRAY) fdArrayClear(map);
  if (load<u32>(map, MAP_TIMER) != 0) timerFreeMap(map);
}

export function map_clear(map: u32): i32 {
  switch (load<u32>(map, MAP_TYPE)) {
    case BPF_MAP_TYPE_HASH:
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_LRU_HASH:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
      htabClear(map);
      return 0;
    case BPF_MAP_TYPE_LPM_TRIE:
      trieClear(map);
      return 0;
    case BPF_MAP_TYPE_PROG_ARRAY:
    case BPF_MAP_TYPE_XSKMAP:
      fdArrayClear(map);
      return 0;
    case BPF_MAP_TYPE_DEVMAP:
    case BPF_MAP_TYPE_DEVMAP_HASH:
      devmapClear(map);
      return 0;
    case BPF_MAP_TYPE_QUEUE:
    case BPF_MAP_TYPE_STACK:
      queueStackClear(map);
      return 0;
    case BPF_MAP_TYPE_SOCKMAP:
    case BPF_MAP_TYPE_SOCKHASH:
    case BPF_MAP_TYPE_REUSEPORT_SOCKARRAY:
      sockMapClear(map);
      return 0;
    case BPF_MAP_TYPE_RINGBUF:
      return -ENOTSUPP;
    case BPF_MAP_TYPE_HASH_OF_MAPS:
      htabClear(map);
      return 0;
    case BPF_MAP_TYPE_ARRAY_OF_MAPS:
      mapInMapArrayClear(map);
      return 0;
    case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
      perfEventArrayClear(map);
      return 0;
    case BPF_MAP_TYPE_CPUMAP:
      cpumapClear(map);
      return 0;
  }
  return -EINVAL;
}

/**
 * The element's value in place, CPU 0's for a percpu map (the others every percpuStride bytes after it), or 0:
 * what src/control/graph_maps.ts saves and frees an element's kptrs and list heads from. No side effect
 * (an LRU element is not marked referenced). Array, hash and LRU types only.
 */
export function map_elem_value(map: u32, keyPtr: u32): u32 {
  switch (load<u32>(map, MAP_TYPE)) {
    case BPF_MAP_TYPE_ARRAY:
    case BPF_MAP_TYPE_PERCPU_ARRAY:
      return arrayElem(map, keyPtr);
    case BPF_MAP_TYPE_HASH:
    case BPF_MAP_TYPE_LRU_HASH:
      return htabLookup(map, keyPtr);
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH: {
      const v = htabLookup(map, keyPtr);
      return v == 0 ? 0 : load<u32>(v);
    }
  }
  return 0;
}

/**
 * BPF_MAP_LOOKUP_ELEM on a socket map: the socket's cookie (u64) at `out`, or -ENOSPC (value_size 4,
 * as sock_map_lookup_sys), -ENOENT (no socket there), -EINVAL (not a socket map).
 */
export function map_lookup_sock(map: u32, keyPtr: u32, out: u32): i32 {
  switch (load<u32>(map, MAP_TYPE)) {
    case BPF_MAP_TYPE_SOCKMAP:
    case BPF_MAP_TYPE_SOCKHASH:
    case BPF_MAP_TYPE_REUSEPORT_SOCKARRAY:
      return sockMapLookupSys(map, keyPtr, out);
  }
  return -EINVAL;
}
