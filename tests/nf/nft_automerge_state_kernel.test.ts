// What an auto-merged element keeps, and the statements an element may carry, in the nft text front end against
// nft itself (Debian's nftables 1.0.6 and the 6.18 kernel, in a namespace of the test's own). nft's set_automerge
// keeps one of the elements a merged interval is made of: a new element that extends an old one replaces it (its
// timeout, comment and a counter from zero), one that extends a new one is absorbed, one inside adds nothing — so
// the merged element has the state of the lowest new element that extended it (measured, the sequence below).
// An element written with two counters in a set of one is nft's "number of statements mismatch". Expiry times run
// on each side's own clock while the commands run: listings compare with them written `expires …`.

import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { ipv4, udp } from '../support/frames.js';
import { ChainRunner, expectSequenceAsNft, nftAgainst, nftDatapath, nftSession, noExpiry } from './nft_support.js';

const { nsa, skip, why } = nftAgainst('ks43am');
const built = existsSync(new URL('../../build/fastpath.wasm', import.meta.url));

const SEQUENCE = [
  'add table ip m',
  'add set ip m s { type ipv4_addr; flags interval,timeout; auto-merge; }',
  'add element ip m s { 192.0.2.1 timeout 1h, 192.0.2.3 timeout 3h, 192.0.2.10-192.0.2.20 timeout 4h, 192.0.2.40 timeout 6h }',
  // between two old ones: the new element's timeout (2h)
  'add element ip m s { 192.0.2.2 timeout 2h }',
  // inside an old one: nothing changes (4h)
  'add element ip m s { 192.0.2.15 timeout 5h }',
  // below an old one: the new one's (7h, its comment)
  'add element ip m s { 192.0.2.39 timeout 7h comment "a" }',
  // two new ones above an old one: the lower new one's (9h), written second
  'add element ip m s { 192.0.2.42 timeout 8h, 192.0.2.41 timeout 9h }',
  'list set ip m s',
  // in one declaration: the lowest element's counter and comment, whatever the order written
  'add set ip m c { type ipv4_addr; flags interval; counter; auto-merge; elements = { 192.0.2.2 counter packets 2 bytes 20, 192.0.2.1 counter packets 1 bytes 10 comment "x" } ; }',
  'list set ip m c',
  'add element ip m c { 192.0.2.3 }',
  'list set ip m c',
  'add element ip m c { 192.0.2.9 counter packets 1 bytes 2 counter }',
  'add element ip m c { 192.0.2.9 counter counter counter }',
  'add set ip m t { type ipv4_addr; flags interval; timeout 1h; counter; auto-merge; }',
  'list set ip m t',
  'add set ip m x { type ipv4_addr; }',
  'add element ip m x { 192.0.2.1 counter counter }',
  'list ruleset',
];

describe.skipIf(skip)(`auto-merged elements' state and element statements, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'ks43am');

  it('answers each command of a sequence as nft does: merged timeouts, comments and counters, statement counts', () => {
    expectSequenceAsNft(s.ns, s.dp, SEQUENCE, noExpiry);
  });
});

describe.skipIf(!built)('auto-merged elements in the data path', () => {
  it('a merged element counts its hits from zero; a set statement wxdp does not keep is refused by name', async () => {
    const dp = await nftDatapath(['eth0']);
    dp.nft(`table ip m {
	set c {
		type ipv4_addr
		flags interval
		counter
		auto-merge
		elements = { 192.0.2.1 counter packets 1 bytes 10, 192.0.2.2 }
	}
	chain in {
		type filter hook input priority filter; policy drop;
		ip saddr @c accept
	}
}`);
    const r = new ChainRunner(dp);
    const run = (src: string): number => r.run('ip', 'm', 'in', ipv4({ src, dst: '203.0.113.1', proto: 17, payload: udp(src, '203.0.113.1', 4000, 7, new Uint8Array(4)) }), { hook: 1 }).verdict;
    dp.nft('add element ip m c { 192.0.2.3 }');
    // 20 + 8 + 4 = 32 bytes a datagram
    expect([run('192.0.2.1'), run('192.0.2.3'), run('192.0.2.4')]).toEqual([1, 1, 0]);
    expect(dp.nft('list set ip m c')).toContain('elements = { 192.0.2.1-192.0.2.3 counter packets 2 bytes 64 }');
    // nft takes quota and limit as set statements (listed on each element); wxdp keeps counters only
    expect(() => dp.nft('add set ip m q { type ipv4_addr; quota 10 bytes; }')).toThrow('wxdp keeps no quota per set element');
    expect(() => dp.nft('add set ip m l { type ipv4_addr; limit rate 10/second; }')).toThrow('wxdp keeps no limit per set element');
    expect(() => dp.nft('add set ip m d { type ipv4_addr; counter; counter; }')).toThrow('wxdp keeps one counter per set element');
  });
});
