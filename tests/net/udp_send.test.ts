// The UDP send path (assembly/net/udp_output.ts) against hand-derived frames: the IPv4 / IPv6 and UDP
// headers field by field, the checksum over the pseudo-header (RFC 768; RFC 8200 8.1; 0 sent as 0xffff),
// UDP-Lite coverage (RFC 3828), fragments as RFC 791 / RFC 8200 4.5 cut them with the kernel's sizes, and
// every errno the kernel gives for bad input (udp_sendmsg, udpv6_sendmsg, ip_route_output_key_hash_rcu,
// __ip_append_data, __ip6_append_data), with the counters they move.
//
// Sockets are made through the socket exports (sock.ts) with the options a test names
// (tests/net/udp_send_support.ts), and send through the control plane's door (UdpSender).
// Fields taken from wxdp's own output and not derived: the IP ID when the kernel would hash a secret for it
// (the test checks the rule: 0 where the kernel writes 0), the IPv6 flow label and fragment identification.

import { beforeEach, describe, expect, it } from 'vitest';
import { Fixture, stackUnready, eth, fragments4, fragments6, hex, icmp4, inetChecksum, ipv4, ipv6 } from './support.js';
import { udp } from '../support/frames.js';
import { ipv4Bytes, ipv6Bytes } from '../../src/control/addresses.js';
import { AF_INET6 } from '../../src/runtime/net_abi.js';
import { GW_MAC, H_MAC, localPort, recvFrom, S_MAC, senderConfig, sockClose, SPORT, udpSocket, type SockOpts } from './udp_send_support.js';
import { UdpSender, UdpSendError } from '../../src/control/udp_send.js';

const { links: LINKS, routes: ROUTES, neigh: NEIGH } = senderConfig('eth0');
const R_MAC = S_MAC;
const data = (n: number, seed = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);
const be16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;

const unready = await stackUnready();

class Env {
  readonly send: UdpSender;
  private constructor(readonly fx: Fixture) {
    this.send = new UdpSender(fx.dp);
  }
  static async create(routes = ROUTES, neigh = NEIGH): Promise<Env> {
    return new Env(await Fixture.create(LINKS, routes, neigh));
  }
  /** A socket bound to SPORT (SO_REUSEADDR, so a test may have several). */
  sock(o: SockOpts = {}): number {
    return udpSocket(this.fx.dp, { bind: { port: SPORT }, ...o });
  }
  to(sk: number, payload: Uint8Array, address?: string, port = 7): number {
    return this.send.send(sk, payload, address === undefined ? undefined : { address, port });
  }
  errno(sk: number, payload: Uint8Array, address?: string, port = 7): string {
    try {
      this.to(sk, payload, address, port);
    } catch (e) {
      if (e instanceof UdpSendError) return e.errno;
      throw e;
    }
    return 'sent';
  }
  tx(): Uint8Array[] {
    return this.fx.tx().get('eth0') ?? [];
  }
  mib(): Record<string, number> {
    return this.fx.nonzero();
  }
}

/** The IPv4 frame the RFCs give for a UDP datagram from 192.0.2.1:SPORT (`id` the one the sender chose). */
function frame4(o: { dst: string; mac: string; payload: Uint8Array; id: number; df: boolean; ttl?: number; tos?: number; dport?: number }): Uint8Array {
  return eth({ dst: o.mac, src: R_MAC, type: 0x0800 }, ipv4({ src: '192.0.2.1', dst: o.dst, proto: 17, id: o.id, df: o.df, ttl: o.ttl ?? 64, tos: o.tos ?? 0 }, udp('192.0.2.1', o.dst, SPORT, o.dport ?? 7, o.payload)));
}

describe.skipIf(unready !== '')('udp_sendmsg over IPv4', () => {
  let env: Env;
  beforeEach(async () => {
    env = await Env.create();
  });

  it('sends a datagram to an on-link host: DF (PMTU discovery wanted), TTL 64, the RFC 768 checksum', () => {
    const sk = env.sock();
    const p = data(100);
    expect(env.to(sk, p, '192.0.2.2')).toBe(100);
    const [f, ...more] = env.tx();
    expect(more).toEqual([]);
    expect(hex(f!)).toBe(hex(frame4({ dst: '192.0.2.2', mac: H_MAC, payload: p, id: be16(f!, 18), df: true })));
    expect(env.mib()).toEqual({ 'Ip:OutRequests': 1, 'Udp:OutDatagrams': 1 });
  });

  it('sends through the gateway of the default route, with the socket TTL and TOS', () => {
    const sk = env.sock({ ttl: 9, tos: 0x28 });
    const p = data(20, 3);
    env.to(sk, p, '198.51.100.7', 53);
    const [f] = env.tx();
    expect(hex(f!)).toBe(hex(frame4({ dst: '198.51.100.7', mac: GW_MAC, payload: p, id: be16(f!, 18), df: true, ttl: 9, tos: 0x28, dport: 53 })));
  });

  it('a computed checksum of 0 is sent as 0xffff (RFC 768)', () => {
    // the payload word that is the complement of everything else makes the sum all ones
    const p = new Uint8Array(2);
    const c = inetChecksum(Uint8Array.from([...ipv4Bytes('192.0.2.1'), ...ipv4Bytes('192.0.2.2'), 0, 17, 0, 10]), Uint8Array.from([SPORT >> 8, SPORT & 0xff, 0, 7, 0, 10, 0, 0]), p);
    p[0] = c >> 8;
    p[1] = c & 0xff;
    env.to(env.sock(), p, '192.0.2.2');
    const [f] = env.tx();
    expect(be16(f!, 34 + 6)).toBe(0xffff);
  });

  it('SO_NO_CHECK sends a zero checksum', () => {
    env.to(env.sock({ nocheck: true }), data(30), '192.0.2.2');
    const [f] = env.tx();
    expect(be16(f!, 34 + 6)).toBe(0);
    expect(be16(f!, 34 + 4)).toBe(38);
  });

  it('IP_PMTUDISC_DO: ID 0 with DF from an unconnected socket; one byte over the MTU is EMSGSIZE', () => {
    const sk = env.sock({ pmtudisc: 2 });
    expect(env.to(sk, data(1472), '192.0.2.2')).toBe(1472);
    const [f] = env.tx();
    expect(hex(f!)).toBe(hex(frame4({ dst: '192.0.2.2', mac: H_MAC, payload: data(1472), id: 0, df: true })));
    expect(env.errno(sk, data(1473), '192.0.2.2')).toBe('EMSGSIZE');
    expect(env.tx()).toEqual([]);
  });

  it('over the MTU: fragments of 1480 bytes with one ID, MF on all but the last, no DF (RFC 791)', () => {
    const p = data(3000, 5);
    env.to(env.sock(), p, '192.0.2.2');
    const out = env.tx();
    const id = be16(out[0]!, 18);
    const whole = ipv4({ src: '192.0.2.1', dst: '192.0.2.2', proto: 17, id }, udp('192.0.2.1', '192.0.2.2', SPORT, 7, p));
    const want = fragments4(whole, 1500).map((l3) => eth({ dst: H_MAC, src: R_MAC, type: 0x0800 }, l3));
    expect(out.map(hex)).toEqual(want.map(hex));
    expect(out.map((f) => f.length)).toEqual([1514, 1514, 14 + 20 + 48]);
    expect(env.mib()).toEqual({ 'Ip:OutRequests': 1, 'Ip:FragOKs': 1, 'Ip:FragCreates': 3, 'Udp:OutDatagrams': 1 });
  });

  it('a route MTU of 1006: fragments carry (1006 - 20) & ~7 = 984 bytes', async () => {
    env = await Env.create([{ dst: '203.0.113.0/24', dev: 'eth0', via: '192.0.2.254', mtu: 1006 }, ...ROUTES]);
    const p = data(2000);
    env.to(env.sock(), p, '203.0.113.9');
    const out = env.tx();
    const whole = ipv4({ src: '192.0.2.1', dst: '203.0.113.9', proto: 17, id: be16(out[0]!, 18) }, udp('192.0.2.1', '203.0.113.9', SPORT, 7, p));
    expect(out.map((f) => hex(f.subarray(14)))).toEqual(fragments4(whole, 1006).map(hex));
    expect(out.map((f) => be16(f, 20) & 0x1fff)).toEqual([0, 123, 246]);
  });

  it('a path MTU learned from "fragmentation needed" (dst.ts): fragments fit it, IP_PMTUDISC_DO refuses more', () => {
    // from the gateway: 1400 toward 198.51.100.7, quoting an echo reply of ours (what icmp.ts learns from)
    const quoted = ipv4({ src: '192.0.2.1', dst: '198.51.100.7', proto: 1 }, icmp4(0, 0, [0, 1, 0, 1]));
    const err = ipv4({ src: '192.0.2.254', dst: '192.0.2.1', proto: 1 }, icmp4(3, 4, [0, 0, 1400 >> 8, 1400 & 0xff], quoted));
    env.fx.rx('eth0', eth({ dst: R_MAC, src: GW_MAC, type: 0x0800 }, err));
    expect(env.errno(env.sock({ pmtudisc: 2 }), data(1373), '198.51.100.7')).toBe('EMSGSIZE');
    expect(env.to(env.sock({ pmtudisc: 2 }), data(1372), '198.51.100.7')).toBe(1372);
    // IP_PMTUDISC_PROBE takes the device's MTU, not what was learned
    expect(env.to(env.sock({ pmtudisc: 3 }), data(1472), '198.51.100.7')).toBe(1472);
    env.to(env.sock(), data(2000), '198.51.100.7');
    const out = env.tx();
    expect(out.map((f) => f.length)).toEqual([14 + 1400, 14 + 1500, 14 + 1396, 14 + 20 + 2008 - 1376]);
    expect(be16(out[2]!, 20)).toBe(0x2000); // MF, offset 0, no DF
  });

  it('65,507 bytes is the largest datagram (45 fragments); 65,508 is EMSGSIZE', () => {
    const sk = env.sock();
    expect(env.errno(sk, new Uint8Array(65508), '192.0.2.2')).toBe('EMSGSIZE');
    expect(env.to(sk, data(65507), '192.0.2.2')).toBe(65507);
    const out = env.tx();
    expect(out.length).toBe(45);
    expect(out.reduce((n, f) => n + f.length - 34, 0)).toBe(65515);
    expect(be16(out[44]!, 20)).toBe((44 * 1480) >> 3);
  });

  it('a pool without frames enough for the datagram: ENOBUFS, Udp:SndbufErrors, nothing sent and nothing kept', async () => {
    // the device's fill ring takes 256 frames: 30 are left for the stack's own
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH, { umemFrames: 256 + 30 });
    const x = fx.dp.fastPath.exports as unknown as { dp_pool_free(): number };
    const send = new UdpSender(fx.dp);
    const sk = udpSocket(fx.dp, { bind: { port: SPORT } });
    const free = x.dp_pool_free();
    expect(free).toBe(30);
    expect(() => send.send(sk, data(65507), { address: '192.0.2.2', port: 7 })).toThrow(/ENOBUFS/);
    expect(x.dp_pool_free()).toBe(free);
    expect(fx.tx().size).toBe(0);
    expect(fx.nonzero()).toEqual({ 'Udp:SndbufErrors': 1, 'drop:NOMEM': 1 });
    expect(send.send(sk, data(20 * 1480 - 8), { address: '192.0.2.2', port: 7 })).toBe(20 * 1480 - 8);
    expect(fx.tx().get('eth0')!.length).toBe(20);
  });

  it('UDP-Lite: the length field holds the coverage and the checksum covers that much (RFC 3828)', () => {
    const p = data(40, 9);
    env.to(env.sock({ proto: 136, cscov: 20 }), p, '192.0.2.2');
    const [f] = env.tx();
    const uh = f!.subarray(34);
    expect(f![23]).toBe(136);
    expect(be16(uh, 4)).toBe(20);
    // pseudo-header with the datagram's length (48), then the first 20 bytes of the datagram
    const ph = Uint8Array.from([...ipv4Bytes('192.0.2.1'), ...ipv4Bytes('192.0.2.2'), 0, 136, 0, 48]);
    const covered = Uint8Array.from(uh.subarray(0, 20));
    covered[6] = covered[7] = 0;
    expect(be16(uh, 6)).toBe(inetChecksum(ph, covered) || 0xffff);
    expect(env.mib()['UdpLite:OutDatagrams']).toBe(1);
  });

  it('UDP-Lite without a coverage option covers everything and says so in the length field', () => {
    const p = data(40, 9);
    env.to(env.sock({ proto: 136 }), p, '192.0.2.2');
    const [f] = env.tx();
    const uh = f!.subarray(34);
    expect(be16(uh, 4)).toBe(48);
    const d = Uint8Array.from(uh);
    d[6] = d[7] = 0;
    const ph = Uint8Array.from([...ipv4Bytes('192.0.2.1'), ...ipv4Bytes('192.0.2.2'), 0, 136, 0, 48]);
    expect(be16(uh, 6)).toBe(inetChecksum(ph, d) || 0xffff);
  });

  it('a connected socket sends to its peer when no address is given', () => {
    const sk = env.sock({ connect: { addr: '192.0.2.2', port: 4242 } });
    env.to(sk, data(10));
    const [f] = env.tx();
    expect(hex(f!)).toBe(hex(frame4({ dst: '192.0.2.2', mac: H_MAC, payload: data(10), id: be16(f!, 18), df: true, dport: 4242 })));
  });

  it('waits for ARP: the datagram is queued, an ARP request leaves, the reply releases it', () => {
    env.to(env.sock(), data(8), '192.0.2.77');
    const [arp, ...rest] = env.tx();
    expect(rest).toEqual([]);
    expect(be16(arp!, 12)).toBe(0x0806);
    expect(hex(arp!.subarray(38, 42))).toBe(hex(ipv4Bytes('192.0.2.77')));
    const reply = eth({ dst: R_MAC, src: '02:00:00:00:00:77', type: 0x0806 }, Uint8Array.from([
      0, 1, 8, 0, 6, 4, 0, 2, 2, 0, 0, 0, 0, 0x77, ...ipv4Bytes('192.0.2.77'), 2, 0, 0, 0, 0, 1, ...ipv4Bytes('192.0.2.1'),
    ]));
    const after = env.fx.rx('eth0', reply).get('eth0') ?? [];
    expect(after.length).toBe(1);
    expect(hex(after[0]!)).toBe(hex(frame4({ dst: '192.0.2.77', mac: '02:00:00:00:00:77', payload: data(8), id: be16(after[0]!, 18), df: true })));
  });

  // No socket on port 7: the port unreachable the datagram draws comes back through lo too (icmp_send
  // routes it to the local source), so two datagrams come in — as in Linux 6.18 (a namespace sending to
  // its own closed port: Ip:InReceives 2, InDelivers 2, Icmp:OutDestUnreachs and InDestUnreachs 1; IPv6 alike)
  it('a datagram to a local address goes out on loopback and comes back into the receive path', () => {
    env.fx.ip('link set lo up');
    env.to(env.sock(), data(8), '192.0.2.1');
    expect(env.tx()).toEqual([]);
    const m = env.mib();
    expect(m['Udp:OutDatagrams']).toBe(1);
    expect([m['Udp:NoPorts'], m['Icmp:OutDestUnreachs'], m['Icmp:InDestUnreachs']]).toEqual([1, 1, 1]);
    expect(m['Ip:InReceives']).toBe(2);
    expect(m['Ip:InDelivers']).toBe(2);
  });

  it('a datagram to a local address larger than a pool frame loops back whole (no fragments)', () => {
    env.fx.ip('link set lo up');
    env.to(env.sock(), data(5000), '192.0.2.1');
    const m = env.mib();
    expect(m['Ip:FragCreates']).toBeUndefined();
    expect(m['Udp:NoPorts']).toBe(1);
    expect(m['Ip:InReceives']).toBe(2); // the datagram, then its port unreachable
    expect(m['Ip:InDelivers']).toBe(2);
  });

  it('broadcast needs SO_BROADCAST (EACCES); with it the frame goes to ff:ff:ff:ff:ff:ff', () => {
    expect(env.errno(env.sock(), data(4), '192.0.2.255')).toBe('EACCES');
    expect(env.errno(env.sock(), data(4), '255.255.255.255')).toBe('EACCES');
    env.to(env.sock({ broadcast: true }), data(4), '192.0.2.255');
    const [f] = env.tx();
    expect(hex(f!)).toBe(hex(frame4({ dst: '192.0.2.255', mac: 'ff:ff:ff:ff:ff:ff', payload: data(4), id: be16(f!, 18), df: true })));
    // ip_mc_output: a copy goes up to the host's own sockets, through local delivery
    const m = env.mib();
    expect([m['Ip:InReceives'], m['Ip:InDelivers']]).toEqual([1, 1]);
  });

  it('a broadcast larger than the MTU leaves in fragments and loops back whole', () => {
    env.to(env.sock({ broadcast: true }), data(3000), '192.0.2.255');
    expect(env.tx().length).toBe(3);
    const m = env.mib();
    expect([m['Ip:InReceives'], m['Ip:InDelivers'], m['Ip:ReasmReqds']]).toEqual([1, 1, undefined]);
  });

  it('errors in the kernel order: EDESTADDRREQ, EINVAL for port 0, EMSGSIZE before routing', () => {
    const sk = env.sock();
    expect(env.errno(sk, data(1))).toBe('EDESTADDRREQ');
    expect(env.errno(sk, data(1), '192.0.2.2', 0)).toBe('EINVAL');
    expect(env.errno(sk, new Uint8Array(65536), '192.0.2.2')).toBe('EMSGSIZE');
    expect(env.tx()).toEqual([]);
    expect(env.mib()).toEqual({});
  });

  it('unroutable: ENETUNREACH with Ip:OutNoRoutes; route types answer as fib_props', async () => {
    env = await Env.create([], NEIGH);
    expect(env.errno(env.sock(), data(1), '203.0.113.1')).toBe('ENETUNREACH');
    expect(env.mib()).toEqual({ 'Ip:OutNoRoutes': 1 });
    env.fx.ip('route add unreachable 203.0.113.0/26');
    env.fx.ip('route add prohibit 203.0.113.64/26');
    env.fx.ip('route add blackhole 203.0.113.128/26');
    expect(env.errno(env.sock(), data(1), '203.0.113.1')).toBe('EHOSTUNREACH');
    expect(env.errno(env.sock(), data(1), '203.0.113.65')).toBe('EACCES');
    expect(env.errno(env.sock(), data(1), '203.0.113.129')).toBe('EINVAL');
    expect(env.tx()).toEqual([]);
  });

  it('the bound device: routes through others are not taken; a device down is ENETUNREACH, none ENODEV', async () => {
    const dev1 = env.fx.dp.addDevice({ name: 'eth1', mac: '02:00:00:00:01:01', mtu: 1500 });
    env.fx.ip('link set eth1 up');
    const eth1 = dev1.ifindex;
    // no route through eth1: the destination is taken as on-link there (an ARP request on eth1)
    env.to(env.sock({ boundDev: eth1 }), data(4), '198.51.100.7');
    expect(env.tx()).toEqual([]);
    const [arp, ...more] = dev1.readTx().map((o) => o.data);
    expect(more).toEqual([]);
    expect(be16(arp!, 12)).toBe(0x0806);
    expect(hex(arp!.subarray(38, 42))).toBe(hex(ipv4Bytes('198.51.100.7')));
    env.fx.ip('link set eth1 down');
    expect(env.errno(env.sock({ boundDev: eth1 }), data(4), '198.51.100.7')).toBe('ENETUNREACH');
    // a device deleted after the bind: dev_get_by_index finds nothing
    env.fx.ip('link add d0 type dummy');
    env.fx.ip('link set d0 up');
    const d0 = env.sock({ boundDev: env.fx.dp.links.ifindex('d0') });
    env.fx.ip('link del d0');
    expect(env.errno(d0, data(4), '198.51.100.7')).toBe('ENODEV');
  });

  it('a bound source that is no longer ours is ENETUNREACH (__ip_dev_find), the subnet still routed', () => {
    env.fx.ip('addr add 192.0.2.9/24 dev eth0');
    const sk = env.sock({ bind: { addr: '192.0.2.9', port: SPORT } });
    env.fx.ip('addr del 192.0.2.9/24 dev eth0');
    expect(env.errno(sk, data(4), '192.0.2.2')).toBe('ENETUNREACH');
  });

  it('an unbound socket is bound to an ephemeral port first (inet_autobind), and sends from it', () => {
    const sk = udpSocket(env.fx.dp, {});
    expect(localPort(env.fx.dp, sk)).toBe(0);
    env.to(sk, data(6), '192.0.2.2');
    const port = localPort(env.fx.dp, sk);
    expect(port).toBeGreaterThanOrEqual(32768);
    expect(port).toBeLessThanOrEqual(60999);
    const [f] = env.tx();
    expect(be16(f!, 34)).toBe(port);
    expect(hex(f!.subarray(34, 40))).toBe(hex(udp('192.0.2.1', '192.0.2.2', port, 7, data(6)).subarray(0, 6)));
  });

  it('SO_MARK selects the route of a fwmark rule', () => {
    env.fx.ip('route add 198.51.100.0/24 via 192.0.2.2 table 100');
    env.fx.ip('rule add fwmark 7 table 100');
    env.to(env.sock({ mark: 7 }), data(4), '198.51.100.7');
    env.to(env.sock(), data(4), '198.51.100.7');
    const [a, b] = env.tx();
    expect(hex(a!.subarray(0, 6))).toBe(hex(Uint8Array.from([2, 0, 0, 0, 0, 2])));
    expect(hex(b!.subarray(0, 6))).toBe(hex(Uint8Array.from([2, 0, 0, 0, 0, 0xfe])));
  });
});

/** The IPv6 frame for a UDP datagram from 2001:db8:1::1 (flow label as the sender hashed it). */
function frame6(o: { dst: string; mac: string; payload: Uint8Array; flow: number; hlim?: number; tc?: number }): Uint8Array {
  return eth({ dst: o.mac, src: R_MAC, type: 0x86dd }, ipv6({ src: '2001:db8:1::1', dst: o.dst, nh: 17, hlim: o.hlim ?? 64, tc: o.tc ?? 0, flow: o.flow }, udp('2001:db8:1::1', o.dst, SPORT, 7, o.payload)));
}
const flowOf = (f: Uint8Array): number => ((f[15]! & 0xf) << 16) | (f[16]! << 8) | f[17]!;

describe.skipIf(unready !== '')('udpv6_sendmsg', () => {
  let env: Env;
  beforeEach(async () => {
    env = await Env.create();
  });

  it('sends to an on-link host and through the gateway, the checksum over the RFC 8200 pseudo-header', () => {
    const sk = env.sock({ family: AF_INET6 });
    env.to(sk, data(100), '2001:db8:1::2');
    env.to(sk, data(33), '2001:db8:9::9');
    const [a, b] = env.tx();
    expect(hex(a!)).toBe(hex(frame6({ dst: '2001:db8:1::2', mac: H_MAC, payload: data(100), flow: flowOf(a!) })));
    expect(hex(b!)).toBe(hex(frame6({ dst: '2001:db8:9::9', mac: GW_MAC, payload: data(33), flow: flowOf(b!) })));
    expect(flowOf(a!)).not.toBe(0); // auto flow labels
    expect(env.mib()).toEqual({ 'Ip6:OutRequests': 2, 'Udp6:OutDatagrams': 2 });
  });

  it('hop limit and traffic class from the socket', () => {
    env.to(env.sock({ family: AF_INET6, ttl: 3, tos: 0xb8 }), data(5), '2001:db8:1::2');
    const [f] = env.tx();
    expect(hex(f!)).toBe(hex(frame6({ dst: '2001:db8:1::2', mac: H_MAC, payload: data(5), flow: flowOf(f!), hlim: 3, tc: 0xb8 })));
  });

  it('over the MTU: Fragment headers, 1448 bytes each but the last, one identification (RFC 8200 4.5)', () => {
    const p = data(3000, 1);
    env.to(env.sock({ family: AF_INET6 }), p, '2001:db8:1::2');
    const out = env.tx();
    const id = (out[0]![14 + 44]! << 24 | out[0]![14 + 45]! << 16 | out[0]![14 + 46]! << 8 | out[0]![14 + 47]!) >>> 0;
    const whole = ipv6({ src: '2001:db8:1::1', dst: '2001:db8:1::2', nh: 17, flow: flowOf(out[0]!) }, udp('2001:db8:1::1', '2001:db8:1::2', SPORT, 7, p));
    expect(out.map((f) => hex(f.subarray(14)))).toEqual(fragments6(whole, 1500, id).map(hex));
    expect(out.map((f) => f.length)).toEqual([14 + 1496, 14 + 1496, 14 + 48 + 3008 - 2896]);
    expect(env.mib()).toEqual({ 'Ip6:OutRequests': 1, 'Ip6:FragOKs': 1, 'Ip6:FragCreates': 3, 'Udp6:OutDatagrams': 1 });
  });

  it('IPV6_DONTFRAG and IPV6_PMTUDISC_DO refuse what does not fit (EMSGSIZE); 65,528 bytes never fit', () => {
    expect(env.errno(env.sock({ family: AF_INET6, dontfrag: true }), data(1453), '2001:db8:1::2')).toBe('EMSGSIZE');
    expect(env.errno(env.sock({ family: AF_INET6, pmtudisc: 2 }), data(1453), '2001:db8:1::2')).toBe('EMSGSIZE');
    expect(env.to(env.sock({ family: AF_INET6, pmtudisc: 2 }), data(1452), '2001:db8:1::2')).toBe(1452);
    expect(env.errno(env.sock({ family: AF_INET6 }), new Uint8Array(65528), '2001:db8:1::2')).toBe('EMSGSIZE');
    expect(env.to(env.sock({ family: AF_INET6 }), data(65527), '2001:db8:1::2')).toBe(65527);
  });

  it('an IPv4-mapped destination goes over IPv4; on an IPV6_V6ONLY socket it is ENETUNREACH', () => {
    env.to(env.sock({ family: AF_INET6 }), data(12), '::ffff:192.0.2.2');
    const [f] = env.tx();
    expect(hex(f!)).toBe(hex(frame4({ dst: '192.0.2.2', mac: H_MAC, payload: data(12), id: be16(f!, 18), df: true })));
    expect(env.mib()).toEqual({ 'Ip:OutRequests': 1, 'Udp:OutDatagrams': 1 });
    expect(env.errno(env.sock({ family: AF_INET6, v6only: true }), data(12), '::ffff:192.0.2.2')).toBe('ENETUNREACH');
  });

  it('no route: ENETUNREACH with Ip6:OutNoRoutes; no IPv6 address at all: EADDRNOTAVAIL first', async () => {
    env = await Env.create([], NEIGH);
    expect(env.errno(env.sock({ family: AF_INET6 }), data(1), '2001:db8:9::1')).toBe('ENETUNREACH');
    expect(env.mib()).toEqual({ 'Ip6:OutNoRoutes': 1 });
    // the link-local address would still be a candidate source (and the answer ENETUNREACH)
    env.fx.ip('-6 addr flush dev eth0');
    expect(env.errno(env.sock({ family: AF_INET6 }), data(1), '2001:db8:9::1')).toBe('EADDRNOTAVAIL');
  });

  it('a datagram to a local address loops back (Ip6:InReceives on lo)', () => {
    env.fx.ip('link set lo up');
    env.to(env.sock({ family: AF_INET6 }), data(8), '2001:db8:1::1');
    expect(env.tx()).toEqual([]);
    const m = env.mib();
    expect(m['Udp6:OutDatagrams']).toBe(1);
    // the datagram, then the port unreachable it draws (icmpv6_send, through lo as well)
    expect([m['Udp6:NoPorts'], m['Icmp6:OutDestUnreachs'], m['Icmp6:InDestUnreachs']]).toEqual([1, 1, 1]);
    expect(m['Ip6:InReceives']).toBe(2);
    expect(m['Ip6:InDelivers']).toBe(2);
  });
});

describe.skipIf(unready !== '')('sent to this host: through loopback (or the broadcast copy) to its own sockets', () => {
  let env: Env;
  beforeEach(async () => {
    env = await Env.create();
    env.fx.ip('link set lo up');
  });

  // The device it reports (IP_PKTINFO's ipi_ifindex) is not lo's: ipv4_pktinfo_prepare gives inet_iif,
  // the route's rt_iif — for a local route its own device (Linux 6.18 in a namespace: 2, eth0, for
  // 192.0.2.1 on eth0; 1 for 127.0.0.1)
  it('IPv4 to a local address: the socket bound there receives the datagram, from the sender\'s port, as from the address\'s device', () => {
    const server = udpSocket(env.fx.dp, { bind: { addr: '192.0.2.1', port: 9000 } });
    const client = env.sock();
    for (const n of [40, 5000]) {
      env.to(client, data(n, n), '192.0.2.1', 9000);
      const r = recvFrom(env.fx.dp, server)!;
      expect(hex(r.data)).toBe(hex(data(n, n)));
      expect([r.port, r.ifindex, hex(r.addr.subarray(0, 4))]).toEqual([SPORT, env.fx.dp.links.ifindex('eth0'), hex(ipv4Bytes('192.0.2.1'))]);
    }
    expect(env.tx()).toEqual([]);
    expect(env.mib()['Udp:InDatagrams']).toBe(2);
  });

  it('IPv6 to ::1 and to the link\'s address', () => {
    const server = udpSocket(env.fx.dp, { family: AF_INET6, bind: { port: 9000 } });
    const client = env.sock({ family: AF_INET6 });
    env.to(client, data(30), '::1', 9000);
    env.to(client, data(31), '2001:db8:1::1', 9000);
    const a = recvFrom(env.fx.dp, server)!;
    const b = recvFrom(env.fx.dp, server)!;
    expect([a.data.length, hex(a.addr)]).toEqual([30, hex(ipv6Bytes('::1'))]);
    expect([b.data.length, hex(b.addr)]).toEqual([31, hex(ipv6Bytes('2001:db8:1::1'))]);
    // IPV6_PKTINFO's ipi6_ifindex: ip6_rcv_core's iif, the local route's device (Linux 6.18: 1 for ::1,
    // 2, eth0, for 2001:db8:1::1 on eth0)
    expect([a.ifindex, b.ifindex]).toEqual([1, env.fx.dp.links.ifindex('eth0')]);
  });

  it('a subnet broadcast reaches the sender\'s own wildcard socket on the output device (ip_mc_output)', () => {
    const server = udpSocket(env.fx.dp, { bind: { port: 9001 } });
    env.to(env.sock({ broadcast: true }), data(3000), '192.0.2.255', 9001);
    expect(env.tx().length).toBe(3);
    const r = recvFrom(env.fx.dp, server)!;
    expect(hex(r.data)).toBe(hex(data(3000)));
    expect(r.ifindex).toBe(env.fx.dp.links.ifindex('eth0'));
  });
});

describe.skipIf(unready !== '')('the control plane door (UdpSender)', () => {
  it('names the socket, the destination and the errno; refuses a bad port before the fast path', async () => {
    const env = await Env.create();
    const sk = env.sock();
    expect(() => env.to(sk, data(1), '192.0.2.255')).toThrow(/192\.0\.2\.255 port 7: EACCES/);
    expect(() => env.to(sk, data(1), '192.0.2.2', 70000)).toThrow(/port 70000 is not 0\.\.65535/);
    try {
      env.to(sk, data(1));
    } catch (e) {
      expect(e).toBeInstanceOf(UdpSendError);
      expect((e as UdpSendError).code).toBe('SOCKET_SEND');
      expect((e as UdpSendError).errnoValue).toBe(89);
    }
  });

  it('udp_sendmsg by socket id: EBADF when there is no such socket', async () => {
    const env = await Env.create();
    expect(() => env.send.send(12345, data(1), { address: '192.0.2.2', port: 7 })).toThrow(/socket 12345: send of 1 bytes to 192\.0\.2\.2 port 7: EBADF/);
  });

  it('an address that is not of the socket\'s family is refused before the fast path, naming it', async () => {
    const env = await Env.create();
    expect(() => env.to(env.sock(), data(1), '2001:db8:1::2')).toThrow(/'2001:db8:1::2' is not an IPv4 address/);
    expect(env.tx()).toEqual([]);
  });

  it('a length near 2^32 through the export is EMSGSIZE, never a wrapped size (IPv4 and IPv6)', async () => {
    const env = await Env.create();
    const x = env.fx.dp.fastPath.exports as unknown as { udp_sendmsg(id: number, buf: number, len: number, daddr: number, dport: number): number; arena_alloc(s: number, a: number): number };
    const a = x.arena_alloc(64, 64);
    env.fx.dp.memory.bytes().set(ipv6Bytes('2001:db8:1::2'), a + 16);
    env.fx.dp.memory.bytes().set(ipv4Bytes('192.0.2.2'), a);
    expect(x.udp_sendmsg(env.sock(), a + 32, 0xfffffffc, a, 7)).toBe(-90);
    expect(x.udp_sendmsg(env.sock({ family: AF_INET6 }), a + 32, 0xfffffffc, a + 16, 7)).toBe(-90);
    expect(x.udp_sendmsg(env.sock({ family: AF_INET6 }), a + 32, 0x7ffffffc, a + 16, 7)).toBe(-90);
    expect(env.tx()).toEqual([]);
  });

  it('a closed socket: EBADF', async () => {
    const env = await Env.create();
    const id = env.sock();
    sockClose(env.fx.dp, id);
    expect(env.errno(id, data(1), '192.0.2.2')).toBe('EBADF');
  });

  it('sendFromRecord sends from a socket record address as udp_sendmsg does from its id', async () => {
    const env = await Env.create();
    const id = env.sock();
    const x = env.fx.dp.fastPath.exports as unknown as { sockById(id: number): number };
    expect(env.send.sendFromRecord(x.sockById(id), data(3), { address: '192.0.2.2', port: 7 })).toBe(3);
    expect(env.tx().length).toBe(1);
  });
});

