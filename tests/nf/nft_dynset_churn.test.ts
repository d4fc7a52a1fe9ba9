// A dynamic set's store (assembly/net/nft_dynset.ts) under churn: deleted elements must not leave the store without
// free slots, or every lookup of an absent key and every insert probes all of it (131072 slots at the default size).

import { describe, expect, it } from 'vitest';
import { nftDatapath } from './nft_support.js';

interface X {
  rc_alloc(n: number): number;
  nft_dynset_new(klen: number, dlen: number, size: number, slot: number, most: number, tlo: number, thi: number, timeouts: number): number;
  nft_dynset_ctl(st: number, k: number, op: number, tlo: number, thi: number): number;
}

describe('dynamic set store churn', () => {
  it('after 20 rounds of 16 new keys added and deleted, the store is free again', async () => {
    const dp = await nftDatapath();
    const x = dp.stack.exports<X>();
    const [SLOTS, SB] = [32, 32];
    // 4-byte keys, size 16, a table of 32 slots at most (and from the start: fewer than nft_dynset.ts's DS_START)
    const st = x.nft_dynset_new(4, 0, 16, SB, SLOTS, 0, 0, 0) >>> 0;
    const k = x.rc_alloc(128) >>> 0;
    const v = (): DataView => dp.memory.view();
    const tb = v().getUint32(st + 48, true);
    expect(v().getUint32(tb, true)).toBe(SLOTS);
    const ctl = (key: number, op: number): number => {
      v().setUint32(k, key, true);
      return x.nft_dynset_ctl(st, k, op, 0, 0);
    };
    const free = (): number => Array.from({ length: SLOTS }, (_, i) => v().getUint32(tb + 64 + i * SB, true)).filter((s) => s === 0).length;
    for (let r = 0; r < 20; r++) {
      const keys = Array.from({ length: 16 }, (_, i) => 0xc0000200 + r * 16 + i);
      for (const key of keys) expect(ctl(key, 0)).toBe(1);
      // deleted in an order of their own (not the insert's)
      for (const key of [...keys].reverse().filter((_, i) => i % 2 === 0).concat(keys.filter((_, i) => i % 2 === 0))) expect(ctl(key, 1)).toBe(1);
    }
    expect(v().getUint32(st + 12, true)).toBe(0);
    expect(free()).toBe(SLOTS);
  });
});
