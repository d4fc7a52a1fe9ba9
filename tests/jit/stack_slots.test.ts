// Stack slots kept in wasm locals (src/jit/stack_slots.ts, unchecked programs only): each program
// spills to 8-byte slots and reaches them, or not, through copies of r10, helpers, calls and stores of
// frame pointers. Every expected r0 is worked out by hand from the instructions; the interpreter, the
// checked JIT (slots in memory) and the unchecked JIT (slots in locals where allowed) must all give it
// (as the 32-bit retval).

import { beforeAll, describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { PseudoLd } from '../../src/isa/opcodes.js';
import { jitText } from '../../src/jit/index.js';
import { createMap } from '../../src/maps/index.js';
import { defaultMemory } from './harness.js';

const MAP = '0x7ff00000 ll';
const BPF_MAP_TYPE_ARRAY = 2;

// a counter spilled to r10 - 16 and filled back on each of 10 iterations, 3 added each time
const LOOP = `r1 = 0
*(u64 *)(r10 - 16) = r1
r3 = 0
r2 = *(u64 *)(r10 - 16)
r2 += 3
*(u64 *)(r10 - 16) = r2
r3 += 1
if r3 != 10 goto -5
r0 = *(u64 *)(r10 - 16)
exit`;

const CASES: Array<{ name: string; src: string; want: bigint }> = [
  { name: 'a spilled loop counter', src: LOOP, want: 30n },
  { name: 'an 8-byte store read back as its upper 4 bytes', src: 'r1 = 0x1122334455667788 ll\n*(u64 *)(r10 - 8) = r1\nr0 = *(u32 *)(r10 - 4)\nexit', want: 0x11223344n },
  // (r0 is seen through the 32-bit retval: the halves are added, 0 + 0xffffffff; without the store 0xfffffffe)
  { name: 'a 4-byte store into a slot read as 8 bytes', src: 'r1 = -1\n*(u64 *)(r10 - 8) = r1\n*(u32 *)(r10 - 8) = 0\nr0 = *(u64 *)(r10 - 8)\nr1 = r0\nr1 >>= 32\nr0 += r1\nexit', want: 0xffff_ffffn },
  { name: 'a slot read through a copy of r10', src: 'r1 = r10\nr1 += -16\nr2 = 5\n*(u64 *)(r10 - 16) = r2\nr0 = *(u64 *)(r1 + 0)\nexit', want: 5n },
  { name: 'a slot written through a copy of r10', src: 'r1 = r10\nr1 += -24\nr2 = 6\n*(u64 *)(r1 + 8) = r2\nr0 = *(u64 *)(r10 - 16)\nexit', want: 6n },
  { name: 'a copy of r10 moved by a register', src: 'r1 = r10\nr2 = -24\nr1 += r2\nr3 = 9\n*(u64 *)(r10 - 24) = r3\nr0 = *(u64 *)(r1 + 0)\nexit', want: 9n },
  {
    name: 'a frame pointer spilled and reloaded',
    src: 'r1 = r10\nr1 += -16\n*(u64 *)(r10 - 8) = r1\nr2 = 42\n*(u64 *)(r10 - 16) = r2\nr3 = *(u64 *)(r10 - 8)\nr0 = *(u64 *)(r3 + 0)\nexit',
    want: 42n,
  },
  {
    name: 'a frame pointer passed to a bpf-to-bpf call that writes through it',
    src: 'r1 = r10\nr1 += -8\nr2 = 1\n*(u64 *)(r10 - 8) = r2\ncall pc+2\nr0 = *(u64 *)(r10 - 8)\nexit\nr2 = 77\n*(u64 *)(r1 + 0) = r2\nr0 = 0\nexit',
    want: 77n,
  },
  {
    name: 'two paths leaving different frame pointers in one register',
    src: `r2 = 1
*(u64 *)(r10 - 8) = r2
*(u64 *)(r10 - 16) = r2
r1 = r10
r1 += -8
if r2 == 0 goto +2
r1 = r10
r1 += -16
r3 = 50
*(u64 *)(r1 + 0) = r3
r0 = *(u64 *)(r10 - 8)
r4 = *(u64 *)(r10 - 16)
r4 <<= 8
r0 += r4
exit`,
    want: 1n + (50n << 8n),
  },
  {
    name: 'a callee spilling in its own frame',
    src: 'r1 = 4\ncall pc+2\nr0 += 1\nexit\n*(u64 *)(r10 - 8) = r1\nr1 = 0\nr0 = *(u64 *)(r10 - 8)\nr0 *= 10\nexit',
    want: 41n,
  },
];

describe('stack slots in locals', () => {
  let dp: Datapath;
  beforeAll(async () => {
    dp = await Datapath.create();
  });

  it.each(CASES)('$name', async (c) => {
    for (const engine of ['interp', 'jit-checked', 'jit-unchecked'] as const) {
      const prog = await dp.loadInsns(assemble(c.src), {
        engine: engine === 'interp' ? 'interp' : 'jit',
        checked: engine !== 'jit-unchecked',
        verify: false,
      } as Parameters<Datapath['loadInsns']>[1]);
      expect(BigInt.asUintN(64, BigInt(prog.testRun({ data: new Uint8Array(64) }).retval)), engine).toBe(c.want);
    }
  });

  it('a key spilled for a helper stays in memory; a spill beside it does not', async () => {
    const map = createMap(dp.fastPath, { name: 'a', type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 });
    map.update(Uint8Array.of(2, 0, 0, 0), new Uint8Array(new BigUint64Array([1234n]).buffer));
    // key 2 as an 8-byte store at r10 - 8 (the helper reads its low 4 bytes); 7 spilled at r10 - 16
    const src = `r6 = 7\n*(u64 *)(r10 - 16) = r6\nr1 = 2\n*(u64 *)(r10 - 8) = r1\nr1 = ${MAP}\nr2 = r10\nr2 += -8\ncall 1\nif r0 == 0 goto +3\nr0 = *(u64 *)(r0 + 0)\nr1 = *(u64 *)(r10 - 16)\nr0 += r1\nexit`;
    const insns = assemble(src);
    for (const ins of insns) {
      if (ins.imm64 === 0x7ff00000n) {
        ins.src = PseudoLd.MAP_FD;
        ins.imm64 = BigInt(map.address);
      }
    }
    for (const checked of [true, false]) {
      const prog = await dp.loadInsns(insns, { checked, verify: false } as Parameters<Datapath['loadInsns']>[1]);
      expect(prog.testRun({ data: new Uint8Array(64) }).retval, `checked ${checked}`).toBe(1241);
    }
  });

  it('the spilled counter lives in a local, unchecked; in memory, checked', async () => {
    const insns = assemble(LOOP);
    expect(await jitText(insns, { memory: defaultMemory, checked: false, optimize: false })).not.toMatch(/i64\.(store|load)/);
    expect(await jitText(insns, { memory: defaultMemory, checked: true, optimize: false })).toMatch(/i64\.store/);
  });
});
