// Neighbours (ARP for IPv4, NDISC for IPv6) with the kernel's NUD states and timers, as
// net/core/neighbour.c: __neigh_event_send, __neigh_update, neigh_timer_handler, neigh_periodic_work,
// neigh_forced_gc, and the output paths (neigh_resolve_output and the hh fast path).
//
// Reads: the netdev table (ND_FLAGS, ND_MAC, ND_CONF4/6), the clock, the global gc sysctls
// (SYSCTL_NEIGH4/6_GC_THRESH1..3). Sets: the neighbour tables, the frames' Ethernet addresses.
// Next: netdev_xmit (a resolved frame); the entry's queue (unresolved); arp.ts / ndisc.ts solicit
// (a probe); icmp_send / icmpv6_send and a NEIGH_FAILED drop (resolution failed); a NEIGH_QUEUEFULL
// or NEIGH_CREATEFAIL drop.
//
// Layout (the root's address at NR_NEIGH, set up on first use):
//
//   root  +0 magic 'NEIG' | +4 PRNG state (xorshift32: reachable_time) | +8 table AF_INET | +12 table
//         AF_INET6 | +16 timer heap | +20 heap count | +24 heap capacity | +28 free entries | +32
//         entries retired since the last tick | +36 timer arming counter | +40 entries waiting for
//         their grace period (reclaim.ts) | +44 that grace period (rc_stamp) | +64 control-plane I/O (key 16, lladdr 8, lladdr
//         length, message; +96 the output path's key) | +128 flow key and FIB result (arp_filter) | +256
//         hash blocks a grow replaced, handed to reclaim.ts at the next tick (count, then blocks) | +320
//
//   table +0 family | +4 key length | +8 hash block (published by one aligned store) | +12 entries
//         | +16 gc entries | +20 gc list head (oldest) | +24 gc list tail | +28 per-device parms
//         (NETDEV_MAX × u32) | +32 last_flush (i64) | +40 last_rand | +48 next periodic gc work
//         | +64 NSTAT_COUNT × u64 statistics (neigh_statistics) | +160 the "default" parms
//
//   hash  +0 shift | +4 chain slot (NE_NEXT0 or NE_NEXT1) | +8 hash seed | +16 buckets: 2^shift ×
//         { u32 head, u32 lock }. A resize threads the other chain slot into a new block and
//         publishes it whole; readers still walking the old block never see a half-built chain.
//
//   parms +0 ifindex (0: default) | +4 reachable_time (ms) | +8 data_state (bit per NVAR_: set on
//         this device, so "default" no longer propagates to it) | +12 family | +16 NVAR_COUNT × u32
//         (times in ms)
//
//   entry NE_* in net/abi.ts. A queued frame keeps its link in its own head (the xdp_frame area):
//         +0 next frame | +4 queue (q) | +8 data | +12 len | +16 input ifindex (skb_iif: 0 for the
//         stack's own), which the ICMP error names when resolution fails | +20 skb->mark (what the
//         device's egress chains see when it leaves: netfilter.ts nf_egress_held).
//
// Multi-worker: every writer — an output that must create or resolve an entry, ARP / NDISC input, the
// timers, the control plane — holds the stack's NR_LOCK_NEIGH spin lock (lock.ts; the kernel's tbl->lock
// and n->lock as one lock), taken again freely by its holder (a failed resolution's ICMP error resolves
// a neighbour). The output of a connected entry with its header cached takes none, nor do lookups.
// Entries are filled before they are linked (one store of the bucket head); the output path's lookup
// key is the worker's own (SCR_NEIGH).
// Entries are allocated and retired on the data path, which must not touch reclaim.ts, so they keep
// their own pool; but their reuse waits for reclaim.ts's grace periods like every other block: at each
// tick (control plane) what was retired since the last one is stamped (rc_stamp) and goes back to the
// pool once rc_passed.

import { mix32 } from '../maps/jhash';
import { arena_alloc } from '../maps/arena';
import { rc_alloc, rc_passed, rc_reclaim, rc_retire, rc_stamp } from './reclaim';
import { FRAME_SIZE } from '../abi';
import { netFree, netDrop, netdevGet, netRoot, netScratch, sysctl, mibInc } from './core';
import { spinLock, spinUnlock } from './lock';
import {
  AF_INET, AF_INET6, IFF_LOOPBACK, IFF_NOARP, IFF_POINTOPOINT, MIB_IP6_OUT_DISCARDS, MIB_IP6_OUT_NO_ROUTES, ND_CONF6, ND_FLAGS,
  NDROP_IPV6DISABLED, NDROP_NEIGH_CREATEFAIL, NDROP_NEIGH_FAILED, NDROP_NEIGH_QUEUEFULL, NDROP_NO_TX_TARGET, NDROP_NOMEM, NDROP_NOT_SPECIFIED,
  NE_CONFIRMED, NE_DEAD, NE_FAMILY, NE_FLAGS, NE_GC_NEXT, NE_GC_PREV, NE_HA_SEQ, NE_IFINDEX, NE_KEY, NE_MAC, NE_NEXT0, NE_NEXT1,
  NE_PARMS, NE_PROBES, NE_PROTOCOL, NE_QBYTES, NE_QHEAD, NE_QLEN, NE_QTAIL, NE_SIZE, NE_STATE, NE_TIMER, NE_TIMER_SEQ, NE_TIMER_SLOT,
  NE_TYPE, NE_UPDATED, NE_USED, NE_XFLAGS, NETDEV_MAX, NR_NEIGH, NUD_CONNECTED, NUD_DELAY, NUD_FAILED, NUD_INCOMPLETE, NUD_NOARP,
  NUD_PERMANENT, NUD_PROBE, NUD_REACHABLE, NUD_STALE, NUD_VALID, NR_NOW, RTN_BROADCAST, RTN_LOCAL, RTN_MULTICAST, RTN_UNICAST,
  SYSCTL_NEIGH4_GC_THRESH1, SYSCTL_NEIGH6_GC_THRESH1, CONF6_DISABLE_IPV6, NR_LOCK_NEIGH, SCR_NEIGH,
} from './abi';
import { netdev_xmit, netdevMac, putMac } from './netdev';
import { fib4_local_type } from './fib';
import { icmp_send, icmpv6_send } from './icmp';
import { arpRcv, arpSolicit } from './arp';
import { nf_egress_held, nf_egress_held_done, nf_egress_mark_of } from './netfilter';
import { ndiscRcv, ndiscSolicit } from './ndisc';

// ---- The kernel's constants ----
export const NUD_IN_TIMER: u32 = NUD_INCOMPLETE | NUD_REACHABLE | NUD_DELAY | NUD_PROBE;
export const NTF_ROUTER: u32 = 0x80;
// neigh_update() flags (include/net/neighbour.h)
export const NEIGH_UPDATE_F_OVERRIDE: u32 = 0x00000001;
export const NEIGH_UPDATE_F_WEAK_OVERRIDE: u32 = 0x00000002;
export const NEIGH_UPDATE_F_OVERRIDE_ISROUTER: u32 = 0x00000004;
export const NEIGH_UPDATE_F_ISROUTER: u32 = 0x40000000;
export const NEIGH_UPDATE_F_ADMIN: u32 = 0x80000000;
// netlink request flags neigh_add honours
export const NLM_F_REPLACE: u32 = 0x100;
export const NLM_F_EXCL: u32 = 0x200;
export const NLM_F_CREATE: u32 = 0x400;

// neigh_parms data (NEIGH_VAR_*, the kernel's order); times in ms on the stack clock.
export const NVAR_MCAST_PROBES: u32 = 0; //           mcast_solicit 3
export const NVAR_UCAST_PROBES: u32 = 1; //           ucast_solicit 3
export const NVAR_APP_PROBES: u32 = 2; //             app_solicit 0
export const NVAR_MCAST_REPROBES: u32 = 3; //         mcast_resolicit 0
export const NVAR_RETRANS_TIME: u32 = 4; //           retrans_time_ms 1000
export const NVAR_BASE_REACHABLE_TIME: u32 = 5; //    base_reachable_time_ms 30000
export const NVAR_DELAY_PROBE_TIME: u32 = 6; //       delay_first_probe_time 5 s
export const NVAR_INTERVAL_PROBE_TIME_MS: u32 = 7; // interval_probe_time_ms 5000
export const NVAR_GC_STALETIME: u32 = 8; //           gc_stale_time 60 s
export const NVAR_QUEUE_LEN_BYTES: u32 = 9; //        unres_qlen_bytes 212992 (SK_WMEM_DEFAULT)
export const NVAR_PROXY_QLEN: u32 = 10; //            proxy_qlen 64
export const NVAR_ANYCAST_DELAY: u32 = 11; //         anycast_delay 1 s
export const NVAR_PROXY_DELAY: u32 = 12; //           proxy_delay 0.8 s
export const NVAR_LOCKTIME: u32 = 13; //              locktime 1 s (ARP), 0 (NDISC)
export const NVAR_COUNT: u32 = 14;
/** neigh_ctl_parm_get's extra index: the parms' randomised reachable_time (read only). */
export const NVAR_REACHABLE_TIME: u32 = 14;

// neigh_statistics (ip -s ntable; /proc/net/stat/arp_cache)
export const NSTAT_ALLOCS: u32 = 0;
export const NSTAT_DESTROYS: u32 = 1;
export const NSTAT_HASH_GROWS: u32 = 2;
export const NSTAT_RES_FAILED: u32 = 3;
export const NSTAT_LOOKUPS: u32 = 4;
export const NSTAT_HITS: u32 = 5;
export const NSTAT_RCV_PROBES_MCAST: u32 = 6;
export const NSTAT_RCV_PROBES_UCAST: u32 = 7;
export const NSTAT_PERIODIC_GC_RUNS: u32 = 8;
export const NSTAT_FORCED_GC_RUNS: u32 = 9;
export const NSTAT_UNRES_DISCARDS: u32 = 10;
export const NSTAT_TABLE_FULLS: u32 = 11;
export const NSTAT_COUNT: u32 = 12;

/**
 * What a queued frame costs against unres_qlen_bytes: skb->truesize of an skb built around one UMEM
 * frame (build_skb: SKB_TRUESIZE(FRAME_SIZE - shared info) = FRAME_SIZE + SKB_DATA_ALIGN(sizeof
 * (struct sk_buff)), 256 on x86_64).
 */
export const NEIGH_FRAME_TRUESIZE: u32 = FRAME_SIZE + 256;
/** SKB_TRUESIZE(ETH_FRAME_LEN): the unit of the unres_qlen sysctl (unres_qlen_bytes / 2090 on x86_64). */
export const NEIGH_UNRES_QLEN_UNIT: u32 = 1514 + 256 + 320;

const MIN_TIMER: i64 = 10; // HZ/100: the shortest retransmit and timer distance neighbour.c allows

// entry NE_XFLAGS bits
export const NEX_HH: u8 = 1; //     the header cache is filled: connected output skips neigh_event_send
const NEX_ON_GC: u8 = 2; //  on the table's gc list (counted in gc_entries)

// root
const NEIGH_MAGIC: u32 = 0x4749454e;
const RT_PRNG: u32 = 4;
const RT_TBL: u32 = 8; // + 0 (AF_INET) / + 4 (AF_INET6)
const RT_HEAP: u32 = 16;
const RT_HEAP_N: u32 = 20;
const RT_HEAP_CAP: u32 = 24;
const RT_FREE: u32 = 28;
const RT_RETIRED: u32 = 32;
const RT_SEQ: u32 = 36;
const RT_RETIRED_OLD: u32 = 40;
const RT_RETIRED_STAMP: u32 = 44;
const RT_IO: u32 = 64;
const RT_FLOW: u32 = 128;
const RT_OLD_HASH: u32 = 256; // u32 count, then OLD_HASH_MAX × u32 hash blocks a grow unpublished
const OLD_HASH_MAX: u32 = 15;
const ROOT_SIZE: u32 = 320;
export const NEIGH_IO_KEY: u32 = 0;
export const NEIGH_IO_LLADDR: u32 = 16;
export const NEIGH_IO_LLADDR_LEN: u32 = 24;
/** Which iproute2 message a -EINVAL from neigh_ctl_add carries (NL_SET_ERR_MSG). */
export const NEIGH_IO_MSG: u32 = 28;
export const NEIGH_MSG_NO_LLADDR: u32 = 1; //     "No link layer address given"
export const NEIGH_MSG_BAD_LLADDR: u32 = 2; //    "Invalid link address"
export const NEIGH_MSG_IPV6_DISABLED: u32 = 3; // "IPv6 is disabled on this device"
export const NEIGH_MSG_DEAD: u32 = 4; //          "Neighbor entry is now dead"

// table
const T_FAMILY: u32 = 0;
const T_KEYLEN: u32 = 4;
const T_HASH: u32 = 8;
const T_ENTRIES: u32 = 12;
const T_GC_ENTRIES: u32 = 16;
const T_GC_HEAD: u32 = 20;
const T_GC_TAIL: u32 = 24;
const T_DEVPARMS: u32 = 28;
const T_LAST_FLUSH: u32 = 32;
const T_LAST_RAND: u32 = 40;
const T_GC_WORK: u32 = 48;
const T_STATS: u32 = 64;
const T_PARMS: u32 = 160;
// hash block
const H_SHIFT: u32 = 0;
const H_SLOT: u32 = 4;
const H_RND: u32 = 8;
const H_BUCKETS: u32 = 16;
const HASH_SHIFT0: u32 = 3; // neigh_hash_alloc(3) in neigh_table_init
// parms
const P_IFINDEX: u32 = 0;
const P_REACHABLE: u32 = 4;
const P_STATE: u32 = 8;
const P_FAMILY: u32 = 12;
const P_DATA: u32 = 16;
const P_SIZE: u32 = 80;
const T_SIZE: u32 = T_PARMS + P_SIZE;
// a queued frame's link, in its own head
const FQ_NEXT: u32 = 0;
const FQ_Q: u32 = 4;
const FQ_DATA: u32 = 8;
const FQ_LEN: u32 = 12;
const FQ_IIF: u32 = 16;
const FQ_MARK: u32 = 20;

const SLAB_ENTRIES: u32 = 64;

/** The time every path of this stage reads (jiffies): the clock, or a timer's expiry while it runs. */
let NOW: i64 = 0;
/** Set while neigh_tick runs events: frames sent from a handler keep the handler's time. */
let IN_TICK = false;

@inline function clockNow(): i64 {
  return load<i64>(netRoot() + NR_NOW);
}

/** The stack's time as the neighbour code sees it (arp.ts and ndisc.ts read it too). */
@inline export function neighNow(): i64 {
  return NOW;
}

// ---- Root, tables, parms ----

/** The neighbour lock (lock.ts: the shared build only). */
@inline function neighLock(): void {
  spinLock(netRoot() + NR_LOCK_NEIGH);
}
@inline function neighUnlock(): void {
  spinUnlock(netRoot() + NR_LOCK_NEIGH);
}

/** The neighbour root, set up on first use (0 when the stack itself is not set up or memory ran out). */
export function neighRoot(): u32 {
  const nr = netRoot();
  if (nr == 0) return 0;
  const r = load<u32>(nr + NR_NEIGH);
  if (r != 0) return r;
  return neighInit(nr);
}

function neighInit(nr: u32): u32 {
  const r = arena_alloc(ROOT_SIZE, 64);
  if (r == 0) return 0;
  store<u32>(r, NEIGH_MAGIC);
  store<u32>(r + RT_PRNG, 0x2545f491);
  const cap: u32 = 256;
  const heap = arena_alloc(cap * 4, 8);
  const t4 = tableInit(r, AF_INET);
  const t6 = tableInit(r, AF_INET6);
  if (heap == 0 || t4 == 0 || t6 == 0) return 0;
  store<u32>(r + RT_HEAP, heap);
  store<u32>(r + RT_HEAP_CAP, cap);
  store<u32>(r + RT_TBL, t4);
  store<u32>(r + RT_TBL + 4, t6);
  store<u32>(nr + NR_NEIGH, r); // last: a reader sees no root or a whole one
  return r;
}

/** neigh_table_init: the table as the kernel sets it up at boot (the stack's time 0). */
function tableInit(r: u32, family: u32): u32 {
  const t = arena_alloc(T_SIZE, 64);
  const devp = arena_alloc(NETDEV_MAX * 4, 64);
  const h = hashAlloc(r, HASH_SHIFT0, 0);
  if (t == 0 || devp == 0 || h == 0) return 0;
  store<u32>(t + T_FAMILY, family);
  store<u32>(t + T_KEYLEN, family == AF_INET ? 4 : 16);
  store<u32>(t + T_HASH, h);
  store<u32>(t + T_DEVPARMS, devp);
  const p = t + T_PARMS;
  store<u32>(p + P_FAMILY, family);
  const d = p + P_DATA;
  store<u32>(d + (NVAR_MCAST_PROBES << 2), 3);
  store<u32>(d + (NVAR_UCAST_PROBES << 2), 3);
  store<u32>(d + (NVAR_RETRANS_TIME << 2), 1000);
  store<u32>(d + (NVAR_BASE_REACHABLE_TIME << 2), 30000);
  store<u32>(d + (NVAR_DELAY_PROBE_TIME << 2), 5000);
  store<u32>(d + (NVAR_INTERVAL_PROBE_TIME_MS << 2), 5000);
  store<u32>(d + (NVAR_GC_STALETIME << 2), 60000);
  store<u32>(d + (NVAR_QUEUE_LEN_BYTES << 2), 212992);
  store<u32>(d + (NVAR_PROXY_QLEN << 2), 64);
  store<u32>(d + (NVAR_ANYCAST_DELAY << 2), 1000);
  store<u32>(d + (NVAR_PROXY_DELAY << 2), 800);
  store<u32>(d + (NVAR_LOCKTIME << 2), family == AF_INET ? 1000 : 0);
  const rt = randReachTime(r, 30000);
  store<u32>(p + P_REACHABLE, rt);
  store<i64>(t + T_LAST_FLUSH, 0);
  store<i64>(t + T_LAST_RAND, <i64>rt * 20);
  store<i64>(t + T_GC_WORK, <i64>rt);
  return t;
}

@inline function hashBytes(shift: u32): u32 {
  return H_BUCKETS + (8 << shift);
}

function hashAlloc(r: u32, shift: u32, slot: u32): u32 {
  const h = rc_alloc(hashBytes(shift));
  if (h == 0) return 0;
  store<u32>(h + H_SHIFT, shift);
  store<u32>(h + H_SLOT, slot);
  store<u32>(h + H_RND, prandom(r) | 1);
  return h;
}

@inline function tableOf(r: u32, family: u32): u32 {
  return load<u32>(r + RT_TBL + (family == AF_INET6 ? 4 : 0));
}

/** The table of `family` (AF_INET / AF_INET6), 0 when the stack is not set up. */
export function neighTable(family: u32): u32 {
  const r = neighRoot();
  return r == 0 ? 0 : tableOf(r, family);
}

@inline function statInc(t: u32, i: u32): void {
  const a = t + T_STATS + (i << 3);
  store<u64>(a, load<u64>(a) + 1);
}

/** Count a table statistic (NSTAT_*) from arp.ts / ndisc.ts. */
export function neighStatInc(t: u32, i: u32): void {
  statInc(t, i);
}

/** xorshift32: the deterministic stand-in for get_random_u32(). */
function prandom(r: u32): u32 {
  let x = load<u32>(r + RT_PRNG);
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  store<u32>(r + RT_PRNG, x);
  return x;
}

/** neigh_rand_reach_time: uniform in [base/2, 3·base/2), 0 for base 0. */
function randReachTime(r: u32, base: u32): u32 {
  if (base == 0) return 0;
  return <u32>((<u64>prandom(r) * <u64>base) >> 32) + (base >> 1);
}

@inline export function parmVar(p: u32, i: u32): u32 {
  return load<u32>(p + P_DATA + (i << 2));
}

/** The device's parms (neigh_parms_alloc: a copy of "default", made on first use), 0 when out of memory. */
function devParms(t: u32, ifindex: u32): u32 {
  if (ifindex == 0 || ifindex >= NETDEV_MAX) return t + T_PARMS;
  const slot = load<u32>(t + T_DEVPARMS) + (ifindex << 2);
  let p = load<u32>(slot);
  if (p != 0) return p;
  p = rc_alloc(P_SIZE);
  if (p == 0) return 0;
  memory.copy(p, t + T_PARMS, P_SIZE);
  store<u32>(p + P_IFINDEX, ifindex);
  store<u32>(p + P_STATE, 0);
  store<u32>(p + P_REACHABLE, randReachTime(neighRoot(), parmVar(p, NVAR_BASE_REACHABLE_TIME)));
  store<u32>(slot, p);
  return p;
}

@inline function entryParms(e: u32): u32 {
  return load<u32>(e + NE_PARMS);
}

@inline function evar(e: u32, i: u32): u32 {
  return parmVar(entryParms(e), i);
}

function gcThresh(family: u32, n: u32): u32 {
  const base = family == AF_INET ? SYSCTL_NEIGH4_GC_THRESH1 : SYSCTL_NEIGH6_GC_THRESH1;
  return sysctl(base + n - 1);
}

// ---- Keys and hashing ----

function hashKey(family: u32, ifindex: u32, key: u32, rnd: u32): u32 {
  let h = mix32(rnd ^ (ifindex * 0x9e3779b1) ^ load<u32>(key));
  if (family == AF_INET6) {
    h = mix32(h ^ load<u32>(key + 4));
    h = mix32(h ^ load<u32>(key + 8));
    h = mix32(h ^ load<u32>(key + 12));
  }
  return h;
}

@inline function keyEq(family: u32, e: u32, key: u32): bool {
  if (load<u32>(e + NE_KEY) != load<u32>(key)) return false;
  if (family == AF_INET) return true;
  return load<u64>(e + NE_KEY + 4) == load<u64>(key + 4) && load<u32>(e + NE_KEY + 12) == load<u32>(key + 12);
}

@inline function chainOff(h: u32): u32 {
  return load<u32>(h + H_SLOT) == 0 ? NE_NEXT0 : NE_NEXT1;
}

@inline function bucketOf(h: u32, family: u32, ifindex: u32, key: u32): u32 {
  const shift = load<u32>(h + H_SHIFT);
  return h + H_BUCKETS + ((hashKey(family, ifindex, key, load<u32>(h + H_RND)) >> (32 - shift)) << 3);
}

/** __neigh_lookup_noref: the entry for `key` on `ifindex`, 0 when none. No statistics. */
function lookupNoref(t: u32, ifindex: u32, key: u32): u32 {
  const family = load<u32>(t + T_FAMILY);
  const h = load<u32>(t + T_HASH); // one load of the published block
  const off = chainOff(h);
  let e = load<u32>(bucketOf(h, family, ifindex, key));
  while (e != 0) {
    if (load<u32>(e + NE_IFINDEX) == ifindex && keyEq(family, e, key)) return e;
    e = load<u32>(e + off);
  }
  return 0;
}

// The output memo: the entries the output path found last, one per slot (per worker: wasm globals),
// so a stream of frames to the same next hop skips the hash. A remembered entry is used only while it
// is still in the table (not NE_DEAD: every unlink marks it before it is retired, and a reused block
// is zeroed, then keyed and linked within one neighCreate) and is the entry of that key, device and
// family: then it is exactly what the table lookup returns.
let outMemo0: u32 = 0;
let outMemo1: u32 = 0;
let outMemo2: u32 = 0;
let outMemo3: u32 = 0;

/** lookupNoref for the output path (neigh_output_from, neigh_lookup), through the output memo. */
@inline function outputLookup(t: u32, ifindex: u32, key: u32): u32 {
  const family = load<u32>(t + T_FAMILY);
  const slot = (load<u32>(key) ^ ifindex) & 3;
  const m = slot == 0 ? outMemo0 : slot == 1 ? outMemo1 : slot == 2 ? outMemo2 : outMemo3;
  if (m != 0 && load<u8>(m + NE_DEAD) == 0 && load<u32>(m + NE_IFINDEX) == ifindex && <u32>load<u8>(m + NE_FAMILY) == family && keyEq(family, m, key)) return m;
  const e = lookupNoref(t, ifindex, key);
  if (e != 0) {
    if (slot == 0) outMemo0 = e;
    else if (slot == 1) outMemo1 = e;
    else if (slot == 2) outMemo2 = e;
    else outMemo3 = e;
  }
  return e;
}

/** neigh_lookup: the same, counted in the table's lookups and hits. */
export function neighLookupStat(t: u32, ifindex: u32, key: u32): u32 {
  statInc(t, NSTAT_LOOKUPS);
  const e = lookupNoref(t, ifindex, key);
  if (e != 0) statInc(t, NSTAT_HITS);
  return e;
}

/**
 * The key the output path looks up (__ipv4_neigh_lookup_noref): every IPv4 neighbour of a loopback
 * or point-to-point device is 0.0.0.0. Written to the root's I/O area.
 */
function outputKey(r: u32, family: u32, dev: u32, addr: u32): u32 {
  const k = netScratch() + SCR_NEIGH; // this worker's: the control plane's I/O area stays intact
  if (family == AF_INET) {
    store<u32>(k, (load<u32>(dev + ND_FLAGS) & (IFF_LOOPBACK | IFF_POINTOPOINT)) != 0 ? 0 : load<u32>(addr));
  } else {
    store<u64>(k, load<u64>(addr));
    store<u64>(k + 8, load<u64>(addr + 8));
  }
  return k;
}

/**
 * The entry for `addr` (4 or 16 bytes at `addr`, by `family`) on `ifindex`, or 0. Other stages read
 * NE_STATE and NE_MAC of it (bpf_fib_lookup: NUD_VALID → dmac).
 */
export function neigh_lookup(family: u32, ifindex: u32, addr: u32): u32 {
  const nr = netRoot();
  if (nr == 0) return 0;
  const r = load<u32>(nr + NR_NEIGH);
  const dev = netdevGet(ifindex);
  if (r == 0 || dev == 0 || (family != AF_INET && family != AF_INET6)) return 0;
  return outputLookup(tableOf(r, family), ifindex, outputKey(r, family, dev, addr));
}

// ---- Entries: allocation, the table, the gc list ----

function entryAlloc(r: u32): u32 {
  let e = load<u32>(r + RT_FREE);
  if (e == 0) {
    const slab = arena_alloc(SLAB_ENTRIES * NE_SIZE, 64);
    if (slab == 0) return 0;
    for (let i: u32 = 1; i < SLAB_ENTRIES; i++) {
      const x = slab + i * NE_SIZE;
      store<u32>(x + NE_NEXT0, i + 1 < SLAB_ENTRIES ? x + NE_SIZE : 0);
    }
    e = slab;
    store<u32>(r + RT_FREE, slab + NE_SIZE);
  } else {
    store<u32>(r + RT_FREE, load<u32>(e + NE_NEXT0));
  }
  memory.fill(e, 0, NE_SIZE);
  return e;
}

/** An entry out of the table: its memory waits for a grace period from the next tick (a reader may still hold it). */
function entryRetire(r: u32, e: u32): void {
  store<u32>(e + NE_GC_NEXT, load<u32>(r + RT_RETIRED));
  store<u32>(r + RT_RETIRED, e);
}

/** The waiting entries go back to the pool once their grace period is over. */
function releasePassed(r: u32): void {
  let e = load<u32>(r + RT_RETIRED_OLD);
  if (e == 0 || !rc_passed(load<u32>(r + RT_RETIRED_STAMP))) return;
  store<u32>(r + RT_RETIRED_OLD, 0);
  while (e != 0) {
    const next = load<u32>(e + NE_GC_NEXT);
    store<u32>(e + NE_NEXT0, load<u32>(r + RT_FREE));
    store<u32>(r + RT_FREE, e);
    e = next;
  }
}

/**
 * At a tick (control plane): entries retired since the last one start waiting for reclaim.ts's open
 * grace period (when none are waiting), and waiting ones whose grace period is over are reused. The
 * caller runs rc_reclaim between the two halves (retireOldHashes).
 */
function stampRetired(r: u32): void {
  releasePassed(r);
  if (load<u32>(r + RT_RETIRED_OLD) != 0 || load<u32>(r + RT_RETIRED) == 0) return;
  store<u32>(r + RT_RETIRED_OLD, load<u32>(r + RT_RETIRED));
  store<u32>(r + RT_RETIRED, 0);
  store<u32>(r + RT_RETIRED_STAMP, rc_stamp());
}

function gcListAdd(t: u32, e: u32): void {
  const tail = load<u32>(t + T_GC_TAIL);
  store<u32>(e + NE_GC_PREV, tail);
  store<u32>(e + NE_GC_NEXT, 0);
  if (tail != 0) store<u32>(tail + NE_GC_NEXT, e);
  else store<u32>(t + T_GC_HEAD, e);
  store<u32>(t + T_GC_TAIL, e);
  store<u8>(e + NE_XFLAGS, load<u8>(e + NE_XFLAGS) | NEX_ON_GC);
  store<u32>(t + T_GC_ENTRIES, load<u32>(t + T_GC_ENTRIES) + 1);
}

function gcListDel(t: u32, e: u32): void {
  if ((load<u8>(e + NE_XFLAGS) & NEX_ON_GC) == 0) return;
  const prev = load<u32>(e + NE_GC_PREV);
  const next = load<u32>(e + NE_GC_NEXT);
  if (prev != 0) store<u32>(prev + NE_GC_NEXT, next);
  else store<u32>(t + T_GC_HEAD, next);
  if (next != 0) store<u32>(next + NE_GC_PREV, prev);
  else store<u32>(t + T_GC_TAIL, prev);
  store<u32>(e + NE_GC_PREV, 0);
  store<u32>(e + NE_GC_NEXT, 0);
  store<u8>(e + NE_XFLAGS, load<u8>(e + NE_XFLAGS) & ~NEX_ON_GC);
  store<u32>(t + T_GC_ENTRIES, load<u32>(t + T_GC_ENTRIES) - 1);
}

/** neigh_update_gc_list: permanent entries are exempt from gc, the others are on the list. */
function gcListUpdate(t: u32, e: u32): void {
  if (load<u8>(e + NE_DEAD) != 0) return;
  const exempt = (<u32>load<u8>(e + NE_STATE) & NUD_PERMANENT) != 0;
  const on = (load<u8>(e + NE_XFLAGS) & NEX_ON_GC) != 0;
  if (exempt && on) gcListDel(t, e);
  else if (!exempt && !on) gcListAdd(t, e);
}

/** neigh_hash_grow: the chains rebuilt in the other slot of every entry, the new block published whole. */
function hashGrow(r: u32, t: u32): void {
  const family = load<u32>(t + T_FAMILY);
  const old = load<u32>(t + T_HASH);
  const oshift = load<u32>(old + H_SHIFT);
  const ooff = chainOff(old);
  const nslot: u32 = load<u32>(old + H_SLOT) ^ 1;
  const h = hashAlloc(r, oshift + 1, nslot);
  if (h == 0) return;
  const noff = nslot == 0 ? NE_NEXT0 : NE_NEXT1;
  statInc(t, NSTAT_HASH_GROWS);
  const n: u32 = 1 << oshift;
  for (let i: u32 = 0; i < n; i++) {
    let e = load<u32>(old + H_BUCKETS + (i << 3));
    while (e != 0) {
      const b = bucketOf(h, family, load<u32>(e + NE_IFINDEX), e + NE_KEY);
      store<u32>(e + noff, load<u32>(b));
      store<u32>(b, e);
      e = load<u32>(e + ooff);
    }
  }
  store<u32>(t + T_HASH, h); // one aligned store: readers see the old block or the new one
  // the old block goes to reclaim.ts from the next tick (control plane; a grow may happen on the data
  // path, which must not touch the reclaimer); past OLD_HASH_MAX grows between two ticks it stays
  const k = load<u32>(r + RT_OLD_HASH);
  if (k < OLD_HASH_MAX) {
    store<u32>(r + RT_OLD_HASH + 4 + (k << 2), old);
    store<u32>(r + RT_OLD_HASH, k + 1);
  }
}

/** Hash blocks replaced since the last tick go to reclaim.ts, reused once every reader has left them. */
function retireOldHashes(r: u32): void {
  const k = load<u32>(r + RT_OLD_HASH);
  for (let i: u32 = 0; i < k; i++) {
    const h = load<u32>(r + RT_OLD_HASH + 4 + (i << 2));
    rc_retire(h, hashBytes(load<u32>(h + H_SHIFT)));
  }
  store<u32>(r + RT_OLD_HASH, 0);
}

/** Unlink `e` from its chain (hlist_del_rcu: its own link stays for a reader standing on it). */
function hashUnlink(t: u32, e: u32): void {
  const family = load<u32>(t + T_FAMILY);
  const h = load<u32>(t + T_HASH);
  const off = chainOff(h);
  let link = bucketOf(h, family, load<u32>(e + NE_IFINDEX), e + NE_KEY);
  let x = load<u32>(link);
  while (x != 0) {
    if (x == e) {
      store<u32>(link, load<u32>(e + off));
      return;
    }
    link = x + off;
    x = load<u32>(link);
  }
}

@inline function isMulticast4(a: u32): bool {
  return (a & 0xf0) == 0xe0; // the first byte (network order) is 224-239
}

/**
 * inet_addr_type_dev_table for the neighbour code: broadcast and multicast by form, the rest from table local —
 * for any device (it passes __inet_dev_addr_type no device: the device only picks an l3mdev's table, and wxdp has
 * no VRFs), so an address of another port is local too (an ARP probe for it is answered: arp_process).
 */
export function inetAddrType(addr: u32): u32 {
  if ((addr & 0xff) == 0 || addr == 0xffffffff) return RTN_BROADCAST; // zeronet, limited broadcast
  if (isMulticast4(addr)) return RTN_MULTICAST;
  return fib4_local_type(addr, 0);
}

/** ip_eth_mc_map: 01:00:5e and the low 23 bits of the group. */
export function arpMcMap(addr: u32, ha: u32): void {
  store<u8>(ha, 0x01);
  store<u8>(ha + 1, 0x00);
  store<u8>(ha + 2, 0x5e);
  store<u8>(ha + 3, <u8>((addr >> 8) & 0x7f));
  store<u8>(ha + 4, <u8>(addr >> 16));
  store<u8>(ha + 5, <u8>(addr >> 24));
}

/** ipv6_eth_mc_map: 33:33 and the group's last 32 bits. */
export function ndiscMcMap(addr: u32, ha: u32): void {
  store<u8>(ha, 0x33);
  store<u8>(ha + 1, 0x33);
  store<u32>(ha + 2, load<u32>(addr + 12));
}

@inline function setBroadcastHa(ha: u32): void {
  store<u32>(ha, 0xffffffff);
  store<u16>(ha + 4, 0xffff);
}

@inline function copyMac(dst: u32, src: u32): void {
  store<u32>(dst, load<u32>(src));
  store<u16>(dst + 4, load<u16>(src + 4));
}

/** arp_constructor / ndisc_constructor: the entry's type, and NOARP with a fixed address where no resolution is needed. */
function construct(e: u32, family: u32, dev: u32, ifindex: u32): void {
  const flags = load<u32>(dev + ND_FLAGS);
  const ha = e + NE_MAC;
  let state: u32 = 0;
  if (family == AF_INET) {
    if ((flags & (IFF_LOOPBACK | IFF_POINTOPOINT)) != 0) store<u32>(e + NE_KEY, 0);
    const addr = load<u32>(e + NE_KEY);
    const type = inetAddrType(addr);
    store<u8>(e + NE_TYPE, <u8>type);
    if (type == RTN_MULTICAST) {
      state = NUD_NOARP;
      arpMcMap(addr, ha);
    } else if ((flags & (IFF_NOARP | IFF_LOOPBACK)) != 0) {
      state = NUD_NOARP;
      putMac(ha, netdevMac(dev));
    } else if (type == RTN_BROADCAST || (flags & IFF_POINTOPOINT) != 0) {
      state = NUD_NOARP;
      setBroadcastHa(ha);
    }
  } else {
    const mc = load<u8>(e + NE_KEY) == 0xff;
    store<u8>(e + NE_TYPE, <u8>(mc ? RTN_MULTICAST : RTN_UNICAST));
    if (mc) {
      state = NUD_NOARP;
      ndiscMcMap(e + NE_KEY, ha);
    } else if ((flags & (IFF_NOARP | IFF_LOOPBACK)) != 0) {
      state = NUD_NOARP;
      putMac(ha, netdevMac(dev));
      if ((flags & IFF_LOOPBACK) != 0) store<u8>(e + NE_TYPE, <u8>RTN_LOCAL);
    } else if ((flags & IFF_POINTOPOINT) != 0) {
      state = NUD_NOARP;
      setBroadcastHa(ha);
    }
  }
  store<u8>(e + NE_STATE, <u8>state);
}

/**
 * neigh_alloc's admission: with gc_entries at gc_thresh3 (or at gc_thresh2 and no flush for 5 s) a
 * forced gc runs; a full table that it cannot shrink refuses the entry (table_fulls).
 */
function gcAdmit(t: u32): bool {
  const family = load<u32>(t + T_FAMILY);
  const entries = load<u32>(t + T_GC_ENTRIES);
  store<u32>(t + T_GC_ENTRIES, entries + 1); // atomic_inc_return: forced gc sees this one counted
  const th3 = gcThresh(family, 3);
  if (entries >= th3 || (entries >= gcThresh(family, 2) && NOW > load<i64>(t + T_LAST_FLUSH) + 5000)) {
    if (forcedGc(t) == 0 && entries >= th3) {
      statInc(t, NSTAT_TABLE_FULLS);
      store<u32>(t + T_GC_ENTRIES, load<u32>(t + T_GC_ENTRIES) - 1);
      return false;
    }
  }
  store<u32>(t + T_GC_ENTRIES, load<u32>(t + T_GC_ENTRIES) - 1); // gcListAdd counts it again
  return true;
}

/**
 * ___neigh_create: a new entry for `key` on `ifindex` (the key may be rewritten by the constructor),
 * or the one already there. 0 when the table refuses it (gc_thresh3) or memory ran out.
 */
export function neighCreate(t: u32, ifindex: u32, key: u32, exempt: bool): u32 {
  const r = neighRoot();
  const dev = netdevGet(ifindex);
  if (r == 0 || dev == 0) return 0;
  if (!exempt && !gcAdmit(t)) return 0;
  const e = entryAlloc(r);
  const p = devParms(t, ifindex);
  if (e == 0 || p == 0) return 0;
  const family = load<u32>(t + T_FAMILY);
  statInc(t, NSTAT_ALLOCS);
  store<u8>(e + NE_FAMILY, <u8>family);
  store<u32>(e + NE_IFINDEX, ifindex);
  memory.copy(e + NE_KEY, key, load<u32>(t + T_KEYLEN));
  store<u32>(e + NE_PARMS, p);
  store<i64>(e + NE_UPDATED, NOW);
  store<i64>(e + NE_USED, NOW);
  construct(e, family, dev, ifindex);
  store<i64>(e + NE_CONFIRMED, NOW - (<i64>parmVar(p, NVAR_BASE_REACHABLE_TIME) << 1));
  store<u32>(t + T_ENTRIES, load<u32>(t + T_ENTRIES) + 1);
  if (load<u32>(t + T_ENTRIES) > (<u32>1 << load<u32>(load<u32>(t + T_HASH) + H_SHIFT))) hashGrow(r, t);
  const found = lookupNoref(t, ifindex, e + NE_KEY);
  if (found != 0) {
    store<u32>(t + T_ENTRIES, load<u32>(t + T_ENTRIES) - 1);
    statInc(t, NSTAT_DESTROYS);
    store<u8>(e + NE_DEAD, 1);
    entryRetire(r, e);
    return found;
  }
  if (!exempt) gcListAdd(t, e);
  const h = load<u32>(t + T_HASH);
  const b = bucketOf(h, family, ifindex, e + NE_KEY);
  store<u32>(e + chainOff(h), load<u32>(b));
  store<u32>(b, e); // published: the entry is whole before it is reachable
  return e;
}

/** neigh_mark_dead + unlink + neigh_destroy: the entry leaves the table; its queue is purged. */
function entryRemove(t: u32, e: u32): void {
  const r = neighRoot();
  hashUnlink(t, e);
  gcListDel(t, e);
  timerDel(r, e);
  store<u8>(e + NE_DEAD, 1);
  purgeQueue(e);
  store<u32>(t + T_ENTRIES, load<u32>(t + T_ENTRIES) - 1);
  statInc(t, NSTAT_DESTROYS);
  entryRetire(r, e);
}

// ---- Timers: a min-heap of armed entries on (expiry, arming order) ----

@inline function heapAt(r: u32, i: u32): u32 {
  return load<u32>(load<u32>(r + RT_HEAP) + (i << 2));
}

@inline function heapLess(a: u32, b: u32): bool {
  const ta = load<i64>(a + NE_TIMER);
  const tb = load<i64>(b + NE_TIMER);
  return ta < tb || (ta == tb && <i32>(load<u32>(a + NE_TIMER_SEQ) - load<u32>(b + NE_TIMER_SEQ)) < 0);
}

@inline function heapSet(r: u32, i: u32, e: u32): void {
  store<u32>(load<u32>(r + RT_HEAP) + (i << 2), e);
  store<u32>(e + NE_TIMER_SLOT, i + 1);
}

function heapUp(r: u32, i: u32): void {
  const e = heapAt(r, i);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const pe = heapAt(r, parent);
    if (!heapLess(e, pe)) break;
    heapSet(r, i, pe);
    i = parent;
  }
  heapSet(r, i, e);
}

function heapDown(r: u32, i: u32): void {
  const n = load<u32>(r + RT_HEAP_N);
  const e = heapAt(r, i);
  while (true) {
    const lft: u32 = (i << 1) + 1;
    if (lft >= n) break;
    let c = lft;
    if (lft + 1 < n && heapLess(heapAt(r, lft + 1), heapAt(r, lft))) c = lft + 1;
    const ce = heapAt(r, c);
    if (!heapLess(ce, e)) break;
    heapSet(r, i, ce);
    i = c;
  }
  heapSet(r, i, e);
}

/** mod_timer: arm (or re-arm) the entry's timer for `when`. */
function timerMod(r: u32, e: u32, when: i64): void {
  const seq = load<u32>(r + RT_SEQ) + 1;
  store<u32>(r + RT_SEQ, seq);
  store<i64>(e + NE_TIMER, when);
  store<u32>(e + NE_TIMER_SEQ, seq);
  const slot = load<u32>(e + NE_TIMER_SLOT);
  if (slot != 0) {
    heapUp(r, slot - 1);
    heapDown(r, load<u32>(e + NE_TIMER_SLOT) - 1);
    return;
  }
  let n = load<u32>(r + RT_HEAP_N);
  const cap = load<u32>(r + RT_HEAP_CAP);
  if (n == cap) {
    const bigger = arena_alloc(cap * 8, 8);
    if (bigger == 0) return; // out of memory: the timer is lost, as a failed mod_timer would be
    memory.copy(bigger, load<u32>(r + RT_HEAP), cap * 4);
    store<u32>(r + RT_HEAP, bigger);
    store<u32>(r + RT_HEAP_CAP, cap * 2);
  }
  store<u32>(r + RT_HEAP_N, n + 1);
  heapSet(r, n, e);
  heapUp(r, n);
}

/** timer_delete: true when the timer was armed. */
function timerDel(r: u32, e: u32): bool {
  const slot = load<u32>(e + NE_TIMER_SLOT);
  if (slot == 0) return false;
  const i = slot - 1;
  const n = load<u32>(r + RT_HEAP_N) - 1;
  store<u32>(r + RT_HEAP_N, n);
  store<u32>(e + NE_TIMER_SLOT, 0);
  if (i != n) {
    heapSet(r, i, heapAt(r, n));
    heapUp(r, i);
    heapDown(r, load<u32>(heapAt(r, i) + NE_TIMER_SLOT) - 1);
  }
  return true;
}

/** neigh_add_timer. */
function addTimer(r: u32, e: u32, when: i64): void {
  if (load<i64>(e + NE_USED) < load<i64>(e + NE_CONFIRMED)) store<i64>(e + NE_USED, load<i64>(e + NE_CONFIRMED));
  timerMod(r, e, when);
}

/** neigh_del_timer: only states that keep a timer have one to delete. */
function delTimer(r: u32, e: u32): void {
  if ((<u32>load<u8>(e + NE_STATE) & NUD_IN_TIMER) != 0) timerDel(r, e);
}

// ---- The unresolved queue ----

@inline function frameHead(data: u32): u32 {
  return data & ~(FRAME_SIZE - 1);
}

function enqueue(e: u32, q: u32, data: u32, len: u32, iif: u32): void {
  const f = frameHead(data);
  store<u32>(f + FQ_NEXT, 0);
  store<u32>(f + FQ_Q, q);
  store<u32>(f + FQ_DATA, data);
  store<u32>(f + FQ_LEN, len);
  store<u32>(f + FQ_IIF, iif);
  store<u32>(f + FQ_MARK, nf_egress_mark_of(data + 14));
  const tail = load<u32>(e + NE_QTAIL);
  if (tail != 0) store<u32>(tail + FQ_NEXT, f);
  else store<u32>(e + NE_QHEAD, f);
  store<u32>(e + NE_QTAIL, f);
  store<u32>(e + NE_QBYTES, load<u32>(e + NE_QBYTES) + NEIGH_FRAME_TRUESIZE);
  store<u32>(e + NE_QLEN, load<u32>(e + NE_QLEN) + 1);
}

/** __skb_dequeue: the oldest queued frame's head (0: empty); its bytes are the caller's to account. */
function dequeue(e: u32): u32 {
  const f = load<u32>(e + NE_QHEAD);
  if (f == 0) return 0;
  const next = load<u32>(f + FQ_NEXT);
  store<u32>(e + NE_QHEAD, next);
  if (next == 0) store<u32>(e + NE_QTAIL, 0);
  store<u32>(e + NE_QLEN, load<u32>(e + NE_QLEN) - 1);
  return f;
}

/** __skb_queue_purge: every frame still queued is freed (kfree_skb: NOT_SPECIFIED). */
function purgeQueue(e: u32): void {
  let f = dequeue(e);
  while (f != 0) {
    netFree(load<u32>(f + FQ_Q), load<u32>(f + FQ_DATA));
    netDrop(NDROP_NOT_SPECIFIED);
    f = dequeue(e);
  }
  store<u32>(e + NE_QBYTES, 0);
}

// ---- Output ----

/** Fill the Ethernet addresses and hand the frame to the device (neigh_hh_output / dev_hard_header). */
@inline function neighXmit(e: u32, q: u32, data: u32, len: u32): void {
  const ifindex = load<u32>(e + NE_IFINDEX);
  const dev = netdevGet(ifindex);
  if (dev == 0) {
    netFree(q, data);
    netDrop(NDROP_NO_TX_TARGET);
    return;
  }
  copyMac(data, e + NE_MAC);
  putMac(data + 6, netdevMac(dev));
  store<u16>(data + 12, load<u8>(e + NE_FAMILY) == AF_INET ? 0x0008 : 0xdd86); // ETH_P_IP / ETH_P_IPV6, network order
  netdev_xmit(ifindex, q, data, len, false);
}

/**
 * __neigh_event_send (immediate_ok): start or continue resolution. 0: send now; 1: the frame was
 * taken (queued, or dropped with NEIGH_FAILED when the parms allow no probe at all).
 */
function eventSend(r: u32, e: u32, q: u32, data: u32, len: u32, iif: u32): i32 {
  const st = <u32>load<u8>(e + NE_STATE);
  if ((st & (NUD_CONNECTED | NUD_DELAY | NUD_PROBE)) != 0) return 0;
  let immediate = false;
  if ((st & (NUD_STALE | NUD_INCOMPLETE)) == 0) {
    if (evar(e, NVAR_MCAST_PROBES) + evar(e, NVAR_APP_PROBES) != 0) {
      store<u32>(e + NE_PROBES, evar(e, NVAR_UCAST_PROBES));
      delTimer(r, e);
      store<u8>(e + NE_STATE, <u8>NUD_INCOMPLETE);
      store<i64>(e + NE_UPDATED, NOW);
      immediate = true;
      addTimer(r, e, NOW + max<i64>(<i64>evar(e, NVAR_RETRANS_TIME), MIN_TIMER));
    } else {
      store<u8>(e + NE_STATE, <u8>NUD_FAILED);
      store<i64>(e + NE_UPDATED, NOW);
      if (data != 0) {
        netFree(q, data);
        netDrop(NDROP_NEIGH_FAILED);
      }
      return 1;
    }
  } else if ((st & NUD_STALE) != 0) {
    delTimer(r, e);
    store<u8>(e + NE_STATE, <u8>NUD_DELAY);
    store<i64>(e + NE_UPDATED, NOW);
    addTimer(r, e, NOW + <i64>evar(e, NVAR_DELAY_PROBE_TIME));
  }
  let rc: i32 = 0;
  if (<u32>load<u8>(e + NE_STATE) == NUD_INCOMPLETE) {
    if (data != 0) {
      const limit = evar(e, NVAR_QUEUE_LEN_BYTES);
      while (<u64>load<u32>(e + NE_QBYTES) + NEIGH_FRAME_TRUESIZE > <u64>limit) {
        const f = dequeue(e);
        if (f == 0) break;
        store<u32>(e + NE_QBYTES, load<u32>(e + NE_QBYTES) - NEIGH_FRAME_TRUESIZE);
        netFree(load<u32>(f + FQ_Q), load<u32>(f + FQ_DATA));
        netDrop(NDROP_NEIGH_QUEUEFULL);
        statInc(tableOf(r, load<u8>(e + NE_FAMILY)), NSTAT_UNRES_DISCARDS);
      }
      enqueue(e, q, data, len, iif);
    }
    rc = 1;
  }
  if (immediate) neighProbe(e);
  return rc;
}

/** neigh_resolve_output: resolve if needed, then send (the header cache is filled on the way). */
function resolveOutput(r: u32, e: u32, q: u32, data: u32, len: u32, iif: u32): void {
  store<i64>(e + NE_USED, NOW); // neigh_event_send
  if ((<u32>load<u8>(e + NE_STATE) & (NUD_CONNECTED | NUD_DELAY | NUD_PROBE)) == 0) {
    if (eventSend(r, e, q, data, len, iif) != 0) return;
  }
  store<u8>(e + NE_XFLAGS, load<u8>(e + NE_XFLAGS) | NEX_HH);
  neighXmit(e, q, data, len);
}

/** neigh_output: a connected entry with a filled header cache sends at once; the rest resolves. */
@inline export function neighOutput(e: u32, q: u32, data: u32, len: u32, iif: u32): void {
  const st = <u32>load<u8>(e + NE_STATE);
  if ((st & NUD_CONNECTED) != 0 && (load<u8>(e + NE_XFLAGS) & NEX_HH) != 0) {
    neighXmit(e, q, data, len);
    return;
  }
  resolveOutput(neighRoot(), e, q, data, len, iif);
}

/**
 * Send the frame at `data` (`len` bytes from its Ethernet header; L3 starts at data + 14) to next hop
 * `nh` (family, 4/16 bytes) on `ifindex`: fill in the Ethernet addresses and transmit when the
 * neighbour is valid, else queue it and resolve (ARP request / NS). Takes the frame (q: the queue it
 * came from, 0 for the stack's own frames). A frame of the stack's own (no input device); a forwarded
 * one goes through neigh_output_from.
 */
export function neigh_output(family: u32, ifindex: u32, nh: u32, q: u32, data: u32, len: u32): void {
  neigh_output_from(family, ifindex, nh, q, data, len, 0);
}

/**
 * neigh_output for a frame that came in on `iif` (skb_iif; 0 for the stack's own): should its
 * neighbour fail, the ICMP error names that device (icmp_send's inbound checks and, with
 * icmp_errors_use_inbound_ifaddr, its source address), and the 6 bytes at `data` must still be the
 * destination MAC it arrived with (forwarding rewrites only the Ethernet type before this).
 */
export function neigh_output_from(family: u32, ifindex: u32, nh: u32, q: u32, data: u32, len: u32, iif: u32): void {
  const r = neighRoot();
  const dev = netdevGet(ifindex);
  if (r == 0 || dev == 0 || (family != AF_INET && family != AF_INET6)) {
    netFree(q, data);
    netDrop(dev == 0 ? NDROP_NO_TX_TARGET : NDROP_NOMEM);
    return;
  }
  if (!IN_TICK) NOW = clockNow();
  if (family == AF_INET6 && load<u32>(dev + ND_CONF6 + (CONF6_DISABLE_IPV6 << 2)) != 0) {
    netFree(q, data); // ip6_output: IPv6 is disabled on the device
    netDrop(NDROP_IPV6DISABLED);
    mibInc(MIB_IP6_OUT_DISCARDS);
    return;
  }
  const t = tableOf(r, family);
  const key = outputKey(r, family, dev, nh);
  let e = outputLookup(t, ifindex, key);
  if (e != 0 && (<u32>load<u8>(e + NE_STATE) & NUD_CONNECTED) != 0 && (load<u8>(e + NE_XFLAGS) & NEX_HH) != 0) {
    neighXmit(e, q, data, len); // neighOutput's fast path: nothing written, no lock
    return;
  }
  neighLock();
  // another thread may have created it since the lookup, or unlinked the one found (its memory waits
  // for a grace period, but a frame queued on it would never be sent)
  if (e != 0 && load<u8>(e + NE_DEAD) != 0) e = 0;
  if (e == 0) e = lookupNoref(t, ifindex, key);
  if (e == 0) e = neighCreate(t, ifindex, key, (load<u32>(dev + ND_FLAGS) & IFF_LOOPBACK) != 0);
  if (e == 0) {
    neighUnlock();
    netFree(q, data);
    netDrop(NDROP_NEIGH_CREATEFAIL);
    if (family == AF_INET6) mibInc(MIB_IP6_OUT_NO_ROUTES);
    return;
  }
  neighOutput(e, q, data, len, iif);
  neighUnlock();
}

/**
 * The lean IPv4 forward's neighbour (fwd4_lean.ts): the entry neigh_output_from would find for next hop
 * `nh` (4 bytes, network order) on `ifindex` (its record `dev`) when it would send at once — connected,
 * its header cached — else 0, and nothing is decided: the caller takes the full path, which creates or
 * resolves the entry. Reads the clock as neigh_output_from does.
 */
/**
 * outputLookup of IPv4 `addr` (4 bytes at `addr`) on `ifindex` (record `dev`), through a per-next-hop
 * hint: the u32 at `hint` (a next hop's NH_NEIGH, fib.ts) names the entry found for it last, used
 * while it is that live entry (the output memo's test); else the output lookup, whose answer becomes
 * the hint. What it returns is the table lookup's answer. The kernel keeps the same per next hop
 * (nhc_pcpu_rth_output's cached route and its neighbour); with many next hops (ECMP) the output memo's
 * four slots do not hold them all.
 */
@inline function neigh4Hinted(r: u32, ifindex: u32, dev: u32, addr: u32, hint: u32): u32 {
  const m = load<u32>(hint);
  const key = (load<u32>(dev + ND_FLAGS) & (IFF_LOOPBACK | IFF_POINTOPOINT)) != 0 ? 0 : load<u32>(addr);
  if (m != 0 && load<u8>(m + NE_DEAD) == 0 && load<u32>(m + NE_IFINDEX) == ifindex && <u32>load<u8>(m + NE_FAMILY) == AF_INET && load<u32>(m + NE_KEY) == key) return m;
  const e = outputLookup(tableOf(r, AF_INET), ifindex, outputKey(r, AF_INET, dev, addr));
  if (e != 0) store<u32>(hint, e);
  return e;
}

/** neigh4_lookup_hinted for a caller that holds the device's record `dev` already (bpf_fib_lookup's lean path). */
@inline export function neigh4LookupHintedDev(ifindex: u32, dev: u32, addr: u32, hint: u32): u32 {
  const nr = netRoot();
  const r = nr != 0 ? load<u32>(nr + NR_NEIGH) : 0;
  return r != 0 ? neigh4Hinted(r, ifindex, dev, addr, hint) : 0;
}

/** neigh_lookup for IPv4 through a next hop's hint (neigh4Hinted). */
export function neigh4_lookup_hinted(ifindex: u32, addr: u32, hint: u32): u32 {
  const nr = netRoot();
  if (nr == 0) return 0;
  const r = load<u32>(nr + NR_NEIGH);
  const dev = netdevGet(ifindex);
  if (r == 0 || dev == 0) return 0;
  return neigh4Hinted(r, ifindex, dev, addr, hint);
}

/** neigh4Ready through a next hop's hint (neigh4Hinted). */
export function neigh4ReadyHinted(ifindex: u32, dev: u32, nh: u32, hint: u32): u32 {
  const r = neighRoot();
  if (r == 0) return 0;
  if (!IN_TICK) NOW = clockNow();
  const e = neigh4Hinted(r, ifindex, dev, nh, hint);
  if (e == 0 || (<u32>load<u8>(e + NE_STATE) & NUD_CONNECTED) == 0 || (load<u8>(e + NE_XFLAGS) & NEX_HH) == 0) return 0;
  return e;
}

export function neigh4Ready(ifindex: u32, dev: u32, nh: u32): u32 {
  const r = neighRoot();
  if (r == 0) return 0;
  if (!IN_TICK) NOW = clockNow();
  const e = outputLookup(tableOf(r, AF_INET), ifindex, outputKey(r, AF_INET, dev, nh));
  if (e == 0 || (<u32>load<u8>(e + NE_STATE) & NUD_CONNECTED) == 0 || (load<u8>(e + NE_XFLAGS) & NEX_HH) == 0) return 0;
  return e;
}

/** neigh4Ready for an IPv6 next hop (16 bytes at `nh`): the flowtable's IPv6 hits (nf_flow_table.ts). */
export function neigh6Ready(ifindex: u32, dev: u32, nh: u32): u32 {
  const r = neighRoot();
  if (r == 0) return 0;
  if (!IN_TICK) NOW = clockNow();
  const e = outputLookup(tableOf(r, AF_INET6), ifindex, outputKey(r, AF_INET6, dev, nh));
  if (e == 0 || (<u32>load<u8>(e + NE_STATE) & NUD_CONNECTED) == 0 || (load<u8>(e + NE_XFLAGS) & NEX_HH) == 0) return 0;
  return e;
}

// ---- Probes, failure, the timer handler ----

/** neigh_probe: solicit with the newest queued frame as the hint for the source address. */
function neighProbe(e: u32): void {
  const f = load<u32>(e + NE_QTAIL);
  const data = f != 0 ? load<u32>(f + FQ_DATA) : 0;
  const len = f != 0 ? load<u32>(f + FQ_LEN) : 0;
  if (load<u8>(e + NE_FAMILY) == AF_INET) arpSolicit(e, data, len);
  else ndiscSolicit(e, data, len);
  store<u32>(e + NE_PROBES, load<u32>(e + NE_PROBES) + 1);
}

/** neigh_max_probes. */
@inline function maxProbes(e: u32): u32 {
  const p = entryParms(e);
  return parmVar(p, NVAR_UCAST_PROBES) + parmVar(p, NVAR_APP_PROBES) +
    ((<u32>load<u8>(e + NE_STATE) & NUD_PROBE) != 0 ? parmVar(p, NVAR_MCAST_REPROBES) : parmVar(p, NVAR_MCAST_PROBES));
}

/**
 * The error a frame gets when its neighbour failed (arp_error_report / ndisc_error_report →
 * dst_link_failure): ICMP host unreachable / ICMPv6 address unreachable toward its source, then the
 * frame is dropped with NEIGH_FAILED.
 */
function errorReport(e: u32, q: u32, data: u32, len: u32, iif: u32): void {
  const ip = data + 14;
  const iplen = len >= 14 ? len - 14 : 0;
  // `iif` is the device the frame came in on (0: the stack's own), which icmp_send weighs as the
  // kernel weighs skb_iif: its inbound checks read the destination MAC still at `data`.
  if (load<u8>(e + NE_FAMILY) == AF_INET) {
    // ipv4_send_dest_unreach: only a believable IPv4 header is answered
    if (iplen >= 20) {
      const vihl = <u32>load<u8>(ip);
      if ((vihl >> 4) == 4 && (vihl & 15) >= 5 && iplen >= (vihl & 15) * 4) icmp_send(iif, ip, iplen, 3, 1, 0);
    }
  } else if (iplen >= 40) {
    icmpv6_send(iif, ip, iplen, 1, 3, 0); // ip6_link_failure: ICMPV6_DEST_UNREACH, ICMPV6_ADDR_UNREACH
  }
  netFree(q, data);
  netDrop(NDROP_NEIGH_FAILED);
}

/** neigh_invalidate: the queue answered with errors while the entry stays FAILED, the rest purged. */
function invalidate(r: u32, e: u32): void {
  statInc(tableOf(r, load<u8>(e + NE_FAMILY)), NSTAT_RES_FAILED);
  store<i64>(e + NE_UPDATED, NOW);
  while (<u32>load<u8>(e + NE_STATE) == NUD_FAILED) {
    const f = dequeue(e);
    if (f == 0) break;
    errorReport(e, load<u32>(f + FQ_Q), load<u32>(f + FQ_DATA), load<u32>(f + FQ_LEN), load<u32>(f + FQ_IIF));
  }
  purgeQueue(e);
}

/** neigh_timer_handler, run at the timer's expiry (NOW). */
function timerHandler(r: u32, e: u32): void {
  const state = <u32>load<u8>(e + NE_STATE);
  const now = NOW;
  let next: i64 = now + 1000;
  if ((state & NUD_IN_TIMER) == 0) return;
  const p = entryParms(e);
  if ((state & NUD_REACHABLE) != 0) {
    const confirmed = load<i64>(e + NE_CONFIRMED);
    const reach = <i64>load<u32>(p + P_REACHABLE);
    if (now <= confirmed + reach) {
      next = confirmed + reach;
    } else if (now <= load<i64>(e + NE_USED) + <i64>parmVar(p, NVAR_DELAY_PROBE_TIME)) {
      store<u8>(e + NE_STATE, <u8>NUD_DELAY);
      store<i64>(e + NE_UPDATED, now);
      next = now + <i64>parmVar(p, NVAR_DELAY_PROBE_TIME);
    } else {
      store<u8>(e + NE_STATE, <u8>NUD_STALE);
      store<i64>(e + NE_UPDATED, now);
    }
  } else if ((state & NUD_DELAY) != 0) {
    if (now <= load<i64>(e + NE_CONFIRMED) + <i64>parmVar(p, NVAR_DELAY_PROBE_TIME)) {
      store<u8>(e + NE_STATE, <u8>NUD_REACHABLE);
      store<i64>(e + NE_UPDATED, now);
      next = load<i64>(e + NE_CONFIRMED) + <i64>load<u32>(p + P_REACHABLE);
    } else {
      store<u8>(e + NE_STATE, <u8>NUD_PROBE);
      store<i64>(e + NE_UPDATED, now);
      store<u32>(e + NE_PROBES, 0);
      next = now + max<i64>(<i64>parmVar(p, NVAR_RETRANS_TIME), MIN_TIMER);
    }
  } else {
    next = now + max<i64>(<i64>parmVar(p, NVAR_RETRANS_TIME), MIN_TIMER); // PROBE, INCOMPLETE
  }
  const ns = <u32>load<u8>(e + NE_STATE);
  if ((ns & (NUD_INCOMPLETE | NUD_PROBE)) != 0 && load<u32>(e + NE_PROBES) >= maxProbes(e)) {
    store<u8>(e + NE_STATE, <u8>NUD_FAILED);
    invalidate(r, e);
    return;
  }
  if ((ns & NUD_IN_TIMER) != 0) {
    if (next < now + MIN_TIMER) next = now + MIN_TIMER;
    timerMod(r, e, next);
  }
  if ((ns & (NUD_INCOMPLETE | NUD_PROBE)) != 0) neighProbe(e);
}

// ---- neigh_update ----

/** Overwrite the entry's link-layer address under its sequence word (readers retry on odd or changed). */
function setHa(e: u32, ha: u32): void {
  const seq = load<u32>(e + NE_HA_SEQ);
  store<u32>(e + NE_HA_SEQ, seq + 1);
  copyMac(e + NE_MAC, ha);
  store<u32>(e + NE_HA_SEQ, seq + 2);
}

/** neigh_update_process_arp_queue: the frames that waited go out through the entry, oldest first. */
function processArpQueue(r: u32, e: u32): void {
  while ((<u32>load<u8>(e + NE_STATE) & NUD_VALID) != 0) {
    const f = dequeue(e);
    if (f == 0) break;
    const data = load<u32>(f + FQ_DATA);
    nf_egress_held(data + 14, load<u32>(f + FQ_MARK));
    resolveOutput(r, e, load<u32>(f + FQ_Q), data, load<u32>(f + FQ_LEN), load<u32>(f + FQ_IIF));
    nf_egress_held_done();
  }
  purgeQueue(e);
}

/**
 * __neigh_update: `lladdr` (6 bytes, 0: none given), the new NUD state and NEIGH_UPDATE_F_* flags.
 * 0, -1 (EPERM: a NOARP/PERMANENT entry and no ADMIN flag, or a dead entry), -22 (EINVAL: no
 * address given and none known).
 */
export function neighUpdate(e: u32, lladdr: u32, newState: u32, flags: u32): i32 {
  const r = neighRoot();
  const old = <u32>load<u8>(e + NE_STATE);
  let nw = newState;
  let err: i32 = -1;
  let updateIsRouter = false;
  let processQueue = false;
  if (load<u8>(e + NE_DEAD) != 0) return -1;
  if ((flags & NEIGH_UPDATE_F_ADMIN) == 0 && (old & (NUD_NOARP | NUD_PERMANENT)) != 0) return -1;
  if ((nw & NUD_VALID) == 0) {
    delTimer(r, e);
    store<u8>(e + NE_STATE, <u8>nw);
    if ((old & (NUD_INCOMPLETE | NUD_PROBE)) != 0 && (nw & NUD_FAILED) != 0) invalidate(r, e);
    gcUpdateIfPermanentChanged(r, e, old, nw);
    return 0;
  }
  // compare the new address with the cached one: `same` stands for lladdr == neigh->ha
  let same = false;
  if (lladdr != 0) {
    if ((old & NUD_VALID) != 0 && load<u32>(lladdr) == load<u32>(e + NE_MAC) && load<u16>(lladdr + 4) == load<u16>(e + NE_MAC + 4)) same = true;
  } else {
    if ((old & NUD_VALID) == 0) return -22;
    same = true;
  }
  if ((nw & NUD_CONNECTED) != 0) store<i64>(e + NE_CONFIRMED, NOW);
  err = 0;
  updateIsRouter = (flags & NEIGH_UPDATE_F_OVERRIDE_ISROUTER) != 0;
  let skip = false;
  if ((old & NUD_VALID) != 0) {
    if (!same && (flags & NEIGH_UPDATE_F_OVERRIDE) == 0) {
      updateIsRouter = false;
      if ((flags & NEIGH_UPDATE_F_WEAK_OVERRIDE) != 0 && (old & NUD_CONNECTED) != 0) {
        same = true;
        nw = NUD_STALE;
      } else {
        skip = true;
      }
    } else if (same && nw == NUD_STALE && (flags & NEIGH_UPDATE_F_ADMIN) == 0) {
      nw = old;
    }
  }
  if (!skip) {
    if (nw != old || !same) store<i64>(e + NE_UPDATED, NOW);
    if (nw != old) {
      delTimer(r, e);
      if ((nw & NUD_PROBE) != 0) store<u32>(e + NE_PROBES, 0);
      if ((nw & NUD_IN_TIMER) != 0) {
        addTimer(r, e, NOW + ((nw & NUD_REACHABLE) != 0 ? <i64>load<u32>(entryParms(e) + P_REACHABLE) : 0));
      }
      store<u8>(e + NE_STATE, <u8>nw);
    }
    if (!same) {
      setHa(e, lladdr);
      if ((nw & NUD_CONNECTED) == 0) {
        store<i64>(e + NE_CONFIRMED, NOW - (<i64>evar(e, NVAR_BASE_REACHABLE_TIME) << 1));
      }
    }
    if (nw != old && (old & NUD_VALID) == 0) processQueue = true;
  } else {
    nw = old;
  }
  if (updateIsRouter) {
    const fl = <u32>load<u8>(e + NE_FLAGS);
    store<u8>(e + NE_FLAGS, <u8>((flags & NEIGH_UPDATE_F_ISROUTER) != 0 ? fl | NTF_ROUTER : fl & ~NTF_ROUTER));
  }
  if (processQueue) processArpQueue(r, e);
  gcUpdateIfPermanentChanged(r, e, old, nw);
  return err;
}

@inline function gcUpdateIfPermanentChanged(r: u32, e: u32, old: u32, nw: u32): void {
  if (((old ^ nw) & NUD_PERMANENT) != 0) gcListUpdate(tableOf(r, load<u8>(e + NE_FAMILY)), e);
}

/** neigh_event_ns: the sender of a solicitation (created when it gave its address) becomes STALE. */
export function neighEventNs(family: u32, ifindex: u32, lladdr: u32, saddr: u32): u32 {
  const t = neighTable(family);
  const dev = netdevGet(ifindex);
  if (t == 0 || dev == 0) return 0;
  let e = neighLookupStat(t, ifindex, saddr);
  if (e == 0 && lladdr != 0) e = neighCreate(t, ifindex, saddr, (load<u32>(dev + ND_FLAGS) & IFF_LOOPBACK) != 0);
  if (e != 0) neighUpdate(e, lladdr, NUD_STALE, NEIGH_UPDATE_F_OVERRIDE);
  return e;
}

/** A flow key (FL_SIZE) and a FIB result (FR_SIZE) for arp.ts's route checks. */
export function neighFlowBuf(): u32 {
  return neighRoot() + RT_FLOW;
}

// ---- Garbage collection ----

/**
 * neigh_forced_gc: from the oldest, entries nobody holds (no timer) that are FAILED, NOARP,
 * multicast or not updated for 5 s go, until gc_entries is back at gc_thresh2. Entries shrunk.
 */
function forcedGc(t: u32): u32 {
  const family = load<u32>(t + T_FAMILY);
  const maxClean = <i32>load<u32>(t + T_GC_ENTRIES) - <i32>gcThresh(family, 2);
  const tref = NOW - 5000;
  let shrunk: i32 = 0;
  statInc(t, NSTAT_FORCED_GC_RUNS);
  let e = load<u32>(t + T_GC_HEAD);
  while (e != 0) {
    const next = load<u32>(e + NE_GC_NEXT);
    if (load<u32>(e + NE_TIMER_SLOT) == 0) {
      const st = <u32>load<u8>(e + NE_STATE);
      const upd = load<i64>(e + NE_UPDATED);
      const mc = family == AF_INET ? isMulticast4(load<u32>(e + NE_KEY)) : load<u8>(e + NE_KEY) == 0xff;
      if (st == NUD_FAILED || st == NUD_NOARP || mc || !(upd >= tref && upd <= NOW)) {
        entryRemove(t, e);
        shrunk++;
      }
      if (shrunk >= maxClean) break;
    }
    e = next;
  }
  store<i64>(t + T_LAST_FLUSH, NOW);
  return <u32>shrunk;
}

/** neigh_periodic_work: re-randomise reachable_time every 300 s, drop stale unreferenced entries. */
function periodicWork(r: u32, t: u32): void {
  const family = load<u32>(t + T_FAMILY);
  statInc(t, NSTAT_PERIODIC_GC_RUNS);
  if (NOW > load<i64>(t + T_LAST_RAND) + 300000) {
    store<i64>(t + T_LAST_RAND, NOW);
    rerandomise(r, t);
  }
  if (load<u32>(t + T_ENTRIES) >= gcThresh(family, 1)) {
    const h = load<u32>(t + T_HASH);
    const off = chainOff(h);
    const n: u32 = 1 << load<u32>(h + H_SHIFT);
    for (let i: u32 = 0; i < n; i++) {
      let e = load<u32>(h + H_BUCKETS + (i << 3));
      while (e != 0) {
        const next = load<u32>(e + off);
        const st = <u32>load<u8>(e + NE_STATE);
        if ((st & (NUD_PERMANENT | NUD_IN_TIMER)) == 0) {
          const confirmed = load<i64>(e + NE_CONFIRMED);
          if (load<i64>(e + NE_USED) < confirmed && confirmed <= NOW) store<i64>(e + NE_USED, confirmed);
          const used = load<i64>(e + NE_USED);
          const stale = <i64>evar(e, NVAR_GC_STALETIME);
          if (load<u32>(e + NE_TIMER_SLOT) == 0 && (st == NUD_FAILED || !(NOW >= used && NOW < used + stale))) entryRemove(t, e);
        }
        e = next;
      }
    }
  }
  store<i64>(t + T_GC_WORK, NOW + (<i64>parmVar(t + T_PARMS, NVAR_BASE_REACHABLE_TIME) >> 1));
}

function rerandomise(r: u32, t: u32): void {
  const dp = load<u32>(t + T_DEVPARMS);
  const p0 = t + T_PARMS;
  store<u32>(p0 + P_REACHABLE, randReachTime(r, parmVar(p0, NVAR_BASE_REACHABLE_TIME)));
  for (let i: u32 = 1; i < NETDEV_MAX; i++) {
    const p = load<u32>(dp + (i << 2));
    if (p != 0) store<u32>(p + P_REACHABLE, randReachTime(r, parmVar(p, NVAR_BASE_REACHABLE_TIME)));
  }
}

/** The clock moved to `now` (ms): run the state machine's timers and garbage collection. */
export function neigh_tick(now: u64): void {
  const nr = netRoot();
  if (nr == 0) return;
  const r = load<u32>(nr + NR_NEIGH);
  if (r == 0) return;
  const limit = <i64>now;
  const t4 = tableOf(r, AF_INET);
  const t6 = tableOf(r, AF_INET6);
  neighLock();
  IN_TICK = true;
  // Every event that fell due, in time order, each at its own time: the result does not depend on
  // how the control plane steps the clock.
  while (true) {
    let tmin: i64 = limit + 1;
    let which: u32 = 0;
    if (load<u32>(r + RT_HEAP_N) != 0) {
      tmin = load<i64>(heapAt(r, 0) + NE_TIMER);
      which = 1;
    }
    const g4 = load<i64>(t4 + T_GC_WORK);
    if (g4 < tmin) {
      tmin = g4;
      which = 2;
    }
    const g6 = load<i64>(t6 + T_GC_WORK);
    if (g6 < tmin) {
      tmin = g6;
      which = 3;
    }
    if (tmin > limit) break;
    NOW = tmin;
    if (which == 1) {
      const e = heapAt(r, 0);
      timerDel(r, e);
      timerHandler(r, e);
    } else {
      periodicWork(r, which == 2 ? t4 : t6);
    }
  }
  IN_TICK = false;
  NOW = limit;
  stampRetired(r);
  retireOldHashes(r);
  rc_reclaim();
  releasePassed(r);
  neighUnlock();
}

/**
 * When the next armed neighbour timer falls due (ms on the stack clock), -1 when none is: the control
 * plane's poll driver sleeps until then. Periodic garbage collection is not counted (it only ages).
 */
export function neigh_next_timer(): i64 {
  const nr = netRoot();
  const r = nr == 0 ? 0 : load<u32>(nr + NR_NEIGH);
  if (r == 0 || load<u32>(r + RT_HEAP_N) == 0) return -1;
  return load<i64>(heapAt(r, 0) + NE_TIMER);
}

// ---- Receive (the contracts; the protocol work is in arp.ts and ndisc.ts) ----

/** An ARP packet (data at the ARP header; the untagged Ethernet header is the 14 bytes before). Takes the frame. */
export function arp_rcv(ifindex: u32, q: u32, data: u32, len: u32): void {
  if (neighRoot() == 0) {
    netFree(q, data);
    netDrop(NDROP_NOMEM);
    return;
  }
  NOW = clockNow();
  neighLock();
  arpRcv(ifindex, q, data, len);
  neighUnlock();
}

/**
 * A neighbour discovery message (types 133-137): data at the IPv6 header, the ICMPv6 header at
 * data + l4off, len bytes from data. Takes the frame.
 */
export function ndisc_rcv(ifindex: u32, q: u32, data: u32, len: u32, l4off: u32): void {
  if (neighRoot() == 0) {
    netFree(q, data);
    netDrop(NDROP_NOMEM);
    return;
  }
  NOW = clockNow();
  neighLock();
  ndiscRcv(ifindex, q, data, len, l4off);
  neighUnlock();
}

// ---- Control plane (src/control/neigh.ts) ----

/** The control plane's argument area: key at +0 (16), lladdr at +16, its length at +24, a message id at +28. */
export function neigh_ctl_io(): u32 {
  const r = neighRoot();
  return r == 0 ? 0 : r + RT_IO;
}

/** Seed the PRNG that draws reachable_time (tests; the kernel uses get_random_u32). */
export function neigh_seed(seed: u32): void {
  const r = neighRoot();
  if (r != 0) store<u32>(r + RT_PRNG, seed == 0 ? 0x2545f491 : seed);
}

function ctlMsg(r: u32, id: u32): void {
  store<u32>(r + RT_IO + NEIGH_IO_MSG, id);
}

/**
 * neigh_add (RTM_NEWNEIGH): the key and lladdr in the I/O area, `state` NUD_*, `ntf` NTF_* (ROUTER),
 * `nlflags` NLM_F_CREATE/EXCL/REPLACE. 0 or -errno (-17 EEXIST, -2 ENOENT, -22 EINVAL with a
 * message id, -19 ENODEV, -105 ENOBUFS, -97 EAFNOSUPPORT).
 */
export function neigh_ctl_add(family: u32, ifindex: u32, state: u32, ntf: u32, nlflags: u32): i32 {
  if (netRoot() == 0) return neighCtlAdd(family, ifindex, state, ntf, nlflags);
  neighLock();
  const rc = neighCtlAdd(family, ifindex, state, ntf, nlflags);
  neighUnlock();
  return rc;
}

function neighCtlAdd(family: u32, ifindex: u32, state: u32, ntf: u32, nlflags: u32): i32 {
  const r = neighRoot();
  if (r == 0) return -12;
  NOW = clockNow();
  ctlMsg(r, 0);
  if (family != AF_INET && family != AF_INET6) return -97;
  const dev = netdevGet(ifindex);
  if (dev == 0) return -19;
  const io = r + RT_IO;
  const hasLl = load<u32>(io + NEIGH_IO_LLADDR_LEN) != 0;
  if (hasLl && load<u32>(io + NEIGH_IO_LLADDR_LEN) < 6) {
    ctlMsg(r, NEIGH_MSG_BAD_LLADDR);
    return -22;
  }
  if (family == AF_INET6 && load<u32>(dev + ND_CONF6 + (CONF6_DISABLE_IPV6 << 2)) != 0) {
    ctlMsg(r, NEIGH_MSG_IPV6_DISABLED);
    return -22;
  }
  const t = tableOf(r, family);
  let flags = NEIGH_UPDATE_F_ADMIN | NEIGH_UPDATE_F_OVERRIDE | NEIGH_UPDATE_F_OVERRIDE_ISROUTER;
  let e = neighLookupStat(t, ifindex, io + NEIGH_IO_KEY);
  if (e == 0) {
    if ((nlflags & NLM_F_CREATE) == 0) return -2;
    e = neighCreate(t, ifindex, io + NEIGH_IO_KEY, (state & NUD_PERMANENT) != 0);
    if (e == 0) return -105;
  } else {
    if ((nlflags & NLM_F_EXCL) != 0) return -17;
    if ((nlflags & NLM_F_REPLACE) == 0) flags &= ~(NEIGH_UPDATE_F_OVERRIDE | NEIGH_UPDATE_F_OVERRIDE_ISROUTER);
  }
  if ((ntf & NTF_ROUTER) != 0) flags |= NEIGH_UPDATE_F_ISROUTER;
  const err = neighUpdate(e, hasLl ? io + NEIGH_IO_LLADDR : 0, state & 0xff, flags);
  if (err == -22) ctlMsg(r, NEIGH_MSG_NO_LLADDR);
  if (err == -1) ctlMsg(r, NEIGH_MSG_DEAD);
  return err;
}

/** neigh_delete (RTM_DELNEIGH): FAILED by the administrator, then out of the table. 0, -2 (ENOENT), -19. */
export function neigh_ctl_del(family: u32, ifindex: u32): i32 {
  if (netRoot() == 0) return neighCtlDel(family, ifindex);
  neighLock();
  const rc = neighCtlDel(family, ifindex);
  neighUnlock();
  return rc;
}

function neighCtlDel(family: u32, ifindex: u32): i32 {
  const r = neighRoot();
  if (r == 0) return -12;
  NOW = clockNow();
  if (family != AF_INET && family != AF_INET6) return -97;
  if (netdevGet(ifindex) == 0) return -19;
  const t = tableOf(r, family);
  const e = neighLookupStat(t, ifindex, r + RT_IO + NEIGH_IO_KEY);
  if (e == 0) return -2;
  const err = neighUpdate(e, 0, NUD_FAILED, NEIGH_UPDATE_F_OVERRIDE | NEIGH_UPDATE_F_ADMIN);
  if (load<u32>(e + NE_TIMER_SLOT) == 0 && load<u8>(e + NE_DEAD) == 0) entryRemove(t, e); // neigh_remove_one
  return err;
}

/** neigh_get (RTM_GETNEIGH for one entry): its address, 0 when there is none. */
export function neigh_ctl_get(family: u32, ifindex: u32): u32 {
  const r = neighRoot();
  if (r == 0 || (family != AF_INET && family != AF_INET6)) return 0;
  return neighLookupStat(tableOf(r, family), ifindex, r + RT_IO + NEIGH_IO_KEY);
}

/** Walk a table (neigh_dump_table order: buckets, then chains): the first entry, 0 when empty. */
export function neigh_ctl_first(family: u32): u32 {
  const r = neighRoot();
  if (r == 0 || (family != AF_INET && family != AF_INET6)) return 0;
  return bucketScan(load<u32>(tableOf(r, family) + T_HASH), 0);
}

function bucketScan(h: u32, from: u32): u32 {
  const n: u32 = 1 << load<u32>(h + H_SHIFT);
  for (let i = from; i < n; i++) {
    const e = load<u32>(h + H_BUCKETS + (i << 3));
    if (e != 0) return e;
  }
  return 0;
}

/** The entry after `e` in its table's walk, 0 at the end. */
export function neigh_ctl_next(e: u32): u32 {
  const r = neighRoot();
  if (r == 0 || e == 0) return 0;
  const family = <u32>load<u8>(e + NE_FAMILY);
  const h = load<u32>(tableOf(r, family) + T_HASH);
  const nx = load<u32>(e + chainOff(h));
  if (nx != 0) return nx;
  const b = (bucketOf(h, family, load<u32>(e + NE_IFINDEX), e + NE_KEY) - h - H_BUCKETS) >> 3;
  return bucketScan(h, b + 1);
}

/**
 * neigh_flush_dev for `ifindex` in `family`'s table (0: both): neigh_ifdown (NETDEV_DOWN, unregister,
 * a changed address) takes every entry, permanent ones too; neigh_carrier_down (`skipPerm`) leaves the
 * permanent ones. Frames waiting on the entries are dropped. Entries removed.
 */
export function neigh_ctl_ifdown(ifindex: u32, family: u32, skipPerm: u32): u32 {
  if (netRoot() == 0) return neighCtlIfdown(ifindex, family, skipPerm);
  neighLock();
  const rc = neighCtlIfdown(ifindex, family, skipPerm);
  neighUnlock();
  return rc;
}

function neighCtlIfdown(ifindex: u32, family: u32, skipPerm: u32): u32 {
  const r = neighRoot();
  if (r == 0) return 0;
  NOW = clockNow();
  let n: u32 = 0;
  for (let f: u32 = 0; f < 2; f++) {
    const fam = f == 0 ? AF_INET : AF_INET6;
    if (family != 0 && family != fam) continue;
    const t = tableOf(r, fam);
    const h = load<u32>(t + T_HASH);
    const off = chainOff(h);
    const nb: u32 = 1 << load<u32>(h + H_SHIFT);
    for (let i: u32 = 0; i < nb; i++) {
      let e = load<u32>(h + H_BUCKETS + (i << 3));
      while (e != 0) {
        const next = load<u32>(e + off);
        if (load<u32>(e + NE_IFINDEX) == ifindex && (skipPerm == 0 || (<u32>load<u8>(e + NE_STATE) & NUD_PERMANENT) == 0)) {
          entryRemove(t, e);
          n++;
        }
        e = next;
      }
    }
  }
  return n;
}

/**
 * neigh_parms_release (NETDEV_UNREGISTER): the device's parms in both tables go (their memory retired
 * to reclaim.ts), so a device that later takes the same ifindex starts from "default" again, as a new
 * device's neigh_parms_alloc does. Its entries must be gone first (neigh_ctl_ifdown).
 */
export function neigh_ctl_parms_release(ifindex: u32): void {
  if (netRoot() == 0) return;
  neighLock();
  neighCtlParmsRelease(ifindex);
  neighUnlock();
}

function neighCtlParmsRelease(ifindex: u32): void {
  const r = neighRoot();
  if (r == 0 || ifindex == 0 || ifindex >= NETDEV_MAX) return;
  for (let f: u32 = 0; f < 2; f++) {
    const slot = load<u32>(tableOf(r, f == 0 ? AF_INET : AF_INET6) + T_DEVPARMS) + (ifindex << 2);
    const p = load<u32>(slot);
    if (p == 0) continue;
    store<u32>(slot, 0);
    rc_retire(p, P_SIZE);
  }
  rc_reclaim();
}

/** Entries in the table (tbl->entries) and on its gc list (tbl->gc_entries). */
export function neigh_ctl_entries(family: u32, gc: u32): u32 {
  const r = neighRoot();
  if (r == 0) return 0;
  return load<u32>(tableOf(r, family) + (gc != 0 ? T_GC_ENTRIES : T_ENTRIES));
}

/** A table statistic (NSTAT_*). */
export function neigh_ctl_stat(family: u32, i: u32): u64 {
  const r = neighRoot();
  if (r == 0 || i >= NSTAT_COUNT) return 0;
  return load<u64>(tableOf(r, family) + T_STATS + (i << 3));
}

/** Frames (and bytes of truesize) queued on entry `e`. */
export function neigh_ctl_queued(e: u32, bytes: u32): u32 {
  return load<u32>(e + (bytes != 0 ? NE_QBYTES : NE_QLEN));
}

/**
 * A parms value: `ifindex` 0 for "default"; `i` NVAR_* (times in ms) or NVAR_REACHABLE_TIME. A device
 * without parms of its own reads as "default" (its copy would hold the same values).
 */
export function neigh_ctl_parm_get(family: u32, ifindex: u32, i: u32): u32 {
  const r = neighRoot();
  if (r == 0 || i > NVAR_REACHABLE_TIME || ifindex >= NETDEV_MAX) return 0;
  const t = tableOf(r, family);
  let p = ifindex == 0 ? t + T_PARMS : load<u32>(load<u32>(t + T_DEVPARMS) + (ifindex << 2));
  if (p == 0) p = i == NVAR_REACHABLE_TIME ? devParms(t, ifindex) : t + T_PARMS;
  if (p == 0) return 0;
  return i == NVAR_REACHABLE_TIME ? load<u32>(p + P_REACHABLE) : parmVar(p, i);
}

/**
 * Set a parms value (net.ipv4.neigh.DEV.NAME). On "default" it reaches every device that did not set
 * it itself (neigh_copy_dflt_parms); base_reachable_time draws a new reachable_time where the kernel
 * does (IPv4: the parms written; IPv6: a device's, not "default"). 0, -22, -12.
 */
export function neigh_ctl_parm_set(family: u32, ifindex: u32, i: u32, v: u32): i32 {
  if (netRoot() == 0) return neighCtlParmSet(family, ifindex, i, v);
  neighLock();
  const rc = neighCtlParmSet(family, ifindex, i, v);
  neighUnlock();
  return rc;
}

function neighCtlParmSet(family: u32, ifindex: u32, i: u32, v: u32): i32 {
  const r = neighRoot();
  if (r == 0) return -12;
  if (i >= NVAR_COUNT || ifindex >= NETDEV_MAX || (family != AF_INET && family != AF_INET6)) return -22;
  const t = tableOf(r, family);
  const p = ifindex == 0 ? t + T_PARMS : devParms(t, ifindex);
  if (p == 0) return -12;
  store<u32>(p + P_DATA + (i << 2), v);
  if (ifindex != 0) {
    store<u32>(p + P_STATE, load<u32>(p + P_STATE) | (<u32>1 << i));
  } else {
    const dp = load<u32>(t + T_DEVPARMS);
    for (let d: u32 = 1; d < NETDEV_MAX; d++) {
      const x = load<u32>(dp + (d << 2));
      if (x != 0 && (load<u32>(x + P_STATE) & (<u32>1 << i)) == 0) store<u32>(x + P_DATA + (i << 2), v);
    }
  }
  if (i == NVAR_BASE_REACHABLE_TIME && (family == AF_INET || ifindex != 0)) {
    store<u32>(p + P_REACHABLE, randReachTime(r, v));
  }
  return 0;
}

/** The table's periodic gc work's next run (ms), for tests and `ip ntable`. */
export function neigh_ctl_gc_next(family: u32): i64 {
  const r = neighRoot();
  return r == 0 ? 0 : load<i64>(tableOf(r, family) + T_GC_WORK);
}
