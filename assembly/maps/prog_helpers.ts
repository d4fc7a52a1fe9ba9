// The map helpers programs call (kernel/bpf/helpers.c, ringbuf.c, net/core/filter.c), by the kernel's
// names and ids. The JIT'd module imports them directly (wasm to wasm). Every one has the JIT's helper
// signature: five u64 arguments, pointers being 32-bit linear addresses, and a u64 result where a
// negative errno is sign-extended, as r0 holds it.
//
// A program's view differs from the syscall's in three ways: percpu maps show the running CPU's
// value (RUN_CPU), an LRU lookup marks the element used, and a percpu update writes the running
// CPU's value only. Map types the kernel's verifier keeps away from a helper (an update of a devmap,
// a lookup in a prog_array, ...) get NULL or -EINVAL here.
//
// The per-type lookups (array_lookup_elem, ...) are what the kernel's map_gen_lookup inlines: a JIT
// that knows the map's type at load time may import those and skip the dispatch on the type.

import { CTX_BASE, CTX_REDIRECT_FLAGS, CTX_REDIRECT_IFINDEX, CTX_REDIRECT_MAP, MAP_TYPE } from '../abi';
import { arrayLookup, arrayUpdate, percpuArrayLookup } from './array';
import { currentCpu, MAPS_PERCPU_NCPUS, percpuStride } from './percpu';
import { devmapHashLookupIdx, devmapLookup, devmapLookupIdx } from './devmap';
import { fdArrayLookupIdx, xskMapLookup } from './fd_array';
import { cpumapLookup, cpumapLookupIdx } from './cpumap';
import { mapInMapLookup } from './map_in_map';
import { htabDelete, htabLookup, htabLruLookup, htabLruPercpuLookup, htabPercpuLookup, htabUpdate } from './hash';
import { htabLruUpdateLocking } from './lru';
import { trieDelete, trieLookup, trieUpdate } from './lpm_trie';
import { queueStackGet, queueStackPush } from './queue_stack';
import { bloomPeek, bloomPush } from './bloom_filter';
import { ringbufCommit, ringbufOutput, ringbufQuery, ringbufReserve } from './ringbuf';
import { sockMapDelete, sockMapLookupElem, sockMapUpdateElem } from './sockmap';
import {
  BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_CPUMAP,
  BPF_MAP_TYPE_HASH_OF_MAPS, BPF_MAP_TYPE_DEVMAP, BPF_MAP_TYPE_DEVMAP_HASH,
  BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LPM_TRIE, BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH,
  BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_RINGBUF, BPF_MAP_TYPE_SOCKHASH, BPF_MAP_TYPE_BLOOM_FILTER,
  BPF_MAP_TYPE_SOCKMAP, BPF_MAP_TYPE_STACK,
  BPF_MAP_TYPE_XSKMAP, EINVAL, helperErr, XDP_ABORTED, XDP_REDIRECT,
} from './uapi';

@inline function isQueueStack(m: u32): bool {
  const t = load<u32>(m, MAP_TYPE);
  return t == BPF_MAP_TYPE_QUEUE || t == BPF_MAP_TYPE_STACK;
}

/** bpf_map_lookup_elem (1): the value's address, or 0 (NULL). */
export function bpf_map_lookup_elem(map: u64, key: u64, r3: u64, r4: u64, r5: u64): u64 {
  const m = <u32>map;
  const k = <u32>key;
  switch (load<u32>(m, MAP_TYPE)) {
    case BPF_MAP_TYPE_ARRAY: return arrayLookup(m, k);
    case BPF_MAP_TYPE_HASH: return htabLookup(m, k);
    case BPF_MAP_TYPE_PERCPU_ARRAY: return percpuArrayLookup(m, k);
    case BPF_MAP_TYPE_PERCPU_HASH: return htabPercpuLookup(m, k);
    case BPF_MAP_TYPE_LRU_HASH: return htabLruLookup(m, k);
    case BPF_MAP_TYPE_LRU_PERCPU_HASH: return htabLruPercpuLookup(m, k);
    case BPF_MAP_TYPE_LPM_TRIE: return trieLookup(m, k);
    case BPF_MAP_TYPE_DEVMAP:
    case BPF_MAP_TYPE_DEVMAP_HASH: return devmapLookup(m, k);
    case BPF_MAP_TYPE_XSKMAP: return xskMapLookup(m, k);
    case BPF_MAP_TYPE_SOCKMAP:
    case BPF_MAP_TYPE_SOCKHASH: return sockMapLookupElem(m, k);
    case BPF_MAP_TYPE_CPUMAP: return cpumapLookup(m, k);
    case BPF_MAP_TYPE_ARRAY_OF_MAPS:
    case BPF_MAP_TYPE_HASH_OF_MAPS: return mapInMapLookup(m, k);
  }
  return 0;
}

/**
 * bpf_map_lookup_percpu_elem (195): CPU `cpu`'s value of the element (a u32: the kernel's BPF_CALL_3 takes
 * it so), or 0 (NULL) for a CPU past the map's (nr_cpu_ids: a percpu map holds a value for each) before the
 * element is looked for. The verifier lets only the three percpu types through. Each CPU's value is the
 * running CPU's moved by whole CPU strides (percpu.ts), so the running CPU's lookup is reused.
 */
export function bpf_map_lookup_percpu_elem(map: u64, key: u64, cpu: u64, r4: u64, r5: u64): u64 {
  const m = <u32>map;
  const k = <u32>key;
  const c = <u32>cpu;
  if (c >= load<u32>(m, MAPS_PERCPU_NCPUS)) return 0;
  let v: u32 = 0;
  switch (load<u32>(m, MAP_TYPE)) {
    case BPF_MAP_TYPE_PERCPU_ARRAY: v = percpuArrayLookup(m, k); break;
    case BPF_MAP_TYPE_PERCPU_HASH: v = htabPercpuLookup(m, k); break;
    case BPF_MAP_TYPE_LRU_PERCPU_HASH: v = htabLruPercpuLookup(m, k); break;
  }
  if (v == 0) return 0;
  return <u64>(v + (c - currentCpu(m)) * percpuStride(m));
}

/** bpf_map_update_elem (2): 0 or a negative errno. */
export function bpf_map_update_elem(map: u64, key: u64, value: u64, flags: u64, r5: u64): u64 {
  const m = <u32>map;
  const k = <u32>key;
  const v = <u32>value;
  switch (load<u32>(m, MAP_TYPE)) {
    case BPF_MAP_TYPE_ARRAY:
    case BPF_MAP_TYPE_PERCPU_ARRAY:
      return <u64><i64>arrayUpdate(m, k, v, flags, false);
    case BPF_MAP_TYPE_HASH:
    case BPF_MAP_TYPE_PERCPU_HASH:
      return <u64><i64>htabUpdate(m, k, v, flags, false);
    case BPF_MAP_TYPE_LRU_HASH:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
      // htabUpdate's LRU case without its second dispatch on the type
      return <u64><i64>htabLruUpdateLocking(m, k, v, flags, false);
    case BPF_MAP_TYPE_LPM_TRIE:
      return <u64><i64>trieUpdate(m, k, v, flags);
    case BPF_MAP_TYPE_QUEUE:
    case BPF_MAP_TYPE_STACK:
      // queue_stack_map_update_elem(): queues and stacks take bpf_map_push_elem.
      return helperErr(EINVAL);
    case BPF_MAP_TYPE_SOCKMAP:
    case BPF_MAP_TYPE_SOCKHASH:
      // The value is the socket itself (the verifier made sure).
      return <u64><i64>sockMapUpdateElem(m, k, v, flags);
  }
  return helperErr(EINVAL);
}

/** bpf_map_delete_elem (3): 0 or a negative errno. */
export function bpf_map_delete_elem(map: u64, key: u64, r3: u64, r4: u64, r5: u64): u64 {
  const m = <u32>map;
  const k = <u32>key;
  switch (load<u32>(m, MAP_TYPE)) {
    case BPF_MAP_TYPE_HASH:
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_LRU_HASH:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
      return <u64><i64>htabDelete(m, k);
    case BPF_MAP_TYPE_LPM_TRIE:
      return <u64><i64>trieDelete(m, k);
    case BPF_MAP_TYPE_SOCKMAP:
    case BPF_MAP_TYPE_SOCKHASH:
      return <u64><i64>sockMapDelete(m, k);
  }
  // Array elements cannot be deleted (array_map_delete_elem), nor queue/stack ones by key.
  return helperErr(EINVAL);
}

/** bpf_map_push_elem (87). */
export function bpf_map_push_elem(map: u64, value: u64, flags: u64, r4: u64, r5: u64): u64 {
  const m = <u32>map;
  if (load<u32>(m, MAP_TYPE) == BPF_MAP_TYPE_BLOOM_FILTER) return <u64><i64>bloomPush(m, <u32>value, flags);
  if (!isQueueStack(m)) return helperErr(EINVAL);
  return <u64><i64>queueStackPush(m, <u32>value, flags);
}

/** bpf_map_pop_elem (88): the value is zeroed when the map is empty (-ENOENT). */
export function bpf_map_pop_elem(map: u64, value: u64, r3: u64, r4: u64, r5: u64): u64 {
  const m = <u32>map;
  if (!isQueueStack(m)) return helperErr(EINVAL);
  return <u64><i64>queueStackGet(m, <u32>value, true);
}

/** bpf_map_peek_elem (89). */
export function bpf_map_peek_elem(map: u64, value: u64, r3: u64, r4: u64, r5: u64): u64 {
  const m = <u32>map;
  if (load<u32>(m, MAP_TYPE) == BPF_MAP_TYPE_BLOOM_FILTER) return <u64><i64>bloomPeek(m, <u32>value);
  if (!isQueueStack(m)) return helperErr(EINVAL);
  return <u64><i64>queueStackGet(m, <u32>value, false);
}

/** bpf_ringbuf_output (130): 0, -EINVAL (flags), -EAGAIN (no room). */
export function bpf_ringbuf_output(map: u64, data: u64, size: u64, flags: u64, r5: u64): u64 {
  const m = <u32>map;
  if (load<u32>(m, MAP_TYPE) != BPF_MAP_TYPE_RINGBUF) return helperErr(EINVAL);
  return <u64><i64>ringbufOutput(m, <u32>data, size, flags);
}

/** bpf_ringbuf_reserve (131): the sample's address, or 0 (no room, or flags other than 0). */
export function bpf_ringbuf_reserve(map: u64, size: u64, flags: u64, r4: u64, r5: u64): u64 {
  const m = <u32>map;
  if (flags != 0 || load<u32>(m, MAP_TYPE) != BPF_MAP_TYPE_RINGBUF) return 0;
  return ringbufReserve(m, size);
}

/** bpf_ringbuf_submit (132). The wakeup flags mean nothing here: consumers poll. */
export function bpf_ringbuf_submit(sample: u64, flags: u64, r3: u64, r4: u64, r5: u64): u64 {
  ringbufCommit(<u32>sample, false);
  return 0;
}

/** bpf_ringbuf_discard (133). */
export function bpf_ringbuf_discard(sample: u64, flags: u64, r3: u64, r4: u64, r5: u64): u64 {
  ringbufCommit(<u32>sample, true);
  return 0;
}

/** bpf_ringbuf_query (134): BPF_RB_AVAIL_DATA 0, RING_SIZE 1, CONS_POS 2, PROD_POS 3, else 0. */
export function bpf_ringbuf_query(map: u64, flags: u64, r3: u64, r4: u64, r5: u64): u64 {
  const m = <u32>map;
  if (load<u32>(m, MAP_TYPE) != BPF_MAP_TYPE_RINGBUF) return 0;
  return ringbufQuery(m, flags);
}

/**
 * bpf_redirect_map (51), __bpf_xdp_redirect_map(): for devmap, devmap_hash, xskmap and cpumap. An entry at
 * `key` (truncated to u32, as the kernel's lookup takes it) or BPF_F_BROADCAST records the target in
 * the context (CTX_REDIRECT_IFINDEX = the key, CTX_REDIRECT_MAP = the map, CTX_REDIRECT_FLAGS = the
 * flags when broadcasting, else 0) and returns XDP_REDIRECT. A missing entry returns the fallback
 * action in the low two bits of flags and clears CTX_REDIRECT_MAP. Flags beyond the action bits (and
 * BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS for devmaps) give XDP_ABORTED.
 */
export function bpf_redirect_map(map: u64, key: u64, flags: u64, r4: u64, r5: u64): u64 {
  const m = <u32>map;
  const idx = <u32>key;
  const type = load<u32>(m, MAP_TYPE);
  const actionMask: u64 = 3; // XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX
  let found: u32 = 0;
  let flagMask: u64 = 0;
  if (type == BPF_MAP_TYPE_DEVMAP) {
    flagMask = BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS;
    if ((flags & ~(actionMask | flagMask)) != 0) return XDP_ABORTED;
    found = devmapLookupIdx(m, idx);
  } else if (type == BPF_MAP_TYPE_DEVMAP_HASH) {
    flagMask = BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS;
    if ((flags & ~(actionMask | flagMask)) != 0) return XDP_ABORTED;
    found = devmapHashLookupIdx(m, idx);
  } else if (type == BPF_MAP_TYPE_XSKMAP) {
    if ((flags & ~actionMask) != 0) return XDP_ABORTED;
    found = fdArrayLookupIdx(m, idx);
  } else if (type == BPF_MAP_TYPE_CPUMAP) {
    if ((flags & ~actionMask) != 0) return XDP_ABORTED;
    found = cpumapLookupIdx(m, idx);
  } else {
    return XDP_ABORTED;
  }
  const broadcast = (flags & BPF_F_BROADCAST) != 0;
  if (found == 0 && !broadcast) {
    store<u32>(CTX_BASE + CTX_REDIRECT_MAP, 0);
    return flags & actionMask;
  }
  store<u64>(CTX_BASE + CTX_REDIRECT_IFINDEX, <u64>idx | (<u64>m << 32)); // the key and the map: one store, as bpf_redirect's
  store<u64>(CTX_BASE + CTX_REDIRECT_FLAGS, broadcast ? flags : 0);
  return XDP_REDIRECT;
}

// ---- per-type lookups for a JIT that knows the map's type ----

/** array_map_lookup_elem: a bounds check and an add. */
export function array_lookup_elem(map: u64, key: u64, r3: u64, r4: u64, r5: u64): u64 {
  return arrayLookup(<u32>map, <u32>key);
}

export function percpu_array_lookup_elem(map: u64, key: u64, r3: u64, r4: u64, r5: u64): u64 {
  return percpuArrayLookup(<u32>map, <u32>key);
}

export function htab_lookup_elem(map: u64, key: u64, r3: u64, r4: u64, r5: u64): u64 {
  return htabLookup(<u32>map, <u32>key);
}

export function htab_percpu_lookup_elem(map: u64, key: u64, r3: u64, r4: u64, r5: u64): u64 {
  return htabPercpuLookup(<u32>map, <u32>key);
}

export function htab_lru_lookup_elem(map: u64, key: u64, r3: u64, r4: u64, r5: u64): u64 {
  return htabLruLookup(<u32>map, <u32>key);
}

export function trie_lookup_elem(map: u64, key: u64, r3: u64, r4: u64, r5: u64): u64 {
  return trieLookup(<u32>map, <u32>key);
}
