// `meta pkttype set` in a netdev chain at ingress (nft_meta_set_eval: a type of host, broadcast, multicast or otherhost
// replaces another of them; nft_meta_set_validate takes it at NF_NETDEV_INGRESS only): the skb carries it on to ip_rcv /
// ipv6_rcv, which drop PACKET_OTHERHOST, and to ip_forward / ip6_forward, which forward PACKET_HOST only. Rules listed
// alike and refused alike with nft 1.0.6; then frames to the router's MAC, to another host's, to broadcast and
// multicast through a Linux 6.18 router in namespaces and through wxdp — with the netdev table alone (wxdp's lean
// forwarding and receive paths run then) and with an ip table reading the type at prerouting: the same frames out, the
// same counters.

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat, eth, Fixture, ipv4, ipv6, stackUnready, udp4 } from '../net/support.js';
import { KernelRouter, kernelUnavailable } from '../net/kernel.js';
import { H0, H1, M0, M1, l4over6, udpBytes, sentCompleted, TOPO_DUAL } from './ct_support.js';
import { expectSequenceAsNft, nftAgainst, nftSession } from './nft_support.js';

const { nsa, skip, why } = nftAgainst('nft58p');

const SEQUENCE = [
  'add table netdev n',
  'add chain netdev n i { type filter hook ingress devices = { lo } priority 0; }',
  'add rule netdev n i meta pkttype set host',
  'add rule netdev n i udp dport 53 meta pkttype set other counter',
  'add rule netdev n i pkttype set broadcast',
  'add rule netdev n i meta pkttype set 7',
  'add rule netdev n i meta pkttype set foo',
  'add chain netdev n r',
  'add rule netdev n r meta pkttype set multicast',
  'add rule netdev n i jump r',
  'add chain netdev n e { type filter hook egress devices = { lo } priority 0; }',
  'add rule netdev n e meta pkttype set host',
  'add rule netdev n e jump r',
  'list ruleset',
];

describe.skipIf(skip)(`meta pkttype set in a netdev chain, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'nft58p');

  it(`takes and refuses rules as nft does, each at its place (${SEQUENCE.length} commands)`, () => {
    expectSequenceAsNft(s.ns, s.dp, SEQUENCE);
  });
});

const NETDEV = `table netdev n {
	chain in0 {
		type filter hook ingress device "eth0" priority filter; policy accept;
		udp dport 5901 meta pkttype set other counter
		udp dport 5902 meta pkttype set host counter
		udp dport 5903 meta pkttype set broadcast counter
		udp dport 5904 meta pkttype set host counter
		udp dport 5905 meta pkttype set 7 counter
		udp dport 5906 meta pkttype set multicast
		udp dport 5906 meta pkttype multicast counter
		udp dport 5907 meta pkttype set other
		udp dport 5907 meta pkttype set host counter
		udp dport 5908 meta pkttype set other counter
		udp dport 5909 meta pkttype host counter
	}
}
`;
const IPT = `table ip a {
	chain pre {
		type filter hook prerouting priority filter; policy accept;
		meta pkttype host counter
		meta pkttype broadcast counter
		meta pkttype multicast counter
		meta pkttype other counter
	}
}
`;

const IN = '192.0.2.2';
const OUT = '203.0.113.5';
const OTHER = '02:00:00:00:09:09';
/** A UDP datagram from the inside host to OUT:`dport`, to the link-layer address `dmac`. */
const dgram = (dport: number, dmac = M0, sport = 6900): [string, Uint8Array] =>
  ['eth0', eth({ dst: dmac, src: H0, type: 0x0800 }, ipv4({ src: IN, dst: OUT, proto: 17, id: 0x5900 + dport - 5900 }, udp4(IN, OUT, sport, dport, new Uint8Array(8).fill(9))))];
/** The same over IPv6 to 2001:db8:3::5. */
const dgram6 = (dport: number, dmac = M0): [string, Uint8Array] =>
  ['eth0', eth({ dst: dmac, src: H0, type: 0x86dd }, ipv6({ src: '2001:db8:1::2', dst: '2001:db8:3::5', nh: 17, hlim: 64 }, concat(l4over6('2001:db8:1::2', '2001:db8:3::5', 17, udpBytes(6900, dport, new Uint8Array(8).fill(6))))))];

// 5901 host made otherhost: dropped by ip_rcv; 5902 otherhost made host: forwarded; 5903 host made broadcast and 5906
// multicast: not forwarded; 5904 broadcast made host: forwarded; 5905 type 7: nothing changes; 5907 otherhost and back
// to host; 5908 (IPv6) host made otherhost: dropped by ipv6_rcv; 5902 (IPv6) otherhost made host: forwarded; 5909 the
// address's type when no rule sets it.
const FRAMES: Array<[string, Uint8Array]> = [
  dgram(5901), dgram(5902, OTHER), dgram(5903), dgram(5904, 'ff:ff:ff:ff:ff:ff'), dgram(5905), dgram(5905, OTHER),
  dgram(5906), dgram(5907), dgram(5909), dgram(5909, OTHER),
  dgram6(5908), dgram6(5902, OTHER), dgram6(5909),
  // a burst's worth of plain forwards among them (the lean paths' share)
  dgram(5910), dgram(5901, M0, 6901), dgram(5910, M0, 6902),
];



const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

describe.skipIf(unready !== '' || noKernel !== '')(`meta pkttype set at netdev ingress, the stack against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  let k: KernelRouter | undefined;
  const kern = { alone: [] as string[][], withIp: [] as string[][], list1: '', list2: '' };
  beforeAll(() => {
    k = KernelRouter.create(TOPO_DUAL.links, TOPO_DUAL.routes, TOPO_DUAL.neigh, TOPO_DUAL.sysctls, 'nft58p');
    const inR = (cmd: string, args: string[], input?: string): string => {
      const r = spawnSync('ip', ['netns', 'exec', k!.router, cmd, ...args], { input, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    for (const l of TOPO_DUAL.links) for (const f of ['ipv4', 'ipv6']) inR('sysctl', ['-qw', `net/${f}/neigh/${l.name}/retrans_time_ms=60000`]);
    inR('nft', ['-f', '-'], NETDEV);
    kern.alone = k.send(FRAMES, 0.05).map((x) => sentCompleted(x.tx, true));
    kern.list1 = inR('nft', ['list', 'ruleset']);
    inR('nft', ['-f', '-'], IPT);
    kern.withIp = k.send(FRAMES, 0.05).map((x) => sentCompleted(x.tx, true));
    kern.list2 = inR('nft', ['list', 'ruleset']);
  }, 60_000);
  afterAll(() => k?.close());

  it(`forwards what the kernel forwards of ${FRAMES.length} frames twice (netdev table alone, then an ip table too) and counts as it does`, async () => {
    const fx = await Fixture.create(TOPO_DUAL.links, TOPO_DUAL.routes, TOPO_DUAL.neigh, { sysctls: TOPO_DUAL.sysctls });
    fx.dp.nft(NETDEV);
    // one burst (the lean paths decide for a whole burst): the same frames out, in any order
    const eth0 = fx.devs.get('eth0')!;
    for (const [, f] of FRAMES) expect(eth0.inject(f)).toBe(true);
    eth0.poll();
    expect(sentCompleted(fx.tx(), false).sort()).toEqual(kern.alone.flat().sort());
    expect(fx.dp.nft('list ruleset')).toBe(kern.list1);
    fx.dp.nft(IPT);
    expect(FRAMES.map(([d, f]) => sentCompleted(fx.rx(d, f), false))).toEqual(kern.withIp);
    expect(fx.dp.nft('list ruleset')).toBe(kern.list2);
    // not silences compared: what went through
    expect(kern.alone.map((x) => x.length)).toEqual([0, 1, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1]);
    expect(kern.withIp).toEqual(kern.alone);
    expect(kern.list2).toContain('meta pkttype host counter packets 7 ');
    expect(kern.list2).toContain('meta pkttype broadcast counter packets 1 ');
  });
});
