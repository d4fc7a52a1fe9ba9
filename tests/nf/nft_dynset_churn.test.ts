// A dynamic set's store (assembly/net/nft_dynset.ts) under churn: deleted elements must not leave the store without
// free slots, or every lookup of an absent key and every insert probes all of it (131072 slots at the default size).

import { describe, expect, it } from 'vitest';
import { nftDatapath } from './nft_support.js';

interface X {
  rc_alloc(n: number): number;
  nft_dynset_ctl(st: number, k: number, op: number, tlo: number, thi: number): number;
}

describe('dynamic set store churn', () => {
  it('after 20 rounds of 16 new keys added and deleted, the store is free again', async () => {
    const dp = await nftDatapath();
    const x = dp.stack.exports<X>();
    const [SLOTS, SB] = [32, 32];
    const st = x.rc_alloc(64 + SLOTS * SB) >>> 0;
    const k = x.rc_alloc(64) >>> 0;
    const v = (): DataView => dp.memory.view();
    new Uint8Array(v().buffer, v().byteOffset + st, 64 + SLOTS * SB).fill(0);
    v().setUint32(st, 4, true); // key bytes
    v().setUint32(st + 4, SLOTS, true);
    v().setUint32(st + 8, 16, true); // size
    v().setUint32(st + 16, SB, true);
    const ctl = (key: number, op: number): number => {
      v().setUint32(k, key, true);
      return x.nft_dynset_ctl(st, k, op, 0, 0);
    };
    const free = (): number => Array.from({ length: SLOTS }, (_, i) => v().getUint32(st + 64 + i * SB, true)).filter((s) => s === 0).length;
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
