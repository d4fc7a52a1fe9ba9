// A dynamic set's store is made when the set is published (assembly/net/nft_dynset.ts, src/control/nft.ts dynLive):
// a size whose store the Datapath cannot hold is refused with ENOMEM, whatever its byte count is modulo 2^32.

import { describe, expect, it } from 'vitest';
import { nftDatapath } from './nft_support.js';

describe('dynamic set sizes', () => {
  it.each([60000000, 100000000, 4294967295])('size %d: ENOMEM, the Datapath still usable', async (size) => {
    const dp = await nftDatapath();
    let err = '';
    try {
      dp.nft(`table ip t {\n\tset a { type ipv4_addr; size ${size}; flags dynamic; }\n\tchain in { type filter hook input priority 0; policy accept; add @a { ip saddr }; }\n}\n`);
    } catch (e) {
      err = (e as Error).message;
    }
    expect(err).toContain('Cannot allocate memory');
    dp.nft('table ip u {\n\tset b { type ipv4_addr; size 16; flags dynamic; }\n}\n');
    expect(dp.nft('list set ip u b')).toContain('size 16');
  });
});
