// Text → instructions, in three steps:
//
//   1. lines   each line loses its comment and any listing prefix (llvm-objdump's `  12:\t<bytes>\t`,
//              bpftool's `  12: (bf) `), gives up its labels, and is parsed into a Form by the syntax it
//              is written in (chosen per line in 'auto' mode);
//   2. labels  jump and call targets that name labels become slot offsets, range-checked;
//   3. slots   Forms become wire slots, and every `ld_imm64` first slot is paired with the slot after it
//              exactly as `decode()` pairs them.
//
// Labels: `name:` (alone or before an instruction on the same line), and objdump's `<name>:` and
// `0000000000000010 <name>:`. A target named `exit` with no such label means the program's first `exit`
// instruction: bpf_conformance's assembler defines that label implicitly, and its test files rely on it
// (`jne %r0, %r1, exit`).

import { AsmError } from '../errors.js';
import type { Insn } from '../isa/insn.js';
import { OP_LDDW } from '../isa/opcodes.js';
import { type Form, lower, S16, S32, type Slot, slotCount, type Target } from './forms.js';
import { Cursor, lex, type Token } from './lexer.js';
import { looksLlvm, parseLlvm } from './llvm_syntax.js';
import { parseUbpf } from './ubpf_syntax.js';

export type Syntax = 'ubpf' | 'llvm';

export interface AssembleOptions {
  /** Which syntax the text is in; 'auto' (the default) decides line by line. */
  syntax?: Syntax | 'auto';
  /** File name for error messages. */
  source?: string;
}

interface Item {
  form: Form;
  line: number;
  slot: number;
}

interface Label {
  slot: number;
  line: number;
}

/** Lines of an objdump or bpftool listing that carry no instruction. */
const LISTING_NOISE = [
  /^\s*\S+:\s+file format\s/, // `x.o:	file format elf64-bpf`
  /^\s*Disassembly of section\s/,
  /^\s*[0-9a-f]+:\s+R_BPF_/i, // relocation under `llvm-objdump -dr`
];

/** `  12:\t85 10 00 00 06 00 00 00\t` (llvm-objdump) or `  12: (bf) ` (bpftool). */
const LISTING_PREFIX = /^\s*\d+:(?:\s+(?:[0-9a-f]{2} )*[0-9a-f]{2}(?=\s))?(?:\s*\([0-9a-f]{2}\))?/i;

/** Assemble uBPF or llvm syntax into the slot-indexed program `decode()` would give for its bytes. */
export function assemble(text: string, opts: AssembleOptions = {}): Insn[] {
  const syntax = opts.syntax ?? 'auto';
  const items: Item[] = [];
  const labels = new Map<string, Label>();
  let slot = 0;
  let firstExit: number | undefined;

  text.split(/\r\n|\n|\r/).forEach((raw, i) => {
    if (LISTING_NOISE.some((re) => re.test(raw))) return;
    // Blank out a listing prefix instead of cutting it, so columns stay those of the original line.
    const line = raw.replace(LISTING_PREFIX, (p) => ' '.repeat(p.length));
    const toks = takeLabels(lex(line), i + 1, slot, labels, opts.source);
    if (toks.length === 0) return;
    const cur = new Cursor(toks, i + 1, line.length + 1, opts.source);
    let form: Form;
    if (toks[0]!.kind === 'word' && toks[0]!.text.toLowerCase() === '.insn') form = parseRawInsn(cur);
    else if (syntax === 'llvm' || (syntax === 'auto' && looksLlvm(toks))) form = parseLlvm(cur);
    else form = parseUbpf(cur);
    items.push({ form, line: i + 1, slot });
    if (form.kind === 'exit') firstExit ??= slot;
    slot += slotCount(form);
  });

  const slots: { s: Slot; line: number }[] = [];
  for (const item of items) {
    const form = resolveTargets(item, labels, firstExit, opts.source);
    for (const s of lower(form)) slots.push({ s, line: item.line });
  }
  return pairLdImm64(slots, opts.source);
}

/** Define the labels at the start of a line and return the tokens after them. */
function takeLabels(toks: Token[], line: number, slot: number, labels: Map<string, Label>, source?: string): Token[] {
  let k = 0;
  for (;;) {
    let name: Token | undefined;
    let next = k;
    const t = (j: number): Token | undefined => toks[k + j];
    if (t(0)?.kind === 'word' && t(1)?.text === ':') {
      name = t(0);
      next = k + 2;
    } else {
      // objdump: `<name>:` or `0000000000000010 <name>:`
      const j = t(0)?.kind === 'num' && t(1)?.text === '<' ? 1 : 0;
      if (t(j)?.text === '<' && t(j + 1)?.kind === 'word' && t(j + 2)?.text === '>' && t(j + 3)?.text === ':') {
        name = t(j + 1);
        next = k + j + 4;
      }
    }
    if (!name) return toks.slice(k);
    const prev = labels.get(name.text);
    if (prev) throw new AsmError(`duplicate label '${name.text}' (first defined on line ${prev.line})`, line, name.col, source);
    labels.set(name.text, { slot, line });
    k = next;
  }
}

/** `.insn CODE[, dst=N][, src=N][, off=N][, imm=N]`: one slot, fields given raw. */
function parseRawInsn(cur: Cursor): Form {
  cur.next();
  const f = { code: cur.ranged('opcode', { lo: 0, hi: 0xff }).value, dst: 0, src: 0, off: 0, imm: 0 };
  const seen = new Set<string>();
  while (cur.accept(',')) {
    const key = cur.next('a field (dst, src, off, imm)');
    const k = key.text.toLowerCase();
    if (key.kind !== 'word' || !['dst', 'src', 'off', 'imm'].includes(k)) cur.fail(`unknown field '${key.text}' (expected dst, src, off or imm)`, key);
    if (seen.has(k)) cur.fail(`field '${k}' given twice`, key);
    seen.add(k);
    cur.expect('=');
    if (k === 'dst' || k === 'src') f[k] = cur.ranged(`${k} register`, { lo: 0, hi: 15 }).value;
    else if (k === 'off') f.off = cur.ranged('offset', S16).value;
    else f.imm = cur.imm32();
  }
  cur.end();
  return { kind: 'raw', ...f };
}

function resolveTargets(item: Item, labels: Map<string, Label>, firstExit: number | undefined, source?: string): Form {
  const f = item.form;
  const resolve = (t: Target, range: typeof S16 | typeof S32): Target => {
    if (!('label' in t)) return t;
    const to = labels.get(t.label)?.slot ?? (t.label === 'exit' ? firstExit : undefined);
    if (to === undefined) throw new AsmError(`undefined label '${t.label}'`, item.line, t.col, source);
    const rel = to - (item.slot + 1);
    if (rel < range.lo || rel > range.hi) {
      const bits = range === S16 ? 's16' : 's32';
      throw new AsmError(`jump to '${t.label}' is ${rel} slots away, outside the ${bits} offset range`, item.line, t.col, source);
    }
    return { rel };
  };
  switch (f.kind) {
    case 'ja':
    case 'jcond':
    case 'may_goto':
      return { ...f, target: resolve(f.target, S16) };
    case 'gotol':
    case 'call_local':
      return { ...f, target: resolve(f.target, S32) };
    default:
      return f;
  }
}

/** Give each `ld_imm64` first slot its 64-bit value from the next slot and mark that slot as its tail, as decode() does. */
function pairLdImm64(slots: readonly { s: Slot; line: number }[], source?: string): Insn[] {
  const out: Insn[] = [];
  for (let i = 0; i < slots.length; i++) {
    const { s, line } = slots[i]!;
    const ins: Insn = { code: s.code, dst: s.dst, src: s.src, off: s.off, imm: s.imm };
    out.push(ins);
    if (s.code !== OP_LDDW) continue;
    const tail = slots[i + 1]?.s;
    if (!tail) throw new AsmError('ld_imm64 is missing its second slot', line, 1, source);
    ins.imm64 = (BigInt(tail.imm) << 32n) | BigInt(s.imm >>> 0);
    out.push({ code: tail.code, dst: tail.dst, src: tail.src, off: tail.off, imm: tail.imm, isLdImm64Tail: true });
    i++;
  }
  return out;
}
