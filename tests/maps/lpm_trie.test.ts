// BPF_MAP_TYPE_LPM_TRIE (kernel/bpf/lpm_trie.c): keys are struct bpf_lpm_trie_key_u8 (u32 prefixlen,
// then data compared most significant bit first). trie_lookup_elem returns the longest prefix
// containing the key; trie_update_elem / trie_delete_elem work on the exact prefix (prefixlen above
// the maximum → EINVAL, NOEXIST on an existing prefix → EEXIST, EXIST on a missing one → ENOENT,
// a full trie → ENOSPC, delete of a missing prefix → ENOENT); trie_get_next_key walks in postorder.

import { afterAll, describe, expect, it } from 'vitest';
import { BPF_EXIST, BPF_NOEXIST, codec, createMap, Errno, MapFlag, MapType } from '../../src/maps/index.js';
import { haveKernel, KernelMap } from './bpftool.js';
import { fresh, haveWasm, Prog, rdU32, u32le, v4, v4str } from './support.js';

const NO_PREALLOC = MapFlag.NO_PREALLOC;

async function trie(maxEntries = 16, dataSize = 4, valueSize = 4) {
  const fp = await fresh();
  const m = createMap(fp, { name: 't', type: MapType.LPM_TRIE, keySize: 4 + dataSize, valueSize, maxEntries, flags: NO_PREALLOC });
  return { fp, m, p: new Prog(fp) };
}

describe.skipIf(!haveWasm)('lpm_trie map', () => {
  it('finds the longest matching prefix: 10.0.0.0/8, 10.1.0.0/16, 10.1.2.0/24', async () => {
    const { m, p } = await trie();
    m.update(v4('10.0.0.0/8'), u32le(8));
    m.update(v4('10.1.0.0/16'), u32le(16));
    m.update(v4('10.1.2.0/24'), u32le(24));
    const hit = (a: string) => {
      const v = m.lookup(v4(a));
      return v === undefined ? undefined : rdU32(v);
    };
    expect(hit('10.1.2.3')).toBe(24);
    expect(hit('10.1.3.3')).toBe(16);
    expect(hit('10.2.0.1')).toBe(8);
    expect(hit('10.255.255.255')).toBe(8);
    expect(hit('11.0.0.1')).toBeUndefined();
    // A key's own prefixlen bounds the match: 10.1.2.3/20 cannot use the /24.
    expect(hit('10.1.2.3/20')).toBe(16);
    expect(hit('10.1.2.3/8')).toBe(8);
    expect(hit('10.1.2.3/7')).toBeUndefined();
    // Programs get the same answer.
    const a = p.lookup(m.address, v4('10.1.2.200'));
    expect(rdU32(p.read(a, 4))).toBe(24);
    expect(Number(p.call('trie_lookup_elem', m.address, p.place(v4('10.1.9.9'))))).toBe(p.lookup(m.address, v4('10.1.0.1')));
    // Deleting the /24 falls back to the /16.
    m.delete(v4('10.1.2.0/24'));
    expect(hit('10.1.2.3')).toBe(16);
  });

  it('a default route /0 and a host route /32', async () => {
    const { m } = await trie();
    m.update(v4('0.0.0.0/0'), u32le(0));
    m.update(v4('192.168.1.1/32'), u32le(32));
    expect(rdU32(m.lookup(v4('192.168.1.1'))!)).toBe(32);
    expect(rdU32(m.lookup(v4('192.168.1.2'))!)).toBe(0);
    expect(rdU32(m.lookup(v4('8.8.8.8'))!)).toBe(0);
  });

  it('update and delete the exact prefix with the kernel\'s errno', async () => {
    const { m } = await trie(2);
    expect(() => m.update(v4('10.0.0.0/33'), u32le(0))).toThrow(expect.objectContaining({ errno: Errno.EINVAL }));
    expect(() => m.update(v4('10.0.0.0/8'), u32le(0), 3)).toThrow(expect.objectContaining({ errno: Errno.EINVAL }));
    expect(() => m.update(v4('10.0.0.0/8'), u32le(0), BPF_EXIST)).toThrow(expect.objectContaining({ errno: Errno.ENOENT }));
    m.update(v4('10.0.0.0/8'), u32le(1), BPF_NOEXIST);
    expect(() => m.update(v4('10.0.0.0/8'), u32le(2), BPF_NOEXIST)).toThrow(expect.objectContaining({ code: 'MAP_EXISTS', errno: Errno.EEXIST }));
    m.update(v4('10.0.0.0/8'), u32le(3), BPF_EXIST);
    expect(rdU32(m.lookup(v4('10.9.9.9'))!)).toBe(3);
    m.update(v4('10.1.0.0/16'), u32le(4));
    // Two entries in a trie of max_entries 2: a third prefix is ENOSPC.
    expect(() => m.update(v4('10.2.0.0/16'), u32le(5))).toThrow(expect.objectContaining({ code: 'MAP_FULL', errno: Errno.ENOSPC }));
    // Replacing an existing one still works.
    m.update(v4('10.1.0.0/16'), u32le(6));
    expect(() => m.delete(v4('10.2.0.0/16'))).toThrow(expect.objectContaining({ errno: Errno.ENOENT }));
    expect(() => m.delete(v4('10.0.0.0/9'))).toThrow(expect.objectContaining({ errno: Errno.ENOENT }));
    expect(() => m.delete(v4('10.0.0.0/40'))).toThrow(expect.objectContaining({ errno: Errno.EINVAL }));
    m.delete(v4('10.0.0.0/8'));
    expect(m.count).toBe(1);
    m.update(v4('10.2.0.0/16'), u32le(5));
    expect(m.count).toBe(2);
  });

  it('intermediate nodes: siblings that diverge need a branching node that is not an entry', async () => {
    const { m } = await trie(4);
    // 192.168.0.0/24 and 192.168.1.0/24 diverge at bit 23: an intermediate /23 joins them.
    m.update(v4('192.168.0.0/24'), u32le(1));
    m.update(v4('192.168.1.0/24'), u32le(2));
    expect(m.lookup(v4('192.168.0.0/23'))).toBeUndefined();
    expect(m.lookup(v4('192.168.2.1'))).toBeUndefined();
    expect(() => m.delete(v4('192.168.0.0/23'))).toThrow(expect.objectContaining({ errno: Errno.ENOENT }));
    // EXIST on the intermediate node's prefix is ENOENT; adding it makes it an entry.
    expect(() => m.update(v4('192.168.0.0/23'), u32le(3), BPF_EXIST)).toThrow(expect.objectContaining({ errno: Errno.ENOENT }));
    m.update(v4('192.168.0.0/23'), u32le(3), BPF_NOEXIST);
    expect(rdU32(m.lookup(v4('192.168.1.200/23'))!)).toBe(3);
    expect(m.count).toBe(3);
    // Deleting a node with two children leaves it as an intermediate node.
    m.delete(v4('192.168.0.0/23'));
    expect(rdU32(m.lookup(v4('192.168.1.7'))!)).toBe(2);
    m.delete(v4('192.168.0.0/24'));
    expect(rdU32(m.lookup(v4('192.168.1.7'))!)).toBe(2);
    expect([...m.keys()].map(v4str)).toEqual(['192.168.1.0/24']);
  });

  it('get_next_key is postorder: more specific prefixes first; a missing key restarts at the first', async () => {
    const { m } = await trie();
    // The example at the top of lpm_trie.c, and its documented walk order.
    for (const pfx of ['192.168.0.0/16', '192.168.0.0/24', '192.168.128.0/24', '192.168.1.0/24']) m.update(v4(pfx), u32le(0));
    expect([...m.keys()].map(v4str)).toEqual(['192.168.0.0/24', '192.168.1.0/24', '192.168.128.0/24', '192.168.0.0/16']);
    expect(v4str(m.nextKey(v4('10.0.0.0/8'))!)).toBe('192.168.0.0/24');
    expect(v4str(m.nextKey(v4('10.0.0.0/40'))!)).toBe('192.168.0.0/24');
    expect(m.nextKey(v4('192.168.0.0/16'))).toBeUndefined();
  });

  it('survives many inserts and deletes against a linear-scan model (IPv4 and 16-byte keys)', async () => {
    for (const dataSize of [4, 16, 1, 7]) {
      const max = 64;
      const { m, p } = await trie(max, dataSize);
      const model = new Map<string, { len: number; data: Uint8Array; v: number }>();
      let seed = 7;
      const rand = (n: number) => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % n;
      };
      const key = (len: number, data: Uint8Array) => {
        const k = new Uint8Array(4 + dataSize);
        new DataView(k.buffer).setUint32(0, len, true);
        k.set(data, 4);
        return k;
      };
      const bit = (d: Uint8Array, i: number) => (d[i >> 3]! >> (7 - (i & 7))) & 1;
      const matches = (pfx: Uint8Array, len: number, addr: Uint8Array) => {
        for (let i = 0; i < len; i++) if (bit(pfx, i) !== bit(addr, i)) return false;
        return true;
      };
      const randData = () => Uint8Array.from({ length: dataSize }, () => [0, 0x80, 0xff, rand(256)][rand(4)]!);
      for (let i = 0; i < 600; i++) {
        const len = rand(dataSize * 8 + 1);
        const data = randData();
        const id = `${len}:${Array.from(data.subarray(0, Math.ceil(len / 8)), (b, j) => (j === Math.floor(len / 8) ? b & (0xff << (8 - (len % 8))) : b)).join('.')}`;
        if (rand(3) === 0 && model.size > 0) {
          const victim = [...model.entries()][rand(model.size)]!;
          m.delete(key(victim[1].len, victim[1].data));
          model.delete(victim[0]);
        } else if (model.has(id) || model.size < max) {
          m.update(key(len, data), u32le(i));
          model.set(id, { len, data, v: i });
        }
        expect(m.count).toBe(model.size);
        const probe = randData();
        let best: { len: number; v: number } | undefined;
        for (const e of model.values()) if (matches(e.data, e.len, probe) && (!best || e.len > best.len)) best = e;
        const got = p.lookup(m.address, key(dataSize * 8, probe));
        expect(got === 0 ? undefined : rdU32(p.read(got, 4))).toBe(best?.v);
      }
      expect([...m.keys()].length).toBe(model.size);
    }
  });

  it('IPv6 keys (16 data bytes): longest match, bounded by the key\'s own prefixlen', async () => {
    const { m } = await trie(8, 16);
    const k = codec.lpmKey(16);
    const v6 = (len: number, ...words: number[]) => {
      const data = new Uint8Array(16);
      words.forEach((w, i) => new DataView(data.buffer).setUint16(i * 2, w));
      return k.encode({ prefixlen: len, data });
    };
    m.update(v6(32, 0x2001, 0x0db8), u32le(32));
    m.update(v6(48, 0x2001, 0x0db8, 0x0001), u32le(48));
    m.update(v6(128, 0x2001, 0x0db8, 0x0001, 0, 0, 0, 0, 0x0001), u32le(128));
    m.update(v6(65, 0x2001, 0x0db8, 0x0001, 0, 0x8000), u32le(65));
    const hit = (key: Uint8Array) => {
      const v = m.lookup(key);
      return v === undefined ? undefined : rdU32(v);
    };
    expect(hit(v6(128, 0x2001, 0x0db8, 0x0001, 0, 0, 0, 0, 0x0001))).toBe(128);
    expect(hit(v6(128, 0x2001, 0x0db8, 0x0001, 0, 0, 0, 0, 0x0002))).toBe(48);
    expect(hit(v6(128, 0x2001, 0x0db8, 0x0001, 0, 0x8000, 0, 0, 9))).toBe(65);
    expect(hit(v6(64, 0x2001, 0x0db8, 0x0001, 0, 0x8000))).toBe(48);
    expect(hit(v6(128, 0x2001, 0x0db8, 0x0002))).toBe(32);
    expect(hit(v6(40, 0x2001, 0x0db8, 0x0001))).toBe(32);
    expect(hit(v6(128, 0x2001, 0x0db9))).toBeUndefined();
  });

  it('typed access with the ipv4Prefix codec', async () => {
    const { m } = await trie();
    const t = m.typed(codec.ipv4Prefix, codec.u32);
    t.set('10.0.0.0/8', 1).set('10.1.0.0/16', 2);
    expect(t.get('10.1.2.3')).toBe(2);
    expect([...t.keys()]).toEqual(['10.1.0.0/16', '10.0.0.0/8']);
    expect(t.delete('10.9.0.0/16')).toBe(false);
    expect(t.delete('10.1.0.0/16')).toBe(true);
  });
});

describe.skipIf(!haveKernel)('lpm_trie agrees with the kernel (bpftool)', () => {
  const kmaps: KernelMap[] = [];
  afterAll(() => kmaps.forEach((m) => m.close()));

  it('walk order, longest-match lookups and errno over a route table', async () => {
    const k = KernelMap.must('lpm_trie', 8, 4, 12, NO_PREALLOC);
    kmaps.push(k);
    const { m } = await trie(12);
    const routes = ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '192.168.0.0/16', '192.168.0.0/24', '192.168.128.0/24',
      '192.168.1.0/24', '0.0.0.0/0', '172.16.0.0/12', '10.1.2.128/25', '10.1.2.129/32'];
    routes.forEach((r, i) => {
      expect(k.update(v4(r), u32le(i))).toBe(0);
      m.update(v4(r), u32le(i));
    });
    expect([...m.keys()].map(v4str)).toEqual(k.keys().map(v4str));
    for (const a of ['10.1.2.129', '10.1.2.130', '10.1.2.3', '10.1.9.9', '10.200.0.1', '192.168.1.1', '192.168.200.1', '172.20.1.1', '8.8.8.8', '10.1.2.3/20']) {
      const kv = k.lookup(v4(a));
      expect(kv instanceof Uint8Array ? rdU32(kv) : kv, a).toBe(rdU32(m.lookup(v4(a))!));
    }
    const errno = (f: () => void) => {
      try {
        f();
        return 0;
      } catch (e) {
        return (e as { errno: number }).errno;
      }
    };
    expect(errno(() => m.update(v4('10.0.0.0/8'), u32le(0), BPF_NOEXIST))).toBe(k.update(v4('10.0.0.0/8'), u32le(0), 'noexist'));
    expect(errno(() => m.update(v4('10.3.0.0/16'), u32le(0), BPF_EXIST))).toBe(k.update(v4('10.3.0.0/16'), u32le(0), 'exist'));
    expect(errno(() => m.update(v4('10.3.0.0/16'), u32le(0)))).toBe(k.update(v4('10.3.0.0/16'), u32le(0)));
    expect(errno(() => m.update(v4('10.4.0.0/16'), u32le(0)))).toBe(k.update(v4('10.4.0.0/16'), u32le(0)));
    expect(errno(() => m.delete(v4('10.5.0.0/16')))).toBe(k.delete(v4('10.5.0.0/16')));
    expect(errno(() => m.delete(v4('10.0.0.0/33')))).toBe(k.delete(v4('10.0.0.0/33')));
    for (const r of ['10.1.0.0/16', '192.168.0.0/24', '0.0.0.0/0']) {
      expect(k.delete(v4(r))).toBe(0);
      m.delete(v4(r));
    }
    expect([...m.keys()].map(v4str)).toEqual(k.keys().map(v4str));
    expect(v4str(m.nextKey(v4('1.2.3.0/24'))!)).toBe(v4str(k.getNext(v4('1.2.3.0/24')) as Uint8Array));
  });
});
