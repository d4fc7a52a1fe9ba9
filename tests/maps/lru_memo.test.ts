// An LRU map's update memo (assembly/maps/lru.ts MAPS_LRU_LAST): an update whose key equals the key
// of the element the last update linked takes that element's hash word instead of hashing the key
// again. The answers are the kernel's: an update links its key in the bucket of jhash2(key), and a
// lookup (the JIT's inlined walk with its own jhash, the interpreter's and the control plane's through
// the fast path's htabFind) finds it there. A memo used for a key it does not hold (keys equal but for
// their first or last byte, a memo element freed and taken again by a failing update for another key)
// would link the key under the wrong hash, where no lookup finds it. The survivors of a full map are
// tests/maps/lru.test.ts's, recorded from Linux 6.18 (8-entry common LRU, 2 CPUs): the LRU's choice
// does not depend on the key, so 40-byte keys leave the same ones as its 4-byte keys.
// Every sequence runs through a program's bpf_map_update_elem on the three engines.

import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { BPF_ANY, BPF_EXIST, BPF_NOEXIST, createMap, MapType, type BpfMap } from '../../src/maps/index.js';
import { MAP, withMap } from '../jit/harness.js';
import { haveWasm } from './support.js';

const ENGINES = ['interp', 'jit-checked', 'jit-unchecked'] as const;
const KS = 40;
const MISS = 0xffff;
const EEXIST = 17;
const ENOENT = 2;

// The packet: key (40 bytes) | value (u64) | flags (u32)
const UPDATE = `r6 = *(u32 *)(r1 + 0)
r2 = r6
r3 = r6
r3 += ${KS}
r4 = *(u32 *)(r6 + ${KS + 8})
r1 = ${MAP}
call 2
exit`;
// The packet: key; r0 = the value's low u32, or MISS
const LOOKUP = `r2 = *(u32 *)(r1 + 0)
r1 = ${MAP}
call 1
if r0 != 0 goto +2
r0 = ${MISS}
exit
r0 = *(u32 *)(r0 + 0)
exit`;

/** Key `name`: bytes 1..40, then byte `at` set to `v` (A: none). */
function key(name: string): Uint8Array {
  const k = Uint8Array.from({ length: KS }, (_, i) => i + 1);
  const m = /^K(\d+)$/.exec(name);
  if (m) k[20] = 100 + Number(m[1]); // K1, K2, ...: the same but for one byte in the middle
  if (name === 'B') k[KS - 1] = 0xee; // A but for the last byte (the last u64 of the compare)
  if (name === 'C') k[0] = 0xee; // A but for the first byte
  return k;
}

type Op = ['upd', string, number, number?] | ['del', string];

async function runOps(engine: (typeof ENGINES)[number], ops: Op[], maxEntries = 8): Promise<{ rets: number[]; map: BpfMap; lookup: (k: string) => number }> {
  const dp = await Datapath.create({ ncpus: 2, cpu: 0 });
  const map = createMap(dp.fastPath, { name: 'l', type: MapType.LRU_HASH, keySize: KS, valueSize: 8, maxEntries });
  const opts = { engine: engine === 'interp' ? 'interp' : 'jit', checked: engine !== 'jit-unchecked', verify: false } as Parameters<Datapath['loadInsns']>[1];
  const upd = await dp.loadInsns(withMap(assemble(UPDATE), map), opts);
  const look = await dp.loadInsns(withMap(assemble(LOOKUP), map), opts);
  const rets: number[] = [];
  for (const op of ops) {
    if (op[0] === 'del') {
      map.delete(key(op[1]));
      continue;
    }
    const data = new Uint8Array(64);
    data.set(key(op[1]));
    const dv = new DataView(data.buffer);
    dv.setBigUint64(KS, BigInt(op[2]), true);
    dv.setUint32(KS + 8, op[3] ?? BPF_ANY, true);
    rets.push(upd.testRun({ data }).retval | 0);
  }
  const lookup = (k: string): number => {
    const data = new Uint8Array(64);
    data.set(key(k));
    return look.testRun({ data }).retval;
  };
  return { rets, map, lookup };
}

/** The value the control plane's lookup gives, or MISS. */
const sysValue = (map: BpfMap, k: string): number => {
  const v = map.lookup(key(k));
  return v ? new DataView(v.buffer, v.byteOffset).getUint32(0, true) : MISS;
};

describe.skipIf(!haveWasm)('LRU update memo: the last linked element\'s hash serves an update of its key only', () => {
  it.each<[string, Op[], number[], Record<string, number>]>([
    ['one key twice (the memo serves the second)', [['upd', 'A', 1], ['upd', 'A', 2]], [0, 0], { A: 2, B: MISS }],
    [
      'keys equal but for the last byte, in turns',
      [['upd', 'A', 1], ['upd', 'B', 2], ['upd', 'A', 3], ['upd', 'B', 4], ['upd', 'B', 5]],
      [0, 0, 0, 0, 0],
      { A: 3, B: 5 },
    ],
    ['keys equal but for the first byte', [['upd', 'A', 1], ['upd', 'C', 2], ['upd', 'C', 3], ['upd', 'A', 4]], [0, 0, 0, 0], { A: 4, C: 3 }],
    ['the memo\'s element deleted, its key updated again', [['upd', 'A', 1], ['del', 'A'], ['upd', 'A', 2], ['upd', 'A', 3, BPF_EXIST]], [0, 0, 0], { A: 3 }],
    [
      'the memo\'s element taken by a failing update of another key, then both keys',
      [['upd', 'A', 1], ['del', 'A'], ['upd', 'B', 2, BPF_EXIST], ['upd', 'A', 3], ['upd', 'B', 4, BPF_NOEXIST], ['upd', 'B', 5, BPF_EXIST]],
      [0, -ENOENT, 0, 0, 0],
      { A: 3, B: 5 },
    ],
    ['BPF_NOEXIST on the memo\'s own key fails, BPF_EXIST replaces', [['upd', 'A', 1], ['upd', 'A', 2, BPF_NOEXIST], ['upd', 'A', 3, BPF_EXIST]], [0, -EEXIST, 0], { A: 3 }],
  ])('%s', async (_name, ops, rets, want) => {
    for (const engine of ENGINES) {
      const r = await runOps(engine, ops);
      expect(r.rets, engine).toEqual(rets);
      for (const [k, v] of Object.entries(want)) {
        expect(r.lookup(k), `${engine}: program lookup of ${k}`).toBe(v);
        expect(sysValue(r.map, k), `${engine}: control-plane lookup of ${k}`).toBe(v);
      }
      expect(r.map.count, engine).toBe(Object.values(want).filter((v) => v !== MISS).length);
    }
  });

  const ks = (a: number, b: number): string[] => Array.from({ length: b - a + 1 }, (_, i) => `K${a + i}`);
  it.each<[string, Op[], string[], Record<string, number>]>([
    ['a full map: 1..8 then 9 leave 3..9', [...ks(1, 9).map((k, i): Op => ['upd', k, i + 1])], ks(3, 9), { K9: 9, K3: 3 }],
    ['a full map: updating 1 again evicts 1 itself and 2, and 1 comes back', [...ks(1, 8).map((k, i): Op => ['upd', k, i + 1]), ['upd', 'K1', 11]], ['K1', ...ks(3, 8)], { K1: 11 }],
    ['a full map: BPF_EXIST on 5 replaces it after the same eviction', [...ks(1, 8).map((k, i): Op => ['upd', k, i + 1]), ['upd', 'K5', 55, BPF_EXIST]], ks(3, 8), { K5: 55 }],
    ['8 was pending: deleted, its node serves 9, 10 needs a refill', [...ks(1, 8).map((k, i): Op => ['upd', k, i + 1]), ['del', 'K8'], ['upd', 'K9', 9], ['upd', 'K10', 10]], [...ks(3, 7), 'K9', 'K10'], { K10: 10 }],
  ])('%s (kernel-recorded survivors)', async (_name, ops, survivors, values) => {
    for (const engine of ENGINES) {
      const r = await runOps(engine, ops);
      const all = ks(1, 10);
      for (const k of all) {
        const inMap = survivors.includes(k);
        expect(sysValue(r.map, k) !== MISS, `${engine}: ${k} in the map`).toBe(inMap);
        expect(r.lookup(k) !== MISS, `${engine}: ${k} found by the program`).toBe(inMap);
      }
      for (const [k, v] of Object.entries(values)) expect(r.lookup(k), `${engine}: ${k}`).toBe(v);
      expect(r.map.count, engine).toBe(survivors.length);
    }
  });
});

