// The stack's control-plane vocabulary: what `dp.links`, `dp.addresses`, `dp.routes`, `dp.rules` and
// `dp.neigh` take and return, shaped after iproute2's objects (and its `-j` JSON where it shows them),
// and the one error they raise. The ip text front end (src/control/ip/) parses into these specs and
// calls those objects, nothing else.

import { WxdpError } from '../errors.js';

export type Family = 'inet' | 'inet6';

/** iproute2's errors, by errno: `message` is what `ip` prints after "RTNETLINK answers: " (or its own parse error). */
export type NetErrno = 'EEXIST' | 'ENOENT' | 'ESRCH' | 'ENETUNREACH' | 'EHOSTUNREACH' | 'EINVAL' | 'ENODEV' | 'EADDRNOTAVAIL' | 'ENOBUFS' | 'ENOMEM' | 'EOPNOTSUPP' | 'EAFNOSUPPORT' | 'ERANGE' | 'EBUSY' | 'EACCES' | 'ENETDOWN' | 'ENFILE' | 'ENXIO' | 'EXDEV';

export const ERRNO_VALUE: Readonly<Record<NetErrno, number>> = {
  EEXIST: 17, ENOENT: 2, ESRCH: 3, ENETUNREACH: 101, EHOSTUNREACH: 113, EINVAL: 22, ENODEV: 19,
  EADDRNOTAVAIL: 99, ENOBUFS: 105, ENOMEM: 12, EOPNOTSUPP: 95, EAFNOSUPPORT: 97, ERANGE: 34, EBUSY: 16, EACCES: 13, ENETDOWN: 100, ENFILE: 23, ENXIO: 6, EXDEV: 18,
};

/** A refused stack operation: `errno` names the kernel's errno, `message` iproute2's wording. */
export class NetError extends WxdpError {
  readonly errno: NetErrno;
  constructor(errno: NetErrno, message: string) {
    super('USAGE', message);
    this.errno = errno;
  }
}

export type LinkKind = 'ether' | 'loopback' | 'dummy' | 'veth' | 'vlan';

export interface LinkSpec {
  name: string;
  kind: Exclude<LinkKind, 'ether' | 'loopback'>;
  /** `index N` (default: the next free ifindex). */
  index?: number;
  mtu?: number;
  address?: string;
  /** veth: the peer's name (`peer name P`), and optionally its index. */
  peer?: { name: string; index?: number };
  /** vlan: `link PARENT type vlan [protocol 802.1Q|802.1ad] id N`. */
  vlan?: { parent: string; id: number; protocol?: '802.1Q' | '802.1ad' };
}

export interface LinkChange {
  up?: boolean;
  mtu?: number;
  address?: string;
  name?: string;
  /** `arp on|off`: IFF_NOARP cleared or set (neighbours of an up link are flushed when it flips). */
  arp?: boolean;
}

/** A link as `ip -j link show` prints it (the fields wxdp has). */
export interface LinkInfo {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  /** The root qdisc: noop until the link is first up, then noqueue (every kind wxdp has sends without a queue). */
  qdisc?: 'noop' | 'noqueue';
  operstate: 'UP' | 'DOWN' | 'UNKNOWN' | 'LOWERLAYERDOWN';
  linkmode?: 'DEFAULT';
  group?: 'default';
  /** tx_queue_len (ether_setup's 1000 for every kind wxdp has). */
  txqlen?: number;
  link_type: 'ether' | 'loopback' | 'none';
  address: string;
  broadcast: string;
  link?: string;
  /** What `ip -d` adds: the MTU range the link takes (0: none). */
  min_mtu?: number;
  max_mtu?: number;
  linkinfo?: { info_kind: string; info_data?: Record<string, unknown> };
  /** IFLA_INET6_ADDR_GEN_MODE (absent while the link has no IPv6: MTU below 1280). */
  inet6_addr_gen_mode?: 'eui64';
  /** The ring device's queue pairs (1 for links without one). */
  num_tx_queues?: number;
  num_rx_queues?: number;
  gso_max_size?: number;
  gso_max_segs?: number;
  tso_max_size?: number;
  tso_max_segs?: number;
  gro_max_size?: number;
}

export interface AddrSpec {
  /** "192.0.2.1/24" or "2001:db8::1/64" (no prefix: /32 or /128). */
  local: string;
  dev: string;
  /** `peer ADDR/LEN` (point-to-point). */
  peer?: string;
  /** `broadcast ADDR` or `+` (computed from the prefix). */
  broadcast?: string;
  scope?: 'global' | 'site' | 'link' | 'host' | number;
  label?: string;
  noprefixroute?: boolean;
  nodad?: boolean;
  /** Lifetimes in seconds (default forever). */
  validLft?: number;
  preferredLft?: number;
  /** `metric N`: the priority of the prefix route the address adds. */
  metric?: number;
}

/** An address as `ip -j addr show` prints it inside addr_info. */
export interface AddrInfo {
  family: Family;
  local: string;
  prefixlen: number;
  address?: string;
  /** The metric of the address's prefix route (`metric N`), when set. */
  metric?: number;
  broadcast?: string;
  scope: string;
  secondary?: boolean;
  nodad?: boolean;
  deprecated?: boolean;
  tentative?: boolean;
  noprefixroute?: boolean;
  /** Set for an address with a finite valid lifetime (iproute2 prints "dynamic" for !IFA_F_PERMANENT). */
  dynamic?: boolean;
  label?: string;
  valid_life_time: number;
  preferred_life_time: number;
}

/** A link with its addresses, as `ip -j addr show` prints each entry. */
export interface LinkAddrs extends Omit<LinkInfo, 'linkinfo'> {
  addr_info: AddrInfo[];
}

/** A link's counters, as `ip -s -j link show` prints them under stats64. */
export interface LinkStats {
  rx: { bytes: number; packets: number; errors: number; dropped: number };
  tx: { bytes: number; packets: number; errors: number; dropped: number };
}

export type RouteType = 'unicast' | 'local' | 'broadcast' | 'anycast' | 'multicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw' | 'nat';

export interface NexthopSpec {
  /** `via [inet|inet6] ADDR` */
  via?: string;
  dev?: string;
  /** `weight N` (1..256). */
  weight?: number;
  onlink?: boolean;
}

export interface RouteSpec {
  /** "198.51.100.0/24", "default", "2001:db8::/32" (no prefix: a host route). */
  dst: string;
  family?: Family;
  type?: RouteType;
  /** Table id or name (main, local, default); default main (local for local/broadcast/anycast/nat). */
  table?: number | 'main' | 'local' | 'default';
  /** Single path: via/dev/onlink/weight here; several: `nexthops`. */
  via?: string;
  dev?: string;
  onlink?: boolean;
  nexthops?: NexthopSpec[];
  /** `metric N` / `preference N` (default 0; IPv6 1024). */
  metric?: number;
  /** `tos N` / `dsfield N`. */
  tos?: number;
  scope?: 'global' | 'universe' | 'site' | 'link' | 'host' | 'nowhere' | number;
  /** `proto NAME|N` (boot by default; kernel for the routes addresses add). */
  protocol?: string | number;
  /** `src ADDR`. */
  src?: string;
  /** `from PREFIX`: an IPv6 source-specific route (CONFIG_IPV6_SUBTREES); ignored for IPv4, as by the kernel. */
  from?: string;
  /** `mtu N` (with `lock`: `mtuLock`). */
  mtu?: number;
  mtuLock?: boolean;
  /** `expires N` (IPv6: seconds of life on the stack's clock, 4294967295 forever; IPv4 ignores it). */
  expires?: number;
  /** RTA_METRICS other than the MTU, as the kernel keeps them (rtt ×8 and rttvar ×4 of ms, as iproute2 sends them). */
  metrics?: Partial<Record<RouteMetric, number>>;
  /** The metrics `lock`ed (RTAX_LOCK). */
  locks?: RouteMetric[];
  /** RTA_PREF (IPv6: ICMPV6_ROUTER_PREF_LOW 3, MEDIUM 0, HIGH 1; others are medium; IPv4 ignores it). */
  pref?: number;
}

/** The route metrics besides mtu, by RTAX number (RTAX_WINDOW 3 … RTAX_FASTOPEN_NO_COOKIE 17), in iproute2's names. */
export const ROUTE_METRICS = {
  window: 3, rtt: 4, rttvar: 5, ssthresh: 6, cwnd: 7, advmss: 8, reordering: 9, hoplimit: 10, initcwnd: 11, rto_min: 13, initrwnd: 14, quickack: 15,
  fastopen_no_cookie: 17,
} as const;
export type RouteMetric = keyof typeof ROUTE_METRICS;

/** A route as `ip -j route show` prints it. */
export interface RouteInfo {
  type?: RouteType;
  dst: string;
  /** An IPv6 source-specific route's source prefix. */
  from?: string;
  table?: string;
  protocol?: string;
  scope?: string;
  gateway?: string;
  dev?: string;
  prefsrc?: string;
  metric?: number;
  tos?: string;
  flags: string[];
  mtu?: number;
  /** RTAX_LOCK has RTAX_MTU: `mtu lock N`. */
  mtuLock?: boolean;
  /** The other metrics the route carries (those not 0), rtt and rttvar in the kernel's units. */
  metrics?: Partial<Record<RouteMetric, number>>;
  /** The metrics locked. */
  locks?: RouteMetric[];
  /** IPv6 RTA_PREF: low, medium or high. */
  pref?: string;
  /** IPv6 RTF_EXPIRES: seconds left, as rtnl_put_cacheinfo and ip print them. */
  expires?: number;
  nexthops?: Array<{ gateway?: string; dev: string; weight: number; flags: string[] }>;
}

export type RuleAction = 'lookup' | 'goto' | 'blackhole' | 'unreachable' | 'prohibit' | 'nop';

export interface RuleSpec {
  family?: Family;
  priority?: number;
  not?: boolean;
  from?: string;
  to?: string;
  iif?: string;
  oif?: string;
  /** fwmark VALUE[/MASK] */
  fwmark?: number;
  fwmask?: number;
  tos?: number;
  dscp?: number;
  ipproto?: number;
  sport?: [number, number];
  dport?: [number, number];
  action?: RuleAction;
  /** lookup TABLE (id or name) */
  table?: number | 'main' | 'local' | 'default';
  /** goto PRIORITY */
  goto?: number;
  suppressPrefixlength?: number;
  suppressIfgroup?: number;
  /** `uidrange START-END`: the flow's uid within it (locally generated traffic; the data path's is 0). */
  uidrange?: [number, number];
  /** FRA_PROTOCOL: who installed the rule (`protocol NAME|N`, default unspec; the kernel's own: kernel). */
  protocol?: string | number;
}

/** A rule as `ip -j rule show` prints it. */
export interface RuleInfo {
  priority: number;
  src: string;
  srclen?: number;
  dst?: string;
  dstlen?: number;
  not?: null;
  iif?: string;
  oif?: string;
  fwmark?: string;
  fwmask?: string;
  tos?: string;
  dscp?: string;
  ipproto?: string;
  sport?: string;
  dport?: string;
  table?: string;
  target?: number;
  /** A goto whose target priority no rule has (FIB_RULE_UNRESOLVED): `[unresolved]`. */
  unresolved?: boolean;
  action?: string;
  suppress_prefixlen?: number;
  uid_start?: number;
  uid_end?: number;
  /** FRA_PROTOCOL by name (every rule has one; ip shows it when not unspec or kernel, or with -d). */
  protocol?: string;
}

export type NudState = 'INCOMPLETE' | 'REACHABLE' | 'STALE' | 'DELAY' | 'PROBE' | 'FAILED' | 'NOARP' | 'PERMANENT' | 'NONE';

export interface NeighSpec {
  /** The neighbour's IPv4 or IPv6 address. */
  to: string;
  dev: string;
  lladdr?: string;
  /** `nud STATE` (default permanent, as `ip neigh add`). */
  nud?: Lowercase<Exclude<NudState, 'NONE'>> | 'noarp' | 'permanent';
  router?: boolean;
}

/** A neighbour as `ip -j neigh show` prints it. */
export interface NeighInfo {
  dst: string;
  dev: string;
  lladdr?: string;
  router?: null;
  /** -s: the timer's reference when one is armed (ip prints "ref N"). */
  refcnt?: number;
  /** -s: seconds since the entry was last used, confirmed, updated (nda_cacheinfo / USER_HZ). */
  used?: number;
  confirmed?: number;
  updated?: number;
  /** -s: probes sent in the current resolution. */
  probes?: number;
  /** NUD states; empty for NUD_NONE (iproute2 then prints no "state" key). */
  state: NudState[];
}
