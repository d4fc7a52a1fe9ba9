// bpf_loop callbacks verified as the kernel verifies them (push_callback_call / prepare_func_exit): the
// path goes on after the call, one more visit of the callback is scheduled while fewer than the count's
// upper bound are, the callback returns to the call, imprecise scalars that changed since the previous
// visit are widened, and iterations converge at the call (states compared by range). Expected verdicts,
// messages and processed-instruction counts are the kernel's (6.18, libbpf, log level 4), for these
// programs written as objects by writeBpfObject.

import { describe, expect, it } from 'vitest';
import { VerifierError } from '../../src/errors.js';
import { Alu64, Ins, Jmp, type Insn } from '../../src/isa/insn.js';
import { PseudoLd } from '../../src/isa/opcodes.js';
import { verify } from '../../src/verifier/verifier.js';

/** struct ctx { u32 i; }; cb(idx, ctx) { ctx->i++; return 0; }; bpf_loop(100, cb, &ctx, 0); */
const counter: Insn[] = [
  Ins.st('w', 10, -8, 0),
  Alu64.mov.imm(1, 100),
  ...Ins.lddw(2, 9n, PseudoLd.FUNC),
  Alu64.mov.reg(3, 10),
  Alu64.add.imm(3, -8),
  Alu64.mov.imm(4, 0),
  Ins.call(181),
  Ins.ldx('w', 0, 10, -8),
  Alu64.and.imm(0, 1),
  Alu64.add.imm(0, 1),
  Ins.exit(),
  // cb
  Ins.ldx('w', 0, 2, 0),
  Alu64.add.imm(0, 1),
  Ins.stx('w', 2, 0, 0),
  Alu64.mov.imm(0, 0),
  Ins.exit(),
];

/**
 * struct ctx { u64 k; u8 seen[8]; }; cb: if (k > 7) return 1; seen[k] = 1; k++; bpf_loop(n, cb, &ctx, 0).
 * `k` is an index (precise): every iteration up to the count is walked.
 */
function indexed(n: number, guard: boolean): Insn[] {
  return [
    Ins.st('dw', 10, -8, 0),
    Ins.st('dw', 10, -16, 0),
    Alu64.mov.imm(1, n),
    ...Ins.lddw(2, 7n, PseudoLd.FUNC),
    Alu64.mov.reg(3, 10),
    Alu64.add.imm(3, -16),
    Alu64.mov.imm(4, 0),
    Ins.call(181),
    Alu64.mov.imm(0, 2),
    Ins.exit(),
    // cb
    Ins.ldx('dw', 1, 2, 0),
    ...(guard ? [Jmp.jgt.imm(1, 7, 6)] : []),
    Alu64.mov.reg(3, 2),
    Alu64.add.reg(3, 1),
    Ins.st('b', 3, 8, 1),
    Alu64.add.imm(1, 1),
    Ins.stx('dw', 2, 1, 0),
    Alu64.mov.imm(0, 0),
    Ins.exit(),
  ];
}

describe('bpf_loop callbacks converge as in the kernel', () => {
  it('a counter in the callback context is widened: accepted in about the kernel’s 27 insns', () => {
    const r = verify(counter, {});
    expect(r.stats.insnsProcessed).toBeGreaterThanOrEqual(25);
    expect(r.stats.insnsProcessed).toBeLessThanOrEqual(Math.ceil(27 * 1.1));
  });

  it('a precise index walks each iteration up to the count (kernel: 58 insns)', () => {
    expect(verify(indexed(4, true), {}).stats.insnsProcessed).toBe(58);
  });

  it('the callback is not run more often than the count allows (R1 bounds the visits; kernel: 54 insns)', () => {
    // Without the guard, four iterations stay within seen[]: accepted.
    expect(verify(indexed(4, false), {}).stats.insnsProcessed).toBe(54);
  });

  it('an iteration past the buffer is refused where the kernel refuses it (102 insns)', () => {
    let err: unknown;
    try {
      verify(indexed(9, false), {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VerifierError);
    const e = err as VerifierError;
    expect(e.reason).toBe('invalid write to stack R3 off=0 size=1');
    expect(e.index).toBe(14);
    expect(e.log).toContain('processed 102 insns');
  });

  it('the loop count is precise and the iteration limit is logged at level 2', () => {
    const r = verify(indexed(4, true), { logLevel: 2 });
    expect(r.log).toContain('bpf_loop iteration limit reached');
  });
});
