// A recording stand-in for the stack's tables behind the ip front end: every add/del/set is recorded
// with the spec it got (the thing the parser tests assert), lists return what the test put there, and
// a method can be told to refuse with a NetError (to see the message `ip` would print).

import { NetError, type LinkInfo, type NeighInfo, type RouteInfo, type RuleInfo } from '../../src/control/net_types.js';
import type { AddrEntry, IpTables, RouteQuery } from '../../src/control/ip/index.js';
import type { RouteGetInfo } from '../../src/control/routes.js';

export type Call = [string, ...unknown[]];

export class FakeTables implements IpTables {
  calls: Call[] = [];
  linkList: LinkInfo[] = [
    { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], mtu: 65536, operstate: 'UNKNOWN', link_type: 'loopback', address: '00:00:00:00:00:00', broadcast: '00:00:00:00:00:00' },
    { ifindex: 2, ifname: 'eth0', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500, operstate: 'UP', link_type: 'ether', address: '02:00:00:00:00:01', broadcast: 'ff:ff:ff:ff:ff:ff' },
    { ifindex: 3, ifname: 'eth1', flags: ['BROADCAST', 'MULTICAST'], mtu: 1500, operstate: 'DOWN', link_type: 'ether', address: '02:00:00:00:00:02', broadcast: 'ff:ff:ff:ff:ff:ff' },
  ];
  addrList: AddrEntry[] = [];
  routeList: Record<'inet' | 'inet6', RouteInfo[]> = { inet: [], inet6: [] };
  ruleList: Record<'inet' | 'inet6', RuleInfo[]> = {
    inet: [
      { priority: 0, src: 'all', table: 'local' },
      { priority: 32766, src: 'all', table: 'main' },
      { priority: 32767, src: 'all', table: 'default' },
    ],
    inet6: [
      { priority: 0, src: 'all', table: 'local' },
      { priority: 32766, src: 'all', table: 'main' },
    ],
  };
  neighList: NeighInfo[] = [];
  routeAnswer: RouteGetInfo | undefined;
  /** "routes.add" → the NetError that call throws. */
  refuse = new Map<string, NetError>();

  private rec(name: string, ...args: unknown[]): void {
    this.calls.push([name, ...args]);
    const e = this.refuse.get(name);
    if (e) throw e;
  }

  links = {
    add: (spec: unknown) => this.rec('links.add', spec),
    del: (name: string) => this.rec('links.del', name),
    set: (name: string, change: unknown) => this.rec('links.set', name, change),
    list: () => this.linkList,
    ifindex: (name: string) => {
      const l = this.linkList.find((x) => x.ifname === name);
      if (!l) throw new NetError('ENODEV', `Cannot find device "${name}"`);
      return l.ifindex;
    },
  };
  addresses = {
    add: (spec: unknown, opts?: unknown) => this.rec('addresses.add', spec, ...(opts && Object.keys(opts).length ? [opts] : [])),
    del: (spec: unknown) => this.rec('addresses.del', spec),
    list: () => this.addrList,
  };
  routes = {
    add: (spec: unknown, opts?: unknown) => this.rec('routes.add', spec, ...(opts && Object.keys(opts).length ? [opts] : [])),
    del: (spec: unknown) => this.rec('routes.del', spec),
    list: (f: { family: 'inet' | 'inet6' }) => this.routeList[f.family],
    get: (q: RouteQuery): RouteInfo => {
      this.rec('routes.get', q);
      if (!this.routeAnswer) throw new NetError('ENETUNREACH', 'Network is unreachable');
      return this.routeAnswer;
    },
  };
  rules = {
    add: (spec: unknown) => this.rec('rules.add', spec),
    del: (spec: unknown) => this.rec('rules.del', spec),
    list: (family: 'inet' | 'inet6') => this.ruleList[family],
  };
  neigh = {
    add: (spec: unknown, opts?: unknown) => this.rec('neigh.add', spec, ...(opts && Object.keys(opts).length ? [opts] : [])),
    del: (spec: unknown) => this.rec('neigh.del', spec),
    list: (o: { stats?: boolean } = {}) => (o.stats ? this.neighList : this.neighList.map(({ refcnt: _r, used: _u, confirmed: _c, updated: _p, probes: _q, ...rest }) => rest)),
  };
}
