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

// Scratch memories by the thousand, so without 2 MiB page advice (madvise + MADV_COLLAPSE: 1-2 ms a memory,
// 70 of this file's 165 s in a profile at load ~18); the advice is tests/fastpath/hugepages.test.ts's subject.
function observe(prog: readonly Insn[], input: Uint8Array, tier: 'compiled' | 'switch', opts: { checked: boolean; max?: number; helpers?: HelperTable }): Seen {
  const memory = new EngineMemory({ hugePages: false });
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

describe('loops written as JavaScript loops (a back edge to a head with no jump target between)', () => {
  // sum += p[i] * (i + 1) over the input's bytes, i < r2 (the input's length), as clang writes a byte
  // loop: the back edge at slot 10 goes to slot 3 with no jump target in between (the exit is forward);
  // a second loop at 12-14 is entered once more by a jump from outside it (slot 11 to its head).
  const BYTES = `r3 = 0
r6 = 0
r7 = 3
r4 = r1
r4 += r3
r5 = *(u8 *)(r4 + 0)
r3 += 1
r5 *= r3
r6 += r5
if r3 >= r2 goto +1
if r3 != 48 goto -8
if r6 == 0 goto +0
r7 += -1
r6 ^= r7
if r7 != 0 goto -3
r0 = r6
exit`;
  it('are structured, and agree with the switch tier at every instruction budget', async () => {
    const { assemble } = await import('../../src/asm/index.js');
    const prog = assemble(BYTES);
    const src = compileSourceOf(prog);
    expect(src).toContain('case 3:L3:for(;;){');
    expect(src).toContain('continue L3;');
    expect(src).toContain('case 12:L12:for(;;){');
    const input = Uint8Array.from({ length: INPUT_LEN }, (_, i) => (i * 37 + 11) & 0xff);
    for (const checked of [true, false]) {
      const a = observe(prog, input, 'switch', { checked });
      // by hand: the sum over the first 48 bytes (INPUT_LEN is at least 48), then three xors
      let sum = 0;
      for (let i = 0; i < Math.min(48, INPUT_LEN); i++) sum += input[i]! * (i + 1);
      expect(a.r0).toBe((sum ^ 2 ^ 1 ^ 0).toString(16));
      expect(observe(prog, input, 'compiled', { checked })).toEqual(a);
      for (let max = 1; max < a.executed; max++) {
        const b = observe(prog, input, 'compiled', { checked, max });
        const c = observe(prog, input, 'switch', { checked, max });
        if (JSON.stringify(b) !== JSON.stringify(c)) expect({ max, b }).toEqual({ max, b: c });
      }
    }
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
    const memory = new EngineMemory({ hugePages: false });
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
    const memory = new EngineMemory({ hugePages: false });
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

describe('array lookups in the compiled tier (arrayLookup reads a named array map as the fast path helper does)', () => {
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

// bpf_loop in the compiled tier calls the callback's function once an iteration (compile.ts, B<t>),
// with r1 = i, r2 = ctx, r3–r5 = 0 and r10 one frame below the caller's, as the kernel's bpf_loop()
// (kernel/bpf/bpf_iter.c) calls callback(i, ctx, 0, 0, 0) while i < nr_loops and the callback returned
// 0; a non-zero return ends the loop with i + 1. Its errors come first: flags != 0 → -EINVAL, then
// nr_loops > BPF_MAX_LOOPS (1 << 23) → -E2BIG, no callback run. The expected values below follow that
// contract by hand; the switch tier, the compiled tier and the JIT must all give them.
describe('bpf_loop callbacks in the compiled tier (the callback a function called per iteration)', () => {
  // params at r1: u8 outer n, u8 inner n, u8 inner stop. Main's frame: [r10-24] inner n, [-16] acc,
  // [-8] stop, passed to both callbacks as ctx. The outer callback keeps its i in its own frame across
  // the inner loop (the inner callback writes its own r10 - 8: one frame further down) and stops after
  // i == 3; the inner callback stops at j == stop.
  // r0 = outer calls << 40 | acc's low 40 bits.
  const NESTED = `r6 = r1
r2 = 0
*(u64 *)(r10 - 16) = r2
r2 = *(u8 *)(r6 + 1)
*(u64 *)(r10 - 24) = r2
r2 = *(u8 *)(r6 + 2)
*(u64 *)(r10 - 8) = r2
r1 = *(u8 *)(r6 + 0)
ld_pseudo r2, 4, 11
r3 = r10
r3 += -24
r4 = 0
call 181
r0 <<= 40
r1 = *(u64 *)(r10 - 16)
r1 <<= 24
r1 >>= 24
r0 |= r1
exit
r6 = r2
*(u64 *)(r10 - 8) = r1
r1 = *(u64 *)(r6 + 0)
ld_pseudo r2, 4, 14
r3 = r6
r4 = 0
call 181
r1 = *(u64 *)(r10 - 8)
r2 = *(u64 *)(r6 + 8)
r2 *= 7
r2 += r0
r2 += r1
*(u64 *)(r6 + 8) = r2
r0 = 0
if r1 != 3 goto +1
r0 = 1
exit
*(u64 *)(r10 - 8) = r1
r3 = *(u64 *)(r2 + 16)
r0 = 1
if r1 == r3 goto +5
r3 = *(u64 *)(r2 + 8)
r3 += r1
r3 += 1
*(u64 *)(r2 + 8) = r3
r0 = 0
exit`;
  const nested = (outer: number, inner: number, stop: number): bigint => {
    let acc = 0n;
    let calls = 0n;
    for (let i = 0; i < outer; i++) {
      calls++;
      let innerCalls = 0n;
      for (let j = 0; j < inner; j++) {
        innerCalls++;
        if (j === stop) break;
        acc += BigInt(j + 1);
      }
      acc = BigInt.asUintN(64, acc * 7n + innerCalls + BigInt(i));
      if (i === 3) break;
    }
    return (calls << 40n) | (acc & ((1n << 40n) - 1n));
  };

  // params at r1: u64 nr_loops, u64 flags; the callback counts its calls in the caller's [r10 - 8]
  // and returns 1 << 32 at i == 2 (non-zero in the high half only: the loop still stops). The count of
  // calls goes to params + 16. r0 = bpf_loop's result.
  const ERRORS = `r6 = r1
r1 = *(u64 *)(r6 + 0)
r4 = *(u64 *)(r6 + 8)
r2 = 0
*(u64 *)(r10 - 8) = r2
ld_pseudo r2, 4, 7
r3 = r10
r3 += -8
call 181
r1 = *(u64 *)(r10 - 8)
*(u64 *)(r6 + 16) = r1
exit
r3 = *(u64 *)(r2 + 0)
r3 += 1
*(u64 *)(r2 + 0) = r3
r0 = 0
if r1 != 2 goto +2
r0 = 1
r0 <<= 32
exit`;
  const MAX_LOOPS = 1n << 23n;
  const E2BIG = BigInt.asUintN(64, -7n);
  const EINVAL = BigInt.asUintN(64, -22n);
  /** [nr_loops, flags, r0, callbacks run] by the contract. */
  const errorCases: Array<[bigint, bigint, bigint, bigint]> = [
    [0n, 0n, 0n, 0n],
    [2n, 0n, 2n, 2n],
    [5n, 0n, 3n, 3n], // stopped by the third call's 1 << 32
    [MAX_LOOPS, 0n, 3n, 3n], // BPF_MAX_LOOPS itself is allowed
    [MAX_LOOPS + 1n, 0n, E2BIG, 0n],
    [(1n << 32n) | 5n, 0n, E2BIG, 0n], // the count compared as 64 bits (inline_bpf_loop's JLE on r1, as the JIT does)
    [5n, 1n, EINVAL, 0n],
    [MAX_LOOPS + 1n, 1n, EINVAL, 0n], // flags are checked first
  ];
  const params = (...words: bigint[]): Uint8Array => {
    const b = new Uint8Array(INPUT_LEN);
    const v = new DataView(b.buffer);
    words.forEach((w, i) => v.setBigUint64(8 * i, w, true));
    return b;
  };

  it('nested loops, stops at every position, the caller\'s stack through r2: both tiers give the contract\'s answer', async () => {
    const { assemble } = await import('../../src/asm/index.js');
    const prog = assemble(NESTED);
    for (const [outer, inner, stop] of [[0, 3, 9], [1, 0, 9], [1, 1, 0], [2, 3, 1], [3, 4, 9], [6, 5, 2], [9, 7, 6], [5, 4, 0]] as const) {
      const input = new Uint8Array(INPUT_LEN);
      input.set([outer, inner, stop]);
      for (const checked of [true, false]) {
        const a = observe(prog, input, 'switch', { checked });
        expect(a.r0, `${outer}/${inner}/${stop}`).toBe(nested(outer, inner, stop).toString(16));
        expect(observe(prog, input, 'compiled', { checked })).toEqual(a);
        // the budget ending inside a callback: the same fault at the same count
        const max = Math.max(1, a.executed - 7);
        expect(observe(prog, input, 'compiled', { checked, max })).toEqual(observe(prog, input, 'switch', { checked, max }));
      }
    }
  });

  it('-EINVAL before -E2BIG, BPF_MAX_LOOPS allowed, a return non-zero only in its high half stops: both tiers', async () => {
    const { assemble } = await import('../../src/asm/index.js');
    const prog = assemble(ERRORS);
    for (const [nr, flags, r0, calls] of errorCases) {
      for (const checked of [true, false]) {
        const a = observe(prog, params(nr, flags), 'switch', { checked });
        expect(a.r0, `nr ${nr} flags ${flags}`).toBe(r0.toString(16));
        expect(a.memory.slice(-2 * INPUT_LEN + 32, -2 * INPUT_LEN + 48), `calls for nr ${nr} flags ${flags}`).toBe(Buffer.from(params(calls).subarray(0, 8)).toString('hex'));
        expect(observe(prog, params(nr, flags), 'compiled', { checked })).toEqual(a);
      }
    }
  });

  it('a callback that loops into itself ends at MAX_FRAMES with the same fault and count in both tiers', async () => {
    const { assemble } = await import('../../src/asm/index.js');
    const prog = assemble(`r1 = 1\nld_pseudo r2, 4, 5\nr3 = 0\nr4 = 0\ncall 181\nexit\nr1 = 1\nld_pseudo r2, 4, -2\nr3 = 0\nr4 = 0\ncall 181\nr0 = 0\nexit`);
    for (const checked of [true, false]) {
      const a = observe(prog, new Uint8Array(INPUT_LEN), 'switch', { checked });
      expect(a.error).toMatch(/^RUN_CALL_DEPTH @12 /);
      expect(observe(prog, new Uint8Array(INPUT_LEN), 'compiled', { checked })).toEqual(a);
    }
  });

  it('the JIT (checked and unchecked) gives the same answers as an XDP program', async () => {
    const { assemble } = await import('../../src/asm/index.js');
    const { Datapath } = await import('../../src/control/datapath.js');
    const dp = await Datapath.create();
    // as XDP programs: r1 = ctx->data first, the rest as above (the ld_pseudo offsets are relative)
    const xdp = (src: string) => assemble(`r1 = *(u32 *)(r1 + 0)\n${src}`);
    for (const engine of ['interp', 'jit-checked', 'jit-unchecked'] as const) {
      const opts = { engine: engine === 'interp' ? 'interp' : 'jit', checked: engine !== 'jit-unchecked', verify: false } as Parameters<Datapath['loadInsns']>[1];
      const nestedProg = await dp.loadInsns(xdp(NESTED), opts);
      for (const [outer, inner, stop] of [[3, 4, 9], [6, 5, 2], [9, 7, 6]] as const) {
        const data = new Uint8Array(64);
        data.set([outer, inner, stop]);
        expect(nestedProg.testRun({ data }).retval >>> 0, `${engine} ${outer}/${inner}/${stop}`).toBe(Number(nested(outer, inner, stop) & 0xffffffffn));
      }
      const errorProg = await dp.loadInsns(xdp(ERRORS), opts);
      for (const [nr, flags, r0, calls] of errorCases) {
        const data = new Uint8Array(64);
        data.set(params(nr, flags).subarray(0, 16));
        const out = errorProg.testRun({ data });
        expect(out.retval >>> 0, `${engine} nr ${nr} flags ${flags}`).toBe(Number(r0 & 0xffffffffn));
        expect(new DataView(out.data!.buffer, out.data!.byteOffset).getBigUint64(16, true), `${engine} calls, nr ${nr}`).toBe(calls);
      }
    }
  });
});

describe('tail calls in the compiled tier (the target entered with r1 and r10 as arguments)', () => {
  it('the target starts with r1 and r10 of the caller and every other register zero, as exec() fills its file', async () => {
    const { assemble } = await import('../../src/asm/index.js');
    // the caller sets every register, then tail-calls (map and index ignored by the resolver below)
    const caller = assemble(`r0 = 9\nr2 = 1\nr3 = 2\nr4 = 3\nr5 = 4\nr6 = 5\nr7 = 6\nr8 = 7\nr9 = 8\nr1 = 77\ncall 12\nr0 = 1\nexit`);
    // the target: r0 = (r0|r2|…|r9) << 32 | r1 + (STACK_TOP - r10), r10 the caller's (no frame below)
    const target = assemble(`r0 |= r2\nr0 |= r3\nr0 |= r4\nr0 |= r5\nr0 |= r6\nr0 |= r7\nr0 |= r8\nr0 |= r9\nr0 <<= 32\nr0 += r1\nr2 = ${STACK_TOP}\nr2 -= r10\nr0 += r2\nexit`);
    for (const tier of ['switch', 'compiled'] as const) {
      for (const checked of [false, true]) {
        const memory = new EngineMemory({ hugePages: false });
        const t = new Interpreter(target, { memory, helpers: mix, checked, tier });
        const c = new Interpreter(caller, { memory, helpers: mix, checked, tier, tailCall: () => t });
        expect(c.tier).toBe(tier);
        memory.clearStack();
        expect(c.run({ args: [0n], regions: [] }).r0, `${tier} checked ${checked}`).toBe(77n);
        expect(c.executed).toBe(11 + 14);
      }
    }
  });
});
