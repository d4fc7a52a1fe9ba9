// UDP and UDP-Lite receive: __udp4_lib_rcv / __udp6_lib_rcv, their multicast and broadcast delivery,
// and the ICMP errors about datagrams our sockets sent (__udp4_lib_err / __udp6_lib_err).
//
// Checks, in the kernel's order, with its counters (the datagram's group: Udp, UdpLite, Udp6, UdpLite6):
//   no room for the 8-byte header                          InErrors, NOT_SPECIFIED
//   length field over what arrived; UDP: under 8           InErrors, PKT_TOO_SMALL (UDP-Lite's length
//                                                          field is its checksum coverage, RFC 3828)
//   UDP-Lite: zero checksum, coverage 1-7 or past the end  InCsumErrors, InErrors, UDP_CSUM
//   checksum wrong (RFC 768 / RFC 8200 8.1 pseudo-header;  InCsumErrors, InErrors, UDP_CSUM
//     UDP over IPv4 with a zero checksum has none)
//   IPv6 UDP with a zero checksum (RFC 8200: not allowed   InCsumErrors, InErrors, UDP_CSUM (no socket:
//     unless the socket says so, RFC 6936; no option here) NO_SOCKET, as the kernel's reason there)
//   no socket                                              NoPorts, ICMP(v6) port unreachable, NO_SOCKET
//   the socket's UDP-Lite minimum coverage not met         InErrors, sk_drops, NOT_SPECIFIED
//   SO_RCVBUF exceeded                                     RcvbufErrors, InErrors, sk_drops, SOCKET_RCVBUFF
//   the queues together at udp_mem (sock.ts sk_mem_max)    MemErrors, InErrors, sk_drops, PROTO_MEM
//   queued                                                 (InDatagrams when the reader takes it, as udp_recvmsg)
// Broadcast and multicast go to every socket that matches (__udp_is_mcast_sock), each its own copy (a
// new frame; the first match gets the original), none: IgnoredMulti, no ICMP.
//
// The kernel verifies a delivered datagram's checksum late (when it is read, or when a socket filter runs)
// unless the device did; here it is verified before the lookup. The counters are the same; a datagram
// with a bad checksum meeting a full queue counts as a checksum error here, a buffer error there.
//
// ICMP errors (local.ts hands over each error icmp_rcv / icmpv6_rcv accepted): the quoted datagram's
// socket by a lookup with the addresses and ports swapped; with no IP_RECVERR the kernel reports only
// hard errors on connected sockets: icmp_err_convert's fatal codes (port unreachable → ECONNREFUSED,
// protocol unreachable → ENOPROTOOPT, …), parameter problem → EPROTO, fragmentation needed →
// EMSGSIZE unless IP_PMTUDISC_DONT; ICMPv6: icmpv6_err_convert likewise, packet too big → EMSGSIZE.
// Fragmentation needed and packet too big also lower the path MTU first (udp_pmtu.ts).
// No socket: Icmp:InErrors / Icmp6:InErrors.
//
// Reads: the datagram, the socket tables (sock_lookup.ts). Sets: UDP MIBs, drops, socket queues, SK_ERR.
// Next: the socket's queue (sock.ts skEnqueue), icmp_send / icmpv6_send, or a drop.

import { frameAlloc } from '../umem';
import { FRAME_SIZE, XDP_PACKET_HEADROOM } from '../abi';
import { copyBytes } from '../bytes';
import { mibInc, netDrop, netFree, netRoot } from './core';
import {
  MIB_ICMP6_IN_ERRORS, MIB_ICMP_IN_ERRORS, NDROP_NO_SOCKET, NDROP_NOMEM, NDROP_NOT_SPECIFIED, NDROP_PKT_TOO_SMALL,
  NDROP_SOCKET_RCVBUFF, NDROP_UDP_CSUM, SK_FAMILY, SK_FLAGS, SK_NUM, SK_PMTUDISC, SK_PMTUDISC6, SK_PROTOCOL, SK_STATE, SKF_IPV6ONLY,
  TCP_ESTABLISHED, UDP_MIB_CSUMERRORS, UDP_MIB_MEMERRORS, NDROP_PROTO_MEM, UDP_MIB_IGNOREDMULTI, UDP_MIB_INERRORS, UDP_MIB_NOPORTS, UDP_MIB_RCVBUFERRORS,
  AF_INET, AF_INET6, UDP_MIB_BASE, UDP6_MIB_BASE, SK_BOUND_DEV_IF, SK_DPORT, SK_RCV_SADDR, SK_DADDR, SK_PCFLAG, UDPLITE_RECV_CC,
  LOOPBACK_IFINDEX, SK_REUSEPORT_GROUP,
} from './abi';
import { csumAdd, csumFold16, csumIpv6Pseudo } from './csum';
import { IPH_DADDR, IPH_SADDR, IPPROTO_UDP, IPPROTO_UDPLITE, IP6H_DADDR, IP6H_SADDR, ipv4IsMulticast, ldBe16, PACKET_HOST, PACKET_MULTICAST } from './inet';
import { icmp_send, icmpv6_send, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH, RTCF_BROADCAST, RTCF_MULTICAST } from './icmp';
import {
  l4Root, skDropInc, skEnqueueBurst, skEnqueueInline, skEnqueueRun, ENQ_OK, ENQ_RCVBUF, skErrReport, udpMibBase, udpTables, SKX_DADDR4, SKX_RCV4, SKX_NEXT_PORT,
  SKX_RECV_CSCOV, TB_CONNECTED, TB_PORT, SKX_MCAST,
} from './sock';
import { reuseportSelect, udp4_demux_lookup, udp4_lib_lookup, udp4_lookup_fast, udp6_demux_lookup, udp6_lib_lookup, udpEhash4 } from './sock_lookup';
import { SK_LOOKUP_DROP } from './sk_prog';
import { mcSockAllow4, mcSockAllow6 } from './udp_mcast';
import { udpPmtuLearn4, udpPmtuLearn6 } from './udp_pmtu';
import { loopbackIif } from './netdev';

const EPROTO: u32 = 71;
const EMSGSIZE: u32 = 90;
const ENOPROTOOPT: u32 = 92;
const EOPNOTSUPP: u32 = 95;
const ENETUNREACH: u32 = 101;
const EHOSTDOWN: u32 = 112;
const EHOSTUNREACH: u32 = 113;
const ECONNREFUSED: u32 = 111;
const ENONET: u32 = 64;
const EACCES: u32 = 13;

/** What the checks decided about a datagram's coverage: bytes the checksum covers (0: the checks failed). */
let cscov: u32 = 0;
/** Set by the checks: the UDP-Lite datagram covers less than all of itself (partial_cov). */
let partialCov: bool = false;

/** CHECKSUM_BREAK (include/linux/skbuff.h): a datagram of this many bytes or fewer has its checksum checked on arrival. */
const CHECKSUM_BREAK: u32 = 76;
/**
 * Set by udp_rcv / udpv6_rcv: the datagram's checksum is wrong, but the kernel finds out only when a socket reads it
 * (udp_recvmsg's udp_lib_checksum_complete: CsumErrors, InErrors, one of the socket's drops): a partial UDP-Lite
 * coverage (udp4_csum_init / udp6_csum_init compute nothing for it) or more than CHECKSUM_BREAK bytes
 * (skb_checksum_init_zero_check leaves a CHECKSUM_NONE skb unchecked). So a broadcast or multicast no socket takes is
 * IgnoredMulti, each socket it is delivered to counts the error, and one to no socket is checked before NoPorts.
 * (The kernel's bad datagram holds its room in the queue until read; here it never enters it.)
 */
let csumLate: bool = false;

/** Whether the datagram of `len` bytes (skb->len) fails the check made on arrival (`ok`: its checksum is right); sets csumLate. */
@inline function csumBadNow(ok: bool, len: u32): bool {
  csumLate = false;
  if (ok) return false;
  if (partialCov || len > CHECKSUM_BREAK) {
    csumLate = true;
    return false;
  }
  return true;
}

@inline function drop(q: u32, data: u32, mib: u32, reason: u32): void {
  mibInc(mib + UDP_MIB_INERRORS);
  netFree(q, data);
  netDrop(reason);
}

@inline function csumError(q: u32, data: u32, mib: u32, reason: u32): void {
  mibInc(mib + UDP_MIB_CSUMERRORS);
  drop(q, data, mib, reason);
}

/**
 * udplite_checksum_init: the coverage of the UDP-Lite datagram at `uh` (`avail` bytes). false when it
 * breaks RFC 3828 (zero checksum, coverage 1-7 or past the end).
 */
@inline function udpliteCoverage(uh: u32, avail: u32): bool {
  if (load<u16>(uh + 6) == 0) return false;
  const c = ldBe16(uh + 4);
  partialCov = false;
  if (c == 0) {
    cscov = avail;
    return true;
  }
  if (c < 8 || c > avail) return false;
  cscov = c;
  partialCov = c < avail;
  return true;
}

/**
 * The length checks of both families: the datagram's UDP length (UDP-Lite: all that arrived, its length
 * field being the coverage; IPv6 UDP: 0 in the field is a jumbogram's, the payload's), or 0 when the
 * header is cut short or the length is past the end or under 8 (counted, the frame freed).
 */
@inline function udpLength(v6: bool, q: u32, data: u32, uh: u32, avail: u32, mib: u32, lite: bool): u32 {
  if (avail < 8) {
    drop(q, data, mib, NDROP_NOT_SPECIFIED);
    return 0;
  }
  let ulen = ldBe16(uh + 4);
  if (ulen > avail) {
    drop(q, data, mib, NDROP_PKT_TOO_SMALL);
    return 0;
  }
  if (lite) return avail;
  if (v6 && ulen == 0) ulen = avail;
  if (ulen < 8) {
    drop(q, data, mib, NDROP_PKT_TOO_SMALL);
    return 0;
  }
  return ulen;
}

/** The checksum over `cov` bytes at `uh` with the IPv4 pseudo-header (length `plen`) sums to all ones. */
@inline function csumOk4(iph: u32, uh: u32, cov: u32, plen: u32, proto: u32): bool {
  let s: u64 = <u64>load<u32>(iph + IPH_SADDR) + <u64>load<u32>(iph + IPH_DADDR) + <u64>bswap<u32>(plen) + <u64>bswap<u32>(proto);
  return csumFold16(csumAdd(uh, cov, s)) == 0xffff;
}

@inline function csumOk6(iph: u32, uh: u32, cov: u32, plen: u32, proto: u32): bool {
  return csumFold16(csumAdd(uh, cov, csumIpv6Pseudo(iph + IP6H_SADDR, iph + IP6H_DADDR, plen, proto))) == 0xffff;
}

/**
 * udp_queue_rcv_one_skb → __udp_queue_rcv_skb: the datagram (payload `uh + 8`, `ulen - 8` bytes) onto
 * `sk`'s queue, or dropped with the socket's counters. Takes the frame.
 */
function queueRcv(sk: u32, q: u32, iph: u32, uh: u32, ulen: u32, ifindex: u32, mib: u32): void {
  // UDP-Lite's receive coverage (UDPLITE_RECV_CSCOV): a partial coverage must reach the socket's minimum
  if ((<u32>load<u8>(sk + SK_PCFLAG) & UDPLITE_RECV_CC) != 0 && partialCov) {
    const pcrlen = <u32>load<u16>(sk + SKX_RECV_CSCOV);
    if (pcrlen == 0 || cscov < pcrlen) {
      skDropInc(sk);
      drop(q, iph, mib, NDROP_NOT_SPECIFIED);
      return;
    }
  }
  if (csumLate) {
    skDropInc(sk);
    csumError(q, iph, mib, NDROP_UDP_CSUM);
    return;
  }
  const e = skEnqueueInline(sk, q, iph, uh + 8, ulen - 8, ifindex);
  if (e != ENQ_OK) {
    // Note that an ENOMEM error is charged twice (the kernel's words): RcvbufErrors and InErrors;
    // udp_mem exhausted: MemErrors and InErrors
    mibInc(mib + (e == ENQ_RCVBUF ? UDP_MIB_RCVBUFERRORS : UDP_MIB_MEMERRORS));
    skDropInc(sk);
    drop(q, iph, mib, e == ENQ_RCVBUF ? NDROP_SOCKET_RCVBUFF : NDROP_PROTO_MEM);
  }
}

/** udp_rcv's `demux` when ip_rcv_finish_core ran no early demux (a fragment, what lo brings back). */
export const UDP_NO_DEMUX: u32 = 0xff;

/**
 * udp_rcv / udplite_rcv (__udp4_lib_rcv) for the local IPv4 datagram at `data` (`len` bytes, `hlen`-byte
 * header) from `ifindex`, its route's flags `rtFlags` (RTCF_*). `demux`: the skb->pkt_type
 * udp_v4_early_demux saw (PACKET_HOST, PACKET_MULTICAST; others look nothing up), or UDP_NO_DEMUX.
 * Takes the frame.
 */
export function udp_rcv(ifindex: u32, q: u32, data: u32, len: u32, hlen: u32, rtFlags: u32, demux: u32): void {
  const proto = <u32>load<u8>(data + 9);
  const mib = udpMibBase(false, proto);
  const uh = data + hlen;
  const avail = len - hlen;
  const lite = proto == IPPROTO_UDPLITE;
  const ulen = udpLength(false, q, data, uh, avail, mib, lite);
  if (ulen == 0) return;
  if (!lite) {
    // pskb_trim_rcsum: bytes past the UDP length are not the datagram's
    cscov = ulen;
    partialCov = false;
    if (csumBadNow(load<u16>(uh + 6) == 0 || csumOk4(data, uh, ulen, ulen, proto), ulen)) {
      csumError(q, data, mib, NDROP_UDP_CSUM);
      return;
    }
  } else {
    if (!udpliteCoverage(uh, avail) || csumBadNow(csumOk4(data, uh, cscov, avail, proto), avail)) {
      csumLate = false;
      csumError(q, data, mib, NDROP_UDP_CSUM);
      return;
    }
  }
  const saddr = load<u32>(data + IPH_SADDR);
  const daddr = load<u32>(data + IPH_DADDR);
  const r = l4Root();
  const t = r == 0 ? 0 : udpTables(r, proto);
  const bm = (rtFlags & (RTCF_BROADCAST | RTCF_MULTICAST)) != 0;
  // udp_v4_early_demux ran before routing (`demux`: UDP only, not a reassembled datagram; not what lo
  // brings back: loopback_xmit keeps its dst; the receiving device's index): a PACKET_HOST frame (to our
  // MAC, even when the route then says broadcast) through __udp4_lib_demux_lookup, a PACKET_MULTICAST one
  // to a group the device is in (ip_check_mc_rcu: routing delivers no other) through
  // __udp4_lib_mcast_demux_lookup. A socket it found takes the datagram as unicast (inet_steal_sock),
  // not __udp4_lib_mcast_deliver: an unconnected one in a reuseport group hands it to the group's choice,
  // which may be a member that never joined the group (tests/udp/udp_mcast_kernel).
  let sk: u32 = 0;
  let stolen = false;
  if (t != 0 && !lite && ifindex != LOOPBACK_IFINDEX) {
    if (demux == PACKET_HOST) {
      if (load<u32>(t + TB_CONNECTED) != 0 || (saddr == 0 && load<u16>(uh) == 0)) sk = udp4_demux_lookup(t, saddr, ldBe16(uh), daddr, ldBe16(uh + 2), ifindex);
    } else if (demux == PACKET_MULTICAST && ipv4IsMulticast(daddr)) {
      sk = mcastDemux4(t, ldBe16(uh + 2), daddr, ldBe16(uh), saddr, ifindex);
    }
    if (sk != 0) {
      stolen = true;
      // inet_steal_sock: an unconnected socket's reuseport group picks (inet_lookup_reuseport)
      if (<u32>load<u8>(sk + SK_STATE) != TCP_ESTABLISHED && load<u32>(sk + SK_REUSEPORT_GROUP) != 0) {
        const sel = reuseportSelect(sk, udpEhash4(daddr, ldBe16(uh + 2), saddr, ldBe16(uh)), uh, ulen);
        if (sel != 0) sk = sel == SK_LOOKUP_DROP ? 0 : sel;
      }
    }
  }
  if (bm && !stolen) {
    mcastDeliver(false, t, q, data, hlen + ulen, uh, ulen, saddr, daddr, ifindex, mib, false);
    return;
  }
  const dif = loopbackIif(ifindex); // inet_iif: a datagram this host sent itself keeps its route's device
  if (!stolen && t != 0) sk = udp4_lookup_fast(t, proto, saddr, ldBe16(uh), daddr, ldBe16(uh + 2), dif, uh, ulen);
  if (sk != 0) {
    queueRcv(sk, q, data, uh, ulen, dif, mib);
    return;
  }
  // no socket: the checksum is checked before the port unreachable (udp_lib_checksum_complete)
  if (csumLate) {
    csumError(q, data, mib, NDROP_UDP_CSUM);
    return;
  }
  mibInc(mib + UDP_MIB_NOPORTS);
  // the error quotes the skb as pskb_trim_rcsum left it: a UDP datagram ends at its length field
  icmp_send(ifindex, data, lite ? len : hlen + ulen, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
  netFree(q, data);
  netDrop(NDROP_NO_SOCKET);
}

/**
 * The end of udp_rcv for an IPv4 UDP datagram (not UDP-Lite) at `ip` (a 20-byte header, `ulen` bytes
 * of UDP, its length and checksum checked) whose socket `sk` the lean receive's burst lookup found as
 * udp4_lookup_fast would (udp_lean.ts): queued as queueRcv queues it (a UDP datagram covers all of
 * itself: no UDP-Lite coverage to check). Takes the frame. Inlined in its one caller (udp_lean.ts
 * udpFound): one call less per datagram.
 */
@inline export function udp4_queue_found(sk: u32, q: u32, ip: u32, ulen: u32, ifindex: u32): void {
  const e = skEnqueueInline(sk, q, ip, ip + 28, ulen - 8, ifindex);
  if (e != ENQ_OK) {
    mibInc(UDP_MIB_BASE + (e == ENQ_RCVBUF ? UDP_MIB_RCVBUFERRORS : UDP_MIB_MEMERRORS));
    skDropInc(sk);
    drop(q, ip, UDP_MIB_BASE, e == ENQ_RCVBUF ? NDROP_SOCKET_RCVBUFF : NDROP_PROTO_MEM);
  }
}

/**
 * The checksum of the IPv4 UDP datagram at `uh` (`ulen` bytes, header at `iph`) is right or absent
 * (zero); a short datagram (under 64 bytes) summed here without csumAdd's call.
 */
@inline export function udp4CsumOk(iph: u32, uh: u32, ulen: u32): bool {
  if (load<u16>(uh + 6) == 0) return true;
  if (ulen >= 64) return csumOk4(iph, uh, ulen, ulen, IPPROTO_UDP);
  const s: u64 = <u64>load<u32>(iph + IPH_SADDR) + <u64>load<u32>(iph + IPH_DADDR) + <u64>bswap<u32>(ulen) + <u64>bswap<u32>(IPPROTO_UDP);
  return csumFold16(s + sumShort(uh, ulen)) == 0xffff;
}

/**
 * csumAdd's sum (little-endian 32-bit words, a 16-bit and an 8-byte tail) of the `len` < 64 bytes at
 * `p`, straight-line by the bits of `len`: every piece starts at an even offset, so the folded sum is
 * the same. A loop here cost a bound and an interrupt check per word (V8), a quarter of the lean
 * receive's per-frame checks.
 */
@inline function sumShort(p: u32, len: u32): u64 {
  let s: u64 = 0;
  if ((len & 32) != 0) {
    const a = load<u64>(p);
    const b = load<u64>(p, 8);
    const c = load<u64>(p, 16);
    const d = load<u64>(p, 24);
    s = (a & 0xffffffff) + (a >> 32) + (b & 0xffffffff) + (b >> 32) + (c & 0xffffffff) + (c >> 32) + (d & 0xffffffff) + (d >> 32);
    p += 32;
  }
  if ((len & 16) != 0) {
    const a = load<u64>(p);
    const b = load<u64>(p, 8);
    s += (a & 0xffffffff) + (a >> 32) + (b & 0xffffffff) + (b >> 32);
    p += 16;
  }
  if ((len & 8) != 0) {
    const a = load<u64>(p);
    s += (a & 0xffffffff) + (a >> 32);
    p += 8;
  }
  if ((len & 4) != 0) {
    s += <u64>load<u32>(p);
    p += 4;
  }
  if ((len & 2) != 0) {
    s += <u64>load<u16>(p);
    p += 2;
  }
  if ((len & 1) != 0) s += <u64>load<u8>(p);
  return s;
}

/**
 * The end of udpv6_rcv for an IPv6 UDP datagram (not UDP-Lite) at `ip` (the UDP header right after the
 * 40-byte header, `ulen` bytes of UDP, its length checked, its checksum present and right) whose socket
 * `sk` the lean receive's burst lookup found as udp6_lib_lookup would (udp6_lean.ts): queued as
 * queueRcv queues it. Takes the frame.
 */
export function udp6_queue_found(sk: u32, q: u32, ip: u32, ulen: u32, ifindex: u32): void {
  const e = skEnqueueInline(sk, q, ip, ip + 48, ulen - 8, ifindex);
  if (e != ENQ_OK) {
    mibInc(UDP6_MIB_BASE + (e == ENQ_RCVBUF ? UDP_MIB_RCVBUFERRORS : UDP_MIB_MEMERRORS));
    skDropInc(sk);
    drop(q, ip, UDP6_MIB_BASE, e == ENQ_RCVBUF ? NDROP_SOCKET_RCVBUFF : NDROP_PROTO_MEM);
  }
}

/**
 * udp4_queue_found / udp6_queue_found for `k` frames in a row of a burst that the lean receive found
 * the same socket `sk` for (their (data, len) pairs at `ips`, stride 8; `res`: k × u32 of scratch; their
 * UDP lengths at `ulens`, stride 16, as the lean receive checked them): queued
 * under one hold of the socket (sock.ts skEnqueueRun, each datagram decided in order as alone), the
 * ones refused counted and dropped as those functions drop them. Takes the frames.
 */
export function udp_queue_run(sk: u32, q: u32, ips: u32, res: u32, k: u32, ifindex: u32, v6: bool, ulens: u32): void {
  const hlen: u32 = v6 ? 40 : 20;
  if (skEnqueueRun(sk, q, ips, res, k, hlen, ifindex, ulens) == k) return;
  dropRefused(q, ips, res, k, v6, sk, 0);
}

/**
 * The frames of a run or burst the socket layer refused (`res`: k × ENQ_*), counted and dropped as
 * udp4_queue_found / udp6_queue_found drop them: on socket `sk`, or with `socks` ≠ 0 each on its own.
 */
function dropRefused(q: u32, ips: u32, res: u32, k: u32, v6: bool, sk: u32, socks: u32): void {
  const base = v6 ? UDP6_MIB_BASE : UDP_MIB_BASE;
  for (let j: u32 = 0; j < k; j++) {
    const e = <i32>load<u32>(res + (j << 2));
    if (e == ENQ_OK) continue;
    mibInc(base + (e == ENQ_RCVBUF ? UDP_MIB_RCVBUFERRORS : UDP_MIB_MEMERRORS));
    skDropInc(socks != 0 ? load<u32>(socks + (j << 2)) : sk);
    drop(q, load<u32>(ips + (j << 3)) + 14, base, e == ENQ_RCVBUF ? NDROP_SOCKET_RCVBUFF : NDROP_PROTO_MEM);
  }
}

/**
 * udp_queue_run for `k` frames in a row of a burst that the lean receive found sockets for, one each (k ×
 * u32 at `socks`, the same or not; `ulens` as udp_queue_run's): queued one after the other as alone (sock.ts skEnqueueBurst), the
 * ones refused counted and dropped as udp4_queue_found / udp6_queue_found drop them. Takes the frames.
 */
export function udp_queue_burst(q: u32, ips: u32, socks: u32, res: u32, k: u32, ifindex: u32, v6: bool, ulens: u32): void {
  const hlen: u32 = v6 ? 40 : 20;
  if (skEnqueueBurst(q, ips, socks, res, k, hlen, ifindex, ulens) == k) return;
  dropRefused(q, ips, res, k, v6, 0, socks);
}

/** The IPv6 UDP datagram at `uh` (`ulen` bytes, after the 40-byte header at `iph`) has a right checksum (zero is not one). */
@inline export function udp6CsumOk(iph: u32, uh: u32, ulen: u32): bool {
  if (load<u16>(uh + 6) == 0) return false;
  if (ulen >= 64) return csumOk6(iph, uh, ulen, ulen, IPPROTO_UDP);
  // a short datagram summed here without csumIpv6Pseudo's and csumAdd's calls: both addresses (32
  // bytes from the source on), the length and the protocol, then the datagram
  return udp6ShortOk(uh, ulen, udp6AddrSum(iph));
}

/**
 * udp6CsumOk's sum for a short datagram (`ulen` under 64, its checksum not zero) at `uh` whose two
 * addresses sum to `addrs` (udp6AddrSum): a run of frames between the same two addresses sums them once
 * (udp6_lean.ts).
 */
@inline export function udp6ShortOk(uh: u32, ulen: u32, addrs: u64): bool {
  const s: u64 = <u64>bswap<u32>(ulen) + <u64>bswap<u32>(IPPROTO_UDP);
  return csumFold16(s + addrs + sumShort(uh, ulen)) == 0xffff;
}

/** The sum of the source and destination addresses of the IPv6 header at `iph`, for udp6ShortOk. */
@inline export function udp6AddrSum(iph: u32): u64 {
  return sumShort(iph + IP6H_SADDR, 32);
}

/** A copy of the datagram's frame (its L3 start at `data`, `l3len` bytes) for one more socket; 0: none left. */
function cloneFrame(data: u32, l3len: u32): u32 {
  const f = frameAlloc();
  if (f == 0) return 0;
  const off = data & (FRAME_SIZE - 1);
  if (off + l3len > FRAME_SIZE || off < XDP_PACKET_HEADROOM) return 0;
  copyBytes(f + off, data, l3len);
  return f + off;
}

/** __udp_is_mcast_sock for IPv4. */
@inline function mcastMatch4(sk: u32, hnum: u32, daddr: u32, sport: u32, saddr: u32, dif: u32): bool {
  if (<u32>load<u16>(sk + SK_NUM) != hnum) return false;
  const pd = load<u32>(sk + SKX_DADDR4);
  if (pd != 0 && pd != saddr) return false;
  const pp = <u32>load<u16>(sk + SK_DPORT);
  if (pp != 0 && pp != sport) return false;
  const rs = load<u32>(sk + SKX_RCV4);
  if (rs != 0 && rs != daddr) return false;
  if ((<u32>load<u8>(sk + SK_FLAGS) & SKF_IPV6ONLY) != 0) return false;
  const b = load<u32>(sk + SK_BOUND_DEV_IF);
  return (b == 0 || b == dif) && mcSockAllow4(load<u32>(sk + SKX_MCAST), <u32>load<u8>(sk + SK_FAMILY) == AF_INET6, daddr, saddr, dif);
}

/**
 * udp_v4_early_demux's __udp4_lib_mcast_demux_lookup: the one socket of the port's hash slot that
 * __udp_is_mcast_sock takes, or 0 when none or several do or the slot holds more than 10 sockets ("Do not
 * bother scanning a too big list"). The kernel's slot (udp_hashfn, the port-only table v4 and v6 share)
 * is the port's chain here; ports that share a slot with it there (hnum + k × the table's size, which
 * the host's memory decides) are not counted. The cached input route it then takes (sk_rx_dst) is not
 * modelled, as for unicast: routing runs for every datagram (the source validation it repeats is
 * ip_mc_validate_source, which the kernel runs for an unconnected socket too).
 */
function mcastDemux4(t: u32, hnum: u32, daddr: u32, sport: u32, saddr: u32, dif: u32): u32 {
  let sk = load<u32>(load<u32>(t + TB_PORT) + (hnum << 2));
  let n: u32 = 0;
  let result: u32 = 0;
  while (sk != 0) {
    if (++n > 10) return 0;
    if (mcastMatch4(sk, hnum, daddr, sport, saddr, dif)) {
      if (result != 0) return 0;
      result = sk;
    }
    sk = load<u32>(sk + SKX_NEXT_PORT);
  }
  return result;
}

/**
 * __udp4_lib_mcast_deliver / __udp6_lib_mcast_deliver: every matching socket of the port gets the
 * datagram; the first match gets this frame (last), the others copies. `zero`: an IPv6 UDP datagram
 * with no checksum, which no socket here accepts. Takes the frame.
 */
function mcastDeliver(v6: bool, t: u32, q: u32, data: u32, l3len: u32, uh: u32, ulen: u32, saddr: u32, daddr: u32, dif: u32, mib: u32, zero: bool): void {
  const hnum = ldBe16(uh + 2);
  const sport = ldBe16(uh);
  let first: u32 = 0;
  let sk = t == 0 || zero ? 0 : load<u32>(load<u32>(t + TB_PORT) + (hnum << 2));
  while (sk != 0) {
    if (v6 ? mcastMatch6(sk, hnum, daddr, sport, saddr, dif) : mcastMatch4(sk, hnum, daddr, sport, saddr, dif)) {
      if (first == 0) first = sk;
      else {
        const c = cloneFrame(data, l3len);
        if (c == 0) {
          skDropInc(sk);
          mibInc(mib + UDP_MIB_RCVBUFERRORS);
          mibInc(mib + UDP_MIB_INERRORS);
          netDrop(NDROP_NOMEM);
        } else queueRcv(sk, 0, c, c + (uh - data), ulen, dif, mib);
      }
    }
    sk = load<u32>(sk + SKX_NEXT_PORT);
  }
  if (first != 0) {
    queueRcv(first, q, data, uh, ulen, dif, mib);
    return;
  }
  mibInc(mib + UDP_MIB_IGNOREDMULTI);
  netFree(q, data);
  netDrop(NDROP_NOT_SPECIFIED);
}

// ---- IPv6 ----

/**
 * udpv6_rcv / udplitev6_rcv (__udp6_lib_rcv) for the local IPv6 datagram at `data` (`len` bytes, the
 * UDP header at `off`) from `ifindex`; `unicast`: not to a multicast group. Takes the frame.
 */
export function udpv6_rcv(ifindex: u32, q: u32, data: u32, len: u32, off: u32, proto: u32, unicast: bool, demux: bool): void {
  const mib = udpMibBase(true, proto);
  const uh = data + off;
  const avail = len - off;
  const lite = proto == IPPROTO_UDPLITE;
  const ulen = udpLength(true, q, data, uh, avail, mib, lite);
  if (ulen == 0) return;
  const zero = load<u16>(uh + 6) == 0;
  if (!lite) {
    cscov = ulen;
    partialCov = false;
  } else {
    if (!udpliteCoverage(uh, avail)) {
      csumLate = false;
      csumError(q, data, mib, NDROP_UDP_CSUM);
      return;
    }
  }
  // udp6_csum_init: a zero checksum passes here (RFC 6936: the socket decides); the rest as IPv4's
  csumLate = false;
  if (!zero && csumBadNow(csumOk6(data, uh, cscov, ulen, proto), ulen)) {
    csumError(q, data, mib, NDROP_UDP_CSUM);
    return;
  }
  const saddr = data + IP6H_SADDR;
  const daddr = data + IP6H_DADDR;
  const r = l4Root();
  const t = r == 0 ? 0 : udpTables(r, proto);
  // udp_v6_early_demux ran before routing (`demux`: a PACKET_HOST frame — to our MAC, even to a group —
  // whose fixed header's next header is UDP; not what lo brings back, which keeps its dst; the receiving
  // device's index): a connected socket it found takes the datagram as unicast (udp6_demux_lookup). It
  // has no PACKET_MULTICAST path (IPv4's __udp4_lib_mcast_demux_lookup, udp_rcv above, has no IPv6 twin):
  // a frame to a group's MAC always reaches __udp6_lib_mcast_deliver
  let sk: u32 = 0;
  if (t != 0 && demux && !lite && ifindex != LOOPBACK_IFINDEX && load<u32>(t + TB_CONNECTED) != 0) {
    sk = udp6_demux_lookup(t, saddr, ldBe16(uh), daddr, ldBe16(uh + 2), ifindex);
  }
  if (!unicast && sk == 0) {
    mcastDeliver(true, t, q, data, off + ulen, uh, ulen, saddr, daddr, ifindex, mib, zero);
    return;
  }
  const dif = loopbackIif(ifindex); // inet6_iif: a datagram this host sent itself, its local route's device
  if (sk == 0 && t != 0) sk = udp6_lib_lookup(t, proto, saddr, ldBe16(uh), daddr, ldBe16(uh + 2), dif, uh, ulen);
  if (sk != 0) {
    // RFC 8200 8.1: a zero UDP checksum over IPv6 is an error unless the socket allows it (RFC 6936)
    if (zero) {
      csumError(q, data, mib, NDROP_UDP_CSUM);
      return;
    }
    queueRcv(sk, q, data, uh, ulen, dif, mib);
    return;
  }
  if (zero) {
    csumError(q, data, mib, NDROP_NO_SOCKET);
    return;
  }
  if (csumLate) {
    csumError(q, data, mib, NDROP_UDP_CSUM);
    return;
  }
  mibInc(mib + UDP_MIB_NOPORTS);
  // quoted as pskb_trim_rcsum left the skb (a UDP datagram ends at its length field)
  icmpv6_send(ifindex, data, lite ? len : off + ulen, ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH, 0);
  netFree(q, data);
  netDrop(NDROP_NO_SOCKET);
}

@inline function eq6(a: u32, b: u32): bool {
  return load<u64>(a) == load<u64>(b) && load<u64>(a + 8) == load<u64>(b + 8);
}

@inline function any6(a: u32): bool {
  return (load<u64>(a) | load<u64>(a + 8)) == 0;
}

/** __udp_v6_is_mcast_sock. */
@inline function mcastMatch6(sk: u32, hnum: u32, daddr: u32, sport: u32, saddr: u32, dif: u32): bool {
  if (<u32>load<u8>(sk + SK_FAMILY) != AF_INET6 || <u32>load<u16>(sk + SK_NUM) != hnum) return false;
  const pp = <u32>load<u16>(sk + SK_DPORT);
  if (pp != 0 && pp != sport) return false;
  if (!any6(sk + SK_DADDR) && !eq6(sk + SK_DADDR, saddr)) return false;
  if (!any6(sk + SK_RCV_SADDR) && !eq6(sk + SK_RCV_SADDR, daddr)) return false;
  const b = load<u32>(sk + SK_BOUND_DEV_IF);
  return (b == 0 || b == dif) && mcSockAllow6(load<u32>(sk + SKX_MCAST), daddr, saddr);
}

// ---- ICMP errors ----

/** icmp_err_convert: errno and fatal (bit 8) by destination-unreachable code. */
function unreachConvert(code: u32): u32 {
  switch (code) {
    case 0: return ENETUNREACH;
    case 1: return EHOSTUNREACH;
    case 2: return ENOPROTOOPT | 0x100;
    case 3: return ECONNREFUSED | 0x100;
    case 4: return EMSGSIZE;
    case 5: return EOPNOTSUPP;
    case 6: return ENETUNREACH | 0x100;
    case 7: return EHOSTDOWN | 0x100;
    case 8: return ENONET | 0x100;
    case 9: return ENETUNREACH | 0x100;
    case 10: return EHOSTUNREACH | 0x100;
    case 11: return ENETUNREACH;
    case 12: return EHOSTUNREACH;
    default: return EHOSTUNREACH | 0x100; // 13-15: filtered, precedence violation / cutoff
  }
}

/**
 * __udp4_lib_err: the ICMP error at `ic` (`ilen` bytes of ICMP, its quoted IP header at ic + 8 and at
 * least 8 bytes after it, as icmp_rcv checked) about a UDP / UDP-Lite datagram, received on `ifindex`.
 */
export function udp_err(ifindex: u32, ic: u32, ilen: u32): void {
  if (netRoot() == 0) return;
  const type = <u32>load<u8>(ic);
  const code = <u32>load<u8>(ic + 1);
  const inner = ic + 8;
  const ihl = (<u32>load<u8>(inner) & 0xf) << 2;
  if (ilen < 8 + ihl + 8) return;
  const proto = <u32>load<u8>(inner + 9);
  const uh = inner + ihl;
  const r = l4Root();
  const t = r == 0 ? 0 : udpTables(r, proto);
  // the datagram we sent: our address is its source; look it up as if it were coming back
  const sk = t == 0 ? 0 : udp4_lib_lookup(t, proto, load<u32>(inner + IPH_DADDR), ldBe16(uh + 2), load<u32>(inner + IPH_SADDR), ldBe16(uh), ifindex, 0, 0);
  if (sk == 0) {
    mibInc(MIB_ICMP_IN_ERRORS);
    return;
  }
  let err: u32 = 0;
  let hard = false;
  if (type == 4) return; // source quench
  if (type == 12) {
    err = EPROTO;
    hard = true;
  } else if (type == 3) {
    if (code == 4) {
      udpPmtuLearn4(sk, ic, inner); // the path MTU lowered for the next sends (udp_pmtu.ts)
      if (<u32>load<u8>(sk + SK_PMTUDISC) == 0) return; // IP_PMTUDISC_DONT
      err = EMSGSIZE;
      hard = true;
    } else {
      const c = unreachConvert(code);
      err = c & 0xff;
      hard = (c & 0x100) != 0;
    }
  } else if (type == 5) return; // redirect
  else err = EHOSTUNREACH; // time exceeded and the rest
  if (!hard || <u32>load<u8>(sk + SK_STATE) != TCP_ESTABLISHED) return;
  skErrReport(sk, err);
}

/**
 * __udp6_lib_err: the ICMPv6 error at `ic` (`ilen` bytes), its quoted IPv6 header at ic + 8 and the
 * UDP header at `uh` (found past any extension headers by the caller); `proto` the quoted upper layer.
 */
export function udpv6_err(ifindex: u32, ic: u32, uh: u32, proto: u32): void {
  if (netRoot() == 0) return;
  const type = <u32>load<u8>(ic);
  const code = <u32>load<u8>(ic + 1);
  const inner = ic + 8;
  const r = l4Root();
  const t = r == 0 ? 0 : udpTables(r, proto);
  const sk = t == 0 ? 0 : udp6_lib_lookup(t, proto, inner + IP6H_DADDR, ldBe16(uh + 2), inner + IP6H_SADDR, ldBe16(uh), ifindex, 0, 0);
  if (sk == 0) {
    mibInc(MIB_ICMP6_IN_ERRORS);
    return;
  }
  let err: u32 = EPROTO;
  let hard = false;
  if (type == 1) {
    hard = true;
    if (code == 0) { err = ENETUNREACH; hard = false; }
    else if (code == 1) err = EACCES;
    else if (code == 2 || code == 3) { err = EHOSTUNREACH; hard = false; }
    else if (code == 4) err = ECONNREFUSED;
    else if (code == 5 || code == 6) err = EACCES;
  } else if (type == 2) {
    if (!udpPmtuLearn6(sk, ic, inner)) return; // IPV6_PMTUDISC_INTERFACE / OMIT: not even reported
    err = EMSGSIZE;
    if (<u32>load<u8>(sk + SK_PMTUDISC6) != 0) hard = true; // np->pmtudisc
  } else if (type == 4) {
    hard = true;
  } else if (type == 3) err = EHOSTUNREACH;
  if (!hard || <u32>load<u8>(sk + SK_STATE) != TCP_ESTABLISHED) return;
  skErrReport(sk, err);
}

