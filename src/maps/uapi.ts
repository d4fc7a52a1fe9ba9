// The kernel's numbers for maps (include/uapi/linux/bpf.h, errno) and the map memory layout facts
// TypeScript reads directly. assembly/maps/uapi.ts holds the same numbers for AssemblyScript;
// tests/maps/layout.test.ts proves the exported layout constants agree.

/** enum bpf_map_type, the types wxdp implements. */
export const MapType = {
  HASH: 1,
  ARRAY: 2,
  PROG_ARRAY: 3,
  PERF_EVENT_ARRAY: 4,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  LPM_TRIE: 11,
  ARRAY_OF_MAPS: 12,
  HASH_OF_MAPS: 13,
  DEVMAP: 14,
  SOCKMAP: 15,
  CPUMAP: 16,
  XSKMAP: 17,
  SOCKHASH: 18,
  REUSEPORT_SOCKARRAY: 20,
  QUEUE: 22,
  STACK: 23,
  DEVMAP_HASH: 25,
  RINGBUF: 27,
  BLOOM_FILTER: 30,
} as const;
export type MapTypeId = (typeof MapType)[keyof typeof MapType];

/** bpftool's names for map types (libbpf's map_type_name). */
const TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'unspec', 1: 'hash', 2: 'array', 3: 'prog_array', 4: 'perf_event_array', 5: 'percpu_hash', 6: 'percpu_array',
  7: 'stack_trace', 8: 'cgroup_array', 9: 'lru_hash', 10: 'lru_percpu_hash', 11: 'lpm_trie', 12: 'array_of_maps',
  13: 'hash_of_maps', 14: 'devmap', 15: 'sockmap', 16: 'cpumap', 17: 'xskmap', 18: 'sockhash',
  19: 'cgroup_storage', 20: 'reuseport_sockarray', 21: 'percpu_cgroup_storage', 22: 'queue', 23: 'stack',
  24: 'sk_storage', 25: 'devmap_hash', 26: 'struct_ops', 27: 'ringbuf', 28: 'inode_storage', 29: 'task_storage',
  30: 'bloom_filter', 31: 'user_ringbuf', 32: 'cgrp_storage', 33: 'arena',
};

export function mapTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `type ${type}`;
}

/** The type number for a bpftool/libbpf name ('hash', 'lpm_trie', ...), or undefined. */
export function mapTypeFromName(name: string): number | undefined {
  for (const [k, v] of Object.entries(TYPE_NAMES)) if (v === name) return Number(k);
  return undefined;
}

/** The types wxdp creates; BPF_MAP_CREATE of any other is refused as "not supported by wxdp". */
export const SUPPORTED_MAP_TYPES: ReadonlySet<number> = new Set(Object.values(MapType));

/** array_of_maps and hash_of_maps: values are maps (user space passes and reads their ids). */
export function isMapInMapType(type: number): boolean {
  return type === MapType.ARRAY_OF_MAPS || type === MapType.HASH_OF_MAPS;
}

/** Maps whose elements are sockets (updated with a socket id; a lookup answers the socket's cookie). */
export function isSockMapType(type: number): boolean {
  return type === MapType.SOCKMAP || type === MapType.SOCKHASH || type === MapType.REUSEPORT_SOCKARRAY;
}

export function isPercpuType(type: number): boolean {
  return type === MapType.PERCPU_HASH || type === MapType.PERCPU_ARRAY || type === MapType.LRU_PERCPU_HASH;
}

// map_update_elem flags
export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;
export const BPF_F_LOCK = 4;

/** map_flags at creation. */
export const MapFlag = {
  NO_PREALLOC: 1 << 0,
  NO_COMMON_LRU: 1 << 1,
  NUMA_NODE: 1 << 2,
  RDONLY: 1 << 3,
  WRONLY: 1 << 4,
  STACK_BUILD_ID: 1 << 5,
  ZERO_SEED: 1 << 6,
  RDONLY_PROG: 1 << 7,
  WRONLY_PROG: 1 << 8,
  CLONE: 1 << 9,
  MMAPABLE: 1 << 10,
  PRESERVE_ELEMS: 1 << 11,
  INNER_MAP: 1 << 12,
} as const;

/** bpf_redirect_map flags. */
export const BPF_F_BROADCAST = 1 << 3;
export const BPF_F_EXCLUDE_INGRESS = 1 << 4;

/** bpf_ringbuf_query flags and the record header (struct bpf_ringbuf_hdr). */
export const BPF_RB_AVAIL_DATA = 0;
export const BPF_RB_RING_SIZE = 1;
export const BPF_RB_CONS_POS = 2;
export const BPF_RB_PROD_POS = 3;
export const BPF_RB_NO_WAKEUP = 1;
export const BPF_RB_FORCE_WAKEUP = 2;
export const BPF_RINGBUF_BUSY_BIT = 2 ** 31;
export const BPF_RINGBUF_DISCARD_BIT = 2 ** 30;
export const BPF_RINGBUF_HDR_SZ = 8;

/** Linux errno values the map code returns (negated). */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EINVAL: 22,
  ENOSPC: 28,
  ENODEV: 19,
  EOVERFLOW: 75,
  EOPNOTSUPP: 95,
  ENOTSUPP: 524,
} as const;

export function errnoName(errno: number): string {
  const e = Math.abs(errno);
  for (const [k, v] of Object.entries(Errno)) if (v === e) return k;
  return `errno ${e}`;
}

/** Layout facts of assembly/maps (exported there as MAPS_* globals). */
export const MAPS_LAYOUT = {
  /** Bytes at ARENA_BASE the arena keeps for itself. */
  ARENA_HEADER: 64,
  /** Size of the buffer scratch_base() returns. */
  SCRATCH_SIZE: 65536,
  /** Header offset of the u32 CPU count of percpu maps. */
  PERCPU_NCPUS: 52,
  /** LRU hash maps whose value has kptrs: header offset of the kptr record's address (assembly/maps/lru.ts). */
  LRU_KPTRS: 48,
  /** Ring buffer header: u64 consumer position, u64 producer position, u64 pending position, u32 mask. */
  RB_CONSUMER_POS: 32,
  RB_PRODUCER_POS: 40,
  RB_PENDING_POS: 48,
  RB_MASK: 56,
  /** Ring buffer data, from the map's address (MAP_DATA holds the same address). */
  RB_DATA_OFFSET: 4096,
  /** array_of_maps / hash_of_maps: header offset of the inner map template's address (u32 type,
   * key_size, value_size, max_entries, map_flags there). */
  MIM_META: 64,
  /** In that template block: the inner value's spin lock and timer words (offset + 1; 0: none). */
  MIM_META_SPIN_LOCK: 20,
  MIM_META_TIMER: 24,
  /** A perf ring (perf_event.ts): data_head and data_tail as in struct perf_event_mmap_page. */
  PERF_DATA_HEAD: 1024,
  PERF_DATA_TAIL: 1032,
  PERF_PAGE: 4096,
} as const;

export const round8 = (n: number): number => (n + 7) & ~7;

/**
 * A percpu map's CPU stride (assembly/maps/percpu.ts percpuStride): CPU c's value of an element at CPU
 * 0's + c × this, each CPU's region max_entries values of round_up(value_size, 8) bytes, 128-aligned.
 */
export function percpuStride(valueSize: number, maxEntries: number): number {
  return Math.ceil((round8(valueSize) * maxEntries) / 128) * 128;
}
