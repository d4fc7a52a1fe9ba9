// Forwarding: ip_forward (net/ipv4/ip_forward.c) and ip6_forward (net/ipv6/ip6_output.c) for datagrams
// whose input route is a unicast route out of another (or the same) device.
//
//   IPv4  not for us at L2 (broadcast/multicast MAC) → drop; TTL ≤ 1 → ICMP time exceeded, InHdrErrors,
//         IP_INHDR; Ip:ForwDatagrams; over the next-hop MTU with DF → ICMP fragmentation needed carrying
//         that MTU, Ip:FragFails, PKT_TOO_BIG; TTL decremented with the checksum updated incrementally
//         (ip_decrease_ttl); ICMP redirect when the route leads back out of the input device toward a
//         next hop on the sender's link and send_redirects is on (off by default here); the options
//         receive filled in fixed (the egress address in a record-route slot, the checksum redone:
//         ip_forward_options); then output (fragmented there when over the MTU without DF).
//   IPv6  forwarding off (net.ipv6.conf.all.forwarding, or the input device's force_forwarding) →
//         InAddrErrors, IP_INADDRERRORS; not for us at L2 → drop; hop limit ≤ 1 → ICMPv6 time exceeded,
//         InHdrErrors, IP_INHDR; unless going back out the input device: an unspecified, multicast or
//         loopback source → InAddrErrors, a link-local source → ICMPv6 destination unreachable (beyond
//         scope) and InAddrErrors; Ip6:OutForwDatagrams; over the output device's mtu6 → ICMPv6 packet too
//         big (never fragmented), InTooBigErrors, FragFails, PKT_TOO_BIG; hop limit decremented; output,
//         where a route MTU or a learned path MTU smaller still gives packet too big (ip6_fragment's
//         fail_toobig: dst_mtu counts the exception ip6_forward's MTU leaves out).
//
// The next-hop MTU is the kernel's ip_dst_mtu_maybe_forward(dst, true): the route's mtu metric, else the
// output device's MTU (a learned PMTU only with net.ipv4.ip_forward_use_pmtu, or one locked at min_pmtu). An IPv6 datagram routed
// back out its input device makes an ICMPv6 redirect to its sender (ndisc.ts ndisc_forward_redirect).
//
// Reads: the datagram, its route (FR_* from receive), the output device's record. Sets: TTL / hop limit
// and the IPv4 checksum in place; Ip/Ip6 forwarding counters. Next: ip_finish_output /
// ip6_finish_output (output.ts), icmp_send / icmpv6_send, or a drop.

import { mibInc, netDrop, netFree, netdevGet, sysctl } from './core';
import {
  AF_INET, FR_GW, FR_GW_FAMILY, FR_MTU, FR_OIF, MIB_IP6_FRAG_FAILS, MIB_IP6_IN_ADDR_ERRORS, MIB_IP6_IN_HDR_ERRORS,
  MIB_IP6_IN_TOO_BIG_ERRORS, MIB_IP6_OUT_FORW_DATAGRAMS, MIB_IP_FORW_DATAGRAMS, MIB_IP_FRAG_FAILS,
  MIB_IP_IN_HDR_ERRORS, ND_CONF6, NDROP_IP_INADDRERRORS, NDROP_IP_INHDR, NDROP_NOT_SPECIFIED, NDROP_NO_TX_TARGET,
  NDROP_PKT_TOO_BIG, SYSCTL_IPV6_ALL_FORWARDING, CONF6_FORCE_FORWARDING, SYSCTL_IP_FORWARD_USE_PMTU,
} from './abi';
import {
  ICMP_DEST_UNREACH, ICMP_EXC_TTL, ICMP_FRAG_NEEDED, ICMP_REDIRECT, ICMP_REDIR_HOST, ICMP_TIME_EXCEEDED,
  ICMPV6_DEST_UNREACH, ICMPV6_EXC_HOPLIMIT, ICMPV6_NOT_NEIGHBOUR, ICMPV6_PKT_TOOBIG, ICMPV6_TIME_EXCEED,
  icmp_send, icmpv6_send, redirectAllow,
} from './icmp';
import { devMtu6, ip6_finish_output, ip_finish_output, ownMtu4, ownMtu6, resultPrefsrc4, routeMtu4 } from './output';
import { ipSendCheck } from './csum';
import { dst_pmtu_forward4, dstPmtuLockedAny, dstPmtuNone } from './dst';
import { NF_HOOK4, NF_HOOK6, NF_INET_FORWARD, nf_frag_max } from './netfilter';
import { ndisc_forward_redirect } from './ndisc';
import { optRR } from './ipv4_rcv';
import {
  IP6H_DADDR, IP6H_HOP_LIMIT, IP6H_SADDR, IPH_CHECK, IPH_DADDR, IPH_FRAG_OFF, IPH_SADDR, IPH_TTL, IPV6_ADDR_ANY,
  IPV6_ADDR_LINKLOCAL, IPV6_ADDR_LOOPBACK, IPV6_ADDR_MULTICAST, IP_DF, PACKET_HOST, ipv6AddrType, ldBe16,
} from './inet';

/**
 * ip_decrease_ttl: TTL - 1 and the checksum adjusted by adding htons(0x0100) with the end-around carry,
 * exactly as the kernel computes it on a little-endian machine (a result of 0xffff becomes 0x0000).
 */
@inline export function ipDecreaseTtl(data: u32): void {
  let check = <u32>load<u16>(data, IPH_CHECK);
  check += 0x0001; // htons(0x0100) as a little-endian u16
  store<u16>(data, <u16>(check + (check >= 0xffff ? 1 : 0)), IPH_CHECK);
  store<u8>(data, load<u8>(data, IPH_TTL) - 1, IPH_TTL);
}

/** Route flag from receive: send an ICMP redirect (IPSKB_DOREDIRECT). */
export const FWD_DOREDIRECT: u32 = 1;
/** A record-route slot receive filled (rr_needaddr): forwarding rewrites it with the egress address. */
export const FWD_OPT_RR: u32 = 2;
/** Receive changed an option (a slot filled, an overflow counted: is_changed): the checksum is redone. */
export const FWD_OPT_CHANGED: u32 = 4;

/**
 * ip_forward_options: the record-route slot receive filled gets the address the datagram leaves from
 * (ip_rt_get_source: the route's preferred source toward its next hop), and the header checksum is
 * redone. A timestamp's address slot keeps the receiving address (the kernel rewrites only record
 * route and source routes here).
 */
function ipForwardOptions(data: u32, res: u32, flags: u32): void {
  if ((flags & FWD_OPT_RR) != 0) {
    const p = data + optRR;
    store<u32>(p + <u32>load<u8>(p, 2) - 5, resultPrefsrc4(res));
  }
  ipSendCheck(data, (<u32>load<u8>(data) & 0xf) << 2);
}

/**
 * ip_forward: the IPv4 datagram at `data` (`len` bytes) from `ifindex`, frame type `pkt`, routed by
 * `res` (a unicast route; `flags` FWD_*). Takes the frame.
 */
@inline export function ip_forward(ifindex: u32, q: u32, data: u32, len: u32, pkt: u32, res: u32, flags: u32): void {
  if (pkt != PACKET_HOST) {
    netFree(q, data);
    netDrop(NDROP_NOT_SPECIFIED);
    return;
  }
  if (load<u8>(data, IPH_TTL) <= 1) {
    mibInc(MIB_IP_IN_HDR_ERRORS);
    icmp_send(ifindex, data, len, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0);
    netFree(q, data);
    netDrop(NDROP_IP_INHDR);
    return;
  }
  mibInc(MIB_IP_FORW_DATAGRAMS);
  const ond = netdevGet(load<u32>(res, FR_OIF));
  if (ond == 0) {
    netFree(q, data);
    netDrop(NDROP_NO_TX_TARGET);
    return;
  }
  // ip_dst_mtu_maybe_forward(dst, true): a learned PMTU only with ip_forward_use_pmtu, or when it is
  // locked (ip_mtu_locked: reported below min_pmtu, held at it)
  let mtu = sysctl(SYSCTL_IP_FORWARD_USE_PMTU) != 0 ? ownMtu4(res, ond, load<u32>(data, IPH_DADDR)) : routeMtu4(res, ond);
  if (dstPmtuLockedAny()) {
    const locked = dst_pmtu_forward4(data + IPH_DADDR);
    if (locked != 0) mtu = locked;
  }
  // ip_exceeds_mtu: a datagram conntrack reassembled (ignore_df) exceeds only when a fragment it came in did
  if (len > mtu && (ldBe16(data + IPH_FRAG_OFF) & IP_DF) != 0 && !(nf_frag_max(data, len) != 0 && nf_frag_max(data, len) <= mtu)) {
    mibInc(MIB_IP_FRAG_FAILS);
    icmp_send(ifindex, data, len, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu);
    netFree(q, data);
    netDrop(NDROP_PKT_TOO_BIG);
    return;
  }
  ipDecreaseTtl(data);
  if ((flags & FWD_DOREDIRECT) != 0 && redirectAllow(load<u32>(data, IPH_SADDR))) {
    // rt_nexthop: the gateway, or the destination itself when it is on the link
    const gw = <u32>load<u8>(res, FR_GW_FAMILY) == AF_INET ? load<u32>(res, FR_GW) : load<u32>(data, IPH_DADDR);
    icmp_send(ifindex, data, len, ICMP_REDIRECT, ICMP_REDIR_HOST, gw);
  }
  if (!NF_HOOK4(NF_INET_FORWARD, ifindex, load<u32>(res, FR_OIF), q, data, len)) return;
  if ((flags & (FWD_OPT_RR | FWD_OPT_CHANGED)) != 0) ipForwardOptions(data, res, flags);
  ip_finish_output(res, ond, mtu, q, data, len, ifindex);
}

/** net.ipv6.conf.all.forwarding, or the input device's force_forwarding. */
@inline function ip6ForwardingOn(ifindex: u32): bool {
  if (sysctl(SYSCTL_IPV6_ALL_FORWARDING) != 0) return true;
  const nd = netdevGet(ifindex);
  return nd != 0 && load<u32>(nd, ND_CONF6 + (CONF6_FORCE_FORWARDING << 2)) != 0;
}

/**
 * ip6_forward: the IPv6 datagram at `data` (`len` bytes) from `ifindex`, frame type `pkt`, routed by
 * `res` (a unicast route). Takes the frame.
 */
export function ip6_forward(ifindex: u32, q: u32, data: u32, len: u32, pkt: u32, res: u32): void {
  if (!ip6ForwardingOn(ifindex)) {
    mibInc(MIB_IP6_IN_ADDR_ERRORS);
    netFree(q, data);
    netDrop(NDROP_IP_INADDRERRORS);
    return;
  }
  if (pkt != PACKET_HOST) {
    netFree(q, data);
    netDrop(NDROP_NOT_SPECIFIED);
    return;
  }
  if (load<u8>(data, IP6H_HOP_LIMIT) <= 1) {
    icmpv6_send(ifindex, data, len, ICMPV6_TIME_EXCEED, ICMPV6_EXC_HOPLIMIT, 0);
    mibInc(MIB_IP6_IN_HDR_ERRORS);
    netFree(q, data);
    netDrop(NDROP_IP_INHDR);
    return;
  }
  const oif = load<u32>(res, FR_OIF);
  if (oif == ifindex) {
    ndisc_forward_redirect(ifindex, data, len, res); // back out the input device: tell the sender the better first hop
  } else {
    // Anything not going back out the input device must come from a source that names one node outside this link.
    const st = ipv6AddrType(data + IP6H_SADDR);
    if (st == IPV6_ADDR_ANY || (st & (IPV6_ADDR_MULTICAST | IPV6_ADDR_LOOPBACK)) != 0) {
      mibInc(MIB_IP6_IN_ADDR_ERRORS);
      netFree(q, data);
      netDrop(NDROP_IP_INADDRERRORS);
      return;
    }
    if ((st & IPV6_ADDR_LINKLOCAL) != 0) {
      icmpv6_send(ifindex, data, len, ICMPV6_DEST_UNREACH, ICMPV6_NOT_NEIGHBOUR, 0);
      mibInc(MIB_IP6_IN_ADDR_ERRORS);
      netFree(q, data);
      netDrop(NDROP_IP_INADDRERRORS);
      return;
    }
  }
  mibInc(MIB_IP6_OUT_FORW_DATAGRAMS);
  const ond = netdevGet(oif);
  if (ond == 0) {
    netFree(q, data);
    netDrop(NDROP_NO_TX_TARGET);
    return;
  }
  const mtu = devMtu6(ond);
  // ip6_pkt_too_big: a datagram conntrack reassembled (frag_max_size, ignore_df) is too big only when a
  // fragment it came in was; it leaves cut again (ip6_finish_output)
  const fmax = nf_frag_max(data, len);
  if (len > mtu && (fmax == 0 || fmax > mtu)) {
    icmpv6_send(ifindex, data, len, ICMPV6_PKT_TOOBIG, 0, mtu);
    mibInc(MIB_IP6_IN_TOO_BIG_ERRORS);
    mibInc(MIB_IP6_FRAG_FAILS);
    netFree(q, data);
    netDrop(NDROP_PKT_TOO_BIG);
    return;
  }
  store<u8>(data, load<u8>(data, IP6H_HOP_LIMIT) - 1, IP6H_HOP_LIMIT);
  if (!NF_HOOK6(NF_INET_FORWARD, ifindex, oif, q, data, len)) return;
  // ip6_finish_output → ip6_fragment: ip6_skb_dst_mtu is dst_mtu of the output route — a learned PMTU
  // exception's (rt6_do_update_pmtu set its RTAX_MTU), else the route's mtu metric, else mtu6 — which
  // unlike ip6_forward's ip6_dst_mtu_maybe_forward(dst, true) counts an unlocked exception: a forwarded
  // datagram over it gets packet too big quoting it with the hop limit already decremented
  const rmtu = load<u32>(res, FR_MTU) != 0 || !dstPmtuNone() ? ownMtu6(res, ond, data + IP6H_DADDR) : 0;
  if (rmtu != 0 && len > rmtu && (fmax == 0 || fmax > rmtu)) {
    icmpv6_send(ifindex, data, len, ICMPV6_PKT_TOOBIG, 0, rmtu);
    mibInc(MIB_IP6_FRAG_FAILS);
    netFree(q, data);
    netDrop(NDROP_PKT_TOO_BIG);
    return;
  }
  ip6_finish_output(res, q, data, len, ifindex);
}
