// Key forwarding (emit.ts keyRead): an inlined map lookup (ARRAY, HASH, LPM_TRIE) whose key the same
// block has just stored to the stack takes each byte of the key from the newest store over it — the
// register as it was at the store (kept in a local from there) or the immediate — instead of loading
// it back, also where one key word spans several stores. Where a byte is not known from this block's
// stores, a store goes through another pointer, an atomic writes the key, or the key was written in
// another block, the key is loaded from memory. An inlined array update copies its value the same
// way. Every engine must give the values derived by hand below (array element i holds 100 + i).

import { beforeAll, describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import type { Insn } from '../../src/isa/insn.js';
import { jitText } from '../../src/jit/index.js';
import { createMap, type BpfMap } from '../../src/maps/index.js';
import { MAP, withMap } from './harness.js';

const BPF_MAP_TYPE_HASH = 1;
const BPF_MAP_TYPE_ARRAY = 2;
const BPF_MAP_TYPE_LPM_TRIE = 11;
const MISS = 0xffff;

/** The lookup of the key at r10 + off, then r0 = the value's first u64 or MISS. */
const lookup = (off: number): string =>
  `r2 = r10\nr2 += ${off}\nr1 = ${MAP}\ncall 1\nif r0 != 0 goto +2\nr0 = ${MISS}\nexit\nr0 = *(u64 *)(r0 + 0)\nexit`;
const u64 = (x: number | bigint): Uint8Array => new Uint8Array(new BigUint64Array([BigInt(x)]).buffer);

const ARRAY_CASES: Array<{ name: string; src: string; want: number }> = [
  {
    name: 'a register overwritten after its store (forwarded from the kept copy)',
    src: `r6 = 3\n*(u32 *)(r10 - 4) = r6\nr6 = 5\n${lookup(-4)}`,
    want: 103,
  },
  { name: 'an immediate store', src: `*(u32 *)(r10 - 4) = 6\n${lookup(-4)}`, want: 106 },
  {
    name: 'the high half of an 8-byte store',
    src: `r6 = 0x200000007 ll\n*(u64 *)(r10 - 8) = r6\n${lookup(-4)}`,
    want: 102,
  },
  {
    name: 'a later one-byte store over the low byte (the key from two stores)',
    src: `r6 = 0x103\n*(u32 *)(r10 - 4) = r6\n*(u8 *)(r10 - 4) = 5\nr6 = 0\n${lookup(-4)}`,
    want: MISS, // bytes 05 01 00 00: key 0x105, past max_entries
  },
  {
    name: 'a later one-byte register store over the low byte',
    src: `r6 = 3\n*(u32 *)(r10 - 4) = r6\nr7 = 0x305\n*(u8 *)(r10 - 4) = r7\nr7 = 1\n${lookup(-4)}`,
    want: 105, // bytes 05 00 00 00
  },
  {
    name: 'two u16 stores under one u32 key, over a zeroed word',
    src: `r6 = 0\n*(u64 *)(r10 - 8) = r6\nr6 = 4\n*(u16 *)(r10 - 4) = r6\nr6 = 0\n*(u16 *)(r10 - 2) = r6\n${lookup(-4)}`,
    want: 104,
  },
  {
    name: 'near miss: a byte the block did not store (loaded)',
    src: `r6 = 0x10000\n*(u32 *)(r10 - 4) = r6\nif r6 > 100 goto +0\nr6 = 2\n*(u16 *)(r10 - 4) = r6\n${lookup(-4)}`,
    want: MISS, // bytes 02 00 (this block) 01 00 (the last block): key 0x10002
  },
  {
    name: 'near miss: a store through another pointer to the stack (loaded)',
    src: `r6 = 3\n*(u32 *)(r10 - 4) = r6\nr3 = r10\n*(u32 *)(r3 - 4) = 4\n${lookup(-4)}`,
    want: 104,
  },
  {
    name: 'near miss: an atomic add to the key (loaded)',
    src: `r6 = 1\n*(u32 *)(r10 - 4) = r6\nr7 = 2\nlock *(u32 *)(r10 - 4) += r7\n${lookup(-4)}`,
    want: 103,
  },
  {
    name: 'near miss: the key stored in an earlier block (loaded)',
    src: `r6 = 2\n*(u32 *)(r10 - 4) = r6\nr6 = 7\nif r6 > 100 goto +0\n${lookup(-4)}`,
    want: 102,
  },
];

describe('inlined lookups take a key just stored from the stores', () => {
  let dp: Datapath;
  beforeAll(async () => {
    dp = await Datapath.create({ ncpus: 2, cpu: 0 });
  });

  const engines = ['interp', 'jit-checked', 'jit-unchecked'] as const;
  const load = (insns: Insn[], engine: (typeof engines)[number]) =>
    dp.loadInsns(insns, { engine: engine === 'interp' ? 'interp' : 'jit', checked: engine !== 'jit-unchecked', verify: false } as Parameters<Datapath['loadInsns']>[1]);

  const arrayMap = (): BpfMap => {
    const map = createMap(dp.fastPath, { name: 'a', type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 8, flags: 0 });
    for (let i = 0; i < 8; i++) map.update(new Uint8Array(new Uint32Array([i]).buffer), u64(100 + i));
    return map;
  };

  for (const c of ARRAY_CASES) {
    it(`array: ${c.name}`, async () => {
      const map = arrayMap();
      for (const engine of engines) {
        const prog = await load(withMap(assemble(c.src), map), engine);
        expect(prog.testRun({ data: new Uint8Array(64) }).retval, engine).toBe(c.want);
      }
    });
  }

  it('array: the forwarded key is not loaded back; the key of an earlier block is', async () => {
    const map = arrayMap();
    const text = (src: string) => jitText(withMap(assemble(src), map), { memory: dp.memory, fastPath: dp.fastPath, checked: false, optimize: 'none' });
    const loads = (t: string) => (t.match(/i32\.load\b/g) ?? []).length;
    // the same program but for a block boundary between the store and the lookup
    const same = await text(`r6 = 2\n*(u32 *)(r10 - 4) = r6\nr6 = 7\n${lookup(-4)}`);
    const split = await text(`r6 = 2\n*(u32 *)(r10 - 4) = r6\nr6 = 7\nif r6 > 100 goto +0\n${lookup(-4)}`);
    // (no other i32 load in either: the array's value is an i64 load)
    expect(loads(same)).toBe(0);
    expect(loads(split)).toBeGreaterThan(0);
  });

  it('array update: the value copied from the stores that built it, or loaded from an earlier block', async () => {
    // value bytes 11 00 33 22 00 00 00 00 (a u8 and a u16 over a zeroed u64) into element 5, read back
    const build = ['r1 = 0', '*(u64 *)(r10 - 16) = r1', '*(u8 *)(r10 - 16) = 0x11', 'r1 = 0x2233', '*(u16 *)(r10 - 14) = r1', 'r1 = 5', '*(u32 *)(r10 - 4) = r1'];
    const update = ['r2 = r10', 'r2 += -4', 'r3 = r10', 'r3 += -16', 'r4 = 0', `r1 = ${MAP}`, 'call 2'];
    for (const split of [false, true]) {
      const src = [...build, ...(split ? ['r1 = 0', '*(u8 *)(r10 - 15) = r1', 'if r1 > 100 goto +0'] : []), ...update, lookup(-4), 'exit'].join('\n');
      for (const engine of engines) {
        const map = arrayMap();
        const prog = await load(withMap(assemble(src), map), engine);
        expect(prog.testRun({ data: new Uint8Array(64) }).retval, `${engine} ${split ? 'split' : 'one block'}`).toBe(0x22330011);
      }
    }
  });

  it('hash: a 12-byte key of words, halves and a byte over zeroed words, registers reused before the call', async () => {
    const map = createMap(dp.fastPath, { name: 'h', type: BPF_MAP_TYPE_HASH, keySize: 12, valueSize: 8, maxEntries: 4, flags: 0 });
    // struct { u32 addr; u16 sport, dport; u8 proto, pad[3]; }
    map.update(Uint8Array.of(1, 0, 0, 0, 0x50, 0, 0x35, 0, 17, 0, 0, 0), u64(17));
    map.update(Uint8Array.of(1, 0, 0, 0, 0x50, 0, 0x35, 0, 6, 0, 0, 0), u64(6));
    const src = (addr: number, sport: number, dport: number, proto: number) =>
      [
        'r1 = 0', '*(u64 *)(r10 - 16) = r1', '*(u32 *)(r10 - 8) = r1',
        `r1 = ${addr}`, '*(u32 *)(r10 - 16) = r1',
        `r1 = ${sport}`, '*(u16 *)(r10 - 12) = r1',
        `r1 = ${dport}`, '*(u16 *)(r10 - 10) = r1',
        `*(u8 *)(r10 - 8) = ${proto}`,
        'r1 = 0', lookup(-16),
      ].join('\n');
    const cases = [[1, 0x50, 0x35, 17, 17], [1, 0x50, 0x35, 6, 6], [1, 0x35, 0x50, 17, MISS], [2, 0x50, 0x35, 17, MISS], [1, 0x50, 0x35, 1, MISS]] as const;
    for (const engine of engines) {
      for (const [addr, sport, dport, proto, want] of cases) {
        const prog = await load(withMap(assemble(src(addr, sport, dport, proto)), map), engine);
        expect(prog.testRun({ data: new Uint8Array(64) }).retval, `${engine} ${addr} ${sport} ${dport} ${proto}`).toBe(want);
      }
    }
  });

  it('LPM trie: an 8-byte store of the prefixlen, then the address over its high half', async () => {
    const map = createMap(dp.fastPath, { name: 't', type: BPF_MAP_TYPE_LPM_TRIE, keySize: 8, valueSize: 8, maxEntries: 8, flags: 1 });
    // 203.0.113.0/24 -> 24, 203.0.113.128/25 -> 25 (prefixlen u32 host order, address network order)
    map.update(Uint8Array.of(24, 0, 0, 0, 203, 0, 113, 0), u64(24));
    map.update(Uint8Array.of(25, 0, 0, 0, 203, 0, 113, 128), u64(25));
    // clang's shape: the prefixlen as *(u64 *) = 32 (address bytes zero), then the address as a u32
    const src = (addrLe: number) => `r1 = 32\n*(u64 *)(r10 - 8) = r1\nr1 = ${addrLe | 0}\n*(u32 *)(r10 - 4) = r1\nr1 = 0\n${lookup(-8)}`;
    const le = (a: number, b: number, c: number, d: number) => (a | (b << 8) | (c << 16) | (d << 24)) >>> 0;
    for (const engine of engines) {
      for (const [addr, want] of [[le(203, 0, 113, 5), 24], [le(203, 0, 113, 200), 25], [le(203, 0, 112, 5), MISS]] as const) {
        const prog = await load(withMap(assemble(src(addr)), map), engine);
        expect(prog.testRun({ data: new Uint8Array(64) }).retval, `${engine} ${addr.toString(16)}`).toBe(want);
      }
    }
  });
});
