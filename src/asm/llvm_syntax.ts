// llvm-objdump / bpftool syntax (LLVM's BPFInstrInfo.td asm strings; kernel/bpf/disasm.c):
//
//   r0 = 0 / w0 = 1 / r1 = r2        r1 = *(u32 *)(r10 - 4)         lock *(u64 *)(r10 - 8) += r1
//   r1 += r2 / w1 s/= 3 / r1 s>>= 2  r1 = *(s8 *)(r2 + 3)           r1 = atomic_fetch_add((u64 *)(r10 - 8), r1)
//   r1 = -r1 / r1 = (s16)r2          *(u32 *)(r10 - 4) = r1         r1 = xchg_64(r10 - 8, r1), w1 = xchg32_32(..)
//   r1 = be16 r1 / r1 = bswap64 r1   *(u8 *)(r1 + 0) = 5            r0 = cmpxchg_64(r10 - 8, r0, r1)
//   r0 = 0x1122334455667788 ll       r0 = *(u8 *)skb[4]             if r1 s> r2 goto +3 / if w1 & 4 goto L1
//   goto -1 / gotol +70000           call 1 / call pc+3 / callx r2  exit
//   may_goto +3
//
// Printing follows `llvm-objdump -d` exactly (decimal immediates, `(r10 - 8)`, `goto +0`), with 32-bit
// atomics in the `--mattr=+alu32` spelling (wN) because default objdump has no text for most of them.
// Where llvm-objdump is ambiguous or silent, the text is bpftool's: a local call is `call pc+3` (objdump
// prints `call 3`, indistinguishable from helper 3). Parsing also takes bpftool's spellings
// (`goto pc+3`, `(r10 -8)`, `atomic64_fetch_add(...)`, `call bpf_map_lookup_elem#1`) and objdump's
// `<LBB0_2>` annotations, which it ignores.

import {
  ALU_BINARY,
  ATOMIC_OPS,
  type AtomicEntry,
  END_OPS,
  END_WIDTHS,
  type Form,
  formatRaw,
  JMP_COND,
  MAX_PSEUDO_LD,
  MAX_REG,
  type Operand,
  S16,
  S32,
  signed,
  SIZES,
  type SizeEntry,
  type Target,
} from './forms.js';
import type { Cursor, Token } from './lexer.js';

// ---- parsing ----

interface LReg {
  readonly n: number;
  /** `r` names the 64-bit register, `w` its low half. */
  readonly wide: boolean;
  readonly tok: Token;
}

function regAt(cur: Cursor, t: Token | undefined): LReg | undefined {
  const m = t?.kind === 'word' ? /^([rw])(\d+)$/i.exec(t.text) : null;
  if (!t || !m) return undefined;
  const n = Number(m[2]);
  if (n > MAX_REG) cur.fail(`bad register '${t.text}' (expected r0-r${MAX_REG} or w0-w${MAX_REG})`, t);
  return { n, wide: m[1]!.toLowerCase() === 'r', tok: t };
}

function reg(cur: Cursor, what = 'a register'): LReg {
  const r = regAt(cur, cur.peek());
  if (!r) cur.unexpected(what);
  cur.next();
  return r;
}

/** A register whose width must match `wide` (ALU and jump operands). */
function regOfWidth(cur: Cursor, wide: boolean): LReg {
  const r = reg(cur, `a ${wide ? 'r' : 'w'} register`);
  if (r.wide !== wide) cur.fail(`'${r.tok.text}' does not match the ${wide ? '64' : '32'}-bit operation; write ${wide ? 'r' : 'w'}${r.n}`, r.tok);
  return r;
}

/** A base register: always rN. */
function baseReg(cur: Cursor): number {
  const r = reg(cur, 'a base register');
  if (!r.wide) cur.fail(`base register must be r${r.n}, not '${r.tok.text}'`, r.tok);
  return r.n;
}

function isRegNext(cur: Cursor): boolean {
  const t = cur.peek();
  return t?.kind === 'word' && /^[rw]\d+$/i.test(t.text);
}

function operand(cur: Cursor, wide: boolean): Operand {
  return isRegNext(cur) ? { reg: regOfWidth(cur, wide).n } : { imm: cur.imm32() };
}

/** `rB + off`, `rB - off`, `rB` (inside the caller's parentheses). */
function addrBody(cur: Cursor): { base: number; off: number } {
  const base = baseReg(cur);
  const t = cur.peek();
  const off = t?.text === '+' || t?.text === '-' ? cur.ranged('offset', S16).value : 0;
  return { base, off };
}

function addr(cur: Cursor): { base: number; off: number } {
  cur.expect('(');
  const a = addrBody(cur);
  cur.expect(')');
  return a;
}

/** `(u32 *)` or `(s8 *)`. */
function cast(cur: Cursor): { size: SizeEntry; signed: boolean; tok: Token } {
  cur.expect('(');
  const t = cur.peek();
  const m = t?.kind === 'word' ? /^([us])(8|16|32|64)$/i.exec(t.text) : null;
  if (!t || !m) cur.unexpected('a type (u8, u16, u32, u64, s8, s16, s32)');
  const size = SIZES.find((s) => s.bits === Number(m[2]))!;
  const isSigned = m[1]!.toLowerCase() === 's';
  if (isSigned && size.bits === 64) cur.fail(`no sign-extending 64-bit access; write u64`, t);
  cur.next();
  cur.expect('*');
  cur.expect(')');
  return { size, signed: isSigned, tok: t };
}

function unsignedCast(cur: Cursor, what: string): { size: SizeEntry; tok: Token } {
  const c = cast(cur);
  if (c.signed) cur.fail(`${what} take an unsigned type, not '${c.tok.text}'`, c.tok);
  return c;
}

function atomicWidth(cur: Cursor, c: { size: SizeEntry; tok: Token }): boolean {
  if (c.size.bits < 32) cur.fail(`atomic operations are 32 or 64 bits, not '${c.tok.text}'`, c.tok);
  return c.size.bits === 64;
}

/** `+N`, `-N`, `N`, `pc+N` (bpftool) or a label; an objdump `<label>` annotation after it is skipped. */
function target(cur: Cursor, range: typeof S16 | typeof S32): Target {
  const t = cur.peek();
  let out: Target;
  if (t?.kind === 'word' && t.text === 'pc' && ['+', '-'].includes(cur.peek(1)?.text ?? '')) {
    cur.next();
    out = { rel: cur.ranged('jump offset', range).value };
  } else if (t?.kind === 'word') {
    cur.next();
    out = { label: t.text, col: t.col };
  } else {
    out = { rel: cur.ranged('jump offset', range).value };
  }
  skipAnnotation(cur);
  return out;
}

function skipAnnotation(cur: Cursor): void {
  if (!cur.accept('<')) return;
  while (!cur.accept('>')) cur.next("'>'");
}

/** `*(u32 *)(rD + off) = rS | imm`. */
function parseStore(cur: Cursor): Form {
  cur.expect('*');
  const { size } = unsignedCast(cur, 'stores');
  const { base, off } = addr(cur);
  cur.expect('=');
  if (isRegNext(cur)) return { kind: 'stx', size, dst: base, src: reg(cur).n, off };
  return { kind: 'st', size, dst: base, off, imm: cur.imm32() };
}

/** `lock *(u64 *)(rD + off) += rS`. */
function parseLock(cur: Cursor): Form {
  cur.expect('*');
  const c = unsignedCast(cur, 'atomic operations');
  const wide = atomicWidth(cur, c);
  const { base, off } = addr(cur);
  const op = cur.operator();
  const entry = ATOMIC_OPS.find((a) => !a.alwaysFetch && a.llvm === op?.text);
  if (!op || !entry) cur.fail(`expected an atomic operator (+=, |=, &=, ^=)${op ? `, found '${op.text}'` : ''}`, op);
  return { kind: 'atomic', wide, entry, fetch: false, dst: base, src: reg(cur).n, off };
}

function parseJcond(cur: Cursor): Form {
  const dst = reg(cur);
  const op = cur.operator();
  const entry = JMP_COND.find((e) => e.llvm === op?.text);
  if (!op || !entry) cur.fail(`expected a comparison (==, !=, >, >=, <, <=, s>, s>=, s<, s<=, &)${op ? `, found '${op.text}'` : ''}`, op);
  const src = operand(cur, dst.wide);
  cur.expect('goto');
  return { kind: 'jcond', wide: dst.wide, entry, dst: dst.n, src, target: target(cur, S16) };
}

function parseCall(cur: Cursor): Form {
  const t = cur.peek();
  const u = cur.peek(1);
  if (t?.kind === 'word') {
    if (t.text === 'pc' && (u?.text === '+' || u?.text === '-')) return { kind: 'call_local', target: target(cur, S32) };
    if (t.text.toLowerCase() === 'kfunc' && u && u.kind !== 'word') {
      cur.next();
      return { kind: 'call_kfunc', imm: cur.imm32('kfunc id') };
    }
    if (u?.text === '#') {
      // bpftool: `call bpf_map_lookup_elem#1`
      cur.next();
      cur.next();
      return { kind: 'call', helper: cur.imm32('helper id') };
    }
    return { kind: 'call_local', target: target(cur, S32) };
  }
  return { kind: 'call', helper: cur.imm32('helper id') };
}

/** The atomic calls: llvm `atomic_fetch_add(..)`, `xchg_64(..)`, `cmpxchg32_32(..)` and bpftool's `atomic64_*`. */
const ATOMIC_CALL = /^(?:atomic(?:64)?_)?(fetch_(?:add|or|and|xor)|xchg|cmpxchg)(32)?(?:_(32|64))?$/i;

function parseAtomicCall(cur: Cursor, lhs: LReg, fn: Token, m: RegExpExecArray): Form {
  const name = m[1]!.toLowerCase().replace('fetch_', '') as AtomicEntry['name'];
  const entry = ATOMIC_OPS.find((a) => a.name === name)!;
  let wide = m[3] ? m[3] === '64' : lhs.wide;
  cur.expect('(');
  let mem: { base: number; off: number };
  if (cur.peek()?.text === '(') {
    wide = atomicWidth(cur, unsignedCast(cur, 'atomic operations'));
    mem = addr(cur);
  } else {
    mem = addrBody(cur);
  }
  if (entry.name === 'cmpxchg') {
    cur.expect(',');
    const r0 = reg(cur, 'r0');
    if (r0.n !== 0) cur.fail(`cmpxchg compares with r0, not '${r0.tok.text}'`, r0.tok);
    if (lhs.n !== 0) cur.fail(`cmpxchg returns into r0, not '${lhs.tok.text}'`, lhs.tok);
  }
  cur.expect(',');
  const val = reg(cur, 'the value register');
  cur.expect(')');
  if (entry.name !== 'cmpxchg' && val.n !== lhs.n) {
    cur.fail(`${fn.text} returns into its value register: write ${lhs.tok.text[0]}${val.n} = ...`, lhs.tok);
  }
  return { kind: 'atomic', wide, entry, fetch: true, dst: mem.base, src: val.n, off: mem.off };
}

/** `rD = ...` and `rD op= ...`. */
function parseAssign(cur: Cursor): Form {
  const dst = reg(cur);
  const op = cur.operator();
  if (!op) cur.unexpected('an assignment operator');
  if (op.text !== '=') {
    const entry = ALU_BINARY.find((e) => e.llvm === op.text && e.name !== 'mov');
    if (!entry) cur.fail(`unknown operator '${op.text}'`, op);
    return { kind: 'alu', wide: dst.wide, entry, dst: dst.n, src: operand(cur, dst.wide) };
  }
  const t = cur.peek();
  if (!t) cur.unexpected('a value');
  if (t.text === '-' && regAt(cur, cur.peek(1))) {
    cur.next();
    const src = regOfWidth(cur, dst.wide);
    if (src.n !== dst.n) cur.fail(`neg works in place: write ${dst.tok.text} = -${dst.tok.text}`, src.tok);
    return { kind: 'neg', wide: dst.wide, dst: dst.n };
  }
  if (t.kind === 'num' || t.text === '-' || t.text === '+') return parseConstant(cur, dst);
  if (t.text === '(') {
    // movsx: `r1 = (s8)r2`
    cur.next();
    const ty = cur.next('a type');
    const m = /^s(8|16|32)$/i.exec(ty.text);
    if (!m || (m[1] === '32' && !dst.wide)) cur.fail(`expected ${dst.wide ? 's8, s16 or s32' : 's8 or s16'}, found '${ty.text}'`, ty);
    cur.expect(')');
    return { kind: 'movsx', wide: dst.wide, bits: Number(m[1]) as 8 | 16 | 32, dst: dst.n, src: regOfWidth(cur, dst.wide).n };
  }
  if (t.text === '*') return parseLoad(cur, dst);
  const r = regAt(cur, t);
  if (r) {
    cur.next();
    if (r.wide !== dst.wide) cur.fail(`'${r.tok.text}' does not match '${dst.tok.text}'`, r.tok);
    return { kind: 'alu', wide: dst.wide, entry: MOV, dst: dst.n, src: { reg: r.n } };
  }
  const endM = /^(le|be|bswap)(16|32|64)$/i.exec(t.text);
  if (endM) {
    cur.next();
    const entry = END_OPS.find((e) => e.name === endM[1]!.toLowerCase())!;
    const src = reg(cur);
    if (src.n !== dst.n) cur.fail(`${t.text} works in place: write ${dst.tok.text} = ${t.text} ${dst.tok.text}`, src.tok);
    return { kind: 'end', entry, bits: END_WIDTHS.find((b) => b === Number(endM[2]))!, dst: dst.n };
  }
  const atomicM = ATOMIC_CALL.exec(t.text);
  if (atomicM) {
    cur.next();
    return parseAtomicCall(cur, dst, t, atomicM);
  }
  cur.unexpected('a value');
}

const MOV = ALU_BINARY.find((e) => e.name === 'mov')!;

/** `rD = imm` or `rD = imm64 ll`. */
function parseConstant(cur: Cursor, dst: LReg): Form {
  const { value, col } = cur.integer('immediate');
  if (cur.accept('ll')) {
    if (!dst.wide) cur.fail(`ld_imm64 loads a 64-bit register: write r${dst.n}`, dst.tok);
    if (value < -(1n << 63n) || value >= 1n << 64n) cur.fail(`64-bit immediate ${value} out of range for 64 bits`, col);
    return { kind: 'lddw', dst: dst.n, pseudo: 0, value: BigInt.asUintN(64, value) };
  }
  if (value < -0x80000000n || value > 0xffffffffn) {
    cur.fail(`immediate ${value} out of range [-2147483648, 4294967295] (a 64-bit constant needs 'll')`, col);
  }
  return { kind: 'alu', wide: dst.wide, entry: MOV, dst: dst.n, src: { imm: Number(BigInt.asIntN(32, value)) } };
}

/** `rD = *(u32 *)(rS + off)`, `rD = *(s8 *)(...)`, `r0 = *(u8 *)skb[imm]`, `r0 = *(u8 *)skb[rS]`. */
function parseLoad(cur: Cursor, dst: LReg): Form {
  cur.expect('*');
  const c = cast(cur);
  if (cur.accept('skb')) {
    if (c.signed) cur.fail(`packet loads take an unsigned type, not '${c.tok.text}'`, c.tok);
    if (dst.n !== 0) cur.fail(`packet loads write r0, not '${dst.tok.text}'`, dst.tok);
    cur.expect('[');
    let form: Form;
    if (isRegNext(cur)) {
      const src = baseReg(cur);
      const t = cur.peek();
      const imm = t?.text === '+' || t?.text === '-' ? cur.imm32() : 0;
      form = { kind: 'ldind', size: c.size, src, imm };
    } else {
      form = { kind: 'ldabs', size: c.size, imm: cur.imm32() };
    }
    cur.expect(']');
    return form;
  }
  const { base, off } = addr(cur);
  return { kind: 'ldx', size: c.size, signed: c.signed, dst: dst.n, src: base, off };
}

/** Parse one instruction (labels and `.insn` are the caller's). */
export function parseLlvm(cur: Cursor): Form {
  const t = cur.peek();
  if (!t) cur.unexpected('an instruction');
  let form: Form;
  if (t.text === '*') {
    form = parseStore(cur);
  } else if (regAt(cur, t)) {
    form = parseAssign(cur);
  } else {
    cur.next();
    switch (t.kind === 'word' ? t.text.toLowerCase() : '') {
      case 'if':
        form = parseJcond(cur);
        break;
      case 'goto':
        form = { kind: 'ja', target: target(cur, S16) };
        break;
      case 'gotol':
        form = { kind: 'gotol', target: target(cur, S32) };
        break;
      case 'may_goto':
        form = { kind: 'may_goto', target: target(cur, S16) };
        break;
      case 'call':
        form = parseCall(cur);
        break;
      case 'callx':
        form = { kind: 'callx', dst: baseReg(cur) };
        break;
      case 'exit':
        form = { kind: 'exit' };
        break;
      case 'lock':
        form = parseLock(cur);
        break;
      case 'ld_pseudo': {
        const dst = baseReg(cur);
        cur.expect(',');
        const pseudo = cur.ranged('ld_imm64 pseudo source', { lo: 0, hi: MAX_PSEUDO_LD }).value;
        cur.expect(',');
        form = { kind: 'lddw', dst, pseudo, value: cur.imm64() };
        break;
      }
      default:
        cur.fail(`unknown instruction '${t.text}'`, t);
    }
  }
  cur.end();
  return form;
}

/** True when a line (its tokens) is in llvm syntax rather than uBPF's; `exit` and `call N` read the same in both. */
export function looksLlvm(toks: readonly Token[]): boolean {
  const [a, b] = toks;
  if (!a) return false;
  if (a.kind === 'punct') return a.text === '*';
  const w = a.text.toLowerCase();
  if (/^[rw]\d+$/.test(w) || ['if', 'goto', 'gotol', 'callx'].includes(w)) return true;
  if (w === 'lock') return b?.text === '*';
  if (w === 'ld_pseudo') return !!b && /^r\d+$/i.test(b.text);
  if (w === 'call') return !!b && b.kind === 'word' && !b.text.startsWith('%') && !['local', 'helper', 'runtime'].includes(b.text);
  return false;
}

// ---- printing ----

function mem(base: number, off: number): string {
  return `r${base} ${off < 0 ? '-' : '+'} ${Math.abs(off)}`;
}

/** Spell a Form as llvm-objdump does. `label` names a resolved target, or returns undefined for a number. */
export function printLlvm(f: Form, label: (rel: number) => string | undefined): string {
  const tgt = (t: Target): string => ('label' in t ? t.label : (label(t.rel) ?? signed(t.rel)));
  const P = (wide: boolean): string => (wide ? 'r' : 'w');
  const opnd = (o: Operand, wide: boolean): string => ('reg' in o ? P(wide) + o.reg : `${o.imm}`);
  switch (f.kind) {
    case 'alu': {
      const d = P(f.wide) + f.dst;
      return `${d} ${f.entry.llvm} ${opnd(f.src, f.wide)}`;
    }
    case 'neg':
      return `${P(f.wide)}${f.dst} = -${P(f.wide)}${f.dst}`;
    case 'movsx':
      return `${P(f.wide)}${f.dst} = (s${f.bits})${P(f.wide)}${f.src}`;
    case 'end':
      return `r${f.dst} = ${f.entry.name}${f.bits} r${f.dst}`;
    case 'lddw': {
      const v = BigInt.asIntN(64, f.value);
      return f.pseudo === 0 ? `r${f.dst} = ${v} ll` : `ld_pseudo r${f.dst}, ${f.pseudo}, ${v}`;
    }
    case 'ldx':
      return `r${f.dst} = *(${f.signed ? 's' : 'u'}${f.size.bits} *)(${mem(f.src, f.off)})`;
    case 'st':
      return `*(u${f.size.bits} *)(${mem(f.dst, f.off)}) = ${f.imm}`;
    case 'stx':
      return `*(u${f.size.bits} *)(${mem(f.dst, f.off)}) = r${f.src}`;
    case 'atomic': {
      const p = P(f.wide);
      const bits = f.wide ? 64 : 32;
      const at = mem(f.dst, f.off);
      if (f.entry.name === 'xchg') return `${p}${f.src} = xchg${f.wide ? '' : '32'}_${bits}(${at}, ${p}${f.src})`;
      if (f.entry.name === 'cmpxchg') return `${p}0 = cmpxchg${f.wide ? '' : '32'}_${bits}(${at}, ${p}0, ${p}${f.src})`;
      if (f.fetch) return `${p}${f.src} = atomic_fetch_${f.entry.name}((u${bits} *)(${at}), ${p}${f.src})`;
      return `lock *(u${bits} *)(${at}) ${f.entry.llvm} ${p}${f.src}`;
    }
    case 'ldabs':
      return `r0 = *(u${f.size.bits} *)skb[${f.imm}]`;
    case 'ldind':
      return `r0 = *(u${f.size.bits} *)skb[r${f.src}${f.imm === 0 ? '' : ` ${f.imm < 0 ? '-' : '+'} ${Math.abs(f.imm)}`}]`;
    case 'ja':
      return `goto ${tgt(f.target)}`;
    case 'gotol':
      return `gotol ${tgt(f.target)}`;
    case 'may_goto':
      return `may_goto ${tgt(f.target)}`;
    case 'jcond':
      return `if ${P(f.wide)}${f.dst} ${f.entry.llvm} ${opnd(f.src, f.wide)} goto ${tgt(f.target)}`;
    case 'call':
      return `call ${f.helper}`;
    case 'call_local': {
      const t = f.target;
      return 'label' in t ? `call ${t.label}` : `call ${label(t.rel) ?? 'pc' + signed(t.rel)}`;
    }
    case 'call_kfunc':
      return `call kfunc ${f.imm}`;
    case 'callx':
      return `callx r${f.dst}`;
    case 'exit':
      return 'exit';
    case 'raw':
      return formatRaw(f);
  }
}
