// `fib` (nft_fib: a route lookup by the packet's addresses — the reverse path filter `fib saddr . iif oif missing
// drop`, `fib daddr type local`), which wxdp refused with a syntax error before 12-07 (nfb54): rules listed alike
// with nft 1.0.6, refusals at nft's places (the grammar's tuple checks, nft_fib_validate's hooks), then frames with
// valid and spoofed sources through a Linux 6.18 router in namespaces and through wxdp, counters listed alike.
// One router with both families: an ip table (IPv4's rules), an inet one (the reverse path filter for IPv4 and
// IPv6, nft_fib6_eval's oif) and an ip6 one (nft_fib6_eval_type, 12-07 nfc54: each address type counted).

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eth, ipv4, ipv6, stackUnready, udp4, udp6 } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { H0, LINKS, LINKS6, M0, NEIGH, NEIGH6, ROUTES, ROUTES6 } from './ct_support.js';
import { kernelNftRun, oursNftRun, type NftTopo } from './nft_kernel_support.js';
import { expectSequenceAsNft, loadListedAsNft, nftAgainst, nftSession, passedPerRun } from './nft_support.js';

const { nsa, skip, why } = nftAgainst('nfb54');

const RULES = [
  'fib saddr . iif oif missing drop',
  'fib saddr . iif oif exists',
  'fib daddr type local accept',
  'fib daddr type { broadcast, multicast } drop',
  'fib daddr . iif type != { local, broadcast, multicast } drop',
  'fib saddr oif missing',
  'fib saddr . iif . mark oif missing', // listed in flag order: saddr . mark . iif
  'fib saddr . iif oif "lo"',
  'fib saddr . iif oifname "lo"',
  'fib daddr type vmap { blackhole : drop, prohibit : drop, unicast : accept }',
  'fib daddr type 42',
  'fib daddr type != local',
  'fib daddr . iif type local counter',
  // interface indexes as numbers (ifindex_type_parse): a device's listed by its name, an absent one as the number
  'fib saddr . iif oif != 0',
  'fib daddr oif 7',
  'fib daddr oif 1',
  'meta oif 0x7',
  'meta iif 007',
  'meta iif { 1, 7 }',
  'fib daddr oif vmap { 1 : accept, 5 : drop }',
  'meta oif 2147483647',
];
const OUTPUT = ['fib daddr type local', 'fib daddr . oif type local'];

const REFUSED = [
  'add table ip t',
  'add chain ip t o { type filter hook output priority 0; }',
  'add chain ip t p { type filter hook prerouting priority 0; }',
  'add chain ip t post { type filter hook postrouting priority 0; }',
  'add rule ip t o fib saddr . iif oif missing drop',
  'add rule ip t post fib saddr oif exists',
  'add rule ip t o fib daddr . iif type local',
  'add rule ip t p fib daddr . oif type local',
  'add rule ip t p fib saddr . daddr oif lo',
  'add rule ip t p fib mark oif lo',
  'add rule ip t p fib iif . oif . daddr oif lo',
  'add rule ip t p fib saddr oif',
  'add rule ip t p fib saddr type foo',
  'add rule ip t p fib saddr . iif oif eth9',
  'add rule ip t p fib saddr oifname exists',
  'add rule ip t p meta oif 2147483648',
  'add rule ip t p fib daddr oif "0x7"',
  'add table inet i',
  'add chain inet i p { type filter hook prerouting priority 0; }',
  'add rule inet i p fib saddr . iif oif missing drop',
  'list ruleset',
];

describe.skipIf(skip)(`fib, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'nfb54');

  it(`takes ${RULES.length + OUTPUT.length} rules and lists them as nft does`, () => {
    const file = join(s.dir, 'fib.nft');
    const chain = (name: string, hook: string, rules: string[]): string[] => [`\tchain ${name} {`, `\t\ttype filter hook ${hook} priority 0; policy accept;`, ...rules.map((r) => `\t\t${r}`), '\t}'];
    writeFileSync(file, ['table ip f {', ...chain('pre', 'prerouting', RULES), ...chain('out', 'output', OUTPUT), '}', ''].join('\n'));
    loadListedAsNft(s.ns, s.dp, file);
    expectSequenceAsNft(s.ns, s.dp, ['delete table ip f']);
  });

  it(`refuses ${REFUSED.length - 7} rules as nft does, each at its place`, () => {
    expectSequenceAsNft(s.ns, s.dp, REFUSED);
  });
});

const RULESET = `table ip f {
	chain pre {
		type filter hook prerouting priority filter; policy accept;
		udp dport 3301 fib saddr . iif oif missing counter drop
		udp dport 3302 fib daddr type local counter drop
		udp dport 3303 fib daddr type { broadcast, multicast } counter drop
		udp dport 3304 fib saddr oif missing counter drop
		udp dport 3305 fib saddr . iif oif "eth0" counter
		udp dport 3305 fib saddr oifname "eth1" counter
		udp dport 3306 fib daddr . iif type != { local, broadcast, multicast } counter drop
		udp dport 3313 fib saddr . iif oif != 0 counter drop
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		udp dport 3307 fib saddr . iif oif missing counter drop
		udp dport 3308 fib daddr oif "eth1" counter
		udp dport 3308 fib daddr oifname "eth1" counter
		udp dport 3308 fib daddr . iif oif missing counter
	}
}
table inet g {
	chain pre {
		type filter hook prerouting priority filter; policy accept;
		udp dport 3309 fib saddr . iif oif missing counter drop
		udp dport 3310 fib saddr oif "eth1" counter drop
		udp dport 3310 fib daddr . iif oif exists counter drop
		udp dport 3312 fib daddr . iif type local counter
		udp dport 3312 fib daddr . iif type unicast counter
		udp dport 3312 fib daddr . iif type anycast counter
	}
}
table ip6 h {
	chain pre {
		type filter hook prerouting priority filter; policy accept;
		udp dport 3311 fib daddr type local counter
		udp dport 3311 fib daddr type unicast counter
		udp dport 3311 fib daddr type anycast counter
		udp dport 3311 fib daddr type multicast counter
		udp dport 3311 fib daddr type blackhole counter
		udp dport 3311 fib daddr type prohibit counter
		udp dport 3311 fib daddr type unreachable counter
		udp dport 3311 fib saddr type != unicast counter
	}
}
`;

/** An IPv6 UDP datagram in on eth0 from `src` to `dst`. */
const dgram6 = (src: string, dst: string, dport: number, i: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x86dd }, ipv6({ src, dst, nh: 17 }, udp6(src, dst, 4300 + i, dport, new Uint8Array(8).fill(i))));

/** A UDP datagram in on eth0 from `src` to `dst`. */
const dgram = (src: string, dst: string, dport: number, i: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src, dst, proto: 17, id: 0x5400 + i }, udp4(src, dst, 4300 + i, dport, new Uint8Array(8).fill(i))));

// [dport, frames, how many go through, unused]; the frames below in the same order
const RUNS: Array<[number, number, number, number]> = [
  [3301, 1, 1, 0], // the inside host's own source: through
  [3301, 3, 0, 0], // spoofed: a source routed out of eth1, one on eth1's subnet, one with no route at all
  [3302, 1, 1, 0], // not local: through
  [3303, 1, 1, 0], // a unicast destination: through
  [3304, 2, 1, 0], // a routed source goes through, one with no route does not
  [3305, 2, 2, 0], // counted by one rule or the other
  [3306, 1, 0, 0], // a forwarded destination is unicast: dropped
  [3307, 2, 1, 0], // in forward: the inside source through, a spoofed one dropped
  [3308, 1, 1, 0],
  [3309, 5, 2, 0], // inet: IPv4 and IPv6 from the inside through, spoofed and unroutable IPv6 sources dropped
  [3310, 3, 1, 0], // a source routed out of eth1 dropped (v4 and v6); a destination routed back out of eth0 through
  // ip6 address types (each its counter): eth0's and eth1's own addresses, a forwarded one, the subnet-router anycast,
  // all-nodes, a blackhole, a prohibit and an unrouted destination; only the forwarded one goes out of eth1
  [3311, 8, 1, 0],
  // with iif: eth1's address is no local one of eth0 (unicast), eth0's is
  [3312, 3, 1, 0],  [3313, 2, 1, 0], // an index as a number: the inside source has a route back through eth0 (dropped), a spoofed one not
];
const FRAMES = [
  dgram('192.0.2.2', '203.0.113.5', 3301, 0),
  dgram('203.0.113.9', '203.0.113.5', 3301, 1),
  dgram('198.51.100.7', '203.0.113.5', 3301, 2),
  dgram('10.0.0.1', '203.0.113.5', 3301, 3),
  dgram('192.0.2.2', '203.0.113.5', 3302, 4),
  dgram('192.0.2.2', '203.0.113.255', 3303, 5),
  dgram('203.0.113.9', '203.0.113.5', 3304, 6),
  dgram('10.0.0.1', '203.0.113.5', 3304, 7),
  dgram('192.0.2.2', '203.0.113.5', 3305, 8),
  dgram('203.0.113.9', '203.0.113.5', 3305, 9),
  dgram('192.0.2.2', '203.0.113.5', 3306, 10),
  dgram('192.0.2.2', '203.0.113.5', 3307, 11),
  dgram('203.0.113.9', '203.0.113.5', 3307, 12),
  dgram('192.0.2.2', '203.0.113.5', 3308, 13),
  dgram('192.0.2.2', '203.0.113.5', 3309, 14),
  dgram6('2001:db8:1::2', '2001:db8:3::5', 3309, 15),
  dgram6('2001:db8:3::9', '2001:db8:3::5', 3309, 16),
  dgram6('2001:db8:2::7', '2001:db8:3::5', 3309, 17),
  dgram6('2001:db8:99::1', '2001:db8:3::5', 3309, 18),
  dgram('203.0.113.9', '203.0.113.5', 3310, 19),
  dgram6('2001:db8:3::9', '2001:db8:3::5', 3310, 20),
  dgram6('2001:db8:1::2', '2001:db8:3::5', 3310, 21),
  ...['2001:db8:1::1', '2001:db8:2::1', '2001:db8:3::5', '2001:db8:2::', 'ff02::1', '2001:db8:4::1', '2001:db8:5::1', '2001:db8:99::1'].map((d, i) => dgram6('2001:db8:1::2', d, 3311, 22 + i)),
  ...['2001:db8:1::1', '2001:db8:2::1', '2001:db8:3::5'].map((d, i) => dgram6('2001:db8:1::2', d, 3312, 30 + i)),
  dgram('192.0.2.2', '203.0.113.5', 3313, 33),
  dgram('203.0.113.9', '203.0.113.5', 3313, 34),
];
const TOPO: NftTopo = {
  links: LINKS.map((l, i) => ({ ...l, v6: LINKS6[i]!.v6 })),
  routes: [...ROUTES, ...ROUTES6, { dst: '2001:db8:4::/48', dev: 'eth1', type: 'blackhole' }, { dst: '2001:db8:5::/48', dev: 'eth1', type: 'prohibit' }],
  neigh: [...NEIGH, ...NEIGH6],
  sysctls: { 'net.ipv6.conf.all.forwarding': 1 },
};

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

describe.skipIf(unready !== '' || noKernel !== '')(`fib, the stack against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RULESET, FRAMES, 'nfb54x', ['list ruleset'], 'eth1', TOPO);

  it(`forwards what the kernel forwards of ${FRAMES.length} frames, and counts as it does`, async () => {
    const { fx, out } = await oursNftRun(RULESET, FRAMES, 'eth1', TOPO);
    expect(out).toEqual(kern.out);
    expect(passedPerRun(kern.out, RUNS.map(([a, b, c]) => [a, 0, b, c] as const))).toEqual(RUNS.map((r) => r[2]));
    expect(fx.dp.nft('list ruleset')).toBe(kern.lists['0 list ruleset']);
  });
});
