// UDP / UDP-Lite receive on hand-built datagrams: which socket a datagram reaches (compute_score,
// SO_REUSEADDR, reuseport groups, connected sockets), the checks of __udp4_lib_rcv / __udp6_lib_rcv
// with their counters and drop reasons (RFC 768 and RFC 8200 8.1 checksums, UDP-Lite coverage per
// RFC 3828), the receive buffer limit, port unreachable, ICMP errors reported to connected sockets,
// and a raw handler for another protocol. Expected values come from the RFCs and the kernel's code
// paths as the test names say; the kernel itself is asked in udp_kernel.test.ts.

import { describe, expect, it } from 'vitest';
import { Fixture, stackUnready, concat, eth, hex, icmp4, inetChecksum, ipv4, ipv6, optHdr, udp4 } from '../net/support.js';
import { H_MAC, LINKS, NEIGH, R_MAC, be16 } from './support.js';
import { ipv4Bytes, ipv6Bytes } from '../../src/control/addresses.js';
import { SocketError, type SocketTable } from '../../src/control/sockets.js';

const data = (n: number, seed = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i + seed) & 0xff);
const e4 = (p: Uint8Array, dst = R_MAC): Uint8Array => eth({ dst, src: H_MAC, type: 0x0800 }, p);
const e6 = (p: Uint8Array): Uint8Array => eth({ dst: R_MAC, src: H_MAC, type: 0x86dd }, p);
/** An IPv4 UDP datagram src:sport → dst:dport. */
const u4 = (src: string, sport: number, dst: string, dport: number, payload: Uint8Array, proto = 17): Uint8Array =>
  e4(ipv4({ src, dst, proto }, udp4(src, dst, sport, dport, payload)));

/** A UDP (or UDP-Lite) header over IPv6 with the RFC 8200 8.1 checksum over `cover` bytes (all by default). */
function udp6(src: string, dst: string, sport: number, dport: number, payload: Uint8Array, o: { proto?: number; lenField?: number; cover?: number; check?: number } = {}): Uint8Array {
  const len = 8 + payload.length;
  const u = concat(Uint8Array.from([...be16(sport), ...be16(dport), ...be16(o.lenField ?? len), 0, 0]), payload);
  const ph = Uint8Array.from([...ipv6Bytes(src), ...ipv6Bytes(dst), 0, 0, ...be16(len), 0, 0, 0, o.proto ?? 17]);
  const c = o.check ?? (inetChecksum(ph, u.subarray(0, o.cover ?? len)) || 0xffff);
  u[6] = c >> 8;
  u[7] = c & 0xff;
  return u;
}
const u6 = (src: string, sport: number, dst: string, dport: number, payload: Uint8Array, o: Parameters<typeof udp6>[5] = {}): Uint8Array =>
  e6(ipv6({ src, dst, nh: o.proto ?? 17 }, udp6(src, dst, sport, dport, payload, o)));

/** UDP-Lite over IPv4: the length field is the coverage (RFC 3828 3.1), the checksum covers that many bytes. */
function lite4(src: string, dst: string, sport: number, dport: number, payload: Uint8Array, coverage: number, check?: number): Uint8Array {
  const len = 8 + payload.length;
  const u = concat(Uint8Array.from([...be16(sport), ...be16(dport), ...be16(coverage), 0, 0]), payload);
  const ph = Uint8Array.from([...ipv4Bytes(src), ...ipv4Bytes(dst), 0, 136, ...be16(len)]);
  const c = check ?? (inetChecksum(ph, u.subarray(0, coverage === 0 ? len : coverage)) || 0xffff);
  u[6] = c >> 8;
  u[7] = c & 0xff;
  return e4(ipv4({ src, dst, proto: 136 }, u));
}

const unready = await stackUnready();

async function setup(): Promise<{ fx: Fixture; t: SocketTable }> {
  const fx = await Fixture.create(LINKS, [], NEIGH);
  return { fx, t: fx.dp.socketTable };
}

/** The socket (by index in `ids`) each datagram went to: reads every queue once. */
function owners(t: SocketTable, ids: number[]): Array<{ i: number; data: string }> {
  const out: Array<{ i: number; data: string }> = [];
  ids.forEach((id, i) => {
    for (let d = t.recv(id); d; d = t.recv(id)) out.push({ i, data: hex(d.data) });
  });
  return out;
}

describe.skipIf(unready !== '')('delivery to a bound socket', () => {
  it('payload, source, port and device as sent; Udp:InDatagrams counts when the reader takes it (udp_recvmsg)', async () => {
    const { fx, t } = await setup();
    const s = t.create({ family: 'inet' });
    t.bind(s, '192.0.2.1', 5300);
    expect(t.address(s)).toEqual({ address: '192.0.2.1', family: 'IPv4', port: 5300 });
    const out = fx.rx('eth0', u4('192.0.2.2', 40000, '192.0.2.1', 5300, data(11)));
    expect(out.size).toBe(0);
    expect(fx.nonzero()).toEqual({ 'Ip:InReceives': 1, 'Ip:InDelivers': 1 });
    expect(t.ready()).toEqual([s]);
    expect(t.ready()).toEqual([]);
    const d = t.recv(s)!;
    expect(d).toMatchObject({ address: '192.0.2.2', family: 'IPv4', port: 40000, size: 11, truncated: false, ifindex: fx.devs.get('eth0')!.ifindex });
    expect(hex(d.data)).toBe(hex(data(11)));
    expect(t.recv(s)).toBeUndefined();
    expect(fx.mib()['Udp:InDatagrams']).toBe(1);
  });

  it('a UDP length shorter than the IP payload: the bytes past it are not the datagram\'s (pskb_trim_rcsum)', async () => {
    const { fx, t } = await setup();
    const s = t.create({ family: 'inet' });
    t.bind(s, undefined, 5301);
    const ip = ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17 }, concat(udp4('192.0.2.2', '192.0.2.1', 1, 5301, data(4)), data(6, 99)));
    fx.rx('eth0', e4(ip));
    expect(hex(t.recv(s)!.data)).toBe(hex(data(4)));
  });

  it('a buffer smaller than the datagram: cut, flagged truncated, size says the whole', async () => {
    const { fx, t } = await setup();
    const s = t.create({ family: 'inet' });
    t.bind(s, undefined, 5302);
    fx.rx('eth0', u4('192.0.2.2', 1, '192.0.2.1', 5302, data(100)));
    const d = t.recv(s, 10)!;
    expect([d.size, d.truncated, hex(d.data)]).toEqual([100, true, hex(data(10))]);
  });

  it('recvBatch takes up to max datagrams in order', async () => {
    const { fx, t } = await setup();
    const s = t.create({ family: 'inet' });
    t.bind(s, undefined, 5303);
    for (let i = 0; i < 5; i++) fx.rx('eth0', u4('192.0.2.2', 1000 + i, '192.0.2.1', 5303, data(3 + i, i)));
    const b = t.recvBatch(s, 3);
    expect(b.map((d) => [d.port, hex(d.data)])).toEqual([0, 1, 2].map((i) => [1000 + i, hex(data(3 + i, i))]));
    expect(t.recvBatch(s, 10).map((d) => d.port)).toEqual([1003, 1004]);
    expect(fx.mib()['Udp:InDatagrams']).toBe(5);
  });

  it('a dual-stack IPv6 socket sees an IPv4 sender as ::ffff:a.b.c.d', async () => {
    const { fx, t } = await setup();
    const s = t.create({ family: 'inet6' });
    t.bind(s, undefined, 5304);
    fx.rx('eth0', u4('192.0.2.2', 7, '192.0.2.1', 5304, data(2)));
    expect(t.recv(s)).toMatchObject({ address: '::ffff:192.0.2.2', family: 'IPv6', port: 7 });
    expect(fx.mib()['Udp:InDatagrams']).toBe(1); // the datagram's group: it came over IPv4
  });

  it('IPv6: delivered to an IPv6 socket, Udp6 counters', async () => {
    const { fx, t } = await setup();
    const s = t.create({ family: 'inet6' });
    t.bind(s, '2001:db8:1::1', 5305);
    fx.rx('eth0', u6('2001:db8:1::2', 9, '2001:db8:1::1', 5305, data(5)));
    expect(t.recv(s)).toMatchObject({ address: '2001:db8:1::2', family: 'IPv6', port: 9, size: 5 });
    expect(fx.mib()['Udp6:InDatagrams']).toBe(1);
  });

  it('recvBatch takes datagrams as that many recvfrom calls do: the queue, its rmem and the frames held go down by what was taken, each counted in its family (udpv6_recvmsg: is_udp4)', async () => {
    const { fx, t } = await setup();
    const held = (): number => (fx.dp.fastPath.exports.sk_mem_held as () => number)();
    // the reference: a socket holding one IPv6 datagram of 5 bytes, charged as one alone is
    const one = t.create({ family: 'inet6' });
    t.bind(one, undefined, 5321);
    fx.rx('eth0', u6('2001:db8:1::2', 9, '2001:db8:1::1', 5321, data(5)));
    const rmemOne = t.stats(one).rmem;
    expect(rmemOne).toBeGreaterThan(0);
    const held0 = held();
    const s = t.create({ family: 'inet6' });
    t.bind(s, undefined, 5320);
    fx.rx('eth0', u4('192.0.2.2', 7, '192.0.2.1', 5320, data(3)));
    fx.rx('eth0', u6('2001:db8:1::2', 9, '2001:db8:1::1', 5320, data(4)));
    fx.rx('eth0', u4('192.0.2.2', 7, '192.0.2.1', 5320, data(6)));
    fx.rx('eth0', u6('2001:db8:1::2', 9, '2001:db8:1::1', 5320, data(5)));
    expect([t.queued(s), held()]).toEqual([4, held0 + 4]);
    const mib0 = fx.mib();
    expect(t.recvBatch(s, 3).map((d) => [d.address, d.size])).toEqual([['::ffff:192.0.2.2', 3], ['2001:db8:1::2', 4], ['::ffff:192.0.2.2', 6]]);
    // left: the last datagram, charged as the reference's one
    expect([t.queued(s), t.stats(s).rmem, held()]).toEqual([1, rmemOne, held0 + 1]);
    const mib = fx.mib();
    expect([mib['Udp:InDatagrams']! - (mib0['Udp:InDatagrams'] ?? 0), mib['Udp6:InDatagrams']! - (mib0['Udp6:InDatagrams'] ?? 0)]).toEqual([2, 1]);
    expect(t.recvBatch(s, 8).map((d) => d.size)).toEqual([5]);
    expect([t.queued(s), t.stats(s).rmem, held()]).toEqual([0, 0, held0]);
    expect(fx.mib()['Udp6:InDatagrams']! - (mib0['Udp6:InDatagrams'] ?? 0)).toBe(2);
  });

  it('IPv6 behind a hop-by-hop and a destination options header (PadN): the payload past them, source, port and device as sent', async () => {
    const { fx, t } = await setup();
    const s = t.create({ family: 'inet6' });
    t.bind(s, '2001:db8:1::1', 5306);
    const u = udp6('2001:db8:1::2', '2001:db8:1::1', 41000, 5306, data(9, 3));
    // RFC 8200 4.2: PadN (type 1) of 4 bytes fills each 8-byte header; 0 → 60 → 17
    const ext = concat(optHdr(60, [1, 4, 0, 0, 0, 0]), optHdr(17, [1, 4, 0, 0, 0, 0]));
    expect(fx.rx('eth0', e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 0 }, concat(ext, u)))).size).toBe(0);
    const d = t.recv(s)!;
    expect(d).toMatchObject({ address: '2001:db8:1::2', family: 'IPv6', port: 41000, size: 9, truncated: false, ifindex: fx.devs.get('eth0')!.ifindex });
    expect(hex(d.data)).toBe(hex(data(9, 3)));
    expect(fx.mib()['Udp6:InDatagrams']).toBe(1);
  });
});

describe.skipIf(unready !== '')('which socket: compute_score and the tables', () => {
  it('a bound address beats the wildcard whichever was bound first', async () => {
    const { fx, t } = await setup();
    const a = t.create({ family: 'inet', reuseAddr: true });
    const b = t.create({ family: 'inet', reuseAddr: true });
    t.bind(a, '192.0.2.1', 6000);
    t.bind(b, '0.0.0.0', 6000);
    fx.rx('eth0', u4('192.0.2.2', 1, '192.0.2.1', 6000, data(1)));
    fx.rx('eth0', u4('192.0.2.2', 1, '198.51.100.1', 6000, data(2)));
    expect(owners(t, [a, b])).toEqual([{ i: 0, data: '00' }, { i: 1, data: '0001' }]);
  });

  it('an AF_INET socket scores 2, a dual-stack AF_INET6 one 1: the IPv4 one wins, the IPv6 one takes IPv6', async () => {
    const { fx, t } = await setup();
    const v4 = t.create({ family: 'inet' });
    const v6 = t.create({ family: 'inet6', reuseAddr: true });
    t.bind(v4, undefined, 6001);
    expect(() => t.bind(v6, undefined, 6001)).toThrowError(SocketError); // wildcard :: collides with 0.0.0.0 (no REUSEADDR on v4)
    const v6only = t.create({ family: 'inet6', ipv6Only: true });
    t.bind(v6only, undefined, 6001);
    fx.rx('eth0', u4('192.0.2.2', 1, '192.0.2.1', 6001, data(1)));
    fx.rx('eth0', u6('2001:db8:1::2', 1, '2001:db8:1::1', 6001, data(2)));
    expect(owners(t, [v4, v6only])).toEqual([{ i: 0, data: '00' }, { i: 1, data: '0001' }]);
  });

  it('two SO_REUSEADDR sockets on one address: the newest binding receives (hash2 head, strict >)', async () => {
    const { fx, t } = await setup();
    const a = t.create({ family: 'inet', reuseAddr: true });
    const b = t.create({ family: 'inet', reuseAddr: true });
    t.bind(a, '192.0.2.1', 6002);
    t.bind(b, '192.0.2.1', 6002);
    fx.rx('eth0', u4('192.0.2.2', 1, '192.0.2.1', 6002, data(1)));
    expect(owners(t, [a, b]).map((o) => o.i)).toEqual([1]);
  });

  it('a connected socket (4 + 4 more) beats an unconnected one on the same port, and only hears its peer', async () => {
    const { fx, t } = await setup();
    const srv = t.create({ family: 'inet', reuseAddr: true });
    const con = t.create({ family: 'inet', reuseAddr: true });
    t.bind(srv, undefined, 6003);
    t.bind(con, undefined, 6003);
    t.connect(con, '192.0.2.2', 777);
    expect(t.address(con)).toEqual({ address: '192.0.2.1', family: 'IPv4', port: 6003 }); // the route's source became the bound address
    expect(t.remoteAddress(con)).toEqual({ address: '192.0.2.2', family: 'IPv4', port: 777 });
    fx.rx('eth0', u4('192.0.2.2', 777, '192.0.2.1', 6003, data(1)));
    fx.rx('eth0', u4('192.0.2.2', 778, '192.0.2.1', 6003, data(2)));
    expect(owners(t, [srv, con])).toEqual([{ i: 0, data: '0001' }, { i: 1, data: '00' }]);
  });

  it('SO_BINDTODEVICE: a socket bound to another device does not hear this one', async () => {
    const { fx, t } = await setup();
    const s = t.create({ family: 'inet' });
    t.setOption(s, 'SO_BINDTODEVICE', 1); // loopback
    t.bind(s, undefined, 6004);
    const out = fx.rx('eth0', u4('192.0.2.2', 1, '192.0.2.1', 6004, data(1)));
    expect(out.get('eth0')?.length).toBe(1); // port unreachable
    expect(fx.mib()['Udp:NoPorts']).toBe(1);
  });

  it('a reuseport group: one flow always reaches the same member, 64 flows reach every member', async () => {
    const { fx, t } = await setup();
    t.setHashSecret(12345);
    const g = [0, 1, 2, 3].map(() => t.create({ family: 'inet', reusePort: true }));
    for (const s of g) t.bind(s, '192.0.2.1', 6005);
    for (let i = 0; i < 4; i++) fx.rx('eth0', u4('192.0.2.2', 5555, '192.0.2.1', 6005, data(1)));
    const one = owners(t, g);
    expect(one.length).toBe(4);
    expect(new Set(one.map((o) => o.i)).size).toBe(1);
    for (let p = 0; p < 64; p++) fx.rx('eth0', u4('192.0.2.2', 20000 + p, '192.0.2.1', 6005, data(1)));
    const counts = [0, 0, 0, 0];
    for (const o of owners(t, g)) counts[o.i]!++;
    expect(counts.reduce((a, b) => a + b)).toBe(64);
    expect(counts.every((c) => c > 0)).toBe(true);
  });

  it('a closed socket leaves the tables and its group at once', async () => {
    const { fx, t } = await setup();
    const a = t.create({ family: 'inet', reusePort: true });
    const b = t.create({ family: 'inet', reusePort: true });
    t.bind(a, undefined, 6006);
    t.bind(b, undefined, 6006);
    t.close(a);
    for (let p = 0; p < 8; p++) fx.rx('eth0', u4('192.0.2.2', 30000 + p, '192.0.2.1', 6006, data(1)));
    expect(t.queued(b)).toBe(8);
    t.close(b);
    fx.rx('eth0', u4('192.0.2.2', 1, '192.0.2.1', 6006, data(1)));
    expect(fx.mib()['Udp:NoPorts']).toBe(1);
    expect(() => t.recv(b)).toThrowError(/EBADF/);
  });
});

describe.skipIf(unready !== '')('__udp4_lib_rcv checks (counters and reasons)', () => {
  const base = { 'Ip:InReceives': 1, 'Ip:InDelivers': 1 };

  it('no socket: Udp:NoPorts, ICMP port unreachable quoting the datagram (RFC 792, RFC 1122 4.1.3.1), NO_SOCKET', async () => {
    const { fx } = await setup();
    const ip = ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17 }, udp4('192.0.2.2', '192.0.2.1', 1234, 9, data(4)));
    const out = fx.rx('eth0', e4(ip));
    const [f] = out.get('eth0')!;
    const icmp = f!.subarray(34);
    expect([icmp[0], icmp[1]]).toEqual([3, 3]);
    expect(hex(icmp.subarray(8))).toBe(hex(ip));
    expect(inetChecksum(icmp)).toBe(0);
    expect(fx.nonzero()).toEqual({
      ...base, 'Udp:NoPorts': 1, 'Ip:OutRequests': 1, 'Icmp:OutMsgs': 1, 'Icmp:OutDestUnreachs': 1, 'drop:NO_SOCKET': 1,
    });
  });

  it('a header cut short (4 bytes): InErrors, NOT_SPECIFIED', async () => {
    const { fx } = await setup();
    fx.rx('eth0', e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17 }, Uint8Array.of(0, 1, 0, 2))));
    expect(fx.nonzero()).toEqual({ ...base, 'Udp:InErrors': 1, 'drop:NOT_SPECIFIED': 1 });
  });

  it('a length field past the end, and one under 8: InErrors, PKT_TOO_SMALL (no ICMP)', async () => {
    const { fx } = await setup();
    const long = udp4('192.0.2.2', '192.0.2.1', 1, 9, data(4));
    long[5] = 40;
    const short = udp4('192.0.2.2', '192.0.2.1', 1, 9, data(4));
    short[4] = 0;
    short[5] = 7;
    for (const u of [long, short]) expect(fx.rx('eth0', e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17 }, u))).size).toBe(0);
    expect(fx.nonzero()).toEqual({ 'Ip:InReceives': 2, 'Ip:InDelivers': 2, 'Udp:InErrors': 2, 'drop:PKT_TOO_SMALL': 2 });
  });

  it('a wrong checksum: InCsumErrors and InErrors, UDP_CSUM, no ICMP even with no socket (RFC 1122 4.1.3.4)', async () => {
    const { fx } = await setup();
    const u = udp4('192.0.2.2', '192.0.2.1', 1, 9, data(4));
    u[7] ^= 0x55;
    expect(fx.rx('eth0', e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17 }, u))).size).toBe(0);
    expect(fx.nonzero()).toEqual({ ...base, 'Udp:InCsumErrors': 1, 'Udp:InErrors': 1, 'drop:UDP_CSUM': 1 });
  });

  it('a zero checksum over IPv4 means none was computed (RFC 768): delivered', async () => {
    const { fx, t } = await setup();
    const s = t.create({ family: 'inet' });
    t.bind(s, undefined, 5400);
    const u = udp4('192.0.2.2', '192.0.2.1', 1, 5400, data(4));
    u[6] = u[7] = 0;
    fx.rx('eth0', e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17 }, u)));
    expect(t.queued(s)).toBe(1);
  });

  it('a checksum that sums to 0xffff is sent as 0xffff (RFC 768) and verifies', async () => {
    // payload chosen so the one's-complement sum is zero before complementing: the field is 0xffff
    const { fx, t } = await setup();
    const s = t.create({ family: 'inet' });
    t.bind(s, undefined, 5401);
    const u = udp4('192.0.2.2', '192.0.2.1', 1, 5401, Uint8Array.of(0, 0));
    const sum = (u[6]! << 8) | u[7]!; // ~S0 as a payload word makes the one's-complement sum all ones
    const v = udp4('192.0.2.2', '192.0.2.1', 1, 5401, Uint8Array.of(sum >> 8, sum & 0xff));
    expect((v[6]! << 8) | v[7]!).toBe(0xffff);
    fx.rx('eth0', e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17 }, v)));
    expect(t.queued(s)).toBe(1);
  });

  it('a full receive buffer: RcvbufErrors and InErrors, SOCKET_RCVBUFF, sk_drops (a datagram that would pass SO_RCVBUF is dropped unless the queue is empty)', async () => {
    const { fx, t } = await setup();
    const s = t.create({ family: 'inet' });
    t.setOption(s, 'SO_RCVBUF', 1);
    expect(t.getOption(s, 'SO_RCVBUF')).toBe(2304); // SOCK_MIN_RCVBUF
    t.bind(s, undefined, 5402);
    let queued = 0;
    for (let i = 0; i < 10; i++) {
      const before = t.stats(s).rmem;
      fx.rx('eth0', u4('192.0.2.2', 1, '192.0.2.1', 5402, data(8)));
      const after = t.stats(s);
      if (after.rmem > before) queued++;
      else expect(before + 832).toBeGreaterThan(2304);
    }
    // 36 bytes of IP datagram: a 576-byte small head + 256 = 832 each (sock.ts skTruesize); 2 × 832 + 832 > 2304
    expect(queued).toBe(2);
    expect(t.queued(s)).toBe(queued);
    const dropped = 10 - queued;
    expect(dropped).toBeGreaterThan(0);
    expect(fx.mib()).toMatchObject({ 'Udp:RcvbufErrors': dropped, 'Udp:InErrors': dropped });
    expect(fx.drops().SOCKET_RCVBUFF).toBe(dropped);
    expect(t.getOption(s, 'SO_RXQ_OVFL')).toBe(dropped);
    t.recvBatch(s, 100);
    expect(t.stats(s).rmem).toBe(0);
  });

  it('the queues together at their share of the UMEM (udp_mem): MemErrors and InErrors, PROTO_MEM; room again once read', async () => {
    const { fx, t } = await setup();
    const x = fx.dp.fastPath.exports as unknown as { sk_mem_max(n: number): void; sk_mem_held(): number };
    x.sk_mem_max(3);
    const a = t.create({ family: 'inet' });
    const b = t.create({ family: 'inet' });
    t.bind(a, undefined, 5404);
    t.bind(b, undefined, 5405);
    for (let i = 0; i < 2; i++) fx.rx('eth0', u4('192.0.2.2', 1, '192.0.2.1', 5404, data(8)));
    for (let i = 0; i < 2; i++) fx.rx('eth0', u4('192.0.2.2', 1, '192.0.2.1', 5405, data(8)));
    expect([t.queued(a), t.queued(b), x.sk_mem_held()]).toEqual([2, 1, 3]);
    expect(fx.mib()).toMatchObject({ 'Udp:MemErrors': 1, 'Udp:InErrors': 1 });
    expect(fx.drops().PROTO_MEM).toBe(1);
    t.recv(a);
    fx.rx('eth0', u4('192.0.2.2', 1, '192.0.2.1', 5405, data(8)));
    expect([t.queued(b), x.sk_mem_held()]).toEqual([2, 3]);
    t.close(a);
    expect(x.sk_mem_held()).toBe(2);
  });

  it('broadcast with no socket: IgnoredMulti, no ICMP; with sockets: each matching one gets a copy', async () => {
    const { fx, t } = await setup();
    fx.rx('eth0', u4('192.0.2.2', 1, '192.0.2.255', 5403, data(1), 17).map((b, i) => (i < 6 ? 0xff : b)));
    expect(fx.mib()['Udp:IgnoredMulti']).toBe(1);
    const a = t.create({ family: 'inet', reuseAddr: true });
    const b = t.create({ family: 'inet', reuseAddr: true });
    const c = t.create({ family: 'inet', reuseAddr: true });
    t.bind(a, undefined, 5403);
    t.bind(b, '192.0.2.255', 5403);
    t.bind(c, '192.0.2.1', 5403); // bound to a unicast address: not a receiver of the broadcast
    expect(fx.rx('eth0', u4('192.0.2.2', 1, '192.0.2.255', 5403, data(2)).map((x, i) => (i < 6 ? 0xff : x))).size).toBe(0);
    expect(owners(t, [a, b, c]).map((o) => o.i)).toEqual([0, 1]);
  });
});

describe.skipIf(unready !== '')('IPv6 (RFC 8200 8.1) and UDP-Lite (RFC 3828)', () => {
  it('a zero UDP checksum over IPv6: with a socket InCsumErrors, InErrors, UDP_CSUM; without one the same counters, NO_SOCKET, no ICMPv6', async () => {
    const { fx, t } = await setup();
    const s = t.create({ family: 'inet6' });
    t.bind(s, undefined, 5500);
    fx.rx('eth0', u6('2001:db8:1::2', 1, '2001:db8:1::1', 5500, data(4), { check: 0 }));
    expect(t.queued(s)).toBe(0);
    expect(fx.rx('eth0', u6('2001:db8:1::2', 1, '2001:db8:1::1', 5501, data(4), { check: 0 })).size).toBe(0);
    expect(fx.nonzero()).toEqual({
      'Ip6:InReceives': 2, 'Ip6:InDelivers': 2, 'Udp6:InCsumErrors': 2, 'Udp6:InErrors': 2, 'drop:UDP_CSUM': 1, 'drop:NO_SOCKET': 1,
    });
  });

  it('IPv6 no socket: Udp6:NoPorts and ICMPv6 port unreachable (type 1 code 4) quoting the packet', async () => {
    const { fx } = await setup();
    const out = fx.rx('eth0', u6('2001:db8:1::2', 1, '2001:db8:1::1', 5502, data(4)));
    const f = out.get('eth0')![0]!;
    expect([f[54], f[55]]).toEqual([1, 4]);
    expect(fx.mib()['Udp6:NoPorts']).toBe(1);
  });

  it('UDP-Lite: coverage 8 (the header alone) checks only the header, the rest may be anything', async () => {
    const { fx, t } = await setup();
    const s = t.create({ family: 'inet', protocol: 'udplite' });
    t.bind(s, undefined, 5600);
    fx.rx('eth0', lite4('192.0.2.2', '192.0.2.1', 1, 5600, data(20), 8));
    fx.rx('eth0', lite4('192.0.2.2', '192.0.2.1', 1, 5600, data(20), 0)); // 0: the whole datagram (RFC 3828 3.1)
    expect(t.recvBatch(s, 4).map((d) => d.size)).toEqual([20, 20]);
    expect(fx.mib()['UdpLite:InDatagrams']).toBe(2);
  });

  it('UDP-Lite: a zero checksum, a coverage of 1-7 or past the end: InCsumErrors, InErrors (udplite_checksum_init)', async () => {
    const { fx, t } = await setup();
    const s = t.create({ family: 'inet', protocol: 'udplite' });
    t.bind(s, undefined, 5601);
    fx.rx('eth0', lite4('192.0.2.2', '192.0.2.1', 1, 5601, data(20), 8, 0));
    fx.rx('eth0', lite4('192.0.2.2', '192.0.2.1', 1, 5601, data(20), 5));
    fx.rx('eth0', lite4('192.0.2.2', '192.0.2.1', 1, 5601, data(20), 29)); // 28 bytes in all: past the end is short
    expect(t.queued(s)).toBe(0);
    expect(fx.nonzero()).toMatchObject({ 'UdpLite:InCsumErrors': 2, 'UdpLite:InErrors': 3, 'drop:UDP_CSUM': 2, 'drop:PKT_TOO_SMALL': 1 });
  });

  it('UDPLITE_RECV_CSCOV: a partial coverage below the socket\'s minimum is dropped (InErrors, sk_drops)', async () => {
    const { fx, t } = await setup();
    const s = t.create({ family: 'inet', protocol: 'udplite' });
    t.setOption(s, 'UDPLITE_RECV_CSCOV', 20);
    t.bind(s, undefined, 5602);
    fx.rx('eth0', lite4('192.0.2.2', '192.0.2.1', 1, 5602, data(20), 8));
    fx.rx('eth0', lite4('192.0.2.2', '192.0.2.1', 1, 5602, data(20), 24));
    fx.rx('eth0', lite4('192.0.2.2', '192.0.2.1', 1, 5602, data(20), 0));
    expect(t.recvBatch(s, 4).length).toBe(2);
    expect(t.stats(s).drops).toBe(1);
    expect(fx.mib()['UdpLite:InErrors']).toBe(1);
  });

  it('UDP-Lite and UDP are separate tables: a UDP socket does not hear UDP-Lite', async () => {
    const { fx, t } = await setup();
    const s = t.create({ family: 'inet' });
    t.bind(s, undefined, 5603);
    fx.rx('eth0', lite4('192.0.2.2', '192.0.2.1', 1, 5603, data(4), 0));
    expect(t.queued(s)).toBe(0);
    expect(fx.mib()['UdpLite:NoPorts']).toBe(1);
  });
});

describe.skipIf(unready !== '')('ICMP errors to connected sockets (__udp4_lib_err, icmp_err_convert)', () => {
  async function connected(): Promise<{ fx: Fixture; t: SocketTable; s: number; quote: Uint8Array }> {
    const { fx, t } = await setup();
    const s = t.create({ family: 'inet' });
    t.bind(s, '192.0.2.1', 7000);
    t.connect(s, '192.0.2.2', 53);
    // the datagram our socket sent, as the peer quotes it back
    const quote = ipv4({ src: '192.0.2.1', dst: '192.0.2.2', proto: 17 }, udp4('192.0.2.1', '192.0.2.2', 7000, 53, data(4)));
    return { fx, t, s, quote };
  }
  const err4 = (type: number, code: number, quote: Uint8Array, rest = [0, 0, 0, 0]): Uint8Array =>
    e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 1 }, icmp4(type, code, rest, quote)));

  it('port unreachable → ECONNREFUSED, the socket on the ready list, taken once', async () => {
    const { fx, t, s, quote } = await connected();
    fx.rx('eth0', err4(3, 3, quote));
    expect(t.ready()).toEqual([s]);
    expect(t.takeError(s)).toBe('ECONNREFUSED');
    expect(t.takeError(s)).toBeUndefined();
  });

  it('fatal codes only (no IP_RECVERR): host unreachable (1) and time exceeded are not reported; admin prohibited host (10) → EHOSTUNREACH; protocol unreachable → ENOPROTOOPT; parameter problem → EPROTO', async () => {
    const { fx, t, s, quote } = await connected();
    fx.rx('eth0', err4(3, 1, quote));
    fx.rx('eth0', err4(11, 0, quote));
    expect(t.takeError(s)).toBeUndefined();
    fx.rx('eth0', err4(3, 10, quote));
    expect(t.takeError(s)).toBe('EHOSTUNREACH');
    fx.rx('eth0', err4(3, 2, quote));
    expect(t.takeError(s)).toBe('ENOPROTOOPT');
    fx.rx('eth0', err4(12, 0, quote));
    expect(t.takeError(s)).toBe('EPROTO');
  });

  it('fragmentation needed → EMSGSIZE (IP_PMTUDISC_WANT), nothing with IP_PMTUDISC_DONT', async () => {
    const { fx, t, s, quote } = await connected();
    fx.rx('eth0', err4(3, 4, quote, [0, 0, 0x05, 0x00]));
    expect(t.takeError(s)).toBe('EMSGSIZE');
    t.setOption(s, 'IP_MTU_DISCOVER', 0);
    fx.rx('eth0', err4(3, 4, quote, [0, 0, 0x05, 0x00]));
    expect(t.takeError(s)).toBeUndefined();
  });

  it('an unconnected socket hears nothing; an error quoting a port with no socket counts Icmp:InErrors', async () => {
    const { fx, t } = await setup();
    const s = t.create({ family: 'inet' });
    t.bind(s, '192.0.2.1', 7001);
    const quote = ipv4({ src: '192.0.2.1', dst: '192.0.2.2', proto: 17 }, udp4('192.0.2.1', '192.0.2.2', 7001, 53, data(4)));
    fx.rx('eth0', err4(3, 3, quote));
    expect(t.takeError(s)).toBeUndefined();
    const before = fx.mib()['Icmp:InErrors'] ?? 0;
    const other = ipv4({ src: '192.0.2.1', dst: '192.0.2.2', proto: 17 }, udp4('192.0.2.1', '192.0.2.2', 7999, 53, data(4)));
    fx.rx('eth0', err4(3, 3, other));
    expect(fx.mib()['Icmp:InErrors']).toBe(before + 1);
  });

  it('an error quoting garbage (a header cut short) reaches no socket and does not trap', async () => {
    const { fx, t, s } = await connected();
    fx.rx('eth0', err4(3, 3, Uint8Array.of(0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2, 0x1b, 0x58)));
    fx.rx('eth0', err4(3, 3, Uint8Array.of(0x4f, 1, 2, 3)));
    expect(t.takeError(s)).toBeUndefined();
  });
});

describe.skipIf(unready !== '')('TCP to a port with no listener: the reset (RFC 9293 3.10.7.1, tcp_v4_send_reset)', () => {
  const tcp = (flags: number, seq: number, ack: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array => {
    const h = Uint8Array.from([0x9c, 0x40, 0x00, 0x50, ...[seq >>> 24, seq >> 16 & 255, seq >> 8 & 255, seq & 255], ...[ack >>> 24, ack >> 16 & 255, ack >> 8 & 255, ack & 255], 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    const t = concat(h, payload);
    const ph = Uint8Array.from([192, 0, 2, 2, 192, 0, 2, 1, 0, 6, ...be16(t.length)]);
    const c = inetChecksum(ph, t);
    t[16] = c >> 8;
    t[17] = c & 0xff;
    return e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 6, tos: 0x13 }, t));
  };
  /** The reset a hand reading of the RFC gives: IPv4 DF, ID 0, TTL 64, TOS without ECN; TCP 20 bytes. */
  const rst = (seq: number, ack: number, flags: number): string => {
    const t = Uint8Array.from([0x00, 0x50, 0x9c, 0x40, seq >>> 24, seq >> 16 & 255, seq >> 8 & 255, seq & 255, ack >>> 24, ack >> 16 & 255, ack >> 8 & 255, ack & 255, 0x50, flags, 0, 0, 0, 0, 0, 0]);
    const ph = Uint8Array.from([192, 0, 2, 1, 192, 0, 2, 2, 0, 6, 0, 20]);
    const c = inetChecksum(ph, t);
    t[16] = c >> 8;
    t[17] = c & 0xff;
    return hex(eth({ dst: H_MAC, src: R_MAC, type: 0x0800 }, ipv4({ src: '192.0.2.1', dst: '192.0.2.2', proto: 6, tos: 0x10, id: 0, df: true }, t)));
  };

  it('a SYN: RST|ACK, SEQ 0, ACK = SEG.SEQ + 1', async () => {
    const { fx } = await setup();
    const out = fx.rx('eth0', tcp(0x02, 1000, 0));
    expect(hex(out.get('eth0')![0]!)).toBe(rst(0, 1001, 0x14));
    expect(fx.nonzero()).toMatchObject({ 'Tcp:InSegs': 1, 'Tcp:OutSegs': 1, 'Tcp:OutRsts': 1, 'drop:NO_SOCKET': 1 });
  });

  it('an ACK with data: RST, SEQ = SEG.ACK; a FIN with 5 bytes and no ACK: ACK = SEQ + 5 + 1', async () => {
    const { fx } = await setup();
    expect(hex(fx.rx('eth0', tcp(0x18, 5, 0xdeadbeef, data(3))).get('eth0')![0]!)).toBe(rst(0xdeadbeef, 0, 0x04));
    expect(hex(fx.rx('eth0', tcp(0x01, 0xfffffffe, 0, data(5))).get('eth0')![0]!)).toBe(rst(0, 4, 0x14));
  });

  it('never a reset to a reset; a bad checksum: InCsumErrors, InErrs, TCP_CSUM; a data offset under 5: InErrs; truncated: NOT_SPECIFIED', async () => {
    const { fx } = await setup();
    expect(fx.rx('eth0', tcp(0x04, 1, 0)).size).toBe(0);
    const bad = tcp(0x02, 1, 0);
    bad[14 + 20 + 17] ^= 1;
    expect(fx.rx('eth0', bad).size).toBe(0);
    const off = tcp(0x02, 1, 0);
    off[14 + 20 + 12] = 0x40;
    expect(fx.rx('eth0', off).size).toBe(0);
    // a header cut short and a data offset past the end: counted as segments, dropped unnamed (pskb_may_pull)
    expect(fx.rx('eth0', e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 6 }, data(12)))).size).toBe(0);
    const past = tcp(0x02, 1, 0);
    past[14 + 20 + 12] = 0xf0;
    expect(fx.rx('eth0', past).size).toBe(0);
    expect(fx.nonzero()).toMatchObject({ 'Tcp:InSegs': 5, 'Tcp:InCsumErrors': 1, 'Tcp:InErrs': 2, 'drop:TCP_CSUM': 1, 'drop:PKT_TOO_SMALL': 1, 'drop:NOT_SPECIFIED': 2 });
  });
});

describe.skipIf(unready !== '')('an embedder\'s protocol handler', () => {
  it('protocol 253 (RFC 3692 experimental) goes to the raw socket whole; closing it gives the protocol back to "unknown"', async () => {
    const { fx, t } = await setup();
    const r = t.createRaw('inet', 253);
    expect(() => t.createRaw('inet', 253)).toThrowError(/EADDRINUSE/);
    const ip = ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 253 }, data(12));
    expect(fx.rx('eth0', e4(ip)).size).toBe(0);
    const d = t.recv(r)!;
    // raw_recvmsg: the whole datagram from its IP header, sin_port 0
    expect([hex(d.data), d.address, d.port]).toEqual([hex(ip), '192.0.2.2', 0]);
    t.close(r);
    fx.rx('eth0', e4(ip));
    expect(fx.mib()['Ip:InUnknownProtos']).toBe(1);
    expect(() => t.createRaw('inet', 17)).toThrowError(/EPROTONOSUPPORT/);
  });
});
