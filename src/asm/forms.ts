// The meaning of one instruction, independent of how it is spelled.
//
// Both syntaxes go through this module: a parser turns a line into a `Form`, `lower` turns a Form into
// wire slots, `classify` turns a slot back into a Form, and a printer spells a Form. The op tables here
// carry each operation's name in both syntaxes, so uBPF's `add32`/`jsge` and llvm's `+=`/`s>=` are
// one row each, not two parallel lists.
//
// `classify` is strict: it returns a Form only when printing that Form and assembling the text gives
// back every field of the slot. Anything else (reserved fields set, registers above r10, unknown
// opcodes) has no Form and is printed as a raw `.insn` line.

import {
  AluOp,
  AtomicOp,
  BPF_MAY_GOTO,
  Class,
  CLASS_MASK,
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
} from '../isa/opcodes.js';
import type { Insn } from '../isa/insn.js';

// ---- Op tables shared by both syntaxes ----

/** Two-operand arithmetic. `off` is the offset field that selects the signed variant (sdiv, smod). */
export interface AluEntry {
  readonly name: string; // uBPF mnemonic without the `32` suffix
  readonly op: AluOp;
  readonly off: 0 | 1;
  readonly llvm: string; // llvm operator: `r1 += r2`
}

export const ALU_BINARY: readonly AluEntry[] = [
  { name: 'add', op: AluOp.ADD, off: 0, llvm: '+=' },
  { name: 'sub', op: AluOp.SUB, off: 0, llvm: '-=' },
  { name: 'mul', op: AluOp.MUL, off: 0, llvm: '*=' },
  { name: 'div', op: AluOp.DIV, off: 0, llvm: '/=' },
  { name: 'sdiv', op: AluOp.DIV, off: 1, llvm: 's/=' },
  { name: 'or', op: AluOp.OR, off: 0, llvm: '|=' },
  { name: 'and', op: AluOp.AND, off: 0, llvm: '&=' },
  { name: 'lsh', op: AluOp.LSH, off: 0, llvm: '<<=' },
  { name: 'rsh', op: AluOp.RSH, off: 0, llvm: '>>=' },
  { name: 'mod', op: AluOp.MOD, off: 0, llvm: '%=' },
  { name: 'smod', op: AluOp.MOD, off: 1, llvm: 's%=' },
  { name: 'xor', op: AluOp.XOR, off: 0, llvm: '^=' },
  { name: 'mov', op: AluOp.MOV, off: 0, llvm: '=' },
  { name: 'arsh', op: AluOp.ARSH, off: 0, llvm: 's>>=' },
];

/** Byte-swap flavours: class and source bit select the flavour, imm the width. */
export interface EndEntry {
  readonly name: 'le' | 'be' | 'bswap';
  readonly cls: Class.ALU | Class.ALU64;
  readonly source: Source;
}

export const END_OPS: readonly EndEntry[] = [
  { name: 'le', cls: Class.ALU, source: Source.K },
  { name: 'be', cls: Class.ALU, source: Source.X },
  { name: 'bswap', cls: Class.ALU64, source: Source.K },
];

export const END_WIDTHS = [16, 32, 64] as const;
export type EndWidth = (typeof END_WIDTHS)[number];

/** Conditional jumps. */
export interface JmpEntry {
  readonly name: string; // uBPF mnemonic without the `32` suffix
  readonly op: JmpOp;
  readonly llvm: string; // llvm comparison: `if r1 s> r2 goto +3`
}

export const JMP_COND: readonly JmpEntry[] = [
  { name: 'jeq', op: JmpOp.JEQ, llvm: '==' },
  { name: 'jgt', op: JmpOp.JGT, llvm: '>' },
  { name: 'jge', op: JmpOp.JGE, llvm: '>=' },
  { name: 'jset', op: JmpOp.JSET, llvm: '&' },
  { name: 'jne', op: JmpOp.JNE, llvm: '!=' },
  { name: 'jsgt', op: JmpOp.JSGT, llvm: 's>' },
  { name: 'jsge', op: JmpOp.JSGE, llvm: 's>=' },
  { name: 'jlt', op: JmpOp.JLT, llvm: '<' },
  { name: 'jle', op: JmpOp.JLE, llvm: '<=' },
  { name: 'jslt', op: JmpOp.JSLT, llvm: 's<' },
  { name: 'jsle', op: JmpOp.JSLE, llvm: 's<=' },
];

/** Access sizes: uBPF suffix (`ldxdw`) and width in bits (llvm `u64`). */
export interface SizeEntry {
  readonly size: Size;
  readonly ubpf: 'b' | 'h' | 'w' | 'dw';
  readonly bits: 8 | 16 | 32 | 64;
}

export const SIZES: readonly SizeEntry[] = [
  { size: Size.B, ubpf: 'b', bits: 8 },
  { size: Size.H, ubpf: 'h', bits: 16 },
  { size: Size.W, ubpf: 'w', bits: 32 },
  { size: Size.DW, ubpf: 'dw', bits: 64 },
];

/** Atomic read-modify-write operations (`STX | ATOMIC`, operation in imm). */
export interface AtomicEntry {
  readonly name: 'add' | 'or' | 'and' | 'xor' | 'xchg' | 'cmpxchg';
  /** imm without the FETCH bit. */
  readonly op: number;
  /** True when the operation always fetches (xchg, cmpxchg); false when FETCH is optional. */
  readonly alwaysFetch: boolean;
  /** llvm operator of the non-fetching form: `lock *(u64 *)(r1 + 0) += r2`. */
  readonly llvm: string;
}

export const ATOMIC_OPS: readonly AtomicEntry[] = [
  { name: 'add', op: AtomicOp.ADD, alwaysFetch: false, llvm: '+=' },
  { name: 'or', op: AtomicOp.OR, alwaysFetch: false, llvm: '|=' },
  { name: 'and', op: AtomicOp.AND, alwaysFetch: false, llvm: '&=' },
  { name: 'xor', op: AtomicOp.XOR, alwaysFetch: false, llvm: '^=' },
  { name: 'xchg', op: AtomicOp.XCHG & ~AtomicOp.FETCH, alwaysFetch: true, llvm: '' },
  { name: 'cmpxchg', op: AtomicOp.CMPXCHG & ~AtomicOp.FETCH, alwaysFetch: true, llvm: '' },
];

/** Sign-extension widths of `movsx` (MOV with offset 8/16/32); 32 only in ALU64. */
export const MOVSX_BITS = [8, 16, 32] as const;
export type MovsxBits = (typeof MOVSX_BITS)[number];

// ---- Forms ----

/** A jump or local-call target: a relative slot count, or a label still to be resolved. */
export type Target = { readonly rel: number } | { readonly label: string; readonly col: number };

export type Operand = { readonly reg: number } | { readonly imm: number };

export type Form =
  | { kind: 'alu'; wide: boolean; entry: AluEntry; dst: number; src: Operand }
  | { kind: 'neg'; wide: boolean; dst: number }
  | { kind: 'movsx'; wide: boolean; bits: MovsxBits; dst: number; src: number }
  | { kind: 'end'; entry: EndEntry; bits: EndWidth; dst: number }
  | { kind: 'lddw'; dst: number; pseudo: number; value: bigint }
  | { kind: 'ldx'; size: SizeEntry; signed: boolean; dst: number; src: number; off: number }
  | { kind: 'st'; size: SizeEntry; dst: number; off: number; imm: number }
  | { kind: 'stx'; size: SizeEntry; dst: number; src: number; off: number }
  | { kind: 'atomic'; wide: boolean; entry: AtomicEntry; fetch: boolean; dst: number; src: number; off: number }
  | { kind: 'ldabs'; size: SizeEntry; imm: number }
  | { kind: 'ldind'; size: SizeEntry; src: number; imm: number }
  | { kind: 'ja'; target: Target }
  | { kind: 'gotol'; target: Target }
  /** BPF_JMP | BPF_JCOND with src BPF_MAY_GOTO: `may_goto +off` in both syntaxes. */
  | { kind: 'may_goto'; target: Target }
  | { kind: 'jcond'; wide: boolean; entry: JmpEntry; dst: number; src: Operand; target: Target }
  | { kind: 'call'; helper: number }
  | { kind: 'call_local'; target: Target }
  | { kind: 'call_kfunc'; imm: number }
  | { kind: 'callx'; dst: number }
  | { kind: 'exit' }
  | { kind: 'raw'; code: number; dst: number; src: number; off: number; imm: number };

/** Highest register a Form may name; the wire allows 15 but only r0–r10 exist. */
export const MAX_REG = 10;
/** Highest `ld_imm64` pseudo source the kernel defines (BPF_PSEUDO_MAP_IDX_VALUE). */
export const MAX_PSEUDO_LD = 6;

export const S16 = { lo: -0x8000, hi: 0x7fff } as const;
export const S32 = { lo: -0x80000000, hi: 0x7fffffff } as const;

export function isReg(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= MAX_REG;
}

/** Slots a Form occupies. */
export function slotCount(f: Form): 1 | 2 {
  return f.kind === 'lddw' ? 2 : 1;
}

// ---- Form → slots ----

/** One wire slot's fields. */
export type Slot = Pick<Insn, 'code' | 'dst' | 'src' | 'off' | 'imm'>;

function slot(code: number, dst = 0, src = 0, off = 0, imm = 0): Slot {
  return { code, dst, src, off, imm };
}

function relOf(t: Target): number {
  if ('label' in t) throw new Error(`internal: label '${t.label}' was not resolved before lowering`);
  return t.rel;
}

function operandSlot(base: number, dst: number, src: Operand, off: number): Slot {
  return 'reg' in src ? slot(base | Source.X, dst, src.reg, off, 0) : slot(base | Source.K, dst, 0, off, src.imm);
}

/** The wire slots of a Form whose targets are resolved. `lddw` gives two slots (the tail carries the high half). */
export function lower(f: Form): Slot[] {
  switch (f.kind) {
    case 'alu':
      return [operandSlot((f.wide ? Class.ALU64 : Class.ALU) | f.entry.op, f.dst, f.src, f.entry.off)];
    case 'neg':
      return [slot((f.wide ? Class.ALU64 : Class.ALU) | AluOp.NEG, f.dst)];
    case 'movsx':
      return [slot((f.wide ? Class.ALU64 : Class.ALU) | AluOp.MOV | Source.X, f.dst, f.src, f.bits)];
    case 'end':
      return [slot(f.entry.cls | AluOp.END | f.entry.source, f.dst, 0, 0, f.bits)];
    case 'lddw': {
      const v = BigInt.asUintN(64, f.value);
      return [
        slot(OP_LDDW, f.dst, f.pseudo, 0, Number(BigInt.asIntN(32, v))),
        slot(0, 0, 0, 0, Number(BigInt.asIntN(32, v >> 32n))),
      ];
    }
    case 'ldx':
      return [slot(Class.LDX | (f.signed ? Mode.MEMSX : Mode.MEM) | f.size.size, f.dst, f.src, f.off)];
    case 'st':
      return [slot(Class.ST | Mode.MEM | f.size.size, f.dst, 0, f.off, f.imm)];
    case 'stx':
      return [slot(Class.STX | Mode.MEM | f.size.size, f.dst, f.src, f.off)];
    case 'atomic':
      return [
        slot(
          Class.STX | Mode.ATOMIC | (f.wide ? Size.DW : Size.W),
          f.dst,
          f.src,
          f.off,
          f.entry.op | (f.fetch ? AtomicOp.FETCH : 0),
        ),
      ];
    case 'ldabs':
      return [slot(Class.LD | Mode.ABS | f.size.size, 0, 0, 0, f.imm)];
    case 'ldind':
      return [slot(Class.LD | Mode.IND | f.size.size, 0, f.src, 0, f.imm)];
    case 'ja':
      return [slot(Class.JMP | JmpOp.JA, 0, 0, relOf(f.target))];
    case 'gotol':
      return [slot(Class.JMP32 | JmpOp.JA, 0, 0, 0, relOf(f.target))];
    case 'may_goto':
      return [slot(OP_MAY_GOTO, 0, BPF_MAY_GOTO, relOf(f.target))];
    case 'jcond':
      return [operandSlot((f.wide ? Class.JMP : Class.JMP32) | f.entry.op, f.dst, f.src, relOf(f.target))];
    case 'call':
      return [slot(Class.JMP | JmpOp.CALL, 0, 0, 0, f.helper)];
    case 'call_local':
      return [slot(Class.JMP | JmpOp.CALL, 0, 1, 0, relOf(f.target))];
    case 'call_kfunc':
      return [slot(Class.JMP | JmpOp.CALL, 0, 2, 0, f.imm)];
    case 'callx':
      return [slot(Class.JMP | JmpOp.CALL | Source.X, f.dst)];
    case 'exit':
      return [slot(Class.JMP | JmpOp.EXIT)];
    case 'raw':
      return [slot(f.code, f.dst, f.src, f.off, f.imm)];
  }
}

// ---- slot → Form ----

const sizeOf = (code: number): SizeEntry => SIZES.find((s) => s.size === (code & SIZE_MASK))!;

/**
 * The Form of one slot, or undefined when it has none (then it prints as `.insn`). For `ld_imm64` the
 * constant comes from `imm64` when present, else from `imm` zero-extended; the tail slot is the
 * caller's to check.
 */
export function classify(ins: Insn): Form | undefined {
  const { code, dst, src, off, imm } = ins;
  if (![code, dst, src, off, imm].every(Number.isInteger)) return undefined;
  const cls = code & CLASS_MASK;
  switch (cls) {
    case Class.ALU:
    case Class.ALU64:
      return classifyAlu(ins, cls === Class.ALU64);
    case Class.JMP:
    case Class.JMP32:
      return classifyJmp(ins, cls === Class.JMP);
    case Class.LD: {
      const mode = code & MODE_MASK;
      if (code === OP_LDDW && off === 0 && isReg(dst) && src >= 0 && src <= MAX_PSEUDO_LD) {
        return { kind: 'lddw', dst, pseudo: src, value: BigInt.asUintN(64, ins.imm64 ?? BigInt(imm >>> 0)) };
      }
      if (mode === Mode.ABS && dst === 0 && src === 0 && off === 0) return { kind: 'ldabs', size: sizeOf(code), imm };
      if (mode === Mode.IND && dst === 0 && isReg(src) && off === 0) {
        return { kind: 'ldind', size: sizeOf(code), src, imm };
      }
      return undefined;
    }
    case Class.LDX: {
      const mode = code & MODE_MASK;
      const signed = mode === Mode.MEMSX;
      if ((mode !== Mode.MEM && !signed) || imm !== 0 || !isReg(dst) || !isReg(src)) return undefined;
      if (signed && (code & SIZE_MASK) === Size.DW) return undefined;
      return { kind: 'ldx', size: sizeOf(code), signed, dst, src, off };
    }
    case Class.ST:
      if ((code & MODE_MASK) !== Mode.MEM || src !== 0 || !isReg(dst)) return undefined;
      return { kind: 'st', size: sizeOf(code), dst, off, imm };
    default: {
      // Class.STX
      const mode = code & MODE_MASK;
      if (!isReg(dst) || !isReg(src)) return undefined;
      if (mode === Mode.MEM) return imm === 0 ? { kind: 'stx', size: sizeOf(code), dst, src, off } : undefined;
      if (mode !== Mode.ATOMIC) return undefined;
      const size = code & SIZE_MASK;
      if (size !== Size.W && size !== Size.DW) return undefined;
      const fetch = (imm & AtomicOp.FETCH) !== 0;
      const entry = ATOMIC_OPS.find((a) => a.op === (imm & ~AtomicOp.FETCH));
      if (!entry || (entry.alwaysFetch && !fetch)) return undefined;
      return { kind: 'atomic', wide: size === Size.DW, entry, fetch, dst, src, off };
    }
  }
}

function classifyAlu(ins: Insn, wide: boolean): Form | undefined {
  const { code, dst, src, off, imm } = ins;
  const op = code & OP_MASK;
  const x = (code & SOURCE_MASK) === Source.X;
  if (!isReg(dst)) return undefined;
  if (op === AluOp.NEG) return !x && src === 0 && off === 0 && imm === 0 ? { kind: 'neg', wide, dst } : undefined;
  if (op === AluOp.END) {
    const entry = END_OPS.find((e) => e.cls === (wide ? Class.ALU64 : Class.ALU) && e.source === (code & SOURCE_MASK));
    const bits = END_WIDTHS.find((w) => w === imm);
    return entry && bits && src === 0 && off === 0 ? { kind: 'end', entry, bits, dst } : undefined;
  }
  if (op === AluOp.MOV && x && off !== 0) {
    const bits = MOVSX_BITS.find((b) => b === off && (wide || b !== 32));
    return bits && imm === 0 && isReg(src) ? { kind: 'movsx', wide, bits, dst, src } : undefined;
  }
  const entry = ALU_BINARY.find((e) => e.op === op && e.off === off);
  if (!entry) return undefined;
  if (x) return imm === 0 && isReg(src) ? { kind: 'alu', wide, entry, dst, src: { reg: src } } : undefined;
  return src === 0 ? { kind: 'alu', wide, entry, dst, src: { imm } } : undefined;
}

function classifyJmp(ins: Insn, wide: boolean): Form | undefined {
  const { code, dst, src, off, imm } = ins;
  const op = code & OP_MASK;
  const x = (code & SOURCE_MASK) === Source.X;
  switch (op) {
    case JmpOp.JA:
      if (x || dst !== 0 || src !== 0) return undefined;
      if (wide) return imm === 0 ? { kind: 'ja', target: { rel: off } } : undefined;
      return off === 0 ? { kind: 'gotol', target: { rel: imm } } : undefined;
    case JmpOp.CALL:
      if (!wide || off !== 0) return undefined;
      // callx: the register is in dst, as GCC, LLVM >= 19 and bpf_conformance encode it.
      if (x) return src === 0 && imm === 0 && isReg(dst) ? { kind: 'callx', dst } : undefined;
      if (dst !== 0) return undefined;
      if (src === 0) return { kind: 'call', helper: imm };
      if (src === 1) return { kind: 'call_local', target: { rel: imm } };
      if (src === 2) return { kind: 'call_kfunc', imm };
      return undefined;
    case JmpOp.EXIT:
      return wide && !x && dst === 0 && src === 0 && off === 0 && imm === 0 ? { kind: 'exit' } : undefined;
    case JmpOp.JCOND:
      // only the form the kernel accepts (check_cond_jmp_op); any other field set prints as `.insn`
      return wide && !x && dst === 0 && src === BPF_MAY_GOTO && imm === 0 ? { kind: 'may_goto', target: { rel: off } } : undefined;
  }
  const entry = JMP_COND.find((e) => e.op === op);
  if (!entry || !isReg(dst)) return undefined;
  if (x) return imm === 0 && isReg(src) ? { kind: 'jcond', wide, entry, dst, src: { reg: src }, target: { rel: off } } : undefined;
  return src === 0 ? { kind: 'jcond', wide, entry, dst, src: { imm }, target: { rel: off } } : undefined;
}

// ---- helpers the printers share ----

/** Text of a `.insn` line; every field is given so the line assembles to exactly this slot. */
export function formatRaw(s: Slot): string {
  return `.insn 0x${(s.code >>> 0).toString(16).padStart(2, '0')}, dst=${s.dst}, src=${s.src}, off=${s.off}, imm=${s.imm}`;
}

/** `+3`, `-1`, `+0`: how both syntaxes print a relative jump. */
export function signed(v: number): string {
  return v < 0 ? `${v}` : `+${v}`;
}
