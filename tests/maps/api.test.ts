// The TypeScript surface: batches with the kernel's generic semantics (kernel/bpf/syscall.c
// generic_map_lookup_batch / generic_map_update_batch / generic_map_delete_batch: in order, stop at
// the first error and report how many were done), iteration, typed access through codecs, MapSet, and
// the errors' codes and messages.

import { describe, expect, it } from 'vitest';
import {
  BPF_F_LOCK, BPF_NOEXIST, BpfMap, codec, createMap, Errno, MapError, mapErrorCode, MapSet, MapType, mapTypeFromName,
  mapTypeName,
} from '../../src/maps/index.js';
import { WxdpError } from '../../src/errors.js';
import { fresh, haveWasm, rdU32, u32le } from './support.js';

describe.skipIf(!haveWasm)('batch operations', () => {
  it('lookupBatch walks in get_next_key order in steps; done at the end', async () => {
    const fp = await fresh();
    const m = createMap(fp, { name: 'h', type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 16 });
    for (let i = 0; i < 10; i++) m.update(u32le(i), u32le(i * 100));
    const order = [...m.keys()].map((k) => rdU32(k));
    const seen: number[] = [];
    let batch: Uint8Array | null = null;
    for (let step = 0; ; step++) {
      const r = m.lookupBatch(batch, 4);
      r.keys.forEach((k, i) => {
        seen.push(rdU32(k));
        expect(rdU32(r.values[i]!)).toBe(rdU32(k) * 100);
      });
      batch = r.outBatch;
      if (r.done) break;
      expect(r.keys.length).toBe(4);
      expect(step).toBeLessThan(5);
    }
    expect(seen).toEqual(order);
    expect(m.lookupBatch(null).keys.length).toBe(10);
    // elem_flags other than BPF_F_LOCK: EINVAL; no batch ops on a queue: ENOTSUPP.
    expect(() => m.lookupBatch(null, 1, BPF_NOEXIST)).toThrow(expect.objectContaining({ errno: Errno.EINVAL }));
    const q = createMap(fp, { name: 'q', type: MapType.QUEUE, keySize: 0, valueSize: 4, maxEntries: 1 });
    expect(() => q.lookupBatch()).toThrow(expect.objectContaining({ code: 'MAP_UNSUPPORTED', errno: Errno.ENOTSUPP }));
  });

  it('updateBatch stops at the first failure and reports how many were done', async () => {
    const fp = await fresh();
    const m = createMap(fp, { name: 'h', type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 3 });
    const keys = [1, 2, 3, 4, 5].map(u32le);
    const r = m.updateBatch(keys, keys);
    expect(r.count).toBe(3);
    expect(r.error).toMatchObject({ code: 'MAP_FULL', errno: Errno.E2BIG, op: 'update' });
    expect([...m.keys()].length).toBe(3);
    // BPF_F_LOCK passes the batch check but each update refuses it (no spin lock): nothing done.
    expect(m.updateBatch(keys.slice(0, 1), keys.slice(0, 1), BPF_F_LOCK)).toMatchObject({ count: 0, error: { errno: Errno.EINVAL } });
    expect(() => m.updateBatch(keys, keys, BPF_NOEXIST)).toThrow(expect.objectContaining({ errno: Errno.EINVAL }));
    expect(() => m.updateBatch(keys, keys.slice(1))).toThrow(expect.objectContaining({ code: 'MAP_INVALID' }));
    const a = createMap(fp, { name: 'a', type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 });
    expect(a.updateBatch([u32le(0), u32le(1), u32le(2)], [u32le(7), u32le(8), u32le(9)])).toMatchObject({ count: 2, error: { errno: Errno.E2BIG } });
  });

  it('deleteBatch stops at the first missing key; arrays have no delete batch', async () => {
    const fp = await fresh();
    const m = createMap(fp, { name: 'h', type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 8 });
    for (const k of [1, 2, 3]) m.update(u32le(k), u32le(k));
    const r = m.deleteBatch([1, 2, 9, 3].map(u32le));
    expect(r).toMatchObject({ count: 2, error: { code: 'MAP_NOT_FOUND', errno: Errno.ENOENT } });
    expect([...m.keys()].map((k) => rdU32(k))).toEqual([3]);
    expect(m.deleteBatch([u32le(3)])).toEqual({ count: 1 });
    const a = createMap(fp, { name: 'a', type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 });
    expect(() => a.deleteBatch([u32le(0)])).toThrow(expect.objectContaining({ errno: Errno.ENOTSUPP }));
  });
});

describe.skipIf(!haveWasm)('iteration, typed access and codecs', () => {
  it('entries() and the iterator give [key, value] in get_next_key order', async () => {
    const fp = await fresh();
    const m = createMap(fp, { name: 'h', type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 8 });
    for (const k of [3, 1, 2]) m.update(u32le(k), u32le(k + 10));
    const keys = [...m.keys()].map((k) => rdU32(k));
    expect([...m].map(([k, v]) => [rdU32(k), rdU32(v)])).toEqual(keys.map((k) => [k, k + 10]));
    expect(m.has(u32le(3))).toBe(true);
    expect(m.has(u32le(4))).toBe(false);
  });

  it('typed() encodes and decodes keys and values; percpu maps decode each CPU', async () => {
    const fp = await fresh({ ncpus: 2 });
    const h = createMap(fp, { name: 'h', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 8 }).typed(codec.u32, codec.u64);
    h.set(1, 10n).set(2, 20n);
    expect(h.get(1)).toBe(10n);
    expect(h.get(3)).toBeUndefined();
    expect(new Map(h)).toEqual(new Map([[1, 10n], [2, 20n]]));
    expect(h.delete(1)).toBe(true);
    expect(h.delete(1)).toBe(false);
    expect(() => h.set(2, 1n, BPF_NOEXIST)).toThrow(MapError);
    const pc = createMap(fp, { name: 'pc', type: MapType.PERCPU_HASH, keySize: 4, valueSize: 4, maxEntries: 2 }).typed(codec.u32, codec.i32);
    pc.setPerCpu(7, [-1, 5]);
    expect(pc.getPerCpu(7)).toEqual([-1, 5]);
    expect(pc.get(7)).toBe(-1);
    expect([...pc.entries()]).toEqual([[7, -1]]);
    // Any object of the codec shape works (as BTF codecs will).
    const custom = { size: 4, encode: (v: unknown) => u32le(Number(v)), decode: (b: Uint8Array) => `#${rdU32(b)}` };
    const a = createMap(fp, { name: 'a', type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 }).typed(codec.u32, custom);
    a.set(1, 42);
    expect(a.get(1)).toBe('#42');
    expect(() => createMap(fp, { name: 'b', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 }).typed(codec.u32, codec.u32))
      .toThrow(expect.objectContaining({ code: 'MAP_INVALID' }));
  });

  it('codecs round-trip', () => {
    expect(codec.u32.decode(codec.u32.encode(0xdeadbeef))).toBe(0xdeadbeef);
    expect(codec.i32.decode(codec.i32.encode(-2))).toBe(-2);
    expect(codec.u16.encode(0x1234)).toEqual(Uint8Array.of(0x34, 0x12));
    expect(codec.u8.decode(Uint8Array.of(200))).toBe(200);
    expect(codec.u64.decode(codec.u64.encode(2n ** 64n - 1n))).toBe(2n ** 64n - 1n);
    expect(codec.i64.decode(codec.i64.encode(-5n))).toBe(-5n);
    expect(codec.bytes(4).encode(Uint8Array.of(1, 2))).toEqual(Uint8Array.of(1, 2, 0, 0));
    expect(() => codec.bytes(1).encode(Uint8Array.of(1, 2))).toThrow(WxdpError);
    const k = codec.lpmKey(16);
    expect(k.decode(k.encode({ prefixlen: 64, data: Uint8Array.of(0x20, 0x01) }))).toEqual({ prefixlen: 64, data: Uint8Array.of(0x20, 0x01, ...new Array(14).fill(0)) });
    expect(codec.ipv4Prefix.encode('10.1.0.0/16')).toEqual(Uint8Array.of(16, 0, 0, 0, 10, 1, 0, 0));
    expect(codec.ipv4Prefix.decode(codec.ipv4Prefix.encode('1.2.3.4'))).toBe('1.2.3.4/32');
    expect(() => codec.ipv4Prefix.encode('1.2.3.256/8')).toThrow(WxdpError);
  });

  it('keys and values of the wrong size are MAP_INVALID, naming the sizes', async () => {
    const fp = await fresh();
    const m = createMap(fp, { name: 'counters', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 2 });
    expect(() => m.lookup(Uint8Array.of(1))).toThrow(/map 'counters': lookup: EINVAL \(key of 1 bytes, the map's key_size is 4\)/);
    expect(() => m.update(u32le(1), u32le(1))).toThrow(expect.objectContaining({ code: 'MAP_INVALID' }));
    expect(() => m.lookupPerCpu(u32le(1))).toThrow(expect.objectContaining({ code: 'MAP_INVALID' }));
    expect(() => m.valueAddress(0)).toThrow(expect.objectContaining({ code: 'MAP_UNSUPPORTED' }));
  });
});

describe.skipIf(!haveWasm)('MapSet, attach, valueAddress, errors', () => {
  it('MapSet creates by name, refuses duplicates, finds by name and address; ids count from 1', async () => {
    const fp = await fresh();
    const set = new MapSet(fp);
    const a = set.create({ name: 'a', type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    const b = set.create({ name: 'b', type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 1 });
    expect([a.id, b.id]).toEqual([1, 2]);
    expect(set.get('b')).toBe(b);
    expect(set.has('c')).toBe(false);
    expect(set.byAddress(a.address)).toBe(a);
    expect(set.size).toBe(2);
    expect([...set].map((m) => m.name)).toEqual(['a', 'b']);
    expect(() => set.create({ name: 'a', type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }))
      .toThrow(expect.objectContaining({ code: 'MAP_CREATE', errno: Errno.EEXIST }));
  });

  it('attach() wraps a map by address; valueAddress() is where global data lives', async () => {
    const fp = await fresh();
    const m = createMap(fp, { name: '.data', type: MapType.ARRAY, keySize: 4, valueSize: 12, maxEntries: 1 });
    const again = BpfMap.attach(fp, m.address, 'again');
    expect(again).toMatchObject({ type: MapType.ARRAY, keySize: 4, valueSize: 12, maxEntries: 1, id: m.id });
    const addr = m.valueAddress(0);
    fp.memory.bytes().set([1, 2, 3], addr);
    expect(again.lookup(u32le(0))!.slice(0, 3)).toEqual(Uint8Array.of(1, 2, 3));
    expect(() => m.valueAddress(1)).toThrow(expect.objectContaining({ code: 'MAP_INVALID' }));
  });

  it('errno → code, type names', () => {
    expect(mapErrorCode(-Errno.ENOENT)).toBe('MAP_NOT_FOUND');
    expect(mapErrorCode(Errno.EEXIST)).toBe('MAP_EXISTS');
    expect(mapErrorCode(Errno.E2BIG)).toBe('MAP_FULL');
    expect(mapErrorCode(Errno.ENOSPC)).toBe('MAP_FULL');
    expect(mapErrorCode(Errno.ENOMEM)).toBe('MAP_NO_MEMORY');
    expect(mapErrorCode(Errno.ENOTSUPP)).toBe('MAP_UNSUPPORTED');
    expect(mapErrorCode(Errno.EINVAL)).toBe('MAP_INVALID');
    const e = MapError.from('m', 'update', -Errno.E2BIG);
    expect(e).toBeInstanceOf(WxdpError);
    expect(e.message).toBe("map 'm': update: E2BIG");
    expect(mapTypeName(MapType.LRU_PERCPU_HASH)).toBe('lru_percpu_hash');
    expect(mapTypeFromName('lpm_trie')).toBe(MapType.LPM_TRIE);
    expect(mapTypeFromName('nope')).toBeUndefined();
  });

  it('maps whose key and value exceed the scratch buffer get a buffer of their own', async () => {
    const fp = await fresh();
    const m = createMap(fp, { name: 'big', type: MapType.HASH, keySize: 40000, valueSize: 40000, maxEntries: 2 });
    const k = new Uint8Array(40000).fill(3);
    const v = new Uint8Array(40000).fill(4);
    m.update(k, v);
    expect(m.lookup(k)).toEqual(v);
    expect([...m.keys()][0]).toEqual(k);
  });
});
