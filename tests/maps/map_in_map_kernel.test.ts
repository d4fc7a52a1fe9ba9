// array_of_maps and hash_of_maps against the running kernel through bpftool: the same creations,
// updates and deletes on both sides must give the same errno. Skipped without root, bpftool and bpffs.

import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createMap, MapError, MapType, type BpfMap } from '../../src/maps/index.js';
import { haveKernel, kernelSkipReason } from './bpftool.js';
import { fresh, u32le } from './support.js';

const PIN_DIR = process.env['WXDP_BPFFS'] ?? '/sys/fs/bpf';
const pins: string[] = [];
let serial = 0;
const ERRNO: Record<string, number> = {
  'Invalid argument': 22, 'Argument list too long': 7, 'No such file or directory': 2, 'File exists': 17,
  'Unknown error 524': 524, 'Bad file descriptor': 9,
};

/** bpftool, and the errno its failure names (0: success). */
function tool(args: string[]): number {
  const r = spawnSync('bpftool', args, { encoding: 'utf8' });
  if (r.status === 0) return 0;
  const found = Object.entries(ERRNO).find(([t]) => r.stderr.includes(t));
  if (!found) throw new Error(`bpftool ${args.join(' ')}: ${r.stderr}`);
  return found[1];
}
function kmap(type: string, key: number, value: number, entries: number, inner?: string): string | number {
  const pin = `${PIN_DIR}/wxdp_maps14_${process.pid}_${serial++}`;
  const e = tool(['map', 'create', pin, 'type', type, 'key', String(key), 'value', String(value), 'entries', String(entries), 'name', 'm', ...(inner ? ['inner_map', 'pinned', inner] : [])]);
  if (e) return e;
  pins.push(pin);
  return pin;
}
const hexKey = (k: number) => ['key', ...Array.from(u32le(k), (b) => String(b))];
const kupdate = (outer: string, k: number, inner: string, flag = 'any') => tool(['map', 'update', 'pinned', outer, ...hexKey(k), 'value', 'pinned', inner, flag]);
const kdelete = (outer: string, k: number) => tool(['map', 'delete', 'pinned', outer, ...hexKey(k)]);

const errnoOf = (f: () => unknown): number => {
  try {
    f();
    return 0;
  } catch (e) {
    if (e instanceof MapError) return e.errno;
    throw e;
  }
};
const FLAGS: Record<string, number> = { any: 0, noexist: 1, exist: 2 };

describe.skipIf(!haveKernel)('map-in-map errnos agree with the kernel (bpftool)', () => {
  afterAll(() => pins.forEach((p) => rmSync(p, { force: true })));

  it('array_of_maps: template matching, BPF_ANY only, bounds, delete of an empty slot', async () => {
    const fp = await fresh();
    const w = (name: string, type: number, max: number, v = 8): BpfMap => createMap(fp, { name, type, keySize: 4, valueSize: v, maxEntries: max });
    const [a, b, small, h] = [w('a', MapType.ARRAY, 4), w('b', MapType.ARRAY, 4), w('s', MapType.ARRAY, 2), w('h', MapType.HASH, 4)];
    const outer = createMap(fp, { name: 'o', type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, inner: a });
    const ka = kmap('array', 4, 8, 4) as string;
    const kb = kmap('array', 4, 8, 4) as string;
    const ks = kmap('array', 4, 8, 2) as string;
    const kh = kmap('hash', 4, 8, 4) as string;
    const ko = kmap('array_of_maps', 4, 4, 2, ka) as string;
    const steps: Array<[string, number, number]> = [];
    const step = (what: string, ours: () => unknown, theirs: () => number) => steps.push([what, errnoOf(ours), theirs()]);
    step('b in slot 0', () => outer.setInner(u32le(0), b), () => kupdate(ko, 0, kb));
    step('a smaller array', () => outer.setInner(u32le(1), small), () => kupdate(ko, 1, ks));
    step('a hash', () => outer.setInner(u32le(1), h), () => kupdate(ko, 1, kh));
    step('BPF_NOEXIST', () => outer.setInner(u32le(1), b, FLAGS['noexist']), () => kupdate(ko, 1, kb, 'noexist'));
    step('past the end', () => outer.setInner(u32le(2), b), () => kupdate(ko, 2, kb));
    step('delete an empty slot', () => outer.delete(u32le(1)), () => kdelete(ko, 1));
    step('delete past the end', () => outer.delete(u32le(5)), () => kdelete(ko, 5));
    step('delete slot 0', () => outer.delete(u32le(0)), () => kdelete(ko, 0));
    for (const [what, ours, theirs] of steps) expect([what, ours]).toEqual([what, theirs]);
    // hash_of_maps: htab's flag rules; hash templates compare no max_entries
    const ht = w('ht', MapType.HASH, 8);
    const big = w('big', MapType.HASH, 64);
    const ho = createMap(fp, { name: 'ho', type: MapType.HASH_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 4, inner: ht });
    const kht = kmap('hash', 4, 8, 8) as string;
    const kbig = kmap('hash', 4, 8, 64) as string;
    const kho = kmap('hash_of_maps', 4, 4, 4, kht) as string;
    steps.length = 0;
    step('a larger hash', () => ho.setInner(u32le(17), big), () => kupdate(kho, 17, kbig));
    step('BPF_NOEXIST on a key that is there', () => ho.setInner(u32le(17), ht, FLAGS['noexist']), () => kupdate(kho, 17, kht, 'noexist'));
    step('BPF_EXIST on a missing key', () => ho.setInner(u32le(6), ht, FLAGS['exist']), () => kupdate(kho, 6, kht, 'exist'));
    step('an array', () => ho.setInner(u32le(6), a), () => kupdate(kho, 6, ka));
    step('delete a missing key', () => ho.delete(u32le(6)), () => kdelete(kho, 6));
    for (const [what, ours, theirs] of steps) expect([what, ours]).toEqual([what, theirs]);
  });

  it('creation: nested map-in-map and prog_array templates are refused', async () => {
    const fp = await fresh();
    const a = createMap(fp, { name: 'a', type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    const o = createMap(fp, { name: 'o', type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 1, inner: a });
    const pa = createMap(fp, { name: 'pa', type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    const ka = kmap('array', 4, 4, 1) as string;
    const ko = kmap('array_of_maps', 4, 4, 1, ka) as string;
    const kpa = kmap('prog_array', 4, 4, 1) as string;
    expect(errnoOf(() => createMap(fp, { name: 'oo', type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 1, inner: o }))).toBe(kmap('array_of_maps', 4, 4, 1, ko));
    expect(errnoOf(() => createMap(fp, { name: 'op', type: MapType.HASH_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 1, inner: pa }))).toBe(kmap('hash_of_maps', 4, 4, 1, kpa));
    expect(errnoOf(() => createMap(fp, { name: 'o8', type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 8, maxEntries: 1, inner: a }))).toBe(kmap('array_of_maps', 4, 8, 1, ka));
  });
});

if (!haveKernel) {
  describe('map-in-map errnos agree with the kernel (bpftool)', () => {
    it.skip(`skipped: ${kernelSkipReason}`, () => {});
  });
}
