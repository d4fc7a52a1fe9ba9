// bpf_obj_new / bpf_obj_drop on both engines as the kernel runs them: programs/xdp_obj_new.c allocates
// objects of two local structs (16 and 248 bytes), fills them from the frame, reads them back, drops
// them, and reads a fresh object before writing it (zeroed). The expected u64s (frame offsets 16..47)
// are 6.18.44-fc-v1272's BPF_PROG_TEST_RUN for the same frames, checked again below when the kernel
// can be used.

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { kernelAvailability, loadKernelProgram } from '../../src/oracle/kernel.js';

const OBJ = fileURLToPath(new URL('../../programs/xdp_obj_new.o', import.meta.url));
const NAME = 'xdp_obj_new';
const FRAMES = [new Uint8Array(64), Uint8Array.from({ length: 64 }, (_, i) => i * 7 + 1), Uint8Array.from({ length: 64 }, (_, i) => 255 - i)];
const results = (d: Uint8Array): string[] => Array.from({ length: 4 }, (_, i) => new DataView(d.buffer, d.byteOffset).getBigUint64(16 + 8 * i, true).toString(16));
/** The kernel's: sum, fresh bytes ORed, small->y, objects allocated. */
const EXPECTED = [
  ['100abcdee', '0', '0', '3'],
  ['330feccb11928a80', '0', '6a635c55', '3'],
  ['d4d9dee5da8bb3d4', '0', 'f0f1f2f3', '3'],
];

describe('bpf_obj_new / bpf_obj_drop at run time', () => {
  it('jit and interp give the kernel results on every frame', async () => {
    const dp = await Datapath.create({ hugePages: false });
    try {
      for (const engine of ['jit', 'interp'] as const) {
        const o = await dp.loadObject(OBJ, { engine });
        const p = o.programs.get(NAME)!;
        expect(FRAMES.map((f) => p.testRun({ data: f })).map((r) => [r.retval, ...results(r.data)])).toEqual(EXPECTED.map((e) => [2, ...e]));
        dp.unloadObject(o);
      }
    } finally {
      await dp.close();
    }
  });
});

const avail = kernelAvailability();
describe.skipIf(!avail.ok)(`the same frames in the kernel${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  it('bpftool prog run gives the same results', () => {
    const k = loadKernelProgram(OBJ, { name: NAME });
    try {
      expect(FRAMES.map((f) => k.run({ data: f })).map((r) => [r.retval, ...results(r.data)])).toEqual(EXPECTED.map((e) => [2, ...e]));
    } finally {
      k.close();
    }
  });
});
