// `wxdp conformance DIR`: bpf_conformance vectors through the interpreter, the JIT, or both.

import { existsSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadVectors, runVector, summarize, type Outcome } from '../conformance/runner.js';
import type { EngineName } from '../runtime/types.js';
import { usageError, type Io } from './io.js';

export async function conformanceCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      engine: { type: 'string', default: 'both' },
      relaxed: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', short: 'v', default: false },
    },
  });
  const dir = positionals[0];
  if (!dir || positionals.length > 1) throw usageError('usage: wxdp conformance DIR [--engine interp|jit|both] [--relaxed] [--json]');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw usageError(`'${dir}' is not a directory`);
  const engines = parseEngines(values.engine!);

  const vectors = loadVectors(dir);
  // a run that tested nothing must not read as a pass
  if (vectors.length === 0) throw usageError(`no .data vectors in '${dir}': nothing ran`);
  const outcomes: Outcome[] = [];
  for (const vec of vectors) {
    for (const engine of engines) {
      const o = await runVector(vec, engine, { relaxed: values.relaxed });
      outcomes.push(o);
      if (!values.json && (o.status === 'fail' || values.verbose)) {
        const why = o.reason ? `: ${o.reason}` : '';
        io.out(`${o.status.toUpperCase().padEnd(4)} ${o.engine.padEnd(6)} ${o.name}${why}\n`);
      }
    }
  }
  const s = summarize(outcomes);
  if (values.json) {
    io.out(JSON.stringify({ dir, engines, relaxed: values.relaxed, ...s, outcomes }, null, 2) + '\n');
  } else {
    const skips = outcomes.filter((o) => o.status === 'skip');
    if (skips.length && !values.verbose) {
      io.out(`skipped (${skips.length}):\n`);
      for (const o of skips) io.out(`  ${o.engine.padEnd(6)} ${o.name}: ${o.reason}\n`);
    }
    io.out(`${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped\n`);
  }
  return s.failed === 0 ? 0 : 1;
}

export function parseEngines(v: string): EngineName[] {
  if (v === 'both') return ['interp', 'jit'];
  if (v === 'interp' || v === 'jit') return [v];
  throw usageError(`--engine must be interp, jit or both, not '${v}'`);
}
