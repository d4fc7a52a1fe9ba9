// IPv6 reassembly for local delivery (net/ipv6/reassembly.c) on the queues of reasm.ts.
//
// Reads: the fragment (data at the IPv6 header; the Fragment header at data + fragOff), the clock,
// sysctls ip6frag_high_thresh / ip6frag_time.
// Sets: the reassembly table, Ip6: ReasmReqds / ReasmOKs / ReasmFails / InHdrErrors, drop reasons.
// Next: an atomic fragment (offset 0, M = 0; RFC 6946) goes on as it is, in the caller's own frame;
// a datagram made whole goes on in a new frame of the stack's own (q = 0), the Fragment header taken
// out and the next-header byte that named it set to what it carried; the caller goes on walking the
// header chain at reasmNhoff() / reasmThoff(). Otherwise nothing: the fragment is held or dropped.
//
// The RFC rules as the kernel applies them: any overlap discards the whole datagram silently (RFC 5722);
// a fragment that is not the last carries a multiple of 8 bytes, and a datagram ends by 65,535 bytes
// (RFC 8200 4.5: ICMPv6 parameter problem, code 0, at the Payload Length / Fragment Offset field); a
// first fragment holds the whole header chain through the upper-layer header (RFC 7112, RFC 8200 4.5:
// parameter problem code 3, pointer 0). The queue key is (identification, source, destination), with
// the device only when the destination is link-local or multicast.

import {
  NDROP_DUP_FRAG, NDROP_NETFILTER_DROP, MIB_IP6_IN_HDR_ERRORS, MIB_IP6_REASM_FAILS, MIB_IP6_REASM_OKS, MIB_IP6_REASM_REQDS, NDROP_FRAG_ECN, NDROP_FRAG_HDR_INCOMP, NDROP_FRAG_INVALID, NDROP_FRAG_MEM, NDROP_FRAG_OVERSIZE, NDROP_NOMEM,
} from './abi';
import { mibInc, netDrop, netFree } from './core';
import { icmpv6_send, ICMPV6_HDR_FIELD, ICMPV6_PARAMPROB } from './icmp';
import {
  IPPROTO_AH, IPPROTO_DSTOPTS, IPPROTO_FRAGMENT, IPPROTO_HOPOPTS, IPPROTO_ICMPV6, IPPROTO_NONE, IPPROTO_ROUTING,
  IPPROTO_TCP, IPPROTO_UDP,
} from './inet';
import {
  be16, discardQueue, fragEcn, fragQueueAdd, fragsGather, FS_DATA, FS_HLEN, QF_LAST_IN, QR_ECN, QR_FIRST, QR_FLAGS,
  QR_IIF, QR_LEN, QR_MAX_SIZE, QR_MEAT, QR_NHOFF, queueAt, queueDestroy, queueFind, queueSetFirst, queueWhole, reasmFail,
  reasmFrame, reasmLock, reasmSetFragMax, reasmSetResult, reasmTable, reasmUnlock, slotAt, slotGive, slotTake, fragInsert,
  IPFRAG_OK, IPFRAG_DUP, memCharge, reasmKeepGeometry,
} from './reasm';
import { copyBytes } from '../bytes';

// The extension headers ipv6_skip_exthdr walks over, by their kernel names.
const NEXTHDR_HOP = IPPROTO_HOPOPTS;
const NEXTHDR_ROUTING = IPPROTO_ROUTING;
const NEXTHDR_FRAGMENT = IPPROTO_FRAGMENT;
const NEXTHDR_AUTH = IPPROTO_AH;
const NEXTHDR_NONE = IPPROTO_NONE;
const NEXTHDR_DEST = IPPROTO_DSTOPTS;
const ICMPV6_HDR_INCOMP: u32 = 3;
const IP6_MF: u32 = 0x0001;
const IP6_OFFSET: u32 = 0xfff8;

/** ipv6_ext_hdr: the headers ipv6_skip_exthdr walks over (nft_exthdr.ts's ipv6_find_hdr too). */
@inline export function isExtHdr(nh: u32): bool {
  return nh == NEXTHDR_HOP || nh == NEXTHDR_ROUTING || nh == NEXTHDR_FRAGMENT || nh == NEXTHDR_AUTH || nh == NEXTHDR_NONE || nh == NEXTHDR_DEST;
}

@inline function extLen(data: u32, off: u32, nh: u32): u32 {
  const l = <u32>load<u8>(data + off + 1);
  return nh == NEXTHDR_AUTH ? (l + 2) << 2 : (l + 1) << 3;
}

/**
 * ipv6frag_thdr_truncated: the first fragment ends before its upper-layer header does (TCP 20 B, UDP
 * 8 B, ICMPv6 8 B, anything else 1 B). As ipv6_skip_exthdr, a chain it cannot walk (cut inside an
 * extension header, No Next Header) or that reaches a fragment with a non-zero offset is not "truncated".
 */
function thdrTruncated(data: u32, len: u32): bool {
  let off: u32 = 40;
  let nh = <u32>load<u8>(data + 6);
  while (isExtHdr(nh)) {
    if (nh == NEXTHDR_NONE || off + 2 > len) return false;
    let hl: u32;
    if (nh == NEXTHDR_FRAGMENT) {
      if (off + 4 > len) return false;
      if ((be16(data + off + 2) & IP6_OFFSET) != 0) return false;
      hl = 8;
    } else {
      hl = extLen(data, off, nh);
    }
    nh = load<u8>(data + off);
    off += hl;
  }
  if (nh == IPPROTO_TCP) off += 20;
  else if (nh == IPPROTO_UDP || nh == IPPROTO_ICMPV6) off += 8;
  else off += 1;
  return off > len;
}

/** The offset of the next-header byte that names the header at `target` (IP6CB's nhoff), or -1. */
function nhoffOf(data: u32, len: u32, target: u32): i32 {
  let nhoff: u32 = 6;
  let off: u32 = 40;
  while (off < target) {
    const nh = <u32>load<u8>(data + nhoff);
    if (!isExtHdr(nh) || nh == NEXTHDR_NONE || off + 2 > len) return -1;
    nhoff = off;
    off += nh == NEXTHDR_FRAGMENT ? 8 : extLen(data, off, nh);
  }
  return off == target && <u32>load<u8>(data + nhoff) == NEXTHDR_FRAGMENT ? <i32>nhoff : -1;
}

/** ICMPv6 parameter problem about the fragment (InHdrErrors), which is dropped. */
function paramProb(ifindex: u32, q: u32, data: u32, len: u32, code: u32, pointer: u32, reason: u32): u32 {
  mibInc(MIB_IP6_IN_HDR_ERRORS);
  icmpv6_send(ifindex, data, len, ICMPV6_PARAMPROB, code, pointer);
  netDrop(reason);
  netFree(q, data);
  return 0;
}

/**
 * An IPv6 datagram whose next header at `fragOff` (from data) is a Fragment header, for local delivery
 * (ipv6_frag_rcv): data at the IPv6 header, len = 40 + Payload Length (the frame trimmed to it),
 * received on `ifindex`. Takes the frame. Returns the L3 address of the datagram to deliver: `data`
 * itself for an atomic fragment (still the caller's frame, on its queue), a new frame of the stack's
 * own (q = 0) when this fragment completed one; else 0. Its length is in reasmLen(). The caller must
 * refuse a second Fragment header in the same datagram (the kernel's IP6SKB_FRAGMENTED check).
 */
export function ipv6_defrag(ifindex: u32, q: u32, data: u32, len: u32, fragOff: u32): u32 {
  reasmLock();
  const d = ipv6Defrag(ifindex, q, data, len, fragOff);
  reasmUnlock();
  return d;
}

function ipv6Defrag(ifindex: u32, q: u32, data: u32, len: u32, fragOff: u32): u32 {
  mibInc(MIB_IP6_REASM_REQDS);
  const plen = be16(data + 4);
  const nhoff = nhoffOf(data, len, fragOff);
  // A jumbogram has no Fragment header; one cut short is a bad field (pointer: the Fragment header).
  if (plen == 0 || fragOff + 8 > len || nhoff < 0) {
    return paramProb(ifindex, q, data, len, ICMPV6_HDR_FIELD, fragOff, NDROP_FRAG_INVALID);
  }
  const fo = be16(data + fragOff + 2);
  if ((fo & (IP6_OFFSET | IP6_MF)) == 0) {
    // An atomic fragment: delivered as it is (RFC 6946), the walk going on after its Fragment header.
    mibInc(MIB_IP6_REASM_OKS);
    const r0 = reasmTable();
    if (r0 != 0) reasmSetResult(r0, len, fragOff, fragOff + 8);
    return data;
  }
  if (thdrTruncated(data, len)) {
    return paramProb(ifindex, q, data, len, ICMPV6_HDR_INCOMP, 0, NDROP_FRAG_HDR_INCOMP);
  }
  const r = reasmTable();
  // fq_find: the device is part of the key only for link-local (fe80::/10) and multicast destinations.
  const d0 = <u32>load<u8>(data + 24);
  const d1 = <u32>load<u8>(data + 25);
  const scoped = d0 == 0xff || (d0 == 0xfe && (d1 & 0xc0) == 0x80);
  const qi = r == 0 ? 0 : queueFind(r, 6, load<u32>(data + fragOff + 4), 0, scoped ? ifindex : 0, data + 8, data + 24);
  if (qi == 0) {
    mibInc(MIB_IP6_REASM_FAILS);
    netDrop(r == 0 ? NDROP_NOMEM : NDROP_FRAG_MEM);
    netFree(q, data);
    return 0;
  }
  const qp = queueAt(r, qi);
  store<u32>(qp + QR_IIF, ifindex);

  // ip6_frag_queue
  const offset = fo & IP6_OFFSET;
  const end = offset + (plen - (fragOff + 8 - 40));
  if (end > 65535) return paramProb(ifindex, q, data, len, ICMPV6_HDR_FIELD, fragOff + 2, NDROP_FRAG_INVALID);
  const tc = (<u32>load<u8>(data + 1) >> 4) & 3;
  const ecn: u32 = 1 << tc;
  const qlen = load<u32>(qp + QR_LEN);
  const flags = <u32>load<u8>(qp + QR_FLAGS);
  if ((fo & IP6_MF) == 0) {
    if (end < qlen || ((flags & QF_LAST_IN) != 0 && end != qlen)) return discardQueue(r, qi, q, data, MIB_IP6_REASM_FAILS);
    store<u8>(qp + QR_FLAGS, <u8>(flags | QF_LAST_IN));
    store<u32>(qp + QR_LEN, end);
  } else {
    // RFC 8200: a fragment before the last is a multiple of 8 bytes (pointer: Payload Length).
    if ((end & 7) != 0) return paramProb(ifindex, q, data, len, ICMPV6_HDR_FIELD, 4, NDROP_FRAG_INVALID);
    if (end > qlen) {
      if ((flags & QF_LAST_IN) != 0) return discardQueue(r, qi, q, data, MIB_IP6_REASM_FAILS);
      store<u32>(qp + QR_LEN, end);
    }
  }
  if (end == offset) return discardQueue(r, qi, q, data, MIB_IP6_REASM_FAILS);

  if (!fragQueueAdd(r, qi, q, data, offset, end, fragOff + 8, ecn, MIB_IP6_REASM_FAILS)) return 0;
  const fragsize = len;
  if (fragsize > load<u32>(qp + QR_MAX_SIZE)) store<u32>(qp + QR_MAX_SIZE, fragsize);
  if (offset == 0) {
    store<u32>(qp + QR_NHOFF, <u32>nhoff);
    queueSetFirst(qp);
  }
  return queueWhole(qp) ? ip6FragReasm(r, qi, false) : 0;
}

/**
 * ip6_frag_reasm (nf_ct_frag6_reasm when `nf`: no Ip6 counters, frag_max_size kept): the first
 * fragment's unfragmentable part (IPv6 header and the extension headers before its Fragment header),
 * then every payload; the Fragment header goes, its next header taking its place in the byte that named
 * it. Oversized (> 65,535 B of payload) or mixed-ECN datagrams fail.
 */
function ip6FragReasm(r: u32, qi: u32, nf: bool): u32 {
  const qp = queueAt(r, qi);
  const fails = nf ? 0 : MIB_IP6_REASM_FAILS;
  const ecn = fragEcn(load<u8>(qp + QR_ECN));
  if (ecn == 0xff) return reasmFail(r, qi, fails, NDROP_FRAG_ECN);
  const head = slotAt(r, load<u32>(qp + QR_FIRST));
  const hdata = load<u32>(head + FS_DATA);
  const fragOff = load<u32>(head + FS_HLEN) - 8;
  const plen = fragOff - 40 + load<u32>(qp + QR_LEN);
  if (plen > 65535) return reasmFail(r, qi, fails, NDROP_FRAG_OVERSIZE);
  const dst = reasmFrame(40 + plen);
  if (dst == 0) return reasmFail(r, qi, fails, NDROP_NOMEM);
  const nhoff = load<u32>(qp + QR_NHOFF);
  copyBytes(dst - 14, hdata - 14, 14 + fragOff);
  store<u8>(dst + nhoff, load<u8>(hdata + fragOff));
  fragsGather(r, qp, dst + fragOff);
  store<u16>(dst + 4, bswap<u16>(<u16>plen));
  store<u8>(dst + 1, load<u8>(dst + 1) | <u8>(ecn << 4));
  // IP6CB(skb)->frag_max_size = sizeof(struct ipv6hdr) + q.max_size: the largest fragment's bytes
  reasmSetFragMax(load<u32>(qp + QR_MAX_SIZE));
  if (nf) reasmKeepGeometry(r, qp, dst, 40 + plen);
  queueDestroy(r, qi, 0); // its fragments consumed
  if (!nf) mibInc(MIB_IP6_REASM_OKS);
  reasmSetResult(r, 40 + plen, nhoff, fragOff);
  return dst;
}

// ---- nf_defrag_ipv6: conntrack's reassembly (net/ipv6/netfilter/nf_conntrack_reasm.c) ----


/** enum ip6_defrag_users: IP6_DEFRAG_CONNTRACK_IN (+ the zone, 0 here), queues apart from local delivery's (0). */
export const IP6_DEFRAG_CONNTRACK_IN: u32 = 1;
/** What nf_ct_frag6_gather returns besides a datagram's address: the frame taken (held or dropped)… */
export const NF_FRAG6_TAKEN: u32 = 0;
/** …or the packet goes on through the hook as it is (not a fragment, or one conntrack's reassembly passes). */
export const NF_FRAG6_ACCEPT: u32 = 1;

/**
 * nf_ct_frag6_gather + ipv6_defrag's verdict for the IPv6 packet at `data` (`len` bytes of L3, the
 * payload length's) received on `ifindex`, frame queue `q`: NF_FRAG6_ACCEPT (not a fragment — no
 * Fragment header after the extension headers find_prev_fhdr walks —, a jumbogram, a first fragment
 * without its upper-layer header, or a fragment before the last whose payload is not a multiple of 8,
 * whose queue goes: -EPROTO → NF_ACCEPT), NF_FRAG6_TAKEN (held: NF_STOLEN; a duplicate, freed as
 * DUP_FRAG; refused: NF_DROP, freed as NETFILTER_DROP), or the L3 address of the datagram this fragment
 * completed (a frame of the stack's own, q = 0, its length in reasmLen(), IP6CB frag_max_size in
 * reasmFragMax()) that goes on in the fragment's place. Queues are keyed (id, source, destination,
 * user, input device); no Ip6 counter moves (nf_conntrack_reasm keeps no SNMP).
 */
export function nf_ct_frag6_gather(ifindex: u32, q: u32, data: u32, len: u32, user: u32): u32 {
  // find_prev_fhdr: the Fragment header after HOP / ROUTING / DEST / AUTH headers, or none
  let nhoff: u32 = 6;
  let off: u32 = 40;
  let nh = <u32>load<u8>(data + 6);
  while (nh != NEXTHDR_FRAGMENT) {
    if (!isExtHdr(nh) || nh == NEXTHDR_NONE || off + 2 > len) return NF_FRAG6_ACCEPT;
    const hl = extLen(data, off, nh);
    nhoff = off;
    nh = load<u8>(data + off);
    off += hl;
  }
  // a jumbogram has no Fragment header; one past the packet's end is not one either (len < 0)
  if (be16(data + 4) == 0 || off > len) return NF_FRAG6_ACCEPT;
  // RFC 8200 4.5: a first fragment without the whole header chain is let through as it is
  if (thdrTruncated(data, len)) return NF_FRAG6_ACCEPT;
  if (off + 8 > len) return nfDrop(q, data, NDROP_NETFILTER_DROP); // pskb_may_pull: -ENOMEM
  reasmLock();
  const d = nfFrag6Queue(ifindex, q, data, len, off, nhoff, user);
  reasmUnlock();
  return d;
}

@inline function nfDrop(q: u32, data: u32, reason: u32): u32 {
  netDrop(reason);
  netFree(q, data);
  return NF_FRAG6_TAKEN;
}

/** fq_find + nf_ct_frag6_queue for the fragment whose Fragment header is at `fhoff`, named at `nhoff`. */
function nfFrag6Queue(ifindex: u32, q: u32, data: u32, len: u32, fhoff: u32, nhoff: u32, user: u32): u32 {
  const r = reasmTable();
  const qi = r == 0 ? 0 : queueFind(r, 6, load<u32>(data + fhoff + 4), 0, ifindex, data + 8, data + 24, user);
  if (qi == 0) return nfDrop(q, data, NDROP_NETFILTER_DROP); // -ENOMEM
  const qp = queueAt(r, qi);
  const plen = be16(data + 4);
  const fo = be16(data + fhoff + 2);
  const offset = fo & IP6_OFFSET;
  const end = offset + (plen - (fhoff + 8 - 40));
  if (end > 65535) return nfDrop(q, data, NDROP_NETFILTER_DROP);
  const ecn: u32 = 1 << ((<u32>load<u8>(data + 1) >> 4) & 3);
  const qlen = load<u32>(qp + QR_LEN);
  const flags = <u32>load<u8>(qp + QR_FLAGS);
  if ((fo & IP6_MF) == 0) {
    // the last: nothing queued beyond it, no other last disagreeing (err: this one dropped, the queue kept)
    if (end < qlen || ((flags & QF_LAST_IN) != 0 && end != qlen)) return nfDrop(q, data, NDROP_NETFILTER_DROP);
    store<u8>(qp + QR_FLAGS, <u8>(flags | QF_LAST_IN));
    store<u32>(qp + QR_LEN, end);
  } else {
    if ((end & 7) != 0) {
      // not rounded to 8 bytes: the queue goes (inet_frag_kill), the fragment passes as it is (-EPROTO)
      queueDestroy(r, qi, NDROP_FRAG_INVALID);
      return NF_FRAG6_ACCEPT;
    }
    if (end > qlen) {
      if ((flags & QF_LAST_IN) != 0) return nfDrop(q, data, NDROP_NETFILTER_DROP);
      store<u32>(qp + QR_LEN, end);
    }
  }
  if (end == offset) return nfDrop(q, data, NDROP_NETFILTER_DROP);
  // inet_frag_queue_insert: a duplicate is taken (freed as DUP_FRAG), an overlap kills the queue (NF_DROP)
  const si = slotTake(r);
  if (si == 0) return nfDrop(q, data, NDROP_NETFILTER_DROP);
  const ins = fragInsert(r, qp, si, q, data, offset, end, fhoff + 8);
  if (ins != IPFRAG_OK) {
    slotGive(r, si);
    if (ins == IPFRAG_DUP) return nfDrop(q, data, NDROP_DUP_FRAG);
    queueDestroy(r, qi, NDROP_FRAG_INVALID);
    return nfDrop(q, data, NDROP_NETFILTER_DROP);
  }
  store<u32>(qp + QR_IIF, ifindex);
  store<u32>(qp + QR_MEAT, load<u32>(qp + QR_MEAT) + (end - offset));
  store<u8>(qp + QR_ECN, <u8>(load<u8>(qp + QR_ECN) | ecn));
  memCharge(r, 6);
  const fragsize: u32 = 40 + plen;
  if (fragsize > load<u32>(qp + QR_MAX_SIZE)) store<u32>(qp + QR_MAX_SIZE, fragsize);
  if (offset == 0) {
    store<u32>(qp + QR_NHOFF, nhoff);
    queueSetFirst(qp);
  }
  if (!queueWhole(qp)) return NF_FRAG6_TAKEN; // held: NF_STOLEN
  const d = ip6FragReasm(r, qi, true);
  return d == 0 ? NF_FRAG6_TAKEN : d; // a failed reassembly took its fragments (-EINPROGRESS)
}
