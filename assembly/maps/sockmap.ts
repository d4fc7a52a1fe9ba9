// Maps of sockets: BPF_MAP_TYPE_SOCKMAP and SOCKHASH (net/core/sock_map.c) and REUSEPORT_SOCKARRAY
// (kernel/bpf/reuseport_array.c). Where the kernel stores a struct sock * taken from a file
// descriptor, wxdp stores the socket's id (assembly/net/abi.ts SK_ID; 0 = empty): user space updates
// with a socket id (u32, or u64 for value_size 8) as it would with an fd, and the syscall's lookup
// answers the socket's cookie (value_size 8 only, else -ENOSPC), as sock_map_lookup_sys does.
//
//   SOCKMAP, REUSEPORT_SOCKARRAY   MAP_DATA: max_entries × u32 socket id
//   SOCKHASH                       a hash map (hash.ts) whose values hold the id in their first 4 bytes
//
// A program's lookup (bpf_map_lookup_elem) gives the socket as the program sees it: its struct
// bpf_sock view (sk_prog.ts), or NULL when the slot is empty or the socket is gone. A closed socket
// leaves every map (sock_map_close, reuseport_detach_sock): sk_prog.ts calls sockMapsForget.

import { MAP_DATA, MAP_KEY_SIZE, MAP_MAX_ENTRIES, MAP_TYPE, MAP_VALUE_SIZE } from '../abi';
import { SK_COOKIE, SK_FAMILY, SK_ID, SK_PROTOCOL, SK_REUSEPORT_GROUP } from '../net/abi';
import { skLive, skRecord, skViewReserve, sockView, viewRecordOf } from '../net/sk_prog';
import { SKX_HASHED } from '../net/sock';
import { allocMap } from './arena';
import { arrayAllocCheck, arrayGetNextKey } from './array';
import { htabClear, htabCreate, htabDelete, htabGetNextKey, htabLookup, htabUpdate } from './hash';
import {
  BPF_EXIST, BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_WRONLY, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY,
  BPF_MAP_TYPE_SOCKHASH, BPF_MAP_TYPE_SOCKMAP, BPF_NOEXIST, E2BIG, EBADF, EBUSY, EEXIST, EINVAL, ENOENT, ENOMEM, ENOSPC,
  ENOTSUPP, EOPNOTSUPP,
} from './uapi';

const SOCK_CREATE_FLAG_MASK: u32 = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY;
const MAX_BPF_STACK: u32 = 512;
const IPPROTO_UDP: u32 = 17;
const IPPROTO_TCP: u32 = 6;
const AF_INET: u32 = 2;
const AF_INET6: u32 = 10;
/** The most socket maps one fast path keeps track of (closing a socket visits them all). */
const SOCK_MAPS_MAX: u32 = 1024;

/** Every socket map made (control plane only): what sockMapsForget and the EBUSY check walk. */
let sockMaps: u32 = 0;
let sockMapCount: u32 = 0;

/** In the socket tables (bound): sk_hashed. */
@inline function skHashed(rec: u32): bool {
  return (load<u8>(rec + SKX_HASHED) & 1) != 0;
}

@inline export function isSockMapType(t: u32): bool {
  return t == BPF_MAP_TYPE_SOCKMAP || t == BPF_MAP_TYPE_SOCKHASH || t == BPF_MAP_TYPE_REUSEPORT_SOCKARRAY;
}

function remember(m: u32): bool {
  if (sockMaps == 0) {
    sockMaps = allocMap(0, 0, 0, 0, 0, 0, <u64>SOCK_MAPS_MAX * 4, 8);
    if (sockMaps == 0) return false;
  }
  if (sockMapCount == SOCK_MAPS_MAX) return false;
  store<u32>(load<u32>(sockMaps, MAP_DATA) + (sockMapCount << 2), m);
  sockMapCount++;
  return true;
}

/** sock_map_alloc(), sock_hash_alloc(), reuseport_array_alloc_check() then the storage. */
export function sockMapCreate(type: u32, keySize: u32, valueSize: u32, maxEntries: u32, flags: u32, id: u32): i64 {
  if (valueSize != 4 && valueSize != 8) return -EINVAL;
  let m: u32 = 0;
  if (type == BPF_MAP_TYPE_SOCKHASH) {
    if (maxEntries == 0 || keySize == 0 || (flags & ~SOCK_CREATE_FLAG_MASK) != 0) return -EINVAL;
    if (keySize > MAX_BPF_STACK) return -E2BIG;
    const h = htabCreate(BPF_MAP_TYPE_HASH, keySize, valueSize, maxEntries, flags, id);
    if (h < 0) return h;
    m = <u32>h;
    store<u32>(m, BPF_MAP_TYPE_SOCKHASH, MAP_TYPE);
  } else {
    if (type == BPF_MAP_TYPE_SOCKMAP) {
      if (maxEntries == 0 || keySize != 4 || (flags & ~SOCK_CREATE_FLAG_MASK) != 0) return -EINVAL;
    } else {
      const err = arrayAllocCheck(type, keySize, valueSize, maxEntries, flags);
      if (err != 0) return err;
    }
    m = allocMap(type, keySize, valueSize, maxEntries, flags, id, <u64>maxEntries * 4, 8);
    if (m == 0) return -ENOMEM;
    memory.fill(load<u32>(m, MAP_DATA), 0, <usize>maxEntries * 4);
  }
  if (!remember(m)) return -ENOMEM;
  if (valueScratch == 0) {
    const b = allocMap(0, 0, 0, 0, 0, 0, 8, 8);
    if (b == 0) return -ENOMEM;
    valueScratch = load<u32>(b, MAP_DATA);
  }
  return m;
}

/** The u32 slot holding index `idx` of a sockmap / reuseport array, or 0 when out of range. */
@inline function slotOf(m: u32, idx: u32): u32 {
  return idx >= load<u32>(m, MAP_MAX_ENTRIES) ? 0 : load<u32>(m, MAP_DATA) + (idx << 2);
}

/** Where the socket id for `key` is kept (a slot, or a hash element's value), 0 when none. */
function idSlot(m: u32, key: u32): u32 {
  if (load<u32>(m, MAP_TYPE) == BPF_MAP_TYPE_SOCKHASH) return htabLookup(m, key);
  const s = slotOf(m, load<u32>(key));
  return s != 0 && load<u32>(s) != 0 ? s : 0;
}

/** The live socket record `key` holds, 0 when none. */
export function sockMapRecord(m: u32, key: u32): u32 {
  const s = idSlot(m, key);
  if (s == 0) return 0;
  const rec = skRecord(load<u32>(s));
  return rec != 0 && skLive(rec) ? rec : 0;
}

/** The program's lookup: the socket's bpf_sock view, or 0 (NULL). */
export function sockMapLookupElem(m: u32, key: u32): u32 {
  const rec = sockMapRecord(m, key);
  return rec == 0 ? 0 : sockView(rec);
}

/** The syscall's lookup: the cookie at `out` (u64), or -ENOSPC (value_size 4) / -ENOENT. */
export function sockMapLookupSys(m: u32, key: u32, out: u32): i32 {
  if (load<u32>(m, MAP_VALUE_SIZE) != 8) return -ENOSPC;
  const rec = sockMapRecord(m, key);
  if (rec == 0) return -ENOENT;
  store<u64>(out, load<u64>(rec + SK_COOKIE));
  return 0;
}

/** Is socket `id` in a REUSEPORT_SOCKARRAY already (the kernel's sk_user_data)? */
function inReuseportArray(id: u32): bool {
  const list = sockMaps == 0 ? 0 : load<u32>(sockMaps, MAP_DATA);
  for (let i: u32 = 0; i < sockMapCount; i++) {
    const m = load<u32>(list + (i << 2));
    if (load<u32>(m, MAP_TYPE) != BPF_MAP_TYPE_REUSEPORT_SOCKARRAY) continue;
    const d = load<u32>(m, MAP_DATA);
    const n = load<u32>(m, MAP_MAX_ENTRIES);
    for (let k: u32 = 0; k < n; k++) if (load<u32>(d + (k << 2)) == id) return true;
  }
  return false;
}

/**
 * BPF_MAP_UPDATE_ELEM from user space: the value is a socket id. sock_map_update_elem_sys (the
 * socket must be one a sockmap can hold: UDP) and bpf_fd_reuseport_array_update_elem (a bound
 * member of a reuseport group, UDP or TCP, in no other reuseport array).
 */
export function sockMapUpdate(m: u32, key: u32, value: u32, flags: u64): i32 {
  const type = load<u32>(m, MAP_TYPE);
  const v64 = load<u32>(m, MAP_VALUE_SIZE) == 8;
  const raw: u64 = v64 ? load<u64>(value) : <u64>load<u32>(value);
  if (type == BPF_MAP_TYPE_REUSEPORT_SOCKARRAY) {
    if (flags > BPF_EXIST) return -EINVAL;
    const idx = load<u32>(key);
    const s = slotOf(m, idx);
    if (s == 0) return -E2BIG;
    if (v64 && raw > 0x7fffffff) return -EINVAL;
    const id = <u32>raw;
    const rec = skRecord(id);
    if (rec == 0 || !skLive(rec)) return -EBADF;
    const old = load<u32>(s);
    if (old != 0 && flags == BPF_NOEXIST) return -EEXIST;
    if (old == 0 && flags == BPF_EXIST) return -ENOENT;
    const proto = <u32>load<u8>(rec + SK_PROTOCOL);
    const family = <u32>load<u8>(rec + SK_FAMILY);
    if (proto != IPPROTO_UDP && proto != IPPROTO_TCP) return -ENOTSUPP;
    if (family != AF_INET && family != AF_INET6) return -ENOTSUPP;
    // Hashed and in a reuseport group: bound with SO_REUSEPORT.
    if (!skHashed(rec) || load<u32>(rec + SK_REUSEPORT_GROUP) == 0) return -EINVAL;
    if (inReuseportArray(id)) return -EBUSY;
    if (!skViewReserve(id)) return -ENOMEM;
    store<u32>(s, id);
    return 0;
  }
  if (raw > 0xffffffff) return -EINVAL;
  const id = <u32>raw;
  const rec = skRecord(id);
  if (rec == 0 || !skLive(rec)) return -EBADF;
  return sockMapPut(m, key, rec, flags, value);
}

/**
 * sock_map_update_common / sock_hash_update_common for socket `rec` (checked to exist): the socket
 * must suit a sockmap, then the flags and the slot decide. `scratch`: room for a hash value.
 */
function sockMapPut(m: u32, key: u32, rec: u32, flags: u64, scratch: u32): i32 {
  const id = load<u32>(rec + SK_ID);
  // sock_map_sk_is_suitable / the psock's protocol hooks: UDP (not UDP-Lite), and hashed (bound).
  if (<u32>load<u8>(rec + SK_PROTOCOL) != IPPROTO_UDP || !skHashed(rec)) return -EOPNOTSUPP;
  if (flags > BPF_EXIST) return -EINVAL;
  // The view programs will see the socket through (made by the control plane; a program's socket has one).
  if (!skViewReserve(id)) return -ENOMEM;
  if (load<u32>(m, MAP_TYPE) == BPF_MAP_TYPE_SOCKHASH) {
    // The stored value: the id in the first 4 bytes (the rest zero), whatever the value size.
    store<u32>(scratch, id);
    if (load<u32>(m, MAP_VALUE_SIZE) == 8) store<u32>(scratch + 4, 0);
    return htabUpdate(m, key, scratch, flags, false);
  }
  const s = slotOf(m, load<u32>(key));
  if (s == 0) return -E2BIG;
  const old = load<u32>(s);
  if (old != 0 && flags == BPF_NOEXIST) return -EEXIST;
  if (old == 0 && flags == BPF_EXIST) return -ENOENT;
  store<u32>(s, id);
  return 0;
}

/** bpf_map_update_elem on a sockmap or sockhash from a program: `view` is the socket (sock_map_update_elem). */
export function sockMapUpdateElem(m: u32, key: u32, view: u32, flags: u64): i32 {
  const rec = viewRecordOf(view);
  if (rec == 0 || !skLive(rec)) return -EINVAL;
  return sockMapPut(m, key, rec, flags, valueScratch);
}

/** 8 bytes for the sockhash value a program's update stores (made with the first socket map). */
let valueScratch: u32 = 0;

/**
 * BPF_MAP_DELETE_ELEM (from user space or a program): sockmap -EINVAL for an empty or out-of-range
 * index (__sock_map_delete), sockhash -ENOENT, reuseport array -E2BIG / -ENOENT.
 */
export function sockMapDelete(m: u32, key: u32): i32 {
  const type = load<u32>(m, MAP_TYPE);
  if (type == BPF_MAP_TYPE_SOCKHASH) return htabDelete(m, key);
  const s = slotOf(m, load<u32>(key));
  const reuse = type == BPF_MAP_TYPE_REUSEPORT_SOCKARRAY;
  if (s == 0) return reuse ? -E2BIG : -EINVAL;
  if (load<u32>(s) == 0) return reuse ? -ENOENT : -EINVAL;
  store<u32>(s, 0);
  return 0;
}

/** BPF_MAP_GET_NEXT_KEY: array order for the indexed kinds, the hash's order for sockhash. */
export function sockMapGetNextKey(m: u32, key: u32, next: u32): i32 {
  if (load<u32>(m, MAP_TYPE) == BPF_MAP_TYPE_SOCKHASH) return htabGetNextKey(m, key, next);
  return arrayGetNextKey(m, key, next);
}

/** Empty the map (TypeScript's clear()). */
export function sockMapClear(m: u32): void {
  if (load<u32>(m, MAP_TYPE) == BPF_MAP_TYPE_SOCKHASH) {
    htabClear(m);
    return;
  }
  memory.fill(load<u32>(m, MAP_DATA), 0, <usize>load<u32>(m, MAP_MAX_ENTRIES) * 4);
}

/** Socket map `m` is being freed: it leaves the list sockMapsForget and the EBUSY check walk. */
export function sockMapUnlist(m: u32): void {
  if (sockMaps == 0) return;
  const list = load<u32>(sockMaps, MAP_DATA);
  for (let i: u32 = 0; i < sockMapCount; i++) {
    if (load<u32>(list + (i << 2)) != m) continue;
    sockMapCount--;
    store<u32>(list + (i << 2), load<u32>(list + (sockMapCount << 2)));
    return;
  }
}

/** Socket `id` closed: it leaves every indexed socket map (sockhash elements are found by key walk). */
export function sockMapsForget(id: u32): void {
  if (id == 0 || sockMaps == 0) return;
  const list = load<u32>(sockMaps, MAP_DATA);
  for (let i: u32 = 0; i < sockMapCount; i++) {
    const m = load<u32>(list + (i << 2));
    if (load<u32>(m, MAP_TYPE) == BPF_MAP_TYPE_SOCKHASH) {
      sockHashForget(m, id);
      continue;
    }
    const d = load<u32>(m, MAP_DATA);
    const n = load<u32>(m, MAP_MAX_ENTRIES);
    for (let k: u32 = 0; k < n; k++) if (load<u32>(d + (k << 2)) == id) store<u32>(d + (k << 2), 0);
  }
}

/** Delete every element of sockhash `m` that holds socket `id`. */
function sockHashForget(m: u32, id: u32): void {
  const ks = load<u32>(m, MAP_KEY_SIZE);
  // Keys go through a buffer of the map's own: deleting while walking restarts the walk.
  const buf = allocScratchKey(ks * 2);
  if (buf == 0) return;
  let prev: u32 = 0;
  for (;;) {
    if (htabGetNextKey(m, prev, buf + ks) != 0) return;
    memory.copy(buf, buf + ks, ks);
    const v = htabLookup(m, buf);
    if (v != 0 && load<u32>(v) == id) {
      htabDelete(m, buf);
      prev = 0;
    } else {
      prev = buf;
    }
  }
}

let keyScratch: u32 = 0;
let keyScratchSize: u32 = 0;
function allocScratchKey(n: u32): u32 {
  if (n <= keyScratchSize) return keyScratch;
  const b = allocMap(0, 0, 0, 0, 0, 0, <u64>n, 8);
  if (b == 0) return 0;
  keyScratch = load<u32>(b, MAP_DATA);
  keyScratchSize = n;
  return keyScratch;
}
