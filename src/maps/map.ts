// BpfMap: one map in the fast path's arena, driven through the AssemblyScript map_* exports (the
// bpf(2) syscall's map commands) with keys and values passed in the scratch buffer. Every operation
// has the kernel's semantics and errno; a failure throws a MapError naming the map, the operation
// and the errno (lookups of a missing key return undefined instead, as do pop/peek of an empty map).
//
// Values cross as the syscall passes them: value_size bytes, or for percpu maps ncpus values of
// round_up(value_size, 8) bytes each (lookup() returns that buffer; lookupPerCpu() splits it).

import { randomBytes } from 'node:crypto';
import type { FastPath } from '../runtime/fastpath.js';
import { MAP_HDR } from '../runtime/memory.js';
import type { Codec } from './codec.js';
import { MapError } from './errors.js';
import {
  BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, Errno, isMapInMapType, isPercpuType, isSockMapType, MAPS_LAYOUT, MapType, mapTypeName, round8,
  SUPPORTED_MAP_TYPES,
} from './uapi.js';

/** What a map is made of (BPF_MAP_CREATE's attributes). */
export interface MapSpec {
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
  /** The map's id (default: the next id of this fast path, counting from 1; one a live map has: EEXIST). */
  id?: number;
  /**
   * array_of_maps / hash_of_maps: the inner map template (BPF_MAP_CREATE's inner_map_fd). Maps stored
   * later must match it: type, key_size, value_size, map_flags, and for arrays max_entries unless the
   * template has BPF_F_INNER_MAP.
   */
  inner?: BpfMap;
  /**
   * BPF_MAP_CREATE's u64 map_extra: a bloom filter's number of hash functions in the low 4 bits (0: 5),
   * any other bit -EINVAL; any other type with a map_extra: -EINVAL.
   */
  mapExtra?: number | bigint;
}

/** What an outer map requires of its inner maps (the kernel's inner_map_meta). */
export interface InnerMapMeta {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
}

/** A value for update(): value_size bytes (percpu maps: copied to every CPU), or one per CPU. */
export type MapValue = Uint8Array | readonly Uint8Array[];

/** What a batch update or delete did: `count` elements in order, then `error` stopped it (if any). */
export interface BatchResult {
  count: number;
  error?: MapError;
}

/** One BPF_MAP_LOOKUP_BATCH step. Pass `outBatch` back as `inBatch` to continue; `done` at the end. */
export interface LookupBatchResult {
  keys: Uint8Array[];
  values: Uint8Array[];
  outBatch: Uint8Array | null;
  done: boolean;
}

type I = number;
interface MapExports {
  map_create(type: I, keySize: I, valueSize: I, maxEntries: I, flags: I, id: I): bigint;
  map_lookup(map: I, key: I): I;
  map_value_copy_locked(map: I, dst: I, src: I): void;
  map_update(map: I, key: I, value: I, flags: I): I;
  map_delete(map: I, key: I): I;
  map_get_next_key(map: I, key: I, next: I): I;
  map_push(map: I, value: I, flags: I): I;
  map_pop(map: I, value: I): I;
  map_peek(map: I, value: I): I;
  map_clear(map: I): I;
  map_lookup_sock(map: I, key: I, out: I): I;
  map_elem_value(map: I, key: I): I;
  scratch_base(): I;
  arena_alloc(size: I, align: I): I;
  map_hash_seed(seed: I): void;
  map_set_extra(lo: I, hi: I): void;
  map_in_map_create(type: I, keySize: I, valueSize: I, maxEntries: I, flags: I, id: I, inner: I): bigint;
  map_in_map_update(map: I, key: I, inner: I, flags: I): I;
}

const bound = new WeakMap<FastPath, MapExports>();
const nextIds = new WeakMap<FastPath, number>();

function exportsOf(fp: FastPath): MapExports {
  let x = bound.get(fp);
  if (!x) {
    const names: (keyof MapExports)[] = [
      'map_create', 'map_lookup', 'map_update', 'map_delete', 'map_get_next_key', 'map_push', 'map_pop', 'map_peek',
      'map_clear', 'map_lookup_sock', 'map_elem_value', 'scratch_base', 'arena_alloc', 'map_hash_seed', 'map_set_extra', 'map_in_map_create',
      'map_in_map_update', 'map_value_copy_locked',
    ];
    x = Object.fromEntries(names.map((n) => [n, fp.fn(n)])) as unknown as MapExports;
    bound.set(fp, x);
  }
  return x;
}

/**
 * Kernel map ids start at 1 and are never reused; here they are counted per fast path, the one source
 * of every map id on it (a Datapath's maps included): an id a caller chose (MapSpec.id) and that is
 * still live is skipped.
 */
function nextId(fp: FastPath): number {
  const live = byId.get(fp);
  let id = nextIds.get(fp) ?? 1;
  while (live?.has(id)) id++;
  nextIds.set(fp, id + 1);
  return id;
}

const storageEnds = new WeakMap<FastPath, Map<number, number>>();
/** Map id → address, per fast path: user space names inner maps by id, as the kernel's fds name maps. */
const byId = new WeakMap<FastPath, Map<number, number>>();
/**
 * Address → serial of the live map allocation there, per fast path: a handle knows its map is freed when
 * its address no longer holds the allocation it was made for (an id cannot tell: a caller may choose
 * one, and an address may be handed out again by the arena).
 */
const serials = new WeakMap<FastPath, Map<number, number>>();
let lastSerial = 0;
/** Maps freed per fast path: a handle re-checks its map's serial only after one was. */
const freeCounts = new WeakMap<FastPath, { n: number }>();

/**
 * User references held by handles that are fds of their own (innerMap(), reopen(): BPF_MAP_GET_FD_BY_ID,
 * BPF_OBJ_GET), per map address: such a handle keeps the map and its user reference as the kernel's fd
 * does (bpf_map_get_with_uref … bpf_map_put_with_uref at close) until close().
 */
const urefs = new WeakMap<FastPath, Map<number, number>>();
/** What the owner of a fast path (a Datapath) does when a map's last such handle closes: free it or drop its uref if nothing else holds it. */
const lastUrefHooks = new WeakMap<FastPath, (address: number) => void>();

/** @internal How many open handles (innerMap(), reopen()) hold a user reference on the map at `address`. */
export function handleUrefs(fp: FastPath, address: number): number {
  return urefs.get(fp)?.get(address) ?? 0;
}

/** @internal `hook` runs when the last uref-holding handle of a map closes (Datapath: bpf_map_put_with_uref). */
export function onLastHandleUref(fp: FastPath, hook: (address: number) => void): void {
  lastUrefHooks.set(fp, hook);
}

/** The addresses of every map created on this fast path (checked mode's inner-map candidates). */
export function mapAddresses(fp: FastPath): number[] {
  return [...(byId.get(fp)?.values() ?? [])];
}

/** The address of the map with id `id` on this fast path, or undefined. */
export function mapAddressById(fp: FastPath, id: number): number | undefined {
  return byId.get(fp)?.get(id);
}

/**
 * The bytes after the 64-byte header of a map created here: [start, end) of its storage (values, and
 * the type's own bookkeeping between them), or undefined for an address that is no map's.
 */
export function mapStorage(fp: FastPath, address: number): { map: number; start: number; end: number } | undefined {
  const ends = storageEnds.get(fp);
  const end = ends?.get(address);
  if (end !== undefined) return { map: address, start: address + MAP_HDR.SIZE, end };
  // an address inside a map's storage (BPF_PSEUDO_MAP_VALUE: global data)
  for (const [map, e] of ends ?? []) if (address >= map + MAP_HDR.SIZE && address < e) return { map, start: map + MAP_HDR.SIZE, end: e };
  return undefined;
}

/** bpf_spin_lock's tries before it takes a word that never comes free (src/helpers/index.ts, assembly/spin_lock.ts). */
const SPIN_LIMIT = 1 << 24;

const isU32 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;

// Which maps have which batch commands (the map's bpf_map_ops: BATCH_OPS for hash maps, the generic
// ones for arrays and the LPM trie, none for the others: -ENOTSUPP).
const BATCH_LOOKUP_UPDATE = new Set<number>([
  MapType.HASH, MapType.PERCPU_HASH, MapType.LRU_HASH, MapType.LRU_PERCPU_HASH, MapType.ARRAY, MapType.PERCPU_ARRAY,
  MapType.LPM_TRIE,
]);
const BATCH_DELETE = new Set<number>([
  MapType.HASH, MapType.PERCPU_HASH, MapType.LRU_HASH, MapType.LRU_PERCPU_HASH, MapType.LPM_TRIE,
]);

export class BpfMap {
  /**
   * @internal For maps whose values are handles (prog_array: a program): what to store for `handle`
   * (a program's fd or its tail-call slot → the slot), or a negative errno (-EBADF for an fd that is
   * no program of the owner, as the kernel answers).
   */
  handleMap: ((handle: number) => number) | undefined;
  readonly fp: FastPath;
  readonly name: string;
  readonly type: number;
  readonly typeName: string;
  readonly keySize: number;
  readonly valueSize: number;
  /** As the kernel keeps it (an LRU map with BPF_F_NO_COMMON_LRU rounds it to a multiple of ncpus). */
  readonly maxEntries: number;
  /** As the kernel keeps them (devmaps add BPF_F_RDONLY_PROG). */
  readonly flags: number;
  readonly id: number;
  private readonly addr: number;
  private freed = false;
  /** The handle was its object's fd and the object was unloaded (closeHandle): EBADF, the map may live on. */
  private closed = false;
  /**
   * The serial of the allocation the handle was made for (create(), or attach() to a map create() made
   * on this fast path), 0 for an address that is no such map: another handle's release() frees it too.
   */
  private readonly serial: number;
  /** This fast path's count of maps freed, and its value when the handle last found its map alive. */
  private readonly frees: { n: number };
  private seenFrees: number;

  /**
   * The map's header in linear memory: what a program's ld_imm64 of the map resolves to. Once the
   * map's memory is given back, or the handle's object unloaded, MapError EBADF naming the map: the
   * kernel's answer for a closed fd.
   */
  get address(): number {
    if (this.isFreed) throw new MapError('MAP_INVALID', this.name, 'use', Errno.EBADF, 'the map was freed (its object was unloaded)');
    if (this.closed) {
      throw new MapError('MAP_INVALID', this.name, 'use', Errno.EBADF,
        'its object was unloaded, which closed the fd this handle is; the map lives on only for the programs or map-in-maps that still hold it');
    }
    return this.addr;
  }

  /** @internal The map's address whatever the handle's state (closed or not): what a loader compares handles by. */
  get rawAddress(): number {
    return this.addr;
  }

  /**
   * Whether the map's memory went back to the arena (unloadObject; for a handle from attach() or
   * innerMap(), through any handle): every operation is EBADF.
   */
  get isFreed(): boolean {
    if (this.freed || this.serial === 0 || this.seenFrees === this.frees.n) return this.freed;
    // a map was freed since: this one if its address no longer holds the allocation the handle was made for
    this.seenFrees = this.frees.n;
    if (serials.get(this.fp)?.get(this.addr) !== this.serial) this.freed = true;
    return this.freed;
  }

  /**
   * @internal Give the map's memory back to the arena (its last holder went): map_free, and the
   * key/value buffer when the map had its own. The handle answers EBADF from now on.
   */
  release(): void {
    if (this.freed) return;
    this.freeAllFields();
    const r = this.fp.fn<(m: number) => number>('map_free')(this.addr);
    if (r < 0) throw MapError.from(this.name, 'free', r, `map@0x${this.addr.toString(16)}`);
    if (this.ownBuffer > 0) this.fp.fn<(a: number, n: number) => void>('arena_free')(this.keyBuf, this.ownBuffer);
    storageEnds.get(this.fp)?.delete(this.addr);
    const ids = byId.get(this.fp);
    if (ids?.get(this.id) === this.addr) ids.delete(this.id);
    serials.get(this.fp)?.delete(this.addr);
    urefs.get(this.fp)?.delete(this.addr);
    this.frees.n++;
    this.freed = true;
  }
  /**
   * @internal The last user reference went (bpf_map_put_uref: its object unloaded while a program or
   * another object's map-in-map still holds the map): map_release_uref. A prog_array is emptied, the
   * timers of a hash, LRU hash or array map are cancelled and freed, and bpf_timer_init on the map
   * answers -EPERM from now on.
   */
  releaseUref(): void {
    if (this.freed) return;
    this.fp.fn<(m: number) => void>('map_release_uref')(this.addr);
  }

  /**
   * @internal The object this handle came from was unloaded: the handle was the object's fd (libbpf's
   * bpf_map__fd, closed by bpf_object__close) and answers EBADF from now on, though the map may live on
   * for the programs that hold it. Left usable it would be a user reference the map no longer counts
   * (map_release_uref ran: a prog_array refilled through it would hold programs nothing clears).
   */
  closeHandle(): void {
    this.closed = true;
  }

  /** Whether this handle holds a user reference of its own (from createMap(), innerMap() or reopen()) not yet closed. */
  private holdsUref = false;

  /**
   * @internal A new handle on the same map that holds a user reference (an fd of its own: BPF_OBJ_GET,
   * BPF_MAP_GET_FD_BY_ID) until close(). It keeps what the map's handles share: frozen, the prog_array
   * value mapping. `uref` false: a handle the Datapath counts otherwise (a loaded object's).
   */
  reopen(name = this.name, uref = true): BpfMap {
    const h = new BpfMap(this.fp, name, this.address);
    h.handleMap = this.handleMap;
    h.isFrozen = this.isFrozen;
    if (!uref) return h; // an object's fd: the Datapath counts the object
    h.takeUref();
    return h;
  }

  /** @internal This handle holds a user reference of its own, given back by close() (reopen(), createMap()). */
  takeUref(): void {
    if (this.holdsUref) return;
    this.holdsUref = true;
    let m = urefs.get(this.fp);
    if (!m) urefs.set(this.fp, (m = new Map()));
    m.set(this.addr, (m.get(this.addr) ?? 0) + 1);
  }

  /**
   * Close the handle, as close() of an fd: it answers EBADF from now on. A handle from createMap() or
   * innerMap() (or a pinned map's) gives back the user reference it held: the map goes when nothing else holds it (its
   * object unloaded, out of every outer map, named by no program), or loses its last user reference
   * (prog_array emptied, timers cancelled) while programs still hold it. A handle that was its
   * object's fd (BpfObject.map) only stops answering: the object keeps the map until unloadObject.
   * Closing twice does nothing.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.holdsUref) return;
    this.holdsUref = false;
    const m = urefs.get(this.fp);
    const n = (m?.get(this.addr) ?? 1) - 1;
    if (n > 0) m!.set(this.addr, n);
    else {
      m?.delete(this.addr);
      if (!this.isFreed) lastUrefHooks.get(this.fp)?.(this.addr);
    }
  }
  /** CPUs a percpu map holds values for (1 for the others). */
  readonly ncpus: number;
  /** Bytes of a value as lookup() returns it: value_size, or ncpus × round_up(value_size, 8). */
  readonly valueBytes: number;

  private readonly x: MapExports;
  private readonly keyBuf: number;
  private readonly nextBuf: number;
  private readonly valueBuf: number;
  /** Bytes of the key/value buffer the map allocated for itself (0: it uses the shared scratch buffer). */
  private readonly ownBuffer: number;
  private u8: Uint8Array | undefined;

  private constructor(fp: FastPath, name: string, address: number) {
    this.fp = fp;
    this.x = exportsOf(fp);
    this.name = name;
    this.addr = address;
    const dv = fp.memory.view();
    const hdr = (off: number) => dv.getUint32(address + off, true);
    this.type = hdr(MAP_HDR.TYPE);
    this.typeName = mapTypeName(this.type);
    this.keySize = hdr(MAP_HDR.KEY_SIZE);
    this.valueSize = hdr(MAP_HDR.VALUE_SIZE);
    this.maxEntries = hdr(MAP_HDR.MAX_ENTRIES);
    this.flags = hdr(MAP_HDR.FLAGS);
    this.id = hdr(MAP_HDR.ID);
    this.serial = serials.get(fp)?.get(address) ?? 0;
    let frees = freeCounts.get(fp);
    if (!frees) freeCounts.set(fp, (frees = { n: 0 }));
    this.frees = frees;
    this.seenFrees = frees.n;
    this.ncpus = isPercpuType(this.type) ? hdr(MAPS_LAYOUT.PERCPU_NCPUS) : 1;
    this.valueBytes = isPercpuType(this.type) ? this.ncpus * round8(this.valueSize) : this.valueSize;

    // Keys and values go through the shared scratch buffer, or a buffer of the map's own when too big.
    const keyRoom = round8(Math.max(this.keySize, 4));
    const need = 2 * keyRoom + round8(this.valueBytes);
    const base = need <= MAPS_LAYOUT.SCRATCH_SIZE ? this.x.scratch_base() >>> 0 : this.x.arena_alloc(need, 8) >>> 0;
    this.ownBuffer = need <= MAPS_LAYOUT.SCRATCH_SIZE ? 0 : need;
    if (base === 0) throw new MapError('MAP_NO_MEMORY', name, 'create', Errno.ENOMEM, `the key/value buffer: ${fp.memory.limitReached()}`);
    this.keyBuf = base;
    this.nextBuf = base + keyRoom;
    this.valueBuf = base + 2 * keyRoom;
  }

  /** BPF_MAP_CREATE. Throws MapError (code MAP_CREATE, with the errno) when the kernel would refuse. */
  static create(fp: FastPath, spec: MapSpec): BpfMap {
    const flags = spec.flags ?? 0;
    for (const [what, v] of [['type', spec.type], ['key size', spec.keySize], ['value size', spec.valueSize],
      ['max entries', spec.maxEntries], ['flags', flags]] as const) {
      if (!isU32(v)) throw new MapError('MAP_CREATE', spec.name, 'create', Errno.EINVAL, `${what} ${v} is not a u32`);
    }
    if (!SUPPORTED_MAP_TYPES.has(spec.type)) {
      throw new MapError('MAP_UNSUPPORTED', spec.name, 'create', Errno.EOPNOTSUPP, `map type ${mapTypeName(spec.type)} is not supported by wxdp`);
    }
    const mapInMap = isMapInMapType(spec.type);
    if (mapInMap && !spec.inner) {
      throw new MapError('MAP_CREATE', spec.name, 'create', Errno.EINVAL, `${mapTypeName(spec.type)} needs its inner map template (inner_map_fd)`);
    }
    if (spec.inner && !mapInMap) {
      throw new MapError('MAP_CREATE', spec.name, 'create', Errno.EINVAL, `an inner map is for array_of_maps and hash_of_maps, not ${mapTypeName(spec.type)}`);
    }
    if (spec.inner && spec.inner.fp !== fp) {
      throw new MapError('MAP_CREATE', spec.name, 'create', Errno.EBADF, `inner map '${spec.inner.name}' belongs to another fast path`);
    }
    const extra = BigInt(spec.mapExtra ?? 0);
    if (extra < 0n || extra > 0xffff_ffff_ffff_ffffn) {
      throw new MapError('MAP_CREATE', spec.name, 'create', Errno.EINVAL, `map_extra ${extra} is not a u64`);
    }
    // map_create: map_extra is for the bloom filter (and the arena) only
    if (extra !== 0n && spec.type !== MapType.BLOOM_FILTER) {
      throw new MapError('MAP_CREATE', spec.name, 'create', Errno.EINVAL, `map_extra 0x${extra.toString(16)} on a ${mapTypeName(spec.type)}`);
    }
    const x = exportsOf(fp);
    // The kernel seeds each hash map with get_random_u32() (unless BPF_F_ZERO_SEED).
    x.map_hash_seed(randomBytes(4).readUInt32LE(0));
    if (spec.id !== undefined && byId.get(fp)?.has(spec.id)) {
      throw new MapError('MAP_CREATE', spec.name, 'create', Errno.EEXIST, `map id ${spec.id} is taken by a live map`);
    }
    const id = spec.id ?? nextId(fp);
    x.map_set_extra(Number(extra & 0xffff_ffffn), Number(extra >> 32n));
    const ret = mapInMap
      ? x.map_in_map_create(spec.type, spec.keySize, spec.valueSize, spec.maxEntries, flags, id, spec.inner!.address)
      : x.map_create(spec.type, spec.keySize, spec.valueSize, spec.maxEntries, flags, id);
    if (ret < 0n) {
      const what = `${mapTypeName(spec.type)} key ${spec.keySize} value ${spec.valueSize} entries ${spec.maxEntries} flags 0x${flags.toString(16)}${extra !== 0n ? ` map_extra 0x${extra.toString(16)}` : ''}`;
      throw MapError.from(spec.name, 'create', Number(ret), Number(ret) === -Errno.ENOMEM ? `${what}: ${fp.memory.limitReached()}` : what);
    }
    // The map is one arena allocation (assembly/maps/arena.ts) whose size its header keeps.
    let ends = storageEnds.get(fp);
    if (!ends) storageEnds.set(fp, (ends = new Map()));
    ends.set(Number(ret), Number(ret) + fp.memory.view().getUint32(Number(ret) + MAP_HDR.ALLOC_SIZE, true));
    let ids = byId.get(fp);
    if (!ids) byId.set(fp, (ids = new Map()));
    ids.set(id, Number(ret));
    let ser = serials.get(fp);
    if (!ser) serials.set(fp, (ser = new Map()));
    ser.set(Number(ret), ++lastSerial);
    return new BpfMap(fp, spec.name, Number(ret));
  }

  /** A BpfMap for a map created elsewhere (e.g. by a loader), from its address. */
  static attach(fp: FastPath, address: number, name = `map@0x${address.toString(16)}`): BpfMap {
    return new BpfMap(fp, name, address);
  }

  /**
   * Elements held, for the maps that count them: hash maps, lpm_trie, devmap_hash, queue and stack
   * (MAP_COUNT). Array-like maps always hold max_entries.
   */
  get count(): number {
    return this.fp.memory.view().getUint32(this.address + MAP_HDR.COUNT, true);
  }

  get isPercpu(): boolean {
    return isPercpuType(this.type);
  }

  /**
   * The address of an array map's value at `index`: what BPF_PSEUDO_MAP_VALUE (global data,
   * map_direct_value_addr) resolves to. Other map types: MAP_UNSUPPORTED.
   */
  valueAddress(index = 0): number {
    if (this.type !== MapType.ARRAY) {
      throw new MapError('MAP_UNSUPPORTED', this.name, 'value_address', Errno.ENOTSUPP, `${this.typeName} has no direct value access`);
    }
    if (!Number.isInteger(index) || index < 0 || index >= this.maxEntries) {
      throw new MapError('MAP_INVALID', this.name, 'value_address', Errno.EINVAL, `index ${index} of ${this.maxEntries}`);
    }
    new DataView(this.mem().buffer).setUint32(this.keyBuf, index, true);
    return this.x.map_lookup(this.address, this.keyBuf) >>> 0;
  }

  // ---- element operations ----

  /**
   * BPF_MAP_LOOKUP_ELEM: a copy of the value, or undefined if there is none. Percpu maps: every CPU's
   * value (see lookupPerCpu). Queue/stack: the next element (peek). Ring buffers and xskmaps have no
   * lookup (MAP_UNSUPPORTED). Socket maps (sockmap, sockhash, reuseport_sockarray): the socket's
   * cookie as a u64, as the kernel answers for a value_size of 8 (value_size 4: ENOSPC).
   */
  lookup(key: Uint8Array, flags = 0): Uint8Array | undefined {
    // BPF_MAP_LOOKUP_ELEM's flags: only BPF_F_LOCK, and only for a value with a bpf_spin_lock
    if ((flags & ~BPF_F_LOCK) !== 0 || ((flags & BPF_F_LOCK) !== 0 && this.spinLockOff < 0)) {
      throw MapError.from(this.name, 'lookup', -Errno.EINVAL, `flags 0x${flags.toString(16)}${this.spinLockOff < 0 ? ' (the value has no bpf_spin_lock)' : ''}`);
    }
    if (this.spinLockOff >= 0) return this.withoutTimer(this.withoutLock(this.lookupValue(key, (flags & BPF_F_LOCK) !== 0)));
    return this.withoutTimer(this.lookupValue(key));
  }

  /**
   * Where the value's `struct bpf_timer` is (from the object's BTF; hash, lru_hash and array maps), or
   * -1. Its 16 bytes are the timer's (assembly/maps/timer.ts): lookups read them as zero, an update frees
   * the timer (array_map_update_elem's bpf_obj_free_fields, a hash element replaced) but a hash's in-place
   * BPF_F_LOCK update, which keeps it.
   */
  get timerOff(): number {
    return this.fp.memory.view().getUint32(this.address + MAP_HDR.TIMER, true) - 1;
  }

  /** @internal The loader sets the timer's offset from BTF (spin_lock_maps.ts), before the map is used. */
  setTimerOff(off: number): void {
    this.fp.memory.view().setUint32(this.address + MAP_HDR.TIMER, off + 1, true);
  }

  private withoutTimer(v: Uint8Array | undefined): Uint8Array | undefined {
    const off = v ? this.timerOff : -1;
    if (off >= 0) v!.fill(0, off, off + 16);
    // a list head's bytes: the kernel's copy has an empty head initialised over its own buffer
    // (check_and_init_map_value: next = prev = a kernel address, 6.18.44); wxdp's read as zero
    // (a per-CPU value: every CPU's copy, round_up(value_size, 8) bytes apart — bpf_percpu_array_copy's and
    // bpf_percpu_hash_copy's check_and_init_map_value per CPU)
    if (v && this.graphFields) {
      const unit = round8(this.valueSize);
      for (let c = 0; c < (this.isPercpu ? this.ncpus : 1); c++) for (const [o, n] of this.graphFields.spans) v.fill(0, c * unit + o, c * unit + o + n);
    }
    return v;
  }

  /**
   * Where the value's `struct bpf_spin_lock` is (from the object's BTF; hash and array maps), or -1.
   * Its 4 bytes are the lock's: lookups read them as zero (check_and_init_map_value), updates leave
   * them (copy_map_value), and BPF_F_LOCK is accepted on both.
   */
  get spinLockOff(): number {
    return this.fp.memory.view().getUint32(this.address + MAP_HDR.SPIN_LOCK, true) - 1;
  }

  /**
   * @internal The value's fields that hold allocated objects (bpf_list_head: control/graph_maps.ts), as
   * copy_map_value and bpf_obj_free_fields treat them: `save` the fields of the value at an address,
   * `restore` them there, `free` the objects saved fields held, `clear` (empty) a value's. Set by the loader.
   */
  graphFields: GraphFields | undefined;

  /** @internal The element of the key at `keyPtr` (linear memory): its value's address, CPU 0's for a per-CPU map, or 0. */
  elemValueAt(keyPtr: number): number {
    return this.x.map_elem_value(this.address, keyPtr) >>> 0;
  }

  /**
   * @internal An LRU hash's kptr fields at `offsets`: the record the fast path queues a leaving element's
   * kptr pointers in (assembly/maps/lru.ts MAPS_LRU_KPTRS); its address.
   */
  setLruKptrs(offsets: readonly number[]): number {
    // one update's evictions (up to LOCAL_FREE_TARGET = 128 elements) and the element it replaces, each CPU's copy
    const cap = 130 * offsets.length * this.ncpus;
    const q = 16 + ((offsets.length * 4 + 7) & ~7);
    const d = this.x.arena_alloc(q + 8 * cap, 8) >>> 0;
    if (d === 0) throw new MapError('MAP_CREATE', this.name, 'create', Errno.ENOMEM, 'no memory for the kptr record');
    const dv = this.fp.memory.view();
    for (let i = 0; i < q; i += 4) dv.setUint32(d + i, 0, true);
    dv.setUint32(d, offsets.length, true);
    dv.setUint32(d + 4, cap, true);
    offsets.forEach((o, i) => dv.setUint32(d + 16 + 4 * i, o, true));
    dv.setUint32(this.address + MAPS_LAYOUT.LRU_KPTRS, d, true);
    return d;
  }

  /**
   * Every element's kptrs and lists freed, as bpf_obj_free_fields does for each element when the map goes
   * (array_map_free, htab_map_free) or, here, before clear() empties it.
   */
  private freeAllFields(): void {
    const g = this.graphFields;
    if (!g) return;
    for (let k = this.nextKey(null); k; k = this.nextKey(k)) {
      this.putKey(k, this.keyBuf, 'delete');
      const v = g.valueAt(this.keyBuf);
      if (!v) continue;
      const saved = g.save(v, 'all');
      g.clear(v, 'all');
      g.free(saved);
    }
    g.drain();
  }

  /** @internal The loader sets the lock's offset from BTF (spin_lock.ts), before the map is used. */
  setSpinLockOff(off: number): void {
    this.fp.memory.view().setUint32(this.address + MAP_HDR.SPIN_LOCK, off + 1, true);
  }

  /**
   * BPF_F_LOCK: `f` runs holding the bpf_spin_lock of the value at `v` (copy_map_value_locked), the word
   * the programs' bpf_spin_lock takes (assembly/spin_lock.ts: 0 free, 1 held, compare-exchange). Only the
   * shared build has anybody to exclude; single-threaded the word is left as it is.
   */
  private withValueLock<T>(v: number, f: () => T): T {
    const buf = this.fp.memory.memory.buffer;
    if (!(buf instanceof SharedArrayBuffer)) return f();
    const i32 = new Int32Array(buf);
    const at = (v + this.spinLockOff) >>> 2;
    // as the helper: a word garbage made never free is taken anyway after SPIN_LIMIT tries
    for (let n = 0; Atomics.compareExchange(i32, at, 0, 1) !== 0 && n < SPIN_LIMIT; n++);
    Atomics.store(i32, at, 1);
    try {
      return f();
    } finally {
      Atomics.store(i32, at, 0);
    }
  }

  private withoutLock(v: Uint8Array | undefined): Uint8Array | undefined {
    if (v) v.fill(0, this.spinLockOff, this.spinLockOff + 4);
    return v;
  }

  private lookupValue(key: Uint8Array, locked = false): Uint8Array | undefined {
    if (this.type === MapType.QUEUE || this.type === MapType.STACK) return this.peek();
    if (this.type === MapType.BLOOM_FILTER) {
      // BPF_MAP_LOOKUP_ELEM of a bloom filter takes no key (key_size 0: a key pointer is -EINVAL) but
      // the value asked about: peek(value)
      throw MapError.from(this.name, 'lookup', -Errno.EINVAL, 'a bloom filter has no keys: ask with peek(value)');
    }
    if (this.type === MapType.RINGBUF) throw MapError.from(this.name, 'lookup', -Errno.ENOTSUPP);
    if (this.type === MapType.XSKMAP) throw MapError.from(this.name, 'lookup', -Errno.EOPNOTSUPP);
    if (isSockMapType(this.type)) {
      this.putKey(key, this.keyBuf, 'lookup');
      const ret = this.x.map_lookup_sock(this.address, this.keyBuf, this.valueBuf);
      if (ret === -Errno.ENOENT) return undefined;
      this.check('lookup', ret);
      return this.mem().slice(this.valueBuf, this.valueBuf + 8);
    }
    if (this.type === MapType.PERF_EVENT_ARRAY) throw MapError.from(this.name, 'lookup', -Errno.ENOTSUPP);
    this.putKey(key, this.keyBuf, 'lookup');
    const v = this.x.map_lookup(this.address, this.keyBuf) >>> 0;
    if (v === 0) return undefined;
    if (isMapInMapType(this.type)) {
      // map_fd_sys_lookup_elem: the inner map's id.
      const inner = this.fp.memory.view().getUint32(v, true);
      return this.mem().slice(inner + MAP_HDR.ID, inner + MAP_HDR.ID + 4);
    }
    if (locked) return this.withValueLock(v, () => this.mem().slice(v, v + this.valueBytes));
    return this.mem().slice(v, v + this.valueBytes);
  }

  /** array_of_maps / hash_of_maps: the template inner maps must match. Other maps: undefined. */
  get innerMeta(): InnerMapMeta | undefined {
    if (!isMapInMapType(this.type)) return undefined;
    const dv = this.fp.memory.view();
    const meta = dv.getUint32(this.address + MAPS_LAYOUT.MIM_META, true);
    const u = (o: number) => dv.getUint32(meta + o, true);
    return { type: u(0), keySize: u(4), valueSize: u(8), maxEntries: u(12), flags: u(16) };
  }

  /**
   * @internal The loader sets the template's spin lock and timer offsets from BTF (spin_lock_maps.ts),
   * before any inner map is stored: an inner map must have them at the same place (btf_record_equal).
   */
  setInnerFields(spinLockOff: number, timerOff: number): void {
    const dv = this.fp.memory.view();
    const meta = dv.getUint32(this.address + MAPS_LAYOUT.MIM_META, true);
    dv.setUint32(meta + MAPS_LAYOUT.MIM_META_SPIN_LOCK, spinLockOff + 1, true);
    dv.setUint32(meta + MAPS_LAYOUT.MIM_META_TIMER, timerOff + 1, true);
  }

  /**
   * @internal array_of_maps / hash_of_maps: where the template's spin lock and timer are in an inner map's value
   * (-1: none), as setInnerFields left them. Other maps: undefined.
   */
  get innerFields(): { spinLockOff: number; timerOff: number } | undefined {
    if (!isMapInMapType(this.type)) return undefined;
    const dv = this.fp.memory.view();
    const meta = dv.getUint32(this.address + MAPS_LAYOUT.MIM_META, true);
    return { spinLockOff: dv.getUint32(meta + MAPS_LAYOUT.MIM_META_SPIN_LOCK, true) - 1, timerOff: dv.getUint32(meta + MAPS_LAYOUT.MIM_META_TIMER, true) - 1 };
  }

  /**
   * array_of_maps / hash_of_maps: the inner map at `key`, or undefined: a handle that holds the map and a
   * user reference on it, as the fd of BPF_MAP_GET_FD_BY_ID (lookup's id) does, until close(). The map
   * outlives its removal from the outer map and its object's unload while the handle is open; close() it
   * when done (the map then goes if nothing else holds it).
   */
  innerMap(key: Uint8Array): BpfMap | undefined {
    const address = this.innerAddress(key);
    return address === undefined ? undefined : BpfMap.attach(this.fp, address, `${this.name}[inner]`).reopen();
  }

  /** @internal The address of the inner map at `key` (array_of_maps / hash_of_maps), holding nothing. */
  innerAddress(key: Uint8Array): number | undefined {
    if (!isMapInMapType(this.type)) return undefined;
    const id = this.lookup(key);
    return id ? mapAddressById(this.fp, new DataView(id.buffer, id.byteOffset).getUint32(0, true)) : undefined;
  }

  /** array_of_maps / hash_of_maps: store `inner` at `key` (update() with the map's id). */
  setInner(key: Uint8Array, inner: BpfMap, flags = BPF_ANY): void {
    const v = new Uint8Array(4);
    new DataView(v.buffer).setUint32(0, inner.fp === this.fp ? inner.id : 0, true);
    this.update(key, v, flags);
  }

  /** A percpu map's value for each CPU (value_size bytes each), or undefined. */
  lookupPerCpu(key: Uint8Array): Uint8Array[] | undefined {
    if (!this.isPercpu) throw new MapError('MAP_INVALID', this.name, 'lookup', Errno.EINVAL, `${this.typeName} is not a percpu map`);
    const all = this.lookup(key);
    if (!all) return undefined;
    const unit = round8(this.valueSize);
    return Array.from({ length: this.ncpus }, (_, c) => all.slice(c * unit, c * unit + this.valueSize));
  }

  has(key: Uint8Array): boolean {
    return this.lookup(key) !== undefined;
  }

  /** lookup under the name TypedMap (and JavaScript's Map) use: the map APIs share get/set/has/delete. */
  get(key: Uint8Array): Uint8Array | undefined {
    return this.lookup(key);
  }

  /** The first program stored in this devmap / cpumap: its xdp_has_frags, which every later one must share (map->owner). */
  private entryOwnerFrags: boolean | undefined;

  /**
   * A devmap's / cpumap's bpf_prog.fd (value bytes 4-7; > 0 with a device / qsize: a program) must be an XDP entry of
   * this fast path's table (Program.fd) — the fast path calls that slot for each frame redirected to the entry (napi.ts
   * runProg): any other number trapped the poll (rv54) — and, as the kernel's __dev_map_alloc_node /
   * __cpu_map_load_bpf_program: an XDP program (bpf_prog_get_type_dev), not device-bound, whose expected_attach_type
   * is BPF_XDP_DEVMAP (SEC("xdp/devmap")) / BPF_XDP_CPUMAP (SEC("xdp/cpumap")), with the xdp_has_frags of the map's
   * first program (bpf_prog_map_compatible). Every refusal is EINVAL for a devmap and ENOMEM for a cpumap (its
   * entry allocation returns NULL): 6.18.44 answered so for a plain SEC("xdp"), the other map's kind, a tc
   * program, a map's fd, fd 99999 and a frags program after a plain one. Checked after what the kernel checks
   * first (flags, the key's range, BPF_NOEXIST on an array, a cpumap's qsize), which the fast path answers.
   */
  private checkEntryProgram(key: Uint8Array, value: Uint8Array, flags: number): void {
    const dv = new DataView(value.buffer, value.byteOffset, 8);
    const fd = dv.getInt32(4, true);
    const target = dv.getUint32(0, true);
    if (target === 0 || fd <= 0 || flags > BPF_EXIST) return;
    const cpumap = this.type === MapType.CPUMAP;
    if (this.type !== MapType.DEVMAP_HASH) {
      const k = key.length >= 4 ? (key[0]! | key[1]! << 8 | key[2]! << 16 | key[3]! << 24) >>> 0 : 0;
      if (k >= this.maxEntries || flags === BPF_NOEXIST) return;
    }
    if (cpumap && target > 16384) return;
    const e = this.fp.xdpEntries.get(fd);
    const want = cpumap ? 'xdp_cpumap' : 'xdp_devmap';
    const why = e === undefined ? `bpf_prog.fd ${fd} names no program here (Program.fd)`
      : e.type !== 'xdp' ? `bpf_prog.fd ${fd} is a ${e.type} program, not XDP`
      : e.devBound ? `bpf_prog.fd ${fd} is device-bound`
      : e.attachType !== want ? `bpf_prog.fd ${fd} was not loaded for a ${cpumap ? 'cpumap' : 'devmap'} (expected attach type ${e.attachType ?? 'none'}; SEC("xdp/${cpumap ? 'cpumap' : 'devmap'}") gives ${want})`
      : this.entryOwnerFrags !== undefined && this.entryOwnerFrags !== e.frags ? `bpf_prog.fd ${fd} ${e.frags ? 'has' : 'lacks'} xdp.frags, unlike the map's first program`
      : undefined;
    if (why !== undefined) throw MapError.from(this.name, 'update', cpumap ? -Errno.ENOMEM : -Errno.EINVAL, why);
    this.entryOwnerFrags ??= e!.frags;
  }

  /** update (BPF_ANY unless `flags` says otherwise) under Map's name; returns the map, as Map.set does. */
  set(key: Uint8Array, value: MapValue, flags = BPF_ANY): this {
    this.update(key, value, flags);
    return this;
  }

  /**
   * BPF_MAP_UPDATE_ELEM with BPF_ANY, BPF_NOEXIST or BPF_EXIST. Percpu maps take one value for every
   * CPU, an array of ncpus values, or the syscall's ncpus × round_up(value_size, 8) buffer. Queue and
   * stack: a push (the key is ignored).
   */
  update(key: Uint8Array, value: MapValue, flags = BPF_ANY): void {
    this.checkWritable('update');
    if (this.handleMap && value instanceof Uint8Array && value.length >= 4) {
      const slot = this.handleMap(new DataView(value.buffer, value.byteOffset, 4).getUint32(0, true));
      if (slot < 0) this.check('update', slot);
      value = value.slice();
      new DataView(value.buffer, value.byteOffset, 4).setUint32(0, slot, true);
    }
    if (this.type === MapType.QUEUE || this.type === MapType.STACK || this.type === MapType.BLOOM_FILTER) {
      this.push(value as Uint8Array, flags);
      return;
    }
    if ((this.type === MapType.DEVMAP || this.type === MapType.DEVMAP_HASH || this.type === MapType.CPUMAP) && this.valueSize === 8 && value instanceof Uint8Array && value.length >= 8) {
      this.checkEntryProgram(key, value, flags);
    }
    this.putKey(key, this.keyBuf, 'update');
    this.putValue(value, 'update');
    if (isMapInMapType(this.type)) {
      // The value is an inner map's id (the kernel's fd); no map with that id is a bad descriptor.
      const id = this.fp.memory.view().getUint32(this.valueBuf, true);
      const inner = mapAddressById(this.fp, id) ?? 0;
      this.check('update', this.x.map_in_map_update(this.address, this.keyBuf, inner, flags), inner === 0 ? `no map has id ${id}` : undefined);
      return;
    }
    const lockOff = this.spinLockOff;
    const how = flags & ~BPF_F_LOCK;
    if ((flags & BPF_F_LOCK) !== 0 && lockOff >= 0 && (how === BPF_ANY || how === BPF_EXIST)) {
      // an existing value is rewritten in place under its lock, all but its special fields — the lock's
      // bytes and a bpf_timer's (htab_map_update_elem's lock-and-copy, array_map_update_elem's
      // copy_map_value_locked, which then frees an array element's timer: assembly/maps/map_value.ts)
      const v = this.x.map_lookup(this.address, this.keyBuf) >>> 0;
      if (v !== 0) {
        const src = this.valueBuf;
        // copy_map_value_locked skips every special field: a hash's list head stays as it is; an array's
        // element then has its fields freed all the same (array_map_update_elem's bpf_obj_free_fields:
        // its list emptied, the objects dropped — 6.18.44, tests/programs/obj_graph.test.ts)
        const saved = this.graphFields?.save(v, 'running');
        this.withValueLock(v, () => this.x.map_value_copy_locked(this.address, v, src));
        if (saved) {
          this.graphFields!.restore(v, saved);
          if (this.type === MapType.ARRAY) {
            this.graphFields!.clear(v, 'running');
            this.graphFields!.free(saved);
          }
        }
        return;
      }
    }
    // the value replaced: bpf_obj_free_fields of the old one (its lists emptied, their objects freed);
    // the new one's list heads are not the caller's bytes (copy_map_value skips them): empty
    const g = this.graphFields;
    const old = g ? g.valueAt(this.keyBuf) : 0;
    // (an LRU hash's replaced element: the fast path queues its kptrs; a per-CPU one's is copied in place)
    const saved = old && !(g!.lru && !g!.percpu) ? g!.save(old, 'all') : undefined;
    const ret = this.x.map_update(this.address, this.keyBuf, this.valueBuf, flags);
    if (g && ret >= 0) {
      const now = g.valueAt(this.keyBuf);
      if (now) g.clear(now, 'all');
      if (saved && !(g.lru && now !== old)) g.free(saved);
    }
    g?.drain();
    this.check('update', ret);
  }

  private isFrozen = false;

  /**
   * BPF_MAP_FREEZE: from now on the syscall side (this API) cannot change the map; programs still can
   * unless the map is BPF_F_RDONLY_PROG. libbpf freezes `.rodata` after writing it, and the verifier then
   * reads constants from it.
   */
  freeze(): void {
    this.isFrozen = true;
  }

  get frozen(): boolean {
    return this.isFrozen;
  }

  private checkWritable(op: string): void {
    void this.address; // a closed or freed handle: EBADF first, as fdget comes before everything
    if (this.isFrozen) throw new MapError('MAP_INVALID', this.name, op, Errno.EPERM, 'the map is frozen (BPF_MAP_FREEZE)');
  }

  /** BPF_MAP_DELETE_ELEM (arrays: MAP_INVALID, missing keys: MAP_NOT_FOUND, as the kernel). */
  delete(key: Uint8Array): void {
    this.checkWritable('delete');
    this.putKey(key, this.keyBuf, 'delete');
    const g = this.graphFields;
    const old = g && !g.lru ? g.valueAt(this.keyBuf) : 0;
    const saved = old ? g!.save(old, 'all') : undefined;
    const ret = this.x.map_delete(this.address, this.keyBuf);
    // the element freed: bpf_obj_free_fields (its lists emptied, their objects freed; an LRU's queued)
    if (saved && ret >= 0) g!.free(saved);
    g?.drain();
    this.check('delete', ret);
  }

  /**
   * BPF_MAP_GET_NEXT_KEY: the key after `key` (null: the first key), or undefined after the last one.
   * A key that is not in the map gives the first key, as in the kernel.
   */
  nextKey(key: Uint8Array | null): Uint8Array | undefined {
    let k = 0;
    if (key) {
      this.putKey(key, this.keyBuf, 'get_next_key');
      k = this.keyBuf;
    }
    const ret = this.x.map_get_next_key(this.address, k, this.nextBuf);
    if (ret === -Errno.ENOENT) return undefined;
    this.check('get_next_key', ret);
    return this.mem().slice(this.nextBuf, this.nextBuf + this.keySize);
  }

  /** Every key, in get_next_key order (a key deleted under the walk restarts it, as in the kernel). */
  *keys(): IterableIterator<Uint8Array> {
    let prev: Uint8Array | null = null;
    for (;;) {
      const k = this.nextKey(prev);
      if (!k) return;
      yield k;
      prev = k;
    }
  }

  /** Every [key, value], in get_next_key order. */
  *entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    for (const k of this.keys()) {
      const v = this.lookup(k);
      if (v) yield [k, v];
    }
  }

  [Symbol.iterator](): IterableIterator<[Uint8Array, Uint8Array]> {
    return this.entries();
  }

  // ---- queue / stack ----

  /**
   * Push onto a queue or stack; BPF_EXIST drops the oldest element when full, else MAP_FULL (E2BIG).
   * A bloom filter: the value's bits set (flags other than BPF_ANY: EINVAL).
   */
  push(value: Uint8Array, flags = BPF_ANY): void {
    this.putValue(value, 'push');
    this.check('push', this.x.map_push(this.address, this.valueBuf, flags));
  }

  /** Pop from a queue (oldest) or stack (newest); undefined when empty. */
  pop(): Uint8Array | undefined {
    return this.take('pop', this.x.map_pop(this.address, this.valueBuf));
  }

  /**
   * The element pop() would return, left in place; undefined when empty. A bloom filter is asked about
   * `value` (BPF_MAP_LOOKUP_ELEM with the value and no key): a copy of it when every one of its bits is
   * set (maybe a false positive), undefined when not (-ENOENT: certainly never pushed).
   */
  peek(value?: Uint8Array): Uint8Array | undefined {
    if (this.type === MapType.BLOOM_FILTER) {
      if (!value) throw MapError.from(this.name, 'peek', -Errno.EINVAL, 'a bloom filter is asked about a value: peek(value)');
      this.putValue(value, 'peek');
    }
    return this.take('peek', this.x.map_peek(this.address, this.valueBuf));
  }

  private take(op: string, ret: number): Uint8Array | undefined {
    if (ret === -Errno.ENOENT) return undefined;
    this.check(op, ret);
    return this.mem().slice(this.valueBuf, this.valueBuf + this.valueSize);
  }

  /**
   * Remove every element. Arrays cannot lose elements: their values are zeroed instead. Ring
   * buffers: MAP_UNSUPPORTED (consume them with a RingBufReader).
   */
  clear(): void {
    this.freeAllFields();
    const ret = this.x.map_clear(this.address);
    if (ret === -Errno.EINVAL && (this.type === MapType.ARRAY || this.type === MapType.PERCPU_ARRAY)) {
      const zero = new Uint8Array(this.valueBytes);
      const key = new Uint8Array(4);
      const dv = new DataView(key.buffer);
      for (let i = 0; i < this.maxEntries; i++) {
        dv.setUint32(0, i, true);
        this.update(key, zero);
      }
      return;
    }
    this.check('clear', ret);
  }

  // ---- batches (BPF_MAP_*_BATCH) ----

  /**
   * BPF_MAP_LOOKUP_BATCH, as generic_map_lookup_batch(): up to `count` elements after `inBatch` (null:
   * from the start), in get_next_key order; `outBatch` is the last key returned. `done` when the walk
   * reached the end (the kernel's -ENOENT). The kernel's hash maps batch whole buckets instead (and
   * fail with ENOSPC when a bucket does not fit in `count`); wxdp walks them key by key.
   */
  lookupBatch(inBatch: Uint8Array | null = null, count = this.maxEntries, elemFlags = 0): LookupBatchResult {
    this.batchCheck('lookup_batch', BATCH_LOOKUP_UPDATE, elemFlags);
    const keys: Uint8Array[] = [];
    const values: Uint8Array[] = [];
    let prev = inBatch;
    let done = false;
    while (keys.length < count) {
      const k = this.nextKey(prev);
      if (!k) {
        done = true;
        break;
      }
      const v = this.lookup(k);
      if (v) {
        keys.push(k);
        values.push(v);
      }
      prev = k;
    }
    return { keys, values, outBatch: keys.length > 0 ? keys[keys.length - 1]! : null, done };
  }

  /**
   * BPF_MAP_UPDATE_BATCH, as generic_map_update_batch(): updates in order and stops at the first
   * failure. Its elem_flags may only be 0 or BPF_F_LOCK (so no BPF_NOEXIST / BPF_EXIST here).
   */
  updateBatch(keys: readonly Uint8Array[], values: readonly MapValue[], elemFlags = 0): BatchResult {
    this.checkWritable('update_batch');
    this.batchCheck('update_batch', BATCH_LOOKUP_UPDATE, elemFlags);
    if (keys.length !== values.length) {
      throw new MapError('MAP_INVALID', this.name, 'update_batch', Errno.EINVAL, `${keys.length} keys but ${values.length} values`);
    }
    for (let i = 0; i < keys.length; i++) {
      try {
        this.update(keys[i]!, values[i]!, elemFlags);
      } catch (e) {
        if (e instanceof MapError) return { count: i, error: e };
        throw e;
      }
    }
    return { count: keys.length };
  }

  /** BPF_MAP_DELETE_BATCH, as generic_map_delete_batch(): deletes in order, stops at the first failure. */
  deleteBatch(keys: readonly Uint8Array[], elemFlags = 0): BatchResult {
    this.checkWritable('delete_batch');
    this.batchCheck('delete_batch', BATCH_DELETE, elemFlags);
    for (let i = 0; i < keys.length; i++) {
      try {
        this.delete(keys[i]!);
      } catch (e) {
        if (e instanceof MapError) return { count: i, error: e };
        throw e;
      }
    }
    return { count: keys.length };
  }

  private batchCheck(op: string, supported: Set<number>, elemFlags: number): void {
    if (!supported.has(this.type)) throw MapError.from(this.name, op, -Errno.ENOTSUPP, `${this.typeName} has no ${op}`);
    if ((elemFlags & ~BPF_F_LOCK) !== 0) throw MapError.from(this.name, op, -Errno.EINVAL, `elem_flags 0x${elemFlags.toString(16)}`);
  }

  // ---- typed access ----

  /** A view of this map with typed keys and values. */
  typed<K, V>(key: Codec<K>, value: Codec<V>): TypedMap<K, V> {
    return new TypedMap(this, key, value);
  }

  // ---- plumbing ----

  private mem(): Uint8Array {
    const buf = this.fp.memory.memory.buffer;
    if (this.u8?.buffer !== buf) this.u8 = new Uint8Array(buf);
    return this.u8;
  }

  private putKey(key: Uint8Array, at: number, op: string): void {
    void this.address;
    if (key.length !== this.keySize) {
      throw new MapError('MAP_INVALID', this.name, op, Errno.EINVAL, `key of ${key.length} bytes, the map's key_size is ${this.keySize}`);
    }
    this.mem().set(key, at);
  }

  private putValue(value: MapValue, op: string): void {
    const mem = this.mem();
    if (!this.isPercpu) {
      if (!(value instanceof Uint8Array) || value.length !== this.valueSize) {
        throw new MapError('MAP_INVALID', this.name, op, Errno.EINVAL, `value must be ${this.valueSize} bytes`);
      }
      mem.set(value, this.valueBuf);
      return;
    }
    const unit = round8(this.valueSize);
    const per = (v: Uint8Array | undefined, c: number) => {
      if (!v || v.length !== this.valueSize) {
        throw new MapError('MAP_INVALID', this.name, op, Errno.EINVAL, `each CPU's value must be ${this.valueSize} bytes`);
      }
      mem.fill(0, this.valueBuf + c * unit, this.valueBuf + (c + 1) * unit);
      mem.set(v, this.valueBuf + c * unit);
    };
    if (value instanceof Uint8Array) {
      if (value.length === this.valueBytes && value.length !== this.valueSize) {
        mem.set(value, this.valueBuf);
      } else {
        for (let c = 0; c < this.ncpus; c++) per(value, c);
      }
      return;
    }
    if (value.length !== this.ncpus) {
      throw new MapError('MAP_INVALID', this.name, op, Errno.EINVAL, `${value.length} values for ${this.ncpus} CPUs`);
    }
    value.forEach(per);
  }

  private check(op: string, ret: number, detail?: string): void {
    if (ret < 0) throw MapError.from(this.name, op, ret, detail);
  }
}

/**
 * A BpfMap seen through codecs. get() and entries() decode; set() encodes. delete() answers whether
 * the key was there (other failures throw, as BpfMap's).
 */
export class TypedMap<K, V> implements Iterable<[K, V]> {
  readonly map: BpfMap;
  readonly key: Codec<K>;
  readonly value: Codec<V>;

  constructor(map: BpfMap, key: Codec<K>, value: Codec<V>) {
    const keyless = map.keySize === 0;
    if ((!keyless && key.size !== map.keySize) || value.size !== map.valueSize) {
      throw new MapError('MAP_INVALID', map.name, 'typed', Errno.EINVAL,
        `codecs of ${key.size}/${value.size} bytes for key_size ${map.keySize}, value_size ${map.valueSize}`);
    }
    this.map = map;
    this.key = key;
    this.value = value;
  }

  get(k: K): V | undefined {
    if (this.map.isPercpu) return this.getPerCpu(k)?.[0];
    const v = this.map.lookup(this.key.encode(k));
    return v === undefined ? undefined : this.value.decode(v);
  }

  getPerCpu(k: K): V[] | undefined {
    return this.map.lookupPerCpu(this.key.encode(k))?.map((b) => this.value.decode(b));
  }

  set(k: K, v: V, flags = BPF_ANY): this {
    this.map.update(this.key.encode(k), this.value.encode(v), flags);
    return this;
  }

  setPerCpu(k: K, values: readonly V[], flags = BPF_ANY): this {
    this.map.update(this.key.encode(k), values.map((v) => this.value.encode(v)), flags);
    return this;
  }

  delete(k: K): boolean {
    try {
      this.map.delete(this.key.encode(k));
      return true;
    } catch (e) {
      if (e instanceof MapError && e.code === 'MAP_NOT_FOUND') return false;
      throw e;
    }
  }

  has(k: K): boolean {
    return this.map.has(this.key.encode(k));
  }

  *keys(): IterableIterator<K> {
    for (const k of this.map.keys()) yield this.key.decode(k);
  }

  *entries(): IterableIterator<[K, V]> {
    for (const [k, v] of this.map.entries()) {
      yield [this.key.decode(k), this.value.decode(this.map.isPercpu ? v.subarray(0, this.map.valueSize) : v)];
    }
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  push(v: V, flags = BPF_ANY): void {
    this.map.push(this.value.encode(v), flags);
  }

  pop(): V | undefined {
    const b = this.map.pop();
    return b === undefined ? undefined : this.value.decode(b);
  }

  peek(): V | undefined {
    const b = this.map.peek();
    return b === undefined ? undefined : this.value.decode(b);
  }
}

/**
 * BPF_MAP_CREATE on a fast path: the map, or a MapError with code MAP_CREATE and the errno. The handle is
 * the creating fd: it holds the map's user reference until close() (the map then goes when nothing else
 * holds it, as a handle from innerMap() does), so closing another handle on the map frees nothing.
 */
export function createMap(fp: FastPath, spec: MapSpec): BpfMap {
  const map = BpfMap.create(fp, spec);
  map.takeUref();
  return map;
}

/** BpfMap.graphFields: a value's list heads as copy_map_value and bpf_obj_free_fields see them. */
export interface GraphFields {
  /** [offset, size] of each field in the value: lookups read them as zero (the kernel: an empty head at its copy's address). */
  spans: readonly (readonly [number, number])[];
  /** An LRU hash (the fast path queues the kptrs of elements leaving the table: `drain` drops their objects). */
  lru: boolean;
  percpu: boolean;
  /** The element of the key at `keyPtr`: its value's address, CPU 0's copy for a per-CPU map (0: none). */
  valueAt(keyPtr: number): number;
  /**
   * `v` an element's value (CPU 0's copy): a per-CPU map's copies of every CPU (an update from user space, a
   * delete) or of the running one (the program's update); other maps' `v`.
   */
  save(v: number, cpus: 'all' | 'running'): unknown;
  restore(v: number, saved: unknown): void;
  free(saved: unknown): void;
  clear(v: number, cpus: 'all' | 'running'): void;
  drain(): void;
}

/** The maps of one fast path, by name (what an object file or a Datapath holds). */
export class MapSet implements Iterable<BpfMap> {
  readonly fp: FastPath;
  private readonly byName = new Map<string, BpfMap>();

  constructor(fp: FastPath) {
    this.fp = fp;
  }

  create(spec: MapSpec): BpfMap {
    if (this.byName.has(spec.name)) {
      throw new MapError('MAP_CREATE', spec.name, 'create', Errno.EEXIST, 'a map of that name exists in this set');
    }
    const m = BpfMap.create(this.fp, spec);
    this.byName.set(spec.name, m);
    return m;
  }

  get(name: string): BpfMap | undefined {
    return this.byName.get(name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  byAddress(address: number): BpfMap | undefined {
    for (const m of this.byName.values()) if (m.address === address) return m;
    return undefined;
  }

  get size(): number {
    return this.byName.size;
  }

  [Symbol.iterator](): IterableIterator<BpfMap> {
    return this.byName.values();
  }
}
