// kptrs in an inner map's values (programs/xdp_mim_kptr.c), as 6.18.44 takes them: the inner template keeps its
// value's kptr field (bpf_map_meta_alloc copies the btf_record), so bpf_kptr_xchg into a value found through the
// outer map is taken, as is a load of the kptr (wxdp refused both: 'R1 has no valid kptr' at insn 34). Each step
// is one BPF_PROG_TEST_RUN (op 3: the program's own update of inner0[0] with 0xff bytes, through the outer map) or a
// user-space update of inner0[0] (0xff bytes: the kptr is not the caller's, the
// object it held dropped); the expected string is the kernel's for the same steps on one load (maps pinned),
// checked again below when the kernel can be used. wxdp counts its heap's live objects after each step.

import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { objHeapLive } from '../../src/helpers/obj_kfuncs.js';
import { kernelAvailability, loadKernelObject } from '../../src/oracle/kernel.js';
import { runSteps, type Step, type Target } from './kptr_steps.js';

const OBJECT = fileURLToPath(new URL('../../programs/xdp_mim_kptr.o', import.meta.url));

const STEPS: Step<'inner0'>[] = [[0, 5, 0], [2, 0, 0], [0, 6, 0], [1, 0, 0], [1, 0, 0], [2, 0, 0], [0, 7, 0], ['update', 'inner0', 0], [2, 0, 0], [1, 0, 0], [0, 8, 0], [2, 0, 0], [3, 0, 0], [2, 0, 0], [1, 0, 0], [0, 9, 0], [2, 0, 0]];
const EXPECTED = 'dead/0 5/0 5/0 6/0 dead/0 dead/0 dead/0 upd dead/0 dead/0 dead/0 8/0 0/0 dead/0 dead/0 dead/0 9/0';
/** One object while inner0[0] holds one. */
const LIVE = '1 1 1 0 0 0 1 0 0 0 1 1 0 0 0 1 1';

function withLive(t: Target, lives: number[], live: () => number): Target {
  return {
    run: (f) => {
      const r = t.run(f);
      lives.push(live());
      return r;
    },
    update: (m, k, v) => {
      t.update(m, k, v);
      lives.push(live());
    },
    delete: (m, k) => {
      t.delete(m, k);
      lives.push(live());
    },
  };
}

let dp: Datapath | undefined;
afterAll(async () => dp?.close());

describe("kptrs in an inner map's values (xdp_mim_kptr)", () => {
  it.each(['jit', 'interp'] as const)("%s: the kernel's results; the object dropped with its element", async (engine) => {
    dp ??= await Datapath.create({ hugePages: false });
    const o = await dp.loadObject(OBJECT, { engine });
    const p = o.programs.get('xdp_mim_kptr')!;
    const lives: number[] = [];
    const t: Target = { run: (f) => p.testRun({ data: f }), update: (m, k, v) => o.maps.get(m)!.update(k, v), delete: (m, k) => o.maps.get(m)!.delete(k) };
    expect(runSteps(STEPS, withLive(t, lives, () => objHeapLive(dp!.memory)), 16, 3)).toBe(EXPECTED);
    expect(lives.join(' ')).toBe(LIVE);
    dp.unloadObject(o);
    expect(objHeapLive(dp.memory)).toBe(0);
  });
});

const avail = kernelAvailability();
describe.skipIf(!avail.ok)(`the same steps in the kernel${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  it('xdp_mim_kptr: bpftool prog run and a map update give the same results', () => {
    const k = loadKernelObject(OBJECT, { pinMaps: true });
    try {
      const t: Target = { run: (f) => k.program('xdp_mim_kptr').run({ data: f }), update: (m, kk, v) => k.map(m).update(kk, v), delete: (m, kk) => k.map(m).delete(kk) };
      expect(runSteps(STEPS, t, 16, 3)).toBe(EXPECTED);
    } finally {
      k.close();
    }
  });
});
