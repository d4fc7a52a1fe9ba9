// IPv6 extension headers matched in a netdev ingress chain (nft_exthdr_ipv6_eval, review rv56): the kernel walks an
// skb whose protocol is ETH_P_IPV6 whatever the chain's family (nft puts `meta protocol ip6` before the walk), so
// `exthdr frag exists`, `frag id` and `exthdr dst missing` match IPv6 datagrams at a device's ingress hook as they do
// in an ip6 or inet chain. wxdp walked only at the ip6 / inet hooks (pf 10) before 12-07: at netdev ingress `exists`
// read 0 and a field load broke, so no such rule ever matched and `missing` matched every datagram. A Linux router in
// namespaces loaded with `nft -f` and wxdp with the same file; the same frames into eth0, what each forwarded on eth1
// compared frame by frame, then `list ruleset` (its counters) byte for byte.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { concat, eth, ipv6, optHdr, stackUnready } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { H0, LINKS, LINKS6, M0, NEIGH, NEIGH6, ROUTES, ROUTES6, l4over6, udpBytes } from './ct_support.js';
import { expectOursAsKernel, kernelNftRun, type NftTopo } from './nft_kernel_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const RULESET = `table netdev x6 {
	chain in0 {
		type filter hook ingress device "eth0" priority filter; policy accept;
		exthdr frag exists udp dport 4501 counter drop
		frag id 7 counter drop
		exthdr dst missing udp dport 4503 counter drop
		dst nexthdr udp udp dport 4504 counter drop
	}
}
`;

/** A UDP datagram over IPv6 to 2001:db8:3::5 behind extension headers `ext` (each header's bytes, its next header first). */
const udpExt = (dport: number, i: number, first: number, ext: Uint8Array[]): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x86dd }, ipv6({ src: '2001:db8:1::2', dst: '2001:db8:3::5', nh: first, hlim: 64 }, concat(...ext, l4over6('2001:db8:1::2', '2001:db8:3::5', 17, udpBytes(42500 + i, dport, new Uint8Array(8).fill(i))))));
const frag = (nh: number, id: number): Uint8Array => Uint8Array.of(nh, 0, 0, 0, 0, 0, 0, id);
const dstOpts = (nh: number): Uint8Array => optHdr(nh, [1, 4, 0, 0, 0, 0]);

// [dport, frames, how many go through (derived by hand), host]
const RUNS: Array<[number, number, number, number]> = [
  [4501, 2, 1, 5], // an atomic fragment: dropped; no fragment header: through
  [4502, 2, 1, 5], // fragment id 7 dropped (whatever the port), 8 through
  [4503, 2, 1, 5], // no destination options: dropped; with them: through
  [4504, 2, 1, 5], // destination options before UDP: dropped; before another destination options header: through
];
const FRAMES = [
  udpExt(4501, 0, 44, [frag(17, 1)]),
  udpExt(4501, 1, 17, []),
  udpExt(4502, 0, 44, [frag(17, 7)]),
  udpExt(4502, 1, 44, [frag(17, 8)]),
  udpExt(4503, 0, 17, []),
  udpExt(4503, 1, 60, [dstOpts(17)]),
  udpExt(4504, 0, 60, [dstOpts(17)]),
  udpExt(4504, 1, 60, [dstOpts(60), dstOpts(17)]),
];

const TOPO: NftTopo = {
  links: LINKS.map((l, i) => ({ ...l, v6: LINKS6[i]!.v6 })),
  routes: [...ROUTES, ...ROUTES6],
  neigh: [...NEIGH, ...NEIGH6],
  sysctls: { 'net.ipv6.conf.all.forwarding': 1 },
};

describe.skipIf(unready !== '' || noKernel !== '')(`IPv6 extension headers at netdev ingress, the stack against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RULESET, FRAMES, 'rv56xn', ['list ruleset'], 'eth1', TOPO);

  it(`forwards what the kernel forwards of ${FRAMES.length} frames and counts as it does`, async () => {
    await expectOursAsKernel(kern, RULESET, FRAMES, RUNS, TOPO);
    // the kernel's own counts (by hand): one frame per rule
    const list = kern.lists['0 list ruleset']!;
    expect(list).toContain('exthdr frag exists udp dport 4501 counter packets 1');
    expect(list).toContain('frag id 7 counter packets 1');
    expect(list).toContain('exthdr dst missing udp dport 4503 counter packets 1');
    expect(list).toContain('dst nexthdr udp udp dport 4504 counter packets 1');
  });
});
