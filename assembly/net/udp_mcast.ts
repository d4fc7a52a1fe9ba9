// Multicast group membership of UDP sockets and of the devices they joined on (net/ipv4/igmp.c's
// ip_mc_join_group / ip_mc_leave_group / ip_mc_source / ip_mc_sf_allow / ip_check_mc_rcu, and
// net/ipv6/mcast.c's ipv6_sock_mc_join / ipv6_sock_mc_drop / ip6_mc_source / inet6_mc_check /
// ipv6_chk_mcast_addr), the socket's multicast send options (IP_MULTICAST_IF / LOOP / ALL and the IPv6
// ones), and the group reports a join sends (one IGMPv3 / MLDv2 state-change report).
//
// Reads/sets: the multicast root (hung off the L4 root, sock.ts L4_MCAST), a socket's multicast block
// (sock.ts SKX_MCAST; 0 while the socket never touched a multicast option: loop and "all" on, no groups).
// The control plane changes everything (setsockopt-like exports, through sock.ts's sk_setsockopt and
// sk_mc_op); the data path only reads: ipv4_rcv / ipv6_rcv ask whether a device is in a group
// (mcDevAllow4 / mcDevHas6), udp.ts whether a socket takes a group's datagram (mcSockAllow4 / 6),
// udp_output.ts for IP_MULTICAST_IF and LOOP.
//
// ---- The multicast root (MR_*) ----
//   +0 u32 device groups: MG_SLOTS × u32 chain heads by (ifindex, group)   +4 u32 device groups live
//   +8 u32 newest device group (the list `ip maddr` walks, newest first as in_dev->mc_list)
//   +12 u32 the first report still to repeat (PD_*)
//
// ---- A device group (DG_*: ip_mc_list / ifmcaddr6): one per (device, family, group) a socket joined ----
//   +0 u32 next in its hash chain   +4 u32 ifindex   +8 u8 family   +12 u32 users (memberships on it)
//   +16 group (16; IPv4 in the first 4)   +32 u32 first membership (through MB_NEXT_DG)
//   +36 u32 next in the newest-first list   +40 u32 previous in it
//
// ---- A membership (MB_*: ip_mc_socklist / ipv6_mc_socklist) ----
//   +0 u32 next of the socket   +4 u32 next of the device group   +8 u32 ifindex   +12 u8 family
//   +13 u8 filter mode (MCAST_EXCLUDE 0: all but the listed sources; MCAST_INCLUDE 1: only them)
//   +16 group (16)   +32 u32 imr_address (IPv4: the interface address the join named)
//   +36 u32 the socket record   +40 u32 source list (0: none): +0 u32 count, then count × 4 / 16 bytes,
//   replaced whole (a reader sees the old list or the new one)   +44 u32 its device group
//
// ---- A socket's multicast block (SM_*) ----
//   +0 u8 SMF_* flags   +4 u32 IP_MULTICAST_IF ifindex (mc_index)   +8 u32 its address (mc_addr)
//   +12 u32 IPV6_MULTICAST_IF (mcast_oif)   +16 u32 first membership   +20 u32 IPv4 memberships
//   +24 u16 IPV6_MULTICAST_HOPS + 1 (0: the default, 1)
//
// Filters (RFC 3376 3.2 / RFC 3810 4.2): a socket's membership admits a source unless its mode
// excludes it (EXCLUDE and listed, or INCLUDE and not listed). A device admits a source when any
// membership on the group does (ip_check_mc_rcu's sfcount arithmetic is that union). IPv6 asks the
// device for the group alone in ip6_mc_input, then with the source before a final protocol
// (ip6_protocol_deliver_rcu: InDiscards, IP_INADDRERRORS; local.ts), and before looping a send back.
// A socket without a membership for the group takes its datagrams while IP_MULTICAST_ALL /
// IPV6_MULTICAST_ALL is on, as long as the device is in the group for someone: IPV6_MULTICAST_ALL is on
// by default, IP_MULTICAST_ALL only on AF_INET sockets (inet6_create leaves it off).
// A device that goes away takes its groups (mc_dev_gone); the sockets keep their memberships. Not done:
// `ip maddr` (the kernel's own
// groups beside these, in the order they were joined) — SocketTable.deviceGroups lists these.
//
// Reports (checked byte for byte against the kernel): the join that makes a device group sends one
// IGMPv3 report (to 224.0.0.22, TTL 1, router alert, TOS 0xc0, DF, IP ID 0 as ip_select_ident gives a DF
// datagram without a socket) or MLDv2 report (to ff02::16, hop limit 1, hop-by-hop router alert, from
// the link-local address or ::) with the group's state-change record, as the kernel's first report
// (igmp_ifc_event / mld_ifc_event): TO_EX({}) for a group joined whole, ALLOW(source) for a
// source-specific one; the last leave sends TO_IN({}) / BLOCK(sources); through LOCAL_OUT and POST_ROUTING while
// hooks are registered (reportOut), then repeated robustness - 1 times on the stack clock as the kernel
// schedules its repeats (see Repeats below). Not done: the kernel carries the records of every group of
// the device still due in each report (one report for two changes close together, here one each);
// source changes on a group that stays are not reported;
// no answers to queries. 224.0.0.1, ff02::1 and scopes under link-local send none (igmp_ifc_event
// skips IGMP_ALL_HOSTS; MAF_NOREPORT).

import { copyBytes, fillBytes } from '../bytes';
import { FRAME_SIZE, XDP_PACKET_HEADROOM } from '../abi';
import { frameAlloc } from '../umem';
import { JIFFY_MS, mibInc, netdevGet, netFree, netNow, netRoot, sysctl } from './core';
import {
  AF_INET, AF_INET6, FR_OIF, ND_ADDR4, ND_FLAGS, IFF_UP, IFF_LOOPBACK, MIB_IP_OUT_REQUESTS, MIB_IP6_OUT_REQUESTS,
  ADDR_LIST_HEADER, AE_ADDR, SK_BOUND_DEV_IF, SK_FAMILY, NF_GATE_PTR, ND_CONF4, ND_CONF6, CONF4_IGMPV3_UNSOLICITED_REPORT_INTERVAL,
  CONF6_MLDV2_UNSOLICITED_REPORT_INTERVAL, SYSCTL_IGMP_QRV, SYSCTL_MLD_QRV,
} from './abi';
import { ETH_HLEN, ETH_P_IP, ETH_P_IPV6, ipv4IsMulticast, ipv6IsMulticast, ipv6McScope, stBe16, stBe32, IPPROTO_IGMP, IPPROTO_ICMPV6 } from './inet';
import { csumAdd, csumFinish, csumIpv6Pseudo } from './csum';
import { rc_alloc, rc_retire } from './reclaim';
import { inet_ifa_lookup, ipv6_get_lladdr } from './netdev';
import { ip_route_output, ip6_route_output, OUT_RES } from './output';
import { neigh_output } from './neigh';
import { NF_INET_LOCAL_OUT, NF_INET_POST_ROUTING, nf_frag_geo, nf_hook_slow } from './netfilter';
import { EADDRINUSE, EADDRNOTAVAIL, EINVAL, ENOBUFS, ENODEV, ENOMEM, ENOPROTOOPT, EOPNOTSUPP } from '../maps/uapi';
import { l4Root, L4_MCAST } from './sock';

const MG_SLOTS: u32 = 256;
const MR_GROUPS: u32 = 0;
const MR_LIVE: u32 = 4;
const MR_NEWEST: u32 = 8;
const MR_PEND: u32 = 12; // the reports still to repeat (PD_*), newest first
const MR_SIZE: u32 = 16;

const DG_NEXT: u32 = 0;
const DG_IFINDEX: u32 = 4;
const DG_FAMILY: u32 = 8;
const DG_USERS: u32 = 12;
const DG_GROUP: u32 = 16;
const DG_FIRST: u32 = 32;
const DG_ALL_NEXT: u32 = 36;
const DG_ALL_PREV: u32 = 40;
const DG_SIZE: u32 = 64;

const MB_NEXT_SK: u32 = 0;
const MB_NEXT_DG: u32 = 4;
const MB_IFINDEX: u32 = 8;
const MB_FAMILY: u32 = 12;
const MB_MODE: u32 = 13;
const MB_GROUP: u32 = 16;
const MB_IFADDR: u32 = 32;
const MB_SK: u32 = 36;
const MB_SRCS: u32 = 40;
const MB_DG: u32 = 44;
const MB_SIZE: u32 = 64;

const SM_FLAGS: u32 = 0;
const SM_MC_INDEX: u32 = 4;
const SM_MC_ADDR: u32 = 8;
const SM_MC6_OIF: u32 = 12;
const SM_FIRST: u32 = 16;
const SM_COUNT4: u32 = 20;
const SM_MC6_HOPS: u32 = 24; // u16 IPV6_MULTICAST_HOPS + 1 (0: never set)
const SM_SIZE: u32 = 32;
const SMF_NO_LOOP: u8 = 1; //   IP_MULTICAST_LOOP 0
const SMF_NO_ALL: u8 = 2; //    IP_MULTICAST_ALL 0
const SMF6_NO_LOOP: u8 = 4; //  IPV6_MULTICAST_LOOP 0
const SMF6_NO_ALL: u8 = 8; //   IPV6_MULTICAST_ALL 0

export const MCAST_EXCLUDE: u32 = 0;
export const MCAST_INCLUDE: u32 = 1;
const IGMP_MAX_MEMBERSHIPS: u32 = 20; // net.ipv4.igmp_max_memberships
const IGMP_MAX_MSF: u32 = 10; //        net.ipv4.igmp_max_msf
const MLD_MAX_MSF: u32 = 64; //         net.ipv6.mld_max_msf
const INADDR_ALLHOSTS: u32 = 0x010000e0; // 224.0.0.1 as stored

/** sk_mc_op's operations: the setsockopt each is. */
export const MC_JOIN: u32 = 1; //         IP_ADD_MEMBERSHIP / IPV6_ADD_MEMBERSHIP (MCAST_JOIN_GROUP)
export const MC_LEAVE: u32 = 2; //        IP_DROP_MEMBERSHIP / IPV6_DROP_MEMBERSHIP
export const MC_JOIN_SOURCE: u32 = 3; //  IP_ADD_SOURCE_MEMBERSHIP / MCAST_JOIN_SOURCE_GROUP
export const MC_LEAVE_SOURCE: u32 = 4; // IP_DROP_SOURCE_MEMBERSHIP / MCAST_LEAVE_SOURCE_GROUP
export const MC_BLOCK: u32 = 5; //        IP_BLOCK_SOURCE / MCAST_BLOCK_SOURCE
export const MC_UNBLOCK: u32 = 6; //      IP_UNBLOCK_SOURCE / MCAST_UNBLOCK_SOURCE

// socket option codes (sock.ts's level << 8 | optname)
export const SKO_IP_MULTICAST_IF: u32 = 0x020;
export const SKO_IP_MULTICAST_LOOP: u32 = 0x022;
export const SKO_IP_MULTICAST_ALL: u32 = 0x031;
export const SKO_IPV6_MULTICAST_IF: u32 = 0x2911;
export const SKO_IPV6_MULTICAST_HOPS: u32 = 0x2912;
export const SKO_IPV6_MULTICAST_LOOP: u32 = 0x2913;
export const SKO_IPV6_MULTICAST_ALL: u32 = 0x291d;

// ---- Roots ----

/** The L4 root's word holding the multicast root (0 while there is no L4 root). */
@inline function rootSlot(): u32 {
  if (netRoot() == 0) return 0;
  const l = l4Root();
  return l == 0 ? 0 : l + L4_MCAST;
}

@inline function mcRoot(): u32 {
  const s = rootSlot();
  return s == 0 ? 0 : load<u32>(s);
}

function mcRootMake(slot: u32): u32 {
  let r = load<u32>(slot);
  if (r != 0) return r;
  r = rc_alloc(MR_SIZE);
  const g = rc_alloc(MG_SLOTS * 4);
  if (r == 0 || g == 0) return 0;
  store<u32>(r + MR_GROUPS, g);
  store<u32>(slot, r);
  return r;
}

@inline function addrLen(family: u32): u32 {
  return family == AF_INET6 ? 16 : 4;
}

@inline function addrEq(a: u32, b: u32, family: u32): bool {
  if (family == AF_INET) return load<u32>(a) == load<u32>(b);
  return load<u64>(a) == load<u64>(b) && load<u64>(a + 8) == load<u64>(b + 8);
}

@inline function groupSlot(r: u32, ifindex: u32, family: u32, group: u32): u32 {
  return groupSlotOf(r, ifindex, load<u32>(group + (family == AF_INET6 ? 12 : 0)));
}

/** The hash chain of (ifindex, the group's last word `w`). */
@inline function groupSlotOf(r: u32, ifindex: u32, w: u32): u32 {
  let h = ifindex * 0x9e3779b1 ^ w;
  h ^= h >> 15;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  return load<u32>(r + MR_GROUPS) + ((h & (MG_SLOTS - 1)) << 2);
}

/** The device group (ifindex, family, the group at `group`), 0 when the device is not in it for a socket. */
function dgFind(r: u32, ifindex: u32, family: u32, group: u32): u32 {
  let g = load<u32>(groupSlot(r, ifindex, family, group));
  while (g != 0) {
    if (load<u32>(g + DG_IFINDEX) == ifindex && <u32>load<u8>(g + DG_FAMILY) == family && addrEq(g + DG_GROUP, group, family)) return g;
    g = load<u32>(g + DG_NEXT);
  }
  return 0;
}

/** dgFind for an IPv4 group given as its value (the data path: no address in memory needed). */
function dgFind4(r: u32, ifindex: u32, group: u32): u32 {
  let g = load<u32>(groupSlotOf(r, ifindex, group));
  while (g != 0) {
    if (load<u32>(g + DG_IFINDEX) == ifindex && <u32>load<u8>(g + DG_FAMILY) == AF_INET && load<u32>(g + DG_GROUP) == group) return g;
    g = load<u32>(g + DG_NEXT);
  }
  return 0;
}

/** mbAdmits for an IPv4 source given as its value. */
function mbAdmits4(m: u32, src: u32): bool {
  const l = load<u32>(m + MB_SRCS);
  const include = <u32>load<u8>(m + MB_MODE) == MCAST_INCLUDE;
  if (l == 0) return !include;
  const n = load<u32>(l);
  let found = false;
  for (let i: u32 = 0; i < n; i++) {
    if (load<u32>(l + 4 + (i << 2)) == src) {
      found = true;
      break;
    }
  }
  return include ? found : !found;
}

/** Does membership `m` let datagrams from `src` through (its filter mode and source list)? */
function mbAdmits(m: u32, src: u32, family: u32): bool {
  const l = load<u32>(m + MB_SRCS);
  const include = <u32>load<u8>(m + MB_MODE) == MCAST_INCLUDE;
  if (l == 0) return !include;
  const n = load<u32>(l);
  const sz = addrLen(family);
  let found = false;
  for (let i: u32 = 0; i < n; i++) {
    if (addrEq(l + 4 + i * sz, src, family)) {
      found = true;
      break;
    }
  }
  return include ? found : !found;
}

// ---- The data path's questions ----

/**
 * ip_check_mc_rcu for the groups sockets joined: is device `ifindex` in IPv4 group `group` (as stored)
 * for a datagram from `saddr` (0: unspecified, tentatively yes) of protocol `proto` (IGMP: always)?
 */
export function mcDevAllow4(ifindex: u32, group: u32, saddr: u32, proto: u32): bool {
  const r = mcRoot();
  if (r == 0 || load<u32>(r + MR_LIVE) == 0) return false;
  const g = dgFind4(r, ifindex, group);
  if (g == 0) return false;
  if (proto == IPPROTO_IGMP || saddr == 0) return true;
  for (let m = load<u32>(g + DG_FIRST); m != 0; m = load<u32>(m + MB_NEXT_DG)) if (mbAdmits4(m, saddr)) return true;
  return false;
}

/** ipv6_chk_mcast_addr for the groups sockets joined (`src` 0: the group alone, as ip6_mc_input asks). */
export function mcDevHas6(ifindex: u32, group: u32, src: u32): bool {
  const r = mcRoot();
  if (r == 0 || load<u32>(r + MR_LIVE) == 0) return false;
  const g = dgFind(r, ifindex, AF_INET6, group);
  if (g == 0) return false;
  if (src == 0 || (load<u64>(src) | load<u64>(src + 8)) == 0) return true;
  for (let m = load<u32>(g + DG_FIRST); m != 0; m = load<u32>(m + MB_NEXT_DG)) if (mbAdmits(m, src, AF_INET6)) return true;
  return false;
}

/** ip_mc_sf_allow: does the socket whose multicast block is `smc` (`v6sk`: an AF_INET6 one) take the IPv4 datagram to `daddr` from `saddr` that came in on `dif`? */
export function mcSockAllow4(smc: u32, v6sk: bool, daddr: u32, saddr: u32, dif: u32): bool {
  if (!ipv4IsMulticast(daddr)) return true;
  // no memberships: IP_MULTICAST_ALL, on for an AF_INET socket (inet_create), off for AF_INET6 (inet6_create)
  if (smc == 0) return !v6sk;
  for (let m = load<u32>(smc + SM_FIRST); m != 0; m = load<u32>(m + MB_NEXT_SK)) {
    if (<u32>load<u8>(m + MB_FAMILY) == AF_INET && load<u32>(m + MB_GROUP) == daddr && load<u32>(m + MB_IFINDEX) == dif) {
      return mbAdmits4(m, saddr);
    }
  }
  return (load<u8>(smc + SM_FLAGS) & SMF_NO_ALL) == 0;
}

/** inet6_mc_check: does socket `sk` (its multicast block `smc`) take the datagram to group `daddr` from `saddr`? */
export function mcSockAllow6(smc: u32, daddr: u32, saddr: u32): bool {
  if (smc == 0) return true;
  for (let m = load<u32>(smc + SM_FIRST); m != 0; m = load<u32>(m + MB_NEXT_SK)) {
    if (<u32>load<u8>(m + MB_FAMILY) == AF_INET6 && addrEq(m + MB_GROUP, daddr, AF_INET6)) return mbAdmits(m, saddr, AF_INET6);
  }
  return (load<u8>(smc + SM_FLAGS) & SMF6_NO_ALL) == 0;
}

/** IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP (sk_mc_loop) of the socket whose multicast block is `smc`. */
export function mcLoop(smc: u32, v6: bool): bool {
  return smc == 0 || (load<u8>(smc + SM_FLAGS) & (v6 ? SMF6_NO_LOOP : SMF_NO_LOOP)) == 0;
}

/** inet->mc_index / np->mcast_oif (0: none). */
export function mcOif(smc: u32, v6: bool): u32 {
  return smc == 0 ? 0 : load<u32>(smc + (v6 ? SM_MC6_OIF : SM_MC_INDEX));
}

/** np->mcast_hops of the socket whose multicast block is `smc` (IPV6_DEFAULT_MCASTHOPS 1 until set). */
export function mcHops6(smc: u32): u32 {
  const h = smc == 0 ? 0 : <u32>load<u16>(smc + SM_MC6_HOPS);
  return h == 0 ? 1 : h - 1;
}

/** inet->mc_addr (0: none). */
export function mcAddr(smc: u32): u32 {
  return smc == 0 ? 0 : load<u32>(smc + SM_MC_ADDR);
}

// The control plane's address temporaries (one thread; the data path needs none)
let tmpBuf: u32 = 0;
function mcTmp(): u32 {
  if (tmpBuf == 0) tmpBuf = rc_alloc(64);
  return tmpBuf;
}

// ---- The control plane: the socket's block ----

/** The socket's multicast block, made on first use (0 when memory ran out). */
function smcOf(sk: u32, slotOfSk: u32, make: bool): u32 {
  let b = load<u32>(slotOfSk);
  if (b != 0 || !make) return b;
  b = rc_alloc(SM_SIZE);
  if (b == 0) return 0;
  if (<u32>load<u8>(sk + SK_FAMILY) == AF_INET6) store<u8>(b + SM_FLAGS, SMF_NO_ALL); // inet6_create leaves MC_ALL off
  store<u32>(slotOfSk, b);
  return b;
}

/** ip_dev_find: the device that has IPv4 address `addr`, 0 when none. */
function devByAddr4(addr: u32): u32 {
  for (let i: u32 = 1; i < 4096; i++) {
    if (netdevGet(i) != 0 && inet_ifa_lookup(i, addr) != 0) return i;
  }
  return 0;
}

/**
 * ip_mc_find_dev: the device a join names (its ifindex, else its address), else the route to the
 * group's; 0 when none.
 */
function findDev4(group: u32, ifaddr: u32, ifindex: u32): u32 {
  if (ifindex != 0) return netdevGet(ifindex) != 0 && load<u32>(netdevGet(ifindex) + ND_ADDR4) != 0 ? ifindex : 0;
  if (ifaddr != 0) return devByAddr4(ifaddr);
  if (!ip_route_output(group, 0, 0, 17, 0, 0, false, 0, 0, 0)) return 0;
  return load<u32>(OUT_RES() + FR_OIF);
}

/** ipv6_sock_mc_join's device: `ifindex`, else rt6_lookup's for the group. 0 when none. */
function findDev6(group: u32, ifindex: u32): u32 {
  if (ifindex != 0) return netdevGet(ifindex) != 0 ? ifindex : 0;
  const src = mcTmp() + 32;
  fillBytes(src, 0, 16);
  if (!ip6_route_output(group, src, 17, 0, 0, 0, false, false, 0, 0, 0)) return 0;
  return load<u32>(OUT_RES() + FR_OIF);
}

/** The socket's membership of (family, group, ifindex) — ifindex 0 matches any (IPv6 only). */
function mbFind(smc: u32, family: u32, group: u32, ifindex: u32): u32 {
  if (smc == 0) return 0;
  for (let m = load<u32>(smc + SM_FIRST); m != 0; m = load<u32>(m + MB_NEXT_SK)) {
    if (<u32>load<u8>(m + MB_FAMILY) != family || !addrEq(m + MB_GROUP, group, family)) continue;
    if (family == AF_INET ? load<u32>(m + MB_IFINDEX) == ifindex : ifindex == 0 || load<u32>(m + MB_IFINDEX) == ifindex) return m;
  }
  return 0;
}

/** Set by mbAdd: the membership made the device group. */
let addedFresh = false;

/** __ip_mc_join_group / __ipv6_sock_mc_join for the device `dev` found: a new membership in `mode`. */
function mbAdd(sk: u32, smc: u32, family: u32, group: u32, dev: u32, ifaddr: u32, mode: u32): i32 {
  const r = mcRootMake(rootSlot());
  if (r == 0) return -ENOMEM;
  const m = rc_alloc(MB_SIZE);
  if (m == 0) return -ENOMEM;
  let g = dgFind(r, dev, family, group);
  const fresh = g == 0;
  if (fresh) {
    g = rc_alloc(DG_SIZE);
    if (g == 0) return -ENOMEM;
    store<u32>(g + DG_IFINDEX, dev);
    store<u8>(g + DG_FAMILY, <u8>family);
    copyBytes(g + DG_GROUP, group, addrLen(family));
  }
  store<u32>(m + MB_IFINDEX, dev);
  store<u8>(m + MB_FAMILY, <u8>family);
  store<u8>(m + MB_MODE, <u8>mode);
  copyBytes(m + MB_GROUP, group, addrLen(family));
  store<u32>(m + MB_IFADDR, ifaddr);
  store<u32>(m + MB_SK, sk);
  store<u32>(m + MB_DG, g);
  // linked into the group before the group is published, the group before the socket list: a reader
  // finds whole records at every step
  store<u32>(m + MB_NEXT_DG, load<u32>(g + DG_FIRST));
  store<u32>(g + DG_FIRST, m);
  store<u32>(g + DG_USERS, load<u32>(g + DG_USERS) + 1);
  if (fresh) {
    const slot = groupSlot(r, dev, family, group);
    store<u32>(g + DG_NEXT, load<u32>(slot));
    const newest = load<u32>(r + MR_NEWEST);
    store<u32>(g + DG_ALL_NEXT, newest);
    if (newest != 0) store<u32>(newest + DG_ALL_PREV, g);
    store<u32>(r + MR_NEWEST, g);
    store<u32>(slot, g);
    store<u32>(r + MR_LIVE, load<u32>(r + MR_LIVE) + 1);
  }
  store<u32>(m + MB_NEXT_SK, load<u32>(smc + SM_FIRST));
  store<u32>(smc + SM_FIRST, m);
  if (family == AF_INET) store<u32>(smc + SM_COUNT4, load<u32>(smc + SM_COUNT4) + 1);
  addedFresh = fresh;
  // a fresh ASM group reports TO_EX({}) now; a fresh source-specific one when its source is in (ALLOW)
  if (fresh && mode == MCAST_EXCLUDE) reportSend(g, 0);
  return 0;
}

function unlinkFrom(head: u32, m: u32, off: u32): void {
  let p = head;
  while (load<u32>(p) != 0) {
    if (load<u32>(p) == m) {
      store<u32>(p, load<u32>(m + off));
      return;
    }
    p = load<u32>(p) + off;
  }
}

/** ip_mc_leave_group / ipv6_sock_mc_drop for membership `m` of the socket's block `smc`. */
function mbDrop(smc: u32, m: u32): void {
  const r = mcRoot();
  const g = load<u32>(m + MB_DG);
  const family = <u32>load<u8>(m + MB_FAMILY);
  unlinkFrom(smc + SM_FIRST, m, MB_NEXT_SK);
  if (family == AF_INET) store<u32>(smc + SM_COUNT4, load<u32>(smc + SM_COUNT4) - 1);
  if (g == 0) {
    // its device went away (mcDevGone): only the socket's side is left
    const l0 = load<u32>(m + MB_SRCS);
    if (l0 != 0) rc_retire(l0, 4 + load<u32>(l0) * addrLen(family));
    rc_retire(m, MB_SIZE);
    return;
  }
  unlinkFrom(g + DG_FIRST, m, MB_NEXT_DG);
  const users = load<u32>(g + DG_USERS) - 1;
  store<u32>(g + DG_USERS, users);
  if (users == 0) {
    unlinkFrom(groupSlot(r, load<u32>(g + DG_IFINDEX), family, g + DG_GROUP), g, DG_NEXT);
    const prev = load<u32>(g + DG_ALL_PREV);
    const next = load<u32>(g + DG_ALL_NEXT);
    if (prev != 0) store<u32>(prev + DG_ALL_NEXT, next);
    else store<u32>(r + MR_NEWEST, next);
    if (next != 0) store<u32>(next + DG_ALL_PREV, prev);
    store<u32>(r + MR_LIVE, load<u32>(r + MR_LIVE) - 1);
    if (!noReport(g)) reportSend(g, m);
    rc_retire(g, DG_SIZE);
  }
  const l = load<u32>(m + MB_SRCS);
  if (l != 0) rc_retire(l, 4 + load<u32>(l) * addrLen(family));
  rc_retire(m, MB_SIZE);
}

/** The membership's source list with `src` added (at the end) or removed; published whole. */
function srcListSet(m: u32, family: u32, src: u32, add: bool): i32 {
  const old = load<u32>(m + MB_SRCS);
  const n: u32 = old == 0 ? 0 : load<u32>(old);
  const sz = addrLen(family);
  const nn = add ? n + 1 : n - 1;
  let nl: u32 = 0;
  if (nn != 0) {
    nl = rc_alloc(4 + nn * sz);
    if (nl == 0) return -ENOMEM;
    let j: u32 = 0;
    for (let i: u32 = 0; i < n; i++) {
      const e = old + 4 + i * sz;
      if (!add && addrEq(e, src, family)) continue;
      copyBytes(nl + 4 + j * sz, e, sz);
      j++;
    }
    if (add) copyBytes(nl + 4 + j * sz, src, sz);
    store<u32>(nl, nn);
  }
  store<u32>(m + MB_SRCS, nl);
  if (old != 0) rc_retire(old, 4 + n * sz);
  return 0;
}

function srcListHas(m: u32, family: u32, src: u32): bool {
  const l = load<u32>(m + MB_SRCS);
  if (l == 0) return false;
  const n = load<u32>(l);
  const sz = addrLen(family);
  for (let i: u32 = 0; i < n; i++) if (addrEq(l + 4 + i * sz, src, family)) return true;
  return false;
}

/**
 * A membership operation (MC_*) on socket record `sk`, whose multicast block word is at `smcSlot`:
 * IPv4 (`family` AF_INET: the group at `group`, the source at `src`, 4 bytes each; `ifaddr` the
 * interface address of ip_mreq / ip_mreq_source, `ifindex` ip_mreqn's) or IPv6 (16 bytes each;
 * `ifindex` ipv6mr_interface / gsr_interface). 0 or -errno, the kernel's for each case.
 */
export function mcOp(sk: u32, smcSlot: u32, op: u32, family: u32, group: u32, src: u32, ifaddr: u32, ifindex: u32): i32 {
  if (rootSlot() == 0) return -ENOMEM;
  const v6 = family == AF_INET6;
  if (family != AF_INET && family != AF_INET6) return -EINVAL;
  if (v6 && <u32>load<u8>(sk + SK_FAMILY) != AF_INET6) return -ENOPROTOOPT;
  if (v6 ? !ipv6IsMulticast(group) : !ipv4IsMulticast(load<u32>(group))) return -EINVAL;
  if (op < MC_JOIN || op > MC_UNBLOCK) return -EINVAL;
  const smc = smcOf(sk, smcSlot, op == MC_JOIN || op == MC_JOIN_SOURCE);
  addedFresh = false;
  if (op == MC_JOIN || op == MC_JOIN_SOURCE) {
    const mode = op == MC_JOIN ? MCAST_EXCLUDE : MCAST_INCLUDE;
    if (smc == 0) return -ENOMEM;
    let err: i32 = 0;
    if (!v6) {
      const dev = findDev4(load<u32>(group), ifaddr, op == MC_JOIN ? ifindex : 0);
      if (dev == 0) err = -ENODEV;
      else if (mbFind(smc, AF_INET, group, dev) != 0) err = -EADDRINUSE;
      else if (load<u32>(smc + SM_COUNT4) >= IGMP_MAX_MEMBERSHIPS) err = -ENOBUFS;
      else err = mbAdd(sk, smc, AF_INET, group, dev, ifaddr, mode);
    } else {
      if (mbFind(smc, AF_INET6, group, ifindex) != 0) err = -EADDRINUSE;
      else {
        const dev = findDev6(group, ifindex);
        if (dev == 0) err = -ENODEV;
        else err = mbAdd(sk, smc, AF_INET6, group, dev, 0, mode);
      }
    }
    // a prior join with another source is fine for a source join
    if (op == MC_JOIN || (err != 0 && err != -EADDRINUSE)) return err;
  }
  if (op == MC_LEAVE) {
    if (!v6) {
      const dev = findDev4(load<u32>(group), ifaddr, ifindex);
      if (ifindex == 0 && ifaddr == 0 && dev == 0) return -ENODEV;
      for (let m = smc == 0 ? 0 : load<u32>(smc + SM_FIRST); m != 0; m = load<u32>(m + MB_NEXT_SK)) {
        if (<u32>load<u8>(m + MB_FAMILY) != AF_INET || load<u32>(m + MB_GROUP) != load<u32>(group)) continue;
        const want = ifindex != 0 ? ifindex : dev;
        if (want != 0) {
          if (load<u32>(m + MB_IFINDEX) != want) continue;
        } else if (ifaddr != 0 && ifaddr != load<u32>(m + MB_IFADDR)) continue;
        mbDrop(smc, m);
        return 0;
      }
      return -EADDRNOTAVAIL;
    }
    const m = mbFind(smc, AF_INET6, group, ifindex);
    if (m == 0) return -EADDRNOTAVAIL;
    mbDrop(smc, m);
    return 0;
  }
  // ip_mc_source / ip6_mc_source
  const omode = op == MC_BLOCK || op == MC_UNBLOCK ? MCAST_EXCLUDE : MCAST_INCLUDE;
  const add = op == MC_JOIN_SOURCE || op == MC_BLOCK;
  let dev: u32;
  if (!v6) dev = findDev4(load<u32>(group), ifaddr, 0);
  else dev = findDev6(group, ifindex);
  if (dev == 0) return -ENODEV;
  const m = v6 ? mbFind(smc, AF_INET6, group, ifindex) : mbFind(smc, AF_INET, group, dev);
  if (m == 0) return -EINVAL; // must have a prior join
  if (load<u32>(m + MB_SRCS) != 0) {
    if (<u32>load<u8>(m + MB_MODE) != omode) return -EINVAL;
  } else if (<u32>load<u8>(m + MB_MODE) != omode) {
    store<u8>(m + MB_MODE, <u8>omode); // mode switches are allowed for empty-set filters
  }
  const l = load<u32>(m + MB_SRCS);
  if (!add) {
    if (l == 0 || !srcListHas(m, family, src)) return -EADDRNOTAVAIL;
    if (load<u32>(l) == 1 && omode == MCAST_INCLUDE) {
      // (INCLUDE, {}) is leaving the group
      mbDrop(smc, m);
      return 0;
    }
    return srcListSet(m, family, src, false);
  }
  if (l != 0 && load<u32>(l) >= (v6 ? MLD_MAX_MSF : IGMP_MAX_MSF)) return -ENOBUFS;
  if (srcListHas(m, family, src)) return -EADDRNOTAVAIL;
  const e = srcListSet(m, family, src, true);
  // a group made by this source join reports its first source (ALLOW); later changes are not reported
  if (e == 0 && addedFresh) reportSend(load<u32>(m + MB_DG), 0);
  return e;
}

/**
 * ip_mc_destroy_dev / ipv6_mc_destroy_dev: device `ifindex` goes away with its groups; the sockets keep
 * their memberships (the kernel's socket lists keep them too) until they leave or close. Control plane,
 * before the device's record is retired.
 */
export function mc_dev_gone(ifindex: u32): void {
  const r = mcRoot();
  if (r == 0) return;
  pendDrop(r, ifindex, 0, 0);
  let g = load<u32>(r + MR_NEWEST);
  while (g != 0) {
    const next = load<u32>(g + DG_ALL_NEXT);
    if (load<u32>(g + DG_IFINDEX) == ifindex) {
      for (let m = load<u32>(g + DG_FIRST); m != 0; m = load<u32>(m + MB_NEXT_DG)) store<u32>(m + MB_DG, 0);
      unlinkFrom(groupSlot(r, ifindex, <u32>load<u8>(g + DG_FAMILY), g + DG_GROUP), g, DG_NEXT);
      const prev = load<u32>(g + DG_ALL_PREV);
      if (prev != 0) store<u32>(prev + DG_ALL_NEXT, next);
      else store<u32>(r + MR_NEWEST, next);
      if (next != 0) store<u32>(next + DG_ALL_PREV, prev);
      store<u32>(r + MR_LIVE, load<u32>(r + MR_LIVE) - 1);
      rc_retire(g, DG_SIZE);
    }
    g = next;
  }
}

/** ip_mc_drop_socket / ipv6_sock_mc_close: every membership of a closing socket left. */
export function mcSockClose(smcSlot: u32): void {
  const smc = load<u32>(smcSlot);
  if (smc == 0) return;
  while (load<u32>(smc + SM_FIRST) != 0) mbDrop(smc, load<u32>(smc + SM_FIRST));
  store<u32>(smcSlot, 0);
  rc_retire(smc, SM_SIZE);
}

/** IP_MULTICAST_IF: the device by `ifindex` (ip_mreqn) or by address `addr` (in_addr / ip_mreq); 0.0.0.0 clears. */
export function mcSetIf4(sk: u32, smcSlot: u32, addr: u32, ifindex: u32): i32 {
  let dev = ifindex;
  if (dev == 0) {
    if (addr == 0) {
      const smc = smcOf(sk, smcSlot, false);
      if (smc != 0) {
        store<u32>(smc + SM_MC_INDEX, 0);
        store<u32>(smc + SM_MC_ADDR, 0);
      }
      return 0;
    }
    dev = devByAddr4(addr);
  } else if (netdevGet(dev) == 0) dev = 0;
  if (dev == 0) return -EADDRNOTAVAIL;
  const bound = load<u32>(sk + SK_BOUND_DEV_IF);
  if (bound != 0 && bound != dev) return -EINVAL;
  const smc = smcOf(sk, smcSlot, true);
  if (smc == 0) return -ENOMEM;
  store<u32>(smc + SM_MC_INDEX, dev);
  store<u32>(smc + SM_MC_ADDR, addr);
  return 0;
}

/** The multicast options that are one value (SKO_IP_MULTICAST_LOOP …); -ENOPROTOOPT for any other. */
export function mcSetOpt(sk: u32, smcSlot: u32, opt: u32, val: i32): i32 {
  const v6 = <u32>load<u8>(sk + SK_FAMILY) == AF_INET6;
  let bit: u8 = 0;
  switch (opt) {
    case SKO_IP_MULTICAST_LOOP: bit = SMF_NO_LOOP; break;
    case SKO_IP_MULTICAST_ALL: {
      if (val != 0 && val != 1) return -EINVAL;
      bit = SMF_NO_ALL;
      break;
    }
    case SKO_IP_MULTICAST_IF: return mcSetIf4(sk, smcSlot, <u32>val, 0);
    case SKO_IPV6_MULTICAST_LOOP: {
      if (!v6) return -ENOPROTOOPT;
      if (val != 0 && val != 1) return -EINVAL;
      bit = SMF6_NO_LOOP;
      break;
    }
    case SKO_IPV6_MULTICAST_ALL: {
      if (!v6) return -ENOPROTOOPT;
      bit = SMF6_NO_ALL;
      break;
    }
    case SKO_IPV6_MULTICAST_HOPS: {
      // np->mcast_hops, apart from IP_MULTICAST_TTL's inet->mc_ttl: -1 is IPV6_DEFAULT_MCASTHOPS (1)
      if (!v6) return -ENOPROTOOPT;
      if (val > 255 || val < -1) return -EINVAL;
      const smc = smcOf(sk, smcSlot, true);
      if (smc == 0) return -ENOMEM;
      store<u16>(smc + SM_MC6_HOPS, <u16>((val == -1 ? 1 : val) + 1));
      return 0;
    }
    case SKO_IPV6_MULTICAST_IF: {
      if (!v6) return -ENOPROTOOPT;
      if (val != 0) {
        if (val < 0 || netdevGet(<u32>val) == 0) return -ENODEV;
        const bound = load<u32>(sk + SK_BOUND_DEV_IF);
        if (bound != 0 && bound != <u32>val) return -EINVAL;
      }
      const smc = smcOf(sk, smcSlot, true);
      if (smc == 0) return -ENOMEM;
      store<u32>(smc + SM_MC6_OIF, <u32>val);
      return 0;
    }
    default: return -ENOPROTOOPT;
  }
  const smc = smcOf(sk, smcSlot, true);
  if (smc == 0) return -ENOMEM;
  const f = load<u8>(smc + SM_FLAGS);
  store<u8>(smc + SM_FLAGS, val != 0 ? f & ~bit : f | bit);
  return 0;
}

/** getsockopt of the options above; -ENOPROTOOPT for any other. */
export function mcGetOpt(sk: u32, smcSlot: u32, opt: u32): i32 {
  const smc = load<u32>(smcSlot);
  const f = smc == 0 ? <u8>0 : load<u8>(smc + SM_FLAGS);
  const v6 = <u32>load<u8>(sk + SK_FAMILY) == AF_INET6;
  switch (opt) {
    case SKO_IP_MULTICAST_LOOP: return (f & SMF_NO_LOOP) == 0 ? 1 : 0;
    case SKO_IP_MULTICAST_ALL: return smc == 0 ? (v6 ? 0 : 1) : (f & SMF_NO_ALL) == 0 ? 1 : 0;
    case SKO_IP_MULTICAST_IF: return smc == 0 ? 0 : <i32>load<u32>(smc + SM_MC_ADDR);
    case SKO_IPV6_MULTICAST_LOOP: return !v6 ? -EOPNOTSUPP : (f & SMF6_NO_LOOP) == 0 ? 1 : 0;
    case SKO_IPV6_MULTICAST_ALL: return !v6 ? -EOPNOTSUPP : (f & SMF6_NO_ALL) == 0 ? 1 : 0;
    case SKO_IPV6_MULTICAST_HOPS: return !v6 ? -EOPNOTSUPP : <i32>mcHops6(smc);
    case SKO_IPV6_MULTICAST_IF: return !v6 ? -EOPNOTSUPP : smc == 0 ? 0 : <i32>load<u32>(smc + SM_MC6_OIF);
  }
  return -ENOPROTOOPT;
}

// ---- `ip maddr show`: the device groups sockets joined ----

/**
 * The device groups, newest first, written from `out` (room for `max`), 36 bytes each:
 *   +0 u32 ifindex | +4 u32 family | +8 u32 users | +12 reserved (8) | +20 the group (16; IPv4 in the first 4)
 * Returns how many there are (all of them, even past `max`).
 */
export function mc_groups(out: u32, max: u32): u32 {
  const r = mcRoot();
  if (r == 0) return 0;
  let n: u32 = 0;
  for (let g = load<u32>(r + MR_NEWEST); g != 0; g = load<u32>(g + DG_ALL_NEXT)) {
    if (n < max) {
      const e = out + n * 36;
      store<u32>(e, load<u32>(g + DG_IFINDEX));
      store<u32>(e + 4, <u32>load<u8>(g + DG_FAMILY));
      store<u32>(e + 8, load<u32>(g + DG_USERS));
      fillBytes(e + 12, 0, 8);
      copyBytes(e + 20, g + DG_GROUP, 16);
    }
    n++;
  }
  return n;
}

// ---- Reports (IGMPv3 RFC 3376 4.2, MLDv2 RFC 3810 5.2) ----

const IGMPV3_CHANGE_TO_INCLUDE: u32 = 3;
const IGMPV3_CHANGE_TO_EXCLUDE: u32 = 4;
const IGMPV3_ALLOW_NEW_SOURCES: u32 = 5;
const IGMPV3_BLOCK_OLD_SOURCES: u32 = 6;

/**
 * The device group's filter as the union of its memberships (RFC 3376 3.2): EXCLUDE when any membership
 * excludes, its sources those every EXCLUDE membership lists and no INCLUDE one does; else INCLUDE with
 * every source some membership includes. Sources written at `out` (addrLen each), their count returned;
 * the mode in `unionMode`.
 */
let unionMode: u32 = 0;
function unionFilter(g: u32, out: u32, max: u32): u32 {
  const family = <u32>load<u8>(g + DG_FAMILY);
  const sz = addrLen(family);
  let excl: u32 = 0;
  for (let m = load<u32>(g + DG_FIRST); m != 0; m = load<u32>(m + MB_NEXT_DG)) if (<u32>load<u8>(m + MB_MODE) == MCAST_EXCLUDE) excl++;
  unionMode = excl != 0 ? MCAST_EXCLUDE : MCAST_INCLUDE;
  let n: u32 = 0;
  for (let m = load<u32>(g + DG_FIRST); m != 0; m = load<u32>(m + MB_NEXT_DG)) {
    const l = load<u32>(m + MB_SRCS);
    if (l == 0) continue;
    const cnt = load<u32>(l);
    for (let i: u32 = 0; i < cnt; i++) {
      const s = l + 4 + i * sz;
      let dup = false;
      for (let j: u32 = 0; j < n; j++) if (addrEq(out + j * sz, s, family)) { dup = true; break; }
      if (dup || n >= max) continue;
      let keep = true;
      if (unionMode == MCAST_EXCLUDE) {
        // excluded by every EXCLUDE membership and included by none
        for (let k = load<u32>(g + DG_FIRST); k != 0; k = load<u32>(k + MB_NEXT_DG)) {
          const has = srcListHas(k, family, s);
          if (<u32>load<u8>(k + MB_MODE) == MCAST_EXCLUDE ? !has : has) { keep = false; break; }
        }
      } else keep = <u32>load<u8>(m + MB_MODE) == MCAST_INCLUDE;
      if (!keep) continue;
      copyBytes(out + n * sz, s, sz);
      n++;
    }
  }
  return n;
}

/** Groups the kernel never reports: 224.0.0.1 (IGMP), ff02::1 and scopes under link-local (MLD). */
function noReport(g: u32): bool {
  if (<u32>load<u8>(g + DG_FAMILY) == AF_INET) return load<u32>(g + DG_GROUP) == INADDR_ALLHOSTS;
  const a = g + DG_GROUP;
  if (ipv6McScope(a) < 2) return true;
  return load<u32>(a) == 0x000002ff && load<u32>(a + 4) == 0 && load<u32>(a + 8) == 0 && load<u32>(a + 12) == 0x01000000;
}

/**
 * One report frame for device group `g` on its device: after a join, TO_EX({}) for a group whose filter
 * excludes, ALLOW(sources) for one that includes; after the last membership `left` left, TO_IN({}) for
 * an excluding one, BLOCK(its sources) for an including one.
 */
function reportSend(g: u32, left: u32): void {
  const dev = load<u32>(g + DG_IFINDEX);
  const nd = netdevGet(dev);
  if (nd == 0 || (load<u32>(nd + ND_FLAGS) & IFF_UP) == 0 || (load<u32>(nd + ND_FLAGS) & IFF_LOOPBACK) != 0) return;
  const family = <u32>load<u8>(g + DG_FAMILY);
  const v6 = family == AF_INET6;
  const sz = addrLen(family);
  const f = frameAlloc();
  if (f == 0) return;
  const ip = (f & ~(FRAME_SIZE - 1)) + XDP_PACKET_HEADROOM + ETH_HLEN;
  const hl: u32 = v6 ? 48 : 24; // IPv6 + hop-by-hop (8) / IPv4 + router alert (4)
  const rep = ip + hl;
  const rec = rep + 8;
  const srcs = rec + 4 + sz;
  let type: u32;
  let n: u32 = 0;
  if (left != 0) {
    if (<u32>load<u8>(left + MB_MODE) == MCAST_INCLUDE) {
      type = IGMPV3_BLOCK_OLD_SOURCES;
      const l = load<u32>(left + MB_SRCS);
      n = l == 0 ? 0 : load<u32>(l);
      if (n != 0) copyBytes(srcs, l + 4, n * sz);
    } else type = IGMPV3_CHANGE_TO_INCLUDE;
  } else {
    n = unionFilter(g, srcs, v6 ? MLD_MAX_MSF : IGMP_MAX_MSF);
    type = unionMode == MCAST_EXCLUDE ? IGMPV3_CHANGE_TO_EXCLUDE : IGMPV3_ALLOW_NEW_SOURCES;
  }
  // an ALLOW or BLOCK record with no source is not sent (add_grec)
  if (n == 0 && (type == IGMPV3_ALLOW_NEW_SOURCES || type == IGMPV3_BLOCK_OLD_SOURCES)) {
    netFree(0, ip);
    return;
  }
  store<u8>(rec, <u8>type);
  store<u8>(rec + 1, 0);
  stBe16(rec + 2, n);
  copyBytes(rec + 4, g + DG_GROUP, sz);
  const l4len = 8 + 4 + sz + n * sz;
  // IGMPv3 report (type 0x22) / MLDv2 report (143): type, reserved, checksum, reserved (2), 1 record
  store<u8>(rep, <u8>(v6 ? 143 : 0x22));
  store<u8>(rep + 1, 0);
  store<u16>(rep + 2, 0);
  store<u16>(rep + 4, 0);
  stBe16(rep + 6, 1);
  const total = hl + l4len;
  const nh = mcTmp() + 32;
  store<u32>((ip - ETH_HLEN - XDP_PACKET_HEADROOM) & ~(FRAME_SIZE - 1), 0);
  if (!v6) {
    store<u8>(ip, 0x46);
    store<u8>(ip + 1, 0xc0);
    stBe16(ip + 2, total);
    store<u16>(ip + 4, 0); // ip_select_ident: DF and no socket
    stBe16(ip + 6, 0x4000);
    store<u8>(ip + 8, 1);
    store<u8>(ip + 9, <u8>IPPROTO_IGMP);
    store<u16>(ip + 10, 0);
    // igmpv3_get_srcaddr: the route's source (the device's primary address) when the device has it
    let src: u32 = 0;
    const l = load<u32>(nd + ND_ADDR4);
    if (l != 0 && load<u32>(l) != 0) src = load<u32>(l + ADDR_LIST_HEADER + AE_ADDR);
    store<u32>(ip + 12, src);
    store<u32>(ip + 16, 0x160000e0); // 224.0.0.22 (IGMPV3_ALL_MCR)
    store<u32>(ip + 20, 0x00000494); // router alert: 0x94 4 0 0
    store<u16>(ip + 10, <u16>csumFinish(csumAdd(ip, 24, 0)));
    store<u16>(rep + 2, <u16>csumFinish(csumAdd(rep, l4len, 0)));
    store<u32>(nh, 0x160000e0);
    stBe16(ip - 2, ETH_P_IP);
    mibInc(MIB_IP_OUT_REQUESTS);
    pendKeep(g, ip, total);
    reportOut(0, dev, nh, ip, total);
  } else {
    stBe32(ip, 0x60000000);
    stBe16(ip + 4, 8 + l4len);
    store<u8>(ip + 6, 0); // hop-by-hop options
    store<u8>(ip + 7, 1);
    // mld_newpack: the link-local address, else :: (draft-ietf-magma-mld-source-05)
    if (ipv6_get_lladdr(dev, ip + 8) != 0) fillBytes(ip + 8, 0, 16);
    store<u32>(ip + 24, 0x000002ff);
    store<u32>(ip + 28, 0);
    store<u32>(ip + 32, 0);
    store<u32>(ip + 36, 0x16000000); // ff02::16 (all MLDv2-capable routers)
    // next header ICMPv6, length 0, router alert (5, 2, value 0: MLD), PadN of 0 bytes
    store<u8>(ip + 40, <u8>IPPROTO_ICMPV6);
    store<u8>(ip + 41, 0);
    store<u32>(ip + 42, 0x00000205);
    store<u16>(ip + 46, 0x0001);
    store<u16>(rep + 2, <u16>csumFinish(csumAdd(rep, l4len, csumIpv6Pseudo(ip + 8, ip + 24, l4len, IPPROTO_ICMPV6))));
    copyBytes(nh, ip + 24, 16);
    stBe16(ip - 2, ETH_P_IPV6);
    mibInc(MIB_IP6_OUT_REQUESTS);
    pendKeep(g, ip, total);
    reportOut(1, dev, nh, ip, total);
  }
}

/**
 * The report at `ip` (`total` bytes of L3, family `pfi` 0 / 1) on its way out of `dev` to next hop `nh`: igmpv3_sendpack
 * → ip_local_out → ip_mc_output, mld_sendpack → NF_HOOK(NFPROTO_IPV6, NF_INET_LOCAL_OUT) → ip6_output: LOCAL_OUT and
 * POST_ROUTING while hooks are registered (its skb has no socket mark; conntrack gives an IGMP report an entry of the
 * generic protocol and leaves an MLD one untracked), then the neighbour stage. No copy comes back: the host is not in
 * 224.0.0.22 / ff02::16 (a router's groups).
 */
function reportOut(pfi: u32, dev: u32, nh: u32, ip: u32, total: u32): void {
  const gate = load<u32>(NF_GATE_PTR);
  if (gate != 0) {
    // a fresh datagram: no fragment geometry a reassembled one left in this buffer
    const g = nf_frag_geo(ip, total);
    if (g != 0) store<u32>(g, 0);
    if (!nf_hook_slow(gate, pfi, NF_INET_LOCAL_OUT, 0, dev, 0, ip, total)) return;
    if (!nf_hook_slow(gate, pfi, NF_INET_POST_ROUTING, 0, dev, 0, ip, total)) return;
  }
  neigh_output(pfi == 0 ? AF_INET : AF_INET6, dev, nh, 0, ip - ETH_HLEN, ETH_HLEN + total);
}

// ---- Repeats (igmp_ifc_timer_expire, mld_ifc_work) ----
//
// The kernel reports each state change robustness-variable times (im->crcount / psf->sf_crcount from the device's
// mr_qrv / mc_qrv: net.ipv4.igmp_qrv, net.ipv6.mld_qrv, 2 by default): a change arms the device's timer at 2 jiffies
// (igmp_ifc_event → igmp_ifc_start_timer(in_dev, 1), mld_ifc_event → mld_ifc_start_work(idev, 1)), each expiry sends a
// report and, while repeats are due, arms it again at get_random_u32_below(unsolicited_report_interval) + 2 jiffies
// (net.ipv4.conf.DEV.igmpv3_unsolicited_report_interval, net.ipv6.conf.DEV.mldv2_unsolicited_report_interval: 1000 ms),
// each timer firing where the timer wheel puts it (calc_index rounds up: a jiffy late within 63 jiffies, at the next
// 8-jiffy boundary further on; Linux 6.18 measured: at 1 ms intervals the reports 9-12, 21-24, 33-36 ms after a join).
// Here the first report leaves with the change (reportSend: 3 jiffies before the kernel's) and its bytes are kept for
// the repeats, due on the stack clock at the kernel's jiffies (mc_tick, from net_advance). tv from an xorshift32 of this instance (mc_report_random: 0 always, for tests that
// want the window's first jiffy). A new report of the same group on the device drops the repeats still due (the
// kernel's next report carries the group's new record instead); a device gone or down drops its own.
//   a repeat (rc_alloc): +0 u32 next  +4 u32 ifindex  +8 u32 family  +12 u32 repeats still due  +16 u64 due (ms)
//   +24 u32 L3 length  +32 group (16)  +48 the report's L3 bytes (rebuilt into a frame as they are)

const PD_NEXT: u32 = 0;
const PD_IFINDEX: u32 = 4;
const PD_FAMILY: u32 = 8;
const PD_LEFT: u32 = 12;
const PD_DUE: u32 = 16;
const PD_LEN: u32 = 24;
const PD_GROUP: u32 = 32;
const PD_L3: u32 = 48;

let pdRandom = true;
let pdSeed: u32 = 0x2545f491;

/** Randomised repeats (the default) or, `on` 0, each at the first jiffy of the kernel's window (tests). */
export function mc_report_random(on: u32): void {
  pdRandom = on != 0;
}

/** get_random_u32_below(`n`) (0 for n ≤ 1). */
function pdBelow(n: u32): u32 {
  if (n <= 1 || !pdRandom) return 0;
  let x = pdSeed;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  pdSeed = x;
  return <u32>((<u64>x * <u64>n) >> 32);
}

/** The next repeat's delay in jiffies: get_random_u32_below(the device's unsolicited_report_interval) + 2. */
function pdDelay(nd: u32, family: u32): u64 {
  const ms = family == AF_INET ? load<u32>(nd + ND_CONF4 + (CONF4_IGMPV3_UNSOLICITED_REPORT_INTERVAL << 2)) :
    load<u32>(nd + ND_CONF6 + (CONF6_MLDV2_UNSOLICITED_REPORT_INTERVAL << 2));
  const j = <u32>((<u64>ms + JIFFY_MS - 1) / JIFFY_MS); // msecs_to_jiffies
  return <u64>(pdBelow(j) + 2);
}

/** The jiffy a timer armed at jiffy `now` for `d` jiffies runs on (the timer wheel's calc_index rounding up, HZ 250). */
function wheelFire(now: u64, d: u64): u64 {
  const e = now + d;
  if (d < 63) return e + 1; // level 0: LVL_START(1) = 63
  if (d < 504) return ((e >> 3) + 1) << 3;
  return ((e >> 6) + 1) << 6;
}

/** Forget the repeats of device `ifindex` (`family` 0: every family; `group` 0: every group). */
function pendDrop(r: u32, ifindex: u32, family: u32, group: u32): void {
  let at = r + MR_PEND;
  let p = load<u32>(at);
  while (p != 0) {
    const next = load<u32>(p + PD_NEXT);
    if (load<u32>(p + PD_IFINDEX) == ifindex && (family == 0 || (load<u32>(p + PD_FAMILY) == family && addrEq(p + PD_GROUP, group, family)))) {
      store<u32>(at, next);
      rc_retire(p, PD_L3 + load<u32>(p + PD_LEN));
    } else at = p + PD_NEXT;
    p = next;
  }
}

/** reportSend: the report of device group `g` at `ip` (`total` bytes of L3) leaves now; keep it for its repeats. */
function pendKeep(g: u32, ip: u32, total: u32): void {
  const r = mcRoot();
  if (r == 0) return;
  const dev = load<u32>(g + DG_IFINDEX);
  const family = <u32>load<u8>(g + DG_FAMILY);
  pendDrop(r, dev, family, g + DG_GROUP);
  const qrv = sysctl(family == AF_INET ? SYSCTL_IGMP_QRV : SYSCTL_MLD_QRV);
  if (qrv <= 1) return;
  const p = rc_alloc(PD_L3 + total);
  if (p == 0) return;
  store<u32>(p + PD_IFINDEX, dev);
  store<u32>(p + PD_FAMILY, family);
  store<u32>(p + PD_LEFT, qrv - 1);
  const first = wheelFire(netNow() / JIFFY_MS, 2);
  store<u64>(p + PD_DUE, wheelFire(first, pdDelay(netdevGet(dev), family)) * JIFFY_MS);
  store<u32>(p + PD_LEN, total);
  copyBytes(p + PD_GROUP, g + DG_GROUP, addrLen(family));
  copyBytes(p + PD_L3, ip, total);
  store<u32>(p + PD_NEXT, load<u32>(r + MR_PEND));
  store<u32>(r + MR_PEND, p);
}

/** The repeats due by `now` out (net_advance), each armed again while more are due. */
export function mc_tick(now: u64): void {
  const r = mcRoot();
  if (r == 0) return;
  let at = r + MR_PEND;
  let p = load<u32>(at);
  while (p != 0) {
    const next = load<u32>(p + PD_NEXT);
    const dev = load<u32>(p + PD_IFINDEX);
    const nd = netdevGet(dev);
    // ip_mc_down / ipv6_mc_down stop the device's timer
    if (nd == 0 || (load<u32>(nd + ND_FLAGS) & IFF_UP) == 0) {
      store<u32>(at, next);
      rc_retire(p, PD_L3 + load<u32>(p + PD_LEN));
      p = next;
      continue;
    }
    let gone = false;
    while (load<u64>(p + PD_DUE) <= now) {
      pendSend(p, dev);
      const left = load<u32>(p + PD_LEFT) - 1;
      store<u32>(p + PD_LEFT, left);
      if (left == 0) {
        gone = true;
        break;
      }
      store<u64>(p + PD_DUE, wheelFire(load<u64>(p + PD_DUE) / JIFFY_MS, pdDelay(nd, load<u32>(p + PD_FAMILY))) * JIFFY_MS);
    }
    if (gone) {
      store<u32>(at, next);
      rc_retire(p, PD_L3 + load<u32>(p + PD_LEN));
    } else at = p + PD_NEXT;
    p = next;
  }
}

/** The earliest repeat due (ms on the stack clock), -1 when none. */
export function mc_next_timer(): i64 {
  const r = mcRoot();
  if (r == 0) return -1;
  let best: i64 = -1;
  for (let p = load<u32>(r + MR_PEND); p != 0; p = load<u32>(p + PD_NEXT)) {
    const d = <i64>load<u64>(p + PD_DUE);
    if (best < 0 || d < best) best = d;
  }
  return best;
}

/** The kept report `p` out of device `dev` again, its bytes as they were. */
function pendSend(p: u32, dev: u32): void {
  const f = frameAlloc();
  if (f == 0) return;
  const ip = (f & ~(FRAME_SIZE - 1)) + XDP_PACKET_HEADROOM + ETH_HLEN;
  const total = load<u32>(p + PD_LEN);
  store<u32>((ip - ETH_HLEN - XDP_PACKET_HEADROOM) & ~(FRAME_SIZE - 1), 0);
  copyBytes(ip, p + PD_L3, total);
  const nh = mcTmp() + 32;
  if (load<u32>(p + PD_FAMILY) == AF_INET) {
    store<u32>(nh, load<u32>(ip + 16));
    stBe16(ip - 2, ETH_P_IP);
    mibInc(MIB_IP_OUT_REQUESTS);
    reportOut(0, dev, nh, ip, total);
  } else {
    copyBytes(nh, ip + 24, 16);
    stBe16(ip - 2, ETH_P_IPV6);
    mibInc(MIB_IP6_OUT_REQUESTS);
    reportOut(1, dev, nh, ip, total);
  }
}
