// The connection tracking table (dp.conntrack): turning it on, listing it as `conntrack -L` prints it
// (conntrack-tools' text, or objects for --json), flushing it, its statistics (`conntrack -S`) and its
// events (new / update / destroy, as `conntrack -E` reports them) — over assembly/net/nf_conntrack.ts,
// whose entry layout this file reads through the module's exported constants (CT_*, CTT_*, CR_*).
//
// `conntrack -L` line (conntrack-tools src/conntrack.c, the default output):
//   tcp      6 431999 ESTABLISHED src=192.0.2.2 dst=203.0.113.5 sport=40000 dport=80 src=203.0.113.5
//   dst=198.51.100.1 sport=80 dport=40000 [ASSURED] mark=0 use=1
// the protocol name padded to 8, its number, the seconds left, the TCP state, the original tuple,
// [UNREPLIED] when no reply was seen, the reply tuple, [ASSURED], mark, zone when not 0, use (a zone of
// one direction inside its tuple instead: zone-orig= / zone-reply=).

import { WxdpError } from '../errors.js';
import type { Datapath } from './datapath.js';
import { NetError } from './net_types.js';
import { formatAddr } from './route_text.js';
import { MIB_NAMES, NR, SYSCTL } from '../runtime/net_abi.js';

const TCP_STATES = ['NONE', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSE', 'SYN_SENT2'];
const PROTO_NAMES: Readonly<Record<number, string>> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6', 132: 'sctp', 136: 'udplite', 33: 'dccp' };
const IPS = { SEEN_REPLY: 1 << 1, ASSURED: 1 << 2, CONFIRMED: 1 << 3, SRC_NAT: 1 << 4, DST_NAT: 1 << 5, DYING: 1 << 9, NAT_CLASH: 1 << 12, OFFLOAD: 1 << 14 } as const;

/** One side of a connection. */
export interface CtTuple {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  /** ICMP / ICMPv6 */
  type?: number;
  code?: number;
  id?: number;
}

/** One entry, as `conntrack -L -o json`-like objects. */
export interface CtEntry {
  id: number;
  family: 'ipv4' | 'ipv6';
  proto: string;
  protonum: number;
  /** Seconds left (nf_ct_expires / HZ). */
  timeout: number;
  /** TCP only. */
  state?: string;
  original: CtTuple;
  reply: CtTuple;
  unreplied: boolean;
  assured: boolean;
  snat: boolean;
  dnat: boolean;
  offload: boolean;
  mark: number;
  /** The zone of both directions (0: the default zone, or a zone of one direction only). */
  zone: number;
  /**
   * A zone of one direction (bpf_xdp_ct_alloc's ct_zone_dir NF_CT_ZONE_DIR_ORIG or _REPL): its id,
   * printed inside that direction's tuple as zone-orig= / zone-reply= (ctnetlink's CTA_TUPLE_ZONE).
   */
  zoneOrig?: number;
  zoneReply?: number;
  packets: [number, number];
  bytes: [number, number];
  /**
   * The entry was made while net.netfilter.nf_conntrack_acct was on (the kernel's acct extension): conntrack -L
   * shows its counters after each direction's tuple (`packets=1 bytes=28`). Without it they are not shown.
   */
  acct?: true;
}

export interface CtEvent {
  type: 'new' | 'update' | 'destroy';
  id: number;
  proto: string;
  state?: string;
  original: CtTuple;
  reply: CtTuple;
  status: number;
}

interface CtExports {
  nf_ct_netns_get(pf: number, seed: number): number;
  nf_ct_netns_put(pf: number): number;
  nf_ct_root(): number;
  nf_ct_flush(): number;
  nf_ct_gc(): number;
  nf_ct_events(on: number): void;
  net_now(): bigint;
  net_sysctl_set(i: number, v: number): number;
  net_sysctl_get(i: number): number;
  [k: string]: unknown;
}

/** The listing's filters (conntrack -L's -p, -s, -d, --zone). */
export interface CtFilter {
  proto?: string | number;
  src?: string;
  dst?: string;
  zone?: number;
  family?: 'ipv4' | 'ipv6';
}

export class Conntrack {
  private readonly x: CtExports;
  private readonly g: (name: string) => number;
  private readonly listeners = new Set<(e: CtEvent) => void>();
  /** The families enable() holds conntrack for (one user each, kept: the API has no disable). */
  private readonly held = new Set<number>();

  constructor(private readonly dp: Datapath) {
    dp.stack;
    this.x = dp.fastPath.exports as unknown as CtExports;
    const ex = dp.fastPath.exports as unknown as Record<string, WebAssembly.Global | undefined>;
    this.g = (name: string): number => {
      const v = ex[name];
      if (!(v instanceof WebAssembly.Global)) throw new WxdpError('USAGE', `fast path lacks ${name}`);
      return v.value as number;
    };
  }

  /**
   * Conntrack on for a family (both by default), with the table sized by net.netfilter.nf_conntrack_max
   * and nf_conntrack_buckets as they are now (`max` sets nf_conntrack_max first). Idempotent.
   */
  enable(opts: { family?: 'ipv4' | 'ipv6' | 'both'; max?: number; buckets?: number } = {}): void {
    if (opts.max !== undefined) {
      if (!Number.isInteger(opts.max) || opts.max < 1 || opts.max > 4_000_000) throw new NetError('EINVAL', `conntrack: max must be 1..4000000, not ${opts.max}`);
      if (this.enabled) throw new NetError('EBUSY', 'conntrack: the table exists already; its size is fixed once enabled');
      this.x.net_sysctl_set(SYSCTL.NF_CONNTRACK_MAX, opts.max);
    }
    if (opts.buckets !== undefined) {
      if (!Number.isInteger(opts.buckets) || opts.buckets < 1 || opts.buckets > 1 << 20) throw new NetError('EINVAL', `conntrack: buckets must be 1..1048576, not ${opts.buckets}`);
      if (this.enabled) throw new NetError('EBUSY', 'conntrack: the table exists already; its size is fixed once enabled');
      this.x.net_sysctl_set(SYSCTL.NF_CONNTRACK_BUCKETS, opts.buckets);
    }
    const fams = opts.family === 'ipv4' ? [2] : opts.family === 'ipv6' ? [10] : [2, 10];
    for (const pf of fams) {
      if (this.held.has(pf)) continue;
      this.netnsGet(pf);
      this.held.add(pf);
    }
  }

  /**
   * nf_ct_netns_get: a user of conntrack for family `pf` (2 IPv4, 10 IPv6); the first one puts conntrack's
   * hooks (and the defragmentation before them) in the family's lists, making the table on first use.
   */
  netnsGet(pf: number): void {
    const r = this.x.nf_ct_netns_get(pf, (Math.random() * 0x100000000) >>> 0);
    if (r === -12) throw new NetError('ENOMEM', `conntrack: no memory for ${this.x.net_sysctl_get(SYSCTL.NF_CONNTRACK_MAX)} entries`);
    if (r !== 0) throw new NetError('EINVAL', `conntrack: enable failed (${r})`);
  }

  /** nf_ct_netns_put: a user of family `pf` less; after the last, its packets pass untracked (the entries stay until they expire). */
  netnsPut(pf: number): void {
    if (this.x.nf_ct_netns_put(pf) !== 0) throw new NetError('ENOENT', `conntrack: no user of family ${pf} to put`);
  }

  get enabled(): boolean {
    return this.x.nf_ct_root() !== 0;
  }

  private root(): number {
    const r = this.x.nf_ct_root();
    if (r === 0) throw new NetError('ENOENT', 'conntrack: not enabled (dp.conntrack.enable())');
    return r;
  }

  /** Entries in the table (confirmed, not expired). */
  get count(): number {
    return this.list().length;
  }

  /** The table's entries, oldest id first. */
  list(filter: CtFilter = {}): CtEntry[] {
    if (this.x.nf_ct_root() === 0) return [];
    const root = this.root();
    const v = this.dp.memory.view();
    const b = this.dp.memory.bytes();
    const pool = v.getUint32(root + this.g('CR_POOL'), true);
    const max = v.getUint32(root + this.g('CR_POOL_N'), true); // the whole pool: the limit's entries and the spare
    const size = this.g('CT_SIZE');
    const now = this.x.net_now();
    const out: CtEntry[] = [];
    const protoWant = filter.proto === undefined ? undefined : typeof filter.proto === 'number' ? filter.proto : Number(Object.entries(PROTO_NAMES).find(([, n]) => n === filter.proto)?.[0] ?? -1);
    for (let i = 0; i < max; i++) {
      const e = pool + i * size;
      const status = v.getUint32(e + this.g('CT_STATUS'), true);
      // (an entry a NAT clash inserted by its reply direction only is hidden, as ctnetlink hides it)
      if ((status & IPS.CONFIRMED) === 0 || (status & (IPS.DYING | IPS.NAT_CLASH)) !== 0) continue;
      const timeout = v.getBigUint64(e + this.g('CT_TIMEOUT'), true);
      if (timeout <= now) continue;
      const entry = this.read(v, b, e, status, Number((timeout - now) / 1000n));
      if (protoWant !== undefined && entry.protonum !== protoWant) continue;
      if (filter.family && entry.family !== filter.family) continue;
      if (filter.zone !== undefined && entry.zone !== filter.zone) continue;
      if (filter.src && entry.original.src !== filter.src) continue;
      if (filter.dst && entry.original.dst !== filter.dst) continue;
      out.push(entry);
    }
    return out.sort((a, z) => a.id - z.id);
  }

  private tuple(v: DataView, b: Uint8Array, t: number): { tuple: CtTuple; proto: number; family: number; zone: number } {
    const family = b[t + this.g('CTT_FAMILY')]!;
    const proto = b[t + this.g('CTT_PROTO')]!;
    const n = family === 10 ? 16 : 4;
    const src = formatAddr(family, b.slice(t + this.g('CTT_SRC'), t + this.g('CTT_SRC') + n));
    const dst = formatAddr(family, b.slice(t + this.g('CTT_DST'), t + this.g('CTT_DST') + n));
    const sp = t + this.g('CTT_SPORT');
    const dp = t + this.g('CTT_DPORT');
    const tuple: CtTuple = { src, dst };
    if (proto === 1 || proto === 58) {
      tuple.type = b[dp]!;
      tuple.code = b[dp + 1]!;
      tuple.id = (b[sp]! << 8) | b[sp + 1]!;
    } else if (proto in PROTO_NAMES && proto !== 1 && proto !== 58) {
      tuple.sport = (b[sp]! << 8) | b[sp + 1]!;
      tuple.dport = (b[dp]! << 8) | b[dp + 1]!;
    }
    return { tuple, proto, family, zone: v.getUint16(t + this.g('CTT_ZONE'), true) };
  }

  private read(v: DataView, b: Uint8Array, e: number, status: number, timeout: number): CtEntry {
    const o = this.tuple(v, b, e + this.g('CT_TUPLE_ORIG'));
    const r = this.tuple(v, b, e + this.g('CT_TUPLE_REPLY'));
    const c = e + this.g('CT_COUNTERS');
    const entry: CtEntry = {
      id: v.getUint32(e + this.g('CT_ID'), true),
      family: o.family === 10 ? 'ipv6' : 'ipv4',
      proto: PROTO_NAMES[o.proto] ?? 'unknown',
      protonum: o.proto,
      timeout,
      original: o.tuple,
      reply: r.tuple,
      unreplied: (status & IPS.SEEN_REPLY) === 0,
      assured: (status & IPS.ASSURED) !== 0,
      snat: (status & IPS.SRC_NAT) !== 0,
      dnat: (status & IPS.DST_NAT) !== 0,
      offload: (status & IPS.OFFLOAD) !== 0,
      mark: v.getUint32(e + this.g('CT_MARK'), true),
      // each tuple carries its direction's zone id (nf_ct_zone_id): equal for a zone of both directions
      zone: o.zone === r.zone ? o.zone : 0,
      ...(o.zone !== r.zone ? { zoneOrig: o.zone, zoneReply: r.zone } : {}),
      packets: [Number(this.dp.memory.loadU64(c)), Number(this.dp.memory.loadU64(c + 16))],
      bytes: [Number(this.dp.memory.loadU64(c + 8)), Number(this.dp.memory.loadU64(c + 24))],
      ...(b[e + this.g('CT_ACCT')] ? { acct: true as const } : {}),
    };
    if (o.proto === 6) entry.state = TCP_STATES[b[e + this.g('CT_L4STATE')]!] ?? 'NONE';
    return entry;
  }

  /** `conntrack -L`'s text for the entries (one line each, conntrack-tools' order of fields). */
  format(entries: CtEntry[] = this.list()): string {
    return entries.map(formatEntry).join('\n') + (entries.length ? '\n' : '');
  }

  /** conntrack -F: every entry deleted (destroy events for each). Returns how many. */
  flush(): number {
    return this.x.nf_ct_root() === 0 ? 0 : this.x.nf_ct_flush();
  }

  /** Expired entries collected now (the stack's clock runs it once a second by itself). */
  gc(): number {
    return this.x.nf_ct_gc();
  }

  /** `conntrack -S`'s counters (summed: one table here). */
  stats(): Record<string, number> {
    const mib = this.dp.stack.mib();
    const out: Record<string, number> = {};
    for (const name of Object.values(MIB_NAMES)) {
      if (name.startsWith('nf_conntrack:')) out[name.slice('nf_conntrack:'.length)] = mib[name] ?? 0;
    }
    return out;
  }

  /** Events (conntrack -E): `listener` gets them when poll() drains the ring (call it after frames ran; up to 1024 wait, more are counted lost). */
  on(event: 'event', listener: (e: CtEvent) => void): this {
    if (event !== 'event') throw new WxdpError('USAGE', `conntrack: no event ${String(event)}`);
    this.listeners.add(listener);
    this.x.nf_ct_events(1);
    return this;
  }

  off(event: 'event', listener: (e: CtEvent) => void): this {
    this.listeners.delete(listener);
    if (this.listeners.size === 0) this.x.nf_ct_events(0);
    return this;
  }

  /** The events written since the last drain, handed to the listeners and returned. */
  poll(): CtEvent[] {
    if (this.x.nf_ct_root() === 0) return [];
    const root = this.root();
    const v = this.dp.memory.view();
    const b = this.dp.memory.bytes();
    const head = v.getUint32(root + this.g('CR_EV_HEAD'), true);
    let tail = v.getUint32(root + this.g('CR_EV_TAIL'), true);
    const ring = v.getUint32(root + this.g('CR_EV_RING'), true);
    const n = this.g('CTE_RING');
    const size = this.g('CTE_SIZE');
    const out: CtEvent[] = [];
    const types = { 1: 'new', 2: 'update', 3: 'destroy' } as const;
    while (tail !== head) {
      const r = ring + (tail % n) * size;
      const o = this.tuple(v, b, r + 16);
      const rep = this.tuple(v, b, r + 16 + this.g('CT_TUPLE_SIZE'));
      const ev: CtEvent = { type: types[v.getUint32(r, true) as 1 | 2 | 3] ?? 'update', id: v.getUint32(r + 4, true), proto: PROTO_NAMES[o.proto] ?? 'unknown', original: o.tuple, reply: rep.tuple, status: v.getUint32(r + 8, true) };
      if (o.proto === 6) ev.state = TCP_STATES[v.getUint32(r + 12, true)] ?? 'NONE';
      out.push(ev);
      tail = (tail + 1) >>> 0;
    }
    v.setUint32(root + this.g('CR_EV_TAIL'), tail, true);
    for (const ev of out) for (const l of this.listeners) l(ev);
    return out;
  }

  /** The table's root address (tests and the CLI's raw views). */
  get rootAddress(): number {
    return this.x.nf_ct_root();
  }

  /** The word the stack keeps the table's root in (NR.CT), for readers that check it directly. */
  static readonly ROOT_WORD = NR.CT;
}

function tupleText(t: CtTuple, proto: number): string {
  const parts = [`src=${t.src}`, `dst=${t.dst}`];
  if (proto === 1 || proto === 58) parts.push(`type=${t.type}`, `code=${t.code}`, `id=${t.id}`);
  else if (t.sport !== undefined) parts.push(`sport=${t.sport}`, `dport=${t.dport}`);
  return parts.join(' ');
}

/** One `conntrack -L` line. */
export function formatEntry(e: CtEntry): string {
  const head = `${e.proto.padEnd(8)} ${e.protonum} ${e.timeout}`;
  const parts = [head];
  if (e.state) parts.push(e.state);
  parts.push(tupleText(e.original, e.protonum));
  if (e.zoneOrig) parts.push(`zone-orig=${e.zoneOrig}`);
  if (e.acct) parts.push(`packets=${e.packets[0]} bytes=${e.bytes[0]}`);
  if (e.unreplied) parts.push('[UNREPLIED]');
  parts.push(tupleText(e.reply, e.protonum));
  if (e.zoneReply) parts.push(`zone-reply=${e.zoneReply}`);
  if (e.acct) parts.push(`packets=${e.packets[1]} bytes=${e.bytes[1]}`);
  if (e.offload) parts.push('[OFFLOAD]');
  else if (e.assured) parts.push('[ASSURED]');
  parts.push(`mark=${e.mark}`);
  if (e.zone !== 0) parts.push(`zone=${e.zone}`);
  parts.push('use=1');
  return parts.join(' ');
}
