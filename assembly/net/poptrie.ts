// The LPM lookup structure both families share: a Poptrie (Asai & Ohara, "Poptrie: A Compressed Trie
// with Population Count for Fast and Scalable Software IP Routing Table Lookup", SIGCOMM 2015) built
// from the rule trie (lpm_rib.ts) and updated in place for concurrent readers. lpm4.ts and lpm6.ts
// hold the lookups (a few lines each) and the exports; this file is the control plane's side.
// Chosen by measurement over DIR-24-8 (bench/fib.ts; README): see lpm4.ts.
//
// Direct table: 2^S u32 entries indexed by the key's first S bits. An entry is
//   1vvvvvvv vvvvvvvv vvvvvvvv vvvvvvvv  a leaf: the value (31 bits; 0 = no route), or
//   0aaaaaaa aaaaaaaa aaaaaaaa aaaaaaaa  the address / 8 of a 24-byte root node.
// Node (covers 6 more key bits: 64 children, each an internal node or a leaf):
//   +0  u64 vector   bit i: child i is an internal node
//   +8  u64 leafvec  bit i: child i is a leaf that starts a run of equal leaves (leaf compression)
//   +16 u32 leaves   address of the u32 leaf values, one per run (popcnt(leafvec) of them)
//   +20 u32 kids     address of the child nodes, 24 bytes each, in order (popcnt(vector) of them)
// Lookup of child i: internal → kids[popcnt(vector & (2 << i) - 1) - 1]; leaf → leaves[popcnt(leafvec
// & (2 << i) - 1) - 1]. Keys shorter than a node's last bit read zeros past their end (IPv4 at bit 30
// reads 2 real bits, IPv6 at bit 124 reads 4).
//
// Updates never write a block a reader can reach. A change to prefix p/len:
//   len ≤ S   every direct entry under p gets a new root (or leaf), built aside, then stored one by one
//             (each entry is one aligned u32 store; a reader sees an entry old or new, never between);
//   len > S   the node whose 6 bits hold p's last bit is rebuilt with the children p covers built
//             afresh and the others copied (their subtrees shared), and the path above it is copied
//             up to a new root; one store of the direct entry publishes it (a path copy, as the
//             paper's incremental update and RCU trees do).
// Blocks unlinked by an update are retired (lpm_heap.ts) and reused after lpm_reclaim. A failed
// allocation frees what the update built and leaves the published structure as it was. Batch mode
// (lpm_batch_begin .. lpm_commit) only marks direct entries dirty and rebuilds each once: a bulk load.

import {
  heapAlloc, heapFree, heapNextGen, heapReserve, heapRetire, HDR_COUNT, HDR_COVER, HDR_DIR, HDR_DIRTY,
  HDR_DIRTY_LEFT, HDR_PATH_IDX, HDR_PATH_NEW, HDR_PATH_NODE, HDR_RIB, HDR_RIB_NODE, HDR_S, HDR_TGT_NODE,
  HDR_TMP_NODE, HDR_TMP_SLOT, KIND_RIB, KIND_STRUCT, LEVEL_SUBS, levelVals,
} from './lpm_heap';
import { keyIsPrefix, nHi, nLen, nLo, ribContent, ribFind, ribInsert, ribPrune, ribRegion, RN_C0, RN_C1, RN_VALUE } from './lpm_rib';

export const PN_VEC: u32 = 0;
export const PN_LEAFVEC: u32 = 8;
export const PN_LEAVES: u32 = 16;
export const PN_KIDS: u32 = 20;
export const PN_SIZE: u32 = 24;
export const LEAF_TAG: u32 = 0x80000000;
export const VALUE_MAX: u32 = 0x7fffffff;

// ---- Keys: 128 bits as (hi, lo), most significant first ----

/** The 6 key bits from bit `off` on (zeros past bit 127). */
@inline export function chunk6(hi: u64, lo: u64, off: u32): u32 {
  if (off <= 58) return <u32>((hi << <u64>off) >> 58);
  if (off >= 64) return <u32>((lo << <u64>(off - 64)) >> 58);
  return <u32>(((hi << <u64>off) | (lo >> <u64>(64 - off))) >> 58);
}

/** The key with bits [off, off + 6) set to `i` (they were 0). */
@inline function withHi(hi: u64, off: u32, i: u32): u64 {
  if (off <= 58) return hi | (<u64>i << <u64>(58 - off));
  if (off >= 64) return hi;
  return hi | (<u64>i >> <u64>(off - 58));
}
@inline function withLo(lo: u64, off: u32, i: u32): u64 {
  if (off <= 58) return lo;
  if (off <= 122) return lo | (<u64>i << <u64>(122 - off));
  return lo | (<u64>i >> <u64>(off - 122));
}

@inline function below(i: u32): u64 {
  return (<u64>2 << <u64>i) - 1;
}

/** The address of internal child `i` of node `n`. */
@inline export function kidOf(n: u32, i: u32): u32 {
  return load<u32>(n + PN_KIDS) + (<u32>popcnt<u64>(load<u64>(n + PN_VEC) & below(i)) - 1) * PN_SIZE;
}

// ---- One node's 64 children, computed from the rule trie ----

let cT: u32 = 0;
let cOff: u32 = 0;
let cVals: u32 = 0;
let cMask: u64 = 0;
let cInner: bool = false;

/**
 * The children of region `hi/lo / off`: level `lvl`'s scratch gets each child's leaf value (the
 * longest prefix of length ≤ off + 6 covering it, `cover` when none) and, for internal children, the
 * rule subtrie to build them from. Returns the internal-children mask; cInner says whether the region
 * holds any prefix longer than `off` (if not, no node is needed for it).
 */
function computeChildren(t: u32, lvl: u32, off: u32, cover: u32, r: u32): u64 {
  const vals = levelVals(t, lvl);
  for (let i: u32 = 0; i < 64; i++) store<u32>(vals + (i << 2), cover);
  cT = t;
  cOff = off;
  cVals = vals;
  cMask = 0;
  cInner = false;
  if (r != 0) visit(r);
  return cMask;
}

function markInternal(n: u32): void {
  const idx = chunk6(nHi(n), nLo(cT, n), cOff);
  cMask |= <u64>1 << <u64>idx;
  store<u32>(cVals + LEVEL_SUBS + (idx << 2), n);
  cInner = true;
}

// Depth first: a prefix is visited before the longer ones under it, so theirs overwrite its range.
function visit(n: u32): void {
  const nl = nLen(n);
  const end = cOff + 6;
  if (nl > end) {
    if (ribContent(n)) markInternal(n);
    return;
  }
  const v = load<u32>(n + RN_VALUE);
  if (v != 0) {
    if (nl > cOff) cInner = true;
    const idx = chunk6(nHi(n), nLo(cT, n), cOff);
    const last = idx + (<u32>1 << (end - nl));
    for (let i = idx; i < last; i++) store<u32>(cVals + (i << 2), v);
  }
  const c0 = load<u32>(n + RN_C0);
  const c1 = load<u32>(n + RN_C1);
  if (nl == end) {
    // Its children are longer than this level: the child it sits on is an internal node.
    if ((c0 != 0 && ribContent(c0)) || (c1 != 0 && ribContent(c1))) markInternal(n);
    return;
  }
  if (c0 != 0) visit(c0);
  if (c1 != 0) visit(c1);
}

// ---- Building, freeing and retiring subtrees ----

/** Leaf values of level `lvl`'s leaf children, run-compressed; 0 and no allocation when there are none. */
let lLeafvec: u64 = 0;
function buildLeaves(t: u32, lvl: u32, mask: u64): u32 {
  const vals = levelVals(t, lvl);
  let leafvec: u64 = 0;
  let n: u32 = 0;
  let prev: u32 = 0;
  for (let i: u32 = 0; i < 64; i++) {
    if ((mask >> <u64>i) & 1) continue;
    const v = load<u32>(vals + (i << 2));
    if (n == 0 || v != prev) {
      leafvec |= <u64>1 << <u64>i;
      n++;
      prev = v;
    }
  }
  lLeafvec = leafvec;
  if (n == 0) return 0;
  const leaves = heapAlloc(t, n << 2, KIND_STRUCT);
  if (leaves == 0) return 0;
  let j: u32 = 0;
  for (let i: u32 = 0; i < 64; i++) {
    if ((leafvec >> <u64>i) & 1) {
      store<u32>(leaves + (j << 2), load<u32>(vals + (i << 2)));
      j++;
    }
  }
  return leaves;
}

/** Whether child `i` of a rebuilt node keeps the old node's child (outside the changed range). */
@inline function copied(i: u32, newMask: u64, old: u32, a: u32, cnt: u32): bool {
  return old != 0 && ((newMask >> <u64>i) & 1) != 0 && ((load<u64>(old + PN_VEC) >> <u64>i) & 1) != 0 &&
    (i < a || i >= a + cnt);
}

/**
 * Fill the node struct at `dst` for region `hi/lo / off` whose children are in level `lvl`'s scratch
 * (mask `mask`): leaves, and child nodes built from the rule trie, except those `copied` from `old`.
 * 0, or -12 with everything it allocated freed.
 */
function fillNode(t: u32, dst: u32, lvl: u32, hi: u64, lo: u64, off: u32, mask: u64, old: u32, a: u32, cnt: u32): i32 {
  const leaves = buildLeaves(t, lvl, mask);
  const leafvec = lLeafvec;
  if (leafvec != 0 && leaves == 0) return -12;
  const nk = <u32>popcnt<u64>(mask);
  let kids: u32 = 0;
  if (nk != 0) {
    kids = heapAlloc(t, nk * PN_SIZE, KIND_STRUCT);
    if (kids == 0) {
      if (leaves != 0) heapFree(t, leaves, <u32>popcnt<u64>(leafvec) << 2, KIND_STRUCT);
      return -12;
    }
    const vals = levelVals(t, lvl);
    let p: u32 = 0;
    for (let i: u32 = 0; i < 64; i++) {
      if (((mask >> <u64>i) & 1) == 0) continue;
      const kid = kids + p * PN_SIZE;
      if (copied(i, mask, old, a, cnt)) {
        memory.copy(kid, kidOf(old, i), PN_SIZE);
      } else {
        const sub = load<u32>(vals + LEVEL_SUBS + (i << 2));
        const cover = load<u32>(vals + (i << 2));
        if (buildInto(t, kid, lvl + 1, withHi(hi, off, i), withLo(lo, off, i), off + 6, cover, sub) < 0) {
          // Undo: the children built so far (not the copied ones), the arrays.
          let q: u32 = 0;
          for (let k: u32 = 0; k < i; k++) {
            if (((mask >> <u64>k) & 1) == 0) continue;
            if (!copied(k, mask, old, a, cnt)) freeTree(t, kids + q * PN_SIZE);
            q++;
          }
          heapFree(t, kids, nk * PN_SIZE, KIND_STRUCT);
          if (leaves != 0) heapFree(t, leaves, <u32>popcnt<u64>(leafvec) << 2, KIND_STRUCT);
          return -12;
        }
      }
      p++;
    }
  }
  store<u64>(dst + PN_VEC, mask);
  store<u64>(dst + PN_LEAFVEC, leafvec);
  store<u32>(dst + PN_LEAVES, leaves);
  store<u32>(dst + PN_KIDS, kids);
  return 0;
}

/** Build the whole subtree of region `hi/lo / off` (cover and rule subtrie given) into the struct at `dst`. */
function buildInto(t: u32, dst: u32, lvl: u32, hi: u64, lo: u64, off: u32, cover: u32, r: u32): i32 {
  const mask = computeChildren(t, lvl, off, cover, r);
  return fillNode(t, dst, lvl, hi, lo, off, mask, 0, 0, 0);
}

/** Free a subtree no reader has seen (its struct at `n` is the caller's). */
function freeTree(t: u32, n: u32): void {
  const vec = load<u64>(n + PN_VEC);
  const lv = load<u64>(n + PN_LEAFVEC);
  if (lv != 0) heapFree(t, load<u32>(n + PN_LEAVES), <u32>popcnt<u64>(lv) << 2, KIND_STRUCT);
  if (vec != 0) {
    const nk = <u32>popcnt<u64>(vec);
    const kids = load<u32>(n + PN_KIDS);
    for (let p: u32 = 0; p < nk; p++) freeTree(t, kids + p * PN_SIZE);
    heapFree(t, kids, nk * PN_SIZE, KIND_STRUCT);
  }
}

/** Blocks retireTree(n) will retire. */
function countTree(n: u32): u32 {
  const vec = load<u64>(n + PN_VEC);
  let c: u32 = load<u64>(n + PN_LEAFVEC) != 0 ? 1 : 0;
  if (vec != 0) {
    const nk = <u32>popcnt<u64>(vec);
    const kids = load<u32>(n + PN_KIDS);
    for (let p: u32 = 0; p < nk; p++) c += countTree(kids + p * PN_SIZE);
    c++;
  }
  return c;
}

/** Retire a published subtree (unlinked already); its blocks stay intact until reclaimed. */
function retireTree(t: u32, n: u32): void {
  const vec = load<u64>(n + PN_VEC);
  const lv = load<u64>(n + PN_LEAFVEC);
  if (lv != 0) heapRetire(t, load<u32>(n + PN_LEAVES), <u32>popcnt<u64>(lv) << 2);
  if (vec != 0) {
    const nk = <u32>popcnt<u64>(vec);
    const kids = load<u32>(n + PN_KIDS);
    for (let p: u32 = 0; p < nk; p++) retireTree(t, kids + p * PN_SIZE);
    heapRetire(t, kids, nk * PN_SIZE);
  }
}

// ---- Direct entries ----

@inline function dirSlot(t: u32, j: u32): u32 {
  return load<u32>(t + HDR_DIR) + (j << 2);
}

/**
 * Children of direct block `b` (64 entries: the region of the key's first S - 6 bits) into level 0's
 * scratch; returns the internal mask.
 */
function blockChildren(t: u32, b: u32): u64 {
  const off = load<u32>(t + HDR_S) - 6;
  const hi = <u64>b << <u64>(64 - off);
  const r = ribRegion(t, hi, 0, off);
  return computeChildren(t, 0, off, load<u32>(t + HDR_COVER), r);
}

/** The new entry for slot `i` of block `b` (children in level 0's scratch, mask `mask`); 0 = no memory. */
function buildEntry(t: u32, b: u32, i: u32, mask: u64): u32 {
  const vals = levelVals(t, 0);
  if (((mask >> <u64>i) & 1) == 0) return LEAF_TAG | load<u32>(vals + (i << 2));
  const s = load<u32>(t + HDR_S);
  const root = heapAlloc(t, PN_SIZE, KIND_STRUCT);
  if (root == 0) return 0;
  const hi = (<u64>((b << 6) | i)) << <u64>(64 - s);
  if (buildInto(t, root, 1, hi, 0, s, load<u32>(vals + (i << 2)), load<u32>(vals + LEVEL_SUBS + (i << 2))) < 0) {
    heapFree(t, root, PN_SIZE, KIND_STRUCT);
    return 0;
  }
  return root >> 3;
}

function dropEntry(t: u32, e: u32): void {
  if ((e & LEAF_TAG) != 0) return;
  freeTree(t, e << 3);
  heapFree(t, e << 3, PN_SIZE, KIND_STRUCT);
}

/** Retire records replacing entry `old` by `e` needs. */
@inline function entryRetires(old: u32, e: u32): u32 {
  return old == e || (old & LEAF_TAG) != 0 ? 0 : countTree(old << 3) + 1;
}

function retireEntry(t: u32, old: u32): void {
  if ((old & LEAF_TAG) != 0) return;
  retireTree(t, old << 3);
  heapRetire(t, old << 3, PN_SIZE);
}

/** Rebuild direct entries [a, a + cnt) from the rule trie: all built first, then published. */
function rebuildSlots(t: u32, a: u32, cnt: u32): i32 {
  const tmp = cnt == 1 ? t + HDR_TMP_SLOT : heapAlloc(t, cnt << 2, KIND_STRUCT);
  if (tmp == 0) return -12;
  const end = a + cnt;
  let done: u32 = 0;
  let ok = true;
  for (let b = a >> 6; ok && (b << 6) < end; b++) {
    const mask = blockChildren(t, b);
    const i0 = a > (b << 6) ? a - (b << 6) : 0;
    const i1 = end < ((b + 1) << 6) ? end - (b << 6) : 64;
    for (let i = i0; i < i1; i++) {
      const e = buildEntry(t, b, i, mask);
      if (e == 0) {
        ok = false;
        break;
      }
      store<u32>(tmp + (done << 2), e);
      done++;
    }
  }
  let need: u32 = 0;
  if (ok) for (let j: u32 = 0; j < cnt; j++) need += entryRetires(load<u32>(dirSlot(t, a + j)), load<u32>(tmp + (j << 2)));
  if (!ok || !heapReserve(t, need)) {
    for (let j: u32 = 0; j < done; j++) dropEntry(t, load<u32>(tmp + (j << 2)));
    if (cnt != 1) heapFree(t, tmp, cnt << 2, KIND_STRUCT);
    return -12;
  }
  heapNextGen(t);
  for (let j: u32 = 0; j < cnt; j++) {
    const slot = dirSlot(t, a + j);
    const old = load<u32>(slot);
    const e = load<u32>(tmp + (j << 2));
    if (old == e) continue;
    store<u32>(slot, e);
    retireEntry(t, old);
  }
  if (cnt != 1) heapFree(t, tmp, cnt << 2, KIND_STRUCT);
  return 0;
}

// ---- Path copy (len > S) ----

/** Free the new parts of the rebuilt struct `nw` (not what it copied from `old`). */
function discardNew(t: u32, nw: u32, old: u32, a: u32, cnt: u32): void {
  const mask = load<u64>(nw + PN_VEC);
  const lv = load<u64>(nw + PN_LEAFVEC);
  if (lv != 0) heapFree(t, load<u32>(nw + PN_LEAVES), <u32>popcnt<u64>(lv) << 2, KIND_STRUCT);
  if (mask == 0) return;
  const kids = load<u32>(nw + PN_KIDS);
  let p: u32 = 0;
  for (let i: u32 = 0; i < 64; i++) {
    if (((mask >> <u64>i) & 1) == 0) continue;
    if (!copied(i, mask, old, a, cnt)) freeTree(t, kids + p * PN_SIZE);
    p++;
  }
  heapFree(t, kids, <u32>popcnt<u64>(mask) * PN_SIZE, KIND_STRUCT);
}

/** Retire what the rebuilt `nw` no longer uses of `old` (for cnt = 0, count instead: the return). */
function retireOld(t: u32, old: u32, nw: u32, a: u32, cnt: u32, count: bool): u32 {
  const mask = load<u64>(nw + PN_VEC);
  const vec = load<u64>(old + PN_VEC);
  const lv = load<u64>(old + PN_LEAFVEC);
  let c: u32 = 0;
  if (lv != 0) {
    c++;
    if (!count) heapRetire(t, load<u32>(old + PN_LEAVES), <u32>popcnt<u64>(lv) << 2);
  }
  if (vec == 0) return c;
  const kids = load<u32>(old + PN_KIDS);
  let p: u32 = 0;
  for (let i: u32 = 0; i < 64; i++) {
    if (((vec >> <u64>i) & 1) == 0) continue;
    // Old child i lives on in the new node only if the new node copied it.
    const kept = ((mask >> <u64>i) & 1) != 0 && (i < a || i >= a + cnt);
    if (!kept) {
      if (count) c += countTree(kids + p * PN_SIZE);
      else retireTree(t, kids + p * PN_SIZE);
    }
    p++;
  }
  c++;
  if (!count) heapRetire(t, kids, <u32>popcnt<u64>(vec) * PN_SIZE);
  return c;
}

/**
 * Rebuild node path[k] (region of `hi/lo`'s first `off` bits) into HDR_TGT_NODE, children [a, a + cnt)
 * afresh. 1: done; 0: the region holds no longer prefix any more, so no node (nothing allocated);
 * -12: no memory (nothing kept).
 */
function rebuildNode(t: u32, k: u32, hi: u64, lo: u64, off: u32, a: u32, cnt: u32): i32 {
  const rhi = maskHi128(hi, off);
  const rlo = maskLo128(lo, off);
  const r = ribRegion(t, rhi, rlo, off);
  const mask = computeChildren(t, k + 1, off, load<u32>(t + HDR_COVER), r);
  if (!cInner) return 0;
  const old = load<u32>(t + HDR_PATH_NODE + (k << 2));
  return fillNode(t, t + HDR_TGT_NODE, k + 1, rhi, rlo, off, mask, old, a, cnt) < 0 ? -12 : 1;
}

@inline function maskHi128(hi: u64, len: u32): u64 {
  return len >= 64 ? hi : len == 0 ? 0 : hi & ~(<u64>-1 >> <u64>len);
}
@inline function maskLo128(lo: u64, len: u32): u64 {
  return len >= 128 ? lo : len <= 64 ? 0 : lo & ~(<u64>-1 >> <u64>(len - 64));
}

function pathUpdate(t: u32, hi: u64, lo: u64, len: u32): i32 {
  const s = load<u32>(t + HDR_S);
  const j = <u32>(hi >> <u64>(64 - s));
  const slot = dirSlot(t, j);
  const e = load<u32>(slot);
  if ((e & LEAF_TAG) != 0) return rebuildSlots(t, j, 1);
  const pathNode = t + HDR_PATH_NODE;
  const pathIdx = t + HDR_PATH_IDX;
  const pathNew = t + HDR_PATH_NEW;
  let node = e << 3;
  let off = s;
  let k: u32 = 0;
  let a: u32 = 0;
  let cnt: u32 = 1;
  while (true) {
    store<u32>(pathNode + (k << 2), node);
    const c = chunk6(hi, lo, off);
    if (len < off + 6) {
      a = c;
      cnt = <u32>1 << (off + 6 - len);
      break;
    }
    store<u32>(pathIdx + (k << 2), c);
    if ((load<u64>(node + PN_VEC) >> <u64>c) & 1) {
      node = kidOf(node, c);
      off += 6;
      k++;
      continue;
    }
    a = c;
    break;
  }
  // The target: path[k]. If the change leaves its region without a longer prefix, its parent's child
  // becomes a leaf instead, and so on up to the direct entry.
  while (true) {
    const res = rebuildNode(t, k, hi, lo, s + 6 * k, a, cnt);
    if (res < 0) return -12;
    if (res > 0) break;
    if (k == 0) return rebuildSlots(t, j, 1);
    k--;
    a = load<u32>(pathIdx + (k << 2));
    cnt = 1;
  }
  const tgt = t + HDR_TGT_NODE;
  const tmp = t + HDR_TMP_NODE;
  memory.copy(tmp, tgt, PN_SIZE);
  // Copy the path up: each parent's child array with the new child in place.
  let m = k;
  let root: u32 = 0;
  let ok = true;
  while (m > 0) {
    const parent = load<u32>(pathNode + ((m - 1) << 2));
    const c = load<u32>(pathIdx + ((m - 1) << 2));
    const vec = load<u64>(parent + PN_VEC);
    const nk = <u32>popcnt<u64>(vec);
    const arr = heapAlloc(t, nk * PN_SIZE, KIND_STRUCT);
    if (arr == 0) {
      ok = false;
      break;
    }
    memory.copy(arr, load<u32>(parent + PN_KIDS), nk * PN_SIZE);
    memory.copy(arr + (<u32>popcnt<u64>(vec & below(c)) - 1) * PN_SIZE, tmp, PN_SIZE);
    store<u32>(pathNew + ((m - 1) << 2), arr);
    store<u64>(tmp + PN_VEC, vec);
    store<u64>(tmp + PN_LEAFVEC, load<u64>(parent + PN_LEAFVEC));
    store<u32>(tmp + PN_LEAVES, load<u32>(parent + PN_LEAVES));
    store<u32>(tmp + PN_KIDS, arr);
    m--;
  }
  if (ok) {
    root = heapAlloc(t, PN_SIZE, KIND_STRUCT);
    ok = root != 0;
  }
  const oldTgt = load<u32>(pathNode + (k << 2));
  if (ok) {
    // Retire records: the old root, the k old child arrays on the path, what the target drops.
    ok = heapReserve(t, 1 + k + retireOld(t, oldTgt, tgt, a, cnt, true));
  }
  if (!ok) {
    for (let q = m; q < k; q++) {
      const parent = load<u32>(pathNode + (q << 2));
      heapFree(t, load<u32>(pathNew + (q << 2)), <u32>popcnt<u64>(load<u64>(parent + PN_VEC)) * PN_SIZE, KIND_STRUCT);
    }
    if (root != 0) heapFree(t, root, PN_SIZE, KIND_STRUCT);
    discardNew(t, tgt, oldTgt, a, cnt);
    return -12;
  }
  memory.copy(root, tmp, PN_SIZE);
  heapNextGen(t);
  store<u32>(slot, root >> 3);
  // Unlinked now: the target's dropped parts, then the path's arrays bottom up, then the old root.
  retireOld(t, oldTgt, tgt, a, cnt, false);
  for (let q = k; q > 0; q--) {
    const parent = load<u32>(pathNode + ((q - 1) << 2));
    heapRetire(t, load<u32>(parent + PN_KIDS), <u32>popcnt<u64>(load<u64>(parent + PN_VEC)) * PN_SIZE);
  }
  heapRetire(t, e << 3, PN_SIZE);
  return 0;
}

// ---- Batch mode ----

/** Mark the direct entries a change of `hi/lo / len` touches. */
function markDirty(t: u32, hi: u64, len: u32): void {
  const s = load<u32>(t + HDR_S);
  const bm = load<u32>(t + HDR_DIRTY);
  let j0: u32;
  let n: u32;
  if (len <= s) {
    j0 = len == 0 ? 0 : <u32>(hi >> <u64>(64 - s));
    n = <u32>1 << (s - len);
  } else {
    j0 = <u32>(hi >> <u64>(64 - s));
    n = 1;
  }
  for (let j = j0; j < j0 + n; j++) {
    const w = bm + ((j >> 6) << 3);
    const old = load<u64>(w);
    if (old == 0) store<u32>(t + HDR_DIRTY_LEFT, load<u32>(t + HDR_DIRTY_LEFT) + 1);
    store<u64>(w, old | (<u64>1 << <u64>(j & 63)));
  }
}

/** The structure's answer to a change of the rule trie at `hi/lo / len`. 0 or -12. */
function ptUpdate(t: u32, hi: u64, lo: u64, len: u32): i32 {
  if (load<u32>(t + HDR_DIRTY) != 0) {
    markDirty(t, hi, len);
    return 0;
  }
  const s = load<u32>(t + HDR_S);
  if (len <= s) {
    const j0 = len == 0 ? 0 : <u32>(hi >> <u64>(64 - s));
    return rebuildSlots(t, j0, <u32>1 << (s - len));
  }
  return pathUpdate(t, hi, lo, len);
}

/** Start a batch: changes update the rule trie and mark entries; lpm_commit rebuilds them. 0, -16, -12. */
export function ptBatchBegin(t: u32): i32 {
  if (load<u32>(t + HDR_DIRTY) != 0) return -16;
  const s = load<u32>(t + HDR_S);
  const bytes = (<u32>1 << s) >> 3;
  const bm = heapAlloc(t, bytes, KIND_STRUCT);
  if (bm == 0) return -12;
  memory.fill(bm, 0, bytes);
  store<u32>(t + HDR_DIRTY_LEFT, 0);
  store<u32>(t + HDR_DIRTY, bm);
  return 0;
}

/**
 * Rebuild up to `words` groups of 64 dirty entries. Returns the groups left (0: the batch is over and
 * every change published), or -12 (no memory: what is left stays dirty and the batch open).
 */
export function ptCommit(t: u32, words: u32): i32 {
  const bm = load<u32>(t + HDR_DIRTY);
  if (bm == 0) return 0;
  const s = load<u32>(t + HDR_S);
  const nw = (<u32>1 << s) >> 6;
  let budget = words;
  heapNextGen(t);
  for (let b: u32 = 0; b < nw && budget > 0; b++) {
    const w = bm + (b << 3);
    let bits = load<u64>(w);
    if (bits == 0) continue;
    const mask = blockChildren(t, b);
    while (bits != 0) {
      const i = <u32>ctz<u64>(bits);
      const slot = dirSlot(t, (b << 6) | i);
      const e = buildEntry(t, b, i, mask);
      if (e == 0) {
        store<u64>(w, bits);
        return -12;
      }
      const old = load<u32>(slot);
      if (!heapReserve(t, entryRetires(old, e))) {
        dropEntry(t, e);
        store<u64>(w, bits);
        return -12;
      }
      if (old != e) {
        store<u32>(slot, e);
        retireEntry(t, old);
      }
      bits &= bits - 1;
    }
    store<u64>(w, 0);
    store<u32>(t + HDR_DIRTY_LEFT, load<u32>(t + HDR_DIRTY_LEFT) - 1);
    budget--;
  }
  const left = load<u32>(t + HDR_DIRTY_LEFT);
  if (left == 0) {
    heapFree(t, bm, (<u32>1 << s) >> 3, KIND_STRUCT);
    store<u32>(t + HDR_DIRTY, 0);
  }
  return <i32>left;
}

// ---- The operations lpm4.ts and lpm6.ts export ----

/** A new direct table with every entry "no route", or 0. */
export function ptDirCreate(t: u32): bool {
  const s = load<u32>(t + HDR_S);
  const dir = heapAlloc(t, (<u32>1 << s) << 2, KIND_STRUCT);
  if (dir == 0) return false;
  for (let j: u32 = 0; j < (<u32>1 << s); j++) store<u32>(dir + (j << 2), LEAF_TAG);
  store<u32>(t + HDR_DIR, dir);
  return true;
}

/** Add or replace (the key already checked: a prefix, len ≤ W, value 1..VALUE_MAX). 0, -12. */
export function ptAdd(t: u32, hi: u64, lo: u64, len: u32, value: u32): i32 {
  const old = ribInsert(t, hi, lo, len, value);
  if (old < 0) return -12;
  if (<u32>old == value) return 0;
  if (ptUpdate(t, hi, lo, len) < 0) {
    // Put the rule trie back as it was.
    const n = ribFind(t, hi, lo, len);
    store<u32>(n + RN_VALUE, <u32>old);
    if (old == 0) {
      ribPrune(t, hi, lo, len);
      store<u32>(t + HDR_COUNT, load<u32>(t + HDR_COUNT) - 1);
    }
    return -12;
  }
  return 0;
}

/** Delete. 0, -2 (ENOENT), -12 (no memory for the rebuild; nothing changed). */
export function ptDel(t: u32, hi: u64, lo: u64, len: u32): i32 {
  const n = ribFind(t, hi, lo, len);
  if (n == 0) return -2;
  const old = load<u32>(n + RN_VALUE);
  store<u32>(n + RN_VALUE, 0);
  if (ptUpdate(t, hi, lo, len) < 0) {
    store<u32>(n + RN_VALUE, old);
    return -12;
  }
  ribPrune(t, hi, lo, len);
  store<u32>(t + HDR_COUNT, load<u32>(t + HDR_COUNT) - 1);
  return 0;
}

/** The value of exactly `hi/lo / len`, 0 when absent. */
export function ptGet(t: u32, hi: u64, lo: u64, len: u32): u32 {
  const n = ribFind(t, hi, lo, len);
  return n == 0 ? 0 : load<u32>(n + RN_VALUE);
}

/** Remove every prefix: the direct table goes back to "no route" (old subtrees retired), the rules freed. */
export function ptFlush(t: u32): i32 {
  const s = load<u32>(t + HDR_S);
  const n = <u32>1 << s;
  let need: u32 = 0;
  for (let j: u32 = 0; j < n; j++) need += entryRetires(load<u32>(dirSlot(t, j)), LEAF_TAG);
  if (!heapReserve(t, need)) return -12;
  heapNextGen(t);
  for (let j: u32 = 0; j < n; j++) {
    const slot = dirSlot(t, j);
    const old = load<u32>(slot);
    if (old == LEAF_TAG) continue;
    store<u32>(slot, LEAF_TAG);
    retireEntry(t, old);
  }
  freeRules(t, load<u32>(t + HDR_RIB));
  store<u32>(t + HDR_RIB, 0);
  store<u32>(t + HDR_COUNT, 0);
  const bm = load<u32>(t + HDR_DIRTY);
  if (bm != 0) {
    heapFree(t, bm, n >> 3, KIND_STRUCT);
    store<u32>(t + HDR_DIRTY, 0);
    store<u32>(t + HDR_DIRTY_LEFT, 0);
  }
  return 0;
}

function freeRules(t: u32, n: u32): void {
  if (n == 0) return;
  freeRules(t, load<u32>(n + RN_C0));
  freeRules(t, load<u32>(n + RN_C1));
  heapFree(t, n, load<u32>(t + HDR_RIB_NODE), KIND_RIB);
}

/** Whether `hi/lo` has no bit set past `len`. */
export function ptIsPrefix(hi: u64, lo: u64, len: u32): bool {
  return keyIsPrefix(hi, lo, len);
}
