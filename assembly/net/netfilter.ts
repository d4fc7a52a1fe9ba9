// Netfilter's hook points (net/netfilter/core.c nf_hook_slow): the five places of IPv4 and IPv6 where
// registered functions see every packet, in priority order, and may accept, drop or steal it.
//
//   PRE_ROUTING   ipv4_rcv / ipv6_rcv after the header checks, before the input route
//   LOCAL_IN      ip_local_deliver / ip6_local_deliver (after reassembly), before the protocol handler
//   FORWARD       ip_forward / ip6_forward after the TTL / hop limit decrement (ip_forward_finish next)
//   LOCAL_OUT     ip_local_out / ip6_local_out, for the stack's own datagrams
//   POST_ROUTING  ip_finish_output / ip6_finish_output, before fragmentation and the neighbour
//
// The functions, by the kernel's priorities: conntrack (-200, NF_IP_PRI_CONNTRACK) at PRE_ROUTING and
// LOCAL_OUT; NAT's destination step (-100) there and its source step (100) at POST_ROUTING and LOCAL_IN
// (nf_nat.ts; only while the family has a NAT chain: nf_nat_register_fn); the nftables chains of the filter / route types at their own priorities (nft_do_chain,
// nf_tables_entry.ts); conntrack confirm (INT_MAX) at POST_ROUTING and LOCAL_IN. NAT chains do not sit in
// the list: NAT's step runs them for a connection's first packet (nf_nat_inet_fn).
//
// A site costs one load and a branch while nothing is registered: NF_GATE_PTR holds the table's address
// (abi.ts), 0 until the first inet registration (publish). The table, at NR_NF (HT_* below):
//   +0 u32 pf mask of conntrack (bit 0 IPv4, bit 1 IPv6) | +4 u32 generation
//   +8  [pf 0..1][hook 0..4] u32 list address (0: empty) | +48 the same for NAT chains
//   +88 [pf 0..1] u32 conntrack's users (nf_conntrack_net users4 / users6)
//   +96 [pf 0..1] u32 NAT's users (nat_net->nat_proto_net[pf].users: the NAT base chains)
//   +104 [hook 0..1] u32 the arp family's lists (NF_ARP_IN in arp_rcv, NF_ARP_OUT in arp_xmit; one list each, as inet's)
// A list: u32 count | count × (i32 priority | u32 kind | u32 arg), sorted by priority (a registration
// at an equal priority goes after those there, as nf_register_net_hook orders them). A change builds a
// new list and publishes it with one store; the old one is not reused (registrations are rare).
//
// The packet's conntrack between hooks: the kernel keeps it in skb->_nfct. Here the frame keeps it in the
// last 16 bytes of its skb_shared_info reserve (FRAME_TAILROOM_RESERVED, which no packet byte reaches;
// the head's xdp_frame room is taken by queues and the RX hash), tagged with the L3 address so a frame
// that did not pass PRE_ROUTING / LOCAL_OUT since is seen to have none. A datagram in a big frame (one
// reassembly made over a pool frame's size) keeps it in the big frame's own tail reserve (ctRecord).
//
// Fragments (IPv4): as nf_defrag_ipv4, at PRE_ROUTING priority NF_IP_PRI_CONNTRACK_DEFRAG (-400) a
// fragment goes to reassembly queues of conntrack's own (ip_defrag_user, IP_DEFRAG_CONNTRACK_IN: apart
// from local delivery's) and is held; the fragment that completes a datagram hands the whole datagram
// to the rest of the hook's list (conntrack, NAT, chains) and on to the input route, in place of the
// fragment. The datagram's frag_max_size (its largest fragment) rides in the frame's tail word FH_FMAX
// and its fragments' lengths in the geometry block before it (nf_frag_geo): ip_finish_output sends it
// in those fragments again when they pass ip_do_fragment's frag_list fast-path check (conntrack's
// reassembly keeps the fragments as a frag_list, not coalesced), else cuts it at min(MTU,
// frag_max_size), so what leaves is cut as what came in. IPv6 likewise (nf_defrag_ipv6 at NF_IP6_PRI_CONNTRACK_DEFRAG, -400:
// nf_ct_frag6_gather in reasm6.ts, queues keyed by IP6_DEFRAG_CONNTRACK_IN and the input device; the
// Fragment header goes, IP6CB frag_max_size = the largest fragment; ip6_forward's too-big check and
// ip6_finish_output's ip6_fragment honour it). LOCAL_OUT is not hooked for either family (the stack
// sends no fragments there: it fragments after the hooks).
//
// The netdev family (nf_hook_ingress in __netif_receive_skb_core after XDP, before the protocol's
// receive; nf_hook_egress in __dev_queue_xmit): a list per device and hook, as the kernel's dev->nf_hooks_ingress
// and dev->nf_hooks_egress, at ND_NF_INGRESS / ND_NF_EGRESS of the device's record (the same list format, swapped
// whole): a frame on a device without chains costs the load of that word, and one device's chains neither see
// nor slow another's frames (netdev.ts batches a device's transmit while it has no egress chain).
//
// Reads: the packet, the table, the frame head. Sets: the hook state (NFS_* in the worker scratch), the
// frame head's conntrack. Next: back to the site (true: go on), or the frame freed (NF_DROP:
// NDROP_NETFILTER_DROP) / taken (NF_STOLEN) and false.

import { arena_alloc } from '../maps/arena';
import { rc_alloc, rc_reclaim, rc_retire } from './reclaim';
import { DP_BASE, DP_BIG, FRAME_SIZE, FRAME_TAILROOM_RESERVED } from '../abi';
import { BIG_FRAMES, BIG_FRAME_SIZE } from '../umem';
import { netDrop, netFree, netRoot, netScratch, netdevGet } from './core';
import {
  AF_INET6, NDROP_NETFILTER_DROP, NF_GATE_PTR, NFS_CT, NFS_CTINFO, NFS_DATA, NFS_HOOK, NFS_IIF, NFS_L4PROTO, NFS_LEN,
  ND_NF_INGRESS, NFS_LLEN, NFS_PKTTYPE, NFS_ZONE, NFS_MAC, NFS_MARK, NFS_OIF, NFS_PF, NFS_PROTO, NFS_Q, NFS_THOFF, NR_NF, SCR_NF, SCR_NF_INGRESS_MARK, SCR_NF_INGRESS_TYPE, SCR_NF_UNTRACKED,
  LOOPBACK_IFINDEX,
} from './abi';
import { IPH_FRAG_OFF, IPH_PROTOCOL, IPPROTO_TCP, IP6H_NEXTHDR, IP_MF, IP_OFFSET } from './inet';
import { IP_DEFRAG_CONNTRACK_IN, ip_defrag_user, reasmFragMax, reasmLen } from './reasm';
import { ip_rcv_finish_defrag } from './ipv4_rcv';
import { ip6_rcv_finish_defrag, ipv6SkipExthdr, skipFragOff, skipNexthdr } from './ipv6_rcv';
import { IP6_DEFRAG_CONNTRACK_IN, NF_FRAG6_ACCEPT, NF_FRAG6_TAKEN, nf_ct_frag6_gather } from './reasm6';
import {
  CT_TUPLE_ORIG, CT_TUPLE_SIZE, CTT_DST, CTT_SRC, CTT_PROTO, IP_CT_IS_REPLY, IP_CT_NONE, IP_CT_RELATED, IP_CT_RELATED_REPLY, IP_CT_UNTRACKED, NF_ACCEPT, NF_DROP, NF_REPEAT, NF_STOLEN,
  ctLock, ctRoot, ctUnlock, nf_conntrack_confirm, nf_conntrack_in, nf_ct_enable,
} from './nf_conntrack';
import { nf_conntrack_tcp_set_closing } from './nf_conntrack_proto_tcp';
import { nf_nat_inet_fn } from './nf_nat';
import { nft_do_chain } from './nf_tables_entry';
import { nftFwdDrain, nftFwdHook, nftFwdMark } from './nft_hooks';
import { nf_flow_offload_eval } from './nf_flow_table';

export const NF_INET_PRE_ROUTING: u32 = 0;
export const NF_INET_LOCAL_IN: u32 = 1;
export const NF_INET_FORWARD: u32 = 2;
export const NF_INET_LOCAL_OUT: u32 = 3;
export const NF_INET_POST_ROUTING: u32 = 4;
export const NF_INET_NUMHOOKS: u32 = 5;
export const NFPROTO_IPV4: u32 = 2;
export const NFPROTO_IPV6: u32 = 10;
export const NFPROTO_NETDEV: u32 = 5;
export const NF_NETDEV_INGRESS: u32 = 0;
export const NF_NETDEV_EGRESS: u32 = 1;
export const NFPROTO_ARP: u32 = 3;
export const NF_ARP_IN: u32 = 0;
export const NF_ARP_OUT: u32 = 1;
/** nf_netdev_hook_register's hook numbers for the arp family's lists follow the netdev family's two. */
export const NF_ARP_LISTS: u32 = 2;

export const NF_IP_PRI_CONNTRACK_DEFRAG: i32 = -400;
export const NF_IP_PRI_CONNTRACK: i32 = -200;
export const NF_IP_PRI_NAT_DST: i32 = -100;
export const NF_IP_PRI_NAT_SRC: i32 = 100;
export const NF_IP_PRI_CONNTRACK_CONFIRM: i32 = 0x7fffffff;

// What a list entry runs
export const NFK_CT_IN: u32 = 1;
export const NFK_CT_CONFIRM: u32 = 2;
export const NFK_CHAIN: u32 = 3;
export const NFK_NAT_CHAIN: u32 = 4;
export const NFK_NAT: u32 = 5;
export const NFK_FLOW_ADD: u32 = 6; // the flowtable's own offload rule (`ct state established flow add @ft`), arg the flowtable id
export const NFK_DEFRAG: u32 = 7; //   nf_defrag_ipv4 / nf_defrag_ipv6 (PRE_ROUTING, -400)
export const NFK_ROUTE_CHAIN: u32 = 8; // a `type route` chain (LOCAL_OUT): as NFK_CHAIN, then nf_route_table_hook4/6's test

const HT_CT_PF: u32 = 0;
const HT_GEN: u32 = 4;
const HT_LISTS: u32 = 8;
const HT_NAT_LISTS: u32 = 48;
const HT_CT_USERS: u32 = 88;
const HT_NAT_USERS: u32 = 96;
const HT_ARP_LISTS: u32 = 104;
const HT_SIZE: u32 = 128;
const LIST_MAX: u32 = 32;
const ENTRY_SIZE: u32 = 12;

/**
 * Where a frame keeps the packet's conntrack: a 16-byte record (u32 entry | u32 L3 address ^ tag | u32
 * ctinfo | u32 frag_max_size) in the frame's tail reserve — a pool frame's last 16 bytes, a big frame's
 * (umem.ts: a datagram defragmentation or reassembly made over a pool frame's size) likewise — or none
 * (0) when the datagram reaches into the reserve.
 */
@inline function ctRecord(data: u32, len: u32): u32 {
  const fh = data & ~(FRAME_SIZE - 1);
  if ((data - fh) + len <= FRAME_SIZE - FRAME_TAILROOM_RESERVED) return fh + FRAME_SIZE - 16;
  const r = load<u32>(DP_BASE + DP_BIG);
  const off = data - (r + FRAME_SIZE);
  if (r == 0 || off >= BIG_FRAMES * BIG_FRAME_SIZE) return 0;
  const base = r + FRAME_SIZE + (off / BIG_FRAME_SIZE) * BIG_FRAME_SIZE;
  return (data - base) + len <= BIG_FRAME_SIZE - FRAME_TAILROOM_RESERVED ? base + BIG_FRAME_SIZE - 16 : 0;
}
/**
 * The fragment geometry of a datagram conntrack's IPv6 reassembly made (nf_ct_frag6_reasm keeps the
 * fragments as the skb's frag_list, and ip6_fragment's fast path sends them again as they were): a
 * 256-byte block just before the conntrack record in the same tail reserve — u32 L3 address ^ GEO_TAG |
 * u16 count | u16 pad | count × u16 payload bytes of each fragment in order (GEO_MAX at most) — or 0
 * when the datagram has no record.
 */
export function nf_frag_geo(data: u32, len: u32): u32 {
  const fh = ctRecord(data, len);
  return fh == 0 ? 0 : fh - GEO_SIZE;
}
const GEO_SIZE: u32 = 256;

/**
 * The geometry block of the datagram at `data` (`len` bytes, `hlen` of them the header each fragment
 * repeats) when conntrack's reassembly recorded its fragments and they pass the fast-path check of
 * ip_do_fragment / ip6_fragment for `space` bytes of payload per fragment: every one fits, all but the
 * last are multiples of 8 bytes. Else 0: the slow path cuts the datagram.
 */
export function nf_frag_cuts(data: u32, len: u32, hlen: u32, space: u32): u32 {
  if (load<u32>(NF_GATE_PTR) == 0) return 0;
  const g = nf_frag_geo(data, len);
  if (g == 0 || load<u32>(g) != (data ^ GEO_TAG)) return 0;
  const n = <u32>load<u16>(g + 4);
  let sum: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const c = <u32>load<u16>(g + 8 + (i << 1));
    if (c == 0 || c > space || ((c & 7) != 0 && i + 1 < n)) return 0;
    sum += c;
  }
  return n != 0 && sum == len - hlen ? g : 0;
}
export const GEO_TAG: u32 = 0x47454f36; // 'GEO6'
export const GEO_MAX: u32 = (GEO_SIZE - 8) >> 1;
const FH_CT: u32 = 0;
const FH_TAG: u32 = 4;
const FH_FMAX: u32 = 12; // IPCB(skb)->frag_max_size of a datagram defragmentation made (0: none)
// skb->mark as the hooks left it (meta mark set, ct mark copied back, the socket's SO_MARK at LOCAL_OUT): the
// word before the fragment geometry (still in the tail reserve: 16 + GEO_SIZE + 4 < FRAME_TAILROOM_RESERVED),
// valid with the record's tag
@inline function markAt(fh: u32): u32 {
  return fh - GEO_SIZE - 4;
}
const TAG: u32 = 0x4e464354; // 'NFCT'

/**
 * nf_ct_attach (nf_conntrack_attach): an ICMP error the stack makes (icmp_glue_bits, icmpv6_getfrag) or
 * a reset nft's reject sends (nf_send_reset) carries the conntrack of the packet it answers, in the
 * other direction — IP_CT_RELATED_REPLY for a packet of the original direction, else IP_CT_RELATED —
 * and LOCAL_OUT's conntrack leaves it so ("Previously seen"): no lookup of the quote, which may find
 * another entry or, for a connection's first packet (still unconfirmed), none. So NAT at POST_ROUTING
 * turns the quote back by that connection (a reject after DNAT quotes the address the client sent to).
 * Kept for the one frame `data` about to enter LOCAL_OUT (a worker's own: module globals are per
 * instance); any LOCAL_OUT run takes it or forgets it.
 */
let attachData: u32 = 0;
let attachCt: u32 = 0;
let attachInfo: u32 = 0;
/** the frag_max_size the attached datagram starts LOCAL_OUT with (a copy keeps its original's: pskb_copy's IPCB) */
let attachFmax: u32 = 0;
export function nf_ct_attach(data: u32, orig: u32, origLen: u32): void {
  attachData = 0;
  attachFmax = 0;
  if (load<u32>(NF_GATE_PTR) == 0) return;
  const fh = ctRecord(orig, origLen);
  if (fh == 0 || load<u32>(fh + FH_TAG) != (orig ^ TAG)) return;
  const ct = load<u32>(fh + FH_CT);
  const info = load<u32>(fh + FH_TAG + 4);
  if (ct == 0 || info == IP_CT_NONE) return;
  attachData = data;
  attachCt = ct;
  attachInfo = info < IP_CT_IS_REPLY ? IP_CT_RELATED_REPLY : IP_CT_RELATED;
}

/**
 * nf_dup_ipv4 / nf_dup_ipv6's nf_ct_set(skb, NULL, IP_CT_UNTRACKED): the copy at `data`, about to enter LOCAL_OUT,
 * is untracked there and after (conntrack passes it by; `ct state untracked` matches it).
 */
export function nf_ct_set_untracked(data: u32, fmax: u32): void {
  attachData = data;
  attachCt = 0;
  attachInfo = IP_CT_UNTRACKED;
  attachFmax = fmax;
}

/** Forget an attach LOCAL_OUT did not take (its datagram was freed before, or routed where no hook ran). */
export function nf_ct_attach_forget(): void {
  attachData = 0;
}

/**
 * The copy at `dst` of a datagram has no fragment geometry of its own: pskb_copy shares the original's frag_list
 * (skb_clone_fraglist: each fragment skb_shared), which sends ip_do_fragment / ip6_fragment down the slow path — cut
 * at frag_max_size (IPv6: at least IPV6_MIN_MTU) — not in the original's fragments. A stale block there is cleared.
 */
export function nf_frag_geo_clear(dst: u32, len: u32): void {
  if (load<u32>(NF_GATE_PTR) == 0) return;
  const g = nf_frag_geo(dst, len);
  if (g != 0) store<u32>(g, 0);
}

/**
 * The frag_max_size of the datagram the hooks are running over, for a chain that sends a datagram of its own through
 * them and goes on (nft's dup): nf_hook_slow starts each run at 0, the outer datagram keeps its own.
 */
export function nf_frag_max_get(): u32 {
  return fragMax;
}
export function nf_frag_max_set(v: u32): void {
  fragMax = v;
}

/**
 * nf_ct_set_closing: nf_send_reset / nf_send_reset6 close the TCP connection of the segment at `orig`
 * (`origLen` bytes) they answered (nf_conntrack_set_closing: TCP only; the reset itself, attached as
 * RELATED, is never seen by TCP's state machine).
 */
export function nf_ct_set_closing(orig: u32, origLen: u32): void {
  if (load<u32>(NF_GATE_PTR) == 0) return;
  const fh = ctRecord(orig, origLen);
  if (fh == 0 || load<u32>(fh + FH_TAG) != (orig ^ TAG)) return;
  const ct = load<u32>(fh + FH_CT);
  if (ct == 0 || load<u32>(fh + FH_TAG + 4) == IP_CT_NONE) return;
  if (<u32>load<u8>(ct + CT_TUPLE_ORIG + CTT_PROTO) != IPPROTO_TCP) return;
  const root = ctRoot();
  ctLock(root);
  nf_conntrack_tcp_set_closing(root, ct);
  ctUnlock(root);
}

@inline export function nfState(): u32 {
  return netScratch() + SCR_NF;
}

/**
 * NF_HOOK for IPv4 at `hook` (NF_INET_*): the packet at `data` (`len` bytes of L3), from `iif` / to `oif`
 * (0: none), frame queue `q`. true: go on; false: the frame was dropped (and freed) or stolen.
 */
@inline export function NF_HOOK4(hook: u32, iif: u32, oif: u32, q: u32, data: u32, len: u32): bool {
  const t = load<u32>(NF_GATE_PTR);
  if (t == 0) return true;
  return nf_hook_slow(t, 0, hook, iif, oif, q, data, len);
}

/** NF_HOOK for IPv6, as NF_HOOK4. */
@inline export function NF_HOOK6(hook: u32, iif: u32, oif: u32, q: u32, data: u32, len: u32): bool {
  const t = load<u32>(NF_GATE_PTR);
  if (t == 0) return true;
  return nf_hook_slow(t, 1, hook, iif, oif, q, data, len);
}

/** Anything registered at all (fwd4_lean and the flowtable leave frames to the full path then). */
@inline export function nfActive(): bool {
  return load<u32>(NF_GATE_PTR) != 0;
}

/** The L4 offset and protocol of the packet into the hook state (0: a non-first fragment, or cut short). */
function l4Of(st: u32, pfi: u32, data: u32, len: u32): void {
  if (pfi == 0) {
    store<u8>(st + NFS_L4PROTO, load<u8>(data, IPH_PROTOCOL));
    const hl = (<u32>load<u8>(data) & 0xf) << 2;
    store<u32>(st + NFS_THOFF, (ldFrag(data) & IP_OFFSET) != 0 || hl > len ? 0 : hl);
    return;
  }
  const off = ipv6SkipExthdr(data, len, 40, <u32>load<u8>(data, IP6H_NEXTHDR));
  if (off < 0 || (skipFragOff & ~(<u32>7)) != 0) {
    store<u8>(st + NFS_L4PROTO, 0);
    store<u32>(st + NFS_THOFF, 0);
    return;
  }
  store<u8>(st + NFS_L4PROTO, <u8>skipNexthdr);
  store<u32>(st + NFS_THOFF, <u32>off);
}

@inline function ldFrag(data: u32): u32 {
  return <u32>bswap<u16>(load<u16>(data, IPH_FRAG_OFF));
}

/** nf_hook_slow: the hook's list in order; the first verdict other than NF_ACCEPT ends it. */
export function nf_hook_slow(t: u32, pfi: u32, hook: u32, iif: u32, oif: u32, q: u32, data: u32, len: u32): bool {
  fragMax = 0;
  return hookRun(t, pfi, hook, iif, oif, q, data, len, 0);
}

/**
 * The stack makes a datagram of its own in the frame of the one at `data` (an echo reply built in
 * place): the kernel's is a new skb, so nothing of the request's record stays with it — no conntrack
 * (LOCAL_OUT looks the reply up afresh), no frag_max_size or fragment list conntrack's reassembly left
 * (__ip_finish_output would cut it as the request came, not at the MTU).
 */
export function nf_frame_forget(data: u32, len: u32): void {
  const fh = ctRecord(data, len);
  if (fh == 0) return;
  store<u32>(fh + FH_TAG, 0);
  store<u32>(fh - GEO_SIZE, 0);
}

/** frag_max_size of the datagram hookRun runs over (set by the defrag step for the one it made). */
let fragMax: u32 = 0;

/**
 * IPCB(skb)->frag_max_size of the datagram at `data` as the hooks left it in its frame: the largest
 * fragment it was reassembled from by conntrack's defragmentation, 0 for any other.
 */
export function nf_frag_max(data: u32, len: u32): u32 {
  if (load<u32>(NF_GATE_PTR) == 0) return 0;
  const fh = ctRecord(data, len);
  return fh != 0 && load<u32>(fh + FH_TAG) == (data ^ TAG) ? load<u32>(fh + FH_FMAX) : 0;
}

/**
 * nf_defrag_ipv4's ipv4_conntrack_defrag for the fragment in the hook state: held in conntrack's queues
 * (NF_STOLEN: false), or — the one that completes its datagram — the datagram goes through the rest of
 * the list from entry `next` and, accepted, on to the input route. Either way the fragment's frame is
 * taken (false).
 */
function defrag4(t: u32, hook: u32, iif: u32, oif: u32, q: u32, data: u32, len: u32, next: u32): bool {
  const d = ip_defrag_user(iif, q, data, len, IP_DEFRAG_CONNTRACK_IN);
  if (d == 0) return false;
  const dlen = reasmLen();
  fragMax = reasmFragMax();
  if (hookRun(t, 0, hook, iif, oif, 0, d, dlen, next)) ip_rcv_finish_defrag(iif, d, dlen);
  return false;
}

/**
 * nf_defrag_ipv6's ipv6_defrag for the IPv6 packet in the hook state: true when it goes on through the
 * list as it is; else its frame was taken — held, dropped, or (the fragment that completes its datagram)
 * the datagram went through the rest of the list from entry `next` and, accepted, on to the input route.
 */
function defrag6(t: u32, hook: u32, iif: u32, oif: u32, q: u32, data: u32, len: u32, next: u32): bool {
  const d = nf_ct_frag6_gather(iif, q, data, len, IP6_DEFRAG_CONNTRACK_IN);
  if (d == NF_FRAG6_ACCEPT) return true;
  if (d == NF_FRAG6_TAKEN) return false;
  const dlen = reasmLen();
  fragMax = reasmFragMax();
  if (hookRun(t, 1, hook, iif, oif, 0, d, dlen, next)) ip6_rcv_finish_defrag(iif, d, dlen);
  return false;
}

/** The hook state's packet, devices and place (its conntrack and transport header are each caller's). */
@inline function stateFill(st: u32, hook: u32, pf: u32, iif: u32, oif: u32, q: u32, data: u32, len: u32, mac: u32, llen: u32): void {
  store<u8>(st + NFS_HOOK, <u8>hook);
  store<u8>(st + NFS_PF, <u8>pf);
  store<u32>(st + NFS_IIF, iif);
  store<u32>(st + NFS_OIF, oif);
  store<u32>(st + NFS_DATA, data);
  store<u32>(st + NFS_LEN, len);
  store<u32>(st + NFS_Q, q);
  store<u32>(st + NFS_MARK, 0);
  store<u32>(st + NFS_MAC, mac);
  store<u32>(st + NFS_LLEN, llen);
  store<u32>(st + NFS_ZONE, 0);
  store<u32>(st + NFS_PKTTYPE, 0);
}

function hookRun(t: u32, pfi: u32, hook: u32, iif: u32, oif: u32, q: u32, data: u32, len: u32, from: u32): bool {
  const list = load<u32>(t + HT_LISTS + ((pfi * NF_INET_NUMHOOKS + hook) << 2));
  egressData = 0;
  egressFrag = 0;
  if (list == 0) {
    // any LOCAL_OUT run takes the attach or forgets it, this one with no hooks too: else it waits armed for a
    // later datagram in the same frame
    if (hook == NF_INET_LOCAL_OUT) {
      entryEmpty(data, len, outMarkData == data ? outMark : 0, false);
      attachData = 0;
      outMarkData = 0;
      rerouteData = 0;
    } else if (hook == NF_INET_PRE_ROUTING) {
      const carried = data == mcLoopData;
      mcLoopData = 0;
      const looped = iif == LOOPBACK_IFINDEX || carried;
      entryEmpty(data, len, !looped && ingressMarkN != 0 ? ingressMarkTake(data) : 0, looped);
    }
    // (a datagram for lo keeps its record — its mark — across it as after a POST_ROUTING run: nf_ct_loop)
    if (hook == NF_INET_POST_ROUTING) {
      loPending = oif == LOOPBACK_IFINDEX ? data : 0;
      nf_egress_mark(data, nf_skb_mark(data, len));
    }
    return true;
  }
  const st = nfState();
  const resumedMark = load<u32>(st + NFS_MARK);
  // a received datagram's untagged Ethernet header is the 14 bytes before it (eth.ts cuts a tag in place; a
  // reassembled one carries its first fragment's, reasm.ts), where the kernel's skb->mac_header still points at
  // forward and postrouting; one of the stack's own has none (nft's `meta iiftype ether` breaks first there)
  stateFill(st, hook, pfi == 0 ? NFPROTO_IPV4 : NFPROTO_IPV6, iif, oif, q, data, len, iif != 0 ? data - 14 : 0, 0);
  l4Of(st, pfi, data, len);
  const fh = ctRecord(data, len);
  // skb->mark: 0 as a frame arrives, the socket's SO_MARK as a datagram of the stack's leaves (ip_append_data's
  // sockc.mark; the stack's own answers, fwmark_reflect off: 0), else — and back from lo or looped back as a
  // multicast copy: skb_scrub_packet is not on that way — as the hooks before this one left it in the record;
  // a run resumed past conntrack's defragmentation goes on with the mark the completing fragment had
  let mark: u32 = hook == NF_INET_LOCAL_OUT && outMarkData == data ? outMark : 0;
  if (hook == NF_INET_LOCAL_OUT && attachData != 0 && attachData == data) {
    store<u32>(st + NFS_CT, attachCt);
    store<u8>(st + NFS_CTINFO, <u8>attachInfo);
    fragMax = attachFmax;
  } else if (hook == NF_INET_PRE_ROUTING || hook == NF_INET_LOCAL_OUT || fh == 0 || load<u32>(fh + FH_TAG) != (data ^ TAG)) {
    store<u32>(st + NFS_CT, 0);
    // (a frame on lo is never marked: nf_netdev_hook leaves lo's ingress chains' notrack unmarked)
    store<u8>(st + NFS_CTINFO, <u8>(hook == NF_INET_PRE_ROUTING && untrackedN != 0 && iif != LOOPBACK_IFINDEX && untrackedTake(data) ? IP_CT_UNTRACKED : IP_CT_NONE));
    // the stack's own datagram back from lo keeps the conntrack it left with (nf_ct_loop); not a datagram
    // conntrack's defragmentation made here (`from` past the defrag step: its buffer's record is not its own)
    // (or a multicast / broadcast copy looped back on its output device: nf_ct_mc_loop)
    const carried = data == mcLoopData;
    if (hook == NF_INET_PRE_ROUTING) mcLoopData = 0;
    // the mark a netdev ingress chain set (nf_hook_ingress runs before ip_rcv on the same skb)
    if (hook == NF_INET_PRE_ROUTING && iif != LOOPBACK_IFINDEX && !carried && ingressMarkN != 0) mark = ingressMarkTake(data);
    if (hook == NF_INET_PRE_ROUTING && (iif == LOOPBACK_IFINDEX || carried) && from == 0 && fh != 0 && load<u32>(fh + FH_TAG) == (data ^ TAG_LO)) {
      store<u32>(st + NFS_CT, load<u32>(fh + FH_CT));
      store<u8>(st + NFS_CTINFO, <u8>(load<u32>(fh + FH_TAG + 4)));
      mark = load<u32>(markAt(fh));
    }
  } else {
    store<u32>(st + NFS_CT, load<u32>(fh + FH_CT));
    store<u8>(st + NFS_CTINFO, <u8>(load<u32>(fh + FH_TAG + 4)));
    mark = load<u32>(markAt(fh));
  }
  store<u32>(st + NFS_MARK, from != 0 ? resumedMark : mark);
  if (hook == NF_INET_LOCAL_OUT) {
    attachData = 0;
    outMarkData = 0;
    rerouteData = 0;
  }
  const n = load<u32>(list);
  let v = NF_ACCEPT;
  for (let i: u32 = from; i < n; i++) {
    const e = list + 4 + i * ENTRY_SIZE;
    const kind = load<u32>(e, 4);
    if (kind == NFK_DEFRAG) {
      // untracked (notrack at ingress), or back from lo with its conntrack (ipv4_conntrack_defrag / ipv6_defrag:
      // "Previously seen (loopback)? Ignore."): its fragments go on as they are
      if (<u32>load<u8>(st + NFS_CTINFO) == IP_CT_UNTRACKED || load<u32>(st + NFS_CT) != 0) continue;
      if (pfi == 0) {
        if ((ldFrag(data) & (IP_MF | IP_OFFSET)) != 0) {
          const go = defrag4(t, hook, iif, oif, q, data, len, i + 1);
          if (!go) hookDropped = false;
          return go;
        }
      } else if (!defrag6(t, hook, iif, oif, q, data, len, i + 1)) {
        hookDropped = false;
        return false;
      }
      continue;
    }
    // (the zone's template a chain before conntrack gave the packet: nft_ct_set_zone_eval's; conntrack takes it
    // off the skb, an invalid packet is left with none)
    if (kind == NFK_CT_IN) {
      v = nf_conntrack_in(st, load<u32>(st + NFS_ZONE));
      store<u32>(st + NFS_ZONE, 0);
    } else if (kind == NFK_CT_CONFIRM) v = nf_conntrack_confirm(st);
    else if (kind == NFK_NAT) v = nf_nat_inet_fn(st, natList(t, pfi, hook));
    else if (kind == NFK_CHAIN) v = nft_do_chain(st, load<u32>(e, 8));
    else if (kind == NFK_ROUTE_CHAIN) {
      // nf_route_table_hook4 / nf_route_table_hook6: a packet the chain accepted with another mark is routed
      // again (ip_route_me_harder; the chain cannot rewrite addresses, TOS, hop limit or flow label here: wxdp's
      // nft has no payload writes)
      const m0 = load<u32>(st + NFS_MARK);
      v = nft_do_chain(st, load<u32>(e, 8));
      if (v == NF_ACCEPT && load<u32>(st + NFS_MARK) != m0) rerouteData = data;
    }
    else if (kind == NFK_FLOW_ADD) v = nf_flow_offload_eval(st, load<u32>(e, 8));
    if (v == NF_REPEAT) v = NF_ACCEPT;
    if (v != NF_ACCEPT) break;
  }
  if (v == NF_DROP) {
    netFree(q, data);
    netDrop(NDROP_NETFILTER_DROP);
    hookDropped = true;
    return false;
  }
  if (v == NF_STOLEN) {
    hookDropped = false;
    return false;
  }
  // the packet's conntrack for the hooks after this one
  if (fh == 0) {
    if (hook == NF_INET_POST_ROUTING) nf_egress_mark(data, load<u32>(st + NFS_MARK));
    return true;
  }
  // frag_max_size is the datagram's from where it entered (PRE_ROUTING, LOCAL_OUT) on; a frame whose tag
  // is not this datagram's had no word for it
  const tagged = load<u32>(fh + FH_TAG) == (data ^ TAG);
  if (hook == NF_INET_PRE_ROUTING || hook == NF_INET_LOCAL_OUT || !tagged) store<u32>(fh + FH_FMAX, fragMax);
  store<u32>(fh + FH_CT, load<u32>(st + NFS_CT));
  store<u32>(fh + FH_TAG, data ^ TAG);
  store<u32>(fh + FH_TAG + 4, <u32>load<u8>(st + NFS_CTINFO));
  store<u32>(markAt(fh), load<u32>(st + NFS_MARK));
  if (hook == NF_INET_POST_ROUTING) {
    loPending = oif == LOOPBACK_IFINDEX ? data : 0;
    nf_egress_mark(data, load<u32>(st + NFS_MARK));
  }
  return true;
}

/**
 * Whether the nf_hook_slow run that just said false dropped the packet (NF_DROP: nf_hook_slow's -EPERM, which
 * ip_local_out / ip6_local_out return to the sender) rather than took it (NF_STOLEN, a fragment queued: 0). Read
 * right after the run, before another.
 */
let hookDropped = false;
export function nf_hook_dropped(): bool {
  return hookDropped;
}

/** The datagram a `type route` chain changed the mark of (LOCAL_OUT), for nf_route_reroute. */
let rerouteData: u32 = 0;

/**
 * Whether a `type route` output chain changed the mark of the datagram at `data` in the LOCAL_OUT run just made:
 * it must be routed again (ip_route_me_harder, with its new mark). Taken once.
 */
export function nf_route_reroute(data: u32): bool {
  const r = rerouteData == data && data != 0;
  rerouteData = 0;
  return r;
}

/**
 * The socket's SO_MARK for the datagram at `data` about to enter LOCAL_OUT (udp_output.ts): skb->mark from there
 * on. Any LOCAL_OUT run takes it or forgets it, as the attach.
 */
let outMarkData: u32 = 0;
let outMark: u32 = 0;
export function nf_out_mark(data: u32, mark: u32): void {
  outMarkData = data;
  outMark = mark;
}

/**
 * A packet's way in (PRE_ROUTING, LOCAL_OUT) with no hook there: its record is still this packet's from here on,
 * so a record a former packet left in the buffer at the same address (its tag the same) cannot lend the hooks
 * after this one its mark or conntrack. At LOCAL_OUT the record is written (no conntrack: none is registered in
 * this family; the mark `mark`, the socket's); at PRE_ROUTING a stale one is cleared, and one back from lo
 * (`looped`: nf_ct_loop / nf_ct_mc_loop made it) is this packet's again, mark and conntrack kept.
 */
function entryEmpty(data: u32, len: u32, mark: u32, looped: bool): void {
  const fh = ctRecord(data, len);
  if (fh == 0) return;
  const tag = load<u32>(fh + FH_TAG);
  if (mark != 0 || attachData == data) {
    const mine = attachData == data;
    store<u32>(fh + FH_CT, mine ? attachCt : 0);
    store<u32>(fh + FH_TAG + 4, mine ? attachInfo : IP_CT_NONE);
    store<u32>(fh + FH_FMAX, mine ? attachFmax : 0);
    store<u32>(markAt(fh), mark);
    store<u32>(fh + FH_TAG, data ^ TAG);
  } else if (tag == (data ^ TAG)) {
    store<u32>(fh + FH_TAG, 0);
  } else if (looped && tag == (data ^ TAG_LO)) {
    store<u32>(fh + FH_TAG, data ^ TAG);
  }
}

/**
 * skb->mark of the datagram at `data` (`len` bytes of L3) as PRE_ROUTING left it, for its input route
 * (ip_route_input's flowi4_mark / ip6_route_input's flowi6_mark: a rule's fwmark selects on it). Only while
 * hooks are registered (nfActive); 0 when no hook left a record for it.
 */
export function nf_skb_mark(data: u32, len: u32): u32 {
  const fh = ctRecord(data, len);
  return fh != 0 && load<u32>(fh + FH_TAG) == (data ^ TAG) ? load<u32>(markAt(fh)) : 0;
}

/**
 * loopback_xmit → netif_rx keeps skb->_nfct, and lo's PRE_ROUTING passes it by (nf_conntrack_in: "Previously
 * seen (loopback or untracked)? Ignore."; NAT finds the connection's bindings made and only applies them): the
 * looped-back datagram is neither looked up again nor given a second entry, a DNAT'd one is not NATed again, an
 * untracked one stays untracked, and `ct state` at input sees what output saw. The record written at POST_ROUTING
 * (oif lo) is the datagram's conntrack; the datagram that POST_ROUTING run left for lo (loPending: the output path
 * hands it straight on — ip_finish_output → neigh_output → loopback_xmit) has its record turned into a loopback
 * record, which lo's PRE_ROUTING alone takes (hookRun) and turns back into an ordinary one. The record travels in
 * the frame; `loPending` only says, for the one transmit that follows, that the record is this datagram's. Any
 * other frame lo takes (a netdev chain's fwd / dup, a fragment ip_fragment cut, a datagram whose POST_ROUTING ran
 * no hook) has its record cleared: a record found by address in a reused buffer would be stale.
 * Not carried: the fragments of a datagram cut for lo's MTU (the kernel's ip_copy_metadata gives each the
 * datagram's _nfct; here each is looked up after lo's reassembly: only with lo's MTU lowered below a datagram).
 */
let loPending: u32 = 0;
const TAG_LO: u32 = 0x4e46434c; // 'NFCL'
export function nf_ct_loop(data: u32, len: u32): void {
  const fh = ctRecord(data, len);
  const mine = data == loPending;
  loPending = 0;
  if (fh == 0) return;
  store<u32>(fh + FH_TAG, mine && load<u32>(fh + FH_TAG) == (data ^ TAG) ? data ^ TAG_LO : 0);
}

/**
 * nf_nat_ipv4_local_fn / nf_nat_ipv6_local_fn's test after LOCAL_OUT: the packet's conntrack (its frame's record,
 * as hookRun left it) has its destination NATed in the packet's direction (the tuple's destination is not the other
 * direction's source), so the datagram must be routed again (ip_route_me_harder / ip6_route_me_harder) — a DNAT or
 * redirect at output. false for a packet without a conntrack, untracked, or with no output NAT.
 */
export function nf_nat_reroute(pfi: u32, data: u32, len: u32): bool {
  const fh = ctRecord(data, len);
  if (fh == 0 || load<u32>(fh + FH_TAG) != (data ^ TAG)) return false;
  const ct = load<u32>(fh + FH_CT);
  if (ct == 0) return false;
  const dir: u32 = load<u32>(fh + FH_TAG + 4) >= IP_CT_IS_REPLY ? 1 : 0;
  const a = ct + CT_TUPLE_ORIG + dir * CT_TUPLE_SIZE + CTT_DST;
  const b = ct + CT_TUPLE_ORIG + (dir ^ 1) * CT_TUPLE_SIZE + CTT_SRC;
  if (pfi == 0) return load<u32>(a) != load<u32>(b);
  return load<u64>(a) != load<u64>(b) || load<u64>(a, 8) != load<u64>(b, 8);
}

/**
 * ip_mc_output / ip6_finish_output2's copy for this host (skb_clone: the copy shares the datagram's _nfct): the
 * frame at `to` takes the conntrack record of the datagram at `from` (as LOCAL_OUT left it), for the copy's own
 * POST_ROUTING run.
 */
export function nf_ct_clone(from: u32, flen: u32, to: u32, tlen: u32): void {
  const b = ctRecord(to, tlen);
  if (b == 0) return;
  const a = ctRecord(from, flen);
  if (a == 0 || load<u32>(a + FH_TAG) != (from ^ TAG)) {
    store<u32>(b + FH_TAG, 0);
    return;
  }
  store<u32>(b + FH_CT, load<u32>(a + FH_CT));
  store<u32>(b + FH_TAG + 4, load<u32>(a + FH_TAG + 4));
  store<u32>(b + FH_FMAX, load<u32>(a + FH_FMAX));
  store<u32>(markAt(b), load<u32>(markAt(a)));
  store<u32>(b + FH_TAG, to ^ TAG);
}

/**
 * dev_loopback_xmit → netif_rx for that copy after its POST_ROUTING: it comes back up on the output device with its
 * conntrack (nf_conntrack_in at PRE_ROUTING: "Previously seen ... Ignore."), as a datagram back from lo does
 * (nf_ct_loop): its record turned into a loopback record, which the next PRE_ROUTING run over this frame alone takes.
 */
let mcLoopData: u32 = 0;
export function nf_ct_mc_loop(data: u32, len: u32): void {
  const fh = ctRecord(data, len);
  mcLoopData = 0;
  if (fh == 0) return;
  if (load<u32>(fh + FH_TAG) == (data ^ TAG)) {
    store<u32>(fh + FH_TAG, data ^ TAG_LO);
    mcLoopData = data;
  } else {
    store<u32>(fh + FH_TAG, 0);
  }
}

/** The arp family's list at `hook` (NF_ARP_*), 0 while empty. */
@inline function nfArpList(hook: u32): u32 {
  // the table from the net root, not the gate: arp chains alone leave the gate shut (publish)
  const r = netRoot();
  const t = r == 0 ? 0 : load<u32>(r + NR_NF);
  return t == 0 ? 0 : load<u32>(t + HT_ARP_LISTS + (hook << 2));
}

/** Device record `nd`'s netdev chains at `hook` (NF_NETDEV_*: dev->nf_hooks_ingress / nf_hooks_egress), 0 while none. */
@inline export function nfNetdevList(nd: u32, hook: u32): u32 {
  return load<u32>(nd + ND_NF_INGRESS + (hook << 2));
}

/**
 * nft_do_chain_netdev's packet info for the frame whose network header is at `data` (`len` bytes, protocol
 * `proto` as the Ethernet type in network order): an IPv4 or IPv6 packet whose header holds up
 * (nft_set_pktinfo_ipv4_validate / _ipv6_validate) has its transport header found; anything else has none.
 */
function netdevPktinfo(st: u32, proto: u32, data: u32, len: u32): void {
  store<u8>(st + NFS_L4PROTO, 0);
  store<u32>(st + NFS_THOFF, 0);
  if (proto == 0x0008 && len >= 20) {
    const hl = (<u32>load<u8>(data) & 0xf) << 2;
    const tot = <u32>bswap<u16>(load<u16>(data, 2));
    if ((load<u8>(data) >> 4) == 4 && hl >= 20 && tot >= hl && tot <= len) l4Of(st, 0, data, tot);
  } else if (proto == 0xdd86 && len >= 40 && (load<u8>(data) >> 4) == 6) {
    const plen = <u32>bswap<u16>(load<u16>(data, 4));
    if (plen + 40 <= len) l4Of(st, 1, data, plen + 40);
  }
}

/**
 * The chains of `list` (a device's netdev list or the arp family's), in order, over the packet whose network header is at `data` (`len` bytes; `proto`
 * its Ethernet type, network order; `mac` the frame's Ethernet header, `llen` the bytes before `data` that
 * skb->len counts), family `pf`, hook `hook`, from `iif` / to `oif`, queue `q`. true: go on; false: dropped
 * (freed, NETFILTER_DROP) or stolen.
 */
export function nf_netdev_hook(list: u32, pf: u32, hook: u32, iif: u32, oif: u32, q: u32, proto: u32, mac: u32, data: u32, len: u32, llen: u32, skbMark: u32, carried: bool): bool {
  const st = nfState();
  const n = load<u32>(list);
  let v = NF_ACCEPT;
  const mark = nftFwdMark();
  const outer = nftFwdHook(mark);
  stateFill(st, hook, pf, iif, oif, q, data, len, mac, llen);
  store<u32>(st + NFS_MARK, skbMark);
  store<u32>(st + NFS_CT, 0);
  store<u8>(st + NFS_CTINFO, <u8>IP_CT_NONE);
  store<u16>(st + NFS_PROTO, <u16>proto);
  netdevPktinfo(st, proto, data, len);
  for (let i: u32 = 0; i < n; i++) {
    v = nft_do_chain(st, load<u32>(list + 4 + i * ENTRY_SIZE, 8));
    if (v != NF_ACCEPT) break;
  }
  // notrack at ingress set skb->_nfct: the frame reaches PRE_ROUTING's conntrack (and defrag) untracked
  // (only IPv4 / IPv6 frames reach it: ARP's and the others' marks would be left for a later frame at their address;
  // not lo's: its frames are marked nowhere — no burst start clears a mark one left, and most carry output's conntrack)
  if (v == NF_ACCEPT && hook == NF_NETDEV_INGRESS && pf == NFPROTO_NETDEV && iif != LOOPBACK_IFINDEX && <u32>load<u8>(st + NFS_CTINFO) == IP_CT_UNTRACKED && (proto == 0x0008 || proto == 0xdd86) && untrackedN < UNTRACKED_MAX) {
    store<u32>(untrackedList() + (<u32>untrackedN << 2), data);
    untrackedN++;
  }
  // meta mark set at ingress: skb->mark from ip_rcv / ipv6_rcv on (PRE_ROUTING, the input route's fwmark rules)
  // (a looped-back copy's goes into its record: nf_netdev_frame)
  if (v == NF_ACCEPT && hook == NF_NETDEV_INGRESS && pf == NFPROTO_NETDEV && iif != LOOPBACK_IFINDEX && !carried && load<u32>(st + NFS_MARK) != 0 && (proto == 0x0008 || proto == 0xdd86) && ingressMarkN < INGRESS_MARK_MAX) {
    pairPut(ingressMarkList(), ingressMarkN, data, load<u32>(st + NFS_MARK));
    ingressMarkN++;
  }
  // meta pkttype set at ingress: skb->pkt_type from there on (ip_rcv's OTHERHOST drop, ip_forward's PACKET_HOST only;
  // eth.ts stack_rx takes it in place of the frame's address's)
  if (v == NF_ACCEPT && hook == NF_NETDEV_INGRESS && pf == NFPROTO_NETDEV && iif != LOOPBACK_IFINDEX && load<u32>(st + NFS_PKTTYPE) != 0 && ingressTypeN < INGRESS_MARK_MAX) {
    pairPut(ingressTypeList(), ingressTypeN, data, load<u32>(st + NFS_PKTTYPE) - 1);
    ingressTypeN++;
  }
  // what fwd and dup sent leaves now, before the frame goes on (a fwd'd frame is in the list: NF_STOLEN)
  if (nftFwdMark() != mark) nftFwdDrain(mark);
  nftFwdHook(outer);
  if (v == NF_DROP) {
    netFree(q, data);
    netDrop(NDROP_NETFILTER_DROP);
    return false;
  }
  return v != NF_STOLEN;
}

/**
 * The network headers of the frames a netdev ingress chain's notrack left untracked in the burst being received
 * (nft_notrack_eval sets skb->_nfct, which the skb carries to ip_rcv / ipv6_rcv): each one's PRE_ROUTING run takes
 * it (hookRun), so conntrack passes it by and defrag leaves its fragments whole (ipv4_conntrack_defrag /
 * ipv6_defrag: "skb->_nfct == IP_CT_UNTRACKED"). Emptied as every burst begins, ingress chains or not
 * (eth.ts stack_rx_burst → nf_ingress_burst_begin: the last burst's frames went through PRE_ROUTING or were
 * dropped before it). A mark is the network header's address alone, and a frame dropped before PRE_ROUTING leaves
 * its mark until then: its buffer, back in the pool (its queue's fill ring full, or another worker's queue), may be
 * the next frame the stack takes — one it loops back through lo (stack_rx on lo; a netdev dup's copy has its network
 * header where a received frame's is) would meet the mark and pass conntrack untracked. lo's frames are never looked
 * up: wxdp runs no ingress chain of lo's, and the kernel's looped-back packet carries its own skb->_nfct — here in
 * the frame's record, which only the output path's hand-over to lo vouches for (nf_ct_loop).
 */
const UNTRACKED_MAX: i32 = 64;
let untrackedN: i32 = 0;

/** The list itself: in the worker's scratch (a module static sits at one address every worker instance shares). */
@inline function untrackedList(): u32 {
  return netScratch() + SCR_NF_UNTRACKED;
}

/** A burst begins (eth.ts stack_rx_burst, every device). */
export function nf_ingress_burst_begin(): void {
  untrackedN = 0;
  ingressMarkN = 0;
  ingressTypeN = 0;
  egressData = 0;
  egressFrag = 0;
  carryData = 0;
}

/**
 * The marks a netdev ingress chain's `meta mark set` gave frames of the burst being received (the skb carries
 * skb->mark on to ip_rcv / ipv6_rcv): by network header, as the untracked ones above and emptied with them. PRE_ROUTING
 * takes a frame's (hookRun; with no hook there it goes into the record for the hooks after), and with no inet hook
 * registered at all (the gate closed) the input route does (nf_rx_mark). lo's frames take none.
 */
const INGRESS_MARK_MAX: i32 = 64;
let ingressMarkN: i32 = 0;

@inline function ingressMarkList(): u32 {
  return netScratch() + SCR_NF_INGRESS_MARK;
}

/** Of the `n` (network header, value) pairs at `l`, `data`'s value, its pair replaced by the last (the caller's count drops by one); -1: none. */
function pairTake(l: u32, n: i32, data: u32): i64 {
  for (let i: i32 = 0; i < n; i++) {
    const e = l + (<u32>i << 3);
    if (load<u32>(e) == data) {
      const v = load<u32>(e, 4);
      store<u64>(e, load<u64>(l + (<u32>(n - 1) << 3)));
      return v;
    }
  }
  return -1;
}

/** Puts the pair (`data`, `v`) after the `n` at `l`. */
@inline function pairPut(l: u32, n: i32, data: u32, v: u32): void {
  const e = l + (<u32>n << 3);
  store<u32>(e, data);
  store<u32>(e, v, 4);
}

/** The mark ingress set on the datagram at `data` (0: none); taken. */
function ingressMarkTake(data: u32): u32 {
  const m = pairTake(ingressMarkList(), ingressMarkN, data);
  if (m < 0) return 0;
  ingressMarkN--;
  return <u32>m;
}

/**
 * The packet types a netdev ingress chain's `meta pkttype set` gave frames of the burst being received (skb->pkt_type,
 * which ip_rcv / ipv6_rcv read): by network header, emptied with the marks. lo's frames take none.
 */
let ingressTypeN: i32 = 0;

@inline function ingressTypeList(): u32 {
  return netScratch() + SCR_NF_INGRESS_TYPE;
}

/** Whether an ingress chain set a packet type on a frame of this burst (the lean paths take the address's). */
@inline export function nfIngressTyped(): bool {
  return ingressTypeN != 0;
}

/** The packet type ingress set on the frame whose network header is at `data`, taken; else `pkt`. */
export function nf_ingress_pkttype(data: u32, pkt: u32): u32 {
  const t = pairTake(ingressTypeList(), ingressTypeN, data);
  if (t < 0) return pkt;
  ingressTypeN--;
  return <u32>t;
}

/** Whether an ingress chain marked a frame of this burst not yet taken (fwd4_lean's rules would route it unmarked). */
@inline export function nfIngressMarked(): bool {
  return ingressMarkN != 0;
}

/**
 * skb->mark of the datagram at `data` (`len` bytes of L3, from `ifindex`) for its input route: as PRE_ROUTING left
 * it while inet hooks are registered (nf_skb_mark), else as a netdev ingress chain set it; 0 on lo.
 */
@inline export function nf_rx_mark(ifindex: u32, data: u32, len: u32): u32 {
  if (load<u32>(NF_GATE_PTR) != 0) return nf_skb_mark(data, len);
  return ingressMarkN != 0 && ifindex != LOOPBACK_IFINDEX ? ingressMarkTake(data) : 0;
}

/** Whether the datagram at `data` was left untracked at ingress; the mark is taken. */
function untrackedTake(data: u32): bool {
  const l = untrackedList();
  for (let i: i32 = 0; i < untrackedN; i++) {
    if (load<u32>(l + (<u32>i << 2)) == data) {
      untrackedN--;
      store<u32>(l + (<u32>i << 2), load<u32>(l + (<u32>untrackedN << 2)));
      return true;
    }
  }
  return false;
}

/**
 * skb->mark of what the output path hands to a device next (__dev_queue_xmit's nf_hook_egress runs on the skb the
 * output path made: SO_MARK, a `meta mark set` at output or postrouting, a ct mark restored, a forwarded packet's
 * from prerouting on): the datagram whose network header is at `egressData` — set as it leaves POST_ROUTING (hookRun)
 * or by a sender that ran no hook (nf_egress_mark) — and the fragment of it being handed on (`egressFrag`:
 * ip_copy_metadata / ip6_copy_metadata copy the mark, nf_egress_frag). Every hook run starts afresh, so a frame
 * no output path vouched for (an ARP or NDP packet the neighbour stage makes, a flowtable's, a fwd / dup) starts its
 * egress chains at 0, as its new skb does. A datagram held for an unresolved neighbour keeps its mark in the queue
 * (neigh.ts: nf_egress_mark_of when queued, nf_egress_held when it leaves): the arp_queue holds the skb itself.
 */
let egressData: u32 = 0;
let egressFrag: u32 = 0;
let egressMark: u32 = 0;
export function nf_egress_mark(data: u32, mark: u32): void {
  egressData = data;
  egressFrag = 0;
  egressMark = mark;
}
/** The mark the frame whose network header is at `l3` would take to its egress chains now (nf_netdev_frame's). */
export function nf_egress_mark_of(l3: u32): u32 {
  return l3 != 0 && (l3 == egressData || l3 == egressFrag) ? egressMark : 0;
}
/**
 * A held frame (network header at `l3`, mark `mark` as nf_egress_mark_of gave when it was queued) leaves now: it is
 * the one the egress chains see with that mark until nf_egress_held_done puts back what was in flight (a neighbour
 * resolved inside another datagram's output). Not nested.
 */
let heldData: u32 = 0;
let heldFrag: u32 = 0;
let heldMark: u32 = 0;
export function nf_egress_held(l3: u32, mark: u32): void {
  heldData = egressData;
  heldFrag = egressFrag;
  heldMark = egressMark;
  egressData = l3;
  egressFrag = 0;
  egressMark = mark;
}
export function nf_egress_held_done(): void {
  egressData = heldData;
  egressFrag = heldFrag;
  egressMark = heldMark;
}
/**
 * The frame whose network header is at `l3` went through its device (netdev_xmit): the mark is not this address's any
 * more (a buffer reused by a frame of no output path's). The datagram's own stays for its next fragment.
 */
export function nf_egress_sent(l3: u32): void {
  if (l3 == egressFrag) egressFrag = 0;
  else if (l3 == egressData) egressData = 0;
}
/** ip_fragment / ip6_fragment: the fragment at `frag` of the datagram at `data` leaves with its mark. */
export function nf_egress_frag(data: u32, frag: u32): void {
  if (data == egressData && data != 0) egressFrag = frag;
}

/**
 * The multicast / broadcast copy at `data` that dev_loopback_xmit hands to netif_rx on its output device (udp_output.ts
 * mcSend4 / mcSend6): its netdev ingress chains start from the mark the clone kept (its record's, as its POST_ROUTING
 * left it), and the mark they leave goes back into the record, which the copy's PRE_ROUTING takes (nf_ct_mc_loop).
 */
let carryData: u32 = 0;
let carryMark: i64 = -1;
export function nf_netdev_carry(data: u32): void {
  carryData = data;
  carryMark = -1;
}
/** The same for a copy sent while no inet hook is registered (no record): its mark `mark`, the socket's. */
export function nf_netdev_carry_mark(data: u32, mark: u32): void {
  carryData = data;
  carryMark = <i64>mark;
}

/** The record of the datagram at `data` (`len` bytes) with mark `mark`: a fresh one (no conntrack) when it has none. */
function recordMarkSet(data: u32, len: u32, mark: u32): void {
  const fh = ctRecord(data, len);
  if (fh == 0) return;
  if (load<u32>(fh + FH_TAG) != (data ^ TAG)) {
    if (mark == 0) return;
    store<u32>(fh + FH_CT, 0);
    store<u32>(fh + FH_TAG + 4, IP_CT_NONE);
    store<u32>(fh + FH_FMAX, 0);
    store<u32>(fh + FH_TAG, data ^ TAG);
  }
  store<u32>(markAt(fh), mark);
}

/**
 * The netdev chains `list` of device `ifindex` at `hook` over the Ethernet frame at `data` (`len` bytes): its network
 * header where the kernel's skb has it there — after the Ethernet header and an outer VLAN tag (skb_vlan_untag
 * takes that out of the packet before either hook). skb->len: from the network header at ingress (eth_type_trans
 * pulled the MAC header), the whole frame less an outer tag at egress. A frame too short for an Ethernet header goes on unseen.
 */
export function nf_netdev_frame(list: u32, hook: u32, ifindex: u32, q: u32, data: u32, len: u32): bool {
  if (len < 14) return true;
  let off: u32 = 14;
  let proto = <u32>load<u16>(data, 12);
  if ((proto == 0x0081 || proto == 0xa888) && len >= 18) {
    proto = <u32>load<u16>(data, 16);
    off += 4;
  }
  const ing = hook == NF_NETDEV_INGRESS;
  const l3 = data + off;
  // skb->mark: at egress what the output path gave it; at ingress 0, but for a looped-back copy its clone's
  let mark: u32 = 0;
  const carried = ing && l3 == carryData && l3 != 0;
  if (!ing) mark = l3 == egressData || l3 == egressFrag ? egressMark : 0;
  else if (carried) {
    carryData = 0;
    mark = carryMark >= 0 ? <u32>carryMark : nf_skb_mark(l3, len - off);
  }
  // at egress skb->len is the frame less an outer tag: the kernel's is out of band there too (skb->vlan_tci: a fwd /
  // dup of a tagged frame from ingress keeps it so, a VLAN device puts its own so, validate_xmit_vlan inserts it
  // after the hook), so only the 14 bytes of the MAC header count (Linux 6.18, measured: a tagged 48-byte datagram
  // fwd'd out of eth1 counts 62 bytes at its egress chain)
  const go = nf_netdev_hook(list, NFPROTO_NETDEV, hook, ing ? ifindex : 0, ing ? 0 : ifindex, q, proto, data, l3, len - off, ing ? 0 : 14, mark, carried);
  if (go && carried && carryMark < 0) recordMarkSet(l3, len - off, load<u32>(nfState() + NFS_MARK));
  return go;
}

/**
 * NF_HOOK(NFPROTO_ARP, NF_ARP_IN / NF_ARP_OUT): the arp family's chains over the ARP packet at `data` (`len`
 * bytes; its frame at `mac`) received on / sent from `ifindex`, queue `q`. At input skb->len is the ARP packet's
 * (with the frame's padding), at output arp_create's whole frame. true: go on; false: dropped or stolen.
 */
export function nf_arp_hook(hook: u32, ifindex: u32, q: u32, mac: u32, data: u32, len: u32): bool {
  const list = nfArpList(hook);
  if (list == 0) return true;
  const out = hook == NF_ARP_OUT;
  return nf_netdev_hook(list, NFPROTO_ARP, hook, out ? 0 : ifindex, out ? ifindex : 0, q, 0x0608, mac, data, len, out ? data - mac : 0, 0, false);
}

/**
 * Where the list of a netdev chain's hook (`hook` NF_NETDEV_*, on device `ifindex`: its record's word) or of an
 * arp chain's (`hook` NF_ARP_LISTS + NF_ARP_*, `ifindex` 0: the table's) is kept; 0 when there is no such place
 * (no device: -19 for the caller; `make` false and no table yet). -22 in `slotErr` for a bad hook / device pair.
 */
function netdevSlot(hook: u32, ifindex: u32, make: bool): u32 {
  slotErr = -22;
  if (hook > NF_ARP_LISTS + NF_ARP_OUT || (ifindex == 0) != (hook >= NF_ARP_LISTS) || netRoot() == 0) return 0;
  if (hook < NF_ARP_LISTS) {
    slotErr = -19;
    const nd = netdevGet(ifindex);
    return nd == 0 ? 0 : nd + ND_NF_INGRESS + (hook << 2);
  }
  slotErr = make ? -12 : -2;
  const t = make ? table() : load<u32>(netRoot() + NR_NF);
  slotTable = t;
  return t == 0 ? 0 : t + HT_ARP_LISTS + ((hook - NF_ARP_LISTS) << 2);
}
let slotErr: i32 = 0;
/** The table an arp slot lies in (netdevSlot: made there on first use, published by the caller). */
let slotTable: u32 = 0;

/**
 * nf_register_net_hook for a netdev chain (`hook` NF_NETDEV_*, on device `ifindex`: its own list) or an arp
 * chain (`hook` NF_ARP_LISTS + NF_ARP_*, `ifindex` 0): slot `arg` at `prio`. 0, -22, -19 (no such device), -12, -28.
 */
export function nf_netdev_hook_register(hook: u32, ifindex: u32, prio: i32, arg: u32): i32 {
  const slot = netdevSlot(hook, ifindex, true);
  if (slot == 0) return slotErr;
  const l = listWith(load<u32>(slot), prio, NFK_CHAIN, arg);
  if (l == 0) return -28;
  listSwap(slot, l);
  if (hook >= NF_ARP_LISTS) publish(slotTable);
  return 0;
}

/**
 * nf_unregister_net_hook for a netdev or arp chain (as registered). 0, -22, -19 (the device is gone, its lists
 * with it: netdev.ts netdev_remove), -2.
 */
export function nf_netdev_hook_unregister(hook: u32, ifindex: u32, prio: i32, arg: u32): i32 {
  const slot = netdevSlot(hook, ifindex, false);
  if (slot == 0) return slotErr;
  const old = load<u32>(slot);
  const l = listWithout(old, prio, NFK_CHAIN, arg);
  if (old == 0 || l == old) return -2;
  listSwap(slot, l);
  if (hook >= NF_ARP_LISTS) publish(slotTable);
  return 0;
}

/** The entries of device `ifindex`'s netdev list at `hook` (NF_NETDEV_*): what each of its frames walks. -19: no device. */
export function nf_netdev_hook_count(hook: u32, ifindex: u32): i32 {
  const slot = hook < NF_ARP_LISTS && ifindex != 0 ? netdevSlot(hook, ifindex, false) : 0;
  if (slot == 0) return hook < NF_ARP_LISTS && ifindex != 0 ? -19 : -22;
  const l = load<u32>(slot);
  return l == 0 ? 0 : <i32>load<u32>(l);
}

/** The NAT chains registered for (pf, hook): their list, 0 when none. */
@inline export function natList(t: u32, pfi: u32, hook: u32): u32 {
  return load<u32>(t + HT_NAT_LISTS + ((pfi * NF_INET_NUMHOOKS + hook) << 2));
}

// ---- Registration (the control plane; one writer) ----

function table(): u32 {
  let t = load<u32>(netRoot() + NR_NF);
  if (t != 0) return t;
  t = arena_alloc(HT_SIZE, 64);
  if (t == 0) return 0;
  memory.fill(t, 0, HT_SIZE);
  return t;
}

function publish(t: u32): void {
  store<u32>(t + HT_GEN, load<u32>(t + HT_GEN) + 1);
  store<u32>(netRoot() + NR_NF, t);
  // The gate opens with the first inet registration (conntrack, NAT, a chain at an IPv4/IPv6 hook) and
  // stays open: the inet sites and the lean paths (nfActive) look at it. Netdev chains are found through their
  // device's record (nfNetdevList) and arp chains through the net root (nfArpList), so a ruleset of those alone
  // keeps every inet site at one load.
  if (load<u32>(NF_GATE_PTR) != 0 || inetUsed(t)) store<u32>(NF_GATE_PTR, t);
}

/** Anything of the inet families in table `t`: conntrack's mask, a chain or NAT list, conntrack's or NAT's users. */
function inetUsed(t: u32): bool {
  if (load<u32>(t + HT_CT_PF) != 0) return true;
  for (let o = HT_LISTS; o < HT_ARP_LISTS; o += 4) if (load<u32>(t + o) != 0) return true;
  return false;
}

@inline function pfIndex(pf: u32): i32 {
  return pf == NFPROTO_IPV4 ? 0 : pf == NFPROTO_IPV6 ? 1 : -1;
}

// A hook list is never written once published: a change makes a copy (listWith / listWithout, blocks of
// reclaim.ts), publishes it with one store (listSwap) and retires the old one, which goes back to the free
// lists once every worker has passed a quiescent point (a frame walking it finishes first), as the kernel
// frees a replaced nf_hook_entries after synchronize_net.

/** Bytes of a list of `n` entries: its count, then the entries. */
@inline function listBytes(n: u32): u32 {
  return 4 + n * ENTRY_SIZE;
}

/**
 * Publish list `l` (0: none) at `slot` and retire the one it replaces, its grace period started at once
 * (left in the open batch, it would wait for the next reclaim anyone makes, and hold back the grace
 * periods of whatever pools stamp meanwhile — conntrack's and the flowtable's deleted entries).
 */
function listSwap(slot: u32, l: u32): void {
  const old = load<u32>(slot);
  store<u32>(slot, l);
  if (old == 0 || old == l) return;
  rc_retire(old, listBytes(load<u32>(old)));
  rc_reclaim();
}

/** A device's netdev list (its record's ND_NF_INGRESS / ND_NF_EGRESS) after the device left every table: retired. */
export function nfListRetire(l: u32): void {
  if (l != 0) rc_retire(l, listBytes(load<u32>(l)));
}

/** A copy of `old` (0: empty) with (prio, kind, arg) added after the entries of lower or equal priority. */
function listWith(old: u32, prio: i32, kind: u32, arg: u32): u32 {
  const n: u32 = old == 0 ? 0 : load<u32>(old);
  if (n >= LIST_MAX) return 0;
  const l = rc_alloc(listBytes(n + 1));
  if (l == 0) return 0;
  let j: u32 = 0;
  let put = false;
  for (let i: u32 = 0; i < n; i++) {
    const e = old + 4 + i * ENTRY_SIZE;
    if (!put && load<i32>(e) > prio) {
      writeEntry(l + 4 + j * ENTRY_SIZE, prio, kind, arg);
      j++;
      put = true;
    }
    memory.copy(l + 4 + j * ENTRY_SIZE, e, ENTRY_SIZE);
    j++;
  }
  if (!put) writeEntry(l + 4 + j * ENTRY_SIZE, prio, kind, arg);
  store<u32>(l, n + 1);
  return l;
}

@inline function writeEntry(e: u32, prio: i32, kind: u32, arg: u32): void {
  store<i32>(e, prio);
  store<u32>(e, kind, 4);
  store<u32>(e, arg, 8);
}

/** A copy of `old` without its first entry equal to (prio, kind, arg); `old` itself when there is none. */
function listWithout(old: u32, prio: i32, kind: u32, arg: u32): u32 {
  if (old == 0) return 0;
  const n = load<u32>(old);
  let at: i32 = -1;
  for (let i: u32 = 0; i < n; i++) {
    const e = old + 4 + i * ENTRY_SIZE;
    if (load<i32>(e) == prio && load<u32>(e, 4) == kind && load<u32>(e, 8) == arg) {
      at = <i32>i;
      break;
    }
  }
  if (at < 0) return old;
  if (n == 1) return 0;
  const l = rc_alloc(listBytes(n - 1));
  if (l == 0) return old;
  let j: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    if (<i32>i == at) continue;
    memory.copy(l + 4 + j * ENTRY_SIZE, old + 4 + i * ENTRY_SIZE, ENTRY_SIZE);
    j++;
  }
  store<u32>(l, n - 1);
  return l;
}

function addEntry(t: u32, pfi: u32, hook: u32, prio: i32, kind: u32, arg: u32): i32 {
  const slot = t + (kind == NFK_NAT_CHAIN ? HT_NAT_LISTS : HT_LISTS) + ((pfi * NF_INET_NUMHOOKS + hook) << 2);
  const l = listWith(load<u32>(slot), prio, kind, arg);
  if (l == 0) return -28;
  listSwap(slot, l);
  return 0;
}

// Conntrack's hooks are in a namespace's lists only while something uses them (nf_conntrack_proto.c
// nf_ct_netns_get / nf_ct_netns_put): the first user of a family registers ipv4_conntrack_ops /
// ipv6_conntrack_ops and enables nf_defrag_ipv4 / nf_defrag_ipv6, the last one's put unregisters them
// (users4 / users6 count them; NFPROTO_INET takes both). nftables' users are expressions: ct (get and
// set), nat / masquerade / redirect and flow offload take a reference in their init and drop it when
// their rule goes; a base chain of any type takes none (Linux 6.18: a table with only a NAT chain tracks
// nothing). With no user a fragment reaches local delivery's own reassembly (ip_local_deliver /
// ipv6_frag_rcv, counting Ip6:ReasmReqds, which nf_ct_frag6_gather does not) or is forwarded as it is.
// The table of connections stays (its entries time out as before: `conntrack -L` still lists them).

// Conntrack's entries, one per column (made once, at start-up: a StaticArray literal in a function is a new
// allocation on every call, which the stub runtime never frees)
const CT_HOOKS: StaticArray<u32> = [NF_INET_PRE_ROUTING, NF_INET_PRE_ROUTING, NF_INET_LOCAL_OUT, NF_INET_POST_ROUTING, NF_INET_LOCAL_IN];
const CT_PRIOS: StaticArray<i32> = [NF_IP_PRI_CONNTRACK, NF_IP_PRI_CONNTRACK_DEFRAG, NF_IP_PRI_CONNTRACK, NF_IP_PRI_CONNTRACK_CONFIRM, NF_IP_PRI_CONNTRACK_CONFIRM];
const CT_KINDS: StaticArray<u32> = [NFK_CT_IN, NFK_DEFRAG, NFK_CT_IN, NFK_CT_CONFIRM, NFK_CT_CONFIRM];
// NAT's (nf_nat_ipv4_ops / nf_nat_ipv6_ops)
const NAT_HOOKS: StaticArray<u32> = [NF_INET_PRE_ROUTING, NF_INET_LOCAL_OUT, NF_INET_POST_ROUTING, NF_INET_LOCAL_IN];
const NAT_PRIOS: StaticArray<i32> = [NF_IP_PRI_NAT_DST, NF_IP_PRI_NAT_DST, NF_IP_PRI_NAT_SRC, NF_IP_PRI_NAT_SRC];

/** The entries of family index `p` in `hooks` / `prios` (kind `kind`, or by `kinds`) added to (or, `on` false, taken out of) the lists. */
function opsHooks(t: u32, p: u32, on: bool, hooks: StaticArray<u32>, prios: StaticArray<i32>, kinds: StaticArray<u32> | null, kind: u32): i32 {
  let e: i32 = 0;
  for (let i = 0; i < hooks.length; i++) {
    const k = kinds != null ? kinds[i] : kind;
    if (on) {
      e |= addEntry(t, p, hooks[i], prios[i], k, 0);
    } else {
      const slot = t + HT_LISTS + ((p * NF_INET_NUMHOOKS + hooks[i]) << 2);
      listSwap(slot, listWithout(load<u32>(slot), prios[i], k, 0));
    }
  }
  return e;
}

/** The conntrack entries of family index `p` added to (or, `on` false, taken out of) the lists. */
@inline function ctHooks(t: u32, p: u32, on: bool): i32 {
  return opsHooks(t, p, on, CT_HOOKS, CT_PRIOS, CT_KINDS, 0);
}

/**
 * nf_nat_register_fn for family `pf`: a NAT base chain more. NAT's four steps (destination at PRE_ROUTING
 * and LOCAL_OUT, -100; source at POST_ROUTING and LOCAL_IN, 100) are in the family's lists while it has
 * one (nat_proto_net users), conntrack or not (with none a packet has no entry and the step passes it):
 * without them a connection gets no null binding and its NAT, made while a NAT chain was there, is no
 * longer applied. 0 or -errno.
 */
export function nf_nat_register_fn(pf: u32): i32 {
  const pfi = pfIndex(pf);
  if (pfi < 0 || netRoot() == 0) return -22;
  const t = table();
  if (t == 0) return -12;
  const users = t + HT_NAT_USERS + (<u32>pfi << 2);
  if (load<u32>(users) == 0) {
    if (opsHooks(t, <u32>pfi, true, NAT_HOOKS, NAT_PRIOS, null, NFK_NAT) != 0) return -28;
    publish(t);
  }
  store<u32>(users, load<u32>(users) + 1);
  return 0;
}

/**
 * A user less of family `pf` in the count at `at` (HT_CT_USERS, HT_NAT_USERS): 1 when it was the last
 * (the caller takes its entries out), 0 when others remain, -22 (bad family), -2 (no user).
 */
function userPut(pf: u32, at: u32): i32 {
  const pfi = pfIndex(pf);
  if (pfi < 0 || netRoot() == 0) return -22;
  const t = load<u32>(netRoot() + NR_NF);
  if (t == 0) return -2;
  const users = t + at + (<u32>pfi << 2);
  const n = load<u32>(users);
  if (n == 0) return -2;
  store<u32>(users, n - 1);
  return n == 1 ? 1 : 0;
}

/** nf_nat_unregister_fn for family `pf`: a NAT base chain less; the last one's takes NAT's steps out. 0, -22, -2 (no user). */
export function nf_nat_unregister_fn(pf: u32): i32 {
  const r = userPut(pf, HT_NAT_USERS);
  if (r != 1) return r;
  const t = load<u32>(netRoot() + NR_NF);
  opsHooks(t, <u32>pfIndex(pf), false, NAT_HOOKS, NAT_PRIOS, null, NFK_NAT);
  publish(t);
  return 0;
}

/**
 * nf_ct_netns_get for family `pf` (NFPROTO_IPV4 / NFPROTO_IPV6): a user more; the first registers
 * nf_conntrack_in at PRE_ROUTING and LOCAL_OUT (-200), the defragmentation at PRE_ROUTING (-400),
 * confirm at POST_ROUTING and LOCAL_IN (INT_MAX). The table is made on first use
 * (nf_ct_enable, with `seed` for its hash). 0 or -errno.
 */
export function nf_ct_netns_get(pf: u32, seed: u32): i32 {
  const pfi = pfIndex(pf);
  if (pfi < 0 || netRoot() == 0) return -22;
  const r = nf_ct_enable(seed);
  if (r != 0 && r != -17) return r;
  const t = table();
  if (t == 0) return -12;
  const users = t + HT_CT_USERS + (<u32>pfi << 2);
  const bit: u32 = 1 << <u32>pfi;
  if ((load<u32>(t + HT_CT_PF) & bit) == 0) {
    if (ctHooks(t, <u32>pfi, true) != 0) return -28;
    store<u32>(t + HT_CT_PF, load<u32>(t + HT_CT_PF) | bit);
    publish(t);
  }
  store<u32>(users, load<u32>(users) + 1);
  return 0;
}

/** nf_ct_netns_put for family `pf`: a user less; the last one's put takes conntrack's entries out. 0, -22, -2 (no user). */
export function nf_ct_netns_put(pf: u32): i32 {
  const r = userPut(pf, HT_CT_USERS);
  if (r != 1) return r;
  const t = load<u32>(netRoot() + NR_NF);
  const pfi = pfIndex(pf);
  ctHooks(t, <u32>pfi, false);
  store<u32>(t + HT_CT_PF, load<u32>(t + HT_CT_PF) & ~(1 << <u32>pfi));
  publish(t);
  return 0;
}

/** Conntrack's users of family `pf` (for tests), -22 for a bad family. */
export function nf_ct_netns_users(pf: u32): i32 {
  const pfi = pfIndex(pf);
  if (pfi < 0 || netRoot() == 0) return -22;
  const t = load<u32>(netRoot() + NR_NF);
  return t == 0 ? 0 : <i32>load<u32>(t + HT_CT_USERS + (<u32>pfi << 2));
}

/**
 * nf_register_net_hook for an nftables chain: `kind` NFK_CHAIN (run on every packet at `prio`) or
 * NFK_NAT_CHAIN (run by NAT for a connection's first packet), `arg` the evaluator's chain handle. It
 * brings no conntrack (the chain's ct / nat expressions take that: nf_ct_netns_get). 0, -22 (bad pf /
 * hook / kind), -12, -28 (full).
 */
export function nf_hook_register(pf: u32, hook: u32, prio: i32, kind: u32, arg: u32): i32 {
  const pfi = pfIndex(pf);
  if (pfi < 0 || hook >= NF_INET_NUMHOOKS || (kind != NFK_CHAIN && kind != NFK_NAT_CHAIN && kind != NFK_FLOW_ADD && kind != NFK_ROUTE_CHAIN) || netRoot() == 0) return -22;
  const t = table();
  if (t == 0) return -12;
  const e = addEntry(t, <u32>pfi, hook, prio, kind, arg);
  if (e != 0) return e;
  publish(t);
  return 0;
}

/** nf_unregister_net_hook: the entry registered with these values out. 0, -22, -2 (ENOENT). */
export function nf_hook_unregister(pf: u32, hook: u32, prio: i32, kind: u32, arg: u32): i32 {
  const pfi = pfIndex(pf);
  if (pfi < 0 || hook >= NF_INET_NUMHOOKS || (kind != NFK_CHAIN && kind != NFK_NAT_CHAIN && kind != NFK_FLOW_ADD && kind != NFK_ROUTE_CHAIN)) return -22;
  const t = load<u32>(netRoot() + NR_NF);
  if (t == 0) return -2;
  const slot = t + (kind == NFK_NAT_CHAIN ? HT_NAT_LISTS : HT_LISTS) + ((<u32>pfi * NF_INET_NUMHOOKS + hook) << 2);
  const old = load<u32>(slot);
  const l = listWithout(old, prio, kind, arg);
  if (l == old && old != 0) return -2;
  if (old == 0) return -2;
  listSwap(slot, l);
  publish(t);
  return 0;
}

/** Entries at (pf, hook) of the main list (`nat` 1: the NAT chains), for tests and `nft list hooks`. */
export function nf_hook_count(pf: u32, hook: u32, nat: u32): i32 {
  const pfi = pfIndex(pf);
  if (pfi < 0 || hook >= NF_INET_NUMHOOKS) return -22;
  const t = load<u32>(netRoot() + NR_NF);
  if (t == 0) return 0;
  const l = load<u32>(t + (nat != 0 ? HT_NAT_LISTS : HT_LISTS) + ((<u32>pfi * NF_INET_NUMHOOKS + hook) << 2));
  return l == 0 ? 0 : <i32>load<u32>(l);
}
