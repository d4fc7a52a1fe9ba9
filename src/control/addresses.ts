// Link and network addresses as text and bytes: the one place the control plane parses and prints
// them. MAC and other link-layer addresses (aa:bb:cc:dd:ee:ff), IPv4 dotted quads (also as host-order
// numbers), IPv6 (RFC 4291 text in, inet_ntop's RFC 5952 text out), an address of either family, and
// prefix arithmetic on address bytes. Parsers throw WxdpError USAGE naming the text; callers word
// their own errors (iproute2's, for the stack's tables).
//
// The iproute2 front end keeps its own readers for what iproute2 reads differently (get_addr_ipv4's
// "10.8" and base-0 parts, ll_addr_a2n's sscanf): src/control/ip/syntax.ts.

import { WxdpError } from '../errors.js';

/** An Ethernet MAC: six hex bytes separated by ':' or '-'. */
export function macBytes(text: string): Uint8Array {
  const m = /^([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})$/i.exec(text);
  if (!m) throw new WxdpError('USAGE', `'${text}' is not a MAC address`);
  return Uint8Array.from(m.slice(1), (h) => parseInt(h, 16));
}

export function ipv4Bytes(text: string): Uint8Array {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new WxdpError('USAGE', `'${text}' is not an IPv4 address`);
  }
  return Uint8Array.from(parts, Number);
}

export function ipv6Bytes(text: string): Uint8Array {
  const bad = (): never => {
    throw new WxdpError('USAGE', `'${text}' is not an IPv6 address`);
  };
  let s = text;
  const tail: number[] = [];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    let v4: Uint8Array = new Uint8Array(4);
    try {
      v4 = ipv4Bytes(dotted[2]!);
    } catch {
      bad();
    }
    tail.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    s = dotted[1]!.endsWith('::') ? dotted[1]! : dotted[1]!.slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) bad();
  const groups = (h: string): number[] => (h === '' ? [] : h.split(':').map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : bad())));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const fill = 8 - head.length - rest.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) bad();
  const words = [...head, ...new Array<number>(fill).fill(0), ...rest, ...tail];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/**
 * A link-layer address of any length (1-32 bytes: `ip neigh` takes them), hex bytes separated by
 * ':'; a six-byte one is a MAC (macBytes).
 */
export function lladdrBytes(text: string): Uint8Array {
  const parts = text.split(':');
  if (parts.length > 32 || parts.some((p) => !/^[0-9a-f]{1,2}$/i.test(p))) throw new WxdpError('USAGE', `'${text}' is not a link-layer address`);
  return Uint8Array.from(parts, (p) => parseInt(p, 16));
}

/** aa:bb:cc:dd:ee:ff (lowercase, every byte given, as iproute2's ll_addr_n2a prints link addresses). */
export function macText(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}

/** An IPv4 address as a host-order number (198.51.100.1 → 0xc6336401). */
export function ipv4Value(text: string): number {
  const b = ipv4Bytes(text);
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

/** The dotted quad of a host-order number. */
export function ipv4TextOf(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 0xff}.${(value >>> 8) & 0xff}.${value & 0xff}`;
}

/** An address of either family: IPv6 when it has a ':'. */
export function inetBytes(text: string): { family: 'inet' | 'inet6'; bytes: Uint8Array } {
  return text.includes(':') ? { family: 'inet6', bytes: ipv6Bytes(text) } : { family: 'inet', bytes: ipv4Bytes(text) };
}

/** The text of 4 (IPv4) or 16 (IPv6) address bytes. */
export function inetText(family: 'inet' | 'inet6', b: Uint8Array): string {
  return family === 'inet' ? ipv4Text(b) : ipv6Text(b);
}

/** The first `bits` bits of `a` and `b` agree (inet_addr_match). */
export function prefixMatch(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  if (bits <= 0) return true;
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) if (a[i] !== b[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const m = (0xff << (8 - rest)) & 0xff;
  return (a[whole]! & m) === (b[whole]! & m);
}

/** The bytes of `a` with every bit past the first `bits` cleared (a prefix's network address). */
export function prefixBytes(a: Uint8Array, bits: number): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    out[i] = a[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

/** Dotted quad of 4 bytes. */
export function ipv4Text(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/**
 * An IPv6 text's zone ('fe80::1%eth0', 'fe80::1%3'): the address before '%' and the sin6_scope_id the
 * zone gives — a number as it is, a name through `ifindex` — 0 without one.
 */
export function ipv6Zone(text: string, ifindex: (name: string) => number): [address: string, scopeId: number] {
  const pct = text.indexOf('%');
  if (pct < 0) return [text, 0];
  const zone = text.slice(pct + 1);
  return [text.slice(0, pct), /^\d+$/.test(zone) ? Number(zone) : ifindex(zone)];
}

/** IN6_IS_ADDR_LINKLOCAL: fe80::/10, whose text node writes with its zone ('%' and the device's name). */
export function ipv6IsLinkLocalText(text: string): boolean {
  return /^fe[89ab]/i.test(text);
}

/**
 * IPv6 text as glibc's inet_ntop prints it (RFC 5952): the longest run of two or more zero groups
 * (the first of equal runs) becomes '::', hex in lowercase, and an address whose first 96 bits are
 * zero and whose next 16 are not (::10.0.0.1, not ::2) or an IPv4-mapped one ends in a dotted quad.
 */
export function ipv6Text(b: Uint8Array): string {
  const w = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
      if (cur.base === -1) cur = { base: i, len: 1 };
      else cur.len++;
    } else if (cur.base !== -1) {
      if (best.base === -1 || cur.len > best.len) best = cur;
      cur = { base: -1, len: 0 };
    }
  }
  if (cur.base !== -1 && (best.base === -1 || cur.len > best.len)) best = cur;
  if (best.base !== -1 && best.len < 2) best = { base: -1, len: 0 };
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best.base !== -1 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && w[5] === 0xffff))) {
      out += ipv4Text(b.subarray(12, 16));
      break;
    }
    out += w[i]!.toString(16);
  }
  if (best.base !== -1 && best.base + best.len === 8) out += ':';
  return out;
}
