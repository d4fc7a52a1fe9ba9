// BPF_MAP_TYPE_LPM_TRIE (kernel/bpf/lpm_trie.c): longest-prefix match over keys laid out as
// struct bpf_lpm_trie_key_u8 { u32 prefixlen; u8 data[key_size - 4]; }, bits compared most
// significant first (network order). The same path-compressed binary trie as the kernel: real nodes
// and intermediate ("IM") nodes that exist only to branch and always have two children, so a trie of
// n entries holds at most 2n - 1 nodes. Those 2 × max_entries - 1 nodes are preallocated (the kernel
// requires BPF_F_NO_PREALLOC and allocates per update; wxdp never allocates after creation).
//
//   header +32 u32 root
//          +36 u32 free          free-list head (through child 0)
//          +40 u32 data_size     key_size - 4
//          +44 u32 max_prefixlen data_size × 8
//          +48 u32 value_off     16 + round_up(data_size, 8) + 8
//          +52 u32 node_stack    (max_prefixlen + 1) × u32 for get_next_key's path
//   MAP_COUNT                    entries (n_entries; intermediate nodes do not count)
//   MAP_DATA  | node stack | (2 × max_entries - 1) nodes |
//
//   node  +0 u32 child[0] | +4 u32 child[1] | +8 u32 flags (1: intermediate) | +12 u32 prefixlen |
//         +16 data[data_size], pad to 8 | u32 retired link, pad to 8 | value[value_size]
//
// get_next_key walks in the kernel's postorder: more specific prefixes before the prefixes that
// contain them (192.168.0.0/24, 192.168.1.0/24, 192.168.0.0/16); a missing key restarts at the first.
//
// Workers (the shared build) look up while the control plane and other workers' programs update, as
// the kernel's trie is read under RCU and written under trie->lock: writers take the map's writer lock
// (map_lock.ts); readers take nothing. A writer never changes a node a reader may be on except in single
// aligned words: a replaced entry is a new node (trie_update_elem: new node, rcu_assign_pointer, the old
// one freed after a grace period), a new node or subtree is written whole before the one store that
// links it, and an unlinked node goes back on the free list only once every worker has passed a
// quiescent point (net/reclaim.ts rc_stamp / rc_passed: the kernel's kfree_rcu). The pool keeps
// spare nodes beyond 2 × max_entries - 1 for what waits there (poolNodes), and when those are all
// waiting too — two workers' programs replacing entries a burst at a time retire more nodes between two
// quiescent points than any fixed spare holds — it grows by a chunk from the arena, as the kernel's
// allocator takes memory per update instead of failing: no update waits for a grace period and none
// meets -ENOMEM while memory lasts (growthMax bounds what a stuck worker can make it take). Chunks stay
// with the trie (on its free list) until clear or free.
//
//   header +56 u32 retired   the oldest node waiting for its grace period (a queue through each node's
//                            retired link; beside the link, the grace period: rc_stamp when unlinked)
//   MAP_DATA + stack: +0 u32 the newest retired node (the queue's tail)
//                     +4 u32 grown chunks (list: chunk +0 next, +4 its size in bytes, nodes from +8)
//                     +8 u32 nodes in them

import { MAP_COUNT, MAP_DATA, MAP_MAX_ENTRIES, MAP_VALUE_SIZE } from '../abi';
import { allocMap, arena_alloc, arena_free } from './arena';
import {
  accessFlagsOk, BPF_EXIST, BPF_F_ACCESS_MASK, BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE, BPF_NOEXIST, EEXIST, EINVAL, ENOENT,
  ENOMEM, ENOSPC, round8,
} from './uapi';
import { copyBytes } from '../bytes';
import { mapWriterLock, mapWriterUnlock } from './map_lock';
import { rc_passed, rc_reclaim, rc_stamp, rc_synchronize } from '../net/reclaim';
import { netLockId } from '../net/lock';

// Exported for the JIT, which inlines lookups on 4- and 16-byte keys (src/jit/index.ts trieMapsOf).
export const MAPS_LPM_ROOT: u32 = 32;
export const MAPS_LPM_DATA_SIZE: u32 = 40;
export const MAPS_LPM_VALUE_OFF: u32 = 48;
const LPM_ROOT = MAPS_LPM_ROOT;
const LPM_FREE: u32 = 36;
const LPM_DATA_SIZE = MAPS_LPM_DATA_SIZE;
const LPM_MAX_PREFIXLEN: u32 = 44;
const LPM_VALUE_OFF = MAPS_LPM_VALUE_OFF;
const LPM_STACK: u32 = 52;
const LPM_RETIRED: u32 = 56;
/** The waiting block after the node stack: the retired queue's tail, the grown chunks. */
const W_TAIL: u32 = 0;
const W_CHUNKS: u32 = 4;
const W_GROWN: u32 = 8;
const W_SIZE: u32 = 16;
const CHUNK_HEAD: u32 = 8;

export const MAPS_LPM_NODE_FLAGS: u32 = 8;
export const MAPS_LPM_NODE_PREFIXLEN: u32 = 12;
export const MAPS_LPM_NODE_DATA: u32 = 16;
const N_CHILD0: u32 = 0;
const N_CHILD1: u32 = 4;
const N_FLAGS = MAPS_LPM_NODE_FLAGS;
const N_PREFIXLEN = MAPS_LPM_NODE_PREFIXLEN;
const N_DATA = MAPS_LPM_NODE_DATA;
const FLAG_IM: u32 = 1;

const LPM_DATA_SIZE_MAX: u32 = 256;
const LPM_DATA_SIZE_MIN: u32 = 1;
// KMALLOC_MAX_SIZE - LPM_DATA_SIZE_MAX - sizeof(struct lpm_trie_node)
const LPM_VAL_SIZE_MAX: u32 = (1 << 22) - LPM_DATA_SIZE_MAX - 24;
const LPM_CREATE_FLAG_MASK: u32 = BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;

/** trie_alloc(). */
export function trieCreate(type: u32, keySize: u32, valueSize: u32, maxEntries: u32, flags: u32, id: u32): i64 {
  if (maxEntries == 0 || (flags & BPF_F_NO_PREALLOC) == 0 || (flags & ~LPM_CREATE_FLAG_MASK) != 0 ||
      !accessFlagsOk(flags) || keySize < 4 + LPM_DATA_SIZE_MIN || keySize > 4 + LPM_DATA_SIZE_MAX ||
      valueSize < 1 || valueSize > LPM_VAL_SIZE_MAX) return -EINVAL;
  const dataSize = keySize - 4;
  const maxPrefixlen = dataSize * 8;
  const valueOff = N_DATA + round8(dataSize) + 8; // data, then the retired link (u32, padded to 8)
  const nodeSize = <u64>valueOff + round8(valueSize);
  const nodes = poolNodes(maxEntries);
  const stackSize: u32 = round8((maxPrefixlen + 1) * 4) + W_SIZE;
  const size = <u64>stackSize + nodes * nodeSize;
  if (size >= 0x1_0000_0000) return -ENOMEM;
  const m = allocMap(type, keySize, valueSize, maxEntries, flags, id, size, 8);
  if (m == 0) return -ENOMEM;
  const stack = load<u32>(m, MAP_DATA);
  store<u32>(m, dataSize, LPM_DATA_SIZE);
  store<u32>(m, maxPrefixlen, LPM_MAX_PREFIXLEN);
  store<u32>(m, valueOff, LPM_VALUE_OFF);
  store<u32>(m, stack, LPM_STACK);
  const ns = <u32>nodeSize;
  const first = stack + stackSize;
  let n = first;
  for (let i: u64 = 1; i < nodes; i++) {
    store<u32>(n, n + ns, N_CHILD0);
    n += ns;
  }
  store<u32>(m, first, LPM_FREE);
  return m;
}

/**
 * Nodes a trie of `maxEntries` keeps: at most 2n - 1 in the trie, and 16 + n / 8 more for the replaced and
 * deleted ones waiting for their grace period (the kernel allocates a node per update instead; here an
 * update meets -ENOMEM only when more than those wait, the workers not having passed a quiescent point).
 */
@inline function poolNodes(maxEntries: u32): u64 {
  return <u64>maxEntries * 2 - 1 + 16 + (maxEntries >> 3);
}

/** Nodes a chunk adds when the pool grows: the spare poolNodes keeps. */
@inline function growthNodes(maxEntries: u32): u32 {
  return 16 + (maxEntries >> 3);
}

/** At most this many nodes in chunks: four pools' worth waiting at once means a worker has stopped passing quiescent points. */
@inline function growthMax(maxEntries: u32): u64 {
  return poolNodes(maxEntries) * 4;
}

/** A node's bytes. */
@inline function nodeBytes(m: u32): u32 {
  return load<u32>(m, LPM_VALUE_OFF) + round8(load<u32>(m, MAP_VALUE_SIZE));
}

/** The waiting block (after the node stack). */
@inline function waiting(m: u32): u32 {
  return load<u32>(m, LPM_STACK) + round8((load<u32>(m, LPM_MAX_PREFIXLEN) + 1) * 4);
}

/** Publish `n` at `slot` (a child word or the root): the node is written whole before (the shared build: a release store). */
@inline function link(slot: u32, n: u32): void {
  if (ASC_FEATURE_THREADS) atomic.store<u32>(slot, n);
  else store<u32>(slot, n);
}

/** extract_bit(): bit `index` of `data`, most significant bit of byte 0 first. */
@inline function extractBit(data: usize, index: u32): u32 {
  return (<u32>load<u8>(data + (index >> 3)) >> (7 - (index & 7))) & 1;
}

/** longest_prefix_match(): leading bits `node` and `key` share, at most both prefix lengths. */
function longestPrefixMatch(m: u32, node: u32, key: u32): u32 {
  const np = load<u32>(node, N_PREFIXLEN);
  const kp = load<u32>(key);
  const limit = np < kp ? np : kp;
  const ds = load<u32>(m, LPM_DATA_SIZE);
  const a = node + N_DATA;
  const b = key + 4;
  let prefixlen: u32 = 0;
  let i: u32 = 0;
  while (ds >= i + 8) {
    const diff = bswap<u64>(load<u64>(a + i) ^ load<u64>(b + i));
    prefixlen += <u32>clz<u64>(diff);
    if (prefixlen >= limit) return limit;
    if (diff != 0) return prefixlen;
    i += 8;
  }
  if (ds >= i + 4) {
    const diff = bswap<u32>(load<u32>(a + i) ^ load<u32>(b + i));
    prefixlen += clz<u32>(diff);
    if (prefixlen >= limit) return limit;
    if (diff != 0) return prefixlen;
    i += 4;
  }
  if (ds >= i + 2) {
    const diff = <u32>bswap<u16>(load<u16>(a + i) ^ load<u16>(b + i));
    prefixlen += clz<u32>(diff) - 16;
    if (prefixlen >= limit) return limit;
    if (diff != 0) return prefixlen;
    i += 2;
  }
  if (ds >= i + 1) {
    prefixlen += clz<u32>(<u32>(load<u8>(a + i) ^ load<u8>(b + i))) - 24;
    if (prefixlen >= limit) return limit;
  }
  return prefixlen;
}

/**
 * trie_lookup_elem(): the value of the longest prefix containing the key, or 0. IPv4 (4 data bytes)
 * and IPv6 (16) keys take an unrolled walk; the matching is longest_prefix_match()'s either way.
 */
export function trieLookup(m: u32, key: u32): u32 {
  const maxPrefixlen = load<u32>(m, LPM_MAX_PREFIXLEN);
  const kp = load<u32>(key);
  if (kp > maxPrefixlen) return 0;
  const ds = load<u32>(m, LPM_DATA_SIZE);
  let found: u32 = 0;
  let node = load<u32>(m, LPM_ROOT);
  if (ds == 4) {
    const kw = bswap<u32>(load<u32>(key, 4));
    while (node != 0) {
      const np = load<u32>(node, N_PREFIXLEN);
      let matchlen = clz<u32>(bswap<u32>(load<u32>(node, N_DATA)) ^ kw);
      const limit = np < kp ? np : kp;
      if (matchlen > limit) matchlen = limit;
      if (matchlen == 32) {
        found = node;
        break;
      }
      if (matchlen < np) break;
      if ((load<u32>(node, N_FLAGS) & FLAG_IM) == 0) found = node;
      // np < 32 here: bit np of the key, most significant first.
      node = load<u32>(node + (((kw >> (31 - np)) & 1) << 2));
    }
  } else if (ds == 16) {
    const hi = bswap<u64>(load<u64>(key, 4));
    const lo = bswap<u64>(load<u64>(key, 12));
    while (node != 0) {
      const np = load<u32>(node, N_PREFIXLEN);
      const dhi = bswap<u64>(load<u64>(node, N_DATA)) ^ hi;
      let matchlen: u32 = dhi != 0 ? <u32>clz<u64>(dhi) : 64 + <u32>clz<u64>(bswap<u64>(load<u64>(node, N_DATA + 8)) ^ lo);
      const limit = np < kp ? np : kp;
      if (matchlen > limit) matchlen = limit;
      if (matchlen == 128) {
        found = node;
        break;
      }
      if (matchlen < np) break;
      if ((load<u32>(node, N_FLAGS) & FLAG_IM) == 0) found = node;
      const bit = np < 64 ? <u32>(hi >> (63 - np)) & 1 : <u32>(lo >> (127 - np)) & 1;
      node = load<u32>(node + (bit << 2));
    }
  } else {
    while (node != 0) {
      const matchlen = longestPrefixMatch(m, node, key);
      if (matchlen == maxPrefixlen) {
        found = node;
        break;
      }
      const np = load<u32>(node, N_PREFIXLEN);
      if (matchlen < np) break;
      if ((load<u32>(node, N_FLAGS) & FLAG_IM) == 0) found = node;
      node = load<u32>(node + (extractBit(key + 4, np) << 2));
    }
  }
  return found == 0 ? 0 : found + load<u32>(m, LPM_VALUE_OFF);
}

/** trie_check_add_elem(). */
function checkAdd(m: u32, flags: u64): i32 {
  if (flags == BPF_EXIST) return -ENOENT;
  const n = load<u32>(m, MAP_COUNT);
  if (n == load<u32>(m, MAP_MAX_ENTRIES)) return -ENOSPC;
  store<u32>(m, n + 1, MAP_COUNT);
  return 0;
}

function nodeAlloc(m: u32): u32 {
  let n = load<u32>(m, LPM_FREE);
  if (n == 0) {
    // the free list is empty: what waits for its grace period may be over (reclaim.ts's turn first)
    retiredRelease(m, true);
    n = load<u32>(m, LPM_FREE);
    if (n == 0 && grow(m)) n = load<u32>(m, LPM_FREE);
  }
  if (n != 0) {
    store<u32>(m, load<u32>(n, N_CHILD0), LPM_FREE);
    store<u32>(n, 0, N_CHILD0);
    store<u32>(n, 0, N_CHILD1);
    store<u32>(n, 0, N_FLAGS);
  }
  return n;
}

/**
 * Every node of the pool waits for a grace period (checkAdd keeps the entries within max_entries, and
 * 2 × max_entries - 1 nodes hold them): a chunk of growthNodes more from the arena onto the free list.
 * False when the trie has grown by growthMax already or the arena cannot give it.
 */
function grow(m: u32): bool {
  if (load<u32>(m, LPM_RETIRED) == 0) return false;
  const w = waiting(m);
  const maxEntries = load<u32>(m, MAP_MAX_ENTRIES);
  const k = growthNodes(maxEntries);
  const grown = load<u32>(w, W_GROWN);
  if (<u64>grown + k > growthMax(maxEntries)) return false;
  const ns = nodeBytes(m);
  const bytes = <u64>CHUNK_HEAD + <u64>k * ns;
  if (bytes >= 0x1_0000_0000) return false;
  const c = arena_alloc(<u32>bytes, 8);
  if (c == 0) return false;
  store<u32>(c, load<u32>(w, W_CHUNKS));
  store<u32>(c, <u32>bytes, 4);
  store<u32>(w, c, W_CHUNKS);
  store<u32>(w, grown + k, W_GROWN);
  for (let i: u32 = 0; i < k; i++) nodeFree(m, c + CHUNK_HEAD + i * ns);
  return true;
}

/** The grown chunks back to the arena (clear and free: no reader is on the trie). */
export function trieFreeChunks(m: u32): void {
  const w = waiting(m);
  let c = load<u32>(w, W_CHUNKS);
  while (c != 0) {
    const next = load<u32>(c);
    arena_free(c, load<u32>(c, 4));
    c = next;
  }
  store<u32>(w, 0, W_CHUNKS);
  store<u32>(w, 0, W_GROWN);
}

/** A node no reader can reach yet (never linked): straight back on the free list. */
function nodeFree(m: u32, n: u32): void {
  store<u32>(n, load<u32>(m, LPM_FREE), N_CHILD0);
  store<u32>(m, n, LPM_FREE);
}

/** The retired link's place in a node (after its data): no reader reads it. The grace period it waits for follows it. */
@inline function retiredLink(m: u32, n: u32): u32 {
  return n + load<u32>(m, LPM_VALUE_OFF) - 8;
}

/**
 * An unlinked node: readers may still be on it (its words keep reading as they did: children, flags,
 * prefix, data and value), so it joins the retired queue's tail with the grace period it waits for
 * (call_rcu: each node its own, so what a burst retires is reused as soon as its readers have passed,
 * not behind a batch that started waiting earlier).
 */
function nodeRetire(m: u32, n: u32): void {
  const link = retiredLink(m, n);
  store<u32>(link, 0);
  store<u32>(link, rc_stamp(), 4);
  const w = waiting(m);
  const tail = load<u32>(w, W_TAIL);
  if (tail == 0) store<u32>(m, n, LPM_RETIRED);
  else store<u32>(retiredLink(m, tail), n);
  store<u32>(w, n, W_TAIL);
}

/**
 * The retired nodes whose grace period is over go back on the free list, oldest first. `reclaim`: run
 * reclaim.ts's turn first (the grace period may close, or the next one start, now).
 */
function retiredRelease(m: u32, reclaim: bool): void {
  let n = load<u32>(m, LPM_RETIRED);
  if (n == 0) return;
  if (reclaim) rc_reclaim();
  while (n != 0 && rc_passed(load<u32>(retiredLink(m, n), 4))) {
    const next = load<u32>(retiredLink(m, n));
    nodeFree(m, n);
    n = next;
  }
  store<u32>(m, n, LPM_RETIRED);
  if (n == 0) store<u32>(waiting(m), 0, W_TAIL);
}

/** A node holding `key` and `value`, children empty (0: the pool is exhausted). */
function nodeFromKey(m: u32, key: u32, value: u32): u32 {
  const n = nodeAlloc(m);
  if (n == 0) return 0;
  store<u32>(n, load<u32>(key), N_PREFIXLEN);
  copyBytes(n + N_DATA, key + 4, load<u32>(m, LPM_DATA_SIZE));
  copyBytes(n + load<u32>(m, LPM_VALUE_OFF), value, load<u32>(m, MAP_VALUE_SIZE));
  return n;
}

/** The control plane's longest wait for a grace period, per round (ms; it ends as soon as the workers pass). */
const WAIT_MS: u32 = 1000;

/** trie_update_elem(): insert or replace the exact prefix, under the map's writer lock. */
export function trieUpdate(m: u32, key: u32, value: u32, flags: u64): i32 {
  if (flags > BPF_EXIST) return -EINVAL;
  if (load<u32>(key) > load<u32>(m, LPM_MAX_PREFIXLEN)) return -EINVAL;
  mapWriterLock(m);
  let r = update(m, key, value, flags);
  // The control plane (the main thread of the shared build) may sleep, as the syscall path may
  // (synchronize_rcu): when the pool has grown as far as it may and every spare node waits, it waits for
  // the oldest one's grace period without the lock and tries again, the lock then held from the release
  // to the update (the workers' programs would take the nodes first). A worker's program may not wait:
  // -ENOMEM. Bounded: a worker held or stuck leaves the update to fail.
  if (ASC_FEATURE_THREADS && r == -ENOMEM && netLockId() == 1) {
    for (let round = 0; round < 3 && r == -ENOMEM; round++) {
      const oldest = load<u32>(m, LPM_RETIRED);
      if (oldest == 0) break;
      const stamp = load<u32>(retiredLink(m, oldest), 4);
      mapWriterUnlock(m);
      rc_synchronize(stamp, WAIT_MS);
      mapWriterLock(m);
      retiredRelease(m, false);
      r = update(m, key, value, flags);
    }
  }
  retiredRelease(m, true);
  mapWriterUnlock(m);
  return r;
}

function update(m: u32, key: u32, value: u32, flags: u64): i32 {
  const prefixlen = load<u32>(key);
  const kd = key + 4;

  // Walk down matching as many bits as possible, to an empty slot or the node to replace or split.
  let slot = m + LPM_ROOT;
  let node: u32 = 0;
  let matchlen: u32 = 0;
  while ((node = load<u32>(slot)) != 0) {
    matchlen = longestPrefixMatch(m, node, key);
    const np = load<u32>(node, N_PREFIXLEN);
    if (np != matchlen || np == prefixlen) break;
    slot = node + (extractBit(kd, np) << 2);
  }

  if (node == 0) {
    const err = checkAdd(m, flags);
    if (err != 0) return err;
    const n = nodeFromKey(m, key, value);
    if (n == 0) return undoAdd(m);
    link(slot, n);
    return 0;
  }

  if (load<u32>(node, N_PREFIXLEN) == matchlen) {
    // The exact prefix: a new node takes the entry's (or the intermediate node's) place, with its
    // children; the old one waits for the readers that may be on it (their value stays whole)
    const im = (load<u32>(node, N_FLAGS) & FLAG_IM) != 0;
    if (!im) {
      if (flags == BPF_NOEXIST) return -EEXIST;
    } else {
      const err = checkAdd(m, flags);
      if (err != 0) return err;
    }
    const n = nodeFromKey(m, key, value);
    if (n == 0) return im ? undoAdd(m) : -ENOMEM;
    store<u32>(n, load<u32>(node, N_CHILD0), N_CHILD0);
    store<u32>(n, load<u32>(node, N_CHILD1), N_CHILD1);
    link(slot, n);
    nodeRetire(m, node);
    return 0;
  }

  const err = checkAdd(m, flags);
  if (err != 0) return err;
  const n = nodeFromKey(m, key, value);
  if (n == 0) return undoAdd(m);

  if (matchlen == prefixlen) {
    // The new prefix contains `node`: insert it above.
    store<u32>(n + (extractBit(node + N_DATA, matchlen) << 2), node);
    link(slot, n);
    return 0;
  }

  // They diverge after `matchlen` bits: an intermediate node branches to both.
  const im = nodeAlloc(m);
  if (im == 0) {
    nodeFree(m, n);
    return undoAdd(m);
  }
  store<u32>(im, matchlen, N_PREFIXLEN);
  store<u32>(im, FLAG_IM, N_FLAGS);
  copyBytes(im + N_DATA, node + N_DATA, load<u32>(m, LPM_DATA_SIZE));
  if (extractBit(kd, matchlen) != 0) {
    store<u32>(im, node, N_CHILD0);
    store<u32>(im, n, N_CHILD1);
  } else {
    store<u32>(im, n, N_CHILD0);
    store<u32>(im, node, N_CHILD1);
  }
  link(slot, im);
  return 0;
}

function undoAdd(m: u32): i32 {
  store<u32>(m, load<u32>(m, MAP_COUNT) - 1, MAP_COUNT);
  return -ENOMEM;
}

/** trie_delete_elem(): remove the exact prefix, under the map's writer lock. */
export function trieDelete(m: u32, key: u32): i32 {
  if (load<u32>(key) > load<u32>(m, LPM_MAX_PREFIXLEN)) return -EINVAL;
  mapWriterLock(m);
  const r = remove(m, key);
  retiredRelease(m, true);
  mapWriterUnlock(m);
  return r;
}

function remove(m: u32, key: u32): i32 {
  const prefixlen = load<u32>(key);
  const kd = key + 4;
  let trim = m + LPM_ROOT;
  let trim2 = trim;
  let parent: u32 = 0;
  let node: u32 = 0;
  let matchlen: u32 = 0;
  while ((node = load<u32>(trim)) != 0) {
    matchlen = longestPrefixMatch(m, node, key);
    const np = load<u32>(node, N_PREFIXLEN);
    if (np != matchlen || np == prefixlen) break;
    parent = node;
    trim2 = trim;
    trim = node + (extractBit(kd, np) << 2);
  }
  if (node == 0 || load<u32>(node, N_PREFIXLEN) != prefixlen || load<u32>(node, N_PREFIXLEN) != matchlen ||
      (load<u32>(node, N_FLAGS) & FLAG_IM) != 0) return -ENOENT;

  store<u32>(m, load<u32>(m, MAP_COUNT) - 1, MAP_COUNT);
  const c0 = load<u32>(node, N_CHILD0);
  const c1 = load<u32>(node, N_CHILD1);

  // Two children: the node stays, as an intermediate one (one aligned store: a reader sees an entry or not).
  if (c0 != 0 && c1 != 0) {
    if (ASC_FEATURE_THREADS) atomic.store<u32>(node + N_FLAGS, FLAG_IM);
    else store<u32>(node, FLAG_IM, N_FLAGS);
    return 0;
  }
  // A leaf under an intermediate parent: the parent goes too, its other child moves up.
  if (parent != 0 && (load<u32>(parent, N_FLAGS) & FLAG_IM) != 0 && c0 == 0 && c1 == 0) {
    if (node == load<u32>(parent, N_CHILD0)) link(trim2, load<u32>(parent, N_CHILD1));
    else link(trim2, load<u32>(parent, N_CHILD0));
    nodeRetire(m, parent);
    nodeRetire(m, node);
    return 0;
  }
  // Zero or one child: the child (if any) takes the node's slot.
  link(trim, c0 != 0 ? c0 : c1);
  nodeRetire(m, node);
  return 0;
}

/** trie_get_next_key(): postorder; a missing or invalid key (or `key` 0) gives the first entry. */
export function trieGetNextKey(m: u32, key: u32, next: u32): i32 {
  let searchRoot = load<u32>(m, LPM_ROOT);
  if (searchRoot == 0) return -ENOENT;
  let nextNode: u32 = 0;
  if (key != 0 && load<u32>(key) <= load<u32>(m, LPM_MAX_PREFIXLEN)) {
    const stack = load<u32>(m, LPM_STACK);
    const prefixlen = load<u32>(key);
    let sp: i32 = -1;
    let node = searchRoot;
    let matchlen: u32 = 0;
    while (node != 0) {
      sp++;
      store<u32>(stack + (<u32>sp << 2), node);
      matchlen = longestPrefixMatch(m, node, key);
      const np = load<u32>(node, N_PREFIXLEN);
      if (np != matchlen || np == prefixlen) break;
      node = load<u32>(node + (extractBit(key + 4, np) << 2));
    }
    if (node != 0 && load<u32>(node, N_PREFIXLEN) == matchlen && (load<u32>(node, N_FLAGS) & FLAG_IM) == 0) {
      // Found: the next node in postorder is the leftmost entry of the right sibling subtree, else
      // the first non-intermediate ancestor.
      node = load<u32>(stack + (<u32>sp << 2));
      while (sp > 0) {
        const parent = load<u32>(stack + (<u32>(sp - 1) << 2));
        if (load<u32>(parent, N_CHILD0) == node) {
          const right = load<u32>(parent, N_CHILD1);
          if (right != 0) {
            searchRoot = right;
            break;
          }
        }
        if ((load<u32>(parent, N_FLAGS) & FLAG_IM) == 0) {
          nextNode = parent;
          break;
        }
        node = parent;
        sp--;
      }
      if (nextNode == 0 && sp <= 0) return -ENOENT;
    }
  }
  if (nextNode == 0) {
    // Leftmost non-intermediate node of searchRoot's subtree, deepest first.
    let node = searchRoot;
    while (node != 0) {
      if ((load<u32>(node, N_FLAGS) & FLAG_IM) != 0) {
        node = load<u32>(node, N_CHILD0);
      } else {
        nextNode = node;
        node = load<u32>(node, N_CHILD0);
        if (node == 0) node = load<u32>(nextNode, N_CHILD1);
      }
    }
  }
  store<u32>(next, load<u32>(nextNode, N_PREFIXLEN));
  memory.copy(next + 4, nextNode + N_DATA, load<u32>(m, LPM_DATA_SIZE));
  return 0;
}

/** Every node back on the free list (TypeScript's clear(): the control plane, with no reader left on the trie). */
export function trieClear(m: u32): void {
  const ds = load<u32>(m, LPM_DATA_SIZE);
  const stackSize = round8((ds * 8 + 1) * 4) + W_SIZE;
  const nodeSize = load<u32>(m, LPM_VALUE_OFF) + round8(load<u32>(m, MAP_VALUE_SIZE));
  const nodes = poolNodes(load<u32>(m, MAP_MAX_ENTRIES));
  const first = load<u32>(m, MAP_DATA) + stackSize;
  mapWriterLock(m);
  trieFreeChunks(m);
  store<u32>(m, 0, LPM_RETIRED);
  store<u32>(first - W_SIZE, 0, W_TAIL);
  let n = first;
  for (let i: u64 = 1; i < nodes; i++) {
    store<u32>(n, n + nodeSize, N_CHILD0);
    n += nodeSize;
  }
  store<u32>(n, 0, N_CHILD0);
  store<u32>(m, first, LPM_FREE);
  store<u32>(m, 0, LPM_ROOT);
  store<u32>(m, 0, MAP_COUNT);
  mapWriterUnlock(m);
}
