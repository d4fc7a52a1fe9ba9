// The kernel side of tests/udp/'s socket comparisons (udp_kernel, udp_fuzz_kernel): a host namespace H
// with the addresses and neighbours of the wxdp fixture (./support.ts LINKS, NEIGH) and a probe P on the
// other end of a veth; udp_kernel.py makes a socket set in H with Python sockets and sends frames from P.
// The wxdp side makes the same set in a SocketTable and takes the same frames; both report, per frame,
// which socket received what, the frames H answered with, and the UDP/TCP/ICMP error counters it moved.
// runKernelCases runs many cases in one udp_kernel.py, each capture ended by an echo's reply rather than a
// sleep (udp_kernel.py says why that is exact): udp_fuzz_kernel's 60 cases went from ~48 s to ~5 s (load 4).

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { useNamespaces, type Netns } from '../support/netns.js';
import { Fixture, stackUnready, eth, hex, inetChecksum, ipv4, ipv6, udp4 } from '../net/support.js';
import { H_MAC, LINKS, NEIGH, R_MAC, be16 } from './support.js';
import { maskOwn } from '../net/kernel.js';
import { ipv4Bytes, ipv6Bytes } from '../../src/control/addresses.js';
import { SOCKET_OPTION, SocketError, type MembershipOp, type SocketOption, type SocketTable } from '../../src/control/sockets.js';
import { UdpSender, UdpSendError } from '../../src/control/udp_send.js';

const SCRIPT = fileURLToPath(new URL('./udp_kernel.py', import.meta.url));
/** ICMP rate limits off on both sides: the kernel's clock runs while sending, wxdp's does not. */
export const SYSCTLS = { 'net.ipv4.icmp_ratelimit': 0, 'net.ipv6.icmp.ratelimit': 0 };

export interface Sock {
  family: 4 | 6;
  reuseaddr?: boolean;
  reuseport?: boolean;
  /** IPPROTO_UDPLITE (RFC 3828) instead of UDP. */
  lite?: boolean;
  v6only?: boolean;
  broadcast?: boolean;
  dev?: 'eth0' | 'lo';
  rcvbuf?: number;
  /** Read only after the last frame (its queue fills meanwhile). */
  hold?: boolean;
  bind?: [string, number];
  connect?: [string, number];
  /** Membership calls after bind and connect (udp_kernel.py's "mc", made from these with mcSockopt). */
  mcOps?: Mc[];
  /** IPV6_MULTICAST_HOPS and IPV6_MULTICAST_LOOP, set after the membership calls. */
  mcHops6?: number;
  mcLoop6?: number;
  /** Other setsockopt calls after those (an int each; errnos compared with the membership calls'). */
  opts?: Array<[SocketOption, number]>;
}
/** Per frame: the frames H sent back, what each socket read ([socket, payload hex | 'error', source | errno name, port]), counters moved. */
export interface FrameResult {
  tx: string[];
  got: Array<[number, string, string, number]>;
  counters: Record<string, number>;
}
/** A datagram socket `[0]` sends (before the frames): to [1]:[2] (null: its connected peer), payload hex [3]. */
export type Send = [number, string | null, number, string];
/** Per send: its errno name ('' when sent), and what FrameResult says of a frame. */
export interface SendResult extends FrameResult {
  err: string;
  /** The sender's local port after the send (an autobind draws it at random). */
  port: number;
}
/** One case of a batch: its sockets, then its sends, then the frames from the probe. */
export interface KernelCase {
  sockets: Sock[];
  frames?: Uint8Array[];
  sends?: Send[];
}
export interface KernelOut {
  calls: Array<[number, number, number]>;
  results: FrameResult[];
  sent: SendResult[];
}

/** The counters compared frame by frame (the L4 ones, and the ICMP errors they answer with). */
const COUNTERS = [
  ...['InDatagrams', 'NoPorts', 'InErrors', 'RcvbufErrors', 'InCsumErrors', 'IgnoredMulti', 'MemErrors'].flatMap((n) => [`Udp:${n}`, `Udp6:${n}`, `UdpLite:${n}`, `UdpLite6:${n}`]),
  'UdpLite:OutDatagrams', 'UdpLite6:OutDatagrams',
  'Tcp:InSegs', 'Tcp:OutSegs', 'Tcp:OutRsts', 'Tcp:InErrs', 'Tcp:InCsumErrors', 'Icmp:InErrors', 'Icmp:OutDestUnreachs', 'Icmp6:InErrors',
  'Icmp6:OutDestUnreachs', 'Udp:OutDatagrams', 'Udp6:OutDatagrams', 'Ip:OutNoRoutes', 'Ip6:OutNoRoutes',
];
export const pick = (c: Record<string, number>): Record<string, number> => Object.fromEntries(COUNTERS.filter((n) => c[n]).map((n) => [n, c[n]!]));

/**
 * The namespaces (prefix `wx-<tag>-`), made on first use and removed after the file; `skip` says why the
 * kernel side cannot run ('' when it can).
 */
export async function udpKernelHost(tag: string): Promise<{
  kernel: () => { h: Netns; p: Netns };
  runKernel: (sockets: Sock[], frames?: Uint8Array[], sends?: Send[]) => KernelOut;
  runKernelCases: (cases: KernelCase[]) => KernelOut[];
  skip: string;
}> {
  const nsa = useNamespaces(tag);
  const unready = await stackUnready();
  const py = spawnSync('/usr/bin/python3', ['-c', 'import socket; socket.SO_REUSEPORT; socket.SO_BINDTODEVICE; socket.IPV6_V6ONLY']).status === 0;
  const skip = !nsa.available.ok ? `namespaces: ${nsa.available.reason ?? 'unavailable'}` : unready !== '' ? unready : !py ? 'python3 with SO_REUSEPORT / SO_BINDTODEVICE / IPV6_V6ONLY is missing' : '';
  let host: { h: Netns; p: Netns } | undefined;
  const kernel = (): { h: Netns; p: Netns } => {
    if (host) return host;
    const h = nsa.set.create();
    const p = nsa.set.create();
    h.sysctl({ 'net.ipv6.conf.all.accept_dad': 0, 'net.ipv6.conf.default.accept_dad': 0, 'net.ipv6.conf.default.router_solicitations': 0, ...SYSCTLS });
    p.sysctl({ 'net.ipv6.conf.default.disable_ipv6': 1 });
    nsa.set.veth({ ns: h, name: 'eth0', mac: R_MAC }, { ns: p, name: 'eth0', mac: H_MAC });
    h.batch([
      'addr add 192.0.2.1/24 brd + dev eth0', 'addr add 198.51.100.1/24 brd + dev eth0', 'addr add 2001:db8:1::1/64 dev eth0 nodad',
      ...NEIGH.map((n) => `neigh replace ${n.addr} lladdr ${n.mac} dev ${n.dev} nud permanent`),
    ].join('\n'));
    host = { h, p };
    return host;
  };
  /** The cases one after the other in one udp_kernel.py (its start and H's setup paid once), each capture ended by an echo's reply. */
  const runKernelCases = (cases: KernelCase[]): KernelOut[] => {
    const { h, p } = kernel();
    // a socket's membership calls as the setsockopt arguments udp_kernel.py makes ("mc"; ifindex: H's eth0)
    const ifindex = cases.some((c) => c.sockets.some((s) => s.mcOps?.length)) ? Number(h.exec(['cat', '/sys/class/net/eth0/ifindex']).trim()) : 0;
    const int = (name: number, v: number | undefined): Array<[number, number, string]> => (v === undefined ? [] : [[41, name, Buffer.from(le32(v)).toString('hex')]]);
    const spec = (s: Sock): Sock & { mc?: Array<[number, number, string]> } =>
      (s.mcOps?.length || s.mcHops6 !== undefined || s.mcLoop6 !== undefined || s.opts?.length
        ? { ...s, mc: [...(s.mcOps ?? []).map((o) => mcSockopt(o, ifindex)), ...int(18, s.mcHops6), ...int(19, s.mcLoop6), ...(s.opts ?? []).map(optSockopt)] }
        : s);
    const arg = JSON.stringify({ probe: p.name, ifname: 'eth0', echo: true, hmac: R_MAC, cases: cases.map((c) => ({ sockets: c.sockets.map(spec), frames: (c.frames ?? []).map(hex), sends: c.sends ?? [] })) });
    const r = h.spawn(['/usr/bin/python3', SCRIPT], { input: arg, timeoutMs: 300_000 });
    if (r.status !== 0) throw new Error(`udp_kernel.py: ${r.stderr}`);
    return JSON.parse(r.stdout) as KernelOut[];
  };
  const runKernel = (sockets: Sock[], frames: Uint8Array[] = [], sends: Send[] = []): KernelOut => runKernelCases([{ sockets, frames, sends }])[0]!;
  return { kernel, runKernel, runKernelCases, skip };
}

/** wxdp's host: the fixture's link and neighbours, ICMP rate limits off, loopback up (as the namespace's: 127.0.0.1/8, ::1). */
export async function udpFixture(): Promise<Fixture> {
  const fx = await Fixture.create(LINKS, [], NEIGH, { sysctls: SYSCTLS });
  fx.ip('link set lo up');
  return fx;
}

/** The errno a SocketTable call `f` fails with (its SocketError's), 0 when it succeeds. */
export function socketErrno(f: () => void): number {
  try {
    f();
    return 0;
  } catch (e) {
    if (e instanceof SocketError) return e.errnoValue;
    throw e;
  }
}

/** The same sockets in wxdp: [bind errno, connect errno, local port] per socket, as the kernel's. */
export function makeWxdp(t: SocketTable, fx: Fixture, sockets: Sock[]): { ids: number[]; calls: Array<[number, number, number]>; mcErrs: number[][] } {
  const ids: number[] = [];
  const calls: Array<[number, number, number]> = [];
  const mcErrs: number[][] = [];
  const eth0 = fx.devs.get('eth0')!.ifindex;
  for (const s of sockets) {
    const id = t.create({ family: s.family === 6 ? 'inet6' : 'inet', ...(s.lite ? { protocol: 'udplite' as const } : {}), reuseAddr: s.reuseaddr, reusePort: s.reuseport, ipv6Only: s.v6only });
    if (s.dev) t.setOption(id, 'SO_BINDTODEVICE', s.dev === 'lo' ? 1 : fx.devs.get('eth0')!.ifindex);
    if (s.rcvbuf !== undefined) t.setOption(id, 'SO_RCVBUF', s.rcvbuf);
    if (s.broadcast) t.setOption(id, 'SO_BROADCAST', 1);
    const be = s.bind ? socketErrno(() => t.bind(id, s.bind![0], s.bind![1])) : 0;
    const ce = s.connect ? socketErrno(() => t.connect(id, s.connect![0], s.connect![1])) : 0;
    mcErrs.push((s.mcOps ?? []).map(([op, group, source, iface]) => socketErrno(() => {
      if (op === 'all-off') t.setOption(id, group?.includes(':') ? 'IPV6_MULTICAST_ALL' : 'IP_MULTICAST_ALL', 0);
      else t.membership(id, op, group!, { source, iface: iface === 'eth0' ? eth0 : iface });
    })));
    if (s.mcHops6 !== undefined) t.setOption(id, 'IPV6_MULTICAST_HOPS', s.mcHops6);
    if (s.mcLoop6 !== undefined) t.setOption(id, 'IPV6_MULTICAST_LOOP', s.mcLoop6);
    mcErrs[mcErrs.length - 1]!.push(...(s.opts ?? []).map(([name, v]) => socketErrno(() => t.setOption(id, name, v))));
    ids.push(id);
    calls.push([be, ce, t.address(id).port]);
  }
  // the IGMP / MLD reports the joins sent (udp_kernel.py's noise(): the kernel's are never compared)
  if (sockets.some((s) => s.mcOps?.length)) fx.tx();
  return { ids, calls, mcErrs };
}

/** One frame into wxdp's eth0, read back as udp_kernel.py reports the kernel's (a pending error first, as sock_error). */
export function wxdpFrame(fx: Fixture, t: SocketTable, ids: number[], frame: Uint8Array, read: (j: number) => boolean = () => true): FrameResult & { out: Uint8Array[] } {
  return observe(fx, t, ids, () => fx.rx('eth0', frame).get('eth0') ?? [], read);
}

/** One send from wxdp's socket `ids[i]`, observed as udp_kernel.py reports the kernel's. */
export function wxdpSend(fx: Fixture, t: SocketTable, ids: number[], [i, addr, port, payload]: Send): SendResult {
  let err = '';
  const r = observe(fx, t, ids, () => {
    try {
      new UdpSender(fx.dp).send(ids[i]!, Uint8Array.from(Buffer.from(payload, 'hex')), addr === null ? undefined : { address: addr, port });
    } catch (e) {
      if (!(e instanceof UdpSendError)) throw e;
      err = e.errno;
    }
    return fx.tx().get('eth0') ?? [];
  });
  return { ...r, err, port: t.address(ids[i]!).port };
}

function observe(fx: Fixture, t: SocketTable, ids: number[], act: () => Uint8Array[], read: (j: number) => boolean = () => true): FrameResult & { out: Uint8Array[] } {
  const before = fx.mib();
  const out = act();
  const got: Array<[number, string, string, number]> = [];
  ids.forEach((id, j) => {
    if (!read(j)) return;
    const err = t.takeError(id);
    if (err) got.push([j, 'error', err, 0]);
    for (let d = t.recv(id); d; d = t.recv(id)) got.push([j, hex(d.data), d.address, d.port]);
  });
  const after = fx.mib();
  const counters = Object.fromEntries(Object.keys(after).filter((n) => after[n] !== before[n]).map((n) => [n, after[n]! - (before[n] ?? 0)]));
  return { tx: out.map((f) => hex(mask(f))), got, counters, out };
}

// ---- frames from the probe (192.0.2.2, 2001:db8:1::2) to H ----
export const payload = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);
export const e4 = (p: Uint8Array): Uint8Array => eth({ dst: R_MAC, src: H_MAC, type: 0x0800 }, p);
export const e6 = (p: Uint8Array): Uint8Array => eth({ dst: R_MAC, src: H_MAC, type: 0x86dd }, p);
export const u4 = (dst: string, dport: number, sport = 40000, seed = dport, src = '192.0.2.2'): Uint8Array =>
  e4(ipv4({ src, dst, proto: 17, id: 0x1000 + (seed & 0xfff) }, udp4(src, dst, sport, dport, payload(12, seed))));
export function u6(dst: string, dport: number, sport = 40000, seed = dport, check?: number): Uint8Array {
  const src = '2001:db8:1::2';
  const data = payload(12, seed);
  const u = Uint8Array.from([...be16(sport), ...be16(dport), ...be16(8 + data.length), 0, 0, ...data]);
  const ph = Uint8Array.from([...ipv6Bytes(src), ...ipv6Bytes(dst), 0, 0, ...be16(u.length), 0, 0, 0, 17]);
  const c = check ?? (inetChecksum(ph, u) || 0xffff);
  u[6] = c >> 8;
  u[7] = c & 0xff;
  return e6(ipv6({ src, dst, nh: 17 }, u));
}

export const isTcp6 = (f: Uint8Array): boolean => f[12] === 0x86 && f[13] === 0xdd && f[20] === 6;
/**
 * maskOwn (what the kernel randomises), and the TCP checksum of an IPv6 reset: tcp_v6_send_response
 * leaves it to offload (CHECKSUM_PARTIAL), so the frame read off the veth holds the pseudo-header sum.
 */
export function mask(f: Uint8Array): Uint8Array {
  const c = maskOwn(f);
  if (isTcp6(c)) c[54 + 16] = c[54 + 17] = 0;
  return c;
}
/** An IPv6 TCP segment's checksum verifies (RFC 9293 3.1). */
export function tcp6Verifies(f: Uint8Array): boolean {
  const t = f.subarray(54);
  return inetChecksum(f.subarray(22, 38), f.subarray(38, 54), Uint8Array.from([0, 0, 0, t.length, 0, 0, 0, 6]), t) === 0;
}

/** A membership or option call: op, group, source, interface ('eth0': by ifindex; an IPv4 address: ip_mreq's). */
export type Mc = [op: MembershipOp | 'all-off', group?: string, source?: string, iface?: string];
const le32 = (v: number): number[] => [v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >>> 24) & 255];
/** sockaddr_in6 in a sockaddr_storage (128 bytes): AF_INET6 10, port 0, flow 0, the address, scope 0. */
const storage6 = (a: string): number[] => [10, 0, 0, 0, 0, 0, 0, 0, ...ipv6Bytes(a), 0, 0, 0, 0, ...new Array<number>(100).fill(0)];

/** The setsockopt (level, optname, value) of an int option: SOCKET_OPTION's code holds the level (SOL_SOCKET 1, SOL_IP 0, SOL_IPV6 41) over the name. */
export function optSockopt([name, v]: [SocketOption, number]): [number, number, string] {
  const code = SOCKET_OPTION[name];
  return [code >> 8, code & 0xff, Buffer.from(le32(v)).toString('hex')];
}

/** The setsockopt (level, optname, value) of a membership call, as the kernel takes it (ifindex: H's eth0). */
export function mcSockopt([op, group, source, iface]: Mc, ifindex: number): [number, number, string] {
  const h = (b: number[]): string => Buffer.from(b).toString('hex');
  if (op === 'all-off') return group?.includes(':') ? [41, 29, h(le32(0))] : [0, 49, h(le32(0))];
  const g = group!;
  if (g.includes(':')) {
    const idx = iface === 'eth0' ? ifindex : 0;
    if (op === 'join' || op === 'leave') return [41, op === 'join' ? 20 : 21, h([...ipv6Bytes(g), ...le32(idx)])];
    // group_source_req: gsr_interface, 4 bytes of padding, two sockaddr_storage
    const name = { joinSource: 46, leaveSource: 47, block: 43, unblock: 44 }[op];
    return [41, name, h([...le32(idx), 0, 0, 0, 0, ...storage6(g), ...storage6(source!)])];
  }
  const ifa = iface && iface !== 'eth0' ? [...ipv4Bytes(iface)] : [0, 0, 0, 0];
  if (op === 'join' || op === 'leave') {
    const name = op === 'join' ? 35 : 36;
    // ip_mreqn when an ifindex is named, else ip_mreq
    return iface === 'eth0' ? [0, name, h([...ipv4Bytes(g), 0, 0, 0, 0, ...le32(ifindex)])] : [0, name, h([...ipv4Bytes(g), ...ifa])];
  }
  const name = { joinSource: 39, leaveSource: 40, block: 38, unblock: 37 }[op];
  return [0, name, h([...ipv4Bytes(g), ...ifa, ...ipv4Bytes(source!)])];
}
