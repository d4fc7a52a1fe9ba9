// may_goto programs with their r0 derived by hand, run on both engines (tests/jit/jump.test.ts,
// tests/interp/interp.test.ts).

import { Alu64, Ins, type Insn } from '../../src/isa/insn.js';

// may_goto (BPF_JMP | BPF_JCOND): do_misc_fixups gives each function a hidden counter set to
// BPF_MAX_LOOPS (8,388,608) in its prologue; a may_goto jumps when it is 0, else takes 1 and falls
// through. The counts below follow from that by hand: every fall-through adds 1 to r0.
export const MAY_GOTO_PROGRAMS: [string, (Insn | Insn[])[], bigint][] = [
  ['a loop falls through BPF_MAX_LOOPS times, then jumps', [Alu64.mov.imm(0, 0), Ins.mayGoto(2), Alu64.add.imm(0, 1), Ins.ja(-3), Ins.exit()], 8_388_608n],
  ['two may_gotos of one function share its counter', [Alu64.mov.imm(0, 0), Ins.mayGoto(4), Alu64.add.imm(0, 1), Ins.mayGoto(2), Alu64.add.imm(0, 1), Ins.ja(-5), Ins.exit()], 8_388_608n],
  [
    'each call of a subprogram has a budget of its own',
    [Alu64.mov.imm(6, 0), Ins.callLocal(4), Alu64.add.reg(6, 0), Ins.callLocal(2), Alu64.add.reg(0, 6), Ins.exit(), Alu64.mov.imm(0, 0), Ins.mayGoto(2), Alu64.add.imm(0, 1), Ins.ja(-3), Ins.exit()],
    16_777_216n,
  ],
  ['may_goto +0 goes on either way', [Alu64.mov.imm(0, 7), Ins.mayGoto(0), Ins.exit()], 7n],
];

