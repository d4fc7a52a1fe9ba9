// Connection tracking: nf_conntrack_core.c's model — a tuple for each direction of a connection, both
// hashed to one entry; NEW / ESTABLISHED / RELATED / INVALID as the IP_CT_* info a packet gets; entries
// unconfirmed until the packet that made them leaves (POST_ROUTING) or is delivered (LOCAL_IN); a limit
// (nf_conntrack_max) with early drop of an unassured entry; expiry by the stack clock (lazily on lookup
// and by the collector net_advance runs); events (new / update / destroy) in a ring TypeScript drains.
// The per-protocol trackers: nf_conntrack_proto_tcp.ts (the TCP state table and window tracking), UDP
// (unreplied / assured stream), ICMP and ICMPv6 (echo by id; errors RELATED to the connection their
// quoted packet belongs to) and the generic one here.
//
// Tuple (CT_TUPLE_SIZE bytes; the kernel's struct nf_conntrack_tuple, addresses and ports as in the packet):
//   +0 src (16; IPv4 in the first 4, rest zero) | +16 dst (16) | +32 u16 src port / ICMP id
//   +34 u16 dst port / ICMP type (low byte) and code (high byte) | +36 u8 l4proto | +37 u8 family
//   +38 u16 zone (kept in the tuple so one compare covers it)
//
// Entry (CT_SIZE bytes, CT_* below), in a pool of nf_conntrack_max entries allocated at enable:
//   +0 hash next (original) | +4 hash next (reply): chain links, each the next entry's address | its
//   direction (entries are 256-aligned, so bit 0 is free) | +8 status IPS_* | +12 id (conntrack -L's id)
//   +16 u64 timeout: absolute ms on the stack clock once confirmed, relative before | +24 tuple[ORIGINAL]
//   +64 tuple[REPLY] | +104 u8 l4 state (TCP_CONNTRACK_*) | +108 mark | +112 4 × u64 packets / bytes
//   (original, reply) | +144 TCP tracking (nf_conntrack_proto_tcp.ts CTT_*) | +208 u64 UDP stream time
//   | +216 u32 masquerade oif | +220 flowtable entry (nf_flow_table.ts) | +224 u64 start (ms)
//   | +232 u32 pool free-list / retired-list link | +236 NAT bysource links | +244 u32 the timeout in
//   jiffies (the kernel's nf_conn.timeout: +16 / JIFFY_MS, absolute jiffies of the stack clock once
//   confirmed, relative before; what a program's BTF read of ct->timeout gets) | +248 u8 1: the entry has
//   the kernel's acct extension (made while nf_conntrack_acct was on: `ct bytes` and conntrack -L show the
//   counters at +112, which count always; without it they read 0 and are not listed)
//
// Concurrency: one table lock (a word in the root, ctLock) around every lookup, insert, state change and
// delete — simpler than the kernel's per-bucket locks and RCU; a spin lock in the shared build (lock.ts).
// Pointers live past the lock, as the kernel's references do: a packet's entry (NFS_CT) through its
// hooks, and the entry a program holds from bpf_xdp_ct_lookup until bpf_ct_release. So a deleted entry
// is not reused at once (the kernel's refcount keeps it until the last reference goes): it is retired,
// and goes back to the free list once every worker has passed a quiescent point (between bursts: no
// packet or program holds an entry there), as the flowtable's flows do: at the collector's turn (each
// second) or when the free list runs dry, the retired entries start waiting for reclaim.ts's open grace
// period (rc_stamp) as one batch, and the batch waiting before them is free once its own is over. The
// pool holds CR_POOL_N = nf_conntrack_max + a spare quarter for what waits; the limit (CR_COUNT against
// CR_MAX) counts live entries only, as the kernel's does.
//
// Reads: the packet at the hook (netfilter.ts hands the hook state), the sysctls. Sets: the entry,
// NFS_CT / NFS_CTINFO, the nf_conntrack MIB counters. Next: back to netfilter.ts's hook loop.

import { copyBytes, fillBytes } from '../bytes';
import { arena_alloc } from '../maps/arena';
import { atomicAdd64, spinLock, spinUnlock } from './lock';
import { rc_passed, rc_reclaim, rc_stamp } from './reclaim';
import { JIFFY_MS, mibAdd, mibInc, netNow, netRoot, netScratch, sysctl } from './core';
import {
  MIB_CT_CLASH_RESOLVE, MIB_CT_DROP, MIB_CT_EARLY_DROP, MIB_CT_ERROR, MIB_CT_FOUND, MIB_CT_INSERT, MIB_CT_INSERT_FAILED, MIB_CT_INVALID,
  NFS_CT, NFS_CTINFO, NFS_DATA, NFS_HOOK, NFS_L4PROTO, NFS_LEN, NFS_PF, NFS_THOFF, NR_CT, SCR_NF,
  SYSCTL_NF_CONNTRACK_BUCKETS, SYSCTL_NF_CONNTRACK_CHECKSUM, SYSCTL_NF_CONNTRACK_GENERIC_TIMEOUT,
  SYSCTL_NF_CONNTRACK_ICMPV6_TIMEOUT, SYSCTL_NF_CONNTRACK_ICMP_TIMEOUT, SYSCTL_NF_CONNTRACK_MAX,
  SYSCTL_NF_CONNTRACK_UDP_TIMEOUT, SYSCTL_NF_CONNTRACK_UDP_TIMEOUT_STREAM, AF_INET6, SYSCTL_NF_CONNTRACK_TCP_LOOSE,
  SYSCTL_NF_CONNTRACK_TCP_MAX_RETRANS, SYSCTL_NF_CONNTRACK_TCP_TIMEOUT_SYN_SENT, SYSCTL_NF_FLOWTABLE_TCP_TIMEOUT,
  SYSCTL_NF_FLOWTABLE_UDP_TIMEOUT, SYSCTL_NF_CONNTRACK_ACCT,
} from './abi';
import {
  IPH_DADDR, IPH_FRAG_OFF, IPH_PROTOCOL, IPH_SADDR, IPPROTO_DCCP, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP,
  IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE, IP6H_DADDR, IP6H_NEXTHDR, IP6H_SADDR, IP_MF, IP_OFFSET, ldBe16,
} from './inet';
import { csumAdd, csumFold16, csumIpv6Pseudo } from './csum';
import { ipv6SkipExthdr, skipFragOff, skipNexthdr } from './ipv6_rcv';
import { tcp_new, tcp_packet, tcp_error } from './nf_conntrack_proto_tcp';
import { flow_offload_ct_gone, nf_flow_gc } from './nf_flow_table';

// ---- Layout ----
export const CT_TUPLE_SIZE: u32 = 40;
export const CTT_SRC: u32 = 0;
export const CTT_DST: u32 = 16;
export const CTT_SPORT: u32 = 32;
export const CTT_DPORT: u32 = 34;
export const CTT_PROTO: u32 = 36;
export const CTT_FAMILY: u32 = 37;
export const CTT_ZONE: u32 = 38;

export const CT_HNEXT: u32 = 0;
export const CT_STATUS: u32 = 8;
export const CT_ID: u32 = 12;
export const CT_TIMEOUT: u32 = 16;
export const CT_TUPLE_ORIG: u32 = 24;
export const CT_TUPLE_REPLY: u32 = 64;
export const CT_L4STATE: u32 = 104;
export const CT_MARK: u32 = 108;
export const CT_COUNTERS: u32 = 112;
export const CT_TCP: u32 = 144;
export const CT_UDP_STREAM: u32 = 208;
export const CT_MASQ_OIF: u32 = 216;
export const CT_FLOW: u32 = 220;
export const CT_START: u32 = 224;
export const CT_FREE_NEXT: u32 = 232;
export const CT_NAT_BYSRC: u32 = 236; //   next entry in its nf_nat_bysource chain (nf_nat.ts)
export const CT_NAT_BYSRC_PPREV: u32 = 240; // the word that points at it: a bucket head or the previous
//                                            entry's CT_NAT_BYSRC (0: in no chain), as an hlist_node's pprev
export const CT_TIMEOUT_JIFFIES: u32 = 244;
/** u8: 1 when the entry was made with net.netfilter.nf_conntrack_acct on (nf_ct_acct_ext_add). */
export const CT_ACCT: u32 = 248;
export const CT_SIZE: u32 = 256;

// IPS_* (uapi nf_conntrack_common.h)
export const IPS_EXPECTED: u32 = 1 << 0;
export const IPS_SEEN_REPLY: u32 = 1 << 1;
export const IPS_ASSURED: u32 = 1 << 2;
export const IPS_CONFIRMED: u32 = 1 << 3;
export const IPS_SRC_NAT: u32 = 1 << 4;
export const IPS_DST_NAT: u32 = 1 << 5;
export const IPS_NAT_MASK: u32 = IPS_SRC_NAT | IPS_DST_NAT;
export const IPS_SRC_NAT_DONE: u32 = 1 << 7;
export const IPS_DST_NAT_DONE: u32 = 1 << 8;
export const IPS_NAT_DONE_MASK: u32 = IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE;
export const IPS_DYING: u32 = 1 << 9;
export const IPS_FIXED_TIMEOUT: u32 = 1 << 10;
/** IPS_NAT_CLASH (= IPS_UNTRACKED_BIT): an entry nf_ct_resolve_clash_harder inserted by its reply direction only. */
export const IPS_NAT_CLASH: u32 = 1 << 12;
export const IPS_UNTRACKED: u32 = 1 << 12;
export const IPS_OFFLOAD: u32 = 1 << 14;

// enum ip_conntrack_info
export const IP_CT_ESTABLISHED: u32 = 0;
export const IP_CT_RELATED: u32 = 1;
export const IP_CT_NEW: u32 = 2;
export const IP_CT_IS_REPLY: u32 = 3;
export const IP_CT_ESTABLISHED_REPLY: u32 = 3;
export const IP_CT_RELATED_REPLY: u32 = 4;
export const IP_CT_UNTRACKED: u32 = 7;
export const IP_CT_NONE: u32 = 0xff; // wxdp: no conntrack attached (nft's `ct state invalid`)

export const IP_CT_DIR_ORIGINAL: u32 = 0;
export const IP_CT_DIR_REPLY: u32 = 1;

// Events (the ring's record: CTE_SIZE bytes: u32 type | u32 id | u32 status | u32 l4 state | the two tuples)
export const IPCTNL_MSG_CT_NEW: u32 = 1;
export const IPCTNL_MSG_CT_UPDATE: u32 = 2;
export const IPCTNL_MSG_CT_DESTROY: u32 = 3;
export const CTE_SIZE: u32 = 96;
export const CTE_RING: u32 = 1024; // records

// ---- The root (CR_*, at load<u32>(netRoot() + NR_CT)) ----
export const CR_LOCK: u32 = 0;
export const CR_BUCKETS: u32 = 4; //   count (a power of two)
export const CR_TABLE: u32 = 8; //     address of the bucket heads
export const CR_POOL: u32 = 12; //     address of entry 0
export const CR_MAX: u32 = 16; //      pool size (nf_conntrack_max at enable)
export const CR_COUNT: u32 = 20; //    entries in use, confirmed or not
export const CR_FREE: u32 = 24; //     free-list head
export const CR_SEED: u32 = 28;
export const CR_NEXT_ID: u32 = 32;
export const CR_GC_CURSOR: u32 = 36;
export const CR_EV_RING: u32 = 40; //  event ring address
export const CR_EV_HEAD: u32 = 44; //  records written (mod 2^32)
export const CR_EV_TAIL: u32 = 48; //  records read by TypeScript
export const CR_EV_ON: u32 = 52; //    1: events wanted
export const CR_EV_LOST: u32 = 56;
export const CR_NAT_RULES: u32 = 60; // builtin NAT rules (nf_nat.ts)
export const CR_NAT_COUNT: u32 = 64;
export const CR_LAST_GC: u32 = 72; //  u64 ms of the last full collection
export const CR_NEXT_GC: u32 = 80; //  u64 ms of the next one (gc_worker's next_run)
export const CR_FT_GC: u32 = 88; //    u64 ms of the flowtable's last collection (each second)
export const CR_RETIRED: u32 = 96; //  entries deleted since the last stamp (a list through CT_FREE_NEXT)
export const CR_RETIRED_OLD: u32 = 100; // the batch waiting for grace period CR_RETIRED_STAMP
export const CR_RETIRED_STAMP: u32 = 104;
export const CR_POOL_N: u32 = 108; //  entries in the pool (CR_MAX and the spare)
export const CR_NAT_BYSRC: u32 = 112; // nf_nat_bysource: CR_BUCKETS heads of entries by original source (nf_nat.ts)
export const CR_SIZE: u32 = 128;

/** The conntrack root, 0 until nf_ct_enable. */
@inline export function ctRoot(): u32 {
  return load<u32>(netRoot() + NR_CT);
}

@inline function nfs(): u32 {
  return netScratch() + SCR_NF;
}
/** Scratch tuples: the packet's, its inverse, an ICMP error's inner one, NAT's candidate. */
@inline export function TUPLE(): u32 {
  return netScratch() + SCR_NF + 64;
}
@inline export function TUPLE_INV(): u32 {
  return netScratch() + SCR_NF + 128;
}
@inline export function TUPLE_INNER(): u32 {
  return netScratch() + SCR_NF + 192;
}
@inline function UNCONFIRMED(): u32 {
  return netScratch() + SCR_NF + 384;
}
const UNCONFIRMED_SLOTS: u32 = 8;

// ---- Set-up ----

/** net.netfilter.* defaults (the kernel's; nf_conntrack_max and _buckets scale with RAM there, 65536 here). */
export function nf_sysctl_defaults(s: u32): void {
  store<u32>(s + (SYSCTL_NF_CONNTRACK_MAX << 2), 65536);
  store<u32>(s + (SYSCTL_NF_CONNTRACK_BUCKETS << 2), 65536);
  store<u32>(s + (SYSCTL_NF_CONNTRACK_TCP_LOOSE << 2), 1);
  store<u32>(s + (SYSCTL_NF_CONNTRACK_TCP_MAX_RETRANS << 2), 3);
  // SYN_SENT 2 min, SYN_RECV 60 s, ESTABLISHED 5 days, FIN_WAIT 2 min, CLOSE_WAIT 60 s, LAST_ACK 30 s,
  // TIME_WAIT 2 min, CLOSE 10 s, then max_retrans and unacknowledged 5 min
  const tcp: StaticArray<u32> = [120, 60, 432000, 120, 60, 30, 120, 10, 300, 300];
  for (let i: u32 = 0; i < 10; i++) store<u32>(s + ((SYSCTL_NF_CONNTRACK_TCP_TIMEOUT_SYN_SENT + i) << 2), tcp[i]);
  store<u32>(s + (SYSCTL_NF_CONNTRACK_UDP_TIMEOUT << 2), 30);
  store<u32>(s + (SYSCTL_NF_CONNTRACK_UDP_TIMEOUT_STREAM << 2), 120);
  store<u32>(s + (SYSCTL_NF_CONNTRACK_ICMP_TIMEOUT << 2), 30);
  store<u32>(s + (SYSCTL_NF_CONNTRACK_ICMPV6_TIMEOUT << 2), 30);
  store<u32>(s + (SYSCTL_NF_CONNTRACK_GENERIC_TIMEOUT << 2), 600);
  store<u32>(s + (SYSCTL_NF_CONNTRACK_CHECKSUM << 2), 1);
  store<u32>(s + (SYSCTL_NF_FLOWTABLE_TCP_TIMEOUT << 2), 30);
  store<u32>(s + (SYSCTL_NF_FLOWTABLE_UDP_TIMEOUT << 2), 30);
}

/**
 * nf_conntrack_init: the table with nf_conntrack_max entries and nf_conntrack_buckets heads (rounded up
 * to a power of two) as the sysctls say now. 0, -17 (EEXIST: enabled already), -12 (ENOMEM).
 */
export function nf_ct_enable(seed: u32): i32 {
  const r = netRoot();
  if (r == 0) return -22;
  if (load<u32>(r + NR_CT) != 0) return -17;
  const max = sysctl(SYSCTL_NF_CONNTRACK_MAX);
  let nb: u32 = 1;
  while (nb < sysctl(SYSCTL_NF_CONNTRACK_BUCKETS) && nb < 0x100000) nb <<= 1;
  const root = arena_alloc(CR_SIZE, 64);
  const table = arena_alloc(nb << 2, 64);
  const poolN = poolEntries(max);
  const pool = arena_alloc(poolN * CT_SIZE, CT_SIZE);
  const ring = arena_alloc(CTE_RING * CTE_SIZE, 64);
  const bysrc = arena_alloc(nb << 2, 64);
  if (root == 0 || table == 0 || pool == 0 || ring == 0 || bysrc == 0 || max == 0) return -12;
  memory.fill(root, 0, CR_SIZE);
  memory.fill(table, 0, nb << 2);
  memory.fill(bysrc, 0, nb << 2);
  store<u32>(root + CR_NAT_BYSRC, bysrc);
  store<u32>(root + CR_BUCKETS, nb);
  store<u32>(root + CR_TABLE, table);
  store<u32>(root + CR_POOL, pool);
  store<u32>(root + CR_MAX, max);
  store<u32>(root + CR_POOL_N, poolN);
  store<u32>(root + CR_SEED, seed);
  store<u32>(root + CR_NEXT_ID, 1);
  store<u32>(root + CR_EV_RING, ring);
  // the free list threads the pool in address order
  for (let i: u32 = 0; i < poolN; i++) {
    const e = pool + i * CT_SIZE;
    memory.fill(e, 0, CT_SIZE);
    store<u32>(e + CT_FREE_NEXT, i + 1 < poolN ? e + CT_SIZE : 0);
  }
  store<u32>(root + CR_FREE, pool);
  store<u64>(root + CR_LAST_GC, netNow());
  store<u64>(root + CR_NEXT_GC, netNow() + GC_SCAN_INTERVAL_MIN); // nf_conntrack_init_start: the first run after HZ
  store<u64>(root + CR_FT_GC, netNow());
  memory.fill(UNCONFIRMED(), 0, UNCONFIRMED_SLOTS << 2);
  store<u32>(r + NR_CT, root); // last: readers see no table or a whole one
  return 0;
}

// ---- The lock ----

// The module is built without the threads feature (asconfig.json), so the lock word is marked with plain
// stores, as neigh.ts's bucket locks are today: the places that need it are marked; a threaded build makes
// these two a compare-exchange spin and a release store.
// A spin lock in the shared build (workers and the control plane), nothing in the unshared one (lock.ts).
@inline export function ctLock(root: u32): void {
  spinLock(root + CR_LOCK);
}
@inline export function ctUnlock(root: u32): void {
  spinUnlock(root + CR_LOCK);
}

// ---- Tuples ----

/** Tuples equal (40 bytes: addresses, ports, protocol, family, zone). */
@inline export function tupleEq(a: u32, b: u32): bool {
  return load<u64>(a) == load<u64>(b) && load<u64>(a, 8) == load<u64>(b, 8) && load<u64>(a, 16) == load<u64>(b, 16) &&
    load<u64>(a, 24) == load<u64>(b, 24) && load<u64>(a, 32) == load<u64>(b, 32);
}

@inline export function tupleCopy(d: u32, s: u32): void {
  store<u64>(d, load<u64>(s));
  store<u64>(d, load<u64>(s, 8), 8);
  store<u64>(d, load<u64>(s, 16), 16);
  store<u64>(d, load<u64>(s, 24), 24);
  store<u64>(d, load<u64>(s, 32), 32);
}

/** The bucket of a tuple: a multiplicative mix of its ten words with the table's seed. */
export function tupleHash(t: u32, seed: u32, mask: u32): u32 {
  let h: u32 = seed ^ 0x9e3779b9;
  for (let i: u32 = 0; i < CT_TUPLE_SIZE; i += 4) {
    h = (h ^ load<u32>(t + i)) * 0x85ebca6b;
    h ^= h >> 13;
  }
  h = (h ^ (h >> 16)) * 0xc2b2ae35;
  return (h ^ (h >> 16)) & mask;
}

/** ICMP types that make a connection, and the reply each expects (icmp_pkt_to_tuple's invmap, +1: 0 none). */
function icmpInvType(family: u32, t: u32): i32 {
  if (family == AF_INET6) {
    if (t == 128) return 129;
    if (t == 129) return 128;
    if (t == 139) return 140;
    if (t == 140) return 139;
    return -1;
  }
  if (t == 8) return 0;
  if (t == 0) return 8;
  if (t == 13) return 14;
  if (t == 14) return 13;
  if (t == 15) return 16;
  if (t == 16) return 15;
  if (t == 17) return 18;
  if (t == 18) return 17;
  return -1;
}

/** Protocols whose tuples carry ports (the kernel's port-based l4 trackers). */
@inline function hasPorts(p: u32): bool {
  return p == IPPROTO_TCP || p == IPPROTO_UDP || p == IPPROTO_UDPLITE || p == IPPROTO_SCTP || p == IPPROTO_DCCP;
}

/**
 * nf_ct_get_tuple: the tuple of the packet whose L3 header is at `l3` and L4 at `l3 + thoff` (`len`
 * bytes of L3 in all), into `t`. false when the L4 header is cut short (the packet gets no conntrack).
 */
export function pktToTuple(t: u32, family: u32, l3: u32, thoff: u32, len: u32, proto: u32, zone: u32): bool {
  fillBytes(t, 0, CT_TUPLE_SIZE); // (word moves: memory.fill and memory.copy are calls out of wasm, bytes.ts)
  if (family == AF_INET6) {
    copyBytes(t + CTT_SRC, l3 + IP6H_SADDR, 16);
    copyBytes(t + CTT_DST, l3 + IP6H_DADDR, 16);
  } else {
    store<u32>(t + CTT_SRC, load<u32>(l3, IPH_SADDR));
    store<u32>(t + CTT_DST, load<u32>(l3, IPH_DADDR));
  }
  store<u8>(t + CTT_PROTO, <u8>proto);
  store<u8>(t + CTT_FAMILY, <u8>family);
  store<u16>(t + CTT_ZONE, <u16>zone);
  const l4 = l3 + thoff;
  if (hasPorts(proto)) {
    if (thoff + 4 > len) return false;
    store<u32>(t + CTT_SPORT, load<u32>(l4));
  } else if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
    if (thoff + 8 > len) return false;
    store<u16>(t + CTT_SPORT, load<u16>(l4, 4)); // echo id
    store<u8>(t + CTT_DPORT, load<u8>(l4)); //     type
    store<u8>(t + CTT_DPORT + 1, load<u8>(l4, 1)); // code
  }
  return true;
}

/** nf_ct_invert_tuple: `d` = `s` with source and destination exchanged (ICMP: the reply type). false: no inverse. */
export function invertTuple(d: u32, s: u32): bool {
  copyBytes(d + CTT_SRC, s + CTT_DST, 16);
  copyBytes(d + CTT_DST, s + CTT_SRC, 16);
  store<u32>(d + CTT_PROTO, load<u32>(s + CTT_PROTO)); // proto, family, zone
  const p = <u32>load<u8>(s + CTT_PROTO);
  if (p == IPPROTO_ICMP || p == IPPROTO_ICMPV6) {
    const inv = icmpInvType(<u32>load<u8>(s + CTT_FAMILY), <u32>load<u8>(s + CTT_DPORT));
    if (inv < 0) return false;
    store<u16>(d + CTT_SPORT, load<u16>(s + CTT_SPORT));
    store<u8>(d + CTT_DPORT, <u8>inv);
    store<u8>(d + CTT_DPORT + 1, load<u8>(s + CTT_DPORT + 1));
  } else {
    store<u16>(d + CTT_SPORT, load<u16>(s + CTT_DPORT));
    store<u16>(d + CTT_DPORT, load<u16>(s + CTT_SPORT));
  }
  return true;
}

// ---- The table ----

/** Entry of a chain link (its low bit is the direction). */
@inline export function hEntry(h: u32): u32 {
  return h & ~(<u32>1);
}
@inline export function hDir(h: u32): u32 {
  return h & 1;
}

/** A confirmed entry past its timeout (nf_ct_is_expired). */
@inline export function ctExpired(e: u32, now: u64): bool {
  return (load<u32>(e + CT_STATUS) & IPS_CONFIRMED) != 0 && <i64>(load<u64>(e + CT_TIMEOUT) - now) <= 0;
}

/** ctFind's `dirs` for both directions' tuples. */
export const CT_DIRS_BOTH: u32 = 3;

/**
 * ____nf_conntrack_find under the lock: the chain link (entry | direction) whose tuple equals `t`, 0 when
 * none. Expired entries met on the way are deleted (nf_ct_gc_expired). `dirs`: the directions whose tuples
 * count (bit 0 the original, bit 1 the reply; nf_ct_key_equal compares the zone of the direction found).
 */
export function ctFind(root: u32, t: u32, dirs: u32): u32 {
  const mask = load<u32>(root + CR_BUCKETS) - 1;
  const b = load<u32>(root + CR_TABLE) + (tupleHash(t, load<u32>(root + CR_SEED), mask) << 2);
  const now = netNow();
  let h = load<u32>(b);
  while (h != 0) {
    const e = hEntry(h);
    const d = hDir(h);
    const next = load<u32>(e + (d << 2));
    if ((dirs & (1 << d)) != 0 && tupleEq(e + CT_TUPLE_ORIG + d * CT_TUPLE_SIZE, t)) {
      if (!ctExpired(e, now)) return h;
      ctDeleteLocked(root, e);
      return 0;
    }
    h = next;
  }
  return 0;
}

function hashInsert(root: u32, e: u32, d: u32): void {
  const mask = load<u32>(root + CR_BUCKETS) - 1;
  const b = load<u32>(root + CR_TABLE) + (tupleHash(e + CT_TUPLE_ORIG + d * CT_TUPLE_SIZE, load<u32>(root + CR_SEED), mask) << 2);
  store<u32>(e + (d << 2), load<u32>(b));
  store<u32>(b, e | d);
}

function hashRemove(root: u32, e: u32, d: u32): void {
  const mask = load<u32>(root + CR_BUCKETS) - 1;
  let p = load<u32>(root + CR_TABLE) + (tupleHash(e + CT_TUPLE_ORIG + d * CT_TUPLE_SIZE, load<u32>(root + CR_SEED), mask) << 2);
  let h = load<u32>(p);
  while (h != 0) {
    if (h == (e | d)) {
      store<u32>(p, load<u32>(e + (d << 2)));
      return;
    }
    p = hEntry(h) + (hDir(h) << 2);
    h = load<u32>(p);
  }
}

/** The pool for a limit of `max`: a quarter more (and 64) for deleted entries waiting for their grace period. */
@inline function poolEntries(max: u32): u32 {
  return max + (max >> 2) + 64;
}

function ctAlloc(root: u32): u32 {
  let e = load<u32>(root + CR_FREE);
  if (e == 0) {
    // an early drop's victim waits for its grace period: reclaim.ts's turn may end it now
    ctRetiredRelease(root);
    e = load<u32>(root + CR_FREE);
    if (e == 0) return 0;
  }
  store<u32>(root + CR_FREE, load<u32>(e + CT_FREE_NEXT));
  memory.fill(e, 0, CT_SIZE);
  store<u32>(root + CR_COUNT, load<u32>(root + CR_COUNT) + 1);
  return e;
}

/**
 * Out of the table's count at once (the limit counts live entries), onto the retired list: a packet or
 * program may still hold it, and reads its words as they were (status: dying). Back on the free list
 * after a grace period (ctRetiredRelease).
 */
export function ctFree(root: u32, e: u32): void {
  if (load<u32>(e + CT_NAT_BYSRC_PPREV) != 0) natBysrcRemove(e); // nf_nat_cleanup_conntrack
  store<u32>(e + CT_STATUS, IPS_DYING);
  store<u32>(e + CT_FREE_NEXT, load<u32>(root + CR_RETIRED));
  store<u32>(root + CR_RETIRED, e);
  store<u32>(root + CR_COUNT, load<u32>(root + CR_COUNT) - 1);
}

/**
 * nf_nat_cleanup_conntrack (under the lock): out of its nf_nat_bysource chain, hlist_del_rcu's way: the
 * word before it takes its next, so a chain of every connection of one source costs no walk.
 */
function natBysrcRemove(e: u32): void {
  const pprev = load<u32>(e + CT_NAT_BYSRC_PPREV);
  const next = load<u32>(e + CT_NAT_BYSRC);
  store<u32>(pprev, next);
  if (next != 0) store<u32>(next + CT_NAT_BYSRC_PPREV, pprev);
  store<u32>(e + CT_NAT_BYSRC_PPREV, 0);
}

/** The waiting batch back on the free list once its grace period is over (under the lock). */
function ctReleasePassed(root: u32): void {
  let e = load<u32>(root + CR_RETIRED_OLD);
  if (e == 0 || !rc_passed(load<u32>(root + CR_RETIRED_STAMP))) return;
  store<u32>(root + CR_RETIRED_OLD, 0);
  while (e != 0) {
    const next = load<u32>(e + CT_FREE_NEXT);
    store<u32>(e + CT_FREE_NEXT, load<u32>(root + CR_FREE));
    store<u32>(root + CR_FREE, e);
    e = next;
  }
}

/**
 * The collector's turn, or the free list ran dry (under the lock): the waiting batch is free if its grace
 * period is over; the entries retired since start waiting for the open one (when no batch waits), which
 * rc_reclaim closes. With no worker online that is at once.
 */
function ctRetiredRelease(root: u32): void {
  ctReleasePassed(root);
  if (load<u32>(root + CR_RETIRED_OLD) == 0 && load<u32>(root + CR_RETIRED) != 0) {
    store<u32>(root + CR_RETIRED_OLD, load<u32>(root + CR_RETIRED));
    store<u32>(root + CR_RETIRED, 0);
    store<u32>(root + CR_RETIRED_STAMP, rc_stamp());
  }
  if (load<u32>(root + CR_RETIRED_OLD) == 0) return;
  rc_reclaim();
  ctReleasePassed(root);
}

/** nf_ct_delete under the lock: out of both chains, a destroy event, back to the pool. */
export function ctDeleteLocked(root: u32, e: u32): void {
  const st = load<u32>(e + CT_STATUS);
  if ((st & IPS_CONFIRMED) != 0) {
    hashRemove(root, e, 0);
    hashRemove(root, e, 1);
    ctEvent(root, e, IPCTNL_MSG_CT_DESTROY);
  }
  if (load<u32>(e + CT_FLOW) != 0) flow_offload_ct_gone(e);
  // a deleted flow that counted into the entry holds it until its grace period is over (CT_FLOW bit 0,
  // nf_flow_table.ts flowDel): dying now, freed by the flowtable's collector then (ctFreeHeld)
  if ((load<u32>(e + CT_FLOW) & 1) != 0) {
    store<u32>(e + CT_STATUS, IPS_DYING);
    return;
  }
  ctFree(root, e);
}

/** The flowtable's collector (under the lock): an entry a deleted flow held, deleted meanwhile, back to the pool. */
export function ctFreeHeld(e: u32): void {
  ctFree(ctRoot(), e);
}

// ---- Events ----

export function ctEvent(root: u32, e: u32, type: u32): void {
  if (load<u32>(root + CR_EV_ON) == 0) return;
  const head = load<u32>(root + CR_EV_HEAD);
  if (head - load<u32>(root + CR_EV_TAIL) >= CTE_RING) {
    store<u32>(root + CR_EV_LOST, load<u32>(root + CR_EV_LOST) + 1);
    return;
  }
  const r = load<u32>(root + CR_EV_RING) + (head % CTE_RING) * CTE_SIZE;
  store<u32>(r, type);
  store<u32>(r, load<u32>(e + CT_ID), 4);
  store<u32>(r, load<u32>(e + CT_STATUS), 8);
  store<u32>(r, <u32>load<u8>(e + CT_L4STATE), 12);
  memory.copy(r + 16, e + CT_TUPLE_ORIG, CT_TUPLE_SIZE * 2);
  store<u32>(root + CR_EV_HEAD, head + 1);
}

// ---- Timeouts ----

/** Seconds → ms of a timeout sysctl. */
@inline export function timeoutMs(i: u32): u64 {
  return <u64>sysctl(i) * 1000;
}

/**
 * The entry's timeout, `ms` on the stack clock (absolute once confirmed, relative before), and its
 * nf_conn.timeout in jiffies beside it (u32, wrapping as the kernel's nfct_time_stamp does).
 */
@inline export function ctSetTimeout(e: u32, ms: u64): void {
  store<u64>(e + CT_TIMEOUT, ms);
  store<u32>(e + CT_TIMEOUT_JIFFIES, <u32>(ms / JIFFY_MS));
}

/** nf_ct_refresh: the timeout `ms` from now (relative until confirmed, as the kernel keeps it). */
export function ctRefresh(e: u32, ms: u64): void {
  if ((load<u32>(e + CT_STATUS) & IPS_FIXED_TIMEOUT) != 0) return;
  ctSetTimeout(e, (load<u32>(e + CT_STATUS) & IPS_CONFIRMED) != 0 ? netNow() + ms : ms);
}

// ---- The unconfirmed entries of this worker ----
// An entry made for a packet is not in the table until the packet is confirmed. A packet dropped on the
// way leaves its entry behind: the slots hold the newest few; one pushed out (its packet long gone, as
// frames run to completion) and those left at the collector's turn go back to the pool.

function unconfirmedAdd(root: u32, e: u32): void {
  const u = UNCONFIRMED();
  const old = load<u32>(u + ((UNCONFIRMED_SLOTS - 1) << 2));
  if (old != 0 && (load<u32>(old + CT_STATUS) & (IPS_CONFIRMED | IPS_DYING)) == 0) ctFree(root, old);
  memory.copy(u + 4, u, (UNCONFIRMED_SLOTS - 1) << 2);
  store<u32>(u, e);
}

function unconfirmedForget(e: u32): void {
  const u = UNCONFIRMED();
  for (let i: u32 = 0; i < UNCONFIRMED_SLOTS; i++) if (load<u32>(u + (i << 2)) == e) store<u32>(u + (i << 2), 0);
}

function unconfirmedFlush(root: u32): void {
  const u = UNCONFIRMED();
  for (let i: u32 = 0; i < UNCONFIRMED_SLOTS; i++) {
    const e = load<u32>(u + (i << 2));
    if (e != 0 && (load<u32>(e + CT_STATUS) & (IPS_CONFIRMED | IPS_DYING)) == 0) ctFree(root, e);
    store<u32>(u + (i << 2), 0);
  }
}

// ---- Early drop and garbage collection ----

/**
 * early_drop / early_drop_list: room for a new entry by deleting every unassured entry of the first
 * bucket, from the one the new tuple hashes to and up to NF_CT_EVICTION_RANGE (8) after it, that has
 * any; expired entries met on the way are reaped. true when an unassured entry was deleted (reaping
 * alone does not let the new entry in, as in the kernel).
 */
function earlyDrop(root: u32, t: u32): bool {
  const nb = load<u32>(root + CR_BUCKETS);
  const start = tupleHash(t, load<u32>(root + CR_SEED), nb - 1);
  const table = load<u32>(root + CR_TABLE);
  const now = netNow();
  for (let i: u32 = 0; i < 8 && i < nb; i++) {
    const b = table + (((start + i) & (nb - 1)) << 2);
    let drops: u32 = 0;
    let h = load<u32>(b);
    while (h != 0) {
      const e = hEntry(h);
      if (ctExpired(e, now)) {
        ctDeleteLocked(root, e); // nf_ct_gc_expired: reaped, not counted as a drop (the packet still fails)
        h = load<u32>(b);
        continue;
      }
      if ((load<u32>(e + CT_STATUS) & IPS_ASSURED) == 0) {
        ctDeleteLocked(root, e);
        drops++;
        h = load<u32>(b); // the chain changed: walk it again from its head
        continue;
      }
      h = load<u32>(e + (hDir(h) << 2));
    }
    if (drops != 0) {
      mibAdd(MIB_CT_EARLY_DROP, <u64>drops);
      return true;
    }
  }
  return false;
}

/**
 * Delete the entries of the whole table that are expired at `now` (every one with `all`), under the lock;
 * a chain is walked again from its head after each deletion. Returns how many.
 */
function sweep(root: u32, now: u64, all: bool): u32 {
  const nb = load<u32>(root + CR_BUCKETS);
  const table = load<u32>(root + CR_TABLE);
  let n: u32 = 0;
  // gc_worker's autotuning: the next run after the average of the live entries' remaining timeouts
  // (each clamped to [1 s, 300 s]), started from 60 s weighted as GC_SCAN_INITIAL_COUNT entries
  let next: i64 = <i64>GC_SCAN_INTERVAL_MAX;
  let count: i64 = GC_SCAN_INITIAL_COUNT;
  for (let i: u32 = 0; i < nb; i++) {
    const b = table + (i << 2);
    let h = load<u32>(b);
    while (h != 0) {
      const e = hEntry(h);
      if (all || ctExpired(e, now)) {
        ctDeleteLocked(root, e);
        n++;
        h = load<u32>(b);
        continue;
      }
      // every node of the chain counts (both directions' tuples), an offloaded entry none (the flowtable keeps it)
      if (!all && (load<u32>(e + CT_STATUS) & IPS_OFFLOAD) == 0) {
        let left = <i64>(load<u64>(e + CT_TIMEOUT) - now);
        left = left < <i64>GC_SCAN_INTERVAL_MIN ? <i64>GC_SCAN_INTERVAL_MIN : left > <i64>GC_SCAN_INTERVAL_CLAMP ? <i64>GC_SCAN_INTERVAL_CLAMP : left;
        count++;
        next += (left - next) / count; // C's division: toward zero
      }
      h = load<u32>(e + (hDir(h) << 2));
    }
  }
  if (next < <i64>GC_SCAN_INTERVAL_MIN) next = <i64>GC_SCAN_INTERVAL_MIN;
  if (next > <i64>GC_SCAN_INTERVAL_MAX) next = <i64>GC_SCAN_INTERVAL_MAX;
  if (!all) store<u64>(root + CR_NEXT_GC, now + <u64>next); // a flush leaves the schedule alone
  return n;
}

// gc_worker's schedule (nf_conntrack_core.c), in ms of the stack clock
const GC_SCAN_INTERVAL_MIN: u64 = 1000;
const GC_SCAN_INTERVAL_MAX: u64 = 60 * 1000;
const GC_SCAN_INTERVAL_CLAMP: u64 = 300 * 1000;
const GC_SCAN_INITIAL_COUNT: i64 = 100;

/** gc_worker: every expired entry of the table deleted (destroy events), the next run scheduled; this worker's unconfirmed ones freed. */
export function nf_ct_gc(): u32 {
  const root = ctRoot();
  if (root == 0) return 0;
  ctLock(root);
  const now = netNow();
  const n = sweep(root, now, false);
  unconfirmedFlush(root);
  store<u64>(root + CR_LAST_GC, now);
  ctUnlock(root);
  return n;
}

/**
 * The clock moved (core.ts net_advance): the flowtable's collector each second (nf_flow_offload_work_gc,
 * HZ), conntrack's when its gc_worker would run again (after the live entries' average remaining
 * timeout, 1 to 60 s: an expired entry is deleted — with its destroy event — at that run, or earlier by
 * a lookup that meets it; listings skip it as ctnetlink's dump does).
 */
export function nf_ct_tick(now: u64): void {
  const root = ctRoot();
  if (root == 0) return;
  if (now - load<u64>(root + CR_FT_GC) >= 1000) {
    store<u64>(root + CR_FT_GC, now);
    nf_flow_gc();
    // after the flowtable's: the entries its released flows held are retired by then
    ctLock(root);
    ctRetiredRelease(root);
    ctUnlock(root);
  }
  if (<i64>(now - load<u64>(root + CR_NEXT_GC)) >= 0) nf_ct_gc();
}

/** conntrack -F: every entry deleted. */
export function nf_ct_flush(): u32 {
  const root = ctRoot();
  if (root == 0) return 0;
  ctLock(root);
  const n = sweep(root, netNow(), true);
  ctUnlock(root);
  return n;
}

// ---- Listing (TypeScript walks the pool) ----

export function nf_ct_root(): u32 {
  return ctRoot();
}
export function nf_ct_events(on: u32): void {
  const root = ctRoot();
  if (root != 0) store<u32>(root + CR_EV_ON, on);
}

// ---- nf_conntrack_in ----

/** The packet is a fragment (not whole: conntrack needs the datagram; see netfilter.ts on defrag). */
@inline function isFragment4(l3: u32): bool {
  return (ldBe16(l3 + IPH_FRAG_OFF) & (IP_MF | IP_OFFSET)) != 0;
}

/**
 * nf_ct_zone_id of a zone's template (NFS_ZONE: 0 none, the default zone) in direction `dir`: its id where its
 * zone applies to that direction, else NF_CT_DEFAULT_ZONE_ID.
 */
@inline function tmplZoneId(zone: u32, dir: u32): u32 {
  return zone == 0 || ((zone >>> 16) & (1 << dir)) != 0 ? zone & 0xffff : 0;
}

/**
 * nf_conntrack_in at PRE_ROUTING / LOCAL_OUT for the packet in the hook state: its entry found or made,
 * NFS_CT / NFS_CTINFO set (0 / IP_CT_NONE: invalid, no entry). Returns an NF_* verdict (NF_DROP only when
 * the table is full and nothing could be dropped early). `tmpl`: the zone's template the packet carries
 * (NFS_ZONE's encoding; 0 none).
 */
export function nf_conntrack_in(st: u32, tmpl: u32): u32 {
  // resolve_normal_ct: the tuple in the template's zone of the original direction; a zone of one direction
  // matches a direction's tuple in that direction's zone only (the original's first, then the reply's)
  const zone = tmplZoneId(tmpl, IP_CT_DIR_ORIGINAL);
  const rzone = tmplZoneId(tmpl, IP_CT_DIR_REPLY);
  // a packet that carries a conntrack already (nf_ct_attach: an ICMP error or reset of the stack's own; at
  // PRE_ROUTING the stack's own datagram back from lo, nf_ct_loop — netfilter.ts): "Previously seen ... Ignore."
  if (load<u32>(st + NFS_CT) != 0) return NF_ACCEPT;
  // untracked (nft's notrack in a chain before this one): "Previously seen (loopback or untracked)? Ignore."
  if (<u32>load<u8>(st + NFS_CTINFO) == IP_CT_UNTRACKED) return NF_ACCEPT;
  const root = ctRoot();
  store<u32>(st + NFS_CT, 0);
  store<u8>(st + NFS_CTINFO, <u8>IP_CT_NONE);
  if (root == 0) return NF_ACCEPT;
  const family = <u32>load<u8>(st + NFS_PF);
  const l3 = load<u32>(st + NFS_DATA);
  const len = load<u32>(st + NFS_LEN);
  const thoff = load<u32>(st + NFS_THOFF);
  const proto = <u32>load<u8>(st + NFS_L4PROTO);
  if (thoff == 0) return NF_ACCEPT; // a non-first fragment, or headers cut short
  if (family != AF_INET6 && isFragment4(l3)) return NF_ACCEPT;
  const t = TUPLE();
  // ICMP errors: RELATED to the connection of the packet they quote (nf_conntrack_inet_error)
  if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
    if (thoff + 8 > len) {
      mibInc(MIB_CT_INVALID);
      return NF_ACCEPT;
    }
    const type = <u32>load<u8>(l3 + thoff);
    // nf_conntrack_icmpv6_error's noct_valid_new: MLD (130-132, 143) and NDP (133-136) are left untracked
    // (after the checksum at PRE_ROUTING, which a failure leaves invalid)
    if (family == AF_INET6 && ((type >= 130 && type <= 136) || type == 143)) {
      if (sysctl(SYSCTL_NF_CONNTRACK_CHECKSUM) != 0 && <u32>load<u8>(st + NFS_HOOK) == 0 &&
        !l4ChecksumOk(family, l3, thoff, len - thoff, IPPROTO_ICMPV6)) {
        mibInc(MIB_CT_ERROR);
        return NF_ACCEPT;
      }
      store<u8>(st + NFS_CTINFO, <u8>IP_CT_UNTRACKED);
      return NF_ACCEPT;
    }
    const isErr = family == AF_INET6 ? type < 128 : (type == 3 || type == 4 || type == 5 || type == 11 || type == 12);
    // (nf_conntrack_find_get: one lookup in the original direction's zone, each direction compared in its own)
    if (isErr) return icmpError(st, root, family, l3, thoff, len, zone, zone == rzone ? CT_DIRS_BOTH : 1 << IP_CT_DIR_ORIGINAL);
    if (family != AF_INET6 && type > 18) {
      mibInc(MIB_CT_INVALID);
      return NF_ACCEPT;
    }
  }
  if (proto == IPPROTO_TCP && tcp_error(st, l3, thoff, len)) {
    mibInc(MIB_CT_INVALID);
    return NF_ACCEPT;
  }
  if (proto == IPPROTO_UDP && !udpError(st, family, l3, thoff, len)) {
    mibInc(MIB_CT_INVALID);
    return NF_ACCEPT;
  }
  if (!pktToTuple(t, family, l3, thoff, len, proto, zone)) {
    mibInc(MIB_CT_INVALID);
    return NF_ACCEPT;
  }
  ctLock(root);
  for (let tries: u32 = 0; tries < 2; tries++) {
    let h: u32;
    if (zone == rzone) h = ctFind(root, t, CT_DIRS_BOTH);
    else {
      h = ctFind(root, t, 1 << IP_CT_DIR_ORIGINAL);
      if (h == 0) {
        store<u16>(t + CTT_ZONE, <u16>rzone);
        h = ctFind(root, t, 1 << IP_CT_DIR_REPLY);
        store<u16>(t + CTT_ZONE, <u16>zone);
      }
    }
    let e: u32;
    let ctinfo: u32;
    if (h == 0) {
      e = initConntrack(root, st, t, rzone);
      if (e == 0) {
        ctUnlock(root);
        return load<u8>(st + NFS_CTINFO) == 0xfe ? NF_DROP : NF_ACCEPT;
      }
      h = e;
      ctinfo = IP_CT_NEW;
    } else {
      e = hEntry(h);
      mibInc(MIB_CT_FOUND);
      if (hDir(h) == IP_CT_DIR_REPLY) ctinfo = IP_CT_ESTABLISHED_REPLY;
      else ctinfo = (load<u32>(e + CT_STATUS) & IPS_SEEN_REPLY) != 0 ? IP_CT_ESTABLISHED : IP_CT_NEW;
    }
    const r = l4Packet(root, e, st, ctinfo, l3, thoff, len, proto, family);
    if (r == L4_REPEAT) continue; // the old entry was deleted: look up again (a reopened TCP connection)
    if (r == L4_INVALID) {
      if ((load<u32>(e + CT_STATUS) & IPS_CONFIRMED) == 0) {
        unconfirmedForget(e);
        ctFree(root, e);
      }
      ctUnlock(root);
      mibInc(MIB_CT_INVALID);
      return NF_ACCEPT;
    }
    if (r == L4_DROP) {
      ctUnlock(root);
      return NF_DROP;
    }
    if (hDir(h) == IP_CT_DIR_REPLY && (load<u32>(e + CT_STATUS) & IPS_SEEN_REPLY) == 0) {
      store<u32>(e + CT_STATUS, load<u32>(e + CT_STATUS) | IPS_SEEN_REPLY);
      ctEvent(root, e, IPCTNL_MSG_CT_UPDATE);
    }
    ctAcct(e, hDir(h), len);
    ctUnlock(root);
    store<u32>(st + NFS_CT, e);
    store<u8>(st + NFS_CTINFO, <u8>ctinfo);
    return NF_ACCEPT;
  }
  ctUnlock(root);
  return NF_ACCEPT;
}

/**
 * nf_ct_acct_update: atomic64_add, as the flowtable's hits add to the same counters without the lock
 * (NF_FLOWTABLE_COUNTER): a plain add under the lock would lose theirs.
 */
@inline function ctAcct(e: u32, dir: u32, len: u32): void {
  const c = e + CT_COUNTERS + (dir << 4);
  atomicAdd64(c, 1);
  atomicAdd64(c + 8, <u64>len);
}

/**
 * init_conntrack under the lock: a new unconfirmed entry for tuple `t`, its reply tuple in zone `rzone`
 * (nf_ct_zone_id of the template's zone in the reply direction), or 0 (invalid as new, or no room).
 */
function initConntrack(root: u32, st: u32, t: u32, rzone: u32): u32 {
  const proto = <u32>load<u8>(t + CTT_PROTO);
  const family = <u32>load<u8>(t + CTT_FAMILY);
  if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
    // icmp_new: only the request types make a connection
    const type = <u32>load<u8>(t + CTT_DPORT);
    const req = family == AF_INET6 ? (type == 128 || type == 139) : (type == 8 || type == 13 || type == 15 || type == 17);
    if (!req) return 0;
  }
  const inv = TUPLE_INV();
  if (!invertTuple(inv, t)) return 0;
  store<u16>(inv + CTT_ZONE, <u16>rzone);
  const e = ctNew(root, t, inv);
  if (e == 0) {
    mibInc(MIB_CT_DROP);
    store<u8>(st + NFS_CTINFO, 0xfe); // tells the caller to drop: "nf_conntrack: table full, dropping packet"
    return 0;
  }
  // init_conntrack's nf_ct_acct_ext_add: the counters show only for an entry made while accounting is on
  if (sysctl(SYSCTL_NF_CONNTRACK_ACCT) != 0) store<u8>(e + CT_ACCT, 1);
  unconfirmedAdd(root, e);
  return e;
}

/**
 * __nf_conntrack_alloc under the lock: an unconfirmed entry of tuples `t` and `inv`, outside the table;
 * 0 when the table is full and early drop found nothing to delete (the kernel's -ENOMEM).
 */
export function ctNew(root: u32, t: u32, inv: u32): u32 {
  // deleted entries wait for their grace period: those past it first, before dropping a live one
  if (load<u32>(root + CR_FREE) == 0) ctRetiredRelease(root);
  if (load<u32>(root + CR_COUNT) >= load<u32>(root + CR_MAX) || load<u32>(root + CR_FREE) == 0) {
    if (!earlyDrop(root, t)) return 0;
  }
  const e = ctAlloc(root);
  if (e == 0) return 0;
  tupleCopy(e + CT_TUPLE_ORIG, t);
  tupleCopy(e + CT_TUPLE_REPLY, inv);
  store<u32>(e + CT_ID, load<u32>(root + CR_NEXT_ID));
  store<u32>(root + CR_NEXT_ID, load<u32>(root + CR_NEXT_ID) + 1);
  store<u64>(e + CT_START, netNow());
  return e;
}

/**
 * nf_conntrack_hash_check_insert under the lock, for bpf_ct_insert_entry's entry (unconfirmed, outside the
 * table): false when either tuple is in the table already (-EEXIST; the caller frees the entry); else
 * both directions hashed and the insert counted. No event: the kernel's check_insert sends none (ctnetlink,
 * its other caller, reports its own).
 */
export function ctHashCheckInsert(root: u32, e: u32): bool {
  if (ctKey(root, e + CT_TUPLE_ORIG) != 0 || ctKey(root, e + CT_TUPLE_REPLY) != 0) return false;
  hashInsert(root, e, 0);
  hashInsert(root, e, 1);
  mibInc(MIB_CT_INSERT);
  return true;
}

export const NF_DROP: u32 = 0;
export const NF_ACCEPT: u32 = 1;
export const NF_STOLEN: u32 = 2;
export const NF_REPEAT: u32 = 4;

const L4_OK: u32 = 0;
const L4_INVALID: u32 = 1;
const L4_REPEAT: u32 = 2;
const L4_DROP: u32 = 3;
export { L4_OK, L4_INVALID, L4_REPEAT, L4_DROP };

/** nf_conntrack_handle_packet: the protocol tracker's verdict on the packet for entry `e`. */
function l4Packet(root: u32, e: u32, st: u32, ctinfo: u32, l3: u32, thoff: u32, len: u32, proto: u32, family: u32): u32 {
  const confirmed = (load<u32>(e + CT_STATUS) & IPS_CONFIRMED) != 0;
  if (proto == IPPROTO_TCP) {
    if (!confirmed && !tcp_new(e, l3, thoff, len)) return L4_INVALID;
    return tcp_packet(root, e, st, ctinfo, l3, thoff, len);
  }
  if (proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE) {
    if (!confirmed) store<u64>(e + CT_UDP_STREAM, netNow() + 2000);
    // nf_conntrack_udp_packet: replied and alive for two seconds → the stream timeout and ASSURED.
    // IPS_SEEN_REPLY is set by nf_conntrack_in after this handler, so the first reply itself still
    // gets the unreplied timeout and no ASSURED: the packet after it does.
    const s = load<u32>(e + CT_STATUS);
    if ((s & IPS_SEEN_REPLY) != 0) {
      let extra = timeoutMs(SYSCTL_NF_CONNTRACK_UDP_TIMEOUT);
      let stream = false;
      if (<i64>(netNow() - load<u64>(e + CT_UDP_STREAM)) > 0) {
        extra = timeoutMs(SYSCTL_NF_CONNTRACK_UDP_TIMEOUT_STREAM);
        // never set ASSURED for IPS_NAT_CLASH, they time out soon
        stream = (s & (IPS_ASSURED | IPS_NAT_CLASH)) == 0;
      }
      ctRefresh(e, extra);
      if (stream) {
        store<u32>(e + CT_STATUS, load<u32>(e + CT_STATUS) | IPS_ASSURED);
        ctEvent(root, e, IPCTNL_MSG_CT_UPDATE);
      }
    } else {
      ctRefresh(e, timeoutMs(SYSCTL_NF_CONNTRACK_UDP_TIMEOUT));
    }
    return L4_OK;
  }
  if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
    ctRefresh(e, timeoutMs(family == AF_INET6 ? SYSCTL_NF_CONNTRACK_ICMPV6_TIMEOUT : SYSCTL_NF_CONNTRACK_ICMP_TIMEOUT));
    return L4_OK;
  }
  ctRefresh(e, timeoutMs(SYSCTL_NF_CONNTRACK_GENERIC_TIMEOUT));
  return L4_OK;
}

/**
 * udp_error: a datagram shorter than its header or its length field, or (at PRE_ROUTING, with
 * nf_conntrack_checksum) a bad checksum, is invalid. true when good.
 */
function udpError(st: u32, family: u32, l3: u32, thoff: u32, len: u32): bool {
  if (thoff + 8 > len) return false;
  const ulen = ldBe16(l3 + thoff + 4);
  if (ulen > len - thoff || ulen < 8) return false;
  const check = load<u16>(l3 + thoff + 6);
  if (check == 0) return family != AF_INET6;
  if (sysctl(SYSCTL_NF_CONNTRACK_CHECKSUM) == 0 || <u32>load<u8>(st + NFS_HOOK) != 0) return true;
  return l4ChecksumOk(family, l3, thoff, ulen, IPPROTO_UDP);
}

/** The L4 checksum of `l4len` bytes at l3 + thoff with the pseudo-header sums to all ones. */
export function l4ChecksumOk(family: u32, l3: u32, thoff: u32, l4len: u32, proto: u32): bool {
  let s: u64;
  if (family == AF_INET6) {
    s = csumIpv6Pseudo(l3 + IP6H_SADDR, l3 + IP6H_DADDR, l4len, proto);
  } else {
    s = <u64>load<u32>(l3, IPH_SADDR) + <u64>load<u32>(l3, IPH_DADDR) + <u64>bswap<u32>(proto) + <u64>bswap<u32>(l4len);
    if (proto == IPPROTO_ICMP) s = 0;
  }
  return csumFold16(csumAdd(l3 + thoff, l4len, s)) == 0xffff;
}

/**
 * icmp_error / icmpv6_error + nf_conntrack_inet_error: an ICMP error is RELATED to the entry of the
 * packet it quotes (looked up inverted: the quote travelled the other way), IP_CT_RELATED_REPLY when that
 * tuple is the entry's reply direction. None found, a quote cut short or of a later fragment, or an error
 * whose destination is not that direction's: no entry (invalid).
 */
function icmpError(st: u32, root: u32, family: u32, l3: u32, thoff: u32, len: u32, zone: u32, dirs: u32): u32 {
  // icmp_error's checks: the checksum at PRE_ROUTING (nf_conntrack_checksum)
  if (sysctl(SYSCTL_NF_CONNTRACK_CHECKSUM) != 0 && <u32>load<u8>(st + NFS_HOOK) == 0) {
    if (!l4ChecksumOk(family, l3, thoff, len - thoff, family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP)) {
      mibInc(MIB_CT_ERROR);
      return NF_ACCEPT;
    }
  }
  const in3 = l3 + thoff + 8;
  const inLen = len - thoff - 8;
  let inThoff: u32;
  let inProto: u32;
  if (family == AF_INET6) {
    if (inLen < 40) return NF_ACCEPT;
    const off = ipv6SkipExthdr(in3, inLen, 40, <u32>load<u8>(in3 + IP6H_NEXTHDR));
    // a later fragment quoted: no transport header to take a tuple from (ipv6_get_l4proto's frag_off)
    if (off < 0 || (skipFragOff & ~7) != 0) return NF_ACCEPT;
    inThoff = <u32>off;
    inProto = skipNexthdr;
  } else {
    if (inLen < 20) return NF_ACCEPT;
    // the same for IPv4 (ipv4_get_l4proto: "we might still see fragments inside ICMP packets"); a first
    // fragment's quote is the connection's like a whole packet's
    if ((ldBe16(in3 + IPH_FRAG_OFF) & IP_OFFSET) != 0) return NF_ACCEPT;
    inThoff = (<u32>load<u8>(in3) & 0xf) << 2;
    if (inThoff < 20 || inThoff > inLen) return NF_ACCEPT;
    inProto = <u32>load<u8>(in3 + IPH_PROTOCOL);
  }
  const it = TUPLE_INNER();
  // the quote's L4 header needs its first 8 bytes (ports, or the ICMP id)
  if (!pktToTuple(it, family, in3, inThoff, inLen, inProto, zone)) return NF_ACCEPT;
  const inv = TUPLE_INV();
  if (!invertTuple(inv, it)) return NF_ACCEPT;
  ctLock(root);
  const h = ctFind(root, inv, dirs);
  if (h == 0) {
    ctUnlock(root);
    return NF_ACCEPT;
  }
  const e = hEntry(h);
  // the entry's destination in the found direction is the error's destination: the quote's receiver
  // (or its SNAT address) is who the error goes to; an error to anyone else is no relative of the
  // connection (the kernel logs "outer daddr != inner" and leaves it untracked)
  const ctDaddr = e + CT_TUPLE_ORIG + hDir(h) * CT_TUPLE_SIZE + CTT_DST;
  const outer = family == AF_INET6 ? load<u64>(ctDaddr) == load<u64>(l3 + IP6H_DADDR) && load<u64>(ctDaddr, 8) == load<u64>(l3 + IP6H_DADDR, 8)
    : load<u32>(ctDaddr) == load<u32>(l3, IPH_DADDR);
  if (!outer) {
    ctUnlock(root);
    return NF_ACCEPT;
  }
  ctAcct(e, hDir(h), len);
  ctUnlock(root);
  store<u32>(st + NFS_CT, e);
  store<u8>(st + NFS_CTINFO, <u8>(hDir(h) == IP_CT_DIR_REPLY ? IP_CT_RELATED_REPLY : IP_CT_RELATED));
  return NF_ACCEPT;
}

/** l4proto->allow_clash: UDP, UDP-Lite, ICMP, ICMPv6, DCCP and GRE may resolve an insertion clash (not TCP, SCTP). */
@inline export function allowClash(proto: u32): bool {
  return proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE || proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6 || proto == IPPROTO_DCCP || proto == 47; // 47: GRE
}

/**
 * nf_ct_key_equal's walk under the lock: the chain link whose tuple equals `t`, expired or not (the
 * kernel's confirm compares keys only; ctFind reaps an expired one instead). 0 when none.
 */
function ctKey(root: u32, t: u32): u32 {
  const mask = load<u32>(root + CR_BUCKETS) - 1;
  let h = load<u32>(load<u32>(root + CR_TABLE) + (tupleHash(t, load<u32>(root + CR_SEED), mask) << 2));
  while (h != 0) {
    const e = hEntry(h);
    const d = hDir(h);
    if (tupleEq(e + CT_TUPLE_ORIG + d * CT_TUPLE_SIZE, t)) return h;
    h = load<u32>(e + (d << 2));
  }
  return 0;
}

/**
 * nf_conntrack_tuple_taken under the lock: an entry other than `ignored` has tuple `t` (either direction),
 * skipping expired ones (reaped: nf_ct_gc_expired) and those whose original tuple is `ignored`'s own —
 * the same flow, met by another CPU first, which nf_ct_resolve_clash merges at confirm.
 */
export function ctTupleTaken(root: u32, t: u32, ignored: u32): bool {
  const mask = load<u32>(root + CR_BUCKETS) - 1;
  const b = load<u32>(root + CR_TABLE) + (tupleHash(t, load<u32>(root + CR_SEED), mask) << 2);
  const now = netNow();
  let h = load<u32>(b);
  while (h != 0) {
    const e = hEntry(h);
    const d = hDir(h);
    if (e != ignored) {
      if (ctExpired(e, now)) {
        ctDeleteLocked(root, e);
        h = load<u32>(b); // the chain changed: from its head again
        continue;
      }
      if (tupleEq(e + CT_TUPLE_ORIG + d * CT_TUPLE_SIZE, t) && !tupleEq(e + CT_TUPLE_ORIG, ignored + CT_TUPLE_ORIG)) return true;
    }
    h = load<u32>(e + (d << 2));
  }
  return false;
}

/**
 * nf_ct_can_merge: nf_ct_match (both tuples equal) or nf_ct_match_reverse (the same flow seen from its
 * other end: `w`'s original is `e`'s reply and the other way round). Zones are in the tuples.
 */
@inline function canMerge(w: u32, e: u32): bool {
  return (tupleEq(w + CT_TUPLE_ORIG, e + CT_TUPLE_ORIG) && tupleEq(w + CT_TUPLE_REPLY, e + CT_TUPLE_REPLY)) ||
    (tupleEq(w + CT_TUPLE_ORIG, e + CT_TUPLE_REPLY) && tupleEq(w + CT_TUPLE_REPLY, e + CT_TUPLE_ORIG));
}

/**
 * nf_ct_resolve_clash under the lock (`h` the link confirm found, the original tuple's first, else the
 * reply's): a protocol that allows it keeps the packet — merged onto the entry there when they can
 * merge (__nf_ct_resolve_clash: the loser's bytes added, the packet takes that entry with its ctinfo);
 * else (nf_ct_resolve_clash_harder) merged onto the entry holding the loser's reply tuple when that one
 * can merge, or, when no entry holds it, the loser inserted by its reply direction only (original-
 * direction lookups keep finding the winner; listings do not show it), confirmed for one second
 * (IPS_FIXED_TIMEOUT), never assured (IPS_NAT_CLASH). Anything else: insert_failed, the packet dropped.
 * Unlocks. Returns an NF_* verdict.
 */
function resolveClash(root: u32, st: u32, e: u32, h: u32, ctinfo: u32): u32 {
  unconfirmedForget(e);
  if (allowClash(<u32>load<u8>(hEntry(h) + CT_TUPLE_ORIG + CTT_PROTO))) {
    let w = hEntry(h);
    if (!canMerge(w, e)) {
      const rh = ctKey(root, e + CT_TUPLE_REPLY);
      if (rh == 0) {
        ctSetTimeout(e, netNow() + 1000);
        store<u32>(e + CT_STATUS, load<u32>(e + CT_STATUS) | IPS_CONFIRMED | IPS_FIXED_TIMEOUT | IPS_NAT_CLASH);
        hashInsert(root, e, 1);
        ctUnlock(root);
        mibInc(MIB_CT_CLASH_RESOLVE);
        return NF_ACCEPT;
      }
      w = canMerge(hEntry(rh), e) ? hEntry(rh) : 0;
    }
    if (w != 0) {
      // nf_ct_acct_merge: the loser's bytes of the packet's direction, as one packet
      const dir: u32 = ctinfo >= IP_CT_IS_REPLY ? IP_CT_DIR_REPLY : IP_CT_DIR_ORIGINAL;
      ctAcct(w, dir, <u32>load<u64>(e + CT_COUNTERS + (dir << 4) + 8));
      ctFree(root, e);
      ctUnlock(root);
      mibInc(MIB_CT_CLASH_RESOLVE);
      store<u32>(st + NFS_CT, w);
      return NF_ACCEPT;
    }
  }
  ctFree(root, e);
  ctUnlock(root);
  mibInc(MIB_CT_DROP);
  mibInc(MIB_CT_INSERT_FAILED);
  store<u32>(st + NFS_CT, 0);
  return NF_DROP;
}

/**
 * __nf_conntrack_confirm at POST_ROUTING / LOCAL_IN (priority INT_MAX): a new entry of an original-
 * direction packet goes into the table — unless an entry there has its original tuple, or else its reply
 * tuple (a clash: resolveClash) — its timeout made absolute, a new event sent. Returns an NF_* verdict.
 */
export function nf_conntrack_confirm(st: u32): u32 {
  const e = load<u32>(st + NFS_CT);
  if (e == 0) return NF_ACCEPT;
  const s = load<u32>(e + CT_STATUS);
  if ((s & IPS_CONFIRMED) != 0) return NF_ACCEPT;
  const ctinfo = <u32>load<u8>(st + NFS_CTINFO);
  if (ctinfo >= IP_CT_IS_REPLY && ctinfo != IP_CT_NONE) return NF_ACCEPT;
  const root = ctRoot();
  ctLock(root);
  if ((load<u32>(e + CT_STATUS) & (IPS_CONFIRMED | IPS_DYING)) != 0) {
    ctUnlock(root);
    return NF_ACCEPT;
  }
  let h = ctKey(root, e + CT_TUPLE_ORIG);
  if (h == 0) h = ctKey(root, e + CT_TUPLE_REPLY);
  if (h != 0) return resolveClash(root, st, e, h, ctinfo);
  unconfirmedForget(e);
  ctSetTimeout(e, load<u64>(e + CT_TIMEOUT) + netNow());
  store<u32>(e + CT_STATUS, load<u32>(e + CT_STATUS) | IPS_CONFIRMED);
  hashInsert(root, e, 0);
  hashInsert(root, e, 1);
  mibInc(MIB_CT_INSERT);
  ctEvent(root, e, IPCTNL_MSG_CT_NEW);
  ctUnlock(root);
  return NF_ACCEPT;
}

/** Whether entry `e` is in the table still (for stages that keep an entry's address: the flowtable). */
@inline export function ctAlive(e: u32): bool {
  return (load<u32>(e + CT_STATUS) & (IPS_CONFIRMED | IPS_DYING)) == IPS_CONFIRMED;
}

/** Delete entry `e` (nf_ct_kill) under the lock. */
export function nf_ct_kill(e: u32): void {
  const root = ctRoot();
  if (root == 0) return;
  ctLock(root);
  if (ctAlive(e)) ctDeleteLocked(root, e);
  ctUnlock(root);
}

/** nf_ct_kill_acct: the packet (`len` bytes, direction `dir`) counted to entry `e`, then the entry deleted. */
export function nf_ct_kill_acct(e: u32, dir: u32, len: u32): void {
  ctAcct(e, dir, len);
  nf_ct_kill(e);
}

/** The entry whose original tuple is the one TypeScript wrote at `t` (any direction), 0 when none. */
export function nf_ct_lookup(t: u32): u32 {
  const root = ctRoot();
  if (root == 0) return 0;
  ctLock(root);
  const h = ctFind(root, t, CT_DIRS_BOTH);
  ctUnlock(root);
  return hEntry(h);
}
