// The interpreter's compiled tier (src/interp/compile.ts) against its switch tier, the reference: the
// same r0, the same error (code, instruction, address), the same memory and the same instruction count,
// on every bpf-conformance vector, on random programs (checked and unchecked), on runs cut short by the
// instruction budget at every point, and on programs big enough to be cut into several functions.

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { conformanceDir } from '../../bench/engine.js';
import { loadVectors, vectorProgram } from '../../src/conformance/runner.js';
import { WxdpError } from '../../src/errors.js';
import { baseHelpers, HelperTable } from '../../src/helpers/index.js';
import { Interpreter } from '../../src/interp/index.js';
import { compileSource } from '../../src/interp/compile.js';
import { halvesHelper } from '../../src/interp/helper_call.js';
import type { Insn } from '../../src/isa/insn.js';
import { Ins } from '../../src/isa/index.js';
import { EngineMemory, INPUT_BASE, STACK_BASE, STACK_TOP } from '../../src/runtime/memory.js';
import { checkProgram } from '../../src/verifier/check.js';
import { INPUT_LEN, randomProgram, Rng, TEST_HELPER } from '../support/gen.js';

const mix = new HelperTable([
  { id: TEST_HELPER, name: 'mix', fn: (a, b, c, d, e) => BigInt.asUintN(64, a * 31n + (b ^ (c << 3n)) - d * e + 7n) },
]);

interface Seen {
  r0?: string;
  error?: string;
  executed: number;
  memory: string;
}

function observe(prog: readonly Insn[], input: Uint8Array, tier: 'compiled' | 'switch', opts: { checked: boolean; max?: number; helpers?: HelperTable }): Seen {
  const memory = new EngineMemory();
  const interp = new Interpreter(prog, { memory, helpers: opts.helpers ?? mix, checked: opts.checked, maxInstructions: opts.max ?? 1_000_000, tier });
  expect(interp.tier).toBe(tier);
  memory.clearStack();
  const region = memory.placeInput(input);
  const out: Seen = { executed: 0, memory: '' };
  try {
    out.r0 = interp.run({ args: [BigInt(INPUT_BASE), BigInt(input.length)], regions: [region] }).r0.toString(16);
  } catch (e) {
    if (!(e instanceof WxdpError)) throw e;
    const f = e as WxdpError & { index?: number; address?: bigint };
    out.error = `${f.code} @${f.index} ${f.address?.toString(16) ?? ''} ${f.message}`;
  }
  out.executed = interp.executed;
  out.memory = Buffer.from(memory.bytes().subarray(STACK_BASE, STACK_TOP)).toString('hex') + Buffer.from(memory.readInput(input.length)).toString('hex');
  return out;
}

const dir = conformanceDir();
const vectors = existsSync(dir) ? loadVectors(dir) : [];

describe.skipIf(vectors.length === 0)('compiled tier = switch tier on the bpf-conformance vectors', () => {
  it.each(vectors.map((v) => [v.name, v] as const))('%s', (_name, vec) => {
    let prog: Insn[];
    try {
      prog = vectorProgram(vec);
      checkProgram(prog, { relaxed: true, helpers: baseHelpers({ trace: () => {} }) });
    } catch {
      return; // the vectors the load-time check rejects even relaxed (conformance/vectors.test.ts grades them)
    }
    const helpers = baseHelpers({ trace: () => {} });
    for (const checked of [true, false]) {
      const a = observe(prog, vec.mem, 'switch', { checked, helpers });
      expect(observe(prog, vec.mem, 'compiled', { checked, helpers })).toEqual(a);
      if (a.executed > 1) expect(observe(prog, vec.mem, 'compiled', { checked, helpers, max: a.executed - 1 })).toEqual(observe(prog, vec.mem, 'switch', { checked, helpers, max: a.executed - 1 }));
    }
  });
});

describe('compiled tier = switch tier on random programs', () => {
  it('400 programs, checked and unchecked, and cut short by the budget', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const prog = randomProgram(seed);
      checkProgram(prog, { helpers: mix });
      const rng = new Rng(seed ^ 0x5bd1e995);
      const input = Uint8Array.from({ length: INPUT_LEN }, () => rng.int(256));
      for (const checked of [true, false]) {
        const a = observe(prog, input, 'switch', { checked });
        const b = observe(prog, input, 'compiled', { checked });
        if (JSON.stringify(a) !== JSON.stringify(b)) expect({ seed, checked, b }).toEqual({ seed, checked, b: a });
        // the budget ending at a point chosen by the seed: the same fault at the same count
        const max = 1 + (seed % Math.max(1, a.executed));
        const c = observe(prog, input, 'switch', { checked, max });
        const d = observe(prog, input, 'compiled', { checked, max });
        if (JSON.stringify(c) !== JSON.stringify(d)) expect({ seed, checked, max, d }).toEqual({ seed, checked, max, d: c });
      }
    }
  });

  it('long programs are cut into several functions and still agree', () => {
    let cut = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const prog = randomProgram(seed, { length: 1500 });
      checkProgram(prog, { helpers: mix });
      const rng = new Rng(seed);
      const input = Uint8Array.from({ length: INPUT_LEN }, () => rng.int(256));
      const a = observe(prog, input, 'switch', { checked: false });
      const b = observe(prog, input, 'compiled', { checked: false });
      if (JSON.stringify(a) !== JSON.stringify(b)) expect({ seed, b }).toEqual({ seed, b: a });
      const src = compileSourceOf(prog);
      if (src.includes('function C1(')) cut++;
    }
    expect(cut).toBeGreaterThan(0);
  });
});

describe('fast-path helpers by halves (helper_call.ts)', () => {
  // A helper with `wasm` set is called by the compiled tier through the trampoline, by `fn` in the switch tier.
  const mixFn = (a: bigint, b: bigint, c: bigint, d: bigint, e: bigint) => a * 31n + (b ^ (c << 3n)) - d * e + 7n;
  const withWasm = new HelperTable([
    { id: TEST_HELPER, name: 'mix', wasm: (a, b, c, d, e) => BigInt.asIntN(64, mixFn(a, b, c, d, e)), fn: (a, b, c, d, e) => BigInt.asUintN(64, mixFn(a, b, c, d, e)) },
  ]);

  it('random programs calling it agree with the switch tier', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const prog = randomProgram(seed);
      const rng = new Rng(seed ^ 0x1234567);
      const input = Uint8Array.from({ length: INPUT_LEN }, () => rng.int(256));
      const a = observe(prog, input, 'switch', { checked: true, helpers: withWasm });
      const b = observe(prog, input, 'compiled', { checked: true, helpers: withWasm });
      if (JSON.stringify(a) !== JSON.stringify(b)) expect({ seed, b }).toEqual({ seed, b: a });
    }
  });

  it('a helper registered (or replaced) after the first call is the one called next (the table is read at the call, as the JIT reads it)', () => {
    const table = new HelperTable([{ id: TEST_HELPER, name: 'one', wasm: () => 1n, fn: () => 1n }]);
    const memory = new EngineMemory();
    const interp = new Interpreter([Ins.call(TEST_HELPER), Ins.exit()], { memory, helpers: table, checked: false, tier: 'compiled' });
    expect(interp.run({ args: [], regions: [] }).r0).toBe(1n);
    table.register({ id: TEST_HELPER, name: 'two', wasm: () => 2n, fn: () => 2n });
    expect(interp.run({ args: [], regions: [] }).r0).toBe(2n);
  });

  it('results exact in a double come back as one, the others by halves', () => {
    for (const v of [0n, 1n, -22n, (1n << 53n) - 1n, 1n << 53n, (1n << 53n) + 1n, -(1n << 53n), -(1n << 53n) - 1n, (1n << 63n) - 1n, -(1n << 63n), 0xdead_beef_cafe_f00dn]) {
      const want = BigInt.asIntN(64, v);
      let seen: bigint[] = [];
      const h = halvesHelper((a, b, c, d, e) => {
        seen = [a, b, c, d, e];
        return want;
      })!;
      const x = h.t(1, 0, -1, -1, 0, 1, 2, 3, -2, 0x7fffffff);
      expect(seen.map((s) => BigInt.asUintN(64, s))).toEqual([1n, 0xffff_ffff_ffff_ffffn, 1n << 32n, (3n << 32n) | 2n, (0x7fff_ffffn << 32n) | 0xffff_fffen]);
      const got = Number.isNaN(x) ? (BigInt(h.hi.value as number) << 32n) | BigInt((h.lo.value as number) >>> 0) : BigInt(x);
      expect(BigInt.asIntN(64, got)).toBe(want);
      expect(Number.isNaN(x)).toBe(want > 1n << 53n || want < -(1n << 53n));
    }
  });
});

describe('tier selection', () => {
  it('a trace runs the switch tier; the default is compiled', () => {
    const prog = randomProgram(7);
    const memory = new EngineMemory();
    expect(new Interpreter(prog, { memory, helpers: mix, trace: () => {} }).tier).toBe('switch');
    expect(new Interpreter(prog, { memory, helpers: mix }).tier).toBe('compiled');
    expect(new Interpreter(prog, { memory, helpers: mix, tier: 'switch' }).tier).toBe('switch');
  });
});

/** The generated source of a program, as the Interpreter makes it. */
function compileSourceOf(prog: readonly Insn[]): string {
  const plain = Interpreter.decodePlain(prog);
  return compileSource(plain.code, plain.regs) ?? '';
}

describe('array lookups in the compiled tier (callHelperFast reads a named array map as the fast path helper does)', () => {
  it('every index in and past max_entries, an array and a percpu_array (on CPU 1 of 2), as the switch tier calls the helper', async () => {
    const { Datapath } = await import('../../src/control/datapath.js');
    const { createMap } = await import('../../src/maps/index.js');
    const { withMap, MAP } = await import('../jit/harness.js');
    const { assemble } = await import('../../src/asm/index.js');
    const dp = await Datapath.create({ ncpus: 2, cpu: 1 });
    // r0 = the element's first u32 (its address's low bits folded in), or 12345 for NULL
    const lookup = (idx: number) =>
      `r1 = ${idx}\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = ${MAP}\ncall 1\nif r0 == 0 goto +4\nr1 = r0\nr0 = *(u32 *)(r0 + 0)\nr0 ^= r1\nexit\nr0 = 12345\nexit`;
    for (const def of [{ type: 2, valueSize: 12, maxEntries: 3 }, { type: 6, valueSize: 8, maxEntries: 2 }]) {
      const map = createMap(dp.fastPath, { name: 'm', keySize: 4, ...def });
      for (let k = 0; k < def.maxEntries; k++) {
        const one = Uint8Array.from({ length: def.valueSize }, (_, i) => 16 * k + i + 1);
        map.update(Uint8Array.of(k, 0, 0, 0), def.type === 6 ? Uint8Array.from([...one, ...one.map((b) => b + 128)]) : one);
      }
      for (const idx of [0, 1, def.maxEntries - 1, def.maxEntries, 0xffffffff]) {
        const insns = withMap(assemble(lookup(idx)), map);
        const r0 = (tier: 'compiled' | 'switch') => {
          const interp = new Interpreter(insns, { memory: dp.memory, helpers: dp.helpers, fastPath: dp.fastPath, checked: false, tier });
          interp.run({ args: [], regions: [] });
          return interp.run({ args: [], regions: [] }).r0; // the second run: the helper's halves cached
        };
        const want = r0('switch');
        expect(r0('compiled'), `type ${def.type} index ${idx}`).toBe(want);
        if (idx >= def.maxEntries) expect(want).toBe(12345n);
      }
    }
  });
});

describe('bpf-to-bpf calls in the compiled tier (a function per subprogram, r1–r5 and r10 its arguments)', () => {
  it('the callee gets r1–r5 whole, r10 lowered by STACK_SIZE, r0 and r6–r9 zero, as exec() fills its file', async () => {
    const { assemble } = await import('../../src/asm/index.js');
    // r0 = (r0|r6|r7|r8|r9) + (r1 - r10) + (r2 >> 32) + r3 + r4 + r5 in the callee:
    // 0 + 512 (STACK_SIZE, the caller's r10 passed in r1) + 0xffffffff (r2 = -1) + 3 + 4 + 5
    const prog = assemble(
      `r6 = 5\nr7 = 6\nr8 = 7\nr9 = 8\nr0 = 9\nr1 = r10\nr2 = -1\nr3 = 3\nr4 = 4\nr5 = 5\ncall pc+1\nexit\n` +
        `r0 |= r6\nr0 |= r7\nr0 |= r8\nr0 |= r9\nr1 -= r10\nr0 += r1\nr2 >>= 32\nr0 += r2\nr0 += r3\nr0 += r4\nr0 += r5\nexit`,
    );
    for (const checked of [true, false]) {
      const a = observe(prog, new Uint8Array(INPUT_LEN), 'switch', { checked });
      expect(a.r0).toBe((512 + 0xffffffff + 12).toString(16));
      expect(observe(prog, new Uint8Array(INPUT_LEN), 'compiled', { checked })).toEqual(a);
    }
  });
});
