// BTF, the BPF Type Format (.BTF section; kernel Documentation/bpf/btf.rst).
//
//   header (24 bytes):   magic u16 = 0xeb9f · version u8 = 1 · flags u8 · hdr_len u32 ·
//                        type_off u32 · type_len u32 · str_off u32 · str_len u32
//                        (offsets count from the end of the header)
//   type section:        one record per type, ids from 1 in order (id 0 is `void`):
//
//     +-------------+---------------------------------------------+------------------+
//     | name_off u32| info u32: kind_flag:1 | -:2 | kind:5 | -:8 | vlen:16 | size/type u32 |
//     +-------------+---------------------------------------------+------------------+
//     followed by kind-specific data:
//       INT        u32 encoding:4 (bit 24: SIGNED 1, CHAR 2, BOOL 4) · offset:8 (bit 16) · bits:8
//       ARRAY      type u32 · index_type u32 · nelems u32
//       STRUCT/UNION vlen × { name_off u32 · type u32 · offset u32 }
//                  (kind_flag set: offset = bitfield_size << 24 | bit_offset)
//       ENUM       vlen × { name_off u32 · val s32 }       (kind_flag: signed)
//       ENUM64     vlen × { name_off u32 · lo u32 · hi u32 }
//       FUNC_PROTO vlen × { name_off u32 · type u32 }
//       VAR        linkage u32
//       DATASEC    vlen × { type u32 · offset u32 · size u32 }
//       DECL_TAG   component_idx s32
//   string section:      NUL-terminated names, offset 0 is the empty string.

import { ElfError } from './error.js';
import { ByteReader, cstring } from './reader.js';

export const BTF_MAGIC = 0xeb9f;
/** libbpf's MAX_RESOLVE_DEPTH: modifier/typedef chains longer than this are treated as loops. */
export const MAX_RESOLVE_DEPTH = 32;
/** Pointer size on the BPF target. */
export const BTF_PTR_SIZE = 8;

export const BtfKind = {
  UNKN: 0,
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;

const KIND_NAMES = [
  'unkn', 'int', 'ptr', 'array', 'struct', 'union', 'enum', 'fwd', 'typedef', 'volatile', 'const',
  'restrict', 'func', 'func_proto', 'var', 'datasec', 'float', 'decl_tag', 'type_tag', 'enum64',
] as const;
export type BtfKindName = Exclude<(typeof KIND_NAMES)[number], 'unkn'>;

export const BTF_INT_SIGNED = 1;
export const BTF_INT_CHAR = 2;
export const BTF_INT_BOOL = 4;

export type BtfLinkage = 'static' | 'global' | 'extern';
const LINKAGE: BtfLinkage[] = ['static', 'global', 'extern'];

interface Base {
  id: number;
  /** '' for anonymous types. */
  name: string;
}
export interface BtfVoid extends Base { kind: 'void' }
export interface BtfInt extends Base {
  kind: 'int';
  size: number;
  signed: boolean;
  char: boolean;
  bool: boolean;
  /** Bit offset and width inside `size` bytes (old-style bitfields; usually 0 and size * 8). */
  bitOffset: number;
  bits: number;
}
export interface BtfRef extends Base {
  kind: 'ptr' | 'typedef' | 'volatile' | 'const' | 'restrict' | 'type_tag';
  type: number;
}
export interface BtfArray extends Base { kind: 'array'; type: number; indexType: number; nelems: number }
export interface BtfMember {
  name: string;
  type: number;
  /** Offset of the member from the start of the struct, in bits. */
  bitOffset: number;
  /** Width of a bitfield in bits; 0 for ordinary members. */
  bitfieldSize: number;
}
export interface BtfComposite extends Base { kind: 'struct' | 'union'; size: number; members: BtfMember[] }
export interface BtfEnum extends Base { kind: 'enum'; size: number; signed: boolean; values: { name: string; value: number }[] }
export interface BtfEnum64 extends Base { kind: 'enum64'; size: number; signed: boolean; values: { name: string; value: bigint }[] }
export interface BtfFwd extends Base { kind: 'fwd'; union: boolean }
export interface BtfFunc extends Base { kind: 'func'; type: number; linkage: BtfLinkage }
export interface BtfFuncProto extends Base { kind: 'func_proto'; returnType: number; params: { name: string; type: number }[] }
export interface BtfVar extends Base { kind: 'var'; type: number; linkage: BtfLinkage }
export interface BtfVarSecinfo { type: number; offset: number; size: number }
export interface BtfDatasec extends Base { kind: 'datasec'; size: number; vars: BtfVarSecinfo[] }
export interface BtfFloat extends Base { kind: 'float'; size: number }
export interface BtfDeclTag extends Base { kind: 'decl_tag'; type: number; componentIdx: number }

export type BtfType =
  | BtfVoid
  | BtfInt
  | BtfRef
  | BtfArray
  | BtfComposite
  | BtfEnum
  | BtfEnum64
  | BtfFwd
  | BtfFunc
  | BtfFuncProto
  | BtfVar
  | BtfDatasec
  | BtfFloat
  | BtfDeclTag;

/** A parsed .BTF section. `types[id]`, with `types[0]` the void type. */
export class Btf {
  private constructor(
    readonly types: BtfType[],
    /** The string section, for .BTF.ext records that point into it. */
    readonly strings: Uint8Array,
    /** Byte offset of each type's record in the section, by id (0 for void). */
    private readonly offsets: number[],
    private readonly path: string | undefined,
    private readonly section: string,
  ) {}

  /** An ElfError with code BTF_INVALID, located at the record of type `id` when given. */
  error(detail: string, id?: number): ElfError {
    const offset = id !== undefined && id > 0 ? this.offsets[id] : undefined;
    return new ElfError('BTF_INVALID', detail, { path: this.path, section: this.section, offset });
  }

  get count(): number {
    return this.types.length;
  }

  type(id: number): BtfType {
    const t = Number.isInteger(id) && id >= 0 ? this.types[id] : undefined;
    if (!t) throw this.error(`type id ${id} is out of range (${this.types.length - 1} types)`);
    return t;
  }

  /** A string of the string section, or undefined when `off` is not a valid offset. */
  string(off: number): string | undefined {
    return cstring(this.strings, off);
  }

  /** The first type named `name`, optionally of one kind. */
  find(name: string, kind?: BtfType['kind']): BtfType | undefined {
    return this.types.find((t) => t.name === name && (kind === undefined || t.kind === kind));
  }

  /** Follow typedefs and const/volatile/restrict/type_tag to the underlying type (libbpf skip_mods_and_typedefs). */
  skipModsAndTypedefs(id: number): BtfType {
    let t = this.type(id);
    for (let depth = 0; ; depth++) {
      if (t.kind !== 'typedef' && t.kind !== 'volatile' && t.kind !== 'const' && t.kind !== 'restrict' && t.kind !== 'type_tag') return t;
      if (depth >= MAX_RESOLVE_DEPTH) throw this.error(`type [${id}]: typedef/modifier chain longer than ${MAX_RESOLVE_DEPTH} (a loop?)`, id);
      t = this.type(t.type);
    }
  }

  /** Size in bytes of a type, as libbpf's btf__resolve_size. Throws for types without a size (void, func, fwd). */
  resolveSize(id: number): number {
    let nelems = 1;
    let t = this.type(id);
    for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
      switch (t.kind) {
        case 'int':
        case 'struct':
        case 'union':
        case 'enum':
        case 'enum64':
        case 'datasec':
        case 'float':
          return checkedSize(this, id, nelems, t.size);
        case 'ptr':
          return checkedSize(this, id, nelems, BTF_PTR_SIZE);
        case 'typedef':
        case 'volatile':
        case 'const':
        case 'restrict':
        case 'var':
        case 'decl_tag':
        case 'type_tag':
          t = this.type(t.type);
          break;
        case 'array':
          if (nelems && t.nelems > Math.floor(0xffffffff / nelems)) throw this.error(`type [${id}]: array size overflows 32 bits`, id);
          nelems *= t.nelems;
          t = this.type(t.type);
          break;
        default:
          throw this.error(`type [${id}]: ${describe(t)} has no size`, id);
      }
    }
    throw this.error(`type [${id}]: chain longer than ${MAX_RESOLVE_DEPTH} types (a loop?)`, id);
  }

  /** Alignment of a type, as libbpf's btf__align_of (1 for packed structs). */
  alignOf(id: number, depth = 0): number {
    if (depth > MAX_RESOLVE_DEPTH) throw this.error(`type [${id}]: nesting deeper than ${MAX_RESOLVE_DEPTH} (a loop?)`, id);
    const t = this.type(id);
    switch (t.kind) {
      case 'int':
      case 'enum':
      case 'enum64':
      case 'float':
        return Math.min(BTF_PTR_SIZE, t.size);
      case 'ptr':
        return BTF_PTR_SIZE;
      case 'typedef':
      case 'volatile':
      case 'const':
      case 'restrict':
      case 'type_tag':
        return this.alignOf(t.type, depth + 1);
      case 'array':
        return this.alignOf(t.type, depth + 1);
      case 'struct':
      case 'union': {
        let max = 1;
        for (const m of t.members) {
          const a = this.alignOf(m.type, depth + 1);
          max = Math.max(max, a);
          if (m.bitfieldSize === 0 && m.bitOffset % (8 * a) !== 0) return 1;
        }
        return t.size % max !== 0 ? 1 : max;
      }
      default:
        throw this.error(`type [${id}]: ${describe(t)} has no alignment`, id);
    }
  }

  /** `[id] KIND 'name'`, as bpftool prints a type. */
  describe(id: number): string {
    return `[${id}] ${describe(this.type(id))}`;
  }

  /**
   * Parse a .BTF section. Checks the header, that every record fits the type section, that every
   * kind is known, that every name offset is inside the string section and that every referenced
   * type id exists.
   */
  static parse(data: Uint8Array, opts: { path?: string | undefined; section?: string } = {}): Btf {
    const section = opts.section ?? '.BTF';
    const fail = (offset: number | undefined, detail: string) =>
      new ElfError('BTF_INVALID', detail, { path: opts.path, section, offset });
    const r = new ByteReader(data, (o, d) => fail(o, d));
    if (data.length < 24) throw fail(0, `${data.length} bytes is shorter than the 24-byte BTF header`);
    const magic = r.u16(0);
    if (magic !== BTF_MAGIC) {
      throw fail(0, magic === 0x9feb ? 'big-endian BTF is not supported' : `bad magic 0x${magic.toString(16)} (expected 0xeb9f)`);
    }
    const version = r.u8(2);
    if (version !== 1) throw fail(2, `unsupported BTF version ${version}`);
    const flags = r.u8(3);
    if (flags !== 0) throw fail(3, `unsupported BTF flags 0x${flags.toString(16)}`);
    const hdrLen = r.u32(4);
    if (hdrLen < 24 || hdrLen > data.length) throw fail(4, `header length ${hdrLen} is out of range`);
    const typeOff = r.u32(8);
    const typeLen = r.u32(12);
    const strOff = r.u32(16);
    const strLen = r.u32(20);
    const body = data.length - hdrLen;
    if (typeOff % 4 !== 0) throw fail(8, `type section offset ${typeOff} is not 4-byte aligned`);
    if (typeOff + typeLen > body) throw fail(8, `type section (${typeLen} bytes at ${typeOff}) runs past the end (${body} bytes after the header)`);
    if (strOff + strLen > body) throw fail(16, `string section (${strLen} bytes at ${strOff}) runs past the end (${body} bytes after the header)`);
    if (typeOff < strOff ? typeOff + typeLen > strOff : strOff + strLen > typeOff) throw fail(8, 'type and string sections overlap');
    const strings = data.subarray(hdrLen + strOff, hdrLen + strOff + strLen);
    if (strLen === 0 || strings[0] !== 0) throw fail(hdrLen + strOff, 'string section must start with the empty string');
    if (strings[strLen - 1] !== 0) throw fail(hdrLen + strOff + strLen - 1, 'string section is not NUL-terminated');

    const types: BtfType[] = [{ kind: 'void', id: 0, name: '' }];
    const offsets: number[] = [0];
    const refs: { id: number; ref: number; at: number }[] = [];
    const start = hdrLen + typeOff;
    const end = start + typeLen;
    let off = start;
    const name = (at: number, nameOff: number): string => {
      const s = cstring(strings, nameOff);
      if (s === undefined) throw fail(at, `name offset ${nameOff} is outside the string section (${strLen} bytes)`);
      return s;
    };
    const need = (at: number, n: number, what: string) => {
      if (at + n > end) throw fail(at, `${what} runs past the end of the type section`);
    };
    while (off < end) {
      const id = types.length;
      const at = off;
      need(at, 12, `type [${id}]`);
      const nameOff = r.u32(at);
      const info = r.u32(at + 4);
      const sizeOrType = r.u32(at + 8);
      const vlen = info & 0xffff;
      const kind = (info >>> 24) & 0x1f;
      const kflag = info >>> 31 === 1;
      const n = name(at, nameOff);
      off = at + 12;
      const ref = (t: number, where: number) => refs.push({ id, ref: t, at: where });
      let t: BtfType;
      switch (kind) {
        case BtfKind.INT: {
          need(off, 4, `INT [${id}]`);
          const enc = r.u32(off);
          const encoding = (enc >>> 24) & 0xf;
          const bits = enc & 0xff;
          const bitOffset = (enc >>> 16) & 0xff;
          if (sizeOrType === 0 || sizeOrType > 16) throw fail(at, `INT [${id}] has size ${sizeOrType}`);
          if (bits === 0 || bits + bitOffset > sizeOrType * 8) throw fail(off, `INT [${id}]: ${bits} bits at offset ${bitOffset} do not fit ${sizeOrType} bytes`);
          t = {
            kind: 'int', id, name: n, size: sizeOrType,
            signed: (encoding & BTF_INT_SIGNED) !== 0, char: (encoding & BTF_INT_CHAR) !== 0, bool: (encoding & BTF_INT_BOOL) !== 0,
            bitOffset, bits,
          };
          off += 4;
          break;
        }
        case BtfKind.PTR:
        case BtfKind.TYPEDEF:
        case BtfKind.VOLATILE:
        case BtfKind.CONST:
        case BtfKind.RESTRICT:
        case BtfKind.TYPE_TAG:
          t = { kind: KIND_NAMES[kind] as BtfRef['kind'], id, name: n, type: sizeOrType };
          ref(sizeOrType, at + 8);
          break;
        case BtfKind.ARRAY: {
          need(off, 12, `ARRAY [${id}]`);
          t = { kind: 'array', id, name: n, type: r.u32(off), indexType: r.u32(off + 4), nelems: r.u32(off + 8) };
          ref(t.type, off);
          ref(t.indexType, off + 4);
          off += 12;
          break;
        }
        case BtfKind.STRUCT:
        case BtfKind.UNION: {
          need(off, vlen * 12, `${kind === BtfKind.STRUCT ? 'STRUCT' : 'UNION'} [${id}] members`);
          const members: BtfMember[] = [];
          for (let i = 0; i < vlen; i++, off += 12) {
            const raw = r.u32(off + 8);
            const m: BtfMember = {
              name: name(off, r.u32(off)),
              type: r.u32(off + 4),
              bitOffset: kflag ? raw & 0xffffff : raw,
              bitfieldSize: kflag ? raw >>> 24 : 0,
            };
            ref(m.type, off + 4);
            members.push(m);
          }
          t = { kind: kind === BtfKind.STRUCT ? 'struct' : 'union', id, name: n, size: sizeOrType, members };
          break;
        }
        case BtfKind.ENUM: {
          need(off, vlen * 8, `ENUM [${id}] values`);
          const values: { name: string; value: number }[] = [];
          for (let i = 0; i < vlen; i++, off += 8) values.push({ name: name(off, r.u32(off)), value: kflag ? r.i32(off + 4) : r.u32(off + 4) });
          if (![1, 2, 4, 8].includes(sizeOrType)) throw fail(at, `ENUM [${id}] has size ${sizeOrType}`);
          t = { kind: 'enum', id, name: n, size: sizeOrType, signed: kflag, values };
          break;
        }
        case BtfKind.ENUM64: {
          need(off, vlen * 12, `ENUM64 [${id}] values`);
          const values: { name: string; value: bigint }[] = [];
          for (let i = 0; i < vlen; i++, off += 12) {
            const v = (BigInt(r.u32(off + 8)) << 32n) | BigInt(r.u32(off + 4));
            values.push({ name: name(off, r.u32(off)), value: kflag ? BigInt.asIntN(64, v) : v });
          }
          if (![1, 2, 4, 8].includes(sizeOrType)) throw fail(at, `ENUM64 [${id}] has size ${sizeOrType}`);
          t = { kind: 'enum64', id, name: n, size: sizeOrType, signed: kflag, values };
          break;
        }
        case BtfKind.FWD:
          t = { kind: 'fwd', id, name: n, union: kflag };
          break;
        case BtfKind.FUNC: {
          const linkage = LINKAGE[vlen];
          if (!linkage) throw fail(at, `FUNC [${id}] has linkage ${vlen}`);
          t = { kind: 'func', id, name: n, type: sizeOrType, linkage };
          ref(sizeOrType, at + 8);
          break;
        }
        case BtfKind.FUNC_PROTO: {
          need(off, vlen * 8, `FUNC_PROTO [${id}] params`);
          const params: { name: string; type: number }[] = [];
          for (let i = 0; i < vlen; i++, off += 8) {
            params.push({ name: name(off, r.u32(off)), type: r.u32(off + 4) });
            ref(params[i]!.type, off + 4);
          }
          t = { kind: 'func_proto', id, name: n, returnType: sizeOrType, params };
          ref(sizeOrType, at + 8);
          break;
        }
        case BtfKind.VAR: {
          need(off, 4, `VAR [${id}]`);
          const linkage = LINKAGE[r.u32(off)];
          if (!linkage) throw fail(off, `VAR [${id}] has linkage ${r.u32(off)}`);
          t = { kind: 'var', id, name: n, type: sizeOrType, linkage };
          ref(sizeOrType, at + 8);
          off += 4;
          break;
        }
        case BtfKind.DATASEC: {
          need(off, vlen * 12, `DATASEC [${id}] variables`);
          const vars: BtfVarSecinfo[] = [];
          for (let i = 0; i < vlen; i++, off += 12) {
            vars.push({ type: r.u32(off), offset: r.u32(off + 4), size: r.u32(off + 8) });
            ref(vars[i]!.type, off);
          }
          t = { kind: 'datasec', id, name: n, size: sizeOrType, vars };
          break;
        }
        case BtfKind.FLOAT:
          if (![2, 4, 8, 12, 16].includes(sizeOrType)) throw fail(at, `FLOAT [${id}] has size ${sizeOrType}`);
          t = { kind: 'float', id, name: n, size: sizeOrType };
          break;
        case BtfKind.DECL_TAG:
          need(off, 4, `DECL_TAG [${id}]`);
          t = { kind: 'decl_tag', id, name: n, type: sizeOrType, componentIdx: r.i32(off) };
          ref(sizeOrType, at + 8);
          off += 4;
          break;
        default:
          throw fail(at, `type [${id}] has unknown kind ${kind}`);
      }
      types.push(t);
      offsets.push(at);
    }
    for (const { id, ref, at } of refs) {
      if (ref >= types.length) throw fail(at, `type [${id}] refers to type id ${ref}, but there are only ${types.length - 1} types`);
    }
    // Kinds that must point at a specific kind of type.
    for (const t of types) {
      if (t.kind === 'func' && types[t.type]!.kind !== 'func_proto') throw fail(offsets[t.id], `FUNC [${t.id}] '${t.name}' does not point to a FUNC_PROTO`);
      if (t.kind === 'datasec') {
        for (const v of t.vars) {
          const k = types[v.type]!.kind;
          if (k !== 'var' && k !== 'func') throw fail(offsets[t.id], `DATASEC [${t.id}] '${t.name}' holds ${k} [${v.type}], not a VAR`);
        }
      }
    }
    return new Btf(types, strings, offsets, opts.path, section);
  }
}

function checkedSize(btf: Btf, id: number, nelems: number, size: number): number {
  if (nelems && size > Math.floor(0xffffffff / nelems)) throw btf.error(`type [${id}]: size overflows 32 bits`, id);
  return nelems * size;
}

function describe(t: BtfType): string {
  return `${t.kind.toUpperCase()} '${t.name || '(anon)'}'`;
}
