// Every bpf-conformance vector through the interpreter and through the JIT (uBPF's pattern:
// one data file, both engines). Expected values are the files' own `-- result`s.

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadVectors, runVector } from '../../src/conformance/runner.js';
import { conformanceDir } from '../../bench/engine.js';

const dir = conformanceDir();
const present = existsSync(dir);
const vectors = present ? loadVectors(dir) : [];

// The kernel rejects these 12 at load time: a shift by an immediate outside [0, width).
const SHIFT_IMM = /^(arsh|lsh|rsh)(32|64)-imm-(high|neg)$/;

describe.skipIf(!present)(`bpf-conformance vectors (${dir})`, () => {
  it('has all 313 vectors', () => expect(vectors).toHaveLength(313));

  describe.each(['interp', 'jit'] as const)('%s, default (kernel) checks', (engine) => {
    it.each(vectors.map((v) => [v.name, v] as const))('%s', async (_name, vec) => {
      const o = await runVector(vec, engine);
      if (SHIFT_IMM.test(vec.name)) {
        expect(o.status).toBe('skip');
        expect(o.reason).toMatch(/rejected by the load-time check: insn \d+: invalid shift -?\d+/);
      } else if (vec.name === 'callx') {
        expect(o.status).toBe('skip');
        expect(o.reason).toMatch(/rejected by the load-time check: insn \d+: unknown opcode 8d /);
      } else {
        expect(o.reason).toBeUndefined();
        expect(o.status).toBe('pass');
      }
    });
  });

  describe.each(['interp', 'jit'] as const)('%s, relaxed checks (uBPF semantics)', (engine) => {
    const relaxedOnly = vectors.filter((v) => SHIFT_IMM.test(v.name) || v.name === 'callx');
    it('covers the 12 shift-immediate vectors and callx', () => expect(relaxedOnly).toHaveLength(13));
    it.each(relaxedOnly.map((v) => [v.name, v] as const))('%s', async (_name, vec) => {
      const o = await runVector(vec, engine, { relaxed: true });
      expect(o.reason).toBeUndefined();
      expect(o.status).toBe('pass');
    });
  });
});

if (!present) {
  describe('bpf-conformance vectors', () => {
    it.skip(`skipped: ${dir} is absent (the tests read ../shared/bpf-conformance/tests beside the project)`, () => {});
  });
}
