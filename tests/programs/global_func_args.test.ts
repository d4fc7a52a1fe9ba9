// Global functions taking a dynptr (programs/verifier/accept/global_func_arg_dynptr*.c) run as they
// verify: the function reads the caller's XDP dynptr through the pointer it was given. The verdicts
// are derived by hand from the frames; the kernel (bpftool prog run), when available, gives the same.

import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { Datapath } from '../../src/control/datapath.js';
import { kernelAvailability, loadKernelProgram } from '../../src/oracle/kernel.js';

const XDP_ABORTED = 0;
const XDP_DROP = 1;
const XDP_PASS = 2;

const obj = (name: string): string => fileURLToPath(new URL(`../../programs/verifier/accept/${name}.o`, import.meta.url));
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

/** [frame, ethertype_low's verdict, subprog_dynptr's verdict]. */
const CASES: [string, Uint8Array, number, number][] = [
  // EtherType 0x0800: its low byte is 0, so ethertype_low returns 0
  ['IPv4', hex('ffffffffffff020000000001080045'), XDP_DROP, XDP_ABORTED],
  // EtherType 0x86dd: low byte 0xdd
  ['IPv6', hex('ffffffffffff02000000000186dd60'), XDP_PASS, XDP_ABORTED],
  // 64 bytes of 0x11: low byte 0x11. bpf_dynptr_data of an XDP dynptr is NULL (____bpf_dynptr_data
  // gives no direct pointer into skb / xdp data), so subprog_dynptr returns 0 every time.
  ['0x11 * 64', new Uint8Array(64).fill(0x11), XDP_PASS, XDP_ABORTED],
];

describe('a global function reading its dynptr argument', () => {
  it.each(CASES)('%s: ethertype_low and subprog_dynptr give the derived verdicts', async (_n, frame, low, data) => {
    const dp = await Datapath.create();
    try {
      const a = (await dp.loadObject(obj('global_func_arg_dynptr'))).programs.get('global_func_arg_dynptr')!;
      const b = (await dp.loadObject(obj('global_func_arg_dynptr_data'))).programs.get('global_func_arg_dynptr_data')!;
      expect([a.testRun({ data: frame }).retval, b.testRun({ data: frame }).retval]).toEqual([low, data]);
    } finally {
      await dp.close();
    }
  });
});

const avail = kernelAvailability();
describe.skipIf(!avail.ok)(`the same frames in the kernel${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  it.each(CASES)('%s: bpftool prog run gives the derived verdicts', (_n, frame, low, data) => {
    const got: number[] = [];
    for (const name of ['global_func_arg_dynptr', 'global_func_arg_dynptr_data']) {
      const k = loadKernelProgram(obj(name), { name });
      try {
        got.push(k.run({ data: frame }).retval);
      } finally {
        k.close();
      }
    }
    expect(got).toEqual([low, data]);
  });
});
