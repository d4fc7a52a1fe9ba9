// bpf_for_each_map_elem (programs/xdp_for_each.c) in both engines against Linux 6.18.44: each program's
// return value, the keys its callback saw in order (`order`: slot 0 the count) and the map left behind,
// as `bpftool prog run` (repeat 1, 64 zero bytes) and `bpftool map dump` answered on a fresh load
// (CPU 0). The hash maps are BPF_F_ZERO_SEED: their bucket order is the kernel's jhash order.
//   walk_hash    12 keys, a walk deleting the odd values (deletion during the walk), a walk stopping at key 8
//   walk_array   stops at the first value >= args[0] × 3 (0, 4, 20: first, fifth, never)
//   walk_percpu  this CPU's values of a PERCPU_ARRAY and a PERCPU_HASH, each bumped by the callback
//   walk_lru     an LRU_HASH's 6 keys
//   walk_flags   flags from args[1]: 0 walks, 1 is -EINVAL (the XDP return value's u32)
//   walk_purge   the first callback deletes every other key: the walk still visits the element it read
//                before that callback (deleted; its chain link kept), and that is all
// The verifier processes as many instructions as the kernel's for each (443, 158, 131, 235, 62, 435).
// The refused programs (xdp_for_each_<what>.c) end with the kernel's message and errno (bpftool -d prog
// load's line before the summary), checked against the live kernel when it is there.

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { kernelRefusal, processedInsns, wxdpRefusal } from '../support/refusals.js';
import { kernelAvailability, loadKernelObject } from '../../src/oracle/kernel.js';

const obj = (name: string): string => fileURLToPath(new URL(`../../programs/${name}.o`, import.meta.url));
const OBJ = obj('xdp_for_each');
const u32 = (v: number): Uint8Array => Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
const u64 = (v: bigint): Uint8Array => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v);
  return b;
};
const num = (b: Uint8Array): number => Number(Buffer.from(b).readUIntLE(0, Math.min(b.length, 6)));

interface Case {
  prog: string;
  args?: [bigint, bigint];
  retval: number;
  order: number[];
  maps?: Record<string, Array<[number, number]>>;
}

/** Linux 6.18.44-fc-v1252, bpftool prog run + map dump (recorded 2026-12-06). */
const KERNEL: Case[] = [
  {
    prog: 'walk_hash',
    retval: 786436, // (12 << 16) | 4
    order: [10, 4, 5, 7, 2, 1, 8, 12, 11, 9, 6, 3, 10, 4, 2, 8],
    maps: { hash: [[10, 50], [4, 20], [2, 10], [8, 40], [12, 60], [6, 30]] },
  },
  { prog: 'walk_lru', retval: 6021, order: [4, 2, 1, 6, 5, 3], maps: { lru: [[4, 4], [2, 2], [1, 1], [6, 6], [5, 5], [3, 3]] } },
  { prog: 'walk_percpu', retval: 67305512, order: [], maps: { pcpu_hash: [[0, 11], [2, 13], [1, 12]] } },
  { prog: 'walk_array', args: [0n, 0n], retval: 1, order: [0] },
  { prog: 'walk_array', args: [4n, 0n], retval: 5, order: [0, 1, 2, 3, 4] },
  { prog: 'walk_array', args: [20n, 0n], retval: 10, order: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
  { prog: 'walk_flags', args: [0n, 0n], retval: 1, order: [0] },
  { prog: 'walk_flags', args: [0n, 1n], retval: 4294967274, order: [] },
  { prog: 'walk_purge', retval: 2, order: [10, 4], maps: { purge: [[10, 10]] } },
];

/** The refused objects: the kernel's last message and errno. */
const REFUSALS: Array<[string, string, string]> = [
  ['xdp_for_each_ret', 'EINVAL', 'At callback return the register R0 has smin=2 smax=2 should have been in [0, 1]'],
  ['xdp_for_each_key_write', 'EACCES', 'write to change key R2 not allowed'],
  ['xdp_for_each_value_oob', 'EACCES', 'R3 min value is outside of the allowed memory range'],
  ['xdp_for_each_lpm', 'ENOTSUPP', 'callback function not allowed for map'],
  ['xdp_for_each_ringbuf', 'ENOTSUPP', 'callback function not allowed for map'],
];
const label = (c: Case): string => `${c.prog}${c.args ? ` args ${c.args.join(',')}` : ''}`;

describe.each(['jit', 'interp'] as const)('bpf_for_each_map_elem (%s)', (engine) => {
  it.each(KERNEL.map((c) => [label(c), c] as const))('%s: the kernel\'s return value, order and maps', async (_name, c) => {
    const dp = await Datapath.create();
    try {
      const o = await dp.loadObject(OBJ, { engine });
      if (c.args) c.args.forEach((v, k) => o.map('args').update(u32(k), u64(v)));
      const r = o.program(c.prog).testRun({ data: new Uint8Array(64) });
      const order = o.map('order');
      const n = num(order.lookup(u32(0))!);
      const seen = Array.from({ length: n }, (_v, i) => num(order.lookup(u32(i + 1))!));
      expect([r.retval >>> 0, seen]).toEqual([c.retval, c.order]);
      for (const [name, want] of Object.entries(c.maps ?? {})) {
        const got = [...o.map(name).entries()].map(([k, v]) => [num(k), num(v)]);
        expect(got, name).toEqual(want);
      }
    } finally {
      await dp.close();
    }
  });
});

describe('bpf_for_each_map_elem: the verifier', () => {
  it('processes as many instructions as the kernel for each program', async () => {
    const names = ['walk_hash', 'walk_array', 'walk_percpu', 'walk_lru', 'walk_flags', 'walk_purge'];
    expect(await processedInsns(OBJ, names)).toEqual({ walk_hash: 443, walk_array: 158, walk_percpu: 131, walk_lru: 235, walk_flags: 62, walk_purge: 435 });
  });

  it.each(REFUSALS)('%s is refused as the kernel refuses it (%s: %s)', async (name, errno, message) => {
    expect(await wxdpRefusal(obj(name))).toEqual({ errno, message });
  });
});

const avail = kernelAvailability();
describe.skipIf(!avail.ok)(`the kernel on the same programs${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  it.each(KERNEL.map((c) => [label(c), c] as const))('bpftool prog run of %s answers the recording', (_name, c) => {
    const k = loadKernelObject(OBJ, { pinMaps: true });
    try {
      if (c.args) c.args.forEach((v, i) => k.map('args').update(u32(i), u64(v)));
      const r = k.program(c.prog).run({ data: new Uint8Array(64) });
      const order = new Map(k.map('order').dump().map((e) => [num(e.key), num(e.value!)]));
      const seen = Array.from({ length: order.get(0)! }, (_v, i) => order.get(i + 1)!);
      expect([r.retval >>> 0, seen]).toEqual([c.retval, c.order]);
      for (const [name, want] of Object.entries(c.maps ?? {})) {
        // (a percpu value: the CPU the run took, the others 0)
        const got = k.map(name).dump().map((e) => [num(e.key), e.value ? num(e.value) : e.values!.reduce((a, v) => a + num(v), 0)]);
        expect(got, name).toEqual(want);
      }
    } finally {
      k.close();
    }
  });

  it.each(REFUSALS)('bpftool prog load refuses %s (%s: %s)', (name, errno, message) => {
    expect(kernelRefusal(obj(name), `/sys/fs/bpf/wxdp-for-each-${name}-${process.pid}`)).toEqual({ errno, message });
  });
});
