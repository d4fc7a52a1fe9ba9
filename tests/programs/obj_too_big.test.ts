// bpf_obj_new of a struct larger than bpf_mem_alloc serves (review rv56): Linux 6.18.44 refuses the program at the
// call ("bpf_obj_new type size (N) is more than the allocator serves", EINVAL), refcounted or not, and takes the
// largest it serves (4088 bytes). wxdp took both before 12-07: a plain one's allocation failed at run time, but a
// refcounted one's size (encoded in its lowered helper id beside the count's offset, 12 bits) wrapped — 4108 bytes
// became a 12-byte object in a 16-byte class that the program, verified for 4108 bytes, wrote 4 KiB past (the
// heap's neighbours). programs/xdp_obj_too_big.c, xdp_obj_too_big_plain.c, xdp_obj_max_size.c; the kernel's verdicts
// checked live below when it can be asked.

import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { kernelAvailability, KernelRejected, loadKernelProgram } from '../../src/oracle/kernel.js';

const objectOf = (name: string): string => fileURLToPath(new URL(`../../programs/${name}.o`, import.meta.url));

type Verdict = { loaded: true; retval: number } | { loaded: false; errno: string; message: string };
const CASES: Array<{ prog: string; want: Verdict }> = [
  { prog: 'xdp_obj_too_big', want: { loaded: false, errno: 'EINVAL', message: 'bpf_obj_new type size (4108) is more than the allocator serves' } },
  { prog: 'xdp_obj_too_big_plain', want: { loaded: false, errno: 'EINVAL', message: 'bpf_obj_new type size (4112) is more than the allocator serves' } },
  { prog: 'xdp_obj_max_size', want: { loaded: true, retval: 2 } },
];

let dp: Datapath | undefined;
afterAll(async () => { await dp?.close(); });

describe('bpf_obj_new of a struct larger than the allocator serves', () => {
  it.each(CASES)('$prog: the verdict as 6.18.44', async ({ prog, want }) => {
    dp ??= await Datapath.create({ hugePages: false });
    for (const engine of ['jit', 'interp'] as const) {
      let got: Verdict;
      try {
        const o = await dp.loadObject(objectOf(prog), { engine });
        got = { loaded: true, retval: o.program(prog).testRun({ data: new Uint8Array(64) }).retval };
        dp.unloadObject(o);
      } catch (e) {
        got = { loaded: false, errno: (e as { errno: string }).errno, message: (e as { reason: string }).reason };
      }
      expect(got, engine).toEqual(want);
    }
  });
});

const avail = kernelAvailability();
describe.skipIf(!avail.ok)(`the same objects in the kernel${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  it.each(CASES)('$prog', ({ prog, want }) => {
    try {
      const k = loadKernelProgram(objectOf(prog), { name: prog });
      try {
        expect(want.loaded).toBe(true);
        if (want.loaded) expect(k.run({ data: new Uint8Array(64) }).retval).toBe(want.retval);
      } finally {
        k.close();
      }
    } catch (e) {
      if (!(e instanceof KernelRejected)) throw e;
      expect(want.loaded).toBe(false);
      if (!want.loaded) expect(e.log).toContain(want.message);
    }
  });
});
