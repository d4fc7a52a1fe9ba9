// Shared by the stack's receive / forward / ICMP tests: packets built by hand (headers field by field,
// checksums by an RFC 1071 sum written here, independent of the fast path's), and a fixture that sets up
// devices, addresses, routes and neighbours.
//
// The fixture writes netdev records per the ND_* layout itself (what dp.links will do), and configures
// routes and neighbours through the test overlay's exports (t_route_add, t_neigh_add) when the build has
// them; tests that need those skip with the reason when it does not.

import { Datapath } from '../../src/control/datapath.js';
import type { Device } from '../../src/control/device.js';
import { ipv4Bytes, ipv6Bytes, macBytes } from '../../src/control/addresses.js';
import {
  ADDR_ENTRY_SIZE, ADDR_LIST_HEADER, AE, CONF4, CONF4_COUNT, CONF6, IFF, ND, NDK, NETDEV_SIZE, RTN, RT_SCOPE, SYSCTL,
} from '../../src/runtime/net_abi.js';

// ---- Bytes ----

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const be16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
const be32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

/** RFC 1071: the one's-complement sum of big-endian 16-bit words (odd byte padded), folded, complemented. */
export function inetChecksum(...parts: Uint8Array[]): number {
  const b = concat(...parts);
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

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
  conf4?: Partial<Record<keyof typeof CONF4, number>>;
  conf6?: Partial<Record<keyof typeof CONF6, number>>;
  down?: boolean;
  /** Entries of the ring device's host ring (default 1024). */
  hostRingSize?: number;
}
export interface RouteCfg {
  dst: string;
  dev: string;
  via?: string;
  type?: keyof typeof RTN;
  src?: string;
  mtu?: number;
  table?: 'local' | 'main';
  scope?: keyof typeof RT_SCOPE;
}
export interface NeighCfg {
  dev: string;
  addr: string;
  mac: string;
}

interface FxExports {
  arena_alloc(size: number, align: number): number;
  netdevPublish(ifindex: number, rec: number): void;
  net_sysctl_set(i: number, v: number): number;
  net_advance(ms: number): void;
  t_route_add?(family: number, pfx: number, plen: number, type: number, scope: number, oif: number, gwfam: number, gw: number, prefsrc: number, mtu: number, table: number): void;
  t_neigh_add?(family: number, ifindex: number, addr: number, mac: number): void;
}

/** The build carries the routing / neighbour test overlay (see the file header). */
export async function haveOverlay(): Promise<boolean> {
  const dp = await Datapath.create();
  return typeof (dp.fastPath.exports as Record<string, unknown>).t_route_add === 'function';
}

const isV6 = (a: string): boolean => a.includes(':');
const addrBytes = (a: string): Uint8Array => (isV6(a) ? ipv6Bytes(a) : ipv4Bytes(a));

export class Fixture {
  readonly devs = new Map<string, Device>();
  readonly ifindex = new Map<string, number>();
  private readonly x: FxExports;
  private readonly buf: number;

  private constructor(readonly dp: Datapath) {
    this.x = dp.fastPath.exports as unknown as FxExports;
    dp.stack;
    this.buf = this.x.arena_alloc(256, 16) >>> 0;
  }

  static async create(links: LinkCfg[], routes: RouteCfg[] = [], neigh: NeighCfg[] = [], opts: { umemFrames?: number } = {}): Promise<Fixture> {
    const fx = new Fixture(await Datapath.create({ umemFrames: opts.umemFrames }));
    for (const l of links) fx.addLink(l);
    for (const l of links) fx.addConnected(l);
    for (const r of routes) fx.route(r);
    for (const n of neigh) fx.neigh(n);
    return fx;
  }

  private bytes(): Uint8Array {
    return this.dp.memory.bytes();
  }
  private view(): DataView {
    return this.dp.memory.view();
  }

  private addLink(l: LinkCfg): void {
    let ifindex: number;
    let devAddr = 0;
    if (l.vlan) {
      ifindex = 100 + this.ifindex.size;
    } else {
      const d = this.dp.addDevice({ name: l.name, mac: l.mac, mtu: l.mtu ?? 1500, hostRingSize: l.hostRingSize });
      this.devs.set(l.name, d);
      ifindex = d.ifindex;
      devAddr = d.address;
    }
    this.ifindex.set(l.name, ifindex);
    const rec = this.x.arena_alloc(NETDEV_SIZE, 64) >>> 0;
    const v = this.view();
    this.bytes().fill(0, rec, rec + NETDEV_SIZE);
    v.setUint32(rec + ND.IFINDEX, ifindex, true);
    v.setUint32(rec + ND.FLAGS, l.down ? IFF.BROADCAST | IFF.MULTICAST : IFF.UP | IFF.BROADCAST | IFF.MULTICAST | IFF.RUNNING | IFF.LOWER_UP, true);
    v.setUint32(rec + ND.MTU, l.mtu ?? 1500, true);
    v.setUint32(rec + ND.KIND, l.vlan ? NDK.VLAN : NDK.ETHER, true);
    this.bytes().set(macBytes(l.mac), rec + ND.MAC);
    v.setUint32(rec + ND.DEV, devAddr, true);
    if (l.vlan) {
      v.setUint32(rec + ND.LINK, this.ifindex.get(l.vlan.parent)!, true);
      v.setUint16(rec + ND.VLAN_PROTO, l.vlan.proto ?? 0x8100, true);
      v.setUint16(rec + ND.VLAN_ID, l.vlan.id, true);
    }
    // net.ipv4.conf.DEV.* / net.ipv6.conf.DEV.* defaults as the links stage sets them (send_redirects 0)
    const c4 = { ACCEPT_REDIRECTS: 1, SEND_REDIRECTS: 0, FORWARDING: l.forwarding ? 1 : 0, ...l.conf4 };
    for (const [k, val] of Object.entries(c4)) v.setUint32(rec + ND.CONF4 + CONF4[k as keyof typeof CONF4] * 4, val, true);
    const c6 = { FORWARDING: l.forwarding ? 1 : 0, HOP_LIMIT: 64, MTU: l.mtu ?? 1500, ACCEPT_REDIRECTS: 1, ...l.conf6 };
    for (const [k, val] of Object.entries(c6)) v.setUint32(rec + ND.CONF6 + CONF6[k as keyof typeof CONF6] * 4, val, true);
    for (const [fam, list] of [[4, l.v4 ?? []], [6, l.v6 ?? []]] as const) {
      const al = this.x.arena_alloc(ADDR_LIST_HEADER + Math.max(1, list.length) * ADDR_ENTRY_SIZE, 8) >>> 0;
      v.setUint32(al, list.length, true);
      list.forEach((a, i) => {
        const [addr, plen] = a.split('/');
        const e = al + ADDR_LIST_HEADER + i * ADDR_ENTRY_SIZE;
        this.bytes().fill(0, e, e + ADDR_ENTRY_SIZE);
        this.bytes().set(addrBytes(addr!), e + AE.ADDR);
        this.bytes().set(addrBytes(addr!), e + AE.PEER);
        v.setUint8(e + AE.PREFIXLEN, Number(plen));
        const ll = fam === 6 && addr!.toLowerCase().startsWith('fe80');
        v.setUint8(e + AE.SCOPE, ll ? RT_SCOPE.LINK : RT_SCOPE.UNIVERSE);
        if (fam === 4) this.bytes().set(ipv4Bytes(broadcastOf(addr!, Number(plen))), e + AE.BROADCAST);
        v.setUint32(e + AE.PREFERRED, 0xffffffff, true);
        v.setUint32(e + AE.VALID, 0xffffffff, true);
      });
      v.setUint32(rec + (fam === 4 ? ND.ADDR4 : ND.ADDR6), al, true);
    }
    this.x.netdevPublish(ifindex, rec);
  }

  /** The routes the kernel adds for an address: local /32 (/128) and broadcast in table local, the prefix in main. */
  private addConnected(l: LinkCfg): void {
    for (const a of l.v4 ?? []) {
      const [addr, plen] = a.split('/');
      const n = Number(plen);
      this.route({ dst: `${addr}/32`, dev: l.name, type: 'LOCAL', table: 'local', scope: 'HOST', src: addr });
      if (n < 31) this.route({ dst: `${broadcastOf(addr!, n)}/32`, dev: l.name, type: 'BROADCAST', table: 'local', scope: 'LINK', src: addr });
      this.route({ dst: `${prefixOf(addr!, n)}/${n}`, dev: l.name, scope: 'LINK', src: addr });
    }
    for (const a of l.v6 ?? []) {
      const [addr, plen] = a.split('/');
      this.route({ dst: `${addr}/128`, dev: l.name, type: 'LOCAL', table: 'local' });
      this.route({ dst: `${addr}/${plen}`, dev: l.name });
    }
  }

  /** Add a route (the overlay's FIB). */
  route(r: RouteCfg): void {
    if (!this.x.t_route_add) return;
    const [dst, plen] = r.dst === 'default' ? ['0.0.0.0', '0'] : r.dst === 'default6' ? ['::', '0'] : r.dst.split('/');
    const v6 = isV6(dst!);
    const b = this.bytes();
    const B = this.buf;
    b.fill(0, B, B + 64);
    b.set(addrBytes(dst!), B);
    if (r.via) b.set(addrBytes(r.via), B + 16);
    if (r.src) b.set(addrBytes(r.src), B + 32);
    const type = RTN[r.type ?? 'UNICAST'];
    const scope = RT_SCOPE[r.scope ?? (r.via ? 'UNIVERSE' : type === RTN.UNICAST ? 'LINK' : 'UNIVERSE')];
    this.x.t_route_add(v6 ? 10 : 2, B, Number(plen ?? (v6 ? 128 : 32)), type, scope, this.ifindex.get(r.dev) ?? 0, r.via ? (isV6(r.via) ? 10 : 2) : 0, B + 16, B + 32, r.mtu ?? 0, r.table === 'local' ? 255 : 254);
  }

  /** A permanent neighbour (the overlay's table). */
  neigh(n: NeighCfg): void {
    if (!this.x.t_neigh_add) return;
    const b = this.bytes();
    b.fill(0, this.buf, this.buf + 32);
    b.set(addrBytes(n.addr), this.buf);
    b.set(macBytes(n.mac), this.buf + 16);
    this.x.t_neigh_add(isV6(n.addr) ? 10 : 2, this.ifindex.get(n.dev)!, this.buf, this.buf + 16);
  }

  sysctl(name: keyof typeof SYSCTL, value: number): void {
    if (this.x.net_sysctl_set(SYSCTL[name], value) !== 0) throw new Error(`sysctl ${name}`);
  }

  /** net.ipv4.conf.DEV.<k> / net.ipv6.conf.DEV.<k> on a link's record. */
  conf(dev: string, family: 4 | 6, key: string, value: number): void {
    const rec = (this.dp.fastPath.exports as unknown as { netdev_get(i: number): number }).netdev_get(this.ifindex.get(dev)!) >>> 0;
    const idx = family === 4 ? CONF4[key as keyof typeof CONF4] : CONF6[key as keyof typeof CONF6];
    if (idx === undefined || idx >= CONF4_COUNT) throw new Error(`conf ${key}`);
    this.view().setUint32(rec + (family === 4 ? ND.CONF4 : ND.CONF6) + idx * 4, value, true);
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
  /** Counters that are not zero (tests compare these whole, so an unexpected count shows). */
  nonzero(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries({ ...this.mib(), ...Object.fromEntries(Object.entries(this.drops()).map(([k2, v2]) => [`drop:${k2}`, v2])) })) {
      if (v !== 0) out[k] = v;
    }
    return out;
  }
}

function ipv4Num(a: string): number {
  const b = ipv4Bytes(a);
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}
const numIpv4 = (n: number): string => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
const maskOf = (plen: number): number => (plen === 0 ? 0 : (0xffffffff << (32 - plen)) >>> 0);
export const prefixOf = (a: string, plen: number): string => numIpv4((ipv4Num(a) & maskOf(plen)) >>> 0);
export const broadcastOf = (a: string, plen: number): string => numIpv4((ipv4Num(a) | ~maskOf(plen)) >>> 0);
