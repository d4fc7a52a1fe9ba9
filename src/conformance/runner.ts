// Runs bpf_conformance vectors through an engine and grades them.
//
// Grading follows the kernel: a vector whose program the load-time check rejects (the shift-immediate
// vectors, callx) is skipped with the check's message as the reason, unless `relaxed` is on, in which
// case it runs with the ISA's semantics as uBPF does.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assemble } from '../asm/index.js';
import { createEngine } from '../control/engine.js';
import { WxdpError } from '../errors.js';
import { baseHelpers } from '../helpers/index.js';
import { decode, encode, type Insn } from '../isa/insn.js';
import { EngineMemory, INPUT_BASE } from '../runtime/memory.js';
import type { EngineName } from '../runtime/types.js';
import { parseConformance, rawToBytes, type ConformanceVector } from './data.js';

export type Status = 'pass' | 'fail' | 'skip';

export interface Outcome {
  name: string;
  engine: EngineName;
  status: Status;
  /** Why it failed or was skipped. */
  reason?: string;
  expected?: string;
  actual?: string;
}

export interface RunVectorOptions {
  relaxed?: boolean;
  /** Interpreter instruction budget, so a broken program cannot hang a run (default 10M). */
  maxInstructions?: number;
}

const hex = (v: bigint): string => '0x' + BigInt.asUintN(64, v).toString(16);

/** The program of a vector: its raw words when present, else its assembled text. */
export function vectorProgram(vec: ConformanceVector): Insn[] {
  if (vec.raw) return decode(rawToBytes(vec.raw));
  return assembleVector(vec);
}

/** Assemble a vector's text so that error lines are the file's own line numbers. */
function assembleVector(vec: ConformanceVector): Insn[] {
  return assemble('\n'.repeat(vec.asm!.line - 1) + vec.asm!.text, { syntax: 'ubpf', source: vec.file });
}

/** Run one vector and grade it. Never throws: every failure becomes an Outcome. */
export async function runVector(
  vec: ConformanceVector,
  engine: EngineName,
  opts: RunVectorOptions = {},
): Promise<Outcome> {
  const base = { name: vec.name, engine };
  let prog: Insn[];
  try {
    prog = vectorProgram(vec);
    if (vec.raw && vec.asm) {
      // Both forms present: they must agree, or the vector itself is inconsistent.
      const fromAsm = encode(assembleVector(vec));
      if (Buffer.compare(Buffer.from(fromAsm), Buffer.from(encode(prog))) !== 0) {
        return { ...base, status: 'fail', reason: '-- asm and -- raw sections encode different programs' };
      }
    }
  } catch (e) {
    return { ...base, status: 'fail', reason: `does not assemble: ${(e as Error).message}` };
  }

  const memory = new EngineMemory();
  const helpers = baseHelpers({ trace: () => {} });
  let loaded;
  try {
    loaded = await createEngine(prog, {
      engine,
      memory,
      helpers,
      check: { relaxed: opts.relaxed ?? false },
      maxInstructions: opts.maxInstructions ?? 10_000_000,
    });
  } catch (e) {
    if (e instanceof WxdpError && e.code === 'PROG_INVALID') {
      if (vec.error !== undefined) return { ...base, status: 'pass', actual: e.message };
      return { ...base, status: 'skip', reason: `rejected by the load-time check: ${e.message}${opts.relaxed ? '' : ' (relaxed mode runs it as uBPF does)'}` };
    }
    return { ...base, status: 'fail', reason: (e as Error).message };
  }

  try {
    const region = memory.placeInput(vec.mem);
    const { r0 } = loaded.engine.run({ args: [BigInt(INPUT_BASE), BigInt(vec.mem.length)], regions: [region] });
    if (vec.result === undefined) {
      return { ...base, status: 'fail', reason: `expected an error (${vec.error}), got r0 = ${hex(r0)}`, actual: hex(r0) };
    }
    const ok = BigInt.asUintN(64, r0) === vec.result;
    return {
      ...base,
      status: ok ? 'pass' : 'fail',
      expected: hex(vec.result),
      actual: hex(r0),
      ...(ok ? {} : { reason: `r0 = ${hex(r0)}, expected ${hex(vec.result)}` }),
    };
  } catch (e) {
    if (vec.error !== undefined) return { ...base, status: 'pass', actual: (e as Error).message };
    return { ...base, status: 'fail', reason: (e as Error).message };
  }
}

/** Every `.data` file of a directory, sorted by name. */
export function loadVectors(dir: string): ConformanceVector[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.data'))
    .sort()
    .map((f) => parseConformance(readFileSync(join(dir, f), 'utf8'), join(dir, f)));
}

export interface Summary {
  passed: number;
  failed: number;
  skipped: number;
}

export function summarize(outcomes: readonly Outcome[]): Summary {
  return {
    passed: outcomes.filter((o) => o.status === 'pass').length,
    failed: outcomes.filter((o) => o.status === 'fail').length,
    skipped: outcomes.filter((o) => o.status === 'skip').length,
  };
}
