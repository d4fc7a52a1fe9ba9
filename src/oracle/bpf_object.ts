// A minimal eBPF ELF object writer: just enough for libbpf (1.1, as in `bpftool prog load`) to load
// arbitrary instruction streams into the kernel without clang. The layout mirrors what clang emits
// for `SEC("xdp") int f(...)`, minus debug info and, unless needed, BTF (libbpf loads objects without
// `.BTF`).
//
//   +--------------------+  0
//   | ELF64 header       |  ET_REL, EM_BPF (247), little endian, no program headers
//   +--------------------+  64
//   | section contents   |  each aligned to its sh_addralign
//   +--------------------+
//   | section headers    |  64 bytes each, aligned to 8
//   +--------------------+
//
// Sections, in order:
//   [0]  null
//   [1]  .strtab       section and symbol names both (clang does the same; e_shstrndx = 1)
//   [2…] <section>     one per distinct program section name (SHF_ALLOC|SHF_EXECINSTR, align 8)
//   [ ]  .text         only when some program has bpf-to-bpf subprograms (see below)
//   [ ]  .rel<section> R_BPF_64_32 / R_BPF_64_64 against the `.text` section symbol
//   [ ]  license       "GPL\0" by default (SHF_ALLOC|SHF_WRITE)
//   [ ]  .BTF, .BTF.ext only when asked, or when a program takes a function's address (see buildBtf)
//   [ ]  .symtab       locals (the .text section symbol, subprogram FUNCs), then globals (one FUNC per
//                      program, LICENSE)
//
// Subprograms: libbpf only resolves `call local` (and `ld_imm64` with BPF_PSEUDO_FUNC) to functions in
// `.text`; a call inside a program section without a relocation is read as a call into `.text` at the
// same index (libbpf.c, bpf_object__reloc_code). So a stream with local calls is split: instructions
// before the first call target stay in the program section as the entry function, every later
// function moves to `.text` (one LOCAL FUNC symbol each), and calls from the entry function get a
// relocation against the `.text` section symbol whose imm is rewritten `.text`-relative, exactly as
// clang emits them. Calls between functions inside `.text` keep their pc-relative imm. libbpf appends
// the subprograms after the entry function again when it loads, so the kernel sees the same program
// modulo function order.

import { WxdpError } from '../errors.js';
import { Class, INSN_SIZE, JmpOp, OP_LDDW, PseudoCall, PseudoLd } from '../isa/opcodes.js';

export interface BpfObjectProgram {
  /** Symbol name of the entry function (libbpf's program name, bpftool's pin name under `loadall`). */
  name: string;
  /** ELF section, which libbpf maps to a program type (`xdp`, `tc`, `socket`…). */
  section: string;
  /** The instruction stream in wire format; may contain bpf-to-bpf calls. */
  insns: Uint8Array;
}

export interface BpfObjectOptions {
  /** Contents of the `license` section (NUL added). Default 'GPL', which every helper accepts. */
  license?: string;
  /**
   * Emit `.BTF` / `.BTF.ext` with one FUNC (`int f(void)`) per function and its func_info. The kernel
   * insists on func_info only when a program takes a function's address (BPF_PSEUDO_FUNC, e.g. the
   * bpf_loop callback: "missing btf func_info"); 'auto' (the default) emits it exactly then.
   */
  btf?: boolean | 'auto';
}

const EM_BPF = 247;
const ET_REL = 1;
const SHT_PROGBITS = 1;
const SHT_SYMTAB = 2;
const SHT_STRTAB = 3;
const SHT_REL = 9;
const SHF_WRITE = 0x1;
const SHF_ALLOC = 0x2;
const SHF_EXECINSTR = 0x4;
const SHF_INFO_LINK = 0x40;
const STB_LOCAL = 0;
const STB_GLOBAL = 1;
const STT_OBJECT = 1;
const STT_FUNC = 2;
const STT_SECTION = 3;
const R_BPF_64_64 = 1; // ld_imm64
const R_BPF_64_32 = 10; // call imm (llvm-readelf: R_BPF_INSN_DISP32)

const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const REL_SIZE = 16;

const OP_CALL = Class.JMP | JmpOp.CALL;

/** Write a relocatable ELF64 EM_BPF object holding `progs`. Throws WxdpError('USAGE') for bad input. */
export function writeBpfObject(progs: readonly BpfObjectProgram[], opts: BpfObjectOptions = {}): Uint8Array {
  if (progs.length === 0) throw new WxdpError('USAGE', 'writeBpfObject: no programs');
  const names = new Set<string>();
  for (const p of progs) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(p.name)) {
      throw new WxdpError('USAGE', `writeBpfObject: program name '${p.name}' is not a C identifier`);
    }
    if (names.has(p.name)) throw new WxdpError('USAGE', `writeBpfObject: duplicate program name '${p.name}'`);
    names.add(p.name);
    if (p.section === '' || p.section === '.text' || p.section === 'license' || p.section.startsWith('.')) {
      throw new WxdpError('USAGE', `writeBpfObject: program '${p.name}': section '${p.section}' cannot hold a program`);
    }
    if (p.insns.length === 0 || p.insns.length % INSN_SIZE !== 0) {
      throw new WxdpError(
        'USAGE',
        `writeBpfObject: program '${p.name}': ${p.insns.length} bytes is not a non-empty whole number of instructions`,
      );
    }
  }

  // ---- Split every program into its entry function and subprograms bound for .text. ----
  interface Placed {
    prog: BpfObjectProgram;
    main: Uint8Array; // entry function, relocations already applied to imm
    mainOffset: number; // byte offset inside its program section
    relocs: { offset: number; type: number }[]; // offsets inside the entry function
    subs: { name: string; textOffset: number; size: number }[];
    takesFuncAddress: boolean;
  }
  const textChunks: Uint8Array[] = [];
  let textSize = 0;
  const placed: Placed[] = [];
  for (const prog of progs) {
    const split = splitSubprograms(prog);
    const textBase = textSize / INSN_SIZE; // .text index of this program's first subprogram
    const main = split.main;
    const view = new DataView(main.buffer, main.byteOffset, main.byteLength);
    const relocs: Placed['relocs'] = [];
    for (const ref of split.mainRefs) {
      // Rewrite the imm to what clang emits against the section symbol (st_value 0):
      //   call:      target = imm + 1        ld_imm64 (pseudo func): target byte offset = imm
      const target = textBase + ref.target - split.mainLen;
      if (ref.kind === 'call') view.setInt32(ref.index * INSN_SIZE + 4, target - 1, true);
      else view.setInt32(ref.index * INSN_SIZE + 4, target * INSN_SIZE, true);
      relocs.push({ offset: ref.index * INSN_SIZE, type: ref.kind === 'call' ? R_BPF_64_32 : R_BPF_64_64 });
    }
    const subs = split.subs.map((s) => ({
      name: `${prog.name}__sub${s.start}`,
      textOffset: (textBase + s.start - split.mainLen) * INSN_SIZE,
      size: (s.end - s.start) * INSN_SIZE,
    }));
    if (split.rest.length > 0) {
      textChunks.push(split.rest);
      textSize += split.rest.length;
    }
    placed.push({ prog, main, mainOffset: 0, relocs, subs, takesFuncAddress: split.takesFuncAddress });
  }

  // ---- Group entry functions by section name, in first-seen order. ----
  const sections = new Map<string, Placed[]>();
  for (const p of placed) {
    const list = sections.get(p.prog.section) ?? [];
    p.mainOffset = list.reduce((n, q) => n + q.main.length, 0);
    list.push(p);
    sections.set(p.prog.section, list);
  }

  // ---- String table (section names and symbol names share it). ----
  const strtab = new StringTable();

  interface Section {
    name: string;
    type: number;
    flags: number;
    data: Uint8Array;
    align: number;
    link?: number;
    info?: number;
    entsize?: number;
  }
  const shdrs: Section[] = [];
  shdrs.push({ name: '', type: 0, flags: 0, data: new Uint8Array(0), align: 0 }); // SHN_UNDEF
  const strtabIdx = shdrs.push({ name: '.strtab', type: SHT_STRTAB, flags: 0, data: new Uint8Array(0), align: 1 }) - 1;
  const progSecIdx = new Map<string, number>();
  for (const [name, list] of sections) {
    const idx = shdrs.push({
      name,
      type: SHT_PROGBITS,
      flags: SHF_ALLOC | SHF_EXECINSTR,
      data: concat(list.map((p) => p.main)),
      align: 8,
    }) - 1;
    progSecIdx.set(name, idx);
  }
  let textIdx = -1;
  if (textSize > 0) {
    textIdx = shdrs.push({
      name: '.text',
      type: SHT_PROGBITS,
      flags: SHF_ALLOC | SHF_EXECINSTR,
      data: concat(textChunks),
      align: 8,
    }) - 1;
  }

  // Symbols: locals first (ELF requires it; sh_info of .symtab = first global).
  interface Sym {
    name: string;
    info: number;
    shndx: number;
    value: number;
    size: number;
  }
  const syms: Sym[] = [{ name: '', info: 0, shndx: 0, value: 0, size: 0 }];
  let textSymIdx = -1;
  if (textIdx >= 0) {
    textSymIdx = syms.push({ name: '', info: (STB_LOCAL << 4) | STT_SECTION, shndx: textIdx, value: 0, size: 0 }) - 1;
    for (const p of placed) {
      for (const s of p.subs) {
        syms.push({ name: s.name, info: (STB_LOCAL << 4) | STT_FUNC, shndx: textIdx, value: s.textOffset, size: s.size });
      }
    }
  }
  const firstGlobal = syms.length;
  for (const p of placed) {
    syms.push({
      name: p.prog.name,
      info: (STB_GLOBAL << 4) | STT_FUNC,
      shndx: progSecIdx.get(p.prog.section)!,
      value: p.mainOffset,
      size: p.main.length,
    });
  }

  // Relocation sections, one per program section with cross-section references.
  const relSections: Section[] = [];
  for (const [name, list] of sections) {
    const entries = list.flatMap((p) => p.relocs.map((r) => ({ offset: p.mainOffset + r.offset, type: r.type })));
    if (entries.length === 0) continue;
    const data = new Uint8Array(entries.length * REL_SIZE);
    const v = new DataView(data.buffer);
    entries.forEach((e, i) => {
      v.setBigUint64(i * REL_SIZE, BigInt(e.offset), true);
      v.setBigUint64(i * REL_SIZE + 8, (BigInt(textSymIdx) << 32n) | BigInt(e.type), true);
    });
    relSections.push({
      name: `.rel${name}`,
      link: 0, // .symtab, known once every section is placed
      type: SHT_REL,
      flags: SHF_INFO_LINK,
      data,
      align: 8,
      info: progSecIdx.get(name)!,
      entsize: REL_SIZE,
    });
  }
  const relIdx = relSections.map((r) => shdrs.push(r) - 1);

  const license = new TextEncoder().encode(`${opts.license ?? 'GPL'}\0`);
  const licenseIdx = shdrs.push({ name: 'license', type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_WRITE, data: license, align: 1 }) - 1;
  syms.push({ name: 'LICENSE', info: (STB_GLOBAL << 4) | STT_OBJECT, shndx: licenseIdx, value: 0, size: license.length });

  const wantBtf = opts.btf === 'auto' || opts.btf === undefined ? placed.some((p) => p.takesFuncAddress) : opts.btf;
  if (wantBtf) {
    const funcs: BtfFunc[] = [];
    for (const [name, list] of sections) {
      for (const p of list) funcs.push({ section: name, offset: p.mainOffset, name: p.prog.name, global: true });
    }
    for (const p of placed) {
      for (const sub of p.subs) funcs.push({ section: '.text', offset: sub.textOffset, name: sub.name, global: false });
    }
    const btf = buildBtf(funcs);
    shdrs.push({ name: '.BTF', type: SHT_PROGBITS, flags: 0, data: btf.btf, align: 4 });
    shdrs.push({ name: '.BTF.ext', type: SHT_PROGBITS, flags: 0, data: btf.ext, align: 4 });
  }

  const symtabIdx = shdrs.length;
  for (const i of relIdx) shdrs[i]!.link = symtabIdx;

  const symData = new Uint8Array(syms.length * SYM_SIZE);
  const sv = new DataView(symData.buffer);
  syms.forEach((s, i) => {
    const p = i * SYM_SIZE;
    sv.setUint32(p, s.name === '' ? 0 : strtab.add(s.name), true); // st_name
    sv.setUint8(p + 4, s.info); // st_info
    sv.setUint8(p + 5, 0); // st_other: STV_DEFAULT
    sv.setUint16(p + 6, s.shndx, true); // st_shndx
    sv.setBigUint64(p + 8, BigInt(s.value), true); // st_value
    sv.setBigUint64(p + 16, BigInt(s.size), true); // st_size
  });
  shdrs.push({
    name: '.symtab',
    type: SHT_SYMTAB,
    flags: 0,
    data: symData,
    align: 8,
    link: strtabIdx,
    info: firstGlobal,
    entsize: SYM_SIZE,
  });

  // Section names go last into the string table, then it is frozen.
  const nameOffsets = shdrs.map((s) => (s.name === '' ? 0 : strtab.add(s.name)));
  shdrs[strtabIdx]!.data = strtab.bytes();

  // ---- Lay out the file. ----
  let pos = EHDR_SIZE;
  const offsets: number[] = [];
  for (const s of shdrs) {
    if (s.align > 1) pos = alignUp(pos, s.align);
    offsets.push(pos);
    pos += s.data.length;
  }
  const shoff = alignUp(pos, 8);
  const out = new Uint8Array(shoff + shdrs.length * SHDR_SIZE);
  const v = new DataView(out.buffer);

  // ELF header.
  out.set([0x7f, 0x45, 0x4c, 0x46, 2 /* ELFCLASS64 */, 1 /* ELFDATA2LSB */, 1 /* EV_CURRENT */, 0 /* SYSV */], 0);
  v.setUint16(16, ET_REL, true);
  v.setUint16(18, EM_BPF, true);
  v.setUint32(20, 1, true); // e_version
  v.setBigUint64(24, 0n, true); // e_entry
  v.setBigUint64(32, 0n, true); // e_phoff
  v.setBigUint64(40, BigInt(shoff), true); // e_shoff
  v.setUint32(48, 0, true); // e_flags
  v.setUint16(52, EHDR_SIZE, true); // e_ehsize
  v.setUint16(54, 0, true); // e_phentsize
  v.setUint16(56, 0, true); // e_phnum
  v.setUint16(58, SHDR_SIZE, true); // e_shentsize
  v.setUint16(60, shdrs.length, true); // e_shnum
  v.setUint16(62, strtabIdx, true); // e_shstrndx

  shdrs.forEach((s, i) => {
    out.set(s.data, offsets[i]!);
    const p = shoff + i * SHDR_SIZE;
    if (i === 0) return; // SHN_UNDEF stays all zero
    v.setUint32(p, nameOffsets[i]!, true); // sh_name
    v.setUint32(p + 4, s.type, true); // sh_type
    v.setBigUint64(p + 8, BigInt(s.flags), true); // sh_flags
    v.setBigUint64(p + 16, 0n, true); // sh_addr
    v.setBigUint64(p + 24, BigInt(offsets[i]!), true); // sh_offset
    v.setBigUint64(p + 32, BigInt(s.data.length), true); // sh_size
    v.setUint32(p + 40, s.link ?? 0, true); // sh_link
    v.setUint32(p + 44, s.info ?? 0, true); // sh_info
    v.setBigUint64(p + 48, BigInt(s.align), true); // sh_addralign
    v.setBigUint64(p + 56, BigInt(s.entsize ?? 0), true); // sh_entsize
  });
  return out;
}

interface SplitProgram {
  /** The entry function (a copy). */
  main: Uint8Array;
  /** Its length in slots. */
  mainLen: number;
  /** The subprograms, contiguous, bound for `.text`. */
  rest: Uint8Array;
  /** Subprogram boundaries as slot indices of the original stream. */
  subs: { start: number; end: number }[];
  /** Instructions of the entry function that reference a subprogram (slot index, absolute target). */
  mainRefs: { index: number; target: number; kind: 'call' | 'func' }[];
  /** Some ld_imm64 takes a function's address (BPF_PSEUDO_FUNC). */
  takesFuncAddress: boolean;
}

/**
 * Find the function boundaries the kernel would find (every `call local` target and every
 * BPF_PSEUDO_FUNC `ld_imm64` target starts a function) and split off everything after the entry
 * function.
 */
function splitSubprograms(prog: BpfObjectProgram): SplitProgram {
  const bytes = prog.insns;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length / INSN_SIZE;
  const refs: { index: number; target: number; kind: 'call' | 'func' }[] = [];
  for (let i = 0; i < n; i++) {
    const code = view.getUint8(i * INSN_SIZE);
    const srcReg = view.getUint8(i * INSN_SIZE + 1) >> 4;
    const imm = view.getInt32(i * INSN_SIZE + 4, true);
    if (code === OP_CALL && srcReg === PseudoCall.LOCAL) refs.push({ index: i, target: i + imm + 1, kind: 'call' });
    else if (code === OP_LDDW && srcReg === PseudoLd.FUNC) refs.push({ index: i, target: i + imm + 1, kind: 'func' });
    if (code === OP_LDDW) i++;
  }
  const starts = [...new Set(refs.map((r) => r.target))].sort((a, b) => a - b);
  for (const t of starts) {
    if (t <= 0 || t >= n) {
      throw new WxdpError(
        'USAGE',
        `writeBpfObject: program '${prog.name}': a local call or function reference targets slot ${t}, ` +
          `which is ${t <= 0 ? 'the entry function or before it' : 'past the end'} (program has ${n} slots)`,
      );
    }
  }
  const takesFuncAddress = refs.some((r) => r.kind === 'func');
  if (starts.length === 0) {
    return { main: bytes.slice(), mainLen: n, rest: new Uint8Array(0), subs: [], mainRefs: [], takesFuncAddress };
  }
  const mainLen = starts[0]!;
  const subs = starts.map((s, i) => ({ start: s, end: starts[i + 1] ?? n }));
  return {
    main: bytes.slice(0, mainLen * INSN_SIZE),
    mainLen,
    rest: bytes.slice(mainLen * INSN_SIZE),
    subs,
    mainRefs: refs.filter((r) => r.index < mainLen),
    takesFuncAddress,
  };
}

interface BtfFunc {
  section: string;
  /** Byte offset in its section. */
  offset: number;
  name: string;
  global: boolean;
}

const BTF_MAGIC = 0xeb9f;
const BTF_KIND_INT = 1;
const BTF_KIND_FUNC = 12;
const BTF_KIND_FUNC_PROTO = 13;
const BTF_INT_SIGNED = 1;

/**
 * The least BTF the kernel takes func_info from:
 *
 *   .BTF      header (24 bytes) | types | strings
 *             [1] INT 'int' size 4, signed, 32 bits
 *             [2] FUNC_PROTO int (void)
 *             [3…] FUNC '<name>' → [2], linkage global for entry functions, static for subprograms
 *   .BTF.ext  header (24 bytes: func_info and line_info only) | func_info:
 *             u32 rec_size = 8, then per ELF section { u32 sec_name_off, u32 num_info,
 *             num_info × { u32 insn_off (bytes), u32 type_id } }; no line_info.
 */
function buildBtf(funcs: readonly BtfFunc[]): { btf: Uint8Array; ext: Uint8Array } {
  const strs = new StringTable();
  const types: number[] = [];
  types.push(strs.add('int'), (BTF_KIND_INT << 24) | 0, 4, (BTF_INT_SIGNED << 24) | 32);
  types.push(0, (BTF_KIND_FUNC_PROTO << 24) | 0, 1);
  const typeId = new Map<BtfFunc, number>();
  funcs.forEach((f, i) => {
    typeId.set(f, 3 + i);
    types.push(strs.add(f.name), (BTF_KIND_FUNC << 24) | (f.global ? 1 : 0), 2);
  });
  const bySection = new Map<string, BtfFunc[]>();
  for (const f of funcs) bySection.set(f.section, [...(bySection.get(f.section) ?? []), f]);
  const info: number[] = [8];
  for (const [section, list] of bySection) {
    info.push(strs.add(section), list.length);
    for (const f of [...list].sort((a, b) => a.offset - b.offset)) info.push(f.offset, typeId.get(f)!);
  }

  const typeBytes = u32s(types);
  const strBytes = strs.bytes();
  const btf = new Uint8Array(24 + typeBytes.length + strBytes.length);
  const bv = new DataView(btf.buffer);
  bv.setUint16(0, BTF_MAGIC, true);
  bv.setUint8(2, 1); // version
  bv.setUint8(3, 0); // flags
  bv.setUint32(4, 24, true); // hdr_len
  bv.setUint32(8, 0, true); // type_off
  bv.setUint32(12, typeBytes.length, true); // type_len
  bv.setUint32(16, typeBytes.length, true); // str_off
  bv.setUint32(20, strBytes.length, true); // str_len
  btf.set(typeBytes, 24);
  btf.set(strBytes, 24 + typeBytes.length);

  const infoBytes = u32s(info);
  const ext = new Uint8Array(24 + infoBytes.length);
  const ev = new DataView(ext.buffer);
  ev.setUint16(0, BTF_MAGIC, true);
  ev.setUint8(2, 1);
  ev.setUint8(3, 0);
  ev.setUint32(4, 24, true); // hdr_len
  ev.setUint32(8, 0, true); // func_info_off
  ev.setUint32(12, infoBytes.length, true); // func_info_len
  ev.setUint32(16, infoBytes.length, true); // line_info_off
  ev.setUint32(20, 0, true); // line_info_len
  ext.set(infoBytes, 24);
  return { btf, ext };
}

function u32s(words: readonly number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const v = new DataView(out.buffer);
  words.forEach((w, i) => v.setUint32(i * 4, w >>> 0, true));
  return out;
}

class StringTable {
  private readonly parts: Uint8Array[] = [new Uint8Array(1)];
  private size = 1;
  private readonly seen = new Map<string, number>();
  add(s: string): number {
    const known = this.seen.get(s);
    if (known !== undefined) return known;
    const off = this.size;
    const b = new TextEncoder().encode(`${s}\0`);
    this.parts.push(b);
    this.size += b.length;
    this.seen.set(s, off);
    return off;
  }
  bytes(): Uint8Array {
    return concat(this.parts);
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
