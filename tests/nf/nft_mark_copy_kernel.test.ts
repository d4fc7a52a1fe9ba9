// `meta mark set ct mark` and `ct mark set meta mark` (the restore and save idioms: a mark loaded into a
// register, nft_meta_set_eval / nft_ct_set_eval from it), which wxdp refused before 12-07 (a mark from a
// field only through a map), against nft itself: each command's answer and the chain listed back. Their
// effect on packets is the nf fuzzer's (WXDP_NF_FUZZ_MARKS: a prerouting chain that saves and restores
// marks, fwmark rules routing by them; seeds 550-583).

import { describe, it } from 'vitest';
import { expectSequenceAsNft, nftAgainst, nftSession } from './nft_support.js';

const { nsa, skip, why } = nftAgainst('fz52mk');

const SEQUENCE = [
  'add table inet t',
  'add chain inet t pre { type filter hook prerouting priority mangle; policy accept; }',
  'add rule inet t pre meta mark set ct mark',
  'add rule inet t pre ct mark set meta mark counter',
  'add rule inet t pre meta mark != 0x0 ct mark set meta mark',
  'add rule inet t pre ct state new ct mark set meta mark meta mark set ct mark',
  'add rule inet t pre meta mark set ct mark map { 0x7 : 0x7 }',
  'list chain inet t pre',
  '-a list chain inet t pre',
];

describe.skipIf(skip)(`a mark set from the other mark, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'fz52mk');
  it('answers each command and lists the chain as nft does', () => {
    expectSequenceAsNft(s.ns, s.dp, SEQUENCE);
  });
});
