// bpf_for_each_map_elem (164): call a callback for each element of a map, in the kernel's order
// (kernel/bpf/arraymap.c bpf_for_each_array_elem, kernel/bpf/hashtab.c bpf_for_each_hash_elem).
// Reads: the map (array, percpu_array, and the four hash types: the verifier refuses the others,
// "callback function not allowed for map"), RUN_CPU for percpu values, RUN_FRAME_PTR/RUN_FRAME_DEPTH
// (where the JIT'd caller's frame is). Sets: the walk's record in the run state. Calls the callback
// (a table index, as bpf_loop's) with (map, key, value, ctx, 0); its r0 != 0 stops the walk.
// Returns the elements visited (the stopping one included), or -EINVAL for flags != 0.
//
// The walk is a record the caller drives (map_iter_start, then map_iter_next until it answers 0), so
// the interpreter walks with the same code and calls its own callback (src/interp):
//
//   RUN_ITERS + depth × MAP_ITER_SIZE   (depth: the caller's frame; a callback may walk again, one deeper)
//     +0  u32 position   array: the next index; hash: the next bucket
//     +4  u32 next       hash: the element after the one visited, read before its callback runs
//                        (hlist_nulls_for_each_entry_safe: the callback may delete the element it gets)
//     +8  u32 key        array: the index, the key the callback points at (the kernel's `u32 key` local)
//     +12 u32 value      the visited element's value (percpu: the running CPU's)
//
// Order: an array by index; a hash bucket by bucket, each bucket newest first (its chain), as the
// kernel walks its hlist_nulls heads — with BPF_F_ZERO_SEED the same buckets as the kernel's jhash.
// Elements a callback inserts land at the head of their bucket: visited only when that bucket is
// still ahead of the walk, as in the kernel.

import { MAP_DATA, MAP_ITER_KEY, MAP_ITER_SIZE, MAP_ITER_VALUE, MAP_MAX_ENTRIES, MAP_TYPE, MAX_FRAMES, RUN_BASE, RUN_FRAME_DEPTH, RUN_FRAME_PTR, RUN_ITERS } from '../abi';
import { arrayElem, percpuArrayLookup } from './array';
import { htabPcpuValue, htabValueOff, MAPS_HT_KEY_OFF, MAPS_HT_MASK } from './hash';
import {
  BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY,
  BPF_MAP_TYPE_PERCPU_HASH, EINVAL,
} from './uapi';

const IT_POS: u32 = 0;
const IT_NEXT: u32 = 4;
const IT_KEY = MAP_ITER_KEY;
const IT_VALUE = MAP_ITER_VALUE;

/** The walk record of a callback helper called from frame `depth`. */
export function map_iter_record(depth: u32): u32 {
  return RUN_BASE + RUN_ITERS + (depth < MAX_FRAMES ? depth : MAX_FRAMES - 1) * MAP_ITER_SIZE;
}

export function map_iter_start(it: u32): void {
  store<u32>(it, 0, IT_POS);
  store<u32>(it, 0, IT_NEXT);
}

/** The next element: its key's address (its value's at it + MAP_ITER_VALUE), or 0 when the walk is over. */
export function map_iter_next(m: u32, it: u32): u32 {
  const type = load<u32>(m, MAP_TYPE);
  if (type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY) {
    const i = load<u32>(it, IT_POS);
    if (i >= load<u32>(m, MAP_MAX_ENTRIES)) return 0;
    store<u32>(it, i + 1, IT_POS);
    const key = it + IT_KEY;
    store<u32>(key, i);
    store<u32>(it, type == BPF_MAP_TYPE_ARRAY ? arrayElem(m, key) : percpuArrayLookup(m, key), IT_VALUE);
    return key;
  }
  if (type != BPF_MAP_TYPE_HASH && type != BPF_MAP_TYPE_PERCPU_HASH && type != BPF_MAP_TYPE_LRU_HASH && type != BPF_MAP_TYPE_LRU_PERCPU_HASH) return 0;
  let e = load<u32>(it, IT_NEXT);
  if (e == 0) {
    const mask = load<u32>(m, MAPS_HT_MASK);
    const buckets = load<u32>(m, MAP_DATA);
    let b = load<u32>(it, IT_POS);
    while (e == 0 && b <= mask) {
      e = load<u32>(buckets + (b << 2));
      b++;
    }
    store<u32>(it, b, IT_POS);
    if (e == 0) return 0;
  }
  store<u32>(it, load<u32>(e), IT_NEXT); // the element's chain link (hash.ts E_NEXT)
  const percpu = type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
  store<u32>(it, percpu ? htabPcpuValue(m, e) : e + htabValueOff(m), IT_VALUE);
  return e + load<u32>(m, MAPS_HT_KEY_OFF);
}

export function bpf_for_each_map_elem(map: u64, fn: u64, ctx: u64, flags: u64, r5: u64): u64 {
  if (flags != 0) return <u64>-EINVAL;
  const m = <u32>map;
  // where the JIT'd caller's frame is: a callback that walks again overwrites these, so they are
  // put back before each call
  const fp = load<u32>(RUN_BASE + RUN_FRAME_PTR);
  const depth = load<u32>(RUN_BASE + RUN_FRAME_DEPTH);
  const it = map_iter_record(depth);
  map_iter_start(it);
  let n: u64 = 0;
  let key = map_iter_next(m, it);
  while (key != 0) {
    n++;
    store<u32>(RUN_BASE + RUN_FRAME_PTR, fp);
    store<u32>(RUN_BASE + RUN_FRAME_DEPTH, depth);
    if (call_indirect<u64>(<u32>fn, map, <u64>key, <u64>load<u32>(it, IT_VALUE), ctx, <u64>0) != 0) break;
    key = map_iter_next(m, it);
  }
  return n;
}
