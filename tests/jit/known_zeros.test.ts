// Known zero bits (src/jit/known_zeros.ts) and the two lowerings that use the bit structure of a line of
// ALU instructions: a 64-bit `or` of operands with no bit in common as an `add` (V8 folds a shift into
// it: one leaq), and `rX >>= n; rX &= 1; rX = -rX` as `shl 63 - n; arsh 63`. The facts are worked out
// by hand from the instructions; each program runs on the interpreter, the checked JIT and the unchecked
// JIT, against r0 worked out by hand from the frame's bytes.

import { beforeAll, describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { HelperTable } from '../../src/helpers/index.js';
import { Interpreter } from '../../src/interp/index.js';
import { Alu32, Alu64, Ins, insn } from '../../src/isa/insn.js';
import { AluOp, Class, Source } from '../../src/isa/opcodes.js';
import { compile, jitText } from '../../src/jit/index.js';
import { KnownZeros } from '../../src/jit/known_zeros.js';
import { defaultMemory } from './harness.js';

const ALL = (1n << 64n) - 1n;

describe('known zero bits in a straight line', () => {
  it('narrow loads, masks, constant shifts and their copies', () => {
    const z = new KnownZeros();
    z.step(Ins.ldx('b', 3, 2, 0)); //   r3 = u8: bits 8..63 zero
    expect(z.of(3)).toBe(ALL ^ 0xffn);
    z.step(Alu64.lsh.imm(3, 4)); //     r3 <<= 4: bits 0..3 and 12..63
    expect(z.of(3)).toBe(ALL ^ 0xff0n);
    z.step(Alu64.rsh.imm(3, 8)); //     r3 >>= 8: only bits 0..3 can be set
    expect(z.of(3)).toBe(ALL ^ 0xfn);
    z.step(Alu64.mov.reg(4, 3)); //     r4 = r3
    expect(z.of(4)).toBe(ALL ^ 0xfn);
    z.step(Alu64.and.imm(5, 6)); //     r5 &= 6
    expect(z.of(5)).toBe(ALL ^ 6n);
    z.step(Alu64.or.reg(4, 5)); //      r4 |= r5: a bit either can set
    expect(z.of(4)).toBe(ALL ^ 0xfn);
    z.step(Alu64.and.imm(6, -2)); //    r6 &= -2 (sign-extended): bit 0
    expect(z.of(6)).toBe(1n);
    z.step(Alu32.add.reg(7, 1)); //     w7 += w1: the upper half
    expect(z.of(7)).toBe(ALL ^ 0xffffffffn);
    z.step(Ins.lddw(8, 0xf0n)[0]!); //  r8 = 0xf0
    expect(z.of(8)).toBe(ALL ^ 0xf0n);
  });

  it('forgets what an unknown write, a variable shift, a sign-extending load or a call makes', () => {
    const z = new KnownZeros();
    z.step(Ins.ldx('b', 3, 2, 0));
    z.step(Alu64.add.imm(3, 1)); //     r3 += 1: not followed
    expect(z.of(3)).toBe(0n);
    z.step(Ins.ldx('b', 3, 2, 0));
    z.step(Alu64.lsh.reg(3, 4)); //     r3 <<= r4
    expect(z.of(3)).toBe(0n);
    z.step(Ins.ldxs('b', 3, 2, 0)); //  r3 = (s8)
    expect(z.of(3)).toBe(0n);
    z.step(Alu64.mov.imm(1, 1));
    z.step(Alu64.mov.imm(6, 1));
    z.step(Ins.call(1)); //             r0-r5 clobbered, r6 kept
    expect(z.of(1)).toBe(0n);
    expect(z.of(6)).toBe(ALL ^ 1n);
    z.step(Alu64.mov.imm(6, 1));
    z.reset();
    expect(z.of(6)).toBe(0n);
  });

  it('byte swaps: be64 and bswap64 of 64 bits are 64-bit even in the ALU class; be/bswap move the zero bytes, le truncates', () => {
    const z = new KnownZeros();
    const end = (cls: number, src: number, dst: number, bits: number) => insn(cls | AluOp.END | src, dst, 0, 0, bits);
    z.step(Ins.ldx('h', 3, 2, 0)); //                    r3 = u16: bytes 0-1 may be set
    z.step(end(Class.ALU, Source.X, 3, 64)); //           be64 r3: bytes 6-7 may be set
    expect(z.of(3)).toBe(0x0000_ffff_ffff_ffffn);
    z.step(Ins.ldx('h', 4, 2, 0));
    z.step(end(Class.ALU64, Source.K, 4, 64)); //         bswap64 r4: the same
    expect(z.of(4)).toBe(0x0000_ffff_ffff_ffffn);
    z.step(Ins.ldx('b', 5, 2, 0)); //                    r5 = u8
    z.step(end(Class.ALU, Source.X, 5, 32)); //           be32 r5: byte 3 only
    expect(z.of(5)).toBe(ALL ^ 0xff00_0000n);
    z.step(Ins.ldx('b', 6, 2, 0));
    z.step(end(Class.ALU, Source.X, 6, 16)); //           be16 r6: byte 1 only
    expect(z.of(6)).toBe(ALL ^ 0xff00n);
    z.step(Ins.ldx('h', 7, 2, 0));
    z.step(end(Class.ALU, Source.K, 7, 64)); //           le64 r7 (little-endian host): unchanged
    expect(z.of(7)).toBe(ALL ^ 0xffffn);
    z.step(end(Class.ALU, Source.K, 8, 16)); //           le16 r8 of anything: bits 16..63 zero
    expect(z.of(8)).toBe(ALL ^ 0xffffn);
    z.step(end(Class.ALU, Source.X, 9, 64)); //           be64 of an unknown register: nothing
    expect(z.of(9)).toBe(0n);
  });

  it('be64 of 0x7fff ORed with 1 << 63 keeps bit 63 (a JIT fuzz counterexample: it was lowered as an add)', async () => {
    // r0 = 0x7fff; r3 = 1 << 63; be64 r0 (0xff7f000000000000); r3 |= r0; le16 r0 (0)
    const prog = [
      ...Ins.lddw(0, 0x7fffn),
      ...Ins.lddw(3, 0x8000_0000_0000_0000n),
      insn(Class.ALU | AluOp.END | Source.X, 0, 0, 0, 64),
      Alu64.or.reg(3, 0),
      insn(Class.ALU | AluOp.END | Source.K, 0, 0, 0, 16),
      Alu64.mov.reg(0, 3),
      Ins.exit(),
    ];
    const want = 0xff7f_0000_0000_0000n;
    expect(new Interpreter(prog, { memory: defaultMemory, helpers: new HelperTable() }).run({ args: [], regions: [] }).r0).toBe(want);
    for (const optimize of [false, true]) {
      const p = await compile(prog, { memory: defaultMemory, helpers: new HelperTable(), optimize });
      expect(p.run({ args: [], regions: [] }).r0).toBe(want);
    }
  });

  it('disjoint: every bit known zero in one of the two, and never a register with itself', () => {
    const z = new KnownZeros();
    z.step(Alu64.lsh.imm(3, 1)); //  bit 0 zero
    z.step(Alu64.and.imm(4, 1)); //  only bit 0
    z.step(Alu64.and.imm(5, 3)); //  bits 0, 1
    expect(z.disjoint(3, 4)).toBe(true);
    expect(z.disjoint(4, 3)).toBe(true);
    expect(z.disjoint(3, 5)).toBe(false);
    expect(z.disjoint(4, 4)).toBe(false);
    z.step(Alu64.mov.imm(6, 0));
    expect(z.disjoint(6, 6)).toBe(false);
  });
});

// FRAME[i] = i * 29 + 3: 3, 32, 61, 90
const FRAME = Uint8Array.from({ length: 64 }, (_, i) => (i * 29 + 3) & 0xff);
const HEAD = `r2 = *(u32 *)(r1 + 0)
r3 = *(u8 *)(r2 + 0)
r4 = *(u8 *)(r2 + 1)
r5 = *(u8 *)(r2 + 2)
`;

const CASES = [
  // 3 << 8 | 32 = 0x320: no bit in common, an add
  { name: 'a byte shifted over another (add)', src: `${HEAD}r3 <<= 8\nr3 |= r4\nr0 = r3\nexit`, want: 0x320, add: true },
  // 3 << 1 = 6, 3 & 3 = 3: bit 1 in both, 6 | 3 = 7 (an add would give 9)
  { name: 'bits in common (or)', src: `${HEAD}r3 <<= 1\nr6 = *(u8 *)(r2 + 0)\nr6 &= 3\nr3 |= r6\nr0 = r3\nexit`, want: 7, add: false },
  // r4 = 32 unmasked: nothing known of it, 3 << 1 | 32 = 38
  { name: 'an operand of unknown bits (or)', src: `${HEAD}r3 <<= 1\nr4 += 0\nr3 |= r4\nr0 = r3\nexit`, want: 38, add: false },
];

const MASKS = [
  // 61 = 0b111101: bit 2 set -> all ones, & 0x55
  { name: 'bit 2 by a constant shift', src: `${HEAD}r5 >>= 2\nr5 &= 1\nr5 = -r5\nr5 &= 0x55\nr0 = r5\nexit`, want: 0x55, shr_s: true },
  // bit 1 of 61 is clear -> 0
  { name: 'bit 1 by a register', src: `${HEAD}r6 = 1\nr5 >>= r6\nr5 &= 1\nr5 = -r5\nr0 = r5\nexit`, want: 0, shr_s: true },
  // a count of 66 reads as 2 (mod 64): bit 2 -> all ones; r0 the low 32 bits
  { name: 'a count read mod 64', src: `${HEAD}r6 = 66\nr5 >>= r6\nr5 &= 1\nr5 = -r5\nr0 = r5\nexit`, want: -1, shr_s: true },
  // & 3 is not a bit: 61 >> 2 = 15, & 3 = 3, -3
  { name: 'a mask of two bits (not this)', src: `${HEAD}r5 >>= 2\nr5 &= 3\nr5 = -r5\nr0 = r5\nexit`, want: -3, shr_s: false },
  // the count register is the shifted one: 61 >> (61 mod 64) = 0
  { name: 'the register shifted by itself (not this)', src: `${HEAD}r5 >>= r5\nr5 &= 1\nr5 = -r5\nr0 = r5\nexit`, want: 0, shr_s: false },
];

/** The text of the module's `run` (not `repeat`, whose test of its arguments is an or of them). */
const runFunction = (text: string): string => {
  const at = text.indexOf('(func $run ');
  const end = text.indexOf('\n (func ', at + 1);
  return text.slice(at, end < 0 ? undefined : end);
};

describe('lowerings that use the bits', () => {
  let dp: Datapath;
  beforeAll(async () => {
    dp = await Datapath.create();
  });

  const run = async (src: string, want: number): Promise<void> => {
    for (const engine of ['interp', 'jit-checked', 'jit-unchecked'] as const) {
      const prog = await dp.loadInsns(assemble(src), {
        engine: engine === 'interp' ? 'interp' : 'jit',
        checked: engine !== 'jit-unchecked',
        verify: false,
      } as Parameters<Datapath['loadInsns']>[1]);
      expect(prog.testRun({ data: FRAME }).retval >>> 0, engine).toBe(want >>> 0);
    }
  };

  it.each(CASES)('or: $name', async (c) => {
    await run(c.src, c.want);
    const text = await jitText(assemble(c.src), { memory: defaultMemory, checked: false, optimize: 'none' });
    expect(runFunction(text).includes('i64.or')).toBe(!c.add);
  });

  it.each(MASKS)('bit mask: $name', async (c) => {
    await run(c.src, c.want);
    const text = await jitText(assemble(c.src), { memory: defaultMemory, checked: false, optimize: 'none' });
    expect(runFunction(text).includes('i64.shr_s')).toBe(c.shr_s);
  });
});
