// Forwarding: ip_forward / ip6_forward — TTL and hop limit, the incremental checksum, MTU with and
// without DF, the route types that refuse, the martians, per-device forwarding — byte for byte against
// hand-built frames and (as root) against a Linux router built the same way in namespaces.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Fixture, stackUnready, concat, echo6, eth, field16, hex, icmp4, icmp6, inetChecksum, ipv4, ipv6, udp4,
  type LinkCfg, type NeighCfg, type RouteCfg,
} from './support.js';
import { KernelRouter, kernelMib, kernelUnavailable, maskOwn } from './kernel.js';

const M0 = '02:00:00:00:01:00'; // router eth0
const M1 = '02:00:00:00:01:01'; // router eth1
const H0 = '02:00:00:00:02:00'; // host on eth0's link
const H1 = '02:00:00:00:02:01'; // gateway on eth1's link
const LINKS: LinkCfg[] = [
  { name: 'eth0', mac: M0, forwarding: true, v4: ['192.0.2.1/24'], v6: ['2001:db8:1::1/64', 'fe80::ff:fe00:100/64'] },
  { name: 'eth1', mac: M1, forwarding: true, mtu: 1400, v4: ['198.51.100.1/24'], v6: ['2001:db8:2::1/64', 'fe80::ff:fe00:101/64'] },
];
const ROUTES: RouteCfg[] = [
  { dst: '203.0.113.0/25', via: '198.51.100.2', dev: 'eth1' },
  { dst: '203.0.113.128/26', dev: 'eth1', type: 'blackhole' },
  { dst: '203.0.113.192/27', dev: 'eth1', type: 'unreachable' },
  { dst: '203.0.113.224/28', dev: 'eth1', type: 'prohibit' },
  { dst: '203.0.113.240/29', via: '198.51.100.2', dev: 'eth1', mtu: 1300 },
  { dst: '2001:db8:3::/48', via: '2001:db8:2::2', dev: 'eth1' },
  { dst: '2001:db8:4::/48', dev: 'eth1', type: 'prohibit' },
  { dst: '2001:db8:5::/48', dev: 'eth1', type: 'blackhole' },
];
const NEIGH: NeighCfg[] = [
  { dev: 'eth0', addr: '192.0.2.2', mac: H0 },
  // ip_error's per-source token bucket is the ICMP limiter's: its cases come from sources of their own
  ...[3, 4, 5, 6].map((i) => ({ dev: 'eth0', addr: `192.0.2.${i}`, mac: H0 })),
  { dev: 'eth1', addr: '198.51.100.2', mac: H1 },
  { dev: 'eth0', addr: '2001:db8:1::2', mac: H0 },
  { dev: 'eth0', addr: 'fe80::2', mac: H0 },
  { dev: 'eth1', addr: '2001:db8:2::2', mac: H1 },
];
const e4 = (p: Uint8Array, dst = M0): Uint8Array => eth({ dst, src: H0, type: 0x0800 }, p);
const e6 = (p: Uint8Array, dst = M0): Uint8Array => eth({ dst, src: H0, type: 0x86dd }, p);
const data = (n: number, seed = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);
const u4 = (src: string, dst: string, n: number, o: Partial<Parameters<typeof ipv4>[0]> = {}): Uint8Array =>
  e4(ipv4({ src, dst, proto: 17, ...o }, udp4(src, dst, 1000, 2000, data(n))));
const u6 = (src: string, dst: string, n: number, hlim = 64): Uint8Array =>
  e6(ipv6({ src, dst, nh: 59, hlim }, data(n)));

const unready = await stackUnready();
const noKernel = kernelUnavailable();

/** A forwarded frame whose IPv4 timestamp option's time field (`at`, from the frame) differs by clock: cleared, checksum too. */
const maskTime = (at: number) => (f: Uint8Array): Uint8Array => {
  const c = Uint8Array.from(f);
  c.fill(0, at, at + 4);
  c.fill(0, 24, 26);
  return c;
};

const CASES: Array<{ what: string; frame: Uint8Array; mask?: (f: Uint8Array) => Uint8Array }> = [
  { what: 'UDP to a network behind the gateway', frame: u4('192.0.2.2', '203.0.113.5', 100, { tos: 0x30, df: true, ttl: 17 }) },
  { what: 'UDP to a host on the next link', frame: u4('192.0.2.2', '198.51.100.2', 64) },
  { what: 'TTL 1 (time exceeded)', frame: u4('192.0.2.2', '203.0.113.5', 64, { ttl: 1, tos: 0x2c }) },
  { what: 'TTL 0 (time exceeded)', frame: u4('192.0.2.2', '203.0.113.5', 64, { ttl: 0 }) },
  { what: 'DF over the next-hop MTU (fragmentation needed, MTU 1400)', frame: u4('192.0.2.2', '203.0.113.5', 1400, { df: true }) },
  { what: 'DF over a route MTU (fragmentation needed, MTU 1300)', frame: u4('192.0.2.2', '203.0.113.241', 1300, { df: true }) },
  { what: 'DF at exactly the MTU (forwarded)', frame: u4('192.0.2.2', '203.0.113.5', 1400 - 28, { df: true }) },
  {
    what: 'record route with two free slots: the egress address in the first (RFC 791 / 1812 5.2.4.4)',
    frame: u4('192.0.2.2', '203.0.113.5', 16, { options: [7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0] }),
  },
  {
    what: 'a full record route goes through unchanged',
    frame: u4('192.0.2.2', '203.0.113.5', 16, { options: [7, 7, 8, 198, 51, 100, 9, 0] }),
  },
  {
    what: 'timestamp with addresses: the egress address and the time (the clock masked)',
    frame: u4('192.0.2.2', '203.0.113.5', 16, { options: [68, 12, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0] }),
    mask: maskTime(14 + 20 + 8),
  },
  {
    what: 'bytes after an end-of-option-list octet are cleared to zero (__ip_options_compile), the checksum summed again',
    frame: u4('192.0.2.2', '203.0.113.5', 16, { options: [1, 0, 7, 3] }),
  },
  {
    what: 'a full timestamp option counts the hop in its overflow nibble',
    frame: u4('192.0.2.2', '203.0.113.5', 16, { options: [68, 8, 9, 0x20, 1, 2, 3, 4] }),
  },
  { what: 'no DF over the next-hop MTU: fragmented (ID, TOS kept; 8-byte multiples)', frame: u4('192.0.2.2', '203.0.113.5', 1450, { tos: 0x20, id: 0x4321 }) },
  { what: 'no DF over a route MTU: fragmented at 1300', frame: u4('192.0.2.2', '203.0.113.242', 1400, { id: 0x4322 }) },
  { what: 'a fragment (MF, no DF) over the MTU: fragmented again, MF on every piece', frame: u4('192.0.2.2', '203.0.113.5', 1450, { id: 0x4323, mf: true }) },
  { what: 'no route (network unreachable)', frame: u4('192.0.2.3', '198.18.0.1', 32) },
  { what: 'a blackhole route', frame: u4('192.0.2.4', '203.0.113.130', 32) },
  { what: 'an unreachable route (host unreachable)', frame: u4('192.0.2.5', '203.0.113.200', 32) },
  { what: 'a prohibit route (administratively prohibited)', frame: u4('192.0.2.6', '203.0.113.230', 32) },
  { what: 'a unicast IP in an L2 broadcast (not forwarded)', frame: u4('192.0.2.2', '203.0.113.5', 32, {}).map((b, i) => (i < 6 ? 0xff : b)) },
  { what: 'our own address as the source (martian)', frame: u4('198.51.100.1', '203.0.113.5', 32) },
  { what: 'a 127/8 source', frame: u4('127.0.0.5', '203.0.113.5', 32) },
  { what: 'an ICMP error is not answered with one (TTL 1)', frame: e4(ipv4({ src: '192.0.2.2', dst: '203.0.113.5', proto: 1, ttl: 1 }, icmp4(3, 1, [0, 0, 0, 0], ipv4({ src: '203.0.113.5', dst: '192.0.2.2', proto: 17 }, data(8))))) },
  { what: 'a non-first fragment is not answered (TTL 1)', frame: e4(ipv4({ src: '192.0.2.2', dst: '203.0.113.5', proto: 17, ttl: 1, fragOff: 1480 }, data(40))) },
  { what: 'IPv6 to a network behind the gateway', frame: u6('2001:db8:1::2', '2001:db8:3::5', 100, 9) },
  { what: 'IPv6 hop limit 1 (time exceeded)', frame: u6('2001:db8:1::2', '2001:db8:3::5', 64, 1) },
  { what: 'IPv6 over the next-hop MTU (packet too big, 1400)', frame: u6('2001:db8:1::2', '2001:db8:3::5', 1400) },
  { what: 'IPv6 without a route (no route)', frame: u6('2001:db8:1::2', '2001:db8:9::1', 16) },
  { what: 'IPv6 to a prohibit route', frame: u6('2001:db8:1::2', '2001:db8:4::1', 16) },
  { what: 'IPv6 to a blackhole route', frame: u6('2001:db8:1::2', '2001:db8:5::1', 16) },
  { what: 'IPv6 from a link-local source (beyond scope)', frame: u6('fe80::2', '2001:db8:3::5', 16) },
  {
    what: 'IPv6 echo through the router',
    frame: e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:3::5', nh: 58, hlim: 2 }, echo6('2001:db8:1::2', '2001:db8:3::5', 1, 2, data(16)))),
  },
];

/** The frames a stack sent, comparable: its own datagrams masked, forwarded ones as they are. */
function comparable(frames: Uint8Array[], ownSrcMacs: string[]): string[] {
  return frames.map((f) => hex(ownIcmp(f) ? maskOwn(f) : f)).sort();
  function ownIcmp(f: Uint8Array): boolean {
    const src = hex(f.subarray(6, 12));
    if (!ownSrcMacs.includes(src)) return false;
    const type = field16(f, 12);
    if (type === 0x0800) return f[14 + 9] === 1 && [0, 3, 11, 12, 14].includes(f[14 + 20]!) && f[14 + 12] === 192 || f[14 + 12] === 198;
    return type === 0x86dd && f[14 + 6] === 58 && f[14 + 40]! < 128;
  }
}

describe.skipIf(unready !== '')('forwarding against the kernel', () => {
  let k: KernelRouter | undefined;
  beforeAll(() => {
    if (!noKernel) k = KernelRouter.create(LINKS, ROUTES, NEIGH, { 'net.ipv6.conf.all.forwarding': 1, 'net.ipv6.icmp.ratelimit': 0, 'net.ipv4.icmp_ratelimit': 0 });
  });
  afterAll(() => k?.close());

  it.skipIf(noKernel !== '')(`forwards and refuses ${CASES.length} frames as Linux does ${noKernel ? `(skipped: ${noKernel})` : ''}`, async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.sysctl('IPV6_ALL_FORWARDING', 1);
    fx.sysctl('ICMP_RATELIMIT', 0);
    fx.sysctl('ICMP6_RATELIMIT', 0);
    const kern = k!.send(CASES.map((c) => ['eth0', c.frame]));
    const own = [M0, M1].map((m) => m.replace(/:/g, ''));
    let before = fx.mib();
    CASES.forEach((c, i) => {
      const ours = fx.rx('eth0', c.frame);
      for (const dev of ['eth0', 'eth1']) {
        const m = c.mask ?? ((f: Uint8Array) => f);
        const a = comparable((ours.get(dev) ?? []).map(m), own);
        const b = comparable((kern[i]!.tx.get(dev) ?? []).map(m), own);
        if (process.env.RX_DEBUG) console.log(c.what, dev, a.length, b.length, kern[i]!.drops, JSON.stringify(kern[i]!.counters));
        expect({ what: c.what, dev, out: a }).toEqual({ what: c.what, dev, out: b });
      }
      const after = fx.mib();
      const moved = Object.fromEntries(Object.keys(after).filter((k2) => after[k2] !== before[k2]).map((k2) => [k2, after[k2]! - before[k2]!]));
      before = after;
      const names = Object.keys(after).filter((k2) => /^(Ip|IpExt|Icmp|Ip6|Icmp6):/.test(k2));
      expect({ what: c.what, counters: moved }).toEqual({ what: c.what, counters: kernelMib(kern[i]!.counters, names) });
    });
  });
});

describe.skipIf(unready !== '')('ip_forward', () => {
  it('decrements the TTL and patches the checksum incrementally, MACs rewritten for the next hop', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    const inFrame = u4('192.0.2.2', '203.0.113.5', 20, { ttl: 64, id: 0x4242 });
    const out = fx.rx('eth0', inFrame).get('eth1')!;
    expect(out.length).toBe(1);
    const f = out[0]!;
    expect(hex(f.subarray(0, 12))).toBe('020000000201' + '020000000101');
    const expected = Uint8Array.from(inFrame.subarray(14));
    expected[8] = 63;
    const c = inetChecksum(Uint8Array.from(expected.subarray(0, 20)).fill(0, 10, 12));
    expected[10] = c >> 8;
    expected[11] = c & 0xff;
    expect(hex(f.subarray(14))).toBe(hex(expected));
    expect(fx.nonzero()).toEqual({ 'Ip:InReceives': 1, 'Ip:ForwDatagrams': 1 });
  });

  it('ip_decrease_ttl carries 0xfeff + 0x0100 round to 0x0000 (the kernel never writes 0xffff)', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    // Choose the id so the header's checksum is 0xfeff (its sum 0x0100); after TTL-1 the kernel's
    // adjusted field is 0xffff, which it writes as 0x0000.
    const sum0 = ~field16(u4('192.0.2.2', '203.0.113.5', 8, { id: 0 }), 24) & 0xffff;
    let id = 0x0100 + (~sum0 & 0xffff);
    id = (id & 0xffff) + (id >> 16);
    const frame = u4('192.0.2.2', '203.0.113.5', 8, { id });
    expect(field16(frame, 24)).toBe(0xfeff);
    const out = fx.rx('eth0', frame).get('eth1')![0]!;
    expect(out[14 + 8]).toBe(63);
    expect(field16(out, 24)).toBe(0x0000);
    expect(inetChecksum(out.subarray(14, 34))).toBe(0); // 0x0000 still verifies (one's complement zero)
  });

  it('TTL 1: ICMP time exceeded from the address facing the sender, quoting the datagram as received', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    const inFrame = u4('192.0.2.2', '203.0.113.5', 12, { ttl: 1, tos: 0x2c });
    const out = fx.rx('eth0', inFrame).get('eth0')!;
    const ip = out[0]!.subarray(14);
    // tos: RT_TOS(0x2c) | IPTOS_PREC_INTERNETCONTROL = 0x0c | 0xc0
    expect([ip[0], ip[1], field16(ip, 2), field16(ip, 6), ip[8], ip[9]]).toEqual([0x45, 0xcc, 20 + 8 + 40, 0, 64, 1]);
    expect(hex(ip.subarray(12, 20))).toBe('c0000201' + 'c0000202');
    expect(hex(ip.subarray(20))).toBe(hex(icmp4(11, 0, [0, 0, 0, 0], inFrame.subarray(14))));
    expect(fx.nonzero()).toEqual({
      'Ip:InReceives': 1, 'Ip:InHdrErrors': 1, 'Ip:OutRequests': 1, 'Icmp:OutMsgs': 1, 'Icmp:OutTimeExcds': 1, 'drop:IP_INHDR': 1,
    });
  });

  it('clears what follows an end-of-option-list octet and sums the header again (__ip_options_compile, ip_forward_options)', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    const inFrame = u4('192.0.2.2', '203.0.113.5', 8, { options: [1, 0, 7, 3], id: 0x0bad });
    const out = fx.rx('eth0', inFrame).get('eth1')!;
    expect(out.length).toBe(1);
    // RFC 791: the list ends at octet 1 (EOL); the kernel writes IPOPT_END over the two octets after it
    const expected = Uint8Array.from(inFrame.subarray(14));
    expected[8] = 63;
    expected.set([1, 0, 0, 0], 20);
    expected.fill(0, 10, 12);
    const c = inetChecksum(expected.subarray(0, 24));
    expected[10] = c >> 8;
    expected[11] = c & 0xff;
    expect(hex(out[0]!.subarray(14))).toBe(hex(expected));
  });

  it('DF over the MTU: fragmentation needed carries the next-hop MTU in the low 16 bits of the second word', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    const inFrame = u4('192.0.2.2', '203.0.113.5', 1400, { df: true });
    const ip = fx.rx('eth0', inFrame).get('eth0')![0]!.subarray(14);
    expect(hex(ip.subarray(20, 28))).toBe(hex(icmp4(3, 4, [0, 0, 0x05, 0x78], inFrame.subarray(14, 14 + 548)).subarray(0, 8)));
    expect(field16(ip, 2)).toBe(576);
    expect(hex(ip.subarray(28))).toBe(hex(inFrame.subarray(14, 14 + 548)));
    expect(fx.nonzero()).toMatchObject({ 'Ip:ForwDatagrams': 1, 'Ip:FragFails': 1, 'drop:PKT_TOO_BIG': 1 });
  });

  it('forwarding off on the input device: no route out, Ip:InAddrErrors, no ICMP', async () => {
    const fx = await Fixture.create(LINKS.map((l) => (l.name === 'eth0' ? { ...l, forwarding: false } : l)), ROUTES, NEIGH);
    expect(fx.rx('eth0', u4('192.0.2.2', '203.0.113.5', 8)).size).toBe(0);
    expect(fx.nonzero()).toEqual({ 'Ip:InReceives': 1, 'Ip:InAddrErrors': 1, 'drop:IP_INADDRERRORS': 1 });
  });

  it('send_redirects on: back out the same device toward a gateway on the sender\'s link → ICMP redirect (host) and the datagram', async () => {
    const links = LINKS.map((l) => (l.name === 'eth0' ? { ...l, conf4: { send_redirects: 1 } } : l));
    const fx = await Fixture.create(links, [...ROUTES, { dst: '198.18.0.0/15', via: '192.0.2.9', dev: 'eth0' }], [...NEIGH, { dev: 'eth0', addr: '192.0.2.9', mac: '02:00:00:00:02:09' }]);
    const inFrame = u4('192.0.2.2', '198.18.0.1', 8, { ttl: 30 });
    const out = fx.rx('eth0', inFrame).get('eth0')!;
    expect(out.length).toBe(2);
    const redirect = out[0]!.subarray(14);
    expect(hex(redirect.subarray(20, 28))).toBe('0501' + hex(redirect.subarray(22, 24)) + 'c0000209');
    // the quote is the datagram after its TTL was decremented
    expect(redirect[28 + 8]).toBe(29);
    expect(hex(out[1]!.subarray(0, 6))).toBe('020000000209');
    expect(fx.mib()['Icmp:OutRedirects']).toBe(1);
  });
});

describe.skipIf(unready !== '')('ip6_forward', () => {
  it('net.ipv6.conf.all.forwarding off: Ip6:InAddrErrors, IP_INADDRERRORS', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    expect(fx.rx('eth0', u6('2001:db8:1::2', '2001:db8:3::5', 8)).size).toBe(0);
    expect(fx.nonzero()).toEqual({ 'Ip6:InReceives': 1, 'Ip6:InAddrErrors': 1, 'drop:IP_INADDRERRORS': 1 });
  });

  it('force_forwarding on the input device forwards without all.forwarding', async () => {
    const fx = await Fixture.create(LINKS.map((l) => (l.name === 'eth0' ? { ...l, conf6: { force_forwarding: 1 } } : l)), ROUTES, NEIGH);
    const out = fx.rx('eth0', u6('2001:db8:1::2', '2001:db8:3::5', 8, 5)).get('eth1')!;
    expect(out[0]![14 + 7]).toBe(4);
  });

  it('packet too big quotes up to 1232 bytes and carries the MTU', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.sysctl('IPV6_ALL_FORWARDING', 1);
    const inFrame = u6('2001:db8:1::2', '2001:db8:3::5', 1400);
    const ip = fx.rx('eth0', inFrame).get('eth0')![0]!.subarray(14);
    expect(field16(ip, 4)).toBe(1240);
    expect(hex(ip.subarray(40))).toBe(hex(icmp6('2001:db8:1::1', '2001:db8:1::2', 2, 0, [0, 0, 0x05, 0x78], inFrame.subarray(14, 14 + 1232))));
    expect(fx.nonzero()).toEqual({
      'Ip6:InReceives': 1, 'Ip6:InTooBigErrors': 1, 'Ip6:OutForwDatagrams': 1, 'Ip6:FragFails': 1, 'Ip6:OutRequests': 1,
      'Icmp6:OutMsgs': 1, 'Icmp6:OutPktTooBigs': 1, 'drop:PKT_TOO_BIG': 1,
    });
  });
});

void concat;

describe.skipIf(unready !== '')('rp_filter against the kernel', () => {
  const noK = kernelUnavailable();
  // A source whose route back leaves by eth1 arrives on eth0.
  const spoofed = u4('203.0.113.9', '198.51.100.2', 8);
  const fine = u4('192.0.2.2', '198.51.100.2', 8);
  const unrouted = u4('198.18.0.9', '198.51.100.2', 8);
  for (const mode of [1, 2]) {
    const links = LINKS.map((l) => (l.name === 'eth0' ? { ...l, conf4: { rp_filter: mode } } : l));
    let k: KernelRouter | undefined;
    beforeAll(() => {
      if (!noK) k = KernelRouter.create(links, ROUTES, NEIGH);
    });
    afterAll(() => k?.close());
    it.skipIf(noK !== '')(`rp_filter ${mode} (${mode === 1 ? 'strict' : 'loose'}): a source routed elsewhere, one routed back here, one not routed at all ${noK ? `(skipped: ${noK})` : ''}`, async () => {
      const fx = await Fixture.create(links, ROUTES, NEIGH);
      const frames = [spoofed, fine, unrouted];
      const kern = k!.send(frames.map((f) => ['eth0', f]));
      frames.forEach((f, i) => {
        const ours = fx.rx('eth0', f).get('eth1')?.map(hex) ?? [];
        expect({ i, out: ours }).toEqual({ i, out: kern[i]!.tx.get('eth1')?.map(hex) ?? [] });
      });
      // strict: the spoofed and the unrouted source fail; loose: only the unrouted one
      expect(fx.drops().IP_RPFILTER).toBe(mode === 1 ? 2 : 1);
    });
  }
});
