// Links: a device's Ethernet frames carried in UDP datagrams to and from a real network, through an OS
// socket TypeScript owns (src/control/link.ts). VXLAN (RFC 7348), GENEVE (RFC 8926), or the frames as
// they are ("udp": two wxdp processes). TypeScript only moves datagrams between the socket and two
// buffers; headers are checked, stripped and written here, a burst per call.
//
//   socket 'message' ─▶ RX buffer ─▶ link_rx: header checks (vxlan_rcv / geneve_udp_encap_recv, geneve_rx),
//                                    the inner frame onto the device's RX ring (dev_rx: queue 0)
//   device TX rings ─▶ link_tx: each frame behind a tunnel header, the outer UDP source port from the
//                     inner flow hash (udp_flow_src_port) ─▶ TX buffer ─▶ socket.send per record
//
//   link block  +0 kind | +4 VNI | +8 device address | +12 source port min | +16 source port max
//               +20 hash seed (the kernel's hashrnd: random per link) | +24 the device's ifindex | ...
//               +64 LINK_STAT_COUNT × u64
// A device deleted under its link (ip link del) leaves its block to be reused: both directions check
// the device table first and answer LINK_GONE, and TypeScript closes the link.
//   RX record   u32 datagram length | u32 flags (RXF_FROM_REMOTE) | the datagram, next at 4-byte alignment
//   TX record   u32 datagram length | u32 outer UDP source port | the datagram, next at 4-byte alignment
//
//   VXLAN header (8 bytes)                         GENEVE header (8 bytes + options)
//   |R|R|R|R|I|R|R|R|   reserved (24)   |          |Ver|Opt Len|O|C| rsvd |   Protocol Type (16)  |
//   |        VNI (24)         | rsvd (8)|          |        VNI (24)         |   reserved (8)      |
//
// Reads: the link block, the device's MAC and rings. Sets: the device's RX/TX/completion rings (device.ts),
// the link's counters. Nothing allocates per datagram, nothing throws: every refusal is counted by reason.

import { DEV_IFINDEX, DEV_MAC, DEV_NQUEUES, FRAME_SIZE, Q_COMP, Q_RX, Q_TX, RING_CONSUMER, RING_PRODUCER } from './abi';
import { copyBytes } from './bytes';
import { dev_rx, devLookup, devQueue, ETH_HLEN } from './device';
import { jhash, jhash3w } from './maps/jhash';
import { ringEntry, ringFree, ringPushAddr, ringProducerAcquire, ringConsumerRelease } from './ring';
import { frameFree } from './umem';

export const LINK_VXLAN: u32 = 1;
export const LINK_GENEVE: u32 = 2;
export const LINK_UDP: u32 = 3;

export const LINK_KIND: u32 = 0;
export const LINK_VNI: u32 = 4;
export const LINK_DEV: u32 = 8;
export const LINK_PORT_MIN: u32 = 12;
export const LINK_PORT_MAX: u32 = 16;
export const LINK_SEED: u32 = 20;
export const LINK_IFINDEX: u32 = 24;
/** What link_rx / link_tx return when the link's device is no longer in the device table. */
export const LINK_GONE: u32 = 0xffffffff;
export const LINK_STATS: u32 = 64;

// Counters (u64, index × 8 from LINK_STATS). Reasons carry the kernel's names where it has one.
export const LSTAT_RX_DATAGRAMS: u32 = 0; //    datagrams link_rx looked at
export const LSTAT_RX_PACKETS: u32 = 1; //      inner frames posted on the device's RX ring
export const LSTAT_RX_BYTES: u32 = 2; //        their bytes (the inner frame, as the kernel's vxlan rx_bytes)
export const LSTAT_TX_PACKETS: u32 = 3; //      frames encapsulated into the TX buffer
export const LSTAT_TX_BYTES: u32 = 4; //        their inner bytes
export const LSTAT_RX_DROPPED: u32 = 5; //      decapsulated, but the device refused it (its own drop reason says why)
export const LSTAT_HDR_TRUNC: u32 = 6; //       shorter than the tunnel header and its options (SKB_DROP_REASON_HDR_TRUNC)
export const LSTAT_INVALID_HDR: u32 = 7; //     VXLAN: I flag clear or a reserved bit set (VXLAN_INVALID_HDR); GENEVE: version ≠ 0
export const LSTAT_VNI_NOT_FOUND: u32 = 8; //   another VNI (VXLAN_VNI_NOT_FOUND; GENEVE: geneve_lookup finds no device)
export const LSTAT_FOREIGN_SOURCE: u32 = 9; //  not from the remote (GENEVE: geneve_lookup keys on it; udp: the peer)
export const LSTAT_BAD_PROTO: u32 = 10; //      GENEVE protocol type other than 0x6558 (transparent Ethernet bridging)
export const LSTAT_CRITICAL_OPTIONS: u32 = 11; // GENEVE C bit: critical options this end does not understand
export const LSTAT_LOCAL_MAC: u32 = 12; //      the inner source MAC is the device's own: a loop (SKB_DROP_REASON_LOCAL_MAC)
export const LSTAT_INNER_TRUNC: u32 = 13; //    inner frame shorter than Ethernet + its IPv4/IPv6 header (rx_length_errors)
export const LINK_STAT_COUNT: u32 = 14;
export const LINK_BLOCK_SIZE: u32 = LINK_STATS + LINK_STAT_COUNT * 8;

export const LINK_RXF_FROM_REMOTE: u32 = 1;
export const LINK_RECORD_HEADER: u32 = 8;
export const VXLAN_HLEN: u32 = 8;
export const GENEVE_HLEN: u32 = 8;

/** VXLAN_HF_VNI in a little-endian load of the flags word. */
const VXLAN_HF_VNI: u32 = 0x08;
const ETH_P_TEB: u32 = 0x6558;

@inline function stat(link: u32, i: u32, n: u64): void {
  const a = link + LINK_STATS + (i << 3);
  store<u64>(a, load<u64>(a) + n);
}

@inline function bswap16(x: u32): u32 {
  return ((x & 0xff) << 8) | ((x >> 8) & 0xff);
}

/**
 * Lay a link of `kind` for the device at `dev` over LINK_BLOCK_SIZE bytes at `l` (TypeScript allocates and
 * reuses blocks): source ports in [portMin, portMax) (the kernel's range: portMax itself is never chosen),
 * `seed` the flow hash's key. Returns l, or 0 when an argument is out of range.
 */
export function link_init(l: u32, kind: u32, vni: u32, dev: u32, portMin: u32, portMax: u32, seed: u32): u32 {
  if (l == 0 || kind < LINK_VXLAN || kind > LINK_UDP || vni > 0xffffff || dev == 0 || portMin == 0 || portMin >= portMax || portMax > 65535) return 0;
  memory.fill(l, 0, LINK_BLOCK_SIZE);
  store<u32>(l, kind, LINK_KIND);
  store<u32>(l, vni, LINK_VNI);
  store<u32>(l, dev, LINK_DEV);
  store<u32>(l, portMin, LINK_PORT_MIN);
  store<u32>(l, portMax, LINK_PORT_MAX);
  store<u32>(l, seed, LINK_SEED);
  store<u32>(l, load<u32>(dev, DEV_IFINDEX), LINK_IFINDEX);
  return l;
}

/** The 24-bit VNI of a header whose second word starts at `p` (network order, the low byte reserved). */
@inline function vniAt(p: u32): u32 {
  return (<u32>load<u8>(p) << 16) | (<u32>load<u8>(p, 1) << 8) | <u32>load<u8>(p, 2);
}

/**
 * What the kernel checks of the inner frame (at least an Ethernet header: the header checks saw to it)
 * before it is received: a source MAC that is not the device's own (vxlan_set_mac, geneve_rx: packet
 * loops) and the network header of IPv4 / IPv6 in full (pskb_inet_may_pull). 0 when it passes, else the
 * counter to count.
 */
function innerCheck(dev: u32, f: u32, len: u32): u32 {
  const mac = dev + DEV_MAC;
  if (load<u32>(f, 6) == load<u32>(mac) && load<u16>(f, 10) == load<u16>(mac, 4)) return LSTAT_LOCAL_MAC;
  const proto = bswap16(<u32>load<u16>(f, 12));
  if (proto == 0x0800 && len < ETH_HLEN + 20) return LSTAT_INNER_TRUNC;
  if (proto == 0x86dd && len < ETH_HLEN + 40) return LSTAT_INNER_TRUNC;
  return 0;
}

/**
 * vxlan_rcv's order: header present (HDR_TRUNC), I flag (VXLAN_INVALID_HDR), the VNI
 * (VXLAN_VNI_NOT_FOUND), an inner Ethernet header (__iptunnel_pull_header: the kernel's reason is NOMEM,
 * counted here as INNER_TRUNC), then any other flag or reserved bit (VXLAN_INVALID_HDR: the kernel
 * refuses what RFC 7348 says to ignore). Returns the inner frame's offset, or -(counter) when refused.
 */
@inline function vxlanHeader(link: u32, p: u32, len: u32): i32 {
  if (len < VXLAN_HLEN) return -<i32>LSTAT_HDR_TRUNC;
  const flags = load<u32>(p);
  if ((flags & VXLAN_HF_VNI) == 0) return -<i32>LSTAT_INVALID_HDR;
  if (vniAt(p + 4) != load<u32>(link, LINK_VNI)) return -<i32>LSTAT_VNI_NOT_FOUND;
  if (len < VXLAN_HLEN + ETH_HLEN) return -<i32>LSTAT_INNER_TRUNC;
  if ((flags & ~VXLAN_HF_VNI) != 0 || load<u8>(p, 7) != 0) return -<i32>LSTAT_INVALID_HDR;
  return <i32>VXLAN_HLEN;
}

/**
 * geneve_udp_encap_recv then geneve_rx: header present, version 0, a device for (source, VNI) —
 * geneve_lookup compares the outer source with the configured remote —, protocol 0x6558, options
 * present (iptunnel_pull_header), no critical option (the C bit: a device without collect_md drops
 * them). The O bit (OAM) only reaches tunnel metadata, which a plain device has none of.
 */
@inline function geneveHeader(link: u32, p: u32, len: u32, flags: u32): i32 {
  if (len < GENEVE_HLEN) return -<i32>LSTAT_HDR_TRUNC;
  const b0 = <u32>load<u8>(p);
  if ((b0 >> 6) != 0) return -<i32>LSTAT_INVALID_HDR;
  if (vniAt(p + 4) != load<u32>(link, LINK_VNI)) return -<i32>LSTAT_VNI_NOT_FOUND;
  if ((flags & LINK_RXF_FROM_REMOTE) == 0) return -<i32>LSTAT_FOREIGN_SOURCE;
  if (bswap16(<u32>load<u16>(p, 2)) != ETH_P_TEB) return -<i32>LSTAT_BAD_PROTO;
  // iptunnel_pull_header: the options, then an inner Ethernet header (both rx_dropped in the kernel).
  const hlen = GENEVE_HLEN + ((b0 & 0x3f) << 2);
  if (len < hlen) return -<i32>LSTAT_HDR_TRUNC;
  if (len < hlen + ETH_HLEN) return -<i32>LSTAT_INNER_TRUNC;
  if ((<u32>load<u8>(p, 1) & 0x40) != 0) return -<i32>LSTAT_CRITICAL_OPTIONS;
  return <i32>hlen;
}

/**
 * Receive up to `n` datagrams laid out as RX records at `buf`: each checked as its kind's kernel driver
 * does, the inner frame onto the device's RX ring (queue 0). Stops at a full RX ring — the datagrams wait
 * in the buffer for the poll to make room, as a NIC's descriptors wait for NAPI — so a burst longer than
 * the ring is not dropped. Returns the records consumed (the caller resumes after them).
 */
export function link_rx(link: u32, buf: u32, n: u32): u32 {
  const kind = load<u32>(link, LINK_KIND);
  const dev = load<u32>(link, LINK_DEV);
  if (devLookup(load<u32>(link, LINK_IFINDEX)) != dev) return LINK_GONE;
  const rx = load<u32>(devQueue(dev, 0), Q_RX);
  let p = buf;
  for (let i: u32 = 0; i < n; i++) {
    if (ringFree(rx) == 0) return i;
    const len = load<u32>(p);
    const flags = load<u32>(p, 4);
    const d = p + LINK_RECORD_HEADER;
    p += (LINK_RECORD_HEADER + len + 3) & ~3;
    stat(link, LSTAT_RX_DATAGRAMS, 1);
    let off: i32;
    if (kind == LINK_VXLAN) off = vxlanHeader(link, d, len);
    else if (kind == LINK_GENEVE) off = geneveHeader(link, d, len, flags);
    else off = (flags & LINK_RXF_FROM_REMOTE) != 0 ? 0 : -<i32>LSTAT_FOREIGN_SOURCE;
    if (off < 0) {
      stat(link, <u32>-off, 1);
      continue;
    }
    const f = d + <u32>off;
    const flen = len - <u32>off;
    if (kind != LINK_UDP) {
      const why = innerCheck(dev, f, flen);
      if (why != 0) {
        stat(link, why, 1);
        continue;
      }
    }
    if (dev_rx(dev, 0, f, flen) == 0) {
      stat(link, LSTAT_RX_DROPPED, 1);
      continue;
    }
    stat(link, LSTAT_RX_PACKETS, 1);
    stat(link, LSTAT_RX_BYTES, flen);
  }
  return n;
}

// The flow keys hashed for the source port (__flow_hash_from_keys over what the flow dissector found):
// the addresses in a fixed order whatever the direction (__flow_hash_consistentify), the ports swapped
// with them, the protocol; the ports only for TCP/UDP/UDP-Lite/SCTP/DCCP that are not fragments.
// Where they are written: a static on the main thread, the worker's own area on a worker (worker_init),
// so two threads hashing at once never write one buffer.
export const LINK_KEYS_SIZE: u32 = 48;
let KEYS: u32 = <u32>memory.data(LINK_KEYS_SIZE, 8);

/** worker_init: this instance's flow-key buffer moves to `a` (LINK_KEYS_SIZE bytes of its own area). */
export function linkKeysSet(a: u32): void {
  KEYS = a;
}

/** Ports of an L4 header at `l4` for `proto`, as one u32 (0 when the protocol has none). */
@inline function portsOf(proto: u32, l4: u32, end: u32): u32 {
  if ((proto == 6 || proto == 17 || proto == 136 || proto == 132 || proto == 33) && l4 + 4 <= end) return load<u32>(l4);
  return 0;
}

/** The inner frame's flow hash, never 0 (flow_hash_from_keys), keyed by the link's seed. */
function flowHash(link: u32, f: u32, len: u32): u32 {
  const seed = load<u32>(link, LINK_SEED);
  if (len < ETH_HLEN) return 0;
  let proto = bswap16(<u32>load<u16>(f, 12));
  let l3 = f + ETH_HLEN;
  const end = f + len;
  // One VLAN tag, as the dissector walks it.
  if ((proto == 0x8100 || proto == 0x88a8) && l3 + 4 <= end) {
    proto = bswap16(<u32>load<u16>(l3, 2));
    l3 += 4;
  }
  let h: u32 = 0;
  if (proto == 0x0800 && l3 + 20 <= end) {
    const ihl = (<u32>load<u8>(l3) & 0xf) << 2;
    const ipproto = <u32>load<u8>(l3, 9);
    const frag = bswap16(<u32>load<u16>(l3, 6)) & 0x3fff;
    let src = load<u32>(l3, 12);
    let dst = load<u32>(l3, 16);
    let ports = frag == 0 && ihl >= 20 ? portsOf(ipproto, l3 + ihl, end) : 0;
    if (bswap<u32>(src) > bswap<u32>(dst)) {
      const t = src;
      src = dst;
      dst = t;
      ports = (ports >> 16) | (ports << 16);
    }
    store<u32>(KEYS, src);
    store<u32>(KEYS, dst, 4);
    store<u32>(KEYS, ports, 8);
    store<u32>(KEYS, ipproto | (proto << 16), 12);
    h = jhash(KEYS, 16, seed);
  } else if (proto == 0x86dd && l3 + 40 <= end) {
    const ipproto = <u32>load<u8>(l3, 6);
    let ports = portsOf(ipproto, l3 + 40, end);
    let a = l3 + 8;
    let b = l3 + 24;
    if (memory.compare(a, b, 16) > 0) {
      const t = a;
      a = b;
      b = t;
      ports = (ports >> 16) | (ports << 16);
    }
    copyBytes(KEYS, a, 16);
    copyBytes(KEYS + 16, b, 16);
    store<u32>(KEYS, ports, 32);
    // The flow label keys the hash too (FLOW_DISSECTOR_KEY_FLOW_LABEL), as the kernel's IPv6 dissection.
    store<u32>(KEYS, load<u32>(l3) & 0xffff0f00, 36);
    store<u32>(KEYS, ipproto | (proto << 16), 40);
    h = jhash(KEYS, 44, seed);
  } else {
    h = jhash3w(proto, 0, 0, seed);
  }
  return h == 0 ? 1 : h;
}

/** udp_flow_src_port: the hash folded (hash ^= hash << 16) and scaled into [min, max). */
@inline function srcPort(link: u32, hash: u32): u32 {
  const min = load<u32>(link, LINK_PORT_MIN);
  const max = load<u32>(link, LINK_PORT_MAX);
  const h = hash ^ (hash << 16);
  return <u32>((<u64>h * <u64>(max - min)) >> 32) + min;
}

/** The outer source port link_tx gives `len` bytes of frame at `f` (for tests and tools). */
export function link_src_port(link: u32, f: u32, len: u32): u32 {
  return srcPort(link, flowHash(link, f, len));
}

/** udp_flow_src_port's scaling alone, for a given hash (tests check it against the kernel's formula). */
export function link_port_of_hash(link: u32, hash: u32): u32 {
  return srcPort(link, hash);
}

/**
 * Drain the device's TX rings (every queue) into TX records at `buf`, at most `cap` bytes: each frame
 * behind its kind's header, its buffer then through the completion ring back to the queue's fill ring
 * (as dev_tx_done). Stops before a record that would not fit. Returns the records written.
 */
export function link_tx(link: u32, buf: u32, cap: u32): u32 {
  const kind = load<u32>(link, LINK_KIND);
  const dev = load<u32>(link, LINK_DEV);
  if (devLookup(load<u32>(link, LINK_IFINDEX)) != dev) return LINK_GONE;
  const vniWord = bswap<u32>(load<u32>(link, LINK_VNI) << 8);
  const hlen: u32 = kind == LINK_UDP ? 0 : 8;
  const nq = load<u32>(dev, DEV_NQUEUES);
  let p = buf;
  let records: u32 = 0;
  for (let qi: u32 = 0; qi < nq; qi++) {
    const q = devQueue(dev, qi);
    const tx = load<u32>(q, Q_TX);
    const comp = load<u32>(q, Q_COMP);
    let c = load<u32>(tx, RING_CONSUMER);
    const prod = ringProducerAcquire(tx);
    while (c != prod) {
      const e = ringEntry(tx, c);
      const a = <u32>load<u64>(e);
      const len = load<u32>(e, 8);
      const dlen = hlen + len;
      const rec = (LINK_RECORD_HEADER + dlen + 3) & ~3;
      if (p + rec > buf + cap) {
        ringConsumerRelease(tx, c);
        return records;
      }
      const d = p + LINK_RECORD_HEADER;
      store<u32>(p, dlen);
      store<u32>(p, kind == LINK_UDP ? 0 : srcPort(link, flowHash(link, a, len)), 4);
      if (kind == LINK_VXLAN) {
        store<u32>(d, VXLAN_HF_VNI);
        store<u32>(d, vniWord, 4);
      } else if (kind == LINK_GENEVE) {
        // version 0, no options, O and C clear; protocol 0x6558 in network order
        store<u32>(d, 0x58650000);
        store<u32>(d, vniWord, 4);
      }
      copyBytes(d + hlen, a, len);
      p += rec;
      records++;
      stat(link, LSTAT_TX_PACKETS, 1);
      stat(link, LSTAT_TX_BYTES, len);
      const frame = a & ~(FRAME_SIZE - 1);
      if (!ringPushAddr(comp, <u64>frame)) frameFree(frame);
      c++;
    }
    ringConsumerRelease(tx, c);
  }
  return records;
}
