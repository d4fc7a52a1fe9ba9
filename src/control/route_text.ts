// Route text: what iproute2's text names and numbers in a route (types, protocols, tables, expiry) and
// the address and prefix syntax every front end shares (ip route/rule, nft, conntrack, NAT, flowtable
// listings). A leaf module: routes.ts, route_get.ts and the others read it; it reads no control object.

import { ipv4Bytes, ipv6Bytes } from './addresses.js';
import { NetError, type Family, type RouteSpec, type RouteType } from './net_types.js';
import { AF_INET, AF_INET6, RT_TABLE_DEFAULT, RT_TABLE_LOCAL, RT_TABLE_MAIN } from '../runtime/net_abi.js';

export const TYPES: readonly RouteType[] = ['unicast', 'unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat'];
export const PROTOS: Readonly<Record<string, number>> = {
  unspec: 0, redirect: 1, kernel: 2, boot: 3, static: 4, gated: 8, ra: 9, mrt: 10, zebra: 11, bird: 12, dnrouted: 13,
  xorp: 14, ntk: 15, dhcp: 16, keepalived: 18, babel: 42, openr: 99, bgp: 186, isis: 187, ospf: 188, rip: 189, eigrp: 192,
};

/**
 * rtnl_put_cacheinfo's rta_expires as ip prints it: the ms left in jiffies (HZ 250), jiffies_to_clock_t
 * (USER_HZ 100, capped at INT_MAX), divided by USER_HZ as C divides (toward zero).
 */
export function expiresSeconds(ms: number): number {
  const jiffies = Math.trunc(ms / 4);
  const clock = Math.min(Math.trunc((Math.abs(jiffies) * 2) / 5), 0x7fffffff);
  return Math.trunc((jiffies < 0 ? -clock : clock) / 100);
}

export function tableId(t: RouteSpec['table'] | string | undefined, dflt: number): number {
  if (t === undefined) return dflt;
  if (t === 'main') return RT_TABLE_MAIN;
  if (t === 'local') return RT_TABLE_LOCAL;
  if (t === 'default') return RT_TABLE_DEFAULT;
  const n = typeof t === 'number' ? t : /^\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new NetError('EINVAL', `"table" value is invalid`);
  return n;
}

export function tableName(id: number): string {
  return id === RT_TABLE_MAIN ? 'main' : id === RT_TABLE_LOCAL ? 'local' : id === RT_TABLE_DEFAULT ? 'default' : String(id);
}

/** A dotted quad in text[start, end) as a host-order u32, or -1 (no regex, no allocation: bulk loads parse millions). */
function dottedQuad(text: string, start: number, end: number): number {
  let v = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c === -2) {
      if (digits === 0 || ++dots > 3) return -1;
      v = v * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 0 && c <= 9 && digits < 3) {
      part = part * 10 + c;
      digits++;
      if (part > 255) return -1;
    } else return -1;
  }
  if (digits === 0 || dots !== 3) return -1;
  return v * 256 + part;
}

function quadBytes(q: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out[0] = q >>> 24;
  out[1] = (q >>> 16) & 0xff;
  out[2] = (q >>> 8) & 0xff;
  out[3] = q & 0xff;
  return out;
}

/** Address text → bytes and family. */
export function parseAddr(text: string, family?: Family): { family: 2 | 10; bytes: Uint8Array } {
  const v6 = text.includes(':');
  if (family === 'inet' && v6) throw new NetError('EINVAL', `Error: inet prefix is expected rather than "${text}".`);
  if (family === 'inet6' && !v6) throw new NetError('EINVAL', `Error: inet6 prefix is expected rather than "${text}".`);
  if (!v6) {
    const q = dottedQuad(text, 0, text.length);
    if (q >= 0) return { family: AF_INET, bytes: quadBytes(q, 4) };
  }
  try {
    return v6 ? { family: AF_INET6, bytes: ipv6Bytes(text) } : { family: AF_INET, bytes: ipv4Bytes(text) };
  } catch {
    throw new NetError('EINVAL', `Error: ${v6 ? 'inet6' : 'inet'} address is expected rather than "${text}".`);
  }
}

/** "198.51.100.0/24", "default", "2001:db8::/32", a bare address (host prefix). */
export function parsePrefix(text: string, family?: Family): { family: 2 | 10; bytes: Uint8Array; len: number } {
  if (text === 'default' || text === 'all' || text === 'any') {
    const f = family === 'inet6' ? AF_INET6 : AF_INET;
    return { family: f, bytes: new Uint8Array(16), len: 0 };
  }
  const slash = text.indexOf('/');
  if (family !== 'inet6' && text.indexOf(':') < 0) {
    // IPv4 without a split or an intermediate array
    const q = dottedQuad(text, 0, slash < 0 ? text.length : slash);
    let len = slash < 0 ? 32 : slash + 1 < text.length && slash + 4 > text.length ? 0 : -1;
    for (let i = slash + 1; slash >= 0 && i < text.length && len >= 0; i++) {
      const c = text.charCodeAt(i) - 48;
      len = c >= 0 && c <= 9 ? len * 10 + c : -1;
    }
    if (q >= 0 && len >= 0 && len <= 32) return { family: AF_INET, bytes: quadBytes(q, 16), len };
  }
  const [a, l] = text.split('/');
  const { family: f, bytes } = parseAddr(a!, family);
  const max = f === AF_INET ? 32 : 128;
  const len = l === undefined ? max : /^\d+$/.test(l) ? Number(l) : NaN;
  if (!(len >= 0 && len <= max)) throw new NetError('EINVAL', `Error: ${f === AF_INET ? 'inet' : 'inet6'} prefix is expected rather than "${text}".`);
  const out = new Uint8Array(16);
  out.set(bytes);
  return { family: f, bytes: out, len };
}

export function formatAddr(family: number, b: Uint8Array): string {
  if (family === AF_INET) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const w: number[] = [];
  for (let i = 0; i < 16; i += 2) w.push((b[i]! << 8) | b[i + 1]!);
  // RFC 5952: the longest run (≥ 2) of zero groups becomes '::'
  let bs = -1, bl = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bl && j - i >= 2) { bs = i; bl = j - i; }
    i = j;
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(':');
  // glibc's inet_ntop6: an address of six zero groups, or five and ffff, ends in dotted IPv4 (`::255.255.255.255`)
  if (bs === 0 && (bl === 6 || (bl === 5 && w[5] === 0xffff))) return `::${bl === 5 ? 'ffff:' : ''}${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  if (bs < 0) return hex(w);
  return `${hex(w.slice(0, bs))}::${hex(w.slice(bs + bl))}`;
}
