// wxdp's sockets against the kernel's. In a namespace pair this file creates (wx-udprx-…: a host H
// with the addresses and neighbours of the wxdp fixture, a probe P on the other end of a veth), the
// same socket set is made with Python sockets in H and with wxdp's SocketTable, and compared:
//   - bind / connect errors, case by case (EADDRINUSE, EADDRNOTAVAIL, EINVAL, or none);
//   - for each datagram sent from P (AF_PACKET), which socket receives it (and with what source), or
//     the frame H answers with — ICMP / ICMPv6 port unreachable, TCP resets — byte for byte, masked
//     only where the kernel randomises: an IPv4 header's ID and checksum of its own ICMP (ICMP's socket
//     is IP_PMTUDISC_DONT, so ip_select_ident hashes a secret), an IPv6 flow label (auto flow labels
//     hash a secret) — tests/net/kernel.ts maskOwn;
//   - the UDP, TCP and ICMP error counters each datagram moves (Udp:InDatagrams counted when read,
//     as udp_recvmsg does, on both sides);
//   - reuseport groups: every datagram reaches a member, a flow always the same member, and every member
//     gets some of 64 flows (the kernel's hash secret is random, so not which member).
// One more mask, for a capture artifact rather than randomness: tcp_v6_send_response leaves the reset's
// TCP checksum to offload (__tcp_v6_send_check: CHECKSUM_PARTIAL), so the frame read off the veth holds
// the pseudo-header sum there; wxdp's is checked to verify instead (RFC 9293 3.1).
// ICMP rate limits are off on both sides (net.ipv4.icmp_ratelimit, net.ipv6.icmp.ratelimit 0): the
// kernel's clock runs while sending, wxdp's does not.

import { describe, expect, it } from 'vitest';
import { concat, hex, icmp4, icmp6, inetChecksum, ipv4, ipv6, udp4 } from '../net/support.js';
import { be16 } from './support.js';
import { udpFixture, e4, e6, isTcp6, makeWxdp, mask, payload, pick, tcp6Verifies, u4, u6, udpKernelHost, wxdpFrame, wxdpSend, type KernelOut, type Send, type Sock } from './udp_kernel_support.js';
import { ipv6Bytes } from '../../src/control/addresses.js';
import { SocketError, errnoName, type SocketOption } from '../../src/control/sockets.js';

const { kernel, runKernel, runKernelCases, skip: skipReason } = await udpKernelHost('udprx');
const skip = skipReason !== '';
if (skipReason) it.skip(skipReason, () => {});

const names = (calls: Array<[number, number, number]>): string[][] => calls.map(([b, c]) => [b ? errnoName(b) : 'ok', c ? errnoName(c) : 'ok']);

/**
 * `sends` from `socks` on both sides, compared send by send: the errno, the frames on eth0, what the
 * sockets read and the counters. `notVacuous` checks first that the kernel's answers say something.
 */
async function sendsAgree(socks: Sock[], sends: Send[], notVacuous: (k: KernelOut) => void, more: string[] = [], nft?: string): Promise<void> {
  const k = runKernel(socks, [], sends);
  const fx = await udpFixture();
  if (nft) fx.dp.nft(nft);
  const t = fx.dp.socketTable;
  const w = makeWxdp(t, fx, socks);
  expect(names(w.calls)).toEqual(names(k.calls));
  notVacuous(k);
  sends.forEach((sd, n) => {
    const kr = k.sent[n]!;
    const wr = wxdpSend(fx, t, w.ids, sd);
    const what = `send ${n}: #${sd[0]} to ${sd[1] ?? 'its peer'}:${sd[2]}`;
    expect(wr.err, what).toBe(kr.err);
    expect(wr.tx, what).toEqual(kr.tx.map((h) => hex(mask(Uint8Array.from(Buffer.from(h, 'hex'))))));
    expect(wr.got, what).toEqual(kr.got);
    expect(pick(wr.counters), what).toEqual(pick(kr.counters));
    for (const c of more) expect(wr.counters[c] ?? 0, `${what}: ${c}`).toBe(kr.counters[c] ?? 0);
  });
}

function tcp4(dport: number, flags: number, seq: number, ack: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const s = [seq >>> 24, (seq >> 16) & 255, (seq >> 8) & 255, seq & 255];
  const a = [ack >>> 24, (ack >> 16) & 255, (ack >> 8) & 255, ack & 255];
  const t = concat(Uint8Array.from([0x9c, 0x41, ...be16(dport), ...s, ...a, 0x50, flags, 0x72, 0x10, 0, 0, 0, 0]), data);
  const c = inetChecksum(Uint8Array.from([192, 0, 2, 2, 192, 0, 2, 1, 0, 6, ...be16(t.length)]), t);
  t[16] = c >> 8;
  t[17] = c & 0xff;
  return e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 6, tos: 0x2b, df: true }, t));
}
function tcp6(dport: number, flags: number, seq: number, ack: number): Uint8Array {
  const src = '2001:db8:1::2';
  const dst = '2001:db8:1::1';
  const s = [seq >>> 24, (seq >> 16) & 255, (seq >> 8) & 255, seq & 255];
  const a = [ack >>> 24, (ack >> 16) & 255, (ack >> 8) & 255, ack & 255];
  const t = Uint8Array.from([0x9c, 0x41, ...be16(dport), ...s, ...a, 0x50, flags, 0x72, 0x10, 0, 0, 0, 0]);
  const c = inetChecksum(Uint8Array.from([...ipv6Bytes(src), ...ipv6Bytes(dst), 0, 0, 0, 20, 0, 0, 0, 6]), t);
  t[16] = c >> 8;
  t[17] = c & 0xff;
  return e6(ipv6({ src, dst, nh: 6, tc: 0x2b }, t));
}

describe.skipIf(skip)('bind and connect errors, case by case, against the kernel', () => {
  // Each case binds its sockets in order on a port of its own (the kernel's sockets all live in one
  // process; wxdp's in one table).
  const CASES: Array<[string, Sock[]]> = [
    ['the same wildcard twice', [{ family: 4, bind: ['0.0.0.0', 9001] }, { family: 4, bind: ['0.0.0.0', 9001] }]],
    ['SO_REUSEADDR on both', [{ family: 4, reuseaddr: true, bind: ['0.0.0.0', 9002] }, { family: 4, reuseaddr: true, bind: ['0.0.0.0', 9002] }]],
    ['SO_REUSEADDR on one only', [{ family: 4, reuseaddr: true, bind: ['192.0.2.1', 9003] }, { family: 4, bind: ['0.0.0.0', 9003] }]],
    ['two addresses, one port', [{ family: 4, bind: ['192.0.2.1', 9004] }, { family: 4, bind: ['198.51.100.1', 9004] }]],
    ['IPv4 address, then dual-stack ::', [{ family: 4, bind: ['192.0.2.1', 9005] }, { family: 6, bind: ['::', 9005] }]],
    ['IPv4 address, then IPV6_V6ONLY ::', [{ family: 4, bind: ['192.0.2.1', 9006] }, { family: 6, v6only: true, bind: ['::', 9006] }]],
    ['dual-stack ::, then 0.0.0.0', [{ family: 6, bind: ['::', 9007] }, { family: 4, bind: ['0.0.0.0', 9007] }]],
    ['IPV6_V6ONLY ::, then 0.0.0.0', [{ family: 6, v6only: true, bind: ['::', 9008] }, { family: 4, bind: ['0.0.0.0', 9008] }]],
    ['a native IPv6 address, then 0.0.0.0', [{ family: 6, bind: ['2001:db8:1::1', 9009] }, { family: 4, bind: ['0.0.0.0', 9009] }]],
    ['v4-mapped on an IPV6_V6ONLY socket', [{ family: 6, v6only: true, bind: ['::ffff:192.0.2.1', 9010] }]],
    ['addresses we do not have', [{ family: 4, bind: ['203.0.113.5', 9011] }, { family: 6, bind: ['2001:db8:9::1', 9011] }, { family: 6, bind: ['::ffff:203.0.113.5', 9011] }]],
    ['SO_REUSEPORT on both, then one without', [
      { family: 4, reuseport: true, bind: ['192.0.2.1', 9012] }, { family: 4, reuseport: true, bind: ['192.0.2.1', 9012] }, { family: 4, bind: ['192.0.2.1', 9012] },
    ]],
    ['SO_REUSEPORT, then a wildcard with it', [{ family: 4, reuseport: true, bind: ['192.0.2.1', 9013] }, { family: 4, reuseport: true, bind: ['0.0.0.0', 9013] }]],
    ['bound devices', [
      { family: 4, dev: 'eth0', bind: ['0.0.0.0', 9014] }, { family: 4, dev: 'lo', bind: ['0.0.0.0', 9014] }, { family: 4, bind: ['0.0.0.0', 9014] },
    ]],
    ['a link-local address without a scope', [{ family: 6, bind: ['fe80::1', 9015] }]],
    ['the subnet broadcast and a multicast group', [{ family: 4, bind: ['192.0.2.255', 9016] }, { family: 4, bind: ['224.0.0.1', 9016] }]],
    ['::ffff:192.0.2.1, then 192.0.2.1', [{ family: 6, bind: ['::ffff:192.0.2.1', 9017] }, { family: 4, bind: ['192.0.2.1', 9017] }]],
    ['SO_REUSEADDR across families', [{ family: 4, reuseaddr: true, bind: ['0.0.0.0', 9018] }, { family: 6, reuseaddr: true, bind: ['::', 9018] }]],
    ['SO_REUSEPORT IPV6_V6ONLY and dual-stack ::', [{ family: 6, reuseport: true, v6only: true, bind: ['::', 9019] }, { family: 6, reuseport: true, bind: ['::', 9019] }]],
    ['connect: unreachable, and broadcast without SO_BROADCAST', [
      { family: 4, connect: ['203.0.113.9', 53] }, { family: 4, connect: ['192.0.2.255', 53] }, { family: 4, connect: ['192.0.2.2', 53] },
      { family: 6, connect: ['2001:db8:9::9', 53] }, { family: 6, v6only: true, connect: ['::ffff:192.0.2.2', 53] },
    ]],
    // ip6_route_output_flags_noref: RT6_LOOKUP_F_IFACE for a socket bound to a device, with or without
    // a source — the peer's route through eth0 is no route for a socket bound to lo
    ['connect from a socket bound to a device and an address', [
      { family: 6, dev: 'lo', bind: ['2001:db8:1::1', 9020], connect: ['2001:db8:1::2', 53] },
      { family: 6, dev: 'lo', connect: ['2001:db8:1::2', 53] },
      { family: 6, dev: 'eth0', bind: ['2001:db8:1::1', 9021], connect: ['2001:db8:1::2', 53] },
      { family: 4, dev: 'lo', bind: ['192.0.2.1', 9022], connect: ['192.0.2.2', 53] },
    ]],
    // found by udp_fuzz_kernel: ip6_dst_lookup_tail's EAFNOSUPPORT for a v4-mapped source to a native
    // peer (after the route: an unreachable peer stays ENETUNREACH); __mkroute_output's EINVAL for a
    // loopback source leaving through another device (before the broadcast check's EACCES);
    // ipv6_chk_addr's device rule for host- and link-scope addresses (::1 only on lo)
    ['connect from v4-mapped and loopback sources, bind ::1 on a device', [
      { family: 6, bind: ['::ffff:192.0.2.1', 9023], connect: ['2001:db8:1::2', 53] },
      { family: 6, bind: ['::ffff:198.51.100.1', 9024], connect: ['::1', 53] },
      { family: 6, bind: ['::ffff:192.0.2.1', 9025], connect: ['2001:db8:9::9', 53] },
      { family: 4, bind: ['127.0.0.1', 9026], connect: ['192.0.2.2', 53] },
      { family: 4, bind: ['127.0.0.1', 9027], connect: ['192.0.2.255', 53] },
      { family: 4, bind: ['127.0.0.1', 9028], connect: ['127.0.0.1', 53] },
      { family: 6, dev: 'eth0', bind: ['::1', 9029] },
      { family: 6, dev: 'lo', bind: ['::1', 9029] },
      { family: 4, dev: 'eth0', bind: ['127.0.0.1', 9030] },
    ]],
  ];

  // the kernel's side of every case in one udp_kernel.py (each case's sockets closed before the next's)
  let kernelOuts: KernelOut[] | undefined;
  it.each(CASES)('%s', async (_name, sockets) => {
    kernelOuts ??= runKernelCases(CASES.map(([, socks]) => ({ sockets: socks })));
    const k = kernelOuts[CASES.findIndex(([, socks]) => socks === sockets)]!;
    const fx = await udpFixture();
    const w = makeWxdp(fx.dp.socketTable, fx, sockets);
    expect(names(w.calls)).toEqual(names(k.calls));
  });

  it('port 0: an ephemeral port from ip_local_port_range (32768-60999) on both, and autobind on connect', async () => {
    const socks: Sock[] = [{ family: 4, bind: ['0.0.0.0', 0] }, { family: 6, bind: ['::', 0] }, { family: 4, connect: ['192.0.2.2', 9] }];
    const k = runKernel(socks);
    const fx = await udpFixture();
    const w = makeWxdp(fx.dp.socketTable, fx, socks);
    for (const calls of [k.calls, w.calls]) {
      for (const [b, c, port] of calls) {
        expect([b, c]).toEqual([0, 0]);
        expect(port).toBeGreaterThanOrEqual(32768);
        expect(port).toBeLessThanOrEqual(60999);
      }
    }
  });
});

describe.skipIf(skip)('sends against the kernel: errno, frames and readers', () => {
  // found by udp_fuzz_kernel's sends: ip_route_output_key_hash_rcu takes a
  // multicast or limited-broadcast destination with a source and no device out of the source's device
  // without a FIB lookup (H has no route to 224/4 or 255.255.255.255: wxdp answered ENETUNREACH), so the
  // broadcast is refused for SO_BROADCAST (EACCES) and allowed with it; ip6_dst_lookup_tail's EAFNOSUPPORT
  // for a v4-mapped source to a native peer; __mkroute_output's EINVAL for a loopback source leaving
  // through eth0; a datagram this host sends itself reaches the socket its route's device names — IPv4
  // inet_iif (rt_iif: the sender's bound device), IPv6 ip6_rcv_core's iif (the local address's device)
  // — not lo's. Fixed ports (each socket bound), so the frames compare whole.
  const socks: Sock[] = [
    { family: 4, bind: ['192.0.2.1', 7400] },
    { family: 4, broadcast: true, bind: ['192.0.2.1', 7401] },
    { family: 6, bind: ['::ffff:192.0.2.1', 7402] },
    { family: 4, bind: ['127.0.0.1', 7403] },
    { family: 4, bind: ['0.0.0.0', 7404] },
    { family: 4, dev: 'eth0', bind: ['0.0.0.0', 7405] },
    { family: 4, dev: 'lo', bind: ['0.0.0.0', 7406] },
    { family: 6, dev: 'eth0', bind: ['::', 7407] },
    { family: 6, dev: 'lo', bind: ['::', 7408] },
    { family: 6, bind: ['::', 7409] },
  ];
  const hexOf = (n: number): string => hex(payload(n, n));
  const sends: Send[] = [
    [0, '224.0.0.1', 7404, hexOf(12)], [0, '255.255.255.255', 7404, hexOf(13)], [1, '255.255.255.255', 7404, hexOf(14)],
    [2, '2001:db8:1::2', 53, hexOf(15)], [2, '::ffff:192.0.2.2', 53, hexOf(16)], [3, '192.0.2.2', 53, hexOf(17)], [4, '224.0.0.1', 7404, hexOf(18)],
    [5, '192.0.2.1', 7405, hexOf(19)], [6, '192.0.2.1', 7406, hexOf(20)], [4, '192.0.2.1', 7405, hexOf(21)], [4, '127.0.0.1', 7406, hexOf(22)],
    [7, '2001:db8:1::1', 7407, hexOf(23)], [8, '2001:db8:1::1', 7408, hexOf(24)], [9, '2001:db8:1::1', 7407, hexOf(25)], [9, '::1', 7408, hexOf(26)],
  ];

  it('each send: the same errno, the same frames on eth0 and the same datagrams read on this host', async () => {
    await sendsAgree(socks, sends, (k) => {
      // not vacuous: the kernel refused some and sent some
      const errs = new Set(k.sent.map((r) => r.err));
      for (const e of ['', 'EACCES', 'EAFNOSUPPORT', 'EINVAL', 'ENETUNREACH']) expect(errs.has(e), e).toBe(true);
      // ... and delivered some of its own datagrams to the sockets their route's device names
      expect(k.sent.filter((r) => r.got.length > 0).length).toBeGreaterThanOrEqual(2);
    });
  });
});

describe.skipIf(skip)('sends whose source or device is the host itself: the source inet_saddr names, the route lo gives', () => {
  // found by udp_fuzz_kernel (seeds 100-119), one `it` per rule. Fixed ports (each socket bound), so the
  // frames compare whole.
  const hexOf = (n: number): string => hex(payload(n, n));

  it('an IPv6 socket connected to a native peer sends to a v4-mapped one from the IPv4 route\'s source', async () => {
    // its IPv4 source is inet_saddr, which only __inet6_bind (the bound address's IPv4 view) and a
    // v4-mapped connect set: a native connect fills np->saddr and leaves it 0 (wxdp sent from 127.0.0.6:
    // EINVAL out of eth0, or a datagram to itself read as from 127.0.0.6)
    const socks: Sock[] = [
      { family: 6, bind: ['::', 7440], connect: ['2001:db8:1::2', 53] },
      { family: 6, bind: ['::', 7441], connect: ['::1', 53] },
      { family: 4, bind: ['0.0.0.0', 7444] },
    ];
    await sendsAgree(socks, [[0, '::ffff:192.0.2.2', 53, hexOf(30)], [1, '::ffff:192.0.2.1', 7444, hexOf(31)]], (k) => {
      expect(k.sent.map((r) => r.err)).toEqual(['', '']);
      expect(k.sent[0]!.tx.length).toBe(1);
      expect(k.sent[1]!.got).toEqual([[2, hexOf(31), '192.0.2.1', 7441]]);
    });
  });

  it('a datagram to a group out of lo reaches the UDP multicast receive (Udp:IgnoredMulti with no reader)', async () => {
    // loopback_xmit keeps the skb's dst: __mkroute_output's RTCF_MULTICAST for a lo-bound socket's group,
    // and for a 127.0.0.1 source (ip_route_output_key_hash_rcu takes the source's device, lo); wxdp
    // delivered them as unicast (Udp:NoPorts)
    const socks: Sock[] = [{ family: 4, dev: 'lo', bind: ['0.0.0.0', 7442] }, { family: 4, bind: ['127.0.0.1', 7443] }];
    await sendsAgree(socks, [[0, '224.0.0.1', 7499, hexOf(32)], [1, '224.0.0.1', 7499, hexOf(34)]], (k) => {
      expect(k.sent.map((r) => r.counters['Udp:IgnoredMulti'])).toEqual([1, 1]);
    });
  });

  it('an IPv6 socket\'s v4-mapped multicast loops back by IPV6_MULTICAST_LOOP, not IP_MULTICAST_LOOP', async () => {
    // sk_mc_loop reads the loop flag of the socket's family (inet6's mc6_loop for AF_INET6) whatever the
    // destination's: IP_MULTICAST_LOOP 0 on an IPv6 socket leaves its v4-mapped sends looped, IPV6_MULTICAST_LOOP 0
    // stops them (udp fuzz seed 2448, fz57: wxdp went by IP_MULTICAST_LOOP)
    const socks: Sock[] = [
      { family: 4, bind: ['0.0.0.0', 7450], mcOps: [['join', '239.1.1.1', undefined, '192.0.2.1']] },
      // bound to an address of eth0: the multicast route's device is the source's (__ip_route_output_key; no route else)
      { family: 6, bind: ['::ffff:192.0.2.1', 7451], opts: [['IP_MULTICAST_LOOP', 0]] },
      { family: 6, bind: ['::ffff:192.0.2.1', 7452], mcLoop6: 0 },
    ];
    await sendsAgree(socks, [[1, '::ffff:239.1.1.1', 7450, hexOf(39)], [2, '::ffff:239.1.1.1', 7450, hexOf(40)]], (k) => {
      expect(k.sent.map((r) => [r.err, r.got.length, r.tx.length])).toEqual([['', 1, 1], ['', 0, 1]]);
    });
  });

  it('a datagram to a group lo is not in goes out of lo and is gone (no Udp:IgnoredMulti); one lo joined is read', async () => {
    // __mkroute_output keeps RTCF_LOCAL on a group's route only when ip_check_mc_rcu finds the output
    // device in the group; a route out of lo without it keeps dst_discard as its input, so what comes back
    // up lo is dropped without a counter — eth0 being in the group changes nothing (udp fuzz 1271, 1272:
    // wxdp read it as Udp:IgnoredMulti). A group joined on lo (by 127.0.0.1) is local: its member reads it
    const socks: Sock[] = [
      { family: 4, bind: ['127.0.0.1', 7447] },
      { family: 4, bind: ['0.0.0.0', 7448], mcOps: [['join', '239.1.1.1', undefined, '192.0.2.1']] },
      { family: 4, bind: ['0.0.0.0', 7449], mcOps: [['join', '239.2.2.2', undefined, '127.0.0.1']] },
    ];
    await sendsAgree(socks, [[0, '239.1.1.1', 7448, hexOf(36)], [0, '239.3.3.3', 7448, hexOf(37)], [0, '239.2.2.2', 7449, hexOf(38)]], (k) => {
      expect(k.sent.map((r) => [r.err, r.counters['Udp:IgnoredMulti'], r.got.length])).toEqual([['', undefined, 0], ['', undefined, 0], ['', undefined, 1]]);
    });
  });

  it('another device\'s subnet broadcast out of lo is unicast (Udp:NoPorts)', async () => {
    // no route through lo matches 192.0.2.255 (its broadcast route is eth0's): ip_route_output_key_hash_rcu
    // guesses it on-link on lo as RTN_UNICAST, so it comes back up as unicast (wxdp: broadcast, IgnoredMulti)
    const socks: Sock[] = [{ family: 4, dev: 'lo', bind: ['0.0.0.0', 7445] }];
    await sendsAgree(socks, [[0, '192.0.2.255', 7499, hexOf(33)]], (k) => {
      expect(k.sent[0]!.err).toBe('');
      expect(k.sent[0]!.counters['Udp:NoPorts']).toBe(1);
    });
  });

  it('a multicast from ::1 leaves on eth0 but its looped copy is dropped (no Udp6:IgnoredMulti)', async () => {
    // ip6_finish_output2's copy goes to ipv6_rcv on eth0, where ip6_rcv_core drops a loopback source
    // (RFC 4291 2.5.3); wxdp delivered it
    const socks: Sock[] = [{ family: 6, bind: ['::1', 7446] }];
    await sendsAgree(socks, [[0, 'ff02::1', 7499, hexOf(35)]], (k) => {
      expect(k.sent[0]!.tx.length).toBe(1);
      expect(k.sent[0]!.counters['Udp6:IgnoredMulti']).toBeUndefined();
    });
  });

  it('IPv6 multicast at hop limit 0 leaves unless a looped copy is taken; interface-local scope never leaves, uncounted', async () => {
    // ip6_finish_output2: the hop-limit-0 discard (Ip6:OutDiscards) sits inside the loop-back branch (the
    // device in the group, IPV6_MULTICAST_LOOP on): the copy is delivered, the original dropped; with no
    // copy the datagram goes out at hop limit 0. An ff01::/16 group goes out of no device, freed without a
    // counter (after the copy when one is taken). wxdp dropped all of them with Ip6:OutDiscards
    const socks: Sock[] = [
      { family: 6, bind: ['::', 7460], mcHops6: 0 }, // not joined
      { family: 6, bind: ['::', 7461], mcHops6: 0, mcOps: [['join', 'ff0e::1461', undefined, 'eth0']] }, // joined, loop on
      { family: 6, bind: ['::', 7462], mcHops6: 0, mcLoop6: 0, mcOps: [['join', 'ff0e::1462', undefined, 'eth0']] }, // joined, loop off
      { family: 6, bind: ['::', 7463] },
      { family: 6, bind: ['::', 7464], mcOps: [['join', 'ff01::1464', undefined, 'eth0']] },
    ];
    const sends: Send[] = [
      [0, 'ff0e::1460', 7460, hexOf(40)], [1, 'ff0e::1461', 7461, hexOf(41)], [2, 'ff0e::1462', 7462, hexOf(42)],
      [3, 'ff01::1463', 7463, hexOf(43)], [4, 'ff01::1464', 7464, hexOf(44)],
    ];
    const notVacuous = (k: KernelOut): void => {
      expect(k.sent.map((r) => [r.err, r.tx.length, r.got.length, r.counters['Ip6:OutDiscards'] ?? 0])).toEqual([
        ['', 1, 0, 0], ['', 0, 1, 1], ['', 1, 0, 0], ['', 0, 0, 0], ['', 0, 1, 0],
      ]);
    };
    await sendsAgree(socks, sends, notVacuous, ['Ip6:OutDiscards']);
    // with an output hook registered wxdp takes its hooked path (mcSend6); an accepting counter changes nothing in Linux
    await sendsAgree(socks, sends, notVacuous, ['Ip6:OutDiscards'], 'add table ip6 fxh\nadd chain ip6 fxh out { type filter hook output priority 0; }\nadd rule ip6 fxh out counter');
  });
});

describe.skipIf(skip)('send options: IP_TTL/IP_TOS/IP_MTU_DISCOVER for IPv4 and v4-mapped sends, the IPV6_ ones for native IPv6', () => {
  const hexOf = (n: number): string => hex(payload(n, n));
  it('an IPv6 socket keeps two sets (inet->uc_ttl, tos, pmtudisc and np->hop_limit, tclass, pmtudisc): each send takes its family\'s', async () => {
    // udpv6_sendmsg hands a v4-mapped destination to udp_sendmsg, which reads inet's; wxdp kept one TTL, TOS
    // and PMTU mode for both (udp fuzz seeds 1316-1318 with WXDP_UDP_FUZZ_OPTS)
    const socks: Sock[] = [
      { family: 6, bind: ['::', 7470], opts: [['IP_TTL', 7], ['IP_TOS', 0x28], ['IPV6_UNICAST_HOPS', 9], ['IPV6_TCLASS', 0xb8], ['IP_MTU_DISCOVER', 0], ['IPV6_MTU_DISCOVER', 2]] },
      { family: 6, bind: ['::', 7471], opts: [['IPV6_UNICAST_HOPS', 0], ['IPV6_TCLASS', -1], ['IP_TOS', -1]] },
    ];
    const sends: Send[] = [[0, '2001:db8:1::2', 53, hexOf(50)], [0, '::ffff:192.0.2.2', 53, hexOf(51)], [1, '2001:db8:1::2', 53, hexOf(52)], [1, '::ffff:192.0.2.2', 53, hexOf(53)]];
    await sendsAgree(socks, sends, (k) => expect(k.sent.map((r) => r.tx.length)).toEqual([1, 1, 1, 1]));
  });

  it('IPv4 multicast at TTL 0 leaves when this host is not in the group: only ip_mc_output (RTCF_LOCAL) keeps it home', async () => {
    // __mkroute_output gives the route ip_mc_output only when the device is in the group (ip_check_mc_rcu);
    // else ip_output sends it at TTL 0. wxdp freed every TTL-0 multicast (udp fuzz seeds 1334, 1336, 1342)
    const socks: Sock[] = [
      { family: 4, bind: ['192.0.2.1', 7474], opts: [['IP_MULTICAST_TTL', 0]] },
      { family: 4, bind: ['192.0.2.1', 7475], opts: [['IP_MULTICAST_TTL', 0]], mcOps: [['join', '239.1.1.5', undefined, 'eth0']] },
      { family: 4, bind: ['192.0.2.1', 7476], opts: [['IP_MULTICAST_TTL', 0], ['IP_MULTICAST_LOOP', 0]], mcOps: [['join', '239.1.1.6', undefined, 'eth0']] },
      { family: 6, bind: ['::ffff:192.0.2.1', 7477], opts: [['IP_MULTICAST_TTL', 0]] },
    ];
    const sends: Send[] = [[0, '239.1.1.4', 7474, hexOf(54)], [1, '239.1.1.5', 7475, hexOf(55)], [2, '239.1.1.6', 7476, hexOf(56)], [3, '::ffff:239.1.1.7', 7477, hexOf(57)]];
    const notVacuous = (k: KernelOut): void => expect(k.sent.map((r) => [r.err, r.tx.length, r.got.length])).toEqual([['', 1, 0], ['', 0, 0], ['', 0, 0], ['', 1, 0]]);
    await sendsAgree(socks, sends, notVacuous);
    // with an output hook registered wxdp takes its hooked path (mcSend4)
    await sendsAgree(socks, sends, notVacuous, [], 'add table ip fxh\nadd chain ip fxh out { type filter hook output priority 0; }\nadd rule ip fxh out counter');
  });
});

describe.skipIf(skip)('a datagram this host sends to its own closed port: the port unreachable comes back through lo', () => {
  // icmp_send routes the error to the datagram's (local) source: ip_route_output_key_hash_rcu's local
  // route leaves on loopback, icmp_rcv → udp_err finds the sender and, when it is connected, sets
  // sk_err ECONNREFUSED (IPv6: icmpv6_send, udpv6_err). __udp4_lib_err looks the sender up on skb->dev
  // (lo: a socket bound to eth0 is not found, Icmp:InErrors), __udp6_lib_err on inet6_iif (the local
  // route's device: eth0's address, so an eth0-bound socket is). A socket bound to lo sending to a
  // remote peer loops the datagram back to itself (RTCF_LOCAL): its destination, no address of ours,
  // would be the error's source, and no route takes it (__ip_dev_find), so nothing is sent.
  // wxdp refused local routes for its own datagrams: no error at all.
  const socks: Sock[] = [
    { family: 4, bind: ['192.0.2.1', 7420], connect: ['192.0.2.1', 7499] },
    { family: 4, bind: ['127.0.0.1', 7421], connect: ['127.0.0.1', 7499] },
    { family: 6, bind: ['2001:db8:1::1', 7422], connect: ['2001:db8:1::1', 7499] },
    { family: 6, bind: ['::1', 7423], connect: ['::1', 7499] },
    { family: 4, dev: 'eth0', bind: ['0.0.0.0', 7424], connect: ['192.0.2.1', 7499] },
    { family: 6, dev: 'eth0', bind: ['::', 7425], connect: ['2001:db8:1::1', 7499] },
    { family: 4, dev: 'lo', bind: ['192.0.2.1', 7426], connect: ['192.0.2.2', 7499] },
    { family: 4, bind: ['192.0.2.1', 7427] },
    { family: 6, bind: ['::ffff:192.0.2.1', 7428], connect: ['::ffff:198.51.100.1', 7499] },
  ];
  const hexOf = (n: number): string => hex(payload(n, n));
  const sends: Send[] = [
    [0, null, 0, hexOf(10)], [1, null, 0, hexOf(11)], [2, null, 0, hexOf(12)], [3, null, 0, hexOf(13)], [4, null, 0, hexOf(14)],
    [5, null, 0, hexOf(15)], [6, null, 0, hexOf(16)], [7, '198.51.100.1', 7499, hexOf(17)], [8, null, 0, hexOf(18)],
  ];

  it('each send: the same errno, counters and errors read on this host', async () => {
    await sendsAgree(socks, sends, (k) => {
      // not vacuous: the kernel refused connected senders and reported errors it could not deliver
      expect(k.sent.filter((r) => r.got.some(([, d, e]) => d === 'error' && e === 'ECONNREFUSED')).length).toBeGreaterThanOrEqual(5);
      expect(k.sent.some((r) => r.counters['Icmp:InErrors'])).toBe(true);
    });
  });
});

describe.skipIf(skip)('the early demux: a connected socket heading its hash2 chain takes the datagram before the full lookup', () => {
  // udp_v4_early_demux / udp_v6_early_demux (ip_rcv_finish_core, ip6_rcv_finish_core) look at the first
  // socket of the (destination, port) hash2 chain only, before routing; one they take gets the datagram
  // (inet_steal_sock), where the full lookup's hash4 (udp4_lib_lookup4 / udp6_lib_lookup4) would give the
  // one of the same 4-tuple connected last. An IPv6 reuseport socket joins its chain at the tail
  // (hlist_add_tail_rcu), so the first of two connected ones heads it. IPv6 asks only a connected head
  // (TCP_ESTABLISHED) and only when the fixed header's next header is UDP (a hop-by-hop header or an atomic
  // fragment in front: the full lookup); neither family for what lo brings back (loopback_xmit keeps the
  // skb's dst). Fixed ports (each socket bound), so the frames compare whole.
  const peer6: [string, number] = ['2001:db8:1::2', 999];
  const socks: Sock[] = [
    { family: 6, reuseport: true, bind: ['2001:db8:1::1', 7470], connect: peer6 }, //                             0 heads 7470
    { family: 6, reuseport: true, bind: ['2001:db8:1::1', 7470], connect: peer6 }, //                             1 hash4's head
    { family: 6, reuseaddr: true, dev: 'eth0', bind: ['2001:db8:1::1', 7471], connect: peer6 }, //               2 heads 7471
    { family: 6, reuseaddr: true, reuseport: true, bind: ['2001:db8:1::1', 7471], connect: peer6 }, //           3
    { family: 6, reuseaddr: true, bind: ['2001:db8:1::1', 7473] }, //                                            4 unconnected head
    { family: 6, reuseaddr: true, reuseport: true, bind: ['2001:db8:1::1', 7473], connect: peer6 }, //           5
    { family: 4, reuseaddr: true, reuseport: true, bind: ['192.0.2.1', 7476], connect: ['192.0.2.2', 999] }, // 6 heads 7476
    { family: 6, reuseaddr: true, reuseport: true, bind: ['::ffff:192.0.2.1', 7476], connect: ['::ffff:192.0.2.2', 999] }, // 7
    { family: 4, reuseaddr: true, reuseport: true, bind: ['127.0.0.1', 7474], connect: ['127.0.0.1', 7475] }, // 8 heads 7474
    { family: 6, reuseaddr: true, reuseport: true, bind: ['::ffff:127.0.0.1', 7474], connect: ['::ffff:127.0.0.1', 7475] }, // 9
    { family: 4, bind: ['127.0.0.1', 7475] }, //                                                                 10 sends over lo
    { family: 6, reuseport: true, bind: ['::1', 7477], connect: ['::1', 7478] }, //                              11 heads 7477
    { family: 6, reuseport: true, bind: ['::1', 7477], connect: ['::1', 7478] }, //                              12
    { family: 6, bind: ['::1', 7478] }, //                                                                       13 sends over lo
    { family: 4, reuseaddr: true, bind: ['0.0.0.0', 7481] }, //                                                  14
    { family: 4, reuseaddr: true, bind: ['0.0.0.0', 7481] }, //                                                  15 heads 0.0.0.0:7481
    { family: 4, reuseaddr: true, bind: ['192.0.2.255', 7483], connect: ['192.0.2.2', 999] }, //                16
    { family: 4, reuseaddr: true, bind: ['0.0.0.0', 7483] }, //                                                  17
    ...[18, 19, 20].map((): Sock => ({ family: 4, reuseport: true, bind: ['0.0.0.0', 7484] })), //               18-20 a group
    { family: 6, reuseaddr: true, dev: 'eth0', bind: ['ff02::1', 7490], connect: peer6 }, //                     21
    { family: 6, reuseaddr: true, bind: ['::', 7490] }, //                                                       22
  ];
  const hexOf = (n: number): string => hex(payload(n, n));
  const sends: Send[] = [[10, '127.0.0.1', 7474, hexOf(40)], [13, '::1', 7477, hexOf(41)]];
  /** `f` (an IPv6 frame) with an 8-byte extension header of next header UDP in front of its UDP header. */
  const bcastMac = (f: Uint8Array): Uint8Array => {
    const g = Uint8Array.from(f);
    g.fill(0xff, 0, 6);
    return g;
  };
  const allNodesMac = (f: Uint8Array): Uint8Array => {
    const g = Uint8Array.from(f);
    g.set([0x33, 0x33, 0, 0, 0, 1], 0);
    return g;
  };
  const ext6 = (f: Uint8Array, type: number, hdr: number[]): Uint8Array => {
    const h = Uint8Array.from(f.subarray(14, 54));
    h[6] = type;
    h.set(be16(((h[4]! << 8) | h[5]!) + 8), 4);
    return concat(f.subarray(0, 14), h, Uint8Array.from(hdr), f.subarray(54));
  };
  const FRAMES: Array<[string, Uint8Array]> = [
    ['IPv6: the chain\'s connected head (bound first), not hash4\'s', u6('2001:db8:1::1', 7470, 999, 1)],
    ['IPv6 behind a hop-by-hop header: no early demux, hash4\'s', ext6(u6('2001:db8:1::1', 7470, 999, 2), 0, [17, 0, 1, 4, 0, 0, 0, 0])],
    ['IPv6 as an atomic fragment: no early demux, hash4\'s', ext6(u6('2001:db8:1::1', 7470, 999, 3), 44, [17, 0, 0, 0, 0, 0, 0x12, 0x34])],
    ['IPv6: the head bound to the receiving device', u6('2001:db8:1::1', 7471, 999, 4)],
    ['IPv6: an unconnected head is not asked', u6('2001:db8:1::1', 7473, 999, 5)],
    ['IPv4: the AF_INET head, not the dual-stack socket at hash4\'s head', u4('192.0.2.1', 7476, 999, 6)],
    // an unconnected IPv4 socket matches a datagram from 0.0.0.0:0 (inet_match has no state test), and
    // the demux asks PACKET_HOST frames — to our MAC — whatever the route then says: to 0.0.0.0 from
    // 0.0.0.0 the route is a broadcast (ip_route_input_slow's brd_input), yet the head alone gets it
    ['IPv4 from 0.0.0.0:0 to 0.0.0.0 at our MAC: the wildcard chain\'s head alone', u4('0.0.0.0', 7481, 0, 7, '0.0.0.0')],
    ['the same to the broadcast MAC (PACKET_BROADCAST): every wildcard socket', bcastMac(u4('0.0.0.0', 7481, 0, 8, '0.0.0.0'))],
    ['IPv4 to the subnet broadcast at our MAC from the peer of a socket bound to it: that socket alone', u4('192.0.2.255', 7483, 999, 9)],
    ['the same to the broadcast MAC: both', bcastMac(u4('192.0.2.255', 7483, 999, 10))],
    // inet_steal_sock: an unconnected head's reuseport group picks the member (by the flow hash, whose
    // secret is random: compared as "one member of the group")
    ['IPv4 from 0.0.0.0:0 to 0.0.0.0 at our MAC, a reuseport group heading the chain: one member', u4('0.0.0.0', 7484, 0, 11, '0.0.0.0')],
    // IPv6 likewise asks a PACKET_HOST frame to a group; neither family a frame to our address at a group
    // or the broadcast MAC
    ['IPv6 to a group at our MAC from the peer of a connected socket bound to it: that socket alone', u6('ff02::1', 7490, 999, 12)],
    ['the same to the group\'s MAC (PACKET_MULTICAST): both', allNodesMac(u6('ff02::1', 7490, 999, 13))],
    ['IPv6 to our address at a group MAC: no early demux, hash4\'s', allNodesMac(u6('2001:db8:1::1', 7470, 999, 14))],
    ['IPv4 to our address at the broadcast MAC: no early demux, hash4\'s', bcastMac(u4('192.0.2.1', 7476, 999, 15))],
  ];
  const group = (got: Array<[number, string, string, number]>): Array<[number | string, string, string, number]> =>
    got.map(([j, ...rest]) => [j >= 18 && j <= 20 ? 'group 18-20' : j, ...rest]);

  it('each datagram and each send over lo reaches the socket the kernel\'s gets it to', async () => {
    const k = runKernel(socks, FRAMES.map(([, f]) => f), sends);
    const fx = await udpFixture();
    const t = fx.dp.socketTable;
    const w = makeWxdp(t, fx, socks);
    expect(names(w.calls)).toEqual(names(k.calls));
    expect(names(k.calls).every(([b, c]) => b === 'ok' && c === 'ok')).toBe(true);
    // not vacuous: the kernel's demux and its full lookup each decided some (the first two frames of one
    // 4-tuple went to different sockets), and lo's datagrams went to hash4's heads
    expect(k.results.slice(0, 3).map((r) => r.got.map((g) => g[0]))).toEqual([[0], [1], [1]]);
    expect(k.sent.map((r) => r.got.map((g) => g[0]))).toEqual([[9], [12]]);
    sends.forEach((sd, n) => {
      const kr = k.sent[n]!;
      const wr = wxdpSend(fx, t, w.ids, sd);
      const what = `send ${n}: #${sd[0]} to ${sd[1]}:${sd[2]}`;
      expect(wr.err, what).toBe(kr.err);
      expect(wr.got, what).toEqual(kr.got);
      expect(pick(wr.counters), what).toEqual(pick(kr.counters));
    });
    FRAMES.forEach(([name, frame], i) => {
      const kr = k.results[i]!;
      const w1 = wxdpFrame(fx, t, w.ids, frame);
      expect(group(w1.got), name).toEqual(group(kr.got));
      expect(pick(w1.counters), `${name}: counters`).toEqual(pick(kr.counters));
      expect(w1.tx, name).toEqual(kr.tx.map((h) => hex(mask(Uint8Array.from(Buffer.from(h, 'hex'))))));
    });
    // ... and the broadcast and multicast routes' PACKET_HOST frames went to one socket, their group MAC
    // twins to all; the frames at a group MAC to our address, to hash4's heads
    expect(k.results.slice(6).map((r) => group(r.got).map((g) => g[0]))).toEqual([[15], [14, 15], [16], [16, 17], ['group 18-20'], [21], [21, 22], [1], [7]]);
  });
});

describe.skipIf(skip)('socket options read back as the kernel\'s', () => {
  // [family, option, level, optname, values set in turn (null: only read)]
  const OPTS: Array<[4 | 6, SocketOption, number, number, Array<number | null>]> = [
    [4, 'SO_RCVBUF', 1, 8, [null, 0, 1, 1000, 100000, 10_000_000]],
    [4, 'SO_SNDBUF', 1, 7, [null, 1, 100000, 10_000_000]],
    [4, 'IP_TTL', 0, 2, [null, 0, 256, 255, -1, 1]],
    [6, 'IPV6_UNICAST_HOPS', 41, 16, [null, -2, 256, 255, -1]],
    [4, 'IP_MTU_DISCOVER', 0, 10, [null, 0, 3, 6]],
    [6, 'IPV6_MTU_DISCOVER', 41, 23, [null, 2]],
    [6, 'IPV6_V6ONLY', 41, 26, [null, 1, 0]],
    [4, 'IPV6_V6ONLY', 41, 26, [1]],
    [4, 'IPV6_UNICAST_HOPS', 41, 16, [5]],
    [6, 'IP_TTL', 0, 2, [null, 9]],
    [6, 'SO_BROADCAST', 1, 6, [null, 1]],
    [4, 'SO_REUSEPORT', 1, 15, [null, 1]],
    [4, 'IP_MULTICAST_TTL', 0, 33, [null, 7]],
    [6, 'IPV6_DONTFRAG', 41, 62, [null, 1]],
    [4, 'IP_MULTICAST_LOOP', 0, 34, [null, 0, 5]],
    [4, 'IP_MULTICAST_ALL', 0, 49, [null, 0, 2, 1]],
    [6, 'IP_MULTICAST_ALL', 0, 49, [null, 1]],
    [6, 'IPV6_MULTICAST_HOPS', 41, 18, [null, 7, 256, -2, -1]],
    [6, 'IPV6_MULTICAST_LOOP', 41, 19, [null, 0, 2]],
    [6, 'IPV6_MULTICAST_ALL', 41, 29, [null, 0, 3]],
    [6, 'IPV6_MULTICAST_IF', 41, 17, [null, 4000, -1]],
    [4, 'IPV6_MULTICAST_LOOP', 41, 19, [1]],
    // two sets on an IPv6 socket (inet's and ipv6_pinfo's); IP_TOS without a range check, the low byte kept
    [6, 'IPV6_UNICAST_HOPS', 41, 16, [0]],
    [4, 'IP_TOS', 0, 1, [null, 0xb8, -1, 0x1ff]],
    [6, 'IP_TOS', 0, 1, [null, 0x1e]],
    [6, 'IPV6_TCLASS', 41, 67, [null, 0xb8, -2, 0x100, -1]],
  ];
  const CODE = `
import json, socket, sys
out = []
for fam, level, name, values in json.loads(sys.argv[1]):
    s = socket.socket(socket.AF_INET6 if fam == 6 else socket.AF_INET, socket.SOCK_DGRAM)
    row = []
    for v in values:
        e = 0
        if v is not None:
            try:
                s.setsockopt(level, name, v)
            except OSError as x:
                e = x.errno
        try:
            row.append([e, s.getsockopt(level, name)])
        except OSError as x:
            row.append([e, -x.errno])
    out.append(row)
print(json.dumps(out))
`;

  it('SO_RCVBUF/SO_SNDBUF doubled and clamped, TTL and hop-limit ranges, PMTU modes, IPV6_V6ONLY, errors for the wrong family', async () => {
    const { h } = kernel();
    const k = JSON.parse(h.exec(['/usr/bin/python3', '-c', CODE, JSON.stringify(OPTS.map(([f, , l, n, v]) => [f, l, n, v]))])) as Array<Array<[number, number]>>;
    const rmemMax = Number(h.exec(['sysctl', '-n', 'net.core.rmem_max']).trim());
    const wmemMax = Number(h.exec(['sysctl', '-n', 'net.core.wmem_max']).trim());
    const fx = await udpFixture();
    const t = fx.dp.socketTable;
    t.setRmem({ max: rmemMax });
    t.setWmem({ max: wmemMax });
    const w = OPTS.map(([fam, opt, , , values]) => {
      const id = t.create({ family: fam === 6 ? 'inet6' : 'inet' });
      return values.map((v) => {
        let e = 0;
        if (v !== null) {
          try {
            t.setOption(id, opt, v);
          } catch (x) {
            if (!(x instanceof SocketError)) throw x;
            e = x.errnoValue;
          }
        }
        try {
          return [e, t.getOption(id, opt)];
        } catch (x) {
          if (!(x instanceof SocketError)) throw x;
          return [e, -x.errnoValue];
        }
      });
    });
    OPTS.forEach(([fam, opt], i) => expect(w[i], `${opt} on IPv${fam}`).toEqual(k[i]));
  });
});

describe.skipIf(skip)('which socket receives, and what a closed port answers, against the kernel', () => {
  const SOCKETS: Sock[] = [
    { family: 4, bind: ['0.0.0.0', 7000] }, //                                     0
    { family: 4, reuseaddr: true, bind: ['192.0.2.1', 7001] }, //                  1
    { family: 4, reuseaddr: true, bind: ['0.0.0.0', 7001] }, //                    2
    { family: 6, bind: ['::', 7002] }, //                                          3 dual-stack
    { family: 6, v6only: true, bind: ['::', 7003] }, //                            4
    { family: 4, bind: ['198.51.100.1', 7004] }, //                                5
    { family: 4, reuseaddr: true, bind: ['0.0.0.0', 7005], connect: ['192.0.2.2', 999] }, // 6
    { family: 4, reuseaddr: true, bind: ['0.0.0.0', 7005] }, //                    7
    { family: 6, bind: ['::ffff:192.0.2.1', 7006] }, //                            8
    { family: 6, bind: ['2001:db8:1::1', 7007] }, //                               9
    { family: 4, dev: 'lo', bind: ['0.0.0.0', 7008] }, //                          10
    { family: 6, reuseaddr: true, bind: ['::', 7009] }, //                         11
    { family: 4, reuseaddr: true, bind: ['0.0.0.0', 7009] }, //                    12
    { family: 6, bind: ['2001:db8:1::1', 7010], connect: ['2001:db8:1::2', 999] }, // 13
  ];
  // ICMP errors about datagrams sockets 6 (192.0.2.1:7005 → 192.0.2.2:999) and 13 sent
  const quote4 = ipv4({ src: '192.0.2.1', dst: '192.0.2.2', proto: 17, id: 7 }, udp4('192.0.2.1', '192.0.2.2', 7005, 999, payload(8, 1)));
  const icmpErr4 = (type: number, code: number, rest: number[]): Uint8Array => e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 1, id: 9 }, icmp4(type, code, rest, quote4)));
  const quote6 = (() => {
    const u = Uint8Array.from([...be16(7010), ...be16(999), 0, 16, 0, 0, ...payload(8, 2)]);
    const c = inetChecksum(Uint8Array.from([...ipv6Bytes('2001:db8:1::1'), ...ipv6Bytes('2001:db8:1::2'), 0, 0, 0, 16, 0, 0, 0, 17]), u);
    u[6] = c >> 8;
    u[7] = c & 0xff;
    return ipv6({ src: '2001:db8:1::1', dst: '2001:db8:1::2', nh: 17 }, u);
  })();
  const icmpErr6 = (type: number, code: number, rest: number[]): Uint8Array =>
    e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 58 }, icmp6('2001:db8:1::2', '2001:db8:1::1', type, code, rest, quote6)));
  const badSum = (() => {
    const f = u4('192.0.2.1', 7000, 40001, 1);
    f[14 + 20 + 7] ^= 0x5a;
    return f;
  })();
  const zeroSum = (() => {
    const f = u4('192.0.2.1', 7000, 40002, 2);
    f[14 + 20 + 6] = f[14 + 20 + 7] = 0;
    return f;
  })();
  const malformed = (edit: (u: Uint8Array) => Uint8Array): Uint8Array =>
    e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17, id: 0x77 }, edit(udp4('192.0.2.2', '192.0.2.1', 40003, 7000, payload(12, 5)))));
  const bcast = (dst: string, dport: number): Uint8Array => {
    const f = u4(dst, dport);
    f.fill(0xff, 0, 6);
    return f;
  };
  const mcast6 = (dport: number): Uint8Array => {
    const f = u6('ff02::1', dport);
    f.set([0x33, 0x33, 0, 0, 0, 1], 0);
    return f;
  };
  const FRAMES: Array<[string, Uint8Array]> = [
    ['subnet broadcast: every socket bound to the wildcard or the broadcast address of the port', bcast('192.0.2.255', 7001)],
    ['limited broadcast to a port with a wildcard socket', bcast('255.255.255.255', 7000)],
    ['broadcast to a port with no socket: IgnoredMulti, no ICMP', bcast('192.0.2.255', 7999)],
    ['IPv6 all-nodes multicast to a dual-stack socket\'s port', mcast6(7002)],
    ['IPv6 multicast to a port with no socket', mcast6(7998)],
    ['a UDP length past the end', malformed((u) => { u[5] = 40; return u; })],
    ['a UDP length under 8', malformed((u) => { u[4] = 0; u[5] = 6; return u; })],
    ['a header cut short', malformed((u) => u.subarray(0, 5))],
    ['a UDP length shorter than the IP payload: the rest is not the datagram\'s', malformed((u) => concat(u, payload(6, 9)))],
    ['0.0.0.0:7000 via the first address', u4('192.0.2.1', 7000)],
    ['0.0.0.0:7000 via the second address', u4('198.51.100.1', 7000)],
    ['192.0.2.1:7001 beats 0.0.0.0:7001', u4('192.0.2.1', 7001)],
    ['the wildcard takes the other address', u4('198.51.100.1', 7001)],
    ['IPv4 to a dual-stack socket', u4('192.0.2.1', 7002)],
    ['IPv4 to an IPV6_V6ONLY port: port unreachable', u4('192.0.2.1', 7003)],
    ['IPv4 to the other address of a bound port: port unreachable', u4('192.0.2.1', 7004)],
    ['the bound address', u4('198.51.100.1', 7004)],
    ['from the connected peer: the connected socket', u4('192.0.2.1', 7005, 999)],
    ['from elsewhere: the other one', u4('192.0.2.1', 7005, 998)],
    ['to a v4-mapped binding', u4('192.0.2.1', 7006)],
    ['to the other address of a v4-mapped binding', u4('198.51.100.1', 7006)],
    ['to a port bound on another device only', u4('192.0.2.1', 7008)],
    ['AF_INET (2) beats dual-stack AF_INET6 (1) on the wildcard', u4('192.0.2.1', 7009)],
    ['to no socket at all', u4('192.0.2.1', 7999)],
    ['a bad checksum to a bound port', badSum],
    ['a zero checksum (none) to a bound port', zeroSum],
    ['IPv6 to dual-stack ::', u6('2001:db8:1::1', 7002)],
    ['IPv6 to IPV6_V6ONLY ::', u6('2001:db8:1::1', 7003)],
    ['IPv6 to a native binding', u6('2001:db8:1::1', 7007)],
    ['IPv6 to an IPv4-only port: port unreachable', u6('2001:db8:1::1', 7000)],
    ['IPv6 to a port of both families', u6('2001:db8:1::1', 7009)],
    ['IPv6 with a zero checksum to a bound port', u6('2001:db8:1::1', 7002, 40000, 7002, 0)],
    ['IPv6 to no socket', u6('2001:db8:1::1', 7998)],
    ['TCP SYN to a closed port: RST|ACK', tcp4(80, 0x02, 1000, 0)],
    ['TCP ACK with data to a closed port: RST at its ACK', tcp4(81, 0x18, 5, 0xdeadbeef, payload(7, 3))],
    ['TCP FIN without ACK: ACK past the FIN', tcp4(82, 0x01, 0xfffffffe, 0, payload(5, 1))],
    ['TCP RST: no answer', tcp4(83, 0x04, 1, 0)],
    ['TCPv6 SYN to a closed port', tcp6(80, 0x02, 77, 0)],
    ['ICMP host unreachable to a connected socket: not fatal, not reported', icmpErr4(3, 1, [0, 0, 0, 0])],
    ['ICMP port unreachable to a connected socket: ECONNREFUSED', icmpErr4(3, 3, [0, 0, 0, 0])],
    ['ICMP fragmentation needed: EMSGSIZE (IP_PMTUDISC_WANT)', icmpErr4(3, 4, [0, 0, 0x05, 0x00])],
    ['ICMPv6 port unreachable to a connected socket: ECONNREFUSED', icmpErr6(1, 4, [0, 0, 0, 0])],
    ['ICMPv6 address unreachable: not fatal', icmpErr6(1, 3, [0, 0, 0, 0])],
    ['ICMPv6 packet too big: EMSGSIZE', icmpErr6(2, 0, [0, 0, 0x05, 0x00])],
  ];

  it('every datagram reaches the same socket (payload and source), and every answer is the same frame', async () => {
    const k = runKernel(SOCKETS, FRAMES.map(([, f]) => f));
    const fx = await udpFixture();
    const t = fx.dp.socketTable;
    const w = makeWxdp(t, fx, SOCKETS);
    expect(names(w.calls)).toEqual(names(k.calls));
    // not vacuous: the kernel's counters moved for every frame but the six ICMP errors
    expect(k.results.filter((r) => Object.keys(pick(r.counters)).length > 0).length).toBeGreaterThanOrEqual(FRAMES.length - 6);
    FRAMES.forEach(([name, frame], i) => {
      const w1 = wxdpFrame(fx, t, w.ids, frame);
      const kr = k.results[i]!;
      // the cases named for an errno are not vacuous: the kernel reported it
      const named = /: (E[A-Z]+)/.exec(name)?.[1];
      if (named) expect(kr.got.some((g) => g[1] === 'error' && g[2] === named), name).toBe(true);
      expect(w1.got, name).toEqual(kr.got);
      expect(pick(w1.counters), `${name}: counters`).toEqual(pick(kr.counters));
      for (const f of w1.out) if (isTcp6(f)) expect(tcp6Verifies(f), name).toBe(true);
      expect(w1.tx, name).toEqual(kr.tx.map((h) => hex(mask(Uint8Array.from(Buffer.from(h, 'hex'))))));
    });
  });

  it('a small SO_RCVBUF: the same datagrams queue and the same are RcvbufErrors as in the kernel', async () => {
    // The rule (6.18's __udp_enqueue_schedule_skb): admit while rmem + truesize <= rcvbuf, or when the
    // queue is empty. truesize on both sides is the sender's skb's (P's AF_PACKET skb, handed over by veth;
    // wxdp charges that of a Linux sender's skb for the datagram: sock.ts skTruesize).
    for (const [rcvbuf, size] of [[1, 12], [1, 300], [3000, 12], [6000, 1000], [2000, 300]] as const) {
      const socks: Sock[] = [{ family: 4, rcvbuf, hold: true, bind: ['0.0.0.0', 7200] }];
      const frames = Array.from({ length: 12 }, (_, i) => e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17, id: i }, udp4('192.0.2.2', '192.0.2.1', 5000 + i, 7200, payload(size, i)))));
      const k = runKernel(socks, frames);
      const fx = await udpFixture();
      const t = fx.dp.socketTable;
      const w = makeWxdp(t, fx, socks);
      for (const f of frames) fx.rx('eth0', f);
      const got: number[] = [];
      for (let d = t.recv(w.ids[0]!); d; d = t.recv(w.ids[0]!)) got.push(d.port);
      const kGot = k.results.flatMap((r) => r.got.map((g) => g[3]));
      const kDrops = k.results.reduce((a, r) => a + (r.counters['Udp:RcvbufErrors'] ?? 0), 0);
      // not vacuous: the kernel dropped some
      expect(kDrops, `kernel ${rcvbuf}/${size}`).toBeGreaterThan(0);
      expect(kDrops, `kernel ${rcvbuf}/${size}`).toBe(12 - kGot.length);
      expect(got, `wxdp ${rcvbuf}/${size}`).toEqual(kGot);
      expect(fx.mib()['Udp:RcvbufErrors'] ?? 0, `wxdp ${rcvbuf}/${size}`).toBe(kDrops);
    }
  });

  it('a reuseport group of 4: every datagram to a member, each flow to one member, every member some of 64 flows', async () => {
    const group: Sock[] = [0, 1, 2, 3].map(() => ({ family: 4, reuseport: true, bind: ['0.0.0.0', 7100] }));
    const frames: Uint8Array[] = [];
    for (let p = 0; p < 64; p++) frames.push(u4('192.0.2.1', 7100, 20000 + p, p), u4('192.0.2.1', 7100, 20000 + p, p + 100));
    const k = runKernel(group, frames);
    const fx = await udpFixture();
    const t = fx.dp.socketTable;
    t.setHashSecret(0x5eed);
    const w = makeWxdp(t, fx, group);
    const wxdpGot: number[] = [];
    for (const f of frames) {
      fx.rx('eth0', f);
      const who = w.ids.map((id, j) => (t.recv(id) ? j : -1)).filter((j) => j >= 0);
      wxdpGot.push(who.length === 1 ? who[0]! : -1);
    }
    const kernelGot = k.results.map((r) => (r.got.length === 1 ? r.got[0]![0] : -1));
    for (const got of [kernelGot, wxdpGot]) {
      expect(got.includes(-1)).toBe(false);
      for (let p = 0; p < 64; p++) expect(got[2 * p]).toBe(got[2 * p + 1]);
      for (let m = 0; m < 4; m++) expect(got.filter((g) => g === m).length).toBeGreaterThan(0);
    }
  });
});
