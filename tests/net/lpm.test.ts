// The LPM tables (assembly/net/lpm4.ts, lpm6.ts over poptrie.ts and lpm_rib.ts; src/control/lpm.ts)
// against a plain binary trie (lpm_ref.ts): random tables with nested prefixes, random adds, replaces
// and deletes (deletes must bring the covering prefix back), batch loads, flush, /0 and full-length
// prefixes, bad input, ENOMEM under a memory limit, and the update discipline concurrent readers rely
// on: nothing a published version can reach is written until it is reclaimed.

import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIpv4, formatIpv6, Lpm4Table, Lpm6Table, parseIpv4, parseIpv6 } from '../../src/control/lpm.js';
import { EngineMemory } from '../../src/runtime/memory.js';
import { FastPath } from '../../src/runtime/fastpath.js';
import { bits4, bits6, mask4, mask6, RefTrie, rng } from './lpm_ref.js';

const haveWasm = existsSync(new URL('../../build/fastpath.wasm', import.meta.url));

async function fastPath(memoryLimit?: number): Promise<FastPath> {
  return FastPath.load(new EngineMemory({ memoryLimit }));
}

// ---- IPv4 ----

/** Addresses worth asking about: each prefix's first and last address and their neighbours, and random ones. */
function probes4(prefixes: Iterable<[number, number]>, r: () => number, random: number): Uint32Array {
  const out: number[] = [];
  for (const [a, len] of prefixes) {
    const last = (a | (len === 0 ? 0xffffffff : ~(0xffffffff << (32 - len)))) >>> 0;
    out.push(a, last, (a - 1) >>> 0, (last + 1) >>> 0, (a + (r() % (last - a + 1))) >>> 0);
  }
  for (let i = 0; i < random; i++) out.push(r());
  return Uint32Array.from(out);
}

function expectSame4(t: Lpm4Table, ref: RefTrie, addrs: Uint32Array): void {
  const got = t.lookupBulk(addrs);
  for (let i = 0; i < addrs.length; i++) {
    const want = ref.lookup(bits4(addrs[i]!));
    if (got[i] !== want) expect(`${formatIpv4(addrs[i]!)} → ${got[i]}`).toBe(`${formatIpv4(addrs[i]!)} → ${want}`);
  }
  expect(t.count).toBe(ref.size);
}

/**
 * Every node block the table's direct entries reach (poptrie.ts: +0 u64 vector, +8 u64 leafvec, +16
 * one u32 per leaf run, then one u32 per internal child), as [address, bytes].
 */
function reachableBlocks(fp: FastPath, t: number): Array<[number, number]> {
  const v = fp.memory.view();
  const s = v.getUint32(t + 8, true);
  const dir = v.getUint32(t + 12, true) & ~63; // the direct table's address | S (poptrie.ts)
  const pop = (b: bigint): number => b.toString(2).replace(/0/g, '').length;
  const out: Array<[number, number]> = [];
  const visit = (n: number): void => {
    const nk = pop(v.getBigUint64(n, true));
    const nl = pop(v.getBigUint64(n + 8, true));
    out.push([n, 16 + 4 * (nk + nl)]);
    for (let i = 0; i < nk; i++) visit(v.getUint32(n + 16 + 4 * (nl + i), true));
  };
  for (let j = 0; j < 2 ** s; j++) {
    const e = v.getUint32(dir + 4 * j, true);
    if (!(e & 0x80000000)) visit((e << 3) >>> 0);
  }
  return out;
}

/**
 * A lookup by hand from direct entry `entry` of a table with S = `s` (poptrie.ts's block: +0 u64
 * vector, +8 u64 leafvec, +16 one u32 per leaf run, then the child pointers), as a reader that loaded
 * that entry walks on.
 */
function walkEntry(v: DataView, entry: number, a: number, s: number): number {
  if (entry & 0x80000000) return entry & 0x7fffffff;
  let n = (entry << 3) >>> 0;
  let k = (a << s) >>> 0;
  const pop = (b: bigint): number => b.toString(2).replace(/0/g, '').length;
  for (;;) {
    const c = k >>> 26;
    const vec = v.getBigUint64(n, true);
    const below = (2n << BigInt(c)) - 1n;
    const leafvec = v.getBigUint64(n + 8, true);
    if ((vec >> BigInt(c)) & 1n) {
      n = v.getUint32(n + 16 + (pop(leafvec) + pop(vec & below) - 1) * 4, true);
      k = (k << 6) >>> 0;
      continue;
    }
    return v.getUint32(n + 16 + (pop(leafvec & below) - 1) * 4, true);
  }
}

/** A lookup by hand in the version whose direct-table word (address | S) is `word`. */
function walkVersion(v: DataView, word: number, a: number): number {
  const s = word & 63;
  return walkEntry(v, v.getUint32((word & ~63) + ((a >>> (32 - s)) << 2), true), a, s);
}

/** `n` distinct IPv4 prefixes, /8 to /32, most /24 and many longer (a /24 holding longer ones), as [address, len, value]. */
function manyRoutes4(n: number, seed: number): Array<[number, number, number]> {
  const r = rng(seed);
  const lens = [8, 12, 16, 19, 20, 21, 22, 23, 24, 24, 24, 24, 24, 25, 26, 28, 30, 32];
  const seen = new Set<number>();
  const out: Array<[number, number, number]> = [];
  while (out.length < n) {
    const len = lens[r() % lens.length]!;
    const a = mask4(r(), len);
    const key = a * 64 + len;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push([a, len, 1 + (r() % 0x7ffffffe)]);
  }
  return out;
}

/** Blocks that break lpm_heap.ts's placement: one of up to 64 bytes across a cache line, a larger one off a line's start. */
function misplaced(blocks: Array<[number, number]>): string[] {
  return blocks.filter(([b, size]) => (size <= 64 ? (b & 63) + size > 64 : (b & 63) !== 0)).map(([b, size]) => `${b}+${size}`);
}

/** A random prefix near one of a few hot addresses, so prefixes nest and collide. */
function randomPrefix4(r: () => number, hot: number[]): [number, number] {
  const lens = [0, 1, 7, 8, 12, 16, 17, 18, 19, 20, 22, 23, 24, 24, 24, 25, 26, 28, 29, 30, 31, 32, 32];
  const len = lens[r() % lens.length]!;
  const base = r() % 4 === 0 ? r() : (hot[r() % hot.length]! ^ (r() & 0x3ff)) >>> 0;
  return [mask4(base, len), len];
}

describe.skipIf(!haveWasm)('lpm4', () => {
  it('answers with the longest prefix, /0 to /32, and a delete brings the covering prefix back', async () => {
    const t = Lpm4Table.create(await fastPath());
    t.add('0.0.0.0/0', 1);
    t.add('198.51.0.0/16', 2);
    t.add('198.51.100.0/24', 3);
    t.add('198.51.100.128/25', 4);
    t.add('198.51.100.7/32', 5);
    t.add('198.51.100.0/30', 6);
    const at = (a: string): number => t.lookup(a);
    expect([at('203.0.113.1'), at('198.51.7.7'), at('198.51.100.9'), at('198.51.100.200'), at('198.51.100.7'), at('198.51.100.2'), at('198.51.100.4')])
      .toEqual([1, 2, 3, 4, 5, 6, 3]);
    t.del('198.51.100.0/24');
    expect([at('198.51.100.9'), at('198.51.100.7'), at('198.51.100.200'), at('198.51.100.3')]).toEqual([2, 5, 4, 6]);
    t.del('198.51.0.0/16');
    expect(at('198.51.100.9')).toBe(1);
    t.del('0.0.0.0/0');
    expect(at('198.51.100.9')).toBe(0);
    expect(at('198.51.100.7')).toBe(5);
    expect(t.count).toBe(3);
  });

  it('replaces a value in place, and get() answers exact prefixes only', async () => {
    const t = Lpm4Table.create(await fastPath());
    t.add('192.0.2.0/24', 10);
    t.add('192.0.2.0/24', 11);
    expect(t.count).toBe(1);
    expect(t.lookup('192.0.2.77')).toBe(11);
    expect(t.get('192.0.2.0/24')).toBe(11);
    expect(t.get('192.0.2.0/25')).toBeUndefined();
    expect(t.get(0xc0000200, 24)).toBe(11);
    t.add(0xc0000200, 24, 12);
    expect(t.lookup(0xc0000201)).toBe(12);
    expect(t.lookup('192.0.3.0')).toBe(0);
  });

  it('refuses bad prefixes and values with EINVAL, a missing prefix with ENOENT', async () => {
    const t = Lpm4Table.create(await fastPath());
    expect(() => t.add('192.0.2.1/24', 1)).toThrow(expect.objectContaining({ errno: 'EINVAL', message: expect.stringContaining('lpm4 add 192.0.2.1/24') }));
    expect(() => t.add('192.0.2.0/33', 1)).toThrow(expect.objectContaining({ errno: 'EINVAL' }));
    expect(() => t.add('192.0.2.0/24', 0)).toThrow(expect.objectContaining({ errno: 'EINVAL', message: 'lpm4: value 0 is not 1..4294967295' }));
    expect(() => t.add('192.0.2.0/24', 2 ** 32)).toThrow(expect.objectContaining({ errno: 'EINVAL' }));
    expect(() => t.add('192.0.2/24', 1)).toThrow(expect.objectContaining({ errno: 'EINVAL', message: '"192.0.2" is not an IPv4 address' }));
    expect(() => t.add(2 ** 32, 0, 1)).toThrow(expect.objectContaining({ errno: 'EINVAL' }));
    expect(() => t.add(0, 0.5, 1)).toThrow(expect.objectContaining({ errno: 'EINVAL' }));
    expect(() => t.del('198.51.100.0/24')).toThrow(expect.objectContaining({ errno: 'ENOENT', message: 'lpm4 del 198.51.100.0/24: no such prefix' }));
    const x = t.fp.exports as unknown as Record<string, (...a: number[]) => number>;
    expect(x.lpm4_add!(0, 0, 0, 1)).toBe(-22); // not a table
    expect(x.lpm4_del!(t.address, 0, 33)).toBe(-22);
    expect(x.lpm4_add!(t.address, 0, 0, 0)).toBe(-22); // value 0 means "no route"
    expect(x.lpm4_add!(t.address, 0, 0, 0x7fffffff)).toBe(0);
    expect(t.lookup('203.0.113.9')).toBe(0x7fffffff);
    expect(t.count).toBe(1);
  });

  it('holds any nonzero u32 value, also where a direct entry covers the prefix (values past 0x7fffffff)', async () => {
    const t = Lpm4Table.create(await fastPath());
    t.add('0.0.0.0/0', 0xffffffff);
    t.add('198.51.0.0/16', 0x80000000);
    t.add('198.51.100.0/24', 0x80000001);
    t.add('198.51.100.128/25', 7);
    expect([t.lookup('203.0.113.1'), t.lookup('198.51.7.7'), t.lookup('198.51.100.1'), t.lookup('198.51.100.200')])
      .toEqual([0xffffffff, 0x80000000, 0x80000001, 7]);
    expect(t.lookupBulk(Uint32Array.of(0xcb007101, 0xc6330707, 0xc6336401, 0xc63364c8))).toEqual(Uint32Array.of(0xffffffff, 0x80000000, 0x80000001, 7));
    t.del('198.51.100.0/24');
    expect(t.lookup('198.51.100.1')).toBe(0x80000000);
    t.del('198.51.0.0/16');
    expect(t.lookup('198.51.100.1')).toBe(0xffffffff);
    t.add('0.0.0.0/0', 5);
    expect(t.lookup('198.51.100.1')).toBe(5);
    const u = Lpm6Table.create(t.fp);
    u.add('::/0', 0xfffffffe);
    u.add('2001:db8::/32', 0x90000000);
    expect([u.lookup('2001:db9::1'), u.lookup('2001:db8::1')]).toEqual([0xfffffffe, 0x90000000]);
    u.flush();
    t.flush();
    expect([t.lookup('198.51.100.1'), u.lookup('2001:db8::1')]).toEqual([0, 0]);
    expect(t.memory.retired).toBe(0);
  });

  it('agrees with a binary trie through random adds, replaces and deletes (3 seeds)', async () => {
    for (const seed of [1, 77, 4242]) {
      const t = Lpm4Table.create(await fastPath());
      const ref = new RefTrie(32);
      const r = rng(seed);
      const hot = Array.from({ length: 6 }, () => r());
      const live = new Map<string, [number, number]>();
      for (let op = 0; op < 2500; op++) {
        if (live.size > 0 && r() % 3 === 0) {
          const keys = [...live.keys()];
          const k = keys[r() % keys.length]!;
          const [a, len] = live.get(k)!;
          t.del(a, len);
          ref.delete(bits4(a), len);
          live.delete(k);
        } else {
          const [a, len] = randomPrefix4(r, hot);
          const v = r() % 4 === 0 ? (r() | 0x80000000) >>> 0 : 1 + (r() % 1000);
          t.add(a, len, v);
          ref.set(bits4(a), len, v);
          live.set(`${a}/${len}`, [a, len]);
        }
        if (op % 250 === 249) {
          const probes = probes4(live.values(), r, 500);
          expectSame4(t, ref, probes);
          // the single lookup (lpm4Lookup, fib.ts's) answers as the bulk one
          for (const a of probes.subarray(0, 200)) expect(t.lookup(a)).toBe(ref.lookup(bits4(a)));
          expect(misplaced(reachableBlocks(t.fp, t.address))).toEqual([]);
        }
      }
      // Everything deleted: the structure is back to its empty size and no rule is left.
      const empty = Lpm4Table.create(t.fp).memory.structure;
      for (const [a, len] of live.values()) t.del(a, len);
      expect(t.count).toBe(0);
      expect(t.memory).toMatchObject({ structure: empty, rules: 0, retired: 0 });
      expect(t.lookup(hot[0]!)).toBe(0);
    }
  });

  it('bulk lookups of any count, into separate, the same or overlapping buffers, answer as the trie does', async () => {
    const fp = await fastPath();
    const x = fp.exports as unknown as Record<string, (...a: number[]) => number>;
    const t = Lpm4Table.create(fp);
    const ref = new RefTrie(32);
    const r = rng(606);
    const hot = Array.from({ length: 8 }, () => r());
    const live = new Map<string, [number, number]>();
    for (let i = 0; i < 3000; i++) {
      const [a, len] = randomPrefix4(r, hot);
      const v = 1 + (r() % 100000);
      t.add(a, len, v);
      ref.set(bits4(a), len, v);
      live.set(`${a}/${len}`, [a, len]);
    }
    const all = probes4(live.values(), r, 700);
    const want = Array.from(all, (a) => ref.lookup(bits4(a)));
    const buf = x.arena_alloc!(all.length * 12 + 64, 64)! >>> 0;
    const words = (): Uint32Array => new Uint32Array(fp.memory.memory.buffer);
    // counts around lpm4_lookup_bulk's group of 128 (a partial group, none, several)
    for (const n of [0, 1, 127, 128, 129, 1000, all.length]) {
      const check = (src: number, dst: number): void => {
        words().set(all.subarray(0, n), src >>> 2);
        x.lpm4_lookup_bulk!(t.address, src, dst, n);
        expect([...words().subarray(dst >>> 2, (dst >>> 2) + n)]).toEqual(want.slice(0, n));
      };
      check(buf, buf + all.length * 4); // separate
      check(buf, buf); // in place
      check(buf + 8, buf); // answers written two words ahead of the addresses still to read
    }
    expect(t.lookupBulk(new Uint32Array(0))).toEqual(new Uint32Array(0));
  });

  it('a batch load equals one-by-one adds, reports progress, and later updates apply on top', async () => {
    const fp = await fastPath();
    const r = rng(9);
    const hot = Array.from({ length: 16 }, () => r());
    const routes: Array<[number, number, number]> = [];
    const ref = new RefTrie(32);
    for (let i = 0; i < 20000; i++) {
      const [a, len] = randomPrefix4(r, hot);
      const v = 1 + (r() % 5000);
      routes.push([a, len, v]);
      ref.set(bits4(a), len, v);
    }
    const t = Lpm4Table.create(fp);
    const seen: string[] = [];
    const res = t.load(routes, { onProgress: (done, total, phase) => seen.push(`${phase}:${done}/${total}`) });
    expect(res).toMatchObject({ routes: 20000, count: ref.size });
    expect(seen.some((s) => s.startsWith('rules:'))).toBe(true);
    expect(seen.at(-1)).toMatch(/^build:(\d+)\/\1$/);
    const keys = routes.map(([a, len]) => [a, len] as [number, number]);
    expectSame4(t, ref, probes4(keys, r, 5000));
    const one = Lpm4Table.create(fp);
    for (const [a, len, v] of routes) one.add(a, len, v);
    const probe = probes4(keys.slice(0, 3000), r, 3000);
    expect([...one.lookupBulk(probe)]).toEqual([...t.lookupBulk(probe)]);
    for (const [a, len] of keys.slice(0, 5000)) {
      if (t.get(a, len) !== undefined) {
        t.del(a, len);
        ref.delete(bits4(a), len);
      }
    }
    expectSame4(t, ref, probe);
    t.flush();
    expect(t.count).toBe(0);
    expect(t.lookup(hot[1]!)).toBe(0);
    t.add('0.0.0.0/0', 3);
    expect(t.lookup(hot[1]!)).toBe(3);
  });

  it('a load with a bad route withdraws what it added and names the route', async () => {
    const t = Lpm4Table.create(await fastPath());
    t.add('192.0.2.0/24', 1);
    expect(() => t.load([['198.51.100.0', 24, 2], ['192.0.2.0', 24, 9], ['203.0.113.1', 24, 3]]))
      .toThrow(expect.objectContaining({ errno: 'EINVAL', message: expect.stringContaining('route 2 (203.0.113.1/24 → 3)') }));
    expect(t.count).toBe(1);
    expect(t.lookup('192.0.2.1')).toBe(1);
    expect(t.lookup('198.51.100.1')).toBe(0);
  });

  it('matches the trie as a property (fast-check: any op sequence over a small address space)', async () => {
    const fp = await fastPath();
    const op = fc.record({ del: fc.boolean(), a: fc.integer({ min: 0, max: 0xffffffff }), len: fc.integer({ min: 0, max: 32 }), v: fc.oneof(fc.integer({ min: 1, max: 99 }), fc.integer({ min: 0x7ffffff0, max: 0xffffffff })) });
    await fc.assert(fc.asyncProperty(fc.array(op, { maxLength: 40 }), fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 20 }), async (ops, extra) => {
      const t = Lpm4Table.create(fp);
      const ref = new RefTrie(32);
      const seen: Array<[number, number]> = [];
      for (const o of ops) {
        // Fold addresses onto 3 bits of spread so prefixes overlap.
        const a = mask4((o.a & 0xe0000007) | 0x0a000000, o.len);
        seen.push([a, o.len]);
        if (o.del) {
          if (ref.get(bits4(a), o.len) !== 0) {
            t.del(a, o.len);
            ref.delete(bits4(a), o.len);
          } else {
            expect(() => t.del(a, o.len)).toThrow(expect.objectContaining({ errno: 'ENOENT' }));
          }
        } else {
          t.add(a, o.len, o.v);
          ref.set(bits4(a), o.len, o.v);
        }
      }
      const probes = probes4(seen, rng(seen.length + 1), 0);
      const all = Uint32Array.from([...probes, ...extra.map((x) => x >>> 0)]);
      const got = t.lookupBulk(all);
      for (let i = 0; i < all.length; i++) expect(got[i]).toBe(ref.lookup(bits4(all[i]!)));
      t.flush();
    }), { numRuns: 150, seed: 20251202 });
  });

  it('an update never writes what a published version reaches: an old root still answers as before until reclaim', async () => {
    const fp = await fastPath();
    const t = Lpm4Table.create(fp, { reclaim: 'manual' });
    const x = fp.exports as unknown as Record<string, (...a: number[]) => number>;
    for (let i = 0; i < 64; i++) t.add((0xc6336400 + (i << 2)) >>> 0, 30, 100 + i);
    t.add('198.51.100.0/24', 7);
    t.add('198.51.96.0/20', 8);
    t.reclaim();
    // The direct entry of 198.51.100.0/18's slot, as a reader loaded it before the updates below.
    const dv = (): DataView => fp.memory.view();
    const word = dv().getUint32(t.address + 12, true);
    expect(word & 63).toBe(18); // poptrie.ts: the direct table's address | S
    const slot = (word & ~63) + ((0xc6336400 >>> 14) << 2);
    const oldEntry = dv().getUint32(slot, true);
    const addrs = Uint32Array.from({ length: 4096 }, (_, i) => (0xc6334000 + i * 4 + (i & 3)) >>> 0); // the slot's /18
    const before = [...t.lookupBulk(addrs)];
    // Changes in that slot: a longer prefix, a replace, a delete that re-exposes, a shorter prefix.
    t.add('198.51.100.64/26', 9);
    t.add('198.51.100.0/24', 10);
    t.del('198.51.96.0/20');
    t.add('198.48.0.0/14', 11);
    for (let i = 0; i < 32; i++) t.del((0xc6336400 + (i << 2)) >>> 0, 30);
    expect(dv().getUint32(slot, true)).not.toBe(oldEntry);
    expect(t.memory.retired).toBeGreaterThan(0);
    // Walk the old version by hand, as a reader that loaded oldEntry would.
    const walk = (entry: number, a: number): number => walkEntry(dv(), entry, a, 18);
    expect(addrs.reduce((bad, a, i) => bad + (walk(oldEntry, a) === before[i] ? 0 : 1), 0)).toBe(0);
    // The new version answers the new table; after reclaim the retired memory is free again.
    expect(t.lookup('198.51.100.70')).toBe(9);
    expect(t.lookup('198.51.100.5')).toBe(10);
    expect(t.lookup('198.51.100.200')).toBe(150);
    expect(t.lookup('198.51.97.1')).toBe(11);
    expect(x.lpm_gen!(t.address)).toBeGreaterThan(0);
    expect(t.reclaim()).toBe(0);
    expect(t.memory.retired).toBe(0);
  });

  it('a batch that leaves 2^18 prefixes or more publishes a 24-bit direct table: same answers, updates on top, the old version intact until reclaim', async () => {
    const fp = await fastPath();
    const t = Lpm4Table.create(fp, { reclaim: 'manual' });
    const dv = (): DataView => fp.memory.view();
    const word = (): number => dv().getUint32(t.address + 12, true);
    const ref = new RefTrie(32);
    const routes = manyRoutes4(1 << 18, 31);
    for (const [a, len, v] of routes) ref.set(bits4(a), len, v);
    // One short of the threshold: S stays 18.
    t.load(routes.slice(0, (1 << 18) - 1));
    expect(t.count).toBe((1 << 18) - 1);
    expect(word() & 63).toBe(18);
    const probes = probes4(routes.filter((_, i) => i % 16 === 0).map(([a, len]) => [a, len] as [number, number]), rng(32), 20000);
    const old = word();
    const oldAnswers = t.lookupBulk(probes);
    // The batch that reaches it: the whole structure rebuilt at S = 24, one store publishes it.
    const gen = t.generation;
    t.load(routes.slice((1 << 18) - 1));
    expect(t.count).toBe(1 << 18);
    expect(word() & 63).toBe(24);
    expect(dv().getUint32(t.address + 8, true)).toBe(24);
    expect(t.generation).toBeGreaterThan(gen);
    expectSame4(t, ref, probes);
    // A reader still on the old version: nothing it reaches was written (the last route is one it lacks).
    const last = routes[(1 << 18) - 1]!;
    let bad = 0;
    for (let i = 0; i < probes.length; i++) if (walkVersion(dv(), old, probes[i]!) !== oldAnswers[i]) bad++;
    expect(bad).toBe(0);
    expect(t.memory.retired).toBeGreaterThan(1 << 20); // the old 1 MiB direct table and its blocks
    // Updates at S = 24: longer, shorter (many direct entries) and deletes that re-expose.
    const more: Array<[string, number]> = [['10.0.0.0/9', 7], ['198.51.100.0/24', 8], ['198.51.100.128/25', 9], ['198.51.100.7/32', 10], ['203.0.113.0/30', 11]];
    for (const [p, v] of more) {
      t.add(p, v);
      const [a, len] = p.split('/');
      ref.set(bits4(parseIpv4(a!)), Number(len), v);
    }
    // lpm4_lookup_bulk at S = 24 takes eight a step and walks only when one of the eight entries is not
    // a leaf: counts off the step, and a value too large for a leaf entry (a one-run node) among leaves
    t.add('192.0.2.0/24', 0x80000001);
    ref.set(bits4(parseIpv4('192.0.2.0')), 24, 0x80000001);
    const mixed = Uint32Array.from([...probes.subarray(0, 60)].flatMap((a, i) => (i % 7 === 3 ? [a, 0xc0000205] : [a])));
    for (const n of [1, 7, 8, 9, 17, mixed.length]) expectSame4(t, ref, mixed.subarray(0, n));
    // in place, answers written two words behind the addresses still to read, and two words ahead of them
    // (one at a time, from the end: a forward run would read its own answers back as addresses)
    const x = fp.exports as unknown as Record<string, (...a: number[]) => number>;
    const want = Array.from(mixed, (a) => ref.lookup(bits4(a)));
    const buf = x.arena_alloc!(mixed.length * 4 + 64, 64)! >>> 0;
    for (const [src, dst] of [[buf, buf], [buf + 8, buf], [buf, buf + 8]] as const) {
      new Uint32Array(fp.memory.memory.buffer).set(mixed, src >>> 2);
      x.lpm4_lookup_bulk!(t.address, src, dst, mixed.length);
      expect([...new Uint32Array(fp.memory.memory.buffer, dst, mixed.length)]).toEqual(want);
    }
    for (const [a, len] of [last, ...routes.slice(0, 3000)]) {
      t.del(a, len);
      ref.delete(bits4(a), len);
    }
    expectSame4(t, ref, probes);
    expectSame4(t, ref, probes4([[0x0a000000, 9], [0xc6336400, 24], [0xcb007100, 30]], rng(33), 0));
    expect(word() & 63).toBe(24);
    t.reclaim();
    expect(t.memory.retired).toBe(0);
    expectSame4(t, ref, probes);
  }, 120_000);

  it('a table that cannot grow its direct table (ENOMEM) stays at 18 bits and answers all the same', async () => {
    const routes = manyRoutes4(1 << 18, 41);
    const fp = await fastPath(56 << 20); // the S = 18 table fits, 64 MiB more does not
    const t = Lpm4Table.create(fp);
    t.load(routes);
    expect(t.count).toBe(1 << 18);
    expect(fp.memory.view().getUint32(t.address + 12, true) & 63).toBe(18);
    const ref = new RefTrie(32);
    for (const [a, len, v] of routes) ref.set(bits4(a), len, v);
    expectSame4(t, ref, probes4(routes.filter((_, i) => i % 16 === 0).map(([a, len]) => [a, len] as [number, number]), rng(42), 20000));
  }, 120_000);

  it('reclaim frees only what every online worker has passed a quiescent point since (reclaim.ts grace periods)', async () => {
    const fp = await fastPath();
    const x = fp.exports as unknown as Record<string, (...a: number[]) => number>;
    expect(x.net_init!()).toBe(0);
    const t = Lpm4Table.create(fp, { reclaim: 'manual' });
    x.net_worker_online!(5);
    try {
      t.add('192.0.2.0/25', 1);
      t.add('192.0.2.0/26', 2);
      const r1 = t.memory.retired;
      expect(r1).toBeGreaterThan(0);
      // the grace period closes with worker 5 inside a burst: nothing comes back
      expect(t.reclaim()).toBe(r1);
      t.add('192.0.2.0/27', 3);
      const r2 = t.memory.retired;
      expect(r2).toBeGreaterThan(r1);
      expect(t.reclaim()).toBe(r2);
      // worker 5 passes a quiescent point: what was retired before the first grace period closed comes back
      x.net_quiescent!(5);
      expect(t.reclaim()).toBe(r2 - r1);
      x.net_quiescent!(5);
      expect(t.reclaim()).toBe(0);
      expect(t.lookup('192.0.2.1')).toBe(3);
    } finally {
      x.net_worker_offline!(5);
    }
  });

  it('fails with ENOMEM naming the memory limit, and the table stays as it was', async () => {
    const fp = await fastPath(8 << 20);
    const t = Lpm4Table.create(fp);
    const ref = new RefTrie(32);
    const r = rng(5);
    const added: Array<[number, number]> = [];
    let error: unknown;
    try {
      for (let i = 0; i < 1_000_000; i++) {
        const a = mask4(r(), 28);
        t.add(a, 28, 1 + (i % 1000));
        ref.set(bits4(a), 28, 1 + (i % 1000));
        added.push([a, 28]);
      }
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ errno: 'ENOMEM', message: expect.stringMatching(/^lpm4 add \S+\/28: the memory limit of 8 MiB is reached \(memoryLimit\)$/) });
    expect(added.length).toBeGreaterThan(1000);
    expectSame4(t, ref, probes4(added.slice(-2000), r, 2000));
    // Deleting frees room: adds work again.
    for (const [a, len] of added.slice(0, 500)) {
      t.del(a, len);
      ref.delete(bits4(a), len);
    }
    t.add('192.0.2.0/24', 5);
    ref.set(bits4(parseIpv4('192.0.2.0')), 24, 5);
    expectSame4(t, ref, probes4(added.slice(0, 1000), r, 1000));
  });

  it('a load that runs out of memory withdraws its routes and says so', async () => {
    const fp = await fastPath(6 << 20);
    const t = Lpm4Table.create(fp);
    t.add('192.0.2.0/24', 1);
    const r = rng(11);
    const routes = Array.from({ length: 300000 }, (_, i) => [mask4(r(), 27), 27, 1 + (i % 100)] as const);
    expect(() => t.load(routes)).toThrow(expect.objectContaining({ errno: 'ENOMEM', message: expect.stringContaining('the memory limit of 6 MiB is reached (memoryLimit)') }));
    expect(t.count).toBe(1);
    expect(t.lookup('192.0.2.9')).toBe(1);
    expect(t.lookupBulk(Uint32Array.from(routes.slice(0, 2000).map(([a]) => a)))).toEqual(new Uint32Array(2000));
  });
});

// ---- IPv6 ----

function randomPrefix6(r: () => number, hot: Uint8Array[]): [Uint8Array, number] {
  const lens = [0, 3, 16, 19, 20, 24, 28, 29, 32, 32, 36, 40, 44, 47, 48, 48, 48, 52, 56, 60, 63, 64, 64, 65, 96, 112, 120, 126, 127, 128];
  const len = lens[r() % lens.length]!;
  const b = r() % 5 === 0 ? Uint8Array.from({ length: 16 }, () => r() & 0xff) : Uint8Array.from(hot[r() % hot.length]!);
  // Perturb a few bits around the prefix's end so siblings and nested prefixes appear.
  for (let k = 0; k < 2; k++) {
    const bit = Math.max(0, len - 1 - (r() % 9));
    b[bit >> 3]! ^= 0x80 >> (bit & 7);
  }
  return [mask6(b, len), len];
}

function probes6(prefixes: Iterable<[Uint8Array, number]>, r: () => number, random: number): Uint8Array {
  const out: Uint8Array[] = [];
  for (const [a, len] of prefixes) {
    const last = Uint8Array.from(a);
    for (let i = len; i < 128; i++) last[i >> 3]! |= 0x80 >> (i & 7);
    const mid = Uint8Array.from(a);
    for (let i = len; i < 128; i++) if (r() & 1) mid[i >> 3]! |= 0x80 >> (i & 7);
    out.push(a, last, mid);
  }
  for (let i = 0; i < random; i++) out.push(Uint8Array.from({ length: 16 }, () => r() & 0xff));
  const all = new Uint8Array(out.length * 16);
  out.forEach((a, i) => all.set(a, i * 16));
  return all;
}

function expectSame6(t: Lpm6Table, ref: RefTrie, addrs: Uint8Array): void {
  const got = t.lookupBulk(addrs);
  for (let i = 0; i < got.length; i++) {
    const a = addrs.subarray(i * 16, i * 16 + 16);
    const want = ref.lookup(bits6(a));
    if (got[i] !== want) expect(`${formatIpv6(a)} → ${got[i]}`).toBe(`${formatIpv6(a)} → ${want}`);
  }
  expect(t.count).toBe(ref.size);
}

describe.skipIf(!haveWasm)('lpm6', () => {
  it('answers with the longest prefix, ::/0 to /128, and a delete brings the covering prefix back', async () => {
    const t = Lpm6Table.create(await fastPath());
    t.add('::/0', 1);
    t.add('2001:db8::/32', 2);
    t.add('2001:db8:1::/48', 3);
    t.add('2001:db8:1:2::/64', 4);
    t.add('2001:db8:1:2::1/128', 5);
    t.add('2001:db8:1:2::/127', 6);
    const at = (a: string): number => t.lookup(a);
    expect([at('2001:db9::'), at('2001:db8:ffff::1'), at('2001:db8:1:3::'), at('2001:db8:1:2::9'), at('2001:db8:1:2::1'), at('2001:db8:1:2::')])
      .toEqual([1, 2, 3, 4, 5, 6]);
    t.del('2001:db8:1::/48');
    expect([at('2001:db8:1:3::'), at('2001:db8:1:2::9'), at('2001:db8:1:2::1')]).toEqual([2, 4, 5]);
    t.del('::/0');
    expect(at('2001:db9::')).toBe(0);
    expect(at('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toBe(0);
    t.add('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128', 9);
    expect(at('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toBe(9);
    expect(at('ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe')).toBe(0);
    expect(t.get('2001:db8:1:2::/64')).toBe(4);
    expect(t.get(parseIpv6('2001:db8::'), 32)).toBe(2);
  });

  it('refuses bad prefixes with EINVAL and a missing one with ENOENT; parses and prints addresses as RFC 4291/5952', async () => {
    const t = Lpm6Table.create(await fastPath());
    expect(() => t.add('2001:db8::1/64', 1)).toThrow(expect.objectContaining({ errno: 'EINVAL', message: expect.stringContaining('lpm6 add 2001:db8::1/64') }));
    expect(() => t.add('2001:db8::/129', 1)).toThrow(expect.objectContaining({ errno: 'EINVAL' }));
    expect(() => t.add('2001:db8::/32', 0)).toThrow(expect.objectContaining({ errno: 'EINVAL' }));
    expect(() => t.add(new Uint8Array(4), 0, 1)).toThrow(expect.objectContaining({ errno: 'EINVAL', message: 'lpm6: an address is 16 bytes, not 4' }));
    expect(() => t.del('2001:db8::/32')).toThrow(expect.objectContaining({ errno: 'ENOENT' }));
    expect(() => parseIpv6('2001:db8:::1')).toThrow(/not an IPv6 address/);
    expect(() => parseIpv6('1:2:3:4:5:6:7:8:9')).toThrow(/not an IPv6 address/);
    expect(formatIpv6(parseIpv6('2001:0db8:0:0:1:0:0:1'))).toBe('2001:db8::1:0:0:1');
    expect(formatIpv6(parseIpv6('::ffff:192.0.2.1'))).toBe('::ffff:192.0.2.1'); // RFC 5952 §5, as glibc's inet_ntop
    expect(formatIpv6(parseIpv6('::'))).toBe('::');
    expect(formatIpv6(parseIpv6('1::'))).toBe('1::');
  });

  // lpm6LookupDepth (the lean IPv6 forward's route memo, fwd6_lean.ts): every address that shares the
  // first lpm6Depth bits with the key has the key's answer — the reference trie's, asked of addresses
  // with those bits kept and the rest drawn at random — and the depth is the direct table's 16 bits at
  // least, 128 at most.
  it('says how many leading bits decided a lookup: every address sharing them has the same longest prefix', async () => {
    for (const seed of [5, 77]) {
      const t = Lpm6Table.create(await fastPath());
      const ref = new RefTrie(128);
      const r = rng(seed);
      const hot = Array.from({ length: 5 }, () => Uint8Array.from({ length: 16 }, () => r() & 0xff));
      const live = new Map<string, [Uint8Array, number]>();
      for (let i = 0; i < 600; i++) {
        const [a, len] = randomPrefix6(r, hot);
        const v = 1 + (r() % 1000);
        t.add(a, len, v);
        ref.set(bits6(a), len, v);
        live.set(`${formatIpv6(a)}/${len}`, [a, len]);
      }
      const x = t.fp.exports as unknown as { lpm6LookupDepth(t: number, a: number): number; lpm6Depth: { value: number }; scratch_base(): number };
      const buf = x.scratch_base() >>> 0;
      const mem = () => new Uint8Array(t.fp.memory.memory.buffer);
      const probes = probes6(live.values(), r, 300);
      const depths = new Set<number>();
      for (let i = 0; i < probes.length >> 4; i++) {
        const a = probes.subarray(i * 16, i * 16 + 16);
        mem().set(a, buf);
        const v = x.lpm6LookupDepth(t.address, buf) >>> 0;
        const d = x.lpm6Depth.value;
        depths.add(d);
        expect(v).toBe(ref.lookup(bits6(a)));
        expect(d >= 16 && d <= 128).toBe(true);
        for (let k = 0; k < 4; k++) {
          const b = Uint8Array.from(a);
          for (let bit = d; bit < 128; bit++) if (r() & 1) b[bit >> 3]! ^= 0x80 >> (bit & 7);
          if (ref.lookup(bits6(b)) !== v) expect(`${formatIpv6(b)} (first ${d} bits of ${formatIpv6(a)}) → ${ref.lookup(bits6(b))}`).toBe(`→ ${v}`);
        }
      }
      // not one depth for all: the walks end at many levels
      expect(depths.size).toBeGreaterThan(3);
    }
  });

  it('agrees with a binary trie through random adds, replaces and deletes (3 seeds)', async () => {
    for (const seed of [3, 99, 31337]) {
      const t = Lpm6Table.create(await fastPath());
      const ref = new RefTrie(128);
      const r = rng(seed);
      const hot = Array.from({ length: 5 }, () => Uint8Array.from({ length: 16 }, () => r() & 0xff));
      const live = new Map<string, [Uint8Array, number]>();
      for (let op = 0; op < 1500; op++) {
        if (live.size > 0 && r() % 3 === 0) {
          const keys = [...live.keys()];
          const k = keys[r() % keys.length]!;
          const [a, len] = live.get(k)!;
          t.del(a, len);
          ref.delete(bits6(a), len);
          live.delete(k);
        } else {
          const [a, len] = randomPrefix6(r, hot);
          const v = r() % 4 === 0 ? (r() | 0x80000000) >>> 0 : 1 + (r() % 1000);
          t.add(a, len, v);
          ref.set(bits6(a), len, v);
          live.set(`${formatIpv6(a)}/${len}`, [a, len]);
        }
        if (op % 250 === 249) {
          const probes = probes6(live.values(), r, 300);
          expectSame6(t, ref, probes);
          for (let i = 0; i < 100; i++) {
            const a = probes.subarray(i * 16, i * 16 + 16);
            expect(t.lookup(a)).toBe(ref.lookup(bits6(a)));
          }
          expect(misplaced(reachableBlocks(t.fp, t.address))).toEqual([]);
        }
      }
      const empty = Lpm6Table.create(t.fp).memory.structure;
      for (const [a, len] of live.values()) t.del(a, len);
      expect(t.memory).toMatchObject({ structure: empty, rules: 0, retired: 0 });
    }
  });

  it('bulk lookups of any count, into separate or overlapping buffers, answer as the trie does', async () => {
    const fp = await fastPath();
    const x = fp.exports as unknown as Record<string, (...a: number[]) => number>;
    const t = Lpm6Table.create(fp);
    const ref = new RefTrie(128);
    const r = rng(707);
    const hot = Array.from({ length: 8 }, () => Uint8Array.from({ length: 16 }, () => r() & 0xff));
    const live = new Map<string, [Uint8Array, number]>();
    for (let i = 0; i < 2000; i++) {
      const [a, len] = randomPrefix6(r, hot);
      const v = 1 + (r() % 100000);
      t.add(a, len, v);
      ref.set(bits6(a), len, v);
      live.set(`${formatIpv6(a)}/${len}`, [a, len]);
    }
    const all = probes6(live.values(), r, 500);
    const count = all.length >> 4;
    const want = Array.from({ length: count }, (_, i) => ref.lookup(bits6(all.subarray(i * 16, i * 16 + 16))));
    const buf = x.arena_alloc!(count * 20 + 64, 64)! >>> 0;
    // counts around lpm6_lookup_bulk's group of 64
    for (const n of [0, 1, 63, 64, 65, 500, count]) {
      const check = (src: number, dst: number): void => {
        new Uint8Array(fp.memory.memory.buffer).set(all.subarray(0, n * 16), src);
        x.lpm6_lookup_bulk!(t.address, src, dst, n);
        expect([...new Uint32Array(fp.memory.memory.buffer, dst, n)]).toEqual(want.slice(0, n));
      };
      check(buf, buf + count * 16); // separate
      check(buf, buf); // the answers over the first addresses
    }
  });

  it('a batch load equals the trie, and deletes after it re-expose covering prefixes', async () => {
    const fp = await fastPath();
    const r = rng(17);
    const hot = Array.from({ length: 12 }, () => Uint8Array.from({ length: 16 }, () => r() & 0xff));
    const ref = new RefTrie(128);
    const routes: Array<[Uint8Array, number, number]> = [];
    for (let i = 0; i < 6000; i++) {
      const [a, len] = randomPrefix6(r, hot);
      const v = 1 + (r() % 5000);
      routes.push([a, len, v]);
      ref.set(bits6(a), len, v);
    }
    const t = Lpm6Table.create(fp);
    expect(t.load(routes).count).toBe(ref.size);
    const keys = routes.map(([a, len]) => [a, len] as [Uint8Array, number]);
    expectSame6(t, ref, probes6(keys, r, 2000));
    for (const [a, len] of keys.slice(0, 2000)) {
      if (t.get(a, len) !== undefined) {
        t.del(a, len);
        ref.delete(bits6(a), len);
      }
    }
    expectSame6(t, ref, probes6(keys, r, 2000));
  });

  it('fails with ENOMEM naming the memory limit, and the table stays as it was', async () => {
    const t = Lpm6Table.create(await fastPath(6 << 20));
    const ref = new RefTrie(128);
    const r = rng(8);
    const added: Array<[Uint8Array, number]> = [];
    let error: unknown;
    try {
      for (let i = 0; i < 1_000_000; i++) {
        const a = mask6(Uint8Array.from({ length: 16 }, () => r() & 0xff), 64);
        t.add(a, 64, 7);
        ref.set(bits6(a), 64, 7);
        added.push([a, 64]);
      }
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ errno: 'ENOMEM', message: expect.stringMatching(/^lpm6 add \S+\/64: the memory limit of 6 MiB is reached \(memoryLimit\)$/) });
    expectSame6(t, ref, probes6(added.slice(-1000), r, 1000));
  });
});
