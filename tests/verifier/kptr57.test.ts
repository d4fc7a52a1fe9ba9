// What else frees the objects a map element's kptr holds (programs/xdp_kptr_free.c), as 6.18.44 does: an
// LRU hash's eviction (htab_lru_map_delete_node -> check_and_free_fields), a per-CPU array's update
// (array_map_update_elem: bpf_obj_free_fields of the copies written — the program's, the running CPU's;
// user space's, every CPU's), a per-CPU hash's update and delete (its update copies in place and frees the
// written copies' fields: measured, the program's frees its CPU's object and keeps the other's) and the
// map's end (array_map_free / htab_map_free). Each step is one BPF_PROG_TEST_RUN or a user-space map
// operation; the expected string is the kernel's for the same steps on one load (maps pinned), checked
// again below when the kernel can be used. The per-CPU maps are reached on a given CPU
// (bpf_map_lookup_percpu_elem), and the steps where the program's own update frees the running CPU's copy
// hold the same value on both CPUs, so no result depends on the CPU bpftool runs on.
// wxdp counts its heap's live objects: each test ends with as many as the maps still hold, none after
// the object is unloaded (before: 22 of 30 evicted objects leaked, and a user-space update of a per-CPU
// value wrote its bytes over the kptrs, the next load trapping).

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { objHeapLive } from '../../src/helpers/obj_kfuncs.js';
import { kernelAvailability, loadKernelObject } from '../../src/oracle/kernel.js';
import { frame, key, runSteps, type Step, type Target, u64 } from './kptr_steps.js';

const OBJECT = fileURLToPath(new URL('../../programs/xdp_kptr_free.o', import.meta.url));

const CPU1 = 256;
const STEPS: Step<'parr' | 'phash' | 'lru'>[] = [
  // an LRU element's object, read in place
  [0, 1, 10], [6, 1, 0],
  // a per-CPU array's copies: both CPUs' objects, the program's update frees the running CPU's, user space's both
  [1, 1, 20], [1, CPU1 | 1, 20], [6, 1, 0], [2, 1, 0], [6, 1, 0], [1, 3, 5], [1, CPU1 | 3, 6], ['update', 'parr', 3], [6, 3, 0],
  // a per-CPU hash: the program's update (BPF_EXIST) frees the running CPU's, user space's update both
  [3, 2, 30], [3, CPU1 | 2, 30], [6, 2, 0], [4, 2, 0], [6, 2, 0], ['update', 'phash', 2], [6, 2, 0],
  // ... and its deletes, the program's and user space's, every CPU's
  [3, 2, 7], [3, CPU1 | 2, 8], [5, 2, 0], [6, 2, 0], [3, 3, 7], [3, CPU1 | 3, 8], ['delete', 'phash', 3], [6, 3, 0],
  // an LRU element replaced by user space's update, then deleted
  [0, 4, 40], ['update', 'lru', 4], [6, 4, 0], [0, 4, 41], ['delete', 'lru', 4], [6, 4, 0],
];
const EXPECTED =
  'dead/0 a/0 dead/dead dead/dead a/2280000 0/dead a/1140000 dead/dead dead/dead upd dead/0 dead/dead dead/dead dead/23c 0/dead dead/11e upd dead/0 dead/dead dead/dead 0/dead dead/0 dead/dead dead/dead del dead/0 dead/0 upd dead/0 dead/dead del dead/0';
/** Objects the maps hold after STEPS: lru[1], parr[1]'s CPU not updated by the program's update. */
const HELD = 2;

const steps = (t: Target): string => runSteps(STEPS, t, 16, 3);

describe('objects freed with the elements that hold them (xdp_kptr_free)', () => {
  it.each(['jit', 'interp'] as const)("%s: per-CPU updates and deletes give the kernel's results; unloading frees the rest", async (engine) => {
    const dp = await Datapath.create({ hugePages: false, ncpus: 2 });
    try {
      const o = await dp.loadObject(OBJECT, { engine });
      const p = o.programs.get('xdp_kptr_free')!;
      expect(steps({
        run: (f) => p.testRun({ data: f }),
        update: (m, k, v) => o.maps.get(m)!.update(k, v),
        delete: (m, k) => void o.maps.get(m)!.delete(k),
      })).toBe(EXPECTED);
      expect(objHeapLive(dp.memory)).toBe(HELD);
      // user space's lookup reads every CPU's kptr as zero (parr[1] holds an object on one CPU)
      expect(o.maps.get('parr')!.lookupPerCpu(key(1))!.map((v) => Array.from(v))).toEqual([new Array(16).fill(0), new Array(16).fill(0)]);
      // the map's end (array_map_free, htab_map_free): every element's objects
      dp.unloadObject(o);
      expect(objHeapLive(dp.memory)).toBe(0);
    } finally {
      await dp.close();
    }
  });

  it.each(['jit', 'interp'] as const)('%s: an LRU hash evicting elements drops their objects (30 stashed in 8 slots)', async (engine) => {
    const dp = await Datapath.create({ hugePages: false, ncpus: 2 });
    try {
      const o = await dp.loadObject(OBJECT, { engine });
      const p = o.programs.get('xdp_kptr_free')!;
      for (let k = 10; k < 40; k++) {
        const r = p.testRun({ data: frame(0, k, k) }).data;
        // a new element each time: no old object, the update made it
        expect([u64(r, 3), u64(r, 4)]).toEqual([0xdeadn, 0n]);
      }
      let held = 0;
      for (let k = 10; k < 40; k++) {
        const v = u64(p.testRun({ data: frame(6, k, 0) }).data, 3);
        if (v !== 0xdeadn) {
          expect(v).toBe(BigInt(k));
          held++;
        }
      }
      const lru = o.maps.get('lru')!;
      let elements = 0;
      for (let k = lru.nextKey(null); k; k = lru.nextKey(k)) elements++;
      expect(held).toBe(elements);
      expect(held).toBeGreaterThan(0);
      expect(objHeapLive(dp.memory)).toBe(held);
      lru.clear();
      expect(objHeapLive(dp.memory)).toBe(0);
    } finally {
      await dp.close();
    }
  });

  it.each(['jit', 'interp'] as const)('%s checked: a program that only loads a kptr reads the object (the heap is in its regions)', async (engine) => {
    const dp = await Datapath.create({ hugePages: false, ncpus: 2 });
    try {
      const o = await dp.loadObject(OBJECT, { engine, checked: true });
      o.programs.get('xdp_kptr_free')!.testRun({ data: frame(0, 5, 55) });
      const r = o.programs.get('xdp_kptr_peek')!.testRun({ data: frame(0, 5, 0) });
      expect(r.retval).toBe(2);
      expect(u64(r.data, 3)).toBe(55n);
    } finally {
      await dp.close();
    }
  });
});

/**
 * programs/xdp_kptr_nested.c: an allocated object's own kptr (bpf_kptr_xchg into a bpf_obj_new'd struct,
 * accepted by 6.18.44: 131 insns processed), the outer object kept in a map's kptr; dropping the outer object
 * (the program's bpf_obj_drop, or user space's update of the element) drops its inner one
 * (bpf_obj_free_fields). Frame: [0] op, [1] val; result at [2].
 */
const NESTED = fileURLToPath(new URL('../../programs/xdp_kptr_nested.o', import.meta.url));
const NESTED_STEPS: ([number, number] | ['update'])[] = [[0, 5], [0, 6], [2, 0], [2, 0], [0, 7], [1, 0], [1, 0], [0, 8], ['update'], [2, 0], [0, 9], [0, 10], [2, 0], [0, 11]];
const NESTED_EXPECTED = 'dead 5 6 dead dead 1 0 dead upd dead dead 9 a dead';
/** wxdp's live objects after each step: an outer and its inner after a stash, none once the outer is dropped. */
const NESTED_LIVE = '2 2 0 0 2 0 0 2 0 0 2 2 0 2';
function nestedSteps(run: (f: Uint8Array) => { retval: number; data: Uint8Array }, update: (k: Uint8Array, v: Uint8Array) => void, live: () => number): [string, string] {
  const got: string[] = [];
  const lives: number[] = [];
  for (const s of NESTED_STEPS) {
    if (s[0] === 'update') {
      update(key(0), new Uint8Array(8).fill(0xff));
      got.push('upd');
    } else {
      const b = new Uint8Array(64);
      new DataView(b.buffer).setBigUint64(0, BigInt(s[0]), true);
      new DataView(b.buffer).setBigUint64(8, BigInt(s[1]), true);
      const r = run(b);
      expect(r.retval).toBe(2);
      got.push(u64(r.data, 2).toString(16));
    }
    lives.push(live());
  }
  return [got.join(' '), lives.join(' ')];
}

describe('an allocated object holding another in its kptr (xdp_kptr_nested)', () => {
  it.each(['jit', 'interp'] as const)("%s: the kernel's results; dropping the outer object drops the inner", async (engine) => {
    const dp = await Datapath.create({ hugePages: false });
    try {
      const o = await dp.loadObject(NESTED, { engine });
      const p = o.programs.get('xdp_kptr_nested')!;
      expect(nestedSteps((f) => p.testRun({ data: f }), (k, v) => o.maps.get('nslots')!.update(k, v), () => objHeapLive(dp.memory))).toEqual([NESTED_EXPECTED, NESTED_LIVE]);
      dp.unloadObject(o);
      expect(objHeapLive(dp.memory)).toBe(0);
    } finally {
      await dp.close();
    }
  });
});

const avail = kernelAvailability();
describe.skipIf(!avail.ok)(`the same steps in the kernel${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  it('xdp_kptr_free: bpftool prog run and map updates give the same results', () => {
    const k = loadKernelObject(OBJECT, { pinMaps: true });
    try {
      expect(steps({
        run: (f) => k.program('xdp_kptr_free').run({ data: f }),
        update: (m, kk, v) => k.map(m).update(kk, v),
        delete: (m, kk) => k.map(m).delete(kk),
      })).toBe(EXPECTED);
      const r = k.program('xdp_kptr_peek').run({ data: frame(0, 1, 0) });
      expect(u64(r.data, 3)).toBe(0xan);
      // bpftool map dump: parr[1]'s copies, the one holding an object too, read as zeros
      const e = k.map('parr').dump().find((x) => x.key[0] === 1)!;
      expect(e.values!.map((v) => Array.from(v))).toEqual([new Array(16).fill(0), new Array(16).fill(0)]);
    } finally {
      k.close();
    }
  });

  it('xdp_kptr_nested: bpftool prog run and a map update give the same results', () => {
    const k = loadKernelObject(NESTED, { pinMaps: true });
    try {
      expect(nestedSteps((f) => k.program('xdp_kptr_nested').run({ data: f }), (kk, v) => k.map('nslots').update(kk, v), () => 0)[0]).toBe(NESTED_EXPECTED);
    } finally {
      k.close();
    }
  });
});
