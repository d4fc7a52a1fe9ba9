// The lean IPv4 forward: the common case of stack_rx → ipv4_rcv → ip_forward → ip_finish_output →
// neigh_output, in one short function, for the frames of a burst (eth.ts stack_rx_burst).
//
// Why: the full path is written stage by stage for every case (VLAN tags, options, multicast, martians,
// rp_filter, redirects, fragments, unresolved neighbours…); compiled, the stages a plain forwarded frame
// passes are tens of KB of machine code, each re-deriving the root, the device records, the scratch
// addresses — more than the L1 instruction cache holds beside the ring code, so every frame of a burst
// fetches them again. The common case needs a fraction of it.
//
// Which frames: untagged IPv4 to the device's own MAC, a 20-byte header with a good checksum, not
// truncated; neither address multicast, limited broadcast, 0.0.0.0 or loopback; forwarding on on the
// input device; TTL above 1; the input route (dst4_route, the same flow key as ipv4_rcv's) unicast out
// of another device that is up, with an IPv4 gateway or none; the source accepted by fib_validate_source
// (ipv4_rcv.ts: rp_filter 0/1/2, accept_local, the reverse lookup custom rules or local routes call
// for; with none of those, not one of our addresses); ip_forward_use_pmtu off and the datagram within the
// route's MTU; the next hop's neighbour connected with its header cached. Anything else — and any frame
// for which one of these cannot be decided here — is left untouched for the full path (false), which
// then does everything itself; the checks come before any counter or byte is written.
//
// What a frame taken here gets is what the full path gives it: Ip:InReceives and Ip:ForwDatagrams and
// RX packets/bytes on the input device (added once for the burst, fwd4_lean_done), TTL decremented with
// ip_decrease_ttl's checksum update, the frame trimmed to the datagram's total length, the neighbour's
// and the device's MACs, then netdev_xmit_pend on the route's device (held for one transmit with the
// burst's others: netdev.ts). The caller sets the ring device, as stack_rx does.
//
// Reads: the datagram, the input and output device records, the sysctls, the FIB (the burst walk's
// answer by the frame's slot, fib4BurstRouteAt — with rules, fib4BurstRuleRouteAt — when it is the whole answer; else through the route
// cache, dst.ts), the
// neighbour table. Sets: the scratch flow key and result of ipv4_rcv (IN_FL) when the route cache was
// asked, the next hop's address in the scratch, the Ip counters, TTL / checksum / MACs. Next: netdev_xmit_pend, or the full path (eth.ts stack_rx).

import { mibAdd, netdevGet, sysctl } from './core';
import {
  AF_INET, CONF4_ACCEPT_LOCAL, CONF4_FORWARDING, CONF4_RP_FILTER, FR_GW, FR_GW_FAMILY, FR_MTU, FR_OIF, FR_TYPE,
  IFF_UP, LOOPBACK_IFINDEX, MIB_IP_FORW_DATAGRAMS, MIB_IP_IN_RECEIVES, ND_CONF4, ND_FLAGS, ND_MAC, ND_MTU, NE_MAC,
  NDSTAT_RX_BYTES, NDSTAT_RX_PACKETS, RTN_UNICAST, SYSCTL_IP_FORWARD_USE_PMTU, SYSCTL_FIB_MULTIPATH_HASH_POLICY,
} from './abi';
import { ETH_HLEN, IPH_DADDR, IPH_PROTOCOL, IPH_SADDR, IPH_TOS, IPH_TOT_LEN, IPH_TTL, ldBe16 } from './inet';
import { ipHeaderValid } from './csum';
import { fib_validate_source4, fullSourceCheck4, icmp4MaybeErr, IN_FL, inputFlow, ipv4LocalMemoHas, sourceIsLocal } from './ipv4_rcv';
import { dst4_route, dstPmtuLockedAny } from './dst';
import { ipDecreaseTtl } from './forward';
import { FA_MTU, FA_NH, FA_NHS, fib4_mp_pick, fib4_mp_pick_addrs, fib4BurstRouteAt, fib4BurstRuleRouteAt, fib4BurstRules, NH_GW, NH_GW_FAMILY, NH_NEIGH, NH_OIF, NH_SIZE } from './fib';
import { mp_hash4_addrs_only } from './mphash';
import { neigh4Ready, neigh4ReadyHinted } from './neigh';
import { ndStat, netdev_xmit_pend, netdevMac, putMac } from './netdev';
import { nfActive, nfIngressMarked } from './netfilter';

/** The next hop's address for the neighbour lookup, from the flow key: output.ts's NH() slot (SCR_RX + 512). */
const NH_OFF: u32 = 512;

// The burst's state (per worker: wasm globals), set by fwd4_lean_ok for a burst from one device.
/** fib_validate_source asks only whether the source is ours (rp_filter off, no custom rules or local routes, accept_local off). */
let bSrcSimple: bool = false;
/** accept_local on with rp_filter off and nothing custom: every source passes. */
let bSrcAny: bool = false;
/** The last source sourceIsLocal answered for in this burst (0: none; 0.0.0.0 never gets here) and its answer. */
let bSrc: u32 = 0;
let bSrcLocal: bool = false;
/** Frames and bytes taken in this burst: counted once for it (fwd4_lean_done). */
let bTaken: u32 = 0;
let bBytes: u64 = 0;

/**
 * The device-wide conditions of the lean forward, checked once for a burst from ring device `ifindex`
 * (record `nd`): not loopback, forwarding on, ip_forward_use_pmtu off, no netfilter hook registered.
 * False: every frame of the burst takes the full path. True: the burst's state is reset (the caller
 * ends the burst with fwd4_lean_done).
 */
export function fwd4_lean_ok(ifindex: u32, nd: u32): bool {
  if (ifindex == LOOPBACK_IFINDEX) return false;
  // a device that forwards nothing (a host's): the full path, before any checksum is summed twice
  if (load<u32>(nd, ND_CONF4 + (CONF4_FORWARDING << 2)) == 0) return false;
  // a learned PMTU the forward honours (ip_forward_use_pmtu, or a locked one: dst_pmtu_forward4) is the full path's
  if (sysctl(SYSCTL_IP_FORWARD_USE_PMTU) != 0 || dstPmtuLockedAny() || nfActive() || nfIngressMarked()) return false;
  // fib_validate_source's mode for the burst's frames (they all come in on this device, none goes back
  // out of it here, so no redirect is in question)
  const plain = load<u32>(nd, ND_CONF4 + (CONF4_RP_FILTER << 2)) == 0 && !fullSourceCheck4();
  const acceptLocal = load<u32>(nd, ND_CONF4 + (CONF4_ACCEPT_LOCAL << 2)) != 0;
  bSrcAny = plain && acceptLocal;
  bSrcSimple = plain && !acceptLocal;
  bSrc = 0;
  bTaken = 0;
  bBytes = 0;
  return true;
}

/** The burst fwd4_lean_ok accepted is over: the frames taken counted (Ip:InReceives, Ip:ForwDatagrams, RX on `nd`). */
export function fwd4_lean_done(nd: u32): void {
  const n = bTaken;
  if (n == 0) return;
  mibAdd(MIB_IP_IN_RECEIVES, <u64>n);
  mibAdd(MIB_IP_FORW_DATAGRAMS, <u64>n);
  ndStat(nd, NDSTAT_RX_PACKETS, <u64>n);
  ndStat(nd, NDSTAT_RX_BYTES, bBytes);
  bTaken = 0;
  bBytes = 0;
}

/**
 * The lean forward of the frame at `data` (`len` bytes from its Ethernet header) received on ring
 * device `ifindex` (record `nd`, fwd4_lean_ok for its burst), queue `q`; `slot`: the frame's place among
 * the destinations the burst's FIB walk warmed when its answers are current (fib4_burst_ready), else
 * -1. True when it was forwarded here (the frame is taken), false when nothing was done and the full
 * path must take it.
 */
export function fwd4_lean(ifindex: u32, nd: u32, q: u32, data: u32, len: u32, slot: i32): bool {
  // untagged IPv4 to our MAC (PACKET_HOST: the group bit clear, the device's address)
  if (len < ETH_HLEN + 20 || load<u16>(data, 12) != 0x0008) return false;
  if ((load<u8>(data) & 1) != 0 || load<u32>(data) != load<u32>(nd, ND_MAC) || load<u16>(data, 4) != load<u16>(nd, ND_MAC + 4)) return false;
  const ip = data + ETH_HLEN;
  // ip_rcv_core: a 20-byte version 4 header, its checksum, the total length within the frame
  if (load<u8>(ip) != 0x45 || !ipHeaderValid(ip, 20)) return false;
  const tot = ldBe16(ip + IPH_TOT_LEN);
  if (tot < 20 || tot > len - ETH_HLEN || load<u8>(ip, IPH_TTL) <= 1) return false;
  // the martians ip_route_input_slow sorts out (multicast, limited broadcast, 0.0.0.0, loopback), as
  // network-order words: the first octet in the low byte
  const daddr = load<u32>(ip, IPH_DADDR);
  const saddr = load<u32>(ip, IPH_SADDR);
  if (!plainUnicast(daddr) || !plainUnicast(saddr)) return false;
  // one of ours by the local input memo (ipv4_rcv.ts): delivered here, so no route walk for it here
  if (ipv4LocalMemoHas(daddr)) return false;
  // the input route: the burst's walk's answer when it is the whole of it (fib4BurstRouteAt: no rules,
  // main's one route for the prefix; its next hop, or fib4_mp_pick's of several), else dst4_route with
  // ipv4_rcv's flow key
  const tos = <u32>load<u8>(ip, IPH_TOS) & 0xfc;
  const fl = IN_FL();
  let oif: u32, mtu: u32, gwf: u32, gw: u32;
  let hint: u32 = 0;
  // with rules added, the rules the flow key matches lead to main (fib4BurstRuleRouteAt)
  const rules = slot >= 0 && fib4BurstRules();
  if (rules) inputFlow(fl, ip, 20, daddr, saddr, ifindex, tos);
  const fa = slot < 0 ? 0 : rules ? fib4BurstRuleRouteAt(<u32>slot, fl, tos) : fib4BurstRouteAt(<u32>slot, tos);
  // a multipath route: fib_select_multipath's next hop over the input flow's hash (fib4_mp_pick)
  let k: i32 = 0;
  // policy 3, a policy 0 ICMP error and a tunnel's packet under policy 2 hash the packet (ipv4_rcv's route input):
  // the full path
  const pol = sysctl(SYSCTL_FIB_MULTIPATH_HASH_POLICY);
  if (pol == 3 || (pol == 0 && icmp4MaybeErr(ip, 20, tot))) return false;
  if (pol == 2) {
    const p = <u32>load<u8>(ip, IPH_PROTOCOL);
    if (p == 4 || p == 41 || p == 47) return false;
  }
  if (fa != 0 && load<u32>(fa + FA_NHS) > 1) {
    // the hash over the addresses alone (the usual policies): no flow key to build for it
    if (mp_hash4_addrs_only()) k = fib4_mp_pick_addrs(fa, saddr, daddr);
    else {
      if (!rules) inputFlow(fl, ip, 20, daddr, saddr, ifindex, tos);
      k = fib4_mp_pick(fa, fl);
    }
  }
  if (fa != 0 && k >= 0) {
    const h = fa + FA_NH + <u32>k * NH_SIZE;
    oif = load<u32>(h + NH_OIF);
    mtu = load<u32>(fa + FA_MTU);
    gwf = <u32>load<u8>(h + NH_GW_FAMILY);
    gw = load<u32>(h + NH_GW);
    hint = h + NH_NEIGH;
  } else {
    const res = fl + 64;
    inputFlow(fl, ip, 20, daddr, saddr, ifindex, tos);
    if (dst4_route(fl, res) != 0 || <u32>load<u8>(res, FR_TYPE) != RTN_UNICAST) return false;
    oif = load<u32>(res, FR_OIF);
    mtu = load<u32>(res, FR_MTU);
    gwf = <u32>load<u8>(res, FR_GW_FAMILY);
    gw = load<u32>(res, FR_GW);
  }
  if (oif == ifindex) return false; // a redirect may be due: the full path decides
  // fib_validate_source toward another device: with rp_filter off and nothing custom, our own address
  // as the source is a martian (asked once for a run of frames from one source); else the route back
  // decides (ipv4_rcv.ts). A source it refuses: the full path drops the frame with the reason.
  if (bSrcSimple) {
    if (saddr != bSrc) {
      bSrc = saddr;
      bSrcLocal = sourceIsLocal(saddr);
    }
    if (bSrcLocal) return false;
  } else if (!bSrcAny && fib_validate_source4(ifindex, nd, saddr, daddr, tos, oif, ip, 20) < 0) return false;
  const ond = netdevGet(oif);
  // the route's MTU, else the device's (output.ts routeMtu4)
  if (ond == 0 || (load<u32>(ond, ND_FLAGS) & IFF_UP) == 0 || tot > (mtu != 0 ? mtu : load<u32>(ond, ND_MTU))) return false;
  // rt_nexthop: the IPv4 gateway, or the destination on the link (an IPv6 gateway: the full path)
  if (gwf != AF_INET && gwf != 0) return false;
  const nh = fl + NH_OFF;
  store<u32>(nh, gwf == AF_INET ? gw : daddr);
  // a gateway's neighbour through its next hop's hint (the route's record, shared and hot)
  const e = hint != 0 && gwf == AF_INET ? neigh4ReadyHinted(oif, ond, nh, hint) : neigh4Ready(oif, ond, nh);
  if (e == 0) return false;
  // decided: from here on what the full path does to this frame
  // Ip:InReceives, Ip:ForwDatagrams and the RX counters once for the burst (fwd4_lean_done)
  bTaken++;
  bBytes += <u64>len;
  ipDecreaseTtl(ip);
  // neigh_hh_output: the neighbour's MAC and the device's (the type is IPv4's already)
  store<u32>(data, load<u32>(e, NE_MAC));
  store<u16>(data, load<u16>(e, NE_MAC + 4), 4);
  putMac(data + 6, netdevMac(ond));
  netdev_xmit_pend(oif, q, data, tot + ETH_HLEN); // sent with the burst's others (eth.ts)
  return true;
}

/** Network-order `a` is none of multicast (224/4), 255.255.255.255, 0.0.0.0, 127/8. */
@inline function plainUnicast(a: u32): bool {
  const b0 = a & 0xff;
  return (b0 & 0xf0) != 0xe0 && a != 0xffffffff && a != 0 && b0 != 127;
}
