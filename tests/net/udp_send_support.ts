// Shared by the UDP send tests: a UDP (or UDP-Lite) socket made through the socket exports (sock.ts:
// sk_create, sk_setsockopt, sk_bind, sk_connect) with the options a test names, always SO_REUSEADDR
// (a test binds several sockets to one port, as the kernel comparison's do). IPV6_DONTFRAG has no
// option code there yet: it is set in the record (abi.ts SK_FLAGS6) as the option would.

import type { Datapath } from '../../src/control/datapath.js';
import { ipv4Bytes, ipv6Bytes } from '../../src/control/addresses.js';
import { SK, SK6F, SKF, AF_INET } from '../../src/runtime/net_abi.js';

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
const IPV6_UNICAST_HOPS = 0x2910;
const IPV6_V6ONLY = 0x291a;
const IPV6_TCLASS = 0x2943;
const UDPLITE_SEND_CSCOV = 0x880a;

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
  if (o.pmtudisc !== undefined) opt('IP_MTU_DISCOVER', IP_MTU_DISCOVER, o.pmtudisc);
  if (o.ttl !== undefined) opt('TTL', v6 ? IPV6_UNICAST_HOPS : IP_TTL, o.ttl);
  if (o.tos !== undefined) opt('TOS', v6 ? IPV6_TCLASS : IP_TOS, o.tos);
  if (o.mark !== undefined) opt('SO_MARK', SO_MARK, o.mark);
  if (o.boundDev !== undefined) opt('SO_BINDTODEVICE', SO_BINDTODEVICE, o.boundDev);
  if (o.cscov !== undefined) opt('UDPLITE_SEND_CSCOV', UDPLITE_SEND_CSCOV, o.cscov);
  if (o.dontfrag) {
    const sk = x.sockById(id);
    const v = dp.memory.view();
    v.setUint8(sk + SK.FLAGS6, v.getUint8(sk + SK.FLAGS6) | SK6F.DONTFRAG);
  }
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

