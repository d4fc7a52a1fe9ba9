// Shared by the socket-program tests: a data path with the host of tests/udp/support.ts (192.0.2.1/24,
// 198.51.100.1/24, 2001:db8:1::1/64 on eth0), sockets made through the socket API (dp.socketTable),
// and calls of the lookup's two programmable steps (skLookupRun, skReuseportRun) the way the socket
// lookup makes them.

import { ipv4Bytes, ipv6Bytes } from '../../src/control/addresses.js';
import type { SocketSpec, SocketTable } from '../../src/control/sockets.js';
import { SK } from '../../src/runtime/net_abi.js';
import { Fixture } from '../net/support.js';
import type { NamespaceFixture } from '../support/netns.js';
import { LINKS, NEIGH } from './support.js';

export { H_MAC, R_MAC } from './support.js';

export const AF_INET = 2;
export const AF_INET6 = 10;
export const IPPROTO_UDP = 17;
export const IPPROTO_UDPLITE = 136;
export const SK_LOOKUP_DROP = 0xffffffff;

interface Exports {
  arena_alloc(size: number, align: number): number;
  skLookupRun(family: number, protocol: number, saddr: number, sport: number, daddr: number, dport: number, ifindex: number): number;
  skLookupNoReuseport(): number;
  skReuseportRun(group: number, data: number, len: number, hash: number): number;
}

export function addrBytes(a: string): Uint8Array {
  const out = new Uint8Array(16);
  if (a === '') return out;
  out.set(a.includes(':') ? ipv6Bytes(a) : ipv4Bytes(a));
  return out;
}

export interface SockOpts extends Partial<SocketSpec> {
  addr?: string;
  port: number;
  connect?: [string, number];
}

/** A data path with sockets, and the two lookup steps called directly. */
export class SkEnv {
  private readonly x: Exports;
  private readonly buf: number;

  private constructor(
    readonly fx: Fixture,
    readonly t: SocketTable,
  ) {
    this.x = fx.dp.fastPath.exports as unknown as Exports;
    this.buf = this.x.arena_alloc(4096, 8) >>> 0;
  }

  static async create(): Promise<SkEnv> {
    const fx = await Fixture.create(LINKS, [], NEIGH);
    return new SkEnv(fx, fx.dp.socketTable);
  }

  get dp() {
    return this.fx.dp;
  }

  /** socket() + bind() (+ connect()): the socket's id. */
  sock(o: SockOpts): number {
    const id = this.t.create({ family: o.family ?? 'inet', protocol: o.protocol, reusePort: o.reusePort, reuseAddr: o.reuseAddr, ipv6Only: o.ipv6Only });
    this.t.bind(id, o.addr, o.port);
    if (o.connect) this.t.connect(id, o.connect[0], o.connect[1]);
    return id;
  }

  /** The reuseport group socket `id` is in (its SK_REUSEPORT_GROUP), 0 for none. */
  group(id: number): number {
    return this.dp.memory.view().getUint32(this.t.record(id) + SK.REUSEPORT_GROUP, true);
  }

  /** The id of the socket a record address names; 0 for none, 'drop' for SK_LOOKUP_DROP. */
  idOf(rec: number): number | 'drop' {
    if (rec >>> 0 === SK_LOOKUP_DROP) return 'drop';
    if (rec === 0) return 0;
    return this.dp.memory.view().getUint32(rec + SK.ID, true);
  }

  /** The sk_lookup step for one datagram: the socket id the programs chose, 0 (none) or 'drop'. */
  lookup(o: { family?: number; protocol?: number; saddr: string; sport: number; daddr: string; dport: number; ifindex?: number }): number | 'drop' {
    const b = this.dp.memory.bytes();
    b.set(addrBytes(o.saddr), this.buf);
    b.set(addrBytes(o.daddr), this.buf + 16);
    const rec = this.x.skLookupRun(o.family ?? AF_INET, o.protocol ?? IPPROTO_UDP, this.buf, o.sport, this.buf + 16, o.dport, o.ifindex ?? 1);
    return this.idOf(rec >>> 0);
  }

  noReuseport(): boolean {
    return this.x.skLookupNoReuseport() !== 0;
  }

  /** The sk_reuseport step for one datagram (`udp`: UDP header and payload): socket id, 0 or 'drop'. */
  reuseport(group: number, udp: Uint8Array, hash: number): number | 'drop' {
    this.dp.memory.bytes().set(udp, this.buf + 64);
    return this.idOf(this.x.skReuseportRun(group, this.buf + 64, udp.length, hash) >>> 0);
  }
}

export function u32le(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}
export function u64le(n: number | bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}

/**
 * A namespace for the kernel side of the socket tests: loopback up with 192.0.2.1/24 and
 * 2001:db8:1::1/64 (no DAD) and any `extra` IPv4 addresses; its name.
 */
export function socketNamespace(nsa: NamespaceFixture, extra: readonly string[] = []): string {
  const ns = nsa.set.create({ lo: true });
  ns.ip('addr', 'add', '192.0.2.1/24', 'dev', 'lo');
  for (const a of extra) ns.ip('addr', 'add', a, 'dev', 'lo');
  ns.ip('addr', 'add', '2001:db8:1::1/64', 'dev', 'lo', 'nodad');
  return ns.name;
}
