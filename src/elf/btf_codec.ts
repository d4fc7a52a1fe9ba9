// btfCodec(): read and write map keys and values as typed JS values, driven by BTF.
//
//   INT        size ≤ 4 → number, larger → bigint (two's complement when signed); BOOL encoding → boolean
//   ENUM       the enumerator's name when the value has one, else the number (bigint for ENUM64 > 4 bytes)
//   FLOAT      4 and 8 bytes → number; other sizes → Uint8Array
//   PTR        bigint (a 64-bit address)
//   ARRAY      of `char` (an INT of 1 byte named "char" or with CHAR encoding, as bpftool) → string
//              (latin1, up to the first NUL; encode accepts a string or bytes, zero-filled);
//              of anything else → an array
//   STRUCT     an object by member name; members of anonymous struct/union members are lifted into the
//              parent, as in C; bitfields (either BTF encoding) read and write their bits in place
//   UNION      an object with every member decoded from the same bytes; encode writes the members given
//   TYPEDEF, CONST, VOLATILE, RESTRICT, TYPE_TAG → the type they name
//   VAR        its type;  DATASEC → an object by variable name (a global data map's value, as bpftool shows it)
//
// encode() starts from zeros: members left out stay 0.

import { WxdpError } from '../errors.js';
import type { Btf, BtfType } from './btf.js';

export interface BtfCodec<T = unknown> {
  /** Bytes of the encoded value. */
  readonly size: number;
  /** Decode the first `size` bytes. */
  decode(bytes: Uint8Array): T;
  /** Encode to `size` bytes. */
  encode(value: T): Uint8Array;
}

const MAX_DEPTH = 64;
/** encode() allocates the whole value; refuse sizes no map value can have. */
const MAX_ENCODE = 1 << 30;

interface Node {
  size: number;
  read(v: DataView, off: number): unknown;
  write(v: DataView, off: number, value: unknown, path: string): void;
}

/** Members a struct contributes to its object, including lifted members of anonymous members. */
interface CompositeNode extends Node {
  keys: Set<string>;
  readInto(v: DataView, off: number, into: Record<string, unknown>): void;
  writeFrom(v: DataView, off: number, value: Record<string, unknown>, path: string): void;
}

export function btfCodec<T = unknown>(btf: Btf, typeId: number): BtfCodec<T> {
  const node = build(btf, typeId, 0);
  return {
    size: node.size,
    decode(bytes: Uint8Array): T {
      if (bytes.length < node.size) throw usage(`${btf.describe(typeId)} needs ${node.size} bytes, got ${bytes.length}`);
      return node.read(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0) as T;
    },
    encode(value: T): Uint8Array {
      if (node.size > MAX_ENCODE) throw usage(`${btf.describe(typeId)} is ${node.size} bytes, too large to encode (at most ${MAX_ENCODE})`);
      const out = new Uint8Array(node.size);
      node.write(new DataView(out.buffer), 0, value, 'value');
      return out;
    },
  };
}

const usage = (m: string) => new WxdpError('USAGE', m);

function build(btf: Btf, id: number, depth: number): Node {
  if (depth > MAX_DEPTH) throw btf.error(`type [${id}]: nested deeper than ${MAX_DEPTH} types (a loop?)`, id);
  const t = btf.type(id);
  switch (t.kind) {
    case 'int':
      return intNode(t.size, t.signed, t.bool, t.bitOffset, t.bits);
    case 'enum':
    case 'enum64':
      return enumNode(t);
    case 'float':
      return floatNode(t.size);
    case 'ptr':
      return intNode(8, false, false, 0, 64);
    case 'typedef':
    case 'const':
    case 'volatile':
    case 'restrict':
    case 'type_tag':
    case 'var':
      return build(btf, t.type, depth + 1);
    case 'array':
      return arrayNode(btf, t.type, t.nelems, depth);
    case 'struct':
    case 'union':
      return compositeNode(btf, t, depth);
    case 'datasec':
      return datasecNode(btf, t, depth);
    default:
      throw btf.error(`${btf.describe(id)} has no size; it cannot be encoded`, id);
  }
}

// ---- integers, including bitfields ----

function readBits(v: DataView, off: number, bitOffset: number, bits: number): bigint {
  const first = off + (bitOffset >> 3);
  const shift = bitOffset & 7;
  const nbytes = Math.ceil((shift + bits) / 8);
  let x = 0n;
  for (let i = nbytes - 1; i >= 0; i--) x = (x << 8n) | BigInt(v.getUint8(first + i));
  return (x >> BigInt(shift)) & ((1n << BigInt(bits)) - 1n);
}

function writeBits(v: DataView, off: number, bitOffset: number, bits: number, value: bigint): void {
  const first = off + (bitOffset >> 3);
  const shift = BigInt(bitOffset & 7);
  const nbytes = Math.ceil((Number(shift) + bits) / 8);
  let x = 0n;
  for (let i = nbytes - 1; i >= 0; i--) x = (x << 8n) | BigInt(v.getUint8(first + i));
  const mask = ((1n << BigInt(bits)) - 1n) << shift;
  x = (x & ~mask) | ((BigInt.asUintN(bits, value) << shift) & mask);
  for (let i = 0; i < nbytes; i++) {
    v.setUint8(first + i, Number(x & 0xffn));
    x >>= 8n;
  }
}

function toBigInt(value: unknown, path: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'boolean') return value ? 1n : 0n;
  throw usage(`${path}: expected an integer, got ${describeValue(value)}`);
}

function checkRange(x: bigint, bits: number, signed: boolean, path: string): void {
  const lo = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const hi = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  if (x < lo || x > hi) throw usage(`${path}: ${x} does not fit ${signed ? 'a signed' : 'an unsigned'} ${bits}-bit integer`);
}

/**
 * An integer of `size` bytes whose value is `bits` bits at `bitOffset` (a whole INT, a bitfield, or an
 * INT with an encoded offset). `asNumber`: the JS type follows the declared size (≤ 4 bytes → number).
 */
function bitsNode(size: number, signed: boolean, bool: boolean, bitOffset: number, bits: number, asNumber: boolean): Node {
  return {
    size,
    read(v, off) {
      let x = readBits(v, off, bitOffset, bits);
      if (signed) x = BigInt.asIntN(bits, x);
      if (bool) return x !== 0n;
      return asNumber ? Number(x) : x;
    },
    write(v, off, value, path) {
      const x = toBigInt(value, path);
      checkRange(x, bits, signed, path);
      writeBits(v, off, bitOffset, bits, x);
    },
  };
}

function intNode(size: number, signed: boolean, bool: boolean, bitOffset: number, bits: number): Node {
  return bitsNode(size, signed, bool, bitOffset, bits, size <= 4);
}

function enumNode(t: Extract<BtfType, { kind: 'enum' | 'enum64' }>): Node {
  return mapEnum(bitsNode(t.size, t.signed, false, 0, t.size * 8, t.size <= 4), t, t.size * 8);
}

/** Enumerator names over an integer node of `bits` bits: decode to the name when the value has one. */
function mapEnum(base: Node, t: Extract<BtfType, { kind: 'enum' | 'enum64' }>, bits: number): Node {
  // BTF enums written without kind_flag (clang 14) store negative values as unsigned: compare bit patterns.
  const pattern = (x: bigint) => BigInt.asUintN(bits, x).toString();
  const byValue = new Map<string, string>();
  const byName = new Map<string, bigint>();
  for (const e of t.values) {
    const v = BigInt(e.value);
    if (!byValue.has(pattern(v))) byValue.set(pattern(v), e.name);
    byName.set(e.name, v);
  }
  const fit = (x: bigint) => (t.signed ? BigInt.asIntN(bits, x) : BigInt.asUintN(bits, x));
  return {
    size: base.size,
    read(v, off) {
      const raw = base.read(v, off) as number | bigint;
      return byValue.get(pattern(BigInt(raw))) ?? raw;
    },
    write(v, off, value, path) {
      let x: bigint;
      if (typeof value === 'string') {
        const named = byName.get(value);
        if (named === undefined) throw usage(`${path}: '${value}' is not an enumerator of enum ${t.name || '(anon)'}`);
        x = fit(named);
      } else {
        x = toBigInt(value, path);
        // Either reading of the bit pattern is accepted (-1 and 0xffffffff for a 4-byte enum).
        if (x >= -(1n << BigInt(bits - 1)) && x <= (1n << BigInt(bits)) - 1n) x = fit(x);
      }
      base.write(v, off, x, path);
    },
  };
}

function floatNode(size: number): Node {
  if (size === 4 || size === 8) {
    return {
      size,
      read: (v, off) => (size === 4 ? v.getFloat32(off, true) : v.getFloat64(off, true)),
      write(v, off, value, path) {
        if (typeof value !== 'number') throw usage(`${path}: expected a number, got ${describeValue(value)}`);
        if (size === 4) v.setFloat32(off, value, true);
        else v.setFloat64(off, value, true);
      },
    };
  }
  return bytesNode(size);
}

function bytesNode(size: number): Node {
  return {
    size,
    read: (v, off) => new Uint8Array(v.buffer.slice(v.byteOffset + off, v.byteOffset + off + size)),
    write(v, off, value, path) {
      const b = toBytes(value, size, path);
      for (let i = 0; i < b.length; i++) v.setUint8(off + i, b[i]!);
    },
  };
}

function toBytes(value: unknown, max: number, path: string): Uint8Array {
  let b: Uint8Array;
  if (value instanceof Uint8Array) b = value;
  else if (Array.isArray(value) && value.every((x) => Number.isInteger(x) && x >= 0 && x <= 255)) b = Uint8Array.from(value as number[]);
  else throw usage(`${path}: expected bytes, got ${describeValue(value)}`);
  if (b.length > max) throw usage(`${path}: ${b.length} bytes do not fit ${max}`);
  return b;
}

// ---- arrays ----

function isCharType(btf: Btf, id: number): boolean {
  // As bpftool's is_str_array(): skip modifiers but not typedefs; an INT of 1 byte that is "char" or CHAR-encoded.
  let t = btf.type(id);
  for (let i = 0; i < MAX_DEPTH && (t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict' || t.kind === 'type_tag'); i++) t = btf.type(t.type);
  return t.kind === 'int' && t.size === 1 && (t.char || t.name === 'char');
}

function arrayNode(btf: Btf, elemId: number, n: number, depth: number): Node {
  if (isCharType(btf, elemId)) {
    return {
      size: n,
      read(v, off) {
        let s = '';
        for (let i = 0; i < n; i++) {
          const c = v.getUint8(off + i);
          if (c === 0) break;
          s += String.fromCharCode(c);
        }
        return s;
      },
      write(v, off, value, path) {
        let b: Uint8Array;
        if (typeof value === 'string') {
          b = Uint8Array.from(value, (ch) => {
            const c = ch.charCodeAt(0);
            if (c > 0xff) throw usage(`${path}: character '${ch}' is not latin1`);
            return c;
          });
          if (b.length > n) throw usage(`${path}: string of ${b.length} characters does not fit char[${n}]`);
        } else {
          b = toBytes(value, n, path);
        }
        for (let i = 0; i < b.length; i++) v.setUint8(off + i, b[i]!);
      },
    };
  }
  const elem = build(btf, elemId, depth + 1);
  return {
    size: elem.size * n,
    read(v, off) {
      return Array.from({ length: n }, (_, i) => elem.read(v, off + i * elem.size));
    },
    write(v, off, value, path) {
      const list = ArrayBuffer.isView(value) ? Array.from(value as unknown as ArrayLike<unknown>) : value;
      if (!Array.isArray(list)) throw usage(`${path}: expected an array, got ${describeValue(value)}`);
      if (list.length > n) throw usage(`${path}: ${list.length} elements do not fit [${n}]`);
      list.forEach((x, i) => elem.write(v, off + i * elem.size, x, `${path}[${i}]`));
    },
  };
}

// ---- structs, unions, datasecs ----

interface Field {
  name: string;
  /** Byte offset of the field (of its storage unit, for bitfields). */
  offset: number;
  node: Node;
  /** Set for anonymous struct/union members, whose fields belong to the parent. */
  lifted?: CompositeNode;
}

function compositeNode(btf: Btf, t: Extract<BtfType, { kind: 'struct' | 'union' }>, depth: number): CompositeNode {
  const fields: Field[] = [];
  for (const m of t.members) {
    const target = btf.skipModsAndTypedefs(m.type);
    if (m.name === '') {
      if (target.kind === 'struct' || target.kind === 'union') {
        if (m.bitOffset % 8 !== 0) throw btf.error(`${btf.describe(t.id)}: anonymous member at bit ${m.bitOffset} is not byte-aligned`, t.id);
        const inner = compositeNode(btf, target, depth + 1);
        if (m.bitOffset / 8 + inner.size > t.size) throw btf.error(`${btf.describe(t.id)}: anonymous member runs past the end`, t.id);
        fields.push({ name: '', offset: m.bitOffset / 8, node: inner, lifted: inner });
      }
      continue; // unnamed bitfields are padding
    }
    fields.push({ name: m.name, ...memberNode(btf, t, m, target, depth) });
  }
  const keys = new Set<string>();
  for (const f of fields) {
    for (const k of f.lifted ? f.lifted.keys : [f.name]) {
      if (keys.has(k)) throw btf.error(`${btf.describe(t.id)}: member '${k}' appears twice`, t.id);
      keys.add(k);
    }
  }
  const readInto = (v: DataView, off: number, into: Record<string, unknown>) => {
    for (const f of fields) {
      if (f.lifted) f.lifted.readInto(v, off + f.offset, into);
      else into[f.name] = f.node.read(v, off + f.offset);
    }
  };
  const writeFrom = (v: DataView, off: number, value: Record<string, unknown>, path: string) => {
    for (const f of fields) {
      if (f.lifted) f.lifted.writeFrom(v, off + f.offset, value, path);
      else if (value[f.name] !== undefined) f.node.write(v, off + f.offset, value[f.name], `${path}.${f.name}`);
    }
  };
  return {
    size: t.size,
    keys,
    readInto,
    writeFrom,
    read(v, off) {
      const o: Record<string, unknown> = {};
      readInto(v, off, o);
      return o;
    },
    write(v, off, value, path) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw usage(`${path}: expected an object for ${t.kind} ${t.name || '(anon)'}, got ${describeValue(value)}`);
      }
      for (const k of Object.keys(value)) {
        if (!keys.has(k)) throw usage(`${path}: ${t.kind} ${t.name || '(anon)'} has no member '${k}'`);
      }
      writeFrom(v, off, value as Record<string, unknown>, path);
    },
  };
}

function memberNode(
  btf: Btf,
  parent: Extract<BtfType, { kind: 'struct' | 'union' }>,
  m: { name: string; type: number; bitOffset: number; bitfieldSize: number },
  target: BtfType,
  depth: number,
): { offset: number; node: Node } {
  const old = target.kind === 'int' && (target.bitOffset !== 0 || target.bits !== target.size * 8);
  if (m.bitfieldSize > 0 || old) {
    // A bitfield: kind_flag encoding (bitfield_size in the member) or an INT with an encoded offset.
    const bits = m.bitfieldSize > 0 ? m.bitfieldSize : (target as Extract<BtfType, { kind: 'int' }>).bits;
    const bitOffset = m.bitOffset + (m.bitfieldSize > 0 ? 0 : (target as Extract<BtfType, { kind: 'int' }>).bitOffset);
    if (target.kind !== 'int' && target.kind !== 'enum' && target.kind !== 'enum64') {
      throw btf.error(`${btf.describe(parent.id)}: bitfield '${m.name}' of ${target.kind}`, parent.id);
    }
    if (bits > target.size * 8) throw btf.error(`${btf.describe(parent.id)}: bitfield '${m.name}' is ${bits} bits wide in ${target.size} bytes`, parent.id);
    const base = Math.floor(bitOffset / 8);
    if ((bitOffset & 7) + bits > 128 || base + Math.ceil(((bitOffset & 7) + bits) / 8) > parent.size) {
      throw btf.error(`${btf.describe(parent.id)}: bitfield '${m.name}' runs past the end`, parent.id);
    }
    const isBool = target.kind === 'int' && target.bool;
    let node = bitsNode(0, target.signed, isBool, bitOffset & 7, bits, target.size <= 4);
    if (target.kind === 'enum' || target.kind === 'enum64') node = mapEnum(node, target, bits);
    return { offset: base, node };
  }
  if (m.bitOffset % 8 !== 0) throw btf.error(`${btf.describe(parent.id)}: member '${m.name}' at bit ${m.bitOffset} is not byte-aligned`, parent.id);
  const node = build(btf, m.type, depth + 1);
  const offset = m.bitOffset / 8;
  if (offset + node.size > parent.size) throw btf.error(`${btf.describe(parent.id)}: member '${m.name}' runs past the end`, parent.id);
  return { offset, node };
}

function datasecNode(btf: Btf, t: Extract<BtfType, { kind: 'datasec' }>, depth: number): Node {
  const vars = t.vars.map((vi) => {
    const v = btf.type(vi.type);
    const node = build(btf, vi.type, depth + 1);
    if (vi.offset + node.size > t.size) throw btf.error(`${btf.describe(t.id)}: variable '${v.name}' runs past the end`, t.id);
    return { name: v.name, offset: vi.offset, node };
  });
  return {
    size: t.size,
    read(v, off) {
      const o: Record<string, unknown> = {};
      for (const x of vars) o[x.name] = x.node.read(v, off + x.offset);
      return o;
    },
    write(v, off, value, path) {
      if (typeof value !== 'object' || value === null) throw usage(`${path}: expected an object for DATASEC ${t.name}`);
      const rec = value as Record<string, unknown>;
      for (const k of Object.keys(rec)) if (!vars.some((x) => x.name === k)) throw usage(`${path}: ${t.name} has no variable '${k}'`);
      for (const x of vars) if (rec[x.name] !== undefined) x.node.write(v, off + x.offset, rec[x.name], `${path}.${x.name}`);
    },
  };
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'a Uint8Array';
  return typeof v === 'string' ? `the string '${v}'` : typeof v;
}
