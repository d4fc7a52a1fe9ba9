// The frames tests/net/router_kernel.test.ts sends into the router of tests/net/fixtures/router.batch,
// one case per behaviour: forwarding (IPv4 and IPv6), the ICMP errors a router sends (RFC 1812 §4.3,
// RFC 4443), fragmentation (RFC 791), route types, policy rules, ECMP, local delivery (echo, unknown
// protocol) and malformed input. Every frame is built by hand, deterministically.
//
// Some cases also carry `expect`: what must come out, derived by hand from the RFCs and the kernel's
// documented behaviour. Those are checked against the kernel first — they prove the harness (and our
// reading of the kernel) right before wxdp is compared with it.

import {
  concat,
  eth,
  ETH_P_ARP,
  ETH_P_IP,
  ETH_P_IPV6,
  icmp4,
  icmp6,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_UDP,
  ipv4,
  ipv6,
  pattern,
  udp,
  type Ipv4Fields,
  type Ipv6Fields,
  describeFrame,
  etherType,
  hex,
  inetChecksum,
} from '../support/frames.js';
import type { PortOutput, RouterPort } from '../support/router.js';
import { ipv4Bytes, ipv6Bytes, macBytes } from '../../src/control/addresses.js';

/** An ARP packet for Ethernet/IPv4 (RFC 826): hardware 1, protocol 0x0800, lengths 6 and 4. */
function arp(op: number, sha: string, spa: string, tha: string, tpa: string): Uint8Array {
  return concat(Uint8Array.of(0, 1, 8, 0, 6, 4, 0, op), macBytes(sha), ipv4Bytes(spa), macBytes(tha), ipv4Bytes(tpa));
}

export const PORTS: readonly RouterPort[] = [
  { name: 'eth0', wire: 'w0' },
  { name: 'eth1', wire: 'w1' },
  { name: 'eth2', wire: 'w2' },
];

/** MACs of tests/net/fixtures/router.batch: the router's ports and the hosts behind them. */
export const MAC = {
  r0: '02:00:00:00:0a:00',
  r1: '02:00:00:00:0a:01',
  r2: '02:00:00:00:0a:02',
  h1: '02:00:00:00:0b:01',
  h1b: '02:00:00:00:0b:11',
  h2: '02:00:00:00:0b:02',
  h3: '02:00:00:00:0b:03',
  other: '02:00:00:00:0c:99',
} as const;

/** The router's own addresses (what it sends from; fe80::ff:fe00:a00 is eth0's link-local, EUI-64 of its MAC; P:: the Subnet-Router anycast addresses a forwarding router holds). */
export const ROUTER_ADDRS = ['198.51.100.1', '203.0.113.1', '192.0.2.1', '2001:db8:1::1', '2001:db8:2::1', '2001:db8:3::1', 'fe80::ff:fe00:a00', '2001:db8:1::', '2001:db8:2::', '2001:db8:3::'];

export interface RouterCase {
  /** Reads as a sentence. */
  name: string;
  ingress: string;
  frames: Uint8Array[];
  /** What must come out, per port (ports left out: nothing), derived by hand. */
  expect?: PortOutput;
  /** A looser hand-derived check, for outputs whose exact bytes are the kernel's business. */
  check?: (out: PortOutput) => void;
}

const H1 = '198.51.100.2';
const H1V6 = '2001:db8:1::2';

/** A UDP/IPv4 packet from h1 arriving on eth0, to `dst`. */
function udp4(dst: string, o: Partial<Ipv4Fields> & { sport?: number; dport?: number; len?: number } = {}): Ipv4Fields {
  const src = o.src ?? H1;
  const payload = udp(src, dst, o.sport ?? 40000, o.dport ?? 9, pattern(o.len ?? 18, 0x41));
  return { src, dst, proto: IPPROTO_UDP, payload, id: 0x1001, ...o };
}

function udp6(dst: string, o: Partial<Ipv6Fields> & { sport?: number; dport?: number; len?: number } = {}): Ipv6Fields {
  const src = o.src ?? H1V6;
  const payload = udp(src, dst, o.sport ?? 40000, o.dport ?? 9, pattern(o.len ?? 18, 0x61));
  return { src, dst, nextHeader: IPPROTO_UDP, payload, flowLabel: 0x12345, ...o };
}

const in4 = (f: Ipv4Fields, dstMac: string = MAC.r0) => eth(dstMac, MAC.h1, ETH_P_IP, ipv4(f));
const in6 = (f: Ipv6Fields, dstMac: string = MAC.r0) => eth(dstMac, MAC.h1, ETH_P_IPV6, ipv6(f));
/** The same packet forwarded: MACs of the egress hop, TTL / hop limit one less, checksum recomputed. */
const fwd4 = (f: Ipv4Fields, src: string, dst: string) => eth(dst, src, ETH_P_IP, ipv4({ ...f, ttl: (f.ttl ?? 64) - 1 }));
const fwd6 = (f: Ipv6Fields, src: string, dst: string) => eth(dst, src, ETH_P_IPV6, ipv6({ ...f, hopLimit: (f.hopLimit ?? 64) - 1 }));

/**
 * An ICMP error from the router to h1 as the kernel builds it (icmp_send): TOS 0xc0 (precedence
 * "internetwork control", RFC 1812 §4.3.2.5), TTL 64, no DF, quoting the offending packet up to 576
 * bytes in all (RFC 1812 §4.3.2.3). The IP ID is the kernel's random pick: the test masks it.
 */
function icmpErr4(type: number, code: number, rest: number, offending: Uint8Array, from = '198.51.100.1', to = H1): Uint8Array {
  const quote = offending.subarray(0, 576 - 20 - 8);
  return eth(MAC.h1, MAC.r0, ETH_P_IP, ipv4({ src: from, dst: to, proto: IPPROTO_ICMP, ttl: 64, tos: 0xc0, id: 0, payload: icmp4(type, code, rest, quote) }));
}

/**
 * An ICMPv6 error to h1 (icmp6_send): traffic class 0, hop limit 64 (the device's), quoting up to
 * 1280 bytes in all (RFC 4443 §2.4 (c)). The flow label is the kernel's hash (auto_flowlabels): masked.
 */
function icmpErr6(type: number, code: number, rest: number, offending: Uint8Array, from = '2001:db8:1::1'): Uint8Array {
  const quote = offending.subarray(0, 1280 - 40 - 8);
  return eth(MAC.h1, MAC.r0, ETH_P_IPV6, ipv6({ src: from, dst: H1V6, nextHeader: IPPROTO_ICMPV6, hopLimit: 64, payload: icmp6(from, H1V6, type, code, rest, quote) }));
}

const nothing: PortOutput = {};

/** ECMP over eth1 and eth2: all `n` frames out, each path used (which one a flow takes is the comparison's business). */
const overBothPaths = (n: number) => (out: PortOutput) => {
  const n1 = out['eth1']?.length ?? 0;
  const n2 = out['eth2']?.length ?? 0;
  if (n1 + n2 !== n || n1 === 0 || n2 === 0) throw new Error(`expected ${n} frames over eth1 and eth2, got ${n1} + ${n2}`);
};

/** ECMP: all `n` frames out of one of eth1 and eth2 (a hash that sees nothing that differs between them). */
const overOnePath = (n: number) => (out: PortOutput) => {
  const n1 = out['eth1']?.length ?? 0;
  const n2 = out['eth2']?.length ?? 0;
  if (!((n1 === n && n2 === 0) || (n2 === n && n1 === 0))) throw new Error(`expected ${n} frames over one of eth1 and eth2, got ${n1} + ${n2}`);
};

/** A TCP segment (RFC 9293): 20-byte header, `flags`, window 1024, checksummed over the IPv4 or IPv6 pseudo-header. */
export function tcp4(src: string, dst: string, sport: number, dport: number, flags: number): Uint8Array {
  const t = new Uint8Array(20);
  const v = new DataView(t.buffer);
  v.setUint16(0, sport);
  v.setUint16(2, dport);
  v.setUint32(4, 0x01020304);
  t[12] = 5 << 4;
  t[13] = flags;
  v.setUint16(14, 1024);
  const ph = src.includes(':') ? concat(ipv6Bytes(src), ipv6Bytes(dst), Uint8Array.of(0, 0, 0, 20, 0, 0, 0, 6)) : concat(ipv4Bytes(src), ipv4Bytes(dst), Uint8Array.of(0, 6, 0, 20));
  v.setUint16(16, inetChecksum(ph, t));
  return t;
}

/** An ESP packet (RFC 4303): SPI, sequence number, then opaque bytes. */
const esp = (spi: number) => concat(Uint8Array.of(spi >>> 24, (spi >>> 16) & 0xff, (spi >>> 8) & 0xff, spi & 0xff, 0, 0, 0, 1), pattern(24, 0x33));

/** A UDP datagram of `ulen` bytes (checksummed over them) with `extra` bytes after it inside the IP payload. */
const udpShort = (src: string, dst: string, ulen: number, extra: number) => concat(udp(src, dst, 40000, 9, pattern(ulen - 8, 0x51)), pattern(extra, 0x99));

// ---- IPv4 ----

const toH2 = udp4('203.0.113.2');
const toNet = udp4('198.51.100.70');
/** A 728-byte datagram to 198.51.100.77 (via h2), whose path MTU a case locks at 552. */
const toLocked = udp4('198.51.100.77', { len: 700 });
const ttl1 = udp4('203.0.113.2', { ttl: 1 });
const ttl0 = udp4('203.0.113.2', { ttl: 0 });
const bigDf = udp4('192.0.2.70', { df: true, len: 1372 }); // 20 + 8 + 1372 = 1400 > eth2's 1280
const big = udp4('192.0.2.70', { len: 1372, id: 0x2002 });
const dfFits = udp4('192.0.2.70', { df: true, len: 1200 });
// Route errors (ip_error) are rate limited per source by net.ipv4.route.error_cost / error_burst, which
// exist only in the initial namespace (1 s per error, a burst of 5, with tokens the ICMP rate limit
// shares): each such case comes from its own source (h1's aliases .4, .5, .6), whose budget is full.
const noRoute = udp4('192.0.2.150', { src: '198.51.100.4' });
const unreachable = udp4('203.0.113.170', { src: '198.51.100.5' });
const prohibit = udp4('203.0.113.200', { src: '198.51.100.6' });
const hairpin = udp4('192.0.2.200');
const policy = udp4('203.0.113.100');
const notPolicy = udp4('203.0.113.120');
const padded = udp4('203.0.113.2', { len: 2 }); // 30-byte packet in a 60-byte frame
const fragment = udp4('203.0.113.2', { mf: true, fragOffset: 0, id: 0x3003 });
const echo4 = (dst: string) => ({ src: H1, dst, proto: IPPROTO_ICMP, id: 0x4004, payload: icmp4(8, 0, (0x1234 << 16) | 1, pattern(32)) });
/** icmp_reply: type 0, identifier, sequence and data echoed (RFC 792), TOS copied, TTL 64, no DF; the ID is masked. */
const echoReply4 = (from: string) => eth(MAC.h1, MAC.r0, ETH_P_IP, ipv4({ src: from, dst: H1, proto: IPPROTO_ICMP, ttl: 64, id: 0, payload: icmp4(0, 0, (0x1234 << 16) | 1, pattern(32)) }));
/** An echo request's ICMP message (48 bytes) and a UDP datagram to the router's closed port 9 (26 bytes), sent in fragments. */
const fragEcho4 = icmp4(8, 0, (0x1234 << 16) | 2, pattern(40));
const fragUdp4 = udp(H1, '198.51.100.1', 40000, 9, pattern(18, 0x41));
/** The ID that gives `f` the header checksum `want` (found by trying them all: 64k sums of 20 bytes). */
function idForChecksum(f: Ipv4Fields, want: number): number {
  for (let id = 0; id <= 0xffff; id++) {
    const h = ipv4({ ...f, id });
    if (((h[10]! << 8) | h[11]!) === want) return id;
  }
  throw new Error(`no ID gives checksum 0x${want.toString(16)}`);
}
// TTL 64 → 63 adds 0x0100 to the checksum (RFC 1624): from 0xfeff that is 0xffff, which the kernel's
// ip_decrease_ttl folds to 0x0000 — the one case where a careless update writes 0xffff.
const csumEdge = udp4('203.0.113.2', { id: idForChecksum(udp4('203.0.113.2'), 0xfeff) });
// Record route (RFC 791 §3.1): type 7, length 11, pointer 4, two empty slots, then an end-of-options byte.
const recordRoute = udp4('203.0.113.2', { options: Uint8Array.of(7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0) });

function ipv4Frames(): RouterCase[] {
  return [
    { name: 'a UDP packet to a directly connected host is forwarded with TTL 63 and the next hop MACs', ingress: 'eth0', frames: [in4(toH2)], expect: { eth1: [fwd4(toH2, MAC.r1, MAC.h2)] } },
    {
      name: 'a TTL decrement that carries the checksum through 0xffff is folded as the kernel folds it',
      ingress: 'eth0',
      frames: [in4(csumEdge)],
      expect: { eth1: [fwd4(csumEdge, MAC.r1, MAC.h2)] },
      check: (out) => {
        const f = out['eth1']![0]!;
        if (((f[24]! << 8) | f[25]!) !== 0x0000) throw new Error(`checksum 0x${((f[24]! << 8) | f[25]!).toString(16)}, expected 0x0000`);
      },
    },
    { name: 'a packet to a routed network goes to the gateway', ingress: 'eth0', frames: [in4(toNet)], expect: { eth1: [fwd4(toNet, MAC.r1, MAC.h2)] } },
    { name: 'TTL 1 gets ICMP time exceeded (11/0) quoting the packet', ingress: 'eth0', frames: [in4(ttl1)], expect: { eth0: [icmpErr4(11, 0, 0, ipv4(ttl1))] } },
    { name: 'TTL 0 gets ICMP time exceeded too', ingress: 'eth0', frames: [in4(ttl0)], expect: { eth0: [icmpErr4(11, 0, 0, ipv4(ttl0))] } },
    {
      name: 'DF and bigger than the egress MTU gets ICMP fragmentation needed (3/4) with MTU 1280',
      ingress: 'eth0',
      frames: [in4(bigDf)],
      expect: { eth0: [icmpErr4(3, 4, 1280, ipv4(bigDf))] },
    },
    {
      // icmp_err → ipv4_update_pmtu for a report quoting an echo reply of ours: 500 is under min_pmtu, so
      // __ip_rt_update_pmtu locks the exception at 552 (nothing answers the report)
      name: 'a fragmentation needed below 552 about our echo reply to 198.51.100.77 locks a PMTU of 552',
      ingress: 'eth1',
      frames: [eth(MAC.r1, MAC.h2, ETH_P_IP, ipv4({ src: '203.0.113.2', dst: '203.0.113.1', proto: IPPROTO_ICMP, id: 0x7701, payload: icmp4(3, 4, 500, ipv4({ src: '203.0.113.1', dst: '198.51.100.77', proto: IPPROTO_ICMP, id: 0x7702, payload: icmp4(0, 0, 0x12340001, pattern(8)) }).subarray(0, 28)) }))],
      expect: nothing,
    },
    {
      // ip_dst_mtu_maybe_forward(dst, true) honours a learned PMTU when it is locked (ip_mtu_locked): a
      // forwarded 728-byte datagram leaves in fragments of 548 and 200 bytes (528 + 180 of its 708)
      name: 'a forwarded datagram to 198.51.100.77 is then cut at the locked 552, though eth1 has MTU 1500',
      ingress: 'eth0',
      frames: [in4(toLocked)],
      expect: {
        eth1: [
          eth(MAC.h2, MAC.r1, ETH_P_IP, ipv4({ ...toLocked, ttl: 63, mf: true, payload: toLocked.payload.subarray(0, 528) })),
          eth(MAC.h2, MAC.r1, ETH_P_IP, ipv4({ ...toLocked, ttl: 63, fragOffset: 528 / 8, payload: toLocked.payload.subarray(528) })),
        ],
      },
    },
    {
      name: 'with DF it gets fragmentation needed with MTU 552',
      ingress: 'eth0',
      frames: [in4({ ...toLocked, df: true })],
      expect: { eth0: [icmpErr4(3, 4, 552, ipv4({ ...toLocked, df: true }))] },
    },
    { name: 'a DF packet that fits the egress MTU is forwarded with DF kept', ingress: 'eth0', frames: [in4(dfFits)], expect: { eth2: [fwd4(dfFits, MAC.r2, MAC.h3)] } },
    {
      name: 'without DF, a packet bigger than the egress MTU leaves in fragments of at most 1280 bytes',
      ingress: 'eth0',
      frames: [in4(big)],
      // RFC 791: 1280 - 20 = 1260 bytes of data per fragment, rounded down to 8: 1256, then 1380 - 1256 = 124.
      expect: (() => {
        const whole = ipv4(big).subarray(20);
        const f1 = ipv4({ ...big, ttl: 63, mf: true, payload: whole.subarray(0, 1256) });
        const f2 = ipv4({ ...big, ttl: 63, fragOffset: 1256 / 8, payload: whole.subarray(1256) });
        return { eth2: [eth(MAC.h3, MAC.r2, ETH_P_IP, f1), eth(MAC.h3, MAC.r2, ETH_P_IP, f2)] };
      })(),
    },
    { name: 'no route gets ICMP net unreachable (3/0)', ingress: 'eth0', frames: [in4(noRoute)], expect: { eth0: [icmpErr4(3, 0, 0, ipv4(noRoute), undefined, noRoute.src)] } },
    { name: 'a blackhole route drops silently', ingress: 'eth0', frames: [in4(udp4('203.0.113.130'))], expect: nothing },
    { name: 'an unreachable route gets ICMP host unreachable (3/1)', ingress: 'eth0', frames: [in4(unreachable)], expect: { eth0: [icmpErr4(3, 1, 0, ipv4(unreachable), undefined, unreachable.src)] } },
    { name: 'a prohibit route gets ICMP communication administratively prohibited (3/13)', ingress: 'eth0', frames: [in4(prohibit)], expect: { eth0: [icmpErr4(3, 13, 0, ipv4(prohibit), undefined, prohibit.src)] } },
    { name: 'a rule sends h1 to 203.0.113.96/28 through table 100 (eth2)', ingress: 'eth0', frames: [in4(policy)], expect: { eth2: [fwd4(policy, MAC.r2, MAC.h3)] } },
    { name: 'outside the rule the main table decides (eth1)', ingress: 'eth0', frames: [in4(notPolicy)], expect: { eth1: [fwd4(notPolicy, MAC.r1, MAC.h2)] } },
    { name: 'a packet routed back out its ingress port is forwarded without an ICMP redirect (send_redirects 0)', ingress: 'eth0', frames: [in4(hairpin)], expect: { eth0: [fwd4(hairpin, MAC.r0, MAC.h1b)] } },
    {
      name: 'ECMP: eight flows to 198.51.100.128/25 spread over both next hops by the seeded L4 hash',
      ingress: 'eth0',
      frames: Array.from({ length: 8 }, (_, i) => in4(udp4('198.51.100.130', { sport: 50000 + i * 7 }))),
      check: overBothPaths(8),
    },
    {
      name: 'Ethernet padding after the IP packet is trimmed before forwarding',
      ingress: 'eth0',
      frames: [concat(in4(padded), new Uint8Array(60 - in4(padded).length))],
      expect: { eth1: [fwd4(padded, MAC.r1, MAC.h2)] },
    },
    { name: 'a fragment is forwarded as it is', ingress: 'eth0', frames: [in4(fragment)], expect: { eth1: [fwd4(fragment, MAC.r1, MAC.h2)] } },
    {
      name: 'record route (RFC 791) is forwarded with the egress address in its first slot',
      ingress: 'eth0',
      frames: [in4(recordRoute)],
      // RFC 1812 §5.2.4.4 / ip_forward_options: the outgoing interface's address, the pointer moved by 4.
      expect: { eth1: [fwd4({ ...recordRoute, options: Uint8Array.of(7, 11, 8, 203, 0, 113, 1, 0, 0, 0, 0, 0) }, MAC.r1, MAC.h2)] },
    },
    { name: 'an echo request to the ingress port address is answered', ingress: 'eth0', frames: [in4(echo4('198.51.100.1'))], expect: { eth0: [echoReply4('198.51.100.1')] } },
    // router fuzz seeds 1721 and 1723 (fragxCase, fz57): the datagram reassembled for local delivery keeps its first
    // fragment's compiled options (inet_frag_reasm_prepare's skb_morph copies the head's IPCB), which ip_options_echo
    // reads; wxdp's answers about a reassembled datagram carried no options
    {
      name: 'an echo request with record route in three fragments, the first one second, is answered with the option echoed',
      ingress: 'eth0',
      // the first fragment's record route gets the router's address on receive (ip_options_compile, pointer 8), the
      // reply's ip_options_build its source's in the next slot (pointer 12); the later fragments carry the option as
      // ip_options_fragment leaves it (NOPs)
      frames: [fragEcho4.slice(8, 24), fragEcho4.slice(0, 8), fragEcho4.slice(24, 48)].map((part, i) => in4({
        src: H1, dst: '198.51.100.1', proto: IPPROTO_ICMP, id: 0x6b01, mf: i < 2, fragOffset: [1, 0, 3][i],
        options: i === 1 ? Uint8Array.of(7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0) : Uint8Array.of(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0), payload: part,
      })),
      expect: {
        eth0: [eth(MAC.h1, MAC.r0, ETH_P_IP, ipv4({
          src: '198.51.100.1', dst: H1, proto: IPPROTO_ICMP, ttl: 64, id: 0, payload: icmp4(0, 0, (0x1234 << 16) | 2, pattern(40)),
          options: Uint8Array.of(7, 11, 12, 198, 51, 100, 1, 198, 51, 100, 1, 0),
        }))],
      },
    },
    {
      name: 'UDP to a closed port with a full timestamp option, reassembled from fragments, has the option echoed in the port unreachable',
      ingress: 'eth0',
      // the overflow counter goes up by one on receive (ip_options_compile: the option is full); the error echoes
      // and quotes the header as it was then
      frames: [fragUdp4.slice(8, 16), fragUdp4.slice(16), fragUdp4.slice(0, 8)].map((part, i) => in4({
        src: H1, dst: '198.51.100.1', proto: IPPROTO_UDP, id: 0x6b02, mf: i !== 1, fragOffset: [1, 2, 0][i],
        options: i === 2 ? Uint8Array.of(68, 8, 9, 0, 0, 0, 0, 0) : undefined, payload: part,
      })),
      expect: {
        eth0: [eth(MAC.h1, MAC.r0, ETH_P_IP, ipv4({
          src: '198.51.100.1', dst: H1, proto: IPPROTO_ICMP, ttl: 64, tos: 0xc0, id: 0, options: Uint8Array.of(68, 8, 9, 0x10, 0, 0, 0, 0),
          payload: icmp4(3, 3, 0, ipv4({ src: H1, dst: '198.51.100.1', proto: IPPROTO_UDP, id: 0x6b02, options: Uint8Array.of(68, 8, 9, 0x10, 0, 0, 0, 0), payload: fragUdp4 })),
        }))],
      },
    },
    {
      name: 'an echo request to another port address of the router is answered from that address',
      ingress: 'eth0',
      frames: [in4(echo4('203.0.113.1'))],
      expect: { eth0: [echoReply4('203.0.113.1')] },
    },
    {
      // __skb_flow_dissect without FLOW_DISSECTOR_F_PARSE_1ST_FRAG: a fragment, the first one too, ends
      // the dissection before the ports, so fib_multipath_hash sees addresses and protocol alone
      name: 'ECMP: first fragments of eight UDP flows are hashed without their ports, onto one path',
      ingress: 'eth0',
      frames: Array.from({ length: 8 }, (_, i) => in4(udp4('198.51.100.130', { sport: 50000 + i * 7, mf: true, id: 0x6000 + i }))),
      check: overOnePath(8),
    },
    {
      // proto_ports_offset: ESP's SPI stands in for the ports
      name: 'ECMP: eight ESP flows (SPIs) spread over both next hops by the SPI',
      ingress: 'eth0',
      frames: Array.from({ length: 8 }, (_, i) => in4({ src: H1, dst: '198.51.100.130', proto: 50, id: 0x6100 + i, payload: esp(0x1000 + i * 0x10101) })),
      check: overBothPaths(8),
    },
    {
      // __udp4_lib_rcv trims the skb to the UDP length (pskb_trim_rcsum) before icmp_send quotes it
      name: 'a UDP datagram shorter than its IP payload, to a closed port: port unreachable quotes it up to the UDP length',
      ingress: 'eth0',
      frames: [in4({ src: H1, dst: '198.51.100.1', proto: IPPROTO_UDP, id: 0x6200, payload: udpShort(H1, '198.51.100.1', 18, 20) })],
      expect: { eth0: [icmpErr4(3, 3, 0, ipv4({ src: H1, dst: '198.51.100.1', proto: IPPROTO_UDP, id: 0x6200, payload: udpShort(H1, '198.51.100.1', 18, 20) }).subarray(0, 20 + 18))] },
    },
    {
      name: 'an unknown protocol to the router gets ICMP protocol unreachable (3/2)',
      ingress: 'eth0',
      frames: [in4({ src: H1, dst: '198.51.100.1', proto: 253, id: 0x5005, payload: pattern(16) })],
      expect: { eth0: [icmpErr4(3, 2, 0, ipv4({ src: H1, dst: '198.51.100.1', proto: 253, id: 0x5005, payload: pattern(16) }))] },
    },
    {
      name: 'an ARP request for the router\'s address is answered with its MAC (RFC 826)',
      ingress: 'eth0',
      frames: [eth('ff:ff:ff:ff:ff:ff', MAC.h1, ETH_P_ARP, arp(1, MAC.h1, H1, '00:00:00:00:00:00', '198.51.100.1'))],
      expect: { eth0: [eth(MAC.h1, MAC.r0, ETH_P_ARP, arp(2, MAC.r0, '198.51.100.1', MAC.h1, H1))] },
    },
    {
      // arp_process: a probe (sender 0.0.0.0, RFC 5227) is answered when inet_addr_type_dev_table calls the target
      // local, which asks table local with no device: eth1's address too, from eth0 with eth0's MAC, to the
      // prober's MAC, target 0.0.0.0; wxdp asked for eth0's addresses only (router fuzz neighCase, seed 9002)
      name: 'an ARP probe for another port\'s address is answered on the port it came in by',
      ingress: 'eth0',
      frames: [eth('ff:ff:ff:ff:ff:ff', MAC.h1, ETH_P_ARP, arp(1, MAC.h1, '0.0.0.0', '00:00:00:00:00:00', '203.0.113.1'))],
      expect: { eth0: [eth(MAC.h1, MAC.r0, ETH_P_ARP, arp(2, MAC.r0, '203.0.113.1', MAC.h1, '0.0.0.0'))] },
    },
    // Malformed IPv4 (ip_rcv_core): every one is dropped, nothing goes out.
    { name: 'a bad IPv4 header checksum is dropped', ingress: 'eth0', frames: [in4({ ...toH2, checksum: 0xbeef })], expect: nothing },
    { name: 'IHL 4 is dropped', ingress: 'eth0', frames: [in4({ ...toH2, ihl: 4 })], expect: nothing },
    { name: 'a total length beyond the frame is dropped', ingress: 'eth0', frames: [in4({ ...toH2, totalLength: 200 })], expect: nothing },
    { name: 'a total length shorter than the header is dropped', ingress: 'eth0', frames: [in4({ ...toH2, totalLength: 16 })], expect: nothing },
    { name: 'version 6 in an IPv4 frame is dropped', ingress: 'eth0', frames: [in4({ ...toH2, version: 6 })], expect: nothing },
    { name: 'a frame cut inside the IPv4 header is dropped', ingress: 'eth0', frames: [in4(toH2).subarray(0, 14 + 12)], expect: nothing },
    { name: 'a loopback source address is dropped as a martian', ingress: 'eth0', frames: [in4(udp4('203.0.113.2', { src: '127.0.0.1' }))], expect: nothing },
    { name: 'a frame for another MAC address is not routed', ingress: 'eth0', frames: [in4(toH2, MAC.other)], expect: nothing },
    { name: 'a TCP SYN to a closed port of the router is answered with a reset', ingress: 'eth0', frames: [in4({ src: H1, dst: '198.51.100.1', proto: 6, id: 0x6300, payload: tcp4(H1, '198.51.100.1', 40000, 9, 0x02) })] },
    {
      // ip_send_unicast_reply echoes the segment's options (__ip_options_echo): a record route with a free
      // slot gets the router's address in it (ip_options_build), a full one is echoed as it came
      name: 'a SYN carrying record route options is reset with the options echoed (one with room, one full)',
      ingress: 'eth0',
      frames: [
        in4({ src: H1, dst: '198.51.100.1', proto: 6, id: 0x6302, options: Uint8Array.of(7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0), payload: tcp4(H1, '198.51.100.1', 40001, 9, 0x02) }),
        in4({ src: H1, dst: '198.51.100.1', proto: 6, id: 0x6303, options: Uint8Array.of(7, 7, 8, 192, 0, 2, 9, 0), payload: tcp4(H1, '198.51.100.1', 40002, 9, 0x10) }),
      ],
    },
    {
      // tcp_v4_rcv: skb->pkt_type != PACKET_HOST is discarded first, whatever the IP destination
      name: 'the same SYN in an Ethernet broadcast frame is discarded without a reset',
      ingress: 'eth0',
      frames: [in4({ src: H1, dst: '198.51.100.1', proto: 6, id: 0x6301, payload: tcp4(H1, '198.51.100.1', 40000, 9, 0x02) }, 'ff:ff:ff:ff:ff:ff')],
      expect: nothing,
    },
  ];
}

// ---- IPv6 ----

const toH2v6 = udp6('2001:db8:2::2');
const toNet6 = udp6('2001:db8:10::5');
// RFC 8200 §4.6: next header UDP, length 0 (8 bytes), one PadN option of 4 bytes.
const destOpts6 = { ...udp6('2001:db8:2::2'), nextHeader: 60, payload: concat(Uint8Array.of(IPPROTO_UDP, 0, 1, 4, 0, 0, 0, 0), udp6('2001:db8:2::2').payload) };
const hlim1 = udp6('2001:db8:2::2', { hopLimit: 1 });
/** UDP to h2 behind a hop-by-hop header (8 bytes: next header, length 0, then `opts`, 6 bytes). */
const hbh6 = (opts: number[]) => ({ ...udp6('2001:db8:2::2'), nextHeader: 0, payload: concat(Uint8Array.of(IPPROTO_UDP, 0, ...opts), udp6('2001:db8:2::2').payload) });
// IOAM (RFC 9486, type 49) with 2 bytes of data: at offset 42 of the packet (ipv6_hop_ioam: not 4n-aligned, dropped),
// or behind two Pad1s at 44 (aligned; ignored, as ioam6_enabled is 0 on every device)
const ioamOdd6 = hbh6([49, 2, 0, 0, 0, 0]);
const ioamAligned6 = hbh6([0, 0, 49, 2, 0, 0]);
// CALIPSO (RFC 5570, type 7), 8 bytes: DOI 1, no compartment bitmap — longer than the header's 6 bytes of options, so
// a 16-byte header: ipv6_hop_calipso's checks pass, calipso_validate finds no DOI (none configured): dropped
const calipso6 = { ...udp6('2001:db8:2::2'), nextHeader: 0, payload: concat(Uint8Array.of(IPPROTO_UDP, 1, 7, 8, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 0, 0), udp6('2001:db8:2::2').payload) };
// the same option in a destination options header: only ip6_parse_tlv's hop-by-hop pass knows CALIPSO; a router
// never reads the destination options of what it forwards either
const calipsoDst6 = { ...calipso6, nextHeader: 60 };
const big6 = udp6('2001:db8:30::5', { len: 1392 }); // 40 + 8 + 1392 = 1440 > 1280
/** 1440 bytes to 2001:db8:10::77 (via h2, eth1's MTU 1500), whose path MTU a case sets to 1280. */
const toPmtu6 = udp6('2001:db8:10::77', { len: 1392 });
const noRoute6 = udp6('2001:db8:99::1');
const echo6 = (dst: string) => ({ src: H1V6, dst, nextHeader: IPPROTO_ICMPV6, flowLabel: 0, payload: icmp6(H1V6, dst, 128, 0, (0x4321 << 16) | 1, pattern(32)) });
/** icmpv6_echo_reply: type 129, the rest echoed (RFC 4443 §4.2), hop limit 64; the flow label is masked. */
const echoReply6 = (from: string) => eth(MAC.h1, MAC.r0, ETH_P_IPV6, ipv6({ src: from, dst: H1V6, nextHeader: IPPROTO_ICMPV6, hopLimit: 64, payload: icmp6(from, H1V6, 129, 0, (0x4321 << 16) | 1, pattern(32)) }));
// RFC 4861 §4.3: NS to the solicited-node group of 2001:db8:1::1, hop limit 255, with h1's link-layer
// address; §4.4 / ndisc_send_na: the NA goes to h1 from the target, hop limit 255, flow label 0,
// flags Router (forwarding is on), Solicited and Override, and the target link-layer address option.
const ns6 = {
  src: H1V6,
  dst: 'ff02::1:ff00:1',
  nextHeader: IPPROTO_ICMPV6,
  hopLimit: 255,
  flowLabel: 0,
  payload: icmp6(H1V6, 'ff02::1:ff00:1', 135, 0, 0, concat(ipv6Bytes('2001:db8:1::1'), Uint8Array.of(1, 1), macBytes(MAC.h1))),
};
const na6 = {
  src: '2001:db8:1::1',
  dst: H1V6,
  nextHeader: IPPROTO_ICMPV6,
  hopLimit: 255,
  payload: icmp6('2001:db8:1::1', H1V6, 136, 0, 0xe0000000, concat(ipv6Bytes('2001:db8:1::1'), Uint8Array.of(2, 1), macBytes(MAC.r0))),
};
/** An echo request from h3 (on eth2) to eth0's link-local address, hop limit 1. */
const llFromH3: Ipv6Fields = { src: '2001:db8:3::2', dst: 'fe80::ff:fe00:a00', nextHeader: IPPROTO_ICMPV6, hopLimit: 1, flowLabel: 0, payload: icmp6('2001:db8:3::2', 'fe80::ff:fe00:a00', 128, 0, (0x4321 << 16) | 7, pattern(24)) };
const unknownNh6 = { src: H1V6, dst: '2001:db8:1::1', nextHeader: 253, payload: pattern(16) };

function ipv6Frames(): RouterCase[] {
  return [
    { name: 'an IPv6 packet to a connected host is forwarded with hop limit 63', ingress: 'eth0', frames: [in6(toH2v6)], expect: { eth1: [fwd6(toH2v6, MAC.r1, MAC.h2)] } },
    {
      name: 'an IPv6 packet with a destination options header is forwarded unchanged but for the hop limit',
      ingress: 'eth0',
      frames: [in6(destOpts6)],
      expect: { eth1: [fwd6(destOpts6, MAC.r1, MAC.h2)] },
    },
    { name: 'an IPv6 packet to a routed network goes to the gateway', ingress: 'eth0', frames: [in6(toNet6)], expect: { eth1: [fwd6(toNet6, MAC.r1, MAC.h2)] } },
    // router fuzz seed 1604 (extCase, fz56): wxdp took IOAM and CALIPSO for unknown options of action 0 (skipped)
    { name: 'a hop-by-hop IOAM option not 4n-aligned drops the packet', ingress: 'eth0', frames: [in6(ioamOdd6)], expect: nothing },
    { name: 'a hop-by-hop IOAM option 4n-aligned is ignored and the packet forwarded', ingress: 'eth0', frames: [in6(ioamAligned6)], expect: { eth1: [fwd6(ioamAligned6, MAC.r1, MAC.h2)] } },
    { name: 'a hop-by-hop CALIPSO option of a DOI nobody configured drops the packet', ingress: 'eth0', frames: [in6(calipso6)], expect: nothing },
    { name: 'a CALIPSO option in destination options is forwarded unchanged but for the hop limit', ingress: 'eth0', frames: [in6(calipsoDst6)], expect: { eth1: [fwd6(calipsoDst6, MAC.r1, MAC.h2)] } },
    { name: 'hop limit 1 gets ICMPv6 time exceeded (3/0)', ingress: 'eth0', frames: [in6(hlim1)], expect: { eth0: [icmpErr6(3, 0, 0, ipv6(hlim1))] } },
    { name: 'bigger than the egress MTU gets ICMPv6 packet too big (2/0) with MTU 1280', ingress: 'eth0', frames: [in6(big6)], expect: { eth0: [icmpErr6(2, 0, 1280, ipv6(big6))] } },
    {
      // icmpv6_err (the quoted header's ICMPv6 handler, whatever the quoted type) → ip6_update_pmtu: an
      // exception of 1280 toward 2001:db8:10::77 on the route via h2 (eth1, MTU 1500); nothing answers
      name: 'a packet too big of 1280 from h2 quoting an echo request of ours to 2001:db8:10::77 learns that path MTU',
      ingress: 'eth1',
      frames: [eth(MAC.r1, MAC.h2, ETH_P_IPV6, ipv6({ src: '2001:db8:2::2', dst: '2001:db8:2::1', nextHeader: IPPROTO_ICMPV6, payload: icmp6('2001:db8:2::2', '2001:db8:2::1', 2, 0, 1280, ipv6({ src: '2001:db8:2::1', dst: '2001:db8:10::77', nextHeader: IPPROTO_ICMPV6, payload: icmp6('2001:db8:2::1', '2001:db8:10::77', 128, 0, 0x43210001, pattern(8)) })) }))],
      expect: nothing,
    },
    {
      // ip6_forward passes it (ip6_dst_mtu_maybe_forward(dst, true): eth1's mtu6, the unlocked exception
      // left out) and decrements the hop limit; ip6_fragment then takes dst_mtu — the exception's 1280 —
      // and a forwarded datagram is never cut: fail_toobig. Router fuzz seed 127 (a big frame from h2 back to h2).
      name: 'a forwarded 1440-byte datagram to 2001:db8:10::77 then gets packet too big 1280 quoting it at hop limit 63',
      ingress: 'eth0',
      frames: [in6(toPmtu6)],
      expect: { eth0: [icmpErr6(2, 0, 1280, ipv6({ ...toPmtu6, hopLimit: 63 }))] },
    },
    { name: 'one within that path MTU is forwarded whole', ingress: 'eth0', frames: [in6(udp6('2001:db8:10::77', { len: 1000 }))], expect: { eth1: [fwd6(udp6('2001:db8:10::77', { len: 1000 }), MAC.r1, MAC.h2)] } },
    { name: 'no IPv6 route gets ICMPv6 no route to destination (1/0)', ingress: 'eth0', frames: [in6(noRoute6)], expect: { eth0: [icmpErr6(1, 0, 0, ipv6(noRoute6))] } },
    { name: 'an IPv6 blackhole route drops silently', ingress: 'eth0', frames: [in6(udp6('2001:db8:f0::1'))], expect: nothing },
    { name: 'an IPv6 unreachable route gets ICMPv6 no route (1/0)', ingress: 'eth0', frames: [in6(udp6('2001:db8:f1::1'))], expect: { eth0: [icmpErr6(1, 0, 0, ipv6(udp6('2001:db8:f1::1')))] } },
    { name: 'an IPv6 prohibit route gets ICMPv6 administratively prohibited (1/1)', ingress: 'eth0', frames: [in6(udp6('2001:db8:f2::1'))], expect: { eth0: [icmpErr6(1, 1, 0, ipv6(udp6('2001:db8:f2::1')))] } },
    {
      name: 'IPv6 ECMP: eight flows spread over both next hops',
      ingress: 'eth0',
      frames: Array.from({ length: 8 }, (_, i) => in6(udp6('2001:db8:40::5', { sport: 50000 + i * 7 }))),
      check: overBothPaths(8),
    },
    { name: 'an ICMPv6 echo request to the router is answered', ingress: 'eth0', frames: [in6(echo6('2001:db8:1::1'))], expect: { eth0: [echoReply6('2001:db8:1::1')] } },
    {
      // the flow dissector takes a fragment header's next header as the protocol and stops there (no ports)
      name: 'IPv6 ECMP: eight UDP flows in first fragments are hashed without their ports, onto one path',
      ingress: 'eth0',
      frames: Array.from({ length: 8 }, (_, i) => {
        const u = udp6('2001:db8:40::5', { sport: 50000 + i * 7 });
        return in6({ ...u, nextHeader: 44, payload: concat(Uint8Array.of(IPPROTO_UDP, 0, 0, 1, 0, 0, 0x70, i), u.payload) });
      }),
      check: overOnePath(8),
    },
    {
      name: 'IPv6 ECMP: eight ESP flows spread over both next hops by the SPI',
      ingress: 'eth0',
      frames: Array.from({ length: 8 }, (_, i) => in6({ src: H1V6, dst: '2001:db8:40::5', nextHeader: 50, flowLabel: 0, payload: esp(0x2000 + i * 0x10101) })),
      check: overBothPaths(8),
    },
    {
      // ip6_route_input_lookup looks a link-local destination up with RT6_LOOKUP_F_IFACE: eth0's
      // fe80::ff:fe00:a00 is a local route through eth0 only, so from eth2 it matches fe80::/64 dev eth2
      // and is forwarded back out — at hop limit 1, ip6_forward's time exceeded (RFC 4443 3.3) from eth2's
      // address. wxdp took it as its own (found by router_fuzz_kernel's frames from h3, seed 9)
      name: 'eth0\'s link-local address arriving on eth2 at hop limit 1 is forwarded, so it gets time exceeded',
      ingress: 'eth2',
      frames: [eth(MAC.r2, MAC.h3, ETH_P_IPV6, ipv6(llFromH3))],
      expect: { eth2: [eth(MAC.h3, MAC.r2, ETH_P_IPV6, ipv6({ src: '2001:db8:3::1', dst: '2001:db8:3::2', nextHeader: IPPROTO_ICMPV6, hopLimit: 64, payload: icmp6('2001:db8:3::1', '2001:db8:3::2', 3, 0, 0, ipv6(llFromH3)) }))] },
    },
    {
      // icmpv6_echo_reply routes the reply with oif = the ingress device and, for a multicast request, no
      // source: ip6_route_output_flags_noref sets RT6_LOOKUP_F_IFACE (flowi6_oif && any_src), and no route
      // to 2001:db8:2::2 leaves through eth0 — no reply (found by router_fuzz_kernel, seed 13)
      name: 'an echo request to ff02::2 from a host routed through another port gets no reply',
      ingress: 'eth0',
      frames: [in6({ ...echo6('ff02::2'), src: '2001:db8:2::2', payload: icmp6('2001:db8:2::2', 'ff02::2', 128, 0, (0x4321 << 16) | 1, pattern(32)) }, '33:33:00:00:00:02')],
      expect: nothing,
    },
    {
      // a forwarding router holds 2001:db8:1:: (RFC 4291 2.6.1, addrconf_join_anycast): UDP takes it as
      // unicast and icmpv6_send answers from it (ipv6_chk_acast_addr_src)
      name: 'UDP to the Subnet-Router anycast address, a closed port: port unreachable from that address',
      ingress: 'eth0',
      frames: [in6(udp6('2001:db8:1::', { flowLabel: 0 }))],
      expect: { eth0: [icmpErr6(1, 4, 0, ipv6(udp6('2001:db8:1::', { flowLabel: 0 })), '2001:db8:1::')] },
    },
    {
      name: 'an unknown next header to the Subnet-Router anycast address: parameter problem from that address',
      ingress: 'eth0',
      frames: [in6({ ...unknownNh6, dst: '2001:db8:1::' })],
      expect: { eth0: [icmpErr6(4, 1, 6, ipv6({ ...unknownNh6, dst: '2001:db8:1::' }), '2001:db8:1::')] },
    },
    {
      name: 'a UDP datagram shorter than its IPv6 payload, to a closed port: port unreachable quotes it up to the UDP length',
      ingress: 'eth0',
      frames: [in6({ src: H1V6, dst: '2001:db8:1::1', nextHeader: IPPROTO_UDP, flowLabel: 0, payload: udpShort(H1V6, '2001:db8:1::1', 18, 20) })],
      expect: { eth0: [icmpErr6(1, 4, 0, ipv6({ src: H1V6, dst: '2001:db8:1::1', nextHeader: IPPROTO_UDP, flowLabel: 0, payload: udpShort(H1V6, '2001:db8:1::1', 18, 20) }).subarray(0, 40 + 18))] },
    },
    { name: 'an unknown next header to the router gets ICMPv6 parameter problem (4/1) pointing at it', ingress: 'eth0', frames: [in6(unknownNh6)], expect: { eth0: [icmpErr6(4, 1, 6, ipv6(unknownNh6))] } },
    {
      name: 'a neighbour solicitation for the router\'s address gets a solicited, overriding router advertisement (RFC 4861)',
      ingress: 'eth0',
      frames: [in6(ns6, '33:33:ff:00:00:01')],
      expect: { eth0: [eth(MAC.h1, MAC.r0, ETH_P_IPV6, ipv6(na6))] },
    },
    { name: 'an IPv6 payload length beyond the frame is dropped', ingress: 'eth0', frames: [in6({ ...toH2v6, payloadLength: 200 })], expect: nothing },
    { name: 'version 4 in an IPv6 frame is dropped', ingress: 'eth0', frames: [in6({ ...toH2v6, version: 4 })], expect: nothing },
    { name: 'a frame cut inside the IPv6 header is dropped', ingress: 'eth0', frames: [in6(toH2v6).subarray(0, 14 + 30)], expect: nothing },
    { name: 'a multicast IPv6 source is dropped', ingress: 'eth0', frames: [in6(udp6('2001:db8:2::2', { src: 'ff02::1' }))], expect: nothing },
  ];
}

/**
 * What the router answers to sources inside its multipath routes (198.51.100.128/25, 2001:db8:40::/48,
 * reached over eth1 and eth2), eight flows from h2 each: the answer leaves by the next hop the hash
 * picks, and the kernel's hash reads what these answers put in it. The IPv4 ones are to eth0's address:
 * from eth1's, fib_select_multipath would take the next hop whose own source it is (nh_saddr) whatever
 * the hash. A reset's flow key has its ports
 * (flowi4_init_output in ip_send_unicast_reply, tcp_v6_send_response's fl6_sport/dport); an ICMP
 * error's route hashes the packet it is about (icmp_route_lookup passes skb_in to
 * ip_route_output_key_hash; icmp6_send sets fl6.mp_hash = rt6_multipath_hash(net, &fl6, skb, NULL));
 * an ICMPv6 echo reply's flow key names its input device as oif, which ip6_pol_route does not let
 * decide among the siblings (fib6_select_path, have_oif_match false), and its ICMP type sits where the
 * destination port does (flowi_uli). Found by router_fuzz_kernel's routeCase (seeds 381-399); wxdp
 * sent each of these out by a hash of the addresses alone, or out the input device.
 */
function ownMultipathFrames(): RouterCase[] {
  const from2 = (type: number, ip: Uint8Array) => eth(MAC.r1, MAC.h2, type, ip);
  const v4 = (i: number) => `198.51.100.${150 + i}`;
  const v6 = (i: number) => `2001:db8:40::${(0x50 + i).toString(16)}`;
  const eight = <T>(f: (i: number) => T): T[] => Array.from({ length: 8 }, (_, i) => f(i));
  return [
    {
      name: 'resets to eight sources behind the IPv4 multipath route leave by the next hop of their 5-tuple',
      ingress: 'eth1',
      frames: eight((i) => from2(ETH_P_IP, ipv4({ src: v4(i), dst: '198.51.100.1', proto: 6, id: 0x7000 + i, payload: tcp4(v4(i), '198.51.100.1', 41000 + i * 13, 9, 0x02) }))),
      check: overBothPaths(8),
    },
    {
      name: 'resets to eight sources behind the IPv6 multipath route leave by the next hop of their 5-tuple',
      ingress: 'eth1',
      frames: eight((i) => from2(ETH_P_IPV6, ipv6({ src: v6(i), dst: '2001:db8:2::1', nextHeader: 6, payload: tcp4(v6(i), '2001:db8:2::1', 41000 + i * 13, 9, 0x02) }))),
      check: overBothPaths(8),
    },
    {
      name: 'port unreachables to eight sources behind the IPv4 multipath route leave by the hash of the datagram they quote',
      ingress: 'eth1',
      frames: eight((i) => from2(ETH_P_IP, ipv4(udp4('198.51.100.1', { src: v4(i), sport: 42000 + i * 17, id: 0x7100 + i })))),
      check: overBothPaths(8),
    },
    {
      name: 'port unreachables to eight sources behind the IPv6 multipath route leave by the hash of the datagram they quote',
      ingress: 'eth1',
      frames: eight((i) => from2(ETH_P_IPV6, ipv6(udp6('2001:db8:2::1', { src: v6(i), sport: 42000 + i * 17 })))),
      check: overBothPaths(8),
    },
    {
      name: 'echo replies to eight sources behind the IPv6 multipath route leave by the hash, not by the device the request came in on',
      ingress: 'eth1',
      frames: eight((i) => from2(ETH_P_IPV6, ipv6({ src: v6(i), dst: '2001:db8:2::1', nextHeader: IPPROTO_ICMPV6, payload: icmp6(v6(i), '2001:db8:2::1', 128, 0, 0x4d000001 + i, pattern(16, 7)) }))),
      check: overBothPaths(8),
    },
  ];
}

export const ROUTER_CASES: readonly RouterCase[] = [...ipv4Frames(), ...ipv6Frames(), ...ownMultipathFrames()];

/**
 * Fields masked before comparing (set to zero in both frames), and why: the kernel makes them up.
 * Only packets the router itself originates (ICMP errors, echo replies: source = a router address)
 * are masked; forwarded packets and fragments are compared whole.
 */
export const MASKS = [
  'IPv4 identification (frame bytes 18-19) of packets the router originates: the kernel draws it from a randomly keyed hash (ip_select_ident); the header checksum (24-25) with it, after checking that both frames carry a valid one',
  'IPv6 flow label (the low 20 bits of frame bytes 14-17) of packets the router originates: the kernel hashes the flow with a random key (net.ipv6.auto_flowlabels = 1)',
  'IPv6 fragment Identification (frame bytes 58-61, a Fragment header right after the IPv6 header) of packets the router originates and fragments: __ipv6_select_ident draws it with get_random_u32',
] as const;

const own4 = new Set(ROUTER_ADDRS.filter((a) => !a.includes(':')).map((a) => hex(ipv4Bytes(a))));
const own6 = new Set(ROUTER_ADDRS.filter((a) => a.includes(':')).map((a) => hex(ipv6Bytes(a))));

/** The frame with MASKS applied (a copy); throws when a masked IPv4 header checksum was wrong. */
export function masked(f: Uint8Array): Uint8Array {
  const m = f.slice();
  if (etherType(f) === ETH_P_IP && f.length >= 34 && own4.has(hex(f.subarray(26, 30)))) {
    const ihl = (f[14]! & 0x0f) * 4;
    if (inetChecksum(f.subarray(14, 14 + ihl)) !== 0) throw new Error(`bad IPv4 header checksum in ${describeFrame(f)}`);
    m.fill(0, 18, 20);
    m.fill(0, 24, 26);
  } else if (etherType(f) === ETH_P_IPV6 && f.length >= 54 && own6.has(hex(f.subarray(22, 38)))) {
    m[15] = m[15]! & 0xf0;
    m.fill(0, 16, 18);
    if (f[20] === 44 && f.length >= 62) m.fill(0, 58, 62);
  }
  return m;
}
