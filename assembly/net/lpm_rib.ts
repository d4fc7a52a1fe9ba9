// The LPM tables' rule knowledge: every prefix with its value, in a path-compressed binary trie (as
// the kernel's BPF LPM trie and BSD's radix tree keep theirs). The lookup structure (poptrie.ts) holds
// only the winning value per address range; this trie is what it is built from, what a delete falls
// back on (the covering prefix comes back into view) and what answers exact-match queries.
// Control plane only.
//
// Keys are 128 bits as two u64 (hi, lo), most significant bit first; IPv4 keys sit in the top 32 bits
// of hi (lo and the rest of hi are 0). Bits past a node's length are 0.
//
//   node +0 u32 child 0 | +4 u32 child 1 | +8 u32 value (0: a branch node, no prefix of its own) |
//        +12 u32 prefix length | +16 u64 key hi | +24 u64 key lo (IPv6 tables only: 32-byte nodes,
//        IPv4 nodes end at 24)
//
// A branch node always has two children, so n prefixes take at most 2n - 1 nodes. During an update a
// deleted prefix keeps its node with value 0 until the structure is rebuilt without it (ribPrune then
// removes it); ribContent tells such a node from a real one.

import { heapAlloc, heapFree, HDR_COUNT, HDR_COVER, HDR_RIB, HDR_RIB_NODE, KIND_RIB } from './lpm_heap';

export const RN_C0: u32 = 0;
export const RN_C1: u32 = 4;
export const RN_VALUE: u32 = 8;
export const RN_LEN: u32 = 12;
export const RN_HI: u32 = 16;
export const RN_LO: u32 = 24;
export const RIB_NODE4: u32 = 24;
export const RIB_NODE6: u32 = 32;

@inline export function nHi(n: u32): u64 {
  return load<u64>(n + RN_HI);
}
@inline export function nLo(t: u32, n: u32): u64 {
  return load<u32>(t + HDR_RIB_NODE) == RIB_NODE6 ? load<u64>(n + RN_LO) : 0;
}
@inline export function nLen(n: u32): u32 {
  return load<u32>(n + RN_LEN);
}

/** Bit `i` (0 = most significant) of the key (hi, lo). */
@inline export function keyBit(hi: u64, lo: u64, i: u32): u32 {
  return i < 64 ? <u32>((hi >> (63 - <u64>i)) & 1) : <u32>((lo >> (127 - <u64>i)) & 1);
}

/** Leading bits two keys share (128 when equal). */
@inline function commonBits(ahi: u64, alo: u64, bhi: u64, blo: u64): u32 {
  const x = ahi ^ bhi;
  if (x != 0) return <u32>clz<u64>(x);
  return 64 + <u32>clz<u64>(alo ^ blo);
}

/** The key masked to its first `len` bits. */
@inline export function maskHi(hi: u64, len: u32): u64 {
  return len >= 64 ? hi : len == 0 ? 0 : hi & ~(<u64>-1 >> <u64>len);
}
@inline export function maskLo(lo: u64, len: u32): u64 {
  return len >= 128 ? lo : len <= 64 ? 0 : lo & ~(<u64>-1 >> <u64>(len - 64));
}

/** True when the key has no bit set past `len` (what a prefix must look like). */
export function keyIsPrefix(hi: u64, lo: u64, len: u32): bool {
  return maskHi(hi, len) == hi && maskLo(lo, len) == lo;
}

function newNode(t: u32, hi: u64, lo: u64, len: u32, value: u32): u32 {
  const size = load<u32>(t + HDR_RIB_NODE);
  const n = heapAlloc(t, size, KIND_RIB);
  if (n == 0) return 0;
  store<u32>(n + RN_C0, 0);
  store<u32>(n + RN_C1, 0);
  store<u32>(n + RN_VALUE, value);
  store<u32>(n + RN_LEN, len);
  store<u64>(n + RN_HI, hi);
  if (size == RIB_NODE6) store<u64>(n + RN_LO, lo);
  return n;
}

/**
 * Insert or replace `hi/lo / len` → value (nonzero; the key already masked). Returns the old value
 * (0: the prefix is new), or -12 (ENOMEM: nothing changed).
 */
export function ribInsert(t: u32, hi: u64, lo: u64, len: u32, value: u32): i64 {
  let slot = t + HDR_RIB;
  while (true) {
    const n = load<u32>(slot);
    if (n == 0) {
      const m = newNode(t, hi, lo, len, value);
      if (m == 0) return -12;
      store<u32>(slot, m);
      store<u32>(t + HDR_COUNT, load<u32>(t + HDR_COUNT) + 1);
      return 0;
    }
    const nl = nLen(n);
    const nhi = nHi(n);
    const nlo = nLo(t, n);
    let cb = commonBits(hi, lo, nhi, nlo);
    if (cb > nl) cb = nl;
    if (cb > len) cb = len;
    if (cb == nl && nl == len) {
      const old = load<u32>(n + RN_VALUE);
      store<u32>(n + RN_VALUE, value);
      if (old == 0) store<u32>(t + HDR_COUNT, load<u32>(t + HDR_COUNT) + 1);
      return <i64>old;
    }
    if (cb == nl) {
      slot = n + (keyBit(hi, lo, nl) << 2);
      continue;
    }
    if (cb == len) {
      // The new prefix contains n: it goes above n.
      const m = newNode(t, hi, lo, len, value);
      if (m == 0) return -12;
      store<u32>(m + (keyBit(nhi, nlo, len) << 2), n);
      store<u32>(slot, m);
    } else {
      // They part at bit cb: a branch node with both below it.
      const b = newNode(t, maskHi(hi, cb), maskLo(lo, cb), cb, 0);
      if (b == 0) return -12;
      const m = newNode(t, hi, lo, len, value);
      if (m == 0) {
        heapFree(t, b, load<u32>(t + HDR_RIB_NODE), KIND_RIB);
        return -12;
      }
      const side = keyBit(hi, lo, cb);
      store<u32>(b + (side << 2), m);
      store<u32>(b + ((side ^ 1) << 2), n);
      store<u32>(slot, b);
    }
    store<u32>(t + HDR_COUNT, load<u32>(t + HDR_COUNT) + 1);
    return 0;
  }
}

/** The node holding exactly `hi/lo / len` with a value, or 0. */
export function ribFind(t: u32, hi: u64, lo: u64, len: u32): u32 {
  let n = load<u32>(t + HDR_RIB);
  while (n != 0) {
    const nl = nLen(n);
    if (nl > len) return 0;
    if (commonBits(hi, lo, nHi(n), nLo(t, n)) < nl) return 0;
    if (nl == len) return load<u32>(n + RN_VALUE) != 0 ? n : 0;
    n = load<u32>(n + (keyBit(hi, lo, nl) << 2));
  }
  return 0;
}

/**
 * Remove the node of `hi/lo / len` if it holds no value any more (its value was cleared for the
 * rebuild), and the branch node above it if that is left with one child.
 */
export function ribPrune(t: u32, hi: u64, lo: u64, len: u32): void {
  const size = load<u32>(t + HDR_RIB_NODE);
  let parentSlot: u32 = 0;
  let slot = t + HDR_RIB;
  while (true) {
    const n = load<u32>(slot);
    if (n == 0) return;
    const nl = nLen(n);
    if (nl > len || commonBits(hi, lo, nHi(n), nLo(t, n)) < nl) return;
    if (nl < len) {
      parentSlot = slot;
      slot = n + (keyBit(hi, lo, nl) << 2);
      continue;
    }
    if (load<u32>(n + RN_VALUE) != 0) return;
    const c0 = load<u32>(n + RN_C0);
    const c1 = load<u32>(n + RN_C1);
    if (c0 != 0 && c1 != 0) return; // stays as a branch node
    store<u32>(slot, c0 | c1);
    heapFree(t, n, size, KIND_RIB);
    if (c0 == 0 && c1 == 0 && parentSlot != 0) {
      // The parent may now be a branch node with one child: splice it out too.
      const p = load<u32>(parentSlot);
      if (load<u32>(p + RN_VALUE) == 0) {
        store<u32>(parentSlot, load<u32>(p + RN_C0) | load<u32>(p + RN_C1));
        heapFree(t, p, size, KIND_RIB);
      }
    }
    return;
  }
}

/** Whether node `n` (nonzero) holds or leads to a prefix (false only for a cleared childless node). */
@inline export function ribContent(n: u32): bool {
  if (load<u32>(n + RN_VALUE) != 0) return true;
  const c0 = load<u32>(n + RN_C0);
  const c1 = load<u32>(n + RN_C1);
  return (c0 != 0 && shallow(c0)) || (c1 != 0 && shallow(c1));
}
@inline function shallow(n: u32): bool {
  return load<u32>(n + RN_VALUE) != 0 || load<u32>(n + RN_C0) != 0 || load<u32>(n + RN_C1) != 0;
}

/**
 * For the region `hi/lo / off` (bits past `off` are 0): the value of the longest prefix of length ≤ off
 * covering it goes to HDR_COVER (0: none); returns the topmost node of length ≥ off inside the region
 * (the subtrie holding every longer prefix there), or 0.
 */
export function ribRegion(t: u32, hi: u64, lo: u64, off: u32): u32 {
  let cover: u32 = 0;
  let inside: u32 = 0;
  let n = load<u32>(t + HDR_RIB);
  while (n != 0) {
    const nl = nLen(n);
    const cb = commonBits(hi, lo, nHi(n), nLo(t, n));
    if (nl >= off) {
      if (cb >= off) {
        inside = n;
        const v = load<u32>(n + RN_VALUE);
        if (nl == off && v != 0) cover = v;
      }
      break;
    }
    if (cb < nl) break;
    const v = load<u32>(n + RN_VALUE);
    if (v != 0) cover = v;
    n = load<u32>(n + (keyBit(hi, lo, nl) << 2));
  }
  store<u32>(t + HDR_COVER, cover);
  return inside;
}
