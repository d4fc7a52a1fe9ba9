// Store cuts (src/jit/store_cuts.ts): an inlined array update copies its value out of the stack in
// pieces that no store of the subprogram straddles, so each load is forwarded from one store. Only the
// pieces change, never the bytes: a value written by stores of every width, in another block than the
// update (where key forwarding does not reach), must land in the map byte for byte on every engine.

import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { createMap } from '../../src/maps/index.js';
import { cutsIn } from '../../src/jit/store_cuts.js';
import { MAP, withMap } from './harness.js';

const BPF_MAP_TYPE_ARRAY = 2;

describe('store cuts', () => {
  it('cutsIn: the ends of the stores inside the span, relative to it', () => {
    // a 24-byte value at r10-24: zeroed by three u64 stores, then a u32 at -24, a u32 at -20, a u16 at -14
    const stores: Array<[number, number]> = [[-24, 8], [-16, 8], [-8, 8], [-24, 4], [-20, 4], [-14, 2], [-40, 8], [-4, 4]];
    expect([...cutsIn(stores, -24, 24)].sort((a, b) => a - b)).toEqual([4, 8, 10, 12, 16, 20]);
    expect([...cutsIn(stores, -16, 4)]).toEqual([2]); // -14 begins inside [-16, -12)
    expect([...cutsIn([[-40, 8]], -24, 24)]).toEqual([]);
  });

  // The value (24 bytes at r10-24) is zeroed, then (in the next block, after a branch on the frame's
  // length, which a 64-byte frame passes) a u32, a u16, a u8, a u32 and a u64 are stored; the update is
  // in a third block. r0 = the update's result.
  const prog = [
    'r2 = 0', '*(u64 *)(r10 - 24) = r2', '*(u64 *)(r10 - 16) = r2', '*(u64 *)(r10 - 8) = r2', '*(u32 *)(r10 - 28) = r2',
    'r3 = *(u32 *)(r1 + 4)', 'r4 = *(u32 *)(r1 + 0)', 'r3 -= r4', 'if r3 < 14 goto +10',
    'r2 = 0x11223344', '*(u32 *)(r10 - 24) = r2',
    'r2 = 0x5566', '*(u16 *)(r10 - 18) = r2',
    '*(u8 *)(r10 - 15) = 0x77',
    'r2 = 0x8899aabb', '*(u32 *)(r10 - 12) = r2',
    'r2 = 0x0102030405060708 ll', '*(u64 *)(r10 - 8) = r2',
    'r2 = r10', 'r2 += -28', 'r3 = r10', 'r3 += -24', 'r4 = 0', `r1 = ${MAP}`, 'call 2', 'exit',
  ];
  // little-endian bytes as stored: 44 33 22 11 | 00 00 | 66 55 | 00 77 | 00 00 | bb aa 99 88 | 08 07 06 05 04 03 02 01
  const WANT = [0x44, 0x33, 0x22, 0x11, 0, 0, 0x66, 0x55, 0, 0x77, 0, 0, 0xbb, 0xaa, 0x99, 0x88, 8, 7, 6, 5, 4, 3, 2, 1];

  it('an array update copies a value written by stores of every width in another block, byte for byte', async () => {
    const dp = await Datapath.create();
    for (const engine of ['interp', 'jit-checked', 'jit'] as const) {
      const map = createMap(dp.fastPath, { name: 'v', type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 24, maxEntries: 1 });
      const p = await dp.loadInsns(withMap(assemble(prog.join('\n')), map), {
        engine: engine === 'interp' ? 'interp' : 'jit',
        checked: engine === 'jit-checked' || engine === 'interp',
        verify: false,
      } as Parameters<Datapath['loadInsns']>[1]);
      expect(p.testRun({ data: new Uint8Array(64) }).retval, engine).toBe(0);
      expect([...map.lookup(new Uint8Array(4))!], engine).toEqual(WANT);
    }
  });
});
