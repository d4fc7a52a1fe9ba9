// Extern symbols: variables and functions the object declares `extern` and libbpf resolves at load
// time. `__kconfig` variables (section .kconfig in BTF) live in one read-only array map whose layout
// libbpf decides at open time — that layout is parsed here, the values are the loader's business.
// `__ksym` functions (kfuncs) become calls the loader resolves by name (ProgramSpec.kfuncCalls,
// control/kfunc_calls.ts); `__ksym` variables need the running kernel's BTF and stay unsupported.

import type { Btf, BtfDatasec } from './btf.js';
import { BPF_F_MMAPABLE, BPF_F_RDONLY_PROG, internalMapName, isPow2, MAX_DATA_MAP_SIZE, MapType, type MapEntry } from './maps.js';
import type { ElfFile } from './reader.js';
import type { KconfigVar, MapSpec } from './spec.js';

export interface Extern {
  name: string;
  symbol: number;
  weak: boolean;
  /** BTF id of the VAR or FUNC. */
  btfId: number;
  kind: 'kconfig' | 'ksym';
  kconfig?: KconfigVar;
  /** Alignment of a kconfig variable (libbpf's btf__align_of), for the layout. */
  align: number;
}

/** libbpf's find_kcfg_type(). */
function kcfgType(btf: Btf, id: number): { type: KconfigVar['type']; signed: boolean } | undefined {
  const t = btf.skipModsAndTypedefs(id);
  switch (t.kind) {
    case 'int':
      if (t.bool) return t.size === 1 ? { type: 'bool', signed: false } : undefined;
      if (t.size === 1) return { type: 'char', signed: t.signed };
      return isPow2(t.size) && t.size <= 8 ? { type: 'int', signed: t.signed } : undefined;
    case 'enum':
    case 'enum64':
      return t.name === 'libbpf_tristate' && (t.kind === 'enum64' || t.size === 4) ? { type: 'tristate', signed: false } : undefined;
    case 'array':
      return t.nelems > 0 && kcfgType(btf, t.type)?.type === 'char' ? { type: 'char_array', signed: false } : undefined;
    default:
      return undefined;
  }
}

/**
 * Extern symbols (undefined, global or weak, no type) and their BTF, as libbpf's
 * bpf_object__collect_externs(): .kconfig variables get their offsets in the .kconfig map.
 */
export function collectExterns(file: ElfFile, btf: Btf | undefined): Extern[] {
  const out: Extern[] = [];
  for (const sym of file.symbols) {
    if (!(sym.shndx === 0 && (sym.bind === 1 || sym.bind === 2) && sym.type === 0) || !sym.name) continue;
    const fail = (d: string) => file.error('ELF_BAD_SYMBOL', `extern '${sym.name}': ${d}`, file.symtab, sym.index * 24);
    if (!btf) throw fail('externs need .BTF, and the object has none');
    const t = btf.types.find((x) => (x.kind === 'var' || x.kind === 'func') && x.linkage === 'extern' && x.name === sym.name);
    if (!t) throw fail('no BTF VAR or FUNC for it');
    const sec = btf.types.find((x): x is BtfDatasec => x.kind === 'datasec' && x.vars.some((v) => v.type === t.id));
    if (!sec) throw fail(`BTF [${t.id}] is in no DATASEC`);
    const ext: Extern = { name: sym.name, symbol: sym.index, weak: sym.bind === 2, btfId: t.id, kind: 'ksym', align: 1 };
    if (sec.name === '.kconfig') {
      if (t.kind !== 'var') throw fail('extern functions are not supported in .kconfig');
      const kt = kcfgType(btf, t.type);
      if (!kt) throw fail('type is unsupported for a kconfig extern');
      ext.kind = 'kconfig';
      ext.kconfig = { name: sym.name, offset: 0, size: btf.resolveSize(t.type), ...kt, weak: ext.weak, typeId: t.id };
      ext.align = btf.alignOf(t.type);
    } else if (sec.name !== '.ksyms') {
      throw fail(`unrecognized extern section '${sec.name}'`);
    }
    out.push(ext);
  }
  // libbpf's cmp_externs(): kconfig before ksym; kconfig by alignment (descending), size, then name.
  out.sort((a, b) => {
    if (a.kind !== b.kind) return a.kind === 'kconfig' ? -1 : 1;
    if (a.kind === 'kconfig' && b.kind === 'kconfig') {
      if (a.align !== b.align) return b.align - a.align;
      if (a.kconfig!.size !== b.kconfig!.size) return a.kconfig!.size - b.kconfig!.size;
    }
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  let off = 0;
  for (const e of out) {
    if (!e.kconfig) continue;
    e.kconfig.offset = Math.ceil(off / e.align) * e.align;
    off = e.kconfig.offset + e.kconfig.size;
  }
  // The .kconfig DATASEC gets the layout, as libbpf writes it into BTF.
  const kcfgSec = btf?.types.find((t): t is BtfDatasec => t.kind === 'datasec' && t.name === '.kconfig');
  if (kcfgSec) {
    kcfgSec.size = off;
    for (const v of kcfgSec.vars) {
      const e = out.find((x) => x.btfId === v.type);
      if (e?.kconfig) v.offset = e.kconfig.offset;
    }
    kcfgSec.vars.sort((a, b) => a.offset - b.offset);
  }
  return out;
}

export function kconfigMap(file: ElfFile, externs: Extern[], objectName: string | undefined, btf: Btf | undefined): MapEntry | undefined {
  const vars = externs.flatMap((e) => (e.kconfig ? [e.kconfig] : []));
  if (vars.length === 0) return undefined;
  const last = vars[vars.length - 1]!;
  const size = last.offset + last.size;
  if (size > MAX_DATA_MAP_SIZE) {
    throw file.error('ELF_BAD_MAP', `.kconfig variables take ${size} bytes, too many for a map (at most ${MAX_DATA_MAP_SIZE})`, file.symtab, 0);
  }
  const spec: MapSpec = {
    name: objectName === undefined ? '.kconfig' : internalMapName(objectName, '.kconfig'),
    type: MapType.ARRAY,
    typeName: 'array',
    keySize: 4,
    valueSize: size,
    maxEntries: 1,
    flags: BPF_F_MMAPABLE | BPF_F_RDONLY_PROG,
    pinning: 'none',
    data: new Uint8Array(size),
    kind: 'kconfig',
    readonly: true,
    kconfig: vars,
  };
  const ds = btf?.types.find((t) => t.kind === 'datasec' && t.name === '.kconfig');
  if (ds) spec.valueTypeId = ds.id;
  return { spec, shndx: -1, offset: 0, size };
}
