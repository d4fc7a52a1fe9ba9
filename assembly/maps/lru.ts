// LRU_HASH and LRU_PERCPU_HASH: the kernel's LRU (kernel/bpf/bpf_lru_list.c) and the htab_lru_* map
// operations over it (kernel/bpf/hashtab.c), as Linux 6.16+ has them, so that which elements an
// update evicts is the kernel's. The LRU is not a true LRU:
//
// - Every element is a node on exactly one list. A common LRU (the default) has one bpf_lru_list of
//   three lists, ACTIVE, INACTIVE and FREE (with counts of the first two and the inactive list's
//   rotation cursor), and per CPU a local FREE list and a local PENDING list. A map created with
//   BPF_F_NO_COMMON_LRU has one bpf_lru_list per CPU instead, and no local lists.
// - A node has a reference bit, set by a program's lookup (bpf_lru_node_set_ref) and by an update
//   that replaces an element; the syscall's lookup leaves it (htab_lru_map_lookup_elem_sys).
// - Populating (bpf_lru_populate): a common LRU puts every element on its FREE list; a per-CPU LRU
//   gives each CPU max_entries / ncpus consecutive elements.
// - An update takes a node first (bpf_lru_pop_free) and only then looks at the key. Common LRU: from
//   the running CPU's local free list; when that is empty, pending nodes are flushed into the common
//   lists (referenced ones to ACTIVE, the others to INACTIVE), the lists rotate, and up to
//   target_free = clamp(max_entries / ncpus / 2, 1, LOCAL_FREE_TARGET) nodes move from FREE to the
//   local free list, the missing ones shrunk from INACTIVE (evicting the elements, up to nr_scans
//   looked at), or one forced from INACTIVE or ACTIVE. Still none: steal from the CPUs' local free,
//   then pending lists, round robin from next_steal. Per-CPU LRU: rotate the CPU's list, shrink up to
//   PERCPU_FREE_TARGET when FREE is empty, take the first FREE node onto INACTIVE.
//   Shrinking can free several nodes at once, so a full map may hold fewer than max_entries.
// - A node given back (bpf_lru_push_free: a failed update's new node, a replaced or deleted element)
//   goes to the local free list of its CPU if it is pending, else to the FREE list of its list.
//
// The CPU is RUN_CPU (for programs and, as the kernel runs the syscall on the caller's CPU, for the
// control plane too), read as 0 when it is not below the map's CPU count (RUN_NCPUS at creation).
// There is no concurrency here, so the kernel's lock-failure paths never happen and evicting always
// finds its element in the table.
//
// Memory. An LRU element is | +0 u32 hash chain next | +4 u32 hash | +8 node | key at +24 | value |,
// the node being | +0 u32 prev | +4 u32 next | +8 u8 type | +9 u8 ref | +10 u16 cpu |. Lists are
// circular with a sentinel head (prev, next), as the kernel's list_head; a node's address is its
// element + 8. The LRU state, after the elements (its address at header +56):
//
//   +0 u32 ncpus | +4 u32 percpu (BPF_F_NO_COMMON_LRU) | +8 u32 nr_scans | +12 u32 target_free |
//   +16 lists: common: one bpf_lru_list (40 bytes), then ncpus bpf_lru_locallist (24 bytes each);
//              per-CPU: ncpus bpf_lru_list
//   bpf_lru_list:      +0 ACTIVE head | +8 INACTIVE head | +16 FREE head | +24 u32 active count |
//                      +28 u32 inactive count | +32 u32 next_inactive_rotation | +36 pad
//   bpf_lru_locallist: +0 FREE head | +8 PENDING head | +16 u32 next_steal | +20 pad

import { MAP_COUNT, MAP_KEY_SIZE, MAP_TYPE, MAP_VALUE_SIZE, RUN_BASE, RUN_CPU } from '../abi';
import { htabBucketOf, htabFind, htabKeyEq, htabPcpuValue, htabSeed, htabValueOff, htabWriteValue } from './hash';
import { htabHash } from './jhash';
import { BPF_EXIST, BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_NOEXIST, EEXIST, EINVAL, ENOENT, ENOMEM } from './uapi';
import { copyBytes } from '../bytes';
import { mapWriterLock, mapWriterUnlock } from './map_lock';
import { timerFreeValue } from './timer';
import { MAPS_PERCPU_NCPUS, percpuStride } from './percpu';

/** Header offset of the LRU state's address. */
export const HT_LRU: u32 = 56;
/** Offset of the key in an LRU element. */
export const LRU_KEY_OFF: u32 = 24;
/**
 * Map header word of an LRU map: the element the last update linked (0: none yet), a one-entry memo
 * of its key's hash. An update whose key equals that element's key takes the element's hash word
 * instead of hashing the key again (the same value: equal keys, one seed per map), so a flow's
 * consecutive updates hash once, in the program's lookup. Sound because an element's key and hash
 * word are written together by updates only, under the writer lock the update holds (popFree sets the
 * hash, the update copies the key), and nothing else writes either: free or evicted, the element
 * still holds a key and that key's hash. Read and written under the writer lock only.
 */
export const MAPS_LRU_LAST: u32 = 76;
/** Offset of the node in an LRU element. */
const NODE_OFF: u32 = 8;

const E_NEXT: u32 = 0;
const E_HASH: u32 = 4;

// struct bpf_lru_node
const N_PREV: u32 = 0;
const N_NEXT: u32 = 4;
const N_TYPE: u32 = 8;
const N_REF: u32 = 9;
const N_CPU: u32 = 10;
/** An element's ref byte, which a lookup sets (bpf_lru_node_set_ref): the JIT's inlined lookups (emit.ts) store it too. */
export const MAPS_LRU_REF: u32 = NODE_OFF + N_REF;

// enum bpf_lru_list_type
const T_ACTIVE: u32 = 0;
const T_INACTIVE: u32 = 1;
const T_FREE: u32 = 2;
const T_LOCAL_FREE: u32 = 3;
const T_LOCAL_PENDING: u32 = 4;

const LOCAL_FREE_TARGET: u32 = 128;
const LOCAL_NR_SCANS: u32 = LOCAL_FREE_TARGET;
const PERCPU_FREE_TARGET: u32 = 4;
const PERCPU_NR_SCANS: u32 = PERCPU_FREE_TARGET;

// state
const S_NCPUS: u32 = 0;
const S_PERCPU: u32 = 4;
const S_NR_SCANS: u32 = 8;
const S_TARGET_FREE: u32 = 12;
const S_LISTS: u32 = 16;
// struct bpf_lru_list (the list heads sit at type × 8)
const L_FREE: u32 = 16;
const L_COUNTS: u32 = 24;
const L_NEXT_ROT: u32 = 32;
const L_SIZE: u32 = 40;
// struct bpf_lru_locallist
const LL_FREE: u32 = 0;
const LL_PENDING: u32 = 8;
const LL_NEXT_STEAL: u32 = 16;
const LL_SIZE: u32 = 24;

/** Bytes of LRU state a map needs. */
export function lruStateSize(percpuLru: bool, ncpus: u32): u32 {
  return percpuLru ? S_LISTS + ncpus * L_SIZE : S_LISTS + L_SIZE + ncpus * LL_SIZE;
}

// ---- list_head ----

@inline function listInit(h: u32): void {
  store<u32>(h, h, N_PREV);
  store<u32>(h, h, N_NEXT);
}

@inline function listEmpty(h: u32): bool {
  return load<u32>(h, N_NEXT) == h;
}

@inline function listDel(n: u32): void {
  const prev = load<u32>(n, N_PREV);
  const next = load<u32>(n, N_NEXT);
  store<u32>(prev, next, N_NEXT);
  store<u32>(next, prev, N_PREV);
}

/** list_add(): right after the head. */
@inline function listAdd(n: u32, h: u32): void {
  const next = load<u32>(h, N_NEXT);
  store<u32>(n, next, N_NEXT);
  store<u32>(n, h, N_PREV);
  store<u32>(next, n, N_PREV);
  store<u32>(h, n, N_NEXT);
}

@inline function listMove(n: u32, h: u32): void {
  listDel(n);
  listAdd(n, h);
}

// ---- nodes ----

@inline function nodeType(n: u32): u32 {
  return load<u8>(n, N_TYPE);
}
@inline function setType(n: u32, t: u32): void {
  store<u8>(n, <u8>t, N_TYPE);
}
@inline function isRef(n: u32): bool {
  return load<u8>(n, N_REF) != 0;
}
@inline function clearRef(n: u32): void {
  store<u8>(n, 0, N_REF);
}
@inline function nodeCpu(n: u32): u32 {
  return load<u16>(n, N_CPU);
}
@inline function elemOf(n: u32): u32 {
  return n - NODE_OFF;
}
@inline function nodeOf(e: u32): u32 {
  return e + NODE_OFF;
}

@inline function stateOf(m: u32): u32 {
  return load<u32>(m, HT_LRU);
}
@inline function commonList(s: u32): u32 {
  return s + S_LISTS;
}
@inline function localList(s: u32, cpu: u32): u32 {
  return s + S_LISTS + L_SIZE + cpu * LL_SIZE;
}
@inline function percpuList(s: u32, cpu: u32): u32 {
  return s + S_LISTS + cpu * L_SIZE;
}

/** The CPU the kernel would run on: RUN_CPU, or 0 when the map has no such CPU. */
@inline function runCpu(s: u32): u32 {
  const cpu = load<u32>(RUN_BASE + RUN_CPU);
  return cpu < load<u32>(s, S_NCPUS) ? cpu : 0;
}

@inline function countInc(l: u32, t: u32): void {
  if (t < 2) store<u32>(l + L_COUNTS + t * 4, load<u32>(l + L_COUNTS + t * 4) + 1);
}
@inline function countDec(l: u32, t: u32): void {
  if (t < 2) store<u32>(l + L_COUNTS + t * 4, load<u32>(l + L_COUNTS + t * 4) - 1);
}

// ---- bpf_lru_list.c ----

/** __bpf_lru_node_move_to_free(): off an LRU list onto `freeList` as `tgt`. */
function moveToFree(l: u32, n: u32, freeList: u32, tgt: u32): void {
  if (n == load<u32>(l, L_NEXT_ROT)) store<u32>(l, load<u32>(n, N_PREV), L_NEXT_ROT);
  countDec(l, nodeType(n));
  setType(n, tgt);
  listMove(n, freeList);
}

/** __bpf_lru_node_move_in(): from a local list to the head of an LRU list. */
function moveIn(l: u32, n: u32, tgt: u32): void {
  countInc(l, tgt);
  setType(n, tgt);
  clearRef(n);
  listMove(n, l + tgt * 8);
}

/** __bpf_lru_node_move(): between (or within) the lists of one bpf_lru_list, to the head. */
function move(l: u32, n: u32, tgt: u32): void {
  const t = nodeType(n);
  if (t != tgt) {
    countDec(l, t);
    countInc(l, tgt);
    setType(n, tgt);
  }
  clearRef(n);
  if (n == load<u32>(l, L_NEXT_ROT)) store<u32>(l, load<u32>(n, N_PREV), L_NEXT_ROT);
  listMove(n, l + tgt * 8);
}

/** __bpf_lru_list_rotate_active(): from the tail, referenced back to the head, the rest to INACTIVE. */
function rotateActive(s: u32, l: u32): void {
  const head = l + T_ACTIVE * 8;
  const first = load<u32>(head, N_NEXT);
  const scans = load<u32>(s, S_NR_SCANS);
  let i: u32 = 0;
  let n = load<u32>(head, N_PREV);
  while (n != head) {
    const prev = load<u32>(n, N_PREV);
    move(l, n, isRef(n) ? T_ACTIVE : T_INACTIVE);
    if (++i == scans || n == first) break;
    n = prev;
  }
}

/** __bpf_lru_list_rotate_inactive(): from the cursor backwards, referenced nodes go to ACTIVE. */
function rotateInactive(s: u32, l: u32): void {
  const inactive = l + T_INACTIVE * 8;
  if (listEmpty(inactive)) return;
  const scans = load<u32>(s, S_NR_SCANS);
  let cur = load<u32>(l, L_NEXT_ROT);
  let last = load<u32>(cur, N_NEXT);
  if (last == inactive) last = load<u32>(last, N_NEXT);
  let next = inactive;
  let i: u32 = 0;
  while (i < scans) {
    if (cur == inactive) {
      cur = load<u32>(cur, N_PREV);
      continue;
    }
    next = load<u32>(cur, N_PREV);
    if (isRef(cur)) move(l, cur, T_ACTIVE);
    if (cur == last) break;
    cur = next;
    i++;
  }
  store<u32>(l, next, L_NEXT_ROT);
}

/** __bpf_lru_list_shrink_inactive(): from the tail, evict unreferenced nodes onto `freeList`. */
function shrinkInactive(m: u32, s: u32, l: u32, want: u32, freeList: u32, tgt: u32): u32 {
  const inactive = l + T_INACTIVE * 8;
  const scans = load<u32>(s, S_NR_SCANS);
  let done: u32 = 0;
  let i: u32 = 0;
  let n = load<u32>(inactive, N_PREV);
  while (n != inactive) {
    const prev = load<u32>(n, N_PREV);
    if (isRef(n)) {
      move(l, n, T_ACTIVE);
    } else if (deleteNode(m, n)) {
      moveToFree(l, n, freeList, tgt);
      if (++done == want) break;
    }
    if (++i == scans) break;
    n = prev;
  }
  return done;
}

/** __bpf_lru_list_shrink(): shrink INACTIVE, else force out the tail of INACTIVE (or ACTIVE). */
function shrink(m: u32, s: u32, l: u32, want: u32, freeList: u32, tgt: u32): u32 {
  const done = shrinkInactive(m, s, l, want, freeList, tgt);
  if (done != 0) return done;
  const inactive = l + T_INACTIVE * 8;
  const force = listEmpty(inactive) ? l + T_ACTIVE * 8 : inactive;
  let n = load<u32>(force, N_PREV);
  while (n != force) {
    const prev = load<u32>(n, N_PREV);
    if (deleteNode(m, n)) {
      moveToFree(l, n, freeList, tgt);
      return 1;
    }
    n = prev;
  }
  return 0;
}

/** __bpf_lru_list_rotate(). */
function rotate(s: u32, l: u32): void {
  if (load<u32>(l + L_COUNTS + T_INACTIVE * 4) < load<u32>(l + L_COUNTS + T_ACTIVE * 4)) rotateActive(s, l);
  rotateInactive(s, l);
}

/** __local_list_flush(): pending nodes, oldest first, onto ACTIVE (referenced) or INACTIVE. */
function localFlush(l: u32, loc: u32): void {
  const pending = loc + LL_PENDING;
  let n = load<u32>(pending, N_PREV);
  while (n != pending) {
    const prev = load<u32>(n, N_PREV);
    moveIn(l, n, isRef(n) ? T_ACTIVE : T_INACTIVE);
    n = prev;
  }
}

/** bpf_lru_list_pop_free_to_local(). */
function popFreeToLocal(m: u32, s: u32, loc: u32): void {
  const l = commonList(s);
  const target = load<u32>(s, S_TARGET_FREE);
  localFlush(l, loc);
  rotate(s, l);
  const free = l + L_FREE;
  let nfree: u32 = 0;
  let n = load<u32>(free, N_NEXT);
  while (n != free) {
    const next = load<u32>(n, N_NEXT);
    moveToFree(l, n, loc + LL_FREE, T_LOCAL_FREE);
    if (++nfree == target) break;
    n = next;
  }
  if (nfree < target) shrink(m, s, l, target - nfree, loc + LL_FREE, T_LOCAL_FREE);
}

/** __local_list_add_pending(). */
function addPending(loc: u32, cpu: u32, n: u32, hash: u32): void {
  store<u32>(elemOf(n), hash, E_HASH);
  store<u16>(n, <u16>cpu, N_CPU);
  setType(n, T_LOCAL_PENDING);
  clearRef(n);
  listAdd(n, loc + LL_PENDING);
}

/** __local_list_pop_free(). */
function localPopFree(loc: u32): u32 {
  const h = loc + LL_FREE;
  const n = load<u32>(h, N_NEXT);
  if (n == h) return 0;
  listDel(n);
  return n;
}

/** __local_list_pop_pending(): the oldest unreferenced pending node, else the oldest one. */
function localPopPending(m: u32, loc: u32): u32 {
  const pending = loc + LL_PENDING;
  for (let force = 0; force < 2; force++) {
    let n = load<u32>(pending, N_PREV);
    while (n != pending) {
      if ((force != 0 || !isRef(n)) && deleteNode(m, n)) {
        listDel(n);
        return n;
      }
      n = load<u32>(n, N_PREV);
    }
  }
  return 0;
}

/** bpf_common_lru_pop_free(). */
function commonPopFree(m: u32, s: u32, hash: u32): u32 {
  const cpu = runCpu(s);
  const loc = localList(s, cpu);
  let n = localPopFree(loc);
  if (n == 0) {
    popFreeToLocal(m, s, loc);
    n = localPopFree(loc);
  }
  if (n != 0) {
    addPending(loc, cpu, n, hash);
    return n;
  }
  // Steal from the local free, then pending lists, of every CPU in turn from next_steal.
  const ncpus = load<u32>(s, S_NCPUS);
  const first = load<u32>(loc, LL_NEXT_STEAL);
  let steal = first;
  do {
    const sl = localList(s, steal);
    n = localPopFree(sl);
    if (n == 0) n = localPopPending(m, sl);
    steal = steal + 1 < ncpus ? steal + 1 : 0;
  } while (n == 0 && steal != first);
  store<u32>(loc, steal, LL_NEXT_STEAL);
  if (n != 0) addPending(loc, cpu, n, hash);
  return n;
}

/** bpf_percpu_lru_pop_free(). */
function percpuPopFree(m: u32, s: u32, hash: u32): u32 {
  const l = percpuList(s, runCpu(s));
  rotate(s, l);
  const free = l + L_FREE;
  if (listEmpty(free)) shrink(m, s, l, PERCPU_FREE_TARGET, free, T_FREE);
  if (listEmpty(free)) return 0;
  const n = load<u32>(free, N_NEXT);
  store<u32>(elemOf(n), hash, E_HASH);
  clearRef(n);
  move(l, n, T_INACTIVE);
  return n;
}

/** bpf_lru_pop_free(): a node for a new element of hash `hash` (its element's address), or 0. */
function popFree(m: u32, hash: u32): u32 {
  const s = stateOf(m);
  const n = load<u32>(s, S_PERCPU) != 0 ? percpuPopFree(m, s, hash) : commonPopFree(m, s, hash);
  return n == 0 ? 0 : elemOf(n);
}

/**
 * popFree with bpf_common_lru_pop_free's first step written in: a node from the running CPU's local
 * free list when it has one (the steady state of a map that replaces elements), else popFree.
 */
@inline function popFreeFast(m: u32, hash: u32): u32 {
  const s = stateOf(m);
  if (load<u32>(s, S_PERCPU) == 0) {
    const cpu = runCpu(s);
    const loc = localList(s, cpu);
    const n = localPopFree(loc);
    if (n != 0) {
      addPending(loc, cpu, n, hash);
      return elemOf(n);
    }
  }
  return popFree(m, hash);
}

/**
 * pushFree with bpf_lru_push_free's case of a common LRU's pending node written in (an element
 * replaced while it waits on its CPU's pending list: onto that CPU's local free list), else pushFree.
 */
@inline function pushFreeFast(m: u32, e: u32): void {
  const s = stateOf(m);
  const n = nodeOf(e);
  if (load<u32>(s, S_PERCPU) == 0 && nodeType(n) == T_LOCAL_PENDING) {
    setType(n, T_LOCAL_FREE);
    clearRef(n);
    listMove(n, localList(s, nodeCpu(n)) + LL_FREE);
    return;
  }
  pushFree(m, e);
}

/** bpf_lru_push_free(): give back the element `e` (not in the table any more). */
function pushFree(m: u32, e: u32): void {
  const s = stateOf(m);
  const n = nodeOf(e);
  if (load<u32>(s, S_PERCPU) != 0) {
    move(percpuList(s, nodeCpu(n)), n, T_FREE);
    return;
  }
  const t = nodeType(n);
  if (t == T_FREE || t == T_LOCAL_FREE) return;
  if (t == T_LOCAL_PENDING) {
    setType(n, T_LOCAL_FREE);
    clearRef(n);
    listMove(n, localList(s, nodeCpu(n)) + LL_FREE);
    return;
  }
  move(commonList(s), n, T_FREE);
}

/**
 * bpf_lru_init() and bpf_lru_populate() for the `nElems` elements of `elemSize` bytes from `first`,
 * with the state at `s`.
 */
export function lruInit(s: u32, percpuLru: bool, ncpus: u32, first: u32, elemSize: u32, nElems: u32): void {
  store<u32>(s, ncpus, S_NCPUS);
  store<u32>(s, percpuLru ? 1 : 0, S_PERCPU);
  store<u32>(s, percpuLru ? PERCPU_NR_SCANS : LOCAL_NR_SCANS, S_NR_SCANS);
  const nlists = percpuLru ? ncpus : 1;
  for (let c: u32 = 0; c < nlists; c++) {
    const l = s + S_LISTS + c * L_SIZE;
    for (let t: u32 = 0; t < 3; t++) listInit(l + t * 8);
    store<u32>(l, 0, L_COUNTS);
    store<u32>(l, 0, L_COUNTS + 4);
    store<u32>(l, l + T_INACTIVE * 8, L_NEXT_ROT);
  }
  if (!percpuLru) {
    for (let c: u32 = 0; c < ncpus; c++) {
      const loc = localList(s, c);
      listInit(loc + LL_FREE);
      listInit(loc + LL_PENDING);
      store<u32>(loc, c, LL_NEXT_STEAL);
    }
    // bpf_common_lru_populate(): each element pushed at the head of FREE.
    const free = commonList(s) + L_FREE;
    let e = first;
    for (let i: u32 = 0; i < nElems; i++) {
      const n = nodeOf(e);
      setType(n, T_FREE);
      clearRef(n);
      listAdd(n, free);
      e += elemSize;
    }
    let target = nElems / ncpus / 2;
    if (target < 1) target = 1;
    if (target > LOCAL_FREE_TARGET) target = LOCAL_FREE_TARGET;
    store<u32>(s, target, S_TARGET_FREE);
    return;
  }
  // bpf_percpu_lru_populate(): max_entries / ncpus consecutive elements for each CPU.
  const per = nElems / ncpus;
  let e = first;
  let i: u32 = 0;
  for (let c: u32 = 0; c < ncpus && i < nElems; c++) {
    const free = percpuList(s, c) + L_FREE;
    do {
      const n = nodeOf(e);
      store<u16>(n, <u16>c, N_CPU);
      setType(n, T_FREE);
      clearRef(n);
      listAdd(n, free);
      i++;
      e += elemSize;
    } while (i < nElems && i % per != 0);
  }
  store<u32>(s, PERCPU_FREE_TARGET, S_TARGET_FREE);
}

// ---- the table side (hashtab.c) ----

/**
 * Header word of an LRU map whose value has kptrs (hash.ts's free-list head, which LRU maps do not use): the
 * address of its kptr record, 0 for none. The objects a kptr holds live in TypeScript's heap
 * (src/helpers/obj_kfuncs.ts), so an element leaving the table (deleted, replaced, evicted:
 * htab_lru_push_free / htab_lru_map_delete_node -> check_and_free_fields) hands its kptrs' pointers to
 * the record's queue, its fields zeroed, and TypeScript drops those objects after the operation
 * (src/control/graph_maps.ts drain):
 *
 *   record: +0 u32 fields | +4 u32 queue capacity | +8 u32 queued | +12 pad | +16 u32 offset[fields] |
 *           queue (8-aligned): { u32 pointer, u32 field } × capacity
 *
 * The capacity covers one update's evictions (up to LOCAL_FREE_TARGET elements, every CPU's copy); a
 * full queue leaves a pointer in place (TypeScript frees a whole map's before it clears or frees it).
 */
export const MAPS_LRU_KPTRS: u32 = 48;

function kptrsTake(m: u32, e: u32): void {
  const d = load<u32>(m, MAPS_LRU_KPTRS);
  if (d == 0) return;
  const n = load<u32>(d);
  const cap = load<u32>(d, 4);
  let len = load<u32>(d, 8);
  const q = d + 16 + ((n * 4 + 7) & ~7);
  let v = e + htabValueOff(m);
  let copies: u32 = 1;
  let stride: u32 = 0;
  if (load<u32>(m, MAP_TYPE) == BPF_MAP_TYPE_LRU_PERCPU_HASH) {
    v = load<u32>(v);
    copies = load<u32>(m, MAPS_PERCPU_NCPUS);
    stride = percpuStride(m);
  }
  for (let c: u32 = 0; c < copies; c++) {
    for (let i: u32 = 0; i < n; i++) {
      const at = v + c * stride + load<u32>(d + 16 + 4 * i);
      const p = load<u64>(at);
      if (p == 0 || len >= cap) continue;
      store<u32>(q + len * 8, <u32>p);
      store<u32>(q + len * 8, i, 4);
      len++;
      store<u64>(at, 0);
    }
  }
  store<u32>(d, len, 8);
}

/** Unlink `e` from its bucket if it is there (the element before it found by walking the chain). */
function unlinkElem(m: u32, e: u32): bool {
  // an element leaving the table (deleted, replaced, evicted) takes its timer and its kptrs' objects with it
  timerFreeValue(m, e + htabValueOff(m));
  kptrsTake(m, e);
  const b = htabBucketOf(m, load<u32>(e, E_HASH));
  let p = load<u32>(b);
  if (p == e) {
    store<u32>(b, load<u32>(e, E_NEXT));
  } else {
    while (p != 0 && load<u32>(p, E_NEXT) != e) p = load<u32>(p, E_NEXT);
    if (p == 0) return false;
    store<u32>(p, load<u32>(e, E_NEXT), E_NEXT);
  }
  store<u32>(m, load<u32>(m, MAP_COUNT) - 1, MAP_COUNT);
  return true;
}

/** htab_lru_map_delete_node(): the LRU evicts node `n`: take its element out of the table. */
function deleteNode(m: u32, n: u32): bool {
  return unlinkElem(m, elemOf(n));
}

@inline function linkHead(m: u32, b: u32, e: u32): void {
  store<u32>(e, load<u32>(b), E_NEXT);
  store<u32>(b, e);
  store<u32>(m, load<u32>(m, MAP_COUNT) + 1, MAP_COUNT);
}

/** htab_lru_map_lookup_elem(): the value's address, or 0; marks the element referenced. */
export function htabLruLookup(m: u32, key: u32): u32 {
  const e = htabFind(m, key);
  if (e == 0) return 0;
  store<u8>(nodeOf(e), 1, N_REF);
  return e + htabValueOff(m);
}

/** htab_lru_percpu_map_lookup_elem(): the running CPU's value; marks the element referenced. */
export function htabLruPercpuLookup(m: u32, key: u32): u32 {
  const e = htabFind(m, key);
  if (e == 0) return 0;
  store<u8>(nodeOf(e), 1, N_REF);
  return htabPcpuValue(m, e);
}

/**
 * The element of `key` in bucket `b`, or 0 (lookup_elem_raw). `known`: an element already known to
 * hold `key` (the memo's), matched without comparing the key again.
 */
function findIn(m: u32, b: u32, hash: u32, key: u32, known: u32): u32 {
  const ks = load<u32>(m, MAP_KEY_SIZE);
  let e = load<u32>(b);
  while (e != 0) {
    if (e == known || (load<u32>(e, E_HASH) == hash && htabKeyEq(e + LRU_KEY_OFF, key, ks))) return e;
    e = load<u32>(e, E_NEXT);
  }
  return 0;
}

/**
 * htab_lru_map_update_elem() and __htab_lru_percpu_map_update_elem(). A node is taken before the key
 * is looked at (except for a percpu map's BPF_EXIST), so even a failing update may evict.
 */
export function htabLruUpdate(m: u32, key: u32, value: u32, flags: u64, onAllCpus: bool): i32 {
  if (flags > BPF_EXIST) return -EINVAL;
  const percpu = load<u32>(m, MAP_TYPE) == BPF_MAP_TYPE_LRU_PERCPU_HASH;
  const ks = load<u32>(m, MAP_KEY_SIZE);
  // The memo (MAPS_LRU_LAST): the last linked element's hash when it holds this key.
  let known = load<u32>(m, MAPS_LRU_LAST);
  if (known != 0 && !htabKeyEq(known + LRU_KEY_OFF, key, ks)) known = 0;
  const hash = known != 0 ? load<u32>(known, E_HASH) : htabHash(key, ks, htabSeed(m));
  const b = htabBucketOf(m, hash);
  const voff = htabValueOff(m);

  let n: u32 = 0;
  if (!percpu || flags != BPF_EXIST) {
    // (popFree may hand back the memo's element itself, evicted: its hash is rewritten with the same value.)
    n = popFreeFast(m, hash);
    if (n == 0) return -ENOMEM;
    copyBytes(n + LRU_KEY_OFF, key, ks);
    if (!percpu) {
      htabWriteValue(m, n + voff, value, false, false, true);
    }
  }
  // (The memo's element, when the pop took it, is off the table: the walk cannot meet it.)
  const old = findIn(m, b, hash, key, known);
  let ret: i32 = 0;
  if (old != 0 && flags == BPF_NOEXIST) ret = -EEXIST;
  else if (old == 0 && flags == BPF_EXIST) ret = -ENOENT;
  if (ret != 0) {
    if (n != 0) pushFree(m, n);
    return ret;
  }
  if (percpu) {
    if (old != 0) {
      store<u8>(nodeOf(old), 1, N_REF);
      htabWriteValue(m, old + voff, value, true, onAllCpus, false);
      if (n != 0) pushFree(m, n);
    } else {
      htabWriteValue(m, n + voff, value, true, onAllCpus, true);
      linkHead(m, b, n);
      store<u32>(m, n, MAPS_LRU_LAST);
    }
    return 0;
  }
  // The new element goes in at the head of the bucket; an old one leaves the table and is freed.
  linkHead(m, b, n);
  store<u32>(m, n, MAPS_LRU_LAST);
  if (old != 0) {
    store<u8>(nodeOf(n), 1, N_REF);
    unlinkElem(m, old);
    pushFreeFast(m, old);
  }
  return 0;
}

/** htabLruUpdate under the map's writer lock (htabUpdate's LRU case: bpf_map_update_elem). */
export function htabLruUpdateLocking(m: u32, key: u32, value: u32, flags: u64, onAllCpus: bool): i32 {
  mapWriterLock(m);
  const r = htabLruUpdate(m, key, value, flags, onAllCpus);
  mapWriterUnlock(m);
  return r;
}

/** htab_lru_map_delete_elem(). */
export function htabLruDelete(m: u32, key: u32): i32 {
  const ks = load<u32>(m, MAP_KEY_SIZE);
  const hash = htabHash(key, ks, htabSeed(m));
  const e = findIn(m, htabBucketOf(m, hash), hash, key, 0);
  if (e == 0) return -ENOENT;
  unlinkElem(m, e);
  pushFree(m, e);
  return 0;
}

/** Delete every element, in get_next_key order (TypeScript's clear()). */
export function htabLruClear(m: u32, nBuckets: u32): void {
  for (let i: u32 = 0; i < nBuckets; i++) {
    const b = htabBucketOf(m, i);
    let e = load<u32>(b);
    while (e != 0) {
      const next = load<u32>(e, E_NEXT);
      unlinkElem(m, e);
      pushFree(m, e);
      e = next;
    }
  }
}
