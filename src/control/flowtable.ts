// Flowtables (dp.flowtable): nftables' `flowtable` objects over assembly/net/nf_flow_table.ts. create()
// makes one over a set of devices and, unless told not to, adds its offload rule — what
//   table inet t { flowtable ft { hook ingress priority 0; devices = { eth0, eth1 } }
//                  chain f { type filter hook forward priority 0; ct state established flow add @ft } }
// sets up. nftables' own `flow add @ft` (nft15's evaluator) calls flow_offload_add with the id this returns.
// list() shows the offloaded flows with their connections' counters; the fast path's hits and slow-path
// returns are the nf_flowtable:* counters of dp.stack.mib(). A hit counts into its connection's counters
// (conntrack's acct: dp.conntrack.list()) only when the flowtable has the `counter` flag
// (NF_FLOWTABLE_COUNTER; off by default, as nft's), as nf_flow_offload_ip_hook does.

import type { Datapath } from './datapath.js';
import { NetError } from './net_types.js';
import { formatAddr } from './route_text.js';

interface FtExports {
  nf_flowtable_init(max: number, buckets: number): number;
  nf_flowtable_create(devs: number, n: number, flags: number): number;
  nf_flowtable_set_flags(id: number, flags: number): number;
  nf_flowtable_delete(id: number): number;
  nf_flow_root(): number;
  nf_flow_at(i: number): number;
  /** A direction record's timeout (ms, the stack's clock: net_now), kept in its hot record once the flow is in the table. */
  nf_flow_timeout(d: number): bigint;
  nf_flow_gc(): number;
  nf_hook_register(pf: number, hook: number, prio: number, kind: number, arg: number): number;
  nf_hook_unregister(pf: number, hook: number, prio: number, kind: number, arg: number): number;
  nf_nat_rules_alloc(n: number): number;
  net_now(): bigint;
  [k: string]: unknown;
}

export interface FlowDir {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  iif: string;
  oif: string;
  /**
   * The connection's counters of this direction (conntrack's acct, what `conntrack -L` shows): the frames
   * the stack saw, and the flowtable's hits only when it has the `counter` flag.
   */
  packets: number;
  bytes: number;
}

export interface FlowInfo {
  flowtable: string;
  family: 'ipv4' | 'ipv6';
  proto: 'tcp' | 'udp';
  /** Seconds left without a hit. */
  timeout: number;
  original: FlowDir;
  reply: FlowDir;
}

const NF_INET_FORWARD = 2;
const NFPROTO: Readonly<Record<'ipv4' | 'ipv6', number>> = { ipv4: 2, ipv6: 10 };
type FtFamily = 'ipv4' | 'ipv6' | 'both';
const NFK_FLOW_ADD = 6;
/** enum nf_flowtable_flags (nf_flow_table.ts). */
const NF_FLOWTABLE_COUNTER = 0x2;

export class Flowtables {
  private readonly byName = new Map<string, { id: number; devices: string[]; offload: boolean; pfs: number[]; counter: boolean }>();

  constructor(private readonly dp: Datapath) {}

  private get x(): FtExports {
    return this.dp.fastPath.exports as unknown as FtExports;
  }
  private g(name: string): number {
    const v = (this.dp.fastPath.exports as unknown as Record<string, WebAssembly.Global>)[name];
    return v!.value as number;
  }

  /**
   * A flowtable over `devices` (its ingress: frames of offloaded flows arriving there are forwarded before
   * the stack). `offload` (default true) adds the rule that offloads established forwarded TCP and UDP
   * connections into it: of `family` (default 'ipv4', as a `table ip` flowtable; 'ipv6' as `table ip6`,
   * 'both' as `table inet`). `counter` (default false, as nft's flowtable without `counter`): its hits
   * count into their connections' counters. Returns its id (the `ft` of flow_offload_add). The offload
   * rule holds a conntrack reference per family while the flowtable lives, as nft's `flow add` expression
   * does (nft_flow_offload_init: nf_ct_netns_get); the flowtable itself takes none (nf_tables_newflowtable
   * registers its ingress hooks only), so one made with `offload: false` tracks nothing until a rule
   * that uses conntrack comes.
   */
  create(spec: { name: string; devices: string[]; offload?: boolean; maxFlows?: number; family?: FtFamily; counter?: boolean }): number {
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(spec.name ?? '')) throw new NetError('EINVAL', `flowtable: bad name ${JSON.stringify(spec.name)}`);
    if (this.byName.has(spec.name)) throw new NetError('EEXIST', `flowtable: ${spec.name} exists`);
    if (!Array.isArray(spec.devices) || spec.devices.length === 0) throw new NetError('EINVAL', `flowtable ${spec.name}: needs devices`);
    const ifindexes = spec.devices.map((d) => {
      if (!this.dp.links.has(d)) throw new NetError('ENODEV', `flowtable ${spec.name}: no device ${JSON.stringify(d)}`);
      return this.dp.links.ifindex(d);
    });
    if (ifindexes.length > 15) throw new NetError('EINVAL', `flowtable ${spec.name}: at most 15 devices`);
    const family = spec.family ?? 'ipv4';
    if (family !== 'ipv4' && family !== 'ipv6' && family !== 'both') throw new NetError('EINVAL', `flowtable ${spec.name}: family must be ipv4, ipv6 or both, not ${JSON.stringify(family)}`);
    const pfs = family === 'both' ? [NFPROTO.ipv4, NFPROTO.ipv6] : [NFPROTO[family]];
    const counter = spec.counter ?? false;
    if (typeof counter !== 'boolean') throw new NetError('EINVAL', `flowtable ${spec.name}: counter must be true or false, not ${JSON.stringify(counter)}`);
    if (this.x.nf_flow_root() === 0) {
      const max = spec.maxFlows ?? 65536;
      if (!Number.isInteger(max) || max < 1 || max > 4_000_000) throw new NetError('EINVAL', `flowtable: maxFlows must be 1..4000000, not ${max}`);
      const r = this.x.nf_flowtable_init(max, max);
      if (r !== 0) throw new NetError('ENOMEM', `flowtable: no memory for ${max} flows`);
    }
    const buf = this.x.nf_nat_rules_alloc(1); // 128 zeroed bytes of scratch for the device list
    const v = this.dp.memory.view();
    ifindexes.forEach((ix, i) => v.setUint32(buf + i * 4, ix, true));
    const id = this.x.nf_flowtable_create(buf, ifindexes.length, counter ? NF_FLOWTABLE_COUNTER : 0);
    if (id < 0) throw new NetError('ENOBUFS', `flowtable: no room for another flowtable (${id})`);
    const offload = spec.offload ?? true;
    if (offload) {
      for (const pf of pfs) this.dp.conntrack.netnsGet(pf);
      for (const pf of pfs) if (this.x.nf_hook_register(pf, NF_INET_FORWARD, 0, NFK_FLOW_ADD, id) !== 0) throw new NetError('ENOBUFS', 'flowtable: the forward hook is full');
    }
    this.byName.set(spec.name, { id, devices: [...spec.devices], offload, pfs, counter });
    return id;
  }

  /**
   * The `counter` flag of flowtable `name` set or cleared (nft's flowtable update): the hits of its flows,
   * those offloaded already included, count into their connections' counters from now on, or no longer.
   */
  setCounter(name: string, counter: boolean): void {
    const ft = this.byName.get(name);
    if (!ft) throw new NetError('ENOENT', `flowtable: no flowtable ${JSON.stringify(name)}`);
    if (typeof counter !== 'boolean') throw new NetError('EINVAL', `flowtable ${name}: counter must be true or false, not ${JSON.stringify(counter)}`);
    if (ft.counter === counter) return;
    const r = this.x.nf_flowtable_set_flags(ft.id, counter ? NF_FLOWTABLE_COUNTER : 0);
    if (r !== 0) throw new NetError('ENOENT', `flowtable ${name}: not in the data path (${r})`);
    ft.counter = counter;
  }

  /** Whether flowtable `name` has the `counter` flag (undefined when there is none). */
  counter(name: string): boolean | undefined {
    return this.byName.get(name)?.counter;
  }

  delete(name: string): void {
    const ft = this.byName.get(name);
    if (!ft) throw new NetError('ENOENT', `flowtable: no flowtable ${JSON.stringify(name)}`);
    if (ft.offload) for (const pf of ft.pfs) this.x.nf_hook_unregister(pf, NF_INET_FORWARD, 0, NFK_FLOW_ADD, ft.id);
    this.x.nf_flowtable_delete(ft.id);
    if (ft.offload) for (const pf of ft.pfs) this.dp.conntrack.netnsPut(pf);
    this.byName.delete(name);
  }

  /** The id of a flowtable by name (for flow_offload_add), undefined when there is none. */
  id(name: string): number | undefined {
    return this.byName.get(name)?.id;
  }

  /** The offloaded flows. */
  list(): FlowInfo[] {
    const out: FlowInfo[] = [];
    if (this.x.nf_flow_root() === 0) return out;
    const v = this.dp.memory.view();
    const b = this.dp.memory.bytes();
    const now = this.x.net_now();
    const names = new Map([...this.byName].map(([n, f]) => [f.id, n]));
    const dirSize = this.g('FD_SIZE');
    for (let i = 0; ; i++) {
      const f = this.x.nf_flow_at(i);
      if (f === 0) break;
      if (v.getUint32(f + this.g('FLOW_CT'), true) === 0) continue;
      // an IPv6 flow's addresses are FD6_* bytes into its direction records (nf_flow_table.ts)
      const v6 = b[f + this.g('FLOW_L3')] === 10;
      const [af, alen, sa, da] = v6 ? [10, 16, this.g('FD6_SADDR'), this.g('FD6_DADDR')] : [2, 4, this.g('FD_SADDR'), this.g('FD_DADDR')];
      // the connection's counters (conntrack's acct), CT_COUNTERS: per direction u64 packets, u64 bytes
      const ct = v.getUint32(f + this.g('FLOW_CT'), true);
      const acct = ct + this.g('CT_COUNTERS');
      const dir = (d: number, k: number): FlowDir => ({
        src: formatAddr(af, b.slice(d + sa, d + sa + alen)),
        dst: formatAddr(af, b.slice(d + da, d + da + alen)),
        sport: v.getUint16(d + this.g('FD_SPORT'), false),
        dport: v.getUint16(d + this.g('FD_DPORT'), false),
        iif: this.dp.links.name(v.getUint32(d + this.g('FD_IIF'), true)) ?? '?',
        oif: this.dp.links.name(v.getUint32(d + this.g('FD_OIF'), true)) ?? '?',
        packets: Number(this.dp.memory.loadU64(acct + 16 * k)),
        bytes: Number(this.dp.memory.loadU64(acct + 16 * k + 8)),
      });
      // the flow's one timeout, copied in each direction's hot record (nf_flow_table.ts refresh4 writes
      // both; the later, as the collector reads it)
      const t0 = this.x.nf_flow_timeout(f);
      const t1 = this.x.nf_flow_timeout(f + dirSize);
      const t = t0 > t1 ? t0 : t1;
      out.push({
        flowtable: names.get(v.getUint32(f + this.g('FLOW_FT'), true)) ?? '?',
        family: v6 ? 'ipv6' : 'ipv4',
        proto: b[f + this.g('FD_PROTO')] === 6 ? 'tcp' : 'udp',
        timeout: t > now ? Number((t - now) / 1000n) : 0,
        original: dir(f, 0),
        reply: dir(f + dirSize, 1),
      });
    }
    return out;
  }

  /** The collector now (expired and torn-down flows out); the stack's clock runs it each second anyway. */
  gc(): number {
    return this.x.nf_flow_gc();
  }
}
