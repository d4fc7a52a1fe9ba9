// The lean local IPv6 receive for UDP: the common case of stack_rx → ipv6_rcv → ip6_rcv_finish →
// ip6_local_deliver → udpv6_rcv, decided for the frames of a burst at once, as udp_lean.ts decides
// IPv4's (and from there: udp4_burst_demux runs this stage over the same burst, udp4_burst_rcv hands
// it the frames it took).
//
// Which frames: untagged IPv6 on a ring device (not loopback) to the device's own MAC, IPv6 enabled on
// it; version 6, the next header UDP or UDP-Lite right after the fixed header (no extension headers,
// so no hop-by-hop and no jumbogram), a payload length of at least 8 within the frame; no netfilter
// hook registered; no custom IPv6 rules; the protocol table's handler UDP's (or PH_CONSUME); and the
// pair (destination, source) in this worker's local memo at this FIB generation: the input route
// ip6_rcv_finish would take (ip6InputRoute, the same flow key and route cache) said RTN_LOCAL for it.
// Without custom rules the answer reads only the destination and the source (the source: a source
// specific route, CONFIG_IPV6_SUBTREES) — and the input device for a link-local or loopback
// destination (rt6_need_strict), which the memo never keeps. A pair not in the memo is routed here as
// ip6_rcv_finish routes it (at most ROUTES_PER_BURST a burst; the route cache sees what it would have
// seen) and its answer kept, local or not — only when the destination and the source are neither
// multicast, loopback, link-local, IPv4-mapped nor unspecified (ip6_rcv_core's own drops, and the strict
// lookups). Anything else — an anycast
// route, no route, a forward — is left untouched for the full path, which then does everything itself:
// the checks come before any counter or byte is written.
//
// What a frame taken here gets is what the full path gives it: the caller counts it on the device (RX
// packets/bytes) and sets the ring device, as stack_rx does; then Ip6:InReceives and Ip6:InDelivers
// (ipv6_rcv, ip6_local_deliver), and the datagram (trimmed to its payload length) is queued on the
// socket the burst's lookup found, or handed to udpv6_rcv (unicast), or freed (PH_CONSUME).
//
// The lookup, staged over the burst's IPv6 frames as udp4_burst_demux stages IPv4's (same scratch,
// same stage words, the same passes ahead past SOCKS_DEEP live sockets): only while no socket of the
// UDP table is connected and no sk_lookup program is attached, and only what a hash2 chain's head
// decides as udp6_lib_lookup → lookup2 would — the exact chain (hash2Of6 of the destination) when its
// slot has a head, else the wildcard chain (:: shares 0.0.0.0's slot); the head must take the datagram
// at all (matches6: an AF_INET6 socket — AF_INET ones in the wildcard chain never take IPv6, a
// dual-stack or IPV6_V6ONLY one does — the bound address, peer, device); then a member of a reuseport
// group without a program or connected members picked by reciprocal_scale of udp6_ehashfn and not
// ESTABLISHED, or a socket alone on its chain in no group. Only datagrams with a right, non-zero
// checksum are looked up here: a zero one (RFC 8200: an error, udpv6_rcv's UDP_CSUM or NO_SOCKET by
// whether a socket exists), a wrong one, a short length or a jumbogram's zero length go to udpv6_rcv
// whole, as do UDP-Lite and whatever the head does not decide.
//
// Reads: the frame, the device record (MAC, disable_ipv6), the netfilter gate, the FIB generation and
// rule flags, the protocol table, the UDP socket tables. Sets: this worker's scratch (SCR_L4_BURST,
// the IPv6 frames' words) and memo (SCR_UDP6_MEMO); through ip6InputRoute on
// a memo miss, the route cache and IN6_FL / IN6_RES (as ip6_rcv_finish). Next: the socket's queue
// (udp.ts udp6_queue_found), udpv6_rcv (udp.ts), or the full path (eth.ts stack_rx).

import { fibGen, mibInc, netFree, netRoot, netScratch } from './core';
import {
  CONF6_DISABLE_IPV6, LOOPBACK_IFINDEX, SCR_UDP6_MEMO, MIB_IP6_IN_DELIVERS, MIB_IP6_IN_RECEIVES, ND_CONF6, ND_MAC, RTN_LOCAL,
  SK_REUSEPORT_GROUP,
} from './abi';
import { ETH_HLEN, IP6H_DADDR, IP6H_NEXTHDR, IP6H_PAYLOAD_LEN, IP6H_SADDR, IPPROTO_UDP, IPPROTO_UDPLITE, ldBe16 } from './inet';
import { ip6InputRoute, ip6InputRouteType, noCustomRules6 } from './ipv6_rcv';
import { nfActive } from './netfilter';
import { protoHandler, PH_CONSUME, PH_UDP } from './local';
import { udp6_queue_found, udp6AddrSum, udp6CsumOk, udp6ShortOk, udpv6_rcv } from './udp';
import {
  H2_GROUP, H2_HEAD, H2_ID6, H2_INLINE, H2_KEY, h2Member, H2_NUM, h2SeqBegin, h2SeqRetry, H2_SHIFT, H2_SOCKS, RG_DEV, l4Root, L4_LIVE, ID6_ANY, ID6_NONE, addr6Id, addr6Table, RG_PORT, RG_RCV4, RG_RCV6,
  RG_SK6, RG_SLOW, RGS_DEV, SKX_NEXT2, TB_CONNECTED, TB_HASH2, udpTables,
} from './sock';
import { addrHash6, hash2Of4, hash2OfWord6, matches6, udpEhash6f, udpFhash6 } from './sock_lookup';
import { skLookupAttached } from './sk_prog';
import {
  LB_B, LB_HEAD, LB_HSLOT, LB_SAME, LB_SOCK, LB_UDP, SOCKS_DEEP, headLines, kDport, kSport, lbA, lbAhead, lbKeys, lbList, lbLookedSet, lbSame,
  lbSink, lbUlenSet, slotEmpty, staged,
} from './udp_lean';

/**
 * An IPv6 frame's words in the burst's keys (udp_lean.ts lbKeys, 16 bytes a frame; the IPv4 frames'
 * are IPv4's, the length at +12 both families'), written by udp6_burst_demux's first pass for the frames
 * it looks up or compares: the passes after it read these, not the headers — a burst's 64 headers share
 * one L1 set pair, so each pass over them, or a look at another frame's header, misses L1 once a frame.
 *   +0 the frame's address pair: frames with the same number have the same source and destination
 *      (the first pass numbers a pair anew whenever it differs from the frame before's: a burst's frames
 *      mostly share both), the pair's words read from a header only where the number changes
 *   +8 the UDP ports word as loaded (the source port's bytes low)
 */
const K6_PAIR: u32 = 0;
const K6_PORTS: u32 = 8;

const ETH_P_IPV6_LE: u16 = 0xdd86; // 0x86dd as the two bytes load<u16> reads

/** leanGate6's bits: which protocols' handlers the lean path may hand to. */
const LG_UDP: u32 = 1;
const LG_LITE: u32 = 2;

/**
 * What the checks read of the device and the stack, once a burst: 0 when no IPv6 frame from ring
 * device `ifindex` (record `nd`) can take the lean path, else the LG_* bits.
 */
@inline function leanGate6(ifindex: u32, nd: u32): u32 {
  if (ifindex == LOOPBACK_IFINDEX || nfActive() || load<u32>(nd, ND_CONF6 + (CONF6_DISABLE_IPV6 << 2)) != 0 || !noCustomRules6()) return 0;
  const hu = protoHandler(true, IPPROTO_UDP);
  const hl = protoHandler(true, IPPROTO_UDPLITE);
  let g: u32 = 0;
  if (hu == PH_UDP || hu == PH_CONSUME) g |= LG_UDP;
  if (hl == PH_UDP || hl == PH_CONSUME) g |= LG_LITE;
  return g;
}

/**
 * The local input memo (this worker's scratch, SCR_UDP6_MEMO): which (destination, source) pairs the
 * input route answered RTN_LOCAL for — or not — at which FIB generation, direct-mapped by both
 * addresses' last words. A pair's answer stays right while the generation does (every route, rule or
 * address change moves it, dst.ts's cache relies on it too) and there are no custom rules (the gate).
 */
const MEMO_SLOTS: u32 = 32;
const ME_SIZE: u32 = 40;
const ME_GEN: u32 = 32;
const ME_LOCAL: u32 = 0x80000000;
/** Pairs routed by leanLen6 in one burst at most: what this host forwards would otherwise be routed twice. */
const ROUTES_PER_BURST: u32 = 4;
let routes: u32 = 0;

@inline function memoSlot(d: u32, s: u32): u32 {
  return netScratch() + SCR_UDP6_MEMO + ((((load<u32>(d, 12) ^ load<u32>(s, 12) ^ load<u32>(d, 8)) * 0x9e3779b1) >> 27) * ME_SIZE);
}

/**
 * The address at `a` may be kept in the memo: not unspecified, multicast (ff00::/8), loopback (::1),
 * link-local (fe80::/10), nor IPv4-mapped (::ffff:0:0/96, a v4 view the hash2 table keeps apart).
 */
@inline function plainUnicast6(a: u32): bool {
  const w0 = load<u32>(a);
  const b0 = w0 & 0xff;
  if (b0 == 0xff || (w0 & 0xc0ff) == 0x80fe) return false;
  if (w0 == 0 && load<u32>(a, 4) == 0) {
    const w2 = load<u32>(a, 8);
    const w3 = load<u32>(a, 12);
    if (w2 == 0 && (w3 == 0 || w3 == 0x01000000)) return false;
    if (w2 == 0xffff0000) return false;
  }
  return true;
}

/**
 * The datagram's payload length when the frame at `data` (`len` bytes from its Ethernet header), received
 * on ring device `ifindex` (record `nd`) whose leanGate6 is `gate` (not 0), takes the lean path; 0 when
 * the full path must take it. Reads only, but for a memo miss: then the input route, as ip6_rcv_finish.
 */
@inline function leanLen6(ifindex: u32, nd: u32, data: u32, len: u32, gate: u32, gen: u32): u32 {
  if (len < ETH_HLEN + 48 || load<u16>(data, 12) != ETH_P_IPV6_LE) return 0;
  if ((load<u8>(data) & 1) != 0 || load<u32>(data) != load<u32>(nd, ND_MAC) || load<u16>(data, 4) != load<u16>(nd, ND_MAC + 4)) return 0;
  const ip = data + ETH_HLEN;
  const nh = <u32>load<u8>(ip, IP6H_NEXTHDR);
  if ((<u32>load<u8>(ip) >> 4) != 6 || (nh == IPPROTO_UDP ? (gate & LG_UDP) == 0 : nh != IPPROTO_UDPLITE || (gate & LG_LITE) == 0)) return 0;
  const plen = ldBe16(ip + IP6H_PAYLOAD_LEN);
  if (plen < 8 || plen > len - ETH_HLEN - 40) return 0;
  const d = ip + IP6H_DADDR;
  const s = ip + IP6H_SADDR;
  const e = memoSlot(d, s);
  if ((load<u32>(e, ME_GEN) & ~ME_LOCAL) == gen && load<u64>(e) == load<u64>(d) && load<u64>(e, 8) == load<u64>(d, 8) &&
      load<u64>(e, 16) == load<u64>(s) && load<u64>(e, 24) == load<u64>(s, 8)) {
    return (load<u32>(e, ME_GEN) & ME_LOCAL) != 0 ? plen : 0;
  }
  if (routes >= ROUTES_PER_BURST || !plainUnicast6(d) || !plainUnicast6(s)) return 0;
  routes++;
  // ip6_rcv_finish's input route (gen was read before it: an answer from before a change is not kept as the new one's)
  const local = ip6InputRoute(ifindex, ip, 40 + plen, IP6H_NEXTHDR, 40) == 0 && ip6InputRouteType() == RTN_LOCAL;
  store<u32>(e, 0, ME_GEN);
  store<u64>(e, load<u64>(d));
  store<u64>(e, load<u64>(d, 8), 8);
  store<u64>(e, load<u64>(s), 16);
  store<u64>(e, load<u64>(s, 8), 24);
  store<u32>(e, gen | (local ? ME_LOCAL : 0), ME_GEN);
  return local ? plen : 0;
}

/**
 * Decide the IPv6 frames of the `n` frames at `burst` (BURST_MAX × (u32 data, u32 len), eth.ts) from
 * ring device `ifindex` (record `nd`), writing their stage words (udp_lean.ts's scratch; the other frames'
 * are left as they are): how many take the lean path.
 */
export function udp6_burst_demux(ifindex: u32, nd: u32, burst: u32, n: u32): u32 {
  const gate = leanGate6(ifindex, nd);
  if (gate == 0) return 0;
  const A = lbA();
  const B = A + LB_B;
  const r = netRoot() != 0 ? l4Root() : 0;
  const t = r != 0 ? udpTables(r, IPPROTO_UDP) : 0;
  const fast = t != 0 && load<u32>(t + TB_CONNECTED) == 0 && !skLookupAttached() && protoHandler(true, IPPROTO_UDP) == PH_UDP;
  const h2 = fast ? load<u32>(t + TB_HASH2) : 0;
  const deep = fast && load<u32>(r + L4_LIVE) >= SOCKS_DEEP;
  const gen = (fibGen() + 1) & ~ME_LOCAL;
  routes = 0;
  let taken: u32 = 0;
  let slots: u32 = 0;
  let same: u32 = 0;
  // the last flow given a hash2 slot: its frame, ports and address pair (K6_PAIR), as udp_lean.ts
  const L = lbList();
  const K = lbKeys();
  let fi: u32 = 0xffffffff;
  let fp: u32 = 0;
  let fpair: u32 = 0;
  // the pair of the frame before (its number and addresses): a frame with the same addresses has its number
  let pair: u32 = 0;
  let pS0: u64 = 0;
  let pS1: u64 = 0;
  let pD0: u64 = 0;
  let pD1: u64 = 0;
  // their sum (the pseudo header's part for the pair's frames, lastFlowOwn6)
  let pSum: u64 = 0;
  const mac4 = load<u32>(nd, ND_MAC);
  const mac2 = load<u16>(nd, ND_MAC + 4);
  // the lean path's checks; UDP's length and checksum; the hash2 slot
  for (let i: u32 = 0; i < n; i++) {
    const data = load<u32>(burst + (i << 3));
    lbAhead(burst, i, n);
    if (load<u16>(data, 12) != ETH_P_IPV6_LE) continue;
    const flen = load<u32>(burst + (i << 3), 4);
    const ip = data + ETH_HLEN;
    const uh = ip + 40;
    let a: u32 = 0;
    // a datagram for the lookup below (its lengths and checksum checked), its ports word
    let look = false;
    let pp: u32 = 0;
    // The last flow's addresses again, as udp_lean.ts tells them: our MAC, version 6, UDP right after
    // the fixed header, the flow's address pair (leanLen6's answers are functions of these and of the
    // memo, whose answer for a pair this pass does not change; the ports only choose the socket): only
    // the datagram's own lengths and checksum are checked (lastFlowOwn6); any of them failing, the
    // whole way.
    if (fi != 0xffffffff && flen >= ETH_HLEN + 48 && (load<u32>(data, 12) & 0x00f0ffff) == 0x0060dd86 &&
        <u32>load<u8>(ip, IP6H_NEXTHDR) == IPPROTO_UDP && load<u32>(data) == mac4 && load<u16>(data, 4) == mac2 &&
        fpair == pair && pairIs(ip, pS0, pS1, pD0, pD1) && lastFlowOwn6(ip, flen, pSum)) {
      taken++;
      lbUlenSet(i, ldBe16(uh + 4)); // the length lastFlowOwn6 checked, for the enqueue
      pp = load<u32>(uh);
      if (pp == fp) {
        // its ports too: the last flow again
        store<u32>(B + (i << 2), fi);
        store<u32>(A + (i << 2), LB_SAME);
        same++;
        continue;
      }
      a = LB_UDP;
      look = true;
    } else {
      const plen = leanLen6(ifindex, nd, data, flen, gate, gen);
      if (plen != 0) {
        taken++;
        a = LB_UDP;
        if (fast && <u32>load<u8>(ip, IP6H_NEXTHDR) == IPPROTO_UDP) {
          const ulen = ldBe16(uh + 4);
          pp = load<u32>(uh);
          lbUlenSet(i, ulen); // for the enqueue (udp_lean.ts lbUlens), which then does not read the header
          // (otherwise udpv6_rcv decides it: LB_UDP)
          if (ulen >= 8 && ulen <= plen && udp6CsumOk(ip, uh, ulen)) {
            if (!pairIs(ip, pS0, pS1, pD0, pD1)) {
              pair++;
              pS0 = load<u64>(ip, IP6H_SADDR);
              pS1 = load<u64>(ip, IP6H_SADDR + 8);
              pD0 = load<u64>(ip, IP6H_DADDR);
              pD1 = load<u64>(ip, IP6H_DADDR + 8);
              pSum = udp6AddrSum(ip);
            }
            look = true;
          }
        }
      }
    }
    if (look) {
      if (fi != 0xffffffff && pp == fp && pair == fpair) {
        // the last flow looked up again, after frames the lean path did not take
        store<u32>(B + (i << 2), fi);
        a = LB_SAME;
        same++;
      } else {
        // a lookup: the frame's keys, and the frame on the list. An earlier flow of the burst coming back
        // is looked up again, as IPv4's (udp_lean.ts): a table of the burst's flows (32 slots by the
        // source's last word and the ports, probed without branches) cost more per frame than the lookups
        // it saved once the lookup below SOCKS_DEEP was one pass — measured, bench udp --quick, 8
        // alternating rounds at load 20-28: v6 10k 57.6 → 53.6 ns without it, v6 100k 71.5 → 66.5, v6 10
        // sockets 28.7 → 29.0
        const k = K + (i << 4);
        store<u32>(k, pair, K6_PAIR);
        store<u32>(k, pp, K6_PORTS);
        a = LB_HSLOT;
        store<u32>(L + (slots << 2), i);
        slots++;
        fi = i;
        fp = pp;
        fpair = pair;
      }
    }
    store<u32>(A + (i << 2), a);
  }
  if (slots == 0) return taken;
  lbLookedSet();
  udp6Lookup(A, B, L, slots, burst, ifindex, h2, deep);
  if (same != 0) lbSame(A, 0, n);
  return taken;
}

/**
 * The IPv6 header at `ip` has the source `s0` `s1` and the destination `d0` `d1` (as loaded), without a
 * branch between the words. (Tried: the pair as two v128, here and in leanLen6's memo, with the flow
 * hash's secret read once a burst for slotPick6 — even: bench udp --quick, 8 rounds interleaved at load
 * ~9, IPv6 10k sockets 53.8 → 54.6 ns, 100k 64.6 → 65.7.)
 */
@inline function pairIs(ip: u32, s0: u64, s1: u64, d0: u64, d1: u64): bool {
  return ((load<u64>(ip, IP6H_SADDR) ^ s0) | (load<u64>(ip, IP6H_SADDR + 8) ^ s1) | (load<u64>(ip, IP6H_DADDR) ^ d0) | (load<u64>(ip, IP6H_DADDR + 8) ^ d1)) == 0;
}

/**
 * The checks of the IPv6 UDP datagram at `ip` (in a frame of `flen` bytes) that depend on its own fields,
 * for a frame whose other fields are those of a frame that passed leanLen6 and udp6_burst_demux's UDP
 * checks: the payload length within the frame and room for UDP, UDP's length within it and its checksum
 * (a short datagram's with `addrs`, its addresses' sum, udp6AddrSum: the pair's, summed once).
 */
@inline function lastFlowOwn6(ip: u32, flen: u32, addrs: u64): bool {
  const plen = ldBe16(ip + IP6H_PAYLOAD_LEN);
  if (plen < 8 || plen > flen - ETH_HLEN - 40) return false;
  const ulen = ldBe16(ip + 44);
  if (ulen < 8 || ulen > plen) return false;
  return ulen < 64 && load<u16>(ip, 46) != 0 ? udp6ShortOk(ip + 40, ulen, addrs) : udp6CsumOk(ip, ip + 40, ulen);
}


/**
 * udp6_burst_demux's lookup for the `m` frames listed at L (udp_lean.ts lbList: their indices, in order,
 * all at LB_HSLOT; the passes run over the list, as IPv4's do). As IPv4's (udp_lean.ts udp4Lookup): a
 * slot whose head is in a reuseport group is decided from the slot's copy of the group (sock.ts H2_*),
 * which holds its members' key — the head's, what matches6 compares: AF_INET6, the port, the bound
 * address (RG_RCV6, and as an id in line 0: RG_ID6), the device (sock.ts RGS_MIXED: not any more); no
 * peer while none connected — so the head's record (its address and peer in lines of their own) is not
 * read; only a head in no group is. A group with an address id is matched from the slot's line 0 alone.
 * Below SOCKS_DEEP live sockets one pass takes each frame's levels in a row (slot, group, pick: the
 * lines are in cache or near, and the level passes' loads and stores of the stage words cost more than
 * they save, as IPv4's); past it a level at a time, each level's lines asked for in a pass of its own.
 */
function udp6Lookup(A: u32, B: u32, L: u32, m: u32, burst: u32, ifindex: u32, h2: u32, deep: bool): void {
  const K = lbKeys();
  let s: u32 = 0;
  if (deep) {
    // the exact slots; the destination's address mix kept while the burst's frames share the pair
    // (mostly: one local address), read from a header only where the pair changes (K6_PAIR)
    let dPair: u32 = 0xffffffff;
    let dWord: u32 = 0;
    for (let j: u32 = 0; j < m; j++) {
      const i = load<u32>(L + (j << 2));
      const k = K + (i << 4);
      const p = load<u32>(k, K6_PAIR);
      if (p != dPair) {
        dWord = addrHash6(load<u32>(burst + (i << 3)) + ETH_HLEN + IP6H_DADDR);
        dPair = p;
      }
      store<u32>(B + (i << 2), h2 + (hash2OfWord6(dWord, kDport(load<u32>(k, K6_PORTS))) << H2_SHIFT));
    }
    // the slots asked for at once in a pass of their own: the most misses in flight
    for (let j: u32 = 0; j < m; j++) s += load<u32>(load<u32>(B + (load<u32>(L + (j << 2)) << 2)));
  }
  // the exact slot (below SOCKS_DEEP computed here), the wildcard slot's when it is empty (B: then 1
  // exact, 0 wildcard); a slot that names a group decided from its copy at once (slotPick6), only heads in
  // no group staged. The pair's keys (pairKeys6) read from a header where the pair changes
  const ids = addr6Table(l4Root());
  let heads: u32 = 0;
  let kPair: u32 = 0xffffffff;
  for (let j: u32 = 0; j < m; j++) {
    const i = load<u32>(L + (j << 2));
    const k = K + (i << 4);
    const p = load<u32>(k, K6_PAIR);
    const pp = load<u32>(k, K6_PORTS);
    if (p != kPair) {
      pairKeys6(load<u32>(burst + (i << 3)) + ETH_HLEN, ids);
      kPair = p;
    }
    let slot = deep ? load<u32>(B + (i << 2)) : h2 + (hash2OfWord6(gWord, kDport(pp)) << H2_SHIFT);
    let exact: u32 = 1;
    if (slotEmpty(slot)) {
      slot = h2 + (hash2Of4(0, kDport(pp)) << H2_SHIFT);
      exact = 0;
    }
    store<u32>(B + (i << 2), exact);
    const head = load<u16>(slot + H2_NUM) != 0 ? 0 : load<u32>(slot + H2_HEAD);
    if (head == 0 && load<u16>(slot + H2_NUM) != 0) store<u32>(A + (i << 2), slotPick6(slot, exact != 0, pp, ifindex));
    else if (head != 0) {
      store<u32>(A + (i << 2), head | LB_HEAD);
      heads++;
    } else store<u32>(A + (i << 2), LB_UDP);
  }
  if (heads != 0) {
    if (deep) s += headLines(A, L, m);
    udp6LookupHeads(A, B, L, m, burst, ifindex);
  }
  lbSink(s);
}

/**
 * udp6Lookup's heads in no group (their stage words at A: LB_HEAD; B: 1 when the chain was the exact
 * one, 0 the wildcard): do they take the datagram at all (compute_score ≥ 0), and are they alone.
 */
function udp6LookupHeads(A: u32, B: u32, L: u32, m: u32, burst: u32, ifindex: u32): void {
  for (let j: u32 = 0; j < m; j++) {
    const i = load<u32>(L + (j << 2));
    const a = load<u32>(A + (i << 2));
    if (!staged(a, LB_HEAD)) continue;
    const head = a & ~3;
    const ip = load<u32>(burst + (i << 3)) + ETH_HLEN;
    const uh = ip + 40;
    const laddr = load<u32>(B + (i << 2)) != 0 ? ip + IP6H_DADDR : 0;
    let next = LB_UDP;
    // (a head in a group after all — it joined one since the slot was read — is left to udpv6_rcv)
    if (matches6(head, ip + IP6H_SADDR, ldBe16(uh), laddr, ldBe16(uh + 2), ifindex) &&
      load<u32>(head + SK_REUSEPORT_GROUP) == 0 && load<u32>(head + SKX_NEXT2) == 0) next = head | LB_SOCK;
    store<u32>(A + (i << 2), next);
  }
}

/**
 * The keys of udp6Lookup's current address pair, set by pairKeys6 where the pair changes (K6_PAIR): the
 * destination's hash2 mix, its words (the last one udp6_ehashfn's), the hash of the source, and the
 * destination's address id (sock.ts addr6Id: ID6_NONE when it has none, which no group's is).
 */
let gWord: u32 = 0;
let gD0: u64 = 0;
let gD1: u64 = 0;
let gFhash: u32 = 0;
let gId: u32 = ID6_NONE;

/** udp6Lookup's pair keys (gWord…) from the IPv6 header at `ip`; `ids`: the address id table (0: none). */
@inline function pairKeys6(ip: u32, ids: u32): void {
  gWord = addrHash6(ip + IP6H_DADDR);
  gD0 = load<u64>(ip, IP6H_DADDR);
  gD1 = load<u64>(ip, IP6H_DADDR + 8);
  gFhash = udpFhash6(ip + IP6H_SADDR);
  gId = ids != 0 ? addr6Id(ids, ip + IP6H_DADDR) : ID6_NONE;
}

/**
 * The hash2 slot `slot` names a reuseport group (no program, no connected members) whose key matches as
 * the chain's head would (AF_INET6, the port, the bound address — the destination when `exact`, else ::
 * —, the device; no member has a peer while none connected): the chain's first scoring socket is in it,
 * and reuseport_select_sock_by_hash's first pick decides — that member, read from the slot's copy (sock.ts
 * h2Member) or the member array past it; LB_UDP when the group does not decide or the copy was being
 * written (h2SeqRetry). The datagram's ports word `pp` (as loaded), from `ifindex`; its addresses are the
 * pair's (pairKeys6).
 */
@inline function slotPick6(slot: u32, exact: bool, pp: u32, ifindex: u32): u32 {
  const seq = h2SeqBegin(slot);
  const k = <u32>load<u16>(slot + H2_NUM);
  // the group's address is the one the chain was walked with (the destination, or ::): by its id in
  // the slot's copy (RG_ID6: equal ids, equal addresses), or for a group without one by the address in
  // the group's line 1 (RG_RCV6; AF_INET6 members, RG_SK6, with it)
  // (the group itself, named in the slot's line 1, is read only for these and for RGS_DEV: with
  // thousands of groups that line is a miss a datagram)
  const id6 = <u32>load<u16>(slot + H2_ID6);
  let ka = id6 == select<u32>(gId, ID6_ANY, exact);
  if (id6 == 0) {
    const g = load<u32>(slot + H2_GROUP);
    const ra = g + RG_RCV6;
    ka = ((load<u64>(ra) ^ select<u64>(gD0, 0, exact)) | (load<u64>(ra, 8) ^ select<u64>(gD1, 0, exact))) == 0 && load<u8>(g + RG_SK6) != 0;
  }
  // the tests without branches between them (with thousands of groups all pass): RG_PORT and RG_SLOW
  // (+12, +15) as one word, the port, and no program, connected member or changed key (RGS_DEV: the
  // device, in line 1, is compared only then; RG_V6ONLY, +14, says nothing to IPv6)
  if (RG_SLOW != RG_PORT + 3) ERROR('slotPick6: the group key words moved');
  const pw = load<u32>(slot + H2_KEY + (RG_PORT - RG_RCV4));
  const pm = (pw & ~((<u32>RGS_DEV << 24) | 0xff0000)) ^ kDport(pp);
  if ((<u32>(pm == 0) & <u32>(k != 0) & <u32>ka) == 0 || ((pw >> 24) != 0 && load<u32>(load<u32>(slot + H2_GROUP) + RG_DEV) != ifindex)) return LB_UDP;
  // udp6_ehashfn over the address the chain was walked with: the destination's last word, or ::'s
  const lw = select<u32>(<u32>(gD1 >> 32), 0, exact);
  const hash = udpEhash6f(lw, kDport(pp), gFhash, kSport(pp));
  // the pick: not ESTABLISHED, its group having no connected member (sk_connect sets RG_HAS_CONNS
  // before the state, and nothing clears it); as IPv4's (udp_lean.ts slotPick4). What its enqueue reads
  // (line 1 of the record alone: sock.ts SKX_HIT) lbWarm loads for all of them in one pass
  const x = <u32>((<u64>hash * <u64>k) >> 32);
  const sk = x < H2_INLINE ? h2Member(slot, x) : load<u32>(load<u32>(slot + H2_SOCKS) + (x << 2));
  return sk != 0 && !h2SeqRetry(slot, seq) ? sk : LB_UDP;
}

/**
 * An IPv6 frame (Ethernet header at `data`) udp6_burst_demux took, its stage word `a`, from `ifindex`
 * queue `q`: counted as ipv6_rcv and ip6_local_deliver count it, then queued on the socket found, or
 * udpv6_rcv, or freed (PH_CONSUME). Takes the frame.
 */
export function udp6_burst_rcv(ifindex: u32, q: u32, a: u32, data: u32): void {
  const ip = data + ETH_HLEN;
  mibInc(MIB_IP6_IN_RECEIVES);
  mibInc(MIB_IP6_IN_DELIVERS);
  if (a != LB_UDP) {
    udp6_queue_found(a, q, ip, ldBe16(ip + 44), ifindex);
    return;
  }
  const nh = <u32>load<u8>(ip, IP6H_NEXTHDR);
  if (protoHandler(true, nh) == PH_CONSUME) netFree(q, ip);
  else udpv6_rcv(ifindex, q, ip, 40 + ldBe16(ip + IP6H_PAYLOAD_LEN), 40, nh, true, true);
}
