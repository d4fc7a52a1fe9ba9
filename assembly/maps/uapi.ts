// The kernel's numbers the map code speaks (include/uapi/linux/bpf.h, include/uapi/asm-generic/errno*.h,
// include/linux/errno.h for ENOTSUPP). Internal to assembly/maps: src/maps/uapi.ts holds the same
// numbers for TypeScript.

// enum bpf_map_type
export const BPF_MAP_TYPE_HASH: u32 = 1;
export const BPF_MAP_TYPE_ARRAY: u32 = 2;
export const BPF_MAP_TYPE_PROG_ARRAY: u32 = 3;
export const BPF_MAP_TYPE_PERF_EVENT_ARRAY: u32 = 4;
export const BPF_MAP_TYPE_PERCPU_HASH: u32 = 5;
export const BPF_MAP_TYPE_PERCPU_ARRAY: u32 = 6;
export const BPF_MAP_TYPE_LRU_HASH: u32 = 9;
export const BPF_MAP_TYPE_LRU_PERCPU_HASH: u32 = 10;
export const BPF_MAP_TYPE_LPM_TRIE: u32 = 11;
export const BPF_MAP_TYPE_ARRAY_OF_MAPS: u32 = 12;
export const BPF_MAP_TYPE_HASH_OF_MAPS: u32 = 13;
export const BPF_MAP_TYPE_DEVMAP: u32 = 14;
export const BPF_MAP_TYPE_SOCKMAP: u32 = 15;
export const BPF_MAP_TYPE_CPUMAP: u32 = 16;
export const BPF_MAP_TYPE_XSKMAP: u32 = 17;
export const BPF_MAP_TYPE_SOCKHASH: u32 = 18;
export const BPF_MAP_TYPE_REUSEPORT_SOCKARRAY: u32 = 20;
export const BPF_MAP_TYPE_QUEUE: u32 = 22;
export const BPF_MAP_TYPE_STACK: u32 = 23;
export const BPF_MAP_TYPE_DEVMAP_HASH: u32 = 25;
export const BPF_MAP_TYPE_RINGBUF: u32 = 27;
export const BPF_MAP_TYPE_BLOOM_FILTER: u32 = 30;

// map_update_elem flags
export const BPF_ANY: u64 = 0;
export const BPF_NOEXIST: u64 = 1;
export const BPF_EXIST: u64 = 2;
export const BPF_F_LOCK: u64 = 4;

// map_flags at creation
export const BPF_F_NO_PREALLOC: u32 = 1 << 0;
export const BPF_F_NO_COMMON_LRU: u32 = 1 << 1;
export const BPF_F_NUMA_NODE: u32 = 1 << 2;
export const BPF_F_RDONLY: u32 = 1 << 3;
export const BPF_F_WRONLY: u32 = 1 << 4;
export const BPF_F_ZERO_SEED: u32 = 1 << 6;
export const BPF_F_RDONLY_PROG: u32 = 1 << 7;
export const BPF_F_WRONLY_PROG: u32 = 1 << 8;
export const BPF_F_MMAPABLE: u32 = 1 << 10;
export const BPF_F_PRESERVE_ELEMS: u32 = 1 << 11;
export const BPF_F_INNER_MAP: u32 = 1 << 12;
export const BPF_F_ACCESS_MASK: u32 = BPF_F_RDONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY | BPF_F_WRONLY_PROG;

// bpf_redirect_map flags and XDP actions
export const BPF_F_BROADCAST: u64 = 1 << 3;
export const BPF_F_EXCLUDE_INGRESS: u64 = 1 << 4;
export const XDP_ABORTED: u64 = 0;
export const XDP_REDIRECT: u64 = 4;

// errno (positive; the map code returns them negated)
export const EPERM: i32 = 1;
export const ENOENT: i32 = 2;
export const E2BIG: i32 = 7;
export const EBADF: i32 = 9;
export const EAGAIN: i32 = 11;
export const ENOMEM: i32 = 12;
export const EBUSY: i32 = 16;
export const EEXIST: i32 = 17;
export const EINVAL: i32 = 22;
export const ENOSPC: i32 = 28;
export const EOPNOTSUPP: i32 = 95;
// the socket layer's (sock.ts, udp_output.ts, sk_prog.ts)
export const EFAULT: i32 = 14;
export const EACCES: i32 = 13;
export const ENODEV: i32 = 19;
export const EMFILE: i32 = 24;
export const ERANGE: i32 = 34;
export const EBADFD: i32 = 77;
export const EDESTADDRREQ: i32 = 89;
export const EMSGSIZE: i32 = 90;
export const EPROTOTYPE: i32 = 91;
export const ENOPROTOOPT: i32 = 92;
export const EPROTONOSUPPORT: i32 = 93;
export const ESOCKTNOSUPPORT: i32 = 94;
export const EAFNOSUPPORT: i32 = 97;
export const EADDRINUSE: i32 = 98;
export const EADDRNOTAVAIL: i32 = 99;
export const ENETUNREACH: i32 = 101;
export const ENOBUFS: i32 = 105;
export const EHOSTUNREACH: i32 = 113;
export const ENOTSUPP: i32 = 524;
export const EOVERFLOW: i32 = 75;

/** bpf_map_flags_access_ok(): a map cannot be both read-only and write-only, for either side. */
@inline export function accessFlagsOk(flags: u32): bool {
  return (flags & (BPF_F_RDONLY | BPF_F_WRONLY)) != (BPF_F_RDONLY | BPF_F_WRONLY) &&
    (flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) != (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG);
}

/** A negative errno as a helper's u64 result (sign-extended, as r0 holds it). */
@inline export function helperErr(errno: i32): u64 {
  return <u64>(-<i64>errno);
}

@inline export function round8(n: u32): u32 {
  return (n + 7) & ~7;
}
