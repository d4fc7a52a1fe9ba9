// Shared set-up for the JIT tests: build a program from builder pieces, compile it, run it.

import { HelperTable } from '../../src/helpers/index.js';
import { insn, type Insn } from '../../src/isa/insn.js';
import { Class, JmpOp, PseudoLd, Source } from '../../src/isa/opcodes.js';
import { compile, type JitOptions, type JitProgram } from '../../src/jit/index.js';
import type { BpfMap } from '../../src/maps/index.js';
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

/** The map operand of assembler text for the inlined-map tests: withMap() points it at a real map. */
export const MAP = '0x7ff00000 ll';

/** Every `ld_imm64 MAP` of `insns` made a BPF_PSEUDO_MAP_FD load of `map`, as the loader relocates it. */
export function withMap(insns: Insn[], map: BpfMap): Insn[] {
  for (const ins of insns) {
    if (ins.imm64 === 0x7ff00000n) {
      ins.src = PseudoLd.MAP_FD;
      ins.imm64 = BigInt(map.address);
    }
  }
  return insns;
}
