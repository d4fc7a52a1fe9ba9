// `ip route get` (RTM_GETROUTE) as the kernel answers it: not a FIB entry but the dst the stack would
// build for one packet, and what rt_fill_info / rt6_fill_node put in the answer.
//
//   IPv4, no iif  ip_route_output_key_hash_rcu: the source checks, oif, fib_lookup (the "routing
//                 tables are wrong, assume on-link" fallback with an oif), local routes through the
//                 loopback, fib_select_path (multipath hash, fib_select_default, the source from
//                 fib_result_prefsrc), then __mkroute_output's type and RTCF_* flags: broadcast and
//                 multicast destinations drop the route's next hop (no gateway, no metrics).
//   IPv4, iif     ip_route_input_slow: martians, fib_lookup with the input device, forwarding off
//                 → EHOSTUNREACH, fib_validate_source (rp_filter → EXDEV, a local source → EINVAL),
//                 local and broadcast input through the route's device (the loopback when none).
//   IPv6          ip6_route_output (RT6_LOOKUP_F_IFACE for strict destinations, or an oif with no
//                 source) or ip6_route_input_lookup (the input device scores the routes), fib6 path
//                 selection; the answer is the fib6 route's type, table, protocol and metric with the
//                 dst's device (the loopback for local and anycast routes).
//
// The answer's fields in rt_fill_info's terms: RTA_PREFSRC is the flow's chosen source, sent only for
// output routes and only when it differs from the query's `from` (RTA_SRC); RTA_TABLE is the table
// that answered, main for local routes while main and local are merged (no rule was ever added), none
// (0) when no FIB route was used; rtm_flags carry the dst's RTCF_* bits, which iproute2 prints on the
// "cache" line — and RTCF_MULTICAST (0x20000000) is also RTM_F_OFFLOAD_FAILED, so a multicast answer
// reads "rt_offload_failed" among its flags, as the kernel's does.

import { NetError } from './net_types.js';
import { AF_INET, AF_INET6, CONF4, FR, LOOPBACK_IFINDEX, RTN, RT_SCOPE, RT_TABLE_LOCAL, RT_TABLE_MAIN } from '../runtime/net_abi.js';
import { FA, NH } from './fib_layout.js';
import { expiresSeconds, formatAddr, parseAddr, PROTOS, tableName, TYPES } from './route_text.js';
import type { RouteGet, RouteGetInfo, Routes } from './routes.js';

/** RTCF_* (include/uapi/linux/in_route.h) in the order iproute2's print_cache_flags names them. */
const RTCF: ReadonlyArray<[number, string]> = [
  [0x80000000, 'local'], [0x20000000, 'mc'], [0x10000000, 'brd'], [0x04000000, 'src-direct'], [0x01000000, 'redirect'],
];
const RTCF_LOCAL = 0x80000000;
const RTCF_MULTICAST = 0x20000000;
const RTCF_BROADCAST = 0x10000000;
const IPPROTO_IGMP = 2;
const INADDR_ALLHOSTS = 0xe0000001;

/** Errors as RTNETLINK answers them. */
export function getError(err: number): NetError {
  switch (err) {
    case -101: return new NetError('ENETUNREACH', 'Network is unreachable');
    case -113: return new NetError('EHOSTUNREACH', 'No route to host');
    case -13: return new NetError('EACCES', 'Permission denied');
    case -18: return new NetError('EXDEV', 'Invalid cross-device link');
    case -19: return new NetError('ENODEV', 'No such device');
    default: return new NetError('EINVAL', 'Invalid argument');
  }
}

// host-order classification (ipv4_is_*)
const isMc = (h: number): boolean => h >>> 28 === 0xe;
const isLbcast = (h: number): boolean => h === 0xffffffff;
const isZeronet = (h: number): boolean => h >>> 24 === 0;
const isLocalMc = (h: number): boolean => h >>> 8 === 0xe00000;
const isLoopback = (h: number): boolean => h >>> 24 === 127;

const hostOf = (b: Uint8Array): number => ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
/** A host-order address as the fast path's u32 (the network-order bytes loaded little-endian). */
const wire = (h: number): number => (((h & 0xff) << 24) | ((h >>> 8 & 0xff) << 16) | ((h >>> 16 & 0xff) << 8) | (h >>> 24)) >>> 0;
const unwire = (w: number): number => wire(w >>> 0);
const text4 = (h: number): string => `${h >>> 24}.${(h >>> 16) & 0xff}.${(h >>> 8) & 0xff}.${h & 0xff}`;
const bytes4 = (h: number): Uint8Array => Uint8Array.of(h >>> 24, (h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff);

/** The route of one IPv4 answer as __mkroute_output / the input paths leave it. */
interface Dst4 {
  type: number;
  flags: number;
  dev: number;
  /** The FIB route kept for next hop and metrics (fi), 0 when dropped or none. */
  fa: number;
  nh: number;
  /** RTA_TABLE (0: none). */
  table: number;
  saddr: number;
  input: boolean;
  /** The FIB route the lookup found (fib_result.fi, what fibmatch prints), 0 when none. */
  res?: number;
}

/** inet_rtm_getroute for IPv4. */
export function routeGet4(routes: Routes, q: RouteGet, dstBytes: Uint8Array): RouteGetInfo {
  // inet_rtm_getroute's ip_proto is IPPROTO_UDP unless asked: the flow's (and the dummy skb's, which the
  // input path dissects when a rule needs it), so an ipproto rule sees UDP
  if (q.ipproto === undefined) q = { ...q, ipproto: 17 };
  const daddr = hostOf(dstBytes);
  const from = q.from !== undefined ? hostOf(parseAddr(q.from, 'inet').bytes) : 0;
  const dst = q.iif !== undefined ? input4(routes, q, daddr, from) : output4(routes, q, daddr, from);
  const { v } = routes.mem();
  if (q.fibmatch) {
    const fa = dst.res ?? dst.fa;
    if (!fa) throw getError(-113);
    const r = routes.decodeAt(fa, AF_INET, dst.table || RT_TABLE_MAIN, v.getUint8(fa + FA.PLEN));
    r.dst = new Uint8Array(16);
    r.dst.set(bytes4(daddr & (r.len === 0 ? 0 : (0xffffffff << (32 - r.len)) >>> 0)));
    return routes.info({ ...r, type: dst.type, table: dst.table });
  }
  const out: RouteGetInfo = { dst: text4(daddr), flags: [] };
  if (dst.type !== RTN.UNICAST) out.type = TYPES[dst.type];
  // rt_fill_info's rtm_tos is res.dscp: the tos of the FIB route the lookup found (0 without one), not the query's
  const found = dst.res ?? dst.fa;
  const dscp = found ? v.getUint8(found + FA.DSCP) : 0;
  if (dscp) out.tos = `0x${dscp.toString(16).padStart(2, '0')}`;
  if (from) out.from = text4(from);
  if (dst.fa) {
    const nh = dst.fa + FA.NH + dst.nh * NH.SIZE;
    // rt_set_nexthop: rt_uses_gateway only for a gateway on the link (nh scope link)
    if (v.getUint8(nh + NH.GW_FAMILY) !== 0 && v.getUint8(nh + NH.SCOPE) === RT_SCOPE.LINK) {
      const gwf = v.getUint8(nh + NH.GW_FAMILY);
      out.gateway = formatAddr(gwf, routes.mem().b.slice(nh + NH.GW, nh + NH.GW + 16));
    }
  }
  out.dev = routes.nameOf(dst.dev);
  if (dst.table !== 0 && dst.table !== RT_TABLE_MAIN) out.table = tableName(dst.table);
  // no FIB answer (an oif's "assume it is on link", a broadcast): res->table NULL, RTA_TABLE 0, which ip does not print
  else if (dst.table === 0) out.table = '0';
  if (!dst.input && dst.saddr !== from && dst.saddr !== 0) out.prefsrc = text4(dst.saddr);
  if (dst.flags & RTCF_MULTICAST) out.flags.push('rt_offload_failed');
  if (q.mark) out.mark = q.mark;
  const uid = q.uid ?? (dst.input ? undefined : 0);
  if (uid !== undefined) out.uid = uid;
  out.cache = RTCF.filter(([bit]) => dst.flags & bit).map(([, name]) => name);
  if (dst.fa) {
    const mtu = v.getUint32(dst.fa + FA.MTU, true);
    if (mtu) {
      out.mtu = mtu;
      if (v.getUint32(dst.fa + FA.LOCK, true) & 4) out.mtuLock = true;
    }
    // rt_fill_info: the dst's metrics are the FIB entry's
    const { metrics, locks } = routes.extraAt(dst.fa);
    if (metrics) out.metrics = metrics;
    if (locks) out.locks = locks;
    // rt_bind_exception: a PMTU learned toward the destination replaces the mtu, with its expiry
    const { x, b } = routes.mem();
    const at = routes.addrScratch();
    b.set(bytes4(daddr), at);
    const pmtu = x.dst_pmtu(AF_INET, at) >>> 0;
    if (pmtu) {
      out.expires = expiresSeconds(Number(x.dst_pmtu_expires(AF_INET, at)) - routes.dp.stack.now());
      out.mtu = pmtu;
    }
  }
  if (dst.input) out.iif = q.iif;
  return out;
}

/** RTA_TABLE for a result: main for table local while the two are merged. */
function tableOf(routes: Routes, table: number): number {
  return (table === RT_TABLE_LOCAL || table === RT_TABLE_MAIN) && !routes.customRules(AF_INET) ? RT_TABLE_MAIN : table;
}

/** ip_check_mc_rcu, for the one group every IPv4 device joins when it comes up (ip_mc_up: all-hosts). */
function mcJoined(routes: Routes, ifindex: number, group: number): boolean {
  return group === INADDR_ALLHOSTS && routes.isUp(ifindex) && routes.dp.addresses.inet4(ifindex).inDev;
}

/** inet_select_addr(dev, dst, scope) as a host-order address (0: none). */
function selectAddr(routes: Routes, ifindex: number, dst: number, scope: number): number {
  return unwire(routes.mem().x.inet_select_addr(ifindex, wire(dst), scope));
}

/** ip_route_output_key_hash_rcu, then __mkroute_output. */
function output4(routes: Routes, q: RouteGet, daddr: number, from: number): Dst4 {
  const { v, x } = routes.mem();
  let saddr = from;
  let oif = q.oif !== undefined ? routes.dp.links.ifindex(q.oif) : 0;
  let devOut = 0;
  let type: number = RTN.UNSPEC;
  let flags = 0;
  let fa = 0;
  let nhIndex = 0;
  let table = 0;
  let plen = 32;
  const res = x.fib_res_buf() >>> 0;
  const make = (): Dst4 => mkrouteOutput(routes, { type, flags, dev: devOut, fa, nh: nhIndex, table, saddr, input: false, res: fa }, daddr, plen);
  if (saddr) {
    if (isMc(saddr) || isLbcast(saddr) || isZeronet(saddr)) throw getError(-22);
    const owner = routes.dp.addresses.ifaddr4(saddr);
    if (oif === 0 && (isMc(daddr) || isLbcast(daddr))) {
      // the "special hack": multicast and limited broadcast go out of the device owning the source
      if (!owner) throw getError(-101);
      devOut = owner;
      return make();
    }
    if (!owner) throw getError(-101);
  }
  if (oif) {
    devOut = oif;
    if (!routes.isUp(oif) || !routes.dp.addresses.inet4(oif).inDev) throw getError(-101);
    if (isLocalMc(daddr) || isLbcast(daddr) || (q.ipproto ?? 0) === IPPROTO_IGMP) {
      if (!saddr) saddr = selectAddr(routes, oif, 0, RT_SCOPE.LINK);
      return make();
    }
    if (!saddr) {
      if (isMc(daddr)) saddr = selectAddr(routes, oif, 0, RT_SCOPE.UNIVERSE);
      else if (!daddr) saddr = selectAddr(routes, oif, 0, RT_SCOPE.HOST);
    }
  }
  if (!daddr) {
    daddr = saddr || 0x7f000001;
    if (!saddr) saddr = 0x7f000001;
    devOut = LOOPBACK_IFINDEX;
    type = RTN.LOCAL;
    flags |= RTCF_LOCAL;
    return make();
  }
  const fl = routes.getFlow(AF_INET, q, bytes4(daddr), saddr ? bytes4(saddr) : undefined, LOOPBACK_IFINDEX, oif);
  const err = x.fib4_lookup_nopath(fl, res);
  if (err !== 0) {
    if (oif) {
      // "Apparently, routing tables are wrong. Assume, that the destination is on link."
      if (!saddr) saddr = selectAddr(routes, devOut, 0, RT_SCOPE.LINK);
      type = RTN.UNICAST;
      return make();
    }
    throw getError(err);
  }
  fa = v.getUint32(res + FR.INFO, true);
  type = v.getUint8(res + FR.TYPE);
  table = tableOf(routes, v.getUint32(res + FR.TABLE, true));
  plen = v.getUint8(res + FR.PREFIXLEN);
  nhIndex = v.getUint32(res + FR.NH_INDEX, true);
  if (type === RTN.LOCAL) {
    if (!saddr) saddr = v.getUint8(fa + FA.HAS_PREFSRC) ? hostOf(routes.mem().b.subarray(fa + FA.PREFSRC)) : daddr;
    devOut = LOOPBACK_IFINDEX;
    flags |= RTCF_LOCAL;
    return make();
  }
  // fib_select_path: the multipath hash, else fib_select_default among equal default routes
  if (!oif) {
    x.fib4_select_path(fl, res);
    x.fib_select_default(fl, res);
  }
  fa = v.getUint32(res + FR.INFO, true);
  nhIndex = v.getUint32(res + FR.NH_INDEX, true);
  if (!saddr) saddr = unwire(x.fib_result_prefsrc(res));
  devOut = v.getUint32(res + FR.OIF, true);
  return make();
}

/** __mkroute_output: the dst's type and flags from the destination, the route kept or dropped. */
function mkrouteOutput(routes: Routes, d: Dst4, daddr: number, plen: number): Dst4 {
  if (isLbcast(daddr)) {
    // "reset fi to prevent gateway resolution": only here; a broadcast FIB route keeps its route (metrics)
    d.type = RTN.BROADCAST;
    d.fa = 0;
  } else if (isMc(daddr)) d.type = RTN.MULTICAST;
  else if (isZeronet(daddr)) throw getError(-22);
  if (isLoopback(d.saddr) && d.dev !== LOOPBACK_IFINDEX) throw getError(-22);
  if (d.dev !== LOOPBACK_IFINDEX && !routes.dp.addresses.inet4(d.dev).inDev) throw getError(-22);
  if (d.dev === LOOPBACK_IFINDEX) d.flags |= RTCF_LOCAL;
  if (d.type === RTN.BROADCAST) {
    d.flags |= RTCF_BROADCAST | RTCF_LOCAL;
  } else if (d.type === RTN.MULTICAST) {
    d.flags |= RTCF_MULTICAST | RTCF_LOCAL;
    if (!mcJoined(routes, d.dev, daddr)) d.flags &= ~RTCF_LOCAL;
    // "If multicast route do not exist use default one, but do not gateway in this case."
    if (d.fa && plen < 4) d.fa = 0;
  }
  // (a local route through another device than the loopback, orig_oif, is only not cached: rt_set_nexthop still has fi)
  d.flags >>>= 0;
  return d;
}

/** conf.DEV value as the fast path acts on it (all folded in). */
function conf4(routes: Routes, ifindex: number, i: number): number {
  return routes.mem().x.netdev_conf_get(ifindex, AF_INET, i) >>> 0;
}

/**
 * fib_validate_source: < 0 an error (-EINVAL, -EXDEV), else 0 or 1 (the source is directly connected
 * through the input device: RTCF_DIRECTSRC for the caller).
 */
function validateSource(routes: Routes, q: RouteGet, src: number, dst: number, oif: number, dev: number): number {
  const rpf = conf4(routes, dev, CONF4.RP_FILTER);
  if (!rpf && (dev !== oif || !conf4(routes, dev, CONF4.SEND_REDIRECTS))) {
    if (conf4(routes, dev, CONF4.ACCEPT_LOCAL)) return 0;
    if (!routes.customLocalRoutes && !routes.customRules(AF_INET)) return routes.dp.addresses.ifaddr4(src) ? -22 : 0;
  }
  // __fib_validate_source: the reverse route, source and destination swapped
  const { v, x } = routes.mem();
  const res = x.fib_res_buf() >>> 0;
  const noAddr = routes.dp.addresses.inet4(dev).count === 0;
  const rev = { ...q, sport: q.dport, dport: q.sport };
  let fl = routes.getFlow(AF_INET, rev, bytes4(src), dst ? bytes4(dst) : undefined, oif || LOOPBACK_IFINDEX, 0);
  if (x.fib4_lookup_nopath(fl, res) !== 0) return rpf ? -18 : 0;
  const type = v.getUint8(res + FR.TYPE);
  if (type !== RTN.UNICAST && (type !== RTN.LOCAL || !conf4(routes, dev, CONF4.ACCEPT_LOCAL))) return -22;
  const fa = v.getUint32(res + FR.INFO, true);
  const n = v.getUint32(fa + FA.NHS, true);
  for (let k = 0; k < n; k++) {
    if (v.getUint32(fa + FA.NH + k * NH.SIZE + NH.OIF, true) === dev) return nhScope(routes, res) >= RT_SCOPE.HOST ? 1 : 0;
  }
  if (noAddr) return rpf ? -18 : 0;
  if (rpf === 1) return -18;
  fl = routes.getFlow(AF_INET, rev, bytes4(src), dst ? bytes4(dst) : undefined, oif || LOOPBACK_IFINDEX, dev);
  if (x.fib4_lookup_nopath(fl, res) === 0 && v.getUint8(res + FR.TYPE) === RTN.UNICAST) return nhScope(routes, res) >= RT_SCOPE.HOST ? 1 : 0;
  return 0;
}

/** The scope of the result's next hop (fib_nh_scope). */
function nhScope(routes: Routes, res: number): number {
  const { v } = routes.mem();
  const fa = v.getUint32(res + FR.INFO, true);
  return v.getUint8(fa + FA.NH + v.getUint32(res + FR.NH_INDEX, true) * NH.SIZE + NH.SCOPE);
}

/** ip_route_input_rcu / ip_route_input_slow for a packet from `from` to `daddr` arriving on `iif`. */
function input4(routes: Routes, q: RouteGet, daddr: number, saddr: number): Dst4 {
  const { v, x } = routes.mem();
  const dev = routes.dp.links.ifindex(q.iif!);
  if (!routes.dp.addresses.inet4(dev).inDev) throw getError(-22);
  const local = (d: Dst4): Dst4 => ({ ...d, flags: (d.flags | RTCF_LOCAL) >>> 0, input: true });
  if (isMc(daddr)) {
    // ip_route_input_mc for a group the device joined (no multicast forwarding here)
    if (!mcJoined(routes, dev, daddr)) throw getError(-22);
    if (isMc(saddr) || isLbcast(saddr)) throw getError(-22);
    if (isLoopback(saddr) && !conf4(routes, dev, CONF4.ROUTE_LOCALNET)) throw getError(-22);
    if (isZeronet(saddr)) {
      if (!isLocalMc(daddr) && (q.ipproto ?? 0) !== IPPROTO_IGMP) throw getError(-22);
    } else {
      const e = validateSource(routes, q, saddr, 0, 0, dev);
      if (e < 0) throw getError(e);
    }
    return local({ type: RTN.MULTICAST, flags: RTCF_MULTICAST, dev: LOOPBACK_IFINDEX, fa: 0, nh: 0, table: 0, saddr, input: true });
  }
  if (isMc(saddr) || isLbcast(saddr)) throw getError(-22);
  const brd = (fa: number, table: number): Dst4 => {
    if (!isZeronet(saddr)) {
      const e = validateSource(routes, q, saddr, 0, 0, dev);
      if (e < 0) throw getError(e);
    }
    return local({ type: RTN.BROADCAST, flags: RTCF_BROADCAST, dev: LOOPBACK_IFINDEX, fa: 0, nh: 0, table, saddr, input: true, res: fa });
  };
  if (isLbcast(daddr) || (saddr === 0 && daddr === 0)) return brd(0, 0);
  if (isZeronet(saddr) || isZeronet(daddr)) throw getError(-22);
  if (isLoopback(daddr) && !conf4(routes, dev, CONF4.ROUTE_LOCALNET)) throw getError(-22);
  if (isLoopback(saddr) && !conf4(routes, dev, CONF4.ROUTE_LOCALNET)) throw getError(-22);
  const forward = conf4(routes, dev, CONF4.FORWARDING) !== 0;
  const res = x.fib_res_buf() >>> 0;
  const fl = routes.getFlow(AF_INET, { ...q, uid: 0 }, bytes4(daddr), saddr ? bytes4(saddr) : undefined, dev, 0);
  const err = x.fib4_lookup_nopath(fl, res);
  if (err !== 0) throw getError(forward ? err : -113);
  const fa = v.getUint32(res + FR.INFO, true);
  const type = v.getUint8(res + FR.TYPE);
  const table = tableOf(routes, v.getUint32(res + FR.TABLE, true));
  if (type === RTN.BROADCAST) return brd(fa, table);
  if (type === RTN.LOCAL) {
    const e = validateSource(routes, q, saddr, daddr, 0, dev);
    if (e < 0) throw getError(e);
    // local_input: the dst lives on the loopback (no l3mdev master here)
    return local({ type, flags: 0, dev: LOOPBACK_IFINDEX, fa: 0, nh: 0, table, saddr, input: true, res: fa });
  }
  if (!forward) throw getError(-113);
  if (type !== RTN.UNICAST) throw getError(-22);
  // ip_mkroute_input → __mkroute_input
  x.fib4_select_path(fl, res);
  const k = v.getUint32(res + FR.NH_INDEX, true);
  const out = v.getUint32(res + FR.OIF, true);
  const e = validateSource(routes, q, saddr, daddr, out, dev);
  if (e < 0) throw getError(e);
  return { type, flags: 0, dev: out, fa, nh: k, table, saddr, input: true, res: fa };
}

/**
 * inet6_rtm_getroute: ip6_route_output (or, with iif, ip6_route_input_lookup) and rt6_fill_node for
 * the dst it made.
 */
export function routeGet6(routes: Routes, q: RouteGet, dst: Uint8Array): RouteGetInfo {
  const { x } = routes.mem();
  const src = q.from !== undefined ? parseAddr(q.from, 'inet6').bytes : new Uint8Array(16);
  const anySrc = src.every((c) => c === 0);
  const iif = q.iif !== undefined ? routes.dp.links.ifindex(q.iif) : 0;
  const oif = q.oif !== undefined ? routes.dp.links.ifindex(q.oif) : 0;
  // rt6_need_strict: multicast, link-local and loopback destinations are looked up on their device
  const strict = dst[0] === 0xff || (dst[0] === 0xfe && (dst[1]! & 0xc0) === 0x80) || (dst.subarray(0, 15).every((c) => c === 0) && dst[15] === 1);
  const fl = routes.getFlow(AF_INET6, q, dst, src, iif || LOOPBACK_IFINDEX, iif ? 0 : oif);
  const res = x.fib_res_buf() >>> 0;
  const lookupOif = iif || oif;
  const iface = strict || (!iif && oif !== 0 && anySrc);
  let err = x.fib6_lookup_oif(fl, res, lookupOif, anySrc ? 0 : 1, iface ? 1 : 0, 1);
  const { v } = routes.mem();
  if (err === 0) {
    const t = v.getUint8(res + FR.TYPE);
    if (t >= RTN.BLACKHOLE) err = t === RTN.UNREACHABLE ? -113 : t === RTN.PROHIBIT ? -13 : t === RTN.THROW ? -101 : -22;
    else {
      x.fib6_select_path(fl, res, lookupOif, 0, iface ? 1 : 0);
    }
  }
  if (err !== 0) throw getError(err === -11 ? -101 : err);
  const fa = v.getUint32(res + FR.INFO, true);
  const r = routes.decodeAt(fa, AF_INET6, v.getUint32(res + FR.TABLE, true), v.getUint8(res + FR.PREFIXLEN));
  if (q.fibmatch) {
    r.dst = new Uint8Array(16);
    for (let i = 0; i < 16; i++) r.dst[i] = dst[i]! & (0xff << Math.max(0, 8 - Math.max(0, r.len - i * 8))) & 0xff;
    // rt6_fill_node is given the query's iif for the FIB route too
    return iif ? { ...routes.info(r), iif: routes.nameOf(iif) } : routes.info(r);
  }
  const nh = r.nhs[0]!;
  const out: RouteGetInfo = { dst: formatAddr(AF_INET6, dst), flags: [], from: formatAddr(AF_INET6, src) };
  if (r.type !== RTN.UNICAST) out.type = TYPES[r.type];
  if (nh.gwFamily) out.gateway = formatAddr(nh.gwFamily, nh.gw);
  // rt6_find_cached_rt: a redirect exception of the chosen next hop is the dst answered (its gateway the
  // Redirect's target, none when the destination is on the link); RTM_F_CLONED, so no protocol below
  const at = routes.addrScratch();
  routes.mem().b.set(dst, at);
  const redirected = r.type === RTN.UNICAST && x.rt6_redirect_apply(at, res) !== 0;
  if (redirected) {
    if (v.getUint8(res + FR.GW_FAMILY) === AF_INET6) out.gateway = formatAddr(AF_INET6, routes.mem().b.slice(res + FR.GW, res + FR.GW + 16));
    else delete out.gateway;
  }
  // ip6_rt_get_dev_rcu: copies of RTF_LOCAL and RTF_ANYCAST routes (a local type, addrconf's anycast) live on the loopback
  out.dev = routes.nameOf(r.type === RTN.LOCAL || r.rtfAnycast ? LOOPBACK_IFINDEX : nh.oif);
  if (r.table !== RT_TABLE_MAIN) out.table = tableName(r.table);
  const pname = Object.entries(PROTOS).find(([, p]) => p === r.protocol)?.[0];
  if (r.protocol !== PROTOS.boot && !redirected) out.protocol = pname ?? String(r.protocol);
  // ip6_route_get_saddr (no iif): the route's prefsrc, else RFC 6724 on the route's device
  if (r.prefsrc) out.prefsrc = formatAddr(AF_INET6, r.prefsrc);
  else if (!iif) {
    const buf = routes.addrScratch();
    routes.mem().b.set(dst, buf);
    if (x.ipv6_dev_get_saddr(nh.oif, buf, buf + 16) === 0) out.prefsrc = formatAddr(AF_INET6, routes.mem().b.slice(buf + 16, buf + 32));
  }
  out.metric = r.priority;
  if (r.mtu) {
    out.mtu = r.mtu;
    if (r.mtuLock) out.mtuLock = true;
  }
  if (r.extra?.metrics) out.metrics = { ...r.extra.metrics };
  if (r.extra?.locks) out.locks = [...r.extra.locks];
  // rt6_find_cached_rt: a PMTU exception toward the destination is the dst answered, its mtu and expiry;
  // rt6_fill_node marks such a dst RTM_F_CLONED, and iproute2 prints no protocol for a cloned route
  if (r.type === RTN.UNICAST) {
    const at = routes.addrScratch();
    routes.mem().b.set(dst, at);
    const pmtu = x.dst_pmtu(AF_INET6, at) >>> 0;
    if (pmtu) {
      delete out.protocol;
      out.expires = expiresSeconds(Number(x.dst_pmtu_expires(AF_INET6, at)) - routes.dp.stack.now());
      out.mtu = pmtu;
    }
  }
  if (iif) out.iif = routes.nameOf(iif);
  // RTA_PREF: the route's (rt6_fill_node)
  out.pref = r.extra?.pref === 3 ? 'low' : r.extra?.pref === 1 ? 'high' : 'medium';
  return out;
}

