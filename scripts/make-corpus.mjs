#!/usr/bin/env node
// Writes the packet corpus the programs in programs/ are recorded against:
//   programs/corpus/NN-name.bin   one Ethernet frame each (no FCS), as BPF_PROG_TEST_RUN's data_in
//   programs/corpus/index.json    [{ name, file, length, description }] in corpus order
//
// Every header is built field by field below and every checksum computed (RFC 1071 over the IPv4
// header; TCP, UDP and ICMPv6 over the pseudo-header), except where a frame is malformed on purpose,
// as its description says. The output is a pure function of this file: run `node scripts/make-corpus.mjs`
// and the files come out byte for byte the same.
//
// Addresses (documentation ranges, RFC 5737 / RFC 3849):
//   client  02:00:00:00:00:01  192.0.2.1      2001:db8::1
//   router  02:00:00:00:00:02  198.51.100.1   2001:db8::2     (the host the programs run on)
//   VIP     10.0.0.100 (the load balancer's virtual address: TCP 80 and UDP 53)
//   firewall blocklist: 203.0.113.0/24 (but 203.0.113.128/25 allowed), 198.18.0.0/15 (as source),
//                       2001:db8:bad::/48 (but 2001:db8:bad:1::/64 allowed)

import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'programs', 'corpus');

// ---- bytes ----

const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const u8 = (...v) => Uint8Array.from(v);
const be16 = (v) => u8((v >> 8) & 0xff, v & 0xff);
const be32 = (v) => u8((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
const bytesOf = (n, f) => Uint8Array.from({ length: n }, (_, i) => f(i) & 0xff);
const ascii = (s) => new TextEncoder().encode(s);

const mac = (s) => Uint8Array.from(s.split(':').map((h) => parseInt(h, 16)));
const ip4 = (s) => Uint8Array.from(s.split('.').map(Number));
function ip6(s) {
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) throw new Error(`bad IPv6 address ${s}`);
  return concat(...groups.map((g) => be16(parseInt(g, 16))));
}

/** RFC 1071 one's-complement sum folded to 16 bits, not inverted. Only the last part may have an odd length. */
function sum16(...parts) {
  let s = 0;
  for (const p of parts) {
    for (let i = 0; i < p.length; i += 2) s += (p[i] << 8) | (i + 1 < p.length ? p[i + 1] : 0);
  }
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}
const csum = (...parts) => ~sum16(...parts) & 0xffff;
function setCsum(buf, at, value) {
  buf[at] = value >> 8;
  buf[at + 1] = value & 0xff;
  return buf;
}

// ---- L2 ----

const CLIENT_MAC = '02:00:00:00:00:01';
const ROUTER_MAC = '02:00:00:00:00:02';
const BROADCAST = 'ff:ff:ff:ff:ff:ff';

const ETH_P_IP = 0x0800;
const ETH_P_ARP = 0x0806;
const ETH_P_8021Q = 0x8100;
const ETH_P_8021AD = 0x88a8;
const ETH_P_IPV6 = 0x86dd;

function eth(type, payload, { dst = ROUTER_MAC, src = CLIENT_MAC, tags = [] } = {}) {
  // tags: [{ tpid, vid, pcp }] outermost first; each is TPID then TCI, the next type follows the last.
  const parts = [mac(dst), mac(src)];
  for (const t of tags) parts.push(be16(t.tpid), be16(((t.pcp ?? 0) << 13) | t.vid));
  parts.push(be16(type), payload);
  return concat(...parts);
}

/** Pad to the 60-byte Ethernet minimum (64 with the FCS a NIC strips), as a NIC delivers it. */
const padTo60 = (frame) => (frame.length >= 60 ? frame : concat(frame, new Uint8Array(60 - frame.length)));

// ---- IPv4 ----

const PROTO = { HOPOPTS: 0, ICMP: 1, IPIP: 4, TCP: 6, UDP: 17, ROUTING: 43, FRAGMENT: 44, GRE: 47, ICMPV6: 58, NONE: 59, DSTOPTS: 60 };

/**
 * An IPv4 header (+ payload). `options` must be a multiple of 4 bytes. Overrides break it on purpose:
 * ihl, totLen, csum, version.
 */
function ipv4(payload, o) {
  const options = o.options ?? new Uint8Array(0);
  if (options.length % 4) throw new Error('IPv4 options must be padded to 4 bytes');
  const ihl = o.ihl ?? 5 + options.length / 4;
  const totLen = o.totLen ?? 20 + options.length + payload.length;
  const flags = (o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | ((o.fragOffset ?? 0) >> 3);
  const h = concat(
    u8(((o.version ?? 4) << 4) | ihl, o.tos ?? 0),
    be16(totLen),
    be16(o.id ?? 0x1234),
    be16(flags),
    u8(o.ttl ?? 64, o.proto),
    be16(0),
    ip4(o.src),
    ip4(o.dst),
    options,
  );
  setCsum(h, 10, o.csum ?? csum(h));
  return concat(h, payload);
}
const pseudo4 = (src, dst, proto, len) => concat(ip4(src), ip4(dst), u8(0, proto), be16(len));

// ---- IPv6 ----

function ipv6(payload, o) {
  return concat(
    be32((6 << 28) | ((o.tclass ?? 0) << 20) | (o.flow ?? 0)),
    be16(o.payloadLen ?? payload.length),
    u8(o.nh, o.hop ?? 64),
    ip6(o.src),
    ip6(o.dst),
    payload,
  );
}
const pseudo6 = (src, dst, proto, len) => concat(ip6(src), ip6(dst), be32(len), u8(0, 0, 0, proto));

/** Hop-by-hop or destination options header: `opts` TLVs, padded with PadN/Pad1 to a multiple of 8. */
function optsHeader(nh, opts) {
  let body = concat(u8(nh, 0), opts);
  const pad = (8 - (body.length % 8)) % 8;
  if (pad === 1) body = concat(body, u8(0)); // Pad1
  else if (pad > 1) body = concat(body, u8(1, pad - 2), new Uint8Array(pad - 2)); // PadN
  body[1] = body.length / 8 - 1;
  return body;
}
const ROUTER_ALERT6 = u8(5, 2, 0, 0); // RFC 2711, MLD
/** Routing header: type, segments left, then the type-specific data (reserved word + addresses). */
function routingHeader(nh, type, segLeft, addrs, { lastEntry } = {}) {
  const data = type === 4 ? concat(u8(addrs.length - 1, 0), be16(0)) : be32(0); // SRH: last entry, flags, tag
  if (lastEntry !== undefined) data[0] = lastEntry;
  const body = concat(u8(nh, 0, type, segLeft), data, ...addrs.map(ip6));
  body[1] = body.length / 8 - 1;
  return body;
}
/** Fragment header: offset in bytes (multiple of 8), M flag, identification. */
const fragHeader = (nh, offset, more, id) => concat(u8(nh, 0), be16(offset | (more ? 1 : 0)), be32(id));

// ---- L4 ----

function udp(sport, dport, payload, pseudo) {
  const len = 8 + payload.length;
  const h = concat(be16(sport), be16(dport), be16(len), be16(0));
  let c = csum(pseudo(PROTO.UDP, len), h, payload);
  if (c === 0) c = 0xffff; // RFC 768: a computed zero is sent as all ones
  setCsum(h, 6, c);
  return concat(h, payload);
}

const TCP = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20 };
function tcp(sport, dport, flags, payload, pseudo, { seq = 0x11223344, ack = 0, window = 64240, options = new Uint8Array(0) } = {}) {
  if (options.length % 4) throw new Error('TCP options must be padded to 4 bytes');
  const doff = 5 + options.length / 4;
  const h = concat(be16(sport), be16(dport), be32(seq), be32(ack), u8(doff << 4, flags), be16(window), be16(0), be16(0), options);
  const len = h.length + payload.length;
  setCsum(h, 16, csum(pseudo(PROTO.TCP, len), h, payload));
  return concat(h, payload);
}
// MSS 1460, SACK permitted, timestamps, NOP, window scale 7: what Linux puts in a SYN.
const SYN_OPTIONS = u8(2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0, 0, 1, 3, 3, 7);

function icmp4(type, code, rest, payload) {
  const h = concat(u8(type, code), be16(0), rest);
  setCsum(h, 2, csum(h, payload));
  return concat(h, payload);
}
function icmp6(type, code, rest, payload, pseudo) {
  const h = concat(u8(type, code), be16(0), rest);
  setCsum(h, 2, csum(pseudo(PROTO.ICMPV6, h.length + payload.length), h, payload));
  return concat(h, payload);
}
const echoBody = (id, seq) => concat(be16(id), be16(seq));
const pingPayload = bytesOf(56, (i) => (i < 8 ? 0x60 + i : i)); // Linux ping: 8-byte timestamp-ish + 0x08..0x37

// ---- flows ----

const C4 = '192.0.2.1';
const S4 = '198.51.100.1';
const VIP = '10.0.0.100';
const C6 = '2001:db8::1';
const S6 = '2001:db8::2';

const p4 = (src, dst) => (proto, len) => pseudo4(src, dst, proto, len);
const p6 = (src, dst) => (proto, len) => pseudo6(src, dst, proto, len);

const udp4 = (src, dst, sport, dport, payload, ipo = {}) =>
  ipv4(udp(sport, dport, payload, p4(src, dst)), { src, dst, proto: PROTO.UDP, ...ipo });
const tcp4 = (src, dst, sport, dport, flags, payload, tcpo = {}, ipo = {}) =>
  ipv4(tcp(sport, dport, flags, payload, p4(src, dst), tcpo), { src, dst, proto: PROTO.TCP, df: true, ...ipo });
const udp6 = (src, dst, sport, dport, payload, ipo = {}) =>
  ipv6(udp(sport, dport, payload, p6(src, dst)), { src, dst, nh: PROTO.UDP, ...ipo });
const tcp6 = (src, dst, sport, dport, flags, payload, tcpo = {}) =>
  ipv6(tcp(sport, dport, flags, payload, p6(src, dst), tcpo), { src, dst, nh: PROTO.TCP });

const dnsQuery = concat(
  be16(0xbeef), be16(0x0100), be16(1), be16(0), be16(0), be16(0), // id, RD, 1 question
  u8(7), ascii('example'), u8(3), ascii('com'), u8(0), be16(1), be16(1), // example.com A IN
);
const http = ascii('GET / HTTP/1.1\r\nHost: example.com\r\n\r\n');

/** Split a complete IPv4 payload (L4 header included) into fragments of the given byte sizes. */
function fragments4(l4, sizes, o) {
  const out = [];
  let off = 0;
  sizes.forEach((n, i) => {
    const last = i === sizes.length - 1;
    const chunk = l4.slice(off, last ? l4.length : off + n);
    out.push(ipv4(chunk, { ...o, mf: !last, fragOffset: off }));
    off += chunk.length;
  });
  return out;
}

// A 100-byte UDP payload, fragmented 48 / 32 / rest (fragment data must be multiples of 8 except the last).
const fragPayload = bytesOf(100, (i) => 0x41 + (i % 26));
const [frag4First, frag4Middle, frag4Last] = fragments4(udp(40001, 5001, fragPayload, p4(C4, S4)), [48, 32, 28], {
  src: C4,
  dst: S4,
  proto: PROTO.UDP,
  id: 0xf00d,
});

const arpRequest = concat(
  be16(1), be16(ETH_P_IP), u8(6, 4), be16(1), // Ethernet, IPv4, request
  mac(CLIENT_MAC), ip4(C4), mac('00:00:00:00:00:00'), ip4(S4),
);

// ---- the corpus ----

const frames = [];
const add = (name, description, frame) => frames.push({ name, description, frame });

// IPv4 UDP / TCP
add('ipv4-udp-dns', 'IPv4 UDP 192.0.2.1:40000 -> 198.51.100.1:53, a DNS query for example.com', eth(ETH_P_IP, udp4(C4, S4, 40000, 53, dnsQuery)));
add('ipv4-udp-min60', 'IPv4 UDP with a 4-byte payload (46 bytes) padded with zeros to the 60-byte minimum: 14 bytes of trailing padding', padTo60(eth(ETH_P_IP, udp4(C4, S4, 40002, 7, ascii('ping')))));
add('ipv4-udp-ssdp', 'IPv4 UDP to port 1900 (SSDP), which the parser policy drops', eth(ETH_P_IP, udp4(C4, '239.255.255.250', 40003, 1900, ascii('M-SEARCH * HTTP/1.1\r\n\r\n')), { dst: '01:00:5e:7f:ff:fa' }));
add('ipv4-tcp-syn-vip80', 'IPv4 TCP SYN 192.0.2.1:43210 -> VIP 10.0.0.100:80 with Linux SYN options (MSS, SACK-permitted, timestamps, wscale)', eth(ETH_P_IP, tcp4(C4, VIP, 43210, 80, TCP.SYN, new Uint8Array(0), { options: SYN_OPTIONS })));
add('ipv4-tcp-synack', 'IPv4 TCP SYN-ACK 198.51.100.1:80 -> 192.0.2.1:43210 (MSS option, padded to 60 bytes)', padTo60(eth(ETH_P_IP, tcp4(S4, C4, 80, 43210, TCP.SYN | TCP.ACK, new Uint8Array(0), { seq: 0xa0b0c0d0, ack: 0x11223345, options: u8(2, 4, 0x05, 0xb4) }), { src: ROUTER_MAC, dst: CLIENT_MAC })));
add('ipv4-tcp-ack-http', 'IPv4 TCP PSH-ACK with an HTTP request, 192.0.2.1:43211 -> 198.51.100.1:443', eth(ETH_P_IP, tcp4(C4, S4, 43211, 443, TCP.PSH | TCP.ACK, http, { ack: 0xa0b0c0d1 })));
add('ipv4-tcp-telnet', 'IPv4 TCP SYN to port 23 (telnet), dropped by the parser and globals policies', padTo60(eth(ETH_P_IP, tcp4(C4, S4, 43212, 23, TCP.SYN, new Uint8Array(0)))));
add('ipv4-tcp-rst', 'IPv4 TCP RST-ACK 192.0.2.1:43210 -> 10.0.0.100:80 (VIP flow)', padTo60(eth(ETH_P_IP, tcp4(C4, VIP, 43210, 80, TCP.RST | TCP.ACK, new Uint8Array(0), { seq: 0x11223345, ack: 0xa0b0c0d1 }))));
add('ipv4-tcp-fin', 'IPv4 TCP FIN-ACK 192.0.2.1:43211 -> 198.51.100.1:443', padTo60(eth(ETH_P_IP, tcp4(C4, S4, 43211, 443, TCP.FIN | TCP.ACK, new Uint8Array(0), { seq: 0x11223370, ack: 0xa0b0c0d1 }))));
add('ipv4-udp-vip53', 'IPv4 UDP 192.0.2.7:5353 -> VIP 10.0.0.100:53, a DNS query the load balancer encapsulates in GUE', eth(ETH_P_IP, udp4('192.0.2.7', VIP, 5353, 53, dnsQuery)));
add('ipv4-tcp-vip80-other-client', 'IPv4 TCP SYN 192.0.2.99:50000 -> VIP 10.0.0.100:80: another flow, hashes to another backend', eth(ETH_P_IP, tcp4('192.0.2.99', VIP, 50000, 80, TCP.SYN, new Uint8Array(0), { options: SYN_OPTIONS })));
add('ipv4-tcp-vip443', 'IPv4 TCP SYN to VIP 10.0.0.100:443, a port that is not a virtual service', eth(ETH_P_IP, tcp4(C4, VIP, 43213, 443, TCP.SYN, new Uint8Array(0), { options: SYN_OPTIONS })));

// ICMP
add('ipv4-icmp-echo-request', 'IPv4 ICMP echo request 192.0.2.1 -> 198.51.100.1, id 0x1c2b seq 1, 56-byte ping payload', eth(ETH_P_IP, ipv4(icmp4(8, 0, echoBody(0x1c2b, 1), pingPayload), { src: C4, dst: S4, proto: PROTO.ICMP, df: true })));
add('ipv4-icmp-echo-reply', 'IPv4 ICMP echo reply 198.51.100.1 -> 192.0.2.1, id 0x1c2b seq 1', eth(ETH_P_IP, ipv4(icmp4(0, 0, echoBody(0x1c2b, 1), pingPayload), { src: S4, dst: C4, proto: PROTO.ICMP }), { src: ROUTER_MAC, dst: CLIENT_MAC }));
add('ipv4-icmp-unreachable', 'IPv4 ICMP destination unreachable (port, type 3 code 3) quoting the DNS query header', eth(ETH_P_IP, ipv4(icmp4(3, 3, be32(0), udp4(C4, S4, 40000, 53, dnsQuery).slice(0, 28)), { src: S4, dst: C4, proto: PROTO.ICMP, ttl: 255 }), { src: ROUTER_MAC, dst: CLIENT_MAC }));
add('ipv4-icmp-echo-ttl1', 'IPv4 ICMP echo request with TTL 1 and a 16-byte payload, padded to 60 bytes', padTo60(eth(ETH_P_IP, ipv4(icmp4(8, 0, echoBody(0x1c2b, 2), pingPayload.slice(0, 16)), { src: C4, dst: S4, proto: PROTO.ICMP, ttl: 1 }))));

// IPv4 options and fragments
add('ipv4-options-udp', 'IPv4 with options (IHL 7: Router Alert, three NOPs, End of Options) carrying UDP to port 5000', eth(ETH_P_IP, udp4(C4, S4, 40004, 5000, ascii('with-options'), { options: u8(0x94, 4, 0, 0, 1, 1, 1, 0) })));
add('ipv4-frag-first', 'IPv4 first fragment (MF, offset 0, id 0xf00d): UDP header + 40 bytes of a 100-byte datagram', eth(ETH_P_IP, frag4First));
add('ipv4-frag-middle', 'IPv4 middle fragment (MF, offset 48 bytes = 6 units): 32 bytes of UDP payload, no L4 header', padTo60(eth(ETH_P_IP, frag4Middle)));
add('ipv4-frag-last', 'IPv4 last fragment (offset 80 bytes = 10 units, no MF): the last 28 bytes', padTo60(eth(ETH_P_IP, frag4Last)));
add('ipv4-gre', 'IPv4 carrying GRE (protocol 47) around an IPv4 UDP packet: an L4 protocol nobody parses', eth(ETH_P_IP, ipv4(concat(be16(0), be16(ETH_P_IP), udp4('10.9.9.1', '10.9.9.2', 1, 2, ascii('inner'))), { src: C4, dst: S4, proto: PROTO.GRE })));
add('ipv4-bad-checksum', 'IPv4 UDP whose IP header checksum is wrong (0xdead); the UDP checksum is right', eth(ETH_P_IP, udp4(C4, S4, 40005, 53, dnsQuery, { csum: 0xdead })));
add('ipv4-udp-large', 'IPv4 UDP 1514-byte frame (1472 bytes of payload: a full 1500-byte MTU packet)', eth(ETH_P_IP, udp4(C4, S4, 40006, 9000, bytesOf(1472, (i) => i * 7 + 3), { id: 0x4242, df: true })));

// IPv6
add('ipv6-udp', 'IPv6 UDP [2001:db8::1]:40000 -> [2001:db8::2]:53, the DNS query', eth(ETH_P_IPV6, udp6(C6, S6, 40000, 53, dnsQuery)));
add('ipv6-tcp-syn', 'IPv6 TCP SYN [2001:db8::1]:43210 -> [2001:db8::2]:22 with SYN options', eth(ETH_P_IPV6, tcp6(C6, S6, 43210, 22, TCP.SYN, new Uint8Array(0), { options: SYN_OPTIONS })));
add('ipv6-icmpv6-echo-request', 'ICMPv6 echo request 2001:db8::1 -> 2001:db8::2, id 0x2d3c seq 1, 56-byte payload', eth(ETH_P_IPV6, ipv6(icmp6(128, 0, echoBody(0x2d3c, 1), pingPayload, p6(C6, S6)), { src: C6, dst: S6, nh: PROTO.ICMPV6 })));
add('ipv6-icmpv6-echo-reply', 'ICMPv6 echo reply 2001:db8::2 -> 2001:db8::1', eth(ETH_P_IPV6, ipv6(icmp6(129, 0, echoBody(0x2d3c, 1), pingPayload, p6(S6, C6)), { src: S6, dst: C6, nh: PROTO.ICMPV6 }), { src: ROUTER_MAC, dst: CLIENT_MAC }));
add('ipv6-icmpv6-neighbor-solicit', 'ICMPv6 neighbour solicitation for 2001:db8::2 to its solicited-node multicast address, hop limit 255', eth(ETH_P_IPV6, ipv6(icmp6(135, 0, be32(0), concat(ip6(S6), u8(1, 1), mac(CLIENT_MAC)), p6(C6, 'ff02::1:ff00:2')), { src: C6, dst: 'ff02::1:ff00:2', nh: PROTO.ICMPV6, hop: 255 }), { dst: '33:33:ff:00:00:02' }));
add('ipv6-hopbyhop-udp', 'IPv6 hop-by-hop options (Router Alert + PadN, 8 bytes) then UDP to port 5000', eth(ETH_P_IPV6, ipv6(concat(optsHeader(PROTO.UDP, ROUTER_ALERT6), udp(40007, 5000, ascii('hbh'), p6(C6, S6))), { src: C6, dst: S6, nh: PROTO.HOPOPTS })));
add('ipv6-routing-srh-tcp', 'IPv6 segment routing header (routing type 4, segments left 1, two segments) then TCP SYN to port 80', eth(ETH_P_IPV6, ipv6(concat(routingHeader(PROTO.TCP, 4, 1, [S6, '2001:db8:5::1']), tcp(43214, 80, TCP.SYN, new Uint8Array(0), p6(C6, S6))), { src: C6, dst: '2001:db8:5::1', nh: PROTO.ROUTING })));
add('ipv6-routing-type0', 'IPv6 type-0 routing header (deprecated by RFC 5095, one address) then UDP: the parser policy drops it', eth(ETH_P_IPV6, ipv6(concat(routingHeader(PROTO.UDP, 0, 1, [S6]), udp(40008, 5000, ascii('rh0'), p6(C6, S6))), { src: C6, dst: '2001:db8:5::1', nh: PROTO.ROUTING })));
add('ipv6-fragment-first', 'IPv6 fragment header (offset 0, M=1, id 0xcafe) then the UDP header and 16 bytes of payload', eth(ETH_P_IPV6, ipv6(concat(fragHeader(PROTO.UDP, 0, true, 0xcafe), udp(40009, 5001, fragPayload, p6(C6, S6)).slice(0, 24)), { src: C6, dst: S6, nh: PROTO.FRAGMENT })));
add('ipv6-fragment-last', 'IPv6 fragment header (offset 24 bytes, M=0, id 0xcafe) then the remaining 84 bytes: no L4 header', eth(ETH_P_IPV6, ipv6(concat(fragHeader(PROTO.UDP, 24, false, 0xcafe), udp(40009, 5001, fragPayload, p6(C6, S6)).slice(24)), { src: C6, dst: S6, nh: PROTO.FRAGMENT })));
add('ipv6-destopts-udp', 'IPv6 destination options header (one PadN-only option area, 8 bytes) then UDP to port 5000', eth(ETH_P_IPV6, ipv6(concat(optsHeader(PROTO.UDP, new Uint8Array(0)), udp(40010, 5000, ascii('dst-opts'), p6(C6, S6))), { src: C6, dst: S6, nh: PROTO.DSTOPTS })));
add('ipv6-ext-chain', 'IPv6 with hop-by-hop -> destination options (16 bytes) -> routing (SRH) -> fragment (offset 0, M=1) -> UDP to port 5000', eth(ETH_P_IPV6, ipv6(concat(
  optsHeader(PROTO.DSTOPTS, ROUTER_ALERT6),
  optsHeader(PROTO.ROUTING, u8(1, 10, ...new Uint8Array(10))),
  routingHeader(PROTO.FRAGMENT, 4, 1, [S6, '2001:db8:5::1']),
  fragHeader(PROTO.UDP, 0, true, 0xbeef),
  udp(40011, 5000, ascii('chain'), p6(C6, S6)),
), { src: C6, dst: '2001:db8:5::1', nh: PROTO.HOPOPTS })));
add('ipv6-no-next-header', 'IPv6 destination options then No Next Header (59): nothing after the extension header', padTo60(eth(ETH_P_IPV6, ipv6(optsHeader(PROTO.NONE, new Uint8Array(0)), { src: C6, dst: S6, nh: PROTO.DSTOPTS }))));

// VLAN
add('vlan-ipv4-udp', '802.1Q VLAN 100 (PCP 3) around IPv4 UDP 192.0.2.1:40012 -> 198.51.100.1:53', eth(ETH_P_IP, udp4(C4, S4, 40012, 53, dnsQuery), { tags: [{ tpid: ETH_P_8021Q, vid: 100, pcp: 3 }] }));
add('qinq-ipv4-tcp', 'QinQ: 802.1ad S-tag 200 then 802.1Q C-tag 300 around IPv4 TCP SYN to port 80 of the VIP', eth(ETH_P_IP, tcp4(C4, VIP, 43215, 80, TCP.SYN, new Uint8Array(0), { options: SYN_OPTIONS }), { tags: [{ tpid: ETH_P_8021AD, vid: 200 }, { tpid: ETH_P_8021Q, vid: 300 }] }));
add('vlan-ipv6-icmpv6-echo', '802.1Q VLAN 42 around an ICMPv6 echo request', eth(ETH_P_IPV6, ipv6(icmp6(128, 0, echoBody(0x2d3c, 2), pingPayload.slice(0, 32), p6(C6, S6)), { src: C6, dst: S6, nh: PROTO.ICMPV6 }), { tags: [{ tpid: ETH_P_8021Q, vid: 42 }] }));
add('vlan-triple', 'Three stacked tags (802.1ad 10, 802.1Q 20, 802.1Q 30) around IPv4 UDP: one tag too many for the parser', eth(ETH_P_IP, udp4(C4, S4, 40013, 53, dnsQuery), { tags: [{ tpid: ETH_P_8021AD, vid: 10 }, { tpid: ETH_P_8021Q, vid: 20 }, { tpid: ETH_P_8021Q, vid: 30 }] }));

// Not IP
add('arp-request', 'ARP who-has 198.51.100.1 tell 192.0.2.1, broadcast, padded to 60 bytes', padTo60(eth(ETH_P_ARP, arpRequest, { dst: BROADCAST })));
add('unknown-ethertype', 'Ethertype 0x88b5 (IEEE local experimental) with 46 bytes of payload', eth(0x88b5, bytesOf(46, (i) => 0xa0 + i)));

// Firewall
add('fw-ipv4-blocked-dst', 'IPv4 UDP to 203.0.113.7, inside the blocked 203.0.113.0/24', eth(ETH_P_IP, udp4(C4, '203.0.113.7', 40014, 53, dnsQuery)));
add('fw-ipv4-allowed-dst', 'IPv4 TCP SYN to 203.0.113.200, inside the allowed 203.0.113.128/25 carved out of the blocked /24', eth(ETH_P_IP, tcp4(C4, '203.0.113.200', 43216, 443, TCP.SYN, new Uint8Array(0), { options: SYN_OPTIONS })));
add('fw-ipv4-blocked-src', 'IPv4 UDP from 198.19.4.5, inside the blocked source range 198.18.0.0/15', eth(ETH_P_IP, udp4('198.19.4.5', S4, 40015, 53, dnsQuery)));
add('fw-ipv6-blocked-dst', 'IPv6 UDP to 2001:db8:bad::1, inside the blocked 2001:db8:bad::/48', eth(ETH_P_IPV6, udp6(C6, '2001:db8:bad::1', 40016, 53, dnsQuery)));
add('fw-ipv6-allowed-dst', 'IPv6 TCP SYN to 2001:db8:bad:1::80, inside the allowed 2001:db8:bad:1::/64', eth(ETH_P_IPV6, tcp6(C6, '2001:db8:bad:1::80', 43217, 80, TCP.SYN, new Uint8Array(0), { options: SYN_OPTIONS })));

// Truncated
add('trunc-eth-only', 'Only the 14-byte Ethernet header, ethertype IPv4, nothing after (the smallest XDP test run)', eth(ETH_P_IP, new Uint8Array(0)));
add('trunc-ipv4-header', 'IPv4 header cut after 10 of its 20 bytes', eth(ETH_P_IP, udp4(C4, S4, 40017, 53, dnsQuery)).slice(0, 24));
add('trunc-ipv4-options', 'IPv4 header with IHL 7 cut after 24 bytes: the fixed part is there, the options are not', eth(ETH_P_IP, udp4(C4, S4, 40018, 5000, ascii('x'), { options: u8(0x94, 4, 0, 0, 1, 1, 1, 0) })).slice(0, 38));
add('trunc-ipv6-header', 'IPv6 header cut after 30 of its 40 bytes', eth(ETH_P_IPV6, udp6(C6, S6, 40019, 53, dnsQuery)).slice(0, 44));
add('trunc-tcp-header', 'IPv4 TCP SYN cut 10 bytes into the TCP header (IP total length still says 60)', eth(ETH_P_IP, tcp4(C4, S4, 43218, 80, TCP.SYN, new Uint8Array(0), { options: SYN_OPTIONS })).slice(0, 44));
add('trunc-udp-header', 'IPv4 whose payload is the first 4 bytes of a UDP header (total length 24, consistent, checksum right)', eth(ETH_P_IP, ipv4(udp(40020, 53, dnsQuery, p4(C4, S4)).slice(0, 4), { src: C4, dst: S4, proto: PROTO.UDP })));
add('trunc-ipv6-ext', 'IPv6 (payload length 4) whose hop-by-hop header says 8 bytes but only 4 are present', eth(ETH_P_IPV6, ipv6(optsHeader(PROTO.UDP, ROUTER_ALERT6).slice(0, 4), { src: C6, dst: S6, nh: PROTO.HOPOPTS })));
add('trunc-vlan', '802.1Q TPID with only 2 bytes of the 4-byte tag', eth(ETH_P_IP, new Uint8Array(0), { tags: [{ tpid: ETH_P_8021Q, vid: 5 }] }).slice(0, 16));

// Malformed
add('malformed-ihl4', 'IPv4 header with IHL 4 (16 bytes, below the minimum of 5); checksum computed over the 20 bytes sent', eth(ETH_P_IP, udp4(C4, S4, 40021, 53, dnsQuery, { ihl: 4 })));
add('malformed-totlen', 'IPv4 total length 1000 in a 48-byte frame', eth(ETH_P_IP, udp4(C4, S4, 40022, 53, ascii('short!'), { totLen: 1000 })));
add('malformed-ipv6-paylen', 'IPv6 payload length 200 but only 16 bytes follow the header', eth(ETH_P_IPV6, udp6(C6, S6, 40023, 53, ascii('eightbyt'), { payloadLen: 200 })));
add('malformed-ipv4-version6', 'Ethertype IPv4 but the version nibble says 6', eth(ETH_P_IP, udp4(C4, S4, 40024, 53, dnsQuery, { version: 6 })));
add('malformed-tcp-doff', 'IPv4 TCP with data offset 15 (60-byte header) in a 20-byte TCP segment', (() => {
  const f = eth(ETH_P_IP, tcp4(C4, S4, 43219, 80, TCP.ACK, new Uint8Array(0)));
  f[14 + 20 + 12] = 0xf0; // doff 15; the TCP checksum is left as computed for doff 5
  return padTo60(f);
})());

// ---- write ----

mkdirSync(OUT, { recursive: true });
for (const f of readdirSync(OUT)) if (f.endsWith('.bin') || f === 'index.json') rmSync(join(OUT, f));
const names = new Set();
const index = frames.map(({ name, description, frame }, i) => {
  if (names.has(name)) throw new Error(`duplicate corpus name ${name}`);
  names.add(name);
  if (frame.length < 14) throw new Error(`${name}: ${frame.length} bytes, XDP test runs need 14`);
  const file = `${String(i + 1).padStart(2, '0')}-${name}.bin`;
  writeFileSync(join(OUT, file), frame);
  return { name, file, length: frame.length, description };
});
writeFileSync(join(OUT, 'index.json'), JSON.stringify(index, null, 2) + '\n');
console.log(`wrote ${index.length} frames to ${OUT}`);
