// Maps of named counters, quotas and limits through the whole stack against the kernel: the same rule file loaded
// with `nft -f` into a Linux router in namespaces and into wxdp, the same frames sent through both, what each
// forwarded compared frame by frame — a named map choosing a counter by port, an anonymous map choosing one by
// address, a quota and a limit reached through maps (two ports, one object), a key with no element (the rule
// breaks there, counting nothing) — then `list counters`, `list quotas`, `list maps` and `list ruleset` on both,
// and a reset; a verdict map (drop, jump, continue, goto) on the same chain. The limit's rate is per minute, so the kernel's clock running during the run refills less than a
// tenth of one packet's cost.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { eth, ipv4, stackUnready, udp4 } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { H0, M0 } from './ct_support.js';
import { kernelNftRun, oursNftRun } from './nft_kernel_support.js';
import { passedPerRun } from './nft_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const RULESET = `table inet f {
	counter a { }
	counter b { packets 1 bytes 10 }
	quota q { 500 bytes }
	limit l { rate 1/minute burst 2 packets }
	map byport {
		type inet_service : counter
		elements = { 3000 : "a", 3001 : "b" }
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		counter name udp dport map @byport
		counter name ip daddr map { 203.0.113.5 : "a", 203.0.113.6 : "b" }
		udp dport { 3002, 3003 } quota name udp dport map { 3002 : "q", 3003 : "q" } accept
		udp dport { 3002, 3003 } drop
		udp dport 3004-3005 limit name udp dport map { 3004-3005 : "l" } accept
		udp dport 3004-3005 drop
		udp dport vmap { 3010 : drop, 3011 : jump viab, 3012 : continue, 3013 : goto viab }
		udp dport 3012 drop
		udp dport 3013 drop
	}
	chain viab {
		counter name "b"
	}
}
`;

/** A UDP datagram of `ipLen` bytes (IP header included) from the inside host to `dst`. */
const dgram = (dst: string, dport: number, ipLen: number, i: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst, proto: 17, id: 0x7000 + i }, udp4('192.0.2.2', dst, 4000 + i, dport, new Uint8Array(ipLen - 28).fill(i))));

// [dport, IP length, frames, how many the rules let through (derived by hand from the kernel's arithmetic), last octet]
const RUNS: Array<[number, number, number, number, number]> = [
  [3000, 100, 2, 2, 5], // byport → a, daddr → a: a counts each twice
  [3001, 60, 3, 3, 5], // byport → b, daddr → a
  [3002, 300, 1, 1, 5], // q: 300 of 500
  [3003, 300, 2, 0, 5], // the same quota: 600 and 900 are over it
  [3004, 60, 2, 2, 5], // l: the burst of two
  [3005, 60, 2, 0, 5], // the same bucket, empty
  [3009, 60, 1, 1, 6], // no element in byport (that rule breaks); daddr .6 → b
  [3010, 60, 1, 0, 6], // the verdict map drops
  [3011, 60, 2, 2, 6], // jumps to viab (b counts), which returns: the policy accepts
  [3012, 60, 1, 0, 6], // continue: the rule goes on, the next one drops
  [3013, 60, 1, 1, 6], // goto viab: its end is the base chain's policy, the drop after the map is not reached
];
const FRAMES = RUNS.flatMap(([dport, len, n, , host]) => Array.from({ length: n }, (_, i) => dgram(`203.0.113.${host}`, dport, len, i)));

describe.skipIf(unready !== '' || noKernel !== '')(`object maps through the stack against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RULESET, FRAMES, 'nftom', ['list counters', 'list quotas', 'list maps', 'list ruleset', 'reset counters', 'list counters']);
  const kernOut = kern.lists;

  it(`forwards what the kernel forwards of ${FRAMES.length} frames, and counts into the objects the maps choose as it does`, async () => {
    const { fx, out: ours } = await oursNftRun(RULESET, FRAMES);
    const theirs = kern.out;
    expect(ours).toEqual(theirs);
    // and the comparison is not of silences: how many of each run went through, as derived above
    expect(passedPerRun(theirs, RUNS.map(([a, b, c, d]) => [a, b, c, d] as const))).toEqual(RUNS.map((r) => r[3]));
    for (const [key, out] of Object.entries(kernOut)) expect(fx.dp.nft(key.slice(key.indexOf(' ') + 1)), key).toBe(out);
    // derived by hand: a counts 3000 twice over (2 × 2 frames, 400 bytes), 3001 by address (3, 180), and by address
    // every frame to .5 from 3002 on (7: 3 × 300 + 4 × 60 bytes): 14 packets, 1720 bytes; b starts at 1/10, counts
    // 3001 by port (3 × 60), 3009 and every later frame by address (6 × 60), and 3011 and 3013 again in viab
    // (3 × 60): 13 packets, 730 bytes
    expect(kernOut['0 list counters']).toContain('\tcounter a {\n\t\tpackets 14 bytes 1720\n\t}\n');
    expect(kernOut['0 list counters']).toContain('\tcounter b {\n\t\tpackets 13 bytes 730\n\t}\n');
  });
});
