// ICMP and ICMPv6: what arrives for the host (icmp_rcv / icmpv6_rcv: echo and timestamp answered here,
// neighbour discovery to ndisc_rcv, the rest up to the host ring for the L4 demux to take), and the
// errors the stack sends (icmp_send / icmpv6_send, net/ipv4/icmp.c __icmp_send and net/ipv6/icmp.c
// icmp6_send): they quote the offending packet (IPv4: up to 576 bytes in all; IPv6: up to the minimum
// MTU), come from the address the kernel would pick, and are rate limited as the kernel's are:
//
//   global  icmp_global_allow: a token bucket of icmp_msgs_burst refilled at icmp_msgs_per_sec (never
//           below 20 ms apart), consumed by 0-2 tokens a message (icmp_global_consume's random draw,
//           here from a fixed-seed generator so runs repeat); Icmp:OutRateLimitGlobal when empty
//   peer    inet_peer_xrlim_allow: per destination, icmp_ratelimit ms a message with a burst of
//           XRLIM_BURST_FACTOR (6); Icmp:OutRateLimitHost / Icmp6:OutRateLimitHost when empty
//   both apply only to the types in icmp_ratemask (net.ipv6.icmp.ratemask), never to "fragmentation
//   needed"; ICMPv6's per-peer interval is halved for every 32 bits the route's prefix is shorter than 128.
//
// The rate-limit state hangs off the root (NR_ICMP), set up on first use:
//
//   +0  i64 global credit | +8 i64 global stamp (ms) | +16 u32 generator state
//   +64 PEER_SETS × PEER_WAYS peers of PEER_SIZE bytes (inet_peer, by address; a full set recycles
//       its least recently used), shared as the kernel's are by the ICMP limiter, ip_error's limiter and
//       the redirect backoff:
//       +0 u32 family (0: free) | +8 i64 rate_tokens | +16 i64 rate_last | +24 u32 n_redirects
//       +32 i64 last use | +40 address (16 bytes)
//
// Received errors teach the path MTU as the kernel's handlers do (fragmentation needed about an echo
// reply of ours, packet too big about our ICMPv6): dst_pmtu_learn (dst.ts).
//
// Reads: the offending or received packet (icmp_send never takes it: the caller still owns it), the
// FIB (the route back), the clock, sysctls. Sets: SNMP Icmp/Icmp6 counters, the rate-limit state, PMTU
// exceptions; a reply in place of the request (echo, timestamp), a new frame from the pool for an error.
// Next: ip_local_out / ip6_send_skb (output.ts) toward the packet's source; ndisc_rcv; the host ring.

import { nf_ct_attach, nf_frame_forget } from './netfilter';
import { arena_alloc } from '../maps/arena';
import { frameAlloc } from '../umem';
import { FRAME_SIZE, XDP_PACKET_HEADROOM } from '../abi';
import { copyBytes } from '../bytes';
import { mibInc, netDrop, netFree, netNow, netRoot, sysctl, netdevGet, netScratch } from './core';
import { NR_LOCK_ICMP, SCR_RX } from './abi';
import { spinLock, spinUnlock } from './lock';
import {
  AF_INET, AF_INET6, FR_PREFSRC, FL_DST, FL_FAMILY, FL_IIF, FL_OIF, FL_SCOPE, FL_SIZE, FL_TOS, FR_OIF, FR_PREFIXLEN, FR_SIZE, FR_TYPE,
  LOOPBACK_IFINDEX, MIB_ICMP6_IN_CSUM_ERRORS, MIB_ICMP6_IN_DEST_UNREACHS, MIB_ICMP6_IN_ECHOS,
  MIB_ICMP6_IN_ECHO_REPLIES, MIB_ICMP6_IN_ERRORS, MIB_ICMP6_IN_MSGS, MIB_ICMP6_IN_NEIGHBOR_ADVERTISEMENTS,
  MIB_ICMP6_IN_NEIGHBOR_SOLICITS, MIB_ICMP6_IN_PARM_PROBLEMS, MIB_ICMP6_IN_PKT_TOO_BIGS, MIB_ICMP6_IN_TIME_EXCDS,
  MIB_ICMP6_OUT_DEST_UNREACHS, MIB_ICMP6_OUT_ECHO_REPLIES, MIB_ICMP6_OUT_MSGS, MIB_ICMP6_OUT_PARM_PROBLEMS,
  MIB_ICMP6_OUT_PKT_TOO_BIGS, MIB_ICMP6_OUT_RATE_LIMIT_HOST, MIB_ICMP6_OUT_TIME_EXCDS, MIB_ICMP_IN_CSUM_ERRORS,
  MIB_ICMP_IN_DEST_UNREACHS, MIB_ICMP_IN_ECHOS, MIB_ICMP_IN_ECHO_REPS, MIB_ICMP_IN_ERRORS, MIB_ICMP_IN_MSGS,
  MIB_ICMP_IN_TIME_EXCDS, MIB_ICMP_OUT_DEST_UNREACHS, MIB_ICMP_OUT_ECHO_REPS, MIB_ICMP_OUT_MSGS,
  MIB_ICMP_OUT_RATE_LIMIT_GLOBAL, MIB_ICMP_OUT_RATE_LIMIT_HOST, MIB_ICMP_OUT_REDIRECTS, MIB_ICMP_OUT_TIME_EXCDS,
  MIB_ICMP_IN_PARM_PROBS, MIB_ICMP_IN_REDIRECTS, MIB_ICMP_OUT_PARM_PROBS, MIB_ICMP_IN_TIMESTAMPS,
  MIB_ICMP_OUT_TIMESTAMP_REPS, MIB_ICMP6_IN_ROUTER_SOLICITS, MIB_ICMP6_IN_ROUTER_ADVERTISEMENTS,
  MIB_ICMP6_IN_REDIRECTS, MIB_IP6_OUT_NO_ROUTES, NDROP_ICMP_CSUM, NDROP_INVALID_PROTO, NDROP_IP_INHDR,
  NDROP_IPV6_BAD_EXTHDR, NDROP_NOMEM, NDROP_NOT_SPECIFIED, NDROP_PKT_TOO_SMALL, NDROP_UNHANDLED_PROTO, NR_ICMP,
  ND_CONF6, CONF6_HOP_LIMIT, RT_SCOPE_LINK, RTN_BROADCAST, RTN_ANYCAST, RTN_LOCAL, RTN_UNICAST, RT_SCOPE_UNIVERSE,
  SYSCTL_ICMP6_ECHO_IGNORE_ALL, SYSCTL_ICMP6_RATELIMIT, SYSCTL_ICMP6_RATEMASK_0, SYSCTL_ICMP_ECHO_IGNORE_ALL,
  SYSCTL_ICMP_ECHO_IGNORE_BROADCASTS, SYSCTL_ICMP_ERRORS_USE_INBOUND_IFADDR, SYSCTL_ICMP_MSGS_BURST,
  SYSCTL_ICMP_MSGS_PER_SEC, SYSCTL_ICMP_RATELIMIT, SYSCTL_ICMP_RATEMASK, SYSCTL_IP_DEFAULT_TTL, SYSCTL_IP_NO_PMTU_DISC,
} from './abi';
import { fib4_local_type, fib6_lookup } from './fib';
import { mp_hash_pkt_begin, mp_hash_pkt_end } from './mphash';
import { inet_select_addr, ipv6_dev_get_saddr } from './netdev';
import { ndisc_rcv } from './neigh';
import { csumAdd, csumFinish, csumFold16, csumIpv6Pseudo } from './csum';
import {
  ETH_HLEN, INADDR_DUMMY, IPH_DADDR, IPH_FRAG_OFF, IPH_PROTOCOL, IPH_SADDR, IPH_TOS, IPH_TTL, IPPROTO_ICMP,
  IPPROTO_ICMPV6, IPV6_ADDR_ANY, IPV6_ADDR_LINKLOCAL, IPV6_ADDR_LOOPBACK, IPV6_ADDR_MULTICAST, IPV6_HLEN,
  IPV6_MIN_MTU, IP_OFFSET, IP6H_DADDR, IP6H_HOP_LIMIT, IP6H_NEXTHDR, IP6H_PAYLOAD_LEN, IP6H_SADDR,
  ipv4IsLbcast, ipv4IsMulticast, ipv4IsZeronet, ipv6AddrType, ipv6Copy, ipv6IsMulticast, ldBe16, ldBe32,
  stBe16, stBe32,
} from './inet';
import {
  OUT_RES, ip6_send_skb, ip6_route_output, ip_local_out, ip_route_output, outSrc4, ownMtu4, ownMtu6,
} from './output';
import { dst_pmtu_learn } from './dst';
import { hostDeliverIcmp } from './local';
import { ipv6SkipExthdr, skipFragOff, skipNexthdr } from './ipv6_rcv';
import { OPTE_RR_NEEDADDR, OPTE_TS_NEEDADDR, OPTE_TS_NEEDTIME, optEchoData, optEchoFlags, optEchoRR, optEchoTS } from './ipv4_rcv';

// ---- Types and codes ----
export const ICMP_ECHOREPLY: u32 = 0;
export const ICMP_DEST_UNREACH: u32 = 3;
export const ICMP_SOURCE_QUENCH: u32 = 4;
export const ICMP_REDIRECT: u32 = 5;
export const ICMP_ECHO: u32 = 8;
export const ICMP_TIME_EXCEEDED: u32 = 11;
export const ICMP_PARAMETERPROB: u32 = 12;
export const ICMP_TIMESTAMP: u32 = 13;
export const ICMP_TIMESTAMPREPLY: u32 = 14;
export const ICMP_ADDRESS: u32 = 17;
export const ICMP_ADDRESSREPLY: u32 = 18;
export const NR_ICMP_TYPES: u32 = 18;
export const ICMP_NET_UNREACH: u32 = 0;
export const ICMP_HOST_UNREACH: u32 = 1;
export const ICMP_PROT_UNREACH: u32 = 2;
export const ICMP_PORT_UNREACH: u32 = 3;
export const ICMP_FRAG_NEEDED: u32 = 4;
export const ICMP_SR_FAILED: u32 = 5;
export const ICMP_PKT_FILTERED: u32 = 13;
export const NR_ICMP_UNREACH: u32 = 15;
export const ICMP_EXC_TTL: u32 = 0;
export const ICMP_EXC_FRAGTIME: u32 = 1;
export const ICMP_REDIR_HOST: u32 = 1;

export const ICMPV6_DEST_UNREACH: u32 = 1;
export const ICMPV6_PKT_TOOBIG: u32 = 2;
export const ICMPV6_TIME_EXCEED: u32 = 3;
export const ICMPV6_PARAMPROB: u32 = 4;
export const ICMPV6_ECHO_REQUEST: u32 = 128;
export const ICMPV6_ECHO_REPLY: u32 = 129;
export const ICMPV6_MGM_QUERY: u32 = 130;
export const ICMPV6_MGM_REPORT: u32 = 131;
export const NDISC_ROUTER_SOLICITATION: u32 = 133;
export const NDISC_ROUTER_ADVERTISEMENT: u32 = 134;
export const NDISC_NEIGHBOUR_SOLICITATION: u32 = 135;
export const NDISC_NEIGHBOUR_ADVERTISEMENT: u32 = 136;
export const NDISC_REDIRECT: u32 = 137;
export const ICMPV6_NOROUTE: u32 = 0;
export const ICMPV6_ADM_PROHIBITED: u32 = 1;
export const ICMPV6_NOT_NEIGHBOUR: u32 = 2;
export const ICMPV6_ADDR_UNREACH: u32 = 3;
export const ICMPV6_PORT_UNREACH: u32 = 4;
export const ICMPV6_EXC_HOPLIMIT: u32 = 0;
export const ICMPV6_HDR_FIELD: u32 = 0;
export const ICMPV6_UNK_NEXTHDR: u32 = 1;
export const ICMPV6_UNK_OPTION: u32 = 2;

// rtable flags the receive stage passes with a local datagram (include/uapi/linux/in_route.h)
export const RTCF_BROADCAST: u32 = 0x10000000;
export const RTCF_MULTICAST: u32 = 0x20000000;
export const RTCF_LOCAL: u32 = 0x80000000;

/** icmp_pointers[type].error: the types that are errors (never answered with an error). */
@inline function icmpIsError(type: u32): bool {
  // 1-7, 9-12 (see net/ipv4/icmp.c icmp_pointers)
  return type <= 12 && ((1 << type) & 0x1efe) != 0;
}

// ---- Rate-limit state ----

const IS_CREDIT: u32 = 0;
const IS_STAMP: u32 = 8;
const IS_RNG: u32 = 16;
const IS_PEERS: u32 = 64;
const PEER_SETS: u32 = 256;
const PEER_WAYS: u32 = 4;
const PEER_SIZE: u32 = 64;
const PEER_FAMILY: u32 = 0;
const PEER_TOKENS: u32 = 8;
const PEER_LAST: u32 = 16;
const PEER_NREDIR: u32 = 24;
const PEER_USED: u32 = 32;
const PEER_ADDR: u32 = 40;
const ICMP_STATE_SIZE: u32 = IS_PEERS + PEER_SETS * PEER_WAYS * PEER_SIZE;
/** XRLIM_BURST_FACTOR (include/net/inetpeer.h). */
const XRLIM_BURST_FACTOR: i64 = 6;

/** The state block, set up the first time an ICMP is sent (0 when memory ran out: nothing is limited). */
function icmpState(): u32 {
  const r = netRoot();
  let s = load<u32>(r + NR_ICMP);
  if (s != 0) return s;
  icmpLock();
  s = load<u32>(r + NR_ICMP); // another worker may have set it up meanwhile
  if (s == 0) s = icmpStateInit(r);
  icmpUnlock();
  return s;
}

// Workers (the shared build): the buckets change under the stack's NR_LOCK_ICMP spin lock (lock.ts):
// the global credit (the kernel's atomic icmp_global.credit) and each peer's tokens (inet_peer's), the
// peer found and charged in one hold.
@inline function icmpLock(): void {
  spinLock(netRoot() + NR_LOCK_ICMP);
}
@inline function icmpUnlock(): void {
  spinUnlock(netRoot() + NR_LOCK_ICMP);
}

/** inet_peer_xrlim_allow on the peer of `addr`, found (or made) and charged under the lock. */
function peerAllow(s: u32, family: u32, addr: u32, timeout: i64): bool {
  icmpLock();
  const ok = xrlimAllow(peerGet(s, family, addr), timeout);
  icmpUnlock();
  return ok;
}

function icmpStateInit(r: u32): u32 {
  const s = arena_alloc(ICMP_STATE_SIZE, 64);
  if (s == 0) return 0;
  memory.fill(s, 0, ICMP_STATE_SIZE);
  // The bucket was last filled a second ago: the first message finds it full, as at boot.
  store<i64>(s + IS_STAMP, <i64>netNow() - 1000);
  store<u32>(s + IS_RNG, 0x9e3779b9);
  store<u32>(r + NR_ICMP, s);
  return s;
}

/** icmp_global_allow (net/ipv4/icmp.c): credit left, or a refill if 20 ms or more went by. */
function globalAllow(s: u32): bool {
  icmpLock();
  const ok = globalAllowLocked(s);
  icmpUnlock();
  return ok;
}

function globalAllowLocked(s: u32): bool {
  if (load<i64>(s + IS_CREDIT) > 0) return true;
  const now = <i64>netNow();
  let delta = now - load<i64>(s + IS_STAMP);
  if (delta > 1000) delta = 1000;
  if (delta < 20) return false;
  const incr = (<i64>sysctl(SYSCTL_ICMP_MSGS_PER_SEC) * delta) / 1000;
  if (incr == 0) return false;
  store<i64>(s + IS_STAMP, now);
  const burst = <i64>sysctl(SYSCTL_ICMP_MSGS_BURST);
  const c = load<i64>(s + IS_CREDIT) + incr;
  store<i64>(s + IS_CREDIT, c < burst ? c : burst);
  return true;
}

/** icmp_global_consume: 0, 1 or 2 tokens (get_random_u32_below(3) on a fixed-seed xorshift32). */
function globalConsume(s: u32): void {
  icmpLock();
  globalConsumeLocked(s);
  icmpUnlock();
}

function globalConsumeLocked(s: u32): void {
  let x = load<u32>(s + IS_RNG);
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  store<u32>(s + IS_RNG, x);
  const credits = <i64>((<u64>x * 3) >> 32);
  store<i64>(s + IS_CREDIT, load<i64>(s + IS_CREDIT) - credits);
}

/** The peer (inet_getpeer) for `family` and the address at `addr`, created when new; 0 never (a set is recycled). */
function peerGet(s: u32, family: u32, addr: u32): u32 {
  let h: u32;
  if (family == AF_INET) h = load<u32>(addr);
  else h = load<u32>(addr) ^ load<u32>(addr, 4) ^ load<u32>(addr, 8) ^ load<u32>(addr, 12);
  h = (h * 0x9e3779b1) >> 24; // PEER_SETS = 256
  const set = s + IS_PEERS + h * PEER_WAYS * PEER_SIZE;
  const now = <i64>netNow();
  let victim = set;
  for (let w: u32 = 0; w < PEER_WAYS; w++) {
    const p = set + w * PEER_SIZE;
    const f = load<u32>(p, PEER_FAMILY);
    if (f == family) {
      const same = family == AF_INET
        ? load<u32>(p, PEER_ADDR) == load<u32>(addr)
        : load<u64>(p, PEER_ADDR) == load<u64>(addr) && load<u64>(p, PEER_ADDR + 8) == load<u64>(addr, 8);
      if (same) {
        store<i64>(p, now, PEER_USED);
        return p;
      }
    }
    if (f == 0) victim = p;
    else if (load<u32>(victim, PEER_FAMILY) != 0 && load<i64>(p, PEER_USED) < load<i64>(victim, PEER_USED)) victim = p;
  }
  // A new peer: no tokens, and rate_last a minute ago so the first check starts from a full bucket.
  memory.fill(victim, 0, PEER_SIZE);
  store<u32>(victim, family, PEER_FAMILY);
  if (family == AF_INET) store<u32>(victim, load<u32>(addr), PEER_ADDR);
  else ipv6Copy(victim + PEER_ADDR, addr);
  store<i64>(victim, now - 60000, PEER_LAST);
  store<i64>(victim, now, PEER_USED);
  return victim;
}

/** inet_peer_xrlim_allow: the peer's token bucket, `timeout` ms a message, XRLIM_BURST_FACTOR deep. */
function xrlimAllow(p: u32, timeout: i64): bool {
  let token = load<i64>(p, PEER_TOKENS);
  const now = <i64>netNow();
  const delta = now - load<i64>(p, PEER_LAST);
  if (delta != 0) {
    store<i64>(p, now, PEER_LAST);
    token += delta;
    if (token > XRLIM_BURST_FACTOR * timeout) token = XRLIM_BURST_FACTOR * timeout;
  }
  let rc = false;
  if (token >= timeout) {
    token -= timeout;
    rc = true;
  }
  store<i64>(p, token, PEER_TOKENS);
  return rc;
}

/**
 * inet_peer_xrlim_allow on the IPv6 peer of the 16 bytes at `addr` (the one ICMPv6 errors to it use too),
 * `timeout` ms a message: ip6_forward's and ndisc_send_redirect's 1 s per redirect.
 */
export function peerXrlimAllow6(addr: u32, timeout: i64): bool {
  const s = icmpState();
  return s == 0 || peerAllow(s, AF_INET6, addr, timeout);
}

/**
 * ip_error's own limit (net/ipv4/route.c): the peer of the packet's source earns a token a ms up to
 * ip_rt_error_burst (5 s) and an ICMP costs ip_rt_error_cost (1 s). true when the error may be sent.
 */
export function ipErrorAllow(saddr: u32): bool {
  const s = icmpState();
  if (s == 0) return true;
  icmpLock();
  const ok = ipErrorAllowLocked(s, saddr);
  icmpUnlock();
  return ok;
}

function ipErrorAllowLocked(s: u32, saddr: u32): bool {
  store<u32>(SCRATCH_ADDR(), saddr);
  const p = peerGet(s, AF_INET, SCRATCH_ADDR());
  const now = <i64>netNow();
  let tokens = load<i64>(p, PEER_TOKENS) + (now - load<i64>(p, PEER_LAST));
  if (tokens > 5000) tokens = 5000;
  store<i64>(p, now, PEER_LAST);
  let send = true;
  if (tokens >= 1000) tokens -= 1000;
  else send = false;
  store<i64>(p, tokens, PEER_TOKENS);
  return send;
}

/** ip_rt_redirect_number, ip_rt_redirect_load (HZ/50), ip_rt_redirect_silence ((HZ/50) << 10) in ms. */
const REDIRECT_NUMBER: u32 = 9;
const REDIRECT_LOAD: i64 = 20;
const REDIRECT_SILENCE: i64 = 20 << 10;

/**
 * ip_rt_send_redirect's backoff for the packet's source: the first redirect at once, then each after
 * REDIRECT_LOAD << n ms, at most REDIRECT_NUMBER, reset after REDIRECT_SILENCE without any.
 */
export function redirectAllow(saddr: u32): bool {
  const s = icmpState();
  if (s == 0) return true;
  icmpLock();
  const ok = redirectAllowLocked(s, saddr);
  icmpUnlock();
  return ok;
}

function redirectAllowLocked(s: u32, saddr: u32): bool {
  store<u32>(SCRATCH_ADDR(), saddr);
  const p = peerGet(s, AF_INET, SCRATCH_ADDR());
  const now = <i64>netNow();
  if (now > load<i64>(p, PEER_LAST) + REDIRECT_SILENCE) {
    store<i64>(p, 0, PEER_TOKENS);
    store<u32>(p, 0, PEER_NREDIR);
  }
  const n = load<u32>(p, PEER_NREDIR);
  if (n >= REDIRECT_NUMBER) {
    store<i64>(p, now, PEER_LAST);
    return false;
  }
  if (n == 0 || now > load<i64>(p, PEER_LAST) + (REDIRECT_LOAD << n)) {
    store<i64>(p, now, PEER_LAST);
    store<u32>(p, n + 1, PEER_NREDIR);
    return true;
  }
  return false;
}

@inline function SCRATCH_ADDR(): u32 {
  return netScratch() + SCR_RX + 560;
}

/** icmpv4_mask_allow: not limited (types past 18, fragmentation needed, types not in icmp_ratemask). */
@inline function maskAllow4(type: u32, code: u32): bool {
  if (type > NR_ICMP_TYPES) return true;
  if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED) return true;
  return ((1 << type) & sysctl(SYSCTL_ICMP_RATEMASK)) == 0;
}

/** icmpv6_mask_allow: types not in net.ipv6.icmp.ratemask (128 bits here: higher types are never limited). */
@inline function maskAllow6(type: u32): bool {
  if (type > 127) return true;
  return (sysctl(SYSCTL_ICMP6_RATEMASK_0 + (type >> 5)) & (1 << (type & 31))) == 0;
}

// ---- Counters by type ----

function countOut4(type: u32): void {
  mibInc(MIB_ICMP_OUT_MSGS);
  if (type == ICMP_DEST_UNREACH) mibInc(MIB_ICMP_OUT_DEST_UNREACHS);
  else if (type == ICMP_TIME_EXCEEDED) mibInc(MIB_ICMP_OUT_TIME_EXCDS);
  else if (type == ICMP_ECHOREPLY) mibInc(MIB_ICMP_OUT_ECHO_REPS);
  else if (type == ICMP_REDIRECT) mibInc(MIB_ICMP_OUT_REDIRECTS);
  else if (type == ICMP_PARAMETERPROB) mibInc(MIB_ICMP_OUT_PARM_PROBS);
  else if (type == ICMP_TIMESTAMPREPLY) mibInc(MIB_ICMP_OUT_TIMESTAMP_REPS);
}

function countIn4(type: u32): void {
  if (type == ICMP_DEST_UNREACH) mibInc(MIB_ICMP_IN_DEST_UNREACHS);
  else if (type == ICMP_TIME_EXCEEDED) mibInc(MIB_ICMP_IN_TIME_EXCDS);
  else if (type == ICMP_ECHO) mibInc(MIB_ICMP_IN_ECHOS);
  else if (type == ICMP_ECHOREPLY) mibInc(MIB_ICMP_IN_ECHO_REPS);
  else if (type == ICMP_PARAMETERPROB) mibInc(MIB_ICMP_IN_PARM_PROBS);
  else if (type == ICMP_REDIRECT) mibInc(MIB_ICMP_IN_REDIRECTS);
  else if (type == ICMP_TIMESTAMP) mibInc(MIB_ICMP_IN_TIMESTAMPS);
}

function countOut6(type: u32): void {
  mibInc(MIB_ICMP6_OUT_MSGS);
  if (type == ICMPV6_DEST_UNREACH) mibInc(MIB_ICMP6_OUT_DEST_UNREACHS);
  else if (type == ICMPV6_PKT_TOOBIG) mibInc(MIB_ICMP6_OUT_PKT_TOO_BIGS);
  else if (type == ICMPV6_TIME_EXCEED) mibInc(MIB_ICMP6_OUT_TIME_EXCDS);
  else if (type == ICMPV6_PARAMPROB) mibInc(MIB_ICMP6_OUT_PARM_PROBLEMS);
  else if (type == ICMPV6_ECHO_REPLY) mibInc(MIB_ICMP6_OUT_ECHO_REPLIES);
}

function countIn6(type: u32): void {
  if (type == ICMPV6_DEST_UNREACH) mibInc(MIB_ICMP6_IN_DEST_UNREACHS);
  else if (type == ICMPV6_PKT_TOOBIG) mibInc(MIB_ICMP6_IN_PKT_TOO_BIGS);
  else if (type == ICMPV6_TIME_EXCEED) mibInc(MIB_ICMP6_IN_TIME_EXCDS);
  else if (type == ICMPV6_PARAMPROB) mibInc(MIB_ICMP6_IN_PARM_PROBLEMS);
  else if (type == ICMPV6_ECHO_REQUEST) mibInc(MIB_ICMP6_IN_ECHOS);
  else if (type == ICMPV6_ECHO_REPLY) mibInc(MIB_ICMP6_IN_ECHO_REPLIES);
  else if (type == NDISC_NEIGHBOUR_SOLICITATION) mibInc(MIB_ICMP6_IN_NEIGHBOR_SOLICITS);
  else if (type == NDISC_NEIGHBOUR_ADVERTISEMENT) mibInc(MIB_ICMP6_IN_NEIGHBOR_ADVERTISEMENTS);
  else if (type == NDISC_ROUTER_SOLICITATION) mibInc(MIB_ICMP6_IN_ROUTER_SOLICITS);
  else if (type == NDISC_ROUTER_ADVERTISEMENT) mibInc(MIB_ICMP6_IN_ROUTER_ADVERTISEMENTS);
  else if (type == NDISC_REDIRECT) mibInc(MIB_ICMP6_IN_REDIRECTS);
}

// ---- IPv4 ----

/** A frame from the pool for a datagram the stack builds: its L3 start, after the headroom; 0 when none. */
@inline function newFrame(): u32 {
  const f = frameAlloc();
  if (f == 0) {
    netDrop(NDROP_NOMEM);
    return 0;
  }
  return f + XDP_PACKET_HEADROOM;
}

// ---- ip_options_echo (net/ipv4/ip_options.c): the options an ICMP message about a datagram carries ----

const ECHO_NONE: i32 = 0;
const ECHO_FAIL: i32 = -1;
// what the echoed options still ask of ip_options_build (offsets in the new header, 0: none)
let echoRR: u32 = 0;
let echoTS: u32 = 0;
let echoFlags: u32 = 0;
let echoBufAddr: u32 = 0;

/** 40 bytes (the most options a header holds) for an echo being made, per instance. */
function echoBuf(): u32 {
  if (echoBufAddr == 0) echoBufAddr = arena_alloc(40, 8);
  return echoBufAddr;
}

/**
 * __ip_options_echo for the datagram at `data` (its `hlen`-byte header), into `out`: its record route
 * (another slot asked for when it had asked for one and has room) and its timestamp (slots for the
 * address and time it asked for), padded with end-of-options to a multiple of 4. The options of a
 * datagram compiled on receive (ipv4_rcv.ts) are known; any other datagram echoes none. Source routes
 * never get this far (accept_source_route is off). The length, or ECHO_FAIL when an option has no room
 * for what it asked (the kernel then sends nothing).
 */
function optionsEcho(data: u32, hlen: u32, out: u32): i32 {
  echoRR = 0;
  echoTS = 0;
  echoFlags = 0;
  if (hlen <= 20 || optEchoData != data) return ECHO_NONE;
  let n: u32 = 0;
  if (optEchoRR != 0) {
    const src = data + optEchoRR;
    const optlen = <u32>load<u8>(src, 1);
    const soffset = <u32>load<u8>(src, 2);
    echoRR = n + 20;
    copyBytes(out + n, src, optlen);
    if ((optEchoFlags & OPTE_RR_NEEDADDR) != 0 && soffset <= optlen) {
      if (soffset + 3 > optlen) return ECHO_FAIL;
      store<u8>(out + n, <u8>(soffset + 4), 2);
      echoFlags |= OPTE_RR_NEEDADDR;
    }
    n += optlen;
  }
  if (optEchoTS != 0) {
    const src = data + optEchoTS;
    const optlen = <u32>load<u8>(src, 1);
    let soffset = <u32>load<u8>(src, 2);
    const d = out + n;
    echoTS = n + 20;
    copyBytes(d, src, optlen);
    if (soffset <= optlen) {
      if ((optEchoFlags & OPTE_TS_NEEDADDR) != 0) {
        if (soffset + 3 > optlen) return ECHO_FAIL;
        echoFlags |= OPTE_TS_NEEDADDR;
        soffset += 4;
      }
      if ((optEchoFlags & OPTE_TS_NEEDTIME) != 0) {
        if (soffset + 3 > optlen) return ECHO_FAIL;
        if ((<u32>load<u8>(d, 3) & 0xf) != IPOPT_TS_PRESPEC) {
          echoFlags |= OPTE_TS_NEEDTIME;
          soffset += 4;
        } else if (soffset + 7 <= optlen && fib4_local_type(load<u32>(d + soffset - 1), 0) != RTN_UNICAST) {
          echoFlags |= OPTE_TS_NEEDTIME;
          soffset += 8;
        }
      }
      store<u8>(d, <u8>soffset, 2);
    }
    n += optlen;
  }
  while ((n & 3) != 0) store<u8>(out + n++, 0);
  return <i32>n;
}

/**
 * __ip_options_echo for a reply other than ICMP's (ip_send_unicast_reply: TCP's resets): the options
 * of the datagram at `data` (`hlen`-byte header) to answer with, at the returned address, their length
 * in `echoLen` (0: none); 0 when an option has no room for what it asked (no reply is sent).
 */
export let echoLen: u32 = 0;
export function replyOptionsEcho(data: u32, hlen: u32): u32 {
  echoLen = 0;
  const eb = echoBuf();
  if (eb == 0) return 0;
  const n = optionsEcho(data, hlen, eb);
  if (n < 0) return 0;
  echoLen = <u32>n;
  return eb;
}

/** ip_options_build: the echoed options' asked-for slots filled at the header `iph` sent from `src`. */
export function replyOptionsBuild(iph: u32, src: u32): void {
  optionsBuild(iph, src);
}

/** ip_options_build: the echoed options' asked-for slots filled at the header `iph` sent from `src`. */
function optionsBuild(iph: u32, src: u32): void {
  if ((echoFlags & OPTE_RR_NEEDADDR) != 0) store<u32>(iph + echoRR + <u32>load<u8>(iph + echoRR, 2) - 5, src);
  if ((echoFlags & OPTE_TS_NEEDADDR) != 0) store<u32>(iph + echoTS + <u32>load<u8>(iph + echoTS, 2) - 9, src);
  if ((echoFlags & OPTE_TS_NEEDTIME) != 0) store<u32>(iph + echoTS + <u32>load<u8>(iph + echoTS, 2) - 5, currentTimestamp());
}

const IPOPT_TS_PRESPEC: u32 = 3;

/** A 20-byte IPv4 header at `p` (tot_len, id and checksum are ip_local_out's). */
function buildIp4(p: u32, tos: u32, proto: u32, src: u32, dst: u32): void {
  store<u8>(p, 0x45);
  store<u8>(p, <u8>tos, IPH_TOS);
  store<u32>(p, 0, 4); // id, frag_off (no DF: the ICMP socket is IP_PMTUDISC_DONT)
  store<u8>(p, <u8>sysctl(SYSCTL_IP_DEFAULT_TTL), IPH_TTL);
  store<u8>(p, <u8>proto, IPH_PROTOCOL);
  store<u16>(p, 0, 10);
  store<u32>(p, src, IPH_SADDR);
  store<u32>(p, dst, IPH_DADDR);
}

/**
 * icmp_send: an ICMP error (or redirect) about the IPv4 packet at `data` (its IP header; `len` bytes of
 * it, the 14 bytes before it its Ethernet header), which came in on `ifindex` (LOOPBACK_IFINDEX or 0:
 * the stack's own). `info` by type: the next-hop MTU (destination unreachable, fragmentation needed),
 * the octet the pointer names (parameter problem), the gateway as stored (redirect: the network-order
 * u32), else put in the header's second word as a number. The packet stays the caller's.
 */
export function icmp_send(ifindex: u32, data: u32, len: u32, type: u32, code: u32, info: u32): void {
  if (len < 20 || netRoot() == 0) return;
  const input = ifindex != 0 && ifindex != LOOPBACK_IFINDEX;
  // No replies to physical broadcast / multicast: the group bit of the destination MAC.
  if (input && (load<u8>(data - ETH_HLEN) & 1) != 0) return;
  const daddr = load<u32>(data, IPH_DADDR);
  const saddr = load<u32>(data, IPH_SADDR);
  // ... nor to IP broadcast / multicast (RTCF_BROADCAST | RTCF_MULTICAST of the packet's route)
  if (ipv4IsMulticast(daddr) || ipv4IsLbcast(daddr)) return;
  const dtype = fib4_local_type(daddr, 0); // any device: the route flags, not an address of this one
  if (dtype == RTN_BROADCAST) return;
  // Only about fragment 0.
  if ((ldBe16(data + IPH_FRAG_OFF) & IP_OFFSET) != 0) return;
  const hlen = (<u32>load<u8>(data) & 0xf) << 2;
  const isErr = icmpIsError(type);
  if (isErr && <u32>load<u8>(data, IPH_PROTOCOL) == IPPROTO_ICMP) {
    // Never an error about an error (unknown types count as errors).
    if (hlen + 1 > len) return;
    const inner = <u32>load<u8>(data + hlen);
    if (inner > NR_ICMP_TYPES || icmpIsError(inner)) return;
  }
  const s = icmpState();
  let apply = false;
  if (ifindex != LOOPBACK_IFINDEX && !maskAllow4(type, code)) {
    if (s != 0 && !globalAllow(s)) {
      mibInc(MIB_ICMP_OUT_RATE_LIMIT_GLOBAL);
      return;
    }
    apply = s != 0;
  }
  // __ip_options_echo before the route: an option without room for what it asked sends nothing
  const eb = echoBuf();
  const olen = eb == 0 ? ECHO_NONE : optionsEcho(data, hlen, eb);
  if (olen < 0) return;
  // The source: the packet's destination when it was for us (RTCF_LOCAL), else the inbound device's
  // address when icmp_errors_use_inbound_ifaddr, else what the route back picks.
  let src: u32 = 0;
  if (dtype == RTN_LOCAL) src = daddr;
  // A datagram that came through lo carries the output route it was sent on (loopback_xmit keeps the
  // skb's dst), RTCF_LOCAL like every route out of lo: its destination is the source even when it is
  // no address of ours (a socket bound to lo sending to a remote peer). No device has that address, so
  // the route back fails (__ip_dev_find in ip_route_output_key_hash_rcu) and nothing is sent.
  else if (ifindex == LOOPBACK_IFINDEX) return;
  else if (input && sysctl(SYSCTL_ICMP_ERRORS_USE_INBOUND_IFADDR) != 0) src = inet_select_addr(ifindex, saddr, RT_SCOPE_LINK);
  const iptos = <u32>load<u8>(data, IPH_TOS);
  const tos = isErr ? (iptos & 0x1e) | 0xc0 : iptos;
  // icmp_route_lookup: an error about this host's own datagram (a closed local port) goes back to it
  // through lo, where icmp_rcv hands it to the sender's socket (udp_err)
  // (ip_route_output_key_hash with skb_in: a multipath route's next hop by the packet's own keys)
  mp_hash_pkt_begin(data, len, false);
  const routed = ip_route_output(saddr, src, tos, IPPROTO_ICMP, type, code, true, 0, 0, 0);
  mp_hash_pkt_end();
  if (!routed) return;
  src = outSrc4;
  if (apply) {
    store<u32>(SCRATCH_ADDR(), saddr);
    const oifNd = netdevGet(load<u32>(OUT_RES(), FR_OIF));
    if (load<u32>(OUT_RES(), FR_OIF) != LOOPBACK_IFINDEX && !peerAllow(s, AF_INET, SCRATCH_ADDR(), <i64>sysctl(SYSCTL_ICMP_RATELIMIT))) {
      mibInc(MIB_ICMP_OUT_RATE_LIMIT_HOST);
      return;
    }
    globalConsume(s);
  }
  // RFC 1812 4.3.2.3: as much of the packet as fits in 576 bytes.
  const ond = netdevGet(load<u32>(OUT_RES(), FR_OIF));
  let room: i32 = ond != 0 ? <i32>ownMtu4(OUT_RES(), ond, saddr) : 576;
  if (room > 576) room = 576;
  room -= 20 + olen + 8;
  if (room <= 20) return;
  const dlen = min(len, <u32>room);
  const p = newFrame();
  if (p == 0) return;
  buildIp4(p, tos, IPPROTO_ICMP, src != 0 ? src : INADDR_DUMMY, saddr);
  if (olen > 0) {
    store<u8>(p, <u8>(0x40 | ((20 + <u32>olen) >> 2)));
    copyBytes(p + 20, eb, <u32>olen);
    optionsBuild(p, src != 0 ? src : INADDR_DUMMY);
  }
  const ic = p + 20 + <u32>olen;
  store<u8>(ic, <u8>type);
  store<u8>(ic, <u8>code, 1);
  store<u16>(ic, 0, 2);
  if (type == ICMP_PARAMETERPROB) store<u32>(ic, info & 0xff, 4); // the pointer in the first octet
  else if (type == ICMP_REDIRECT) store<u32>(ic, info, 4);
  else stBe32(ic + 4, info); // fragmentation needed: the MTU in the low 16 bits
  copyBytes(ic + 8, data, dlen);
  store<u16>(ic, <u16>csumFinish(csumAdd(ic, 8 + dlen, 0)), 2);
  countOut4(type);
  nf_ct_attach(p, data, len); // icmp_glue_bits: an error carries the conntrack of the packet it quotes
  ip_local_out(0, p, 28 + <u32>olen + dlen);
}

/** The stack's clock as inet_current_timestamp: ms since midnight (network order). */
@inline export function currentTimestamp(): u32 {
  return bswap<u32>(<u32>(netNow() % 86400000));
}

/**
 * fib_compute_spec_dst: the source of a reply to the datagram at `data`: its destination when it was a
 * local unicast, else the route back's preferred source, else the device's address.
 */
export function specDst(ifindex: u32, data: u32, rtFlags: u32): u32 {
  if ((rtFlags & (RTCF_BROADCAST | RTCF_MULTICAST | RTCF_LOCAL)) == RTCF_LOCAL) return load<u32>(data, IPH_DADDR);
  const saddr = load<u32>(data, IPH_SADDR);
  if (!ipv4IsZeronet(saddr)) {
    if (ip_route_output(saddr, 0, load<u8>(data, IPH_TOS), 0, 0, 0, false, 0, 0, 0)) return outSrc4;
    return inet_select_addr(ifindex, saddr, RT_SCOPE_UNIVERSE);
  }
  return inet_select_addr(ifindex, saddr, RT_SCOPE_LINK);
}

/**
 * icmp_reply in place: the request at `data` (`hlen`-byte IP header) becomes the answer — a fresh
 * header (with the request's options echoed, ip_options_echo) right before its ICMP message, `ilen` bytes of ICMP
 * (header already rewritten but for the checksum). Takes the frame.
 */
function icmpReply(ifindex: u32, q: u32, data: u32, hlen: u32, ilen: u32, rtFlags: u32): void {
  const type = <u32>load<u8>(data + hlen);
  const code = <u32>load<u8>(data + hlen, 1);
  // ip_options_echo first: an option without room for what it asked gets no reply
  const eb = echoBuf();
  const olen = eb == 0 ? ECHO_NONE : optionsEcho(data, hlen, eb);
  if (olen < 0) {
    netFree(q, data);
    return;
  }
  const s = icmpState();
  let apply = false;
  if (!maskAllow4(type, code)) {
    if (s != 0 && !globalAllow(s)) {
      mibInc(MIB_ICMP_OUT_RATE_LIMIT_GLOBAL);
      netFree(q, data);
      return;
    }
    apply = s != 0;
  }
  const src = specDst(ifindex, data, rtFlags);
  const dst = load<u32>(data, IPH_SADDR);
  const tos = <u32>load<u8>(data, IPH_TOS);
  // ip_route_output_key: a request from one of our own addresses (accept_local) is answered through lo
  if (!ip_route_output(dst, src, tos, IPPROTO_ICMP, 0, 0, true, 0, 0, 0)) {
    netFree(q, data);
    return;
  }
  if (apply) {
    store<u32>(SCRATCH_ADDR(), dst);
    if (load<u32>(OUT_RES(), FR_OIF) != LOOPBACK_IFINDEX && !peerAllow(s, AF_INET, SCRATCH_ADDR(), <i64>sysctl(SYSCTL_ICMP_RATELIMIT))) {
      mibInc(MIB_ICMP_OUT_RATE_LIMIT_HOST);
      netFree(q, data);
      return;
    }
    globalConsume(s);
  }
  const ic = data + hlen;
  store<u16>(ic, 0, 2);
  store<u16>(ic, <u16>csumFinish(csumAdd(ic, ilen, 0)), 2);
  const p = ic - 20 - <u32>olen;
  buildIp4(p, tos, IPPROTO_ICMP, outSrc4, dst);
  if (olen > 0) {
    store<u8>(p, <u8>(0x40 | ((20 + <u32>olen) >> 2)));
    copyBytes(p + 20, eb, <u32>olen);
    optionsBuild(p, outSrc4);
  }
  // __ip_make_skb counts the raw ICMP socket's messages by fl4_icmp_type, which icmp_reply never sets:
  // every reply built here (timestamp replies too) counts as an echo reply.
  countOut4(ICMP_ECHOREPLY);
  nf_frame_forget(data, hlen + ilen); // a new datagram: cut at the MTU, not as the request came
  ip_local_out(q, p, 20 + <u32>olen + ilen);
}

/**
 * icmp_rcv for the local datagram at `data` (`len` bytes, `hlen`-byte header) that came in on
 * `ifindex` with route flags `rtFlags` (RTCF_*). Takes the frame.
 */
export function icmp_rcv(ifindex: u32, q: u32, data: u32, len: u32, hlen: u32, rtFlags: u32): void {
  mibInc(MIB_ICMP_IN_MSGS);
  const ic = data + hlen;
  const ilen = len - hlen;
  if (csumFold16(csumAdd(ic, ilen, 0)) != 0xffff) {
    mibInc(MIB_ICMP_IN_CSUM_ERRORS);
    icmpInError(q, data, NDROP_ICMP_CSUM);
    return;
  }
  if (ilen < 8) {
    icmpInError(q, data, NDROP_NOT_SPECIFIED);
    return;
  }
  const type = <u32>load<u8>(ic);
  countIn4(type);
  if ((rtFlags & (RTCF_BROADCAST | RTCF_MULTICAST)) != 0) {
    // RFC 1122 3.2.2.6 / 3.2.2.8: echo and timestamp to broadcast may be ignored (a sysctl says).
    if ((type == ICMP_ECHO || type == ICMP_TIMESTAMP) && sysctl(SYSCTL_ICMP_ECHO_IGNORE_BROADCASTS) != 0) {
      icmpInError(q, data, NDROP_INVALID_PROTO);
      return;
    }
    if (type != ICMP_ECHO && type != ICMP_TIMESTAMP && type != ICMP_ADDRESS && type != ICMP_ADDRESSREPLY) {
      icmpInError(q, data, NDROP_INVALID_PROTO);
      return;
    }
  }
  if (type == ICMP_ECHOREPLY) {
    // ping_rcv: a ping socket's, so the host's for now.
    hostDeliverIcmp(ifindex, q, data, len);
    return;
  }
  if (type > NR_ICMP_TYPES) {
    icmpInError(q, data, NDROP_UNHANDLED_PROTO);
    return;
  }
  if (type == ICMP_ECHO) {
    if (sysctl(SYSCTL_ICMP_ECHO_IGNORE_ALL) != 0) {
      netFree(q, data); // consumed, not a drop
      return;
    }
    store<u8>(ic, <u8>ICMP_ECHOREPLY);
    icmpReply(ifindex, q, data, hlen, ilen, rtFlags);
    return;
  }
  if (type == ICMP_TIMESTAMP) {
    if (ilen < 12) {
      icmpInError(q, data, NDROP_PKT_TOO_SMALL);
      return;
    }
    // originate (as received), receive and transmit (now); no data after them
    store<u8>(ic, <u8>ICMP_TIMESTAMPREPLY);
    store<u8>(ic, 0, 1);
    const now = currentTimestamp();
    store<u32>(ic, now, 12);
    store<u32>(ic, now, 16);
    icmpReply(ifindex, q, data, hlen, 20, rtFlags);
    return;
  }
  if (type == ICMP_DEST_UNREACH || type == ICMP_SOURCE_QUENCH || type == ICMP_TIME_EXCEEDED || type == ICMP_PARAMETERPROB) {
    // icmp_unreach: the quoted header must be there and sane, then its protocol's error handler.
    if (ilen < 8 + 20) {
      icmpInError(q, data, NDROP_NOT_SPECIFIED);
      return;
    }
    const ihl = <u32>load<u8>(ic, 8) & 0xf;
    if (ihl < 5) {
      icmpInError(q, data, NDROP_IP_INHDR);
      return;
    }
    const code = <u32>load<u8>(ic, 1);
    if ((type == ICMP_DEST_UNREACH && code > NR_ICMP_UNREACH) || (type == ICMP_TIME_EXCEEDED && code == ICMP_EXC_FRAGTIME)) {
      netFree(q, data);
      return;
    }
    // icmp_socket_deliver: the inner header and 8 bytes of its protocol
    if (ilen < 8 + (ihl << 2) + 8) {
      mibInc(MIB_ICMP_IN_ERRORS);
      netFree(q, data);
      return;
    }
    if (type == ICMP_DEST_UNREACH && (code & 15) == ICMP_FRAG_NEEDED) pmtuLearn4(ic, ihl << 2);
    hostDeliverIcmp(ifindex, q, data, len);
    return;
  }
  if (type == ICMP_REDIRECT) {
    if (ilen - 8 < 20) {
      icmpInError(q, data, NDROP_PKT_TOO_SMALL);
      return;
    }
    hostDeliverIcmp(ifindex, q, data, len);
    return;
  }
  netFree(q, data); // icmp_discard
}

/**
 * icmp_unreach → icmp_err → ipv4_update_pmtu: a "fragmentation needed" quoting an echo reply of ours
 * (`ic`: the ICMP message; the quoted header of `ihlen` bytes at ic + 8) lowers the path MTU toward the
 * quoted destination. ip_no_pmtu_disc: 0 the MTU given; 1 none given (the kernel then locks min_pmtu);
 * 2, and 3 (ICMP has no strict tag validation), ignored. Only below the route's current MTU.
 */
function pmtuLearn4(ic: u32, ihlen: u32): void {
  const inner = ic + 8;
  if (<u32>load<u8>(inner, IPH_PROTOCOL) != IPPROTO_ICMP || <u32>load<u8>(inner + ihlen) != ICMP_ECHOREPLY) return;
  const mode = sysctl(SYSCTL_IP_NO_PMTU_DISC);
  if (mode >= 2) return;
  const mtu = mode == 0 ? ldBe16(ic + 6) : 0;
  const dst = load<u32>(inner, IPH_DADDR);
  if (!ip_route_output(dst, 0, 0, IPPROTO_ICMP, 0, 0, false, 0, 0, 0)) return;
  const nd = netdevGet(load<u32>(OUT_RES(), FR_OIF));
  if (nd == 0 || mtu >= ownMtu4(OUT_RES(), nd, dst)) return;
  store<u32>(SCRATCH_ADDR(), dst);
  dst_pmtu_learn(AF_INET, SCRATCH_ADDR(), mtu);
}

/**
 * ip6_update_pmtu: only below the route's current MTU; an MTU under 1280 is discarded, not clamped
 * (__ip6_rt_update_pmtu since Linux 5.15, "discard next-hop MTU less than minimum link MTU"; what
 * udp_pmtu.ts does for sockets, checked in tests/udp/udp_pmtu_kernel.test.ts). A local route learns
 * too (its exception below lo's MTU: `ip -6 route get` shows it): our next reply to that address of
 * ours is cut there, through lo. IPv4 keeps none for a local address (pmtuLearn4's route fails; Linux
 * 6.18 lists none either, and sends the reply whole: tests/net/own_source_kernel).
 */
function pmtuLearn6(dst: u32, mtu: u32): void {
  if (mtu < IPV6_MIN_MTU) return;
  memory.fill(TMP6(), 0, 16);
  if (!ip6_route_output(dst, TMP6(), IPPROTO_ICMPV6, 0, 0, 0, false, true, 0, 0, 0)) return;
  const nd = netdevGet(load<u32>(OUT_RES(), FR_OIF));
  if (nd == 0 || mtu >= ownMtu6(OUT_RES(), nd, dst)) return;
  dst_pmtu_learn(AF_INET6, dst, mtu);
}

@inline function icmpInError(q: u32, data: u32, reason: u32): void {
  mibInc(MIB_ICMP_IN_ERRORS);
  netFree(q, data);
  netDrop(reason);
}

// ---- IPv6 ----

@inline function FL6(): u32 {
  return netScratch() + SCR_RX + 576;
}
@inline function RES6(): u32 {
  return netScratch() + SCR_RX + 640;
}
@inline function SRC6(): u32 {
  return netScratch() + SCR_RX + 704;
}
@inline function DST6(): u32 {
  return netScratch() + SCR_RX + 720;
}
@inline function TMP6(): u32 {
  return netScratch() + SCR_RX + 736;
}

/**
 * ipv6_chk_addr(net, addr, dev, 0): the 16 bytes at `addr` are one of our addresses (a local route);
 * with a device (`ifindex`), a link-local or loopback one only through that device, as
 * __ipv6_chk_addr_and_flags skips a link- or host-scope address of another device (fib6_lookup's
 * RT6_LOOKUP_F_IFACE for such a destination with an oif does the same).
 */
export function ipv6IsLocal(addr: u32, ifindex: u32, anycast: bool): bool {
  memory.fill(FL6(), 0, FL_SIZE);
  store<u8>(FL6(), <u8>AF_INET6, FL_FAMILY);
  ipv6Copy(FL6() + FL_DST, addr);
  store<u32>(FL6(), LOOPBACK_IFINDEX, FL_IIF);
  store<u32>(FL6(), ifindex, FL_OIF);
  if (fib6_lookup(FL6(), RES6(), false, false) != 0) return false;
  const t = <u32>load<u8>(RES6(), FR_TYPE);
  return t == RTN_LOCAL || (anycast && t == RTN_ANYCAST);
}

/** A 40-byte IPv6 header at `p`. */
function buildIp6(p: u32, tclass: u32, plen: u32, nexthdr: u32, hlim: u32, src: u32, dst: u32): void {
  stBe32(p, 0x60000000 | (tclass << 20)); // flow label 0 (the kernel hashes the flow with a secret)
  stBe16(p + IP6H_PAYLOAD_LEN, plen);
  store<u8>(p, <u8>nexthdr, IP6H_NEXTHDR);
  store<u8>(p, <u8>hlim, IP6H_HOP_LIMIT);
  ipv6Copy(p + IP6H_SADDR, src);
  ipv6Copy(p + IP6H_DADDR, dst);
}

/** The ICMPv6 checksum of `ilen` bytes at `ic` inside the IPv6 datagram at `p`. */
@inline function icmp6Csum(p: u32, ic: u32, ilen: u32): void {
  store<u16>(ic, 0, 2);
  const sum = csumAdd(ic, ilen, csumIpv6Pseudo(p + IP6H_SADDR, p + IP6H_DADDR, ilen, IPPROTO_ICMPV6));
  store<u16>(ic, <u16>csumFinish(sum), 2);
}

/** ip6_dst_hoplimit: the route's device's hop_limit (net.ipv6.conf.DEV.hop_limit, 64 when unset). */
function routeHoplimit6(): u32 {
  const nd = netdevGet(load<u32>(OUT_RES(), FR_OIF));
  const h = nd != 0 ? load<u32>(nd, ND_CONF6 + (CONF6_HOP_LIMIT << 2)) : 0;
  return h != 0 ? h : 64;
}

/** icmpv6_xrlim_allow for a message to the 16 bytes at `dst` routed through OUT_RES(). */
function xrlimAllow6(s: u32, dst: u32): bool {
  if (load<u32>(OUT_RES(), FR_OIF) == LOOPBACK_IFINDEX) return true;
  let tmo = <i64>sysctl(SYSCTL_ICMP6_RATELIMIT);
  const plen = <u32>load<u8>(OUT_RES(), FR_PREFIXLEN);
  if (plen < 128) tmo >>= (128 - plen) >> 5; // wider prefixes get more bandwidth
  return peerAllow(s, AF_INET6, dst, tmo);
}

/**
 * icmpv6_send: an ICMPv6 error about the IPv6 packet at `data` (`len` bytes of it, the 14 bytes before
 * its Ethernet header) that came in on `ifindex`; `info` the MTU (packet too big) or the pointer
 * (parameter problem), else 0. The packet stays the caller's.
 */
export function icmpv6_send(ifindex: u32, data: u32, len: u32, type: u32, code: u32, info: u32): void {
  if (len < IPV6_HLEN || netRoot() == 0) return;
  const input = ifindex != 0 && ifindex != LOOPBACK_IFINDEX;
  const daddr = data + IP6H_DADDR;
  // ipv6_chk_addr || ipv6_chk_acast_addr_src: an error about a datagram to one of our addresses, an
  // anycast one included, comes from that address
  let haveSrc = ipv6IsLocal(daddr, ifindex, true);
  const dtype = ipv6AddrType(daddr);
  if ((dtype & IPV6_ADDR_MULTICAST) != 0 || (input && (load<u8>(data - ETH_HLEN) & 1) != 0)) {
    // Only packet too big, and a parameter problem about an option whose type says "report even to
    // multicast" (0b10xxxxxx), go to multicast destinations or came in on L2 broadcast/multicast.
    const unrec = type == ICMPV6_PARAMPROB && code == ICMPV6_UNK_OPTION && (info >= len || (<u32>load<u8>(data + info) & 0xc0) == 0x80);
    if (type != ICMPV6_PKT_TOOBIG && !unrec) return;
    haveSrc = false;
  }
  const stype = ipv6AddrType(data + IP6H_SADDR);
  if (stype == IPV6_ADDR_ANY || (stype & IPV6_ADDR_MULTICAST) != 0) return;
  if (ineligible6(data, len)) return;
  const s = icmpState();
  let apply = false;
  if (ifindex != LOOPBACK_IFINDEX && !maskAllow6(type)) {
    if (s != 0 && !globalAllow(s)) {
      mibInc(MIB_ICMP_OUT_RATE_LIMIT_GLOBAL);
      return;
    }
    apply = s != 0;
  }
  ipv6Copy(DST6(), data + IP6H_SADDR);
  if (haveSrc) ipv6Copy(SRC6(), daddr);
  else {
    // icmpv6_rt_has_prefsrc: a lookup of the destination alone (no source, oif or hash); unless it finds
    // a route with a preferred source, the source is one of the inbound device's, chosen for the
    // destination (ipv6_dev_get_saddr(parm->iif)), and the error's own lookup below is made with it — a
    // source-specific route (`from`) then decides, even where no route answers a flow without a source
    // (router_fuzz_kernel's tableCase, seeds 1077, 1087: the time exceeded was lost)
    memory.fill(SRC6(), 0, 16);
    const found = ip6_route_output(DST6(), SRC6(), IPPROTO_ICMPV6, 0, 0, 0, false, true, 0, 0, 0);
    const pref = found && !ipv6IsAnyAt(OUT_RES() + FR_PREFSRC);
    memory.fill(SRC6(), 0, 16);
    if (!pref && input && ipv6_dev_get_saddr(ifindex, DST6(), TMP6()) == 0) ipv6Copy(SRC6(), TMP6());
  }
  // A link-local (or loopback) source is reached again through the interface it came in on.
  const oif = (stype & (IPV6_ADDR_LINKLOCAL | IPV6_ADDR_LOOPBACK)) != 0 ? ifindex : 0;
  // fl6.mp_hash from the packet (rt6_multipath_hash with skb): a multipath route's next hop by its keys
  mp_hash_pkt_begin(data, len, true);
  const routed = ip6_route_output(DST6(), SRC6(), IPPROTO_ICMPV6, type, code, oif, false, true, 0, 0, 0);
  mp_hash_pkt_end();
  if (!routed) { // a local one through lo, as icmp_send
    if (apply) {
      // icmpv6_xrlim_allow looked the route up first and found none
      mibInc(MIB_IP6_OUT_NO_ROUTES);
      mibInc(MIB_ICMP6_OUT_RATE_LIMIT_HOST);
    }
    return;
  }
  if (ipv6IsAnyAt(SRC6())) return; // ip6_dst_lookup: EADDRNOTAVAIL
  if (apply) {
    if (!xrlimAllow6(s, DST6())) {
      mibInc(MIB_ICMP6_OUT_RATE_LIMIT_HOST);
      return;
    }
    globalConsume(s);
  }
  const dlen = min(len, IPV6_MIN_MTU - IPV6_HLEN - 8);
  const p = newFrame();
  if (p == 0) return;
  buildIp6(p, 0, 8 + dlen, IPPROTO_ICMPV6, routeHoplimit6(), SRC6(), DST6());
  const ic = p + IPV6_HLEN;
  store<u8>(ic, <u8>type);
  store<u8>(ic, <u8>code, 1);
  stBe32(ic + 4, info);
  copyBytes(ic + 8, data, dlen);
  icmp6Csum(p, ic, 8 + dlen);
  countOut6(type);
  nf_ct_attach(p, data, len); // icmpv6_getfrag: an error carries the conntrack of the packet it quotes
  ip6_send_skb(0, p, IPV6_HLEN + 8 + dlen);
}

@inline function ipv6IsAnyAt(a: u32): bool {
  return (load<u64>(a) | load<u64>(a, 8)) == 0;
}

/**
 * is_ineligible: the packet is an ICMPv6 error (or so cut short that its ICMPv6 type is missing),
 * which is never answered with an error.
 */
function ineligible6(data: u32, len: u32): bool {
  const off = ipv6SkipExthdr(data, len, IPV6_HLEN, <u32>load<u8>(data, IP6H_NEXTHDR));
  if (off < 0) return false;
  if (skipNexthdr != IPPROTO_ICMPV6) return false;
  if (<u32>off + 1 > len) return skipFragOff == 0;
  return (<u32>load<u8>(data + <u32>off) & 0x80) == 0;
}

/**
 * icmpv6_rcv for the local datagram at `data` (`len` bytes; ICMPv6 at `l4off`) that came in on
 * `ifindex`, `unicast` when its route was local (not multicast). Takes the frame.
 */
export function icmpv6_rcv(ifindex: u32, q: u32, data: u32, len: u32, l4off: u32, unicast: bool): void {
  mibInc(MIB_ICMP6_IN_MSGS);
  const ic = data + l4off;
  const ilen = len - l4off;
  const sum = csumAdd(ic, ilen, csumIpv6Pseudo(data + IP6H_SADDR, data + IP6H_DADDR, ilen, IPPROTO_ICMPV6));
  if (csumFold16(sum) != 0xffff) {
    mibInc(MIB_ICMP6_IN_CSUM_ERRORS);
    icmp6InError(q, data, NDROP_ICMP_CSUM);
    return;
  }
  if (ilen < 8) {
    icmp6InError(q, data, NDROP_NOT_SPECIFIED);
    return;
  }
  const type = <u32>load<u8>(ic);
  countIn6(type);
  if (type == ICMPV6_ECHO_REQUEST) {
    if (sysctl(SYSCTL_ICMP6_ECHO_IGNORE_ALL) != 0) {
      netFree(q, data);
      return;
    }
    icmpv6EchoReply(ifindex, q, data, len, l4off, unicast);
    return;
  }
  if (type == ICMPV6_ECHO_REPLY) {
    hostDeliverIcmp(ifindex, q, data, len);
    return;
  }
  if (type >= NDISC_ROUTER_SOLICITATION && type <= NDISC_REDIRECT) {
    ndisc_rcv(ifindex, q, data, len, l4off);
    return;
  }
  if (type == ICMPV6_PKT_TOOBIG || type == ICMPV6_DEST_UNREACH || type == ICMPV6_TIME_EXCEED || type == ICMPV6_PARAMPROB || type < 128) {
    // icmpv6_notify: the quoted header and 8 bytes of its upper layer must be there.
    if (ilen < 8 + IPV6_HLEN) {
      icmp6InError(q, data, NDROP_NOT_SPECIFIED);
      return;
    }
    const inner = ic + 8;
    const innerLen = ilen - 8;
    const off = ipv6SkipExthdr(inner, innerLen, IPV6_HLEN, <u32>load<u8>(inner, IP6H_NEXTHDR));
    if (off < 0) {
      icmp6InError(q, data, NDROP_IPV6_BAD_EXTHDR);
      return;
    }
    if (<u32>off + 8 > innerLen) {
      icmp6InError(q, data, NDROP_NOT_SPECIFIED);
      return;
    }
    // icmpv6_err (the ICMPv6 handler's): a packet too big about ICMPv6 we sent lowers the path MTU
    if (type == ICMPV6_PKT_TOOBIG && skipNexthdr == IPPROTO_ICMPV6) pmtuLearn6(inner + IP6H_DADDR, ldBe32(ic + 4));
    hostDeliverIcmp(ifindex, q, data, len);
    return;
  }
  netFree(q, data); // MLD and other informational messages: consumed
}

@inline function icmp6InError(q: u32, data: u32, reason: u32): void {
  mibInc(MIB_ICMP6_IN_ERRORS);
  netFree(q, data);
  netDrop(reason);
}

/**
 * icmpv6_echo_reply in place: addresses swapped (the source is the request's destination when that was
 * a local unicast, else chosen by the route), the request's traffic class, the route's hop limit,
 * routed out of the interface it came in on. Extension headers of the request are not kept.
 */
function icmpv6EchoReply(ifindex: u32, q: u32, data: u32, len: u32, l4off: u32, unicast: bool): void {
  const s = icmpState();
  let apply = false;
  if (!maskAllow6(ICMPV6_ECHO_REPLY)) {
    if (s != 0 && !globalAllow(s)) {
      mibInc(MIB_ICMP_OUT_RATE_LIMIT_GLOBAL);
      netFree(q, data);
      return;
    }
    apply = s != 0;
  }
  ipv6Copy(DST6(), data + IP6H_SADDR);
  if (unicast) ipv6Copy(SRC6(), data + IP6H_DADDR);
  else memory.fill(SRC6(), 0, 16);
  const tclass = (ldBe32(data) >> 20) & 0xff;
  // ip6_dst_lookup: to one of our own addresses, the local route (oif the input device) through lo
  if (!ip6_route_output(DST6(), SRC6(), IPPROTO_ICMPV6, ICMPV6_ECHO_REPLY, 0, ifindex, false, true, 0, 0, 0)) {
    netFree(q, data);
    return;
  }
  if (apply) {
    if (!xrlimAllow6(s, DST6())) {
      mibInc(MIB_ICMP6_OUT_RATE_LIMIT_HOST);
      netFree(q, data);
      return;
    }
    globalConsume(s);
  }
  const ic = data + l4off;
  const ilen = len - l4off;
  store<u8>(ic, <u8>ICMPV6_ECHO_REPLY);
  const p = ic - IPV6_HLEN;
  buildIp6(p, tclass, ilen, IPPROTO_ICMPV6, routeHoplimit6(), SRC6(), DST6());
  icmp6Csum(p, ic, ilen);
  countOut6(ICMPV6_ECHO_REPLY);
  nf_frame_forget(data, len); // a new datagram: cut at the path MTU, not as the request came
  ip6_send_skb(q, p, IPV6_HLEN + ilen);
}
