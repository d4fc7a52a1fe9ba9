// Compilation: the Module cache, programs the JIT refuses, and optimiser modes.

import { describe, expect, it } from 'vitest';
import { WxdpError } from '../../src/errors.js';
import { HelperTable } from '../../src/helpers/index.js';
import { Alu64, Ins, insn, Jmp } from '../../src/isa/insn.js';
import { clearJitCache, compile, type OptimizeMode } from '../../src/jit/index.js';
import { EngineMemory, INPUT_BASE } from '../../src/runtime/memory.js';
import { assemble } from '../../src/asm/index.js';
import { caught, defaultMemory, jit, r0Of } from './harness.js';
import { primeProgram } from './prime.js';

describe('JIT module cache', () => {
  it('compiling the same program twice reuses the WebAssembly.Module, with a fresh instance', async () => {
    clearJitCache();
    const a = await jit(primeProgram(67));
    const b = await jit(primeProgram(67));
    expect(a.info.cached).toBe(false);
    expect(b.info.cached).toBe(true);
    expect(b.module).toBe(a.module);
    expect(b.instance).not.toBe(a.instance);
    expect(b.run({ args: [], regions: [] }).r0).toBe(1n);
  });

  it('a second compile costs far less than the first', async () => {
    clearJitCache();
    const p = primeProgram(61);
    const t0 = performance.now();
    await jit(p);
    const first = performance.now() - t0;
    const t1 = performance.now();
    for (let i = 0; i < 10; i++) await jit(p);
    const again = (performance.now() - t1) / 10;
    expect(again).toBeLessThan(first);
  });

  it('the key covers the program, checked mode, optimiser and memory shape; not helpers or memory identity', async () => {
    clearJitCache();
    const base = await jit(primeProgram(67));
    expect((await jit(primeProgram(71))).module).not.toBe(base.module);
    expect((await jit(primeProgram(67), { checked: false })).module).not.toBe(base.module);
    expect((await jit(primeProgram(67), { optimize: false })).module).not.toBe(base.module);
    expect((await jit(primeProgram(67), { memory: new EngineMemory({ maximumPages: 512 }) })).module).not.toBe(base.module);
    expect((await jit(primeProgram(67), { memory: new EngineMemory() })).module).toBe(base.module);
    expect((await jit(primeProgram(67), { helpers: new HelperTable([{ id: 1, name: 'x', fn: () => 0n }]) })).module).toBe(base.module);
  });

  it('the same module bound to two helper tables calls each its own helper', async () => {
    const p = [Ins.call(50), Ins.exit()];
    const a = await jit(p, { helpers: new HelperTable([{ id: 50, name: 'a', fn: () => 1n }]) });
    const b = await jit(p, { helpers: new HelperTable([{ id: 50, name: 'b', fn: () => 2n }]) });
    expect(b.module).toBe(a.module);
    expect(a.run({ args: [], regions: [] }).r0).toBe(1n);
    expect(b.run({ args: [], regions: [] }).r0).toBe(2n);
  });

  it('concurrent compiles of one program share one build', async () => {
    clearJitCache();
    const [a, b] = await Promise.all([jit(primeProgram(13)), jit(primeProgram(13))]);
    expect(a.module).toBe(b.module);
  });
});

describe('JIT refuses malformed programs with JIT_COMPILE', () => {
  it.each([
    ['a jump past the end', [Ins.ja(5), Ins.exit()], /insn 0: jump to 6 leaves the program/],
    ['a jump before the start', [Ins.ja(-3), Ins.exit()], /insn 0: jump to -2/],
    ['falling off the end', [Alu64.mov.imm(0, 1)], /insn 0: fall-through to 1 leaves the program/],
    ['a jump into the middle of ld_imm64', [Ins.ja(1), Ins.lddw(0, 1n), Ins.exit()].flat(), /lands inside ld_imm64 1/],
    ['a stray ld_imm64 second slot', [Ins.lddw(0, 1n)[1]!, Ins.exit()], /insn 0: ld_imm64 second slot without a first/],
    ['an ld_imm64 without its second slot', [Ins.lddw(0, 1n)[0]!, Ins.exit()], /insn 0: ld_imm64 without its second slot/],
    ['a call to nowhere', [Ins.callLocal(10), Ins.exit()], /insn 0: call to 11/],
    ['an unknown opcode', [insn(0xff), Ins.exit()], /insn 0: /],
    ['an invalid register', [Alu64.mov.imm(11 as 0, 1), Ins.exit()], /invalid register r11/],
    ['an empty program', [], /empty/],
  ])('%s', async (_name, p, msg) => {
    const e = await caught(() => compile(p, { memory: defaultMemory, helpers: new HelperTable() }));
    expect(e).toBeInstanceOf(WxdpError);
    expect(e.code).toBe('JIT_COMPILE');
    expect(e.message).toMatch(msg);
  });

  it('unreachable garbage after the last exit is ignored', async () => {
    expect(await r0Of([Alu64.mov.imm(0, 4), Ins.exit(), insn(0xff), Ins.ja(100)])).toBe(4n);
  });

  it('a failed build is not cached', async () => {
    const bad = [Ins.ja(5)];
    await caught(() => jit(bad));
    const e = await caught(() => jit(bad));
    expect(e.code).toBe('JIT_COMPILE');
  });
});

describe('JIT optimiser modes agree', () => {
  it.each<OptimizeMode | boolean>([false, true, 'none', 'light', 'O2', 'O3'])('optimize: %s', async (optimize) => {
    expect(await r0Of(primeProgram(67), { optimize })).toBe(1n);
    expect(await r0Of(primeProgram(91), { optimize })).toBe(0n); // 91 = 7 × 13
  });
});

describe('JitProgram.runRepeated()', () => {
  it('runs the program n times inside wasm; each run sees memory the previous one left', async () => {
    const memory = new EngineMemory();
    // input[0] += 1; r0 = input[0]
    const jit = await compile(assemble('r0 = *(u64 *)(r1 + 0)\nr0 += 1\n*(u64 *)(r1 + 0) = r0\nexit'), { memory, helpers: new HelperTable() });
    const region = memory.placeInput(new Uint8Array(8));
    const req = { args: [BigInt(INPUT_BASE)], regions: [region] };
    expect(jit.runRepeated(req, 1000).r0).toBe(1000n);
    expect(jit.runRepeated(req, 1).r0).toBe(1001n);
    expect(() => jit.runRepeated(req, 0)).toThrow(/repeat must be an integer/);
  });
});

describe('checked mode back-edge budget', () => {
  it('ends an unbounded loop with RUN_INSN_LIMIT naming the loop head, instead of hanging', async () => {
    const memory = new EngineMemory();
    // 0: r0 = 0; 1: r0 += 1; 2: goto -2 (to 1, the loop head)
    const prog = [Alu64.mov.imm(0, 0), Alu64.add.imm(0, 1), Ins.ja(-2), Ins.exit()];
    const jit = await compile(prog, { memory, helpers: new HelperTable(), maxBackEdges: 1000 });
    const e = await caught(() => jit.run({ args: [], regions: [] }));
    expect(e).toMatchObject({ code: 'RUN_INSN_LIMIT', index: 1 });
    // The budget is per run: a loop of 999 iterations passes, every time.
    const bounded = [Alu64.mov.imm(0, 0), Alu64.add.imm(0, 1), Jmp.jlt.imm(0, 999, -2), Ins.exit()];
    const ok = await compile(bounded, { memory, helpers: new HelperTable(), maxBackEdges: 1000 });
    for (let i = 0; i < 3; i++) expect(ok.run({ args: [], regions: [] }).r0).toBe(999n);
    // Unchecked (verified) programs carry no budget.
    const un = await compile(bounded, { memory, helpers: new HelperTable(), checked: false, maxBackEdges: 10 });
    expect(un.run({ args: [], regions: [] }).r0).toBe(999n);
  });
});
