// programs/xdp_dynptr_is_null_r0.c: bpf_dynptr_is_null's r0 as 6.18.44-fc-v1300 leaves it. Its native
// function returns a bool in %al and leaves the rest of %rax, which the x86 JIT maps to r0, as the call
// found it; a program that uses the whole register (clang does: the BPF ABI has the callee extend) sees
// those bits. Found by the sw58 sweep (tests/realworld/sweep58.md). Every expected value is what the
// kernel gave (bpftool prog run, 12-08): after bpf_dynptr_from_xdp's -EINVAL a valid dynptr reads
// 0xffffff00 and a null one 0xffffff01; after bpf_dynptr_size (the frame's length) the length's bits
// above the low byte; bpf_dynptr_is_rdonly's r0 is clean. `if (bpf_dynptr_is_null(&p))` is then taken
// for a valid dynptr: XDP_DROP.

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { dynptrHelpers } from '../../src/helpers/dynptr.js';
import { HelperTable } from '../../src/helpers/index.js';
import { DYNPTR_KFUNC_DEFS, KFUNC_HELPER_BASE } from '../../src/helpers/kfuncs.js';
import { Interpreter } from '../../src/interp/index.js';
import { Ins } from '../../src/isa/index.js';
import { kernelAvailability, loadKernelProgram } from '../../src/oracle/kernel.js';
import { EngineMemory } from '../../src/runtime/memory.js';

const OBJ = fileURLToPath(new URL('../../programs/xdp_dynptr_is_null_r0.o', import.meta.url));
const NAME = 'xdp_dynptr_is_null_r0';
const XDP_DROP = 1;
/** A frame of n bytes: an IPv4 ethertype, the rest a pattern. */
const frame = (n: number): Uint8Array => {
  const f = Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);
  f[12] = 0x08;
  f[13] = 0x00;
  return f;
};
/** The five u32 answers the program writes at 14. */
const answers = (d: Uint8Array): number[] => [0, 1, 2, 3, 4].map((i) => new DataView(d.buffer, d.byteOffset + 14 + 4 * i, 4).getUint32(0, true));
/** The kernel's answers for a frame of n bytes. */
const kernel = (n: number): number[] => [0xffffff00, 0xffffff01, n & ~0xff, 0, 0xffffff00];
const SIZES = [64, 71, 300, 1514];

/** A data path whose dynptr helpers and kfuncs are the TypeScript ones (no fast-path code for them). */
async function tsDynptrs(): Promise<Datapath> {
  const dp = await Datapath.create();
  for (const d of dynptrHelpers()) dp.helpers.register(d);
  for (const k of DYNPTR_KFUNC_DEFS) dp.helpers.register({ id: KFUNC_HELPER_BASE + k.btfId, name: k.name, fn: k.fn });
  return dp;
}

describe('bpf_dynptr_is_null leaves r0 above its low byte as the call found it', () => {
  for (const [engine, checked] of [['jit', false], ['jit', true], ['interp', false], ['interp', true]] as const) {
    for (const ts of [false, true]) {
      it(`${engine}${checked ? ' checked' : ''}${ts ? ', TypeScript kfuncs' : ''}: the kernel's answers, and XDP_DROP`, async () => {
        const dp = ts ? await tsDynptrs() : await Datapath.create();
        try {
          const p = (await dp.loadObject(OBJ, { engine, checked })).program(NAME);
          for (const n of SIZES) {
            const r = p.testRun({ data: frame(n) });
            expect([r.retval, ...answers(r.data)], `${n} bytes`).toEqual([XDP_DROP, ...kernel(n)]);
          }
        } finally {
          await dp.close();
        }
      });
    }
  }

  it('both interpreter tiers, through the register file and by halves: r0 above the low byte kept, all 64 bits', () => {
    const IS_NULL = KFUNC_HELPER_BASE + 9;
    const prog = [...Ins.lddw(0, 0x1234_5678_9abc_def0n), Ins.call(IS_NULL), Ins.exit()];
    for (const answer of [0n, 1n]) {
      for (const wasm of [false, true]) {
        const helpers = new HelperTable([{ id: IS_NULL, name: 'bpf_dynptr_is_null', fn: () => answer, ...(wasm ? { wasm: () => answer } : {}) }]);
        for (const tier of ['switch', 'compiled'] as const) {
          const interp = new Interpreter(prog, { memory: new EngineMemory({ hugePages: false }), helpers, checked: false, tier });
          expect(interp.tier).toBe(tier);
          expect(interp.run({ args: [], regions: [] }).r0, `${tier}${wasm ? ' by halves' : ''}`).toBe(0x1234_5678_9abc_de00n | answer);
        }
      }
    }
  });

  const avail = kernelAvailability();
  it.skipIf(!avail.ok)(`the kernel gives them${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
    const k = loadKernelProgram(OBJ, { name: NAME });
    try {
      for (const n of SIZES) {
        const r = k.run({ data: frame(n) });
        expect([r.retval, ...answers(r.data)], `${n} bytes`).toEqual([XDP_DROP, ...kernel(n)]);
      }
    } finally {
      k.close();
    }
  });
});
