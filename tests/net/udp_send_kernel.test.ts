// UDP send against the kernel. In a namespace this test creates (wx-udptx-…), a veth k0 gets the addresses,
// routes and permanent neighbours below through `ip -batch`; wxdp gets the same lines through dp.ip. A
// Python socket in the namespace sends each datagram (tests/net/udp_send_kernel.py: sizes around the MTU,
// with and without DF, IPv4 and IPv6, on-link and through the gateway, the socket options that shape a
// header) and the frames k0 sends are captured with AF_PACKET (transmit checksum offload off, so the
// checksum is the one on the wire; a case ends when a marker frame sent after it reaches p0, the veth's far
// end in a second namespace: udp_send_kernel.py says why that is exact). wxdp's udp_sendmsg sends the same
// datagram from a socket made with the same options (sock.ts's exports); its frames on k0 must be the
// kernel's byte for byte, or both give the same errno.
//
// The SNMP counters the send path moves (Udp*/UdpLite*: OutDatagrams, SndbufErrors; Ip, Ip6: OutRequests,
// OutNoRoutes, FragOKs, FragCreates, FragFails; Ip: InReceives, InDelivers, ReasmReqds for the copy of a
// broadcast that goes up to the sender's host) move alike over the whole table.
//
// Masked, because the kernel draws them from a secret (and nothing else is):
//   - the IPv4 ID and so the header checksum, except where the kernel writes ID 0 by rule (DF from an
//     unconnected socket that does not ignore DF, i.e. IP_PMTUDISC_DO or _PROBE: ip_select_ident_segs), where
//     they are compared too. Elsewhere the ID is drawn (__ip_select_ident, or inet_id from connect), and a drawn
//     ID is 0 once in 65,536: the frame's value cannot tell which rule wrote it, the case can;
//   - the IPv6 flow label (auto flow labels hash the flow with a secret);
//   - the identification of an IPv6 Fragment header (ipv6_select_ident).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { useNamespaces, type Netns } from '../support/netns.js';
import { pythonAvailability } from '../support/afpacket.js';
import { Fixture, stackUnready, hex, ipBatchAfterSysctls } from './support.js';
import { H_MAC, recvFrom, S_MAC, senderConfig, sockClose, SPORT, udpSocket, type SockOpts } from './udp_send_support.js';
import { ipv4Text, ipv6Bytes, ipv6Text } from '../../src/control/addresses.js';
import { kernelMib } from './kernel.js';
import { UdpSender, UdpSendError } from '../../src/control/udp_send.js';
import { AF_INET, AF_INET6 } from '../../src/runtime/net_abi.js';

const SCRIPT = fileURLToPath(new URL('./udp_send_kernel.py', import.meta.url));
const { links: LINKS, routes: ROUTES, neigh: NEIGH0 } = senderConfig('k0', [
  { dst: '203.0.113.0/26', dev: 'k0', via: '192.0.2.254', mtu: 1006 },
  { dst: '203.0.113.64/26', dev: 'k0', type: 'prohibit' },
  { dst: '203.0.113.128/26', dev: 'k0', type: 'unreachable' },
  { dst: '203.0.113.192/26', dev: 'k0', type: 'blackhole' },
  { dst: '2001:db8:2::/64', dev: 'k0', via: '2001:db8:1::fe', mtu: 1300 },
  // preferred sources: a second address of the link for these prefixes
  { dst: '198.51.100.128/25', dev: 'k0', via: '192.0.2.254', src: '192.0.2.10' },
  { dst: '2001:db8:3::/64', dev: 'k0', via: '2001:db8:1::fe', src: '2001:db8:1::10' },
]);
LINKS[0]!.v4!.push('192.0.2.10/24');
LINKS[0]!.v6!.push('2001:db8:1::10/64', '2001:db8:5::1/64');
const NEIGH = [...NEIGH0, { dev: 'k0', addr: 'fe80::2', mac: H_MAC }, { dev: 'k0', addr: '2001:db8:5::9', mac: H_MAC }];

interface Case {
  what: string;
  family: 4 | 6;
  proto?: 17 | 136;
  dst: string;
  port?: number;
  size: number;
  opts?: {
    pmtudisc?: number; dontfrag?: 1; ttl?: number; tos?: number; broadcast?: 1; nocheck?: 1; cscov?: number; v6only?: 1;
    bindaddr?: string; bindtodevice?: string; connect?: 1; mcttl?: number; mcloop?: 0 | 1; mcif?: string;
  };
  /** The case's frames include ARP (a neighbour to resolve); other cases leave out the kernel's own ARP probes. */
  arp?: true;
  /** A socket bound here first: what it receives (data, source address and port) is compared too. */
  listen?: { addr: string; port: number; join?: string; joinif?: string };
}

const CASES: Case[] = [
  { what: 'IPv4 on-link, 100 bytes', family: 4, dst: '192.0.2.2', size: 100 },
  { what: 'IPv4 through the gateway, exactly the MTU (1472)', family: 4, dst: '198.51.100.7', size: 1472 },
  { what: 'IPv4 through the gateway, one byte over (2 fragments)', family: 4, dst: '198.51.100.7', size: 1473 },
  { what: 'IPv4 on-link, 3000 bytes (3 fragments)', family: 4, dst: '192.0.2.2', size: 3000 },
  { what: 'IPv4 IP_PMTUDISC_DO at the MTU (ID 0)', family: 4, dst: '192.0.2.2', size: 1472, opts: { pmtudisc: 2 } },
  { what: 'IPv4 IP_PMTUDISC_DO one byte over', family: 4, dst: '192.0.2.2', size: 1473, opts: { pmtudisc: 2 } },
  { what: 'IPv4 IP_PMTUDISC_DONT (no DF)', family: 4, dst: '192.0.2.2', size: 200, opts: { pmtudisc: 0 } },
  { what: 'IPv4 IP_PMTUDISC_PROBE (DF, ID 0)', family: 4, dst: '192.0.2.2', size: 200, opts: { pmtudisc: 3 } },
  { what: 'IPv4 IP_PMTUDISC_INTERFACE (no DF)', family: 4, dst: '192.0.2.2', size: 200, opts: { pmtudisc: 4 } },
  { what: 'IPv4 IP_PMTUDISC_OMIT (no DF)', family: 4, dst: '192.0.2.2', size: 200, opts: { pmtudisc: 5 } },
  { what: 'IPv4 route mtu 1006, 2000 bytes', family: 4, dst: '203.0.113.9', size: 2000 },
  { what: 'IPv4 TTL 9, TOS 0x28', family: 4, dst: '198.51.100.7', port: 53, size: 20, opts: { ttl: 9, tos: 0x28 } },
  { what: 'IPv4 SO_NO_CHECK', family: 4, dst: '192.0.2.2', size: 30, opts: { nocheck: 1 } },
  { what: 'IPv4 the largest datagram (65,507)', family: 4, dst: '192.0.2.2', size: 65507 },
  { what: 'IPv4 65,508 bytes', family: 4, dst: '192.0.2.2', size: 65508 },
  { what: 'IPv4 subnet broadcast without SO_BROADCAST', family: 4, dst: '192.0.2.255', size: 4 },
  { what: 'IPv4 subnet broadcast with SO_BROADCAST', family: 4, dst: '192.0.2.255', size: 4, opts: { broadcast: 1 } },
  { what: 'IPv4 limited broadcast without SO_BROADCAST', family: 4, dst: '255.255.255.255', size: 4 },
  { what: 'IPv4 limited broadcast with SO_BROADCAST', family: 4, dst: '255.255.255.255', size: 4, opts: { broadcast: 1 } },
  { what: 'IPv4 multicast (TTL 1, the group MAC, no gateway)', family: 4, dst: '224.1.2.3', size: 16 },
  { what: 'IPv4 to a prohibit route', family: 4, dst: '203.0.113.65', size: 4 },
  { what: 'IPv4 to an unreachable route', family: 4, dst: '203.0.113.129', size: 4 },
  { what: 'IPv4 to a blackhole route', family: 4, dst: '203.0.113.193', size: 4 },
  { what: 'IPv4 port 0', family: 4, dst: '192.0.2.2', port: 0, size: 4 },
  { what: 'UDP-Lite, coverage 20', family: 4, proto: 136, dst: '192.0.2.2', size: 40, opts: { cscov: 20 } },
  { what: 'UDP-Lite, full coverage', family: 4, proto: 136, dst: '192.0.2.2', size: 40 },
  { what: 'UDP-Lite, coverage set to 0 (the length field says 0: all)', family: 4, proto: 136, dst: '192.0.2.2', size: 40, opts: { cscov: 0 } },
  { what: 'UDP-Lite, coverage 3 (taken as 8)', family: 4, proto: 136, dst: '192.0.2.2', size: 40, opts: { cscov: 3 } },
  { what: 'UDP-Lite, coverage over the length (all)', family: 4, proto: 136, dst: '192.0.2.2', size: 40, opts: { cscov: 100 } },
  { what: 'IPv6 on-link, 100 bytes', family: 6, dst: '2001:db8:1::2', size: 100 },
  { what: 'IPv6 through the gateway, exactly the MTU (1452)', family: 6, dst: '2001:db8:9::9', size: 1452 },
  { what: 'IPv6 through the gateway, one byte over', family: 6, dst: '2001:db8:9::9', size: 1453 },
  { what: 'IPv6 on-link, 3000 bytes', family: 6, dst: '2001:db8:1::2', size: 3000 },
  { what: 'IPv6 route mtu 1300, 2000 bytes', family: 6, dst: '2001:db8:2::5', size: 2000 },
  { what: 'IPv6 IPV6_DONTFRAG one byte over', family: 6, dst: '2001:db8:1::2', size: 1453, opts: { dontfrag: 1 } },
  { what: 'IPv6 IPV6_PMTUDISC_DO one byte over', family: 6, dst: '2001:db8:1::2', size: 1453, opts: { pmtudisc: 2 } },
  { what: 'IPv6 hop limit 3, traffic class 0xb8', family: 6, dst: '2001:db8:1::2', size: 5, opts: { ttl: 3, tos: 0xb8 } },
  { what: 'IPv6 65,528 bytes', family: 6, dst: '2001:db8:1::2', size: 65528 },
  { what: 'IPv6 socket to an IPv4-mapped address', family: 6, dst: '::ffff:192.0.2.2', size: 12 },
  { what: 'IPv6-only socket to an IPv4-mapped address', family: 6, dst: '::ffff:192.0.2.2', size: 12, opts: { v6only: 1 } },
  { what: 'UDP-Lite over IPv6, coverage 8', family: 6, proto: 136, dst: '2001:db8:1::2', size: 40, opts: { cscov: 8 } },
  { what: 'IPv4 connected socket, send()', family: 4, dst: '192.0.2.2', size: 64, opts: { connect: 1 } },
  { what: 'IPv4 connected through the gateway, 3000 bytes', family: 4, dst: '198.51.100.7', size: 3000, opts: { connect: 1 } },
  { what: 'IPv4 bound to the address', family: 4, dst: '198.51.100.7', size: 10, opts: { bindaddr: '192.0.2.1' } },
  { what: 'IPv4 SO_BINDTODEVICE, no route through it but the default', family: 4, dst: '198.51.100.7', size: 10, opts: { bindtodevice: 'k0' } },
  { what: 'IPv6 connected socket through the gateway', family: 6, dst: '2001:db8:9::9', size: 64, opts: { connect: 1 } },
  { what: 'IPv6 link-local destination on the bound device (source: the link-local address)', family: 6, dst: 'fe80::2', size: 10, opts: { bindtodevice: 'k0' } },
  { what: 'IPv6 dual-stack socket bound to ::ffff:192.0.2.1 to an IPv4 peer', family: 6, dst: '::ffff:198.51.100.7', size: 10, opts: { bindaddr: '::ffff:192.0.2.1' } },
  { what: 'IPv4 multicast with IP_MULTICAST_TTL 33', family: 4, dst: '239.1.2.3', size: 16, opts: { mcttl: 33 } },
  { what: 'IPv4 multicast with IP_TTL 5 (not the multicast TTL)', family: 4, dst: '239.1.2.3', size: 16, opts: { ttl: 5 } },
  { what: 'IPv6 multicast to ff02::1 on the bound device (hop limit 1, 33:33 MAC)', family: 6, dst: 'ff02::1', size: 10, opts: { bindtodevice: 'k0' } },
  { what: 'IPv6 multicast to ff0e::1:2', family: 6, dst: 'ff0e::1:2', size: 10 },
  { what: 'IPv6 multicast with IPV6_UNICAST_HOPS 5 (not the multicast hops)', family: 6, dst: 'ff0e::1:2', size: 10, opts: { ttl: 5 } },
  { what: 'IPv4 TOS with ECN bits (0x2b)', family: 4, dst: '192.0.2.2', size: 8, opts: { tos: 0x2b } },
  { what: 'IPv6 traffic class with ECN bits (0x2b)', family: 6, dst: '2001:db8:1::2', size: 8, opts: { tos: 0x2b } },
  { what: 'IPv4 route with a preferred source', family: 4, dst: '198.51.100.200', size: 8 },
  { what: 'IPv6 route with a preferred source', family: 6, dst: '2001:db8:3::7', size: 8 },
  { what: 'IPv6 source selection among three global addresses (RFC 6724), on-link', family: 6, dst: '2001:db8:1::2', size: 8 },
  { what: 'IPv6 source selection among three global addresses (RFC 6724), longest match', family: 6, dst: '2001:db8:5::9', size: 8 },
  { what: 'IPv6 source selection, through the gateway', family: 6, dst: '2001:db8:4::1', size: 8 },
  { what: 'IPv4 an empty datagram', family: 4, dst: '192.0.2.2', size: 0 },
  { what: 'IPv6 an empty datagram', family: 6, dst: '2001:db8:1::2', size: 0 },
  { what: 'UDP-Lite an empty datagram, coverage 8', family: 4, proto: 136, dst: '192.0.2.2', size: 0, opts: { cscov: 8 } },
  { what: 'IPv6 port 0', family: 6, dst: '2001:db8:1::2', port: 0, size: 4 },
  { what: 'IPv6 socket, IPv4-mapped destination, port 0', family: 6, dst: '::ffff:192.0.2.2', port: 0, size: 4 },
  { what: 'IPv4 odd length (checksum padding)', family: 4, dst: '192.0.2.2', size: 1 },
  { what: 'IPv6 odd length over the MTU (fragments, padding in the last)', family: 6, dst: '2001:db8:1::2', size: 2901 },
  // last: the kernel probes again a second later, which a later case would see
  { what: 'IPv4 to a host without a neighbour entry (the ARP request)', family: 4, dst: '192.0.2.77', size: 8, arp: true },
];
/** To this host: through loopback (or the broadcast's copy) to a socket bound first. */
const LOCAL: Case[] = [
  { what: 'IPv4 to the link\'s address', family: 4, dst: '192.0.2.1', port: 9000, size: 40, listen: { addr: '0.0.0.0', port: 9000 } },
  { what: 'IPv4 to the link\'s address, 5000 bytes (no fragments on loopback)', family: 4, dst: '192.0.2.1', port: 9000, size: 5000, listen: { addr: '0.0.0.0', port: 9000 } },
  { what: 'IPv4 to 127.0.0.1', family: 4, dst: '127.0.0.1', port: 9000, size: 8, listen: { addr: '0.0.0.0', port: 9000 } },
  { what: 'IPv4 to 0.0.0.0 (the host: from 127.0.0.1)', family: 4, dst: '0.0.0.0', port: 9000, size: 8, listen: { addr: '0.0.0.0', port: 9000 } },
  { what: 'IPv4 subnet broadcast: on the wire and to our own socket', family: 4, dst: '192.0.2.255', port: 9000, size: 8, opts: { broadcast: 1 }, listen: { addr: '0.0.0.0', port: 9000 } },
  { what: 'IPv6 to the link\'s address', family: 6, dst: '2001:db8:1::1', port: 9000, size: 40, listen: { addr: '::', port: 9000 } },
  { what: 'IPv6 to ::1', family: 6, dst: '::1', port: 9000, size: 8, listen: { addr: '::', port: 9000 } },
  { what: 'IPv6 to :: (taken as ::1)', family: 6, dst: '::', port: 9000, size: 8, listen: { addr: '::', port: 9000 } },
  { what: 'IPv6 socket to ::ffff:192.0.2.1', family: 6, dst: '::ffff:192.0.2.1', port: 9000, size: 8, listen: { addr: '::', port: 9000 } },
  { what: 'IPv4 bound to k0, to the link\'s address', family: 4, dst: '192.0.2.1', port: 9000, size: 8, opts: { bindtodevice: 'k0' }, listen: { addr: '0.0.0.0', port: 9000 } },
  { what: 'IPv4 bound to k0, to 127.0.0.1', family: 4, dst: '127.0.0.1', port: 9000, size: 8, opts: { bindtodevice: 'k0' }, listen: { addr: '0.0.0.0', port: 9000 } },
  { what: 'IPv6 bound to k0, to ::1', family: 6, dst: '::1', port: 9000, size: 8, opts: { bindtodevice: 'k0' }, listen: { addr: '::', port: 9000 } },
  { what: 'IPv6 bound to k0, to the link\'s address', family: 6, dst: '2001:db8:1::1', port: 9000, size: 8, opts: { bindtodevice: 'k0' }, listen: { addr: '::', port: 9000 } },
];

/** After `route del default` on both: nowhere to send. */
const NO_ROUTE: Case[] = [{ what: 'IPv4 with no route', family: 4, dst: '198.51.100.7', size: 4 }];

interface Outcome {
  result: number | string;
  frames: string[];
  /** With `listen`: [data hex, source address, source port] the listening socket got, or null. */
  received?: [string, string, number] | null;
}

/** /proc/net/snmp and snmp6 of `ns` as "Group:Name" → value. */
function snmp(ns: Netns): Record<string, number> {
  const out: Record<string, number> = {};
  const lines = ns.exec(['cat', '/proc/net/snmp']).trim().split('\n');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = lines[i]!.split(/\s+/);
    const vals = lines[i + 1]!.split(/\s+/);
    const group = names[0]!.replace(':', '');
    names.slice(1).forEach((n, j) => (out[`${group}:${n}`] = Number(vals[j + 1])));
  }
  for (const line of ns.exec(['cat', '/proc/net/snmp6']).trim().split('\n')) {
    const [k6, v] = line.trim().split(/\s+/);
    const m = /^(Ip6|Icmp6|UdpLite6|Udp6)(.*)$/.exec(k6!);
    if (m) out[`${m[1]}:${m[2]}`] = Number(v);
  }
  return out;
}

const data = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13) & 0xff);

/** The UDP (and with `arp` ARP) frames of a capture (the kernel's own MLD and ND on the link are not ours to compare). */
function udpFrames(frames: Uint8Array[], arp: boolean): Uint8Array[] {
  return frames.filter((f) => {
    const type = (f[12]! << 8) | f[13]!;
    if (type === 0x0806) return arp;
    if (type === 0x0800) return f[23] === 17 || f[23] === 136;
    if (type === 0x86dd) return f[20] === 17 || f[20] === 136 || f[20] === 44;
    return false;
  });
}

/** ip_select_ident_segs writes ID 0 for a DF datagram of an unconnected socket whose skb keeps DF (ignore_df is
 *  ip_sk_ignore_df: pmtudisc below IP_PMTUDISC_DO, or IP_PMTUDISC_OMIT). */
const idZeroByRule = (c: Case, f: Uint8Array): boolean => {
  const pmtudisc = c.opts?.pmtudisc ?? 1; // IP_PMTUDISC_WANT
  return c.opts?.connect !== 1 && pmtudisc >= 2 && pmtudisc !== 5 && (f[20]! & 0x40) !== 0;
};

/** The fields the kernel draws from a secret, cleared (the list in the header). */
function mask(c: Case, f: Uint8Array): string {
  const m = Uint8Array.from(f);
  const type = (m[12]! << 8) | m[13]!;
  if (type === 0x0800) {
    if (!idZeroByRule(c, m)) m.fill(0, 18, 20), m.fill(0, 24, 26);
  } else if (type === 0x86dd) {
    m[15]! &= 0xf0;
    m[16] = m[17] = 0;
    if (m[20] === 44) m.fill(0, 14 + 44, 14 + 48);
  }
  return hex(m);
}

const unready = await stackUnready();
const py = pythonAvailability();
const nsa = useNamespaces('udptx');
const skip = unready || (!py.ok ? py.reason : '') || nsa.skipReason;
if (skip && nsa.available.ok) it.skip(`UDP send against the kernel: ${skip}`, () => {});

describe.skipIf(skip !== '')('UDP send: wxdp and the kernel leave the same frames', () => {
  let k: Netns;
  let p: Netns;
  let fx: Fixture;
  let send: UdpSender;

  const kernel = (cases: Case[]): Outcome[] =>
    JSON.parse(
      k.exec(['python3', SCRIPT], {
        input: JSON.stringify({ ifname: 'k0', probe: p.name, probeif: 'p0', cases: cases.map((c) => ({ ...c, port: c.port ?? 7, sport: SPORT, opts: c.opts ?? {} })) }),
        timeoutMs: 60_000,
      }),
    ) as Outcome[];

  const wxdp = (c: Case): Outcome => {
    const o = c.opts ?? {};
    const so: SockOpts = {
      family: c.family === 4 ? AF_INET : AF_INET6,
      proto: c.proto ?? 17,
      bind: { port: SPORT },
      broadcast: o.broadcast === 1,
      nocheck: o.nocheck === 1,
      v6only: o.v6only === 1,
      dontfrag: o.dontfrag === 1,
      ...(o.pmtudisc !== undefined ? { pmtudisc: o.pmtudisc } : {}),
      ...(o.ttl !== undefined ? { ttl: o.ttl } : {}),
      ...(o.tos !== undefined ? { tos: o.tos } : {}),
      ...(o.mcttl !== undefined ? { mcTtl: o.mcttl } : {}),
      ...(o.cscov !== undefined ? { cscov: o.cscov } : {}),
    };
    const listener = c.listen ? udpSocket(fx.dp, { family: so.family, bind: c.listen }) : 0;
    const t = fx.dp.socketTable;
    if (c.listen?.join) {
      const ji = c.listen.joinif!;
      t.membership(listener, 'join', c.listen.join, { iface: c.family === 4 ? ji : fx.dp.links.ifindex(ji) });
    }
    if (o.bindaddr) so.bind = { addr: o.bindaddr, port: SPORT };
    if (o.bindtodevice) so.boundDev = fx.dp.links.ifindex(o.bindtodevice);
    if (o.connect) so.connect = { addr: c.dst, port: c.port ?? 7 };
    const sk = udpSocket(fx.dp, so);
    if (o.mcloop !== undefined) t.setOption(sk, c.family === 4 ? 'IP_MULTICAST_LOOP' : 'IPV6_MULTICAST_LOOP', o.mcloop);
    if (o.mcif !== undefined) {
      if (c.family === 4) t.setMulticastIf4(sk, o.mcif);
      else t.setOption(sk, 'IPV6_MULTICAST_IF', fx.dp.links.ifindex(o.mcif));
    }
    let result: number | string;
    try {
      result = send.send(sk, data(c.size), o.connect ? undefined : { address: c.dst, port: c.port ?? 7 });
    } catch (e) {
      if (!(e instanceof UdpSendError)) throw e;
      result = e.errno;
    }
    const out: Outcome = { result, frames: (fx.tx().get('k0') ?? []).map(hex) };
    if (listener !== 0) {
      const r = recvFrom(fx.dp, listener);
      const text = c.family === 4 ? ipv4Text(r?.addr.subarray(0, 4) ?? new Uint8Array(4)) : ipv6Text(r?.addr ?? new Uint8Array(16));
      out.received = r ? [hex(r.data), text, r.port] : null;
      sockClose(fx.dp, listener);
    }
    return out;
  };

  const compare = (cases: Case[], theirs: Outcome[]): void => {
    cases.forEach((c, i) => {
      const ours = wxdp(c);
      const kern = theirs[i]!;
      const kf = udpFrames(kern.frames.map((h) => Uint8Array.from(Buffer.from(h, 'hex'))), c.arp === true).map((f) => mask(c, f));
      const wf = udpFrames(ours.frames.map((h) => Uint8Array.from(Buffer.from(h, 'hex'))), c.arp === true).map((f) => mask(c, f));
      // the kernel names an IPv6 source in its shortest text; wxdp's bytes are printed the same way
      const kr = !c.listen ? undefined : kern.received ? [kern.received[0], c.family === 4 ? kern.received[1] : ipv6Text(ipv6Bytes(kern.received[1])), kern.received[2]] : kern.received;
      expect({ what: c.what, result: ours.result, frames: wf, received: ours.received }).toEqual({ what: c.what, result: kern.result, frames: kf, received: kr });
      // a datagram the kernel sent off the host was seen on the wire (never a comparison of two empty captures)
      if (typeof kern.result === 'number' && !c.listen) expect(kf.length, c.what).toBeGreaterThan(0);
    });
  };

  beforeAll(async () => {
    k = nsa.set.create();
    p = nsa.set.create({ lo: false });
    k.sysctl({ 'net.ipv6.conf.default.accept_dad': 0, 'net.ipv6.conf.all.accept_dad': 0, 'net.ipv6.conf.default.router_solicitations': 0 });
    p.sysctl({ 'net.ipv6.conf.default.disable_ipv6': 1 });
    nsa.set.veth({ ns: k, name: 'k0', mac: S_MAC, up: false }, { ns: p, name: 'p0', mac: H_MAC });
    k.batch(ipBatchAfterSysctls(LINKS, ROUTES, NEIGH).join('\n') + '\n');
    fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.ip('link set lo up'); // as the namespace's (Namespaces.create)
    send = new UdpSender(fx.dp);
  }, 60_000);
  afterAll(() => nsa.set.cleanup());

  it('for every datagram of the table, the same frames (masked fields as listed) or the same errno, and the same counters', () => {
    const before = snmp(k);
    const theirs = kernel(CASES);
    const after = snmp(k);
    const mine0 = fx.mib();
    compare(CASES, theirs);
    const mine = fx.mib();
    const names = [
      ...['Udp', 'UdpLite', 'Udp6', 'UdpLite6'].flatMap((g) => [`${g}:OutDatagrams`, `${g}:SndbufErrors`]),
      ...['Ip', 'Ip6'].flatMap((g) => ['OutRequests', 'OutNoRoutes', 'FragOKs', 'FragCreates', 'FragFails'].map((n) => `${g}:${n}`)),
      // a broadcast also goes up to the sender's own host (ip_mc_output's looped copy)
      'Ip:InReceives', 'Ip:InDelivers', 'Ip:ReasmReqds',
    ];
    // the kernel's own MLD reports on the link are Ip6:OutRequests too (kernelMib takes them back out)
    const kd = kernelMib(Object.fromEntries(Object.keys(after).map((n) => [n, after[n]! - (before[n] ?? 0)])), names);
    const wd = Object.fromEntries(names.map((n) => [n, (mine[n] ?? 0) - (mine0[n] ?? 0)]).filter(([, v]) => v !== 0));
    expect(wd).toEqual(kd);
    expect(wd['Udp:OutDatagrams']).toBeGreaterThan(0);
  }, 120_000);

  it('to this host: the listening socket receives the same bytes from the same source (lo up on both), or both send it out', () => {
    const theirs = kernel(LOCAL);
    // bound to k0, 127.0.0.1 and ::1 are no route of k0's: the kernel takes them as on-link there and
    // sends them out of k0 (the frames compared), so nothing comes back
    expect(theirs.map((t) => t.received !== null)).toEqual(LOCAL.map((c) => !(c.opts?.bindtodevice && /^(127\.|::1$)/.test(c.dst))));
    compare(LOCAL, theirs);
  }, 60_000);

  it('multicast: a copy to this host\'s members (IP_MULTICAST_LOOP), TTL 0 kept home, IP_MULTICAST_IF\'s device and source', () => {
    const join4 = (port: number, group: string): Case['listen'] => ({ addr: '0.0.0.0', port, join: group, joinif: '192.0.2.1' });
    const join6 = (port: number, group: string): Case['listen'] => ({ addr: '::', port, join: group, joinif: 'k0' });
    const cases: Case[] = [
      { what: 'IPv4 to a group a local socket joined: out, and looped to it', family: 4, dst: '239.1.1.1', port: 9100, size: 12, listen: join4(9100, '239.1.1.1') },
      { what: 'the same with IP_MULTICAST_LOOP 0: out only', family: 4, dst: '239.1.1.1', port: 9101, size: 12, opts: { mcloop: 0 }, listen: join4(9101, '239.1.1.1') },
      { what: 'IP_MULTICAST_TTL 0: looped, never out', family: 4, dst: '239.1.1.1', port: 9102, size: 12, opts: { mcttl: 0 }, listen: join4(9102, '239.1.1.1') },
      { what: 'a group no local socket joined: not looped', family: 4, dst: '239.1.1.3', port: 9103, size: 12, listen: { addr: '0.0.0.0', port: 9103 } },
      { what: 'IP_MULTICAST_IF by address: its source', family: 4, dst: '239.1.1.4', port: 9104, size: 12, opts: { mcif: '192.0.2.10' } },
      { what: 'IPv6 to a group a local socket joined: out, and looped', family: 6, dst: 'ff0e::5', port: 9105, size: 12, listen: join6(9105, 'ff0e::5') },
      { what: 'IPv6 to ff02::1 (every device is in it), IPV6_MULTICAST_IF k0', family: 6, dst: 'ff02::1', port: 9106, size: 12, opts: { mcif: 'k0' }, listen: { addr: '::', port: 9106 } },
      { what: 'IPv6 IPV6_MULTICAST_LOOP 0', family: 6, dst: 'ff0e::5', port: 9107, size: 12, opts: { mcloop: 0 }, listen: join6(9107, 'ff0e::5') },
      { what: 'IPv6 with IP_MULTICAST_TTL 33: the multicast hops stay 1', family: 6, dst: 'ff0e::6', port: 9108, size: 12, opts: { mcttl: 33 } },
    ];
    const theirs = kernel(cases);
    // not vacuous: the kernel's members heard the looped copies where the loop is on
    expect(theirs.map((t) => t.received !== null && t.received !== undefined)).toEqual([true, false, true, false, false, true, true, false, false]);
    compare(cases, theirs);
  }, 60_000);

  it('with loopback down: the sends succeed and the datagrams are lost (the routes stay, lo drops them)', () => {
    const cases: Case[] = [
      { what: 'IPv4 to the link\'s address, lo down', family: 4, dst: '192.0.2.1', port: 9000, size: 8, listen: { addr: '0.0.0.0', port: 9000 } },
      { what: 'IPv4 to 127.0.0.1, lo down', family: 4, dst: '127.0.0.1', port: 9000, size: 8, listen: { addr: '0.0.0.0', port: 9000 } },
    ];
    k.ip('link', 'set', 'lo', 'down');
    fx.ip('link set lo down');
    try {
      const theirs = kernel(cases);
      expect(theirs.map((t) => [t.result, t.received])).toEqual([[8, null], [8, null]]);
      compare(cases, theirs);
    } finally {
      k.ip('link', 'set', 'lo', 'up');
      fx.ip('link set lo up');
    }
  }, 60_000);

  it('with no route: the same errno (ENETUNREACH)', () => {
    k.ip('route', 'del', 'default');
    fx.ip('route del default');
    const theirs = kernel(NO_ROUTE);
    expect(theirs[0]!.result).toBe('ENETUNREACH');
    compare(NO_ROUTE, theirs);
  }, 60_000);
});
