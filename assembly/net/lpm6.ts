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
    if ((vec >> v) & 1) {
      n = load<u32>(n + PN_SLOTS + ((<u32>popcnt<u64>(vec & below) - 1) << 2));
      hi = (hi << 6) | (lo >> 58);
      lo <<= 6;
      continue;
    }
    const i = <u32>popcnt<u64>(vec) + <u32>popcnt<u64>(load<u64>(n + PN_LEAFVEC) & below);
    return load<u32>(n + PN_SLOTS + ((i - 1) << 2));
  }
}

export function lpm6_lookup(t: u32, addr: u32): u32 {
  return lpm6Lookup(t, addr);
}

/** `n` lookups: 16-byte addresses packed at `src`, u32 values to `dst`. */
export function lpm6_lookup_bulk(t: u32, src: u32, dst: u32, n: u32): void {
  for (let i: u32 = 0; i < n; i++) store<u32>(dst + (i << 2), lpm6Lookup(t, src + (i << 4)));
}
