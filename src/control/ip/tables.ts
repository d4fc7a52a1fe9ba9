// What the ip front end calls, and nothing else: the five tables of the stack as Datapath exposes them
// (dp.links, dp.addresses, dp.routes, dp.rules, dp.neigh). The front end is written against this
// interface so a recording fake can stand in for the tables in tests (the specs each line produces
// are the thing to assert); tablesOf(dp) is the one place that knows the real objects' methods.

import type { Datapath } from '../datapath.js';
import type { AddrInfo, AddrSpec, Family, LinkChange, LinkInfo, LinkSpec, NeighInfo, NeighSpec, RouteInfo, RouteSpec, RuleInfo, RuleSpec } from '../net_types.js';

/** An address with the link it is on (what `ip addr show` groups by). */
export type AddrEntry = AddrInfo & { dev: string };

/** `ip route get` as the FIB answers it (RTM_GETROUTE's attributes). */
export interface RouteQuery {
  family: Family;
  dst: string;
  src?: string;
  iif?: string;
  oif?: string;
  mark?: number;
  tos?: number;
  ipproto?: number;
  sport?: number;
  dport?: number;
  uid?: number;
  /** `fibmatch`: the FIB entry that matched, not the resolved route. */
  fibmatch?: boolean;
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
    get(query: RouteQuery): RouteInfo;
  };
  rules: {
    add(spec: RuleSpec): unknown;
    del(spec: RuleSpec): unknown;
    list(family: Family): RuleInfo[];
  };
  neigh: {
    add(spec: NeighSpec, opts?: { replace?: boolean; change?: boolean }): unknown;
    del(spec: { to: string; dev: string }): unknown;
    list(): NeighInfo[];
  };
}

/** The Datapath's tables as the front end sees them. */
export function tablesOf(dp: Datapath): IpTables {
  return {
    links: dp.links as unknown as IpTables['links'],
    addresses: dp.addresses as unknown as IpTables['addresses'],
    routes: dp.routes as unknown as IpTables['routes'],
    rules: dp.rules as unknown as IpTables['rules'],
    neigh: dp.neigh as unknown as IpTables['neigh'],
  };
}
