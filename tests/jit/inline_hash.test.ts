// bpf_map_lookup_elem on HASH and PERCPU_HASH maps, inlined by the JIT (emit.ts hashLookup: the
// kernel's jhash2 / jhash unrolled for the key size, the bucket, the chain walk). The interpreter calls
// the fast path's helper; every engine must find exactly the elements inserted, with their values,
// and miss keys that differ in any byte — over key sizes that take each jhash path (words and bytes,
// one mix round or more) and a map small enough that buckets chain several elements.

import { beforeAll, describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { createMap } from '../../src/maps/index.js';
import { MAP, withMap } from './harness.js';

const BPF_MAP_TYPE_HASH = 1;
const BPF_MAP_TYPE_PERCPU_HASH = 5;
const BPF_F_ZERO_SEED = 1 << 6;
const MISS = 0xffff;

const keyOf = (size: number, n: number): Uint8Array => Uint8Array.from({ length: size }, (_, i) => (n * 31 + i * 7 + 1) & 0xff);

/** A lookup of the key at the start of the packet; r0 = the value's first u32, or MISS when not found. */
const LOOKUP = `r2 = *(u32 *)(r1 + 0)\nr1 = ${MAP}\ncall 1\nif r0 != 0 goto +2\nr0 = ${MISS}\nexit\nr0 = *(u32 *)(r0 + 0)\nexit`;

describe('hash map lookups inlined by the JIT agree with the helper', () => {
  let dp: Datapath;
  beforeAll(async () => {
    dp = await Datapath.create({ ncpus: 2, cpu: 1 });
  });

  // jhash over 1, 5, 13 bytes (13: one mix round first), jhash2 over 1, 2, 10 words; a zero seed once
  const CASES = [
    ...[1, 4, 5, 8, 13, 40].map((keySize) => ({ percpu: false, keySize, flags: 0 })),
    { percpu: false, keySize: 12, flags: BPF_F_ZERO_SEED },
    { percpu: true, keySize: 8, flags: 0 },
    { percpu: true, keySize: 13, flags: 0 },
  ];
  for (const { percpu, keySize, flags } of CASES) {
    {
      {
        it(`${percpu ? 'percpu_hash' : 'hash'} key ${keySize} B, flags ${flags}`, async () => {
          const map = createMap(dp.fastPath, {
            name: 'h',
            type: percpu ? BPF_MAP_TYPE_PERCPU_HASH : BPF_MAP_TYPE_HASH,
            keySize,
            valueSize: 8,
            maxEntries: 4, // 4 buckets for 6 keys: chains of several elements
            flags,
          });
          // element n holds 1000 + n (percpu: 1000 + n on CPU 0, 2000 + n on CPU 1, the running one)
          const present = [0, 1, 2, 3];
          for (const n of present) {
            const v = (x: number) => new Uint8Array(new BigUint64Array([BigInt(x)]).buffer);
            map.update(keyOf(keySize, n), percpu ? [v(1000 + n), v(2000 + n)] : v(1000 + n));
          }
          const probes: Array<[Uint8Array, number]> = present.map((n) => [keyOf(keySize, n), (percpu ? 2000 : 1000) + n]);
          probes.push([keyOf(keySize, 9), MISS]);
          for (let i = 0; i < keySize; i += Math.max(1, keySize >> 2)) {
            const k = keyOf(keySize, 2);
            k[i]! ^= 0x80; // one byte off
            probes.push([k, MISS]);
          }
          for (const engine of ['interp', 'jit-checked', 'jit-unchecked'] as const) {
            const prog = await dp.loadInsns(withMap(assemble(LOOKUP), map), {
              engine: engine === 'interp' ? 'interp' : 'jit',
              checked: engine !== 'jit-unchecked',
              verify: false,
            } as Parameters<Datapath['loadInsns']>[1]);
            for (const [key, want] of probes) {
              const data = new Uint8Array(64);
              data.set(key);
              expect(prog.testRun({ data }).retval, `${engine} key ${[...key]}`).toBe(want);
            }
          }
        });
      }
    }
  }
});
