// Set statements into maps to an address and a port (`add @m { ip saddr : ip daddr . udp dport }`, `update @m { ip
// saddr : 203.0.113.7 . 4444 }`): the fields into the data registers one each, as NAT reads them back (`dnat ip to ip
// saddr map @m`). Listed and refused alike with nft 1.0.6; then datagrams through a Linux 6.18 router in namespaces and
// through wxdp: the maps' elements alike, and a later connection DNATed to what the packets wrote.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { eth, ipv4, stackUnready, udp4 } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { H0, M0 } from './ct_support.js';
import { kernelNftRun, oursNftRun } from './nft_kernel_support.js';
import { expectSequenceAsNft, nftAgainst, nftSession } from './nft_support.js';

const { nsa, skip, why } = nftAgainst('nft58d');

const SEQUENCE = [
  'add table ip t',
  'add map ip t m { type ipv4_addr : ipv4_addr . inet_service; flags dynamic; }',
  'add chain ip t c { type filter hook forward priority 0; }',
  'add rule ip t c add @m { ip saddr : ip daddr . tcp dport }',
  'add rule ip t c update @m { ip saddr : 192.0.2.1 . 80 }',
  'add rule ip t c add @m { ip saddr : tcp dport . ip daddr }',
  'add rule ip t c add @m { ip saddr : ip daddr }',
  'add rule ip t c add @m { ip saddr : 192.0.2.1 }',
  'list ruleset',
];

describe.skipIf(skip)(`set statements into maps to an address and a port, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'nft58d');

  it(`takes, lists and refuses as nft does (${SEQUENCE.length} commands)`, () => {
    expectSequenceAsNft(s.ns, s.dp, SEQUENCE);
  });
});

const RULESET = `table ip x {
	map seen {
		type ipv4_addr : ipv4_addr . inet_service
		flags dynamic
	}
	map to {
		type ipv4_addr : ipv4_addr . inet_service
		flags dynamic
	}
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		udp dport 3100 dnat ip to ip saddr map @to
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		add @seen { ip saddr : ip daddr . udp dport }
		udp dport 3100 update @to { ip saddr : 203.0.113.7 . 4444 }
	}
}
`;
const dgram = (host: number, dport: number, sport: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: `192.0.2.${host}`, dst: '203.0.113.9', proto: 17, id: 0x5d00 + sport }, udp4(`192.0.2.${host}`, '203.0.113.9', sport, dport, new Uint8Array(10).fill(host))));
// .2 and .3 to 3100 (not translated: @to has nothing yet; it gets their entries), then each again from another port
// (a new connection: DNATed to 203.0.113.7:4444); .4 to 3200 (only @seen)
const FRAMES = [dgram(2, 3100, 4000), dgram(3, 3100, 4000), dgram(2, 3100, 4001), dgram(3, 3100, 4001), dgram(4, 3200, 4000)];

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

describe.skipIf(unready !== '' || noKernel !== '')(`set statements into maps to an address and a port against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RULESET, FRAMES, 'nft58d', ['list ruleset']);

  it(`writes what the kernel writes from ${FRAMES.length} datagrams and NATs by it`, async () => {
    const { fx, out } = await oursNftRun(RULESET, FRAMES);
    expect(kern.out.every((o) => o.length === 1)).toBe(true);
    expect(out).toEqual(kern.out);
    expect(fx.dp.nft('list ruleset')).toBe(kern.lists['0 list ruleset']);
    // derived by hand: the second connections' destination 203.0.113.7 port 4444 (daddr at 14 + 16, dport at 14 + 20 + 2)
    for (const o of kern.out.slice(2, 4)) expect(o[0]!.slice(60, 68) + o[0]!.slice(72, 76)).toBe('cb00710711' + '5c');
    expect(kern.lists['0 list ruleset']).toContain('192.0.2.4 : 203.0.113.9 . 3200');
  });
});
