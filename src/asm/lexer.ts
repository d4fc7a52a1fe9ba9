// Tokens of one assembler line, each with its 1-based column, and a cursor the syntax parsers read
// them through. Every error the assembler raises comes from `Cursor.fail`, so each one names the line
// and the column of the token it is about.

import { AsmError } from '../errors.js';

export interface Token {
  readonly kind: 'word' | 'num' | 'punct';
  readonly text: string;
  /** 1-based column of the first character. */
  readonly col: number;
}

/** Multi-character operators, longest first (`s>>=` is the word `s` followed by `>>=`). */
const OPERATORS = ['<<=', '>>=', '==', '!=', '>=', '<=', '+=', '-=', '*=', '/=', '%=', '|=', '&=', '^=', '<<', '>>'];

const WORD_START = /[A-Za-z_.$]/;
const WORD_CHAR = /[A-Za-z0-9_.$]/;
const DIGIT = /[0-9]/;

/**
 * Split a line into tokens. `;` starts a comment; so does `#`, except between a name and a number
 * (bpftool's `call bpf_map_lookup_elem#1`). `%r1` is one word (uBPF registers).
 */
export function lex(line: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const ch = line[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === ';') break;
    if (ch === '#' && !(i > 0 && WORD_CHAR.test(line[i - 1]!) && DIGIT.test(line[i + 1] ?? ''))) break;
    const start = i;
    if (WORD_START.test(ch) || (ch === '%' && /[A-Za-z]/.test(line[i + 1] ?? ''))) {
      i++;
      while (i < line.length && WORD_CHAR.test(line[i]!)) i++;
      out.push({ kind: 'word', text: line.slice(start, i), col: start + 1 });
      continue;
    }
    if (DIGIT.test(ch)) {
      while (i < line.length && WORD_CHAR.test(line[i]!)) i++;
      out.push({ kind: 'num', text: line.slice(start, i), col: start + 1 });
      continue;
    }
    const op = OPERATORS.find((o) => line.startsWith(o, i)) ?? ch;
    i += op.length;
    out.push({ kind: 'punct', text: op, col: start + 1 });
  }
  return out;
}

/** Parse a number token: decimal or 0x-hex. */
function numberValue(text: string): bigint | undefined {
  if (/^0x[0-9a-f]+$/i.test(text) || /^[0-9]+$/.test(text)) return BigInt(text);
  return undefined;
}

export interface Range {
  readonly lo: number | bigint;
  readonly hi: number | bigint;
}

/** Reads the tokens of one line; every failure is an AsmError at the offending token. */
export class Cursor {
  private pos = 0;

  constructor(
    private readonly toks: readonly Token[],
    readonly line: number,
    private readonly endCol: number,
    private readonly source: string | undefined,
  ) {}

  peek(k = 0): Token | undefined {
    return this.toks[this.pos + k];
  }

  atEnd(): boolean {
    return this.pos >= this.toks.length;
  }

  /** Column of the next token, or one past the end of the line. */
  col(): number {
    return this.peek()?.col ?? this.endCol;
  }

  fail(message: string, at?: Token | number): never {
    const col = typeof at === 'number' ? at : (at?.col ?? this.col());
    throw new AsmError(message, this.line, col, this.source);
  }

  next(what = 'more operands'): Token {
    const t = this.peek();
    if (!t) this.fail(`expected ${what}, found end of line`);
    this.pos++;
    return t;
  }

  /** Consume the next token when its text is `text` (words compare case-insensitively). */
  accept(text: string): Token | undefined {
    const t = this.peek();
    if (t && (t.kind === 'word' ? t.text.toLowerCase() === text : t.text === text)) {
      this.pos++;
      return t;
    }
    return undefined;
  }

  expect(text: string): Token {
    const t = this.accept(text);
    if (!t) this.unexpected(`'${text}'`);
    return t;
  }

  /** Fail at the next token: "expected X, found Y". */
  unexpected(what: string): never {
    const t = this.peek();
    this.fail(t ? `expected ${what}, found '${t.text}'` : `expected ${what}, found end of line`, t);
  }

  /** The line must end here. */
  end(): void {
    const t = this.peek();
    if (t) this.fail(`unexpected '${t.text}' after the instruction`, t);
  }

  /** An optionally signed integer literal. */
  integer(what: string): { value: bigint; col: number } {
    const col = this.col();
    let negative = false;
    if (this.accept('-')) negative = true;
    else this.accept('+');
    const t = this.peek();
    if (!t || t.kind !== 'num') this.unexpected(what);
    const v = numberValue(t.text);
    if (v === undefined) this.fail(`bad number '${t.text}'`, t);
    this.pos++;
    return { value: negative ? -v : v, col };
  }

  /** An integer in `range`, else "X out of range" at its first character. */
  ranged(what: string, range: Range): { value: number; col: number } {
    const { value, col } = this.integer(what);
    if (value < BigInt(range.lo) || value > BigInt(range.hi)) {
      this.fail(`${what} ${value} out of range [${range.lo}, ${range.hi}]`, col);
    }
    return { value: Number(value), col };
  }

  /**
   * A 32-bit immediate. Written values may be signed or unsigned 32-bit (`0xffffffff` is -1): the
   * field holds 32 bits and both spellings are in use (uBPF tests, llvm-mc).
   */
  imm32(what = 'immediate'): number {
    return Number(BigInt.asIntN(32, BigInt(this.ranged(what, { lo: -0x80000000, hi: 0xffffffff }).value)));
  }

  /** A 64-bit constant, signed or unsigned. */
  imm64(what = '64-bit immediate'): bigint {
    const { value, col } = this.integer(what);
    if (value < -(1n << 63n) || value >= 1n << 64n) this.fail(`${what} ${value} out of range for 64 bits`, col);
    return BigInt.asUintN(64, value);
  }

  /** A comparison or assignment operator, with llvm's `s` prefix joined on when it touches the operator. */
  operator(): Token | undefined {
    const t = this.peek();
    if (!t) return undefined;
    const u = this.peek(1);
    if (t.kind === 'word' && t.text === 's' && u?.kind === 'punct' && u.col === t.col + 1) {
      this.pos += 2;
      return { kind: 'punct', text: 's' + u.text, col: t.col };
    }
    if (t.kind !== 'punct') return undefined;
    this.pos++;
    return t;
  }
}
