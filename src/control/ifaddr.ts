// Addresses: dp.addresses (ip addr), with the routes the kernel adds and withdraws for them.
//
// IPv4 follows net/ipv4/devinet.c and fib_frontend.c: the address list in the kernel's order (primaries
// sorted by scope, a new address in the subnet of a primary becomes its secondary, secondaries last),
// deleting a primary takes its secondaries or, with promote_secondaries, promotes the first; routes as
// fib_add_ifaddr / fib_del_ifaddr make them (local and broadcast routes in table local, the prefix route
// in main, all proto kernel with the primary's address as prefsrc); lifetimes as check_lifetime.
//
// IPv6 follows net/ipv6/addrconf.c: the list sorted by scope (newest first within one), the local route
// in table local once the address is no longer tentative, the prefix route in main (metric 256), the
// link-local address from the MAC (EUI-64) and fe80::/64 and ff00::/8 when the link becomes ready, every
// address gone when the link goes down (keep_addr_on_down 0), lifetimes as addrconf_verify. wxdp runs no
// duplicate address detection: an address completes DAD at once when its link is ready, and until then
// stays tentative as the kernel's does.
//
//   add/del/flush ─▶ the lists here ─▶ published to the stack (netdev.ts ND_ADDR4 / ND_ADDR6, swapped whole)
//                                   └▶ dp.routes.kernelAdd / kernelDel (the kernel's fib_magic and addrconf
//                                      routes; each optional, called when the FIB implements it)
//
// The route side's contract (KernelRoutes below): kernelAdd(spec, ifindex) inserts as fib_magic does
// (NLM_F_CREATE | NLM_F_APPEND: an identical route is left alone), kernelDel(spec, ifindex) deletes the
// first route matching the fields given (fib_table_delete; none is no error), deviceDown(ifindex,
// familyDown(ifindex, family) flushes a device's routes of one family, host-scope ones too, addressGone(family, address, ifindex) drops routes whose prefsrc went away (fib_sync_down_addr /
// rt6_remove_prefsrc), kernelSetExpires(spec, ifindex, seconds) gives a prefix route a lifetime.

import type { Datapath } from './datapath.js';
import { NetError, type AddrInfo, type AddrSpec, type Family, type LinkAddrs, type LinkInfo, type RouteSpec } from './net_types.js';
import { ipv4Bytes, ipv4Text, ipv4TextOf, ipv6Bytes, ipv6Text, prefixBytes, prefixMatch } from './addresses.js';
import type { LinkView, NetdevExports } from './links.js';
import { ADDR_ENTRY_SIZE, ADDR_LIST_HEADER, AE, AF_INET, AF_INET6, CONF4, RT_SCOPE } from '../runtime/net_abi.js';

/** A route as the address side asks the FIB for it (a RouteSpec; `expires` in seconds for IPv6 prefixes). */
export type KernelRouteSpec = RouteSpec & { expires?: number };

/** The FIB's side of the contract (each method optional until the FIB implements it). */
export interface KernelRoutes {
  kernelAdd?(spec: KernelRouteSpec, ifindex: number): void;
  kernelDel?(spec: KernelRouteSpec, ifindex: number): void;
  kernelSetExpires?(spec: KernelRouteSpec, ifindex: number, expires: number): void;
  /**
   * fib_disable_ip(dev, NETDEV_DOWN, force) for one family: every route of `family` through the device
   * (host-scope ones too; a multipath route loses that next hop). The last IPv4 address of a device
   * went (fib_inetaddr_event), or MTU took IPv4 (below 68) or IPv6 (below 1280) off it.
   */
  familyDown?(ifindex: number, family: Family): void;
  addressGone?(family: Family, address: string, ifindex: number): void;
  /** fib_inetaddr_event NETDEV_UP: fib_sync_up(dev, RTNH_F_DEAD) after an IPv4 address's routes went in. */
  addressUp?(ifindex: number): void;
  /** modify_prefix_route: 'none' (no prefix route), 'gone' (deleted for another metric), 'kept' (lifetime set). */
  kernelModifyPrefix?(spec: KernelRouteSpec, ifindex: number, prio: number, seconds: number | undefined): 'none' | 'gone' | 'kept';
}

const INFINITY = 0xffffffff;
/** linux/if_addr.h */
const IFA_F = { SECONDARY: 0x01, NODAD: 0x02, OPTIMISTIC: 0x04, DADFAILED: 0x08, HOMEADDRESS: 0x10, DEPRECATED: 0x20, TENTATIVE: 0x40, PERMANENT: 0x80, MANAGETEMPADDR: 0x100, NOPREFIXROUTE: 0x200 } as const;
/** The flags iproute2 prints by name (print_ifa_flags order; PERMANENT is shown as the absence of "dynamic"). */
const IFA_FLAG_NAMES: ReadonlyArray<[number, 'secondary' | 'nodad' | 'deprecated' | 'tentative' | 'noprefixroute']> = [
  [IFA_F.SECONDARY, 'secondary'],
  [IFA_F.NODAD, 'nodad'],
  [IFA_F.DEPRECATED, 'deprecated'],
  [IFA_F.TENTATIVE, 'tentative'],
  [IFA_F.NOPREFIXROUTE, 'noprefixroute'],
];
/** ADDRCONF_TIMER_FUZZ_MINUS (HZ/50) in ms: lifetimes are checked this much early, batching events. */
const TIMER_FUZZ_MINUS_MS = 20;
/** IP6_RT_PRIO_ADDRCONF: the metric of the routes addrconf adds. */
const IP6_RT_PRIO_ADDRCONF = 256;
const IPV6_MIN_MTU = 1280;
/** inetdev_valid_mtu: IPv4 needs 68 bytes. */
const IPV4_MIN_MTU = 68;

/** An IPv4 address (struct in_ifaddr); addresses as host-order u32. */
interface Ifa4 {
  local: number;
  /** IFA_ADDRESS: the peer, or the local address again. */
  address: number;
  prefixlen: number;
  mask: number;
  /** 0: none. */
  broadcast: number;
  scope: number;
  flags: number;
  label: string;
  metric: number;
  /** Lifetimes in seconds (INFINITY: forever) from `tstamp` (ms, the stack's clock). */
  valid: number;
  preferred: number;
  tstamp: number;
}

/** An IPv6 address (struct inet6_ifaddr). */
interface Ifa6 {
  addr: Uint8Array;
  peer?: Uint8Array;
  prefixlen: number;
  /** RT_SCOPE_* (host, link, site, universe) as the kernel reports it. */
  scope: number;
  flags: number;
  metric: number;
  valid: number;
  preferred: number;
  tstamp: number;
  /** The local route is in the FIB (ifp->rt inserted: DAD done). */
  rtInserted: boolean;
}

/** One link's addresses: in_device and inet6_dev. */
interface DevAddrs {
  v4: Ifa4[];
  v6: Ifa6[];
  /** IPv4 enabled (in_device exists: MTU ≥ 68). */
  inet4: boolean;
  /** IPv6 enabled (inet6_dev exists: MTU ≥ 1280). */
  inet6: boolean;
  /** IF_READY: addrconf saw the link ready (link-local made, DAD runs). */
  ready6: boolean;
  /** The Subnet-Router anycast addresses the device holds (anycast6), as text. */
  ac6: Set<string>;
}

const SCOPE_NAMES: Record<number, string> = { 0: 'global', 200: 'site', 253: 'link', 254: 'host', 255: 'nowhere' };

export class Addresses {
  private readonly devs = new Map<number, DevAddrs>();
  private readonly x: NetdevExports;

  constructor(readonly dp: Datapath) {
    this.x = dp.fastPath.exports as unknown as NetdevExports;
    dp.stack.onAdvance((now) => this.expire(now));
  }

  // ---- ip addr add / del / flush / show ----

  /**
   * `ip addr add ADDR[/LEN] dev DEV [peer ADDR[/LEN]] [broadcast ADDR|+|-] [scope S] [label L]
   * [noprefixroute] [nodad] [metric N] [valid_lft S preferred_lft S]`, and with `replace` what
   * `ip addr replace` / `change` do to an address that exists (new lifetimes and metric).
   */
  add(spec: AddrSpec, opts: { replace?: boolean; change?: boolean } = {}): void {
    const link = this.link(spec.dev);
    const lft = lifetimes(spec);
    // `change` (NLM_F_REPLACE without NLM_F_CREATE) adds a missing address all the same, as both
    // inet_rtm_newaddr and inet6_rtm_newaddr do ("userspace already relies on" it)
    const replace = (opts.replace ?? false) || (opts.change ?? false);
    if (isV6(spec.local)) this.add6(link, spec, lft, replace);
    else this.add4(link, spec, lft, replace);
  }

  /**
   * `ip addr del ADDR[/LEN] dev DEV [peer ADDR/LEN] [label L]`. An IPv4 address given without a prefix
   * length matches on the address alone (iproute2's wildcard deletion); IPv6 always matches address and
   * prefix length (default /128).
   */
  del(spec: AddrSpec): void {
    const link = this.link(spec.dev);
    if (isV6(spec.local)) this.del6(link, spec);
    else this.del4(link, spec);
  }

  /**
   * `ip addr flush dev DEV [-4|-6]`: every address (of the family), in `ip addr show` order, deleted one
   * by one as iproute2 does; an address an earlier deletion already took (a secondary) is skipped.
   * Returns how many addresses went.
   */
  flush(dev: string, opts: { family?: Family } = {}): number {
    const link = this.link(dev);
    const d = this.dev(link.ifindex);
    let n = 0;
    if (opts.family !== 'inet6') {
      for (const ifa of [...d.v4]) {
        const i = d.v4.indexOf(ifa);
        if (i < 0) continue;
        this.inetDelIfa(link, d, i);
        n++;
      }
    }
    if (opts.family !== 'inet') {
      for (const ifa of [...d.v6]) {
        if (!d.v6.includes(ifa)) continue;
        this.ipv6DelAddr(link, d, ifa);
        n++;
      }
    }
    return n;
  }

  /**
   * Every address (of `dev`, of `family`) as `ip -j addr show` prints it inside addr_info, with the
   * link it is on: links in ifindex order, IPv4 before IPv6, each family in the kernel's order.
   */
  list(opts: { dev?: string; family?: Family } = {}): Array<AddrInfo & { dev: string }> {
    return this.show(opts).flatMap((l) => l.addr_info.map((a) => ({ dev: l.ifname, ...a })));
  }

  /**
   * `ip -j addr show [dev DEV] [-4|-6]`: each link (ifindex order) with its addresses, IPv4 first, as
   * iproute2 prints them. With a family, links without an address of that family are left out.
   */
  show(opts: { dev?: string; family?: Family } = {}): LinkAddrs[] {
    const links = opts.dev !== undefined ? [this.link(opts.dev).ifindex] : this.dp.links.indexes();
    const now = this.dp.stack.now();
    const out: LinkAddrs[] = [];
    for (const ifindex of links) {
      const d = this.dev(ifindex);
      const infos: AddrInfo[] = [];
      if (opts.family !== 'inet6') for (const a of d.v4) infos.push(this.info4(a, now));
      if (opts.family !== 'inet') for (const a of d.v6) infos.push(info6(a, now));
      if (opts.family !== undefined && infos.length === 0) continue;
      const { linkinfo: _omit, ...info } = this.dp.links.show(this.dp.links.name(ifindex)!) as LinkInfo;
      out.push({ ...info, addr_info: infos });
    }
    return out;
  }

  /**
   * inet_select_addr: the IPv4 source the stack picks for `dst` out of `dev` within `scope` (default
   * global), as route output and ICMP do; undefined when no device has one.
   */
  selectSource4(dev: string, dst: string, scope: AddrSpec['scope'] = 'global'): string | undefined {
    const ifindex = this.link(dev).ifindex;
    const b = ipv4Bytes(dst);
    const a = this.x.inet_select_addr(ifindex, (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0, scopeNumber(scope ?? 'global')) >>> 0;
    if (a === 0) return undefined;
    return ipv4Text(Uint8Array.of(a & 0xff, (a >>> 8) & 0xff, (a >>> 16) & 0xff, a >>> 24));
  }

  /**
   * ipv6_dev_get_saddr: the IPv6 source (RFC 6724) the stack picks for `dst`, out of `dev` when given;
   * undefined when there is none (EADDRNOTAVAIL).
   */
  selectSource6(dst: string, dev?: string): string | undefined {
    const ifindex = dev !== undefined ? this.link(dev).ifindex : 0;
    const buf = this.x.scratch_base() >>> 0;
    this.dp.memory.bytes().set(ipv6Bytes(dst), buf);
    if (this.x.ipv6_dev_get_saddr(ifindex, buf, buf + 16) !== 0) return undefined;
    return ipv6Text(this.dp.memory.bytes().slice(buf + 16, buf + 32));
  }

  /**
   * @internal What `ip route get` asks of the IPv4 addresses: the device holding local address `a`
   * (host-order u32; inet_lookup_ifaddr_rcu / __ip_dev_find, 0 when none), and whether `ifindex` has
   * an in_device and any address (no_addr in __fib_validate_source).
   */
  ifaddr4(a: number): number {
    for (const [ifindex, d] of this.devs) if (d.v4.some((f) => f.local === a)) return ifindex;
    return 0;
  }

  /** @internal in_device exists on `ifindex` (IPv4 enabled), and how many addresses it has. */
  inet4(ifindex: number): { inDev: boolean; count: number } {
    const d = this.devs.get(ifindex);
    return { inDev: d?.inet4 ?? false, count: d?.v4.length ?? 0 };
  }

  /** @internal inet6_dev exists on `ifindex` (IPv6 enabled: MTU ≥ 1280). */
  inet6(ifindex: number): boolean {
    return this.devs.get(ifindex)?.inet6 ?? false;
  }

  // ---- Link events (dp.links calls these as the kernel's notifiers run) ----

  /** @internal NETDEV_REGISTER: in_device and inet6_dev as the MTU allows. */
  linkAdded(ifindex: number, mtu: number): void {
    this.devs.set(ifindex, { v4: [], v6: [], inet4: mtu >= IPV4_MIN_MTU, inet6: mtu >= IPV6_MIN_MTU, ready6: false, ac6: new Set() });
  }

  /** @internal NETDEV_UNREGISTER: everything goes (the routes with the device, by deviceGone). */
  linkGone(ifindex: number): void {
    const d = this.devs.get(ifindex);
    if (!d) return;
    for (const a of d.v4) this.call('addressGone', 'inet', ipv4TextOf(a.local), ifindex);
    // IPv6: addrconf_ifdown takes the addresses without rt6_remove_prefsrc (the device's routes go with it)
    this.devs.delete(ifindex);
  }

  /**
   * @internal NETDEV_UP. IPv4: loopback gets 127.0.0.1/8, then fib_add_ifaddr for every address.
   * IPv6: the routes of permanent addresses come back (addrconf_permanent_addr), and when the link is
   * ready the link-local address, fe80::/64, ff00::/8 (or ::1 on loopback) and DAD for tentative ones.
   */
  linkUp(ifindex: number): void {
    const link = this.view(ifindex);
    const d = this.dev(ifindex);
    if (!d.inet4 && link.mtu >= IPV4_MIN_MTU) d.inet4 = true;
    for (const a of d.v4) this.fibAddIfaddr(link, d, a);
    if (d.inet4 && link.kind === 'loopback' && !d.v4.some((a) => a.local === 0x7f000001 && a.prefixlen === 8)) {
      // inetdev_event NETDEV_UP: lo gets 127.0.0.1/8 (its routes come with the insertion)
      this.insert4(link, d, newIfa4(0x7f000001, 0x7f000001, 8, 0, SCOPE_HOST, 0, link.name, 0, INFINITY, INFINITY, this.dp.stack.now()));
    }
    if (!d.inet6 && link.mtu >= IPV6_MIN_MTU) d.inet6 = true;
    if (!d.inet6) return;
    for (const a of [...d.v6]) {
      if ((a.flags & IFA_F.PERMANENT) === 0) continue;
      if ((a.flags & IFA_F.NOPREFIXROUTE) === 0) this.prefixRoute6(link, a.addr, a.prefixlen, a.metric, 0);
    }
    if (link.ready) this.linkReady(ifindex);
  }

  /** @internal NETDEV_CHANGE with the link now ready (carrier up while up): addrconf configures it once. */
  linkReady(ifindex: number): void {
    const link = this.view(ifindex);
    const d = this.dev(ifindex);
    if (!d.inet6 || d.ready6 || !link.up) return;
    d.ready6 = true;
    if (link.kind === 'loopback') {
      // init_loopback: ::1/128, host scope, never tentative
      if (!d.v6.some((a) => a.addr.every((b, i) => b === (i === 15 ? 1 : 0)))) {
        this.insert6(link, d, newIfa6(ipv6Bytes('::1'), undefined, 128, SCOPE_HOST, IFA_F.PERMANENT, 0, INFINITY, INFINITY, this.dp.stack.now()));
      }
    } else {
      // addrconf_dev_config: ff00::/8, then the EUI-64 link-local address and fe80::/64
      this.mroute6(link);
      const ll = eui64LinkLocal(link.mac);
      if (!d.v6.some((a) => equal16(a.addr, ll))) {
        const a = newIfa6(ll, undefined, 64, SCOPE_LINK, IFA_F.PERMANENT | IFA_F.TENTATIVE, 0, INFINITY, INFINITY, this.dp.stack.now());
        this.insert6(link, d, a);
        this.prefixRoute6(link, ll, 64, 0, 0);
      }
    }
    // addrconf_dad_run: DAD (taking no time here) completes for every tentative address
    for (const a of d.v6) this.dadComplete(link, a);
    this.publish6(ifindex);
  }

  /** @internal NETDEV_DOWN: IPv4 addresses stay (their routes went with deviceDown); IPv6 ones go. */
  linkDown(ifindex: number): void {
    const link = this.view(ifindex);
    const d = this.dev(ifindex);
    this.ifdown6(link, d);
  }

  /** @internal The MTU changed: IPv4 below 68 and IPv6 below 1280 are disabled, their addresses gone. */
  linkMtu(ifindex: number): void {
    const link = this.view(ifindex);
    const d = this.dev(ifindex);
    if (link.mtu < IPV4_MIN_MTU && d.inet4) {
      // inetdev_destroy: every address deleted (no promotion), then the device's IPv4 routes forced out
      while (d.v4.length > 0) {
        const a = d.v4.shift()!;
        this.fibDelIfaddr(link, d, a, undefined, true);
      }
      d.inet4 = false;
      this.publish4(ifindex);
      this.call('familyDown', ifindex, 'inet');
    } else if (link.mtu >= IPV4_MIN_MTU && !d.inet4) {
      d.inet4 = true;
    }
    if (link.mtu < IPV6_MIN_MTU && d.inet6) {
      this.ifdown6(link, d);
      d.inet6 = false;
      this.call('familyDown', ifindex, 'inet6');
    } else if (link.mtu >= IPV6_MIN_MTU && !d.inet6) {
      // NETDEV_CHANGEMTU re-creates inet6_dev and carries on as NETDEV_UP
      d.inet6 = true;
      if (link.up) this.linkUp(ifindex);
    }
  }

  /** @internal inetdev_changename: the first label becomes the new name, the others NEW:N (or NEW:suffix). */
  linkRenamed(ifindex: number): void {
    const link = this.view(ifindex);
    const d = this.dev(ifindex);
    d.v4.forEach((a, i) => {
      if (i === 0) {
        a.label = link.name;
        return;
      }
      const colon = a.label.indexOf(':');
      const suffix = colon >= 0 ? a.label.slice(colon) : `:${i + 1}`;
      a.label = suffix.length + link.name.length < 16 ? link.name + suffix : link.name.slice(0, 16 - suffix.length - 1) + suffix;
    });
  }

  // ---- IPv4 ----

  private add4(link: LinkView, spec: AddrSpec, lft: Lifetimes, replace: boolean): void {
    const local = parsePrefix4(spec.local);
    const peer = spec.peer !== undefined ? parsePrefix4(spec.peer) : undefined;
    // iproute2: the prefix length is the peer's when there is one (/32 unless given), else the local's
    const plen = peer ? peer.plen ?? 32 : local.plen ?? 32;
    const address = peer ? peer.addr : local.addr;
    const mask = maskOf(plen);
    let broadcast = 0;
    if (spec.broadcast === '+' || spec.broadcast === '-') {
      // iproute2 fills the host part of the peer (or local) address: ones for '+', zeros for '-'
      if (plen <= 30) broadcast = spec.broadcast === '+' ? (address | ~mask) >>> 0 : (address & mask) >>> 0;
    } else if (spec.broadcast !== undefined) {
      broadcast = parsePrefix4(spec.broadcast).addr;
    }
    const label = spec.label ?? link.name;
    if (label.length >= 16) throw new NetError('EINVAL', 'Error: Attribute failed policy validation.');
    const scope = spec.scope !== undefined ? scopeNumber(spec.scope) : local.addr >>> 24 === 127 ? SCOPE_HOST : 0;
    const d = this.dev(link.ifindex);
    if (!d.inet4) throw new NetError('ENOBUFS', 'RTNETLINK answers: No buffer space available');
    if (local.addr === 0) return; // __inet_insert_ifa ignores 0.0.0.0
    const ifa = newIfa4(local.addr, address, plen, broadcast, scope, spec.noprefixroute ? IFA_F.NOPREFIXROUTE : 0, label, spec.metric ?? 0, lft.valid, lft.preferred, this.dp.stack.now());
    const existing = d.v4.find((a) => a.mask === ifa.mask && ifaMatch(a.address, ifa) && a.local === ifa.local);
    if (existing) {
      if (!replace) throw new NetError('EEXIST', 'Error: ipv4: Address already assigned.');
      if (existing.metric !== ifa.metric) {
        this.fibModifyPrefixMetric(link, existing, ifa.metric);
        existing.metric = ifa.metric;
      }
      setLifetime4(existing, lft, this.dp.stack.now());
      this.publish4(link.ifindex);
      return;
    }
    this.insert4(link, d, ifa);
  }

  /** __inet_insert_ifa: where the address goes, whether it is a secondary; then its routes. */
  private insert4(link: LinkView, d: DevAddrs, ifa: Ifa4): void {
    let lastPrimary = 0;
    ifa.flags &= ~IFA_F.SECONDARY;
    for (let i = 0; i < d.v4.length; i++) {
      const a = d.v4[i]!;
      if ((a.flags & IFA_F.SECONDARY) === 0 && ifa.scope <= a.scope) lastPrimary = i + 1;
      if (a.mask === ifa.mask && ifaMatch(a.address, ifa)) {
        if (a.local === ifa.local) throw new NetError('EEXIST', 'Error: ipv4: Address already assigned.');
        if (a.scope !== ifa.scope) throw new NetError('EINVAL', 'Error: ipv4: Invalid scope value.');
        ifa.flags |= IFA_F.SECONDARY;
      }
    }
    d.v4.splice((ifa.flags & IFA_F.SECONDARY) !== 0 ? d.v4.length : lastPrimary, 0, ifa);
    this.publish4(link.ifindex);
    this.fibAddIfaddr(link, d, ifa);
    this.call('addressUp', link.ifindex);
  }

  private del4(link: LinkView, spec: AddrSpec): void {
    const local = parsePrefix4(spec.local);
    const peer = spec.peer !== undefined ? parsePrefix4(spec.peer) : undefined;
    const d = this.dev(link.ifindex);
    if (!d.inet4) throw new NetError('ENODEV', 'Error: ipv4: Device not found.');
    // IFA_ADDRESS goes with a prefix length or a peer; a bare address deletes by the local one alone
    const withAddress = peer !== undefined || local.plen !== undefined;
    const plen = peer ? peer.plen ?? 32 : local.plen ?? 32;
    const address = peer ? peer.addr : local.addr;
    const i = d.v4.findIndex(
      (a) => a.local === local.addr && (spec.label === undefined || a.label === spec.label) && (!withAddress || (a.prefixlen === plen && ifaMatch(address, a))),
    );
    if (i < 0) throw new NetError('EADDRNOTAVAIL', 'Error: ipv4: Address not found.');
    this.inetDelIfa(link, d, i);
  }

  /**
   * __inet_del_ifa: a primary takes its secondaries along, or with promote_secondaries the first of
   * them becomes primary (moved behind the last primary of its scope) and the others' routes are made
   * again with its address as prefsrc.
   */
  private inetDelIfa(link: LinkView, d: DevAddrs, k: number): void {
    const ifa1 = d.v4[k]!;
    const promoteOn = this.x.netdev_conf_get(link.ifindex, AF_INET, CONF4.PROMOTE_SECONDARIES) !== 0;
    let promote: Ifa4 | undefined;
    let prevProm: Ifa4 | undefined;
    // lastPrim: the address the promoted one goes behind (undefined: where ifa1 was)
    let lastPrim: Ifa4 | undefined;
    if ((ifa1.flags & IFA_F.SECONDARY) === 0) {
      for (let j = k + 1; j < d.v4.length; ) {
        const a = d.v4[j]!;
        if ((a.flags & IFA_F.SECONDARY) === 0 && ifa1.scope <= a.scope) lastPrim = a;
        if ((a.flags & IFA_F.SECONDARY) === 0 || ifa1.mask !== a.mask || !ifaMatch(ifa1.address, a)) {
          prevProm = a;
          j++;
          continue;
        }
        if (!promoteOn) {
          d.v4.splice(j, 1);
          this.publish4(link.ifindex);
          this.addressDown4(link, d, a);
        } else {
          promote = a;
          break;
        }
      }
    }
    if (promote) {
      // their prefsrc changes: the subnet's secondaries lose their routes now, get them back below
      for (let j = d.v4.indexOf(promote); j < d.v4.length; j++) {
        const a = d.v4[j]!;
        if (ifa1.mask === a.mask && ifaMatch(ifa1.address, a)) this.fibDelIfaddr(link, d, a, ifa1, false);
      }
    }
    const at = d.v4.indexOf(ifa1);
    d.v4.splice(at, 1);
    this.publish4(link.ifindex);
    this.addressDown4(link, d, ifa1);
    if (promote) {
      const pi = d.v4.indexOf(promote);
      const nextSec = d.v4.slice(pi + 1);
      if (prevProm) {
        d.v4.splice(pi, 1);
        d.v4.splice(lastPrim ? d.v4.indexOf(lastPrim) + 1 : at, 0, promote);
      }
      promote.flags &= ~IFA_F.SECONDARY;
      this.publish4(link.ifindex);
      this.fibAddIfaddr(link, d, promote);
      this.call('addressUp', link.ifindex);
      for (const a of nextSec) if (ifa1.mask === a.mask && ifaMatch(ifa1.address, a)) this.fibAddIfaddr(link, d, a);
    }
  }

  /** fib_inetaddr_event NETDEV_DOWN: the address's routes, and every IPv4 route of the device when it was the last. */
  private addressDown4(link: LinkView, d: DevAddrs, ifa: Ifa4): void {
    this.fibDelIfaddr(link, d, ifa, undefined, false);
    if (d.v4.length === 0) this.call('familyDown', link.ifindex, 'inet');
  }

  /** fib_add_ifaddr. */
  private fibAddIfaddr(link: LinkView, d: DevAddrs, ifa: Ifa4): void {
    const prefix = (ifa.address & ifa.mask) >>> 0;
    let prim: Ifa4 | undefined = ifa;
    if ((ifa.flags & IFA_F.SECONDARY) !== 0) {
      prim = byPrefix(d, prefix, ifa.mask);
      if (!prim) return;
    }
    this.fibMagic('add', 'local', ifa.local, 32, prim, link);
    if (!link.up) return;
    if (ifa.broadcast !== 0 && ifa.broadcast !== INFINITY) this.fibMagic('add', 'broadcast', ifa.broadcast, 32, prim, link);
    if (!zeronet(prefix) && (ifa.flags & IFA_F.SECONDARY) === 0 && (prefix !== ifa.local || ifa.prefixlen < 32)) {
      if ((ifa.flags & IFA_F.NOPREFIXROUTE) === 0) this.fibMagic('add', link.kind === 'loopback' ? 'local' : 'unicast', prefix, ifa.prefixlen, prim, link, ifa.metric);
      if (ifa.prefixlen < 31) this.fibMagic('add', 'broadcast', (prefix | ~ifa.mask) >>> 0, 32, prim, link);
    }
  }

  /**
   * fib_del_ifaddr: the routes the address made, but not those another address still needs (same local
   * address, same broadcast, a primary's subnet broadcast). `iprim`: on promotion, the deleted primary
   * whose subnet counts as gone. `dead`: the device's IPv4 is being destroyed (no scan).
   */
  private fibDelIfaddr(link: LinkView, d: DevAddrs, ifa: Ifa4, iprim: Ifa4 | undefined, dead: boolean): void {
    const LOCAL_OK = 1;
    const BRD_OK = 2;
    const BRD0_OK = 4;
    const BRD1_OK = 8;
    const brd = (ifa.address | ~ifa.mask) >>> 0;
    const any = (ifa.address & ifa.mask) >>> 0;
    let prim: Ifa4 | undefined = ifa;
    let prim1: Ifa4 | undefined;
    let ok = 0;
    let subnet = false;
    let gone = true;
    let samePrefsrc = false;
    if ((ifa.flags & IFA_F.SECONDARY) !== 0) {
      prim = byPrefix(d, any, ifa.mask);
      if (!prim || (iprim && iprim !== prim)) return;
    } else if (!zeronet(any) && (any !== ifa.local || ifa.prefixlen < 32)) {
      if ((ifa.flags & IFA_F.NOPREFIXROUTE) === 0) this.fibMagic('del', link.kind === 'loopback' ? 'local' : 'unicast', any, ifa.prefixlen, prim, link);
      subnet = true;
    }
    if (!dead) {
      for (const ifa1 of d.v4) {
        if (ifa1 === ifa) {
          gone = false; // promotion: the address stays
          continue;
        }
        if (iprim && ifa1.mask === iprim.mask && ifaMatch(ifa1.address, iprim)) continue;
        if ((ifa1.flags & IFA_F.SECONDARY) !== 0) {
          if (ifa1.mask === prim.mask && ifaMatch(ifa1.address, prim)) prim1 = prim;
          else {
            if (!samePrefsrc) continue;
            if (!prim1 || ifa1.mask !== prim1.mask || !ifaMatch(ifa1.address, prim1)) prim1 = byPrefix(d, ifa1.address, ifa1.mask);
            if (!prim1 || prim1.local !== prim.local) continue;
          }
        } else {
          if (prim.local !== ifa1.local) continue;
          prim1 = ifa1;
          if (prim !== prim1) samePrefsrc = true;
        }
        if (ifa.local === ifa1.local) ok |= LOCAL_OK;
        if (ifa.broadcast === ifa1.broadcast) ok |= BRD_OK;
        if (brd === ifa1.broadcast) ok |= BRD1_OK;
        if (any === ifa1.broadcast) ok |= BRD0_OK;
        // a primary has its subnet broadcast
        if (prim1 === ifa1 && ifa1.prefixlen < 31) {
          const brd1 = (ifa1.address | ~ifa1.mask) >>> 0;
          const any1 = (ifa1.address & ifa1.mask) >>> 0;
          if (!zeronet(any1)) {
            if (ifa.broadcast === brd1 || ifa.broadcast === any1) ok |= BRD_OK;
            if (brd === brd1 || brd === any1) ok |= BRD1_OK;
            if (any === brd1 || any === any1) ok |= BRD0_OK;
          }
        }
      }
    }
    if (!(ok & BRD_OK)) this.fibMagic('del', 'broadcast', ifa.broadcast, 32, prim, link);
    if (subnet && ifa.prefixlen < 31) {
      if (!(ok & BRD1_OK)) this.fibMagic('del', 'broadcast', brd, 32, prim, link);
      if (!(ok & BRD0_OK)) this.fibMagic('del', 'broadcast', any, 32, prim, link);
    }
    if (!(ok & LOCAL_OK)) {
      this.fibMagic('del', 'local', ifa.local, 32, prim, link);
      // the local address is gone from the device: routes using it as prefsrc go too (fib_sync_down_addr)
      if (gone && !d.v4.some((a) => a.local === ifa.local)) this.call('addressGone', 'inet', ipv4TextOf(ifa.local), link.ifindex);
    }
  }

  /** fib_modify_prefix_metric (ip addr replace ... metric N): the prefix route with the new metric, the old one out. */
  private fibModifyPrefixMetric(link: LinkView, ifa: Ifa4, metric: number): void {
    const prefix = (ifa.address & ifa.mask) >>> 0;
    if (!link.up || (ifa.flags & (IFA_F.SECONDARY | IFA_F.NOPREFIXROUTE)) !== 0 || zeronet(prefix) || (prefix === ifa.local && ifa.prefixlen === 32)) return;
    const type = link.kind === 'loopback' ? 'local' : 'unicast';
    this.fibMagic('add', type, prefix, ifa.prefixlen, ifa, link, metric);
    this.fibMagic('del', type, prefix, ifa.prefixlen, ifa, link, ifa.metric);
  }

  /** fib_magic: a kernel route for an address (type local and broadcast in table local, unicast in main). */
  private fibMagic(cmd: 'add' | 'del', type: 'local' | 'broadcast' | 'unicast', dst: number, plen: number, prim: Ifa4, link: LinkView, metric = 0): void {
    const spec: KernelRouteSpec = {
      family: 'inet',
      dst: `${ipv4TextOf(dst)}/${plen}`,
      type,
      table: type === 'unicast' ? 'main' : 'local',
      protocol: 'kernel',
      scope: type === 'local' ? 'host' : 'link',
      src: ipv4TextOf(prim.local),
      dev: link.name,
    };
    if (metric !== 0 || cmd === 'add') spec.metric = metric;
    this.route(cmd, spec, link.ifindex);
  }

  private info4(a: Ifa4, now: number): AddrInfo {
    const [valid, preferred] = remaining(a, now);
    const out: Record<string, unknown> = { family: 'inet', local: ipv4TextOf(a.local) };
    if (a.address !== a.local) out.address = ipv4TextOf(a.address);
    out.prefixlen = a.prefixlen;
    if (a.metric !== 0) out.metric = a.metric;
    if (a.broadcast !== 0) out.broadcast = ipv4TextOf(a.broadcast);
    out.scope = SCOPE_NAMES[a.scope] ?? String(a.scope);
    for (const [bit, name] of IFA_FLAG_NAMES) if ((a.flags & bit) !== 0) out[name] = true;
    if ((a.flags & IFA_F.PERMANENT) === 0) out.dynamic = true;
    out.label = a.label;
    out.valid_life_time = valid;
    out.preferred_life_time = preferred;
    return out as unknown as AddrInfo;
  }

  private publish4(ifindex: number): void {
    const d = this.dev(ifindex);
    this.publish(ifindex, AF_INET, d.v4.length, (v, e, i) => {
      const a = d.v4[i]!;
      v.setUint32(e + AE.ADDR, a.local, false);
      v.setUint32(e + AE.PEER, a.address, false);
      v.setUint32(e + AE.BROADCAST, a.broadcast, false);
      v.setUint8(e + AE.PREFIXLEN, a.prefixlen);
      v.setUint8(e + AE.SCOPE, a.scope);
      v.setUint16(e + AE.FLAGS, a.flags & 0xffff, true);
      v.setUint32(e + AE.PREFERRED, lifetimeEnd(a.tstamp, a.preferred), true);
      v.setUint32(e + AE.VALID, lifetimeEnd(a.tstamp, a.valid), true);
    });
  }

  // ---- IPv6 ----

  private add6(link: LinkView, spec: AddrSpec, lft: Lifetimes, replace: boolean): void {
    const local = parsePrefix6(spec.local);
    const peer = spec.peer !== undefined ? parsePrefix6(spec.peer) : undefined;
    const plen = peer ? peer.plen ?? 128 : local.plen ?? 128;
    const d = this.dev(link.ifindex);
    // with no inet6_dev (MTU below 1280) adding fails without an extended ack, deleting with one
    if (!d.inet6) throw new NetError('EINVAL', 'RTNETLINK answers: Invalid argument');
    const existing = d.v6.find((a) => equal16(a.addr, local.addr));
    if (existing) {
      if (!replace) throw new NetError('EEXIST', 'Error: ipv6: address already assigned.');
      this.modify6(link, existing, spec, lft);
      return;
    }
    const kind = addrKind6(local.addr);
    if (kind === 'any') throw new NetError('EADDRNOTAVAIL', 'Error: ipv6: Invalid address.');
    if (kind === 'multicast') throw new NetError('EINVAL', 'Error: ipv6: Cannot assign multicast address without "IFA_F_MCAUTOJOIN" flag.');
    if (kind === 'loopback' && link.kind !== 'loopback') throw new NetError('EADDRNOTAVAIL', 'Error: ipv6: Cannot assign loopback address on this device.');
    // addrconf_add_dev: the multicast route comes with the first address of a device that is up
    if (link.up && link.kind !== 'loopback') this.mroute6(link);
    let flags = (spec.nodad ? IFA_F.NODAD : 0) | (spec.noprefixroute ? IFA_F.NOPREFIXROUTE : 0);
    if (lft.valid === INFINITY) flags |= IFA_F.PERMANENT;
    if (lft.preferred === 0) flags |= IFA_F.DEPRECATED;
    if ((flags & IFA_F.NODAD) === 0) flags |= IFA_F.TENTATIVE;
    const ifa = newIfa6(local.addr, peer?.addr, plen, scope6(local.addr), flags, spec.metric ?? 0, lft.valid, lft.preferred, this.dp.stack.now());
    this.insert6(link, d, ifa);
    if ((flags & IFA_F.NOPREFIXROUTE) === 0) this.prefixRoute6(link, ifa.addr, plen, ifa.metric, lft.valid !== INFINITY ? lft.valid : 0);
    this.dadStart(link, d, ifa);
    this.publish6(link.ifindex);
  }

  /** inet6_addr_modify (ip addr replace/change on an existing address): lifetimes, flags, metric. */
  private modify6(link: LinkView, a: Ifa6, spec: AddrSpec, lft: Lifetimes): void {
    // only a permanent address had a prefix route for inet6_addr_modify to withdraw (had_prefixroute)
    const hadPrefixRoute = (a.flags & IFA_F.PERMANENT) !== 0 && (a.flags & IFA_F.NOPREFIXROUTE) === 0;
    // `if (cfg->rt_priority && cfg->rt_priority != ifp->rt_priority)`: no metric (or metric 0) keeps the address's
    // (IPv4's inet_rtm_newaddr sets it whatever it is: fib_modify_prefix_metric above)
    const metric = spec.metric ? spec.metric : a.metric;
    a.flags &= ~(IFA_F.PERMANENT | IFA_F.DEPRECATED | IFA_F.NODAD | IFA_F.NOPREFIXROUTE);
    a.flags |= (spec.nodad ? IFA_F.NODAD : 0) | (spec.noprefixroute ? IFA_F.NOPREFIXROUTE : 0);
    if (lft.valid === INFINITY) a.flags |= IFA_F.PERMANENT;
    if (lft.preferred === 0) a.flags |= IFA_F.DEPRECATED;
    a.valid = lft.valid;
    a.preferred = lft.preferred;
    a.tstamp = this.dp.stack.now();
    if (!spec.noprefixroute) {
      a.metric = metric;
      const expires = lft.valid !== INFINITY ? lft.valid : 0;
      // modify_prefix_route: the first prefix route through the device, whichever address (or user) made it,
      // is replaced when its metric is not the address's, else given the new lifetime; none (ENOENT): added
      const routes = this.dp.routes as unknown as KernelRoutes;
      const rc = hadPrefixRoute && routes.kernelModifyPrefix ? routes.kernelModifyPrefix(this.prefixSpec6(link, a.addr, a.prefixlen), link.ifindex, metric || IP6_RT_PRIO_ADDRCONF, expires || undefined) : 'none';
      if (rc !== 'kept') this.prefixRoute6(link, a.addr, a.prefixlen, metric, expires);
    } else {
      a.metric = metric;
      // noprefixroute now: the prefix route goes as when the address is deleted, only if no other address of the
      // prefix needs it (check_cleanup_prefix_route, cleanup_prefix_route)
      if (hadPrefixRoute) this.cleanupPrefixRoute6(link, this.dev(link.ifindex), a);
    }
    this.publish6(link.ifindex);
  }

  /** ipv6_link_dev_addr: before the first address of the same or a smaller scope (global first, newest first). */
  private insert6(link: LinkView, d: DevAddrs, ifa: Ifa6): void {
    const s = srcScope6(ifa.addr);
    const at = d.v6.findIndex((a) => s >= srcScope6(a.addr));
    d.v6.splice(at < 0 ? d.v6.length : at, 0, ifa);
    this.publish6(link.ifindex);
  }

  /**
   * addrconf_dad_start, with DAD taking no time: an address completes at once when it asked for no DAD,
   * its device does no ARP/ND (NOARP, loopback) or its link is ready; otherwise it stays tentative until
   * the link is.
   */
  private dadStart(link: LinkView, d: DevAddrs, ifa: Ifa6): void {
    const noDad = (ifa.flags & IFA_F.NODAD) !== 0 || link.kind === 'loopback' || link.kind === 'dummy';
    if (noDad || d.ready6) this.dadComplete(link, ifa);
  }

  /** addrconf_dad_completed: not tentative any more; the local route (and a peer's) into the FIB. */
  private dadComplete(link: LinkView, ifa: Ifa6): void {
    ifa.flags &= ~(IFA_F.TENTATIVE | IFA_F.OPTIMISTIC | IFA_F.DADFAILED);
    if (ifa.rtInserted) return;
    ifa.rtInserted = true;
    this.route('add', { family: 'inet6', dst: `${ipv6Text(ifa.addr)}/128`, type: 'local', table: 'local', protocol: 'kernel', metric: 0, dev: link.name }, link.ifindex);
    if (ifa.peer) this.prefixRoute6(link, ifa.peer, 128, ifa.metric, 0);
    this.anycast6(link, this.dev(link.ifindex));
  }

  /** @internal net.ipv{4,6}.conf.*.forwarding was written: dev_forward_change joins or leaves the anycast addresses. */
  forwardingChanged(): void {
    for (const [ifindex, d] of this.devs) {
      const link = this.dp.links.view(ifindex);
      if (link) this.anycast6(link, d);
    }
  }

  /**
   * addrconf_join_anycast / addrconf_leave_anycast: a device that forwards holds the Subnet-Router
   * anycast address (RFC 4291 §2.6.1: the prefix with an interface identifier of zero) of each of its
   * addresses past DAD whose prefix is shorter than /127 and not all zero; __ipv6_dev_ac_inc puts it in
   * table local as an anycast route (addrconf_f6i_alloc), and the last address of the prefix to go
   * (its refcount) takes it out. Run wherever that set can change: DAD completed (__ipv6_ifa_notify
   * RTM_NEWADDR), an address deleted (RTM_DELADDR), the device down, forwarding written.
   */
  private anycast6(link: LinkView, d: DevAddrs): void {
    const want = new Set<string>();
    if (d.inet6 && (this.dp.sysctls.conf6Of(link.ifindex, 'forwarding') ?? 0) !== 0) {
      for (const a of d.v6) {
        if ((a.flags & IFA_F.TENTATIVE) !== 0 || !a.rtInserted || a.prefixlen >= 127) continue;
        const p = prefixBytes(a.addr, a.prefixlen);
        if (p.some((b) => b !== 0)) want.add(ipv6Text(p));
      }
    }
    const spec = (p: string): KernelRouteSpec => ({ family: 'inet6', dst: `${p}/128`, type: 'anycast', table: 'local', protocol: 'kernel', metric: 0, dev: link.name });
    for (const p of [...d.ac6]) {
      if (want.has(p)) continue;
      d.ac6.delete(p);
      this.route('del', spec(p), link.ifindex);
    }
    for (const p of want) {
      if (d.ac6.has(p)) continue;
      d.ac6.add(p);
      this.route('add', spec(p), link.ifindex);
    }
  }

  private del6(link: LinkView, spec: AddrSpec): void {
    const local = parsePrefix6(spec.local);
    const plen = local.plen ?? 128;
    const d = this.dev(link.ifindex);
    if (!d.inet6) throw new NetError('ENXIO', 'Error: ipv6: IPv6 is disabled on this device.');
    const ifa = d.v6.find((a) => a.prefixlen === plen && equal16(a.addr, local.addr));
    if (!ifa) throw new NetError('EADDRNOTAVAIL', 'Error: ipv6: address not found.');
    this.ipv6DelAddr(link, d, ifa);
  }

  /**
   * ipv6_del_addr: out of the list, its local (and peer) route out of the FIB, and the prefix route too
   * when no other permanent address (or one without a prefix route of its own) of the same prefix and
   * length needs it; with only dynamic ones left it gets their longest lifetime instead.
   */
  private ipv6DelAddr(link: LinkView, d: DevAddrs, ifa: Ifa6): void {
    const cleanup = (ifa.flags & IFA_F.PERMANENT) !== 0 && (ifa.flags & IFA_F.NOPREFIXROUTE) === 0;
    d.v6.splice(d.v6.indexOf(ifa), 1);
    this.publish6(link.ifindex);
    if (ifa.peer) this.route('del', this.prefixSpec6(link, ifa.peer, 128), link.ifindex);
    if (ifa.rtInserted) this.route('del', { family: 'inet6', dst: `${ipv6Text(ifa.addr)}/128`, type: 'local', table: 'local', dev: link.name }, link.ifindex);
    this.anycast6(link, d);
    if (cleanup) this.cleanupPrefixRoute6(link, d, ifa);
    this.call('addressGone', 'inet6', ipv6Text(ifa.addr), link.ifindex);
  }

  /**
   * check_cleanup_prefix_route then cleanup_prefix_route for `ifa`'s prefix route (the address itself is
   * not counted, whether still listed or not): kept when another address of the same prefix and length is
   * permanent or has no prefix route of its own; given the longest lifetime of the dynamic ones otherwise;
   * deleted when there is none.
   */
  private cleanupPrefixRoute6(link: LinkView, d: DevAddrs, ifa: Ifa6): void {
    let action: 'del' | 'expire' = 'del';
    let expires = 0;
    const now = this.dp.stack.now();
    for (const a of d.v6) {
      if (a === ifa || a.prefixlen !== ifa.prefixlen || !prefixMatch(a.addr, ifa.addr, ifa.prefixlen)) continue;
      if ((a.flags & (IFA_F.PERMANENT | IFA_F.NOPREFIXROUTE)) !== 0) return;
      action = 'expire';
      expires = Math.max(expires, Math.ceil((a.tstamp + a.valid * 1000 - now) / 1000));
    }
    if (action === 'del') this.route('del', this.prefixSpec6(link, ifa.addr, ifa.prefixlen), link.ifindex);
    else this.call('kernelSetExpires', this.prefixSpec6(link, ifa.addr, ifa.prefixlen), link.ifindex, expires);
  }

  /** addrconf_ifdown (not unregistering, keep_addr_on_down 0): every address goes, DAD state with them. */
  private ifdown6(link: LinkView, d: DevAddrs): void {
    const had = d.v6.length > 0;
    const gone = d.v6.splice(0);
    d.ready6 = false;
    if (had) this.publish6(link.ifindex);
    // rt6_disable_ip flushed the device's routes (deviceDown); the local ones are deleted by the address too
    for (const a of gone) {
      if (a.rtInserted) this.route('del', { family: 'inet6', dst: `${ipv6Text(a.addr)}/128`, type: 'local', table: 'local', dev: link.name }, link.ifindex);
    }
    this.anycast6(link, d);
  }

  /** addrconf_prefix_route: the prefix route in main (metric 256 unless the address has one), `expires` in s (0: none). */
  private prefixRoute6(link: LinkView, addr: Uint8Array, plen: number, metric: number, expires: number): void {
    if (!link.up) return; // ip6_route_add refuses a device that is down (ENETDOWN, ignored)
    const spec = this.prefixSpec6(link, addr, plen, metric);
    if (expires > 0) spec.expires = expires;
    this.route('add', spec, link.ifindex);
  }

  /**
   * The prefix route of an address; `metric` given for adding (0: IP6_RT_PRIO_ADDRCONF), left out for
   * finding one to withdraw, as addrconf_get_prefix_route matches prefix and device alone.
   */
  private prefixSpec6(link: LinkView, addr: Uint8Array, plen: number, metric?: number): KernelRouteSpec {
    const spec: KernelRouteSpec = { family: 'inet6', dst: `${ipv6Text(prefixBytes(addr, plen))}/${plen}`, type: 'unicast', table: 'main', protocol: 'kernel', dev: link.name };
    if (metric !== undefined) spec.metric = metric || IP6_RT_PRIO_ADDRCONF;
    return spec;
  }

  /** addrconf_add_mroute: ff00::/8 in table local. */
  private mroute6(link: LinkView): void {
    if (!link.up) return;
    this.route('add', { family: 'inet6', dst: 'ff00::/8', type: 'multicast', table: 'local', protocol: 'kernel', metric: IP6_RT_PRIO_ADDRCONF, dev: link.name }, link.ifindex);
  }

  private publish6(ifindex: number): void {
    const d = this.dev(ifindex);
    this.publish(ifindex, AF_INET6, d.v6.length, (v, e, i, bytes) => {
      const a = d.v6[i]!;
      bytes.set(a.addr, e + AE.ADDR);
      bytes.set(a.peer ?? a.addr, e + AE.PEER);
      v.setUint8(e + AE.PREFIXLEN, a.prefixlen);
      v.setUint8(e + AE.SCOPE, a.scope);
      v.setUint16(e + AE.FLAGS, a.flags & 0xffff, true);
      v.setUint32(e + AE.PREFERRED, lifetimeEnd(a.tstamp, a.preferred), true);
      v.setUint32(e + AE.VALID, lifetimeEnd(a.tstamp, a.valid), true);
    });
  }

  // ---- Lifetimes ----

  /**
   * The clock moved: IPv4 addresses past their valid lifetime are deleted and past their preferred one
   * deprecated (check_lifetime); IPv6 ones likewise (addrconf_verify), both with the kernel's fuzz.
   */
  private expire(now: number): void {
    for (const [ifindex, d] of this.devs) {
      const link = this.dp.links.view(ifindex);
      if (!link) continue;
      let changed4 = false;
      for (const a of [...d.v4]) {
        if ((a.flags & IFA_F.PERMANENT) !== 0 || !d.v4.includes(a)) continue;
        const age = Math.floor((now - a.tstamp + TIMER_FUZZ_MINUS_MS) / 1000);
        if (a.valid !== INFINITY && age >= a.valid) this.inetDelIfa(link, d, d.v4.indexOf(a));
        else if (a.preferred !== INFINITY && age >= a.preferred && (a.flags & IFA_F.DEPRECATED) === 0) {
          a.flags |= IFA_F.DEPRECATED;
          changed4 = true;
        }
      }
      if (changed4) this.publish4(ifindex);
      let changed6 = false;
      for (const a of [...d.v6]) {
        if (!d.v6.includes(a) || ((a.flags & IFA_F.PERMANENT) !== 0 && a.preferred === INFINITY)) continue;
        const age = Math.floor((now - a.tstamp + TIMER_FUZZ_MINUS_MS) / 1000);
        if (a.valid !== INFINITY && age >= a.valid) this.ipv6DelAddr(link, d, a);
        else if (a.preferred !== INFINITY && age >= a.preferred && (a.flags & IFA_F.DEPRECATED) === 0) {
          a.flags |= IFA_F.DEPRECATED;
          changed6 = true;
        }
      }
      if (changed6) this.publish6(ifindex);
    }
  }

  // ---- Plumbing ----

  private link(name: string): LinkView {
    return this.view(this.dp.links.ifindex(name));
  }

  private view(ifindex: number): LinkView {
    const v = this.dp.links.view(ifindex);
    if (!v) throw new NetError('ENODEV', `Cannot find device "${ifindex}"`);
    return v;
  }

  private dev(ifindex: number): DevAddrs {
    let d = this.devs.get(ifindex);
    if (!d) {
      this.linkAdded(ifindex, this.view(ifindex).mtu);
      d = this.devs.get(ifindex)!;
    }
    return d;
  }

  /** One kernel route op. */
  private route(cmd: 'add' | 'del', spec: KernelRouteSpec, ifindex: number): void {
    this.call(cmd === 'add' ? 'kernelAdd' : 'kernelDel', spec, ifindex);
  }

  /**
   * Call the FIB's side of the contract when it implements it; its refusals (a route already there or
   * not there) are ignored, as fib_magic and addrconf ignore them.
   */
  private call<K extends keyof KernelRoutes>(name: K, ...args: Parameters<NonNullable<KernelRoutes[K]>>): void {
    const routes = this.dp.routes as unknown as KernelRoutes;
    const fn = routes[name] as ((...a: unknown[]) => void) | undefined;
    if (typeof fn !== 'function') return;
    try {
      fn.apply(routes, args);
    } catch (e) {
      if (!(e instanceof NetError)) throw e;
    }
  }

  /** Build a new address list for the stack and swap it in (the old one is retired, then reusable). */
  private publish(ifindex: number, family: number, n: number, fill: (v: DataView, e: number, i: number, bytes: Uint8Array) => void): void {
    let list = 0;
    if (n > 0) {
      list = this.x.netdev_addrs_alloc(n) >>> 0;
      if (list === 0) throw new NetError('ENOMEM', 'RTNETLINK answers: Cannot allocate memory');
      const v = this.dp.memory.view();
      const bytes = this.dp.memory.bytes();
      for (let i = 0; i < n; i++) fill(v, list + ADDR_LIST_HEADER + i * ADDR_ENTRY_SIZE, i, bytes);
    }
    this.x.netdev_addrs_publish(ifindex, family, list);
    // one control thread: nothing reads the old list once the store is done (workers: after their epochs)
    this.x.netdev_quiesce();
    this.x.fibGenBump();
  }
}

// ---- Helpers ----

const SCOPE_HOST = RT_SCOPE.HOST;
const SCOPE_LINK = RT_SCOPE.LINK;

interface Lifetimes {
  valid: number;
  preferred: number;
}

/** valid_lft / preferred_lft as iproute2 checks them (seconds; forever: INFINITY). */
function lifetimes(spec: AddrSpec): Lifetimes {
  const valid = spec.validLft ?? INFINITY;
  const preferred = spec.preferredLft ?? INFINITY;
  for (const [v, name] of [[valid, 'valid_lft'], [preferred, 'preferred_lft']] as const) {
    if (!Number.isInteger(v) || v < 0 || v > INFINITY) throw new NetError('EINVAL', `Error: argument "${v}" is wrong: ${name} value`);
  }
  if (valid === 0) throw new NetError('EINVAL', 'valid_lft is zero');
  if (preferred > valid) throw new NetError('EINVAL', 'preferred_lft is greater than valid_lft');
  return { valid, preferred };
}

/** set_ifa_lifetime. */
function setLifetime4(a: Ifa4, lft: Lifetimes, now: number): void {
  a.flags &= ~(IFA_F.PERMANENT | IFA_F.DEPRECATED);
  if (lft.valid === INFINITY) a.flags |= IFA_F.PERMANENT;
  if (lft.preferred === 0) a.flags |= IFA_F.DEPRECATED;
  a.valid = lft.valid;
  a.preferred = lft.preferred;
  a.tstamp = now;
}

function newIfa4(local: number, address: number, prefixlen: number, broadcast: number, scope: number, flags: number, label: string, metric: number, valid: number, preferred: number, now: number): Ifa4 {
  const a: Ifa4 = { local, address, prefixlen, mask: maskOf(prefixlen), broadcast, scope, flags, label, metric, valid, preferred, tstamp: now };
  setLifetime4(a, { valid, preferred }, now);
  return a;
}

function newIfa6(addr: Uint8Array, peer: Uint8Array | undefined, prefixlen: number, scope: number, flags: number, metric: number, valid: number, preferred: number, now: number): Ifa6 {
  return { addr, ...(peer ? { peer } : {}), prefixlen, scope, flags, metric, valid, preferred, tstamp: now, rtInserted: false };
}

/**
 * What inet_fill_ifaddr / inet6_fill_ifaddr report as the lifetimes left: forever for permanent
 * addresses; else each minus the whole seconds passed, except that a valid lifetime is only counted
 * down when the preferred one is finite (the kernel's own quirk, kept).
 */
function remaining(a: { flags: number; valid: number; preferred: number; tstamp: number }, now: number): [number, number] {
  if ((a.flags & IFA_F.PERMANENT) !== 0 && a.preferred === INFINITY) return [INFINITY, INFINITY];
  let preferred = a.preferred;
  let valid = a.valid;
  if (preferred !== INFINITY) {
    const tval = Math.floor((now - a.tstamp) / 1000);
    preferred = preferred > tval ? preferred - tval : 0;
    if (valid !== INFINITY) valid = valid > tval ? valid - tval : 0;
  }
  return [valid, preferred];
}

function info6(a: Ifa6, now: number): AddrInfo {
  const [valid, preferred] = remaining(a, now);
  const out: Record<string, unknown> = { family: 'inet6', local: ipv6Text(a.addr) };
  if (a.peer) out.address = ipv6Text(a.peer);
  out.prefixlen = a.prefixlen;
  if (a.metric !== 0) out.metric = a.metric;
  out.scope = SCOPE_NAMES[a.scope] ?? String(a.scope);
  for (const [bit, name] of IFA_FLAG_NAMES) {
    // for IPv6 the SECONDARY bit is "temporary"; wxdp makes no temporary addresses
    if (bit !== IFA_F.SECONDARY && (a.flags & bit) !== 0) out[name] = true;
  }
  if ((a.flags & IFA_F.PERMANENT) === 0) out.dynamic = true;
  out.valid_life_time = valid;
  out.preferred_life_time = preferred;
  return out as unknown as AddrInfo;
}

/** The ms-clock instant a lifetime ends, as the stack's address entries hold it (u32; forever: 0xffffffff). */
function lifetimeEnd(tstamp: number, seconds: number): number {
  if (seconds === INFINITY) return INFINITY;
  return Math.min(INFINITY - 1, tstamp + seconds * 1000);
}

function isV6(text: string): boolean {
  return text.includes(':');
}

/**
 * "ADDR[/LEN]" as iproute2's get_prefix reads it: the address bytes (`parse` throws on a bad one) and
 * the length when given, at most `max`; anything else is iproute2's "any valid prefix" error.
 */
function parsePrefix(text: string, parse: (t: string) => Uint8Array, max: number): { bytes: Uint8Array; plen?: number } {
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(text);
  let bytes: Uint8Array | undefined;
  try {
    if (m) bytes = parse(m[1]!);
  } catch {
    bytes = undefined;
  }
  const plen = m?.[2] !== undefined ? Number(m[2]) : undefined;
  if (!bytes || (plen !== undefined && plen > max)) throw new NetError('EINVAL', `Error: any valid prefix is expected rather than "${text}".`);
  return { bytes, ...(plen !== undefined ? { plen } : {}) };
}

/** "a.b.c.d[/len]" → host-order u32 and the length when given. */
function parsePrefix4(text: string): { addr: number; plen?: number } {
  const { bytes, plen } = parsePrefix(text, ipv4Bytes, 32);
  return { addr: ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0, ...(plen !== undefined ? { plen } : {}) };
}

function parsePrefix6(text: string): { addr: Uint8Array; plen?: number } {
  const { bytes, plen } = parsePrefix(text, ipv6Bytes, 128);
  return { addr: bytes, ...(plen !== undefined ? { plen } : {}) };
}


function maskOf(plen: number): number {
  return plen === 0 ? 0 : (0xffffffff << (32 - plen)) >>> 0;
}

/** inet_ifa_match: `addr` in the subnet of `ifa`. */
function ifaMatch(addr: number, ifa: Ifa4): boolean {
  return ((addr ^ ifa.address) & ifa.mask) === 0;
}

/** ipv4_is_zeronet: 0.0.0.0/8. */
function zeronet(a: number): boolean {
  return a >>> 24 === 0;
}

/** inet_ifa_byprefix: the first address with this mask whose subnet holds `prefix`. */
function byPrefix(d: DevAddrs, prefix: number, mask: number): Ifa4 | undefined {
  return d.v4.find((a) => a.mask === mask && ((prefix ^ a.address) & a.mask) === 0);
}

function scopeNumber(s: NonNullable<AddrSpec['scope']>): number {
  if (typeof s === 'number') {
    if (!Number.isInteger(s) || s < 0 || s > 255) throw new NetError('EINVAL', `Error: argument "${s}" is wrong: invalid scope value.`);
    return s;
  }
  const n = { global: 0, universe: 0, site: 200, link: 253, host: 254, nowhere: 255 }[s as string];
  if (n === undefined) throw new NetError('EINVAL', `Error: argument "${s}" is wrong: invalid scope value.`);
  return n;
}

function equal16(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}


/** What ipv6_add_addr refuses: the unspecified, multicast and loopback addresses. */
function addrKind6(a: Uint8Array): 'any' | 'multicast' | 'loopback' | 'unicast' {
  if (a[0] === 0xff) return 'multicast';
  if (a.every((b) => b === 0)) return 'any';
  if (a.every((b, i) => b === (i === 15 ? 1 : 0))) return 'loopback';
  return 'unicast';
}

/** __ipv6_addr_src_scope (the list order key): 1 node, 2 link (and ::1), 5 site, 14 global. */
function srcScope6(a: Uint8Array): number {
  if (a[0] === 0xff) return a[1]! & 0x0f;
  if (a[0] === 0xfe && (a[1]! & 0xc0) === 0x80) return 2;
  if (a[0] === 0xfe && (a[1]! & 0xc0) === 0xc0) return 5;
  if (addrKind6(a) === 'loopback') return 2;
  return 14;
}

/** ipv6_addr_scope as the kernel reports an address's scope: host for ::1, link, site, else global. */
function scope6(a: Uint8Array): number {
  if (addrKind6(a) === 'loopback') return RT_SCOPE.HOST;
  const s = srcScope6(a);
  if (s === 2) return RT_SCOPE.LINK;
  if (s === 5) return RT_SCOPE.SITE;
  return RT_SCOPE.UNIVERSE;
}

/** The EUI-64 link-local address of a MAC (addrconf_ifid_eui48): fe80::MAC[0..2]^02:ff:fe:MAC[3..5]. */
function eui64LinkLocal(mac: Uint8Array): Uint8Array {
  const a = new Uint8Array(16);
  a[0] = 0xfe;
  a[1] = 0x80;
  a.set(mac.subarray(0, 3), 8);
  a[8] = a[8]! ^ 2;
  a[11] = 0xff;
  a[12] = 0xfe;
  a.set(mac.subarray(3, 6), 13);
  return a;
}
