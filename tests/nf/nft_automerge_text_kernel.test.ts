// Interval sets in the nft text front end against nft itself (Debian's nftables 1.0.6 and the 6.18 kernel, in a
// namespace of the test's own): `auto-merge` sets, whose overlapping and adjacent intervals nft merges (in the file,
// and with the set's elements as more are added), and plain interval sets, whose intervals list back as the kernel
// keeps them (a range that is a prefix as the prefix, a one-address range as the address); then a command sequence
// whose outputs and first errors are compared — additions merged, a covered element, overlaps refused by nft in a
// set without auto-merge, deletes of whole intervals and of parts (nft: `element does not exist`), auto-merge
// without intervals — and lookups run over packets against the merged intervals.

import { describe, expect, it } from 'vitest';
import { ipv4 } from '../support/frames.js';
import { ChainRunner, expectSequenceAsNft, loadListedAsNft, nftAgainst, nftSession } from './nft_support.js';

const FIXTURE = new URL('./fixtures/nft_automerge.nft', import.meta.url).pathname;
const { nsa, skip, why } = nftAgainst('ks42am');

const SEQUENCE = [
  'add element ip t p { 21-25, 99 }',
  'add element ip t p { 8 }',
  'add element ip t n { 5 }',
  'add element ip t n { 25-35 }',
  'add element ip t n { 21 }',
  'add element ip t n { 1-10 }',
  'delete element ip t p { 30-31 }',
  'delete element ip t p { 30 }',
  'delete element ip t n { 5 }',
  'delete element ip t n { 1-10 }',
  'delete element ip t n { 1-10 }',
  'add set ip t x { type ipv4_addr; auto-merge; }',
  'add set ip t y { type ipv4_addr; flags interval; auto-merge; elements = { 192.0.2.0/24, 192.0.2.1 } ; }',
  'add element ip t a { 192.0.2.0/23 }',
  'list set ip t a',
  'list sets',
  'list ruleset',
];

describe.skipIf(skip)(`interval sets and auto-merge, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'ks42am');

  it('lists merged and plain interval sets as nft does, handles included', () => {
    const k = loadListedAsNft(s.ns, s.dp, FIXTURE);
    expect(k).toContain('elements = { 192.0.2.0/24, 198.51.100.1-198.51.100.9,\n\t\t\t     203.0.113.5, 203.0.113.7 }');
    expect(k).toContain('elements = { 1-20, 30-31, 100 }');
    expect(k).toContain('elements = { 192.0.2.0/24, 198.51.100.4,\n\t\t\t     203.0.113.0, 203.0.113.8/31 }');
  });

  it('answers each command of a sequence as nft does: merges, overlaps, deletes', () => {
    expectSequenceAsNft(s.ns, s.dp, SEQUENCE);
  });

  it('looks packets up in the merged and listed intervals', () => {
    const r = new ChainRunner(s.dp);
    const pkt = (src: string): Uint8Array => ipv4({ src, dst: '198.51.100.200', proto: 17, payload: new Uint8Array(8) });
    // @ranges drops 192.0.2.0/24 and 203.0.113.8-9 (and 198.51.100.4, 203.0.113.0); 203.0.113.10 is past the range
    const v = ['192.0.2.200', '203.0.113.9', '203.0.113.10', '198.51.100.4', '198.51.100.5'].map((a) => r.run('ip', 'm', 'c', pkt(a)).verdict);
    expect(v).toEqual([0, 0, 1, 0, 1]);
  });
});
