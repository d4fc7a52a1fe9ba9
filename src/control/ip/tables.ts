// What the ip front end calls, and nothing else: the five tables of the stack as Datapath exposes them
// (dp.links, dp.addresses, dp.routes, dp.rules, dp.neigh). The front end is written against this
// interface so a recording fake can stand in for the tables in tests (the specs each line produces
// are the thing to assert); tablesOf(dp) is the one place that knows the real objects' methods.

import type { Datapath } from '../datapath.js';
import type { RouteGet, RouteGetInfo } from '../routes.js';
import { type AddrInfo, type AddrSpec, type Family, type LinkChange, type LinkInfo, type LinkSpec, type NeighInfo, type NeighSpec, type RouteInfo, type RouteSpec, type RuleInfo, type RuleSpec } from '../net_types.js';

/** An address with the link it is on (what `ip addr show` groups by). */
export type AddrEntry = AddrInfo & { dev: string };

/** `ip route get` as the FIB answers it (RTM_GETROUTE's attributes): dp.routes' RouteGet and what `ip` adds. */
export interface RouteQuery extends RouteGet {
  family: Family;
}

export interface IpTables {
  links: {
    add(spec: LinkSpec): unknown;
    del(name: string): unknown;
    set(name: string, change: LinkChange): unknown;
    list(): LinkInfo[];
    /** ENODEV `Cannot find device "NAME"` when there is none. */
    ifindex(name: string): number;
  };
  addresses: {
    add(spec: AddrSpec, opts?: { replace?: boolean; change?: boolean }): unknown;
    del(spec: AddrSpec): unknown;
    list(): AddrEntry[];
  };
  routes: {
    add(spec: RouteSpec, opts?: { replace?: boolean; append?: boolean; change?: boolean; prepend?: boolean }): unknown;
    del(spec: RouteSpec): unknown;
    /** Every route of `family` in every table. */
    list(filter: { family: Family }): RouteInfo[];
    get(query: RouteQuery): RouteGetInfo;
    /** fib_get_table: whether a dump of table `id` finds it (a fake without it: every table exists). */
    tableExists?(family: Family, id: number): boolean;
  };
  rules: {
    add(spec: RuleSpec): unknown;
    del(spec: RuleSpec): unknown;
    list(family: Family): RuleInfo[];
  };
  neigh: {
    add(spec: NeighSpec, opts?: { replace?: boolean; change?: boolean }): unknown;
    del(spec: { to: string; dev: string }): unknown;
    /** Every entry, NOARP and NONE ones too (with -s: the ages, probes and refcnt). */
    list(opts?: { stats?: boolean }): NeighInfo[];
  };
}

/** The Datapath's tables as the front end sees them. */
export function tablesOf(dp: Datapath): IpTables {
  const routes = dp.routes;
  const neigh = dp.neigh;
  const addresses = dp.addresses as unknown as {
    add(spec: AddrSpec, opts: { replace?: boolean }): unknown;
    del(spec: AddrSpec): unknown;
    list(): Array<AddrEntry | { ifname: string; addr_info: AddrInfo[] }>;
  };
  return {
    links: dp.links as unknown as IpTables['links'],
    addresses: {
      // `ip addr change` replaces (or adds: the kernel never insisted on NLM_F_CREATE for addresses)
      add: (spec, o = {}) => addresses.add(spec, o.replace || o.change ? { replace: true } : {}),
      del: (spec) => addresses.del(spec),
      // dp.addresses lists links with their addr_info, as `ip -j addr show`
      list: () => addresses.list().flatMap((x) => ('addr_info' in x ? x.addr_info.map((a) => ({ ...a, dev: x.ifname })) : [x as AddrEntry])),
    },
    routes: {
      // one method per NLM_F_* combination on dp.routes
      add: (spec, o = {}) => (o.replace ? routes.replace(spec) : o.append ? routes.append(spec) : o.change ? routes.change(spec) : o.prepend ? routes.prepend(spec) : routes.add(spec)),
      del: (spec) => routes.del(spec),
      // every table: the front end filters as iproute2 filters a dump
      list: (f) => routes.list({ family: f.family, table: 'all' }),
      get: (q) => {
        const { family: _f, ...get } = q;
        return routes.get(get);
      },
      tableExists: (family, id) => routes.tableExists(family, id),
    },
    rules: dp.rules,
    neigh: {
      add: (spec, o) => neigh.add(spec, o),
      del: (spec) => neigh.del(spec),
      list: (o = {}) => neigh.list({ nud: 'all', ...(o.stats ? { stats: true } : {}) }),
    },
  };
}
