// bpf_res_spin_lock / _unlock and the _irqsave / _irqrestore pair (kernel/bpf/rqspinlock.c) run as the kernel runs them, on both engines:
// programs/verifier/accept/res_lock_*.c. A free lock is taken (0), a lock the run already holds is the
// kernel's AA deadlock (-EDEADLK, res_lock_same_map_twice returns XDP_TX for it); every path releases what it
// took, so a second run finds the locks free again. The kernel (bpftool prog run), when available, agrees.

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { kernelAvailability, loadKernelProgram } from '../../src/oracle/kernel.js';

const obj = (name: string): string => fileURLToPath(new URL(`../../programs/verifier/accept/${name}.o`, import.meta.url));

/** [program, return value of the first run, of the second]: the counters start at 0. */
const CASES: [string, number, number][] = [
  ['res_lock_checked', 2 /* PASS: cnt 1 */, 3 /* TX: cnt 2 */],
  ['res_lock_nested', 2, 3],
  ['res_lock_irqsave', 2, 3],
  ['res_lock_same_map_twice', 3 /* TX: -EDEADLK */, 3],
];
const frame = new Uint8Array(64);

describe('bpf_res_spin_lock', () => {
  for (const engine of ['jit', 'interp'] as const) {
    it.each(CASES)(`${engine}: %s returns the derived values`, async (name, first, second) => {
      const dp = await Datapath.create();
      try {
        const p = (await dp.loadObject(obj(name), { engine })).programs.get(name)!;
        expect(p.testRun({ data: frame }).retval >>> 0).toBe(first);
        expect(p.testRun({ data: frame }).retval >>> 0).toBe(second);
      } finally {
        await dp.close();
      }
    });
  }
});

const avail = kernelAvailability();
describe.skipIf(!avail.ok)(`the same runs in the kernel${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  it.each(CASES)('%s: bpftool prog run gives the derived values', (name, first, second) => {
    const k = loadKernelProgram(obj(name), { name });
    try {
      expect(k.run({ data: frame }).retval >>> 0).toBe(first);
      expect(k.run({ data: frame }).retval >>> 0).toBe(second);
    } finally {
      k.close();
    }
  });
});

/**
 * A bpf_res_spin_lock in an inner map's value (programs/xdp_res_lock_inner.c): taken through the outer map's lookup, the
 * count goes 1, 2 (XDP_PASS, XDP_TX); a store to the lock is refused (xdp_res_lock_inner_direct.c). rv55: wxdp refused the
 * first object at load (map 'outer': update: EINVAL, the inner template knew no res lock) and had no check for the second.
 */
const top = (name: string): string => fileURLToPath(new URL(`../../programs/${name}.o`, import.meta.url));
const DIRECT = /bpf_res_spin_lock cannot be accessed directly by load\/store/;

describe("a bpf_res_spin_lock in an inner map's value", () => {
  it.each(['jit', 'interp'] as const)('%s: locked through the outer map; a direct store refused', async (engine) => {
    const dp = await Datapath.create({ hugePages: false });
    try {
      const p = (await dp.loadObject(top('xdp_res_lock_inner'), { engine })).programs.get('xdp_res_lock_inner')!;
      expect([p.testRun({ data: frame }).retval, p.testRun({ data: frame }).retval]).toEqual([2, 3]);
      await expect(dp.loadObject(top('xdp_res_lock_inner_direct'), { engine })).rejects.toThrow(DIRECT);
    } finally {
      await dp.close();
    }
  });

  it.skipIf(!avail.ok)('the kernel runs the first and refuses the second', () => {
    const k = loadKernelProgram(top('xdp_res_lock_inner'), { name: 'xdp_res_lock_inner' });
    try {
      expect([k.run({ data: frame }).retval, k.run({ data: frame }).retval]).toEqual([2, 3]);
    } finally {
      k.close();
    }
    expect(() => loadKernelProgram(top('xdp_res_lock_inner_direct'), { name: 'xdp_res_lock_inner_direct' }).close()).toThrow(DIRECT);
  });
});
