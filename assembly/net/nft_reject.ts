// nft's reject statement (net/netfilter/nft_reject_inet.c and nf_reject_ipv4.c / nf_reject_ipv6.c): an
// ICMP destination unreachable through icmp_send / icmpv6_send, or a TCP reset built here, before the
// packet is dropped.
//
//   ICMP_UNREACH (type 0) with an ICMP or ICMPv6 code, by the packet's family
//   TCP_RST (type 1)      nf_send_reset / nf_send_reset6: nothing for a later fragment, a segment that is
//                         not TCP, has RST set or fails its checksum; IPv4: TOS 0, ID 0, DF, TTL the
//                         route's (ip_default_ttl); IPv6: traffic class and flow label 0, the output
//                         device's hop limit (ip6_dst_hoplimit: wxdp's routes carry no RTAX_HOPLIMIT metric,
//                         `ip route … hoplimit` is refused); the TCP header as tcp_v4_send_reset's arithmetic
//                         (tcp.ts buildRst: SEQ = the ACK number with ACK set, else ACK = SEQ + SYN +
//                         FIN + data length); the segment's connection goes to CLOSE (nf_ct_set_closing)
//   ICMPX_UNREACH (type 2) an icmpx code mapped to the family's (nft_reject_icmp_code / icmpv6_code)
//
// The unreachables are sent only when the L4 checksum is right where the protocol has one
// (nf_reject_verify_csum: a UDP datagram with checksum 0 needs none; AH, ESP, SCTP, UDP-Lite, DCCP are
// not checked), nor for a later IPv4 fragment.
//
// Reads: the hook state (data, len, thoff, l4proto, iif). Sets: a new frame for the reset (counted in no
// Tcp: MIB: nf_send_reset is not TCP's; its IPv6 one in no Ip6:OutRequests either, ip6_local_out
// directly). Next: icmp_send / icmpv6_send, or ip_send_skb / ip6_local_out for the reset.

import { netDrop, netdevGet } from './core';
import { frameAlloc } from '../umem';
import { XDP_PACKET_HEADROOM } from '../abi';
import { ipv6SkipExthdr, skipFragOff, skipNexthdr } from './ipv6_rcv';
import { nftFwdOwnNow } from './nft_hooks';
import {
  NDROP_NOMEM, NFS_DATA, NFS_IIF, NFS_L4PROTO, NFS_LEN, NFS_MAC, NFS_PF, NFS_PROTO, NFS_THOFF, CONF6_HOP_LIMIT, FR_OIF, ND_CONF6,
  SYSCTL_IP_DEFAULT_TTL, SYSCTL_IPV6_ALL_HOP_LIMIT,
} from './abi';
import { sysctl } from './core';
import { csumAdd, csumFinish, csumFold16, csumIpv6Pseudo, ipSendCheck } from './csum';
import {
  IPH_DADDR, IPH_FRAG_OFF, IPH_SADDR, IPPROTO_AH, IPPROTO_ESP, IPPROTO_SCTP, IPPROTO_TCP,
  IPPROTO_UDP, IPPROTO_UDPLITE, IP6H_DADDR, IP6H_SADDR, IP_OFFSET, ipv6Copy, ldBe16, stBe16, stBe32,
} from './inet';
import { ICMP_DEST_UNREACH, ICMPV6_DEST_UNREACH, icmp_send, icmpv6_send } from './icmp';
import { ip_route_output, ip_send_skb, ip6_local_out, ip6_route_output, OUT_RES } from './output';
import { fib4_local_type } from './fib';
import { buildRst, replyFrame } from './tcp';
import { nf_ct_attach, nf_ct_set_closing } from './netfilter';
import { RTN_BROADCAST, RTN_MULTICAST } from './abi';

export const NFT_REJECT_ICMP_UNREACH: u32 = 0;
export const NFT_REJECT_TCP_RST: u32 = 1;
export const NFT_REJECT_ICMPX_UNREACH: u32 = 2;

const TH_RST: u32 = 0x04;
const IPPROTO_GRE: u32 = 47;

// icmpx codes (NFT_REJECT_ICMPX_*) → ICMP / ICMPv6 codes
const ICMPX_TO_ICMP: StaticArray<u8> = [0, 3, 1, 13]; // NET_UNREACH, PORT_UNREACH, HOST_UNREACH, PKT_FILTERED
const ICMPX_TO_ICMPV6: StaticArray<u8> = [0, 4, 3, 1]; // NOROUTE, PORT_UNREACH, ADDR_UNREACH, ADM_PROHIBITED

/**
 * nf_reject_verify_csum (include/net/netfilter/nf_reject.h, Linux 6.18): does the protocol's whole payload carry a
 * one's complement checksum? Not GRE (optional), AH, ESP, SCTP (their own checks), UDP-Lite (partial); DCCP left
 * the list with DCCP itself (6.16): verified like any other.
 */
function verifyCsum(l4: u32, avail: u32, proto: u32): bool {
  if (proto == IPPROTO_UDP) return avail < 8 || load<u16>(l4, 6) != 0;
  if (proto == IPPROTO_GRE || proto == IPPROTO_AH || proto == IPPROTO_ESP || proto == IPPROTO_SCTP || proto == IPPROTO_UDPLITE) return false;
  return true;
}

/** nf_ip_checksum over the IPv4 payload: TCP and UDP with their pseudo-header, others plain. */
function csumOk4(data: u32, hlen: u32, len: u32, proto: u32): bool {
  const l4len = len - hlen;
  let seed: u64 = 0;
  if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
    seed = <u64>load<u32>(data + IPH_SADDR) + <u64>load<u32>(data + IPH_DADDR) + <u64>bswap<u32>(l4len) + <u64>bswap<u32>(proto);
  }
  return csumFold16(csumAdd(data + hlen, l4len, seed)) == 0xffff;
}

function csumOk6(data: u32, thoff: u32, len: u32, proto: u32): bool {
  const l4len = len - thoff;
  return csumFold16(csumAdd(data + thoff, l4len, csumIpv6Pseudo(data + IP6H_SADDR, data + IP6H_DADDR, l4len, proto))) == 0xffff;
}

function sendReset4(data: u32, len: u32, hlen: u32): void {
  if ((ldBe16(data + IPH_FRAG_OFF) & IP_OFFSET) != 0) return;
  if (<u32>load<u8>(data, 9) != IPPROTO_TCP || len < hlen + 20) return;
  const th = data + hlen;
  const tlen = len - hlen;
  const doff = (<u32>load<u8>(th + 12) >> 4) << 2;
  if ((<u32>load<u8>(th + 13) & TH_RST) != 0) return;
  if (!csumOk4(data, hlen, len, IPPROTO_TCP)) return;
  const saddr = load<u32>(data + IPH_SADDR);
  const daddr = load<u32>(data + IPH_DADDR);
  // no reset for a segment that came to a broadcast or multicast address (its route's RTCF_BROADCAST | RTCF_MULTICAST)
  const t = fib4_local_type(daddr, 0);
  if (t == RTN_BROADCAST || t == RTN_MULTICAST || (daddr & 0xf0) == 0xe0 || daddr == 0xffffffff) return;
  // ip_route_me_harder: a segment from one of our own addresses (a PRE_ROUTING reject sees it before
  // the martian check) is answered through lo. Its flow key sets no protocol and no ports (only
  // fib4_rules_early_flow_dissect would, for rules that match them): the multipath hash reads 0 there
  if (!ip_route_output(saddr, daddr, 0, 0, 0, 0, true, 0, 0, 0)) return;
  const nd = netdevGet(load<u32>(OUT_RES(), FR_OIF));
  const p = replyFrame(nd);
  if (p == 0) return;
  store<u8>(p, 0x45);
  store<u8>(p + 1, 0); // nf_reject_iphdr_put: tos 0
  stBe16(p + 2, 40);
  store<u16>(p + 4, 0); // id 0
  stBe16(p + 6, 0x4000); // DF
  store<u8>(p + 8, <u8>sysctl(SYSCTL_IP_DEFAULT_TTL)); // ip4_dst_hoplimit without a hoplimit metric
  store<u8>(p + 9, <u8>IPPROTO_TCP);
  store<u16>(p + 10, 0);
  store<u32>(p + IPH_SADDR, daddr);
  store<u32>(p + IPH_DADDR, saddr);
  ipSendCheck(p, 20);
  const r = p + 20;
  buildRst(r, th, tlen, doff);
  const sum: u64 = <u64>daddr + <u64>saddr + <u64>bswap<u32>(20) + <u64>bswap<u32>(IPPROTO_TCP);
  store<u16>(r + 16, <u16>csumFinish(csumAdd(r, 20, sum)));
  // ip_local_out: LOCAL_OUT's hooks (conntrack: the reset is its connection's reply, NAT'd back at POST_ROUTING)
  nf_ct_attach(p, data, len); // nf_send_reset: the reset is its connection's reply
  nf_ct_set_closing(data, len);
  ip_send_skb(0, p, 40);
}

function sendReset6(data: u32, len: u32, thoff: u32, l4proto: u32, iif: u32, scratch: u32): void {
  if (thoff == 0 || l4proto != IPPROTO_TCP || len < thoff + 20) return;
  const th = data + thoff;
  const tlen = len - thoff;
  const doff = (<u32>load<u8>(th + 12) >> 4) << 2;
  if ((<u32>load<u8>(th + 13) & TH_RST) != 0) return;
  if (!csumOk6(data, thoff, len, IPPROTO_TCP)) return;
  const dst = scratch;
  const src = scratch + 16;
  ipv6Copy(dst, data + IP6H_SADDR);
  ipv6Copy(src, data + IP6H_DADDR);
  const linkLocal = <u32>load<u8>(dst) == 0xfe && (<u32>load<u8>(dst + 1) & 0xc0) == 0x80;
  // nf_send_reset6's flow: TCP with the reset's ports (the segment's, swapped), which the multipath
  // hash reads; a local one through lo
  if (!ip6_route_output(dst, src, IPPROTO_TCP, 0, 0, linkLocal ? iif : 0, false, true, load<u16>(th + 2), load<u16>(th), 0)) return;
  const nd = netdevGet(load<u32>(OUT_RES(), FR_OIF));
  const p = replyFrame(nd);
  if (p == 0) return;
  stBe32(p, 0x60000000); // ip6_flow_hdr(ip6h, 0, 0)
  stBe16(p + 4, 20);
  store<u8>(p + 6, <u8>IPPROTO_TCP);
  store<u8>(p + 7, <u8>load<u32>(nd + ND_CONF6 + (CONF6_HOP_LIMIT << 2)));
  ipv6Copy(p + IP6H_SADDR, src);
  ipv6Copy(p + IP6H_DADDR, dst);
  const r = p + 40;
  buildRst(r, th, tlen, doff);
  store<u16>(r + 16, <u16>csumFinish(csumAdd(r, 20, csumIpv6Pseudo(src, dst, 20, IPPROTO_TCP))));
  nf_ct_attach(p, data, len); // nf_send_reset6: the reset is its connection's reply
  nf_ct_set_closing(data, len);
  ip6_local_out(0, p, 60);
}

function unreach4(st: u32, data: u32, len: u32, hlen: u32, code: u32): void {
  if ((ldBe16(data + IPH_FRAG_OFF) & IP_OFFSET) != 0) return;
  const proto = <u32>load<u8>(data, 9);
  if (verifyCsum(data + hlen, len - hlen, proto) && !csumOk4(data, hlen, len, proto)) return;
  icmp_send(load<u32>(st, NFS_IIF), data, len, ICMP_DEST_UNREACH, code, 0);
}

function unreach6(st: u32, data: u32, len: u32, code: u32): void {
  const thoff = load<u32>(st, NFS_THOFF);
  if (thoff == 0 || thoff >= len) return; // ipv6_skip_exthdr failed or a later fragment
  const proto = <u32>load<u8>(st, NFS_L4PROTO);
  if (verifyCsum(data + thoff, len - thoff, proto) && !csumOk6(data, thoff, len, proto)) return;
  icmpv6_send(load<u32>(st, NFS_IIF), data, len, ICMPV6_DEST_UNREACH, code, 0);
}

/** nft_reject_inet_eval: answer the packet of hook state `st`; the caller drops it. */
export function nftReject(st: u32, type: u32, code: u32, scratch: u32): void {
  const data = load<u32>(st, NFS_DATA);
  const len = load<u32>(st, NFS_LEN);
  const v6 = <u32>load<u8>(st, NFS_PF) == 10;
  if (!v6 && len < 20) return;
  const hlen = (<u32>load<u8>(data) & 0xf) << 2;
  if (type == NFT_REJECT_TCP_RST) {
    if (v6) sendReset6(data, len, load<u32>(st, NFS_THOFF), <u32>load<u8>(st, NFS_L4PROTO), load<u32>(st, NFS_IIF), scratch);
    else sendReset4(data, len, hlen);
    return;
  }
  if (type == NFT_REJECT_ICMPX_UNREACH) {
    if (code > 3) return;
    code = v6 ? <u32>ICMPX_TO_ICMPV6[code] : <u32>ICMPX_TO_ICMP[code];
  }
  if (v6) unreach6(st, data, len, code);
  else unreach4(st, data, len, hlen, code);
}

// ---- The netdev family (net/netfilter/nft_reject_netdev.c, at ingress only: its validate refuses egress, that of a
// chain jumps reach too — src/control/nft.ts netdevRejectAtEgress) ----
//
// The answer is built from the frame as nf_reject_skb_v4_* / _v6_* build it — no route, no neighbour: the Ethernet
// header swaps the frame's addresses (the source is the MAC the frame was sent to, whatever the device's own), the
// type is skb->protocol's — and leaves by the device the frame came in on through dev_queue_xmit, from inside the rule
// (nft_hooks.ts nftFwdOwnNow: after what the hook's earlier rules fwd'd or dup'd; its egress chains see it), untagged whatever tag the frame had (the tag was in skb->vlan_tci, which the new skb has not). Nothing for
// a frame sent to a broadcast or multicast MAC, nor for another protocol than IPv4 / IPv6 (dropped all the same).
// IPv4: TTL net.ipv4.ip_default_ttl, TOS 0, ID 0, DF. IPv6: hop limit net.ipv6.conf.all.hop_limit (devconf_all's: no
// route is looked up, so neither a route's hoplimit metric nor the device's own hop_limit counts — Linux 6.18, measured),
// traffic class and flow label 0. The checks see skb->len at ingress — the frame after its
// Ethernet header (and outer tag), padding included — which gives the kernel's quirks (Linux 6.18, measured): the
// ICMP quote takes min(536, that) bytes, padding included, though the checksum was verified over tot_len only
// (pskb_trim_rcsum comes after the quote's length); a reset's checksum is verified over all of it, so a padded
// segment gets none; the IPv4 checksum check (nf_ip_checksum over the skb from its network header) takes the IP
// header in, which no ip_rcv has checked yet: a bad header checksum gets no answer.

const NF_REJECT_QUOTE4: u32 = 536;
const NF_REJECT_QUOTE6: u32 = 1220;

/** __skb_checksum_complete over `n` bytes from the network header (`data`) with nf_ip_checksum's pseudo-header. */
function csumWhole4(data: u32, n: u32, hlen: u32, proto: u32): bool {
  let seed: u64 = 0;
  if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
    seed = <u64>load<u32>(data + IPH_SADDR) + <u64>load<u32>(data + IPH_DADDR) + <u64>bswap<u32>(n - hlen) + <u64>bswap<u32>(proto);
  }
  return csumFold16(csumAdd(data, n, seed)) == 0xffff;
}

/** A new frame for an answer of `l3len` bytes with the Ethernet header nft_reject_queue_xmit writes; its L3 address, 0 when none. */
function netdevAnswer(mac: u32, type: u16): u32 {
  const f = frameAlloc();
  if (f == 0) {
    netDrop(NDROP_NOMEM);
    return 0;
  }
  const e = f + XDP_PACKET_HEADROOM;
  memory.copy(e, mac + 6, 6); // the frame's source is the destination
  memory.copy(e + 6, mac, 6);
  store<u16>(e + 12, type);
  return e + 14;
}

@inline function netdevSend(p: u32, l3len: u32, ifindex: u32): void {
  nftFwdOwnNow(p - 14, l3len + 14, ifindex);
}

/** nf_reject_iphdr_put: the answer's IPv4 header (tot_len `tot`). */
function iphdrPut(p: u32, data: u32, proto: u32, tot: u32): void {
  store<u8>(p, 0x45);
  store<u8>(p + 1, 0);
  stBe16(p + 2, tot);
  store<u16>(p + 4, 0);
  stBe16(p + 6, 0x4000);
  store<u8>(p + 8, <u8>sysctl(SYSCTL_IP_DEFAULT_TTL));
  store<u8>(p + 9, <u8>proto);
  store<u32>(p + IPH_SADDR, load<u32>(data + IPH_DADDR));
  store<u32>(p + IPH_DADDR, load<u32>(data + IPH_SADDR));
  ipSendCheck(p, 20);
}

/** nf_reject_ip6hdr_put. */
function ip6hdrPut(p: u32, data: u32, proto: u32, plen: u32): void {
  stBe32(p, 0x60000000);
  stBe16(p + 4, plen);
  store<u8>(p + 6, <u8>proto);
  store<u8>(p + 7, <u8>sysctl(SYSCTL_IPV6_ALL_HOP_LIMIT));
  ipv6Copy(p + IP6H_SADDR, data + IP6H_DADDR);
  ipv6Copy(p + IP6H_DADDR, data + IP6H_SADDR);
}

/**
 * nf_reject_iphdr_validate for the packet at `data` (skb->len `len`), and the check both IPv4 answers make
 * after it (no answer to a fragment past the first): the header's length, 0 when there is no answer.
 */
function ip4Valid(data: u32, len: u32): u32 {
  if (len < 20 || (<u32>load<u8>(data) >> 4) != 4) return 0;
  const hlen = (<u32>load<u8>(data) & 0xf) << 2;
  const tot = <u32>ldBe16(data + 2);
  if (hlen < 20 || tot > len || tot < hlen) return 0;
  if ((ldBe16(data + IPH_FRAG_OFF) & IP_OFFSET) != 0) return 0;
  return hlen;
}

/** The ICMP / ICMPv6 destination unreachable at `ic` quoting `q` bytes of `data`, its checksum from `seed`. */
function unreachPut(ic: u32, type: u32, code: u32, data: u32, q: u32, seed: u64): void {
  store<u8>(ic, <u8>type);
  store<u8>(ic + 1, <u8>code);
  store<u16>(ic + 2, 0);
  store<u32>(ic + 4, 0);
  memory.copy(ic + 8, data, q);
  store<u16>(ic + 2, <u16>csumFinish(csumAdd(ic, 8 + q, seed)));
}

/** nf_reject_skb_v4_unreach for the packet at `data`, skb->len `len`. */
function netdevUnreach4(mac: u32, data: u32, len: u32, code: u32, ifindex: u32): void {
  const hlen = ip4Valid(data, len);
  if (hlen == 0) return;
  const tot = <u32>ldBe16(data + 2);
  const proto = <u32>load<u8>(data, 9);
  // nf_skb_is_icmp_unreach reads the type at sizeof(struct iphdr), whatever the header's length
  if (proto == 1 && len > 20 && <u32>load<u8>(data + 20) == ICMP_DEST_UNREACH) return;
  const q = len < NF_REJECT_QUOTE4 ? len : NF_REJECT_QUOTE4;
  // the checksum over the packet trimmed to tot_len; the quote's length was taken before the trim
  if (verifyCsum(data + hlen, tot - hlen, proto) && !csumWhole4(data, tot, hlen, proto)) return;
  const p = netdevAnswer(mac, 0x0008);
  if (p == 0) return;
  iphdrPut(p, data, 1, 28 + q);
  unreachPut(p + 20, ICMP_DEST_UNREACH, code, data, q, 0);
  netdevSend(p, 28 + q, ifindex);
}

/** nf_reject_skb_v4_tcp_reset: the checksum and the acknowledged length over skb->len, not trimmed. */
function netdevReset4(mac: u32, data: u32, len: u32, ifindex: u32): void {
  const hlen = ip4Valid(data, len);
  if (hlen == 0) return;
  if (<u32>load<u8>(data, 9) != IPPROTO_TCP || len < hlen + 20) return;
  const th = data + hlen;
  if ((<u32>load<u8>(th + 13) & TH_RST) != 0) return;
  if (!csumWhole4(data, len, hlen, IPPROTO_TCP)) return;
  const p = netdevAnswer(mac, 0x0008);
  if (p == 0) return;
  iphdrPut(p, data, IPPROTO_TCP, 40);
  const r = p + 20;
  buildRst(r, th, len - hlen, (<u32>load<u8>(th + 12) >> 4) << 2);
  const sum: u64 = <u64>load<u32>(p + IPH_SADDR) + <u64>load<u32>(p + IPH_DADDR) + <u64>bswap<u32>(20) + <u64>bswap<u32>(IPPROTO_TCP);
  store<u16>(r + 16, <u16>csumFinish(csumAdd(r, 20, sum)));
  netdevSend(p, 40, ifindex);
}

/** nf_reject_ip6hdr_validate. */
@inline function ip6Valid(data: u32, len: u32): bool {
  return len >= 40 && (<u32>load<u8>(data) >> 4) == 6 && <u32>ldBe16(data + 4) + 40 <= len;
}

/** nf_reject_skb_v6_unreach (nf_reject_v6_csum_ok: trimmed to the payload length when it is not 0). */
function netdevUnreach6(mac: u32, data: u32, len: u32, code: u32, ifindex: u32): void {
  if (!ip6Valid(data, len)) return;
  const q = len < NF_REJECT_QUOTE6 ? len : NF_REJECT_QUOTE6;
  const plen = <u32>ldBe16(data + 4);
  const n = plen != 0 ? plen + 40 : len;
  const thoff = ipv6SkipExthdr(data, n, 40, <u32>load<u8>(data, 6));
  if (thoff < 0 || <u32>thoff >= n || (skipFragOff & ~(<u32>7)) != 0) return;
  const proto = skipNexthdr;
  // nf_skb_is_icmp6_unreach: no answer to a destination unreachable (a redirect is answered: Linux 6.18, measured)
  // unless it is in a fragment ("fo != 0": the whole frag_off field, a first fragment with MF too)
  if (proto == 58 && skipFragOff == 0 && <u32>thoff < n && <u32>load<u8>(data + <u32>thoff) == ICMPV6_DEST_UNREACH) return;
  if (verifyCsum(data + thoff, n - thoff, proto) && !csumOk6(data, thoff, n, proto)) return;
  const p = netdevAnswer(mac, 0xdd86);
  if (p == 0) return;
  ip6hdrPut(p, data, 58, 8 + q);
  unreachPut(p + 40, ICMPV6_DEST_UNREACH, code, data, q, csumIpv6Pseudo(p + IP6H_SADDR, p + IP6H_DADDR, 8 + q, 58));
  netdevSend(p, 48 + q, ifindex);
}

/** nf_reject_skb_v6_tcp_reset (nf_reject_ip6_tcphdr_get over skb->len, not trimmed; no fragment check). */
function netdevReset6(mac: u32, data: u32, len: u32, ifindex: u32): void {
  if (!ip6Valid(data, len)) return;
  const thoff = ipv6SkipExthdr(data, len, 40, <u32>load<u8>(data, 6));
  if (thoff < 0 || <u32>thoff > len) return;
  const tlen = len - <u32>thoff;
  if (skipNexthdr != IPPROTO_TCP || tlen < 20) return;
  const th = data + <u32>thoff;
  if ((<u32>load<u8>(th + 13) & TH_RST) != 0) return;
  if (!csumOk6(data, <u32>thoff, len, IPPROTO_TCP)) return;
  const p = netdevAnswer(mac, 0xdd86);
  if (p == 0) return;
  ip6hdrPut(p, data, IPPROTO_TCP, 20);
  const r = p + 40;
  buildRst(r, th, tlen, (<u32>load<u8>(th + 12) >> 4) << 2);
  store<u16>(r + 16, <u16>csumFinish(csumAdd(r, 20, csumIpv6Pseudo(p + IP6H_SADDR, p + IP6H_DADDR, 20, IPPROTO_TCP))));
  netdevSend(p, 60, ifindex);
}

/** nft_reject_netdev_eval: answer the frame of hook state `st` (a netdev ingress chain's); the caller drops it. */
export function nftRejectNetdev(st: u32, type: u32, code: u32): void {
  const mac = load<u32>(st, NFS_MAC);
  if ((<u32>load<u8>(mac) & 1) != 0) return; // is_broadcast_ether_addr || is_multicast_ether_addr
  const data = load<u32>(st, NFS_DATA);
  const len = load<u32>(st, NFS_LEN);
  const iif = load<u32>(st, NFS_IIF);
  const proto = <u32>load<u16>(st, NFS_PROTO); // eth->h_proto (behind an outer tag: the type after it)
  if (proto == 0x0008) {
    if (type == NFT_REJECT_TCP_RST) netdevReset4(mac, data, len, iif);
    else netdevUnreach4(mac, data, len, type == NFT_REJECT_ICMPX_UNREACH ? (code > 3 ? 0 : <u32>ICMPX_TO_ICMP[code]) : code, iif);
  } else if (proto == 0xdd86) {
    if (type == NFT_REJECT_TCP_RST) netdevReset6(mac, data, len, iif);
    else netdevUnreach6(mac, data, len, type == NFT_REJECT_ICMPX_UNREACH ? (code > 3 ? 0 : <u32>ICMPX_TO_ICMPV6[code]) : code, iif);
  }
}
