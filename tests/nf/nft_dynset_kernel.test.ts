// Dynamic sets through the whole stack against the kernel (nft_dynset): the same rule file loaded with `nft -f` into a
// Linux router in namespaces and into wxdp, the same frames forwarded by both, what each let through compared frame
// by frame, then `list ruleset` on both with the elements the packets added (their `expires` left out: the clocks
// differ) — a set with a size that fills (the add fails: the rule breaks), update with a timeout, delete, a lookup
// of what the packets added, a concatenation with a counter per element, a limit per element (`update … limit rate
// over … drop`) and a meter; then `list meters`, and a flush of the set the packets filled.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { eth, ipv4, stackUnready, udp4 } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { H0, M0 } from './ct_support.js';
import { kernelNftRun, oursNftRun } from './nft_kernel_support.js';
import { noExpiry } from './nft_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const RULESET = `table ip f {
	set seen {
		type ipv4_addr
		size 2
		flags dynamic,timeout
		timeout 30s
	}
	set pairs {
		type ipv4_addr . inet_service
		flags dynamic
	}
	set lim {
		type ipv4_addr
		flags dynamic
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		add @pairs { ip saddr . udp dport counter }
		udp dport 3000 update @seen { ip saddr timeout 10s } accept
		udp dport 3000 drop
		udp dport 3003 delete @seen { ip saddr }
		udp dport 3004 ip saddr @seen drop
		udp dport 3001 update @lim { ip saddr limit rate over 1/minute burst 2 packets } drop
		udp dport 3002 meter flood size 8 { ip saddr limit rate 1/minute burst 2 packets } accept
		udp dport 3002 drop
	}
}
`;

const dgram = (host: number, dport: number, i: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: `192.0.2.${host}`, dst: '203.0.113.9', proto: 17, id: 0x7200 + i }, udp4(`192.0.2.${host}`, '203.0.113.9', 4000, dport, new Uint8Array(20 + host).fill(i))));

// [source's last octet, dport, frames, how many the rules let through (derived by hand)]
const RUNS: Array<[number, number, number, number]> = [
  [2, 3000, 1, 1], // seen gets .2 (timeout 10s): accepted
  [3, 3000, 1, 1], // and .3: the set (size 2) is full now
  [4, 3000, 1, 0], // no room for .4: the update fails, the rule breaks; the next drops
  [2, 3004, 1, 0], // .2 is in seen: dropped
  [4, 3004, 1, 1], // .4 is not: through
  [3, 3003, 1, 1], // .3 deleted from seen, the policy accepts
  [3, 3004, 1, 1], // so .3 is no longer in it
  [5, 3001, 4, 2], // lim's element for .5: a burst of 2 under the rate, then over it (dropped)
  [6, 3002, 3, 2], // the meter's element for .6 likewise, accepting 2
];
const FRAMES = RUNS.flatMap(([host, dport, n]) => Array.from({ length: n }, (_, i) => dgram(host, dport, i)));
const WANT = RUNS.flatMap(([, , n, through]) => Array.from({ length: n }, (_, i) => i < through));

describe.skipIf(unready !== '' || noKernel !== '')(`dynamic sets through the stack against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const AFTER = ['list ruleset', 'list meters', 'flush set ip f pairs', 'list set ip f pairs', 'list sets ip'];
  const kern = kernelNftRun(RULESET, FRAMES, 'ks55ds', AFTER);

  it(`forwards what the kernel forwards of ${FRAMES.length} frames and lists the elements the packets added`, async () => {
    const { fx, out } = await oursNftRun(RULESET, FRAMES);
    expect(kern.out.map((o) => o.length > 0)).toEqual(WANT);
    expect(out).toEqual(kern.out);
    const kernList = kern.lists['0 list ruleset']!;
    // then the same commands in the same order: a flush empties what the packets added too
    AFTER.forEach((cmd, i) => expect(noExpiry(fx.dp.nft(cmd)), cmd).toBe(noExpiry(kern.lists[`${i} ${cmd}`]!)));
    expect(kern.lists['3 list set ip f pairs']).not.toContain('elements');
    // derived by hand: .2 stays in seen with the rule's timeout; .3 was deleted; every frame counted on its pair
    expect(noExpiry(kernList)).toContain('elements = { 192.0.2.2 timeout 10s expires … }');
    expect(kernList).toContain('192.0.2.5 . 3001 counter packets 4 bytes 212');
    // on the stack clock: 10 s on, .2's element (the rule's timeout 10s) has expired — gone from the listing, and a
    // lookup misses it (its 3004 frame goes through); a new update takes the room
    expect(fx.dp.nft('list set ip f seen')).toContain('192.0.2.2 timeout 10s');
    fx.advance(10_000);
    expect(fx.dp.nft('list set ip f seen')).not.toContain('elements');
    expect(fx.rx('eth0', dgram(2, 3004, 0)).get('eth1')?.length).toBe(1);
    expect(fx.rx('eth0', dgram(7, 3000, 0)).get('eth1')?.length).toBe(1);
    expect(fx.dp.nft('list set ip f seen')).toContain('elements = { 192.0.2.7 timeout 10s expires 10s }');
  });
});
