// The open-coded bit iterator (bpf_iter_bits_new / _next / _destroy, kernel/bpf/helpers.c) runs as the
// kernel runs it, on both engines: programs/verifier/accept/iter_bits_*.c — one word kept in the
// iterator, four words copied (a snapshot the loop does not see change), and the errors of a source the
// kernel cannot read (a small number: -EFAULT for one word, -ERANGE for more), NULL (-EINVAL) and 512
// words (-E2BIG). The values are 6.18.44-fc-v1272's BPF_PROG_TEST_RUN for the same frames (checked
// again below when the kernel can be used). rcu_preempt_sections' and irq_save_nested's kfuncs do nothing
// at run time.

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { kernelAvailability, loadKernelProgram } from '../../src/oracle/kernel.js';

const obj = (name: string): string => fileURLToPath(new URL(`../../programs/verifier/accept/${name}.o`, import.meta.url));
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

/** [program, frame, return value]. */
const CASES: [string, Uint8Array, number][] = [
  // (sum of the set bits' indices) << 8 | their count, of the first 8 bytes as a little-endian u64
  ['iter_bits_packet_word', hex('0100000000000080' + '00'.repeat(8)), 0x3f02],
  ['iter_bits_packet_word', hex('ff'.repeat(8) + '00'.repeat(8)), 0x7e040],
  ['iter_bits_packet_word', hex('00'.repeat(8) + 'aa' + '00'.repeat(8)), 0],
  ['iter_bits_packet_word', hex('5a00ff0010203040' + 'ff'.repeat(20)), 0x1a211],
  // 234 (-22, 0 words) << 24 | bits seen << 16 | word 3's bit 0 after the loop << 15 | the last index
  ['iter_bits_words_snapshot', hex('01' + '00'.repeat(30) + '80'), 0xea0200ff],
  ['iter_bits_words_snapshot', hex('ff'.repeat(32)), 0xea0000ff],
  ['iter_bits_words_snapshot', hex('00'.repeat(32)), 0xea000000],
  ['iter_bits_words_snapshot', hex('00'.repeat(24) + '01' + '00'.repeat(7)), 0xea0100c0],
  ['iter_bits_bad_source', new Uint8Array(64), (14 << 24) | (34 << 16) | (22 << 8) | 7],
  ['rcu_preempt_sections', new Uint8Array(64), 0],
  ['irq_save_nested', new Uint8Array(64), 2],
];

describe('open-coded bit iterators', () => {
  for (const engine of ['jit', 'interp'] as const) {
    it(`${engine}: every program returns the kernel's value for every frame`, async () => {
      // one Datapath, each object loaded once (a Datapath a case made this file 10 s)
      const dp = await Datapath.create();
      try {
        const progs = new Map<string, { testRun(o: { data: Uint8Array }): { retval: number } }>();
        for (const name of new Set(CASES.map((c) => c[0]))) progs.set(name, (await dp.loadObject(obj(name), { engine })).programs.get(name)!);
        const got = CASES.map(([name, frame]) => progs.get(name)!.testRun({ data: frame }).retval >>> 0);
        expect(got).toEqual(CASES.map((c) => c[2] >>> 0));
      } finally {
        await dp.close();
      }
    });
  }
});

const avail = kernelAvailability();
describe.skipIf(!avail.ok)(`the same frames in the kernel${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  it.each(CASES)('%s: bpftool prog run gives the same value', (name, frame, ret) => {
    const k = loadKernelProgram(obj(name), { name });
    try {
      expect(k.run({ data: frame }).retval >>> 0).toBe(ret >>> 0);
    } finally {
      k.close();
    }
  });
});
