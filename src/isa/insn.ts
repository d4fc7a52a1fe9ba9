// The instruction model and the wire format.
//
// A program is an array indexed by slot, exactly as the kernel and llvm-objdump number instructions:
// jump offsets, error messages and traces all count slots. `ld_imm64` occupies two slots; the first
// carries the whole 64-bit constant in `imm64`, the second is a continuation entry (`isLdImm64Tail`)
// that engines never execute.

import { DecodeError } from '../errors.js';
import {
  AluOp,
  AtomicOp,
  BPF_MAY_GOTO,
  Class,
  CLASS_MASK,
  INSN_SIZE,
  JmpOp,
  Mode,
  MODE_MASK,
  OP_LDDW,
  OP_MASK,
  OP_MAY_GOTO,
  Size,
  SIZE_MASK,
  Source,
  SOURCE_MASK,
} from './opcodes.js';

export interface Insn {
  /** Opcode byte. */
  code: number;
  /** Destination register, 0–15 on the wire (only 0–10 are valid). */
  dst: number;
  /** Source register, or the pseudo source of `call` / `ld_imm64`. */
  src: number;
  /** Signed 16-bit offset. */
  off: number;
  /** Signed 32-bit immediate (for `ld_imm64`: the low half). */
  imm: number;
  /** For `ld_imm64`: the 64-bit constant (signed, as decode() gives it), low half from this slot, high half from the next. */
  imm64?: bigint;
  /** True for the second slot of `ld_imm64`. */
  isLdImm64Tail?: boolean;
}

export function insn(code: number, dst = 0, src = 0, off = 0, imm = 0): Insn {
  return { code, dst, src, off, imm };
}

export const cls = (i: Insn): number => i.code & CLASS_MASK;
export const op = (i: Insn): number => i.code & OP_MASK;
export const source = (i: Insn): number => i.code & SOURCE_MASK;
export const size = (i: Insn): number => i.code & SIZE_MASK;
export const mode = (i: Insn): number => i.code & MODE_MASK;

export function isLdImm64(i: Insn): boolean {
  return i.code === OP_LDDW;
}

/** `may_goto +off` (BPF_JMP | BPF_JCOND, src BPF_MAY_GOTO): jumps once the function's loop budget is spent. */
export function isMayGoto(i: Insn): boolean {
  return i.code === OP_MAY_GOTO && i.src === BPF_MAY_GOTO && !i.isLdImm64Tail;
}

/** A bpf-to-bpf call (`call pc+imm`). */
export function isLocalCall(i: Insn): boolean {
  return i.code === (Class.JMP | JmpOp.CALL) && i.src === 1;
}

/** The slot a local call enters. */
export function callTarget(i: Insn, pc: number): number {
  return pc + 1 + i.imm;
}

/** Which field holds a jump's offset: `imm` for ja32 (`gotol`), `off` for every other jump. */
export function jumpField(i: Insn): 'off' | 'imm' {
  return i.code === (Class.JMP32 | JmpOp.JA) ? 'imm' : 'off';
}

/**
 * Does this instruction write register `reg`? ALU/ALU64, loads and ld_imm64 write dst; fetching
 * atomics and xchg write their src, cmpxchg writes r0. Calls (r0, and r1–r5 scratch) are not counted.
 */
export function writesRegister(i: Insn, reg: number): boolean {
  if (i.isLdImm64Tail) return false;
  const c = i.code & CLASS_MASK;
  if (c === Class.ALU || c === Class.ALU64 || c === Class.LD || c === Class.LDX) return i.dst === reg;
  if (c === Class.STX && (i.code & MODE_MASK) === Mode.ATOMIC) {
    if (i.imm === AtomicOp.CMPXCHG) return reg === 0;
    return (i.imm & AtomicOp.FETCH) !== 0 && i.src === reg;
  }
  return false;
}

/** The slot a `ja` or conditional jump goes to when taken; undefined for calls, exit and non-jumps. */
export function jumpTarget(i: Insn, pc: number): number | undefined {
  const c = i.code & CLASS_MASK;
  if (c !== Class.JMP && c !== Class.JMP32) return undefined;
  const o = i.code & OP_MASK;
  if (o === JmpOp.CALL || o === JmpOp.EXIT) return undefined;
  return pc + 1 + i[jumpField(i)];
}

/** Decode the wire format. Throws DecodeError naming the slot for a truncated stream or a split ld_imm64. */
export function decode(bytes: Uint8Array): Insn[] {
  if (bytes.length % INSN_SIZE !== 0) {
    throw new DecodeError(
      `program length ${bytes.length} is not a multiple of ${INSN_SIZE} (trailing ${bytes.length % INSN_SIZE} bytes)`,
      Math.floor(bytes.length / INSN_SIZE),
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length / INSN_SIZE;
  const out: Insn[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const p = i * INSN_SIZE;
    const regs = view.getUint8(p + 1);
    const ins: Insn = {
      code: view.getUint8(p),
      dst: regs & 0x0f,
      src: regs >> 4,
      off: view.getInt16(p + 2, true),
      imm: view.getInt32(p + 4, true),
    };
    out[i] = ins;
    if (ins.code === OP_LDDW) {
      if (i + 1 >= n) throw new DecodeError('ld_imm64 is missing its second slot', i);
      const q = p + INSN_SIZE;
      const hi = view.getInt32(q + 4, true);
      ins.imm64 = (BigInt(hi) << 32n) | BigInt(ins.imm >>> 0);
      out[i + 1] = {
        code: view.getUint8(q),
        dst: view.getUint8(q + 1) & 0x0f,
        src: view.getUint8(q + 1) >> 4,
        off: view.getInt16(q + 2, true),
        imm: hi,
        isLdImm64Tail: true,
      };
      i++;
    }
  }
  return out;
}

/** Encode to the wire format. An `ld_imm64` entry without its tail slot gets one written. */
export function encode(prog: readonly Insn[]): Uint8Array {
  const slots: Insn[] = [];
  for (let i = 0; i < prog.length; i++) {
    const ins = prog[i]!;
    if (ins.isLdImm64Tail) continue;
    slots.push(ins);
    if (ins.code === OP_LDDW) {
      const v = BigInt.asUintN(64, ins.imm64 ?? BigInt(ins.imm >>> 0));
      const tail = prog[i + 1]?.isLdImm64Tail ? prog[i + 1]! : undefined;
      slots[slots.length - 1] = { ...ins, imm: Number(BigInt.asIntN(32, v)) };
      slots.push({
        code: tail?.code ?? 0,
        dst: tail?.dst ?? 0,
        src: tail?.src ?? 0,
        off: tail?.off ?? 0,
        imm: Number(BigInt.asIntN(32, v >> 32n)),
      });
    }
  }
  const out = new Uint8Array(slots.length * INSN_SIZE);
  const view = new DataView(out.buffer);
  slots.forEach((s, i) => {
    checkField(s.code, 0, 0xff, 'opcode', i);
    checkField(s.dst, 0, 15, 'dst register', i);
    checkField(s.src, 0, 15, 'src register', i);
    checkField(s.off, -0x8000, 0x7fff, 'offset', i);
    checkField(s.imm, -0x80000000, 0x7fffffff, 'immediate', i);
    const p = i * INSN_SIZE;
    view.setUint8(p, s.code);
    view.setUint8(p + 1, (s.src << 4) | s.dst);
    view.setInt16(p + 2, s.off, true);
    view.setInt32(p + 4, s.imm, true);
  });
  return out;
}

function checkField(v: number, lo: number, hi: number, what: string, index: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new DecodeError(`${what} ${v} does not fit [${lo}, ${hi}]`, index, 'ISA_ENCODE');
  }
}

// ---- A small builder DSL in the spirit of cilium/ebpf's asm package: `Alu64.add.imm(R1, 22)`. ----

export type Reg = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;

type AluName = 'add' | 'sub' | 'mul' | 'div' | 'or' | 'and' | 'lsh' | 'rsh' | 'mod' | 'xor' | 'mov' | 'arsh';
const ALU_OPS: Record<AluName, AluOp> = {
  add: AluOp.ADD,
  sub: AluOp.SUB,
  mul: AluOp.MUL,
  div: AluOp.DIV,
  or: AluOp.OR,
  and: AluOp.AND,
  lsh: AluOp.LSH,
  rsh: AluOp.RSH,
  mod: AluOp.MOD,
  xor: AluOp.XOR,
  mov: AluOp.MOV,
  arsh: AluOp.ARSH,
};

interface AluBuilder {
  imm(dst: Reg, imm: number): Insn;
  reg(dst: Reg, src: Reg): Insn;
}

function aluFamily(c: Class.ALU | Class.ALU64): Record<AluName, AluBuilder> {
  const out = {} as Record<AluName, AluBuilder>;
  for (const [name, o] of Object.entries(ALU_OPS) as [AluName, AluOp][]) {
    out[name] = {
      imm: (dst, imm) => insn(c | o | Source.K, dst, 0, 0, imm),
      reg: (dst, src) => insn(c | o | Source.X, dst, src, 0, 0),
    };
  }
  return out;
}

export const Alu64 = aluFamily(Class.ALU64);
export const Alu32 = aluFamily(Class.ALU);

type JmpName = 'jeq' | 'jgt' | 'jge' | 'jset' | 'jne' | 'jsgt' | 'jsge' | 'jlt' | 'jle' | 'jslt' | 'jsle';
const JMP_OPS: Record<JmpName, JmpOp> = {
  jeq: JmpOp.JEQ,
  jgt: JmpOp.JGT,
  jge: JmpOp.JGE,
  jset: JmpOp.JSET,
  jne: JmpOp.JNE,
  jsgt: JmpOp.JSGT,
  jsge: JmpOp.JSGE,
  jlt: JmpOp.JLT,
  jle: JmpOp.JLE,
  jslt: JmpOp.JSLT,
  jsle: JmpOp.JSLE,
};

interface JmpBuilder {
  imm(dst: Reg, imm: number, off: number): Insn;
  reg(dst: Reg, src: Reg, off: number): Insn;
}

function jmpFamily(c: Class.JMP | Class.JMP32): Record<JmpName, JmpBuilder> {
  const out = {} as Record<JmpName, JmpBuilder>;
  for (const [name, o] of Object.entries(JMP_OPS) as [JmpName, JmpOp][]) {
    out[name] = {
      imm: (dst, imm, off) => insn(c | o | Source.K, dst, 0, off, imm),
      reg: (dst, src, off) => insn(c | o | Source.X, dst, src, off, 0),
    };
  }
  return out;
}

export const Jmp = jmpFamily(Class.JMP);
export const Jmp32 = jmpFamily(Class.JMP32);

const SIZES = { b: Size.B, h: Size.H, w: Size.W, dw: Size.DW } as const;
export type SizeName = keyof typeof SIZES;

export const Ins = {
  ja: (off: number): Insn => insn(Class.JMP | JmpOp.JA, 0, 0, off, 0),
  ja32: (imm: number): Insn => insn(Class.JMP32 | JmpOp.JA, 0, 0, 0, imm),
  mayGoto: (off: number): Insn => insn(OP_MAY_GOTO, 0, BPF_MAY_GOTO, off, 0),
  exit: (): Insn => insn(Class.JMP | JmpOp.EXIT),
  call: (helper: number): Insn => insn(Class.JMP | JmpOp.CALL, 0, 0, 0, helper),
  callLocal: (rel: number): Insn => insn(Class.JMP | JmpOp.CALL, 0, 1, 0, rel),
  neg64: (dst: Reg): Insn => insn(Class.ALU64 | AluOp.NEG, dst),
  neg32: (dst: Reg): Insn => insn(Class.ALU | AluOp.NEG, dst),
  /** `ld_imm64`: returns both slots. */
  lddw: (dst: Reg, value: bigint, pseudo = 0): Insn[] => {
    const v = BigInt.asUintN(64, value);
    return [
      { code: OP_LDDW, dst, src: pseudo, off: 0, imm: Number(BigInt.asIntN(32, v)), imm64: BigInt.asIntN(64, v) },
      { code: 0, dst: 0, src: 0, off: 0, imm: Number(BigInt.asIntN(32, v >> 32n)), isLdImm64Tail: true },
    ];
  },
  ldx: (sz: SizeName, dst: Reg, src: Reg, off: number): Insn =>
    insn(Class.LDX | Mode.MEM | SIZES[sz], dst, src, off),
  ldxs: (sz: SizeName, dst: Reg, src: Reg, off: number): Insn =>
    insn(Class.LDX | Mode.MEMSX | SIZES[sz], dst, src, off),
  st: (sz: SizeName, dst: Reg, off: number, imm: number): Insn =>
    insn(Class.ST | Mode.MEM | SIZES[sz], dst, 0, off, imm),
  stx: (sz: SizeName, dst: Reg, src: Reg, off: number): Insn =>
    insn(Class.STX | Mode.MEM | SIZES[sz], dst, src, off),
  atomic: (sz: 'w' | 'dw', dst: Reg, src: Reg, off: number, aop: number): Insn =>
    insn(Class.STX | Mode.ATOMIC | SIZES[sz], dst, src, off, aop),
};
