// Hand-built Ethernet frames for stack tests: IPv4 / IPv6 headers with every field settable (so
// malformed ones can be made on purpose), UDP, ICMP and ICMPv6 echo, the Internet checksum
// (RFC 1071) and the pseudo-header sums (RFC 768, RFC 8200 §8.1), and readers for the fields
// tests compare. Nothing here comes from wxdp: expected frames are derived from the RFCs.

import { ipv4Bytes, ipv6Bytes, macBytes } from '../../src/control/addresses.js';
import { concat as concatAll } from '../../src/pcap/pcapng.js';

export const ETH_P_IP = 0x0800;
export const ETH_P_IPV6 = 0x86dd;
export const ETH_P_ARP = 0x0806;
export const IPPROTO_ICMP = 1;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;

export const concat = (...parts: Uint8Array[]): Uint8Array => concatAll(parts);

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

/** A payload of `n` bytes, byte i = (seed + i) & 0xff. */
export function pattern(n: number, seed = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (seed + i) & 0xff);
}

/** The Internet checksum (RFC 1071) of `parts` concatenated, as the u16 to store. */
export function inetChecksum(...parts: Uint8Array[]): number {
  let sum = 0;
  let odd = false;
  let carry = 0;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      if (odd) sum += carry << 8 | p[i]!;
      else carry = p[i]!;
      odd = !odd;
    }
  }
  if (odd) sum += carry << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const u16 = (v: number) => Uint8Array.of((v >>> 8) & 0xff, v & 0xff);
const u32 = (v: number) => Uint8Array.of((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);

export function eth(dst: string, src: string, type: number, payload: Uint8Array): Uint8Array {
  return concat(macBytes(dst), macBytes(src), u16(type), payload);
}

export interface Ipv4Fields {
  src: string;
  dst: string;
  proto: number;
  payload: Uint8Array;
  ttl?: number;
  tos?: number;
  id?: number;
  /** Don't-fragment bit. */
  df?: boolean;
  mf?: boolean;
  /** Fragment offset in 8-byte units. */
  fragOffset?: number;
  /** Option bytes (a multiple of 4 unless making a malformed header on purpose). */
  options?: Uint8Array;
  // Overrides for malformed headers:
  version?: number;
  ihl?: number;
  totalLength?: number;
  checksum?: number;
}

export function ipv4(f: Ipv4Fields): Uint8Array {
  const opts = f.options ?? new Uint8Array(0);
  const hlen = 20 + opts.length;
  const h = new Uint8Array(hlen);
  const v = new DataView(h.buffer);
  h[0] = ((f.version ?? 4) << 4) | (f.ihl ?? hlen / 4);
  h[1] = f.tos ?? 0;
  v.setUint16(2, f.totalLength ?? hlen + f.payload.length);
  v.setUint16(4, f.id ?? 0x1234);
  v.setUint16(6, (f.df ? 0x4000 : 0) | (f.mf ? 0x2000 : 0) | (f.fragOffset ?? 0));
  h[8] = f.ttl ?? 64;
  h[9] = f.proto;
  h.set(ipv4Bytes(f.src), 12);
  h.set(ipv4Bytes(f.dst), 16);
  h.set(opts, 20);
  v.setUint16(10, f.checksum ?? inetChecksum(h));
  return concat(h, f.payload);
}

export interface Ipv6Fields {
  src: string;
  dst: string;
  nextHeader: number;
  payload: Uint8Array;
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
  version?: number;
  payloadLength?: number;
}

export function ipv6(f: Ipv6Fields): Uint8Array {
  const h = new Uint8Array(40);
  const v = new DataView(h.buffer);
  v.setUint32(0, (((f.version ?? 6) << 28) | ((f.trafficClass ?? 0) << 20) | (f.flowLabel ?? 0)) >>> 0);
  v.setUint16(4, f.payloadLength ?? f.payload.length);
  h[6] = f.nextHeader;
  h[7] = f.hopLimit ?? 64;
  h.set(ipv6Bytes(f.src), 8);
  h.set(ipv6Bytes(f.dst), 24);
  return concat(h, f.payload);
}

function pseudo4(src: string, dst: string, proto: number, len: number): Uint8Array {
  return concat(ipv4Bytes(src), ipv4Bytes(dst), Uint8Array.of(0, proto), u16(len));
}

function pseudo6(src: string, dst: string, nh: number, len: number): Uint8Array {
  return concat(ipv6Bytes(src), ipv6Bytes(dst), u32(len), Uint8Array.of(0, 0, 0, nh));
}

/** A UDP datagram with its checksum over the IPv4 or IPv6 pseudo-header (by the form of `src`). */
export function udp(src: string, dst: string, sport: number, dport: number, payload: Uint8Array): Uint8Array {
  const d = concat(u16(sport), u16(dport), u16(8 + payload.length), u16(0), payload);
  const ph = src.includes(':') ? pseudo6(src, dst, IPPROTO_UDP, d.length) : pseudo4(src, dst, IPPROTO_UDP, d.length);
  const c = inetChecksum(ph, d);
  d.set(u16(c === 0 ? 0xffff : c), 6);
  return d;
}

/** ICMP (IPv4) message: type, code, the 4-byte rest of header, data; checksum over the message. */
export function icmp4(type: number, code: number, rest: number, data: Uint8Array): Uint8Array {
  const m = concat(Uint8Array.of(type, code, 0, 0), u32(rest), data);
  m.set(u16(inetChecksum(m)), 2);
  return m;
}

/** ICMPv6 message, checksummed over the pseudo-header (RFC 4443 §2.3). */
export function icmp6(src: string, dst: string, type: number, code: number, rest: number, data: Uint8Array): Uint8Array {
  const m = concat(Uint8Array.of(type, code, 0, 0), u32(rest), data);
  m.set(u16(inetChecksum(pseudo6(src, dst, IPPROTO_ICMPV6, m.length), m)), 2);
  return m;
}

// ---- Readers ----

export const etherType = (f: Uint8Array): number => (f[12]! << 8) | f[13]!;
export const macOf = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');

/** Is the IPv4 header at `off` checksummed correctly? */
export function ipv4ChecksumOk(f: Uint8Array, off = 14): boolean {
  const ihl = (f[off]! & 0x0f) * 4;
  return inetChecksum(f.subarray(off, off + ihl)) === 0;
}

/** A one-line summary of a frame for failure messages: MACs, type, addresses, protocol, length. */
export function describeFrame(f: Uint8Array): string {
  const t = etherType(f);
  const head = `${macOf(f.subarray(6, 12))} > ${macOf(f.subarray(0, 6))}`;
  if (t === ETH_P_IP && f.length >= 34) {
    const v = new DataView(f.buffer, f.byteOffset);
    return `${head} IPv4 ${[...f.subarray(26, 30)].join('.')} > ${[...f.subarray(30, 34)].join('.')} proto ${f[23]} ttl ${f[22]} id 0x${v.getUint16(18).toString(16)} len ${v.getUint16(16)} (${f.length} B)`;
  }
  if (t === ETH_P_IPV6 && f.length >= 54) return `${head} IPv6 nh ${f[20]} hlim ${f[21]} plen ${(f[18]! << 8) | f[19]!} (${f.length} B)`;
  return `${head} type 0x${t.toString(16)} (${f.length} B)`;
}
