// Inner loops with a trip count known at compile time, unrolled by the verified JIT (src/jit/unroll.ts).
// Each program runs on the interpreter, the checked JIT (never unrolls) and the unchecked JIT, against
// r0 worked out by hand; unrollPlans is asked directly which loops it unrolls and how many times, with
// near misses: the most trips (16) and one more, a counter that wraps in 32 bits, a count one entry
// path changes, a bound read from the packet. Chains (a loop of several blocks whose side exits the data
// decides: loop_csum's header copy) run on frames of every length and count up to past their bound.

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

/**
 * A chain: r0 = frame[10..10 + k) folded as r0 * 3 + byte, then r0 << 8 | k, where k = min(n, bound, len - 10)
 * (n = frame[0]): the copy loop's two side exits (the count, the frame's end) and a constant bound.
 * The count's exit is taken to leave, as clang writes it, or `inverted`: taken on into the loop, the way
 * out the fall-through. `sideExit` adds a block with one more exit test; `boundReg`, a bound from the frame;
 * `lean` sums the bytes (no multiply: a smaller body, so the trip limit binds before the size limit).
 */
const chain = (bound: number, opts: { inverted?: boolean; boundReg?: boolean; sideExit?: string; lean?: boolean } = {}): string => `r6 = *(u32 *)(r1 + 0)
r7 = *(u32 *)(r1 + 4)
r8 = r6
r8 += 1
r0 = 0
r4 = 0
if r8 > r7 goto out
r8 = *(u8 *)(r6 + 0)
r9 = ${bound}
${opts.boundReg ? 'r9 = *(u8 *)(r6 + 0)\nr9 &= 7' : ''}
r5 = r6
r5 += 11
${opts.inverted ? 'loop:\nif r4 < r8 goto body\nout:\nr0 <<= 8\nr0 |= r4\nexit\nbody:' : 'loop:\nif r4 >= r8 goto out'}
${opts.sideExit ?? ''}
if r5 > r7 goto out
r2 = *(u8 *)(r5 - 1)
${opts.lean ? '' : 'r0 *= 3'}
r0 += r2
r5 += 1
r4 += 1
if r4 != r9 goto loop
${opts.inverted ? 'goto out' : 'out:\nr0 <<= 8\nr0 |= r4\nexit'}`;

/** What `chain` answers on `frame`. */
function chainWant(frame: Uint8Array, bound: number, extra?: (i: number) => boolean, mul = 3n): number {
  let acc = 0n;
  let k = 0;
  for (; k !== bound; k++) {
    if (k >= frame[0]! || extra?.(k) || k + 11 > frame.length) break;
    acc = BigInt.asUintN(64, acc * mul + BigInt(frame[10 + k]!));
  }
  return Number(BigInt.asUintN(32, (acc << 8n) | BigInt(k)));
}

describe('chains of loop blocks unrolled with their side exits', () => {
  let dp: Datapath;
  beforeAll(async () => {
    dp = await Datapath.create();
  });
  const cases: Array<{ name: string; src: string; bound: number; plans: number[]; blocks?: number; extra?: (i: number) => boolean; mul?: bigint }> = [
    { name: 'the copy loop: 6 trips, two side exits', src: chain(6), bound: 6, plans: [6] },
    { name: 'the exit test inverted (on into the loop when taken)', src: chain(6, { inverted: true }), bound: 6, plans: [6] },
    { name: '32 trips (the most)', src: chain(32), bound: 32, plans: [32] },
    { name: '28 trips of 9 instructions (252)', src: chain(28, { sideExit: 'if r4 > 100 goto out' }), bound: 28, plans: [28], blocks: 4 },
    { name: '29 trips of 9 instructions (261, past the size limit: left rolled)', src: chain(29, { sideExit: 'if r4 > 100 goto out' }), bound: 29, plans: [] },
    { name: '32 trips of 7 instructions', src: chain(32, { lean: true }), bound: 32, plans: [32], mul: 1n },
    { name: '33 trips of 7 instructions (past the trip limit: left rolled)', src: chain(33, { lean: true }), bound: 33, plans: [], mul: 1n },
    { name: 'a side exit the constants take at the 3rd trip (left rolled)', src: chain(6, { sideExit: 'if r4 > 2 goto out' }), bound: 6, plans: [], extra: (i) => i > 2 },
    { name: 'a side exit the constants never take', src: chain(6, { sideExit: 'if r4 > 100 goto out' }), bound: 6, plans: [6], blocks: 4 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const insns = assemble(c.src);
      const plans = [...unrollPlans(insns, analyze(insns).subprograms[0]!).values()];
      expect(plans.map((p) => p.count)).toEqual(c.plans);
      for (const p of plans) expect(p.chain?.length).toBe(c.blocks ?? 3);
      for (const engine of ['interp', 'jit-checked', 'jit-unchecked'] as const) {
        const prog = await dp.loadInsns(assemble(c.src), { engine: engine === 'interp' ? 'interp' : 'jit', checked: engine !== 'jit-unchecked', verify: false } as Parameters<Datapath['loadInsns']>[1]);
        for (let len = 14; len <= c.bound + 12; len++) {
          for (const n of [0, 1, 2, c.bound - 1, c.bound, c.bound + 1, 255]) {
            const frame = Uint8Array.from({ length: len }, (_, i) => (i === 0 ? n : (i * 29 + 3) & 0xff));
            expect(prog.testRun({ data: frame }).retval >>> 0, `${engine}: ${len} bytes, n = ${n}`).toBe(chainWant(frame, c.bound, c.extra, c.mul));
          }
        }
      }
    });
  }
  it('a bound from the packet (left rolled)', () => {
    const insns = assemble(chain(6, { boundReg: true }));
    expect([...unrollPlans(insns, analyze(insns).subprograms[0]!).values()]).toEqual([]);
  });
});
