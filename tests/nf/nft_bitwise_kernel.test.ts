// Binary operations on marks (nft_bitwise: `meta mark & 0xc == 0x8`, `meta mark set meta mark & 0xffff0000 | 0x1`,
// `ct mark set ct mark ^ 0x1`, shifts), which wxdp refused before 12-07, against nft 1.0.6 and the 6.18 kernel: a
// file of rules nft takes, listed back by both as nft lists them (one NFT_BITWISE_BOOL shown as `& m ^ x | o`, a top
// `^` moved into the value, a prefix's mask as `V/len`, `==` shown before a value or set but not a range; ct state's
// `==` / `!=` comparing the whole value, `|` or-ing its states); nft's
// errors for the ones it refuses, each at its place; ip ttl, ip6 hoplimit and ports through masks too; then the same operations through the whole stack, a Linux
// router in namespaces against wxdp, frame by frame, with the counters listed alike. Since 12-07 (nf54) addresses
// through masks too (`ip saddr & 255.255.255.0 == 192.0.2.0`, listed as nft lists them: `ip saddr 192.0.2.0/24`),
// and ip protocol / meta l4proto.

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { eth, ipv4, stackUnready, udp4 } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { H0, M0 } from './ct_support.js';
import { expectOursAsKernel, kernelNftRun } from './nft_kernel_support.js';
import { expectSequenceAsNft, loadListedAsNft, nftAgainst, nftSession } from './nft_support.js';

const { nsa, skip, why } = nftAgainst('nf53bw');

/** Rules nft takes, one per line of a prerouting chain (loaded as one file; listed back alike). */
const RULES = [
  'meta mark & 0xc == 0x8 counter',
  'ct mark & 0xff00 != 0',
  'meta mark and 0xf0 eq 0x10',
  'meta mark & 0xc 0x8',
  'meta mark | 0x3 == 0x7',
  'meta mark & 0xff == { 1, 2 }',
  'meta mark & 0xff { 1-3, 7 }',
  'meta mark & 0xff != { 1, 2 }',
  'meta mark & 0xff 1-3',
  'meta mark & 0xff != 1-3',
  'meta mark & 0xff < 3',
  'meta mark & 0xff == 0x100',
  'meta mark | 0x1 & 0x3 == 1', // `&` binds first: | (0x1 & 0x3)
  'meta mark & 0x3 & 0x1 == 1',
  'meta mark & 0x3 | 0x4 == 5',
  'meta mark ^ 0x1 & 0x3 == 1',
  'meta mark & 0xff ^ 0x1 == 1', // the top ^ moves into the value: & 0xff == 0
  'meta mark ^ 0x1 == 0x3',
  'meta mark ^ 0xff != 3',
  'meta mark ^ 0x1 { 1, 2 }',
  'meta mark ^ 0x1 1-3', // not into a range
  'meta mark | 0x1 ^ 0x2 == 3',
  'meta mark ^ 0x1 | 0x2 == 3',
  'meta mark & 0 == 0',
  'meta mark & 0xffffffff == 1',
  'ct mark & 0xffffffff != 1',
  'meta mark & 0xffff0000 == 0x10000', // a prefix's mask: 0x00010000/16
  'meta mark & 0xffff0000 != 0x10000',
  'meta mark & 0xffff0000 == 0x1',
  'meta mark & 0x80000000 == 0',
  'meta mark & 0xffff0000 { 0x10000, 0x20000 }',
  'meta mark & 0xffff0000 < 0x10000',
  'meta mark & (0xf0 | 0x0f) == 0x1',
  'meta mark & 0xff 0x1 | 0x2',
  'meta mark set meta mark | 0x10',
  'meta mark set meta mark & 0xffff0000 | 0x1',
  'ct mark set meta mark & 0xff',
  'ct mark set ct mark ^ 0x1',
  'meta mark set meta mark << 8',
  'meta mark set ct mark & 0xff | 0x100',
  'meta mark set 0x1 | 0x2',
  'meta mark set ct mark and 0xf or 0x10 xor 0x2',
  'meta mark set ct mark >> 8 & 0xff',
  'meta mark set meta mark ^ 0xffffffff',
  'meta mark set meta mark | 0',
  'meta mark set meta mark & 0',
  'meta mark set meta mark << 1 << 2',
  'meta mark set (meta mark & 0xf) << 4',
  'meta mark set meta mark lshift 4 and 0xff0 xor 0x1',
  'ct mark set (ct mark | 0x1) >> 1',
  'meta mark set meta mark ^ 1 ^ 1',
  'meta mark set (meta mark)',
  'meta mark set meta mark and 0xff or 0x1 xor 0x3',
  'mark & 0xc == 0x8 meta mark set mark | 0x3 counter',
  // ct state's values or-ed: implicit, its bits tested (`established,related`); with == / != the whole value compared
  'ct state established | related accept',
  'ct state != established | related',
  'ct state == established,related',
  'ct state != established,related',
  'ct state == new | established',
  'ct state == established',
  'ct state != invalid counter',
  // a header's one- and two-byte integers (network order; listed in decimal, `==` before a range or set too)
  'ip ttl & 0xf0 == 0x10',
  'tcp dport & 0xff00 == 0x100',
  'tcp dport & 0xff00 0x100-0x200',
  'ip ttl ^ 1 == 64',
  'ip ttl | 1 == 65',
  'udp sport & 0xfc00 != 0',
  'tcp dport & 0xff00 { 0x100, 0x200 }',
  'ip ttl & 0xf0 > 0x10',
  'ip6 hoplimit & 0x80 == 0x80',
  'th dport & 0xff00 == 0x100',
  'tcp dport & 0xff00 == ssh',
  'ip saddr 192.0.2.1 ip ttl & 0xf0 == 0x40 ip protocol 6', // not joined with the plain header matches around it
  // addresses (one NFT_BITWISE_BOOL over 4 or 16 bytes): a mask of leading ones before one value lists as a prefix
  'ip saddr & 255.255.255.0 == 192.0.2.0',
  'ip saddr & 255.255.255.0 == 192.0.2.1', // host bits kept in the value: 192.0.2.1/24
  'ip daddr and 0.0.0.255 != 0',
  'ip saddr & 0.0.0.255 == 0.0.0.1',
  'ip saddr & 255.255.0.255 == 192.0.0.1',
  'ip saddr & 255.255.255.0 { 192.0.2.0, 198.51.100.0 }',
  'ip saddr & 255.255.255.0 != { 192.0.2.0 }',
  'ip saddr | 0.0.0.255 == 192.0.2.255',
  'ip saddr ^ 0.0.0.1 == 192.0.2.0',
  'ip saddr & 255.255.255.0 ^ 0.0.0.1 == 192.0.2.1',
  'ip saddr & 255.255.255.0 < 192.0.2.0',
  'ip saddr & 255.255.255.255 == 192.0.2.1',
  'ip saddr & 0.0.0.0 == 0.0.0.0',
  'ip saddr & 0xff == 1.2.3.4',
  'ip saddr & 255.255.255.0 == 192.0.2.0 ip daddr 192.0.2.1',
  'ip6 daddr & ::ffff != ::',
  'ip6 saddr & ffff:ffff:: == 2001:db8::',
  'ip6 saddr & ffff:ffff:ffff:ffff:: == 2001:db8::1',
  'ip6 saddr & ::ffff:ffff == ::1', // glibc's inet_ntop: ::255.255.255.255
  'ip6 saddr & ffff:ffff:: { 2001:db8::, 2001:db9:: }',
  'ip6 saddr | ::1 == 2001:db8::1',
  // protocols: the mask in decimal, the value by its name
  'ip protocol & 0xf == 6',
  'meta l4proto & 0xf0 == 0',
  'meta l4proto ^ 0x1 == 7',
  'meta l4proto & 0xf { 6, 7 }',
  'ip protocol & 0xff == 6 tcp dport 22', // no dependency: listed
  'ip protocol 010', // strtoumax's octal: egp
];

// each refused as nft refuses it (its first error, the same place), in a table whose chain exists
const REFUSED = [
  'add table inet t',
  'add chain inet t c { type filter hook prerouting priority mangle; policy accept; }',
  'add rule inet t c ct mark >> 16 == 3', // a shift leaves an integer: datatype mismatch
  'add rule inet t c meta mark << 8 == 0x300',
  'add rule inet t c meta mark << 33 == 1',
  'add rule inet t c meta mark set meta mark >> 33',
  'add rule inet t c meta mark set meta mark << 0', // the kernel's EINVAL
  'add rule inet t c meta mark & 0x1ffffffff == 1',
  'add rule inet t c meta mark & ct mark == 1',
  'add rule inet t c meta mark set 0xff & meta mark',
  'add rule inet t c meta mark set meta mark & ct mark',
  'add rule inet t c meta mark set ct mark & 0xffff0000 | meta mark',
  'add rule inet t c ct mark set meta mark | ct mark',
  'add rule inet t c meta mark set tcp dport & 0xff',
  'add rule inet t c meta mark & 0xc',
  'add rule inet t c meta mark & x == 1',
  'add rule inet t c meta mark & "x" == 1',
  'add rule inet t c meta mark set meta mark & x',
  'add rule inet t c meta mark & 1-3 == 1',
  'add rule inet t c meta mark x',
  'add rule inet t c ip ttl & 0x1ff == 1',
  'add rule inet t c ip saddr >> 8 == 1', // a shift leaves an integer
  'add rule inet t c ip saddr << 1 == 1.2.3.4',
  'add rule inet t c ip saddr & ::1 == 1.2.3.4',
  'add rule inet t c ip saddr & 0x1ffffffff == 1.2.3.4',
  'add rule inet t c ip saddr & 255.255.255.0/24 == 1.2.3.4',
  'add rule inet t c ip protocol 0x100',
  'list ruleset',
];

describe.skipIf(skip)(`binary operations on marks, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'nf53bw');

  it(`takes ${RULES.length} rules of masks, or, xor and shifts and lists them as nft does`, () => {
    const file = join(s.dir, 'bitwise.nft');
    writeFileSync(file, ['table inet b {', '\tchain c {', '\t\ttype filter hook prerouting priority mangle; policy accept;', ...RULES.map((r) => `\t\t${r}`), '\t}', '}', ''].join('\n'));
    loadListedAsNft(s.ns, s.dp, file);
    expectSequenceAsNft(s.ns, s.dp, ['delete table inet b']);
  });

  it(`refuses ${REFUSED.length - 3} rules as nft does, each at its place`, () => {
    expectSequenceAsNft(s.ns, s.dp, REFUSED);
  });
});

// Marks made by binary operations in prerouting (by UDP port), matched through masks in forward: what each run of
// frames gets, derived by hand, and the counters after, against the kernel's.
const RULESET = `table inet m {
	chain pre {
		type filter hook prerouting priority mangle; policy accept;
		udp dport 3001 meta mark set 0x15
		udp dport 3001 meta mark set meta mark & 0xfffffff0 | 0x8
		udp dport 3002 meta mark set 0xab
		udp dport 3002 meta mark set meta mark << 4
		udp dport 3003 meta mark set 0xab0
		udp dport 3003 meta mark set meta mark >> 4 & 0xf
		udp dport 3004 meta mark set 0x5
		udp dport 3004 meta mark set meta mark ^ 0x3
		udp dport 3005 ct mark set ct mark | 0x40
		udp dport 3005 meta mark set ct mark & 0xf0
		udp dport 3006 meta mark set 0x1 | 0x6
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		meta mark & 0xff == 0x18 counter drop
		meta mark & 0xff0 == 0xab0 counter accept
		meta mark & 0xfffffff8 == 0x8 counter drop
		meta mark ^ 0x1 == 0x7 counter drop
		ct mark & 0xc0 != 0 counter
		meta mark & 0x7 { 0x7, 0x17 } counter drop
		meta mark & 0xf 0x1-0x3 counter drop
		meta mark | 0x40 != 0x40 counter
		udp dport & 0xfff8 == 3008 counter drop
		ip ttl & 0xf0 == 0x30 udp dport 3016 counter drop
		udp dport 3020 ip daddr & 0.0.0.255 == 0.0.0.7 counter drop
		ip saddr & 255.255.255.252 == 192.0.2.0 udp dport 3021 counter drop
		ip daddr & 255.255.255.0 { 198.51.100.0, 203.0.113.0 } udp dport 3022 counter drop
		ip daddr | 0.0.0.255 == 203.0.113.255 udp dport 3023 counter
		meta l4proto & 0xf0 == 0x10 udp dport 3024 counter drop
		ip protocol & 0xf == 1 udp dport 3025 counter drop
		ip saddr ^ 0.0.0.3 == 192.0.2.1 udp dport 3026 counter drop
		ip daddr & 255.255.255.128 != 203.0.113.0 udp dport 3027 counter drop
	}
}
`;

/** A UDP datagram from the inside host (192.0.2.2) to `dst`. */
const dgram = (dst: string, dport: number, i: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst, proto: 17, id: 0x5300 + i }, udp4('192.0.2.2', dst, 4100 + i, dport, new Uint8Array(8).fill(i))));

// [dport, frames, how many the rules let through, last octet of the address]
const RUNS: Array<[number, number, number, number]> = [
  [3001, 2, 0, 5], // 0x15 & ~0xf | 0x8 = 0x18: dropped
  [3002, 1, 1, 5], // 0xab << 4 = 0xab0: accepted
  [3003, 2, 0, 5], // 0xab0 >> 4 & 0xf = 0xb, & ~7 = 0x8: dropped
  [3004, 1, 0, 5], // 0x5 ^ 0x3 = 0x6, ^ 0x1 = 0x7: dropped
  [3005, 2, 2, 5], // ct mark 0x40, mark 0x40: counted twice, through
  [3006, 1, 0, 5], // 0x7: in the set, dropped
  [3007, 2, 2, 5], // no mark: | 0x40 is 0x40, through
  [3009, 1, 0, 5], // 3009 & 0xfff8 = 3008: dropped
  [3016, 1, 0, 5], // TTL 64, 63 at the forward hook (ip_forward decrements first): & 0xf0 = 0x30, dropped
  [3017, 1, 1, 5],
  [3020, 2, 0, 7], // 203.0.113.7 & 0.0.0.255: dropped
  [3020, 1, 1, 5],
  [3021, 1, 0, 5], // 192.0.2.2 in 192.0.2.0/30: dropped
  [3022, 1, 0, 9], // 203.0.113.9 & 255.255.255.0 in the set: dropped
  [3023, 2, 2, 5], // | 0.0.0.255: counted, through
  [3024, 1, 0, 5], // 17 & 0xf0 = 0x10: dropped
  [3025, 1, 0, 5], // 17 & 0xf = 1: dropped
  [3026, 1, 0, 5], // 192.0.2.2 ^ 0.0.0.3 = 192.0.2.1: dropped
  [3027, 1, 0, 200], // 203.0.113.200 & …128 = 203.0.113.128: dropped
  [3027, 1, 1, 100],
];
const FRAMES = RUNS.flatMap(([dport, n, , host]) => Array.from({ length: n }, (_, i) => dgram(`203.0.113.${host}`, dport, i)));

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

describe.skipIf(unready !== '' || noKernel !== '')(`marks through binary operations, the stack against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RULESET, FRAMES, 'nf53bx', ['list ruleset']);

  it(`forwards what the kernel forwards of ${FRAMES.length} frames, and counts as it does`, async () => {
    await expectOursAsKernel(kern, RULESET, FRAMES, RUNS);
  });
});
