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

/**
 * u64 k = 0 (a spilled zero); bpf_loop(4, cb, &k, 0); return k & 1. cb: r = prandom(); if (r > 10)
 * k = r (a spill of umin=11 over the zero); return 0. The path without the store reaches the callback's
 * exit first (a checkpoint there, k still 0); back at the call, the iteration is pruned by range against
 * the call's state still being explored, and 6.18.44 keeps that path as a backedge of the call's
 * component (its live-registers listing numbers the lone call; log level 2: "SCC backedge"). The path
 * with the store then meets the exit's checkpoint while that visit has backedges: compared by range
 * (incomplete_read_marks), 0 against [11, U64_MAX] differs and it walks on (the kernel: 53 insns, not 30).
 */
const storeInLoop: Insn[] = [
  Alu64.mov.imm(1, 0),
  Ins.stx('dw', 10, 1, -8),
  Alu64.mov.imm(1, 4),
  ...Ins.lddw(2, 8n, PseudoLd.FUNC),
  Alu64.mov.reg(3, 10),
  Alu64.add.imm(3, -8),
  Alu64.mov.imm(4, 0),
  Ins.call(181),
  Ins.ldx('dw', 0, 10, -8),
  Alu64.and.imm(0, 1),
  Ins.exit(),
  // cb
  Alu64.mov.reg(6, 2),
  Ins.call(7),
  Alu64.mov.reg(7, 0),
  Alu64.mov.imm(0, 0),
  Alu64.mov.imm(8, 1),
  Alu64.add.imm(8, 1),
  Alu64.add.imm(8, 1),
  Jmp.jgt.imm(7, 10, 7),
  ...Array.from({ length: 6 }, () => Alu64.add.imm(8, 1)),
  Ins.ja(1),
  Ins.stx('dw', 6, 7, 0),
  Ins.exit(),
];

describe('bpf_loop callbacks converge as in the kernel', () => {
  it('a checkpoint inside the callback is compared by range while the call has backedges (kernel: 53 insns)', () => {
    expect(verify(storeInLoop, {}).stats.insnsProcessed).toBe(53);
  });

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
