// IPv6 longest-prefix match: prefix → a nonzero u32 value (the FIB's leaf id).
// STUB: the LPM stage fills this file in. The signatures below are the contract the FIB uses.
// Addresses are 16 bytes in network order at the given memory address.

export function lpm6_create(): u32 {
  return 0;
}
/** Add or replace `addr/len` → `value` (nonzero). 0, -22, -12. */
export function lpm6_add(t: u32, addr: u32, len: u32, value: u32): i32 {
  return -12;
}
/** Remove `addr/len`. 0, -2. */
export function lpm6_del(t: u32, addr: u32, len: u32): i32 {
  return -2;
}
/** The value of the longest prefix covering the 16 bytes at `addr`, 0 when none. */
export function lpm6_lookup(t: u32, addr: u32): u32 {
  return 0;
}
