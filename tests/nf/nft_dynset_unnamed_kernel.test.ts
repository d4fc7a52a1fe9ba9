// A set that is not `flags dynamic` but that a rule adds to (`add @s { ip saddr }`: the data path writes it, wxdp
// gives it a store) after that rule is gone (review rv56): in Linux 6.18 it stays the set it was, every element in
// it, and takes new ones and the rule again. wxdp retired the store but kept reading it before 12-07: `add element`
// went nowhere (the listing showed the old elements only, a lookup read a store returned to the allocator), and the
// rule added back threw a TypeError. The same commands to nft 1.0.6 in a namespace and to wxdp, outputs compared.

import { describe, it } from 'vitest';
import { expectSequenceAsNft, nftAgainst, nftSession } from './nft_support.js';

const { nsa, skip, why } = nftAgainst('rv56dn');

const CMDS = [
  'add table ip t',
  'add set ip t s { type ipv4_addr; }',
  'add chain ip t c { type filter hook input priority 0; }',
  'add rule ip t c add @s { ip saddr }',
  'add element ip t s { 192.0.2.5 }',
  'list set ip t s',
  'flush chain ip t c',
  'add element ip t s { 192.0.2.6 }',
  'list set ip t s',
  'add rule ip t c ip saddr @s counter',
  'add rule ip t c update @s { ip saddr }',
  'delete element ip t s { 192.0.2.5 }',
  'list ruleset',
];

describe.skipIf(skip)(`a set a rule added to, after the rule${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'rv56dn');

  it('keeps its elements, takes new ones and the rule again, as nft 1.0.6 and Linux 6.18 do', () => {
    expectSequenceAsNft(s.ns, s.dp, CMDS);
  });
});
