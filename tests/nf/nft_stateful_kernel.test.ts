// limit and quota through the whole stack against the kernel: the same rule file loaded with `nft -f` into a
// Linux router in namespaces and into wxdp, the same quick run of frames sent through both, and what each
// forwarded compared frame by frame — a packet limit's burst (nft_limit: tokens_max = nsecs / rate × burst,
// each packet costing nsecs / rate), an inverted one, a byte limit (tokens_max = nsecs × (rate + burst) / rate,
// a packet costing nsecs × len / rate), quotas (consumed > quota, `over` inverted, `used` given at load) — then
// `nft list ruleset` on both, quotas' `used` and counters included. The rates are per minute, so the kernel's
// clock running during the run (a few hundred ms) refills less than a tenth of one packet's cost.

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
	chain forward {
		type filter hook forward priority filter; policy accept;
		udp dport 1000 limit rate 1/minute burst 3 packets accept
		udp dport 1000 drop
		udp dport 1001 limit rate over 1/minute burst 2 packets counter drop
		udp dport 1002 limit rate 1 kbytes/minute burst 500 bytes accept
		udp dport 1002 drop
		udp dport 1003 quota 1000 bytes accept
		udp dport 1003 drop
		udp dport 1004 quota over 500 bytes counter drop
		udp dport 1005 quota 100 bytes used 44 bytes accept
		udp dport 1005 drop
	}
}
`;

/** A UDP datagram of `ipLen` bytes (IP header included) from the inside host to 203.0.113.5. */
const dgram = (dport: number, ipLen: number, i: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '203.0.113.5', proto: 17, id: 0x5000 + i }, udp4('192.0.2.2', '203.0.113.5', 4000 + i, dport, new Uint8Array(ipLen - 28).fill(i))));

// [dport, IP length, frames, how many the rules let through (derived by hand from the kernel's arithmetic)]
const RUNS: Array<[number, number, number, number]> = [
  [1000, 60, 5, 3], // burst 3: three costs of 60 s in the bucket
  [1001, 60, 4, 2], // `over`: the two within the burst pass, the rest are dropped
  [1002, 300, 6, 5], // bucket 60e9 × 1524 / 1024 ns, a 300-byte packet costs 60e9 × 300 / 1024: 5.08 of them
  [1003, 250, 5, 4], // 250, 500, 750, 1000 are not more than 1000; 1250 is
  [1004, 250, 4, 2], // over 500: 250 and 500 pass, 750 and 1000 are dropped
  [1005, 28, 3, 2], // used 44 at load: 72, 100 pass, 128 does not
];
const FRAMES = RUNS.flatMap(([dport, len, n]) => Array.from({ length: n }, (_, i) => dgram(dport, len, i)));

describe.skipIf(unready !== '' || noKernel !== '')(`limit and quota through the stack against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RULESET, FRAMES, 'nftst');

  it(`forwards what the kernel forwards of ${FRAMES.length} frames, and lists the same quotas and counters`, async () => {
    const { fx, out } = await oursNftRun(RULESET, FRAMES);
    const theirs = kern.out;
    const kernList = kern.lists['0 list ruleset']!;
    expect(out).toEqual(theirs);
    // and the comparison is not of silences: how many of each run went through, as derived above
    expect(passedPerRun(theirs, RUNS)).toEqual(RUNS.map((r) => r[3]));
    expect(fx.dp.nft('list ruleset')).toBe(kernList);
    // a depleted quota lists its size as used (nft_quota_do_dump caps consumed at the quota)
    expect(kernList).toContain('quota 1000 bytes used 1000 bytes accept');
  });
});
