// A bpf_loop callback's test of its index, decided from the verifier's bound on the loop's count
// (src/jit/loop_index.ts, VerifierFacts.loopCountMax). Per the helper's contract (kernel/bpf/bpf_iter.c
// bpf_loop) the callback runs for i = 0, 1, … while i < nr_loops and it returned 0, and the helper returns
// the number of calls made; the answers below follow that contract. Each program runs on the interpreter
// and both JIT modes for every count its mask lets through; the verified module's callback clone is
// looked at for the test: gone where the bound decides it, kept where it does not.

import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { Alu32, Alu64, Ins, Jmp, Jmp32, type Insn } from '../../src/isa/insn.js';
import { PseudoLd } from '../../src/isa/opcodes.js';
import { analyze } from '../../src/jit/cfg.js';
import { emitModule } from '../../src/jit/emit.js';
import { verify } from '../../src/verifier/verifier.js';

const ENGINES = ['interp', 'jit-checked', 'jit'] as const;
const CB = 29;

/**
 * nr_loops = *(u32 *)frame & mask; cb(i, &acc): r0 = 1; `entry` (r1's zero extension as clang writes it,
 * or other instructions); `test` jumps to the exit with r0 = 1; else acc = acc * 3 + i + 1, r0 = 0.
 * With `direct`, the main program also calls cb itself with r1 = 20 after the loop.
 * r0 = bpf_loop's result << 24 | the direct call's r0 << 20 | acc's low 20 bits.
 */
function program(mask: number, test: (off: number) => Insn, entry: Insn[] = [Alu64.lsh.imm(1, 32), Alu64.rsh.imm(1, 32)], direct = false): Insn[] {
  return [
    Ins.ldx('w', 6, 1, 0), //                  0: data
    Ins.ldx('w', 7, 1, 4), //                  1: data_end
    Alu64.mov.imm(0, 0), //                    2
    Alu64.mov.reg(8, 6), //                    3
    Alu64.add.imm(8, 4), //                    4
    Jmp.jgt.reg(8, 7, 22), //                  5: a short frame → 28
    Ins.ldx('w', 1, 6, 0), //                  6: nr_loops
    Alu64.and.imm(1, mask), //                 7
    Ins.st('dw', 10, -8, 0), //                8: acc = 0
    ...Ins.lddw(2, BigInt(CB - 10), PseudoLd.FUNC), // 9-10: r2 = cb
    Alu64.mov.reg(3, 10), //                  11
    Alu64.add.imm(3, -8), //                  12
    Alu64.mov.imm(4, 0), //                   13
    Ins.call(181), //                         14
    Alu64.lsh.imm(0, 24), //                  15
    Alu64.mov.reg(9, 0), //                   16
    Alu64.mov.imm(0, 0), //                   17
    ...(direct
      ? [Alu64.mov.imm(1, 20), Alu64.mov.reg(2, 10), Alu64.add.imm(2, -8), Ins.callLocal(CB - 22)] // 18-21: r0 = cb(20, &acc)
      : [Ins.ja(0), Ins.ja(0), Ins.ja(0), Ins.ja(0)]),
    Alu64.lsh.imm(0, 20), //                  22
    Alu64.or.reg(0, 9), //                    23
    Ins.ldx('dw', 1, 10, -8), //              24: acc
    Alu64.lsh.imm(1, 44), //                  25
    Alu64.rsh.imm(1, 44), //                  26
    Alu64.or.reg(0, 1), //                    27
    Ins.exit(), //                            28
    // cb                                        29
    Alu64.mov.imm(0, 1), //                   29
    ...entry, //                              30, 31 (as many as given)
    test(6), //                               32: → 39 (for two)
    Ins.ldx('dw', 3, 2, 0), //                33
    Alu64.mul.imm(3, 3), //                   34
    Alu64.add.reg(3, 1), //                   35
    Alu64.add.imm(3, 1), //                   36
    Ins.stx('dw', 2, 3, 0), //                37
    Alu64.mov.imm(0, 0), //                   38
    Ins.exit(), //                            39
  ];
}

/** The contract's answer: `n` loops of cb with index test `taken(i)`, then the direct call when asked. */
function expected(n: number, taken: (i: bigint) => boolean, direct = false, index: (i: bigint) => bigint = (i) => i): number {
  let acc = 0n;
  let calls = 0;
  const cb = (i: bigint): number => {
    if (taken(index(i))) return 1;
    acc = BigInt.asUintN(64, acc * 3n + index(i) + 1n);
    return 0;
  };
  for (let i = 0; i < n; i++) {
    calls++;
    if (cb(BigInt(i))) break;
  }
  const d = direct ? cb(20n) : 0;
  return ((calls << 24) | (d << 20) | Number(acc & 0xfffffn)) >>> 0;
}

/** The verified module's callback clone (cb entered one frame down): does it still compare? */
async function cloneCompares(insns: Insn[]): Promise<boolean> {
  const v = verify(insns);
  const layout = analyze(insns);
  const { text } = await emitModule(insns, layout, {
    checked: false,
    optimize: 'none',
    memory: { initialPages: 4, maximumPages: 65536, shared: false },
    wasmHelpers: [],
    tailCalls: false,
    loopCountMax: v.facts.loopCountMax,
    text: true,
  });
  const at = text!.indexOf(`(func $sub_${CB}_at1 `);
  expect(at, 'the callback clone').toBeGreaterThan(0);
  const end = text!.indexOf('\n (func ', at + 1);
  return /\.((gt|ge|lt|le)_[su]|eq|ne)\b/.test(text!.slice(at, end < 0 ? undefined : end));
}

async function runAll(insns: Insn[], mask: number, want: (n: number) => number): Promise<void> {
  const dp = await Datapath.create();
  for (const engine of ENGINES) {
    const p = await dp.loadInsns(insns, engine === 'interp' ? { engine: 'interp' } : { engine: 'jit', ...(engine === 'jit-checked' ? { checked: true } : {}) });
    for (let b = 0; b < 256; b += b < 40 ? 1 : 37) {
      const data = new Uint8Array(16);
      data[0] = b;
      expect(p.testRun({ data }).retval >>> 0, `${engine}: frame[0] = ${b}`).toBe(want(b & mask));
    }
  }
}

describe('the verifier bounds bpf_loop counts (VerifierFacts.loopCountMax)', () => {
  it('records the largest count reaching the call, and none past BPF_MAX_LOOPS', () => {
    const gt = (k: number) => (off: number) => Jmp.jgt.imm(1, k, off);
    expect([...verify(program(15, gt(14))).facts.loopCountMax]).toEqual([[14, 15]]);
    expect([...verify(program(0x3f, gt(14))).facts.loopCountMax]).toEqual([[14, 63]]);
    expect([...verify(program(1 << 23, gt(14))).facts.loopCountMax]).toEqual([[14, 1 << 23]]);
    // two ways to the call, r9 a pointer on one and a scalar on the other (no pruning between them): the
    // wide count (& 15) is walked first, the narrow one (& 3) last; the fact is the larger
    const twoWays: Insn[] = [
      Ins.ldx('w', 6, 1, 0), //                0
      Ins.ldx('w', 7, 1, 4), //                1
      Alu64.mov.imm(0, 0), //                  2
      Alu64.mov.reg(8, 6), //                  3
      Alu64.add.imm(8, 4), //                  4
      Jmp.jgt.reg(8, 7, 14), //                5: → 20
      Ins.ldx('b', 1, 6, 0), //                6
      Alu64.mov.reg(9, 10), //                 7
      Jmp.jset.imm(1, 0x80, 2), //             8: → 11
      Alu64.and.imm(1, 15), //                 9
      Ins.ja(2), //                           10: → 13
      Alu64.and.imm(1, 3), //                 11
      Alu64.mov.imm(9, 0), //                 12
      ...Ins.lddw(2, 7n, PseudoLd.FUNC), //   13-14: → 21
      Alu64.mov.imm(3, 0), //                 15
      Alu64.mov.imm(4, 0), //                 16
      Ins.call(181), //                       17
      Jmp.jeq.imm(9, 0, 1), //                18: → 20
      Alu64.mov.imm(0, 1), //                 19
      Ins.exit(), //                          20
      Alu64.mov.imm(0, 0), //                 21: cb
      Ins.exit(), //                          22
    ];
    expect([...verify(twoWays).facts.loopCountMax]).toEqual([[17, 15]]);
    // a u32 count from the frame under `and 0x7fffffff`: up to 2^31 - 1, past BPF_MAX_LOOPS
    expect([...verify(program(0x7fffffff, gt(14))).facts.loopCountMax]).toEqual([]);
  });
});

describe("bpf_loop's callback: its index test decided by the count's bound", () => {
  const cases: Array<{ name: string; mask: number; test: (off: number) => Insn; taken: (i: bigint) => boolean; entry?: Insn[]; index?: (i: bigint) => bigint; direct?: boolean; folded: boolean }> = [
    { name: 'i > 14 with at most 15 loops: never taken', mask: 15, test: (o) => Jmp.jgt.imm(1, 14, o), taken: (i) => i > 14n, folded: true },
    { name: 'i > 29 with at most 15 loops', mask: 15, test: (o) => Jmp.jgt.imm(1, 29, o), taken: (i) => i > 29n, folded: true },
    { name: 'i < 16 with at most 15 loops: always taken', mask: 15, test: (o) => Jmp.jlt.imm(1, 16, o), taken: (i) => i < 16n, folded: true },
    { name: 'w1 > 14 (JMP32) after w1 = w1', mask: 15, test: (o) => Jmp32.jgt.imm(1, 14, o), entry: [Alu32.mov.reg(1, 1), Alu64.mov.imm(5, 0)], taken: (i) => i > 14n, folded: true },
    { name: 'i s> 14 (signed)', mask: 15, test: (o) => Jmp.jsgt.imm(1, 14, o), taken: (i) => i > 14n, folded: true },
    { name: 'i s> -1 (signed, a negative constant): always taken', mask: 15, test: (o) => Jmp.jsgt.imm(1, -1, o), taken: () => true, folded: true },
    { name: 'i == 15 with at most 15 loops', mask: 15, test: (o) => Jmp.jeq.imm(1, 15, o), taken: (i) => i === 15n, folded: true },
    { name: 'i & 7 > 7', mask: 31, test: (o) => Jmp.jgt.imm(1, 7, o), entry: [Alu64.and.imm(1, 7), Alu64.mov.imm(5, 0)], index: (i) => i & 7n, taken: (i) => i > 7n, folded: true },
    // near misses: the bound leaves the test open, or r1 is not the index where it is tested
    { name: 'i > 13 with at most 15 loops (i = 14 takes it)', mask: 15, test: (o) => Jmp.jgt.imm(1, 13, o), taken: (i) => i > 13n, folded: false },
    { name: 'i < 14 with at most 15 loops (i = 14 falls through)', mask: 15, test: (o) => Jmp.jlt.imm(1, 14, o), taken: (i) => i < 14n, folded: false },
    { name: 'i > 29 with at most 31 loops', mask: 31, test: (o) => Jmp.jgt.imm(1, 29, o), taken: (i) => i > 29n, folded: false },
    { name: 'i == 14 with at most 15 loops', mask: 15, test: (o) => Jmp.jeq.imm(1, 14, o), taken: (i) => i === 14n, folded: false },
    { name: 'i s< 0 after r1 += -1 (wraps below zero)', mask: 15, test: (o) => Jmp.jslt.imm(1, 0, o), entry: [Alu64.add.imm(1, -1), Alu64.mov.imm(5, 0)], index: (i) => BigInt.asUintN(64, i - 1n), taken: (i) => BigInt.asIntN(64, i) < 0n, folded: false },
    { name: 'i * 2 > 14 (a multiply is not followed)', mask: 15, test: (o) => Jmp.jgt.imm(1, 14, o), entry: [Alu64.mul.imm(1, 2), Alu64.mov.imm(5, 0)], index: (i) => i * 2n, taken: (i) => i > 14n, folded: false },
    { name: 'i << 60 > 14 (the shift overflows)', mask: 31, test: (o) => Jmp.jgt.imm(1, 14, o), entry: [Alu64.lsh.imm(1, 60), Alu64.mov.imm(5, 0)], index: (i) => BigInt.asUintN(64, i << 60n), taken: (i) => i > 14n, folded: false },
    { name: '((i + 16) << 60) >> 60 < 16 (the shift wraps: i & 15)', mask: 15, test: (o) => Jmp.jlt.imm(1, 16, o), entry: [Alu64.add.imm(1, 16), Alu64.lsh.imm(1, 60), Alu64.rsh.imm(1, 60)], taken: (i) => i < 16n, index: (i) => i & 15n, folded: false },
    { name: 'i << 60 s< 0 (past the sign bit)', mask: 15, test: (o) => Jmp.jslt.imm(1, 0, o), entry: [Alu64.lsh.imm(1, 60), Alu64.mov.imm(5, 0)], index: (i) => BigInt.asUintN(64, i << 60n), taken: (i) => BigInt.asIntN(64, i) < 0n, folded: false },
    { name: '(i + 1) << 32, then w1 = w1 == 0 (a 32-bit move of a wider value)', mask: 15, test: (o) => Jmp.jeq.imm(1, 0, o), entry: [Alu64.add.imm(1, 1), Alu64.lsh.imm(1, 32), Alu32.mov.reg(1, 1)], index: () => 0n, taken: (i) => i === 0n, folded: false },
    { name: '(i + 0x7fffffff) * 2, then w1 > 100 (a 32-bit test of a wider value)', mask: 15, test: (o) => Jmp32.jgt.imm(1, 100, o), entry: [Alu64.add.imm(1, 0x7fffffff), Alu64.lsh.imm(1, 1)], index: (i) => (i + 0x7fffffffn) * 2n, taken: (i) => (i & 0xffffffffn) > 100n, folded: false },
    // w1 = i - 1 is 0xffffffff for i = 0 and i - 1 after (zero-extended): a 64-bit test of it is open;
    // a range past 2^32 from a 32-bit add must not pass the next 64-bit instruction's width check
    { name: 'w1 += -1, then r1 < 100 (a 32-bit add wraps; the 64-bit test sees it)', mask: 15, test: (o) => Jmp.jlt.imm(1, 100, o), entry: [Alu32.add.imm(1, -1), Alu64.mov.imm(5, 0)], index: (i) => (i - 1n) & 0xffffffffn, taken: (i) => i < 100n, folded: false },
    { name: 'w1 += -1, r1 >>= 1, then r1 < 5 (the wrapped range shifted)', mask: 15, test: (o) => Jmp.jlt.imm(1, 5, o), entry: [Alu32.add.imm(1, -1), Alu64.rsh.imm(1, 1)], index: (i) => ((i - 1n) & 0xffffffffn) >> 1n, taken: (i) => i < 5n, folded: false },
    { name: 'r1 = r5 before the test', mask: 15, test: (o) => Jmp.jgt.imm(1, 14, o), entry: [Alu64.mov.imm(5, 99), Alu64.mov.reg(1, 5)], index: () => 99n, taken: (i) => i > 14n, folded: false },
    { name: 'a test of r3, not r1', mask: 15, test: (o) => Jmp.jgt.imm(3, 14, o), entry: [Alu64.mov.reg(3, 1), Alu64.add.imm(3, 20)], taken: (i) => i + 20n > 14n, folded: false },
    { name: 'i > 14, but cb is also called directly with 20', mask: 15, test: (o) => Jmp.jgt.imm(1, 14, o), taken: (i) => i > 14n, direct: true, folded: false },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const insns = program(c.mask, c.test, c.entry, c.direct);
      await runAll(insns, c.mask, (n) => expected(n, c.taken, c.direct, c.index));
      expect(await cloneCompares(insns)).toBe(!c.folded);
    });
  }
});
