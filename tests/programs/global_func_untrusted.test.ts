// Global functions reading their arg:untrusted pointer (programs/verifier/accept/
// global_func_arg_untrusted_*.c) run as the kernel runs them: the loads are probe loads, which read
// the bytes where there are bytes and 0 where the kernel's would fault or not try (a user address).
// The return values are derived by hand from the frames; the kernel (bpftool prog run), when
// available, gives the same.

import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { Datapath } from '../../src/control/datapath.js';
import { kernelAvailability, loadKernelProgram } from '../../src/oracle/kernel.js';

const XDP_DROP = 1;

const obj = (name: string): string => fileURLToPath(new URL(`../../programs/verifier/accept/${name}.o`, import.meta.url));
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

/** [program, frame, return value]. */
const CASES: [string, Uint8Array, number][] = [
  // bytes 12..15 of the frame (EtherType 0x0800, then 0x45 0x00) as a little-endian u32
  ['global_func_arg_untrusted_pkt', hex('ffffffffffff02000000000108004500'), 0x00450008],
  ['global_func_arg_untrusted_pkt', hex('ffffffffffff020000000001aabbccdd'), 0xddccbbaa],
  // 0x100010100: above 4 GiB (wxdp has no memory there; for the kernel a user address): the read is
  // 0, so XDP_DROP, though the frame's bytes at its low half 0x10100 are 0x11
  ['global_func_arg_untrusted_scalar', new Uint8Array(64).fill(0x11), XDP_DROP],
];

describe('a global function reading its arg:untrusted pointer', () => {
  for (const engine of ['jit', 'interp'] as const) {
    it.each(CASES)(`${engine}: %s returns the derived value`, async (name, frame, ret) => {
      const dp = await Datapath.create();
      try {
        const p = (await dp.loadObject(obj(name), { engine })).programs.get(name)!;
        expect(p.testRun({ data: frame }).retval >>> 0).toBe(ret);
      } finally {
        await dp.close();
      }
    });
  }
});

const avail = kernelAvailability();
describe.skipIf(!avail.ok)(`the same frames in the kernel${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  it.each(CASES)('%s: bpftool prog run gives the derived value', (name, frame, ret) => {
    const k = loadKernelProgram(obj(name), { name });
    try {
      expect(k.run({ data: frame }).retval >>> 0).toBe(ret);
    } finally {
      k.close();
    }
  });
});
