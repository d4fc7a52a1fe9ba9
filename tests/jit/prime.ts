// prime.data from bpf-conformance, in the builder DSL (slot numbers in comments).
import { Alu64, Ins, Jmp, type Insn } from '../../src/isa/insn.js';

/** Returns 1 when r1 (set to `n` by the program's first instruction) is prime. */
export function primeProgram(n = 67): Insn[] {
  return [
    Alu64.mov.imm(1, n), //        0: mov r1, n
    Alu64.mov.imm(0, 1), //        1: mov r0, 1
    Alu64.mov.imm(2, 2), //        2: mov r2, 2
    Jmp.jgt.imm(1, 2, 4), //       3: jgt r1, 2, L3 (8)
    Ins.ja(10), //                 4: L1: ja exit (15)
    Alu64.add.imm(2, 1), //        5: L2: add r2, 1
    Alu64.mov.imm(0, 1), //        6: mov r0, 1
    Jmp.jge.reg(2, 1, 7), //       7: jge r2, r1, exit (15)
    Alu64.mov.reg(3, 1), //        8: L3: mov r3, r1
    Alu64.div.reg(3, 2), //        9: div r3, r2
    Alu64.mul.reg(3, 2), //       10: mul r3, r2
    Alu64.mov.reg(4, 1), //       11: mov r4, r1
    Alu64.sub.reg(4, 3), //       12: sub r4, r3
    Alu64.mov.imm(0, 0), //       13: mov r0, 0
    Jmp.jne.imm(4, 0, -10), //    14: jne r4, 0, L2 (5)
    Ins.exit(), //                15: exit
  ];
}

/** Instructions prime(n) executes (n > 2 and prime): 4 + 7 per trial divisor + 3 per increment + exit. */
export function primeExecuted(n: number): number {
  // divisors 2..n-1 each run L3 (7); increments after each of them run L2 (3); the last jge exits.
  const trials = n - 2;
  return 4 + trials * 7 + trials * 3 + 1;
}
