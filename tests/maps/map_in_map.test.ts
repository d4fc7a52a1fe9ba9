// array_of_maps and hash_of_maps (kernel/bpf/arraymap.c, hashtab.c, map_in_map.c), and the map types
// wxdp refuses by name. Expected errnos are the kernel's, derived from its sources:
//   map_create → fd_array_map_alloc_check / fd_htab_map_alloc_check (value_size 4) → bpf_map_meta_alloc
//     (a map-in-map as inner: -EINVAL; a map without map_meta_equal, prog_array: -ENOTSUPP)
//   update → bpf_map_fd_get_ptr (no such map: -EBADF; not bpf_map_meta_equal / array_map_meta_equal:
//     -EINVAL), bpf_fd_array_map_update_elem (flags other than BPF_ANY: -EINVAL, index: -E2BIG)
//   lookup → map_fd_sys_lookup_elem (the inner map's id), delete → fd_array_map_delete_elem
//     (-E2BIG past the end, -ENOENT for an empty slot)
// and the program side: a lookup returns the inner map's own address (what an ld_imm64 of it holds).

import { describe, expect, it } from 'vitest';
import { createMap, Errno, MapError, MapFlag, MapType } from '../../src/maps/index.js';
import { fresh, haveWasm, Prog, rdU32, u32le } from './support.js';

describe.skipIf(!haveWasm)('array_of_maps and hash_of_maps', () => {
  it('needs an inner map template at creation and value_size 4', async () => {
    const fp = await fresh();
    const inner = createMap(fp, { name: 'inner', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 });
    expect(() => createMap(fp, { name: 'o', type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2 }))
      .toThrow(expect.objectContaining({ code: 'MAP_CREATE', errno: Errno.EINVAL, message: expect.stringContaining('needs its inner map template') }));
    expect(() => createMap(fp, { name: 'o', type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 8, maxEntries: 2, inner }))
      .toThrow(expect.objectContaining({ code: 'MAP_CREATE', errno: Errno.EINVAL }));
    expect(() => createMap(fp, { name: 'o', type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 2, inner }))
      .toThrow(expect.objectContaining({ code: 'MAP_CREATE', errno: Errno.EINVAL, message: expect.stringContaining('not hash') }));
    const outer = createMap(fp, { name: 'o', type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, inner });
    expect(outer.innerMeta).toEqual({ type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 });
    // One level only; prog arrays cannot be inner maps.
    expect(() => createMap(fp, { name: 'oo', type: MapType.HASH_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, inner: outer }))
      .toThrow(expect.objectContaining({ errno: Errno.EINVAL }));
    const pa = createMap(fp, { name: 'pa', type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 });
    expect(() => createMap(fp, { name: 'op', type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, inner: pa }))
      .toThrow(expect.objectContaining({ errno: Errno.ENOTSUPP }));
  });

  it('array_of_maps: update takes a map id, lookup answers it, delete empties the slot', async () => {
    const fp = await fresh();
    const a = createMap(fp, { name: 'a', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 });
    const b = createMap(fp, { name: 'b', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 });
    const small = createMap(fp, { name: 'small', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 2 });
    const hash = createMap(fp, { name: 'h', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4 });
    const outer = createMap(fp, { name: 'o', type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, inner: a });
    expect(outer.lookup(u32le(0))).toBeUndefined();
    outer.update(u32le(0), u32le(b.id));
    expect(rdU32(outer.lookup(u32le(0))!)).toBe(b.id);
    expect(outer.innerMap(u32le(0))?.address).toBe(b.address);
    outer.setInner(u32le(1), a);
    expect(rdU32(outer.lookup(u32le(1))!)).toBe(a.id);
    // array_map_meta_equal: max_entries must match (no BPF_F_INNER_MAP); another type never does.
    expect(() => outer.setInner(u32le(0), small)).toThrow(expect.objectContaining({ errno: Errno.EINVAL }));
    expect(() => outer.setInner(u32le(0), hash)).toThrow(expect.objectContaining({ errno: Errno.EINVAL }));
    expect(() => outer.update(u32le(0), u32le(9999))).toThrow(expect.objectContaining({ errno: Errno.EBADF, message: expect.stringContaining('no map has id 9999') }));
    expect(() => outer.update(u32le(0), u32le(b.id), 1 /* BPF_NOEXIST */)).toThrow(expect.objectContaining({ errno: Errno.EINVAL }));
    expect(() => outer.update(u32le(2), u32le(b.id))).toThrow(expect.objectContaining({ errno: Errno.E2BIG }));
    expect([...outer.keys()].map((k) => rdU32(k))).toEqual([0, 1]);
    outer.delete(u32le(0));
    expect(outer.lookup(u32le(0))).toBeUndefined();
    expect(() => outer.delete(u32le(0))).toThrow(expect.objectContaining({ code: 'MAP_NOT_FOUND', errno: Errno.ENOENT }));
    expect(() => outer.delete(u32le(5))).toThrow(expect.objectContaining({ errno: Errno.E2BIG }));
  });

  it('an array template with BPF_F_INNER_MAP takes inner arrays of any size', async () => {
    const fp = await fresh();
    const tmpl = createMap(fp, { name: 't', type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, flags: MapFlag.INNER_MAP });
    const big = createMap(fp, { name: 'big', type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 100, flags: MapFlag.INNER_MAP });
    const plain = createMap(fp, { name: 'plain', type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    const outer = createMap(fp, { name: 'o', type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 1, inner: tmpl });
    outer.setInner(u32le(0), big);
    // map_flags are compared: a plain array (no BPF_F_INNER_MAP) does not match.
    expect(() => outer.setInner(u32le(0), plain)).toThrow(expect.objectContaining({ errno: Errno.EINVAL }));
  });

  it('hash_of_maps: htab flags, lookups by id, and programs see the inner map itself', async () => {
    const fp = await fresh();
    const t = createMap(fp, { name: 't', type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 8 });
    const x = createMap(fp, { name: 'x', type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 16 });
    const outer = createMap(fp, { name: 'ho', type: MapType.HASH_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 4, inner: t });
    // hash maps compare no max_entries (bpf_map_meta_equal)
    outer.setInner(u32le(17), x);
    expect(() => outer.setInner(u32le(17), t, 1 /* BPF_NOEXIST */)).toThrow(expect.objectContaining({ code: 'MAP_EXISTS', errno: Errno.EEXIST }));
    expect(() => outer.setInner(u32le(6), t, 2 /* BPF_EXIST */)).toThrow(expect.objectContaining({ errno: Errno.ENOENT }));
    expect(rdU32(outer.lookup(u32le(17))!)).toBe(x.id);
    x.update(u32le(1), u32le(0xabcd));
    const p = new Prog(fp);
    expect(p.lookup(outer.address, u32le(17))).toBe(x.address);
    expect(p.lookup(outer.address, u32le(6))).toBe(0);
    // The returned pointer is a map the program passes on.
    const v = p.lookup(x.address, u32le(1));
    expect(rdU32(p.read(v, 4))).toBe(0xabcd);
    // Programs may not change a map-in-map (check_map_func_compatibility); the helper answers -EINVAL.
    expect(p.update(outer.address, u32le(6), u32le(t.id))).toBe(-Errno.EINVAL);
    outer.delete(u32le(17));
    expect(outer.lookup(u32le(17))).toBeUndefined();
  });

  it('array_of_maps: a program lookup returns the inner map address or NULL', async () => {
    const fp = await fresh();
    const a = createMap(fp, { name: 'a', type: MapType.LRU_HASH, keySize: 4, valueSize: 4, maxEntries: 8 });
    const outer = createMap(fp, { name: 'o', type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, inner: a });
    outer.setInner(u32le(1), a);
    const p = new Prog(fp);
    expect(p.lookup(outer.address, u32le(1))).toBe(a.address);
    expect(p.lookup(outer.address, u32le(0))).toBe(0);
    expect(p.lookup(outer.address, u32le(2))).toBe(0);
  });
});

describe.skipIf(!haveWasm)('map types wxdp does not implement', () => {
  it.each([
    [7, 'stack_trace'], [8, 'cgroup_array'], [19, 'cgroup_storage'], [24, 'sk_storage'], [26, 'struct_ops'],
    [31, 'user_ringbuf'], [33, 'arena'], [40, 'type 40'],
  ])('type %i is refused by name: "map type %s is not supported by wxdp"', async (type, name) => {
    const fp = await fresh();
    let err: unknown;
    try {
      createMap(fp, { name: 'm', type, keySize: 4, valueSize: 4, maxEntries: 1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MapError);
    expect(err).toMatchObject({ code: 'MAP_UNSUPPORTED', errno: Errno.EOPNOTSUPP });
    expect((err as Error).message).toBe(`map 'm': create: EOPNOTSUPP (map type ${name} is not supported by wxdp)`);
  });
});
