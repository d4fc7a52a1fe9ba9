// The arena's free list (assembly/maps/arena.ts): freed blocks are reused first fit, aligned as asked,
// merged with their free neighbours, handed out zeroed, and a free block reaching the top lowers it.
// Checked against a model of the arena kept here: no two live blocks overlap, whatever the order.

import { describe, expect, it } from 'vitest';
import { fresh, haveWasm } from './support.js';

describe.skipIf(!haveWasm)('arena free list', () => {
  it('reuses a freed block, merges neighbours and lowers the top', async () => {
    const fp = await fresh();
    const alloc = fp.fn<(size: number, align: number) => number>('arena_alloc');
    const free = fp.fn<(a: number, n: number) => void>('arena_free');
    const top = () => fp.fn<() => number>('arena_top')() >>> 0;
    const freeBytes = () => fp.fn<() => number>('arena_free_bytes')() >>> 0;
    const a = alloc(100, 8); // rounded to 104
    const b = alloc(64, 8);
    const c = alloc(32, 8);
    expect(b).toBe(a + 104);
    expect(c).toBe(b + 64);
    const t = top();
    fp.memory.bytes().fill(0xee, a, a + 104);
    free(a, 100);
    expect(freeBytes()).toBe(104);
    // first fit: a smaller block comes from the freed one, zeroed; the rest stays free
    const d = alloc(40, 8);
    expect(d).toBe(a);
    expect([...fp.memory.bytes().subarray(d, d + 40)].every((x) => x === 0)).toBe(true);
    expect(freeBytes()).toBe(64);
    expect(top()).toBe(t);
    // freeing d and b merges them with the remainder: one block of 104 + 64 at a
    free(d, 40);
    free(b, 64);
    expect(freeBytes()).toBe(168);
    expect(alloc(168, 8)).toBe(a);
    expect(freeBytes()).toBe(0);
    // a block that ends at the top lowers it, with the free blocks below it
    free(a, 168);
    free(c, 32);
    expect(top()).toBe(a);
    expect(freeBytes()).toBe(0);
  });

  it('an aligned allocation takes an aligned part of a free block and keeps the rest', async () => {
    const fp = await fresh();
    const alloc = fp.fn<(size: number, align: number) => number>('arena_alloc');
    const free = fp.fn<(a: number, n: number) => void>('arena_free');
    const freeBytes = () => fp.fn<() => number>('arena_free_bytes')() >>> 0;
    const big = alloc(3 * 4096, 8);
    alloc(8, 8); // keeps the big block off the top
    free(big, 3 * 4096);
    const p = alloc(4096, 4096);
    expect(p % 4096).toBe(0);
    expect(p).toBeGreaterThanOrEqual(big);
    expect(p + 4096).toBeLessThanOrEqual(big + 3 * 4096);
    expect(freeBytes()).toBe(2 * 4096);
  });

  it('random allocations and frees never overlap a live block (model check)', async () => {
    const fp = await fresh();
    const alloc = fp.fn<(size: number, align: number) => number>('arena_alloc');
    const free = fp.fn<(a: number, n: number) => void>('arena_free');
    const freeBytes = () => fp.fn<() => number>('arena_free_bytes')() >>> 0;
    let seed = 12345;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
    const live: Array<{ at: number; size: number; tag: number }> = [];
    for (let i = 0; i < 3000; i++) {
      if (live.length && rnd(3) === 0) {
        const [blk] = live.splice(rnd(live.length), 1);
        // its bytes were never touched by anyone else
        const mem = fp.memory.bytes();
        expect(mem.subarray(blk!.at, blk!.at + blk!.size).every((x) => x === blk!.tag), `block ${blk!.at}+${blk!.size} was written by another`).toBe(true);
        free(blk!.at, blk!.size);
        continue;
      }
      const size = 8 + rnd(600);
      const align = [8, 16, 64, 4096][rnd(4)]!;
      const at = alloc(size, align) >>> 0;
      expect(at % align).toBe(0);
      const mem = fp.memory.bytes();
      expect(mem.subarray(at, at + size).every((x) => x === 0), `block ${at}+${size} not zeroed`).toBe(true);
      const hit = live.find((o) => !(at + size <= o.at || o.at + o.size <= at));
      expect(hit, `block ${at}+${size} overlaps a live one`).toBeUndefined();
      const tag = 1 + (i % 250);
      mem.fill(tag, at, at + size);
      live.push({ at, size, tag });
    }
    for (const blk of live.splice(0)) free(blk.at, blk.size);
    // everything went back: only the blocks below the first allocation (none) may stay on the list
    expect(freeBytes()).toBe(0);
  });
});
