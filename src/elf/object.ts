// parseObject(): a BPF ELF object → ObjectSpec, as a sequence of named steps (libbpf's
// bpf_object_open order), each of which raises ElfError saying where it failed:
//
//   1. ELF container: header, section headers, names, the symbol table      (reader.ts)
//   2. license and version
//   3. .BTF, then .BTF.ext                                                   (btf.ts, btf_ext.ts)
//   4. externs: .kconfig variables get their place in the .kconfig map       (externs.ts)
//   5. BTF fix-up: DATASEC sizes and variable offsets from the ELF, as libbpf's btf_fixup_datasec()
//      (clang leaves them 0 for global variables)
//   6. maps: legacy `maps`, BTF `.maps`, global data, .kconfig               (maps.ts)
//   7. functions and relocations, then one linked ProgramSpec per entry program  (programs.ts)
//   8. `.rel.maps`: prog_array / map-in-map initialisers                    (maps.ts)

import { Btf, type BtfDatasec } from './btf.js';
import { parseBtfExt, type BtfExt } from './btf_ext.js';
import { collectExterns, kconfigMap } from './externs.js';
import { btfMaps, dataKind, dataMap, legacyMaps, mapInitSlots, objectNameFromPath, type MapEntry } from './maps.js';
import { collectFunctions, linkProgram, recordRelocations, type LinkContext } from './programs.js';
import { cstring, ElfFile, SHT_REL, STB_GLOBAL, STB_WEAK, STT_OBJECT, STV_HIDDEN, STV_INTERNAL, type ElfSymbol } from './reader.js';
import type { ObjectSpec } from './spec.js';

export interface ParseOptions {
  /** Where the bytes came from: named in errors, and (like libbpf) the source of the object name. */
  path?: string;
  /**
   * libbpf's object name, the prefix of global data map names ('prog' makes 'prog.data',
   * 'prog.rodata', 'prog.bss'). Default: the basename of `path` up to its first dot. Without either,
   * global data maps are named after their sections ('.data', '.rodata', '.bss').
   */
  objectName?: string;
}

export function parseObject(bytes: Uint8Array, opts: ParseOptions = {}): ObjectSpec {
  const { path } = opts;
  const file = ElfFile.parse(bytes, path);
  const objectName = opts.objectName ?? (path !== undefined ? objectNameFromPath(path) : undefined);

  // 2. license and version
  const licenseSec = file.sectionByName('license');
  const license = licenseSec ? (cstring(licenseSec.data, 0) ?? new TextDecoder().decode(licenseSec.data)).slice(0, 63) : '';
  let kernelVersion: number | undefined;
  const versionSec = file.sectionByName('version');
  if (versionSec) {
    if (versionSec.size !== 4 || versionSec.data.length !== 4) throw file.error('ELF_BAD_SECTION', `invalid kernel version section: ${versionSec.size} bytes, expected 4`, versionSec, 0);
    kernelVersion = new DataView(versionSec.data.buffer, versionSec.data.byteOffset, 4).getUint32(0, true);
  }

  // 3. BTF
  const btfSec = file.sectionByName('.BTF');
  const btf = btfSec ? Btf.parse(btfSec.data, { path, section: btfSec.name }) : undefined;
  const extSec = file.sectionByName('.BTF.ext');
  const ext: BtfExt | undefined = btf && extSec ? parseBtfExt(extSec.data, btf, { path, section: extSec.name }) : undefined;

  // 4. externs
  const externs = collectExterns(file, btf);

  // 5. DATASEC fix-up
  if (btf) fixupDatasecs(file, btf);

  // 6. maps
  const maps: MapEntry[] = [];
  const legacySec = file.sectionByName('maps');
  if (legacySec) maps.push(...legacyMaps(file, legacySec));
  const mapsSec = file.sectionByName('.maps');
  if (mapsSec) maps.push(...btfMaps(file, btf, mapsSec));
  for (const sec of file.sections) {
    const kind = dataKind(sec);
    if (kind) maps.push(dataMap(file, sec, kind, objectName, btf));
  }
  const kconfig = kconfigMap(file, externs, objectName, btf);
  if (kconfig) maps.push(kconfig);
  const seen = new Set<string>();
  for (const m of maps) {
    if (seen.has(m.spec.name)) throw file.error('ELF_BAD_MAP', `two maps are named '${m.spec.name}'`, file.sectionAt(m.shndx), m.offset);
    seen.add(m.spec.name);
  }

  // 7. programs
  const ctx: LinkContext = { file, btf, ext, maps, externs, kconfig, license };
  const funcs = collectFunctions(file);
  recordRelocations(ctx, funcs);
  const textIdx = file.sectionByName('.text')?.index;
  const entries = [...funcs.entries()]
    .filter(([idx]) => idx !== textIdx)
    .sort(([a], [b]) => a - b)
    .flatMap(([, list]) => [...list].sort((a, b) => a.start - b.start));
  const programs = entries.map((f) => linkProgram(ctx, funcs, f));

  // 8. .rel.maps
  const relMaps = file.sections.find((s) => s.type === SHT_REL && s.name === '.rel.maps');
  if (relMaps && mapsSec && btf && relMaps.info === mapsSec.index) {
    mapInitSlots(file, btf, mapsSec, relMaps, maps, (sym) =>
      entries.some((f) => f.symbol === sym || (f.name === sym.name && f.sec.index === sym.shndx && f.start * 8 === sym.value)),
    );
  }

  const spec: ObjectSpec = { license, programs, maps: maps.map((m) => m.spec) };
  if (path !== undefined) spec.path = path;
  if (kernelVersion !== undefined) spec.kernelVersion = kernelVersion;
  if (btf) spec.btf = btf;
  return spec;
}

/**
 * libbpf's btf_fixup_datasec(): clang leaves DATASEC sizes and the offsets of global variables at 0;
 * take the size from the ELF section and each offset from the variable's symbol, then sort the
 * variables by offset. .kconfig and .ksyms are laid out by the extern step instead.
 */
function fixupDatasecs(file: ElfFile, btf: Btf): void {
  // libbpf's find_elf_var_sym(): the first global or weak OBJECT of that name.
  const globals = new Map<string, ElfSymbol>();
  for (const s of file.symbols) {
    if (s.type === STT_OBJECT && (s.bind === STB_GLOBAL || s.bind === STB_WEAK) && !globals.has(s.name)) globals.set(s.name, s);
  }
  for (const t of btf.types) {
    if (t.kind !== 'datasec' || t.name === '.kconfig' || t.name === '.ksyms') continue;
    const ds: BtfDatasec = t;
    let fixOffsets = false;
    if (ds.size === 0) {
      const sec = file.sectionByName(ds.name);
      if (!sec || sec.size === 0) throw btf.error(`DATASEC [${ds.id}] '${ds.name}': failed to determine its size from the ELF`, ds.id);
      ds.size = sec.size;
      fixOffsets = true;
    }
    for (const v of ds.vars) {
      const vt = btf.type(v.type);
      if (vt.kind !== 'var') throw btf.error(`DATASEC [${ds.id}] '${ds.name}' holds ${vt.kind} [${v.type}], not a VAR`, ds.id);
      if (vt.linkage === 'static' || vt.linkage === 'extern') continue;
      const sym = globals.get(vt.name);
      if (!sym) throw btf.error(`DATASEC [${ds.id}] '${ds.name}': no ELF symbol for VAR '${vt.name}'`, ds.id);
      if (fixOffsets) v.offset = sym.value;
      // Hidden globals are static to the verifier (libbpf marks their VAR static).
      if (sym.visibility === STV_HIDDEN || sym.visibility === STV_INTERNAL) vt.linkage = 'static';
    }
    ds.vars.sort((a, b) => a.offset - b.offset);
  }
}
