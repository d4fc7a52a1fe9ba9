// bpf_wq from XDP (programs/xdp_wq.c, xdp_wq_callback.c), as 6.18.44-fc answers: the kernel refuses
// bpf_wq_set_callback_impl in an XDP program (a wq callback is sleepable, the program is not: EPERM), so from XDP a
// bpf_wq can be initialised (0, then -EBUSY while its element keeps it; a user-space update of the element frees it,
// bpf_obj_free_fields) and started only to fail (-EINVAL: no callback). No callback ever runs, so wxdp need not
// decide where one would. wxdp does not provide the bpf_wq kfuncs: it refuses both programs (for the callback one,
// as the kernel does, though at bpf_wq_init's call, not at the callback's); the kernel's answers are pinned below
// for whoever adds bpf_wq_init / bpf_wq_start (a MapInfo wq offset as the timer's, process_wq_func, the
// user-space view of the 16 bytes as zero and an update freeing them).

import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { kernelAvailability, KernelRejected, loadKernelObject } from '../../src/oracle/kernel.js';

const objectOf = (name: string): string => fileURLToPath(new URL(`../../programs/${name}.o`, import.meta.url));
const EINVAL = BigInt.asUintN(64, -22n);
const EBUSY = BigInt.asUintN(64, -16n);

let dp: Datapath | undefined;
afterAll(async () => dp?.close());

describe('bpf_wq in XDP programs', () => {
  it.each(['xdp_wq', 'xdp_wq_callback'])('%s: wxdp refuses the program (no bpf_wq kfuncs)', async (name) => {
    dp ??= await Datapath.create({ hugePages: false });
    const o = await dp.loadObject(objectOf(name));
    try {
      expect(() => o.program('xdp_wq')).toThrow("kfunc 'bpf_wq_init' is not supported by wxdp");
    } finally {
      dp.unloadObject(o);
    }
  });
});

const avail = kernelAvailability();
describe.skipIf(!avail.ok)(`the kernel's answers${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  it('xdp_wq_callback: refused, the callback sleepable in a program that is not', () => {
    let err: unknown;
    try {
      loadKernelObject(objectOf('xdp_wq_callback')).close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KernelRejected);
    expect((err as KernelRejected).log).toContain('sleepable callback in a program that is not sleepable');
    expect((err as KernelRejected).output).toContain('failed to load: -1');
  });

  it('xdp_wq: init 0 then -EBUSY, start -EINVAL; a user-space update frees the wq', () => {
    const k = loadKernelObject(objectOf('xdp_wq'), { pinMaps: true });
    try {
      const run = (): [bigint, bigint] => {
        const d = k.program('xdp_wq').run({ data: new Uint8Array(64) }).data;
        const v = new DataView(d.buffer, d.byteOffset);
        return [v.getBigUint64(0, true), v.getBigUint64(8, true)];
      };
      expect(run()).toEqual([0n, EINVAL]);
      expect(run()).toEqual([EBUSY, EINVAL]);
      k.map('wqs').update(new Uint8Array(4), new Uint8Array(24).fill(0xff));
      expect(run()).toEqual([0n, EINVAL]);
    } finally {
      k.close();
    }
  });
});
