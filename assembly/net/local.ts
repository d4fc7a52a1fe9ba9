// Local delivery: datagrams whose route is local, broadcast or a joined multicast group, after
// reassembly, go to their protocol's handler — inet_protos / inet6_protos of the kernel, here a table of
// handler numbers by protocol that the control plane can change:
//
//   256 × u8 handler by IP protocol, then 256 by IPv6 next header (an arena block under NR_PROTOS)
//     PH_NONE      no handler: ICMP protocol unreachable / ICMPv6 parameter problem (code 1, pointing at
//                  the next-header field), Ip:InUnknownProtos, IP_NOPROTO
//     PH_ICMP      icmp_rcv / icmpv6_rcv (icmp.ts)
//     PH_UDP       udp_rcv / udpv6_rcv (udp.ts): UDP and UDP-Lite to the socket tables
//     PH_TCP       tcp_v4_rcv / tcp_v6_rcv (tcp.ts): no TCP sockets, so a reset
//     PH_CONSUME   taken and freed, delivered (IGMP, MLD's own, the kernel's other built-ins)
//     PH_HOST      the host ring, uncounted by protocol (raw handlers the control plane adds)
//     PH_RAW       an embedder's handler (sock.ts sk_raw_create): the whole datagram onto that socket's queue
//     IPv6 only: PH_EXT_ROUTING, PH_EXT_DSTOPTS, PH_EXT_FRAGMENT, PH_NONE_NEXT (59: nothing follows)
//   every handler but PH_NONE counts Ip:InDelivers / Ip6:InDelivers, as ip_protocol_deliver_rcu does
//   whatever the handler then makes of the datagram.
//
// ICMP errors icmp_rcv / icmpv6_rcv accept come through hostDeliverIcmp: an error quoting UDP or
// UDP-Lite goes to its socket first (udp_err / udpv6_err: SK_ERR of a connected socket), then, as every
// ICMP message the stack does not answer itself, up to the host ring (L4:IcmpPending).
//
// Reads: the datagram (protocol, fragment fields), the tables, rxRingIfindex (eth.ts).
// Sets: SNMP Ip/Ip6 delivery counters. Next: ip_defrag / ipv6_defrag (frag.ts), icmp_rcv / icmpv6_rcv,
// udp_rcv / udpv6_rcv, tcp_v4_rcv / tcp_v6_rcv, a raw socket's queue, the host ring, or a drop
// (IP_NOPROTO, HOST_RING_FULL, NO_SOCKET, SOCKET_RCVBUFF).

import { devLookup } from '../device';
import { DEV_HOST_RING } from '../abi';
import { ringPushDesc } from '../ring';
import { mibInc, netDrop, netFree, netRoot, netdevGet } from './core';
import { mcDevHas6 } from './udp_mcast';
import { arena_alloc } from '../maps/arena';
import { fillBytes } from '../bytes';
import {
  MIB_IP6_IN_DELIVERS, MIB_IP6_IN_HDR_ERRORS, MIB_IP6_IN_UNKNOWN_PROTOS, MIB_IP_IN_DELIVERS, MIB_IP_IN_UNKNOWN_PROTOS,
  MIB_L4_ICMP_PENDING, NDROP_HOST_RING_FULL, NDROP_SOCKET_RCVBUFF, NDROP_PROTO_MEM, NDROP_IP_NOPROTO,
  NDROP_NO_SOCKET, NDROP_FRAG_INVALID, NR_PROTOS, MIB_IP6_IN_DISCARDS, NDROP_IP_INADDRERRORS,
} from './abi';
import { ip_defrag, ipv6_defrag, reasmLen, reasmNhoff, reasmThoff } from './frag';
import { rxRingIfindex } from './eth';
import {
  icmp_rcv, icmp_send, icmpv6_rcv, icmpv6_send, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, ICMPV6_HDR_FIELD, ICMPV6_PARAMPROB,
  ICMPV6_UNK_NEXTHDR,
} from './icmp';
import {
  ETH_HLEN, IPH_FRAG_OFF, IPH_PROTOCOL, IPV6_HLEN, IP6H_NEXTHDR, IPPROTO_DSTOPTS, IPPROTO_FRAGMENT, IPPROTO_ICMP, IPPROTO_ICMPV6,
  IPPROTO_IGMP, IPPROTO_NONE, IPPROTO_ROUTING, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE, IP_MF, IP_OFFSET, IP6H_DADDR, ipv6IsMulticast, ldBe16,
  PACKET_HOST,
} from './inet';
import { ipv6_destopt_rcv, ipv6_rthdr_rcv, ipv6SkipExthdr, extNhoff, extOff, skipNexthdr, EXT_CONTINUE, mcJoined6, rxPktType } from './ipv6_rcv';
import { rx4PktType } from './ipv4_rcv';
import { udp_rcv, udpv6_rcv, udp_err, udpv6_err, UDP_NO_DEMUX } from './udp';
import { tcp_v4_rcv, tcp_v6_rcv } from './tcp';
import { loopbackIif } from './netdev';
import { NF_HOOK4, NF_HOOK6, NF_INET_LOCAL_IN } from './netfilter';
import { rawSlotClear, rawSock, skDropInc, skEnqueue, ENQ_OK, ENQ_RCVBUF } from './sock';
import { AF_INET, AF_INET6 } from './abi';

export const PH_NONE: u8 = 0;
export const PH_ICMP: u8 = 1;
export const PH_UDP: u8 = 2;
export const PH_TCP: u8 = 3;
export const PH_CONSUME: u8 = 4;
export const PH_HOST: u8 = 5;
export const PH_EXT_ROUTING: u8 = 6;
export const PH_EXT_DSTOPTS: u8 = 7;
export const PH_EXT_FRAGMENT: u8 = 8;
export const PH_NONE_NEXT: u8 = 9;
export const PH_RAW: u8 = 10;
const PH_MAX: u8 = 10;

// The tables live in an arena block under the root (NR_PROTOS: 256 IPv4 handlers, then 256 IPv6),
// made on first use with the kernel's built-ins and published with one store: every worker sees the
// same tables, and a worker starting later does not reset what the control plane set.
function protos(): u32 {
  const r = netRoot();
  let t = load<u32>(r + NR_PROTOS);
  if (t != 0) return t;
  t = arena_alloc(512, 64);
  if (t == 0) return 0;
  fillBytes(t, 0, 512);
  store<u8>(t + IPPROTO_ICMP, PH_ICMP);
  store<u8>(t + IPPROTO_IGMP, PH_CONSUME);
  store<u8>(t + IPPROTO_TCP, PH_TCP);
  store<u8>(t + IPPROTO_UDP, PH_UDP);
  store<u8>(t + IPPROTO_UDPLITE, PH_UDP);
  const t6 = t + 256;
  store<u8>(t6 + IPPROTO_ICMPV6, PH_ICMP);
  store<u8>(t6 + IPPROTO_TCP, PH_TCP);
  store<u8>(t6 + IPPROTO_UDP, PH_UDP);
  store<u8>(t6 + IPPROTO_UDPLITE, PH_UDP);
  store<u8>(t6 + IPPROTO_ROUTING, PH_EXT_ROUTING);
  store<u8>(t6 + IPPROTO_DSTOPTS, PH_EXT_DSTOPTS);
  store<u8>(t6 + IPPROTO_FRAGMENT, PH_EXT_FRAGMENT);
  store<u8>(t6 + IPPROTO_NONE, PH_NONE_NEXT);
  store<u32>(r + NR_PROTOS, t);
  return t;
}

/** The handler of `proto` (IPv4 when !v6): PH_NONE when the tables cannot be made. */
@inline export function protoHandler(v6: bool, proto: u32): u8 {
  return handler(v6, proto);
}

/** protoHandler's body (the name local callers use). */
@inline function handler(v6: bool, proto: u32): u8 {
  const made = load<u32>(netRoot() + NR_PROTOS); // made once: no call per datagram after that
  const t = made != 0 ? made : protos();
  return t == 0 ? PH_NONE : load<u8>(t + (v6 ? 256 : 0) + proto);
}

/**
 * inet_add_protocol / inet6_add_protocol: handler `handler` (PH_*) for IP protocol `proto` of `family`
 * (2 or 10). 0, or -22 (EINVAL: family, protocol or handler out of range, no stack), -12 (ENOMEM).
 * One byte store: a receive in flight sees the old handler or the new one.
 */
export function net_proto_set(family: u32, proto: u32, h: u32): i32 {
  if (proto > 255 || h > <u32>PH_MAX || (family != 2 && family != 10) || netRoot() == 0) return -22;
  const t = protos();
  if (t == 0) return -12;
  store<u8>(t + (family == 10 ? 256 : 0) + proto, <u8>h);
  return 0;
}

/** The handler of `proto` for `family` (PH_*), 255 for a bad family. */
export function net_proto_get(family: u32, proto: u32): u32 {
  if ((family != 2 && family != 10) || netRoot() == 0) return 255;
  return handler(family == 10, proto & 0xff);
}

/**
 * The datagram at `data` (L3, `len` bytes) goes up to the host: onto the host ring of the ring device
 * it came in on, as the Ethernet frame it arrived in (untagged). false when dropped (counted).
 */
function hostDeliver(q: u32, data: u32, len: u32): bool {
  const dev = devLookup(rxRingIfindex);
  if (dev == 0) {
    netFree(q, data);
    netDrop(NDROP_NO_SOCKET);
    return false;
  }
  if (!ringPushDesc(load<u32>(dev, DEV_HOST_RING), <u64>(data - ETH_HLEN), len + ETH_HLEN, 0)) {
    netFree(q, data);
    netDrop(NDROP_HOST_RING_FULL);
    return false;
  }
  return true;
}

/**
 * ICMP messages the stack does not answer itself (echo replies, errors) that came in on `ifindex`: an
 * error about UDP goes to its socket first (looked up on that device, as skb->dev), then everything up
 * to the host.
 */
export function hostDeliverIcmp(ifindex: u32, q: u32, data: u32, len: u32): void {
  icmpErrToSocket(ifindex, data, len);
  if (hostDeliver(q, data, len)) mibInc(MIB_L4_ICMP_PENDING);
}

/** icmp_socket_deliver / icmpv6_notify for UDP and UDP-Lite: the quoted datagram's socket hears of it. */
function icmpErrToSocket(ifindex: u32, data: u32, len: u32): void {
  if ((<u32>load<u8>(data) >> 4) == 4) {
    const hlen = (<u32>load<u8>(data) & 0xf) << 2;
    if (len < hlen + 8 + 20) return;
    const ic = data + hlen;
    const type = <u32>load<u8>(ic);
    if (type != 3 && type != 4 && type != 11 && type != 12) return;
    const p = <u32>load<u8>(ic + 8 + 9);
    if (p == IPPROTO_UDP || p == IPPROTO_UDPLITE) udp_err(ifindex, ic, len - hlen);
    return;
  }
  // IPv6: the ICMPv6 message after the extension headers icmpv6_rcv walked; the quoted packet's
  // upper layer past its own
  if (len < IPV6_HLEN + 8) return;
  const off = ipv6SkipExthdr(data, len, IPV6_HLEN, <u32>load<u8>(data + IP6H_NEXTHDR));
  if (off < 0 || skipNexthdr != IPPROTO_ICMPV6) return;
  const ic = data + <u32>off;
  const type = <u32>load<u8>(ic);
  if (type < 1 || type > 4) return;
  const inner = ic + 8;
  const ilen = len - <u32>off - 8;
  if (ilen < IPV6_HLEN + 8) return;
  const uoff = ipv6SkipExthdr(inner, ilen, IPV6_HLEN, <u32>load<u8>(inner + IP6H_NEXTHDR));
  if (uoff < 0 || <u32>uoff + 8 > ilen) return;
  const p = skipNexthdr;
  // __udp6_lib_err looks up on inet6_iif: for an error this host sent itself through lo, its local
  // route's device (loopbackIif); __udp4_lib_err above on skb->dev, lo itself
  if (p == IPPROTO_UDP || p == IPPROTO_UDPLITE) udpv6_err(loopbackIif(ifindex), ic, inner + <u32>uoff, p);
}

/** A raw handler's datagram (the whole of it, from the IP header) onto its socket's queue. */
function rawDeliver(v6: bool, ifindex: u32, q: u32, data: u32, len: u32, proto: u32): void {
  const sk = rawSock(v6, proto);
  if (sk == 0) {
    netFree(q, data);
    netDrop(NDROP_NO_SOCKET);
    return;
  }
  const e = skEnqueue(sk, q, data, data, len, ifindex);
  if (e != ENQ_OK) {
    skDropInc(sk);
    netFree(q, data);
    netDrop(e == ENQ_RCVBUF ? NDROP_SOCKET_RCVBUFF : NDROP_PROTO_MEM);
  }
}

/**
 * Point protocol `proto` of `family` at raw socket `id` (PH_RAW), or back to no handler (id 0).
 * sock.ts's sk_raw_create / sk_close call it. 0 or -errno.
 */
export function net_proto_raw(family: u32, proto: u32, id: u32): i32 {
  if (id == 0) rawSlotClear(family == 10, proto);
  return net_proto_set(family, proto, id != 0 ? <u32>PH_RAW : <u32>PH_NONE);
}

/**
 * ip_local_deliver: the IPv4 datagram at `data` (`len` bytes, its route local/broadcast/multicast as
 * `rtFlags` say) for this host, from `ifindex`. Fragments are reassembled first. `demux`: false for a
 * copy the host loops back with its output route (dev_loopback_xmit: no early demux). Takes the frame.
 */
export function ip_local_deliver(ifindex: u32, q: u32, data: u32, len: u32, rtFlags: u32, demux: bool): void {
  // ip_rcv_finish_core's early demux sees only datagrams that came whole (!ip_is_fragment);
  // udp_v4_early_demux looks by the frame's pkt_type (udp.ts: PACKET_HOST and PACKET_MULTICAST)
  const fragment = (ldBe16(data + IPH_FRAG_OFF) & (IP_MF | IP_OFFSET)) != 0;
  const early = demux && !fragment ? rx4PktType : UDP_NO_DEMUX;
  if (fragment) {
    const r = ip_defrag(ifindex, q, data, len);
    if (r == 0) return;
    if (r != data) q = 0; // a new frame of the stack's own
    data = r;
    len = reasmLen();
  }
  if (!NF_HOOK4(NF_INET_LOCAL_IN, ifindex, 0, q, data, len)) return;
  const proto = <u32>load<u8>(data, IPH_PROTOCOL);
  const h = handler(false, proto);
  const hlen = (<u32>load<u8>(data) & 0xf) << 2;
  if (h == PH_NONE) {
    mibInc(MIB_IP_IN_UNKNOWN_PROTOS);
    icmp_send(ifindex, data, len, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0);
    netFree(q, data);
    netDrop(NDROP_IP_NOPROTO);
    return;
  }
  mibInc(MIB_IP_IN_DELIVERS);
  if (h == PH_UDP) udp_rcv(ifindex, q, data, len, hlen, rtFlags, early);
  else if (h == PH_ICMP) icmp_rcv(ifindex, q, data, len, hlen, rtFlags);
  else if (h == PH_TCP) tcp_v4_rcv(ifindex, q, data, len, hlen, rtFlags);
  else if (h == PH_RAW) rawDeliver(false, ifindex, q, data, len, proto);
  else if (h == PH_CONSUME) netFree(q, data);
  else hostDeliver(q, data, len);
}

/**
 * ipv6_chk_mcast_addr with the source, for a datagram to a multicast group (anything else passes), MLD
 * excepted (ipv6_is_mld): the device's own groups take every source, socket groups as their filters say.
 */
function mcSourceOk6(ifindex: u32, data: u32, off: u32, nexthdr: u32): bool {
  const d = data + 24;
  if (load<u8>(d) != 0xff) return true;
  if (nexthdr == IPPROTO_ICMPV6) {
    const t = <u32>load<u8>(data + off);
    if (t == 130 || t == 131 || t == 132 || t == 143) return true;
  }
  return mcJoined6(ifindex, netdevGet(ifindex), d) || mcDevHas6(ifindex, d, data + 8);
}

/**
 * ip6_input → ip6_protocol_deliver_rcu: the IPv6 datagram at `data` (`len` bytes) for this host, its
 * upper layer (or next extension header) at `off`, whose type is the byte at `nhoff` (the next-header
 * field that names it). Routing and destination options headers are walked here, fragments
 * reassembled. `unicast`: its route was local (not a multicast group). `demux`: false for a copy the
 * host loops back with its output route (no early demux). Takes the frame.
 */
export function ip6_local_deliver(ifindex: u32, q: u32, data: u32, len: u32, nhoff: u32, off: u32, unicast: bool, demux: bool): void {
  if (!NF_HOOK6(NF_INET_LOCAL_IN, ifindex, 0, q, data, len)) return;
  let fragmented = false;
  for (;;) {
    const nexthdr = <u32>load<u8>(data + nhoff);
    const h = handler(true, nexthdr);
    if (h == PH_EXT_ROUTING || h == PH_EXT_DSTOPTS) {
      const r = h == PH_EXT_ROUTING ? ipv6_rthdr_rcv(ifindex, q, data, len, off) : ipv6_destopt_rcv(ifindex, q, data, len, off);
      if (r != EXT_CONTINUE) return;
      nhoff = extNhoff;
      off = extOff;
      continue;
    }
    if (h == PH_EXT_FRAGMENT) {
      if (fragmented) {
        // ipv6_frag_rcv: a second Fragment header (IP6SKB_FRAGMENTED) is a bad header at its offset
        // (counted FRAG_INVALID, as the fragment stage counts its parameter problems)
        mibInc(MIB_IP6_IN_HDR_ERRORS);
        icmpv6_send(ifindex, data, len, ICMPV6_PARAMPROB, ICMPV6_HDR_FIELD, off);
        netFree(q, data);
        netDrop(NDROP_FRAG_INVALID);
        return;
      }
      const r = ipv6_defrag(ifindex, q, data, len, off);
      if (r == 0) return;
      if (r != data) q = 0; // reassembled into a frame of the stack's own (an atomic fragment stays)
      data = r;
      len = reasmLen();
      nhoff = reasmNhoff();
      off = reasmThoff();
      fragmented = true;
      continue;
    }
    if (h == PH_NONE) {
      mibInc(MIB_IP6_IN_UNKNOWN_PROTOS);
      icmpv6_send(ifindex, data, len, ICMPV6_PARAMPROB, ICMPV6_UNK_NEXTHDR, nhoff);
      netFree(q, data);
      netDrop(NDROP_IP_NOPROTO);
      return;
    }
    // a Subnet-Router anycast destination (not local, not multicast) is unicast to UDP (__udp6_lib_rcv
    // takes the multicast path for multicast addresses only); TCP and ICMP keep it apart (no reset:
    // ipv6_unicast_destination is false; echo replies choose their source)
    const mcast = !unicast && ipv6IsMulticast(data + IP6H_DADDR);
    if (mcast && (h == PH_UDP || h == PH_TCP || h == PH_ICMP) && !mcSourceOk6(ifindex, data, off, nexthdr)) {
      // ip6_protocol_deliver_rcu: a final protocol's multicast from a source the device's filter refuses
      mibInc(MIB_IP6_IN_DISCARDS);
      netFree(q, data);
      netDrop(NDROP_IP_INADDRERRORS);
      return;
    }
    mibInc(MIB_IP6_IN_DELIVERS);
    // ip6_rcv_finish_core's early demux saw the fixed header's next header (UDP only when it came whole,
    // no extension headers); udp_v6_early_demux asks PACKET_HOST frames only (to our MAC, even to a group)
    if (h == PH_UDP) udpv6_rcv(ifindex, q, data, len, off, nexthdr, !mcast, demux && rxPktType == PACKET_HOST && !fragmented && nhoff == 6);
    else if (h == PH_ICMP) icmpv6_rcv(ifindex, q, data, len, off, unicast);
    else if (h == PH_TCP) tcp_v6_rcv(ifindex, q, data, len, off, unicast);
    else if (h == PH_RAW) rawDeliver(true, ifindex, q, data, len, nexthdr);
    else if (h == PH_CONSUME || h == PH_NONE_NEXT) netFree(q, data);
    else hostDeliver(q, data, len);
    return;
  }
}
