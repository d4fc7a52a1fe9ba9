// Instructions → text. Every line assembles back to exactly the slots it came from: a slot without a
// Form (reserved fields set, unknown opcode, register above r10) prints as `.insn`, and an `ld_imm64`
// whose tail slot is not all-zero prints as two `.insn` lines that the assembler pairs again.
//
// With `addresses`, lines look like `llvm-objdump -d`:
//
//          0:	b7 00 00 00 00 00 00 00	r0 = 0
//          1:	18 01 00 00 88 77 66 55 00 00 00 00 44 33 22 11	r1 = 1234605616436508552 ll
//
// and label lines like objdump's symbol lines (`\n0000000000000018 <L3>:`); the assembler reads both.

import type { Insn } from '../isa/insn.js';
import { INSN_SIZE, OP_LDDW } from '../isa/opcodes.js';
import { classify, type Form, type Slot } from './forms.js';
import type { Syntax } from './assemble.js';
import { printLlvm } from './llvm_syntax.js';
import { printUbpf } from './ubpf_syntax.js';

export interface DisassembleOptions {
  /** Default 'llvm'. */
  syntax?: Syntax;
  /** Name jump and call targets (`L<slot>`) and print label lines. */
  labels?: boolean;
  /** Prefix each line with its slot number and bytes, as llvm-objdump -d does. */
  addresses?: boolean;
}

interface Line {
  slot: number;
  form: Form;
  /** The wire slots the line stands for (two for ld_imm64). */
  slots: Slot[];
}

const PRINTERS = { ubpf: printUbpf, llvm: printLlvm } as const;

/** One line per instruction (`ld_imm64` is one line). */
export function disassemble(prog: readonly Insn[], opts: DisassembleOptions = {}): string {
  const print = PRINTERS[opts.syntax ?? 'llvm'];
  const lines = listing(prog);
  const names = opts.labels ? labelNames(lines) : new Map<number, string>();
  const out: string[] = [];
  for (const l of lines) {
    const name = names.get(l.slot);
    if (name) out.push(opts.addresses ? `\n${(l.slot * INSN_SIZE).toString(16).padStart(16, '0')} <${name}>:` : `${name}:`);
    const text = print(l.form, (rel) => names.get(l.slot + 1 + rel));
    out.push(opts.addresses ? `${String(l.slot).padStart(8)}:\t${l.slots.map(hexBytes).join(' ')}\t${text}` : text);
  }
  return out.join('\n');
}

/**
 * One instruction's text, for traces and error messages; never throws; assembles back to the
 * instruction (an ld_imm64 head with no Form: two `.insn` lines). With `index`, a jump or local call
 * also names its absolute target in a comment (`goto +3 ; -> 7`).
 */
export function formatInsn(ins: Insn, syntax: Syntax = 'llvm', index?: number): string {
  const form = (!ins.isLdImm64Tail && classify(ins)) || { kind: 'raw' as const, ...fields(ins) };
  let text = PRINTERS[syntax](form, () => undefined);
  if (form.kind === 'raw' && ins.code === OP_LDDW && !ins.isLdImm64Tail) {
    // an ld_imm64 head with no Form is a raw line, and its tail one more (as listing() prints them):
    // the imm64's upper half, the tail's other fields zero (this Insn does not carry them)
    const hi = Number(BigInt.asIntN(32, BigInt.asUintN(64, ins.imm64 ?? BigInt(ins.imm >>> 0)) >> 32n));
    text += `\n${PRINTERS[syntax](raw({ code: 0, dst: 0, src: 0, off: 0, imm: hi }), () => undefined)}`;
  }
  const rel = targetOf(form);
  if (index === undefined || rel === undefined) return text;
  return `${text} ${syntax === 'ubpf' ? '#' : ';'} -> ${index + 1 + rel}`;
}

function fields(ins: Slot): Slot {
  return { code: ins.code, dst: ins.dst, src: ins.src, off: ins.off, imm: ins.imm };
}

function targetOf(f: Form): number | undefined {
  return (f.kind === 'ja' || f.kind === 'gotol' || f.kind === 'jcond' || f.kind === 'may_goto' || f.kind === 'call_local') && 'rel' in f.target
    ? f.target.rel
    : undefined;
}

/** Group slots into lines, following `encode()`: an ld_imm64 takes the next entry as its tail when flagged so. */
function listing(prog: readonly Insn[]): Line[] {
  const lines: Line[] = [];
  for (let i = 0; i < prog.length; i++) {
    const ins = prog[i]!;
    if (ins.code !== OP_LDDW || ins.isLdImm64Tail) {
      const form = (!ins.isLdImm64Tail && classify(ins)) || raw(ins);
      lines.push({ slot: i, form, slots: [fields(ins)] });
      continue;
    }
    const value = BigInt.asUintN(64, ins.imm64 ?? BigInt(ins.imm >>> 0));
    const lo = Number(BigInt.asIntN(32, value));
    const hi = Number(BigInt.asIntN(32, value >> 32n));
    const next = prog[i + 1];
    const tail: Slot = next?.isLdImm64Tail ? { ...fields(next), imm: hi } : { code: 0, dst: 0, src: 0, off: 0, imm: hi };
    const first: Slot = { ...fields(ins), imm: lo };
    const form = classify({ ...first, imm64: value });
    if (form && tail.code === 0 && tail.dst === 0 && tail.src === 0 && tail.off === 0) {
      lines.push({ slot: i, form, slots: [first, tail] });
    } else {
      lines.push({ slot: i, form: raw(first), slots: [first] });
      if (next?.isLdImm64Tail) lines.push({ slot: i + 1, form: raw(tail), slots: [tail] });
    }
    if (next?.isLdImm64Tail) i++;
  }
  return lines;
}

function raw(s: Slot): Form {
  return { kind: 'raw', ...fields(s) };
}

/** `L<slot>` for every jump or call target that starts a line. */
function labelNames(lines: readonly Line[]): Map<number, string> {
  const starts = new Set(lines.map((l) => l.slot));
  const names = new Map<number, string>();
  for (const l of lines) {
    const rel = targetOf(l.form);
    const to = rel === undefined ? undefined : l.slot + 1 + rel;
    if (to !== undefined && starts.has(to)) names.set(to, `L${to}`);
  }
  return names;
}

function hexBytes(s: Slot): string {
  const b = new Uint8Array(INSN_SIZE);
  const v = new DataView(b.buffer);
  v.setUint8(0, s.code & 0xff);
  v.setUint8(1, ((s.src & 0xf) << 4) | (s.dst & 0xf));
  v.setInt16(2, s.off, true);
  v.setInt32(4, s.imm, true);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

