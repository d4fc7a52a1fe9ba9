// The stack's root: its clock, global sysctls, SNMP and drop counters, the netdev table and the
// per-worker scratch area (layout in net/abi.ts). Every stage reaches shared state through here.
//
// Reads: NET_ROOT_PTR. Sets: the root (net_init), the clock (net_advance, which runs the timers of
// the stages that have them). Frames: none; netFree is the one way a stage gives a frame back.

import { arena_alloc } from '../maps/arena';
import { recycle } from '../device';
import { frameFree } from '../umem';
import {
  NET_MAGIC, NET_ROOT_PTR, NET_ROOT_SIZE, NET_SCRATCH_SIZE, NETDEV_MAX, NR_DROPS, NR_FIB_GEN, NR_MIB, NR_NETDEVS,
  NR_NOW, NR_REALTIME, NR_SCRATCH, NR_SYSCTL, SYSCTL_COUNT, SYSCTL_FIB6_MULTIPATH_HASH_FIELDS, SYSCTL_FIB6_MULTIPATH_HASH_POLICY,
  SYSCTL_FIB_MULTIPATH_HASH_FIELDS, SYSCTL_FIB_MULTIPATH_HASH_POLICY, SYSCTL_FIB_MULTIPATH_USE_NEIGH,
  SYSCTL_ICMP6_RATELIMIT, SYSCTL_ICMP6_RATEMASK_0, SYSCTL_ICMP_ECHO_IGNORE_BROADCASTS, SYSCTL_ICMP_MSGS_BURST,
  SYSCTL_ICMP_MSGS_PER_SEC, SYSCTL_ICMP_RATELIMIT, SYSCTL_ICMP_RATEMASK, SYSCTL_IP6FRAG_HIGH_THRESH,
  SYSCTL_IP6FRAG_LOW_THRESH, SYSCTL_IP6FRAG_TIME, SYSCTL_IPFRAG_HIGH_THRESH, SYSCTL_IPFRAG_LOW_THRESH,
  SYSCTL_IPFRAG_MAX_DIST, SYSCTL_IPFRAG_TIME, SYSCTL_IP_DEFAULT_TTL, SYSCTL_IPV6_ALL_HOP_LIMIT, SYSCTL_IGMP_QRV, SYSCTL_MLD_QRV, SYSCTL_NEIGH4_GC_INTERVAL,
  SYSCTL_NEIGH4_GC_THRESH1, SYSCTL_NEIGH4_GC_THRESH2, SYSCTL_NEIGH4_GC_THRESH3, SYSCTL_NEIGH6_GC_INTERVAL,
  SYSCTL_NEIGH6_GC_THRESH1, SYSCTL_NEIGH6_GC_THRESH2, SYSCTL_NEIGH6_GC_THRESH3, SYSCTL_ROUTE6_MTU_EXPIRES,
  SYSCTL_ROUTE_MIN_PMTU, SYSCTL_ROUTE_MTU_EXPIRES, MIB_COUNT, NDROP_COUNT,
} from './abi';
import { neigh_next_timer, neigh_tick } from './neigh';
import { mc_next_timer, mc_tick } from './udp_mcast';
import { reasm_next_timer, reasm_tick } from './frag';
import { nf_ct_tick, nf_sysctl_defaults } from './nf_conntrack';
import { FRAME_SIZE, Q_OWNER } from '../abi';
import { netLockId } from './lock';

/** The root's address (0: net_init has not run). */
@inline export function netRoot(): u32 {
  return load<u32>(NET_ROOT_PTR);
}

/** Set up the stack's root with the kernel's sysctl defaults. 0, -17 (EEXIST), -12 (ENOMEM). */
export function net_init(): i32 {
  if (netRoot() != 0) return -17;
  const r = arena_alloc(NET_ROOT_SIZE, 64);
  const devs = arena_alloc(NETDEV_MAX * 4, 64);
  const scratch = arena_alloc(NET_SCRATCH_SIZE, 64);
  if (r == 0 || devs == 0 || scratch == 0) return -12;
  store<u32>(r, NET_MAGIC);
  store<u32>(r + NR_NETDEVS, devs);
  store<u32>(r + NR_SCRATCH, scratch);
  const s = r + NR_SYSCTL;
  store<u32>(s + (SYSCTL_ICMP_RATELIMIT << 2), 1000);
  store<u32>(s + (SYSCTL_ICMP_RATEMASK << 2), 6168);
  store<u32>(s + (SYSCTL_ICMP_ECHO_IGNORE_BROADCASTS << 2), 1);
  store<u32>(s + (SYSCTL_ICMP_MSGS_PER_SEC << 2), 1000);
  store<u32>(s + (SYSCTL_ICMP_MSGS_BURST << 2), 50);
  store<u32>(s + (SYSCTL_IP_DEFAULT_TTL << 2), 64);
  store<u32>(s + (SYSCTL_IPV6_ALL_HOP_LIMIT << 2), 64);
  store<u32>(s + (SYSCTL_IGMP_QRV << 2), 2);
  store<u32>(s + (SYSCTL_MLD_QRV << 2), 2);
  store<u32>(s + (SYSCTL_FIB_MULTIPATH_HASH_FIELDS << 2), 7);
  store<u32>(s + (SYSCTL_FIB6_MULTIPATH_HASH_FIELDS << 2), 7);
  store<u32>(s + (SYSCTL_IPFRAG_HIGH_THRESH << 2), 4194304);
  store<u32>(s + (SYSCTL_IPFRAG_LOW_THRESH << 2), 3145728);
  store<u32>(s + (SYSCTL_IPFRAG_TIME << 2), 30);
  store<u32>(s + (SYSCTL_IPFRAG_MAX_DIST << 2), 64);
  store<u32>(s + (SYSCTL_ROUTE_MTU_EXPIRES << 2), 600);
  store<u32>(s + (SYSCTL_ROUTE_MIN_PMTU << 2), 552);
  store<u32>(s + (SYSCTL_IP6FRAG_HIGH_THRESH << 2), 4194304);
  store<u32>(s + (SYSCTL_IP6FRAG_LOW_THRESH << 2), 3145728);
  store<u32>(s + (SYSCTL_IP6FRAG_TIME << 2), 60);
  store<u32>(s + (SYSCTL_ICMP6_RATELIMIT << 2), 100); // icmpv6_time = HZ / 10 since Linux 6.x (1000 before)
  store<u32>(s + (SYSCTL_ROUTE6_MTU_EXPIRES << 2), 600);
  store<u32>(s + (SYSCTL_NEIGH4_GC_THRESH1 << 2), 128);
  store<u32>(s + (SYSCTL_NEIGH4_GC_THRESH2 << 2), 512);
  store<u32>(s + (SYSCTL_NEIGH4_GC_THRESH3 << 2), 1024);
  store<u32>(s + (SYSCTL_NEIGH4_GC_INTERVAL << 2), 30);
  store<u32>(s + (SYSCTL_NEIGH6_GC_THRESH1 << 2), 128);
  store<u32>(s + (SYSCTL_NEIGH6_GC_THRESH2 << 2), 512);
  store<u32>(s + (SYSCTL_NEIGH6_GC_THRESH3 << 2), 1024);
  store<u32>(s + (SYSCTL_NEIGH6_GC_INTERVAL << 2), 30);
  // net.ipv6.icmp.ratemask default "0-1,3-127": every type but 2 (packet too big), bits by type
  store<u32>(s + (SYSCTL_ICMP6_RATEMASK_0 << 2), 0xfffffffb);
  store<u32>(s + ((SYSCTL_ICMP6_RATEMASK_0 + 1) << 2), 0xffffffff);
  store<u32>(s + ((SYSCTL_ICMP6_RATEMASK_0 + 2) << 2), 0xffffffff);
  store<u32>(s + ((SYSCTL_ICMP6_RATEMASK_0 + 3) << 2), 0xffffffff);
  nf_sysctl_defaults(s);
  store<u32>(NET_ROOT_PTR, r); // last: a reader sees no root or a whole one
  return 0;
}

// ---- Clock ----

/** The stack's clock in milliseconds. */
@inline export function netNow(): u64 {
  return load<u64>(netRoot() + NR_NOW);
}

/** A jiffy of the stack clock: the kernel compared with runs at HZ = 250 (src/control/jiffies.ts). */
export const JIFFY_MS: u64 = 4;

/**
 * bpf_jiffies64 (get_jiffies_64) on the stack clock: the jiffies every timeout of the stack is kept by
 * (conntrack's nf_conn.timeout among them), so a program's `ct->timeout - bpf_jiffies64()` is the
 * jiffies an entry has left, as in the kernel. 0 before the stack has a clock.
 */
export function bpf_jiffies64(r1: u64, r2: u64, r3: u64, r4: u64, r5: u64): u64 {
  return netRoot() == 0 ? 0 : netNow() / JIFFY_MS;
}

/** Advance the clock by `ms` and run the timers that fell due (neighbours, reassembly, conntrack, group report repeats). */
export function net_advance(ms: u32): void {
  const r = netRoot();
  if (r == 0) return;
  const now = load<u64>(r + NR_NOW) + <u64>ms;
  store<u64>(r + NR_NOW, now);
  neigh_tick(now);
  reasm_tick(now);
  nf_ct_tick(now);
  mc_tick(now);
}

/** The earliest timer of the stages that have them (ms on the stack clock), -1 when none is armed. */
export function net_next_timer(): i64 {
  const a = neigh_next_timer();
  const b = reasm_next_timer();
  const c = mc_next_timer();
  const ab = a < 0 ? b : b < 0 || a < b ? a : b;
  return ab < 0 ? c : c < 0 || ab < c ? ab : c;
}

/** Set the wall clock: `ms` since the Unix epoch when the stack clock read 0 (NR_REALTIME). */
export function net_realtime_set(ms: u64): void {
  const r = netRoot();
  if (r != 0) store<u64>(r + NR_REALTIME, ms);
}

/** ktime_get_real in ms: the wall clock on the stack clock (meta time, day, hour). */
export function netRealtimeMs(): u64 {
  return load<u64>(netRoot() + NR_REALTIME) + netNow();
}

export function net_now(): u64 {
  const r = netRoot();
  return r == 0 ? 0 : load<u64>(r + NR_NOW);
}

// ---- Sysctls ----

@inline export function sysctl(i: u32): u32 {
  return load<u32>(netRoot() + NR_SYSCTL + (i << 2));
}

/** Set global sysctl `i` (SYSCTL_*). 0, or -22 (EINVAL: no such index). */
export function net_sysctl_set(i: u32, v: u32): i32 {
  if (i >= SYSCTL_COUNT || netRoot() == 0) return -22;
  const old = sysctl(i);
  store<u32>(netRoot() + NR_SYSCTL + (i << 2), v);
  // What the multipath hash reads (policy, seed, fields, use_neigh): the kernel hashes each packet anew,
  // while the route cache (dst.ts) keeps next hops chosen under the old values — stale from here on.
  const mp = (i >= SYSCTL_FIB_MULTIPATH_HASH_POLICY && i <= SYSCTL_FIB_MULTIPATH_USE_NEIGH) ||
    i == SYSCTL_FIB6_MULTIPATH_HASH_POLICY || i == SYSCTL_FIB6_MULTIPATH_HASH_FIELDS;
  if (mp && v != old) fibGenBump();
  return 0;
}

export function net_sysctl_get(i: u32): u32 {
  if (i >= SYSCTL_COUNT || netRoot() == 0) return 0;
  return sysctl(i);
}

// ---- Counters ----
//
// A worker counts into its own arrays (in its area, assembly/worker.ts: per CPU, as the kernel's
// SNMP_INC_STATS and drop counters are), the main thread into the root's; readers sum them
// (src/control/stack.ts). Wasm globals, so each instance has its own; 0: the root's.

let ownMib: u32 = 0;
let ownDrops: u32 = 0;

/** This instance counts into `mib` (MIB_COUNT × u64) and `drops` (NDROP_COUNT × u64): worker_init. */
export function netCountersSet(mib: u32, drops: u32): void {
  ownMib = mib;
  ownDrops = drops;
}

@inline function mibAt(i: u32): u32 {
  return (ownMib != 0 ? ownMib : netRoot() + NR_MIB) + (i << 3);
}

@inline export function mibInc(i: u32): void {
  const a = mibAt(i);
  store<u64>(a, load<u64>(a) + 1);
}

@inline export function mibAdd(i: u32, n: u64): void {
  const a = mibAt(i);
  store<u64>(a, load<u64>(a) + n);
}

@inline export function netDrop(reason: u32): void {
  const a = (ownDrops != 0 ? ownDrops : netRoot() + NR_DROPS) + (reason << 3);
  store<u64>(a, load<u64>(a) + 1);
}

/** Address of the SNMP counters (MIB_COUNT × u64) and of the drop counters (NDROP_COUNT × u64). */
export function net_mib_base(): u32 {
  return netRoot() + NR_MIB;
}
export function net_drops_base(): u32 {
  return netRoot() + NR_DROPS;
}
export const NET_MIB_COUNT: u32 = MIB_COUNT;
export const NET_NDROP_COUNT: u32 = NDROP_COUNT;

// ---- The netdev table ----

/** The stack's record of `ifindex` (netdev.ts lays it out), 0 when there is none. */
@inline export function netdevGet(ifindex: u32): u32 {
  const r = netRoot();
  if (r == 0 || ifindex >= NETDEV_MAX) return 0;
  return load<u32>(load<u32>(r + NR_NETDEVS) + (ifindex << 2));
}

export function netdev_get(ifindex: u32): u32 {
  return netdevGet(ifindex);
}

/** Publish `rec` (0: remove) as the record of `ifindex`: one aligned store. */
export function netdevPublish(ifindex: u32, rec: u32): void {
  store<u32>(load<u32>(netRoot() + NR_NETDEVS) + (ifindex << 2), rec);
}

/**
 * This instance's worker scratch, 0 on the main thread (which uses the root's): a wasm global, so each
 * worker's instance has its own (assembly/worker.ts sets it once).
 */
let ownScratch: u32 = 0;

export function netScratchSet(scratch: u32): void {
  ownScratch = scratch;
}

/** The worker's scratch area (NET_SCRATCH_SIZE bytes): flow keys, results, headers being built. */
@inline export function netScratch(): u32 {
  return ownScratch != 0 ? ownScratch : load<u32>(netRoot() + NR_SCRATCH);
}

/** Bump the FIB generation (every route, rule or address change): dst cache entries go stale. */
export function fibGenBump(): void {
  const a = netRoot() + NR_FIB_GEN;
  // one writer (the control plane); readers compare whole aligned words
  store<u32>(a, load<u32>(a) + 1);
}

@inline export function fibGen(): u32 {
  return load<u32>(netRoot() + NR_FIB_GEN);
}

// ---- Frames ----

/**
 * A stage is done with a frame: back on queue `q`'s fill ring, or to the pool when the frame was the
 * stack's own (q == 0: a reply, a fragment, a queued frame whose queue is gone). In the shared build
 * only the thread polling `q` pushes onto its fill ring (one producer, as a NIC queue's page pool is
 * refilled by its own NAPI context); a frame another thread lets go of — a datagram the control plane
 * read, a fragment another worker completed, a neighbour's queued frame — goes to the pool (locked).
 */
@inline export function netFree(q: u32, addr: u32): void {
  if (q != 0 && (!ASC_FEATURE_THREADS || load<u32>(q, Q_OWNER) == netLockId())) recycle(q, addr);
  else frameFree(addr & ~(FRAME_SIZE - 1));
}
