// Malformed objects: each one, made by patching a real fixture, gives an ElfError with a stable code,
// the section and the byte offset of the problem, never a TypeError or RangeError.

import { describe, expect, it } from 'vitest';
import { ElfError, parseObject, type ElfErrorCode } from '../../src/elf/index.js';
import { Btf, type BtfType } from '../../src/elf/btf.js';
import { ElfFile } from '../../src/elf/reader.js';
import { fixtureBytes } from './oracle.js';

function parseError(bytes: Uint8Array): ElfError {
  try {
    parseObject(bytes, { path: 'patched.o' });
  } catch (e) {
    if (e instanceof ElfError) return e;
    throw e;
  }
  throw new Error('parseObject accepted the patched object');
}

function expectError(bytes: Uint8Array, code: ElfErrorCode, section: string | undefined, offset: number | undefined, message: RegExp): void {
  const e = parseError(bytes);
  expect({ code: e.code, section: e.section, offset: e.offset }).toEqual({ code, section, offset });
  expect(e.message).toMatch(message);
  expect(e.message.startsWith('patched.o: ')).toBe(true);
  if (section !== undefined) expect(e.message).toContain(section.startsWith('<') ? section : `section '${section}'`);
  if (offset !== undefined) expect(e.message).toContain(`at byte 0x${offset.toString(16)} (${offset})`);
}

/** A fixture, its ELF layout, and a way to patch a copy. */
function fixture(name: string) {
  const bytes = fixtureBytes(`${name}.o`);
  const elf = ElfFile.parse(bytes);
  const sec = (n: string) => elf.sectionByName(n)!;
  const shdr = (n: string) => shoff + sec(n).index * 64;
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const shoff = Number(view.getBigUint64(40, true));
  const patch = (edit: (v: DataView, b: Uint8Array) => void): Uint8Array => {
    const copy = Uint8Array.from(bytes);
    edit(new DataView(copy.buffer), copy);
    return copy;
  };
  const symOff = (n: string) => sec('.symtab').offset + elf.symbols.find((s) => s.name === n)!.index * 24;
  // File offset of each BTF type record, walking the records like the parser.
  const btfSec = sec('.BTF');
  const btf = Btf.parse(btfSec.data);
  const btfStart = btfSec.offset + view.getUint32(btfSec.offset + 4, true) + view.getUint32(btfSec.offset + 8, true);
  const recordSize = (t: BtfType): number => {
    switch (t.kind) {
      case 'int': case 'var': case 'decl_tag': return 16;
      case 'array': return 24;
      case 'struct': case 'union': return 12 + 12 * t.members.length;
      case 'enum': return 12 + 8 * t.values.length;
      case 'enum64': return 12 + 12 * t.values.length;
      case 'func_proto': return 12 + 8 * t.params.length;
      case 'datasec': return 12 + 12 * t.vars.length;
      default: return 12;
    }
  };
  const btfRecord = (id: number): number => btfStart + btf.types.slice(1, id).reduce((n, t) => n + recordSize(t), 0);
  return { bytes, elf, sec, shdr, shoff, patch, symOff, btf, btfSec, btfRecord };
}

describe('ELF header', () => {
  const f = fixture('global_data');
  it('rejects a truncated file', () => {
    expectError(f.bytes.slice(0, 40), 'ELF_BAD_HEADER', '<ELF header>', 0, /file is 40 bytes, shorter than the 64-byte ELF64 header/);
    expectError(new Uint8Array(0), 'ELF_BAD_HEADER', '<ELF header>', 0, /file is 0 bytes/);
  });
  it('rejects bad magic, class, byte order, type and machine', () => {
    expectError(f.patch((v) => v.setUint8(1, 0x46)), 'ELF_BAD_HEADER', '<ELF header>', 0, /bad magic/);
    expectError(f.patch((v) => v.setUint8(4, 1)), 'ELF_BAD_HEADER', '<ELF header>', 4, /class 1 is not ELFCLASS64/);
    expectError(f.patch((v) => v.setUint8(5, 2)), 'ELF_BAD_HEADER', '<ELF header>', 5, /not little-endian/);
    expectError(f.patch((v) => v.setUint16(16, 2, true)), 'ELF_BAD_HEADER', '<ELF header>', 16, /type 2 is not ET_REL/);
    expectError(f.patch((v) => v.setUint16(18, 62, true)), 'ELF_BAD_HEADER', '<ELF header>', 18, /machine 62 is not EM_BPF \(247\)/);
  });
  it('accepts EM_NONE, which old LLVM wrote and libbpf accepts', () => {
    expect(parseObject(f.patch((v) => v.setUint16(18, 0, true))).programs).toHaveLength(1);
  });
});

describe('section headers and contents', () => {
  const f = fixture('global_data');
  it('rejects a section header table past the end of the file', () => {
    expectError(f.patch((v) => v.setBigUint64(40, BigInt(f.bytes.length - 64), true)), 'ELF_BAD_SECTION', '<section headers>', f.bytes.length - 64, /section headers at .* run past the end of the file/);
  });
  it('rejects section contents past the end of the file', () => {
    const at = f.shdr('xdp') + 32;
    expectError(f.patch((v) => v.setBigUint64(at, 0x100000n, true)), 'ELF_BAD_SECTION', '<section headers>', f.shdr('xdp') + 24, /section 3 contents \(1048576 bytes at 0x40\) run past the end of the file/);
  });
  it('rejects a bad section name table index and a name outside it', () => {
    expectError(f.patch((v) => v.setUint16(62, 200, true)), 'ELF_BAD_HEADER', '<ELF header>', 62, /section name table index 200 is not a section/);
    expectError(f.patch((v) => v.setUint32(f.shdr('xdp'), 0xffff, true)), 'ELF_BAD_SECTION', '<section headers>', f.shdr('xdp'), /section 3 name offset 65535 is outside the section name table/);
  });
  it('rejects an object without a symbol table', () => {
    expectError(f.patch((v) => v.setUint32(f.shdr('.symtab') + 4, 1, true)), 'ELF_BAD_SECTION', '<section headers>', f.shoff, /no symbol table \(\.symtab\); was the object stripped\?/);
  });
  it('rejects a version section that is not 4 bytes', () => {
    expectError(f.patch((v) => v.setBigUint64(f.shdr('version') + 32, 3n, true)), 'ELF_BAD_SECTION', 'version', 0, /invalid kernel version section: 3 bytes, expected 4/);
  });
});

describe('symbols and programs', () => {
  const f = fixture('global_data');
  it('rejects a symbol name outside the string table', () => {
    const at = f.symOff('hits');
    expectError(f.patch((v) => v.setUint32(at, 0x7fffffff, true)), 'ELF_BAD_SYMBOL', '.symtab', at - f.sec('.symtab').offset, /symbol \d+ name offset 2147483647 is outside \.strtab/);
  });
  it('rejects a program that crosses its section boundary or is not whole instructions', () => {
    const at = f.symOff('xdp_globals') + 16;
    expectError(f.patch((v) => v.setBigUint64(at, 0x1000n, true)), 'ELF_BAD_PROGRAM', 'xdp', 0, /program 'xdp_globals': code at 0 \(4096 bytes\) crosses the section boundary/);
    expectError(f.patch((v) => v.setBigUint64(at, 12n, true)), 'ELF_BAD_PROGRAM', 'xdp', 0, /corrupted: offset 0, size 12/);
  });
  it('rejects a program that ends inside an ld_imm64', () => {
    // xdp_globals: insn 7 is `r2 = 0 ll` (objdump), so 8 slots cut it in half.
    const at = f.symOff('xdp_globals') + 16;
    expectError(f.patch((v) => v.setBigUint64(at, 64n, true)), 'ELF_BAD_PROGRAM', 'xdp', 56, /insn 7 \(byte offset 56\): ld_imm64 is missing its second slot/);
  });
});

describe('relocations', () => {
  const f = fixture('global_data');
  const rel = (i: number) => f.sec('.relxdp').offset + i * 16;
  it('rejects a relocation against a missing symbol', () => {
    expectError(f.patch((v) => v.setUint32(rel(1) + 12, 999, true)), 'ELF_BAD_RELOCATION', '.relxdp', 16, /relocation #1 \(offset 88 in 'xdp'\): symbol 999 not found \(\.symtab has \d+\)/);
  });
  it('rejects an offset outside the section or not on an instruction', () => {
    expectError(f.patch((v) => v.setBigUint64(rel(0), 0x10000n, true)), 'ELF_BAD_RELOCATION', '.relxdp', 0, /invalid offset 65536 \(section is 456 bytes\)/);
    expectError(f.patch((v) => v.setBigUint64(rel(0), 0x3cn, true)), 'ELF_BAD_RELOCATION', '.relxdp', 0, /invalid offset 60/);
  });
  it('rejects a relocation on an instruction that is neither ld_imm64 nor call', () => {
    // insn 9 is `r1 = *(u32 *)(r1 + 0)`; insn 8 is the second slot of an ld_imm64.
    expectError(f.patch((v) => v.setBigUint64(rel(0), 72n, true)), 'ELF_BAD_RELOCATION', '.relxdp', 0, /against 'ro_limit' for insn 9 \(code 0x61\), which is neither ld_imm64 nor call/);
    expectError(f.patch((v) => v.setBigUint64(rel(0), 64n, true)), 'ELF_BAD_RELOCATION', '.relxdp', 0, /insn 8 \(code 0x0\)/);
  });
  it('rejects unknown relocation types', () => {
    expectError(f.patch((v) => v.setUint32(rel(2) + 8, 7, true)), 'ELF_BAD_RELOCATION', '.relxdp', 32, /unsupported relocation type 7/);
  });
  it('rejects a data reference outside its section', () => {
    // relocation #4 is `r2 = 12 ll` against .data (16 bytes); make the addend 16.
    const insn = f.sec('xdp').offset + 24 * 8 + 4;
    expectError(f.patch((v) => v.setInt32(insn, 16, true)), 'ELF_BAD_RELOCATION', '.relxdp', 64, /offset 0\+16 is outside '\.data' \(16 bytes\)/);
  });
  it('rejects a call into the middle of a function', () => {
    // calls.o: xdp insn 2 is `call 5` against .text (classify at slot 6); 6 makes it slot 7.
    const c = fixture('calls');
    const at = c.sec('xdp').offset + 2 * 8 + 4;
    expectError(c.patch((v) => v.setInt32(at, 6, true)), 'ELF_BAD_RELOCATION', 'xdp', 16, /program 'xdp_first' insn 2: target slot 7 of '\.text' is inside 'classify', not at the start of a function/);
  });
  it('reports kernel symbols (ksym variables, kfuncs) as unsupported', () => {
    expectError(fixtureBytes('ksym.o'), 'ELF_UNSUPPORTED', '.relxdp', 0, /extern 'bpf_prog_active' \(\.ksyms\) needs the running kernel's BTF/);
  });
});

describe('maps', () => {
  it('rejects an unknown map type', () => {
    // btf_maps.o: [3] ARRAY nelems=2 encodes `__uint(type, BPF_MAP_TYPE_ARRAY)` (bpftool btf dump).
    const f = fixture('btf_maps');
    const at = f.btfRecord(3) + 12 + 8;
    expectError(f.patch((v) => v.setUint32(at, 99, true)), 'ELF_BAD_MAP', '.maps', 0, /map 'counters': unknown map type 99/);
  });
  it('rejects a definition without a type', () => {
    // [16] STRUCT (counters' definition): name its first member 'max_entries' instead of 'type'.
    const f = fixture('btf_maps');
    const s = f.btf.type(16);
    const maxEntriesName = f.btfRecord(16) + 12 + 12;
    const nameOff = new DataView(f.bytes.buffer).getUint32(maxEntriesName, true);
    expect(s).toMatchObject({ kind: 'struct', members: [{ name: 'type' }, { name: 'max_entries' }, {}, {}] });
    expectError(f.patch((v) => v.setUint32(f.btfRecord(16) + 12, nameOff, true)), 'ELF_BAD_MAP', '.maps', 0, /map 'counters': map type isn't specified/);
  });
  it('rejects unknown definition members, as libbpf (strict) does', () => {
    const f = fixture('btf_maps');
    const data = f.btfSec.data;
    const str = Buffer.from(data).indexOf('max_entries\0');
    expectError(f.patch((_, b) => b.set(Buffer.from('max_entriez'), f.btfSec.offset + str)), 'ELF_BAD_MAP', '.maps', 0, /map 'counters': unknown field 'max_entriez'/);
  });
  it('rejects a legacy definition of an unknown type', () => {
    const f = fixture('legacy_maps');
    expectError(f.patch((v) => v.setUint32(f.sec('maps').offset + 20, 77, true)), 'ELF_BAD_MAP', 'maps', 20, /map 'legacy_hash': unknown map type 77/);
  });
});

describe('BTF', () => {
  const f = fixture('btf_maps');
  it('rejects a type id out of range, naming the byte in .BTF', () => {
    // [1] PTR → [3]; point it at 9999.
    const at = f.btfRecord(1) + 8;
    expectError(f.patch((v) => v.setUint32(at, 9999, true)), 'BTF_INVALID', '.BTF', at - f.btfSec.offset, /type \[1\] refers to type id 9999/);
  });
  it('rejects a truncated type section and a bad kind', () => {
    const len = f.btfSec.offset + 12;
    expectError(f.patch((v) => v.setUint32(len, 0x7fffffff, true)), 'BTF_INVALID', '.BTF', 8, /type section \(2147483647 bytes at 0\) runs past the end/);
    const info = f.btfRecord(2) + 4;
    expectError(f.patch((v) => v.setUint32(info, 30 << 24, true)), 'BTF_INVALID', '.BTF', info - 4 - f.btfSec.offset, /type \[2\] has unknown kind 30/);
  });
  it('rejects .BTF.ext records for sections that do not exist in the string table', () => {
    const ext = f.sec('.BTF.ext');
    const v0 = new DataView(f.bytes.buffer);
    const first = ext.offset + v0.getUint32(ext.offset + 4, true) + v0.getUint32(ext.offset + 8, true) + 4;
    expectError(f.patch((v) => v.setUint32(first, 0xffffff, true)), 'BTF_INVALID', '.BTF.ext', first - ext.offset, /func_info: section name offset 16777215 is not a string of \.BTF/);
  });
});
