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
//                       + 768   u32 node[w]          the w-th walking frame's current node block (first: each
//                                                    frame's direct entry address)
//                       + 1024  u32 key[w]           its address bits still to consume, left-aligned
//                       + 1280  u32 val[i]           frame i's direct entry; then list[w], the w-th walking frame's i
//                       + 1536  u32 main[i]          main's route handle for dst[i] (the LPM's answer, 0: none)
//                       + 1792  u32 local[i]         local's, when local has an LPM
//
// The answers stay for the lookups that follow (fib4BurstHandles): main's and local's LPM answers for
// each destination of the burst, valid while both LPMs are at the generation they had when the burst
// was walked (an update bumps it before it publishes), so the per-frame lookup takes them instead of
// walking both LPMs again (on this machine the second walk found its blocks in L2, not L1: ~10 ns).

import { netRoot, netScratch } from './core';
import { AF_INET, NR_FIB, RT_TABLE_LOCAL, RT_TABLE_MAIN, SCR_BURST } from './abi';
import { BURST_MAX } from '../abi';
import { FA_NH, FA_NHS, FA_TYPE, fib_table_get, NH_SIZE, TB_COVER8, TB_LPM } from './fib';
import { lpm4Lookup } from './lpm4';
import { HDR_DIR, HDR_GEN } from './lpm_heap';
import { DIRECT_LEAF_MAX, dirBits, dirTable, PN_LEAFVEC, PN_SLOTS } from './poptrie';

const PF_DST: u32 = 512;
const PF_NODE: u32 = 768;
const PF_KEY: u32 = 1024;
const PF_VAL: u32 = 1280;
const PF_MAIN: u32 = 1536;
const PF_LOCAL: u32 = 1792;
/** The walking frames' indices (u32 each), over PF_VAL once the direct entries are read. */
const PF_LIST: u32 = PF_VAL;

// The burst the answers at PF_MAIN / PF_LOCAL belong to (per worker: wasm globals).
let bMain: u32 = 0; //   main's LPM (0: no answers kept)
let bMainGen: u32 = 0;
let bLocal: u32 = 0; //  local's LPM (0: none)
let bLocalGen: u32 = 0;
let bN: u32 = 0;
let bNext: u32 = 0; //   where the next lookup's destination is likely to be (frames are routed in order)
/** Set by fib4BurstHandles: local's answer for the destination it found. */
let bLocalHandle: u32 = 0;
/** Walks started so far (wraps): a reader by slot (fib_helper.ts) knows the slots it was given are still the same walk's. */
let bWalk: u32 = 0;

/** The walk the answers at PF_MAIN / PF_LOCAL come from (fib4_prefetch counts each one it starts). */
@inline export function fib4BurstWalk(): u32 {
  return bWalk;
}

/** The burst's `j`-th destination (network order), as the caller wrote it before the walk. */
@inline export function fib4BurstDstAt(j: u32): u32 {
  return load<u32>(netScratch() + SCR_BURST + PF_DST + (j << 2));
}

/**
 * Main's route handle for destination `dst` (network order) as the burst's walk found it, when the
 * burst's answers are for LPMs `main` and `local` (0: local not wanted) at their current generations and
 * `dst` is one of the burst's: the handle (0: no route), with local's in bLocalHandle. -1 otherwise
 * (walk the LPMs). Frames are routed in the order they were warmed, so the search starts at the last
 * one found, then the one after it.
 */
@inline export function fib4BurstHandles(main: u32, local: u32, dst: u32): i64 {
  if (bMain == 0 || main != bMain || load<u32>(main + HDR_GEN) != bMainGen) return -1;
  if (local != 0 && (local != bLocal || load<u32>(local + HDR_GEN) != bLocalGen)) return -1;
  const s = netScratch() + SCR_BURST;
  const n = bN;
  // the frame before, asked again: a lean path (fwd4_lean.ts, bpf_fib_lookup's) found it and then left
  // the frame to the full lookup, which must not go round the whole burst for it
  if (bNext != 0 && bNext <= n && load<u32>(s + PF_DST + ((bNext - 1) << 2)) == dst) {
    const j = bNext - 1;
    bLocalHandle = local != 0 ? load<u32>(s + PF_LOCAL + (j << 2)) : 0;
    return <i64>load<u32>(s + PF_MAIN + (j << 2));
  }
  let i = bNext;
  for (let k: u32 = 0; k < n; k++, i++) {
    if (i >= n) i = 0;
    if (load<u32>(s + PF_DST + (i << 2)) != dst) continue;
    bNext = i + 1;
    bLocalHandle = local != 0 ? load<u32>(s + PF_LOCAL + (i << 2)) : 0;
    return <i64>load<u32>(s + PF_MAIN + (i << 2));
  }
  return -1;
}

/**
 * Whether the burst's answers are for LPMs `main` and `local` (0: local not wanted) as they are now:
 * fib4BurstHandles' check, made once for a burst whose frames are then read by slot (fib4BurstMainAt).
 * An update published after it is seen from the next burst on (the memory the answers point into stays
 * valid until this worker's next quiescent point).
 */
@inline export function fib4BurstCurrent(main: u32, local: u32): bool {
  if (bMain == 0 || main != bMain || load<u32>(main + HDR_GEN) != bMainGen) return false;
  return local == 0 || (local == bLocal && load<u32>(local + HDR_GEN) == bLocalGen);
}

/** Main's route handle for the burst's `j`-th destination (0: no route), once fib4BurstCurrent said yes. */
@inline export function fib4BurstMainAt(j: u32): u32 {
  return load<u32>(netScratch() + SCR_BURST + PF_MAIN + (j << 2));
}

/** The burst's part of this worker's scratch (netScratch() + SCR_BURST), for fib4PrefetchSettle. */
@inline export function fib4BurstScratch(): u32 {
  return netScratch() + SCR_BURST;
}

/** Where the walk leaves local's handles (u32 each, by slot) when the walk read a local LPM; else 0. */
@inline export function fib4BurstLocalsWalked(): u32 {
  return wLlpm != 0 ? netScratch() + SCR_BURST + PF_LOCAL : 0;
}

/** A caller's warm-up loads (their sum), kept alive. */
@inline export function fib4PrefetchSink(acc: u32): void {
  sink += acc;
}

/** Local's handle for the burst's `j`-th destination (when the burst's answers have local's). */
@inline export function fib4BurstLocalAt(j: u32): u32 {
  return bLocal != 0 ? load<u32>(netScratch() + SCR_BURST + PF_LOCAL + (j << 2)) : 0;
}

/** Local's handle for the destination fib4BurstHandles last answered. */
@inline export function fib4BurstLocal(): u32 {
  return bLocalHandle;
}

/** The direct table's word (lpm_heap.ts HDR_DIR) of main's LPM as the last walk read it (0: none yet). */
let lastDirWord: u32 = 0;
/** The word the caller computed the burst's direct entry addresses with (fib4PrefetchDirAddrs), 0: none. */
let addrsWord: u32 = 0;

/**
 * For a caller that gathers the burst's destinations itself (napi.ts warmRing): the direct table's word
 * of main's LPM as the last walk read it, to compute each destination's direct entry address with
 * (fib4PrefetchDirAddr) as it writes the destination — one pass over the burst instead of two. The walk
 * takes those addresses only if the LPM still has that direct table when it starts (after reading the
 * generation); else it computes them again. 0: no walk yet (compute nothing).
 */
@inline export function fib4PrefetchDirWord(): u32 {
  return lastDirWord;
}

/** The direct entry address of destination `dst` (network order) under word `w`, stored as the walk's slot `i` would. */
@inline export function fib4PrefetchDirAddr(w: u32, i: u32, dst: u32): void {
  store<u32>(netScratch() + SCR_BURST + PF_NODE + (i << 2), dirTable(w) + ((bswap<u32>(dst) >> (32 - dirBits(w))) << 2));
}

/** The burst's direct entry addresses were computed with word `w` (fib4PrefetchDirAddr, every slot). */
@inline export function fib4PrefetchDirAddrs(w: u32): void {
  addrsWord = w;
}

/** Node levels under a direct entry (IPv4 at S = 18: bits 18-23, 24-29, 30-31; at S = 24 two). */
const WALK_LEVELS: u32 = 3;

/** Where the caller writes the burst's destinations (BURST_MAX × u32, network order). */
@inline export function fib4PrefetchDsts(): u32 {
  return netScratch() + SCR_BURST + PF_DST;
}

/** Keeps the warm-up loads alive: what they read is summed here. */
let sink: u32 = 0;

// The tables the burst's walk read (fib4PrefetchWalk), for the pass that ends it (per instance).
let wMain: u32 = 0; //   main's LPM
let wMainGen: u32 = 0;
let wLlpm: u32 = 0; //   its LPM (0: none)
let wLocalGen: u32 = 0;
let wWhole: bool = true;

/**
 * Warm the FIB for the `n` (≤ BURST_MAX) destinations at fib4PrefetchDsts(): main's LPM walked a level
 * at a time over all of them, then the route handles' first aliases (the alias and all
 * its next hops), and local's answers (merged or not, the default rules end in local and main; local's
 * LPM is read only for a destination in a /8 one of its prefixes covers, TB_COVER8).
 */
export function fib4_prefetch(n: u32): void {
  if (!fib4PrefetchWalk(n)) return;
  // Then one pass over the burst (four used to: ~0.8 ns a frame each on this machine even with every
  // line in cache, measured): each frame's walk ended (fib4PrefetchSettle), the route handle (fib.ts) →
  // its first alias (the handle itself for a prefix with one route, else the first entry of its alias
  // list), and the alias and its next hops loaded (FA_NH on: the second cache line, and more for a
  // multipath route, whose every next hop fib_select_multipath reads). The alias loads of one frame do
  // not wait for another's, so their misses still overlap across the burst.
  const s = netScratch() + SCR_BURST;
  let acc: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const h = fib4PrefetchSettle(s, i);
    const fa = (h & 1) != 0 ? h & ~1 : h != 0 && load<u32>(h) != 0 ? load<u32>(h + 8) : 0;
    if (fa != 0) acc += fib4PrefetchAlias(fa);
  }
  fib4PrefetchKeep(n);
  sink += acc;
}

/** Loads of alias `fa` and its next hops (their sum, for a sink): FA_NH on, and every next hop of a multipath route. */
@inline export function fib4PrefetchAlias(fa: u32): u32 {
  let acc = <u32>load<u8>(fa + FA_TYPE) + load<u32>(fa + FA_NH);
  const nhs = load<u32>(fa + FA_NHS);
  if (nhs > 1) {
    const end = fa + FA_NH + nhs * NH_SIZE;
    for (let p = fa + FA_NH + 64; p < end; p += 64) acc += load<u32>(p);
  }
  return acc;
}

/**
 * Frame `i`'s answer from main's LPM, once the walk is over (`s`: netScratch() + SCR_BURST): its route
 * handle, 0 for none (or for a walk still going after the last level — a malformed table — which then
 * keeps no answers for the burst).
 */
@inline export function fib4PrefetchSettle(s: u32, i: u32): u32 {
  return load<u32>(s + PF_MAIN + (i << 2));
}

/** Local's LPM answer for `a` (host order), for a destination a prefix of local covers the /8 of: out of line, the walk's loop stays small. */
function localLookup(a: u32): u32 {
  return lpm4Lookup(wLlpm, a);
}

/** fib4PrefetchAlias out of line, for a caller's rarer cases. */
export function fib4PrefetchAliasCold(fa: u32): u32 {
  return fib4PrefetchAlias(fa);
}

/** After the last pass (every frame settled): the walk's answers become the burst's when every walk ended. */
@inline export function fib4PrefetchKeep(n: u32): void {
  if (wWhole) {
    bMain = wMain;
    bMainGen = wMainGen;
    bLocal = wLlpm;
    bLocalGen = wLocalGen;
    bN = n;
    bNext = 0;
  }
}

/**
 * fib4_prefetch up to its last pass: main's LPM walked for the `n` destinations (PF_MAIN: the LPM's
 * answers). False when there is nothing to walk (no FIB, no main LPM, n out of
 * range): the burst then has no answers. True: the caller reads each frame's answer (fib4PrefetchSettle), then
 * keeps the answers (fib4PrefetchKeep).
 */
export function fib4PrefetchWalk(n: u32): bool {
  bMain = 0; // the last burst's answers are not this one's
  bWalk++;
  // the caller's direct entry addresses (fib4PrefetchDirAddrs) are for this walk only
  const given = addrsWord;
  addrsWord = 0;
  if (n == 0 || n > BURST_MAX || load<u32>(netRoot() + NR_FIB) == 0) return false;
  const main = fib_table_get(AF_INET, RT_TABLE_MAIN);
  if (main == 0) return false;
  const lpm = load<u32>(main + TB_LPM);
  if (lpm == 0) return false;
  const local = fib_table_get(AF_INET, RT_TABLE_LOCAL);
  const llpm = local != 0 ? load<u32>(local + TB_LPM) : 0;
  // the generations first: an update published while the burst is walked makes its answers stale
  wMain = lpm;
  wMainGen = load<u32>(lpm + HDR_GEN);
  wLlpm = llpm;
  wLocalGen = llpm != 0 ? load<u32>(llpm + HDR_GEN) : 0;
  wWhole = true;
  const hd = load<u32>(lpm + HDR_DIR);
  const dir = dirTable(hd);
  const bits = dirBits(hd); // the direct table's bits (poptrie.ts: 18, or 24 for a large table)
  const s = netScratch() + SCR_BURST;
  let acc: u32 = 0;
  // the addresses are a function of the destination and the direct table's word alone: the caller's
  // stand when it computed them with this word (fib4PrefetchDirWord)
  const ready = given == hd;
  lastDirWord = hd;
  // direct entries: their addresses first (at PF_NODE, free until the walk), then the loads alone, in
  // a loop of a few instructions so that the out-of-order window holds many of its iterations and many
  // of these misses are in flight at once (a longer body left ~10; the address arithmetic in the same
  // loop, ~13). A load that misses holds up every later instruction's retirement, so the misses overlap
  // only within one reorder window: loading each entry in napi.ts warmRing's loop instead, as its
  // destination is read (the misses in flight during that loop's work), measured 84-107 ns a frame for
  // the XDP router on 1M prefixes against 63-70 (12-04, interleaved, load 9-13) — fewer in flight.
  // Unrolled by four (fewer loop instructions in the window): the same on 10k prefixes (12-05, two
  // copies of each build interleaved, 14 rounds, load 19: 78.2 ns a round's frame both); and by eight
  // on 1M (12-07, spr57: eight independent loads, then their eight stores; V8 unrolls this loop by two
  // with a stack check a pair, ~6.5 instructions a load), one process, the two loops switched per 0.4-s
  // round, rounds alternated, whole round, paired medians at load 21-25: -0.25 ns (12/16 rounds faster),
  // -0.07 (16/30) — noise: the loop is held by the misses in flight, not by its instructions. perf
  // annotate the same day (xdp router 1M): 81 % of this function's samples on this loop's two loads, ~10
  // ns a frame; and with bursts of 2 frames on 10k prefixes (S = 18, a 1 MiB direct table) still 67 %:
  // at this machine's load the other processes leave even the small table out of L2.
  // On the 1M bench table (bench/forward.ts: every route via one gateway) this load is a frame's only
  // random line: its 1M routes share 20 alias records (routes.ts acquire, as fib_info is shared), so the
  // aliases and next hops stay in cache (fib_helper.ts ROUTE_MEMO: 256 entries hold them without meeting, 16 did not).
  // Measured on 12-06 (xdp router 1M, interleaved, load 6-12), neither faster: a u8 copy of the direct table read through a 256-entry dictionary (8 MiB touched, 2,016 pages, instead of 31.5
  // MiB and 8,064: 70.3 vs 65.1 ns median, 75fff61); these loads summed instead of stored (medians
  // 63.9 vs 64.7 over 12 rounds, one batch of 6 faster, the next slower).
  // Nor work that does not read these entries placed right after this loop, to run in the shadow of its
  // misses (12-08, spr58: the walk split after this loop, fibAnswersWalk filling the records' TOS from
  // the frames there instead of in napi.ts warmRing's loop; one process, a runtime switch, the two ways
  // alternated ABBA, 12 rounds of 0.5 s, load 23): 75.4 -> 76.3 ns a whole round (median), paired +1.16,
  // faster in 4/12 — the loop's instructions already fill the reorder window, so what follows it waits
  // as the classification below does.
  // Nor is this loop's time the table's size: with the bench's destinations over half or a quarter of
  // its span (16 or 8 MiB of direct entries touched instead of 32; same process, the two generators
  // alternated per window of 100 rounds, 1,000 windows each, load 17-20) the whole round was 0.70 and 1.22
  // ns a frame shorter (10th percentiles 72.50 -> 71.78, 73.75 -> 72.59; faster in 634 and 612 of 1,000
  // pairs), though alone (64 independent loads a burst, 2 MiB pages, load 10-15) a load cost 36.6 ns
  // spread over 32 MiB, 29.2 over 16, 16.0 over 8 and 3.8 over 4: a direct table of u16 entries (half the
  // bytes) would buy at most ~0.7 ns a frame on the 1M router (poptrie.ts).
  if (!ready) {
    for (let i: u32 = 0; i < n; i++) {
      const o = i << 2;
      store<u32>(s + PF_NODE + o, dir + ((bswap<u32>(load<u32>(s + PF_DST + o)) >> (32 - bits)) << 2));
    }
  }
  for (let o: u32 = 0; o < (n << 2); o += 4) store<u32>(s + PF_VAL + o, load<u32>(load<u32>(s + PF_NODE + o)));
  // each frame's direct entry: a leaf is main's answer at once; a node block starts a walk, listed by
  // the frame's index (PF_LIST, over PF_VAL: entry w is written after entry i ≥ w was read) with its
  // node and key at the same place, so that the levels go over the walking frames alone
  let w: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const a = bswap<u32>(load<u32>(s + PF_DST + (i << 2)));
    const o = i << 2;
    const e = load<u32>(s + PF_VAL + o);
    // local's answer (lpm4Covered): its LPM read only for a destination in a /8 one of its prefixes covers
    if (llpm != 0) store<u32>(s + PF_LOCAL + o, load<u32>(local + TB_COVER8 + ((a >> 24) << 2)) == 0 ? 0 : localLookup(a));
    if (<i32>e < 0) {
      store<u32>(s + PF_MAIN + o, e & DIRECT_LEAF_MAX);
    } else {
      const q = w << 2;
      store<u32>(s + PF_NODE + q, e << 3);
      store<u32>(s + PF_KEY + q, a << bits);
      store<u32>(s + PF_LIST + q, i);
      w++;
    }
  }
  // node blocks, one level over the walking frames at a time (lpm4.ts lpm4Walk's steps); a frame whose
  // walk ends leaves the list, the others close up behind it
  for (let l: u32 = 0; w != 0 && l < WALK_LEVELS; l++) {
    // each level's blocks touched first, in a short loop (as the direct entries above): a few frames
    // of a burst walk, and touched in the loop above, one frame's miss was the only one in flight while
    // the ~10 frames' work around it filled the reorder window (the 10k-prefix XDP router spent ~40% of
    // this walk on that load)
    for (let q: u32 = 0; q < (w << 2); q += 4) acc += load<u32>(load<u32>(s + PF_NODE + q));
    let still: u32 = 0;
    for (let q: u32 = 0; q < (w << 2); q += 4) {
      const node = load<u32>(s + PF_NODE + q);
      const k = load<u32>(s + PF_KEY + q);
      const i = load<u32>(s + PF_LIST + q);
      const v = <u64>(k >> 26);
      const vec = load<u64>(node);
      const leafvec = load<u64>(node, PN_LEAFVEC);
      const below = (<u64>2 << v) - 1;
      // leaves first, then the child pointers (poptrie.ts); the slot's index counts from 1
      if ((vec >> v) & 1) {
        const t = still << 2;
        store<u32>(s + PF_NODE + t, load<u32>(node + ((<u32>popcnt<u64>(leafvec) + <u32>popcnt<u64>(vec & below)) << 2), PN_SLOTS - 4));
        store<u32>(s + PF_KEY + t, k << 6);
        store<u32>(s + PF_LIST + t, i);
        still++;
      } else {
        store<u32>(s + PF_MAIN + (i << 2), load<u32>(node + (<u32>popcnt<u64>(leafvec & below) << 2), PN_SLOTS - 4));
      }
    }
    w = still;
  }
  // a walk still going after the last level (a malformed table): no answer, and none kept for the burst
  for (let q: u32 = 0; q < (w << 2); q += 4) {
    store<u32>(s + PF_MAIN + (load<u32>(s + PF_LIST + q) << 2), 0);
    wWhole = false;
  }
  sink += acc;
  return true;
}
