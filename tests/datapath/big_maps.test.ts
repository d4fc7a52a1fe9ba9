// Maps as large as the kernel creates them: programs/xdp_ch_rings.o has katran's 33,554,944-entry
// `ch_rings` array (256 MiB: elements are round_up(value_size, 8) bytes, as the kernel's). The memory grows as maps are created, up to a ceiling (maxMemory, default
// wasm32's 4 GiB); past it the load fails with ENOMEM naming the limit and the map. The kernel creates
// and runs the same object (where it can be used): the same verdicts and counters for the same frames.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { codec, MapError } from '../../src/maps/index.js';
import * as oracle from '../../src/oracle/index.js';

const RING_SIZE = 65537 * 512;
const frame = (src: number[], dst: number[]): Uint8Array => {
  const f = new Uint8Array(60);
  f.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 0, 0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0, ...src, ...dst]);
  return f;
};
const FRAMES = [frame([192, 0, 2, 1], [198, 51, 100, 2]), frame([203, 0, 113, 9], [198, 51, 100, 2]), frame([192, 0, 2, 1], [198, 51, 100, 2])];
const slotOf = (f: Uint8Array): number => ((new DataView(f.buffer).getUint32(26) ^ new DataView(f.buffer).getUint32(30)) >>> 0) % RING_SIZE;

describe('maps as large as the kernel creates them', () => {
  it('loads a 33,554,944-entry array and uses its last slots', async () => {
    const dp = await Datapath.create();
    const before = dp.memory.sizeBytes;
    const obj = await dp.loadObject('programs/xdp_ch_rings.o');
    const rings = obj.map('ch_rings');
    expect(rings.maxEntries).toBe(RING_SIZE);
    expect(dp.memory.sizeBytes - before).toBeGreaterThanOrEqual(RING_SIZE * 8);
    rings.update(codec.u32.encode(RING_SIZE - 1), codec.u32.encode(0xfeed));
    expect(codec.u32.decode(rings.lookup(codec.u32.encode(RING_SIZE - 1))!)).toBe(0xfeed);
    expect(() => rings.update(codec.u32.encode(RING_SIZE), codec.u32.encode(1))).toThrow(expect.objectContaining({ errno: 7 }));
    const prog = obj.program('xdp_ch_rings');
    expect(FRAMES.map((f) => prog.testRun({ data: f }).retval)).toEqual([2, 2, 2]);
    expect([...obj.map('ring_stats').entries()].map(([, v]) => Number(codec.u64.decode(v)))).toEqual([3, 2, 1]);
    for (const f of FRAMES) expect(codec.u32.decode(rings.lookup(codec.u32.encode(slotOf(f)))!)).toBe(slotOf(f) + 1);
  });

  it('past maxMemory: ENOMEM naming the limit and the map', async () => {
    const dp = await Datapath.create({ maxMemory: 64 << 20 });
    const err = await dp.loadObject('programs/xdp_ch_rings.o').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MapError);
    expect(err).toMatchObject({ code: 'MAP_CREATE', errno: 12, map: 'ch_rings' });
    expect((err as Error).message).toBe(
      "map 'ch_rings': create: ENOMEM (array key 4 value 4 entries 33554944 flags 0x0: the memory limit of 64 MiB is reached (memoryLimit))",
    );
    // A ceiling that holds it: the same object loads.
    const roomy = await Datapath.create({ maxMemory: 512 << 20 });
    await roomy.loadObject('programs/xdp_ch_rings.o');
    expect(roomy.memory.limitBytes).toBe(512 << 20);
    await expect(Datapath.create({ maxMemory: 1 })).rejects.toThrow(/memoryLimit 1 must be/);
  });

  const avail = oracle.kernelAvailability();
  it.skipIf(!avail.ok)(`the kernel creates the same map and counts the same${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
    const o = oracle.loadKernelObject(readFileSync('programs/xdp_ch_rings.o'), { pinMaps: true });
    try {
      expect(o.map('ch_rings').info()).toMatchObject({ maxEntries: RING_SIZE });
      expect(FRAMES.map((f) => o.program('xdp_ch_rings').run({ data: f }).retval)).toEqual([2, 2, 2]);
      const stats = o.map('ring_stats').dump().map((e) => Number(codec.u64.decode(e.value!)));
      expect(stats).toEqual([3, 2, 1]);
    } finally {
      o.close();
    }
  });
});
