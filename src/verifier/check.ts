// The load-time check: every structural rule the kernel enforces before it starts abstract
// interpretation (kernel/bpf/verifier.c: resolve_pseudo_ldimm64, check_subprogs, the per-opcode
// reserved-field checks of do_check). It looks at each instruction once and at the call/jump graph;
// it proves nothing about values. Messages use the kernel's wording so kernel users recognise them.

import { ProgramError } from '../errors.js';
import { helperName, kernelHelpersOf, notProvidedReason, type HelperTable } from '../helpers/index.js';
import { kfuncById } from '../helpers/kfuncs.js';
import {
  AluOp,
  AtomicOp,
  BPF_MAY_GOTO,
  Class,
  FP,
  JmpOp,
  Mode,
  OP_LDDW,
  OP_MAY_GOTO,
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
  /** The program's type, for the helpers the kernel gives it (kernelHelpersOf; XDP's when omitted or not measured). */
  progType?: string;
  /**
   * Relaxed mode, as uBPF runs programs: shift immediates out of range are accepted (they run with the
   * ISA's masking semantics) and `callx` (call helper by register) is accepted. The kernel rejects both.
   */
  relaxed?: boolean;
  /** Accept ld_imm64 pseudo sources (map fd / map value / func); the loader resolves them. */
  allowPseudoLdImm64?: boolean;
  /**
   * The verifier will walk the program: leave to it what the kernel checks only on the instructions
   * its walk reaches (do_check: reserved fields, atomic opcodes, helper ids, writes to r10, shifts,
   * division by an immediate zero — walkedInsnError and the walk's own checks). The kernel accepts
   * such an instruction in dead code, and sanitize_dead_code replaces it (sanitizeDeadCode).
   */
  walk?: boolean;
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
  const unknown = (): never => fail(`unknown opcode ${ins.code.toString(16).padStart(2, '0')}`);
  // resolve_pseudo_ldimm64 and bpf_opcode_in_insntable: at load time, for every instruction
  switch (cls) {
    case Class.ALU:
    case Class.ALU64:
      if ((ins.code & 0xf0) > AluOp.END) unknown();
      break;
    case Class.JMP:
    case Class.JMP32: {
      const op = ins.code & 0xf0;
      // bpf_opcode_in_insntable: of the JCOND opcodes only BPF_JMP | BPF_JCOND (may_goto) is in it
      if (op > JmpOp.JSLE && ins.code !== OP_MAY_GOTO) unknown();
      if ((op === JmpOp.EXIT || op === JmpOp.CALL) && (cls === Class.JMP32 || (ins.code & Source.X && op === JmpOp.EXIT))) unknown();
      if (op === JmpOp.CALL && ins.code & Source.X) {
        // callx: the helper number is in dst at run time. The kernel has no such instruction.
        if (!opts.relaxed) unknown();
        if (ins.src !== 0 || ins.off !== 0 || ins.imm !== 0) fail('BPF_CALL uses reserved fields');
        return;
      }
      if (op === JmpOp.CALL && ins.src === PseudoCall.KFUNC && !kfuncById(ins.imm)) {
        fail(`kernel function calls (kfuncs): BTF id ${ins.imm} is not a kfunc wxdp provides`, 'PROG_UNSUPPORTED');
      }
      // A helper the kernel gives this type but wxdp does not provide: not a verdict of the kernel's but a
      // limit of wxdp's, said at load time wherever the call is (loadObject skips such a program).
      if (op === JmpOp.CALL && ins.src === PseudoCall.HELPER && !ins.dst && !ins.off && opts.helpers && !opts.helpers.has(ins.imm) && (kernelHelpersOf(opts.progType) ?? kernelHelpersOf('xdp')!).ids.has(ins.imm)) {
        const e = walkedInsnError(ins, opts)!;
        fail(e.reason, e.code);
      }
      break;
    }
    case Class.LD: {
      if (ins.code !== OP_LDDW) {
        const m = ins.code & 0xe0;
        if (m !== Mode.ABS && m !== Mode.IND) unknown();
        break;
      }
      const tail = prog[i + 1];
      if (!tail || tail.code !== 0 || tail.dst !== 0 || tail.src !== 0 || tail.off !== 0 || ins.off !== 0) {
        fail('invalid bpf_ld_imm64 insn');
      }
      if (ins.src !== 0 && !opts.allowPseudoLdImm64) {
        fail(`ld_imm64 with pseudo source ${ins.src} needs the loader to resolve it (unknown map or function)`);
      }
      if (ins.src > 6) fail('invalid bpf_ld_imm64 insn');
      break;
    }
    case Class.LDX: {
      const m = ins.code & 0xe0;
      if (m !== Mode.MEM && !(m === Mode.MEMSX && (ins.code & 0x18) !== Size.DW)) return unknown();
      if (ins.imm !== 0) fail('BPF_LDX uses reserved fields');
      break;
    }
    case Class.ST:
      if ((ins.code & 0xe0) !== Mode.MEM) unknown();
      break;
    case Class.STX: {
      const m = ins.code & 0xe0;
      if (m !== Mode.ATOMIC && m !== Mode.MEM) unknown();
      break;
    }
  }
  if (opts.walk) return;
  const e = walkedInsnError(ins, opts);
  if (e) fail(e.reason, e.code);
  // check_alu_op refuses a zero divisor or a shift out of range before it asks that dst be writable
  if ((cls === Class.ALU || cls === Class.ALU64) && !(ins.code & Source.X)) {
    const op = ins.code & 0xf0;
    if ((op === AluOp.DIV || op === AluOp.MOD) && ins.imm === 0) fail('div by zero');
    if ((op === AluOp.LSH || op === AluOp.RSH || op === AluOp.ARSH) && !opts.relaxed) {
      const bits = cls === Class.ALU64 ? 64 : 32;
      if (ins.imm < 0 || ins.imm >= bits) fail(`invalid shift ${ins.imm}`);
    }
  }
  // check_reg_arg: a write to r10 is refused with EACCES (the other malformed instructions, EINVAL)
  if (ins.dst === FP && writesDst(ins)) frameReadOnly(i);
  if (cls === Class.STX && (ins.code & 0xe0) === Mode.ATOMIC && ins.imm & AtomicOp.FETCH && ins.src === FP && ins.imm !== AtomicOp.CMPXCHG) {
    frameReadOnly(i);
  }
}

/**
 * A verified program as it runs: every instruction the load-time check leaves to the walk (`walk`) and
 * that would fail it is one the walk never reached — the kernel's sanitize_dead_code replaces dead
 * instructions with `ja -1`, and so does this (both slots of an ld_imm64), so the engines never see them.
 */
export function sanitizeDeadCode(prog: readonly Insn[], opts: CheckOptions = {}): Insn[] {
  const out = prog.map((i) => ({ ...i }));
  const trap = (): Insn => ({ code: Class.JMP | JmpOp.JA, dst: 0, src: 0, off: -1, imm: 0 });
  for (let i = 0; i < out.length; i++) {
    if (out[i]!.isLdImm64Tail) continue;
    try {
      checkInsn(prog, i, { ...opts, walk: false });
    } catch {
      if (out[i]!.code === OP_LDDW) out[i + 1] = trap();
      out[i] = trap();
    }
  }
  return out;
}

/** ALU, LDX and ld_imm64 write their dst register (check_reg_arg(DST_OP): r10 may not be one). */
function writesDst(ins: Insn): boolean {
  const cls = ins.code & 0x07;
  return cls === Class.ALU || cls === Class.ALU64 || cls === Class.LDX || ins.code === OP_LDDW;
}

/**
 * What do_check refuses in an instruction's fields when its walk reaches it, before it looks at any
 * register (check_alu_op's, check_atomic's, the jump and call and store branches' "uses reserved
 * fields", check_ld_abs, check_helper_call's unknown helper, check_reg_arg's R11+); undefined when
 * nothing. The checks that come after a register read (shifts, division by zero, r10 written) are the
 * walk's own, in the kernel's order.
 */
export function walkedInsnError(ins: Insn, opts: CheckOptions = {}): { reason: string; code?: 'PROG_UNSUPPORTED' } | undefined {
  const cls = ins.code & 0x07;
  const x = (ins.code & Source.X) !== 0;
  const op = ins.code & 0xf0;
  // check_cond_jmp_op looks at a JCOND's fields before any register (its dst and src are not registers)
  if ((cls === Class.JMP || cls === Class.JMP32) && op === JmpOp.JCOND) {
    if (ins.code !== OP_MAY_GOTO || ins.src !== BPF_MAY_GOTO || ins.dst !== 0 || ins.imm !== 0) return { reason: `invalid may_goto imm ${ins.imm}` };
    return undefined;
  }
  if (ins.dst > FP) return { reason: `R${ins.dst} is invalid` };
  if (ins.src > FP && !(cls === Class.LD && ins.code === OP_LDDW) && !isCallClass(ins)) return { reason: `R${ins.src} is invalid` };
  switch (cls) {
    case Class.ALU:
    case Class.ALU64: {
      const is64 = cls === Class.ALU64;
      if (op === AluOp.END) {
        if (ins.src !== 0 || ins.off !== 0 || (ins.imm !== 16 && ins.imm !== 32 && ins.imm !== 64) || (is64 && x)) return { reason: 'BPF_END uses reserved fields' };
      } else if (op === AluOp.NEG) {
        if (x || ins.src !== 0 || ins.off !== 0 || ins.imm !== 0) return { reason: 'BPF_NEG uses reserved fields' };
      } else if (op === AluOp.MOV) {
        const offOk = ins.off === 0 || (x && (ins.off === 8 || ins.off === 16 || (is64 && ins.off === 32)));
        if (x ? ins.imm !== 0 || !offOk : ins.src !== 0 || ins.off !== 0) return { reason: 'BPF_MOV uses reserved fields' };
      } else {
        const offOk = ins.off === 0 || ((op === AluOp.DIV || op === AluOp.MOD) && ins.off === 1);
        if (!offOk || (x ? ins.imm !== 0 : ins.src !== 0)) return { reason: 'BPF_ALU uses reserved fields' };
      }
      return undefined;
    }
    case Class.JMP:
    case Class.JMP32:
      if (op === JmpOp.JA) {
        if (x || ins.src !== 0 || ins.dst !== 0 || (cls === Class.JMP32 ? ins.off !== 0 : ins.imm !== 0)) return { reason: 'BPF_JA uses reserved fields' };
        return undefined;
      }
      if (op === JmpOp.EXIT) {
        if (ins.src !== 0 || ins.dst !== 0 || ins.off !== 0 || ins.imm !== 0) return { reason: 'BPF_EXIT uses reserved fields' };
        return undefined;
      }
      if (op === JmpOp.CALL) {
        if (x) return undefined;
        if (ins.off !== 0 || ins.dst !== 0) return { reason: 'BPF_CALL uses reserved fields' };
        if (ins.src === PseudoCall.LOCAL || ins.src === PseudoCall.KFUNC) return undefined;
        if (ins.src !== PseudoCall.HELPER) return { reason: 'BPF_CALL uses reserved fields' };
        if (opts.helpers && !opts.helpers.has(ins.imm)) {
          // The kernel's wording: "invalid func unknown#N" for ids it does not know at all, "program of
          // this type cannot use helper bpf_x#N" for helpers that exist but are not available to the type —
          // or, here, that wxdp does not provide (said so).
          const name = helperName(ins.imm);
          if (!name.startsWith('bpf_')) return { reason: `invalid func unknown#${ins.imm}` };
          // (the classic and raw tracepoint types, not measured, as XDP — and said so: the kernel's set for
          // them is not known here, so the refusal names the type instead of claiming the kernel's allowance)
          const measured = kernelHelpersOf(opts.progType);
          const kernel = measured ?? kernelHelpersOf('xdp')!;
          if (kernel.ids.has(ins.imm)) {
            const reason = measured
              ? notProvidedReason(ins.imm, kernel.type)
              : `program of this type cannot use helper ${name}#${ins.imm} (wxdp does not provide it to ${opts.progType} programs)`;
            return { reason, code: 'PROG_UNSUPPORTED' };
          }
          return { reason: `program of this type cannot use helper ${name}#${ins.imm}` };
        }
        return undefined;
      }
      // Conditional jumps.
      if (x ? ins.imm !== 0 : ins.src !== 0) return { reason: 'BPF_JMP/JMP32 uses reserved fields' };
      return undefined;
    case Class.LD:
      if (ins.code !== OP_LDDW) return { reason: 'BPF_LD_[ABS|IND] instructions not allowed for this program type' };
      return undefined;
    case Class.ST:
      if (ins.src !== 0) return { reason: 'BPF_ST uses reserved fields' };
      return undefined;
    case Class.STX:
      if ((ins.code & 0xe0) === Mode.ATOMIC) {
        // check_atomic: the opcode, then (check_atomic_rmw) the size
        if (!ATOMIC_OPS.has(ins.imm)) return { reason: `BPF_ATOMIC uses invalid atomic opcode ${(ins.imm & 0xff).toString(16).padStart(2, '0')}` };
        const sz = ins.code & 0x18;
        if (sz !== Size.W && sz !== Size.DW) return { reason: 'invalid atomic operand size' };
        return undefined;
      }
      if (ins.imm !== 0) return { reason: 'BPF_STX uses reserved fields' };
      return undefined;
  }
  return undefined;
}

function frameReadOnly(i: number): never {
  throw new ProgramError('frame pointer is read only', i, 'PROG_INVALID', 'EACCES');
}

function isCallClass(ins: Insn): boolean {
  return ins.code === (Class.JMP | JmpOp.CALL) || ins.code === (Class.JMP | JmpOp.CALL | Source.X);
}
