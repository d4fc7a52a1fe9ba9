// Every fixture object, parsed, against what the reference tools said about it (tests/elf/fixtures/
// build.sh records their output next to each object, so this test needs no toolchain):
//
//   llvm-readelf -S -s -r   sections, symbols, relocation entries
//   bpftool btf dump file   the .BTF types, line for line
//   llvm-objdump -dr        each function's instructions and the relocation under each one
//   bpftool -d prog loadall (libbpf 1.1 + Linux 6.18) — for the objects libbpf accepts:
//       the programs it loaded and their kernel types, the instructions exactly as libbpf submitted
//       them (the verifier's "Live regs before insn" listing), where each function starts (func#N @M),
//       the line info the verifier printed, libbpf's own debug lines (which map or data map each
//       ld_imm64 got, where each subprogram was appended, .maps initialisers, kconfig offsets, every
//       field of every BTF map definition), and `bpftool map show` for the maps it created.

import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Btf } from '../../src/elf/btf.js';
import { internalMapName, objectNameFromPath, parseObject, type MapSpec, type ProgramSpec } from '../../src/elf/index.js';
import { ElfFile, SHT_NOBITS, STT_FUNC } from '../../src/elf/reader.js';
import { decode, type Insn } from '../../src/isa/insn.js';
import { libbpfAgreement } from './libbpf_agreement.js';
import {
  FIXTURES,
  fixtureBytes,
  formatBtfLikeBpftool,
  parseLibbpfLog,
  parseObjdump,
  parseReadelf,
  readFixture,
  type ObjdumpInsn,
} from './oracle.js';

// ksym.o needs the running kernel's BTF; errors.test.ts checks that it is reported as unsupported.
const NAMES = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.c') && f !== 'ksym.c')
  .map((f) => f.slice(0, -2))
  .sort();

const READELF_TYPES: Record<number, string> = { 0: 'NULL', 1: 'PROGBITS', 2: 'SYMTAB', 3: 'STRTAB', 8: 'NOBITS', 9: 'REL', 0x6fff4c03: 'LLVM_ADDRSIG' };

/** The function span of `name` in program `p`, with its start slot in its ELF section. */
function spans(elf: ElfFile, p: ProgramSpec) {
  return p.functions!.map((f) => {
    const sym = elf.symbols.find((s) => s.type === STT_FUNC && s.name === f.name && elf.sections[s.shndx]!.name === f.section)!;
    return { ...f, start: sym.value / 8 };
  });
}

/** Section code as objdump printed it, as Insn slots. */
function objdumpSection(insns: ObjdumpInsn[], section: string): { slots: Insn[]; reloc: Map<number, { type: string; symbol: string }> } {
  const lines = insns.filter((i) => i.section === section);
  const bytes = Uint8Array.from(lines.flatMap((l) => l.bytes));
  const reloc = new Map(lines.flatMap((l) => (l.reloc ? [[l.slot, l.reloc] as const] : [])));
  return { slots: decode(bytes), reloc };
}

describe.each(NAMES)('%s.o', (name) => {
  const bytes = fixtureBytes(`${name}.o`);
  const path = `${name}.o`;
  const spec = parseObject(bytes, { path });
  const elf = ElfFile.parse(bytes);
  const readelf = parseReadelf(readFixture(`${name}.readelf.txt`));
  const objdump = parseObjdump(readFixture(`${name}.objdump.txt`));
  const mapByName = new Map<string, MapSpec>(spec.maps.map((m) => [m.name, m]));
  const objName = objectNameFromPath(path);

  it('has the sections and symbols llvm-readelf lists', () => {
    expect(elf.sections.map((s) => ({ index: s.index, name: s.name, type: READELF_TYPES[s.type] ?? s.type, offset: s.offset, size: s.size, link: s.link, info: s.info }))).toEqual(
      readelf.sections.map(({ flags: _f, ...s }) => s),
    );
    // llvm-readelf names STT_SECTION symbols after their section.
    expect(elf.symbols.map((s) => ({ index: s.index, value: s.value, size: s.size, name: elf.symbolName(s) }))).toEqual(
      readelf.symbols.map((s) => ({ index: s.index, value: s.value, size: s.size, name: s.name })),
    );
    for (const [sec, rels] of readelf.relocs) {
      const ours = elf.relocations(elf.sectionByName(sec)!);
      expect(ours.map((r) => r.offset)).toEqual(rels.map((r) => r.offset));
      expect(ours.map((r) => elf.symbolName(elf.symbols[r.symbol]!))).toEqual(rels.map((r) => r.symbol || elf.symbolName(elf.symbols[0]!)));
    }
  });

  it('reads .BTF as bpftool btf dump prints it, type for type', () => {
    const raw = Btf.parse(elf.sectionByName('.BTF')!.data);
    expect(formatBtfLikeBpftool(raw)).toBe(readFixture(`${name}.btf.txt`));
  });

  it("links each function's code as objdump shows it, and resolves each relocation objdump prints", () => {
    for (const p of spec.programs) {
      for (const f of spans(elf, p)) {
        const { slots, reloc } = objdumpSection(objdump, f.section);
        for (let k = 0; k < f.length; k++) {
          const ours = p.insns[f.index + k]!;
          const orig = slots[f.start + k]!;
          const r = reloc.get(f.start + k);
          const where = `${p.name}: ${f.name}+${k} (${f.section} slot ${f.start + k})`;
          if (!r && !(orig.code === 0x85 && orig.src === 1)) {
            expect(ours, where).toEqual(orig);
            continue;
          }
          expect({ code: ours.code, dst: ours.dst, off: ours.off }, where).toEqual({ code: orig.code, dst: orig.dst, off: orig.off });
          const at = f.index + k;
          if (orig.code === 0x85) {
            // bpf-to-bpf call: the callee starts at the call's target; by relocation, the symbol (a global
            // function) or the section symbol + imm + 1 (a static one); without, pc-relative in the section.
            const callee = p.functions!.find((g) => g.index === at + ours.imm + 1);
            expect(callee, where).toBeDefined();
            const calleeSym = elf.symbols.find((s) => s.type === STT_FUNC && s.name === callee!.name)!;
            if (r && r.symbol !== f.section && r.symbol !== '.text') expect(callee!.name, where).toBe(r.symbol);
            else if (r) expect(calleeSym.value / 8, where).toBe(orig.imm + 1);
            else expect(calleeSym.value / 8, where).toBe(f.start + k + orig.imm + 1);
            continue;
          }
          // ld_imm64 with a relocation: a map, global data, a kconfig extern or a callback.
          const ref = p.mapRefs.find((m) => m.index === at);
          const fref = p.funcRefs!.find((m) => m.index === at);
          const sym = elf.symbols.find((s) => elf.symbolName(s) === r!.symbol)!;
          if (mapByName.get(r!.symbol)?.kind === 'btf' || mapByName.get(r!.symbol)?.kind === 'legacy') {
            expect(ref, where).toEqual({ index: at, map: r!.symbol, kind: 'fd', offset: 0 });
            expect({ src: ours.src, imm64: ours.imm64 }, where).toEqual({ src: 1, imm64: 0n });
          } else if (fref) {
            expect(elf.sections[sym.shndx]!.flags & 4, where).toBe(4);
            const callee = p.functions!.find((g) => g.index === fref.target)!;
            const calleeSym = elf.symbols.find((s) => s.type === STT_FUNC && s.name === callee.name)!;
            expect(calleeSym.value, where).toBe(sym.value + orig.imm);
            expect({ src: ours.src, imm: ours.imm }, where).toEqual({ src: 4, imm: fref.target - at - 1 });
          } else if (sym.shndx === 0) {
            const kconfig = spec.maps.find((m) => m.kind === 'kconfig')!;
            const v = kconfig.kconfig!.find((x) => x.name === r!.symbol)!;
            expect(ref, where).toEqual({ index: at, map: kconfig.name, kind: 'value', offset: v.offset });
          } else {
            const sec = elf.sections[sym.shndx]!;
            const mapName = internalMapName(objName, sec.name);
            expect(ref, where).toEqual({ index: at, map: mapName, kind: 'value', offset: sym.value + orig.imm });
            expect({ src: ours.src, imm64: ours.imm64 }, where).toEqual({ src: 2, imm64: BigInt(sym.value + orig.imm) });
          }
        }
      }
    }
  });

  it('gives every global data section a map holding its bytes', () => {
    for (const m of spec.maps.filter((x) => x.kind === 'data' || x.kind === 'rodata' || x.kind === 'bss')) {
      const sec = elf.sections.find((s) => internalMapName(objName, s.name) === m.name)!;
      expect(m.valueSize).toBe(sec.size);
      expect(Array.from(m.data!)).toEqual(sec.type === SHT_NOBITS ? new Array(sec.size).fill(0) : Array.from(sec.data));
    }
  });

  describe('as libbpf 1.1 and Linux 6.18 loaded it (recorded)', () => {
    const text = readFixture(`${name}.libbpf.txt`);
    const log = parseLibbpfLog(text);
    if (log.loadFailed) {
      // Legacy maps, a call into the caller's own section, unknown section names, kernel symbols:
      // the dedicated tests in maps/programs/errors.test.ts say what wxdp does instead.
      it('was refused by libbpf, which said why', () => expect(log.lines.some((l) => / not supported| bad call relo|unrecognized ELF section|failed|Error/i.test(l))).toBe(true));
    } else {
      libbpfAgreement(path, bytes, text);
    }
  });
});
