// Map-in-map lookups inlined by the JIT (emit.ts): the outer ARRAY_OF_MAPS lookup (array_of_map_lookup_elem:
// the inner map in the slot, NULL for an empty slot or past max_entries), the outer HASH_OF_MAPS lookup
// (htab_of_map_lookup_elem: the hash walk, then the inner map the value holds), and the lookup in the
// inner map itself, known only at run time: an ARRAY is read inline from its header (arrayElem), any
// other type takes the helper. bpf_get_smp_processor_id is the run's CPU. Each answer is derived from
// the maps as filled below and must be the same on the interpreter, the checked JIT and the unchecked
// JIT (the one that inlines).

import { beforeAll, describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { createMap, MapType, type BpfMap } from '../../src/maps/index.js';
import { MAP, withMap } from './harness.js';

const MISS_OUTER = 0xffff;
const MISS_INNER = 0xfffe;

/** Outer key: the packet's bytes 0..3; inner key: bytes 4..7; r0 = the inner value's low u32. */
const NESTED = [
  'r6 = *(u32 *)(r1 + 0)',
  'r2 = r6',
  `r1 = ${MAP}`,
  'call 1',
  'if r0 != 0 goto +2',
  `r0 = ${MISS_OUTER}`,
  'exit',
  'r1 = r0',
  'r2 = r6',
  'r2 += 4',
  'call 1',
  'if r0 != 0 goto +2',
  `r0 = ${MISS_INNER}`,
  'exit',
  'r0 = *(u32 *)(r0 + 0)',
  'exit',
].join('\n');

const le32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n >>> 0]).buffer);
const le64 = (n: number): Uint8Array => new Uint8Array(new BigUint64Array([BigInt(n)]).buffer);

type Engine = 'interp' | 'jit-checked' | 'jit-unchecked';
const ENGINES: Engine[] = ['interp', 'jit-checked', 'jit-unchecked'];

async function answers(dp: Datapath, text: string, map: BpfMap, probes: Array<[number, number]>): Promise<Record<Engine, number[]>> {
  const out = {} as Record<Engine, number[]>;
  for (const engine of ENGINES) {
    const prog = await dp.loadInsns(withMap(assemble(text), map), {
      engine: engine === 'interp' ? 'interp' : 'jit',
      checked: engine !== 'jit-unchecked',
      verify: false,
    } as Parameters<Datapath['loadInsns']>[1]);
    out[engine] = probes.map(([outer, inner]) => {
      const data = new Uint8Array(64);
      data.set(le32(outer), 0);
      data.set(le32(inner), 4);
      return prog.testRun({ data }).retval;
    });
  }
  return out;
}

/** An ARRAY of 4 u64 values base + index. */
function array(dp: Datapath, name: string, base: number): BpfMap {
  const a = createMap(dp.fastPath, { name, type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 });
  for (let i = 0; i < 4; i++) a.update(le32(i), le64(base + i));
  return a;
}

describe('map-in-map lookups inlined by the JIT answer as the kernel does', () => {
  let dp: Datapath;
  beforeAll(async () => {
    dp = await Datapath.create({ ncpus: 2, cpu: 1 });
  });

  it('array_of_maps of arrays: the slot\'s map, NULL for an empty slot or past the end; the inner index bounded', async () => {
    const a = array(dp, 'a', 100);
    const b = array(dp, 'b', 200);
    const outer = createMap(dp.fastPath, { name: 'o', type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 3, inner: a });
    outer.setInner(le32(0), a);
    outer.setInner(le32(1), b);
    const probes: Array<[number, number]> = [[0, 0], [0, 3], [1, 3], [1, 4], [1, 0xffffffff], [2, 0], [3, 0], [0xffffffff, 0]];
    const want = [100, 103, 203, MISS_INNER, MISS_INNER, MISS_OUTER, MISS_OUTER, MISS_OUTER];
    const got = await answers(dp, NESTED, outer, probes);
    for (const e of ENGINES) expect(got[e], e).toEqual(want);
  });

  it('hash_of_maps of arrays: the inner map the value holds, NULL for a missing key', async () => {
    const a = array(dp, 'ha', 300);
    const b = array(dp, 'hb', 400);
    const outer = createMap(dp.fastPath, { name: 'ho', type: MapType.HASH_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 8, inner: a });
    outer.setInner(le32(6), a);
    outer.setInner(le32(17), b);
    const probes: Array<[number, number]> = [[6, 1], [17, 2], [17, 4], [5, 0], [0, 0]];
    const want = [301, 402, MISS_INNER, MISS_OUTER, MISS_OUTER];
    const got = await answers(dp, NESTED, outer, probes);
    for (const e of ENGINES) expect(got[e], e).toEqual(want);
  });

  it('array_of_maps of hashes: the inner lookup (not an ARRAY) takes the helper, same answers', async () => {
    const h = createMap(dp.fastPath, { name: 'h', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 8 });
    h.update(le32(7), le64(700));
    h.update(le32(0x01000000), le64(701));
    const outer = createMap(dp.fastPath, { name: 'oh', type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, inner: h });
    outer.setInner(le32(1), h);
    const probes: Array<[number, number]> = [[1, 7], [1, 0x01000000], [1, 8], [0, 7]];
    const want = [700, 701, MISS_INNER, MISS_OUTER];
    const got = await answers(dp, NESTED, outer, probes);
    for (const e of ENGINES) expect(got[e], e).toEqual(want);
  });

  it('bpf_get_smp_processor_id: the run\'s CPU', async () => {
    for (const engine of ENGINES) {
      const prog = await dp.loadInsns(assemble('call 8\nexit'), {
        engine: engine === 'interp' ? 'interp' : 'jit',
        checked: engine !== 'jit-unchecked',
        verify: false,
      } as Parameters<Datapath['loadInsns']>[1]);
      expect(prog.testRun({ data: new Uint8Array(64) }).retval, engine).toBe(1);
    }
  });
});
