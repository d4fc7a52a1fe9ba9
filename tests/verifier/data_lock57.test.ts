// A bpf_spin_lock in a custom global data section (programs/xdp_data_lock.c): 6.18.44 finds it among the
// DATASEC's variables (btf_find_datasec_var) and takes bpf_spin_lock on it; wxdp refused it ("map '.data.A'
// has no valid bpf_spin_lock"). Each run adds the frame's u64 0 to the counter under the lock and writes the
// counter at u64 1; the expected values are the kernel's BPF_PROG_TEST_RUN on one load (checked below).

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { kernelAvailability, loadKernelObject } from '../../src/oracle/kernel.js';

const OBJECT = fileURLToPath(new URL('../../programs/xdp_data_lock.o', import.meta.url));
const ADDS = [1, 5, 100, 0x7fffffff];
const EXPECTED = '2 7 6b 8000006a';

function runs(run: (f: Uint8Array) => { retval: number; data: Uint8Array }): string {
  return ADDS.map((a) => {
    const b = new Uint8Array(64);
    new DataView(b.buffer).setBigUint64(0, BigInt(a), true);
    const r = run(b);
    expect(r.retval).toBe(2);
    return new DataView(r.data.buffer, r.data.byteOffset).getBigUint64(8, true).toString(16);
  }).join(' ');
}

describe('a bpf_spin_lock in .data.A (xdp_data_lock)', () => {
  it.each(['jit', 'interp'] as const)("%s: loads and counts as the kernel's runs", async (engine) => {
    const dp = await Datapath.create({ hugePages: false });
    try {
      const o = await dp.loadObject(OBJECT, { engine });
      expect(runs((f) => o.programs.get('xdp_data_lock')!.testRun({ data: f }))).toBe(EXPECTED);
    } finally {
      await dp.close();
    }
  });
});

const avail = kernelAvailability();
describe.skipIf(!avail.ok)(`the same runs in the kernel${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  it('xdp_data_lock: bpftool prog run', () => {
    const k = loadKernelObject(OBJECT);
    try {
      expect(runs((f) => k.program('xdp_data_lock').run({ data: f }))).toBe(EXPECTED);
    } finally {
      k.close();
    }
  });
});
