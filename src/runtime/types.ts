// The contract both engines (src/interp, src/jit) implement, so tests, the conformance runner and the
// CLI can drive either one and compare them.

import type { HelperTable } from '../helpers/index.js';
import type { FastPath } from './fastpath.js';
import type { EngineMemory, Region } from './memory.js';

export type EngineName = 'interp' | 'jit';

export interface EngineOptions {
  memory: EngineMemory;
  helpers: HelperTable;
  /**
   * Checked mode (the default until a program is verified): every load and store is checked against
   * the run's regions plus the stack, and a violation ends the run with a RuntimeFault naming the
   * instruction index and address.
   */
  checked?: boolean;
  /** The AssemblyScript fast path over the same memory: wasm helpers, maps, tail calls, callbacks. */
  fastPath?: FastPath;
}

export interface RunRequest {
  /** r1–r5 at entry (missing ones are 0). */
  args: readonly bigint[];
  /** Memory the program may touch besides its stack (checked mode). */
  regions: readonly Region[];
}

export interface RunResult {
  /** r0 at the final exit. */
  r0: bigint;
}

export interface Engine {
  readonly name: EngineName;
  run(req: RunRequest): RunResult;
}
