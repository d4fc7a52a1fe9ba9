// Differential testing: random valid programs (tests/support/gen.ts) must give identical r0, identical
// memory (input and stack) and identical errors on the reference interpreter and on the JIT.
// WXDP_DIFF_PROGRAMS sets the count (default 1000; CI runs 10000, .ci/run); WXDP_DIFF_SEED_BASE shifts
// the seeds (default 0: seeds 1..count), so a long run can cover seeds CI does not.

import { afterAll, describe, expect, it } from 'vitest';
import { WxdpError } from '../../src/errors.js';
import { HelperTable } from '../../src/helpers/index.js';
import { Interpreter } from '../../src/interp/index.js';
import { encode } from '../../src/isa/insn.js';
import { compile } from '../../src/jit/index.js';
import { EngineMemory, INPUT_BASE, STACK_BASE, STACK_TOP, type Region } from '../../src/runtime/memory.js';
import type { Engine } from '../../src/runtime/types.js';
import { checkProgram } from '../../src/verifier/check.js';
import { fuzzClock } from '../support/budget.js';
import { INPUT_LEN, randomProgram, Rng, TEST_HELPER } from '../support/gen.js';

// 1,000 random programs locally (npm test stays near 12 minutes on 2 cores); CI runs 10,000 (.ci/run).
const COUNT = Number(process.env.WXDP_DIFF_PROGRAMS ?? 1_000);
const BATCH = 500;
const SEED_BASE = Number(process.env['WXDP_DIFF_SEED_BASE'] ?? 0);

// A deterministic helper that mixes all five arguments, so argument passing is compared too.
const helpers = new HelperTable([
  { id: TEST_HELPER, name: 'mix', fn: (a, b, c, d, e) => BigInt.asUintN(64, a * 31n + (b ^ (c << 3n)) - d * e + 7n) },
]);

interface Observed {
  r0?: string;
  error?: { code: string; index: number; address?: string };
  input: string;
  stack: string;
}

function observe(engine: Engine, mem: EngineMemory, input: Uint8Array): Observed {
  mem.clearStack();
  const region: Region = mem.placeInput(input);
  const out: Observed = { input: '', stack: '' };
  try {
    out.r0 = engine.run({ args: [BigInt(INPUT_BASE), BigInt(input.length)], regions: [region] }).r0.toString(16);
  } catch (e) {
    if (!(e instanceof WxdpError)) throw e;
    const f = e as WxdpError & { index?: number; address?: bigint };
    out.error = { code: f.code, index: f.index ?? -1, ...(f.address !== undefined ? { address: f.address.toString(16) } : {}) };
  }
  out.input = Buffer.from(mem.readInput(input.length)).toString('hex');
  out.stack = Buffer.from(mem.bytes().subarray(STACK_BASE, STACK_TOP)).toString('hex');
  return out;
}

describe(`interpreter vs JIT on ${COUNT} random programs`, () => {
  const memI = new EngineMemory();
  const memJ = new EngineMemory();
  const batches = Math.ceil(COUNT / BATCH);
  const clock = fuzzClock('interpreter vs JIT random programs', COUNT);
  afterAll(() => clock.report());
  it.each(Array.from({ length: batches }, (_, b) => b))('batch %i', async (b) => {
    for (let seed = SEED_BASE + b * BATCH + 1; seed <= SEED_BASE + Math.min(COUNT, (b + 1) * BATCH) && clock.more(); seed++) {
      const prog = randomProgram(seed);
      checkProgram(prog, { helpers }); // the generator only makes valid programs
      const rng = new Rng(seed ^ 0x9e3779b9);
      const input = Uint8Array.from({ length: INPUT_LEN }, () => rng.int(256));
      const interp = new Interpreter(prog, { memory: memI, helpers, maxInstructions: 1_000_000 });
      const jit = await compile(prog, { memory: memJ, helpers });
      const a = observe(interp, memI, input);
      const j = observe(jit, memJ, input);
      if (JSON.stringify(a) !== JSON.stringify(j)) {
        // Name the seed and dump the program so the failure reproduces.
        expect({ seed, program: Buffer.from(encode(prog)).toString('hex'), jit: j }).toEqual({ seed, program: Buffer.from(encode(prog)).toString('hex'), jit: a });
      }
    }
  });
});
