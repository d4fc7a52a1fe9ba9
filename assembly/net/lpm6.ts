// IPv6 longest-prefix match: prefix → a nonzero value (the FIB's leaf id). Addresses are 16 bytes in
// network order at a memory address.
//
// Reads: the table's direct entry (the first 16 bits) and one node per 6 further bits down to the
// longest prefix there (a /48 in a full table: the direct entry, 6 nodes, a leaf). Sets: nothing on
// lookup; lpm6_add / lpm6_del rebuild aside and publish with one u32 store, as lpm4.ts.
//
// Structure: the same Poptrie as IPv4 (poptrie.ts) over 128-bit keys, with a 16-bit direct table
// (256 KiB): Internet tables sit in a few /16s (2001::/16, 2a00::/12 ...), so a wider one would be
// empty; 6-bit nodes keep a realistic 200k-prefix table near 10 MiB (bench/fib.ts measures it).
// Values are any nonzero u32.

import { heapCreate, HDR_DIR, HDR_MAGIC, MAGIC6 } from './lpm_heap';
import { RIB_NODE6 } from './lpm_rib';
import { dirTable, PN_LEAFVEC, PN_SLOTS, ptAdd, ptDel, ptDirCreate, ptGet, ptIsPrefix, DIRECT_LEAF_MAX } from './poptrie';

const S6: u32 = 16;
const LEVELS6: u32 = 20; // the direct table's blocks, then nodes at bits 16, 22, ..., 124

export function lpm6_create(): u32 {
  const t = heapCreate(MAGIC6, 128, S6, RIB_NODE6, LEVELS6);
  if (t == 0 || !ptDirCreate(t)) return 0;
  return t;
}

@inline function isTable6(t: u32): bool {
  return t != 0 && load<u32>(t + HDR_MAGIC) == MAGIC6;
}

@inline function keyHi(addr: u32): u64 {
  return bswap<u64>(load<u64>(addr));
}
@inline function keyLo(addr: u32): u64 {
  return bswap<u64>(load<u64>(addr, 8));
}

/**
 * Add or replace the 16 bytes at `addr` / `len` → `value`. 0; -22 (EINVAL: not a table, len > 128,
 * bits set past len, value 0); -12 (ENOMEM: the table is as it was).
 */
export function lpm6_add(t: u32, addr: u32, len: u32, value: u32): i32 {
  if (!isTable6(t) || len > 128 || value == 0) return -22;
  const hi = keyHi(addr);
  const lo = keyLo(addr);
  if (!ptIsPrefix(hi, lo, len)) return -22;
  return ptAdd(t, hi, lo, len, value);
}

/** Remove `addr/len`: addresses it covered fall back to the next shorter prefix. 0, -2 (ENOENT), -22, -12. */
export function lpm6_del(t: u32, addr: u32, len: u32): i32 {
  if (!isTable6(t) || len > 128) return -22;
  const hi = keyHi(addr);
  const lo = keyLo(addr);
  if (!ptIsPrefix(hi, lo, len)) return -22;
  return ptDel(t, hi, lo, len);
}

/** The value of exactly `addr/len` (not a longest match), 0 when it is not in the table. */
export function lpm6_get(t: u32, addr: u32, len: u32): u32 {
  if (!isTable6(t) || len > 128) return 0;
  return ptGet(t, keyHi(addr), keyLo(addr), len);
}

/** The value of the longest prefix covering the 16 bytes at `addr`, 0 when none. Inline form. */
@inline export function lpm6Lookup(t: u32, addr: u32): u32 {
  const hi = keyHi(addr);
  const lo = keyLo(addr);
  const e = load<u32>(dirTable(load<u32>(t + HDR_DIR)) + (<u32>(hi >> (64 - S6)) << 2));
  if (<i32>e < 0) return e & DIRECT_LEAF_MAX;
  return lpm6Walk(e << 3, (hi << S6) | (lo >> (64 - S6)), lo << S6);
}

/** From node block `n` with the key's remaining bits (hi, lo; left-aligned) down to the leaf. */
@inline function lpm6Walk(n0: u32, hi0: u64, lo0: u64): u32 {
  let n = n0;
  let hi = hi0;
  let lo = lo0;
  while (true) {
    const v = hi >> 58;
    const vec = load<u64>(n);
    const below = (<u64>2 << v) - 1;
    const leafvec = load<u64>(n, PN_LEAFVEC);
    // leaves first, then the child pointers (poptrie.ts); the slot's index counts from 1
    if ((vec >> v) & 1) {
      n = load<u32>(n + ((<u32>popcnt<u64>(leafvec) + <u32>popcnt<u64>(vec & below)) << 2), PN_SLOTS - 4);
      hi = (hi << 6) | (lo >> 58);
      lo <<= 6;
      continue;
    }
    return load<u32>(n + (<u32>popcnt<u64>(leafvec & below) << 2), PN_SLOTS - 4);
  }
}

/**
 * The bits of the key the last lpm6LookupDepth read: every address that shares its first lpm6Depth
 * bits with that key walks the same direct entry and nodes to the same leaf, so gets the same value
 * (the walk reads 16 bits, then 6 a node; at most 128). Per instance.
 */
export let lpm6Depth: u32 = 0;

/** lpm6Lookup, and in lpm6Depth how many of the key's leading bits decided the answer. */
export function lpm6LookupDepth(t: u32, addr: u32): u32 {
  let hi = keyHi(addr);
  let lo = keyLo(addr);
  const e = load<u32>(dirTable(load<u32>(t + HDR_DIR)) + (<u32>(hi >> (64 - S6)) << 2));
  if (<i32>e < 0) {
    lpm6Depth = S6;
    return e & DIRECT_LEAF_MAX;
  }
  let n = e << 3;
  hi = (hi << S6) | (lo >> (64 - S6));
  lo <<= S6;
  let d = S6;
  while (true) {
    const v = hi >> 58;
    const vec = load<u64>(n);
    const below = (<u64>2 << v) - 1;
    const leafvec = load<u64>(n, PN_LEAFVEC);
    d += 6;
    if ((vec >> v) & 1) {
      n = load<u32>(n + ((<u32>popcnt<u64>(leafvec) + <u32>popcnt<u64>(vec & below)) << 2), PN_SLOTS - 4);
      hi = (hi << 6) | (lo >> 58);
      lo <<= 6;
      continue;
    }
    lpm6Depth = d < 128 ? d : 128;
    return load<u32>(n + (<u32>popcnt<u64>(leafvec & below) << 2), PN_SLOTS - 4);
  }
}

export function lpm6_lookup(t: u32, addr: u32): u32 {
  return lpm6Lookup(t, addr);
}

/** The 6 key bits from bit `off` on of the 16 bytes at `addr` (zeros past bit 127). */
@inline function chunkAt(addr: u32, off: u32): u64 {
  const hi = keyHi(addr);
  if (off <= 58) return (hi << <u64>off) >> 58;
  const lo = keyLo(addr);
  if (off >= 64) return (lo << <u64>(off - 64)) >> 58;
  return ((hi << <u64>off) | (lo >> <u64>(64 - off))) >> 58;
}

/** Keeps the bulk lookup's touching loads alive: what they read is summed here (per instance). */
let sink6: u32 = 0;

/** Lookups per group of lpm6_lookup_bulk: one bit each in a u64 of walks still going. */
const GROUP6: u32 = 64;

/**
 * `n` lookups: 16-byte addresses packed at `src`, u32 values to `dst` (`dst` may overlap `src`: then
 * one at a time). A group of GROUP6 at a time, a level of all its walks per pass: the direct entries,
 * then per level a loop that only loads each walk's node block (its line: vectors and, laid out as
 * poptrie.ts and lpm_heap.ts do, mostly its leaf), then the level's step for each. The loads of a pass
 * do not depend on each other and its loop is short, so the out-of-order window holds many and their
 * misses overlap (a /48 is the direct entry and up to 6 dependent node blocks). `dst` holds each
 * walk's node until its leaf replaces it. On the bench's 200k table: 1.6× the earlier four walks in
 * lockstep, measured in the same run.
 */
export function lpm6_lookup_bulk(t: u32, src: u32, dst: u32, n: u32): void {
  if (dst < src + (n << 4) && src < dst + (n << 2)) {
    for (let i: u32 = 0; i < n; i++) store<u32>(dst + (i << 2), lpm6Lookup(t, src + (i << 4)));
    return;
  }
  const d = dirTable(load<u32>(t + HDR_DIR));
  let acc: u32 = 0;
  for (let i: u32 = 0; i < n; i += GROUP6) {
    const m = min<u32>(GROUP6, n - i);
    const p = src + (i << 4);
    const q = dst + (i << 2);
    // direct entries: the first 16 bits (two bytes) index the table
    for (let j: u32 = 0; j < m; j++) {
      const a = p + (j << 4);
      store<u32>(q + (j << 2), load<u32>(d + ((<u32>load<u8>(a) << 10) | (<u32>load<u8>(a, 1) << 2))));
    }
    let walking: u64 = 0;
    for (let j: u32 = 0; j < m; j++) {
      const e = load<u32>(q + (j << 2));
      if (<i32>e < 0) {
        store<u32>(q + (j << 2), e & DIRECT_LEAF_MAX);
      } else {
        store<u32>(q + (j << 2), e << 3);
        walking |= <u64>1 << <u64>j;
      }
    }
    for (let off = S6; walking != 0; off += 6) {
      let b = walking;
      while (b != 0) {
        acc += load<u32>(load<u32>(q + (<u32>ctz<u64>(b) << 2)));
        b &= b - 1;
      }
      b = walking;
      while (b != 0) {
        const j = <u32>ctz<u64>(b);
        b &= b - 1;
        const node = load<u32>(q + (j << 2));
        const v = chunkAt(p + (j << 4), off);
        const vec = load<u64>(node);
        const leafvec = load<u64>(node, PN_LEAFVEC);
        const below = (<u64>2 << v) - 1;
        // leaves first, then the child pointers (poptrie.ts); the slot's index counts from 1
        if ((vec >> v) & 1) {
          store<u32>(q + (j << 2), load<u32>(node + ((<u32>popcnt<u64>(leafvec) + <u32>popcnt<u64>(vec & below)) << 2), PN_SLOTS - 4));
        } else {
          store<u32>(q + (j << 2), load<u32>(node + (<u32>popcnt<u64>(leafvec & below) << 2), PN_SLOTS - 4));
          walking &= ~(<u64>1 << <u64>j);
        }
      }
    }
  }
  sink6 += acc;
}
