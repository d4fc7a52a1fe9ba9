// `vlan type` (issue 15): the protocol after an 802.1Q tag (nft_payload's link-layer base at 16, behind nft's
// `meta iiftype ether` and `ether type 8021q` dependencies) in a netdev ingress chain, against the kernel: a Linux
// router in namespaces loaded with `nft -f` and wxdp with the same file, the same tagged and untagged frames sent into
// both on eth0. Tagged frames go no further in either (no VLAN device on eth0), so the counters are what is compared;
// the untagged one is forwarded. Then nft's listing of `vlan type` with and without the dependency it shows, and its
// errors with their lines and columns.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { eth, ipv4, stackUnready, udp4 } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { H0, M0 } from './ct_support.js';
import { expectOursAsKernel, kernelNftRun } from './nft_kernel_support.js';
import { expectSequenceAsNft, expectTextRefusedAsNft, nftAgainst, nftSession } from './nft_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const RULESET = `table netdev vt {
	chain in0 {
		type filter hook ingress device "eth0" priority filter; policy accept;
		vlan type ip counter
		vlan type arp counter
		vlan id 10 vlan type ip6 counter
		vlan type { ip6, 0x88cc } counter
		vlan type != ip counter
		vlan type ip ip saddr 192.0.2.2 udp dport 3611 counter
		ether type 8021q vlan type 0x88cc counter
	}
}
`;

const udp = (dport: number, i: number): Uint8Array => ipv4({ src: '192.0.2.2', dst: '203.0.113.5', proto: 17, id: 0x4900 + i }, udp4('192.0.2.2', '203.0.113.5', 4000 + i, dport, new Uint8Array(32).fill(i)));
/** A frame tagged with `tci` (802.1Q) carrying `type`'s packet. */
const tagged = (tci: number, type: number, payload: Uint8Array): Uint8Array => eth({ dst: M0, src: H0, type: 0x8100 }, Uint8Array.from([tci >> 8, tci & 0xff, type >> 8, type & 0xff, ...payload]));
const arp = Uint8Array.from([0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 2, 1, 192, 0, 2, 2, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1]);
// [what, frame]: the IP datagrams are 60 bytes, the ARP packet 28, the others as long as their filler
const FRAMES = [
  tagged(10, 0x0800, udp(3610, 0)),
  tagged(10, 0x0800, udp(3611, 1)),
  tagged(20, 0x0806, arp),
  tagged(10, 0x86dd, new Uint8Array(48).fill(0x60)),
  tagged(30, 0x88cc, new Uint8Array(46).fill(2)),
  eth({ dst: M0, src: H0, type: 0x0800 }, udp(3610, 5)),
];

describe.skipIf(unready !== '' || noKernel !== '')(`vlan type at ingress against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RULESET, FRAMES, 'nf47vt');

  it(`counts what the kernel counts of ${FRAMES.length} frames, forwards the untagged one and lists the ruleset as nft does`, async () => {
    await expectOursAsKernel(kern, RULESET, FRAMES, [[0, 5, 0, 5], [3610, 1, 1, 5]]);
    const list = kern.lists['0 list ruleset']!;
    // derived by hand (counters count skb->len at ingress: the packet after the tag); the untagged frame fails the
    // `ether type 8021q` dependency of each rule
    for (const line of [
      'ether type 8021q vlan type ip counter packets 2 bytes 120',
      'ether type 8021q vlan type arp counter packets 1 bytes 28',
      'vlan id 10 vlan type ip6 counter packets 1 bytes 48',
      'vlan type { ip6, 0x88cc } counter packets 2 bytes 94',
      'ether type 8021q vlan type != ip counter packets 3 bytes 122',
      'ether type 8021q ip saddr 192.0.2.2 udp dport 3611 counter packets 1 bytes 60',
      'ether type 8021q vlan type 0x88cc counter packets 1 bytes 46',
    ]) expect(list).toContain(`\t\t${line}\n`);
  });
});

const { nsa, skip, why } = nftAgainst('nf47vn');
const ruleFile = (rule: string): string => `table netdev t {\n\tchain c {\n\t\ttype filter hook ingress device "eth0" priority filter; policy accept;\n\t\t${rule}\n\t}\n}\n`;

describe.skipIf(skip)(`vlan type, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'nf47vn');

  it('lists vlan type as nft does: the ether type 8021q it shows or leaves out, in netdev and ip tables', () => {
    expectSequenceAsNft(s.ns, s.dp, [
      'add table netdev x',
      'add chain netdev x a { type filter hook ingress device eth0 priority 0; }',
      ...[
        'vlan type ip',
        'vlan type ip vlan id 5',
        'vlan id 5 vlan type ip',
        'vlan type ip ip saddr 192.0.2.1',
        'vlan type ip udp dport 5',
        'vlan type ip6 vlan pcp 3',
        'counter vlan type arp',
        'vlan id 5 counter vlan type arp',
        'ether type vlan vlan type arp',
        'ether saddr 02:00:00:00:00:01 vlan type arp',
        'vlan type vlan',
        'vlan type ip counter vlan type arp',
        'vlan type vmap { ip : accept, arp : drop }',
      ].map((r) => `add rule netdev x a ${r}`),
      'add table ip y',
      'add chain ip y c { type filter hook input priority 0; }',
      'add rule ip y c vlan type ip',
      'add rule ip y c vlan id 4 vlan type ip',
      'list ruleset',
      'flush ruleset',
    ]);
  });

  const refusals: Array<[string, string]> = [
    ['an Ethernet protocol nft does not know', ruleFile('vlan type foo')],
    ['an Ethernet protocol out of range', ruleFile('vlan type 70000 counter')],
    ['a word after vlan it does not know', ruleFile('vlan typo ip')],
  ];
  it.each(refusals)('refuses %s as nft does, at its line and column', (label, text) => expectTextRefusedAsNft(s, text, label));
});
