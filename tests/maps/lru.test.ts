// LRU hash maps. wxdp keeps a true LRU list (assembly/maps/hash.ts): a program's lookup and every
// update make an element the most recently used; the syscall's lookup does not
// (htab_lru_map_lookup_elem_sys); inserting into a full map evicts the least recently used element.
// The kernel's list (kernel/bpf/bpf_lru_list.c) approximates this with reference bits and batched
// evictions, so its exact victims are not compared with the kernel here.

import { describe, expect, it } from 'vitest';
import { BPF_EXIST, BPF_NOEXIST, createMap, Errno, MapFlag, MapType } from '../../src/maps/index.js';
import { fresh, haveWasm, Prog, rdU32, setCpu, u32le } from './support.js';

const keysOf = (m: { keys(): Iterable<Uint8Array> }) => [...m.keys()].map((k) => rdU32(k)).sort((a, b) => a - b);

describe.skipIf(!haveWasm)('lru_hash map', () => {
  it('evicts the least recently inserted element when full', async () => {
    const fp = await fresh();
    const m = createMap(fp, { name: 'l', type: MapType.LRU_HASH, keySize: 4, valueSize: 4, maxEntries: 3 });
    for (const k of [1, 2, 3, 4]) m.update(u32le(k), u32le(k * 10));
    expect(keysOf(m)).toEqual([2, 3, 4]);
    expect(m.count).toBe(3);
    m.update(u32le(5), u32le(50));
    expect(keysOf(m)).toEqual([3, 4, 5]);
  });

  it('a program\'s lookup makes an element most recently used; the syscall\'s lookup does not', async () => {
    const fp = await fresh();
    const m = createMap(fp, { name: 'l', type: MapType.LRU_HASH, keySize: 4, valueSize: 4, maxEntries: 3 });
    const p = new Prog(fp);
    for (const k of [1, 2, 3]) m.update(u32le(k), u32le(k));
    // Syscall lookup of 1: no effect, 1 is still the oldest.
    expect(rdU32(m.lookup(u32le(1))!)).toBe(1);
    m.update(u32le(4), u32le(4));
    expect(keysOf(m)).toEqual([2, 3, 4]);
    // Program lookup of 2: now 3 is the oldest.
    expect(p.lookup(m.address, u32le(2))).not.toBe(0);
    m.update(u32le(5), u32le(5));
    expect(keysOf(m)).toEqual([2, 4, 5]);
    expect(Number(p.call('htab_lru_lookup_elem', m.address, p.place(u32le(4))))).not.toBe(0);
    m.update(u32le(6), u32le(6));
    expect(keysOf(m)).toEqual([4, 5, 6]);
  });

  it('an update of an existing key makes it most recently used; a delete frees its element', async () => {
    const fp = await fresh();
    const m = createMap(fp, { name: 'l', type: MapType.LRU_HASH, keySize: 4, valueSize: 4, maxEntries: 3 });
    for (const k of [1, 2, 3]) m.update(u32le(k), u32le(k));
    m.update(u32le(1), u32le(11), BPF_EXIST);
    m.update(u32le(4), u32le(4));
    expect(keysOf(m)).toEqual([1, 3, 4]);
    m.delete(u32le(3));
    m.update(u32le(5), u32le(5));
    // The freed element was used: nothing was evicted.
    expect(keysOf(m)).toEqual([1, 4, 5]);
    expect(rdU32(m.lookup(u32le(1))!)).toBe(11);
  });

  it('keeps the hash flags semantics: NOEXIST → EEXIST, EXIST → ENOENT (and evicts nothing then), flags > EXIST → EINVAL', async () => {
    const fp = await fresh();
    const m = createMap(fp, { name: 'l', type: MapType.LRU_HASH, keySize: 4, valueSize: 4, maxEntries: 2 });
    m.update(u32le(1), u32le(1));
    m.update(u32le(2), u32le(2));
    expect(() => m.update(u32le(1), u32le(0), BPF_NOEXIST)).toThrow(expect.objectContaining({ errno: Errno.EEXIST }));
    expect(() => m.update(u32le(3), u32le(0), BPF_EXIST)).toThrow(expect.objectContaining({ errno: Errno.ENOENT }));
    expect(() => m.update(u32le(3), u32le(0), 4)).toThrow(expect.objectContaining({ errno: Errno.EINVAL }));
    expect(keysOf(m)).toEqual([1, 2]);
    expect(() => m.delete(u32le(3))).toThrow(expect.objectContaining({ errno: Errno.ENOENT }));
  });

  it('evicts in exact LRU order under a longer mixed workload', async () => {
    const fp = await fresh();
    const max = 8;
    const m = createMap(fp, { name: 'l', type: MapType.LRU_HASH, keySize: 4, valueSize: 4, maxEntries: max });
    const p = new Prog(fp);
    // A reference model: an array ordered from least to most recently used.
    let model: number[] = [];
    const touch = (k: number) => {
      model = model.filter((x) => x !== k);
      model.push(k);
    };
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 400; i++) {
      const k = rand(20);
      if (rand(3) === 0) {
        const hit = p.lookup(m.address, u32le(k)) !== 0;
        expect(hit).toBe(model.includes(k));
        if (hit) touch(k);
      } else {
        m.update(u32le(k), u32le(i));
        if (!model.includes(k) && model.length === max) model.shift();
        touch(k);
      }
      expect(keysOf(m)).toEqual([...model].sort((a, b) => a - b));
    }
  });

  it('BPF_F_NO_COMMON_LRU maps use one list too', async () => {
    const fp = await fresh({ ncpus: 2 });
    const m = createMap(fp, { name: 'l', type: MapType.LRU_HASH, keySize: 4, valueSize: 4, maxEntries: 4, flags: MapFlag.NO_COMMON_LRU });
    for (const k of [1, 2, 3, 4, 5]) m.update(u32le(k), u32le(k));
    expect(keysOf(m)).toEqual([2, 3, 4, 5]);
  });
});

describe.skipIf(!haveWasm)('lru_percpu_hash map', () => {
  it('evicts like lru_hash and keeps a value per CPU', async () => {
    const fp = await fresh({ ncpus: 2, cpu: 0 });
    const m = createMap(fp, { name: 'lp', type: MapType.LRU_PERCPU_HASH, keySize: 4, valueSize: 4, maxEntries: 2 });
    const p = new Prog(fp);
    p.update(m.address, u32le(1), u32le(10));
    setCpu(fp, 1);
    p.update(m.address, u32le(1), u32le(11));
    expect(m.lookupPerCpu(u32le(1))!.map((v) => rdU32(v))).toEqual([10, 11]);
    p.update(m.address, u32le(2), u32le(21));
    expect(m.lookupPerCpu(u32le(2))!.map((v) => rdU32(v))).toEqual([0, 21]);
    // Touch 1 from a program: 2 becomes the victim.
    expect(rdU32(p.read(p.lookup(m.address, u32le(1)), 4))).toBe(11);
    m.update(u32le(3), [u32le(30), u32le(31)]);
    expect(keysOf(m)).toEqual([1, 3]);
  });
});
