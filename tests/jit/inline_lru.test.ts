// bpf_map_lookup_elem on an LRU_HASH inlined by the JIT (emit.ts hashLookup with lruRef): the hash walk
// of htabFind, and on a hit the element's reference bit, which decides what the LRU evicts later. The
// scenario and its answers are tests/maps/lru.test.ts's, recorded from Linux 6.18 (an 8-entry common
// LRU on 2 CPUs, keys 1..8 inserted, then 9): a program's lookup of 1 sets its bit, so the shrink
// spares 1 and takes 2 and 3 ([1, 4..9]); without a program lookup, or after a lookup that misses, 1
// and 2 go ([3..9]). Each engine must leave the same survivors.

import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { jitText } from '../../src/jit/index.js';
import { createMap, MapType } from '../../src/maps/index.js';
import { MAP, withMap } from './harness.js';

const MISS = 0xffff;
/** The key at the packet's start; r0 = the value's u32, or MISS. */
const LOOKUP = `r2 = *(u32 *)(r1 + 0)\nr1 = ${MAP}\ncall 1\nif r0 != 0 goto +2\nr0 = ${MISS}\nexit\nr0 = *(u32 *)(r0 + 0)\nexit`;
const le32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('LRU_HASH lookups inlined by the JIT set the reference bit as the kernel does', () => {
  const ENGINES = ['interp', 'jit-checked', 'jit-unchecked'] as const;

  it.each([
    [1, 1, [1, ...range(4, 9)]],
    [10, MISS, range(3, 9)],
  ] as const)('a lookup of key %i answers %i, then inserting 9 leaves %j', async (key, want, survivors) => {
    for (const engine of ENGINES) {
      const dp = await Datapath.create({ ncpus: 2, cpu: 0 });
      const map = createMap(dp.fastPath, { name: 'l', type: MapType.LRU_HASH, keySize: 4, valueSize: 4, maxEntries: 8 });
      if (engine === 'jit-unchecked') {
        const text = await jitText(withMap(assemble(LOOKUP), map), { memory: dp.memory, fastPath: dp.fastPath, checked: false, optimize: 'none' });
        expect(text.includes('call $helper_1'), 'the helper is called').toBe(false);
      }
      for (const k of range(1, 8)) map.update(le32(k), le32(k));
      const prog = await dp.loadInsns(withMap(assemble(LOOKUP), map), {
        engine: engine === 'interp' ? 'interp' : 'jit',
        checked: engine !== 'jit-unchecked',
        verify: false,
      } as Parameters<Datapath['loadInsns']>[1]);
      const data = new Uint8Array(64);
      data.set(le32(key));
      expect(prog.testRun({ data }).retval, engine).toBe(want);
      map.update(le32(9), le32(9));
      expect([...map.keys()].map((k) => new DataView(k.buffer, k.byteOffset).getUint32(0, true)).sort((a, b) => a - b), engine).toEqual(survivors);
    }
  });
});
