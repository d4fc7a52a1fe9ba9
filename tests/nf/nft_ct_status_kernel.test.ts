// `ct status` (nft_ct's NFT_CT_STATUS: the conntrack's IPS_* word; `ct status dnat accept` is a common forward
// rule), which wxdp refused with a syntax error before 12-07 (nf54): rules listed alike with nft 1.0.6 (implicit:
// its bits tested; `==` / `!=`: the whole word; names for bits, the rest in hex), then frames through a Linux 6.18
// router in namespaces (a DNAT in prerouting, status tested in forward) and through wxdp, counters listed alike.

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { eth, ipv4, stackUnready, udp4 } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { H0, M0 } from './ct_support.js';
import { expectOursAsKernel, kernelNftRun } from './nft_kernel_support.js';
import { expectSequenceAsNft, loadListedAsNft, nftAgainst, nftSession } from './nft_support.js';

const { nsa, skip, why } = nftAgainst('nf54cs');

const RULES = [
  'ct status dnat',
  'ct status snat,dnat',
  'ct status != dnat',
  'ct status == dnat',
  'ct status == snat,dnat',
  'ct status != snat | dnat',
  'ct status { dnat, snat }',
  'ct status seen-reply',
  'ct status confirmed,assured',
  'ct status 0x40',
  'ct status 0x60',
  'ct status & dnat == dnat',
  'ct status & (snat | dnat) == 0', // listed as nft lists tcp flags: ! snat,dnat
  'ct status & dnat != 0',
  'ct status & 0x3 == 0x1', // expected / expected,seen-reply
  'ct status & (snat | dnat) != snat',
  'ct status dying',
  'ct status dnat ct state new counter accept',
];

// the whole word (rv54): an all-ones mask nft's listing drops, 0 and unnamed bits — wxdp listed `ct status` / `ct status !=`
// (no value: a syntax error read back), `ct status dnat` for `== dnat` (a bit test read back) and 0xfffffdc0 as one word
const WORD_RULES = [
  'ct status == 0',
  'ct status != 0',
  'ct status & 0xffffffff == dnat',
  'ct status & 0xffffffff == 0x40',
  'ct status & 0xffffffff == 0',
  'ct status & 0xffffffff != 0',
  'ct status 0xffffffff',
  'ct status 0xfffffdc0',
  'ct status == 0xffffffff',
];

const REFUSED = ['add table inet t', 'add chain inet t c', 'add rule inet t c ct status foo', 'add rule inet t c ct status 0x100000000', 'list ruleset'];

describe.skipIf(skip)(`ct status, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'nf54cs');

  it(`takes ${RULES.length} rules and lists them as nft does`, () => {
    const file = join(s.dir, 'status.nft');
    writeFileSync(file, ['table inet s {', '\tchain c {', '\t\ttype filter hook forward priority 0; policy accept;', ...RULES.map((r) => `\t\t${r}`), '\t}', '}', ''].join('\n'));
    loadListedAsNft(s.ns, s.dp, file);
    expectSequenceAsNft(s.ns, s.dp, ['delete table inet s']);
  });

  it(`lists ${WORD_RULES.length} whole-word rules as nft does`, () => {
    const file = join(s.dir, 'word.nft');
    writeFileSync(file, ['table inet w {', '\tchain c {', ...WORD_RULES.map((r) => `\t\t${r}`), '\t}', '}', ''].join('\n'));
    loadListedAsNft(s.ns, s.dp, file);
    expectSequenceAsNft(s.ns, s.dp, ['delete table inet w']);
  });

  it(`refuses ${REFUSED.length - 3} rules as nft does, each at its place`, () => {
    expectSequenceAsNft(s.ns, s.dp, REFUSED);
  });
});

const RULESET = `table ip n {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr 203.0.113.50 dnat to 203.0.113.5
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		udp dport 3201 ct status dnat counter drop
		udp dport 3202 ct status confirmed counter
		udp dport 3202 ct status != confirmed counter
		udp dport 3203 ct status seen-reply counter drop
		udp dport 3204 ct status & (snat | dnat) == 0 counter drop
		udp dport 3205 ct status snat,dnat counter drop
	}
}
`;

/** A UDP datagram from the inside host to 203.0.113.`host`, source port `sport` (one flow per port). */
const dgram = (host: number, dport: number, sport: number, i: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: `203.0.113.${host}`, proto: 17, id: 0x5500 + i }, udp4('192.0.2.2', `203.0.113.${host}`, sport, dport, new Uint8Array(8).fill(i))));

// [dport, frames, how many go through, host]; the frames below in the same order
const RUNS: Array<[number, number, number, number]> = [
  [3201, 1, 0, 50], // DNAT'ed: IPS_DST_NAT, dropped
  [3201, 1, 1, 5], // no NAT: through
  [3202, 3, 3, 5], // one flow: the first not confirmed yet, then confirmed (counted 1 / 2)
  [3203, 1, 1, 5], // no reply seen: through
  [3204, 1, 0, 5], // no NAT bit: dropped
  [3204, 1, 1, 50],
  [3205, 1, 0, 50], // DNAT'ed: dropped
];
const FRAMES = [
  dgram(50, 3201, 4200, 0),
  dgram(5, 3201, 4201, 1),
  dgram(5, 3202, 4202, 2),
  dgram(5, 3202, 4202, 3),
  dgram(5, 3202, 4202, 4),
  dgram(5, 3203, 4203, 5),
  dgram(5, 3204, 4204, 6),
  dgram(50, 3204, 4205, 7),
  dgram(50, 3205, 4206, 8),
];

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

describe.skipIf(unready !== '' || noKernel !== '')(`ct status, the stack against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RULESET, FRAMES, 'nf54cx', ['list ruleset']);

  it(`forwards what the kernel forwards of ${FRAMES.length} frames, and counts as it does`, async () => {
    await expectOursAsKernel(kern, RULESET, FRAMES, RUNS);
  });
});
