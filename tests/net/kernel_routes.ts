// A stand-in for the FIB's side of the address/link contract (dp.routes.kernelAdd, kernelDel,
// deviceDown, deviceGone, addressGone), with the kernel's semantics as fib_frontend.c / fib_trie.c and
// ip6_fib.c give them, so the address side can be checked against `ip -j route show table all` before
// (and independently of) the real FIB. Routes are kept as normalized one-line strings:
//
//   "TABLE TYPE DST/LEN dev DEV [scope S] [src A] metric M"
//
// The same normalization turns the kernel's JSON into lines (kernelRouteLines).

import { NetError, type Family } from '../../src/control/net_types.js';
import type { KernelRouteSpec } from '../../src/control/ifaddr.js';
import type { Datapath } from '../../src/control/datapath.js';

interface Stored {
  family: Family;
  table: string;
  type: string;
  dst: string;
  dev: string;
  ifindex: number;
  scope?: string;
  src?: string;
  metric: number;
  protocol?: string;
  expires?: number;
}

export class KernelRoutesFake {
  readonly routes: Stored[] = [];
  /** Every call, in order ("add ...", "del ...", "down IFINDEX", ...), for tests that look at the sequence. */
  readonly log: string[] = [];

  constructor(dp: Datapath) {
    const r = dp.routes as unknown as Record<string, unknown>;
    r.kernelAdd = (spec: KernelRouteSpec, ifindex: number) => this.add(spec, ifindex);
    r.kernelDel = (spec: KernelRouteSpec, ifindex: number) => this.del(spec, ifindex);
    r.deviceDown = (ifindex: number) => this.deviceDown(ifindex);
    r.familyDown = (ifindex: number, family: Family) => this.deviceDown(ifindex, { family, force: true });
    r.deviceGone = (ifindex: number) => this.deviceGone(ifindex);
    r.addressGone = (family: Family, address: string, ifindex: number) => this.addressGone(family, address, ifindex);
    r.kernelSetExpires = (spec: KernelRouteSpec, _ifindex: number, expires: number) => {
      const s = this.routes.find((x) => x.dst === spec.dst && x.dev === spec.dev && x.table === 'main');
      if (s && s.expires === undefined) s.expires = expires;
    };
  }

  private stored(spec: KernelRouteSpec, ifindex: number): Stored {
    return {
      family: spec.family ?? 'inet',
      table: String(spec.table ?? 'main'),
      type: spec.type ?? 'unicast',
      dst: spec.dst,
      dev: spec.dev ?? '?',
      ifindex,
      ...(spec.family === 'inet6' ? {} : { scope: String(spec.scope) }),
      ...(spec.src !== undefined ? { src: spec.src } : {}),
      metric: spec.metric ?? 0,
      ...(spec.protocol !== undefined ? { protocol: String(spec.protocol) } : {}),
      ...(spec.expires !== undefined ? { expires: spec.expires } : {}),
    };
  }

  /** fib_table_insert with NLM_F_CREATE | NLM_F_APPEND: an identical route is EEXIST (fib_magic ignores it). */
  add(spec: KernelRouteSpec, ifindex: number): void {
    const s = this.stored(spec, ifindex);
    this.log.push(`add ${line(s)}`);
    if (this.routes.some((x) => line(x) === line(s))) throw new NetError('EEXIST', 'RTNETLINK answers: File exists');
    this.routes.push(s);
  }

  /** fib_table_delete: the first route matching every field given (metric 0: any). */
  del(spec: KernelRouteSpec, ifindex: number): void {
    const s = this.stored(spec, ifindex);
    this.log.push(`del ${line(s)}`);
    const i = this.routes.findIndex(
      (x) =>
        x.family === s.family &&
        x.table === s.table &&
        x.dst === s.dst &&
        x.dev === s.dev &&
        (spec.type === undefined || x.type === s.type) &&
        (spec.scope === undefined || x.scope === s.scope) &&
        (spec.src === undefined || x.src === s.src) &&
        (spec.metric === undefined || x.metric === s.metric),
    );
    if (i < 0) throw new NetError('ESRCH', 'RTNETLINK answers: No such process');
    this.routes.splice(i, 1);
  }

  /**
   * NETDEV_DOWN: IPv4 routes through the device die, but local ones (host scope, next hop scope
   * NOWHERE) unless forced; IPv6 routes through it all go.
   */
  deviceDown(ifindex: number, opts: { family?: Family; force?: boolean } = {}): void {
    this.log.push(`down ${ifindex}${opts.family ? ' ' + opts.family : ''}${opts.force ? ' force' : ''}`);
    for (let i = this.routes.length - 1; i >= 0; i--) {
      const r = this.routes[i]!;
      if (r.ifindex !== ifindex || (opts.family && r.family !== opts.family)) continue;
      if (r.family === 'inet' && r.type === 'local' && !opts.force) continue;
      this.routes.splice(i, 1);
    }
  }

  deviceGone(ifindex: number): void {
    this.log.push(`gone ${ifindex}`);
    for (let i = this.routes.length - 1; i >= 0; i--) if (this.routes[i]!.ifindex === ifindex) this.routes.splice(i, 1);
  }

  /** fib_sync_down_addr: main-table IPv4 routes with the address as prefsrc go. */
  addressGone(family: Family, address: string, ifindex: number): void {
    this.log.push(`addrgone ${family} ${address} ${ifindex}`);
    if (family !== 'inet') return;
    for (let i = this.routes.length - 1; i >= 0; i--) {
      const r = this.routes[i]!;
      if (r.table === 'main' && r.src === address) this.routes.splice(i, 1);
    }
  }

  /** The table as sorted lines. */
  lines(family?: Family): string[] {
    return this.routes.filter((r) => !family || r.family === family).map(line).sort();
  }
}

function line(r: Pick<Stored, 'table' | 'type' | 'dst' | 'dev' | 'scope' | 'src' | 'metric'>): string {
  return `${r.table} ${r.type} ${r.dst} dev ${r.dev}${r.scope ? ` scope ${r.scope}` : ''}${r.src ? ` src ${r.src}` : ''} metric ${r.metric}`;
}

interface KernelJsonRoute {
  type?: string;
  dst: string;
  dev?: string;
  table?: string;
  scope?: string;
  prefsrc?: string;
  metric?: number;
}

/** `ip -j [-6] route show table all` normalized to the same lines (routes on `devs` only, when given). */
export function kernelRouteLines(json: KernelJsonRoute[], family: Family, devs?: string[]): string[] {
  return json
    .filter((r) => !devs || (r.dev !== undefined && devs.includes(r.dev)))
    .map((r) => {
      const dst = r.dst === 'default' ? (family === 'inet' ? '0.0.0.0/0' : '::/0') : r.dst.includes('/') ? r.dst : `${r.dst}/${family === 'inet' ? 32 : 128}`;
      return line({
        table: r.table ?? 'main',
        type: r.type ?? 'unicast',
        dst,
        dev: r.dev ?? '?',
        ...(family === 'inet' ? { scope: r.scope ?? 'global' } : {}),
        ...(r.prefsrc !== undefined ? { src: r.prefsrc } : {}),
        metric: r.metric ?? 0,
      });
    })
    .sort();
}
