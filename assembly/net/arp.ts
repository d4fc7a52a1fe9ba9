// ARP (RFC 826) as net/ipv4/arp.c: arp_rcv's checks, arp_process (a reply for our addresses under
// arp_ignore and arp_filter, learning from requests and replies, gratuitous ARP under arp_accept),
// arp_solicit (the source address per arp_announce, unicast probes to the cached address once the
// entry is in PROBE, broadcast while INCOMPLETE) and the frame arp_create builds.
//
// Reads: the ARP packet and its Ethernet header (pkt_type), the device's record (ND_FLAGS, ND_MAC,
// ND_CONF4, ND_ADDR4), table local (fib4_local_type), the FIB (arp_filter, rp_filter). Sets: the ARP
// table through neigh.ts (neigh_event_ns, neigh_update), the Arp:* counters.
// Next: the arp family's chains (netfilter.ts nf_arp_hook: NF_ARP_IN before arp_process, NF_ARP_OUT before
// the transmit), a request or reply (a frame from the pool) to netdev_xmit; the received frame is freed,
// consumed or dropped (PKT_TOO_SMALL, ARP_INVALID).

import { frameAlloc } from '../umem';
import { XDP_PACKET_HEADROOM } from '../abi';
import { netFree, netDrop, netdevGet, mibInc } from './core';
import {
  ADDR_ENTRY_SIZE, ADDR_LIST_HEADER, AE_ADDR, AE_PEER, AE_PREFIXLEN, AE_SCOPE, AF_INET, CONF4_ACCEPT_LOCAL, CONF4_ARP_ACCEPT,
  CONF4_ARP_ANNOUNCE, CONF4_ARP_FILTER, CONF4_ARP_IGNORE, CONF4_ROUTE_LOCALNET, CONF4_RP_FILTER, FL_DST, FL_FAMILY, FL_IIF,
  FL_SCOPE, FL_SIZE, FL_SRC, FR_OIF, FR_TYPE, IFF_LOOPBACK, IFF_NOARP, LOOPBACK_IFINDEX, MIB_ARP_IN_REPLIES, MIB_ARP_IN_REQUESTS,
  MIB_ARP_OUT_REPLIES, MIB_ARP_OUT_REQUESTS, ND_ADDR4, ND_CONF4, ND_FLAGS, NDROP_ARP_INVALID, NDROP_NOMEM,
  NDROP_NOT_SPECIFIED, NDROP_PKT_TOO_SMALL, NE_IFINDEX, NE_KEY, NE_MAC, NE_PROBES, NE_UPDATED, NETDEV_MAX, NUD_REACHABLE,
  NUD_STALE, RT_SCOPE_HOST, RT_SCOPE_LINK, RT_SCOPE_UNIVERSE, RTN_BROADCAST, RTN_LOCAL, RTN_UNICAST,
} from './abi';
import { netdev_xmit, inet_select_addr, macIs, netdevMac, putMac } from './netdev';
import { fib4_local_type, fib4_lookup } from './fib';
import { fib_validate_source4 } from './ipv4_rcv';
import {
  inetAddrType, neighCreate, neighEventNs, neighFlowBuf, neighLookupStat, neighNow, neighTable, neighUpdate, parmVar,
  NEIGH_UPDATE_F_OVERRIDE, NVAR_APP_PROBES, NVAR_LOCKTIME, NVAR_UCAST_PROBES,
} from './neigh';
import { NE_PARMS } from './abi';
import { NF_ARP_IN, NF_ARP_OUT, nf_arp_hook } from './netfilter';

const ARPHRD_ETHER: u32 = 1;
const ARPHRD_IEEE802: u32 = 6;
const ARPOP_REQUEST: u32 = 1;
const ARPOP_REPLY: u32 = 2;
const ETH_P_IP: u32 = 0x0800;
/** arp_hdr_len(dev) for Ethernet: the 8-byte header, two 6-byte hardware and two 4-byte IPv4 addresses. */
const ARP_HDR_LEN: u32 = 28;
/** What arp_create puts on the wire: Ethernet header and the ARP packet, no padding (the NIC pads). */
export const ARP_FRAME_LEN: u32 = 14 + ARP_HDR_LEN;

// skb->pkt_type as eth_type_trans sets it
const PACKET_HOST: u32 = 0;
const PACKET_BROADCAST: u32 = 1;
const PACKET_MULTICAST: u32 = 2;
const PACKET_OTHERHOST: u32 = 3;

@inline function be16(p: u32): u32 {
  return <u32>bswap<u16>(load<u16>(p));
}

@inline function conf4(dev: u32, i: u32): u32 {
  return load<u32>(dev + ND_CONF4 + (i << 2));
}

// IPv4 addresses are u32 loaded from their 4 network-order bytes: the first byte is the low one.
@inline function isMulticast(a: u32): bool {
  return (a & 0xf0) == 0xe0;
}
@inline function isLoopback(a: u32): bool {
  return (a & 0xff) == 127;
}
@inline function isZeronet(a: u32): bool {
  return (a & 0xff) == 0;
}
@inline function isLbcast(a: u32): bool {
  return a == 0xffffffff;
}

function pktType(dev: u32, eth: u32): u32 {
  if (macIs(eth, netdevMac(dev))) return PACKET_HOST;
  if ((load<u8>(eth) & 1) == 0) return PACKET_OTHERHOST;
  return load<u32>(eth) == 0xffffffff && load<u16>(eth + 4) == 0xffff ? PACKET_BROADCAST : PACKET_MULTICAST;
}

// ---- The device's IPv4 addresses (ND_ADDR4: kernel order, primaries first) ----

@inline function addrList(dev: u32): u32 {
  return load<u32>(dev + ND_ADDR4);
}

@inline function addrCount(list: u32): u32 {
  return list == 0 ? 0 : load<u32>(list);
}

@inline function addrAt(list: u32, i: u32): u32 {
  return list + ADDR_LIST_HEADER + i * ADDR_ENTRY_SIZE;
}

@inline function ifaMask(a: u32): u32 {
  const plen = <u32>load<u8>(a + AE_PREFIXLEN);
  return plen == 0 ? 0 : bswap<u32>(<u32>(0xffffffff << (32 - plen)));
}

/** inet_ifa_match: `addr` is inside the address's prefix (ifa_address: the peer when there is one). */
@inline function ifaMatch(addr: u32, a: u32): bool {
  return ((addr ^ load<u32>(a + AE_PEER)) & ifaMask(a)) == 0;
}

/** confirm_addr_indev (net/ipv4/devinet.c). */
function confirmAddrIndev(dev: u32, dst: u32, local: u32, scope: u32): u32 {
  const localnetScope: u32 = conf4(dev, CONF4_ROUTE_LOCALNET) != 0 ? RT_SCOPE_LINK : RT_SCOPE_HOST;
  const list = addrList(dev);
  const n = addrCount(list);
  let addr: u32 = 0;
  let same = false;
  for (let i: u32 = 0; i < n; i++) {
    const a = addrAt(list, i);
    const ifaLocal = load<u32>(a + AE_ADDR);
    const minScope = min<u32>(<u32>load<u8>(a + AE_SCOPE), localnetScope);
    if (addr == 0 && (local == ifaLocal || local == 0) && minScope <= scope) {
      addr = ifaLocal;
      if (same) break;
    }
    if (!same) {
      same = (local == 0 || ifaMatch(local, a)) && (dst == 0 || ifaMatch(dst, a));
      if (same && addr != 0) {
        if (local != 0 || dst == 0) break;
        if (ifaMatch(addr, a)) break; // the selected address is in dst's subnet
        if (minScope <= scope) {
          addr = ifaLocal;
          break;
        }
        same = false; // look for a larger dst subnet for addr
      }
    }
  }
  return same ? addr : 0;
}

/** inet_confirm_addr: on `dev`, or (dev 0) on the first device that confirms. */
function inetConfirmAddr(dev: u32, dst: u32, local: u32, scope: u32): u32 {
  if (dev != 0) return confirmAddrIndev(dev, dst, local, scope);
  for (let i: u32 = 1; i < NETDEV_MAX; i++) {
    const d = netdevGet(i);
    if (d == 0) continue;
    const addr = confirmAddrIndev(d, dst, local, scope);
    if (addr != 0) return addr;
  }
  return 0;
}

/** inet_addr_onlink: some address of the device has both `a` and `b` (0: any) on its prefix. */
function inetAddrOnlink(dev: u32, a: u32, b: u32): bool {
  const list = addrList(dev);
  const n = addrCount(list);
  for (let i: u32 = 0; i < n; i++) {
    const x = addrAt(list, i);
    if (ifaMatch(a, x) && (b == 0 || ifaMatch(b, x))) return true;
  }
  return false;
}

// ---- arp_process's policies ----

/** arp_ignore: true when the request must not be answered. */
function arpIgnore(dev: u32, sip: u32, tip: u32): bool {
  let scope: u32 = 0;
  let inDev = dev;
  switch (conf4(dev, CONF4_ARP_IGNORE)) {
    case 0: // reply, the target is already known local
      return false;
    case 1: // only for an address configured on the incoming device
      sip = 0;
      scope = RT_SCOPE_HOST;
      break;
    case 2: // ... and in the same subnet as the sender
      scope = RT_SCOPE_HOST;
      break;
    case 3: // not for scope host addresses
      sip = 0;
      scope = RT_SCOPE_LINK;
      inDev = 0;
      break;
    case 8: // never
      return true;
    default: // 4-7 reserved, and anything larger
      return false;
  }
  return inetConfirmAddr(inDev, sip, tip, scope) == 0;
}

/** arp_accept: may an unsolicited ARP create an entry? */
function arpAccept(dev: u32, sip: u32): bool {
  switch (conf4(dev, CONF4_ARP_ACCEPT)) {
    case 1:
      return true;
    case 2: // only a sender in the subnet of an address of the device
      return inetConfirmAddr(dev, sip, 0, RT_SCOPE_LINK) != 0;
    default:
      return false;
  }
}

/** A flow key for an IPv4 lookup from `src` to `dst` (FL_*), in the neighbour root's buffer. */
function flow4(dst: u32, src: u32): u32 {
  const fl = neighFlowBuf();
  memory.fill(fl, 0, FL_SIZE * 2);
  store<u32>(fl + FL_DST, dst);
  store<u32>(fl + FL_SRC, src);
  store<u32>(fl + FL_IIF, LOOPBACK_IFINDEX);
  store<u8>(fl + FL_FAMILY, <u8>AF_INET);
  store<u8>(fl + FL_SCOPE, <u8>RT_SCOPE_UNIVERSE);
  return fl;
}

/** arp_filter: the reply goes out only if the route back to the sender leaves through this device. */
function arpFilter(sip: u32, tip: u32, ifindex: u32): bool {
  const fl = flow4(sip, tip);
  if (fib4_lookup(fl, fl + FL_SIZE) != 0) return true;
  return load<u32>(fl + FL_SIZE + FR_OIF) != ifindex;
}

/**
 * fib_validate_source for a request to one of our addresses (ip_route_input_noref's, ipv4_rcv.ts
 * validateSource: no ports in an ARP frame, dscp 0, no oif): a sender that is itself one of our
 * addresses is a martian (unless accept_local); with rp_filter, custom rules or custom local routes the
 * route back decides.
 */
function validateSource(dev: u32, ifindex: u32, sip: u32, tip: u32): bool {
  return fib_validate_source4(ifindex, dev, sip, tip, 0, 0, 0, 0) >= 0;
}

/** The route type ip_route_input gives the request's target (RTN_*), 0 when the input route fails (martians). */
function routeInputType(dev: u32, ifindex: u32, sip: u32, tip: u32): u32 {
  const localnet = conf4(dev, CONF4_ROUTE_LOCALNET) != 0;
  if (isMulticast(sip) || isLbcast(sip)) return 0;
  if (isLbcast(tip)) return RTN_BROADCAST;
  if (isZeronet(sip) || isZeronet(tip)) return 0;
  if (isLoopback(tip)) {
    if (!localnet) return 0;
  } else if (isLoopback(sip) && !localnet) {
    return 0;
  }
  // the input route's type: local for an address of any device (the weak host model), not only this one
  const type = fib4_local_type(tip, 0);
  if (type == RTN_LOCAL && !validateSource(dev, ifindex, sip, tip)) return 0;
  return type;
}

let garpAddrType: i32 = -1;

/** arp_is_garp: sender and target address the same (and, for a reply, the same hardware address), a unicast sender. */
function arpIsGarp(ifindex: u32, op: u32, sip: u32, tip: u32, sha: u32, tha: u32): bool {
  let garp = tip == sip;
  if (garp && op == ARPOP_REPLY) garp = load<u32>(tha) == load<u32>(sha) && load<u16>(tha + 4) == load<u16>(sha + 4);
  if (garp) {
    garpAddrType = <i32>inetAddrType(sip);
    if (garpAddrType != <i32>RTN_UNICAST) garp = false;
  }
  return garp;
}

// ---- Sending ----

/**
 * arp_send / arp_create: an ARP packet of `op` from `sip` to `dip` out of `ifindex`, to `destHw`
 * (0: broadcast), with `targetHw` (0: zeros) as the target hardware address.
 */
export function arpSend(op: u32, dip: u32, ifindex: u32, sip: u32, destHw: u32, targetHw: u32): void {
  const dev = netdevGet(ifindex);
  if (dev == 0 || (load<u32>(dev + ND_FLAGS) & IFF_NOARP) != 0) return;
  const f = frameAlloc();
  if (f == 0) {
    netDrop(NDROP_NOMEM);
    return;
  }
  const d = f + XDP_PACKET_HEADROOM;
  const mac = netdevMac(dev); // one load: the address whole even while it changes
  if (destHw != 0) {
    store<u32>(d, load<u32>(destHw));
    store<u16>(d + 4, load<u16>(destHw + 4));
  } else {
    store<u32>(d, 0xffffffff);
    store<u16>(d + 4, 0xffff);
  }
  putMac(d + 6, mac);
  store<u16>(d + 12, 0x0608); // ETH_P_ARP
  const a = d + 14;
  store<u16>(a, bswap<u16>(<u16>ARPHRD_ETHER)); // htons(dev->type)
  store<u16>(a + 2, bswap<u16>(<u16>ETH_P_IP));
  store<u8>(a + 4, 6);
  store<u8>(a + 5, 4);
  store<u16>(a + 6, bswap<u16>(<u16>op));
  putMac(a + 8, mac);
  store<u32>(a + 14, sip);
  if (targetHw != 0) {
    store<u32>(a + 18, load<u32>(targetHw));
    store<u16>(a + 22, load<u16>(targetHw + 4));
  } else {
    store<u32>(a + 18, 0);
    store<u16>(a + 22, 0);
  }
  store<u32>(a + 24, dip);
  mibInc(op == ARPOP_REQUEST ? MIB_ARP_OUT_REQUESTS : MIB_ARP_OUT_REPLIES);
  // arp_xmit: NF_HOOK(NFPROTO_ARP, NF_ARP_OUT, …, arp_xmit_finish)
  if (!nf_arp_hook(NF_ARP_OUT, ifindex, 0, d, d + 14, ARP_HDR_LEN)) return;
  netdev_xmit(ifindex, 0, d, ARP_FRAME_LEN, false);
}

/**
 * arp_solicit: a request for entry `e`'s address. `skb` (its Ethernet header; 0: none) is the newest
 * frame waiting on the entry: its source address is the hint arp_announce weighs.
 */
export function arpSolicit(e: u32, skb: u32, skbLen: u32): void {
  const ifindex = load<u32>(e + NE_IFINDEX);
  const dev = netdevGet(ifindex);
  if (dev == 0) return;
  const target = load<u32>(e + NE_KEY);
  const hint = skb != 0 && skbLen >= 14 + 20 ? load<u32>(skb + 14 + 12) : 0;
  let saddr: u32 = 0;
  switch (conf4(dev, CONF4_ARP_ANNOUNCE)) {
    case 1: // only a source known to the target: in a subnet shared with it
      if (skb == 0) break;
      saddr = hint;
      if (!(inetAddrType(saddr) == RTN_LOCAL && inetAddrOnlink(dev, target, saddr))) saddr = 0;
      break;
    case 2: // avoid secondary addresses: always inet_select_addr
      break;
    default: // 0: any local address
      if (skb != 0 && inetAddrType(hint) == RTN_LOCAL) saddr = hint;
      break;
  }
  if (saddr == 0) saddr = inet_select_addr(ifindex, target, RT_SCOPE_LINK);
  const p = load<u32>(e + NE_PARMS);
  let probes = <i32>load<u32>(e + NE_PROBES) - <i32>parmVar(p, NVAR_UCAST_PROBES);
  let dstHw: u32 = 0;
  if (probes < 0) {
    dstHw = e + NE_MAC; // unicast to the address we have
  } else {
    probes -= <i32>parmVar(p, NVAR_APP_PROBES);
    if (probes < 0) return; // neigh_app_ns: the question goes to a user-space daemon, nothing is sent
  }
  arpSend(ARPOP_REQUEST, target, ifindex, saddr, dstHw, 0);
}

// ---- Receiving ----

@inline function consume(q: u32, data: u32): void {
  netFree(q, data);
}

@inline function drop(q: u32, data: u32, reason: u32): void {
  netFree(q, data);
  netDrop(reason);
}

/** arp_rcv: the device and header checks, then arp_process. Takes the frame. */
export function arpRcv(ifindex: u32, q: u32, data: u32, len: u32): void {
  const dev = netdevGet(ifindex);
  if (dev == 0) {
    drop(q, data, NDROP_NOT_SPECIFIED);
    return;
  }
  const pt = pktType(dev, data - 14);
  // an ARP we ignore is consumed, not dropped ("do not tweak dropwatch")
  if ((load<u32>(dev + ND_FLAGS) & IFF_NOARP) != 0 || pt == PACKET_OTHERHOST) {
    consume(q, data);
    return;
  }
  if (len < ARP_HDR_LEN) {
    drop(q, data, NDROP_PKT_TOO_SMALL);
    return;
  }
  if (load<u8>(data + 4) != 6 || load<u8>(data + 5) != 4) {
    drop(q, data, NDROP_ARP_INVALID);
    return;
  }
  // NF_HOOK(NFPROTO_ARP, NF_ARP_IN, …, arp_process)
  if (!nf_arp_hook(NF_ARP_IN, ifindex, q, data - 14, data, len)) return;
  arpProcess(dev, ifindex, q, data, pt);
}

function arpProcess(dev: u32, ifindex: u32, q: u32, data: u32, pt: u32): void {
  const hrd = be16(data);
  const op = be16(data + 6);
  if ((hrd != ARPHRD_ETHER && hrd != ARPHRD_IEEE802) || be16(data + 2) != ETH_P_IP || (op != ARPOP_REQUEST && op != ARPOP_REPLY)) {
    drop(q, data, NDROP_ARP_INVALID);
    return;
  }
  const sha = data + 8;
  const sip = load<u32>(data + 14);
  const tha = data + 18;
  const tip = load<u32>(data + 24);
  // requests for multicast or (without route_localnet) loopback addresses are bad
  if (isMulticast(tip) || (conf4(dev, CONF4_ROUTE_LOCALNET) == 0 && isLoopback(tip))) {
    drop(q, data, NDROP_ARP_INVALID);
    return;
  }
  mibInc(op == ARPOP_REQUEST ? MIB_ARP_IN_REQUESTS : MIB_ARP_IN_REPLIES);

  // IPv4 duplicate address detection (RFC 2131: the sender has no address yet)
  if (sip == 0) {
    if (op == ARPOP_REQUEST && inetAddrType(tip) == RTN_LOCAL && !arpIgnore(dev, sip, tip)) {
      arpSend(ARPOP_REPLY, sip, ifindex, tip, sha, sha);
    }
    consume(q, data);
    return;
  }

  // a request for one of our addresses: learn the sender, answer
  if (op == ARPOP_REQUEST) {
    const type = routeInputType(dev, ifindex, sip, tip);
    if (type == RTN_LOCAL) {
      let dontSend = arpIgnore(dev, sip, tip);
      if (!dontSend && conf4(dev, CONF4_ARP_FILTER) != 0) dontSend = arpFilter(sip, tip, ifindex);
      if (!dontSend) {
        const n = neighEventNs(AF_INET, ifindex, sha, data + 14);
        if (n != 0) arpSend(ARPOP_REPLY, sip, ifindex, tip, sha, sha);
      }
      consume(q, data);
      return;
    }
    // forwarding with proxy_arp / proxy entries: not modelled (proxy_arp is off by default)
  }

  // update the table: replies to us, requests from neighbours we know, gratuitous ARP if accepted
  const t = neighTable(AF_INET);
  let n = neighLookupStat(t, ifindex, data + 14);
  garpAddrType = -1;
  const accept = arpAccept(dev, sip);
  let garp = false;
  if (n != 0 || accept) garp = arpIsGarp(ifindex, op, sip, tip, sha, tha);
  if (accept && n == 0) {
    if (garp || (op == ARPOP_REPLY && (garpAddrType == <i32>RTN_UNICAST || (garpAddrType < 0 && inetAddrType(sip) == RTN_UNICAST)))) {
      n = neighLookupStat(t, ifindex, data + 14);
      if (n == 0) n = neighCreate(t, ifindex, data + 14, (load<u32>(dev + ND_FLAGS) & IFF_LOOPBACK) != 0);
    }
  }
  if (n != 0) {
    // several replies back to back: the first one wins for locktime, unless it is gratuitous
    const overrideOk = neighNow() > load<i64>(n + NE_UPDATED) + <i64>parmVar(load<u32>(n + NE_PARMS), NVAR_LOCKTIME) || garp;
    // broadcast replies and requests do not confirm reachability
    const state = op != ARPOP_REPLY || pt != PACKET_HOST ? NUD_STALE : NUD_REACHABLE;
    neighUpdate(n, sha, state, overrideOk ? NEIGH_UPDATE_F_OVERRIDE : 0);
  }
  consume(q, data);
}
