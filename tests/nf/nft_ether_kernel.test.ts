// Ethernet header matches against the kernel (issue 15): `ether saddr`, `ether daddr`, `ether type` (nft_payload's
// link-layer base, behind nft's `meta iiftype ether` dependency), `meta protocol` (skb->protocol), sets of them and an
// `ether saddr . ip saddr` concatenation (its ip dependency then `ether type ip`), in a netdev ingress chain. A Linux
// router in namespaces loaded with `nft -f` and wxdp with the same file; the same frames sent into both on eth0, what
// each forwarded on eth1 compared frame by frame, then `list ruleset` byte for byte. Then nft's listing of more forms
// and its errors (a bad MAC address, a bad Ethernet protocol) with their lines and columns.

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eth, ipv4, stackUnready, udp4 } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { H0, M0 } from './ct_support.js';
import { expectOursAsKernel, kernelNftRun } from './nft_kernel_support.js';
import { expectRefusedAsNft, expectSequenceAsNft, nftAgainst, nftSession } from './nft_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

/**
 * `ruleset` through the kernel and wxdp (namespaces named `prefix`): the same frames forwarded, each run's count as
 * derived by hand ([dport, frames, through, host]), the listings equal and holding the `counted` lines (by hand).
 */
function againstKernel(what: string, prefix: string, ruleset: string, frames: Uint8Array[], runs: ReadonlyArray<readonly [number, number, number, number]>, counted: readonly string[]): void {
  describe.skipIf(unready !== '' || noKernel !== '')(`${what} against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
    const kern = kernelNftRun(ruleset, frames, prefix);
    it(`forwards and counts what the kernel does of ${frames.length} frames and lists the ruleset as nft does`, async () => {
      await expectOursAsKernel(kern, ruleset, frames, runs);
      for (const line of counted) expect(kern.lists['0 list ruleset']).toContain(line);
    });
  });
}

const RULESET = `table netdev et {
	chain in0 {
		type filter hook ingress device "eth0" priority filter; policy accept;
		ether saddr 02:00:00:00:02:09 drop
		ether saddr { 02:00:00:00:02:0a, 02:00:00:00:02:0b } counter drop
		ether daddr 02:00:00:00:01:00 udp dport 3401 counter
		ether type ip udp dport 3401 counter
		meta protocol ip6 counter drop
		udp dport 3402 meta protocol { ip, arp } counter drop
		ether saddr . ip saddr { 02:00:00:00:02:0c . 192.0.2.2 } counter drop
		ether type != ip counter
		ether daddr != 02:00:00:00:01:00 counter
	}
}
`;

const dgram = (src: string, dport: number, ipLen: number, i: number): Uint8Array =>
  eth({ dst: M0, src, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '203.0.113.5', proto: 17, id: 0x4600 + i }, udp4('192.0.2.2', '203.0.113.5', 4000 + i, dport, new Uint8Array(ipLen - 28).fill(i))));

// [dport, IP length, frames, how many the chain lets through (derived by hand), source MAC]
const RUNS: Array<[number, number, number, number, string]> = [
  [3400, 60, 2, 2, H0], // nothing matches: forwarded
  [3400, 60, 1, 0, '02:00:00:00:02:09'], // ether saddr drop
  [3400, 64, 2, 0, '02:00:00:00:02:0b'], // in the set: counted (2 × 64), dropped
  [3401, 70, 2, 2, H0], // counted by ether daddr and by ether type (2 × 70 each), forwarded
  [3402, 60, 1, 0, H0], // meta protocol in { ip, arp }: counted, dropped
  [3403, 60, 1, 0, '02:00:00:00:02:0c'], // ether saddr . ip saddr in the set: counted, dropped
  [3403, 60, 1, 1, '02:00:00:00:02:0d'], // the same address from another MAC: forwarded
];
const FRAMES = RUNS.flatMap(([dport, len, n, , src]) => Array.from({ length: n }, (_, i) => dgram(src, dport, len, i)));

// counters count skb->len at ingress: the IP datagram
againstKernel('ether and meta protocol matches through the stack', 'et46k', RULESET, FRAMES, RUNS.map(([dport, , n, through]) => [dport, n, through, 5] as const), [
  'ether saddr { 02:00:00:00:02:0a, 02:00:00:00:02:0b } counter packets 2 bytes 128 drop',
  'ether daddr 02:00:00:00:01:00 udp dport 3401 counter packets 2 bytes 140',
  'udp dport 3402 meta protocol { ip, arp } counter packets 1 bytes 60 drop',
  'ether saddr . ip saddr { 02:00:00:00:02:0c . 192.0.2.2 } counter packets 1 bytes 60 drop',
  'ether type != ip counter packets 0 bytes 0',
]);

// The ip families read the same header through the link-layer base where the kernel's skb->mac_header still points
// at the received frame's: prerouting, forward, postrouting of a forwarded datagram (the new header is pushed after).
const IP_RULESET = `table ip pre {
	chain p {
		type filter hook prerouting priority filter; policy accept;
		ether saddr 02:00:00:00:02:21 counter drop
		meta protocol ip ether daddr 02:00:00:00:01:00 udp dport 3501 counter
	}
}
table inet fw {
	set macs {
		type ether_addr
		elements = { 02:00:00:00:02:26 }
	}

	chain f {
		type filter hook forward priority filter; policy accept;
		ether saddr { 02:00:00:00:02:22, 02:00:00:00:02:23 } counter drop
		ether saddr . ip saddr { 02:00:00:00:02:24 . 192.0.2.2 } counter drop
		ether saddr @macs counter drop
	}
	chain post {
		type filter hook postrouting priority filter; policy accept;
		ether saddr 02:00:00:00:02:25 counter drop
		ether type ip udp dport 3502 counter
	}
}
`;
// [dport, IP length, frames, how many go through (derived by hand), source MAC]
const IP_RUNS: Array<[number, number, number, number, string]> = [
  [3500, 60, 1, 1, H0], // nothing matches: forwarded
  [3500, 60, 2, 0, '02:00:00:00:02:21'], // prerouting's ether saddr: counted, dropped
  [3501, 66, 2, 2, H0], // prerouting's daddr rule counts (2 × 66), forwarded
  [3500, 60, 1, 0, '02:00:00:00:02:23'], // forward's set: dropped
  [3500, 60, 1, 0, '02:00:00:00:02:24'], // forward's concatenation: dropped
  [3500, 68, 2, 0, '02:00:00:00:02:26'], // forward's named set: counted (2 × 68), dropped
  [3500, 60, 1, 0, '02:00:00:00:02:25'], // postrouting still sees the received header: dropped
  [3502, 62, 1, 1, H0], // postrouting's ether type ip counts (62), forwarded
];
const IP_FRAMES = IP_RUNS.flatMap(([dport, len, n, , src]) => Array.from({ length: n }, (_, i) => dgram(src, dport, len, i)));

againstKernel('ether matches in ip and inet chains', 'et46i', IP_RULESET, IP_FRAMES, IP_RUNS.map(([dport, , n, through]) => [dport, n, through, 5] as const), [
  'ether saddr 02:00:00:00:02:21 counter packets 2 bytes 120 drop',
  'udp dport 3501 counter packets 2 bytes 132',
  'ether saddr . ip saddr { 02:00:00:00:02:24 . 192.0.2.2 } counter packets 1 bytes 60 drop',
  'ether saddr 02:00:00:00:02:25 counter packets 1 bytes 60 drop',
  'ether saddr @macs counter packets 2 bytes 136 drop',
  'udp dport 3502 counter packets 1 bytes 62',
]);

// VLAN tags at ingress: the kernel takes the outer tag out of the packet before the hook (skb_vlan_untag) and
// nft_payload puts it back for link-layer reads; wxdp leaves it in the frame. Tagged frames go no further (no VLAN
// device on eth0, in either), so the counters are what is compared.
const VLAN_RULESET = `table netdev vl {
	chain in0 {
		type filter hook ingress device "eth0" priority filter; policy accept;
		vlan id 10 counter
		vlan id { 20, 30 } vlan pcp 5 counter
		vlan dei 1 counter
		vlan id 10 ip saddr 192.0.2.2 udp dport 3601 counter
		vlan pcp != 0 counter
		ether type vlan counter
		meta protocol ip counter
	}
}
`;
const tagged = (tci: number, dport: number, i: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x8100 }, Uint8Array.from([tci >> 8, tci & 0xff, 0x08, 0x00, ...ipv4({ src: '192.0.2.2', dst: '203.0.113.5', proto: 17, id: 0x4700 + i }, udp4('192.0.2.2', '203.0.113.5', 4000 + i, dport, new Uint8Array(32).fill(i)))]));
// TCI = pcp << 13 | dei << 12 | id; each IP datagram 60 bytes
const VLAN_FRAMES = [tagged(10, 3600, 0), tagged((5 << 13) | 20, 3600, 1), tagged((5 << 13) | 30, 3600, 2), tagged((4 << 13) | 20, 3600, 3), tagged((1 << 12) | 10, 3601, 4), dgram(H0, 3600, 60, 5)];

// only the untagged frame goes through; the counts derived by hand from the TCIs
againstKernel('vlan matches at ingress', 'et46v', VLAN_RULESET, VLAN_FRAMES, [[3600, 4, 0, 5], [3601, 1, 0, 5], [3600, 1, 1, 5]], [
  'vlan id 10 counter packets 2 bytes 120',
  'vlan id { 20, 30 } vlan pcp 5 counter packets 2 bytes 120',
  'vlan dei 1 counter packets 1 bytes 60',
  'udp dport 3601 counter packets 1 bytes 60',
  'vlan pcp != 0 counter packets 3 bytes 180',
  'ether type 8021q counter packets 5 bytes 300',
  'meta protocol ip counter packets 6 bytes 360',
]);

const { nsa, skip, why } = nftAgainst('et46nt');

const ruleFile = (rule: string): string => `table netdev t {\n\tchain c {\n\t\ttype filter hook ingress device "eth0" priority filter; policy accept;\n\t\t${rule}\n\t}\n}\n`;

describe.skipIf(skip)(`ether and meta protocol rules, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'et46nt');

  it('lists ether and meta protocol matches as nft does', () => {
    expectSequenceAsNft(s.ns, s.dp, [
      'add table netdev x',
      'add chain netdev x a { type filter hook ingress device eth0 priority 0; }',
      'add rule netdev x a ether saddr 2:0:0:0:a:1 drop',
      'add rule netdev x a ether daddr 02:00:00:00:00:01/24 counter',
      'add rule netdev x a ether saddr 02:00:00:00:00:01-02:00:00:00:00:09 accept',
      'add rule netdev x a ether type { 0x0800, 0x86dd, 0x0806, 0x8100, 0x88a8, 0x1234 } counter',
      'add rule netdev x a ether type vlan counter',
      'add rule netdev x a meta protocol 0x88cc counter',
      'add rule netdev x a meta protocol != ip6 ip saddr 192.0.2.1 drop',
      'add rule netdev x a ether saddr . ip daddr { 02:00:00:00:00:01 . 192.0.2.1, 02:00:00:00:00:02 . 192.0.2.9 } accept',
      'add set netdev x macs { type ether_addr; }',
      'add element netdev x macs { 02:00:00:00:00:05, 02:00:00:00:00:04 }',
      'add rule netdev x a ether saddr @macs drop',
      'add set netdev x tmacs { typeof ether saddr; flags interval; }',
      'add element netdev x tmacs { 02:00:00:00:00:00/40, 02:00:00:00:01:05 }',
      'add rule netdev x a ether daddr != @tmacs counter',
      'add set netdev x pairs { type ether_addr . ipv4_addr; }',
      'add element netdev x pairs { 02:00:00:00:00:05 . 192.0.2.5 }',
      'add rule netdev x a ether saddr . ip saddr @pairs accept',
      'add map netdev x vm { type ether_addr : verdict; }',
      'add element netdev x vm { 02:00:00:00:00:07 : drop }',
      'add rule netdev x a ether saddr vmap @vm',
      'add rule netdev x a ether type vmap { ip : accept, arp : drop }',
      'add table ip y',
      'add chain ip y o { type filter hook output priority 0; }',
      'add rule ip y o ether saddr 02:00:00:00:00:01 meta protocol ip counter',
      'add rule ip y o meta protocol ip6 counter',
      'add rule ip y o meta protocol { ip, ip6 } udp dport 1 meta protocol ip counter',
      'add table inet z',
      'add chain inet z f { type filter hook forward priority 0; }',
      'add rule inet z f meta protocol ip ip saddr 192.0.2.1 counter',
      'add rule inet z f ether type ip6 meta l4proto udp counter',
      'add rule netdev x a meta protocol ip ip saddr 192.0.2.1 counter',
      'add rule netdev x a ether type ip ip daddr 192.0.2.1 counter',
      'add rule netdev x a meta protocol ip udp dport 1 counter',
      'add rule netdev x a meta protocol ip6 ether saddr 02:00:00:00:00:01 counter',
      'add rule netdev x a vlan id 4095 vlan cfi 0 vlan pcp { 1-3, 7 } counter',
      'add rule netdev x a ether type ip6 ether saddr 02:00:00:00:00:01 counter',
      'add rule netdev x a ether saddr 02:00:00:00:00:01 ether daddr 02:00:00:00:00:02 ether type arp counter',
      'add rule netdev x a ether type ip ip saddr 192.0.2.1 ether saddr 02:00:00:00:00:03 counter',
      'add rule netdev x a ether type != ip ether saddr 02:00:00:00:00:01 counter',
      'add rule netdev x a ether type ip6 counter ether saddr 02:00:00:00:00:01 counter',
      'add rule netdev x a ether type ip6 ether daddr 02:00:00:00:00:01 counter',
      'add rule netdev x a vlan id 4096',
      'add rule netdev x a vlan pcp 8',
      'add rule netdev x a vlan dei 2',
      'add rule netdev x a vlan id foo',
      'list ruleset',
      'add rule netdev x a ether type foo',
      'add rule netdev x a ether type 70000',
      'add rule netdev x a meta protocol foo',
      'flush ruleset',
    ]);
  });

  const refusals: Array<[string, string]> = [
    ['a MAC address with a bad digit', ruleFile('ether saddr 02:00:00:00:00:zz drop')],
    ['a MAC address of five bytes', ruleFile('ether daddr 02:00:00:00:00 drop')],
    ['an Ethernet protocol nft does not know', ruleFile('ether type foo counter')],
    ['an Ethernet protocol out of range', ruleFile('meta protocol 70000 counter')],
  ];
  it.each(refusals)('refuses %s as nft does, at its line and column', (label, text) => {
    const file = join(s.dir, 'refused.nft');
    writeFileSync(file, text);
    expectRefusedAsNft(s.ns, s.dp, file, label);
    expectSequenceAsNft(s.ns, s.dp, ['list ruleset']);
  });
});
