// IPv4 fragmentation on output (net/ipv4/ip_output.c ip_do_fragment, its slow path: every fragment a
// new frame), and the reassembly stages' entry points (reasm.ts for IPv4, reasm6.ts for IPv6).
//
// Reads: the datagram (data at its IP header, the Ethernet header in the 14 bytes before), the MTU.
// Sets: one frame from the pool per fragment: the Ethernet header copied, the IP header (ID, TTL, TOS
// kept; options without the copied flag turned into NOPs after the first fragment, as
// ip_options_fragment does, so every fragment has the first one's IHL), offset / MF, total length and
// checksum. Ip: FragOKs, FragCreates (one per fragment handed on), FragFails.
// Next: neigh_output(AF_INET (or the IPv6 gateway's AF_INET6), ifindex, nh, 0, frame) for each fragment, in order; the datagram's own
// frame is given back. No frame left in the pool: NOMEM, FragFails, the fragments not yet made are lost.
//
// Sizes, as ip_frag_next: each fragment carries min(left, mtu - IHL) bytes, rounded down to a multiple
// of 8 unless it is the last. A fragment of a fragment keeps the offset it started at and MF on every
// piece when the original had MF. DF is not set on fragments (a datagram with DF reaches here only
// when the caller chose to fragment it anyway, as the kernel's ignore_df). A pool frame holds at most
// REASM_FRAME_L3_MAX bytes of L3: an MTU above that is taken as that (no device of wxdp carries more).

import { AF_INET, MIB_IP_FRAG_CREATES, MIB_IP_FRAG_FAILS, MIB_IP_FRAG_OKS, NDROP_NOMEM, NDROP_PKT_TOO_BIG } from './abi';
import { mibInc, netDrop, netFree } from './core';
import { neigh_output } from './neigh';
import { frameAlloc } from '../umem';
import { XDP_PACKET_HEADROOM } from '../abi';
import { copyBytes } from '../bytes';
import { csumFold, csumPartial } from '../checksum';
import { REASM_FRAME_L3_MAX } from './reasm';
import { nf_egress_frag, nf_frag_cuts } from './netfilter';

export { ip_defrag, reasmLen, reasmNhoff, reasmThoff, reasm_tick, reasm_next_timer, reasm_mem, reasm_queues } from './reasm';
export { ipv6_defrag } from './reasm6';

const IP_MF: u32 = 0x2000;
const IP_OFFSET: u32 = 0x1fff;
const IPOPT_END: u32 = 0;
const IPOPT_NOOP: u32 = 1;
const IPOPT_COPY: u32 = 0x80;

/**
 * ip_options_fragment: in the header at `iph` (IHL `hlen`), options that must not be copied into
 * fragments after the first (copied flag clear: record route, timestamp, …) become NOPs.
 */
export function ipOptionsFragment(iph: u32, hlen: u32): void {
  let p = iph + 20;
  let l = <i32>hlen - 20;
  while (l > 0) {
    const t = <u32>load<u8>(p);
    if (t == IPOPT_END) return;
    if (t == IPOPT_NOOP) {
      l--;
      p++;
      continue;
    }
    const optlen = <i32>load<u8>(p + 1);
    if (optlen < 2 || optlen > l) return;
    if ((t & IPOPT_COPY) == 0) memory.fill(p, <u8>IPOPT_NOOP, <usize>optlen);
    l -= optlen;
    p += <u32>optlen;
  }
}

/**
 * One fragment in a new pool frame (0 when none is left): the Ethernet header and the `hlen`-byte IP
 * header of the datagram at `data`, then `flen` bytes from `ptr`; offset, MF, length and checksum set.
 * Returns the frame's Ethernet header address.
 */
@inline function fragBuild(data: u32, hlen: u32, ptr: u32, flen: u32, offset: u32, mf: bool): u32 {
  const f = frameAlloc();
  if (f == 0) return 0;
  const eth = f + XDP_PACKET_HEADROOM;
  const iph = eth + 14;
  copyBytes(eth, data - 14, 14 + hlen);
  copyBytes(iph + hlen, ptr, flen);
  store<u16>(iph + 6, bswap<u16>(<u16>((offset >> 3) | (mf ? IP_MF : 0))));
  store<u16>(iph + 2, bswap<u16>(<u16>(flen + hlen)));
  store<u16>(iph + 10, 0);
  store<u16>(iph + 10, bswap<u16>(<u16>csumFold(csumPartial(iph, hlen, 0))));
  return eth;
}

/** The data space per fragment for `mtu` (clamped to a pool frame), or 0 when not even 8 bytes fit. */
@inline function fragSpace(data: u32, len: u32, mtu: u32): u32 {
  const hlen: u32 = (<u32>load<u8>(data) & 15) << 2;
  if (mtu > REASM_FRAME_L3_MAX) mtu = REASM_FRAME_L3_MAX;
  if (hlen < 20 || len < hlen || mtu < hlen + 8) return 0;
  return mtu - hlen;
}

/** The fragment's size: all that is left when it fits, else the space rounded down to 8 bytes. */
@inline function fragLen(left: u32, space: u32): u32 {
  return left > space ? space & ~7 : left;
}

/**
 * Fragment the IPv4 datagram at `data` (its IP header; `len` bytes of IP, the Ethernet header at
 * data - 14) for an MTU of `mtu`, handing each fragment to neigh_output(AF_INET, ifindex, nh, ...).
 * Takes the frame (q: the queue it came from, 0 for the stack's own).
 */
export function ip_fragment(ifindex: u32, nh: u32, mtu: u32, q: u32, data: u32, len: u32): void {
  ip_fragment_via(AF_INET, ifindex, nh, mtu, q, data, len);
}

/** ip_fragment to a next hop `nh` of family `nhf` (AF_INET6: an IPv4 route through an IPv6 gateway, RFC 5549). */
export function ip_fragment_via(nhf: u32, ifindex: u32, nh: u32, mtu: u32, q: u32, data: u32, len: u32): void {
  const space = fragSpace(data, len, mtu);
  if (space == 0) {
    // No room for 8 bytes of data beside the header (an MTU below the IPv4 minimum of 68).
    mibInc(MIB_IP_FRAG_FAILS);
    netDrop(NDROP_PKT_TOO_BIG);
    netFree(q, data);
    return;
  }
  const hlen: u32 = (<u32>load<u8>(data) & 15) << 2;
  const fo = <u32>bswap<u16>(load<u16>(data + 6));
  let offset = (fo & IP_OFFSET) << 3;
  const notLast = (fo & IP_MF) != 0;
  let left = len - hlen;
  let ptr = data + hlen;
  // the fast path (skb_has_frag_list: a datagram conntrack reassembled): its fragments as they came when
  // they pass the kernel's geometry check (netfilter.ts nf_frag_cuts), else cut at `space`
  const cuts = offset == 0 && !notLast ? nf_frag_cuts(data, len, hlen, space) : 0;
  let ci: u32 = 0;
  while (left > 0) {
    const flen = cuts != 0 ? <u32>load<u16>(cuts + 8 + (ci++ << 1)) : fragLen(left, space);
    const eth = fragBuild(data, hlen, ptr, flen, offset, left > flen || notLast);
    if (eth == 0) {
      mibInc(MIB_IP_FRAG_FAILS);
      netDrop(NDROP_NOMEM);
      netFree(q, data);
      return;
    }
    // ANK's trick: the options are fixed once, on the datagram, after its first fragment is made.
    if (offset == 0) ipOptionsFragment(data, hlen);
    left -= flen;
    ptr += flen;
    offset += flen;
    nf_egress_frag(data, eth + 14); // ip_copy_metadata: the datagram's mark
    neigh_output(nhf, ifindex, nh, 0, eth, 14 + hlen + flen);
    mibInc(MIB_IP_FRAG_CREATES);
  }
  netFree(q, data);
  mibInc(MIB_IP_FRAG_OKS);
}

// ---- The kernel's ip_frag_init / ip_frag_next, for callers that send fragments themselves ----
// struct ip_frag_state at `st` (IP_FRAG_STATE_SIZE bytes): u32 data | u32 hlen | u32 space | u32 left |
// u32 ptr | u32 offset | u32 not_last | u32 length of the last fragment made (from its Ethernet header)

export const IP_FRAG_STATE_SIZE: u32 = 32;

/** Start fragmenting the datagram at `data` (len bytes of IP) for `mtu`. 0, or -90 (EMSGSIZE: the MTU leaves no room). */
export function ip_frag_init(st: u32, data: u32, len: u32, mtu: u32): i32 {
  const space = fragSpace(data, len, mtu);
  if (space == 0) return -90;
  const hlen: u32 = (<u32>load<u8>(data) & 15) << 2;
  const fo = <u32>bswap<u16>(load<u16>(data + 6));
  store<u32>(st, data);
  store<u32>(st + 4, hlen);
  store<u32>(st + 8, space);
  store<u32>(st + 12, len - hlen);
  store<u32>(st + 16, data + hlen);
  store<u32>(st + 20, (fo & IP_OFFSET) << 3);
  store<u32>(st + 24, fo & IP_MF);
  store<u32>(st + 28, 0);
  return 0;
}

/**
 * The next fragment in a new pool frame: its Ethernet header address (its length in ip_frag_len), 0
 * when none is left or the pool is empty. The datagram's options are fixed after the first, as in
 * ip_fragment; the datagram's frame stays the caller's.
 */
export function ip_frag_next(st: u32): u32 {
  const left = load<u32>(st + 12);
  if (left == 0) return 0;
  const data = load<u32>(st);
  const hlen = load<u32>(st + 4);
  const offset = load<u32>(st + 20);
  const flen = fragLen(left, load<u32>(st + 8));
  const eth = fragBuild(data, hlen, load<u32>(st + 16), flen, offset, left > flen || load<u32>(st + 24) != 0);
  if (eth == 0) return 0;
  if (offset == 0) ipOptionsFragment(data, hlen);
  store<u32>(st + 12, left - flen);
  store<u32>(st + 16, load<u32>(st + 16) + flen);
  store<u32>(st + 20, offset + flen);
  store<u32>(st + 28, 14 + hlen + flen);
  return eth;
}

/** Length (from its Ethernet header) of the fragment ip_frag_next made last. */
export function ip_frag_len(st: u32): u32 {
  return load<u32>(st + 28);
}
