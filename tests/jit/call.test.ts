// Calls: helpers by id (`call imm`), by register (`callx`), and bpf-to-bpf calls (`call local`):
// r1–r5 carry arguments, r0 the result; r6–r9 are callee-saved; each frame has its own 512-byte
// stack below the caller's; at most MAX_FRAMES (8) frames. The caller's r1–r5 keep their values
// across a call (the convention the reference interpreter follows too).

import { describe, expect, it } from 'vitest';
import { RuntimeFault } from '../../src/errors.js';
import { type HelperContext, HelperTable } from '../../src/helpers/index.js';
import { Alu64, Ins, Jmp } from '../../src/isa/insn.js';
import { EngineMemory, STACK_TOP } from '../../src/runtime/memory.js';
import { callx, caught, defaultMemory, jit, r0Of } from './harness.js';

describe('JIT helper calls', () => {
  it('passes r1–r5 and the call index, and r0 gets the result (unsigned)', async () => {
    const seen: Array<[bigint[], number, EngineMemory]> = [];
    const helpers = new HelperTable([
      {
        id: 1000,
        name: 'probe',
        fn: (a, b, c, d, e, ctx: HelperContext) => {
          seen.push([[a, b, c, d, e], ctx.pc, ctx.mem]);
          return -2n; // wraps to 2^64 - 2
        },
      },
    ]);
    const p = await jit(
      [Alu64.mov.imm(1, 1), Alu64.mov.imm(2, 2), Alu64.mov.imm(3, 3), Alu64.mov.imm(4, -4), Alu64.mov.imm(5, 5), Ins.call(1000), Ins.exit()],
      { helpers },
    );
    expect(p.run({ args: [], regions: [] }).r0).toBe(0xffff_ffff_ffff_fffen);
    // r4 = -4 arrives as a signed i64 BigInt: helpers get the register's 64 bits, not a normalised sign
    expect(seen).toHaveLength(1);
    expect(seen[0]![0].map((v) => BigInt.asUintN(64, v))).toEqual([1n, 2n, 3n, 0xffff_ffff_ffff_fffcn, 5n]);
    expect(seen[0]![1]).toBe(5);
    expect(seen[0]![2]).toBe(defaultMemory);
  });

  it('keeps r6–r9 and r10 across a helper call', async () => {
    const helpers = new HelperTable([{ id: 7, name: 'seven', fn: () => 7n }]);
    const p = [
      Alu64.mov.imm(6, 60), Alu64.mov.imm(9, 90),
      Ins.call(7),
      Alu64.add.reg(0, 6), Alu64.add.reg(0, 9), // 7 + 60 + 90 = 157
      Ins.exit(),
    ];
    expect(await r0Of(p, { helpers })).toBe(157n);
  });

  it('an unknown helper compiles, and calling it is RUN_HELPER naming the instruction', async () => {
    const p = await jit([Alu64.mov.imm(0, 0), Ins.call(9999), Ins.exit()]);
    const e = await caught(() => p.run({ args: [], regions: [] }));
    expect(e).toBeInstanceOf(RuntimeFault);
    expect(e).toMatchObject({ code: 'RUN_HELPER', index: 1 });
    expect(e.message).toContain('9999');
  });

  it('helpers are looked up when called, so one registered after compile is found', async () => {
    const helpers = new HelperTable();
    const p = await jit([Ins.call(4242), Ins.exit()], { helpers });
    helpers.register({ id: 4242, name: 'late', fn: () => 4242n });
    expect(p.run({ args: [], regions: [] }).r0).toBe(4242n);
  });

  it('an exception from a helper propagates unchanged', async () => {
    const boom = new Error('boom');
    const helpers = new HelperTable([{ id: 1, name: 'boom', fn: () => { throw boom; } }]);
    const p = await jit([Ins.call(1), Ins.exit()], { helpers });
    expect(await caught(() => p.run({ args: [], regions: [] }))).toBe(boom);
  });

  it('callx takes the helper id from the dst register', async () => {
    const helpers = new HelperTable([
      { id: 5, name: 'five', fn: (a) => a + 5n },
      { id: 6, name: 'six', fn: (a) => a + 6n },
    ]);
    const p = await jit([Alu64.mov.imm(1, 100), callx(2), Ins.exit()], { helpers });
    expect(p.run({ args: [0n, 5n], regions: [] }).r0).toBe(105n);
    expect(p.run({ args: [0n, 6n], regions: [] }).r0).toBe(106n);
    const e = await caught(() => p.run({ args: [0n, 77n], regions: [] }));
    expect(e).toMatchObject({ code: 'RUN_HELPER', index: 1 });
  });
});

describe('JIT bpf-to-bpf calls', () => {
  it('call_local.data (bpf-conformance): arguments, result, r6–r9 preserved', async () => {
    const p = [
      Alu64.mov.imm(0, 0), //                          0
      Alu64.mov.imm(1, 1), Alu64.mov.imm(2, 2), Alu64.mov.imm(3, 3), Alu64.mov.imm(4, 4), Alu64.mov.imm(5, 5), // 1-5
      Alu64.mov.imm(6, 6), Alu64.mov.imm(7, 7), Alu64.mov.imm(8, 8), Alu64.mov.imm(9, 9), // 6-9
      Ins.callLocal(9), //                             10: → 20
      Jmp.jne.imm(0, 15, 6), //                        11: → failed (18)
      Jmp.jne.imm(6, 6, 5),
      Jmp.jne.imm(7, 7, 4),
      Jmp.jne.imm(8, 8, 3),
      Jmp.jne.imm(9, 9, 2),
      Alu64.mov.imm(0, 1), //                          16
      Ins.exit(), //                                   17
      Alu64.mov.imm(0, -1), //                         18: failed
      Ins.exit(), //                                   19
      Alu64.mov.imm(0, 0), //                          20: func1
      Alu64.add.reg(0, 1), Alu64.add.reg(0, 2), Alu64.add.reg(0, 3), Alu64.add.reg(0, 4), Alu64.add.reg(0, 5),
      Alu64.mov.imm(6, 0), Alu64.mov.imm(7, 0), Alu64.mov.imm(8, 0), Alu64.mov.imm(9, 0),
      Ins.exit(),
    ];
    expect(await r0Of(p)).toBe(1n);
  });

  it('each frame has its own stack 512 bytes below the caller, and the caller keeps r1–r5', async () => {
    const p = [
      Ins.st('dw', 10, -8, 111), //        0: caller's [r10-8] = 111
      Alu64.mov.imm(1, 1), //              1
      Ins.callLocal(6), //                 2: → 9
      Ins.ldx('dw', 2, 10, -8), //         3: r2 = caller's [r10-8], still 111
      Alu64.mul.imm(2, 1000), //           4
      Alu64.add.reg(0, 2), //              5: r0 = 111000 + callee result
      Alu64.mul.imm(1, 10_000_000), //     6: r1 is still 1 → + 10^7
      Alu64.add.reg(0, 1), //              7
      Ins.exit(), //                       8
      Ins.st('dw', 10, -8, 222), //        9: callee's [r10-8] = 222
      Alu64.mov.imm(1, 99), //            10: clobber r1 in the callee
      Ins.ldx('dw', 0, 10, -8), //        11: r0 = 222
      Ins.exit(), //                      12
    ];
    expect(await r0Of(p)).toBe(10_111_222n);
  });

  it("the callee's r10 is the caller's minus 512", async () => {
    const p = [
      Ins.callLocal(4), //     0: → 5
      Alu64.mov.reg(2, 10), // 1
      Alu64.sub.reg(2, 0), //  2: r2 = r10 - callee's r10
      Alu64.mov.reg(0, 2), //  3
      Ins.exit(), //           4
      Alu64.mov.reg(0, 10), // 5: f returns its r10
      Ins.exit(), //           6
    ];
    expect(await r0Of(p)).toBe(512n);
    // and the frame is really there: the callee may touch r10-512, its lowest byte
    const q = [Ins.callLocal(1), Ins.exit(), Ins.st('b', 10, -512, 1), Alu64.mov.reg(0, 10), Ins.exit()];
    expect(await r0Of(q)).toBe(BigInt(STACK_TOP - 512));
  });

  it('a callee starts with r1–r5 from the caller and r0, r6–r9 at 0 (as the interpreter does)', async () => {
    // The verifier forbids reading a callee's r0/r6–r9 before a write; both engines define them as 0.
    const p = [Alu64.mov.imm(6, 42), Alu64.mov.imm(0, 7), Alu64.mov.imm(1, 5), Ins.callLocal(1), Ins.exit(), Alu64.add.reg(0, 6), Alu64.add.reg(0, 1), Ins.exit()];
    expect(await r0Of(p)).toBe(5n);
  });

  it('subprograms call subprograms; one function is called from two places', async () => {
    // r0 = g(f(2)) + f(3) with f(x) = x * 10 and g(x) = f(x) + 1: g(20) + 30 = 201 + 30 = 231
    const p = [
      Alu64.mov.imm(1, 2), //   0
      Ins.callLocal(7), //      1: f (9)
      Alu64.mov.reg(1, 0), //   2
      Ins.callLocal(8), //      3: g (12)
      Alu64.mov.reg(6, 0), //   4
      Alu64.mov.imm(1, 3), //   5
      Ins.callLocal(2), //      6: f (9)
      Alu64.add.reg(0, 6), //   7
      Ins.exit(), //            8
      Alu64.mov.reg(0, 1), //   9: f
      Alu64.mul.imm(0, 10), // 10
      Ins.exit(), //           11
      Ins.callLocal(-4), //    12: g: f (9)
      Alu64.add.imm(0, 1), //  13
      Ins.exit(), //           14
    ];
    expect(await r0Of(p)).toBe(231n);
  });

  it('recursion to 8 frames works; the 9th frame is RUN_CALL_DEPTH at the call that makes it', async () => {
    // main: r1 = N; call f; exit.   f(n): n == 0 → 0, else f(n - 1) + 1 (r1 is restored after the call)
    const build = (n: number) => [
      Alu64.mov.imm(1, n), //     0
      Ins.callLocal(1), //        1: → 3
      Ins.exit(), //              2
      Jmp.jeq.imm(1, 0, 4), //    3: f → 8
      Alu64.sub.imm(1, 1), //     4
      Ins.callLocal(-3), //       5: → 3
      Alu64.add.imm(0, 1), //     6
      Ins.exit(), //              7
      Alu64.mov.imm(0, 0), //     8
      Ins.exit(), //              9
    ];
    // f(6) → f(5) … f(0): main + 7 frames of f = 8 frames
    expect(await r0Of(build(6))).toBe(6n);
    const p = await jit(build(7)); // 9 frames
    const e = await caught(() => p.run({ args: [], regions: [] }));
    expect(e).toBeInstanceOf(RuntimeFault);
    expect(e).toMatchObject({ code: 'RUN_CALL_DEPTH', index: 5 });
    expect(e.message).toBe('insn 5: call depth exceeds 8 frames');
  });

  it('a faulting access inside a callee names the callee’s instruction', async () => {
    const p = await jit([Ins.callLocal(1), Ins.exit(), Alu64.mov.imm(1, 0), Ins.ldx('b', 0, 1, 0), Ins.exit()]);
    expect(await caught(() => p.run({ args: [], regions: [] }))).toMatchObject({ code: 'RUN_MEM_FAULT', index: 3, address: 0n });
  });
});

describe('JIT programs on separate memories', () => {
  it('each instance works on its own memory', async () => {
    const m1 = new EngineMemory();
    const m2 = new EngineMemory();
    const p = [Ins.st('dw', 10, -8, 5), Ins.ldx('dw', 0, 10, -8), Ins.exit()];
    const a = await jit(p, { memory: m1 });
    const b = await jit([Ins.ldx('dw', 0, 10, -8), Ins.exit()], { memory: m2 });
    expect(a.run({ args: [], regions: [] }).r0).toBe(5n);
    expect(b.run({ args: [], regions: [] }).r0).toBe(0n);
    expect(new DataView(m1.memory.buffer).getBigUint64(STACK_TOP - 8, true)).toBe(5n);
  });
});
