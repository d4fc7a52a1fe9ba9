// bpf_loop with a callback the JIT knows, lowered in the caller (emit.ts: a wasm loop calling the
// callback, four calls a turn in a verified program's code, each checking the count). Per the helper's
// contract (kernel/bpf/bpf_iter.c bpf_loop): the callback runs for i = 0, 1, … while i < nr_loops and it
// returned 0; the helper returns the number of calls made, the one that returned 1 included. Every count
// from 0 to 10 (each position inside a turn, a turn and a bit) and a stop at each position are run on the
// interpreter and both JIT modes, the answers computed from that contract.

import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { Alu64, Ins, Jmp, type Insn } from '../../src/isa/insn.js';
import { PseudoLd } from '../../src/isa/opcodes.js';

const ENGINES = ['interp', 'jit-checked', 'jit-unchecked'] as const;

// ctx at r10 - 16: u64 stop, u64 acc. cb(i, ctx): if (i == ctx->stop) return 1; acc = acc * 3 + i + 1;
// return 0. The count is the frame's first byte, the stop its second (neither known when compiling).
// r0 = bpf_loop's result << 24 | acc's low 24 bits.
const PROGRAM: Insn[] = [
  Ins.ldx('w', 2, 1, 0), //                  0: r2 = data
  Ins.st('dw', 10, -8, 0), //                1: acc = 0
  Ins.ldx('b', 7, 2, 1), //                  2: stop
  Ins.stx('dw', 10, 7, -16), //              3
  Ins.ldx('b', 1, 2, 0), //                  4: r1 = nr_loops
  ...Ins.lddw(2, 11n, PseudoLd.FUNC), //     5-6: r2 = cb (slot 5 + 11 + 1)
  Alu64.mov.reg(3, 10), //                   7
  Alu64.add.imm(3, -16), //                  8
  Alu64.mov.imm(4, 0), //                    9
  Ins.call(181), //                         10
  Alu64.lsh.imm(0, 24), //                  11
  Ins.ldx('dw', 1, 10, -8), //              12
  Alu64.lsh.imm(1, 40), //                  13
  Alu64.rsh.imm(1, 40), //                  14
  Alu64.or.reg(0, 1), //                    15
  Ins.exit(), //                            16
  // cb                                        17
  Ins.ldx('dw', 3, 2, 0), //                17: stop
  Alu64.mov.imm(0, 1), //                   18
  Jmp.jeq.reg(1, 3, 6), //                  19: i == stop → exit with 1
  Ins.ldx('dw', 4, 2, 8), //                20
  Alu64.mul.imm(4, 3), //                   21
  Alu64.add.reg(4, 1), //                   22
  Alu64.add.imm(4, 1), //                   23
  Ins.stx('dw', 2, 4, 8), //                24
  Alu64.mov.imm(0, 0), //                   25
  Ins.exit(), //                            26
];

/** What the contract gives for `n` loops stopping at `stop`. */
function expected(n: number, stop: number): number {
  let acc = 0n;
  let calls = 0;
  for (let i = 0; i < n; i++) {
    calls++;
    if (i === stop) break;
    acc = BigInt.asUintN(64, acc * 3n + BigInt(i) + 1n);
  }
  return ((calls << 24) | Number(acc & 0xffffffn)) >>> 0;
}

describe('bpf_loop lowered in the caller: every count and stop position', () => {
  const counts = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 64];
  const stops = [0, 1, 2, 3, 4, 5, 6, 7, 8, 200];
  it('agrees with the helper contract on the three engines', async () => {
    const dp = await Datapath.create();
    for (const engine of ENGINES) {
      const prog = await dp.loadInsns(PROGRAM, {
        engine: engine === 'interp' ? 'interp' : 'jit',
        checked: engine !== 'jit-unchecked',
        verify: false,
      } as Parameters<Datapath['loadInsns']>[1]);
      for (const n of counts) {
        for (const stop of stops) {
          const data = new Uint8Array(64);
          data[0] = n;
          data[1] = stop;
          expect(prog.testRun({ data }).retval >>> 0, `${engine}: ${n} loops, stop at ${stop}`).toBe(expected(n, stop));
        }
      }
    }
  });
});
