// bpf_fib_lookup's struct kept in locals (verified programs whose lookups are inlined: emit.ts
// fibLookupInline). An XDP router fills a 64-byte `struct bpf_fib_lookup` on its stack (a memset, then a
// field at a time), the helper reads it and writes its answer back, and the program reads the answer
// (the MACs, the output ifindex): ~40 loads and stores a frame through memory. When every access to the
// struct's bytes is the program's own, at r10 + constant, or the inline lookup's, the bytes are cut at
// every access's edges into fields, each an i64 local holding its bytes (little-endian, zero above);
// an access that spans several fields reads or writes each part. Only the call that goes to the helper
// proper (the inline lookup's slow path) sees memory: the fields are stored before it and loaded after.
//
// The struct is the span [K, K + 64) that r2 points at in every bpf_fib_lookup call of the subprogram
// (r2 = r10 + K, the same K at each). Refused (undefined) when:
//   - a frame pointer escapes (stack_slots.ts frameValues), or another helper gets a frame pointer that
//     may reach the span (a helper reads [p, 0) at most, so p >= K + 64 is safe);
//   - an access to a byte of the span goes through a register other than r10, is atomic or
//     sign-extending, or crosses the span's edge;
//   - a merged copy (store_merge.ts) writes into the span (one that reads from it reads the fields).
// Bytes no access touches are not fields: they stay in memory, where the helper finds them as before.

import { Class, CLASS_MASK, FP, JmpOp, Mode, MODE_MASK, OP_LDDW, PseudoCall, sizeBytes, Source, SOURCE_MASK } from '../isa/opcodes.js';
import type { Insn } from '../isa/insn.js';
import type { Subprogram } from './cfg.js';
import { frameValues } from './stack_slots.js';
import type { StoreMerges } from './store_merge.js';

/** The struct's r10 offset and its fields, ascending (offsets within the struct). */
export interface FibStruct {
  base: number;
  fields: ReadonlyArray<{ off: number; size: number }>;
}

const FIB_HELPER = 69;
const STRUCT_SIZE = 64;

/** The inline lookup's own accesses to the struct (emit.ts fibLookupInline): [offset, size]. */
export const FIB_INLINE_ACCESSES: ReadonlyArray<readonly [number, number]> = [
  [0, 1], [1, 1], [2, 2], [4, 2], [6, 2], [8, 4], [12, 1], [12, 4], [16, 4], [32, 4], [48, 4], [52, 4], [56, 2], [58, 4], [62, 2],
];

export function fibStructPlan(prog: readonly Insn[], sp: Subprogram, merges: StoreMerges): FibStruct | undefined {
  const values = frameValues(prog, sp);
  if (!values) return undefined;
  const isCall = (ins: Insn): boolean => ins.code === (Class.JMP | JmpOp.CALL);
  // K: r2 at every bpf_fib_lookup call
  let base: number | undefined;
  for (const [pc, regs] of values) {
    const ins = prog[pc]!;
    if (!isCall(ins) || ins.src !== PseudoCall.HELPER || ins.imm !== FIB_HELPER) continue;
    const r2 = regs[2];
    if (typeof r2 !== 'number' || (base !== undefined && base !== r2)) return undefined;
    base = r2;
  }
  if (base === undefined || base % 8 !== 0) return undefined;
  const K = base;
  const cuts = new Set<number>([0, STRUCT_SIZE, ...FIB_INLINE_ACCESSES.flatMap(([o, n]) => [o, o + n])]);
  const covered: Array<readonly [number, number]> = [...FIB_INLINE_ACCESSES];
  const inSpan = (off: number, size: number): 'in' | 'out' | 'cross' =>
    off >= K && off + size <= K + STRUCT_SIZE ? 'in' : off + size <= K || off >= K + STRUCT_SIZE ? 'out' : 'cross';
  const note = (off: number, size: number): void => {
    cuts.add(off - K);
    cuts.add(off - K + size);
    covered.push([off - K, size]);
  };
  for (const bb of sp.blocks) {
    for (let pc = bb.start; pc < bb.end; pc += prog[pc]!.code === OP_LDDW ? 2 : 1) {
      const ins = prog[pc]!;
      const c = ins.code & CLASS_MASK;
      const regs = values.get(pc);
      if (c === Class.LDX || c === Class.ST || c === Class.STX) {
        const reg = c === Class.LDX ? ins.src : ins.dst;
        const size = sizeBytes(ins.code);
        const at = reg === FP ? 0 : regs?.[reg];
        if (at === undefined) continue; // not a frame pointer (or never reached)
        if (typeof at !== 'number') return undefined;
        const where = inSpan(at + ins.off, size);
        if (where === 'out') continue;
        const plain = (ins.code & MODE_MASK) === Mode.MEM;
        if (where === 'cross' || reg !== FP || !plain) return undefined;
        note(ins.off, size);
        continue;
      }
      if (isCall(ins)) {
        if (ins.src !== PseudoCall.HELPER || (ins.code & SOURCE_MASK) === Source.X) continue; // frameValues refused frame pointers there
        for (let r = 1; r <= 5; r++) {
          const v = regs?.[r];
          if (v === undefined) continue;
          if (typeof v !== 'number') return undefined;
          if (ins.imm === FIB_HELPER && r === 2) continue;
          if (v < K + STRUCT_SIZE) return undefined;
        }
      }
    }
  }
  for (const group of merges.copies.values()) {
    for (const cp of group) {
      if (cp.dstReg === FP && inSpan(cp.dstOff, cp.width) !== 'out') return undefined;
      if (cp.srcReg !== FP) continue; // its loads were through that register: checked above
      const where = inSpan(cp.srcOff, cp.width);
      if (where === 'cross') return undefined;
      if (where === 'in') note(cp.srcOff, cp.width);
    }
  }
  const edges = [...cuts].sort((a, b) => a - b);
  const fields: Array<{ off: number; size: number }> = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    const off = edges[i]!;
    const size = edges[i + 1]! - off;
    if (covered.some(([o, s]) => o <= off && off + size <= o + s)) fields.push({ off, size });
  }
  return { base: K, fields };
}
