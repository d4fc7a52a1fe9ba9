// The bpf_conformance `.data` format (see shared/bpf-conformance/README.md):
//
//   # comment lines
//   -- asm        program in uBPF assembler
//   -- raw        or: the program as 64-bit little-endian instruction words, one per line
//   -- mem        input memory, hex bytes separated by spaces/newlines
//   -- result     expected r0 (hex with 0x, else decimal)
//   -- error      or: an expected failure
//   -- c / -- no register offset   informational, ignored

import { WxdpError } from '../errors.js';

export interface ConformanceVector {
  /** File name without `.data`. */
  name: string;
  file: string;
  /** Assembler text and the 1-based line where it starts in the file (for error messages). */
  asm?: { text: string; line: number };
  /** Raw instruction words. */
  raw?: bigint[];
  mem: Uint8Array;
  result?: bigint;
  error?: string;
}

export class ConformanceFormatError extends WxdpError {
  constructor(file: string, line: number, message: string) {
    super('CONFORMANCE_FORMAT', `${file}:${line}: ${message}`);
  }
}

const KNOWN = new Set(['asm', 'raw', 'mem', 'result', 'error', 'c', 'no register offset']);

export function parseConformance(text: string, file = '<input>'): ConformanceVector {
  const name = (file.split('/').pop() ?? file).replace(/\.data$/, '');
  const sections = new Map<string, { lines: string[]; line: number }>();
  let current: { lines: string[]; line: number } | undefined;
  text.split(/\r?\n/).forEach((raw, idx) => {
    const m = /^--\s*(.*?)\s*$/.exec(raw);
    if (m) {
      const key = m[1]!;
      if (!KNOWN.has(key)) throw new ConformanceFormatError(file, idx + 1, `unknown section '-- ${key}'`);
      if (sections.has(key)) throw new ConformanceFormatError(file, idx + 1, `section '-- ${key}' appears twice`);
      current = { lines: [], line: idx + 2 };
      sections.set(key, current);
      return;
    }
    if (current) current.lines.push(raw);
  });

  const vec: ConformanceVector = { name, file, mem: new Uint8Array(0) };
  const asm = sections.get('asm');
  if (asm) vec.asm = { text: asm.lines.join('\n'), line: asm.line };
  const raw = sections.get('raw');
  if (raw) {
    vec.raw = [];
    raw.lines.forEach((l, k) => {
      const t = stripComment(l);
      if (!t) return;
      if (!/^0x[0-9a-f]{1,16}$/i.test(t)) throw new ConformanceFormatError(file, raw.line + k, `bad raw instruction word '${t}'`);
      vec.raw!.push(BigInt(t));
    });
  }
  const mem = sections.get('mem');
  if (mem) {
    const bytes: number[] = [];
    mem.lines.forEach((l, k) => {
      for (const tok of stripComment(l).split(/\s+/).filter(Boolean)) {
        if (!/^[0-9a-f]{2}$/i.test(tok)) throw new ConformanceFormatError(file, mem.line + k, `bad memory byte '${tok}'`);
        bytes.push(parseInt(tok, 16));
      }
    });
    vec.mem = Uint8Array.from(bytes);
  }
  const result = sections.get('result');
  if (result) {
    const t = result.lines.map(stripComment).filter(Boolean);
    if (t.length !== 1) throw new ConformanceFormatError(file, result.line, 'result section must hold one value');
    vec.result = parseResult(t[0]!, file, result.line);
  }
  const error = sections.get('error');
  if (error) vec.error = error.lines.map(stripComment).filter(Boolean).join('\n');
  if (!vec.asm && !vec.raw) throw new ConformanceFormatError(file, 1, "no '-- asm' or '-- raw' section");
  if (vec.result === undefined && vec.error === undefined) {
    throw new ConformanceFormatError(file, 1, "no '-- result' or '-- error' section");
  }
  return vec;
}

function stripComment(l: string): string {
  const i = l.indexOf('#');
  return (i >= 0 ? l.slice(0, i) : l).trim();
}

function parseResult(t: string, file: string, line: number): bigint {
  const neg = t.startsWith('-');
  const body = neg ? t.slice(1) : t;
  if (!/^(0x[0-9a-f]+|[0-9]+)$/i.test(body)) throw new ConformanceFormatError(file, line, `bad result '${t}'`);
  const v = BigInt(body);
  return BigInt.asUintN(64, neg ? -v : v);
}

/** Raw instruction words → wire bytes (each word little-endian). */
export function rawToBytes(words: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(words.length * 8);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setBigUint64(i * 8, BigInt.asUintN(64, w), true));
  return out;
}
