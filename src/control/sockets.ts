// The socket table: a thin typed wrapper over the fast path's socket exports (assembly/net/sock.ts
// draws them and the layouts). Ids, not objects: the dgram layer (src/control/udp.ts) and the sk
// programs' maps hold socket ids, as the kernel's file descriptors and sockmaps hold sockets.
//
//   const t = dp.socketTable;                   // or new SocketTable(dp)
//   const id = t.create({ family: 'inet', reusePort: true });
//   t.bind(id, '192.0.2.1', 5353);               // SocketError with errno EADDRINUSE, EADDRNOTAVAIL, …
//   for (const s of t.ready()) for (const d of t.recvBatch(s, 64)) handle(d);
//
// Errors: every refused call throws SocketError (code 'SOCKET') whose `errno` is the kernel's name and
// `syscall` the call, with a message as strerror words it; what the fast path returns is -errno.
// Addresses are text ('192.0.2.1', '2001:db8::1', 'fe80::1%eth0'); an IPv6 socket takes IPv4 text as
// ::ffff:a.b.c.d (dual-stack) as node:dgram does.

import { WxdpError } from '../errors.js';
import { ipv4Bytes, ipv4Text, ipv6Bytes, ipv6Text, ipv6Zone } from './addresses.js';
import { AF_INET, AF_INET6, SK, SK_SIZE, SKF } from '../runtime/net_abi.js';
import type { Datapath } from './datapath.js';

/** Linux errno numbers the socket calls return, by name. */
export const SOCKET_ERRNO: Readonly<Record<string, number>> = {
  EPERM: 1, ENOENT: 2, EBADF: 9, EAGAIN: 11, ENOMEM: 12, EACCES: 13, ENODEV: 19, EINVAL: 22, EMFILE: 24, ENONET: 64, EPROTO: 71,
  EMSGSIZE: 90, ENOPROTOOPT: 92, EPROTONOSUPPORT: 93, EOPNOTSUPP: 95, EAFNOSUPPORT: 97, EADDRINUSE: 98, EADDRNOTAVAIL: 99,
  ENETUNREACH: 101, ENOBUFS: 105, EISCONN: 106, ENOTCONN: 107, ECONNREFUSED: 111, EHOSTDOWN: 112, EHOSTUNREACH: 113,
  EDESTADDRREQ: 89, ENXIO: 6,
};
const ERRNO_NAME: ReadonlyMap<number, string> = new Map(Object.entries(SOCKET_ERRNO).map(([k, v]) => [v, k]));
const STRERROR: Readonly<Record<string, string>> = {
  EBADF: 'Bad file descriptor', EAGAIN: 'Resource temporarily unavailable', ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied', ENODEV: 'No such device', EINVAL: 'Invalid argument', EMFILE: 'Too many open files',
  ENOPROTOOPT: 'Protocol not available', EPROTONOSUPPORT: 'Protocol not supported', EAFNOSUPPORT: 'Address family not supported by protocol',
  EADDRINUSE: 'Address already in use', EADDRNOTAVAIL: 'Cannot assign requested address', ENETUNREACH: 'Network is unreachable',
  ECONNREFUSED: 'Connection refused', ENXIO: 'No such device or address', EHOSTUNREACH: 'No route to host', EMSGSIZE: 'Message too long', EPROTO: 'Protocol error',
};

/** The name of Linux errno `n` ('EADDRINUSE'), or `E<n>` for one this table lacks. */
export function errnoName(n: number): string {
  return ERRNO_NAME.get(Math.abs(n)) ?? `E${Math.abs(n)}`;
}

/** A socket call the fast path refused. */
export class SocketError extends WxdpError {
  readonly errno: string;
  readonly errnoValue: number;
  readonly syscall: string;
  constructor(syscall: string, errnoValue: number, detail = '') {
    const name = errnoName(errnoValue);
    super('SOCKET', `${syscall}${detail ? ` ${detail}` : ''}: ${STRERROR[name] ?? name} (${name})`);
    this.errno = name;
    this.errnoValue = Math.abs(errnoValue);
    this.syscall = syscall;
  }
}

export type SocketFamily = 'inet' | 'inet6';

export interface SocketSpec {
  family: SocketFamily;
  /** 'udp' (default) or 'udplite' (RFC 3828). */
  protocol?: 'udp' | 'udplite';
  reuseAddr?: boolean;
  reusePort?: boolean;
  /** IPV6_V6ONLY (inet6 only). */
  ipv6Only?: boolean;
  broadcast?: boolean;
}

/** Options by the kernel's names (level folded in as sock.ts's SKO_* codes). */
export const SOCKET_OPTION = {
  SO_REUSEADDR: 0x102, SO_TYPE: 0x103, SO_ERROR: 0x104, SO_BROADCAST: 0x106, SO_SNDBUF: 0x107, SO_RCVBUF: 0x108, SO_NO_CHECK: 0x10b,
  SO_REUSEPORT: 0x10f, SO_BINDTODEVICE: 0x119, SO_MARK: 0x124, SO_PROTOCOL: 0x126, SO_DOMAIN: 0x127, SO_RXQ_OVFL: 0x128,
  SO_INCOMING_CPU: 0x131, SO_COOKIE: 0x139, IP_TOS: 0x001, IP_TTL: 0x002, IP_MTU_DISCOVER: 0x00a, IP_MULTICAST_TTL: 0x021,
  IPV6_UNICAST_HOPS: 0x2910, IPV6_MTU_DISCOVER: 0x2917, IPV6_V6ONLY: 0x291a, IPV6_DONTFRAG: 0x293e, IPV6_TCLASS: 0x2943, UDPLITE_SEND_CSCOV: 0x880a, UDPLITE_RECV_CSCOV: 0x880b,
  IP_MULTICAST_LOOP: 0x022, IP_MULTICAST_ALL: 0x031, IPV6_MULTICAST_IF: 0x2911, IPV6_MULTICAST_HOPS: 0x2912, IPV6_MULTICAST_LOOP: 0x2913,
  IPV6_MULTICAST_ALL: 0x291d,
} as const;
export type SocketOption = keyof typeof SOCKET_OPTION;

export interface SocketAddress {
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
}

/** One received datagram. */
export interface Datagram extends SocketAddress {
  /** Its bytes (a copy; cut to the buffer given when `truncated`). */
  data: Uint8Array;
  /** The whole datagram's length. */
  size: number;
  truncated: boolean;
  /** The device it arrived on. */
  ifindex: number;
}

// sock.ts's RM_* and IO_* (mirrored; tests/udp/sockets.test.ts checks them against the module)
const RM = { FAMILY: 0, FLAGS: 1, PORT: 2, IFINDEX: 4, LEN: 8, OFF: 12, ADDR: 16 } as const;
export const RM_SIZE = 32;
const IO = { ADDR: 0, META: 64, META_MAX: 1024, DATA: 65536, DATA_SIZE: 196608 } as const;
const IPPROTO_UDP = 17;
const IPPROTO_UDPLITE = 136;

interface SockExports {
  sk_create(family: number, protocol: number, flags: number): number;
  sk_bind(id: number, addr: number, port: number, scope: number): number;
  sk_connect(id: number, addr: number, port: number, scopeId: number): number;
  sk_disconnect(id: number): number;
  sk_close(id: number): number;
  sk_setsockopt(id: number, opt: number, val: number): number;
  sk_getsockopt(id: number, opt: number): number;
  sk_recv(id: number, buf: number, len: number, meta: number): number;
  sk_recv_batch(id: number, max: number, buf: number, len: number, meta: number): number;
  sk_ready(out: number, max: number): number;
  sk_err_take(id: number): number;
  sk_raw_create(family: number, protocol: number): number;
  sk_port_range(low: number, high: number): number;
  sk_hash_secret(secret: number): void;
  sk_rmem_default(v: number): void;
  sk_rmem_max(v: number): void;
  sk_wmem_default(v: number): void;
  sk_wmem_max(v: number): void;
  sk_count(): number;
  sk_queued(id: number): number;
  sk_rx_stats(id: number, out: number): number;
  sk_io_area(): number;
  sockById(id: number): number;
  sk_mc_op(id: number, op: number, family: number, group: number, src: number, ifaddr: number, ifindex: number): number;
  sk_mc_if4(id: number, addr: number, ifindex: number): number;
  mc_groups(out: number, max: number): number;
}

/**
 * Multicast membership operations (udp_mcast.ts MC_*), by the kernel's option names: IPv4 groups use
 * the IP_* ones, IPv6 groups the IPV6_* / MCAST_* ones.
 */
export const MEMBERSHIP_OP = { join: 1, leave: 2, joinSource: 3, leaveSource: 4, block: 5, unblock: 6 } as const;
export type MembershipOp = keyof typeof MEMBERSHIP_OP;
const MEMBERSHIP_OPTION: Record<MembershipOp, [string, string]> = {
  join: ['IP_ADD_MEMBERSHIP', 'IPV6_ADD_MEMBERSHIP'], leave: ['IP_DROP_MEMBERSHIP', 'IPV6_DROP_MEMBERSHIP'],
  joinSource: ['IP_ADD_SOURCE_MEMBERSHIP', 'MCAST_JOIN_SOURCE_GROUP'], leaveSource: ['IP_DROP_SOURCE_MEMBERSHIP', 'MCAST_LEAVE_SOURCE_GROUP'],
  block: ['IP_BLOCK_SOURCE', 'MCAST_BLOCK_SOURCE'], unblock: ['IP_UNBLOCK_SOURCE', 'MCAST_UNBLOCK_SOURCE'],
};

/** An IPv4 address's 4 bytes as the fast path stores them (a little-endian u32 of network order). */
const le32 = (b: Uint8Array): number => (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;

/** A group a device is in for sockets (`ip maddr show`'s inet / inet6 lines, the kernel's own groups aside). */
export interface DeviceGroup {
  ifindex: number;
  family: 'inet' | 'inet6';
  group: string;
  /** Memberships on it (the kernel's `users`). */
  users: number;
}

export class SocketTable {
  private readonly x: SockExports;
  private io = 0;

  constructor(private readonly dp: Datapath) {
    this.x = dp.fastPath.exports as unknown as SockExports;
  }

  private area(): number {
    if (this.io === 0) {
      this.io = this.x.sk_io_area() >>> 0;
      if (this.io === 0) throw new SocketError('socket', -SOCKET_ERRNO.ENOMEM!);
    }
    return this.io;
  }

  private check(syscall: string, r: number, detail = ''): number {
    if (r < 0) throw new SocketError(syscall, r, detail);
    return r;
  }

  /** The record address of live socket `id`, or a SocketError EBADF. */
  record(id: number): number {
    const sk = this.x.sockById(id) >>> 0;
    if (sk === 0) throw new SocketError('socket', -SOCKET_ERRNO.EBADF!, `${id}`);
    return sk;
  }

  /** Whether `id` names a live socket. */
  has(id: number): boolean {
    return Number.isInteger(id) && id > 0 && (this.x.sockById(id) >>> 0) !== 0;
  }

  /** socket(AF_INET / AF_INET6, SOCK_DGRAM, IPPROTO_UDP / IPPROTO_UDPLITE) with its first options. */
  create(spec: SocketSpec): number {
    if (spec.family !== 'inet' && spec.family !== 'inet6') throw new WxdpError('USAGE', `socket family must be 'inet' or 'inet6', not '${String(spec.family)}'`);
    const protocol = spec.protocol ?? 'udp';
    if (protocol !== 'udp' && protocol !== 'udplite') throw new WxdpError('USAGE', `socket protocol must be 'udp' or 'udplite', not '${String(protocol)}'`);
    const flags = (spec.reuseAddr ? SKF.REUSEADDR : 0) | (spec.reusePort ? SKF.REUSEPORT : 0) | (spec.ipv6Only ? SKF.IPV6ONLY : 0) |
      (spec.broadcast ? SKF.BROADCAST : 0);
    return this.check('socket', this.x.sk_create(spec.family === 'inet6' ? AF_INET6 : AF_INET, protocol === 'udplite' ? IPPROTO_UDPLITE : IPPROTO_UDP, flags));
  }

  /** An embedder's handler for IP protocol `protocol`: whole datagrams (from the IP header) on the socket's queue. */
  createRaw(family: SocketFamily, protocol: number): number {
    if (!Number.isInteger(protocol) || protocol < 1 || protocol > 255) throw new WxdpError('USAGE', `IP protocol must be 1-255, not ${protocol}`);
    return this.check('socket', this.x.sk_raw_create(family === 'inet6' ? AF_INET6 : AF_INET, protocol));
  }

  private isV6(id: number): boolean {
    return this.dp.memory.bytes()[this.record(id) + SK.FAMILY] === AF_INET6;
  }

  /** Put `address` into the I/O area as socket `id`'s family keeps it; the scope (link) it names, 0 when none. */
  private placeAddr(id: number, address: string): number {
    const v6 = this.isV6(id);
    const mem = this.dp.memory.bytes();
    const at = this.area() + IO.ADDR;
    mem.fill(0, at, at + 16);
    const [text, scope] = ipv6Zone(address, (name) => this.dp.links.ifindex(name));
    if (!v6) {
      if (text.includes(':')) throw new SocketError('bind', -SOCKET_ERRNO.EAFNOSUPPORT!, `'${address}' on an IPv4 socket`);
      mem.set(ipv4Bytes(text), at);
    } else if (!text.includes(':')) {
      // an IPv4 address on an IPv6 socket: ::ffff:a.b.c.d
      mem[at + 10] = 0xff;
      mem[at + 11] = 0xff;
      mem.set(ipv4Bytes(text), at + 12);
    } else {
      mem.set(ipv6Bytes(text), at);
    }
    return scope;
  }

  private checkPort(syscall: string, port: number): void {
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new WxdpError('USAGE', `${syscall}: port must be an integer 0-65535, not ${port}`);
  }

  /** bind(): the wildcard address when `address` is omitted; port 0 → an ephemeral port. */
  bind(id: number, address?: string, port = 0): void {
    this.checkPort('bind', port);
    let addr = 0;
    let scope = 0;
    if (address !== undefined && address !== '') {
      scope = this.placeAddr(id, address);
      addr = this.area() + IO.ADDR;
    }
    this.check('bind', this.x.sk_bind(id, addr, port, scope), address !== undefined ? `${address}:${port}` : `:${port}`);
  }

  /** connect(): autobind, route, source address; the socket then hears only from `address`:`port`. */
  connect(id: number, address: string, port: number): void {
    this.checkPort('connect', port);
    const scope = this.placeAddr(id, address);
    this.check('connect', this.x.sk_connect(id, this.area() + IO.ADDR, port, scope), `${address}:${port}`);
  }

  /** connect(AF_UNSPEC). */
  disconnect(id: number): void {
    this.check('disconnect', this.x.sk_disconnect(id));
  }

  close(id: number): void {
    this.check('close', this.x.sk_close(id));
  }

  setOption(id: number, name: SocketOption, value: number | boolean): void {
    const code = SOCKET_OPTION[name];
    if (code === undefined) throw new WxdpError('USAGE', `unknown socket option '${String(name)}'`);
    const v = typeof value === 'boolean' ? (value ? 1 : 0) : value;
    if (!Number.isInteger(v)) throw new WxdpError('USAGE', `setsockopt ${name}: value must be an integer, not ${value}`);
    this.check('setsockopt', this.x.sk_setsockopt(id, code, v | 0), name);
  }

  getOption(id: number, name: SocketOption): number {
    const code = SOCKET_OPTION[name];
    if (code === undefined) throw new WxdpError('USAGE', `unknown socket option '${String(name)}'`);
    return this.check('getsockopt', this.x.sk_getsockopt(id, code), name);
  }

  /**
   * Join or leave multicast group `group` (IPv4 text: the IP_* options, also on an IPv6 socket; IPv6
   * text: the IPV6_* / MCAST_* ones), optionally for `source` only (source-specific, RFC 4607), on the
   * interface named by `iface`: for IPv4 its address (ip_mreq's imr_interface) or an ifindex
   * (ip_mreqn), for IPv6 an ifindex; 0 / omitted: the route to the group chooses. SocketError with the
   * kernel's errno (EADDRINUSE a second join, EADDRNOTAVAIL leaving what was not joined, ENODEV no
   * interface, EINVAL not a multicast group, ENOBUFS past igmp_max_memberships / igmp_max_msf …).
   */
  membership(id: number, op: MembershipOp, group: string, opts: { source?: string; iface?: string | number } = {}): void {
    const code = MEMBERSHIP_OP[op];
    if (code === undefined) throw new WxdpError('USAGE', `unknown membership operation '${String(op)}'`);
    const v6 = group.includes(':');
    const name = MEMBERSHIP_OPTION[op][v6 ? 1 : 0];
    const needSource = op !== 'join' && op !== 'leave';
    if (needSource !== (opts.source !== undefined)) {
      throw new WxdpError('USAGE', `setsockopt ${name}: ${needSource ? 'a source address is needed' : 'takes no source address'}`);
    }
    const mem = this.dp.memory.bytes();
    const at = this.area() + IO.ADDR;
    const grp = at + 16;
    const src = at + 32;
    mem.fill(0, grp, grp + 32);
    let ifaddr = 0;
    let ifindex = 0;
    try {
      if (v6) {
        mem.set(ipv6Bytes(group), grp);
        if (opts.source !== undefined) mem.set(ipv6Bytes(opts.source), src);
      } else {
        mem.set(ipv4Bytes(group), grp);
        if (opts.source !== undefined) mem.set(ipv4Bytes(opts.source), src);
      }
    } catch {
      throw new SocketError('setsockopt', -SOCKET_ERRNO.EINVAL!, `${name} ${group}${opts.source ? ` source ${opts.source}` : ''}`);
    }
    if (typeof opts.iface === 'number') ifindex = opts.iface;
    else if (opts.iface !== undefined && opts.iface !== '') {
      if (v6) ifindex = /^\d+$/.test(opts.iface) ? Number(opts.iface) : this.dp.links.ifindex(opts.iface);
      else ifaddr = le32(ipv4Bytes(opts.iface));
    }
    this.check('setsockopt', this.x.sk_mc_op(id, code, v6 ? AF_INET6 : AF_INET, grp, src, ifaddr >>> 0, ifindex), `${name} ${group}`);
  }

  /** IP_MULTICAST_IF: the interface by its IPv4 address ('0.0.0.0': none) or by ifindex (ip_mreqn). */
  setMulticastIf4(id: number, iface: string | number): void {
    const addr = typeof iface === 'number' ? 0 : le32(ipv4Bytes(iface));
    this.check('setsockopt', this.x.sk_mc_if4(id, addr >>> 0, typeof iface === 'number' ? iface : 0), 'IP_MULTICAST_IF');
  }

  /** The groups devices are in for sockets, newest first (as /proc/net/igmp and igmp6 list them). */
  deviceGroups(): DeviceGroup[] {
    const io = this.area();
    const max = Math.floor(IO.DATA_SIZE / 36);
    const n = Math.min(this.x.mc_groups(io + IO.DATA, max), max);
    const v = this.dp.memory.view();
    const out: DeviceGroup[] = [];
    for (let i = 0; i < n; i++) {
      const e = io + IO.DATA + i * 36;
      const fam = v.getUint32(e + 4, true);
      out.push({
        ifindex: v.getUint32(e, true), family: fam === AF_INET6 ? 'inet6' : 'inet', users: v.getUint32(e + 8, true),
        group: this.addrText(fam === AF_INET6, e + 20),
      });
    }
    return out;
  }

  private addrText(v6: boolean, at: number): string {
    const mem = this.dp.memory.bytes();
    return v6 ? ipv6Text(mem.subarray(at, at + 16)) : ipv4Text(mem.subarray(at, at + 4));
  }

  /** getsockname(): the bound address and port (port 0 while unbound). */
  address(id: number): SocketAddress {
    const sk = this.record(id);
    const v = this.dp.memory.view();
    const v6 = this.dp.memory.bytes()[sk + SK.FAMILY] === AF_INET6;
    return { address: this.addrText(v6, sk + SK.RCV_SADDR), family: v6 ? 'IPv6' : 'IPv4', port: v.getUint16(sk + SK.NUM, true) };
  }

  /** getpeername(): the connected peer, undefined when not connected. */
  remoteAddress(id: number): SocketAddress | undefined {
    const sk = this.record(id);
    const mem = this.dp.memory.bytes();
    if (mem[sk + SK.STATE] !== 1) return undefined;
    const v6 = mem[sk + SK.FAMILY] === AF_INET6;
    return { address: this.addrText(v6, sk + SK.DADDR), family: v6 ? 'IPv6' : 'IPv4', port: this.dp.memory.view().getUint16(sk + SK.DPORT, true) };
  }

  private datagram(m: number, data: Uint8Array): Datagram {
    const mem = this.dp.memory.bytes();
    const v = this.dp.memory.view();
    const v6 = mem[m + RM.FAMILY] === AF_INET6;
    const size = v.getUint32(m + RM.LEN, true);
    return {
      data, size, truncated: (mem[m + RM.FLAGS]! & 1) !== 0, ifindex: v.getUint32(m + RM.IFINDEX, true),
      address: this.addrText(v6, m + RM.ADDR), family: v6 ? 'IPv6' : 'IPv4', port: v.getUint16(m + RM.PORT, true),
    };
  }

  /** recvfrom(): the oldest datagram (at most `maxBytes` of it), undefined when the queue is empty. */
  recv(id: number, maxBytes = 65535): Datagram | undefined {
    const io = this.area();
    const len = Math.min(maxBytes, IO.DATA_SIZE);
    const n = this.x.sk_recv(id, io + IO.DATA, len, io + IO.META);
    if (n === -SOCKET_ERRNO.EAGAIN!) return undefined;
    this.check('recvfrom', n);
    return this.datagram(io + IO.META, this.dp.memory.bytes().slice(io + IO.DATA, io + IO.DATA + n));
  }

  /** recvmmsg(): up to `max` datagrams at once (each a copy). */
  recvBatch(id: number, max = 64): Datagram[] {
    const io = this.area();
    const want = Math.min(max, IO.META_MAX);
    const n = this.x.sk_recv_batch(id, want, io + IO.DATA, IO.DATA_SIZE, io + IO.META);
    const out: Datagram[] = [];
    if (n === 0) return out;
    const mem = this.dp.memory.bytes();
    const v = this.dp.memory.view();
    for (let i = 0; i < n; i++) {
      const m = io + IO.META + i * RM_SIZE;
      const off = v.getUint32(m + RM.OFF, true);
      const full = v.getUint32(m + RM.LEN, true);
      const got = (mem[m + RM.FLAGS]! & 1) !== 0 ? IO.DATA_SIZE - off : full;
      out.push(this.datagram(m, mem.slice(io + IO.DATA + off, io + IO.DATA + off + Math.min(full, got))));
    }
    return out;
  }

  /**
   * recvmmsg() without a JS object per datagram: up to `max` datagrams into the table's I/O area, read
   * through the returned batch (views into wasm memory, valid until the next receive on this table).
   */
  recvBatchView(id: number, max = 1024): DatagramBatch {
    const io = this.area();
    const n = this.x.sk_recv_batch(id, Math.min(max, IO.META_MAX), io + IO.DATA, IO.DATA_SIZE, io + IO.META);
    return new DatagramBatch(this.dp.memory.bytes(), this.dp.memory.view(), io, n);
  }

  /** Socket ids with a new datagram or error since they were last reported (each once). */
  ready(max = 1024): number[] {
    const io = this.area();
    const want = Math.min(max, IO.DATA_SIZE / 4);
    const n = this.x.sk_ready(io + IO.DATA, want);
    const v = this.dp.memory.view();
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(v.getUint32(io + IO.DATA + i * 4, true));
    return out;
  }

  /** The pending error (SO_ERROR), taken: its errno name, or undefined. */
  takeError(id: number): string | undefined {
    const e = this.check('getsockopt', this.x.sk_err_take(id));
    return e === 0 ? undefined : errnoName(e);
  }

  /** Datagrams queued on `id`. */
  queued(id: number): number {
    return this.check('ioctl', this.x.sk_queued(id));
  }

  /** The socket's counters and queue as its record holds them (datagrams and bytes queued since it was made: sock.ts sk_rx_stats). */
  stats(id: number): { rxPackets: number; rxBytes: number; drops: number; rmem: number; rcvbuf: number; cookie: bigint } {
    const sk = this.record(id);
    const rx = this.area() + IO.ADDR;
    this.check('getsockopt', this.x.sk_rx_stats(id, rx));
    const v = this.dp.memory.view();
    return {
      rxPackets: Number(v.getBigUint64(rx, true)), rxBytes: Number(v.getBigUint64(rx + 8, true)),
      drops: v.getUint32(sk + SK.DROPS, true), rmem: v.getUint32(sk + SK.RMEM, true), rcvbuf: v.getUint32(sk + SK.RCVBUF, true),
      cookie: v.getBigUint64(sk + SK.COOKIE, true),
    };
  }

  /** Sockets open. */
  get count(): number {
    return this.x.sk_count();
  }

  /** net.ipv4.ip_local_port_range. */
  setPortRange(low: number, high: number): void {
    this.check('sysctl', this.x.sk_port_range(low, high), `ip_local_port_range ${low} ${high}`);
  }

  /** The reuseport flow-hash secret (the kernel's is random at boot; fixed here so runs repeat). */
  setHashSecret(secret: number): void {
    this.x.sk_hash_secret(secret >>> 0);
  }

  /** net.core.rmem_default / rmem_max (bytes). */
  setRmem(limits: { default?: number; max?: number }): void {
    if (limits.default !== undefined) this.memGiven.add('rmem_default');
    if (limits.max !== undefined) this.memGiven.add('rmem_max');
    if (limits.default !== undefined) this.x.sk_rmem_default(limits.default >>> 0);
    if (limits.max !== undefined) this.x.sk_rmem_max(limits.max >>> 0);
  }

  /** net.core.wmem_default / wmem_max (bytes). */
  setWmem(limits: { default?: number; max?: number }): void {
    if (limits.default !== undefined) this.memGiven.add('wmem_default');
    if (limits.max !== undefined) this.memGiven.add('wmem_max');
    if (limits.default !== undefined) this.x.sk_wmem_default(limits.default >>> 0);
    if (limits.max !== undefined) this.x.sk_wmem_max(limits.max >>> 0);
  }

  /** The limits setRmem / setWmem were given (dp.udp's first socket takes the machine's for the others). */
  private readonly memGiven = new Set<string>();

  /**
   * @internal dp.udp's first socket: the machine's net.core.{r,w}mem_* (udp_backend.ts hostMemLimits) for those
   * setRmem / setWmem were not given — a program's own, set before, stay.
   */
  hostMem(limits: Partial<Record<'rmem_default' | 'rmem_max' | 'wmem_default' | 'wmem_max', number>>): void {
    const keep = (k: keyof typeof limits): number | undefined => (this.memGiven.has(k) ? undefined : limits[k]);
    const [rd, rm, wd, wm] = [keep('rmem_default'), keep('rmem_max'), keep('wmem_default'), keep('wmem_max')];
    if (rd !== undefined) this.x.sk_rmem_default(rd >>> 0);
    if (rm !== undefined) this.x.sk_rmem_max(rm >>> 0);
    if (wd !== undefined) this.x.sk_wmem_default(wd >>> 0);
    if (wm !== undefined) this.x.sk_wmem_max(wm >>> 0);
  }
}

/** Datagrams received at once (SocketTable.recvBatchView): accessors by index, nothing copied until asked. */
export class DatagramBatch {
  constructor(private readonly mem: Uint8Array, private readonly view: DataView, private readonly io: number, readonly count: number) {}
  private m(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) throw new WxdpError('USAGE', `datagram ${i} of a batch of ${this.count}`);
    return this.io + IO.META + i * RM_SIZE;
  }
  /** Bytes of datagram `i` as received (a view: copy it to keep it past the next receive). */
  data(i: number): Uint8Array {
    const m = this.m(i);
    const off = this.view.getUint32(m + RM.OFF, true);
    const full = this.view.getUint32(m + RM.LEN, true);
    const at = this.io + IO.DATA + off;
    return this.mem.subarray(at, at + Math.min(full, IO.DATA_SIZE - off));
  }
  /** The whole datagram's length (more than data(i).length when truncated). */
  size(i: number): number {
    return this.view.getUint32(this.m(i) + RM.LEN, true);
  }
  truncated(i: number): boolean {
    return (this.mem[this.m(i) + RM.FLAGS]! & 1) !== 0;
  }
  port(i: number): number {
    return this.view.getUint16(this.m(i) + RM.PORT, true);
  }
  ifindex(i: number): number {
    return this.view.getUint32(this.m(i) + RM.IFINDEX, true);
  }
  family(i: number): 'IPv4' | 'IPv6' {
    return this.mem[this.m(i) + RM.FAMILY] === AF_INET6 ? 'IPv6' : 'IPv4';
  }
  /** The source address as text. */
  address(i: number): string {
    const a = this.m(i) + RM.ADDR;
    return this.mem[this.m(i) + RM.FAMILY] === AF_INET6 ? ipv6Text(this.mem.subarray(a, a + 16)) : ipv4Text(this.mem.subarray(a, a + 4));
  }
}

/** The record size sock.ts lays out (for readers that walk records). */
export const SOCKET_RECORD_SIZE = SK_SIZE;
