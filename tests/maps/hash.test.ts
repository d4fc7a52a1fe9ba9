// Hash maps (kernel/bpf/hashtab.c): htab_map_update_elem's flag checks (check_flags: NOEXIST on an
// existing key → EEXIST, EXIST on a missing key → ENOENT; unknown flags and BPF_F_LOCK without a spin
// lock → EINVAL), a full map → E2BIG (alloc_htab_elem: the freelist is empty) while updates of
// existing keys still succeed, delete of a missing key → ENOENT, and htab_map_get_next_key's order:
// buckets in index order, newest element first within a bucket, a missing key restarting at the first.
// With BPF_F_ZERO_SEED the order is the kernel's exactly (same jhash, same bucket count).

import { afterAll, describe, expect, it } from 'vitest';
import { BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, createMap, Errno, MapFlag, MapType } from '../../src/maps/index.js';
import { haveKernel, KernelMap } from './bpftool.js';
import { fresh, haveWasm, Prog, rdU32, rdU64, setCpu, u32le, u64le } from './support.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe.skipIf(!haveWasm)('hash map', () => {
  it('inserts, looks up (syscall and program), updates in place and deletes', async () => {
    const fp = await fresh();
    const m = createMap(fp, { name: 'h', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 8 });
    const p = new Prog(fp);
    expect(m.lookup(u32le(1))).toBeUndefined();
    expect(p.lookup(m.address, u32le(1))).toBe(0);
    m.update(u32le(1), u64le(10));
    expect(p.update(m.address, u32le(2), u64le(20))).toBe(0);
    expect(rdU64(m.lookup(u32le(2))!)).toBe(20n);
    const v = p.lookup(m.address, u32le(1));
    expect(v % 8).toBe(0);
    expect(rdU64(p.read(v, 8))).toBe(10n);
    expect(Number(p.call('htab_lookup_elem', m.address, p.place(u32le(1))))).toBe(v);
    m.update(u32le(1), u64le(11));
    // In place: a program's pointer sees the new value.
    expect(rdU64(p.read(v, 8))).toBe(11n);
    expect(m.count).toBe(2);
    m.delete(u32le(1));
    expect(m.lookup(u32le(1))).toBeUndefined();
    expect(p.delete(m.address, u32le(2))).toBe(0);
    expect(m.count).toBe(0);
  });

  it('update flags: NOEXIST on an existing key EEXIST, EXIST on a missing key ENOENT, 3 and BPF_F_LOCK EINVAL', async () => {
    const fp = await fresh();
    const m = createMap(fp, { name: 'h', type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 4 });
    m.update(u32le(1), u32le(1), BPF_NOEXIST);
    expect(() => m.update(u32le(1), u32le(2), BPF_NOEXIST)).toThrow(expect.objectContaining({ code: 'MAP_EXISTS', errno: Errno.EEXIST }));
    expect(() => m.update(u32le(2), u32le(2), BPF_EXIST)).toThrow(expect.objectContaining({ code: 'MAP_NOT_FOUND', errno: Errno.ENOENT }));
    m.update(u32le(1), u32le(3), BPF_EXIST);
    expect(rdU32(m.lookup(u32le(1))!)).toBe(3);
    expect(() => m.update(u32le(1), u32le(2), 3)).toThrow(expect.objectContaining({ code: 'MAP_INVALID', errno: Errno.EINVAL }));
    expect(() => m.update(u32le(1), u32le(2), BPF_F_LOCK)).toThrow(expect.objectContaining({ errno: Errno.EINVAL }));
    expect(new Prog(fp).update(m.address, u32le(2), u32le(2), BPF_EXIST)).toBe(-Errno.ENOENT);
  });

  it('a full map refuses new keys with E2BIG but still updates existing ones', async () => {
    const fp = await fresh();
    const m = createMap(fp, { name: 'h', type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 2 });
    m.update(u32le(1), u32le(1));
    m.update(u32le(2), u32le(2));
    expect(() => m.update(u32le(3), u32le(3))).toThrow(expect.objectContaining({ code: 'MAP_FULL', errno: Errno.E2BIG }));
    // check_flags runs before the allocation: EXIST on a missing key is ENOENT even when full.
    expect(() => m.update(u32le(3), u32le(3), BPF_EXIST)).toThrow(expect.objectContaining({ errno: Errno.ENOENT }));
    m.update(u32le(2), u32le(22));
    expect(rdU32(m.lookup(u32le(2))!)).toBe(22);
    m.delete(u32le(1));
    m.update(u32le(3), u32le(3));
    expect(m.count).toBe(2);
    expect(() => m.delete(u32le(1))).toThrow(expect.objectContaining({ code: 'MAP_NOT_FOUND', errno: Errno.ENOENT }));
  });

  it('handles keys that are not a multiple of 4 (jhash) and long keys (jhash2 over many words)', async () => {
    const fp = await fresh();
    for (const ks of [1, 3, 5, 13, 24, 64]) {
      const m = createMap(fp, { name: `k${ks}`, type: MapType.HASH, keySize: ks, valueSize: 4, maxEntries: 64 });
      const keys = Array.from({ length: 64 }, (_, i) => Uint8Array.from({ length: ks }, (_, j) => (i * 31 + j * 7) & 0xff));
      const unique = [...new Map(keys.map((k) => [hex(k), k])).values()];
      unique.forEach((k, i) => m.update(k, u32le(i)));
      unique.forEach((k, i) => expect(rdU32(m.lookup(k)!)).toBe(i));
      expect(new Set([...m.keys()].map(hex))).toEqual(new Set(unique.map(hex)));
    }
  });

  it('get_next_key: bucket order, newest first within a bucket; a missing key restarts at the first key', async () => {
    const fp = await fresh();
    const m4 = createMap(fp, { name: 'h4', type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 3, flags: MapFlag.ZERO_SEED });
    for (const k of [1, 2, 3]) m4.update(u32le(k), u32le(k));
    const order = [...m4.keys()].map((k) => rdU32(k));
    expect(order.sort()).toEqual([1, 2, 3]);
    const first = m4.nextKey(null)!;
    expect(m4.nextKey(u32le(99))).toEqual(first);
    const all = [...m4.keys()];
    expect(m4.nextKey(all[all.length - 1]!)).toBeUndefined();
    // Updating an existing key moves it to the head of its bucket, as the kernel's new element does.
    // Two keys share one of two buckets exactly when the walk order depends on insertion order.
    const walk = (a: number, b: number) => {
      const t = createMap(fp, { name: 't', type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 2, flags: MapFlag.ZERO_SEED });
      t.update(u32le(a), u32le(0));
      t.update(u32le(b), u32le(0));
      return { t, order: [...t.keys()].map((k) => rdU32(k)) };
    };
    let pair: [number, number] | undefined;
    for (let b = 2; !pair && b < 64; b++) if (walk(1, b).order[0] === walk(b, 1).order[1]) pair = [1, b];
    expect(pair).toBeDefined();
    const { t, order: pairOrder } = walk(pair![0], pair![1]);
    expect(pairOrder).toEqual([pair![1], pair![0]]);
    t.update(u32le(pair![0]), u32le(1));
    expect([...t.keys()].map((k) => rdU32(k))).toEqual([pair![0], pair![1]]);
  });

  it('clear() empties it and the elements are reusable', async () => {
    const fp = await fresh();
    const m = createMap(fp, { name: 'h', type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 3 });
    for (const k of [1, 2, 3]) m.update(u32le(k), u32le(k));
    m.clear();
    expect([...m.keys()]).toEqual([]);
    expect(m.count).toBe(0);
    for (const k of [4, 5, 6]) m.update(u32le(k), u32le(k));
    expect(() => m.update(u32le(7), u32le(7))).toThrow(expect.objectContaining({ errno: Errno.E2BIG }));
  });
});

describe.skipIf(!haveWasm)('percpu_hash map', () => {
  it('a program\'s insert sets its CPU\'s value and zeroes the others; its update touches only its CPU', async () => {
    const fp = await fresh({ ncpus: 3, cpu: 1 });
    const m = createMap(fp, { name: 'ph', type: MapType.PERCPU_HASH, keySize: 4, valueSize: 4, maxEntries: 4 });
    const p = new Prog(fp);
    // Dirty an element, free it, and make sure the reuse zeroes the other CPUs (pcpu_init_value).
    m.update(u32le(9), [u32le(0xaa), u32le(0xbb), u32le(0xcc)]);
    m.delete(u32le(9));
    expect(p.update(m.address, u32le(1), u32le(11))).toBe(0);
    expect(m.lookupPerCpu(u32le(1))!.map((v) => rdU32(v))).toEqual([0, 11, 0]);
    setCpu(fp, 2);
    expect(p.update(m.address, u32le(1), u32le(22))).toBe(0);
    expect(m.lookupPerCpu(u32le(1))!.map((v) => rdU32(v))).toEqual([0, 11, 22]);
    const a = p.lookup(m.address, u32le(1));
    expect(rdU32(p.read(a, 4))).toBe(22);
    expect(Number(p.call('htab_percpu_lookup_elem', m.address, p.place(u32le(1))))).toBe(a);
    m.update(u32le(1), [u32le(1), u32le(2), u32le(3)]);
    expect(m.lookupPerCpu(u32le(1))!.map((v) => rdU32(v))).toEqual([1, 2, 3]);
    expect(() => m.update(u32le(1), u32le(0), BPF_F_LOCK)).toThrow(expect.objectContaining({ errno: Errno.EINVAL }));
  });

  it.each([MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH])("%s keeps each CPU's values in a region of their own: no cache line holds two CPUs' values", async (type) => {
    // The kernel's preallocated percpu elements each point at per-CPU memory (htab_elem_set_ptr): CPU 0's
    // and CPU 1's values of one key are in different CPUs' units, so workers counting under one key do
    // not write each other's lines. Here: each element's values for CPUs 0..2 on three different 128-byte
    // lines, elements of one CPU side by side in its region.
    const fp = await fresh({ ncpus: 3, cpu: 0 });
    const m = createMap(fp, { name: 'ph', type, keySize: 4, valueSize: 12, maxEntries: 4 });
    const p = new Prog(fp);
    const line = (a: number): number => Math.floor(a / 128);
    for (const k of [1, 2, 3]) expect(p.update(m.address, u32le(k), Uint8Array.of(k, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xe0 + k))).toBe(0);
    const at: number[][] = [];
    for (const cpu of [0, 1, 2]) {
      setCpu(fp, cpu);
      at.push([1, 2, 3].map((k) => p.lookup(m.address, u32le(k))));
    }
    for (let k = 0; k < 3; k++) expect(new Set([0, 1, 2].map((c) => line(at[c]![k]!))).size, `key ${k + 1}`).toBe(3);
    for (const c of [0, 1, 2]) for (const k of [0, 1, 2]) expect(Math.abs(at[c]![k]! - at[0]![k]!) % 128, `cpu ${c}`).toBe(0);
    expect(new Set(at[0]!.map((a) => a % 16)).size).toBe(1);
    // the insert wrote CPU 0's value and zeroed CPU 1's and 2's (pcpu_init_value)
    setCpu(fp, 2);
    p.update(m.address, u32le(2), Uint8Array.of(0x22, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x2e));
    const per = m.lookupPerCpu(u32le(2))!;
    expect(per.map((v) => [v[0], v[11]])).toEqual([[2, 0xe2], [0, 0], [0x22, 0x2e]]);
    // the syscall's buffer: every CPU's value side by side, 16 bytes each (round_up(12, 8))
    const raw = m.lookup(u32le(2))!;
    expect(raw.length).toBe(48);
    expect([raw[0], raw[11], raw[16], raw[32], raw[43]]).toEqual([2, 0xe2, 0, 0x22, 0x2e]);
    // the syscall's per-CPU update lands in each CPU's region; the other keys keep theirs
    m.update(u32le(3), [0, 1, 2].map((c) => Uint8Array.of(0x30 + c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)));
    for (const cpu of [0, 1, 2]) {
      setCpu(fp, cpu);
      expect(p.read(p.lookup(m.address, u32le(3)), 1)[0]).toBe(0x30 + cpu);
      expect(p.read(p.lookup(m.address, u32le(1)), 12)[11]).toBe(cpu === 0 ? 0xe1 : 0);
    }
    // a deleted element reused by a program's insert starts at zero on the other CPUs
    m.delete(u32le(3));
    setCpu(fp, 1);
    expect(p.update(m.address, u32le(4), u32le(0x44))).toBe(0);
    expect(m.lookupPerCpu(u32le(4))!.map((v) => v[0])).toEqual([0, 0x44, 0]);
  });
});

describe.skipIf(!haveKernel)('hash map agrees with the kernel (bpftool)', () => {
  const kmaps: KernelMap[] = [];
  afterAll(() => kmaps.forEach((m) => m.close()));
  const ours = (f: () => void): number => {
    try {
      f();
      return 0;
    } catch (e) {
      return (e as { errno: number }).errno;
    }
  };

  it('errno of full map, NOEXIST, EXIST and delete of a missing key', async () => {
    const k = KernelMap.must('hash', 4, 8, 2);
    kmaps.push(k);
    const fp = await fresh();
    const m = createMap(fp, { name: 'h', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 2 });
    const steps: [string, () => number, () => number][] = [
      ['insert 1', () => k.update(u32le(1), u64le(1)), () => ours(() => m.update(u32le(1), u64le(1)))],
      ['insert 2 noexist', () => k.update(u32le(2), u64le(2), 'noexist'), () => ours(() => m.update(u32le(2), u64le(2), BPF_NOEXIST))],
      ['insert 3 (full)', () => k.update(u32le(3), u64le(3)), () => ours(() => m.update(u32le(3), u64le(3)))],
      ['update 2 (full)', () => k.update(u32le(2), u64le(4)), () => ours(() => m.update(u32le(2), u64le(4)))],
      ['noexist 1', () => k.update(u32le(1), u64le(5), 'noexist'), () => ours(() => m.update(u32le(1), u64le(5), BPF_NOEXIST))],
      ['exist 3', () => k.update(u32le(3), u64le(5), 'exist'), () => ours(() => m.update(u32le(3), u64le(5), BPF_EXIST))],
      ['delete 3', () => k.delete(u32le(3)), () => ours(() => m.delete(u32le(3)))],
      ['delete 1', () => k.delete(u32le(1)), () => ours(() => m.delete(u32le(1)))],
      ['insert 3', () => k.update(u32le(3), u64le(3)), () => ours(() => m.update(u32le(3), u64le(3)))],
    ];
    for (const [what, kernel, wxdp] of steps) expect(wxdp(), what).toBe(kernel());
    expect(k.lookup(u32le(1))).toBe(Errno.ENOENT);
    expect(k.lookup(u32le(2))).toEqual(m.lookup(u32le(2)));
  });

  it.each([
    ['4-byte keys (jhash2)', 4, 16, 16],
    ['8-byte keys (jhash2)', 8, 13, 32],
    ['5-byte keys (jhash)', 5, 24, 24],
    ['16-byte keys (jhash2, a mix round)', 16, 10, 12],
    ['13-byte keys (jhash, a mix round)', 13, 10, 10],
  ])('BPF_F_ZERO_SEED walk order equals the kernel\'s: %s', async (_what, keySize, entries, maxEntries) => {
    const k = KernelMap.must('hash', keySize, 4, maxEntries, MapFlag.ZERO_SEED);
    kmaps.push(k);
    const fp = await fresh();
    const m = createMap(fp, { name: 'h', type: MapType.HASH, keySize, valueSize: 4, maxEntries, flags: MapFlag.ZERO_SEED });
    const keys = Array.from({ length: entries }, (_, i) => Uint8Array.from({ length: keySize }, (_, j) => (i * 37 + j * 11 + 1) & 0xff));
    for (const key of keys) {
      expect(k.update(key, u32le(1))).toBe(0);
      m.update(key, u32le(1));
    }
    // Re-update some, moving them to their bucket's head.
    for (const key of keys.slice(0, 3)) {
      k.update(key, u32le(2));
      m.update(key, u32le(2));
    }
    expect([...m.keys()].map(hex)).toEqual(k.keys().map(hex));
    // A missing key restarts at the first.
    const missing = new Uint8Array(keySize).fill(0xee);
    expect(hex(m.nextKey(missing)!)).toBe(hex(k.getNext(missing) as Uint8Array));
  });
});
