// Byte reductions vectorised by the verified JIT (src/jit/vectorize.ts). Each program runs on the
// interpreter, the checked JIT (never vectorises) and the unchecked JIT, on frames of lengths around
// the 16-byte step (a step fits or not, the bound lands inside a step), against r0 worked out by hand
// from the loop's formula; vectorPlans is asked directly whether it vectorises and with which lanes.
// Near misses must not be vectorised: a counter from the packet, a value over 2^32, a temporary the
// exit reads, a byte from the previous iteration, an exit on the data, a store, an equality that
// must hold, two counters.

import { beforeAll, describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { analyze } from '../../src/jit/cfg.js';
import { vectorPlans } from '../../src/jit/vectorize.js';

const LENGTHS = [14, 15, 16, 17, 31, 32, 33, 47, 64, 100, 127, 128, 129, 200, 300];
const frame = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 29 + 3) & 0xff);

/**
 * The loop_bytes shape: for (i = START; i < N; i++) { if (p + i + 1 + D > end) break; r0 OP= f }.
 * `body` computes r5 from r4 (the byte p[i + D]) and r3 (i + 1, already incremented).
 */
const byteLoop = (o: { n: number; body: string; fold?: string; start?: number; d?: number; init?: string; after?: string; counter?: string }): string => `r2 = *(u32 *)(r1 + 4)
r1 = *(u32 *)(r1 + 0)
${o.counter ?? `r3 = ${o.start ?? 0}`}
r0 = 0
${o.init ?? ''}
loop:
r4 = r1
r4 += r3
r5 = r4
r5 += ${1 + (o.d ?? 0)}
if r5 > r2 goto out
r4 = *(u8 *)(r4 + ${o.d ?? 0})
r3 += 1
${o.body}
${o.fold ?? 'r0 += r5'}
if r3 != ${o.n} goto loop
out:
${o.after ?? ''}
exit`;

/** r0 = Σ of the little-endian u`size*8` words at p + size·i, for i < n while they fit the frame. */
const wordLoop = (size: 2 | 4, n: number): string => `r2 = *(u32 *)(r1 + 4)
r1 = *(u32 *)(r1 + 0)
r3 = 0
r0 = 0
loop:
r4 = r3
r4 <<= ${size === 2 ? 1 : 2}
r4 += r1
r5 = r4
r5 += ${size}
if r5 > r2 goto out
r4 = *(u${size * 8} *)(r4 + 0)
r0 += r4
r3 += 1
if r3 != ${n} goto loop
out:
exit`;
const words = (p: Uint8Array, size: 2 | 4, n: number): bigint => {
  let acc = 0n;
  for (let i = 0; i < n && size * (i + 1) <= p.length; i++) {
    let w = 0n;
    for (let k = size - 1; k >= 0; k--) w = (w << 8n) | BigInt(p[size * i + k]!);
    acc += w;
  }
  return acc;
};

interface Case {
  name: string;
  src: string;
  /** r0 (low 32 bits) on a frame of n bytes, from the loop's formula. */
  want: (p: Uint8Array) => bigint;
  /** The lanes vectorised with, or undefined when the loop must be left as written. */
  width: 16 | 32 | undefined;
  /** Loops vectorised (default 1). */
  loops?: number;
}

/** Σ f(p[i + d], i) over the iterations the loop runs: i from start while i < n and i + d < length. */
const fold = (p: Uint8Array, o: { n: number; start?: number; d?: number }, f: (b: bigint, i: bigint) => bigint, op: (a: bigint, b: bigint) => bigint = (a, b) => a + b, init = 0n): bigint => {
  let acc = init;
  for (let i = o.start ?? 0; i < o.n && i + (o.d ?? 0) < p.length; i++) acc = op(acc, f(BigInt(p[i + (o.d ?? 0)]!), BigInt(i)));
  return acc;
};
const M64 = (1n << 64n) - 1n;

const CASES: Case[] = [
  {
    name: 'loop_bytes: sum += p[i] * (i + 1), 128 bytes (16-bit lanes)',
    src: byteLoop({ n: 128, body: 'r5 = r3\nr5 *= r4' }),
    want: (p) => fold(p, { n: 128 }, (b, i) => b * (i + 1n)),
    width: 16,
  },
  {
    name: 'a bound inside a step: 20 bytes at most',
    src: byteLoop({ n: 20, body: 'r5 = r3\nr5 *= r4' }),
    want: (p) => fold(p, { n: 20 }, (b, i) => b * (i + 1n)),
    width: 16,
  },
  {
    // a step may not end on the last iteration: its exit test would be skipped
    name: 'a bound of 16 bytes: no whole step',
    src: byteLoop({ n: 16, body: 'r5 = r3\nr5 *= r4' }),
    want: (p) => fold(p, { n: 16 }, (b, i) => b * (i + 1n)),
    width: 16,
  },
  {
    name: 'from i = 3, the byte p[i + 2], a plain sum',
    src: byteLoop({ n: 90, start: 3, d: 2, body: 'r5 = r4' }),
    want: (p) => fold(p, { n: 90, start: 3, d: 2 }, (b) => b),
    width: 16,
  },
  {
    // the counter where the loop left, at either exit: min(n, length) iterations
    name: 'the counter read after the loop: sum + (iterations << 20)',
    src: byteLoop({ n: 70, body: 'r5 = r4\nr5 *= 3', after: 'r3 <<= 20\nr0 += r3' }),
    want: (p) => fold(p, { n: 70 }, (b) => 3n * b) + (BigInt(Math.min(70, p.length)) << 20n),
    width: 16,
  },
  {
    name: 'p[i]^2 * (i + 1) (over 2^16: 32-bit lanes)',
    src: byteLoop({ n: 128, body: 'r5 = r4\nr5 *= r4\nr5 *= r3' }),
    want: (p) => fold(p, { n: 128 }, (b, i) => b * b * (i + 1n)),
    width: 32,
  },
  {
    name: 'xor of (p[i] << 3) ^ i, 32-bit ALU inside',
    src: byteLoop({ n: 100, body: 'w5 = w4\nw5 <<= 3\nw5 ^= w3', fold: 'r0 ^= r5' }),
    want: (p) => fold(p, { n: 100 }, (b, i) => (b << 3n) ^ (i + 1n), (a, b) => a ^ b),
    width: 16,
  },
  {
    name: 'or of p[i] & 0xf0 | 1',
    src: byteLoop({ n: 128, body: 'r5 = r4\nr5 &= 0xf0\nr5 |= 1', fold: 'r0 |= r5' }),
    want: (p) => fold(p, { n: 128 }, (b) => (b & 0xf0n) | 1n, (a, b) => a | b),
    width: 16,
  },
  {
    // ALU32 folds zero-extend: the high half set before the loop is gone once any iteration ran
    // (the bytes from p[20]: frames of 20 bytes or fewer run no iteration and keep it)
    name: 'w0 += p[i + 20] with the high half of r0 set before (a fold zero-extends)',
    src: byteLoop({ n: 100, d: 20, body: 'r5 = r4', fold: 'w0 += w5', init: 'r0 = 0x1234\nr0 <<= 32\nr0 |= 7', after: 'r0 >>= 32\nr0 += 1' }),
    want: (p) => (p.length > 20 ? 1n : 0x1235n),
    width: 16,
  },
  {
    name: 'w0 += p[i] * 41 + i from 0xfffffff0: the low half',
    src: byteLoop({ n: 128, body: 'r5 = r4\nr5 *= 41\nr5 += r3\nr5 -= 1', fold: 'w0 += w5', init: 'r0 = 0xfffffff0' }),
    want: (p) => fold(p, { n: 128 }, (b, i) => b * 41n + i, (a, b) => (a + b) & 0xffffffffn, 0xfffffff0n),
    width: 16,
  },
  {
    // X does not read the counter: any start will do
    name: 'p[i] from i = p[0] & 1 (a start from the frame)',
    src: byteLoop({ n: 128, body: 'r5 = r4', counter: 'r3 = *(u8 *)(r1 + 0)\nr3 &= 1' }),
    want: (p) => fold(p, { n: 128, start: (p[0]! & 1) }, (b) => b),
    width: 16,
  },
  {
    name: 'u16 words at p + 2i, 40 at most (8 a step)',
    src: wordLoop(2, 40),
    want: (p) => words(p, 2, 40),
    width: 16,
  },
  {
    name: 'u32 words at p + 4i, 30 at most (4 a step, 32-bit lanes)',
    src: wordLoop(4, 30),
    want: (p) => words(p, 4, 30),
    width: 32,
  },
  {
    // no counter at all: the pointer is the induction variable, the frame's end the only exit
    name: 'u16 words by a pointer walking to the frame end',
    src: `r2 = *(u32 *)(r1 + 4)
r6 = *(u32 *)(r1 + 0)
r0 = 0
loop:
r5 = r6
r5 += 2
if r5 > r2 goto out
r4 = *(u16 *)(r6 + 0)
r0 += r4
r6 += 2
goto loop
out:
exit`,
    want: (p) => words(p, 2, 1 << 20),
    width: 16,
  },
  {
    // two vectorised loops in one function: a byte sum, then a xor of the same bytes
    name: 'two loops: Σ p[i], then r0 ^ the xor of p[i] << 4',
    src: `r2 = *(u32 *)(r1 + 4)
r1 = *(u32 *)(r1 + 0)
r3 = 0
r0 = 0
sum:
r4 = r1
r4 += r3
r5 = r4
r5 += 1
if r5 > r2 goto second
r4 = *(u8 *)(r4 + 0)
r0 += r4
r3 += 1
if r3 != 100 goto sum
second:
r3 = 0
r6 = 0
xor:
r4 = r1
r4 += r3
r5 = r4
r5 += 1
if r5 > r2 goto out
r4 = *(u8 *)(r4 + 0)
r4 <<= 4
r6 ^= r4
r3 += 1
if r3 != 100 goto xor
out:
r6 <<= 20
r0 += r6
exit`,
    want: (p) => fold(p, { n: 100 }, (b) => b) + (fold(p, { n: 100 }, (b) => b << 4n, (a, b) => a ^ b) << 20n),
    width: 16,
    loops: 2,
  },
  // near misses: left as written
  {
    // a u16 at p + i: iterations overlap, a v128 does not hold their values side by side
    name: 'near miss: u16 words at p + i (overlapping)',
    src: `r2 = *(u32 *)(r1 + 4)
r1 = *(u32 *)(r1 + 0)
r3 = 0
r0 = 0
loop:
r4 = r1
r4 += r3
r5 = r4
r5 += 2
if r5 > r2 goto out
r4 = *(u16 *)(r4 + 0)
r0 += r4
r3 += 1
if r3 != 100 goto loop
out:
exit`,
    want: (p) => {
      let acc = 0n;
      for (let i = 0; i < 100 && i + 2 <= p.length; i++) acc += BigInt(p[i]! | (p[i + 1]! << 8));
      return acc;
    },
    width: undefined,
  },
  {
    // X reads the counter, so its range must be known: from p[0] | 256, past the `!= 128` that
    // bounds it otherwise, p[i] * (i + 1) leaves 16 bits (frames of 300 bytes)
    name: 'near miss: the counter starts at a frame byte',
    src: byteLoop({ n: 128, body: 'r5 = r3\nr5 *= r4', counter: 'r3 = *(u8 *)(r1 + 0)\nr3 |= 0x100' }),
    want: (p) => fold(p, { n: 1 << 20, start: p[0]! | 0x100 }, (b, i) => b * (i + 1n)),
    width: undefined,
  },
  {
    // a word and its low byte, both at p + 2i: 2 bytes an iteration, but one load is not 2 bytes wide
    name: 'near miss: loads of two sizes',
    src: `r2 = *(u32 *)(r1 + 4)
r1 = *(u32 *)(r1 + 0)
r3 = 0
r0 = 0
loop:
r4 = r3
r4 <<= 1
r4 += r1
r5 = r4
r5 += 2
if r5 > r2 goto out
r6 = *(u16 *)(r4 + 0)
r7 = *(u8 *)(r4 + 0)
r6 += r7
r0 += r6
r3 += 1
if r3 != 60 goto loop
out:
exit`,
    want: (p) => {
      let acc = 0n;
      for (let i = 0; i < 60 && 2 * i + 2 <= p.length; i++) acc += BigInt(p[2 * i]! | (p[2 * i + 1]! << 8)) + BigInt(p[2 * i]!);
      return acc;
    },
    width: undefined,
  },
  {
    name: 'near miss: p[i] * 2^25 leaves 32 bits',
    src: byteLoop({ n: 128, body: 'r5 = r4\nr5 *= 0x2000000' }),
    want: (p) => fold(p, { n: 128 }, (b) => b * 0x2000000n) & M64,
    width: undefined,
  },
  {
    // r7 is the last byte summed: written after the first exit, read after it
    name: 'near miss: a temporary the bounds exit reads',
    src: byteLoop({ n: 128, body: 'r5 = r4\nr7 = r4', after: 'r7 *= 1000\nr0 += r7' }),
    want: (p) => fold(p, { n: 128 }, (b) => b) + (p.length > 0 ? BigInt(p[Math.min(p.length, 128) - 1]!) * 1000n : 0n),
    width: undefined,
  },
  {
    name: 'near miss: the previous byte times this one',
    src: byteLoop({ n: 128, body: 'r5 = r4\nr5 *= r7\nr7 = r4', init: 'r7 = 1' }),
    want: (p) => {
      let acc = 0n;
      let prev = 1n;
      for (let i = 0; i < Math.min(128, p.length); i++) {
        acc += BigInt(p[i]!) * prev;
        prev = BigInt(p[i]!);
      }
      return acc;
    },
    width: undefined,
  },
  {
    // r7 is written before the exit, but read first: p[i] times the previous i (5 before the first)
    name: 'near miss: a temporary read before it is written (the previous counter)',
    src: `r2 = *(u32 *)(r1 + 4)
r1 = *(u32 *)(r1 + 0)
r3 = 0
r0 = 0
r7 = 5
loop:
r5 = r7
r7 = r3
r4 = r1
r4 += r3
r6 = r4
r6 += 1
if r6 > r2 goto out
r4 = *(u8 *)(r4 + 0)
r3 += 1
r5 *= r4
r0 += r5
if r3 != 128 goto loop
out:
exit`,
    want: (p) => fold(p, { n: 128 }, (b, i) => b * (i === 0n ? 5n : i - 1n)),
    width: undefined,
  },
  {
    // the same carried value read after the loop only: r5 is the counter of the iteration before the exit
    name: 'near miss: the previous counter read after the loop',
    src: `r2 = *(u32 *)(r1 + 4)
r1 = *(u32 *)(r1 + 0)
r3 = 0
r0 = 0
r7 = 5
loop:
r5 = r7
r7 = r3
r4 = r1
r4 += r3
r6 = r4
r6 += 1
if r6 > r2 goto out
r4 = *(u8 *)(r4 + 0)
r3 += 1
r0 += r4
if r3 != 128 goto loop
out:
r5 <<= 20
r0 += r5
exit`,
    want: (p) => fold(p, { n: 128 }, (b) => b) + (BigInt(p.length < 128 ? p.length - 1 : 126) << 20n),
    width: undefined,
  },
  {
    // goes on only while i + 1 == 50: one iteration
    name: 'near miss: an exit taken unless the counter equals a value',
    src: `r2 = *(u32 *)(r1 + 4)
r1 = *(u32 *)(r1 + 0)
r3 = 0
r0 = 0
loop:
r4 = r1
r4 += r3
r5 = r4
r5 += 1
if r5 > r2 goto out
r4 = *(u8 *)(r4 + 0)
r3 += 1
r0 += r4
if r3 != 50 goto out
if r3 != 128 goto loop
out:
exit`,
    want: (p) => BigInt(p[0]!),
    width: undefined,
  },
  {
    name: 'near miss: the loop ends at a byte 0xff',
    src: byteLoop({ n: 128, body: 'r5 = r4\nif r4 == 0xff goto out' }),
    want: (p) => {
      let acc = 0n;
      for (let i = 0; i < Math.min(128, p.length); i++) {
        if (p[i] === 0xff) break;
        acc += BigInt(p[i]!);
      }
      return acc;
    },
    width: undefined,
  },
  {
    // p[i] += 1 in place, then p[13] read back after the loop
    name: 'near miss: a store in the loop',
    src: `r2 = *(u32 *)(r1 + 4)
r1 = *(u32 *)(r1 + 0)
r3 = 0
r0 = 0
loop:
r4 = r1
r4 += r3
r5 = r4
r5 += 1
if r5 > r2 goto out
r5 = *(u8 *)(r4 + 0)
r5 += 1
*(u8 *)(r4 + 0) = r5
r3 += 1
r0 += r5
if r3 != 128 goto loop
out:
r1 = *(u8 *)(r1 + 13)
r1 <<= 24
r0 += r1
exit`,
    want: (p) => fold(p, { n: 128 }, (b) => b + 1n) + (BigInt((p[13]! + 1) & 0xff) << 24n),
    width: undefined,
  },
  {
    // r6 + i from 2^64 - 8 wraps to 0 at i = 8, which is below 5: the first and the last of a step
    // (2^64 - 8 and 7) both stay, the lanes between do not
    name: 'near miss in effect: a compared value that wraps inside a step (no step runs)',
    src: `r2 = *(u32 *)(r1 + 4)
r1 = *(u32 *)(r1 + 0)
r6 = -8
r3 = 0
r0 = 0
loop:
r4 = r6
r4 += r3
if r4 < 5 goto out
r4 = r1
r4 += r3
r4 = *(u8 *)(r4 + 0)
r3 += 1
r0 += r4
if r3 != 128 goto loop
out:
exit`,
    want: (p) => fold(p, { n: 8 }, (b) => b),
    width: 16,
  },
  {
    name: 'near miss: p[i] - 100 (negative values)',
    src: byteLoop({ n: 128, body: 'r5 = r4\nr5 -= 100' }),
    want: (p) => fold(p, { n: 128 }, (b) => b - 100n) & M64,
    width: undefined,
  },
  {
    name: 'near miss: p[i] + (p[i] >> 16) (a shift by the lane width)',
    src: byteLoop({ n: 128, body: 'r5 = r4\nr5 >>= 16\nr5 += r4' }),
    want: (p) => fold(p, { n: 128 }, (b) => b),
    width: undefined,
  },
  {
    name: 'near miss: two counters',
    src: byteLoop({ n: 128, body: 'r5 = r4\nr5 += r8\nr8 += 1' }),
    want: (p) => fold(p, { n: 128 }, (b, i) => b + i),
    width: undefined,
  },
];

describe('byte reductions vectorised by the verified JIT', () => {
  let dp: Datapath;
  beforeAll(async () => {
    dp = await Datapath.create();
  });

  it.each(CASES)('$name', async (c) => {
    const insns = assemble(c.src);
    const plans = [...vectorPlans(insns, analyze(insns).subprograms[0]!).values()];
    expect(plans.map((p) => p.width)).toEqual(c.width ? new Array(c.loops ?? 1).fill(c.width) : []);
    for (const engine of ['interp', 'jit-checked', 'jit-unchecked'] as const) {
      const prog = await dp.loadInsns(assemble(c.src), {
        engine: engine === 'interp' ? 'interp' : 'jit',
        checked: engine !== 'jit-unchecked',
        verify: false,
      } as Parameters<Datapath['loadInsns']>[1]);
      for (const n of LENGTHS) {
        const p = frame(n);
        expect(BigInt(prog.testRun({ data: p }).retval >>> 0), `${engine}, ${n} bytes`).toBe(c.want(p) & 0xffffffffn);
      }
    }
  });
});
