// uBPF assembler syntax, as in the bpf_conformance `.data` files and uBPF's assembler/disassembler:
//
//   mov32 %r0, 0          ldxw %r0, [%r1+4]        lock fetch add [%r10-8], %r1     jsge %r1, %r2, L3
//   neg %r1               stdw [%r10-8], 0x11      lock cmpxchg32 [%r10-8], %r1     ja +1 / ja32 L2
//   movsx1632 %r0, %r1    stxb [%r1], %r2          lddw %r0, 0x1122334455667788    call 5 / call local f
//   be16 %r0 / bswap64    ldxsh %r0, [%r10-2]      ldabsw 4 / ldindb %r1, 4        call %r2 / exit
//
// Mnemonics come from the shared op tables: `<alu>`, `<alu>32` (and `<alu>64`), `<jmp>`, `<jmp>32`,
// `ldx<size>`, `ldxs<size>`, `st<size>`, `stx<size>`, `le|be|bswap<16|32|64>` (`swap<N>` is
// bpf_conformance's name for bswap). Extensions both syntaxes share: `call kfunc N` (src 2; also
// bpf_conformance's `call runtime N`), `ld_pseudo %rD, SRC, IMM64` and `.insn`.

import {
  ALU_BINARY,
  ATOMIC_OPS,
  END_OPS,
  END_WIDTHS,
  type Form,
  formatRaw,
  JMP_COND,
  MAX_PSEUDO_LD,
  MAX_REG,
  MOVSX_BITS,
  type Operand,
  S16,
  S32,
  signed,
  SIZES,
  type Target,
} from './forms.js';
import type { Cursor } from './lexer.js';

// ---- parsing ----

function reg(cur: Cursor): number {
  const t = cur.peek();
  const m = t?.kind === 'word' ? /^%r(\d+)$/i.exec(t.text) : null;
  if (!t || !m) {
    if (t?.text.startsWith('%')) cur.fail(`bad register '${t.text}' (expected %r0-%r${MAX_REG})`, t);
    cur.unexpected('a register (%r0-%r10)');
  }
  const n = Number(m[1]);
  if (n > MAX_REG) cur.fail(`bad register '${t.text}' (expected %r0-%r${MAX_REG})`, t);
  cur.next();
  return n;
}

function operand(cur: Cursor): Operand {
  return cur.peek()?.text.startsWith('%') ? { reg: reg(cur) } : { imm: cur.imm32() };
}

/** `[%rN]`, `[%rN+off]`, `[%rN-off]`. */
function memory(cur: Cursor): { base: number; off: number } {
  cur.expect('[');
  const base = reg(cur);
  let off = 0;
  if (cur.peek()?.text === '+' || cur.peek()?.text === '-') off = cur.ranged('offset', S16).value;
  cur.expect(']');
  return { base, off };
}

/** `+N`, `-N`, `N` or a label. */
function target(cur: Cursor, range: typeof S16 | typeof S32): Target {
  const t = cur.peek();
  if (t?.kind === 'word' && !t.text.startsWith('%')) {
    cur.next();
    return { label: t.text, col: t.col };
  }
  return { rel: cur.ranged('jump offset', range).value };
}

type Parse = (cur: Cursor) => Form;

/** Every uBPF mnemonic (except `lock`), generated from the shared tables. */
const MNEMONICS = new Map<string, Parse>();

function def(name: string, parse: Parse): void {
  MNEMONICS.set(name, parse);
}

for (const [suffix, wide] of [['', true], ['64', true], ['32', false]] as const) {
  for (const entry of ALU_BINARY) {
    def(entry.name + suffix, (cur) => {
      const dst = reg(cur);
      cur.expect(',');
      return { kind: 'alu', wide, entry, dst, src: operand(cur) };
    });
  }
  def('neg' + suffix, (cur) => ({ kind: 'neg', wide, dst: reg(cur) }));
  if (suffix === '64') continue;
  for (const entry of JMP_COND) {
    def(entry.name + suffix, (cur) => {
      const dst = reg(cur);
      cur.expect(',');
      const src = operand(cur);
      cur.expect(',');
      return { kind: 'jcond', wide, entry, dst, src, target: target(cur, S16) };
    });
  }
}

for (const bits of MOVSX_BITS) {
  for (const [width, wide] of [['64', true], ['32', false]] as const) {
    if (bits === 32 && !wide) continue;
    def(`movsx${bits}${width}`, (cur) => {
      const dst = reg(cur);
      cur.expect(',');
      return { kind: 'movsx', wide, bits, dst, src: reg(cur) };
    });
  }
}

for (const entry of END_OPS) {
  for (const bits of END_WIDTHS) {
    const parse: Parse = (cur) => ({ kind: 'end', entry, bits, dst: reg(cur) });
    def(entry.name + bits, parse);
    if (entry.name === 'bswap') def('swap' + bits, parse);
  }
}

for (const size of SIZES) {
  for (const signedLoad of size.bits === 64 ? [false] : [false, true]) {
    def(`ldx${signedLoad ? 's' : ''}${size.ubpf}`, (cur) => {
      const dst = reg(cur);
      cur.expect(',');
      const m = memory(cur);
      return { kind: 'ldx', size, signed: signedLoad, dst, src: m.base, off: m.off };
    });
  }
  def(`st${size.ubpf}`, (cur) => {
    const m = memory(cur);
    cur.expect(',');
    return { kind: 'st', size, dst: m.base, off: m.off, imm: cur.imm32() };
  });
  def(`stx${size.ubpf}`, (cur) => {
    const m = memory(cur);
    cur.expect(',');
    return { kind: 'stx', size, dst: m.base, src: reg(cur), off: m.off };
  });
  def(`ldabs${size.ubpf}`, (cur) => ({ kind: 'ldabs', size, imm: cur.imm32() }));
  def(`ldind${size.ubpf}`, (cur) => {
    const src = reg(cur);
    cur.expect(',');
    return { kind: 'ldind', size, src, imm: cur.imm32() };
  });
}

def('lddw', (cur) => {
  const dst = reg(cur);
  cur.expect(',');
  return { kind: 'lddw', dst, pseudo: 0, value: cur.imm64() };
});
def('ld_pseudo', (cur) => {
  const dst = reg(cur);
  cur.expect(',');
  const pseudo = cur.ranged('ld_imm64 pseudo source', { lo: 0, hi: MAX_PSEUDO_LD }).value;
  cur.expect(',');
  return { kind: 'lddw', dst, pseudo, value: cur.imm64() };
});
def('ja', (cur) => ({ kind: 'ja', target: target(cur, S16) }));
def('ja32', (cur) => ({ kind: 'gotol', target: target(cur, S32) }));
// uBPF has no mnemonic of its own for it: llvm's, which reads the same in both syntaxes (as `exit` does)
def('may_goto', (cur) => ({ kind: 'may_goto', target: target(cur, S16) }));
def('exit', () => ({ kind: 'exit' }));
def('call', (cur) => {
  if (cur.accept('local')) return { kind: 'call_local', target: target(cur, S32) };
  if (cur.accept('kfunc') || cur.accept('runtime')) return { kind: 'call_kfunc', imm: cur.imm32('kfunc id') };
  cur.accept('helper');
  if (cur.peek()?.text.startsWith('%')) return { kind: 'callx', dst: reg(cur) };
  return { kind: 'call', helper: cur.imm32('helper id') };
});

/** `lock [fetch] <op>[32] [%rD+off], %rS`. */
function parseLock(cur: Cursor): Form {
  const fetchTok = cur.accept('fetch');
  const t = cur.peek();
  const m = t?.kind === 'word' ? /^([a-z]+?)(32|64)?$/i.exec(t.text) : null;
  const entry = m ? ATOMIC_OPS.find((a) => a.name === m[1]!.toLowerCase()) : undefined;
  if (!t || !m || !entry) cur.unexpected('an atomic operation (add, or, and, xor, xchg, cmpxchg)');
  if (fetchTok && entry.alwaysFetch) cur.fail(`'${entry.name}' always fetches; write 'lock ${entry.name}'`, fetchTok);
  cur.next();
  const mem = memory(cur);
  cur.expect(',');
  const src = reg(cur);
  return { kind: 'atomic', wide: m[2] !== '32', entry, fetch: entry.alwaysFetch || !!fetchTok, dst: mem.base, src, off: mem.off };
}

/** Parse one instruction (labels and `.insn` are the caller's). */
export function parseUbpf(cur: Cursor): Form {
  const t = cur.next('an instruction');
  const name = t.text.toLowerCase();
  const parse = name === 'lock' ? parseLock : t.kind === 'word' ? MNEMONICS.get(name) : undefined;
  if (!parse) cur.fail(`unknown mnemonic '${t.text}'`, t);
  const form = parse(cur);
  cur.end();
  return form;
}

// ---- printing ----

const R = (n: number): string => `%r${n}`;

/**
 * Immediates: decimal while small, hex beyond; 32-bit operations show large values as unsigned 32-bit
 * hex (`mov32 %r1, 0x87654321`), 64-bit ones keep the sign that the operation will extend.
 */
function ubpfImm(v: number, unsigned32: boolean): string {
  if (v > -4096 && v < 4096) return `${v}`;
  if (unsigned32) return `0x${(v >>> 0).toString(16)}`;
  return v < 0 ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}

function mem(base: number, off: number): string {
  return off === 0 ? `[${R(base)}]` : `[${R(base)}${off < 0 ? off : '+' + off}]`;
}

const w32 = (wide: boolean): string => (wide ? '' : '32');

/** Spell a Form in uBPF syntax. `label` names a resolved target, or returns undefined for a number. */
export function printUbpf(f: Form, label: (rel: number) => string | undefined): string {
  const tgt = (t: Target): string => ('label' in t ? t.label : (label(t.rel) ?? signed(t.rel)));
  const opnd = (o: Operand, wide: boolean): string => ('reg' in o ? R(o.reg) : ubpfImm(o.imm, !wide));
  switch (f.kind) {
    case 'alu':
      return `${f.entry.name}${w32(f.wide)} ${R(f.dst)}, ${opnd(f.src, f.wide)}`;
    case 'neg':
      return `neg${w32(f.wide)} ${R(f.dst)}`;
    case 'movsx':
      return `movsx${f.bits}${f.wide ? 64 : 32} ${R(f.dst)}, ${R(f.src)}`;
    case 'end':
      return `${f.entry.name}${f.bits} ${R(f.dst)}`;
    case 'lddw': {
      const v = '0x' + BigInt.asUintN(64, f.value).toString(16);
      return f.pseudo === 0 ? `lddw ${R(f.dst)}, ${v}` : `ld_pseudo ${R(f.dst)}, ${f.pseudo}, ${v}`;
    }
    case 'ldx':
      return `ldx${f.signed ? 's' : ''}${f.size.ubpf} ${R(f.dst)}, ${mem(f.src, f.off)}`;
    case 'st':
      return `st${f.size.ubpf} ${mem(f.dst, f.off)}, ${ubpfImm(f.imm, f.size.bits < 64)}`;
    case 'stx':
      return `stx${f.size.ubpf} ${mem(f.dst, f.off)}, ${R(f.src)}`;
    case 'atomic': {
      const fetch = f.fetch && !f.entry.alwaysFetch ? 'fetch ' : '';
      return `lock ${fetch}${f.entry.name}${w32(f.wide)} ${mem(f.dst, f.off)}, ${R(f.src)}`;
    }
    case 'ldabs':
      return `ldabs${f.size.ubpf} ${ubpfImm(f.imm, false)}`;
    case 'ldind':
      return `ldind${f.size.ubpf} ${R(f.src)}, ${ubpfImm(f.imm, false)}`;
    case 'ja':
      return `ja ${tgt(f.target)}`;
    case 'gotol':
      return `ja32 ${tgt(f.target)}`;
    case 'may_goto':
      return `may_goto ${tgt(f.target)}`;
    case 'jcond':
      return `${f.entry.name}${w32(f.wide)} ${R(f.dst)}, ${opnd(f.src, f.wide)}, ${tgt(f.target)}`;
    case 'call':
      return `call ${f.helper}`;
    case 'call_local':
      return `call local ${tgt(f.target)}`;
    case 'call_kfunc':
      return `call kfunc ${f.imm}`;
    case 'callx':
      return `call ${R(f.dst)}`;
    case 'exit':
      return 'exit';
    case 'raw':
      return formatRaw(f);
  }
}
