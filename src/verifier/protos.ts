// Helper prototypes as the verifier sees them (struct bpf_func_proto): argument and return types, by
// kernel helper id, per program type. The kernel's xdp_func_proto, sk_lookup_func_proto,
// sk_reuseport_func_proto and bpf_base_func_proto (net/core/filter.c, kernel/bpf/helpers.c) decide
// which helpers each type may call; wxdp lists those it implements.

import { KERNEL_TRACING_HELPERS } from '../helpers/index.js';
import { MapType as MapTypes } from '../maps/uapi.js';

export enum Arg {
  /** Any initialised register. */
  ANYTHING,
  CONST_MAP_PTR,
  PTR_TO_MAP_KEY,
  PTR_TO_MAP_VALUE,
  /** A map value the helper writes (pop/peek): may be uninitialised. */
  PTR_TO_UNINIT_MAP_VALUE,
  PTR_TO_CTX,
  /** Memory the helper reads; the size is the next argument. */
  PTR_TO_MEM,
  /** ARG_PTR_TO_FIXED_SIZE_MEM (MEM_FIXED_SIZE | ARG_PTR_TO_MEM): memory the helper reads, of the proto's
   *  arg size (Proto.argSizes), checked at this argument, with no size argument after it. */
  PTR_TO_FIXED_SIZE_MEM,
  /** ARG_PTR_TO_FIXED_SIZE_MEM | MEM_WRITE | MEM_ALIGNED (bpf_check_mtu's mtu_len): arg_size bytes the
   *  helper reads and writes (check_helper_mem_access as a BPF_WRITE), then aligned to that size
   *  (check_ptr_alignment, strict). With MEM_UNINIT too (bpf_strtol's res) the same here: the stack's
   *  bytes need not be initialised either way (helperMem's write). */
  PTR_TO_FIXED_SIZE_MEM_WRITE_ALIGNED,
  /** PTR_TO_MEM or NULL (with a zero size). */
  PTR_TO_MEM_OR_NULL,
  /** Memory the helper writes, or NULL (with a zero size): bpf_snprintf's str (uninitialised stack is fine, as 6.18 takes it). */
  PTR_TO_UNINIT_MEM_OR_NULL,
  /** Memory the helper writes; the size is the next argument. */
  PTR_TO_UNINIT_MEM,
  CONST_SIZE,
  CONST_SIZE_OR_ZERO,
  CONST_ALLOC_SIZE_OR_ZERO,
  /** A ringbuf reservation, released by the call. */
  PTR_TO_RINGBUF_MEM_RELEASE,
  PTR_TO_FUNC,
  PTR_TO_STACK_OR_NULL,
  /** A map value's `struct bpf_timer` (process_timer_func). */
  PTR_TO_TIMER,
  /** ARG_PTR_TO_SOCKET | PTR_MAYBE_NULL (bpf_sk_assign's socket, in sk_lookup programs). */
  PTR_TO_SOCKET_OR_NULL,
  /** ARG_PTR_TO_BTF_ID_SOCK_COMMON | OBJ_RELEASE (bpf_sk_release): a referenced socket, released by the call. */
  PTR_TO_SOCK_COMMON_RELEASE,
  /** ARG_PTR_TO_BTF_ID_SOCK_COMMON | PTR_MAYBE_NULL: any socket pointer, or NULL. */
  PTR_TO_SOCK_COMMON_OR_NULL,
  /** ARG_PTR_TO_BTF_ID_SOCK_COMMON: any socket pointer, NULL-checked (bpf_tcp_check_syncookie's). */
  PTR_TO_SOCK_COMMON,
  /** ARG_PTR_TO_SPIN_LOCK: the `struct bpf_spin_lock` of a map value (locks.ts). */
  PTR_TO_SPIN_LOCK,
  /** ARG_PTR_TO_CONST_STR: a NUL-terminated string at a constant offset of a frozen read-only array's value. */
  PTR_TO_CONST_STR,
  /** ARG_PTR_TO_DYNPTR | MEM_RDONLY: an initialised dynptr on the stack (dynptr.ts). */
  PTR_TO_DYNPTR,
  /** ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_LOCAL | MEM_UNINIT: stack slots the helper makes a local dynptr of. */
  PTR_TO_DYNPTR_UNINIT_LOCAL,
  /** ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_RINGBUF | MEM_UNINIT: a ringbuf record's dynptr, a reference to release. */
  PTR_TO_DYNPTR_UNINIT_RINGBUF,
  /** ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_RINGBUF | OBJ_RELEASE: that dynptr, released by the call. */
  PTR_TO_DYNPTR_RELEASE_RINGBUF,
  /** ARG_PTR_TO_PERCPU_BTF_ID: a per-CPU object's pointer (MEM_PERCPU | MEM_RCU: a stashed bpf_percpu_obj_new object). */
  PTR_TO_PERCPU_BTF_ID,
  /** ARG_KPTR_XCHG_DEST: a map value's referenced kptr field at a constant offset (process_kptr_func). */
  KPTR_XCHG_DEST,
  /** ARG_PTR_TO_BTF_ID_OR_NULL | OBJ_RELEASE of bpf_kptr_xchg: an allocated object of the kptr's struct (its reference released), or NULL. */
  PTR_TO_KPTR_OBJ_OR_NULL_RELEASE,
}

export enum Ret {
  INTEGER,
  VOID,
  MAP_VALUE_OR_NULL,
  RINGBUF_MEM_OR_NULL,
  /** RET_PTR_TO_DYNPTR_MEM_OR_NULL: a slice of the dynptr argument, of the constant size argument. */
  DYNPTR_MEM_OR_NULL,
  /** RET_PTR_TO_SOCKET_OR_NULL of an acquire function (bpf_sk_lookup_tcp/udp): a referenced socket or NULL. */
  SOCKET_OR_NULL,
  /** RET_PTR_TO_SOCK_COMMON_OR_NULL of an acquire function (bpf_skc_lookup_tcp). */
  SOCK_COMMON_OR_NULL,
  /** RET_PTR_TO_BTF_ID_OR_NULL of bpf_kptr_xchg: the kptr's old object (MEM_ALLOC), a new reference, or NULL. */
  KPTR_OR_NULL,
  /** RET_PTR_TO_MEM_OR_BTF_ID of bpf_per_cpu_ptr / bpf_this_cpu_ptr on a per-CPU object: one CPU's copy (MEM_ALLOC | MEM_RCU). */
  CPU_ALLOC_PTR,
}

export interface Proto {
  args: Arg[];
  ret: Ret;
  /** Map types the helper accepts as its map argument (check_map_func_compatibility). */
  mapTypes?: readonly number[];
  /** bpf_func_proto.arg_size[]: the size of each PTR_TO_FIXED_SIZE_MEM argument, by position. */
  argSizes?: readonly number[];
}

/** BPF_MAP_TYPE_*: the types wxdp implements. */
export const MapType = MapTypes;

const M = MapType;
/** Maps whose elements bpf_map_lookup/update/delete_elem reach (not prog_array, ringbuf, queue, stack, xsk…). */
const KV_MAPS = [M.HASH, M.ARRAY, M.PERCPU_HASH, M.PERCPU_ARRAY, M.LRU_HASH, M.LRU_PERCPU_HASH, M.LPM_TRIE];
// check_map_func_compatibility's helper side lets a bloom filter into push, pop and peek; its map side
// then refuses pop (mapAllowsHelper)
const QUEUE_MAPS = [M.QUEUE, M.STACK, M.BLOOM_FILTER];
const SOCK_MAPS = [M.SOCKMAP, M.SOCKHASH];

export const PROTOS: Readonly<Record<number, Proto>> = {
  1: { args: [Arg.CONST_MAP_PTR, Arg.PTR_TO_MAP_KEY], ret: Ret.MAP_VALUE_OR_NULL, mapTypes: [...KV_MAPS, M.DEVMAP, M.DEVMAP_HASH, M.XSKMAP, M.CPUMAP, ...SOCK_MAPS, M.ARRAY_OF_MAPS, M.HASH_OF_MAPS] },
  // A sockmap's value is a socket (resolve_map_arg_type); may_update_sockmap decides which types may.
  2: { args: [Arg.CONST_MAP_PTR, Arg.PTR_TO_MAP_KEY, Arg.PTR_TO_MAP_VALUE, Arg.ANYTHING], ret: Ret.INTEGER, mapTypes: [...KV_MAPS, M.DEVMAP, M.DEVMAP_HASH, M.CPUMAP, ...SOCK_MAPS] },
  3: { args: [Arg.CONST_MAP_PTR, Arg.PTR_TO_MAP_KEY], ret: Ret.INTEGER, mapTypes: [...KV_MAPS, M.DEVMAP, M.DEVMAP_HASH, M.XSKMAP, M.CPUMAP, ...SOCK_MAPS] },
  5: { args: [], ret: Ret.INTEGER },
  // trace_printk: args 3–5 are not declared (ARG_DONTCARE), so they need not be initialised.
  6: { args: [Arg.PTR_TO_MEM, Arg.CONST_SIZE], ret: Ret.INTEGER },
  7: { args: [], ret: Ret.INTEGER },
  8: { args: [], ret: Ret.INTEGER },
  14: { args: [], ret: Ret.INTEGER },
  15: { args: [], ret: Ret.INTEGER },
  16: { args: [Arg.PTR_TO_UNINIT_MEM, Arg.CONST_SIZE], ret: Ret.INTEGER },
  // tail_call: bpf_tail_call_proto's RET_VOID: when it returns (no program at the index), R0 is
  // unreadable like the other caller-saved registers.
  12: { args: [Arg.PTR_TO_CTX, Arg.CONST_MAP_PTR, Arg.ANYTHING], ret: Ret.VOID, mapTypes: [M.PROG_ARRAY] },
  23: { args: [Arg.ANYTHING, Arg.ANYTHING], ret: Ret.INTEGER },
  // bpf_xdp_event_output_proto: the frame's bytes in flags' upper 32 bits follow the `size` bytes.
  25: { args: [Arg.PTR_TO_CTX, Arg.CONST_MAP_PTR, Arg.ANYTHING, Arg.PTR_TO_MEM, Arg.CONST_SIZE_OR_ZERO], ret: Ret.INTEGER, mapTypes: [M.PERF_EVENT_ARRAY] },
  // sk_reuseport_load_bytes_proto (sk_reuseport programs: offsets from the UDP header)
  26: { args: [Arg.PTR_TO_CTX, Arg.ANYTHING, Arg.PTR_TO_UNINIT_MEM, Arg.CONST_SIZE], ret: Ret.INTEGER },
  28: { args: [Arg.PTR_TO_MEM_OR_NULL, Arg.CONST_SIZE_OR_ZERO, Arg.PTR_TO_MEM_OR_NULL, Arg.CONST_SIZE_OR_ZERO, Arg.ANYTHING], ret: Ret.INTEGER },
  44: { args: [Arg.PTR_TO_CTX, Arg.ANYTHING], ret: Ret.INTEGER },
  // bpf_get_socket_ptr_cookie_proto (sk_reuseport programs)
  46: { args: [Arg.PTR_TO_SOCK_COMMON_OR_NULL], ret: Ret.INTEGER },
  51: { args: [Arg.CONST_MAP_PTR, Arg.ANYTHING, Arg.ANYTHING], ret: Ret.INTEGER, mapTypes: [M.DEVMAP, M.DEVMAP_HASH, M.XSKMAP, M.CPUMAP] },
  54: { args: [Arg.PTR_TO_CTX, Arg.ANYTHING], ret: Ret.INTEGER },
  65: { args: [Arg.PTR_TO_CTX, Arg.ANYTHING], ret: Ret.INTEGER },
  // bpf_xdp_fib_lookup_proto: the params struct is read and written (ARG_PTR_TO_MEM, not RDONLY)
  69: { args: [Arg.PTR_TO_CTX, Arg.PTR_TO_MEM, Arg.CONST_SIZE, Arg.ANYTHING], ret: Ret.INTEGER },
  // sk_select_reuseport_proto (sk_reuseport programs)
  82: { args: [Arg.PTR_TO_CTX, Arg.CONST_MAP_PTR, Arg.PTR_TO_MAP_KEY, Arg.ANYTHING], ret: Ret.INTEGER, mapTypes: [M.REUSEPORT_SOCKARRAY, ...SOCK_MAPS] },
  // bpf_xdp_sk_lookup_tcp_proto, bpf_xdp_sk_lookup_udp_proto (pkt_access: the tuple may be in the
  // packet): ctx, the tuple (ARG_PTR_TO_MEM | MEM_RDONLY), its size, netns id, flags
  84: { args: [Arg.PTR_TO_CTX, Arg.PTR_TO_MEM, Arg.CONST_SIZE, Arg.ANYTHING, Arg.ANYTHING], ret: Ret.SOCKET_OR_NULL },
  85: { args: [Arg.PTR_TO_CTX, Arg.PTR_TO_MEM, Arg.CONST_SIZE, Arg.ANYTHING, Arg.ANYTHING], ret: Ret.SOCKET_OR_NULL },
  // bpf_sk_release_proto
  86: { args: [Arg.PTR_TO_SOCK_COMMON_RELEASE], ret: Ret.INTEGER },
  87: { args: [Arg.CONST_MAP_PTR, Arg.PTR_TO_MAP_VALUE, Arg.ANYTHING], ret: Ret.INTEGER, mapTypes: QUEUE_MAPS },
  88: { args: [Arg.CONST_MAP_PTR, Arg.PTR_TO_UNINIT_MAP_VALUE], ret: Ret.INTEGER, mapTypes: QUEUE_MAPS },
  89: { args: [Arg.CONST_MAP_PTR, Arg.PTR_TO_UNINIT_MAP_VALUE], ret: Ret.INTEGER, mapTypes: QUEUE_MAPS },
  // bpf_xdp_skc_lookup_tcp_proto
  99: { args: [Arg.PTR_TO_CTX, Arg.PTR_TO_MEM, Arg.CONST_SIZE, Arg.ANYTHING, Arg.ANYTHING], ret: Ret.SOCK_COMMON_OR_NULL },
  // bpf_spin_lock_proto / bpf_spin_unlock_proto
  93: { args: [Arg.PTR_TO_SPIN_LOCK], ret: Ret.VOID },
  94: { args: [Arg.PTR_TO_SPIN_LOCK], ret: Ret.VOID },
  // bpf_probe_read_kernel_proto (bpf_base_func_proto, privileged): dst, its size, any address
  113: { args: [Arg.PTR_TO_UNINIT_MEM, Arg.CONST_SIZE_OR_ZERO, Arg.ANYTHING], ret: Ret.INTEGER },
  118: { args: [], ret: Ret.INTEGER },
  // bpf_sk_lookup_assign_proto (sk_lookup programs)
  124: { args: [Arg.PTR_TO_CTX, Arg.PTR_TO_SOCKET_OR_NULL, Arg.ANYTHING], ret: Ret.INTEGER },
  125: { args: [], ret: Ret.INTEGER },
  130: { args: [Arg.CONST_MAP_PTR, Arg.PTR_TO_MEM, Arg.CONST_SIZE_OR_ZERO, Arg.ANYTHING], ret: Ret.INTEGER, mapTypes: [M.RINGBUF] },
  131: { args: [Arg.CONST_MAP_PTR, Arg.CONST_ALLOC_SIZE_OR_ZERO, Arg.ANYTHING], ret: Ret.RINGBUF_MEM_OR_NULL, mapTypes: [M.RINGBUF] },
  132: { args: [Arg.PTR_TO_RINGBUF_MEM_RELEASE, Arg.ANYTHING], ret: Ret.VOID },
  133: { args: [Arg.PTR_TO_RINGBUF_MEM_RELEASE, Arg.ANYTHING], ret: Ret.VOID },
  134: { args: [Arg.CONST_MAP_PTR, Arg.ANYTHING], ret: Ret.INTEGER, mapTypes: [M.RINGBUF] },
  160: { args: [], ret: Ret.INTEGER },
  // bpf_get_numa_node_id_proto, bpf_ktime_get_tai_ns_proto
  42: { args: [], ret: Ret.INTEGER },
  208: { args: [], ret: Ret.INTEGER },
  // bpf_strtol_proto, bpf_strtoul_proto: buf (MEM_RDONLY), its size, flags, the s64/u64 result
  // (ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED, arg4_size 8)
  105: { args: [Arg.PTR_TO_MEM, Arg.CONST_SIZE, Arg.ANYTHING, Arg.PTR_TO_FIXED_SIZE_MEM_WRITE_ALIGNED], ret: Ret.INTEGER, argSizes: [0, 0, 0, 8] },
  106: { args: [Arg.PTR_TO_MEM, Arg.CONST_SIZE, Arg.ANYTHING, Arg.PTR_TO_FIXED_SIZE_MEM_WRITE_ALIGNED], ret: Ret.INTEGER, argSizes: [0, 0, 0, 8] },
  // bpf_strncmp_proto: s1 (MEM_RDONLY), its size, s2 a constant string
  182: { args: [Arg.PTR_TO_MEM, Arg.CONST_SIZE, Arg.PTR_TO_CONST_STR], ret: Ret.INTEGER },
  // bpf_snprintf_proto (gpl_only): str or NULL, its size, fmt a constant string, data (MEM_RDONLY or NULL), its size;
  // check_bpf_snprintf_call then checks the format (helpers/bprintf.ts)
  165: { args: [Arg.PTR_TO_UNINIT_MEM_OR_NULL, Arg.CONST_SIZE_OR_ZERO, Arg.PTR_TO_CONST_STR, Arg.PTR_TO_MEM_OR_NULL, Arg.CONST_SIZE_OR_ZERO], ret: Ret.INTEGER },
  // bpf_map_lookup_percpu_elem_proto: map, key, cpu (check_map_func_compatibility: the percpu maps only)
  195: { args: [Arg.CONST_MAP_PTR, Arg.PTR_TO_MAP_KEY, Arg.ANYTHING], ret: Ret.MAP_VALUE_OR_NULL, mapTypes: [M.PERCPU_HASH, M.PERCPU_ARRAY, M.LRU_PERCPU_HASH] },
  // bpf_dynptr_from_mem_proto, bpf_dynptr_read_proto, bpf_dynptr_write_proto, bpf_dynptr_data_proto
  197: { args: [Arg.PTR_TO_UNINIT_MEM, Arg.CONST_SIZE_OR_ZERO, Arg.ANYTHING, Arg.PTR_TO_DYNPTR_UNINIT_LOCAL], ret: Ret.INTEGER },
  // bpf_ringbuf_reserve_dynptr_proto, bpf_ringbuf_submit_dynptr_proto, bpf_ringbuf_discard_dynptr_proto
  198: { args: [Arg.CONST_MAP_PTR, Arg.ANYTHING, Arg.ANYTHING, Arg.PTR_TO_DYNPTR_UNINIT_RINGBUF], ret: Ret.INTEGER, mapTypes: [M.RINGBUF] },
  199: { args: [Arg.PTR_TO_DYNPTR_RELEASE_RINGBUF, Arg.ANYTHING], ret: Ret.VOID },
  200: { args: [Arg.PTR_TO_DYNPTR_RELEASE_RINGBUF, Arg.ANYTHING], ret: Ret.VOID },
  201: { args: [Arg.PTR_TO_UNINIT_MEM, Arg.CONST_SIZE_OR_ZERO, Arg.PTR_TO_DYNPTR, Arg.ANYTHING, Arg.ANYTHING], ret: Ret.INTEGER },
  202: { args: [Arg.PTR_TO_DYNPTR, Arg.ANYTHING, Arg.PTR_TO_MEM, Arg.CONST_SIZE_OR_ZERO, Arg.ANYTHING], ret: Ret.INTEGER },
  203: { args: [Arg.PTR_TO_DYNPTR, Arg.ANYTHING, Arg.CONST_ALLOC_SIZE_OR_ZERO], ret: Ret.DYNPTR_MEM_OR_NULL },
  // bpf_tcp_raw_gen_syncookie_ipv4/ipv6_proto, bpf_tcp_raw_check_syncookie_ipv4/ipv6_proto (net/core/filter.c,
  // pkt_access, gpl_only): the IP header of sizeof(struct iphdr) 20 / sizeof(struct ipv6hdr) 40; the TCP
  // header with its length (gen: options included), or of sizeof(struct tcphdr) 20 (check)
  204: { args: [Arg.PTR_TO_FIXED_SIZE_MEM, Arg.PTR_TO_MEM, Arg.CONST_SIZE_OR_ZERO], ret: Ret.INTEGER, argSizes: [20] },
  205: { args: [Arg.PTR_TO_FIXED_SIZE_MEM, Arg.PTR_TO_MEM, Arg.CONST_SIZE_OR_ZERO], ret: Ret.INTEGER, argSizes: [40] },
  206: { args: [Arg.PTR_TO_FIXED_SIZE_MEM, Arg.PTR_TO_FIXED_SIZE_MEM], ret: Ret.INTEGER, argSizes: [20, 20] },
  207: { args: [Arg.PTR_TO_FIXED_SIZE_MEM, Arg.PTR_TO_FIXED_SIZE_MEM], ret: Ret.INTEGER, argSizes: [40, 20] },
  // bpf_tcp_check_syncookie_proto, bpf_tcp_gen_syncookie_proto (net/core/filter.c, pkt_access, gpl_only): a
  // socket (ARG_PTR_TO_BTF_ID_SOCK_COMMON), the IP header and the TCP header (MEM_RDONLY) with their sizes
  100: { args: [Arg.PTR_TO_SOCK_COMMON, Arg.PTR_TO_MEM, Arg.CONST_SIZE, Arg.PTR_TO_MEM, Arg.CONST_SIZE], ret: Ret.INTEGER },
  110: { args: [Arg.PTR_TO_SOCK_COMMON, Arg.PTR_TO_MEM, Arg.CONST_SIZE, Arg.PTR_TO_MEM, Arg.CONST_SIZE], ret: Ret.INTEGER },
  // bpf_trace_vprintk_proto: fmt (read-only), its size, the u64 arguments (or NULL) and their size
  177: { args: [Arg.PTR_TO_MEM, Arg.CONST_SIZE, Arg.PTR_TO_MEM_OR_NULL, Arg.CONST_SIZE_OR_ZERO], ret: Ret.INTEGER },
  181: { args: [Arg.ANYTHING, Arg.PTR_TO_FUNC, Arg.PTR_TO_STACK_OR_NULL, Arg.ANYTHING], ret: Ret.INTEGER },
  164: { args: [Arg.CONST_MAP_PTR, Arg.PTR_TO_FUNC, Arg.PTR_TO_STACK_OR_NULL, Arg.ANYTHING], ret: Ret.INTEGER },
  169: { args: [Arg.PTR_TO_TIMER, Arg.CONST_MAP_PTR, Arg.ANYTHING], ret: Ret.INTEGER },
  170: { args: [Arg.PTR_TO_TIMER, Arg.PTR_TO_FUNC], ret: Ret.INTEGER },
  171: { args: [Arg.PTR_TO_TIMER, Arg.ANYTHING, Arg.ANYTHING], ret: Ret.INTEGER },
  172: { args: [Arg.PTR_TO_TIMER], ret: Ret.INTEGER },
  // bpf_xdp_check_mtu_proto (gpl_only): ctx, ifindex, u32 *mtu_len (read and written), len_diff, flags
  163: { args: [Arg.PTR_TO_CTX, Arg.ANYTHING, Arg.PTR_TO_FIXED_SIZE_MEM_WRITE_ALIGNED, Arg.ANYTHING, Arg.ANYTHING], ret: Ret.INTEGER, argSizes: [0, 0, 4] },
  188: { args: [Arg.PTR_TO_CTX], ret: Ret.INTEGER },
  189: { args: [Arg.PTR_TO_CTX, Arg.ANYTHING, Arg.PTR_TO_UNINIT_MEM, Arg.CONST_SIZE], ret: Ret.INTEGER },
  190: { args: [Arg.PTR_TO_CTX, Arg.ANYTHING, Arg.PTR_TO_UNINIT_MEM, Arg.CONST_SIZE], ret: Ret.INTEGER },
  // bpf_per_cpu_ptr_proto, bpf_this_cpu_ptr_proto (bpf_base_func_proto): wxdp's per-CPU pointers are
  // bpf_percpu_obj_new's objects (no percpu ksyms)
  153: { args: [Arg.PTR_TO_PERCPU_BTF_ID, Arg.ANYTHING], ret: Ret.CPU_ALLOC_PTR },
  154: { args: [Arg.PTR_TO_PERCPU_BTF_ID], ret: Ret.CPU_ALLOC_PTR },
  // bpf_kptr_xchg_proto (bpf_base_func_proto): the kptr field, the object put there (or NULL) → the one it held
  194: { args: [Arg.KPTR_XCHG_DEST, Arg.PTR_TO_KPTR_OBJ_OR_NULL_RELEASE], ret: Ret.KPTR_OR_NULL },
};

/** The program types the verifier knows (libbpf's names, src/elf/section_defs.ts). */
export type VerifierProgType = 'xdp' | 'sk_lookup' | 'sk_reuseport' | 'tracing' | 'tracepoint' | 'raw_tracepoint';

/** Helpers only XDP programs have (xdp_func_proto beyond the base set). */
const XDP_ONLY = [23, 25, 28, 44, 51, 54, 65, 69, 84, 85, 99, 100, 110, 163, 188, 189, 190, 204, 205, 206, 207];
/** Helpers of the socket program types beyond the base set. */
const SK_LOOKUP_ONLY = [124];
/** bpf_sk_release: xdp_func_proto's and sk_lookup_func_proto's, no other type's here. */
const SK_RELEASE = 86;
const SK_REUSEPORT_ONLY = [26, 46, 82];

/**
 * Whether a program of type `t` may call helper `id` (the type's get_func_proto): the base set
 * (maps, time, randomness, ringbuf, bpf_loop, tail calls…) for every type, and each type's own.
 */
export function helperAllowed(t: VerifierProgType, id: number): boolean {
  if (PROTOS[id] === undefined) return false;
  switch (t) {
    case 'xdp':
      return !SK_LOOKUP_ONLY.includes(id) && !SK_REUSEPORT_ONLY.includes(id);
    case 'sk_lookup':
      return !XDP_ONLY.includes(id) && !SK_REUSEPORT_ONLY.includes(id);
    case 'sk_reuseport':
      return !XDP_ONLY.includes(id) && !SK_LOOKUP_ONLY.includes(id) && id !== SK_RELEASE;
    case 'tracing':
    case 'tracepoint':
    case 'raw_tracepoint':
      // tracing_prog_func_proto, tp_prog_func_proto, raw_tp_prog_func_proto: bpf_tracing_func_proto's
      // set (the XDP and socket helpers not among it, nor, for tracing as measured, KERNEL_TRACING_HELPERS,
      // bpf_ktime_get_coarse_ns); the helpers whose tracing protos take BTF pointers where wxdp's XDP /
      // socket ones do not (bpf_get_socket_cookie, bpf_xdp_get_buff_len) are not wxdp's here
      if (t === 'tracing' && !KERNEL_TRACING_HELPERS.has(id)) return false;
      return !XDP_ONLY.includes(id) && !SK_LOOKUP_ONLY.includes(id) && !SK_REUSEPORT_ONLY.includes(id) && id !== SK_RELEASE;
  }
}

/**
 * may_update_sockmap: program types in which bpf_map_update_elem / bpf_map_delete_elem may change a
 * sockmap or sockhash (XDP, sk_reuseport and sk_lookup among them).
 */
export function mayUpdateSockmap(t: VerifierProgType, helper: number): boolean {
  return (helper === 2 || helper === 3) && (t === 'xdp' || t === 'sk_lookup' || t === 'sk_reuseport');
}

/**
 * Helpers a map type may be passed to (the map side of check_map_func_compatibility): a ringbuf only to
 * the ringbuf helpers, a prog_array only to tail_call, and so on.
 */
export function mapAllowsHelper(mapType: number, helper: number): boolean {
  switch (mapType) {
    case M.PROG_ARRAY:
      return helper === 12;
    case M.RINGBUF:
      return helper === 130 || helper === 131 || helper === 134 || helper === 198;
    case M.QUEUE:
    case M.STACK:
      return helper === 87 || helper === 88 || helper === 89;
    case M.BLOOM_FILTER:
      return helper === 87 || helper === 89;
    case M.DEVMAP:
    case M.DEVMAP_HASH:
    case M.XSKMAP:
    case M.CPUMAP:
      return helper === 51 || helper === 1 || helper === 2 || helper === 3;
    case M.SOCKMAP:
    case M.SOCKHASH:
      // map_update_elem / map_delete_elem go through may_update_sockmap (checked by the caller).
      return helper === 82 || helper === 1 || helper === 2 || helper === 3;
    case M.REUSEPORT_SOCKARRAY:
      return helper === 82;
    case M.ARRAY_OF_MAPS:
    case M.HASH_OF_MAPS:
      return helper === 1;
    case M.PERF_EVENT_ARRAY:
      // perf_event_read, perf_event_output, perf_event_read_value, skb_output, xdp_output
      return helper === 22 || helper === 25 || helper === 55 || helper === 111 || helper === 121;
    default:
      return true;
  }
}

/**
 * Helpers whose bpf_func_proto has gpl_only: a program whose license is not GPL-compatible is refused
 * at the call ("cannot call GPL-restricted function from non-GPL compatible program"). Of the helpers
 * wxdp provides, these — found by loading a call to each with license "Proprietary" into Linux 6.18 as
 * XDP, sk_lookup, sk_reuseport and tp_btf programs: bpf_trace_printk, bpf_perf_event_output (XDP's
 * bpf_xdp_event_output), bpf_fib_lookup, bpf_probe_read_kernel, bpf_snprintf, bpf_trace_vprintk and the four
 * raw syncookie helpers.
 */
export const GPL_ONLY_HELPERS: ReadonlySet<number> = new Set([6, 25, 69, 100, 110, 113, 163, 165, 177, 204, 205, 206, 207]);

/** license_is_gpl_compatible() (include/linux/license.h): these six strings exactly, nothing else. */
export function licenseIsGplCompatible(license: string): boolean {
  return ['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL'].includes(license);
}
