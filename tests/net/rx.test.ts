// Receive: Ethernet and VLAN demux, ip_rcv_core's checks (RFC 791 / 1122 / 1812) and ipv6_rcv's (RFC 8200
// / 4291), the input route's martians, local delivery to the protocol table — each check with the drop
// reason and the counters the kernel gives it, on hand-built frames.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KernelRouter, kernelMib, kernelUnavailable } from './kernel.js';
import { Fixture, stackUnready, concat, echo4, echo6, eth, hex, ipv4, ipv6, optHdr, udp4, type LinkCfg, type NeighCfg } from './support.js';

const R_MAC = '02:00:00:00:00:01';
const H_MAC = '02:00:00:00:00:02';
const LINKS: LinkCfg[] = [{ name: 'eth0', mac: R_MAC, v4: ['192.0.2.1/24'], v6: ['2001:db8:1::1/64'] }];
const NEIGH: NeighCfg[] = [
  { dev: 'eth0', addr: '192.0.2.2', mac: H_MAC },
  { dev: 'eth0', addr: '2001:db8:1::2', mac: H_MAC },
];
const e4 = (p: Uint8Array, dst = R_MAC): Uint8Array => eth({ dst, src: H_MAC, type: 0x0800 }, p);
const e6 = (p: Uint8Array, dst = R_MAC): Uint8Array => eth({ dst, src: H_MAC, type: 0x86dd }, p);
const data = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i & 0xff);
const udp = (n = 8): Uint8Array => ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17 }, udp4('192.0.2.2', '192.0.2.1', 5000, 53, data(n)));

const unready = await stackUnready();

const fixture = (links = LINKS): Promise<Fixture> => Fixture.create(links, [], NEIGH);

/**
 * Hand UDP and TCP to the host ring (PH_HOST) as local delivery did before the L4 demux: the tests that
 * watch a datagram arrive for the host read it there (tests/udp/ covers the sockets themselves).
 */
function l4ToHost(fx: Fixture): void {
  const x = fx.dp.fastPath.exports as unknown as { net_proto_set(f: number, p: number, h: number): number };
  for (const f of [2, 10]) for (const p of [6, 17]) x.net_proto_set(f, p, 5);
}

/** Receive one frame on eth0; the counters and drops that are not zero afterwards. */
async function receive(frame: Uint8Array, links = LINKS): Promise<{ out: Map<string, Uint8Array[]>; counts: Record<string, number>; fx: Fixture }> {
  const fx = await fixture(links);
  const out = fx.rx('eth0', frame);
  return { out, counts: fx.nonzero(), fx };
}

describe.skipIf(unready !== '')('Ethernet', () => {
  it('a unicast MAC that is not the device\'s: OTHERHOST before anything is counted', async () => {
    const { counts } = await receive(e4(udp(), '02:00:00:00:00:99'));
    expect(counts).toEqual({ 'drop:OTHERHOST': 1 });
  });

  it('an ethertype no stage takes (IPX): UNHANDLED_PROTO', async () => {
    const { counts } = await receive(eth({ dst: R_MAC, src: H_MAC, type: 0x8137 }, data(46)));
    expect(counts).toEqual({ 'drop:UNHANDLED_PROTO': 1 });
  });

  it('an 802.1Q tag with no sub-device for its VID: VLAN_FILTER', async () => {
    const { counts } = await receive(eth({ dst: R_MAC, src: H_MAC, type: 0x0800, tags: [[0x8100, 5]] }, udp()));
    expect(counts).toEqual({ 'drop:VLAN_FILTER': 1 });
  });

  it('a tag cut short (2 bytes of TCI): PKT_TOO_SMALL', async () => {
    const { counts } = await receive(eth({ dst: R_MAC, src: H_MAC, type: 0x8100 }, Uint8Array.of(0, 5)));
    expect(counts).toEqual({ 'drop:PKT_TOO_SMALL': 1 });
  });
});

describe.skipIf(unready !== '')('Ethernet to the stack (with routes)', () => {
  it('a priority tag (VID 0) is cut and the frame stays on the device', async () => {
    const fx = await fixture();
    const out = fx.rx('eth0', eth({ dst: R_MAC, src: H_MAC, type: 0x0800, tags: [[0x8100, 0x6000]] }, ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 1 }, echo4(1, 2, data(8)))));
    expect(out.get('eth0')!.length).toBe(1);
    expect(fx.mib()['Icmp:OutEchoReps']).toBe(1);
  });

  it('802.1Q into a VLAN sub-device: untagged in place, delivered there, answered through it (tag pushed again)', async () => {
    const links: LinkCfg[] = [
      { name: 'eth0', mac: R_MAC },
      { name: 'eth0.7', mac: R_MAC, vlan: { parent: 'eth0', id: 7 }, v4: ['198.51.100.1/24'] },
    ];
    const fx = await Fixture.create(links, [], [{ dev: 'eth0.7', addr: '198.51.100.2', mac: H_MAC }]);
    l4ToHost(fx);
    const payload = udp4('198.51.100.2', '198.51.100.1', 5000, 53, data(8));
    const frame = eth({ dst: R_MAC, src: H_MAC, type: 0x0800, tags: [[0x8100, 7]] }, ipv4({ src: '198.51.100.2', dst: '198.51.100.1', proto: 17 }, payload));
    fx.rx('eth0', frame);
    // The host ring gets the frame untagged: the MACs moved up 4 bytes, L3 right after them.
    const [h] = fx.host('eth0');
    expect(hex(h!)).toBe(hex(eth({ dst: R_MAC, src: H_MAC, type: 0x0800 }, ipv4({ src: '198.51.100.2', dst: '198.51.100.1', proto: 17 }, payload))));
    const echo = eth({ dst: R_MAC, src: H_MAC, type: 0x0800, tags: [[0x8100, 7]] }, ipv4({ src: '198.51.100.2', dst: '198.51.100.1', proto: 1 }, echo4(1, 1, data(4))));
    const [reply] = fx.rx('eth0', echo).get('eth0')!;
    expect(hex(reply!.subarray(12, 16))).toBe('81000007');
  });

  it('802.1ad outer and 802.1Q inner tags: both cut on the way to the inner sub-device', async () => {
    const links: LinkCfg[] = [
      { name: 'eth0', mac: R_MAC },
      { name: 'svl', mac: R_MAC, vlan: { parent: 'eth0', id: 100, proto: 0x88a8 } },
      { name: 'cvl', mac: R_MAC, vlan: { parent: 'svl', id: 7 }, v4: ['198.51.100.1/24'] },
    ];
    const fx = await Fixture.create(links, [], [{ dev: 'cvl', addr: '198.51.100.2', mac: H_MAC }]);
    l4ToHost(fx);
    const ip = ipv4({ src: '198.51.100.2', dst: '198.51.100.1', proto: 17 }, udp4('198.51.100.2', '198.51.100.1', 1, 2, data(4)));
    fx.rx('eth0', eth({ dst: R_MAC, src: H_MAC, type: 0x0800, tags: [[0x88a8, 100], [0x8100, 7]] }, ip));
    expect(hex(fx.host('eth0')[0]!)).toBe(hex(eth({ dst: R_MAC, src: H_MAC, type: 0x0800 }, ip)));
  });

  it('a frame for a VLAN sub-device whose own MAC differs is for us (vlan_do_receive)', async () => {
    const links: LinkCfg[] = [
      { name: 'eth0', mac: R_MAC },
      { name: 'eth0.7', mac: '02:00:00:00:07:07', vlan: { parent: 'eth0', id: 7 }, v4: ['198.51.100.1/24'] },
    ];
    const fx = await Fixture.create(links, [], []);
    l4ToHost(fx);
    fx.rx('eth0', eth({ dst: '02:00:00:00:07:07', src: H_MAC, type: 0x0800, tags: [[0x8100, 7]] }, ipv4({ src: '198.51.100.2', dst: '198.51.100.1', proto: 17 }, udp4('198.51.100.2', '198.51.100.1', 1, 2, data(4)))));
    expect(fx.host('eth0').length).toBe(1);
  });

  it('a VLAN sub-device that is down drops its frames', async () => {
    const links: LinkCfg[] = [
      { name: 'eth0', mac: R_MAC },
      { name: 'eth0.7', mac: R_MAC, vlan: { parent: 'eth0', id: 7 }, v4: ['198.51.100.1/24'] },
    ];
    const fx = await Fixture.create(links, [], []);
    fx.ip('link set eth0.7 down'); // it came up with its parent (vlan_device_event NETDEV_UP)
    fx.rx('eth0', eth({ dst: R_MAC, src: H_MAC, type: 0x0800, tags: [[0x8100, 7]] }, ipv4({ src: '198.51.100.2', dst: '198.51.100.1', proto: 17 }, data(8))));
    expect(fx.nonzero()).toEqual({ 'drop:NOT_SPECIFIED': 1 });
  });
});

describe.skipIf(unready !== '')('ip_rcv_core', () => {
  it('shorter than a header (19 bytes): InReceives, InHdrErrors, IP_INHDR', async () => {
    const { counts } = await receive(e4(udp().subarray(0, 19)));
    expect(counts).toEqual({ 'Ip:InReceives': 1, 'Ip:InHdrErrors': 1, 'drop:IP_INHDR': 1 });
  });

  it('version 6 in an IPv4 frame: IP_INHDR', async () => {
    const { counts } = await receive(e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17, version: 6 }, data(8))));
    expect(counts).toEqual({ 'Ip:InReceives': 1, 'Ip:InHdrErrors': 1, 'drop:IP_INHDR': 1 });
  });

  it('IHL 4: IP_INHDR', async () => {
    const { counts } = await receive(e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17, ihl: 4 }, data(8))));
    expect(counts).toEqual({ 'Ip:InReceives': 1, 'Ip:InHdrErrors': 1, 'drop:IP_INHDR': 1 });
  });

  it('IHL 15 with less than 60 bytes: IP_INHDR', async () => {
    const { counts } = await receive(e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17, ihl: 15 }, data(12))));
    expect(counts).toEqual({ 'Ip:InReceives': 1, 'Ip:InHdrErrors': 1, 'drop:IP_INHDR': 1 });
  });

  it('a bad header checksum: IP_CSUM, InCsumErrors and InHdrErrors', async () => {
    const { counts } = await receive(e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17, check: 0x1234 }, data(8))));
    expect(counts).toEqual({ 'Ip:InReceives': 1, 'Ip:InHdrErrors': 1, 'IpExt:InCsumErrors': 1, 'drop:IP_CSUM': 1 });
  });

  it('a total length past the frame: PKT_TOO_SMALL, InTruncatedPkts (not a header error)', async () => {
    const { counts } = await receive(e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17, totLen: 100 }, data(40))));
    expect(counts).toEqual({ 'Ip:InReceives': 1, 'IpExt:InTruncatedPkts': 1, 'drop:PKT_TOO_SMALL': 1 });
  });

  it('a total length shorter than the header: IP_INHDR', async () => {
    const { counts } = await receive(e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17, totLen: 16 }, data(8))));
    expect(counts).toEqual({ 'Ip:InReceives': 1, 'Ip:InHdrErrors': 1, 'drop:IP_INHDR': 1 });
  });

  it('a multicast source: IP_INVALID_SOURCE (no IP counter for martians)', async () => {
    const { counts } = await receive(e4(ipv4({ src: '224.1.2.3', dst: '192.0.2.1', proto: 17 }, data(8))));
    expect(counts).toEqual({ 'Ip:InReceives': 1, 'drop:IP_INVALID_SOURCE': 1 });
  });

  it('a 255.255.255.255 source: IP_INVALID_SOURCE', async () => {
    const { counts } = await receive(e4(ipv4({ src: '255.255.255.255', dst: '192.0.2.1', proto: 17 }, data(8))));
    expect(counts).toEqual({ 'Ip:InReceives': 1, 'drop:IP_INVALID_SOURCE': 1 });
  });

  it('a 0.0.0.0 source to a unicast destination: IP_INVALID_SOURCE', async () => {
    const { counts } = await receive(e4(ipv4({ src: '0.0.0.0', dst: '192.0.2.1', proto: 17 }, data(8))));
    expect(counts).toEqual({ 'Ip:InReceives': 1, 'drop:IP_INVALID_SOURCE': 1 });
  });

  it('a 0.0.0.0 destination: IP_INVALID_DEST; the rest of 0/8 is unicast (ipv4_is_zeronet is 0.0.0.0 only)', async () => {
    expect((await receive(e4(ipv4({ src: '192.0.2.2', dst: '0.0.0.0', proto: 17 }, data(8))))).counts).toEqual({ 'Ip:InReceives': 1, 'drop:IP_INVALID_DEST': 1 });
    expect((await receive(e4(ipv4({ src: '192.0.2.2', dst: '0.1.2.3', proto: 17 }, data(8))))).counts).toEqual({ 'Ip:InReceives': 1, 'Ip:InAddrErrors': 1, 'drop:IP_INADDRERRORS': 1 });
  });

  it('127/8 as destination or source without route_localnet: IP_LOCALNET', async () => {
    expect((await receive(e4(ipv4({ src: '192.0.2.2', dst: '127.0.0.1', proto: 17 }, data(8))))).counts).toEqual({ 'Ip:InReceives': 1, 'drop:IP_LOCALNET': 1 });
    expect((await receive(e4(ipv4({ src: '127.0.0.1', dst: '192.0.2.1', proto: 17 }, data(8))))).counts).toEqual({ 'Ip:InReceives': 1, 'drop:IP_LOCALNET': 1 });
  });

  it('a multicast group the device has not joined: dropped unnamed', async () => {
    const { counts } = await receive(e4(ipv4({ src: '192.0.2.2', dst: '224.0.0.5', proto: 89 }, data(8)), '01:00:5e:00:00:05'));
    expect(counts).toEqual({ 'Ip:InReceives': 1, 'drop:NOT_SPECIFIED': 1 });
  });

  it('no route with forwarding off: ip_error counts InAddrErrors, IP_INADDRERRORS, no ICMP', async () => {
    const { counts, out } = await receive(e4(ipv4({ src: '192.0.2.2', dst: '203.0.113.9', proto: 17 }, data(8))));
    expect(out.size).toBe(0);
    expect(counts).toEqual({ 'Ip:InReceives': 1, 'Ip:InAddrErrors': 1, 'drop:IP_INADDRERRORS': 1 });
  });
});

describe.skipIf(unready !== '')('local delivery (IPv4)', () => {
  it('UDP handed to the host ring arrives as the frame it came in, trimmed of Ethernet padding: InDelivers', async () => {
    const fx = await fixture();
    l4ToHost(fx);
    const ip = udp(2);
    fx.rx('eth0', concat(e4(ip), new Uint8Array(16)));
    const [h] = fx.host('eth0');
    expect(hex(h!)).toBe(hex(e4(ip)));
    expect(fx.nonzero()).toEqual({ 'Ip:InReceives': 1, 'Ip:InDelivers': 1 });
  });

  it('TCP likewise', async () => {
    const fx = await fixture();
    l4ToHost(fx);
    fx.rx('eth0', e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 6 }, data(20))));
    expect(fx.host('eth0').length).toBe(1);
    expect(fx.nonzero()).toEqual({ 'Ip:InReceives': 1, 'Ip:InDelivers': 1 });
  });

  it('our own address as the source: IP_LOCAL_SOURCE (fib_validate_source); accept_local takes it', async () => {
    const martian = e4(ipv4({ src: '192.0.2.1', dst: '192.0.2.1', proto: 17 }, data(8)));
    expect((await receive(martian)).counts).toEqual({ 'Ip:InReceives': 1, 'drop:IP_LOCAL_SOURCE': 1 });
    const { counts } = await receive(martian, [{ ...LINKS[0]!, conf4: { accept_local: 1 } }]);
    expect(counts).toMatchObject({ 'Ip:InDelivers': 1 });
  });

  it('a UDP broadcast to the subnet is delivered (RTCF_BROADCAST), and to 255.255.255.255', async () => {
    const fx = await fixture();
    l4ToHost(fx);
    fx.rx('eth0', e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.255', proto: 17 }, data(8)), 'ff:ff:ff:ff:ff:ff'));
    fx.rx('eth0', e4(ipv4({ src: '0.0.0.0', dst: '255.255.255.255', proto: 17 }, data(8)), 'ff:ff:ff:ff:ff:ff'));
    expect(fx.host('eth0').length).toBe(2);
  });

  it('224.0.0.1 is joined: delivered', async () => {
    const fx = await fixture();
    l4ToHost(fx);
    fx.rx('eth0', e4(ipv4({ src: '192.0.2.2', dst: '224.0.0.1', proto: 17, ttl: 1 }, data(8)), '01:00:5e:00:00:01'));
    expect(fx.nonzero()).toEqual({ 'Ip:InReceives': 1, 'Ip:InDelivers': 1 });
  });

  it('an unknown protocol: InUnknownProtos, IP_NOPROTO and ICMP protocol unreachable', async () => {
    const fx = await fixture();
    const out = fx.rx('eth0', e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 200 }, data(8))));
    expect(out.get('eth0')![0]![14 + 20]).toBe(3);
    expect(out.get('eth0')![0]![14 + 21]).toBe(2);
    expect(fx.nonzero()).toEqual({
      'Ip:InReceives': 1, 'Ip:InUnknownProtos': 1, 'Ip:OutRequests': 1, 'Icmp:OutMsgs': 1, 'Icmp:OutDestUnreachs': 1, 'drop:IP_NOPROTO': 1,
    });
  });

  it('net_proto_set: the protocol table can be changed (a protocol handed to the host, UDP taken away)', async () => {
    const fx = await fixture();
    const x = fx.dp.fastPath.exports as unknown as { net_proto_set(f: number, p: number, h: number): number; net_proto_get(f: number, p: number): number };
    expect(x.net_proto_set(2, 200, 5)).toBe(0);
    expect(x.net_proto_get(2, 200)).toBe(5);
    fx.rx('eth0', e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 200 }, data(8))));
    expect(fx.host('eth0').length).toBe(1);
    expect(x.net_proto_set(2, 17, 0)).toBe(0);
    fx.rx('eth0', e4(udp()));
    expect(fx.mib()['Ip:InUnknownProtos']).toBe(1);
    expect([x.net_proto_set(3, 1, 1), x.net_proto_set(2, 256, 1), x.net_proto_set(2, 1, 99), x.net_proto_get(7, 1)]).toEqual([-22, -22, -22, 255]);
  });

  it('a full host ring: HOST_RING_FULL', async () => {
    const fx = await fixture([{ ...LINKS[0]!, hostRingSize: 4 }]);
    l4ToHost(fx);
    const d = fx.devs.get('eth0')!;
    const n = d.hostRing().free();
    for (let i = 0; i <= n; i++) d.inject(e4(udp()));
    d.poll({ budget: n + 1 });
    expect(fx.drops().HOST_RING_FULL).toBe(1);
    expect(fx.host('eth0').length).toBe(n);
  });
});

describe.skipIf(unready !== '')('ipv6_rcv', () => {
  const u6 = (o: Partial<Parameters<typeof ipv6>[0]> = {}, p = data(8)): Uint8Array => e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 17, ...o }, p));

  it('shorter than a header: Ip6:InHdrErrors, IP_INHDR', async () => {
    expect((await receive(u6().subarray(0, 14 + 39))).counts).toEqual({ 'Ip6:InReceives': 1, 'Ip6:InHdrErrors': 1, 'drop:IP_INHDR': 1 });
  });

  it('version 4 in an IPv6 frame: UNHANDLED_PROTO', async () => {
    expect((await receive(u6({ version: 4 }))).counts).toEqual({ 'Ip6:InReceives': 1, 'Ip6:InHdrErrors': 1, 'drop:UNHANDLED_PROTO': 1 });
  });

  it('::1 as source or destination (RFC 4291 2.5.3): IP_INHDR', async () => {
    expect((await receive(u6({ src: '::1' }))).counts).toEqual({ 'Ip6:InReceives': 1, 'Ip6:InHdrErrors': 1, 'drop:IP_INHDR': 1 });
    expect((await receive(u6({ dst: '::1' }))).counts).toEqual({ 'Ip6:InReceives': 1, 'Ip6:InHdrErrors': 1, 'drop:IP_INHDR': 1 });
  });

  it('interface-local (ff01::1) and scope-0 (ff00::1) multicast destinations, multicast sources: IP_INHDR', async () => {
    for (const o of [{ dst: 'ff01::1' }, { dst: 'ff00::1' }, { src: 'ff02::1' }]) {
      expect((await receive(u6(o, data(8)))).counts).toEqual({ 'Ip6:InReceives': 1, 'Ip6:InHdrErrors': 1, 'drop:IP_INHDR': 1 });
    }
  });

  it('a payload length past the frame: PKT_TOO_SMALL, InTruncatedPkts', async () => {
    expect((await receive(u6({ plen: 100 }))).counts).toEqual({ 'Ip6:InReceives': 1, 'Ip6:InTruncatedPkts': 1, 'drop:PKT_TOO_SMALL': 1 });
  });

  it('IPv6 disabled on the device: IPV6DISABLED, InDiscards', async () => {
    const fx = await Fixture.create([{ ...LINKS[0]!, v6: [], conf6: { disable_ipv6: 1 } }], [], NEIGH.slice(0, 1));
    fx.rx('eth0', u6());
    const counts = fx.nonzero();
    expect(counts).toEqual({ 'Ip6:InReceives': 1, 'Ip6:InDiscards': 1, 'drop:IPV6DISABLED': 1 });
  });

  it('hop-by-hop: eight padding bytes in a row are too many (RFC 8200 4.2), IP_INHDR', async () => {
    const hbh = optHdr(59, [1, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    expect((await receive(u6({ nh: 0 }, hbh))).counts).toEqual({ 'Ip6:InReceives': 1, 'Ip6:InHdrErrors': 1, 'drop:IP_INHDR': 1 });
  });

  it('hop-by-hop: PadN with a non-zero byte (RFC 4942 2.1.9.5), IP_INHDR', async () => {
    expect((await receive(u6({ nh: 0 }, optHdr(59, [1, 4, 0, 0, 1, 0])))).counts).toEqual({ 'Ip6:InReceives': 1, 'Ip6:InHdrErrors': 1, 'drop:IP_INHDR': 1 });
  });

  it('hop-by-hop: an option running past the header, IP_INHDR', async () => {
    expect((await receive(u6({ nh: 0 }, optHdr(59, [0x1e, 5, 0, 0, 0, 0])))).counts).toEqual({ 'Ip6:InReceives': 1, 'Ip6:InHdrErrors': 1, 'drop:IP_INHDR': 1 });
  });

  it('hop-by-hop: more than 8 options, IP_INHDR', async () => {
    const tlvs = Array.from({ length: 9 }, () => [0x1e, 0]).flat();
    expect((await receive(u6({ nh: 0 }, optHdr(59, [...tlvs, 0, 0, 0, 0])))).counts).toEqual({ 'Ip6:InReceives': 1, 'Ip6:InHdrErrors': 1, 'drop:IP_INHDR': 1 });
  });

  it('hop-by-hop: a router alert of the wrong length, IP_INHDR', async () => {
    expect((await receive(u6({ nh: 0 }, optHdr(59, [5, 3, 0, 0, 0, 1])))).counts).toEqual({ 'Ip6:InReceives': 1, 'Ip6:InHdrErrors': 1, 'drop:IP_INHDR': 1 });
  });

  it('hop-by-hop cut short (the header says 16 bytes, 8 are there): InHdrErrors, freed unnamed', async () => {
    expect((await receive(u6({ nh: 0 }, Uint8Array.of(59, 1, 1, 4, 0, 0, 0, 0)))).counts).toEqual({ 'Ip6:InReceives': 1, 'Ip6:InHdrErrors': 1, 'drop:NOT_SPECIFIED': 1 });
  });
});

describe.skipIf(unready !== '')('local delivery (IPv6)', () => {
  it('a neighbour solicitation goes to ndisc_rcv, counted by type', async () => {
    const fx = await fixture();
    const ns = ipv6({ src: '2001:db8:1::2', dst: 'ff02::1:ff00:1', nh: 58, hlim: 255 }, concat(Uint8Array.of(135, 0, 0, 0, 0, 0, 0, 0), new Uint8Array(16)));
    // a valid ICMPv6 checksum over what follows
    const icmp = ns.subarray(40);
    const { icmp6 } = await import('./support.js');
    icmp.set(icmp6('2001:db8:1::2', 'ff02::1:ff00:1', 135, 0, [0, 0, 0, 0], Uint8Array.from(Buffer.from('20010db8000100000000000000000001', 'hex'))));
    const out = fx.rx('eth0', e6(ns, '33:33:ff:00:00:01'));
    // ndisc answers it (an advertisement back to the solicitor)
    expect(out.get('eth0')![0]![14 + 40]).toBe(136);
    expect(fx.nonzero()).toEqual({
      'Ip6:InReceives': 1, 'Ip6:InMcastPkts': 1, 'Ip6:InDelivers': 1, 'Icmp6:InMsgs': 1, 'Icmp6:InNeighborSolicits': 1,
      'Ip6:OutRequests': 1, 'Icmp6:OutMsgs': 1, 'Icmp6:OutNeighborAdvertisements': 1,
    });
  });

  it('a solicited-node group of another address is not joined: dropped', async () => {
    const fx = await fixture();
    fx.rx('eth0', e6(ipv6({ src: '2001:db8:1::2', dst: 'ff02::1:ff00:99', nh: 59 }, data(8)), '33:33:ff:00:00:99'));
    expect(fx.nonzero()).toEqual({ 'Ip6:InReceives': 1, 'Ip6:InMcastPkts': 1, 'drop:NOT_SPECIFIED': 1 });
  });

  it('UDP handed to the host ring; no next header (59): delivered and consumed', async () => {
    const fx = await fixture();
    l4ToHost(fx);
    fx.rx('eth0', e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 17 }, data(16))));
    fx.rx('eth0', e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 59 }, data(0))));
    expect(fx.host('eth0').length).toBe(1);
    expect(fx.nonzero()).toEqual({ 'Ip6:InReceives': 2, 'Ip6:InDelivers': 2 });
  });

  it('an echo with a hop-by-hop header of skippable options is answered', async () => {
    const fx = await fixture();
    const out = fx.rx('eth0', e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 0 }, concat(optHdr(58, [0x3e, 4, 1, 2, 3, 4]), echo6('2001:db8:1::2', '2001:db8:1::1', 1, 1, data(4))))));
    expect(out.get('eth0')!.length).toBe(1);
  });
});

describe.skipIf(unready !== '')('receive checks against the kernel', () => {
  const noKernel = kernelUnavailable();
  const u6 = (o: Partial<Parameters<typeof ipv6>[0]> = {}, p = data(8)): Uint8Array => e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 17, ...o }, p));
  const frames: Array<[string, Uint8Array]> = [
    ['19 bytes of IP', e4(udp().subarray(0, 19))],
    ['version 6', e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17, version: 6 }, data(8)))],
    ['IHL 4', e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17, ihl: 4 }, data(8)))],
    ['bad checksum', e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17, check: 0x1234 }, data(8)))],
    ['total length past the frame', e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17, totLen: 100 }, data(40)))],
    ['total length under the header', e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17, totLen: 16 }, data(8)))],
    ['multicast source', e4(ipv4({ src: '224.1.2.3', dst: '192.0.2.1', proto: 17 }, data(8)))],
    ['0.0.0.0 destination', e4(ipv4({ src: '192.0.2.2', dst: '0.0.0.0', proto: 17 }, data(8)))],
    ['0.1.2.3 destination', e4(ipv4({ src: '192.0.2.2', dst: '0.1.2.3', proto: 17 }, data(8)))],
    ['0.0.0.0 source', e4(ipv4({ src: '0.0.0.0', dst: '192.0.2.1', proto: 17 }, data(8)))],
    ['127/8 destination', e4(ipv4({ src: '192.0.2.2', dst: '127.0.0.1', proto: 17 }, data(8)))],
    ['own address as source', e4(ipv4({ src: '192.0.2.1', dst: '192.0.2.1', proto: 17 }, data(8)))],
    ['no route, forwarding off', e4(ipv4({ src: '192.0.2.2', dst: '203.0.113.9', proto: 17 }, data(8)))],
    ['IPv6: 39 bytes', u6().subarray(0, 14 + 39)],
    ['IPv6: version 4', u6({ version: 4 })],
    ['IPv6: ::1 source', u6({ src: '::1' })],
    ['IPv6: ff01::1', u6({ dst: 'ff01::1' })],
    ['IPv6: payload past the frame', u6({ plen: 100 })],
    ['IPv6: 8 bytes of padding', u6({ nh: 0 }, optHdr(59, [1, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]))],
    ['IPv6: PadN not zero', u6({ nh: 0 }, optHdr(59, [1, 4, 0, 0, 1, 0]))],
    ['IPv6: 9 options', u6({ nh: 0 }, optHdr(59, [...Array.from({ length: 9 }, () => [0x1e, 0]).flat(), 0, 0, 0, 0]))],
    ['IPv6: router alert of length 3', u6({ nh: 0 }, optHdr(59, [5, 3, 0, 0, 0, 1]))],
    ['IPv6: hop-by-hop cut short', u6({ nh: 0 }, Uint8Array.of(59, 1, 1, 4, 0, 0, 0, 0))],
  ];
  let k: KernelRouter | undefined;
  beforeAll(() => {
    if (!noKernel) k = KernelRouter.create(LINKS, [], NEIGH);
  });
  afterAll(() => k?.close());

  it.skipIf(noKernel !== '')(`counts ${frames.length} malformed frames as Linux does ${noKernel ? `(skipped: ${noKernel})` : ''}`, async () => {
    const fx = await fixture();
    const kern = k!.send(frames.map(([, f]) => ['eth0', f]));
    let before = fx.mib();
    frames.forEach(([what, f], i) => {
      if (process.env.RX_DEBUG) console.log(what, kern[i]!.drops, JSON.stringify(kern[i]!.counters));
      expect({ what, out: fx.rx('eth0', f).size }).toEqual({ what, out: kern[i]!.tx.size });
      const after = fx.mib();
      const moved = Object.fromEntries(Object.keys(after).filter((n) => after[n] !== before[n]).map((n) => [n, after[n]! - before[n]!]));
      before = after;
      const names = Object.keys(after).filter((n) => /^(Ip|IpExt|Icmp|Ip6|Icmp6):/.test(n));
      expect({ what, counters: moved }).toEqual({ what, counters: kernelMib(kern[i]!.counters, names) });
    });
  });
});
