// Property: a byte or word reduction loop with a random body (src/jit/vectorize.ts's shape: a bounds
// exit, a load at p + i·size + d, an expression of the byte, the counter and invariants, folded into r0
// by add, xor or or on 64 or 32 bits) gives the same r0 on the interpreter and on the unchecked JIT
// (which vectorises the loops it proves it may), on frames of lengths around the 16-byte step. Both
// halves of r0 are seen (the retval is 32 bits: the high half is xor-ed into it).
// WXDP_VECTOR_FUZZ_RUNS sets the count (default 8).

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { analyze } from '../../src/jit/cfg.js';
import { vectorPlans } from '../../src/jit/vectorize.js';

const LENGTHS = [14, 15, 16, 17, 33, 64, 129, 300];
const frame = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 29 + 3 + (i >> 3) * 101) & 0xff);

const OPS = ['+=', '-=', '*=', '&=', '|=', '^=', '<<=', '>>='];
const operand = fc.oneof(fc.constantFrom('r3', 'r4', 'r4', 'r5', 'r7', 'r8'), fc.constantFrom(0, 1, 2, 3, 7, 8, 15, 16, 31, 255, 256, 0xffff, 0x10000, -1, 0x7fffffff));

/** One step of the body: r5 or r6 OP operand, 64 or 32 bits (shift counts constant, below the width). */
const step = fc.record({ dst: fc.constantFrom('5', '5', '5', '6'), op: fc.constantFrom(...OPS), src: operand, w32: fc.boolean() }).map(({ dst, op, src, w32 }) => {
  const r = (x: string | number): string => (typeof x === 'string' && w32 ? x.replace('r', 'w') : String(x));
  let s = src;
  if (op === '<<=' || op === '>>=') s = typeof src === 'number' ? ((src % 16) + 16) % 16 : 3;
  return `${r(`r${dst}`)} ${op} ${r(s)}`;
});

const loop = fc.record({
  size: fc.constantFrom(1, 1, 2, 4),
  n: fc.constantFrom(1, 7, 16, 33, 128, 300),
  start: fc.constantFrom(0, 0, 1, 5),
  d: fc.constantFrom(0, 0, 1, 3),
  body: fc.array(step, { minLength: 0, maxLength: 3 }),
  fold: fc.constantFrom('r0 += r5', 'r0 += r5', 'r0 ^= r5', 'r0 |= r5', 'w0 += w5', 'w0 ^= w5', 'r0 += r6'),
  k7: fc.constantFrom(0, 1, 3, 0xff, 0x12345, -1),
  k8: fc.constantFrom(0, 2, 0x100, 0x7fffffff),
});

/** The loop_bytes / word-loop shape with the drawn body. */
function program(o: { size: number; n: number; start: number; d: number; body: string[]; fold: string; k7: number; k8: number }): string {
  const scale = o.size === 1 ? '' : `r4 <<= ${o.size === 2 ? 1 : 2}\n`;
  return `r2 = *(u32 *)(r1 + 4)
r1 = *(u32 *)(r1 + 0)
r3 = ${o.start}
r0 = 0
r6 = 0
r7 = ${o.k7}
r8 = ${o.k8}
loop:
r4 = r3
${scale}r4 += r1
r5 = r4
r5 += ${o.size + o.d}
if r5 > r2 goto out
r4 = *(u${o.size * 8} *)(r4 + ${o.d})
r3 += 1
r5 = r4
${o.body.join('\n')}
${o.fold}
if r3 != ${o.n} goto loop
out:
r1 = r0
r1 >>= 32
r0 ^= r1
exit`;
}

const RUNS = Number(process.env['WXDP_VECTOR_FUZZ_RUNS'] ?? 8);

describe('vectorised reductions vs the interpreter on random loop bodies', () => {
  let dp: Datapath;
  let vectorised = 0;
  beforeAll(async () => {
    dp = await Datapath.create();
  });
  afterAll(() => {
    if (process.env['WXDP_VECTOR_FUZZ_RUNS']) console.log(`vector fuzz: ${vectorised} of ${RUNS} loops vectorised`);
  });

  it('agree on r0 for every frame length', { timeout: Math.max(120_000, RUNS * 3_000) }, async () => {
    await fc.assert(
      fc.asyncProperty(loop, async (o) => {
        const src = program(o);
        const insns = assemble(src);
        if (vectorPlans(insns, analyze(insns).subprograms[0]!).size > 0) vectorised++;
        const run = async (engine: 'interp' | 'jit'): Promise<number[]> => {
          const prog = await dp.loadInsns(assemble(src), { engine, checked: false, verify: false } as Parameters<Datapath['loadInsns']>[1]);
          return LENGTHS.map((n) => prog.testRun({ data: frame(n) }).retval >>> 0);
        };
        expect(await run('jit'), src).toEqual(await run('interp'));
      }),
      { numRuns: RUNS },
    );
  });
});
