// The `-- asm` section of every bpf_conformance vector assembles, and means what bpf_conformance's own
// assembler (the one these files were written for) makes of it.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assemble, disassemble } from '../../src/asm/index.js';
import { decode, encode, type Insn } from '../../src/isa/insn.js';

const DIR = fileURLToPath(new URL('../../../shared/bpf-conformance/tests/', import.meta.url));
const PRESENT = existsSync(DIR);
const FILES = PRESENT ? readdirSync(DIR).filter((f) => f.endsWith('.data')).sort() : [];

/** Sections of a `.data` file: lines after `-- name` up to the next `-- ` line. */
function sections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let name: string | undefined;
  let body: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('-- ')) {
      if (name) out.set(name, body.join('\n'));
      name = line.slice(3).trim();
      body = [];
    } else {
      body.push(line);
    }
  }
  if (name) out.set(name, body.join('\n'));
  return out;
}

function asmOf(file: string): string {
  const asm = sections(readFileSync(DIR + file, 'utf8')).get('asm');
  if (asm === undefined) throw new Error(`${file} has no -- asm section`);
  return asm;
}

/** `-- raw`: one 64-bit little-endian instruction word per line, as hex. */
function rawBytes(raw: string): Uint8Array {
  const words = raw.split('\n').map((l) => l.trim()).filter(Boolean);
  const out = new Uint8Array(words.length * 8);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setBigUint64(i * 8, BigInt(w), true));
  return out;
}

const fields = (p: readonly Insn[]): number[][] => p.map((i) => [i.code, i.dst, i.src, i.off, i.imm]);

describe.skipIf(!PRESENT)(`bpf_conformance vectors (skipped: ${DIR} is absent)`, () => {
  it('finds all 313 vectors', () => {
    expect(FILES.length).toBe(313);
  });

  it.each(FILES)('%s assembles and round-trips through both syntaxes', (file) => {
    const prog = assemble(asmOf(file), { source: file });
    expect(prog.length).toBeGreaterThan(0);
    expect(decode(encode(prog))).toEqual(prog);
    for (const syntax of ['ubpf', 'llvm'] as const) {
      expect(assemble(disassemble(prog, { syntax, labels: true }), { syntax })).toEqual(prog);
    }
  });

  it('lddw.data: the asm section equals the raw section', () => {
    const sec = sections(readFileSync(DIR + 'lddw.data', 'utf8'));
    expect(assemble(sec.get('asm')!, { syntax: 'ubpf' })).toEqual(decode(rawBytes(sec.get('raw')!)));
  });

  // What bpf_conformance's assembler (src/bpf_assembler.cc) does with these lines, checked by hand.
  it('prime.data: `exit` as a jump target is the first exit instruction', () => {
    const p = assemble(asmOf('prime.data'));
    const exitSlot = p.findIndex((i) => i.code === 0x95);
    expect(exitSlot).toBe(15);
    expect(p[4]).toEqual({ code: 0x05, dst: 0, src: 0, off: exitSlot - 5, imm: 0 }); // ja exit
    expect(p[7]).toMatchObject({ code: 0x3d, dst: 2, src: 1, off: exitSlot - 8 }); // jge %r2, %r1, exit
    expect(p[3]).toMatchObject({ code: 0x25, dst: 1, off: 8 - 4, imm: 2 }); // jgt %r1, 0x2, L3
  });

  it('callx.data: `call %r2` is JMP|CALL|X with the register in dst', () => {
    expect(assemble(asmOf('callx.data'))[2]).toEqual({ code: 0x8d, dst: 2, src: 0, off: 0, imm: 0 });
  });

  it('call_local.data: `call local func1` is src=1 with imm = target - (pc + 1)', () => {
    const p = assemble(asmOf('call_local.data'));
    expect(p[10]).toEqual({ code: 0x85, dst: 0, src: 1, off: 0, imm: 20 - 11 });
  });

  it('ja32.data: ja32 is JMP32|JA with the offset in imm', () => {
    expect(fields(assemble(asmOf('ja32.data')))).toEqual([
      [0xb7, 1, 0, 0, 0],
      [0x06, 0, 0, 0, 2],
      [0xb7, 2, 0, 0, 0],
      [0x95, 0, 0, 0, 0],
      [0xb7, 0, 0, 0, 0],
      [0x06, 0, 0, 0, -4],
    ]);
  });

  it('swap16.data and bswap16.data: `swap16` and `bswap16` are both ALU64|END|K, imm 16', () => {
    for (const f of ['swap16.data', 'bswap16.data']) expect(assemble(asmOf(f))[2]).toMatchObject({ code: 0xd7, dst: 0, imm: 16 });
  });

  it('movsx1632-reg.data and movsx3264-reg.data: the width suffix picks the class, the first number the offset', () => {
    expect(assemble(asmOf('movsx1632-reg.data')).find((i) => (i.code & 0xf0) === 0xb0 && i.off)).toMatchObject({ code: 0xbc, off: 16 });
    expect(assemble(asmOf('movsx3264-reg.data')).find((i) => (i.code & 0xf0) === 0xb0 && i.off)).toMatchObject({ code: 0xbf, off: 32 });
  });

  it('lock_cmpxchg32.data: `mov32 %r1, 0x87654321` stores the unsigned spelling as s32; `lock cmpxchg32` is 0xc3 imm 0xf1', () => {
    const p = assemble(asmOf('lock_cmpxchg32.data'));
    expect(p[3]).toMatchObject({ code: 0xb4, dst: 1, imm: 0x87654321 | 0 });
    expect(p[5]).toMatchObject({ code: 0xc3, dst: 10, src: 1, off: -8, imm: 0xf1 });
  });

  it('lock_fetch_add32.data: `lock fetch add32` is 0xc3 imm 0x01', () => {
    expect(assemble(asmOf('lock_fetch_add32.data'))[4]).toMatchObject({ code: 0xc3, dst: 10, src: 1, off: -8, imm: 0x01 });
  });
});
