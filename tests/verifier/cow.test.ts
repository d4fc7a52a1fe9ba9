// Copy-on-write registers (state.ts: Frame.clone shares every register with the clone until Frame.own
// copies it): a register a branch or a checkpoint shares must never be changed in place, or the change
// would leak into the other state (a checkpoint that proves more than its path did, a branch that starts
// from the other's values). With cowCheck.freeze every shared register is frozen, so such a change
// throws; every program of programs/ and of the verifier corpus must verify to the same verdict, count
// and message as without it.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { benchSpec, verifierInput } from '../../bench/verifier.js';
import { parseObject, unsupportedProgram } from '../../src/elf/index.js';
import { cowCheck } from '../../src/verifier/state.js';
import { verify } from '../../src/verifier/verifier.js';

const root = new URL('../../programs/', import.meta.url).pathname;

function objects(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? objects(join(dir, e.name)) : e.name.endsWith('.o') ? [join(dir, e.name)] : [],
  );
}

const files = [...objects(root).filter((f) => !f.includes('/compat/'))];

/** Each program's verdict: its processed count, or the error's class and message. */
function verdicts(path: string): string[] {
  const spec = benchSpec(parseObject(readFileSync(path), { path }), {});
  return spec.programs
    .filter((p) => unsupportedProgram(p) === undefined)
    .map((p) => {
      try {
        const { insns, opts } = verifierInput(spec, p);
        return `${p.name}: ${verify(insns, opts).stats.insnsProcessed}`;
      } catch (e) {
        return `${p.name}: ${(e as Error).constructor.name} ${(e as Error).message}`;
      }
    });
}

describe('copy-on-write registers: no shared register is changed in place', () => {
  afterEach(() => {
    cowCheck.freeze = false;
  });
  it('has programs to check', () => {
    expect(files.length).toBeGreaterThan(100);
  });
  it.each(files.map((f) => [f.slice(root.length), f] as const))('%s verifies the same with shared registers frozen', (_name, path) => {
    const plain = verdicts(path);
    cowCheck.freeze = true;
    const frozen = verdicts(path);
    expect(frozen).toEqual(plain);
    expect(frozen.join('\n')).not.toMatch(/TypeError/);
  }, 120_000);
});
