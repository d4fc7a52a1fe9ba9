// nft_fib's lookup is a flow of the packet's protocol (nft_fib4_eval / nft_fib6_eval: flowi_proto = pkt->tprot), so
// policy rules by protocol (`ip rule add ipproto udp lookup 100`) pick its table as they pick the forward route's
// (rv55: wxdp's fib looked up with protocol 0, so such a rule never matched and a UDP source routed only by table 100
// was `missing`). Frames through a Linux 6.18 router in namespaces and through wxdp, counters listed alike.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { eth, ipv4, ipv6, stackUnready, udp4, udp6 } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { H0, LINKS, LINKS6, M0, NEIGH, NEIGH6, ROUTES, ROUTES6 } from './ct_support.js';
import { kernelNftRun, oursNftRun, type NftTopo } from './nft_kernel_support.js';

const RULESET = `table inet f {
	chain pre {
		type filter hook prerouting priority filter; policy accept;
		udp dport 3401 fib saddr oif missing counter drop
		udp dport 3402 fib saddr . iif oif missing counter drop
		udp dport 3403 fib saddr oif missing counter
		udp dport 3403 fib saddr oif exists counter
		udp dport 3403 fib saddr . iif oif missing counter
		udp dport 3404 fib saddr type broadcast counter
		udp dport 3404 fib saddr type unicast counter
		udp dport 3404 fib saddr . iif type broadcast counter
	}
}
`;

const dgram = (src: string, dst: string, dport: number, i: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src, dst, proto: 17, id: 0x5500 + i }, udp4(src, dst, 4400 + i, dport, new Uint8Array(8).fill(i))));
const dgram6 = (src: string, dst: string, dport: number, i: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x86dd }, ipv6({ src, dst, nh: 17 }, udp6(src, dst, 4400 + i, dport, new Uint8Array(8).fill(i))));

// sources routed only by table 100, which only UDP looks up: through (v4, v6); unrouted ones: dropped
const FRAMES = [
  dgram('10.9.9.1', '203.0.113.5', 3401, 0),
  dgram('10.8.8.1', '203.0.113.5', 3401, 1),
  dgram('10.9.9.1', '203.0.113.5', 3402, 2),
  dgram6('2001:db8:9::1', '2001:db8:3::5', 3401, 3),
  dgram6('2001:db8:8::1', '2001:db8:3::5', 3401, 4),
  dgram6('2001:db8:9::1', '2001:db8:3::5', 3402, 5),
  dgram6('fe80::2', '2001:db8:3::5', 3403, 6),
  // inet_dev_addr_type of 0.1.2.3: unicast (only 0.0.0.0 and the limited broadcast are broadcast; measured)
  dgram('0.1.2.3', '203.0.113.5', 3404, 7),
];
const TOPO: NftTopo = {
  links: LINKS.map((l, i) => ({ ...l, v6: LINKS6[i]!.v6 })),
  routes: [...ROUTES, ...ROUTES6],
  neigh: [...NEIGH, ...NEIGH6],
  sysctls: { 'net.ipv6.conf.all.forwarding': 1 },
  ip: [
    'route add 10.9.9.0/24 via 192.0.2.2 dev eth0 table 100',
    '-6 route add 2001:db8:9::/48 via 2001:db8:1::2 dev eth0 table 100',
    'rule add ipproto udp lookup 100 pref 100',
    '-6 rule add ipproto udp lookup 100 pref 100',
  ],
};

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

describe.skipIf(unready !== '' || noKernel !== '')(`fib and rules by protocol, the stack against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RULESET, FRAMES, 'rv55f', ['list ruleset'], 'eth1', TOPO);

  it('looks up with the packet\'s protocol, as the kernel does', async () => {
    const { fx, out } = await oursNftRun(RULESET, FRAMES, 'eth1', TOPO);
    // the kernel forwards the sources table 100 routes, drops the others
    expect(kern.out.map((x) => x.length)).toEqual([1, 0, 1, 1, 0, 1, 0, 1]);
    expect(out).toEqual(kern.out);
    expect(kern.lists['0 list ruleset']).toMatch(/3404 fib saddr type unicast counter packets 1 /);
    expect(fx.dp.nft('list ruleset')).toBe(kern.lists['0 list ruleset']);
  });
});
