// eBPF opcode fields, RFC 9669 (ISA v4) §3–§5.
//
// An instruction is 8 bytes, little-endian:
//
//   byte  0        1               2–3            4–7
//        +--------+-------+-------+--------------+------------------------------+
//        | opcode | src:4 | dst:4 | offset (s16) | imm (s32)                    |
//        +--------+-------+-------+--------------+------------------------------+
//                  high    low
//
// The opcode byte has two shapes, chosen by its 3-bit class:
//
//   ALU, ALU64, JMP, JMP32:            LD, LDX, ST, STX:
//   +--------+--------+--------+       +--------+--------+--------+
//   | 4 bits | 1 bit  | 3 bits |       | 3 bits | 2 bits | 3 bits |
//   |  code  | source | class  |       |  mode  |  size  | class  |
//   +--------+--------+--------+       +--------+--------+--------+
//
// `ld_imm64` (lddw) takes two slots: the second has opcode 0 and carries the high 32 bits in imm.

/** Instruction class, bits 0–2 of the opcode. */
export enum Class {
  LD = 0x00,
  LDX = 0x01,
  ST = 0x02,
  STX = 0x03,
  ALU = 0x04,
  JMP = 0x05,
  JMP32 = 0x06,
  ALU64 = 0x07,
}

/** Source operand, bit 3 of arithmetic and jump opcodes: K = imm, X = src register. */
export enum Source {
  K = 0x00,
  X = 0x08,
}

/** Arithmetic operation code, bits 4–7 (already shifted). */
export enum AluOp {
  ADD = 0x00,
  SUB = 0x10,
  MUL = 0x20,
  DIV = 0x30, // offset 1: SDIV
  OR = 0x40,
  AND = 0x50,
  LSH = 0x60,
  RSH = 0x70,
  NEG = 0x80,
  MOD = 0x90, // offset 1: SMOD
  XOR = 0xa0,
  MOV = 0xb0, // offset 8/16/32: MOVSX
  ARSH = 0xc0,
  END = 0xd0, // byte swap; source bit selects TO_LE (K) or TO_BE (X); in ALU64 it is BSWAP
}

/** Jump operation code, bits 4–7 (already shifted). */
export enum JmpOp {
  JA = 0x00,
  JEQ = 0x10,
  JGT = 0x20,
  JGE = 0x30,
  JSET = 0x40,
  JNE = 0x50,
  JSGT = 0x60,
  JSGE = 0x70,
  CALL = 0x80,
  EXIT = 0x90,
  JLT = 0xa0,
  JLE = 0xb0,
  JSLT = 0xc0,
  JSLE = 0xd0,
  /** BPF_JCOND: a jump whose condition src_reg names; only `may_goto` (BPF_JMP | BPF_JCOND, src 0) exists. */
  JCOND = 0xe0,
}

/** Access size, bits 3–4 of load/store opcodes. */
export enum Size {
  W = 0x00,
  H = 0x08,
  B = 0x10,
  DW = 0x18,
}

/** Addressing mode, bits 5–7 of load/store opcodes. */
export enum Mode {
  IMM = 0x00, // ld_imm64 only
  ABS = 0x20, // legacy packet access (socket filters only)
  IND = 0x40, // legacy packet access (socket filters only)
  MEM = 0x60,
  MEMSX = 0x80, // sign-extending load (LDX only)
  ATOMIC = 0xc0, // STX only; operation in imm
}

/** Atomic operation, carried in imm of `STX | ATOMIC`. */
export enum AtomicOp {
  ADD = 0x00,
  OR = 0x40,
  AND = 0x50,
  XOR = 0xa0,
  FETCH = 0x01,
  XCHG = 0xe0 | 0x01,
  CMPXCHG = 0xf0 | 0x01,
}

/** src_reg values of `ld_imm64` (kernel pseudo sources, include/uapi/linux/bpf.h). */
export enum PseudoLd {
  IMM64 = 0,
  MAP_FD = 1,
  MAP_VALUE = 2,
  BTF_ID = 3,
  FUNC = 4,
  MAP_IDX = 5,
  MAP_IDX_VALUE = 6,
}

/** src_reg of `BPF_JMP | BPF_JCOND` (include/uapi/linux/bpf.h enum { BPF_MAY_GOTO = 0 }). */
export const BPF_MAY_GOTO = 0;

/** src_reg values of `call`. */
export enum PseudoCall {
  HELPER = 0,
  LOCAL = 1,
  KFUNC = 2,
}

export const CLASS_MASK = 0x07;
export const SOURCE_MASK = 0x08;
export const OP_MASK = 0xf0;
export const SIZE_MASK = 0x18;
export const MODE_MASK = 0xe0;

/** Bytes of one instruction slot. */
export const INSN_SIZE = 8;
/** Bytes of stack per frame. */
export const STACK_SIZE = 512;
/** Frames: the entry function plus up to 7 nested bpf-to-bpf calls. */
export const MAX_FRAMES = 8;
/** Registers r0–r10. */
export const NUM_REGS = 11;
/** The read-only frame pointer. */
export const FP = 10;

/** Opcode of `may_goto`: JMP | JCOND (the only JCOND opcode the kernel's instruction table has). */
export const OP_MAY_GOTO = Class.JMP | JmpOp.JCOND;
/**
 * include/linux/bpf.h BPF_MAX_LOOPS (8M): bpf_loop's largest count, and the iterations a function's
 * may_gotos fall through before they jump — the count do_misc_fixups stores in the hidden stack slot of
 * each subprogram's prologue (the kernel interpreter's and the non-timed JITs' budget; x86-64's timed
 * may_goto instead refreshes 0xffff until 250 ms have passed).
 */
export const BPF_MAX_LOOPS = 1 << 23;

/** Opcode of the `ld_imm64` first slot: LD | IMM | DW. */
export const OP_LDDW = Class.LD | Mode.IMM | Size.DW;

export function sizeBytes(size: number): 1 | 2 | 4 | 8 {
  switch (size & SIZE_MASK) {
    case Size.B:
      return 1;
    case Size.H:
      return 2;
    case Size.W:
      return 4;
    default:
      return 8;
  }
}

export function isAluClass(cls: number): boolean {
  return cls === Class.ALU || cls === Class.ALU64;
}

export function isJmpClass(cls: number): boolean {
  return cls === Class.JMP || cls === Class.JMP32;
}
