// The lean IPv6 forward: the common case of stack_rx → ipv6_rcv → ip6_rcv_finish → ip6_forward →
// ip6_finish_output → neigh_output, in one short function, for the frames of a burst (eth.ts
// stack_rx_burst) — fwd4_lean.ts's IPv6 twin.
//
// Why: the full path runs every stage for every case (extension headers, jumbograms, multicast,
// redirects, packet too big, unresolved neighbours…) and routes each frame through the route cache and
// two tables' tries (local, then main: fib6_lookup); with many destinations the cache steps aside and
// each frame walks both tries — about a third of the full path's time (a profile of bench flows
// forward6, 12-04). The common case needs a fraction of that.
//
// Which frames: untagged IPv6 to the device's own MAC, version 6, the payload length within the frame,
// no hop-by-hop header (the only one ip6_rcv_core / ip6_forward look at); hop limit above 1; neither
// address unspecified, multicast, loopback or link-local (ip6_rcv_core's drops, rt6_need_strict's
// device-bound lookups, ip6_forward's source check); the burst's device not loopback, IPv6 on it,
// forwarding on (net.ipv6.conf.all.forwarding or its force_forwarding), no netfilter hook registered,
// no custom IPv6 rules, no bulk load in progress, no live redirect exception; the input route a
// unicast route out of another device that is up with IPv6 on, one that fib6_lookup answers from the
// trie walk alone (see the memo); the datagram within the device's mtu6, the route's mtu and a learned
// path MTU toward its destination (ip6_fragment's dst_mtu); the next
// hop's neighbour connected with its header cached. Anything else — and any frame for which one of
// these cannot be decided here — is left untouched for the full path (false), which then does
// everything itself: the checks come before any counter or byte is written.
//
// The route memo (this worker's scratch, RX_FWD6_MEMO): without custom rules ip6_route_input is
// fib6_lookup over table local, then main (ipv6_rcv.ts ip6InputRoute; the route cache, dst.ts, only
// remembers its answers). A trie walk reads the destination's first lpm6Depth bits and no more
// (lpm6.ts), so every destination that shares them gets the same prefix. When local has no prefix for
// the destination and main's prefix has no source-specific routes (no subtree) and a first route that
// is live, unicast and without ECMP siblings (routes of its metric that qualify for ECMP as it does),
// that route is what fib6_lookup gives the input flow (tableLookup6 starts at that prefix, leafCheck6
// with no oif scores every route 2 and takes the first live one, fib6_select_path leaves a route
// without siblings alone): its device, gateway and mtu are kept, keyed by the destination's bits the
// two walks read and the FIB generation (every route, rule, address or link change moves it, as the
// route cache relies on). Four entries, replaced in turn; destinations the walks cannot tell apart
// share one: a million behind a default route, with no other prefix near them, are one entry.
//
// What a frame taken here gets is what the full path gives it: Ip6:InReceives and
// Ip6:OutForwDatagrams and RX packets/bytes on the input device (added once for the burst,
// fwd6_lean_done), the hop limit decremented, the frame trimmed to the payload length, the neighbour's
// and the device's MACs, then netdev_xmit_pend on the route's device (held for one transmit with the
// burst's others: netdev.ts). The caller sets the ring device, as stack_rx does.
//
// Reads: the datagram, the input and output device records, the sysctls, the FIB's tables (local and
// main: their tries and the routes of main's prefix), the neighbour table. Sets: the route memo, the
// next hop's address in the scratch, the Ip6 counters, hop limit / MACs. Next: netdev_xmit_pend, or the
// full path (eth.ts stack_rx).

import { fibGen, mibAdd, netdevGet, netRoot, netScratch, sysctl } from './core';
import {
  AF_INET6, CONF6_DISABLE_IPV6, CONF6_FORCE_FORWARDING, IFF_LOOPBACK, IFF_UP, LOOPBACK_IFINDEX, MIB_IP6_IN_RECEIVES,
  MIB_IP6_OUT_FORW_DATAGRAMS, ND_CONF6, ND_FLAGS, ND_MAC, NDSTAT_RX_BYTES, NDSTAT_RX_PACKETS, NE_MAC, NR_FIB,
  NR_RT6_REDIRECT, RT_TABLE_LOCAL, RT_TABLE_MAIN, RTN_UNICAST, SCR_RX, RX_FWD6_MEMO, SYSCTL_IPV6_ALL_FORWARDING,
} from './abi';
import {
  ETH_HLEN, IP6H_DADDR, IP6H_HOP_LIMIT, IP6H_NEXTHDR, IP6H_PAYLOAD_LEN, IP6H_SADDR, IPPROTO_HOPOPTS, IPV6_ADDR_ANY,
  IPV6_ADDR_LINKLOCAL, IPV6_ADDR_LOOPBACK, IPV6_ADDR_MULTICAST, IPV6_HLEN, ipv6AddrType, ldBe16,
} from './inet';
import {
  FA_ECMP6, FA_MTU, FA_NH, FA_PRIORITY, FA_TYPE, FIBF_BATCH, FIBF_CUSTOM6, FRT_FLAGS, NH_FLAGS, NH_GW, NH_GW_FAMILY, NH_OIF, PX_ALIASES,
  PX_SUBTREE, RTNH_F_DEAD, TB_LPM, fib_table_get,
} from './fib';
import { lpm6Depth, lpm6LookupDepth } from './lpm6';
import { devMtu6 } from './output';
import { dst_pmtu, dstPmtuNone } from './dst';
import { neigh6Ready } from './neigh';
import { ndStat, netdev_xmit_pend, netdevMac, putMac } from './netdev';
import { nfActive } from './netfilter';

/** The next hop's address for the neighbour lookup: output.ts's NH() slot (SCR_RX + 512). */
const NH_OFF: u32 = 512;

// The route memo: MEMO_N entries of ME_SIZE bytes at netScratch() + SCR_RX + RX_FWD6_MEMO.
//   +0 u64 destination's high 64 bits (big-endian value, masked) | +8 low 64 | +16 mask high | +24 mask low
//   +32 u32 FIB generation + 1 (0: empty) | +36 u32 oif | +40 u32 route mtu (0: none) | +44 u8 gateway family
//   +48 16 bytes gateway
const MEMO_N: u32 = 4;
const ME_SIZE: u32 = 64;
const ME_HI: u32 = 0;
const ME_LO: u32 = 8;
const ME_MHI: u32 = 16;
const ME_MLO: u32 = 24;
const ME_GEN: u32 = 32;
const ME_OIF: u32 = 36;
const ME_MTU: u32 = 40;
const ME_GWF: u32 = 44;
const ME_GW: u32 = 48;

// The burst's state (per worker: wasm globals), set by fwd6_lean_ok for a burst from one device.
/** The tries of tables local (0: no such table) and main, and the FIB generation + 1 they were read at. */
let bLocal: u32 = 0;
let bMain: u32 = 0;
let bGen: u32 = 0;
/** Frames and bytes taken in this burst: counted once for it (fwd6_lean_done). */
let bTaken: u32 = 0;
let bBytes: u64 = 0;
/** The memo entry the next fill replaces (per worker). */
let victim: u32 = 0;
/** The lean path is on (net_fwd6_lean_set) and the frames it took, for tests (per instance: this thread's). */
let leanOn: bool = true;
let leanTaken: u32 = 0;

/**
 * Tests: the lean IPv6 forward on (1, the default) or off (0: every frame the full path), so that the
 * same frames can go through both. This thread's instance only.
 */
export function net_fwd6_lean_set(on: u32): void {
  leanOn = on != 0;
}

/** Tests: the frames the lean IPv6 forward took on this thread so far (wrapping at 2^32). */
export function net_fwd6_lean_taken(): u32 {
  return leanTaken;
}

@inline function memo(): u32 {
  return netScratch() + SCR_RX + RX_FWD6_MEMO;
}

/**
 * The device-wide conditions of the lean forward, checked once for a burst from ring device `ifindex`
 * (record `nd`): not loopback, IPv6 on, forwarding on, no netfilter hook, no custom IPv6 rules, no bulk
 * load, table main with a trie (local: none, or one with a trie). -1: every IPv6 frame of the burst
 * takes the full path. Else the burst's state is reset (the caller ends the burst with
 * fwd6_lean_done), and the count of the burst's untagged IPv6 frames (the `n` at `b`, BURST_MAX ×
 * (u32 data, u32 len); b = 0: none counted) whose destination the route memo holds at this generation:
 * their input route is a unicast route of main, so none is delivered here, whatever else becomes of
 * it — the lean UDP receive (udp6_lean.ts) would take none, and a burst of only such frames need not
 * be shown to it (eth.ts: its per-burst routing and memo probes were a tenth of a forwarded frame's
 * time). The memo holds no range with a multicast or link-local destination in it (its keys come from
 * plain destinations and span at least 16 bits). Only speed hangs on the count: a frame the UDP
 * receive is not shown takes the full path, which delivers it alike.
 */
export function fwd6_lean_ok(ifindex: u32, nd: u32, b: u32, n: u32): i32 {
  if (!leanOn || ifindex == LOOPBACK_IFINDEX || (load<u32>(nd, ND_FLAGS) & IFF_LOOPBACK) != 0) return -1;
  if (load<u32>(nd, ND_CONF6 + (CONF6_DISABLE_IPV6 << 2)) != 0) return -1;
  // ip6_forward's first test: all.forwarding, or the input device's force_forwarding
  if (sysctl(SYSCTL_IPV6_ALL_FORWARDING) == 0 && load<u32>(nd, ND_CONF6 + (CONF6_FORCE_FORWARDING << 2)) == 0) return -1;
  if (nfActive()) return -1;
  const fr = load<u32>(netRoot() + NR_FIB);
  if (fr == 0 || (load<u32>(fr + FRT_FLAGS) & (FIBF_CUSTOM6 | FIBF_BATCH)) != 0) return -1;
  const main = fib_table_get(AF_INET6, RT_TABLE_MAIN);
  const local = fib_table_get(AF_INET6, RT_TABLE_LOCAL);
  bMain = main != 0 ? load<u32>(main + TB_LPM) : 0;
  bLocal = local != 0 ? load<u32>(local + TB_LPM) : 0;
  if (bMain == 0 || (local != 0 && bLocal == 0)) return -1;
  bGen = fibGen() + 1;
  bTaken = 0;
  bBytes = 0;
  let k: i32 = 0;
  if (b != 0) {
    for (let i: u32 = 0; i < n; i++) {
      const data = load<u32>(b + (i << 3));
      if (load<u32>(b + (i << 3), 4) < ETH_HLEN + IPV6_HLEN || load<u16>(data, 12) != 0xdd86) continue;
      const d = data + ETH_HLEN + IP6H_DADDR;
      if (memoFind(bswap<u64>(load<u64>(d)), bswap<u64>(load<u64>(d, 8))) != 0) k++;
    }
  }
  return k;
}

/** The burst fwd6_lean_ok accepted is over: the frames taken counted (Ip6:InReceives, Ip6:OutForwDatagrams, RX on `nd`). */
export function fwd6_lean_done(nd: u32): void {
  const n = bTaken;
  if (n == 0) return;
  leanTaken += n;
  mibAdd(MIB_IP6_IN_RECEIVES, <u64>n);
  mibAdd(MIB_IP6_OUT_FORW_DATAGRAMS, <u64>n);
  ndStat(nd, NDSTAT_RX_PACKETS, <u64>n);
  ndStat(nd, NDSTAT_RX_BYTES, bBytes);
  bTaken = 0;
  bBytes = 0;
}

/**
 * The address at `a` is none of unspecified, multicast, loopback, link-local: what ip6_rcv_core
 * (a loopback or multicast source, a loopback destination), ip6_forward's source check and
 * rt6_need_strict (a device-bound lookup) would look at twice. 2000::/3 and the other prefixes
 * ipv6AddrType calls plain unicast without reading further are decided on the first word.
 */
@inline function plain6(a: u32): bool {
  const top = <u32>load<u8>(a) & 0xe0;
  if (top != 0 && top != 0xe0) return true;
  const t = ipv6AddrType(a);
  return t != IPV6_ADDR_ANY && (t & (IPV6_ADDR_MULTICAST | IPV6_ADDR_LOOPBACK | IPV6_ADDR_LINKLOCAL)) == 0;
}

/** The memo entry that holds the destination whose big-endian halves are `hi`, `lo` at this burst's FIB generation, else 0. */
@inline function memoFind(hi: u64, lo: u64): u32 {
  const m = memo();
  for (let i: u32 = 0; i < MEMO_N; i++) {
    const e = m + i * ME_SIZE;
    if (load<u32>(e + ME_GEN) == bGen && ((hi ^ load<u64>(e + ME_HI)) & load<u64>(e + ME_MHI)) == 0 &&
        ((lo ^ load<u64>(e + ME_LO)) & load<u64>(e + ME_MLO)) == 0) return e;
  }
  return 0;
}

/**
 * The memo entry for the destination whose big-endian halves are `hi`, `lo`: one that holds it at this
 * burst's FIB generation, else one filled for it from the tries (fib6_lookup's answer when the trie
 * walk alone decides it, see the header), else 0: the full path routes it.
 */
function route(hi: u64, lo: u64, dst: u32): u32 {
  const found = memoFind(hi, lo);
  if (found != 0) return found;
  const m = memo();
  // table local first (fib6_lookup_oif without custom rules): any prefix there, and the full path decides
  let depth: u32 = 0;
  if (bLocal != 0) {
    if (lpm6LookupDepth(bLocal, dst) != 0) return 0;
    depth = lpm6Depth;
  }
  const px = lpm6LookupDepth(bMain, dst);
  if (px == 0) return 0;
  if (lpm6Depth > depth) depth = lpm6Depth;
  // tableLookup6 starts at this prefix (no subtree, routes of its own); leafCheck6 with no oif takes its
  // first live route (not live: the full path looks further)
  if (load<u32>(px + PX_SUBTREE) != 0) return 0;
  const list = load<u32>(px + PX_ALIASES);
  if (list == 0 || load<u32>(list) == 0) return 0;
  const fa = load<u32>(list + 8);
  if ((load<u32>(fa + FA_NH + NH_FLAGS) & RTNH_F_DEAD) != 0) return 0;
  if (<u32>load<u8>(fa + FA_TYPE) != RTN_UNICAST) return 0;
  if (load<u8>(fa + FA_ECMP6) != 0) {
    // a gateway route qualifies for ECMP: fib6_select_path picks among its siblings (the list's ECMP
    // routes of its metric) only when there are two or more
    const n = load<u32>(list);
    const metric = load<u32>(fa + FA_PRIORITY);
    let siblings: u32 = 0;
    for (let j: u32 = 0; j < n; j++) {
      const s = load<u32>(list + 8 + (j << 2));
      if (load<u8>(s + FA_ECMP6) != 0 && load<u32>(s + FA_PRIORITY) == metric) siblings++;
    }
    if (siblings > 1) return 0;
  }
  const e = m + victim * ME_SIZE;
  victim = (victim + 1) & (MEMO_N - 1);
  const mhi: u64 = depth >= 64 ? <u64>-1 : depth == 0 ? 0 : <u64>-1 << <u64>(64 - depth);
  const mlo: u64 = depth <= 64 ? 0 : <u64>-1 << <u64>(128 - depth);
  store<u32>(e + ME_GEN, 0);
  store<u64>(e + ME_HI, hi & mhi);
  store<u64>(e + ME_LO, lo & mlo);
  store<u64>(e + ME_MHI, mhi);
  store<u64>(e + ME_MLO, mlo);
  store<u32>(e + ME_OIF, load<u32>(fa + FA_NH + NH_OIF));
  store<u32>(e + ME_MTU, load<u32>(fa + FA_MTU));
  store<u8>(e + ME_GWF, load<u8>(fa + FA_NH + NH_GW_FAMILY));
  store<u64>(e + ME_GW, load<u64>(fa + FA_NH + NH_GW));
  store<u64>(e + ME_GW + 8, load<u64>(fa + FA_NH + NH_GW + 8));
  store<u32>(e + ME_GEN, bGen);
  return e;
}

/**
 * The lean forward of the frame at `data` (`len` bytes from its Ethernet header) received on ring
 * device `ifindex` (record `nd`, fwd6_lean_ok for its burst), queue `q`. True when it was forwarded here
 * (the frame is taken), false when nothing was done and the full path must take it.
 */
export function fwd6_lean(ifindex: u32, nd: u32, q: u32, data: u32, len: u32): bool {
  // untagged IPv6 to our MAC (PACKET_HOST: the group bit clear, the device's address)
  if (len < ETH_HLEN + IPV6_HLEN || load<u16>(data, 12) != 0xdd86) return false;
  if ((load<u8>(data) & 1) != 0 || load<u32>(data) != load<u32>(nd, ND_MAC) || load<u16>(data, 4) != load<u16>(nd, ND_MAC + 4)) return false;
  const ip = data + ETH_HLEN;
  // ip6_rcv_core: version 6, the payload within the frame (trimmed to it), no hop-by-hop header to parse
  if ((<u32>load<u8>(ip) >> 4) != 6 || <u32>load<u8>(ip, IP6H_NEXTHDR) == IPPROTO_HOPOPTS) return false;
  const dlen = ldBe16(ip + IP6H_PAYLOAD_LEN) + IPV6_HLEN;
  if (dlen > len - ETH_HLEN || load<u8>(ip, IP6H_HOP_LIMIT) <= 1) return false;
  const daddr = ip + IP6H_DADDR;
  if (!plain6(daddr) || !plain6(ip + IP6H_SADDR)) return false;
  // rt6RedirectMaybe (dst.ts dst6_route): a live redirect exception may change a route's first hop (one
  // may be learned by a frame of this very burst that took the full path: asked for each frame)
  const rr = load<u32>(netRoot() + NR_RT6_REDIRECT);
  if (rr != 0 && load<u32>(rr) != 0) return false;
  const e = route(bswap<u64>(load<u64>(daddr)), bswap<u64>(load<u64>(daddr, 8)), daddr);
  if (e == 0) return false;
  const oif = load<u32>(e + ME_OIF);
  if (oif == ifindex) return false; // a redirect may be due: the full path decides
  const ond = netdevGet(oif);
  // ip6_forward's mtu6 of the device, ip6_finish_output's route mtu; the device up with IPv6 on
  if (ond == 0 || dlen > devMtu6(ond)) return false;
  const rmtu = load<u32>(e + ME_MTU);
  if (rmtu != 0 && dlen > rmtu) return false;
  // a learned path MTU toward the destination counts at output (ip6_fragment's dst_mtu): over it, the full path's
  if (!dstPmtuNone()) {
    const pmtu = dst_pmtu(AF_INET6, daddr);
    if (pmtu != 0 && dlen > pmtu) return false;
  }
  if ((load<u32>(ond, ND_FLAGS) & IFF_UP) == 0 || load<u32>(ond, ND_CONF6 + (CONF6_DISABLE_IPV6 << 2)) != 0) return false;
  // ip6_finish_output2's next hop: the route's gateway, else the destination
  const nh = netScratch() + SCR_RX + NH_OFF;
  const gw = <u32>load<u8>(e + ME_GWF) == AF_INET6 ? e + ME_GW : daddr;
  store<u64>(nh, load<u64>(gw));
  store<u64>(nh, load<u64>(gw, 8), 8);
  const n = neigh6Ready(oif, ond, nh);
  if (n == 0) return false;
  // decided: from here on what the full path does to this frame
  bTaken++;
  bBytes += <u64>len;
  store<u8>(ip, load<u8>(ip, IP6H_HOP_LIMIT) - 1, IP6H_HOP_LIMIT);
  // neigh_hh_output: the neighbour's MAC and the device's (the type is IPv6's already)
  store<u32>(data, load<u32>(n, NE_MAC));
  store<u16>(data, load<u16>(n, NE_MAC + 4), 4);
  putMac(data + 6, netdevMac(ond));
  netdev_xmit_pend(oif, q, data, dlen + ETH_HLEN); // sent with the burst's others (eth.ts)
  return true;
}
