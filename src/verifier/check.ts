// The load-time check: every structural rule the kernel enforces before it starts abstract
// interpretation (kernel/bpf/verifier.c: resolve_pseudo_ldimm64, check_subprogs, the per-opcode
// reserved-field checks of do_check). It looks at each instruction once and at the call/jump graph;
// it proves nothing about values. Messages use the kernel's wording so kernel users recognise them.

import { ProgramError } from '../errors.js';
import { helperName, KERNEL_XDP_HELPERS, type HelperTable } from '../helpers/index.js';
import { kfuncById } from '../helpers/kfuncs.js';
import {
  AluOp,
  AtomicOp,
  Class,
  FP,
  JmpOp,
  Mode,
  OP_LDDW,
  PseudoCall,
  Size,
  Source,
} from '../isa/opcodes.js';
import { callTarget, isLocalCall, jumpTarget, type Insn } from '../isa/insn.js';


/** The kernel's limit on program size (BPF_COMPLEXITY_LIMIT_INSNS). */
export const MAX_INSNS = 1_000_000;

export interface CheckOptions {
  /** Helpers the program may call; omit to skip the helper check (e.g. before helpers are bound). */
  helpers?: HelperTable;
  /**
   * Relaxed mode, as uBPF runs programs: shift immediates out of range are accepted (they run with the
   * ISA's masking semantics) and `callx` (call helper by register) is accepted. The kernel rejects both.
   */
  relaxed?: boolean;
  /** Accept ld_imm64 pseudo sources (map fd / map value / func); the loader resolves them. */
  allowPseudoLdImm64?: boolean;
}

export interface ProgramShape {
  /** Entry slots of the subprograms, ascending; [0] is the main function. */
  subprogs: number[];
  /** Index of the last slot of each subprogram, parallel to `subprogs`. */
  subprogEnds: number[];
}

const ATOMIC_OPS = new Set<number>([
  AtomicOp.ADD,
  AtomicOp.ADD | AtomicOp.FETCH,
  AtomicOp.OR,
  AtomicOp.OR | AtomicOp.FETCH,
  AtomicOp.AND,
  AtomicOp.AND | AtomicOp.FETCH,
  AtomicOp.XOR,
  AtomicOp.XOR | AtomicOp.FETCH,
  AtomicOp.XCHG,
  AtomicOp.CMPXCHG,
]);

/** Check `prog`; throws ProgramError naming the first offending instruction. */
export function checkProgram(prog: readonly Insn[], opts: CheckOptions = {}): ProgramShape {
  const n = prog.length;
  // bpf_prog_load refuses no instructions and too many alike, with E2BIG
  if (n === 0) throw new ProgramError('program is empty', -1, 'PROG_INVALID', 'E2BIG');
  if (n > MAX_INSNS) throw new ProgramError(`program is too large: ${n} insns > ${MAX_INSNS}`, -1, 'PROG_INVALID', 'E2BIG');

  const subprogStarts = new Set<number>([0]);
  for (let i = 0; i < n; i++) {
    const ins = prog[i]!;
    if (ins.isLdImm64Tail) {
      throw new ProgramError('invalid bpf_ld_imm64 insn (second slot without a first)', i);
    }
    checkInsn(prog, i, opts);
    if (isLocalCall(ins)) {
      const target = callTarget(ins, i);
      if (target < 0 || target >= n || prog[target]!.isLdImm64Tail) {
        throw new ProgramError(`call to invalid destination ${target}`, i);
      }
      subprogStarts.add(target);
    }
    if (ins.code === OP_LDDW) i++;
  }

  const subprogs = [...subprogStarts].sort((a, b) => a - b);
  const subprogEnds = subprogs.map((s, k) => (k + 1 < subprogs.length ? subprogs[k + 1]! : n) - 1);

  // Jumps stay inside their subprogram and land on an instruction start; each subprogram ends in
  // `exit` or an unconditional jump, so execution never falls into the next one or off the end.
  subprogs.forEach((start, k) => {
    const end = subprogEnds[k]!;
    for (let i = start; i <= end; i++) {
      const ins = prog[i]!;
      if (ins.isLdImm64Tail) continue;
      const target = jumpTarget(ins, i);
      if (target === undefined) continue;
      if (target < start || target > end) {
        throw new ProgramError(`jump out of range from insn ${i} to ${target}`, i);
      }
      if (prog[target]!.isLdImm64Tail) {
        throw new ProgramError(`jump into the middle of ldimm64 insn ${target - 1}`, i);
      }
    }
    const last = prog[end]!;
    const lastIsJump = (last.code & 0x07) === Class.JMP || (last.code & 0x07) === Class.JMP32;
    const op = last.code & 0xf0;
    if (last.isLdImm64Tail || !lastIsJump || (op !== JmpOp.EXIT && op !== JmpOp.JA)) {
      throw new ProgramError('last insn is not an exit or jmp', end);
    }
  });
  return { subprogs, subprogEnds };
}

function checkInsn(prog: readonly Insn[], i: number, opts: CheckOptions): void {
  const ins = prog[i]!;
  const cls = ins.code & 0x07;
  const fail = (msg: string, code?: 'PROG_UNSUPPORTED'): never => {
    throw new ProgramError(msg, i, code);
  };
  const readOnlyFp = (): never => frameReadOnly(i);
  const unknown = (): never => fail(`unknown opcode ${ins.code.toString(16).padStart(2, '0')}`);
  if (ins.dst > FP) fail(`R${ins.dst} is invalid`);
  if (ins.src > FP && !(cls === Class.LD && ins.code === OP_LDDW) && !isCallClass(ins)) fail(`R${ins.src} is invalid`);

  switch (cls) {
    case Class.ALU:
    case Class.ALU64:
      return checkAlu(ins, cls === Class.ALU64, fail, unknown, readOnlyFp, opts);
    case Class.JMP:
    case Class.JMP32:
      return checkJmp(ins, cls === Class.JMP32, fail, unknown, opts);
    case Class.LD: {
      if (ins.code !== OP_LDDW) {
        const m = ins.code & 0xe0;
        if (m === Mode.ABS || m === Mode.IND) fail('BPF_LD_[ABS|IND] instructions not allowed for this program type');
        return unknown();
      }
      if (ins.dst === FP) readOnlyFp();
      const tail = prog[i + 1];
      if (!tail || tail.code !== 0 || tail.dst !== 0 || tail.src !== 0 || tail.off !== 0 || ins.off !== 0) {
        fail('invalid bpf_ld_imm64 insn');
      }
      if (ins.src !== 0 && !opts.allowPseudoLdImm64) {
        fail(`ld_imm64 with pseudo source ${ins.src} needs the loader to resolve it (unknown map or function)`);
      }
      if (ins.src > 6) fail('invalid bpf_ld_imm64 insn');
      return;
    }
    case Class.LDX: {
      const m = ins.code & 0xe0;
      if (m !== Mode.MEM && !(m === Mode.MEMSX && (ins.code & 0x18) !== Size.DW)) return unknown();
      if (ins.imm !== 0) fail('BPF_LDX uses reserved fields');
      if (ins.dst === FP) readOnlyFp();
      return;
    }
    case Class.ST: {
      if ((ins.code & 0xe0) !== Mode.MEM) return unknown();
      if (ins.src !== 0) fail('BPF_ST uses reserved fields');
      return;
    }
    case Class.STX: {
      const m = ins.code & 0xe0;
      if (m === Mode.ATOMIC) {
        const sz = ins.code & 0x18;
        if (sz !== Size.W && sz !== Size.DW) fail('invalid atomic operand size');
        if (!ATOMIC_OPS.has(ins.imm)) fail(`BPF_ATOMIC uses invalid atomic opcode ${(ins.imm & 0xff).toString(16).padStart(2, '0')}`);
        if (ins.imm & AtomicOp.FETCH && ins.src === FP && ins.imm !== AtomicOp.CMPXCHG) readOnlyFp();
        return;
      }
      if (m !== Mode.MEM) return unknown();
      if (ins.imm !== 0) fail('BPF_STX uses reserved fields');
      return;
    }
  }
}

function isCallClass(ins: Insn): boolean {
  return ins.code === (Class.JMP | JmpOp.CALL) || ins.code === (Class.JMP | JmpOp.CALL | Source.X);
}

type Fail = (msg: string, code?: 'PROG_UNSUPPORTED') => never;

/** check_reg_arg: a write to r10 is refused with EACCES (the other malformed instructions, EINVAL). */
function frameReadOnly(i: number): never {
  throw new ProgramError('frame pointer is read only', i, 'PROG_INVALID', 'EACCES');
}

function checkAlu(ins: Insn, is64: boolean, fail: Fail, unknown: () => never, readOnlyFp: () => never, opts: CheckOptions): void {
  const op = ins.code & 0xf0;
  const x = (ins.code & Source.X) !== 0;
  if (op > AluOp.END) return unknown();
  if (ins.dst === FP) readOnlyFp();
  if (op === AluOp.END) {
    if (ins.src !== 0 || ins.off !== 0 || (ins.imm !== 16 && ins.imm !== 32 && ins.imm !== 64) || (is64 && x)) {
      fail('BPF_END uses reserved fields');
    }
    return;
  }
  if (op === AluOp.NEG) {
    if (x || ins.src !== 0 || ins.off !== 0 || ins.imm !== 0) fail('BPF_NEG uses reserved fields');
    return;
  }
  if (op === AluOp.MOV) {
    const offOk = ins.off === 0 || (x && (ins.off === 8 || ins.off === 16 || (is64 && ins.off === 32)));
    if (x ? ins.imm !== 0 || !offOk : ins.src !== 0 || ins.off !== 0) fail('BPF_MOV uses reserved fields');
    return;
  }
  const offOk = ins.off === 0 || ((op === AluOp.DIV || op === AluOp.MOD) && ins.off === 1);
  if (!offOk || (x ? ins.imm !== 0 : ins.src !== 0)) fail('BPF_ALU uses reserved fields');
  if (!x && (op === AluOp.DIV || op === AluOp.MOD) && ins.imm === 0) fail('div by zero');
  if (!x && (op === AluOp.LSH || op === AluOp.RSH || op === AluOp.ARSH) && !opts.relaxed) {
    const bits = is64 ? 64 : 32;
    if (ins.imm < 0 || ins.imm >= bits) fail(`invalid shift ${ins.imm}`);
  }
}

function checkJmp(ins: Insn, is32: boolean, fail: Fail, unknown: () => never, opts: CheckOptions): void {
  const op = ins.code & 0xf0;
  const x = (ins.code & Source.X) !== 0;
  if (op > JmpOp.JSLE) return unknown();
  if (op === JmpOp.JA) {
    if (x || ins.src !== 0 || ins.dst !== 0 || (is32 ? ins.off !== 0 : ins.imm !== 0)) fail('BPF_JA uses reserved fields');
    return;
  }
  if (op === JmpOp.EXIT) {
    if (is32 || x) return unknown();
    if (ins.src !== 0 || ins.dst !== 0 || ins.off !== 0 || ins.imm !== 0) fail('BPF_EXIT uses reserved fields');
    return;
  }
  if (op === JmpOp.CALL) {
    if (is32) return unknown();
    if (x) {
      // callx: the helper number is in dst at run time. The kernel has no such instruction.
      if (!opts.relaxed) fail('unknown opcode 8d (callx: call by register is not accepted by the kernel)');
      if (ins.src !== 0 || ins.off !== 0 || ins.imm !== 0) fail('BPF_CALL uses reserved fields');
      return;
    }
    if (ins.off !== 0 || ins.dst !== 0) fail('BPF_CALL uses reserved fields');
    if (ins.src === PseudoCall.LOCAL) return;
    if (ins.src === PseudoCall.KFUNC) {
      if (!kfuncById(ins.imm)) fail(`kernel function calls (kfuncs): BTF id ${ins.imm} is not a kfunc wxdp provides`, 'PROG_UNSUPPORTED');
      return;
    }
    if (ins.src !== PseudoCall.HELPER) fail('BPF_CALL uses reserved fields');
    if (opts.helpers && !opts.helpers.has(ins.imm)) {
      // The kernel's wording: "invalid func unknown#N" for ids it does not know at all, "program of
      // this type cannot use helper bpf_x#N" for helpers that exist but are not available to XDP — or,
      // here, that wxdp does not provide (said so).
      const name = helperName(ins.imm);
      if (!name.startsWith('bpf_')) fail(`invalid func unknown#${ins.imm}`);
      if (KERNEL_XDP_HELPERS.has(ins.imm)) {
        fail(`program of this type cannot use helper ${name}#${ins.imm} (the kernel allows it in XDP; wxdp does not provide it)`, 'PROG_UNSUPPORTED');
      }
      fail(`program of this type cannot use helper ${name}#${ins.imm}`);
    }
    return;
  }
  // Conditional jumps.
  if (x ? ins.imm !== 0 : ins.src !== 0) fail('BPF_JMP/JMP32 uses reserved fields');
}
