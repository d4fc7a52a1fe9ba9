import { describe, expect, it } from 'vitest';
import { ProgramError } from '../../src/errors.js';
import { baseHelpers } from '../../src/helpers/index.js';
import { Alu32, Alu64, Ins, Jmp, Jmp32, type Insn } from '../../src/isa/insn.js';
import { checkProgram } from '../../src/verifier/check.js';

const helpers = baseHelpers();
function rejects(prog: Insn[], msg: RegExp, index: number, opts = {}) {
  try {
    checkProgram(prog, { helpers, ...opts });
  } catch (e) {
    expect(e).toBeInstanceOf(ProgramError);
    expect((e as ProgramError).code).toBe('PROG_INVALID');
    expect((e as ProgramError).message).toMatch(msg);
    expect((e as ProgramError).index).toBe(index);
    return;
  }
  throw new Error('expected a rejection');
}
const raw = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });

describe('checkProgram() (load-time check, kernel wording)', () => {
  it('accepts a well-formed program and reports its subprograms', () => {
    const shape = checkProgram([Ins.callLocal(1), Ins.exit(), Alu64.mov.imm(0, 1), Ins.exit()], { helpers });
    expect(shape.subprogs).toEqual([0, 2]);
    expect(shape.subprogEnds).toEqual([1, 3]);
  });

  it('rejects an empty program', () => rejects([], /program is empty/, -1));

  it('rejects a jump out of range', () => rejects([Jmp.jeq.imm(1, 0, 5), Ins.exit()], /jump out of range from insn 0 to 6/, 0));

  it('rejects a backward jump before the start', () => rejects([Ins.ja(-2), Ins.exit()], /jump out of range from insn 0 to -1/, 0));

  it('rejects a jump into the middle of ld_imm64', () =>
    rejects([Ins.ja(1), ...Ins.lddw(0, 1n), Ins.exit()], /jump into the middle of ldimm64 insn 1/, 0));

  it('rejects a split ld_imm64 (second slot with a non-zero opcode)', () => {
    const [a, b] = Ins.lddw(0, 1n);
    rejects([a!, { ...b!, code: 0xb7 }, Ins.exit()], /invalid bpf_ld_imm64 insn/, 0);
  });

  it('rejects an unknown opcode', () => rejects([raw(0xff), Ins.exit()], /unknown opcode ff/, 0));

  it('rejects legacy packet loads (LD_ABS) as the kernel does for XDP', () =>
    rejects([raw(0x30, 0, 0, 0, 0), Ins.exit()], /BPF_LD_\[ABS\|IND\]/, 0));

  it('rejects falling off the end', () => rejects([Alu64.mov.imm(0, 0)], /last insn is not an exit or jmp/, 0));

  it('rejects a conditional jump as the last instruction', () =>
    rejects([Alu64.mov.imm(0, 0), Jmp.jeq.imm(0, 0, -2)], /last insn is not an exit or jmp/, 1));

  it('rejects a subprogram that falls into the next one', () =>
    rejects([Ins.callLocal(1), Ins.exit(), Alu64.mov.imm(0, 1)], /last insn is not an exit or jmp/, 2));

  it('rejects a jump from one subprogram into another', () =>
    rejects([Ins.callLocal(2), Ins.ja(1), Ins.exit(), Alu64.mov.imm(0, 1), Ins.exit()], /jump out of range from insn 1 to 3/, 1));

  it('rejects shift immediates out of range by default and accepts them relaxed', () => {
    rejects([Alu64.lsh.imm(0, 64), Ins.exit()], /invalid shift 64/, 0);
    rejects([Alu32.rsh.imm(0, 32), Ins.exit()], /invalid shift 32/, 0);
    rejects([Alu64.arsh.imm(0, -1), Ins.exit()], /invalid shift -1/, 0);
    expect(() => checkProgram([Alu64.lsh.imm(0, 64), Ins.exit()], { relaxed: true })).not.toThrow();
  });

  it('rejects a call to an unknown helper, by name when the kernel has one', () => {
    rejects([Ins.call(99999), Ins.exit()], /invalid func unknown#99999/, 0);
    // skb_store_bytes exists and the kernel refuses it to XDP: an invalid program, in the kernel's words
    rejects([Ins.call(9), Ins.exit()], /^insn 0: program of this type cannot use helper bpf_skb_store_bytes#9$/, 0);
    // the kernel gives spin_lock (93) … user_ringbuf_drain (209) names; past 211 it knows none
    rejects([Ins.call(212), Ins.exit()], /invalid func unknown#212/, 0);
  });

  it('a helper the kernel allows in XDP and the table lacks is PROG_UNSUPPORTED, said so', () => {
    let err: unknown;
    try {
      checkProgram([Ins.call(1), Ins.exit()], { helpers });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProgramError);
    expect((err as ProgramError).code).toBe('PROG_UNSUPPORTED');
    expect((err as ProgramError).message).toBe('insn 0: program of this type cannot use helper bpf_map_lookup_elem#1 (the kernel allows it in XDP; wxdp does not provide it)');
  });

  it('rejects a call to a local function outside the program', () => rejects([Ins.exit(), Ins.callLocal(5), Ins.exit()], /call to invalid destination 7/, 1));

  it('rejects division by an immediate zero (kernel: div by zero)', () => rejects([Alu64.div.imm(0, 0), Ins.exit()], /div by zero/, 0));

  it('rejects writes to r10 and registers above r10', () => {
    rejects([Alu64.mov.imm(10, 0), Ins.exit()], /frame pointer is read only/, 0);
    rejects([raw(0xb7, 11), Ins.exit()], /R11 is invalid/, 0);
  });

  it('rejects reserved fields and bad byte-swap widths', () => {
    rejects([raw(0x07, 0, 1, 0, 1), Ins.exit()], /BPF_ALU uses reserved fields/, 0);
    rejects([raw(0xd4, 0, 0, 0, 8), Ins.exit()], /BPF_END uses reserved fields/, 0);
    rejects([raw(0x95, 0, 0, 0, 1)], /BPF_EXIT uses reserved fields/, 0);
    rejects([raw(0xdb, 10, 1, -8, 0x02), Ins.exit()], /invalid atomic opcode 02/, 0);
  });

  it('rejects callx unless relaxed', () => {
    rejects([raw(0x8d, 2), Ins.exit()], /: unknown opcode 8d$/, 0);
    expect(() => checkProgram([raw(0x8d, 2), Ins.exit()], { relaxed: true })).not.toThrow();
  });

  it('accepts ja32 with its offset in imm', () => {
    expect(() => checkProgram([Ins.ja32(1), Ins.exit(), Ins.exit()])).not.toThrow();
    rejects([Ins.ja32(5), Ins.exit()], /jump out of range from insn 0 to 6/, 0);
    void Jmp32;
  });
});
