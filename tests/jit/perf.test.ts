// Opt-in measurement (not a timed test): WXDP_PERF=1 npx vitest run tests/jit/perf.test.ts
// prime(67) through the JIT with each optimiser mode and through the reference interpreter.
import { describe, expect, it } from 'vitest';
import { HelperTable } from '../../src/helpers/index.js';
import { Interpreter } from '../../src/interp/index.js';
import { clearJitCache, compile, type OptimizeMode } from '../../src/jit/index.js';
import { EngineMemory } from '../../src/runtime/memory.js';
import type { Engine } from '../../src/runtime/types.js';
import { primeExecuted, primeProgram } from './prime.js';

const req = { args: [], regions: [] };

/** ns per run, after an adaptive warm-up (V8 tiers wasm up from Liftoff only on later calls). */
function nsPerRun(e: Engine, runs: number): number {
  for (let w = 0; w < 5; w++) for (let i = 0; i < runs; i++) e.run(req);
  let best = Infinity;
  for (let rep = 0; rep < 7; rep++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < runs; i++) e.run(req);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / runs);
  }
  return best;
}

describe.runIf(process.env.WXDP_PERF)('JIT performance on prime.data', () => {
  it('reports ns/insn and compile time per optimiser mode', async () => {
    const memory = new EngineMemory();
    const helpers = new HelperTable();
    const prog = primeProgram(67);
    const executed = primeExecuted(67);
    await compile([prog[0]!, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }], { memory, helpers }); // load binaryen
    const interp = new Interpreter(prog, { memory, helpers });
    interp.run(req);
    expect(interp.executed).toBe(executed);
    const interpNs = nsPerRun(interp, 2000);
    console.log(`interp: ${interpNs.toFixed(0)} ns/run, ${(interpNs / executed).toFixed(2)} ns/insn (${executed} insns)`);
    const modes: OptimizeMode[] = ['none', 'light', 'O2', 'O3'];
    for (const mode of modes) {
      for (const checked of [true, false]) {
        clearJitCache();
        const times: number[] = [];
        for (let i = 0; i < 20; i++) {
          clearJitCache();
          const t0 = performance.now();
          await compile(prog, { memory, helpers, optimize: mode, checked });
          times.push(performance.now() - t0);
        }
        times.sort((a, b) => a - b);
        const p = await compile(prog, { memory, helpers, optimize: mode, checked });
        expect(p.run(req).r0).toBe(1n);
        const ns = nsPerRun(p, 200_000);
        console.log(
          `jit ${mode.padEnd(5)} ${checked ? 'checked  ' : 'unchecked'}: ${ns.toFixed(1)} ns/run, ${(ns / executed).toFixed(3)} ns/insn, ` +
            `${(interpNs / ns).toFixed(0)}x interp; compile median ${times[10]!.toFixed(2)} ms (min ${times[0]!.toFixed(2)}), ${p.info.wasmBytes} B`,
        );
      }
    }
    // Per-run floor: r0 = 2; exit
    const floor = await compile([{ code: 0xb7, dst: 0, src: 0, off: 0, imm: 2 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }], { memory, helpers });
    console.log(`floor (mov+exit): ${nsPerRun(floor, 1_000_000).toFixed(1)} ns/run`);
  });
});
