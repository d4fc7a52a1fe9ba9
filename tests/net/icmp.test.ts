// ICMP and ICMPv6 answered by the stack: echo and timestamp replies, protocol unreachable, parameter
// problems, the rate limiters on the stack clock — byte for byte against hand-built frames and, where
// root can build namespaces, against the kernel given the same frames.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Fixture, stackUnready, concat, fragments4, fragments6, echo4, echo6, eth, field16, hex, icmp4, icmp6, inetChecksum, ipv4, ipv6, optHdr,
  type LinkCfg, type NeighCfg,
} from './support.js';
import { KernelRouter, kernelMib, kernelUnavailable, maskOwn } from './kernel.js';

const R_MAC = '02:00:00:00:00:01';
const H_MAC = '02:00:00:00:00:02';
const LINKS: LinkCfg[] = [{ name: 'eth0', mac: R_MAC, v4: ['192.0.2.1/24'], v6: ['2001:db8:1::1/64', 'fe80::ff:fe00:1/64'] }];
const NEIGH: NeighCfg[] = [
  { dev: 'eth0', addr: '192.0.2.2', mac: H_MAC },
  { dev: 'eth0', addr: '2001:db8:1::2', mac: H_MAC },
  { dev: 'eth0', addr: 'fe80::2', mac: H_MAC },
];
const e4 = (p: Uint8Array, dst = R_MAC): Uint8Array => eth({ dst, src: H_MAC, type: 0x0800 }, p);
const e6 = (p: Uint8Array, dst = R_MAC): Uint8Array => eth({ dst, src: H_MAC, type: 0x86dd }, p);
const data = (n: number, seed = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

const unready = await stackUnready();
const noKernel = kernelUnavailable();

/** The frames both stacks are given: [what, frame, what they reply mask]. */
const CASES: Array<{ what: string; frame: Uint8Array; mask?: (f: Uint8Array) => Uint8Array }> = [
  { what: 'an echo request (TOS and DF kept in the request)', frame: e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 1, tos: 0x2b, df: true }, echo4(7, 1, data(56)))) },
  {
    what: 'an echo request padded to the Ethernet minimum (the padding is trimmed)',
    frame: concat(e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 1 }, echo4(9, 2, data(4)))), new Uint8Array(14)),
  },
  { what: 'an unknown protocol (253)', frame: e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 253 }, data(40))) },
  { what: 'an unknown protocol in a big datagram (quote cut at 576)', frame: e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 253, tos: 0x10 }, data(1000))) },
  { what: 'an echo request to the subnet broadcast (ignored)', frame: e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.255', proto: 1 }, echo4(1, 1, data(8))), 'ff:ff:ff:ff:ff:ff') },
  { what: 'an echo request to 224.0.0.1 (ignored)', frame: e4(ipv4({ src: '192.0.2.2', dst: '224.0.0.1', proto: 1, ttl: 1 }, echo4(1, 1, data(8))), '01:00:5e:00:00:01') },
  {
    what: 'a timestamp request',
    frame: e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 1 }, icmp4(13, 0, [0, 5, 0, 1], Uint8Array.of(0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0)))),
    // receive and transmit timestamps are the clock's
    mask: (f) => {
      const c = maskOwn(f);
      c.fill(0, 14 + 20 + 2, 14 + 20 + 4);
      c.fill(0, 14 + 20 + 12, 14 + 20 + 20);
      return c;
    },
  },
  { what: 'a malformed IP option (length 1)', frame: e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 1, options: [0x01, 0x07, 0x01, 0x00] }, echo4(1, 1, data(8)))) },
  { what: 'a loose source route (refused silently)', frame: e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 1, options: [0x83, 0x07, 0x04, 198, 51, 100, 1, 0] }, echo4(1, 1, data(8)))) },
  { what: 'an ICMP error to us (not answered)', frame: e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 1 }, icmp4(3, 3, [0, 0, 0, 0], ipv4({ src: '192.0.2.1', dst: '192.0.2.2', proto: 17 }, data(8))))) },
  { what: 'an ICMPv6 echo request', frame: e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 58, tc: 0x28, flow: 0x12345 }, echo6('2001:db8:1::2', '2001:db8:1::1', 3, 4, data(32)))) },
  {
    what: 'an ICMPv6 echo request to ff02::1 (answered from the link-local address)',
    frame: e6(ipv6({ src: 'fe80::2', dst: 'ff02::1', nh: 58, hlim: 1 }, echo6('fe80::2', 'ff02::1', 3, 4, data(8))), '33:33:00:00:00:01'),
  },
  { what: 'an unknown next header (253)', frame: e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 253 }, data(24))) },
  {
    what: 'a hop-by-hop option of type 10xxxxxx (parameter problem at the option)',
    frame: e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 0 }, concat(optHdr(58, [0x81, 2, 0, 0, 1, 0]), echo6('2001:db8:1::2', '2001:db8:1::1', 1, 1, data(8))))),
  },
  {
    what: 'a hop-by-hop option of type 01xxxxxx (dropped silently)',
    frame: e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 0 }, concat(optHdr(58, [0x41, 2, 0, 0, 1, 0]), echo6('2001:db8:1::2', '2001:db8:1::1', 1, 1, data(8))))),
  },
  {
    what: 'a destination option of type 11xxxxxx',
    frame: e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 60 }, concat(optHdr(58, [0xc2, 2, 0, 0, 1, 0]), echo6('2001:db8:1::2', '2001:db8:1::1', 1, 1, data(8))))),
  },
  {
    what: 'a skippable destination option (00xxxxxx): the echo is answered',
    frame: e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 60 }, concat(optHdr(58, [0x1e, 2, 0, 0, 1, 0]), echo6('2001:db8:1::2', '2001:db8:1::1', 1, 1, data(8))))),
  },
  {
    what: 'a type 0 routing header with segments left (RFC 5095: parameter problem at the type)',
    frame: e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 43 }, concat(Uint8Array.of(58, 2, 0, 1, 0, 0, 0, 0), new Uint8Array(16), echo6('2001:db8:1::2', '2001:db8:1::1', 1, 1, data(8))))),
  },
  {
    what: 'a routing header with no segments left (skipped)',
    frame: e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 43 }, concat(Uint8Array.of(58, 0, 0, 0, 0, 0, 0, 0), echo6('2001:db8:1::2', '2001:db8:1::1', 1, 1, data(8))))),
  },
  {
    // ipv6_srh_rcv / ipv6_rpl_srh_rcv drop before looking at segments left while seg6_enabled /
    // rpl_seg_enabled are 0 (the defaults): no echo reply
    what: 'a segment routing header (type 4) with no segments left is dropped (seg6_enabled 0)',
    frame: e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 43 }, concat(Uint8Array.of(58, 2, 4, 0, 0, 0, 0, 0), new Uint8Array(16), echo6('2001:db8:1::2', '2001:db8:1::1', 1, 2, data(8))))),
  },
  {
    what: 'an RPL source routing header (type 3) with no segments left is dropped (rpl_seg_enabled 0)',
    frame: e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 43 }, concat(Uint8Array.of(58, 0, 3, 0, 0, 0, 0, 0), echo6('2001:db8:1::2', '2001:db8:1::1', 1, 3, data(8))))),
  },
  ...fragments4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 1, id: 0x7001 }, echo4(0x77, 1, data(2972))), 1500).map((f, i) => ({
    what: `an echo request of 3000 bytes in 3 fragments: fragment ${i + 1} (the reply, 3 fragments, after the last)`,
    frame: e4(f),
  })),
  ...fragments6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 58 }, echo6('2001:db8:1::2', '2001:db8:1::1', 0x66, 1, data(2900))), 1500, 0xabcd).map((f, i) => ({
    what: `an ICMPv6 echo request of 2948 bytes in 3 fragments: fragment ${i + 1} (the reply fragmented after the last)`,
    frame: e6(f),
  })),
  {
    what: 'an atomic fragment (RFC 6946: offset 0, M 0) is answered as a datagram',
    frame: e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 44 }, concat(Uint8Array.of(58, 0, 0, 0, 0, 0, 0, 9), echo6('2001:db8:1::2', '2001:db8:1::1', 5, 5, data(8))))),
  },
  {
    what: 'hop-by-hop after another header (unknown next header 0)',
    frame: e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 60 }, concat(optHdr(0, [1, 4, 0, 0, 0, 0]), optHdr(58, [1, 4, 0, 0, 0, 0]), echo6('2001:db8:1::2', '2001:db8:1::1', 1, 1, data(8))))),
  },
  // Path MTU: "fragmentation needed" (MTU 1300) quoting an echo reply of ours, then a 1400-byte echo:
  // its reply is fragmented at 1300. The same with ICMPv6 packet too big.
  {
    what: 'fragmentation needed, MTU 1300, about our echo reply (learned)',
    frame: e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 1 }, icmp4(3, 4, [0, 0, 0x05, 0x14], ipv4({ src: '192.0.2.1', dst: '192.0.2.2', proto: 1 }, icmp4(0, 0, [0, 1, 0, 1]))))),
  },
  { what: 'an echo request of 1400 bytes after it (the reply fragmented at 1300)', frame: e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 1 }, echo4(0x78, 2, data(1372)))) },
  {
    what: 'packet too big, MTU 1300, about our ICMPv6 echo reply (learned)',
    frame: e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 58 }, icmp6('2001:db8:1::2', '2001:db8:1::1', 2, 0, [0, 0, 0x05, 0x14], ipv6({ src: '2001:db8:1::1', dst: '2001:db8:1::2', nh: 58 }, icmp6('2001:db8:1::1', '2001:db8:1::2', 129, 0, [0, 1, 0, 1], data(32)))))),
  },
  { what: 'an ICMPv6 echo request of 1400 bytes after it (the reply fragmented at 1300)', frame: e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 58 }, echo6('2001:db8:1::2', '2001:db8:1::1', 0x67, 2, data(1352)))) },
  // An MTU under IPv6's minimum is discarded, not clamped to 1280 (Linux ≥ 5.15): a 1290-byte reply still leaves whole.
  {
    what: 'packet too big, MTU 1000, about our ICMPv6 echo reply (under 1280: discarded)',
    frame: e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 58 }, icmp6('2001:db8:1::2', '2001:db8:1::1', 2, 0, [0, 0, 0x03, 0xe8], ipv6({ src: '2001:db8:1::1', dst: '2001:db8:1::2', nh: 58 }, icmp6('2001:db8:1::1', '2001:db8:1::2', 129, 0, [0, 1, 0, 1], data(32)))))),
  },
  { what: 'an ICMPv6 echo request of 1290 bytes after it (its reply whole at the learned 1300)', frame: e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 58 }, echo6('2001:db8:1::2', '2001:db8:1::1', 0x68, 3, data(1242)))) },
];

describe.skipIf(unready !== '')('local ICMP against the kernel', () => {
  let k: KernelRouter | undefined;
  const SYSCTLS = { 'net.ipv4.icmp_ratelimit': 0, 'net.ipv6.icmp.ratelimit': 0 };
  beforeAll(() => {
    if (!noKernel) k = KernelRouter.create(LINKS, [], NEIGH, SYSCTLS);
  });
  afterAll(() => k?.close());

  it.skipIf(noKernel !== '')(`answers ${CASES.length} frames as the kernel does ${noKernel ? `(skipped: ${noKernel})` : ''}`, async () => {
    const fx = await Fixture.create(LINKS, [], NEIGH);
    fx.sysctl('ICMP_RATELIMIT', 0);
    fx.sysctl('ICMP6_RATELIMIT', 0);
    const kern = k!.send(CASES.map((c) => ['eth0', c.frame]));
    let before = fx.mib();
    CASES.forEach((c, i) => {
      const mask = c.mask ?? maskOwn;
      const ours = (fx.rx('eth0', c.frame).get('eth0') ?? []).map((f) => hex(mask(f)));
      const theirs = (kern[i]!.tx.get('eth0') ?? []).map((f) => hex(mask(f)));
      if (process.env.RX_DEBUG) console.log(c.what, ours.length, theirs.length, kern[i]!.drops, JSON.stringify(kern[i]!.counters));
      expect({ what: c.what, out: ours }).toEqual({ what: c.what, out: theirs });
      // the counters that moved, under the names both have (the ICMP error to us is the L4 demux's to count)
      const after = fx.mib();
      const moved = Object.fromEntries(Object.keys(after).filter((k) => after[k] !== before[k] && !k.startsWith('L4:')).map((k) => [k, after[k]! - before[k]!]));
      before = after;
      const names = Object.keys(after).filter((k) => /^(Ip|IpExt|Icmp|Ip6|Icmp6):/.test(k));
      if (!c.what.startsWith('an ICMP error to us')) expect({ what: c.what, counters: moved }).toEqual({ what: c.what, counters: kernelMib(kern[i]!.counters, names) });
    });
  });
});

describe.skipIf(unready !== '')('echo', () => {
  it('an echo reply swaps the addresses, keeps id, sequence, data and TOS, and carries TTL 64 without DF', async () => {
    const fx = await Fixture.create(LINKS, [], NEIGH);
    const payload = data(56, 3);
    const out = fx.rx('eth0', e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 1, tos: 0x2b, df: true, ttl: 9 }, echo4(0x1234, 0x0102, payload))));
    const [f] = out.get('eth0')!;
    const ip = f!.subarray(14);
    expect(hex(f!.subarray(0, 14))).toBe('020000000002' + '020000000001' + '0800');
    expect([ip[0], ip[1], field16(ip, 2), field16(ip, 6), ip[8], ip[9]]).toEqual([0x45, 0x2b, 20 + 8 + 56, 0, 64, 1]);
    expect(hex(ip.subarray(12, 20))).toBe('c0000201' + 'c0000202');
    expect(inetChecksum(ip.subarray(0, 20))).toBe(0); // the header checksum verifies
    const ic = ip.subarray(20);
    expect([ic[0], ic[1], field16(ic, 4), field16(ic, 6)]).toEqual([0, 0, 0x1234, 0x0102]);
    expect(hex(ic.subarray(8))).toBe(hex(payload));
    expect(inetChecksum(ic)).toBe(0);
    expect(fx.nonzero()).toEqual({
      'Ip:InReceives': 1, 'Ip:InDelivers': 1, 'Ip:OutRequests': 1, 'Icmp:InMsgs': 1, 'Icmp:InEchos': 1, 'Icmp:OutMsgs': 1, 'Icmp:OutEchoReps': 1,
    });
  });

  it('icmp_echo_ignore_all: echo requests are taken and not answered', async () => {
    const fx = await Fixture.create(LINKS, [], NEIGH);
    fx.sysctl('ICMP_ECHO_IGNORE_ALL', 1);
    expect(fx.rx('eth0', e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 1 }, echo4(1, 1, data(8))))).size).toBe(0);
    expect(fx.nonzero()).toEqual({ 'Ip:InReceives': 1, 'Ip:InDelivers': 1, 'Icmp:InMsgs': 1, 'Icmp:InEchos': 1 });
  });

  it('icmp_echo_ignore_broadcasts 0: an echo to the subnet broadcast is answered from the address of that subnet', async () => {
    const fx = await Fixture.create(LINKS, [], NEIGH);
    fx.sysctl('ICMP_ECHO_IGNORE_BROADCASTS', 0);
    const out = fx.rx('eth0', e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.255', proto: 1 }, echo4(1, 1, data(8))), 'ff:ff:ff:ff:ff:ff'));
    expect(hex(out.get('eth0')![0]!.subarray(14 + 12, 14 + 20))).toBe('c0000201' + 'c0000202');
  });

  it('a bad ICMP checksum: Icmp:InCsumErrors and InErrors, ICMP_CSUM', async () => {
    const fx = await Fixture.create(LINKS, [], NEIGH);
    const m = echo4(1, 1, data(8));
    m[2]! ^= 0xff;
    expect(fx.rx('eth0', e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 1 }, m))).size).toBe(0);
    expect(fx.nonzero()).toEqual({
      'Ip:InReceives': 1, 'Ip:InDelivers': 1, 'Icmp:InMsgs': 1, 'Icmp:InErrors': 1, 'Icmp:InCsumErrors': 1, 'drop:ICMP_CSUM': 1,
    });
  });

  it('ICMPv6 echo: the reply keeps the traffic class, takes the device hop limit and a checksum over the pseudo-header', async () => {
    const fx = await Fixture.create(LINKS, [], NEIGH);
    const out = fx.rx('eth0', e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 58, tc: 0x28, hlim: 3 }, echo6('2001:db8:1::2', '2001:db8:1::1', 3, 4, data(32)))));
    const f = out.get('eth0')![0]!;
    const ip = f.subarray(14);
    expect(hex(ip.subarray(0, 8))).toBe('62800000' + '0028' + '3a40');
    expect(hex(ip.subarray(8, 40))).toBe('20010db8000100000000000000000001' + '20010db8000100000000000000000002');
    const ic = ip.subarray(40);
    expect([ic[0], ic[1], field16(ic, 4), field16(ic, 6)]).toEqual([129, 0, 3, 4]);
    expect(hex(ic)).toBe(hex(icmp6('2001:db8:1::1', '2001:db8:1::2', 129, 0, [0, 3, 0, 4], data(32))));
  });
});

describe.skipIf(unready !== '')('rate limits on the stack clock', () => {
  const unknownProto = (src = '192.0.2.2'): Uint8Array => e4(ipv4({ src, dst: '192.0.2.1', proto: 253 }, data(8)));
  const errorsOut = (fx: Fixture, n: number, frame = unknownProto()): number => {
    let sent = 0;
    for (let i = 0; i < n; i++) sent += fx.rx('eth0', frame).get('eth0')?.length ?? 0;
    return sent;
  };

  it('per destination (icmp_ratelimit 1000 ms): a burst of 6 (XRLIM_BURST_FACTOR), then one a second', async () => {
    const fx = await Fixture.create(LINKS, [], NEIGH);
    expect(errorsOut(fx, 10)).toBe(6);
    expect(fx.mib()['Icmp:OutRateLimitHost']).toBe(4);
    fx.advance(999);
    expect(errorsOut(fx, 1)).toBe(0);
    fx.advance(1);
    expect(errorsOut(fx, 2)).toBe(1);
    fx.advance(3000);
    expect(errorsOut(fx, 5)).toBe(3);
    expect(fx.mib()['Icmp:OutRateLimitHost']).toBe(4 + 1 + 1 + 2);
    expect(fx.mib()['Icmp:OutDestUnreachs']).toBe(10);
  });

  it('another destination has a bucket of its own', async () => {
    const fx = await Fixture.create(LINKS, [], [...NEIGH, { dev: 'eth0', addr: '192.0.2.3', mac: H_MAC }]);
    expect(errorsOut(fx, 8)).toBe(6);
    expect(errorsOut(fx, 8, unknownProto('192.0.2.3'))).toBe(6);
  });

  it('icmp_ratelimit 0 and icmp_ratemask 0 turn the per-destination limit off', async () => {
    const fx = await Fixture.create(LINKS, [], NEIGH);
    fx.sysctl('ICMP_RATELIMIT', 0);
    expect(errorsOut(fx, 20)).toBe(20);
    const fx2 = await Fixture.create(LINKS, [], NEIGH);
    fx2.sysctl('ICMP_RATEMASK', 0);
    expect(errorsOut(fx2, 20)).toBe(20);
    expect(fx2.mib()['Icmp:OutRateLimitHost']).toBe(0);
  });

  it('global (icmp_msgs_burst 5): 0-2 tokens a message, refilled at icmp_msgs_per_sec no sooner than 20 ms apart', async () => {
    const fx = await Fixture.create(LINKS, [], NEIGH);
    fx.sysctl('ICMP_RATELIMIT', 0);
    fx.sysctl('ICMP_MSGS_BURST', 5);
    // icmp_global_consume's draws come from xorshift32 seeded 0x9e3779b9, scaled to 0..2 as
    // get_random_u32_below(3) scales: (x * 3) >> 32.
    let x = 0x9e3779b9;
    const draw = (): number => {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      return Number((BigInt(x) * 3n) >> 32n);
    };
    let credit = 5; // the first message finds the bucket full
    let expected = 0;
    while (credit > 0) {
      credit -= draw();
      expected++;
    }
    expect(errorsOut(fx, expected + 5)).toBe(expected);
    expect(fx.mib()['Icmp:OutRateLimitGlobal']).toBe(5);
    fx.advance(19);
    expect(errorsOut(fx, 1)).toBe(0);
    fx.advance(1);
    // 20 ms at 1000/s earn 20 tokens, capped at the burst: min(credit + 20, 5)
    credit = Math.min(credit + 20, 5);
    let more = 0;
    while (credit > 0) {
      credit -= draw();
      more++;
    }
    expect(errorsOut(fx, more + 3)).toBe(more);
  });

  it('fragmentation needed is never limited', async () => {
    const fx = await Fixture.create(
      [...LINKS.map((l) => ({ ...l, forwarding: true })), { name: 'eth1', mac: '02:00:00:00:00:11', mtu: 1280, forwarding: true, v4: ['198.51.100.1/24'] }],
      [],
      [...NEIGH, { dev: 'eth1', addr: '198.51.100.2', mac: H_MAC }],
    );
    const big = e4(ipv4({ src: '192.0.2.2', dst: '198.51.100.2', proto: 17, df: true }, data(1400)));
    expect(errorsOut(fx, 20, big)).toBe(20);
  });

  it('ip_error: 5 s of burst at 1 s a message per source, on top of the ICMP limit', async () => {
    const fx = await Fixture.create(LINKS.map((l) => ({ ...l, forwarding: true })), [], NEIGH);
    fx.sysctl('ICMP_RATELIMIT', 0);
    const noRoute = e4(ipv4({ src: '192.0.2.2', dst: '203.0.113.1', proto: 17 }, data(8)));
    expect(errorsOut(fx, 8, noRoute)).toBe(5);
    fx.advance(1000);
    expect(errorsOut(fx, 3, noRoute)).toBe(1);
    expect(fx.mib()['IpExt:InNoRoutes']).toBe(11);
  });

  it('ICMPv6 per destination: net.ipv6.icmp.ratelimit (100 ms) halved for every 32 bits the route is shorter than /128 (a /64: 25 ms)', async () => {
    const fx = await Fixture.create(LINKS, [], NEIGH);
    const frame = e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 253 }, data(8)));
    expect(errorsOut(fx, 8, frame)).toBe(6);
    expect(fx.mib()['Icmp6:OutRateLimitHost']).toBe(2);
    fx.advance(24);
    expect(errorsOut(fx, 1, frame)).toBe(0);
    fx.advance(1);
    expect(errorsOut(fx, 1, frame)).toBe(1);
    // a /128 route back: the whole 100 ms
    fx.ip('route add 2001:db8:1::2/128 dev eth0');
    fx.advance(1000);
    expect(errorsOut(fx, 8, frame)).toBe(6);
    fx.advance(99);
    expect(errorsOut(fx, 1, frame)).toBe(0);
    fx.advance(1);
    expect(errorsOut(fx, 1, frame)).toBe(1);
  });
});

describe.skipIf(unready !== '')('icmp_send', () => {
  it('icmp_errors_use_inbound_ifaddr: a forwarded datagram\'s error comes from the inbound device\'s address', async () => {
    const links: LinkCfg[] = [
      { name: 'eth0', mac: R_MAC, forwarding: true, v4: ['192.0.2.1/24'] },
      { name: 'eth1', mac: '02:00:00:00:00:11', forwarding: true, v4: ['198.51.100.1/24'] },
    ];
    // The route back to the sender leaves by eth1: the default choice is eth1's address.
    const routes = [{ dst: '203.0.113.0/24', via: '198.51.100.2', dev: 'eth1' }];
    const neigh = [...NEIGH, { dev: 'eth1', addr: '198.51.100.2', mac: H_MAC }];
    const frame = e4(ipv4({ src: '203.0.113.7', dst: '198.51.100.9', proto: 17, ttl: 1 }, data(8)));
    const fx = await Fixture.create(links, routes, neigh);
    expect(hex(fx.rx('eth0', frame).get('eth1')![0]!.subarray(14 + 12, 14 + 16))).toBe('c6336401');
    const fx2 = await Fixture.create(links, routes, neigh);
    fx2.sysctl('ICMP_ERRORS_USE_INBOUND_IFADDR', 1);
    expect(hex(fx2.rx('eth0', frame).get('eth1')![0]!.subarray(14 + 12, 14 + 16))).toBe('c0000201');
  });

  it('no frame left in the pool for the error: NOMEM, nothing sent', async () => {
    // 256 frames fill eth0's fill ring; 3 more are left in the pool, and the errors sent wait on the TX
    // ring (unread), so the fourth finds the pool empty.
    const fx = await Fixture.create(LINKS, [], NEIGH, { umemFrames: 256 + 3 });
    fx.sysctl('ICMP_RATELIMIT', 0);
    const d = fx.devs.get('eth0')!;
    for (let i = 0; i < 5; i++) {
      d.inject(e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 253 }, data(8))));
      d.poll();
    }
    expect(d.readTx().length).toBe(3);
    expect(fx.drops().NOMEM).toBe(2);
    expect(fx.mib()['Icmp:OutMsgs']).toBe(3);
  });
});
