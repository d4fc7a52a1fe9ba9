// Random socket sets and datagrams through the kernel's UDP and wxdp's, compared (the kernel as judge on
// sets no fixed case names). Each case draws up to 7 sockets — family, SO_REUSEADDR, SO_REUSEPORT,
// IPV6_V6ONLY, SO_BINDTODEVICE, a bind to one of H's addresses (or a broadcast, multicast, loopback,
// v4-mapped, link-local or foreign one) on one of three ports, maybe a connect — and up to 14 datagrams
// from the probe (unicast to either IPv4 address or the IPv6 one, subnet and limited broadcast, IPv6
// all-nodes multicast; to the three ports and a closed one; from the connected peers' ports or others).
// Before the datagrams, up to 5 sends from the case's sockets (to the probe, to this host's addresses and
// loopback, to broadcast and all-hosts/all-nodes groups, to no route, to a v4-mapped or link-local peer,
// or the connected peer), each compared by its errno, the frames H sends (transmit checksum offload off
// on H), the counters and what the sockets then read — the ICMP error a host sends itself about its own
// datagram to a closed local port included (it comes back through lo: ECONNREFUSED on a connected
// sender). After the sends udp_kernel.py deletes H's INCOMPLETE neighbours, so the kernel's later probes
// for an unresolved peer and their host-unreachable reports stay out of the datagrams' (and the next
// case's) capture windows. (Found by the sends and fixed: a datagram a host sends itself reaches the
// socket its route's device names — rt_iif, the local route's device — not lo's; the error about a
// datagram to its own closed port, which wxdp's ip_route_output refused to route; no error at all for
// what a lo-bound socket loops back to a remote address.) Seeds 1–6 × 30 agreed when sends went into
// CI; they add ~13 s to the default run (2 seeds × 30, load 11).
// Runs (12-05, Linux 6.18.44): seeds 100-119 × 30 found an IPv6 socket's IPv4 source after a native
// connect (inet_saddr stays 0), the flags of what goes out lo (a group, another device's subnet broadcast)
// and a multicast copy from ::1 (kept in udp_kernel); since, with the ICMP errors, 1-40 and 100-112 agree.
// 12-06: 41-99 and 120-219 agree without the odd headers (seed 199 once reader() counts v6only twins as
// one), 1-70 and 220-683 with them; 741-1030 with the IPv6 early demux (udp6_demux_lookup; 741-800 before it asked
// PACKET_HOST frames only). 12-07: 1231-1270 agree (without the groups); with WXDP_UDP_FUZZ_GROUPS 1271 and 1272
// found a datagram to a group sent out of lo, lo not in it, read as Udp:IgnoredMulti where __mkroute_output
// leaves the route dst_discard (udp_kernel's case); then 1, 2, 693 and 1271-1315 agree. 12-07 (fz53), with
// WXDP_UDP_FUZZ_OPTS: 1316-1318 found an IPv6 socket's IP_TTL/IP_TOS/IP_MTU_DISCOVER and IPV6_UNICAST_HOPS/TCLASS/
// MTU_DISCOVER kept as one value (inet's for v4-mapped sends, ipv6_pinfo's for native ones), 1334, 1336, 1342 an
// IPv4 multicast at TTL 0 freed where ip_output sends it (only ip_mc_output, RTCF_LOCAL, keeps it home), 1379 a
// held socket in a reuseport group (the generator's); then 1316-1420 agree.
// 12-07 (fz54): 1421-1450 agree; 1451-1465 agree (lead, 12-07 15:20). 12-07 (fz55): 1466-1850 agree (1691-1850 on main 0d0cb27f).
// 12-07 (fz56): 1851-2180 agree (main 7f1e4bbd).
// 12-07 (fz57): 2181-2391 agree. With WXDP_UDP_FUZZ_LITE (from 2401) 2401-2460 agree but 2401, 2403 (first build) and
// 2448: a UDP-Lite broadcast of partial coverage with a wrong checksum and no socket, Udp:IgnoredMulti in the kernel where
// wxdp counted InCsumErrors (the checksum waits for a reader past CHECKSUM_BREAK or under partial coverage:
// tests/udp/udp_csum_late_kernel), UdpLite6:IgnoredMulti which snmp6 does not print, and an IPv6 socket's v4-mapped
// multicast looped back by IPV6_MULTICAST_LOOP where wxdp read IP_MULTICAST_LOOP (sk_mc_loop: udp_kernel's case); then
// 2448 and 2461-2476 agree, and 1, 2, 693 with UDP-Lite.
// 12-08 (fz58): 2392-2400 (never run before; with UDP-Lite) and 2477-2620 agree.
// Compared, as tests/udp/udp_kernel does for its fixed cases: each bind/connect errno, then per datagram
// which socket reads what (payload, source), the frames H answers with (ICMP port unreachable) and the
// counters moved. A reuseport group's member is chosen by a hash with a random secret, so a datagram read
// by an unconnected reuseport socket counts as read by its group (family, IPV6_V6ONLY, device and bound
// address: udp_reuseport_add_sock's test) on both sides.
//
//   WXDP_UDP_FUZZ=N         N cases per seed (default 30)
//   WXDP_UDP_FUZZ_SEEDS=a,b the seeds (default 1, 2, 693); random:K adds K random ones (printed)
//   WXDP_UDP_FUZZ_SENDS=0   no sends (the datagrams only; other cases: the sends draw from the same Rng)
//   WXDP_UDP_FUZZ_ICMP=0    no ICMP errors among the datagrams (genIcmpError: about a datagram a socket
//                           could have sent, by the quoted 4-tuple; drawn from a second Rng)
//   WXDP_UDP_FUZZ_ODD=0     no odd headers (oddDatagram, a third Rng: a datagram's checksum zero or wrong,
//                           its UDP length short of, past or below what the IP layer carries, a trailer,
//                           IPv4 options, an IPv6 hop-by-hop header); added 12-06, seeds 1, 2 stay as fast
//   WXDP_UDP_FUZZ_MCAST=0   no IPv4 all-hosts multicast (a fourth Rng turns a tenth of the plain datagrams into
//                           ones to 224.0.0.1 on its group MAC, PACKET_MULTICAST; added 12-07: seeds 1-20, 693,
//                           741, 742 agree. The early demux's reuseport choice is invisible here, a group's
//                           members reading as one: with it turned off they agree as well; udp_mcast_kernel's
//                           case is the one that tells)
//   WXDP_UDP_FUZZ_GROUPS=0  no group memberships (a fifth Rng, added 12-07 from seed 1231: some sockets join
//                           239.1.1.1 / ff12::1 by address, ifindex or any device, join 232.1.1.1 / ff32::8000:1
//                           for one source (IP_ADD_SOURCE_MEMBERSHIP / MCAST_JOIN_SOURCE_GROUP), block a source,
//                           leave, turn IP(V6)_MULTICAST_ALL off — each call's errno compared; a sixth of the plain
//                           datagrams go to those groups from either of two sources, a sixth of the sends to
//                           239.1.1.1 / ff12::1 (looped back to the members); some sockets take a small SO_RCVBUF
//                           and are read after the last datagram only: RcvbufErrors). =0 gives what the seeds
//                           before 1231 were run with
//   WXDP_UDP_FUZZ_OPTS=0    no send options (a sixth Rng, added 12-07 from seed 1316: some sockets set SO_NO_CHECK,
//                           IP_TTL, IP_TOS, IP_MTU_DISCOVER, IP_MULTICAST_TTL/LOOP, and the IPv6 socket's
//                           IPV6_UNICAST_HOPS, IPV6_TCLASS, IPV6_MTU_DISCOVER, IPV6_DONTFRAG, IPV6_MULTICAST_HOPS/LOOP
//                           — the other family's too, and values out of range — after bind and connect: each
//                           call's errno, then the frames their sends put on the wire, v4-mapped ones included);
//                           =0 gives what the seeds before 1316 were run with. No cost: the same sends
//   WXDP_UDP_FUZZ_LITE=0    no UDP-Lite (a seventh Rng, added 12-07 from seed 2401: some sockets IPPROTO_UDPLITE, some of
//                           those with UDPLITE_SEND_CSCOV / UDPLITE_RECV_CSCOV; a fifth of the datagrams UDP-Lite ones of
//                           every coverage, checksums right, wrong and zero, and ICMP errors quoting them; genLiteSock,
//                           genLiteDatagram); =0 gives what the seeds before 2401 were run with

import { describe, expect, it } from 'vitest';
import { hex, inetChecksum } from '../net/support.js';
import { Rng } from '../support/gen.js';
import { concat, icmp4, icmp6, ipv4, ipv6, udp4 } from '../net/support.js';
import { be16, be32 } from './support.js';
import { udpFixture, makeWxdp, mask, pick, payload, e4, e6, u4, u6, udpKernelHost, wxdpFrame, wxdpSend, type FrameResult, type Mc, type Send, type SendResult, type Sock } from './udp_kernel_support.js';
import { ipv4Bytes, ipv6Bytes } from '../../src/control/addresses.js';
import { errnoName, type SocketOption } from '../../src/control/sockets.js';

const N = Number(process.env['WXDP_UDP_FUZZ'] ?? 30);
const SENDS = process.env['WXDP_UDP_FUZZ_SENDS'] !== '0';
const ICMP_ERRORS = process.env['WXDP_UDP_FUZZ_ICMP'] !== '0';
const ODD = process.env['WXDP_UDP_FUZZ_ODD'] !== '0';
const MCAST = process.env['WXDP_UDP_FUZZ_MCAST'] !== '0';
const GROUPS = process.env['WXDP_UDP_FUZZ_GROUPS'] !== '0';
const OPTS = process.env['WXDP_UDP_FUZZ_OPTS'] !== '0';
const LITE = process.env['WXDP_UDP_FUZZ_LITE'] !== '0';
function seeds(): number[] {
  const env = process.env['WXDP_UDP_FUZZ_SEEDS'];
  // 693 (case 20): a connected AF_INET socket bound to eth0 heads its hash2 chain, a dual-stack one of the same
  // 4-tuple connected after it: the kernel's early demux (udp_v4_early_demux: the chain's first socket when
  // inet_match takes it) delivers to the first, where hash4's head (udp4_lib_lookup4) would give the second
  if (!env) return [1, 2, 693];
  const m = /^random:(\d+)$/.exec(env);
  if (m) return [1, 2, ...Array.from({ length: Number(m[1]) }, () => 1 + Math.floor(Math.random() * 2 ** 31))];
  return env.split(',').map(Number);
}

const PORTS = [7300, 7301, 7302];
const CLOSED = 7399;

/** One of `xs` by weight. */
function weighted<T>(g: Rng, xs: ReadonlyArray<readonly [T, number]>): T {
  const total = xs.reduce((a, [, w]) => a + w, 0);
  g.next(); // a draw that keeps each seed's cases as they were first generated
  let x = (g.next() / 0x100000000) * total;
  for (const [v, w] of xs) if ((x -= w) < 0) return v;
  return xs[xs.length - 1]![0];
}

const BIND4 = [['0.0.0.0', 4], ['192.0.2.1', 3], ['198.51.100.1', 2], ['192.0.2.255', 1], ['127.0.0.1', 1], ['203.0.113.5', 0.4], ['224.0.0.1', 0.3]] as const;
const BIND6 = [
  ['::', 4], ['2001:db8:1::1', 3], ['::ffff:192.0.2.1', 2], ['::ffff:198.51.100.1', 1], ['::ffff:0.0.0.0', 1], ['::1', 1], ['fe80::1', 0.3],
  ['2001:db8:9::1', 0.3], ['::ffff:192.0.2.255', 0.5],
] as const;
const PEER4 = [['192.0.2.2', 4], ['198.51.100.2', 1], ['127.0.0.1', 0.5], ['192.0.2.255', 0.3], ['203.0.113.9', 0.5]] as const;
const PEER6 = [['2001:db8:1::2', 4], ['::ffff:192.0.2.2', 2], ['2001:db8:9::9', 0.5], ['::1', 0.5]] as const;
const PEER_PORTS = [999, 53];

function genSock(g: Rng): Sock {
  const family = g.chance(0.5) ? 4 : 6;
  const s: Sock = { family };
  if (g.chance(0.35)) s.reuseaddr = true;
  if (g.chance(0.35)) s.reuseport = true;
  if (family === 6 && g.chance(0.3)) s.v6only = true;
  if (g.chance(0.15)) s.dev = g.chance(0.6) ? 'eth0' : 'lo';
  if (g.chance(0.15)) s.broadcast = true;
  if (g.chance(0.9)) s.bind = [weighted(g, family === 4 ? BIND4 : BIND6), g.chance(0.04) ? 0 : g.pick(PORTS)];
  if (g.chance(0.25)) s.connect = [weighted(g, family === 4 ? PEER4 : PEER6), g.pick(PEER_PORTS)];
  return s;
}

interface Datagram {
  what: string;
  frame: Uint8Array;
}
function genDatagram(g: Rng, seq: number): Datagram {
  const dport = g.chance(0.85) ? g.pick(PORTS) : CLOSED;
  const sport = g.chance(0.4) ? g.pick(PEER_PORTS) : g.pick([40000, 40001, 1024 + g.int(60000)]);
  if (g.chance(0.6)) {
    const dst = weighted(g, [['192.0.2.1', 4], ['198.51.100.1', 3], ['192.0.2.255', 1], ['255.255.255.255', 0.6]] as const);
    const f = u4(dst, dport, sport, seq);
    if (dst.endsWith('.255')) f.fill(0xff, 0, 6);
    return { what: `${dst}:${dport} from :${sport}`, frame: f };
  }
  const dst = weighted(g, [['2001:db8:1::1', 5], ['ff02::1', 1]] as const);
  const f = u6(dst, dport, sport, seq);
  if (dst === 'ff02::1') f.set([0x33, 0x33, 0, 0, 0, 1], 0);
  return { what: `[${dst}]:${dport} from :${sport}`, frame: f };
}

/** A datagram to the all-hosts group (every device is in it) on its MAC: PACKET_MULTICAST. */
function genMcast(g: Rng, seq: number): Datagram {
  const dport = g.chance(0.85) ? g.pick(PORTS) : CLOSED;
  const sport = g.chance(0.4) ? g.pick(PEER_PORTS) : g.pick([40000, 40001, 1024 + g.int(60000)]);
  const f = u4('224.0.0.1', dport, sport, seq);
  f.set([0x01, 0x00, 0x5e, 0, 0, 1], 0);
  return { what: `224.0.0.1:${dport} from :${sport}`, frame: f };
}

/**
 * An ICMP error from the probe about a datagram one of H's sockets could have sent it (from one of the
 * ports, to a peer's): __udp4_lib_err / __udp6_lib_err look the socket up by the quoted 4-tuple turned
 * round, a connected one reads the error (port unreachable ECONNREFUSED, fragmentation needed / packet
 * too big EMSGSIZE under PMTU discovery, host unreachable EHOSTUNREACH, ...), an unconnected one without
 * IP_RECVERR nothing; no socket: Icmp:InErrors. The quote is whole, the IP header and 8 bytes, or cut
 * inside the UDP header (icmp_unreach's pskb_may_pull: dropped before any lookup).
 */
function genIcmpError(g: Rng, seq: number): Datagram {
  const sport = g.pick(PORTS);
  const dport = g.pick(PEER_PORTS);
  const body = payload(g.pick([0, 12, 40]), seq);
  if (g.chance(0.55)) {
    const from = weighted(g, [['192.0.2.1', 4], ['198.51.100.1', 1], ['127.0.0.1', 0.3]] as const);
    const peer = weighted(g, PEER4);
    const [type, code] = g.pick([[3, 3], [3, 3], [3, 1], [3, 4], [3, 13], [3, 0], [11, 0], [12, 0], [3, 2]] as const);
    const rest = type === 3 && code === 4 ? [0, 0, ...be16(g.pick([0, 68, 576, 1280, 1400]))] : type === 12 ? [g.pick([0, 8, 20]), 0, 0, 0] : [0, 0, 0, 0];
    const quoted = ipv4({ src: from, dst: peer, proto: 17, id: g.int(0x10000) }, udp4(from, peer, sport, dport, body));
    const cut = quoted.subarray(0, g.pick([quoted.length, quoted.length, 28, 24]));
    return { what: `icmp ${type}/${code} about ${from}:${sport} > ${peer}:${dport} (${cut.length} bytes quoted)`, frame: e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 1, id: seq }, icmp4(type, code, rest, cut))) };
  }
  const from = weighted(g, [['2001:db8:1::1', 4], ['::1', 0.3]] as const);
  const peer = weighted(g, [['2001:db8:1::2', 4], ['2001:db8:9::9', 0.5], ['::1', 0.5]] as const);
  const [type, code] = g.pick([[1, 4], [1, 4], [1, 0], [1, 1], [1, 3], [2, 0], [3, 0], [4, 0]] as const);
  const rest = type === 2 ? be32(g.pick([1280, 1400, 1000])) : type === 4 ? be32(g.pick([0, 6, 40])) : [0, 0, 0, 0];
  const u = concat(Uint8Array.from([...be16(sport), ...be16(dport), ...be16(8 + body.length), 0, 0]), body);
  const quoted = ipv6({ src: from, dst: peer, nh: 17 }, u);
  const cut = quoted.subarray(0, g.pick([quoted.length, quoted.length, 48, 44]));
  return { what: `icmp6 ${type}/${code} about [${from}]:${sport} > [${peer}]:${dport} (${cut.length} bytes quoted)`, frame: e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 58 }, icmp6('2001:db8:1::2', '2001:db8:1::1', type, code, rest, cut))) };
}

/**
 * One oddity in a datagram's headers, for __udp4_lib_rcv / __udp6_lib_rcv and the counters they move
 * (Udp:InErrors, InCsumErrors, the socket's RFC 6936 zero-checksum rule over IPv6): the checksum zero
 * (allowed over IPv4 only) or wrong; the UDP length shorter than the IP payload (pskb_trim_rcsum, the
 * checksum then over the shorter length: right, or still the whole's), past it or below 8 (short_packet;
 * 0 over IPv6 is a jumbogram's, taken as the whole), an Ethernet trailer past the IP length (ip_rcv_core's
 * trim), IPv4 options in front (a record route with a free slot, or NOPs), an IPv6 hop-by-hop header.
 */
function oddDatagram(g: Rng, d: Datagram): Datagram {
  let f = Uint8Array.from(d.frame);
  const v6 = f[12] === 0x86;
  const l4 = v6 ? 54 : 34;
  const ulen = f.length - l4;
  const setLen = (n: number): void => void f.set(be16(n), l4 + 4);
  const resum = (n: number): void => {
    f.fill(0, l4 + 6, l4 + 8);
    const ph = v6 ? Uint8Array.from([...f.subarray(22, 54), 0, 0, ...be16(n), 0, 0, 0, 17]) : Uint8Array.from([...f.subarray(26, 34), 0, 17, ...be16(n)]);
    f.set(be16(inetChecksum(ph, f.subarray(l4, l4 + n)) || 0xffff), l4 + 6);
  };
  let what: string;
  switch (g.int(8)) {
    case 0:
      f.fill(0, l4 + 6, l4 + 8);
      what = 'checksum 0';
      break;
    case 1:
      f[l4 + 7] = f[l4 + 7]! ^ 0x5a;
      what = 'bad checksum';
      break;
    case 2:
    case 3: {
      const n = 8 + g.int(ulen - 8);
      setLen(n);
      if (g.chance(0.6)) resum(n);
      what = `udp length ${n} of ${ulen}${f[l4 + 6] === d.frame[l4 + 6] && f[l4 + 7] === d.frame[l4 + 7] ? ', checksum of the whole' : ''}`;
      break;
    }
    case 4: {
      const n = g.pick([ulen + 1, ulen + 8, 0xffff, 0, 4, 7]);
      setLen(n);
      what = `udp length ${n} of ${ulen}`;
      break;
    }
    case 5:
      f = concat(f, payload(g.pick([1, 6, 30]), 0xaa));
      what = 'trailer';
      break;
    default:
      if (v6) {
        // hop-by-hop: next header UDP, length 0, one PadN of 4
        const ip = f.subarray(14, 54);
        const hbh = Uint8Array.of(17, 0, 1, 4, 0, 0, 0, 0);
        const h = Uint8Array.from(ip);
        h[6] = 0;
        h.set(be16(((ip[4]! << 8) | ip[5]!) + 8), 4);
        f = concat(f.subarray(0, 14), h, hbh, f.subarray(54));
        what = 'hop-by-hop header';
      } else {
        const opts = g.chance(0.5) ? [7, 7, 4, 0, 0, 0, 0, 0] : [1, 1, 1, 0];
        const h = Uint8Array.from([...f.subarray(14, 34), ...opts]);
        h[0] = 0x40 | (h.length >> 2);
        h.set(be16(((h[2]! << 8) | h[3]!) + opts.length), 2);
        h.fill(0, 10, 12);
        h.set(be16(inetChecksum(h)), 10);
        f = concat(f.subarray(0, 14), h, f.subarray(34));
        what = opts[0] === 7 ? 'record route option' : 'NOP options';
      }
  }
  return { what: `${d.what}, ${what}`, frame: f };
}

const SEND4 = [
  ['192.0.2.2', 4], ['192.0.2.1', 2], ['198.51.100.1', 1], ['127.0.0.1', 1], ['192.0.2.255', 1], ['255.255.255.255', 0.5], ['224.0.0.1', 0.5],
  ['203.0.113.9', 0.5], ['0.0.0.0', 0.3],
] as const;
const SEND6 = [
  ['2001:db8:1::2', 4], ['2001:db8:1::1', 2], ['::1', 1], ['ff02::1', 0.5], ['::ffff:192.0.2.2', 1.5], ['::ffff:192.0.2.1', 1], ['2001:db8:9::9', 0.5],
  ['fe80::2', 0.3], ['::', 0.3],
] as const;
function genSend(g: Rng, sockets: Sock[]): Send {
  const i = g.int(sockets.length);
  const payload = hex(Uint8Array.from({ length: g.int(41) }, () => g.int(256)));
  if (g.chance(0.2)) return [i, null, 0, payload];
  return [i, weighted(g, sockets[i]!.family === 4 ? SEND4 : SEND6), g.chance(0.7) ? g.pick(PORTS) : g.pick(PEER_PORTS), payload];
}

/**
 * Group memberships and a small receive buffer on a socket (the fifth Rng, `x`): joins of 239.1.1.1 /
 * ff12::1 by the interface's address, its index or none (ip_mc_find_dev: the route's device), source-specific
 * joins of 232.1.1.1 / ff32::8000:1, a block or a leave after a join, IP(V6)_MULTICAST_ALL off; an IPv6
 * socket may join the IPv4 group (dual-stack). A socket with SO_RCVBUF is read only after the last datagram.
 */
function genGroups(x: Rng, s: Sock): void {
  if (x.chance(0.35)) {
    const ops: Mc[] = [];
    for (let n = 1 + x.int(3); n > 0; n--) {
      const v4 = s.family === 4 || x.chance(0.3);
      const iface = v4 ? x.pick(['192.0.2.1', 'eth0', undefined, '198.51.100.1']) : x.pick(['eth0', undefined]);
      switch (x.int(7)) {
        case 0:
        case 1:
          ops.push(['join', v4 ? '239.1.1.1' : 'ff12::1', undefined, iface]);
          break;
        case 2:
          ops.push(['joinSource', v4 ? '232.1.1.1' : 'ff32::8000:1', v4 ? x.pick(['192.0.2.2', '192.0.2.3']) : x.pick(['2001:db8:1::2', '2001:db8:1::3']), iface]);
          break;
        case 3:
          ops.push(['block', v4 ? '239.1.1.1' : 'ff12::1', v4 ? '192.0.2.3' : '2001:db8:1::3', iface]);
          break;
        case 4:
          ops.push(['leave', v4 ? '239.1.1.1' : 'ff12::1', undefined, iface]);
          break;
        case 5:
          ops.push(['all-off', s.family === 6 && x.chance(0.5) ? '::' : undefined]);
          break;
        default:
          ops.push(['join', v4 ? '232.1.1.1' : 'ff32::8000:1', undefined, iface]);
      }
    }
    s.mcOps = ops;
  }
  if (x.chance(0.08)) {
    s.rcvbuf = x.pick([1, 2304, 4096]);
    // read last only outside a reuseport group: which member a datagram goes to is the kernel's random
    // secret, and a held member reads it at the end where another reads it at once (seed 1379, case 8)
    s.hold = !s.reuseport;
  }
}

/**
 * Send options on a socket (the sixth Rng, `q`): what a send's frame carries — the TTL / hop limit (unicast
 * and multicast), TOS / traffic class, DF, a zero UDP checksum (SO_NO_CHECK: IPv4 and v4-mapped sends only,
 * udp_send_skb), multicast loop — with values at and past each option's range (EINVAL) and now and then the
 * other family's option (ENOPROTOOPT on an IPv4 socket; an IPv6 socket takes IP_* for v4-mapped traffic).
 */
const OPTS4: ReadonlyArray<readonly [SocketOption, readonly number[]]> = [
  ['SO_NO_CHECK', [1, 1, 0]], ['IP_TTL', [1, 2, 255, -1, 0, 256]], ['IP_TOS', [0x10, 0xb8, 0x03, 0x1e, 0x100, -1]],
  ['IP_MTU_DISCOVER', [0, 1, 2, 3, 4, 5, 6]], ['IP_MULTICAST_TTL', [0, 2, 255, -1, 256]], ['IP_MULTICAST_LOOP', [0, 1]],
];
const OPTS6: ReadonlyArray<readonly [SocketOption, readonly number[]]> = [
  ['IPV6_UNICAST_HOPS', [1, 2, 255, -1, 0, 256, -2]], ['IPV6_TCLASS', [0x10, 0xb8, 0x03, -1, 0x100, -2]], ['IPV6_MTU_DISCOVER', [0, 1, 2, 3, 4, 5, 6]],
  ['IPV6_DONTFRAG', [0, 1]], ['IPV6_MULTICAST_HOPS', [0, 3, 255, -1, 256]], ['IPV6_MULTICAST_LOOP', [0, 1, 2]],
];
function genOpts(q: Rng, s: Sock): void {
  if (!q.chance(0.35)) return;
  const opts: Array<[SocketOption, number]> = [];
  for (let n = 1 + q.int(3); n > 0; n--) {
    const own = s.family === 4 ? OPTS4 : q.chance(0.6) ? OPTS6 : OPTS4;
    const [name, values] = q.chance(0.92) ? q.pick(own) : q.pick(s.family === 4 ? OPTS6 : OPTS4);
    opts.push([name, q.pick(values)]);
  }
  s.opts = opts;
}

/** A datagram to one of genGroups' groups, from the probe's address or another on its link, on the group's MAC. */
function genGroupDatagram(x: Rng, seq: number): Datagram {
  const dport = x.chance(0.9) ? x.pick(PORTS) : CLOSED;
  const sport = x.pick([40000, 40001, 53]);
  if (x.chance(0.6)) {
    const dst = x.pick(['239.1.1.1', '239.1.1.1', '232.1.1.1']);
    const src = x.pick(['192.0.2.2', '192.0.2.3']);
    const f = u4(dst, dport, sport, seq, src);
    f.set([0x01, 0x00, 0x5e, 0x01, 0x01, 0x01], 0);
    return { what: `${dst}:${dport} from ${src}:${sport}`, frame: f };
  }
  const dst = x.pick(['ff12::1', 'ff12::1', 'ff32::8000:1']);
  const src = x.pick(['2001:db8:1::2', '2001:db8:1::3']);
  const data = payload(12, seq);
  const u = concat(Uint8Array.from([...be16(sport), ...be16(dport), ...be16(8 + data.length), 0, 0]), data);
  const c = inetChecksum(Uint8Array.from([...ipv6Bytes(src), ...ipv6Bytes(dst), 0, 0, ...be16(u.length), 0, 0, 0, 17]), u) || 0xffff;
  u[6] = c >> 8;
  u[7] = c & 0xff;
  const f = e6(ipv6({ src, dst, nh: 17, hlim: 1 }, u));
  f.set([0x33, 0x33, ...ipv6Bytes(dst).subarray(12)], 0);
  return { what: `[${dst}]:${dport} from [${src}]:${sport}`, frame: f };
}

/**
 * UDP-Lite (RFC 3828) on a socket (the seventh Rng, `l`): IPPROTO_UDPLITE — its own table (udplite_table: a UDP
 * socket and a UDP-Lite one share a port, neither reads the other's datagrams) — and UDPLITE_SEND_CSCOV /
 * UDPLITE_RECV_CSCOV at values under 8 (taken as 8), 8, past the datagram, past 0xffff (taken as 0xffff); now and then
 * the option on a UDP socket (ENOPROTOOPT).
 */
function genLiteSock(l: Rng, s: Sock): void {
  const lite = l.chance(0.3);
  if (lite) s.lite = true;
  if (!l.chance(lite ? 0.5 : 0.04)) return;
  const opts: Array<[SocketOption, number]> = [...(s.opts ?? [])];
  for (let n = 1 + l.int(2); n > 0; n--) opts.push([l.pick(['UDPLITE_SEND_CSCOV', 'UDPLITE_RECV_CSCOV'] as const), l.pick([0, 8, 9, 12, 20, 30, 4, -1, 0x10000])]);
  s.opts = opts;
}

/**
 * A UDP-Lite datagram from the probe (the seventh Rng, `l`): its coverage (the UDP length field) 0 (the whole), 8 (the
 * header), part of the payload, the whole, under 8 or past the datagram (udplite_checksum_init: dropped, InErrors);
 * the checksum over the covered bytes and the pseudo-header (whose length is the datagram's) right, wrong or zero
 * (never allowed in UDP-Lite); to either IPv4 address, the subnet broadcast or the IPv6 one; or an ICMP port
 * unreachable / fragmentation needed / packet too big quoting a UDP-Lite datagram a socket could have sent
 * (udplite_err: the UDP-Lite table's lookup).
 */
function genLiteDatagram(l: Rng, seq: number): Datagram {
  const v6 = l.chance(0.4);
  const dport = l.chance(0.85) ? l.pick(PORTS) : CLOSED;
  const sport = l.pick([40000, 40001, ...PEER_PORTS]);
  const data = payload(l.pick([0, 12, 40, 100]), seq); // 108 bytes: past CHECKSUM_BREAK
  const len = 8 + data.length;
  const covs = [0, 0, 8, 8 + Math.min(4, data.length), len, len, 4, len + 1];
  const cov = l.pick(covs);
  const lite = (src: string, dst: string, sp: number, dp: number, how: 'right' | 'wrong' | 'zero'): Uint8Array => {
    const u = Uint8Array.from([...be16(sp), ...be16(dp), ...be16(cov), 0, 0, ...data]);
    const ph = src.includes(':') ? Uint8Array.from([...ipv6Bytes(src), ...ipv6Bytes(dst), 0, 0, ...be16(len), 0, 0, 0, 136]) : Uint8Array.from([...ipv4Bytes(src), ...ipv4Bytes(dst), 0, 136, ...be16(len)]);
    const c = how === 'zero' ? 0 : (inetChecksum(ph, u.subarray(0, cov === 0 || cov > len ? len : Math.max(cov, 8))) || 0xffff) ^ (how === 'wrong' ? 0x0101 : 0);
    u.set(be16(c), 6);
    return u;
  };
  const how = l.pick(['right', 'right', 'right', 'right', 'wrong', 'zero'] as const);
  const what = `coverage ${cov} of ${len}${how === 'right' ? '' : `, checksum ${how}`}`;
  if (l.chance(0.15)) {
    // an ICMP error about a UDP-Lite datagram from one of the ports to a peer
    if (!v6) {
      const from = l.pick(['192.0.2.1', '192.0.2.1', '198.51.100.1']);
      const peer = weighted(l, PEER4);
      const [type, code] = l.pick([[3, 3], [3, 3], [3, 4], [3, 1]] as const);
      const quoted = ipv4({ src: from, dst: peer, proto: 136, id: l.int(0x10000) }, lite(from, peer, l.pick(PORTS), dport, 'right'));
      const rest = type === 3 && code === 4 ? [0, 0, ...be16(l.pick([576, 1280]))] : [0, 0, 0, 0];
      return { what: `icmp ${type}/${code} about udplite ${from} > ${peer}`, frame: e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 1, id: seq }, icmp4(type, code, rest, quoted))) };
    }
    const peer = l.pick(['2001:db8:1::2', '2001:db8:9::9']);
    const [type, code] = l.pick([[1, 4], [1, 4], [2, 0], [1, 1]] as const);
    const quoted = ipv6({ src: '2001:db8:1::1', dst: peer, nh: 136 }, lite('2001:db8:1::1', peer, l.pick(PORTS), dport, 'right'));
    const rest = type === 2 ? be32(1280) : [0, 0, 0, 0];
    return { what: `icmp6 ${type}/${code} about udplite [2001:db8:1::1] > [${peer}]`, frame: e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 58 }, icmp6('2001:db8:1::2', '2001:db8:1::1', type, code, rest, quoted))) };
  }
  if (v6) {
    const dst = '2001:db8:1::1';
    return { what: `udplite [${dst}]:${dport} from :${sport}, ${what}`, frame: e6(ipv6({ src: '2001:db8:1::2', dst, nh: 136 }, lite('2001:db8:1::2', dst, sport, dport, how))) };
  }
  const dst = l.pick(['192.0.2.1', '192.0.2.1', '198.51.100.1', '192.0.2.255']);
  const f = e4(ipv4({ src: '192.0.2.2', dst, proto: 136, id: 0x1000 + (seq & 0xfff) }, lite('192.0.2.2', dst, sport, dport, how)));
  if (dst.endsWith('.255')) f.fill(0xff, 0, 6);
  return { what: `udplite ${dst}:${dport} from :${sport}, ${what}`, frame: f };
}

export interface UdpFuzzCase {
  sockets: Sock[];
  sends: Send[];
  datagrams: Datagram[];
}
export function udpFuzzCases(seed: number, n: number): UdpFuzzCase[] {
  const g = new Rng(seed);
  // the ICMP errors come from a second generator: each seed's sockets, sends and datagrams stay as they were
  const w = new Rng((seed ^ 0x27d4eb2f) >>> 0);
  // the odd headers from a third: the rest stays as it was
  const o = new Rng((seed ^ 0x165667b1) >>> 0);
  // the multicast datagrams from a fourth, in place of plain ones
  const m = new Rng((seed ^ 0x61c88647) >>> 0);
  // group memberships, their datagrams and sends, small receive buffers from a fifth
  const x = new Rng((seed ^ 0x2545f491) >>> 0);
  // send options from a sixth
  const q = new Rng((seed ^ 0x9e3779b9) >>> 0);
  // UDP-Lite sockets, options and datagrams from a seventh
  const l = new Rng((seed ^ 0x7f4a7c15) >>> 0);
  return Array.from({ length: n }, () => {
    const sockets = Array.from({ length: 1 + g.int(7) }, () => genSock(g));
    if (GROUPS) for (const s of sockets) genGroups(x, s);
    if (OPTS) for (const s of sockets) genOpts(q, s);
    if (LITE) for (const s of sockets) genLiteSock(l, s);
    const sends = SENDS ? Array.from({ length: g.int(6) }, () => genSend(g, sockets)) : [];
    if (GROUPS) for (const sd of sends) if (sd[1] !== null && x.chance(0.17)) sd[1] = sockets[sd[0]]!.family === 4 || x.chance(0.3) ? (sockets[sd[0]]!.family === 4 ? '239.1.1.1' : '::ffff:239.1.1.1') : 'ff12::1';
    return {
      sockets,
      sends,
      datagrams: Array.from({ length: 4 + g.int(11) }, (_, i) => {
        const d = genDatagram(g, i + 1);
        if (ICMP_ERRORS && w.chance(0.2)) return genIcmpError(w, i + 1);
        const e = ODD && o.chance(0.15) ? oddDatagram(o, d) : d;
        const r = e === d && MCAST && m.chance(0.1) ? genMcast(m, i + 1) : e === d && GROUPS && x.chance(0.17) ? genGroupDatagram(x, i + 1) : e;
        return LITE && l.chance(0.2) ? genLiteDatagram(l, i + 1) : r;
      }),
    };
  });
}

/**
 * Who read a datagram: the socket, or for an unconnected reuseport member its group. Groups of IPv6
 * sockets bound to one native address that differ only in IPV6_V6ONLY count as one: the flag does not
 * change their score for an IPv6 datagram (compute_score), so the kernel's pick between the groups falls
 * to the sk_incoming_cpu point — which CPU took the datagram and which socket last read on it (seed 199,
 * case 11: the same three datagrams went to either group from run to run).
 */
function reader(s: Sock, j: number, connected: boolean): string {
  if (!s.reuseport || connected || !s.bind) return `#${j}`;
  const native = s.family === 6 && s.bind[0].includes(':') && s.bind[0] !== '::' && !s.bind[0].startsWith('::ffff:');
  return `group(${s.family}${s.v6only && !native ? ' v6only' : ''}${s.dev ? ` dev ${s.dev}` : ''} ${s.bind[0]}:${s.bind[1]})`;
}
/**
 * A send's UDP frame with the sender's port and the checksum it enters cleared, when the sides' ports differ
 * (an autobind draws them at random): the rest still compared.
 */
function unport(f: string, port: number): string {
  const b = Uint8Array.from(Buffer.from(f, 'hex'));
  const type = (b[12]! << 8) | b[13]!;
  const l4 = type === 0x0800 ? 14 + ((b[14]! & 15) << 2) : type === 0x86dd ? 54 : 0;
  const proto = b[type === 0x0800 ? 23 : 20];
  const udp = l4 !== 0 && (proto === 17 || proto === 136) && b.length >= l4 + 8;
  if (!udp || ((b[l4]! << 8) | b[l4 + 1]!) !== port) return f;
  b.fill(0, l4, l4 + 2);
  b.fill(0, l4 + 6, l4 + 8);
  return hex(b);
}
function shown(sockets: Sock[], calls: Array<[number, number, number]>, r: FrameResult & { err?: string }, sender?: { port: number; random: boolean }): string[] {
  const from = (addr: string, port: number): string => (sender?.random && port === sender.port ? `${addr}:(the sender's port)` : `${addr}:${port}`);
  const got = r.got.map(([j, data, addr, port]) => `${reader(sockets[j]!, j, !!sockets[j]!.connect && calls[j]![1] === 0)} ${data === 'error' ? `error ${addr}` : `${data} from ${from(addr, port)}`}`).sort();
  const tx = sender?.random ? r.tx.map((t) => unport(t, sender.port)) : r.tx;
  const counters = Object.entries(pick(r.counters)).map(([k, v]) => `${k} +${v}`);
  return [...(r.err !== undefined ? [`send ${r.err || 'ok'}`] : []), ...got, ...counters, ...tx.map((t) => `tx ${t}`)];
}
const describeSock = (s: Sock): string =>
  `${s.family === 4 ? 'inet' : 'inet6'}${s.lite ? ' udplite' : ''}${s.broadcast ? ' broadcast' : ''}${s.reuseaddr ? ' reuseaddr' : ''}${s.reuseport ? ' reuseport' : ''}${s.v6only ? ' v6only' : ''}${s.dev ? ` dev ${s.dev}` : ''}` +
  `${s.bind ? ` bind ${s.bind[0]}:${s.bind[1]}` : ''}${s.connect ? ` connect ${s.connect[0]}:${s.connect[1]}` : ''}` +
  `${s.rcvbuf !== undefined ? ` rcvbuf ${s.rcvbuf}${s.hold ? ' (read last)' : ''}` : ''}${(s.mcOps ?? []).map(([op, gr, src, ifc]) => ` ${op}${gr ? ` ${gr}` : ''}${src ? ` source ${src}` : ''}${ifc ? ` if ${ifc}` : ''}`).join('')}` +
  `${(s.opts ?? []).map(([o, v]) => ` ${o}=${v}`).join('')}`;

const { runKernelCases, skip } = await udpKernelHost('udpfz');
if (skip) it.skip(skip, () => {});

describe.skipIf(skip !== '')('random socket sets and datagrams through the kernel and wxdp', () => {
  for (const seed of seeds()) {
    it(`seed ${seed}: ${N} random cases agree (WXDP_UDP_FUZZ_SEEDS=${seed} replays)`, async () => {
      const bad: string[] = [];
      const cases = udpFuzzCases(seed, N);
      const ks = runKernelCases(cases.map((c) => ({ sockets: c.sockets, frames: c.datagrams.map((d) => d.frame), sends: c.sends })));
      for (const [i, c] of cases.entries()) {
        const k = ks[i]!;
        const fx = await udpFixture();
        const t = fx.dp.socketTable;
        const w = makeWxdp(t, fx, c.sockets);
        const head = `case ${i}:\n${c.sockets.map((s, j) => `  #${j} ${describeSock(s)}`).join('\n')}` +
          c.sends.map(([j, a, p, d]) => `\n  send #${j} to ${a ?? 'its peer'}:${p} ${d.length / 2} bytes`).join('');
        const names = (calls: Array<[number, number, number]>): string => calls.map(([b, e]) => `${b ? errnoName(b) : 'ok'}/${e ? errnoName(e) : 'ok'}`).join(' ');
        if (names(w.calls) !== names(k.calls)) {
          bad.push(`${head}\n  bind/connect: kernel ${names(k.calls)}, wxdp ${names(w.calls)}`);
          continue;
        }
        const mcNames = (errs: number[][]): string => errs.map((e) => e.map((n) => (n ? errnoName(n) : 'ok')).join(',')).join(' ');
        const kmc = (k.calls as unknown as Array<[number, number, number, number[]]>).map((c) => c[3] ?? []);
        if (mcNames(kmc) !== mcNames(w.mcErrs)) {
          bad.push(`${head}\n  memberships: kernel ${mcNames(kmc)}, wxdp ${mcNames(w.mcErrs)}`);
          continue;
        }
        const unmask = (r: FrameResult): FrameResult => ({ ...r, tx: r.tx.map((h) => hex(mask(Uint8Array.from(Buffer.from(h, 'hex'))))) });
        const sendBad = c.sends.findIndex((sd, n) => {
          const kr = k.sent[n]!;
          const wr = wxdpSend(fx, t, w.ids, sd);
          const random = kr.port !== wr.port;
          const ks = shown(c.sockets, k.calls, { ...unmask(kr), err: kr.err }, { port: kr.port, random });
          const ws = shown(c.sockets, w.calls, wr, { port: wr.port, random });
          if (JSON.stringify(ks) === JSON.stringify(ws)) return false;
          bad.push(`${head}\n  at send ${n}\n${ks.map((x) => `    kernel ${x}`).join('\n')}\n${ws.map((x) => `    wxdp   ${x}`).join('\n')}`);
          return true;
        });
        if (sendBad >= 0) continue;
        for (const [n, d] of c.datagrams.entries()) {
          const kr = k.results[n]!;
          const ks = shown(c.sockets, k.calls, { ...kr, tx: kr.tx.map((h) => hex(mask(Uint8Array.from(Buffer.from(h, 'hex'))))) });
          const last = n === c.datagrams.length - 1;
          const ws = shown(c.sockets, w.calls, wxdpFrame(fx, t, w.ids, d.frame, (j) => last || !c.sockets[j]!.hold));
          if (JSON.stringify(ks) === JSON.stringify(ws)) continue;
          bad.push(`${head}\n  datagram ${n}: ${d.what}\n    in: ${hex(d.frame)}\n${ks.map((x) => `    kernel ${x}`).join('\n')}\n${ws.map((x) => `    wxdp   ${x}`).join('\n')}`);
          break; // later datagrams of the case may follow from this one
        }
      }
      if (bad.length) console.error(`seed ${seed}: ${bad.length} of ${N} differ\n${bad.join('\n')}`);
      expect(bad).toEqual([]);
    }, 600_000);
  }
});
