import { describe, expect, it } from 'vitest';
import { RuntimeFault } from '../../src/errors.js';
import { baseHelpers, HelperTable } from '../../src/helpers/index.js';
import { Interpreter, type TraceEvent } from '../../src/interp/index.js';
import { Alu32, Alu64, Ins, Jmp, type Insn } from '../../src/isa/insn.js';
import { MAY_GOTO_PROGRAMS } from '../support/may_goto.js';
import { EngineMemory, INPUT_BASE, STACK_TOP } from '../../src/runtime/memory.js';

function run(prog: Insn[], mem = new Uint8Array(0), opts: { helpers?: HelperTable; checked?: boolean; trace?: (e: TraceEvent) => void; maxInstructions?: number } = {}) {
  const memory = new EngineMemory();
  const region = memory.placeInput(mem);
  const it = new Interpreter(prog, { memory, helpers: opts.helpers ?? baseHelpers(), checked: opts.checked, trace: opts.trace, maxInstructions: opts.maxInstructions });
  const { r0 } = it.run({ args: [BigInt(INPUT_BASE), BigInt(mem.length)], regions: [region] });
  return { r0, memory, executed: it.executed };
}

function fault(prog: Insn[], mem = new Uint8Array(0)): RuntimeFault {
  try {
    run(prog, mem);
  } catch (e) {
    expect(e).toBeInstanceOf(RuntimeFault);
    return e as RuntimeFault;
  }
  throw new Error('expected a fault');
}

describe('Interpreter', () => {
  it('enters with r1 = input address, r2 = length, r10 = top of frame 0', () => {
    expect(run([Alu64.mov.reg(0, 1), Ins.exit()]).r0).toBe(BigInt(INPUT_BASE));
    expect(run([Alu64.mov.reg(0, 2), Ins.exit()], new Uint8Array(7)).r0).toBe(7n);
    expect(run([Alu64.mov.reg(0, 10), Ins.exit()]).r0).toBe(BigInt(STACK_TOP));
  });

  it('ALU32 results are zero-extended; the K operand of ALU64 is sign-extended (RFC 9669 §4.1)', () => {
    // mov r0, -1 → 0xffffffffffffffff; add32 w0, 1 → low half wraps to 0, upper half cleared.
    expect(run([Alu64.mov.imm(0, -1), Ins.exit()]).r0).toBe(0xffffffffffffffffn);
    expect(run([Alu64.mov.imm(0, -1), Alu32.add.imm(0, 1), Ins.exit()]).r0).toBe(0n);
    expect(run([Alu32.mov.imm(0, -1), Ins.exit()]).r0).toBe(0xffffffffn);
  });

  it('movsx sign-extends from 8/16/32 bits (ALU64) and from 8/16 bits into 32 (ALU)', () => {
    const movsx = (is64: boolean, bits: number): Insn => ({ code: is64 ? 0xbf : 0xbc, dst: 0, src: 1, off: bits, imm: 0 });
    expect(run([Alu64.mov.imm(1, 0x80), movsx(true, 8), Ins.exit()]).r0).toBe(0xffffffffffffff80n);
    expect(run([Alu64.mov.imm(1, 0x8000), movsx(true, 16), Ins.exit()]).r0).toBe(0xffffffffffff8000n);
    expect(run([Alu64.mov.imm(1, 0x80), movsx(false, 8), Ins.exit()]).r0).toBe(0xffffff80n);
  });

  it('signed division: INT64_MIN / -1 = INT64_MIN, INT64_MIN % -1 = 0, division by zero = 0, modulo by zero keeps dst', () => {
    const min = Ins.lddw(0, 0x8000000000000000n);
    const sdiv = { code: 0x3f, dst: 0, src: 1, off: 1, imm: 0 };
    const smod = { code: 0x9f, dst: 0, src: 1, off: 1, imm: 0 };
    expect(run([...min, Alu64.mov.imm(1, -1), sdiv, Ins.exit()]).r0).toBe(0x8000000000000000n);
    expect(run([...min, Alu64.mov.imm(1, -1), smod, Ins.exit()]).r0).toBe(0n);
    expect(run([Alu64.mov.imm(0, 7), Alu64.mov.imm(1, 0), sdiv, Ins.exit()]).r0).toBe(0n);
    expect(run([Alu64.mov.imm(0, -7), Alu64.mov.imm(1, 0), smod, Ins.exit()]).r0).toBe(0xfffffffffffffff9n);
    // mod32 by zero: dst keeps its low 32 bits, zero-extended.
    expect(run([Alu64.mov.imm(0, -7), Alu64.mov.imm(1, 0), Alu32.mod.reg(0, 1), Ins.exit()]).r0).toBe(0xfffffff9n);
  });

  it('shift counts are masked to the operand width', () => {
    expect(run([Alu64.mov.imm(0, 1), Alu64.mov.imm(1, 65), Alu64.lsh.reg(0, 1), Ins.exit()]).r0).toBe(2n);
    expect(run([Alu64.mov.imm(0, 1), Alu64.mov.imm(1, 33), Alu32.lsh.reg(0, 1), Ins.exit()]).r0).toBe(2n);
  });

  it('bpf-to-bpf calls give each frame its own 512-byte stack and restore r6–r10', () => {
    const p = [
      Ins.st('dw', 10, -8, 111),
      Alu64.mov.imm(6, 6),
      Ins.callLocal(4),
      Ins.ldx('dw', 1, 10, -8),
      Alu64.add.reg(0, 1),
      Alu64.add.reg(0, 6),
      Ins.exit(),
      // callee at 2 + 4 + 1 = 7: writes its own [r10-8], clobbers r6, returns 222
      Ins.st('dw', 10, -8, 222),
      Alu64.mov.imm(6, 0),
      Ins.ldx('dw', 0, 10, -8),
      Ins.exit(),
    ];
    expect(run(p).r0).toBe(222n + 111n + 6n);
  });

  it('a ninth nested frame is a RUN_CALL_DEPTH fault at the call', () => {
    // Each function calls the next; nine functions in all.
    const p: Insn[] = [];
    for (let f = 0; f < 9; f++) p.push(f < 8 ? Ins.callLocal(1) : Alu64.mov.imm(0, 1), Ins.exit());
    const e = fault(p);
    expect(e.code).toBe('RUN_CALL_DEPTH');
    expect(e.index).toBe(14);
    // Eight frames are fine.
    const ok: Insn[] = [];
    for (let f = 0; f < 8; f++) ok.push(f < 7 ? Ins.callLocal(1) : Alu64.mov.imm(0, 1), Ins.exit());
    expect(run(ok).r0).toBe(1n);
  });

  it('checked mode faults outside the input and stack, naming instruction, address and size', () => {
    const e = fault([Ins.ldx('w', 0, 1, 2), Ins.exit()], new Uint8Array(5));
    expect(e.code).toBe('RUN_MEM_FAULT');
    expect(e.index).toBe(0);
    expect(e.address).toBe(BigInt(INPUT_BASE + 2));
    expect(e.message).toMatch(/insn 0: read of 4 bytes at 0x10002/);
    expect(fault([Ins.st('b', 10, 0, 1), Ins.exit()]).message).toMatch(/write of 1 byte at 0x2000/);
    expect(fault([Alu64.mov.imm(1, 0), Ins.ldx('b', 0, 1, 0), Ins.exit()]).address).toBe(0n);
    expect(fault([Alu64.mov.imm(1, -1), Ins.ldx('b', 0, 1, 0), Ins.exit()]).address).toBe(0xffffffffffffffffn);
    expect(run([Ins.ldx('w', 0, 1, 1), Ins.exit()], Uint8Array.of(0, 1, 2, 3, 4)).r0).toBe(0x04030201n);
  });

  it('unchecked mode still never reads past the end of memory', () => {
    const e = (() => {
      try {
        run([Ins.lddw(1, 0xffffffffn)[0]!, Ins.lddw(1, 0xffffffffn)[1]!, Ins.ldx('b', 0, 1, 0), Ins.exit()], undefined, { checked: false });
      } catch (err) {
        return err as RuntimeFault;
      }
    })();
    expect(e?.code).toBe('RUN_MEM_FAULT');
  });

  it('calls helpers by number with r1–r5 and an unknown one is a RUN_HELPER fault', () => {
    const h = new HelperTable([{ id: 1000, name: 'sum', fn: (a, b, c, d, e) => a + b + c + d + e }]);
    const p = [Alu64.mov.imm(1, 1), Alu64.mov.imm(2, 2), Alu64.mov.imm(3, 3), Alu64.mov.imm(4, 4), Alu64.mov.imm(5, 5), Ins.call(1000), Ins.exit()];
    expect(run(p, undefined, { helpers: h }).r0).toBe(15n);
    expect(() => run([Ins.call(4242), Ins.exit()])).toThrow(/insn 0: call to unknown helper/);
  });

  it('traces every instruction with the registers it changed', () => {
    const events: TraceEvent[] = [];
    run([Alu64.mov.imm(0, 5), Alu64.add.imm(0, 1), Ins.exit()], undefined, { trace: (e) => events.push(e) });
    expect(events.map((e) => e.pc)).toEqual([0, 1, 2]);
    expect(events[1]!.changed).toEqual([[0, 5n, 6n]]);
    expect(events[2]!.changed).toEqual([]);
  });

  it('stops at the instruction budget with RUN_INSN_LIMIT', () => {
    expect(() => run([Ins.ja(-1), Ins.exit()], undefined, { maxInstructions: 100 })).toThrow(/instruction limit 100/);
  });

  it('counts executed instructions (ld_imm64 once)', () => {
    expect(run([...Ins.lddw(0, 1n), Jmp.jeq.imm(0, 1, 0), Ins.exit()]).executed).toBe(3);
  });

  it('runs the patterns it fuses (3-address ALU, 32-bit extension, two moves) with their plain meaning', () => {
    const x = 0x1_8000_0001n;
    // r0 = r1; r0 <<= 32; r0 >>= 32 keeps the low half: 0x80000001; with >>= (arsh) its sign: 0xffffffff80000001
    expect(run([...Ins.lddw(1, x), Alu64.mov.reg(0, 1), Alu64.lsh.imm(0, 32), Alu64.rsh.imm(0, 32), Ins.exit()]).r0).toBe(0x8000_0001n);
    expect(run([...Ins.lddw(1, x), Alu64.mov.reg(0, 1), Alu64.lsh.imm(0, 32), Alu64.arsh.imm(0, 32), Ins.exit()]).r0).toBe(0xffff_ffff_8000_0001n);
    expect(run([...Ins.lddw(0, x), Alu64.lsh.imm(0, 32), Alu64.rsh.imm(0, 32), Ins.exit()]).r0).toBe(0x8000_0001n);
    // r0 = r1; r0 += r0 (the operand is the register just written): 2 * x; r0 = r1; r0 -= r0: 0
    expect(run([...Ins.lddw(1, x), Alu64.mov.reg(0, 1), Alu64.add.reg(0, 0), Ins.exit()]).r0).toBe(2n * x);
    expect(run([...Ins.lddw(1, x), Alu64.mov.reg(0, 1), Alu64.sub.reg(0, 0), Ins.exit()]).r0).toBe(0n);
    // r0 = -1; r0 *= 3 → -3 mod 2^64; r0 = r1; r0 >>= 4 → x / 16
    expect(run([Alu64.mov.imm(0, -1), Alu64.mul.imm(0, 3), Ins.exit()]).r0).toBe(0xffff_ffff_ffff_fffdn);
    expect(run([...Ins.lddw(1, x), Alu64.mov.reg(0, 1), Alu64.rsh.imm(0, 4), Ins.exit()]).r0).toBe(x >> 4n);
    // two moves: r2 = r1; r0 = r2 (the second reads what the first wrote)
    expect(run([...Ins.lddw(1, x), Alu64.mov.reg(2, 1), Alu64.mov.reg(0, 2), Ins.exit()]).r0).toBe(x);
    // a jump to the second instruction of a fused pair runs it alone: r0 = 7, goto L; r0 = r1; L: r0 += 1 → 8
    expect(run([Alu64.mov.imm(0, 7), Ins.ja(1), Alu64.mov.reg(0, 1), Alu64.add.imm(0, 1), Ins.exit()]).r0).toBe(8n);
  });

  it('an instruction budget that ends inside a fused pattern stops where the plain instructions stop', () => {
    // straight-line code: instruction k (0-based) is the (k+1)th executed, so a budget of k stops at index k
    const prog = [Alu64.mov.imm(1, 5), Alu64.mov.reg(0, 1), Alu64.lsh.imm(0, 32), Alu64.rsh.imm(0, 32), Alu64.mov.reg(2, 0), Alu64.add.reg(2, 2), Alu64.mov.reg(3, 2), Alu64.mov.reg(0, 3), Ins.exit()];
    for (let max = 1; max < prog.length; max++) {
      expect(() => run(prog, undefined, { maxInstructions: max })).toThrow(`insn ${max}: instruction limit ${max} reached`);
      // a traced run executes the instructions one by one: same stop
      expect(() => run(prog, undefined, { maxInstructions: max, trace: () => {} })).toThrow(`insn ${max}: instruction limit ${max} reached`);
    }
    const done = run(prog, undefined, { maxInstructions: prog.length });
    // r1 = 5, r0 = zext(5) = 5, r2 = 5 + 5 = 10, r3 = 10, r0 = 10
    expect(done).toMatchObject({ r0: 10n, executed: prog.length });
  });

  it('bpf_spin_lock / bpf_spin_unlock set and clear the lock word, also in pages a grow added; past memory is RUN_HELPER', () => {
    const memory = new EngineMemory();
    const it = (addr: number, id: number) =>
      new Interpreter([...Ins.lddw(1, BigInt(addr)), Ins.call(id), Ins.exit()], { memory, helpers: baseHelpers(), checked: false });
    const word = (a: number) => new DataView(memory.memory.buffer).getUint32(a, true);
    const a = INPUT_BASE + 16;
    it(a, 93).run({ args: [], regions: [] });
    expect(word(a)).toBe(1);
    it(a, 94).run({ args: [], regions: [] });
    expect(word(a)).toBe(0);
    // 4 pages (256 KiB) at first; a grow detaches the buffer the helpers had a view of
    const end = memory.memory.buffer.byteLength;
    memory.memory.grow(1);
    it(end + 8, 93).run({ args: [], regions: [] });
    expect(word(end + 8)).toBe(1);
    const past = memory.memory.buffer.byteLength;
    expect(() => it(past, 93).run({ args: [], regions: [] })).toThrow(`bpf_spin_lock: bad lock address 0x${past.toString(16)}`);
  });

  it('a program that tail-calls itself runs 1 + MAX_TAIL_CALL_CNT (33) times on one stack, then falls through', () => {
    const memory = new EngineMemory();
    memory.clearStack();
    // count in r10 - 4 (the stack is the caller's across tail calls); tail-call self; past the limit the
    // call fails and the count is returned: 34
    const prog = [
      Ins.ldx('w', 0, 10, -4),
      Alu64.add.imm(0, 1),
      Ins.stx('w', 10, 0, -4),
      Ins.call(12),
      Ins.ldx('w', 0, 10, -4),
      Ins.exit(),
    ];
    let calls = 0;
    const self: Interpreter = new Interpreter(prog, {
      memory,
      helpers: baseHelpers(),
      checked: false,
      tailCall: () => {
        calls++;
        return self;
      },
    });
    expect(self.run({ args: [], regions: [] }).r0).toBe(34n);
    expect(calls).toBe(33);
    // every instruction of the 34 runs counts: 4 up to the call each, then the last one's 2
    expect(self.executed).toBe(34 * 4 + 2);
  });

  it('traces a bpf-to-bpf call and its return: r0 and r6–r9 cleared and r10 lowered at the call, r1–r10 back at the exit', () => {
    const prog = [
      Alu64.mov.imm(6, 7),
      Alu64.mov.imm(1, 3),
      Ins.callLocal(2), // to slot 5
      Alu64.add.reg(0, 6), // 4 + 7
      Ins.exit(),
      Alu64.mov.imm(6, 1),
      Alu64.mov.reg(0, 1),
      Alu64.add.imm(0, 1), // 3 + 1
      Ins.exit(),
    ];
    const events: TraceEvent[] = [];
    expect(run(prog, undefined, { trace: (e) => events.push(e) }).r0).toBe(11n);
    expect(run(prog).r0).toBe(11n);
    const top = BigInt(STACK_TOP);
    expect(events.map((e) => [e.pc, e.frame, e.changed])).toEqual([
      [0, 0, [[6, 0n, 7n]]],
      [1, 0, [[1, BigInt(INPUT_BASE), 3n]]], // r1 entered with the input address
      [2, 1, [[6, 7n, 0n], [10, top, top - 512n]]],
      [5, 1, [[6, 0n, 1n]]],
      [6, 1, [[0, 0n, 3n]]],
      [7, 1, [[0, 3n, 4n]]],
      [8, 0, [[6, 1n, 7n], [10, top - 512n, top]]],
      [3, 0, [[0, 4n, 11n]]],
      [4, 0, []],
    ]);
  });
});

describe('Interpreter may_goto', () => {
  // the JIT's cases (tests/jit/jump.test.ts), counts derived there from do_misc_fixups' rewrite
  it.each(MAY_GOTO_PROGRAMS)('%s', (_name, pieces, want) => {
    expect(run(pieces.flat()).r0).toBe(want);
  });
});
