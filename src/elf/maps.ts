// Map definitions, the four ways an object declares them (libbpf's bpf_object__init_maps):
//
//   1. legacy `maps` section: an array of `struct bpf_map_def { u32 type, key_size, value_size,
//      max_entries, map_flags; }`, one per symbol (libbpf 0.x; libbpf 1.x refuses the section);
//   2. BTF-defined `.maps`: each VAR of the `.maps` DATASEC is a struct whose members *encode* the
//      definition in their types —
//        __uint(name, N)    → int (*name)[N]          : a PTR to an ARRAY, nelems = N
//        __type(name, T)    → typeof(T) *name         : a PTR to T, size = sizeof(T)
//        __array(name, T)   → typeof(T) *name[]       : a zero-length ARRAY of PTR to T (must be last)
//      with initialisers of `values` as R_BPF_64_ABS64 relocations in `.rel.maps`;
//   3. global data: each `.data*`, `.rodata*` and `.bss*` section becomes a one-entry array map;
//   4. `.kconfig`: `extern … __kconfig` variables, laid out by libbpf into one read-only array map
//      (externs.ts).

import { BTF_PTR_SIZE, type Btf, type BtfComposite, type BtfDatasec } from './btf.js';
import type { ElfFile, ElfSection, ElfSymbol } from './reader.js';
import { SHF_EXECINSTR, SHT_NOBITS, SHT_PROGBITS, STT_SECTION } from './reader.js';
import type { MapKind, MapSpec } from './spec.js';

/** libbpf's map_type_name[], indexed by BPF_MAP_TYPE_*. */
export const MAP_TYPE_NAMES = [
  'unspec', 'hash', 'array', 'prog_array', 'perf_event_array', 'percpu_hash', 'percpu_array', 'stack_trace',
  'cgroup_array', 'lru_hash', 'lru_percpu_hash', 'lpm_trie', 'array_of_maps', 'hash_of_maps', 'devmap',
  'sockmap', 'cpumap', 'xskmap', 'sockhash', 'cgroup_storage', 'reuseport_sockarray', 'percpu_cgroup_storage',
  'queue', 'stack', 'sk_storage', 'devmap_hash', 'struct_ops', 'ringbuf', 'inode_storage', 'task_storage',
  'bloom_filter', 'user_ringbuf', 'cgrp_storage', 'arena',
] as const;
export type MapTypeName = (typeof MAP_TYPE_NAMES)[number];

export const MapType = Object.fromEntries(MAP_TYPE_NAMES.map((n, i) => [n.toUpperCase(), i])) as {
  readonly [K in MapTypeName as Uppercase<K>]: number;
};

/**
 * The largest global data or .kconfig map wxdp accepts. The kernel's own limit for an array value is
 * KMALLOC_MAX_SIZE (4 MiB on x86-64); this bound only keeps a corrupt size from allocating gigabytes.
 */
export const MAX_DATA_MAP_SIZE = 64 << 20;

/** BPF_F_* map flags libbpf sets itself. */
export const BPF_F_RDONLY_PROG = 0x80;
export const BPF_F_MMAPABLE = 0x400;
/** BPF_OBJ_NAME_LEN: kernel object names hold 15 characters and a NUL. */
export const BPF_OBJ_NAME_LEN = 16;
/** The page size libbpf rounds ring buffer sizes to (it asks the host; wxdp assumes 4 KiB). */
export const RINGBUF_PAGE_SIZE = 4096;

const LIBBPF_PIN_BY_NAME = 1;
/** Size of libbpf 0.x's struct bpf_map_def. */
const LEGACY_DEF_SIZE = 20;
/** type, key_size, value_size, max_entries: the fields a legacy definition cannot do without. */
const LEGACY_MIN_DEF_SIZE = 16;

/** A map while the object is parsed: its spec plus where it was declared, for relocations. */
export interface MapEntry {
  spec: MapSpec;
  /** Section of the definition (or of the data). */
  shndx: number;
  /** Offset of the definition in that section (0 for data maps). */
  offset: number;
  /** Size of the definition / data. */
  size: number;
  /** For BTF-defined maps: the VAR of the `.maps` DATASEC. */
  btfVar?: number;
}

export function mapTypeName(type: number): string {
  return MAP_TYPE_NAMES[type] ?? `unknown(${type})`;
}

function checkMapType(file: ElfFile, name: string, type: number, section: ElfSection | string, offset?: number): void {
  if (type === 0) throw file.error('ELF_BAD_MAP', `map '${name}': map type isn't specified`, section, offset);
  if (!Number.isInteger(type) || type >= MAP_TYPE_NAMES.length) {
    throw file.error('ELF_BAD_MAP', `map '${name}': unknown map type ${type}`, section, offset);
  }
}

/** libbpf's adjust_ringbuf_sz(): a power-of-2 multiple of the page size, at least the requested size. */
export function adjustRingbufSize(size: number): number {
  if (size === 0) return 0;
  if (size % RINGBUF_PAGE_SIZE === 0 && isPow2(size / RINGBUF_PAGE_SIZE)) return size;
  for (let mul = 1; mul <= Math.floor(0xffffffff / RINGBUF_PAGE_SIZE); mul *= 2) {
    if (mul * RINGBUF_PAGE_SIZE > size) return mul * RINGBUF_PAGE_SIZE;
  }
  return size;
}
export const isPow2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

// ---- 1. legacy `maps` section ----

export function legacyMaps(file: ElfFile, sec: ElfSection): MapEntry[] {
  // The definitions' bytes (an SHT_NOBITS `maps` section has none).
  const size = sec.data.length;
  const syms = file.symbols.filter((s) => s.shndx === sec.index && s.type !== STT_SECTION);
  if (syms.length === 0 || size === 0 || size % syms.length !== 0) {
    throw file.error(
      'ELF_BAD_MAP',
      `unable to determine legacy map definition size: ${size} bytes for ${syms.length} map symbols`,
      sec,
      0,
    );
  }
  const defSize = size / syms.length;
  if (defSize < LEGACY_MIN_DEF_SIZE) {
    throw file.error('ELF_BAD_MAP', `legacy map definitions are ${defSize} bytes; type, key_size, value_size and max_entries need ${LEGACY_MIN_DEF_SIZE}`, sec, 0);
  }
  const view = new DataView(sec.data.buffer, sec.data.byteOffset, sec.data.byteLength);
  return syms.map((sym) => {
    if (sym.value + defSize > size) {
      throw file.error('ELF_BAD_MAP', `map '${sym.name}' at ${sym.value}: ${defSize}-byte definition runs past the end of the section`, sec, sym.value);
    }
    const at = sym.value;
    for (let b = LEGACY_DEF_SIZE; b < defSize; b++) {
      if (sec.data[at + b] !== 0) {
        throw file.error('ELF_BAD_MAP', `map '${sym.name}' has unrecognized, non-zero options past struct bpf_map_def`, sec, at + b);
      }
    }
    const field = (i: number) => (i * 4 < defSize ? view.getUint32(at + i * 4, true) : 0);
    const type = field(0);
    checkMapType(file, sym.name, type, sec, at);
    const spec: MapSpec = {
      name: sym.name,
      type,
      typeName: mapTypeName(type),
      keySize: field(1),
      valueSize: field(2),
      maxEntries: field(3),
      flags: field(4),
      pinning: 'none',
      kind: 'legacy',
    };
    return { spec, shndx: sec.index, offset: sym.value, size: defSize };
  });
}

// ---- 2. BTF-defined `.maps` ----

interface BtfMapDef {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  numaNode?: number;
  mapExtra?: number;
  pinning: number;
  keyTypeId?: number;
  valueTypeId?: number;
  inner?: BtfMapDef;
}

/** libbpf's parse_btf_map_def(). `strict`: unknown members are an error (libbpf's default). */
function parseBtfMapDef(file: ElfFile, btf: Btf, mapName: string, def: BtfComposite, isInner: boolean, where: ElfSection, at: number): BtfMapDef {
  const fail = (d: string) => file.error('ELF_BAD_MAP', `map '${mapName}': ${d}`, where, at);
  const out: BtfMapDef = { type: 0, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, pinning: 0 };
  let typeSet = false;
  const intField = (m: { name: string; type: number }): number => {
    const ptr = btf.skipModsAndTypedefs(m.type);
    if (ptr.kind !== 'ptr') throw fail(`attr '${m.name}': expected PTR, got ${ptr.kind}`);
    const arr = btf.type(ptr.type);
    if (arr.kind !== 'array') throw fail(`attr '${m.name}': expected ARRAY, got ${arr.kind}`);
    return arr.nelems;
  };
  const typeField = (m: { name: string; type: number }, what: 'key' | 'value'): { size: number; id: number } => {
    const ptr = btf.type(m.type);
    if (ptr.kind !== 'ptr') throw fail(`${what} spec is not PTR: ${ptr.kind}`);
    let size: number;
    try {
      size = btf.resolveSize(ptr.type);
    } catch (e) {
      throw fail(`can't determine ${what} size for type [${ptr.type}]: ${(e as Error).message}`);
    }
    return { size, id: ptr.type };
  };
  def.members.forEach((m, i) => {
    switch (m.name) {
      case 'type':
        out.type = intField(m);
        typeSet = true;
        break;
      case 'max_entries':
        out.maxEntries = intField(m);
        break;
      case 'map_flags':
        out.flags = intField(m);
        break;
      case 'numa_node':
        out.numaNode = intField(m);
        break;
      case 'map_extra':
        out.mapExtra = intField(m);
        break;
      case 'key_size': {
        const sz = intField(m);
        if (out.keySize && out.keySize !== sz) throw fail(`conflicting key size ${out.keySize} != ${sz}`);
        out.keySize = sz;
        break;
      }
      case 'value_size': {
        const sz = intField(m);
        if (out.valueSize && out.valueSize !== sz) throw fail(`conflicting value size ${out.valueSize} != ${sz}`);
        out.valueSize = sz;
        break;
      }
      case 'key': {
        const { size, id } = typeField(m, 'key');
        if (out.keySize && out.keySize !== size) throw fail(`conflicting key size ${out.keySize} != ${size}`);
        out.keySize = size;
        out.keyTypeId = id;
        break;
      }
      case 'value': {
        const { size, id } = typeField(m, 'value');
        if (out.valueSize && out.valueSize !== size) throw fail(`conflicting value size ${out.valueSize} != ${size}`);
        out.valueSize = size;
        out.valueTypeId = id;
        break;
      }
      case 'values': {
        const mapInMap = out.type === MapType.ARRAY_OF_MAPS || out.type === MapType.HASH_OF_MAPS;
        const progArray = out.type === MapType.PROG_ARRAY;
        if (isInner) throw fail('multi-level inner maps not supported');
        if (i !== def.members.length - 1) throw fail(`'values' member should be last`);
        if (!mapInMap && !progArray) throw fail('should be map-in-map or prog-array');
        if (out.valueSize && out.valueSize !== 4) throw fail(`conflicting value size ${out.valueSize} != 4`);
        out.valueSize = 4;
        const desc = mapInMap ? 'map-in-map inner' : 'prog-array value';
        const arr = btf.type(m.type);
        if (arr.kind !== 'array' || arr.nelems !== 0) throw fail(`${desc} spec is not a zero-sized array`);
        const ptr = btf.skipModsAndTypedefs(arr.type);
        if (ptr.kind !== 'ptr') throw fail(`${desc} def is of unexpected kind ${ptr.kind}`);
        const target = btf.skipModsAndTypedefs(ptr.type);
        if (progArray) {
          if (target.kind !== 'func_proto') throw fail(`prog-array value def is of unexpected kind ${target.kind}`);
          break;
        }
        if (target.kind !== 'struct') throw fail(`map-in-map inner def is of unexpected kind ${target.kind}`);
        out.inner = parseBtfMapDef(file, btf, `${mapName}.inner`, target, true, where, at);
        break;
      }
      case 'pinning': {
        if (isInner) throw fail(`inner def can't be pinned`);
        const v = intField(m);
        if (v !== 0 && v !== LIBBPF_PIN_BY_NAME) throw fail(`invalid pinning value ${v}`);
        out.pinning = v;
        break;
      }
      default:
        throw fail(`unknown field '${m.name}'`);
    }
  });
  if (!typeSet || out.type === 0) throw fail(`map type isn't specified`);
  checkMapType(file, mapName, out.type, where, at);
  return out;
}

function specFromDef(name: string, d: BtfMapDef): MapSpec {
  const spec: MapSpec = {
    name,
    type: d.type,
    typeName: mapTypeName(d.type),
    keySize: d.keySize,
    valueSize: d.valueSize,
    maxEntries: d.type === MapType.RINGBUF ? adjustRingbufSize(d.maxEntries) : d.maxEntries,
    flags: d.flags,
    pinning: d.pinning === LIBBPF_PIN_BY_NAME ? 'by_name' : 'none',
    kind: 'btf',
  };
  if (d.numaNode !== undefined) spec.numaNode = d.numaNode;
  if (d.mapExtra !== undefined) spec.mapExtra = d.mapExtra;
  if (d.keyTypeId !== undefined) spec.keyTypeId = d.keyTypeId;
  if (d.valueTypeId !== undefined) spec.valueTypeId = d.valueTypeId;
  if (d.inner) spec.innerMap = specFromDef(`${name}.inner`, d.inner);
  return spec;
}

/** Maps of the `.maps` section, one per VAR of its DATASEC (libbpf's bpf_object__init_user_btf_maps). */
export function btfMaps(file: ElfFile, btf: Btf | undefined, sec: ElfSection): MapEntry[] {
  if (!btf) throw file.error('ELF_BAD_MAP', 'BTF-defined maps need .BTF, and the object has none', sec, 0);
  const ds = btf.types.find((t): t is BtfDatasec => t.kind === 'datasec' && t.name === sec.name);
  if (!ds) throw file.error('ELF_BAD_MAP', `DATASEC '${sec.name}' not found in .BTF`, sec, 0);
  return ds.vars.map((vi, i) => {
    const v = btf.type(vi.type);
    const mapName = v.name;
    if (!mapName) throw file.error('ELF_BAD_MAP', `map #${i}: empty name`, sec, vi.offset);
    if (vi.offset + vi.size > sec.size) throw file.error('ELF_BAD_MAP', `map '${mapName}' BTF data is corrupted: ${vi.size} bytes at ${vi.offset} run past the section`, sec, vi.offset);
    if (v.kind !== 'var') throw file.error('ELF_BAD_MAP', `map '${mapName}': unexpected var kind ${v.kind}`, sec, vi.offset);
    if (v.linkage === 'extern') throw file.error('ELF_BAD_MAP', `map '${mapName}': unsupported map linkage extern`, sec, vi.offset);
    const def = btf.skipModsAndTypedefs(v.type);
    if (def.kind !== 'struct') throw file.error('ELF_BAD_MAP', `map '${mapName}': unexpected def kind ${def.kind}`, sec, vi.offset);
    if (def.size > vi.size) throw file.error('ELF_BAD_MAP', `map '${mapName}': invalid def size ${def.size} > ${vi.size}`, sec, vi.offset);
    const spec = specFromDef(mapName, parseBtfMapDef(file, btf, mapName, def, false, sec, vi.offset));
    return { spec, shndx: sec.index, offset: vi.offset, size: vi.size, btfVar: v.id };
  });
}

/**
 * `.rel.maps`: initialisers of `values` (libbpf's bpf_object__collect_map_relos). `isEntryProgram`
 * says whether a symbol is an entry program whose code starts at it (prog_array slots hold only those).
 */
export function mapInitSlots(
  file: ElfFile,
  btf: Btf,
  mapsSec: ElfSection,
  relSec: ElfSection,
  entries: MapEntry[],
  isEntryProgram: (sym: ElfSymbol) => boolean,
): void {
  const R_BPF_64_ABS64 = 2;
  for (const rel of file.relocations(relSec)) {
    const at = rel.index * 16;
    const fail = (d: string) => file.error('ELF_BAD_RELOCATION', `.maps relo #${rel.index}: ${d}`, relSec, at);
    if (rel.type !== R_BPF_64_ABS64) throw fail(`unsupported relocation type ${rel.type} (expected R_BPF_64_ABS64)`);
    const sym = file.symbols[rel.symbol];
    if (!sym || rel.symbol === 0) throw fail(`symbol ${rel.symbol} not found (.symtab has ${file.symbols.length})`);
    const name = file.symbolName(sym);
    const entry = entries.find((e) => e.shndx === mapsSec.index && e.offset <= rel.offset && rel.offset + BTF_PTR_SIZE <= e.offset + e.size);
    if (!entry) throw fail(`cannot find map '${name}' at offset ${rel.offset}`);
    const map = entry.spec;
    const mapInMap = map.type === MapType.ARRAY_OF_MAPS || map.type === MapType.HASH_OF_MAPS;
    let slot: { program?: string; map?: string };
    if (mapInMap) {
      if (sym.shndx !== mapsSec.index) throw fail(`'${name}' isn't a BTF-defined map`);
      if (map.type === MapType.HASH_OF_MAPS && map.keySize !== 4) throw fail(`hash-of-maps '${map.name}' should have key size 4`);
      if (!entries.some((e) => e.shndx === mapsSec.index && e.spec.name === name)) throw fail(`'${name}' isn't a valid map reference`);
      slot = { map: name };
    } else if (map.type === MapType.PROG_ARRAY) {
      if (!isEntryProgram(sym)) throw fail(`'${name}' isn't an entry-point program`);
      slot = { program: name };
    } else {
      throw fail(`map '${map.name}' (${map.typeName}) cannot have initial values`);
    }
    // The initialiser lives in the last member, `values`, of the definition.
    const v = entry.btfVar !== undefined ? btf.type(entry.btfVar) : undefined;
    const def = v?.kind === 'var' ? btf.skipModsAndTypedefs(v.type) : undefined;
    const last = def?.kind === 'struct' ? def.members[def.members.length - 1] : undefined;
    if (!last || last.name !== 'values') throw fail(`map '${map.name}' has no 'values' member`);
    const moff = last.bitOffset / 8;
    const rel0 = rel.offset - entry.offset;
    if (rel0 < moff || (rel0 - moff) % BTF_PTR_SIZE !== 0) throw fail(`offset ${rel.offset} is not a slot of '${map.name}'.values`);
    const index = (rel0 - moff) / BTF_PTR_SIZE;
    const slots = (map.initSlots ??= []);
    const existing = slots.findIndex((s) => s.index === index);
    const full = { index, ...slot };
    if (existing >= 0) slots[existing] = full;
    else slots.push(full);
    slots.sort((a, b) => a.index - b.index);
  }
}

// ---- 3. global data ----

export function dataKind(sec: ElfSection): Exclude<MapKind, 'btf' | 'legacy' | 'kconfig'> | undefined {
  const isOrHas = (base: string) => sec.name === base || sec.name.startsWith(base + '.');
  if (sec.size === 0) return undefined;
  if (sec.type === SHT_PROGBITS && (sec.flags & SHF_EXECINSTR) === 0) {
    if (isOrHas('.data')) return 'data';
    if (isOrHas('.rodata')) return 'rodata';
  }
  if (sec.type === SHT_NOBITS && isOrHas('.bss')) return 'bss';
  return undefined;
}

/**
 * libbpf's internal_map_name(): "<object name prefix><section>", cut to 15 characters. Sections with a
 * second dot (".data.custom", ".rodata.str1.1") keep their own name and get no prefix.
 */
export function internalMapName(objectName: string | undefined, section: string): string {
  const max = BPF_OBJ_NAME_LEN - 1;
  const sfxLen = Math.min(Math.max(7, section.length), max);
  const pfxLen = objectName === undefined || section.indexOf('.', 1) >= 0 ? 0 : Math.min(BPF_OBJ_NAME_LEN - sfxLen - 1, objectName.length);
  const name = (objectName ?? '').slice(0, pfxLen) + section.slice(0, sfxLen);
  return name.slice(0, max).replace(/[^A-Za-z0-9_.]/g, '_');
}

/** libbpf's object name: the file's basename up to its first dot, at most 15 characters. */
export function objectNameFromPath(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1).slice(0, BPF_OBJ_NAME_LEN - 1);
  const dot = base.indexOf('.');
  return dot >= 0 ? base.slice(0, dot) : base;
}

export function dataMap(file: ElfFile, sec: ElfSection, kind: 'data' | 'rodata' | 'bss', objectName: string | undefined, btf: Btf | undefined): MapEntry {
  if (sec.size > MAX_DATA_MAP_SIZE) {
    throw file.error('ELF_BAD_SECTION', `${sec.size} bytes is too large for a global data map (at most ${MAX_DATA_MAP_SIZE})`, sec, 0);
  }
  const readonly = kind === 'rodata';
  const spec: MapSpec = {
    name: objectName === undefined ? sec.name : internalMapName(objectName, sec.name),
    type: MapType.ARRAY,
    typeName: 'array',
    keySize: 4,
    valueSize: sec.size,
    maxEntries: 1,
    // libbpf 1.1 makes every global data map mmap()able; the runtime may ignore the flag.
    flags: BPF_F_MMAPABLE | (readonly ? BPF_F_RDONLY_PROG : 0),
    pinning: 'none',
    data: kind === 'bss' ? new Uint8Array(sec.size) : Uint8Array.from(sec.data),
    kind,
  };
  if (readonly) spec.readonly = true;
  const ds = btf?.types.find((t) => t.kind === 'datasec' && t.name === sec.name);
  if (ds) spec.valueTypeId = ds.id;
  return { spec, shndx: sec.index, offset: 0, size: sec.size };
}
