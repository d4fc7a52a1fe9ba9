// wrapForXdp / returnHigh32 as pure instruction transforms (no kernel needed).

import { describe, expect, it } from 'vitest';
import { Alu64, Ins, insn, Jmp, type Insn } from '../../src/isa/insn.js';
import { Class, JmpOp, OP_LDDW, PseudoLd } from '../../src/isa/opcodes.js';
import { entryFunctionEnd, returnHigh32, wrapForXdp } from '../../src/oracle/xdp_wrapper.js';

const EXIT = Class.JMP | JmpOp.EXIT;
const JA = Class.JMP | JmpOp.JA;
const RSH64_K = Class.ALU64 | 0x70;

/** Absolute slot a pc-relative field points at. */
const target = (prog: Insn[], i: number, field: 'off' | 'imm' = 'off'): number => i + prog[i]![field] + 1;

describe('wrapForXdp()', () => {
  it('prepends an 8-slot prologue and leaves the program itself unchanged', () => {
    const prog = [Jmp.jeq.imm(1, 0, 1), Alu64.mov.imm(0, 1), Ins.callLocal(1), Ins.exit(), Ins.exit()];
    const w = wrapForXdp(prog, 6);
    expect(w).toHaveLength(8 + prog.length);
    expect(w.slice(8)).toEqual(prog);
    expect(w[2]).toEqual(Alu64.add.imm(1, 6));
    expect(w[7]).toEqual(Alu64.mov.imm(2, 6));
  });

  it('rejects a negative memory length', () => {
    expect(() => wrapForXdp([Ins.exit()], -1)).toThrow(/memory length/);
  });
});

describe('entryFunctionEnd()', () => {
  it('is the first call-local or pseudo-func target, else the program length', () => {
    expect(entryFunctionEnd([Alu64.mov.imm(0, 0), Ins.exit()])).toBe(2);
    // slot 0 calls slot 3, slot 3 calls slot 2: the entry function is slots 0–1
    expect(entryFunctionEnd([Ins.callLocal(2), Ins.exit(), Ins.exit(), Ins.callLocal(-2), Ins.exit()])).toBe(2);
    const func = Ins.lddw(2, 0n, PseudoLd.FUNC);
    func[0]!.imm = 2; // slot 0 + 2 + 1
    expect(entryFunctionEnd([...func, Ins.exit(), Ins.exit()])).toBe(3);
  });
});

describe('returnHigh32()', () => {
  it('turns every exit of the entry function into a jump to `r0 >>= 32; exit` right after it', () => {
    const prog = [Jmp.jeq.imm(1, 0, 2), Alu64.mov.imm(0, 1), Ins.exit(), Alu64.mov.imm(0, 2), Ins.exit()];
    const h = returnHigh32(prog);
    expect(h).toHaveLength(7);
    expect(h[2]!.code).toBe(JA);
    expect(target(h, 2)).toBe(5);
    expect(h[4]).toEqual(Ins.ja(0));
    expect(h[5]).toEqual(Alu64.rsh.imm(0, 32));
    expect(h[5]!.code).toBe(RSH64_K);
    expect(h[6]!.code).toBe(EXIT);
    expect(target(h, 0)).toBe(3); // jump inside the entry function: unchanged
  });

  it('moves subprograms by two slots and fixes calls, jumps and function references across the insertion', () => {
    const func = Ins.lddw(2, 0n, PseudoLd.FUNC);
    func[0]!.imm = 5; // slot 1 → 7
    const prog: Insn[] = [
      Ins.callLocal(6), // 0 → 7
      ...func, // 1,2 → 7
      Jmp.jgt.imm(0, 3, 1), // 3 → 5
      Ins.exit(), // 4
      Ins.ja32(0), // 5 → 6
      Ins.exit(), // 6
      Ins.callLocal(2), // 7 (sub f) → 10
      Jmp.jeq.imm(0, 0, 0), // 8 → 9
      Ins.exit(), // 9
      Ins.callLocal(-4), // 10 (sub g) → 7
      Ins.exit(), // 11
    ];
    expect(entryFunctionEnd(prog)).toBe(7);
    const h = returnHigh32(prog);
    expect(h).toHaveLength(prog.length + 2);
    expect(target(h, 0, 'imm')).toBe(9);
    expect(h[1]!.code).toBe(OP_LDDW);
    expect(target(h, 1, 'imm')).toBe(9);
    expect(h[1]!.imm64).toBe(BigInt(9 - 1 - 1));
    expect(h[2]!.isLdImm64Tail).toBe(true);
    expect(target(h, 3)).toBe(5);
    expect(target(h, 4)).toBe(7); // exit → epilogue
    expect(h[5]!.code).toBe(Class.JMP32 | JmpOp.JA);
    expect(target(h, 5, 'imm')).toBe(6);
    expect(target(h, 6)).toBe(7); // exit → epilogue
    expect(h[7]).toEqual(Alu64.rsh.imm(0, 32));
    expect(h[8]!.code).toBe(EXIT);
    // Subprograms: exits stay exits, relative targets stay relative.
    expect(h.slice(9)).toEqual(prog.slice(7));
  });

  it('throws when a jump no longer fits 16 bits', () => {
    const prog: Insn[] = [Ins.exit(), ...Array.from({ length: 0x8000 }, () => insn(Class.ALU64 | 0xb0, 0, 0, 0, 0)), Ins.exit()];
    expect(() => returnHigh32(prog)).toThrow(/signed 16-bit/);
  });
});
