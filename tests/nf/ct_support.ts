// Shared by the conntrack / NAT tests: a router between an inside link (eth0, 192.0.2.0/24) and an outside
// one (eth1, 198.51.100.0/24, 203.0.113.0/24 behind its gateway), TCP segments with their checksums, and
// `conntrack -L` lines parsed into comparable records.

import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { concat, eth, hex, inetChecksum, ipv4, type Fixture, type LinkCfg, type NeighCfg, type RouteCfg } from '../net/support.js';
import { ipv6Bytes } from '../../src/control/addresses.js';
import { KernelRouter } from '../net/kernel.js';
import { completePartial } from '../support/checksum_partial.js';

export const M0 = '02:00:00:00:01:00'; // router eth0 (inside)
export const M1 = '02:00:00:00:01:01'; // router eth1 (outside)
export const H0 = '02:00:00:00:02:00'; // the inside host
export const H1 = '02:00:00:00:02:01'; // the outside gateway
export const LINKS: LinkCfg[] = [
  { name: 'eth0', mac: M0, forwarding: true, v4: ['192.0.2.1/24'] },
  { name: 'eth1', mac: M1, forwarding: true, v4: ['198.51.100.1/24'] },
];
export const ROUTES: RouteCfg[] = [{ dst: '203.0.113.0/24', via: '198.51.100.2', dev: 'eth1' }];
export const NEIGH: NeighCfg[] = [
  { dev: 'eth0', addr: '192.0.2.2', mac: H0 },
  { dev: 'eth1', addr: '198.51.100.2', mac: H1 },
];
/** The IPv6 router: eth0 inside (2001:db8:1::/64, host ::2), eth1 outside (2001:db8:2::/64, gateway ::2 to 2001:db8:3::/48). */
export const LINKS6: LinkCfg[] = [
  { name: 'eth0', mac: M0, forwarding: true, v6: ['2001:db8:1::1/64'] },
  { name: 'eth1', mac: M1, forwarding: true, v6: ['2001:db8:2::1/64'] },
];
export const ROUTES6: RouteCfg[] = [{ dst: '2001:db8:3::/48', via: '2001:db8:2::2', dev: 'eth1' }];
export const NEIGH6: NeighCfg[] = [
  { dev: 'eth0', addr: '2001:db8:1::2', mac: H0 },
  { dev: 'eth1', addr: '2001:db8:2::2', mac: H1 },
];

const be16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];
const be32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const ip4 = (s: string): number[] => s.split('.').map(Number);

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

export interface TcpOpts {
  seq: number;
  ack?: number;
  flags: number;
  win?: number;
  options?: number[];
  data?: Uint8Array;
}

/** A TCP segment (RFC 9293 header, options padded to 4 bytes) with its checksum over the IPv4 pseudo-header. */
export function tcp4(src: string, dst: string, sport: number, dport: number, o: TcpOpts): Uint8Array {
  const opts = [...(o.options ?? [])];
  while (opts.length % 4) opts.push(0);
  const doff = (20 + opts.length) / 4;
  const h = Uint8Array.from([
    ...be16(sport), ...be16(dport), ...be32(o.seq), ...be32(o.ack ?? 0), doff << 4, o.flags, ...be16(o.win ?? 64240), 0, 0, 0, 0, ...opts,
  ]);
  const seg = concat(h, o.data ?? new Uint8Array(0));
  const ph = Uint8Array.from([...ip4(src), ...ip4(dst), 0, 6, ...be16(seg.length)]);
  const c = inetChecksum(ph, seg);
  seg[16] = c >> 8;
  seg[17] = c & 0xff;
  return seg;
}

/** MSS 1460, SACK permitted, window scale 7 (as a Linux SYN carries them, timestamps left out). */
export const SYN_OPTS = [2, 4, 0x05, 0xb4, 4, 2, 1, 3, 3, 7];

/** A TCP segment in a frame from the inside host to the router (inside) or the outside gateway to the router. */
export function tcpFrame(side: 'in' | 'out', src: string, dst: string, sport: number, dport: number, o: TcpOpts): Uint8Array {
  const [d, s] = side === 'in' ? [M0, H0] : [M1, H1];
  return eth({ dst: d, src: s, type: 0x0800 }, ipv4({ src, dst, proto: 6, id: 0x4000 + (o.seq & 0xfff) }, tcp4(src, dst, sport, dport, o)));
}

/**
 * A connection from 192.0.2.2 port `p` to 203.0.113.5:80 through the router: the handshake, 100 bytes from the server
 * acknowledged by the client (td_maxack 5101, the client's window 502 << 7), then the server's RST at sequence `rst`.
 */
export function rstAfterData(p: number, rst: number): Array<[string, Uint8Array]> {
  const C = '192.0.2.2';
  const S = '203.0.113.5';
  return [
    ['eth0', tcpFrame('in', C, S, p, 80, { seq: 1000, flags: SYN, options: SYN_OPTS })],
    ['eth1', tcpFrame('out', S, C, 80, p, { seq: 5000, ack: 1001, flags: SYN | ACK, win: 65160, options: SYN_OPTS })],
    ['eth0', tcpFrame('in', C, S, p, 80, { seq: 1001, ack: 5001, flags: ACK, win: 502 })],
    ['eth1', tcpFrame('out', S, C, 80, p, { seq: 5001, ack: 1001, flags: PSH | ACK, win: 509, data: new Uint8Array(100).fill(7) })],
    ['eth0', tcpFrame('in', C, S, p, 80, { seq: 1001, ack: 5101, flags: ACK, win: 502 })],
    ['eth1', tcpFrame('out', S, C, 80, p, { seq: rst, ack: 0, flags: RST, win: 0 })],
  ];
}

/** What a step sent out of the router's eth0 and eth1, as `DEV HEX` in order. */
export const sentOf = (tx: Map<string, Uint8Array[]>): string[] => ['eth0', 'eth1'].flatMap((d) => (tx.get(d) ?? []).map((f) => `${d} ${hex(f)}`));
/** What one frame made the router send, each as `DEV HEX`; the kernel's CHECKSUM_PARTIAL completed as a device would. */
export const sentCompleted = (tx: Map<string, Uint8Array[]>, kernel: boolean): string[] =>
  ['eth0', 'eth1'].flatMap((d) => (tx.get(d) ?? []).map((f) => `${d} ${hex(kernel ? completePartial(f) : f)}`));

/** The dual-stack router: both families' links, routes (IPv6 forwarding on) and neighbours. */
export const TOPO_DUAL = {
  links: LINKS.map((l, i) => ({ ...l, v6: LINKS6[i]!.v6 })),
  routes: [...ROUTES, ...ROUTES6],
  neigh: [...NEIGH, ...NEIGH6],
  sysctls: { 'net.ipv6.conf.all.forwarding': 1 },
};

/** A `conntrack -L` line as a record: the fields compared, the timeout apart. */
export interface CtLine {
  proto: string;
  timeout: number;
  rest: string;
}

export function parseConntrackL(text: string): CtLine[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^[a-z0-9]+\s+\d+\s+\d+\s/.test(l))
    .map((l) => {
      const m = /^(\S+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(l)!;
      return { proto: `${m[1]} ${m[2]}`, timeout: Number(m[3]), rest: m[4]!.replace(/\s+/g, ' ') };
    })
    .sort((a, b) => (a.rest < b.rest ? -1 : a.rest > b.rest ? 1 : 0));
}

/** An L4 segment (TCP or UDP, `proto`) over IPv6 with its checksum (RFC 8200 8.1 pseudo-header). */
export function l4over6(src: string, dst: string, proto: 6 | 17, seg: Uint8Array): Uint8Array {
  const s = Uint8Array.from(seg);
  const at = proto === 6 ? 16 : 6;
  s[at] = s[at + 1] = 0;
  const ph = Uint8Array.from([...ipv6Bytes(src), ...ipv6Bytes(dst), ...be32(s.length), 0, 0, 0, proto]);
  const c = inetChecksum(ph, s) || (proto === 17 ? 0xffff : 0);
  s[at] = c >> 8;
  s[at + 1] = c & 0xff;
  return s;
}

/** A UDP datagram's bytes (checksum left for l4over6). */
export function udpBytes(sport: number, dport: number, data: Uint8Array): Uint8Array {
  return concat(Uint8Array.from([...be16(sport), ...be16(dport), ...be16(8 + data.length), 0, 0]), data);
}

/**
 * flow_offload_refresh: a flow has one timeout, which a hit of either direction moves when `timeout -
 * flow->timeout > HZ`. Offloaded at 0 (timeout 30 s, the UDP flowtable timeout) just before this; the
 * original direction's hit (`original`) at 5 s moves it to 35 s; the reply's (`reply`) at 5.9 s would
 * move it to 35.9 s, 0.9 s later: not written. So the flow is listed at 34.5 s and gone at 35.5 s
 * (nf_flow_has_expired: timeout - now <= 0).
 */
export function expectOneFlowTimeout(fx: Fixture, original: () => void, reply: () => void): void {
  const hits = (): number => fx.mib()['nf_flowtable:hit'] ?? 0;
  const h = hits();
  fx.advance(5_000);
  original();
  fx.advance(900);
  reply();
  expect(hits() - h).toBe(2);
  fx.advance(28_600);
  expect(fx.dp.flowtable.list().length).toBe(1);
  fx.advance(1_000);
  expect(fx.dp.flowtable.list()).toEqual([]);
}

/**
 * The kernel's side of a sysctl's before and after: a router of namespaces (made and removed here) with `ruleset`
 * loaded takes `before`, then `after` with `key` set to 1; the frames it sent for each (sentOf), then its
 * `nft list ruleset` and `conntrack -L`.
 */
export function kernelBeforeAfter(tag: string, ruleset: string, key: string, before: Array<[string, Uint8Array]>, after: Array<[string, Uint8Array]>): { sent: string[][]; list: string; ct: string } {
  const k = KernelRouter.create(LINKS, ROUTES, NEIGH, {}, tag);
  try {
    const r = spawnSync('ip', ['netns', 'exec', k.router, 'nft', '-f', '-'], { input: ruleset, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nft -f: ${r.stderr}`);
    const sent = k.send(before).map((x) => sentOf(x.tx));
    const s = spawnSync('ip', ['netns', 'exec', k.router, 'sysctl', '-qw', `${key}=1`], { encoding: 'utf8' });
    if (s.status !== 0) throw new Error(`sysctl: ${s.stderr}`);
    sent.push(...k.send(after).map((x) => sentOf(x.tx)));
    const list = spawnSync('ip', ['netns', 'exec', k.router, 'nft', 'list', 'ruleset'], { encoding: 'utf8' }).stdout;
    const ct = spawnSync('ip', ['netns', 'exec', k.router, 'conntrack', '-L'], { encoding: 'utf8' }).stdout;
    return { sent, list, ct };
  } finally {
    k.close();
  }
}
