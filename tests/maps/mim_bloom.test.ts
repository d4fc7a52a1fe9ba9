// A bloom filter as the inner map of an array_of_maps (programs/xdp_mim_bloom.c) against Linux 6.18.44.
// The kernel takes it: bloom_filter_map_ops has map_meta_equal (bpf_map_meta_equal), so
// bpf_map_meta_alloc makes it a template, and the verifier lets bpf_map_peek_elem / push_elem run on
// the filter a lookup in the outer map returns. bpf_map_meta_equal compares type, key and value size,
// map_flags and the btf_record, not max_entries (array_map_meta_equal alone does) nor map_extra: a
// filter of 100 entries and 5 hashes goes into a slot whose template has 16 and 3 (bpftool map update:
// 0); one without BPF_F_ZERO_SEED, or with 8-byte values, is refused (Invalid argument).

import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { createMap, Errno, MapType } from '../../src/maps/index.js';
import { kernelAvailability, loadKernelObject } from '../../src/oracle/kernel.js';

const OBJ = fileURLToPath(new URL('../../programs/xdp_mim_bloom.o', import.meta.url));
const u32 = (v: number): Uint8Array => Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
const PKT = new Uint8Array(64);
new DataView(PKT.buffer).setUint32(32, 0x12345678, true);
/** Linux 6.18.44, bpftool prog run twice: data_out's first 16 bytes (slot filled, peek, push, peek). */
const KERNEL_RUNS = ['01000000feffffff0000000000000000', '01000000000000000000000000000000'];
/** Linux 6.18.44, bpftool map update of slot 1: [max_entries 100 / map_extra 5, flags 0, value 8] → errno. */
const KERNEL_UPDATES = [0, Errno.EINVAL, Errno.EINVAL];
const ZERO_SEED = 0x40;
const CANDIDATES = [
  { name: 'b100', valueSize: 4, maxEntries: 100, flags: ZERO_SEED, mapExtra: 5 },
  { name: 'seeded', valueSize: 4, maxEntries: 16, flags: 0, mapExtra: 3 },
  { name: 'v8', valueSize: 8, maxEntries: 16, flags: ZERO_SEED, mapExtra: 3 },
];

describe.each(['jit', 'interp'] as const)('a bloom filter inside an array_of_maps (%s)', (engine) => {
  it("peeks and pushes through the outer map as the kernel does; a slot takes a filter bpf_map_meta_equal accepts", async () => {
    const dp = await Datapath.create();
    try {
      const o = await dp.loadObject(OBJ, { engine });
      const runs = [0, 1].map(() => Buffer.from(o.program('xdp_mim_bloom').testRun({ data: PKT }).data.subarray(0, 16)).toString('hex'));
      expect(runs).toEqual(KERNEL_RUNS);
      const errnos = CANDIDATES.map((c) => {
        const m = createMap(dp.fastPath, { ...c, type: MapType.BLOOM_FILTER, keySize: 0 });
        try {
          o.map('filters').setInner(u32(1), m);
          return 0;
        } catch (e) {
          return (e as { errno: number }).errno;
        }
      });
      expect(errnos).toEqual(KERNEL_UPDATES);
      expect(o.map('filters').innerMap(u32(1))!.maxEntries).toBe(100);
    } finally {
      await dp.close();
    }
  });
});

const avail = kernelAvailability();
describe.skipIf(!avail.ok)(`the kernel on the same program${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  it('bpftool prog run and map update give the recorded answers', () => {
    const k = loadKernelObject(OBJ, { pinMaps: true });
    const bpftool = (...args: string[]) => spawnSync('bpftool', args, { encoding: 'utf8' });
    const pins: string[] = [];
    try {
      const runs = [0, 1].map(() => Buffer.from(k.program('xdp_mim_bloom').run({ data: PKT }).data.subarray(0, 16)).toString('hex'));
      expect(runs).toEqual(KERNEL_RUNS);
      // bpftool 7.1's map create has no map_extra: its filters have 5 hashes (map_extra 0)
      const errnos = CANDIDATES.map((c) => {
        const pin = `/sys/fs/bpf/wxdp-mim-bloom-${c.name}-${process.pid}`;
        pins.push(pin);
        const made = bpftool('map', 'create', pin, 'type', 'bloom_filter', 'key', '0', 'value', String(c.valueSize), 'entries', String(c.maxEntries), 'name', c.name, 'flags', String(c.flags));
        expect(made.status).toBe(0);
        const r = bpftool('map', 'update', 'pinned', k.map('filters').pinPath, 'key', '1', '0', '0', '0', 'value', 'pinned', pin);
        return r.status === 0 ? 0 : r.stderr.includes('Invalid argument') ? Errno.EINVAL : -1;
      });
      expect(errnos).toEqual(KERNEL_UPDATES);
    } finally {
      for (const p of pins) rmSync(p, { force: true });
      k.close();
    }
  });
});
