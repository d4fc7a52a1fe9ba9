// The per-destination cache: routing decisions for the forward path, and PMTU exceptions learned
// from ICMP fragmentation-needed / packet-too-big (the kernel's fib_nh_exception / rt6 exception
// cache, with net.ipv4.route.mtu_expires, min_pmtu and net.ipv6.route.mtu_expires).
//
// Reads: the FIB generation (NR_FIB_GEN), the clock, the sysctls. Sets: its own two tables. Next:
// the caller's (forward.ts asks dst4_route / dst6_route instead of fib4_lookup; icmp.ts calls
// dst_pmtu_learn; forward/output read dst_pmtu).
//
// API for the other stages:
//   dst4_route(fl, res): i32          fib4_lookup through the cache: same result and error
//   dst6_route(fl, res): i32          fib6_lookup through the cache, then a redirect exception's first hop
//                                     (rt6_redirect.ts) when one hangs off the chosen next hop
//   dst_pmtu_learn(family, dst, mtu)  an ICMP error reported `mtu` toward the address at `dst`
//                                     (4 or 16 bytes): remembered for mtu_expires seconds, clamped
//                                     up to min_pmtu (IPv4) / 1280 (IPv6), only ever lowering
//   dst_pmtu(family, dst): u32        the learned PMTU toward `dst`, 0 when none (or expired)
//   dst_flush()                       forget every PMTU exception (ip route flush cache)
//   dst_pmtu_forget(family, dst)      forget the one toward `dst` (a redirect exception replaced it)
//   dst_pmtu_sync_dev / dst_pmtu6_sync_dev   a device MTU change (fib_sync_mtu / rt6_mtu_change)
//
// Root: +0 u32 the control thread's route cache | +4 u32 PMTU entries | +8 u32 a PMTU exception was
// learned since the last flush | +16 RC_WORKERS × u32 the workers' route caches.
// Route cache: one per worker (each writes only its own; worker slots from reclaim.ts), DST_SLOTS
// direct-mapped entries keyed by the flow key's routing fields (every field a rule or the multipath
// hash may read); an entry holds the FIB generation it was computed at and is stale once the
// generation moves. The PMTU table is shared: the data path writes it from ICMP errors, so with
// several workers two could race on one entry (no atomics in this build: it has no threads feature). PMTU table: PMTU_SLOTS entries, open addressing over 8 probes,
// an expired or the soonest-to-expire entry is replaced when full.
//
//   route entry (DE_SIZE): +0 u32 gen+1 (0 empty) | +4 i32 err | +8 flow key (64) | +72 result (FR_SIZE)
//   pmtu entry (PE_SIZE):  +0 u8 family | +1 u8 locked | +4 u32 mtu | +8 u64 expires (ms) | +16 16 bytes address

import { arena_alloc } from '../maps/arena';
import { copyBytes } from '../bytes';
import { fibGen, fibGenBump, netNow, netRoot, sysctl } from './core';
import {
  AF_INET, AF_INET6, FR_SIZE, NR_DST, SYSCTL_ROUTE6_MTU_EXPIRES, SYSCTL_ROUTE_MIN_PMTU,
  SYSCTL_ROUTE_MTU_EXPIRES,
} from './abi';
import { FA_LOCK, fib4_lookup, fib6_lookup } from './fib';
import { FL_DST, FL_FAMILY, FL_IIF, FL_SIZE, FR_INFO, FR_OIF, LOOPBACK_IFINDEX } from './abi';
import { netWorkerSlot, RC_WORKERS } from './reclaim';
import { rt6RedirectMaybe } from './rt6_redirect';

const DST_SLOTS: u32 = 1024;
const DK_SIZE: u32 = 64; // the whole flow key (FL_SIZE): every field a rule or the multipath hash reads, and the family
const DE_KEY: u32 = 8;
const DE_RES: u32 = 72;
const DE_SIZE: u32 = 136;
const PMTU_SLOTS: u32 = 1024;
const PE_FAMILY: u32 = 0;
const PE_LOCKED: u32 = 1; // u8: fnhe_mtu_locked (an IPv4 report below min_pmtu)
const PE_MTU: u32 = 4;
const PE_EXPIRES: u32 = 8;
const PE_ADDR: u32 = 16;
const PE_SIZE: u32 = 32;
const DR_ROUTES: u32 = 0; //  the route cache of the thread that runs the control plane (worker slot 0)
const DR_PMTU: u32 = 4;
const DR_LEARNED: u32 = 8; // u32: a PMTU exception was written since the last flush (set before the entry)
const DR_LOCKED: u32 = 12; // u32: a locked one was (forwarding honours those: dst_pmtu_forward)
const DR_WORKERS: u32 = 16; // RC_WORKERS × u32: worker w's own route cache (slot w + 1), made on its first lookup
const IPV6_MIN_MTU: u32 = 1280;
const RTAX_MTU_LOCK: u32 = 1 << 2; // 1 << RTAX_MTU

function dstRoot(): u32 {
  const a = netRoot() + NR_DST;
  let r = load<u32>(a);
  if (r != 0) return r;
  r = arena_alloc(DR_WORKERS + RC_WORKERS * 4, 8);
  const routes = arena_alloc(DST_SLOTS * DE_SIZE, 64);
  const pmtu = arena_alloc(PMTU_SLOTS * PE_SIZE, 64);
  if (r == 0 || routes == 0 || pmtu == 0) return 0;
  store<u32>(r + DR_ROUTES, routes);
  store<u32>(r + DR_PMTU, pmtu);
  store<u32>(a, r);
  return r;
}

@inline function keyHash(fl: u32): u32 {
  // Four independent 64-bit multiplies over the key's eight words (a serial FNV chain of 16 was the
  // cache's main cost on a hit), then a fold that brings every input bit down to the slot bits: what
  // varies in an address's last octet sits in the high bits of its little-endian word.
  const h =
    (load<u64>(fl) ^ load<u64>(fl, 32)) * 0x9e3779b97f4a7c15 +
    (load<u64>(fl, 8) ^ load<u64>(fl, 40)) * 0xc2b2ae3d27d4eb4f +
    (load<u64>(fl, 16) ^ load<u64>(fl, 48)) * 0x165667b19e3779f9 +
    (load<u64>(fl, 24) ^ load<u64>(fl, 56)) * 0x85ebca77c2b2ae63;
  const m = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9;
  return <u32>(m >> 32) ^ <u32>m;
}

function keyEqual(a: u32, b: u32): bool {
  for (let i: u32 = 0; i < DK_SIZE; i += 8) if (load<u64>(a + i) != load<u64>(b + i)) return false;
  return true;
}

/**
 * The route cache of this instance's worker: each writes only its own (an entry shared by two writers
 * could be left half one's, half the other's under a valid generation). 0: no memory.
 */
function routeCache(r: u32): u32 {
  const slot = netWorkerSlot();
  if (slot == 0) return load<u32>(r + DR_ROUTES);
  const a = r + DR_WORKERS + ((slot - 1) << 2);
  let c = load<u32>(a);
  if (c == 0) {
    c = arena_alloc(DST_SLOTS * DE_SIZE, 64);
    store<u32>(a, c);
  }
  return c;
}

// The cache steps aside while it does not pay: traffic to more destinations than it holds (a full
// table's worth of random ones) misses nearly always, and a miss costs a hash, a compare and 128
// bytes written on top of the lookup. Per worker: of each PROBE_WINDOW lookups, when fewer than a
// quarter hit, the next BYPASS_SPAN go straight to the FIB; then it is tried again. Either way the
// answer is the FIB's (an entry is only ever used at the generation it was computed at).
const PROBE_WINDOW: u32 = 1024;
const BYPASS_SPAN: u32 = 16384;
let probeTries: u32 = 0;
let probeHits: u32 = 0;
let bypassLeft: u32 = 0;

@inline function cached(fl: u32, res: u32, v6: bool): i32 {
  if (bypassLeft != 0) {
    bypassLeft--;
    return v6 ? fib6_lookup(fl, res, false, false) : fib4_lookup(fl, res);
  }
  const r = dstRoot();
  const c = r == 0 ? 0 : routeCache(r);
  if (c == 0) return v6 ? fib6_lookup(fl, res, false, false) : fib4_lookup(fl, res);
  if (++probeTries == PROBE_WINDOW) {
    if (probeHits < PROBE_WINDOW / 4) bypassLeft = BYPASS_SPAN;
    probeTries = 0;
    probeHits = 0;
  }
  const e = c + (keyHash(fl) & (DST_SLOTS - 1)) * DE_SIZE;
  const gen = fibGen() + 1;
  if (load<u32>(e) == gen && keyEqual(e + DE_KEY, fl)) {
    probeHits++;
    copyBytes(res, e + DE_RES, FR_SIZE); // word moves: memory.copy is a runtime call in V8
    return load<i32>(e + 4);
  }
  const err = v6 ? fib6_lookup(fl, res, false, false) : fib4_lookup(fl, res);
  store<u32>(e, 0);
  copyBytes(e + DE_KEY, fl, DK_SIZE);
  store<i32>(e + 4, err);
  copyBytes(e + DE_RES, res, FR_SIZE);
  store<u32>(e, gen);
  return err;
}

/** fib4_lookup through the route cache: the same 0 / -errno and result. */
export function dst4_route(fl: u32, res: u32): i32 {
  return cached(fl, res, false);
}

/** fib6_lookup through the route cache, then the redirect exception of the chosen next hop (rt6_redirect.ts). */
export function dst6_route(fl: u32, res: u32): i32 {
  const err = cached(fl, res, true);
  if (err == 0) rt6RedirectMaybe(fl + FL_DST, res);
  return err;
}

/** dst6_route past the cache: for a lookup whose multipath hash reads the packet (mp_hash_pkt_begin), which no cache key holds. */
export function dst6_route_fresh(fl: u32, res: u32): i32 {
  const err = fib6_lookup(fl, res, false, false);
  if (err == 0) rt6RedirectMaybe(fl + FL_DST, res);
  return err;
}

@inline function addrLen(family: u32): u32 {
  return family == AF_INET6 ? 16 : 4;
}

function pmtuHash(family: u32, a: u32): u32 {
  let h: u32 = family * 0x9e3779b1;
  const n = addrLen(family);
  for (let i: u32 = 0; i < n; i += 4) h = (h ^ load<u32>(a + i)) * 0x85ebca6b;
  return h ^ (h >> 16);
}

function pmtuMatch(e: u32, family: u32, a: u32): bool {
  if (<u32>load<u8>(e + PE_FAMILY) != family) return false;
  if (family == AF_INET) return load<u32>(e + PE_ADDR) == load<u32>(a);
  return load<u64>(e + PE_ADDR) == load<u64>(a) && load<u64>(e + PE_ADDR + 8) == load<u64>(a + 8);
}

/** The live entry for `a`, or 0. */
function pmtuFind(family: u32, a: u32): u32 {
  const r = dstRoot();
  // nothing learned since the last flush (the common case): no probe of 8 slots per forwarded frame
  if (r == 0 || load<u32>(r + DR_LEARNED) == 0) return 0;
  const base = load<u32>(r + DR_PMTU);
  const h = pmtuHash(family, a);
  const now = netNow();
  for (let i: u32 = 0; i < 8; i++) {
    const e = base + ((h + i) & (PMTU_SLOTS - 1)) * PE_SIZE;
    if (load<u8>(e + PE_FAMILY) != 0 && pmtuMatch(e, family, a)) return load<u64>(e + PE_EXPIRES) > now ? e : 0;
  }
  return 0;
}

/**
 * ip_dst_mtu_maybe_forward(dst, true)'s learned MTU toward IPv4 `a` (network-order u32 at `a`): a live
 * exception's only when it is locked (ip_mtu_locked: a report below min_pmtu — without
 * ip_forward_use_pmtu forwarding ignores the rest), else 0.
 */
export function dst_pmtu_forward4(a: u32): u32 {
  const r = load<u32>(netRoot() + NR_DST);
  if (r == 0 || load<u32>(r + DR_LOCKED) == 0) return 0;
  const e = pmtuFind(AF_INET, a);
  return e != 0 && load<u8>(e + PE_LOCKED) != 0 ? load<u32>(e + PE_MTU) : 0;
}

/** A locked IPv4 exception was learned since the last flush: the lean forward leaves frames to the full path. */
@inline export function dstPmtuLockedAny(): bool {
  const r = load<u32>(netRoot() + NR_DST);
  return r != 0 && load<u32>(r + DR_LOCKED) != 0;
}

/** Nothing learned since the last flush (no exception to probe for): pmtuFind's first test, inlined into a caller's fast path. */
@inline export function dstPmtuNone(): bool {
  const r = load<u32>(netRoot() + NR_DST);
  return r == 0 || load<u32>(r + DR_LEARNED) == 0;
}

/** The learned path MTU toward the address at `dst` (4 or 16 bytes by `family`), 0 when none. */
export function dst_pmtu(family: u32, dst: u32): u32 {
  const e = pmtuFind(family, dst);
  return e == 0 ? 0 : load<u32>(e + PE_MTU);
}

/**
 * An ICMP error said `mtu` toward `dst`: __ip_rt_update_pmtu / rt6_do_update_pmtu. Below min_pmtu
 * (IPv4) the kernel locks the mtu at min_pmtu; IPv6 never goes below 1280. Only lowers a live entry;
 * (re)arms the expiry at now + mtu_expires.
 */
export function dst_pmtu_learn(family: u32, dst: u32, mtu: u32): void {
  const r = dstRoot();
  if (r == 0) return;
  let lock = false;
  if (family == AF_INET) {
    const min = sysctl(SYSCTL_ROUTE_MIN_PMTU);
    if (mtu < min) {
      mtu = min;
      lock = true;
    }
  } else if (mtu < IPV6_MIN_MTU) mtu = IPV6_MIN_MTU;
  const expires = netNow() + <u64>sysctl(family == AF_INET ? SYSCTL_ROUTE_MTU_EXPIRES : SYSCTL_ROUTE6_MTU_EXPIRES) * 1000;
  const live = pmtuFind(family, dst);
  if (live != 0) {
    // __ip_rt_update_pmtu: a locked MTU (ip_mtu_locked) is never changed again
    if (load<u8>(live + PE_LOCKED) != 0 || load<u32>(live + PE_MTU) < mtu) return;
    if (lock) store<u32>(r + DR_LOCKED, 1);
    store<u32>(live + PE_MTU, mtu);
    store<u64>(live + PE_EXPIRES, expires);
    store<u8>(live + PE_LOCKED, lock ? 1 : 0);
    return;
  }
  const base = load<u32>(r + DR_PMTU);
  const h = pmtuHash(family, dst);
  const now = netNow();
  let victim: u32 = 0;
  let soonest: u64 = 0xffffffffffffffff;
  for (let i: u32 = 0; i < 8; i++) {
    const e = base + ((h + i) & (PMTU_SLOTS - 1)) * PE_SIZE;
    if (load<u8>(e + PE_FAMILY) == 0 || pmtuMatch(e, family, dst) || load<u64>(e + PE_EXPIRES) <= now) {
      victim = e;
      break;
    }
    if (load<u64>(e + PE_EXPIRES) < soonest) {
      soonest = load<u64>(e + PE_EXPIRES);
      victim = e;
    }
  }
  store<u32>(r + DR_LEARNED, 1);
  if (lock) store<u32>(r + DR_LOCKED, 1);
  store<u8>(victim + PE_FAMILY, 0);
  store<u8>(victim + PE_LOCKED, lock ? 1 : 0);
  memory.fill(victim + PE_ADDR, 0, 16);
  memory.copy(victim + PE_ADDR, dst, addrLen(family));
  store<u32>(victim + PE_MTU, mtu);
  store<u64>(victim + PE_EXPIRES, expires);
  store<u8>(victim + PE_FAMILY, <u8>family);
}

/** Forget every PMTU exception (`ip route flush cache`). */
export function dst_flush(): void {
  const r = dstRoot();
  if (r == 0) return;
  store<u32>(r + DR_LEARNED, 0);
  store<u32>(r + DR_LOCKED, 0);
  memory.fill(load<u32>(r + DR_PMTU), 0, PMTU_SLOTS * PE_SIZE);
  // the route caches are not written here (workers write their own): a new generation retires every entry
  fibGenBump();
}

/** When the live PMTU exception toward `dst` expires (stack clock, ms), 0 when there is none (ip route get's "expires"). */
export function dst_pmtu_expires(family: u32, dst: u32): u64 {
  const e = pmtuFind(family, dst);
  return e == 0 ? 0 : load<u64>(e + PE_EXPIRES);
}

/**
 * fib_sync_mtu → fib_nhc_update_mtu for the IPv4 exceptions whose route goes out of `ifindex`: the
 * device's MTU went from `orig` to `mtu`; an exception above the new MTU, or equal to the old one
 * (which limited discovery), takes the new MTU. `fl` / `res`: a flow key and result to route with.
 */
export function dst_pmtu_sync_dev(ifindex: u32, mtu: u32, orig: u32, fl: u32, res: u32): void {
  pmtuSyncDev(AF_INET, ifindex, mtu, orig, fl, res);
}

/**
 * rt6_mtu_change → rt6_exceptions_update_pmtu for the IPv6 exceptions whose route goes out of
 * `ifindex` (the route's mtu metric unlocked): the device's MTU went from `orig` (its mtu6 before) to
 * `mtu`; an exception at or above the new MTU, or equal to the old one, takes the new MTU
 * (rt6_mtu_change_route_allowed: RFC 1981 cannot discover a raise, so an administrative one is applied).
 */
export function dst_pmtu6_sync_dev(ifindex: u32, mtu: u32, orig: u32, fl: u32, res: u32): void {
  pmtuSyncDev(AF_INET6, ifindex, mtu, orig, fl, res);
}

/** The two above: the live exceptions of `family` routed out of `ifindex` (an exception equal to the new MTU stays as it is). */
function pmtuSyncDev(family: u32, ifindex: u32, mtu: u32, orig: u32, fl: u32, res: u32): void {
  const r = dstRoot();
  if (r == 0 || load<u32>(r + DR_LEARNED) == 0) return;
  const base = load<u32>(r + DR_PMTU);
  const now = netNow();
  for (let i: u32 = 0; i < PMTU_SLOTS; i++) {
    const e = base + i * PE_SIZE;
    if (<u32>load<u8>(e + PE_FAMILY) != family || load<u64>(e + PE_EXPIRES) <= now) continue;
    memory.fill(fl, 0, FL_SIZE);
    memory.copy(fl + FL_DST, e + PE_ADDR, addrLen(family));
    store<u8>(fl + FL_FAMILY, <u8>family);
    store<u32>(fl + FL_IIF, LOOPBACK_IFINDEX);
    const err = family == AF_INET ? fib4_lookup(fl, res) : fib6_lookup(fl, res, false, false);
    if (err != 0 || load<u32>(res + FR_OIF) != ifindex) continue;
    const fa = load<u32>(res + FR_INFO);
    if (family == AF_INET6 && fa != 0 && (load<u32>(fa + FA_LOCK) & RTAX_MTU_LOCK) != 0) continue;
    const pmtu = load<u32>(e + PE_MTU);
    if (mtu < pmtu || orig == pmtu) store<u32>(e + PE_MTU, mtu);
  }
}

/** Forget the PMTU exception toward `dst` (a redirect exception takes its place: rt6_insert_exception). */
export function dst_pmtu_forget(family: u32, dst: u32): void {
  const e = pmtuFind(family, dst);
  if (e != 0) store<u8>(e + PE_FAMILY, 0);
}
