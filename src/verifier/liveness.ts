// Static register liveness (the kernel's compute_live_registers, 6.15+): for each instruction, the
// registers that some path from it may read before writing. State pruning ignores dead registers, so
// two states that differ only in values nobody reads again are the same state.

import { Class, JmpOp, Mode, AtomicOp, OP_LDDW } from '../isa/opcodes.js';
import { isLocalCall, jumpTarget, type Insn } from '../isa/insn.js';

const ARGS = 0b111110; // r1–r5
const CALLER_SAVED = 0b111111; // r0–r5

function useDef(ins: Insn): { use: number; def: number } {
  const c = ins.code & 0x07;
  const op = ins.code & 0xf0;
  const x = (ins.code & 0x08) !== 0;
  const d = 1 << ins.dst;
  const s = 1 << ins.src;
  switch (c) {
    case Class.ALU:
    case Class.ALU64:
      if (op === 0xb0) return { use: x ? s : 0, def: d }; // mov
      if (op === 0x80 || op === 0xd0) return { use: d, def: d }; // neg, end
      return { use: d | (x ? s : 0), def: d };
    case Class.LDX:
      return { use: s, def: d };
    case Class.ST:
      return { use: d, def: 0 };
    case Class.STX:
      if ((ins.code & 0xe0) === Mode.ATOMIC) {
        if (ins.imm === AtomicOp.CMPXCHG) return { use: d | s | 1, def: 1 };
        return { use: d | s, def: ins.imm & AtomicOp.FETCH ? s : 0 };
      }
      return { use: d | s, def: 0 };
    case Class.LD:
      if (ins.code === OP_LDDW) return { use: 0, def: d };
      return { use: ARGS | 1 << 6 | (x ? s : 0), def: CALLER_SAVED };
    case Class.JMP:
    case Class.JMP32:
      if (op === JmpOp.CALL) return { use: ARGS, def: CALLER_SAVED };
      if (op === JmpOp.EXIT) return { use: 1, def: 0 };
      if (op === JmpOp.JA) return { use: 0, def: 0 };
      return { use: d | (x ? s : 0), def: 0 };
  }
  return { use: 0, def: 0 };
}

/** live[i]: bit r set when register r may be read at or after slot i before being written. */
export function liveRegisters(prog: readonly Insn[]): Uint16Array {
  const n = prog.length;
  const use = new Uint16Array(n);
  const def = new Uint16Array(n);
  const succ: number[][] = [];
  for (let i = 0; i < n; i++) {
    const ins = prog[i]!;
    succ.push([]);
    if (ins.isLdImm64Tail) continue;
    const ud = useDef(ins);
    use[i] = ud.use;
    def[i] = ud.def;
    const c = ins.code & 0x07;
    const op = ins.code & 0xf0;
    const isJmp = c === Class.JMP || c === Class.JMP32;
    const next = ins.code === OP_LDDW ? i + 2 : i + 1;
    if (isJmp && op === JmpOp.EXIT) continue;
    const t = jumpTarget(ins, i);
    if (t !== undefined) succ[i]!.push(t);
    if (!(isJmp && op === JmpOp.JA) || isLocalCall(ins)) {
      if (next < n) succ[i]!.push(next);
    }
  }
  const live = new Uint16Array(n);
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      let out = 0;
      for (const s of succ[i]!) out |= live[s]!;
      const v = use[i]! | (out & ~def[i]!);
      if (v !== live[i]) {
        live[i] = v;
        changed = true;
      }
    }
  }
  return live;
}
