// When the kernel checks a received datagram's checksum, against a namespace (wx-udplate-…, udp_kernel.py) and wxdp.
// udp4_csum_init / udp6_csum_init check it on arrival only for a datagram of CHECKSUM_BREAK (76) bytes or fewer
// (skb_checksum_init_zero_check on a CHECKSUM_NONE skb, as a veth delivers) and never for a UDP-Lite datagram of
// partial coverage (udplite_checksum_init then only sets cscov); otherwise udp_recvmsg finds it wrong when a socket
// reads it (udp_lib_checksum_complete: InCsumErrors and InErrors, per socket that got a copy), and a broadcast or
// multicast no socket takes is counted Udp:IgnoredMulti, its checksum never looked at. A unicast one to no socket is
// checked before the port unreachable. Found by udp_fuzz_kernel's UDP-Lite datagrams (fz57: seeds 2401, 2403, a
// broadcast of coverage 8 or 12 with a wrong checksum: the kernel IgnoredMulti, wxdp InCsumErrors); the full-coverage
// cases are the same rule at CHECKSUM_BREAK. Also: /proc/net/snmp6 has no UdpLite6IgnoredMulti (snmp6_udplite6_list),
// so wxdp's MIB names leave it out (seed 2403: a looped-back UDP-Lite multicast nobody read).

import { describe, expect, it } from 'vitest';
import { ipv4, ipv6 } from '../net/support.js';
import { be16 } from './support.js';
import { e4, e6, makeWxdp, payload, pick, udpFixture, udpKernelHost, wxdpFrame, type Sock } from './udp_kernel_support.js';
import { ipv4Bytes, ipv6Bytes } from '../../src/control/addresses.js';
import { inetChecksum } from '../net/support.js';

const { runKernel, skip } = await udpKernelHost('udplate');
if (skip) it.skip(skip, () => {});

/** A UDP (17) or UDP-Lite (136) datagram from the probe, its length field `field` (UDP-Lite: the coverage), checksum `how`. */
function dgram(proto: 17 | 136, dst: string, dport: number, n: number, field: number, how: 'right' | 'wrong'): Uint8Array {
  const v6 = dst.includes(':');
  const src = v6 ? '2001:db8:1::2' : '192.0.2.2';
  const u = Uint8Array.from([...be16(40000), ...be16(dport), ...be16(field), 0, 0, ...payload(n, n)]);
  const len = u.length;
  const ph = v6 ? Uint8Array.from([...ipv6Bytes(src), ...ipv6Bytes(dst), 0, 0, ...be16(len), 0, 0, 0, proto]) : Uint8Array.from([...ipv4Bytes(src), ...ipv4Bytes(dst), 0, proto, ...be16(len)]);
  const cov = proto === 136 && field !== 0 ? field : len;
  const c = (inetChecksum(ph, u.subarray(0, cov)) || 0xffff) ^ (how === 'wrong' ? 0x0101 : 0);
  u.set(be16(c), 6);
  const f = v6 ? e6(ipv6({ src, dst, nh: proto }, u)) : e4(ipv4({ src, dst, proto, id: 0x5700 + n }, u));
  if (dst === '192.0.2.255') f.fill(0xff, 0, 6);
  if (dst === 'ff02::1') f.set([0x33, 0x33, 0, 0, 0, 1], 0);
  return f;
}

const CASES: Array<{ name: string; sockets: Sock[]; frame: Uint8Array; counters: Record<string, number>; got?: number }> = [
  {
    name: 'a UDP-Lite broadcast of partial coverage with a wrong checksum and no socket is IgnoredMulti',
    sockets: [{ family: 4, lite: true, bind: ['0.0.0.0', 7571] }],
    frame: dgram(136, '192.0.2.255', 7570, 12, 8, 'wrong'),
    counters: { 'UdpLite:IgnoredMulti': 1 },
  },
  {
    name: 'a UDP-Lite broadcast of partial coverage with a wrong checksum is an error when its socket reads it',
    sockets: [{ family: 4, lite: true, bind: ['0.0.0.0', 7570] }],
    frame: dgram(136, '192.0.2.255', 7570, 12, 12, 'wrong'),
    counters: { 'UdpLite:InCsumErrors': 1, 'UdpLite:InErrors': 1 },
  },
  {
    name: 'a UDP-Lite unicast of partial coverage with a wrong checksum to no socket is a checksum error, not NoPorts',
    sockets: [],
    frame: dgram(136, '192.0.2.1', 7570, 12, 8, 'wrong'),
    counters: { 'UdpLite:InCsumErrors': 1, 'UdpLite:InErrors': 1 },
  },
  {
    name: 'a UDP broadcast of 108 bytes with a wrong checksum and no socket is IgnoredMulti (past CHECKSUM_BREAK)',
    sockets: [{ family: 4, bind: ['0.0.0.0', 7571] }],
    frame: dgram(17, '192.0.2.255', 7570, 100, 108, 'wrong'),
    counters: { 'Udp:IgnoredMulti': 1 },
  },
  {
    name: 'a UDP broadcast of 20 bytes with a wrong checksum is a checksum error on arrival (within CHECKSUM_BREAK)',
    sockets: [{ family: 4, bind: ['0.0.0.0', 7571] }],
    frame: dgram(17, '192.0.2.255', 7570, 12, 20, 'wrong'),
    counters: { 'Udp:InCsumErrors': 1, 'Udp:InErrors': 1 },
  },
  {
    name: 'a UDP broadcast of 108 bytes with a wrong checksum to two sockets is two checksum errors, one per reader',
    sockets: [{ family: 4, reuseaddr: true, bind: ['0.0.0.0', 7570] }, { family: 4, reuseaddr: true, bind: ['192.0.2.255', 7570] }],
    frame: dgram(17, '192.0.2.255', 7570, 100, 108, 'wrong'),
    counters: { 'Udp:InCsumErrors': 2, 'Udp:InErrors': 2 },
  },
  {
    name: 'an IPv6 multicast of 108 bytes with a wrong checksum and no socket is Udp6:IgnoredMulti',
    sockets: [{ family: 6, bind: ['::', 7571] }],
    frame: dgram(17, 'ff02::1', 7570, 100, 108, 'wrong'),
    counters: { 'Udp6:IgnoredMulti': 1 },
  },
  {
    name: 'an IPv6 UDP-Lite datagram of partial coverage with a wrong checksum to its socket is an error when read',
    sockets: [{ family: 6, lite: true, bind: ['::', 7570] }],
    frame: dgram(136, '2001:db8:1::1', 7570, 40, 16, 'wrong'),
    counters: { 'UdpLite6:InCsumErrors': 1, 'UdpLite6:InErrors': 1 },
  },
  {
    name: 'an IPv6 UDP-Lite datagram of partial coverage with a right checksum is read',
    sockets: [{ family: 6, lite: true, bind: ['::', 7570] }],
    frame: dgram(136, '2001:db8:1::1', 7570, 40, 16, 'right'),
    counters: { 'UdpLite6:InDatagrams': 1 },
    got: 1,
  },
];

describe.skipIf(skip !== '')('a datagram\'s checksum, checked on arrival or when read: the kernel and wxdp', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const k = runKernel(c.sockets, [c.frame]);
    const kr = k.results[0]!;
    expect(pick(kr.counters), 'kernel').toEqual(c.counters);
    expect(kr.got.length, 'kernel').toBe(c.got ?? 0);
    const fx = await udpFixture();
    const t = fx.dp.socketTable;
    const w = makeWxdp(t, fx, c.sockets);
    const wr = wxdpFrame(fx, t, w.ids, c.frame);
    expect(pick(wr.counters), 'wxdp').toEqual(c.counters);
    expect(wr.got).toEqual(kr.got);
    expect(wr.tx).toEqual(kr.tx);
  });
});
