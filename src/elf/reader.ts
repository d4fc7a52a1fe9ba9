// The ELF64 container: header, section headers, section names, the symbol table and relocation
// entries. Nothing here knows about BPF beyond the machine number; every read is bounds-checked and
// a malformed file raises ElfError naming the table and the byte offset.
//
// ELF64 header (64 bytes, little-endian here):
//
//   0       4      5      6        7            16       18          20         24
//   +-------+------+------+--------+-- pad ----+--------+-----------+----------+-----------+
//   | 7f E L F | class | data | version | ...   | e_type | e_machine | e_version| e_entry…  |
//   +-------+------+------+--------+-----------+--------+-----------+----------+-----------+
//   32 e_phoff (u64)   40 e_shoff (u64)   48 e_flags   52 e_ehsize   54 e_phentsize  56 e_phnum
//   58 e_shentsize  60 e_shnum  62 e_shstrndx          (all u16)
//
// Section header (64 bytes):  name u32 · type u32 · flags u64 · addr u64 · offset u64 · size u64 ·
//                             link u32 · info u32 · addralign u64 · entsize u64
// Symbol (24 bytes):          name u32 · info u8 (bind << 4 | type) · other u8 · shndx u16 ·
//                             value u64 · size u64
// Rel (16 bytes):             offset u64 · info u64 (symbol << 32 | type)

import { ElfError, hex, type ElfErrorCode } from './error.js';

export const EM_BPF = 247;
export const ET_REL = 1;

export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;
export const SHT_LLVM_ADDRSIG = 0x6fff4c03;

export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;

export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;

export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;

export const STV_DEFAULT = 0;
export const STV_INTERNAL = 1;
export const STV_HIDDEN = 2;

export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_XINDEX = 0xffff;

const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
export const SYM_SIZE = 24;
export const REL_SIZE = 16;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  /** File offset of the contents. */
  offset: number;
  /** Size in bytes (for SHT_NOBITS the size in memory; `data` is then empty). */
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
  data: Uint8Array;
}

export interface ElfSymbol {
  index: number;
  name: string;
  /** Raw st_name, 0 for unnamed symbols. */
  nameOffset: number;
  value: number;
  size: number;
  type: number;
  bind: number;
  visibility: number;
  shndx: number;
}

export interface ElfRel {
  /** Entry number inside its relocation section. */
  index: number;
  /** r_offset: byte offset inside the target section. */
  offset: number;
  symbol: number;
  type: number;
}

const utf8 = new TextDecoder('utf-8');

/** A little-endian view that raises ElfError instead of RangeError. */
export class ByteReader {
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    private readonly fail: (offset: number, detail: string) => ElfError,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get length(): number {
    return this.bytes.length;
  }
  need(off: number, n: number, what: string): void {
    if (off < 0 || n < 0 || off + n > this.bytes.length) {
      throw this.fail(off, `${what}: ${n} bytes at ${hex(off)} run past the end (${this.bytes.length} bytes)`);
    }
  }
  u8(off: number, what = 'u8'): number {
    this.need(off, 1, what);
    return this.view.getUint8(off);
  }
  u16(off: number, what = 'u16'): number {
    this.need(off, 2, what);
    return this.view.getUint16(off, true);
  }
  u32(off: number, what = 'u32'): number {
    this.need(off, 4, what);
    return this.view.getUint32(off, true);
  }
  i32(off: number, what = 'i32'): number {
    this.need(off, 4, what);
    return this.view.getInt32(off, true);
  }
  /** A u64 that must fit a JS number exactly (offsets, sizes, symbol values). */
  u64(off: number, what = 'u64'): number {
    this.need(off, 8, what);
    const lo = this.view.getUint32(off, true);
    const hi = this.view.getUint32(off + 4, true);
    if (hi >= 0x200000) throw this.fail(off, `${what} 0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')} is too large`);
    return hi * 0x1_0000_0000 + lo;
  }
}

/** A NUL-terminated string at `off` of a string table. */
export function cstring(table: Uint8Array, off: number): string | undefined {
  if (off < 0 || off >= table.length) return undefined;
  // Names are short and almost always ASCII: build them directly, TextDecoder only for the rest.
  let s = '';
  for (let i = off; i < table.length; i++) {
    const c = table[i]!;
    if (c === 0) return s;
    if (c >= 0x80) {
      const end = table.indexOf(0, i);
      return end < 0 ? undefined : s + utf8.decode(table.subarray(i, end));
    }
    s += String.fromCharCode(c);
  }
  return undefined;
}

export class ElfFile {
  private constructor(
    readonly bytes: Uint8Array,
    readonly path: string | undefined,
    readonly sections: ElfSection[],
    readonly symtab: ElfSection,
    readonly symbols: ElfSymbol[],
  ) {}

  /** An ElfError located in `section` (a section, its name, or a header table) at `offset`. */
  error(code: ElfErrorCode, detail: string, section?: ElfSection | string, offset?: number): ElfError {
    const name = typeof section === 'string' ? section : section?.name;
    return new ElfError(code, detail, { path: this.path, section: name, offset });
  }

  sectionAt(index: number): ElfSection | undefined {
    return index > 0 && index < this.sections.length ? this.sections[index] : undefined;
  }

  sectionByName(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.index > 0 && s.name === name);
  }

  symbolName(sym: ElfSymbol): string {
    // Relocations against static functions and data are against STT_SECTION symbols with no name.
    if (sym.type === STT_SECTION && sym.nameOffset === 0) return this.sectionAt(sym.shndx)?.name ?? '<?>';
    return sym.name;
  }

  /** The entries of an SHT_REL section. */
  relocations(rel: ElfSection): ElfRel[] {
    if (rel.entsize !== REL_SIZE) {
      throw this.error('ELF_BAD_SECTION', `relocation entry size ${rel.entsize}, expected ${REL_SIZE}`, rel);
    }
    if (rel.size % REL_SIZE !== 0) {
      throw this.error('ELF_BAD_SECTION', `size ${rel.size} is not a multiple of ${REL_SIZE}`, rel);
    }
    const r = new ByteReader(rel.data, (o, d) => this.error('ELF_BAD_SECTION', d, rel, o));
    const out: ElfRel[] = [];
    for (let i = 0, off = 0; off < rel.data.length; i++, off += REL_SIZE) {
      out.push({ index: i, offset: r.u64(off, 'r_offset'), type: r.u32(off + 8, 'r_info'), symbol: r.u32(off + 12, 'r_info') });
    }
    return out;
  }

  static parse(input: Uint8Array, path?: string): ElfFile {
    // A plain view: subarrays of a Node Buffer are Buffers, several times slower to create.
    const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    const fail = (table: string) => (o: number, d: string) =>
      new ElfError(table === '<ELF header>' ? 'ELF_BAD_HEADER' : 'ELF_BAD_SECTION', d, { path, section: table, offset: o });
    const file = new ByteReader(bytes, fail('<ELF header>'));
    if (bytes.length < EHDR_SIZE) throw fail('<ELF header>')(0, `file is ${bytes.length} bytes, shorter than the 64-byte ELF64 header`);
    if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
      throw fail('<ELF header>')(0, 'bad magic (not an ELF file)');
    }
    if (bytes[4] !== 2) throw fail('<ELF header>')(4, `class ${bytes[4]} is not ELFCLASS64 (2)`);
    if (bytes[5] !== 1) throw fail('<ELF header>')(5, `data encoding ${bytes[5]} is not little-endian (ELFDATA2LSB, 1)`);
    if (bytes[6] !== 1) throw fail('<ELF header>')(6, `ELF version ${bytes[6]} is not 1`);
    const type = file.u16(16);
    if (type !== ET_REL) throw fail('<ELF header>')(16, `type ${type} is not ET_REL (1): BPF objects are relocatable files`);
    const machine = file.u16(18);
    // libbpf also accepts EM_NONE, which very old LLVM wrote.
    if (machine !== EM_BPF && machine !== 0) throw fail('<ELF header>')(18, `machine ${machine} is not EM_BPF (247)`);
    const shoff = file.u64(40, 'e_shoff');
    const shentsize = file.u16(58);
    let shnum = file.u16(60);
    let shstrndx = file.u16(62);
    if (shoff === 0) throw fail('<ELF header>')(40, 'no section header table');
    if (shentsize !== SHDR_SIZE) throw fail('<ELF header>')(58, `section header size ${shentsize}, expected ${SHDR_SIZE}`);

    const shdrFail = fail('<section headers>');
    const readHeader = (i: number): Omit<ElfSection, 'name' | 'data'> & { nameOffset: number } => {
      const o = shoff + i * SHDR_SIZE;
      if (o + SHDR_SIZE > bytes.length) {
        throw shdrFail(o, `section header ${i} at ${hex(o)} runs past the end of the file (${bytes.length} bytes)`);
      }
      return {
        index: i,
        nameOffset: file.u32(o),
        type: file.u32(o + 4),
        flags: file.u64(o + 8, `section ${i} sh_flags`),
        offset: file.u64(o + 24, `section ${i} sh_offset`),
        size: file.u64(o + 32, `section ${i} sh_size`),
        link: file.u32(o + 40),
        info: file.u32(o + 44),
        addralign: file.u64(o + 48, `section ${i} sh_addralign`),
        entsize: file.u64(o + 56, `section ${i} sh_entsize`),
      };
    };
    // Extended numbering: with 0xff00 sections or more, the real counts live in section header 0.
    if (shnum === 0 || shstrndx === SHN_XINDEX) {
      const zero = readHeader(0);
      if (shnum === 0) shnum = zero.size;
      if (shstrndx === SHN_XINDEX) shstrndx = zero.link;
    }
    if (shnum === 0) throw shdrFail(shoff, 'no sections');
    if (shoff + shnum * SHDR_SIZE > bytes.length) {
      throw shdrFail(shoff, `${shnum} section headers at ${hex(shoff)} run past the end of the file (${bytes.length} bytes)`);
    }
    if (shstrndx === 0 || shstrndx >= shnum) throw fail('<ELF header>')(62, `section name table index ${shstrndx} is not a section (there are ${shnum})`);

    const headers = Array.from({ length: shnum }, (_, i) => readHeader(i));
    const contents = (h: (typeof headers)[number]): Uint8Array => {
      if (h.type === SHT_NOBITS || h.type === SHT_NULL) return bytes.subarray(0, 0);
      if (h.offset + h.size > bytes.length) {
        throw shdrFail(
          shoff + h.index * SHDR_SIZE + 24,
          `section ${h.index} contents (${h.size} bytes at ${hex(h.offset)}) run past the end of the file (${bytes.length} bytes)`,
        );
      }
      return bytes.subarray(h.offset, h.offset + h.size);
    };
    const shstr = headers[shstrndx]!;
    if (shstr.type !== SHT_STRTAB) throw fail('<ELF header>')(62, `section name table ${shstrndx} is not SHT_STRTAB (type ${shstr.type})`);
    const shstrData = contents(shstr);
    const sections: ElfSection[] = headers.map((h) => {
      const name = h.index === 0 ? '' : cstring(shstrData, h.nameOffset);
      if (name === undefined) {
        throw shdrFail(shoff + h.index * SHDR_SIZE, `section ${h.index} name offset ${h.nameOffset} is outside the section name table (${shstrData.length} bytes)`);
      }
      return {
        index: h.index,
        name,
        type: h.type,
        flags: h.flags,
        offset: h.offset,
        size: h.size,
        link: h.link,
        info: h.info,
        addralign: h.addralign,
        entsize: h.entsize,
        data: contents(h),
      };
    });

    const symtabs = sections.filter((s) => s.type === SHT_SYMTAB);
    if (symtabs.length === 0) {
      throw new ElfError('ELF_BAD_SECTION', 'no symbol table (.symtab); was the object stripped?', { path, section: '<section headers>', offset: shoff });
    }
    if (symtabs.length > 1) {
      throw new ElfError('ELF_BAD_SECTION', `${symtabs.length} symbol tables; expected one`, { path, section: '<section headers>', offset: shoff + symtabs[1]!.index * SHDR_SIZE });
    }
    const symtab = symtabs[0]!;
    const symbols = readSymbols(symtab, sections, path);
    return new ElfFile(bytes, path, sections, symtab, symbols);
  }
}

function readSymbols(symtab: ElfSection, sections: ElfSection[], path: string | undefined): ElfSymbol[] {
  const err = (d: string, o?: number) => new ElfError('ELF_BAD_SYMBOL', d, { path, section: symtab.name, offset: o });
  if (symtab.entsize !== SYM_SIZE) throw err(`symbol entry size ${symtab.entsize}, expected ${SYM_SIZE}`);
  if (symtab.size % SYM_SIZE !== 0) throw err(`size ${symtab.size} is not a multiple of ${SYM_SIZE}`);
  const strtab = symtab.link > 0 && symtab.link < sections.length ? sections[symtab.link]! : undefined;
  if (!strtab || strtab.type !== SHT_STRTAB) throw err(`sh_link ${symtab.link} is not a string table`);
  const r = new ByteReader(symtab.data, (o, d) => err(d, o));
  const out: ElfSymbol[] = [];
  for (let i = 0, off = 0; off < symtab.data.length; i++, off += SYM_SIZE) {
    const nameOffset = r.u32(off);
    const info = r.u8(off + 4);
    const name = cstring(strtab.data, nameOffset);
    if (name === undefined) throw err(`symbol ${i} name offset ${nameOffset} is outside ${strtab.name} (${strtab.data.length} bytes)`, off);
    out.push({
      index: i,
      name,
      nameOffset,
      type: info & 0xf,
      bind: info >> 4,
      visibility: r.u8(off + 5) & 0x3,
      shndx: r.u16(off + 6),
      value: r.u64(off + 8, `symbol ${i} st_value`),
      size: r.u64(off + 16, `symbol ${i} st_size`),
    });
  }
  return out;
}
