// The arp family's header fields (issue 15): `arp htype`, `ptype`, `hlen`, `plen`, `arp saddr ether`, `arp daddr ether`
// (and a concatenation of the sender's addresses), against the kernel: a Linux router in namespaces loaded with
// `nft -f` and wxdp with the same file, the same ARP requests sent into both on eth0, the replies each sent back
// compared frame by frame and the ruleset listed alike (counters count skb->len: the ARP packet at input, arp_create's
// whole frame at output). nft joins adjacent fields into one load (`arp htype 1 arp ptype ip` is 4 bytes at 0, `arp
// operation request arp saddr ether X` 8 at 6: nft_merge.ts), which the kernel runs. Then nft's listing of more forms
// and its errors with their lines and columns.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { eth, stackUnready } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { H0, M0 } from './ct_support.js';
import { kernelNftRun, oursNftRun } from './nft_kernel_support.js';
import { expectSequenceAsNft, expectTextRefusedAsNft, nftAgainst, nftSession } from './nft_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const RULESET = `table arp a {
	chain ain {
		type filter hook input priority filter; policy accept;
		arp htype 1 arp ptype ip arp hlen 6 arp plen 4 counter
		arp saddr ether 02:00:00:00:02:09 counter drop
		arp saddr ether . arp saddr ip { 02:00:00:00:02:0a . 192.0.2.2 } counter drop
		arp daddr ether 00:00:00:00:00:00 arp daddr ip 192.0.2.1 counter
		arp operation request arp saddr ether 02:00:00:00:02:0b counter drop
		arp ptype != ip counter
		arp htype { 6, 7 } counter
	}
	chain aout {
		type filter hook output priority filter; policy accept;
		arp daddr ether 02:00:00:00:02:0c counter drop
		arp operation reply arp saddr ether ${M0} arp hlen 6 counter
	}
}
`;

const mac = (m: string): number[] => m.split(':').map((x) => parseInt(x, 16));
/** A request for 192.0.2.1 from `sha` / 192.0.2.2, in a frame from H0. */
const request = (sha: string): Uint8Array => eth({ dst: 'ff:ff:ff:ff:ff:ff', src: H0, type: 0x0806 }, Uint8Array.from([0, 1, 8, 0, 6, 4, 0, 1, ...mac(sha), 192, 0, 2, 2, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1]));
// [sender's hardware address, replies out of eth0 (derived by hand)]
const RUNS: Array<[string, number]> = [
  [H0, 1], // answered: counted at input by the joined fixed fields and the target rule, the reply at output
  ['02:00:00:00:02:09', 0], // arp saddr ether: dropped
  ['02:00:00:00:02:0a', 0], // the concatenation: dropped
  ['02:00:00:00:02:0b', 0], // arp operation request arp saddr ether (one 8-byte load): dropped
  ['02:00:00:00:02:0c', 0], // answered to its sender's address, the reply dropped at output
];
const FRAMES = RUNS.map(([sha]) => request(sha));

describe.skipIf(unready !== '' || noKernel !== '')(`arp header fields against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RULESET, FRAMES, 'nf47ar', ['list ruleset'], 'eth0');

  it(`answers on eth0 what the kernel answers for ${FRAMES.length} ARP requests and counts as it counts`, async () => {
    const { fx, out } = await oursNftRun(RULESET, FRAMES, 'eth0');
    expect(out).toEqual(kern.out);
    expect(out.map((x) => x.length)).toEqual(RUNS.map((r) => r[1]));
    const list = kern.lists['0 list ruleset']!;
    expect(fx.dp.nft('list ruleset')).toBe(list);
    // derived by hand: all five requests pass the fixed fields (5 × 28); the first, fourth and fifth reach the target
    // rule (3 × 28), the fourth is dropped by the joined rule (28); no other ptype or htype; the fifth's reply dropped
    // at output (42), the first's counted (42)
    for (const line of [
      'arp htype 1 arp ptype ip arp hlen 6 arp plen 4 counter packets 5 bytes 140',
      'arp saddr ether 02:00:00:00:02:09 counter packets 1 bytes 28 drop',
      'arp saddr ether . arp saddr ip { 02:00:00:00:02:0a . 192.0.2.2 } counter packets 1 bytes 28 drop',
      'arp daddr ether 00:00:00:00:00:00 arp daddr ip 192.0.2.1 counter packets 3 bytes 84',
      'arp operation request arp saddr ether 02:00:00:00:02:0b counter packets 1 bytes 28 drop',
      'arp ptype != ip counter packets 0 bytes 0',
      'arp daddr ether 02:00:00:00:02:0c counter packets 1 bytes 42 drop',
      `arp operation reply arp saddr ether ${M0} arp hlen 6 counter packets 1 bytes 42`,
    ]) expect(list).toContain(`\t\t${line}\n`);
  });
});

const { nsa, skip, why } = nftAgainst('nf47an');
const ruleFile = (rule: string): string => `table arp t {\n\tchain c {\n\t\ttype filter hook input priority filter; policy accept;\n\t\t${rule}\n\t}\n}\n`;

describe.skipIf(skip)(`arp header fields, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'nf47an');

  it('lists the arp header fields as nft does, joined or not', () => {
    expectSequenceAsNft(s.ns, s.dp, [
      'add table arp x',
      'add chain arp x c { type filter hook input priority 0; }',
      ...[
        'arp htype 1 arp ptype ip arp hlen 6 arp plen 4',
        'arp ptype ip counter',
        'arp htype { 1, 6 }',
        'arp ptype 0x0800',
        'arp ptype { ip, 0x86dd }',
        'arp hlen != 6',
        'arp plen 4-8',
        'arp htype 1-2 counter',
        'arp saddr ether 2:0:0:0:0:1',
        'arp daddr ether { 02:00:00:00:00:01, 02:00:00:00:00:02 }',
        'arp saddr ether 02:00:00:00:00:01 arp saddr ip 192.0.2.1',
        'arp operation request arp saddr ether 02:00:00:00:00:01',
        'arp daddr ip 192.0.2.2 arp daddr ether 02:00:00:00:00:02 arp saddr ip 192.0.2.1 arp saddr ether 02:00:00:00:00:01',
        'arp plen 4 arp operation reply',
        'arp saddr ether . arp saddr ip { 02:00:00:00:00:01 . 192.0.2.1 }',
        'arp saddr ether != 02:00:00:00:00:01 arp saddr ip != 192.0.2.1 drop',
        'arp daddr ether 02:00:00:00:00:00/24 counter',
      ].map((r) => `add rule arp x c ${r}`),
      'list ruleset',
      'add rule arp x c arp htype 70000',
      'add rule arp x c arp hlen 256',
      'add rule arp x c arp ptype foo',
      'add rule arp x c arp saddr foo 1',
      'flush ruleset',
    ]);
  });

  const refusals: Array<[string, string]> = [
    ['a MAC address with a bad digit', ruleFile('arp saddr ether 02:00:00:00:00:zz drop')],
    ['an address kind arp has not', ruleFile('arp daddr ip6 ::1 drop')],
    ['a MAC address of five bytes', ruleFile('arp daddr ether 02:00:00:00:00 drop')],
    ['an Ethernet protocol nft does not know', ruleFile('arp ptype foo counter')],
  ];
  it.each(refusals)('refuses %s as nft does, at its line and column', (label, text) => expectTextRefusedAsNft(s, text, label));
});
