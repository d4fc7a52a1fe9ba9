// IPv6 redirect exceptions: what rt6_do_redirect (net/ipv6/route.c) inserts into the exception bucket of
// a route's next hop when a router tells us a better first hop — an RTF_CACHE | RTF_DYNAMIC route to one
// destination whose gateway is the Redirect's target (RTF_GATEWAY), or no gateway when the destination
// itself is on the link (target == destination). Later lookups toward that destination that still choose
// the next hop the exception hangs off (same device, same gateway) go to the new first hop instead
// (rt6_find_cached_rt in ip6_pol_route, for output and forwarding alike); `ip -6 route get` shows it.
//
// Reads: a FIB result (FR_OIF, FR_GW). Sets: its own table; FR_GW / FR_GW_FAMILY of a result it applies to.
// Next: the caller's (ndisc.ts inserts; dst.ts dst6_route and output.ts ip6_route_output apply; route get
// asks through the export).
//
// Root (NR_RT6_REDIRECT, made on the first insert): +0 u32 live entries (0: apply returns at once) | +64
// RR_SLOTS entries of RE_SIZE bytes, open addressing over 8 probes, the oldest replaced when all are taken:
//
//   +0 u32 ifindex (0: free) | +4 u32 1 when the new first hop is a gateway (RTF_GATEWAY) | +8 u64 made
//   (ms) | +16 destination (16) | +32 the next hop's gateway it hangs off (16) | +48 the new gateway (16)
//
// The kernel keeps one exception per destination and next hop, PMTU and redirect alike: a redirect
// replaces a PMTU exception toward the same destination (the caller forgets that one, dst.ts). Not
// modelled: the exceptions' aging by fib6 garbage collection (rt6_age_exceptions: gone after gc_timeout
// unused, or once the gateway is no longer a router), and keying by source (subtrees).

import { arena_alloc } from '../maps/arena';
import { netNow, netRoot } from './core';
import { AF_INET6, FR_GW, FR_GW_FAMILY, FR_OIF, NR_RT6_REDIRECT } from './abi';

const RR_SLOTS: u32 = 256;
const RR_ENTRIES: u32 = 64;
const RE_IFINDEX: u32 = 0;
const RE_GATEWAY: u32 = 4;
const RE_MADE: u32 = 8;
const RE_DEST: u32 = 16;
const RE_OLD_GW: u32 = 32;
const RE_NEW_GW: u32 = 48;
const RE_SIZE: u32 = 64;

@inline function eq16(a: u32, b: u32): bool {
  return load<u64>(a) == load<u64>(b) && load<u64>(a, 8) == load<u64>(b, 8);
}

@inline function copy16(dst: u32, src: u32): void {
  store<u64>(dst, load<u64>(src));
  store<u64>(dst, load<u64>(src, 8), 8);
}

function rrRoot(create: bool): u32 {
  const a = netRoot() + NR_RT6_REDIRECT;
  let r = load<u32>(a);
  if (r != 0 || !create) return r;
  r = arena_alloc(RR_ENTRIES + RR_SLOTS * RE_SIZE, 64);
  if (r == 0) return 0;
  memory.fill(r, 0, RR_ENTRIES + RR_SLOTS * RE_SIZE);
  store<u32>(a, r);
  return r;
}

@inline function slotOf(dest: u32): u32 {
  const h = (load<u32>(dest) ^ load<u32>(dest, 4) ^ load<u32>(dest, 8) ^ load<u32>(dest, 12)) * 0x9e3779b1;
  return h >> 24; // RR_SLOTS = 256
}

/** The exception toward the 16 bytes at `dest` on `ifindex`, 0 when none. */
function rrFind(r: u32, dest: u32, ifindex: u32): u32 {
  const h = slotOf(dest);
  for (let i: u32 = 0; i < 8; i++) {
    const e = r + RR_ENTRIES + ((h + i) & (RR_SLOTS - 1)) * RE_SIZE;
    if (load<u32>(e, RE_IFINDEX) == ifindex && eq16(e + RE_DEST, dest)) return e;
  }
  return 0;
}

/**
 * rt6_insert_exception for a redirect: toward `dest` through `ifindex`, for the next hop whose gateway is
 * at `oldGw`, the first hop is now the gateway at `newGw` (`gateway`) or the destination itself. Replaces
 * an exception already there for the destination.
 */
export function rt6RedirectInsert(ifindex: u32, dest: u32, oldGw: u32, newGw: u32, gateway: bool): void {
  const r = rrRoot(true);
  if (r == 0) return;
  let e = rrFind(r, dest, ifindex);
  if (e == 0) {
    const h = slotOf(dest);
    let oldest: u64 = 0xffffffffffffffff;
    for (let i: u32 = 0; i < 8; i++) {
      const c = r + RR_ENTRIES + ((h + i) & (RR_SLOTS - 1)) * RE_SIZE;
      if (load<u32>(c, RE_IFINDEX) == 0) {
        e = c;
        break;
      }
      if (load<u64>(c, RE_MADE) < oldest) {
        oldest = load<u64>(c, RE_MADE);
        e = c;
      }
    }
    if (load<u32>(e, RE_IFINDEX) == 0) store<u32>(r, load<u32>(r) + 1);
  }
  store<u32>(e, 0, RE_IFINDEX);
  copy16(e + RE_DEST, dest);
  copy16(e + RE_OLD_GW, oldGw);
  copy16(e + RE_NEW_GW, newGw);
  store<u32>(e, gateway ? 1 : 0, RE_GATEWAY);
  store<u64>(e, netNow(), RE_MADE);
  store<u32>(e, ifindex, RE_IFINDEX);
}

/**
 * rt6_find_cached_rt for a lookup's result `res` toward the 16 bytes at `dst`: when a redirect exception
 * hangs off the chosen next hop (its device and gateway), the result's gateway becomes the exception's
 * first hop (none: the destination is on the link). 1 when it applied, else 0.
 */
export function rt6_redirect_apply(dst: u32, res: u32): u32 {
  const r = load<u32>(netRoot() + NR_RT6_REDIRECT);
  if (r == 0 || load<u32>(r) == 0) return 0;
  if (<u32>load<u8>(res, FR_GW_FAMILY) != AF_INET6) return 0;
  const e = rrFind(r, dst, load<u32>(res, FR_OIF));
  if (e == 0 || !eq16(e + RE_OLD_GW, res + FR_GW)) return 0;
  if (load<u32>(e, RE_GATEWAY) != 0) {
    copy16(res + FR_GW, e + RE_NEW_GW);
  } else {
    memory.fill(res + FR_GW, 0, 16);
    store<u8>(res, 0, FR_GW_FAMILY);
  }
  return 1;
}

/** rt6_redirect_apply when any redirect exception was ever made: the lookups' fast path pays one load. */
@inline export function rt6RedirectMaybe(dst: u32, res: u32): void {
  if (load<u32>(netRoot() + NR_RT6_REDIRECT) != 0) rt6_redirect_apply(dst, res);
}

/**
 * The gateway of the exception toward `dst` on `ifindex` hanging off the next hop whose gateway is at
 * `oldGw` (16 bytes), 0 when none: ip6_redirect_nh_match's cached route.
 */
export function rt6RedirectGw(dst: u32, ifindex: u32, oldGw: u32): u32 {
  const r = rrRoot(false);
  if (r == 0 || load<u32>(r) == 0) return 0;
  const e = rrFind(r, dst, ifindex);
  return e == 0 || load<u32>(e, RE_GATEWAY) == 0 || !eq16(e + RE_OLD_GW, oldGw) ? 0 : e + RE_NEW_GW;
}

/** Forget every redirect exception (`ip -6 route flush cache`, a device going down: rt6_sync_down_dev). */
export function rt6_redirect_flush(ifindex: u32): void {
  const r = rrRoot(false);
  if (r == 0) return;
  for (let i: u32 = 0; i < RR_SLOTS; i++) {
    const e = r + RR_ENTRIES + i * RE_SIZE;
    const dev = load<u32>(e, RE_IFINDEX);
    if (dev == 0 || (ifindex != 0 && dev != ifindex)) continue;
    store<u32>(e, 0, RE_IFINDEX);
    store<u32>(r, load<u32>(r) - 1);
  }
}
