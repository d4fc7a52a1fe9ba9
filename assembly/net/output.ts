// Output: routes for what the stack sends itself (ip_route_output_key / ip6_route_output with the
// source the kernel would pick) and the last steps every IPv4/IPv6 datagram takes, forwarded or local:
// next hop → fragment if needed → neigh_output (ip_finish_output2 / ip6_finish_output2).
//
// The MTU of the stack's own datagrams is ipv4_mtu / ip6_mtu's: a learned path MTU (dst.ts) below the
// route's mtu metric, else the device's (IPv6: its mtu6). Over it an IPv4 datagram goes to ip_fragment;
// an IPv6 one (the stack's own carry no extension headers) is cut here as ip6_fragment's slow path
// does, one Fragment header identification for all its pieces.
//
// Reads: the FIB (fib4_lookup / fib6_lookup through the flow key here), the output device's record
// (MTU, IPv6 mtu6, IFF_UP), its addresses (inet_select_addr / ipv6_dev_get_saddr in netdev.ts), PMTU
// exceptions. Sets: the Ethernet type in the 14 bytes before `data` (neigh.ts fills the MACs);
// Ip:OutRequests, Ip6:OutRequests and Ip6 fragment counters for the stack's own datagrams; IPv4 header
// id / checksum of the stack's own.
// Next: neigh_output (a whole datagram or an IPv6 fragment), ip_fragment (frag.ts: an IPv4 datagram
// over the MTU and without DF), or a drop (NO_TX_TARGET: the route's device is gone or down).

import { mibInc, netDrop, netFree, netdevGet, netRoot, sysctl, netScratch } from './core';
import { NF_GATE_PTR, SCR_RX } from './abi';
import {
  AF_INET, AF_INET6, FL_DST, FL_FAMILY, FL_ICMP_CODE, FL_ICMP_TYPE, FL_IIF, FL_MARK, FL_OIF, FL_PROTO, FL_SCOPE,
  FL_SIZE, FL_SRC, FL_TOS, FR_GW, FR_GW_FAMILY, FR_MTU, FR_OIF, FR_PREFSRC, FR_SCOPE, FR_SIZE, FR_TYPE, IFF_UP,
  LOOPBACK_IFINDEX, MIB_IP6_OUT_REQUESTS, MIB_IP_OUT_REQUESTS, ND_CONF6, ND_FLAGS, ND_MTU, NDROP_NETFILTER_DROP, NDROP_NO_TX_TARGET,
  MIB_IP6_FRAG_CREATES, MIB_IP6_FRAG_FAILS, MIB_IP6_FRAG_OKS, NDROP_NOMEM, NDROP_PKT_TOO_BIG,
  NR_ICMP, RT_SCOPE_LINK, RT_SCOPE_UNIVERSE, RTN_LOCAL, RTN_UNICAST, CONF6_MTU, FL_FLAGS, FL_SPORT, FL_DPORT, FL_LABEL, FL_UID, FR_PREFIXLEN,
} from './abi';
import { fib4_lookup, fib6_lookup, fib_select_default } from './fib';
import { neigh_output } from './neigh';
import { ip_fragment_via } from './frag';
import { inet_select_addr, ipv6_dev_get_saddr, netdevLoopIif } from './netdev';
import {
  ETH_HLEN, ETH_P_IP, ETH_P_IPV6, IPH_DADDR, IPH_ID, IPH_SADDR, IPH_TOS, IPH_TOT_LEN, IPV6_HLEN, IPV6_MIN_MTU, IP6H_DADDR, IP6H_NEXTHDR,
  IP6H_PAYLOAD_LEN, IPPROTO_DSTOPTS, IPPROTO_FRAGMENT, IPPROTO_HOPOPTS, IPPROTO_ROUTING, ipv6AddrType, ipv6Copy, ipv6IsAny, IPV6_ADDR_LINKLOCAL, IPV6_ADDR_LOOPBACK, IPV6_ADDR_MULTICAST, stBe16,
} from './inet';
import { ipSendCheck } from './csum';
import { dst_pmtu } from './dst';
import { frameAlloc } from '../umem';
import { XDP_PACKET_HEADROOM } from '../abi';
import { copyBytes } from '../bytes';
import { rt6RedirectMaybe } from './rt6_redirect';
import { NF_HOOK6, NF_INET_LOCAL_OUT, NF_INET_POST_ROUTING, nf_ct_clone, nf_egress_frag, nf_frag_cuts, nf_frag_max, nf_hook_slow, nf_nat_reroute, nf_route_reroute, nf_skb_mark } from './netfilter';

/** The flow key and result the output routes of this module use (one worker's). */
@inline function OUT_FL(): u32 {
  return netScratch() + SCR_RX + 384;
}
@inline export function OUT_RES(): u32 {
  return netScratch() + SCR_RX + 448;
}
/** The next hop handed to neigh_output / ip_fragment (16 bytes; IPv4 in the first 4). */
@inline function NH(): u32 {
  return netScratch() + SCR_RX + 512;
}
/** A source address ipv6_dev_get_saddr writes. */
@inline function SRC6(): u32 {
  return netScratch() + SCR_RX + 528;
}

/** IP IDs of the stack's own IPv4 datagrams (the kernel hashes a secret; any sequence is as good). */
let ipIdent: u32 = 0;

/** The Ethernet type of the frame at `data` (L3), in the untagged header before it. */
@inline function setEthType(data: u32, type: u32): void {
  stBe16(data - 2, type);
}

/** The output device's MTU for IPv4: the route's mtu metric, else the device's (ipv4_mtu without a PMTU). */
@inline export function routeMtu4(res: u32, nd: u32): u32 {
  const m = load<u32>(res, FR_MTU);
  return m != 0 ? m : load<u32>(nd, ND_MTU);
}

/**
 * ipv4_mtu for the stack's own datagrams to `dst` (network-order u32): a learned path MTU (dst.ts)
 * when there is one, else the route's.
 */
export function ownMtu4(res: u32, nd: u32, dst: u32): u32 {
  const m = routeMtu4(res, nd);
  store<u32>(PM_ADDR(), dst);
  const p = dst_pmtu(AF_INET, PM_ADDR());
  return p != 0 && p < m ? p : m;
}

/** ip6_mtu for the stack's own datagrams to the 16 bytes at `dst`: the learned path MTU, else the route's. */
export function ownMtu6(res: u32, nd: u32, dst: u32): u32 {
  const m = routeMtu6(res, nd);
  const p = dst_pmtu(AF_INET6, dst);
  return p != 0 && p < m ? p : m;
}

@inline function PM_ADDR(): u32 {
  return netScratch() + SCR_RX + 544;
}

/** The device's IPv6 MTU (net.ipv6.conf.DEV.mtu; the device MTU when unset), at least IPV6_MIN_MTU. */
@inline export function devMtu6(nd: u32): u32 {
  let m = load<u32>(nd, ND_CONF6 + (CONF6_MTU << 2));
  if (m == 0) m = load<u32>(nd, ND_MTU);
  return m < IPV6_MIN_MTU ? IPV6_MIN_MTU : m;
}

/** ip6_mtu: the route's mtu metric, else the device's mtu6. */
@inline export function routeMtu6(res: u32, nd: u32): u32 {
  const m = load<u32>(res, FR_MTU);
  return m != 0 ? m : devMtu6(nd);
}

/**
 * ip_finish_output2 for an IPv4 datagram at `data` (`len` bytes of IP; the Ethernet header goes in the
 * 14 bytes before): next hop = the route's IPv4 gateway, or its IPv6 gateway (RFC 5549), or the
 * destination; over `mtu` it is fragmented (the caller has dealt with DF). `nd`: the record of the
 * route's device (the caller looked it up). `indev`: skb->dev as ip_output finds it — the input device
 * of a forwarded datagram, 0 for the stack's own — which POST_ROUTING's hooks get as their `in` device
 * (ip_output's indev: nft's iif and a log's IN= there). Takes the frame.
 */
@inline export function ip_finish_output(res: u32, nd: u32, mtu: u32, q: u32, data: u32, len: u32, indev: u32): void {
  const oif = load<u32>(res, FR_OIF);
  // NF_HOOK4 written out: nf_hook_slow reaches this function again (reject's resets go out through
  // it), and the inliner cannot expand NF_HOOK4 inside its own expansion (AS217)
  const gate = load<u32>(NF_GATE_PTR);
  if (gate != 0 && !nf_hook_slow(gate, 0, NF_INET_POST_ROUTING, indev, oif, q, data, len)) return;
  if ((load<u32>(nd, ND_FLAGS) & IFF_UP) == 0) {
    netFree(q, data);
    netDrop(NDROP_NO_TX_TARGET);
    return;
  }
  let family = AF_INET;
  const gwf = <u32>load<u8>(res, FR_GW_FAMILY);
  if (gwf == AF_INET) {
    store<u32>(NH(), load<u32>(res, FR_GW));
  } else if (gwf == AF_INET6) {
    ipv6Copy(NH(), res + FR_GW);
    family = AF_INET6;
  } else {
    store<u32>(NH(), load<u32>(data, IPH_DADDR));
  }
  setEthType(data, ETH_P_IP);
  // __ip_finish_output: over the MTU, or reassembled by conntrack (IPCB frag_max_size), it is fragmented
  // (ip_do_fragment: at frag_max_size when that is below the MTU, so it leaves cut as it came)
  const fmax = gate != 0 ? nf_frag_max(data, len) : 0;
  if (len > mtu || fmax != 0) {
    ip_fragment_via(family, oif, NH(), fmax != 0 && fmax < mtu ? fmax : mtu, q, data, len);
    return;
  }
  neigh_output(family, oif, NH(), q, data - ETH_HLEN, len + ETH_HLEN);
}

/**
 * ip6_finish_output2: next hop = the route's gateway or the destination. `indev` as ip_finish_output's
 * (ip6_output's). Takes the frame.
 */
export function ip6_finish_output(res: u32, q: u32, data: u32, len: u32, indev: u32): void {
  const oif = load<u32>(res, FR_OIF);
  if (!NF_HOOK6(NF_INET_POST_ROUTING, indev, oif, q, data, len)) return;
  const nd = netdevGet(oif);
  if (nd == 0 || (load<u32>(nd, ND_FLAGS) & IFF_UP) == 0) {
    netFree(q, data);
    netDrop(NDROP_NO_TX_TARGET);
    return;
  }
  if (<u32>load<u8>(res, FR_GW_FAMILY) == AF_INET6) ipv6Copy(NH(), res + FR_GW);
  else ipv6Copy(NH(), data + 24);
  setEthType(data, ETH_P_IPV6);
  // __ip6_finish_output: a datagram conntrack reassembled (IP6CB frag_max_size) over that size is cut
  // again at it (ip6_fragment: never larger than what was received; ip6_forward refused it when a
  // fragment was over the MTU)
  const fmax = load<u32>(NF_GATE_PTR) != 0 ? nf_frag_max(data, len) : 0;
  if (fmax != 0 && len > fmax) {
    ip6FragmentSlow(res, fmax < IPV6_MIN_MTU ? IPV6_MIN_MTU : fmax, q, data, len, false);
    return;
  }
  neigh_output(AF_INET6, oif, NH(), q, data - ETH_HLEN, len + ETH_HLEN);
}

/**
 * ip6_find_1stfragopt: the length of the unfragmentable part (the IPv6 header, hop-by-hop options, and
 * destination options and routing headers up to the last routing header) and, in ip6FragNhoff, the
 * offset of the next-header byte that names what follows it. -1 when the chain runs past `len`.
 */
function ip6Find1stFragopt(data: u32, len: u32): i32 {
  let off: u32 = IPV6_HLEN;
  let nhoff: u32 = IP6H_NEXTHDR;
  let foundRhdr = false;
  while (off <= len) {
    const nh = <u32>load<u8>(data + nhoff);
    if (nh == IPPROTO_ROUTING) foundRhdr = true;
    else if (nh == IPPROTO_DSTOPTS) {
      if (foundRhdr) break;
    } else if (nh != IPPROTO_HOPOPTS) break;
    if (off + 2 > len) return -1;
    nhoff = off;
    off += (<u32>load<u8>(data + off + 1) + 1) << 3;
  }
  if (off > len) return -1;
  ip6FragNhoff = nhoff;
  return <i32>off;
}
let ip6FragNhoff: u32 = 0;

/** skb->mark for the next output route (ip_route_me_harder's flowi4_mark), taken by outFlow. */
let outFlowMark: u32 = 0;

/** The flow key of OUT_FL() cleared, with the fields every output route sets (and outFlowMark, then reset). */
function outFlow(family: u32, proto: u32, tos: u32, oif: u32): void {
  memory.fill(OUT_FL(), 0, FL_SIZE);
  store<u32>(OUT_FL(), outFlowMark, FL_MARK);
  outFlowMark = 0;
  store<u8>(OUT_FL(), <u8>family, FL_FAMILY);
  store<u8>(OUT_FL(), <u8>proto, FL_PROTO);
  store<u8>(OUT_FL(), <u8>tos, FL_TOS);
  store<u8>(OUT_FL(), <u8>RT_SCOPE_UNIVERSE, FL_SCOPE);
  store<u32>(OUT_FL(), LOOPBACK_IFINDEX, FL_IIF);
  store<u32>(OUT_FL(), oif, FL_OIF);
}

/**
 * The flow key's ports (network order, as in the packet) and ICMP type and code. The kernel's are one
 * union (flowi_uli: ports.dport first, then sport; icmpt.type and code over dport's two bytes), so an
 * ICMP flow's type and code are its destination port to what reads ports — the multipath hash under
 * policy 1 (fib_multipath_hash, rt6_multipath_hash without a packet), a rule's dport range.
 */
function outUli(icmpType: u32, icmpCode: u32, sport: u32, dport: u32): void {
  store<u8>(OUT_FL(), <u8>icmpType, FL_ICMP_TYPE);
  store<u8>(OUT_FL(), <u8>icmpCode, FL_ICMP_CODE);
  store<u16>(OUT_FL(), <u16>sport, FL_SPORT);
  store<u16>(OUT_FL(), <u16>(dport | icmpType | (icmpCode << 8)), FL_DPORT);
}

/**
 * fib_result_prefsrc: the route's preferred source, else the first address of the next hop's device
 * fit for the route's scope (toward the gateway when there is one).
 */
export function resultPrefsrc4(res: u32): u32 {
  const p = load<u32>(res, FR_PREFSRC);
  if (p != 0) return p;
  const gw = <u32>load<u8>(res, FR_GW_FAMILY) == AF_INET ? load<u32>(res, FR_GW) : 0;
  return inet_select_addr(load<u32>(res, FR_OIF), gw, <u32>load<u8>(res, FR_SCOPE));
}

/**
 * ip_route_output's route was the on-link guess out of its `oif` (no FIB result: res->fi NULL, so __mkroute_output's
 * rt_set_nexthop gives the route no gateway of any kind; the next hop is the datagram's destination).
 */
export let outOnLink: bool = false;
/** The source ip_route_output chose (network-order u32; 0 when no address fit). */
export let outSrc4: u32 = 0;
/**
 * For a route to this host (OUT_RES()'s device rewritten to lo): the device the local route named, the
 * one the datagram reports to what it reaches through lo (netdevLoopIif: IPv4 rt_iif, IPv6 rt6i_idev).
 */
let outLoopIif: u32 = 0;
/** outLoopIif, for a caller that routes a datagram of its own while an outer one's route is kept (nft's dup). */
export function outLoopIifGet(): u32 {
  return outLoopIif;
}
export function outLoopIifSet(v: u32): void {
  outLoopIif = v;
}

/**
 * A local route (RTN_LOCAL) as the kernel's output routes make it: the datagram leaves on loopback —
 * ip_route_output_key_hash_rcu's dev_out = net->loopback_dev, ip6_rt_get_dev_rcu's for a local route's
 * copy — and comes back through lo's receive; the route's own device is kept for netdevLoopIif
 * ("make sure orig_oif points to fib result device even though packet rx/tx happens over loopback").
 */
function outLocal(): void {
  outLoopIif = load<u32>(OUT_RES(), FR_OIF);
  store<u32>(OUT_RES(), LOOPBACK_IFINDEX, FR_OIF);
  store<u8>(OUT_RES(), 0, FR_GW_FAMILY); // the next hop is the destination itself
}

/**
 * ip_route_output_key for the stack's own IPv4 datagram to `dst` from `src` (0: let the route choose):
 * OUT_RES() holds the route and outSrc4 the source. false when the lookup failed (no route, or a route
 * of an error type), or the route is local and `local` is false. `local` is set by the callers checked
 * against the kernel with a local destination (ICMP errors and echo replies, TCP and nft resets, IPv6
 * path MTU learning: theirs go through lo); the others keep refusing one.
 */
export function ip_route_output(dst: u32, src: u32, tos: u32, proto: u32, icmpType: u32, icmpCode: u32, local: bool, sport: u32, dport: u32, oif: u32): bool {
  outFlow(AF_INET, proto, tos & 0xfc, oif);
  outOnLink = false;
  store<u32>(OUT_FL(), dst, FL_DST);
  store<u32>(OUT_FL(), src, FL_SRC);
  outUli(icmpType, icmpCode, sport, dport);
  if (oif != 0) {
    // ip_route_output_key_hash_rcu with flowi4_oif: that device, up (ENODEV, ENETUNREACH); no route through it →
    // "Apparently, routing tables are wrong. Assume, that the destination is on link": unicast out of it, no gateway
    const nd = netdevGet(oif);
    if (nd == 0 || (load<u32>(nd, ND_FLAGS) & IFF_UP) == 0) return false;
    if (fib4_lookup(OUT_FL(), OUT_RES()) != 0) {
      outOnLink = true;
      memory.fill(OUT_RES(), 0, FR_SIZE);
      store<u8>(OUT_RES(), <u8>RTN_UNICAST, FR_TYPE);
      store<u32>(OUT_RES(), oif, FR_OIF);
      outSrc4 = src != 0 ? src : inet_select_addr(oif, 0, RT_SCOPE_LINK);
      return true;
    }
  } else if (fib4_lookup(OUT_FL(), OUT_RES()) != 0) return false;
  if (<u32>load<u8>(OUT_RES(), FR_TYPE) == RTN_LOCAL) {
    if (!local) return false;
    // ip_route_output_key_hash_rcu: no source given → the route's preferred source, else the destination
    const p = load<u32>(OUT_RES(), FR_PREFSRC);
    outSrc4 = src != 0 ? src : p != 0 ? p : dst;
    outLocal();
    return true;
  }
  // fib_select_path: a locally generated datagram picks among equal default routes
  fib_select_default(OUT_FL(), OUT_RES());
  outSrc4 = src != 0 ? src : resultPrefsrc4(OUT_RES());
  return true;
}

/**
 * ip6_route_output for the stack's own IPv6 datagram to the 16 bytes at `dst` out of `oif` (0: any):
 * OUT_RES() holds the route. When the source at `src` is unspecified it is chosen as ip6_dst_lookup does
 * (the route's preferred source, else RFC 6724 selection on the route's device) and written there; it
 * stays unspecified when nothing fits. `skBound`: the flow is a socket's bound to `oif`
 * (sk_bound_dev_if). false when there is no usable route, or it is local and `local` is false (as
 * ip_route_output). `label`: the flow's flowinfo word (FL_LABEL) as the caller's flowi6 holds it.
 */
export function ip6_route_output(dst: u32, src: u32, proto: u32, icmpType: u32, icmpCode: u32, oif: u32, skBound: bool, local: bool, sport: u32, dport: u32, label: u32): bool {
  outFlow(AF_INET6, proto, 0, oif);
  store<u32>(OUT_FL(), label, FL_LABEL);
  ipv6Copy(OUT_FL() + FL_DST, dst);
  ipv6Copy(OUT_FL() + FL_SRC, src);
  outUli(icmpType, icmpCode, sport, dport);
  // ip6_route_output_flags_noref: RT6_LOOKUP_F_IFACE for a socket bound to a device, for a destination
  // that needs a device (rt6_need_strict: multicast, link-local, loopback) and for an output device with
  // no source yet — an echo reply to a multicast request goes back through the device it came in on or
  // not at all; a socket bound to a device and an address reaches no peer routed through another
  const strict = skBound || (ipv6AddrType(dst) & (IPV6_ADDR_MULTICAST | IPV6_ADDR_LINKLOCAL | IPV6_ADDR_LOOPBACK)) != 0 || (oif != 0 && ipv6IsAny(src));
  if (fib6_lookup(OUT_FL(), OUT_RES(), strict, true) != 0) return false;
  const isLocal = <u32>load<u8>(OUT_RES(), FR_TYPE) == RTN_LOCAL;
  if (isLocal && !local) return false;
  if (!isLocal) rt6RedirectMaybe(dst, OUT_RES());
  // the source on the route's device: for a local route its idev, the address's device
  if (ipv6IsAny(src)) {
    if (!ipv6IsAny(OUT_RES() + FR_PREFSRC)) ipv6Copy(src, OUT_RES() + FR_PREFSRC);
    else if (ipv6_dev_get_saddr(load<u32>(OUT_RES(), FR_OIF), dst, SRC6()) == 0) ipv6Copy(src, SRC6());
  }
  if (isLocal) outLocal();
  return true;
}

/** Next IP ID for the stack's own datagrams (network order, as stored). */
@inline export function nextIpId(): u32 {
  ipIdent++;
  return <u32>bswap<u16>(<u16>ipIdent);
}

/**
 * ip_local_out + ip_output for a datagram the stack built at `data` (IPv4 header filled but for
 * tot_len, id and checksum), routed through OUT_RES(): Ip:OutRequests, then the MTU of the route —
 * over it, fragmented (the stack's own datagrams never carry DF). Takes the frame.
 */
export function ip_local_out(q: u32, data: u32, len: u32): void {
  stBe16(data + IPH_TOT_LEN, len);
  store<u16>(data, <u16>nextIpId(), IPH_ID);
  ipSendCheck(data, (<u32>load<u8>(data) & 0xf) << 2);
  ip_send_skb(q, data, len);
}

/**
 * ip_send_skb for a datagram whose header is complete (a reset's ID 0 kept), routed through OUT_RES():
 * Ip:OutRequests, LOCAL_OUT's hooks, then out of the route's device — lo for a local route, the frame
 * coming back in with the route's own device as its incoming one (netdevLoopIif). Takes the frame.
 */
export function ip_send_skb(q: u32, data: u32, len: u32): void {
  mibInc(MIB_IP_OUT_REQUESTS);
  const gate = load<u32>(NF_GATE_PTR); // NF_HOOK4 written out, as in ip_finish_output
  if (gate != 0 && !nf_hook_slow(gate, 0, NF_INET_LOCAL_OUT, 0, load<u32>(OUT_RES(), FR_OIF), q, data, len)) return;
  // nf_nat_ipv4_local_fn / nf_route_table_hook4: LOCAL_OUT's NAT changed where the datagram goes (an ICMP error of
  // ours RELATED to a DNAT'd connection, turned toward the address behind it) or a route chain its mark: routed
  // again (ip_route_me_harder, no socket: its destination, its source, TOS, skb->mark); no route drops it
  if (gate != 0 && (nf_route_reroute(data) || nf_nat_reroute(0, data, len))) {
    outFlowMark = nf_skb_mark(data, len);
    if (!ip_route_output(load<u32>(data, IPH_DADDR), load<u32>(data, IPH_SADDR), <u32>load<u8>(data, IPH_TOS), 0, 0, 0, true, 0, 0, 0)) {
      netFree(q, data);
      netDrop(NDROP_NETFILTER_DROP);
      return;
    }
  }
  const oif = load<u32>(OUT_RES(), FR_OIF);
  const nd = netdevGet(oif);
  if (nd == 0) {
    netFree(q, data);
    netDrop(NDROP_NO_TX_TARGET);
    return;
  }
  const lo = oif == LOOPBACK_IFINDEX;
  const was = lo ? netdevLoopIif(outLoopIif) : 0;
  ip_finish_output(OUT_RES(), nd, ownMtu4(OUT_RES(), nd, load<u32>(data, IPH_DADDR)), q, data, len, 0);
  if (lo) netdevLoopIif(was);
}

/**
 * A datagram the stack built (a 40-byte header, no extension headers) and routed through OUT_RES(),
 * counted in Ip6:OutRequests where ip6_xmit and __ip6_make_skb count it (a reset of TCP, an ICMPv6
 * message), then ip6_local_out. Takes the frame.
 */
export function ip6_send_skb(q: u32, data: u32, len: u32): void {
  mibInc(MIB_IP6_OUT_REQUESTS);
  ip6_local_out(q, data, len);
}

/**
 * ip6_local_out for a datagram the stack built and routed through OUT_RES(), uncounted (nf_send_reset6
 * calls it directly: its reset is in no Ip6:OutRequests): LOCAL_OUT's hooks, then over the path MTU it
 * is fragmented (ip6_fragment). Takes the frame.
 */
export function ip6_local_out(q: u32, data: u32, len: u32): void {
  if (!NF_HOOK6(NF_INET_LOCAL_OUT, 0, load<u32>(OUT_RES(), FR_OIF), q, data, len)) return;
  const nd = netdevGet(load<u32>(OUT_RES(), FR_OIF));
  if (nd == 0) {
    netFree(q, data);
    netDrop(NDROP_NO_TX_TARGET);
    return;
  }
  const mtu = ownMtu6(OUT_RES(), nd, data + IP6H_DADDR);
  const lo = load<u32>(OUT_RES(), FR_OIF) == LOOPBACK_IFINDEX;
  const was = lo ? netdevLoopIif(outLoopIif) : 0;
  if (len > mtu) ip6FragmentSlow(OUT_RES(), mtu, q, data, len, true);
  else ip6_finish_output(OUT_RES(), q, data, len, 0);
  if (lo) netdevLoopIif(was);
}

/**
 * ip6_fragment for a datagram that passed POST_ROUTING already (a UDP socket's, udp_output.ts), routed out of
 * `res`'s FR_OIF to the next hop at `nh`: each fragment to the neighbour stage. Takes the frame.
 */
export function ip6_fragment_out(res: u32, nh: u32, mtu: u32, data: u32, len: u32): void {
  ipv6Copy(NH(), nh);
  ip6FragmentSlow(res, mtu, 0, data, len, false);
}

// ip6_fragment_keep's list: (u32 L3 address, u32 L3 length) per fragment, 0 while fragments go out
let keepList: u32 = 0;
let keepN: u32 = 0;
let keepMax: u32 = 0;

/**
 * ip6_fragment for a multicast datagram that passed POST_ROUTING (udp_output.ts mcSend6) whose every fragment
 * ip6_finish_output2 loops back: the fragments cut as ip6_fragment_out cuts them (counted the same), each with the
 * datagram's conntrack and mark (ip6_copy_metadata: nf_copy, mark), kept — (L3 address, L3 length) at `out`, at most
 * `max` — for the caller to copy and hand on. Their number; takes the datagram's frame.
 */
export function ip6_fragment_keep(res: u32, mtu: u32, data: u32, len: u32, out: u32, max: u32): u32 {
  keepList = out;
  keepN = 0;
  keepMax = max;
  ip6FragmentSlow(res, mtu, 0, data, len, false);
  keepList = 0;
  return keepN;
}

/** Fragment identifications of the stack's own IPv6 datagrams (the kernel hashes a secret). */
let ip6Ident: u32 = 0;

/**
 * ip6_fragment's slow path for the datagram at `data` routed by `res`: each fragment in a new pool frame
 * — the unfragmentable part (ip6_find_1stfragopt: the stack's own datagrams have none past the IPv6
 * header), a Fragment header (next header: what followed that part; one identification for all),
 * then min(left, mtu − that part − 8) bytes, rounded down to 8 but for the last. Ip6: FragCreates per
 * fragment, FragOKs; FragFails when the MTU leaves no room or the pool runs dry. `own`: the stack's own
 * datagram, each fragment through ip6_finish_output; else one that passed POST_ROUTING already (a
 * datagram conntrack reassembled), each fragment to the neighbour at NH().
 */
function ip6FragmentSlow(res: u32, mtu: u32, q: u32, data: u32, len: u32, own: bool): void {
  const h = ip6Find1stFragopt(data, len);
  if (h < 0 || mtu < <u32>h + 8 + 8) {
    mibInc(MIB_IP6_FRAG_FAILS);
    netFree(q, data);
    netDrop(NDROP_PKT_TOO_BIG);
    return;
  }
  const hlen = <u32>h;
  const nhoff = ip6FragNhoff;
  const space = mtu - hlen - 8;
  // the fast path (skb_has_frag_list: a datagram conntrack reassembled): its fragments as they came when
  // every one fits and all but the last are multiples of 8 bytes (the kernel's geometry check)
  const cuts = own ? 0 : nf_frag_cuts(data, len, hlen, space);
  let ci: u32 = 0;
  const nexthdr = load<u8>(data + nhoff);
  const oif = load<u32>(res, FR_OIF);
  ip6Ident++;
  let left = len - hlen;
  let ptr = data + hlen;
  let offset: u32 = 0;
  while (left > 0) {
    let flen = cuts != 0 ? <u32>load<u16>(cuts + 8 + (ci++ << 1)) : left > space ? space & ~7 : left;
    const f = frameAlloc();
    if (f == 0) {
      mibInc(MIB_IP6_FRAG_FAILS);
      netFree(q, data);
      netDrop(NDROP_NOMEM);
      return;
    }
    const eth = f + XDP_PACKET_HEADROOM;
    const ip = eth + ETH_HLEN;
    copyBytes(eth, data - ETH_HLEN, ETH_HLEN + hlen);
    store<u8>(ip + nhoff, <u8>IPPROTO_FRAGMENT);
    stBe16(ip + IP6H_PAYLOAD_LEN, hlen - IPV6_HLEN + 8 + flen);
    const fh = ip + hlen;
    store<u8>(fh, nexthdr);
    store<u8>(fh, 0, 1);
    stBe16(fh + 2, offset | (left > flen ? 1 : 0)); // the offset in 8-byte units sits above the M bit
    store<u32>(fh, bswap<u32>(ip6Ident), 4);
    copyBytes(fh + 8, ptr, flen);
    left -= flen;
    ptr += flen;
    offset += flen;
    mibInc(MIB_IP6_FRAG_CREATES);
    if (keepList != 0) {
      if (keepN < keepMax) {
        nf_ct_clone(data, len, ip, hlen + 8 + flen);
        store<u32>(keepList + (keepN << 3), ip);
        store<u32>(keepList + (keepN << 3), hlen + 8 + flen, 4);
        keepN++;
      } else netFree(0, ip);
      continue;
    }
    nf_egress_frag(data, ip); // ip6_copy_metadata: the datagram's mark
    if (own) ip6_finish_output(res, 0, ip, hlen + 8 + flen, 0);
    else neigh_output(AF_INET6, oif, NH(), 0, eth, ETH_HLEN + hlen + 8 + flen);
  }
  mibInc(MIB_IP6_FRAG_OKS);
  netFree(q, data);
}
