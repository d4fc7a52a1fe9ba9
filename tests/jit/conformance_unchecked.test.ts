// Every bpf-conformance vector the load-time check accepts, through the unchecked JIT (the analyses and
// lowerings of verified code: known zeros, low halves, stack slots in locals, store merging, unrolling,
// vectorising): r0 must be the vector's own `-- result`, as the interpreter and the checked JIT give it
// (tests/conformance/vectors.test.ts). Vectors that expect an error are left out (unchecked code does
// not look for it). optimize 'none' keeps it quick: the analyses run the same.

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { conformanceDir } from '../../bench/engine.js';
import { loadVectors, vectorProgram } from '../../src/conformance/runner.js';
import { baseHelpers } from '../../src/helpers/index.js';
import { compile } from '../../src/jit/index.js';
import { EngineMemory, INPUT_BASE } from '../../src/runtime/memory.js';
import { checkProgram } from '../../src/verifier/check.js';

const dir = conformanceDir();
const present = existsSync(dir);
const vectors = present ? loadVectors(dir).filter((v) => v.error === undefined && v.result !== undefined) : [];

describe.skipIf(!present)('bpf-conformance vectors through the unchecked JIT', () => {
  const memory = new EngineMemory();
  const helpers = baseHelpers({ trace: () => {} });
  it.each(vectors.map((v) => [v.name, v] as const))('%s', async (_name, vec) => {
    const prog = vectorProgram(vec);
    try {
      checkProgram(prog, { helpers });
    } catch {
      return; // refused at load time (shift immediates out of range, callx): vectors.test.ts covers them
    }
    const jit = await compile(prog, { memory, helpers, checked: false, optimize: 'none' });
    memory.clearStack();
    const region = memory.placeInput(vec.mem);
    const { r0 } = jit.run({ args: [BigInt(INPUT_BASE), BigInt(vec.mem.length)], regions: [region] });
    expect(BigInt.asUintN(64, r0).toString(16)).toBe(vec.result!.toString(16));
  });
});
