// The two-byte integers of headers nft users match on (ip length, ip id, ip frag-off, ip checksum, ip6 length, udp
// length / checksum, tcp window / checksum / urgptr; nft's payload templates, listed in decimal) and the DSCP / ECN
// bit fields (ip dscp, ip6 dscp, ip ecn: by their names), which wxdp refused
// with a syntax error before 12-07 (nf54): a file of rules loaded by nft 1.0.6 and by wxdp and listed back alike,
// then frames through a Linux 6.18 router in namespaces and through wxdp, counters listed alike.

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eth, ipv4, stackUnready, udp4 } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { H0, M0 } from './ct_support.js';
import { expectOursAsKernel, kernelNftRun } from './nft_kernel_support.js';
import { expectSequenceAsNft, loadListedAsNft, nftAgainst, nftIn, nftSession } from './nft_support.js';

const { nsa, skip, why } = nftAgainst('nf54hf');

const RULES = [
  'ip length > 1000 counter',
  'ip length 20-100',
  'ip length { 20, 40 }',
  'ip frag-off & 0x1fff != 0 drop',
  'ip frag-off & 0x2000 == 0x2000',
  'ip frag-off 0',
  'ip length 100 ip id 5', // adjacent fields: one 4-byte compare, listed apart
  'ip checksum 0',
  'ip length & 0xff00 == 0x100',
  'ip6 length 0 drop',
  'udp length < 20 drop',
  'udp length > 1000 udp dport 53',
  'udp checksum 0',
  'meta l4proto udp udp length 8',
  'tcp window < 100',
  'tcp urgptr != 0',
  'tcp checksum 1',
  'ip length . udp length { 28 . 8 }',
  // DSCP and ECN: bit fields of the TOS byte (IPv6: of the first two bytes), by their names, hex when unnamed
  'ip dscp cs1',
  'ip dscp != cs0',
  'ip dscp { cs1, af41, ef }',
  'ip dscp 0x2e',
  'ip dscp 10-20', // a range's bounds in hex: 0x0a-0x14
  'ip dscp ef ip ecn ce', // two loads of one byte, not joined
  'ip dscp 1',
  'ip dscp 3',
  'ip dscp < cs3',
  'ip ecn not-ect',
  'ip ecn { ect0, ect1 }',
  'ip6 dscp cs1',
  'ip6 dscp { af21, ef }',
  'ip6 dscp != 5',
  'ip6 dscp 0-7',
];

const REFUSED = ['add table inet t', 'add chain inet t c', 'add rule inet t c ip length 70000', 'add rule inet t c ip length x', 'add rule inet t c ip6 id 1', 'add rule inet t c ip dscp 64', 'add rule inet t c ip dscp foo', 'add rule inet t c ip ecn 4', 'add rule inet t c ip dscp af11-af13', 'list ruleset'];

describe.skipIf(skip)(`header integers, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'nf54hf');

  it(`takes ${RULES.length} rules and lists them as nft does`, () => {
    const file = join(s.dir, 'fields.nft');
    writeFileSync(file, ['table inet f {', '\tchain c {', '\t\ttype filter hook prerouting priority 0; policy accept;', ...RULES.map((r) => `\t\t${r}`), '\t}', '}', ''].join('\n'));
    loadListedAsNft(s.ns, s.dp, file);
    expectSequenceAsNft(s.ns, s.dp, ['delete table inet f']);
  });

  it(`refuses ${REFUSED.length - 3} rules as nft does, each at its place`, () => {
    expectSequenceAsNft(s.ns, s.dp, REFUSED);
  });

  it('refuses ip6 dscp in a concatenation, which nft 1.0.6 takes and lists as cs0 (Linux 6.18 then matched none of its frames, measured by rv54)', () => {
    expect(() => s.dp.nft('add table inet d\nadd chain inet d c\nadd rule inet d c ip6 dscp . ip6 nexthdr { cs1 . udp } drop\n')).toThrow(/wxdp refuses ip6 dscp in a concatenation/);
    expect(nftIn(s.ns, ['-f', '-'], 'add table inet d\nadd chain inet d c\nadd rule inet d c ip6 nexthdr . ip6 dscp { udp . cs1 }\n')).toEqual({ ok: true, out: '' });
    expect(nftIn(s.ns, ['list', 'chain', 'inet', 'd', 'c']).out).toContain('ip6 nexthdr . ip6 dscp >> 6 { udp . cs0 }');
    expect(nftIn(s.ns, ['delete', 'table', 'inet', 'd']).ok).toBe(true);
  });
});

const RULESET = `table ip h {
	chain forward {
		type filter hook forward priority filter; policy accept;
		udp dport 3101 ip length > 40 counter drop
		udp dport 3102 udp length < 20 counter drop
		udp dport 3103 ip id 0x5401 counter drop
		udp dport 3104 ip frag-off & 0x4000 != 0 counter drop
		udp dport 3105 ip length 30-36 udp length 16 counter drop
		udp dport 3106 ip checksum != 0 counter
		udp dport 3107 udp checksum 0 counter drop
		udp dport 3108 ip dscp ef counter drop
		udp dport 3109 ip ecn ce counter drop
		udp dport 3110 ip dscp { cs1, af41 } counter drop
	}
}
`;

/** A UDP datagram from the inside host to 203.0.113.5 with `n` bytes of payload, DF when `df`. */
const dgram = (dport: number, i: number, n = 8, df = false, tos = 0): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '203.0.113.5', proto: 17, id: 0x5400 + i, df, tos }, udp4('192.0.2.2', '203.0.113.5', 4100 + i, dport, new Uint8Array(n).fill(i))));

// [dport, frames, how many go through, host]; the frames below in the same order
const RUNS: Array<[number, number, number, number]> = [
  [3101, 2, 1, 5], // ip length 36 through, 48 dropped
  [3102, 2, 1, 5], // udp length 16 dropped, 28 through
  [3103, 2, 1, 5], // id 0x5400 through, 0x5401 dropped
  [3104, 2, 1, 5], // no DF through, DF dropped
  [3105, 2, 1, 5], // 36 / 16 dropped, 37 / 17 through
  [3106, 1, 1, 5], // counted
  [3107, 1, 1, 5], // a checksum: through
  [3108, 3, 1, 5], // TOS 0xb8 (ef), 0xb9 (ef, ect1) dropped; 0x20 through
  [3109, 2, 1, 5], // TOS 0x03 (ce) dropped; 0xb8 through
  [3110, 3, 1, 5], // TOS 0x20 (cs1), 0x88 (af41) dropped; 0 through
];
const FRAMES = [
  dgram(3101, 0),
  dgram(3101, 1, 20),
  dgram(3102, 0),
  dgram(3102, 1, 20),
  dgram(3103, 0),
  dgram(3103, 1),
  dgram(3104, 0),
  dgram(3104, 1, 8, true),
  dgram(3105, 0),
  dgram(3105, 1, 9),
  dgram(3106, 0),
  dgram(3107, 0),
  dgram(3108, 0, 8, false, 0xb8),
  dgram(3108, 1, 8, false, 0xb9),
  dgram(3108, 2, 8, false, 0x20),
  dgram(3109, 0, 8, false, 0x03),
  dgram(3109, 1, 8, false, 0xb8),
  dgram(3110, 0, 8, false, 0x20),
  dgram(3110, 1, 8, false, 0x88),
  dgram(3110, 2, 8, false, 0),
];

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

describe.skipIf(unready !== '' || noKernel !== '')(`header integers, the stack against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RULESET, FRAMES, 'nf54hx', ['list ruleset']);

  it(`forwards what the kernel forwards of ${FRAMES.length} frames, and counts as it does`, async () => {
    await expectOursAsKernel(kern, RULESET, FRAMES, RUNS);
  });
});
