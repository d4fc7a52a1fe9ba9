// Shared set-up for the JIT tests: build a program from builder pieces, compile it, run it.

import { HelperTable } from '../../src/helpers/index.js';
import { insn, type Insn } from '../../src/isa/insn.js';
import { Class, JmpOp, Source } from '../../src/isa/opcodes.js';
import { compile, type JitOptions, type JitProgram } from '../../src/jit/index.js';
import { EngineMemory, type Region } from '../../src/runtime/memory.js';

/** Program pieces: single instructions or `Ins.lddw`'s two slots. */
export type Piece = Insn | Insn[];

export const prog = (...pieces: Piece[]): Insn[] => pieces.flat();

export const defaultMemory = new EngineMemory();

export interface RunOptions extends Partial<JitOptions> {
  args?: bigint[];
  regions?: Region[];
}

export async function jit(pieces: Piece[], o: RunOptions = {}): Promise<JitProgram> {
  const { args: _a, regions: _r, ...opts } = o;
  return compile(prog(...pieces), { memory: defaultMemory, helpers: new HelperTable(), ...opts });
}

/** Compile and run once; returns r0. */
export async function r0Of(pieces: Piece[], o: RunOptions = {}): Promise<bigint> {
  const p = await jit(pieces, o);
  return p.run({ args: o.args ?? [], regions: o.regions ?? [] }).r0;
}

/** `callx`: helper id in register `dst`. */
export const callx = (dst: number): Insn => insn(Class.JMP | JmpOp.CALL | Source.X, dst);

/** A raw instruction with an offset, for movsx / sdiv / smod encodings the builder does not spell. */
export const raw = insn;

/** Run `fn`, which must throw; returns what it threw for further checks. */
export async function caught(fn: () => unknown): Promise<Error & Record<string, unknown>> {
  try {
    await fn();
  } catch (e) {
    return e as Error & Record<string, unknown>;
  }
  throw new Error('expected an exception');
}
