// A set of a size holds that many elements: nft_add_set_elem's atomic_add_unless(&set->nelems, 1, set->size +
// set->ndeact) refuses the one past it with ENFILE, at that element — a map's, a concatenation's, a set of timeouts',
// and a dynamic set's (whose store holds what the packets added too) alike; a batch that deletes one first makes room.
// Measured with nft 1.0.6 on Linux 6.18 in a namespace; wxdp took them all, and a dynamic set's store silently
// dropped the element it had no room for (review rv57).

import { describe, it } from 'vitest';
import { expectSequenceAsNft, expectTextRefusedAsNft, nftAgainst, nftSession } from './nft_support.js';

const { nsa, skip, why } = nftAgainst('rv57fu');

const table = (body: string): string => `table ip t {\n\t${body}\n}\n`;

describe.skipIf(skip)(`elements past a set's size${skip ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'rv57fu');
  it.each([
    ['a set', 'set s { type ipv4_addr; size 2; elements = { 192.0.2.1, 192.0.2.2, 192.0.2.3 }; }'],
    ['a map', 'map m { type ipv4_addr : mark; size 1; elements = { 192.0.2.1 : 1, 192.0.2.2 : 2 }; }'],
    ['a concatenation', 'set s { type ipv4_addr . inet_service; size 1; elements = { 192.0.2.1 . 1, 192.0.2.2 . 2 }; }'],
    ['a set of timeouts', 'set s { type ipv4_addr; size 2; flags timeout; elements = { 192.0.2.1, 192.0.2.2, 192.0.2.3 }; }'],
    ['a dynamic set', 'set s { type ipv4_addr; size 2; flags dynamic; elements = { 192.0.2.1, 192.0.2.2, 192.0.2.3 }; }'],
  ])('%s: ENFILE at the element past its size', (_what, body) => {
    expectTextRefusedAsNft(s, table(body), body);
  });

  it('a later add element past the size is refused; a batch that deletes one first takes it', () => {
    for (const flags of ['', 'flags dynamic; ']) {
      expectSequenceAsNft(s.ns, s.dp, [
        'flush ruleset',
        `add table ip t`,
        `add set ip t s { type ipv4_addr; size 2; ${flags}}`,
        'add element ip t s { 192.0.2.1, 192.0.2.2 }',
        'add element ip t s { 192.0.2.3 }',
        'delete element ip t s { 192.0.2.1 }; add element ip t s { 192.0.2.9 }',
        'list set ip t s',
      ]);
    }
  });
});
