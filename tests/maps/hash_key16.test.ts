// The fast path's lookup of a 16-byte key (assembly/maps/hash.ts htabFind: jhash2 of four words
// unrolled, the words put together from the key's bytes, compared as words): what a program's
// bpf_map_lookup_elem on a map known at run time only (an inner map) and the interpreter's lookups
// take. The answers are the kernel's: an element sits in bucket jhash2(key, 4, seed) & mask
// (include/linux/jhash.h, computed here with BPF_F_ZERO_SEED to pick keys that share a bucket) and a
// lookup finds exactly the keys present. The elements are placed by the control plane's update (the
// generic jhash2 loop); each program runs on the three engines, the direct one also through the JIT's
// own inlined hash. Keys differ from a present key in one byte, any of the 16, or share its bucket.

import { beforeAll, describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { createMap, MapFlag, MapType, type BpfMap } from '../../src/maps/index.js';
import { MAP, withMap } from '../jit/harness.js';
import { haveWasm } from './support.js';
import { jhashFinal, rol } from './jhash.js';

const ENGINES = ['interp', 'jit-checked', 'jit-unchecked'] as const;
const MISS = 0xffff;
const MISS_OUTER = 0xfffe;

/** Key at the packet's byte 4; r0 = the value's low u32, or MISS. The map: `MAP`. */
const DIRECT = `r2 = *(u32 *)(r1 + 0)
r2 += 4
r1 = ${MAP}
call 1
if r0 != 0 goto +2
r0 = ${MISS}
exit
r0 = *(u32 *)(r0 + 0)
exit`;
/** The same through slot 0 of the ARRAY_OF_MAPS `MAP` (the packet's bytes 0..3 are 0). */
const NESTED = `r6 = *(u32 *)(r1 + 0)
r2 = r6
r1 = ${MAP}
call 1
if r0 != 0 goto +2
r0 = ${MISS_OUTER}
exit
r1 = r0
r2 = r6
r2 += 4
call 1
if r0 != 0 goto +2
r0 = ${MISS}
exit
r0 = *(u32 *)(r0 + 0)
exit`;

/** jhash2(k, 4, seed), include/linux/jhash.h. */
function jhash2x4(k: Uint8Array, seed: number): number {
  const w = (i: number): number => new DataView(k.buffer, k.byteOffset).getUint32(i * 4, true);
  let a = (0xdeadbeef + 16 + seed) >>> 0;
  let b = a;
  let c = a;
  a = (a + w(0)) >>> 0;
  b = (b + w(1)) >>> 0;
  c = (c + w(2)) >>> 0;
  // __jhash_mix
  a = ((a - c) ^ rol(c, 4)) >>> 0; c = (c + b) >>> 0;
  b = ((b - a) ^ rol(a, 6)) >>> 0; a = (a + c) >>> 0;
  c = ((c - b) ^ rol(b, 8)) >>> 0; b = (b + a) >>> 0;
  a = ((a - c) ^ rol(c, 16)) >>> 0; c = (c + b) >>> 0;
  b = ((b - a) ^ rol(a, 19)) >>> 0; a = (a + c) >>> 0;
  c = ((c - b) ^ rol(b, 4)) >>> 0; b = (b + a) >>> 0;
  a = (a + w(3)) >>> 0;
  return jhashFinal(a, b, c);
}

const BASE = Uint8Array.from({ length: 16 }, (_, i) => (i * 7 + 3) & 255);
/** BASE with byte `j` flipped. */
const flip = (j: number): Uint8Array => {
  const k = BASE.slice();
  k[j]! ^= 0x80;
  return k;
};
const le32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n >>> 0]).buffer);
const le64 = (n: number): Uint8Array => new Uint8Array(new BigUint64Array([BigInt(n)]).buffer);

describe.skipIf(!haveWasm)('16-byte hash keys through the fast path\'s lookup', () => {
  let dp: Datapath;
  beforeAll(async () => {
    dp = await Datapath.create({ ncpus: 2, cpu: 0 });
  });

  it.each([
    ['HASH', MapType.HASH],
    ['LRU_HASH', MapType.LRU_HASH],
  ] as const)('%s: present, one byte off, same bucket, deleted', async (_n, type) => {
    const MAX = 16;
    const mask = 15; // 16 buckets
    const map = createMap(dp.fastPath, { name: 'h', type, keySize: 16, valueSize: 8, maxEntries: MAX, flags: MapFlag.ZERO_SEED });
    // Keys sharing BASE's bucket: BASE with bytes 8..11 (the third word) counting up.
    const bucket = jhash2x4(BASE, 0) & mask;
    const mates: Uint8Array[] = [];
    for (let i = 1; mates.length < 3; i++) {
      const k = BASE.slice();
      new DataView(k.buffer).setUint32(8, i, true);
      if ((jhash2x4(k, 0) & mask) === bucket) mates.push(k);
    }
    const present: Array<[Uint8Array, number]> = [[BASE, 500], ...mates.slice(0, 2).map((k, i): [Uint8Array, number] => [k, 600 + i])];
    for (let j = 0; j < 16; j += 3) present.push([flip(j), 700 + j]);
    for (const [k, v] of present) map.update(k, le64(v));
    // get_next_key walks the buckets, newest first: BASE's bucket mates come out together (this checks
    // the reference hash above against where the control plane's update put them)
    const hex = (k: Uint8Array): string => Buffer.from(k).toString('hex');
    // (bounded: get_next_key restarts from the first key when it cannot find the one it is given)
    const order: string[] = [];
    for (const k of map.keys()) if (order.push(hex(k)) > MAX) break;
    const at = order.indexOf(hex(mates[1]!));
    expect(order.slice(at, at + 3)).toEqual([mates[1]!, mates[0]!, BASE].map(hex));
    const absent: Uint8Array[] = [mates[2]!];
    for (let j = 1; j < 16; j += 3) absent.push(flip(j));
    // Full hash collisions: for each word, two keys equal but for that word with one jhash2 (a birthday
    // search): the first present, the second found only by comparing that word.
    for (let w = 0; w < 4; w++) {
      const seen = new Map<number, number>();
      const withWord = (v: number): Uint8Array => {
        const k = BASE.slice();
        new DataView(k.buffer).setUint32(w * 4, v, true);
        return k;
      };
      for (let v = 1; ; v++) {
        const h = jhash2x4(withWord(v), 0);
        const u = seen.get(h);
        if (u !== undefined) {
          map.update(withWord(u), le64(800 + w));
          present.push([withWord(u), 800 + w]);
          absent.push(withWord(v));
          break;
        }
        seen.set(h, v);
      }
    }
    const outer = createMap(dp.fastPath, { name: 'o', type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 1, inner: map });
    outer.setInner(le32(0), map);

    const probe = async (): Promise<void> => {
      const want = [...present.map(([, v]) => v), ...absent.map(() => MISS)];
      const keys = [...present.map(([k]) => k), ...absent];
      for (const [text, m] of [[DIRECT, map], [NESTED, outer]] as const) {
        for (const engine of ENGINES) {
          const prog = await dp.loadInsns(withMap(assemble(text), m), {
            engine: engine === 'interp' ? 'interp' : 'jit',
            checked: engine !== 'jit-unchecked',
            verify: false,
          } as Parameters<Datapath['loadInsns']>[1]);
          const got = keys.map((k) => {
            const data = new Uint8Array(64);
            data.set(k, 4);
            return prog.testRun({ data }).retval;
          });
          expect(got, `${engine} ${text === DIRECT ? 'direct' : 'nested'}`).toEqual(want);
        }
      }
    };
    await probe();
    // The chain's head and a key one byte off leave: they miss, the rest still answer.
    const gone = [present[2]!, present[3]!];
    for (const [k] of gone) map.delete(k);
    present.splice(2, 2);
    absent.push(...gone.map(([k]) => k));
    await probe();
  });
});
