// Map entries as JSON, both ways, for the control socket and the `wxdp up` config: bytes as hex strings
// (as `wxdp map` prints them) and, when the object has BTF for the map's key and value types, the
// decoded values beside them under `formatted`, as bpftool's JSON does:
//
//   { "key": "c0000202", "value": "01", "formatted": { "key": 33685696, "value": 1 } }
//   { "key": "05000000", "values": ["0100…", "0000…"], "formatted": { "key": 5, "values": [{ "packets": 1, "bytes": 60 }, …] } }
//
// Input takes either form: a string is hex bytes ("c0 00 02 02", "0xc0000202"), anything else is
// encoded through the BTF type (a struct as an object, an enum by its enumerator's name).

import { btfCodec, type BtfCodec } from '../elf/index.js';
import { WxdpError } from '../errors.js';
import { Errno, MapError, MapType, mapTypeName, strerror, type BpfMap } from '../maps/index.js';
import type { BpfObject } from './datapath.js';

export interface MapEntryJson {
  key: string;
  value?: string;
  /** Per-CPU maps: one value per CPU. */
  values?: string[];
  formatted?: { key: unknown; value?: unknown; values?: unknown[] };
  /** A key whose lookup failed (an xskmap's, a perf_event_array's): strerror() of the errno, as bpftool. */
  error?: string;
}

export interface MapInfoJson {
  id: number;
  name: string;
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** The object file it was loaded from ('' when loaded from bytes without a path). */
  object: string;
  btf: boolean;
}

interface Codecs {
  key: BtfCodec;
  value: BtfCodec;
}

/** A key or value that cannot be made bytes: `where` names it ("args.key", "programs[0].maps.m[1].value"). */
export class MapInputError extends WxdpError {
  readonly where: string;
  readonly reason: string;
  readonly errno = 'EINVAL';
  constructor(where: string, reason: string) {
    super('USAGE', `${where}: ${reason}`);
    this.where = where;
    this.reason = reason;
  }
}

const CODECS = new WeakMap<BpfMap, Codecs | null>();

/** The BTF codecs of `map`'s key and value (undefined when the object has no BTF for them). */
export function mapCodecs(obj: BpfObject, map: BpfMap): Codecs | undefined {
  let c = CODECS.get(map);
  if (c === undefined) {
    c = null;
    const spec = obj.spec.maps.find((m) => m.name === map.name);
    const btf = obj.spec.btf;
    if (btf && spec?.keyTypeId !== undefined && spec.valueTypeId !== undefined) {
      try {
        c = { key: btfCodec(btf, spec.keyTypeId), value: btfCodec(btf, spec.valueTypeId) };
      } catch {
        // A type the codec cannot lay out: the map is shown as bytes only.
        c = null;
      }
    }
    CODECS.set(map, c);
  }
  return c ?? undefined;
}

export function mapInfo(obj: BpfObject, map: BpfMap): MapInfoJson {
  return {
    id: map.id,
    name: map.name,
    type: map.typeName,
    keySize: map.keySize,
    valueSize: map.valueSize,
    maxEntries: map.maxEntries,
    flags: map.flags,
    object: obj.spec.path ?? '',
    btf: mapCodecs(obj, map) !== undefined,
  };
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** One entry as JSON; undefined when the key is not in the map. */
export function entryJson(obj: BpfObject, map: BpfMap, key: Uint8Array): MapEntryJson | undefined {
  const c = mapCodecs(obj, map);
  const decode = (codec: BtfCodec, b: Uint8Array): unknown => {
    try {
      return jsonSafe(codec.decode(b));
    } catch {
      return null;
    }
  };
  if (map.isPercpu) {
    const values = map.lookupPerCpu(key);
    if (!values) return undefined;
    const e: MapEntryJson = { key: hex(key), values: values.map(hex) };
    if (c) e.formatted = { key: decode(c.key, key), values: values.map((v) => decode(c.value, v)) };
    return e;
  }
  const value = map.lookup(key);
  if (!value) return undefined;
  const e: MapEntryJson = { key: hex(key), value: hex(value) };
  if (c) e.formatted = { key: decode(c.key, key), value: decode(c.value, value) };
  return e;
}

/** Every entry, in the map's iteration order. */
export function dumpJson(obj: BpfObject, map: BpfMap): MapEntryJson[] {
  const out: MapEntryJson[] = [];
  for (const k of map.keys()) {
    let e: MapEntryJson | undefined;
    try {
      e = entryJson(obj, map, k);
    } catch (err) {
      // bpftool's print_entry_error: the key and the error, and the dump goes on
      if (!(err instanceof MapError)) throw err;
      e = { key: hex(k), error: strerror(err.errno) };
    }
    if (e) out.push(e);
  }
  return out;
}

/**
 * A key or value given as JSON: a string is hex bytes, anything else goes through the BTF codec.
 * Throws MapInputError naming `where` when it is neither.
 */
export function mapBytes(obj: BpfObject, map: BpfMap, what: 'key' | 'value', v: unknown, where: string): Uint8Array {
  if (typeof v === 'string') {
    return hexBytes(v, (reason) => {
      throw new MapInputError(where, reason);
    });
  }
  const c = mapCodecs(obj, map);
  if (v === undefined) throw new MapInputError(where, 'is required');
  if (!c) throw new MapInputError(where, `map ${map.name} has no BTF ${what} type: give the ${what} as hex bytes`);
  try {
    return (what === 'key' ? c.key : c.value).encode(fromJson(v));
  } catch (e) {
    throw new MapInputError(where, (e as Error).message);
  }
}

/** Hex bytes: pairs of digits, blanks between bytes allowed, an optional 0x; `fail` says why not. */
export function hexBytes(text: string, fail: (reason: string) => never): Uint8Array {
  const words = text.trim().replace(/^0x/i, '').split(/\s+/).filter((w) => w !== '');
  const digits = words.join('');
  if (digits === '' || !/^[0-9a-fA-F]+$/.test(digits) || words.some((w) => w.length % 2 !== 0)) fail(`"${text}" is not hex bytes (e.g. "c0 00 02 01" or "c0000201")`);
  return Uint8Array.from(Buffer.from(digits, 'hex'));
}

/** Values the BTF codec gives, made JSON: integers past 2^53 as decimal strings, bytes as arrays. */
export function jsonSafe(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return Array.from(v);
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonSafe(x)]));
  return v;
}

/** The inverse for input: a decimal string of digits stays what the codec accepts for a 64-bit field. */
function fromJson(v: unknown): unknown {
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  if (Array.isArray(v)) return v.map(fromJson);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromJson(x)]));
  return v;
}

/**
 * bpftool's verbs for the maps without keys (queue, stack, bloom_filter): `push` / `enqueue` (the
 * update of a value), `pop` / `dequeue` (BPF_MAP_LOOKUP_AND_DELETE_ELEM), `peek` (the lookup; a bloom
 * filter is asked about a value). Each aliases the other where bpftool's do (map.c: enqueue is push,
 * dequeue is pop).
 */
export type KeylessVerb = 'push' | 'enqueue' | 'pop' | 'dequeue' | 'peek';
export const KEYLESS_VERBS: readonly KeylessVerb[] = ['push', 'enqueue', 'pop', 'dequeue', 'peek'];

/**
 * Whether `verb` applies to `map` (refused with the reason as a usage error when not, before anything
 * runs): a map with keys has lookup / update / delete; a bloom filter has no pop; a value is given to
 * push, and to peek only for a bloom filter (bpftool: "did not find value", "unnecessary value", "value
 * expected N bytes got M").
 */
export function checkKeyless(m: { name: string; type: number; keySize: number; valueSize: number; typeName?: string }, verb: KeylessVerb, value: Uint8Array | undefined): void {
  const typeName = m.typeName ?? mapTypeName(m.type);
  const usage = (why: string): never => {
    throw new WxdpError('USAGE', `map '${m.name}': ${why}`);
  };
  if (m.type !== MapType.QUEUE && m.type !== MapType.STACK && m.type !== MapType.BLOOM_FILTER) {
    usage(`${verb} is for maps without keys (queue, stack, bloom_filter), not type ${typeName}: use lookup, update or delete`);
  }
  const bloom = m.type === MapType.BLOOM_FILTER;
  const wantsValue = verb === 'push' || verb === 'enqueue' || (verb === 'peek' && bloom);
  if (wantsValue && !value) usage(bloom && verb === 'peek' ? 'did not find value (a bloom filter is asked about one: peek … value BYTES)' : 'did not find value');
  if (!wantsValue && value) usage('unnecessary value');
  if (value && value.length !== m.valueSize) usage(`value expected ${m.valueSize} bytes got ${value.length}`);
}

/** Whether a map has no keys (queue, stack, bloom_filter): bpftool's keyless verbs are its, its lookup a peek. */
export function isKeyless(m: { type: number }): boolean {
  return m.type === MapType.QUEUE || m.type === MapType.STACK || m.type === MapType.BLOOM_FILTER;
}

/**
 * bpftool's `map dump` of a map without keys: its walk's first get_next_key fails (a queue or a stack: EINVAL, a bloom
 * filter: EOPNOTSUPP), bpftool prints "Found 0 elements" (-j: []) and exits with that errno (bpftool 7.1, Linux 6.18,
 * measured: 234 and 161). The MapError for it, undefined for a map with keys.
 */
export function keylessDumpError(m: { name: string; type: number }): MapError | undefined {
  if (!isKeyless(m)) return undefined;
  const bloom = m.type === MapType.BLOOM_FILTER;
  const how = bloom ? 'peek … value BYTES asks about a value' : 'pop or peek reads it';
  return MapError.from(m.name, 'dump', bloom ? -Errno.EOPNOTSUPP : -Errno.EINVAL, `Found 0 elements: a ${mapTypeName(m.type)} has no keys to walk; ${how}`);
}

/**
 * bpftool's `map lookup` without a key on a map without keys: its peek (a queue's oldest value, a stack's newest; an
 * empty one "Not found", ENOENT); a bloom filter is asked about no value, "Not found" (ENOENT, measured even for one
 * holding the zero value), and a map with keys needs one ("did not find key", a usage error).
 */
export function keylessLookup(obj: BpfObject, map: BpfMap): MapEntryJson {
  if (!isKeyless(map)) throw new WxdpError('USAGE', `map '${map.name}': did not find key`);
  if (map.type === MapType.BLOOM_FILTER) throw new MapError('MAP_NOT_FOUND', map.name, 'lookup', Errno.ENOENT, 'Not found: a lookup without a key asks a bloom filter about no value; peek … value BYTES asks about one');
  return keylessOp(obj, map, 'peek');
}

/**
 * Run a keyless verb (checkKeyless first): the value pushed, popped or peeked as an entry with an empty
 * key (bpftool's JSON has "key": []), the value decoded under `formatted` when the map has BTF. Failures
 * are MapErrors with the errno and bpftool's words: "empty map" (pop on an empty queue or stack, ENOENT),
 * "Not found" (peek: an empty queue, or a value a bloom filter never had), "update failed: …" (push on a
 * full queue: E2BIG), "pop failed: …" (a bloom filter: ENOTSUPP, "Unknown error 524").
 */
export function keylessOp(obj: BpfObject, map: BpfMap, verb: KeylessVerb, value?: Uint8Array, flags = 0): MapEntryJson {
  checkKeyless(map, verb, value);
  const failed = (op: string, e: unknown): never => {
    if (e instanceof MapError) throw new MapError(e.code as never, map.name, op, e.errno, `${op === 'push' ? 'update' : op === 'peek' ? 'lookup' : 'pop'} failed: ${strerror(e.errno)}`);
    throw e;
  };
  let out: Uint8Array | undefined;
  if (verb === 'push' || verb === 'enqueue') {
    try {
      map.push(value!, flags);
    } catch (e) {
      failed('push', e);
    }
    out = value!;
  } else if (verb === 'pop' || verb === 'dequeue') {
    try {
      out = map.pop();
    } catch (e) {
      failed('pop', e);
    }
    if (!out) throw new MapError('MAP_NOT_FOUND', map.name, 'pop', Errno.ENOENT, 'empty map');
  } else {
    try {
      out = map.peek(value);
    } catch (e) {
      failed('peek', e);
    }
    if (!out) throw new MapError('MAP_NOT_FOUND', map.name, 'peek', Errno.ENOENT, value ? `value ${hex(value)}: Not found` : 'Not found');
  }
  const e: MapEntryJson = { key: '', value: hex(out) };
  const spec = obj.spec.maps.find((s) => s.name === map.name);
  if (obj.spec.btf && spec?.valueTypeId !== undefined) {
    try {
      e.formatted = { key: null, value: jsonSafe(btfCodec(obj.spec.btf, spec.valueTypeId).decode(out)) };
    } catch {
      // bytes only
    }
  }
  return e;
}
