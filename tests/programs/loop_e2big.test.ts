// bpf_loop's answer to a count over BPF_MAX_LOOPS (programs/xdp_loop_e2big.c): where the kernel's verifier
// inlines the call (flags a known 0, one callback: optimize_bpf_loop), the inlined code's
// BPF_MOV32_IMM(r0, -E2BIG) leaves r0 = 0xfffffff9, positive as a long; where it does not (flags unknown
// to the verifier), the helper's 64-bit -E2BIG. Both engines must answer as Linux 6.18.44 did under
// `bpftool prog run` (recorded below: retval and the value the program stored), and a count within the
// limit runs the loop.

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';

const OBJ = fileURLToPath(new URL('../../programs/xdp_loop_e2big.o', import.meta.url));
const u32 = (v: number): Uint8Array => Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
const u64 = (v: bigint): Uint8Array => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v);
  return b;
};

/** Linux 6.18.44-fc-v1252, count 1 << 24, flags 0: [retval, the u64 stored at args[2]]. */
const KERNEL: Record<string, [number, bigint]> = {
  inlined: [2, 0xfffffff9n],
  helper: [1, 0xfffffffffffffff9n],
};

describe.each(['jit', 'interp'] as const)('bpf_loop past BPF_MAX_LOOPS (%s)', (engine) => {
  it.each(Object.keys(KERNEL))('%s: the kernel\'s -E2BIG, 32-bit where it inlines the call', async (name) => {
    const dp = await Datapath.create();
    const obj = await dp.loadObject(OBJ, { engine });
    const args = obj.map('args');
    args.update(u32(0), u64(1n << 24n));
    args.update(u32(1), u64(0n));
    const r = obj.program(name).testRun({ data: new Uint8Array(64) });
    const stored = Buffer.from(args.lookup(u32(2))!).readBigUInt64LE();
    expect([r.retval, stored]).toEqual(KERNEL[name]);
    // within the limit: the loop runs, bpf_loop returns the iterations
    args.update(u32(0), u64(1000n));
    expect(obj.program(name).testRun({ data: new Uint8Array(64) }).retval).toBe(2);
    expect(Buffer.from(args.lookup(u32(2))!).readBigUInt64LE()).toBe(1000n);
  });
});
