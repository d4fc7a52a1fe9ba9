// One door to both engines: check a program, then build the interpreter or the JIT over it.

import { HelperTable } from '../helpers/index.js';
import { Interpreter, type InterpreterOptions } from '../interp/index.js';
import type { Insn } from '../isa/insn.js';
import { compile } from '../jit/index.js';
import type { EngineMemory } from '../runtime/memory.js';
import type { Engine, EngineName } from '../runtime/types.js';
import { checkProgram, type CheckOptions, type ProgramShape } from '../verifier/check.js';

export interface CreateEngineOptions {
  engine: EngineName;
  memory: EngineMemory;
  helpers: HelperTable;
  /** Run-time bounds checks on every access (default true: nothing is verified yet). */
  checked?: boolean;
  /** Load-time check options (relaxed mode etc.); the helper table is taken from `helpers`. */
  check?: Omit<CheckOptions, 'helpers'>;
  /** Interpreter only. */
  maxInstructions?: number;
  trace?: InterpreterOptions['trace'];
}

export interface LoadedEngine {
  engine: Engine;
  shape: ProgramShape;
}

/** Run the load-time check, then build the chosen engine. Throws ProgramError for a malformed program. */
export async function createEngine(prog: readonly Insn[], opts: CreateEngineOptions): Promise<LoadedEngine> {
  const shape = checkProgram(prog, { ...opts.check, helpers: opts.helpers });
  const base = { memory: opts.memory, helpers: opts.helpers, checked: opts.checked ?? true };
  const engine =
    opts.engine === 'interp'
      ? new Interpreter(prog, { ...base, maxInstructions: opts.maxInstructions, trace: opts.trace })
      : await compile(prog, base);
  return { engine, shape };
}
