// The memory's ceiling: it starts small, grows as tables and maps are created up to wasm32's 4 GiB by
// default, and stops at a settable limit (memoryLimit in bytes, or maximumPages) with ENOMEM errors that
// name the limit. JIT'd programs import the memory with the same maximum, so they run over any limit.

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { EngineMemory, WASM32_MAX_PAGES } from '../../src/runtime/memory.js';
import { FastPath } from '../../src/runtime/fastpath.js';
import { createMap, MapType } from '../../src/maps/index.js';

const haveWasm = existsSync(new URL('../../build/fastpath.wasm', import.meta.url));

describe('EngineMemory limits', () => {
  it('defaults to wasm32\'s 4 GiB (65536 pages) and starts at 4 pages', () => {
    const m = new EngineMemory();
    expect(WASM32_MAX_PAGES).toBe(65536);
    expect(m.maximumPages).toBe(65536);
    expect(m.limitBytes).toBe(4 * 1024 ** 3);
    expect(m.sizeBytes).toBe(4 * 65536);
  });

  it('memoryLimit in bytes rounds up to whole pages and wins over maximumPages', () => {
    expect(new EngineMemory({ memoryLimit: 16 << 20 }).maximumPages).toBe(256);
    expect(new EngineMemory({ memoryLimit: (16 << 20) + 1 }).maximumPages).toBe(257);
    expect(new EngineMemory({ memoryLimit: 1 << 20, maximumPages: 512 }).maximumPages).toBe(16);
    expect(new EngineMemory({ maximumPages: 512 }).limitBytes).toBe(32 << 20);
  });

  it('refuses limits outside 256 KiB..4 GiB, and initialPages above the limit', () => {
    expect(() => new EngineMemory({ memoryLimit: 65536 })).toThrow(/memoryLimit 65536 must be 262144\.\.4294967296 bytes/);
    expect(() => new EngineMemory({ memoryLimit: 2 ** 32 + 1 })).toThrow(/memoryLimit/);
    expect(() => new EngineMemory({ memoryLimit: Number.NaN })).toThrow(/memoryLimit/);
    expect(() => new EngineMemory({ maximumPages: 65537 })).toThrow(/maximumPages 65537 must be 4\.\.65536/);
    expect(() => new EngineMemory({ maximumPages: 8, initialPages: 9 })).toThrow(/initialPages 9 must be 4\.\.8/);
  });

  it('limitReached() names the limit in MiB and the option that sets it', () => {
    expect(new EngineMemory({ memoryLimit: 16 << 20 }).limitReached()).toBe('the memory limit of 16 MiB is reached (memoryLimit)');
    expect(new EngineMemory({ maximumPages: 5 }).limitReached()).toBe('the memory limit of 0.31 MiB is reached (memoryLimit)');
  });
});

describe.skipIf(!haveWasm)('memory growth through the fast path', () => {
  it('arena_alloc grows the memory up to the limit and returns 0 past it', async () => {
    const fp = await FastPath.load(new EngineMemory({ memoryLimit: 8 << 20 }));
    const alloc = fp.fn<(size: number, align: number) => number>('arena_alloc');
    expect(alloc(6 << 20, 8)).not.toBe(0);
    expect(fp.memory.sizeBytes).toBeGreaterThan(6 << 20);
    expect(fp.memory.sizeBytes).toBeLessThanOrEqual(8 << 20);
    expect(alloc(4 << 20, 8)).toBe(0);
    expect(alloc(1 << 20, 8)).not.toBe(0);
  });

  it('a Datapath takes memoryLimit; a map past it fails with ENOMEM naming the limit', async () => {
    const dp = await Datapath.create({ memoryLimit: 4 << 20 });
    expect(dp.memory.limitBytes).toBe(4 << 20);
    expect(() => createMap(dp.fastPath, { name: 'big', type: MapType.ARRAY, keySize: 4, valueSize: 4096, maxEntries: 2048 }))
      .toThrow(/map 'big': create: ENOMEM \(.*the memory limit of 4 MiB is reached \(memoryLimit\)\)/);
  });

  it('a device past the limit fails naming it', async () => {
    const dp = await Datapath.create({ memoryLimit: 1 << 20, umemFrames: 8 });
    expect(() => {
      for (let i = 0; i < 60; i++) dp.addDevice({ name: `eth${i}`, ringSize: 4096 });
    }).toThrow(/the memory limit of 1 MiB is reached \(memoryLimit\)/);
  });

  it('the default Datapath grows past 16 MiB: a 64 MiB array map is created and used', async () => {
    const dp = await Datapath.create();
    const m = createMap(dp.fastPath, { name: 'big', type: MapType.ARRAY, keySize: 4, valueSize: 4096, maxEntries: 16384 });
    expect(dp.memory.sizeBytes).toBeGreaterThan(64 << 20);
    m.update(Uint8Array.of(0xff, 0x3f, 0, 0), new Uint8Array(4096).fill(3));
    expect(m.lookup(Uint8Array.of(0xff, 0x3f, 0, 0))![0]).toBe(3);
  });
});
