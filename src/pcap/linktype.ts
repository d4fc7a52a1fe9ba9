// Link types a replay can take: what the data path receives is an Ethernet frame, so a capture of
// another link type is converted frame by frame where its header says enough, and refused by name
// where it does not. Conversions (header layouts from tcpdump.org/linktypes):
//
//   LINKTYPE_LINUX_SLL (113), 16 bytes, big-endian    LINKTYPE_LINUX_SLL2 (276), 20 bytes
//   0  u16 packet type (PACKET_HOST 0, BROADCAST 1,   0  u16 protocol      2  u16 reserved
//          MULTICAST 2, OTHERHOST 3, OUTGOING 4)      4  u32 interface index
//   2  u16 ARPHRD_ type  4 u16 address length         8  u16 ARPHRD_ type  10 u8 packet type
//   6  8 bytes link-layer address (source)            11 u8 address length 12 8 bytes address
//   14 u16 protocol (an EtherType when ≥ 0x0600)      20 the packet, from its network header
//   16 the packet, from its network header
//
//   LINKTYPE_RAW (101), LINKTYPE_IPV4 (228), LINKTYPE_IPV6 (229): the IP packet alone.
//
// The Ethernet header built: destination by packet type (HOST and OUTGOING: the receiving device's
// MAC; BROADCAST ff:ff:ff:ff:ff:ff; MULTICAST the IPv4 (01:00:5e, RFC 1112 §6.4) or IPv6 (33:33,
// RFC 2464 §7) group address; OTHERHOST a locally administered address that is not the device's),
// source the captured link-layer address when it is 6 bytes (else zeros), EtherType the protocol.
// A cooked packet whose protocol is not an EtherType (802.2 LLC, 802.3 raw) cannot be an Ethernet II
// frame: it is skipped and counted.

import { WxdpError } from '../errors.js';
import { LINKTYPE_ETHERNET, type CapturedPacket } from './packet.js';

export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

/** Names of common link types, for the refusal message (tcpdump.org/linktypes.html). */
const NAMES: Record<number, string> = {
  0: 'LINKTYPE_NULL (BSD loopback)',
  1: 'LINKTYPE_ETHERNET',
  9: 'LINKTYPE_PPP',
  101: 'LINKTYPE_RAW',
  105: 'LINKTYPE_IEEE802_11 (Wi-Fi)',
  108: 'LINKTYPE_LOOP (OpenBSD loopback)',
  113: 'LINKTYPE_LINUX_SLL (Linux cooked capture v1)',
  127: 'LINKTYPE_IEEE802_11_RADIOTAP',
  195: 'LINKTYPE_IEEE802_15_4',
  228: 'LINKTYPE_IPV4',
  229: 'LINKTYPE_IPV6',
  276: 'LINKTYPE_LINUX_SLL2 (Linux cooked capture v2)',
};

export function linktypeName(t: number): string {
  return NAMES[t] ?? `link type ${t}`;
}

/** Link types toEthernet converts. */
export function convertible(t: number): boolean {
  return t === LINKTYPE_ETHERNET || t === LINKTYPE_LINUX_SLL || t === LINKTYPE_LINUX_SLL2 || t === LINKTYPE_RAW || t === LINKTYPE_IPV4 || t === LINKTYPE_IPV6;
}

export interface Converted {
  packets: CapturedPacket[];
  /** Packets that could not become Ethernet II frames (cooked packets whose protocol is no EtherType, empty or short ones). */
  skipped: number;
}

const OTHERHOST_MAC = Uint8Array.of(0x02, 0, 0, 0, 0xff, 0xfe);

/**
 * The packets of a capture as Ethernet frames, each with its own timestamp. `linktypeOf` gives a
 * packet's link type (pcapng: its interface's). A link type not converted is a USAGE error naming it.
 */
export function toEthernet(packets: readonly CapturedPacket[], linktypeOf: (p: CapturedPacket) => number, localMac: Uint8Array): Converted {
  const out: CapturedPacket[] = [];
  let skipped = 0;
  for (const p of packets) {
    const t = linktypeOf(p);
    if (t === LINKTYPE_ETHERNET) {
      out.push(p);
      continue;
    }
    if (!convertible(t)) throw new WxdpError('USAGE', `${linktypeName(t)} cannot be replayed: wxdp converts Ethernet, Linux cooked capture v1/v2 and raw IP`);
    const f = frameOf(p.data, t, localMac);
    if (f === undefined) skipped++;
    else out.push({ ...p, data: f, origLen: p.origLen - (p.data.length - f.length) });
  }
  return { packets: out, skipped };
}

function frameOf(d: Uint8Array, t: number, localMac: Uint8Array): Uint8Array | undefined {
  const be16 = (o: number) => (d[o]! << 8) | d[o + 1]!;
  let pktType: number;
  let proto: number;
  let src: Uint8Array | undefined;
  let body: number;
  if (t === LINKTYPE_LINUX_SLL) {
    if (d.length < 16) return undefined;
    pktType = be16(0);
    src = be16(4) === 6 ? d.subarray(6, 12) : undefined;
    proto = be16(14);
    body = 16;
  } else if (t === LINKTYPE_LINUX_SLL2) {
    if (d.length < 20) return undefined;
    proto = be16(0);
    pktType = d[10]!;
    src = d[11] === 6 ? d.subarray(12, 18) : undefined;
    body = 20;
  } else {
    if (d.length < 1) return undefined;
    const v = d[0]! >> 4;
    if ((t === LINKTYPE_IPV4 && v !== 4) || (t === LINKTYPE_IPV6 && v !== 6) || (v !== 4 && v !== 6)) return undefined;
    proto = v === 4 ? 0x0800 : 0x86dd;
    pktType = 0;
    body = 0;
  }
  if (proto < 0x0600) return undefined;
  const l3 = d.subarray(body);
  const f = new Uint8Array(14 + l3.length);
  f.set(destination(pktType, proto, l3, localMac), 0);
  if (src) f.set(src, 6);
  f[12] = proto >> 8;
  f[13] = proto & 0xff;
  f.set(l3, 14);
  return f;
}

function destination(pktType: number, proto: number, l3: Uint8Array, localMac: Uint8Array): Uint8Array {
  switch (pktType) {
    case 1:
      return Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    case 2:
      if (proto === 0x0800 && l3.length >= 20) return Uint8Array.of(0x01, 0x00, 0x5e, l3[17]! & 0x7f, l3[18]!, l3[19]!);
      if (proto === 0x86dd && l3.length >= 40) return Uint8Array.of(0x33, 0x33, l3[36]!, l3[37]!, l3[38]!, l3[39]!);
      return Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    case 3:
      return OTHERHOST_MAC;
    default:
      return localMac;
  }
}
