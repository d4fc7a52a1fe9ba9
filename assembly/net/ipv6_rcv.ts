// IPv6 receive: ipv6_rcv / ip6_rcv_core (net/ipv6/ip6_input.c), the hop-by-hop header
// (ipv6_parse_hopopts), the input route (ip6_route_input), and the extension headers local delivery
// walks (net/ipv6/exthdrs.c: routing, destination options; the fragment header goes to frag.ts):
//
//   OTHERHOST frame → OTHERHOST; Ip6:InReceives; IPv6 disabled on the device → IPV6DISABLED
//   (InDiscards); shorter than 40 → IP_INHDR; version ≠ 6 → UNHANDLED_PROTO; a loopback source or
//   destination, an interface-local (ff01::/16) or scope-0 multicast destination, a multicast source →
//   IP_INHDR (all InHdrErrors); payload length beyond the frame → PKT_TOO_SMALL (InTruncatedPkts), and the
//   frame is trimmed to it (a zero payload length is a jumbogram's only with hop-by-hop);
//   hop-by-hop first (RFC 8200 4.3), its options as ip6_parse_tlv: Pad1/PadN (at most 7 bytes of padding
//   in a row, PadN all zeros), router alert (length 2), jumbo payload (RFC 2675 checks); an unknown
//   option acts by its top two bits — 00 skip, 01 drop, 10 ICMPv6 parameter problem (code 2, pointing at
//   it), 11 the same unless the destination is multicast; more than 8 options, or a malformed header →
//   IP_INHDR (InHdrErrors);
//   route: a multicast destination → delivered when the device is in the group (ff02::1, ff01::1, the
//   solicited-node group of each address; ff02::2 too when forwarding); fib6_lookup with iif (link-local
//   destinations restricted to the input device): local/anycast → delivery; unicast → ip6_forward;
//   blackhole → IP_BLACKHOLE; prohibit → ICMPv6 administratively prohibited; unreachable / no route →
//   ICMPv6 no route (InNoRoutes, IP_INNOROUTES; an unspecified destination: InAddrErrors).
//   Local delivery walks routing headers (segments left 0: skipped; type 0 / unknown with segments left:
//   ICMPv6 parameter problem at the type field; SRv6 / RPL with segments left: dropped, as they are
//   disabled by default; more segments left than addresses: parameter problem at segments left) and
//   destination options (same option rules as hop-by-hop).
//
// Reads: the datagram, the input device's record (CONF6, addresses for multicast membership), the
// FIB. Sets: the frame's length (trimmed), Ip6 counters. Next: ip6_local_deliver (local.ts),
// ip6_forward (forward.ts), icmpv6_send, ipv6_defrag (frag.ts), or a drop.

import { mcDevHas6 } from './udp_mcast';
import { mibInc, netDrop, netFree, netRoot, netdevGet, sysctl, netScratch } from './core';
import { SCR_RX } from './abi';
import { FIBF_CUSTOM6, FRT_FLAGS, fib6RulesNeedDissect } from './fib';
import {
  AE_ADDR, ADDR_ENTRY_SIZE, ADDR_LIST_HEADER, AF_INET6, CONF6_DISABLE_IPV6, FL_DST, FL_FAMILY, FL_IIF, FL_LABEL, FL_MARK,
  FL_OIF, FL_PROTO, FL_SIZE, FL_SRC, FL_TOS, FR_SIZE, FR_TYPE, MIB_IP6_IN_ADDR_ERRORS, MIB_IP6_IN_DISCARDS,
  MIB_IP6_IN_HDR_ERRORS, MIB_IP6_IN_MCAST_PKTS, MIB_IP6_IN_NO_ROUTES, MIB_IP6_IN_RECEIVES,
  MIB_IP6_IN_TRUNCATED_PKTS, MIB_IP6_REASM_OKS, ND_ADDR6, ND_CONF6, NDROP_IP_BLACKHOLE, NDROP_IP_INADDRERRORS,
  NDROP_IP_INHDR, NDROP_IP_INNOROUTES, NDROP_IPV6DISABLED, NDROP_NOT_SPECIFIED, NDROP_OTHERHOST,
  NDROP_PKT_TOO_SMALL, NDROP_UNHANDLED_PROTO, RTN_ANYCAST, RTN_LOCAL, RTN_UNICAST, SYSCTL_IPV6_ALL_FORWARDING,
  NR_FIB, SYSCTL_FIB6_MULTIPATH_HASH_POLICY, FL_SPORT, IFF_LOOPBACK, ND_FLAGS,
} from './abi';
import { dst6_route, dst6_route_fresh } from './dst';
import { mp_hash_pkt_begin, mp_hash_pkt_end, mp_hash_pkt_flkeys6 } from './mphash';
import { fillBytes } from '../bytes';
import {
  ICMPV6_ADM_PROHIBITED, ICMPV6_DEST_UNREACH, ICMPV6_HDR_FIELD, ICMPV6_NOROUTE, ICMPV6_PARAMPROB,
  ICMPV6_UNK_OPTION, icmpv6_send,
} from './icmp';
import { ip6_local_deliver } from './local';
import { ip6_forward } from './forward';
import { NF_HOOK6, NF_INET_PRE_ROUTING, nf_rx_mark } from './netfilter';
import {
  IP6H_DADDR, IP6H_NEXTHDR, IP6H_PAYLOAD_LEN, IP6H_SADDR, IPPROTO_AH, IPPROTO_DSTOPTS, IPPROTO_FRAGMENT,
  IPPROTO_HOPOPTS, IPPROTO_NONE, IPPROTO_ROUTING, IPV6_HLEN, PACKET_HOST, PACKET_OTHERHOST, ipv6AddrType,
  protoPortsOffset,
  ipv6Copy, ipv6IsAny, ipv6IsLoopback, ipv6IsMulticast, ipv6McScope, ldBe16, ldBe32, IPV6_ADDR_LINKLOCAL,
  IPV6_ADDR_LOOPBACK, IPV6_ADDR_MULTICAST,
} from './inet';

/** The flow key and result of the input route (one worker's). */
@inline function IN6_FL(): u32 {
  return netScratch() + SCR_RX + 256;
}
@inline function IN6_RES(): u32 {
  return netScratch() + SCR_RX + 320;
}

/** ip6_parse_tlv's default max_hbh_opts_cnt / max_dst_opts_cnt (net.ipv6.max_{hbh,dst}_opts_number). */
const MAX_OPTS_CNT: u32 = 8;
const IPV6_TLV_PAD1: u32 = 0;
const IPV6_TLV_PADN: u32 = 1;
const IPV6_TLV_ROUTERALERT: u32 = 5;
const IPV6_TLV_CALIPSO: u32 = 7;
const IPV6_TLV_IOAM: u32 = 49;
const IPV6_TLV_JUMBO: u32 = 194;
const IPV6_MAXPLEN: u32 = 65535;

/**
 * ipv6_rcv: the IPv6 datagram at `data` (`len` bytes to the end of the frame) received on `ifindex`
 * (after VLAN demux), frame type `pkt`. Takes the frame.
 */
export function ipv6_rcv(ifindex: u32, q: u32, data: u32, len: u32, pkt: u32): void {
  if (pkt == PACKET_OTHERHOST) {
    netFree(q, data);
    netDrop(NDROP_OTHERHOST);
    return;
  }
  mibInc(MIB_IP6_IN_RECEIVES);
  rxPktType = pkt;
  const nd = netdevGet(ifindex);
  if (nd == 0 || load<u32>(nd, ND_CONF6 + (CONF6_DISABLE_IPV6 << 2)) != 0) {
    mibInc(MIB_IP6_IN_DISCARDS);
    netFree(q, data);
    netDrop(nd == 0 ? NDROP_NOT_SPECIFIED : NDROP_IPV6DISABLED);
    return;
  }
  if (len < IPV6_HLEN) {
    inHdrError6(q, data, NDROP_IP_INHDR);
    return;
  }
  if ((<u32>load<u8>(data) >> 4) != 6) {
    inHdrError6(q, data, NDROP_UNHANDLED_PROTO);
    return;
  }
  const daddr = data + IP6H_DADDR;
  const saddr = data + IP6H_SADDR;
  // RFC 4291 2.5.3 (loopback never on the wire: but on the loopback device itself, ip6_rcv_core),
  // Errata 3480 (interface-local multicast), 2.7 (scope 0 multicast, multicast sources)
  if ((ipv6IsLoopback(saddr) || ipv6IsLoopback(daddr)) && (load<u32>(nd, ND_FLAGS) & IFF_LOOPBACK) == 0) {
    inHdrError6(q, data, NDROP_IP_INHDR);
    return;
  }
  const mcast = ipv6IsMulticast(daddr);
  if ((mcast && ipv6McScope(daddr) <= 1) || ipv6IsMulticast(saddr)) {
    inHdrError6(q, data, NDROP_IP_INHDR);
    return;
  }
  const plen = ldBe16(data + IP6H_PAYLOAD_LEN);
  const nexthdr = <u32>load<u8>(data, IP6H_NEXTHDR);
  if (plen != 0 || nexthdr != IPPROTO_HOPOPTS) {
    if (plen + IPV6_HLEN > len) {
      mibInc(MIB_IP6_IN_TRUNCATED_PKTS);
      netFree(q, data);
      netDrop(NDROP_PKT_TOO_SMALL);
      return;
    }
    len = plen + IPV6_HLEN;
  }
  let nhoff: u32 = IP6H_NEXTHDR;
  let off: u32 = IPV6_HLEN;
  let routerAlert = false;
  if (nexthdr == IPPROTO_HOPOPTS) {
    // ipv6_parse_hopopts: the header must be all there (freed unnamed, counted InHdrErrors)
    if (len < IPV6_HLEN + 8 || IPV6_HLEN + ((<u32>load<u8>(data, IPV6_HLEN + 1) + 1) << 3) > len) {
      inHdrError6(q, data, NDROP_NOT_SPECIFIED);
      return;
    }
    const extlen = (<u32>load<u8>(data, IPV6_HLEN + 1) + 1) << 3;
    const r = parseTlv(ifindex, q, data, len, IPV6_HLEN, true);
    if (r < 0) {
      mibInc(MIB_IP6_IN_HDR_ERRORS);
      return;
    }
    routerAlert = tlvRouterAlert;
    len = tlvLen; // a jumbogram's length
    nhoff = IPV6_HLEN;
    off = IPV6_HLEN + extlen;
  }
  if (!NF_HOOK6(NF_INET_PRE_ROUTING, ifindex, 0, q, data, len)) return;
  // the type as the hook left it (`meta pkttype set`: nft_meta_set_eval writes skb->pkt_type)
  ip6RcvFinish(ifindex, nd, q, data, len, rxPktType, nhoff, off, mcast);
}

/**
 * ip6_rcv_finish for a datagram conntrack's defragmentation (netfilter.ts, NF_IP6_PRI_CONNTRACK_DEFRAG)
 * made whole at PRE_ROUTING and the rest of the hook passed: the input route on, as the kernel goes on
 * with the skb nf_ct_frag6_gather reassembled in place. A frame of the stack's own (q = 0); its
 * hop-by-hop header, if any, was parsed on the fragment that completed it.
 */
export function ip6_rcv_finish_defrag(ifindex: u32, data: u32, len: u32): void {
  const nd = netdevGet(ifindex);
  const hop = <u32>load<u8>(data, IP6H_NEXTHDR) == IPPROTO_HOPOPTS && len >= IPV6_HLEN + 8;
  const nhoff: u32 = hop ? IPV6_HLEN : IP6H_NEXTHDR;
  const off: u32 = hop ? IPV6_HLEN + ((<u32>load<u8>(data, IPV6_HLEN + 1) + 1) << 3) : IPV6_HLEN;
  ip6RcvFinish(ifindex, nd, 0, data, len, PACKET_HOST, nhoff, off, ipv6IsMulticast(data + IP6H_DADDR));
}

@inline function inHdrError6(q: u32, data: u32, reason: u32): void {
  mibInc(MIB_IP6_IN_HDR_ERRORS);
  netFree(q, data);
  netDrop(reason);
}

/** ip6_rcv_finish: the input route and its input function. */
function ip6RcvFinish(ifindex: u32, nd: u32, q: u32, data: u32, len: u32, pkt: u32, nhoff: u32, off: u32, mcast: bool): void {
  if (mcast) {
    // ip6_mc_input
    mibInc(MIB_IP6_IN_MCAST_PKTS);
    if (!mcJoined6(ifindex, nd, data + IP6H_DADDR) && !mcDevHas6(ifindex, data + IP6H_DADDR, 0)) {
      netFree(q, data);
      netDrop(NDROP_NOT_SPECIFIED);
      return;
    }
    ip6_local_deliver(ifindex, q, data, len, nhoff, off, false, true);
    return;
  }
  const daddr = data + IP6H_DADDR;
  const err = ip6InputRoute(ifindex, data, len, nhoff, off);
  if (err == 0) {
    const type = <u32>load<u8>(IN6_RES(), FR_TYPE);
    if (type == RTN_LOCAL || type == RTN_ANYCAST) {
      ip6_local_deliver(ifindex, q, data, len, nhoff, off, type == RTN_LOCAL, true);
      return;
    }
    if (type == RTN_UNICAST) {
      ip6_forward(ifindex, q, data, len, pkt, IN6_RES());
      return;
    }
  }
  // A reject route, or none (ip6_null_entry): ip6_pkt_drop, dst_discard for a blackhole.
  if (err == -22) {
    netFree(q, data);
    netDrop(NDROP_IP_BLACKHOLE);
    return;
  }
  if (ipv6IsAny(daddr)) {
    mibInc(MIB_IP6_IN_ADDR_ERRORS);
    icmpv6_send(ifindex, data, len, ICMPV6_DEST_UNREACH, err == -13 ? ICMPV6_ADM_PROHIBITED : ICMPV6_NOROUTE, 0);
    netFree(q, data);
    netDrop(NDROP_IP_INADDRERRORS);
    return;
  }
  mibInc(MIB_IP6_IN_NO_ROUTES);
  icmpv6_send(ifindex, data, len, ICMPV6_DEST_UNREACH, err == -13 ? ICMPV6_ADM_PROHIBITED : ICMPV6_NOROUTE, 0);
  netFree(q, data);
  netDrop(NDROP_IP_INNOROUTES);
}

/**
 * ip6_route_input for the datagram at `data` (`len` bytes, its first next-header byte at `nhoff`, the
 * header after the fixed ones at `off`) from `ifindex`: the flow key at IN6_FL(), the route through the
 * route cache (dst6_route) into IN6_RES(). 0 or -errno. (Also the lean UDP receive's, udp6_lean.ts, for
 * the destinations its memo does not know yet.)
 */
export function ip6InputRoute(ifindex: u32, data: u32, len: u32, nhoff: u32, off: u32): i32 {
  const daddr = data + IP6H_DADDR;
  fillBytes(IN6_FL(), 0, FL_SIZE);
  ipv6Copy(IN6_FL() + FL_DST, daddr);
  ipv6Copy(IN6_FL() + FL_SRC, data + IP6H_SADDR);
  store<u32>(IN6_FL(), ifindex, FL_IIF);
  // rt6_need_strict: link-local (and loopback) destinations are looked up on the input device only
  if ((ipv6AddrType(daddr) & (IPV6_ADDR_LINKLOCAL | IPV6_ADDR_LOOPBACK)) != 0) store<u32>(IN6_FL(), ifindex, FL_OIF);
  store<u8>(IN6_FL(), <u8>AF_INET6, FL_FAMILY);
  store<u8>(IN6_FL(), <u8>((ldBe32(data) >> 20) & 0xfc), FL_TOS);
  // ip6_flowinfo: traffic class and flow label (network order), as ip6_route_input's fl6.flowlabel — a
  // rule's tos reads the class from it (fib6_rule_match: ip6_dscp), the multipath hash only the label
  store<u32>(IN6_FL(), load<u32>(data) & 0xffffff0f, FL_LABEL);
  store<u8>(IN6_FL(), load<u8>(data, IP6H_NEXTHDR), FL_PROTO); // ip6_route_input: flowi6_proto = nexthdr
  // flowi6_mark: skb->mark as PRE_ROUTING (or a netdev ingress chain) left it (a rule's fwmark selects on it)
  store<u32>(IN6_FL(), nf_rx_mark(ifindex, data, len), FL_MARK);
  if (needPorts6()) flowDissect6(IN6_FL(), data, len, off, <u32>load<u8>(data + nhoff));
  // fib6_select_path hashes with the skb (rt6_multipath_hash): under policies 2 and 3 that is the flow
  // dissector's view of the packet — its last next header, the label in host order, policy 3's
  // jhash_2words(outer, inner) — not the flow key's; under policy 0 an ICMPv6 error's quoted header (router fuzz seeds 1222, 1223 with
  // WXDP_ROUTER_FUZZ_HASH). Past the route cache: its key is the flow key's
  const pol = sysctl(SYSCTL_FIB6_MULTIPATH_HASH_POLICY);
  // (policy 0: only an ICMPv6 error right after the fixed header — icmpv6_is_err — hashes otherwise than its flow key)
  // (policy 0 with rules that need the flow dissector: an ICMPv6 packet, by the dissector's protocol, hashes from its
  // keys — the label in host order — unless it is an error that quotes a header: mp_hash_pkt_flkeys6; router fuzz seed 1233)
  const flk = pol == 0 && <u32>load<u8>(IN6_FL(), FL_PROTO) == 58 && fib6RulesNeedDissect();
  if (flk) {
    mp_hash_pkt_flkeys6(data, len, 58);
    const err = dst6_route_fresh(IN6_FL(), IN6_RES());
    mp_hash_pkt_end();
    return err;
  }
  // (and a packet whose flow key holds the dissector's protocol, not its first next header: policy 0 hashes the header's,
  // ip6_multipath_l3_keys' key_iph->nexthdr — an atomic fragment's 44 under rules that dissect, router fuzz seed 1325)
  const nh0 = <u32>load<u8>(data, IP6H_NEXTHDR);
  if (pol >= 2 || (pol == 0 && ((nh0 == 58 && len > 40 && <u32>load<u8>(data, 40) - 1 < 4) || <u32>load<u8>(IN6_FL(), FL_PROTO) != nh0))) {
    mp_hash_pkt_begin(data, len, true);
    const err = dst6_route_fresh(IN6_FL(), IN6_RES());
    mp_hash_pkt_end();
    return err;
  }
  return dst6_route(IN6_FL(), IN6_RES());
}

/** MAX_FLOW_DISSECT_HDRS: the headers the flow dissector goes through before it settles for what it has. */
const MAX_FLOW_DISSECT_HDRS: u32 = 15;

/**
 * The flow dissector's view of an IPv6 datagram (__skb_flow_dissect with FLOW_DISSECTOR_F_STOP_AT_ENCAP,
 * as fib6_rules_early_flow_dissect and rt6_multipath_hash run it) into `fl`'s FL_PROTO and ports, from
 * the header of type `nexthdr` at `off`: hop-by-hop, routing and destination options headers are
 * skipped (at most MAX_FLOW_DISSECT_HDRS); a fragment header, a first fragment's too (no
 * FLOW_DISSECTOR_F_PARSE_1ST_FRAG), ends it with its next header as the protocol and no ports; anything
 * else is the protocol — AH and "no next header" included, which ipv6_skip_exthdr would treat otherwise
 * — with its ports at proto_ports_offset. A header cut short ends it with its own type (out_bad).
 */
function flowDissect6(fl: u32, data: u32, len: u32, off: u32, nexthdr: u32): void {
  let proto = nexthdr;
  let o = off;
  for (let hdrs: u32 = 0; proto == IPPROTO_HOPOPTS || proto == IPPROTO_ROUTING || proto == IPPROTO_DSTOPTS; ) {
    if (o + 2 > len) break;
    const next = <u32>load<u8>(data + o);
    o += (<u32>load<u8>(data + o + 1) + 1) << 3;
    proto = next;
    if (++hdrs > MAX_FLOW_DISSECT_HDRS) {
      store<u8>(fl, <u8>proto, FL_PROTO);
      return;
    }
  }
  if (proto == IPPROTO_FRAGMENT) {
    if (o + 8 <= len) proto = <u32>load<u8>(data + o);
    store<u8>(fl, <u8>proto, FL_PROTO);
    return;
  }
  store<u8>(fl, <u8>proto, FL_PROTO);
  const poff = protoPortsOffset(proto);
  if (poff >= 0 && o + <u32>poff + 4 <= len) store<u32>(fl, load<u32>(data + o + <u32>poff), FL_SPORT);
}

/** The type (RTN_*) of IN6_RES(), the last ip6InputRoute's result. */
@inline export function ip6InputRouteType(): u32 {
  return <u32>load<u8>(IN6_RES(), FR_TYPE);
}

/** No IPv6 rule was ever added: the input route reads the destination and source only (no TOS, label, iif). */
@inline export function noCustomRules6(): bool {
  const fr = load<u32>(netRoot() + NR_FIB);
  return fr != 0 && (load<u32>(fr + FRT_FLAGS) & FIBF_CUSTOM6) == 0;
}

/** As IPv4's needPorts: custom IPv6 rules, or an IPv6 multipath hash policy over L4. */
@inline function needPorts6(): bool {
  if (sysctl(SYSCTL_FIB6_MULTIPATH_HASH_POLICY) != 0) return true;
  const fr = load<u32>(netRoot() + NR_FIB);
  return fr != 0 && (load<u32>(fr + FRT_FLAGS) & FIBF_CUSTOM6) != 0;
}

/**
 * ipv6_chk_mcast_addr for the groups this stack joins on a device: ff02::1 (all nodes), ff02::2 and
 * ff05::2 (all routers, when forwarding), ff02::1:ffXX:XXXX for each of its addresses.
 */
export function mcJoined6(ifindex: u32, nd: u32, a: u32): bool {
  const w0 = ldBe32(a);
  const w1 = load<u32>(a, 4);
  const w2 = ldBe32(a + 8);
  const w3 = ldBe32(a + 12);
  if (w1 == 0 && w2 == 0 && (w0 == 0xff020000 || w0 == 0xff010000) && w3 == 1) return true;
  if (w1 == 0 && w2 == 0 && (w0 == 0xff020000 || w0 == 0xff050000) && w3 == 2) return sysctl(SYSCTL_IPV6_ALL_FORWARDING) != 0;
  if (w0 != 0xff020000 || w1 != 0 || w2 != 1 || (w3 & 0xff000000) != 0xff000000) return false;
  const l = load<u32>(nd, ND_ADDR6);
  if (l == 0) return false;
  const n = load<u32>(l);
  for (let i: u32 = 0; i < n; i++) {
    const e = l + ADDR_LIST_HEADER + i * ADDR_ENTRY_SIZE + AE_ADDR;
    if ((ldBe32(e + 12) & 0x00ffffff) == (w3 & 0x00ffffff)) return true;
  }
  return false;
}

// ---- Option headers (ip6_parse_tlv) ----

/** Set by parseTlv: a router alert was seen; the datagram's length (changed by a jumbo payload option). */
let tlvRouterAlert = false;
let tlvLen: u32 = 0;

/**
 * ip6_parse_tlv over the options header at `hoff`: 0 when the datagram goes on; -1 when it was dropped
 * (freed here, with its reason, after any ICMPv6 parameter problem).
 */
function parseTlv(ifindex: u32, q: u32, data: u32, len: u32, hoff: u32, hopbyhop: bool): i32 {
  let rem = <i32>((<u32>load<u8>(data + hoff + 1) + 1) << 3) - 2;
  let o = hoff + 2;
  let padlen: u32 = 0;
  let count: u32 = 0;
  tlvRouterAlert = false;
  tlvLen = len;
  while (rem > 0) {
    const t = <u32>load<u8>(data + o);
    if (t == IPV6_TLV_PAD1) {
      padlen++;
      if (padlen > 7) return tlvBad(q, data);
      o++;
      rem--;
      continue;
    }
    if (rem < 2) return tlvBad(q, data);
    const optlen = <u32>load<u8>(data + o, 1) + 2;
    if (<i32>optlen > rem) return tlvBad(q, data);
    if (t == IPV6_TLV_PADN) {
      // RFC 8200: PadN aligns to 8, so at most 7 bytes; RFC 4942 2.1.9.5: its payload all zeros
      padlen += optlen;
      if (padlen > 7) return tlvBad(q, data);
      for (let i: u32 = 2; i < optlen; i++) if (load<u8>(data + o + i) != 0) return tlvBad(q, data);
    } else {
      count++;
      if (count > MAX_OPTS_CNT) return tlvBad(q, data);
      if (hopbyhop && t == IPV6_TLV_ROUTERALERT) {
        if (<u32>load<u8>(data + o, 1) != 2) return tlvBad(q, data);
        tlvRouterAlert = true;
      } else if (hopbyhop && t == IPV6_TLV_JUMBO) {
        if (!hopJumbo(ifindex, q, data, o)) return -1;
      } else if (hopbyhop && t == IPV6_TLV_IOAM) {
        // ipv6_hop_ioam: 4n-aligned or dropped; then ignored, as no device enables IOAM
        // (net.ipv6.conf.*.ioam6_enabled 0, which wxdp does not offer)
        if ((o & 3) != 0) return tlvBad(q, data);
      } else if (hopbyhop && t == IPV6_TLV_CALIPSO) {
        // ipv6_hop_calipso (RFC 5570): at least 8 bytes, the compartment bitmap inside the option, then
        // calipso_validate's CRC and DOI lookup — wxdp has no NetLabel DOI (Linux with CONFIG_NETLABEL has
        // none until netlabelctl adds one), so a CALIPSO option always drops the datagram
        return tlvBad(q, data);
      } else {
        // ip6_tlvopt_unknown: the option type's two high bits say what to do
        const act = t >> 6;
        if (act == 1 || (act == 3 && ipv6IsMulticast(data + IP6H_DADDR))) {
          netFree(q, data);
          netDrop(NDROP_UNHANDLED_PROTO);
          return -1;
        }
        if (act != 0) {
          icmpv6_send(ifindex, data, len, ICMPV6_PARAMPROB, ICMPV6_UNK_OPTION, o);
          netFree(q, data);
          netDrop(NDROP_UNHANDLED_PROTO);
          return -1;
        }
      }
      padlen = 0;
    }
    o += optlen;
    rem -= <i32>optlen;
  }
  if (rem == 0) return 0;
  return tlvBad(q, data);
}

@inline function tlvBad(q: u32, data: u32): i32 {
  netFree(q, data);
  netDrop(NDROP_IP_INHDR);
  return -1;
}

/** ipv6_hop_jumbo (RFC 2675): 4 bytes at 4n+2, more than 65535, and no payload length. */
function hopJumbo(ifindex: u32, q: u32, data: u32, o: u32): bool {
  if (load<u8>(data + o, 1) != 4 || (o & 3) != 2) {
    netFree(q, data);
    netDrop(NDROP_IP_INHDR);
    return false;
  }
  const jlen = ldBe32(data + o + 2);
  if (jlen <= IPV6_MAXPLEN) {
    icmpv6_send(ifindex, data, tlvLen, ICMPV6_PARAMPROB, ICMPV6_HDR_FIELD, o + 2);
    netFree(q, data);
    netDrop(NDROP_IP_INHDR);
    return false;
  }
  if (ldBe16(data + IP6H_PAYLOAD_LEN) != 0) {
    icmpv6_send(ifindex, data, tlvLen, ICMPV6_PARAMPROB, ICMPV6_HDR_FIELD, o);
    netFree(q, data);
    netDrop(NDROP_IP_INHDR);
    return false;
  }
  if (jlen > tlvLen - IPV6_HLEN) {
    netFree(q, data);
    netDrop(NDROP_PKT_TOO_SMALL);
    return false;
  }
  tlvLen = jlen + IPV6_HLEN;
  return true;
}

// ---- Extension headers of local delivery ----

/** An extension header handler's verdict: go on with the header at extOff, named by the byte at extNhoff. */
export const EXT_CONTINUE: i32 = 1;
export const EXT_DONE: i32 = 0;
export let extNhoff: u32 = 0;
export let extOff: u32 = 0;

/** ipv6_destopt_rcv: the destination options header at `off`. Takes the frame unless EXT_CONTINUE. */
export function ipv6_destopt_rcv(ifindex: u32, q: u32, data: u32, len: u32, off: u32): i32 {
  if (off + 8 > len || off + ((<u32>load<u8>(data + off + 1) + 1) << 3) > len) {
    mibInc(MIB_IP6_IN_HDR_ERRORS);
    netFree(q, data);
    netDrop(NDROP_NOT_SPECIFIED);
    return EXT_DONE;
  }
  const extlen = (<u32>load<u8>(data + off + 1) + 1) << 3;
  if (parseTlv(ifindex, q, data, len, off, false) < 0) {
    mibInc(MIB_IP6_IN_HDR_ERRORS);
    return EXT_DONE;
  }
  extNhoff = off;
  extOff = off + extlen;
  return EXT_CONTINUE;
}

const IPV6_SRCRT_TYPE_3: u32 = 3; // RPL
const IPV6_SRCRT_TYPE_4: u32 = 4; // SRv6

/** ipv6_rthdr_rcv: the routing header at `off`. Takes the frame unless EXT_CONTINUE. */
export function ipv6_rthdr_rcv(ifindex: u32, q: u32, data: u32, len: u32, off: u32): i32 {
  if (off + 8 > len || off + ((<u32>load<u8>(data + off + 1) + 1) << 3) > len) {
    mibInc(MIB_IP6_IN_HDR_ERRORS);
    netFree(q, data);
    netDrop(NDROP_NOT_SPECIFIED);
    return EXT_DONE;
  }
  if (ipv6IsMulticast(data + IP6H_DADDR) || rxPktType != PACKET_HOST) {
    mibInc(MIB_IP6_IN_ADDR_ERRORS);
    netFree(q, data);
    netDrop(NDROP_NOT_SPECIFIED);
    return EXT_DONE;
  }
  const hdrlen = <u32>load<u8>(data + off + 1);
  const type = <u32>load<u8>(data + off + 2);
  const segLeft = <u32>load<u8>(data + off + 3);
  if (type == IPV6_SRCRT_TYPE_4 || type == IPV6_SRCRT_TYPE_3) {
    // ipv6_srh_rcv / ipv6_rpl_srh_rcv: with seg6_enabled / rpl_seg_enabled 0 (the defaults, which this
    // stack keeps) a segment routing header is dropped before segments_left is looked at, silently
    netFree(q, data);
    netDrop(NDROP_NOT_SPECIFIED);
    return EXT_DONE;
  } else if (segLeft != 0) {
    // type 0 (deprecated, RFC 5095), type 2 without Mobile IPv6, anything else
    mibInc(MIB_IP6_IN_HDR_ERRORS);
    icmpv6_send(ifindex, data, len, ICMPV6_PARAMPROB, ICMPV6_HDR_FIELD, off + 2);
    netFree(q, data);
    netDrop(NDROP_NOT_SPECIFIED);
    return EXT_DONE;
  }
  extNhoff = off;
  extOff = off + ((hdrlen + 1) << 3);
  return EXT_CONTINUE;
}

/** The frame type of the datagram in flight (the routing header needs PACKET_HOST). */
export let rxPktType: u32 = PACKET_HOST;

// ---- ipv6_skip_exthdr ----

/** Set by ipv6SkipExthdr: the upper-layer protocol found, and the fragment offset field if one was crossed. */
export let skipNexthdr: u32 = 0;
export let skipFragOff: u32 = 0;

/**
 * ipv6_skip_exthdr: from the header of type `nexthdr` at `start` in the `len` bytes at `data`, past the
 * extension headers (hop-by-hop, routing, destination options, AH, the fragment header of a first
 * fragment). The offset of the upper layer (its type in skipNexthdr), or -1 (no next header, cut short).
 */
export function ipv6SkipExthdr(data: u32, len: u32, start: u32, nexthdr: u32): i32 {
  skipFragOff = 0;
  while (
    nexthdr == IPPROTO_HOPOPTS || nexthdr == IPPROTO_ROUTING || nexthdr == IPPROTO_FRAGMENT ||
    nexthdr == IPPROTO_AH || nexthdr == IPPROTO_NONE || nexthdr == IPPROTO_DSTOPTS
  ) {
    if (nexthdr == IPPROTO_NONE) return -1;
    if (start + 2 > len) return -1;
    let hdrlen: u32;
    if (nexthdr == IPPROTO_FRAGMENT) {
      if (start + 4 > len) return -1;
      skipFragOff = ldBe16(data + start + 2);
      if ((skipFragOff & ~7) != 0) break;
      hdrlen = 8;
    } else if (nexthdr == IPPROTO_AH) {
      hdrlen = (<u32>load<u8>(data + start + 1) + 2) << 2;
    } else {
      hdrlen = (<u32>load<u8>(data + start + 1) + 1) << 3;
    }
    nexthdr = <u32>load<u8>(data + start);
    start += hdrlen;
  }
  skipNexthdr = nexthdr;
  return <i32>start;
}
