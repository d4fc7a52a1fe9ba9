// Dynamic sets against the kernel, review rv56 (nft_dynset.c): `update @s { ip saddr }` with no timeout of its own
// on an element that has its own (`elements = { 192.0.2.2 timeout 1h }` in a set of timeout 30s). Measured on Linux
// 6.18: nft_dynset_eval refreshes the expiration by the set's timeout (`priv->timeout ? : set->timeout`), the element
// keeping its listed `timeout 1h` — so it expires 30 s on, not an hour (a reading of older sources, the element's own
// timeout, is wrong for this kernel). wxdp does the same; this pins it.
// A Linux router in namespaces loaded with `nft -f` and wxdp with the same file; the same frames into eth0, what each
// forwarded on eth1 compared frame by frame, then `list ruleset` (expiries left out: the clocks differ).

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { eth, ipv4, stackUnready, udp4 } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { H0, M0 } from './ct_support.js';
import { kernelNftRun, oursNftRun } from './nft_kernel_support.js';
import { noExpiry } from './nft_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const RULESET = `table ip d {
	set seen {
		type ipv4_addr
		flags dynamic,timeout
		timeout 30s
		elements = { 192.0.2.2 timeout 1h }
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		udp dport 4702 update @seen { ip saddr }
	}
}
`;

const dgram = (dport: number, i: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '203.0.113.9', proto: 17, id: 0x7700 + i }, udp4('192.0.2.2', '203.0.113.9', 4000 + i, dport, new Uint8Array(12).fill(i))));

// derived by hand: the datagram refreshes .2's element and goes through
const FRAMES = [dgram(4702, 0)];
const WANT = [true];

describe.skipIf(unready !== '' || noKernel !== '')(`a dynamic set's refresh against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RULESET, FRAMES, 'rv56ds');

  it(`forwards what the kernel forwards of ${FRAMES.length} frames and lists the elements alike`, async () => {
    const { fx, out } = await oursNftRun(RULESET, FRAMES);
    expect(kern.out.map((o) => o.length > 0)).toEqual(WANT);
    expect(out).toEqual(kern.out);
    const kernList = kern.lists['0 list ruleset']!;
    expect(noExpiry(fx.dp.nft('list ruleset'))).toBe(noExpiry(kernList));
    // the refresh set the set's 30 s, the element's own hour still listed as its timeout
    expect(kernList).toMatch(/192\.0\.2\.2 timeout 1h expires (29s\d+ms|30s)/);
    expect(fx.dp.nft('list set ip d seen')).toContain('192.0.2.2 timeout 1h expires 30s');
    fx.advance(30_000);
    expect(fx.dp.nft('list set ip d seen')).not.toContain('elements');
  });
});
