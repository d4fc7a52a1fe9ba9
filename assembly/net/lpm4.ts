// IPv4 longest-prefix match: prefix → a nonzero value (the FIB's leaf id), for the FIB (fib.ts) and
// anything else that routes by destination. Addresses are host-order u32 (bswap of the network-order
// load).
//
// Reads: the table's direct entry and at most 3 nodes and a leaf (poptrie.ts draws them). Sets:
// nothing on lookup; lpm4_add / lpm4_del rebuild aside and publish with one u32 store (safe for
// readers on other workers; lpm_reclaim after their quiescent point lets the memory be reused).
//
// Structure, chosen by measurement (bench/fib.ts, `wxdp bench fib`): a Poptrie with an 18-bit direct
// table (1 MiB) and 6-bit node blocks, so a /24 is one direct entry + one block; a table of 256k
// prefixes or more gets a 24-bit direct table at its next batch commit (poptrie.ts ptGrow: 64 MiB, a
// /24 or shorter prefix is a direct leaf, ~67 MiB on DPDK's 1M table). Lookups take S from the
// published direct-table word (HDR_DIR: address | S), so a table answers at either S. DIR-24-8
// (DPDK's rte_lpm) needs 64 MiB for its first table plus 1 KiB per /24 holding a longer prefix: ~105
// MiB on DPDK's 1M-route table (41k such /24s), over the 80 MiB budget; and on this machine random
// loads over 64 MiB cost 8.3 ns each at full overlap against 3.6 ns over 16 MiB. The Poptrie holds
// that table in ~12 MiB. The rules themselves live in a binary trie (lpm_rib.ts), so deleting a
// prefix brings back the one that covers it, as rte_lpm's rule table does.
//
// Values are any nonzero u32 (the FIB's prefix records by address).

import { heapCreate, HDR_DIR, HDR_MAGIC, MAGIC4 } from './lpm_heap';
import { RIB_NODE4 } from './lpm_rib';
import { dirBits, dirTable, PN_LEAFVEC, PN_SLOTS, ptAdd, ptDel, ptDirCreate, ptGet, ptIsPrefix, DIRECT_LEAF_MAX } from './poptrie';

/** The direct table's bits when a table is made (poptrie.ts ptGrow takes a large one to 24). */
const S4: u32 = 18;
const LEVELS4: u32 = 4; // the direct table's blocks, then nodes at bits S, S + 6, S + 12 (up to 30)

/** A new table; 0 when out of memory. */
export function lpm4_create(): u32 {
  const t = heapCreate(MAGIC4, 32, S4, RIB_NODE4, LEVELS4);
  if (t == 0 || !ptDirCreate(t)) return 0;
  return t;
}

@inline function isTable4(t: u32): bool {
  return t != 0 && load<u32>(t + HDR_MAGIC) == MAGIC4;
}

/**
 * Add or replace `addr/len` → `value`. 0; -22 (EINVAL: not a table, len > 32, bits set past len, value
 * 0); -12 (ENOMEM: the table is as it was).
 */
export function lpm4_add(t: u32, addr: u32, len: u32, value: u32): i32 {
  if (!isTable4(t) || len > 32 || value == 0) return -22;
  const hi = <u64>addr << 32;
  if (!ptIsPrefix(hi, 0, len)) return -22;
  return ptAdd(t, hi, 0, len, value);
}

/** Remove `addr/len`: addresses it covered fall back to the next shorter prefix. 0, -2 (ENOENT), -22, -12. */
export function lpm4_del(t: u32, addr: u32, len: u32): i32 {
  if (!isTable4(t) || len > 32) return -22;
  const hi = <u64>addr << 32;
  if (!ptIsPrefix(hi, 0, len)) return -22;
  return ptDel(t, hi, 0, len);
}

/** The value of exactly `addr/len` (not a longest match), 0 when it is not in the table. */
export function lpm4_get(t: u32, addr: u32, len: u32): u32 {
  if (!isTable4(t) || len > 32) return 0;
  return ptGet(t, <u64>addr << 32, 0, len);
}

/** The value of the longest prefix covering `addr`, 0 when none. The inline form for the fast path. */
@inline export function lpm4Lookup(t: u32, addr: u32): u32 {
  const w = load<u32>(t + HDR_DIR);
  const s = dirBits(w);
  const e = load<u32>(dirTable(w) + ((addr >> (32 - s)) << 2));
  return <i32>e < 0 ? e & DIRECT_LEAF_MAX : lpm4Walk(e << 3, addr << s);
}

/** From node block `n` with the key's remaining bits `k` (left-aligned) down to the leaf. */
@inline function lpm4Walk(n0: u32, k0: u32): u32 {
  let n = n0;
  let k = k0;
  while (true) {
    const v = <u64>(k >> 26);
    const vec = load<u64>(n);
    const below = (<u64>2 << v) - 1;
    const leafvec = load<u64>(n, PN_LEAFVEC);
    // leaves first, then the child pointers (poptrie.ts); the slot's index counts from 1
    if ((vec >> v) & 1) {
      n = load<u32>(n + ((<u32>popcnt<u64>(leafvec) + <u32>popcnt<u64>(vec & below)) << 2), PN_SLOTS - 4);
      k <<= 6;
      continue;
    }
    return load<u32>(n + (<u32>popcnt<u64>(leafvec & below) << 2), PN_SLOTS - 4);
  }
}

/**
 * `n` lookups one at a time (`dst` may be `src`, or overlap it either way): the bulk lookup's steps that
 * hold a walk, its tail, and an overlapping `dst`. Each answer is read before its own store; a `dst` ahead
 * of `src` runs from the end, so no store lands on an address still to be read (memmove's rule). Called
 * from three places, so it stays a call (binaryen inlines a function called once), out of the
 * eight-a-step loop.
 */
function lpm4Each(t: u32, src: u32, dst: u32, n: u32): void {
  if (dst > src) {
    for (let i = n; i > 0; i--) store<u32>(dst + ((i - 1) << 2), lpm4Lookup(t, load<u32>(src + ((i - 1) << 2))));
    return;
  }
  for (let i: u32 = 0; i < n; i++) store<u32>(dst + (i << 2), lpm4Lookup(t, load<u32>(src + (i << 2))));
}

/** The value of the longest prefix covering `addr`, 0 when none. */
export function lpm4_lookup(t: u32, addr: u32): u32 {
  return lpm4Lookup(t, addr);
}

/** Keeps the bulk lookup's touching loads alive: what they read is summed here (per instance). */
let sink4: u32 = 0;

/** Lookups per group of lpm4_lookup_bulk (measured: 64 and 256 within noise of it, 32 slower). */
const GROUP4: u32 = 128;

/**
 * `n` lookups: host-order u32 addresses at `src`, u32 values to `dst` (`dst` may be `src`, or overlap
 * it: then one at a time). Wasm has no prefetch (a plain load is one), so the loops are written for the
 * out-of-order window to hold many independent misses. At S = 24 (a table of 256k prefixes or more)
 * nearly every direct entry is a leaf: eight lookups a step, their direct loads back to back, then one
 * test of the eight entries, in one pass (measured 12-06, same process, 16 interleaved rounds, load
 * 21-26: dpdk-1M 1.24-1.47x and bgp-1M 1.31x the three passes below; four a step 1.12-1.33x, sixteen
 * 1.12x, one a step in one pass 0.93x; 12-06 (lpm43), same process: a 10 MiB run-compressed copy of
 * the direct table read through a bitmap rank 0.30-0.42x, two passes per group 0.76-1.05x, one at a time
 * 0.58-0.74x: a read that depends on a missed read costs more than the 64 MiB table's TLB miss; README,
 * FIB bench). 12-06 (lp48): a step holding a walk is redone one at a time by a call (lpm4Each) instead
 * of eight walks inlined in the loop, and the shift is S = 24's constant: same process, 12 paired
 * rounds by thread CPU time, load 18-20, bgp-1M 1.17x, dpdk-1M 1.08x (stores first and a mask of the
 * steps to redo per 512 lookups, no branch a step: 0.90-0.95x that). 12-06 (lp49), same process,
 * interleaved rounds (median of per-round ratios, each round best of 5 × 10 bulks, load 6-8): the step in
 * v128 (addresses, all-leaves test, two 16-byte stores) dpdk-1M 1.075x / 1.086x (12 rounds each), bgp-1M
 * 1.10x (10 rounds) the scalar step; scalar loads with v128 stores alone 1.02-1.03x, addresses taken as
 * i64x2 lanes 1.00x, sixteen a step in v128 0.97x the eight, four in v128 0.97x, sixteen scalar 0.96x,
 * the stores unconditional and a step to redo marked in a u64 per 512 lookups (the call out of the
 * loop) 0.935x, two steps of eight per iteration 0.97x, a load of the dst line 1-4 KiB ahead (the
 * stores' lines owned before they drain) 0.98-1.06x. The stores are most of the gap to the loads'
 * ceiling: the same loop with no stores measured 1.16-1.25x, with its stores to one fixed line (no line
 * to own) 1.06-1.09x. The values need ~20 bits (DPDK's 1M prefixes each have their own, as a FIB's
 * records do), so a 16-bit direct table needs a second, dependent read (below). The ceiling of this
 * loop, measured the same way on 2 MiB pages (eight independent loads a step of uniformly random keys,
 * nothing else): u32 over 64 MiB 157-161 M/s, u16 over 32 MiB 206-209, u8 over 16 MiB 373-415, a 3-byte entry
 * over 48 MiB 146, u16 over 32 MiB + a per-/16 base + a 4 MiB value array 90-91 (the value's read
 * depends on the missed one). Below S = 24, a group of GROUP4 at a time in three passes, each
 * a loop of few instructions whose loads do not depend on each other: the direct entries (into
 * `dst`), then a load of each node block they point to (the block's line, which holds its vectors and,
 * laid out as poptrie.ts and lpm_heap.ts do, its leaf most of the time), then the walks, which find
 * that line in cache (1.2-1.3x the earlier four-at-a-time lookup on the 1M tables at S = 18, and
 * ahead of per-level passes over the group, IPv6's way).
 */
export function lpm4_lookup_bulk(t: u32, src: u32, dst: u32, n: u32): void {
  const w = load<u32>(t + HDR_DIR);
  const d = dirTable(w);
  const s = dirBits(w);
  if (dst < src + (n << 2) && src < dst + (n << 2)) {
    // `dst` holds the direct entries while `src` is still read: in place, one at a time instead
    lpm4Each(t, src, dst, n);
    return;
  }
  if (s == 24) {
    // 99.7 % of the entries are leaves on the bench's 1M tables: one pass, eight lookups a step, their
    // eight direct loads issued back to back and one test of all eight entries; a step holding a
    // walk is redone one at a time by a call (kept out of the loop, so the loop stays a few registers
    // wide), and the shift is the constant of S = 24. The addresses, the test and the stores in v128
    // (the eight loads stay scalar: wasm has no gather), two 16-byte stores a step for eight 4-byte ones
    const n8 = n & ~7;
    const dv = i32x4.splat(d);
    const leaf = i32x4.splat(DIRECT_LEAF_MAX);
    for (let i: u32 = 0; i < n8; i += 8) {
      const p = src + (i << 2);
      const q = dst + (i << 2);
      // the eight entries' addresses, d + (addr >> 8 << 2), four to a vector
      const a = i32x4.add(i32x4.shl(i32x4.shr_u(v128.load(p), 8), 2), dv);
      const b = i32x4.add(i32x4.shl(i32x4.shr_u(v128.load(p, 16), 8), 2), dv);
      let x = i32x4.splat(load<u32>(i32x4.extract_lane(a, 0)));
      x = i32x4.replace_lane(x, 1, load<u32>(i32x4.extract_lane(a, 1)));
      x = i32x4.replace_lane(x, 2, load<u32>(i32x4.extract_lane(a, 2)));
      x = i32x4.replace_lane(x, 3, load<u32>(i32x4.extract_lane(a, 3)));
      let y = i32x4.splat(load<u32>(i32x4.extract_lane(b, 0)));
      y = i32x4.replace_lane(y, 1, load<u32>(i32x4.extract_lane(b, 1)));
      y = i32x4.replace_lane(y, 2, load<u32>(i32x4.extract_lane(b, 2)));
      y = i32x4.replace_lane(y, 3, load<u32>(i32x4.extract_lane(b, 3)));
      // all eight leaves: every sign bit of x & y set
      if (i32x4.bitmask(v128.and(x, y)) == 15) {
        v128.store(q, v128.and(x, leaf));
        v128.store(q, v128.and(y, leaf), 16);
      } else {
        lpm4Each(t, p, q, 8);
      }
    }
    lpm4Each(t, src + (n8 << 2), dst + (n8 << 2), n - n8);
    return;
  }
  let acc: u32 = 0;
  for (let i: u32 = 0; i < n; i += GROUP4) {
    const end = min<u32>(GROUP4, n - i) << 2;
    const p = src + (i << 2);
    const q = dst + (i << 2);
    for (let j: u32 = 0; j < end; j += 4) store<u32>(q + j, load<u32>(d + ((load<u32>(p + j) >> (32 - s)) << 2)));
    for (let j: u32 = 0; j < end; j += 4) {
      const e = load<u32>(q + j);
      if (<i32>e >= 0) acc += load<u32>(e << 3);
    }
    for (let j: u32 = 0; j < end; j += 4) {
      const e = load<u32>(q + j);
      store<u32>(q + j, <i32>e < 0 ? e & DIRECT_LEAF_MAX : lpm4Walk(e << 3, load<u32>(p + j) << s));
    }
  }
  sink4 += acc;
}
