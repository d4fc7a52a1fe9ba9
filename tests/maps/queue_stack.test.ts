// BPF_MAP_TYPE_QUEUE and STACK (kernel/bpf/queue_stack_maps.c): push (queue_stack_map_push_elem:
// BPF_NOEXIST or unknown flags → EINVAL; full → E2BIG unless BPF_EXIST, which drops the oldest
// element), pop/peek (empty → ENOENT with the value zeroed), FIFO for a queue, LIFO for a stack. No
// lookup by key, no delete, no get_next_key (EINVAL).

import { afterAll, describe, expect, it } from 'vitest';
import { BPF_EXIST, BPF_NOEXIST, codec, createMap, Errno, MapType } from '../../src/maps/index.js';
import { haveKernel, KernelMap } from './bpftool.js';
import { fresh, haveWasm, Prog, rdU32, u32le } from './support.js';

describe.skipIf(!haveWasm)('queue and stack maps', () => {
  it('a queue pops oldest first, a stack newest first', async () => {
    const fp = await fresh();
    const q = createMap(fp, { name: 'q', type: MapType.QUEUE, keySize: 0, valueSize: 4, maxEntries: 4 });
    const s = createMap(fp, { name: 's', type: MapType.STACK, keySize: 0, valueSize: 4, maxEntries: 4 });
    for (const v of [1, 2, 3]) {
      q.push(u32le(v));
      s.push(u32le(v));
    }
    expect(q.count).toBe(3);
    expect(rdU32(q.peek()!)).toBe(1);
    expect(rdU32(s.peek()!)).toBe(3);
    expect([q.pop(), q.pop(), q.pop()].map((v) => rdU32(v!))).toEqual([1, 2, 3]);
    expect([s.pop(), s.pop(), s.pop()].map((v) => rdU32(v!))).toEqual([3, 2, 1]);
    expect(q.pop()).toBeUndefined();
    expect(s.peek()).toBeUndefined();
    // The syscall's lookup of a queue is a peek; its update a push.
    q.update(new Uint8Array(0), u32le(9));
    expect(rdU32(q.lookup(new Uint8Array(0))!)).toBe(9);
  });

  it('full: E2BIG, or with BPF_EXIST the oldest element is dropped (queue and stack alike)', async () => {
    const fp = await fresh();
    const q = createMap(fp, { name: 'q', type: MapType.QUEUE, keySize: 0, valueSize: 4, maxEntries: 3 });
    const s = createMap(fp, { name: 's', type: MapType.STACK, keySize: 0, valueSize: 4, maxEntries: 3 });
    for (const m of [q, s]) {
      for (const v of [1, 2, 3]) m.push(u32le(v));
      expect(() => m.push(u32le(4))).toThrow(expect.objectContaining({ code: 'MAP_FULL', errno: Errno.E2BIG }));
      m.push(u32le(4), BPF_EXIST);
      m.push(u32le(5), BPF_EXIST);
      expect(m.count).toBe(3);
    }
    expect([q.pop(), q.pop(), q.pop()].map((v) => rdU32(v!))).toEqual([3, 4, 5]);
    expect([s.pop(), s.pop(), s.pop()].map((v) => rdU32(v!))).toEqual([5, 4, 3]);
  });

  it('wraps around its ring many times', async () => {
    const fp = await fresh();
    const q = createMap(fp, { name: 'q', type: MapType.QUEUE, keySize: 0, valueSize: 4, maxEntries: 3 });
    let next = 0;
    let expectNext = 0;
    for (let round = 0; round < 20; round++) {
      q.push(u32le(next++));
      q.push(u32le(next++));
      expect(rdU32(q.pop()!)).toBe(expectNext++);
      expect(rdU32(q.pop()!)).toBe(expectNext++);
    }
  });

  it('push flags: BPF_NOEXIST and unknown flags are EINVAL; delete and get_next_key are EINVAL', async () => {
    const fp = await fresh();
    const q = createMap(fp, { name: 'q', type: MapType.QUEUE, keySize: 0, valueSize: 4, maxEntries: 3 });
    expect(() => q.push(u32le(1), BPF_NOEXIST)).toThrow(expect.objectContaining({ errno: Errno.EINVAL }));
    expect(() => q.push(u32le(1), 4)).toThrow(expect.objectContaining({ errno: Errno.EINVAL }));
    expect(() => q.delete(new Uint8Array(0))).toThrow(expect.objectContaining({ errno: Errno.EINVAL }));
    expect(() => q.nextKey(null)).toThrow(expect.objectContaining({ errno: Errno.EINVAL }));
  });

  it('programs push, pop and peek through bpf_map_{push,pop,peek}_elem; an empty pop zeroes the value', async () => {
    const fp = await fresh();
    const s = createMap(fp, { name: 's', type: MapType.STACK, keySize: 0, valueSize: 4, maxEntries: 2 });
    const p = new Prog(fp);
    expect(p.call('bpf_map_push_elem', s.address, p.place(u32le(7)), 0)).toBe(0n);
    expect(p.call('bpf_map_push_elem', s.address, p.place(u32le(8)), 0)).toBe(0n);
    expect(p.call('bpf_map_push_elem', s.address, p.place(u32le(9)), 0)).toBe(BigInt(-Errno.E2BIG));
    expect(p.call('bpf_map_push_elem', s.address, p.place(u32le(9)), BPF_EXIST)).toBe(0n);
    const out = p.place(u32le(0xdead));
    expect(p.call('bpf_map_peek_elem', s.address, out)).toBe(0n);
    expect(rdU32(p.read(out, 4))).toBe(9);
    expect(p.call('bpf_map_pop_elem', s.address, out)).toBe(0n);
    expect(p.call('bpf_map_pop_elem', s.address, out)).toBe(0n);
    expect(rdU32(p.read(out, 4))).toBe(8);
    expect(p.call('bpf_map_pop_elem', s.address, out)).toBe(BigInt(-Errno.ENOENT));
    expect(rdU32(p.read(out, 4))).toBe(0);
    // Not a queue or stack, or an update by key: EINVAL.
    const h = createMap(fp, { name: 'h', type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 2 });
    expect(p.call('bpf_map_push_elem', h.address, p.place(u32le(1)), 0)).toBe(BigInt(-Errno.EINVAL));
    expect(p.update(s.address, u32le(0), u32le(1))).toBe(-Errno.EINVAL);
    expect(p.lookup(s.address, u32le(0))).toBe(0);
  });

  it('typed push/pop', async () => {
    const fp = await fresh();
    const q = createMap(fp, { name: 'q', type: MapType.QUEUE, keySize: 0, valueSize: 8, maxEntries: 2 }).typed(codec.bytes(0), codec.u64);
    q.push(5n);
    expect(q.peek()).toBe(5n);
    expect(q.pop()).toBe(5n);
    expect(q.pop()).toBeUndefined();
  });

  it('clear() empties it', async () => {
    const fp = await fresh();
    const q = createMap(fp, { name: 'q', type: MapType.QUEUE, keySize: 0, valueSize: 4, maxEntries: 2 });
    q.push(u32le(1));
    q.clear();
    expect(q.pop()).toBeUndefined();
    expect(q.count).toBe(0);
  });
});

describe.skipIf(!haveKernel)('queue and stack agree with the kernel (bpftool)', () => {
  const kmaps: KernelMap[] = [];
  afterAll(() => kmaps.forEach((m) => m.close()));

  it.each(['queue', 'stack'] as const)('%s: pushes, overwrite with BPF_EXIST, pops', async (type) => {
    const k = KernelMap.must(type, 0, 4, 3);
    kmaps.push(k);
    const fp = await fresh();
    const m = createMap(fp, { name: 'm', type: type === 'queue' ? MapType.QUEUE : MapType.STACK, keySize: 0, valueSize: 4, maxEntries: 3 });
    const ours = (f: () => void) => {
      try {
        f();
        return 0;
      } catch (e) {
        return (e as { errno: number }).errno;
      }
    };
    for (const v of [1, 2, 3, 4]) expect(ours(() => m.push(u32le(v))), `push ${v}`).toBe(k.push(u32le(v)));
    for (const v of [5, 6]) expect(ours(() => m.push(u32le(v), BPF_EXIST)), `push ${v} exist`).toBe(k.push(u32le(v), 'exist'));
    for (let i = 0; i < 4; i++) {
      const kv = k.pop();
      const mv = m.pop();
      expect(mv === undefined ? Errno.ENOENT : rdU32(mv)).toBe(kv instanceof Uint8Array ? rdU32(kv) : kv);
    }
  });
});
