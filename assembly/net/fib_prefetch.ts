// Warming the FIB for a burst: before the frames of a burst are routed one by one, the memory each
// IPv4 lookup will read is loaded for all of them at once, a level at a time across the burst.
//
// Why: a lookup in a full table is a chain of dependent loads — the LPM's direct entry, its node
// blocks, the alias with its next hops (an alias list first when a prefix has several) — each from a different
// place in a table of tens of MiB. One frame at a time, every link of the chain waits for memory
// (on this machine a dependent random load over 64 MiB costs ~0.5-1 µs; independent ones overlap,
// ~5-10 ns each). Taken a level at a time over the burst, the loads of one level are independent,
// so the CPU keeps many in flight (the group prefetching of VPP's and DPDK's bulk lookups, done with
// plain loads: wasm has no prefetch instruction). The lookups that follow find it all in cache.
//
// Reads: the FIB root, tables main and local (their LPMs), route handles (alias lists), aliases.
// Sets: nothing but this worker's scratch (SCR_BURST) and the cache. What the lookups answer does not
// change: a burst warmed against a table being replaced only warms memory that stays valid until this
// worker's next quiescent point (reclaim.ts, lpm_heap.ts), so the walk never reads freed memory.
// Next: the caller's per-frame path (eth.ts stack_rx; the XDP program's bpf_fib_lookup).
//
//   scratch + SCR_BURST + 512   u32 dst[BURST_MAX]   destinations, network order (the caller's)
//                       + 768   u32 node[i]          the walk's current node block, 0: done
//                       + 1024  u32 key[i]           the address bits still to consume, left-aligned
//                       + 1280  u32 val[i]           the LPM's value (a route handle), then its first alias

import { netRoot, netScratch } from './core';
import { AF_INET, NR_FIB, RT_TABLE_LOCAL, RT_TABLE_MAIN, SCR_BURST } from './abi';
import { BURST_MAX } from '../abi';
import { FA_NH, FA_NHS, FA_TYPE, fib_table_get, NH_SIZE, TB_LPM } from './fib';
import { HDR_DIR } from './lpm_heap';
import { DIRECT_LEAF_MAX, PN_LEAFVEC, PN_SLOTS } from './poptrie';

const S4: u32 = 18; // lpm4.ts: the direct table's bits
const PF_DST: u32 = 512;
const PF_NODE: u32 = 768;
const PF_KEY: u32 = 1024;
const PF_VAL: u32 = 1280;
/** Node levels under a direct entry (IPv4: bits 18-23, 24-29, 30-31). */
const WALK_LEVELS: u32 = 3;

/** Where the caller writes the burst's destinations (BURST_MAX × u32, network order). */
@inline export function fib4PrefetchDsts(): u32 {
  return netScratch() + SCR_BURST + PF_DST;
}

/** Keeps the warm-up loads alive: what they read is summed here. */
let sink: u32 = 0;

/**
 * Warm the FIB for the `n` (≤ BURST_MAX) destinations at fib4PrefetchDsts(): main's LPM walked a level
 * at a time over all of them, then the route handles' first aliases (the alias and all
 * its next hops), and local's direct entries (merged or not, the default rules end
 * in local and main; local's are leaves but for its own few /18s).
 */
export function fib4_prefetch(n: u32): void {
  if (n == 0 || n > BURST_MAX || load<u32>(netRoot() + NR_FIB) == 0) return;
  const main = fib_table_get(AF_INET, RT_TABLE_MAIN);
  if (main == 0) return;
  const lpm = load<u32>(main + TB_LPM);
  if (lpm == 0) return;
  const local = fib_table_get(AF_INET, RT_TABLE_LOCAL);
  const llpm = local != 0 ? load<u32>(local + TB_LPM) : 0;
  const ldir = llpm != 0 ? load<u32>(llpm + HDR_DIR) : 0;
  const dir = load<u32>(lpm + HDR_DIR);
  const s = netScratch() + SCR_BURST;
  let acc: u32 = 0;
  let walking = false;
  // direct entries
  for (let i: u32 = 0; i < n; i++) {
    const a = bswap<u32>(load<u32>(s + PF_DST + (i << 2)));
    const slot = (a >> (32 - S4)) << 2;
    const e = load<u32>(dir + slot);
    if (ldir != 0) acc += load<u32>(ldir + slot);
    const o = i << 2;
    if (<i32>e < 0) {
      store<u32>(s + PF_NODE + o, 0);
      store<u32>(s + PF_VAL + o, e & DIRECT_LEAF_MAX);
    } else {
      store<u32>(s + PF_NODE + o, e << 3);
      store<u32>(s + PF_KEY + o, a << S4);
      walking = true;
    }
  }
  // node blocks, one level over the whole burst at a time (lpm4.ts lpm4Walk's steps)
  for (let l: u32 = 0; walking && l < WALK_LEVELS; l++) {
    walking = false;
    for (let i: u32 = 0; i < n; i++) {
      const o = i << 2;
      const node = load<u32>(s + PF_NODE + o);
      if (node == 0) continue;
      const k = load<u32>(s + PF_KEY + o);
      const v = <u64>(k >> 26);
      const vec = load<u64>(node);
      const below = (<u64>2 << v) - 1;
      if ((vec >> v) & 1) {
        store<u32>(s + PF_NODE + o, load<u32>(node + PN_SLOTS + ((<u32>popcnt<u64>(vec & below) - 1) << 2)));
        store<u32>(s + PF_KEY + o, k << 6);
        walking = true;
      } else {
        const j = <u32>popcnt<u64>(vec) + <u32>popcnt<u64>(load<u64>(node + PN_LEAFVEC) & below);
        store<u32>(s + PF_VAL + o, load<u32>(node + PN_SLOTS + ((j - 1) << 2)));
        store<u32>(s + PF_NODE + o, 0);
      }
    }
  }
  // a walk still going after the last level (a malformed table) warms no further
  for (let i: u32 = 0; i < n; i++) {
    if (load<u32>(s + PF_NODE + (i << 2)) != 0) store<u32>(s + PF_VAL + (i << 2), 0);
  }
  // route handles (fib.ts) → their first alias: the handle itself for a prefix with one route, else
  // the first entry of its alias list
  for (let i: u32 = 0; i < n; i++) {
    const o = i << 2;
    const h = load<u32>(s + PF_VAL + o);
    store<u32>(s + PF_VAL + o, (h & 1) != 0 ? h & ~1 : h != 0 && load<u32>(h) != 0 ? load<u32>(h + 8) : 0);
  }
  // the alias and its next hops (FA_NH on: the second cache line, and more for a multipath route,
  // whose every next hop fib_select_multipath reads)
  for (let i: u32 = 0; i < n; i++) {
    const fa = load<u32>(s + PF_VAL + (i << 2));
    if (fa == 0) continue;
    acc += <u32>load<u8>(fa + FA_TYPE) + load<u32>(fa + FA_NH);
    const nhs = load<u32>(fa + FA_NHS);
    if (nhs > 1) {
      const end = fa + FA_NH + nhs * NH_SIZE;
      for (let p = fa + FA_NH + 64; p < end; p += 64) acc += load<u32>(p);
    }
  }
  sink += acc;
}
