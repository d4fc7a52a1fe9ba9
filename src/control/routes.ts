// Routes: dp.routes (ip route): tables by id, the kernel's route types, scopes, metrics, dscp, next
// hops (ECMP with weights), per-route mtu and prefsrc; `get` as `ip route get`. The kernel decides
// what is valid (fib_create_info, fib_check_nh, fib_table_insert / fib_table_delete in
// net/ipv4/fib_semantics.c and fib_trie.c; ip6_route_add for IPv6) and iproute2 what the defaults
// are (ip/iproute.c): both are followed here, errors with their errno and wording.
//
// The routes live in one place: the FIB's records in the fast path's memory, which this object reads
// back (a prefix's alias list in the kernel's order — dscp descending, then priority ascending, then
// as add/append/prepend put them — each alias decoded into a Route) and never mirrors, so a million
// routes cost the JavaScript heap nothing. Every change builds new alias records and a new alias list
// aside and publishes it with fib_prefix_set (one aligned store, FIB generation bumped); the records
// it unpublishes are retired and reused after a grace period (reclaim.ts). Nothing already installed
// changes when an operation fails: every check runs before the first record is written.

import type { Datapath } from './datapath.js';
import { NetError, ROUTE_METRICS, type Family, type NexthopSpec, type RouteInfo, type RouteMetric, type RouteSpec, type RouteType } from './net_types.js';
import { AF_INET, AF_INET6, CONF4, CONF6, FL, FR, IFF, LOOPBACK_IFINDEX, ND, NET_ROOT_PTR, NR, RTN, RT_SCOPE, RT_TABLE_LOCAL, RT_TABLE_MAIN } from '../runtime/net_abi.js';
import { FA, FRT, NH, PX, RTAX_MTU_LOCK, RTNH_F, SUB, TB, type FibExports } from './fib_layout.js';
import { routeGet4, routeGet6 } from './route_get.js';
import { expiresSeconds, formatAddr, parseAddr, parsePrefix, PROTOS, tableId, tableName, TYPES } from './route_text.js';

const TYPE_NUM: Readonly<Record<RouteType, number>> = { unicast: 1, local: 2, broadcast: 3, anycast: 4, multicast: 5, blackhole: 6, unreachable: 7, prohibit: 8, throw: 9, nat: 10 };
/** fib_props[type].scope: the widest scope a route of the type may have. */
const TYPE_SCOPE: readonly number[] = [255, 0, 254, 253, 253, 0, 0, 0, 0, 0, 255];
const REJECT = new Set([6, 7, 8, 9]);
const SCOPES: Readonly<Record<string, number>> = { global: 0, universe: 0, site: 200, link: 253, host: 254, nowhere: 255 };
/**
 * Not the kernel's: a bit of the next-hop flags word marking a DEAD the control plane wrote only for
 * ignore_routes_with_linkdown (nhWord); read back, the word gives the kernel's flags (kernelFlags).
 */
const NH_IGNORED = 0x80000000;
/** Not the kernel's either: a bit of the alias record's own flags word for Route.rtfAnycast (RTF_ANYCAST's value). */
const FA_RTF_ANYCAST = 0x00100000;

function kernelFlags(word: number): number {
  return word & NH_IGNORED ? word & ~(RTNH_F.DEAD | NH_IGNORED) : word;
}

/** IPv4 dump order (fib_table_dump): leaves by key, a leaf's aliases longest prefix first (fa_slen ascending). */
function trieOrder(a: PrefixRef, b: PrefixRef): number {
  return Buffer.compare(Buffer.from(a.dst.buffer, a.dst.byteOffset, 4), Buffer.from(b.dst.buffer, b.dst.byteOffset, 4)) || b.len - a.len;
}

/**
 * IPv6 dump order (fib6_walk: a node's source subtree, left child, right child, then its own routes):
 * a prefix after every longer prefix inside it; apart, the one with 0 at the first differing bit first.
 * At one destination the source-specific routes come first, by the same order over their sources.
 */
function fib6Order(a: PrefixRef, b: PrefixRef): number {
  const post = (x: Uint8Array, xl: number, y: Uint8Array, yl: number): number => {
    const n = Math.min(xl, yl);
    for (let i = 0; i < n; i++) {
      const bx = (x[i >> 3]! >> (7 - (i & 7))) & 1;
      const by = (y[i >> 3]! >> (7 - (i & 7))) & 1;
      if (bx !== by) return bx - by;
    }
    return yl - xl;
  };
  const d = post(a.dst, a.len, b.dst, b.len);
  if (d !== 0) return d;
  if (a.fromLen === 0 || b.fromLen === 0) return b.fromLen === 0 ? (a.fromLen === 0 ? 0 : -1) : 1;
  return post(a.from, a.fromLen, b.from, b.fromLen);
}

/**
 * ip_metrics_convert's metrics (advmss at most 65495, hoplimit 255; a 0 is not kept, unless locked),
 * in RTAX order, their locks, and IPv6's RTA_PREF (rtm_to_fib6_config: not low or high is medium).
 */
function routeExtra(family: number, spec: RouteSpec): RouteExtra | undefined {
  const out: RouteExtra = {};
  const locks = new Set(spec.locks ?? []);
  for (const name of Object.keys(ROUTE_METRICS) as RouteMetric[]) {
    let v = spec.metrics?.[name];
    if (v === undefined) continue;
    if (name === 'advmss' && v > 65535 - 40) v = 65535 - 40;
    if (name === 'hoplimit' && v > 255) v = 255;
    if (v === 0 && !locks.has(name)) continue;
    (out.metrics ??= {})[name] = v;
  }
  const locked = (Object.keys(ROUTE_METRICS) as RouteMetric[]).filter((n) => locks.has(n));
  if (locked.length) out.locks = locked;
  if (family === AF_INET6 && (spec.pref === 3 || spec.pref === 1)) out.pref = spec.pref;
  return out.metrics || out.locks || out.pref !== undefined ? out : undefined;
}

/** `expires` of a decoded route from the expiry table (none: no key). */
function expiresOf(at: number | undefined): { expires?: number } {
  return at === undefined ? {} : { expires: at };
}

const NLM_F_REPLACE = 0x100;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const NLM_F_APPEND = 0x800;

export interface Nexthop {
  oif: number;
  gwFamily: 0 | 2 | 10;
  gw: Uint8Array;
  weight: number;
  flags: number;
  scope: number;
}

/** A prefix of one table: where a list of routes is published. */
export interface PrefixRef {
  family: 2 | 10;
  table: number;
  dst: Uint8Array;
  len: number;
  /** The source prefix of an IPv6 subtree (fromLen 0: the prefix's own routes). */
  from: Uint8Array;
  fromLen: number;
}

/** One route (a fib_alias with its fib_info) as the control plane reads it back from the FIB. */
export interface Route extends PrefixRef {
  id: number;
  type: number;
  scope: number;
  dscp: number;
  protocol: number;
  priority: number;
  prefsrc?: Uint8Array;
  mtu: number;
  mtuLock: boolean;
  nhs: Nexthop[];
  /** The alias record's address in the fast path's memory (0 until published). */
  fa: number;
  /** IPv6 RTF_EXPIRES: when the route dies, in the stack clock's ms (none: no expiry). */
  expires?: number;
  /**
   * An IPv4 reject route given onlink: the kernel's lone next hop (no device, no gateway) keeps
   * RTNH_F_ONLINK (fib_nh_init), which dumps report and fib_info sharing compares; kept as that bit
   * of the alias record's own flags, as the route has no next hop here.
   */
  onlink?: boolean;
  /**
   * IPv6 RTF_ANYCAST: an anycast route addrconf made (addrconf_f6i_alloc), whose dst lives on the
   * loopback; a user's anycast route has only the type (rtm_to_fib6_config sets no RTF_ANYCAST).
   */
  rtfAnycast?: boolean;
  /** The metrics besides the MTU (none 0), their locks, and IPv6's RTA_PREF (0 medium: none): kept beside the FIB (`extras`). */
  extra?: RouteExtra;
}

interface RouteExtra {
  metrics?: Partial<Record<RouteMetric, number>>;
  locks?: RouteMetric[];
  pref?: number;
}

export interface RouteLoadOptions {
  /** What each route is: `ip route add` (default), `replace`, `append` or `prepend`. */
  verb?: 'add' | 'replace' | 'append' | 'prepend';
  /** Go on past refused routes and report them (default: stop at the first). */
  force?: boolean;
  /** Called every `progressEvery` routes and once at the end: routes done, and the total when known. */
  onProgress?: (done: number, total: number | undefined) => void;
  progressEvery?: number;
}

export interface RouteLoadResult {
  /** Routes installed. */
  loaded: number;
  /** With `force`: the routes refused (their position in the input) and why. */
  failed: Array<{ index: number; error: NetError }>;
}

/** Filters of `ip route show|flush` (iproute2's names). */
export interface RouteFilter {
  family?: Family;
  /** A table id or name, or 'all' (default main). */
  table?: number | 'main' | 'local' | 'default' | 'all';
  dev?: string;
  type?: RouteType;
  protocol?: string | number;
  scope?: string | number;
  via?: string;
  /** `exact PREFIX` / a bare prefix: that prefix only. */
  dst?: string;
}

/** `ip route get ADDR [from A] [iif D] [oif D] [mark M] [tos T] [ipproto P] [sport S] [dport D]`. */
export interface RouteGet {
  to: string;
  from?: string;
  iif?: string;
  oif?: string;
  mark?: number;
  tos?: number;
  ipproto?: number;
  sport?: number;
  dport?: number;
  /** RTA_UID (default: the caller's, 0; none with iif). */
  uid?: number;
  /** RTM_F_FIB_MATCH: the FIB route that matched, as `ip route show` prints it. */
  fibmatch?: boolean;
}

/** What `ip route get` answers beyond a route's own fields (rt_fill_info, rt6_fill_node). */
export interface RouteGetInfo extends RouteInfo {
  /** IPv4: the dst's RTCF_* flags as iproute2 names them ("local", "mc", "brd", …), the "cache" line. */
  cache?: string[];
  uid?: number;
  mark?: number;
  /** RTA_IIF: the query's input device. */
  iif?: string;
  /** RTAX_LOCK has RTAX_MTU: "mtu lock N". */
  mtuLock?: boolean;
  /** Seconds left (a PMTU exception, an expiring IPv6 route). */
  expires?: number;
  /** IPv6: RTA_PREF. */
  pref?: string;
}

/** No bit set past the first `len`. */
function isMasked(bytes: Uint8Array, len: number): boolean {
  for (let i = len >> 3; i < 16; i++) {
    const bits = Math.max(0, len - i * 8);
    if (bytes[i]! & (0xff >> bits)) return false;
  }
  return true;
}

function masked(bytes: Uint8Array, len: number): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const bits = Math.max(0, Math.min(8, len - i * 8));
    out[i] = bytes[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

const NO_FROM: Uint8Array = new Uint8Array(16);
/** What a loaded IPv4 route takes, measured (alias, prefix record, list, hash slots, LPM rule and nodes): the memory load() reserves. */
const LOAD_BYTES_PER_ROUTE = 340;

/**
 * The same installed route (decoded twice, or not yet written: then the same object). An IPv4 alias
 * record may serve routes of several prefixes (Routes.acquire), so the prefix is compared too.
 */
function same(a: Route, b: Route): boolean {
  return a === b || (a.fa !== 0 && a.fa === b.fa && a.family === b.family && a.table === b.table && a.len === b.len && a.fromLen === b.fromLen && sameBytes(a.dst, b.dst) && sameBytes(a.from, b.from));
}

function sameBytes(a?: Uint8Array, b?: Uint8Array): boolean {
  if (!a || !b) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** rt6_duplicate_nexthop: the same device and the same gateway (none counts as ::). */
function sameNh6(a: Nexthop, b: Nexthop): boolean {
  return a.oif === b.oif && sameBytes(a.gw, b.gw);
}

/** rt6_qualify_for_ecmp: an IPv6 route with a gateway is a sibling of the others of its metric. */
function isEcmp6(r: Route): boolean {
  return r.nhs[0]!.gwFamily !== 0;
}

/** The sibling group of IPv6 route `r` in its prefix's list (itself alone when it has none). */
function siblings6(list: readonly Route[], r: Route): Route[] {
  if (!isEcmp6(r)) return [r];
  return list.filter((a) => a.priority === r.priority && isEcmp6(a));
}

/** Bytes of route `r`'s alias record. */
function aliasBytes(r: Route): number {
  return FA.NH + NH.SIZE * r.nhs.length;
}

/**
 * What an IPv4 alias record holds, as a string: routes with the same one can share the record
 * (Routes.acquire). Undefined for a route whose record must be its own: IPv6 (sibling upper bounds
 * and the expiry are per route), a default route (fib_select_default writes fa_default in place).
 */
function aliasKey(r: Route): string | undefined {
  if (r.family !== AF_INET || r.len === 0 || r.expires !== undefined) return undefined;
  const nhs = r.nhs.map((n) => `${n.oif}/${n.gwFamily}/${n.gwFamily === 0 ? '' : n.gw.join('.')}/${n.weight}/${n.flags}/${n.scope}`).join(' ');
  const src = r.prefsrc ? r.prefsrc.join('.') : '';
  // the metrics besides the MTU live by the record's route id (Routes.extras): a route with others may not take
  // a record whose id says none (a replace with `window 1000` kept the old record and lost the metric)
  const extra = r.extra ? JSON.stringify(r.extra) : '';
  return `${r.table} ${r.len} ${r.type} ${r.scope} ${r.dscp} ${r.protocol} ${r.priority} ${r.mtu} ${r.mtuLock ? 1 : 0} ${src} ${nhs} ${extra}`;
}

export class Routes {
  private nextId = 1;
  private addrBuf = 0;
  /** Inside bulk(): reclaim once at the end, not after every route. */
  private inBulk = false;
  /** Gateway checks (fib_check_nh) by table, device, gateway and scope, until a link-scope route changes. */
  private readonly gwChecks = new Map<string, { error?: NetError; scope: number; oif: number }>();
  /** The IPv6 routes a dumped multipath entry stands for. */
  private readonly members = new WeakMap<Route, Route[]>();
  /** The tables that exist (fib_new_table / fib6_new_table ran for them), with their creation order. */
  private readonly tables = new Map<string, number>([[`${AF_INET}:${RT_TABLE_MAIN}`, 0], [`${AF_INET6}:${RT_TABLE_MAIN}`, 1], [`${AF_INET6}:${RT_TABLE_LOCAL}`, 2]]);
  /** RTF_EXPIRES by route id: when each expiring IPv6 route dies (stack clock, ms). */
  private readonly expiry = new Map<number, number>();
  /** Route id → the metrics and preference the fast path does not read. */
  private readonly extras = new Map<number, RouteExtra>();
  /**
   * Shared IPv4 alias records, as the kernel shares a fib_info between routes (fib_info_hash, found
   * again on insert by fib_find_info, refcounted): by content (aliasKey) the record routes with that
   * content take, and by record its key and how many lists hold it. 1M routes via a few gateways are
   * then a few hundred records (one per prefix length and next hop), which stay in cache, instead of
   * 1M of 128 bytes each read at random. A record changed in place (next-hop flags) keeps serving the
   * routes it has but leaves the key map: its content is no longer the key's.
   */
  private readonly sharedByKey = new Map<string, number>();
  private readonly sharedByFa = new Map<number, { key: string; refs: number }>();

  constructor(readonly dp: Datapath) {
    dp.stack.onAdvance((now) => this.expire(now));
  }

  /**
   * fib6_age for the routes whose time ran out: the kernel's lookups skip a route from the jiffy after
   * its expiry (fib6_check_expired) and its garbage collector deletes it; here it is deleted then.
   */
  private expire(now: number): void {
    if (this.expiry.size === 0) return;
    let due = false;
    for (const t of this.expiry.values()) if (now > t) due = true;
    if (!due) return;
    const gone = this.all().filter((r) => r.expires !== undefined && now > r.expires);
    for (const r of gone) this.unlink(r);
  }

  /**
   * The address side gave a prefix route the lifetime of the dynamic addresses left on it
   * (cleanup_prefix_route): `seconds` from now, unless it already expires.
   */
  kernelSetExpires(spec: RouteSpec, ifindex: number, seconds: number): void {
    const p = parsePrefix(spec.dst, 'inet6');
    const r = this.listOf({ family: AF_INET6, table: RT_TABLE_MAIN, dst: masked(p.bytes, p.len), len: p.len, from: NO_FROM, fromLen: 0 })
      .find((a) => a.nhs[0]!.oif === ifindex && a.nhs[0]!.gwFamily === 0);
    if (r && r.expires === undefined) this.expiry.set(r.id, this.dp.stack.now() + seconds * 1000);
  }

  /**
   * modify_prefix_route for the address side: the prefix route addrconf_get_prefix_route finds (the first of
   * table main for the prefix through `ifindex` without a gateway, whoever made it) is deleted when its metric
   * is not `prio`, and the caller adds its own ('gone'); otherwise it expires `seconds` from now, or never
   * (undefined) ('kept'). 'none' when there is no such route.
   */
  kernelModifyPrefix(spec: RouteSpec, ifindex: number, prio: number, seconds: number | undefined): 'none' | 'gone' | 'kept' {
    const p = parsePrefix(spec.dst, 'inet6');
    const r = this.listOf({ family: AF_INET6, table: RT_TABLE_MAIN, dst: masked(p.bytes, p.len), len: p.len, from: NO_FROM, fromLen: 0 })
      .find((a) => a.nhs[0]!.oif === ifindex && a.nhs[0]!.gwFamily === 0);
    if (!r) return 'none';
    if (r.priority !== prio) {
      this.unlink(r);
      this.x.fib_changed();
      return 'gone';
    }
    if (seconds === undefined) this.expiry.delete(r.id);
    else this.expiry.set(r.id, this.dp.stack.now() + seconds * 1000);
    return 'kept';
  }

  private get x(): FibExports {
    return this.dp.stack.exports<FibExports>();
  }

  // views of the memory, rebuilt when it grew (a grow detaches the old buffer)
  private buf?: ArrayBufferLike;
  private dv?: DataView;
  private u8?: Uint8Array;

  private view(): DataView {
    const b = this.dp.memory.memory.buffer;
    if (b !== this.buf) {
      this.buf = b;
      this.dv = new DataView(b);
      this.u8 = new Uint8Array(b);
    }
    return this.dv!;
  }

  private bytes(): Uint8Array {
    this.view();
    return this.u8!;
  }

  // ---- devices (through dp.links, and the netdev records for flags) ----

  private ifindex(name: string): number {
    return this.dp.links.ifindex(name);
  }

  private devName(ifindex: number): string {
    return this.dp.links.name(ifindex) ?? `if${ifindex}`;
  }

  private devUp(ifindex: number): boolean {
    const rec = this.x.netdev_get(ifindex) >>> 0;
    if (rec === 0) return false;
    return (this.view().getUint32(rec + ND.FLAGS, true) & IFF.UP) !== 0;
  }

  // ---- public API ----

  /** `ip route add`: EEXIST "File exists" when a route with the same prefix, tos and metric exists. */
  add(spec: RouteSpec): void {
    this.modify(spec, NLM_F_CREATE | NLM_F_EXCL);
  }

  /** `ip route replace`: replace the first route with the same prefix, tos and metric, or add. */
  replace(spec: RouteSpec): void {
    this.modify(spec, NLM_F_CREATE | NLM_F_REPLACE);
  }

  /** `ip route append`: after the routes with the same key (EEXIST only for an identical route). */
  append(spec: RouteSpec): void {
    this.modify(spec, NLM_F_CREATE | NLM_F_APPEND);
  }

  /** `ip route prepend`: before the routes with the same key. */
  prepend(spec: RouteSpec): void {
    this.modify(spec, NLM_F_CREATE);
  }

  /** `ip route change`: replace an existing route; ENOENT "No such file or directory" when none. */
  change(spec: RouteSpec): void {
    this.modify(spec, NLM_F_REPLACE);
  }

  /**
   * The routes addresses create (the links/addresses stage calls this): local and broadcast routes in
   * table local, prefix routes in main, proto kernel, through device `ifindex`. Replaces a route with
   * the same key, as the kernel's fib_magic does with NLM_F_CREATE | NLM_F_APPEND ... of its own.
   */
  kernelAdd(spec: RouteSpec, ifindex: number): void {
    const r = this.build({ ...spec, protocol: spec.protocol ?? 'kernel' }, ifindex, true);
    this.insert(r, NLM_F_CREATE | NLM_F_APPEND, true);
  }

  /** Withdraw a route kernelAdd installed (fib_magic RTM_DELROUTE): a missing one is not an error. */
  kernelDel(spec: RouteSpec, ifindex: number): void {
    try {
      this.remove({ ...spec, protocol: spec.protocol ?? 'kernel' }, ifindex);
    } catch (e) {
      if (!(e instanceof NetError) || e.errno !== 'ESRCH') throw e;
    }
  }

  /**
   * A bulk load: every route as `ip route VERB` (default add) would install it, with the same checks
   * and errors, but faster — a gateway is checked once while no route of link scope changes, the LPM
   * tables are rebuilt once at the end (lookups meanwhile, the data path's too, answer from the FIB's
   * per-prefix hash, current at every step), and freed memory is reclaimed once at the end. `onProgress(done, total)` is called every `progressEvery`
   * routes (default 65,536) and at the end (`total` when the iterable has a length). Without `force`
   * the first refused route stops the load and throws its NetError, with `index` naming it (the routes
   * before it stay); with `force` every refusal is collected and the load goes on, as `ip -batch -force`.
   */
  load(routes: Iterable<RouteSpec>, opts: RouteLoadOptions = {}): RouteLoadResult {
    const verb = opts.verb ?? 'add';
    const flags = { add: NLM_F_CREATE | NLM_F_EXCL, replace: NLM_F_CREATE | NLM_F_REPLACE, append: NLM_F_CREATE | NLM_F_APPEND, prepend: NLM_F_CREATE }[verb];
    if (flags === undefined) throw new NetError('EINVAL', `Error: "${String(verb)}" is not a route command to load with (add, replace, append, prepend).`);
    const every = opts.progressEvery ?? 65536;
    const total = Array.isArray(routes) ? routes.length : undefined;
    const failed: Array<{ index: number; error: NetError }> = [];
    let done = 0;
    this.bulk(() => {
      for (const spec of routes) {
        try {
          this.modify(spec, flags);
        } catch (e) {
          if (!(e instanceof NetError)) throw e;
          if (!opts.force) throw Object.assign(e, { index: done });
          failed.push({ index: done, error: e });
        }
        done++;
        if (opts.onProgress && done % every === 0) opts.onProgress(done, total);
      }
    }, total ?? 0);
    opts.onProgress?.(done, total);
    return { loaded: done - failed.length, failed };
  }

  /**
   * Run `fn` (many route changes: a load, an `ip -batch` file) in bulk mode: gateway checks remembered
   * while no link-scope route or rule changes, the LPM tables batched and rebuilt once at the end
   * (lookups meanwhile, the data path's too, answer from the FIB's per-prefix hash, current at every
   * step), memory reclaimed once at the end. Nested calls join the outer one. `routes`: how many routes
   * it may add at most, for growing the memory once.
   */
  bulk<T>(fn: () => T, routes = 0): T {
    if (this.inBulk) return fn();
    if (routes > 0) this.reserve(routes * LOAD_BYTES_PER_ROUTE);
    this.inBulk = true;
    this.gwChecks.clear();
    const batch = this.x.fib_batch_begin() === 0;
    try {
      return fn();
    } finally {
      this.inBulk = false;
      this.gwChecks.clear();
      if (batch && this.x.fib_batch_commit() !== 0) throw new NetError('ENOMEM', 'Cannot allocate memory');
      this.x.fib_reclaim();
      // the grow left the chunk across the old end on 4 KiB pages (touched before the mapping covered it)
      if (routes > 0) this.dp.memory.collapseHugePages();
    }
  }

  /** A rule changed: fib_lookup may answer a gateway check differently now. */
  rulesChanged(): void {
    this.gwChecks.clear();
  }

  /**
   * Grow the memory once for what a load will take (as far as the memory limit allows): V8 collects
   * garbage around each grow of a wasm memory, and the allocators would otherwise grow it a little at
   * a time (a million routes: hundreds of grows).
   */
  private reserve(bytes: number): void {
    const mem = this.dp.memory.memory;
    const top = (this.dp.stack.exports<{ arena_top(): number }>().arena_top() >>> 0) + bytes;
    const pages = Math.ceil((top - mem.buffer.byteLength) / 65536);
    if (pages <= 0) return;
    try {
      mem.grow(Math.min(pages, this.dp.memory.maximumPages - mem.buffer.byteLength / 65536));
    } catch {
      // at the limit already: the allocators grow (or fail with ENOMEM) as they go
    }
  }

  /** `ip route del`: the first route matching what the spec names; ESRCH "No such process" when none. */
  del(spec: RouteSpec): void {
    this.remove(spec);
  }

  /** `ip route flush`: every route the filter selects (default table main); how many went. */
  flush(filter: RouteFilter = {}): number {
    const victims = this.select(filter);
    for (const r of victims) {
      const group = this.members.get(r);
      if (group) this.unlinkAll(group);
      else this.unlink(r);
    }
    return victims.length;
  }

  /** `ip route show` as `ip -j route show` prints it (table main unless the filter says otherwise). */
  list(filter: RouteFilter = {}): RouteInfo[] {
    return this.select(filter).map((r) => this.info(r, filter.table === 'all' || (filter.table !== undefined && tableId(filter.table, RT_TABLE_MAIN) !== RT_TABLE_MAIN)));
  }

  /** Every route, in table and prefix order (for the dst cache and tests). */
  all(): Route[] {
    return this.walk().flatMap((p) => this.decodeList(p));
  }

  /**
   * `ip route get`: RTM_GETROUTE as inet_rtm_getroute / inet6_rtm_getroute answer it — the route the
   * kernel builds for a locally generated packet (ip_route_output_key_hash_rcu, ip6_route_output) or,
   * with `iif`, for one received there (ip_route_input_slow, ip6_route_input_lookup) — with what
   * rt_fill_info / rt6_fill_node put in the answer (the source chosen, the cache flags, uid, mark, iif,
   * metrics). With `fibmatch` the FIB route that matched instead. Errors: ENETUNREACH "Network is
   * unreachable", EHOSTUNREACH "No route to host", EACCES "Permission denied", EINVAL "Invalid
   * argument", EXDEV "Invalid cross-device link" (rp_filter), ENODEV.
   */
  get(q: RouteGet): RouteGetInfo {
    const dst = parseAddr(q.to);
    if (q.iif !== undefined && this.x.netdev_get(this.ifindex(q.iif)) === 0) throw new NetError('ENODEV', 'No such device');
    return dst.family === AF_INET ? routeGet4(this, q, dst.bytes) : routeGet6(this, q, dst.bytes);
  }

  /** @internal The flow key buffer cleared, with the fields every `ip route get` sets. */
  getFlow(family: number, q: RouteGet, dst: Uint8Array, src: Uint8Array | undefined, iif: number, oif: number): number {
    const fl = this.x.fib_flow_buf() >>> 0;
    const b = this.bytes();
    b.fill(0, fl, fl + 64);
    b.set(dst, fl + FL.DST);
    if (src) b.set(src, fl + FL.SRC);
    const v = this.view();
    v.setUint32(fl + FL.IIF, iif, true);
    v.setUint32(fl + FL.OIF, oif, true);
    v.setUint32(fl + FL.MARK, q.mark ?? 0, true);
    v.setUint8(fl + FL.TOS, (q.tos ?? 0) & 0xfc);
    v.setUint8(fl + FL.PROTO, q.ipproto ?? 0);
    v.setUint16(fl + FL.SPORT, q.sport ?? 0, false);
    v.setUint16(fl + FL.DPORT, q.dport ?? 0, false);
    v.setUint32(fl + FL.UID, q.uid ?? 0, true);
    v.setUint8(fl + FL.FAMILY, family);
    return fl;
  }

  /** @internal Reads of the fast path's memory for RouteGet4. */
  mem(): { v: DataView; b: Uint8Array; x: FibExports } {
    return { v: this.view(), b: this.bytes(), x: this.x };
  }

  /** @internal A rule was ever added (tables local and main unmerged, fib_has_custom_rules). */
  customRules(family: 2 | 10): boolean {
    const v = this.view();
    const root = v.getUint32(NET_ROOT_PTR, true);
    const fib = root === 0 ? 0 : v.getUint32(root + NR.FIB, true);
    return fib !== 0 && (v.getUint32(fib + FRT.FLAGS, true) & (family === AF_INET ? 1 : 2)) !== 0;
  }

  /** @internal fib_has_custom_local_routes: a user ever added an IPv4 route of type local. */
  customLocalRoutes = false;

  /** @internal A device's name for answers (if<N> when gone). */
  /** @internal The metrics (besides the MTU) and preference of the route whose alias record is at `fa` (route get). */
  extraAt(fa: number): { metrics?: RouteInfo['metrics']; locks?: RouteInfo['locks']; pref?: string } {
    const e = this.extras.get(this.view().getUint32(fa + FA.ID, true));
    if (!e) return {};
    return { ...(e.metrics ? { metrics: { ...e.metrics } } : {}), ...(e.locks ? { locks: [...e.locks] } : {}), ...(e.pref !== undefined ? { pref: e.pref === 3 ? 'low' : 'high' } : {}) };
  }

  nameOf(ifindex: number): string {
    return this.devName(ifindex);
  }

  /** @internal The device is up. */
  isUp(ifindex: number): boolean {
    return this.devUp(ifindex);
  }

  /** @internal The module's 32-byte address buffer (two addresses), for the fast path's exports. */
  addrScratch(): number {
    return this.addr(NO_FROM);
  }

  /** @internal An alias record as the Route it was written from (its prefix from the result). */
  decodeAt(fa: number, family: 2 | 10, table: number, len: number): Route {
    return this.decode(fa, { family, table, dst: new Uint8Array(16), len, from: NO_FROM, fromLen: 0 });
  }

  /**
   * NETDEV_DOWN (fib_disable_ip, rt6_disable_ip): IPv4 next hops through `ifindex` die — host-scope
   * ones only with `force` (the device lost its last address) — and routes left with none go; IPv6
   * routes through it go, a multipath one losing only that next hop. `family`: one family only.
   */
  deviceDown(ifindex: number, opts: { family?: Family; force?: boolean } = {}): void {
    if (opts.family !== 'inet6') this.syncDown4(ifindex, 'down', opts.force ?? false);
    if (opts.family !== 'inet') this.syncDown6(ifindex, opts.force ?? false);
  }

  /** The address side took a family off the device (its last IPv4 address went, its MTU is too small). */
  familyDown(ifindex: number, family: Family): void {
    this.deviceDown(ifindex, { family, force: true });
    // fib_disable_ip's arp_ifdown (addrconf_ifdown's neigh_ifdown for IPv6): the family's neighbours of the device go, permanent ones too
    this.dp.neigh.deviceDown(ifindex, { family });
  }

  /** NETDEV_UNREGISTER: every route through `ifindex` (host-scope ones too, whole multipath routes) goes. */
  deviceGone(ifindex: number): void {
    this.syncDown4(ifindex, 'unregister', true);
    this.syncDown6(ifindex, true);
  }

  /**
   * NETDEV_CHANGE: the carrier went — IPv4 next hops through the device are flagged linkdown
   * (fib_sync_down_dev), IPv6 ones too but for local and anycast routes (fib6_ifdown) — or came back:
   * fib_sync_up(dev, RTNH_F_LINKDOWN) for IPv4, rt6_sync_up(dev, RTNH_F_DEAD) (linkdown with it) for
   * IPv6 as addrconf does once the link is ready. Multipath routes are rebalanced.
   */
  deviceCarrier(ifindex: number, up: boolean): void {
    if (!up) this.syncDown4(ifindex, 'change', false);
    else this.syncUp4(ifindex, RTNH_F.LINKDOWN);
    this.syncUp6OrDown(ifindex, up);
  }

  /**
   * The local address `address` left a device (fib_sync_down_addr): IPv4 routes of table main with it as
   * prefsrc go unless table local still has it as a local route (other tables' keep it); IPv6 routes through
   * any device with it as prefsrc keep going without one unless the address is still there for the route's
   * device (rt6_remove_prefsrc: ipv6_chk_addr(addr, the next hop's device, strict 0)).
   */
  addressGone(family: Family, address: string, ifindex: number): void {
    const a = parseAddr(address, family).bytes;
    // fib_del_ifaddr flushes only when inet_addr_type_dev_table, after the address's own local route went,
    // no longer calls it local: another device with the same address (or a user's local route) keeps the
    // routes that use it. A local route still through this device is the one going (a device unregistered).
    if (family === 'inet') {
      const dev = this.x.fib4_local_dev(new DataView(a.buffer, a.byteOffset, 4).getUint32(0, true));
      if (dev !== 0 && dev !== ifindex) return;
    }
    const gone: Route[] = [];
    for (const r of this.all()) {
      if (!r.prefsrc || !sameBytes(r.prefsrc.subarray(0, a.length), a)) continue;
      // fib_sync_down_addr marks dead only the fib_infos of the device's table (main without an l3mdev):
      // a route of table 100 or local keeps its prefsrc
      if (family === 'inet' && r.family === AF_INET) {
        if (r.table === RT_TABLE_MAIN) gone.push(r);
      }
      else if (family === 'inet6' && r.family === AF_INET6 && !this.isLocal6(address, r.nhs[0]!.oif, false, false)) this.view().setUint8(r.fa + FA.HAS_PREFSRC, 0);
    }
    for (const r of gone) this.unlink(r);
    this.x.fib_changed();
  }

  /**
   * NETDEV_CHANGEMTU, before net.ipv6.conf.DEV.mtu follows (addrconf's order): rt6_mtu_change. An
   * IPv6 route through the device whose mtu metric is not locked takes the new MTU when its own is
   * at least that, or when its own was the device's old one (an administrative raise PMTU discovery
   * could never find); routes without the metric keep none. Below IPV6_MIN_MTU IPv6 leaves the device
   * instead (the addresses' side). IPv4 routes keep their metrics: fib_sync_mtu touches only the PMTU
   * exceptions of the destinations routed through the device (fib_nhc_update_mtu).
   */
  deviceMtu(ifindex: number, mtu: number, old: number, oldMtu = 0): void {
    // fib_sync_mtu: the IPv4 PMTU exceptions behind the device
    if (mtu >= 68 && oldMtu) {
      const x = this.x;
      const fl = x.fib_flow_buf() >>> 0;
      x.dst_pmtu_sync_dev(ifindex, mtu, oldMtu, fl, fl + 64);
    }
    if (mtu < 1280 || !this.dp.addresses.inet6(ifindex)) return;
    // rt6_exceptions_update_pmtu: the IPv6 PMTU exceptions behind the device, by the same rule
    this.x.dst_pmtu6_sync_dev(ifindex, mtu, old, this.x.fib_flow_buf() >>> 0, this.x.fib_res_buf() >>> 0);
    const v = this.view();
    let changed = false;
    for (const r of this.all()) {
      if (r.family !== AF_INET6 || r.mtuLock || r.nhs[0]!.oif !== ifindex) continue;
      if (r.mtu >= mtu || (r.mtu < mtu && r.mtu === old)) {
        v.setUint32(r.fa + FA.MTU, mtu, true);
        changed = true;
      }
    }
    if (changed) this.x.fib_changed();
  }

  /**
   * NETDEV_UP: fib_sync_up(dev, RTNH_F_DEAD) — with RTNH_F_LINKDOWN when the device has its carrier —
   * for IPv4; for IPv6 rt6_sync_up only when the link is ready (addrconf_link_ready), else the next
   * hops stay dead until the carrier comes.
   */
  /**
   * An IPv4 address came to the device (fib_inetaddr_event NETDEV_UP, a promotion too): fib_sync_up(dev,
   * RTNH_F_DEAD) revives the next hops the device's last address took (with RTNH_F_LINKDOWN when it has its carrier).
   */
  addressUp(ifindex: number): void {
    this.syncUp4(ifindex, RTNH_F.DEAD | (this.carrierOk(ifindex) ? RTNH_F.LINKDOWN : 0));
  }

  deviceUp(ifindex: number): void {
    const carrier = this.carrierOk(ifindex);
    this.syncUp4(ifindex, RTNH_F.DEAD | (carrier ? RTNH_F.LINKDOWN : 0));
    if (carrier) this.syncUp6OrDown(ifindex, true);
  }

  /** fib_sync_up: `flags` cleared on next hops through `ifindex` (up), each route touched rebalanced. */
  private syncUp4(ifindex: number, flags: number): void {
    if (!this.devUp(ifindex)) return;
    let changed = false;
    for (const r of this.all()) {
      if (r.family !== AF_INET || !r.nhs.some((n) => n.oif === ifindex)) continue;
      let alive = 0;
      r.nhs.forEach((n, k) => {
        if (!(n.flags & flags)) {
          alive++;
          return;
        }
        if (n.oif !== ifindex) return;
        alive++;
        this.setNhFlags(r, k, n.flags & ~flags);
      });
      this.unshare(r.fa);
      if (alive > 0) this.view().setUint32(r.fa + FA.FLAGS, this.view().getUint32(r.fa + FA.FLAGS, true) & ~flags, true);
      this.x.fib_rebalance(r.fa);
      changed = true;
    }
    if (changed) this.x.fib_changed();
  }

  /**
   * IPv6 on a carrier change: rt6_sync_up (dead and linkdown cleared, fib6_ifup) or fib6_ifdown's
   * NETDEV_CHANGE (linkdown, not on local and anycast routes); the sibling groups rebalanced.
   */
  private syncUp6OrDown(ifindex: number, up: boolean): void {
    let changed = false;
    for (const p of this.walk()) {
      if (p.family !== AF_INET6) continue;
      const list = this.decodeList(p);
      let touched = false;
      for (const r of list) {
        const n = r.nhs[0]!;
        if (n.oif !== ifindex) continue;
        if (!up && (r.type === RTN.LOCAL || r.rtfAnycast)) continue;
        const flags = up ? n.flags & ~(RTNH_F.DEAD | RTNH_F.LINKDOWN) : n.flags | RTNH_F.LINKDOWN;
        if (flags === n.flags) continue;
        this.setNhFlags(r, 0, flags);
        touched = true;
      }
      if (touched) {
        this.republish(list[0]!);
        changed = true;
      }
    }
    if (changed) this.x.fib_changed();
  }

  /** netif_carrier_ok: the device's published flags have LOWER_UP. */
  private carrierOk(ifindex: number): boolean {
    const rec = this.x.netdev_get(ifindex) >>> 0;
    return rec !== 0 && (this.view().getUint32(rec + ND.FLAGS, true) & IFF.LOWER_UP) !== 0;
  }

  /** ip_ignore_linkdown / ip6_ignore_linkdown: the device's ignore_routes_with_linkdown (all folded in). */
  private ignoresLinkdown(family: number, ifindex: number): boolean {
    return this.x.netdev_conf_get(ifindex, family, family === AF_INET ? CONF4.IGNORE_ROUTES_WITH_LINKDOWN : CONF6.IGNORE_ROUTES_WITH_LINKDOWN) !== 0;
  }

  /**
   * A next hop's flags word as the fast path reads it: the kernel's flags, and DEAD with NH_IGNORED
   * besides when the next hop is linkdown on a device that ignores such routes — the lookups skip dead
   * next hops as fib_table_lookup and find_match skip those, and rebalancing leaves them out as
   * fib_rebalance and rt6_multipath_rebalance do.
   */
  private nhWord(family: number, n: Nexthop): number {
    if (!(n.flags & RTNH_F.DEAD) && n.flags & RTNH_F.LINKDOWN && this.ignoresLinkdown(family, n.oif)) return (n.flags | RTNH_F.DEAD | NH_IGNORED) >>> 0;
    return n.flags;
  }

  /**
   * ignore_routes_with_linkdown was written: the kernel reads it at each lookup and dump, so every
   * next hop's word is brought up to date at once (upper bounds stay until the next event, as the
   * kernel's do).
   */
  linkdownPolicyChanged(): void {
    const v = this.view();
    let changed = false;
    for (const r of this.all()) {
      r.nhs.forEach((n, k) => {
        const at = r.fa + FA.NH + k * NH.SIZE + NH.FLAGS;
        const w = this.nhWord(r.family, n);
        if (v.getUint32(at, true) === w) return;
        this.unshare(r.fa);
        v.setUint32(at, w, true);
        changed = true;
      });
    }
    if (changed) this.x.fib_changed();
  }

  // ---- building ----

  /** A route from a spec, checked as iproute2 and fib_create_info / fib_check_nh check it. */
  private build(spec: RouteSpec, forceIfindex?: number, kernel = false): Route {
    const p = parsePrefix(spec.dst, spec.family);
    const family = p.family;
    const max = family === AF_INET ? 32 : 128;
    const exact = isMasked(p.bytes, p.len);
    if (family === AF_INET && !exact) throw new NetError('EINVAL', 'Error: Invalid prefix for given prefix length.');
    const dst = exact ? p.bytes : masked(p.bytes, p.len);
    const typeName = spec.type ?? 'unicast';
    const type = TYPE_NUM[typeName];
    if (type === undefined) throw new NetError('EINVAL', `Error: argument "${String(typeName)}" is wrong: Failed to parse rtntype`);
    const table = tableId(spec.table, type === RTN.LOCAL || type === RTN.BROADCAST || type === RTN.ANYCAST || type === RTN.NAT ? RT_TABLE_LOCAL : RT_TABLE_MAIN);
    const protocol = spec.protocol === undefined ? PROTOS.boot! : typeof spec.protocol === 'number' ? spec.protocol : PROTOS[spec.protocol] ?? NaN;
    if (!(protocol >= 0 && protocol <= 255)) throw new NetError('EINVAL', `Error: argument "${String(spec.protocol)}" is wrong: "protocol" value is invalid`);
    const dscp = spec.tos ?? 0;
    if (!Number.isInteger(dscp) || dscp < 0 || dscp > 255) throw new NetError('EINVAL', `Error: argument "${dscp}" is wrong: TOS value is invalid`);
    if (dscp & 3) throw new NetError('EINVAL', 'Error: Invalid dsfield (tos): ECN bits must be 0.');
    // IPv6: metric 0 (or none) from a user is IP6_RT_PRIO_USER, 1024 (inet6_rtm_newroute); the kernel's
    // own routes keep theirs (local routes 0, prefix and multicast routes 256)
    const priority = family === AF_INET6 && !spec.metric && !kernel ? 1024 : spec.metric ?? 0;
    if (!Number.isInteger(priority) || priority < 0 || priority > 0xffffffff) throw new NetError('EINVAL', `Error: argument "${priority}" is wrong: "metric" value is invalid`);

    // rtm_to_fib6_multipath_config: every next hop of a new IPv6 multipath route needs a gateway
    if (family === AF_INET6 && spec.nexthops && !kernel) {
      if (spec.nexthops.length === 0) throw new NetError('EINVAL', 'Error: Invalid nexthop configuration - no valid nexthops.');
      if (spec.nexthops.some((n) => n.via === undefined)) throw new NetError('EINVAL', 'Error: Device only routes can not be added for IPv6 using the multipath API.');
    }
    // inet_rtm_newroute / ip6_route_info_create make the table before the next hops are checked
    this.tableCreated(family, table);
    // next hops as iproute2 sends them
    const specs: NexthopSpec[] = spec.nexthops ?? (spec.via !== undefined || spec.dev !== undefined || forceIfindex !== undefined ? [{ via: spec.via, dev: spec.dev, onlink: spec.onlink }] : []);
    const nhs: Nexthop[] = specs.map((n) => {
      const oif = forceIfindex !== undefined && n.dev === undefined ? forceIfindex : n.dev !== undefined ? this.ifindex(n.dev) : 0;
      let gwFamily: 0 | 2 | 10 = 0;
      let gw = new Uint8Array(16);
      if (n.via !== undefined) {
        const via = n.via.replace(/^inet6? /, '');
        const a = parseAddr(via);
        gwFamily = a.family;
        gw = new Uint8Array(16);
        gw.set(a.bytes);
        if (family === AF_INET6 && gwFamily === AF_INET) throw new NetError('EINVAL', 'Error: IPv6 routes can not use an IPv4 nexthop.');
      }
      const weight = n.weight ?? 1;
      if (!Number.isInteger(weight) || weight < 1 || weight > 256) throw new NetError('EINVAL', `Error: argument "${weight}" is wrong: "weight" is invalid`);
      return { oif, gwFamily, gw, weight, flags: n.onlink ? RTNH_F.ONLINK : 0, scope: 0 };
    });
    const gwOk = nhs.some((n) => n.gwFamily !== 0);
    let scope: number;
    if (spec.scope !== undefined) {
      scope = typeof spec.scope === 'number' ? spec.scope : SCOPES[spec.scope] ?? NaN;
      if (!(scope >= 0 && scope <= 255)) throw new NetError('EINVAL', `Error: argument "${String(spec.scope)}" is wrong: invalid "scope" value`);
    } else if (type === RTN.LOCAL || type === RTN.NAT) scope = RT_SCOPE.HOST;
    else if (type === RTN.BROADCAST || type === RTN.MULTICAST || type === RTN.ANYCAST) scope = RT_SCOPE.LINK;
    else if (type === RTN.UNICAST && !gwOk && spec.nexthops === undefined) scope = RT_SCOPE.LINK;
    else scope = RT_SCOPE.UNIVERSE;
    let prefsrc: Uint8Array | undefined;
    if (spec.src !== undefined) {
      const s = parseAddr(spec.src, family === AF_INET ? 'inet' : 'inet6');
      prefsrc = new Uint8Array(16);
      prefsrc.set(s.bytes);
    }
    const mtu = spec.mtu ?? 0;
    // RTA_SRC: IPv6 only (the kernel masks it to its length, silently); the IPv4 FIB takes no source prefix
    let from = NO_FROM;
    let fromLen = 0;
    if (spec.from !== undefined && family === AF_INET6) {
      const f = parsePrefix(spec.from, 'inet6');
      from = masked(f.bytes, f.len);
      fromLen = f.len;
    }
    const r: Route = { id: this.nextId++, family, table, dst, len: p.len, from, fromLen, type, scope, dscp, protocol, priority, prefsrc, mtu, mtuLock: spec.mtuLock ?? false, nhs, fa: 0 };
    // RTA_EXPIRES (IPv6 only; addrconf_timeout_fixup: 0xffffffff is forever)
    if (family === AF_INET6 && spec.expires !== undefined && spec.expires !== 0xffffffff) r.expires = this.dp.stack.now() + spec.expires * 1000;
    const extra = routeExtra(family, spec);
    if (extra) r.extra = extra;
    if (family === AF_INET6 && kernel && type === RTN.ANYCAST) r.rtfAnycast = true;
    if (family === AF_INET) this.checkInfo4(r, spec);
    // addrconf's local routes are made with fc_ignore_dev_down: an address on a device that is down has one
    else {
      this.checkInfo6(r, kernel && r.type === RTN.LOCAL, spec.onlink === true, kernel);
      // ip6_route_info_create: a route fib6_is_reject calls a reject (a reject type, or through lo to
      // other than ::1) has its flags set to RTF_REJECT | RTF_NONEXTHOP, losing RTF_EXPIRES and RTF_PREF
      const lo = r.nhs.length === 1 && r.nhs[0]!.oif === LOOPBACK_IFINDEX && !(p.len === 128 && dst.every((c, i) => c === (i === 15 ? 1 : 0)));
      if (REJECT.has(r.type) || (lo && r.type !== RTN.LOCAL && !r.rtfAnycast)) {
        delete r.expires;
        if (r.extra) {
          delete r.extra.pref;
          if (!r.extra.metrics && !r.extra.locks) delete r.extra;
        }
      }
    }
    // fib_check_nh* and fib6_nh_init: a next hop through a device without its carrier starts linkdown
    // (not those of host-scope IPv4 routes, which are not checked, nor IPv6 local and anycast routes,
    // nor reject routes' loopback)
    if (!REJECT.has(r.type) && !(family === AF_INET && r.scope === RT_SCOPE.HOST) && !(family === AF_INET6 && (r.type === RTN.LOCAL || r.rtfAnycast))) {
      for (const nh of r.nhs) if (nh.oif !== 0 && !this.carrierOk(nh.oif)) nh.flags |= RTNH_F.LINKDOWN;
    }
    void max;
    return r;
  }

  /** fib_create_info's checks for IPv4, then fib_check_nh for each next hop. */
  private checkInfo4(r: Route, spec: RouteSpec): void {
    if (TYPE_SCOPE[r.type]! > r.scope) throw new NetError('EINVAL', 'Error: Invalid scope.');
    if (spec.nexthops && spec.nexthops.length === 0) throw new NetError('EINVAL', 'Error: Invalid nexthop configuration - no valid nexthops.');
    if (REJECT.has(r.type)) {
      if (r.nhs.some((n) => n.gwFamily !== 0 || n.oif !== 0) || spec.nexthops) {
        throw new NetError('EINVAL', 'Error: Gateway, device and multipath can not be specified for this route type.');
      }
      r.nhs = [];
      if (spec.onlink) r.onlink = true;
      return;
    }
    if (r.scope > RT_SCOPE.HOST) throw new NetError('EINVAL', 'Error: Invalid scope.');
    if (r.nhs.length === 0) {
      // neither gateway nor device: fib_create_info's one next hop has oif 0 (host scope: dev_get_by_index
      // fails; otherwise fib_check_nh_nongw refuses onlink first, then finds no in_device)
      if (r.scope !== RT_SCOPE.HOST && spec.onlink) throw new NetError('EINVAL', 'Error: Invalid flags for nexthop - PERVASIVE and ONLINK can not be set.');
      throw new NetError('ENODEV', 'No such device');
    }
    if (r.scope === RT_SCOPE.HOST) {
      if (r.nhs.length !== 1) throw new NetError('EINVAL', 'Error: Route with host scope can not have multiple nexthops.');
      const nh = r.nhs[0]!;
      if (nh.gwFamily) throw new NetError('EINVAL', 'Error: Route with host scope can not have a gateway.');
      nh.scope = RT_SCOPE.NOWHERE;
      if (this.x.netdev_get(nh.oif) === 0) throw new NetError('ENODEV', 'No such device');
    } else {
      for (const nh of r.nhs) this.checkNh4(r, nh);
    }
    if (r.prefsrc && !this.validPrefsrc(r)) throw new NetError('EINVAL', 'Error: Invalid prefsrc address.');
  }

  private checkNh4(r: Route, nh: Nexthop): void {
    if (nh.gwFamily === AF_INET) {
      if (nh.flags & RTNH_F.ONLINK) {
        if (r.scope >= RT_SCOPE.LINK) throw new NetError('EINVAL', 'Error: Nexthop has invalid scope.');
        if (nh.oif === 0 || this.x.netdev_get(nh.oif) === 0) throw new NetError('ENODEV', 'Error: Nexthop device required for onlink.');
        if (!this.devUp(nh.oif)) throw new NetError('ENETDOWN', 'Error: Nexthop device is not up.');
        const gw = new DataView(nh.gw.buffer).getUint32(0, true);
        // inet_addr_type_dev_table: the device picks the table only, so any device's route of table
        // local counts (a `broadcast default dev lo` makes every gateway broadcast)
        if (this.x.fib4_local_type(gw, 0) !== RTN.UNICAST) throw new NetError('EINVAL', 'Error: Nexthop has invalid gateway.');
        nh.scope = RT_SCOPE.LINK;
        return;
      }
      // the gateway must be reachable directly: a lookup with scope ≥ link through the given device.
      // Only routes of link scope or narrower can change that answer: during a bulk load it is
      // remembered until one of those changes (each gateway is checked once, not once per route).
      const flScope = Math.max(r.scope + 1, RT_SCOPE.LINK);
      if (!this.inBulk) {
        this.checkGateway4(r, nh, flScope);
        return;
      }
      const ckey = `${r.table}|${nh.oif}|${nh.gw[0]}.${nh.gw[1]}.${nh.gw[2]}.${nh.gw[3]}|${flScope}`;
      const known = this.gwChecks.get(ckey);
      if (known) {
        if (known.error) throw known.error;
        nh.scope = known.scope;
        nh.oif = known.oif;
        if (!this.devUp(nh.oif)) throw new NetError('ENETDOWN', 'Network is down');
        return;
      }
      try {
        this.checkGateway4(r, nh, flScope);
        this.gwChecks.set(ckey, { scope: nh.scope, oif: nh.oif });
      } catch (e) {
        if (e instanceof NetError && e.errno !== 'ENETDOWN') this.gwChecks.set(ckey, { error: e, scope: 0, oif: 0 });
        throw e;
      }
      return;
    }
    this.checkNhNoGateway4(nh);
  }

  /** fib_check_nh_v4_gw for a gateway without onlink: the lookup itself. */
  private checkGateway4(r: Route, nh: Nexthop, flScope: number): void {
    {
      const x = this.x;
      const fl = x.fib_flow_buf() >>> 0;
      const b = this.bytes();
      b.fill(0, fl, fl + 64);
      b.set(nh.gw.subarray(0, 4), fl + FL.DST);
      const v = this.view();
      v.setUint8(fl + FL.SCOPE, flScope);
      v.setUint32(fl + FL.OIF, nh.oif, true);
      v.setUint32(fl + FL.IIF, LOOPBACK_IFINDEX, true);
      v.setUint8(fl + FL.FAMILY, AF_INET);
      let err = -11;
      if (r.table !== 0 && r.table !== RT_TABLE_MAIN) err = x.fib_ctl_lookup(1, r.table);
      if (err !== 0) {
        // fib_lookup without path selection: the flow's oif keeps fib4_select_path from hashing
        err = x.fib_ctl_lookup(0, 0);
      }
      if (err !== 0) {
        if (err === -101 || err === -11) throw new NetError('ENETUNREACH', 'Error: Nexthop has invalid gateway.');
        throw new NetError(err === -113 ? 'EHOSTUNREACH' : err === -13 ? 'EACCES' : 'EINVAL', 'Error: Nexthop has invalid gateway.');
      }
      const res = x.fib_res_buf() >>> 0;
      const rv = this.view();
      const t = rv.getUint8(res + FR.TYPE);
      if (t !== RTN.UNICAST && t !== RTN.LOCAL) throw new NetError('EINVAL', 'Error: Nexthop has invalid gateway.');
      nh.scope = rv.getUint8(res + FR.SCOPE);
      nh.oif = rv.getUint32(res + FR.OIF, true);
      if (!this.devUp(nh.oif)) throw new NetError('ENETDOWN', 'Network is down');
    }
  }

  /** fib_check_nh_v6_gw / fib_check_nh_nongw for an IPv4 route's next hop. */
  private checkNhNoGateway4(nh: Nexthop): void {
    if (nh.gwFamily === AF_INET6) {
      if (nh.oif === 0) throw new NetError('ENODEV', 'Error: Nexthop device required for IPv6 gateway.');
      if (!this.devUp(nh.oif)) throw new NetError('ENETDOWN', 'Network is down');
      nh.scope = RT_SCOPE.LINK;
      return;
    }
    if (nh.flags & RTNH_F.ONLINK) throw new NetError('EINVAL', 'Error: Invalid flags for nexthop - PERVASIVE and ONLINK can not be set.');
    if (this.x.netdev_get(nh.oif) === 0) throw new NetError('ENODEV', 'No such device');
    if (!this.devUp(nh.oif)) throw new NetError('ENETDOWN', 'Error: Device for nexthop is not up.');
    nh.scope = RT_SCOPE.HOST;
  }

  /** fib_valid_prefsrc: prefsrc must be a local address (table local, or the route's own table). */
  private validPrefsrc(r: Route): boolean {
    if (r.type === RTN.LOCAL && r.len !== 0 && sameBytes(r.prefsrc, r.dst)) return true;
    const a = new DataView(r.prefsrc!.buffer).getUint32(0, true);
    let tb = r.table === RT_TABLE_MAIN ? RT_TABLE_LOCAL : r.table;
    let rc = this.x.fib4_addr_type_table(a, tb);
    if (rc !== RTN.LOCAL && tb !== RT_TABLE_LOCAL) {
      tb = RT_TABLE_LOCAL;
      rc = this.x.fib4_addr_type_table(a, tb);
    }
    return rc === RTN.LOCAL;
  }

  /**
   * ip6_route_multipath_add / ip6_route_add for each next hop in turn: fib6_nh_init (onlink, a reject
   * route's loopback, the gateway, the device), the prefsrc check of ip6_route_info_create_nh, then
   * ip6_route_info_append's comparison with the next hops made before it (EEXIST) — so a bad next hop
   * is refused before a later duplicate, and a duplicate before a later bad one.
   */
  private checkInfo6(r: Route, ignoreDevDown: boolean, onlink: boolean, kernel: boolean): void {
    // a route without next hops (no device, no gateway) is one next hop with neither
    const nhs: Nexthop[] = r.nhs.length ? r.nhs : [{ oif: 0, gwFamily: 0, gw: new Uint8Array(16), weight: 1, flags: onlink ? RTNH_F.ONLINK : 0, scope: 0 }];
    const reject = REJECT.has(r.type);
    const made: Nexthop[] = [];
    for (const nh of nhs) {
      if (nh.flags & RTNH_F.ONLINK) {
        if (nh.oif === 0) throw new NetError('ENODEV', 'Error: Nexthop device required for onlink.');
        if (!this.devUp(nh.oif)) throw new NetError('ENETDOWN', 'Error: Nexthop device is not up.');
      }
      if (reject) {
        // the loopback, without the gateway (onlink, checked on the device given, stays)
        nh.oif = LOOPBACK_IFINDEX;
        nh.gwFamily = 0;
        nh.gw = new Uint8Array(16);
        nh.scope = RT_SCOPE.HOST;
      } else {
        if (nh.gwFamily === AF_INET6) this.validateGw6(r, nh);
        if (nh.oif === 0 || this.x.netdev_get(nh.oif) === 0) throw new NetError('ENODEV', 'No such device');
        if (!this.devUp(nh.oif) && !ignoreDevDown) throw new NetError('ENETDOWN', 'Error: Nexthop device is not up.');
        nh.scope = nh.gwFamily ? RT_SCOPE.UNIVERSE : RT_SCOPE.LINK;
      }
      // ip6_route_info_create_nh: ipv6_chk_addr(prefsrc, the next hop's device, strict 0) — an address of
      // any device unless link or host scoped, then of that device; not tentative
      if (r.prefsrc && !kernel) {
        const want = formatAddr(AF_INET6, r.prefsrc);
        const dev = this.devName(nh.oif);
        const ok = this.dp.addresses.list({ family: 'inet6' }).some((a) => a.local === want && !a.tentative && (a.dev === dev || (a.scope !== 'link' && a.scope !== 'host')));
        if (!ok) throw new NetError('EINVAL', 'Error: Invalid source address.');
      }
      if (made.some((m) => sameNh6(m, nh))) throw new NetError('EEXIST', 'File exists');
      made.push(nh);
    }
    r.nhs = made;
    if (r.type === RTN.UNICAST && r.scope === RT_SCOPE.LINK && r.nhs.some((n) => n.gwFamily)) r.scope = RT_SCOPE.UNIVERSE;
  }

  /**
   * ipv6_chk_addr_and_flags(`want`, dev, skip_dev_check = `anyDev`, strict 0): banned flags none, or
   * IFA_F_TENTATIVE when `tentative` is false (ipv6_chk_addr's).
   */
  private isLocal6(want: string, ifindex: number, anyDev: boolean, tentative: boolean): boolean {
    const dev = anyDev ? undefined : this.devName(ifindex);
    return this.dp.addresses
      .list({ family: 'inet6' })
      .some((a) => a.local === want && (tentative || !a.tentative) && (dev === undefined || a.dev === dev || (a.scope !== 'link' && a.scope !== 'host')));
  }

  /**
   * ip6_validate_gw: not a local address; a gateway that is not link-local must be unicast and then,
   * with onlink, not routed in main through another device (ip6_route_check_nh_onlink), without it
   * reachable without a gateway (ip6_route_check_nh: the route's table, then a full lookup, each with
   * RT6_LOOKUP_F_IFACE on the given device), the next hop taking that route's device when none was
   * given; the device neither missing nor the loopback.
   */
  private validateGw6(r: Route, nh: Nexthop): void {
    const gw = nh.gw;
    const linkLocal = gw[0] === 0xfe && (gw[1]! & 0xc0) === 0x80;
    const given = nh.oif;
    if (given && this.isLocal6(formatAddr(AF_INET6, gw), given, !linkLocal, true)) throw new NetError('EINVAL', 'Error: Gateway can not be a local address.');
    if (!linkLocal) {
      if (gw[0] === 0xff || gw.every((c) => c === 0)) throw new NetError('EINVAL', 'Error: Invalid gateway address.');
      if (nh.flags & RTNH_F.ONLINK) this.checkNhOnlink6(nh);
      else this.checkNh6(r, nh);
    }
    if (nh.oif === 0) throw new NetError('EINVAL', 'Error: Egress device not specified.');
    if (nh.oif === LOOPBACK_IFINDEX) throw new NetError('EINVAL', 'Error: Egress device can not be loopback device for this route.');
    if (!given && this.isLocal6(formatAddr(AF_INET6, gw), nh.oif, !linkLocal, true)) throw new NetError('EINVAL', 'Error: Gateway can not be a local address.');
  }

  /** fib6_flags & RTF_REJECT of an IPv6 lookup's result: a reject type, or a route through lo (fib6_is_reject). */
  private resultReject6(res: number): boolean {
    const v = this.view();
    const t = v.getUint8(res + FR.TYPE);
    const fa = v.getUint32(res + FR.INFO, true);
    return t >= RTN.BLACKHOLE || (t !== RTN.LOCAL && !(v.getUint32(fa + FA.FLAGS, true) & FA_RTF_ANYCAST) && v.getUint32(res + FR.OIF, true) === LOOPBACK_IFINDEX);
  }

  /**
   * ip6_route_check_nh_onlink: the gateway looked up in main, scored on the device (no strictness); a
   * route found that is not a reject one nor for :: (the default route) must be unicast through that device.
   */
  private checkNhOnlink6(nh: Nexthop): void {
    const x = this.x;
    const v = this.view();
    const res = x.fib_res_buf() >>> 0;
    const fl = this.gatewayFlow6(nh);
    if (x.fib6_table_lookup(RT_TABLE_MAIN, fl, nh.oif, res, 0) !== 0 || this.resultReject6(res)) return;
    if (masked(nh.gw, v.getUint8(res + FR.PREFIXLEN)).every((c) => c === 0)) return;
    if (v.getUint8(res + FR.TYPE) !== RTN.UNICAST || v.getUint32(res + FR.OIF, true) !== nh.oif) {
      throw new NetError('EINVAL', 'Error: Nexthop has invalid gateway or device mismatch.');
    }
  }

  /** The flow the IPv6 gateway checks look nh's gateway up with (from lo, out of nh's device); its address. */
  private gatewayFlow6(nh: Nexthop): number {
    const fl = this.x.fib_flow_buf() >>> 0;
    const v = this.view();
    this.bytes().fill(0, fl, fl + 64);
    this.bytes().set(nh.gw, fl + FL.DST);
    v.setUint32(fl + FL.OIF, nh.oif, true);
    v.setUint32(fl + FL.IIF, LOOPBACK_IFINDEX, true);
    v.setUint8(fl + FL.FAMILY, AF_INET6);
    return fl;
  }

  /** ip6_route_check_nh: EHOSTUNREACH unless the gateway is reached without one (through the given device). */
  private checkNh6(r: Route, nh: Nexthop): void {
    const x = this.x;
    const v = this.view();
    const res = x.fib_res_buf() >>> 0;
    const found = (table: number): number => {
      const fl = this.gatewayFlow6(nh);
      // ip6_route_check_nh: RT6_LOOKUP_F_IFACE in the route's table too (a route through another device is passed over)
      const err = table ? x.fib6_table_lookup(table, fl, nh.oif, res, 1) : x.fib6_lookup_oif(fl, res, nh.oif, 0, 1, 1);
      if (err !== 0 || this.resultReject6(res) || v.getUint8(res + FR.GW_FAMILY) !== 0) return 0;
      const dev = v.getUint32(res + FR.OIF, true);
      return nh.oif && dev !== nh.oif ? 0 : dev;
    };
    const dev = found(r.table) || found(0);
    if (!dev) throw new NetError('EHOSTUNREACH', 'No route to host');
    nh.oif = dev;
  }

  // ---- installing ----

  private modify(spec: RouteSpec, nlflags: number): void {
    const r = this.build(spec);
    this.insert(r, nlflags, false);
    // inet_rtm_newroute: a local route from user space makes fib_validate_source look routes up
    if (r.family === AF_INET && r.type === RTN.LOCAL && !this.customLocalRoutes) {
      this.customLocalRoutes = true;
      this.x.fib_custom_local4();
    }
  }

  private sameInfo(a: Route, b: Route): boolean {
    return a.type === b.type && a.scope === b.scope && a.protocol === b.protocol && a.priority === b.priority && a.mtu === b.mtu && a.mtuLock === b.mtuLock &&
      JSON.stringify(a.extra?.metrics ?? {}) === JSON.stringify(b.extra?.metrics ?? {}) && (a.extra?.locks ?? []).join() === (b.extra?.locks ?? []).join() &&
      sameBytes(a.prefsrc, b.prefsrc) && a.nhs.length === b.nhs.length && (a.onlink ?? false) === (b.onlink ?? false) &&
      a.nhs.every((n, i) => { const m = b.nhs[i]!; return n.oif === m.oif && n.gwFamily === m.gwFamily && sameBytes(n.gw, m.gw) && n.weight === m.weight && (n.flags & RTNH_F.ONLINK) === (m.flags & RTNH_F.ONLINK); });
  }

  /** fib_table_insert (IPv4) / fib6_add_rt2node (IPv6) with the netlink flags of the command. */
  private insert(r: Route, nlflags: number, quiet: boolean): void {
    const key: PrefixRef = r;
    const list = this.listOf(key);
    // first alias with the same (dscp, priority) key, or the one before which the route goes
    let at = list.findIndex((a) => a.dscp < r.dscp || (a.dscp === r.dscp && a.priority >= r.priority));
    if (at < 0) at = list.length;
    const same = at < list.length && list[at]!.dscp === r.dscp && list[at]!.priority === r.priority;
    if (r.family === AF_INET6) {
      this.insert6(key, r, nlflags);
      return;
    }
    if (same) {
      if (nlflags & NLM_F_EXCL) throw new NetError('EEXIST', 'File exists');
      let end = at;
      let match = -1;
      while (end < list.length && list[end]!.dscp === r.dscp && list[end]!.priority === r.priority) {
        if (match < 0 && list[end]!.type === r.type && this.sameInfo(list[end]!, r)) match = end;
        end++;
      }
      if (nlflags & NLM_F_REPLACE) {
        if (match === at) return; // replacing a route by itself: nothing changes
        list[at] = r;
        this.publish(key, r, list);
        return;
      }
      if (match >= 0) {
        if (quiet) return;
        throw new NetError('EEXIST', 'File exists');
      }
      if (nlflags & NLM_F_APPEND) at = end;
    }
    if (!(nlflags & NLM_F_CREATE)) throw new NetError('ENOENT', 'No such file or directory');
    list.splice(at, 0, r);
    this.publish(key, r, list);
  }

  /**
   * ip6_route_add / ip6_route_multipath_add: each next hop becomes a route (fib6_info) of its own,
   * inserted as fib6_add_rt2node does; the first with the command's flags, the rest as NLM_F_CREATE
   * (no EXCL, no REPLACE). When one fails, the routes added before it are deleted again.
   */
  private insert6(key: PrefixRef, r: Route, nlflags: number): void {
    const parts: Route[] = r.nhs.map((n, i) => ({ ...r, id: i === 0 ? r.id : this.nextId++, nhs: [n], fa: 0 }));
    const added: Route[] = [];
    let flags = nlflags;
    for (const part of parts) {
      try {
        this.insertOne6(key, part, flags);
      } catch (e) {
        for (const a of added) this.unlink(a);
        throw e;
      }
      added.push(part);
      flags = (flags & ~(NLM_F_EXCL | NLM_F_REPLACE)) | NLM_F_CREATE;
    }
  }

  /**
   * fib6_add_rt2node: routes sorted by metric. At the route's metric, NLM_F_EXCL is EEXIST; replace
   * takes the first route as ECMP-capable as the new one (rt6_qualify_for_ecmp: it has a gateway), or
   * else the first of the metric, and a replaced route's siblings go with it; otherwise a duplicate
   * next hop (same device and gateway) is EEXIST (the expiring one given the new one's lifetime and MTU) and the route goes after every route of its metric —
   * a sibling of those with a gateway when it has one itself.
   */
  private insertOne6(key: PrefixRef, rt: Route, nlflags: number): void {
    const list = this.listOf(key);
    const replace = (nlflags & NLM_F_REPLACE) !== 0;
    const add = (nlflags & NLM_F_CREATE) !== 0;
    const ecmp = isEcmp6(rt);
    let ins = list.length;
    let found = -1;
    let fallback = -1;
    for (let i = 0; i < list.length; i++) {
      const iter = list[i]!;
      if (iter.priority === rt.priority) {
        if (nlflags & NLM_F_EXCL) throw new NetError('EEXIST', 'File exists');
        if (replace) {
          if (ecmp === isEcmp6(iter)) {
            found = i;
            break;
          }
          if (fallback < 0) fallback = i;
          continue;
        }
        if (sameNh6(iter.nhs[0]!, rt.nhs[0]!)) {
          // a duplicate of an expiring route takes the new one's lifetime, or none, before EEXIST (addrconf
          // re-adding an address's prefix route, `ip -6 route append`)
          if (iter.expires !== undefined) {
            if (rt.expires === undefined) this.expiry.delete(iter.id);
            else this.expiry.set(iter.id, rt.expires);
            // and its MTU when it gives one (fib6_metric_set RTAX_MTU; the lock stays)
            if (rt.mtu) {
              this.view().setUint32(iter.fa + FA.MTU, rt.mtu, true);
              this.x.fib_changed();
            }
          }
          throw new NetError('EEXIST', 'File exists');
        }
      }
      if (iter.priority > rt.priority) {
        ins = i;
        break;
      }
    }
    if (fallback >= 0 && found < 0) found = fallback;
    if (!replace || found < 0) {
      // fib6_add_1 says why when the prefix has no node (the table's root, ::/0, always has one);
      // fib6_add_rt2node does not
      if (replace && !add) throw new NetError('ENOENT', list.length === 0 && key.len !== 0 ? 'Error: Can not replace route - no match found.' : 'No such file or directory');
      if (!replace) ins = list.findIndex((a) => a.priority > rt.priority);
      list.splice(ins < 0 ? list.length : ins, 0, rt);
      this.publish(key, rt, list);
      return;
    }
    const old = list[found]!;
    const hadSiblings = isEcmp6(old) && list.some((a) => a !== old && a.priority === old.priority && isEcmp6(a));
    list[found] = rt;
    // replacing a multipath route: its siblings (every other route of the metric with a gateway) go too
    const kept = hadSiblings ? list.filter((a, i) => i <= found || a.priority !== rt.priority || !isEcmp6(a)) : list;
    this.publish(key, rt, kept);
  }

  /**
   * Write alias records for the routes that have none, then the list; publish. The aliases of routes
   * that left the prefix are retired (the FIB retires the old list itself) and what earlier grace
   * periods allow is reclaimed.
   */
  private publish(key: PrefixRef, r: PrefixRef, list: Route[]): void {
    void r;
    const x = this.x;
    const before = this.aliasesOf(key);
    for (const a of list) if (a.fa === 0) a.fa = this.acquire(a, list);
    let listAddr = 0;
    if (list.length > 0) {
      listAddr = x.fib_alloc(8 + 4 * list.length) >>> 0;
      if (listAddr === 0) throw new NetError('ENOMEM', 'Cannot allocate memory');
      const v = this.view();
      v.setUint32(listAddr, list.length, true);
      list.forEach((a, i) => v.setUint32(listAddr + 8 + 4 * i, a.fa, true));
      if (r.family === AF_INET6) x.fib6_rebalance(listAddr);
    }
    const err = x.fib_prefix_set2(key.family, key.table, this.addr(key.dst), key.len, this.addr(key.from, true), key.fromLen, listAddr);
    if (err === -12) throw new NetError('ENOMEM', 'Cannot allocate memory');
    const now = new Set(list.map((a) => a.fa));
    const v = this.view();
    if (this.inBulk && (list.some((a) => a.scope >= RT_SCOPE.LINK) || before.some((fa) => v.getUint8(fa + FA.SCOPE) >= RT_SCOPE.LINK))) this.gwChecks.clear();
    for (const fa of before) {
      if (now.has(fa)) continue;
      if (!this.release(fa)) continue;
      if (this.expiry.size) this.expiry.delete(v.getUint32(fa + FA.ID, true));
      if (this.extras.size) this.extras.delete(v.getUint32(fa + FA.ID, true));
      x.fib_free(fa, FA.NH + NH.SIZE * v.getUint32(fa + FA.NHS, true));
    }
    if (!this.inBulk) x.fib_reclaim();
  }

  // ---- the FIB's records read back ----

  /** `dst` (16 bytes) in the module's address buffer (and a source prefix in the next 16), for the FIB's exports. */
  private addr(dst: Uint8Array, second = false): number {
    if (this.addrBuf === 0) this.addrBuf = this.x.fib_alloc(32) >>> 0;
    const at = this.addrBuf + (second ? 16 : 0);
    this.bytes().set(dst, at);
    return at;
  }

  /** The alias records published for a prefix, in order (none: []). */
  private aliasesOf(p: PrefixRef): number[] {
    const list = this.x.fib_prefix_get2(p.family, p.table, this.addr(p.dst), p.len, this.addr(p.from, true), p.fromLen) >>> 0;
    if (list === 0) return [];
    const v = this.view();
    const n = v.getUint32(list, true);
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(v.getUint32(list + 8 + 4 * i, true));
    return out;
  }

  /** The routes of a prefix, decoded (a fresh array the caller may change). */
  private listOf(p: PrefixRef): Route[] {
    return this.aliasesOf(p).map((fa) => this.decode(fa, p));
  }

  private decodeList(p: PrefixRef & { list: number }): Route[] {
    const v = this.view();
    const n = v.getUint32(p.list, true);
    const out: Route[] = [];
    for (let i = 0; i < n; i++) out.push(this.decode(v.getUint32(p.list + 8 + 4 * i, true), p));
    return out;
  }

  /** An alias record as the Route it was written from. */
  private decode(fa: number, p: PrefixRef): Route {
    const v = this.view();
    const b = this.bytes();
    const nhs: Nexthop[] = [];
    const n = v.getUint32(fa + FA.NHS, true);
    for (let k = 0; k < n; k++) {
      const o = fa + FA.NH + k * NH.SIZE;
      nhs.push({
        oif: v.getUint32(o + NH.OIF, true), gwFamily: v.getUint8(o + NH.GW_FAMILY) as 0 | 2 | 10, gw: b.slice(o + NH.GW, o + NH.GW + 16),
        weight: v.getUint32(o + NH.WEIGHT, true), flags: kernelFlags(v.getUint32(o + NH.FLAGS, true)), scope: v.getUint8(o + NH.SCOPE),
      });
    }
    return {
      id: v.getUint32(fa + FA.ID, true), family: p.family, table: p.table, dst: p.dst, len: p.len, from: p.from, fromLen: p.fromLen, type: v.getUint8(fa + FA.TYPE),
      scope: v.getUint8(fa + FA.SCOPE), dscp: v.getUint8(fa + FA.DSCP), protocol: v.getUint8(fa + FA.PROTOCOL),
      priority: v.getUint32(fa + FA.PRIORITY, true), prefsrc: v.getUint8(fa + FA.HAS_PREFSRC) ? b.slice(fa + FA.PREFSRC, fa + FA.PREFSRC + 16) : undefined,
      mtu: v.getUint32(fa + FA.MTU, true), mtuLock: (v.getUint32(fa + FA.LOCK, true) & RTAX_MTU_LOCK) !== 0, nhs, fa,
      ...(n === 0 && v.getUint32(fa + FA.FLAGS, true) & RTNH_F.ONLINK ? { onlink: true } : {}),
      ...(v.getUint32(fa + FA.FLAGS, true) & FA_RTF_ANYCAST ? { rtfAnycast: true } : {}),
      ...(this.expiry.size ? expiresOf(this.expiry.get(v.getUint32(fa + FA.ID, true))) : {}),
      ...(this.extras.size && this.extras.has(v.getUint32(fa + FA.ID, true)) ? { extra: this.extras.get(v.getUint32(fa + FA.ID, true)) } : {}),
    };
  }

  /** Every prefix of every table: the FIB root's table directory, each table's buckets. */
  private walk(): Array<PrefixRef & { list: number }> {
    const v = this.view();
    const out: Array<PrefixRef & { list: number }> = [];
    const root = v.getUint32(NET_ROOT_PTR, true);
    const fib = root === 0 ? 0 : v.getUint32(root + NR.FIB, true);
    if (fib === 0) return out;
    const dir = v.getUint32(fib + FRT.TABLES, true);
    const nt = v.getUint32(dir, true);
    for (let i = 0; i < nt; i++) {
      const t = v.getUint32(dir + 4 + 4 * i, true);
      const table = v.getUint32(t + TB.ID, true);
      const family = v.getUint32(t + TB.FAMILY, true) as 2 | 10;
      const buckets = v.getUint32(t + TB.BUCKETS, true);
      const mask = v.getUint32(buckets, true);
      for (let k = 0; k <= mask; k++) {
        const px = v.getUint32(buckets + 4 + 4 * k, true);
        if (px <= 1) continue;
        const dst = this.bytes().slice(px + PX.ADDR, px + PX.ADDR + 16);
        const len = v.getUint8(px + PX.LEN);
        // the source-specific routes first, longest source first, then the prefix's own (as the kernel dumps a node)
        const st = v.getUint32(px + PX.SUBTREE, true);
        const ns = st === 0 ? 0 : v.getUint32(st, true);
        for (let j = 0; j < ns; j++) {
          const e = st + SUB.HEADER + j * SUB.SIZE;
          out.push({ family, table, dst, len, from: this.bytes().slice(e + SUB.ADDR, e + SUB.ADDR + 16), fromLen: v.getUint8(e + SUB.LEN), list: v.getUint32(e + SUB.ALIASES, true) });
        }
        const own = v.getUint32(px + PX.ALIASES, true);
        if (own !== 0) out.push({ family, table, dst, len, from: NO_FROM, fromLen: 0, list: own });
      }
    }
    return out;
  }

  /**
   * The alias record for route `r` about to be published in `list`: a shared one with the same content
   * (one more holder) when there is one not already in that list, else a new one (shared from now on
   * when aliasKey allows).
   */
  private acquire(r: Route, list: readonly Route[]): number {
    const key = aliasKey(r);
    if (key !== undefined) {
      const fa = this.sharedByKey.get(key);
      if (fa !== undefined && !list.some((a) => a.fa === fa)) {
        this.sharedByFa.get(fa)!.refs++;
        return fa;
      }
    }
    const fa = this.writeAlias(r);
    if (key !== undefined && !this.sharedByKey.has(key)) {
      this.sharedByKey.set(key, fa);
      this.sharedByFa.set(fa, { key, refs: 1 });
    }
    return fa;
  }

  /** A list no longer holds alias record `fa`: true when no other list does either (free it). */
  private release(fa: number): boolean {
    const e = this.sharedByFa.get(fa);
    if (e === undefined) return true;
    if (--e.refs > 0) return false;
    this.sharedByFa.delete(fa);
    if (this.sharedByKey.get(e.key) === fa) this.sharedByKey.delete(e.key);
    return true;
  }

  /** Alias record `fa` is about to change in place: no route added from now on takes it. */
  private unshare(fa: number): void {
    const e = this.sharedByFa.get(fa);
    if (e !== undefined && this.sharedByKey.get(e.key) === fa) this.sharedByKey.delete(e.key);
  }

  private writeAlias(r: Route): number {
    const x = this.x;
    const fa = x.fib_alloc(aliasBytes(r)) >>> 0;
    if (fa === 0) throw new NetError('ENOMEM', 'Cannot allocate memory');
    const v = this.view();
    const b = this.bytes();
    v.setUint8(fa + FA.TYPE, r.type);
    v.setUint8(fa + FA.SCOPE, r.scope);
    v.setUint8(fa + FA.DSCP, r.dscp);
    v.setUint8(fa + FA.PROTOCOL, r.protocol);
    v.setUint32(fa + FA.PRIORITY, r.priority, true);
    // fib_info's own flags: DEAD when every next hop is, LINKDOWN when every one is (fib_create_info)
    const allDead = r.nhs.length > 0 && r.nhs.every((n) => n.flags & RTNH_F.DEAD);
    const allDown = r.nhs.length > 0 && r.nhs.every((n) => n.flags & RTNH_F.LINKDOWN);
    v.setUint32(fa + FA.FLAGS, (allDead ? RTNH_F.DEAD : 0) | (allDown ? RTNH_F.LINKDOWN : 0) | (r.onlink ? RTNH_F.ONLINK : 0) | (r.rtfAnycast ? FA_RTF_ANYCAST : 0), true);
    v.setUint32(fa + FA.MTU, r.mtu, true);
    v.setUint32(fa + FA.LOCK, r.mtuLock ? RTAX_MTU_LOCK : 0, true);
    v.setUint32(fa + FA.NHS, r.nhs.length, true);
    if (r.prefsrc) {
      b.set(r.prefsrc, fa + FA.PREFSRC);
      v.setUint8(fa + FA.HAS_PREFSRC, 1);
    }
    v.setUint32(fa + FA.TABLE, r.table, true);
    v.setUint32(fa + FA.ID, r.id, true);
    if (r.expires !== undefined) this.expiry.set(r.id, r.expires);
    if (r.extra) this.extras.set(r.id, r.extra);
    v.setUint8(fa + FA.PLEN, r.len);
    if (r.family === AF_INET6 && isEcmp6(r)) v.setUint8(fa + FA.ECMP6, 1);
    v.setInt32(fa + FA.DEFAULT, -1, true);
    r.nhs.forEach((n, k) => {
      const o = fa + FA.NH + k * NH.SIZE;
      v.setUint32(o + NH.OIF, n.oif, true);
      v.setUint32(o + NH.FLAGS, this.nhWord(r.family, n), true);
      v.setUint32(o + NH.WEIGHT, n.weight, true);
      v.setInt32(o + NH.UPPER, -1, true);
      v.setUint8(o + NH.GW_FAMILY, n.gwFamily);
      v.setUint8(o + NH.SCOPE, n.scope);
      b.set(n.gw, o + NH.GW);
    });
    if (r.family === AF_INET) {
      x.fib_rebalance(fa);
      x.fib_nh_saddr_init(fa);
    }
    return fa;
  }

  /**
   * fib_table_delete: the first route of the prefix whose given attributes all match (tos, metric
   * when given, type, protocol, scope, next hops); ESRCH "No such process" when none.
   */
  private remove(spec: RouteSpec, forceIfindex?: number): void {
    const p = parsePrefix(spec.dst, spec.family);
    const dst = masked(p.bytes, p.len);
    if (p.family === AF_INET && !sameBytes(dst, p.bytes)) throw new NetError('EINVAL', 'Error: Invalid prefix for given prefix length.');
    const type = spec.type ? TYPE_NUM[spec.type] : 0;
    const table = tableId(spec.table, type === RTN.LOCAL || type === RTN.BROADCAST || type === RTN.ANYCAST || type === RTN.NAT ? RT_TABLE_LOCAL : RT_TABLE_MAIN);
    let from = NO_FROM;
    let fromLen = 0;
    if (spec.from !== undefined && p.family === AF_INET6) {
      const f = parsePrefix(spec.from, 'inet6');
      from = masked(f.bytes, f.len);
      fromLen = f.len;
    }
    // inet_rtm_delroute / ip6_route_del: no such table
    if (!this.tables.has(`${p.family}:${table}`)) throw new NetError('ESRCH', 'Error: FIB table does not exist.');
    const list = this.listOf({ family: p.family, table, dst, len: p.len, from, fromLen });
    const proto = spec.protocol === undefined ? undefined : typeof spec.protocol === 'number' ? spec.protocol : PROTOS[spec.protocol];
    const oif = forceIfindex ?? (spec.dev !== undefined ? this.ifindex(spec.dev) : 0);
    const gw = spec.via !== undefined ? parseAddr(spec.via.replace(/^inet6? /, '')) : undefined;
    if (p.family === AF_INET6 && spec.nexthops) {
      // ip6_route_multipath_del: each next hop deleted as a route of its own; the last failure is the answer
      let last: NetError | undefined;
      for (const nh of spec.nexthops) {
        try {
          this.remove({ ...spec, nexthops: undefined, via: nh.via, dev: nh.dev }, forceIfindex);
        } catch (e) {
          if (!(e instanceof NetError)) throw e;
          last = e;
        }
      }
      if (last) throw last;
      return;
    }
    if (p.family === AF_INET6) {
      // ip6_route_del: device, gateway, metric and protocol when given; a gateway names one route,
      // without one the route goes with its siblings (__ip6_del_rt_siblings)
      const v6 = list.find((a) => {
        const n = a.nhs[0]!;
        if (oif && n.oif !== oif) return false;
        if (gw && !sameBytes(n.gw, parsePrefix(gw.family === AF_INET6 ? spec.via!.replace(/^inet6 /, '') : '::', 'inet6').bytes)) return false;
        if (spec.metric && a.priority !== spec.metric) return false;
        if (proto && a.protocol !== proto) return false;
        return true;
      });
      if (!v6) {
        // a table's root holds fib6_null_entry while it has no default route: ::/0 finds it, and unless the
        // request rules it out (its metric ~0, proto kernel, the loopback, no gateway)
        // __ip6_del_rt_siblings refuses to delete it
        const nullEntry = list.length === 0 && p.len === 0 && fromLen === 0 && (!spec.metric || spec.metric === 0xffffffff) && (!proto || proto === PROTOS.kernel) && (!oif || oif === LOOPBACK_IFINDEX) && !gw;
        throw nullEntry ? new NetError('ENOENT', 'No such file or directory') : new NetError('ESRCH', 'No such process');
      }
      this.unlinkAll(gw ? [v6] : siblings6(list, v6));
      return;
    }
    const scope = spec.scope === undefined ? undefined : typeof spec.scope === 'number' ? spec.scope : SCOPES[spec.scope];
    const victim = list.find((a) => {
      if (a.dscp !== (spec.tos ?? 0)) return false;
      if (spec.metric !== undefined && a.priority !== spec.metric) return false;
      if (type && a.type !== type) return false;
      if (proto !== undefined && proto !== 0 && a.protocol !== proto) return false;
      if (scope !== undefined && scope !== RT_SCOPE.NOWHERE && a.scope !== scope) return false;
      if (spec.src !== undefined && !sameBytes(a.prefsrc?.subarray(0, p.family === AF_INET ? 4 : 16), parseAddr(spec.src).bytes)) return false;
      // fib_nh_match: a device or gateway given is the first next hop's; next hops given are the
      // route's, in order, each by the device and gateway it names (not the weight); too few: none
      const n0 = a.nhs[0];
      if (oif && n0?.oif !== oif) return false;
      if (gw && !(n0 && n0.gwFamily === gw.family && sameBytes(n0.gw.subarray(0, gw.bytes.length), gw.bytes))) return false;
      if (spec.nexthops) {
        // a reject route's fib_info has one next hop too, with no device and no gateway
        const nhs = a.nhs.length ? a.nhs : [{ oif: 0, gwFamily: 0, gw: new Uint8Array(16) }];
        if (spec.nexthops.length < nhs.length) return false;
        const ok = nhs.every((n, k) => {
          const want = spec.nexthops![k]!;
          if (want.dev !== undefined && this.ifindex(want.dev) !== n.oif) return false;
          if (want.via === undefined) return true;
          const g = parseAddr(want.via.replace(/^inet6? /, ''));
          return n.gwFamily === g.family && sameBytes(n.gw.subarray(0, g.bytes.length), g.bytes);
        });
        if (!ok) return false;
      }
      // fib_metrics_match: the metrics given
      if (spec.mtu !== undefined && a.mtu !== spec.mtu) return false;
      if (spec.mtuLock && !a.mtuLock) return false;
      const want = routeExtra(AF_INET, spec)?.metrics ?? {};
      for (const [name, val] of Object.entries(want)) if (a.extra?.metrics?.[name as RouteMetric] !== val) return false;
      return true;
    });
    if (!victim) throw new NetError('ESRCH', 'No such process');
    this.unlink(victim);
  }

  private unlink(r: Route): void {
    this.unlinkAll([r]);
  }

  /** Routes of one prefix out, in one publish. */
  private unlinkAll(rs: readonly Route[]): void {
    const r = rs[0]!;
    const list = this.listOf(r).filter((a) => !rs.some((g) => same(g, a)));
    this.publish(r, r, list);
  }

  /** Republish a prefix whose aliases changed in place (IPv6 upper bounds are recomputed then). */
  private republish(r: Route): void {
    const list = this.listOf(r);
    if (list.length) this.publish(r, r, list);
  }

  /** Set next-hop flags of route `r` in its record too (one aligned word, as fib_sync_down_dev writes). */
  private setNhFlags(r: Route, k: number, flags: number): void {
    this.unshare(r.fa);
    r.nhs[k]!.flags = flags;
    this.view().setUint32(r.fa + FA.NH + k * NH.SIZE + NH.FLAGS, this.nhWord(r.family, r.nhs[k]!), true);
  }

  /**
   * fib_sync_down_dev for IPv4: next hops through the device (not host-scope ones unless forced) are
   * flagged DEAD and LINKDOWN (down, unregister) or LINKDOWN only (carrier change); an alias whose next
   * hops are all dead is flushed (fib_flush), NETDEV_UNREGISTER taking a multipath route whole.
   */
  private syncDown4(ifindex: number, event: 'down' | 'unregister' | 'change', force: boolean): void {
    const gone: Route[] = [];
    let changed = false;
    for (const r of this.all()) {
      if (r.family === AF_INET6) continue;
      if (!r.nhs.some((n) => n.oif === ifindex)) continue;
      let dead = 0;
      r.nhs.forEach((n, k) => {
        if (n.flags & RTNH_F.DEAD) dead++;
        else if (n.oif === ifindex && (force || n.scope !== RT_SCOPE.NOWHERE)) {
          this.setNhFlags(r, k, n.flags | (event === 'change' ? RTNH_F.LINKDOWN : RTNH_F.DEAD | RTNH_F.LINKDOWN));
          dead++;
        }
      });
      if (event === 'unregister') dead = r.nhs.length;
      if (dead === r.nhs.length && event !== 'change') gone.push(r);
      else {
        this.unshare(r.fa);
        if (dead === r.nhs.length) this.view().setUint32(r.fa + FA.FLAGS, this.view().getUint32(r.fa + FA.FLAGS, true) | RTNH_F.LINKDOWN, true);
        this.x.fib_rebalance(r.fa);
      }
      changed = true;
    }
    for (const r of gone) this.unlink(r);
    if (changed) this.x.fib_changed();
  }

  /**
   * fib6_ifdown: NETDEV_DOWN deletes a route through the device unless it has siblings; a sibling
   * group loses the next hops through it (dead, upper bounds recomputed) and goes whole when none is
   * left alive. NETDEV_UNREGISTER (force) deletes every route through the device.
   */
  private syncDown6(ifindex: number, force: boolean): void {
    // the routes through the device go, and the redirect exceptions of their next hops with them
    this.x.rt6_redirect_flush(ifindex);
    for (const p of this.walk()) {
      if (p.family !== AF_INET6) continue;
      const list = this.decodeList(p);
      if (!list.some((r) => r.nhs[0]!.oif === ifindex)) continue;
      const gone = new Set<number>();
      let dying = false;
      for (const r of list) {
        if (r.nhs[0]!.oif !== ifindex || gone.has(r.fa)) continue;
        const group = siblings6(list, r);
        if (force || group.length === 1) {
          gone.add(r.fa);
          continue;
        }
        if (group.every((g) => g.nhs[0]!.oif === ifindex || g.nhs[0]!.flags & RTNH_F.DEAD)) {
          for (const g of group) gone.add(g.fa);
          continue;
        }
        this.setNhFlags(r, 0, r.nhs[0]!.flags | RTNH_F.DEAD | RTNH_F.LINKDOWN);
        dying = true;
      }
      if (gone.size) this.unlinkAll(list.filter((r) => gone.has(r.fa)));
      else if (dying) this.republish(list[0]!);
    }
  }

  /**
   * The routes as the kernel dumps them: IPv4 aliases one by one; an IPv6 route with siblings as one
   * multipath route (its own fields, every sibling's next hop), after which the dump jumps to the last
   * sibling (fib6_dump_node) — a route between two siblings is not shown, as in the kernel.
   */
  private dumped(): Route[] {
    const out: Route[] = [];
    for (const p of this.walk()) {
      const list = this.decodeList(p);
      if (list.length === 0) continue;
      if (list[0]!.family === AF_INET) {
        out.push(...list);
        continue;
      }
      for (let i = 0; i < list.length; i++) {
        const r = list[i]!;
        const group = siblings6(list, r);
        if (group.length < 2) {
          out.push(r);
          continue;
        }
        const merged: Route = { ...r, nhs: group.flatMap((g) => g.nhs) };
        this.members.set(merged, group);
        out.push(merged);
        i = list.findIndex((a) => same(a, group[group.length - 1]!));
      }
    }
    return out;
  }

  private select(filter: RouteFilter): Route[] {
    const fam = filter.family === 'inet6' ? AF_INET6 : filter.family === 'inet' ? AF_INET : 0;
    const table = filter.table === 'all' ? -1 : tableId(filter.table, RT_TABLE_MAIN);
    const oif = filter.dev !== undefined ? this.ifindex(filter.dev) : 0;
    const type = filter.type ? TYPE_NUM[filter.type] : 0;
    const proto = filter.protocol === undefined ? undefined : typeof filter.protocol === 'number' ? filter.protocol : PROTOS[filter.protocol];
    const scope = filter.scope === undefined ? undefined : typeof filter.scope === 'number' ? filter.scope : SCOPES[filter.scope];
    const exact = filter.dst !== undefined ? parsePrefix(filter.dst) : undefined;
    const via = filter.via !== undefined ? parseAddr(filter.via) : undefined;
    const out = this.dumped().filter((r) => {
      if (fam && r.family !== fam) return false;
      if (!fam && r.family !== AF_INET && filter.family === undefined) return false;
      if (table >= 0 && r.table !== table) return false;
      if (oif && !r.nhs.some((n) => n.oif === oif)) return false;
      if (type && r.type !== type) return false;
      if (proto !== undefined && r.protocol !== proto) return false;
      if (scope !== undefined && r.scope !== scope) return false;
      if (exact && (r.len !== exact.len || !sameBytes(r.dst, masked(exact.bytes, exact.len)))) return false;
      if (via && !r.nhs.some((n) => sameBytes(n.gw.subarray(0, via.bytes.length), via.bytes))) return false;
      return true;
    });
    return out.sort((a, b) => this.tableOrder(a.family, a.table) - this.tableOrder(b.family, b.table) || (a.family === AF_INET ? trieOrder(a, b) : fib6Order(a, b)));
  }

  /**
   * Where a table comes in a dump: the kernel walks its table hash (FIB_TABLE_HASHSZ and
   * FIB6_TABLE_HASHSZ 256 buckets, by id & 255), each bucket's tables newest first (hlist_add_head).
   */
  private tableOrder(family: number, id: number): number {
    const seq = this.tables.get(`${family}:${id}`) ?? 0;
    return (id & 255) * 2 ** 32 + (0xffffffff - seq);
  }

  /** @internal fib6_rule_configure: a new IPv6 rule that looks a table up makes it (fib6_new_table). */
  ruleTable(family: 2 | 10, id: number): void {
    this.tableCreated(family, id);
  }

  /** fib_new_table / fib6_new_table: table `id` of `family` exists from now on (tables are never removed). */
  private tableCreated(family: number, id: number): void {
    const key = `${family}:${id}`;
    if (!this.tables.has(key)) this.tables.set(key, this.tables.size);
  }

  /**
   * Whether table `id` exists (fib_get_table / fib6_get_table): IPv4 main and IPv6 main and local from
   * the start, the others once a route was asked for them (even one the kernel then refused).
   */
  tableExists(family: Family, id: number): boolean {
    return this.tables.has(`${family === 'inet6' ? AF_INET6 : AF_INET}:${id}`);
  }

  /**
   * A next hop's flags as a dump gives them (fib_nexthop_info: a linkdown next hop on a device that
   * ignores such routes is reported dead too), in print_rt_flags' order.
   */
  private nhFlagNames(family: number, n: Nexthop): string[] {
    const out: string[] = [];
    if (n.flags & RTNH_F.DEAD || (n.flags & RTNH_F.LINKDOWN && this.ignoresLinkdown(family, n.oif))) out.push('dead');
    if (n.flags & RTNH_F.ONLINK) out.push('onlink');
    if (n.flags & RTNH_F.LINKDOWN) out.push('linkdown');
    return out;
  }

  /** A route as `ip -j route show` prints it. */
  info(r: Route, showTable = true): RouteInfo {
    const out: RouteInfo = { dst: r.len === 0 ? 'default' : r.len === (r.family === AF_INET ? 32 : 128) ? formatAddr(r.family, r.dst) : `${formatAddr(r.family, r.dst)}/${r.len}`, flags: [] };
    if (r.fromLen) out.from = `${formatAddr(AF_INET6, r.from)}/${r.fromLen}`;
    if (r.type !== RTN.UNICAST) out.type = TYPES[r.type];
    if (showTable && r.table !== RT_TABLE_MAIN) out.table = tableName(r.table);
    if (r.dscp) out.tos = `0x${r.dscp.toString(16).padStart(2, '0')}`;
    if (r.nhs.length === 1) {
      const n = r.nhs[0]!;
      if (n.gwFamily) out.gateway = formatAddr(n.gwFamily, n.gw);
      out.dev = this.devName(n.oif);
      out.flags.push(...this.nhFlagNames(r.family, n));
    } else if (r.onlink) out.flags.push('onlink');
    const pname = Object.entries(PROTOS).find(([, v]) => v === r.protocol)?.[0];
    if (r.protocol !== PROTOS.boot) out.protocol = pname ?? String(r.protocol);
    if (r.scope !== RT_SCOPE.UNIVERSE && r.family === AF_INET) out.scope = Object.entries(SCOPES).find(([k, v]) => v === r.scope && k !== 'universe')?.[0] ?? String(r.scope);
    if (r.prefsrc) out.prefsrc = formatAddr(r.family, r.prefsrc);
    if (r.priority || r.family === AF_INET6) out.metric = r.priority;
    if (r.expires !== undefined) out.expires = expiresSeconds(r.expires - this.dp.stack.now());
    if (r.mtu) {
      out.mtu = r.mtu;
      if (r.mtuLock) out.mtuLock = true;
    }
    if (r.extra?.metrics) out.metrics = { ...r.extra.metrics };
    if (r.extra?.locks) out.locks = [...r.extra.locks];
    if (r.extra?.pref !== undefined) out.pref = r.extra.pref === 3 ? 'low' : 'high';
    if (r.nhs.length > 1) {
      // a multipath route's own flags (fib_dump_info: rtm_flags are fib_info's, its next hops' their own)
      const own = r.fa && r.family === AF_INET ? this.view().getUint32(r.fa + FA.FLAGS, true) : 0;
      if (own & RTNH_F.DEAD) out.flags.push('dead');
      if (own & RTNH_F.LINKDOWN) out.flags.push('linkdown');
      out.nexthops = r.nhs.map((n) => {
        const flags = this.nhFlagNames(r.family, n);
        return { ...(n.gwFamily ? { gateway: formatAddr(n.gwFamily, n.gw) } : {}), dev: this.devName(n.oif), weight: n.weight, flags };
      });
    }
    return out;
  }
}
