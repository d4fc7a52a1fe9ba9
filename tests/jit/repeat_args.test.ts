// The in-wasm repeat loop (emit.ts `repeat`, behind testRun's repeat and the benchmarks) runs the program
// with the arguments it was given: when r2..r5 are all zero it takes a loop that passes constants (fewer
// values live across each call), else the loop that passes all five. Both must hand the program exactly
// r1..r5, in both JIT modes, for repeat counts of one (the plain entry), two and three.

import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { Alu64, Ins } from '../../src/isa/insn.js';
import { createMap } from '../../src/maps/index.js';
import { jit, MAP, withMap } from './harness.js';

// r0 = r1 + 3 r2 + 5 r3 + 7 r4 + 11 r5
const WEIGHTED = [
  Alu64.mov.reg(0, 1),
  Alu64.mul.imm(2, 3),
  Alu64.add.reg(0, 2),
  Alu64.mul.imm(3, 5),
  Alu64.add.reg(0, 3),
  Alu64.mul.imm(4, 7),
  Alu64.add.reg(0, 4),
  Alu64.mul.imm(5, 11),
  Alu64.add.reg(0, 5),
  Ins.exit(),
];

describe('repeat passes r1..r5 to every run', () => {
  const argSets: bigint[][] = [
    [0n, 0n, 0n, 0n, 0n],
    [9n, 0n, 0n, 0n, 0n],
    [1n, 2n, 0n, 0n, 0n],
    [1n, 0n, 4n, 0n, 0n],
    [0n, 0n, 0n, 5n, 0n],
    [0n, 0n, 0n, 0n, 6n],
    [1n, 2n, 3n, 4n, 5n],
    [0n, 1n << 40n, 0n, 0n, 0n],
  ];
  for (const checked of [false, true]) {
    it(`${checked ? 'checked' : 'unchecked'}: every argument in place, repeat 1, 2 and 3`, async () => {
      const p = await jit([WEIGHTED], { checked });
      for (const args of argSets) {
        const [a, b, c, d, e] = args as [bigint, bigint, bigint, bigint, bigint];
        const want = a + 3n * b + 5n * c + 7n * d + 11n * e;
        for (const repeat of [1, 2, 3]) expect(p.runRepeated({ args, regions: [] }, repeat).r0, `${args} × ${repeat}`).toBe(want);
      }
    });
  }
});

// An XDP run (r1 = ctx, r2..r5 zero: the loop that passes constants) counting its runs in an ARRAY value.
const COUNT = `*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\nr1 = ${MAP}\ncall 1\nif r0 == 0 goto +4\nr1 = *(u64 *)(r0 + 0)\nr1 += 1\n*(u64 *)(r0 + 0) = r1\nr0 = r1\nexit`;

describe('repeat runs the program exactly `repeat` times', () => {
  for (const checked of [false, true]) {
    it(`${checked ? 'checked' : 'unchecked'}: a run counter after repeat 1, 2, 3 and 1000`, async () => {
      const dp = await Datapath.create();
      const map = createMap(dp.fastPath, { name: 'n', type: 2, keySize: 4, valueSize: 8, maxEntries: 1, flags: 0 });
      const prog = await dp.loadInsns(withMap(assemble(COUNT), map), { engine: 'jit', checked, verify: false } as Parameters<Datapath['loadInsns']>[1]);
      let total = 0;
      for (const repeat of [1, 2, 3, 1000]) {
        total += repeat;
        expect(prog.testRun({ data: new Uint8Array(64), repeat }).retval, `after ${total} runs`).toBe(total);
      }
    });
  }
});
