// Neighbours: dp.neigh (ip neigh, ip ntable, net.ipv{4,6}.neigh.*). The tables live in the fast path
// (assembly/net/neigh.ts); this object is their netlink: add/replace/change (neigh_add with iproute2's
// NLM_F_* flags), del (neigh_delete), flush and list (a dump with iproute2's filters), get, the
// per-device and "default" parameters by their sysctl names and units, and the table statistics.
//
// What the kernel's table has that this one has not: right after an IPv6 link comes up, `ip -6 neigh
// show nud all` on Linux 6.18 lists NOARP entries for ff02::16, ff02::2 and the solicited-node group of
// the link-local address (measured on a veth pair). They are the footprints of what addrconf sends then
// (MLDv2 reports, a router solicitation, the DAD solicitation), each through neigh output. wxdp sends
// none of those (no MLD, no RS, DAD takes no time), so it makes no entries for them; an entry for a
// multicast group appears when the stack sends to one, as the kernel's does (an NS to a solicited-node
// group leaves ff02::1:ffXX:XXXX NOARP, 33:33:ff:XX:XX:XX).

import { NetError, type Family, type NeighInfo, type NeighSpec, type NudState } from './net_types.js';
import { inetBytes, inetText, lladdrBytes, macText, prefixMatch } from './addresses.js';
import { AF_INET, AF_INET6, NE, NUD, SYSCTL } from '../runtime/net_abi.js';
import { fromStoredMs, JIFFIES_SECONDS_MAX, maxStorable, toStoredMs, USER_HZ, type TimeUnit } from './jiffies.js';
import type { Datapath } from './datapath.js';

interface NeighExports {
  neigh_ctl_io(): number;
  neigh_ctl_add(family: number, ifindex: number, state: number, ntf: number, nlflags: number): number;
  neigh_ctl_del(family: number, ifindex: number): number;
  neigh_ctl_get(family: number, ifindex: number): number;
  neigh_ctl_first(family: number): number;
  neigh_ctl_next(e: number): number;
  neigh_ctl_ifdown(ifindex: number, family: number, skipPerm: number): number;
  neigh_ctl_parms_release(ifindex: number): void;
  neigh_ctl_entries(family: number, gc: number): number;
  neigh_ctl_stat(family: number, i: number): bigint;
  neigh_ctl_queued(e: number, bytes: number): number;
  neigh_ctl_parm_get(family: number, ifindex: number, i: number): number;
  neigh_ctl_parm_set(family: number, ifindex: number, i: number, v: number): number;
  neigh_ctl_gc_next(family: number): bigint;
  neigh_seed(seed: number): void;
  net_sysctl_set(i: number, v: number): number;
  net_sysctl_get(i: number): number;
}

// The I/O area's layout (assembly/net/neigh.ts NEIGH_IO_*) and the codes neigh_ctl_add leaves there.
const IO_KEY = 0;
const IO_LLADDR = 16;
const IO_LLADDR_LEN = 24;
const IO_MSG = 28;
const MSG_TEXT: Readonly<Record<number, string>> = {
  1: 'Error: No link layer address given.',
  2: 'Error: Invalid link address.',
  3: 'Error: IPv6 is disabled on this device.',
  4: 'Error: Neighbor entry is now dead.',
};
const NLM_F_REPLACE = 0x100;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const NTF_ROUTER = 0x80;
/** SKB_TRUESIZE(ETH_FRAME_LEN): unres_qlen counts packets of this truesize (assembly NEIGH_UNRES_QLEN_UNIT). */
export const UNRES_QLEN_UNIT = 1514 + 256 + 320;

const NUD_BY_NAME: Readonly<Record<string, number>> = {
  incomplete: NUD.INCOMPLETE, reachable: NUD.REACHABLE, stale: NUD.STALE, delay: NUD.DELAY, probe: NUD.PROBE, failed: NUD.FAILED,
  noarp: NUD.NOARP, permanent: NUD.PERMANENT, none: 0,
};
const NUD_NAMES: ReadonlyArray<[number, NudState]> = [
  [NUD.INCOMPLETE, 'INCOMPLETE'], [NUD.REACHABLE, 'REACHABLE'], [NUD.STALE, 'STALE'], [NUD.DELAY, 'DELAY'], [NUD.PROBE, 'PROBE'],
  [NUD.FAILED, 'FAILED'], [NUD.NOARP, 'NOARP'], [NUD.PERMANENT, 'PERMANENT'],
];

/** How a neighbour sysctl's value is kept in the parms: as is (counts, bytes), in packets of UNRES_QLEN_UNIT bytes, or a time. */
type ParamUnit = 'count' | 'qlen' | TimeUnit;

/**
 * The sysctls under net.ipv{4,6}.neigh.DEV (and .default): name → [parms index (NVAR_*), unit], as
 * neighbour.c registers them (neigh_sysctl_template). Times are kept in ms on the jiffy grid
 * (jiffies.ts), so each reads back as the kernel prints it. IPv6's retrans_time is raw jiffies
 * (ndisc_ifinfo_sysctl_change hands it to neigh_proc_dointvec). gc_* exist under "default" only
 * (global sysctls of the stack).
 */
const PARAMS: Readonly<Record<string, readonly [number, ParamUnit]>> = {
  mcast_solicit: [0, 'count'],
  ucast_solicit: [1, 'count'],
  app_solicit: [2, 'count'],
  mcast_resolicit: [3, 'count'],
  retrans_time: [4, 'userhz'],
  retrans_time_ms: [4, 'ms'],
  base_reachable_time: [5, 'seconds'],
  base_reachable_time_ms: [5, 'ms'],
  delay_first_probe_time: [6, 'seconds'],
  interval_probe_time_ms: [7, 'ms'],
  gc_stale_time: [8, 'seconds'],
  unres_qlen_bytes: [9, 'count'],
  unres_qlen: [9, 'qlen'],
  proxy_qlen: [10, 'count'],
  anycast_delay: [11, 'userhz'],
  proxy_delay: [12, 'userhz'],
  locktime: [13, 'userhz'],
};
const REACHABLE_TIME = 14;
const GC_PARAMS = ['gc_thresh1', 'gc_thresh2', 'gc_thresh3', 'gc_interval'] as const;
export type NeighParam = keyof typeof PARAMS | (typeof GC_PARAMS)[number] | 'reachable_time';
export const NEIGH_PARAMS: readonly string[] = [...Object.keys(PARAMS), ...GC_PARAMS];
/** The names every device has (net.ipv{4,6}.neigh.DEV.*); the gc_* ones exist under "default" only. */
export const NEIGH_DEVICE_PARAMS: readonly string[] = Object.keys(PARAMS);

/** [parms index, unit] of neighbour sysctl `name` in `family`. */
function paramOf(family: Family, name: string): readonly [number, ParamUnit] | undefined {
  if (family === 'inet6' && name === 'retrans_time') return [PARAMS[name]![0], 'jiffies'];
  return PARAMS[name];
}

/**
 * The values net.ipv{4,6}.neigh.*.NAME takes: what neighbour.c's handler takes (measured on 6.18:
 * counts and ms 0..INT_MAX, interval_probe_time_ms from 1, unres_qlen up to INT_MAX / 2090), within
 * what wxdp stores (jiffies.ts maxStorable). Negative times, which the kernel takes, are refused:
 * wxdp's timers do not run backwards. undefined: no such name.
 */
export function neighParamRange(family: Family, name: string): { min: number; max: number } | undefined {
  if ((GC_PARAMS as readonly string[]).includes(name)) return { min: 0, max: name === 'gc_interval' ? JIFFIES_SECONDS_MAX : 0x7fffffff };
  const p = paramOf(family, name);
  if (!p) return undefined;
  const [, unit] = p;
  if (unit === 'count') return { min: 0, max: 0x7fffffff };
  if (unit === 'qlen') return { min: 0, max: Math.floor(0x7fffffff / UNRES_QLEN_UNIT) };
  return { min: name === 'interval_probe_time_ms' ? 1 : 0, max: maxStorable(unit) };
}

/** neigh_statistics by the names `ip -s ntable` and /proc/net/stat/{arp,ndisc}_cache use. */
export interface NeighTableStats {
  entries: number;
  gcEntries: number;
  allocs: number;
  destroys: number;
  hashGrows: number;
  resFailed: number;
  lookups: number;
  hits: number;
  rcvProbesMcast: number;
  rcvProbesUcast: number;
  periodicGcRuns: number;
  forcedGcRuns: number;
  unresolvedDiscards: number;
  tableFulls: number;
}
const STAT_KEYS = ['allocs', 'destroys', 'hashGrows', 'resFailed', 'lookups', 'hits', 'rcvProbesMcast', 'rcvProbesUcast', 'periodicGcRuns',
  'forcedGcRuns', 'unresolvedDiscards', 'tableFulls'] as const;

/**
 * What list() and flush() select. `nud`: states, 'all', or 'ip' for what `ip neigh show` shows
 * without `nud` (every state but NOARP and NONE). list() defaults to 'all' (the front end filters as
 * iproute2 does); flush() to iproute2's flush default (every state but PERMANENT and NOARP).
 */
export interface NeighFilter {
  family?: Family;
  dev?: string;
  /** `to PREFIX`: an address or ADDR/LEN. */
  to?: string;
  /** `nud STATE...`, `nud all`, or 'ip': iproute2's default view. */
  nud?: 'all' | 'ip' | Array<Lowercase<NudState>>;
  /** `-s`: used/confirmed/updated ages (seconds), probes and refcnt, as `ip -s neigh` prints them. */
  stats?: boolean;
}

/** An entry in the unresolved queue, for tests and `ip -s neigh`-like introspection. */
export interface NeighQueue {
  frames: number;
  /** Bytes of truesize counted against unres_qlen_bytes. */
  bytes: number;
}

/** lladdr_aton: hex bytes separated by ':' (any count up to 32; the kernel wants at least the device's 6). */
function lladdrOf(text: string): Uint8Array {
  try {
    return lladdrBytes(text);
  } catch {
    throw new NetError('EINVAL', `"${text}" is invalid lladdr.`);
  }
}

/** An entry's key: the address and its family, or iproute2's error for a bad one. */
function keyOf(text: string): { family: Family; bytes: Uint8Array } {
  try {
    return inetBytes(text);
  } catch {
    throw new NetError('EINVAL', `Error: any valid address is expected rather than "${text}".`);
  }
}

export class Neighbours {
  constructor(readonly dp: Datapath) {}

  private get x(): NeighExports {
    return this.dp.stack.exports<NeighExports>();
  }

  private ifindex(dev: string): number {
    return this.dp.links.ifindex(dev);
  }

  /** Copy a key (and lladdr) into the fast path's I/O area. */
  private io(key: Uint8Array, lladdr?: Uint8Array): number {
    const io = this.x.neigh_ctl_io() >>> 0;
    if (io === 0) throw new NetError('ENOMEM', 'RTNETLINK answers: Cannot allocate memory');
    const mem = this.dp.memory.bytes();
    mem.fill(0, io, io + 32);
    mem.set(key, io + IO_KEY);
    if (lladdr) {
      mem.set(lladdr.subarray(0, 8), io + IO_LLADDR);
      this.dp.memory.view().setUint32(io + IO_LLADDR_LEN, lladdr.length, true);
    }
    return io;
  }

  private fail(r: number, io: number): never {
    const msg = this.dp.memory.view().getUint32(io + IO_MSG, true);
    if (r === -22 && MSG_TEXT[msg]) throw new NetError('EINVAL', MSG_TEXT[msg]!);
    const e = (
      {
        [-17]: ['EEXIST', 'File exists'],
        [-2]: ['ENOENT', 'No such file or directory'],
        [-19]: ['ENODEV', 'No such device'],
        [-105]: ['ENOBUFS', 'No buffer space available'],
        [-12]: ['ENOMEM', 'Cannot allocate memory'],
        [-97]: ['EAFNOSUPPORT', 'Address family not supported by protocol'],
        [-1]: ['EINVAL', 'Operation not permitted'],
        [-22]: ['EINVAL', 'Invalid argument'],
      } as Record<number, [NetError['errno'], string]>
    )[r] ?? ['EINVAL', `errno ${-r}`];
    throw new NetError(e[0], `RTNETLINK answers: ${e[1]}`);
  }

  /**
   * ip neigh add (NLM_F_CREATE|NLM_F_EXCL), replace (CREATE|REPLACE) or change (REPLACE): nud
   * defaults to permanent as iproute2's. EEXIST "RTNETLINK answers: File exists" for add of an entry
   * that exists, ENOENT for change of one that does not, EINVAL "Error: No link layer address given."
   * for a valid state without an address (the new entry stays, in state NONE, as in the kernel).
   */
  add(spec: NeighSpec, opts: { replace?: boolean; change?: boolean } = {}): void {
    if (!spec.to || !spec.dev) throw new NetError('EINVAL', 'Device and destination are required arguments.');
    const { family, bytes: key } = keyOf(spec.to);
    let lladdr: Uint8Array | undefined;
    if (spec.lladdr !== undefined) lladdr = lladdrOf(spec.lladdr);
    const nud = spec.nud ?? 'permanent';
    const state = NUD_BY_NAME[nud];
    if (state === undefined) throw new NetError('EINVAL', `Error: argument "${nud}" is wrong: nud state is bad`);
    const ifindex = this.ifindex(spec.dev);
    const nlflags = opts.change ? NLM_F_REPLACE : opts.replace ? NLM_F_CREATE | NLM_F_REPLACE : NLM_F_CREATE | NLM_F_EXCL;
    const io = this.io(key, lladdr);
    const r = this.x.neigh_ctl_add(family === 'inet' ? AF_INET : AF_INET6, ifindex, state, spec.router ? NTF_ROUTER : 0, nlflags);
    if (r !== 0) this.fail(r, io);
  }

  /** ip neigh replace: create or overwrite. */
  replace(spec: NeighSpec): void {
    this.add(spec, { replace: true });
  }

  /** ip neigh change: overwrite an entry that exists (ENOENT otherwise). */
  change(spec: NeighSpec): void {
    this.add(spec, { change: true });
  }

  /** ip neigh del: the entry goes FAILED (its waiting frames get errors) and out. ENOENT when there is none. */
  del(spec: { to: string; dev: string }): void {
    if (!spec.to || !spec.dev) throw new NetError('EINVAL', 'Device and destination are required arguments.');
    const { family, bytes: key } = keyOf(spec.to);
    const ifindex = this.ifindex(spec.dev);
    const io = this.io(key);
    const r = this.x.neigh_ctl_del(family === 'inet' ? AF_INET : AF_INET6, ifindex);
    if (r !== 0) this.fail(r, io);
  }

  /** ip neigh get TO dev DEV: the entry, or ENOENT "Error: Neighbour entry not found.". */
  get(to: string, dev: string, opts: { stats?: boolean } = {}): NeighInfo {
    const { family, bytes: key } = keyOf(to);
    const ifindex = this.ifindex(dev);
    this.io(key);
    const e = this.x.neigh_ctl_get(family === 'inet' ? AF_INET : AF_INET6, ifindex) >>> 0;
    if (e === 0) throw new NetError('ENOENT', 'Error: Neighbour entry not found.');
    return this.info(e, opts.stats ?? false);
  }

  /** Every entry address of the tables, in dump order (AF_INET first, as neigh_dump_info walks them). */
  private entries(family?: Family): number[] {
    const out: number[] = [];
    for (const f of family ? [family] : (['inet', 'inet6'] as Family[])) {
      for (let e = this.x.neigh_ctl_first(f === 'inet' ? AF_INET : AF_INET6) >>> 0; e !== 0; e = this.x.neigh_ctl_next(e) >>> 0) out.push(e);
    }
    return out;
  }

  private matches(e: number, filter: NeighFilter, defaultMask: number): boolean {
    const v = this.dp.memory.view();
    const state = v.getUint8(e + NE.STATE);
    if (filter.dev !== undefined && v.getUint32(e + NE.IFINDEX, true) !== this.ifindex(filter.dev)) return false;
    // iproute2: filter.state is a mask; 0x100 stands for NUD_NONE (state 0)
    let mask = defaultMask;
    if (filter.nud === 'all') mask = 0x1ff;
    else if (filter.nud === 'ip') mask = 0xff & ~NUD.NOARP;
    else if (filter.nud) {
      mask = 0;
      for (const n of filter.nud) {
        const s = NUD_BY_NAME[n];
        if (s === undefined) throw new NetError('EINVAL', `Error: argument "${n}" is wrong: nud state is bad`);
        mask |= s === 0 ? 0x100 : s;
      }
    }
    if (state === 0 ? (mask & 0x100) === 0 : (mask & state) === 0) return false;
    if (filter.to !== undefined) {
      const fam = v.getUint8(e + NE.FAMILY) === AF_INET ? 'inet' : 'inet6';
      const [a, l] = filter.to.split('/');
      const want = keyOf(a!);
      if (want.family !== fam) return false;
      const bits = l === undefined ? want.bytes.length * 8 : Number(l);
      if (!prefixMatch(this.dp.memory.bytes().subarray(e + NE.KEY, e + NE.KEY + want.bytes.length), want.bytes, bits)) return false;
    }
    return true;
  }

  /** The entries (all of them unless filtered: `ip neigh show` hides NOARP and NONE, nud: 'ip' does too), in dump order. */
  list(filter: NeighFilter = {}): NeighInfo[] {
    return this.entries(filter.family).filter((e) => this.matches(e, filter, 0x1ff)).map((e) => this.info(e, filter.stats ?? false));
  }

  /**
   * ip neigh flush: deletes what matches as iproute2 does (one RTM_DELNEIGH each; default: every
   * state but PERMANENT and NOARP, NONE included). iproute2 refuses it without a selector. Entries deleted.
   */
  flush(filter: NeighFilter): number {
    if (filter.dev === undefined && filter.to === undefined && filter.nud === undefined) throw new NetError('EINVAL', 'Flush requires arguments.');
    const victims = this.entries(filter.family).filter((e) => this.matches(e, filter, 0x1ff & ~(NUD.PERMANENT | NUD.NOARP)));
    let n = 0;
    for (const e of victims) {
      const info = this.info(e, false);
      try {
        this.del({ to: info.dst, dev: info.dev });
        n++;
      } catch (err) {
        if (!(err instanceof NetError) || err.errno !== 'ENOENT') throw err;
      }
    }
    return n;
  }

  /** An entry as `ip -j neigh show` prints it (with -s: the cache ages in seconds, probes, refcnt when held). */
  private info(e: number, stats: boolean): NeighInfo {
    const v = this.dp.memory.view();
    const family = v.getUint8(e + NE.FAMILY);
    const state = v.getUint8(e + NE.STATE);
    const ifindex = v.getUint32(e + NE.IFINDEX, true);
    const key = this.dp.memory.bytes().slice(e + NE.KEY, e + NE.KEY + (family === AF_INET ? 4 : 16));
    // keys in the order `ip -j neigh` prints them
    const info = { dst: inetText(family === AF_INET ? 'inet' : 'inet6', key), dev: this.dp.links.name(ifindex) ?? `if${ifindex}` } as NeighInfo;
    if (state & NUD.VALID) info.lladdr = macText(this.dp.memory.bytes().slice(e + NE.MAC, e + NE.MAC + 6));
    if (v.getUint8(e + NE.FLAGS) & NTF_ROUTER) info.router = null;
    if (stats) {
      const now = this.dp.stack.now();
      // jiffies_to_clock_t, then iproute2 divides by USER_HZ: whole seconds
      const age = (off: number): number => Math.floor(fromStoredMs('userhz', now - Number(v.getBigInt64(e + off, true))) / USER_HZ);
      const refcnt = v.getUint32(e + NE.TIMER_SLOT, true) !== 0 ? 1 : 0; // the timer's reference
      if (refcnt) info.refcnt = refcnt;
      info.used = age(NE.USED);
      info.confirmed = age(NE.CONFIRMED);
      info.updated = age(NE.UPDATED);
      info.probes = v.getUint32(e + NE.PROBES, true);
    }
    info.state = NUD_NAMES.filter(([bit]) => state & bit).map(([, n]) => n);
    return info;
  }

  /** Frames waiting on an entry and their truesize bytes (unres_qlen_bytes accounting). */
  queue(to: string, dev: string): NeighQueue {
    const { family, bytes } = keyOf(to);
    this.io(bytes);
    const e = this.x.neigh_ctl_get(family === 'inet' ? AF_INET : AF_INET6, this.ifindex(dev)) >>> 0;
    if (e === 0) throw new NetError('ENOENT', 'Error: Neighbour entry not found.');
    return { frames: this.x.neigh_ctl_queued(e, 0), bytes: this.x.neigh_ctl_queued(e, 1) };
  }

  private paramTarget(family: Family, dev: string | 'default'): number {
    if (family !== 'inet' && family !== 'inet6') throw new NetError('EAFNOSUPPORT', `"${family as string}" is not an address family (inet, inet6)`);
    return dev === 'default' ? 0 : this.ifindex(dev);
  }

  private gcSysctl(family: Family, name: (typeof GC_PARAMS)[number]): number {
    const base = family === 'inet' ? SYSCTL.NEIGH4_GC_THRESH1 : SYSCTL.NEIGH6_GC_THRESH1;
    return base + GC_PARAMS.indexOf(name);
  }

  /**
   * net.ipv{4,6}.neigh.{DEV,default}.NAME = value, in the sysctl's own unit (seconds, USER_HZ ticks,
   * milliseconds, jiffies, packets or bytes), within neighParamRange. A "default" value reaches every
   * device that has not set its own.
   */
  setParam(family: Family, dev: string | 'default', name: string, value: number): void {
    const ifindex = this.paramTarget(family, dev);
    const where = `net.${family === 'inet' ? 'ipv4' : 'ipv6'}.neigh.${dev}.${name}`;
    const range = neighParamRange(family, name);
    if (!range) throw new NetError('ENOENT', `${where}: there is no such sysctl`);
    if (!Number.isInteger(value) || value < range.min || value > range.max) {
      throw new NetError('EINVAL', `${where}: ${value} is not an integer in ${range.min}..${range.max}`);
    }
    if ((GC_PARAMS as readonly string[]).includes(name)) {
      if (ifindex !== 0) throw new NetError('ENOENT', `${where}: there is no such sysctl (gc_* are under "default" only)`);
      this.x.net_sysctl_set(this.gcSysctl(family, name as (typeof GC_PARAMS)[number]), value);
      return;
    }
    const [i, unit] = paramOf(family, name)!;
    const stored = unit === 'count' ? value : unit === 'qlen' ? value * UNRES_QLEN_UNIT : toStoredMs(unit, value);
    const r = this.x.neigh_ctl_parm_set(family === 'inet' ? AF_INET : AF_INET6, ifindex, i, stored);
    if (r !== 0) throw new NetError(r === -12 ? 'ENOMEM' : 'EINVAL', `${where}: refused (errno ${-r})`);
  }

  /** The value `sysctl net.ipv{4,6}.neigh.DEV.NAME` prints; 'reachable_time' is the randomised one in ms. */
  getParam(family: Family, dev: string | 'default', name: string): number {
    const ifindex = this.paramTarget(family, dev);
    const fam = family === 'inet' ? AF_INET : AF_INET6;
    const where = `net.${family === 'inet' ? 'ipv4' : 'ipv6'}.neigh.${dev}.${name}`;
    if ((GC_PARAMS as readonly string[]).includes(name)) {
      if (ifindex !== 0) throw new NetError('ENOENT', `${where}: there is no such sysctl (gc_* are under "default" only)`);
      return this.x.net_sysctl_get(this.gcSysctl(family, name as (typeof GC_PARAMS)[number]));
    }
    if (name === 'reachable_time') return this.x.neigh_ctl_parm_get(fam, ifindex, REACHABLE_TIME) >>> 0;
    const p = paramOf(family, name);
    if (!p) throw new NetError('ENOENT', `${where}: there is no such sysctl`);
    const stored = this.x.neigh_ctl_parm_get(fam, ifindex, p[0]) >>> 0;
    return p[1] === 'count' ? stored : p[1] === 'qlen' ? Math.floor(stored / UNRES_QLEN_UNIT) : fromStoredMs(p[1], stored);
  }

  /**
   * NETDEV_DOWN (arp_ifdown / ndisc's neigh_ifdown): every entry of the device goes, permanent ones
   * too, in `opts.family`'s table or both. Entries removed.
   */
  deviceDown(ifindex: number, opts: { family?: Family } = {}): number {
    const f = opts.family === 'inet' ? AF_INET : opts.family === 'inet6' ? AF_INET6 : 0;
    return this.x.neigh_ctl_ifdown(ifindex, f, 0) >>> 0;
  }

  /** NETDEV_UNREGISTER: nothing of the device survives, its parameters neither (neigh_parms_release). */
  deviceGone(ifindex: number): number {
    const n = this.x.neigh_ctl_ifdown(ifindex, 0, 0) >>> 0;
    this.x.neigh_ctl_parms_release(ifindex);
    return n;
  }

  /**
   * NETDEV_CHANGE: the carrier went away (arp_evict_nocarrier / ndisc_evict_nocarrier, 1 by default):
   * neigh_carrier_down keeps the permanent entries. A carrier coming back changes nothing.
   */
  deviceCarrier(ifindex: number, up: boolean): number {
    return up ? 0 : this.x.neigh_ctl_ifdown(ifindex, 0, 1) >>> 0;
  }

  /** NETDEV_CHANGEADDR (neigh_changeaddr): the device's MAC changed, every entry of it goes. */
  deviceAddress(ifindex: number): number {
    return this.x.neigh_ctl_ifdown(ifindex, 0, 0) >>> 0;
  }

  /** The table's statistics (ip -s ntable show name arp_cache|ndisc_cache). */
  stats(family: Family): NeighTableStats {
    const f = family === 'inet' ? AF_INET : AF_INET6;
    const out = { entries: this.x.neigh_ctl_entries(f, 0) >>> 0, gcEntries: this.x.neigh_ctl_entries(f, 1) >>> 0 } as NeighTableStats;
    STAT_KEYS.forEach((k, i) => (out[k] = Number(this.x.neigh_ctl_stat(f, i))));
    return out;
  }

  /** When the table's periodic gc work (neigh_periodic_work) runs next, in stack-clock ms. */
  nextGc(family: Family): number {
    return Number(this.x.neigh_ctl_gc_next(family === 'inet' ? AF_INET : AF_INET6));
  }

  /** Seed the PRNG reachable_time is drawn from (the kernel's get_random_u32; deterministic here). */
  seed(seed: number): void {
    this.x.neigh_seed(seed >>> 0);
  }
}
