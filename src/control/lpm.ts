// TypeScript over the fast path's LPM tables (assembly/net/lpm4.ts, lpm6.ts, lpm.ts): create, add,
// delete, exact get, lookup (one or a bulk array), and bulk load from a list with a progress callback.
// The FIB and `wxdp bench fib` build on these. Errors are NetErrors with the kernel's errno names
// (EINVAL, ENOENT, ENOMEM naming the memory limit, EBUSY).
//
//   const t = Lpm4Table.create(dp.fastPath);
//   t.add('198.51.100.0/24', 7);            // or t.add(0xc6336400, 24, 7)
//   t.lookup('198.51.100.9');                // 7
//   t.load(routes, { onProgress: (done, total) => bar(done / total) });
//
// Reclaiming: every update retires the blocks it unlinked; they are reused once reclaim.ts's grace
// period is over (every worker online has passed a quiescent point: net_quiescent), at once with no
// worker online. `reclaim: 'auto'` (the default) runs reclaim() after each operation; with 'manual'
// the caller does.

import type { FastPath } from '../runtime/fastpath.js';
import { ipv4TextOf, ipv4Value, ipv6Bytes, ipv6Text } from './addresses.js';
import { NetError, type NetErrno } from './net_types.js';

type I = number;
interface LpmExports {
  lpm4_create(): I;
  lpm4_add(t: I, addr: I, len: I, value: I): I;
  lpm4_del(t: I, addr: I, len: I): I;
  lpm4_get(t: I, addr: I, len: I): I;
  lpm4_lookup(t: I, addr: I): I;
  lpm4_lookup_bulk(t: I, src: I, dst: I, n: I): void;
  lpm6_create(): I;
  lpm6_add(t: I, addr: I, len: I, value: I): I;
  lpm6_del(t: I, addr: I, len: I): I;
  lpm6_get(t: I, addr: I, len: I): I;
  lpm6_lookup(t: I, addr: I): I;
  lpm6_lookup_bulk(t: I, src: I, dst: I, n: I): void;
  lpm_batch_begin(t: I): I;
  lpm_in_batch(t: I): I;
  lpm_commit(t: I, groups: I): I;
  lpm_reclaim(t: I): number;
  lpm_gen(t: I): I;
  lpm_count(t: I): I;
  lpm_mem(t: I, what: I): number;
  lpm_flush(t: I): I;
  scratch_base(): I;
}

/** The largest value a table holds (values are nonzero u32s). */
export const LPM_VALUE_MAX = 0xffffffff;

/** Bytes a table uses (lpm_mem). */
export interface LpmMemory {
  /** The lookup structure: direct table, nodes, leaves. */
  structure: number;
  /** The rule trie (what deletes fall back on). */
  rules: number;
  /** All the table has taken from the arena (free blocks included). */
  held: number;
  /** Retired blocks waiting for reclaim(). */
  retired: number;
}

export interface LpmOptions {
  /** 'auto' (default): reuse retired memory after every operation (one worker). 'manual': call reclaim(). */
  reclaim?: 'auto' | 'manual';
}

export interface LoadOptions {
  /** Called as the load goes: rules inserted, then direct-table groups published. */
  onProgress?: (done: number, total: number, phase: 'rules' | 'build') => void;
  /** Groups of 64 direct entries published per step (default 256). */
  step?: number;
}

export interface LoadResult {
  /** Routes given. */
  routes: number;
  /** Prefixes in the table afterwards. */
  count: number;
  /** Milliseconds inserting rules, then building and publishing. */
  rulesMs: number;
  buildMs: number;
}

/** [address, prefix length, value]; the address as a string or a number (IPv4: host-order u32). */
export type Lpm4Route = readonly [addr: string | number, len: number, value: number];
export type Lpm6Route = readonly [addr: string | Uint8Array, len: number, value: number];

const ERRNO: Record<number, NetErrno> = { 2: 'ENOENT', 12: 'ENOMEM', 16: 'EBUSY', 22: 'EINVAL' };

// ---- Addresses ----

/** The address text forms are src/control/addresses.ts's; here they fail as the tables do (EINVAL). */
function asNetError<T>(kind: string, s: string, f: (t: string) => T): T {
  try {
    return f(s);
  } catch {
    throw new NetError('EINVAL', `"${s}" is not an ${kind} address`);
  }
}

/** An IPv4 address in dotted quad as a host-order u32. */
export function parseIpv4(s: string): number {
  return asNetError('IPv4', s, ipv4Value);
}

export const formatIpv4 = ipv4TextOf;

/** An IPv6 address (RFC 4291 text, `::` and a dotted IPv4 tail allowed) as 16 bytes. */
export function parseIpv6(s: string): Uint8Array {
  return asNetError('IPv6', s, ipv6Bytes);
}

/** RFC 5952 text of 16 bytes (glibc's inet_ntop, dotted tails included). */
export const formatIpv6 = ipv6Text;

function checkValue(family: string, v: number): number {
  if (!Number.isInteger(v) || v < 1 || v > LPM_VALUE_MAX) throw new NetError('EINVAL', `${family}: value ${v} is not 1..${LPM_VALUE_MAX}`);
  return v;
}

function splitPrefix(s: string, max: number): [string, number] {
  const slash = s.indexOf('/');
  if (slash < 0) return [s, max];
  const len = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(len) || Number(len) > max) throw new NetError('EINVAL', `"${s}": prefix length must be 0..${max}`);
  return [s.slice(0, slash), Number(len)];
}

// ---- Tables ----

abstract class LpmTable {
  readonly fp: FastPath;
  /** The table's address in the fast path's memory (what lpm4_lookup / lpm6_lookup take). */
  readonly address: number;
  protected readonly x: LpmExports;
  /**
   * The fast path's scratch buffer (bulk lookups, IPv6 keys), taken when the table is made: asked for
   * later, once the memory is full, it would be 0 and the copies would land on the low pages.
   */
  protected readonly scratch: number;
  private readonly auto: boolean;
  protected abstract readonly family: 'lpm4' | 'lpm6';

  protected constructor(fp: FastPath, address: number, opts: LpmOptions) {
    this.fp = fp;
    this.address = address;
    this.x = fp.exports as unknown as LpmExports;
    this.scratch = this.x.scratch_base() >>> 0;
    if (this.scratch === 0) throw new NetError('ENOMEM', `lpm create: no scratch buffer: ${fp.memory.limitReached()}`);
    this.auto = (opts.reclaim ?? 'auto') === 'auto';
  }

  /** Prefixes in the table. */
  get count(): number {
    return this.x.lpm_count(this.address) >>> 0;
  }

  /** Updates published so far. */
  get generation(): number {
    return this.x.lpm_gen(this.address) >>> 0;
  }

  get memory(): LpmMemory {
    const m = (w: number): number => this.x.lpm_mem(this.address, w);
    return { structure: m(0), rules: m(1), held: m(2), retired: m(3) };
  }

  /** End what grace periods can (reclaim.ts) and reuse the blocks whose grace period is over. Bytes still retired. */
  reclaim(): number {
    return this.x.lpm_reclaim(this.address);
  }

  /** Remove every prefix. */
  flush(): void {
    this.check(this.x.lpm_flush(this.address), 'flush');
    this.settle();
  }

  protected settle(): void {
    if (this.auto) this.reclaim();
  }

  protected check(r: number, what: string): void {
    if (r >= 0) return;
    const errno = ERRNO[-r] ?? 'EINVAL';
    if (errno === 'ENOMEM') throw new NetError('ENOMEM', `${this.family} ${what}: ${this.fp.memory.limitReached()}`);
    if (errno === 'ENOENT') throw new NetError('ENOENT', `${this.family} ${what}: no such prefix`);
    if (errno === 'EBUSY') throw new NetError('EBUSY', `${this.family} ${what}: a batch is already open`);
    throw new NetError('EINVAL', `${this.family} ${what}: invalid prefix or value (values are 1..${LPM_VALUE_MAX}, no bits past the length)`);
  }

  /**
   * Insert many routes at once and publish them group by group (a batch: each direct entry is rebuilt
   * once). On a bad route or ENOMEM the routes this load added are withdrawn (values it replaced come
   * back) and the error says which route.
   */
  protected loadWith<R>(routes: readonly R[], opts: LoadOptions, add: (r: R) => number, describe: (r: R) => string): LoadResult {
    const t = this.address;
    const x = this.x;
    const step = opts.step ?? 256;
    const progress = opts.onProgress;
    this.check(x.lpm_batch_begin(t), 'load');
    const undo: Array<[R, number]> = [];
    const t0 = performance.now();
    let failed: NetError | undefined;
    const every = Math.max(1, Math.floor(routes.length / 100));
    for (let i = 0; i < routes.length; i++) {
      const route = routes[i]!;
      let r: number;
      let old = 0;
      try {
        old = this.getRoute(route);
        r = add(route);
      } catch (e) {
        failed = e as NetError;
        break;
      }
      if (r < 0) {
        try {
          this.check(r, `load: route ${i} (${describe(route)})`);
        } catch (e) {
          failed = e as NetError;
        }
        break;
      }
      undo.push([route, old]);
      if (progress && (i + 1) % every === 0) progress(i + 1, routes.length, 'rules');
    }
    const t1 = performance.now();
    if (!failed) {
      let left = x.lpm_commit(t, 0);
      const total = Math.max(left, 1);
      for (;;) {
        left = x.lpm_commit(t, step);
        if (left < 0) {
          try {
            this.check(left, 'load: publishing');
          } catch (e) {
            failed = e as NetError;
          }
          break;
        }
        progress?.(total - left, total, 'build');
        if (left === 0) break;
        this.settle();
      }
    }
    if (failed) {
      // Withdraw what this load did, then publish that (reusing what it had built).
      for (let i = undo.length - 1; i >= 0; i--) this.restoreRoute(undo[i]![0], undo[i]![1]);
      this.settle();
      while (x.lpm_commit(t, 1 << 30) > 0);
      this.settle();
      throw failed;
    }
    this.settle();
    return { routes: routes.length, count: this.count, rulesMs: t1 - t0, buildMs: performance.now() - t1 };
  }

  protected abstract getRoute(route: unknown): number;
  protected abstract restoreRoute(route: unknown, old: number): void;
}

export class Lpm4Table extends LpmTable {
  protected readonly family = 'lpm4';

  private constructor(fp: FastPath, address: number, opts: LpmOptions) {
    super(fp, address, opts);
  }

  static create(fp: FastPath, opts: LpmOptions = {}): Lpm4Table {
    const t = (fp.exports as unknown as LpmExports).lpm4_create() >>> 0;
    if (t === 0) throw new NetError('ENOMEM', `lpm4 create: ${fp.memory.limitReached()}`);
    return new Lpm4Table(fp, t, opts);
  }

  /** Add or replace a prefix: `add('192.0.2.0/24', v)` or `add(0xc0000200, 24, v)`. */
  add(prefix: string | number, lenOrValue: number, value?: number): void {
    const [a, len, text] = this.key(prefix, lenOrValue);
    const v = checkValue('lpm4', typeof prefix === 'string' ? lenOrValue : (value ?? 0));
    this.check(this.x.lpm4_add(this.address, a, len, v), `add ${text}`);
    this.settle();
  }

  /** Remove a prefix; the prefix that covers it answers for its addresses again. */
  del(prefix: string | number, len?: number): void {
    const [a, l, text] = this.key(prefix, len);
    this.check(this.x.lpm4_del(this.address, a, l), `del ${text}`);
    this.settle();
  }

  /** The value of exactly this prefix, undefined when absent. */
  get(prefix: string | number, len?: number): number | undefined {
    const [a, l] = this.key(prefix, len);
    const v = this.x.lpm4_get(this.address, a, l) >>> 0;
    return v === 0 ? undefined : v;
  }

  /** The value of the longest prefix covering `addr`, 0 when none. */
  lookup(addr: string | number): number {
    return this.x.lpm4_lookup(this.address, typeof addr === 'string' ? parseIpv4(addr) : addr >>> 0) >>> 0;
  }

  /** Many lookups at once (host-order u32 addresses); through a buffer in the fast path's memory. */
  lookupBulk(addrs: Uint32Array, out = new Uint32Array(addrs.length)): Uint32Array {
    const per = 4096;
    const buf = this.scratch;
    for (let i = 0; i < addrs.length; i += per) {
      const n = Math.min(per, addrs.length - i);
      const mem = new Uint32Array(this.fp.memory.memory.buffer);
      mem.set(addrs.subarray(i, i + n), buf >>> 2);
      this.x.lpm4_lookup_bulk(this.address, buf, buf + per * 4, n);
      out.set(new Uint32Array(this.fp.memory.memory.buffer, buf + per * 4, n), i);
    }
    return out;
  }

  /** Bulk load (see LpmTable.loadWith): routes as [addr, len, value]. */
  load(routes: readonly Lpm4Route[], opts: LoadOptions = {}): LoadResult {
    const addr4 = (a: string | number): number => (typeof a === 'string' ? parseIpv4(a) : a >>> 0);
    return this.loadWith(routes, opts, ([a, len, value]) => this.x.lpm4_add(this.address, addr4(a), len, value),
      ([a, len, value]) => `${formatIpv4(addr4(a))}/${len} → ${value}`);
  }

  protected getRoute(route: unknown): number {
    const [addr, len] = route as Lpm4Route;
    const a = typeof addr === 'string' ? parseIpv4(addr) : addr >>> 0;
    return this.x.lpm4_get(this.address, a, len) >>> 0;
  }

  protected restoreRoute(route: unknown, old: number): void {
    const [addr, len] = route as Lpm4Route;
    const a = typeof addr === 'string' ? parseIpv4(addr) : addr >>> 0;
    if (old === 0) this.x.lpm4_del(this.address, a, len);
    else this.x.lpm4_add(this.address, a, len, old);
  }

  /** Address, length and text of a prefix given as 'a.b.c.d/len' or as (u32, len). */
  private key(prefix: string | number, len?: number): [number, number, string] {
    if (typeof prefix === 'string') {
      const [addr, l] = splitPrefix(prefix, 32);
      const a = parseIpv4(addr);
      return [a, l, `${formatIpv4(a)}/${l}`];
    }
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > 0xffffffff) throw new NetError('EINVAL', `lpm4: address ${prefix} is not a u32`);
    if (len === undefined || !Number.isInteger(len) || len < 0) throw new NetError('EINVAL', `lpm4: prefix length ${len} is not 0..32`);
    return [prefix, len, `${formatIpv4(prefix)}/${len}`];
  }
}

export class Lpm6Table extends LpmTable {
  protected readonly family = 'lpm6';

  private constructor(fp: FastPath, address: number, opts: LpmOptions) {
    super(fp, address, opts);
  }

  static create(fp: FastPath, opts: LpmOptions = {}): Lpm6Table {
    const t = (fp.exports as unknown as LpmExports).lpm6_create() >>> 0;
    if (t === 0) throw new NetError('ENOMEM', `lpm6 create: ${fp.memory.limitReached()}`);
    return new Lpm6Table(fp, t, opts);
  }

  /** Add or replace: `add('2001:db8::/32', v)` or `add(bytes, 32, v)`. */
  add(prefix: string | Uint8Array, lenOrValue: number, value?: number): void {
    const v = checkValue('lpm6', typeof prefix === 'string' ? lenOrValue : (value ?? 0));
    const [buf, len, text] = this.place(prefix, lenOrValue);
    this.check(this.x.lpm6_add(this.address, buf, len, v), `add ${text}`);
    this.settle();
  }

  del(prefix: string | Uint8Array, len?: number): void {
    const [buf, l, text] = this.place(prefix, len);
    this.check(this.x.lpm6_del(this.address, buf, l), `del ${text}`);
    this.settle();
  }

  get(prefix: string | Uint8Array, len?: number): number | undefined {
    const [buf, l] = this.place(prefix, len);
    const v = this.x.lpm6_get(this.address, buf, l) >>> 0;
    return v === 0 ? undefined : v;
  }

  /** The value of the longest prefix covering `addr` (text or 16 bytes), 0 when none. */
  lookup(addr: string | Uint8Array): number {
    const [buf] = this.place(typeof addr === 'string' ? parseIpv6(addr) : addr, 128);
    return this.x.lpm6_lookup(this.address, buf) >>> 0;
  }

  /** Many lookups: 16-byte addresses packed in `addrs`. */
  lookupBulk(addrs: Uint8Array, out = new Uint32Array(addrs.length >> 4)): Uint32Array {
    const per = 2048;
    const buf = this.scratch;
    const n16 = addrs.length >> 4;
    for (let i = 0; i < n16; i += per) {
      const n = Math.min(per, n16 - i);
      new Uint8Array(this.fp.memory.memory.buffer).set(addrs.subarray(i * 16, (i + n) * 16), buf);
      this.x.lpm6_lookup_bulk(this.address, buf, buf + per * 16, n);
      out.set(new Uint32Array(this.fp.memory.memory.buffer, buf + per * 16, n), i);
    }
    return out;
  }

  load(routes: readonly Lpm6Route[], opts: LoadOptions = {}): LoadResult {
    return this.loadWith(routes, opts, ([addr, len, value]) => this.x.lpm6_add(this.address, this.placeBytes(addr, len), len, value),
      ([addr, len, value]) => `${this.place(addr, len)[2]} → ${value}`);
  }

  protected getRoute(route: unknown): number {
    const [addr, len] = route as Lpm6Route;
    const buf = this.placeBytes(addr, len);
    return this.x.lpm6_get(this.address, buf, len) >>> 0;
  }

  protected restoreRoute(route: unknown, old: number): void {
    const [addr, len] = route as Lpm6Route;
    const buf = this.placeBytes(addr, len);
    if (old === 0) this.x.lpm6_del(this.address, buf, len);
    else this.x.lpm6_add(this.address, buf, len, old);
  }

  /** Bytes given as bytes are copied as they are (no text): the bulk-load path. */
  private placeBytes(prefix: string | Uint8Array, len: number): number {
    if (typeof prefix === 'string' || prefix.length !== 16) return this.place(prefix, len)[0];
    const buf = this.scratch;
    new Uint8Array(this.fp.memory.memory.buffer).set(prefix, buf);
    return buf;
  }

  /** The address copied to the scratch buffer (the fast path reads it there), the length and the text. */
  private place(prefix: string | Uint8Array, len?: number): [number, number, string] {
    let bytes: Uint8Array;
    let l: number;
    if (typeof prefix === 'string') {
      const [addr, pl] = splitPrefix(prefix, 128);
      bytes = parseIpv6(addr);
      l = pl;
    } else {
      if (prefix.length !== 16) throw new NetError('EINVAL', `lpm6: an address is 16 bytes, not ${prefix.length}`);
      if (len === undefined || !Number.isInteger(len) || len < 0) throw new NetError('EINVAL', `lpm6: prefix length ${len} is not 0..128`);
      bytes = prefix;
      l = len;
    }
    const buf = this.scratch;
    new Uint8Array(this.fp.memory.memory.buffer).set(bytes, buf);
    return [buf, l, `${formatIpv6(bytes)}/${l}`];
  }
}
