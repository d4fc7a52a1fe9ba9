// Receive: the stack's entry after XDP_PASS (or with no program). Ethernet and VLAN demux, then the
// protocol's receive stage — eth_type_trans, vlan_do_receive and __netif_receive_skb_core's tag
// handling, in that order.
//
// Reads: the netdev of the ingress device (its MAC, its VLAN children through netdev_vlan_lookup, IFF_UP
// of a sub-device). Sets: the frame's Ethernet header untagged in place (an 802.1Q / 802.1ad tag is cut
// by moving both MACs up 4 bytes), so every later stage finds L3 at `data` and an untagged Ethernet
// header in the 14 bytes before it; RX packets/bytes on the device and on each sub-device the frame
// passes; rxRingIfindex (the ring device whose host ring takes what local delivery hands up).
//
//   +--------+--------+------+-----+-----+       +--------+--------+------+-----+
//   | dst(6) | src(6) | 8100 | TCI | 0800| ...   |  (4 free bytes)  | dst(6) | src(6) | 0800| ...
//   +--------+--------+------+-----+-----+  ==>  +------------------+--------+--------+-----+
//   data                                          data + 4 (the new Ethernet header)
//
// The packet type is the kernel's: the destination MAC's group bit says broadcast (ff:ff:ff:ff:ff:ff)
// or multicast; a unicast MAC not the device's is OTHERHOST (the VLAN device's own MAC makes it HOST
// again, as vlan_do_receive). A tag whose VLAN has no sub-device: VID 0 is a priority tag, cut and the
// frame stays on the device; any other VID is a VLAN_FILTER drop.
//
// Next: arp_rcv (neigh.ts), ipv4_rcv, ipv6_rcv, or a drop (UNHANDLED_PROTO, VLAN_FILTER, OTHERHOST,
// PKT_TOO_SMALL).
//
// A burst (stack_rx_burst: the frames napi.ts gathered from one poll, at scratch + SCR_BURST) first passes the
// ring device's netdev ingress chains (nf_hook_ingress; netfilter.ts nf_netdev_frame), which may drop, fwd or dup
// frames — before the flowtable's own ingress step, whatever the priorities (the kernel orders the two by them);
// a VLAN sub-device's ingress chains are not run yet. Then it has the FIB warmed for its IPv4 destinations
// (fib_prefetch.ts; not those ipv4_rcv.ts's local memo answers without the FIB), then goes through stack_rx a frame at a time: the same path, with the
// table's memory already in cache — except a plain forward, which takes the lean path (fwd4_lean.ts,
// fwd6_lean.ts for IPv6) to the same result, and a datagram for this host's UDP, whose lean path and socket lookup are decided
// for the whole burst first (udp_lean.ts).

import { netDrop, netFree, netdevGet, netScratch } from './core';
import {
  SCR_BURST, IFF_UP, ND_MAC, ND_STATS, NDROP_NOT_SPECIFIED, NDROP_OTHERHOST, NDROP_PKT_TOO_SMALL, NDROP_UNHANDLED_PROTO,
  NDROP_VLAN_FILTER, NDSTAT_RX_BYTES, NDSTAT_RX_PACKETS, ND_FLAGS,
} from './abi';
import { ndStat, netdev_vlan_lookup, netdev_xmit_flush } from './netdev';
import { arp_rcv } from './neigh';
import {
  ETH_HLEN, ETH_P_8021AD, ETH_P_8021Q, ETH_P_ARP, ETH_P_IP, ETH_P_IPV6, PACKET_BROADCAST, PACKET_HOST,
  PACKET_MULTICAST, PACKET_OTHERHOST, ldBe16,
} from './inet';
import { ipv4_rcv, ipv4LocalMemoHas } from './ipv4_rcv';
import { ipv6_rcv } from './ipv6_rcv';
import { fib4_prefetch, fib4PrefetchDsts } from './fib_prefetch';
import { udp4_prefetch } from './sock_prefetch';
import { fwd4_lean, fwd4_lean_done, fwd4_lean_ok } from './fwd4_lean';
import { fwd6_lean, fwd6_lean_done, fwd6_lean_ok } from './fwd6_lean';
import { fib4_burst_ready } from './fib';
import { udp4_burst_demux, udp4_burst_rcv, udp4BurstDone, udp4BurstTaken } from './udp_lean';
import { NF_NETDEV_INGRESS, nf_ingress_burst_begin, nf_ingress_pkttype, nf_netdev_frame, nfIngressTyped, nfNetdevList } from './netfilter';
import { flowBurstRecs, flowtableActive, nf_flow_burst_done, nf_flow_burst_lookup, nf_flow_burst_other, nf_flow_forward } from './nf_flow_table';

/** The ring device (its ifindex) the frame in flight came in on: local delivery hands frames to its host ring. */
export let rxRingIfindex: u32 = 0;

/** Tags a frame may carry (802.1ad outer + 802.1Q inner is two); more is malformed for us. */
const MAX_TAGS: u32 = 2;

@inline function countRx(nd: u32, len: u32): void {
  // workers receive on one device's queues at once: each in its own per-CPU slot (netdev.ts ndStat)
  ndStat(nd, NDSTAT_RX_PACKETS, 1);
  ndStat(nd, NDSTAT_RX_BYTES, <u64>len);
}

/** The 6-byte MAC at `a` equals the device's (at nd + ND_MAC). */
@inline function macIsDevice(a: u32, nd: u32): bool {
  return load<u32>(a) == load<u32>(nd, ND_MAC) && load<u16>(a, 4) == load<u16>(nd, ND_MAC + 4);
}

/** eth_type_trans's packet type for the destination MAC at `data` on the device record `nd`. */
@inline function pktType(data: u32, nd: u32): u32 {
  if ((load<u8>(data) & 1) != 0) {
    return load<u32>(data) == 0xffffffff && load<u16>(data, 4) == 0xffff ? PACKET_BROADCAST : PACKET_MULTICAST;
  }
  return macIsDevice(data, nd) ? PACKET_HOST : PACKET_OTHERHOST;
}

/**
 * A frame the XDP hook passed on ring device `ifindex`, queue `q` (address; qi its index): `data` at the
 * Ethernet header, `len` bytes. Takes the frame.
 */
export function stack_rx(ifindex: u32, q: u32, qi: u32, data: u32, len: u32): void {
  let nd = netdevGet(ifindex);
  if (nd == 0 || len < ETH_HLEN) {
    netFree(q, data);
    netDrop(nd == 0 ? NDROP_NOT_SPECIFIED : NDROP_PKT_TOO_SMALL);
    return;
  }
  rxRingIfindex = ifindex;
  countRx(nd, len);
  let dev = ifindex;
  let pkt = pktType(data, nd);
  let proto = ldBe16(data + 12);
  // as a netdev ingress chain's `meta pkttype set` left it (by the network header nf_netdev_frame saw: after one tag)
  if (nfIngressTyped()) pkt = nf_ingress_pkttype(data + ETH_HLEN + ((proto == ETH_P_8021Q || proto == ETH_P_8021AD) && len >= ETH_HLEN + 4 ? 4 : 0), pkt);
  for (let tags: u32 = 0; proto == ETH_P_8021Q || proto == ETH_P_8021AD; tags++) {
    if (len < ETH_HLEN + 4 || tags == MAX_TAGS) {
      netFree(q, data);
      netDrop(NDROP_PKT_TOO_SMALL);
      return;
    }
    const vid = ldBe16(data + 14) & 0x0fff;
    const sub = netdev_vlan_lookup(dev, proto, vid);
    if (sub == 0 && vid != 0) {
      netFree(q, data);
      netDrop(NDROP_VLAN_FILTER);
      return;
    }
    // Cut the tag: both MACs move up 4 bytes (12 bytes, overlapping: load all before storing).
    const m0 = load<u64>(data);
    const m1 = load<u32>(data, 8);
    proto = ldBe16(data + 16);
    data += 4;
    len -= 4;
    store<u64>(data, m0);
    store<u32>(data, m1, 8);
    if (sub != 0) {
      const snd = netdevGet(sub);
      if (snd == 0 || (load<u32>(snd, ND_FLAGS) & IFF_UP) == 0) {
        netFree(q, data);
        netDrop(NDROP_NOT_SPECIFIED);
        return;
      }
      if (pkt == PACKET_OTHERHOST && macIsDevice(data, snd)) pkt = PACKET_HOST;
      dev = sub;
      nd = snd;
      countRx(nd, len);
    }
  }
  const l3 = data + ETH_HLEN;
  const l3len = len - ETH_HLEN;
  if (proto == ETH_P_IP) {
    ipv4_rcv(dev, q, l3, l3len, pkt);
  } else if (proto == ETH_P_IPV6) {
    ipv6_rcv(dev, q, l3, l3len, pkt);
  } else if (proto == ETH_P_ARP) {
    if (pkt == PACKET_OTHERHOST) {
      netFree(q, data);
      netDrop(NDROP_OTHERHOST);
      return;
    }
    arp_rcv(dev, q, l3, l3len);
  } else {
    netFree(q, data);
    netDrop(NDROP_UNHANDLED_PROTO);
  }
}

/**
 * nf_hook_ingress for the `n` frames of a burst from ring device `ifindex` (`list`: the netdev family's ingress
 * entries): each frame through the device's chains (netfilter.ts nf_netdev_frame). The frames they drop or steal leave the burst (counted as received on the device, as its driver did); the others
 * close up in order. The burst's new count.
 */
function ingressBurst(list: u32, nd: u32, ifindex: u32, q: u32, n: u32): u32 {
  const b = stackBurstBuf();
  let m: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const data = load<u32>(b + (i << 3));
    const len = load<u32>(b + (i << 3), 4);
    // (too short for an Ethernet header: left for stack_rx's drop)
    const keep = nf_netdev_frame(list, NF_NETDEV_INGRESS, ifindex, q, data, len);
    if (!keep) {
      countRx(nd, len);
    } else {
      store<u64>(b + (m << 3), load<u64>(b + (i << 3)));
      m++;
    }
  }
  return m;
}

/**
 * stack_rx_burst for a burst whose every frame nf_flow_burst_lookup guessed a flow for (none for the lean
 * paths or the warm-ups): each frame to its flow (nf_flow_forward), or to the stack when the flow leaves
 * it there, in order. A function of its own: inside stack_rx_burst the hit's registers spilled around
 * the lean paths' state.
 */
function stack_rx_flows(ifindex: u32, ndf: u32, q: u32, qi: u32, n: u32): void {
  const b = stackBurstBuf();
  const recs = flowBurstRecs();
  let hits: u32 = 0;
  let bytes: u64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const data = load<u32>(b + (i << 3));
    const len = load<u32>(b + (i << 3), 4);
    if (nf_flow_forward(load<u32>(recs + (i << 2)), q, data, len)) {
      rxRingIfindex = ifindex; // counted for the burst (nf_flow_burst_done)
      hits++;
      bytes += <u64>len;
    } else {
      stack_rx(ifindex, q, qi, data, len);
    }
  }
  udpWholeLast = false;
  nf_flow_burst_done(ndf, hits, bytes);
  netdev_xmit_flush();
}

/** Where napi.ts puts a burst's frames for stack_rx_burst: BURST_MAX × (u32 data, u32 len). */
@inline export function stackBurstBuf(): u32 {
  return netScratch() + SCR_BURST;
}

/**
 * The `n` frames at `b`, every one taken by the lean UDP receive (udp4_burst_demux, from ring device
 * `ifindex` with record `nd`) in a burst without flowtable hits or lean forwards: stack_rx_burst's loop
 * for such frames, without its questions for the other stages per frame, the device's RX packets and
 * bytes counted once for the burst. A frame queued with an earlier one's run (LB_DONE) was queued and
 * counted there.
 */
function udpBurstAll(ifindex: u32, q: u32, nd: u32, b: u32, n: u32): void {
  let bytes: u64 = 0;
  for (let i: u32 = 0; i < n; i++) bytes += <u64>load<u32>(b + (i << 3), 4);
  ndStat(nd, NDSTAT_RX_PACKETS, <u64>n);
  ndStat(nd, NDSTAT_RX_BYTES, bytes);
  for (let i: u32 = 0; i < n; i++) {
    if (udp4BurstDone(i)) continue;
    // (a frame's local delivery may have handed another device's frame up: each starts from its own)
    rxRingIfindex = ifindex;
    udp4_burst_rcv(ifindex, q, i, load<u32>(b + (i << 3)));
  }
}

/** The lean UDP receive took the whole of the last burst stack_rx_burst handled (a guess for this one's order). */
let udpWholeLast = false;

/**
 * The `n` frames at stackBurstBuf() (≤ BURST_MAX, from ring device `ifindex`, queue `q` / `qi`): the
 * FIB warmed for the untagged IPv4 ones' destinations and the UDP demux for their datagrams
 * (sock_prefetch.ts), then each through stack_rx. Takes the frames.
 */
export function stack_rx_burst(ifindex: u32, q: u32, qi: u32, n: u32): void {
  const b = stackBurstBuf();
  // the device's netdev ingress chains see every frame first (nf_hook_ingress: after XDP, before the protocol)
  const ndi = netdevGet(ifindex);
  // every burst, with or without ingress chains: the last one's untracked frames that never reached
  // PRE_ROUTING (dropped before it) leave no stale mark for a frame reusing their address
  nf_ingress_burst_begin();
  const ing = ndi != 0 ? nfNetdevList(ndi, NF_NETDEV_INGRESS) : 0;
  if (ing != 0) {
    n = ingressBurst(ing, ndi, ifindex, q, n);
    if (n == 0) return;
  }
  // a frame whose packet type an ingress chain set leaves the lean paths (they take the address's) to the full one
  const typed = nfIngressTyped();
  // offloaded flows first, before the stack (nf_flow_table_ip.c's ingress hook): the burst's records
  // looked up together; the frames that hit skip the stack's warm-ups below
  const ndf = flowtableActive() ? ndi : 0;
  const hits = ndf != 0 ? nf_flow_burst_lookup(ifindex, ndf, b, n) : 0;
  if (hits == n && n != 0) {
    stack_rx_flows(ifindex, ndf, q, qi, n);
    return;
  }
  const recs = flowBurstRecs();
  // The lean UDP receive decides first when it took the whole of the last burst (a UDP service's
  // traffic): taking this one whole too, it leaves the pass below nothing to do — that pass finds the
  // frames to warm the FIB for and whether any is for this host (udp_lean.ts's to decide), and each pass
  // over a burst's headers misses L1 on every frame (their 64 lines share one set pair: ~3 ns a frame,
  // measured). Otherwise it runs as before, the decision in hand (the pass only reads the frames and
  // the local input memo; the frames this took are local ones, which it leaves out of its FIB list).
  let l: u32 = 0;
  let ndu: u32 = 0;
  if (hits == 0 && udpWholeLast && !typed) {
    ndu = ndf != 0 ? ndf : netdevGet(ifindex);
    if (ndu != 0) l = udp4_burst_demux(ifindex, ndu, b, n);
  }
  const d = fib4PrefetchDsts();
  let m: u32 = 0;
  // bit i: frame i's destination is the walk's next one (its slot: the count of bits below i)
  let warmed: u64 = 0;
  let u: u32 = 0;
  let v6: u32 = 0;
  // (none when the lean UDP receive or the flowtable took every frame)
  for (let i: u32 = l == n || hits == n ? n : 0; i < n; i++) {
    const data = load<u32>(b + (i << 3));
    if (hits != 0 && load<u32>(recs + (i << 2)) != 0) continue;
    // untagged IPv4 with a whole header: the destination at 14 + 16
    // (not those the local input route memo answers: they will not walk the FIB)
    if (load<u32>(b + (i << 3), 4) >= ETH_HLEN + 20 && load<u16>(data, 12) == 0x0008) {
      const dst = load<u32>(data, ETH_HLEN + 16);
      if (ipv4LocalMemoHas(dst)) {
        u++;
        continue;
      }
      store<u32>(d + (m << 2), dst);
      warmed |= <u64>1 << <u64>i;
      m++;
    } else if (load<u16>(data, 12) == 0xdd86) {
      u++; // untagged IPv6: udp6_lean.ts's to decide (in udp4_burst_demux)
      v6++;
    }
  }
  // a plain forward takes the lean path (fwd4_lean.ts, fwd6_lean.ts), a datagram for this host's UDP its own, decided
  // for the whole burst first (udp_lean.ts; not in a burst with flowtable hits), everything else the full one
  const nd = m != 0 ? netdevGet(ifindex) : ndf;
  // the lean IPv6 forward; the IPv6 frames to destinations its route memo holds (routed by unicast
  // routes) are none of the lean UDP receive's: a burst of only those is not shown to it
  const nd6 = v6 != 0 ? (nd != 0 ? nd : netdevGet(ifindex)) : 0;
  const k6 = nd6 != 0 && !typed ? fwd6_lean_ok(ifindex, nd6, hits == 0 ? b : 0, n) : -1;
  const lean6 = k6 >= 0;
  u -= lean6 ? <u32>k6 : 0;
  if (ndu == 0) {
    ndu = u != 0 && hits == 0 && !typed ? (nd != 0 ? nd : netdevGet(ifindex)) : 0;
    l = ndu != 0 ? udp4_burst_demux(ifindex, ndu, b, n) : 0;
  }
  udpWholeLast = l == n && n != 0;
  if (hits != n) {
    fib4_prefetch(m);
    if (l == 0) udp4_prefetch(b, n);
  }
  // what the lean forward asks of the device and of the FIB is checked here once for the burst
  const lean = m != 0 && nd != 0 && !typed && fwd4_lean_ok(ifindex, nd);
  const bySlot = lean && fib4_burst_ready();
  let slot: i32 = 0;
  let fHits: u32 = 0;
  let fBytes: u64 = 0;
  if (l == n && hits == 0 && !lean && !lean6) udpBurstAll(ifindex, q, ndu, b, n);
  else for (let i: u32 = 0; i < n; i++) {
    const data = load<u32>(b + (i << 3));
    const len = load<u32>(b + (i << 3), 4);
    const rec = hits != 0 ? load<u32>(recs + (i << 2)) : 0;
    if (hits != 0 && rec == 0) nf_flow_burst_other(); // (the stack may change a neighbour the next hit uses)
    const at: i32 = bySlot && ((warmed >> <u64>i) & 1) != 0 ? slot++ : -1;
    if (l != 0 && udp4BurstTaken(i)) {
      rxRingIfindex = ifindex;
      countRx(ndu, len);
      udp4_burst_rcv(ifindex, q, i, data);
    } else if (rec != 0 && nf_flow_forward(rec, q, data, len)) {
      rxRingIfindex = ifindex; // counted for the burst (nf_flow_burst_done)
      fHits++;
      fBytes += <u64>len;
    } else if (lean && fwd4_lean(ifindex, nd, q, data, len, at)) {
      rxRingIfindex = ifindex; // counted for the burst (fwd4_lean_done)
    } else if (lean6 && fwd6_lean(ifindex, nd6, q, data, len)) {
      rxRingIfindex = ifindex; // counted for the burst (fwd6_lean_done)
    } else {
      stack_rx(ifindex, q, qi, data, len);
    }
  }
  if (lean) fwd4_lean_done(nd);
  if (lean6) fwd6_lean_done(nd6);
  if (hits != 0) nf_flow_burst_done(ndf, fHits, fBytes);
  // the frames the fast paths forwarded, held for one transmit per device (netdev.ts netdev_xmit_pend)
  netdev_xmit_flush();
}
