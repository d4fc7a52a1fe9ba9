// The lean local receive (assembly/net/udp_lean.ts for IPv4, udp6_lean.ts for IPv6) against the full
// path (stack_rx → ipv4_rcv / ipv6_rcv → local delivery → udp_rcv / udpv6_rcv), differentially: the
// same frames, in the same bursts, through two stacks built alike — one as it is, one with a netfilter
// hook registered (an empty `prerouting` chain, policy accept: the full path's answer is the same
// with or without it, and the lean paths step aside while any hook is registered). Each socket's
// queue (payload, source, port, device, in order), every counter and drop reason (the Udp/Udp6/
// UdpLite6 MIBs, Ip/Ip6, Icmp/Icmp6 …) and every frame sent back (ICMP errors) must be equal. The
// frames cover what the lean paths take (their stage words are read to show they took them) and their
// edges: bad checksums, the zero checksum (allowed over IPv4, an error over IPv6, RFC 8200 8.1 — with
// and without a socket), lengths short of the header or past the payload, Ethernet padding, a
// truncated payload length, extension headers, multicast and broadcast (the full path's), UDP-Lite,
// reuseport groups, dual-stack and IPV6_V6ONLY sockets on the wildcard chain beside an AF_INET one,
// a device-bound head, a full receive buffer, and a connected socket (the fast lookup steps aside).

import { describe, expect, it } from 'vitest';
import { Fixture, stackUnready, concat, eth, hex, inetChecksum, ipv4, ipv6, optHdr, udp4, type Ip4Opts, type Ip6Opts } from '../net/support.js';
import { H_MAC, LINKS, NEIGH, R_MAC, be16 } from './support.js';
import { u32le, u64le } from './sk_prog_support.js';
import { jhash3words } from '../maps/jhash.js';
import { ipv4Bytes, ipv6Bytes } from '../../src/control/addresses.js';
import type { SocketTable } from '../../src/control/sockets.js';

const unready = await stackUnready();

const L4 = '192.0.2.1';
const L4B = '198.51.100.1'; // eth0's second IPv4 address (support.ts LINKS)
const P4 = '192.0.2.2';
const L6 = '2001:db8:1::1';
const P6 = '2001:db8:1::2';
/**
 * A second IPv6 address of eth0 whose hash2 slots are L6's (the collide6 option adds it): its address
 * hash (sock_lookup.ts addrWord6, the mix32 of its words) has L6's low 17 bits, so with the port xored
 * in (ipv6_portaddr_hash) each port of both addresses is one chain. Found by searching 2001:db8:1::/64.
 */
const L6C = '2001:db8:1::1:c408';

/** UDP over IPv6 with the RFC 8200 8.1 checksum (a computed zero sent as 0xffff), or `check` as given. */
function udp6(src: string, dst: string, sport: number, dport: number, payload: Uint8Array, o: { lenField?: number; check?: number; proto?: number } = {}): Uint8Array {
  const len = 8 + payload.length;
  const u = concat(Uint8Array.from([...be16(sport), ...be16(dport), ...be16(o.lenField ?? len), 0, 0]), payload);
  const ph = Uint8Array.from([...ipv6Bytes(src), ...ipv6Bytes(dst), 0, 0, ...be16(len), 0, 0, 0, o.proto ?? 17]);
  const c = o.check ?? (inetChecksum(ph, u) || 0xffff);
  u[6] = c >> 8;
  u[7] = c & 0xff;
  return u;
}
const tag = (k: number): Uint8Array => Uint8Array.of(k >> 8, k & 0xff, 0x5a);
const e4 = (p: Uint8Array, dst = R_MAC): Uint8Array => eth({ dst, src: H_MAC, type: 0x0800 }, p);
const e6 = (p: Uint8Array, dst = R_MAC): Uint8Array => eth({ dst, src: H_MAC, type: 0x86dd }, p);
const v4 = (k: number, dport: number, o: { sport?: number; dst?: string; check?: number; lenField?: number; ip?: Partial<Ip4Opts>; dstMac?: string; pad?: number; extra?: number } = {}): Uint8Array => {
  const u = udp4(P4, o.dst ?? L4, o.sport ?? 40000 + k, dport, o.extra ? concat(tag(k), new Uint8Array(o.extra).fill(k & 0xff)) : tag(k));
  if (o.check !== undefined) {
    u[6] = o.check >> 8;
    u[7] = o.check & 0xff;
  }
  if (o.lenField !== undefined) {
    u[4] = o.lenField >> 8;
    u[5] = o.lenField & 0xff;
  }
  const f = e4(ipv4({ src: P4, dst: o.dst ?? L4, proto: 17, ...o.ip }, u), o.dstMac);
  return o.pad ? concat(f, new Uint8Array(o.pad).fill(0xee)) : f;
};
const v6 = (k: number, dport: number, o: { sport?: number; src?: string; dst?: string; check?: number; lenField?: number; proto?: number; plen?: number; dstMac?: string; extra?: number } = {}): Uint8Array => {
  const src = o.src ?? P6;
  const dst = o.dst ?? L6;
  const u = udp6(src, dst, o.sport ?? 40000 + k, dport, o.extra ? concat(tag(k), new Uint8Array(o.extra).fill(k & 0xff)) : tag(k), o);
  return e6(ipv6({ src, dst, nh: o.proto ?? 17, ...(o.plen !== undefined ? { plen: o.plen } : {}) }, u), o.dstMac);
};

/** Frame k of a one-field-off run (its options), IPv4 (v4's) or IPv6 (F6o). */
type F4 = (k: number, o?: Parameters<typeof v4>[2]) => Uint8Array;
type F6o = { ip?: Partial<Ip6Opts>; check?: number; lenField?: number; dstMac?: string; pad?: number };
type F6 = (k: number, o?: F6o) => Uint8Array;

/**
 * The IPv4 frames of the one-field-off tests, made by `f4`: two plain ones around each odd one — the
 * header checksum, two fragments, total lengths past the frame and short of it, the UDP checksum and
 * lengths, padding, other TOS, another MAC, UDP-Lite, another TTL and ID.
 */
function oneFieldOff4(f4: F4): Uint8Array[] {
  const a: Uint8Array[] = [];
  let k = 0;
  const plain = () => a.push(f4(k++), f4(k++));
  plain();
  a.push(f4(k++, { ip: { check: 0x1234 } }));
  plain();
  a.push(f4(k++, { ip: { mf: true } }), f4(k++, { ip: { fragOff: 8 } }));
  plain();
  a.push(f4(k++, { ip: { totLen: 20 + 8 + 3 + 30 } }), f4(k++, { ip: { totLen: 24 }, pad: 8 }));
  plain();
  a.push(f4(k++, { check: 0x1234 }), f4(k++, { lenField: 4 }), f4(k++, { lenField: 8 + 3 + 10 }), f4(k++, { pad: 20 }));
  plain();
  a.push(f4(k++, { ip: { tos: 0x10 } }), f4(k++, { ip: { tos: 0x10 } }), f4(k++, { ip: { tos: 0x11 } }));
  plain();
  a.push(f4(k++, { dstMac: '02:00:00:00:00:99' }), f4(k++, { ip: { proto: 136 } }), f4(k++, { ip: { ttl: 1, id: 7 } }));
  plain();
  return a;
}

/**
 * The IPv6 frames of the one-field-off tests, made by `f6` (`lite`: frame k as UDP-Lite): two plain ones
 * around each odd one — the UDP checksum wrong and zero, UDP lengths, padding, payload lengths past the
 * frame and short of UDP, version 4, other traffic class, flow label, hop limit, another MAC, UDP-Lite.
 */
function oneFieldOff6(f6: F6, lite: (k: number) => Uint8Array): Uint8Array[] {
  const a: Uint8Array[] = [];
  let k = 0;
  const plain = () => a.push(f6(k++), f6(k++));
  plain();
  a.push(f6(k++, { check: 0x1234 }), f6(k++, { check: 0 }));
  plain();
  a.push(f6(k++, { lenField: 4 }), f6(k++, { lenField: 200 }), f6(k++, { pad: 20 }));
  plain();
  a.push(f6(k++, { ip: { plen: 300 } }), f6(k++, { ip: { plen: 4 } }), f6(k++, { ip: { version: 4 } }));
  plain();
  a.push(f6(k++, { ip: { tc: 0x10 } }), f6(k++, { ip: { flow: 0x12345 } }), f6(k++, { ip: { hlim: 1 } }));
  plain();
  a.push(f6(k++, { dstMac: '02:00:00:00:00:99' }), lite(k++));
  plain();
  return a;
}

interface Sockets {
  ids: number[];
}

/** The socket set, created in the same order on both stacks (so the ids and the chains' order match). */
function sockets(t: SocketTable, o: { connected?: boolean; smallBuf?: boolean; smallBuf4?: boolean; groups?: boolean; groups6?: boolean; dests?: boolean; prog?: boolean; big?: boolean; big6?: boolean; ports6?: boolean; collide6?: boolean }): Sockets {
  const ids: number[] = [];
  const mk = (family: 'inet' | 'inet6', addr: string, port: number, f: { reusePort?: boolean; ipv6Only?: boolean; dev?: number } = {}): number => {
    const id = t.create({ family, reusePort: f.reusePort, ipv6Only: f.ipv6Only, reuseAddr: true });
    if (f.dev !== undefined) t.setOption(id, 'SO_BINDTODEVICE', f.dev);
    t.bind(id, addr, port);
    ids.push(id);
    return id;
  };
  const s4 = mk('inet', L4, 7000);
  for (let i = 0; i < 4; i++) mk('inet6', L6, 7001, { reusePort: true });
  const alone = mk('inet6', L6, 7002);
  mk('inet6', '::', 7003); // dual-stack: IPv6, and IPv4 as ::ffff:a.b.c.d
  mk('inet', '0.0.0.0', 7004);
  mk('inet6', '::', 7004, { ipv6Only: true }); // beside the AF_INET one on the wildcard chain
  mk('inet6', L6, 7005, { dev: 1 }); // bound to loopback: no score for eth0
  for (let i = 0; i < 2; i++) mk('inet', L4, 7006, { reusePort: true });
  mk('inet6', '::', 7007, { ipv6Only: true }); // alone on the wildcard chain
  if (o.smallBuf) t.setOption(alone, 'SO_RCVBUF', 1); // the minimum (SOCK_MIN_RCVBUF): a few datagrams
  if (o.smallBuf4) t.setOption(s4, 'SO_RCVBUF', 1);
  if (o.connected) {
    const c = mk('inet6', L6, 7008);
    t.connect(c, P6, 9999);
  }
  if (o.groups) {
    // reuseport groups the hash2 slot names (sock.ts H2_GROUP): the lean IPv4 lookup matches the group's key
    for (let i = 0; i < 3; i++) mk('inet', '0.0.0.0', 7011, { reusePort: true }); // on the wildcard chain
    const g12 = Array.from({ length: 3 }, () => mk('inet', L4, 7012, { reusePort: true }));
    for (const id of g12) t.setOption(id, 'SO_BINDTODEVICE', 1); // all bound to loopback after joining: none scores for eth0
    const g13 = Array.from({ length: 3 }, () => mk('inet', L4, 7013, { reusePort: true }));
    t.setOption(g13[0]!, 'SO_BINDTODEVICE', 1); // a member behind the head: the head still decides
    for (let i = 0; i < 3; i++) mk('inet6', '::', 7014, { reusePort: true }); // dual-stack: IPv4 as ::ffff:a.b.c.d
    for (let i = 0; i < 3; i++) mk('inet6', '::', 7015, { reusePort: true, ipv6Only: true }); // no IPv4: port unreachable
    for (let i = 0; i < 3; i++) mk('inet', L4, 7016, { reusePort: true }); // its head closed between bursts
    for (let i = 0; i < 2; i++) mk('inet', L4, 7017, { reusePort: true });
    mk('inet', L4, 7017); // SO_REUSEADDR alone, newest: a head in no group before a group on its chain
    const g18 = Array.from({ length: 3 }, () => mk('inet', L4, 7018, { reusePort: true }));
    t.setOption(g18[2]!, 'SO_BINDTODEVICE', 1); // the head bound to loopback after joining: the next member scores
  }
  if (o.groups6) {
    // IPv6 groups the hash2 slot names: the lean IPv6 lookup matches the group's key (sock.ts RG_ID6, RG_RCV6)
    for (let i = 0; i < 3; i++) mk('inet6', L6, 7021, { reusePort: true }); // the exact chain
    const g22 = Array.from({ length: 3 }, () => mk('inet6', L6, 7022, { reusePort: true }));
    t.setOption(g22[0]!, 'SO_BINDTODEVICE', 1); // the head (IPv6 members go last: the first one) bound to loopback: the next scores
    const g23 = Array.from({ length: 3 }, () => mk('inet6', L6, 7023, { reusePort: true }));
    for (const id of g23) t.setOption(id, 'SO_BINDTODEVICE', 1); // all bound to loopback: none scores for eth0
  }
  if (o.dests) {
    // the second address of eth0 (LINKS): a group on its exact chain beside a wildcard socket of the
    // same port, and a group whose members were bound to loopback before they joined (the group's
    // device, sock.ts RG_DEV, is 1 from its start)
    for (let i = 0; i < 3; i++) mk('inet', L4B, 7031, { reusePort: true });
    mk('inet', '0.0.0.0', 7031);
    for (let i = 0; i < 3; i++) mk('inet', L4B, 7032, { reusePort: true, dev: 1 });
  }
  if (o.big) {
    // a full inline member array (sock.ts RG_INLINE; the slot's copy: all 16 in its first line, h2Member)
    // and one of 40, grown past it (an array of its own, RG_SOCKS): the copy's members 16-32 in the slot's
    // second line, 33-39 read from the array; then three on 7053 for tests that change them
    for (let i = 0; i < 16; i++) mk('inet', L4, 7051, { reusePort: true });
    for (let i = 0; i < 40; i++) mk('inet', L4, 7052, { reusePort: true });
    for (let i = 0; i < 3; i++) mk('inet', L4, 7053, { reusePort: true });
  }
  // an IPv6 group of 40 on L6 (the slot's copy's members in its first line, its second, past it in the array)
  if (o.big6) for (let i = 0; i < 40; i++) mk('inet6', L6, 7056, { reusePort: true });
  if (o.prog) for (let i = 0; i < 3; i++) mk('inet', L4, 7041, { reusePort: true }); // run() attaches an sk_reuseport program
  // a group on L6C's 7061, whose chain is L6's 7061 (L6C), and one on L6's 7062 beside nothing on L6C's
  if (o.collide6) {
    for (let i = 0; i < 3; i++) mk('inet6', L6C, 7061, { reusePort: true });
    for (let i = 0; i < 3; i++) mk('inet6', L6, 7062, { reusePort: true });
  }
  // one socket on each of 64 consecutive ports of one IPv6 address (PORTS6)
  if (o.ports6) for (let p = PORTS6; p < PORTS6 + 64; p++) mk('inet6', L6, p);
  return { ids };
}

/**
 * The first of the 64 ports run's ports6 option binds on L6. ipv6_portaddr_hash puts each port of an
 * address on a hash2 chain of its own (`hash ^ port`); a mix of the port with the address's hash put
 * 27038 and 27039 of this one on one chain of two (sock_lookup.ts before its `^ port`).
 */
const PORTS6 = 27000;

/** The bursts of the main case: IPv4 and IPv6 interleaved, every edge above. */
function bursts(): Uint8Array[][] {
  const a: Uint8Array[] = [];
  let k = 0;
  // what the lean paths take: groups, a lone socket, the wildcard chain (dual-stack, V6ONLY beside AF_INET)
  for (let i = 0; i < 8; i++) {
    a.push(v6(k++, 7001));
    a.push(v4(k++, 7006));
  }
  a.push(v6(k++, 7002), v6(k++, 7003), v6(k++, 7004), v6(k++, 7007), v4(k++, 7000), v4(k++, 7003), v4(k++, 7004));
  // Ethernet padding past the payload length / the total length
  const pad = (f: Uint8Array) => concat(f, new Uint8Array(24).fill(0xee));
  a.push(pad(v6(k++, 7002)), pad(v4(k++, 7000)));
  // checksums: wrong, zero (IPv4: none; IPv6: an error, with a socket and without)
  a.push(v6(k++, 7002, { check: 0x1234 }), v4(k++, 7000, { check: 0x1234 }));
  a.push(v6(k++, 7002, { check: 0 }), v6(k++, 7999, { check: 0 }), v4(k++, 7000, { check: 0 }));
  // lengths: under 8, past the payload, 0 over IPv6 (a jumbogram's: the payload's), payload length past the frame
  a.push(v6(k++, 7002, { lenField: 4 }), v6(k++, 7002, { lenField: 200 }), v6(k++, 7002, { lenField: 0 }), v6(k++, 7002, { plen: 300 }));
  a.push(v4(k++, 7000, { lenField: 4 }), v4(k++, 7000, { lenField: 200 }));
  // no socket (port unreachable), a head bound to another device
  a.push(v6(k++, 7998), v6(k++, 7005), v4(k++, 7998));
  const b: Uint8Array[] = [];
  // multicast and broadcast (the full path), UDP-Lite (no UDP-Lite socket: NoPorts), an extension header
  b.push(v6(k++, 7003, { dst: 'ff02::1', dstMac: '33:33:00:00:00:01' }), v4(k++, 7003, { dst: '192.0.2.255', check: 0 }));
  b.push(v6(k++, 7002, { proto: 136, lenField: 0 }));
  {
    const u = udp6(P6, L6, 41000, 7002, tag(k++));
    b.push(e6(ipv6({ src: P6, dst: L6, nh: 0 }, concat(optHdr(17, [1, 4, 0, 0, 0, 0]), u))));
  }
  // a source from another subnet, a link-local source, an address that is not ours
  b.push(v6(k++, 7002, { src: '2001:db8:9::5' }), v6(k++, 7002, { src: 'fe80::2' }), v6(k++, 7002, { dst: '2001:db8:1::99' }));
  // the same flows again (the memo and the socket records warm)
  for (let i = 0; i < 12; i++) b.push(v6(i, 7001), v4(i + 1, 7006), v6(k++, 7002));
  return [a, b];
}

/** Sockets a test's `between` closed (their queues went with them). */
const closedIds = new Set<number>();

interface Outcome {
  queues: string[][];
  counters: Record<string, number>;
  sent: string[];
  /** How many frames of each burst a lean path took (stage word not 0). */
  taken: number[];
  /** Each burst's stage words after its poll (udp_lean.ts LB_*: 4 is LB_UDP, a frame the lookup left to udp_rcv / udpv6_rcv). */
  words: number[][];
  /** The sockets the ready list reported after the last burst, in its order. */
  ready: number[];
}

async function run(lean: boolean, frames: Uint8Array[][], o: { connected?: boolean; smallBuf?: boolean; smallBuf4?: boolean; groups?: boolean; groups6?: boolean; dests?: boolean; prog?: boolean; big?: boolean; big6?: boolean; ports6?: boolean; collide6?: boolean; between?: (fx: Fixture, burst: number, ids: number[]) => void } = {}): Promise<Outcome> {
  const fx = await Fixture.create(LINKS, [], NEIGH);
  if (o.collide6) fx.dp.ip(`addr add ${L6C}/64 dev eth0`);
  const t = fx.dp.socketTable;
  t.setHashSecret(0x5eed);
  const { ids } = sockets(t, o);
  if (o.prog) {
    // programs/sk_reuseport.c select_by_payload: the payload's first byte is the index of
    // reuseport_array, which holds 7041's members in their order
    const obj = await fx.dp.loadObject('programs/sk_reuseport.o');
    const g = ids.slice(-3);
    g.forEach((id, k) => obj.map('reuseport_array').update(u32le(k), u64le(id)));
    fx.dp.attachReuseport(g[0]!, obj.program('select_by_payload'));
  }
  if (!lean) fx.dp.nft('table inet wxdiff { chain c { type filter hook prerouting priority 0; policy accept; }; }');
  // the IPv4 local memo learns 192.0.2.1 through the full path (udp_lean.ts reads it; the full path fills it)
  fx.rx('eth0', v4(0xfff, 7000));
  for (const id of ids) while (t.recv(id));
  fx.tx();
  const before = fx.nonzero();
  const d = fx.devs.get('eth0')!;
  const view = () => new DataView(fx.dp.memory.memory.buffer);
  const taken: number[] = [];
  const words: number[][] = [];
  const sent: string[] = [];
  for (const [bi, burst] of frames.entries()) {
    o.between?.(fx, bi, ids);
    fx.advance(10_000); // the ICMP limiters' tokens back
    for (const f of burst) if (!d.inject(f)) throw new Error('inject failed');
    d.poll();
    // the burst's stage words (udp_lean.ts: worker scratch + SCR_L4_BURST, one u32 a frame)
    const root = view().getUint32(0x2220, true);
    const scr = view().getUint32(root + 44, true) + 5632;
    const w = Array.from({ length: burst.length }, (_, i) => view().getUint32(scr + 4 * i, true));
    taken.push(w.filter((x) => x !== 0).length);
    words.push(w);
    for (const [dev, fs] of fx.tx()) for (const f of fs) sent.push(`${dev} ${hex(f)}`);
  }
  const ready = t.ready();
  const queues = ids.map((id) => {
    const q: string[] = [];
    if (closedIds.has(id)) return q;
    for (let m = t.recv(id); m; m = t.recv(id)) q.push(`${hex(m.data)} ${m.address} ${m.port} ${m.ifindex} ${m.size}`);
    return q;
  });
  const counters: Record<string, number> = {};
  for (const [key, v] of Object.entries(fx.nonzero())) {
    // the switch's own side effect: the hook runs conntrack (nothing of UDP's or IP's counting)
    if (v !== (before[key] ?? 0) && !key.startsWith('nf_conntrack:')) counters[key] = v - (before[key] ?? 0);
  }
  return { queues, counters, sent, taken, words, ready };
}

/** Both stacks over `frames`: the queues, counters and frames sent equal; the lean one's outcome. */
async function leanAsFull(frames: Uint8Array[][], o: Parameters<typeof run>[2] = {}): Promise<Outcome> {
  const lean = await run(true, frames, o);
  const full = await run(false, frames, o);
  expect(lean.queues).toEqual(full.queues);
  expect(lean.counters).toEqual(full.counters);
  expect(lean.sent).toEqual(full.sent);
  return lean;
}

describe.skipIf(unready !== '')('the lean receive paths give what the full path gives (same frames, same bursts)', () => {
  it('IPv4 and IPv6 interleaved: queues, counters, ICMP errors equal; the lean paths took the plain datagrams', async () => {
    const frames = bursts();
    const lean = await run(true, frames);
    const full = await run(false, frames);
    expect(lean.queues).toEqual(full.queues);
    expect(lean.counters).toEqual(full.counters);
    expect(lean.sent).toEqual(full.sent);
    expect(full.taken).toEqual([0, 0]);
    // burst 1: only the payload length past the frame (plen 300: ip6_rcv_core's InTruncatedPkts) is
    // left to the full path; wrong lengths and checksums are taken and handed to udp_rcv / udpv6_rcv whole
    expect(lean.taken[0]).toBe(frames[0]!.length - 1);
    // burst 2: the multicast, broadcast, extension-header, link-local-source and not-ours frames are the full path's
    expect(lean.taken[1]).toBe(frames[1]!.length - 5);
    // the queues hold what the kernel's rules say (checked on both: equal above)
    const [s4, g0, g1, g2, g3, alone, ds, w4, v6only, dev, r0, r1, wild6] = lean.queues;
    expect(g0!.length + g1!.length + g2!.length + g3!.length).toBe(20);
    expect([g0, g1, g2, g3].filter((q) => q!.length > 0).length).toBeGreaterThan(1); // the group spreads
    expect(r0!.length + r1!.length).toBe(20);
    // the dual-stack socket on :: also takes the multicast to ff02::1 and the IPv4 broadcast of its port
    expect(ds!.map((m) => m.split(' ')[1])).toEqual([P6, `::ffff:${P4}`, P6, `::ffff:${P4}`]);
    expect(w4!.map((m) => m.split(' ')[1])).toEqual([P4]);
    expect(v6only!.map((m) => m.split(' ')[1])).toEqual([P6]);
    expect(wild6!.length).toBe(1);
    expect(dev).toEqual([]);
    // the lone socket: the plain one, the padded one, the zero-length one (the payload's length, RFC 2675's
    // rule as udpv6_rcv applies it), the one behind a hop-by-hop header, the other subnet's, the
    // link-local source's, 12 more
    expect(alone!.length).toBe(3 + 3 + 12);
    expect(s4!.length).toBe(3); // plain, padded, zero checksum (none over IPv4)
    expect(lean.counters['Udp6:InCsumErrors']).toBe(3);
    expect(lean.counters['Udp:InCsumErrors']).toBe(1);
    expect(lean.counters['Udp6:NoPorts']).toBe(2);
  }, 60_000);

  it('a connected socket in the table: the fast lookup steps aside, the lean IPv6 receive still answers as the full path', async () => {
    const frames = bursts();
    const lean = await run(true, frames, { connected: true });
    const full = await run(false, frames, { connected: true });
    expect(lean.queues).toEqual(full.queues);
    expect(lean.counters).toEqual(full.counters);
    expect(lean.sent).toEqual(full.sent);
    expect(lean.taken[0]).toBe(frames[0]!.length - 1);
  }, 60_000);

  it('an address removed between bursts: the memo of local pairs goes with the FIB generation (no more deliveries to it)', async () => {
    const burst = [...Array.from({ length: 6 }, (_, i) => v6(i, 7002)), ...Array.from({ length: 6 }, (_, i) => v4(i, 7000))];
    const between = (fx: Fixture, bi: number) => {
      if (bi === 1) fx.ip(`addr del ${L6}/64 dev eth0`);
      if (bi === 2) fx.ip(`addr add ${L6}/64 dev eth0`);
    };
    const lean = await run(true, [burst, burst, burst], { between });
    const full = await run(false, [burst, burst, burst], { between });
    expect(lean.queues).toEqual(full.queues);
    expect(lean.counters).toEqual(full.counters);
    expect(lean.sent).toEqual(full.sent);
    // the lone IPv6 socket got the first and the last burst's six: not the second's (its address gone)
    expect(lean.queues[5]!.length).toBe(12);
    // each change moves the FIB generation: IPv4's memo is learned again by the full path (its first
    // frame after a change), IPv6's by the lean path's own route (none local in the second burst)
    expect(lean.taken).toEqual([12, 0, 6]);
  }, 60_000);

  it('a full receive buffer: Udp6:RcvbufErrors, InErrors, SOCKET_RCVBUFF and sk_drops as the full path counts them', async () => {
    const burst = Array.from({ length: 40 }, (_, i) => v6(i, 7002));
    const lean = await run(true, [burst], { smallBuf: true });
    const full = await run(false, [burst], { smallBuf: true });
    expect(lean.queues).toEqual(full.queues);
    expect(lean.counters).toEqual(full.counters);
    expect(lean.counters['Udp6:RcvbufErrors']).toBeGreaterThan(0);
    expect(lean.counters['Udp6:RcvbufErrors']).toBe(lean.counters['Udp6:InErrors']);
    expect(lean.taken[0]).toBe(40);
  }, 60_000);

  // the order of a burst's stages follows the last burst (eth.ts stack_rx_burst, udp_lean.ts
  // udp4_burst_demux): a burst the lean receive took whole is followed by one decided by it first (no
  // pass before it unless it leaves frames), a burst udp6_lean.ts took whole by one whose IPv4 frames
  // go the full path; either way each frame gets what the full path gives it
  it('bursts after a whole-lean one: IPv4 frames after an IPv6-only burst, frames for another host after an IPv4-only one', async () => {
    let k = 0;
    const only6 = Array.from({ length: 8 }, (_, i) => v6(k++, i % 2 ? 7001 : 7002));
    const mixed = [v6(k++, 7002), v4(k++, 7000), v6(k++, 7001), v4(k++, 7006), v4(k++, 7003)];
    const only4 = Array.from({ length: 8 }, (_, i) => v4(k++, i % 2 ? 7006 : 7000));
    // a datagram for an address on the link that is not ours (not forwarded: ip_forward 0), one to no socket
    const others = [v4(k++, 7000), v4(k++, 7000, { dst: '192.0.2.99' }), v4(k++, 7998), v4(k++, 7006)];
    const again = Array.from({ length: 4 }, () => v4(k++, 7000));
    const frames = [only6, mixed, only4, others, again, only6, only6, mixed];
    const lean = await run(true, frames);
    const full = await run(false, frames);
    expect(lean.queues).toEqual(full.queues);
    expect(lean.counters).toEqual(full.counters);
    expect(lean.sent).toEqual(full.sent);
    expect(lean.counters['Udp:NoPorts']).toBe(1);
    // after the IPv6-only bursts the mixed ones' three IPv4 frames go the full path (two taken); the
    // IPv4 stage looks again at the next burst; the frame for another host is the full path's
    expect(lean.taken).toEqual([8, 2, 8, 3, 4, 8, 8, 2]);
  }, 60_000);

  // one flow's frames in a row: the later ones take the first one's lookup, and a run of them to one
  // socket is queued at once (udp_lean.ts LB_SAME, udp.ts udp_queue_run), each still decided alone:
  // its own checksum and length, SO_RCVBUF reached in the middle of a run, order kept
  it('runs of one flow: each frame checked alone, SO_RCVBUF reached mid-run, families and bad frames end a run', async () => {
    const sp = { sport: 41000 };
    const a: Uint8Array[] = [];
    let k = 0;
    for (let i = 0; i < 6; i++) a.push(v4(k++, 7000, sp));
    a.push(v4(k++, 7000, { ...sp, check: 0x1234 }), v4(k++, 7000, { ...sp, lenField: 4 }));
    for (let i = 0; i < 10; i++) a.push(v4(k++, 7000, sp));
    // a dual-stack socket: the same port from both families, runs of each
    for (let i = 0; i < 3; i++) a.push(v6(k++, 7003, sp));
    for (let i = 0; i < 3; i++) a.push(v4(k++, 7003, sp));
    for (let i = 0; i < 2; i++) a.push(v6(k++, 7003, sp));
    // a reuseport group: one flow stays on one member; another flow between two of its frames
    a.push(v4(k++, 7006, sp), v4(k++, 7006, sp), v4(k++, 7006, { sport: 41001 }), v4(k++, 7006, sp));
    // the small IPv6 socket: a run past its buffer, then a frame with a bad checksum
    for (let i = 0; i < 12; i++) a.push(v6(k++, 7002, sp));
    a.push(v6(k++, 7002, { ...sp, check: 0x1234 }), v6(k++, 7002, sp));
    const b = Array.from({ length: 20 }, () => v4(k++, 7000, sp));
    const lean = await run(true, [a, b], { smallBuf: true, smallBuf4: true });
    const full = await run(false, [a, b], { smallBuf: true, smallBuf4: true });
    expect(lean.queues).toEqual(full.queues);
    expect(lean.counters).toEqual(full.counters);
    expect(lean.counters['Udp:RcvbufErrors']).toBeGreaterThan(0);
    expect(lean.counters['Udp6:RcvbufErrors']).toBeGreaterThan(0);
    expect(lean.counters['Udp:InCsumErrors']).toBe(1);
    expect(lean.counters['Udp6:InCsumErrors']).toBe(1);
    expect(lean.taken).toEqual([a.length, b.length]);
    // what reached the queues: in order, within each queue
    expect(lean.queues[0]!.length).toBeGreaterThan(1);
  }, 60_000);

  // a frame whose MAC, EtherType, version/IHL, TOS, protocol, addresses and ports are those of the last
  // flow's frame gets only its own fields checked (udp_lean.ts lastFlowOwn): each of those fields off in
  // a run of one flow — and each of the others, which send the frame the whole way — gets the full path's
  // answer (a fragment is held for reassembly, a bad header checksum or a total length past the frame
  // dropped by ip_rcv_core, a total length short of UDP's header or a UDP length or checksum wrong
  // counted by udp_rcv, padding trimmed; another MAC is OTHERHOST, UDP-Lite finds no socket)
  it('a run of one flow with one field off per frame: each frame gets what the full path gives it', async () => {
    const f4: F4 = (k, o = {}) => v4(k, 7000, { sport: 41000, ...o });
    const a = oneFieldOff4(f4);
    const lean = await leanAsFull([a]);
    // delivered: the 14 plain ones, the padded one, the three with another TOS, the one with another TTL and ID
    expect(lean.queues[0]!.length).toBe(14 + 1 + 3 + 1);
    // the wrong UDP checksum, and the two fragments' datagram: the first's data cut to 8 bytes (ip_frag_queue:
    // a fragment with MF ends on a multiple of 8), the second's whole UDP datagram after it, trimmed to the
    // first's UDP length of 11 — its checksum is the first datagram's, over other bytes
    expect(lean.counters['Ip:ReasmOKs']).toBe(1);
    expect(lean.counters['Udp:InCsumErrors']).toBe(2);
    // the full path's alone: the bad header checksum, the two fragments, the total length past the
    // frame, another MAC, and the three with another TOS (the local input memo answers for the TOS it
    // learned, the burst is decided before any of its frames goes up); the lean receive takes the
    // others (the bad lengths and checksum and UDP-Lite handed to udp_rcv whole)
    expect(lean.taken).toEqual([a.length - 8]);
  }, 60_000);

  // udp_lean.ts lastFlow compares a frame with the flow's frame under masks: DF, the source MAC, the TTL
  // and ID are outside them (such a frame is the flow's, its own fields checked); IP options (the header
  // length) and another source address are inside (decided the whole way: the options' frame by the
  // full path, another source by the lean one's full checks — our own address as the source is a martian)
  it('a run of one flow with DF, another source MAC, IP options or another source: each gets what the full path gives it', async () => {
    const f4: F4 = (k, o = {}) => v4(k, 7000, { sport: 41000, ...o });
    const otherSrcMac = (k: number): Uint8Array => {
      const f = f4(k);
      f.set([0x02, 0, 0, 0, 0, 0x77], 6);
      return f;
    };
    // another source, and one that is our own address (a martian: fib_validate_source)
    const otherSrc = (k: number, src: string): Uint8Array => e4(ipv4({ src, dst: L4, proto: 17 }, udp4(src, L4, 41000, 7000, tag(k))));
    let k = 0;
    const a = [f4(k++), f4(k++), f4(k++, { ip: { df: true } }), f4(k++), otherSrcMac(k++), f4(k++),
      f4(k++, { ip: { options: [1, 1, 1, 1] } }), f4(k++), otherSrc(k++, '192.0.2.3'), f4(k++), otherSrc(k++, L4B), f4(k++),
      f4(k++, { ip: { df: true, ttl: 3, id: 9 } })];
    const lean = await leanAsFull([a]);
    // all but the martian delivered (NOP options are valid); the options' frame and the martian are the full path's alone
    expect(lean.queues[0]!.length).toBe(a.length - 1);
    expect(lean.taken).toEqual([a.length - 2]);
  }, 60_000);

  // udp_lean.ts: a frame with the last flow's addresses, MAC, +12 word and protocol but other ports is
  // checked as the last flow's are (lastFlowOwn), then looked up with its own ports
  it('frames between the same two addresses, each with its own ports and one field off: each gets what the full path gives it', async () => {
    const f4: F4 = (k, o = {}) => v4(k, k % 2 === 0 ? 7000 : 7006, { sport: 41000 + k, ...o });
    const a = oneFieldOff4(f4);
    const lean = await leanAsFull([a]);
    // as the run of one flow above: 19 delivered (here to 7000's socket and 7006's two members), the
    // wrong UDP checksum and the reassembled datagram's counted, the same 8 frames left to the full path
    const q = lean.queues;
    expect(q[0]!.length + q[10]!.length + q[11]!.length).toBe(14 + 1 + 3 + 1);
    expect(q[10]!.length).toBeGreaterThan(0);
    expect(q[11]!.length).toBeGreaterThan(0);
    expect(lean.counters['Ip:ReasmOKs']).toBe(1);
    expect(lean.counters['Udp:InCsumErrors']).toBe(2);
    expect(lean.taken).toEqual([a.length - 8]);
  }, 60_000);

  // the same for IPv6 (udp6_lean.ts lastFlowOwn6): our MAC, version 6, UDP right after the fixed header,
  // the flow's addresses and ports; the traffic class, flow label and hop limit are none of the lean
  // path's business (its memo answers for the addresses), so frames differing there are still taken
  // udp_lean.ts lastFlowOwn checks a short datagram's two checksums in one pass (csum.ts ipUdp4ShortOk:
  // the header's and the datagram's sums folded side by side, the datagram's last vectors cut at its
  // length): every UDP length from 8 to 50 bytes (the one pass takes 12-44), odd and even, each plain,
  // with bytes past its UDP length inside the total length (not summed: udp_rcv trims to the UDP length
  // first), with its UDP checksum one off, and with both checksums off by amounts that cancel (one more
  // in the header's sum, one less in the datagram's: a single sum of both would pass) — the frames
  // between the same two addresses, so all but each burst's first are checked by lastFlowOwn
  it('short datagrams of every length, with bytes past the UDP length and checksums off: each gets what the full path gives it', async () => {
    const ports = [7000, 7004, 7003, 7006];
    // ones-complement: the field that makes its sum `d` more (1..0xffff; 0 is "no checksum" for UDP)
    const off = (c: number, d: number) => ((c - 1 + d + 0xffff) % 0xffff) + 1;
    // `cover`: the UDP checksum made over one byte more or less than the UDP length (a wrong one, which a
    // sum cut one byte off would take)
    const frame = (k: number, ulen: number, o: { trail?: number; udpOff?: number; ipOff?: number; cover?: number } = {}): Uint8Array => {
      const data = Uint8Array.from({ length: ulen - 8 }, (_, i) => ((k * 31 + i * 7) % 255) + 1);
      if (data.length >= 2) data.set(tag(k).subarray(0, 2));
      const u = udp4(P4, L4, 40000 + k, ports[k % ports.length]!, data);
      const body = concat(u, new Uint8Array(o.trail ?? 0).fill(0xa5));
      if (o.cover !== undefined) {
        body[6] = body[7] = 0;
        const ph = Uint8Array.from([...ipv4Bytes(P4), ...ipv4Bytes(L4), 0, 17, ...be16(ulen)]);
        const c = inetChecksum(ph, body.subarray(0, ulen + o.cover)) || 0xffff;
        body[6] = c >> 8;
        body[7] = c & 0xff;
      }
      const c = off((body[6]! << 8) | body[7]!, o.udpOff ?? 0);
      body[6] = c >> 8;
      body[7] = c & 0xff;
      const ip = ipv4({ src: P4, dst: L4, proto: 17 }, body);
      const h = off((ip[10]! << 8) | ip[11]!, o.ipOff ?? 0);
      ip[10] = h >> 8;
      ip[11] = h & 0xff;
      return e4(ip);
    };
    const a: Uint8Array[] = [];
    let k = 0;
    for (let ulen = 8; ulen <= 50; ulen++) {
      a.push(frame(k++, ulen), frame(k++, ulen, { trail: 5 + (ulen % 11) }), frame(k++, ulen, { udpOff: 1 }));
      a.push(frame(k++, ulen, { ipOff: 1, udpOff: -1 }), frame(k++, ulen, { ipOff: -1, udpOff: 1 }));
      // (the last byte data, not zero: from 11 bytes on)
      if (ulen >= 11) a.push(frame(k++, ulen, { trail: 3, cover: 1 }), frame(k++, ulen, { cover: -1 }));
    }
    const frames: Uint8Array[][] = [];
    for (let i = 0; i < a.length; i += 43) frames.push(a.slice(i, i + 43));
    const lean = await leanAsFull(frames);
    const n = 50 - 8 + 1;
    // delivered: the plain ones and those with bytes past their UDP length; the UDP checksum one off
    // counted by udp_rcv; both off, ip_rcv_core's header checksum error
    const m = 50 - 11 + 1;
    expect(lean.queues.reduce((s, q) => s + q.length, 0)).toBe(2 * n);
    expect(lean.counters['Udp:InCsumErrors']).toBe(n + 2 * m);
    expect(lean.counters['IpExt:InCsumErrors']).toBe(2 * n);
    // the lean receive took all but the header checksum errors
    expect(lean.taken.reduce((s, x) => s + x, 0)).toBe(3 * n + 2 * m);
  }, 60_000);

  // udp6_lean.ts lastFlowOwn6 sums a pair's two addresses once (udp.ts udp6AddrSum) for the pair's
  // later frames: runs from two sources in turn, each frame of a run with its own ports and length
  // (8-40 bytes), plain or with a UDP checksum made with the other source's address (wrong, but right
  // for a sum of the other pair's addresses) — each as the full path
  it('IPv6 runs from two sources in turn, checksums made with the other source: each gets what the full path gives it', async () => {
    const P6B = '2001:db8:1::3';
    const ports = [7002, 7003, 7004, 7001];
    const frame = (k: number, src: string, ulen: number, sumSrc = src): Uint8Array => {
      const data = Uint8Array.from({ length: ulen - 8 }, (_, i) => ((k * 13 + i * 5) % 255) + 1);
      const u = udp6(sumSrc, L6, 40000 + k, ports[k % ports.length]!, data);
      return e6(ipv6({ src, dst: L6, nh: 17 }, u));
    };
    const a: Uint8Array[] = [];
    let k = 0;
    for (let run = 0; run < 4; run++) {
      const [src, other] = run % 2 === 0 ? [P6, P6B] : [P6B, P6];
      for (let ulen = 8; ulen <= 40; ulen += 4) a.push(frame(k++, src, ulen), frame(k++, src, ulen + 1), frame(k++, src, ulen + 2, other));
    }
    const lean = await leanAsFull([a.slice(0, 54), a.slice(54)]);
    // 9 lengths × 4 runs: two delivered, one a checksum error each
    expect(lean.queues.reduce((s, q) => s + q.length, 0)).toBe(2 * 9 * 4);
    expect(lean.counters['Udp6:InCsumErrors']).toBe(9 * 4);
    expect(lean.taken).toEqual([54, 54]);
  }, 60_000);

  it('a run of one IPv6 flow with one field off per frame: each frame gets what the full path gives it', async () => {
    const sport = 41000;
    const f6 = (k: number, o: F6o = {}): Uint8Array => {
      const u = udp6(P6, L6, sport, 7002, tag(k), o);
      const f = e6(ipv6({ src: P6, dst: L6, nh: 17, ...o.ip }, u), o.dstMac);
      return o.pad ? concat(f, new Uint8Array(o.pad).fill(0xee)) : f;
    };
    const a = oneFieldOff6(f6, (k) => v6(k, 7002, { sport, proto: 136 }));
    const lean = await leanAsFull([a]);
    // the lone socket: the 12 plain ones, the padded one, the other traffic class, flow label, hop limit
    expect(lean.queues[5]!.length).toBe(12 + 1 + 3);
    // the wrong checksum and the zero one (RFC 8200 8.1: an error over IPv6)
    expect(lean.counters['Udp6:InCsumErrors']).toBe(2);
    // the full path's alone: the payload length past the frame and short of UDP's header, version 4,
    // another MAC; the lean receive takes the others (the bad lengths and checksums and UDP-Lite handed
    // to udpv6_rcv whole)
    expect(lean.taken).toEqual([a.length - 4]);
  }, 60_000);

  // udp6_lean.ts: a frame with the last flow's address pair, MAC, version and next header but other
  // ports is checked as the last flow's are (lastFlowOwn6), then looked up with its own ports
  it('IPv6 frames between the same two addresses, each with its own ports and one field off: each gets what the full path gives it', async () => {
    const f6 = (k: number, o: F6o = {}): Uint8Array => {
      const u = udp6(P6, L6, 41000 + k, k % 2 === 0 ? 7002 : 7001, tag(k), o);
      const f = e6(ipv6({ src: P6, dst: L6, nh: 17, ...o.ip }, u), o.dstMac);
      return o.pad ? concat(f, new Uint8Array(o.pad).fill(0xee)) : f;
    };
    const a = oneFieldOff6(f6, (k) => v6(k, 7002, { sport: 41000 + k, proto: 136 }));
    const lean = await leanAsFull([a]);
    // as the run of one flow above: 16 delivered (here to 7001's group, ids 1-4, and 7002's socket), the
    // two checksum errors, the same 4 frames left to the full path
    const q = lean.queues.slice(1, 6);
    expect(q.reduce((x, m) => x + m.length, 0)).toBe(12 + 1 + 3);
    expect(q[4]!.length).toBeGreaterThan(0);
    expect(q.slice(0, 4).filter((m) => m.length > 0).length).toBeGreaterThan(1);
    expect(lean.counters['Udp6:InCsumErrors']).toBe(2);
    expect(lean.taken).toEqual([a.length - 4]);
  }, 60_000);

  // frames in a row whose lookups found different sockets are queued together (udp_lean.ts udpMixedRun,
  // sock.ts skEnqueueBurst: udp_mem reserved once for the row), each still decided alone: SO_RCVBUF
  // reached on one socket in the middle of the row, udp_mem (sk_mem_max) reached in the middle of one
  it('rows of frames to different sockets: each queued as alone, SO_RCVBUF and udp_mem reached mid-row, families end a row', async () => {
    const a: Uint8Array[] = [];
    let k = 0;
    for (let i = 0; i < 6; i++) a.push(v4(k++, 7000, { sport: 41000 }), v4(k++, 7006, { sport: 41000 + i }), v4(k++, 7003, { sport: 41000 }));
    for (let i = 0; i < 6; i++) a.push(v6(k++, 7002, { sport: 41000 }), v6(k++, 7001, { sport: 41000 + i }), v6(k++, 7003, { sport: 41000 }));
    for (let i = 0; i < 4; i++) a.push(v4(k++, 7006, { sport: 42000 + i }), v6(k++, 7001, { sport: 42000 + i }));
    const b: Uint8Array[] = [];
    for (let i = 0; i < 10; i++) b.push(v4(k++, 7006, { sport: 43000 + i }), v4(k++, 7003, { sport: 43000 + i }));
    for (let i = 0; i < 10; i++) b.push(v6(k++, 7001, { sport: 43000 + i }), v6(k++, 7003, { sport: 43000 + i }));
    const memLimit = (fx: Fixture, bi: number): void => {
      if (bi !== 1) return;
      const x = fx.dp.fastPath.exports as unknown as { sk_mem_max(n: number): void; sk_mem_held(): number };
      x.sk_mem_max(x.sk_mem_held() + 7); // room for 7 more: the first row of burst b reaches it
    };
    const lean = await run(true, [a, b], { smallBuf: true, smallBuf4: true, between: memLimit });
    const full = await run(false, [a, b], { smallBuf: true, smallBuf4: true, between: memLimit });
    expect(lean.queues).toEqual(full.queues);
    expect(lean.counters).toEqual(full.counters);
    expect(lean.counters['Udp:RcvbufErrors']).toBeGreaterThan(0);
    expect(lean.counters['Udp6:RcvbufErrors']).toBeGreaterThan(0);
    // 7 queued in burst b, the other 33 over udp_mem: MemErrors in both families (the IPv6 row comes after)
    expect(lean.counters['Udp:MemErrors']).toBe(13);
    expect(lean.counters['Udp6:MemErrors']).toBe(20);
    expect(lean.taken).toEqual([a.length, b.length]);
    // each socket that got a datagram on the ready list once, in the order they got their first
    expect(lean.ready).toEqual(full.ready);
    expect(new Set(lean.ready).size).toBe(lean.ready.length);
    expect(lean.ready.length).toBe(lean.queues.filter((q) => q.length > 0).length);
  }, 60_000);

  it('flows interleaved in a burst: a flow seen earlier in the burst takes its lookup, a flow with the same ports from another source its own', async () => {
    const a: Uint8Array[] = [];
    let k = 0;
    for (let r = 0; r < 6; r++) {
      for (const sport of [41000, 41001, 41002, 41003]) a.push(v4(k++, 7006, { sport }), v6(k++, 7001, { sport }));
      a.push(v6(k++, 7001, { sport: 41000, src: '2001:db8:1::3' }), v4(k++, 7003, { sport: 41000 }), v6(k++, 7003, { sport: 41000 }));
    }
    const lean = await run(true, [a]);
    const full = await run(false, [a]);
    expect(lean.queues).toEqual(full.queues);
    expect(lean.counters).toEqual(full.counters);
    expect(lean.taken).toEqual([a.length]);
    // the reuseport groups spread the flows (more than one member of each received)
    expect(lean.queues.filter((q) => q.length > 0).length).toBeGreaterThan(3);
  }, 60_000);

  it('flows from other sources whose key shares the flow table slot: each looked up with its own addresses', async () => {
    // udp_lean.ts ftSlot: (key × 0x9e3779b1) >> 27, key = the source's last word ^ the ports' word (both
    // as little-endian loads of the header bytes); sources 2001:db8:1::N whose slot is P6's for these ports
    const sport = 41000;
    const pp = ((sport >> 8) | ((sport & 0xff) << 8) | ((7001 >> 8) << 16) | ((7001 & 0xff) << 24)) >>> 0;
    const slot = (w: number) => Math.imul((w ^ pp) >>> 0, 0x9e3779b1) >>> 27;
    const p6 = slot(2 << 24);
    const srcs = [];
    for (let nn = 3; nn < 250 && srcs.length < 4; nn++) if (slot(nn << 24) === p6) srcs.push(`2001:db8:1::${nn.toString(16)}`);
    expect(srcs.length).toBe(4);
    const a: Uint8Array[] = [];
    let k = 0;
    for (let r = 0; r < 3; r++) {
      for (const src of srcs) a.push(v6(k++, 7001, { sport }), v6(k++, 7001, { sport, src }));
    }
    const lean = await run(true, [a]);
    const full = await run(false, [a]);
    expect(lean.queues).toEqual(full.queues);
    expect(lean.counters).toEqual(full.counters);
    // all but each new source's first frame (udp6_lean.ts's memo of local pairs learns it on the full path)
    expect(lean.taken[0]).toBeGreaterThanOrEqual(a.length - srcs.length);
  }, 60_000);

  it('IPv6 flows whose ports repeat with another source or destination in a burst, and an address pair that comes back: each frame gets its own pair\'s answer', async () => {
    // udp6_lean.ts numbers a burst's address pairs (K6_PAIR) and compares numbers, not headers: a
    // frame with the same ports as the one before but another destination (eth0's second address,
    // where nothing listens on 7001: NoPorts) or another source is not the same flow, and a pair that
    // comes back after another is numbered anew (looked up again, same answer)
    const L6B = '2001:db8:1::5';
    const a: Uint8Array[] = [];
    let k = 0;
    for (let r = 0; r < 4; r++) {
      a.push(v6(k++, 7001, { sport: 41000 }), v6(k++, 7001, { sport: 41000, dst: L6B }), v6(k++, 7001, { sport: 41000, src: '2001:db8:1::3' }));
      a.push(v6(k++, 7001, { sport: 41000, src: '2001:db8:1::3' }), v6(k++, 7001, { sport: 41000 }), v6(k++, 7001, { sport: 41001, dst: L6B }));
    }
    const frames = [a, a];
    const between = (fx: Fixture, bi: number) => {
      if (bi === 0) fx.dp.ip(`addr add ${L6B}/64 dev eth0`);
    };
    const lean = await run(true, frames, { between });
    const full = await run(false, frames, { between });
    expect(lean.queues).toEqual(full.queues);
    expect(lean.counters).toEqual(full.counters);
    expect(lean.sent).toEqual(full.sent);
    expect(lean.taken[1]).toBe(a.length);
    // 7001's group (ids 1-4) took the frames to 2001:db8:1::1, from both sources; the others are port unreachable
    expect(lean.counters['Udp6:NoPorts']).toBe(16);
    expect(lean.queues.slice(1, 5).reduce((x, q) => x + q.length, 0)).toBe(32);
    const from = new Set(lean.queues.slice(1, 5).flat().map((m) => m.split(' ')[1]));
    expect(from).toEqual(new Set([P6, '2001:db8:1::3']));
  }, 60_000);

  it('reuseport groups named by their hash2 slot: the wildcard chain, members bound to a device after joining, dual-stack and V6ONLY groups, a closed head, a head in no group', async () => {
    const ports = [7011, 7012, 7013, 7014, 7015, 7016, 7017, 7018];
    const burst = (r: number) => ports.flatMap((p) => [41000, 41001, 41002, 41003].map((sport, j) => v4(r * 100 + p - 7000 + j * 20, p, { sport })));
    // the newest member of 7016's group (the chain's head) closed after the first burst
    const between = (fx: Fixture, bi: number, ids: number[]) => {
      if (bi === 1) {
      fx.dp.socketTable.close(ids[ids.length - 7]!);
      closedIds.add(ids[ids.length - 7]!);
    }
    };
    const frames = [burst(0), burst(1), burst(2)];
    closedIds.clear();
    const lean = await run(true, frames, { groups: true, between });
    const full = await run(false, frames, { groups: true, between });
    expect(lean.queues).toEqual(full.queues);
    expect(lean.counters).toEqual(full.counters);
    expect(lean.sent).toEqual(full.sent);
    expect(lean.taken).toEqual(frames.map((f) => f.length));
    // what the kernel's rules give (three bursts of four datagrams a port): udp4_lib_lookup2 takes the
    // first socket that scores, and a group member's group chooses among all its members
    // 7012: every member bound to loopback, 7015: V6ONLY sockets only: closed ports for IPv4 on eth0
    expect(lean.counters['Udp:NoPorts']).toBe(24);
    const q = lean.queues.slice(-24);
    const sum = (a: string[][]) => a.reduce((x, y) => x + y.length, 0);
    expect(sum(q.slice(0, 3))).toBe(12); // 7011 on 0.0.0.0
    expect(sum(q.slice(3, 6))).toBe(0);
    expect(sum(q.slice(6, 9))).toBe(12); // 7013: the head scores, its group chooses (the bound member too)
    expect(sum(q.slice(9, 12))).toBe(12); // 7014 dual-stack, as ::ffff:192.0.2.2
    expect(sum(q.slice(12, 15))).toBe(0);
    expect(sum(q.slice(15, 17))).toBeGreaterThanOrEqual(8); // 7016: the two left take the last two bursts
    expect(q[20]!.length).toBe(12); // 7017: the newest socket, in no group, scores first and keeps the chain
    expect(sum(q.slice(18, 20))).toBe(0);
    expect(sum(q.slice(21, 24))).toBe(12); // 7018: the next member scores, its group chooses (the bound head too)
  }, 60_000);

  it('IPv4 bursts to two local addresses: each frame looked up on the chains of its own destination; a group bound to a device from its start', async () => {
    // udp_lean.ts keeps the destination's hash2 mix while a burst's frames share it: a frame to the
    // other address must not be looked up with it (its exact chain holds 7031's group; the wildcard
    // chain a socket that would take the datagram if the exact one were missed)
    const burst = (r: number) => [0, 1, 2, 3, 4, 5].flatMap((j) => [
      v4(r * 100 + j * 3, 7000, { sport: 41000 + j }),
      v4(r * 100 + j * 3 + 1, 7031, { dst: L4B, sport: 41000 + j }),
      v4(r * 100 + j * 3 + 2, j % 2 === 0 ? 7032 : 7031, { dst: L4B, sport: 42000 + j }),
    ]);
    // the first burst teaches the local input memo 198.51.100.1 (through the full path)
    const frames = [burst(0), burst(1), burst(2)];
    closedIds.clear();
    const lean = await run(true, frames, { dests: true });
    const full = await run(false, frames, { dests: true });
    expect(lean.queues).toEqual(full.queues);
    expect(lean.counters).toEqual(full.counters);
    expect(lean.sent).toEqual(full.sent);
    expect(lean.taken.slice(1)).toEqual([frames[1]!.length, frames[2]!.length]);
    // __udp4_lib_lookup: the exact chain (198.51.100.1, 7031) first, its group chooses; the wildcard
    // socket only when it finds none. 7032's members are bound to lo (compute_score -1 for eth0), the
    // wildcard chain is empty: port unreachable, 3 a burst
    const q = lean.queues.slice(-7);
    const sum = (a: string[][]) => a.reduce((x, y) => x + y.length, 0);
    expect(sum(q.slice(0, 3))).toBe(3 * 9);
    expect(q[3]!.length).toBe(0);
    expect(sum(q.slice(4, 7))).toBe(0);
    expect(lean.counters['Udp:NoPorts']).toBe(3 * 3);
    expect(lean.queues[0]!.length).toBe(3 * 6); // 7000 on 192.0.2.1
  }, 60_000);

  it('IPv4 to a reuseport group with an sk_reuseport program: the program chooses, not the flow hash', async () => {
    // tag(k)'s first byte is k >> 8: the member's index (bpf_sk_select_reuseport, reuseport_array)
    const burst = (r: number) => Array.from({ length: 12 }, (_, j) => v4(((j % 3) << 8) | (r * 16 + j), 7041, { sport: 41000 + j }));
    const frames = [burst(0), burst(1), burst(2)];
    closedIds.clear();
    const lean = await run(true, frames, { prog: true });
    const full = await run(false, frames, { prog: true });
    expect(lean.queues).toEqual(full.queues);
    expect(lean.counters).toEqual(full.counters);
    expect(lean.taken).toEqual(frames.map((f) => f.length));
    const g = lean.queues.slice(-3);
    for (const [k, q] of g.entries()) {
      expect(q.length).toBe(12);
      for (const m of q) expect(m.slice(0, 2)).toBe(k.toString(16).padStart(2, '0'));
    }
  }, 60_000);

  it('IPv6 to reuseport groups named by their hash2 slot: exact and wildcard chains, AF_INET groups, a head bound to a device after joining, all bound', async () => {
    const ports = [7011, 7012, 7014, 7015, 7021, 7022, 7023];
    const burst = (r: number) => ports.flatMap((p) => [41000, 41001, 41002, 41003].map((sport, j) => v6(r * 100 + p - 7000 + j * 20, p, { sport })));
    const frames = [burst(0), burst(1), burst(2)];
    closedIds.clear();
    const lean = await run(true, frames, { groups: true, groups6: true });
    const full = await run(false, frames, { groups: true, groups6: true });
    expect(lean.queues).toEqual(full.queues);
    expect(lean.counters).toEqual(full.counters);
    expect(lean.sent).toEqual(full.sent);
    expect(lean.taken.slice(1)).toEqual([frames[1]!.length, frames[2]!.length]);
    // compute_score (udp_ipv6.c): an AF_INET socket never takes an IPv6 datagram (7011, 7012), nor one
    // bound to another device (7023): three closed ports, three bursts of four
    expect(lean.counters['Udp6:NoPorts']).toBe(36);
    const q = lean.queues.slice(-33);
    const sum = (a: string[][]) => a.reduce((x, y) => x + y.length, 0);
    expect(sum(q.slice(0, 3))).toBe(0); // 7011: AF_INET on 0.0.0.0
    expect(sum(q.slice(9, 12))).toBe(12); // 7014 on ::, the wildcard chain
    expect(sum(q.slice(12, 15))).toBe(12); // 7015 on ::, V6ONLY
    const g = lean.queues.slice(-9);
    expect(sum(g.slice(0, 3))).toBe(12); // 7021 on 2001:db8:1::1, the exact chain
    expect(sum(g.slice(3, 6))).toBe(12); // 7022: the next member scores, its group chooses (the bound head too)
    expect(sum(g.slice(6, 9))).toBe(0); // 7023
  }, 60_000);

  it('groups changed behind their chain head between bursts: the hash2 slot\'s copy of the group (sock.ts H2_*) follows a member joining at the tail and a member leaving', async () => {
    // 7071 (IPv6, L6): 3 members, a 4th joins after the first burst — hlist_add_tail_rcu for an IPv6
    // reuseport socket: the chain's head stays, only the group's count and array change (reuseport_add_sock).
    // 7072 (IPv4, L4): 4 members, the second oldest (not the head: IPv4 members go first) closed after the
    // first burst — reuseport_detach_sock moves the last member into its place and counts one less.
    const made: number[] = [];
    const mk = (fx: Fixture, ids: number[], family: 'inet' | 'inet6', addr: string, port: number): number => {
      const t = fx.dp.socketTable;
      const id = t.create({ family, reusePort: true, reuseAddr: true });
      t.bind(id, addr, port);
      ids.push(id);
      made.push(id);
      return id;
    };
    const between = (fx: Fixture, bi: number, ids: number[]) => {
      if (bi === 0) {
        made.length = 0;
        for (let i = 0; i < 3; i++) mk(fx, ids, 'inet6', L6, 7071);
        for (let i = 0; i < 4; i++) mk(fx, ids, 'inet', L4, 7072);
      }
      if (bi === 1) {
        mk(fx, ids, 'inet6', L6, 7071);
        fx.dp.socketTable.close(made[4]!);
        closedIds.add(made[4]!);
      }
    };
    const burst = (r: number) => Array.from({ length: 16 }, (_, j) => [
      v6(r * 64 + j, 7071, { sport: 43000 + r * 16 + j }),
      v4(r * 64 + 32 + j, 7072, { sport: 43000 + r * 16 + j }),
    ]).flat();
    const frames = [burst(0), burst(1), burst(2), burst(3)];
    closedIds.clear();
    const lean = await run(true, frames, { between });
    const full = await run(false, frames, { between });
    // the full path reads the group itself (sock_lookup.ts lookup2, reuseport_select_sock_by_hash)
    expect(lean.queues).toEqual(full.queues);
    expect(lean.counters).toEqual(full.counters);
    expect(lean.taken.slice(1)).toEqual([32, 32, 32]);
    const q = lean.queues.slice(-8);
    const sum = (a: string[][]) => a.reduce((x, y) => x + y.length, 0);
    expect(sum(q.slice(0, 3)) + q[7]!.length).toBe(64); // 7071: every IPv6 datagram, the joiner among them
    expect(q[7]!.length).toBeGreaterThan(0); // 48 flows after it joined over 4 members
    // 7072: the three left take every IPv4 datagram after the close (the closed one's queue is not read)
    expect(sum(q.slice(3, 7))).toBeGreaterThanOrEqual(48);
  }, 60_000);

  it('IPv6 groups on two addresses of one hash2 chain: each datagram matches the group of its own destination (the address ids in line 0, sock.ts RG_ID6)', async () => {
    // L6 and L6C share each port's chain: a datagram to L6's 7061 finds L6C's group there, whose
    // address is not its destination (compute_score: -1), and no socket takes it; one to L6C's 7062
    // finds L6's group; each group takes its own
    const burst = (r: number) => [7061, 7062].flatMap((p) => [L6, L6C].flatMap((dst, d) => [41000, 41001, 41002].map((sport, j) => v6(r * 100 + (p - 7060) * 10 + d * 5 + j, p, { sport, dst }))));
    const frames = [burst(0), burst(1), burst(2)];
    closedIds.clear();
    const lean = await leanAsFull(frames, { collide6: true });
    expect(lean.taken.slice(1)).toEqual([frames[1]!.length, frames[2]!.length]);
    const sum = (a: string[][]) => a.reduce((x, y) => x + y.length, 0);
    const g = lean.queues.slice(-6);
    expect(sum(g.slice(0, 3))).toBe(9); // L6C's 7061: its own three of each burst
    expect(sum(g.slice(3, 6))).toBe(9); // L6's 7062
    expect(lean.counters['Udp6:NoPorts']).toBe(18); // L6's 7061 and L6C's 7062
    // the lean lookup decided the datagrams its groups take (a socket's record in their stage words,
    // or LB_DONE in a run after one), and left the others to the full path (LB_UDP, 4)
    // (a burst: 7061 to L6, to L6C, then 7062 to L6, to L6C, three each)
    const w = lean.words[2]!;
    expect(w.map((x) => x === 4)).toEqual([true, true, true, false, false, false, false, false, false, true, true, true]);
    expect(w.slice(3, 9).every((x) => x !== 0)).toBe(true);
  }, 60_000);

  it('IPv6 sockets on 64 consecutive ports of one address: each port a hash2 chain of its own (ipv6_portaddr_hash: hash ^ port), so the lean lookup decides every datagram', async () => {
    const burst = (r: number) => Array.from({ length: 64 }, (_, j) => v6(r * 64 + j, PORTS6 + j, { sport: 41000 + r }));
    const frames = [burst(0), burst(1), burst(2)];
    const lean = await run(true, frames, { ports6: true });
    const full = await run(false, frames, { ports6: true });
    expect(lean.queues).toEqual(full.queues);
    expect(lean.counters).toEqual(full.counters);
    expect(lean.sent).toEqual(full.sent);
    // each port's socket got its three datagrams
    expect(lean.queues.slice(-64).map((q) => q.length)).toEqual(Array(64).fill(3));
    // after the first burst (its pair's input route learned on the way) no frame is left to udpv6_rcv:
    // each found its socket (a record address) or was queued with the row before it (LB_DONE, 1)
    for (const w of lean.words.slice(1)) expect(w.filter((x) => x < 16 && x !== 1)).toEqual([]);
  }, 60_000);

  it('datagrams of different lengths in runs of one flow and rows of different sockets: each queued with its own length', async () => {
    // the enqueue takes each datagram's UDP length from the burst's keys (udp_lean.ts K_ULEN), not the
    // frame: a run's later frames (LB_SAME) and a row's each carry their own
    const a: Uint8Array[] = [];
    let k = 0;
    const ext = (i: number) => (i * 7) % 23;
    for (let i = 0; i < 8; i++) a.push(v4(k++, 7000, { sport: 41000, extra: ext(i) }));
    for (let i = 0; i < 8; i++) a.push(v4(k++, 7006, { sport: 41000 + (i % 3), extra: ext(i + 3) }), v4(k++, 7000, { sport: 41000, extra: ext(i + 5) }));
    a.push(v6(k++, 7003, { sport: 41000 }), v4(k++, 7003, { sport: 41000, extra: 9 }), v4(k++, 7003, { sport: 41000, extra: 1 }));
    // IPv6: a run of one flow (7002), then a row of different sockets (7001's group, 7002)
    for (let i = 0; i < 6; i++) a.push(v6(k++, 7002, { sport: 41000, extra: ext(i + 2) }));
    for (let i = 0; i < 6; i++) a.push(v6(k++, 7001, { sport: 41000 + i, extra: ext(i + 9) }), v6(k++, 7002, { sport: 41000, extra: ext(i) }));
    const lean = await run(true, [a, a.slice(5)]);
    const full = await run(false, [a, a.slice(5)]);
    expect(lean.queues).toEqual(full.queues);
    expect(lean.counters).toEqual(full.counters);
    expect(lean.taken).toEqual([a.length, a.length - 5]);
    // 7000's queue in order: 3 bytes of tag and the extra bytes of each (burst 2 is burst 1 from its frame 5)
    const r = (lo: number, hi: number) => Array.from({ length: hi - lo }, (_, i) => 3 + ext(lo + i));
    const sizes = lean.queues[0]!.map((m) => Number(m.split(' ').at(-1)));
    expect(sizes).toEqual([...r(0, 8), ...r(5, 13), ...r(5, 8), ...r(5, 13)]);
    // 7002's (the IPv6 socket alone on its port), both bursts
    const s6 = lean.queues[5]!.map((m) => Number(m.split(' ').at(-1)));
    const b6 = [...r(2, 8), ...r(0, 6)];
    expect(s6).toEqual([...b6, ...b6]);
  }, 60_000);

  it("groups of 16 and of 40 members: picks in the slot's first line, its second and the grown array past the copy reach the member the full path picks", async () => {
    const burst = (r: number) => Array.from({ length: 64 }, (_, j) => v4(r * 64 + j, j % 2 === 0 ? 7051 : 7052, { sport: 41000 + r * 64 + j }));
    const frames = [burst(0), burst(1), burst(2), burst(3)];
    closedIds.clear();
    const lean = await run(true, frames, { big: true });
    const full = await run(false, frames, { big: true });
    expect(lean.queues).toEqual(full.queues);
    expect(lean.counters).toEqual(full.counters);
    expect(lean.taken).toEqual(frames.map((f) => f.length));
    const g16 = lean.queues.slice(-59, -43);
    const g40 = lean.queues.slice(-43, -3);
    const sum = (a: string[][]) => a.reduce((x, y) => x + y.length, 0);
    expect(sum(g16)).toBe(128);
    expect(sum(g40)).toBe(128);
    // reuseport_select_sock_by_hash: member reciprocal_scale(udp_ehashfn, num) of the group in join
    // order, udp_ehashfn = jhash_3words(laddr, faddr, lport << 16 | fport (network order), secret)
    const word = (a: string) => a.split('.').reduce((w, b, i) => (w | (Number(b) << (8 * i))) >>> 0, 0);
    for (const [r, f] of frames.entries()) {
      for (let j = 0; j < f.length; j++) {
        const k = r * 64 + j;
        const dport = j % 2 === 0 ? 7051 : 7052;
        const sport = 41000 + k;
        const h = jhash3words(word(L4), word(P4), ((dport << 16) | ((sport >> 8) | ((sport & 0xff) << 8))) >>> 0, 0x5eed);
        const g = dport === 7051 ? g16 : g40;
        const at = Number((BigInt(h) * BigInt(g.length)) >> 32n);
        expect(g[at]!.some((m) => m.startsWith(hex(tag(k)))), `flow ${k} to member ${at} of ${dport}'s`).toBe(true);
      }
    }
    // the last 4 of the 16, the 40's in the slot's second line (16-32) and past the copy (33-39) receive too
    expect(sum(g16.slice(12))).toBeGreaterThan(0);
    expect(sum(g40.slice(16, 33))).toBeGreaterThan(0);
    expect(sum(g40.slice(33))).toBeGreaterThan(0);
  }, 60_000);

  it("an IPv6 group of 40 members: picks in the slot's first line, its second and the array past the copy reach the member the full path picks", async () => {
    const burst = (r: number) => Array.from({ length: 64 }, (_, j) => v6(r * 64 + j, 7056, { sport: 41000 + r * 64 + j }));
    const frames = [burst(0), burst(1), burst(2), burst(3)];
    closedIds.clear();
    const lean = await run(true, frames, { big6: true });
    const full = await run(false, frames, { big6: true });
    expect(lean.queues).toEqual(full.queues);
    expect(lean.counters).toEqual(full.counters);
    expect(lean.taken).toEqual(frames.map((f) => f.length));
    const g = lean.queues.slice(-40);
    const sum = (a: string[][]) => a.reduce((x, y) => x + y.length, 0);
    expect(sum(g)).toBe(256);
    expect(sum(g.slice(0, 16))).toBeGreaterThan(0);
    expect(sum(g.slice(16, 33))).toBeGreaterThan(0);
    expect(sum(g.slice(33))).toBeGreaterThan(0);
  }, 60_000);

  it('a group changed between bursts: a member connected and disconnected, a member closed, a program detached', async () => {
    // 7053's group and 7041's (its sk_reuseport program sends every datagram here to member 0: tag(k)'s first byte)
    const burst = (r: number) => Array.from({ length: 24 }, (_, j) => v4(r * 32 + j, j % 3 === 0 ? 7041 : 7053, { sport: 41000 + j }));
    const frames = [burst(0), burst(1), burst(2), burst(3), burst(4)];
    const g = (ids: number[]) => ids.slice(-6, -3);
    const between = (fx: Fixture, bi: number, ids: number[]) => {
      const t = fx.dp.socketTable;
      // burst 1: a member connected (hash4 holds it: the fast lookup steps aside); burst 2: disconnected
      // (reuseport_has_conns stays set and the group's key changed: sock.ts RGS_CONNS, RGS_MIXED)
      if (bi === 1) t.connect(g(ids)[1]!, P4, 41005);
      if (bi === 2) t.disconnect(g(ids)[1]!);
      // burst 3: the newest member closed (the chain's head: the slot names the group through the next)
      if (bi === 3) {
        t.close(g(ids)[2]!);
        closedIds.add(g(ids)[2]!);
      }
      // burst 4: 7041's program detached (sock.ts RGS_PROG cleared: the flow hash chooses again)
      if (bi === 4) fx.dp.detachReuseport(ids.at(-3)!);
    };
    closedIds.clear();
    const lean = await run(true, frames, { big: true, prog: true, between });
    const full = await run(false, frames, { big: true, prog: true, between });
    expect(lean.queues).toEqual(full.queues);
    expect(lean.counters).toEqual(full.counters);
    expect(lean.taken).toEqual(frames.map((f) => f.length));
    const p = lean.queues.slice(-3);
    // 8 a burst to 7041: all to member 0 while the program is attached, then spread by the flow hash
    expect(p[0]!.length).toBeGreaterThanOrEqual(32);
    expect(p[1]!.length + p[2]!.length).toBeGreaterThan(0);
    expect(p[0]!.length + p[1]!.length + p[2]!.length).toBe(40);
  }, 60_000);
});
