// Neighbour discovery (RFC 4861) as net/ipv6/ndisc.c: ndisc_rcv's checks (hop limit 255, code 0),
// NS (ndisc_recv_ns: the sender learned STALE, an NA back for our addresses), NA (ndisc_recv_na: its
// solicited / override / router flags drive neigh_update), RS from hosts when forwarding; and the
// messages we send: NS when resolving (ndisc_solicit: to the solicited-node group, unicast once the
// entry is in PROBE) and NA (ndisc_send_na). DAD is not performed (an address is never tentative
// here unless the address list says so). Redirects both ways: a received one (ndisc_redirect_rcv →
// rt6_do_redirect) teaches the target and makes a redirect exception (rt6_redirect.ts); ip6_forward
// asks for one (ndisc_forward_redirect) when a datagram goes back out the device it came in on.
//
// Reads: the IPv6 packet (the ICMPv6 checksum was verified by the caller), the device's record
// (ND_FLAGS, ND_MAC, ND_CONF6 forwarding) and its addresses (netdev.ts: ipv6_chk_addr,
// ipv6_get_lladdr, ipv6_dev_get_saddr), for redirects the FIB and the ICMPv6 peers' rate limits (icmp.ts).
// Sets: the ND table through neigh.ts, redirect exceptions, the Icmp6:Out* and Ip6:OutRequests counters for
// what it sends (Icmp6:OutRedirects with them).
// Next: NS and NA (frames from the pool) to neigh_output toward their destination (multicast
// destinations map without resolution; an NA to an unresolved sender waits like any frame); the
// received frame is freed, consumed or dropped (IPV6_NDISC_HOP_LIMIT, IPV6_NDISC_BAD_CODE,
// IPV6_NDISC_BAD_OPTIONS, IPV6_NDISC_NS_OTHERHOST, PKT_TOO_SMALL, NOT_SPECIFIED as the kernel has it).

import { frameAlloc } from '../umem';
import { XDP_PACKET_HEADROOM } from '../abi';
import { csumFold, csumPartial } from '../checksum';
import { netFree, netDrop, netdevGet, mibInc, netScratch } from './core';
import {
  AE_FLAGS, AF_INET6, CONF6_FORWARDING, IFF_LOOPBACK, MIB_ICMP6_OUT_MSGS,
  MIB_ICMP6_OUT_NEIGHBOR_ADVERTISEMENTS, MIB_ICMP6_OUT_NEIGHBOR_SOLICITS, MIB_IP6_OUT_REQUESTS, ND_CONF6, ND_FLAGS,
  NDROP_IPV6_NDISC_BAD_CODE, NDROP_IPV6_NDISC_BAD_OPTIONS, NDROP_IPV6_NDISC_HOP_LIMIT, NDROP_IPV6_NDISC_NS_OTHERHOST,
  NDROP_NOMEM, NDROP_NOT_SPECIFIED, NDROP_PKT_TOO_SMALL, NE_IFINDEX, NE_KEY, NE_PARMS, NE_PROBES, NE_STATE, NUD_FAILED,
  NUD_REACHABLE, NUD_STALE, CONF6_ACCEPT_REDIRECTS, FL_DST, FL_FAMILY, FL_IIF, FL_OIF, FL_SIZE, FL_SRC, FR_GW, FR_GW_FAMILY,
  LOOPBACK_IFINDEX, MIB_ICMP6_IN_ERRORS, MIB_ICMP6_OUT_REDIRECTS, NE_MAC, NUD_VALID, SCR_NDISC,
} from './abi';
import { ipv6_chk_addr, ipv6_dev_get_saddr, ipv6_get_lladdr, netdevMac, putMac } from './netdev';
import { FA_NH, FA_NHS, FA_TYPE, NH_FLAGS, NH_GW, NH_GW_FAMILY, NH_OIF, fib6_lookup, fib6LastLeaf } from './fib';
import { ip6_route_output, OUT_RES } from './output';
import { peerXrlimAllow6 } from './icmp';
import { dst_pmtu_forget } from './dst';
import { ipv6SkipExthdr, skipNexthdr } from './ipv6_rcv';
import { IPV6_ADDR_LINKLOCAL, IPV6_ADDR_UNICAST, ipv6AddrType } from './inet';
import { rt6RedirectGw, rt6RedirectInsert } from './rt6_redirect';
import {
  neigh_output, neighCreate, neighLookupStat, neighTable, neighUpdate, parmVar, neighStatInc, NEIGH_UPDATE_F_ISROUTER,
  NEIGH_UPDATE_F_OVERRIDE, NEIGH_UPDATE_F_OVERRIDE_ISROUTER, NEIGH_UPDATE_F_WEAK_OVERRIDE, NSTAT_RCV_PROBES_MCAST,
  NSTAT_RCV_PROBES_UCAST, NVAR_APP_PROBES, NVAR_UCAST_PROBES,
} from './neigh';

const NDISC_ROUTER_SOLICITATION: u32 = 133;
const NDISC_NEIGHBOUR_SOLICITATION: u32 = 135;
const NDISC_NEIGHBOUR_ADVERTISEMENT: u32 = 136;
const NDISC_REDIRECT: u32 = 137;
const ND_OPT_SOURCE_LL_ADDR: u32 = 1;
const ND_OPT_TARGET_LL_ADDR: u32 = 2;
const ND_OPT_REDIRECT_HDR: u32 = 4;
/** sizeof(struct rd_msg): the ICMPv6 header, the target and the destination. */
const RD_MSG_LEN: u32 = 40;
const IPV6_MIN_MTU: u32 = 1280;
const RTNH_F_DEAD: u32 = 1;
const RTN_BLACKHOLE: u32 = 6; // and after it the reject types: unreachable, prohibit, throw
const IPPROTO_ICMPV6: u32 = 58;
/** sizeof(struct nd_msg): the ICMPv6 header and the target address. */
const ND_MSG_LEN: u32 = 24;
/** An Ethernet link-layer address option: type, length 1 (8 bytes), the address. */
const ND_LLOPT_LEN: u32 = 8;
const IFA_F_OPTIMISTIC: u32 = 0x04;
const IFA_F_TENTATIVE: u32 = 0x40;
/** The NA flags byte (icmp6_router, icmp6_solicited, icmp6_override). */
const NA_ROUTER: u32 = 0x80;
const NA_SOLICITED: u32 = 0x40;
const NA_OVERRIDE: u32 = 0x20;
/** ndisc_rcv's verdict for a message it used (consume_skb); any other value is a drop reason. */
const CONSUMED: i32 = -1;

/** ff02::1, all nodes on the link (in6addr_linklocal_allnodes). */
const ALL_NODES: usize = memory.data<u8>([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01]);

@inline function conf6(dev: u32, i: u32): u32 {
  return load<u32>(dev + ND_CONF6 + (i << 2));
}

@inline function isMulticast6(a: u32): bool {
  return load<u8>(a) == 0xff;
}

@inline function isAny6(a: u32): bool {
  return load<u64>(a) == 0 && load<u64>(a + 8) == 0;
}

@inline function eq6(a: u32, b: u32): bool {
  return load<u64>(a) == load<u64>(b) && load<u64>(a + 8) == load<u64>(b + 8);
}

@inline function copy6(dst: u32, src: u32): void {
  store<u64>(dst, load<u64>(src));
  store<u64>(dst + 8, load<u64>(src + 8));
}

/** ipv6_addr_is_solict_mult: ff02::1:ffXX:XXXX. */
function isSolictMult(a: u32): bool {
  return load<u32>(a) == 0x000002ff && load<u32>(a + 4) == 0 && load<u32>(a + 8) == 0x01000000 && load<u8>(a + 12) == 0xff;
}

/** addrconf_addr_solict_mult: the solicited-node group of `a`, written at `out`. */
function solictMult(a: u32, out: u32): void {
  store<u32>(out, 0x000002ff);
  store<u32>(out + 4, 0);
  store<u32>(out + 8, 0x01000000);
  store<u8>(out + 12, 0xff);
  store<u8>(out + 13, load<u8>(a + 13));
  store<u16>(out + 14, load<u16>(a + 14));
}

@inline function aeFlags(a: u32): u32 {
  return <u32>load<u16>(a + AE_FLAGS);
}

// ---- Options ----

let optSrcLl: u32 = 0;
let optTgtLl: u32 = 0;
let optRh: u32 = 0;

/** ndisc_parse_options: every option whole and non-empty; the first source / target link-layer and redirected header option kept. */
function parseOptions(opt: u32, optLen: i32): bool {
  optSrcLl = 0;
  optTgtLl = 0;
  optRh = 0;
  let p = opt;
  let left = optLen;
  while (left > 0) {
    if (left < 2) return false;
    const l = <i32>load<u8>(p + 1) << 3;
    if (left < l || l == 0) return false;
    const type = <u32>load<u8>(p);
    if (type == ND_OPT_SOURCE_LL_ADDR) {
      if (optSrcLl == 0) optSrcLl = p;
    } else if (type == ND_OPT_TARGET_LL_ADDR) {
      if (optTgtLl == 0) optTgtLl = p;
    } else if (type == ND_OPT_REDIRECT_HDR) {
      if (optRh == 0) optRh = p;
    }
    // MTU, nonce, redirect header, prefix and route information: not needed here; unknown ones are ignored
    left -= l;
    p += <u32>l;
  }
  return true;
}

/** ndisc_opt_addr_data: the Ethernet address in a link-layer option of exactly 8 bytes, 0 otherwise. */
@inline function optAddrData(p: u32): u32 {
  return (<u32>load<u8>(p + 1) << 3) == ND_LLOPT_LEN ? p + 2 : 0;
}

// ---- Sending ----

/** A frame for an ND message of `icmpLen` bytes: its Ethernet header's address, 0 when the pool is empty. */
function ndAlloc(): u32 {
  const f = frameAlloc();
  if (f == 0) {
    netDrop(NDROP_NOMEM);
    return 0;
  }
  return f + XDP_PACKET_HEADROOM;
}

/**
 * ndisc_send_skb + ip6_nd_hdr: the IPv6 header (traffic class 0, hop limit 255), the ICMPv6 checksum,
 * the counters, then out through the neighbour of the destination. The frame's addresses are filled.
 */
function ndiscSendSkb(ifindex: u32, eth: u32, icmpLen: u32, type: u32): void {
  const ip = eth + 14;
  const icmp = ip + 40;
  store<u32>(ip, bswap<u32>(0x60000000));
  store<u16>(ip + 4, bswap<u16>(<u16>icmpLen));
  store<u8>(ip + 6, <u8>IPPROTO_ICMPV6);
  store<u8>(ip + 7, 255);
  store<u16>(icmp + 2, 0);
  let sum = csumPartial(ip + 8, 32, 0) + (icmpLen >> 16) + (icmpLen & 0xffff) + IPPROTO_ICMPV6;
  sum = csumPartial(icmp, icmpLen, sum);
  store<u16>(icmp + 2, bswap<u16>(<u16>csumFold(sum)));
  mibInc(MIB_IP6_OUT_REQUESTS);
  neigh_output(AF_INET6, ifindex, ip + 24, 0, eth, 14 + 40 + icmpLen);
  mibInc(type == NDISC_NEIGHBOUR_SOLICITATION ? MIB_ICMP6_OUT_NEIGHBOR_SOLICITS : type == NDISC_REDIRECT ? MIB_ICMP6_OUT_REDIRECTS : MIB_ICMP6_OUT_NEIGHBOR_ADVERTISEMENTS);
  mibInc(MIB_ICMP6_OUT_MSGS);
}

@inline function putLlOpt(p: u32, type: u32, mac: u64): void {
  store<u8>(p, <u8>type);
  store<u8>(p + 1, 1);
  putMac(p + 2, mac);
}

/**
 * ndisc_send_na: an advertisement of `target` to `daddr`. Its source is the target when it is ours on
 * the device (optimistic addresses do not override), else ipv6_dev_get_saddr's choice; no source, no NA.
 */
export function ndiscSendNa(ifindex: u32, daddr: u32, target: u32, router: bool, solicited: bool, overrideFlag: bool, incOpt: bool): void {
  const dev = netdevGet(ifindex);
  if (dev == 0) return;
  const eth = ndAlloc();
  if (eth == 0) return;
  const ip = eth + 14;
  const icmp = ip + 40;
  copy6(ip + 24, daddr);
  const ifp = ipv6_chk_addr(ifindex, target, true); // ipv6_get_ifaddr(net, target, dev, strict)
  if (ifp != 0) {
    copy6(ip + 8, target);
    if ((aeFlags(ifp) & IFA_F_OPTIMISTIC) != 0) overrideFlag = false;
  } else if (ipv6_dev_get_saddr(ifindex, daddr, ip + 8) != 0) {
    netFree(0, eth);
    return;
  }
  store<u64>(icmp, 0);
  store<u8>(icmp, <u8>NDISC_NEIGHBOUR_ADVERTISEMENT);
  store<u8>(icmp + 4, <u8>((router ? NA_ROUTER : 0) | (solicited ? NA_SOLICITED : 0) | (overrideFlag ? NA_OVERRIDE : 0)));
  copy6(icmp + 8, target);
  let len = ND_MSG_LEN;
  if (incOpt) {
    putLlOpt(icmp + ND_MSG_LEN, ND_OPT_TARGET_LL_ADDR, netdevMac(dev));
    len += ND_LLOPT_LEN;
  }
  ndiscSendSkb(ifindex, eth, len, NDISC_NEIGHBOUR_ADVERTISEMENT);
}

/**
 * ndisc_send_ns: a solicitation for `target`, to the target itself (`unicast`) or to its
 * solicited-node group, from `saddr` (0: the device's link-local address; none, no NS).
 */
export function ndiscSendNs(ifindex: u32, target: u32, unicast: bool, saddr: u32): void {
  const dev = netdevGet(ifindex);
  if (dev == 0) return;
  const eth = ndAlloc();
  if (eth == 0) return;
  const ip = eth + 14;
  const icmp = ip + 40;
  if (saddr != 0) {
    copy6(ip + 8, saddr);
  } else if (ipv6_get_lladdr(ifindex, ip + 8) != 0) {
    netFree(0, eth); // no link-local address: no NS
    return;
  }
  saddr = ip + 8;
  if (unicast) copy6(ip + 24, target);
  else solictMult(target, ip + 24);
  store<u64>(icmp, 0);
  store<u8>(icmp, <u8>NDISC_NEIGHBOUR_SOLICITATION);
  copy6(icmp + 8, target);
  let len = ND_MSG_LEN;
  if (!isAny6(saddr)) {
    putLlOpt(icmp + ND_MSG_LEN, ND_OPT_SOURCE_LL_ADDR, netdevMac(dev));
    len += ND_LLOPT_LEN;
  }
  ndiscSendSkb(ifindex, eth, len, NDISC_NEIGHBOUR_SOLICITATION);
}

/**
 * ndisc_solicit: an NS for entry `e`. The waiting frame's source is used when it is one of the
 * device's (usable) addresses; unicast while the probes are the unicast ones (PROBE), multicast
 * otherwise; app probes go to a user-space daemon (nothing is sent).
 */
export function ndiscSolicit(e: u32, skb: u32, skbLen: u32): void {
  const ifindex = load<u32>(e + NE_IFINDEX);
  const dev = netdevGet(ifindex);
  if (dev == 0) return;
  const target = e + NE_KEY;
  let saddr: u32 = 0;
  if (skb != 0 && skbLen >= 14 + 40) {
    const a = ipv6_chk_addr(ifindex, skb + 14 + 8, true);
    if (a != 0 && (aeFlags(a) & (IFA_F_TENTATIVE | IFA_F_OPTIMISTIC)) == 0) saddr = skb + 14 + 8;
  }
  const p = load<u32>(e + NE_PARMS);
  let probes = <i32>load<u32>(e + NE_PROBES) - <i32>parmVar(p, NVAR_UCAST_PROBES);
  if (probes < 0) {
    ndiscSendNs(ifindex, target, true, saddr);
  } else {
    probes -= <i32>parmVar(p, NVAR_APP_PROBES);
    if (probes >= 0) ndiscSendNs(ifindex, target, false, saddr);
  }
}

// ---- Receiving ----

/** ndisc_recv_ns. */
function recvNs(dev: u32, ifindex: u32, ip: u32, icmp: u32, icmpLen: u32): i32 {
  if (icmpLen < ND_MSG_LEN) return NDROP_PKT_TOO_SMALL;
  const saddr = ip + 8;
  const daddr = ip + 24;
  const target = icmp + 8;
  if (isMulticast6(target)) return NDROP_NOT_SPECIFIED;
  const dad = isAny6(saddr);
  if (dad && !isSolictMult(daddr)) return NDROP_NOT_SPECIFIED; // DAD goes to the solicited-node group
  if (!parseOptions(icmp + ND_MSG_LEN, <i32>(icmpLen - ND_MSG_LEN))) return NDROP_IPV6_NDISC_BAD_OPTIONS;
  let lladdr: u32 = 0;
  if (optSrcLl != 0) {
    lladdr = optAddrData(optSrcLl);
    if (lladdr == 0) return NDROP_NOT_SPECIFIED; // invalid link-layer address length
    if (dad) return NDROP_NOT_SPECIFIED; // a DAD probe carries no source link-layer address
  }
  const inc = isMulticast6(daddr);
  const ifp = ipv6_chk_addr(ifindex, target, true);
  if (ifp != 0) {
    const fl = aeFlags(ifp);
    if ((fl & (IFA_F_TENTATIVE | IFA_F_OPTIMISTIC)) != 0) {
      if (dad) return NDROP_NOT_SPECIFIED; // another node doing DAD for our tentative address: DAD is not run here
      if ((fl & IFA_F_OPTIMISTIC) == 0) return NDROP_NOT_SPECIFIED;
    }
  } else {
    // anycast and proxy NDP: not modelled
    return NDROP_IPV6_NDISC_NS_OTHERHOST;
  }
  const isRouter = conf6(dev, CONF6_FORWARDING) != 0;
  if (dad) {
    ndiscSendNa(ifindex, <u32>ALL_NODES, target, isRouter, false, true, true);
    return NDROP_NOT_SPECIFIED; // the kernel frees a DAD probe it answered without marking it consumed
  }
  const t = neighTable(AF_INET6);
  neighStatInc(t, inc ? NSTAT_RCV_PROBES_MCAST : NSTAT_RCV_PROBES_UCAST);
  // learn the sender: created unless a multicast NS gave no address to create it with
  let n = neighLookupStat(t, ifindex, saddr);
  if (n == 0 && (!inc || lladdr != 0)) n = neighCreate(t, ifindex, saddr, (load<u32>(dev + ND_FLAGS) & IFF_LOOPBACK) != 0);
  if (n == 0) return NDROP_NOT_SPECIFIED;
  neighUpdate(n, lladdr, NUD_STALE, NEIGH_UPDATE_F_WEAK_OVERRIDE | NEIGH_UPDATE_F_OVERRIDE);
  ndiscSendNa(ifindex, saddr, target, isRouter, true, inc, inc);
  return CONSUMED;
}

/** ndisc_recv_na. */
function recvNa(dev: u32, ifindex: u32, ip: u32, icmp: u32, icmpLen: u32): i32 {
  if (icmpLen < ND_MSG_LEN) return NDROP_PKT_TOO_SMALL;
  const daddr = ip + 24;
  const target = icmp + 8;
  const fl = <u32>load<u8>(icmp + 4);
  if (isMulticast6(target)) return NDROP_NOT_SPECIFIED;
  if (isMulticast6(daddr) && (fl & NA_SOLICITED) != 0) return NDROP_NOT_SPECIFIED; // a solicited NA is never multicast
  if (!parseOptions(icmp + ND_MSG_LEN, <i32>(icmpLen - ND_MSG_LEN))) return NDROP_IPV6_NDISC_BAD_OPTIONS;
  let lladdr: u32 = 0;
  if (optTgtLl != 0) {
    lladdr = optAddrData(optTgtLl);
    if (lladdr == 0) return NDROP_NOT_SPECIFIED;
  }
  if (ipv6_chk_addr(ifindex, target, true) != 0) return NDROP_NOT_SPECIFIED; // someone advertises our own address
  const t = neighTable(AF_INET6);
  // untracked NAs create nothing (accept_untracked_na is 0 by default)
  const n = neighLookupStat(t, ifindex, target);
  if (n == 0) return NDROP_NOT_SPECIFIED;
  if ((<u32>load<u8>(n + NE_STATE) & NUD_FAILED) != 0) return NDROP_NOT_SPECIFIED;
  neighUpdate(
    n,
    lladdr,
    (fl & NA_SOLICITED) != 0 ? NUD_REACHABLE : NUD_STALE,
    NEIGH_UPDATE_F_WEAK_OVERRIDE | ((fl & NA_OVERRIDE) != 0 ? NEIGH_UPDATE_F_OVERRIDE : 0) | NEIGH_UPDATE_F_OVERRIDE_ISROUTER |
      ((fl & NA_ROUTER) != 0 ? NEIGH_UPDATE_F_ISROUTER : 0),
  );
  return CONSUMED;
}

/** ndisc_recv_rs: a router (forwarding on) learns the soliciting host, STALE. */
function recvRs(dev: u32, ifindex: u32, ip: u32, icmp: u32, icmpLen: u32): i32 {
  if (icmpLen < 8) return NDROP_PKT_TOO_SMALL;
  if (conf6(dev, CONF6_FORWARDING) == 0) return NDROP_NOT_SPECIFIED;
  const saddr = ip + 8;
  if (isAny6(saddr)) return NDROP_NOT_SPECIFIED;
  if (!parseOptions(icmp + 8, <i32>(icmpLen - 8))) return NDROP_IPV6_NDISC_BAD_OPTIONS;
  let lladdr: u32 = 0;
  if (optSrcLl != 0) {
    lladdr = optAddrData(optSrcLl);
    if (lladdr == 0) return NDROP_NOT_SPECIFIED;
  }
  const t = neighTable(AF_INET6);
  let n = neighLookupStat(t, ifindex, saddr);
  if (n == 0) n = neighCreate(t, ifindex, saddr, (load<u32>(dev + ND_FLAGS) & IFF_LOOPBACK) != 0);
  if (n == 0) return NDROP_NOT_SPECIFIED;
  neighUpdate(n, lladdr, NUD_STALE, NEIGH_UPDATE_F_WEAK_OVERRIDE | NEIGH_UPDATE_F_OVERRIDE | NEIGH_UPDATE_F_OVERRIDE_ISROUTER);
  return CONSUMED;
}

/** ndisc_rcv: data at the IPv6 header, the ICMPv6 message at data + l4off. Takes the frame. */
export function ndiscRcv(ifindex: u32, q: u32, data: u32, len: u32, l4off: u32): void {
  const dev = netdevGet(ifindex);
  let reason: i32 = NDROP_NOT_SPECIFIED;
  if (dev == 0) {
    // no device: dropped below
  } else if (len < l4off + 4 || l4off < 40) {
    reason = NDROP_PKT_TOO_SMALL;
  } else if (load<u8>(data + 7) != 255) {
    reason = NDROP_IPV6_NDISC_HOP_LIMIT; // not from this link
  } else if (load<u8>(data + l4off + 1) != 0) {
    reason = NDROP_IPV6_NDISC_BAD_CODE;
  } else {
    const plen = <u32>bswap<u16>(load<u16>(data + 4));
    const end = min<u32>(len, 40 + plen);
    const icmpLen = end > l4off ? end - l4off : 0;
    const icmp = data + l4off;
    const type = <u32>load<u8>(icmp);
    if (type == NDISC_NEIGHBOUR_SOLICITATION) reason = recvNs(dev, ifindex, data, icmp, icmpLen);
    else if (type == NDISC_NEIGHBOUR_ADVERTISEMENT) reason = recvNa(dev, ifindex, data, icmp, icmpLen);
    else if (type == NDISC_ROUTER_SOLICITATION) reason = recvRs(dev, ifindex, data, icmp, icmpLen);
    else if (type == NDISC_REDIRECT) reason = recvRedirect(dev, ifindex, data, icmp, icmpLen);
    // router advertisements are not processed here: freed as NOT_SPECIFIED
  }
  netFree(q, data);
  if (reason != CONSUMED) netDrop(<u32>reason);
}

// ---- Redirects (RFC 4861 section 8) ----

@inline function RD_FL(): u32 {
  return netScratch() + SCR_NDISC;
}
@inline function RD_RES(): u32 {
  return netScratch() + SCR_NDISC + 64;
}
@inline function RD_ADDR(): u32 {
  return netScratch() + SCR_NDISC + 128;
}

/**
 * ndisc_redirect_rcv: from a link-local source, options whole; without a redirected header the
 * destination is looked up as is (ip6_redirect_no_header), with one its quoted packet goes through
 * icmpv6_notify to its protocol's error handler — ICMPv6's (icmpv6_err) calls ip6_redirect. UDP and TCP
 * take a redirect only for a socket (ip6_sk_redirect, with the socket's bound device as oif: one bound
 * to none matches no next hop in __ip6_route_redirect): not modelled. Dropped NOT_SPECIFIED even when
 * used, as the kernel's returns.
 */
function recvRedirect(dev: u32, ifindex: u32, ip: u32, icmp: u32, icmpLen: u32): i32 {
  if ((ipv6AddrType(ip + 8) & IPV6_ADDR_LINKLOCAL) == 0) return NDROP_NOT_SPECIFIED;
  if (icmpLen < RD_MSG_LEN || !parseOptions(icmp + RD_MSG_LEN, <i32>(icmpLen - RD_MSG_LEN))) return NDROP_IPV6_NDISC_BAD_OPTIONS;
  if (optRh == 0) {
    ip6Redirect(dev, ifindex, ip, icmp, icmpLen, icmp + 24, ip + 24);
    return NDROP_NOT_SPECIFIED;
  }
  // icmpv6_notify on the quoted packet: its header and 8 bytes of its upper layer, else Icmp6:InErrors
  const inner = optRh + 8;
  const end = icmp + icmpLen;
  const innerLen = end > inner ? end - inner : 0;
  if (innerLen < 40) {
    mibInc(MIB_ICMP6_IN_ERRORS);
    return NDROP_NOT_SPECIFIED;
  }
  const off = ipv6SkipExthdr(inner, innerLen, 40, <u32>load<u8>(inner + 6));
  if (off < 0 || <u32>off + 8 > innerLen) {
    mibInc(MIB_ICMP6_IN_ERRORS);
    return NDROP_NOT_SPECIFIED;
  }
  if (skipNexthdr == IPPROTO_ICMPV6) ip6Redirect(dev, ifindex, ip, icmp, icmpLen, inner + 24, inner + 8);
  return NDROP_NOT_SPECIFIED;
}

/**
 * ip6_redirect + ip6_route_redirect + rt6_do_redirect: the route toward `daddr` from `saddr` out of
 * `ifindex` must use the Redirect's source as its gateway (or already be redirected to it); then the
 * message's own checks (destination not multicast, target link-local unless it is the destination,
 * forwarding off and accept_redirects on for the device, target link-layer option of the right size),
 * the target learned STALE (a router unless on-link), and the exception toward the destination made.
 */
function ip6Redirect(dev: u32, ifindex: u32, ip: u32, icmp: u32, icmpLen: u32, daddr: u32, saddr: u32): void {
  const fl = RD_FL();
  const res = RD_RES();
  memory.fill(fl, 0, FL_SIZE);
  store<u8>(fl, <u8>AF_INET6, FL_FAMILY);
  copy6(fl + FL_DST, daddr);
  copy6(fl + FL_SRC, saddr);
  store<u32>(fl, LOOPBACK_IFINDEX, FL_IIF);
  store<u32>(fl, ifindex, FL_OIF);
  const oldGw = fib6_lookup(fl, res, false, false) == 0 ? redirectNhMatch(ifindex, daddr, ip + 8) : 0;
  // rt6_do_redirect
  const target = icmp + 8;
  const dest = icmp + 24;
  if (isMulticast6(dest)) return;
  const onLink = eq6(dest, target);
  if (!onLink && ipv6AddrType(target) != (IPV6_ADDR_UNICAST | IPV6_ADDR_LINKLOCAL)) return;
  if (conf6(dev, CONF6_FORWARDING) != 0 || conf6(dev, CONF6_ACCEPT_REDIRECTS) == 0) return;
  if (!parseOptions(icmp + RD_MSG_LEN, <i32>(icmpLen - RD_MSG_LEN))) return;
  let lladdr: u32 = 0;
  if (optTgtLl != 0) {
    lladdr = optAddrData(optTgtLl);
    if (lladdr == 0) return; // invalid link-layer address length
  }
  if (oldGw == 0) return; // the source is not a valid next hop for the destination
  const t = neighTable(AF_INET6);
  let n = neighLookupStat(t, ifindex, target);
  if (n == 0) n = neighCreate(t, ifindex, target, (load<u32>(dev + ND_FLAGS) & IFF_LOOPBACK) != 0);
  if (n == 0) return;
  neighUpdate(n, lladdr, NUD_STALE, NEIGH_UPDATE_F_WEAK_OVERRIDE | NEIGH_UPDATE_F_OVERRIDE | (onLink ? 0 : NEIGH_UPDATE_F_OVERRIDE_ISROUTER | NEIGH_UPDATE_F_ISROUTER));
  // rt6_insert_exception: the redirect replaces whatever exception (a learned PMTU) the destination had
  dst_pmtu_forget(AF_INET6, dest);
  rt6RedirectInsert(ifindex, dest, oldGw, target, !onLink);
}

/**
 * __ip6_route_redirect over the routes of the prefix the lookup found, in metric order: the first with a
 * live gateway next hop on `ifindex` whose gateway is the Redirect's source `gw` — or whose redirect
 * exception toward `daddr` already points there (ip6_redirect_nh_match) — gives its gateway's address;
 * a reject route first, or none, gives 0 (the null entry). The kernel then backtracks to shorter prefixes
 * when the prefix has no such route; that is not done here.
 */
function redirectNhMatch(ifindex: u32, daddr: u32, gw: u32): u32 {
  const list = fib6LastLeaf();
  const n: u32 = list == 0 ? 0 : load<u32>(list);
  for (let i: u32 = 0; i < n; i++) {
    const fa = load<u32>(list + 8 + (i << 2));
    if (<u32>load<u8>(fa + FA_TYPE) >= RTN_BLACKHOLE) return 0; // RTF_REJECT
    if (load<u32>(fa + FA_NHS) == 0) continue;
    const nh = fa + FA_NH;
    if ((load<u32>(nh + NH_FLAGS) & RTNH_F_DEAD) != 0 || <u32>load<u8>(nh + NH_GW_FAMILY) != AF_INET6 || load<u32>(nh + NH_OIF) != ifindex) continue;
    if (eq6(nh + NH_GW, gw)) return nh + NH_GW;
    const cached = rt6RedirectGw(daddr, ifindex, nh + NH_GW);
    if (cached != 0 && eq6(cached, gw)) return nh + NH_GW;
  }
  return 0;
}

/**
 * ip6_forward's redirect: a datagram at `data` (`len` bytes, not yet forwarded) goes back out `ifindex`,
 * the device it came in on, by the route `res`: its sender is told the better first hop — the route's
 * gateway, or the destination itself — at most once a second per destination (inet_peer_xrlim_allow).
 * The datagram is still forwarded by the caller.
 */
export function ndisc_forward_redirect(ifindex: u32, data: u32, len: u32, res: u32): void {
  const target = <u32>load<u8>(res, FR_GW_FAMILY) == AF_INET6 ? res + FR_GW : data + 24;
  if (peerXrlimAllow6(data + 24, 1000)) ndiscSendRedirect(ifindex, data, len, target);
}

/**
 * ndisc_send_redirect: from the device's link-local address to the datagram's source, which must be a
 * neighbour (its route has no gateway), at most once a second per source; the target's link-layer
 * address when its entry is valid, and as much of the datagram as fits a minimum-MTU packet.
 */
function ndiscSendRedirect(ifindex: u32, data: u32, len: u32, target: u32): void {
  const dev = netdevGet(ifindex);
  if (dev == 0) return;
  const lladdr = RD_ADDR();
  if (ipv6_get_lladdr(ifindex, lladdr) != 0) return; // no link-local address
  if (!eq6(data + 24, target) && ipv6AddrType(target) != (IPV6_ADDR_UNICAST | IPV6_ADDR_LINKLOCAL)) return;
  if (!ip6_route_output(data + 8, lladdr, IPPROTO_ICMPV6, NDISC_REDIRECT, 0, ifindex, false, false, 0, 0, 0)) return;
  if (<u32>load<u8>(OUT_RES(), FR_GW_FAMILY) != 0) return; // the destination is not a neighbour
  if (!peerXrlimAllow6(data + 8, 1000)) return;
  // dst_neigh_lookup on the forward route: the target's entry, made when missing
  const t = neighTable(AF_INET6);
  let n = neighLookupStat(t, ifindex, target);
  if (n == 0) n = neighCreate(t, ifindex, target, (load<u32>(dev + ND_FLAGS) & IFF_LOOPBACK) != 0);
  if (n == 0) return;
  const ha = (<u32>load<u8>(n + NE_STATE) & NUD_VALID) != 0;
  const optlen: u32 = ha ? ND_LLOPT_LEN : 0;
  const rdLen = min<u32>(IPV6_MIN_MTU - 40 - RD_MSG_LEN - optlen, len + 8) & ~7;
  const eth = ndAlloc();
  if (eth == 0) return;
  const ip = eth + 14;
  const icmp = ip + 40;
  copy6(ip + 8, lladdr);
  copy6(ip + 24, data + 8);
  store<u64>(icmp, 0);
  store<u8>(icmp, <u8>NDISC_REDIRECT);
  copy6(icmp + 8, target);
  copy6(icmp + 24, data + 24);
  let p = icmp + RD_MSG_LEN;
  if (ha) {
    store<u8>(p, <u8>ND_OPT_TARGET_LL_ADDR);
    store<u8>(p + 1, 1);
    store<u32>(p + 2, load<u32>(n + NE_MAC));
    store<u16>(p + 6, load<u16>(n + NE_MAC + 4));
    p += ND_LLOPT_LEN;
  }
  if (rdLen != 0) {
    store<u64>(p, 0);
    store<u8>(p, <u8>ND_OPT_REDIRECT_HDR);
    store<u8>(p + 1, <u8>(rdLen >> 3));
    memory.copy(p + 8, data, rdLen - 8);
  }
  ndiscSendSkb(ifindex, eth, RD_MSG_LEN + optlen + rdLen, NDISC_REDIRECT);
}
