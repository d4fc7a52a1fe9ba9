// Refusals worded as nft 1.0.6 words them, found by running nft and wxdp on the same bad rules: a prefix longer than
// its type (`Prefix length 33 is invalid for type of 32 bits width`), a reject code nft cannot name (`Could not parse
// icmp code`).

import { describe, it } from 'vitest';
import { expectSequenceAsNft, nftAgainst, nftSession } from './nft_support.js';

const { nsa, skip, why } = nftAgainst('nft58w');

const SEQUENCE = [
  'add table ip t',
  'add chain ip t c',
  'add rule ip t c ip saddr 1.2.3.4/33',
  'add rule ip t c ip saddr { 1.2.3.4/40 }',
  'add rule ip t c reject with icmp type foo',
  'add rule ip t c reject with icmp foo',
  'add rule ip t c reject with icmpx type foo',
  'add table ip6 t',
  'add chain ip6 t c',
  'add rule ip6 t c ip6 saddr ::1/129',
  'add rule ip6 t c reject with icmpv6 type foo',
  'list ruleset',
];

describe.skipIf(skip)(`refusals worded as nft 1.0.6's${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'nft58w');

  it(`refuses as nft does, each at its place (${SEQUENCE.length} commands)`, () => {
    expectSequenceAsNft(s.ns, s.dp, SEQUENCE);
  });
});
