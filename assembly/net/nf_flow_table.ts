// The flowtable: nf_flow_table_core.c and nf_flow_table_ip.c — an established forwarded connection
// offloaded (flow_offload_add, from `flow add @ft` or the table's own offload rule) is looked up at
// ingress, before the stack, by its 5-tuple and input device in either direction; a hit is forwarded
// here: NAT as the connection's entry says (addresses, ports, the incremental checksum updates), TTL
// decremented (ip_decrease_ttl), the next hop's MAC from the neighbour table, out of the route's device.
// What goes to the slow path instead (the frame untouched): VLAN tags, IP options, fragments, TTL ≤ 1,
// a frame over the route's MTU, an unresolved neighbour, protocols other than TCP / UDP, a device not in
// the flowtable; a TCP FIN or RST marks the flow closing and is forwarded, a SYN on a closing flow tears
// it down (nf_flow_state_check, flowStateCheck: the connection back in CLOSE), as does a FIB change since
// the flow was added (its routes may be stale: the kernel's dst check). Flows expire after
// net.netfilter.nf_flowtable_tcp_timeout / _udp_timeout (30 s) without a hit; the collector (each second
// of stack time) deletes expired and torn-down flows, handing their connection back to conntrack
// (IPS_OFFLOAD cleared, its timeout that of its state), and keeps the entries of live flows from
// expiring (nf_ct_offload_timeout: a day).
//
// IPv6 (nf_flow_offload_ipv6_hook): the same, with the hop limit for the TTL (no IP header checksum: NAT
// changes the TCP / UDP checksum only, over the pseudo-header's addresses), the route's IPv6 MTU, the
// next hop's NDISC entry; a frame qualifies (nf_flow_tuple_ipv6) when its next header is TCP or UDP (no
// extension headers), its hop limit above 1, its payload length the frame's. IPv6 flows live in a pool
// of their own (FTR_POOL6, FLOW6_SIZE, made at the first IPv6 offload) and a table of their own
// (FTR_TABLE6), so the IPv4 hit path never compares a 16-byte address.
//
// The root (FTR_*, at NR_FLOWTABLE): +0 u32 flowtables in use (bit per id) | +8 FT_MAX × FT_SIZE records
// (FT_DEVS: u32 device count, then FT_MAX_DEVS × u32 ifindex) | then the hash table (FTR_TABLE address,
// FTR_BUCKETS), the pool of flows (FTR_POOL, FTR_MAX, FTR_FREE, FTR_COUNT: both families, FTR_HWM), and
// IPv6's table and pool (FTR_TABLE6, same bucket count; FTR_POOL6 of FTR_MAX flows, FTR_FREE6, FTR_HWM6),
// and the deleted flows not reusable yet (FTR_RETIRED, FTR_RETIRED_OLD, FTR_RETIRED_STAMP).
// Freeing (flow_offload_free → kfree_rcu): a deleted flow is out of the table at once, but a worker may
// still hold one of its direction records (nf_flow_burst_lookup's per-frame records, a chain walk, a
// program's bpf_xdp_flow_lookup result) until its next quiescent point. So, as neigh.ts's entries, it
// goes on a retired list (flowDel may run on the data path, which must not touch reclaim.ts); the
// collector (control plane, between bursts) stamps what was retired since its last turn with
// reclaim.ts's open grace period (rc_stamp) and puts it back on its pool's free list once rc_passed.
// Until then the slot is not free: a pool whose only free slots wait is full (flow_offload_add: -28).
// A flow (FLOW_SIZE, 256, 256-aligned: a direction record's flow is its address & ~255): two direction
// records FD_* of two cache lines each (ORIGINAL at +0, REPLY at +FD_SIZE = +128). The first line holds
// what a hit needs (an IPv6 hit reads its copy in the hot array; an IPv4 hit reads its 32-byte hot record
// and next hop instead, the first line only when its connection translates both addresses, the second
// when its flowtable counts: FDF_ACCT; an IPv4 record's neighbour and timeout fields are not used once
// the flow is in the table):
//   +0 next hop (IPv4) | +4 saddr | +8 daddr | +12 sport | +14 dport (as in the packet) | +16 iif | +20 u8
//   proto | +21 u8 NAT flags (FDF_SNAT, FDF_DNAT) and FDF_ACCT | +22 u8 dir:2, xmit_type:3 | +23 u8 FDT_*
//   (torn down, no hook on iif) | +24 oif | +28 mtu | +32 the next hop's neighbour entry (a cache: checked
//   at each use) | +36 new saddr | +40 new daddr | +44 new sport | +46 new dport | +48 FIB generation | +52
//   u16 the IP header's checksum change (NAT and TTL), u16 the L4 one's (NAT) | +56 u64 timeout (ms: the flow's,
//   as of the add; its hot record's copy is the live one)
//   +64 where a hit counts (FD_ACCT: its connection's counters, 0 without the flowtable's `counter`) |
//   +80 hash link
// and the flow's own fields in the ORIGINAL record's second line: +88 u64 flags (NF_FLOW_*) | +96 ct |
// +100 flowtable id | +104 FIB generation | +112 free link | +116 the connection a deleted flow holds.
// Counting (NF_FLOWTABLE_COUNTER, nft's `counter`; off by default, as the kernel's): a hit adds one packet
// and the frame's skb->len to its connection's counters of its direction (nf_ct_acct_update: two
// atomic64_add, as conntrack's own accounting does them: workers may hit one direction at once, and the
// stack counts a connection's other frames under the conntrack lock meanwhile). A flowtable without it
// touches no counter on a hit. As the kernel's flow holds a reference on its connection, a counting flow
// keeps its entry from being reused until the flow's grace period is over (FLOW_HELD: a worker may still
// count into it): after the flow's deletion the entry's CT_FLOW word is the flow's address | 1. bpf_xdp_flow_lookup hands programs a
// direction record as struct flow_offload_tuple_rhash (src/elf/core.ts describes these records as the
// kernel's structs for CO-RE: tuple at +0, tuplehash[dir] at dir × FD_SIZE, flags).
// The flow expires at its one timeout, moved by either direction's hits (flow_offload_refresh), a copy in
// each direction's hot record (refresh4 writes both).
// An IPv6 flow (FLOW6_SIZE, 512, 512-aligned) is an IPv4 one whose IPv4 address fields are unused, each
// direction's addresses in the line 256 bytes further (d + FD6_*): +256 saddr | +272 daddr | +288 new
// saddr | +304 new daddr (the key and the NAT in one line), then +320 the next hop (a hit reads its hot
// record and next hop instead; a connection translating both sides, this address line). flowOf (d &
// ~255) finds it too, as REPLY stays at +FD_SIZE; FLOW_L3 (+108 u8) says the family.
// The hot arrays (FTR_HOT / FTR_HOTR, FTR_HOT6): what a hit reads and writes, away from the records'
// other lines. An IPv4 direction's hot record is 32 bytes (HOT4_SIZE: the key, the flags, the timeout,
// the one side it translates, its next hop), the ORIGINAL directions' in one array (FTR_HOT + 32 i for
// pool slot i) and the REPLY ones' in another (FTR_HOTR): a line holds two flows' records of one
// direction, so a large table's hits touch half the lines the 64-byte copies of the records' first lines
// did (at 1M flows the lines missed are the cost). What it does not hold is shared: its next hop (NH_*:
// the route's device, MTU and FIB generation, the neighbour's address and cached entry), one record for
// every direction that leaves by the same route to the same neighbour (as the kernel's flows share their
// route's dst), taken at flow_offload_add and given back when the flow's grace period is over; a
// connection translating both addresses reads its direction record's FD_NEW_* and FD_CSUM at each hit
// (one line more). An IPv6 direction's hot record is one line (HOT6_SIZE: the key, the flags, the
// translated port, the timeout, its next hop), the ORIGINAL directions' in FTR_HOT6's first half, the REPLY
// ones' in its second; its next hop (NH6_SIZE) holds the address of a direction translating one side too,
// shared by the flows translated alike (masquerade: every flow out of the device). Before, an IPv6 hit read
// two lines of its own (the direction record's first line and its address line): flowtable6 10k 55.5 →
// 49.4 ns, 100k 73.6 → 62.6 (with the burst lookup's branchless loads; 3 interleaved rounds, load 10). The
// buckets name hot records, a hit and the burst lookup read only them (and the next hop), and a hot record
// is where the timeouts live once the flow is in the table (the collector and the listing read them
// there: dirTimeout, nf_flow_timeout); the control side writes teardown and FDF_ACCT to both.
// The kfunc hands programs the record itself.
//
// Reads: the frame, the flows, the FIB (at add), the neighbour table. Sets: the frame (NAT, TTL, MACs),
// the flow's counters and timeout. Next: netdev_xmit_pend (sent with the burst's other forwarded frames
// at its end, eth.ts), or the stack (false). A burst's hits count nf_flowtable:hit and the ring device's
// RX packets / bytes once (nf_flow_burst_done).

import { arena_alloc } from '../maps/arena';
import { rc_passed, rc_reclaim, rc_stamp } from './reclaim';
import { CTX_BASE, CTX_INGRESS_IFINDEX } from '../abi';
import { fibGen, mibAdd, mibInc, netNow, netRoot, netScratch, netdevGet, sysctl } from './core';
import {
  AF_INET, AF_INET6, FL_DST, FL_FAMILY, FL_IIF, FL_SCOPE, FL_SIZE, FL_SRC, FR_GW, FR_GW_FAMILY, FR_OIF, FR_TYPE, IFF_UP, MIB_FLOW_HIT,
  MIB_FLOW_SLOWPATH, ND_FLAGS, ND_MAC, NDSTAT_RX_BYTES, NDSTAT_RX_PACKETS, NE_DEAD, NE_FAMILY, NE_IFINDEX, NE_KEY, NE_MAC, NE_STATE, NE_XFLAGS, NUD_CONNECTED, SCR_FLOW, NFS_CT, NFS_CTINFO, NFS_DATA, NFS_IIF, NFS_L4PROTO, NFS_LEN, NFS_OIF, NFS_THOFF, NR_FLOWTABLE,
  RTN_UNICAST, RT_SCOPE_UNIVERSE, SCR_NF, SYSCTL_NF_CONNTRACK_TCP_TIMEOUT_SYN_SENT, SYSCTL_NF_CONNTRACK_UDP_TIMEOUT_STREAM,
  SYSCTL_NF_FLOWTABLE_TCP_TIMEOUT, SYSCTL_NF_FLOWTABLE_UDP_TIMEOUT, SYSCTL_NF_CONNTRACK_UDP_TIMEOUT,
} from './abi';
import { ETH_HLEN, IP6H_DADDR, IP6H_HOP_LIMIT, IP6H_NEXTHDR, IP6H_PAYLOAD_LEN, IP6H_SADDR, IPH_CHECK, IPH_DADDR, IPH_FRAG_OFF, IPH_PROTOCOL, IPH_SADDR, IPH_TOT_LEN, IPH_TTL, IPPROTO_TCP, IPPROTO_UDP, ldBe16 } from './inet';
import { fib4_lookup, fib6_lookup } from './fib';
import { routeMtu4, routeMtu6 } from './output';
import { NEX_HH, neigh4Ready, neigh6Ready } from './neigh';
import { ndStat, netdev_xmit_pend, netdevMac } from './netdev';
import { ipDecreaseTtl } from './forward';
import { atomicAdd64 } from './lock';

// The conntrack side, imported late (nf_conntrack.ts imports this file for flow_offload_ct_gone)
import {
  CT_L4STATE, CT_STATUS, CT_TIMEOUT, CTT_PROTO, CT_TUPLE_ORIG, CT_TUPLE_REPLY, CT_TUPLE_SIZE, CTT_DPORT, CTT_DST, CTT_FAMILY, CTT_SPORT,
  CTT_SRC, CT_COUNTERS, IPS_CONFIRMED, IPS_DYING, IPS_OFFLOAD, IPS_SEEN_REPLY, IP_CT_IS_REPLY, IP_CT_NONE, NF_ACCEPT, ctLock, ctRoot,
  ctUnlock, ctFreeHeld, ctSetTimeout,
} from './nf_conntrack';
import { nf_conntrack_tcp_established, tcp_offload_fixup, tcp_offload_liberal, TCP_CONNTRACK_CLOSE, TCP_CONNTRACK_SYN_SENT } from './nf_conntrack_proto_tcp';

export const FT_MAX: u32 = 8;
export const FT_MAX_DEVS: u32 = 15;
export const FT_SIZE: u32 = 64;
export const FTR_USED: u32 = 0;
export const FTR_FTS: u32 = 8;
export const FTR_BUCKETS: u32 = FTR_FTS + FT_MAX * FT_SIZE;
export const FTR_TABLE: u32 = FTR_BUCKETS + 4;
export const FTR_POOL: u32 = FTR_BUCKETS + 8;
export const FTR_MAX: u32 = FTR_BUCKETS + 12;
export const FTR_FREE: u32 = FTR_BUCKETS + 16;
export const FTR_COUNT: u32 = FTR_BUCKETS + 20;
/** One past the highest pool slot ever handed out: the collector and the flowtable's delete walk no further. */
export const FTR_HWM: u32 = FTR_BUCKETS + 24;
export const FTR_TABLE6: u32 = FTR_BUCKETS + 28;
export const FTR_POOL6: u32 = FTR_BUCKETS + 32;
export const FTR_FREE6: u32 = FTR_BUCKETS + 36;
export const FTR_HWM6: u32 = FTR_BUCKETS + 40;
/** Flows deleted since the collector's last turn (both families, linked by FLOW_FREE): not reusable yet. */
export const FTR_RETIRED: u32 = FTR_BUCKETS + 44;
/** Flows waiting for reclaim.ts's grace period FTR_RETIRED_STAMP (linked by FLOW_FREE). */
export const FTR_RETIRED_OLD: u32 = FTR_BUCKETS + 48;
export const FTR_RETIRED_STAMP: u32 = FTR_BUCKETS + 52;
/** FT_MAX × u8: each flowtable's flags (NF_FLOWTABLE_*; FT_SIZE holds its devices only). */
export const FTR_FLAGS: u32 = FTR_BUCKETS + 56;
/** u32 how many low bits of a bucket slot hold its record's index (slotOf, 1 .. 2 × FTR_MAX): 2^FTR_IDXB > 2 × FTR_MAX. */
export const FTR_IDXB: u32 = FTR_BUCKETS + 64;
/** The hot arrays (hotOf): FTR_MAX × 128 bytes for IPv4 flows, FTR_MAX × 256 for IPv6 ones (made with FTR_TABLE6). */
export const FTR_HOT: u32 = FTR_BUCKETS + 72;
export const FTR_HOT6: u32 = FTR_BUCKETS + 76;
/** The REPLY directions' IPv4 hot records: FTR_HOT + FTR_MAX × HOT4_SIZE (FTR_HOT holds the ORIGINAL ones). */
export const FTR_HOTR: u32 = FTR_BUCKETS + 80;
/** The IPv4 next hops (NH_*): a pool of 2 × FTR_MAX records, handed out from FTR_NH_HWM up, then from FTR_NH_FREE. */
export const FTR_NH: u32 = FTR_BUCKETS + 84;
export const FTR_NH_HWM: u32 = FTR_BUCKETS + 88;
export const FTR_NH_FREE: u32 = FTR_BUCKETS + 92;
/** The next hops' hash (u32 heads linked by NH_NEXT; FTR_NH_MASK + 1 of them): flow_offload_add finds a flow's there. */
export const FTR_NH_TABLE: u32 = FTR_BUCKETS + 96;
export const FTR_NH_MASK: u32 = FTR_BUCKETS + 100;
/** The IPv6 next hops (NH6_SIZE each), as FTR_NH .. FTR_NH_TABLE for IPv4 ones, NH_FAM bytes further (made with FTR_TABLE6; the mask is FTR_NH_MASK). */
export const FTR_NH6: u32 = FTR_BUCKETS + 104;
export const FTR_NH6_HWM: u32 = FTR_BUCKETS + 108;
export const FTR_NH6_FREE: u32 = FTR_BUCKETS + 112;
export const FTR_NH6_TABLE: u32 = FTR_BUCKETS + 116;
export const FTR_SIZE: u32 = FTR_BUCKETS + 120;
/** FTR_NH6 − FTR_NH: the IPv6 next hops' root fields after the IPv4 ones', in the same order. */
const NH_FAM: u32 = FTR_NH6 - FTR_NH;
/** enum nf_flowtable_flags: NF_FLOWTABLE_COUNTER (nft's `counter`): hits count into the connection's acct. */
export const NF_FLOWTABLE_COUNTER: u32 = 0x2;
export const FT_DEVS: u32 = 0;

export const FD_NEXT: u32 = 80;
export const FD_SADDR: u32 = 4;
export const FD_DADDR: u32 = 8;
export const FD_SPORT: u32 = 12;
export const FD_DPORT: u32 = 14;
export const FD_IIF: u32 = 16;
export const FD_PROTO: u32 = 20;
export const FD_OIF: u32 = 24;
export const FD_MTU: u32 = 28;
export const FD_NEIGH: u32 = 32;
export const FD_NH: u32 = 0;
export const FD_NEW_SADDR: u32 = 36;
export const FD_NEW_DADDR: u32 = 40;
export const FD_NEW_SPORT: u32 = 44;
export const FD_NEW_DPORT: u32 = 46;
export const FD_NAT: u32 = 21;
/** u8 struct flow_offload_tuple's bitfields as the kernel packs them: dir:2, xmit_type:3 (src/elf/core.ts WXDP_BTF). */
export const FD_BITS: u32 = 22;
export const FD_TEARDOWN: u32 = 23;
export const FD_GEN: u32 = 48;
export const FD_CSUM: u32 = 52;
export const FD_TIMEOUT: u32 = 56;
/**
 * u32 where a hit of this direction counts (nf_ct_acct_update): its connection's counters of the
 * direction (the entry's CT_COUNTERS + dir × 16: u64 packets, u64 bytes), 0 when its flowtable has no
 * NF_FLOWTABLE_COUNTER. In the second line, which only a counting hit reads.
 */
export const FD_ACCT: u32 = 64;
export const FD_SIZE: u32 = 128;
export const FLOW_CT: u32 = 96;
export const FLOW_FT: u32 = 100;
export const FLOW_GEN: u32 = 104;
export const FLOW_FLAGS: u32 = 88; // u64 (unsigned long) NF_FLOW_* bits, as struct flow_offload's flags
export const FLOW_FREE: u32 = 112;
/** u32 the connection a flow that counted holds until it is deleted and its grace period is over (flowAcct, flowDel), else 0. */
export const FLOW_HELD: u32 = 116;
/** u8 the flow's family (struct flow_offload_tuple's l3proto): AF_INET, AF_INET6. */
export const FLOW_L3: u32 = 108;
export const FLOW_SIZE: u32 = 256;
export const FLOW6_SIZE: u32 = 512;
export const FD6_SADDR: u32 = 256;
export const FD6_DADDR: u32 = 272;
export const FD6_NEW_SADDR: u32 = 288;
export const FD6_NEW_DADDR: u32 = 304;
export const FD6_NH: u32 = 320;
// An IPv6 hot record (HOT6_SIZE: one line; FTR_HOT6 + 64 i for pool slot i's ORIGINAL direction, its REPLY
// one FTR_MAX × 64 further, as IPv4's two arrays: one direction's traffic touches half the pages): +0 saddr | +16 daddr | +32 sport | +34 dport | +36 iif | +40 u8 proto | +41 u8 flags (as
// H4_FLAGS) | +42 the translated port | +44 u32 the flow's timeout (as H4_TIMEOUT) | +48 its next hop
// (NH6_SIZE: with the translated address of a direction translating one side, which differs between the
// flows leaving by one route only as their translations do: masquerade's is the device's) | +52 u16 the
// L4 checksum's change of a direction translating one side (FD_CSUM + 2's: fillDir6 summed it from the
// tuple's address and port, which are the packet's when the key matched; 0 for the others).
const HOT6_SIZE: u32 = 64;
const HOT6_SHIFT: u32 = 6;
const H6_DADDR: u32 = 16;
const H6_PORTS: u32 = 32;
const H6_IIF: u32 = 36;
const H6_PROTO: u32 = 40;
const H6_FLAGS: u32 = 41;
const H6_NAT_PORT: u32 = 42;
const H6_TIMEOUT: u32 = 44;
const H6_NH: u32 = 48;
const H6_CSUM: u32 = 52;
/** The key's bytes of an IPv6 hot record's third 16 (H6_PORTS, H6_IIF, H6_PROTO; not its flags, translated port or timeout). */
const H6_KEY_MASK = i32x4(-1, -1, 0xff, 0);
// An IPv4 hot record (HOT4_SIZE, in FTR_HOT for ORIGINAL directions, FTR_HOTR for REPLY ones): what a hit
// reads and writes. The key as the packet has it from saddr on (+0 saddr | +4 daddr | +8 sport | +10
// dport, then +12 iif: compared as one i32x4) | +16 u8 proto | +17 u8 flags (FD_NAT's FDF_*, and H4F_*
// for FD_TEARDOWN's) | +18 the translated port | +20 u32 the flow's timeout (ms, as the kernel's u32 jiffies:
// expiry by the signed difference, refresh4 by the unsigned one; the other direction's record has the same) | +24 u16
// the IP header checksum's change (TTL included) and +26 u16 the L4 one's, of a direction translating one
// side (FD_CSUM's: fillDir summed them from the tuple's address and port, the packet's when the key
// matched; the translated address is its next hop's NH_NAT_ADDR; a flow translating both reads its
// direction record's FD_NEW_* and FD_CSUM instead) | +28 its next hop (NH_*).
const HOT4_SIZE: u32 = 32;
const HOT4_SHIFT: u32 = 5;
const H4_PROTO: u32 = 16;
const H4_FLAGS: u32 = 17;
const H4_NAT_PORT: u32 = 18;
const H4_TIMEOUT: u32 = 20;
const H4_CSUM: u32 = 24;
const H4_NH: u32 = 28;
/** In H4_FLAGS: FD_TEARDOWN's FDT_TEARDOWN and FDT_NOHOOK. */
const H4F_TEARDOWN: u32 = 8;
const H4F_NOHOOK: u32 = 16;
// A next hop (NH_SIZE for IPv4, NH6_SIZE for IPv6), shared by every direction that leaves by the same
// route's device to the same neighbour as of the same FIB generation, as the kernel's flows share their
// route's dst (and through it the neighbour): +0 oif | +4 mtu | +8 the FIB generation it was made in (a
// change since: the dst check) | +12 the neighbour entry (a cache, checked at each use) | +16 how many
// direction records point to it | +20 hash link (or free link) | +24 the next hop's address (the gateway,
// or on an on-link route the destination: rt_nexthop; 4 or 16 bytes); IPv4's then +28 the translated
// address of the directions translating one side (FDF_SNAT: the new source, FDF_DNAT: the new
// destination; 0: none, or both, which read their direction records), IPv6's +40, and +56 u8 which side.
const NH_SIZE: u32 = 32;
const NH6_SIZE: u32 = 64;
const NH_OIF: u32 = 0;
const NH_MTU: u32 = 4;
const NH_GEN: u32 = 8;
const NH_NEIGH: u32 = 12;
const NH_REFS: u32 = 16;
const NH_NEXT: u32 = 20;
const NH_ADDR: u32 = 24;
const NH_NAT_ADDR: u32 = 28;
const NH6_NAT_ADDR: u32 = 40;
const NH6_NAT: u32 = 56;
export const FDF_SNAT: u32 = 1;
export const FDF_DNAT: u32 = 2;
/** In FD_NAT: this direction's hits count (FD_ACCT, in the record's second line, is set). */
export const FDF_ACCT: u32 = 4;
// enum nf_flow_flags: NF_FLOW_SNAT, NF_FLOW_DNAT, NF_FLOW_CLOSING, NF_FLOW_TEARDOWN (bit numbers)
export const FLOWF_SNAT: u32 = 1 << 0;
export const FLOWF_DNAT: u32 = 1 << 1;
export const FLOWF_CLOSING: u32 = 1 << 2;
export const FLOWF_TEARDOWN: u32 = 1 << 3;
/** enum flow_offload_xmit_type: FLOW_OFFLOAD_XMIT_NEIGH (the next hop's neighbour, as every flow here). */
const FLOW_OFFLOAD_XMIT_NEIGH: u32 = 1;
/** FD_TEARDOWN values: torn down; the direction's input device not in its flowtable (no hook there). */
const FDT_TEARDOWN: u8 = 1;
const FDT_NOHOOK: u8 = 2;
const CT_FLOW_OFF: u32 = 220; // nf_conntrack.ts CT_FLOW: the entry's flow

const NF_CT_DAY: u64 = 86400 * 1000;

@inline function ftRoot(): u32 {
  return load<u32>(netRoot() + NR_FLOWTABLE);
}

// ---- Set-up (the control plane) ----

/**
 * The flows' table: `max` flows (at most 2^22); one bucket line per four of the `buckets` flows expected
 * (8 direction records for 15 slots at the most: 0.1% of the records overflow at 6 a bucket, 0.3% at
 * 8), rounded up to a power of two, at most 2^20. 0, -17, -12, -22.
 */
export function nf_flowtable_init(max: u32, buckets: u32): i32 {
  if (netRoot() == 0 || max > 0x400000) return -22;
  if (ftRoot() != 0) return -17;
  let nb: u32 = 1;
  while (nb < (buckets >> 2) && nb < 0x100000) nb <<= 1;
  const r = arena_alloc(FTR_SIZE, 64);
  const table = arena_alloc(nb * BKT_SIZE, 64);
  const pool = arena_alloc(max * FLOW_SIZE, FLOW_SIZE); // FLOW_SIZE-aligned: a direction record's flow is d & ~(FLOW_SIZE - 1)
  const hot = arena_alloc(max * 2 * HOT4_SIZE, 64); // zeroed
  // the next hops: at most one of their own for each direction record; their hash a head per two flows
  let nhb: u32 = 64;
  while (nhb < (max >> 1) && nhb < 0x100000) nhb <<= 1;
  const nh = arena_alloc(max * 2 * NH_SIZE, 64);
  const nht = arena_alloc(nhb << 2, 64);
  if (r == 0 || table == 0 || pool == 0 || hot == 0 || nh == 0 || nht == 0 || max == 0) return -12;
  memory.fill(r, 0, FTR_SIZE);
  memory.fill(table, 0, nb * BKT_SIZE);
  for (let i: u32 = 0; i < max; i++) {
    const f = pool + i * FLOW_SIZE;
    memory.fill(f, 0, FLOW_SIZE);
    store<u32>(f + FLOW_FREE, i + 1 < max ? f + FLOW_SIZE : 0);
  }
  store<u32>(r + FTR_BUCKETS, nb);
  // a slot's index (slotOf) is 1 + its hot record's in its family's array of 2 × max (both directions'):
  // at most 2 × max, so every bit above it is the tag's (one more bit than 4 × max left: half the
  // frames whose bucket holds another key's record with their tag, which costs them the whole bucket's
  // lookup, burstCold: 0.7% of the frames at 1M flows)
  store<u32>(r + FTR_IDXB, 32 - clz(max << 1));
  store<u32>(r + FTR_TABLE, table);
  store<u32>(r + FTR_POOL, pool);
  store<u32>(r + FTR_HOT, hot);
  store<u32>(r + FTR_HOTR, hot + max * HOT4_SIZE);
  store<u32>(r + FTR_NH, nh);
  store<u32>(r + FTR_NH_TABLE, nht);
  store<u32>(r + FTR_NH_MASK, nhb - 1);
  store<u32>(r + FTR_MAX, max);
  store<u32>(r + FTR_FREE, pool);
  store<u32>(netRoot() + NR_FLOWTABLE, r);
  return 0;
}

/**
 * A flowtable over the devices whose ifindexes TypeScript wrote at `devs` (`n` of them), with `flags`
 * (NF_FLOWTABLE_COUNTER or 0): its id, or -errno.
 */
export function nf_flowtable_create(devs: u32, n: u32, flags: u32): i32 {
  if ((flags & ~NF_FLOWTABLE_COUNTER) != 0) return -95;
  const r = ftRoot();
  if (r == 0) return -22;
  if (n > FT_MAX_DEVS) return -7;
  const used = load<u32>(r + FTR_USED);
  for (let id: u32 = 0; id < FT_MAX; id++) {
    if ((used & (1 << id)) != 0) continue;
    const ft = r + FTR_FTS + id * FT_SIZE;
    store<u32>(ft + FT_DEVS, n);
    memory.copy(ft + 4, devs, n << 2);
    store<u8>(r + FTR_FLAGS + id, <u8>flags);
    store<u32>(r + FTR_USED, used | (1 << id));
    return <i32>id;
  }
  return -28;
}

/**
 * nft_flowtable_update's flags (nf_tables_commit: flowtable->data.flags = the new ones): from now on its
 * flows' hits count (NF_FLOWTABLE_COUNTER) or not, the flows it holds already included. 0, -2, -95.
 */
export function nf_flowtable_set_flags(id: u32, flags: u32): i32 {
  const r = ftRoot();
  if (r == 0 || id >= FT_MAX || (load<u32>(r + FTR_USED) & (1 << id)) == 0) return -2;
  if ((flags & ~NF_FLOWTABLE_COUNTER) != 0) return -95;
  const root = ctRoot();
  ctLock(root);
  store<u8>(r + FTR_FLAGS + id, <u8>flags);
  const n = flowSlots(r);
  for (let i: u32 = 0; i < n; i++) {
    const f = flowSlot(r, i);
    const ct = load<u32>(f + FLOW_CT);
    if (ct != 0 && load<u32>(f + FLOW_FT) == id) flowAcct(f, ct, flags);
  }
  ctUnlock(root);
  return 0;
}

/**
 * Where flow `f`'s hits count (FD_ACCT of each direction): its connection `ct`'s counters when `flags`
 * count, else nowhere. A flow that ever counted holds its connection (FLOW_HELD) until it is deleted and
 * its grace period is over: a worker may have read FD_ACCT just before it was cleared.
 */
function flowAcct(f: u32, ct: u32, flags: u32): void {
  const on = (flags & NF_FLOWTABLE_COUNTER) != 0;
  if (on) store<u32>(f + FLOW_HELD, ct);
  store<u32>(f + FD_ACCT, on ? ct + CT_COUNTERS : 0);
  store<u32>(f + FD_SIZE + FD_ACCT, on ? ct + CT_COUNTERS + 16 : 0);
  acctFlag(f, on);
  acctFlag(f + FD_SIZE, on);
}

/** The hot record of direction record `d` (the flow's family's hot array). */
@inline function hotOf(r: u32, d: u32): u32 {
  if (isV6(flowOf(d))) return hot6Of(r, d);
  return hot4Of(r, d);
}

/** The hot record of IPv4 direction record `d`: its flow's slot in its direction's array. */
@inline function hot4Of(r: u32, d: u32): u32 {
  const off = d - load<u32>(r + FTR_POOL);
  return load<u32>(r + ((off & FD_SIZE) != 0 ? FTR_HOTR : FTR_HOT)) + ((off >> 8) << HOT4_SHIFT);
}

/** The hot record of IPv6 direction record `d`: its flow's slot in its direction's half of the array (hot6Span). */
@inline function hot6Of(r: u32, d: u32): u32 {
  const off = d - load<u32>(r + FTR_POOL6);
  return load<u32>(r + FTR_HOT6) + ((off / FLOW6_SIZE) << HOT6_SHIFT) + ((off & FD_SIZE) != 0 ? hot6Span(r) : 0);
}

/** How far the REPLY directions' IPv6 hot records are from the ORIGINAL ones' (FTR_HOT6's second half). */
@inline function hot6Span(r: u32): u32 {
  return load<u32>(r + FTR_MAX) << HOT6_SHIFT;
}

/** The direction record of IPv4 hot record `h`. */
@inline function coldOf4(r: u32, h: u32): u32 {
  const rep = load<u32>(r + FTR_HOTR);
  const reply = h >= rep;
  return load<u32>(r + FTR_POOL) + (((h - (reply ? rep : load<u32>(r + FTR_HOT))) >> HOT4_SHIFT) << 8) + (reply ? FD_SIZE : 0);
}

/** The direction record of IPv6 hot record `h`. */
@inline function coldOf6(r: u32, h: u32): u32 {
  const off = h - load<u32>(r + FTR_HOT6);
  const span = hot6Span(r);
  const reply = off >= span;
  return load<u32>(r + FTR_POOL6) + ((reply ? off - span : off) >> HOT6_SHIFT) * FLOW6_SIZE + (reply ? FD_SIZE : 0);
}

/** The flags byte of hot record `h` (H4_FLAGS, H6_FLAGS). */
@inline function hotFlags(h: u32, v6: bool): u32 {
  return h + (v6 ? H6_FLAGS : H4_FLAGS);
}

/** FDF_ACCT of record `d` set or cleared (a hit reads FD_ACCT only with it set, and finds 0 there once it is cleared). */
@inline function acctFlag(d: u32, on: bool): void {
  const v = <u32>load<u8>(d + FD_NAT);
  store<u8>(d + FD_NAT, <u8>(on ? v | FDF_ACCT : v & ~FDF_ACCT));
  // the hot record's copy (before the flow is in the table its hot record is filled later)
  const h = hotFlags(hotOf(ftRoot(), d), isV6(flowOf(d)));
  const hv = <u32>load<u8>(h);
  store<u8>(h, <u8>(on ? hv | FDF_ACCT : hv & ~FDF_ACCT));
}

/** The flowtable's flows torn down (deleted at the collector's next turn) and the id freed. */
export function nf_flowtable_delete(id: u32): i32 {
  const r = ftRoot();
  if (r == 0 || id >= FT_MAX || (load<u32>(r + FTR_USED) & (1 << id)) == 0) return -2;
  const n = flowSlots(r);
  for (let i: u32 = 0; i < n; i++) {
    const f = flowSlot(r, i);
    if (load<u32>(f + FLOW_CT) != 0 && load<u32>(f + FLOW_FT) == id) flowTeardown(f);
  }
  store<u32>(r + FTR_USED, load<u32>(r + FTR_USED) & ~(<u32>1 << id));
  nf_flow_gc();
  return 0;
}

@inline function ftHasDev(r: u32, id: u32, ifindex: u32): bool {
  const ft = r + FTR_FTS + id * FT_SIZE;
  const n = load<u32>(ft + FT_DEVS);
  for (let i: u32 = 0; i < n; i++) if (load<u32>(ft + 4 + (i << 2)) == ifindex) return true;
  return false;
}

// ---- The hash ----

// The table: FTR_BUCKETS buckets of one cache line (BKT_SIZE) each — BKT_SLOTS u32 slots (slotOf: the
// key hash's bits from FTR_IDXB up, never all 0, as a tag | 1 + the record's offset from its family's pool
// in FD_SIZE units; 0: empty), then BKT_OVF, the head of the records that found no free slot (linked by
// FD_NEXT, rare: up to 8 records a bucket for 15 slots). A lookup reads its bucket's line and, for a slot
// whose tag is the key's, that record's line (where the key is compared, and what the hit reads
// anyway): one random line before the record, whatever the load, instead of a chain of records. The
// table is a quarter of the pool's size (100k flows: 2 MiB over 512 pages, the pool's records 25 MiB):
// with the records' pages it is what a large table's hits miss in the TLB and the caches. A slot is one
// u32 store by the control side under the conntrack lock, so a reader sees an old or a new slot; a record
// a reader got from a slot emptied meanwhile stays intact until its grace period is over
// (flowReleasePassed).
export const BKT_SIZE: u32 = 64;
const BKT_SLOTS: u32 = 15;
/** A bucket's overflow list (its last u32): the direction records its slots had no room for, linked by FD_NEXT. */
export const BKT_OVF: u32 = 60;
/** A slot's record index is its hot record's offset from its family's hot array in hot record units (IPv4: HOT4_SIZE; IPv6: HOT6_SIZE). */
@inline function hotShift(v6: u32): u32 {
  return HOT4_SHIFT + v6;
}

/**
 * The tag bits of key hash `h` as slots hold them: its bits from `idxb` up, never 0 (an empty slot's): a
 * hash with none of them set takes the lowest one alone (one tag value in 2^(32 − idxb) shared by two,
 * where setting bit 31 in every tag shared them all by twos: at 1M flows 0.84% of the frames found another
 * key's record by their tag first, ~0.45% now, each a whole bucket's lookup with its records' misses in series).
 */
@inline function slotTag(h: u32, idxb: u32): u32 {
  const t = h & ~((<u32>1 << idxb) - 1);
  return t != 0 ? t : <u32>1 << idxb;
}

/** The slot of hot record `d` (key hash `h`) of the hot array at `pool` (records of 1 << `sh` bytes). */
@inline function slotOf(h: u32, idxb: u32, pool: u32, d: u32, sh: u32): u32 {
  return slotTag(h, idxb) | (((d - pool) >> sh) + 1);
}

/** The hot record of non-empty slot `s` of the hot array at `pool` (records of 1 << `sh` bytes). */
@inline function slotRec(s: u32, idxb: u32, pool: u32, sh: u32): u32 {
  return pool - (<u32>1 << sh) + ((s & ((<u32>1 << idxb) - 1)) << sh);
}

/** Bits 0..3 set for the slots 4j..4j+3 of bucket `b` whose tag bits (mask `hm`) are `kt` (SIMD: four compares at once). */
@inline function tagQuad(b: u32, j: u32, kt: v128, hm: v128): u32 {
  return <u32>i32x4.bitmask(i32x4.eq(v128.and(v128.load(b + (j << 4)), hm), kt)) << (j << 2);
}

/**
 * Bit j set when slot j of bucket `b` has tag `kt` (slotTag; `hm` the tag bits in each lane): the first eight
 * compared at once, the last seven only when none of those is equal (slots fill from the first: with 6
 * records a bucket 5% sit in the last seven). Enough for the burst's guess, which the key compare
 * checks; lookup compares all (tagMatchesAll).
 */
@inline function tagMatches(b: u32, kt: u32, hm: v128): u32 {
  const t = i32x4.splat(kt);
  const m = tagQuad(b, 0, t, hm) | tagQuad(b, 1, t, hm);
  if (m != 0) return m;
  return (tagQuad(b, 2, t, hm) | tagQuad(b, 3, t, hm)) & 0x7fff; // (slot 15 is BKT_OVF)
}

/** Every slot of bucket `b` whose tag is `kt` (all BKT_SLOTS). */
@inline function tagMatchesAll(b: u32, kt: u32, lim: u32): u32 {
  const t = i32x4.splat(kt);
  const hm = i32x4.splat(~(lim - 1));
  return (tagQuad(b, 0, t, hm) | tagQuad(b, 1, t, hm) | tagQuad(b, 2, t, hm) | tagQuad(b, 3, t, hm)) & 0x7fff;
}

/**
 * The key's full hash: its low bits pick the bucket, all of it is the slot's tag. NH (the UMAC family's
 * hash: a sum of products of word pairs, each word offset by a constant) over (saddr, daddr) and (ports,
 * protocol and iif), the 64-bit sum's halves xor-ed (a product's low bits depend on its factors' low bits
 * only; its high half mixes them all: nhFold). Two independent multiplies, where the hash before chained
 * three: a hash is most of nf_flow_burst_lookup's first loop (perf annotate, flowtable 10k). Over the
 * bench's keys, sequential ports and random keys (1M flows, 2^18 buckets) as many records overflow a bucket
 * and share a tag as before (0.12% and 0.35-0.42%; the hash is not the kernel's either way: its buckets are not seen).
 */
@inline function keyHash(saddr: u32, daddr: u32, ports: u32, proto: u32, iif: u32): u32 {
  return nhFold(nhPair(saddr, daddr) + nhL4(ports, proto, iif));
}

const NH_K0: u32 = 0x9e3779b9;
const NH_K1: u32 = 0x85ebca6b;
const NH_K2: u32 = 0xc2b2ae35;
const NH_K3: u32 = 0x27d4eb2f;
/** The IPv6 addresses' offsets (source, destination), one constant a word. */
const NH_KS6 = i32x4(0x9e3779b9, 0x7f4a7c15, 0x94d049bb, 0xbf58476d);
const NH_KD6 = i32x4(0x85ebca6b, 0xc2b2ae35, 0x27d4eb2f, 0x165667b1);

/**
 * NH's product of one pair of words (each offset by its constant). A factor of 0 would make the other word
 * count for nothing (every flow from the one source address whose word is −NH_K0, or to the one destination
 * whose word is −NH_K1, hashed by its ports alone): such a factor is its constant instead. The products are
 * exact (32 × 32 → 64 bits), so no other factor loses the other word.
 */
@inline function nhPair(a: u32, b: u32): u64 {
  const x = a + NH_K0;
  const y = b + NH_K1;
  return <u64>select<u32>(x, NH_K0, x != 0) * <u64>select<u32>(y, NH_K1, y != 0);
}

/** NH's product of the ports' word and the protocol with the input device. */
@inline function nhL4(ports: u32, proto: u32, iif: u32): u64 {
  return <u64>(ports + NH_K2) * <u64>(((proto << 24) ^ iif) + NH_K3);
}

/**
 * The 64-bit NH sum to the 32-bit hash: its halves xor-ed, then the high bits into the low ones (without
 * that shift, at 1M flows the bench's IPv6 keys, which differ in one word, overflowed 0.37% of the records
 * into the buckets' lists, random keys 0.12%; with it 0.12% for the bench's keys of both families, random
 * ones and sequential ports, simulated).
 */
@inline function nhFold(m: u64): u32 {
  const h = <u32>(m >> 32) ^ <u32>m;
  return h ^ (h >> 15);
}

/** keyHash for IPv6 addresses (`sa`, `da`: their four words each): NH over the four pairs of words (SIMD: two extending multiplies). */
@inline function keyHashV6(sa: v128, da: v128, ports: u32, proto: u32, iif: u32): u32 {
  const z = i32x4.splat(0);
  // a lane of 0 is its constant instead, as nhPair's factors
  let a = i32x4.add(sa, NH_KS6);
  let b = i32x4.add(da, NH_KD6);
  a = v128.bitselect(NH_KS6, a, i32x4.eq(a, z));
  b = v128.bitselect(NH_KD6, b, i32x4.eq(b, z));
  const s = i64x2.add(i64x2.extmul_low_i32x4_u(a, b), i64x2.extmul_high_i32x4_u(a, b));
  return nhFold(i64x2.extract_lane(s, 0) + i64x2.extract_lane(s, 1) + nhL4(ports, proto, iif));
}

/** An IPv6 address (16 bytes at `a`) folded to 32 bits (the next hops' hash). */
@inline function addrFold6(a: u32): u32 {
  const v = v128.load(a);
  return ((i32x4.extract_lane(v, 0) ^ i32x4.extract_lane(v, 2)) * 0x9e3779b1) ^ i32x4.extract_lane(v, 1) ^ i32x4.extract_lane(v, 3);
}

@inline function keyHash6(saddr: u32, daddr: u32, ports: u32, proto: u32, iif: u32): u32 {
  return keyHashV6(v128.load(saddr), v128.load(daddr), ports, proto, iif);
}

/** The bucket of hash `h` in `table`. */
@inline function bucketOf(r: u32, table: u32, h: u32): u32 {
  return table + (h & (load<u32>(r + FTR_BUCKETS) - 1)) * BKT_SIZE;
}

/** 16 bytes from `src` to `dst` as two u64 moves (V8 compiles memory.copy to a call out of wasm: the two per NAT hit cost ~6 ns, measured). */
@inline function copy16(dst: u32, src: u32): void {
  const a = load<u64>(src);
  const b = load<u64>(src, 8);
  store<u64>(dst, a);
  store<u64>(dst, b, 8);
}

@inline function eq16(a: u32, b: u32): bool {
  return load<u64>(a) == load<u64>(b) && load<u64>(a, 8) == load<u64>(b, 8);
}

@inline function isV6(f: u32): bool {
  return <u32>load<u8>(f + FLOW_L3) == AF_INET6;
}

/** The key hash of direction record `d` (its bucket: bucketOf in its family's table, dirTable). */
function dirHash(d: u32): u32 {
  const ports = load<u32>(d + FD_SPORT);
  const proto = <u32>load<u8>(d + FD_PROTO);
  const iif = load<u32>(d + FD_IIF);
  if (isV6(flowOf(d))) return keyHash6(d + FD6_SADDR, d + FD6_DADDR, ports, proto, iif);
  return keyHash(load<u32>(d + FD_SADDR), load<u32>(d + FD_DADDR), ports, proto, iif);
}

@inline function dirTable(r: u32, d: u32): u32 {
  return load<u32>(r + (isV6(flowOf(d)) ? FTR_TABLE6 : FTR_TABLE));
}

@inline function dirHot(r: u32, d: u32): u32 {
  return load<u32>(r + (isV6(flowOf(d)) ? FTR_HOT6 : FTR_HOT));
}

/** `*a = v` seen whole by every thread, after the stores before it (a slot published over a filled record). */
@inline function atomicStore32(a: u32, v: u32): void {
  if (ASC_FEATURE_THREADS) atomic.store<u32>(a, v);
  else store<u32>(a, v);
}

/** Direction record `d` into its bucket: a free slot (one whole store), else the bucket's overflow list. */
function hashInsert(r: u32, d: u32): void {
  const h = dirHash(d);
  const b = bucketOf(r, dirTable(r, d), h);
  const v = slotOf(h, load<u32>(r + FTR_IDXB), dirHot(r, d), hotOf(r, d), hotShift(<u32>isV6(flowOf(d))));
  for (let i: u32 = 0; i < BKT_SLOTS; i++) {
    if (load<u32>(b + (i << 2)) == 0) {
      atomicStore32(b + (i << 2), v);
      return;
    }
  }
  store<u32>(d + FD_NEXT, load<u32>(b + BKT_OVF));
  store<u32>(b + BKT_OVF, d);
}

/** The IPv6 hot record matching the packet's addresses (16 bytes at `saddr`, `daddr`), 0 when none. */
@inline function lookup6(r: u32, saddr: u32, daddr: u32, ports: u32, proto: u32, iif: u32): u32 {
  const t6 = load<u32>(r + FTR_TABLE6);
  if (t6 == 0) return 0;
  const k = keyHash6(saddr, daddr, ports, proto, iif);
  const b = bucketOf(r, t6, k);
  const idxb = load<u32>(r + FTR_IDXB);
  const hot = load<u32>(r + FTR_HOT6);
  let m = tagMatchesAll(b, slotTag(k, idxb), <u32>1 << idxb);
  while (m != 0) {
    const h = slotRec(load<u32>(b + (ctz(m) << 2)), idxb, hot, HOT6_SHIFT);
    if (eq16(h, saddr) && eq16(h + H6_DADDR, daddr) && load<u32>(h + H6_PORTS) == ports &&
      <u32>load<u8>(h + H6_PROTO) == proto && load<u32>(h + H6_IIF) == iif) return h;
    m &= m - 1;
  }
  // the overflow list links direction records
  let h = load<u32>(b + BKT_OVF);
  while (h != 0) {
    if (eq16(h + FD6_SADDR, saddr) && eq16(h + FD6_DADDR, daddr) && load<u32>(h + FD_SPORT) == ports &&
      <u32>load<u8>(h + FD_PROTO) == proto && load<u32>(h + FD_IIF) == iif) return hot6Of(r, h);
    h = load<u32>(h + FD_NEXT);
  }
  return 0;
}

/** How many pool slots ever held a flow: the IPv4 pool's (FTR_HWM), then the IPv6 pool's (FTR_HWM6). */
@inline function flowSlots(r: u32): u32 {
  return load<u32>(r + FTR_HWM) + load<u32>(r + FTR_HWM6);
}

/** Slot `i` < flowSlots(r): the IPv4 pool's, then the IPv6 pool's. */
@inline function flowSlot(r: u32, i: u32): u32 {
  const n4 = load<u32>(r + FTR_HWM);
  return i < n4 ? load<u32>(r + FTR_POOL) + i * FLOW_SIZE : load<u32>(r + FTR_POOL6) + (i - n4) * FLOW6_SIZE;
}

/** The hot record matching the packet (hotOf its direction record), 0 when none. */
@inline function lookup(r: u32, saddr: u32, daddr: u32, ports: u32, proto: u32, iif: u32): u32 {
  const k = keyHash(saddr, daddr, ports, proto, iif);
  const b = bucketOf(r, load<u32>(r + FTR_TABLE), k);
  const idxb = load<u32>(r + FTR_IDXB);
  const hot = load<u32>(r + FTR_HOT); // (FTR_HOTR's records follow: one array for the slots' indexes)
  let m = tagMatchesAll(b, slotTag(k, idxb), <u32>1 << idxb);
  while (m != 0) {
    const h = slotRec(load<u32>(b + (ctz(m) << 2)), idxb, hot, HOT4_SHIFT);
    if (load<u32>(h) == saddr && load<u32>(h, 4) == daddr && load<u32>(h, 8) == ports &&
      <u32>load<u8>(h + H4_PROTO) == proto && load<u32>(h, 12) == iif) return h;
    m &= m - 1;
  }
  // the overflow list links direction records
  let h = load<u32>(b + BKT_OVF);
  while (h != 0) {
    if (load<u32>(h + FD_SADDR) == saddr && load<u32>(h + FD_DADDR) == daddr && load<u32>(h + FD_SPORT) == ports &&
      <u32>load<u8>(h + FD_PROTO) == proto && load<u32>(h + FD_IIF) == iif) return hot4Of(r, h);
    h = load<u32>(h + FD_NEXT);
  }
  return 0;
}

function hashRemove(r: u32, d: u32): void {
  const k = dirHash(d);
  const b = bucketOf(r, dirTable(r, d), k);
  const v = slotOf(k, load<u32>(r + FTR_IDXB), dirHot(r, d), hotOf(r, d), hotShift(<u32>isV6(flowOf(d))));
  for (let i: u32 = 0; i < BKT_SLOTS; i++) {
    if (load<u32>(b + (i << 2)) == v) {
      atomicStore32(b + (i << 2), 0);
      return;
    }
  }
  let p = b + BKT_OVF;
  let h = load<u32>(p);
  while (h != 0) {
    if (h == d) {
      store<u32>(p, load<u32>(d + FD_NEXT));
      return;
    }
    p = h + FD_NEXT;
    h = load<u32>(p);
  }
}

// ---- Adding a flow ----

@inline function FL(): u32 {
  return netScratch() + SCR_NF + 656;
}
@inline function FR(): u32 {
  return netScratch() + SCR_NF + 720;
}

/**
 * One direction of flow `f` (record `d`): the packet of ct tuple `t` arriving on `iif`, leaving as the
 * inverse of tuple `o` (the other direction's), routed by the FIB now. false when there is no unicast
 * route out of an up device.
 */
function fillDir(d: u32, t: u32, o: u32, iif: u32): bool {
  store<u32>(d + FD_SADDR, load<u32>(t + CTT_SRC));
  store<u32>(d + FD_DADDR, load<u32>(t + CTT_DST));
  store<u16>(d + FD_SPORT, load<u16>(t + CTT_SPORT));
  store<u16>(d + FD_DPORT, load<u16>(t + CTT_DPORT));
  store<u32>(d + FD_IIF, iif);
  store<u8>(d + FD_PROTO, load<u8>(t + 36));
  // leaving as the inverse of the other direction's tuple
  const nsrc = load<u32>(o + CTT_DST);
  const ndst = load<u32>(o + CTT_SRC);
  store<u32>(d + FD_NEW_SADDR, nsrc);
  store<u32>(d + FD_NEW_DADDR, ndst);
  store<u16>(d + FD_NEW_SPORT, load<u16>(o + CTT_DPORT));
  store<u16>(d + FD_NEW_DPORT, load<u16>(o + CTT_SPORT));
  let nat: u32 = 0;
  if (nsrc != load<u32>(d + FD_SADDR) || load<u16>(d + FD_NEW_SPORT) != load<u16>(d + FD_SPORT)) nat |= FDF_SNAT;
  if (ndst != load<u32>(d + FD_DADDR) || load<u16>(d + FD_NEW_DPORT) != load<u16>(d + FD_DPORT)) nat |= FDF_DNAT;
  store<u8>(d + FD_NAT, <u8>nat);
  const fl = FL();
  memory.fill(fl, 0, FL_SIZE);
  store<u32>(fl + FL_DST, ndst);
  store<u32>(fl + FL_SRC, load<u32>(d + FD_SADDR));
  store<u32>(fl + FL_IIF, iif);
  store<u8>(fl + FL_FAMILY, <u8>AF_INET);
  store<u8>(fl + FL_SCOPE, <u8>RT_SCOPE_UNIVERSE);
  const res = FR();
  if (fib4_lookup(fl, res) != 0 || <u32>load<u8>(res, FR_TYPE) != RTN_UNICAST) return false;
  const gwf = <u32>load<u8>(res, FR_GW_FAMILY);
  if (gwf != 0 && gwf != AF_INET) return false;
  const oif = load<u32>(res, FR_OIF);
  const ond = netdevGet(oif);
  if (ond == 0 || (load<u32>(ond, ND_FLAGS) & IFF_UP) == 0) return false;
  store<u32>(d + FD_OIF, oif);
  store<u32>(d + FD_MTU, routeMtu4(res, ond));
  store<u32>(d + FD_NH, gwf == AF_INET ? load<u32>(res, FR_GW) : ndst);
  store<u32>(d + FD_NEIGH, 0);
  // the translation's checksum changes, folded once here (see natCsum)
  let ip: u64 = 0;
  let l4: u64 = 0;
  if ((nat & FDF_SNAT) != 0) {
    ip += (0xffffffff - <u64>load<u32>(d + FD_SADDR)) + <u64>nsrc; // ~old, kept to 32 bits
    l4 += (0xffff - <u64>load<u16>(d + FD_SPORT)) + <u64>load<u16>(d + FD_NEW_SPORT);
  }
  if ((nat & FDF_DNAT) != 0) {
    ip += (0xffffffff - <u64>load<u32>(d + FD_DADDR)) + <u64>ndst;
    l4 += (0xffff - <u64>load<u16>(d + FD_DPORT)) + <u64>load<u16>(d + FD_NEW_DPORT);
  }
  store<u16>(d + FD_CSUM, <u16>fold16(ip + 0xfffe)); // and TTL − 1: the sum less htons(0x0100) (~0x0001)
  store<u16>(d + FD_CSUM + 2, <u16>fold16(ip + l4));
  return true;
}

/** The ones' complement change of replacing the 16 bytes at `old` by those at `nw` (~old + new per word). */
@inline function csumDiff16(old: u32, nw: u32): u64 {
  let s: u64 = 0;
  for (let i: u32 = 0; i < 16; i += 4) s += (0xffffffff - <u64>load<u32>(old + i)) + <u64>load<u32>(nw + i);
  return s;
}

/**
 * fillDir for an IPv6 connection (the flow's direction record `d`, its addresses at d + FD6_*): routed by
 * fib6_lookup; the MTU is the route's IPv6 one (ip6_dst_mtu_maybe_forward); the checksum change is the
 * L4 one only (FD_CSUM + 2: IPv6 has no header checksum, the hop limit is in none).
 */
function fillDir6(d: u32, t: u32, o: u32, iif: u32): bool {
  memory.copy(d + FD6_SADDR, t + CTT_SRC, 16);
  memory.copy(d + FD6_DADDR, t + CTT_DST, 16);
  store<u16>(d + FD_SPORT, load<u16>(t + CTT_SPORT));
  store<u16>(d + FD_DPORT, load<u16>(t + CTT_DPORT));
  store<u32>(d + FD_IIF, iif);
  store<u8>(d + FD_PROTO, load<u8>(t + 36));
  memory.copy(d + FD6_NEW_SADDR, o + CTT_DST, 16);
  memory.copy(d + FD6_NEW_DADDR, o + CTT_SRC, 16);
  store<u16>(d + FD_NEW_SPORT, load<u16>(o + CTT_DPORT));
  store<u16>(d + FD_NEW_DPORT, load<u16>(o + CTT_SPORT));
  let nat: u32 = 0;
  if (!eq16(d + FD6_NEW_SADDR, d + FD6_SADDR) || load<u16>(d + FD_NEW_SPORT) != load<u16>(d + FD_SPORT)) nat |= FDF_SNAT;
  if (!eq16(d + FD6_NEW_DADDR, d + FD6_DADDR) || load<u16>(d + FD_NEW_DPORT) != load<u16>(d + FD_DPORT)) nat |= FDF_DNAT;
  store<u8>(d + FD_NAT, <u8>nat);
  const fl = FL();
  memory.fill(fl, 0, FL_SIZE);
  memory.copy(fl + FL_DST, d + FD6_NEW_DADDR, 16);
  memory.copy(fl + FL_SRC, d + FD6_SADDR, 16);
  store<u32>(fl + FL_IIF, iif);
  store<u8>(fl + FL_FAMILY, <u8>AF_INET6);
  store<u8>(fl + FL_SCOPE, <u8>RT_SCOPE_UNIVERSE);
  const res = FR();
  if (fib6_lookup(fl, res, false, false) != 0 || <u32>load<u8>(res, FR_TYPE) != RTN_UNICAST) return false;
  const gwf = <u32>load<u8>(res, FR_GW_FAMILY);
  if (gwf != 0 && gwf != AF_INET6) return false;
  const oif = load<u32>(res, FR_OIF);
  const ond = netdevGet(oif);
  if (ond == 0 || (load<u32>(ond, ND_FLAGS) & IFF_UP) == 0) return false;
  store<u32>(d + FD_OIF, oif);
  store<u32>(d + FD_MTU, routeMtu6(res, ond));
  memory.copy(d + FD6_NH, gwf == AF_INET6 ? res + FR_GW : d + FD6_NEW_DADDR, 16);
  store<u32>(d + FD_NEIGH, 0);
  let l4: u64 = 0;
  if ((nat & FDF_SNAT) != 0) {
    l4 += csumDiff16(d + FD6_SADDR, d + FD6_NEW_SADDR);
    l4 += (0xffff - <u64>load<u16>(d + FD_SPORT)) + <u64>load<u16>(d + FD_NEW_SPORT);
  }
  if ((nat & FDF_DNAT) != 0) {
    l4 += csumDiff16(d + FD6_DADDR, d + FD6_NEW_DADDR);
    l4 += (0xffff - <u64>load<u16>(d + FD_DPORT)) + <u64>load<u16>(d + FD_NEW_DPORT);
  }
  store<u16>(d + FD_CSUM, 0);
  store<u16>(d + FD_CSUM + 2, <u16>fold16(l4));
  return true;
}

/**
 * The IPv6 pool and table, made at the first IPv6 offload (FTR_MAX flows of FLOW6_SIZE; slots are handed
 * out from FTR_HWM6 up, then from the free list). false when there is no memory for them.
 */
function ensure6(r: u32): bool {
  if (load<u32>(r + FTR_TABLE6) != 0) return true;
  if (load<u32>(r + FTR_POOL6) == 0) {
    const pool = arena_alloc(load<u32>(r + FTR_MAX) * FLOW6_SIZE, FLOW6_SIZE); // zeroed
    if (pool == 0) return false;
    store<u32>(r + FTR_POOL6, pool); // kept when the table fails: the next offload asks for the table only
  }
  if (load<u32>(r + FTR_HOT6) == 0) {
    const hot = arena_alloc(load<u32>(r + FTR_MAX) * 2 * HOT6_SIZE, HOT6_SIZE); // zeroed
    if (hot == 0) return false;
    store<u32>(r + FTR_HOT6, hot);
  }
  // the next hops: as IPv4's (nf_flowtable_init), a head per two flows
  if (load<u32>(r + FTR_NH6) == 0) {
    const nh = arena_alloc(load<u32>(r + FTR_MAX) * 2 * NH6_SIZE, 64);
    if (nh == 0) return false;
    store<u32>(r + FTR_NH6, nh);
  }
  if (load<u32>(r + FTR_NH6_TABLE) == 0) {
    const nht = arena_alloc((load<u32>(r + FTR_NH_MASK) + 1) << 2, 64); // zeroed
    if (nht == 0) return false;
    store<u32>(r + FTR_NH6_TABLE, nht);
  }
  const table = arena_alloc(load<u32>(r + FTR_BUCKETS) * BKT_SIZE, 64); // zeroed
  if (table == 0) return false;
  store<u32>(r + FTR_TABLE6, table); // last: the fast path looks at IPv6 frames once it is set
  return true;
}

/** A free IPv6 flow (not taken yet), 0 when the pool is full. */
function free6(r: u32): u32 {
  const f = load<u32>(r + FTR_FREE6);
  if (f != 0) return f;
  const hwm = load<u32>(r + FTR_HWM6);
  return hwm < load<u32>(r + FTR_MAX) ? load<u32>(r + FTR_POOL6) + hwm * FLOW6_SIZE : 0;
}

/** A ones' complement sum folded to 16 bits (0 and 0xffff are the same number). */
@inline function fold16(s: u64): u32 {
  s = (s & 0xffffffff) + (s >> 32);
  s = (s & 0xffffffff) + (s >> 32);
  let x = <u32>s;
  x = (x & 0xffff) + (x >> 16);
  x = (x & 0xffff) + (x >> 16);
  return x;
}

/**
 * flow_offload_add: connection `ct` into flowtable `ft`; `iif` / `oif` the devices of the packet of
 * direction `dir` that asked (the other direction comes in where this one leaves). 0, or -errno:
 * -22 (not offloadable: not IPv4 or IPv6, not confirmed), -17 (offloaded already), -28 (no room), -101 (no route).
 */
export function flow_offload_add(ft: u32, ct: u32, dir: u32, iif: u32, oif: u32): i32 {
  const r = ftRoot();
  if (r == 0 || ft >= FT_MAX || (load<u32>(r + FTR_USED) & (1 << ft)) == 0) return -22;
  const family = <u32>load<u8>(ct + CT_TUPLE_ORIG + CTT_FAMILY);
  if (family != AF_INET && family != AF_INET6) return -22;
  const st = load<u32>(ct + CT_STATUS);
  if ((st & IPS_CONFIRMED) == 0 || (st & IPS_DYING) != 0) return -22;
  // (a deleted flow that still holds the entry, CT_FLOW's bit 0, does not keep it from a new one)
  const cf = load<u32>(ct + CT_FLOW_OFF);
  if ((st & IPS_OFFLOAD) != 0 || (cf != 0 && (cf & 1) == 0)) return -17;
  const v6 = family == AF_INET6;
  if (v6 && !ensure6(r)) return -28;
  const f = v6 ? free6(r) : load<u32>(r + FTR_FREE);
  if (f == 0) return -28;
  const orig = ct + CT_TUPLE_ORIG;
  const rep = ct + CT_TUPLE_REPLY;
  // the directions' input devices: the asking packet's, and for the other its output device
  const iif0 = dir == 0 ? iif : oif;
  const iif1 = dir == 0 ? oif : iif;
  if (v6) {
    if (!fillDir6(f, orig, rep, iif0) || !fillDir6(f + FD_SIZE, rep, orig, iif1)) return -101;
  } else {
    if (!fillDir(f, orig, rep, iif0) || !fillDir(f + FD_SIZE, rep, orig, iif1)) return -101;
  }
  // the directions' next hops, as of the FIB now
  const gen = fibGen();
  nhs[0] = nhGet(r, f, gen, v6);
  nhs[1] = nhs[0] != 0 ? nhGet(r, f + FD_SIZE, gen, v6) : 0;
  if (nhs[1] == 0) {
    if (nhs[0] != 0) nhPut(r, nhs[0], v6);
    return -28;
  }
  if (v6) {
    if (f == load<u32>(r + FTR_FREE6)) store<u32>(r + FTR_FREE6, load<u32>(f + FLOW_FREE));
    const slot = (f - load<u32>(r + FTR_POOL6)) / FLOW6_SIZE + 1;
    if (slot > load<u32>(r + FTR_HWM6)) store<u32>(r + FTR_HWM6, slot);
  } else {
    store<u32>(r + FTR_FREE, load<u32>(f + FLOW_FREE));
    const slot = (f - load<u32>(r + FTR_POOL)) / FLOW_SIZE + 1;
    if (slot > load<u32>(r + FTR_HWM)) store<u32>(r + FTR_HWM, slot);
  }
  store<u8>(f + FLOW_L3, <u8>family);
  store<u32>(r + FTR_COUNT, load<u32>(r + FTR_COUNT) + 1);
  store<u32>(f + FLOW_HELD, 0);
  flowAcct(f, ct, <u32>load<u8>(r + FTR_FLAGS + ft));
  store<u32>(f + FLOW_CT, ct);
  store<u32>(f + FLOW_FT, ft);
  // flow_offload_alloc: NF_FLOW_SNAT / _DNAT from the connection's NAT (the ORIGINAL direction's translation)
  const nat0 = <u32>load<u8>(f + FD_NAT);
  store<u64>(f + FLOW_FLAGS, <u64>(((nat0 & FDF_SNAT) != 0 ? FLOWF_SNAT : 0) | ((nat0 & FDF_DNAT) != 0 ? FLOWF_DNAT : 0)));
  store<u32>(f + FLOW_GEN, fibGen());
  const timeout = netNow() + flowTimeout(f);
  for (let d: u32 = 0; d < 2; d++) {
    const rec = f + d * FD_SIZE;
    store<u8>(rec + FD_BITS, <u8>(d | (FLOW_OFFLOAD_XMIT_NEIGH << 2)));
    // the ingress hook runs on the flowtable's devices only
    store<u8>(rec + FD_TEARDOWN, ftHasDev(r, ft, load<u32>(rec + FD_IIF)) ? 0 : FDT_NOHOOK);
    store<u32>(rec + FD_GEN, fibGen());
    store<u64>(rec + FD_TIMEOUT, timeout);
    if (v6) hot6Fill(hot6Of(r, rec), rec, nhs[d], timeout);
    else hot4Fill(hot4Of(r, rec), rec, nhs[d], timeout);
    hashInsert(r, rec);
  }
  store<u32>(ct + CT_FLOW_OFF, f);
  store<u32>(ct + CT_STATUS, st | IPS_OFFLOAD);
  offloadTimeout(ct);
  return 0;
}

/** flow_offload_add's two directions' next hops. */
const nhs = new StaticArray<u32>(2);

/**
 * IPv4 hot record `h` of direction record `d` (filled: fillDir, FD_TEARDOWN, FD_NAT), whose next hop is
 * `nh`, its timeout `timeout` (ms).
 */
function hot4Fill(h: u32, d: u32, nh: u32, timeout: u64): void {
  v128.store(h, v128.load(d + FD_SADDR)); // saddr, daddr, ports, iif: FD_SADDR..FD_IIF in the key's order
  store<u8>(h + H4_PROTO, load<u8>(d + FD_PROTO));
  store<u8>(h + H4_FLAGS, <u8>hotFlagsOf(d));
  // the one side translated: its port and the checksums' changes (the address: the next hop's; both:
  // the direction record's FD_NEW_* and FD_CSUM at each hit)
  const one = natSide(d);
  store<u16>(h + H4_NAT_PORT, one == FDF_SNAT ? load<u16>(d + FD_NEW_SPORT) : one == FDF_DNAT ? load<u16>(d + FD_NEW_DPORT) : 0);
  store<u32>(h + H4_CSUM, one != 0 ? load<u32>(d + FD_CSUM) : 0);
  store<u32>(h + H4_TIMEOUT, <u32>timeout);
  store<u32>(h + H4_NH, nh);
}

/** A hot record's flags byte for direction record `d` (filled: FD_NAT, FD_TEARDOWN). */
function hotFlagsOf(d: u32): u32 {
  const td = <u32>load<u8>(d + FD_TEARDOWN);
  return <u32>load<u8>(d + FD_NAT) | (td == FDT_TEARDOWN ? H4F_TEARDOWN : 0) | (td == FDT_NOHOOK ? H4F_NOHOOK : 0);
}

/**
 * IPv6 hot record `h` of direction record `d` (filled: fillDir6, FD_TEARDOWN, FD_NAT), whose next hop is
 * `nh` (with the translated address of a direction translating one side), its timeout `timeout` (ms).
 */
function hot6Fill(h: u32, d: u32, nh: u32, timeout: u64): void {
  copy16(h, d + FD6_SADDR);
  copy16(h + H6_DADDR, d + FD6_DADDR);
  store<u32>(h + H6_PORTS, load<u32>(d + FD_SPORT));
  store<u32>(h + H6_IIF, load<u32>(d + FD_IIF));
  store<u8>(h + H6_PROTO, load<u8>(d + FD_PROTO));
  store<u8>(h + H6_FLAGS, <u8>hotFlagsOf(d));
  const side = natSide(d);
  store<u16>(h + H6_NAT_PORT, side == FDF_SNAT ? load<u16>(d + FD_NEW_SPORT) : side == FDF_DNAT ? load<u16>(d + FD_NEW_DPORT) : 0);
  store<u16>(h + H6_CSUM, side != 0 ? load<u16>(d + FD_CSUM + 2) : 0);
  store<u32>(h + H6_TIMEOUT, <u32>timeout);
  store<u32>(h + H6_NH, nh);
}

@inline function nhHash(addr: u32, oif: u32, mtu: u32, gen: u32): u32 {
  let h = (addr * 0x9e3779b1) ^ oif;
  h = (h ^ (h >> 15)) * 0x85ebca6b ^ mtu;
  h = (h ^ (h >> 13)) * 0xc2b2ae35 ^ gen;
  return h ^ (h >> 16);
}

/**
 * The key of direction record `d`'s next hop (fillDir's FD_NH, fillDir6's FD6_NH; IPv6's with the one
 * side it translates) folded for nhHash's first word.
 */
function nhAddrKey(d: u32, v6: bool): u32 {
  if (!v6) return load<u32>(d + FD_NH) ^ (natAddr4(d) * 0x85ebca6b);
  const side = natSide(d);
  return addrFold6(d + FD6_NH) ^ ((side != 0 ? addrFold6(d + natSideAddr(side)) : 0) * 0x85ebca6b) ^ side;
}

/** The one side direction record `d` translates (FDF_SNAT, FDF_DNAT), 0 for none or both. */
@inline function natSide(d: u32): u32 {
  const nat = <u32>load<u8>(d + FD_NAT) & (FDF_SNAT | FDF_DNAT);
  return nat == (FDF_SNAT | FDF_DNAT) ? 0 : nat;
}

/** The address IPv4 direction record `d` translates its one side to (natSide), 0 when none or both. */
@inline function natAddr4(d: u32): u32 {
  const side = natSide(d);
  return side == FDF_SNAT ? load<u32>(d + FD_NEW_SADDR) : side == FDF_DNAT ? load<u32>(d + FD_NEW_DADDR) : 0;
}

/** Where an IPv6 direction record holds the address that side `side` (FDF_SNAT, FDF_DNAT) translates to. */
@inline function natSideAddr(side: u32): u32 {
  return side == FDF_SNAT ? FD6_NEW_SADDR : FD6_NEW_DADDR;
}

/** Whether next hop `n` is direction record `d`'s (FD_OIF, FD_MTU as of FIB generation `gen`; the address, IPv6's translation). */
function nhIs(n: u32, d: u32, gen: u32, v6: bool): bool {
  if (load<u32>(n + NH_OIF) != load<u32>(d + FD_OIF) || load<u32>(n + NH_MTU) != load<u32>(d + FD_MTU) || load<u32>(n + NH_GEN) != gen) return false;
  if (!v6) return load<u32>(n + NH_ADDR) == load<u32>(d + FD_NH) && load<u32>(n + NH_NAT_ADDR) == natAddr4(d);
  const side = natSide(d);
  if (!eq16(n + NH_ADDR, d + FD6_NH) || <u32>load<u8>(n + NH6_NAT) != side) return false;
  return side == 0 || eq16(n + NH6_NAT_ADDR, d + natSideAddr(side));
}

/** nhIs's key of direction record `d` into next hop `n`. */
function nhFill(n: u32, d: u32, gen: u32, v6: bool): void {
  store<u32>(n + NH_OIF, load<u32>(d + FD_OIF));
  store<u32>(n + NH_MTU, load<u32>(d + FD_MTU));
  store<u32>(n + NH_GEN, gen);
  if (!v6) {
    store<u32>(n + NH_ADDR, load<u32>(d + FD_NH));
    store<u32>(n + NH_NAT_ADDR, natAddr4(d));
    return;
  }
  copy16(n + NH_ADDR, d + FD6_NH);
  const side = natSide(d);
  store<u8>(n + NH6_NAT, <u8>side);
  if (side != 0) copy16(n + NH6_NAT_ADDR, d + natSideAddr(side));
  else memory.fill(n + NH6_NAT_ADDR, 0, 16);
}

/** The hash head of next hop key (`addr`: nhAddrKey, `oif`, `mtu`, `gen`) in its family's table. */
@inline function nhHead(r: u32, addr: u32, oif: u32, mtu: u32, gen: u32, v6: bool): u32 {
  return load<u32>(r + FTR_NH_TABLE + (v6 ? NH_FAM : 0)) + ((nhHash(addr, oif, mtu, gen) & load<u32>(r + FTR_NH_MASK)) << 2);
}

/**
 * The next hop of direction record `d` (fillDir's FD_NH, FD_OIF, FD_MTU; fillDir6's, with the side it
 * translates) as of FIB generation `gen`: the one already shared by other directions, else a new one; a
 * reference taken (under the conntrack lock). 0 when the pool is full (it holds two per flow slot: never,
 * while flows hold theirs).
 */
function nhGet(r: u32, d: u32, gen: u32, v6: bool): u32 {
  const fam = v6 ? NH_FAM : 0;
  const head = nhHead(r, nhAddrKey(d, v6), load<u32>(d + FD_OIF), load<u32>(d + FD_MTU), gen, v6);
  for (let n = load<u32>(head); n != 0; n = load<u32>(n + NH_NEXT)) {
    if (nhIs(n, d, gen, v6)) {
      store<u32>(n + NH_REFS, load<u32>(n + NH_REFS) + 1);
      return n;
    }
  }
  let n = load<u32>(r + FTR_NH_FREE + fam);
  if (n != 0) {
    store<u32>(r + FTR_NH_FREE + fam, load<u32>(n + NH_NEXT));
  } else {
    const hwm = load<u32>(r + FTR_NH_HWM + fam);
    if (hwm >= load<u32>(r + FTR_MAX) << 1) return 0;
    n = load<u32>(r + FTR_NH + fam) + hwm * (v6 ? NH6_SIZE : NH_SIZE);
    store<u32>(r + FTR_NH_HWM + fam, hwm + 1);
  }
  nhFill(n, d, gen, v6);
  store<u32>(n + NH_NEIGH, 0);
  store<u32>(n + NH_REFS, 1);
  store<u32>(n + NH_NEXT, load<u32>(head));
  store<u32>(head, n);
  return n;
}

/** The key nhAddrKey gave the direction records next hop `n` serves. */
function nhAddrKeyOf(n: u32, v6: bool): u32 {
  if (!v6) return load<u32>(n + NH_ADDR) ^ (load<u32>(n + NH_NAT_ADDR) * 0x85ebca6b);
  const one = <u32>load<u8>(n + NH6_NAT);
  return addrFold6(n + NH_ADDR) ^ ((one != 0 ? addrFold6(n + NH6_NAT_ADDR) : 0) * 0x85ebca6b) ^ one;
}

/** A reference to next hop `n` dropped (no worker can be reading it through that direction any more); the last frees it. */
function nhPut(r: u32, n: u32, v6: bool): void {
  const refs = load<u32>(n + NH_REFS) - 1;
  store<u32>(n + NH_REFS, refs);
  if (refs != 0) return;
  let p = nhHead(r, nhAddrKeyOf(n, v6), load<u32>(n + NH_OIF), load<u32>(n + NH_MTU), load<u32>(n + NH_GEN), v6);
  while (load<u32>(p) != n) p = load<u32>(p) + NH_NEXT;
  store<u32>(p, load<u32>(n + NH_NEXT));
  const fam = v6 ? NH_FAM : 0;
  store<u32>(n + NH_NEXT, load<u32>(r + FTR_NH_FREE + fam));
  store<u32>(r + FTR_NH_FREE + fam, n);
}

/** The flow timeout in ms of the flow whose direction record is `d` (either direction: the protocol is the same). */
@inline function flowTimeout(d: u32): u64 {
  return <u64>sysctl(<u32>load<u8>(d + FD_PROTO) == IPPROTO_TCP ? SYSCTL_NF_FLOWTABLE_TCP_TIMEOUT : SYSCTL_NF_FLOWTABLE_UDP_TIMEOUT) * 1000;
}

/**
 * Direction record `d`'s timeout (ms), from its hot record: an IPv4 one keeps its low 32 bits, read as
 * the time nearest `now` (the kernel's flow timeout is u32 jiffies, compared by the signed difference).
 */
@inline function dirTimeout(r: u32, d: u32, now: u64): u64 {
  const t = isV6(flowOf(d)) ? load<u32>(hot6Of(r, d) + H6_TIMEOUT) : load<u32>(hot4Of(r, d) + H4_TIMEOUT);
  return now + <u64><i64><i32>(t - <u32>now);
}

/**
 * When the flow expires: its timeout, the later of its two copies (refresh4 writes both; two workers
 * refreshing the flow's directions at once may leave them apart, as the last of the kernel's racing
 * WRITE_ONCEs wins).
 */
@inline function flowExpires(r: u32, f: u32, now: u64): u64 {
  const a = dirTimeout(r, f, now);
  const b = dirTimeout(r, f + FD_SIZE, now);
  return a > b ? a : b;
}

/**
 * nf_flow_state_check for a TCP segment with SYN, FIN or RST (`tf`, its flags byte) hitting flow `f`:
 * a FIN or RST marks the flow closing (NF_FLOW_CLOSING) and goes on through the flowtable; a SYN on a
 * closing flow tears it down, its connection handed back in CLOSE (flow_offload_fixup_ct), and goes to
 * the stack (true) to be tracked as a reopening there. Linux 6.14 on (e622d94ec73f, "netfilter:
 * flowtable: add CLOSING state"); before, a FIN or RST tore the flow down at once (nf fuzz seed 411: the
 * RST of an offloaded connection went to the stack, which closed the entry the kernel keeps ESTABLISHED
 * and offloaded).
 */
function flowStateCheck(f: u32, tf: u32): bool {
  const flags = load<u32>(f + FLOW_FLAGS);
  if ((tf & 0x02) != 0 && (flags & FLOWF_CLOSING) != 0) {
    flowTeardown(f);
    return true;
  }
  if ((tf & 0x05) != 0 && (flags & FLOWF_CLOSING) == 0) {
    const root = ctRoot();
    ctLock(root);
    store<u32>(f + FLOW_FLAGS, load<u32>(f + FLOW_FLAGS) | FLOWF_CLOSING);
    ctUnlock(root);
  }
  return false;
}

/**
 * flow_offload_teardown: the flow torn down (its directions' hits stop at once; the collector deletes
 * it) and its connection handed back to conntrack now (flow_offload_fixup_ct), so that the segment
 * that tore it down — a FIN, which goes on through the stack — meets a connection conntrack tracks
 * again, not one whose window stopped where the offload began. Takes the conntrack lock.
 */
function flowTeardown(f: u32): void {
  if ((load<u32>(f + FLOW_FLAGS) & FLOWF_TEARDOWN) != 0) return;
  const root = ctRoot();
  ctLock(root);
  store<u32>(f + FLOW_FLAGS, load<u32>(f + FLOW_FLAGS) | FLOWF_TEARDOWN);
  store<u8>(f + FD_TEARDOWN, FDT_TEARDOWN);
  store<u8>(f + FD_SIZE + FD_TEARDOWN, FDT_TEARDOWN);
  const r = ftRoot();
  for (let d: u32 = 0; d < 2; d++) {
    const h = hotFlags(hotOf(r, f + d * FD_SIZE), isV6(f));
    store<u8>(h, <u8>(<u32>load<u8>(h) | H4F_TEARDOWN));
  }
  flowFixupCt(f);
  ctUnlock(root);
}

/**
 * flow_offload_fixup_ct (under the conntrack lock): IPS_OFFLOAD cleared; the state's own timeout again
 * (TCP: its state's; UDP: replied or not), only ever lowered; TCP's window tracking restarted
 * (flow_offload_fixup_tcp: td_maxwin 0, MAXACK_SET cleared), as conntrack saw none of the offloaded
 * segments.
 */
function flowFixupCt(f: u32): void {
  const ct = load<u32>(f + FLOW_CT);
  if (ct == 0 || load<u32>(ct + CT_FLOW_OFF) != f) return;
  const s = load<u32>(ct + CT_STATUS);
  store<u32>(ct + CT_STATUS, s & ~IPS_OFFLOAD);
  if ((s & IPS_DYING) != 0) return;
  const tcp = <u32>load<u8>(f + FD_PROTO) == IPPROTO_TCP;
  // a closing flow (a FIN or RST went through it): its connection in CLOSE, with CLOSE's timeout whatever it had
  const closing = tcp && (load<u32>(f + FLOW_FLAGS) & FLOWF_CLOSING) != 0;
  if (closing) store<u8>(ct + CT_L4STATE, <u8>TCP_CONNTRACK_CLOSE);
  const state = <u32>load<u8>(ct + CT_L4STATE);
  let secs: u32;
  if (tcp) {
    secs = state >= TCP_CONNTRACK_SYN_SENT && state <= TCP_CONNTRACK_CLOSE ? sysctl(SYSCTL_NF_CONNTRACK_TCP_TIMEOUT_SYN_SENT + state - TCP_CONNTRACK_SYN_SENT) : 0;
    tcp_offload_fixup(ct);
  } else {
    secs = sysctl((s & IPS_SEEN_REPLY) != 0 ? SYSCTL_NF_CONNTRACK_UDP_TIMEOUT_STREAM : SYSCTL_NF_CONNTRACK_UDP_TIMEOUT);
  }
  const t = netNow() + <u64>secs * 1000;
  if (closing || load<u64>(ct + CT_TIMEOUT) > t) ctSetTimeout(ct, t);
}

/** The flow a direction record belongs to. */
@inline function flowOf(d: u32): u32 {
  return d & ~(FLOW_SIZE - 1);
}

/** nf_ct_offload_timeout: an offloaded connection's entry does not expire under its flow (a day at least). */
@inline function offloadTimeout(ct: u32): void {
  const t = netNow() + NF_CT_DAY;
  if (load<u64>(ct + CT_TIMEOUT) < t) ctSetTimeout(ct, t);
}

/**
 * nft_flow_offload_eval: the packet's connection offloaded into `ft` when it is confirmed (whatever the
 * packet's ctinfo: rules put `ct state established` before it when they mean that), TCP (nf_conntrack_tcp_established: ESTABLISHED and ASSURED; not a FIN or RST — a SYN
 * is no bar) or UDP, confirmed and not offloaded yet; not from an IPv4 packet with options
 * (nft_flow_offload_skip: IPCB(skb)->opt.optlen). A TCP connection it offloads has its window tracking
 * made liberal both ways (flow_offload_ct_tcp: IP_CT_TCP_FLAG_BE_LIBERAL, never cleared: conntrack will
 * not see all its segments). Always NF_ACCEPT: the packet itself goes on through the stack.
 * nf_fuzz_kernel seed 409: a picked-up connection was offloaded at its first reply (ESTABLISHED, not
 * yet ASSURED), and kept its window checks after the offload.
 */
export function nf_flow_offload_eval(st: u32, ft: u32): u32 {
  const ct = load<u32>(st + NFS_CT);
  const ctinfo = <u32>load<u8>(st + NFS_CTINFO);
  if (ct == 0 || ctinfo == IP_CT_NONE) return NF_ACCEPT;
  // the connection's protocol, not the packet's: an ICMP error RELATED to a UDP connection offloads it;
  // one RELATED to a TCP connection is read as its TCP header would be (skb_header_pointer at thoff)
  const proto = <u32>load<u8>(ct + CT_TUPLE_ORIG + CTT_PROTO);
  const thoff = load<u32>(st + NFS_THOFF);
  if (thoff == 0) return NF_ACCEPT;
  const l3 = load<u32>(st + NFS_DATA);
  if ((<u32>load<u8>(l3) >> 4) == 4 && thoff > 20) return NF_ACCEPT; // IPv4 options
  const tcp = proto == IPPROTO_TCP;
  if (tcp) {
    if (thoff + 20 > load<u32>(st + NFS_LEN)) return NF_ACCEPT;
    const fl = <u32>load<u8>(l3 + thoff + 13);
    // FIN RST
    if ((fl & 0x05) != 0 || !nf_conntrack_tcp_established(ct)) return NF_ACCEPT;
  } else if (proto != IPPROTO_UDP) {
    return NF_ACCEPT;
  }
  const root = ctRoot();
  ctLock(root);
  // CTINFO2DIR: no ctinfo test (a confirmed connection's packet before any reply, ctinfo NEW, offloads a UDP one)
  const r = flow_offload_add(ft, ct, ctinfo >= IP_CT_IS_REPLY ? 1 : 0, load<u32>(st + NFS_IIF), load<u32>(st + NFS_OIF));
  if (tcp && r == 0) tcp_offload_liberal(ct);
  ctUnlock(root);
  return NF_ACCEPT;
}

// ---- Removing flows ----

/** flow_offload_del: out of the table (under the conntrack lock). */
function flowDel(r: u32, f: u32): void {
  hashRemove(r, f);
  hashRemove(r, f + FD_SIZE);
  // a flow that expired (not torn down): its connection is handed back now
  if ((load<u32>(f + FLOW_FLAGS) & FLOWF_TEARDOWN) == 0) flowFixupCt(f);
  const ct = load<u32>(f + FLOW_CT);
  // a flow that counted: its hits stop counting, and as a worker may have read where just before, the
  // entry is kept from reuse until the grace period (its CT_FLOW: f | 1; flowReleasePassed lets it go)
  const held = load<u32>(f + FLOW_HELD) != 0;
  store<u32>(f + FD_ACCT, 0);
  store<u32>(f + FD_SIZE + FD_ACCT, 0);
  acctFlag(f, false);
  acctFlag(f + FD_SIZE, false);
  if (ct != 0 && load<u32>(ct + CT_FLOW_OFF) == f) store<u32>(ct + CT_FLOW_OFF, held ? f | 1 : 0);
  else if (held) store<u32>(f + FLOW_HELD, 0); // the entry is another flow's already: nothing to hold
  store<u32>(f + FLOW_CT, 0);
  // not free yet: a worker may still hold one of its direction records (flowRetiredRelease)
  store<u32>(f + FLOW_FREE, load<u32>(r + FTR_RETIRED));
  store<u32>(r + FTR_RETIRED, f);
  store<u32>(r + FTR_COUNT, load<u32>(r + FTR_COUNT) - 1);
}

/** The waiting flows go back on their pools' free lists once their grace period is over. */
function flowReleasePassed(r: u32): void {
  let f = load<u32>(r + FTR_RETIRED_OLD);
  if (f == 0 || !rc_passed(load<u32>(r + FTR_RETIRED_STAMP))) return;
  store<u32>(r + FTR_RETIRED_OLD, 0);
  while (f != 0) {
    const next = load<u32>(f + FLOW_FREE);
    // the connection it held: its own again, or, deleted meanwhile (ctDeleteLocked left it), freed now
    const ct = load<u32>(f + FLOW_HELD);
    if (ct != 0) {
      store<u32>(f + FLOW_HELD, 0);
      if (load<u32>(ct + CT_FLOW_OFF) == (f | 1)) {
        store<u32>(ct + CT_FLOW_OFF, 0);
        if ((load<u32>(ct + CT_STATUS) & IPS_DYING) != 0) ctFreeHeld(ct);
      }
    }
    // the flow's references to its next hops (no worker reads them through it any more)
    const v6 = isV6(f);
    for (let d: u32 = 0; d < 2; d++) {
      const h = hotOf(r, f + d * FD_SIZE) + (v6 ? H6_NH : H4_NH);
      nhPut(r, load<u32>(h), v6);
      store<u32>(h, 0);
    }
    const free = isV6(f) ? FTR_FREE6 : FTR_FREE;
    store<u32>(f + FLOW_FREE, load<u32>(r + free));
    store<u32>(r + free, f);
    f = next;
  }
}

/**
 * The collector's turn (control plane, under the conntrack lock): flows deleted since the last one
 * start waiting for reclaim.ts's open grace period (when none are waiting), which rc_reclaim closes;
 * the waiting ones whose grace period is over are free again. With no worker online that is at once.
 */
function flowRetiredRelease(r: u32): void {
  flowReleasePassed(r);
  if (load<u32>(r + FTR_RETIRED_OLD) == 0 && load<u32>(r + FTR_RETIRED) != 0) {
    store<u32>(r + FTR_RETIRED_OLD, load<u32>(r + FTR_RETIRED));
    store<u32>(r + FTR_RETIRED, 0);
    store<u32>(r + FTR_RETIRED_STAMP, rc_stamp());
  }
  if (load<u32>(r + FTR_RETIRED_OLD) == 0) return;
  rc_reclaim();
  flowReleasePassed(r);
}

/** A conntrack entry with an offloaded flow is going: its flow goes too (under the conntrack lock). */
export function flow_offload_ct_gone(ct: u32): void {
  const r = ftRoot();
  const f = load<u32>(ct + CT_FLOW_OFF);
  if (r == 0 || f == 0 || (f & 1) != 0) return; // (bit 0: a deleted flow's hold)
  flowDel(r, f);
}

/** nf_flow_offload_gc_step over every flow: expired or torn down → deleted; live → its entry kept. Returns deletions. */
export function nf_flow_gc(): u32 {
  const r = ftRoot();
  if (r == 0) return 0;
  const root = ctRoot();
  ctLock(root);
  const now = netNow();
  const max = flowSlots(r); // slots past the pools' high-water marks never held a flow
  let n: u32 = 0;
  for (let i: u32 = 0; i < max; i++) {
    const f = flowSlot(r, i);
    const ct = load<u32>(f + FLOW_CT);
    if (ct == 0) continue;
    if ((load<u32>(f + FLOW_FLAGS) & FLOWF_TEARDOWN) != 0 || <i64>(flowExpires(r, f, now) - now) <= 0 ||
      (load<u32>(ct + CT_STATUS) & IPS_DYING) != 0) {
      flowDel(r, f);
      n++;
    } else {
      offloadTimeout(ct);
    }
  }
  flowRetiredRelease(r);
  ctUnlock(root);
  return n;
}

// ---- The fast path ----

/** Whether any flow is offloaded (the ingress check's gate). */
@inline export function flowtableActive(): bool {
  const r = ftRoot();
  return r != 0 && load<u32>(r + FTR_COUNT) != 0;
}

/** nf_flow_burst_lookup's per-frame key hashes: BURST_MAX × u32 after the records (abi.ts SCR_FLOW +256). */
const FLOW_BURST_TAGS: u32 = 256;

/** The burst's per-frame direction records (nf_flow_burst_lookup): the worker's SCR_FLOW. */
@inline export function flowBurstRecs(): u32 {
  return netScratch() + SCR_FLOW;
}

/**
 * The flowtable's ingress lookup for a burst from ring device `ifindex` (record `nd`): the `n` frames
 * at `b` (u32 data, u32 len each, as stack_rx_burst has them), and for each the hot record of the
 * direction its key's tag names, or 0, at flowBurstRecs() + 4 × i. Returns how many have one. The frames that qualify
 * (nf_flow_tuple_ip: untagged IPv4 to the device's MAC, no options, not a fragment, TTL above 1, TCP or
 * UDP with its header in the datagram; nf_flow_tuple_ipv6: untagged IPv6 to the device's MAC, next
 * header TCP or UDP with its header in the payload, hop limit above 1, the payload length the frame's)
 * are hashed in one loop, their buckets' lines loaded in a second, the slot whose tag is the frame's
 * picked in a third (no slot with the tag: none, or the bucket's overflow list, burstCold), that hot
 * record's lines loaded in a fourth; nf_flow_forward compares the key (a tag that is another key's: the
 * whole bucket, burstCold). A frame whose key is the last one hashed (a flow's train: the frames of one
 * connection back to back) takes that frame's guess in the third loop, without a hash or a bucket of its
 * own (SAME_KEY; at one flow 2-3 ns a frame less, measured). The loading loops are a few instructions per frame
 * with independent loads, so in a large table the CPU keeps the whole burst's cache misses in flight
 * (wasm has no prefetch instruction; the third and fourth loops merged were 1.18× slower at 100k flows,
 * measured), a hit costs its bucket's line and its hot record's (no chain of records), and the hot
 * records are in cache when nf_flow_forward takes the frames in order. What the slots of
 * flowBurstRecs() hold are the guessed hot records (hotOf; bit 0: IPv6) for nf_flow_forward, and what
 * this returns is how many frames have one. Nothing is written but the slots of SCR_FLOW (records, then
 * the hashes at +256).
 */
export function nf_flow_burst_lookup(ifindex: u32, nd: u32, b: u32, n: u32): u32 {
  const r = ftRoot();
  // what every hit of the burst reads alike (nf_flow_forward): the clock, the FIB generation, the
  // timeouts; the hits' counts start at 0 (nf_flow_burst_done)
  bNow = netNow();
  bGen = fibGen();
  bIif = ifindex;
  bTcpTimeout = <u64>sysctl(SYSCTL_NF_FLOWTABLE_TCP_TIMEOUT) * 1000;
  bUdpTimeout = <u64>sysctl(SYSCTL_NF_FLOWTABLE_UDP_TIMEOUT) * 1000;
  bOif = 0;
  bOnd = 0;
  bNh = 0;
  const out = flowBurstRecs();
  const tags = out + FLOW_BURST_TAGS;
  const table = load<u32>(r + FTR_TABLE);
  const mask = load<u32>(r + FTR_BUCKETS) - 1;
  const table6 = load<u32>(r + FTR_TABLE6);
  const idxb = load<u32>(r + FTR_IDXB);
  const hm = i32x4.splat(~((<u32>1 << idxb) - 1)); // the slots' tag bits
  const hot4 = load<u32>(r + FTR_HOT);
  const hot6 = load<u32>(r + FTR_HOT6);
  const mac = load<u64>(nd, ND_MAC) & 0xffffffffffff;
  let cand: u32 = 0;
  // the last IPv4 key hashed (saddr, daddr, ports, the protocol in the last lane) and its frame (the
  // input device is the burst's); none yet: protocol 0, which no frame that qualifies has
  let lastKey = i32x4.splat(0);
  let lastAt: u32 = 0;
  // and IPv6's (the ports and the protocol in one: the protocol in the last lane)
  let lastSa6 = i32x4.splat(0);
  let lastDa6 = i32x4.splat(0);
  let lastL4 = i32x4.splat(0);
  let lastAt6: u32 = 0;
  // 1: which frames qualify, their keys' hashes (the tags) and buckets (bit 0: IPv6); an IPv4 frame of
  // the same key as the last one hashed (a flow's train) takes that frame's record (SAME_KEY)
  for (let i: u32 = 0; i < n; i++) {
    const data = load<u32>(b + (i << 3));
    const len = load<u32>(b + (i << 3), 4);
    const ip = data + ETH_HLEN;
    const type = load<u16>(data, 12);
    // nf_flow_tuple_ip's tests as compares and-ed without a branch each (the frame's first 64 bytes are
    // in its buffer whatever its length): to the device's MAC, IPv4 without options (version and IHL
    // 0x45), not a fragment (MF, offset), TTL above 1, UDP or TCP with its header in the datagram, the
    // datagram in the frame
    let h: u32 = 0;
    if (type == 0x0008) {
      const l3 = load<u32>(ip, IPH_TTL); // TTL, protocol, header checksum
      const proto = (l3 >> 8) & 0xff;
      const tot = ldBe16(ip + IPH_TOT_LEN);
      const ok4 = <u32>(load<u8>(ip) == 0x45) & <u32>((load<u64>(data) & 0xffffffffffff) == mac) &
        <u32>((load<u16>(ip, IPH_FRAG_OFF) & 0xff3f) == 0) & <u32>((l3 & 0xff) > 1) & <u32>(len >= ETH_HLEN + 28) &
        (<u32>(proto == IPPROTO_UDP) | (<u32>(proto == IPPROTO_TCP) & <u32>(tot >= 40))) & <u32>(tot >= 28) & <u32>(tot <= len - ETH_HLEN);
      if (ok4 != 0) {
        const key = i32x4.replace_lane(v128.load(ip + IPH_SADDR), 3, proto);
        if (i32x4.all_true(i32x4.eq(key, lastKey))) {
          store<u32>(tags + (i << 2), lastAt);
          h = SAME_KEY;
        } else {
          const k = keyHash(i32x4.extract_lane(key, 0), i32x4.extract_lane(key, 1), i32x4.extract_lane(key, 2), proto, ifindex);
          store<u32>(tags + (i << 2), k);
          h = table + (k & mask) * BKT_SIZE;
          lastKey = key;
          lastAt = i;
        }
      }
    } else if (type == 0xdd86 && table6 != 0) {
      // nf_flow_tuple_ipv6's, the same way: to the device's MAC, version 6, hop limit above 1, next header
      // UDP or TCP with its header in the payload, the payload length the frame's
      const w = load<u32>(ip, IP6H_PAYLOAD_LEN); // payload length, next header, hop limit
      const plen = <u32>bswap<u16>(<u16>w);
      const proto = (w >> 16) & 0xff;
      const ok6 = <u32>((load<u64>(data) & 0xffffffffffff) == mac) & <u32>((load<u8>(ip) >> 4) == 6) & <u32>((w >> 24) > 1) &
        <u32>(len >= ETH_HLEN + 48) & (<u32>(proto == IPPROTO_UDP) | (<u32>(proto == IPPROTO_TCP) & <u32>(plen >= 20))) &
        <u32>(plen >= 8) & <u32>(plen + 40 == len - ETH_HLEN);
      if (ok6 != 0) {
        const sa = v128.load(ip + IP6H_SADDR);
        const da = v128.load(ip + IP6H_DADDR);
        const ports = load<u32>(ip, 40);
        const l4 = i32x4.replace_lane(i32x4.splat(ports), 3, proto);
        // the three compared at once (no branch each)
        if (!v128.any_true(v128.or(v128.or(v128.xor(sa, lastSa6), v128.xor(da, lastDa6)), v128.xor(l4, lastL4)))) {
          store<u32>(tags + (i << 2), lastAt6);
          h = SAME_KEY;
        } else {
          const k = keyHashV6(sa, da, ports, proto, ifindex);
          store<u32>(tags + (i << 2), k);
          h = (table6 + (k & mask) * BKT_SIZE) | 1;
          lastSa6 = sa;
          lastDa6 = da;
          lastL4 = l4;
          lastAt6 = i;
        }
      }
    }
    store<u32>(out + (i << 2), h);
    cand |= h;
  }
  if (cand == 0) return 0;
  // 2: the buckets' lines, in a loop that only loads: the fewer instructions a frame, the more of the
  // burst's misses the CPU's window holds at once (wasm has no prefetch instruction); a frame without a
  // bucket of its own (0, SAME_KEY) loads address 0 instead of a branch (always mapped). Branchless
  // loads here and in the fourth loop: 10k flows 43.8 → 41.6 ns, 100k 58.3 → 53.9 (3 rounds, measured)
  let acc = warmLines(out, n, ~3);
  // 3: the slot whose tag is the key's hash (its record), or the bucket's overflow list; the frames
  // with a record counted (m)
  let m: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const a = load<u32>(out + (i << 2));
    if (a == 0) continue;
    if (a == SAME_KEY) {
      const same = load<u32>(out + (load<u32>(tags + (i << 2)) << 2)); // (that frame's is decided)
      store<u32>(out + (i << 2), same);
      m += <u32>(same != 0);
      continue;
    }
    const bk = a & ~1;
    const k = load<u32>(tags + (i << 2));
    // the tags compared without a branch per slot (a loop that left at the hit's slot mispredicted
    // once a frame when the burst's flows sit in different slots); the first equal tag's record, 0 when
    // none (the whole bucket then, lookup)
    const t = tagMatches(bk, slotTag(k, idxb), hm);
    let d: u32 = 0;
    if (t != 0) d = slotRec(load<u32>(bk + (ctz(t) << 2)), idxb, (a & 1) != 0 ? hot6 : hot4, hotShift(a & 1));
    else if (load<u32>(bk + BKT_OVF) != 0) d = burstCold(r, load<u32>(b + (i << 3)) + ETH_HLEN, a & 1, ifindex);
    // (no slot with the key's tag and no overflow: no flow has the key)
    store<u32>(out + (i << 2), d != 0 ? d | (a & 1) : 0);
    m += <u32>(d != 0);
  }
  // 4: the hot records' lines (an IPv6 one's address line too: its key and NAT addresses), again only
  // loads, without a branch (no record: address 0)
  acc += warmLines(out, n, ~1);
  // the counting hits' direction records (their FD_ACCT line), when a flowtable counts
  if ((load<u64>(r + FTR_FLAGS) & (<u64>NF_FLOWTABLE_COUNTER * 0x0101010101010101)) != 0) {
    for (let i: u32 = 0; i < n; i++) {
      const a = load<u32>(out + (i << 2));
      if (a == 0) continue;
      const h = a & ~1;
      if ((load<u8>(hotFlags(h, (a & 1) != 0)) & FDF_ACCT) != 0) acc += load<u32>(((a & 1) != 0 ? coldOf6(r, h) : coldOf4(r, h)) + FD_ACCT);
    }
  }
  // the keys are compared by nf_flow_forward, which reads the frame's header anyway (a pass of its own
  // here missed L1 on each frame's header again: the burst's frames share one set pair)
  // What a hit touches that is its own (counted at 100k / 1M flows, bench flows): its bucket's line
  // (FTR_TABLE: 2 MiB / 16 MiB, 512 / 4096 pages) and its hot record's (IPv4: half a line of 3.2 / 32 MB
  // of ORIGINAL records; IPv6: a line of 6.4 / 64 MB), both warmed by the loads above a burst at a time;
  // the rest is shared by the flows that leave alike (next hop, neighbour entry, devices) or written once
  // a burst (the MIB and device counters: nf_flow_burst_done) or once a second a flow (the timeout:
  // refresh4 / refresh6); a connection's counters only with the flowtable's `counter`. So the issue's
  // list is in place already — the key's fingerprint in the bucket (the tags: a miss costs no record
  // line), the entry a hit reads in one line (the hot records), its line loaded ahead (the fourth loop),
  // the timestamp and counter writes batched — and 2 random lines and 2 random 4-KiB pages a hit are what
  // is left: the bucket's could go only with the records in the buckets themselves (ft39 simulated a
  // dense cuckoo table: 1.41 lines a lookup, but 40% more memory touched by one direction's hits).
  // Tried (ft41): IPv4 hot records in direct lines of their own (two 64-byte lines a flow, two records a
  // line; a key's first line, then its second, then its bucket as now: one line a hit for 89% of the
  // keys at 1M flows) was slower — 1M 83.6 vs 70.7 ns with the second lines in a wave of their own,
  // 90-94 vs 63-67 with both lines loaded at once (which lost 10k too, 50-67 vs 45-48, and 1 flow, 33-39
  // vs 31-34; data path, alternated rounds at load 18-25): the 128 MiB of lines, over 4-KiB pages, cost
  // more than a hit's second line within the 48 MB one direction touches now. Twice the buckets (32 MiB
  // at 1M: four records a bucket, fewer tags shared) gained nothing either: 72.6 vs 70.1 ns (medians of
  // 6 alternated rounds, load 10-25).
  // The floor (ft42: a wasm loop of random 32-byte reads, thread CPU time, medians of 9 alternated
  // rounds, load 5-8; this VM's 4-KiB pages): with 64 frames' reads issued at once a random line costs
  // ~15 ns a frame in 64-128 MiB (13 in 16 MiB, 18 with 8 or 16 frames at once), and lines add up (two
  // independent ones 31.6, three 51.0); the pattern above (64 bucket lines of 16 MiB, then the 64 hot
  // records of 32 MiB they name) 22 ns a frame, which is what 1M flows cost over 10k here (62 vs 40.5 ns,
  // medians of 3 runs, load 8-9).
  // The same loop in C with MADV_HUGEPAGE (2-MiB pages in the guest, AnonHugePages checked) measured the
  // same as with 4-KiB pages (128 MiB: 12.4 vs 12.7 ns): the host's pages are what the walks miss, so
  // huge pages asked of V8 would not help here. Designs, on that loop: one line a hit always 17.1; one
  // line and, for 11% of the frames, a second in a wave of its own (the direct lines' and a cuckoo
  // table's share at their loads) 22.2-23.4, no better than the two waves; bucket and record in one 4-KiB
  // page 19.2; the record waves run per chunk of 8-32 frames under the burst's bucket misses 24-28
  // (worse: the burst's misses are no longer all in flight at once); 128-frame bursts 21.3. So with a
  // hit's own work at ~40 ns (10k flows, in cache) the 40 ns target at 1M leaves no room for even one
  // random line, and what is left to gain in the layout is ≤ 5 ns a hit (a table read in one line for
  // every key); perf annotate of bench flows 1M puts ~60% of this function's samples in its two
  // warmLines. Tried (ft42): both directions' hot records in one line (flow i's at FTR_HOT + 64 i, its
  // REPLY's 32 further; refreshBoth4 in one line): flowtable 1M 65.3 vs 61.7 ns, bidir 1M 64.6 vs 67.1
  // (medians of 10 alternated whole runs, ABBA, load 6-12): one direction's hits touch 64 MiB of
  // records instead of 32, which costs more than bidir gains; not kept.
  // What one line a hit is worth on the real path (ft47; bench flows, data path ns, paired alternated
  // rounds, load 13-21): an oracle that skips the bucket (the bench's flow f sits in pool slot f, so its
  // hot record is loaded straight from the frame's address, in one wave) ran 1M at 48.4 vs 59-70 ns
  // (0.80x, 5 rounds; 10k 39.2 vs 39.9), more than the floor loop's 5 ns. But only when nearly every key's
  // record is in the line read first: the same oracle guessing a wrong line for 2% of the frames (they then
  // take the bucket and the record: two waves more) 57.7 (0.93x), for 10% 69.6 (1.00x; 1.2-1.3x slower in
  // the rounds the baseline ran at 59). A 64-byte line holds two 32-byte hot records, so buckets holding
  // them (or a direct / cuckoo first line, ft41) leave out of the first line what its two places cannot
  // hold: at 1M flows (2M records) 10.4% with a line per record on average (128 MiB, both directions,
  // Poisson, simulated 89.6% in), 3.3% with two lines per record (256 MiB, between the two measured, and
  // 8x the oracle's 32 MiB): no layout of 32-byte records in 128 MiB reaches the ~98% that paid. The floor loop in C (4-KiB pages, 64 frames a wave, load 5-9) agreed: one
  // line 9.6-10.5 ns, the two waves here 13.4-16.7, one line + a second (same page) for 10% 14.1-15.1,
  // bucket and record in one 4-KiB page 13.1-14.8 (64 MiB) / 17.2-17.8 (128 MiB), the next burst's
  // buckets loaded in this one's record wave 14.3-15.2. Also tried: the second slot with the frame's tag
  // loaded in the record wave (its key's when the first is another's, ~0.5% of the frames, which
  // nf_flow_forward then finds by burstCold with that line in cache): 1M 0.99x paired (12 alternated
  // rounds, 0.89-1.10, load 16-31), 10k 0.99x: within the noise; not kept.
  // Why the misses cannot hide behind a burst's work (ft48; bench flows 1M, data path ns, one build with
  // the extra lines switched per run, alternated runs, load 13-21; baseline 58-64): software pipelining
  // across bursts (the next burst's buckets, or its records, loaded while this one is forwarded) needs a
  // load that does not hold the core until its line comes, and wasm has none. One more random line a
  // frame cost +8.5 to +13 ns as a wave of 64 loads of its own here (3 runs), but +23 to +27 as 8 loads
  // every 8th frame inside stack_rx_flows' loop, +39 to +53 as 4 every 4th, and as stores (which retire
  // before their line comes) into a 32 MiB scratch +20 (8 every 8th), +37 (4 every 4th), +49 (one a
  // frame): a miss left in the loop stalls it for most of its latency, where a wave overlaps 64 of them.
  // So the loads stay in waves, and a wave costs what its lines cost wherever it runs. Which lines: the
  // oracle above (flow f's hot record from its address, one wave) measured again 43.3-48.3 vs 58.0-58.5
  // (0.75x, 4 rounds alternated ABC / CBA, load 17-20), and it plus one more random line a frame of a 128
  // MiB table in the same wave (a two-choice or cuckoo table loading both candidates at once, at its
  // best) 55.0-61.2 (0.94-1.06x paired, median 0.98x): what pays is one line a hit for ~98% of the
  // keys, which 32-byte records cannot give (above). A table
  // that could: 16-byte slots, four a line, a key's line from its hash (1M lines a direction, 64 MiB:
  // 99.6% in their line, Poisson, the rest an overflow structure), the slot holding the key's quotient
  // (an invertible mix of the 13-byte key with the device's index, less the line's bits: ~11 bytes), the
  // translated port and the next hop's index; checksum changes summed at the hit (~1-2 ns, measured
  // above) and the timeout in the cold record, read only when a coarse stamp in the slot says a second
  // has passed. Tried (ft49, prototype in branch ft49's commit 49006fd3, reverted): that table in front
  // of the buckets for IPv4 (2M lines for 1M flows, 128 MiB, both directions' keys; the line from
  // (A ^ B·K2)·K1 over A = saddr|daddr, B = ports|tcp|iif, the slot the rest of A·K1 and B, the translated
  // port, the next hop's index, NAT / slow flags, a 4-bit stamp of the timeout's second; the four slots
  // compared at once with SIMD; the checksum changes summed at the hit; any other case — no slot, the
  // stamp moved, FIN / RST, over the MTU, another FIB generation — the bucket path as now), switched per
  // 1-s round in one process (bench flows' measure, 12 rounds ABBA, medians): flowtable 1M data path
  // 70.0 vs 67.3 ns (1.04x), 71.9 vs 66.0 (1.09x; the slots compared branchlessly), 86.5 vs 72.4 (1.19x);
  // the whole round 1.02x, 1.08x, 1.08x; 1.6-1.8% of the frames left to the bucket path (load 7-10, two
  // cores). With only the ORIGINAL keys, in 1M lines (64 MiB; the bench's keys, which differ in daddr
  // only, then fill every line without overflow: no frame left) 0.85x / 1.05x data path, 1.13x / 1.10x
  // whole; in 2M lines (128 MiB) 1.20x; flowtable 10k (both directions) 1.65x, its rounds 23-87 ns. So
  // one line a hit measured no gain over the two waves here — short of the oracle's 0.75x (which
  // alternated two builds and added no work a hit: the key's mix, four compares, the summed checksums). On this VM now (load 7-10) the rounds ranged 36-130 ns each way:
  // worth measuring again on a quiet machine before building the rest (remove, teardown / next-hop
  // changes into the slots, an exact refresh with the stamp, the workers' publication).
  // Where a 1M hit's time goes (ft50; perf of bench flows' flowtable rows, V8's code annotated, each
  // function's samples over the generator's, fillBurst: the harness's, the same work a frame in every
  // row): 10k → 1M only this function grows (0.70 → 1.24 fillBursts; stack_rx_flows 0.545 / 0.538,
  // napi_poll, queueRefill, transmitBurst, dev_host_done, framesFreeFrom within 10%; burstCold 0.75% of
  // the samples at 1M, the tags another key's), and in it only the two waves (at 10k 15% of it, at 1M 52%:
  // its first loop 28%, the bucket wave 26%, the third loop 20%, the record wave 26%). A 1M hit's own
  // random lines are these two (its bucket's, its hot record's); the next hop, neighbour entry and devices
  // are shared, no conntrack entry is read (the timeout is in the hot record, counters only with
  // `counter`). Scaled to the 10k row's ~40 ns data path (1 fillBurst ≈ 21 ns): this function ~15 ns at
  // 10k (first loop ~8: checks, SAME_KEY, hash; third ~5), the waves ~13 ns more at 1M, stack_rx_flows
  // (the hits) ~11, the rings (poll, refill, TX, completions, frees) ~14. In one process, the same 1M
  // table with the traffic drawn over fewer of its flows (rounds alternated, 0.4 s each, load 5-7, the
  // whole round's pairs): 10k flows 0.849× / 0.837× (35/39, 35/37 rounds faster), 1 flow 0.741× (39/40) —
  // the 1M row's lines cost ~16-23 ns a frame and its in-cache work ~40, so the 40 ns target needs the
  // compute near halved as well as a line saved. Tried: nf_flow_burst_lookup's first loop without its
  // IPv6 branch (a loop of its own while no IPv6 flow exists: fewer registers live, fewer spills) — 10k
  // 0.999× (29/52 rounds faster), 1M 1.003× (25/50): not kept. Of the ~19 ns 1M costs over the 10k
  // table, ~4 are the table's spread rather than its lines: two datapaths in one process, rounds
  // alternated (load 8-10), 10k flows' traffic over a 1M table 79.0 ns whole round vs a 10k table's 75.2
  // (0.945×, 20/27). And the frames' headers, all at one offset of their 4-KiB frames (one L1 set pair
  // for a burst's 64): spread over 16 sets (the generator's data + 64 × (frame bits 12-15), a probe only,
  // it changes the headroom) measured 0.988× (22/39) at 10k, 0.999× (25/48) at 1M, 0.988× (26/41) at
  // 1 flow, the whole round: no lever either.
  // Where a 10k hit's in-cache compute goes (ft51; perf annotate, V8's code): this function ~17 ns a frame,
  // its first loop ~50% of it (~120 instructions a frame: the checks ~58, the hash ~25), the third ~29%,
  // the two waves ~18%; stack_rx_flows ~11.5 ns, ~210 instructions a hit (each csumApply fold ~20, the
  // key's || and the branchless flags materialized as booleans through the stack). Tried (ft51; one
  // process, the variants switched per round by a flag, rounds alternated; load 9-22, so each ratio is
  // within this VM's noise): the first loop's IPv4 checks as one masked 16-byte compare of the frame's
  // first bytes (MAC, EtherType, version / IHL) and len >= 42 folded into tot + 14 <= len (~58 → ~30
  // instructions) 10k 1.006x paired (12/30 rounds faster), 1M 1.002x (8/16); nf_flow_forward's common case
  // (IPv4, key equal, no teardown / counter / two-sided NAT, the burst's checked next hop, MTU, no TCP
  // SYN / FIN / RST) as a branchless quick path before the whole hit out of line, 10k 1.035x slower
  // (1/10 faster); the hit's cold parts out of line (nf_flow_forward6, burstNextHop past bNh, natCsum) and
  // the key's || as two ifs — stack_rx_flows' code 2.4x smaller, its hot path still ~210 instructions (36
  // vs 41 stack moves) — 1.001x (10th percentiles of 600 alternated 25-ms windows each). Not kept: none
  // of the compute left is a lever of the size the target needs (≥ 14 ns a frame at 1M).
  // A compact bucket (ft52: tag bytes whose position names the record, as a Swiss table's, small enough
  // for L2 / L3; probe in ft52's commit 59f89071, reverted): the oracle above with one line of an N-MiB
  // array at the key's hash in a wave before its record wave stands for the tag line, and the records
  // copied to a table's order (slot 2.5 f of 80 MB: 2M records at load 0.8) for the records' spread.
  // bench flows 1M, data path, variants switched per 0.6-s round in one process, paired medians (load
  // 17-20: rounds 18-134 ns, so only the large ratios tell): oracle 0.70× / 0.74× (2 runs); spread oracle
  // 0.77× / 0.89×; oracle + a 2 MiB array's line 0.90× / 0.99×, 4 MiB 0.98×, 8 MiB 0.96×, 16 MiB (the
  // buckets' size now) 0.99×; spread oracle + 2 MiB tags 0.97× / 1.16×, + 4 MiB 0.98× / 1.18×; at 10k
  // (same table shapes) + 2 MiB tags 1.16×. A dependent wave of lines from 2 MiB costs about what the
  // 16 MiB buckets' does (the record wave keeps the L2 busy), so no bucket small enough to be a Swiss
  // table's tags (≥ 2.4 MB for 2M records) pays: the lever is the wave, not the bucket array's size.
  // Measured again (sp54, 12-07, load 8-14, 2 MiB pages on: 698-708 of 712 MiB): bench flows data path
  // 1M 63.4 / 67.1 / 75.0 ns (10k 39.7 / 43.7, 1 flow 31.8 / 41.1 in the same runs). perf of the 1M row,
  // scaled by the harness (fillBurst + rxPost + dev_tx_done ≈ 30 ns): this function ~41 ns a frame — its
  // first loop 24% (~10), the bucket wave 27% (~11), the third loop 18% (~7.5), the record wave 30%
  // (~12.5) — stack_rx_flows ~15, the rings ~9 (napi_poll, transmitBurst, framesFreeFrom, queueRefill),
  // burstCold ~1.4. No single load in stack_rx_flows stands out (its hits' lines came in the record
  // wave). The same split as ft50: ~24 ns of waves at the hardware's misses-in-flight limit and ~40 of
  // compute, so ≤ 40 ns at 1M needs the compute halved besides a line. Tried (probe 2673d83c, reverted):
  // the first loop in chunks of 16 / 32 frames, each chunk's bucket wave right after it (its misses in
  // flight under the next chunk's hashing) — 1M data path, 12 rounds alternated in one process, load 16:
  // 16 1.121× (0/12 rounds faster), 32 1.021× (5/12), the A/A control 1.039× (4/12): fewer misses a wave
  // cost more than the hashing they overlap (the C floor's 8-16 frames at once, above); not kept.
  // Counted again (spf58, 12-08): the 1M row's 698-712 MiB resident is ~700 B a flow, but a hit touches
  // two lines of it: the conntrack entry (CT_SIZE 256), the flow's direction records (FLOW_SIZE 256), the
  // REPLY hot record and the next hops' pool (2 × 32 B each way, sized for one next hop a direction) are
  // read at the add, the collector and the rare paths only; no write is made a hit (the refresh waits for
  // the clock to move a second, as flow_offload_refresh's HZ; the bench's clock does not move); the next
  // hop, neighbour entry, devices and counters are shared lines. So two dependent random lines a frame, the
  // bucket's (16 MiB) then its hot record's (32 MB of ORIGINAL records), each loaded a burst's wave at a
  // time. The machine's price of a wave (C, a wave of 64 random 4-byte reads a frame, best of 5, load 14-21,
  // less the 1 MiB row's loop): ~3 ns a frame from 4 MiB, ~6-8.5 from 16 MiB, ~10 from 32 MiB, ~11-13
  // from 64 MiB; the same pages' first lines only (one line a 4-KiB page: the TLB's share, the lines in
  // cache) ~2.5 from 16 MiB, ~4 from 32, ~5 from 64: a third to a half of a wave is the page walk (a KVM
  // guest's, nested; MADV_HUGEPAGE changed 16 MiB by nothing, 64 MiB by 0.93-0.76× in two runs), so a
  // layout gains by the pages it touches about as much as by the lines. 16 MiB + 32 MB ≈ 17 ns is the
  // 1M row's ~19 ns over 10k. Tried (probe 6e25bf7c, reverted; bench flows 1M data path, modes switched
  // per 0.6-s round in one process, 12 rounds in order 0,1,2,0 then reversed, load 15-21: rounds 45-109
  // ns, the A/A control's paired median 0.96-1.09×): the waves' addresses loaded four a v128 (~3.5
  // instructions a load instead of ~5: more of a burst's misses inside the CPU's window) 1.006× / 0.961×
  // (6/12 rounds faster), no gain (so the window is not what bounds the misses in flight); the record
  // wave copying each IPv4 hit's hot record into a burst scratch that nf_flow_forward reads (its loop
  // touching one page for the burst's records instead of 64) 1.075× / 1.104× / 1.084× (2-3/12): slower
  // (each copy's stores wait in the window for their loads). Neither kept. And on the real path the
  // page-walk share: probe 84448498 (reverted) read a shadow of the IPv4 table whose 4-KiB pages hold 16
  // buckets and the ORIGINAL hot records their slots name (96 × 32 B a page, 64 MiB; none left out at 1M),
  // so a hit's two lines share one page: one walk a frame instead of two — 1M data path 0.989× the two
  // bracketing baselines' mean (9/12 rounds faster; A/A 1.001×; 0,3,0 then reversed, 0.6-s rounds, load
  // 18-22), with the shadow's buckets holding ORIGINAL slots only (fewer shared tags) in its favour: not
  // the ≥ 2 % a layout of buckets and records by pages (hot records indexed apart from their flows, free
  // lists per page) would have to pay for; not built.
  sink += acc;
  return m;
}

/**
 * The first word of each line the `n` slots at `out` name (each slot's value & `mask`; 0: address 0,
 * always mapped), summed: nf_flow_burst_lookup's loads that only bring lines in. Four a step: the CPU's
 * window holds the burst's misses only as far as its instructions reach, and each step of a loop costs
 * V8's stack check, the compare and the branch besides its loads.
 */
@inline function warmLines(out: u32, n: u32, mask: u32): u32 {
  let acc: u32 = 0;
  let i: u32 = 0;
  for (; i + 4 <= n; i += 4) {
    const o = out + (i << 2);
    acc += load<u32>(load<u32>(o) & mask) + load<u32>(load<u32>(o, 4) & mask) + load<u32>(load<u32>(o, 8) & mask) + load<u32>(load<u32>(o, 12) & mask);
  }
  for (; i < n; i++) acc += load<u32>(load<u32>(out + (i << 2)) & mask);
  return acc;
}

/**
 * The whole bucket's lookup for the frame whose IP header is at `ip` (`v6`: IPv6), received on `iif`, not
 * inlined: the rare case of nf_flow_burst_lookup (no slot with the key's tag, but an overflow list) and of
 * nf_flow_forward (a tag that is another key's), kept out of their loops. The hot record, 0 when none.
 */
function burstCold(r: u32, ip: u32, v6: u32, iif: u32): u32 {
  if (v6 != 0) return lookup6(r, ip + IP6H_SADDR, ip + IP6H_DADDR, load<u32>(ip, 40), <u32>load<u8>(ip, IP6H_NEXTHDR), iif);
  return lookup(r, load<u32>(ip, IPH_SADDR), load<u32>(ip, IPH_DADDR), load<u32>(ip, 20), <u32>load<u8>(ip, IPH_PROTOCOL), iif);
}

/** nf_flow_burst_lookup's first pass: the frame's key is that of the frame its tag names (no bucket is ever at 2). */
const SAME_KEY: u32 = 2;

/** Keeps the records' warm-up loads of nf_flow_burst_lookup alive. */
let sink: u32 = 0;

// The burst's state (per worker: wasm globals), set by nf_flow_burst_lookup: nothing the control plane
// changes between two bursts of a thread's poll is read from it, only what one burst reads alike.
let bNow: u64 = 0;
let bGen: u32 = 0;
/** The ring device the burst came in on (the keys' iif). */
let bIif: u32 = 0;
let bTcpTimeout: u64 = 0;
let bUdpTimeout: u64 = 0;
/** The last output device's ifindex and record (a burst's hits mostly leave by one). */
let bOif: u32 = 0;
let bOnd: u32 = 0;
/**
 * The next hop the burst's last IPv4 hit left by and its neighbour entry, checked then with its FIB
 * generation and device (0: none). Any frame of the burst the stack takes instead (slow, noFlow,
 * nf_flow_burst_other) may change the neighbour table (an ARP request or reply), so it forgets them: a
 * hit after it checks the entry again, as each of the kernel's hits looks its neighbour up
 * (tests/nf/flow_nexthop: the hairpin burst).
 */
let bNh: u32 = 0;
/** bNh's output device (its ifindex: checked up with it). */
let bNhOif: u32 = 0;
/** bNh's Ethernet addresses (burstXmit): the neighbour's MAC and the device's first two bytes, then its last four. */
let bMacs: u64 = 0;
let bMacs2: u32 = 0;

/** The output device `oif`'s record, the burst's last one when it is the same. */
@inline function burstOnd(oif: u32): u32 {
  if (oif != bOif) {
    bOif = oif;
    bOnd = netdevGet(oif);
  }
  return bOnd;
}

/**
 * The burst nf_flow_burst_lookup began is over (its forwarded frames are held by netdev_xmit_pend until
 * the stack's burst ends): nf_flowtable:hit and RX packets / bytes on the ring device `nd` for the `n`
 * frames its flows forwarded (nf_flow_forward true), `bytes` of them as received, added once (the caller
 * counts them in its locals: wasm globals are memory, a load and a store each a frame).
 */
export function nf_flow_burst_done(nd: u32, n: u32, bytes: u64): void {
  if (n == 0) return;
  mibAdd(MIB_FLOW_HIT, <u64>n);
  ndStat(nd, NDSTAT_RX_PACKETS, <u64>n);
  ndStat(nd, NDSTAT_RX_BYTES, bytes);
}

/** A hit of the burst's timeout: now + the protocol's flowtable timeout. */
@inline function burstTimeout(proto: u32): u64 {
  return bNow + (proto == IPPROTO_TCP ? bTcpTimeout : bUdpTimeout);
}

/**
 * flow_offload_refresh(flow_table, flow, false) for IPv4 hot record `h`, the new timeout `t` (ms, u32 as
 * the kernel's jiffies): written when `t - flow->timeout > HZ` in u32 arithmetic — later by more than a
 * second, or earlier at all (the flowtable's timeout lowered since: the kernel moves the flow's timeout
 * back). The flow's one timeout has a copy in each direction's hot record (a hit reads its own line
 * only), both written at each move (refreshBoth4), so either copy is the flow's.
 */
@inline function refresh4(h: u32, t: u32): void {
  if (t - load<u32>(h + H4_TIMEOUT) > 1000) refreshBoth4(h, t);
}

/** refresh4's write: `t` into hot record `h` and the other direction's (the same slot of the other array), once a second at most. */
function refreshBoth4(h: u32, t: u32): void {
  const r = ftRoot();
  const span = load<u32>(r + FTR_HOTR) - load<u32>(r + FTR_HOT);
  atomicStore32(h + H4_TIMEOUT, t);
  atomicStore32((h >= load<u32>(r + FTR_HOTR) ? h - span : h + span) + H4_TIMEOUT, t);
}

/** refresh4 for IPv6 hot record `h`. */
@inline function refresh6(h: u32, t: u32): void {
  if (t - load<u32>(h + H6_TIMEOUT) > 1000) refreshBoth6(h, t);
}

/** refreshBoth4 for IPv6 hot record `h`: the other direction's is the same slot of the array's other half. */
function refreshBoth6(h: u32, t: u32): void {
  const r = ftRoot();
  const span = hot6Span(r);
  atomicStore32(h + H6_TIMEOUT, t);
  atomicStore32((h >= load<u32>(r + FTR_HOT6) + span ? h - span : h + span) + H6_TIMEOUT, t);
}

/**
 * nf_flow_offload_ip_hook for the frame at `data` (`len` bytes) received on the burst's ring device,
 * queue `q`, whose hot record nf_flow_burst_lookup guessed by its tag (`a`; bit 0: IPv6): true when the
 * flow forwarded it (the frame is taken), false when the stack must take it (nothing was changed, unless a
 * SYN tore its closing flow down). The key is compared here, against the header this reads anyway (a tag
 * that is another key's: the whole bucket, burstCold; no flow: the stack's, not counted as slowpath). In
 * nf_flow_offload_forward's order: a frame over the route's MTU goes to the stack, then a TCP SYN on a
 * closing flow tears it down and goes too (a FIN / RST marks it closing), then a FIB change since the add (the dst check). What the hit costs:
 * the hot record's line (read only, unless the timeout moved a second), its next hop and neighbour entry
 * (shared by the flows that leave by them), the devices; with the flowtable's `counter`, the direction
 * record's second line and its connection's counters too; translating both addresses, the direction
 * record's first line. Inlined into stack_rx_burst's loop (nf_flow_forward6 and netdev_xmit_pend into
 * it): their calls cost 1.3-2.5 ns of a 33-41 ns hit, measured.
 */
@inline export function nf_flow_forward(a: u32, q: u32, data: u32, len: u32): bool {
  if ((a & 1) != 0) return nf_flow_forward6(a & ~1, q, data, len);
  const ip = data + ETH_HLEN;
  const proto = <u32>load<u8>(ip, IPH_PROTOCOL);
  // saddr, daddr, ports and iif at once: the header's 12 bytes from saddr on are the hot record's key's order
  // (the protocol's compare or-ed into the vector's without a branch of its own measured the same:
  // flowtable 10k 1.003×, 100k 0.991×, 4/8 rounds faster, 8 interleaved rounds at load 8-17)
  let d = a;
  const key = i32x4.replace_lane(v128.load(ip + IPH_SADDR), 3, bIif);
  if (!i32x4.all_true(i32x4.eq(v128.load(d), key)) || <u32>load<u8>(d + H4_PROTO) != proto) {
    d = burstCold(ftRoot(), ip, 0, bIif);
    if (d == 0) return noFlow();
  }
  const fl = <u32>load<u8>(d + H4_FLAGS);
  // torn down, or no hook on this device (FD_TEARDOWN)
  if ((fl & (H4F_TEARDOWN | H4F_NOHOOK)) != 0) return slow();
  // the route's: its next hop, shared with the other flows that leave by it
  const nh = load<u32>(d + H4_NH);
  const tot = ldBe16(ip + IPH_TOT_LEN);
  if (tot > load<u32>(nh + NH_MTU)) return slow(); // nf_flow_exceeds_mtu
  // nf_flow_state_check: a SYN, FIN or RST (the flow's own flags read then only)
  if (proto == IPPROTO_TCP && (<u32>load<u8>(ip, 20 + 13) & 0x07) != 0 && flowStateCheck(flowOf(coldOf4(ftRoot(), d)), <u32>load<u8>(ip, 20 + 13))) return slow();
  // what depends on the next hop only: its FIB generation, its device, its neighbour entry
  if (!burstNextHop(nh, d, false)) return slow();
  // decided: counted (burstAcct: before the frame's writes), refresh (flow_offload_refresh: only when
  // the timeout moves by more than a second), NAT, TTL, MACs, out
  burstAcct(fl, d, false, len - ETH_HLEN); // (skb->len: the frame past its Ethernet header)
  refresh4(d, <u32>burstTimeout(proto));
  const nat = fl & (FDF_SNAT | FDF_DNAT);
  if (nat == FDF_SNAT) natOne(ip, proto, IPH_SADDR, 0, d, nh);
  else if (nat == FDF_DNAT) natOne(ip, proto, IPH_DADDR, 2, d, nh);
  else if (nat != 0) natCsum(ip, proto, coldOf4(ftRoot(), d));
  else ipDecreaseTtl(ip);
  burstXmit(q, data, tot + ETH_HLEN);
  return true;
}

/**
 * nf_flow_offload_ipv6_hook's forward for the IPv6 frame at `data` whose hot record nf_flow_burst_lookup
 * guessed (`a`; its payload length is the frame's: nf_flow_burst_lookup checked). In the kernel's order: a
 * frame over the route's MTU goes to the stack, then nf_flow_state_check as nf_flow_forward's; a
 * FIB change since the add tears it down (the dst check); then the next hop's NDISC entry as for IPv4, the
 * refresh, NAT (nf_flow_nat_ipv6: addresses and ports, the L4 checksum), the hop limit decremented, the
 * MACs, out. A hit reads its hot record's one line and its next hop (shared, with the translated address
 * of a direction translating one side); translating both, its direction record's address line.
 */
@inline function nf_flow_forward6(a: u32, q: u32, data: u32, frameLen: u32): bool {
  const ip = data + ETH_HLEN;
  // the key, as nf_flow_forward's
  // the whole key as one SIMD test: the addresses, then the ports, iif and protocol lanes of the record's
  // third 16 bytes (H6_PORTS, H6_IIF, H6_PROTO; the flags and translated port masked off) against the
  // frame's (one branch, was four: flowtable6 10k 0.913×, 100k 0.968×, bidir6 10k 0.946×, 100k 0.984×
  // of the four, 8 interleaved rounds at load 13-18, 7/8 rounds faster but bidir6 100k 4/8)
  let d = a;
  const proto = <u32>load<u8>(ip, IP6H_NEXTHDR);
  const l4 = i32x4.replace_lane(i32x4.replace_lane(v128.load32_zero(ip + 40), 1, bIif), 2, proto);
  const diff = v128.or(v128.or(v128.xor(v128.load(d), v128.load(ip + IP6H_SADDR)), v128.xor(v128.load(d + H6_DADDR), v128.load(ip + IP6H_DADDR))),
    v128.xor(v128.and(v128.load(d + H6_PORTS), H6_KEY_MASK), l4));
  if (v128.any_true(diff)) {
    d = burstCold(ftRoot(), ip, 1, bIif);
    if (d == 0) return noFlow();
  }
  const fl = <u32>load<u8>(d + H6_FLAGS);
  if ((fl & (H4F_TEARDOWN | H4F_NOHOOK)) != 0) return slow();
  const nh = load<u32>(d + H6_NH);
  const len = ldBe16(ip + IP6H_PAYLOAD_LEN) + 40; // skb->len
  if (len > load<u32>(nh + NH_MTU)) return slow(); // nf_flow_exceeds_mtu
  if (proto == IPPROTO_TCP && (<u32>load<u8>(ip, 40 + 13) & 0x07) != 0 && flowStateCheck(flowOf(coldOf6(ftRoot(), d)), <u32>load<u8>(ip, 40 + 13))) return slow();
  // the next hop's generation, device and NDISC entry, as nf_flow_forward's (bNh: checked by the burst's
  // last hit that left by it)
  if (!burstNextHop(nh, d, true)) return slow();
  burstAcct(fl, d, true, len); // (skb->len: the payload length's, the frame's: nf_flow_burst_lookup checked)
  refresh6(d, <u32>burstTimeout(proto));
  const nat = fl & (FDF_SNAT | FDF_DNAT);
  if (nat == FDF_SNAT) natOne6(ip, proto, IP6H_SADDR, 0, d, nh);
  else if (nat == FDF_DNAT) natOne6(ip, proto, IP6H_DADDR, 2, d, nh);
  else if (nat != 0) {
    const c = coldOf6(ftRoot(), d);
    const l4 = ip + 40;
    copy16(ip + IP6H_SADDR, c + FD6_NEW_SADDR);
    copy16(ip + IP6H_DADDR, c + FD6_NEW_DADDR);
    store<u32>(l4, load<u32>(c + FD_NEW_SPORT));
    l4Csum(l4, proto, <u32>load<u16>(c + FD_CSUM + 2));
  }
  store<u8>(ip, load<u8>(ip, IP6H_HOP_LIMIT) - 1, IP6H_HOP_LIMIT);
  burstXmit(q, data, len + ETH_HLEN);
  return true;
}

/**
 * What depends on next hop `nh` only — its FIB generation, its device, its neighbour entry — checked for
 * the hit of hot record `d` (`v6`: an IPv6 one): nothing when the burst's last hit left by the same next
 * hop (nothing but hits ran since: bNh); else the generation (bGen: as of the burst's start, else now; a
 * change since the add tears the flow down: the dst check, nf_flow_dst_check), the device, and the entry
 * cached in the next hop while it is alive, connected, with its header cached and still this next hop's
 * (entries are reused only after a grace period, so the cached address always points at an entry), else
 * the neighbour table's answer, cached for the next hit. false: the stack takes the frame.
 */
@inline function burstNextHop(nh: u32, d: u32, v6: bool): bool {
  if (nh == bNh) return true;
  if (load<u32>(nh + NH_GEN) != bGen && load<u32>(nh + NH_GEN) != (bGen = fibGen())) {
    flowTeardown(flowOf(v6 ? coldOf6(ftRoot(), d) : coldOf4(ftRoot(), d)));
    return false;
  }
  const oif = load<u32>(nh + NH_OIF);
  const ond = burstOnd(oif);
  if (ond == 0 || (load<u32>(ond, ND_FLAGS) & IFF_UP) == 0) return false;
  let e = load<u32>(nh + NH_NEIGH);
  if (e == 0 || load<u8>(e + NE_DEAD) != 0 || (<u32>load<u8>(e + NE_STATE) & NUD_CONNECTED) == 0 || (load<u8>(e + NE_XFLAGS) & NEX_HH) == 0 ||
    load<u32>(e + NE_IFINDEX) != oif || <u32>load<u8>(e + NE_FAMILY) != (v6 ? AF_INET6 : AF_INET) ||
    (v6 ? !eq16(e + NE_KEY, nh + NH_ADDR) : load<u32>(e + NE_KEY) != load<u32>(nh + NH_ADDR))) {
    e = v6 ? neigh6Ready(oif, ond, nh + NH_ADDR) : neigh4Ready(oif, ond, nh + NH_ADDR);
    if (e == 0) return false;
    store<u32>(nh + NH_NEIGH, e);
  }
  bNh = nh;
  bNhOif = oif;
  // the Ethernet header's 12 bytes of addresses for the hits that follow: the neighbour's, the device's
  const src = netdevMac(ond);
  bMacs = (load<u64>(e + NE_MAC) & 0xffffffffffff) | (src << 48);
  bMacs2 = <u32>(src >> 16);
  return true;
}

/**
 * NF_FLOWTABLE_COUNTER for a hit of hot record `d` (flags `fl`, `v6`: IPv6): nf_ct_acct_update(ct, dir,
 * `skbLen`). The kernel counts after rewriting the frame (nf_flow_offload_forward); nothing between can
 * see the order, and here the count comes first: the shared build's adds are locked instructions, each
 * waiting for every earlier store to leave the store buffer — before the frame's writes they wait for
 * fewer (bench workers flowtable counter 1w/main 0.963 → 0.973 by this alone).
 */
@inline function burstAcct(fl: u32, d: u32, v6: bool, skbLen: u32): void {
  const c = (fl & FDF_ACCT) != 0 ? load<u32>((v6 ? coldOf6(ftRoot(), d) : coldOf4(ftRoot(), d)) + FD_ACCT) : 0;
  if (c != 0) {
    atomicAdd64(c, 1);
    atomicAdd64(c + 8, <u64>skbLen);
  }
}

/**
 * The end of a hit for the frame at `data` (queue `q`): the MACs of the burst's checked next hop
 * (burstNextHop: its neighbour's and its device's, as of its check) as two stores, and out of its device,
 * `sendLen` bytes (netdev_xmit_pend).
 */
@inline function burstXmit(q: u32, data: u32, sendLen: u32): void {
  store<u64>(data, bMacs);
  store<u32>(data, bMacs2, 8);
  netdev_xmit_pend(bNhOif, q, data, sendLen);
}

/**
 * nf_flow_nat_ipv6 for a direction that translates one side (hot record `d`, next hop `nh`: the address
 * at `aoff` in the IPv6 header and the port `poff` into the L4 header become NH6_NAT_ADDR and H6_NAT_PORT):
 * the L4 checksum changed once by the sum of the address's and the port's changes, which fillDir6 summed
 * from the tuple's old values (H6_CSUM; the key matched: they are the packet's), so the bytes are those of
 * inet_proto_csum_replace16 then _replace2 (see natCsum). Summed at each hit instead (eight address loads
 * and their adds), it cost a flowtable6 hit ~2 ns more (measured).
 */
@inline function natOne6(ip: u32, proto: u32, aoff: u32, poff: u32, d: u32, nh: u32): void {
  const l4 = ip + 40;
  copy16(ip + aoff, nh + NH6_NAT_ADDR);
  store<u16>(l4 + poff, load<u16>(d + H6_NAT_PORT));
  l4Csum(l4, proto, <u32>load<u16>(d + H6_CSUM));
}

/** The TCP / UDP checksum of the header at `l4` updated by `delta` (a UDP checksum of 0 stays 0: none; CSUM_MANGLED_0). */
@inline function l4Csum(l4: u32, proto: u32, delta: u32): void {
  const check = proto == IPPROTO_TCP ? l4 + 16 : l4 + 6;
  const old = <u32>load<u16>(check);
  if (proto == IPPROTO_UDP) {
    if (old == 0) return;
    const c = csumApply(old, delta);
    store<u16>(check, c == 0 ? 0xffff : c);
  } else {
    store<u16>(check, csumApply(old, delta));
  }
}

/**
 * nf_flow_nat_ip and ip_decrease_ttl in one: the translated addresses and ports written, and each
 * checksum updated once by the change fillDir summed (FD_CSUM: the IP header's, TTL included; the
 * L4 one's). The kernel folds after each field (csum_replace4 / _2); each of its steps leaves a value
 * in [0, 0xfffe] that depends only on the sum modulo 0xffff, so one update by the summed change gives
 * the same bytes, CSUM_MANGLED_0 included (a UDP checksum of 0 stays 0: none).
 */
@inline function natCsum(ip: u32, proto: u32, d: u32): void {
  const l4 = ip + 20;
  store<u32>(ip, load<u32>(d + FD_NEW_SADDR), IPH_SADDR);
  store<u32>(ip, load<u32>(d + FD_NEW_DADDR), IPH_DADDR);
  store<u32>(l4, load<u32>(d + FD_NEW_SPORT));
  ttlCsum(ip, <u32>load<u16>(d + FD_CSUM));
  l4Csum(l4, proto, <u32>load<u16>(d + FD_CSUM + 2));
}

/**
 * natCsum for a direction that translates one side (hot record `d`, next hop `nh`: the address at `aoff`
 * in the IP header and the port `poff` into the L4 header become NH_NAT_ADDR and H4_NAT_PORT): each
 * checksum updated by the change fillDir summed from the tuple's old values (H4_CSUM; the packet's are the
 * tuple's: the key matched), so the bytes are natCsum's. Summed at each hit from the packet instead, the
 * changes cost an IPv4 hit ~1-2 ns more (measured).
 */
@inline function natOne(ip: u32, proto: u32, aoff: u32, poff: u32, d: u32, nh: u32): void {
  const l4 = ip + 20;
  const c = load<u32>(d + H4_CSUM);
  store<u32>(ip + aoff, load<u32>(nh + NH_NAT_ADDR));
  store<u16>(l4 + poff, load<u16>(d + H4_NAT_PORT));
  ttlCsum(ip, c & 0xffff); // (the change includes TTL − 1, as fillDir summed it)
  l4Csum(l4, proto, c >> 16);
}

/**
 * TTL − 1 and the IP header checksum updated by `delta` (which includes the TTL's change) in one u32 of the
 * header (TTL, protocol, checksum): the TTL is above 1 (nf_flow_burst_lookup), so the decrement stays in its byte.
 */
@inline function ttlCsum(ip: u32, delta: u32): void {
  const w = load<u32>(ip, IPH_TTL);
  store<u32>(ip, ((w - 1) & 0xffff) | (<u32>csumApply(w >> 16, delta) << 16), IPH_TTL);
}

/** csum_replace: checksum `c` after a change summing to `delta`: ~fold(~c + delta), the fold in [1, 0xffff]. */
@inline function csumApply(c: u32, delta: u32): u16 {
  let s = (~c & 0xffff) + delta;
  s = (s & 0xffff) + (s >> 16); // ≤ 0xffff; 0 only as ~0xffff + 0, which is 0xffff's fold
  return <u16>(s == 0 ? 0 : ~s);
}

@inline function slow(): bool {
  mibInc(MIB_FLOW_SLOWPATH);
  bNh = 0; // (the stack takes the frame: nf_flow_burst_other)
  return false;
}

/** A frame whose tag guessed a flow it has not: the stack's (not the flowtable's slow path), bNh forgotten as for nf_flow_burst_other. */
@inline function noFlow(): bool {
  bNh = 0;
  return false;
}

/** A frame of the burst without a flow goes on (to the stack): the burst's next hop checked is forgotten (bNh). */
@inline export function nf_flow_burst_other(): void {
  bNh = 0;
}

/** The flow record of slot `i` of the pools (TypeScript lists flows; FLOW_L3 says the family), 0 past the end. */
export function nf_flow_at(i: u32): u32 {
  const r = ftRoot();
  if (r == 0 || i >= flowSlots(r)) return 0; // past the slots that ever held a flow
  return flowSlot(r, i);
}
export function nf_flow_root(): u32 {
  return ftRoot();
}
/** The timeout (ms, the stack's clock) of direction record `d` of a flow nf_flow_at listed (kept in its hot record). */
export function nf_flow_timeout(d: u32): u64 {
  return dirTimeout(ftRoot(), d, netNow());
}

// ---- bpf_probe_read_kernel (kernel/trace/bpf_trace.c), what programs read the kfunc's entry with ----

/** Addresses below this are the NULL page: never memory a program may read. */
const PROBE_LOW: u64 = 4096;

/**
 * bpf_probe_read_kernel(dst, size, unsafe_ptr): `size` bytes from `unsafe_ptr` to `dst` (the verifier
 * proved dst writable for size bytes), 0. A source that is not wholly inside wxdp's memory, or in its
 * NULL page: dst zeroed and -ERANGE, as the kernel answers for an address that is no kernel memory
 * (copy_from_kernel_nofault_allowed; on x86-64 NULL and every 32-bit address: tests/nf/probe_read).
 * xdp-tools' xdp_flowtable reads the entry bpf_xdp_flow_lookup returns this way (bpf_core_read).
 */
export function bpf_probe_read_kernel(dst: u64, size: u64, src: u64, r4: u64, r5: u64): u64 {
  const top = <u64>memory.size() << 16;
  if (src < PROBE_LOW || src > top || size > top - src) {
    memory.fill(<u32>dst, 0, <u32>size);
    return <u64>-34;
  }
  memory.copy(<u32>dst, <u32>src, <u32>size);
  return 0;
}

// ---- The XDP kfunc (nf_flow_table_bpf.c) ----

// struct bpf_fib_lookup as the kfunc reads it: family u8 @0, l4_protocol u8 @1, sport @2, dport @4 (as in
// the packet), ifindex @8, ipv4_src / ipv6_src @16, ipv4_dst / ipv6_dst @32. struct bpf_flowtable_opts: s32 error @0.
const BFL_FAMILY: u32 = 0;
const BFL_L4: u32 = 1;
const BFL_SPORT: u32 = 2;
const BFL_DPORT: u32 = 4;
const BFL_IFINDEX: u32 = 8;
const BFL_SRC4: u32 = 16;
const BFL_DST4: u32 = 32;
const NF_BPF_FLOWTABLE_OPTS_SZ: u64 = 4;
const AF_INET6_: u32 = 10;

/**
 * bpf_xdp_flow_lookup(ctx, fib_tuple, opts, opts_len): the direction record of the offloaded flow the
 * tuple names (the kfunc's struct flow_offload_tuple_rhash *), or 0 with opts->error set: -EINVAL for
 * opts_len ≠ 4, -EAFNOSUPPORT for a family other than AF_INET / AF_INET6, -ENOENT when the receiving
 * device is in no flowtable or the flowtable holds no such flow (a torn-down flow is none, as in
 * flow_offload_lookup). A hit refreshes the flow's timeout
 * (flow_offload_refresh); the packet is not looked at.
 */
export function bpf_xdp_flow_lookup(ctx: u64, tuple: u64, opts: u64, optsLen: u64, r5: u64): u64 {
  const o = <u32>opts;
  if (optsLen != NF_BPF_FLOWTABLE_OPTS_SZ) {
    store<i32>(o, -22);
    return 0;
  }
  const p = <u32>tuple;
  const family = <u32>load<u8>(p + BFL_FAMILY);
  if (family != AF_INET && family != AF_INET6_) {
    store<i32>(o, -97);
    return 0;
  }
  const r = ftRoot();
  // nf_flowtable_by_dev: the first flowtable the receiving device is bound to
  const rxIf = load<u32>(CTX_BASE + CTX_INGRESS_IFINDEX);
  const used = r != 0 ? load<u32>(r + FTR_USED) : 0;
  let ft: i32 = -1;
  for (let id: u32 = 0; id < FT_MAX && ft < 0; id++) if ((used & (<u32>1 << id)) != 0 && ftHasDev(r, id, rxIf)) ft = <i32>id;
  let d: u32 = 0;
  if (ft >= 0) {
    const ports = <u32>load<u16>(p + BFL_SPORT) | (<u32>load<u16>(p + BFL_DPORT) << 16);
    if (family == AF_INET) d = lookup(r, load<u32>(p + BFL_SRC4), load<u32>(p + BFL_DST4), ports, <u32>load<u8>(p + BFL_L4), load<u32>(p + BFL_IFINDEX));
    else d = lookup6(r, p + BFL_SRC4, p + BFL_DST4, ports, <u32>load<u8>(p + BFL_L4), load<u32>(p + BFL_IFINDEX));
  }
  if (d != 0) {
    const h = d; // the hot record
    d = family == AF_INET ? coldOf4(r, h) : coldOf6(r, h);
    const f = flowOf(d);
    if (load<u32>(f + FLOW_FT) != <u32>ft || (load<u32>(f + FLOW_FLAGS) & FLOWF_TEARDOWN) != 0) d = 0;
    else if (family == AF_INET) refresh4(h, <u32>(netNow() + flowTimeout(d))); // flow_offload_refresh(.., false)
    else refresh6(h, <u32>(netNow() + flowTimeout(d)));
  }
  if (d == 0) store<i32>(o, -2);
  return <u64>d;
}
