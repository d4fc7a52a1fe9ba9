// A dynamic set's store grows with its elements (assembly/net/nft_dynset.ts): its table starts at 64 slots and doubles
// at half full up to the set's most (1.25 × size, a power of two), every element still found after each rehash, the
// set's size still the limit (atomic_add_unless(nelems, 1, size): the next add fails), the tables grown out of given
// back to reclaim.ts. WXDP_DYNSET_AB=1 adds an in-process A/B of lookups: a table of the old fixed size (131072 slots
// for the default size 65535, what every store reserved up front) against the grown one, the same elements in both.

import { describe, expect, it } from 'vitest';
import { nftDatapath } from './nft_support.js';

interface X {
  rc_alloc(n: number): number;
  rc_free_bytes(): bigint;
  rc_reclaim(): number;
  nft_dynset_new(klen: number, dlen: number, size: number, slot: number, most: number, tlo: number, thi: number, timeouts: number): number;
  nft_dynset_ctl(st: number, k: number, op: number, tlo: number, thi: number): number;
  nft_dynset_find_n(st: number, keys: number, n: number): number;
  nft_dynset_reap(st: number): void;
}

const SB = 32;
const most = (size: number): number => {
  let s = 16;
  while (s < size + (size >>> 2)) s *= 2;
  return s;
};

async function store(size: number): Promise<{ x: X; st: number; ctl: (key: number, op: number) => number; slots: () => number; keys: (list: number[]) => number }> {
  const dp = await nftDatapath();
  const x = dp.stack.exports<X>();
  const st = x.nft_dynset_new(4, 0, size, SB, most(size), 0, 0, 0) >>> 0;
  const k = x.rc_alloc(128) >>> 0;
  const v = (): DataView => dp.memory.view();
  let kbuf = 0;
  return {
    x,
    st,
    ctl: (key, op) => {
      v().setUint32(k, key, true);
      return x.nft_dynset_ctl(st, k, op, 0, 0);
    },
    slots: () => v().getUint32(v().getUint32(st + 48, true), true),
    keys: (list) => {
      if (kbuf === 0) kbuf = x.rc_alloc(4 * 65536) >>> 0;
      list.forEach((key, i) => v().setUint32(kbuf + 4 * i, key, true));
      return kbuf;
    },
  };
}

describe('dynamic set stores grow with their elements', () => {
  it('a set of size 1000: 64 slots first, 2048 once full, every element found, the 1001st refused', async () => {
    const s = await store(1000);
    expect(s.slots()).toBe(64);
    const keys = Array.from({ length: 1000 }, (_, i) => 0xc6336400 + i * 7919);
    keys.forEach((key, i) => {
      expect(s.ctl(key, 0)).toBe(1);
      // half full at most: 33 elements take a table of 128
      if (i === 31) expect(s.slots()).toBe(64);
      if (i === 32) expect(s.slots()).toBe(128);
    });
    expect(s.slots()).toBe(2048);
    expect(s.x.nft_dynset_find_n(s.st, s.keys(keys), keys.length)).toBe(1000);
    expect(s.x.nft_dynset_find_n(s.st, s.keys(keys.map((k) => k + 1)), keys.length)).toBe(0);
    expect(s.ctl(0xcb007101, 0)).toBe(0); // set->size
    expect(s.ctl(keys[5]!, 1)).toBe(1);
    expect(s.ctl(0xcb007101, 0)).toBe(1);
    // the five tables grown out of (64 … 1024 slots) go back to reclaim.ts
    const free = s.x.rc_free_bytes();
    s.x.nft_dynset_reap(s.st);
    for (let i = 0; i < 3; i++) s.x.rc_reclaim();
    expect(Number(s.x.rc_free_bytes() - free)).toBeGreaterThanOrEqual((64 + 128 + 256 + 512 + 1024) * SB);
  });

  it('the default size fills to 65535 elements in its 131072 slots, no further', async () => {
    const s = await store(65535);
    for (let i = 0; i < 65535; i++) expect(s.ctl(0x0a000000 + i, 0)).toBe(1);
    expect(s.slots()).toBe(131072);
    expect(s.ctl(0x0b000000, 0)).toBe(0);
  });

  it('through nft: 3000 elements added to a `flags dynamic` set are listed back', async () => {
    const dp = await nftDatapath();
    dp.nft('table ip t {\n\tset s { type ipv4_addr; flags dynamic; }\n}\n');
    const all = Array.from({ length: 3000 }, (_, i) => `198.51.${100 + (i >> 8)}.${i & 255}`);
    for (let i = 0; i < all.length; i += 500) dp.nft(`add element ip t s { ${all.slice(i, i + 500).join(', ')} }`);
    const listed = dp.nft('list set ip t s').match(/198\.51\.\d+\.\d+/g) ?? [];
    expect(new Set(listed)).toEqual(new Set(all));
  });

  it.skipIf(!process.env.WXDP_DYNSET_AB)('A/B: lookups in a grown table against one of the old fixed size', async () => {
    for (const n of [1000, 1000, 10000, 40000]) { // (the first pass warms the module up: V8 tiers up)
      const keys = Array.from({ length: n }, (_, i) => (0x0a000000 + Math.imul(i, 2654435761)) >>> 0);
      // before: the table every store had (131072 slots for size 65535), made so by filling it then deleting
      const old = await store(65535);
      for (let i = 0; i < 65535; i++) old.ctl(0x0b000000 + i, 0);
      for (let i = 0; i < 65535; i++) old.ctl(0x0b000000 + i, 1);
      for (const k of keys) old.ctl(k, 0);
      expect(old.slots()).toBe(131072);
      const grown = await store(65535);
      for (const k of keys) grown.ctl(k, 0);
      const probe = Array.from({ length: 4096 }, () => keys[Math.floor(Math.random() * n)]!);
      const time = (s: typeof old): number => {
        const at = s.keys(probe);
        for (let w = 0; w < 50; w++) s.x.nft_dynset_find_n(s.st, at, 4096);
        let best = Infinity;
        for (let r = 0; r < 20; r++) {
          const t = process.hrtime.bigint();
          for (let j = 0; j < 10; j++) expect(s.x.nft_dynset_find_n(s.st, at, 4096)).toBe(4096);
          best = Math.min(best, Number(process.hrtime.bigint() - t) / (10 * 4096));
        }
        return best;
      };
      const [a, b] = [time(old), time(grown)];
      console.log(`dynset lookups, ${n} elements, 4096 random members: old fixed table (131072 slots) ${a.toFixed(1)} ns, grown (${grown.slots()} slots) ${b.toFixed(1)} ns, ratio ${(b / a).toFixed(2)}`);
    }
  }, 120_000);
});
