// bpf_map_lookup_elem on LPM_TRIE maps of 4- and 16-byte addresses, inlined by the JIT (emit.ts
// trieLookup: trie_lookup_elem's walk). The interpreter calls the fast path's helper; every engine must
// answer the longest prefix containing the key (hand-derived below), bounded by the key's own
// prefixlen, and NULL for a key longer than the trie's addresses or under no prefix. A trie of 8-byte
// keys is the near miss: not inlined (the module calls the helper), the same answers.

import { beforeAll, describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { jitText } from '../../src/jit/index.js';
import { createMap } from '../../src/maps/index.js';
import { MAP, withMap } from './harness.js';

const BPF_MAP_TYPE_LPM_TRIE = 11;
const BPF_F_NO_PREALLOC = 1;
const MISS = 0xffff;

/** A lookup of the key at the start of the packet; r0 = the value's first u32, or MISS when not found. */
const LOOKUP = `r2 = *(u32 *)(r1 + 0)\nr1 = ${MAP}\ncall 1\nif r0 != 0 goto +2\nr0 = ${MISS}\nexit\nr0 = *(u32 *)(r0 + 0)\nexit`;

/** struct bpf_lpm_trie_key_u8: u32 prefixlen (host order), then the address bytes (network order). */
function key(prefixlen: number, addr: number[]): Uint8Array {
  const k = new Uint8Array(4 + addr.length);
  new DataView(k.buffer).setUint32(0, prefixlen, true);
  k.set(addr, 4);
  return k;
}
const v4 = (s: string): number[] => s.split('.').map(Number);
/** A fully written IPv6 address (8 groups of hex, no ::). */
const v6 = (s: string): number[] => s.split(':').flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
const val = (id: number): Uint8Array => new Uint8Array(new BigUint64Array([BigInt(id)]).buffer);

interface Case {
  name: string;
  dataSize: number;
  inlined: boolean;
  entries: Array<[number, number[], number]>;
  probes: Array<[number, number[], number]>;
}

const CASES: Case[] = [
  {
    name: 'IPv4 (4-byte addresses)',
    dataSize: 4,
    inlined: true,
    entries: [
      [24, v4('203.0.113.0'), 1],
      [25, v4('203.0.113.128'), 2],
      [15, v4('198.18.0.0'), 3],
      [8, v4('10.0.0.0'), 4],
      [32, v4('10.1.2.3'), 5],
    ],
    probes: [
      [32, v4('203.0.113.5'), 1],
      [32, v4('203.0.113.127'), 1],
      [32, v4('203.0.113.128'), 2],
      [32, v4('203.0.113.200'), 2],
      [24, v4('203.0.113.200'), 1], // the key's prefixlen bounds the match: not the /25
      [32, v4('203.0.112.1'), MISS],
      [32, v4('198.19.255.255'), 3],
      [32, v4('198.17.0.0'), MISS],
      [32, v4('198.20.0.1'), MISS],
      [32, v4('10.1.2.3'), 5],
      [32, v4('10.1.2.4'), 4],
      [31, v4('10.1.2.3'), 4],
      [8, v4('10.1.2.3'), 4],
      [32, v4('10.200.0.0'), 4],
      [32, v4('192.0.2.1'), MISS],
      [0, v4('10.1.2.3'), MISS], // only a /0 entry would hold a /0 key
      [33, v4('10.1.2.3'), MISS], // longer than the trie's addresses
    ],
  },
  {
    name: 'IPv6 (16-byte addresses)',
    dataSize: 16,
    inlined: true,
    entries: [
      [48, v6('2001:db8:bad:0:0:0:0:0'), 4],
      [64, v6('2001:db8:bad:1:0:0:0:0'), 5],
      [32, v6('2001:db8:0:0:0:0:0:0'), 7],
      [65, v6('2001:db8:0:0:8000:0:0:0'), 8], // a branch on a bit of the low half
      [128, v6('2001:db8:0:0:0:0:0:1'), 9],
    ],
    probes: [
      [128, v6('2001:db8:bad:2:0:0:0:1'), 4],
      [128, v6('2001:db8:bad:1:0:0:0:9'), 5],
      [64, v6('2001:db8:bad:1:0:0:0:9'), 5],
      [60, v6('2001:db8:bad:1:0:0:0:9'), 4],
      [128, v6('2001:db8:1:0:0:0:0:1'), 7],
      [128, v6('2001:db8:0:0:0:0:0:1'), 9],
      [128, v6('2001:db8:0:0:0:0:0:2'), 7],
      [128, v6('2001:db8:0:0:8000:0:0:5'), 8],
      [128, v6('2001:db8:0:0:ffff:0:0:0'), 8],
      [64, v6('2001:db8:0:0:8000:0:0:5'), 7],
      [128, v6('2001:db9:0:0:0:0:0:1'), MISS],
      [129, v6('2001:db8:0:0:0:0:0:1'), MISS],
    ],
  },
  {
    name: '8-byte keys (not inlined)',
    dataSize: 8,
    inlined: false,
    entries: [
      [40, [1, 2, 3, 4, 5, 0, 0, 0], 1],
      [64, [1, 2, 3, 4, 5, 6, 7, 8], 2],
    ],
    probes: [
      [64, [1, 2, 3, 4, 5, 9, 9, 9], 1],
      [64, [1, 2, 3, 4, 5, 6, 7, 8], 2],
      [64, [1, 2, 3, 4, 6, 6, 7, 8], MISS],
      [65, [1, 2, 3, 4, 5, 6, 7, 8], MISS],
    ],
  },
];

describe('LPM trie lookups inlined by the JIT answer the longest prefix', () => {
  let dp: Datapath;
  beforeAll(async () => {
    dp = await Datapath.create({ ncpus: 2, cpu: 1 });
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const map = createMap(dp.fastPath, {
        name: 't',
        type: BPF_MAP_TYPE_LPM_TRIE,
        keySize: 4 + c.dataSize,
        valueSize: 8,
        maxEntries: 16,
        flags: BPF_F_NO_PREALLOC,
      });
      for (const [plen, addr, id] of c.entries) map.update(key(plen, addr), val(id));
      const text = await jitText(withMap(assemble(LOOKUP), map), { memory: dp.memory, fastPath: dp.fastPath, checked: false, optimize: 'none' });
      expect(text.includes('call $helper_1'), 'the helper is called').toBe(!c.inlined);
      for (const engine of ['interp', 'jit-checked', 'jit-unchecked'] as const) {
        const prog = await dp.loadInsns(withMap(assemble(LOOKUP), map), {
          engine: engine === 'interp' ? 'interp' : 'jit',
          checked: engine !== 'jit-unchecked',
          verify: false,
        } as Parameters<Datapath['loadInsns']>[1]);
        for (const [plen, addr, want] of c.probes) {
          const data = new Uint8Array(64);
          data.set(key(plen, addr));
          expect(prog.testRun({ data }).retval, `${engine} /${plen} ${addr.join('.')}`).toBe(want);
        }
      }
    });
  }
});
