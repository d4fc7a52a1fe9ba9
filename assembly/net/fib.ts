// The FIB: tables by 32-bit id for IPv4 and IPv6, routes with the kernel's types, scopes, metrics,
// dscp and next hops (ECMP with weights), policy rules; lookups as fib_lookup (net/ipv4/fib_rules.c,
// fib_trie.c, fib_semantics.c) and fib6_lookup (net/ipv6/fib6_rules.c, route.c).
//
// Reads: the FIB root (NR_FIB), a flow key (FL_* in net/abi.ts), the neighbour table (for
// fib_multipath_use_neigh), the sysctls. Sets: a result (FR_*), a next hop's cached source address
// (nh_saddr, as fib_result_prefsrc refreshes it). Next: the caller's (forward.ts, local delivery,
// bpf_fib_lookup in fib_helper.ts, the dst cache in dst.ts).
//
// Layout (all records built aside by the control plane, src/control/routes.ts and rules.ts, then
// published with one aligned u32 store; nothing a reader can reach is ever written in place except
// next-hop flags, upper bounds and nh_saddr, each one aligned word, as the kernel writes them):
//
//   FIB root (FIB_ROOT_SIZE, its address at NR_FIB)
//     +0 u32 IPv4 rule list   +4 u32 IPv6 rule list   +8 u32 table directory
//     +12 u32 flags: FIBF_CUSTOM4 / FIBF_CUSTOM6 (a rule was ever added: tables local and main are
//         separate; before that the kernel keeps them merged in one trie, fib_unmerge), FIBF_BATCH
//         (a bulk load: the LPMs are behind), FIBF_CUSTOM_LOCAL4 (fib_has_custom_local_routes)
//     +16 u32 IPv4 main  +20 u32 IPv4 local: the tables every IPv4 lookup reads, as the directory
//         holds them (set when created, tables are never removed), so a lookup does not scan for them
//   table directory: +0 u32 count | count × u32 table
//   table (TB_SIZE): +0 id | +4 family | +8 buckets | +12 LPM (lpm4/lpm6, 0: none; IPv4's maps a
//     prefix to its route handle, IPv6's to its prefix record: see handleOf) | +16 5 × u32
//     bitmap of the prefix lengths present (0..128) | +40 prefixes | +44 slots used | +64 129 × u32
//     prefixes per length | +580 IPv4: 256 × u32, per /8 the prefixes that cover some of it (a /8 or
//     longer inside it, or a shorter one over it): 0 says no prefix can match an address in that /8,
//     without the LPM (table local: a few /32s, and every forwarded frame looks there too)
//   buckets: +0 u32 mask | (mask + 1) × u32 prefix record (0 empty, 1 deleted), open addressing
//   prefix record (PX_SIZE): +0 16 bytes address (masked) | +16 u8 length | +20 u32 alias list (0:
//     none: a prefix with source-specific routes only) | +24 u32 IPv6 subtree (source prefixes)
//   alias list: +0 u32 count | count × u32 alias, in the kernel's order (dscp descending, then
//     priority ascending, then insertion as NLM_F_APPEND / prepend put it)
//   alias (FA_*, one fib_alias with its fib_info), then FA_NHS × NH_SIZE next hops (NH_*). An IPv6
//     alias is one fib6_info: one next hop (reject routes: the loopback device, as the kernel gives
//     them); a multipath IPv6 route is several aliases, siblings by metric and FA_ECMP6.
//
// Memory: every record comes from reclaim.ts (rc_alloc); what a change unpublishes is retired there
// (rc_retire) and reused only after every worker passed a quiescent point. Scratch (masked address,
// flow keys and results of internal lookups) lives in the worker's scratch area (SCR_FIB in abi.ts);
// per-lookup state that must survive between two calls (the IPv6 leaf) is a wasm global: per instance,
// so per worker.
//
// Lookup, as fib_table_lookup: the longest prefix first (the LPM gives it when there is one and it is
// current — for IPv4 straight as the alias of a one-route prefix; the per-length hash otherwise), its aliases in order (dscp, scope, reject types, dead
// routes, then the first next hop alive and on the flow's oif), and when nothing qualifies BACKTRACK
// to the next shorter prefix present, exactly as the trie's backtracking visits them. IPv6 as
// fib6_table_lookup, with source-specific routes (subtrees) and siblings (see the IPv6 section).

import { fibGen, fibGenBump, netdevGet, netRoot, netScratch, sysctl } from './core';
import {
  AF_INET, AF_INET6, FL_DST, FL_FAMILY, FL_IIF, FL_MARK, FL_OIF, FL_PROTO, FL_SCOPE, FL_SIZE, FL_SPORT,
  FL_DPORT, FL_SRC, FL_TOS, FL_LABEL, FL_UID, FR_FAMILY, FR_GW, FR_GW_FAMILY, FR_INFO, FR_MTU, FR_NH_FLAGS,
  FR_NH_INDEX, FR_OIF, FR_PREFIXLEN, FR_PREFSRC, FR_SCOPE, FR_SIZE, FR_TABLE, FR_TYPE, NE_STATE, NR_FIB,
  NUD_INCOMPLETE, NUD_REACHABLE, NUD_VALID, RTN_BROADCAST, RTN_LOCAL, RTN_MULTICAST, RTN_THROW, RTN_UNICAST, RT_SCOPE_LINK, RT_SCOPE_UNIVERSE, RT_TABLE_DEFAULT,
  RT_TABLE_LOCAL, RT_TABLE_MAIN, SCR_FIB, SYSCTL_FIB_MULTIPATH_USE_NEIGH,
} from './abi';
import { lpm4_add, lpm4_create, lpm4_del, lpm4Lookup } from './lpm4';
import { lpm6_add, lpm6_create, lpm6_del, lpm6_lookup } from './lpm6';
import { mp_hash4, mp_hash4_addrs, mp_hash4_addrs_only, mp_hash6 } from './mphash';
import { neigh_lookup } from './neigh';
import { inet_select_addr } from './netdev';
import { rc_alloc, rc_reclaim, rc_retire } from './reclaim';
import { lpm_batch_begin, lpm_commit, lpm_reclaim } from './lpm';
import { fib4BurstCurrent, fib4BurstHandles, fib4BurstLocal, fib4BurstLocalAt, fib4BurstMainAt } from './fib_prefetch';

// ---- Layout ----
export const FIB_ROOT_SIZE: u32 = 64;
export const FRT_RULES4: u32 = 0;
export const FRT_RULES6: u32 = 4;
export const FRT_TABLES: u32 = 8;
export const FRT_FLAGS: u32 = 12;
export const FRT_MAIN4: u32 = 16;
export const FRT_LOCAL4: u32 = 20;
export const FIBF_CUSTOM4: u32 = 1;
export const FIBF_CUSTOM6: u32 = 2;
export const FIBF_BATCH: u32 = 4; //   a bulk load is on: the LPMs are stale until fib_batch_commit, lookups walk the hash
export const FIBF_CUSTOM_LOCAL4: u32 = 8; // fib_has_custom_local_routes: a user added an IPv4 local route (fib_validate_source looks routes up)

export const TB_ID: u32 = 0;
export const TB_FAMILY: u32 = 4;
export const TB_BUCKETS: u32 = 8;
export const TB_LPM: u32 = 12;
export const TB_LENS: u32 = 16;
export const TB_COUNT: u32 = 40; //   prefixes in the table
export const TB_USED: u32 = 44; //    bucket slots not empty (prefixes and tombstones)
export const TB_LENCOUNT: u32 = 64;
export const TB_COVER8: u32 = 64 + 129 * 4; // IPv4: 256 × u32, prefixes covering some of each /8
export const TB_SIZE: u32 = TB_COVER8 + 256 * 4;

export const PX_ADDR: u32 = 0;
export const PX_LEN: u32 = 16;
export const PX_ALIASES: u32 = 20;
export const PX_SUBTREE: u32 = 24; // IPv6: the source-specific routes (0: none)
export const PX_SIZE: u32 = 32;

// An alias: fib_alias (type, dscp, table) with its fib_info (scope, priority, prefsrc, metrics, nhs).
export const FA_TYPE: u32 = 0; //      u8 RTN_*
export const FA_SCOPE: u32 = 1; //     u8 fib_scope
export const FA_DSCP: u32 = 2; //      u8 the route's tos/dsfield (ECN bits clear)
export const FA_PROTOCOL: u32 = 3; //  u8 RTPROT_*
export const FA_PRIORITY: u32 = 4; //  u32 metric
export const FA_FLAGS: u32 = 8; //     u32 fib_flags (RTNH_F_DEAD when every next hop is dead)
export const FA_MTU: u32 = 12; //      u32 RTAX_MTU (0: none)
export const FA_LOCK: u32 = 16; //     u32 RTAX_LOCK bits (1 << RTAX_MTU: the mtu is locked)
export const FA_NHS: u32 = 20; //      u32 next hop count (0 for reject types)
export const FA_PREFSRC: u32 = 24; //  16 bytes (IPv4 in the first 4)
export const FA_HAS_PREFSRC: u32 = 40; // u8
export const FA_TABLE: u32 = 44; //    u32 table id
export const FA_ID: u32 = 48; //       u32 the control plane's route id
export const FA_PLEN: u32 = 52; //     u8 prefix length (for the dst cache and `ip route get`)
export const FA_ECMP6: u32 = 53; //    u8 IPv6: rt6_qualify_for_ecmp (a gateway): a sibling of the others of its metric
export const FA_DEFAULT: u32 = 56; //  i32 fa_default: fib_select_default's last choice (-1 none), written in place as the kernel's
export const FA_NH_SADDR_ONE: u32 = 54; // u8 IPv4: 1 when every next hop has the same nh_saddr (nhSaddrSummary)
export const FA_NH: u32 = 64;
export const NH_OIF: u32 = 0; //       u32 ifindex
export const NH_FLAGS: u32 = 4; //     u32 RTNH_F_*
export const NH_WEIGHT: u32 = 8; //    u32 1..256
export const NH_UPPER: u32 = 12; //    i32 fib_nh_upper_bound (fib_rebalance), -1: dead
export const NH_GW_FAMILY: u32 = 16; // u8 0, AF_INET, AF_INET6
export const NH_SCOPE: u32 = 17; //    u8 fib_nh_scope
export const NH_GW: u32 = 20; //       16 bytes
export const NH_SADDR: u32 = 36; //    u32 IPv4 nh_saddr: inet_select_addr(dev, gw, fib_scope), cached
export const NH_SADDR_GEN: u32 = 40; // u32 the FIB generation nh_saddr was computed at
export const NH_NEIGH: u32 = 44; //    u32 the gateway's neighbour entry the output path found last (a hint, neigh.ts
//                                      neigh4Hinted: used only while it is that live entry; written in place, any worker)
export const NH_SIZE: u32 = 48;
export const RTNH_F_DEAD: u32 = 1;
export const RTNH_F_PERVASIVE: u32 = 2;
export const RTNH_F_ONLINK: u32 = 4;
export const RTNH_F_LINKDOWN: u32 = 16;

// A rule (fib_rule + fib4_rule / fib6_rule), RULE_SIZE bytes; a rule list is +0 u32 count, +8 rules.
export const RU_PREF: u32 = 0;
export const RU_ACTION: u32 = 4; //    FR_ACT_*
export const RU_TABLE: u32 = 8;
export const RU_TARGET: u32 = 12; //   goto: index of the first rule with pref == target, -1 unresolved
export const RU_IIF: u32 = 16; //      i32 0 any, -1 the named device does not exist
export const RU_OIF: u32 = 20;
export const RU_MARK: u32 = 24;
export const RU_MARK_MASK: u32 = 28;
export const RU_INVERT: u32 = 32; //   u8
export const RU_DSCP: u32 = 33; //     u8 (tos & 0xfc)
export const RU_PROTO: u32 = 34; //    u8
export const RU_SRC_LEN: u32 = 35; //  u8
export const RU_DST_LEN: u32 = 36; //  u8
export const RU_SPORT_LO: u32 = 38; // u16 host order (0/0: no range)
export const RU_SPORT_HI: u32 = 40;
export const RU_DPORT_LO: u32 = 42;
export const RU_DPORT_HI: u32 = 44;
export const RU_SUPPRESS_PLEN: u32 = 48; // i32 (-1: none)
export const RU_SUPPRESS_IFGROUP: u32 = 52; // i32 (-1: none)
export const RU_SRC: u32 = 56; //      16 bytes
export const RU_DST: u32 = 72; //      16 bytes
export const RU_UID_LO: u32 = 88; //   u32 uidrange start (0 when none)
export const RU_UID_HI: u32 = 92; //   u32 uidrange end (0xffffffff when none: fib_kuid_range_unset)
export const RULE_SIZE: u32 = 96;
export const RULES_HEADER: u32 = 8;
export const FR_ACT_TO_TBL: u32 = 1;
export const FR_ACT_GOTO: u32 = 2;
export const FR_ACT_NOP: u32 = 3;
export const FR_ACT_BLACKHOLE: u32 = 6;
export const FR_ACT_UNREACHABLE: u32 = 7;
export const FR_ACT_PROHIBIT: u32 = 8;

const EAGAIN: i32 = -11;
const ENETUNREACH: i32 = -101;
const EHOSTUNREACH: i32 = -113;
const EACCES: i32 = -13;
const EINVAL: i32 = -22;
const ENOMEM: i32 = -12;
const ENOENT: i32 = -2;

// The legacy TOS bits a route's dscp is matched against (fib_dscp_masked_match).
const DSCP_LEGACY_MASK: u8 = 0x1c;

// The worker's scratch (SCR_FIB in abi.ts): a masked address, the control plane's flow key and
// result, and a flow key and result for address-type lookups.
const SF_MASK: u32 = 0;
const SF_SMASK: u32 = 16;
const SF_FL: u32 = 64;
const SF_RES: u32 = 128;
const SF_TYPE_FL: u32 = 400;
const SF_TYPE_RES: u32 = 464;

@inline function maskBuf(): u32 {
  return netScratch() + SCR_FIB + SF_MASK;
}
@inline function flBuf(): u32 {
  return netScratch() + SCR_FIB + SF_FL;
}
@inline function resBuf(): u32 {
  return netScratch() + SCR_FIB + SF_RES;
}
// address-type lookups (ARP, receive) have their own: they never clobber the control plane's
@inline function typeFl(): u32 {
  return netScratch() + SCR_FIB + SF_TYPE_FL;
}
@inline function typeRes(): u32 {
  return netScratch() + SCR_FIB + SF_TYPE_RES;
}

// ---- The root ----

@inline function fibRoot(): u32 {
  return load<u32>(netRoot() + NR_FIB);
}

function fibRootEnsure(): u32 {
  let r = fibRoot();
  if (r != 0) return r;
  r = rc_alloc(FIB_ROOT_SIZE);
  if (r == 0) return 0;
  const dir = rc_alloc(8);
  if (dir == 0) return 0;
  store<u32>(r + FRT_TABLES, dir);
  store<u32>(netRoot() + NR_FIB, r);
  return r;
}

/** The table `id` of `family`, 0 when it does not exist (fib_get_table / fib6_get_table). */
export function fib_table_get(family: u32, id: u32): u32 {
  return tableGet(family, id);
}

/** fib_table_get, inlined into the lookups (an exported function is not inlined where it is called). */
@inline function tableGet(family: u32, id: u32): u32 {
  const r = fibRoot();
  if (r == 0) return 0;
  if (family == AF_INET) {
    if (id == RT_TABLE_MAIN) return load<u32>(r + FRT_MAIN4);
    if (id == RT_TABLE_LOCAL) return load<u32>(r + FRT_LOCAL4);
  }
  const dir = load<u32>(r + FRT_TABLES);
  const n = load<u32>(dir);
  for (let i: u32 = 0; i < n; i++) {
    const t = load<u32>(dir + 4 + (i << 2));
    if (load<u32>(t + TB_ID) == id && load<u32>(t + TB_FAMILY) == family) return t;
  }
  return 0;
}

/** fib_new_table: the table, created (and published in a new directory) when missing; 0: no memory. */
export function fib_table_new(family: u32, id: u32): u32 {
  const r = fibRootEnsure();
  if (r == 0) return 0;
  let t = fib_table_get(family, id);
  if (t != 0) return t;
  t = rc_alloc(TB_SIZE);
  const b = rc_alloc(4 + 16 * 4);
  if (t == 0 || b == 0) return 0;
  store<u32>(t + TB_ID, id);
  store<u32>(t + TB_FAMILY, family);
  store<u32>(b, 15);
  store<u32>(t + TB_BUCKETS, b);
  const lpm = family == AF_INET ? lpm4_create() : lpm6_create();
  store<u32>(t + TB_LPM, lpm);
  if (lpm != 0 && (load<u32>(r + FRT_FLAGS) & FIBF_BATCH) != 0) lpm_batch_begin(lpm);
  const old = load<u32>(r + FRT_TABLES);
  const n = load<u32>(old);
  const dir = rc_alloc(4 + (n + 1) * 4);
  if (dir == 0) return 0;
  memory.copy(dir + 4, old + 4, n << 2);
  store<u32>(dir + 4 + (n << 2), t);
  store<u32>(dir, n + 1);
  store<u32>(r + FRT_TABLES, dir); // publish
  if (family == AF_INET && id == RT_TABLE_MAIN) store<u32>(r + FRT_MAIN4, t);
  if (family == AF_INET && id == RT_TABLE_LOCAL) store<u32>(r + FRT_LOCAL4, t);
  rc_retire(old, n == 0 ? 8 : 4 + n * 4);
  return t;
}

// ---- Prefixes: a per-table hash by (length, masked address) ----

@inline function addrBytes(family: u32): u32 {
  return family == AF_INET6 ? 16 : 4;
}

/** Copy the first `len` bits of the address at `src` to maskBuf() (16 bytes, rest zero). */
function maskTo(src: usize, len: u32, nbytes: u32): void {
  store<u64>(maskBuf(), 0);
  store<u64>(maskBuf() + 8, 0);
  const full = len >> 3;
  memory.copy(maskBuf(), src, full);
  const rem = len & 7;
  if (rem != 0 && full < nbytes) store<u8>(maskBuf() + full, load<u8>(src + full) & <u8>(<u32>0xff << (8 - rem)));
}

@inline function pxHash(len: u32): u32 {
  let h: u32 = (len + 1) * 0x9e3779b1;
  h = (h ^ load<u32>(maskBuf())) * 0x85ebca6b;
  h = (h ^ load<u32>(maskBuf() + 4)) * 0xc2b2ae35;
  h = (h ^ load<u32>(maskBuf() + 8)) * 0x85ebca6b;
  h = (h ^ load<u32>(maskBuf() + 12)) * 0xc2b2ae35;
  return h ^ (h >> 16);
}

@inline function pxEqual(px: u32, len: u32): bool {
  return load<u8>(px + PX_LEN) == <u8>len && load<u64>(px) == load<u64>(maskBuf()) && load<u64>(px + 8) == load<u64>(maskBuf() + 8);
}

/** The prefix record of the address in maskBuf() with length `len` in `t`, 0 when none. */
function pxFind(t: u32, len: u32): u32 {
  const b = load<u32>(t + TB_BUCKETS);
  const mask = load<u32>(b);
  let i = pxHash(len) & mask;
  for (let n: u32 = 0; n <= mask; n++) {
    const px = load<u32>(b + 4 + (i << 2));
    if (px == 0) return 0;
    if (px != 1 && pxEqual(px, len)) return px;
    i = (i + 1) & mask;
  }
  return 0;
}

/** Put `px` in the first free slot of its probe sequence: true when that slot was empty (not a tombstone). */
function bucketsInsert(b: u32, px: u32, len: u32): bool {
  const mask = load<u32>(b);
  let i = pxHash(len) & mask;
  while (load<u32>(b + 4 + (i << 2)) > 1) i = (i + 1) & mask;
  const wasEmpty = load<u32>(b + 4 + (i << 2)) == 0;
  store<u32>(b + 4 + (i << 2), px);
  return wasEmpty;
}

/** Grow (or clean of deleted slots) the bucket array of `t` so it holds `want` prefixes at ≤ 1/2 load. */
function bucketsRebuild(t: u32, want: u32): bool {
  const old = load<u32>(t + TB_BUCKETS);
  let size: u32 = 16;
  while (size < want * 2) size <<= 1;
  const b = rc_alloc(4 + size * 4);
  if (b == 0) return false;
  store<u32>(b, size - 1);
  const omask = load<u32>(old);
  const saved0 = load<u64>(maskBuf());
  const saved1 = load<u64>(maskBuf() + 8);
  for (let i: u32 = 0; i <= omask; i++) {
    const px = load<u32>(old + 4 + (i << 2));
    if (px <= 1) continue;
    store<u64>(maskBuf(), load<u64>(px));
    store<u64>(maskBuf() + 8, load<u64>(px + 8));
    bucketsInsert(b, px, load<u8>(px + PX_LEN));
  }
  store<u32>(t + TB_USED, load<u32>(t + TB_COUNT));
  store<u64>(maskBuf(), saved0);
  store<u64>(maskBuf() + 8, saved1);
  store<u32>(t + TB_BUCKETS, b); // publish
  rc_retire(old, 4 + (omask + 1) * 4);
  return true;
}

/** Bytes of an alias list of `n` aliases (as the control plane allocates it). */
@inline function listBytes(n: u32): u32 {
  return 8 + (n << 2);
}

/** Count prefix `a`/`len` (host order) in (`d` = 1) or out of (-1) the /8s it covers (TB_COVER8). */
function cover8(t: u32, a: u32, len: u32, d: i32): void {
  const first = a >> 24;
  const last = len >= 8 ? first : first + (<u32>1 << (8 - len)) - 1;
  for (let i = first; i <= last; i++) {
    const c = t + TB_COVER8 + (i << 2);
    store<u32>(c, load<u32>(c) + <u32>d);
  }
}

/**
 * lpm4Lookup on table `t`'s LPM `lpm`, for `a` (host order): 0 at once when no prefix of the table
 * covers any of a's /8 (TB_COVER8), without reading the LPM.
 */
@inline export function lpm4Covered(t: u32, lpm: u32, a: u32): u32 {
  return load<u32>(t + TB_COVER8 + ((a >> 24) << 2)) == 0 ? 0 : lpm4Lookup(lpm, a);
}

/** Take prefix record `px` (at length `len`, its address in maskBuf) out of table `t` and retire it. */
function pxRemove(t: u32, px: u32, len: u32, family: u32): void {
  // the slot pxFind found: the same probe sequence
  const b = load<u32>(t + TB_BUCKETS);
  const mask = load<u32>(b);
  let i = pxHash(len) & mask;
  while (load<u32>(b + 4 + (i << 2)) != px) i = (i + 1) & mask;
  store<u32>(b + 4 + (i << 2), 1); // a tombstone: probes go on past it
  const lpm = load<u32>(t + TB_LPM);
  if (lpm != 0) {
    if (family == AF_INET) lpm4_del(lpm, bswap<u32>(load<u32>(maskBuf())), len);
    else lpm6_del(lpm, maskBuf(), len);
  }
  if (family == AF_INET) cover8(t, bswap<u32>(load<u32>(maskBuf())), len, -1); // after the LPM let go of it
  const c = t + TB_LENCOUNT + (len << 2);
  store<u32>(c, load<u32>(c) - 1);
  if (load<u32>(c) == 0) {
    const w = t + TB_LENS + ((len >> 5) << 2);
    store<u32>(w, load<u32>(w) & ~(<u32>1 << (len & 31)));
  }
  store<u32>(t + TB_COUNT, load<u32>(t + TB_COUNT) - 1);
  rc_retire(px, PX_SIZE);
}

/** A new prefix record for maskBuf/`len` in `t` with alias list `list` (may be 0): 0, or -12. */
function pxInsert(t: u32, len: u32, family: u32, list: u32): u32 {
  const px = rc_alloc(PX_SIZE);
  if (px == 0) return 0;
  memory.copy(px, maskBuf(), 16);
  store<u8>(px + PX_LEN, <u8>len);
  store<u32>(px + PX_ALIASES, list);
  // at most half the slots live, three quarters used (tombstones lengthen probes until a rebuild drops them)
  const n = load<u32>(t + TB_COUNT);
  const mask = load<u32>(load<u32>(t + TB_BUCKETS));
  if ((n + 1) * 2 > mask + 1 || (load<u32>(t + TB_USED) + 1) * 4 > (mask + 1) * 3) {
    if (!bucketsRebuild(t, n + 1)) {
      rc_retire(px, PX_SIZE);
      return 0;
    }
  }
  if (bucketsInsert(load<u32>(t + TB_BUCKETS), px, len)) store<u32>(t + TB_USED, load<u32>(t + TB_USED) + 1);
  if (family == AF_INET) cover8(t, bswap<u32>(load<u32>(px)), len, 1); // before the LPM can give it
  const lpm = load<u32>(t + TB_LPM);
  if (lpm != 0) {
    // IPv4: the route handle (fib4 lookups never read the record); IPv6: the record (its subtree)
    const e = family == AF_INET ? lpm4_add(lpm, bswap<u32>(load<u32>(px)), len, handleOf(list)) : lpm6_add(lpm, px, len, px);
    if (e != 0) return 0;
  }
  const c = t + TB_LENCOUNT + (len << 2);
  store<u32>(c, load<u32>(c) + 1);
  const w = t + TB_LENS + ((len >> 5) << 2);
  store<u32>(w, load<u32>(w) | (<u32>1 << (len & 31)));
  store<u32>(t + TB_COUNT, n + 1);
  return px;
}

@inline function isEmptyList(list: u32): bool {
  return list == 0 || load<u32>(list) == 0;
}

/**
 * Publish the alias list `list` (built with fib_alloc; 0 or an empty list: remove the routes) for
 * `addr`/`len` (address bytes at `addr`) in table `id` of `family`, creating the table when needed —
 * for IPv6 source-specific routes, the list of source prefix `saddr`/`slen` in the prefix's subtree
 * (`slen` 0: the prefix's own routes). A prefix record lives while it has routes of its own or a
 * subtree. The lists, subtrees and records it unpublishes are retired. Bumps the FIB generation.
 * 0, -22 (EINVAL: bad length, a source prefix for IPv4), -12 (ENOMEM), -2 (ENOENT: nothing to remove).
 */
export function fib_prefix_set2(family: u32, id: u32, addr: u32, len: u32, saddr: u32, slen: u32, list: u32): i32 {
  const nbytes = addrBytes(family);
  if (len > (nbytes << 3) || (slen != 0 && (family != AF_INET6 || slen > 128))) return EINVAL;
  const empty = isEmptyList(list);
  const t = empty ? fib_table_get(family, id) : fib_table_new(family, id);
  if (t == 0) return empty ? ENOENT : ENOMEM;
  maskTo(addr, len, nbytes);
  let px = pxFind(t, len);
  if (px == 0) {
    if (empty) return ENOENT;
    px = pxInsert(t, len, family, slen == 0 ? list : 0);
    if (px == 0) return ENOMEM;
    if (slen != 0 && subSet(px, saddr, slen, list) != 0) return ENOMEM;
    fibGenBump();
    return 0;
  }
  if (slen != 0) {
    const e = subSet(px, saddr, slen, empty ? 0 : list);
    if (e != 0) return e;
  } else {
    const old = load<u32>(px + PX_ALIASES);
    if (empty && old == 0) return ENOENT;
    // IPv4: the LPM holds the route handle, so a new list is published there too (first: when that
    // fails nothing changed, and no reader can be left holding the old list once it is retired)
    const lpm = load<u32>(t + TB_LPM);
    if (family == AF_INET && !empty && lpm != 0 && lpm4_add(lpm, bswap<u32>(load<u32>(px)), len, handleOf(list)) != 0) return ENOMEM;
    store<u32>(px + PX_ALIASES, empty ? 0 : list); // publish: one aligned store
    if (old != 0 && old != list) rc_retire(old, listBytes(load<u32>(old)));
  }
  if (load<u32>(px + PX_ALIASES) == 0 && load<u32>(px + PX_SUBTREE) == 0) pxRemove(t, px, len, family);
  fibGenBump();
  return 0;
}

/** fib_prefix_set2 for a prefix's own routes. */
export function fib_prefix_set(family: u32, id: u32, addr: u32, len: u32, list: u32): i32 {
  return fib_prefix_set2(family, id, addr, len, 0, 0, list);
}

// ---- IPv6 subtrees (CONFIG_IPV6_SUBTREES: `ip -6 route add DST from SRC ...`) ----
//
// A prefix's subtree (PX_SUBTREE): +0 u32 count | +8 count × SUB_SIZE entries, longest source first:
//   +0 16 bytes source prefix (masked) | +16 u8 length | +20 u32 alias list
// Immutable once published: a change builds the whole array aside and swaps the pointer.

export const SUB_ADDR: u32 = 0;
export const SUB_LEN: u32 = 16;
export const SUB_ALIASES: u32 = 20;
export const SUB_SIZE: u32 = 24;
const SUB_HEADER: u32 = 8;

@inline function subBytes(n: u32): u32 {
  return SUB_HEADER + n * SUB_SIZE;
}

/** The source prefix at `saddr`/`slen`, masked, in the scratch's second address buffer. */
function srcMask(saddr: u32, slen: u32): u32 {
  const m = netScratch() + SCR_FIB + SF_SMASK;
  store<u64>(m, 0);
  store<u64>(m + 8, 0);
  const full = slen >> 3;
  memory.copy(m, saddr, full);
  const rem = slen & 7;
  if (rem != 0 && full < 16) store<u8>(m + full, load<u8>(saddr + full) & <u8>(<u32>0xff << (8 - rem)));
  return m;
}

/** Replace (list ≠ 0: set, 0: remove) the entry for `saddr`/`slen` in `px`'s subtree. 0, -2, -12. */
function subSet(px: u32, saddr: u32, slen: u32, list: u32): i32 {
  const m = srcMask(saddr, slen);
  const old = load<u32>(px + PX_SUBTREE);
  const n: u32 = old == 0 ? 0 : load<u32>(old);
  let at: i32 = -1;
  for (let i: u32 = 0; i < n; i++) {
    const e = old + SUB_HEADER + i * SUB_SIZE;
    if (<u32>load<u8>(e + SUB_LEN) == slen && load<u64>(e) == load<u64>(m) && load<u64>(e + 8) == load<u64>(m + 8)) at = <i32>i;
  }
  if (list == 0 && at < 0) return ENOENT;
  const nn: u32 = list == 0 ? n - 1 : at < 0 ? n + 1 : n;
  let sub: u32 = 0;
  if (nn != 0) {
    sub = rc_alloc(subBytes(nn));
    if (sub == 0) return ENOMEM;
    let k: u32 = 0;
    let placed = list == 0;
    for (let i: u32 = 0; i <= n; i++) {
      // the new entry goes before the first shorter one (longest first), or replaces its own
      if (!placed && (i == n || <u32>load<u8>(old + SUB_HEADER + i * SUB_SIZE + SUB_LEN) < slen || <i32>i == at)) {
        const e = sub + SUB_HEADER + k * SUB_SIZE;
        memory.copy(e, m, 16);
        store<u8>(e + SUB_LEN, <u8>slen);
        store<u32>(e + SUB_ALIASES, list);
        k++;
        placed = true;
        if (<i32>i == at) continue;
      }
      if (i == n || <i32>i == at) continue;
      memory.copy(sub + SUB_HEADER + k * SUB_SIZE, old + SUB_HEADER + i * SUB_SIZE, SUB_SIZE);
      k++;
    }
    store<u32>(sub, nn);
  }
  store<u32>(px + PX_SUBTREE, sub); // publish
  if (old != 0) {
    if (at >= 0) {
      const was = load<u32>(old + SUB_HEADER + <u32>at * SUB_SIZE + SUB_ALIASES);
      if (was != list) rc_retire(was, listBytes(load<u32>(was)));
    }
    rc_retire(old, subBytes(n));
  }
  return 0;
}

/** The alias list of `addr`/`len` (and source prefix `saddr`/`slen`, 0: the prefix's own) in table `id`, 0: none. */
export function fib_prefix_get2(family: u32, id: u32, addr: u32, len: u32, saddr: u32, slen: u32): u32 {
  const t = fib_table_get(family, id);
  if (t == 0) return 0;
  maskTo(addr, len, addrBytes(family));
  const px = pxFind(t, len);
  if (px == 0) return 0;
  if (slen == 0) return load<u32>(px + PX_ALIASES);
  const st = load<u32>(px + PX_SUBTREE);
  if (st == 0) return 0;
  const m = srcMask(saddr, slen);
  const n = load<u32>(st);
  for (let i: u32 = 0; i < n; i++) {
    const e = st + SUB_HEADER + i * SUB_SIZE;
    if (<u32>load<u8>(e + SUB_LEN) == slen && load<u64>(e) == load<u64>(m) && load<u64>(e + 8) == load<u64>(m + 8)) return load<u32>(e + SUB_ALIASES);
  }
  return 0;
}

/** The alias list of `addr`/`len` in table `id` (0: none), for the control plane's consistency checks. */
export function fib_prefix_get(family: u32, id: u32, addr: u32, len: u32): u32 {
  return fib_prefix_get2(family, id, addr, len, 0, 0);
}

/** The longest present prefix length of `t` that is < `below` (≤ 129), or -1. */
@inline function nextLen(t: u32, below: i32): i32 {
  let l = below - 1;
  while (l >= 0) {
    const word = load<u32>(t + TB_LENS + ((<u32>l >> 5) << 2)) & (0xffffffff >> (31 - (<u32>l & 31)));
    if (word != 0) return (<i32>(l & ~31)) + 31 - <i32>clz<u32>(word);
    l = (l & ~31) - 1;
  }
  return -1;
}

// ---- Table lookup (fib_table_lookup, fib_trie.c) ----

/**
 * A route handle: what an IPv4 table's LPM holds for a prefix, so a lookup reaches the alias without
 * the prefix record and its list (two dependent cache misses fewer per lookup in a full table):
 *   fa | 1   the prefix has one alias, `fa` (the common case: one route per prefix)
 *   list     an alias list (+0 count, +8 aliases), two or more aliases
 * Either way the aliases' FA_PLEN is the prefix length. An IPv6 table's LPM holds prefix records
 * (subtrees hang off them); their lists are handles of the second kind, and 0 is an empty list.
 */
@inline function handleOf(list: u32): u32 {
  return load<u32>(list) == 1 ? load<u32>(list + 8) | 1 : list;
}

/** The first alias of handle `h` (not 0, not an empty list). */
@inline function handleFirst(h: u32): u32 {
  return (h & 1) != 0 ? h & ~1 : load<u32>(h + 8);
}

/** The prefix length of handle `h`'s prefix. */
@inline function handleLen(h: u32): i32 {
  return <i32>load<u8>(handleFirst(h) + FA_PLEN);
}

/**
 * The aliases of one prefix (route handle `h`), in order, as fib_table_lookup processes a leaf: 0 with
 * the result written (a next hop qualified), a reject type's error (its own -EAGAIN for throw), or 1:
 * nothing qualified, backtrack.
 */
@inline function leafCheck(h: u32, tbid: u32, fl: u32, res: u32): i32 {
  const one = (h & 1) != 0;
  const list = h & ~1;
  const n: u32 = one ? 1 : list == 0 ? 0 : load<u32>(list);
  const flScope = load<u8>(fl + FL_SCOPE);
  const flDscp = load<u8>(fl + FL_TOS) & DSCP_LEGACY_MASK;
  const oif = load<u32>(fl + FL_OIF);
  for (let i: u32 = 0; i < n; i++) {
    const fa = one ? list : load<u32>(list + 8 + (i << 2));
    const dscp = load<u8>(fa + FA_DSCP);
    if (dscp != 0 && dscp != flDscp) continue;
    if (load<u8>(fa + FA_SCOPE) < flScope) continue;
    const type = <u32>load<u8>(fa + FA_TYPE);
    const err = typeError(type);
    if (err < 0) return err;
    if (load<u32>(fa + FA_FLAGS) & RTNH_F_DEAD) continue;
    const nhs = load<u32>(fa + FA_NHS);
    for (let k: u32 = 0; k < nhs; k++) {
      const nh = fa + FA_NH + k * NH_SIZE;
      if (load<u32>(nh + NH_FLAGS) & RTNH_F_DEAD) continue;
      if (oif != 0 && oif != load<u32>(nh + NH_OIF)) continue;
      resultSet(res, fa, k, load<u8>(fa + FA_PLEN), tbid);
      return 0;
    }
  }
  return 1;
}

/** fib_props[type].error. */
@inline function typeError(type: u32): i32 {
  if (type <= 5) return 0;
  if (type == 7) return EHOSTUNREACH;
  if (type == 8) return EACCES;
  if (type == 9) return EAGAIN;
  return EINVAL; // blackhole, nat, xresolve
}

@inline function resultSet(res: u32, fa: u32, k: u32, plen: u32, tbid: u32): void {
  store<u8>(res + FR_TYPE, load<u8>(fa + FA_TYPE));
  store<u8>(res + FR_SCOPE, load<u8>(fa + FA_SCOPE));
  store<u8>(res + FR_PREFIXLEN, <u8>plen);
  store<u32>(res + FR_TABLE, tbid);
  nhResult(res, fa, k);
  store<u32>(res + FR_INFO, fa);
}

/** Fill the next-hop part of a result with next hop `k` of alias `fa`. */
@inline function nhResult(res: u32, fa: u32, k: u32): void {
  const nh = fa + FA_NH + k * NH_SIZE;
  store<u32>(res + FR_OIF, load<u32>(nh + NH_OIF));
  store<u32>(res + FR_NH_FLAGS, load<u32>(nh + NH_FLAGS));
  // words, not memory.copy / memory.fill: those are calls into C in V8 (~4 ns each, bytes.ts)
  store<u64>(res + FR_GW, load<u64>(nh + NH_GW));
  store<u64>(res + FR_GW + 8, load<u64>(nh + NH_GW + 8));
  store<u8>(res + FR_GW_FAMILY, load<u8>(nh + NH_GW_FAMILY));
  if (load<u8>(fa + FA_HAS_PREFSRC)) {
    store<u32>(res + FR_PREFSRC, load<u32>(fa + FA_PREFSRC));
    store<u32>(res + FR_PREFSRC + 4, load<u32>(fa + FA_PREFSRC + 4));
    store<u64>(res + FR_PREFSRC + 8, load<u64>(fa + FA_PREFSRC + 8));
  } else {
    store<u32>(res + FR_PREFSRC, 0);
    store<u32>(res + FR_PREFSRC + 4, 0);
    store<u64>(res + FR_PREFSRC + 8, 0);
  }
  store<u32>(res + FR_MTU, load<u32>(fa + FA_MTU));
  store<u32>(res + FR_NH_INDEX, k);
}

/**
 * fib_table_lookup over table `t` — and `t2` too when the kernel keeps two tables merged in one trie
 * (local and main before any rule was added): the longest prefix first across both, the local
 * table's aliases before main's at one length. 0 with the result, a reject error, or -EAGAIN (none).
 */
function tableLookup(t: u32, t2: u32, fl: u32, res: u32): i32 {
  return tableLookupInline(t, t2, fl, res);
}

/** tableLookup's body, inlined into the lookup every forwarded frame makes (mergedLookup4). */
@inline function tableLookupInline(t: u32, t2: u32, fl: u32, res: u32): i32 {
  const family = load<u32>(t + TB_FAMILY);
  const nbytes = addrBytes(family);
  const dst = fl + FL_DST;
  let len: i32 = 129;
  // the LPM gives the longest prefix directly; the per-length hash finds the shorter ones (and all of
  // them while a bulk load leaves the LPM behind)
  const lpm = lpmFresh(t);
  if (lpm != 0 && t2 == 0) {
    if (family == AF_INET) {
      // the burst's walk may have answered already (fib_prefetch.ts); a table alone has no local LPM
      const kept = offBurst ? -1 : fib4BurstHandles(lpm, 0, load<u32>(dst));
      const h = kept >= 0 ? <u32>kept : lpm4Covered(t, lpm, bswap<u32>(load<u32>(dst)));
      if (h == 0) return EAGAIN;
      const r = leafCheck(h, load<u32>(t + TB_ID), fl, res);
      if (r != 1) return r;
      len = handleLen(h);
    } else {
      const px = lpm6_lookup(lpm, dst);
      if (px == 0) return EAGAIN;
      const r = leafCheck(load<u32>(px + PX_ALIASES), load<u32>(t + TB_ID), fl, res);
      if (r != 1) return r;
      len = load<u8>(px + PX_LEN);
    }
  } else if (t2 != 0 && family == AF_INET && lpm != 0 && load<u32>(t2 + TB_LPM) != 0) {
    // merged tables (IPv4 only): each LPM gives its longest prefix; the longer of the two is where
    // the trie's walk ends, and at one length the higher table id's aliases go first
    const a4 = bswap<u32>(load<u32>(dst));
    const lpm2 = load<u32>(t2 + TB_LPM);
    // the burst's walk may have answered already (fib_prefetch.ts: main's and local's answers)
    const kept = offBurst ? -1 : fib4BurstHandles(lpm, lpm2, load<u32>(dst));
    const p1 = kept >= 0 ? <u32>kept : lpm4Covered(t, lpm, a4);
    const p2 = kept >= 0 ? fib4BurstLocal() : lpm4Covered(t2, lpm2, a4);
    const l1: i32 = p1 != 0 ? handleLen(p1) : -1;
    const l2: i32 = p2 != 0 ? handleLen(p2) : -1;
    const top = l1 > l2 ? l1 : l2;
    if (top < 0) return EAGAIN;
    const first = load<u32>(t2 + TB_ID) > load<u32>(t + TB_ID);
    const pa = first ? p2 : p1;
    const la = first ? l2 : l1;
    const pb = first ? p1 : p2;
    const lb = first ? l1 : l2;
    if (la == top) {
      const r = leafCheck(pa, load<u32>((first ? t2 : t) + TB_ID), fl, res);
      if (r != 1) return r;
    }
    if (lb == top) {
      const r = leafCheck(pb, load<u32>((first ? t : t2) + TB_ID), fl, res);
      if (r != 1) return r;
    }
    len = top;
  }
  while (true) {
    const l1 = nextLen(t, len);
    const l2 = t2 != 0 ? nextLen(t2, len) : -1;
    len = l1 > l2 ? l1 : l2;
    if (len < 0) return EAGAIN;
    maskTo(dst, <u32>len, nbytes);
    // merged tables: the higher table id's aliases first (fib_find_alias orders tb_id descending)
    let a = t;
    let b = t2;
    if (b != 0 && load<u32>(b + TB_ID) > load<u32>(a + TB_ID)) {
      a = t2;
      b = t;
    }
    if (a != 0 && nextLenHas(a, len)) {
      const px = pxFind(a, <u32>len);
      if (px != 0) {
        const r = leafCheck(load<u32>(px + PX_ALIASES), load<u32>(a + TB_ID), fl, res);
        if (r != 1) return r;
      }
    }
    if (b != 0 && nextLenHas(b, len)) {
      const px = pxFind(b, <u32>len);
      if (px != 0) {
        const r = leafCheck(load<u32>(px + PX_ALIASES), load<u32>(b + TB_ID), fl, res);
        if (r != 1) return r;
      }
    }
  }
  return EAGAIN;
}

/** `t`'s LPM when it is up to date (not during a bulk load), else 0. */
@inline function lpmFresh(t: u32): u32 {
  return (load<u32>(fibRoot() + FRT_FLAGS) & FIBF_BATCH) != 0 ? 0 : load<u32>(t + TB_LPM);
}

@inline function nextLenHas(t: u32, len: i32): bool {
  return (load<u32>(t + TB_LENS + ((<u32>len >> 5) << 2)) & (<u32>1 << (<u32>len & 31))) != 0;
}

/**
 * fib_table_lookup on table `id` of `family` as a caller names it (bpf_fib_lookup's DIRECT and TBID,
 * fib_check_nh): main is merged with local while no rule was ever added. -EAGAIN when the table does
 * not exist or has no match.
 */
export function fib_table_lookup(family: u32, id: u32, fl: u32, res: u32): i32 {
  const merged = family == AF_INET && (load<u32>(fibRoot() + FRT_FLAGS) & FIBF_CUSTOM4) == 0 && (id == RT_TABLE_MAIN || id == RT_TABLE_LOCAL);
  if (merged) return mergedLookup4(fl, res);
  const t = tableGet(family, id);
  if (t == 0) return EAGAIN;
  return tableLookup(t, 0, fl, res);
}

/** IPv4 main and local as the kernel keeps them before any rule is added: one trie (fib_table_lookup). */
@inline function mergedLookup4(fl: u32, res: u32): i32 {
  const main = tableGet(AF_INET, RT_TABLE_MAIN);
  const local = tableGet(AF_INET, RT_TABLE_LOCAL);
  if (main == 0 && local == 0) return EAGAIN;
  if (main == 0) return tableLookup(local, 0, fl, res);
  return tableLookupInline(main, local, fl, res);
}

/**
 * The merged lookup's common case, short: the burst's walk (fib_prefetch.ts) answered for this
 * destination, local has nothing for it, and main's prefix has one route that qualifies — unicast, its
 * dscp and scope fit the flow, alive, its first next hop alive, no oif asked for. Then the result is
 * what tableLookupInline gives (that route, next hop 0, table main) and true; anything else false, with
 * nothing written but the burst's search position, and the full lookup decides.
 */
function mergedBurst4(root: u32, fl: u32, res: u32): bool {
  if (load<u32>(fl + FL_OIF) != 0) return false;
  const fa = burstAlias4(root, load<u32>(fl + FL_DST), load<u8>(fl + FL_TOS), load<u8>(fl + FL_SCOPE));
  if (fa == 0) return false;
  resultSet(res, fa, 0, load<u8>(fa + FA_PLEN), RT_TABLE_MAIN);
  return true;
}

/** mergedBurst4's route for destination `dst` (network order), TOS `tos` and scope `scope` with no oif: its alias, or 0. */
@inline function burstAlias4(root: u32, dst: u32, tos: u32, scope: u32): u32 {
  if ((load<u32>(root + FRT_FLAGS) & FIBF_BATCH) != 0) return 0;
  const main = load<u32>(root + FRT_MAIN4);
  const local = load<u32>(root + FRT_LOCAL4);
  if (main == 0 || local == 0) return 0;
  const lpm = load<u32>(main + TB_LPM);
  const lpm2 = load<u32>(local + TB_LPM);
  if (lpm == 0 || lpm2 == 0 || offBurst) return 0;
  const kept = fib4BurstHandles(lpm, lpm2, dst);
  // -1: not the burst's
  if (kept < 0 || fib4BurstLocal() != 0) return 0;
  return burstAliasScoped(<u32>kept, tos, scope);
}

/**
 * Main's route handle `h` for a destination local has nothing for, as burstAlias4 takes it: its alias
 * (one route, dscp, scope, unicast, alive with its first next hop alive), else 0 — no route (the full
 * lookup goes on to table default) or an alias list.
 */
@inline function burstAliasScoped(h: u32, tos: u32, scope: u32): u32 {
  if (h == 0 || (h & 1) == 0) return 0;
  const fa = h & ~1;
  const dscp = <u32>load<u8>(fa + FA_DSCP);
  if (dscp != 0 && dscp != (tos & DSCP_LEGACY_MASK)) return 0;
  if (<u32>load<u8>(fa + FA_SCOPE) < scope || <u32>load<u8>(fa + FA_TYPE) != RTN_UNICAST) return 0;
  if ((load<u32>(fa + FA_FLAGS) & RTNH_F_DEAD) != 0 || load<u32>(fa + FA_NHS) == 0) return 0;
  if ((load<u32>(fa + FA_NH + NH_FLAGS) & RTNH_F_DEAD) != 0) return 0;
  return fa;
}

/**
 * fib4_burst_route for the burst's `j`-th destination, once fib4_burst_ready() said yes for the burst
 * and no rule was added (fib4BurstRules false): the same answer, read by slot instead of searched for.
 */
@inline export function fib4BurstRouteOutAt(j: u32, tos: u32): u32 {
  if (fib4BurstLocalAt(j) != 0) return 0;
  return burstAliasScoped(fib4BurstMainAt(j), tos, RT_SCOPE_UNIVERSE);
}

/**
 * fib4BurstRouteOutAt for main's handle `h` of a destination local has nothing for (the caller checked
 * local's), and only a route with one next hop and no locked MTU: burstAliasScoped's checks at scope
 * universe (which every scope passes) with those two, over the alias's first line read as few words (a
 * burst's answers make them per frame, fib_helper.ts fibAnswersWalk). The alias, else 0.
 */
@inline export function fib4BurstAliasOne(h: u32, tos: u32): u32 {
  if (h == 0 || (h & 1) == 0) return 0;
  const fa = h & ~1;
  // +0 type, +1 scope, +2 dscp, +3 protocol
  const w = load<u32>(fa + FA_TYPE);
  const dscp = (w >> 16) & 0xff;
  if ((w & 0xff) != RTN_UNICAST || (dscp != 0 && dscp != (tos & DSCP_LEGACY_MASK))) return 0;
  if (load<u32>(fa + FA_NHS) != 1 || ((load<u32>(fa + FA_FLAGS) | load<u32>(fa + FA_NH + NH_FLAGS)) & RTNH_F_DEAD) != 0) return 0;
  return (load<u32>(fa + FA_LOCK) & RTAX_MTU_LOCK_BIT) != 0 ? 0 : fa;
}
/** RTAX_LOCK's bit for the MTU (1 << RTAX_MTU): a locked route MTU. */
const RTAX_MTU_LOCK_BIT: u32 = 1 << 2;

/**
 * fib4BurstAliasOne for any next-hop count: main's handle `h` of a destination local has nothing for
 * (the caller checked local's), one route, unicast, its dscp fitting `tos`, alive (its one next hop
 * alive; of several, fib4_mp_pick chooses among the live ones), no locked MTU — burstAliasOk's route with
 * the lock checked. The alias, else 0. For a burst's answers (fib_helper.ts fibAnswersWalk).
 */
@inline export function fib4BurstAliasAny(h: u32, tos: u32): u32 {
  if ((h & 1) == 0) return 0;
  const fa = h & ~1;
  // +0 type, +1 scope, +2 dscp, +3 protocol (fib4BurstAliasOne's word)
  const w = load<u32>(fa + FA_TYPE);
  const dscp = (w >> 16) & 0xff;
  if ((w & 0xff) != RTN_UNICAST || (dscp != 0 && dscp != (tos & DSCP_LEGACY_MASK))) return 0;
  const nhs = load<u32>(fa + FA_NHS);
  if (nhs == 0 || ((load<u32>(fa + FA_FLAGS) | (nhs == 1 ? load<u32>(fa + FA_NH + NH_FLAGS) : 0)) & RTNH_F_DEAD) != 0) return 0;
  return (load<u32>(fa + FA_LOCK) & RTAX_MTU_LOCK_BIT) != 0 ? 0 : fa;
}

/**
 * Whether a burst's frames can be routed through the rules by their walked handles (fib4RuleAliasOf):
 * rules were added, no bulk load is on, the rule list is there. fib4_burst_ready's rule case, asked
 * while the burst is walked (fib_helper.ts fibAnswersWalk).
 */
export function fib4RulesWalkable(): bool {
  const root = fibRoot();
  return root != 0 && (load<u32>(root + FRT_FLAGS) & (FIBF_CUSTOM4 | FIBF_BATCH)) == FIBF_CUSTOM4 && load<u32>(root + FRT_RULES4) != 0;
}

/**
 * fib4BurstRuleRouteAt over main's handle `mainH` and local's `localH` for the destination (the walk's,
 * before it keeps them), once fib4RulesWalkable said yes: the route the rules reach for flow key `fl`
 * with TOS `tos`, without a locked MTU; 0 when the full lookup must decide.
 */
@inline export function fib4RuleAliasOf(mainH: u32, localH: u32, fl: u32, tos: u32): u32 {
  return fib4RuleAliasOnPath(rulesPath4(fl), mainH, localH, tos);
}

/** fib4RuleAliasOf once the rules' path for the flow is known (rulesPath4's, or fib4RulePathMemo's). */
@inline export function fib4RuleAliasOnPath(path: u32, mainH: u32, localH: u32, tos: u32): u32 {
  const fa = burstAliasOnPath(path, mainH, localH, tos);
  return fa == 0 || (load<u32>(fa + FA_LOCK) & RTAX_MTU_LOCK_BIT) != 0 ? 0 : fa;
}

/**
 * rulesPath4's memo for the flow key ipv4Lean and a burst's answers build (an input flow: no oif, no
 * mark) arriving on `iif` from `src` with TOS `tos` and protocol `proto`: the path when the memo holds
 * it, else -1 (the caller builds the flow key and asks rulesPath4). Lets a burst's frames skip the
 * flow key while the memo answers.
 */
@inline export function fib4RulePathMemo(iif: u32, src: u32, tos: u32, proto: u32): i32 {
  const list = load<u32>(fibRoot() + FRT_RULES4);
  return pathMemoHolds(list, fibGen(), iif, 0, 0, src, tos | (proto << 8)) ? <i32>pathVal : -1;
}

/**
 * net->ipv6.fib6_rules_require_fldissect: an IPv6 rule selects on the protocol or a port range
 * (fib_rule_requires_fldissect), so ip6_route_input dissects the packet first (fib6_rules_early_flow_dissect).
 */
export function fib6RulesNeedDissect(): bool {
  const root = fibRoot();
  if (root == 0 || (load<u32>(root + FRT_FLAGS) & FIBF_CUSTOM6) == 0) return false;
  const list = load<u32>(root + FRT_RULES6);
  if (list == 0) return false;
  const n = load<u32>(list);
  for (let i: u32 = 0; i < n; i++) {
    const r = list + RULES_HEADER + i * RULE_SIZE;
    if (load<u8>(r + RU_PROTO) != 0) return true;
    // fib_rule_port_range_set: both ends set
    if (load<u16>(r + RU_SPORT_LO) != 0 && load<u16>(r + RU_SPORT_HI) != 0) return true;
    if (load<u16>(r + RU_DPORT_LO) != 0 && load<u16>(r + RU_DPORT_HI) != 0) return true;
  }
  return false;
}

/**
 * fib4_lookup's answer for an input lookup (iif set, no oif, scope universe) with no rule ever added,
 * when the burst's walk (fib_prefetch.ts) holds it: main's route alias, whose next hop 0 (alive) is the
 * table lookup's result; with one next hop that is fib4_lookup's answer, with several the caller
 * selects the path (fib4_mp_pick). 0: ask fib4_lookup (or lookup4NoPath). Nothing is written but the
 * burst's search position. For bpf_fib_lookup's common case (fib_helper.ts), which reads the alias
 * directly instead of a result buffer.
 */
export function fib4_burst_route(dst: u32, tos: u32): u32 {
  const root = fibRoot();
  if (root == 0 || (load<u32>(root + FRT_FLAGS) & FIBF_CUSTOM4) != 0) return 0;
  return burstAlias4(root, dst, tos, RT_SCOPE_UNIVERSE);
}

/**
 * bpf_fib_lookup DIRECT's answer on table main from the burst's walk (fib_prefetch.ts), with no rule
 * ever added (main and local merged, as fib_table_lookup sees them), no oif, scope universe: the alias
 * of main's one route when that is the merged lookup's answer (as fib4_burst_route, any next-hop
 * count); 1 when neither main nor local has a prefix covering `dst` (the merged lookup misses:
 * -EAGAIN); 0 when the full lookup must decide. Nothing is written but the burst's search position.
 */
export function fib4_burst_direct(dst: u32, tos: u32): u32 {
  const root = fibRoot();
  if (root == 0 || (load<u32>(root + FRT_FLAGS) & (FIBF_CUSTOM4 | FIBF_BATCH)) != 0) return 0;
  const main = load<u32>(root + FRT_MAIN4);
  const local = load<u32>(root + FRT_LOCAL4);
  if (main == 0) return 0;
  const lpm = load<u32>(main + TB_LPM);
  // no table local (no address yet): main alone, as mergedLookup4 looks it up
  const lpm2 = local != 0 ? load<u32>(local + TB_LPM) : 0;
  if (lpm == 0 || (local != 0 && lpm2 == 0)) return 0;
  const kept = fib4BurstHandles(lpm, lpm2, dst);
  if (kept < 0 || (lpm2 != 0 && fib4BurstLocal() != 0)) return 0;
  if (kept == 0) return 1;
  if ((kept & 1) == 0) return 0; // an alias list: the full lookup walks it
  const fa = <u32>kept & ~1;
  const dscp = <u32>load<u8>(fa + FA_DSCP);
  if (dscp != 0 && dscp != (tos & DSCP_LEGACY_MASK)) return 0;
  if (<u32>load<u8>(fa + FA_SCOPE) < RT_SCOPE_UNIVERSE || <u32>load<u8>(fa + FA_TYPE) != RTN_UNICAST) return 0;
  if ((load<u32>(fa + FA_FLAGS) & RTNH_F_DEAD) != 0 || load<u32>(fa + FA_NHS) == 0) return 0;
  if ((load<u32>(fa + FA_NH + NH_FLAGS) & RTNH_F_DEAD) != 0) return 0;
  return fa;
}

/**
 * fib4_burst_direct for the burst's `j`-th destination, read by its slot once fib4_burst_ready found the
 * walk current with no rule ever added (bpf_fib_lookup's DIRECT call for the frame of that slot,
 * fib_helper.ts ipv4Lean): the same answers, without the per-call checks of the root, tables and
 * generations and the search of the burst for `dst` (fib4BurstHandles).
 */
@inline export function fib4BurstDirectAt(j: u32, tos: u32): u32 {
  if (fib4BurstLocalAt(j) != 0) return 0;
  const h = fib4BurstMainAt(j);
  return h == 0 ? 1 : burstAliasScoped(h, tos, RT_SCOPE_UNIVERSE);
}

/**
 * Whether the burst's walk (fib_prefetch.ts) answers for the FIB as it is now, for frames routed by
 * their slot (fib4BurstRouteAt): no rule ever added, no bulk load on, main and local with their LPMs,
 * the walk's answers for those at their current generations. Checked once for a burst.
 */
export function fib4_burst_ready(): bool {
  const root = fibRoot();
  burstRules4 = false;
  if (root == 0 || (load<u32>(root + FRT_FLAGS) & FIBF_BATCH) != 0) return false;
  const main = load<u32>(root + FRT_MAIN4);
  const local = load<u32>(root + FRT_LOCAL4);
  if (main == 0 || local == 0) return false;
  const lpm = load<u32>(main + TB_LPM);
  const lpm2 = load<u32>(local + TB_LPM);
  if (lpm == 0 || lpm2 == 0 || !fib4BurstCurrent(lpm, lpm2)) return false;
  // rules added: tables local and main apart, each frame's route from the rule walk (fib4BurstRuleRouteAt)
  if ((load<u32>(root + FRT_FLAGS) & FIBF_CUSTOM4) != 0) {
    if (load<u32>(root + FRT_RULES4) == 0) return false;
    burstRules4 = true;
  }
  return true;
}

/** Set by fib4_burst_ready: rules were added, so a frame's route is fib4BurstRuleRouteAt's, not fib4BurstRouteAt's. */
let burstRules4: bool = false;

/** Whether the burst fib4_burst_ready accepted routes its frames through the rules (fib4BurstRuleRouteAt). */
@inline export function fib4BurstRules(): bool {
  return burstRules4;
}

/**
 * fib4BurstRouteAt with rules added (tables local and main apart, fib4_burst_ready said yes): the
 * route fib_rules_lookup ends at for the input flow key `fl` (ipv4_rcv's inputFlow) of the burst's
 * `j`-th destination, when the rules that match it (the rule memo's answer, else each rule tested as
 * rulesLookup does; goto and nop followed) reach main before anything that could answer: table local
 * with nothing covering the destination (the burst's answer), other tables empty or missing, then
 * main's one route for the prefix as fib4BurstRouteAt takes it, with no suppress selector on the
 * rule. 0 in every other case (a reject action, a table with routes, an alias list, no rule deciding):
 * the caller asks the route cache, which walks the rules itself.
 */
export function fib4BurstRuleRouteAt(j: u32, fl: u32, tos: u32): u32 {
  return rulesBurst4(fib4BurstMainAt(j), fib4BurstLocalAt(j), fl, tos);
}

/** Rules were added for IPv4 (fib4_has_custom_rules): tables local and main apart, the rules walked. */
@inline export function fib4CustomRules(): bool {
  const root = fibRoot();
  return root != 0 && (load<u32>(root + FRT_FLAGS) & FIBF_CUSTOM4) != 0;
}

/**
 * fib4_burst_route with rules added: fib4BurstRuleRouteAt's answer for destination `dst` (network
 * order) found among the burst's (fib4BurstHandles), flow key `fl` (the helper's, as lookup4NoPath
 * reads it), TOS `tos`; 0: ask the full lookup.
 */
export function fib4_burst_rule_route(dst: u32, fl: u32, tos: u32): u32 {
  const root = fibRoot();
  if (root == 0 || (load<u32>(root + FRT_FLAGS) & (FIBF_CUSTOM4 | FIBF_BATCH)) != FIBF_CUSTOM4 || load<u32>(root + FRT_RULES4) == 0) return 0;
  const main = load<u32>(root + FRT_MAIN4);
  const local = load<u32>(root + FRT_LOCAL4);
  if (main == 0 || local == 0) return 0;
  const lpm = load<u32>(main + TB_LPM);
  const lpm2 = load<u32>(local + TB_LPM);
  if (lpm == 0 || lpm2 == 0) return 0;
  const kept = fib4BurstHandles(lpm, lpm2, dst);
  if (kept < 0) return 0;
  return rulesBurst4(<u32>kept, fib4BurstLocal(), fl, tos);
}

/** The rule walk of fib4BurstRuleRouteAt over main's handle `mainH` and local's `localH` for the destination. */
@inline function rulesBurst4(mainH: u32, localH: u32, fl: u32, tos: u32): u32 {
  return burstAliasOnPath(rulesPath4(fl), mainH, localH, tos);
}

/** rulesBurst4 past the rules: where the path rulesPath4 gave ends for main's handle `mainH` and local's `localH`. */
@inline function burstAliasOnPath(path: u32, mainH: u32, localH: u32, tos: u32): u32 {
  if (path == PATH_NONE || mainH == 0 || (path == PATH_LOCAL_MAIN && localH != 0)) return 0;
  return burstAliasOk(mainH, tos);
}

// Where the rules take flow key `fl` on the way to main (rulesPath4): nowhere a burst's answer can come
// from (an action other than a table lookup, a table with routes, a suppress selector on main's rule, no
// main at all), straight to main (tables on the way empty or missing), or to main past table local (the
// destination then must have nothing in local).
const PATH_NONE: u32 = 0;
const PATH_MAIN: u32 = 1;
const PATH_LOCAL_MAIN: u32 = 2;

// rulesPath4's memo: its answer for the last flow, kept when the rule memo covered it (ruleMemo4: the
// rules read none of the flow's destination and ports), keyed as that memo is, on the list, the FIB
// generation (a route added to a table on the way bumps it) and the selectors' fields.
let pathList: u32 = 0;
let pathGen: u32 = 0;
let pathIif: u32 = 0;
let pathOif: u32 = 0;
let pathMark: u32 = 0;
let pathSrc: u32 = 0;
let pathTosProto: u32 = 0;
let pathVal: u32 = PATH_NONE;

/** rulesPath4's memo holds the path for these rules, generation and selector fields (pathVal). */
@inline function pathMemoHolds(list: u32, gen: u32, iif: u32, oif: u32, mark: u32, src: u32, tp: u32): bool {
  return list == pathList && gen == pathGen && iif == pathIif && oif == pathOif && mark == pathMark && src == pathSrc && tp == pathTosProto;
}

/**
 * rulesBurst4's walk with the destination's handles left out: the rules fib_rules_lookup visits for flow
 * key `fl` (the rule memo's, else each rule tested; goto and nop followed) up to the first that looks up
 * main. With main's handle nonzero (and local's zero on PATH_LOCAL_MAIN) the walk ends at main's route as
 * rulesBurst4 takes it; in every other case it ends with no burst answer — main without a route goes on
 * to rules that can only fail or miss. The same for every flow the rule memo says matches the same rules.
 */
@inline function rulesPath4(fl: u32): u32 {
  const list = load<u32>(fibRoot() + FRT_RULES4);
  const gen = fibGen();
  const iif = load<u32>(fl + FL_IIF);
  const oif = load<u32>(fl + FL_OIF);
  const mark = load<u32>(fl + FL_MARK);
  const src = load<u32>(fl + FL_SRC);
  const tp = <u32>load<u8>(fl + FL_TOS) | (<u32>load<u8>(fl + FL_PROTO) << 8);
  if (pathMemoHolds(list, gen, iif, oif, mark, src, tp)) return pathVal;
  return rulesPath4Walk(fl, list, gen, iif, oif, mark, src, tp);
}

/**
 * rulesPath4 past its memo (out of line: the memo's hit, a burst's every frame but the first in the
 * common case, stays a few compares in its caller): the walk for flow key `fl` whose memo key (list,
 * generation, selectors' fields) the caller read, and the memo kept when the rule memo covers it.
 */
function rulesPath4Walk(fl: u32, list: u32, gen: u32, iif: u32, oif: u32, mark: u32, src: u32, tp: u32): u32 {
  const n = load<u32>(list);
  const memo = ruleMemo4(list, n, fl);
  let v = PATH_NONE;
  let local = false;
  for (let i = ruleDecider(list, n, 0, memo, fl, AF_INET, true); i < n; i = ruleDecider(list, n, i + 1, memo, fl, AF_INET, true)) {
    const r = list + RULES_HEADER + i * RULE_SIZE;
    if (load<u32>(r + RU_ACTION) != FR_ACT_TO_TBL) break;
    const tbid = load<u32>(r + RU_TABLE);
    if (tbid == RT_TABLE_MAIN) {
      if (load<i32>(r + RU_SUPPRESS_PLEN) == -1 && load<i32>(r + RU_SUPPRESS_IFGROUP) == -1) v = local ? PATH_LOCAL_MAIN : PATH_MAIN;
      break;
    }
    if (tbid == RT_TABLE_LOCAL) local = true;
    else {
      const t = tableGet(AF_INET, tbid);
      if (t != 0 && load<u32>(t + TB_COUNT) != 0) break;
    }
    // the table has no route for the destination: -EAGAIN, the next rule
  }
  if (memo) {
    pathList = list;
    pathGen = gen;
    pathIif = iif;
    pathOif = oif;
    pathMark = mark;
    pathSrc = src;
    pathTosProto = tp;
    pathVal = v;
  } else pathList = 0;
  return v;
}

/**
 * fib4_burst_route for the burst's `j`-th destination, once fib4_burst_ready() said yes for the burst:
 * main's route alias when the table lookup for an input flow with TOS `tos` ends at it (one route for
 * the prefix, nothing in local, unicast, its dscp fits, alive: its one next hop, or one of several, for
 * fib4_mp_pick), else 0 (the caller asks the route cache).
 */
@inline export function fib4BurstRouteAt(j: u32, tos: u32): u32 {
  const h = fib4BurstMainAt(j);
  if (fib4BurstLocalAt(j) != 0) return 0;
  return burstAliasOk(h, tos);
}

/** Main's route handle `h` as fib4BurstRouteAt takes it (one route, unicast, dscp, alive): its alias, else 0. */
@inline function burstAliasOk(h: u32, tos: u32): u32 {
  if ((h & 1) == 0) return 0;
  const fa = h & ~1;
  const dscp = <u32>load<u8>(fa + FA_DSCP);
  if (dscp != 0 && dscp != (tos & DSCP_LEGACY_MASK)) return 0;
  const nhs = load<u32>(fa + FA_NHS);
  if (<u32>load<u8>(fa + FA_TYPE) != RTN_UNICAST || nhs == 0) return 0;
  // one next hop: it must be alive; several (fib4_mp_pick chooses): one of them must be
  if (((load<u32>(fa + FA_FLAGS) | (nhs == 1 ? load<u32>(fa + FA_NH + NH_FLAGS) : 0)) & RTNH_F_DEAD) != 0) return 0;
  return fa;
}

/**
 * The next hop fib4_lookup's path selection gives for the unicast multipath route `fa` (not dead, no
 * oif) and flow key `fl`: fib_select_multipath over mp_hash4(fl) and the flow's source, starting from
 * the first next hop alive (what the table lookup chose), as fib4_select_path does on that result. The
 * next hop's index, or -1 with net.ipv4.fib_multipath_use_neigh set (the neighbours decide: the full
 * path).
 */
export function fib4_mp_pick(fa: u32, fl: u32): i32 {
  const first = mpFirstAlive(fa);
  if (first < 0) return -1;
  const saddr = load<u32>(fl + FL_SRC);
  // the hash reads the addresses alone under the usual policies: from registers (mp_hash4_addrs)
  const hash = mp_hash4_addrs_only() ? mp_hash4_addrs(saddr, load<u32>(fl + FL_DST)) : mp_hash4(fl);
  return mpChoose(fa, <i32>hash, saddr, first);
}

/**
 * fib4_mp_pick for a flow key whose source and destination are `saddr`, `daddr` when
 * mp_hash4_addrs_only() (nothing else of the key decides): the same answer, with no key written.
 */
export function fib4_mp_pick_addrs(fa: u32, saddr: u32, daddr: u32): i32 {
  const first = mpFirstAlive(fa);
  if (first < 0) return -1;
  return mpChoose(fa, <i32>mp_hash4_addrs(saddr, daddr), saddr, first);
}

/** fib4_mp_pick_addrs with the hash of the flow's addresses already worked out (`hash`: mp_hash4_addrs's, e.g. mp_hash4_addrs_many's). */
export function fib4_mp_pick_hashed(fa: u32, hash: u32, saddr: u32): i32 {
  const first = mpFirstAlive(fa);
  if (first < 0) return -1;
  return mpChoose(fa, <i32>hash, saddr, first);
}

/**
 * The table lookup's next hop of multipath route `fa` (the first not dead), or -1 when none is or
 * net.ipv4.fib_multipath_use_neigh is set (fib4_mp_pick's answer before the hash).
 */
@inline function mpFirstAlive(fa: u32): i32 {
  if (sysctl(SYSCTL_FIB_MULTIPATH_USE_NEIGH) != 0) return -1;
  const nhs = load<u32>(fa + FA_NHS);
  for (let k: u32 = 0; k < nhs; k++) {
    if ((load<u32>(fa + FA_NH + k * NH_SIZE + NH_FLAGS) & RTNH_F_DEAD) == 0) return <i32>k;
  }
  return -1;
}

/**
 * fib_select_multipath's choice among `fa`'s next hops for `hash` (≥ 0) and source `saddr`, the table
 * lookup having chosen `first`. The answer is the first next hop alive with the best score. When no
 * next hop alive has the flow's source as its nh_saddr (a forwarded flow's source is not ours), the
 * scores are 0 or 1: the first alive whose upper bound the hash is under (a dead one's bound, -1, is
 * under no hash), else the first alive — found without scoring them all. When every next hop has the
 * same nh_saddr (FA_NH_SADDR_ONE: next hops through one device), the flow's source adds 2 to every
 * score or to none, so the order is the same either way and no next hop is asked.
 */
function mpChoose(fa: u32, hash: i32, saddr: u32, first: i32): i32 {
  const nhs = load<u32>(fa + FA_NHS);
  let own = false;
  if (saddr != 0 && load<u8>(fa + FA_NH_SADDR_ONE) == 0) {
    for (let k: u32 = 0; k < nhs; k++) {
      const nh = fa + FA_NH + k * NH_SIZE;
      if (load<u32>(nh + NH_SADDR) == saddr && load<i32>(nh + NH_UPPER) != -1) {
        own = true;
        break;
      }
    }
  }
  if (!own) {
    for (let k: u32 = 0; k < nhs; k++) {
      if (hash <= load<i32>(fa + FA_NH + k * NH_SIZE + NH_UPPER)) return <i32>k;
    }
    for (let k: u32 = 0; k < nhs; k++) {
      if (load<i32>(fa + FA_NH + k * NH_SIZE + NH_UPPER) != -1) return <i32>k;
    }
    return first;
  }
  let pick = first;
  let score: i32 = -1;
  for (let k: u32 = 0; k < nhs; k++) {
    const nh = fa + FA_NH + k * NH_SIZE;
    const ub = load<i32>(nh + NH_UPPER);
    if (ub == -1) continue;
    let sc: i32 = 0;
    if (load<u32>(nh + NH_SADDR) == saddr) sc += 2;
    if (hash <= ub) sc++;
    if (score < sc) {
      pick = <i32>k;
      if (sc == 3) return pick;
      score = sc;
    }
  }
  return pick;
}

// ---- Rules (fib_rules_lookup, fib4_rule_match / fib6_rule_match) ----

function prefixMatch(a: usize, b: usize, len: u32): bool {
  const full = len >> 3;
  for (let i: u32 = 0; i < full; i++) if (load<u8>(a + i) != load<u8>(b + i)) return false;
  const rem = len & 7;
  if (rem == 0) return true;
  const m = <u8>(<u32>0xff << (8 - rem));
  return ((load<u8>(a + full) ^ load<u8>(b + full)) & m) == 0;
}

/** prefixMatch for IPv4 (the 4 bytes at `a` and `b`, network order): one masked compare, no loop. */
@inline function prefixMatch4(a: usize, b: usize, len: u32): bool {
  const mask: u32 = len >= 32 ? 0xffffffff : ~(0xffffffff >> len); // the first `len` bits, host order
  return ((bswap<u32>(load<u32>(a)) ^ bswap<u32>(load<u32>(b))) & mask) == 0;
}

@inline function ruleMatch(r: u32, fl: u32, family: u32, hasSaddr: bool): bool {
  let ok = ruleMatchInner(r, fl, family, hasSaddr);
  if (load<u8>(r + RU_INVERT)) ok = !ok;
  return ok;
}

@inline function ruleMatchInner(r: u32, fl: u32, family: u32, hasSaddr: bool): bool {
  const iif = load<i32>(r + RU_IIF);
  if (iif != 0 && iif != load<i32>(fl + FL_IIF)) return false;
  const oif = load<i32>(r + RU_OIF);
  if (oif != 0 && oif != load<i32>(fl + FL_OIF)) return false;
  if (((load<u32>(r + RU_MARK) ^ load<u32>(fl + FL_MARK)) & load<u32>(r + RU_MARK_MASK)) != 0) return false;
  const uid = load<u32>(fl + FL_UID);
  if (uid < load<u32>(r + RU_UID_LO) || uid > load<u32>(r + RU_UID_HI)) return false;
  const slen = <u32>load<u8>(r + RU_SRC_LEN);
  const dlen = <u32>load<u8>(r + RU_DST_LEN);
  if (family == AF_INET) {
    if (slen != 0 && !prefixMatch4(fl + FL_SRC, r + RU_SRC, slen)) return false;
    if (dlen != 0 && !prefixMatch4(fl + FL_DST, r + RU_DST, dlen)) return false;
    const dscp = load<u8>(r + RU_DSCP);
    if (dscp != 0 && dscp != (load<u8>(fl + FL_TOS) & DSCP_LEGACY_MASK)) return false;
  } else {
    if (dlen != 0 && !prefixMatch(fl + FL_DST, r + RU_DST, dlen)) return false;
    // without a source address the kernel defers the source check only for FIB_RULE_FIND_SADDR
    // rules, which iproute2 never creates: such a rule does not match
    if (slen != 0 && (!hasSaddr || !prefixMatch(fl + FL_SRC, r + RU_SRC, slen))) return false;
    // ip6_dscp(flowlabel): the traffic class's DSCP bits from the flowinfo word
    const dscp = load<u8>(r + RU_DSCP);
    if (dscp != 0) {
      const tclass = <u8>((bswap<u32>(load<u32>(fl + FL_LABEL)) >> 20) & 0xfc);
      if (dscp != tclass) return false;
    }
  }
  const proto = load<u8>(r + RU_PROTO);
  if (proto != 0 && proto != load<u8>(fl + FL_PROTO)) return false;
  const slo = <u32>load<u16>(r + RU_SPORT_LO);
  const shi = <u32>load<u16>(r + RU_SPORT_HI);
  if (slo != 0 && shi != 0) {
    const p = <u32>bswap<u16>(load<u16>(fl + FL_SPORT));
    if (p < slo || p > shi) return false;
  }
  const dlo = <u32>load<u16>(r + RU_DPORT_LO);
  const dhi = <u32>load<u16>(r + RU_DPORT_HI);
  if (dlo != 0 && dhi != 0) {
    const p = <u32>bswap<u16>(load<u16>(fl + FL_DPORT));
    if (p < dlo || p > dhi) return false;
  }
  return true;
}

// ---- The rule memo (IPv4): which rules match, remembered for the next flow with the same selectors ----
//
// A rule list is walked in order, each rule tested against the flow (fib_rule_match) until one decides:
// with many rules that is most of a lookup (100 rules: 100 tests per frame). Whether a rule matches
// depends only on the flow's fields its selectors read; when no rule of the list reads a field that
// changes from flow to flow within a burst of one sender (destination, ports: memo off for such lists),
// the answers for one flow are the answers for every flow with the same iif, oif, mark, source, tos
// and protocol — so they are kept as a bitmap (rule i matches: bit i), and the walk visits only the
// matching rules, in the same order, with the same actions (goto included: it lands on its target and
// goes on from there). What the lookup returns is exactly what the full walk returns. The memo is per
// worker (wasm globals: per instance) and keyed on the published list and the FIB generation, so any
// change to rules or routes (or a list reused at the same address) starts it afresh.

const MEMO_MAX_RULES: u32 = 256;
let memoList: u32 = 0;
let memoGen: u32 = 0;
/** 0: the list reads per-flow fields (no memo); 1: usable, nothing remembered yet; 2: a flow remembered. */
let memoState: u32 = 0;
let memoIif: u32 = 0;
let memoOif: u32 = 0;
let memoMark: u32 = 0;
let memoSrc: u32 = 0;
let memoTos: u32 = 0;
let memoProto: u32 = 0;
let memoBits0: u64 = 0;
let memoBits1: u64 = 0;
let memoBits2: u64 = 0;
let memoBits3: u64 = 0;

// The memo's second flow (the one answered before the current one), valid for the same list and generation.
let memo2Valid: bool = false;
let memo2Iif: u32 = 0;
let memo2Oif: u32 = 0;
let memo2Mark: u32 = 0;
let memo2Src: u32 = 0;
let memo2Tos: u32 = 0;
let memo2Proto: u32 = 0;
let memo2Bits0: u64 = 0;
let memo2Bits1: u64 = 0;
let memo2Bits2: u64 = 0;
let memo2Bits3: u64 = 0;

/** The memo's two flows exchange places (the current one's fields are the memo* globals). */
function memoSwap(): void {
  let t: u32 = memoIif; memoIif = memo2Iif; memo2Iif = t;
  t = memoOif; memoOif = memo2Oif; memo2Oif = t;
  t = memoMark; memoMark = memo2Mark; memo2Mark = t;
  t = memoSrc; memoSrc = memo2Src; memo2Src = t;
  t = memoTos; memoTos = memo2Tos; memo2Tos = t;
  t = memoProto; memoProto = memo2Proto; memo2Proto = t;
  let b: u64 = memoBits0; memoBits0 = memo2Bits0; memo2Bits0 = b;
  b = memoBits1; memoBits1 = memo2Bits1; memo2Bits1 = b;
  b = memoBits2; memoBits2 = memo2Bits2; memo2Bits2 = b;
  b = memoBits3; memoBits3 = memo2Bits3; memo2Bits3 = b;
}

/**
 * Make the memo answer for `fl` on rule list `list` (`n` rules): true when it does (the bitmap is that
 * flow's), false when this list cannot be memoized (walk it rule by rule).
 */
function ruleMemo4(list: u32, n: u32, fl: u32): bool {
  if (n > MEMO_MAX_RULES) return false;
  const gen = fibGen();
  if (list != memoList || gen != memoGen) {
    memoList = list;
    memoGen = gen;
    memoState = 1;
    memo2Valid = false;
    for (let i: u32 = 0; i < n; i++) {
      const r = list + RULES_HEADER + i * RULE_SIZE;
      // destination prefixes and port ranges differ flow by flow: such a list is walked as it is
      if (load<u8>(r + RU_DST_LEN) != 0 || (load<u16>(r + RU_SPORT_LO) != 0 && load<u16>(r + RU_SPORT_HI) != 0) ||
        (load<u16>(r + RU_DPORT_LO) != 0 && load<u16>(r + RU_DPORT_HI) != 0)) {
        memoState = 0;
        break;
      }
    }
  }
  if (memoState == 0) return false;
  const iif = load<u32>(fl + FL_IIF);
  const oif = load<u32>(fl + FL_OIF);
  const mark = load<u32>(fl + FL_MARK);
  const src = load<u32>(fl + FL_SRC);
  const tos = <u32>load<u8>(fl + FL_TOS);
  const proto = <u32>load<u8>(fl + FL_PROTO);
  if (memoState == 2 && iif == memoIif && oif == memoOif && mark == memoMark && src == memoSrc && tos == memoTos && proto == memoProto) return true;
  // the flow before it (a forward lookup and fib_validate_source's reverse one alternate): swapped in
  if (memoState == 2 && memo2Valid && iif == memo2Iif && oif == memo2Oif && mark == memo2Mark && src == memo2Src && tos == memo2Tos && proto == memo2Proto) {
    memoSwap();
    return true;
  }
  if (memoState == 2) {
    memoSwap();
    memo2Valid = true;
  }
  let b0: u64 = 0;
  let b1: u64 = 0;
  let b2: u64 = 0;
  let b3: u64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    if (!ruleMatch(list + RULES_HEADER + i * RULE_SIZE, fl, AF_INET, true)) continue;
    const bit = <u64>1 << <u64>(i & 63);
    const w = i >> 6;
    if (w == 0) b0 |= bit;
    else if (w == 1) b1 |= bit;
    else if (w == 2) b2 |= bit;
    else b3 |= bit;
  }
  memoBits0 = b0;
  memoBits1 = b1;
  memoBits2 = b2;
  memoBits3 = b3;
  memoIif = iif;
  memoOif = oif;
  memoMark = mark;
  memoSrc = src;
  memoTos = tos;
  memoProto = proto;
  memoState = 2;
  return true;
}

/** The first rule at or after `i` the memo says matches, `n` when none. */
@inline function memoNext(i: u32, n: u32): u32 {
  for (let w = i >> 6; w < 4; w++) {
    const word = w == 0 ? memoBits0 : w == 1 ? memoBits1 : w == 2 ? memoBits2 : memoBits3;
    const m = w == (i >> 6) ? word & (<u64>-1 << <u64>(i & 63)) : word;
    if (m != 0) {
      const j = (w << 6) + <u32>ctz<u64>(m);
      return j < n ? j : n;
    }
  }
  return n;
}

// ---- How the rules see a flow's source (fib_validate_source's reverse route memo, ipv4_rcv.ts) ----
//
// A rule reads the source only through "is it inside my source prefix". Every rule's source prefix lies
// inside their longest common prefix (the bound below), so for every source outside the bound each
// rule's source test fails: all such sources are one class, and a lookup's answer for one of them is
// the answer for any other with the same remaining fields. Computed once per rule list and FIB
// generation (per worker: wasm globals).

let boundList: u32 = 0;
let boundGen: u32 = 0;
let boundSet: bool = false;
/** The bound, host order and masked; its length (-1: no rule reads the source). */
let boundAddr: u32 = 0;
let boundLen: i32 = -1;
/** A rule reads ports (a per-flow field the memo's key does not hold). */
let boundPorts: bool = false;

/**
 * The class of source `a` (network order) for the IPv4 rules as a lookup walks them now: 1 when no rule
 * can match on it (outside the bound, or no rule reads the source, or no rule was ever added: the
 * merged lookup reads no source), 0 when it is inside the bound (its own class: the address itself),
 * -1 when a rule reads ports (sport/dport ranges), which the caller's key does not hold.
 */
export function fib4RuleSrcClass(a: u32): i32 {
  const root = fibRoot();
  if (root == 0 || (load<u32>(root + FRT_FLAGS) & FIBF_CUSTOM4) == 0) return 1;
  const list = load<u32>(root + FRT_RULES4);
  if (list == 0) return 1;
  const gen = fibGen();
  if (!boundSet || list != boundList || gen != boundGen) {
    const n = load<u32>(list);
    let len: i32 = -1;
    let addr: u32 = 0;
    let ports = false;
    for (let i: u32 = 0; i < n; i++) {
      const r = list + RULES_HEADER + i * RULE_SIZE;
      if ((load<u16>(r + RU_SPORT_LO) != 0 && load<u16>(r + RU_SPORT_HI) != 0) || (load<u16>(r + RU_DPORT_LO) != 0 && load<u16>(r + RU_DPORT_HI) != 0)) ports = true;
      const slen = <i32>load<u8>(r + RU_SRC_LEN);
      if (slen == 0) continue;
      const m: u32 = slen >= 32 ? 0xffffffff : ~(<u32>0xffffffff >> <u32>slen);
      const p = bswap<u32>(load<u32>(r + RU_SRC)) & m;
      if (len < 0) {
        addr = p;
        len = slen;
        continue;
      }
      // the common prefix of the bound and this one
      let l: i32 = slen < len ? slen : len;
      const d = addr ^ p;
      if (d != 0) {
        const c = <i32>clz<u32>(d);
        if (c < l) l = c;
      }
      len = l;
      addr &= l == 0 ? 0 : ~(<u32>0xffffffff >> <u32>l);
    }
    boundList = list;
    boundGen = gen;
    boundAddr = addr;
    boundLen = len;
    boundPorts = ports;
    boundSet = true;
  }
  if (boundPorts) return -1;
  if (boundLen < 0) return 1;
  const m: u32 = boundLen >= 32 ? 0xffffffff : boundLen == 0 ? 0 : ~(<u32>0xffffffff >> <u32>boundLen);
  return ((bswap<u32>(a) ^ boundAddr) & m) == 0 ? 0 : 1;
}

/**
 * fib_rules_lookup for `family` (the rule list at `rules`): 0 with the result, or the error of the
 * rule that decided; -ESRCH is returned as -ENETUNREACH (__fib_lookup). For IPv6, `hasSaddr` is
 * RT6_LOOKUP_F_HAS_SADDR and the table lookup is fib6_table_lookup.
 */
function rulesLookup(family: u32, fl: u32, res: u32, hasSaddr: bool): i32 {
  const list = load<u32>(fibRoot() + (family == AF_INET ? FRT_RULES4 : FRT_RULES6));
  if (list == 0) return ENETUNREACH;
  const n = load<u32>(list);
  const memo = family == AF_INET && ruleMemo4(list, n, fl);
  for (let i = ruleDecider(list, n, 0, memo, fl, family, hasSaddr); i < n; i = ruleDecider(list, n, i + 1, memo, fl, family, hasSaddr)) {
    const r = list + RULES_HEADER + i * RULE_SIZE;
    const action = load<u32>(r + RU_ACTION);
    let err: i32;
    if (action == FR_ACT_TO_TBL) {
      const tbid = load<u32>(r + RU_TABLE);
      if (family == AF_INET) {
        const t = tableGet(family, tbid);
        err = t == 0 ? EAGAIN : tableLookup(t, 0, fl, res);
      } else {
        err = fib6RuleTable(tbid, fl, res, hasSaddr);
      }
    } else if (action == FR_ACT_UNREACHABLE) err = ENETUNREACH;
    else if (action == FR_ACT_PROHIBIT) err = EACCES;
    else err = EINVAL;
    // the stack's IPv6 lookups (__fib6_rule_action): a throw route's dst.error is -EAGAIN, on to the next
    // rule, as IPv4's fib_table_lookup does with fib_props; the fib6_result path bpf_fib_lookup takes
    // (fib6_rule_action_alt) returns it as the result (BPF_FIB_LKUP_RET_NOT_FWDED)
    if (err == 0 && family == AF_INET6 && rule6Suppress && <u32>load<u8>(res + FR_TYPE) == RTN_THROW) continue;
    if (err == 0 && (family == AF_INET || rule6Suppress) && ruleSuppress(r, res, family)) continue;
    if (err != EAGAIN) return err;
  }
  return ENETUNREACH;
}

/**
 * From rule `i` on, the first rule the flow matches (the memo's, when `memo`) whose action decides —
 * goto followed (the kernel jumps to the target and tests it at once, "goto jumped"; a goto to a
 * deleted target falls through), nop passed over — or `n`. The walks of rulesLookup and rulesBurst4.
 * A goto loop cannot be published (the control plane refuses a goto backwards), but the walk is bounded.
 */
@inline function ruleDecider(list: u32, n: u32, i: u32, memo: bool, fl: u32, family: u32, hasSaddr: bool): u32 {
  for (let steps: u32 = 0; steps <= n; steps++) {
    if (memo) i = memoNext(i, n);
    if (i >= n) return n;
    const r = list + RULES_HEADER + i * RULE_SIZE;
    if (!memo && !ruleMatch(r, fl, family, hasSaddr)) {
      i++;
      continue;
    }
    const action = load<u32>(r + RU_ACTION);
    if (action == FR_ACT_GOTO) {
      const target = load<i32>(r + RU_TARGET);
      i = target < 0 ? i + 1 : <u32>target;
      continue;
    }
    if (action != FR_ACT_NOP) return i;
    i++;
  }
  return n;
}

/**
 * fib4_rule_suppress / fib6_rule_suppress: a result no longer than suppress_prefixlength is not taken,
 * nor one whose device is in the group suppress_ifgroup names — for IPv4 the device of the route's
 * first next hop (fib_info_nhc(fi, 0)), for IPv6 the chosen one's (a reject route's: loopback). Every
 * wxdp link is in group 0, "default" (dp.links has no `group` yet): suppress_ifgroup default suppresses
 * every result with a device, any other group none.
 */
function ruleSuppress(r: u32, res: u32, family: u32): bool {
  if (<i32>load<u8>(res + FR_PREFIXLEN) <= load<i32>(r + RU_SUPPRESS_PLEN)) return true;
  const group = load<i32>(r + RU_SUPPRESS_IFGROUP);
  if (group == -1) return false;
  let dev: u32 = load<u32>(res + FR_OIF);
  if (family == AF_INET) {
    const fa = load<u32>(res + FR_INFO);
    dev = load<u32>(fa + FA_NHS) == 0 ? 0 : load<u32>(fa + FA_NH + NH_OIF);
  }
  return dev != 0 && netdevGet(dev) != 0 && DEV_GROUP_DEFAULT == <u32>group;
}

/** The group of every device (dev->group): INIT_NETDEV_GROUP. */
const DEV_GROUP_DEFAULT: u32 = 0;

/**
 * fib_lookup for IPv4 without path selection (what __fib_lookup returns): 0 with the result, or
 * -ENETUNREACH, -EHOSTUNREACH, -EACCES, -EINVAL.
 */
export function fib4_lookup_nopath(fl: u32, res: u32): i32 {
  return lookup4NoPath(fl, res);
}

/** Set while a lookup runs whose destination is none of the burst's (fib4_lookup_nopath_cold). */
let offBurst: bool = false;

/**
 * fib4_lookup_nopath for a destination that is not one of the burst's (fib_validate_source's reverse
 * lookup: the frame's source): the same answer, without searching the burst's walk for it
 * (fib4BurstHandles goes round the whole burst before it says no).
 */
export function fib4_lookup_nopath_cold(fl: u32, res: u32): i32 {
  offBurst = true;
  const err = lookup4NoPath(fl, res);
  offBurst = false;
  return err;
}

/** fib4_lookup_nopath's body, inlined into fib4_lookup and bpf_fib_lookup. */
@inline export function lookup4NoPath(fl: u32, res: u32): i32 {
  const root = fibRoot();
  if (root == 0) return ENETUNREACH;
  let err: i32;
  if ((load<u32>(root + FRT_FLAGS) & FIBF_CUSTOM4) == 0) {
    if (mergedBurst4(root, fl, res)) return 0;
    // no custom rules: main (merged with local), then default only when main has nothing (6.x
    // fib_lookup: a reject route in main answers, it does not fall through as it once did)
    err = mergedLookup4(fl, res);
    if (err != EAGAIN) return err;
    const d = tableGet(AF_INET, RT_TABLE_DEFAULT);
    if (d != 0) err = tableLookup(d, 0, fl, res);
    return err == EAGAIN ? ENETUNREACH : err;
  }
  err = rulesLookup(AF_INET, fl, res, true);
  return err == EAGAIN ? ENETUNREACH : err;
}

// ---- Path selection (fib_select_path, fib_select_multipath; fib6_select_path) ----

/**
 * fib_good_nh (fib_multipath_use_neigh): a link-scope next hop whose neighbour entry exists but is not
 * NUD_VALID is not used; no entry, or a gateway further away, counts as reachable.
 */
function goodNh(nh: u32): bool {
  let state: u32 = NUD_REACHABLE;
  if (<u32>load<u8>(nh + NH_SCOPE) == RT_SCOPE_LINK) {
    const gwf = <u32>load<u8>(nh + NH_GW_FAMILY);
    if (gwf == AF_INET || gwf == AF_INET6) {
      const n = neigh_lookup(gwf, load<u32>(nh + NH_OIF), nh + NH_GW);
      if (n != 0) state = load<u8>(n + NE_STATE);
    }
  }
  return (state & NUD_VALID) != 0;
}

/**
 * fib_select_multipath (6.18, "restore ECMP balance from loopback"): next hops alive (upper bound ≠ -1)
 * and, with net.ipv4.fib_multipath_use_neigh, with a usable neighbour, are scored: 2 when the flow's
 * source is the next hop's own source address (nh_saddr), 1 more when the hash falls under its upper
 * bound; the first best wins, a 3 (or a 1 without a source) at once. When none is alive the result
 * keeps the next hop the table lookup chose.
 */
function selectMultipath(res: u32, hash: i32, saddr: u32): void {
  const fa = load<u32>(res + FR_INFO);
  const nhs = load<u32>(fa + FA_NHS);
  const useNeigh = sysctl(SYSCTL_FIB_MULTIPATH_USE_NEIGH) != 0;
  let score: i32 = -1;
  for (let k: u32 = 0; k < nhs; k++) {
    const nh = fa + FA_NH + k * NH_SIZE;
    const ub = load<i32>(nh + NH_UPPER);
    if (ub == -1 || (useNeigh && !goodNh(nh))) continue;
    let s: i32 = 0;
    if (saddr != 0 && load<u32>(nh + NH_SADDR) == saddr) s += 2;
    if (hash <= ub) s++;
    if (score < s) {
      nhResult(res, fa, k);
      if (s == 3 || (saddr == 0 && s == 1)) return;
      score = s;
    }
  }
}

/** fib_select_path for IPv4 (no packet): the multipath hash over the flow key picks the next hop. */
export function fib4_select_path(fl: u32, res: u32): void {
  if (load<u32>(fl + FL_OIF) != 0) return;
  const fa = load<u32>(res + FR_INFO);
  if (load<u32>(fa + FA_NHS) > 1) selectMultipath(res, <i32>mp_hash4(fl), load<u32>(fl + FL_SRC));
}

/**
 * fib_select_default, as fib_select_path calls it for a locally generated packet (no oif): the result
 * is a single-path unicast default route and its table has more than one default route. Among the
 * default routes of the result's metric (and dscp), unicast, of its scope, through a gateway on the
 * link, in list order, the first whose gateway's neighbour is not dead (fib_detect_death: no entry,
 * or REACHABLE, or valid and not the one chosen last time) replaces the result; when all look dead,
 * the last resort (a valid one, or one past the last choice not INCOMPLETE). The choice is kept in
 * the first route's FA_DEFAULT, as the kernel keeps it in fa_default. Not for forwarded packets.
 */
export function fib_select_default(fl: u32, res: u32): void {
  if (load<u32>(fl + FL_OIF) != 0 || load<u8>(res + FR_PREFIXLEN) != 0 || <u32>load<u8>(res + FR_TYPE) != RTN_UNICAST) return;
  const resFi = load<u32>(res + FR_INFO);
  if (load<u32>(resFi + FA_NHS) != 1) return;
  const tbid = load<u32>(res + FR_TABLE);
  const t = tableGet(AF_INET, tbid);
  if (t == 0) return;
  store<u64>(maskBuf(), 0);
  store<u64>(maskBuf() + 8, 0);
  const px = pxFind(t, 0);
  if (px == 0) return;
  const list = load<u32>(px + PX_ALIASES);
  const n: u32 = list == 0 ? 0 : load<u32>(list);
  if (n < 2) return; // tb_num_default
  const flDscp = load<u8>(fl + FL_TOS) & DSCP_LEGACY_MASK;
  const scope = load<u8>(res + FR_SCOPE);
  let fi: u32 = 0;
  let fa1: u32 = 0;
  let order: i32 = -1;
  lastResort = 0;
  lastIdx = -1;
  let lastPrio = load<u32>(resFi + FA_PRIORITY);
  let lastDscp: u8 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const fa = load<u32>(list + 8 + (i << 2));
    const dscp = load<u8>(fa + FA_DSCP);
    if (dscp != 0 && dscp != flDscp) continue;
    if (load<u32>(fa + FA_TABLE) != tbid) continue;
    if (load<u32>(fa + FA_PRIORITY) > lastPrio && dscp == lastDscp) {
      if (lastDscp != 0) continue;
      break;
    }
    if (load<u32>(fa + FA_FLAGS) & RTNH_F_DEAD) continue;
    lastDscp = dscp;
    lastPrio = load<u32>(fa + FA_PRIORITY);
    if (load<u8>(fa + FA_SCOPE) != scope || <u32>load<u8>(fa + FA_TYPE) != RTN_UNICAST) continue;
    const nh = fa + FA_NH;
    if (load<u8>(nh + NH_GW_FAMILY) == 0 || <u32>load<u8>(nh + NH_SCOPE) != RT_SCOPE_LINK) continue;
    if (fi == 0) {
      if (fa != resFi) break;
      fa1 = fa;
    } else if (!detectDeath(fi, order, load<i32>(fa1 + FA_DEFAULT))) {
      defaultAssign(res, fi);
      store<i32>(fa1 + FA_DEFAULT, order);
      return;
    }
    fi = fa;
    order++;
  }
  if (order <= 0 || fi == 0) {
    if (fa1 != 0) store<i32>(fa1 + FA_DEFAULT, -1);
    return;
  }
  if (!detectDeath(fi, order, load<i32>(fa1 + FA_DEFAULT))) {
    defaultAssign(res, fi);
    store<i32>(fa1 + FA_DEFAULT, order);
    return;
  }
  if (lastIdx >= 0) defaultAssign(res, lastResort);
  store<i32>(fa1 + FA_DEFAULT, lastIdx);
}

// fib_detect_death's out parameters (per instance, so per worker)
let lastResort: u32 = 0;
let lastIdx: i32 = -1;

/** fib_detect_death: true when the first next hop's gateway looks dead (and maybe the last resort). */
function detectDeath(fi: u32, order: i32, dflt: i32): bool {
  const nh = fi + FA_NH;
  const gwf = <u32>load<u8>(nh + NH_GW_FAMILY);
  const n = gwf == AF_INET || gwf == AF_INET6 ? neigh_lookup(gwf, load<u32>(nh + NH_OIF), nh + NH_GW) : 0;
  if (n == 0) return false;
  const state = <u32>load<u8>(n + NE_STATE);
  if (state == NUD_REACHABLE) return false;
  if ((state & NUD_VALID) != 0 && order != dflt) return false;
  if ((state & NUD_VALID) != 0 || (lastIdx < 0 && order > dflt && state != NUD_INCOMPLETE)) {
    lastResort = fi;
    lastIdx = order;
  }
  return true;
}

/** fib_result_assign: the result takes route `fa` (its first next hop). */
function defaultAssign(res: u32, fa: u32): void {
  store<u32>(res + FR_INFO, fa);
  nhResult(res, fa, 0);
}

/**
 * fib_info_update_nhc_saddr: next hop `k` of alias `fa`'s source, inet_select_addr(dev, gw, the
 * route's scope) — for an IPv6 gateway the kernel passes the first four bytes of the address as it
 * lies in the union, and so does this. Stored with the generation it was computed at.
 */
function nhSaddrUpdate(fa: u32, k: u32): u32 {
  const saddr = nhSaddrWrite(fa, k);
  nhSaddrSummary(fa);
  return saddr;
}

/** nhSaddrUpdate without the record's summary (fib_nh_saddr_init sums up once after all). */
function nhSaddrWrite(fa: u32, k: u32): u32 {
  const nh = fa + FA_NH + k * NH_SIZE;
  const saddr = inet_select_addr(load<u32>(nh + NH_OIF), load<u32>(nh + NH_GW), load<u8>(fa + FA_SCOPE));
  store<u32>(nh + NH_SADDR, saddr);
  store<u32>(nh + NH_SADDR_GEN, fibGen());
  return saddr;
}

/**
 * After a next hop's nh_saddr of `fa` changed: FA_NH_SADDR_ONE says whether they all share one
 * (mpChoose then need not compare a flow's source with each). Cleared first, so a reader between
 * the stores asks each next hop.
 */
function nhSaddrSummary(fa: u32): void {
  store<u8>(fa + FA_NH_SADDR_ONE, 0);
  const nhs = load<u32>(fa + FA_NHS);
  if (nhs == 0) return;
  const v = load<u32>(fa + FA_NH + NH_SADDR);
  for (let k: u32 = 1; k < nhs; k++) if (load<u32>(fa + FA_NH + k * NH_SIZE + NH_SADDR) != v) return;
  store<u8>(fa + FA_NH_SADDR_ONE, 1);
}

/** What fib_create_info does for every next hop of a new IPv4 route: its nh_saddr. */
export function fib_nh_saddr_init(fa: u32): void {
  const nhs = load<u32>(fa + FA_NHS);
  for (let k: u32 = 0; k < nhs; k++) nhSaddrWrite(fa, k);
  nhSaddrSummary(fa);
}

/**
 * fib_result_prefsrc: the route's prefsrc, else the chosen next hop's nh_saddr — recomputed when the
 * FIB changed since (the kernel recomputes when an address changed; between address changes the
 * answer is the same, so a newer generation only costs a recomputation).
 */
export function fib_result_prefsrc(res: u32): u32 {
  const fa = load<u32>(res + FR_INFO);
  if (load<u8>(fa + FA_HAS_PREFSRC)) return load<u32>(fa + FA_PREFSRC);
  const k = load<u32>(res + FR_NH_INDEX);
  if (k >= load<u32>(fa + FA_NHS)) return 0;
  const nh = fa + FA_NH + k * NH_SIZE;
  if (load<u32>(nh + NH_SADDR_GEN) == fibGen()) return load<u32>(nh + NH_SADDR);
  return nhSaddrUpdate(fa, k);
}

/**
 * fib_lookup for IPv4: rules, then tables, then the next hop (multipath hash over the flow key).
 * 0 with the result at `res`, or -101 (ENETUNREACH: no route, unreachable), -113 (EHOSTUNREACH),
 * -13 (EACCES: prohibit), -22 (EINVAL: blackhole), as the kernel.
 */
export function fib4_lookup(fl: u32, res: u32): i32 {
  const err = lookup4NoPath(fl, res);
  if (err != 0) return err;
  store<u8>(res + FR_FAMILY, <u8>AF_INET);
  fib4_select_path(fl, res);
  return 0;
}

/**
 * inet_addr_type_dev_table: the route type (RTN_LOCAL, RTN_BROADCAST, RTN_UNICAST, ...) of IPv4 `addr`
 * (network order u32) in table local, as ARP and receive need it; RTN_UNICAST when nothing matches.
 * `ifindex` 0: any device; else a route through another device counts as unicast.
 */
export function fib4_local_type(addr: u32, ifindex: u32): u32 {
  const h = bswap<u32>(addr);
  if (h == 0 || h == 0xffffffff) return RTN_BROADCAST;
  if ((h & 0xf0000000) == 0xe0000000) return RTN_MULTICAST;
  if (fibRoot() == 0) return RTN_UNICAST;
  memory.fill(typeFl(), 0, FL_SIZE);
  store<u32>(typeFl() + FL_DST, addr);
  store<u8>(typeFl() + FL_FAMILY, <u8>AF_INET);
  if (fib_table_lookup(AF_INET, RT_TABLE_LOCAL, typeFl(), typeRes()) != 0) return RTN_UNICAST;
  // the first next hop's device decides (fib_info_nhc(res.fi, 0))
  const fa = load<u32>(typeRes() + FR_INFO);
  if (ifindex != 0 && (load<u32>(fa + FA_NHS) == 0 || load<u32>(fa + FA_NH + NH_OIF) != ifindex)) return RTN_UNICAST;
  return load<u8>(typeRes() + FR_TYPE);
}

/**
 * __ip_dev_find: the device of local address `addr` (network order u32) — its route's in table local
 * (the address's own device; lo for the rest of 127/8) — 0 when it is not local.
 */
export function fib4_local_dev(addr: u32): u32 {
  if (fib4_local_type(addr, 0) != RTN_LOCAL) return 0;
  const fa = load<u32>(typeRes() + FR_INFO);
  return load<u32>(fa + FA_NHS) == 0 ? 0 : load<u32>(fa + FA_NH + NH_OIF);
}

/** inet_addr_type_table for table `id` (fib_valid_prefsrc): the type of `addr`, RTN_UNICAST when none. */
export function fib4_addr_type_table(addr: u32, id: u32): u32 {
  const h = bswap<u32>(addr);
  if (h == 0 || h == 0xffffffff) return RTN_BROADCAST;
  if ((h & 0xf0000000) == 0xe0000000) return RTN_MULTICAST;
  memory.fill(typeFl(), 0, FL_SIZE);
  store<u32>(typeFl() + FL_DST, addr);
  if (fib_table_get(AF_INET, id) == 0 && !(id == RT_TABLE_LOCAL || id == RT_TABLE_MAIN)) return RTN_BROADCAST;
  if (fib_table_lookup(AF_INET, id, typeFl(), typeRes()) != 0) return RTN_UNICAST;
  return load<u8>(typeRes() + FR_TYPE);
}

// ---- IPv6 (fib6_table_lookup, rt6_select, fib6_select_path) ----
//
// The kernel's IPv6 tables differ from IPv4's: a prefix holds routes (fib6_info, one next hop each)
// sorted by metric; the routes of one metric that have a gateway are SIBLINGS (rt6_qualify_for_ecmp):
// a multipath route is such a group. A lookup takes the longest prefix that has routes, scores the
// routes of its first metric (rt6_select / find_rr_leaf: a route through the flow's oif, or any when
// there is none, scores 2, another 0 — or is refused under RT6_LOOKUP_F_IFACE; dead next hops are
// skipped; the first best wins) and only when none qualifies scores every remaining route together,
// then backtracks to shorter prefixes. Reject routes (blackhole, unreachable, prohibit, throw) are
// routes like any other, through the loopback device: the caller reads their type.

/** The alias list of the last IPv6 leaf a lookup matched in (per instance: per worker), for fib6_select_path. */
let leaf6: u32 = 0;
/** The oif rule lookups score IPv6 routes with (fib6_rule_lookup passes it down; per instance). */
let rule6Oif: u32 = 0;
let rule6Iface: bool = false;
/**
 * Whether IPv6 rules' suppress_prefixlength / suppress_ifgroup apply: fib6_rule_suppress reads the
 * result's rt6_info, which only the dst lookups (ip6_route_input/output, fib6_rule_lookup) make; the
 * fib6_result lookups (fib6_lookup: bpf_fib_lookup) have none and are never suppressed (measured).
 */
let rule6Suppress: bool = true;

/** rt6_score_route without router preferences and neighbour checks: 2, 0, or -1 (refused). */
@inline function score6(fa: u32, oif: u32, iface: bool): i32 {
  const m: i32 = oif == 0 || load<u32>(fa + FA_NH + NH_OIF) == oif ? 2 : 0;
  return m == 0 && iface ? -1 : m;
}

/**
 * rt6_select over one prefix (find_rr_leaf): the routes of the first metric scored, the first best
 * taken; when none qualifies, every remaining route scored together (the kernel's third
 * __find_rr_leaf pass has no metric bound). 0 and the result, or 1 (none: backtrack).
 */
function leafCheck6(list: u32, plen: u32, tbid: u32, oif: u32, iface: bool, res: u32): i32 {
  const n: u32 = list == 0 ? 0 : load<u32>(list);
  if (n == 0) return 1;
  const metric = load<u32>(load<u32>(list + 8) + FA_PRIORITY);
  let best: i32 = -1;
  let bestFa: u32 = 0;
  let firstPass = true;
  for (let j: u32 = 0; j < n; j++) {
    const fa = load<u32>(list + 8 + (j << 2));
    // the first pass ends at the first other metric; had it found nothing, the rest count alike
    if (firstPass && load<u32>(fa + FA_PRIORITY) != metric) {
      if (bestFa != 0) break;
      firstPass = false;
    }
    if (load<u32>(fa + FA_NH + NH_FLAGS) & RTNH_F_DEAD) continue;
    const m = score6(fa, oif, iface);
    if (m > best) {
      best = m;
      bestFa = fa;
    }
  }
  if (bestFa == 0) return 1;
  resultSet(res, bestFa, 0, plen, tbid);
  leaf6 = list;
  return 0;
}

@inline function covers(a: u32, prefix: u32, plen: u32): bool {
  return plen == 0 || prefixMatch(a, prefix, plen);
}

/** The subtree `st` has a source prefix covering `src`. */
function subCovers(st: u32, src: u32): bool {
  const n = load<u32>(st);
  for (let i: u32 = 0; i < n; i++) {
    const e = st + SUB_HEADER + i * SUB_SIZE;
    if (covers(src, e + SUB_ADDR, load<u8>(e + SUB_LEN))) return true;
  }
  return false;
}

/**
 * One destination prefix as the trie walk reaches it: its source prefixes that cover `src`, longest
 * first (fib6_node_lookup in the subtree, then fib6_backtrack up the subtree), then its own routes.
 */
function nodeCheck6(px: u32, fl: u32, tbid: u32, oif: u32, iface: bool, res: u32): i32 {
  const plen = <u32>load<u8>(px + PX_LEN);
  const st = load<u32>(px + PX_SUBTREE);
  if (st != 0) {
    const n = load<u32>(st);
    for (let i: u32 = 0; i < n; i++) {
      const e = st + SUB_HEADER + i * SUB_SIZE;
      if (!covers(fl + FL_SRC, e + SUB_ADDR, load<u8>(e + SUB_LEN))) continue;
      if (leafCheck6(load<u32>(e + SUB_ALIASES), plen, tbid, oif, iface, res) == 0) return 0;
    }
  }
  return leafCheck6(load<u32>(px + PX_ALIASES), plen, tbid, oif, iface, res);
}

/**
 * fib6_table_lookup: 0 with the result, or -EAGAIN (the null entry: nothing matched). The walk starts
 * at the longest destination prefix that either has a source prefix covering the flow's source, or
 * no subtree but routes of its own — a prefix with a subtree that does not cover the source is passed
 * over whole, its own routes too (fib6_node_lookup_1: `if (!sfn) goto backtrack`, measured: a route
 * without `from` beside one with it answers no flow from elsewhere) — but for the tree's root, whose
 * own routes answer when nothing else started the walk. From there every shorter prefix is visited as
 * fib6_backtrack climbs: its covering source prefixes, then its own routes.
 */
function tableLookup6(t: u32, fl: u32, oif: u32, iface: bool, res: u32): i32 {
  const dst = fl + FL_DST;
  const tbid = load<u32>(t + TB_ID);
  let len: i32 = 129;
  let started = false;
  const lpm = lpmFresh(t);
  if (lpm != 0) {
    const px = lpm6_lookup(lpm, dst);
    if (px == 0) return EAGAIN;
    len = load<u8>(px + PX_LEN);
    const st = load<u32>(px + PX_SUBTREE);
    if (len == 0 || (st != 0 ? subCovers(st, fl + FL_SRC) : load<u32>(px + PX_ALIASES) != 0)) {
      started = true;
      if (nodeCheck6(px, fl, tbid, oif, iface, res) == 0) return 0;
    }
  }
  while (true) {
    len = nextLen(t, len);
    if (len < 0) return EAGAIN;
    maskTo(dst, <u32>len, 16);
    const px = pxFind(t, <u32>len);
    if (px == 0) continue;
    // the tree's root is where the walk ends up when it found no start (fib6_node_lookup: fn = root):
    // its own routes answer whether or not its subtree covers the source
    if (!started && len != 0) {
      const st = load<u32>(px + PX_SUBTREE);
      if (st != 0 ? !subCovers(st, fl + FL_SRC) : load<u32>(px + PX_ALIASES) == 0) continue;
      started = true;
    }
    if (nodeCheck6(px, fl, tbid, oif, iface, res) == 0) return 0;
  }
  return EAGAIN;
}

function fib6RuleTable(tbid: u32, fl: u32, res: u32, hasSaddr: bool): i32 {
  const t = fib_table_get(AF_INET6, tbid);
  if (t == 0) return EAGAIN;
  return tableLookup6(t, fl, rule6Oif, rule6Iface, res);
}

/**
 * fib6_lookup (the rules, or local then main without custom rules) with `oif` as the scoring device
 * (`iface`: RT6_LOOKUP_F_IFACE, a route through another device is refused; `suppress`: false for the
 * fib6_result path bpf_fib_lookup takes, where rules suppress nothing): 0 with the result (its FR_TYPE
 * may be a reject type), -EAGAIN for the null entry, or a rule's error.
 */
export function fib6_lookup_oif(fl: u32, res: u32, oif: u32, hasSaddr: bool, iface: bool, suppress: bool): i32 {
  const root = fibRoot();
  if (root == 0) return EAGAIN;
  rule6Oif = oif;
  rule6Iface = iface;
  rule6Suppress = suppress;
  if ((load<u32>(root + FRT_FLAGS) & FIBF_CUSTOM6) == 0) {
    const local = fib_table_get(AF_INET6, RT_TABLE_LOCAL);
    let err: i32 = EAGAIN;
    if (local != 0) err = tableLookup6(local, fl, oif, iface, res);
    if (err != 0) {
      const main = fib_table_get(AF_INET6, RT_TABLE_MAIN);
      err = main != 0 ? tableLookup6(main, fl, oif, iface, res) : EAGAIN;
    }
    return err;
  }
  return rulesLookup(AF_INET6, fl, res, hasSaddr);
}

/**
 * fib6_table_lookup on table `id` directly: 0, or -EAGAIN. `iface` is RT6_LOOKUP_F_IFACE (only routes through oif):
 * ip6_route_check_nh's gateway lookup sets it, bpf_fib_lookup DIRECT and ip6_route_check_nh_onlink do not.
 */
export function fib6_table_lookup(id: u32, fl: u32, oif: u32, res: u32, iface: bool): i32 {
  const t = fib_table_get(AF_INET6, id);
  if (t == 0) return EAGAIN;
  return tableLookup6(t, fl, oif, iface, res);
}

@inline function isSibling6(fa: u32, metric: u32): bool {
  return load<u8>(fa + FA_ECMP6) != 0 && load<u32>(fa + FA_PRIORITY) == metric;
}

/**
 * fib6_select_path (6.18: from the first sibling, rt6_multipath_first_sibling_rcu): when the chosen
 * route has siblings and the flow names no oif, the multipath hash (rt6_multipath_hash) picks the
 * first sibling, in list order, whose upper bound is ≥ it — unless that one scores below zero, which
 * keeps the chosen route. `iface` is RT6_LOOKUP_F_IFACE.
 */
export function fib6_select_path(fl: u32, res: u32, oif: u32, haveOifMatch: bool, iface: bool): void {
  const match = load<u32>(res + FR_INFO);
  if (load<u8>(match + FA_ECMP6) == 0 || haveOifMatch) return;
  const list = leaf6;
  const n: u32 = list == 0 ? 0 : load<u32>(list);
  const metric = load<u32>(match + FA_PRIORITY);
  let first: u32 = 0;
  let j: u32 = 0;
  let siblings: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const fa = load<u32>(list + 8 + (i << 2));
    if (!isSibling6(fa, metric)) continue;
    if (first == 0) {
      first = fa;
      j = i;
    }
    siblings++;
  }
  if (siblings < 2) return; // match->fib6_nsiblings == 0
  const hash = <i32>mp_hash6(fl);
  let pick: u32 = 0;
  if (hash <= load<i32>(first + FA_NH + NH_UPPER)) {
    if (score6(first, oif, iface) >= 0) pick = first;
  } else {
    for (let i = j + 1; i < n; i++) {
      const fa = load<u32>(list + 8 + (i << 2));
      if (!isSibling6(fa, metric)) continue;
      if (hash > load<i32>(fa + FA_NH + NH_UPPER)) continue;
      if (score6(fa, oif, iface) >= 0) pick = fa;
      break;
    }
  }
  if (pick != 0 && pick != match) {
    store<u32>(res + FR_INFO, pick);
    nhResult(res, pick, 0);
  }
}

/**
 * rt6_multipath_rebalance for every sibling group of the IPv6 alias list `list`: upper bounds in list
 * order over the live siblings' weights, -1 for dead ones (written word by word, as the kernel's
 * atomic_set). Groups of one keep -1: fib6_select_path never reads them.
 */
export function fib6_rebalance(list: u32): void {
  const n = load<u32>(list);
  for (let i: u32 = 0; i < n; i++) {
    const head = load<u32>(list + 8 + (i << 2));
    if (load<u8>(head + FA_ECMP6) == 0) continue;
    const metric = load<u32>(head + FA_PRIORITY);
    // only from the group's first member
    let isFirst = true;
    for (let k: u32 = 0; k < i; k++) if (isSibling6(load<u32>(list + 8 + (k << 2)), metric)) isFirst = false;
    if (!isFirst) continue;
    let total: u64 = 0;
    for (let k = i; k < n; k++) {
      const fa = load<u32>(list + 8 + (k << 2));
      if (isSibling6(fa, metric) && !(load<u32>(fa + FA_NH + NH_FLAGS) & RTNH_F_DEAD)) total += <u64>load<u32>(fa + FA_NH + NH_WEIGHT);
    }
    let w: u64 = 0;
    for (let k = i; k < n; k++) {
      const fa = load<u32>(list + 8 + (k << 2));
      if (!isSibling6(fa, metric)) continue;
      let ub: i32 = -1;
      if (!(load<u32>(fa + FA_NH + NH_FLAGS) & RTNH_F_DEAD)) {
        w += <u64>load<u32>(fa + FA_NH + NH_WEIGHT);
        ub = <i32>(((w << 31) + (total >> 1)) / total) - 1;
      }
      store<i32>(fa + FA_NH + NH_UPPER, ub);
    }
  }
}

/**
 * The same for IPv6 (fib6_lookup + fib6_select_path): 0, or -101 (no route or a reject route).
 * `iface`: RT6_LOOKUP_F_IFACE (a route through another device than the flow's oif is refused).
 * `pol`: as ip6_pol_route looks up (the stack's own output): a multipath route's next hop is the hash's
 * even when the flow names an oif (have_oif_match false: the oif only scores the siblings, and refuses
 * one under RT6_LOOKUP_F_IFACE) — bpf_ipv6_fib_lookup's have_oif_match is the oif's being set.
 */
export function fib6_lookup(fl: u32, res: u32, iface: bool, pol: bool): i32 {
  const oif = load<u32>(fl + FL_OIF);
  // ip6_route_input_lookup and ip6_route_output_flags ask for RT6_LOOKUP_F_IFACE when the destination
  // needs its device (rt6_need_strict): a link-local address of another port is no local route for a
  // datagram that came in here (Linux forwards it on the input device: time exceeded at hop limit 1)
  if (oif != 0 && needStrict6(fl + FL_DST)) iface = true;
  const err = fib6_lookup_oif(fl, res, oif, !isZero16(fl + FL_SRC), iface, true);
  if (err != 0) return err == EAGAIN ? ENETUNREACH : err;
  store<u8>(res + FR_FAMILY, <u8>AF_INET6);
  const type = <u32>load<u8>(res + FR_TYPE);
  if (type > 5) return typeError(type) == EAGAIN ? ENETUNREACH : typeError(type);
  fib6_select_path(fl, res, oif, !pol && oif != 0, iface);
  return 0;
}

/** rt6_need_strict: a multicast, link-local or loopback destination (ff00::/8, fe80::/10, ::1). */
@inline function needStrict6(a: u32): bool {
  const b0 = <u32>load<u8>(a);
  if (b0 == 0xff || (b0 == 0xfe && (<u32>load<u8>(a, 1) & 0xc0) == 0x80)) return true;
  return load<u64>(a) == 0 && load<u64>(a, 8) == 0x0100000000000000; // ::1, bytes 8-15 read little-endian
}

function isZero16(p: usize): bool {
  return load<u64>(p) == 0 && load<u64>(p + 8) == 0;
}

// ---- The control plane's door ----

/** `size` zeroed bytes for a record the control plane builds aside (alias lists, aliases, rule lists). */
export function fib_alloc(size: u32): u32 {
  return rc_alloc(size);
}

/**
 * The control plane unpublished a record it allocated with fib_alloc (`size` as allocated): its memory
 * is reused after the next grace period (alias lists, prefixes, buckets and rule lists the FIB
 * replaces itself are retired here already).
 */
export function fib_free(addr: u32, size: u32): void {
  rc_retire(addr, size);
}

/**
 * Reclaim what grace periods allow: the FIB's records (rc_reclaim) and the blocks its LPM tables
 * retired (lpm_heap.ts waits for the same grace periods). The bytes of records still waiting.
 */
export function fib_reclaim(): u32 {
  const r = fibRoot();
  if (r != 0) {
    const dir = load<u32>(r + FRT_TABLES);
    const n = load<u32>(dir);
    for (let i: u32 = 0; i < n; i++) {
      const lpm = load<u32>(load<u32>(dir + 4 + (i << 2)) + TB_LPM);
      if (lpm != 0) lpm_reclaim(lpm);
    }
  }
  return rc_reclaim();
}

/**
 * A bulk load starts: the LPM tables only record changes (lpm_batch_begin) and lookups walk the
 * per-length hash, always current, until fib_batch_commit rebuilds each LPM once. 0, or -16 (EBUSY).
 */
export function fib_batch_begin(): i32 {
  const r = fibRootEnsure();
  if (r == 0) return ENOMEM;
  if ((load<u32>(r + FRT_FLAGS) & FIBF_BATCH) != 0) return -16;
  const dir = load<u32>(r + FRT_TABLES);
  const n = load<u32>(dir);
  for (let i: u32 = 0; i < n; i++) {
    const lpm = load<u32>(load<u32>(dir + 4 + (i << 2)) + TB_LPM);
    if (lpm != 0) lpm_batch_begin(lpm);
  }
  store<u32>(r + FRT_FLAGS, load<u32>(r + FRT_FLAGS) | FIBF_BATCH);
  return 0;
}

/** The bulk load is over: every LPM rebuilt and published, lookups use them again. 0, or -12. */
export function fib_batch_commit(): i32 {
  const r = fibRoot();
  if (r == 0 || (load<u32>(r + FRT_FLAGS) & FIBF_BATCH) == 0) return 0;
  const dir = load<u32>(r + FRT_TABLES);
  const n = load<u32>(dir);
  for (let i: u32 = 0; i < n; i++) {
    const lpm = load<u32>(load<u32>(dir + 4 + (i << 2)) + TB_LPM);
    if (lpm == 0) continue;
    let left = lpm_commit(lpm, 0xffffffff);
    while (left > 0) left = lpm_commit(lpm, 0xffffffff);
    if (left < 0) return left; // ENOMEM: what is left stays pending, lookups keep to the hash
  }
  store<u32>(r + FRT_FLAGS, load<u32>(r + FRT_FLAGS) & ~FIBF_BATCH);
  fibGenBump();
  return 0;
}

/**
 * Publish rule list `list` for `family` (one aligned store) and mark the family as having custom rules
 * when `custom` (tables local and main stop being merged, as fib_unmerge does). Bumps the generation.
 */
export function fib_rules_set(family: u32, list: u32, custom: u32): i32 {
  const r = fibRootEnsure();
  if (r == 0) return ENOMEM;
  const slot = r + (family == AF_INET ? FRT_RULES4 : FRT_RULES6);
  const old = load<u32>(slot);
  store<u32>(slot, list);
  if (old != 0 && old != list) rc_retire(old, RULES_HEADER + load<u32>(old) * RULE_SIZE);
  if (custom != 0) store<u32>(r + FRT_FLAGS, load<u32>(r + FRT_FLAGS) | (family == AF_INET ? FIBF_CUSTOM4 : FIBF_CUSTOM6));
  fibGenBump();
  return 0;
}

/**
 * fib_has_custom_local_routes: a user added an IPv4 route of type local (inet_rtm_newroute); from now
 * on fib_validate_source looks the source's route up even with rp_filter off. Never cleared, as the
 * kernel's. Bumps the generation.
 */
export function fib_custom_local4(): i32 {
  const r = fibRootEnsure();
  if (r == 0) return ENOMEM;
  store<u32>(r + FRT_FLAGS, load<u32>(r + FRT_FLAGS) | FIBF_CUSTOM_LOCAL4);
  fibGenBump();
  return 0;
}

/**
 * fib_rebalance for alias `fa`: each live next hop's upper bound, DIV_ROUND_CLOSEST(w << 31, total) - 1
 * over the running weight; dead ones -1. Written word by word (a reader sees old or new bounds).
 */
export function fib_rebalance(fa: u32): void {
  const nhs = load<u32>(fa + FA_NHS);
  if (nhs < 2) return;
  let total: u64 = 0;
  for (let k: u32 = 0; k < nhs; k++) {
    const nh = fa + FA_NH + k * NH_SIZE;
    if (load<u32>(nh + NH_FLAGS) & RTNH_F_DEAD) continue;
    total += <u64>load<u32>(nh + NH_WEIGHT);
  }
  let w: u64 = 0;
  for (let k: u32 = 0; k < nhs; k++) {
    const nh = fa + FA_NH + k * NH_SIZE;
    let ub: i32 = -1;
    if (!(load<u32>(nh + NH_FLAGS) & RTNH_F_DEAD)) {
      w += <u64>load<u32>(nh + NH_WEIGHT);
      ub = <i32>(((w << 31) + (total >> 1)) / total) - 1;
    }
    store<i32>(nh + NH_UPPER, ub);
  }
}

/** Bump the FIB generation after in-place next-hop changes (fib_sync_down_dev). */
export function fib_changed(): void {
  fibGenBump();
}

/**
 * A lookup for the control plane (`ip route get`, fib_check_nh): the flow key and result live in the
 * module's scratch (fib_flow_buf / fib_res_buf). `mode` 0: fib_lookup + select path; 1: the table
 * `id` only (fib_table_lookup); 2: IPv6 fib6_lookup. Returns the error (0: found).
 */
export function fib_ctl_lookup(mode: u32, id: u32): i32 {
  memory.fill(resBuf(), 0, FR_SIZE);
  if (mode == 1) return fib_table_lookup(load<u8>(flBuf() + FL_FAMILY), id, flBuf(), resBuf());
  if (mode == 2) return fib6_lookup(flBuf(), resBuf(), false, false);
  return fib4_lookup(flBuf(), resBuf());
}

export function fib_flow_buf(): u32 {
  return <u32>flBuf();
}

export function fib_res_buf(): u32 {
  return <u32>resBuf();
}

/**
 * The alias list of the prefix this instance's last successful IPv6 lookup ended at (+0 count, aliases
 * from +8 in metric order), 0 when none: ip6_route_redirect (ndisc.ts) walks every route of that prefix.
 */
export function fib6LastLeaf(): u32 {
  return leaf6;
}
