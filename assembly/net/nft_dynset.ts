// nf_tables' dynamic sets (net/netfilter/nft_dynset.c over nft_set_hash.c's rhash): a set the data path writes —
// `add @s { ip saddr }`, `update @s { ip saddr timeout 10s }`, `delete @s { … }`, `meter m { … }` — and that
// `ip saddr @s` reads. Its elements live in a store of their own in the arena (allocated by src/control/nft.ts when
// the set is first published, kept across ruleset generations as counters are), not in the blob.
//
// Reads: the key register, the store, the stack's clock (netNow, ms). Sets: the store's elements, their
// expressions' state (counter, limit bucket, quota). Frames: none (the caller breaks out of the rule or goes on).
//
// store:  +0 u32 key bytes | +4 u32 most slots (a power of two: 1.25 × size at least, the table never grows past it) |
//         +8 u32 size (most elements: set->size) | +12 u32 elements held (set->nelems: live ones and expired ones not
//         reclaimed yet) | +16 u32 slot bytes | +20 u32 lock (writers) | +24 u64 the set's timeout in ms (0: none) |
//         +32 u32 NFT_SET_TIMEOUT (1: the set has the flag) | +36 u32 data bytes (a map's: 0 for a set) | +40 u64 when
//         a full set was last swept for expired elements | +48 u32 the table | +52 u32 tables it grew out of, not yet
//         given back (a list through their +4) (DS_HDR bytes)
// table:  +0 u32 slots (a power of two) | +4 u32 next replaced table | then from +64 the slots, open addressing by
//         jhash of the key, linear probing. It starts at DS_START slots and doubles (rhashtable's growth: a new
//         table rehashed aside and published with one store; at half full, see dynsetInsert) up to the store's most: a set of 65535 no longer takes
//         its 4 MB up front. Readers load the table once per lookup; a table grown out of is kept for the control plane
//         to retire (nft_dynset_reap: the data path does not touch the reclaimer's grace periods).
// slot:   +0 u32 state (0 free, 1 held, 2 deleted) | +4 u32 expression bytes (0: the element has none) |
//         +8 u64 expiry (ms on the stack clock, 0 never) | +16 u64 timeout (ms, 0 none) | +24 key (padded to 8) |
//         then a map's data (padded to 8: the register bytes nft_dynset's sreg_data gave, as nft_lookup's dreg gets
//         them back) | then its expressions, each a block as a dynset template holds it:
//   counter  +0 u32 EXPR_COUNTER | +4 0 | +8 u64 packets | +16 u64 bytes                               (24 bytes)
//   limit    +0 u32 EXPR_LIMIT | x bytes, len over | +4 0 | +8 u64 tokens_max | +16 u64 cost or nsecs |
//            +24 u64 rate | +32 the bucket (u32 lock, u32 0, u64 tokens, u64 last ns)               (56 bytes)
//   quota    +0 u32 EXPR_QUOTA | len over | +4 0 | +8 u64 quota | +16 u64 consumed                    (24 bytes)
//
// An expired element is absent for lookups and updates; its slot is taken again by the same key, and reclaimed
// (the kernel's garbage collection) when an insert finds the set full. A deleted element leaves a tombstone.

import { netNow } from './core';
import { jhash } from '../maps/jhash';
import { spinLock, spinUnlock } from './lock';
import { rc_alloc, rc_free_unseen, rc_retire } from './reclaim';
import { nftCounter, nftLimit, nftOverquota } from './nft_stateful';

export const DS_HDR: u32 = 64;
/** A table's header: its slots start here. */
const TB_HDR: u32 = 64;
/** The slots a store's table starts with (fewer when its most is fewer). */
const DS_START: u32 = 64;
const DS_FREE: u32 = 0;
const DS_HELD: u32 = 1;
const DS_DELETED: u32 = 2;
// Keep in step with nft_eval.ts
const EXPR_COUNTER: u32 = 12;
const EXPR_LIMIT: u32 = 17;
const NSEC_PER_MSEC: u64 = 1000000;

@inline function keyBytes(st: u32): u32 {
  return (load<u32>(st) + 7) & ~7;
}

/** Where an element's expressions start, past its key and (a map's) data. */
@inline function exprsAt(slot: u32, st: u32): u32 {
  return slot + 24 + keyBytes(st) + ((load<u32>(st, 36) + 7) & ~7);
}

/** A map element's data (nft_set_ext_data). */
@inline export function dynsetData(slot: u32, st: u32): u32 {
  return slot + 24 + keyBytes(st);
}

@inline function tableBytes(slots: u32, sb: u32): u32 {
  return TB_HDR + slots * sb;
}

function keyEq(a: u32, b: u32, len: u32): bool {
  for (let i: u32 = 0; i < len; i++) if (load<u8>(a + i) != load<u8>(b + i)) return false;
  return true;
}

@inline function expired(slot: u32): bool {
  const exp = load<u64>(slot, 8);
  return exp != 0 && netNow() >= exp;
}

/** The held, unexpired slot of the key at `k`, or 0. */
export function dynsetFind(st: u32, k: u32): u32 {
  const klen = load<u32>(st);
  const tb = load<u32>(st, 48); // once: a grow publishes a new table beside this lookup
  const mask = load<u32>(tb) - 1;
  const sb = load<u32>(st, 16);
  let i = jhash(k, klen, 0) & mask;
  for (let n: u32 = 0; n <= mask; n++) {
    const slot = tb + TB_HDR + i * sb;
    const s = load<u32>(slot);
    if (s == DS_FREE) return 0;
    if (s == DS_HELD && keyEq(slot + 24, k, klen)) return expired(slot) ? 0 : slot;
    i = (i + 1) & mask;
  }
  return 0;
}

/**
 * The element at `slot` out: a tombstone, the count dropped; then the tombstones that end a probe run (the slot after
 * them free) freed, back from it. No probe passes through them to an element (it would have to pass the free slot
 * after them), so a lookup running beside this on another worker misses nothing. Without this every slot became a
 * tombstone or held under churn (a free slot never came back but by flush), and every lookup of an absent key, every
 * new element's insert, probed the whole store: 131072 slots for the default size.
 */
function dropSlot(st: u32, slot: u32): void {
  store<u32>(slot, DS_DELETED);
  store<u32>(st, load<u32>(st, 12) - 1, 12);
  const tb = load<u32>(st, 48);
  const mask = load<u32>(tb) - 1;
  const sb = load<u32>(st, 16);
  let i = (slot - tb - TB_HDR) / sb;
  if (load<u32>(tb + TB_HDR + ((i + 1) & mask) * sb) != DS_FREE) return;
  for (let n: u32 = 0; n <= mask; n++) {
    const p = tb + TB_HDR + i * sb;
    if (load<u32>(p) != DS_DELETED) return;
    store<u32>(p, DS_FREE);
    i = (i - 1) & mask;
  }
}

/** The expired elements out (nft_rhash_gc): their slots become tombstones, the count drops. */
function reclaim(st: u32): void {
  const tb = load<u32>(st, 48);
  const slots = load<u32>(tb);
  const sb = load<u32>(st, 16);
  for (let i: u32 = 0; i < slots; i++) {
    const slot = tb + TB_HDR + i * sb;
    if (load<u32>(slot) == DS_HELD && expired(slot)) dropSlot(st, slot);
  }
}

/**
 * The table twice as large (rht_grow_above_75's part, then rhashtable_rehash_table): the held elements copied into a new
 * one aside (expired ones left behind and uncounted, tombstones gone), then published with one store; the old one
 * goes on the store's list for the control plane to retire. False when the memory cannot grow (the old table stays).
 */
function grow(st: u32): bool {
  const tb = load<u32>(st, 48);
  const slots = load<u32>(tb);
  const sb = load<u32>(st, 16);
  const klen = load<u32>(st);
  const nt = rc_alloc(tableBytes(slots << 1, sb));
  if (nt == 0) return false;
  const mask = (slots << 1) - 1;
  store<u32>(nt, slots << 1);
  let held: u32 = 0;
  for (let i: u32 = 0; i < slots; i++) {
    const slot = tb + TB_HDR + i * sb;
    if (load<u32>(slot) != DS_HELD || expired(slot)) continue;
    let j = jhash(slot + 24, klen, 0) & mask;
    while (load<u32>(nt + TB_HDR + j * sb) != DS_FREE) j = (j + 1) & mask;
    const to = nt + TB_HDR + j * sb;
    memory.copy(to, slot, sb);
    // a limit's bucket lock copied as it was: a worker inside nftLimit on the old table holds it and releases the old
    // copy, so the new table's must start free (or its element's packets spin on every other worker for ever)
    const e = exprsAt(to, st);
    for (let p = e; p < e + load<u32>(to, 4); p += blockBytes(p)) if ((load<u32>(p) & 0xff) == EXPR_LIMIT) store<u32>(p + 32, 0);
    held++;
  }
  store<u32>(st, held, 12);
  store<u32>(tb, load<u32>(st, 52), 4);
  store<u32>(st, tb, 52);
  store<u32>(st, nt, 48);
  return true;
}

/**
 * nft_rhash_update with nft_dynset_new: the key's element, or a new one (its timeout, expiry and expressions from
 * the template at `tmpl`, `tlen` bytes; a map's data from `d`) when the set has room (atomic_add_unless(nelems, 1,
 * size)); 0 when full. `timeout`: the rule's or the set's (ms, 0: the element has none). An element found keeps its
 * data (nft_dynset_eval writes sreg_data only into a new element).
 */
function dynsetInsert(st: u32, k: u32, timeout: u64, tmpl: u32, tlen: u32, d: u32): u32 {
  const klen = load<u32>(st);
  const tb = load<u32>(st, 48);
  const mask = load<u32>(tb) - 1;
  const sb = load<u32>(st, 16);
  let i = jhash(k, klen, 0) & mask;
  let free: u32 = 0;
  let slot: u32 = 0;
  for (let n: u32 = 0; n <= mask; n++) {
    slot = tb + TB_HDR + i * sb;
    const s = load<u32>(slot);
    if (s == DS_FREE) break;
    if (s == DS_DELETED) {
      if (free == 0) free = slot;
    } else if (keyEq(slot + 24, k, klen)) {
      if (!expired(slot)) return slot;
      // the same key's expired element: its slot (and its place in the count) is the new one's
      free = slot;
      store<u32>(st, load<u32>(st, 12) - 1, 12);
      break;
    }
    slot = 0;
    i = (i + 1) & mask;
  }
  if (free == 0) free = slot;
  if (load<u32>(st, 12) >= load<u32>(st, 8)) {
    // a full set of elements that never expire has nothing to reclaim; one that may is swept once a clock tick at
    // most, as the kernel's collector runs apart from the packets (a flood of new keys must not sweep per packet)
    if (load<u32>(st, 32) == 0 || load<u64>(st, 40) == netNow()) return 0;
    store<u64>(st, netNow(), 40);
    reclaim(st);
    if (load<u32>(st, 12) >= load<u32>(st, 8)) return 0;
    return dynsetInsert(st, k, timeout, tmpl, tlen, d); // tombstones may now come before the free slot
  }
  // room in the set but a table half full: twice as large first, while the store's most allows (no memory: this one
  // takes the element while it has a free slot). Half, not rhashtable's 75 %: linear probing's runs lengthen fast
  // past it, and a full set of the default size sat in a store at most half full before the tables grew
  if ((load<u32>(st, 12) + 1) * 2 > mask + 1 && mask + 1 < load<u32>(st, 4) && grow(st)) return dynsetInsert(st, k, timeout, tmpl, tlen, d);
  if (free == 0) return 0;
  store<u32>(st, load<u32>(st, 12) + 1, 12);
  const now = netNow();
  store<u32>(free, tlen, 4);
  store<u64>(free, timeout != 0 ? now + timeout : 0, 8);
  store<u64>(free, timeout, 16);
  memory.copy(free + 24, k, klen);
  const dlen = load<u32>(st, 36);
  if (dlen != 0) memory.copy(dynsetData(free, st), d, dlen);
  const e = exprsAt(free, st);
  memory.copy(e, tmpl, tlen);
  // nft_limit_clone: a full bucket stamped now; counters and quotas start from the template's zero
  for (let p = e; p < e + tlen; ) {
    if ((load<u32>(p) & 0xff) == EXPR_LIMIT) {
      store<u32>(p + 32, 0);
      store<u64>(p + 32, load<u64>(p, 8), 8);
      store<u64>(p + 32, now * NSEC_PER_MSEC, 16);
      p += 56;
    } else p += 24;
  }
  store<u32>(free, DS_HELD);
  return free;
}

/** The element's size of expression blocks in a template (56 for a limit, 24 otherwise). */
@inline function blockBytes(p: u32): u32 {
  return (load<u32>(p) & 0xff) == EXPR_LIMIT ? 56 : 24;
}

/**
 * nft_set_elem_update_expr: the element's expressions over the packet (`len` its skb->len); false when one breaks
 * (a limit under its rate, `over` a quota not reached…), which ends the rule.
 */
function dynsetElemExprs(slot: u32, st: u32, len: u32): bool {
  const tlen = load<u32>(slot, 4);
  const e = exprsAt(slot, st);
  for (let p = e; p < e + tlen; p += blockBytes(p)) {
    const w = load<u32>(p);
    const op = w & 0xff;
    const over = ((w >>> 16) & 0xff) != 0;
    if (op == EXPR_COUNTER) nftCounter(p + 8, len);
    else if (op == EXPR_LIMIT) {
      const cost = (w >>> 24) == 0 ? load<u64>(p, 16) : (load<u64>(p, 16) * <u64>len) / load<u64>(p, 24);
      if (nftLimit(p + 32, load<u64>(p, 8), cost) != over) return false;
    } else if (nftOverquota(p + 16, load<u64>(p, 8), len) != over) return false;
  }
  return true;
}

/**
 * nft_dynset_eval: `op` 0 add, 1 update (refreshes the expiry of an element that has one), 2 delete. `timeout` the
 * rule's (ms, 0: the set's); `d` a map's data (its sreg_data's register). False when the rule breaks: the set is
 * full, or an element's expression broke.
 */
export function dynsetEval(st: u32, k: u32, op: u32, timeout: u64, tmpl: u32, tlen: u32, len: u32, d: u32): bool {
  spinLock(st + 20);
  if (op == 2) {
    const slot = dynsetFind(st, k);
    if (slot != 0) dropSlot(st, slot);
    spinUnlock(st + 20);
    return true;
  }
  // nft_dynset_init: an element gets a timeout when the set has NFT_SET_TIMEOUT and the rule or the set gives one
  const t = load<u32>(st, 32) != 0 ? (timeout != 0 ? timeout : load<u64>(st, 24)) : 0;
  const slot = dynsetInsert(st, k, t, tmpl, tlen, d);
  if (slot == 0) {
    spinUnlock(st + 20);
    return false;
  }
  if (op == 1 && load<u64>(slot, 8) != 0) store<u64>(slot, netNow() + t, 8);
  // the element's expressions under the lock too: a table grown after it is unlocked holds a copy of this slot, and
  // a counter added here then would be lost with the old table (dynsetElemUpdate)
  const ok = dynsetElemExprs(slot, st, len);
  spinUnlock(st + 20);
  return ok;
}

/**
 * nft_set_elem_update_expr for a lookup's hit at `slot` (found without the lock): an element that has expressions
 * runs them under the store's lock, in the table the store holds then (the key at `k` found again). An element is a
 * slot of the table, and a table grows by copying its slots into a new one (grow): an update to the slot a lookup
 * found while another worker copies the table lands in the old table and is lost — rhashtable moves pointers to its
 * elements, never the elements, so the kernel loses none. The lock is what a grow holds. Gone meanwhile (deleted,
 * expired): the lookup's hit stands, as the kernel's element it had found.
 */
export function dynsetElemUpdate(st: u32, slot: u32, k: u32, len: u32): bool {
  if (load<u32>(slot, 4) == 0) return true;
  spinLock(st + 20);
  const now = dynsetFind(st, k);
  const ok = now == 0 || dynsetElemExprs(now, st, len);
  spinUnlock(st + 20);
  return ok;
}

/**
 * A store (see the layout above) for keys of `klen` bytes and a map's data of `dlen` (0: a set), `size` elements at
 * most in tables of `slot` bytes a slot up to `most` slots (a power of two); its table starts at DS_START slots. The
 * set's timeout in ms (`tlo`, `thi`) and NFT_SET_TIMEOUT (`timeouts` 1). 0 when the memory cannot grow.
 */
export function nft_dynset_new(klen: u32, dlen: u32, size: u32, slot: u32, most: u32, tlo: u32, thi: u32, timeouts: u32): u32 {
  const st = rc_alloc(DS_HDR);
  if (st == 0) return 0;
  const slots = most < DS_START ? most : DS_START;
  const tb = rc_alloc(tableBytes(slots, slot));
  if (tb == 0) {
    rc_free_unseen(st, DS_HDR); // (memory ran out: no room to record it retired)
    return 0;
  }
  store<u32>(tb, slots);
  store<u32>(st, klen);
  store<u32>(st, most, 4);
  store<u32>(st, size, 8);
  store<u32>(st, slot, 16);
  store<u64>(st, (<u64>thi << 32) | <u64>tlo, 24);
  store<u32>(st, timeouts, 32);
  store<u32>(st, dlen, 36);
  store<u32>(st, tb, 48);
  return st;
}

/** The tables a store grew out of, retired (reclaim.ts gives them back once every reader has left them). */
export function nft_dynset_reap(st: u32): void {
  spinLock(st + 20);
  const sb = load<u32>(st, 16);
  let tb = load<u32>(st, 52);
  store<u32>(st, 0, 52);
  spinUnlock(st + 20);
  while (tb != 0) {
    const next = load<u32>(tb, 4);
    rc_retire(tb, tableBytes(load<u32>(tb), sb));
    tb = next;
  }
}

/** A store no rule or set reaches any more: its tables and itself retired. */
export function nft_dynset_free(st: u32): void {
  nft_dynset_reap(st);
  const tb = load<u32>(st, 48);
  rc_retire(tb, tableBytes(load<u32>(tb), load<u32>(st, 16)));
  rc_retire(st, DS_HDR);
}

/**
 * A store no reader has seen (made by a command that was then refused, never published): its table and itself
 * straight back on their free lists — retiring them needs memory to record them, which a command refused for ENOMEM
 * has run out of.
 */
export function nft_dynset_drop(st: u32): void {
  const sb = load<u32>(st, 16);
  let tb = load<u32>(st, 52);
  while (tb != 0) {
    const next = load<u32>(tb, 4);
    rc_free_unseen(tb, tableBytes(load<u32>(tb), sb));
    tb = next;
  }
  tb = load<u32>(st, 48);
  rc_free_unseen(tb, tableBytes(load<u32>(tb), sb));
  rc_free_unseen(st, DS_HDR);
}

/**
 * The control plane's element commands on a store (`add element`, `delete element`, elements in the set's block):
 * `op` 0 adds the key at `k` (no expressions, as an element the kernel's control plane adds has none without the
 * set's own; a map's data at `k` + 64; `tlo`, `thi`: its timeout in ms, 0 none), 1 deletes it, 2 empties the store
 * (`flush set`), 3 asks whether the store holds it (unexpired). 1 done (or held), 0 not (full, or no such element).
 */
export function nft_dynset_ctl(st: u32, k: u32, op: u32, tlo: u32, thi: u32): u32 {
  spinLock(st + 20);
  let done: u32 = 0;
  if (op == 0) {
    done = dynsetInsert(st, k, (<u64>thi << 32) | <u64>tlo, 0, 0, k + 64) != 0 ? 1 : 0;
  } else if (op == 1) {
    const slot = dynsetFind(st, k);
    if (slot != 0) {
      dropSlot(st, slot);
      done = 1;
    }
  } else if (op == 3) {
    done = dynsetFind(st, k) != 0 ? 1 : 0;
  } else {
    const tb = load<u32>(st, 48);
    memory.fill(tb + TB_HDR, 0, load<u32>(tb) * load<u32>(st, 16));
    store<u32>(st, 0, 12);
    done = 1;
  }
  spinUnlock(st + 20);
  return done;
}

/** Benches and tests: `n` lookups of the keys at `keys` (each the store's key bytes, one after the other), the hits. */
export function nft_dynset_find_n(st: u32, keys: u32, n: u32): u32 {
  const klen = load<u32>(st);
  let hits: u32 = 0;
  for (let i: u32 = 0; i < n; i++) if (dynsetFind(st, keys + i * klen) != 0) hits++;
  return hits;
}
