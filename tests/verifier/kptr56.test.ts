// kptrs: allocated objects kept in map values (programs/xdp_kptr_stash.c) on both engines, as the kernel runs
// them. Each step is one BPF_PROG_TEST_RUN of a frame (op, slot, value) or a user-space map operation; a run's
// results are the frame's u64s 3 and 4 (0xdead: NULL). The expected values are 6.18.44-fc-v1300's
// BPF_PROG_TEST_RUN for the same steps on one load of the object (maps pinned), checked again below when the
// kernel can be used: bpf_kptr_xchg hands back what the slot held; a direct load reads and writes the object
// in place; the program's own update, a user-space update and a delete (the program's or user space's) free
// the element's objects (bpf_obj_free_fields: a refcounted one loses a reference, here its last), so the
// slot is empty after and, in wxdp, every object is free again at the end.
// The verifier side (bpf_kptr_xchg's and check_map_kptr_access's refusals) is in the corpus:
// programs/verifier/{accept,reject}/kptr_*.c, tests/verifier/corpus.test.ts.

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { objHeapLive } from '../../src/helpers/obj_kfuncs.js';
import { kernelAvailability, loadKernelObject } from '../../src/oracle/kernel.js';
import { frame, key, runSteps, type Step, type Target, u64 } from './kptr_steps.js';

const OBJECT = fileURLToPath(new URL('../../programs/xdp_kptr_stash.o', import.meta.url));

const STEPS: Step<'slots' | 'hslots'>[] = [
  // the array slot's p: empty, stashed, read in place (seq counts), exchanged, taken out
  [2, 0, 0], [0, 0, 10], [2, 0, 0], [2, 0, 0], [0, 0, 20], [1, 0, 0], [1, 0, 0],
  // the program's own update over slot 1 (its bytes over p: 0x1234) frees p's object and writes no pointer
  [0, 1, 30], [3, 1, 0x1234], [2, 1, 0], [1, 1, 0],
  // a user-space update (0xff bytes) of slot 2 frees it too
  [0, 2, 40], ['update', 'slots', 2], [2, 2, 0], [1, 2, 0],
  // the hash slot: stashed, exchanged, the program's delete frees it, a new element's p is empty
  [4, 0, 50], [4, 0, 60], [5, 0, 0], [4, 0, 70], [5, 0, 0], [5, 0, 0],
  // a refcounted object: the kept reference's write is the stashed object's
  [6, 3, 100], [6, 3, 200], [7, 3, 0], [7, 3, 0],
  // ... and its last reference dropped by the program's update of the element
  [6, 3, 5], [3, 3, 0], [7, 3, 0],
  // a user-space delete of a hash element frees its object
  [4, 1, 80], ['delete', 'hslots', 1], [4, 1, 90], [5, 1, 0],
];
const EXPECTED =
  'dead/dead dead/dead a/1 a/2 a/dead 14/dead dead/dead dead/dead 0/dead dead/dead dead/dead dead/dead upd dead/dead dead/dead dead/dead 32/dead 0/dead dead/dead 0/dead fffffffffffffffe/dead dead/65 65/c9 c9/dead dead/dead dead/6 0/dead dead/dead dead/dead del dead/dead 0/dead';

const steps = (t: Target): string => runSteps(STEPS, t, 24, 3);

describe('allocated objects kept in map values (xdp_kptr_stash)', () => {
  it.each(['jit', 'interp'] as const)("%s: bpf_kptr_xchg, direct loads, updates and deletes give the kernel's results", async (engine) => {
    // a fresh Datapath: its heap's live objects are this program's
    const dp = await Datapath.create({ hugePages: false });
    try {
      const o = await dp.loadObject(OBJECT, { engine });
      const p = o.programs.get('xdp_kptr_stash')!;
      const got = steps({
        run: (f) => p.testRun({ data: f }),
        update: (m, k, v) => o.maps.get(m)!.update(k, v),
        delete: (m, k) => void o.maps.get(m)!.delete(k),
      });
      expect(got).toBe(EXPECTED);
      // every object dropped, taken out or freed with its element
      expect(objHeapLive(dp.memory)).toBe(0);
    } finally {
      await dp.close();
    }
  });

  it("a user-space lookup reads a kptr field as zero (the kernel's copy zeroes special fields)", async () => {
    const dp = await Datapath.create({ hugePages: false });
    try {
      const o = await dp.loadObject(OBJECT, { engine: 'interp' });
      o.programs.get('xdp_kptr_stash')!.testRun({ data: frame(0, 0, 9) });
      const v = o.maps.get('slots')!.lookup(key(0))!;
      expect(Array.from(v as Uint8Array)).toEqual(new Array(24).fill(0));
      o.programs.get('xdp_kptr_stash')!.testRun({ data: frame(1, 0, 0) });
      expect(objHeapLive(dp.memory)).toBe(0);
    } finally {
      await dp.close();
    }
  });
});

/**
 * programs/xdp_kptr_percpu.c: a per-CPU object in a __percpu_kptr (frame u64s: op, value; results at 2 and 3):
 * stashed, its CPU 0 copy written and read back through the stashed pointer and through later loads, taken
 * out, and freed by the program's own update (6.18.44-fc-v1300, checked below).
 */
const PCPU_OBJECT = fileURLToPath(new URL('../../programs/xdp_kptr_percpu.o', import.meta.url));
const PCPU_STEPS: [number, number][] = [[1, 5], [0, 10], [1, 5], [1, 1], [0, 7], [1, 3], [2, 0], [2, 0], [1, 4], [0, 2], [3, 0], [1, 1]];
const PCPU_EXPECTED = 'dead/dead 0/1e f/1e 10/20 1/15 a/14 1/dead 0/dead dead/dead 0/6 0/dead dead/dead';
const pcpuSteps = (run: (f: Uint8Array) => { retval: number; data: Uint8Array }): string =>
  PCPU_STEPS.map(([op, val]) => {
    const b = new Uint8Array(64);
    new DataView(b.buffer).setBigUint64(0, BigInt(op), true);
    new DataView(b.buffer).setBigUint64(8, BigInt(val), true);
    const r = run(b);
    expect(r.retval).toBe(2);
    return `${u64(r.data, 2).toString(16)}/${u64(r.data, 3).toString(16)}`;
  }).join(' ');

describe('a per-CPU object kept in a map value (xdp_kptr_percpu)', () => {
  it.each(['jit', 'interp'] as const)("%s: bpf_percpu_obj_new, bpf_per_cpu_ptr / bpf_this_cpu_ptr give the kernel's results", async (engine) => {
    const dp = await Datapath.create({ hugePages: false });
    try {
      const o = await dp.loadObject(PCPU_OBJECT, { engine });
      expect(pcpuSteps((f) => o.programs.get('xdp_kptr_percpu')!.testRun({ data: f }))).toBe(PCPU_EXPECTED);
      expect(objHeapLive(dp.memory)).toBe(0);
    } finally {
      await dp.close();
    }
  });
});

const avail = kernelAvailability();
describe.skipIf(!avail.ok)(`the same steps in the kernel${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  it('xdp_kptr_stash: bpftool prog run and map updates give the same results', () => {
    const k = loadKernelObject(OBJECT, { pinMaps: true });
    try {
      const got = steps({
        run: (f) => k.program('xdp_kptr_stash').run({ data: f }),
        update: (m, kk, v) => k.map(m).update(kk, v),
        delete: (m, kk) => k.map(m).delete(kk),
      });
      expect(got).toBe(EXPECTED);
    } finally {
      k.close();
    }
  });

  it('xdp_kptr_percpu: bpftool prog run gives the same results', () => {
    const k = loadKernelObject(PCPU_OBJECT);
    try {
      expect(pcpuSteps((f) => k.program('xdp_kptr_percpu').run({ data: f }))).toBe(PCPU_EXPECTED);
    } finally {
      k.close();
    }
  });
});
