// The kernel's time units for sysctls, on wxdp's millisecond clock. The kernel keeps these values in
// jiffies; the one wxdp is compared with runs at HZ = 250 (a jiffy is 4 ms) with USER_HZ = 100. A time
// wxdp stores is the kernel's jiffies × 4 ms, so every value reads back as the kernel prints it
// (measured on 6.18 in a namespace):
//
//   unit       handler                          write v → jiffies          read jiffies j →
//   seconds    proc_dointvec_jiffies            v × HZ                      j / HZ
//   ms         proc_dointvec_ms_jiffies         msecs_to_jiffies: ⌈v / 4⌉   j × 4        (1001 → 1004)
//   USER_HZ    proc_dointvec_userhz_jiffies     clock_t_to_jiffies: ⌊v·HZ/USER_HZ⌋   ⌊j·USER_HZ/HZ⌋  (123 → 122)
//   jiffies    proc_dointvec (raw)              v                           j            (IPv6 retrans_time)

/** CONFIG_HZ of the kernel wxdp is compared with. */
export const HZ = 250;
/** USER_HZ: the clock_t unit of the *_userhz sysctls. */
export const USER_HZ = 100;
/** Milliseconds per jiffy. */
export const JIFFY_MS = 1000 / HZ;
const INT_MAX = 0x7fffffff;
const U32_MAX = 0xffffffff;

export type TimeUnit = 'seconds' | 'ms' | 'userhz' | 'jiffies';

/** The jiffies the kernel stores for `v` written in `unit` (v ≥ 0). */
export function toJiffies(unit: TimeUnit, v: number): number {
  switch (unit) {
    case 'seconds':
      return v * HZ;
    case 'ms':
      return Math.ceil(v / JIFFY_MS);
    case 'userhz':
      return Math.floor((v * HZ) / USER_HZ);
    case 'jiffies':
      return v;
  }
}

/** What the kernel prints for `jiffies` read in `unit`. */
export function fromJiffies(unit: TimeUnit, jiffies: number): number {
  switch (unit) {
    case 'seconds':
      return Math.floor(jiffies / HZ);
    case 'ms':
      return jiffies * JIFFY_MS;
    case 'userhz':
      return Math.floor((jiffies * USER_HZ) / HZ);
    case 'jiffies':
      return jiffies;
  }
}

/** `v` in `unit` as wxdp stores it: the kernel's jiffies in milliseconds. */
export function toStoredMs(unit: TimeUnit, v: number): number {
  return toJiffies(unit, v) * JIFFY_MS;
}

/** A stored millisecond value read in `unit` (a value off the jiffy grid counts whole jiffies). */
export function fromStoredMs(unit: TimeUnit, ms: number): number {
  return fromJiffies(unit, Math.floor(ms / JIFFY_MS));
}

/**
 * The largest value of `unit` that fits, as the kernel takes it and as wxdp stores it (a u32 of
 * milliseconds). The kernel's own bounds: seconds INT_MAX / HZ, ms INT_MAX, USER_HZ up to where its
 * int wraps (858993459), raw jiffies INT_MAX; wxdp's u32 of ms ends first for seconds (4294967 s, 49.7
 * days: the kernel takes up to 8589934), USER_HZ (429496729) and raw jiffies (1073741823).
 */
export function maxStorable(unit: TimeUnit): number {
  const jmax = Math.floor(U32_MAX / JIFFY_MS);
  switch (unit) {
    case 'seconds':
      return Math.min(Math.floor(INT_MAX / HZ), Math.floor(jmax / HZ));
    case 'ms':
      return INT_MAX;
    case 'userhz':
      return Math.min(858993459, Math.floor(((jmax + 1) * USER_HZ - 1) / HZ));
    case 'jiffies':
      return Math.min(INT_MAX, jmax);
  }
}

/** proc_dointvec_jiffies' bound for a global kept in seconds (its own u32: the kernel's whole range). */
export const JIFFIES_SECONDS_MAX = Math.floor(INT_MAX / HZ);
