// Store cuts: where the stores of a subprogram to its frame begin and end inside a span of it, so that
// an inlined copy out of that span (an array update's value) loads in pieces no store straddles. A
// load the CPU can take from a single earlier store is forwarded from it; one over bytes of two stores
// (a u64 of a struct whose u32 fields were written one by one, in another block than the copy, where
// emit.ts's key forwarding does not reach) waits for both to be written to the cache, over 10 cycles.
// The pieces of each 8 bytes are put together in a register and written with one store (emit.ts
// copyInline): the cuts shape the loads only. Only the cut points change: the bytes copied are the
// same, so any cut set is correct and the stores of every block (on any path) are taken.

import { Class, CLASS_MASK, FP, Mode, MODE_MASK, OP_LDDW, sizeBytes } from '../isa/opcodes.js';
import type { Insn } from '../isa/insn.js';
import type { Subprogram } from './cfg.js';

/** The r10-relative stores (ST / STX MEM) of a subprogram: [offset, size]. */
export function frameStores(prog: readonly Insn[], sp: Subprogram): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const bb of sp.blocks) {
    for (let pc = bb.start; pc < bb.end; pc += prog[pc]!.code === OP_LDDW ? 2 : 1) {
      const ins = prog[pc]!;
      const cls = ins.code & CLASS_MASK;
      if ((cls === Class.ST || cls === Class.STX) && (ins.code & MODE_MASK) === Mode.MEM && ins.dst === FP) out.push([ins.off, sizeBytes(ins.code)]);
    }
  }
  return out;
}

/** Offsets inside (0, n) of the span [at, at + n) where one of `stores` begins or ends. */
export function cutsIn(stores: ReadonlyArray<[number, number]>, at: number, n: number): Set<number> {
  const cuts = new Set<number>();
  for (const [off, size] of stores) {
    if (off >= at + n || off + size <= at) continue;
    for (const c of [off - at, off + size - at]) if (c > 0 && c < n) cuts.add(c);
  }
  return cuts;
}
