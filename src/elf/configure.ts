// configureObject(): what a libbpf user sets between bpf_object__open and bpf_object__load, on a
// parsed object (ObjectSpec), so an object written for a loader that configures it loads unchanged:
//
//   maxEntries  map name → max_entries                  bpf_map__set_max_entries
//               ('outer.inner' for a map-in-map's inner template, as bpf_map__inner_map)
//   globals     variable name → value                   the skeleton's skel->rodata->x = …, skel->bss->y = …
//               ('.rodata.x' names the section too, when two sections have an `x`)
//   programType a section name libbpf knows ('xdp', 'xdp.frags', 'xdp/devmap', 'sk_lookup'…): every
//               program takes its type and expected attach type — bpf_program__set_type and
//               _set_expected_attach_type, as `bpftool prog load OBJ PATH type xdp` and libxdp's loader
//               set them for objects whose sections name no type (xdp-tutorial's SEC("xdp_vlan01"))
//
// Objects written for such loaders leave these for the loader: xdp-tools' xdp-bench declares
// `rx_cnt` with max_entries 0 and `const volatile int nr_cpus = 0`, and its loader sets both to the
// CPU count before load; loaded as they are, the kernel refuses the map (EINVAL), as wxdp does.
//
// A value is what btfCodec encodes for the variable's BTF type (a number, bigint, boolean, enumerator
// name, string for a char array, array or object), or a Uint8Array of exactly the variable's size.
// Values are written before the maps are created, so .rodata is frozen with them and the verifier
// sees them as constants, as the kernel's does. The spec given is not changed: the result is a copy.

import { WxdpError } from '../errors.js';
import type { BtfDatasec } from './btf.js';
import { btfCodec } from './btf_codec.js';
import { findSectionDef } from './section_defs.js';
import type { MapSpec, ObjectSpec, ProgramSpec } from './spec.js';

export interface ObjectConfig {
  /** Map name → max_entries, as bpf_map__set_max_entries before load. */
  maxEntries?: Readonly<Record<string, number>>;
  /** Global variable (.rodata, .data, .bss and their named sections) → value, as a skeleton sets them. */
  globals?: Readonly<Record<string, unknown>>;
  /** Every program's type, as a section name gives it ('xdp', 'xdp/devmap'…): bpf_program__set_type. */
  programType?: string;
}

/** A copy of `spec` with `config` applied; `spec` itself when there is nothing to apply. */
export function configureObject(spec: ObjectSpec, config: ObjectConfig): ObjectSpec {
  const sizes = Object.entries(config.maxEntries ?? {});
  const vars = Object.entries(config.globals ?? {});
  const where = spec.path ?? 'the object';
  if (config.programType !== undefined) spec = { ...spec, programs: spec.programs.map((p) => typed(p, config.programType!, where)) };
  if (sizes.length === 0 && vars.length === 0) return spec;
  const maps = spec.maps.map((m) => ({ ...m, ...(m.innerMap ? { innerMap: { ...m.innerMap } } : {}) }));

  for (const [name, n] of sizes) {
    const m = findMap(maps, name, where);
    if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) {
      throw new WxdpError('USAGE', `${where}: max_entries of map '${name}': ${String(n)} is not a u32`);
    }
    if (m.kind !== 'btf' && m.kind !== 'legacy') {
      throw new WxdpError('USAGE', `${where}: map '${name}' holds global data (${m.kind}); its max_entries is 1 and cannot be set`);
    }
    m.maxEntries = n;
  }

  for (const [name, value] of vars) {
    const { map, offset, size, typeId } = findVar(spec, maps, name, where);
    const bytes =
      value instanceof Uint8Array ? rawValue(value, size, name, where) : encodeVar(spec, typeId, value, name, where);
    const data = new Uint8Array(map.valueSize);
    if (map.data) data.set(map.data.subarray(0, map.valueSize));
    data.set(bytes, offset);
    map.data = data;
  }
  return { ...spec, maps };
}

/** `p` with the type and attach type libbpf gives a section named `type` (libbpf_prog_type_by_name). */
function typed(p: ProgramSpec, type: string, where: string): ProgramSpec {
  const def = findSectionDef(type);
  if (!def || def.type === 'unspec') {
    throw new WxdpError('USAGE', `${where}: program type '${type}' is none libbpf knows (a section name such as xdp, xdp.frags, xdp/devmap, xdp/cpumap, sk_lookup)`);
  }
  const out: ProgramSpec = { ...p, type: def.type };
  delete out.attachType;
  delete out.frags;
  delete out.sleepable;
  if (def.attachType !== undefined) out.attachType = def.attachType;
  if (def.frags) out.frags = true;
  if (def.sleepable) out.sleepable = true;
  return out;
}

function findMap(maps: MapSpec[], name: string, where: string): MapSpec {
  for (const m of maps) {
    if (m.name === name) return m;
    if (m.innerMap?.name === name) return m.innerMap;
  }
  const names = maps.flatMap((m) => (m.innerMap ? [m.name, m.innerMap.name] : [m.name]));
  throw new WxdpError('NOT_FOUND', `${where}: no map '${name}' (maps: ${names.join(', ') || 'none'})`);
}

interface VarSlot {
  map: MapSpec;
  offset: number;
  size: number;
  typeId: number;
}

/** The variable `name` (or `SECTION.name`) in the global data maps' DATASECs. */
function findVar(spec: ObjectSpec, maps: MapSpec[], name: string, where: string): VarSlot {
  const btf = spec.btf;
  if (!btf) throw new WxdpError('USAGE', `${where}: has no BTF, so its global variables have no names to set ('${name}')`);
  const dot = name.lastIndexOf('.');
  const section = dot > 0 ? name.slice(0, dot) : undefined;
  const varName = dot > 0 ? name.slice(dot + 1) : name;
  const found: Array<VarSlot & { section: string }> = [];
  const all: string[] = [];
  for (const map of maps) {
    if ((map.kind !== 'data' && map.kind !== 'rodata' && map.kind !== 'bss') || map.valueTypeId === undefined) continue;
    const ds = btf.type(map.valueTypeId) as BtfDatasec;
    if (ds.kind !== 'datasec') continue;
    for (const vi of ds.vars) {
      const v = btf.type(vi.type);
      all.push(v.name);
      if (v.name !== varName || (section !== undefined && ds.name !== section)) continue;
      found.push({ map, offset: vi.offset, size: vi.size, typeId: vi.type, section: ds.name });
    }
  }
  if (found.length === 0) {
    const kconfig = spec.maps.some((m) => m.kconfig?.some((k) => k.name === varName));
    if (kconfig) throw new WxdpError('USAGE', `${where}: '${name}' is a .kconfig extern, which the loader fills in; it cannot be set`);
    throw new WxdpError('NOT_FOUND', `${where}: no global variable '${name}' (variables: ${all.join(', ') || 'none'})`);
  }
  if (found.length > 1) {
    throw new WxdpError('USAGE', `${where}: '${name}' is in ${found.map((f) => f.section).join(' and ')}; name one as SECTION.${varName}`);
  }
  return found[0]!;
}

function rawValue(value: Uint8Array, size: number, name: string, where: string): Uint8Array {
  if (value.length !== size) throw new WxdpError('USAGE', `${where}: '${name}' is ${size} bytes, the value given ${value.length}`);
  return value;
}

function encodeVar(spec: ObjectSpec, typeId: number, value: unknown, name: string, where: string): Uint8Array {
  try {
    return btfCodec(spec.btf!, typeId).encode(value);
  } catch (e) {
    if (e instanceof WxdpError) throw new WxdpError('USAGE', `${where}: global '${name}': ${e.message}`);
    throw e;
  }
}
