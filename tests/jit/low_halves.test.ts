// Low halves (src/jit/low_halves.ts): what the low 32 bits of a register are in terms of other
// registers, within a block and across the CFG, and the JIT code that reads them (the addresses of
// unchecked loads and stores). Expectations are worked out by hand from the instructions.

import { describe, expect, it } from 'vitest';
import { Alu32, Alu64, Ins, Jmp, type Insn } from '../../src/isa/insn.js';
import { AtomicOp } from '../../src/isa/opcodes.js';
import { analyze } from '../../src/jit/cfg.js';
import { blockEntries, lowHalvesOf, type LowHalf } from '../../src/jit/low_halves.js';
import { jitText } from '../../src/jit/index.js';
import { INPUT_BASE } from '../../src/runtime/memory.js';
import { defaultMemory, r0Of } from './harness.js';

const sum = (a: number, k = 0, b?: number): LowHalf => (b === undefined ? { kind: 'sum', a, k } : { kind: 'sum', a, b, k });
const zext = (a: number): LowHalf => ({ kind: 'zext', a });
const facts = (...pairs: Array<[number, LowHalf]>): Map<number, LowHalf> => new Map(pairs);

describe('low halves in a straight line', () => {
  it('a pointer plus an index: known until a register it names is written', () => {
    const block = [
      Alu64.mov.reg(4, 1), //  r4 = r1
      Alu64.add.reg(4, 3), //  r4 += r3
      Alu64.mov.reg(5, 4), //  r5 = r4
      Alu64.add.imm(5, 1), //  r5 += 1
      Ins.ldx('b', 4, 4, 0), // r4 = *(u8 *)(r4 + 0)
      Alu64.add.imm(3, 1), //  r3 += 1
      Ins.exit(),
    ];
    expect(lowHalvesOf(block)).toEqual([
      facts(),
      facts([4, sum(1)]),
      facts([4, sum(1, 0, 3)]),
      facts([4, sum(1, 0, 3)], [5, sum(1, 0, 3)]),
      facts([4, sum(1, 0, 3)], [5, sum(1, 1, 3)]),
      facts([5, sum(1, 1, 3)]), // r4 written by the load
      facts(), //                  r3 written: r5's fact named it
    ]);
  });

  it("clang's zero extension `<<= 32; >>= 32` of a copy, and a 32-bit mov, are zext facts", () => {
    const block = [
      Alu64.mov.reg(7, 1), //  r7 = r1
      Alu64.lsh.imm(7, 32), // r7 <<= 32   (internal: r7 = r1 << 32, not reported)
      Alu64.rsh.imm(7, 32), // r7 >>= 32
      Alu32.mov.reg(2, 7), //  w2 = w7: the low half of r7 is r1's
      Alu64.mov.reg(3, 2), //  r3 = r2 takes r2's fact
      Alu64.add.imm(3, -5), // r3 -= 5 (as an add of -5)
      Alu64.add.imm(1, -1), // r1 -= 1: every fact above names r1
      Ins.exit(),
    ];
    expect(lowHalvesOf(block)).toEqual([
      facts(),
      facts([7, sum(1)]),
      facts(),
      facts([7, zext(1)]),
      facts([7, zext(1)], [2, zext(1)]),
      facts([7, zext(1)], [2, zext(1)], [3, zext(1)]),
      facts([7, zext(1)], [2, zext(1)], [3, sum(1, -5)]),
      facts(),
    ]);
  });

  it('makes nothing of self-references, sign extensions and arithmetic arshes', () => {
    const movsx32: Insn = { ...Alu64.mov.reg(2, 1), off: 32 };
    const block = [
      Alu64.mov.reg(1, 1), //  r1 = r1
      movsx32, //              r2 = (s32) r1: not a copy
      Alu64.mov.reg(4, 1), //  r4 = r1
      Alu64.add.reg(4, 4), //  r4 += r4: names r4 itself
      Alu64.mov.reg(6, 1), //  r6 = r1
      Alu64.lsh.imm(6, 32),
      Alu64.arsh.imm(6, 32), // sign extension: no fact
      Alu32.mov.reg(1, 1), //  w1 = w1: names r1 itself
      Ins.exit(),
    ];
    expect(lowHalvesOf(block)).toEqual([facts(), facts(), facts(), facts([4, sum(1)]), facts(), facts([6, sum(1)]), facts(), facts(), facts()]);
  });

  it('a call clobbers r0–r5, an atomic fetch its src, ld_imm64 its dst', () => {
    const block = [
      Alu64.mov.reg(6, 1), // r6 = r1
      Alu64.mov.reg(2, 7), // r2 = r7
      Alu64.mov.reg(8, 9), // r8 = r9
      Ins.call(1), //          r0–r5 written: r6's fact (r1) and r2's go
      Alu64.mov.reg(3, 8), // r3 = r8 takes r8's fact (r9)
      Ins.atomic('dw', 10, 9, -8, AtomicOp.ADD | AtomicOp.FETCH), // writes r9
      Alu64.mov.reg(4, 7),
      ...Ins.lddw(7, 5n), //   writes r7 (the tail is no instruction)
      Ins.exit(),
    ];
    expect(lowHalvesOf(block)).toEqual([
      facts(),
      facts([6, sum(1)]),
      facts([6, sum(1)], [2, sum(7)]),
      facts([6, sum(1)], [2, sum(7)], [8, sum(9)]),
      facts([8, sum(9)]),
      facts([8, sum(9)], [3, sum(9)]),
      facts(),
      facts([4, sum(7)]),
      facts(),
      facts(),
    ]);
  });
});

describe('low halves across blocks', () => {
  const entriesOf = (p: Insn[]): Map<number, ReadonlyMap<number, unknown>> => blockEntries(p, analyze(p).subprograms[0]!);

  it('a branch passes its facts to both successors; a join keeps what both bring', () => {
    const p = [
      Alu64.mov.reg(4, 1), //      0  r4 = r1
      Alu64.add.reg(4, 3), //      1  r4 += r3
      Jmp.jgt.reg(4, 2, 2), //     2  if r4 > r2 goto 5
      Ins.ldx('b', 0, 4, 0), //    3  r0 = *(u8 *)(r4 + 0)     entry {r4: r1 + r3}
      Alu64.mov.reg(5, 1), //      4  r5 = r1
      Ins.exit(), //               5  entry: r4's fact from both; r5's only from one
    ];
    const e = entriesOf(p);
    expect(e.get(0)).toEqual(facts());
    expect(e.get(3)).toEqual(facts([4, sum(1, 0, 3)]));
    expect(e.get(5)).toEqual(facts([4, sum(1, 0, 3)]));
  });

  it('a loop keeps a fact nothing in it disturbs, and drops one the body breaks', () => {
    const keeps = [
      Alu64.mov.reg(4, 1), //      0  r4 = r1
      Alu64.add.imm(4, 2), //      1  r4 += 2
      Ins.ldx('b', 5, 4, 0), //    2  loop: r5 = *(u8 *)(r4 + 0)
      Alu64.add.reg(6, 5), //      3  r6 += r5
      Jmp.jlt.imm(6, 100, -3), //  4  if r6 < 100 goto 2
      Ins.exit(), //               5
    ];
    let e = entriesOf(keeps);
    expect(e.get(2)).toEqual(facts([4, sum(1, 2)]));
    expect(e.get(5)).toEqual(facts([4, sum(1, 2)]));
    const breaks = [keeps[0]!, keeps[1]!, keeps[2]!, Alu64.add.imm(1, 1), keeps[3]!, Jmp.jlt.imm(6, 100, -4), keeps[5]!];
    e = entriesOf(breaks);
    expect(e.get(2)).toEqual(facts());
    expect(e.get(6)).toEqual(facts());
  });

  it('the entry block knows nothing, even as the target of a back edge', () => {
    const p = [
      Alu64.mov.reg(2, 1), //      0  r2 = r1
      Jmp.jlt.imm(1, 10, -2), //   1  if r1 < 10 goto 0
      Alu64.mov.reg(0, 2), //      2  entry {r2: r1}
      Ins.exit(),
    ];
    const e = entriesOf(p);
    expect(e.get(0)).toEqual(facts());
    expect(e.get(2)).toEqual(facts([2, sum(1)]));
  });
});

describe('JIT code that reads low halves', () => {
  const input = Uint8Array.from({ length: 16 }, (_, i) => 0x10 + i);

  it('loads and stores through a pointer built in an earlier block, and after its source moved', async () => {
    const p = [
      Alu64.mov.imm(3, 5), //      r3 = 5
      Alu64.mov.reg(4, 1), //      r4 = input
      Alu64.add.reg(4, 3), //      r4 = input + 5
      Alu64.add.imm(4, -1), //     r4 = input + 4
      Jmp.jeq.imm(3, 0, 9), //     never taken (to the exit): the loads below are in the next block
      Ins.ldx('b', 0, 4, 0), //    r0 = input[4] = 0x14
      Ins.ldx('b', 5, 4, -2), //   r5 = input[2] = 0x12
      Alu64.lsh.imm(0, 8),
      Alu64.or.reg(0, 5), //       r0 = 0x1412
      Alu64.add.imm(1, 1), //      r1 moves: r4 must not follow it
      Ins.stx('b', 4, 0, 3), //    input[7] = 0x12
      Ins.ldx('b', 6, 4, 1), //    r6 = input[5] = 0x15
      Alu64.lsh.imm(0, 8),
      Alu64.or.reg(0, 6), //       r0 = 0x141215
      Ins.exit(),
    ];
    for (const checked of [false, true]) {
      const region = defaultMemory.placeInput(input);
      expect(await r0Of(p, { checked, args: [BigInt(INPUT_BASE)], regions: [region] })).toBe(0x14_12_15n);
      expect(defaultMemory.readInput(8)[7]).toBe(0x12);
    }
  });

  it('unchecked, the address is i32 arithmetic on the registers the pointer came from', async () => {
    const p = [Alu64.mov.reg(4, 1), Alu64.add.reg(4, 3), Jmp.jgt.reg(4, 2, 1), Ins.ldx('b', 0, 4, 0), Ins.exit()];
    const text = await jitText(p, { memory: defaultMemory, checked: false, optimize: 'none' });
    expect(text).toMatch(/i64\.load8_u\s*\(i32\.add\s*\(i32\.wrap_i64\s*\(local\.get \$0\)\s*\)\s*\(i32\.wrap_i64\s*\(local\.get \$2\)/);
  });
});
