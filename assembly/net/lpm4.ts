// IPv4 longest-prefix match: prefix → a nonzero u32 value (the FIB's leaf id).
// STUB: the LPM stage fills this file in. The signatures below are the contract the FIB uses.
// Addresses here are host-order u32 (bswap of the network-order load).

/** A new table; 0 when out of memory. */
export function lpm4_create(): u32 {
  return 0;
}
/** Add or replace `addr/len` → `value` (nonzero). 0, -22 (EINVAL), -12 (ENOMEM). */
export function lpm4_add(t: u32, addr: u32, len: u32, value: u32): i32 {
  return -12;
}
/** Remove `addr/len`. 0, -2 (ENOENT). */
export function lpm4_del(t: u32, addr: u32, len: u32): i32 {
  return -2;
}
/** The value of the longest prefix covering `addr`, 0 when none. */
export function lpm4_lookup(t: u32, addr: u32): u32 {
  return 0;
}
