// The map arena and the layout facts TypeScript reads: the AssemblyScript module's MAPS_* exports
// must equal src/maps/uapi.ts's MAPS_LAYOUT, and the arena must allocate, align, grow and reset.

import { describe, expect, it } from 'vitest';
import { createMap, MAPS_LAYOUT, MapType } from '../../src/maps/index.js';
import { ARENA_BASE, EngineMemory, MAP_HDR } from '../../src/runtime/memory.js';
import { FastPath } from '../../src/runtime/fastpath.js';
import { fresh, haveWasm } from './support.js';

describe.skipIf(!haveWasm)('map arena and layout', () => {
  it('exports the same layout constants as src/maps/uapi.ts', async () => {
    const fp = await fresh();
    expect(fp.global('MAPS_ARENA_HEADER')).toBe(MAPS_LAYOUT.ARENA_HEADER);
    expect(fp.global('MAPS_SCRATCH_SIZE')).toBe(MAPS_LAYOUT.SCRATCH_SIZE);
    expect(fp.global('MAPS_PERCPU_NCPUS')).toBe(MAPS_LAYOUT.PERCPU_NCPUS);
    expect(fp.global('MAPS_RB_CONSUMER_POS')).toBe(MAPS_LAYOUT.RB_CONSUMER_POS);
    expect(fp.global('MAPS_RB_PRODUCER_POS')).toBe(MAPS_LAYOUT.RB_PRODUCER_POS);
    expect(fp.global('MAPS_RB_PENDING_POS')).toBe(MAPS_LAYOUT.RB_PENDING_POS);
    expect(fp.global('MAPS_RB_MASK')).toBe(MAPS_LAYOUT.RB_MASK);
    expect(fp.global('MAPS_RB_DATA_OFFSET')).toBe(MAPS_LAYOUT.RB_DATA_OFFSET);
    expect(fp.global('MAPS_MIM_META_SPIN_LOCK')).toBe(MAPS_LAYOUT.MIM_META_SPIN_LOCK);
    expect(fp.global('MAPS_MIM_META_TIMER')).toBe(MAPS_LAYOUT.MIM_META_TIMER);
    expect(fp.global('MAPS_LRU_KPTRS')).toBe(MAPS_LAYOUT.LRU_KPTRS);
  });

  it('arena_alloc() bump-allocates aligned, zeroed memory above ARENA_BASE and arena_reset() rewinds', async () => {
    const fp = await fresh();
    const alloc = fp.fn<(size: number, align: number) => number>('arena_alloc');
    const top = fp.fn<() => number>('arena_top');
    const reset = fp.fn<() => void>('arena_reset');
    expect(top()).toBe(ARENA_BASE + MAPS_LAYOUT.ARENA_HEADER);
    const a = alloc(10, 8);
    expect(a).toBe(ARENA_BASE + MAPS_LAYOUT.ARENA_HEADER);
    fp.memory.bytes().fill(0xaa, a, a + 10);
    const b = alloc(16, 4096);
    expect(b % 4096).toBe(0);
    expect(b).toBeGreaterThanOrEqual(a + 10);
    expect(top()).toBe(b + 16);
    reset();
    expect(top()).toBe(ARENA_BASE + MAPS_LAYOUT.ARENA_HEADER);
    // Reused memory comes back zeroed.
    const c = alloc(10, 8);
    expect(c).toBe(a);
    expect([...fp.memory.bytes().subarray(c, c + 10)]).toEqual(new Array(10).fill(0));
  });

  it('grows the memory when a map needs it and returns 0 (ENOMEM for maps, naming the limit) past memoryLimit', async () => {
    const fp = await FastPath.load(new EngineMemory({ memoryLimit: 16 << 20 }));
    const before = fp.memory.memory.buffer.byteLength;
    const m = createMap(fp, { name: 'big', type: MapType.ARRAY, keySize: 4, valueSize: 1024, maxEntries: 1024 });
    expect(fp.memory.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(m.address + MAP_HDR.SIZE + 1024 * 1024).toBeLessThanOrEqual(fp.memory.memory.buffer.byteLength);
    // A 16 MiB limit: a 32 MiB array cannot be created, and the error says which limit stopped it.
    expect(() => createMap(fp, { name: 'huge', type: MapType.ARRAY, keySize: 4, valueSize: 4096, maxEntries: 8192 }))
      .toThrow(expect.objectContaining({ code: 'MAP_CREATE', errno: 12, message: expect.stringContaining('the memory limit of 16 MiB is reached (memoryLimit)') }));
    expect(fp.fn<(s: number, a: number) => number>('arena_alloc')(32 << 20, 8)).toBe(0);
    // The map made before still works after the growth (views are refreshed).
    const key = Uint8Array.of(5, 0, 0, 0);
    m.update(key, new Uint8Array(1024).fill(7));
    expect(m.lookup(key)![1023]).toBe(7);
  });

  it('the default memory grows past the old 16 MiB ceiling: a 32 MiB array is created', async () => {
    const fp = await fresh();
    expect(fp.memory.maximumPages).toBe(65536);
    const m = createMap(fp, { name: 'huge', type: MapType.ARRAY, keySize: 4, valueSize: 4096, maxEntries: 8192 });
    expect(fp.memory.memory.buffer.byteLength).toBeGreaterThanOrEqual(32 << 20);
    const key = Uint8Array.of(0xff, 0x1f, 0, 0);
    m.update(key, new Uint8Array(4096).fill(9));
    expect(m.lookup(key)![4095]).toBe(9);
  });

  it('scratch_base() is a 64 KiB buffer allocated once', async () => {
    const fp = await fresh();
    const scratch = fp.fn<() => number>('scratch_base');
    const s = scratch();
    expect(s).toBeGreaterThanOrEqual(ARENA_BASE);
    expect(scratch()).toBe(s);
    expect(fp.fn<() => number>('arena_top')()).toBeGreaterThanOrEqual(s + MAPS_LAYOUT.SCRATCH_SIZE);
  });

  it('writes the common header at the map address (type, sizes, max_entries, flags, id, data)', async () => {
    const fp = await fresh();
    const m = createMap(fp, { name: 'h', type: MapType.HASH, keySize: 12, valueSize: 20, maxEntries: 7, flags: 64, id: 42 });
    const dv = fp.memory.view();
    const h = (o: number) => dv.getUint32(m.address + o, true);
    expect([h(MAP_HDR.TYPE), h(MAP_HDR.KEY_SIZE), h(MAP_HDR.VALUE_SIZE), h(MAP_HDR.MAX_ENTRIES), h(MAP_HDR.FLAGS), h(MAP_HDR.ID)])
      .toEqual([1, 12, 20, 7, 64, 42]);
    expect(h(MAP_HDR.DATA)).toBeGreaterThan(m.address);
    expect(m).toMatchObject({ name: 'h', type: 1, typeName: 'hash', keySize: 12, valueSize: 20, maxEntries: 7, flags: 64, id: 42 });
  });
});
