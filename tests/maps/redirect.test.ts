// Redirect and tail-call maps. devmap / devmap_hash (kernel/bpf/devmap.c): values are struct
// bpf_devmap_val (ifindex, then an optional program fd); __dev_map_update_elem (NOEXIST → EEXIST,
// index ≥ max → E2BIG, ifindex 0 clears, a program without a device → EINVAL), dev_map_delete_elem
// (EINVAL past the end, else 0), __dev_map_hash_update_elem (ifindex 0 → EINVAL, full → E2BIG).
// xskmap (net/xdp/xskmap.c) and prog_array (kernel/bpf/arraymap.c fd_array) hold handles.
// bpf_redirect_map (net/core/filter.c __bpf_xdp_redirect_map): XDP_REDIRECT with the target recorded,
// or the action in flags' low bits when the key has no entry, XDP_ABORTED for unknown flags.

import { afterAll, describe, expect, it } from 'vitest';
import { BPF_EXIST, BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS, BPF_NOEXIST, createMap, Errno, MapType } from '../../src/maps/index.js';
import { CTX, CTX_BASE, DP_XSKS } from '../../src/runtime/memory.js';
import { haveKernel, KernelMap } from './bpftool.js';
import { fresh, haveWasm, Prog, rdU32, u32le } from './support.js';

const XDP_ABORTED = 0;
const XDP_DROP = 1;
const XDP_PASS = 2;
const XDP_TX = 3;
const XDP_REDIRECT = 4;
const val8 = (ifindex: number, fd: number) => Uint8Array.of(...u32le(ifindex), ...u32le(fd));
const errnoOf = (f: () => void): number => {
  try {
    f();
    return 0;
  } catch (e) {
    return (e as { errno: number }).errno;
  }
};

function ctx(fp: Awaited<ReturnType<typeof fresh>>) {
  const dv = fp.memory.view();
  return {
    ifindex: dv.getUint32(CTX_BASE + CTX.REDIRECT_IFINDEX, true),
    map: dv.getUint32(CTX_BASE + CTX.REDIRECT_MAP, true),
    flags: dv.getBigUint64(CTX_BASE + CTX.REDIRECT_FLAGS, true),
  };
}

describe.skipIf(!haveWasm)('devmap', () => {
  it('stores ifindex (+ program id), clears with ifindex 0, and rejects what the kernel rejects', async () => {
    const fp = await fresh();
    const d = createMap(fp, { name: 'd', type: MapType.DEVMAP, keySize: 4, valueSize: 8, maxEntries: 4 });
    expect(d.lookup(u32le(1))).toBeUndefined();
    d.update(u32le(1), val8(7, 0));
    // a program fd must name a program (bpf_prog_get_type_dev: EBADF); 42 is one once an XDP entry is in the
    // table at 42 (Program.fd registers it)
    expect(errnoOf(() => d.update(u32le(2), val8(8, 42)))).toBe(Errno.EBADF);
    expect(d.lookup(u32le(2))).toBeUndefined();
    fp.xdpEntries.set(42, 'xdp_devmap');
    d.update(u32le(2), val8(8, 42));
    expect(d.lookup(u32le(1))).toEqual(val8(7, 0));
    expect(d.lookup(u32le(2))).toEqual(val8(8, 42));
    expect(errnoOf(() => d.update(u32le(1), val8(9, 0), BPF_NOEXIST))).toBe(Errno.EEXIST);
    expect(errnoOf(() => d.update(u32le(3), val8(9, 0), BPF_EXIST))).toBe(0);
    expect(errnoOf(() => d.update(u32le(4), val8(9, 0)))).toBe(Errno.E2BIG);
    expect(errnoOf(() => d.update(u32le(1), val8(9, 0), 4))).toBe(Errno.EINVAL);
    expect(errnoOf(() => d.update(u32le(1), val8(0, 5)))).toBe(Errno.EINVAL);
    d.update(u32le(1), val8(0, 0));
    expect(d.lookup(u32le(1))).toBeUndefined();
    expect(errnoOf(() => d.delete(u32le(1)))).toBe(0);
    expect(errnoOf(() => d.delete(u32le(9)))).toBe(Errno.EINVAL);
    // Walks every index like an array, occupied or not.
    expect([...d.keys()].map((k) => rdU32(k))).toEqual([0, 1, 2, 3]);
    // Programs may look it up but not change it.
    const p = new Prog(fp);
    expect(rdU32(p.read(p.lookup(d.address, u32le(2)), 4))).toBe(8);
    expect(p.lookup(d.address, u32le(0))).toBe(0);
    expect(p.update(d.address, u32le(0), val8(1, 0))).toBe(-Errno.EINVAL);
    expect(p.delete(d.address, u32le(2))).toBe(-Errno.EINVAL);
  });

  it('bpf_redirect_map: an entry redirects, a missing one returns the fallback action, bad flags abort', async () => {
    const fp = await fresh();
    const d = createMap(fp, { name: 'd', type: MapType.DEVMAP, keySize: 4, valueSize: 4, maxEntries: 4 });
    d.update(u32le(2), u32le(7));
    const p = new Prog(fp);
    const redirect = (key: number | bigint, flags: number | bigint) => Number(p.call('bpf_redirect_map', d.address, key, flags));
    expect(redirect(2, 0)).toBe(XDP_REDIRECT);
    expect(ctx(fp)).toEqual({ ifindex: 2, map: d.address, flags: 0n });
    // The key is a u32: the upper half of the register is ignored, as the kernel's lookup takes a u32.
    expect(redirect(0x1_0000_0002n, XDP_PASS)).toBe(XDP_REDIRECT);
    expect(redirect(1, XDP_PASS)).toBe(XDP_PASS);
    expect(ctx(fp).map).toBe(0);
    expect(redirect(1, XDP_DROP)).toBe(XDP_DROP);
    expect(redirect(1, XDP_TX)).toBe(XDP_TX);
    expect(redirect(9, 0)).toBe(XDP_ABORTED);
    expect(redirect(2, 1 << 5)).toBe(XDP_ABORTED);
    // Broadcast needs no entry, and keeps its flags.
    const bc = BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS;
    expect(redirect(1, bc)).toBe(XDP_REDIRECT);
    expect(ctx(fp)).toEqual({ ifindex: 1, map: d.address, flags: BigInt(bc) });
  });
});

describe.skipIf(!haveWasm)('devmap_hash', () => {
  it('inserts any u32 key up to max_entries, ifindex 0 is EINVAL, missing delete ENOENT, BPF_EXIST inserts', async () => {
    const fp = await fresh();
    const d = createMap(fp, { name: 'dh', type: MapType.DEVMAP_HASH, keySize: 4, valueSize: 4, maxEntries: 2 });
    d.update(u32le(1000), u32le(5));
    // As the kernel: BPF_EXIST does not require the key to exist in a devmap_hash.
    d.update(u32le(70000), u32le(6), BPF_EXIST);
    expect(d.count).toBe(2);
    expect(errnoOf(() => d.update(u32le(3), u32le(7)))).toBe(Errno.E2BIG);
    expect(errnoOf(() => d.update(u32le(1000), u32le(8), BPF_NOEXIST))).toBe(Errno.EEXIST);
    expect(errnoOf(() => d.update(u32le(1000), u32le(0)))).toBe(Errno.EINVAL);
    d.update(u32le(1000), u32le(9));
    expect(rdU32(d.lookup(u32le(1000))!)).toBe(9);
    expect(errnoOf(() => d.delete(u32le(3)))).toBe(Errno.ENOENT);
    d.delete(u32le(1000));
    expect(d.lookup(u32le(1000))).toBeUndefined();
    const p = new Prog(fp);
    expect(Number(p.call('bpf_redirect_map', d.address, 70000, 0))).toBe(XDP_REDIRECT);
    expect(ctx(fp).ifindex).toBe(70000);
    expect(Number(p.call('bpf_redirect_map', d.address, 1000, XDP_PASS))).toBe(XDP_PASS);
  });

  it('walks buckets in index order (key & mask), newest first', async () => {
    const fp = await fresh();
    const d = createMap(fp, { name: 'dh', type: MapType.DEVMAP_HASH, keySize: 4, valueSize: 4, maxEntries: 4 });
    for (const k of [5, 1, 2, 9]) d.update(u32le(k), u32le(1));
    // 4 buckets: 5, 1 and 9 share bucket 1 (9 newest), 2 is in bucket 2.
    expect([...d.keys()].map((k) => rdU32(k))).toEqual([9, 1, 5, 2]);
    expect(rdU32(d.nextKey(u32le(77))!)).toBe(9);
  });
});

describe.skipIf(!haveWasm)('xskmap and prog_array', () => {
  it('xskmap: handles per queue, NOEXIST / EXIST as the kernel, no syscall lookup (EOPNOTSUPP), redirect', async () => {
    const fp = await fresh();
    const x = createMap(fp, { name: 'x', type: MapType.XSKMAP, keySize: 4, valueSize: 4, maxEntries: 4 });
    // Sockets 11 and 12 exist (their table entries; tests/datapath has real ones). A handle with no
    // socket behind it is a bad descriptor, as sockfd_lookup() answers in xsk_map_update_elem.
    expect(errnoOf(() => x.update(u32le(0), u32le(11)))).toBe(Errno.EBADF);
    fp.memory.view().setUint32(DP_XSKS + 11 * 4, 0x1000, true);
    fp.memory.view().setUint32(DP_XSKS + 12 * 4, 0x1000, true);
    x.update(u32le(0), u32le(11));
    expect(errnoOf(() => x.update(u32le(0), u32le(11), BPF_NOEXIST))).toBe(0);
    expect(errnoOf(() => x.update(u32le(0), u32le(12), BPF_NOEXIST))).toBe(Errno.EEXIST);
    expect(errnoOf(() => x.update(u32le(1), u32le(12), BPF_EXIST))).toBe(Errno.ENOENT);
    expect(errnoOf(() => x.update(u32le(4), u32le(12)))).toBe(Errno.E2BIG);
    expect(errnoOf(() => x.update(u32le(1), u32le(0x80000000)))).toBe(Errno.EBADF);
    expect(errnoOf(() => x.lookup(u32le(0)))).toBe(Errno.EOPNOTSUPP);
    const p = new Prog(fp);
    // A program's lookup finds the socket as struct bpf_xdp_sock: its queue_id (the record's XSK_QUEUE
    // word, 4 bytes in) at offset 0.
    fp.memory.view().setUint32(0x1000 + 4, 3, true);
    expect(p.lookup(x.address, u32le(0))).toBe(0x1004);
    expect(rdU32(p.read(p.lookup(x.address, u32le(0)), 4))).toBe(3);
    expect(p.lookup(x.address, u32le(1))).toBe(0);
    expect(Number(p.call('bpf_redirect_map', x.address, 0, 0))).toBe(XDP_REDIRECT);
    expect(ctx(fp)).toEqual({ ifindex: 0, map: x.address, flags: 0n });
    expect(Number(p.call('bpf_redirect_map', x.address, 1, XDP_PASS))).toBe(XDP_PASS);
    // No broadcast for xskmaps: the flag is unknown there.
    expect(Number(p.call('bpf_redirect_map', x.address, 0, BPF_F_BROADCAST))).toBe(XDP_ABORTED);
    expect(errnoOf(() => x.delete(u32le(0)))).toBe(0);
    expect(errnoOf(() => x.delete(u32le(0)))).toBe(0);
    expect(errnoOf(() => x.delete(u32le(5)))).toBe(Errno.EINVAL);
    // Not a redirect map at all.
    const h = createMap(fp, { name: 'h', type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 1 });
    expect(Number(p.call('bpf_redirect_map', h.address, 0, XDP_PASS))).toBe(XDP_ABORTED);
  });

  it('prog_array: BPF_ANY only, E2BIG past the end, delete ENOENT when empty; prog_array_get for tail calls', async () => {
    const fp = await fresh();
    const pa = createMap(fp, { name: 'pa', type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 3 });
    const get = fp.fn<(m: number, i: number) => number>('prog_array_get');
    expect(get(pa.address, 0)).toBe(-1);
    pa.update(u32le(1), u32le(5));
    expect(get(pa.address, 1)).toBe(5);
    expect(get(pa.address, 3)).toBe(-1);
    expect(get(pa.address, 0xffffffff)).toBe(-1);
    expect(rdU32(pa.lookup(u32le(1))!)).toBe(5);
    expect(pa.lookup(u32le(0))).toBeUndefined();
    expect(errnoOf(() => pa.update(u32le(1), u32le(6), BPF_NOEXIST))).toBe(Errno.EINVAL);
    expect(errnoOf(() => pa.update(u32le(1), u32le(6), BPF_EXIST))).toBe(Errno.EINVAL);
    expect(errnoOf(() => pa.update(u32le(3), u32le(6)))).toBe(Errno.E2BIG);
    expect(errnoOf(() => pa.update(u32le(0), u32le(0xffffffff)))).toBe(Errno.EBADF);
    expect(errnoOf(() => pa.delete(u32le(0)))).toBe(Errno.ENOENT);
    expect(errnoOf(() => pa.delete(u32le(3)))).toBe(Errno.E2BIG);
    pa.delete(u32le(1));
    expect(get(pa.address, 1)).toBe(-1);
    // Programs cannot look into a prog_array.
    expect(new Prog(fp).lookup(pa.address, u32le(1))).toBe(0);
    pa.update(u32le(2), u32le(0));
    expect(get(pa.address, 2)).toBe(0);
    pa.clear();
    expect(get(pa.address, 2)).toBe(-1);
  });
});

describe.skipIf(!haveKernel)('devmaps agree with the kernel (bpftool, ifindex 1 = lo)', () => {
  const kmaps: KernelMap[] = [];
  afterAll(() => kmaps.forEach((m) => m.close()));

  it('devmap update/delete errno', async () => {
    const k = KernelMap.must('devmap', 4, 8, 2);
    kmaps.push(k);
    const fp = await fresh();
    const d = createMap(fp, { name: 'd', type: MapType.DEVMAP, keySize: 4, valueSize: 8, maxEntries: 2 });
    const steps: [string, () => number, () => number][] = [
      ['set 0', () => k.update(u32le(0), val8(1, 0)), () => errnoOf(() => d.update(u32le(0), val8(1, 0)))],
      ['noexist 1', () => k.update(u32le(1), val8(1, 0), 'noexist'), () => errnoOf(() => d.update(u32le(1), val8(1, 0), BPF_NOEXIST))],
      ['exist 1', () => k.update(u32le(1), val8(1, 0), 'exist'), () => errnoOf(() => d.update(u32le(1), val8(1, 0), BPF_EXIST))],
      ['index 2', () => k.update(u32le(2), val8(1, 0)), () => errnoOf(() => d.update(u32le(2), val8(1, 0)))],
      ['ifindex 0 with a prog fd', () => k.update(u32le(0), val8(0, 3)), () => errnoOf(() => d.update(u32le(0), val8(0, 3)))],
      ['clear 0', () => k.update(u32le(0), val8(0, 0)), () => errnoOf(() => d.update(u32le(0), val8(0, 0)))],
      ['delete 1', () => k.delete(u32le(1)), () => errnoOf(() => d.delete(u32le(1)))],
      ['delete 1 again', () => k.delete(u32le(1)), () => errnoOf(() => d.delete(u32le(1)))],
      ['delete 5', () => k.delete(u32le(5)), () => errnoOf(() => d.delete(u32le(5)))],
    ];
    for (const [what, kernel, wxdp] of steps) expect(wxdp(), what).toBe(kernel());
    expect(k.lookup(u32le(0))).toBe(Errno.ENOENT);
  });

  it('devmap_hash walk order and errno', async () => {
    const k = KernelMap.must('devmap_hash', 4, 4, 4);
    kmaps.push(k);
    const fp = await fresh();
    const d = createMap(fp, { name: 'dh', type: MapType.DEVMAP_HASH, keySize: 4, valueSize: 4, maxEntries: 4 });
    for (const key of [5, 1, 2, 9]) {
      expect(k.update(u32le(key), u32le(1))).toBe(0);
      d.update(u32le(key), u32le(1));
    }
    expect([...d.keys()].map((x) => rdU32(x))).toEqual(k.keys().map((x) => rdU32(x)));
    expect(errnoOf(() => d.update(u32le(7), u32le(1)))).toBe(k.update(u32le(7), u32le(1)));
    expect(errnoOf(() => d.update(u32le(5), u32le(0)))).toBe(k.update(u32le(5), u32le(0)));
    expect(errnoOf(() => d.update(u32le(5), u32le(1), BPF_NOEXIST))).toBe(k.update(u32le(5), u32le(1), 'noexist'));
    // Re-adding 1 moves it to the head of its bucket.
    k.update(u32le(1), u32le(1));
    d.update(u32le(1), u32le(1));
    expect([...d.keys()].map((x) => rdU32(x))).toEqual(k.keys().map((x) => rdU32(x)));
    expect(errnoOf(() => d.delete(u32le(6)))).toBe(k.delete(u32le(6)));
  });
});
