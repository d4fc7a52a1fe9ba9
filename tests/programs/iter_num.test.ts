// The open-coded numeric iterator (bpf_iter_num_new / _next / _destroy, kernel/bpf/bpf_iter.c) runs as
// the kernel runs it, on both engines: programs/verifier/accept/iter_num_*.c. The return values are
// derived by hand from the frames; the kernel (bpftool prog run), when available, gives the same.

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { kernelAvailability, loadKernelProgram } from '../../src/oracle/kernel.js';

const obj = (name: string): string => fileURLToPath(new URL(`../../programs/verifier/accept/${name}.o`, import.meta.url));
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

/** [program, frame, return value]. */
const CASES: [string, Uint8Array, number][] = [
  // the sum of the first 16 bytes (fewer in a shorter frame), & 3
  ['iter_num_packet_sum', hex('03' + '00'.repeat(15) + 'ffff'), 3],
  ['iter_num_packet_sum', hex('0102030405060708090a0b0c0d0e'), 105 & 3],
  ['iter_num_packet_sum', new Uint8Array(64).fill(1), 16 & 3],
  // sum_to(rx_queue_index & 7 = 0) + sum_to(5) = 0 + 10
  ['iter_num_in_subprog', new Uint8Array(64), 10 & 3],
  // the outer loop runs rx_queue_index & 7 = 0 times
  ['iter_num_nested', new Uint8Array(64), 0],
];

describe('open-coded numeric iterators', () => {
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
