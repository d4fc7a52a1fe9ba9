// BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY (kernel/bpf/arraymap.c): max_entries preallocated,
// zeroed values indexed by a u32 key. A lookup is a bounds check and an add.
//
//   header +32 u32 stride     bytes per element: unit
//          +36 u32 unit       round_up(value_size, 8)
//          +52 u32 ncpus      (percpu) CPUs each element holds a value for
//
//   data   array:         | elem 0 value, pad to 8 | elem 1 | ... | elem max-1 |
//          percpu_array:  | cpu 0: elem 0 | elem 1 | .. | elem max-1, pad | cpu 1: elem 0 | ... | gather |
//                         element i of CPU c at data + c × cpu stride + i × unit (percpu.ts
//                         percpuStride: max_entries × unit, 128-aligned). Each CPU's values are
//                         a region of their own (percpu.ts), so workers counting in their own values
//                         never write a cache line another worker writes. `gather`
//                         (ncpus × unit bytes) is where the syscall's lookup copies an element's values
//                         side by side, as bpf_percpu_array_copy() does (the control plane's thread only).
//
// get_next_key (array_map_get_next_key) is shared with the other index-keyed maps (prog_array,
// devmap, xskmap): a missing or out-of-range key restarts at index 0, the last index ends the walk.

import { MAP_DATA, MAP_MAX_ENTRIES, MAP_SPIN_LOCK, MAP_TYPE, MAP_VALUE_SIZE } from '../abi';
import { allocMap } from './arena';
import { currentCpu, MAPS_PERCPU_NCPUS, ncpusForCreate, PCPU_REGION_ALIGN, percpuRegionSize, percpuStride } from './percpu';
import {
  accessFlagsOk, BPF_EXIST, BPF_F_ACCESS_MASK, BPF_F_INNER_MAP, BPF_F_LOCK, BPF_F_MMAPABLE, BPF_F_NUMA_NODE,
  BPF_F_PRESERVE_ELEMS, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_NOEXIST, E2BIG, EEXIST, EINVAL, ENOENT,
  ENOMEM, round8,
} from './uapi';
import { copyBytes } from '../bytes';
import { copyMapValue } from './map_value';
import { timerFreeValue } from './timer';

export const MAPS_ARRAY_STRIDE: u32 = 32;
export const MAPS_ARRAY_UNIT: u32 = 36;
const ARRAY_STRIDE = MAPS_ARRAY_STRIDE;
const ARRAY_UNIT = MAPS_ARRAY_UNIT;

const ARRAY_CREATE_FLAG_MASK: u32 = BPF_F_NUMA_NODE | BPF_F_MMAPABLE | BPF_F_ACCESS_MASK | BPF_F_PRESERVE_ELEMS | BPF_F_INNER_MAP;
const PCPU_MIN_UNIT_SIZE: u32 = 32768;

/** array_map_alloc_check(): also the base check of prog_array (fd_array_map_alloc_check). */
export function arrayAllocCheck(type: u32, keySize: u32, valueSize: u32, maxEntries: u32, flags: u32): i32 {
  const percpu = type == BPF_MAP_TYPE_PERCPU_ARRAY;
  if (maxEntries == 0 || keySize != 4 || valueSize == 0 || (flags & ~ARRAY_CREATE_FLAG_MASK) != 0 ||
      !accessFlagsOk(flags) || (percpu && (flags & BPF_F_NUMA_NODE) != 0)) return -EINVAL;
  if (type != BPF_MAP_TYPE_ARRAY && (flags & (BPF_F_MMAPABLE | BPF_F_INNER_MAP)) != 0) return -EINVAL;
  // BPF_F_PRESERVE_ELEMS belongs to perf_event_array only.
  if ((flags & BPF_F_PRESERVE_ELEMS) != 0) return -EINVAL;
  if (valueSize > 0x7fffffff) return -E2BIG;
  if (percpu && round8(valueSize) > PCPU_MIN_UNIT_SIZE) return -E2BIG;
  return 0;
}

export function arrayCreate(type: u32, keySize: u32, valueSize: u32, maxEntries: u32, flags: u32, id: u32): i64 {
  const err = arrayAllocCheck(type, keySize, valueSize, maxEntries, flags);
  if (err != 0) return err;
  const unit = round8(valueSize);
  if (type != BPF_MAP_TYPE_PERCPU_ARRAY) {
    const m = allocMap(type, keySize, valueSize, maxEntries, flags, id, <u64>unit * maxEntries, 8);
    if (m == 0) return -ENOMEM;
    store<u32>(m, unit, ARRAY_STRIDE);
    store<u32>(m, unit, ARRAY_UNIT);
      store<u32>(m, 1, MAPS_PERCPU_NCPUS);
    return m;
  }
  const ncpus = ncpusForCreate();
  const cpuStride = percpuRegionSize(unit, maxEntries);
  const size = cpuStride * ncpus + <u64>unit * ncpus;
  if (cpuStride >= 0x1_0000_0000 || size >= 0x1_0000_0000) return -ENOMEM;
  const m = allocMap(type, keySize, valueSize, maxEntries, flags, id, size, <u32>PCPU_REGION_ALIGN);
  if (m == 0) return -ENOMEM;
  store<u32>(m, unit, ARRAY_STRIDE);
  store<u32>(m, unit, ARRAY_UNIT);
  store<u32>(m, ncpus, MAPS_PERCPU_NCPUS);
  return m;
}

/** The element's first byte (CPU 0's value for percpu), or 0 when the index is out of range. */
@inline export function arrayElem(m: u32, key: u32): u32 {
  const idx = load<u32>(key);
  if (idx >= load<u32>(m, MAP_MAX_ENTRIES)) return 0;
  return load<u32>(m, MAP_DATA) + idx * load<u32>(m, ARRAY_STRIDE);
}

/** array_map_lookup_elem(). */
export function arrayLookup(m: u32, key: u32): u32 {
  return arrayElem(m, key);
}

/** percpu_array_map_lookup_elem(): the running CPU's value. */
export function percpuArrayLookup(m: u32, key: u32): u32 {
  const e = arrayElem(m, key);
  if (e == 0) return 0;
  return e + currentCpu(m) * percpuStride(m);
}

/**
 * The syscall's lookup of a percpu array (bpf_percpu_array_copy()): every CPU's value of the element,
 * round_up(value_size, 8) bytes each, copied side by side into the map's gather area; its address, or
 * 0 when the index is out of range.
 */
export function percpuArrayGather(m: u32, key: u32): u32 {
  const e = arrayElem(m, key);
  if (e == 0) return 0;
  const unit = load<u32>(m, ARRAY_UNIT);
  const cpuStride = percpuStride(m);
  const ncpus = load<u32>(m, MAPS_PERCPU_NCPUS);
  const out = load<u32>(m, MAP_DATA) + cpuStride * ncpus;
  for (let c: u32 = 0; c < ncpus; c++) copyBytes(out + c * unit, e + c * cpuStride, unit);
  return out;
}

/**
 * array_map_update_elem() (programs and the syscall; for percpu from a program: the running CPU's
 * value only) and bpf_percpu_array_update() (`onAllCpus`: the syscall, `value` holds ncpus values of
 * round_up(value_size, 8) bytes each).
 */
export function arrayUpdate(m: u32, key: u32, value: u32, flags: u64, onAllCpus: bool): i32 {
  const percpu = load<u32>(m, MAP_TYPE) == BPF_MAP_TYPE_PERCPU_ARRAY;
  if (percpu && onAllCpus) {
    if (flags > BPF_EXIST) return -EINVAL;
  } else if ((flags & ~BPF_F_LOCK) > BPF_EXIST) {
    return -EINVAL;
  }
  const e = arrayElem(m, key);
  // All elements were preallocated: none can be inserted, and every one already exists.
  if (e == 0) return -E2BIG;
  if ((flags & BPF_NOEXIST) != 0) return -EEXIST;
  // BPF_F_LOCK needs a bpf_spin_lock in the value (BTF).
  const lock = load<u32>(m, MAP_SPIN_LOCK);
  if ((flags & BPF_F_LOCK) != 0 && lock == 0) return -EINVAL;
  const vs = load<u32>(m, MAP_VALUE_SIZE);
  if (!percpu) {
    // every byte but the lock's and the timer's; then bpf_obj_free_fields frees the element's timer (measured
    // on 6.18: a bpf_timer_cancel after the update answers -EINVAL, not initialised)
    copyMapValue(m, e, value);
    timerFreeValue(m, e);
  } else if (onAllCpus) {
    const unit = load<u32>(m, ARRAY_UNIT);
    const cpuStride = percpuStride(m);
    const ncpus = load<u32>(m, MAPS_PERCPU_NCPUS);
    for (let c: u32 = 0; c < ncpus; c++) copyBytes(e + c * cpuStride, value + c * unit, unit);
  } else {
    copyBytes(e + currentCpu(m) * percpuStride(m), value, vs);
  }
  return 0;
}

/** array_map_delete_elem(): array elements cannot be deleted. */
export function arrayDelete(m: u32, key: u32): i32 {
  return -EINVAL;
}

/** array_map_get_next_key(); `key` 0 means "no key" (start). */
export function arrayGetNextKey(m: u32, key: u32, next: u32): i32 {
  const idx: u32 = key == 0 ? 0xffffffff : load<u32>(key);
  const max = load<u32>(m, MAP_MAX_ENTRIES);
  if (idx >= max) {
    store<u32>(next, 0);
    return 0;
  }
  if (idx == max - 1) return -ENOENT;
  store<u32>(next, idx + 1);
  return 0;
}
