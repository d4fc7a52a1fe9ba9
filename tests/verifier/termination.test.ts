// The verifier's walk always ends: with an answer (a VerifiedProgram, or a typed VerifierError /
// ProgramError) and within its processed-instruction budget, whatever the program. A walk that does not
// end is a synchronous loop that vitest's timeout cannot stop, so these tests finish only if it holds.
//
// The random programs are the generator's of tests/diff/random.test.ts (which runs only the load-time
// check, checkProgram, never this walk): the same seeds, here through verify().

import { describe, expect, it } from 'vitest';
import { ProgramError, VerifierError } from '../../src/errors.js';
import { HelperTable } from '../../src/helpers/index.js';
import { Alu64, Ins, Jmp, type Insn } from '../../src/isa/insn.js';
import { COMPLEXITY_LIMIT, verify } from '../../src/verifier/index.js';
import { randomProgram, TEST_HELPER } from '../support/gen.js';

const helpers = new HelperTable([{ id: TEST_HELPER, name: 'mix', fn: (a) => a }]);

function answer(prog: Insn[], complexityLimit?: number): { processed: number } | { error: string } {
  try {
    return { processed: verify(prog, { helpers, ...(complexityLimit ? { complexityLimit } : {}) }).stats.insnsProcessed };
  } catch (e) {
    if (e instanceof VerifierError || e instanceof ProgramError) return { error: e.message };
    throw e;
  }
}

describe('the verifier walk ends on every program', () => {
  it('answers on the first 3,000 random programs of tests/diff, within the processed budget', () => {
    let accepted = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const a = answer(randomProgram(seed));
      if ('processed' in a) {
        expect(a.processed).toBeLessThanOrEqual(COMPLEXITY_LIMIT);
        accepted++;
      }
    }
    // Most of them use what XDP may not (ctx atomics, unknown helpers) or leave code unreachable.
    expect(accepted).toBeGreaterThan(0);
  });

  it('refuses a loop whose state never repeats once it has processed one instruction more than the limit', () => {
    // r0 = 0; loop: r0 += 1; if r0 != 0 goto loop; exit — r0 is a different constant each round, so no
    // state prunes another; the kernel's check is `++insn_processed > BPF_COMPLEXITY_LIMIT_INSNS`.
    const prog = [Alu64.mov.imm(0, 0), Alu64.add.imm(0, 1), Jmp.jne.imm(0, 0, -2), Ins.exit()];
    const a = answer(prog, 3000);
    expect(a).toEqual({ error: expect.stringMatching(/BPF program is too large\. Processed 3001 insn/) });
  });

  it('refuses a jump to itself as an infinite loop', () => {
    const a = answer([Alu64.mov.imm(0, 0), Jmp.jeq.imm(0, 0, -1), Ins.exit()]);
    expect(a).toEqual({ error: expect.stringMatching(/infinite loop detected at insn 1/) });
  });
});
