// Graph roots inside an allocated object (programs/xdp_obj_box.c), as 6.18.44 runs them: a bpf_obj_new'd
// box holding its own bpf_spin_lock, bpf_list_head and bpf_rb_root, kept in a map's kptr between runs. The
// kernel accepts the program (btf_parse_fields on the local type; the list and rbtree kfuncs on the
// object's roots under the object's lock); wxdp refused it ("bpf_list_head in an allocated object is not
// supported by wxdp"). Each step is one BPF_PROG_TEST_RUN or a user-space update / delete of the slot; the
// expected string is the kernel's for the same steps on one load (maps pinned), checked again below when
// the kernel can be used. Dropping a box — the program's bpf_obj_drop, a user-space update of the
// slot, the object unloaded — drops what its list and tree hold (bpf_obj_free_fields: bpf_list_head_free,
// bpf_rb_root_free): wxdp counts its heap's live objects after each step (a box and its 3 + 3 nodes: 7).

import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { objHeapLive } from '../../src/helpers/obj_kfuncs.js';
import { kernelAvailability, loadKernelObject, loadKernelProgram } from '../../src/oracle/kernel.js';
import { runSteps, type Step } from '../verifier/kptr_steps.js';

const OBJECT = fileURLToPath(new URL('../../programs/xdp_obj_box.o', import.meta.url));
/** programs/xdp_obj_nested_lists.c: a box's list of mids, each holding a list of leaves; 55 insns processed, XDP_PASS (6.18.44). */
const NESTED = fileURLToPath(new URL('../../programs/xdp_obj_nested_lists.o', import.meta.url));

/**
 * programs/xdp_obj_list_rc_free.c: a refcounted object on lists[0]'s list with its second reference in stash[0];
 * a user-space update of lists[0] frees the list, and bpf_list_head_free drops each object as __bpf_obj_drop_impl
 * does — one reference, the object living on in the stash (wxdp freed it outright: the stash's later drop freed it
 * twice). Results at [3], [4] as the kernel's; wxdp's live objects after each step.
 */
const RC_FREE = fileURLToPath(new URL('../../programs/xdp_obj_list_rc_free.o', import.meta.url));
const RC_STEPS: Step<'lists'>[] = [[0, 5, 0], ['update', 'lists', 0], [1, 0, 0], [1, 0, 0], [0, 6, 0], [0, 7, 0], ['update', 'lists', 0], [1, 0, 0], ['update', 'lists', 0], [1, 0, 0]];
const RC_EXPECTED = '0/0 upd 5/0 dead/0 0/0 0/0 upd 7/0 upd dead/0';
const RC_LIVE = '1 1 0 0 1 2 1 0 0 0';

const STEPS: Step<'boxes'>[] = [
  // a box filled with elems 5 6 7 and tnodes 15 17 16; popped front / first twice, then replaced
  [0, 5, 0], [1, 0, 0], [1, 0, 0], [0, 10, 0], [1, 0, 0],
  // peeked and dropped whole; no box left
  [2, 0, 0], [1, 0, 0], [2, 0, 0],
  // a box made and dropped in one run; one stashed, then user-space updates of its slot drop it
  [3, 20, 0], [0, 30, 0], ['update', 'boxes', 0], [1, 0, 0], [0, 40, 0], [1, 0, 0], ['update', 'boxes', 0], [1, 0, 0],
  // popped until empty
  [0, 50, 0], [1, 0, 0], [1, 0, 0], [1, 0, 0], [1, 0, 0], [0, 60, 0],
];
const EXPECTED = '0/dead 5/f 6/10 1/dead a/1e b/c bad/bad bad/bad 16/3c 0/dead upd bad/bad 0/dead 28/78 upd bad/bad 0/dead 32/96 33/97 34/98 dead/dead 1/dead';
/** wxdp's live objects after each step: a stashed box and what it still holds. */
const LIVE = '7 5 3 7 5 0 0 0 0 7 0 0 7 5 0 0 7 5 3 1 1 7';

const target = (run: (f: Uint8Array) => { retval: number; data: Uint8Array }, update: (k: Uint8Array, v: Uint8Array) => void, del: (k: Uint8Array) => void, lives?: number[], live?: () => number) => ({
  run: (f: Uint8Array) => {
    const r = run(f);
    lives?.push(live!());
    return r;
  },
  update: (_m: string, k: Uint8Array, v: Uint8Array) => {
    update(k, v);
    lives?.push(live!());
  },
  delete: (_m: string, k: Uint8Array) => {
    del(k);
    lives?.push(live!());
  },
});

let dp: Datapath | undefined;
afterAll(async () => dp?.close());

describe('lists and trees in an allocated object (xdp_obj_box)', () => {
  it.each(['jit', 'interp'] as const)("%s: the kernel's results; a box dropped drops what it holds", async (engine) => {
    dp ??= await Datapath.create({ hugePages: false });
    const o = await dp.loadObject(OBJECT, { engine });
    const p = o.programs.get('xdp_obj_box')!;
    const m = o.maps.get('boxes')!;
    const lives: number[] = [];
    const got = runSteps(STEPS, target((f) => p.testRun({ data: f }), (k, v) => m.update(k, v), (k) => m.delete(k), lives, () => objHeapLive(dp!.memory)), 8, 3);
    expect(got).toBe(EXPECTED);
    expect(lives.join(' ')).toBe(LIVE);
    dp.unloadObject(o);
    expect(objHeapLive(dp.memory)).toBe(0);
  });
});

describe('lists of objects holding lists (xdp_obj_nested_lists)', () => {
  it.each(['jit', 'interp'] as const)("%s: the kernel's verdict and result; dropping the box drops the mid on its list and the leaf on the mid's", async (engine) => {
    dp ??= await Datapath.create({ hugePages: false });
    const o = await dp.loadObject(NESTED, { engine });
    try {
      const p = o.programs.get('xdp_obj_nested_lists')!;
      expect(p.verifierStats!.insnsProcessed).toBe(55);
      const live = objHeapLive(dp.memory);
      expect(p.testRun({ data: new Uint8Array(64) }).retval).toBe(2);
      expect(objHeapLive(dp.memory)).toBe(live);
    } finally {
      dp.unloadObject(o);
    }
  });
});

describe("a list's refcounted objects freed with it (xdp_obj_list_rc_free)", () => {
  it.each(['jit', 'interp'] as const)("%s: the kernel's results; an update of the list's element takes one reference of each object", async (engine) => {
    dp ??= await Datapath.create({ hugePages: false });
    const o = await dp.loadObject(RC_FREE, { engine });
    const p = o.programs.get('xdp_obj_list_rc_free')!;
    const m = o.maps.get('lists')!;
    const lives: number[] = [];
    const got = runSteps(RC_STEPS, target((f) => p.testRun({ data: f }), (k, v) => m.update(k, v), (k) => m.delete(k), lives, () => objHeapLive(dp!.memory)), 24, 3);
    expect(got).toBe(RC_EXPECTED);
    expect(lives.join(' ')).toBe(RC_LIVE);
    dp.unloadObject(o);
    expect(objHeapLive(dp.memory)).toBe(0);
  });
});

const avail = kernelAvailability();
describe.skipIf(!avail.ok)(`the same steps in the kernel${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  it('xdp_obj_box: bpftool prog run and map updates give the same results', () => {
    const k = loadKernelObject(OBJECT, { pinMaps: true });
    try {
      const m = k.map('boxes');
      expect(runSteps(STEPS, target((f) => k.program('xdp_obj_box').run({ data: f }), (kk, v) => m.update(kk, v), (kk) => m.delete(kk)), 8, 3)).toBe(EXPECTED);
    } finally {
      k.close();
    }
  });

  it('xdp_obj_list_rc_free: bpftool prog run and map updates give the same results', () => {
    const k = loadKernelObject(RC_FREE, { pinMaps: true });
    try {
      const m = k.map('lists');
      expect(runSteps(RC_STEPS, target((f) => k.program('xdp_obj_list_rc_free').run({ data: f }), (kk, v) => m.update(kk, v), (kk) => m.delete(kk)), 24, 3)).toBe(RC_EXPECTED);
    } finally {
      k.close();
    }
  });

  it('xdp_obj_nested_lists: loads (its BTF taken) and passes', () => {
    const k = loadKernelProgram(NESTED, { name: 'xdp_obj_nested_lists' });
    try {
      expect(k.run({ data: new Uint8Array(64) }).retval).toBe(2);
    } finally {
      k.close();
    }
  });
});
