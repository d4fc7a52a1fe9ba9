// Loads, stores and atomics (RFC 9669 §5), and checked mode: every access must lie inside the stack
// [STACK_BASE, STACK_TOP) or one of the run's regions (writable ones for stores and atomics).

import { describe, expect, it } from 'vitest';
import { RuntimeFault } from '../../src/errors.js';
import { HelperTable } from '../../src/helpers/index.js';
import { Alu64, Ins, type Insn } from '../../src/isa/insn.js';
import { AtomicOp } from '../../src/isa/opcodes.js';
import { compile, jitText, REGION_SLOTS } from '../../src/jit/index.js';
import { EngineMemory, INPUT_BASE, STACK_BASE, STACK_TOP, type Region } from '../../src/runtime/memory.js';
import { caught, defaultMemory, jit, type Piece, prog, r0Of } from './harness.js';

const U64_MAX = 0xffff_ffff_ffff_ffffn;

describe('JIT loads and stores', () => {
  const V = 0x8877_6655_4433_2211n;
  it.each<[string, Insn, bigint]>([
    ['ldxb reads the lowest-addressed byte', Ins.ldx('b', 0, 10, -8), 0x11n],
    ['ldxh reads 2 bytes little-endian', Ins.ldx('h', 0, 10, -8), 0x2211n],
    ['ldxw reads 4 bytes', Ins.ldx('w', 0, 10, -8), 0x4433_2211n],
    ['ldxdw reads 8 bytes', Ins.ldx('dw', 0, 10, -8), V],
    ['ldxb at an inner offset', Ins.ldx('b', 0, 10, -1), 0x88n],
    ['ldxh at -2: 0x8877 zero-extended', Ins.ldx('h', 0, 10, -2), 0x8877n],
    ['ldxsb sign-extends 0x88', Ins.ldxs('b', 0, 10, -1), 0xffff_ffff_ffff_ff88n],
    ['ldxsh sign-extends 0x8877', Ins.ldxs('h', 0, 10, -2), 0xffff_ffff_ffff_8877n],
    ['ldxsw sign-extends 0x88776655', Ins.ldxs('w', 0, 10, -4), 0xffff_ffff_8877_6655n],
    ['ldxsb of a positive byte: 0x11 stays 0x11', Ins.ldxs('b', 0, 10, -8), 0x11n],
  ])('%s', async (_name, load, want) => {
    expect(await r0Of([Ins.lddw(1, V), Ins.stx('dw', 10, 1, -8), load, Ins.exit()])).toBe(want);
  });

  it.each<[string, Insn[], bigint]>([
    ['st dw stores the imm sign-extended to 64 bits', [Ins.st('dw', 10, -8, -2)], U64_MAX - 1n],
    ['st w stores 4 bytes of the imm', [Ins.st('dw', 10, -8, 0), Ins.st('w', 10, -8, -1)], 0xffff_ffffn],
    ['st h truncates the imm to 16 bits', [Ins.st('dw', 10, -8, 0), Ins.st('h', 10, -8, 0x12345)], 0x2345n],
    ['st b truncates the imm to 8 bits', [Ins.st('dw', 10, -8, 0), Ins.st('b', 10, -8, 0x1ff)], 0xffn],
    ['stx w stores the low half of the register', [Ins.st('dw', 10, -8, 0), Alu64.mov.imm(1, -1), Ins.stx('w', 10, 1, -8)], 0xffff_ffffn],
    ['stx b at -5 lands in byte 3', [Ins.st('dw', 10, -8, 0), Alu64.mov.imm(1, 0xab), Ins.stx('b', 10, 1, -5)], 0xab00_0000n],
    ['stx h at -8 leaves the other 6 bytes', [Ins.st('dw', 10, -8, -1), Alu64.mov.imm(1, 0), Ins.stx('h', 10, 1, -8)], 0xffff_ffff_ffff_0000n],
  ])('%s', async (_name, stores, want) => {
    expect(await r0Of([...stores, Ins.ldx('dw', 0, 10, -8), Ins.exit()])).toBe(want);
  });

  it('reads and writes the input region through a pointer in r1, with positive and negative offsets', async () => {
    const p = [
      Alu64.mov.reg(2, 1),
      Alu64.add.imm(2, 8), //          r2 = input + 8
      Ins.ldx('b', 0, 2, -8), //       r0 = input[0] = 1
      Ins.ldx('b', 3, 2, 7), //        r3 = input[15] = 16
      Alu64.lsh.imm(3, 8),
      Alu64.or.reg(0, 3), //           r0 = 0x1001
      Ins.stx('h', 2, 0, -2), //       input[6..8) = 01 10
      Ins.exit(),
    ];
    for (const checked of [true, false]) {
      const region = defaultMemory.placeInput(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]));
      expect(await r0Of(p, { checked, args: [BigInt(INPUT_BASE)], regions: [region] })).toBe(0x1001n);
      expect([...defaultMemory.readInput(8)]).toEqual([1, 2, 3, 4, 5, 6, 0x01, 0x10]);
    }
  });
});

describe.each([false, true])('JIT atomics (shared memory: %s)', (shared) => {
  const memory = new EngineMemory({ shared });
  const M = 0x8000_0000_0000_00f0n; // initial memory at [r10-8]
  const S = 0x0000_0001_0000_0f3cn; // operand in r3
  // low halves: 0xf0 + 0xf3c = 0x102c, 0xf0 | 0xf3c = 0xffc, 0xf0 & 0xf3c = 0x30, 0xf0 ^ 0xf3c = 0xfcc

  /** Run one atomic op; returns the source register after it, r0 after it, and the memory word. */
  async function atomicRun(size: 'w' | 'dw', aop: number, mem: bigint, src: bigint, r0 = 0n) {
    const out = memory.placeInput(new Uint8Array(24));
    const p = prog(
      Ins.lddw(2, mem),
      Ins.stx('dw', 10, 2, -8),
      Ins.lddw(3, src),
      Ins.lddw(0, r0),
      Ins.atomic(size, 10, 3, -8, aop),
      Ins.stx('dw', 1, 3, 0), //  out[0] = src register
      Ins.stx('dw', 1, 0, 8), //  out[8] = r0
      Ins.ldx('dw', 4, 10, -8),
      Ins.stx('dw', 1, 4, 16), // out[16] = memory word
      Ins.exit(),
    );
    const jp = await compile(p, { memory, helpers: new HelperTable() });
    jp.run({ args: [BigInt(INPUT_BASE)], regions: [out] });
    const v = new DataView(memory.memory.buffer, INPUT_BASE, 24);
    return { src: v.getBigUint64(0, true), r0: v.getBigUint64(8, true), mem: v.getBigUint64(16, true) };
  }

  const F = AtomicOp.FETCH;
  it.each<[string, 'w' | 'dw', number, bigint]>([
    ['add', 'dw', AtomicOp.ADD, 0x8000_0001_0000_102cn],
    ['or', 'dw', AtomicOp.OR, 0x8000_0001_0000_0ffcn],
    ['and', 'dw', AtomicOp.AND, 0x30n],
    ['xor', 'dw', AtomicOp.XOR, 0x8000_0001_0000_0fccn],
    // 32-bit: only the low word [r10-8, r10-4) changes; the high word 0x80000000 stays
    ['add32', 'w', AtomicOp.ADD, 0x8000_0000_0000_102cn],
    ['or32', 'w', AtomicOp.OR, 0x8000_0000_0000_0ffcn],
    ['and32', 'w', AtomicOp.AND, 0x8000_0000_0000_0030n],
    ['xor32', 'w', AtomicOp.XOR, 0x8000_0000_0000_0fccn],
  ])('%s: memory updated, src kept without FETCH, old value (zero-extended) with FETCH', async (_n, size, aop, want) => {
    const plain = await atomicRun(size, aop, M, S);
    expect(plain.mem).toBe(want);
    expect(plain.src).toBe(S);
    const fetched = await atomicRun(size, aop | F, M, S);
    expect(fetched.mem).toBe(want);
    expect(fetched.src).toBe(size === 'dw' ? M : 0xf0n);
  });

  it('add32 wraps within the word: 0xffffffff + 1 = 0, no carry into the next word', async () => {
    const r = await atomicRun('w', AtomicOp.ADD | F, 0x0000_0005_ffff_ffffn, 1n);
    expect(r.mem).toBe(0x0000_0005_0000_0000n);
    expect(r.src).toBe(0xffff_ffffn);
  });

  it('xchg: memory gets src, src gets the old value', async () => {
    expect(await atomicRun('dw', AtomicOp.XCHG, M, S)).toMatchObject({ mem: S, src: M });
    // 32-bit: low word replaced by S's low half, src = old low word zero-extended
    expect(await atomicRun('w', AtomicOp.XCHG, M, S)).toMatchObject({ mem: 0x8000_0000_0000_0f3cn, src: 0xf0n });
  });

  it('cmpxchg 64: stores src when memory equals r0; r0 gets the old value either way', async () => {
    expect(await atomicRun('dw', AtomicOp.CMPXCHG, M, S, M)).toMatchObject({ mem: S, r0: M, src: S });
    expect(await atomicRun('dw', AtomicOp.CMPXCHG, M, S, M + 1n)).toMatchObject({ mem: M, r0: M, src: S });
  });

  it('cmpxchg 32: compares the low half of r0 only and zero-extends the old value into r0', async () => {
    // r0's upper half differs from memory's, the low half (0xf0) matches: success
    expect(await atomicRun('w', AtomicOp.CMPXCHG, M, S, 0xdead_beef_0000_00f0n)).toMatchObject({
      mem: 0x8000_0000_0000_0f3cn,
      r0: 0xf0n,
    });
    expect(await atomicRun('w', AtomicOp.CMPXCHG, M, S, 0xf1n)).toMatchObject({ mem: M, r0: 0xf0n });
  });
});

describe('JIT checked mode', () => {
  const input = (): Region => defaultMemory.placeInput(new Uint8Array(16)); // [INPUT_BASE, INPUT_BASE + 16)

  async function fault(pieces: Piece[], args: bigint[], regions: Region[]): Promise<RuntimeFault> {
    const p = await jit(pieces);
    const e = await caught(() => p.run({ args, regions }));
    expect(e).toBeInstanceOf(RuntimeFault);
    return e as unknown as RuntimeFault;
  }

  it('a read just below a region faults, naming the instruction, address and size', async () => {
    const e = await fault([Alu64.mov.imm(0, 0), Ins.ldx('b', 0, 1, -1), Ins.exit()], [BigInt(INPUT_BASE)], [input()]);
    expect(e.code).toBe('RUN_MEM_FAULT');
    expect(e.index).toBe(1);
    expect(e.address).toBe(BigInt(INPUT_BASE - 1));
    expect(e.size).toBe(1);
    expect(e.message).toBe(`insn 1: read of 1 byte at 0x${(INPUT_BASE - 1).toString(16)} is outside the program's memory`);
  });

  it('a write straddling the end of a region faults', async () => {
    // bytes 14..17 of a 16-byte region
    const e = await fault([Alu64.mov.imm(2, 7), Ins.stx('w', 1, 2, 14), Ins.exit()], [BigInt(INPUT_BASE)], [input()]);
    expect(e).toMatchObject({ code: 'RUN_MEM_FAULT', index: 1, address: BigInt(INPUT_BASE + 14), size: 4 });
    expect(e.message).toContain('write of 4 bytes');
  });

  it('the last bytes of a region are fine', async () => {
    const r = input();
    defaultMemory.bytes().set([1, 2, 3, 4], INPUT_BASE + 12);
    const p = await jit([Ins.ldx('w', 0, 1, 12), Ins.exit()]);
    expect(p.run({ args: [BigInt(INPUT_BASE)], regions: [r] }).r0).toBe(0x0403_0201n);
  });

  it('address 0 faults', async () => {
    const e = await fault([Alu64.mov.imm(1, 0), Ins.ldx('b', 0, 1, 0), Ins.exit()], [], [input()]);
    expect(e).toMatchObject({ code: 'RUN_MEM_FAULT', index: 1, address: 0n, size: 1 });
  });

  it('a negative address faults with the full 64-bit address', async () => {
    const e = await fault([Alu64.mov.imm(1, -8), Ins.ldx('dw', 0, 1, 0), Ins.exit()], [], [input()]);
    expect(e).toMatchObject({ index: 1, address: 0xffff_ffff_ffff_fff8n, size: 8 });
    expect(e.message).toContain('0xfffffffffffffff8');
  });

  it('a huge address whose low 32 bits are inside a region faults', async () => {
    const e = await fault([Ins.lddw(1, (1n << 32n) + BigInt(INPUT_BASE)), Ins.ldx('b', 0, 1, 0), Ins.exit()], [], [input()]);
    expect(e).toMatchObject({ index: 2, address: (1n << 32n) + BigInt(INPUT_BASE) });
  });

  it('a negative offset that wraps below zero faults', async () => {
    const e = await fault([Alu64.mov.imm(1, 4), Ins.ldx('w', 0, 1, -8), Ins.exit()], [], []);
    expect(e).toMatchObject({ index: 1, address: U64_MAX - 3n, size: 4 });
  });

  it('stack bounds: [STACK_BASE, STACK_TOP) is allowed, one byte outside is not', async () => {
    expect(await r0Of([Ins.st('b', 10, -(STACK_TOP - STACK_BASE), 5), Ins.ldx('b', 0, 10, -(STACK_TOP - STACK_BASE)), Ins.exit()])).toBe(5n);
    const above = await fault([Ins.ldx('b', 0, 10, 0), Ins.exit()], [], []);
    expect(above).toMatchObject({ index: 0, address: BigInt(STACK_TOP) });
    const below = await fault([Ins.st('b', 10, -(STACK_TOP - STACK_BASE) - 1, 0), Ins.exit()], [], []);
    expect(below).toMatchObject({ index: 0, address: BigInt(STACK_BASE - 1), size: 1 });
    const straddle = await fault([Ins.ldx('dw', 0, 10, -4), Ins.exit()], [], []);
    expect(straddle).toMatchObject({ index: 0, address: BigInt(STACK_TOP - 4), size: 8 });
  });

  it('r10-relative accesses inside the frame are not tested at run time when nothing writes r10', async () => {
    const inFrame = prog(Ins.st('dw', 10, -512, 1), Ins.ldx('dw', 0, 10, -8), Ins.exit());
    const text = await jitText(inFrame, { memory: defaultMemory, optimize: false });
    expect(text).not.toContain('call $check_slow');
    // outside the frame (still inside the stack region): tested, and allowed
    const below = prog(Ins.st('dw', 10, -520, 1), Ins.ldx('dw', 0, 10, -520), Ins.exit());
    expect(await jitText(below, { memory: defaultMemory, optimize: false })).toContain('call $check_slow');
    expect(await r0Of(below)).toBe(1n);
  });

  it('a program that writes r10 gets every r10 access tested', async () => {
    const e = await fault([Alu64.mov.imm(10, 0), Ins.ldx('b', 0, 10, -8), Ins.exit()], [], []);
    expect(e).toMatchObject({ code: 'RUN_MEM_FAULT', index: 1, address: U64_MAX - 7n });
    const f = await fault([Ins.st('dw', 10, -8, 0), Ins.atomic('dw', 10, 10, -8, AtomicOp.XCHG), Ins.ldx('b', 0, 10, -8), Ins.exit()], [], []);
    expect(f).toMatchObject({ index: 2, address: U64_MAX - 7n }); // xchg loaded 0 into r10
  });

  it('a read-only region can be read but not written, nor used by an atomic', async () => {
    const r = { ...input(), writable: false };
    const p = await jit([Ins.ldx('b', 0, 1, 0), Ins.exit()]);
    expect(p.run({ args: [BigInt(INPUT_BASE)], regions: [r] }).r0).toBe(0n);
    const w = await fault([Ins.st('b', 1, 0, 1), Ins.exit()], [BigInt(INPUT_BASE)], [r]);
    expect(w).toMatchObject({ index: 0, size: 1 });
    expect(w.message).toContain('write');
    const a = await fault([Ins.atomic('w', 1, 2, 0, AtomicOp.ADD), Ins.exit()], [BigInt(INPUT_BASE)], [r]);
    expect(a).toMatchObject({ index: 0, size: 4 });
  });

  it(`all ${REGION_SLOTS} region slots are checked, and one region more is refused`, async () => {
    const ks = Array.from({ length: REGION_SLOTS }, (_, k) => k);
    const regions: Region[] = ks.map((k) => ({ name: `r${k}`, start: INPUT_BASE + 0x100 * k, end: INPUT_BASE + 0x100 * k + 8, writable: k !== 2 }));
    defaultMemory.placeInput(new Uint8Array(0x100 * (REGION_SLOTS + 1)));
    const p = await jit([Ins.st('dw', 1, 0, 7), Ins.ldx('dw', 0, 1, 0), Ins.exit()]);
    for (const k of ks.filter((k) => k !== 2)) expect(p.run({ args: [BigInt(INPUT_BASE + 0x100 * k)], regions }).r0).toBe(7n);
    // slot 2 is read-only; between the slots is nothing
    expect((await caught(() => p.run({ args: [BigInt(INPUT_BASE + 0x200)], regions }))).code).toBe('RUN_MEM_FAULT');
    expect((await caught(() => p.run({ args: [BigInt(INPUT_BASE + 0x80)], regions }))).code).toBe('RUN_MEM_FAULT');
    const more = [...regions, { name: 'one more', start: INPUT_BASE + 0x100 * REGION_SLOTS, end: INPUT_BASE + 0x100 * REGION_SLOTS + 8, writable: true }];
    expect((await caught(() => p.run({ args: [BigInt(INPUT_BASE)], regions: more }))).code).toBe('USAGE');
  });

  it('regions are per run: a region that is gone (or changed in place) no longer admits accesses', async () => {
    const r = input();
    const p = await jit([Ins.ldx('b', 0, 1, 8), Ins.exit()]);
    expect(p.run({ args: [BigInt(INPUT_BASE)], regions: [r] }).r0).toBe(0n);
    expect((await caught(() => p.run({ args: [BigInt(INPUT_BASE)], regions: [] }))).code).toBe('RUN_MEM_FAULT');
    expect(p.run({ args: [BigInt(INPUT_BASE)], regions: [r] }).r0).toBe(0n);
    r.end = INPUT_BASE + 8; // the same object, shrunk: byte 8 is now outside
    expect((await caught(() => p.run({ args: [BigInt(INPUT_BASE)], regions: [r] }))).code).toBe('RUN_MEM_FAULT');
  });
});

describe('JIT unchecked mode', () => {
  it('emits no checks: no fault import, no region slots, and out-of-region accesses go through', async () => {
    defaultMemory.bytes()[INPUT_BASE + 100] = 42;
    const pieces = [Ins.ldx('b', 0, 1, 100), Ins.st('b', 1, 101, 43), Ins.exit()];
    const p = await jit(pieces, { checked: false });
    expect(p.run({ args: [BigInt(INPUT_BASE)], regions: [] }).r0).toBe(42n);
    expect(defaultMemory.bytes()[INPUT_BASE + 101]).toBe(43);
    const imports = WebAssembly.Module.imports(p.module).map((d) => d.name);
    const exports = WebAssembly.Module.exports(p.module).map((d) => d.name);
    expect(imports).toEqual(['memory']);
    expect(exports).toEqual(['run', 'tail_entry', 'repeat']);
    const text = await jitText(prog(...pieces), { memory: defaultMemory, checked: false, optimize: false });
    expect(text).not.toContain('region');
    expect(text).not.toContain('fault');

    const checked = await jit(pieces);
    expect(WebAssembly.Module.imports(checked.module).map((d) => d.name)).toContain('fault');
  });

  it('a negative offset works without checks (explicit add: wasm offsets are unsigned)', async () => {
    defaultMemory.bytes()[INPUT_BASE + 3] = 0x5a;
    expect(await r0Of([Ins.ldx('b', 0, 1, -5), Ins.exit()], { checked: false, args: [BigInt(INPUT_BASE + 8)] })).toBe(0x5an);
  });

  it('an access beyond the end of memory is a RUN_MEM_FAULT (a wasm trap), not a crash', async () => {
    const e = await caught(() => r0Of([Ins.lddw(1, 0xffff_0000n), Ins.ldx('dw', 0, 1, 0), Ins.exit()], { checked: false }));
    expect(e).toBeInstanceOf(RuntimeFault);
    expect(e.code).toBe('RUN_MEM_FAULT');
  });
});
