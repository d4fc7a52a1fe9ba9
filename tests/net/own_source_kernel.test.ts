// Answers to a packet from one of this host's own addresses (IPv4 with accept_local on, IPv6 always;
// or an nft reject at PRE_ROUTING, before the martian check): the route back is local, so the reset or
// echo reply leaves through lo as the kernel's output routes make it (ip_route_output_key_hash_rcu's
// dev_out = loopback, ip6_rt_get_dev_rcu for a local route) and comes in again there — nothing on the
// wire. With lo down it is lost at lo's queue (QDISC_DROP), counted as sent. tcp_v4_send_reset /
// tcp_v6_send_reset, icmp_reply, icmpv6_echo_reply, nf_send_reset / nf_send_reset6. The counters each
// frame moved are the kernel's, recorded from Linux 6.18 (namespaces, tests/net/kprobe.py) and
// compared live where root can build namespaces.
//
// The nft reset to a remote peer rides along: nf_send_reset counts in no Tcp: MIB and nf_send_reset6
// in no Ip6:OutRequests either (it calls ip6_local_out itself).

import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { Fixture, stackUnready, echo4, echo6, eth, hex, icmp4, icmp6, inetChecksum, ipv4, ipv6, type LinkCfg, type NeighCfg } from './support.js';
import { KernelRouter, kernelMib, kernelUnavailable, maskOwn } from './kernel.js';
import { ipv4Bytes, ipv6Bytes } from '../../src/control/addresses.js';

const R_MAC = '02:00:00:00:00:01';
const H_MAC = '02:00:00:00:00:02';
const LINKS: LinkCfg[] = [{ name: 'eth0', mac: R_MAC, v4: ['192.0.2.1/24'], v6: ['2001:db8:1::1/64'] }];
const NEIGH: NeighCfg[] = [
  { dev: 'eth0', addr: '192.0.2.2', mac: H_MAC },
  { dev: 'eth0', addr: '2001:db8:1::2', mac: H_MAC },
];
const SYSCTLS = { 'net.ipv4.conf.all.accept_local': 1, 'net.ipv4.conf.eth0.accept_local': 1 };
/** A reset for TCP port 82 at PRE_ROUTING (before ip_rcv_finish's route, so before fib_validate_source). */
const RULES = 'table inet t {\n\tchain pre {\n\t\ttype filter hook prerouting priority filter; policy accept;\n\t\ttcp dport 82 reject with tcp reset\n\t}\n}\n';

const e4 = (p: Uint8Array): Uint8Array => eth({ dst: R_MAC, src: H_MAC, type: 0x0800 }, p);
const e6 = (p: Uint8Array): Uint8Array => eth({ dst: R_MAC, src: H_MAC, type: 0x86dd }, p);

/** A SYN (RFC 9293: 20-byte header, window 1024) from port 40000 to `dport`, checksummed over `pseudo`. */
function syn(pseudo: Uint8Array, dport: number): Uint8Array {
  const t = new Uint8Array(20);
  const v = new DataView(t.buffer);
  v.setUint16(0, 40000);
  v.setUint16(2, dport);
  v.setUint32(4, 0x01020304);
  t[12] = 5 << 4;
  t[13] = 0x02;
  v.setUint16(14, 1024);
  v.setUint16(16, inetChecksum(pseudo, t));
  return t;
}
const syn4 = (src: string, dst: string, dport: number): Uint8Array =>
  e4(ipv4({ src, dst, proto: 6 }, syn(Uint8Array.from([...ipv4Bytes(src), ...ipv4Bytes(dst), 0, 6, 0, 20]), dport)));
const syn6 = (src: string, dst: string, dport: number): Uint8Array =>
  e6(ipv6({ src, dst, nh: 6 }, syn(Uint8Array.from([...ipv6Bytes(src), ...ipv6Bytes(dst), 0, 0, 0, 20, 0, 0, 0, 6]), dport)));

type Counters = Record<string, number>;
interface Case {
  what: string;
  frame: Uint8Array;
  /** The counters the frame moved in Linux 6.18 with lo down, then with lo up. */
  down: Counters;
  up: Counters;
  /** Whether a reset leaves by eth0 (to the remote peer). */
  wire?: boolean;
}

const CASES: Case[] = [
  {
    what: 'a SYN from our own IPv4 address to a closed port: the reset goes through lo (and comes back in, a RST for no socket)',
    frame: syn4('192.0.2.1', '192.0.2.1', 81),
    down: { 'Ip:InReceives': 1, 'Ip:InDelivers': 1, 'Ip:OutRequests': 1, 'Tcp:InSegs': 1, 'Tcp:OutSegs': 1, 'Tcp:OutRsts': 1 },
    up: { 'Ip:InReceives': 2, 'Ip:InDelivers': 2, 'Ip:OutRequests': 1, 'Tcp:InSegs': 2, 'Tcp:OutSegs': 1, 'Tcp:OutRsts': 1 },
  },
  {
    what: 'an echo request from our own IPv4 address: the reply goes through lo (an echo reply for no socket)',
    frame: e4(ipv4({ src: '192.0.2.1', dst: '192.0.2.1', proto: 1 }, echo4(7, 1, new Uint8Array(8)))),
    down: { 'Ip:InReceives': 1, 'Ip:InDelivers': 1, 'Ip:OutRequests': 1, 'Icmp:InMsgs': 1, 'Icmp:InEchos': 1, 'Icmp:OutMsgs': 1, 'Icmp:OutEchoReps': 1 },
    up: { 'Ip:InReceives': 2, 'Ip:InDelivers': 2, 'Ip:OutRequests': 1, 'Icmp:InMsgs': 2, 'Icmp:InEchos': 1, 'Icmp:InEchoReps': 1, 'Icmp:OutMsgs': 1, 'Icmp:OutEchoReps': 1 },
  },
  {
    what: 'a SYN from our own IPv6 address to a closed port: the reset goes through lo',
    frame: syn6('2001:db8:1::1', '2001:db8:1::1', 81),
    down: { 'Ip6:InReceives': 1, 'Ip6:InDelivers': 1, 'Ip6:OutRequests': 1, 'Tcp:InSegs': 1, 'Tcp:OutSegs': 1, 'Tcp:OutRsts': 1 },
    up: { 'Ip6:InReceives': 2, 'Ip6:InDelivers': 2, 'Ip6:OutRequests': 1, 'Tcp:InSegs': 2, 'Tcp:OutSegs': 1, 'Tcp:OutRsts': 1 },
  },
  {
    what: 'an ICMPv6 echo request from our own address: the reply goes through lo (the local route, oif the input device)',
    frame: e6(ipv6({ src: '2001:db8:1::1', dst: '2001:db8:1::1', nh: 58 }, echo6('2001:db8:1::1', '2001:db8:1::1', 3, 4, new Uint8Array(8)))),
    down: { 'Ip6:InReceives': 1, 'Ip6:InDelivers': 1, 'Ip6:OutRequests': 1, 'Icmp6:InMsgs': 1, 'Icmp6:InEchos': 1, 'Icmp6:OutMsgs': 1, 'Icmp6:OutEchoReplies': 1 },
    up: { 'Ip6:InReceives': 2, 'Ip6:InDelivers': 2, 'Ip6:OutRequests': 1, 'Icmp6:InMsgs': 2, 'Icmp6:InEchos': 1, 'Icmp6:InEchoReplies': 1, 'Icmp6:OutMsgs': 1, 'Icmp6:OutEchoReplies': 1 },
  },
  {
    what: 'nft reject with tcp reset at PRE_ROUTING, a SYN from our own IPv4 address: the reset goes through lo',
    frame: syn4('192.0.2.1', '192.0.2.1', 82),
    down: { 'Ip:InReceives': 1, 'Ip:OutRequests': 1 },
    up: { 'Ip:InReceives': 2, 'Ip:InDelivers': 1, 'Ip:OutRequests': 1, 'Tcp:InSegs': 1 },
  },
  {
    what: 'nft reject with tcp reset at PRE_ROUTING, a SYN from our own IPv6 address: the reset goes through lo',
    frame: syn6('2001:db8:1::1', '2001:db8:1::1', 82),
    down: { 'Ip6:InReceives': 1 },
    up: { 'Ip6:InReceives': 2, 'Ip6:InDelivers': 1, 'Tcp:InSegs': 1 },
  },
  {
    what: 'nft reject with tcp reset, a SYN from a peer: the reset is in no Tcp: counter',
    frame: syn4('192.0.2.2', '192.0.2.1', 82),
    down: { 'Ip:InReceives': 1, 'Ip:OutRequests': 1 },
    up: { 'Ip:InReceives': 1, 'Ip:OutRequests': 1 },
    wire: true,
  },
  {
    what: 'nft reject with tcp reset, an IPv6 SYN from a peer: the reset is in no Tcp: counter nor Ip6:OutRequests',
    frame: syn6('2001:db8:1::2', '2001:db8:1::1', 82),
    down: { 'Ip6:InReceives': 1 },
    up: { 'Ip6:InReceives': 1 },
    wire: true,
  },
];

/**
 * Path MTU for one of our own addresses, lo up, no nft rules: a "packet too big" / "fragmentation needed" (MTU 1300,
 * from a peer) quoting an echo reply of ours to that address, then an echo request of 1400 bytes from
 * it. IPv6 keeps the exception on the local route (`ip -6 route get` shows mtu 1300) and cuts the reply
 * in two through lo, reassembled there; IPv4 keeps none and sends it whole.
 */
const data = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i & 0xff);
const PMTU: Array<{ what: string; steps: Array<{ frame: Uint8Array; up: Counters }> }> = [
  {
    what: 'IPv6: packet too big about our reply to our own address, then a 1400-byte echo from it: the reply fragmented at 1300 through lo',
    steps: [
      {
        frame: e6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 58 }, icmp6('2001:db8:1::2', '2001:db8:1::1', 2, 0, [0, 0, 0x05, 0x14], ipv6({ src: '2001:db8:1::1', dst: '2001:db8:1::1', nh: 58 }, icmp6('2001:db8:1::1', '2001:db8:1::1', 129, 0, [0, 1, 0, 1], data(32)))))),
        up: { 'Ip6:InReceives': 1, 'Ip6:InDelivers': 1, 'Icmp6:InMsgs': 1, 'Icmp6:InPktTooBigs': 1 },
      },
      {
        frame: e6(ipv6({ src: '2001:db8:1::1', dst: '2001:db8:1::1', nh: 58 }, echo6('2001:db8:1::1', '2001:db8:1::1', 0x67, 2, data(1352)))),
        up: {
          'Ip6:InReceives': 3, 'Ip6:InDelivers': 2, 'Ip6:OutRequests': 1, 'Ip6:ReasmReqds': 2, 'Ip6:ReasmOKs': 1, 'Ip6:FragOKs': 1, 'Ip6:FragCreates': 2,
          'Icmp6:InMsgs': 2, 'Icmp6:OutMsgs': 1, 'Icmp6:InEchos': 1, 'Icmp6:InEchoReplies': 1, 'Icmp6:OutEchoReplies': 1,
        },
      },
    ],
  },
  {
    what: 'IPv4: fragmentation needed about our reply to our own address, then a 1400-byte echo from it: the reply whole through lo',
    steps: [
      {
        frame: e4(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 1 }, icmp4(3, 4, [0, 0, 0x05, 0x14], ipv4({ src: '192.0.2.1', dst: '192.0.2.1', proto: 1 }, icmp4(0, 0, [0, 1, 0, 1]))))),
        up: { 'Ip:InReceives': 1, 'Ip:InDelivers': 1, 'Icmp:InMsgs': 1, 'Icmp:InDestUnreachs': 1 },
      },
      {
        frame: e4(ipv4({ src: '192.0.2.1', dst: '192.0.2.1', proto: 1 }, echo4(0x78, 2, data(1372)))),
        up: { 'Ip:InReceives': 2, 'Ip:InDelivers': 2, 'Ip:OutRequests': 1, 'Icmp:InMsgs': 2, 'Icmp:InEchos': 1, 'Icmp:InEchoReps': 1, 'Icmp:OutMsgs': 1, 'Icmp:OutEchoReps': 1 },
      },
    ],
  },
];

const COUNTED = /^(Ip|Ip6|Icmp|Icmp6|Tcp):/;
const unready = await stackUnready();
const noKernel = kernelUnavailable();
const haveNft = spawnSync('nft', ['--version']).status === 0;

/** A frame with the TCP checksum cleared: the kernel's reset leaves a veth CHECKSUM_PARTIAL (the pseudo-header's sum only). */
function noTcpSum(f: Uint8Array): string {
  const c = maskOwn(f);
  const v6 = c[12] === 0x86 && c[13] === 0xdd;
  const l4 = 14 + (v6 ? 40 : (c[14]! & 0xf) * 4);
  if ((v6 ? c[20] : c[23]) === 6) c[l4 + 16] = c[l4 + 17] = 0;
  return hex(c);
}

/** The counters under COUNTED that moved between two readings. */
function movedBetween(before: Counters, after: Counters): Counters {
  return Object.fromEntries(Object.keys(after).filter((k) => COUNTED.test(k) && after[k] !== before[k]).map((k) => [k, after[k]! - before[k]!]));
}

/** wxdp configured as the kernel: SYSCTLS, lo up or down, and the reject RULES unless `rules` is false. */
async function wxdp(lo: boolean, rules = true): Promise<Fixture> {
  const fx = await Fixture.create(LINKS, [], NEIGH);
  for (const [k, v] of Object.entries(SYSCTLS)) fx.dp.sysctl(k, v);
  if (lo) fx.ip('link set lo up');
  if (rules) fx.dp.nft(RULES);
  return fx;
}

describe.skipIf(unready !== '')('a reply to our own address goes through lo', () => {
  for (const lo of [false, true]) {
    describe(`lo ${lo ? 'up' : 'down'}`, () => {
      for (const c of CASES) {
        it(c.what, async () => {
          const fx = await wxdp(lo);
          const before = fx.mib();
          const out = fx.rx('eth0', c.frame).get('eth0') ?? [];
          expect(movedBetween(before, fx.mib())).toEqual(lo ? c.up : c.down);
          expect(out.length).toBe(c.wire ? 1 : 0);
        });
      }
    });
  }

  for (const p of PMTU) {
    it(p.what, async () => {
      const fx = await wxdp(true, false);
      for (const s of p.steps) {
        const before = fx.mib();
        expect(fx.rx('eth0', s.frame).get('eth0') ?? []).toEqual([]);
        expect(movedBetween(before, fx.mib())).toEqual(s.up);
      }
    });
  }

  describe.skipIf(noKernel !== '' || !haveNft)('the recorded counters are the kernel\'s', () => {
    const made: KernelRouter[] = [];
    afterAll(() => made.forEach((k) => k.close()));
    for (const lo of [false, true]) {
      it(`lo ${lo ? 'up' : 'down'}: Linux moves the recorded counters and sends the same frames`, async () => {
        const k = KernelRouter.create(LINKS, [], NEIGH, SYSCTLS, 'ownsrc');
        made.push(k);
        if (lo) expect(spawnSync('ip', ['-n', k.router, 'link', 'set', 'lo', 'up']).status).toBe(0);
        const nft = spawnSync('ip', ['netns', 'exec', k.router, 'nft', '-f', '-'], { input: RULES, encoding: 'utf8' });
        expect(nft.status, nft.stderr).toBe(0);
        const kern = k.send(CASES.map((c) => ['eth0', c.frame]));
        const fx = await wxdp(lo);
        // under the names wxdp counts (the kernel's OutTransmits, octets and the like are not among them)
        const names = Object.keys(fx.mib()).filter((n) => COUNTED.test(n));
        CASES.forEach((c, i) => {
          expect({ what: c.what, counters: kernelMib(kern[i]!.counters, names) }).toEqual({ what: c.what, counters: lo ? c.up : c.down });
          const ours = (fx.rx('eth0', c.frame).get('eth0') ?? []).map(noTcpSum);
          expect({ what: c.what, out: ours }).toEqual({ what: c.what, out: (kern[i]!.tx.get('eth0') ?? []).map(noTcpSum) });
        });
      }, 60_000);
    }

    it('Linux moves the recorded counters for the path MTU sequences, and sends nothing', async () => {
      const names = Object.keys((await wxdp(true)).mib()).filter((n) => COUNTED.test(n));
      for (const p of PMTU) {
        const k = KernelRouter.create(LINKS, [], NEIGH, SYSCTLS, 'ownsrc');
        made.push(k);
        expect(spawnSync('ip', ['-n', k.router, 'link', 'set', 'lo', 'up']).status).toBe(0);
        const kern = k.send(p.steps.map((s) => ['eth0', s.frame]));
        p.steps.forEach((s, i) => {
          expect({ what: p.what, step: i, counters: kernelMib(kern[i]!.counters, names) }).toEqual({ what: p.what, step: i, counters: s.up });
          expect(kern[i]!.tx.get('eth0') ?? []).toEqual([]);
        });
      }
    }, 60_000);
  });
});
