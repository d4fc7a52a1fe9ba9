// UDP send: udp_sendmsg / udpv6_sendmsg (net/ipv4/udp.c, net/ipv6/udp.c). A datagram from the control
// plane's socket API is routed through the FIB as ip_route_output_key_hash_rcu / ip6_dst_lookup_tail do it
// (the socket's bound device and mark, its source address or the route's: fib_result_prefsrc, RFC 6724),
// given an IP header (TTL / hop limit, TOS / traffic class, DF by IP_MTU_DISCOVER), a UDP or UDP-Lite
// header and checksum, cut into fragments as __ip_append_data / __ip6_append_data cut them when it is larger
// than the path MTU, and handed to the neighbour stage (frames queue there while the neighbour resolves).
// A datagram to a local address goes out on loopback and comes back through its receive path.
//
// Reads: the socket record (abi.ts SK_*; sock.ts's SKX_SEND_CSCOV), the FIB (through dst.ts's route cache),
// the devices (MTU, flags, addresses), learned PMTUs (dst.ts), the sysctls. Sets: Udp/UdpLite/Udp6/UdpLite6
// OutDatagrams and SndbufErrors, Ip:OutRequests, OutNoRoutes and the fragment counters (FragOKs,
// FragCreates; Ip6 the same), the socket's TX counters.
// Next: neigh_output on the route's device for each frame (loopback for a local destination), in order;
// a broadcast's copy to ip_local_deliver.
// Frames: from the pool (a big frame for a datagram to loopback larger than a pool frame). All the frames
// of a datagram are built before the first is handed on, so a pool that runs dry sends nothing (ENOBUFS,
// SndbufErrors), as the kernel's ip_make_skb fails whole.
//
// The order of the checks is the kernel's, so one bad datagram gets the errno Linux gives it:
//   autobind (inet_send_prepare: EAGAIN) → payload over 65535 (IPv4: EMSGSIZE) → no address and not
//   connected (EDESTADDRREQ) → port 0 (EINVAL) → route (ENETUNREACH, EHOSTUNREACH, EACCES, EINVAL; IPv6:
//   EADDRNOTAVAIL first when no source fits) → broadcast without SO_BROADCAST (EACCES) → size against
//   IP_MAX_MTU or, with IP_PMTUDISC_DO / IPV6_DONTFRAG, the path MTU (EMSGSIZE) → frames (ENOBUFS).
//
// Fragments (RFC 791 / RFC 8200 4.5, sizes as the kernel's append_data): IPv4 carries
//   ((mtu - 20) & ~7) bytes of the UDP datagram per fragment but the last, all with one IP ID, MF on all but
//   the last, no DF; IPv6 ((mtu - 40) & ~7) - 8 bytes after a Fragment header, one identification.
// IP IDs: 0 for a datagram with DF from an unconnected socket with IP_PMTUDISC_DO/PROBE (the kernel's
// ip_select_ident_segs); otherwise a counter (the kernel hashes a secret, or counts per connected socket).
// IPv6 flow labels: auto flow labels (net.ipv6.auto_flowlabels 1) — a hash of the flow, 20 bits, the
// kernel's keyed with its own secret. The kernel's own choices that hash a secret are the fields a kernel
// comparison masks: IP ID (and so the header checksum), flow label, IPv6 fragment identification.
//
// Scratch (netScratch() + SCR_UDP_TX): +0 flow key (FL_SIZE) | +64 FIB result (FR_SIZE) | +128 next hop (16)
// | +144 source (16) | +160 destination (16).
// A pool frame's first 8 bytes (inside the xdp_frame area) link the frames of one datagram while they are
// built: +0 next frame | +4 the frame's length from its Ethernet header.
//
// A broadcast is looped back to the host as ip_mc_output does: whole, straight to local delivery on the
// output device (Ip:InReceives counted as ip_rcv would; the device's netdev ingress chains first, with the
// datagram's mark; with hooks registered through its own POST_ROUTING, those chains and PRE_ROUTING first:
// mcSend4); so is a multicast when the device is in the group for its source (udp_mcast.ts) and
// IP_MULTICAST_LOOP is on, and a TTL of 0 keeps it home. IPv6 multicast is looped frame by frame after
// fragmentation (ip6_finish_output2; with hooks registered the datagram passes them whole first: mcSend6).
// What leaves carries its skb->mark to the device's netdev egress chains (netfilter.ts nf_egress_mark). IP_MULTICAST_IF / IPV6_MULTICAST_IF
// name the device when the socket is bound to none, and IP_MULTICAST_IF's address the source.
// Known differences: a datagram larger than a pool frame (L3 REASM_FRAME_L3_MAX) to a device whose MTU is
// larger still (jumbo frames) goes out in fragments of a pool frame's size, DF or not; no corking (MSG_MORE, UDP_CORK), no UDP_SEGMENT, no sin6_scope_id (a link-local destination needs a bound
// device to be sure of its link); the socket's send buffer is never charged (frames leave at once).

import { mibInc, netDrop, netdevGet, netFree, netRoot, netScratch, sysctl } from './core';
import {
  AF_INET, AF_INET6, CONF6_HOP_LIMIT, FL_DPORT, FL_DST, FL_FAMILY, FL_IIF, FL_MARK, FL_OIF, FL_PROTO,
  FL_SCOPE, FL_SIZE, FL_SPORT, FL_SRC, FL_TOS, FR_FAMILY, FR_GW, FR_GW_FAMILY, FR_MTU, FR_OIF, FR_PREFSRC, FR_TYPE,
  IFF_LOOPBACK, IFF_UP, LOOPBACK_IFINDEX, MIB_IP6_FRAG_CREATES, MIB_IP6_FRAG_OKS, MIB_IP6_OUT_NO_ROUTES, MIB_IP6_IN_RECEIVES,
  MIB_IP6_OUT_REQUESTS, MIB_IP_FRAG_CREATES, MIB_IP_FRAG_OKS, MIB_IP_IN_RECEIVES, MIB_IP_OUT_DISCARDS, MIB_IP_OUT_NO_ROUTES, MIB_IP_OUT_REQUESTS, ND_CONF6,
  ND_FLAGS, ND_MTU, NDROP_NOMEM, NDROP_IP_INHDR, MIB_IP6_IN_HDR_ERRORS, ND_ADDR4, MIB_IP6_OUT_DISCARDS, RT_SCOPE_HOST, RT_SCOPE_LINK, RT_SCOPE_UNIVERSE, RTN_BROADCAST, RTN_LOCAL,
  RTN_MULTICAST, RTN_PROHIBIT, RTN_THROW, RTN_UNICAST, RTN_UNREACHABLE, SCR_UDP_TX, SK6F_DONTFRAG, SK_BOUND_DEV_IF, SK_DADDR, SK_DPORT, SK_FAMILY, SK_FLAGS,
  SK_FLAGS6, SK_MARK, SK_MC_TTL, SK_NUM, SK_PCFLAG, SK_PMTUDISC, SK_PROTOCOL, SK_SADDR,
  SK_STATE, SK_TOS, SK_TTL, SK_HOPS6, SK_TCLASS, SK_PMTUDISC6, SK_TX_BYTES, SK_TX_PACKETS, SKF_BROADCAST, SKF_IPV6ONLY, SKF_NO_CHECK_TX,
  SYSCTL_IP_DEFAULT_TTL, TCP_ESTABLISHED, UDP6_MIB_BASE, UDP_MIB_BASE, UDP_MIB_OUTDATAGRAMS, UDP_MIB_SNDBUFERRORS,
  UDPLITE6_MIB_BASE, UDPLITE_MIB_BASE, UDPLITE_SEND_CC, NF_GATE_PTR, NDROP_NETFILTER_DROP,
} from './abi';
import { fib4_local_dev, fib6_lookup_oif, fib6_select_path, fib_result_prefsrc } from './fib';
import { arpMcMap, neigh_output } from './neigh';
import { inet_select_addr, ipv6_dev_get_saddr, netdevLoopIif, netdevMac, putMac } from './netdev';
import { ip_local_deliver } from './local';
import {
  NF_INET_LOCAL_OUT, NF_INET_POST_ROUTING, NF_INET_PRE_ROUTING, NF_NETDEV_INGRESS, nf_ct_clone, nf_ct_mc_loop, nf_frag_geo, nf_hook_dropped, nf_hook_slow, nf_out_mark, nf_route_reroute, nf_skb_mark,
  nf_nat_reroute, nf_netdev_frame, nfNetdevList, nf_egress_mark, nf_netdev_carry, nf_netdev_carry_mark,
} from './netfilter';
import { ip_fragment_via } from './frag';
import { dst4_route, dst6_route, dst_pmtu } from './dst';
import { devMtu6, ip6_fragment_keep, ip6_fragment_out, nextIpId } from './output';
import { csumAdd, csumFinish, ipSendCheck } from './csum';
import {
  ETH_HLEN, ETH_P_IP, ETH_P_IPV6, IP_DF, IP_MF, IPPROTO_FRAGMENT, IPPROTO_UDPLITE, IPV6_HLEN, ipv4IsLbcast, ipv6Equal,
  ipv4IsLocalMulticast, ipv4IsLoopback, ipv4IsMulticast, ipv4IsZeronet, ipv6AddrType, ipv6Copy, ipv6IsAny, ipv6IsLoopback, ipv6IsV4Mapped,
  ipv6IsMulticast, ipv6McScope, ipv6NeedsScopeId, ldBe16, stBe16, IPV6_ADDR_LINKLOCAL, IPV6_ADDR_MULTICAST,
  stBe32,
} from './inet';
import { REASM_FRAME_L3_MAX } from './reasm';
import { sk_autobind, sockById, SKX_SEND_CSCOV, SKX_MCAST, SKX_RCV4, SKX_USERLOCKS, SOCK_BINDADDR_LOCK } from './sock';
import { mcAddr, mcDevAllow4, mcDevHas6, mcHops6, mcLoop, mcOif } from './udp_mcast';
import { mcJoined6 } from './ipv6_rcv';
import { ip6_local_deliver } from './local';
import { bigFrameAlloc, frameAlloc } from '../umem';
import { FRAME_SIZE, XDP_PACKET_HEADROOM } from '../abi';
import { copyBytes, fillBytes } from '../bytes';
import { EBADF, EPERM, EAGAIN, EACCES, EHOSTUNREACH, ENODEV, EINVAL, EDESTADDRREQ, EMSGSIZE, ENOBUFS, ENETUNREACH, EAFNOSUPPORT } from '../maps/uapi';

// errnos (positive; returned negated)

const UDP_HLEN: u32 = 8;
const IP_MAX_MTU: u32 = 0xffff;
const IP6_MAX_MTU: u32 = 0xffff + 40;
const IPV6_MAXPLEN: u32 = 0xffff;
const FRAG_HLEN: u32 = 8;
const IP_PMTUDISC_WANT: u32 = 1;
const IP_PMTUDISC_DO: u32 = 2;
const IP_PMTUDISC_PROBE: u32 = 3;
const IP_PMTUDISC_OMIT: u32 = 5;
export const INADDR_LOOPBACK: u32 = 0x0100007f; // 127.0.0.1 as stored
const INADDR_ALLHOSTS: u32 = 0x010000e0; // 224.0.0.1 as stored
const RTCF_BROADCAST: u32 = 0x10000000;
const RTCF_MULTICAST: u32 = 0x20000000;
const RTCF_LOCAL: u32 = 0x80000000;

@inline function FL(): u32 {
  return netScratch() + SCR_UDP_TX;
}
@inline function RES(): u32 {
  return netScratch() + SCR_UDP_TX + 64;
}
@inline function NH(): u32 {
  return netScratch() + SCR_UDP_TX + 128;
}
@inline function SRC(): u32 {
  return netScratch() + SCR_UDP_TX + 144;
}
@inline function DST(): u32 {
  return netScratch() + SCR_UDP_TX + 160;
}

// The route the last ip_route_output4 / route6 chose (per instance: one worker's).
let rtDev: u32 = 0; //   the device the frames leave on (loopback for a local destination)
let rtFlags: u32 = 0; // RTCF_*
let rtType: u32 = 0; //  RTN_*
let rtMtu: u32 = 0; //   the route's MTU before a learned PMTU: its mtu metric, else the device's
let nhFamily: u32 = 0; // the next hop at NH(): AF_INET, AF_INET6 (an IPv4 route through an IPv6 gateway)
let saddr4: u32 = 0;
let rtLoopIif: u32 = 0; // a local route's device for the sockets it reaches (netdevLoopIif), 0: lo

// ---- The socket's view ----

/** The source a send starts from: inet_saddr / np->saddr (sock.ts keeps it in SK_SADDR: bind, connect). */
@inline function sockSource(sk: u32): u32 {
  return sk + SK_SADDR;
}

/**
 * The IPv4 source of an IPv6 socket sending IPv4: its inet_saddr, which only __inet6_bind (the bound
 * address's IPv4 view: a.b.c.d for ::ffff:a.b.c.d, 127.0.0.6 for a native one) and a v4-mapped connect
 * (__ip4_datagram_connect's source, kept mapped in np->saddr) set. A native connect fills np->saddr from
 * the route (ip6_datagram_dst_update) and leaves inet_saddr 0: a later send to a v4-mapped peer takes
 * its source from the IPv4 route, as an unbound socket's does.
 */
function v4SourceOf6(sk: u32): u32 {
  const a = sockSource(sk);
  if (ipv6IsV4Mapped(a)) return load<u32>(a, 12);
  return (load<u8>(sk + SKX_USERLOCKS) & SOCK_BINDADDR_LOCK) != 0 ? load<u32>(sk + SKX_RCV4) : 0;
}

// ---- IPv4 route (ip_route_output_key_hash_rcu, __mkroute_output) ----

/** The mark a route is looked up with when not the socket's (-1): routeAgain's, the datagram's after LOCAL_OUT. */
let markFor: i64 = -1;

@inline function flowInit(family: u32, sk: u32, oif: u32, tos: u32, sport: u32, dport: u32): void {
  memory.fill(FL(), 0, FL_SIZE);
  store<u8>(FL(), <u8>family, FL_FAMILY);
  store<u8>(FL(), load<u8>(sk + SK_PROTOCOL), FL_PROTO);
  store<u8>(FL(), <u8>tos, FL_TOS);
  store<u8>(FL(), <u8>RT_SCOPE_UNIVERSE, FL_SCOPE);
  store<u32>(FL(), LOOPBACK_IFINDEX, FL_IIF);
  store<u32>(FL(), oif, FL_OIF);
  store<u32>(FL(), markFor >= 0 ? <u32>markFor : load<u32>(sk + SK_MARK), FL_MARK);
  store<u16>(FL(), bswap<u16>(<u16>sport), FL_SPORT);
  store<u16>(FL(), bswap<u16>(<u16>dport), FL_DPORT);
}

/** The route is the device `oif` itself, no gateway (an on-link or local route made without the FIB). */
@inline function routeDev(oif: u32, type: u32, daddr: u32): void {
  rtDev = oif;
  rtType = type;
  rtMtu = 0;
  nhFamily = AF_INET;
  store<u32>(NH(), daddr);
}

/**
 * The route of a UDP socket's datagram to `daddr`, as __ip4_datagram_connect and udp_sendmsg ask for it:
 * from the socket's source (inet_saddr) out of its bound device, for a multicast destination out of
 * IP_MULTICAST_IF's device from its address; a broadcast route needs SO_BROADCAST (-EACCES). 0 with the
 * route and its source (udpRouteSource4) set, or -errno (no route counted as Ip:OutNoRoutes).
 */
export function udpRoute4(sk: u32, daddr: u32, dport: u32, v6sk: bool): i32 {
  let saddr = v6sk ? v4SourceOf6(sk) : load<u32>(sockSource(sk));
  let oif = load<u32>(sk + SK_BOUND_DEV_IF);
  if (ipv4IsMulticast(daddr)) {
    // IP_MULTICAST_IF: its device unless the socket is bound to one, its address as the source
    const smc = load<u32>(sk + SKX_MCAST);
    if (oif == 0) oif = mcOif(smc, false);
    if (saddr == 0) saddr = mcAddr(smc);
  }
  const err = ipRouteOutput4(sk, daddr, saddr, oif, <u32>load<u8>(sk + SK_TOS), <u32>load<u16>(sk + SK_NUM), dport);
  if (err != 0) {
    if (err == -ENETUNREACH) mibInc(MIB_IP_OUT_NO_ROUTES);
    return err;
  }
  if ((rtFlags & RTCF_BROADCAST) != 0 && (<u32>load<u8>(sk + SK_FLAGS) & SKF_BROADCAST) == 0) return -EACCES;
  return 0;
}

/** The source udpRoute4's route chose (fl4->saddr). */
export function udpRouteSource4(): u32 {
  return saddr4;
}

/** The destination udpRoute4's route took for none (0.0.0.0: the source, else 127.0.0.1 — fl4->daddr). */
export function udpRouteDest4(): u32 {
  return load<u32>(NH());
}

/**
 * ip_route_output_flow for a UDP socket: the route to `daddr` from `saddr` (0: choose) out of `oif` (0:
 * any). 0 with rtDev, rtType, rtFlags, rtMtu, the next hop and saddr4 set, or -errno.
 */
function ipRouteOutput4(sk: u32, daddr: u32, saddr: u32, oif: u32, tos: u32, sport: u32, dport: u32): i32 {
  flowInit(AF_INET, sk, oif, tos & 0xfc, sport, dport);
  store<u32>(FL(), daddr, FL_DST);
  store<u32>(FL(), saddr, FL_SRC);
  rtFlags = 0;
  rtLoopIif = oif; // __mkroute_output: rt_iif = orig_oif (inet_iif of a datagram it loops back)
  let made = false;
  if (saddr != 0) {
    if (ipv4IsMulticast(saddr) || ipv4IsLbcast(saddr) || ipv4IsZeronet(saddr)) return -EINVAL;
    // a source that is not (or no longer) one of ours: __ip_dev_find fails
    const sdev = fib4_local_dev(saddr);
    if (sdev == 0) return -ENETUNREACH;
    // a multicast or limited-broadcast destination and no device: the source's, no FIB lookup
    if (oif == 0 && (ipv4IsMulticast(daddr) || ipv4IsLbcast(daddr))) {
      oif = sdev;
      store<u32>(FL(), oif, FL_OIF);
      routeDev(oif, RTN_UNICAST, daddr);
      made = true;
    }
  }
  if (!made && oif != 0) {
    const nd = netdevGet(oif);
    if (nd == 0) return -ENODEV;
    if ((load<u32>(nd + ND_FLAGS) & IFF_UP) == 0) return -ENETUNREACH;
    if (ipv4IsLocalMulticast(daddr) || ipv4IsLbcast(daddr)) {
      if (saddr == 0) saddr = inet_select_addr(oif, 0, RT_SCOPE_LINK);
      routeDev(oif, RTN_UNICAST, daddr);
      made = true;
    } else if (saddr == 0) {
      if (ipv4IsMulticast(daddr)) saddr = inet_select_addr(oif, 0, RT_SCOPE_UNIVERSE);
      else if (daddr == 0) saddr = inet_select_addr(oif, 0, RT_SCOPE_HOST);
    }
  }
  if (!made && daddr == 0) {
    // no destination: the host itself (the source, else 127.0.0.1)
    daddr = saddr;
    if (daddr == 0) daddr = saddr = INADDR_LOOPBACK;
    routeDev(LOOPBACK_IFINDEX, RTN_LOCAL, daddr);
    rtFlags |= RTCF_LOCAL;
    made = true;
  }
  if (!made) {
    store<u32>(FL(), saddr, FL_SRC);
    const err = dst4_route(FL(), RES()); // fib4_lookup through the per-destination cache
    if (err != 0) {
      if (oif == 0) return err;
      // "we are allowed to send to iface even if it has no routes": the destination is taken as on-link
      if (saddr == 0) saddr = inet_select_addr(oif, 0, RT_SCOPE_LINK);
      routeDev(oif, RTN_UNICAST, daddr);
    } else {
      const type = <u32>load<u8>(RES(), FR_TYPE);
      if (type == RTN_LOCAL) {
        if (saddr == 0) {
          const p = load<u32>(RES(), FR_PREFSRC);
          saddr = p != 0 ? p : daddr;
        }
        routeDev(LOOPBACK_IFINDEX, RTN_LOCAL, daddr);
        rtFlags |= RTCF_LOCAL;
        // "make sure orig_oif points to fib result device even though packet rx/tx happens over
        // loopback": rt_iif, the device a socket lookup then sees, is the local route's
        rtLoopIif = load<u32>(RES(), FR_OIF);
      } else {
        if (saddr == 0) saddr = fib_result_prefsrc(RES());
        rtDev = load<u32>(RES(), FR_OIF);
        rtType = type;
        rtMtu = load<u32>(RES(), FR_MTU);
        const gwf = <u32>load<u8>(RES(), FR_GW_FAMILY);
        if (gwf == AF_INET) {
          nhFamily = AF_INET;
          store<u32>(NH(), load<u32>(RES(), FR_GW));
        } else if (gwf == AF_INET6) {
          nhFamily = AF_INET6;
          ipv6Copy(NH(), RES() + FR_GW);
        } else {
          nhFamily = AF_INET;
          store<u32>(NH(), daddr);
        }
      }
    }
  }
  // __mkroute_output
  const dnd = netdevGet(rtDev);
  if (dnd == 0) return -ENODEV;
  if (ipv4IsLbcast(daddr)) rtType = RTN_BROADCAST;
  else if (ipv4IsMulticast(daddr)) rtType = RTN_MULTICAST;
  else if (ipv4IsZeronet(daddr)) return -EINVAL;
  if (ipv4IsLoopback(saddr) && (load<u32>(dnd + ND_FLAGS) & IFF_LOOPBACK) == 0) return -EINVAL;
  if ((load<u32>(dnd + ND_FLAGS) & IFF_LOOPBACK) != 0) rtFlags |= RTCF_LOCAL;
  if (rtType == RTN_BROADCAST) {
    rtFlags |= RTCF_BROADCAST | RTCF_LOCAL;
    nhFamily = AF_INET; // no next hop: the frame goes to the link's broadcast address
    store<u32>(NH(), daddr);
  } else if (rtType == RTN_MULTICAST) {
    rtFlags |= RTCF_MULTICAST;
    nhFamily = AF_INET;
    store<u32>(NH(), daddr);
  }
  saddr4 = saddr;
  return 0;
}

/** ipv4_mtu (with `probe`: the device's MTU, IP_PMTUDISC_PROBE ignores what was learned). */
function mtu4(daddr: u32, probe: bool): u32 {
  const nd = netdevGet(rtDev);
  const dev = load<u32>(nd + ND_MTU);
  if (probe) return dev;
  let m = rtMtu != 0 ? rtMtu : dev;
  if (rtType != RTN_LOCAL) {
    store<u32>(DST(), daddr);
    const p = dst_pmtu(AF_INET, DST());
    if (p != 0 && p < m) m = p;
  }
  return m < IP_MAX_MTU ? m : IP_MAX_MTU;
}

// ---- Building ----

/**
 * A frame for `l3` bytes of a datagram (a big frame when it must go whole and a pool frame cannot hold
 * it): the address of its L3 header, 0 when none is left. Linked after `prev` (its L3 address; 0: first).
 */
function frameFor(l3: u32, prev: u32): u32 {
  const f = l3 <= REASM_FRAME_L3_MAX ? frameAlloc() : bigFrameAlloc();
  if (f == 0) return 0;
  const base = f & ~(FRAME_SIZE - 1);
  store<u32>(base, 0);
  store<u32>(base + 4, ETH_HLEN + l3);
  if (prev != 0) store<u32>((prev - ETH_HLEN - XDP_PACKET_HEADROOM) & ~(FRAME_SIZE - 1), base);
  return base + XDP_PACKET_HEADROOM + ETH_HLEN;
}

@inline function frameNext(ip: u32): u32 {
  const n = load<u32>((ip - ETH_HLEN - XDP_PACKET_HEADROOM) & ~(FRAME_SIZE - 1));
  return n == 0 ? 0 : n + XDP_PACKET_HEADROOM + ETH_HLEN;
}

@inline function frameLen(ip: u32): u32 {
  return load<u32>(((ip - ETH_HLEN - XDP_PACKET_HEADROOM) & ~(FRAME_SIZE - 1)) + 4);
}

/** Give back every frame of a chain that was never handed on. */
function chainFree(first: u32): void {
  let ip = first;
  while (ip != 0) {
    const next = frameNext(ip);
    netFree(0, ip);
    ip = next;
  }
}

/**
 * The UDP checksum over the 8-byte header at `uh` (checksum field 0) and `cov` bytes of the payload at
 * `buf` (cov ≤ len), with the pseudo-header sum `ph`: the field's value as stored (0 computed → 0xffff,
 * RFC 768; CSUM_MANGLED_0).
 */
function udpCheck(uh: u32, buf: u32, cov: u32, ph: u64): u16 {
  let s = csumAdd(uh, UDP_HLEN, ph);
  if (cov != 0) s = csumAdd(buf, cov, s);
  const c = csumFinish(s);
  return <u16>(c == 0 ? 0xffff : c);
}

/**
 * The UDP (or UDP-Lite) header at `uh` for `ulen` bytes from `sport` to `dport`, its checksum over the
 * payload at `buf` with the pseudo-header sum `ph` (without its length word, added here). `nocheck`:
 * SO_NO_CHECK (IPv4 only: the field stays 0). UDP-Lite (udplite_csum): with UDPLITE_SEND_CSCOV below the
 * datagram's length, the length field holds the coverage (0: all) and the checksum covers that much.
 */
function udpHeader(sk: u32, uh: u32, buf: u32, len: u32, sport: u32, dport: u32, ph: u64, nocheck: bool): void {
  const ulen = len + UDP_HLEN;
  stBe16(uh, sport);
  stBe16(uh + 2, dport);
  stBe16(uh + 4, ulen);
  store<u16>(uh + 6, 0);
  let cov = ulen;
  if (<u32>load<u8>(sk + SK_PROTOCOL) == IPPROTO_UDPLITE) {
    // UDPLITE_SEND_CC: the option was set (a coverage other than 0 says so by itself)
    const pcslen = <u32>load<u16>(sk + SKX_SEND_CSCOV);
    const cc = (<u32>load<u8>(sk + SK_PCFLAG) & UDPLITE_SEND_CC) != 0 || pcslen != 0;
    if (cc && pcslen < ulen) {
      if (pcslen > 0) cov = pcslen;
      stBe16(uh + 4, pcslen);
    }
  } else if (nocheck) {
    return;
  }
  // the pseudo-header's length is the datagram's, whatever the coverage
  const s = ph + <u64>bswap<u32>(ulen);
  store<u16>(uh + 6, udpCheck(uh, buf, cov - UDP_HLEN, s));
}

@inline function mibBase(sk: u32, v6: bool): u32 {
  const lite = <u32>load<u8>(sk + SK_PROTOCOL) == IPPROTO_UDPLITE;
  return v6 ? (lite ? UDPLITE6_MIB_BASE : UDP6_MIB_BASE) : lite ? UDPLITE_MIB_BASE : UDP_MIB_BASE;
}

@inline function nobufs(sk: u32, v6: bool, first: u32): i32 {
  chainFree(first);
  netDrop(NDROP_NOMEM);
  mibInc(mibBase(sk, v6) + UDP_MIB_SNDBUFERRORS);
  return -ENOBUFS;
}

/**
 * Every frame of the chain from `first` to the neighbour stage on rtDev, its Ethernet type set. A unicast or local
 * datagram in one frame passes netfilter's LOCAL_OUT and POST_ROUTING on the way (ip_send_skb → ip_local_out →
 * ip_output: conntrack, NAT, the output and postrouting chains), so that a datagram sent to this host keeps the
 * conntrack they gave it across lo (netfilter.ts nf_ct_loop); one larger than the path MTU comes here whole while
 * hooks are registered (udpSend4 / udpSend6: the kernel's hooks see the datagram before ip_fragment / ip6_fragment
 * cut it) and is cut after POST_ROUTING (hookedSend); an IPv4 broadcast or multicast goes by mcSend4, an IPv6 multicast
 * by mcSend6 (whole too: cut after POST_ROUTING).
 */
function chainSend(first: u32, type: u32): i32 {
  let ip = first;
  const lo = rtDev == LOOPBACK_IFINDEX;
  const gate = load<u32>(NF_GATE_PTR);
  if (gate != 0 && frameNext(first) == 0 && (rtType == RTN_UNICAST || rtType == RTN_LOCAL)) return hookedSend(gate, first, type);
  if (lo) netdevLoopIif(rtLoopIif);
  // no hook ran: skb->mark is the socket's (the device's egress chains see it)
  const mark = load<u32>(txSk + SK_MARK);
  while (ip != 0) {
    const next = frameNext(ip);
    const len = frameLen(ip);
    stBe16(ip - 2, type);
    nf_egress_mark(ip, mark);
    neigh_output(nhFamily, rtDev, NH(), 0, ip - ETH_HLEN, len);
    ip = next;
  }
  if (lo) netdevLoopIif(0);
  return 0;
}

// The socket whose datagram hookedSend hands on, and whether its MTU is the device's (IP_PMTUDISC_PROBE).
let txSk: u32 = 0;
let txProbe = false;

/**
 * A fresh datagram entering LOCAL_OUT: no fragment geometry of a reassembled one that held this buffer before
 * (ip_fragment's fast path), and the socket's SO_MARK as its skb->mark.
 */
function localOutStart(first: u32, l3: u32): void {
  const g = nf_frag_geo(first, l3);
  if (g != 0) store<u32>(g, 0);
  nf_out_mark(first, load<u32>(txSk + SK_MARK));
}

/**
 * ip_local_out → ip_output → ip_finish_output (ip6_local_out → ip6_output → ip6_finish_output) for the datagram
 * in the one frame at `first`: LOCAL_OUT; a `type route` chain that changed its mark (nf_route_table_hook4/6) or
 * a conntrack whose destination output NAT changed routes it again
 * (nf_nat_ipv4_local_fn → ip_route_me_harder, nf_nat_ipv6_local_fn → ip6_route_me_harder: the new route's
 * device, next hop and MTU, lo for a local destination; no route drops it); POST_ROUTING on the route's device;
 * then whole, or over the route's MTU cut in fragments (ip_fragment / ip6_fragment, which count FragOKs and
 * FragCreates).
 */
function hookedSend(gate: u32, first: u32, type: u32): i32 {
  const pfi: u32 = type == ETH_P_IP ? 0 : 1;
  const l3 = frameLen(first) - ETH_HLEN;
  let lo = rtDev == LOOPBACK_IFINDEX;
  if (lo) netdevLoopIif(rtLoopIif);
  localOutStart(first, l3);
  if (!nf_hook_slow(gate, pfi, NF_INET_LOCAL_OUT, 0, rtDev, 0, first, l3)) {
    if (lo) netdevLoopIif(0);
    return nf_hook_dropped() ? -EPERM : 0;
  }
  if (nf_route_reroute(first) || nf_nat_reroute(pfi, first, l3)) {
    if (lo) netdevLoopIif(0);
    const err = routeAgain(pfi, first, l3);
    if (err != 0) {
      // NF_DROP_ERR(ip_route_me_harder's error): the sender gets it
      netFree(0, first);
      netDrop(NDROP_NETFILTER_DROP);
      return err;
    }
    lo = rtDev == LOOPBACK_IFINDEX;
    if (lo) netdevLoopIif(rtLoopIif);
  }
  let err: i32 = 0;
  if (!nf_hook_slow(gate, pfi, NF_INET_POST_ROUTING, 0, rtDev, 0, first, l3)) {
    if (nf_hook_dropped()) err = -EPERM;
  } else {
    stBe16(first - 2, type);
    const mtu = pfi == 0 ? mtu4(load<u32>(first, 16), txProbe) : mtu6(txProbe);
    // a pool frame bounds a fragment (and what a ring device takes whole): the known difference of the header
    if (l3 > mtu || (l3 > REASM_FRAME_L3_MAX && !lo)) {
      if (pfi == 0) ip_fragment_via(nhFamily, rtDev, NH(), mtu, 0, first, l3);
      else {
        store<u32>(RES(), rtDev, FR_OIF);
        ip6_fragment_out(RES(), NH(), mtu < REASM_FRAME_L3_MAX ? mtu : REASM_FRAME_L3_MAX, first, l3);
      }
    } else {
      neigh_output(nhFamily, rtDev, NH(), 0, first - ETH_HLEN, l3 + ETH_HLEN);
    }
  }
  if (lo) netdevLoopIif(0);
  return err;
}

/**
 * ip_route_me_harder / ip6_route_me_harder for txSk's datagram at `ip` (`l3` bytes) after NAT changed its
 * destination or a `type route` chain its mark: the route from its source to its destination (the socket's bound
 * device; IPv6 a multicast or link-local destination on the old route's device), its mark (skb->mark as LOCAL_OUT
 * left it), TOS / flow label and ports. true with rtDev, rtType, the next
 * hop and the MTU set; false when there is no route.
 */
function routeAgain(pfi: u32, ip: u32, l3: u32): i32 {
  markFor = nf_skb_mark(ip, l3);
  const err = routeAgainMarked(pfi, ip);
  markFor = -1;
  return err;
}
function routeAgainMarked(pfi: u32, ip: u32): i32 {
  const sk = txSk;
  const bound = load<u32>(sk + SK_BOUND_DEV_IF);
  if (pfi == 0) {
    const uh = ip + ((<u32>load<u8>(ip) & 15) << 2);
    // (ip_route_me_harder counts no OutNoRoutes: udp_sendmsg's own lookup does)
    return ipRouteOutput4(sk, load<u32>(ip, 16), load<u32>(ip, 12), bound, <u32>load<u8>(ip, 1),
      <u32>bswap<u16>(load<u16>(uh)), <u32>bswap<u16>(load<u16>(uh, 2)));
  }
  ipv6Copy(DST(), ip + 24);
  ipv6Copy(SRC(), ip + 8);
  const strict = (ipv6AddrType(DST()) & (IPV6_ADDR_MULTICAST | IPV6_ADDR_LINKLOCAL)) != 0;
  const oif = bound != 0 ? bound : strict ? rtDev : 0;
  const uh = ip + IPV6_HLEN;
  const tclass = (<u32>bswap<u16>(load<u16>(ip)) >> 4) & 0xff;
  return route6(sk, oif, tclass, <u32>bswap<u16>(load<u16>(uh)), <u32>bswap<u16>(load<u16>(uh, 2)));
}

/**
 * ip_send_skb / ip6_send_skb when ip_local_out said `err` (the hooks' NF_DROP: -EPERM; a failed re-route: its
 * error): Ip:OutDiscards, no UdpOutDatagrams, the error to udp_sendmsg's caller.
 */
function sendDiscard(v6: bool, err: i32): i32 {
  mibInc(v6 ? MIB_IP6_OUT_DISCARDS : MIB_IP_OUT_DISCARDS);
  return err;
}

@inline function sent(sk: u32, v6: bool, len: u32): void {
  mibInc(mibBase(sk, v6) + UDP_MIB_OUTDATAGRAMS);
  store<u64>(sk + SK_TX_PACKETS, load<u64>(sk + SK_TX_PACKETS) + 1);
  store<u64>(sk + SK_TX_BYTES, load<u64>(sk + SK_TX_BYTES) + <u64>len);
}

// ---- IPv4 ----

/**
 * udp_sendmsg: `len` bytes at `buf` to `daddr` (network-order u32; `given` false: the connected peer)
 * port `dport`. `v6sk`: an IPv6 socket sending IPv4 (its addresses are v4-mapped).
 */
function udpSend4(sk: u32, buf: u32, len: u32, given: bool, daddr: u32, dport: u32, v6sk: bool): i32 {
  if (len > 0xffff) return -EMSGSIZE;
  let connected = false;
  if (given) {
    if (dport == 0) return -EINVAL;
  } else {
    if (<u32>load<u8>(sk + SK_STATE) != TCP_ESTABLISHED) return -EDESTADDRREQ;
    daddr = v6sk ? load<u32>(sk + SK_DADDR, 12) : load<u32>(sk + SK_DADDR);
    dport = <u32>load<u16>(sk + SK_DPORT);
    connected = true;
  }
  if (ipv4IsMulticast(daddr)) connected = false;
  const tos = <u32>load<u8>(sk + SK_TOS);
  const sport = <u32>load<u16>(sk + SK_NUM);
  const smc = load<u32>(sk + SKX_MCAST);
  const err = udpRoute4(sk, daddr, dport, v6sk);
  if (err != 0) return err;
  const saddr = saddr4;
  if (daddr == 0) daddr = load<u32>(NH()); // the host itself (ipc.addr = fl4->daddr)

  // __ip_append_data: the size limits, then the fragment size
  const pmtudisc = <u32>load<u8>(sk + SK_PMTUDISC);
  const ignoreDf = pmtudisc < IP_PMTUDISC_DO || pmtudisc == IP_PMTUDISC_OMIT;
  const mtu = mtu4(daddr, pmtudisc >= IP_PMTUDISC_PROBE);
  const ulen = len + UDP_HLEN;
  const maxnonfrag = ignoreDf ? IP_MAX_MTU : mtu;
  if (ulen > maxnonfrag - 20) return -EMSGSIZE;
  const total = ulen + 20;
  // __ip_make_skb: DF with DO / PROBE, or when it fits and the socket wants PMTU discovery
  const df = pmtudisc == IP_PMTUDISC_DO || pmtudisc == IP_PMTUDISC_PROBE || (total <= mtu && pmtudisc == IP_PMTUDISC_WANT);
  // __ip_make_skb: a multicast route takes IP_MULTICAST_TTL whatever IP_TTL says
  let ttl = rtType == RTN_MULTICAST ? <u32>load<u8>(sk + SK_MC_TTL) : <u32>load<u8>(sk + SK_TTL);
  if (ttl == 0 && rtType != RTN_MULTICAST) ttl = sysctl(SYSCTL_IP_DEFAULT_TTL);
  // ip_select_ident_segs: a connected socket counts its own; DF that must hold → 0; else a hashed one
  const id: u32 = !connected && df && !ignoreDf ? 0 : nextIpId();
  const loop = (<u32>load<u32>(netdevGet(rtDev) + ND_FLAGS) & IFF_LOOPBACK) != 0;
  // a pool frame bounds what one frame carries, but loopback takes the datagram whole (a big frame)
  const fragMtu = total <= mtu && loop ? total : mtu < REASM_FRAME_L3_MAX ? mtu : REASM_FRAME_L3_MAX;
  const ph = <u64>saddr + <u64>daddr + <u64>bswap<u32>(<u32>load<u8>(sk + SK_PROTOCOL));
  const nocheck = (<u32>load<u8>(sk + SK_FLAGS) & SKF_NO_CHECK_TX) != 0;

  // The frames: every fragment but the last carries maxfrag - 20 bytes of the UDP datagram.
  const cutAt = total <= fragMtu ? total : ((fragMtu - 20) & ~7) + 20;
  if (cutAt <= 20) return -EMSGSIZE; // an MTU with no room for 8 bytes beside the header
  // with hooks registered a unicast or local datagram is built whole, cut after POST_ROUTING (hookedSend): a big
  // frame (none left: ENOBUFS; never cut here, past the hooks — an output drop rule must see it); also one a jumbo
  // MTU would carry whole but a pool frame cannot (the hooks see it whole, ip_fragment cuts it at a frame), and one
  // through an IPv6 gateway (RFC 5549: its fragments go to that neighbour)
  const gate = load<u32>(NF_GATE_PTR);
  const hooked = gate != 0 && (rtType == RTN_UNICAST || rtType == RTN_LOCAL || rtType == RTN_BROADCAST || rtType == RTN_MULTICAST);
  let maxfrag = cutAt < total && hooked ? total : cutAt;
  txSk = sk;
  txProbe = pmtudisc >= IP_PMTUDISC_PROBE;
  let first: u32 = 0;
  let prev: u32 = 0;
  let off: u32 = 0; // bytes of the UDP datagram (header included) placed so far
  while (off < ulen) {
    const left = ulen - off;
    const chunk = left + 20 <= maxfrag ? left : maxfrag - 20;
    const ip = frameFor(20 + chunk, prev);
    // (no big frame left for a datagram the hooks must see whole: ENOBUFS, never cut past them)
    if (ip == 0) return nobufs(sk, false, first);
    if (first == 0) first = ip;
    prev = ip;
    store<u8>(ip, 0x45);
    store<u8>(ip, <u8>tos, 1);
    stBe16(ip + 2, 20 + chunk);
    store<u16>(ip, <u16>id, 4);
    stBe16(ip + 6, (df ? IP_DF : 0) | (off + chunk < ulen ? IP_MF : 0) | (off >> 3));
    store<u8>(ip, <u8>ttl, 8);
    store<u8>(ip, load<u8>(sk + SK_PROTOCOL), 9);
    store<u16>(ip, 0, 10);
    store<u32>(ip, saddr, 12);
    store<u32>(ip, daddr, 16);
    store<u16>(ip + 10, csumFinish(csumAdd(ip, 20, 0)));
    if (off == 0) copyBytes(ip + 20 + UDP_HLEN, buf, chunk - UDP_HLEN);
    else copyBytes(ip + 20, buf + off - UDP_HLEN, chunk);
    off += chunk;
  }
  udpHeader(sk, first + 20, buf, len, sport, dport, ph, nocheck);
  mibInc(MIB_IP_OUT_REQUESTS);
  const frags = frameNext(first) != 0;
  // ip_mc_output: a broadcast also goes up to this host's own sockets, whole (the clone is taken before
  // fragmentation); built before the frames are handed on, which may give them back
  // a multicast: when the device is in the group for this source (__mkroute_output's RTCF_LOCAL) and
  // IP_MULTICAST_LOOP is on. A TTL of 0 never leaves the host only where the route's output is ip_mc_output:
  // RTCF_LOCAL on a device other than loopback; otherwise (no member here) ip_output sends it with TTL 0
  const mcLocal = rtType == RTN_MULTICAST && !loop &&
    (mcDevAllow4(rtDev, daddr, saddr, <u32>load<u8>(sk + SK_PROTOCOL)) || (daddr == INADDR_ALLHOSTS && devHas4(rtDev)));
  // sk_mc_loop goes by the socket's family: an IPv6 socket's v4-mapped multicast loops by IPV6_MULTICAST_LOOP, its
  // IP_MULTICAST_LOOP never read (udp fuzz 2448)
  const mloop = mcLocal && mcLoop(smc, <u32>load<u8>(sk + SK_FAMILY) == AF_INET6);
  const ttl0 = mcLocal && ttl == 0;
  const wantCopy = ((rtFlags & RTCF_BROADCAST) != 0 && !loop) || mloop;
  if (hooked && !frags && (rtType == RTN_BROADCAST || rtType == RTN_MULTICAST)) {
    const err = mcSend4(gate, first, wantCopy, mloop, daddr, ttl0);
    if (err != 0) return sendDiscard(false, err);
    sent(sk, false, len);
    return <i32>len;
  }
  const lc = wantCopy ? loopCopy4(first, buf, len) : 0;
  if (ttl0) chainFree(first);
  else {
    const err = chainSend(first, ETH_P_IP);
    // a datagram the hooks dropped (or failed to route again) is an error to its sender (no copy was made: a
    // unicast or local one)
    if (err != 0) return sendDiscard(false, err);
  }
  if (frags) {
    // ip_do_fragment: each fragment counted as it is handed on, then the datagram
    for (let p: u32 = 0; p < ulen; p += maxfrag - 20) mibInc(MIB_IP_FRAG_CREATES);
    mibInc(MIB_IP_FRAG_OKS);
  }
  sent(sk, false, len);
  if (lc != 0) {
    if (mloop) {
      // the group's MAC (RFC 1112 6.4) as the looped frame's destination
      arpMcMap(daddr, lc - ETH_HLEN);
    }
    // dev_loopback_xmit → netif_rx on the output device: its netdev ingress chains (the socket's mark: no hook ran),
    // then ip_rcv, the output route kept: straight to local delivery
    if (!loopIngress(lc, UDP_HLEN + len + 20)) return <i32>len;
    mibInc(MIB_IP_IN_RECEIVES);
    ip_local_deliver(rtDev, 0, lc, UDP_HLEN + len + 20, mloop ? RTCF_MULTICAST | RTCF_LOCAL : RTCF_BROADCAST | RTCF_LOCAL, false);
  }
  return <i32>len;
}

/**
 * ip_local_out → ip_mc_output for a broadcast or multicast datagram in the one frame at `first` while hooks are
 * registered: LOCAL_OUT; the copy for this host (`copy`: a broadcast, or a multicast the host's device is in the
 * group for, `mloop`) cloned after it — conntrack and all (nf_ct_clone) — through its own POST_ROUTING
 * (ip_mc_finish_output); a multicast with TTL 0 goes no further (`ttl0`: the route's RTCF_LOCAL), else the datagram through POST_ROUTING and out
 * (cut over the MTU: ip_fragment); then the copy comes back up on the output device as dev_loopback_xmit →
 * netif_rx brings it: that device's netdev ingress chains, ip_rcv (InReceives), PRE_ROUTING with its conntrack
 * kept (nf_ct_mc_loop), the route kept (no input route: local delivery, LOCAL_IN).
 */
function mcSend4(gate: u32, first: u32, copy: bool, mloop: bool, daddr: u32, ttl0: bool): i32 {
  const l3 = frameLen(first) - ETH_HLEN;
  localOutStart(first, l3);
  if (!nf_hook_slow(gate, 0, NF_INET_LOCAL_OUT, 0, rtDev, 0, first, l3)) return nf_hook_dropped() ? -EPERM : 0;
  let lc: u32 = 0;
  if (copy) {
    lc = frameFor(l3, 0);
    if (lc == 0) netDrop(NDROP_NOMEM); // a failed skb_clone loses the copy
    else {
      copyBytes(lc, first, l3);
      // the Ethernet header as the link would carry it: to the broadcast address (a group's MAC, RFC 1112 6.4)
      // from the device's own
      memory.fill(lc - ETH_HLEN, 0xff, 6);
      putMac(lc - ETH_HLEN + 6, netdevMac(netdevGet(rtDev)));
      stBe16(lc - 2, ETH_P_IP);
      if (mloop) arpMcMap(daddr, lc - ETH_HLEN);
      nf_ct_clone(first, l3, lc, l3);
      if (!nf_hook_slow(gate, 0, NF_INET_POST_ROUTING, 0, rtDev, 0, lc, l3)) lc = 0;
    }
  }
  // what the sender is told: the datagram's own POST_ROUTING (NF_HOOK_COND's -EPERM on a drop), not the copy's
  let err: i32 = 0;
  if (ttl0) {
    netFree(0, first); // ip_mc_output: "Multicasts with ttl 0 must not go beyond the host"
  } else if (nf_hook_slow(gate, 0, NF_INET_POST_ROUTING, 0, rtDev, 0, first, l3)) {
    stBe16(first - 2, ETH_P_IP);
    const mtu = mtu4(daddr, txProbe);
    if (l3 > mtu || l3 > REASM_FRAME_L3_MAX) ip_fragment_via(nhFamily, rtDev, NH(), mtu, 0, first, l3);
    else neigh_output(nhFamily, rtDev, NH(), 0, first - ETH_HLEN, l3 + ETH_HLEN);
  } else if (nf_hook_dropped()) {
    err = -EPERM;
  }
  if (lc == 0) return err;
  const nd = netdevGet(rtDev);
  const ing = nd != 0 ? nfNetdevList(nd, NF_NETDEV_INGRESS) : 0;
  // (the clone keeps its mark into the ingress chains and on: nf_netdev_carry)
  nf_netdev_carry(lc);
  if (ing != 0 && !nf_netdev_frame(ing, NF_NETDEV_INGRESS, rtDev, 0, lc - ETH_HLEN, l3 + ETH_HLEN)) return err;
  mibInc(MIB_IP_IN_RECEIVES);
  nf_ct_mc_loop(lc, l3);
  if (nf_hook_slow(gate, 0, NF_INET_PRE_ROUTING, rtDev, 0, 0, lc, l3)) {
    ip_local_deliver(rtDev, 0, lc, l3, mloop ? RTCF_MULTICAST | RTCF_LOCAL : RTCF_BROADCAST | RTCF_LOCAL, false);
  }
  return err;
}

/**
 * ip6_local_out → ip6_output → ip6_finish_output2 for an IPv6 multicast datagram (whole, in the one frame at `first`)
 * while hooks are registered: LOCAL_OUT, POST_ROUTING on the route's device; over the MTU then cut (ip6_fragment,
 * each fragment with the datagram's conntrack and mark: ip6_copy_metadata); then for each frame that leaves — the
 * datagram or each fragment — ip6_finish_output2: the copy for this host (`copy`: the device is in the group for this
 * source, IPV6_MULTICAST_LOOP on) cloned — conntrack and mark (nf_ct_clone) — through a POST_ROUTING run of its own
 * (NF_HOOK → dev_loopback_xmit), and the frame out, or kept home: with a copy taken and hop limit 0 discarded
 * (Ip6:OutDiscards, each fragment), else at interface-local scope (`nodeLocal`) freed without a counter; then each copy
 * back up on the output device as netif_rx brings it: that device's netdev ingress chains (the clone's mark kept:
 * nf_netdev_carry), ipv6_rcv (InReceives; a loopback source dropped there), PRE_ROUTING with its conntrack and mark
 * kept (nf_ct_mc_loop: a fragment's conntrack lets ipv6_defrag pass it by, ipv6_frag_rcv reassembles it after
 * LOCAL_IN), local delivery. Unlike ip_mc_output the copies are taken after the datagram's POST_ROUTING, so that hook
 * sees it and then each copy.
 */
function mcSend6(gate: u32, first: u32, copy: bool, hop0: bool, nodeLocal: bool): i32 {
  const l3 = frameLen(first) - ETH_HLEN;
  localOutStart(first, l3);
  if (!nf_hook_slow(gate, 1, NF_INET_LOCAL_OUT, 0, rtDev, 0, first, l3)) return nf_hook_dropped() ? -EPERM : 0;
  if (!nf_hook_slow(gate, 1, NF_INET_POST_ROUTING, 0, rtDev, 0, first, l3)) return nf_hook_dropped() ? -EPERM : 0;
  stBe16(first - 2, ETH_P_IPV6);
  const mtu = mtu6(txProbe);
  let n: u32 = 1;
  if (l3 > mtu || l3 > REASM_FRAME_L3_MAX) {
    store<u32>(RES(), rtDev, FR_OIF);
    n = ip6_fragment_keep(RES(), mtu < REASM_FRAME_L3_MAX ? mtu : REASM_FRAME_L3_MAX, first, l3, mcFrags, MC_FRAGS_MAX);
  } else {
    store<u32>(mcFrags, first);
    store<u32>(mcFrags, l3, 4);
  }
  const mac = netdevMac(netdevGet(rtDev));
  let nc: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const f = load<u32>(mcFrags + (i << 3));
    const fl = load<u32>(mcFrags + (i << 3), 4);
    if (copy) {
      const lc = frameFor(fl, 0);
      if (lc == 0) netDrop(NDROP_NOMEM); // a failed skb_clone loses the copy
      else {
        copyBytes(lc, f, fl);
        // the Ethernet header as the link would carry it: to the group's MAC (33:33 and its last 32 bits, RFC 2464 7)
        // from the device's own
        store<u16>(lc - ETH_HLEN, 0x3333);
        store<u32>(lc - ETH_HLEN + 2, load<u32>(lc + 36));
        putMac(lc - ETH_HLEN + 6, mac);
        stBe16(lc - 2, ETH_P_IPV6);
        nf_ct_clone(f, fl, lc, fl);
        if (nf_hook_slow(gate, 1, NF_INET_POST_ROUTING, 0, rtDev, 0, lc, fl)) {
          store<u32>(mcCopies + (nc << 3), lc);
          store<u32>(mcCopies + (nc << 3), fl, 4);
          nc++;
        }
      }
    }
    // ip6_finish_output2: the hop-limit-0 discard sits in the loop-back branch (only when a copy is taken);
    // a hop-limit-0 datagram no copy was taken of leaves on the wire
    if (copy && hop0) {
      mibInc(MIB_IP6_OUT_DISCARDS);
      netFree(0, f);
    } else if (nodeLocal) {
      netFree(0, f); // IPV6_ADDR_SCOPE_NODELOCAL: out of no device, no counter
    } else {
      // skb->mark at the device's egress chains: the datagram's (a fragment's copied from it), not the copy's run's
      nf_egress_mark(f, nf_skb_mark(f, fl));
      neigh_output(nhFamily, rtDev, NH(), 0, f - ETH_HLEN, fl + ETH_HLEN);
    }
  }
  const nd = netdevGet(rtDev);
  for (let i: u32 = 0; i < nc; i++) {
    const lc = load<u32>(mcCopies + (i << 3));
    const fl = load<u32>(mcCopies + (i << 3), 4);
    const ing = nd != 0 ? nfNetdevList(nd, NF_NETDEV_INGRESS) : 0;
    nf_netdev_carry(lc);
    if (ing != 0 && !nf_netdev_frame(ing, NF_NETDEV_INGRESS, rtDev, 0, lc - ETH_HLEN, fl + ETH_HLEN)) continue;
    mibInc(MIB_IP6_IN_RECEIVES);
    if (ipv6IsLoopback(lc + 8)) {
      // ip6_rcv_core: a loopback source on any device but lo (RFC 4291 2.5.3)
      mibInc(MIB_IP6_IN_HDR_ERRORS);
      netFree(0, lc);
      netDrop(NDROP_IP_INHDR);
      continue;
    }
    nf_ct_mc_loop(lc, fl);
    if (nf_hook_slow(gate, 1, NF_INET_PRE_ROUTING, rtDev, 0, 0, lc, fl)) ip6_local_deliver(rtDev, 0, lc, fl, 6, IPV6_HLEN, false, false);
  }
  return 0;
}
// mcSend6's frames (the datagram, or its fragments) and their copies: (u32 L3 address, u32 L3 length) each; a
// datagram of 64 KiB at the IPv6 minimum MTU is 54 fragments
const MC_FRAGS_MAX: u32 = 64;
const mcFrags: u32 = <u32>memory.data(<i32>MC_FRAGS_MAX * 8, 8);
const mcCopies: u32 = <u32>memory.data(<i32>MC_FRAGS_MAX * 8, 8);

/**
 * A looped-back copy (`l3` bytes at `lc`) sent while no inet hook is registered through its output device's netdev
 * ingress chains, starting at the socket's mark (nf_netdev_carry_mark). false: dropped or stolen there.
 */
function loopIngress(lc: u32, l3: u32): bool {
  const nd = netdevGet(rtDev);
  const ing = nd != 0 ? nfNetdevList(nd, NF_NETDEV_INGRESS) : 0;
  if (ing == 0) return true;
  nf_netdev_carry_mark(lc, load<u32>(txSk + SK_MARK));
  return nf_netdev_frame(ing, NF_NETDEV_INGRESS, rtDev, 0, lc - ETH_HLEN, l3 + ETH_HLEN);
}

/** The device has an IPv4 address (so it is in 224.0.0.1, ip_mc_up). */
function devHas4(ifindex: u32): bool {
  const l = load<u32>(netdevGet(ifindex) + ND_ADDR4);
  return l != 0 && load<u32>(l) != 0;
}

/**
 * The datagram whose first frame (or only one) is `first` as one frame for local delivery: its IP header
 * with the whole length and no fragment fields, the UDP header, the payload from `buf`. 0 when no frame
 * is left (the copy is lost, as a failed skb_clone loses it).
 */
function loopCopy4(first: u32, buf: u32, len: u32): u32 {
  const total = 20 + UDP_HLEN + len;
  const ip = frameFor(total, 0);
  if (ip == 0) {
    netDrop(NDROP_NOMEM);
    return 0;
  }
  // the Ethernet header as the link would carry it: to the broadcast address from the device's own
  memory.fill(ip - ETH_HLEN, 0xff, 6);
  putMac(ip - ETH_HLEN + 6, netdevMac(netdevGet(rtDev)));
  stBe16(ip - 2, ETH_P_IP);
  copyBytes(ip, first, 20 + UDP_HLEN);
  stBe16(ip + 2, total);
  stBe16(ip + 6, ldBe16(ip + 6) & IP_DF);
  ipSendCheck(ip, 20);
  copyBytes(ip + 20 + UDP_HLEN, buf, len);
  return ip;
}

// ---- IPv6 ----

// The looped copies of a multicast send (ids of their frames), handed to local delivery after the send.
const loop6 = new StaticArray<u32>(64);
let nloop6: i32 = 0;

// Fragment identifications and the flow-label hash of this instance (the kernel keys both with a secret).
let ident6: u32 = 0;

/** ip6_make_flowlabel with auto flow labels: a hash of the flow (rol32(hash, 16) & IPV6_FLOWLABEL_MASK). */
function autoFlowLabel(src: u32, dst: u32, sport: u32, dport: u32, proto: u32): u32 {
  let h: u32 = 0x9e3779b9 ^ proto;
  for (let i: u32 = 0; i < 16; i += 4) {
    h = (h ^ load<u32>(src + i)) * 0x85ebca6b;
    h = (h ^ (h >> 13) ^ load<u32>(dst + i)) * 0xc2b2ae35;
  }
  h = (h ^ ((sport << 16) | dport)) * 0x27d4eb2f;
  h ^= h >> 16;
  return rotl<u32>(h, 16) & 0xfffff;
}

/**
 * ip6_route_output_flags on the flow at FL(): fib6_lookup with RT6_LOOKUP_F_IFACE as `strict` says. 0, or
 * the route's error (fib6_prop: blackhole EINVAL, unreachable EHOSTUNREACH, prohibit EACCES; none ENETUNREACH).
 */
function lookup6(strict: bool): i32 {
  if (!strict) return dst6_route(FL(), RES()); // fib6_lookup through the per-destination cache
  const oif = load<u32>(FL() + FL_OIF);
  const err = fib6_lookup_oif(FL(), RES(), oif, !ipv6IsAny(FL() + FL_SRC), true, true);
  if (err != 0) return err == -EAGAIN ? -ENETUNREACH : err;
  const type = <u32>load<u8>(RES(), FR_TYPE);
  if (type == RTN_UNREACHABLE) return -EHOSTUNREACH;
  if (type == RTN_PROHIBIT) return -EACCES;
  if (type == RTN_THROW) return -ENETUNREACH;
  if (type > RTN_MULTICAST) return -EINVAL;
  store<u8>(RES() + FR_FAMILY, <u8>AF_INET6);
  // ip6_pol_route hashes among the siblings with the device bound (have_oif_match false): a sibling on
  // another device scores below zero under RT6_LOOKUP_F_IFACE and keeps the lookup's own match
  fib6_select_path(FL(), RES(), oif, false, true);
  return 0;
}

/**
 * ip6_dst_lookup_tail for a UDP socket: the route to the 16 bytes at DST() from SRC() (unspecified:
 * choose, written there) out of `oif`. 0 with rtDev, rtType, rtMtu and the next hop set, or -errno.
 */
function route6(sk: u32, oif: u32, tclass: u32, sport: u32, dport: u32): i32 {
  flowInit(AF_INET6, sk, oif, tclass, sport, dport);
  ipv6Copy(FL() + FL_DST, DST());
  ipv6Copy(FL() + FL_SRC, SRC());
  const anySrc = ipv6IsAny(SRC());
  // RT6_LOOKUP_F_IFACE: a socket bound to a device takes no route through another
  const strict = oif != 0;
  let err = lookup6(strict);
  if (anySrc) {
    // ip6_route_get_saddr: the route's preferred source, else RFC 6724 among the route device's (or,
    // without a route, every device's) addresses; no source fails before the route's own error
    if (err == 0 && !ipv6IsAny(RES() + FR_PREFSRC)) ipv6Copy(SRC(), RES() + FR_PREFSRC);
    else {
      const e = ipv6_dev_get_saddr(err == 0 ? load<u32>(RES(), FR_OIF) : 0, DST(), SRC());
      if (e != 0) return e;
    }
    if (err != 0) {
      // the first answer was an error: again with the source (source-specific routes)
      ipv6Copy(FL() + FL_SRC, SRC());
      err = lookup6(strict);
    }
  }
  // ip6_dst_lookup_tail: a v4-mapped source reaches no native IPv6 destination (after the route's own error)
  if (err == 0 && ipv6IsV4Mapped(SRC())) err = -EAFNOSUPPORT;
  if (err != 0) {
    if (err == -ENETUNREACH) mibInc(MIB_IP6_OUT_NO_ROUTES);
    return err;
  }
  rtType = <u32>load<u8>(RES(), FR_TYPE);
  rtFlags = 0;
  nhFamily = AF_INET6;
  if (rtType == RTN_LOCAL) {
    rtDev = LOOPBACK_IFINDEX; // ip6_rt_get_dev_rcu: copies of local routes leave on loopback
    rtLoopIif = load<u32>(RES(), FR_OIF); // ip6_rt_copy_init: rt6i_idev, the address's device (ip6_rcv_core's iif)
    rtMtu = 0;
    ipv6Copy(NH(), DST());
    rtFlags = RTCF_LOCAL;
  } else {
    rtDev = load<u32>(RES(), FR_OIF);
    rtMtu = load<u32>(RES(), FR_MTU);
    if (<u32>load<u8>(RES(), FR_GW_FAMILY) == AF_INET6) ipv6Copy(NH(), RES() + FR_GW);
    else ipv6Copy(NH(), DST());
  }
  return netdevGet(rtDev) == 0 ? -ENODEV : 0;
}

/** ip6_mtu, or the device's MTU with IPV6_PMTUDISC_PROBE. */
function mtu6(probe: bool): u32 {
  const nd = netdevGet(rtDev);
  if (probe) return load<u32>(nd + ND_MTU);
  let m = rtMtu != 0 ? rtMtu : devMtu6(nd);
  if (rtType != RTN_LOCAL) {
    const p = dst_pmtu(AF_INET6, DST());
    if (p != 0 && p < m) m = p;
  }
  return m < IP6_MAX_MTU ? m : IP6_MAX_MTU;
}

/** udpv6_sendmsg for an IPv6 destination (the 16 bytes at `daddr`; 0: the connected peer). */
function udpSend6(sk: u32, buf: u32, len: u32, daddr: u32, dport: u32, scopeId: u32): i32 {
  // "rough check on arithmetic overflow" (the exact limit comes after the route, as __ip6_append_data's)
  if (len > 0x7fffffff - UDP_HLEN) return -EMSGSIZE;
  if (daddr != 0) {
    if (dport == 0) return -EINVAL;
    ipv6Copy(DST(), daddr);
  } else {
    dport = <u32>load<u16>(sk + SK_DPORT);
    ipv6Copy(DST(), sk + SK_DADDR);
  }
  if (ipv6IsAny(DST())) store<u8>(DST() + 15, 1); // :: means loopback (BSD'ism)
  ipv6Copy(SRC(), sockSource(sk));
  const smc = load<u32>(sk + SKX_MCAST);
  // udpv6_sendmsg: the destination's scope names the output device when the address needs one
  // (__ipv6_addr_needs_scope_id), before the socket's bound device
  let oif: u32 = 0;
  if (daddr != 0 && scopeId != 0 && ipv6NeedsScopeId(ipv6AddrType(DST()))) oif = scopeId;
  if (oif == 0) oif = load<u32>(sk + SK_BOUND_DEV_IF);
  const mcast = ipv6IsMulticast(DST());
  if (oif == 0 && mcast) oif = mcOif(smc, true); // IPV6_MULTICAST_IF
  const tclass = <u32>load<u8>(sk + SK_TCLASS);
  const sport = <u32>load<u16>(sk + SK_NUM);
  const proto = <u32>load<u8>(sk + SK_PROTOCOL);
  // ip6_sk_dst_check: a datagram to the connected peer leaves by the route connect looked up and kept in
  // the socket. When connect chose the source (no address bound), that route is ip6_dst_lookup_tail's
  // first lookup, made with none: the multipath hash read ::, not the source it then gave
  const pinned = <u32>load<u8>(sk + SK_STATE) == TCP_ESTABLISHED && ipv6Equal(DST(), sk + SK_DADDR) &&
    (load<u8>(sk + SKX_USERLOCKS) & SOCK_BINDADDR_LOCK) == 0 && !ipv6IsAny(SRC());
  if (pinned) fillBytes(SRC(), 0, 16);
  const err = route6(sk, oif, tclass, sport, dport);
  if (pinned) ipv6Copy(SRC(), sockSource(sk));
  if (err != 0) return err;
  // ip6_sk_dst_hoplimit: to a multicast group the multicast hops; else the socket's, or the route
  // device's hop_limit
  let hlim: u32;
  if (ipv6IsMulticast(DST())) hlim = mcHops6(smc);
  else {
    const h = <u32>load<u16>(sk + SK_HOPS6); // np->hop_limit + 1
    if (h != 0) hlim = h - 1;
    else {
      hlim = load<u32>(netdevGet(rtDev) + ND_CONF6 + (CONF6_HOP_LIMIT << 2));
      if (hlim == 0) hlim = 64;
    }
  }
  // __ip6_append_data's limits (no extension headers: headersize 40)
  const pmtudisc = <u32>load<u8>(sk + SK_PMTUDISC6);
  const mtu = mtu6(pmtudisc >= IP_PMTUDISC_PROBE);
  const ulen = len + UDP_HLEN;
  // no room for 8 bytes after the headers: nothing can be sent (the kernel's first emsgsize test)
  if (mtu <= IPV6_HLEN || ((mtu - IPV6_HLEN) & ~7) <= FRAG_HLEN) return -EMSGSIZE;
  const dontfrag = (<u32>load<u8>(sk + SK_FLAGS6) & SK6F_DONTFRAG) != 0;
  if (ulen > mtu - IPV6_HLEN && dontfrag) return -EMSGSIZE;
  const ignoreDf = pmtudisc < IP_PMTUDISC_DO || pmtudisc == IP_PMTUDISC_OMIT;
  const maxnonfrag = ignoreDf ? IPV6_HLEN + IPV6_MAXPLEN : mtu;
  if (ulen > maxnonfrag - IPV6_HLEN) return -EMSGSIZE;
  const total = ulen + IPV6_HLEN;
  const loop = (<u32>load<u32>(netdevGet(rtDev) + ND_FLAGS) & IFF_LOOPBACK) != 0;
  const fragMtu = total <= mtu && loop ? total : mtu < REASM_FRAME_L3_MAX ? mtu : REASM_FRAME_L3_MAX;
  // with hooks registered a unicast or local datagram is built whole, cut after POST_ROUTING (hookedSend): a big
  // frame (none left: ENOBUFS; never cut here, past the hooks — an output drop rule must see it)
  // (a jumbo MTU's too: cut at a frame after the hooks)
  // (an IPv6 multicast's too: cut after POST_ROUTING, mcSend6)
  let whole = total <= fragMtu || (load<u32>(NF_GATE_PTR) != 0 && (mcast ? !loop : rtType == RTN_UNICAST || rtType == RTN_LOCAL));
  txSk = sk;
  txProbe = pmtudisc >= IP_PMTUDISC_PROBE;
  // every fragment but the last: maxfraglen = ((mtu - 40) & ~7) + 40 - 8, after its Fragment header
  const per = ((fragMtu - IPV6_HLEN) & ~7) - FRAG_HLEN;
  const label = autoFlowLabel(SRC(), DST(), sport, dport, proto);
  if (!whole) ident6++;
  let first: u32 = 0;
  let prev: u32 = 0;
  let off: u32 = 0;
  while (off < ulen) {
    const left = ulen - off;
    const chunk = whole ? left : left <= per ? left : per;
    const fh: u32 = whole ? 0 : FRAG_HLEN;
    const ip = frameFor(IPV6_HLEN + fh + chunk, prev);
    if (ip == 0) return nobufs(sk, true, first);
    if (first == 0) first = ip;
    prev = ip;
    stBe32(ip, 0x60000000 | (tclass << 20) | label);
    stBe16(ip + 4, fh + chunk);
    store<u8>(ip, <u8>(whole ? proto : IPPROTO_FRAGMENT), 6);
    store<u8>(ip, <u8>hlim, 7);
    ipv6Copy(ip + 8, SRC());
    ipv6Copy(ip + 24, DST());
    if (!whole) {
      const f = ip + IPV6_HLEN;
      store<u8>(f, <u8>proto);
      store<u8>(f, 0, 1);
      stBe16(f + 2, off | (off + chunk < ulen ? 1 : 0)); // the offset in 8-byte units sits above the M bit
      stBe32(f + 4, ident6);
    }
    const d = ip + IPV6_HLEN + fh;
    if (off == 0) copyBytes(d + UDP_HLEN, buf, chunk - UDP_HLEN);
    else copyBytes(d, buf + off - UDP_HLEN, chunk);
    off += chunk;
  }
  // the pseudo-header (RFC 8200 8.1) but for the length word, which udpHeader adds
  let ph = csumAdd(SRC(), 16, 0);
  ph = csumAdd(DST(), 16, ph);
  ph += <u64>bswap<u32>(proto);
  udpHeader(sk, first + IPV6_HLEN + (whole ? 0 : FRAG_HLEN), buf, len, sport, dport, ph, false);
  mibInc(MIB_IP6_OUT_REQUESTS);
  const gate6 = load<u32>(NF_GATE_PTR);
  if (gate6 != 0 && mcast && !loop && frameNext(first) == 0) {
    const nd = netdevGet(rtDev);
    const copy = mcLoop(smc, true) && (mcJoined6(rtDev, nd, DST()) || mcDevHas6(rtDev, DST(), SRC()));
    const err = mcSend6(gate6, first, copy, hlim == 0, ipv6McScope(DST()) <= 1);
    if (err != 0) return sendDiscard(true, err);
    sent(sk, true, len);
    return <i32>len;
  }
  if (mcast && !loop) {
    // ip6_finish_output2: each frame (after fragmentation) looped to this host when the device is in
    // the group for this source and IPV6_MULTICAST_LOOP is on, and then discarded at hop limit 0
    // (Ip6:OutDiscards; with no copy taken hop limit 0 goes out); interface-local scope never leaves it
    // (freed without a counter)
    const nd = netdevGet(rtDev);
    const copy = mcLoop(smc, true) && (mcJoined6(rtDev, nd, DST()) || mcDevHas6(rtDev, DST(), SRC()));
    if (copy) {
      for (let ip = first; ip != 0; ip = frameNext(ip)) {
        const c = frameFor(frameLen(ip) - ETH_HLEN, 0);
        if (c == 0) break;
        copyBytes(c - ETH_HLEN, ip - ETH_HLEN, frameLen(ip));
        loop6[nloop6 < 64 ? nloop6++ : 63] = c;
      }
    }
    if (copy && hlim == 0) {
      mibInc(MIB_IP6_OUT_DISCARDS);
      chainFree(first);
      first = 0;
    } else if (ipv6McScope(DST()) <= 1) {
      chainFree(first);
      first = 0;
    }
  }
  if (first != 0) {
    const err = chainSend(first, ETH_P_IPV6);
    if (err != 0) return sendDiscard(true, err);
  }
  for (let i: i32 = 0; i < nloop6; i++) {
    const c = loop6[i];
    if (!loopIngress(c, frameLen(c) - ETH_HLEN)) continue;
    mibInc(MIB_IP6_IN_RECEIVES);
    if (ipv6IsLoopback(c + 8)) {
      // dev_loopback_xmit hands the copy to ipv6_rcv on the output device, whose ip6_rcv_core drops a
      // loopback source on any device but lo (RFC 4291 2.5.3): what a socket bound to ::1 sends to a
      // group leaves on the wire, but never comes back up
      mibInc(MIB_IP6_IN_HDR_ERRORS);
      netFree(0, c);
      netDrop(NDROP_IP_INHDR);
      continue;
    }
    ip6_local_deliver(rtDev, 0, c, frameLen(c) - ETH_HLEN, 6, IPV6_HLEN, false, false);
  }
  nloop6 = 0;
  if (!whole) {
    for (let p: u32 = 0; p < ulen; p += per) mibInc(MIB_IP6_FRAG_CREATES);
    mibInc(MIB_IP6_FRAG_OKS);
  }
  sent(sk, true, len);
  return <i32>len;
}

// ---- Entry points ----

/**
 * udp_sendmsg / udpv6_sendmsg from the socket record at `sk`: `len` bytes at `buf` to `daddr` (16 bytes
 * as the socket's family keeps addresses; 0: the connected peer) port `dport` (host order); `scopeId` the
 * destination's sin6_scope_id (0: none). `len`, or -errno.
 */
export function udp_sendmsg_sk(sk: u32, buf: u32, len: u32, daddr: u32, dport: u32, scopeId: u32): i32 {
  if (netRoot() == 0) return -ENETUNREACH;
  // inet_send_prepare: an unbound socket gets an ephemeral port first
  if (load<u16>(sk + SK_NUM) == 0 && sk_autobind(sk) != 0) return -EAGAIN;
  if (<u32>load<u8>(sk + SK_FAMILY) == AF_INET) {
    return daddr != 0 ? udpSend4(sk, buf, len, true, load<u32>(daddr), dport, false) : udpSend4(sk, buf, len, false, 0, 0, false);
  }
  if (daddr == 0 && <u32>load<u8>(sk + SK_STATE) != TCP_ESTABLISHED) return -EDESTADDRREQ;
  const peer = daddr != 0 ? daddr : sk + SK_DADDR;
  let v4 = ipv6IsV4Mapped(peer);
  // to :: from a socket whose source is v4-mapped: 127.0.0.1 over IPv4
  if (daddr != 0 && ipv6IsAny(daddr) && ipv6IsV4Mapped(sk + SK_SADDR)) v4 = true;
  if (v4) {
    if ((<u32>load<u8>(sk + SK_FLAGS) & SKF_IPV6ONLY) != 0) return -ENETUNREACH;
    if (daddr == 0) return udpSend4(sk, buf, len, false, 0, 0, true);
    return udpSend4(sk, buf, len, true, ipv6IsAny(daddr) ? INADDR_LOOPBACK : load<u32>(daddr, 12), dport, true);
  }
  return udpSend6(sk, buf, len, daddr, dport, scopeId);
}

/** udp_sendmsg for socket `id` (sock.ts): as udp_sendmsg_sk, -EBADF when there is no such socket. */
export function udp_sendmsg(id: u32, buf: u32, len: u32, daddr: u32, dport: u32, scopeId: u32): i32 {
  const sk = sockById(id);
  if (sk == 0) return -EBADF;
  return udp_sendmsg_sk(sk, buf, len, daddr, dport, scopeId);
}
