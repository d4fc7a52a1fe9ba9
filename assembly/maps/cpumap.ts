// BPF_MAP_TYPE_CPUMAP (kernel/bpf/cpumap.c): redirect targets that are CPUs. The value is struct
// bpf_cpumap_val { u32 qsize; union { int fd; u32 id; } bpf_prog; }, value_size 4 or 8; an entry
// with qsize 0 is no entry. As for devmaps, wxdp keeps a positive program fd as given (the program's
// table slot, Program.fd) and a lookup reads it back as the program id.
//
//   MAP_DATA  max_entries × 8-byte slots: u32 qsize (0 = empty) | u32 program slot
//
// Until the data path has several workers, a frame redirected to an entry is handled on the CPU that
// redirected it (napi.ts toCpumapEntry): the entry's program, then the host path.

import { MAP_DATA, MAP_MAX_ENTRIES, MAP_VALUE_SIZE, RUN_BASE, RUN_NCPUS } from '../abi';
import { allocMap } from './arena';
import { BPF_EXIST, BPF_F_NUMA_NODE, BPF_NOEXIST, E2BIG, EEXIST, EINVAL, ENODEV, ENOMEM, EOVERFLOW } from './uapi';

/** NR_CPUS of the kernel wxdp follows (6.18 here: /sys/devices/system/cpu/kernel_max + 1). */
const NR_CPUS: u32 = 256;
/** cpu_map_update_elem's sanity limit on qsize. */
const QSIZE_MAX: u32 = 16384;

/** cpu_map_alloc(). */
export function cpumapCreate(type: u32, keySize: u32, valueSize: u32, maxEntries: u32, flags: u32, id: u32): i64 {
  if (maxEntries == 0 || keySize != 4 || (valueSize != 4 && valueSize != 8) || (flags & ~BPF_F_NUMA_NODE) != 0) return -EINVAL;
  if (maxEntries > NR_CPUS) return -E2BIG;
  const m = allocMap(type, keySize, valueSize, maxEntries, flags, id, <u64>maxEntries * 8, 8);
  return m == 0 ? -ENOMEM : m;
}

/** __cpu_map_lookup_elem / cpu_map_lookup_elem: the entry's value, or 0. */
@inline export function cpumapLookupIdx(m: u32, idx: u32): u32 {
  if (idx >= load<u32>(m, MAP_MAX_ENTRIES)) return 0;
  const s = load<u32>(m, MAP_DATA) + (idx << 3);
  return load<u32>(s) == 0 ? 0 : s;
}

export function cpumapLookup(m: u32, key: u32): u32 {
  return cpumapLookupIdx(m, load<u32>(key));
}

/**
 * cpu_map_update_elem(): -EINVAL (flags), -E2BIG (key past max_entries), -EEXIST (BPF_NOEXIST: every
 * index exists), -EOVERFLOW (qsize past 16384), -ENODEV (not a possible CPU). qsize 0 empties the entry.
 */
export function cpumapUpdate(m: u32, key: u32, value: u32, flags: u64): i32 {
  const cpu = load<u32>(key);
  if (flags > BPF_EXIST) return -EINVAL;
  if (cpu >= load<u32>(m, MAP_MAX_ENTRIES)) return -E2BIG;
  if (flags == BPF_NOEXIST) return -EEXIST;
  const qsize = load<u32>(value);
  if (qsize > QSIZE_MAX) return -EOVERFLOW;
  const ncpus = load<u32>(RUN_BASE + RUN_NCPUS);
  if (cpu >= (ncpus == 0 ? 1 : ncpus)) return -ENODEV;
  const fd: i32 = load<u32>(m, MAP_VALUE_SIZE) == 8 ? load<i32>(value, 4) : 0;
  const s = load<u32>(m, MAP_DATA) + (cpu << 3);
  if (qsize == 0) {
    store<u64>(s, 0);
    return 0;
  }
  store<u32>(s, qsize);
  store<u32>(s, fd > 0 ? <u32>fd : 0, 4);
  return 0;
}

/** cpu_map_delete_elem(): -EINVAL past max_entries, else the entry is emptied. */
export function cpumapDelete(m: u32, key: u32): i32 {
  const cpu = load<u32>(key);
  if (cpu >= load<u32>(m, MAP_MAX_ENTRIES)) return -EINVAL;
  store<u64>(load<u32>(m, MAP_DATA) + (cpu << 3), 0);
  return 0;
}

export function cpumapClear(m: u32): void {
  memory.fill(load<u32>(m, MAP_DATA), 0, <usize>load<u32>(m, MAP_MAX_ENTRIES) * 8);
}
