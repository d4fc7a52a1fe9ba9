// The string kfuncs (bpf_strcmp … bpf_strnstr, kernel/bpf/helpers.c) on both engines as the kernel runs
// them: programs/verifier/accept/str_kfuncs_packet.c stores 18 results after a NUL-terminated string at
// the frame's start. The expected results are 6.18.44-fc-v1272's BPF_PROG_TEST_RUN for the same frames
// (checked again below when the kernel can be used): unsigned chars (0xff found by strrchr's int 0xff,
// "\x80" above "a"), Latin-1 case folding, -ERANGE for a small number, -ENOENT, strnstr's match that
// ends exactly at len.

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { kernelAvailability, loadKernelProgram } from '../../src/oracle/kernel.js';

const OBJ = fileURLToPath(new URL('../../programs/verifier/accept/str_kfuncs_packet.o', import.meta.url));
const NAME = 'str_kfuncs_packet';
const frame = (s: string): Uint8Array => {
  const f = new Uint8Array(136);
  f.set(Buffer.from(s, 'latin1').subarray(0, 63));
  return f;
};
const results = (d: Uint8Array): number[] => Array.from({ length: 18 }, (_, i) => new DataView(d.buffer, d.byteOffset).getInt32(64 + 4 * i, true));

/** [string at the frame's start, the kernel's 18 results]. */
const CASES: [string, number[]][] = [
  ['GET /index.html HTTP/1.1\r\nHost: a', [33, 1, 1, 30, 33, 3, 20, 3, 4, 4, 16, 16, -34, 1, 0, 33, -2, -2]],
  ['get /INDEX.HTML http/1.1', [24, 1, 0, -2, 24, 3, 20, 3, 0, 4, -2, -2, -34, 1, 0, 24, -2, -2]],
  ['GET /', [5, 0, -1, -2, 5, 3, 4, 3, 4, 4, -2, -2, -34, 1, 0, 5, -2, -2]],
  ['', [0, -1, -1, -2, 0, -2, -2, 0, 0, 0, -2, -2, -34, 1, 0, 0, -2, -2]],
  ['Host: example.com/x/y#frag', [26, 1, 1, 4, 21, -2, 19, 3, 0, 17, -2, -2, -34, 1, 0, 26, -2, -2]],
  ['\xc0\xff/x\xff/y:z', [9, 1, 1, 7, 9, -2, 5, 3, 0, 2, -2, -2, -34, 1, 0, 9, 4, 1]],
  ['xxxxxxxxxxxxxxxHTTP', [19, 1, 1, -2, 19, -2, -2, 3, 0, 19, 15, 15, -34, 1, 0, 19, -2, -2]],
  ['xxxxxxxxxxxxxxxxHTTP', [20, 1, 1, -2, 20, -2, -2, 3, 0, 20, 16, 16, -34, 1, 0, 20, -2, -2]],
  ['SSSS EEE GGG TTT', [16, 1, 1, -2, 16, -2, -2, 3, 16, 16, -2, -2, -34, 1, 0, 16, -2, -2]],
  ['GET', [3, -1, -1, -2, 3, -2, -2, 3, 3, 3, -2, -2, -34, 1, 0, 3, -2, -2]],
];

describe('string kfuncs', () => {
  for (const engine of ['jit', 'interp'] as const) {
    it(`${engine}: every frame gives the kernel's results`, async () => {
      const dp = await Datapath.create();
      try {
        const p = (await dp.loadObject(OBJ, { engine })).programs.get(NAME)!;
        expect(CASES.map(([s]) => results(p.testRun({ data: frame(s) }).data))).toEqual(CASES.map((c) => c[1]));
      } finally {
        await dp.close();
      }
    });
  }
});

const avail = kernelAvailability();
describe.skipIf(!avail.ok)(`the same frames in the kernel${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  it('bpftool prog run gives the same results', () => {
    const k = loadKernelProgram(OBJ, { name: NAME });
    try {
      expect(CASES.map(([s]) => results(k.run({ data: frame(s) }).data))).toEqual(CASES.map((c) => c[1]));
    } finally {
      k.close();
    }
  });
});
