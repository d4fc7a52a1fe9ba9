// Inner loops with a trip count known at compile time, unrolled by the verified JIT (src/jit/unroll.ts).
// Each program runs on the interpreter, the checked JIT (never unrolls) and the unchecked JIT, against
// r0 worked out by hand; unrollPlans is asked directly which loops it unrolls and how many times, with
// near misses: the most trips (16) and one more, a counter that wraps in 32 bits, a count one entry
// path changes, a bound read from the packet.

import { beforeAll, describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { analyze } from '../../src/jit/cfg.js';
import { unrollPlans } from '../../src/jit/unroll.js';

const FRAME = Uint8Array.from({ length: 64 }, (_, i) => (i * 29 + 3) & 0xff);

/** r0 = sum of r1 for r1 = n down to 0, the exit test at the end and a `ja` back (clang's shape). */
const countdown = (n: number): string => `r0 = 0
r1 = ${n}
loop:
r0 += r1
r1 += -1
if r1 == -1 goto out
goto loop
out:
exit`;

/** r0 = trips of a loop counting w1 down from 3 in 32 bits until it reads 0xfffffffe. */
const wrap32 = `r0 = 0
r1 = 3
loop:
r0 += 1
w1 += -1
if w1 != 0xfffffffe goto loop
exit`;

/** The Toeplitz shape: an outer loop over 4 frame bytes, an inner loop over their 8 bits. */
const bits = `r6 = *(u32 *)(r1 + 0)
r0 = 0
r3 = 0
outer:
r2 = r6
r2 += r3
r2 = *(u8 *)(r2 + 0)
r1 = 7
inner:
r4 = r2
r4 >>= r1
r4 &= 1
r0 <<= 1
r0 |= r4
r1 += -1
if r1 s>= 0 goto inner
r3 += 1
if r3 != 4 goto outer
exit`;

/** Two ways into the loop: r1 = a or r1 = b by the frame's first byte (odd: b). */
const twoEntries = (a: number, b: number): string => `r2 = *(u32 *)(r1 + 0)
r2 = *(u8 *)(r2 + 0)
r1 = ${a}
r2 &= 1
if r2 == 0 goto loop
r1 = ${b}
loop:
r0 += r1
r1 += -1
if r1 != 0 goto loop
exit`;

/** The bound from the packet (its first byte & 7): not known at compile time. */
const packetBound = `r2 = *(u32 *)(r1 + 0)
r1 = *(u8 *)(r2 + 0)
r1 &= 7
r0 = 0
loop:
r0 += 3
r1 += -1
if r1 s> -1 goto loop
exit`;

interface Case {
  name: string;
  src: string;
  /** r0 on FRAME. */
  want: number;
  /** [trips] of the unrolled loops, by block order. */
  plans: number[];
}

const sumTo = (n: number): number => (n * (n + 1)) / 2;
const bitsOf = (k: number): number => {
  let v = 0;
  for (let i = 0; i < k; i++) v = v * 256 + FRAME[i]!;
  return v;
};

const CASES: Case[] = [
  { name: 'a count-down from 7 (8 trips)', src: countdown(7), want: sumTo(7), plans: [8] },
  { name: 'from 15 (16 trips, the most unrolled)', src: countdown(15), want: sumTo(15), plans: [16] },
  { name: 'from 16 (17 trips: left rolled)', src: countdown(16), want: sumTo(16), plans: [] },
  { name: 'from 0 (one trip)', src: countdown(0), want: 0, plans: [1] },
  { name: 'a 32-bit counter through 0 to 0xfffffffe (5 trips)', src: wrap32, want: 5, plans: [5] },
  { name: 'bits of 4 frame bytes: the inner loop unrolled, the outer not', src: bits, want: bitsOf(4), plans: [8] },
  { name: 'two entries with the same count', src: twoEntries(4, 4), want: sumTo(4), plans: [4] },
  // FRAME[0] = 3: odd, so r1 = b
  { name: 'two entries with different counts (left rolled)', src: twoEntries(4, 5), want: sumTo(5), plans: [] },
  // FRAME[0] & 7 = 3: four trips of 3
  { name: 'a bound from the packet (left rolled)', src: packetBound, want: 12, plans: [] },
];

describe('inner loops unrolled by the verified JIT', () => {
  let dp: Datapath;
  beforeAll(async () => {
    dp = await Datapath.create();
  });

  it.each(CASES)('$name', async (c) => {
    const insns = assemble(c.src);
    const layout = analyze(insns);
    const plans = [...unrollPlans(insns, layout.subprograms[0]!).values()].map((p) => p.count);
    expect(plans).toEqual(c.plans);
    for (const engine of ['interp', 'jit-checked', 'jit-unchecked'] as const) {
      const prog = await dp.loadInsns(assemble(c.src), {
        engine: engine === 'interp' ? 'interp' : 'jit',
        checked: engine !== 'jit-unchecked',
        verify: false,
      } as Parameters<Datapath['loadInsns']>[1]);
      expect(prog.testRun({ data: FRAME }).retval >>> 0, engine).toBe(c.want >>> 0);
    }
  });
});
