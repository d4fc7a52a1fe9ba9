// NAT: nf_nat_core.c and nf_nat_proto.c — a connection's first packet chooses its translation
// (nf_nat_setup_info: the reply tuple altered so replies find the entry), every packet of it is then
// rewritten (nf_nat_packet): source at POST_ROUTING / LOCAL_IN, destination at PRE_ROUTING /
// LOCAL_OUT, either direction (the reply direction gets the inverse). Addresses and ports change with
// the kernel's incremental checksum updates (csum_replace4 / inet_proto_csum_replace*), ICMP errors get
// the packet they quote translated too (nf_nat_icmp_reply_translation), and ports are chosen as
// nf_nat_l4proto_unique_tuple does: the original when free, else from a random offset in the range
// (1-511, 600-1023 or 1024-65535 by the original's class when no range is given), at most 128 tries,
// then halving windows from fresh offsets.
//
// What chooses the translation for a new connection, in order: the nftables NAT chains registered for
// the hook (netfilter.ts NFK_NAT_CHAIN; their `snat to` / `dnat to` / `masquerade` call
// nf_nat_setup_info / nf_nat_masquerade), then the builtin rules TypeScript writes (dp.nat, NR_* below),
// then a null binding (nf_nat_alloc_null_binding).
//
// A range (struct nf_nat_range2 as bytes, NAT_RANGE_SIZE): +0 u32 flags NF_NAT_RANGE_* | +4 min_addr (16)
// | +20 max_addr (16) | +36 u16 min_proto | +38 u16 max_proto | +40 u16 base_proto (network order).
// A builtin rule (NATR_SIZE): +0 u8 family | +1 u8 hook | +2 u8 type (NAT_SNAT 1, NAT_DNAT 2,
// NAT_MASQUERADE 3) | +3 u8 l4proto (0: any) | +4 u32 iif | +8 u32 oif (0: any) | +12 u8 source prefix
// length (0xff: any) | +13 u8 destination prefix length | +14 u16 dport min | +16 u16 dport max (host
// order; 0 0: any) | +20 source (16) | +36 destination (16) | +52 the range.
//
// A connection given source NAT joins the nf_nat_bysource chains (CR_NAT_BYSRC, by original source address,
// port and protocol), where find_appropriate_src finds the mapping an earlier connection of the same source
// got, for a new one to reuse when it is in the range and free. In the last NF_NAT_HARDER_THRESH tries of a
// port search a TCP SYN may evict the SNATed connection in TIME_WAIT that holds the port, when its own
// sequence has moved past that connection's (nf_nat_used_tuple_harder).
//
// Reads: the packet and its entry (hook state), the rules. Sets: the entry's reply tuple and IPS_*_NAT
// bits, the packet's addresses, ports and checksums. Next: back to nf_hook_slow.

import { arena_alloc } from '../maps/arena';
import { jhash2 } from '../maps/jhash';
import { copyBytes } from '../bytes';
import { mibInc, netScratch, netdevGet } from './core';
import {
  AF_INET6, MIB_NAT_NO_TUPLE, NFS_CT, NFS_CTINFO, NFS_DATA, NFS_HOOK, NFS_IIF, NFS_L4PROTO, NFS_LEN, NFS_OIF, NFS_PF,
  NFS_THOFF, RT_SCOPE_UNIVERSE, SCR_NF, ND_ADDR4, ND_ADDR6, ADDR_LIST_HEADER, ADDR_ENTRY_SIZE, AE_ADDR, AE_SCOPE, RT_SCOPE_HOST,
  RT_SCOPE_LINK, RT_SCOPE_SITE,
} from './abi';
import {
  IPH_CHECK, IPH_DADDR, IPH_SADDR, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE,
  IP6H_DADDR, IP6H_NEXTHDR, IP6H_SADDR, ldBe16,
} from './inet';
import { csumAdd, csumFinish, csumIpv6Pseudo } from './csum';
import { inet_select_addr, ipv6_dev_get_saddr } from './netdev';
import { ipv6SkipExthdr, skipFragOff } from './ipv6_rcv';
import {
  CR_NAT_COUNT, CR_NAT_RULES, CT_MASQ_OIF, CT_STATUS, CT_TUPLE_ORIG, CT_TUPLE_REPLY, CT_TUPLE_SIZE, CTT_DPORT,
  CTT_DST, CTT_FAMILY, CTT_PROTO, CTT_SPORT, CTT_SRC, CTT_ZONE, IPS_CONFIRMED, IPS_DST_NAT, IPS_DST_NAT_DONE, IPS_NAT_MASK, IPS_SRC_NAT,
  IPS_SRC_NAT_DONE, IP_CT_IS_REPLY, IP_CT_NEW, IP_CT_NONE, IP_CT_RELATED, IP_CT_RELATED_REPLY, NF_ACCEPT, NF_DROP,
  CR_BUCKETS, CR_NAT_BYSRC, CR_SEED, CT_NAT_BYSRC, CT_NAT_BYSRC_PPREV, IPS_FIXED_TIMEOUT, IPS_DYING, IPS_OFFLOAD,
  IP_CT_DIR_ORIGINAL, CT_L4STATE, CT_TCP, ctDeleteLocked, nf_ct_kill_acct, hDir, allowClash, ctFind, CT_DIRS_BOTH, ctLock, ctRoot, ctTupleTaken, ctUnlock, hEntry, invertTuple, tupleCopy, tupleEq,
} from './nf_conntrack';
import { nft_do_chain } from './nf_tables_entry';

export const NF_NAT_MANIP_SRC: u32 = 0;
export const NF_NAT_MANIP_DST: u32 = 1;
export const NF_NAT_RANGE_MAP_IPS: u32 = 1;
export const NF_NAT_RANGE_PROTO_SPECIFIED: u32 = 2;
export const NF_NAT_RANGE_PROTO_RANDOM: u32 = 4;
export const NF_NAT_RANGE_PERSISTENT: u32 = 8;
export const NF_NAT_RANGE_PROTO_RANDOM_FULLY: u32 = 16;
export const NF_NAT_RANGE_PROTO_OFFSET: u32 = 32;
export const NF_NAT_RANGE_PROTO_RANDOM_ALL: u32 = NF_NAT_RANGE_PROTO_RANDOM | NF_NAT_RANGE_PROTO_RANDOM_FULLY;

export const NR_FLAGS: u32 = 0;
export const NR_MIN_ADDR: u32 = 4;
export const NR_MAX_ADDR: u32 = 20;
export const NR_MIN_PROTO: u32 = 36;
export const NR_MAX_PROTO: u32 = 38;
export const NR_BASE_PROTO: u32 = 40;
export const NAT_RANGE_SIZE: u32 = 48;

export const NAT_SNAT: u32 = 1;
export const NAT_DNAT: u32 = 2;
export const NAT_MASQUERADE: u32 = 3;
export const NATR_FAMILY: u32 = 0;
export const NATR_HOOK: u32 = 1;
export const NATR_TYPE: u32 = 2;
export const NATR_PROTO: u32 = 3;
export const NATR_IIF: u32 = 4;
export const NATR_OIF: u32 = 8;
export const NATR_SRC_LEN: u32 = 12;
export const NATR_DST_LEN: u32 = 13;
export const NATR_DPORT_MIN: u32 = 14;
export const NATR_DPORT_MAX: u32 = 16;
export const NATR_SRC: u32 = 20;
export const NATR_DST: u32 = 36;
export const NATR_RANGE: u32 = 52;
export const NATR_SIZE: u32 = 128;

const NF_NAT_MAX_ATTEMPTS: u32 = 128;

@inline function CAND(): u32 {
  return netScratch() + SCR_NF + 256;
}
@inline function MASQ_RANGE(): u32 {
  return netScratch() + SCR_NF + 320;
}
@inline function TARGET(): u32 {
  return netScratch() + SCR_NF + 480;
}
@inline function CURR(): u32 {
  return netScratch() + SCR_NF + 544;
}
/** hash_by_src's key: 6 words (the last 64 bytes of the hook scratch; the flowtable's FR ends before them). */
@inline function CAND_HASH(): u32 {
  return netScratch() + SCR_NF + 960;
}

// ---- Randomness for port offsets (get_random_u16) ----
let rnd: u32 = 0x2545f491;
@inline function randomU16(): u32 {
  rnd ^= rnd << 13;
  rnd ^= rnd >> 17;
  rnd ^= rnd << 5;
  return rnd & 0xffff;
}
/** Seed the port-offset generator (tests make it repeatable). */
export function nf_nat_seed(s: u32): void {
  rnd = s == 0 ? 1 : s;
}

// A port the next random draw for each manip type lands on (port + 1; 0: none), set by a test that
// replays a kernel run: the kernel's get_random_u16 cannot be known, its outcome can (the reply tuple
// `conntrack -L` shows), and starting the search there takes the same port when wxdp finds it free, a
// different one when wxdp holds it (so a clash wxdp sees and the kernel did not still shows).
let portHintSrc: u32 = 0;
let portHintDst: u32 = 0;
/** The next random offset for `manip` starts the search at `port` (tests replaying the kernel's choice); -1 clears. */
export function nf_nat_seed_port(manip: u32, port: i32): void {
  const v: u32 = port < 0 ? 0 : (<u32>port & 0xffff) + 1;
  if (manip == NF_NAT_MANIP_SRC) portHintSrc = v;
  else portHintDst = v;
}

/** get_random_u16 for the first offset of a port search in [min, min + size): a test's hint for `manip` when it falls in the range. */
function randomOffset(manip: u32, min: u32, size: u32): u32 {
  const h = manip == NF_NAT_MANIP_SRC ? portHintSrc : portHintDst;
  if (h != 0 && h - 1 >= min && h - 1 - min < size) {
    if (manip == NF_NAT_MANIP_SRC) portHintSrc = 0;
    else portHintDst = 0;
    return h - 1 - min;
  }
  return randomU16();
}

// ---- Checksums, as the kernel updates them (include/net/checksum.h) ----

@inline function csumAdd32(a: u32, b: u32): u32 {
  const r = a + b;
  return r + (r < b ? 1 : 0);
}
@inline function csumFold32(c: u32): u32 {
  c = (c & 0xffff) + (c >> 16);
  c = (c & 0xffff) + (c >> 16);
  return ~c & 0xffff;
}

/** csum_replace4 / inet_proto_csum_replace4 (without CHECKSUM_PARTIAL): the 16-bit field at `p` for `from` → `to`. */
export function csumReplace4(p: u32, from: u32, to: u32): void {
  const tmp = csumAdd32(~(<u32>load<u16>(p)), ~from);
  store<u16>(p, <u16>csumFold32(csumAdd32(tmp, to)));
}

/** inet_proto_csum_replace16: the field at `p` for the 16 bytes at `from` → those at `to` (read before either changes). */
function csumReplace16(p: u32, from: u32, to: u32): void {
  // ~x of a 32-bit word as 0xffffffff - x, in 64 bits from the start (no sign extension can creep in)
  let s: u64 = 0xffffffff - <u64>load<u16>(p);
  for (let i: u32 = 0; i < 16; i += 4) s += (0xffffffff - <u64>load<u32>(from + i)) + <u64>load<u32>(to + i);
  s = (s & 0xffffffff) + (s >> 32);
  s = (s & 0xffffffff) + (s >> 32);
  store<u16>(p, <u16>csumFold32(<u32>s));
}

// ---- Packet manipulation (nf_nat_proto.c) ----

/**
 * The pseudo-header part of an L4 checksum for the address the manip changes (nf_csum_update): the
 * packet's address at `l3` (IPv4 / IPv6 by `family`) → the target tuple's.
 */
function csumUpdateAddr(family: u32, l3: u32, check: u32, target: u32, manip: u32): void {
  if (family == AF_INET6) {
    csumReplace16(check, l3 + (manip == NF_NAT_MANIP_SRC ? IP6H_SADDR : IP6H_DADDR), target + (manip == NF_NAT_MANIP_SRC ? CTT_SRC : CTT_DST));
  } else {
    const old = load<u32>(l3 + (manip == NF_NAT_MANIP_SRC ? IPH_SADDR : IPH_DADDR));
    csumReplace4(check, old, load<u32>(target + (manip == NF_NAT_MANIP_SRC ? CTT_SRC : CTT_DST)));
  }
}

/**
 * l4proto_manip_pkt: the L4 header at l3 + hoff (`avail` bytes of it in the packet) toward `target`.
 * false when the header is cut short where the kernel refuses.
 */
function l4Manip(family: u32, l3: u32, hoff: u32, avail: u32, target: u32, manip: u32): bool {
  const proto = <u32>load<u8>(target + CTT_PROTO);
  const h = l3 + hoff;
  if (proto == IPPROTO_TCP) {
    // an ICMP error's quote may hold only 8 bytes: the port changes, the checksum is out of reach
    if (avail < 8) return false;
    const port = load<u16>(target + (manip == NF_NAT_MANIP_SRC ? CTT_SPORT : CTT_DPORT));
    const pp = h + (manip == NF_NAT_MANIP_SRC ? 0 : 2);
    const old = <u32>load<u16>(pp);
    store<u16>(pp, port);
    if (avail < 20) return true;
    csumUpdateAddr(family, l3, h + 16, target, manip);
    csumReplace4(h + 16, old, <u32>port);
    return true;
  }
  if (proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE) {
    if (avail < 8) return false;
    const port = load<u16>(target + (manip == NF_NAT_MANIP_SRC ? CTT_SPORT : CTT_DPORT));
    const pp = h + (manip == NF_NAT_MANIP_SRC ? 0 : 2);
    const old = <u32>load<u16>(pp);
    store<u16>(pp, port);
    if (proto == IPPROTO_UDPLITE || load<u16>(h, 6) != 0) {
      csumUpdateAddr(family, l3, h + 6, target, manip);
      csumReplace4(h + 6, old, <u32>port);
      if (load<u16>(h, 6) == 0 && proto == IPPROTO_UDP) store<u16>(h + 6, 0xffff); // CSUM_MANGLED_0
    }
    return true;
  }
  if (proto == IPPROTO_ICMP) {
    if (avail < 8) return false;
    const t = <u32>load<u8>(h);
    if (!(t == 0 || t == 8 || t == 13 || t == 14 || t == 15 || t == 16 || t == 17 || t == 18)) return true;
    const id = load<u16>(target + CTT_SPORT);
    csumReplace4(h + 2, <u32>load<u16>(h, 4), <u32>id);
    store<u16>(h + 4, id);
    return true;
  }
  if (proto == IPPROTO_ICMPV6) {
    if (avail < 8) return false;
    csumUpdateAddr(family, l3, h + 2, target, manip);
    const t = <u32>load<u8>(h);
    if (t == 128 || t == 129) {
      const id = load<u16>(target + CTT_SPORT);
      csumReplace4(h + 2, <u32>load<u16>(h, 4), <u32>id);
      store<u16>(h + 4, id);
    }
    return true;
  }
  return true;
}

/**
 * nf_nat_ipv4_manip_pkt / nf_nat_ipv6_manip_pkt: the datagram at `l3` (`len` bytes from there, its L4
 * header at `thoff`) toward `target`: L4 first, then the address (and the IPv4 header checksum).
 */
function manipPkt(family: u32, l3: u32, thoff: u32, len: u32, target: u32, manip: u32): bool {
  if (thoff != 0 && !l4Manip(family, l3, thoff, len > thoff ? len - thoff : 0, target, manip)) return false;
  if (family == AF_INET6) {
    copyBytes(l3 + (manip == NF_NAT_MANIP_SRC ? IP6H_SADDR : IP6H_DADDR), target + (manip == NF_NAT_MANIP_SRC ? CTT_SRC : CTT_DST), 16);
  } else {
    const off = manip == NF_NAT_MANIP_SRC ? IPH_SADDR : IPH_DADDR;
    const to = load<u32>(target + (manip == NF_NAT_MANIP_SRC ? CTT_SRC : CTT_DST));
    csumReplace4(l3 + IPH_CHECK, load<u32>(l3 + off), to);
    store<u32>(l3 + off, to);
  }
  return true;
}

/** nf_nat_manip_pkt: the packet toward the inverse of the other direction's tuple. */
function natManip(st: u32, ct: u32, manip: u32, dir: u32): bool {
  const target = TARGET();
  invertTuple(target, ct + CT_TUPLE_ORIG + (1 - dir) * CT_TUPLE_SIZE);
  return manipPkt(<u32>load<u8>(st + NFS_PF), load<u32>(st + NFS_DATA), load<u32>(st + NFS_THOFF), load<u32>(st + NFS_LEN), target, manip);
}

/** nf_nat_packet: the packet rewritten when its direction and this hook's manip are translated. */
function natPacket(st: u32, ct: u32, ctinfo: u32, manip: u32): u32 {
  const dir: u32 = ctinfo >= IP_CT_IS_REPLY ? 1 : 0;
  let bit = manip == NF_NAT_MANIP_SRC ? IPS_SRC_NAT : IPS_DST_NAT;
  if (dir == 1) bit ^= IPS_NAT_MASK;
  if ((load<u32>(ct + CT_STATUS) & bit) != 0 && !natManip(st, ct, manip, dir)) return NF_DROP;
  return NF_ACCEPT;
}

/**
 * nf_nat_icmp_reply_translation / nf_nat_icmpv6_reply_translation: an ICMP error RELATED to a translated
 * connection — the quoted packet translated back (its manip the inverse, as it travelled the other way),
 * the ICMP checksum recomputed, then the outer header as a reply. false: drop.
 */
function icmpReplyTranslation(st: u32, ct: u32, ctinfo: u32, manip: u32): bool {
  const family = <u32>load<u8>(st + NFS_PF);
  const l3 = load<u32>(st + NFS_DATA);
  const len = load<u32>(st + NFS_LEN);
  const hoff = load<u32>(st + NFS_THOFF);
  if (len < hoff + 8) return false;
  const type = <u32>load<u8>(l3 + hoff);
  const s = load<u32>(ct + CT_STATUS);
  if ((family != AF_INET6 && type == 5) || (family == AF_INET6 && type == 137)) {
    // a redirect is translated only for a connection whose both translations are decided and null
    if ((s & (IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE)) != (IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE)) return false;
    if ((s & IPS_NAT_MASK) != 0) return false;
  }
  const dir: u32 = ctinfo >= IP_CT_IS_REPLY ? 1 : 0;
  let bit = manip == NF_NAT_MANIP_SRC ? IPS_SRC_NAT : IPS_DST_NAT;
  if (dir == 1) bit ^= IPS_NAT_MASK;
  if ((s & bit) == 0) return true;
  // the quote: its own L3 and L4 offsets
  const in3 = l3 + hoff + 8;
  const inLen = len - hoff - 8;
  let inThoff: u32;
  if (family == AF_INET6) {
    if (inLen < 40) return false;
    // nf_nat_ipv6_manip_pkt: past the quote's extension headers; its addresses alone when they run out
    // or the quote is a later fragment (no L4 header in it)
    const off = ipv6SkipExthdr(in3, inLen, 40, <u32>load<u8>(in3 + IP6H_NEXTHDR));
    inThoff = off < 0 || (skipFragOff & ~7) != 0 ? 0 : <u32>off;
  } else {
    if (inLen < 20) return false;
    inThoff = (<u32>load<u8>(in3) & 0xf) << 2;
  }
  const other = ct + CT_TUPLE_ORIG + (1 - dir) * CT_TUPLE_SIZE;
  if (!manipPkt(family, in3, inThoff, inLen, other, 1 - manip)) return false;
  // the ICMP checksum over the message, from scratch
  const ilen = len - hoff;
  store<u16>(l3 + hoff + 2, 0);
  if (family == AF_INET6) store<u16>(l3 + hoff + 2, <u16>csumFinish(csumAdd(l3 + hoff, ilen, csumIpv6Pseudo(l3 + IP6H_SADDR, l3 + IP6H_DADDR, ilen, IPPROTO_ICMPV6))));
  else store<u16>(l3 + hoff + 2, <u16>csumFinish(csumAdd(l3 + hoff, ilen, 0)));
  // the outer header: as a reply to the other direction
  const target = TARGET();
  invertTuple(target, other);
  store<u8>(target + CTT_PROTO, <u8>(family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP));
  if (family == AF_INET6) {
    // nf_nat_ipv6_manip_pkt with an ICMPv6 target: the pseudo-header part of the checksum follows the address
    csumUpdateAddr(family, l3, l3 + hoff + 2, target, manip);
    copyBytes(l3 + (manip == NF_NAT_MANIP_SRC ? IP6H_SADDR : IP6H_DADDR), target + (manip == NF_NAT_MANIP_SRC ? CTT_SRC : CTT_DST), 16);
    return true;
  }
  return manipPkt(family, l3, 0, len, target, manip);
}

// ---- Choosing the translation ----

@inline function hook2manip(hook: u32): u32 {
  return hook == 0 || hook == 3 ? NF_NAT_MANIP_DST : NF_NAT_MANIP_SRC;
}

@inline export function natInitialized(ct: u32, manip: u32): bool {
  return (load<u32>(ct + CT_STATUS) & (manip == NF_NAT_MANIP_SRC ? IPS_SRC_NAT_DONE : IPS_DST_NAT_DONE)) != 0;
}

/** Address compare of `n` bytes in network order: -1, 0, 1. */
function addrCmp(a: u32, b: u32, n: u32): i32 {
  for (let i: u32 = 0; i < n; i++) {
    const x = <u32>load<u8>(a + i);
    const y = <u32>load<u8>(b + i);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

@inline function addrLen(t: u32): u32 {
  return <u32>load<u8>(t + CTT_FAMILY) == AF_INET6 ? 16 : 4;
}

/** nf_nat_inet_in_range + l4proto_in_range: the manip side of tuple `t` inside the range. */
function inRange(t: u32, r: u32, manip: u32): bool {
  const flags = load<u32>(r + NR_FLAGS);
  const a = t + (manip == NF_NAT_MANIP_SRC ? CTT_SRC : CTT_DST);
  const n = addrLen(t);
  if ((flags & NF_NAT_RANGE_MAP_IPS) != 0 && (addrCmp(a, r + NR_MIN_ADDR, n) < 0 || addrCmp(a, r + NR_MAX_ADDR, n) > 0)) return false;
  return l4InRange(t, r, manip);
}

function l4InRange(t: u32, r: u32, manip: u32): bool {
  if ((load<u32>(r + NR_FLAGS) & NF_NAT_RANGE_PROTO_SPECIFIED) == 0) return true;
  const p = <u32>load<u8>(t + CTT_PROTO);
  let port: u32;
  if (p == IPPROTO_ICMP || p == IPPROTO_ICMPV6) port = ldBe16(t + CTT_SPORT);
  else if (p == IPPROTO_TCP || p == IPPROTO_UDP || p == IPPROTO_UDPLITE || p == 132 || p == 33) port = ldBe16(t + (manip == NF_NAT_MANIP_SRC ? CTT_SPORT : CTT_DPORT));
  else return true;
  return port >= ldBe16(r + NR_MIN_PROTO) && port <= ldBe16(r + NR_MAX_PROTO);
}

/** nf_nat_used_tuple: the reply of candidate `t` is some other connection's tuple already (nf_conntrack_tuple_taken). */
function usedTuple(root: u32, t: u32, ct: u32): bool {
  const rep = netScratch() + SCR_NF + 608;
  invertTuple(rep, t);
  return ctTupleTaken(root, rep, ct);
}

/** The last tries of a port search that may evict (NF_NAT_HARDER_THRESH = NF_NAT_MAX_ATTEMPTS / 4). */
const NF_NAT_HARDER_THRESH: u32 = NF_NAT_MAX_ATTEMPTS / 4;
const TCP_CONNTRACK_SYN_SENT: u32 = 1;
const TCP_CONNTRACK_TIME_WAIT: u32 = 7;

/**
 * nf_nat_used_tuple_harder: as usedTuple, but within the last `left` ≤ NF_NAT_HARDER_THRESH tries for a
 * TCP connection in SYN_SENT, the connection whose reply direction holds the tuple is deleted when
 * nf_nat_may_kill (TIME_WAIT or later, source NATed, neither dying nor of a fixed timeout) and
 * nf_seq_has_advanced (this SYN's seen[ORIGINAL].td_end after that connection's); the tuple is then
 * free unless the old one was offloaded.
 */
function usedTupleHarder(root: u32, t: u32, ct: u32, left: u32): bool {
  if (left > NF_NAT_HARDER_THRESH || <u32>load<u8>(t + CTT_PROTO) != IPPROTO_TCP || <u32>load<u8>(ct + CT_L4STATE) != TCP_CONNTRACK_SYN_SENT) {
    return usedTuple(root, t, ct);
  }
  const rep = netScratch() + SCR_NF + 608;
  invertTuple(rep, t);
  const h = ctFind(root, rep, CT_DIRS_BOTH);
  if (h == 0) return false;
  const o = hEntry(h);
  if (hDir(h) == IP_CT_DIR_ORIGINAL || o == ct) return true;
  const flags = load<u32>(o + CT_STATUS);
  if (<u32>load<u8>(o + CT_L4STATE) < TCP_CONNTRACK_TIME_WAIT || (flags & (IPS_FIXED_TIMEOUT | IPS_DYING)) != 0 || (flags & IPS_SRC_NAT) == 0) return true;
  if (<i32>(load<u32>(ct + CT_TCP) - load<u32>(o + CT_TCP)) <= 0) return true; // seen[ORIGINAL].td_end
  ctDeleteLocked(root, o);
  return (flags & IPS_OFFLOAD) != 0;
}

/**
 * nf_nat_used_tuple_new (the original tuple tried first): as usedTuple, except the rare reverse
 * collision — both ends' first packets picked up as new at once, neither connection translated — is
 * left to clash resolution at confirm (the tuple kept) rather than given another port.
 */
function usedTupleNew(root: u32, t: u32, ct: u32): bool {
  if (!usedTuple(root, t, ct)) return false;
  if (!allowClash(<u32>load<u8>(ct + CT_TUPLE_ORIG + CTT_PROTO))) return true;
  if ((load<u32>(ct + CT_STATUS) & IPS_NAT_MASK) != 0) return true; // (IPS_SEQ_ADJUST: no helpers here)
  let h = ctFind(root, t, CT_DIRS_BOTH);
  if (h == 0) {
    const rep = netScratch() + SCR_NF + 608;
    invertTuple(rep, t);
    h = ctFind(root, rep, CT_DIRS_BOTH);
    if (h == 0) return false; // the clashing entry went away
  }
  const o = hEntry(h);
  if ((load<u32>(o + CT_STATUS) & IPS_NAT_MASK) != 0) return true;
  return !tupleEq(o + CT_TUPLE_ORIG, ct + CT_TUPLE_REPLY);
}

/**
 * find_best_ips_proto: the manip address from the range — one address: it; several: jhash2 of the
 * tuple's whole 16-byte source address (an IPv4 one zero-padded, as nf_ct_get_tuple memsets the tuple)
 * seeded with the destination's last word ^ the zone id (0 with `persistent`), then word by word
 * min + reciprocal_scale(j, max - min + 1), the full u32 range for the words after the first that is
 * not at the range's maximum, j mixed with each destination word (not with `persistent`).
 */
function bestIps(t: u32, r: u32, manip: u32): void {
  const flags = load<u32>(r + NR_FLAGS);
  if ((flags & NF_NAT_RANGE_MAP_IPS) == 0) return;
  const a = t + (manip == NF_NAT_MANIP_SRC ? CTT_SRC : CTT_DST);
  const n = addrLen(t);
  if (addrCmp(r + NR_MIN_ADDR, r + NR_MAX_ADDR, n) == 0) {
    memory.copy(a, r + NR_MIN_ADDR, n);
    return;
  }
  const persistent = (flags & NF_NAT_RANGE_PERSISTENT) != 0;
  const max = (n >> 2) - 1;
  let j = jhash2(t + CTT_SRC, 4, persistent ? 0 : load<u32>(t + CTT_DST + (max << 2)) ^ <u32>load<u16>(t + CTT_ZONE));
  let full = false;
  for (let i: u32 = 0; i <= max; i++) {
    let minip: u32 = 0;
    let dist: u32 = 0xffffffff;
    if (!full) {
      minip = bswap<u32>(load<u32>(r + NR_MIN_ADDR + (i << 2)));
      dist = bswap<u32>(load<u32>(r + NR_MAX_ADDR + (i << 2))) - minip + 1;
    }
    const w = bswap<u32>(minip + <u32>((<u64>j * <u64>dist) >> 32));
    store<u32>(a + (i << 2), w);
    if (w != load<u32>(r + NR_MAX_ADDR + (i << 2))) full = true;
    if (!persistent) j ^= load<u32>(t + CTT_DST + (i << 2));
  }
}

/** nf_nat_l4proto_unique_tuple: a free port / id in the range. */
function uniqueTuple(root: u32, t: u32, r: u32, manip: u32, ct: u32): void {
  const p = <u32>load<u8>(t + CTT_PROTO);
  const flags = load<u32>(r + NR_FLAGS);
  let key: u32;
  let min: u32;
  let size: u32;
  if (p == IPPROTO_ICMP || p == IPPROTO_ICMPV6) {
    key = t + CTT_SPORT;
    if ((flags & NF_NAT_RANGE_PROTO_SPECIFIED) == 0) {
      min = 0;
      size = 65536;
    } else {
      min = ldBe16(r + NR_MIN_PROTO);
      size = ldBe16(r + NR_MAX_PROTO) - min + 1;
    }
  } else if (p == IPPROTO_TCP || p == IPPROTO_UDP || p == IPPROTO_UDPLITE || p == 132 || p == 33) {
    key = t + (manip == NF_NAT_MANIP_SRC ? CTT_SPORT : CTT_DPORT);
    if ((flags & NF_NAT_RANGE_PROTO_SPECIFIED) == 0) {
      if (manip == NF_NAT_MANIP_DST) return; // a destination's port is not changed without a range
      const port = ldBe16(key);
      if (port < 1024) {
        if (port < 512) {
          min = 1;
          size = 511;
        } else {
          min = 600;
          size = 1023 - 600 + 1;
        }
      } else {
        min = 1024;
        size = 65535 - 1024 + 1;
      }
    } else {
      let lo = ldBe16(r + NR_MIN_PROTO);
      let hi = ldBe16(r + NR_MAX_PROTO);
      if (hi < lo) {
        const x = lo;
        lo = hi;
        hi = x;
      }
      min = lo;
      size = hi - lo + 1;
    }
  } else {
    return;
  }
  let off: u32;
  if ((flags & NF_NAT_RANGE_PROTO_OFFSET) != 0) off = (ldBe16(key) - ldBe16(r + NR_BASE_PROTO)) & 0xffff;
  else if ((flags & NF_NAT_RANGE_PROTO_RANDOM_ALL) != 0 || manip != NF_NAT_MANIP_DST) off = randomOffset(manip, min, size);
  else off = 0;
  let attempts = size < NF_NAT_MAX_ATTEMPTS ? size : NF_NAT_MAX_ATTEMPTS;
  while (true) {
    for (let i: u32 = 0; i < attempts; i++, off = (off + 1) & 0xffff) {
      store<u16>(key, bswap<u16>(<u16>(min + off % size)));
      if (!usedTupleHarder(root, t, ct, attempts - i)) return;
    }
    if (attempts >= size || attempts < 16) {
      mibInc(MIB_NAT_NO_TUPLE);
      return;
    }
    attempts >>= 1;
    off = randomU16();
  }
}

/**
 * hash_by_src: the bucket of an original tuple's source — address, port (or ICMP id), protocol and zone,
 * what same_src compares (jhash2 over them with the table's seed; the kernel seeds nf_nat_hash_rnd).
 */
function hashBySrc(root: u32, t: u32): u32 {
  const k = CAND_HASH();
  memory.copy(k, t + CTT_SRC, 16);
  store<u32>(k, <u32>load<u16>(t + CTT_SPORT) | (<u32>load<u8>(t + CTT_PROTO) << 16), 16);
  store<u32>(k, <u32>load<u16>(t + CTT_ZONE), 20);
  return jhash2(k, 6, load<u32>(root + CR_SEED)) & (load<u32>(root + CR_BUCKETS) - 1);
}

/**
 * nf_nat_setup_info's SRC step: `ct` at the head of the bysource chain of its original source (under the
 * lock; hlist_add_head_rcu).
 */
function natBysrcAdd(root: u32, ct: u32): void {
  if (load<u32>(ct + CT_NAT_BYSRC_PPREV) != 0) return;
  const head = load<u32>(root + CR_NAT_BYSRC) + (hashBySrc(root, ct + CT_TUPLE_ORIG) << 2);
  const first = load<u32>(head);
  store<u32>(ct + CT_NAT_BYSRC, first);
  store<u32>(ct + CT_NAT_BYSRC_PPREV, head);
  if (first != 0) store<u32>(first + CT_NAT_BYSRC_PPREV, ct + CT_NAT_BYSRC);
  store<u32>(head, ct);
}

/**
 * find_appropriate_src: a connection of the same source (same_src: protocol, source address and port, and
 * zone) already mapped; its mapping (the inverse of its reply tuple) with `tuple`'s destination into
 * `result`, when that is in the range. The most recent such connection first, as the kernel's hlist is.
 */
function findAppropriateSrc(root: u32, tuple: u32, result: u32, r: u32): bool {
  const n = addrLen(tuple);
  let e = load<u32>(load<u32>(root + CR_NAT_BYSRC) + (hashBySrc(root, tuple) << 2));
  while (e != 0) {
    const o = e + CT_TUPLE_ORIG;
    if (load<u8>(o + CTT_PROTO) == load<u8>(tuple + CTT_PROTO) && load<u8>(o + CTT_FAMILY) == load<u8>(tuple + CTT_FAMILY) &&
      addrCmp(o + CTT_SRC, tuple + CTT_SRC, n) == 0 && load<u16>(o + CTT_SPORT) == load<u16>(tuple + CTT_SPORT) &&
      load<u16>(o + CTT_ZONE) == load<u16>(tuple + CTT_ZONE)) {
      invertTuple(result, e + CT_TUPLE_REPLY);
      memory.copy(result + CTT_DST, tuple + CTT_DST, 16);
      store<u16>(result + CTT_DPORT, load<u16>(tuple + CTT_DPORT));
      store<u16>(result + CTT_ZONE, load<u16>(tuple + CTT_ZONE));
      if (inRange(result, r, NF_NAT_MANIP_SRC)) return true;
    }
    e = load<u32>(e + CT_NAT_BYSRC);
  }
  return false;
}

/** get_unique_tuple: `t` (a copy of `orig`) made into the tuple the connection gets. */
function uniqueTupleOf(root: u32, t: u32, orig: u32, r: u32, ct: u32, manip: u32): void {
  const flags = load<u32>(r + NR_FLAGS);
  if (manip == NF_NAT_MANIP_SRC && (flags & NF_NAT_RANGE_PROTO_RANDOM_ALL) == 0) {
    // the original tuple first; else the mapping an earlier connection of this source has
    if (inRange(orig, r, manip)) {
      if (!usedTupleNew(root, orig, ct)) {
        tupleCopy(t, orig);
        return;
      }
    } else if (findAppropriateSrc(root, orig, t, r)) {
      if (!usedTuple(root, t, ct)) return;
    }
  }
  tupleCopy(t, orig);
  bestIps(t, r, manip);
  if ((flags & NF_NAT_RANGE_PROTO_RANDOM_ALL) == 0) {
    if ((flags & NF_NAT_RANGE_PROTO_SPECIFIED) != 0) {
      if ((flags & NF_NAT_RANGE_PROTO_OFFSET) == 0 && l4InRange(t, r, manip) &&
        (load<u16>(r + NR_MIN_PROTO) == load<u16>(r + NR_MAX_PROTO) || !usedTuple(root, t, ct))) return;
    } else if (!usedTuple(root, t, ct)) {
      return;
    }
  }
  uniqueTuple(root, t, r, manip, ct);
}

/**
 * nf_nat_setup_info: the translation of connection `ct` for `manip` (NF_NAT_MANIP_SRC / DST) within the
 * range at `r` (NAT_RANGE_SIZE bytes, see above); the entry's reply tuple altered. NF_ACCEPT, or NF_DROP
 * for an entry that is confirmed already.
 */
export function nf_nat_setup_info(ct: u32, r: u32, manip: u32): u32 {
  const root = ctRoot();
  if (root == 0 || ct == 0) return NF_DROP;
  ctLock(root);
  const curr = CURR();
  invertTuple(curr, ct + CT_TUPLE_REPLY);
  const nt = CAND();
  uniqueTupleOf(root, nt, curr, r, ct, manip);
  if (!tupleEq(nt, curr)) {
    invertTuple(ct + CT_TUPLE_REPLY, nt);
    store<u32>(ct + CT_STATUS, load<u32>(ct + CT_STATUS) | (manip == NF_NAT_MANIP_SRC ? IPS_SRC_NAT : IPS_DST_NAT));
  }
  store<u32>(ct + CT_STATUS, load<u32>(ct + CT_STATUS) | (manip == NF_NAT_MANIP_SRC ? IPS_SRC_NAT_DONE : IPS_DST_NAT_DONE));
  if (manip == NF_NAT_MANIP_SRC) natBysrcAdd(root, ct);
  ctUnlock(root);
  return NF_ACCEPT;
}

/**
 * bpf_ct_set_nat_info (net/netfilter/nf_nat_bpf.c) on an entry bpf_xdp_ct_alloc made: the range of the one
 * address at `addr` (16 bytes, union nf_inet_addr) and, for `port` > 0, the one port (cpu_to_be16: its low
 * 16 bits); 0, or -ENOMEM where nf_nat_setup_info answers NF_DROP: the manip set up already
 * (WARN_ON(nf_nat_initialized)). A confirmed entry is left as it is (NF_ACCEPT: 0). A manip other than
 * NF_NAT_MANIP_SRC is the destination's, as nf_nat_initialized and get_unique_tuple read it.
 */
export function nf_nat_bpf_setup(ct: u32, addr: u32, port: i32, manip: u32): i32 {
  const m = manip == NF_NAT_MANIP_SRC ? NF_NAT_MANIP_SRC : NF_NAT_MANIP_DST;
  if ((load<u32>(ct + CT_STATUS) & IPS_CONFIRMED) != 0) return 0;
  if (natInitialized(ct, m)) return -12;
  // the scratch masquerade builds its range in: no masquerade runs during an XDP program
  const r = MASQ_RANGE();
  memory.fill(r, 0, NAT_RANGE_SIZE);
  store<u32>(r + NR_FLAGS, NF_NAT_RANGE_MAP_IPS | (port > 0 ? NF_NAT_RANGE_PROTO_SPECIFIED : 0));
  memory.copy(r + NR_MIN_ADDR, addr, 16);
  memory.copy(r + NR_MAX_ADDR, addr, 16);
  if (port > 0) {
    const p = bswap<u16>(<u16>port);
    store<u16>(r + NR_MIN_PROTO, p);
    store<u16>(r + NR_MAX_PROTO, p);
  }
  return nf_nat_setup_info(ct, r, m) == NF_DROP ? -12 : 0;
}

/**
 * nf_nat_masquerade_ipv4 / _ipv6: source NAT to the address the packet leaves `oif` from (inet_select_addr
 * toward the destination; ipv6_dev_get_saddr), the ports of `range` (0: none given). NF_DROP without one.
 */
export function nf_nat_masquerade(ct: u32, range: u32, oif: u32): u32 {
  const st = netScratch() + SCR_NF;
  const family = <u32>load<u8>(ct + CT_TUPLE_ORIG + CTT_FAMILY);
  const nr = MASQ_RANGE();
  memory.fill(nr, 0, NAT_RANGE_SIZE);
  if (range != 0) memory.copy(nr, range, NAT_RANGE_SIZE);
  const l3 = load<u32>(st + NFS_DATA);
  if (family == AF_INET6) {
    const src = nr + NR_MIN_ADDR;
    if (ipv6_dev_get_saddr(oif, l3 + IP6H_DADDR, src) != 0) return NF_DROP;
    memory.copy(nr + NR_MAX_ADDR, src, 16);
  } else {
    const a = inet_select_addr(oif, load<u32>(l3, IPH_DADDR), RT_SCOPE_UNIVERSE);
    if (a == 0) return NF_DROP;
    store<u32>(nr + NR_MIN_ADDR, a);
    store<u32>(nr + NR_MAX_ADDR, a);
  }
  store<u32>(nr + NR_FLAGS, load<u32>(nr + NR_FLAGS) | NF_NAT_RANGE_MAP_IPS);
  store<u32>(ct + CT_MASQ_OIF, oif);
  return nf_nat_setup_info(ct, nr, NF_NAT_MANIP_SRC);
}

/**
 * nf_nat_redirect_ipv4 / _ipv6 (+ nf_nat_redirect): destination NAT to this machine, the ports of `range`
 * (0: none given). At LOCAL_OUT (`hook` 3) the loopback address (127.0.0.1, ::1); else the input device
 * `iif`'s address: IPv4 the first of its list (ifa_list's, ifa_local), IPv6 the first of its list whose
 * scope is that of the packet's destination. NF_DROP when it has none.
 */
export function nf_nat_redirect(ct: u32, range: u32, hook: u32, iif: u32): u32 {
  const st = netScratch() + SCR_NF;
  const family = <u32>load<u8>(ct + CT_TUPLE_ORIG + CTT_FAMILY);
  const nr = MASQ_RANGE();
  memory.fill(nr, 0, NAT_RANGE_SIZE);
  if (range != 0) memory.copy(nr, range, NAT_RANGE_SIZE);
  const min = nr + NR_MIN_ADDR;
  memory.fill(min, 0, 16);
  if (hook == 3) {
    if (family == AF_INET6) store<u8>(min + 15, 1);
    else store<u32>(min, 0x0100007f); // 127.0.0.1, network order
  } else {
    const nd = netdevGet(iif);
    const list = nd != 0 ? load<u32>(nd + (family == AF_INET6 ? ND_ADDR6 : ND_ADDR4)) : 0;
    const n = list != 0 ? load<u32>(list) : 0;
    let found = false;
    if (family == AF_INET6) {
      const scope = scope6(load<u32>(st + NFS_DATA) + IP6H_DADDR);
      for (let i: u32 = 0; i < n && !found; i++) {
        const e = list + ADDR_LIST_HEADER + i * ADDR_ENTRY_SIZE;
        if (<u32>load<u8>(e + AE_SCOPE) != scope) continue;
        memory.copy(min, e + AE_ADDR, 16);
        found = true;
      }
    } else if (n != 0) {
      store<u32>(min, load<u32>(list + ADDR_LIST_HEADER + AE_ADDR));
      found = load<u32>(min) != 0;
    }
    if (!found) return NF_DROP;
  }
  memory.copy(nr + NR_MAX_ADDR, min, 16);
  store<u32>(nr + NR_FLAGS, load<u32>(nr + NR_FLAGS) | NF_NAT_RANGE_MAP_IPS);
  return nf_nat_setup_info(ct, nr, NF_NAT_MANIP_DST);
}

/** ipv6_addr_scope of the address at `a`, as the address lists keep scopes (RT_SCOPE_*): host, link, site, universe. */
function scope6(a: u32): u32 {
  const b0 = <u32>load<u8>(a);
  const b1 = <u32>load<u8>(a + 1);
  if (b0 == 0xff) {
    const s = b1 & 0x0f; // multicast: its scope field
    return s == 1 ? RT_SCOPE_HOST : s == 2 ? RT_SCOPE_LINK : s == 5 ? RT_SCOPE_SITE : RT_SCOPE_UNIVERSE;
  }
  if (b0 == 0xfe && (b1 & 0xc0) == 0x80) return RT_SCOPE_LINK;
  if (b0 == 0xfe && (b1 & 0xc0) == 0xc0) return RT_SCOPE_SITE;
  if (load<u64>(a) == 0 && load<u64>(a + 8) == 0x0100000000000000) return RT_SCOPE_HOST; // ::1
  return RT_SCOPE_UNIVERSE;
}

/** A `len`-bit prefix of the address at `a` equals that of `p` (network order bytes). */
function prefixMatch(a: u32, p: u32, len: u32): bool {
  let i: u32 = 0;
  for (; i + 8 <= len; i += 8) if (load<u8>(a + (i >> 3)) != load<u8>(p + (i >> 3))) return false;
  if (i == len) return true;
  const m = <u32>(0xff00 >> (len - i)) & 0xff;
  return ((<u32>load<u8>(a + (i >> 3)) ^ <u32>load<u8>(p + (i >> 3))) & m) == 0;
}

/** The builtin rules (dp.nat) for the packet's family and hook: the first that matches decides. */
function builtinRules(st: u32, ct: u32, hook: u32): u32 {
  const root = ctRoot();
  const rules = load<u32>(root + CR_NAT_RULES);
  const n = load<u32>(root + CR_NAT_COUNT);
  if (rules == 0) return NF_ACCEPT;
  const family = <u32>load<u8>(st + NFS_PF);
  const l3 = load<u32>(st + NFS_DATA);
  const alen: u32 = family == AF_INET6 ? 16 : 4;
  const src = l3 + (family == AF_INET6 ? IP6H_SADDR : IPH_SADDR);
  const dst = l3 + (family == AF_INET6 ? IP6H_DADDR : IPH_DADDR);
  const proto = <u32>load<u8>(st + NFS_L4PROTO);
  for (let i: u32 = 0; i < n; i++) {
    const r = rules + i * NATR_SIZE;
    if (<u32>load<u8>(r + NATR_FAMILY) != family || <u32>load<u8>(r + NATR_HOOK) != hook) continue;
    const rp = <u32>load<u8>(r + NATR_PROTO);
    if (rp != 0 && rp != proto) continue;
    const iif = load<u32>(r + NATR_IIF);
    if (iif != 0 && iif != load<u32>(st + NFS_IIF)) continue;
    const oif = load<u32>(r + NATR_OIF);
    if (oif != 0 && oif != load<u32>(st + NFS_OIF)) continue;
    const sl = <u32>load<u8>(r + NATR_SRC_LEN);
    if (sl != 0xff && !prefixMatch(src, r + NATR_SRC, sl > alen * 8 ? alen * 8 : sl)) continue;
    const dl = <u32>load<u8>(r + NATR_DST_LEN);
    if (dl != 0xff && !prefixMatch(dst, r + NATR_DST, dl > alen * 8 ? alen * 8 : dl)) continue;
    const pmin = <u32>load<u16>(r + NATR_DPORT_MIN);
    const pmax = <u32>load<u16>(r + NATR_DPORT_MAX);
    if (pmax != 0) {
      const thoff = load<u32>(st + NFS_THOFF);
      if (thoff == 0 || !(proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE)) continue;
      const dp = ldBe16(l3 + thoff + 2);
      if (dp < pmin || dp > pmax) continue;
    }
    const type = <u32>load<u8>(r + NATR_TYPE);
    if (type == NAT_MASQUERADE) return nf_nat_masquerade(ct, r + NATR_RANGE, load<u32>(st + NFS_OIF));
    return nf_nat_setup_info(ct, r + NATR_RANGE, type == NAT_SNAT ? NF_NAT_MANIP_SRC : NF_NAT_MANIP_DST);
  }
  return NF_ACCEPT;
}

/** nf_nat_alloc_null_binding: the manip decided as "none" (the address kept). */
function nullBinding(ct: u32, manip: u32): u32 {
  const r = MASQ_RANGE();
  memory.fill(r, 0, NAT_RANGE_SIZE);
  // the address of the side the manip keeps: the reply's destination (SRC) or source (DST)
  const rep = ct + CT_TUPLE_REPLY;
  const a = rep + (manip == NF_NAT_MANIP_SRC ? CTT_DST : CTT_SRC);
  const n = addrLen(rep);
  memory.copy(r + NR_MIN_ADDR, a, n);
  memory.copy(r + NR_MAX_ADDR, a, n);
  store<u32>(r + NR_FLAGS, NF_NAT_RANGE_MAP_IPS);
  return nf_nat_setup_info(ct, r, manip);
}

/**
 * nf_nat_ipv4_fn / nf_nat_ipv6_fn + nf_nat_inet_fn: NAT's step at a hook for the packet in the hook
 * state; `chains` the hook's NAT chain list (netfilter.ts), 0 when none.
 */
export function nf_nat_inet_fn(st: u32, chains: u32): u32 {
  const ct = load<u32>(st + NFS_CT);
  if (ct == 0) return NF_ACCEPT;
  const ctinfo = <u32>load<u8>(st + NFS_CTINFO);
  if (ctinfo == IP_CT_NONE) return NF_ACCEPT;
  const hook = <u32>load<u8>(st + NFS_HOOK);
  const manip = hook2manip(hook);
  if (ctinfo == IP_CT_RELATED || ctinfo == IP_CT_RELATED_REPLY) {
    const p = <u32>load<u8>(st + NFS_L4PROTO);
    if (p == IPPROTO_ICMP || p == IPPROTO_ICMPV6) return icmpReplyTranslation(st, ct, ctinfo, manip) ? NF_ACCEPT : NF_DROP;
  }
  if ((ctinfo == IP_CT_NEW || ctinfo == IP_CT_RELATED || ctinfo == IP_CT_RELATED_REPLY) && !natInitialized(ct, manip)) {
    if (chains != 0) {
      const n = load<u32>(chains);
      for (let i: u32 = 0; i < n; i++) {
        const v = nft_do_chain(st, load<u32>(chains + 4 + i * 12 + 8));
        if (v != NF_ACCEPT) return v;
        if (natInitialized(ct, manip)) break;
      }
    }
    if (!natInitialized(ct, manip)) {
      const v = builtinRules(st, ct, hook);
      if (v != NF_ACCEPT) return v;
    }
    if (!natInitialized(ct, manip)) {
      const v = nullBinding(ct, manip);
      if (v != NF_ACCEPT) return v;
    }
  } else if (hook == 4 && ctinfo < IP_CT_IS_REPLY && load<u32>(ct + CT_MASQ_OIF) != 0 && load<u32>(ct + CT_MASQ_OIF) != load<u32>(st + NFS_OIF)) {
    // nf_nat_oif_changed: a masqueraded connection's packet of the original direction leaving (POST_ROUTING) by
    // another device than the one it was masqueraded for (a route changed under it: a fwmark rule, a route
    // added) — its address is the old device's: the connection is killed and the packet dropped (the next
    // one makes a new connection, masqueraded anew)
    nf_ct_kill_acct(ct, IP_CT_DIR_ORIGINAL, load<u32>(st + NFS_LEN));
    return NF_DROP;
  }
  return natPacket(st, ct, ctinfo, manip);
}

// ---- The builtin rules' memory (TypeScript writes them, then publishes) ----

/** Room for `n` rules (NATR_SIZE each), zeroed; 0 when the arena is full. */
export function nf_nat_rules_alloc(n: u32): u32 {
  const a = arena_alloc(n == 0 ? NATR_SIZE : n * NATR_SIZE, 64);
  if (a != 0) memory.fill(a, 0, n == 0 ? NATR_SIZE : n * NATR_SIZE);
  return a;
}

/** The rules at `a` (`n` of them) in effect: one store each (count first to 0, so no reader sees a mix). */
export function nf_nat_rules_publish(a: u32, n: u32): i32 {
  const root = ctRoot();
  if (root == 0) return -22;
  store<u32>(root + CR_NAT_COUNT, 0);
  store<u32>(root + CR_NAT_RULES, a);
  store<u32>(root + CR_NAT_COUNT, n);
  return 0;
}

