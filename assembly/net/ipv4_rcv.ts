// IPv4 receive: ip_rcv_core's checks, the input route (ip_route_input_noref: ip_route_input_mc and
// ip_route_input_slow), IP options (ip_rcv_options), and the route's input: local delivery, forwarding
// or ip_error. net/ipv4/ip_input.c and net/ipv4/route.c, in their order:
//
//   OTHERHOST frame → OTHERHOST (before anything is counted); Ip:InReceives;
//   shorter than 20, IHL < 5, version ≠ 4, shorter than IHL → IP_INHDR (InHdrErrors);
//   bad header checksum → IP_CSUM (InCsumErrors, InHdrErrors);
//   total length > what arrived → PKT_TOO_SMALL (InTruncatedPkts); total length < IHL → IP_INHDR;
//   the frame trimmed to the total length (Ethernet padding goes);
//   route: multicast destination → delivered when the device is in the group (224.0.0.1), with the
//   source checks of ip_mc_validate_source; a multicast or limited-broadcast source → IP_INVALID_SOURCE;
//   255.255.255.255 (or 0 → 0) → broadcast input; a 0.0.0.0 source → IP_INVALID_SOURCE; a 0.0.0.0
//   destination → IP_INVALID_DEST (the rest of 0/8 is unicast, as ipv4_is_zeronet says today); 127/8 either way without route_localnet → IP_LOCALNET; then
//   fib4_lookup with iif: no route → ip_error; broadcast → broadcast input; local → fib_validate_source
//   (our own address as source → IP_LOCAL_SOURCE, rp_filter → IP_RPFILTER) and local delivery;
//   forwarding off on the input device → ip_error (EHOSTUNREACH); not unicast → IP_INVALID_DEST;
//   unicast → fib_validate_source, and forwarding (with an ICMP redirect due when it goes back out the
//   same device toward the sender's link and send_redirects is on).
//   options (IHL > 5): malformed → ICMP parameter problem, InHdrErrors, IP_INHDR; source routes are
//   refused (accept_source_route is 0 for "all"), NOT_SPECIFIED; a free record-route slot gets the
//   receiving address, a timestamp slot the stack clock's ms since midnight (and the address, or only
//   when its prespecified address is ours), a full timestamp option its overflow count; forwarding
//   then puts the egress address in the record-route slot (ip_forward_options).
//   ip_error: forwarding off → InAddrErrors (IP_INADDRERRORS) or InNoRoutes (IP_INNOROUTES), no ICMP;
//   on: blackhole → silent (IP_BLACKHOLE), unreachable → host unreachable, prohibit → administratively
//   prohibited (IP_PROHIBIT), no route → network unreachable (InNoRoutes, IP_INNOROUTES), each ICMP
//   rate limited per source as ip_error does (1 s a message, 5 s of burst).
//
// Reads: the datagram, the input device's record (CONF4 forwarding, rp_filter, accept_local,
// route_localnet, send_redirects; its addresses for multicast membership), the FIB (a destination it
// answered RTN_LOCAL for is remembered per worker for its generation: the local memo below; so are
// fib_validate_source's last two routes back: the reverse route memo).
// Sets: the frame's length (trimmed), Ip counters (and TcpExt:IPReversePathFilter for an rp_filter drop). Next: ip_local_deliver (local.ts), ip_forward
// (forward.ts), icmp_send, or a drop with its reason.

import { mcDevAllow4 } from './udp_mcast';
import { fibGen, mibInc, netDrop, netFree, netRoot, netdevGet, sysctl, netScratch } from './core';
import { SCR_RX, SCR_RX_LOCAL } from './abi';
import { dst4_route } from './dst';
import { mp_hash_pkt_begin, mp_hash_pkt_end } from './mphash';
import {
  AF_INET, CONF4_ACCEPT_LOCAL, CONF4_FORWARDING, CONF4_ROUTE_LOCALNET, CONF4_RP_FILTER, CONF4_SEND_REDIRECTS,
  FL_DPORT, FL_DST, FL_FAMILY, FL_IIF, FL_MARK, FL_OIF, FL_PROTO, FL_SCOPE, FL_SPORT, FL_SRC, FL_TOS, FR_GW,
  FR_GW_FAMILY, FR_INFO, FR_NH_INDEX, FR_OIF, FR_SIZE, FR_TYPE, LOOPBACK_IFINDEX, RT_SCOPE_HOST, MIB_IP_IN_ADDR_ERRORS, MIB_IP_IN_CSUM_ERRORS,
  MIB_IP_IN_HDR_ERRORS, MIB_IP_IN_NO_ROUTES, MIB_IP_IN_RECEIVES, MIB_IP_RPFILTER, MIB_IP_IN_TRUNCATED_PKTS, ND_ADDR4, ND_CONF4,
  NDROP_IP_BLACKHOLE, NDROP_IP_CSUM, NDROP_IP_INADDRERRORS, NDROP_IP_INHDR, NDROP_IP_INNOROUTES,
  NDROP_IP_INVALID_DEST, NDROP_IP_INVALID_SOURCE, NDROP_IP_LOCALNET, NDROP_IP_LOCAL_SOURCE, NDROP_IP_PROHIBIT,
  NDROP_IP_RPFILTER, NDROP_NOT_SPECIFIED, NDROP_OTHERHOST, NDROP_PKT_TOO_SMALL, RT_SCOPE_UNIVERSE, RTN_BROADCAST,
  RTN_LOCAL, RTN_UNICAST, ADDR_LIST_HEADER, NR_FIB, SYSCTL_FIB_MULTIPATH_HASH_POLICY,
} from './abi';
import { FA_NH, FA_NHS, FIBF_CUSTOM4, FIBF_CUSTOM_LOCAL4, FRT_FLAGS, fib4_local_type, fib4_lookup, fib4_lookup_nopath_cold, fib4RuleSrcClass, NH_OIF, NH_SCOPE, NH_SIZE } from './fib';
import {
  ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, ICMP_NET_UNREACH, ICMP_PARAMETERPROB, ICMP_PKT_FILTERED, RTCF_BROADCAST,
  RTCF_LOCAL, RTCF_MULTICAST, currentTimestamp, icmp_send, ipErrorAllow, specDst,
} from './icmp';
import { ip_local_deliver } from './local';
import { NF_HOOK4, NF_INET_PRE_ROUTING, nf_rx_mark } from './netfilter';
import { FWD_DOREDIRECT, FWD_OPT_CHANGED, FWD_OPT_RR, ip_forward } from './forward';
import { ipHeaderValid } from './csum';
import {
  INADDR_ALLHOSTS_GROUP, IPH_DADDR, IPH_FRAG_OFF, IPH_PROTOCOL, IPH_SADDR, IPH_TOS, IPH_TOT_LEN,
  IPPROTO_IGMP, IP_MF, IP_OFFSET, protoPortsOffset, PACKET_HOST, PACKET_OTHERHOST, ipv4IsLbcast,
  ipv4IsLocalMulticast, ipv4IsLoopback, ipv4IsMulticast, ipv4IsZeronet, ldBe16, zero64,
} from './inet';

/** The flow key and result of the input route (one worker's). */
@inline export function IN_FL(): u32 {
  return netScratch() + SCR_RX;
}
@inline export function IN_RES(): u32 {
  return netScratch() + SCR_RX + 64;
}
@inline function REV_FL(): u32 {
  return netScratch() + SCR_RX + 128;
}
@inline function REV_RES(): u32 {
  return netScratch() + SCR_RX + 192;
}

// What route input decided (ROUTE_*), with the route flags, the ip_error errno, the drop reason.
const ROUTE_DROP: u32 = 0;
const ROUTE_LOCAL: u32 = 1;
const ROUTE_FORWARD: u32 = 2;
const ROUTE_ERROR: u32 = 3;
let rtFlags: u32 = 0;
let rtErr: i32 = 0;
let rtReason: u32 = 0;
let fwdFlags: u32 = 0;

const EINVAL: i32 = 22;
const EACCES: i32 = 13;
const ENETUNREACH: i32 = 101;
const EHOSTUNREACH: i32 = 113;

@inline function conf4(nd: u32, i: u32): u32 {
  return load<u32>(nd + ND_CONF4 + (i << 2));
}

/**
 * ipv4_rcv: the IPv4 datagram at `data` (`len` bytes to the end of the frame) received on `ifindex`
 * (after VLAN demux), frame type `pkt`. Takes the frame.
 */
@inline export function ipv4_rcv(ifindex: u32, q: u32, data: u32, len: u32, pkt: u32): void {
  if (pkt == PACKET_OTHERHOST) {
    netFree(q, data);
    netDrop(NDROP_OTHERHOST);
    return;
  }
  mibInc(MIB_IP_IN_RECEIVES);
  if (len < 20) {
    inHdrError(q, data, NDROP_IP_INHDR);
    return;
  }
  const vihl = <u32>load<u8>(data);
  const hlen = (vihl & 0xf) << 2;
  if (hlen < 20 || (vihl >> 4) != 4 || len < hlen) {
    inHdrError(q, data, NDROP_IP_INHDR);
    return;
  }
  if (!ipHeaderValid(data, hlen)) {
    mibInc(MIB_IP_IN_CSUM_ERRORS);
    inHdrError(q, data, NDROP_IP_CSUM);
    return;
  }
  const tot = ldBe16(data + IPH_TOT_LEN);
  if (len < tot) {
    mibInc(MIB_IP_IN_TRUNCATED_PKTS);
    netFree(q, data);
    netDrop(NDROP_PKT_TOO_SMALL);
    return;
  }
  if (tot < hlen) {
    inHdrError(q, data, NDROP_IP_INHDR);
    return;
  }
  // set before the hook: a datagram conntrack's defragmentation completes there goes on with it
  rx4PktType = pkt;
  if (!NF_HOOK4(NF_INET_PRE_ROUTING, ifindex, 0, q, data, tot)) return;
  // the type as the hook left it (`meta pkttype set`: nft_meta_set_eval writes skb->pkt_type)
  ip_rcv_finish(ifindex, q, data, tot, rx4PktType, hlen);
}

@inline function inHdrError(q: u32, data: u32, reason: u32): void {
  mibInc(MIB_IP_IN_HDR_ERRORS);
  netFree(q, data);
  netDrop(reason);
}

/**
 * ip_rcv_finish for a datagram conntrack's defragmentation (netfilter.ts, NF_IP_PRI_CONNTRACK_DEFRAG)
 * made whole at PRE_ROUTING and the rest of the hook passed: the input route on, as the kernel goes on
 * with the skb nf_defrag_ipv4 reassembled in place. A frame of the stack's own (q = 0). Its pkt_type is
 * the completing fragment's, which ip_rcv set before the hook (the kernel's skb_morph gives it the head
 * fragment's: the same for the fragments of one datagram but when their link-layer destinations differ):
 * a multicast or broadcast datagram takes its own early demux, not the unicast one.
 */
export function ip_rcv_finish_defrag(ifindex: u32, data: u32, len: u32): void {
  ip_rcv_finish(ifindex, 0, data, len, rx4PktType, (<u32>load<u8>(data) & 0xf) << 2);
}

/** skb->mark of the IPv4 datagram in flight as PRE_ROUTING left it (netfilter.ts nf_skb_mark): its input route's. */
let rxMark: u32 = 0;

/** skb->pkt_type of the IPv4 datagram in flight (TCP takes PACKET_HOST only). */
export let rx4PktType: u32 = PACKET_HOST;

/** ip_rcv_finish_core + dst_input for a datagram that passed ip_rcv_core (`len` = its total length). */
@inline function ip_rcv_finish(ifindex: u32, q: u32, data: u32, len: u32, pkt: u32, hlen: u32): void {
  rx4PktType = pkt;
  const nd = netdevGet(ifindex);
  rxMark = nf_rx_mark(ifindex, data, len);
  const route = routeInput(ifindex, nd, data, hlen);
  if (route == ROUTE_DROP) {
    // drop_error: a source rp_filter refused is counted as such (TcpExt:IPReversePathFilter)
    if (rtReason == NDROP_IP_RPFILTER) mibInc(MIB_IP_RPFILTER);
    netFree(q, data);
    netDrop(rtReason);
    return;
  }
  if (hlen > 20) {
    const r = ipRcvOptions(ifindex, data, len, hlen);
    if (r != OPT_OK) {
      netFree(q, data);
      netDrop(r == OPT_BAD ? NDROP_IP_INHDR : NDROP_NOT_SPECIFIED);
      return;
    }
  }
  if (route == ROUTE_LOCAL) ip_local_deliver(ifindex, q, data, len, rtFlags, true);
  else if (route == ROUTE_FORWARD) ip_forward(ifindex, q, data, len, pkt, IN_RES(), fwdFlags | (hlen > 20 ? optFwdFlags : 0));
  else ipError(ifindex, nd, q, data, len);
}

// ---- Input route ----

/**
 * The ports the flow dissector finds (network order u32 sport|dport, else 0), as
 * fib4_rules_early_flow_dissect and fib_multipath_hash run it (no FLOW_DISSECTOR_F_PARSE_1ST_FRAG):
 * any fragment, the first one too (MF set), stops it before the transport header; then
 * __skb_flow_get_ports at proto_ports_offset (ESP's and AH's SPI count as ports).
 */
@inline function ports(data: u32, hlen: u32, proto: u32): u32 {
  if ((ldBe16(data + IPH_FRAG_OFF) & (IP_MF | IP_OFFSET)) != 0) return 0;
  const poff = protoPortsOffset(proto);
  if (poff < 0 || ldBe16(data + IPH_TOT_LEN) < hlen + <u32>poff + 4) return 0;
  return load<u32>(data + hlen + <u32>poff);
}

/**
 * The flow key needs the protocol and ports only when something reads them: custom rules (which may
 * select on them; the kernel dissects for those) or a multipath hash policy over L4. Leaving them out
 * otherwise keeps one dst cache entry per destination rather than per connection.
 */
@inline function needPorts(): bool {
  if (sysctl(SYSCTL_FIB_MULTIPATH_HASH_POLICY) != 0) return true;
  const fr = load<u32>(netRoot() + NR_FIB);
  return fr != 0 && (load<u32>(fr + FRT_FLAGS) & FIBF_CUSTOM4) != 0;
}

/**
 * inet_lookup_ifaddr_rcu: `saddr` is one of our addresses (on any device). Asked of every forwarded
 * and delivered datagram, so answered from a small direct-mapped cache valid for one FIB generation
 * (an address change is a route change and moves the generation):
 *   SRC_SLOTS × (u32 address | u32 generation + 1, top bit: local)
 */
const SRC_SLOTS: u32 = 256;
@inline function SRC_CACHE(): u32 {
  return netScratch() + SCR_RX + 1024;
}

export function sourceIsLocal(saddr: u32): bool {
  const e = SRC_CACHE() + (((saddr * 0x9e3779b1) >> 24) << 3);
  const g = (fibGen() + 1) & 0x7fffffff;
  const w = load<u32>(e, 4);
  if (load<u32>(e) == saddr && (w & 0x7fffffff) == g) return (w >> 31) != 0;
  const local = fib4_local_type(saddr, 0) == RTN_LOCAL;
  store<u32>(e, 0, 4);
  store<u32>(e, saddr);
  store<u32>(e, g | (local ? 0x80000000 : 0), 4);
  return local;
}

/**
 * The local input route memo: which destinations (with which TOS) the FIB answered RTN_LOCAL for, at
 * which FIB generation, so a datagram for this host skips the route cache's 64-byte key (hash, compare,
 * 64-byte result copy) and the FIB walk — the kernel's early demux reuses a socket's cached input
 * route (sk_rx_dst) for the same reason. Kept only while there are no custom rules: then the FIB's
 * answer reads the destination, the TOS, the scope (universe for every input lookup) and no oif, and a
 * local route's type does not depend on the next hop the multipath hash would pick; the source and
 * iif are read only by rules. Everything that can change such an answer moves the FIB generation (the
 * route cache above relies on it too); the device's settings (rp_filter, accept_local,
 * route_localnet, forwarding) are not part of it: routeInput reads them for every datagram, memo or
 * not. Only the type is kept: local delivery reads nothing else of the result.
 *   LOCAL_MEMO_SLOTS × (u32 destination | u32 tos | u32 FIB generation + 1 | u32 unused), direct-mapped
 */
const LOCAL_MEMO_SLOTS: u32 = 16;

@inline function localMemoSlot(daddr: u32): u32 {
  return netScratch() + SCR_RX_LOCAL + (((daddr * 0x9e3779b1) >> 28) << 4);
}

/** The memo says `daddr` (with TOS `tos`) is routed RTN_LOCAL at this FIB generation. */
@inline export function localMemoHit(daddr: u32, tos: u32): bool {
  const e = localMemoSlot(daddr);
  return load<u32>(e) == daddr && load<u32>(e, 4) == tos && load<u32>(e, 8) == fibGen() + 1;
}

/**
 * `daddr` is in the local memo at this generation with some TOS: its input route will not walk the
 * FIB, so warming the FIB for it (eth.ts stack_rx_burst) is wasted. A guess: a wrong one costs a
 * warm-up or a walk, never a different route.
 */
@inline export function ipv4LocalMemoHas(daddr: u32): bool {
  const e = localMemoSlot(daddr);
  return load<u32>(e) == daddr && load<u32>(e, 8) == fibGen() + 1;
}

@inline export function noCustomRules4(): bool {
  const fr = load<u32>(netRoot() + NR_FIB);
  return fr != 0 && (load<u32>(fr + FRT_FLAGS) & FIBF_CUSTOM4) == 0;
}

/** 224.0.0.1 on a device with IPv4 (ip_check_mc_rcu: the groups this stack joins). */
@inline function mcJoined(nd: u32, daddr: u32): bool {
  if (daddr != INADDR_ALLHOSTS_GROUP) return false;
  const l = load<u32>(nd, ND_ADDR4);
  return l != 0 && load<u32>(l) != 0;
}

/**
 * The input route's flow key at `fl` for the datagram at `data` (`hlen`-byte header) from `saddr` to
 * `daddr` (network order) on `ifindex`, `tos` with the ECN bits clear (also the lean forward's,
 * fwd4_lean.ts).
 */
@inline export function inputFlow(fl: u32, data: u32, hlen: u32, daddr: u32, saddr: u32, ifindex: u32, tos: u32): void {
  zero64(fl);
  store<u32>(fl, daddr, FL_DST);
  store<u32>(fl, saddr, FL_SRC);
  store<u32>(fl, ifindex, FL_IIF);
  store<u8>(fl, <u8>tos, FL_TOS);
  store<u8>(fl, <u8>RT_SCOPE_UNIVERSE, FL_SCOPE);
  store<u8>(fl, <u8>AF_INET, FL_FAMILY);
  if (needPorts()) {
    // fib4_rules_early_flow_dissect (rules may select on them), or a multipath hash over L4
    const proto = <u32>load<u8>(data, IPH_PROTOCOL);
    store<u8>(fl, <u8>proto, FL_PROTO);
    store<u32>(fl, ports(data, hlen, proto), FL_SPORT);
  }
}

/**
 * ip_route_input_noref: decide the datagram's input route. IN_RES() holds the FIB result when there was
 * one; rtFlags / rtErr / rtReason / fwdFlags say the rest. Returns ROUTE_*.
 */
@inline function routeInput(ifindex: u32, nd: u32, data: u32, hlen: u32): u32 {
  const daddr = load<u32>(data, IPH_DADDR);
  const saddr = load<u32>(data, IPH_SADDR);
  const tos = <u32>load<u8>(data, IPH_TOS) & 0xfc;
  rtFlags = 0;
  rtErr = 0;
  fwdFlags = 0;
  rtReason = NDROP_NOT_SPECIFIED;
  if (nd == 0) return ROUTE_DROP;
  if (ifindex == LOOPBACK_IFINDEX) {
    // what loopback receives is the stack's own output (udp_output.ts), its route decided there: the
    // kernel's skb keeps its dst across loopback_xmit and ip_rcv never routes or validates it again.
    // Its flags are __mkroute_output's for a route out of lo: multicast and limited broadcast by the
    // address (a lo-bound socket's datagram to a group reaches __udp4_lib_mcast_deliver: Udp:IgnoredMulti
    // when no socket takes it), broadcast when the FIB's answer was a broadcast route through lo
    // (127.255.255.255); a subnet broadcast of another device went out lo only as the on-link guess
    // ip_route_output_key_hash_rcu makes for a device no route matched: unicast (Udp:NoPorts).
    // A group's route is RTCF_LOCAL only when lo is in it (ip_check_mc_rcu on lo: all-hosts, or a
    // socket's join there); otherwise its input is dst_discard: gone without a counter (udp fuzz 1271:
    // a 127.0.0.1-bound socket's datagram to 239.1.1.1, another device in the group, read as IgnoredMulti)
    if (ipv4IsMulticast(daddr)) {
      if (!mcJoined(nd, daddr) && !mcDevAllow4(ifindex, daddr, saddr, <u32>load<u8>(data, IPH_PROTOCOL))) return ROUTE_DROP;
      rtFlags = RTCF_MULTICAST | RTCF_LOCAL;
    } else rtFlags = ipv4IsLbcast(daddr) || fib4_local_type(daddr, LOOPBACK_IFINDEX) == RTN_BROADCAST ? RTCF_BROADCAST | RTCF_LOCAL : RTCF_LOCAL;
    return ROUTE_LOCAL;
  }
  if (ipv4IsMulticast(daddr)) {
    if (!mcJoined(nd, daddr) && !mcDevAllow4(ifindex, daddr, saddr, <u32>load<u8>(data, IPH_PROTOCOL))) return ROUTE_DROP;
    // ip_mc_validate_source
    if (ipv4IsMulticast(saddr) || ipv4IsLbcast(saddr)) return drop(NDROP_IP_INVALID_SOURCE);
    if (ipv4IsLoopback(saddr) && conf4(nd, CONF4_ROUTE_LOCALNET) == 0) return drop(NDROP_IP_LOCALNET);
    if (ipv4IsZeronet(saddr)) {
      if (!ipv4IsLocalMulticast(daddr) && <u32>load<u8>(data, IPH_PROTOCOL) != IPPROTO_IGMP) return drop(NDROP_IP_INVALID_SOURCE);
    } else {
      const r = fib_validate_source4(ifindex, nd, saddr, 0, tos, 0, data, hlen);
      if (r < 0) return drop(<u32>-r);
    }
    rtFlags = RTCF_MULTICAST | RTCF_LOCAL;
    return ROUTE_LOCAL;
  }
  // ip_route_input_slow: the martians fib_lookup would not catch
  if (ipv4IsMulticast(saddr) || ipv4IsLbcast(saddr)) return drop(NDROP_IP_INVALID_SOURCE);
  if (ipv4IsLbcast(daddr) || (saddr == 0 && daddr == 0)) return brdInput(ifindex, nd, saddr, tos, data, hlen);
  if (ipv4IsZeronet(saddr)) return drop(NDROP_IP_INVALID_SOURCE);
  if (ipv4IsZeronet(daddr)) return drop(NDROP_IP_INVALID_DEST);
  if (ipv4IsLoopback(daddr)) {
    if (conf4(nd, CONF4_ROUTE_LOCALNET) == 0) return drop(NDROP_IP_LOCALNET);
  } else if (ipv4IsLoopback(saddr)) {
    if (conf4(nd, CONF4_ROUTE_LOCALNET) == 0) return drop(NDROP_IP_LOCALNET);
  }
  if (localMemoHit(daddr, tos) && noCustomRules4()) return localInput(ifindex, nd, saddr, daddr, tos, data, hlen);
  const forwarding = conf4(nd, CONF4_FORWARDING) != 0;
  // the scratch addresses once (a store between two netScratch() calls makes V8 load the root again)
  const fl = IN_FL();
  const res = fl + 64; // IN_RES()
  inputFlow(fl, data, hlen, daddr, saddr, ifindex, tos);
  store<u32>(fl, rxMark, FL_MARK);
  // through the per-destination cache (dst.ts): the FIB's answer for this flow key, kept per generation;
  // the generation read first, so an answer from before a change is never kept as the new one's
  const gen = fibGen() + 1;
  // fib_select_multipath hashes with the skb (fib_multipath_hash): policy 3 is fib_multipath_custom_hash_skb's
  // jhash_2words(outer, inner), policy 0 an ICMP error's quoted addresses (ip_multipath_l3_keys) — the packet's
  // hash (mp_hash_pkt_begin), past the route cache, whose key is the flow key's (router fuzz WXDP_ROUTER_FUZZ_HASH)
  const pol = sysctl(SYSCTL_FIB_MULTIPATH_HASH_POLICY);
  let err: i32;
  // policy 2 dissects into a tunnel (IPIP, IPv6, GRE: mphash.ts dissectEncap) and hashes its inner addresses; any
  // other packet's dissector keys are its own addresses, the flow key's
  if (pol == 3 || (pol == 0 && icmp4MaybeErr(data, hlen, ldBe16(data + IPH_TOT_LEN))) || (pol == 2 && encap4(data))) {
    mp_hash_pkt_begin(data, ldBe16(data + IPH_TOT_LEN), false);
    err = fib4_lookup(fl, res);
    mp_hash_pkt_end();
  } else err = dst4_route(fl, res);
  if (err != 0) {
    rtErr = forwarding ? -err : EHOSTUNREACH;
    return ROUTE_ERROR;
  }
  const type = <u32>load<u8>(res, FR_TYPE);
  if (type == RTN_BROADCAST) return brdInput(ifindex, nd, saddr, tos, data, hlen);
  if (type == RTN_LOCAL) {
    if (noCustomRules4()) {
      const e = localMemoSlot(daddr);
      store<u32>(e, daddr);
      store<u32>(e, tos, 4);
      store<u32>(e, gen, 8);
    }
    return localInput(ifindex, nd, saddr, daddr, tos, data, hlen);
  }
  if (!forwarding) {
    rtErr = EHOSTUNREACH;
    return ROUTE_ERROR;
  }
  if (type != RTN_UNICAST) return drop(NDROP_IP_INVALID_DEST);
  // __mkroute_input
  const oif = load<u32>(res, FR_OIF);
  const r = fib_validate_source4(ifindex, nd, saddr, daddr, tos, oif, data, hlen);
  if (r < 0) return drop(<u32>-r);
  if (oif == ifindex && r > 0 && conf4(nd, CONF4_SEND_REDIRECTS) != 0) {
    // inet_addr_onlink(out_dev, saddr, gw): the sender (and the gateway, if any) on one of its subnets
    const gw = <u32>load<u8>(res, FR_GW_FAMILY) == AF_INET ? load<u32>(res, FR_GW) : 0;
    if (addrOnlink(nd, saddr) && (gw == 0 || addrOnlink(nd, gw))) fwdFlags = FWD_DOREDIRECT;
  }
  return ROUTE_FORWARD;
}

/** A local route's input: the source validated (fib_validate_source), then local delivery. */
@inline function localInput(ifindex: u32, nd: u32, saddr: u32, daddr: u32, tos: u32, data: u32, hlen: u32): u32 {
  const r = fib_validate_source4(ifindex, nd, saddr, daddr, tos, 0, data, hlen);
  if (r < 0) return drop(<u32>-r);
  rtFlags = RTCF_LOCAL;
  return ROUTE_LOCAL;
}

@inline function drop(reason: u32): u32 {
  rtReason = reason;
  return ROUTE_DROP;
}

/** brd_input: a broadcast for this host; the source validated unless it is 0.0.0.0. */
function brdInput(ifindex: u32, nd: u32, saddr: u32, tos: u32, data: u32, hlen: u32): u32 {
  if (!ipv4IsZeronet(saddr)) {
    const r = fib_validate_source4(ifindex, nd, saddr, 0, tos, 0, data, hlen);
    if (r < 0) return drop(<u32>-r);
  }
  rtFlags = RTCF_BROADCAST | RTCF_LOCAL;
  return ROUTE_LOCAL;
}

/** inet_addr_onlink: `a` is inside one of the device's IPv4 subnets. */
function addrOnlink(nd: u32, a: u32): bool {
  const l = load<u32>(nd, ND_ADDR4);
  if (l == 0) return false;
  const n = load<u32>(l);
  const ha = bswap<u32>(a);
  for (let i: u32 = 0; i < n; i++) {
    const e = l + ADDR_LIST_HEADER + i * 48;
    const plen = <u32>load<u8>(e, 36);
    const mask: u32 = plen == 0 ? 0 : 0xffffffff << (32 - plen);
    if (((bswap<u32>(load<u32>(e, 16)) ^ ha) & mask) == 0) return true;
  }
  return false;
}

/**
 * fib_validate_source_reason: -reason (a NDROP_*) when the source is not acceptable on this device,
 * else 0 or 1 (1: the source is directly on the device's link, which a redirect needs). `data` /
 * `hlen`: the datagram and its header length (0: none, as for ARP), for the reverse flow key's ports.
 *
 * With rp_filter off (the max of all and the device, folded by the control plane) and no redirect in
 * question, the kernel only asks whether the source is one of our addresses — unless the netns has
 * custom rules (fib4_has_custom_rules) or a local route a user added (fib_has_custom_local_routes):
 * then, as with rp_filter on, the route back to the source decides (__fib_validate_source).
 */
export function fib_validate_source4(ifindex: u32, nd: u32, saddr: u32, daddr: u32, tos: u32, oif: u32, data: u32, hlen: u32): i32 {
  const rpf = conf4(nd, CONF4_RP_FILTER);
  const acceptLocal = conf4(nd, CONF4_ACCEPT_LOCAL) != 0;
  if (rpf == 0 && (ifindex != oif || conf4(nd, CONF4_SEND_REDIRECTS) == 0)) {
    if (acceptLocal) return 0;
    // inet_lookup_ifaddr_rcu: one of our own addresses as the source is a martian
    if (!fullSourceCheck4()) return sourceIsLocal(saddr) ? -(<i32>NDROP_IP_LOCAL_SOURCE) : 0;
  }
  return validateSourceFull(ifindex, nd, saddr, daddr, tos, oif, rpf, acceptLocal, data, hlen);
}

/** fib_has_custom_local_routes or fib4_has_custom_rules: fib_validate_source looks the source's route up. */
@inline export function fullSourceCheck4(): bool {
  const fr = load<u32>(netRoot() + NR_FIB);
  return fr != 0 && (load<u32>(fr + FRT_FLAGS) & (FIBF_CUSTOM4 | FIBF_CUSTOM_LOCAL4)) != 0;
}

/**
 * __fib_validate_source: the route back to the source (source and destination swapped, iif the
 * route's oif or loopback, the ports swapped when rules may read them, no mark, no path selection),
 * then whether it leaves by this device (any next hop of the route: fib_info_nh_uses_dev), else with
 * rp_filter 2 whether any route back by this device exists (the second lookup, oif set).
 */
function validateSourceFull(ifindex: u32, nd: u32, saddr: u32, daddr: u32, tos: u32, oif: u32, rpf: u32, acceptLocal: bool, data: u32, hlen: u32): i32 {
  // the generation first: an answer found while a change is published is kept under the old one
  const gen = fibGen() + 1;
  const cls = fib4RuleSrcClass(daddr);
  if (cls < 0) return reverseRoute(ifindex, nd, saddr, daddr, tos, oif, rpf, acceptLocal, data, hlen);
  const fr = load<u32>(netRoot() + NR_FIB);
  const proto = data != 0 && fr != 0 && (load<u32>(fr + FRT_FLAGS) & FIBF_CUSTOM4) != 0 ? <u32>load<u8>(data, IPH_PROTOCOL) : 0;
  const src = cls != 0 ? 0 : daddr;
  const misc = tos | (proto << 8) | (rpf << 16) | (acceptLocal ? 1 << 24 : 0) | (<u32>cls << 25);
  if (rvGen0 == gen && rvSaddr0 == saddr && rvSrc0 == src && rvOif0 == oif && rvIf0 == ifindex && rvMisc0 == misc) return rvRes0;
  if (rvGen1 == gen && rvSaddr1 == saddr && rvSrc1 == src && rvOif1 == oif && rvIf1 == ifindex && rvMisc1 == misc) return rvRes1;
  const r = reverseRoute(ifindex, nd, saddr, daddr, tos, oif, rpf, acceptLocal, data, hlen);
  // the older of the two goes
  if (rvOlder0) {
    rvGen0 = gen; rvSaddr0 = saddr; rvSrc0 = src; rvOif0 = oif; rvIf0 = ifindex; rvMisc0 = misc; rvRes0 = r;
  } else {
    rvGen1 = gen; rvSaddr1 = saddr; rvSrc1 = src; rvOif1 = oif; rvIf1 = ifindex; rvMisc1 = misc; rvRes1 = r;
  }
  rvOlder0 = !rvOlder0;
  return r;
}

// The reverse route memo: validateSourceFull's last two answers (per worker: wasm globals), each under
// what the answer depends on. The route back is looked up with the source as destination (kept
// exactly), the datagram's destination as source (read only by rules: its class, fib4RuleSrcClass —
// the address itself when a rule's source prefix may hold it, else one value for all), the route's
// device as iif, no oif then this device's (for strict and loose mode), the TOS, the protocol (rules
// may read it; a rule reading ports turns the memo off), no mark; then this device, rp_filter,
// accept_local and the route's records decide. Everything else it reads — routes, rules, addresses,
// links — moves the FIB generation when it changes, which the entries carry (0: empty).
let rvGen0: u32 = 0;
let rvSaddr0: u32 = 0;
let rvSrc0: u32 = 0;
let rvOif0: u32 = 0;
let rvIf0: u32 = 0;
let rvMisc0: u32 = 0;
let rvRes0: i32 = 0;
let rvGen1: u32 = 0;
let rvSaddr1: u32 = 0;
let rvSrc1: u32 = 0;
let rvOif1: u32 = 0;
let rvIf1: u32 = 0;
let rvMisc1: u32 = 0;
let rvRes1: i32 = 0;
let rvOlder0: bool = true;

/** validateSourceFull's lookups themselves (no memo). */
function reverseRoute(ifindex: u32, nd: u32, saddr: u32, daddr: u32, tos: u32, oif: u32, rpf: u32, acceptLocal: bool, data: u32, hlen: u32): i32 {
  const rfl = REV_FL();
  const rres = REV_RES();
  zero64(rfl);
  store<u32>(rfl, saddr, FL_DST);
  store<u32>(rfl, daddr, FL_SRC);
  store<u32>(rfl, oif != 0 ? oif : LOOPBACK_IFINDEX, FL_IIF);
  store<u8>(rfl, <u8>tos, FL_TOS);
  store<u8>(rfl, <u8>RT_SCOPE_UNIVERSE, FL_SCOPE);
  store<u8>(rfl, <u8>AF_INET, FL_FAMILY);
  const fr = load<u32>(netRoot() + NR_FIB);
  if (data != 0 && fr != 0 && (load<u32>(fr + FRT_FLAGS) & FIBF_CUSTOM4) != 0) {
    // fib4_rules_early_flow_dissect, then swap(sport, dport): only rules read them here
    const proto = <u32>load<u8>(data, IPH_PROTOCOL);
    store<u8>(rfl, <u8>proto, FL_PROTO);
    store<u32>(rfl, rotr<u32>(ports(data, hlen, proto), 16), FL_SPORT);
  }
  if (fib4_lookup_nopath_cold(rfl, rres) != 0) return rpf != 0 ? -(<i32>NDROP_IP_RPFILTER) : 0;
  const type = <u32>load<u8>(rres, FR_TYPE);
  if (type != RTN_UNICAST) {
    if (type != RTN_LOCAL) return -(<i32>NDROP_IP_INVALID_SOURCE);
    if (!acceptLocal) return -(<i32>NDROP_IP_LOCAL_SOURCE);
  }
  // fib_info_nh_uses_dev, or a local route seen from loopback
  if (nhUsesDev(load<u32>(rres, FR_INFO), ifindex) || (type == RTN_LOCAL && ifindex == LOOPBACK_IFINDEX)) return resNhScope(rres) >= RT_SCOPE_HOST ? 1 : 0;
  const l = load<u32>(nd, ND_ADDR4);
  if (l == 0 || load<u32>(l) == 0) return rpf != 0 ? -(<i32>NDROP_IP_RPFILTER) : 0;
  if (rpf == 1) return -(<i32>NDROP_IP_RPFILTER);
  // loose mode (and the checks rp_filter 0 makes here): any route back will do, seen from this device
  store<u32>(rfl, ifindex, FL_OIF);
  if (fib4_lookup_nopath_cold(rfl, rres) == 0 && <u32>load<u8>(rres, FR_TYPE) == RTN_UNICAST) return resNhScope(rres) >= RT_SCOPE_HOST ? 1 : 0;
  return 0;
}

/** Whether one of the next hops of route record `fa` goes out of `ifindex`. */
function nhUsesDev(fa: u32, ifindex: u32): bool {
  if (fa == 0) return false;
  const n = load<u32>(fa + FA_NHS);
  for (let k: u32 = 0; k < n; k++) if (load<u32>(fa + FA_NH + k * NH_SIZE + NH_OIF) == ifindex) return true;
  return false;
}

/** FIB_RES_NHC(res)->nhc_scope: the scope of the next hop the lookup chose. */
function resNhScope(res: u32): u32 {
  const fa = load<u32>(res, FR_INFO);
  if (fa == 0) return 0;
  return <u32>load<u8>(fa + FA_NH + load<u32>(res, FR_NH_INDEX) * NH_SIZE + NH_SCOPE);
}

// ---- ip_error ----

/** The input route was an error (no route, an error type, forwarding off). Takes the frame. */
function ipError(ifindex: u32, nd: u32, q: u32, data: u32, len: u32): void {
  const forwarding = conf4(nd, CONF4_FORWARDING) != 0;
  if (!forwarding) {
    if (rtErr == EHOSTUNREACH) {
      mibInc(MIB_IP_IN_ADDR_ERRORS);
      netDrop(NDROP_IP_INADDRERRORS);
    } else {
      mibInc(MIB_IP_IN_NO_ROUTES);
      netDrop(NDROP_IP_INNOROUTES);
    }
    netFree(q, data);
    return;
  }
  let code: u32 = 0;
  let reason = NDROP_IP_PROHIBIT;
  if (rtErr == EHOSTUNREACH) code = ICMP_HOST_UNREACH;
  else if (rtErr == ENETUNREACH) {
    code = ICMP_NET_UNREACH;
    reason = NDROP_IP_INNOROUTES;
    mibInc(MIB_IP_IN_NO_ROUTES);
  } else if (rtErr == EACCES) code = ICMP_PKT_FILTERED;
  else {
    // EINVAL: a blackhole route swallows it
    netFree(q, data);
    netDrop(NDROP_IP_BLACKHOLE);
    return;
  }
  if (ipErrorAllow(load<u32>(data, IPH_SADDR))) icmp_send(ifindex, data, len, ICMP_DEST_UNREACH, code, 0);
  netFree(q, data);
  netDrop(reason);
}

// ---- Options (ip_options_compile, receive side) ----

const IPOPT_END: u32 = 0;
const IPOPT_NOOP: u32 = 1;
const IPOPT_SEC: u32 = 130;
const IPOPT_LSRR: u32 = 131;
const IPOPT_TIMESTAMP: u32 = 68;
const IPOPT_CIPSO: u32 = 134;
const IPOPT_RR: u32 = 7;
const IPOPT_SID: u32 = 136;
const IPOPT_SSRR: u32 = 137;
const IPOPT_RA: u32 = 148;
const IPOPT_TS_TSONLY: u32 = 0;
const IPOPT_TS_TSANDADDR: u32 = 1;
const IPOPT_TS_PRESPEC: u32 = 3;

/**
 * ip_rcv_options: the options of the `hlen`-byte header at `data` checked as __ip_options_compile does
 * (a malformed one: ICMP parameter problem pointing at it, InHdrErrors); a source route is refused
 * (accept_source_route defaults to 0 for "all"). OPT_OK when the datagram goes on.
 */
/** What ip_forward_options has to do (FWD_OPT_RR), and where the record-route option is (from data). */
let optFwdFlags: u32 = 0;
export let optRR: u32 = 0;

const OPT_OK: u32 = 0;
const OPT_BAD: u32 = 1; // malformed: IP_INHDR
const OPT_SRR: u32 = 2; // a source route, refused: NOT_SPECIFIED

/**
 * IPCB(skb)->opt as ip_options_echo reads it (icmp.ts): the datagram whose options were compiled last
 * (its header's address), where its record route and timestamp options are (offsets, 0: none) and
 * what they still asked for (OPTE_*).
 */
export let optEchoData: u32 = 0;
export let optEchoRR: u32 = 0;
export let optEchoTS: u32 = 0;
export let optEchoFlags: u32 = 0;
export const OPTE_RR_NEEDADDR: u32 = 1;
export const OPTE_TS_NEEDADDR: u32 = 2;
export const OPTE_TS_NEEDTIME: u32 = 4;

/**
 * The echo state of the datagram at `data` as one word (record route offset | timestamp offset << 8 | OPTE_* << 16,
 * bit 24 set), 0 when its options were not the last compiled: what a reassembly queue keeps of its first fragment.
 */
export function optEchoSave(data: u32): u32 {
  if (optEchoData != data) return 0;
  return optEchoRR | (optEchoTS << 8) | (optEchoFlags << 16) | (1 << 24);
}

/**
 * The datagram at `data` echoes as optEchoSave's word says: ip_frag_reasm's datagram keeps the first fragment's
 * IPCB (inet_frag_reasm_prepare's skb_morph copies the head's cb), options compiled when that fragment came.
 */
export function optEchoRestore(data: u32, saved: u32): void {
  if (saved == 0) return;
  optEchoData = data;
  optEchoRR = saved & 0xff;
  optEchoTS = (saved >> 8) & 0xff;
  optEchoFlags = (saved >> 16) & 0xff;
}

function ipRcvOptions(ifindex: u32, data: u32, len: u32, hlen: u32): u32 {
  optFwdFlags = 0;
  optEchoData = data;
  optEchoRR = 0;
  optEchoTS = 0;
  optEchoFlags = 0;
  let p = data + 20;
  let l = <i32>(hlen - 20);
  let srr = false;
  let rr = false;
  let ts = false;
  let cipso = false;
  let bad: u32 = 0; // the offending octet's address, 0: none
  while (l > 0) {
    const t = <u32>load<u8>(p);
    if (t == IPOPT_END) {
      // __ip_options_compile: every octet after the end of the list becomes IPOPT_END, and a header
      // that had other bytes there is marked changed (ip_forward_options sums it again)
      for (p++, l--; l > 0; p++, l--) {
        if (load<u8>(p) != IPOPT_END) {
          store<u8>(p, IPOPT_END);
          optFwdFlags |= FWD_OPT_CHANGED;
        }
      }
      break;
    }
    if (t == IPOPT_NOOP) {
      l--;
      p++;
      continue;
    }
    if (l < 2) {
      bad = p;
      break;
    }
    const optlen = <u32>load<u8>(p, 1);
    if (optlen < 2 || <i32>optlen > l) {
      bad = p;
      break;
    }
    const ptr = <u32>load<u8>(p, 2);
    if (t == IPOPT_SSRR || t == IPOPT_LSRR) {
      if (optlen < 3) { bad = p + 1; break; }
      if (ptr < 4) { bad = p + 2; break; }
      if (srr) { bad = p; break; }
      srr = true;
    } else if (t == IPOPT_RR) {
      if (rr) { bad = p; break; }
      if (optlen < 3) { bad = p + 1; break; }
      if (ptr < 4) { bad = p + 2; break; }
      if (ptr <= optlen) {
        if (ptr + 3 > optlen) { bad = p + 2; break; }
        // a free slot: our address in it now (forwarding rewrites it with the egress one), pointer on
        store<u32>(p + ptr - 1, specDst(ifindex, data, rtFlags));
        store<u8>(p, <u8>(ptr + 4), 2);
        optFwdFlags |= FWD_OPT_RR | FWD_OPT_CHANGED;
        optRR = p - data;
        optEchoFlags |= OPTE_RR_NEEDADDR;
      }
      optEchoRR = p - data;
      rr = true;
    } else if (t == IPOPT_TIMESTAMP) {
      if (ts) { bad = p; break; }
      if (optlen < 4) { bad = p + 1; break; }
      if (ptr < 5) { bad = p + 2; break; }
      const flg = <u32>load<u8>(p, 3);
      if (ptr <= optlen) {
        if (ptr + 3 > optlen) { bad = p + 2; break; }
        const kind = flg & 0xf;
        if ((kind == IPOPT_TS_TSANDADDR || kind == IPOPT_TS_PRESPEC) && ptr + 7 > optlen) { bad = p + 2; break; }
        // a free slot: the time (the stack clock's ms since midnight), with our address for TSANDADDR,
        // or in the slot whose prespecified address is ours
        if (kind == IPOPT_TS_TSONLY) {
          store<u32>(p + ptr - 1, currentTimestamp());
          store<u8>(p, <u8>(ptr + 4), 2);
          optFwdFlags |= FWD_OPT_CHANGED;
          optEchoFlags |= OPTE_TS_NEEDTIME;
        } else if (kind == IPOPT_TS_TSANDADDR) {
          store<u32>(p + ptr - 1, specDst(ifindex, data, rtFlags));
          store<u32>(p + ptr + 3, currentTimestamp());
          store<u8>(p, <u8>(ptr + 8), 2);
          optFwdFlags |= FWD_OPT_CHANGED;
          optEchoFlags |= OPTE_TS_NEEDADDR | OPTE_TS_NEEDTIME;
        } else if (kind == IPOPT_TS_PRESPEC) {
          if (fib4_local_type(load<u32>(p + ptr - 1), 0) != RTN_UNICAST) {
            store<u32>(p + ptr + 3, currentTimestamp());
            store<u8>(p, <u8>(ptr + 8), 2);
            optFwdFlags |= FWD_OPT_CHANGED;
            optEchoFlags |= OPTE_TS_NEEDTIME;
          }
        }
      } else if ((flg & 0xf) != IPOPT_TS_PRESPEC) {
        if ((flg >> 4) == 15) {
          bad = p + 3; // the overflow counter is full
          break;
        }
        store<u8>(p, <u8>((flg & 0xf) | (((flg >> 4) + 1) << 4)), 3); // one more hop without room
        optFwdFlags |= FWD_OPT_CHANGED;
      }
      optEchoTS = p - data;
      ts = true;
    } else if (t == IPOPT_RA) {
      if (optlen < 4) { bad = p + 1; break; }
    } else if (t == IPOPT_CIPSO) {
      if (cipso) { bad = p; break; }
      cipso = true;
    }
    // IPOPT_SEC, IPOPT_SID and unknown options are accepted as they are.
    l -= <i32>optlen;
    p += optlen;
  }
  if (bad != 0) {
    mibInc(MIB_IP_IN_HDR_ERRORS);
    icmp_send(ifindex, data, len, ICMP_PARAMETERPROB, 0, bad - data);
    return OPT_BAD;
  }
  return srr ? OPT_SRR : OPT_OK;
}

/**
 * Whether the IPv4 packet at `ip` (header `hlen` bytes, `tot` in all) may be an ICMP error whose quoted
 * header ip_multipath_l3_keys hashes under policy 0 (icmp_is_err: destination unreachable, redirect, time
 * exceeded, parameter problem); any other packet hashes over its own addresses, as its flow key does, so
 * its route may come from the per-destination cache. (A later fragment whose bytes there look like one
 * takes the full path too, which hashes it by its outer header as the kernel does.)
 */
/** An IPv4 packet policy 2's flow dissector goes into: IPIP, IPv6 or GRE inside, not a fragment. */
@inline function encap4(ip: u32): bool {
  const p = <u32>load<u8>(ip + 9);
  return (p == 4 || p == 41 || p == 47) && (ldBe16(ip + 6) & 0x3fff) == 0;
}

@inline export function icmp4MaybeErr(ip: u32, hlen: u32, tot: u32): bool {
  if (<u32>load<u8>(ip + 9) != 1 || tot <= hlen) return false;
  const t = <u32>load<u8>(ip + hlen);
  return t == 3 || t == 5 || t == 11 || t == 12;
}
