// A worker's frame cache (assembly/umem.ts, the shared build; page_pool's per-CPU alloc cache): the
// frames a worker frees wait in its own area and are the first it takes again, newest first, so that a
// frame's cache lines stay with the core that last wrote them; the pool is visited 64 frames at a time
// when the cache runs dry or holds 128. Driven here on one instance made a worker by frameCacheSet, with
// the pool's lock-free count (DP_POOL_FREE) read beside dp_pool_free (which counts cached frames too).
import { describe, expect, it } from 'vitest';
import { FastPath } from '../../src/runtime/fastpath.js';
import { EngineMemory } from '../../src/runtime/memory.js';

const DP_POOL_FREE = 0x2200 + 8;

interface X {
  dp_init(frames: number): number;
  dp_pool_free(): number;
  frame_alloc(): number;
  frame_free(addr: number): void;
  frameCacheSet(w: number, area: number): void;
  frameCacheDrain(): void;
  arena_alloc(size: number, align: number): number;
  ring_create(size: number, entrySize: number): number;
  framesAllocTo(r: number, p: number, n: number): number;
  framesFreeFrom(r: number, c: number, n: number): void;
}

async function worker(frames: number): Promise<{ x: X; pool: () => number; view: () => DataView }> {
  const mem = new EngineMemory({ shared: true });
  const fp = await FastPath.load(mem);
  const x = fp.exports as unknown as X;
  expect(x.dp_init(frames)).toBe(0);
  const area = x.arena_alloc(4096, 64) >>> 0;
  x.frameCacheSet(0, area);
  const view = () => new DataView(mem.memory.buffer);
  return { x, pool: () => view().getUint32(DP_POOL_FREE, true), view };
}

describe('the frame cache of a worker', () => {
  it('gives back what it freed last, first; takes 64 from the pool when dry and spills the oldest 64 at 128', async () => {
    const { x, pool } = await worker(1024);
    // dry: the first allocation takes 64 frames off the pool, one of them handed out
    const a = x.frame_alloc() >>> 0;
    expect(a).not.toBe(0);
    expect(pool()).toBe(1024 - 64);
    expect(x.dp_pool_free()).toBe(1023);
    // LIFO through the cache: the frames freed come back newest first, the pool untouched
    const b = x.frame_alloc() >>> 0;
    x.frame_free(a + 100); // any address inside the frame
    x.frame_free(b);
    expect(x.frame_alloc() >>> 0).toBe(b);
    expect(x.frame_alloc() >>> 0).toBe(a);
    expect(pool()).toBe(1024 - 64);
    // 130 frames out: three visits to the pool (64 each), 62 left on the cache
    const out = [a, b, ...Array.from({ length: 128 }, () => x.frame_alloc() >>> 0)];
    expect(new Set(out).size).toBe(130);
    expect(pool()).toBe(1024 - 192);
    expect(x.dp_pool_free()).toBe(1024 - 130);
    // all back: at 128 the oldest 64 (the 62 left over and the first two freed) go to the pool
    for (const f of out) x.frame_free(f);
    expect(pool()).toBe(1024 - 192 + 64);
    expect(x.dp_pool_free()).toBe(1024);
    // newest first: the last 128 freed, in reverse, without a visit to the pool
    expect(Array.from({ length: 128 }, () => x.frame_alloc() >>> 0)).toEqual(out.slice(2).reverse());
    expect(pool()).toBe(1024 - 192 + 64);
    for (const f of out.slice(2)) x.frame_free(f);
    // a worker that stops gives every cached frame back
    x.frameCacheDrain();
    expect(pool()).toBe(1024);
    expect(x.dp_pool_free()).toBe(1024);
  });

  it('fills and empties a ring in bulk as frame_alloc / frame_free one at a time would: 64 at a time from the pool, spilling the oldest 64 at 128', async () => {
    const { x, pool, view } = await worker(1024);
    // a fill ring of 256 u64 entries (RING_ENTRIES at +16: where they start); entry i at entries + 8 (i & 255)
    const r = x.ring_create(256, 8) >>> 0;
    const entry = (i: number): number => Number(view().getBigUint64((view().getUint32(r + 16, true) >>> 0) + 8 * (i & 255), true));
    // 100 frames into entries 250..255, 0..93 (the index wraps): two visits to the pool, 28 left on the cache
    expect(x.framesAllocTo(r, 250, 100)).toBe(100);
    const put = Array.from({ length: 100 }, (_, i) => entry(250 + i));
    expect(new Set(put).size).toBe(100);
    expect(put.every((f) => f !== 0 && f % 4096 === 0)).toBe(true);
    expect(entry(94)).toBe(0);
    expect(entry(249)).toBe(0);
    expect(pool()).toBe(1024 - 128);
    expect(x.dp_pool_free()).toBe(1024 - 100);
    // 30 more one at a time: the 28 cached, then 64 off the pool (62 left on the cache)
    const one = Array.from({ length: 30 }, () => x.frame_alloc() >>> 0);
    expect(new Set([...put, ...one]).size).toBe(130);
    expect(pool()).toBe(1024 - 192);
    // the ring's 100 back (any address inside a frame: the entry's low bits are options): the cache
    // reaches 128 with the 66th, spills its oldest 64 to the pool before the 67th, and holds 64 + 34 at the end
    for (let i = 0; i < 100; i++) view().setBigUint64((view().getUint32(r + 16, true) >>> 0) + 8 * ((250 + i) & 255), BigInt(put[i]! + 256), true);
    x.framesFreeFrom(r, 250, 100);
    expect(pool()).toBe(1024 - 192 + 64);
    expect(x.dp_pool_free()).toBe(1024 - 30);
    // newest first: the last entry freed (index 93) is the next frame out, then the one before it
    expect(x.frame_alloc() >>> 0).toBe(put[99]);
    expect(x.frame_alloc() >>> 0).toBe(put[98]);
    x.frame_free(put[98]!);
    x.frame_free(put[99]!);
    for (const f of one) x.frame_free(f);
    x.frameCacheDrain();
    expect(pool()).toBe(1024);
    // every frame once on the pool
    const all = Array.from({ length: 1024 }, () => x.frame_alloc() >>> 0);
    expect(new Set(all).size).toBe(1024);
    expect(all.includes(0)).toBe(false);
  });

  it('hands out no frame twice and loses none when the pool runs dry', async () => {
    const { x, pool } = await worker(100);
    const out = Array.from({ length: 100 }, () => x.frame_alloc() >>> 0);
    expect(new Set(out).size).toBe(100);
    expect(out.every((f) => f !== 0)).toBe(true);
    expect(x.frame_alloc()).toBe(0);
    expect(pool()).toBe(0);
    for (const f of out) x.frame_free(f);
    expect(x.dp_pool_free()).toBe(100);
    x.frameCacheDrain();
    expect(pool()).toBe(100);
  });
});
