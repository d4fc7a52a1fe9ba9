// nf_tables' TCP option and route expressions (net/netfilter/nft_exthdr.c with NFT_EXTHDR_OP_TCPOPT, nft_rt.c): the
// option of a kind found by walking the TCP header's options, loaded into a register, tested for presence, or
// rewritten with the checksum updated (the MSS clamp: `tcp option maxseg size set rt mtu`); the packet's route's
// next hop, classid and MSS.
//
// Reads: the hook state (pf, hook, iif, oif, mark, data, len, thoff, l4proto), the FIB and learned path MTUs (dst.ts).
// Sets: the registers; a TCP option's bytes and the TCP checksum. Next: back to the evaluator (false: NFT_BREAK).

import { AF_INET, AF_INET6, FL_DST, FL_FAMILY, FL_IIF, FL_MARK, FL_SIZE, FL_SRC, FL_TOS, FR_GW, FR_GW_FAMILY, FR_OIF, LOOPBACK_IFINDEX, NFS_DATA, NFS_HOOK, NFS_IIF, NFS_L4PROTO, NFS_LEN, NFS_MARK, NFS_OIF, NFS_PF, NFS_PROTO, NFS_THOFF } from './abi';
import { netdevGet } from './core';
import { dst4_route, dst6_route, dst_pmtu } from './dst';
import { fib_flow_buf, fib_res_buf } from './fib';
import { routeMtu4, routeMtu6 } from './output';
import { csumReplace4 } from './nf_nat';
import { isExtHdr } from './reasm6';

const TCPOPT_NOP: u32 = 1;
const TCPOPT_MSS: u32 = 2;
const IPPROTO_TCP: u32 = 6;
const NF_INET_PRE_ROUTING: u32 = 0;
const NFT_RT_CLASSID: u32 = 0;
const NFT_RT_NEXTHOP4: u32 = 1;
const NFT_RT_NEXTHOP6: u32 = 2;
const NFT_RT_TCPMSS: u32 = 3;
const TCP_MSS_DEFAULT: u32 = 536;

/**
 * nft_tcp_header_pointer: the TCP header (its options after it) when the packet is TCP and not a later fragment, and
 * its length (doff × 4, at least 20, in the packet); 0 when not.
 */
function tcpHeader(st: u32): u32 {
  const th = load<u32>(st, NFS_THOFF);
  if (<u32>load<u8>(st, NFS_L4PROTO) != IPPROTO_TCP || th == 0) return 0;
  const len = load<u32>(st, NFS_LEN);
  if (th + 20 > len) return 0;
  const hl = (<u32>load<u8>(load<u32>(st, NFS_DATA) + th, 12) >> 4) << 2;
  if (hl < 20 || th + hl > len) return 0;
  return hl;
}

/**
 * The walk nft_exthdr_tcp_eval and _set_eval share: the offset in the header of the first option of `kind`, -1 when
 * there is none, -2 when it is malformed (it runs past the header, or is shorter than offset + len: NFT_BREAK). An
 * option of kind 0 or 1, or of length 0, counts one byte (optlen: "make finite progress"); the walk stops where fewer
 * than two bytes are left, so an option in the header's last byte is never found.
 */
function optFind(tcph: u32, hl: u32, kind: u32, off: u32, len: u32): i32 {
  let i: u32 = 20;
  while (i < hl - 1) {
    const k = <u32>load<u8>(tcph + i);
    const l = <u32>load<u8>(tcph + i + 1);
    const optl: u32 = k <= TCPOPT_NOP || l == 0 ? 1 : l;
    if (k == kind) {
      if (i + optl > hl || off + len > optl) return -2;
      return <i32>i;
    }
    i += optl;
  }
  return -1;
}

/**
 * nft_exthdr_tcp_eval: `len` bytes at `off` in the option of `kind` into `reg` (its last word zero-padded), or with
 * `present` (NFT_EXTHDR_F_PRESENT) one byte 1 / 0 — an absent, malformed or non-TCP packet's option is 0 then, NFT_BREAK
 * otherwise.
 */
export function nftExthdrTcp(st: u32, reg: u32, kind: u32, off: u32, len: u32, present: bool): bool {
  const hl = tcpHeader(st);
  const i = hl != 0 ? optFind(load<u32>(st, NFS_DATA) + load<u32>(st, NFS_THOFF), hl, kind, off, len) : -1;
  if (present) {
    store<u32>(reg, i >= 0 ? 1 : 0);
    return true;
  }
  if (i < 0) return false;
  if ((len & 3) != 0) store<u32>(reg + (len & ~3), 0);
  memory.copy(reg, load<u32>(st, NFS_DATA) + load<u32>(st, NFS_THOFF) + <u32>i + off, len);
  return true;
}

/**
 * ipv6_find_hdr (net/ipv6/exthdrs_core.c) with no fragment offset or flags asked: the offset from the IPv6 header of
 * the header of protocol `target`, walking the extension headers from the fixed header's next header; -1 (ENOENT)
 * when the walk reaches the upper layer, none, or a later fragment first, -2 (EBADMSG) when a header it must read is
 * past the packet. The upper-layer protocol itself is found where it begins (a mobility header, 135, is one).
 */
function ipv6FindHdr(iph: u32, len: u32, target: u32): i32 {
  let start: u32 = 40;
  let nh = <u32>load<u8>(iph, 6);
  while (true) {
    const found = nh == target;
    if (!isExtHdr(nh) || nh == 59) return found ? <i32>start : -1;
    if (start + 2 > len) return -2;
    let hdrlen: u32;
    if (nh == 43 && start + 4 > len) return -2; // the routing header's first 4 bytes are read (struct ipv6_rt_hdr)
    if (nh == 44) {
      if (start + 4 > len) return -2;
      if ((bswap<u16>(load<u16>(iph + start + 2)) & 0xfff8) != 0) return found ? <i32>start : -1;
      hdrlen = 8;
    } else if (nh == 51) hdrlen = (<u32>load<u8>(iph + start + 1) + 2) << 2;
    else hdrlen = (<u32>load<u8>(iph + start + 1) + 1) << 3;
    if (found) return <i32>start;
    nh = <u32>load<u8>(iph + start);
    start += hdrlen;
  }
}

/**
 * nft_exthdr_ipv6_eval: `len` bytes at `off` in the header of protocol `type` into `reg` (its last word zero-padded;
 * NFT_BREAK when absent or past the packet), or with `present` a one-byte 1 / 0. A packet whose skb->protocol is not
 * IPv6 breaks, `exists` too; a netdev chain's IPv6 packet is walked as an ip6 chain's (ETH_P_IPV6 either way).
 */
export function nftExthdrIpv6(st: u32, reg: u32, type: u32, off: u32, len: u32, present: bool): bool {
  const pf = <u32>load<u8>(st, NFS_PF);
  if (pf != 10 && !(pf == 5 && load<u16>(st, NFS_PROTO) == 0xdd86)) return false;
  const iph = load<u32>(st, NFS_DATA);
  const plen = load<u32>(st, NFS_LEN);
  const at = plen >= 40 ? ipv6FindHdr(iph, plen, type) : -2;
  if (present) {
    store<u32>(reg, at >= 0 ? 1 : 0);
    return true;
  }
  if (at < 0 || <u32>at + off + len > plen) return false;
  if ((len & 3) != 0) store<u32>(reg + (len & ~3), 0);
  memory.copy(reg, iph + <u32>at + off, len);
  return true;
}

/**
 * ipv4_find_option (nft_exthdr.c) over __ip_options_compile with no skb (a copy of the options: nothing written): the
 * offset from the IP header of the option of `target` — LSRR / SSRR (the one source route, of that kind), RR, RA (only
 * one whose value is 0: opt->router_alert) — -1 (ENOENT) when there is none, -2 (EBADMSG) when the list is malformed
 * as the compile checks it. With no skb the compile also asks a source route for pointer 4, a length of at least 7
 * and 3 + a whole number of addresses; a CIPSO option is refused here (its validation without an skb asks the
 * current task's CAP_NET_RAW, which wxdp has no notion of), other unknown options pass.
 */
function ipv4FindOption(iph: u32, len: u32, target: u32): i32 {
  if (len < 20) return -2;
  const hlen = (<u32>load<u8>(iph) & 0xf) << 2;
  if (hlen <= 20) return -1;
  if (hlen > len) return -2;
  let p: u32 = 20;
  let l = <i32>(hlen - 20);
  let srr: u32 = 0;
  let strict = false;
  let rr: u32 = 0;
  let ra: u32 = 0;
  let ts = false;
  while (l > 0) {
    const t = <u32>load<u8>(iph + p);
    if (t == 0) break;
    if (t == 1) {
      l--;
      p++;
      continue;
    }
    if (l < 2) return -2;
    const optlen = <u32>load<u8>(iph + p + 1);
    if (optlen < 2 || <i32>optlen > l) return -2;
    const ptr = optlen > 2 ? <u32>load<u8>(iph + p + 2) : 0;
    if (t == 137 || t == 131) {
      if (optlen < 3 || ptr < 4 || srr != 0) return -2;
      if (ptr != 4 || optlen < 7 || ((optlen - 3) & 3) != 0) return -2;
      strict = t == 137;
      srr = p;
    } else if (t == 7) {
      if (rr != 0 || optlen < 3 || ptr < 4) return -2;
      if (ptr <= optlen && ptr + 3 > optlen) return -2;
      rr = p;
    } else if (t == 68) {
      if (ts || optlen < 4 || ptr < 5) return -2;
      const flg = <u32>load<u8>(iph + p + 3);
      if (ptr <= optlen) {
        if (ptr + 3 > optlen) return -2;
        const kind = flg & 0xf;
        if ((kind == 1 || kind == 3) && ptr + 7 > optlen) return -2;
      } else if ((flg & 0xf) != 3 && (flg >> 4) == 15) return -2;
      ts = true;
    } else if (t == 148) {
      if (optlen < 4) return -2;
      if (load<u8>(iph + p + 2) == 0 && load<u8>(iph + p + 3) == 0) ra = p;
    } else if (t == 134) return -2;
    l -= <i32>optlen;
    p += optlen;
  }
  let at: u32 = 0;
  if (target == 131 || target == 137) at = srr != 0 && strict == (target == 137) ? srr : 0;
  else if (target == 7) at = rr;
  else if (target == 148) at = ra;
  return at != 0 ? <i32>at : -1;
}

/**
 * nft_exthdr_ipv4_eval: a packet not IPv4 (skb->protocol) breaks, `exists` too; then as nft_exthdr_ipv6_eval over
 * ipv4_find_option.
 */
export function nftExthdrIpv4(st: u32, reg: u32, type: u32, off: u32, len: u32, present: bool): bool {
  const pf = <u32>load<u8>(st, NFS_PF);
  if (pf != 2 && !(pf == 5 && load<u16>(st, NFS_PROTO) == 0x0008)) return false;
  const iph = load<u32>(st, NFS_DATA);
  const plen = load<u32>(st, NFS_LEN);
  const at = ipv4FindOption(iph, plen, type);
  if (present) {
    store<u32>(reg, at >= 0 ? 1 : 0);
    return true;
  }
  if (at < 0 || <u32>at + off + len > plen) return false;
  // only a partial last word is zeroed (fd94d9dadee5, "exthdr: fix 4-byte stack OOB write", as the IPv6 and TCP
  // walks here): a 4-byte load wrote a zero into the register after its own, past the register file for the last
  if ((len & 3) != 0) store<u32>(reg + (len & ~3), 0);
  memory.copy(reg, iph + <u32>at + off, len);
  return true;
}

/**
 * nft_exthdr_tcp_set_eval: the option of `kind`'s `len` bytes (2 or 4) at `off` become the register's, the TCP checksum
 * updated as inet_proto_csum_replace2 / _4 do (the frame's checksum is complete here, never CHECKSUM_PARTIAL). An MSS
 * is never raised (`if (ntohs(old) <= ntohs(new)) return`: a larger one could stall the connection); an equal value
 * writes nothing. No such option: the rule goes on; a non-TCP packet or a malformed option: NFT_BREAK.
 */
export function nftExthdrTcpSet(st: u32, reg: u32, kind: u32, off: u32, len: u32): bool {
  const hl = tcpHeader(st);
  if (hl == 0) return false;
  const tcph = load<u32>(st, NFS_DATA) + load<u32>(st, NFS_THOFF);
  const i = optFind(tcph, hl, kind, off, len);
  if (i == -2) return false;
  if (i < 0) return true;
  const at = tcph + <u32>i + off;
  if (len == 2) {
    const old = <u32>load<u16>(at);
    const nv = <u32>load<u16>(reg);
    if (kind == TCPOPT_MSS && bswap<u16>(<u16>old) <= bswap<u16>(<u16>nv)) return true;
    if (old == nv) return true;
    store<u16>(at, <u16>nv);
    csumReplace4(tcph + 16, old, nv);
  } else {
    const old = load<u32>(at);
    const nv = load<u32>(reg);
    if (old == nv) return true;
    store<u32>(at, nv);
    csumReplace4(tcph + 16, old, nv);
  }
  return true;
}

/**
 * nft_exthdr_tcp_strip_eval: the first option of `kind` overwritten with NOPs, the checksum updated byte by byte as
 * the kernel does (inet_proto_csum_replace2 of each byte in its half of a 16-bit word). 1: done or no such option (the
 * rule goes on); 0: not TCP (NFT_BREAK); -1: the option runs past the header and cannot be removed (NF_DROP).
 */
export function nftExthdrTcpStrip(st: u32, kind: u32): i32 {
  const hl = tcpHeader(st);
  if (hl == 0) return 0;
  const tcph = load<u32>(st, NFS_DATA) + load<u32>(st, NFS_THOFF);
  const i = optFind(tcph, hl, kind, 0, 0);
  if (i == -2) return -1;
  if (i < 0) return 1;
  const at = <u32>i;
  const l = <u32>load<u8>(tcph + at + 1);
  const optl: u32 = kind <= TCPOPT_NOP || l == 0 ? 1 : l;
  for (let j: u32 = 0; j < optl; j++) {
    // htons(o) / htons(n) of the byte in the high half (even offsets) or the low half of its word, as loaded here
    const o = <u32>load<u8>(tcph + at + j);
    const even = ((at + j) & 1) == 0;
    csumReplace4(tcph + 16, even ? o : o << 8, even ? TCPOPT_NOP : TCPOPT_NOP << 8);
    store<u8>(tcph + at + j, <u8>TCPOPT_NOP);
  }
  return 1;
}

/**
 * The packet's route (skb_dst) into `res`, looked up again as routing found it: an input route for a received
 * packet (its iif), an output one for the stack's own; false when it has none (prerouting: not routed yet).
 */
function pktRoute(st: u32, v6: bool, res: u32): bool {
  if (<u32>load<u8>(st, NFS_HOOK) == NF_INET_PRE_ROUTING) return false;
  const iph = load<u32>(st, NFS_DATA);
  const fl = fib_flow_buf();
  memory.fill(fl, 0, FL_SIZE);
  const iif = load<u32>(st, NFS_IIF);
  store<u32>(fl + FL_IIF, iif != 0 ? iif : LOOPBACK_IFINDEX);
  store<u32>(fl + FL_MARK, load<u32>(st, NFS_MARK));
  if (v6) {
    store<u8>(fl + FL_FAMILY, <u8>AF_INET6);
    memory.copy(fl + FL_DST, iph + 24, 16);
    memory.copy(fl + FL_SRC, iph + 8, 16);
    return dst6_route(fl, res) == 0;
  }
  store<u8>(fl + FL_FAMILY, <u8>AF_INET);
  store<u32>(fl + FL_DST, load<u32>(iph, 16));
  store<u32>(fl + FL_SRC, load<u32>(iph, 12));
  store<u8>(fl + FL_TOS, load<u8>(iph, 1) & 0xfc);
  return dst4_route(fl, res) == 0;
}

/** dst_mtu of a route in `res` toward the address at `a`: the route's mtu metric or its device's, a learned path MTU below it. */
function routeMtu(res: u32, v6: bool, a: u32): u32 {
  const nd = netdevGet(load<u32>(res, FR_OIF));
  if (nd == 0) return 0;
  const m = v6 ? routeMtu6(res, nd) : routeMtu4(res, nd);
  const p = dst_pmtu(v6 ? AF_INET6 : AF_INET, a);
  return p != 0 && p < m ? p : m;
}

/**
 * nft_rt_get_eval into `reg`: NFT_RT_CLASSID (the route's realm: wxdp's routes have none, 0), NEXTHOP4 / NEXTHOP6 (the
 * route's gateway of the packet's family, else its destination; another family: NFT_BREAK), TCPMSS (get_tcpmss: the
 * smaller of the route's MTU and the MTU of the route back to the source — nf_route, an output lookup of the source
 * alone —, less 40 (IPv4) or 60 (IPv6) bytes of headers; TCP_MSS_DEFAULT when that leaves nothing or over 0xffff).
 * No route: NFT_BREAK.
 */
export function nftRt(st: u32, reg: u32, key: u32): bool {
  const v6 = <u32>load<u8>(st, NFS_PF) == 10;
  const res = fib_res_buf();
  if (!pktRoute(st, v6, res)) return false;
  const iph = load<u32>(st, NFS_DATA);
  if (key == NFT_RT_CLASSID) {
    store<u32>(reg, 0);
    return true;
  }
  if (key == NFT_RT_NEXTHOP4) {
    if (v6) return false;
    store<u32>(reg, <u32>load<u8>(res, FR_GW_FAMILY) == AF_INET ? load<u32>(res, FR_GW) : load<u32>(iph, 16));
    return true;
  }
  if (key == NFT_RT_NEXTHOP6) {
    if (!v6) return false;
    memory.copy(reg, <u32>load<u8>(res, FR_GW_FAMILY) == AF_INET6 ? res + FR_GW : iph + 24, 16);
    return true;
  }
  if (key != NFT_RT_TCPMSS) return false;
  let mtu = routeMtu(res, v6, v6 ? iph + 24 : iph + 16);
  const minlen: u32 = v6 ? 60 : 40;
  // nf_route's reverse lookup: daddr the packet's source, nothing else of the flow set
  const fl = fib_flow_buf();
  memory.fill(fl, 0, FL_SIZE);
  store<u32>(fl + FL_IIF, LOOPBACK_IFINDEX);
  store<u8>(fl + FL_FAMILY, <u8>(v6 ? AF_INET6 : AF_INET));
  if (v6) memory.copy(fl + FL_DST, iph + 8, 16);
  else store<u32>(fl + FL_DST, load<u32>(iph, 12));
  if ((v6 ? dst6_route(fl, res) : dst4_route(fl, res)) == 0) {
    const back = routeMtu(res, v6, iph + (v6 ? 8 : 12));
    if (back != 0 && back < mtu) mtu = back;
  }
  const mss = mtu <= minlen || mtu > 0xffff ? TCP_MSS_DEFAULT : mtu - minlen;
  store<u32>(reg, mss); // nft_reg_store16: the register's u32 is zeroed first
  return true;
}
