// Index-keyed maps of handles: BPF_MAP_TYPE_PROG_ARRAY (kernel/bpf/arraymap.c, fd_array) and
// BPF_MAP_TYPE_XSKMAP (net/xdp/xskmap.c). Where the kernel stores an object pointer from a file
// descriptor, wxdp stores the handle the runtime gave: a program's table index (tail-call target) or
// an AF_XDP socket's id. Handles are 0 .. 0x7fffffff; a larger one is a bad descriptor (-EBADF).
//
//   MAP_DATA  max_entries × u32 slots; 0xffffffff = empty
//
// Lookups from programs: prog_array has none (tail_call reads it through prog_array_get()); an
// xskmap lookup returns the socket (xskMapLookup), as struct bpf_xdp_sock.

import { DP_XSKS, MAP_DATA, MAP_MAX_ENTRIES, MAP_TYPE, MAX_XSKS, XSK_QUEUE } from '../abi';
import { allocMap } from './arena';
import { arrayAllocCheck } from './array';
import {
  BPF_ANY, BPF_EXIST, BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY, BPF_F_WRONLY_PROG,
  BPF_MAP_TYPE_PROG_ARRAY, BPF_NOEXIST, E2BIG, EBADF, EEXIST, EINVAL, ENOENT, ENOMEM,
} from './uapi';

const EMPTY: u32 = 0xffffffff;

/** fd_array_map_alloc_check() (prog_array) or xsk_map_alloc() checks, then the slots. */
export function fdArrayCreate(type: u32, keySize: u32, valueSize: u32, maxEntries: u32, flags: u32, id: u32): i64 {
  if (type == BPF_MAP_TYPE_PROG_ARRAY) {
    if (valueSize != 4) return -EINVAL;
    if ((flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) != 0) return -EINVAL;
    const err = arrayAllocCheck(type, keySize, valueSize, maxEntries, flags);
    if (err != 0) return err;
  } else if (maxEntries == 0 || keySize != 4 || valueSize != 4 ||
             (flags & ~(BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY)) != 0) {
    return -EINVAL;
  }
  const m = allocMap(type, keySize, valueSize, maxEntries, flags, id, <u64>maxEntries * 4, 8);
  if (m == 0) return -ENOMEM;
  memory.fill(load<u32>(m, MAP_DATA), 0xff, <usize>maxEntries * 4);
  return m;
}

@inline function slot(m: u32, idx: u32): u32 {
  return load<u32>(m, MAP_DATA) + (idx << 2);
}

/** The slot of an occupied index, or 0 (__xsk_map_lookup_elem). */
@inline export function fdArrayLookupIdx(m: u32, idx: u32): u32 {
  if (idx >= load<u32>(m, MAP_MAX_ENTRIES)) return 0;
  const s = slot(m, idx);
  return load<u32>(s) == EMPTY ? 0 : s;
}

export function fdArrayLookup(m: u32, key: u32): u32 {
  return fdArrayLookupIdx(m, load<u32>(key));
}

/**
 * xsk_map_lookup_elem, for programs: the socket as struct bpf_xdp_sock, whose one field, queue_id, the
 * verifier lets a program read at offset 0 (bpf_xdp_sock_convert_ctx_access loads xs->queue_id): the
 * address of the socket record's XSK_QUEUE word. 0 (NULL) for an empty slot or a closed socket
 * (xsk_release deletes a socket from its maps).
 */
export function xskMapLookup(m: u32, key: u32): u32 {
  const s = fdArrayLookupIdx(m, load<u32>(key));
  if (s == 0) return 0;
  const id = load<u32>(s);
  if (id >= MAX_XSKS) return 0;
  const x = load<u32>(DP_XSKS + (id << 2));
  return x == 0 ? 0 : x + XSK_QUEUE;
}

/** The program handle at `index` of a prog_array, or -1 (the JIT's bpf_tail_call). */
export function prog_array_get(map: u32, index: u32): i32 {
  if (index >= load<u32>(map, MAP_MAX_ENTRIES)) return -1;
  return load<i32>(slot(map, index));
}

/** bpf_fd_array_map_update_elem() (prog_array) and xsk_map_update_elem(). */
export function fdArrayUpdate(m: u32, key: u32, value: u32, flags: u64): i32 {
  const idx = load<u32>(key);
  const handle = load<u32>(value);
  if (load<u32>(m, MAP_TYPE) == BPF_MAP_TYPE_PROG_ARRAY) {
    if (flags != BPF_ANY) return -EINVAL;
    if (idx >= load<u32>(m, MAP_MAX_ENTRIES)) return -E2BIG;
    if (handle > 0x7fffffff) return -EBADF;
    store<u32>(slot(m, idx), handle);
    return 0;
  }
  if (flags > BPF_EXIST) return -EINVAL;
  if (idx >= load<u32>(m, MAP_MAX_ENTRIES)) return -E2BIG;
  // sockfd_lookup(): a socket id with no socket behind it is a bad descriptor.
  if (handle >= MAX_XSKS || load<u32>(DP_XSKS + (handle << 2)) == 0) return -EBADF;
  const s = slot(m, idx);
  const old = load<u32>(s);
  if (old == handle) return 0;
  if (old != EMPTY && flags == BPF_NOEXIST) return -EEXIST;
  if (old == EMPTY && flags == BPF_EXIST) return -ENOENT;
  store<u32>(s, handle);
  return 0;
}

/** fd_array_map_delete_elem() (prog_array: -E2BIG / -ENOENT) and xsk_map_delete_elem() (-EINVAL). */
export function fdArrayDelete(m: u32, key: u32): i32 {
  const idx = load<u32>(key);
  const prog = load<u32>(m, MAP_TYPE) == BPF_MAP_TYPE_PROG_ARRAY;
  if (idx >= load<u32>(m, MAP_MAX_ENTRIES)) return prog ? -E2BIG : -EINVAL;
  const s = slot(m, idx);
  const old = load<u32>(s);
  store<u32>(s, EMPTY);
  return prog && old == EMPTY ? -ENOENT : 0;
}

/** Empty every slot (TypeScript's clear()). */
export function fdArrayClear(m: u32): void {
  memory.fill(load<u32>(m, MAP_DATA), 0xff, <usize>load<u32>(m, MAP_MAX_ENTRIES) * 4);
}
