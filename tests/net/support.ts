// Shared by the stack's receive / forward / ICMP tests: packets built by hand (headers field by field,
// checksums by an RFC 1071 sum written here, independent of the fast path's), and a fixture that sets up
// devices, addresses, routes and neighbours through the control plane (dp.ip, dp.sysctl) from the same
// description the kernel oracle (kernel.ts) is built from.

import { Datapath } from '../../src/control/datapath.js';
import type { Device } from '../../src/control/device.js';
import { ipv4Bytes, ipv6Bytes, macBytes } from '../../src/control/addresses.js';
import { SYSCTL } from '../../src/runtime/net_abi.js';
import { concat, hex, inetChecksum } from '../support/frames.js';

// ---- Bytes ----

// The bytes helpers and RFC 1071 checksum are the shared ones (tests/support/frames.ts).
export { concat, hex, inetChecksum };

const be16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
const be32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

// ---- Headers ----

export const MAC_BCAST = 'ff:ff:ff:ff:ff:ff';

export interface EthOpts {
  dst: string;
  src: string;
  type: number;
  /** Tags outermost first: [tpid, tci]. */
  tags?: Array<[number, number]>;
}
export function eth(o: EthOpts, payload: Uint8Array): Uint8Array {
  const h = [...macBytes(o.dst), ...macBytes(o.src)];
  for (const [tpid, tci] of o.tags ?? []) h.push(...be16(tpid), ...be16(tci));
  h.push(...be16(o.type));
  return concat(Uint8Array.from(h), payload);
}

export interface Ip4Opts {
  src: string;
  dst: string;
  proto: number;
  ttl?: number;
  tos?: number;
  id?: number;
  df?: boolean;
  mf?: boolean;
  fragOff?: number;
  options?: number[];
  /** Overrides for malformed headers. */
  version?: number;
  ihl?: number;
  totLen?: number;
  check?: number;
}
export function ipv4(o: Ip4Opts, payload: Uint8Array): Uint8Array {
  const opts = o.options ?? [];
  const hlen = 20 + opts.length;
  const ihl = o.ihl ?? hlen / 4;
  const frag = (o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | ((o.fragOff ?? 0) >> 3);
  const h = Uint8Array.from([
    ((o.version ?? 4) << 4) | ihl, o.tos ?? 0, ...be16(o.totLen ?? hlen + payload.length), ...be16(o.id ?? 0x1234),
    ...be16(frag), o.ttl ?? 64, o.proto, 0, 0, ...ipv4Bytes(o.src), ...ipv4Bytes(o.dst), ...opts,
  ]);
  const c = o.check ?? inetChecksum(h);
  h[10] = c >> 8;
  h[11] = c & 0xff;
  return concat(h, payload);
}

/** An ICMP message: type, code, checksum, the 4-byte rest of header, data. */
export function icmp4(type: number, code: number, rest: number[], data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const m = concat(Uint8Array.from([type, code, 0, 0, ...rest]), data);
  const c = inetChecksum(m);
  m[2] = c >> 8;
  m[3] = c & 0xff;
  return m;
}
export const echo4 = (id: number, seq: number, data: Uint8Array): Uint8Array => icmp4(8, 0, [...be16(id), ...be16(seq)], data);

/** A UDP datagram over IPv4 with its checksum. */
export function udp4(src: string, dst: string, sport: number, dport: number, data: Uint8Array): Uint8Array {
  const len = 8 + data.length;
  const u = concat(Uint8Array.from([...be16(sport), ...be16(dport), ...be16(len), 0, 0]), data);
  const ph = Uint8Array.from([...ipv4Bytes(src), ...ipv4Bytes(dst), 0, 17, ...be16(len)]);
  const c = inetChecksum(ph, u) || 0xffff;
  u[6] = c >> 8;
  u[7] = c & 0xff;
  return u;
}

/** A UDP datagram over IPv6 with its checksum (RFC 8200 8.1: the pseudo header's addresses, length, next header). */
export function udp6(src: string, dst: string, sport: number, dport: number, data: Uint8Array): Uint8Array {
  const len = 8 + data.length;
  const u = concat(Uint8Array.from([...be16(sport), ...be16(dport), ...be16(len), 0, 0]), data);
  const ph = Uint8Array.from([...ipv6Bytes(src), ...ipv6Bytes(dst), 0, 0, ...be16(len), 0, 0, 0, 17]);
  const c = inetChecksum(ph, u) || 0xffff;
  u[6] = c >> 8;
  u[7] = c & 0xff;
  return u;
}

export interface Ip6Opts {
  src: string;
  dst: string;
  nh: number;
  hlim?: number;
  tc?: number;
  flow?: number;
  plen?: number;
  version?: number;
}
export function ipv6(o: Ip6Opts, payload: Uint8Array): Uint8Array {
  const w0 = (((o.version ?? 6) << 28) | ((o.tc ?? 0) << 20) | (o.flow ?? 0)) >>> 0;
  const h = Uint8Array.from([
    ...be32(w0), ...be16(o.plen ?? payload.length), o.nh, o.hlim ?? 64, ...ipv6Bytes(o.src), ...ipv6Bytes(o.dst),
  ]);
  return concat(h, payload);
}

/** ICMPv6 (checksum over the pseudo-header of `src` → `dst`, RFC 8200 8.1). */
export function icmp6(src: string, dst: string, type: number, code: number, rest: number[], data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const m = concat(Uint8Array.from([type, code, 0, 0, ...rest]), data);
  const ph = Uint8Array.from([...ipv6Bytes(src), ...ipv6Bytes(dst), ...be32(m.length), 0, 0, 0, 58]);
  const c = inetChecksum(ph, m);
  m[2] = c >> 8;
  m[3] = c & 0xff;
  return m;
}
export const echo6 = (src: string, dst: string, id: number, seq: number, data: Uint8Array): Uint8Array =>
  icmp6(src, dst, 128, 0, [...be16(id), ...be16(seq)], data);

/** An options extension header (hop-by-hop / destination options): next header, then TLVs (padded by the caller). */
export function optHdr(nh: number, tlvs: number[]): Uint8Array {
  const total = 2 + tlvs.length;
  if (total % 8 !== 0) throw new Error(`options header of ${total} bytes is not a multiple of 8`);
  return Uint8Array.from([nh, total / 8 - 1, ...tlvs]);
}

/** The checksum a header's field should hold, read back (big-endian u16 at `off`). */
export const field16 = (b: Uint8Array, off: number): number => (b[off]! << 8) | b[off + 1]!;

// ---- The fixture ----

export interface LinkCfg {
  name: string;
  mac: string;
  mtu?: number;
  /** A VLAN sub-device of `parent`. */
  vlan?: { parent: string; id: number; proto?: number };
  v4?: string[];
  v6?: string[];
  forwarding?: boolean;
  /** net.ipv4.conf.NAME.<key> (lower-case sysctl names as the kernel's). */
  conf4?: Record<string, number>;
  conf6?: Record<string, number>;
  down?: boolean;
  /** Entries of the ring device's host ring (default 1024). */
  hostRingSize?: number;
}
export interface RouteCfg {
  /** A prefix, or 'default' / 'default6'. */
  dst: string;
  dev: string;
  via?: string;
  type?: 'unicast' | 'blackhole' | 'unreachable' | 'prohibit';
  src?: string;
  mtu?: number;
}
export interface NeighCfg {
  dev: string;
  addr: string;
  mac: string;
}

/** Why the stack cannot be configured end to end here ('' when it can): dp.links and dp.addresses must be there. */
export async function stackUnready(): Promise<string> {
  const dp = await Datapath.create();
  const has = (o: object, m: string): boolean => typeof (o as Record<string, unknown>)[m] === 'function';
  if (!has(dp.links, 'add') || !has(dp.addresses, 'add')) return 'dp.links / dp.addresses are not implemented in this build (the links stage)';
  return '';
}

/** The `ip -batch` lines that shape the links (VLAN sub-devices, MACs, MTUs) once the devices exist. */
export function ipBatchLinks(links: LinkCfg[]): string[] {
  const out: string[] = [];
  for (const l of links) {
    if (l.vlan) out.push(`link add link ${l.vlan.parent} name ${l.name} type vlan protocol ${l.vlan.proto === 0x88a8 ? '802.1ad' : '802.1Q'} id ${l.vlan.id}`);
    out.push(`link set ${l.name} address ${l.mac} mtu ${l.mtu ?? 1500}`);
  }
  return out;
}

/** The lines after the links exist and their sysctls are set: up, addresses, routes, neighbours. */
export function ipBatchAfterSysctls(links: LinkCfg[], routes: RouteCfg[], neigh: NeighCfg[]): string[] {
  const out: string[] = [];
  for (const l of links) {
    if (!l.down) out.push(`link set ${l.name} up`);
    for (const a of l.v4 ?? []) out.push(`addr add ${a} brd + dev ${l.name}`);
    for (const a of l.v6 ?? []) out.push(`addr replace ${a} dev ${l.name} nodad`);
  }
  for (const r of routes) {
    const dst = r.dst === 'default6' ? '::/0' : r.dst;
    const type = r.type && r.type !== 'unicast' ? `${r.type} ` : '';
    const how = type ? '' : `${r.via ? ` via ${r.via}` : ''} dev ${r.dev}`;
    out.push(`route add ${type}${dst}${how}${r.src ? ` src ${r.src}` : ''}${r.mtu ? ` mtu ${r.mtu}` : ''}`);
  }
  for (const n of neigh) out.push(`neigh replace ${n.addr} lladdr ${n.mac} dev ${n.dev} nud permanent`);
  return out;
}

/** The sysctls a configuration sets (net.ipv4.conf.DEV.*, net.ipv6.conf.DEV.*), in order. */
export function linkSysctls(links: LinkCfg[]): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const l of links) {
    if (l.forwarding) out.push([`net.ipv4.conf.${l.name}.forwarding`, 1]);
    for (const [k, v] of Object.entries(l.conf4 ?? {})) out.push([`net.ipv4.conf.${l.name}.${k}`, v]);
    for (const [k, v] of Object.entries(l.conf6 ?? {})) out.push([`net.ipv6.conf.${l.name}.${k}`, v]);
  }
  return out;
}

export class Fixture {
  readonly devs = new Map<string, Device>();

  private constructor(readonly dp: Datapath) {}

  /**
   * A stack built as the kernel oracle is: ring devices for the links without a parent, then through
   * dp.ip / dp.sysctl the VLANs, MACs and MTUs, the links' sysctls, `sysctls` (by the kernel's names),
   * addresses, routes and permanent neighbours.
   */
  static async create(
    links: LinkCfg[],
    routes: RouteCfg[] = [],
    neigh: NeighCfg[] = [],
    opts: { umemFrames?: number; sysctls?: Record<string, number>; dispatch?: 'burst' | 'table' } = {},
  ): Promise<Fixture> {
    const fx = new Fixture(await Datapath.create({ umemFrames: opts.umemFrames, ...(opts.dispatch ? { dispatch: opts.dispatch } : {}) }));
    for (const l of links) {
      if (!l.vlan) fx.devs.set(l.name, fx.dp.addDevice({ name: l.name, mac: l.mac, mtu: l.mtu ?? 1500, hostRingSize: l.hostRingSize }));
    }
    for (const line of ipBatchLinks(links)) fx.ip(line);
    for (const [k, v] of Object.entries(opts.sysctls ?? {})) fx.dp.sysctl(k, v);
    for (const [k, v] of linkSysctls(links)) fx.dp.sysctl(k, v);
    for (const line of ipBatchAfterSysctls(links, routes, neigh)) fx.ip(line);
    return fx;
  }

  ip(line: string): void {
    this.dp.ip(line);
  }

  /** A fast-path global sysctl by its SYSCTL_* name (what dp.sysctl sets by the kernel's name). */
  sysctl(name: keyof typeof SYSCTL, value: number): void {
    const x = this.dp.fastPath.exports as unknown as { net_sysctl_set(i: number, v: number): number };
    if (x.net_sysctl_set(SYSCTL[name], value) !== 0) throw new Error(`sysctl ${name}`);
  }

  advance(ms: number): void {
    this.dp.stack.advance(ms);
  }

  /** A frame arrives on `dev` and the poll runs: what every device then transmits, by name. */
  rx(dev: string, frame: Uint8Array): Map<string, Uint8Array[]> {
    const d = this.devs.get(dev)!;
    if (!d.inject(frame)) throw new Error(`inject on ${dev} failed`);
    d.poll();
    return this.tx();
  }

  /** What every ring device transmitted since the last look, by name (empty lists left out). */
  tx(): Map<string, Uint8Array[]> {
    const out = new Map<string, Uint8Array[]>();
    for (const [name, d] of this.devs) {
      const f = d.readTx().map((o) => o.data);
      if (f.length) out.set(name, f);
    }
    return out;
  }

  /** Frames on a device's host ring. */
  host(dev: string): Uint8Array[] {
    return this.devs.get(dev)!.readHost().map((o) => o.data);
  }

  mib(): Record<string, number> {
    return this.dp.stack.mib();
  }
  drops(): Record<string, number> {
    return this.dp.stack.drops();
  }
  /** Counters and drops that are not zero (tests compare these whole, so an unexpected count shows). */
  nonzero(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.mib())) if (v !== 0) out[k] = v;
    for (const [k, v] of Object.entries(this.drops())) if (v !== 0) out[`drop:${k}`] = v;
    return out;
  }
}

/**
 * An IPv4 datagram (its header and payload) cut into fragments of at most `mtu` bytes as RFC 791 says:
 * every fragment but the last carries a multiple of 8 bytes, the header is copied (its checksum redone).
 */
export function fragments4(dgram: Uint8Array, mtu: number): Uint8Array[] {
  const hlen = (dgram[0]! & 0xf) * 4;
  const space = (mtu - hlen) & ~7;
  const out: Uint8Array[] = [];
  for (let off = 0; off < dgram.length - hlen; off += space) {
    const chunk = dgram.subarray(hlen + off, Math.min(dgram.length, hlen + off + space));
    const last = hlen + off + chunk.length >= dgram.length;
    const h = Uint8Array.from(dgram.subarray(0, hlen));
    const len = hlen + chunk.length;
    h[2] = len >> 8;
    h[3] = len & 0xff;
    const fo = (off >> 3) | (last ? 0 : 0x2000) | (((h[6]! << 8) | h[7]!) & 0x4000);
    h[6] = fo >> 8;
    h[7] = fo & 0xff;
    h[10] = h[11] = 0;
    const c = inetChecksum(h);
    h[10] = c >> 8;
    h[11] = c & 0xff;
    out.push(concat(h, chunk));
  }
  return out;
}

/**
 * An IPv6 datagram (a 40-byte header, no extension headers) cut into fragments of at most `mtu` bytes
 * with Fragment headers of identification `id` (RFC 8200 4.5).
 */
export function fragments6(dgram: Uint8Array, mtu: number, id: number): Uint8Array[] {
  const space = (mtu - 48) & ~7;
  const nh = dgram[6]!;
  const out: Uint8Array[] = [];
  for (let off = 0; off < dgram.length - 40; off += space) {
    const chunk = dgram.subarray(40 + off, Math.min(dgram.length, 40 + off + space));
    const more = 40 + off + chunk.length < dgram.length;
    const h = Uint8Array.from(dgram.subarray(0, 40));
    const plen = 8 + chunk.length;
    h[4] = plen >> 8;
    h[5] = plen & 0xff;
    h[6] = 44;
    const fo = off | (more ? 1 : 0);
    out.push(concat(h, Uint8Array.from([nh, 0, fo >> 8, fo & 0xff, ...be32(id)]), chunk));
  }
  return out;
}
