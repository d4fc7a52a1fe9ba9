// Shared by the socket-program tests: sockets laid out by hand in the SK_* record (src/runtime/net_abi.ts)
// until the socket tables (sock.ts) make them, and calls of the lookup's two programmable steps
// (skLookupRun, skReuseportRun) the way the socket lookup makes them.

import { ipv4Bytes, ipv6Bytes } from '../../src/control/addresses.js';
import { Datapath } from '../../src/control/datapath.js';
import { SK, SK_SIZE, SKF } from '../../src/runtime/net_abi.js';

export const AF_INET = 2;
export const AF_INET6 = 10;
export const IPPROTO_UDP = 17;
export const IPPROTO_UDPLITE = 136;
export const TCP_CLOSE = 7;
export const TCP_ESTABLISHED = 1;
export const SK_LOOKUP_DROP = 0xffffffff;

export interface SockSpec {
  family?: number;
  protocol?: number;
  /** Bound address ('' or omitted: any). */
  addr?: string;
  port: number;
  state?: number;
  flags?: number;
  /** Reuseport group (any non-zero number stands for a group here). */
  group?: number;
  cookie?: bigint;
  peer?: string;
  peerPort?: number;
  mark?: number;
  boundDevIf?: number;
}

interface Exports {
  arena_alloc(size: number, align: number): number;
  sk_prog_test_sockets(base: number, count: number): void;
  skLookupRun(family: number, protocol: number, saddr: number, sport: number, daddr: number, dport: number, ifindex: number): number;
  skLookupNoReuseport(): number;
  skReuseportRun(group: number, data: number, len: number, hash: number): number;
  scratch_base(): number;
}

export function addrBytes(a: string): Uint8Array {
  const out = new Uint8Array(16);
  if (a === '') return out;
  out.set(a.includes(':') ? ipv6Bytes(a) : ipv4Bytes(a));
  return out;
}

/** Sockets 1..n with the given specs, in records of the arena (the interim stand-in for sock.ts). */
export class TestSockets {
  readonly base: number;
  private readonly x: Exports;
  private readonly buf: number;

  constructor(
    readonly dp: Datapath,
    specs: SockSpec[],
  ) {
    dp.stack;
    this.x = dp.fastPath.exports as unknown as Exports;
    this.base = this.x.arena_alloc(specs.length * SK_SIZE, 8) >>> 0;
    this.buf = this.x.arena_alloc(4096, 8) >>> 0;
    const v = dp.memory.view();
    const b = dp.memory.bytes();
    specs.forEach((s, i) => {
      const r = this.base + i * SK_SIZE;
      b.fill(0, r, r + SK_SIZE);
      v.setUint32(r + SK.ID, i + 1, true);
      v.setUint8(r + SK.STATE, s.state ?? TCP_CLOSE);
      v.setUint8(r + SK.FAMILY, s.family ?? AF_INET);
      v.setUint8(r + SK.PROTOCOL, s.protocol ?? IPPROTO_UDP);
      v.setUint8(r + SK.FLAGS, s.flags ?? 0);
      v.setUint16(r + SK.NUM, s.port, true);
      v.setUint16(r + SK.DPORT, s.peerPort ?? 0, true);
      v.setUint32(r + SK.BOUND_DEV_IF, s.boundDevIf ?? 0, true);
      b.set(addrBytes(s.addr ?? ''), r + SK.RCV_SADDR);
      b.set(addrBytes(s.peer ?? ''), r + SK.DADDR);
      v.setUint32(r + SK.MARK, s.mark ?? 0, true);
      v.setBigUint64(r + SK.COOKIE, s.cookie ?? BigInt(0x1000 + i + 1), true);
      v.setUint32(r + SK.REUSEPORT_GROUP, s.group ?? 0, true);
    });
    this.x.sk_prog_test_sockets(this.base, specs.length);
  }

  record(id: number): number {
    return this.base + (id - 1) * SK_SIZE;
  }

  /** The id of the socket a record address names; 0 for none, 'drop' for SK_LOOKUP_DROP. */
  idOf(rec: number): number | 'drop' {
    if (rec >>> 0 === SK_LOOKUP_DROP) return 'drop';
    if (rec === 0) return 0;
    return (rec - this.base) / SK_SIZE + 1;
  }

  close(id: number): void {
    const v = this.dp.memory.view();
    v.setUint8(this.record(id) + SK.FLAGS, v.getUint8(this.record(id) + SK.FLAGS) | SKF.DEAD);
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
