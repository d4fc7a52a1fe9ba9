// The LPM lookup structure both families share: a Poptrie (Asai & Ohara, "Poptrie: A Compressed Trie
// with Population Count for Fast and Scalable Software IP Routing Table Lookup", SIGCOMM 2015) built
// from the rule trie (lpm_rib.ts) and updated in place for concurrent readers. lpm4.ts and lpm6.ts
// hold the lookups (a few lines each) and the exports; this file is the control plane's side.
// Chosen by measurement over DIR-24-8 (bench/fib.ts, README): see lpm4.ts.
//
// Direct table: 2^S u32 entries indexed by the key's first S bits, published as one u32 word (the
// header's HDR_DIR): the table's address (64-aligned) with S in its low 6 bits, so a reader gets the
// table and its S in one load and a change of S (ptGrow) is one store like any other. An entry is
//   1vvvvvvv vvvvvvvv vvvvvvvv vvvvvvvv  a leaf: the value (up to 0x7fffffff; 0 = no route), or
//   0aaaaaaa aaaaaaaa aaaaaaaa aaaaaaaa  the address / 8 of the root node's block.
// A leaf value with the top bit set (values are any nonzero u32) gets a one-run node block instead.
// Node block (covers 6 more key bits: 64 children, each an internal node or a leaf):
//   +0  u64 vector   bit i: child i is an internal node
//   +8  u64 leafvec  bit i: child i is a leaf that starts a run of equal leaves (leaf compression)
//   +16 u32 leaves[popcnt(leafvec)]  one value per run
//       u32 kids[popcnt(vector)]     the internal children's block addresses, in child order
// Child i: leaf → leaves[popcnt(leafvec & (2 << i) - 1) - 1]; internal → kids[popcnt(leafvec) +
// popcnt(vector & (2 << i) - 1) - 1]. Unlike the paper's separate node and leaf arrays, a node keeps
// its leaves and child pointers in one block (16 + 4 bytes per child entry), so the common lookup reads
// the direct entry and one block (measured against the paper's layout: README, FIB bench). Leaves come
// first, and the heap places a block of up to 64 bytes inside one cache line and a larger one at a
// line's start (lpm_heap.ts lineFit): every lookup ends on a leaf, and with the leaves next to the
// vectors it is in their line in most nodes (on the bench's 1M tables, a lookup's slot was outside
// the vectors' line 0.3-0.5 times per lookup before, ~0.1 after: one dependent memory access less). Keys shorter
// than a node's last bit read zeros past their end (IPv4 at bit 30 reads 2 real bits, IPv6 at bit 124
// reads 4).
//
// Updates never write a block a reader can reach. A change to prefix p/len:
//   len ≤ S   every direct entry under p gets a new root (or leaf), built aside, then stored one by one
//             (each entry is one aligned u32 store; a reader sees an entry old or new, never between);
//   len > S   the node whose 6 bits hold p's last bit is rebuilt with the children p covers built
//             afresh and the others taken over (their subtrees shared), and the blocks above it are
//             copied up to a new root; one store of the direct entry publishes it (a path copy, as
//             the paper's incremental update and RCU trees do).
// Blocks unlinked by an update are retired (lpm_heap.ts) and reused after lpm_reclaim. A failed
// allocation frees what the update built and leaves the published structure as it was. Batch mode
// (lpm_batch_begin .. lpm_commit) only marks direct entries dirty and rebuilds each once: a bulk load.
//
// S grows with the table (ptGrow): an IPv4 table starts at S = 18 (1 MiB) and a batch that leaves it
// with GROW4_AT prefixes or more is published with S = 24 instead, the whole structure built afresh
// beside the old one and published by the one store of HDR_DIR (the old direct table and its blocks
// retired as any update's). With S = 24 a /24 or shorter prefix is a direct leaf: on DPDK's and a BGP
// table's 1M prefixes 99.7 % of lookups read the direct entry alone (S = 18: 29 % / 0.1 %, the others
// one node more), in 64 MiB + the nodes of the /24s holding longer prefixes (~67 MiB against ~12).
// Measured (bench/fib.ts tables, same process, load 9-20): 1.3-1.5× the lookups/s of S = 18 on dpdk-1M and
// bgp-1M; the direct table alone costs a TLB miss per lookup (no huge pages for wasm memory), which is
// why small tables keep S = 18. S never shrinks (the memory stays the table's, as freed blocks do).
// The XDP router (`wxdp bench forward`, 1M BGP-shaped prefixes, destinations uniform over half the
// address space) measured the same way on 12-04 (interleaved, load 8-10): S = 24 52-58 ns a frame,
// S = 22 64-72, S = 20 66-74, S = 18 64-72 — the node blocks a smaller S adds miss as the direct
// entries do, and are a dependent load more. Nor does a smaller S pay on a small table: S = 16
// (256 KiB) on the same router's 10k prefixes measured +1.3 ns a frame against S = 18 (12-05, 14
// interleaved rounds, each the 10th percentile of 300 short windows; two copies of one build differ by
// up to 0.6): more frames walk a block, and the walk's misses were not the direct table's size.
// A narrower entry (u16, or u8 through a dictionary) for S = 24 would touch less of the table, but on
// the 1M router even a quarter of the footprint measured only 1.2 ns a frame faster, half of it 0.7
// (12-08, spr58: the bench's destinations over a half / quarter of their span; fib_prefetch.ts).

import {
  heapAlloc, heapFree, heapNextGen, heapReserve, heapRetire, HDR_COUNT, HDR_COVER, HDR_DIR, HDR_DIRTY,
  HDR_DIRTY_LEFT, HDR_W, HDR_PATH_IDX, HDR_PATH_NEW, HDR_PATH_NODE, HDR_RIB, HDR_RIB_NODE, HDR_S, HDR_TMP_SLOT, KIND_RIB,
  KIND_STRUCT, LEVEL_SUBS, levelVals,
} from './lpm_heap';
import {
  keyIsPrefix, maskHi, maskLo, nHi, nLen, nLo, ribContent, ribFind, ribInsert, ribPrune, ribRegion, RN_C0, RN_C1,
  RN_VALUE,
} from './lpm_rib';

/** HDR_DIR's low bits: the direct table's S (the table itself is 64-aligned, lpm_heap.ts large blocks). */
export const DIR_S_MASK: u32 = 63;
/** The direct table of HDR_DIR's word `w`. */
@inline export function dirTable(w: u32): u32 {
  return w & ~DIR_S_MASK;
}
/** The S of HDR_DIR's word `w`. */
@inline export function dirBits(w: u32): u32 {
  return w & DIR_S_MASK;
}
/** IPv4 tables: the prefix count at which a batch's commit grows S (ptGrow), and the S it grows to. */
const GROW4_AT: u32 = 1 << 18;
const S4_BIG: u32 = 24;

export const PN_VEC: u32 = 0;
export const PN_LEAFVEC: u32 = 8;
export const PN_SLOTS: u32 = 16;
export const LEAF_TAG: u32 = 0x80000000;
/** The largest value a direct entry holds as a leaf. */
export const DIRECT_LEAF_MAX: u32 = 0x7fffffff;

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

/** Bytes of node block `n`. */
@inline function blockSize(n: u32): u32 {
  return PN_SLOTS + ((<u32>popcnt<u64>(load<u64>(n + PN_VEC)) + <u32>popcnt<u64>(load<u64>(n + PN_LEAFVEC))) << 2);
}

/** Where node `n`'s child pointers start (after its leaves). */
@inline export function kidsOf(n: u32): u32 {
  return n + PN_SLOTS + (<u32>popcnt<u64>(load<u64>(n + PN_LEAFVEC)) << 2);
}

/** The slot holding internal child `i` of node `n` (its block address). */
@inline export function kidSlot(n: u32, i: u32): u32 {
  return kidsOf(n) + ((<u32>popcnt<u64>(load<u64>(n + PN_VEC) & below(i)) - 1) << 2);
}

// ---- One node's 64 children, computed from the rule trie ----

let cT: u32 = 0;
let cOff: u32 = 0;
let cVals: u32 = 0;
let cMask: u64 = 0;
let cInner: bool = false;

/**
 * The children of region `off` bits long whose rule subtrie is `r`: level `lvl`'s scratch gets each
 * child's leaf value (the longest prefix of length ≤ off + 6 covering it, `cover` when none) and, for
 * internal children, the rule subtrie to build them from. Returns the internal-children mask; cInner
 * says whether the region holds any prefix longer than `off` (if not, no node is needed for it).
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

/** Whether child `i` of a rebuilt node keeps the old node's child (outside the changed range). */
@inline function copied(i: u32, newMask: u64, old: u32, a: u32, cnt: u32): bool {
  return old != 0 && ((newMask >> <u64>i) & 1) != 0 && ((load<u64>(old + PN_VEC) >> <u64>i) & 1) != 0 &&
    (i < a || i >= a + cnt);
}

/**
 * A node block for region `hi/lo / off` whose children are in level `lvl`'s scratch (mask `mask`):
 * leaves run-compressed, and child nodes built from the rule trie, except those `copied` from `old`
 * (their subtrees shared). 0 when the memory is full, with everything it allocated freed.
 */
function fillNode(t: u32, lvl: u32, hi: u64, lo: u64, off: u32, mask: u64, old: u32, a: u32, cnt: u32): u32 {
  const vals = levelVals(t, lvl);
  let leafvec: u64 = 0;
  let nl: u32 = 0;
  let prev: u32 = 0;
  for (let i: u32 = 0; i < 64; i++) {
    if ((mask >> <u64>i) & 1) continue;
    const v = load<u32>(vals + (i << 2));
    if (nl == 0 || v != prev) {
      leafvec |= <u64>1 << <u64>i;
      nl++;
      prev = v;
    }
  }
  const nk = <u32>popcnt<u64>(mask);
  const size = PN_SLOTS + ((nk + nl) << 2);
  const b = heapAlloc(t, size, KIND_STRUCT);
  if (b == 0) return 0;
  store<u64>(b + PN_VEC, mask);
  store<u64>(b + PN_LEAFVEC, leafvec);
  let l = b + PN_SLOTS;
  for (let i: u32 = 0; i < 64; i++) {
    if ((leafvec >> <u64>i) & 1) {
      store<u32>(l, load<u32>(vals + (i << 2)));
      l += 4;
    }
  }
  let p = l;
  for (let i: u32 = 0; i < 64; i++) {
    if (((mask >> <u64>i) & 1) == 0) continue;
    let kid: u32;
    if (copied(i, mask, old, a, cnt)) {
      kid = load<u32>(kidSlot(old, i));
    } else {
      kid = buildNode(t, lvl + 1, withHi(hi, off, i), withLo(lo, off, i), off + 6,
        load<u32>(vals + (i << 2)), load<u32>(vals + LEVEL_SUBS + (i << 2)));
      if (kid == 0) {
        // Undo: the children built so far (not the copied ones), then the block.
        let q = b + PN_SLOTS + (nl << 2);
        for (let k: u32 = 0; k < i; k++) {
          if (((mask >> <u64>k) & 1) == 0) continue;
          if (!copied(k, mask, old, a, cnt)) freeTree(t, load<u32>(q));
          q += 4;
        }
        heapFree(t, b, size, KIND_STRUCT);
        return 0;
      }
    }
    store<u32>(p, kid);
    p += 4;
  }
  return b;
}

/** The whole subtree of region `hi/lo / off` (cover and rule subtrie given): its node block, or 0. */
function buildNode(t: u32, lvl: u32, hi: u64, lo: u64, off: u32, cover: u32, r: u32): u32 {
  const mask = computeChildren(t, lvl, off, cover, r);
  return fillNode(t, lvl, hi, lo, off, mask, 0, 0, 0);
}

/** Free a subtree no reader has seen. */
function freeTree(t: u32, n: u32): void {
  const vec = load<u64>(n + PN_VEC);
  const nk = <u32>popcnt<u64>(vec);
  const kids = kidsOf(n);
  for (let p: u32 = 0; p < nk; p++) freeTree(t, load<u32>(kids + (p << 2)));
  heapFree(t, n, blockSize(n), KIND_STRUCT);
}

/** Blocks retireTree(n) will retire. */
function countTree(n: u32): u32 {
  const nk = <u32>popcnt<u64>(load<u64>(n + PN_VEC));
  const kids = kidsOf(n);
  let c: u32 = 1;
  for (let p: u32 = 0; p < nk; p++) c += countTree(load<u32>(kids + (p << 2)));
  return c;
}

/** Retire a published subtree (unlinked already); its blocks stay intact until reclaimed. */
function retireTree(t: u32, n: u32): void {
  const nk = <u32>popcnt<u64>(load<u64>(n + PN_VEC));
  const kids = kidsOf(n);
  for (let p: u32 = 0; p < nk; p++) retireTree(t, load<u32>(kids + (p << 2)));
  heapRetire(t, n, blockSize(n));
}

// ---- Direct entries ----

@inline function dirSlot(t: u32, j: u32): u32 {
  return dirTable(load<u32>(t + HDR_DIR)) + (j << 2);
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
  if (((mask >> <u64>i) & 1) == 0) {
    const v = load<u32>(vals + (i << 2));
    if (v <= DIRECT_LEAF_MAX) return LEAF_TAG | v;
    // Too large for a leaf entry: a node whose 64 children are all that leaf.
    const n = heapAlloc(t, PN_SLOTS + 4, KIND_STRUCT);
    if (n == 0) return 0;
    store<u64>(n + PN_VEC, 0);
    store<u64>(n + PN_LEAFVEC, 1);
    store<u32>(n + PN_SLOTS, v);
    return n >> 3;
  }
  const s = load<u32>(t + HDR_S);
  const hi = (<u64>((b << 6) | i)) << <u64>(64 - s);
  const root = buildNode(t, 1, hi, 0, s, load<u32>(vals + (i << 2)), load<u32>(vals + LEVEL_SUBS + (i << 2)));
  return root >> 3;
}

function dropEntry(t: u32, e: u32): void {
  if ((e & LEAF_TAG) == 0) freeTree(t, e << 3);
}

/** Retire records replacing entry `old` by `e` needs. */
@inline function entryRetires(old: u32, e: u32): u32 {
  return old == e || (old & LEAF_TAG) != 0 ? 0 : countTree(old << 3);
}

function retireEntry(t: u32, old: u32): void {
  if ((old & LEAF_TAG) == 0) retireTree(t, old << 3);
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

/** Free the new parts of the rebuilt block `nw` (not what it took over from `old`). */
function discardNew(t: u32, nw: u32, old: u32, a: u32, cnt: u32): void {
  const mask = load<u64>(nw + PN_VEC);
  let p = kidsOf(nw);
  for (let i: u32 = 0; i < 64; i++) {
    if (((mask >> <u64>i) & 1) == 0) continue;
    if (!copied(i, mask, old, a, cnt)) freeTree(t, load<u32>(p));
    p += 4;
  }
  heapFree(t, nw, blockSize(nw), KIND_STRUCT);
}

/** Retire what the rebuilt `nw` no longer uses of `old` (with `count`, only count the blocks). */
function retireOld(t: u32, old: u32, nw: u32, a: u32, cnt: u32, count: bool): u32 {
  const mask = load<u64>(nw + PN_VEC);
  const vec = load<u64>(old + PN_VEC);
  let c: u32 = 1;
  let p = kidsOf(old);
  for (let i: u32 = 0; i < 64; i++) {
    if (((vec >> <u64>i) & 1) == 0) continue;
    // Old child i lives on in the new node only if the new node took it over.
    const kept = ((mask >> <u64>i) & 1) != 0 && (i < a || i >= a + cnt);
    if (!kept) {
      if (count) c += countTree(load<u32>(p));
      else retireTree(t, load<u32>(p));
    }
    p += 4;
  }
  if (!count) heapRetire(t, old, blockSize(old));
  return c;
}

/**
 * Rebuild node path[k] (region of `hi/lo`'s first `off` bits) with children [a, a + cnt) afresh:
 * its new block; 1: the region holds no longer prefix any more, so no node (nothing allocated);
 * 0: no memory (nothing kept).
 */
function rebuildNode(t: u32, k: u32, hi: u64, lo: u64, off: u32, a: u32, cnt: u32): u32 {
  const rhi = maskHi(hi, off);
  const rlo = maskLo(lo, off);
  const r = ribRegion(t, rhi, rlo, off);
  const mask = computeChildren(t, k + 1, off, load<u32>(t + HDR_COVER), r);
  if (!cInner) return 1;
  return fillNode(t, k + 1, rhi, rlo, off, mask, load<u32>(t + HDR_PATH_NODE + (k << 2)), a, cnt);
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
      node = load<u32>(kidSlot(node, c));
      off += 6;
      k++;
      continue;
    }
    a = c;
    break;
  }
  // The target: path[k]. If the change leaves its region without a longer prefix, its parent's child
  // becomes a leaf instead, and so on up to the direct entry.
  let nw: u32;
  while (true) {
    nw = rebuildNode(t, k, hi, lo, s + 6 * k, a, cnt);
    if (nw == 0) return -12;
    if (nw != 1) break;
    if (k == 0) return rebuildSlots(t, j, 1);
    k--;
    a = load<u32>(pathIdx + (k << 2));
    cnt = 1;
  }
  // Copy the path up: each ancestor's block with the new child in place.
  let m = k;
  let child = nw;
  let ok = true;
  while (m > 0) {
    const parent = load<u32>(pathNode + ((m - 1) << 2));
    const size = blockSize(parent);
    const copy = heapAlloc(t, size, KIND_STRUCT);
    if (copy == 0) {
      ok = false;
      break;
    }
    memory.copy(copy, parent, size);
    store<u32>(kidSlot(copy, load<u32>(pathIdx + ((m - 1) << 2))), child);
    store<u32>(pathNew + ((m - 1) << 2), copy);
    child = copy;
    m--;
  }
  const oldTgt = load<u32>(pathNode + (k << 2));
  // Retire records: the k ancestors, what the target drops.
  if (ok) ok = heapReserve(t, k + retireOld(t, oldTgt, nw, a, cnt, true));
  if (!ok) {
    for (let q = m; q < k; q++) {
      const b = load<u32>(pathNew + (q << 2));
      heapFree(t, b, blockSize(b), KIND_STRUCT);
    }
    discardNew(t, nw, oldTgt, a, cnt);
    return -12;
  }
  heapNextGen(t);
  store<u32>(slot, child >> 3);
  // Unlinked now: the target's dropped parts and the ancestors' old blocks.
  retireOld(t, oldTgt, nw, a, cnt, false);
  for (let q: u32 = 0; q < k; q++) {
    const b = load<u32>(pathNode + (q << 2));
    heapRetire(t, b, blockSize(b));
  }
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
  if (words > 0 && load<u32>(t + HDR_W) == 32 && s < S4_BIG && load<u32>(t + HDR_COUNT) >= GROW4_AT && ptGrow(t, S4_BIG)) {
    // everything is published, at the new S: the batch is over
    heapFree(t, bm, (<u32>1 << s) >> 3, KIND_STRUCT);
    store<u32>(t + HDR_DIRTY, 0);
    store<u32>(t + HDR_DIRTY_LEFT, 0);
    return 0;
  }
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

// ---- Growing S ----

/**
 * Rebuild the whole structure from the rule trie with a direct table of 2^`s` entries, beside the
 * published one, then publish it with one store of HDR_DIR and retire the old direct table and every
 * block it reached. False (nothing published, everything built freed, S as it was) when the memory is
 * full: the caller goes on at the old S.
 */
function ptGrow(t: u32, s: u32): bool {
  const olds = load<u32>(t + HDR_S);
  const n = <u32>1 << s;
  const dir = heapAlloc(t, n << 2, KIND_STRUCT);
  if (dir == 0) return false;
  store<u32>(t + HDR_S, s); // what blockChildren and buildEntry build for
  let ok = true;
  let done: u32 = 0;
  for (let b: u32 = 0; ok && b < (n >> 6); b++) {
    const mask = blockChildren(t, b);
    for (let i: u32 = 0; i < 64; i++) {
      const e = buildEntry(t, b, i, mask);
      if (e == 0) {
        ok = false;
        break;
      }
      store<u32>(dir + (done << 2), e);
      done++;
    }
  }
  const oldDir = dirTable(load<u32>(t + HDR_DIR));
  const oldN = <u32>1 << olds;
  let need: u32 = 1;
  if (ok) for (let j: u32 = 0; j < oldN; j++) need += entryRetires(load<u32>(oldDir + (j << 2)), LEAF_TAG);
  if (!ok || !heapReserve(t, need)) {
    for (let j: u32 = 0; j < done; j++) dropEntry(t, load<u32>(dir + (j << 2)));
    heapFree(t, dir, n << 2, KIND_STRUCT);
    store<u32>(t + HDR_S, olds);
    return false;
  }
  heapNextGen(t);
  store<u32>(t + HDR_DIR, dir | s);
  for (let j: u32 = 0; j < oldN; j++) retireEntry(t, load<u32>(oldDir + (j << 2)));
  heapRetire(t, oldDir, oldN << 2);
  return true;
}

// ---- The operations lpm4.ts and lpm6.ts export ----

/** A new direct table with every entry "no route", or 0. */
export function ptDirCreate(t: u32): bool {
  const s = load<u32>(t + HDR_S);
  const dir = heapAlloc(t, (<u32>1 << s) << 2, KIND_STRUCT);
  if (dir == 0) return false;
  for (let j: u32 = 0; j < (<u32>1 << s); j++) store<u32>(dir + (j << 2), LEAF_TAG);
  store<u32>(t + HDR_DIR, dir | s);
  return true;
}

/** Add or replace (the key already checked: a prefix, len ≤ W, value nonzero). 0, -12. */
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
