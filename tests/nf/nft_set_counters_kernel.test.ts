// Per-element counters and merged intervals through the whole stack against the kernel: the same rule file loaded
// with `nft -f` into a Linux router in namespaces and into wxdp, the same frames sent through both, what each
// forwarded compared frame by frame, then `list ruleset` on both — a set with `counter` counting the element each
// frame's address hit (not on the inverted lookup that breaks first), a verdict map with `counter`, an auto-merge
// set of ports and a uid match (no socket on a forwarded packet: the rule breaks on both).

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
	set hosts {
		type ipv4_addr
		counter
		elements = { 203.0.113.5, 203.0.113.6 counter packets 2 bytes 20 }
	}
	set ports {
		type inet_service
		flags interval
		auto-merge
		elements = { 3000-3004, 3005, 3010 }
	}
	map vm {
		type inet_service : verdict
		counter
		elements = { 3020 : drop, 3021 : accept }
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		meta skuid 0 drop
		ip daddr != @hosts udp dport 3030 drop
		ip daddr @hosts udp dport @ports accept
		udp dport vmap @vm
		udp dport 3010 drop
	}
}
`;

const dgram = (dst: string, dport: number, ipLen: number, i: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst, proto: 17, id: 0x7100 + i }, udp4('192.0.2.2', dst, 4000 + i, dport, new Uint8Array(ipLen - 28).fill(i))));

// [dport, IP length, frames, how many the rules let through (derived by hand), last octet of the destination]
const RUNS: Array<[number, number, number, number, number]> = [
  [3002, 100, 2, 2, 5], // hosts .5 counts 2 × 100; ports accepts
  [3005, 60, 1, 1, 6], // hosts .6 counts (2/20 + 1/60); 3005 merged into 3000-3005
  [3010, 60, 1, 0, 7], // .7 is not in hosts: no accept; the map has no 3010; `udp dport 3010 drop` drops it
  [3020, 60, 2, 0, 7], // the map drops, its element counts 2 × 60
  [3021, 60, 1, 1, 7], // the map accepts
  [3030, 60, 1, 0, 7], // != @hosts: .7 is not there, dropped, nothing counted
  [3030, 60, 1, 1, 5], // .5 is there: that rule breaks (no count), the next counts .5 then misses (3030 not in ports)
];
const FRAMES = RUNS.flatMap(([dport, len, n, , host]) => Array.from({ length: n }, (_, i) => dgram(`203.0.113.${host}`, dport, len, i)));

describe.skipIf(unready !== '' || noKernel !== '')(`per-element counters and auto-merge through the stack against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RULESET, FRAMES, 'ks42sc');

  it(`forwards what the kernel forwards of ${FRAMES.length} frames and counts on the elements it counts on`, async () => {
    const { fx, out } = await oursNftRun(RULESET, FRAMES);
    expect(out).toEqual(kern.out);
    expect(passedPerRun(kern.out, RUNS.map(([a, b, c, d]) => [a, b, c, d] as const))).toEqual(RUNS.map((r) => r[3]));
    const kernList = kern.lists['0 list ruleset']!;
    expect(fx.dp.nft('list ruleset')).toBe(kernList);
    // derived by hand: .5 counts 3002 twice (200 bytes) and the last 3030 frame once (60): the inverted lookup breaks
    // without counting, the accept rule's `@hosts` lookup after it counts before its port misses; .6 starts at 2/20
    // and counts 3005 once (60)
    expect(kernList).toContain('elements = { 203.0.113.5 counter packets 3 bytes 260, 203.0.113.6 counter packets 3 bytes 80 }');
    expect(kernList).toContain('elements = { 3020 counter packets 2 bytes 120 : drop, 3021 counter packets 1 bytes 60 : accept }');
  });
});
