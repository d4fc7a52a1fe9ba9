// A dynamic set's store is made when the set is published (assembly/net/nft_dynset.ts, src/control/nft.ts dynLive):
// any size is taken, as Linux 6.18 takes it (tests/nf/nft_dynset_huge_kernel); the store's table starts small and
// grows at most to a table whose bytes a u32 holds, whatever the size's byte count is modulo 2^32 (once a RangeError
// out of dynLive and a leaked block: rc_alloc's u32 took size 60000000 of ipv4_addr, 2^32 + 64 bytes, as 64).

import { describe, expect, it } from 'vitest';
import { nftDatapath } from './nft_support.js';

describe('dynamic set sizes', () => {
  it.each([60000000, 100000000, 4294967295])('size %d: taken, its table bounded below 4 GiB, the Datapath still usable', async (size) => {
    const dp = await nftDatapath();
    dp.nft(`table ip t {\n\tset a { type ipv4_addr; size ${size}; flags dynamic; }\n\tchain in { type filter hook input priority 0; policy accept; add @a { ip saddr }; }\n}\n`);
    expect(dp.nft('list set ip t a')).toContain(`size ${size}`);
    const st = (dp.nftables as unknown as { state: { tables: { sets: { name: string; live?: number }[] }[] } }).state.tables[0]!.sets[0]!.live!;
    const v = dp.memory.view();
    const [most, slot] = [v.getUint32(st + 4, true), v.getUint32(st + 16, true)];
    expect(most & (most - 1)).toBe(0);
    expect(64 + most * slot).toBeLessThanOrEqual(0xffffffff);
    expect(64 + 2 * most * slot).toBeGreaterThan(0xffffffff);
    dp.nft('table ip u {\n\tset b { type ipv4_addr; size 16; flags dynamic; }\n}\n');
    expect(dp.nft('list set ip u b')).toContain('size 16');
  });
});
