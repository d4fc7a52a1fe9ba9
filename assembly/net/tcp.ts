// TCP receive without TCP sockets: tcp_v4_rcv / tcp_v6_rcv up to the lookup, which finds no listener,
// and the reset the kernel answers with (tcp_v4_send_reset / tcp_v6_send_reset with no socket).
//
//   not for this host alone (broadcast, multicast)      dropped, NOT_SPECIFIED (not counted as a segment)
//   every other segment                                 Tcp:InSegs ("count it even if it's bad")
//   shorter than 20 bytes, or than its data offset      dropped, NOT_SPECIFIED (pskb_may_pull fails)
//   data offset under 5                                 Tcp:InErrs, PKT_TOO_SMALL
//   checksum wrong (RFC 9293 3.1 pseudo-header)         Tcp:InCsumErrors, Tcp:InErrs, TCP_CSUM
//   no socket: a reset unless the segment is one        Tcp:OutSegs, Tcp:OutRsts; dropped NO_SOCKET
//
// The reset (RFC 9293 3.10.7.1, the kernel's arithmetic): a 20-byte header with the ports swapped and
// RST set; when the segment had ACK, SEQ = its acknowledgment number and no ACK; else ACK set with
// SEQ 0 and ACK = SEG.SEQ + SYN + FIN + data length. Window 0, no options (no MD5/AO keys here).
// IPv4 (ip_send_unicast_reply from the per-cpu control socket): source = the segment's destination,
// TOS = the segment's with the ECN bits cleared, TTL = ip_default_ttl, DF set and IP ID 0 (a DF datagram
// of a socket with no peer gets ID 0 in ip_select_ident). IPv6 (tcp_v6_send_response): the traffic class
// of the segment without ECN, the route's hop limit, flow label 0 (the kernel's is a salted flow hash
// unless it reflects: compare it masked). A segment from one of our own addresses (accept_local, or any
// IPv6 source) is answered through lo: the route back is local, and the reset comes in again there.
//
// Reads: the segment, the FIB (the route back). Sets: Tcp MIBs, drops; a new frame for the reset.
// Next: ip_send_skb / ip6_send_skb toward the segment's source, or a drop.

import { frameAlloc } from '../umem';
import { copyBytes } from '../bytes';
import { XDP_PACKET_HEADROOM } from '../abi';
import { mibInc, netDrop, netFree, netdevGet, netScratch, sysctl } from './core';
import {
  FR_OIF, MIB_TCP_IN_CSUM_ERRORS, MIB_TCP_IN_ERRS, MIB_TCP_IN_SEGS, MIB_TCP_OUT_RSTS, MIB_TCP_OUT_SEGS,
  NDROP_NO_SOCKET, NDROP_NO_TX_TARGET, NDROP_NOMEM, NDROP_NOT_SPECIFIED, NDROP_PKT_TOO_SMALL, NDROP_TCP_CSUM, SCR_L4,
  SYSCTL_IP_DEFAULT_TTL, ND_CONF6, CONF6_HOP_LIMIT,
} from './abi';
import { csumAdd, csumFinish, csumFold16, csumIpv6Pseudo, ipSendCheck } from './csum';
import { IPH_DADDR, IPH_SADDR, IPH_TOS, IPPROTO_TCP, IP6H_DADDR, IP6H_SADDR, PACKET_HOST, ipv6Copy, ldBe16, ldBe32, stBe16, stBe32 } from './inet';
import { rx4PktType } from './ipv4_rcv';
import { RTCF_BROADCAST, RTCF_MULTICAST, echoLen, replyOptionsBuild, replyOptionsEcho } from './icmp';
import { ip_route_output, ip_send_skb, ip6_route_output, ip6_send_skb, OUT_RES, outSrc4 } from './output';

const TH_FIN: u32 = 0x01;
const TH_SYN: u32 = 0x02;
const TH_RST: u32 = 0x04;
const TH_ACK: u32 = 0x10;

/** Checks common to both families; the data offset's byte count, or 0 when dropped (counted). */
function tcpChecks(q: u32, data: u32, th: u32, tlen: u32, sum: u64): u32 {
  mibInc(MIB_TCP_IN_SEGS);
  if (tlen < 20) {
    netFree(q, data);
    netDrop(NDROP_NOT_SPECIFIED);
    return 0;
  }
  const doff = (<u32>load<u8>(th + 12) >> 4) << 2;
  if (doff < 20) {
    mibInc(MIB_TCP_IN_ERRS);
    netFree(q, data);
    netDrop(NDROP_PKT_TOO_SMALL);
    return 0;
  }
  if (doff > tlen) {
    netFree(q, data);
    netDrop(NDROP_NOT_SPECIFIED);
    return 0;
  }
  if (csumFold16(csumAdd(th, tlen, sum)) != 0xffff) {
    mibInc(MIB_TCP_IN_CSUM_ERRORS);
    mibInc(MIB_TCP_IN_ERRS);
    netFree(q, data);
    netDrop(NDROP_TCP_CSUM);
    return 0;
  }
  return doff;
}

/** The reset's TCP header at `r` answering the segment at `th` (`tlen` bytes, `doff` of header). */
export function buildRst(r: u32, th: u32, tlen: u32, doff: u32): void {
  const flags = <u32>load<u8>(th + 13);
  store<u16>(r, load<u16>(th + 2)); // source = their destination port
  store<u16>(r + 2, load<u16>(th));
  store<u64>(r + 4, 0); // seq, ack
  store<u64>(r + 12, 0); // offset, flags, window, checksum, urgent... (zeroed; the rest below)
  if ((flags & TH_ACK) != 0) {
    store<u32>(r + 4, load<u32>(th + 8));
    store<u8>(r + 13, <u8>TH_RST);
  } else {
    const syn: u32 = (flags & TH_SYN) != 0 ? 1 : 0;
    const fin: u32 = (flags & TH_FIN) != 0 ? 1 : 0;
    stBe32(r + 8, ldBe32(th + 4) + syn + fin + tlen - doff);
    store<u8>(r + 13, <u8>(TH_RST | TH_ACK));
  }
  store<u8>(r + 12, 5 << 4);
}

/** tcp_v4_rcv with no socket for the local datagram at `data` (`len` bytes, `hlen` header). Takes the frame. */
export function tcp_v4_rcv(ifindex: u32, q: u32, data: u32, len: u32, hlen: u32, rtFlags: u32): void {
  // tcp_v4_rcv: a segment that did not come to this host's MAC (an L2 broadcast or multicast, even
  // to one of our unicast addresses) is discarded before anything counts it
  if (rx4PktType != PACKET_HOST || (rtFlags & (RTCF_BROADCAST | RTCF_MULTICAST)) != 0) {
    netFree(q, data);
    netDrop(NDROP_NOT_SPECIFIED);
    return;
  }
  const th = data + hlen;
  const tlen = len - hlen;
  const sum: u64 = <u64>load<u32>(data + IPH_SADDR) + <u64>load<u32>(data + IPH_DADDR) + <u64>bswap<u32>(tlen) + <u64>bswap<u32>(IPPROTO_TCP);
  const doff = tcpChecks(q, data, th, tlen, sum);
  if (doff == 0) return;
  if ((<u32>load<u8>(th + 13) & TH_RST) == 0) sendReset4(data, th, tlen, doff);
  netFree(q, data);
  netDrop(NDROP_NO_SOCKET);
}

/** A frame for the reset out of the route's device `nd` (its L3 start), 0 when there is none (counted). */
export function replyFrame(nd: u32): u32 {
  if (nd == 0) {
    netDrop(NDROP_NO_TX_TARGET);
    return 0;
  }
  const f = frameAlloc();
  if (f == 0) {
    netDrop(NDROP_NOMEM);
    return 0;
  }
  return f + XDP_PACKET_HEADROOM;
}

function sendReset4(data: u32, th: u32, tlen: u32, doff: u32): void {
  const saddr = load<u32>(data + IPH_SADDR);
  const daddr = load<u32>(data + IPH_DADDR);
  const tos = <u32>load<u8>(data + IPH_TOS) & ~3;
  // ip_send_unicast_reply: the segment's IP options echoed (__ip_options_echo) before the route; an
  // option without room for what it asked sends nothing
  const hlen = th - data;
  const eb = hlen > 20 ? replyOptionsEcho(data, hlen) : 0;
  if (hlen > 20 && eb == 0) return;
  const olen = hlen > 20 ? echoLen : 0;
  // ip_send_unicast_reply: a segment from one of our own addresses (accept_local) is answered through lo;
  // the flow key holds the reset's ports (flowi4_init_output: dport the segment's source), which a
  // multipath hash over L4 and a rule's port ranges read
  if (!ip_route_output(saddr, daddr, tos, IPPROTO_TCP, 0, 0, true, load<u16>(th + 2), load<u16>(th), 0)) return;
  const nd = netdevGet(load<u32>(OUT_RES(), FR_OIF));
  const p = replyFrame(nd);
  if (p == 0) return;
  store<u8>(p, <u8>(0x40 | ((20 + olen) >> 2)));
  store<u8>(p + 1, <u8>tos);
  stBe16(p + 2, 40 + olen);
  store<u16>(p + 4, 0); // ID 0: DF and no connected peer (ip_select_ident)
  stBe16(p + 6, 0x4000);
  store<u8>(p + 8, <u8>sysctl(SYSCTL_IP_DEFAULT_TTL));
  store<u8>(p + 9, <u8>IPPROTO_TCP);
  store<u32>(p + IPH_SADDR, daddr);
  store<u32>(p + IPH_DADDR, saddr);
  if (olen > 0) {
    copyBytes(p + 20, eb, olen);
    replyOptionsBuild(p, daddr);
  }
  ipSendCheck(p, 20 + olen);
  const r = p + 20 + olen;
  buildRst(r, th, tlen, doff);
  const sum: u64 = <u64>daddr + <u64>saddr + <u64>bswap<u32>(20) + <u64>bswap<u32>(IPPROTO_TCP);
  store<u16>(r + 16, <u16>csumFinish(csumAdd(r, 20, sum)));
  mibInc(MIB_TCP_OUT_SEGS);
  mibInc(MIB_TCP_OUT_RSTS);
  // LOCAL_OUT's hooks (conntrack: the reset is its connection's reply, NAT'd back at POST_ROUTING)
  ip_send_skb(0, p, 40 + olen);
}

/** tcp_v6_rcv with no socket: the segment at `data + off`. Takes the frame. */
export function tcp_v6_rcv(ifindex: u32, q: u32, data: u32, len: u32, off: u32, unicast: bool): void {
  if (!unicast) {
    netFree(q, data);
    netDrop(NDROP_NOT_SPECIFIED);
    return;
  }
  const th = data + off;
  const tlen = len - off;
  const doff = tcpChecks(q, data, th, tlen, csumIpv6Pseudo(data + IP6H_SADDR, data + IP6H_DADDR, tlen, IPPROTO_TCP));
  if (doff == 0) return;
  if ((<u32>load<u8>(th + 13) & TH_RST) == 0) sendReset6(ifindex, data, th, tlen, doff);
  netFree(q, data);
  netDrop(NDROP_NO_SOCKET);
}

function sendReset6(ifindex: u32, data: u32, th: u32, tlen: u32, doff: u32): void {
  // the route back from our address (the segment's destination) to its source
  const dst = netScratch() + SCR_L4 + 48;
  const src = dst + 16;
  ipv6Copy(dst, data + IP6H_SADDR);
  ipv6Copy(src, data + IP6H_DADDR);
  const stype = <u32>load<u8>(dst) == 0xfe && (<u32>load<u8>(dst + 1) & 0xc0) == 0x80;
  // tcp_v6_send_response's ip6_dst_lookup_flow: to one of our own addresses through lo; the reset's
  // ports in the flow key (fl6_sport = t1->source), as for IPv4
  if (!ip6_route_output(dst, src, IPPROTO_TCP, 0, 0, stype ? ifindex : 0, false, true, load<u16>(th + 2), load<u16>(th), 0)) return;
  const nd = netdevGet(load<u32>(OUT_RES(), FR_OIF));
  const p = replyFrame(nd);
  if (p == 0) return;
  const tclass = ((ldBe16(data) >> 4) & 0xff) & ~3;
  stBe32(p, 0x60000000 | (tclass << 20));
  stBe16(p + 4, 20);
  store<u8>(p + 6, <u8>IPPROTO_TCP);
  store<u8>(p + 7, <u8>load<u32>(nd + ND_CONF6 + (CONF6_HOP_LIMIT << 2)));
  ipv6Copy(p + IP6H_SADDR, src);
  ipv6Copy(p + IP6H_DADDR, dst);
  const r = p + 40;
  buildRst(r, th, tlen, doff);
  store<u16>(r + 16, <u16>csumFinish(csumAdd(r, 20, csumIpv6Pseudo(src, dst, 20, IPPROTO_TCP))));
  mibInc(MIB_TCP_OUT_SEGS);
  mibInc(MIB_TCP_OUT_RSTS);
  ip6_send_skb(0, p, 60);
}
