// Shared by the UDP send tests: a UDP (or UDP-Lite) socket made through the socket exports (sock.ts:
// sk_create, sk_setsockopt, sk_bind, sk_connect) with the options a test names, always SO_REUSEADDR
// (a test binds several sockets to one port, as the kernel comparison's do).

import type { Datapath } from '../../src/control/datapath.js';
import { ipv4Bytes, ipv6Bytes } from '../../src/control/addresses.js';
import { SK, SKF, AF_INET } from '../../src/runtime/net_abi.js';
import type { LinkCfg, NeighCfg, RouteCfg } from './support.js';

// The sender's link (192.0.2.1/24, 2001:db8:1::1/64), an on-link host (.2 / ::2) and the gateway (.254 / ::fe).
export const S_MAC = '02:00:00:00:00:01';
export const H_MAC = '02:00:00:00:00:02';
export const GW_MAC = '02:00:00:00:00:fe';
export const SPORT = 5000;

/** The sender's link `dev`, its default routes (`extra` before them) and permanent neighbours, for dp.ip and ip -batch alike. */
export function senderConfig(dev: string, extra: RouteCfg[] = []): { links: LinkCfg[]; routes: RouteCfg[]; neigh: NeighCfg[] } {
  return {
    links: [{ name: dev, mac: S_MAC, v4: ['192.0.2.1/24'], v6: ['2001:db8:1::1/64'] }],
    routes: [{ dst: 'default', dev, via: '192.0.2.254' }, ...extra, { dst: 'default6', dev, via: '2001:db8:1::fe' }],
    neigh: [
      { dev, addr: '192.0.2.2', mac: H_MAC },
      { dev, addr: '192.0.2.254', mac: GW_MAC },
      { dev, addr: '2001:db8:1::2', mac: H_MAC },
      { dev, addr: '2001:db8:1::fe', mac: GW_MAC },
    ],
  };
}

export interface SockOpts {
  family?: number;
  proto?: number;
  broadcast?: boolean;
  nocheck?: boolean;
  v6only?: boolean;
  dontfrag?: boolean;
  /** IP_MTU_DISCOVER (sockets start with IP_PMTUDISC_WANT, the kernel's). */
  pmtudisc?: number;
  ttl?: number;
  /** IP_MULTICAST_TTL. */
  mcTtl?: number;
  tos?: number;
  mark?: number;
  /** SO_BINDTODEVICE (an ifindex). */
  boundDev?: number;
  /** bind(); port 0: ephemeral. Without it the first send autobinds. */
  bind?: { addr?: string; port: number };
  connect?: { addr: string; port: number };
  /** UDPLITE_SEND_CSCOV. */
  cscov?: number;
}

interface SockExports {
  arena_alloc(size: number, align: number): number;
  sk_create(family: number, protocol: number, flags: number): number;
  sk_setsockopt(id: number, opt: number, val: number): number;
  sk_bind(id: number, addr: number, port: number, scopeId: number): number;
  sk_connect(id: number, addr: number, port: number): number;
  sockById(id: number): number;
}

// opt = level << 8 | optname, the kernel's numbers (sock.ts SKO_*)
const SO_BROADCAST = 0x106;
const SO_NO_CHECK = 0x10b;
const SO_BINDTODEVICE = 0x119;
const SO_MARK = 0x124;
const IP_TOS = 0x001;
const IP_TTL = 0x002;
const IP_MTU_DISCOVER = 0x00a;
const IPV6_MTU_DISCOVER = 0x2917;
const IP_MULTICAST_TTL = 0x021;
const IPV6_UNICAST_HOPS = 0x2910;
const IPV6_V6ONLY = 0x291a;
const IPV6_TCLASS = 0x2943;
const UDPLITE_SEND_CSCOV = 0x880a;
const IPV6_DONTFRAG = 0x293e;

const addrs = new WeakMap<Datapath, number>();

/** A socket as the options say: its id. Throws naming the call that failed. */
export function udpSocket(dp: Datapath, o: SockOpts = {}): number {
  const x = dp.fastPath.exports as unknown as SockExports;
  const family = o.family ?? AF_INET;
  const v6 = family !== AF_INET;
  const ok = (what: string, r: number): void => {
    if (r < 0) throw new Error(`${what}: errno ${-r}`);
  };
  // SO_REUSEADDR: a test may bind several sockets to one port
  const id = x.sk_create(family, o.proto ?? 17, SKF.REUSEADDR);
  ok('sk_create', id);
  const opt = (name: string, code: number, val: number): void => ok(name, x.sk_setsockopt(id, code, val));
  if (o.broadcast) opt('SO_BROADCAST', SO_BROADCAST, 1);
  if (o.nocheck) opt('SO_NO_CHECK', SO_NO_CHECK, 1);
  if (o.v6only) opt('IPV6_V6ONLY', IPV6_V6ONLY, 1);
  // an IPv6 socket's own (np->pmtudisc), as the kernel side (udp_send_kernel.py) sets it: IP_MTU_DISCOVER is inet's
  if (o.pmtudisc !== undefined) opt(v6 ? 'IPV6_MTU_DISCOVER' : 'IP_MTU_DISCOVER', v6 ? IPV6_MTU_DISCOVER : IP_MTU_DISCOVER, o.pmtudisc);
  if (o.ttl !== undefined) opt('TTL', v6 ? IPV6_UNICAST_HOPS : IP_TTL, o.ttl);
  if (o.tos !== undefined) opt('TOS', v6 ? IPV6_TCLASS : IP_TOS, o.tos);
  if (o.mcTtl !== undefined) opt('IP_MULTICAST_TTL', IP_MULTICAST_TTL, o.mcTtl);
  if (o.mark !== undefined) opt('SO_MARK', SO_MARK, o.mark);
  if (o.boundDev !== undefined) opt('SO_BINDTODEVICE', SO_BINDTODEVICE, o.boundDev);
  if (o.cscov !== undefined) opt('UDPLITE_SEND_CSCOV', UDPLITE_SEND_CSCOV, o.cscov);
  if (o.dontfrag) opt('IPV6_DONTFRAG', IPV6_DONTFRAG, 1);
  let a = addrs.get(dp) ?? 0;
  if (a === 0) {
    a = x.arena_alloc(16, 16);
    addrs.set(dp, a);
  }
  const put = (text: string | undefined): number => {
    if (text === undefined) return 0;
    const b = dp.memory.bytes();
    b.fill(0, a, a + 16);
    b.set(!v6 ? ipv4Bytes(text) : text.includes(':') ? ipv6Bytes(text) : ipv6Bytes(`::ffff:${text}`), a);
    return a;
  };
  if (o.bind) ok('sk_bind', x.sk_bind(id, put(o.bind.addr), o.bind.port, 0));
  if (o.connect) ok('sk_connect', x.sk_connect(id, put(o.connect.addr), o.connect.port));
  return id;
}

/** The local port a socket has (after bind or autobind). */
export function localPort(dp: Datapath, id: number): number {
  const x = dp.fastPath.exports as unknown as SockExports;
  return dp.memory.view().getUint16(x.sockById(id) + SK.NUM, true);
}


export interface Received {
  data: Uint8Array;
  port: number;
  ifindex: number;
  /** 16 bytes (an IPv4 socket's source in the first 4). */
  addr: Uint8Array;
}

/** sk_recv (sock.ts): the oldest datagram of socket `id` and where it came from, or null when none waits. */
export function recvFrom(dp: Datapath, id: number): Received | null {
  const x = dp.fastPath.exports as unknown as SockExports & { sk_recv(id: number, buf: number, len: number, meta: number): number };
  let buf = bufs.get(dp) ?? 0;
  if (buf === 0) {
    buf = x.arena_alloc(65536 + 64, 64);
    bufs.set(dp, buf);
  }
  const n = x.sk_recv(id, buf + 64, 65536, buf);
  if (n < 0) return null;
  const b = dp.memory.bytes();
  const v = dp.memory.view();
  // RM_* (sock.ts): +2 u16 port, +4 u32 ifindex, +16 the address
  return { data: b.slice(buf + 64, buf + 64 + n), port: v.getUint16(buf + 2, true), ifindex: v.getUint32(buf + 4, true), addr: b.slice(buf + 16, buf + 32) };
}

const bufs = new WeakMap<Datapath, number>();

/** sk_close (sock.ts). */
export function sockClose(dp: Datapath, id: number): void {
  const x = dp.fastPath.exports as unknown as { sk_close(id: number): number };
  if (x.sk_close(id) < 0) throw new Error(`sk_close ${id}`);
}
