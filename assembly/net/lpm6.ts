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
import { PN_LEAFVEC, PN_SLOTS, ptAdd, ptDel, ptDirCreate, ptGet, ptIsPrefix, DIRECT_LEAF_MAX } from './poptrie';

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
  const e = load<u32>(load<u32>(t + HDR_DIR) + (<u32>(hi >> (64 - S6)) << 2));
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

export function lpm6_lookup(t: u32, addr: u32): u32 {
  return lpm6Lookup(t, addr);
}

/**
 * `n` lookups: 16-byte addresses packed at `src`, u32 values to `dst`. Four walks in lockstep, a level
 * of each per step: their loads are independent, so four node blocks are on their way from memory at
 * once instead of one (a /48 is the direct entry and 6 dependent node loads; IPv4's lpm4_lookup_bulk
 * does the same with its direct entries).
 */
export function lpm6_lookup_bulk(t: u32, src: u32, dst: u32, n: u32): void {
  const d = load<u32>(t + HDR_DIR);
  let i: u32 = 0;
  for (; i + 4 <= n; i += 4) {
    const p = src + (i << 4);
    let h0 = keyHi(p + 0);
    let l0 = keyLo(p + 0);
    let h1 = keyHi(p + 16);
    let l1 = keyLo(p + 16);
    let h2 = keyHi(p + 32);
    let l2 = keyLo(p + 32);
    let h3 = keyHi(p + 48);
    let l3 = keyLo(p + 48);
    const e0 = load<u32>(d + (<u32>(h0 >> (64 - S6)) << 2));
    const e1 = load<u32>(d + (<u32>(h1 >> (64 - S6)) << 2));
    const e2 = load<u32>(d + (<u32>(h2 >> (64 - S6)) << 2));
    const e3 = load<u32>(d + (<u32>(h3 >> (64 - S6)) << 2));
    let n0: u32 = 0;
    let r0: u32 = 0;
    if (<i32>e0 < 0) r0 = e0 & DIRECT_LEAF_MAX;
    else {
      n0 = e0 << 3;
      h0 = (h0 << S6) | (l0 >> (64 - S6));
      l0 <<= S6;
    }
    let n1: u32 = 0;
    let r1: u32 = 0;
    if (<i32>e1 < 0) r1 = e1 & DIRECT_LEAF_MAX;
    else {
      n1 = e1 << 3;
      h1 = (h1 << S6) | (l1 >> (64 - S6));
      l1 <<= S6;
    }
    let n2: u32 = 0;
    let r2: u32 = 0;
    if (<i32>e2 < 0) r2 = e2 & DIRECT_LEAF_MAX;
    else {
      n2 = e2 << 3;
      h2 = (h2 << S6) | (l2 >> (64 - S6));
      l2 <<= S6;
    }
    let n3: u32 = 0;
    let r3: u32 = 0;
    if (<i32>e3 < 0) r3 = e3 & DIRECT_LEAF_MAX;
    else {
      n3 = e3 << 3;
      h3 = (h3 << S6) | (l3 >> (64 - S6));
      l3 <<= S6;
    }
    while ((n0 | n1 | n2 | n3) != 0) {
      if (n0 != 0) {
        const v = h0 >> 58;
        const vec = load<u64>(n0);
        const leafvec = load<u64>(n0, PN_LEAFVEC);
        const below = (<u64>2 << v) - 1;
        if ((vec >> v) & 1) {
          n0 = load<u32>(n0 + ((<u32>popcnt<u64>(leafvec) + <u32>popcnt<u64>(vec & below)) << 2), PN_SLOTS - 4);
          h0 = (h0 << 6) | (l0 >> 58);
          l0 <<= 6;
        } else {
          r0 = load<u32>(n0 + (<u32>popcnt<u64>(leafvec & below) << 2), PN_SLOTS - 4);
          n0 = 0;
        }
      }
      if (n1 != 0) {
        const v = h1 >> 58;
        const vec = load<u64>(n1);
        const leafvec = load<u64>(n1, PN_LEAFVEC);
        const below = (<u64>2 << v) - 1;
        if ((vec >> v) & 1) {
          n1 = load<u32>(n1 + ((<u32>popcnt<u64>(leafvec) + <u32>popcnt<u64>(vec & below)) << 2), PN_SLOTS - 4);
          h1 = (h1 << 6) | (l1 >> 58);
          l1 <<= 6;
        } else {
          r1 = load<u32>(n1 + (<u32>popcnt<u64>(leafvec & below) << 2), PN_SLOTS - 4);
          n1 = 0;
        }
      }
      if (n2 != 0) {
        const v = h2 >> 58;
        const vec = load<u64>(n2);
        const leafvec = load<u64>(n2, PN_LEAFVEC);
        const below = (<u64>2 << v) - 1;
        if ((vec >> v) & 1) {
          n2 = load<u32>(n2 + ((<u32>popcnt<u64>(leafvec) + <u32>popcnt<u64>(vec & below)) << 2), PN_SLOTS - 4);
          h2 = (h2 << 6) | (l2 >> 58);
          l2 <<= 6;
        } else {
          r2 = load<u32>(n2 + (<u32>popcnt<u64>(leafvec & below) << 2), PN_SLOTS - 4);
          n2 = 0;
        }
      }
      if (n3 != 0) {
        const v = h3 >> 58;
        const vec = load<u64>(n3);
        const leafvec = load<u64>(n3, PN_LEAFVEC);
        const below = (<u64>2 << v) - 1;
        if ((vec >> v) & 1) {
          n3 = load<u32>(n3 + ((<u32>popcnt<u64>(leafvec) + <u32>popcnt<u64>(vec & below)) << 2), PN_SLOTS - 4);
          h3 = (h3 << 6) | (l3 >> 58);
          l3 <<= 6;
        } else {
          r3 = load<u32>(n3 + (<u32>popcnt<u64>(leafvec & below) << 2), PN_SLOTS - 4);
          n3 = 0;
        }
      }
    }
    const q = dst + (i << 2);
    store<u32>(q, r0, 0);
    store<u32>(q, r1, 4);
    store<u32>(q, r2, 8);
    store<u32>(q, r3, 12);
  }
  for (; i < n; i++) store<u32>(dst + (i << 2), lpm6Lookup(t, src + (i << 4)));
}
