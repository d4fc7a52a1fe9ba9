// The control plane's door to the fast path's UDP send (assembly/net/udp_output.ts, udp_sendmsg): the
// payload and the destination go into one area of the shared memory, udp_sendmsg runs, and a -errno
// comes back as a UdpSendError naming the kernel's errno. Part A's SocketTable (sockets.ts) and the
// dgram API (udp.ts) send through this.
//
// The area (allocated once from the arena, UDP_SEND_AREA bytes): +0 the destination (16 bytes as the
// socket's family keeps addresses: IPv4 in the first 4, IPv6 whole, an IPv4 peer of an IPv6 socket as
// ::ffff:a.b.c.d) | +64 the payload (at most 65,535 bytes; a longer one is refused by the fast path
// by its length alone, before it reads a byte).

import { WxdpError } from '../errors.js';
import { AF_INET, SK } from '../runtime/net_abi.js';
import { ipv4Bytes, ipv6Bytes, ipv6Zone } from './addresses.js';
import type { Datapath } from './datapath.js';

const AREA_PAYLOAD = 64;
const PAYLOAD_MAX = 0xffff;
export const UDP_SEND_AREA = AREA_PAYLOAD + PAYLOAD_MAX + 1;

/** The errnos udp_sendmsg returns, by value. */
export const UDP_SEND_ERRNO: Readonly<Record<number, string>> = {
  1: 'EPERM', 9: 'EBADF', 11: 'EAGAIN', 13: 'EACCES', 19: 'ENODEV', 22: 'EINVAL', 89: 'EDESTADDRREQ', 90: 'EMSGSIZE', 97: 'EAFNOSUPPORT',
  99: 'EADDRNOTAVAIL', 101: 'ENETUNREACH', 105: 'ENOBUFS', 113: 'EHOSTUNREACH',
};

/** A datagram the send path refused: `errno` is the kernel's name for why (EMSGSIZE, ENETUNREACH, …). */
export class UdpSendError extends WxdpError {
  constructor(readonly errno: string, readonly errnoValue: number, message: string) {
    super('SOCKET_SEND', message);
  }
}

interface SendExports {
  udp_sendmsg(id: number, buf: number, len: number, daddr: number, dport: number, scopeId: number): number;
  udp_sendmsg_sk(sk: number, buf: number, len: number, daddr: number, dport: number, scopeId: number): number;
  sockById(id: number): number;
  arena_alloc(size: number, align: number): number;
}

export interface UdpDestination {
  /**
   * IPv4 dotted or IPv6 text, an IPv6 one with its zone ('fe80::1%eth0', '%3': the sin6_scope_id); an
   * IPv4 address to an IPv6 socket goes as ::ffff:a.b.c.d.
   */
  address: string;
  port: number;
}

export class UdpSender {
  private area = 0;
  private mem: Uint8Array = new Uint8Array(0);
  private readonly x: SendExports;

  constructor(private readonly dp: Datapath) {
    this.x = dp.fastPath.exports as unknown as SendExports;
  }

  /**
   * Send from socket `id` (sock.ts): the payload's length, or a UdpSendError. `to` omitted: the connected
   * peer. The destination is laid out for the socket's family (the record's; `family` only when there is
   * no such socket, whose send then fails EBADF anyway).
   */
  send(id: number, payload: Uint8Array, to?: UdpDestination, family?: number): number {
    const sk = this.x.sockById(id);
    const fam = sk !== 0 ? this.bytesTo(sk + SK.FAMILY + 1)[sk + SK.FAMILY]! : (family ?? AF_INET);
    return this.run(id, 0, payload, to, fam);
  }

  /** The same from a socket record's address (tests and benchmarks that lay a record out themselves). */
  sendFromRecord(sk: number, payload: Uint8Array, to?: UdpDestination): number {
    return this.run(-1, sk, payload, to, this.bytesTo(sk + SK.FAMILY + 1)[sk + SK.FAMILY]!);
  }

  /**
   * The memory's bytes, through a view kept while it covers [0, end): an unshared memory's view reads 0
   * bytes once the memory grew; a shared one's still reads what lies below its old size.
   */
  private bytesTo(end: number): Uint8Array {
    if (this.mem.byteLength < end) this.mem = this.dp.memory.bytes();
    return this.mem;
  }

  /** udp_sendmsg from socket `id`, or (id < 0) udp_sendmsg_sk from the record at `sk`. */
  private run(id: number, sk: number, payload: Uint8Array, to: UdpDestination | undefined, family: number): number {
    const who = (): string => (id >= 0 ? `socket ${id}` : `socket record 0x${sk.toString(16)}`);
    if (to && (!Number.isInteger(to.port) || to.port < 0 || to.port > 0xffff)) throw new WxdpError('USAGE', `${who()}: port ${to.port} is not 0..65535`);
    const a = this.areaAddress();
    const mem = this.bytesTo(a + UDP_SEND_AREA);
    let scope = 0;
    if (to) {
      let text = to.address;
      if (family !== AF_INET) [text, scope] = ipv6Zone(text, (name) => this.dp.links.ifindex(name));
      const addr = family === AF_INET ? ipv4Bytes(text) : text.includes(':') ? ipv6Bytes(text) : ipv6Bytes(`::ffff:${text}`);
      mem.fill(0, a, a + 16);
      mem.set(addr, a);
    }
    mem.set(payload.length > PAYLOAD_MAX ? payload.subarray(0, PAYLOAD_MAX) : payload, a + AREA_PAYLOAD);
    const daddr = to ? a : 0;
    const dport = to?.port ?? 0;
    const r = id >= 0 ? this.x.udp_sendmsg(id, a + AREA_PAYLOAD, payload.length, daddr, dport, scope) : this.x.udp_sendmsg_sk(sk, a + AREA_PAYLOAD, payload.length, daddr, dport, scope);
    if (r < 0) {
      const name = UDP_SEND_ERRNO[-r] ?? `errno ${-r}`;
      throw new UdpSendError(name, -r, `${who()}: send of ${payload.length} bytes${to ? ` to ${to.address} port ${to.port}` : ' to the connected peer'}: ${name}`);
    }
    return r;
  }

  private areaAddress(): number {
    if (this.area === 0) {
      this.area = this.x.arena_alloc(UDP_SEND_AREA, 64);
      if (this.area === 0) throw new WxdpError('USAGE', 'the UDP send area: no memory');
    }
    return this.area;
  }
}
