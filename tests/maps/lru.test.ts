// LRU hash maps follow the kernel's LRU (kernel/bpf/bpf_lru_list.c, assembly/maps/lru.ts), which is
// not a true LRU. The expected results here were recorded from Linux 6.18 with bpftool (`taskset -c`
// for the CPU) on a machine with 2 possible CPUs; tests/maps/lru_kernel.test.ts compares long random
// sequences with the running kernel. What they show, for an 8-entry common LRU on 2 CPUs:
// target_free = clamp(8 / 2 / 2, 1, 128) = 2, so a CPU takes free nodes two at a time, and once the
// map is full one update shrinks two elements from the inactive tail (the map then holds 7); new
// elements wait on the CPU's pending list, which is flushed (to the inactive list, or the active one
// when referenced) when the CPU needs free nodes again.

import { describe, expect, it } from 'vitest';
import { BPF_EXIST, BPF_NOEXIST, createMap, Errno, MapFlag, MapType } from '../../src/maps/index.js';
import { fresh, haveWasm, Prog, rdU32, setCpu, u32le } from './support.js';

const keysOf = (m: { keys(): Iterable<Uint8Array> }) => [...m.keys()].map((k) => rdU32(k)).sort((a, b) => a - b);
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

async function lru8(type: number = MapType.LRU_HASH, flags = 0) {
  const fp = await fresh({ ncpus: 2, cpu: 0 });
  const m = createMap(fp, { name: 'l', type, keySize: 4, valueSize: 4, maxEntries: 8, flags });
  return { fp, m, p: new Prog(fp) };
}

describe.skipIf(!haveWasm)('lru_hash map (the kernel\'s LRU)', () => {
  it('a full map shrinks target_free elements at once: 1..9 leave 3..9, 1..11 leave 5..11', async () => {
    const { m } = await lru8();
    for (const k of range(1, 8)) m.update(u32le(k), u32le(k));
    expect(keysOf(m)).toEqual(range(1, 8));
    m.update(u32le(9), u32le(9));
    expect(keysOf(m)).toEqual(range(3, 9));
    expect(m.count).toBe(7);
    // The second freed node serves the next insert without evicting.
    m.update(u32le(10), u32le(10));
    expect(keysOf(m)).toEqual(range(3, 10));
    m.update(u32le(11), u32le(11));
    expect(keysOf(m)).toEqual(range(5, 11));
  });

  it('a program\'s lookup sets the reference bit (the element survives); the syscall\'s lookup does not', async () => {
    const a = await lru8();
    for (const k of range(1, 8)) a.m.update(u32le(k), u32le(k));
    expect(rdU32(a.m.lookup(u32le(1))!)).toBe(1);
    a.m.update(u32le(9), u32le(9));
    expect(keysOf(a.m)).toEqual(range(3, 9));

    const b = await lru8();
    for (const k of range(1, 8)) b.m.update(u32le(k), u32le(k));
    expect(b.p.lookup(b.m.address, u32le(1))).not.toBe(0);
    // Rotation moves 1 to the active list; the shrink takes 2 and 3 from the inactive tail.
    b.m.update(u32le(9), u32le(9));
    expect(keysOf(b.m)).toEqual([1, 4, 5, 6, 7, 8, 9]);

    const c = await lru8();
    for (const k of range(1, 8)) c.m.update(u32le(k), u32le(k));
    expect(Number(c.p.call('htab_lru_lookup_elem', c.m.address, c.p.place(u32le(1))))).not.toBe(0);
    c.m.update(u32le(9), u32le(9));
    expect(keysOf(c.m)).toEqual([1, 4, 5, 6, 7, 8, 9]);
  });

  it('an update takes a node first: updating key 1 of a full map can evict key 1 itself (and 2)', async () => {
    const { m } = await lru8();
    for (const k of range(1, 8)) m.update(u32le(k), u32le(k));
    m.update(u32le(1), u32le(11));
    expect(keysOf(m)).toEqual([1, 3, 4, 5, 6, 7, 8]);
    expect(rdU32(m.lookup(u32le(1))!)).toBe(11);
  });

  it('failing updates still take (and give back) a node, so they may evict; bad flags fail first', async () => {
    const a = await lru8();
    for (const k of range(1, 8)) a.m.update(u32le(k), u32le(k));
    expect(() => a.m.update(u32le(5), u32le(0), BPF_NOEXIST)).toThrow(expect.objectContaining({ errno: Errno.EEXIST }));
    expect(keysOf(a.m)).toEqual(range(3, 8));

    const b = await lru8();
    for (const k of range(1, 8)) b.m.update(u32le(k), u32le(k));
    expect(() => b.m.update(u32le(9), u32le(0), BPF_EXIST)).toThrow(expect.objectContaining({ errno: Errno.ENOENT }));
    expect(keysOf(b.m)).toEqual(range(3, 8));
    // BPF_EXIST on an existing key replaces it (a new node), after the same eviction.
    const c = await lru8();
    for (const k of range(1, 8)) c.m.update(u32le(k), u32le(k));
    c.m.update(u32le(5), u32le(55), BPF_EXIST);
    expect(keysOf(c.m)).toEqual(range(3, 8));
    expect(rdU32(c.m.lookup(u32le(5))!)).toBe(55);

    const d = await lru8();
    for (const k of range(1, 8)) d.m.update(u32le(k), u32le(k));
    expect(() => d.m.update(u32le(9), u32le(0), 4)).toThrow(expect.objectContaining({ errno: Errno.EINVAL }));
    expect(keysOf(d.m)).toEqual(range(1, 8));
    expect(() => d.m.delete(u32le(9))).toThrow(expect.objectContaining({ errno: Errno.ENOENT }));
  });

  it('a deleted element\'s node goes to the CPU\'s local free list if pending, else to the common free list', async () => {
    // 8 was pending on CPU 0: its node serves 9, and 10 needs a refill that shrinks 1 and 2.
    const a = await lru8();
    for (const k of range(1, 8)) a.m.update(u32le(k), u32le(k));
    a.m.delete(u32le(8));
    a.m.update(u32le(9), u32le(9));
    a.m.update(u32le(10), u32le(10));
    expect(keysOf(a.m)).toEqual([3, 4, 5, 6, 7, 9, 10]);
    // 3 was inactive: its node goes back to the common list, and the refill for 9 shrinks only 1.
    const b = await lru8();
    for (const k of range(1, 8)) b.m.update(u32le(k), u32le(k));
    b.m.delete(u32le(3));
    b.m.update(u32le(9), u32le(9));
    b.m.update(u32le(10), u32le(10));
    expect(keysOf(b.m)).toEqual([2, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('a CPU with no free node steals one from another CPU\'s pending list', async () => {
    const fp = await fresh({ ncpus: 2, cpu: 0 });
    const m = createMap(fp, { name: 'l', type: MapType.LRU_HASH, keySize: 4, valueSize: 4, maxEntries: 1 });
    m.update(u32le(1), u32le(1));
    setCpu(fp, 1);
    m.update(u32le(2), u32le(2));
    expect(keysOf(m)).toEqual([2]);
  });

  it('BPF_F_NO_COMMON_LRU: each CPU has max_entries / ncpus elements of its own', async () => {
    const fp = await fresh({ ncpus: 2, cpu: 0 });
    const m = createMap(fp, { name: 'l', type: MapType.LRU_HASH, keySize: 4, valueSize: 4, maxEntries: 4, flags: MapFlag.NO_COMMON_LRU });
    for (const k of range(1, 5)) m.update(u32le(k), u32le(k));
    // CPU 0's two elements: 3 and 4 shrink together (PERCPU_FREE_TARGET 4) to make room for 5.
    expect(keysOf(m)).toEqual([5]);

    const fp2 = await fresh({ ncpus: 2, cpu: 0 });
    const m2 = createMap(fp2, { name: 'l', type: MapType.LRU_HASH, keySize: 4, valueSize: 4, maxEntries: 4, flags: MapFlag.NO_COMMON_LRU });
    for (const k of [1, 2, 3]) m2.update(u32le(k), u32le(k));
    setCpu(fp2, 1);
    for (const k of [7, 8]) m2.update(u32le(k), u32le(k));
    expect(keysOf(m2)).toEqual([3, 7, 8]);
    // max_entries is rounded up to a multiple of the CPUs.
    const m3 = createMap(fp2, { name: 'l', type: MapType.LRU_HASH, keySize: 4, valueSize: 4, maxEntries: 3, flags: MapFlag.NO_COMMON_LRU });
    expect(m3.maxEntries).toBe(4);
  });

  it('get_next_key walks the kernel\'s buckets; a replaced element goes to the head of its bucket', async () => {
    // Recorded from the kernel: lru_hash, 16 entries (target_free 4), BPF_F_ZERO_SEED, 2 CPUs.
    const fp = await fresh({ ncpus: 2, cpu: 0 });
    const m = createMap(fp, { name: 'l', type: MapType.LRU_HASH, keySize: 4, valueSize: 4, maxEntries: 16, flags: MapFlag.ZERO_SEED });
    const order = () => [...m.keys()].map((k) => rdU32(k));
    for (const k of range(1, 20)) m.update(u32le(k), u32le(k));
    expect(order()).toEqual([18, 10, 16, 15, 5, 19, 17, 14, 7, 13, 8, 20, 12, 11, 9, 6]);
    m.update(u32le(3), u32le(3));
    expect(order()).toEqual([18, 10, 16, 15, 19, 17, 14, 13, 20, 12, 11, 9, 3]);
    // 17 and 19 share a bucket: the update of 17 links its new element first.
    m.update(u32le(17), u32le(17));
    expect(order()).toEqual([18, 10, 16, 15, 17, 19, 14, 13, 20, 12, 11, 9, 3]);
  });

  it('an update swaps in a new element: a program\'s pointer keeps the old one', async () => {
    const { m, p } = await lru8();
    m.update(u32le(1), u32le(10));
    const v = p.lookup(m.address, u32le(1));
    m.update(u32le(1), u32le(11));
    // The program's pointer still shows the old element (now free), as in the kernel.
    expect(rdU32(p.read(v, 4))).toBe(10);
    expect(rdU32(m.lookup(u32le(1))!)).toBe(11);
    expect(p.lookup(m.address, u32le(1))).not.toBe(v);
  });

  it('clear() deletes every element; the map fills again', async () => {
    const { m } = await lru8();
    for (const k of range(1, 12)) m.update(u32le(k), u32le(k));
    m.clear();
    expect(m.count).toBe(0);
    expect(keysOf(m)).toEqual([]);
    for (const k of range(21, 28)) m.update(u32le(k), u32le(k));
    expect(keysOf(m)).toEqual(range(21, 28));
  });
});

describe.skipIf(!haveWasm)('lru_percpu_hash map', () => {
  it('keeps a value per CPU; a program\'s update writes the running CPU\'s', async () => {
    const fp = await fresh({ ncpus: 2, cpu: 0 });
    const m = createMap(fp, { name: 'lp', type: MapType.LRU_PERCPU_HASH, keySize: 4, valueSize: 4, maxEntries: 8 });
    const p = new Prog(fp);
    p.update(m.address, u32le(1), u32le(10));
    setCpu(fp, 1);
    p.update(m.address, u32le(1), u32le(11));
    expect(m.lookupPerCpu(u32le(1))!.map((v) => rdU32(v))).toEqual([10, 11]);
    p.update(m.address, u32le(2), u32le(21));
    expect(m.lookupPerCpu(u32le(2))!.map((v) => rdU32(v))).toEqual([0, 21]);
    expect(rdU32(p.read(p.lookup(m.address, u32le(1)), 4))).toBe(11);
    m.update(u32le(3), [u32le(30), u32le(31)]);
    expect(m.lookupPerCpu(u32le(3))!.map((v) => rdU32(v))).toEqual([30, 31]);
  });

  it('an update of an existing key is in place, and BPF_EXIST takes no node (so evicts nothing)', async () => {
    const a = await lru8(MapType.LRU_PERCPU_HASH);
    for (const k of range(1, 8)) a.m.update(u32le(k), u32le(k));
    a.m.update(u32le(5), u32le(55), BPF_EXIST);
    expect(keysOf(a.m)).toEqual(range(1, 8));
    expect(a.m.lookupPerCpu(u32le(5))!.map((v) => rdU32(v))).toEqual([55, 55]);
    // BPF_ANY takes a node first (evicting 1 and 2), then gives it back.
    a.m.update(u32le(6), u32le(66));
    expect(keysOf(a.m)).toEqual(range(3, 8));
  });
});
