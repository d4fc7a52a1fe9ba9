// Reassembly for local delivery: the kernel's fragment queues (net/ipv4/inet_fragment.c) and its IPv4
// rules (net/ipv4/ip_fragment.c) here; IPv6's rules (net/ipv6/reassembly.c) in reasm6.ts.
//
// Reads: the fragment (data at its L3 header, the untagged Ethernet header in the 14 bytes before),
// the clock, sysctls ipfrag_high_thresh / ipfrag_time / ipfrag_max_dist (ip6frag_* for IPv6).
// Sets: the reassembly table (below), Ip: ReasmReqds / ReasmOKs / ReasmFails / ReasmTimeout (Ip6: the
// same), drop reasons DUP_FRAG, FRAG_REASM_TIMEOUT, FRAG_TOO_FAR, FRAG_MEM, FRAG_INVALID, FRAG_* (64-95).
// Next: a fragment is held in its own frame (no copy) until its datagram is whole; then the datagram is
// copied, in offset order, into one new frame of the stack's own (q = 0) which the caller delivers:
// a pool frame when it fits one (L3 up to REASM_FRAME_L3_MAX = 3,506 B), else a big frame (umem.ts, up
// to 65,535 B of payload), so local delivery always sees contiguous L3. The fragments' frames go back
// to their queues. A queue that times out is dropped; when its first fragment had come, icmp_send /
// icmpv6_send report time exceeded (code 1, fragment reassembly time exceeded) toward the source.
//
// As the kernel since 2018 ("FragmentSmack", RFC 5722 for IPv6 and the same rule for IPv4): a fragment
// that overlaps what is queued discards the whole datagram; one that lies wholly inside a run of
// adjacent fragments already queued is a duplicate and only it is dropped. Memory is accounted by
// truesize as the kernel does: a fragment costs REASM_TRUESIZE (the skb a 4 KiB frame would make:
// 3,776 B of data + 256 B struct sk_buff + 320 B skb_shared_info), a queue its struct (ipq 200 B,
// frag_queue 184 B, from this kernel's BTF). Above *frag_high_thresh no fragment is taken, not even
// for a queue that exists, until queues complete or expire (the kernel has had no evictor since 5.3;
// low_thresh only bounds the sysctl). Held fragments are UMEM frames: size the UMEM above
// high_thresh / REASM_TRUESIZE frames, or devices run short of fill-ring frames under a fragment flood.
//
// Workers (the shared build): the table changes under the stack's NR_LOCK_FRAG spin lock (lock.ts; the
// kernel's per-queue inet_frag_queue.lock, one lock for the table here), taken by ip_defrag /
// ipv6_defrag and reasm_tick; what the last call returned is this thread's (wasm globals), not the table's.
//
// The table (address at the stack root + NR_FRAG, set up the first time a fragment comes):
//
//   +0  u32 magic 'RSMB'       +4 u32 mem IPv4 (bytes)   +8 u32 mem IPv6   +12 u32 queues in use
//   +16 u32 free queue (index+1)   +20 u32 free fragment slot (index+1)
//   +24 u32 timer list head, +28 tail (queue index+1; ordered by expiry, oldest first)
//   +32 u32 result length  +36 u32 result nhoff  +40 u32 result thoff (what the last call returned)
//   +44 u32 peers  +48 u32 queues  +52 u32 fragment slots
//   +64 REASM_BUCKETS × u32 hash chain heads (queue index+1)
//
// A queue (QR_* below, REASM_QREC bytes), a held fragment (FS_*, REASM_FREC bytes) in a list sorted by
// offset; FS_RUN is non-zero on the first fragment of a run (inet_fragment.c's rb-tree nodes: fragments
// that arrived at the tail adjacent to the one before share a run) and holds the run's length.

import { arena_alloc } from '../maps/arena';
import { bigFrameAlloc, frameAlloc } from '../umem';
import { FRAME_SIZE, FRAME_TAILROOM_RESERVED, XDP_PACKET_HEADROOM } from '../abi';
import { copyBytes } from '../bytes';
import { csumFold, csumPartial } from '../checksum';
import {
  MIB_IP_REASM_FAILS, MIB_IP_REASM_OKS, MIB_IP_REASM_REQDS, MIB_IP_REASM_TIMEOUT, MIB_IP6_REASM_FAILS,
  MIB_IP6_REASM_TIMEOUT, NDROP_DUP_FRAG, NDROP_FRAG_ECN, NDROP_FRAG_INVALID, NDROP_FRAG_MEM, NDROP_FRAG_OVERSIZE,
  NDROP_FRAG_REASM_TIMEOUT, NDROP_FRAG_TOO_FAR, NDROP_NOMEM, NR_FRAG, NR_LOCK_FRAG, SYSCTL_IP6FRAG_HIGH_THRESH, SYSCTL_IP6FRAG_TIME,
  SYSCTL_IPFRAG_HIGH_THRESH, SYSCTL_IPFRAG_MAX_DIST, SYSCTL_IPFRAG_TIME, RTN_LOCAL,
} from './abi';
import { mibInc, netDrop, netdevGet, netFree, netNow, netRoot, sysctl } from './core';
import { spinLock, spinUnlock } from './lock';
import { icmp_send, icmpv6_send } from './icmp';
import { fib4_local_type } from './fib';
import { GEO_MAX, GEO_TAG, nf_frag_geo } from './netfilter';
import { optEchoRestore, optEchoSave } from './ipv4_rcv';

export const REASM_QUEUES: u32 = 1024;
export const REASM_SLOTS: u32 = 4096;
export const REASM_BUCKETS: u32 = 1024;
export const REASM_PEERS: u32 = 1024;
export const REASM_TRUESIZE: u32 = FRAME_SIZE + 256; // SKB_TRUESIZE(4096 - 320): 256 = SKB_DATA_ALIGN(sizeof(struct sk_buff) 224)
export const REASM_QSIZE4: u32 = 200; // sizeof(struct ipq)
export const REASM_QSIZE6: u32 = 184; // sizeof(struct frag_queue)
/** The largest L3 datagram a pool frame holds: its data area less the Ethernet header. */
export const REASM_FRAME_L3_MAX: u32 = FRAME_SIZE - XDP_PACKET_HEADROOM - FRAME_TAILROOM_RESERVED - 14;

const MAGIC: u32 = 0x424d5352;
const R_MEM4: u32 = 4;
const R_MEM6: u32 = 8;
const R_NQUEUES: u32 = 12;
const R_FREEQ: u32 = 16;
const R_FREES: u32 = 20;
const R_THEAD: u32 = 24;
const R_TTAIL: u32 = 28;
const R_RLEN: u32 = 32;
const R_RNHOFF: u32 = 36;
const R_RTHOFF: u32 = 40;
const R_PEERS: u32 = 44;
const R_QUEUES: u32 = 48;
const R_SLOTS: u32 = 52;
const R_BUCKETS: u32 = 64;

// A queue: struct ipq / frag_queue.
export const QR_HNEXT: u32 = 0; //   u32 next in the hash chain (index+1)
export const QR_TPREV: u32 = 4; //   u32 timer list
export const QR_TNEXT: u32 = 8;
export const QR_FAMILY: u32 = 12; // u8 AF_INET / AF_INET6 (0: free)
export const QR_FLAGS: u32 = 13; //  u8 QF_*
export const QR_ECN: u32 = 14; //    u8 OR of 1 << ECN bits of every fragment (RFC 3168 5.3)
export const QR_PROTO: u32 = 15; //  u8 IPv4 protocol (part of the key)
export const QR_LEN: u32 = 16; //    u32 q.len: end of the datagram's payload as known so far
export const QR_MEAT: u32 = 20; //   u32 payload bytes held
export const QR_EXPIRES: u32 = 24; // u64 clock (ms) at which the queue times out
export const QR_IIF: u32 = 32; //    u32 device of the last fragment
export const QR_FIRST: u32 = 36; //  u32 first fragment slot (index+1), by offset
export const QR_TAIL: u32 = 40; //   u32 the fragment with the highest offset
export const QR_RUN: u32 = 44; //    u32 first fragment of the run that holds the tail
export const QR_RID: u32 = 48; //    u32 the peer's ID counter at this queue's last fragment (ipfrag_max_dist)
export const QR_PEER: u32 = 52; //   u32 peer (index+1), 0: none
export const QR_MAX_SIZE: u32 = 56; // u32 largest fragment (L3 bytes)
export const QR_MAX_DF: u32 = 60; // u32 largest fragment with DF set
export const QR_NHOFF: u32 = 64; //  u32 IPv6: offset of the next-header byte that named the Fragment header
export const QR_ID: u32 = 68; //     u32 key: IPv4 ID (as loaded) / IPv6 identification
export const QR_VIF: u32 = 72; //    u32 key: IPv4 l3mdev master (0: no VRF here) / IPv6 iif (link-local and multicast)
export const QR_USER: u32 = 76; //   u32 key: enum ip_defrag_users (IP_DEFRAG_LOCAL_DELIVER 0, IP_DEFRAG_CONNTRACK_IN 2 + zone, …)
export const QR_SADDR: u32 = 80; //  16 bytes key (IPv4: the first 4)
export const QR_DADDR: u32 = 96; //  16 bytes key
export const QR_OPTECHO: u32 = 112; // u32 IPv4: the first fragment's options as ip_options_echo reads them (ipv4_rcv.ts optEchoSave)
export const REASM_QREC: u32 = 128;
export const QF_FIRST_IN: u32 = 1;
export const QF_LAST_IN: u32 = 2;

// A held fragment.
export const FS_NEXT: u32 = 0; //   u32 next by offset (index+1)
export const FS_Q: u32 = 4; //      u32 the queue its frame goes back to
export const FS_DATA: u32 = 8; //   u32 its L3 header
export const FS_OFFSET: u32 = 12; // u32 payload offset in the datagram
export const FS_LEN: u32 = 16; //   u32 payload bytes it brings (after the kernel's trim)
export const FS_HLEN: u32 = 20; //  u32 L3 bytes before its payload (IHL; IPv6: through the Fragment header)
export const FS_RUN: u32 = 24; //   u32 first of a run: the run's length; else 0
export const REASM_FREC: u32 = 32;

// A peer (inet_peer's rid, per source, for ipfrag_max_dist): u32 saddr | u32 vif | u32 rid | u32 queues
const PEER_SIZE: u32 = 16;

export const IPFRAG_OK: i32 = 0;
export const IPFRAG_DUP: i32 = 1;
export const IPFRAG_OVERLAP: i32 = 2;

// ---- The table ----

/** The reassembly table, set up on first use; 0 when the stack has no root or the memory is full. */
export function reasmTable(): u32 {
  const root = netRoot();
  if (root == 0) return 0;
  let r = load<u32>(root + NR_FRAG);
  if (r != 0) return r;
  r = arena_alloc(R_BUCKETS + REASM_BUCKETS * 4, 64);
  const peers = arena_alloc(REASM_PEERS * PEER_SIZE, 64);
  const queues = arena_alloc(REASM_QUEUES * REASM_QREC, 64);
  const slots = arena_alloc(REASM_SLOTS * REASM_FREC, 64);
  if (r == 0 || peers == 0 || queues == 0 || slots == 0) return 0;
  for (let i: u32 = 0; i + 1 < REASM_QUEUES; i++) store<u32>(queues + i * REASM_QREC + QR_HNEXT, i + 2);
  for (let i: u32 = 0; i + 1 < REASM_SLOTS; i++) store<u32>(slots + i * REASM_FREC + FS_NEXT, i + 2);
  store<u32>(r + R_FREEQ, 1);
  store<u32>(r + R_FREES, 1);
  store<u32>(r + R_PEERS, peers);
  store<u32>(r + R_QUEUES, queues);
  store<u32>(r + R_SLOTS, slots);
  store<u32>(r, MAGIC);
  store<u32>(root + NR_FRAG, r); // last: a reader sees no table or a whole one
  return r;
}

@inline export function queueAt(r: u32, qi: u32): u32 {
  return load<u32>(r + R_QUEUES) + (qi - 1) * REASM_QREC;
}

@inline export function slotAt(r: u32, si: u32): u32 {
  return load<u32>(r + R_SLOTS) + (si - 1) * REASM_FREC;
}

@inline function memAddr(r: u32, family: u32): u32 {
  return r + (family == 4 ? R_MEM4 : R_MEM6);
}

@inline function qsizeOf(family: u32): u32 {
  return family == 4 ? REASM_QSIZE4 : REASM_QSIZE6;
}

@inline function timeoutMs(family: u32): u64 {
  return <u64>sysctl(family == 4 ? SYSCTL_IPFRAG_TIME : SYSCTL_IP6FRAG_TIME) * 1000;
}

@inline export function be16(p: u32): u32 {
  return <u32>bswap<u16>(load<u16>(p));
}

// What the last ip_defrag / ipv6_defrag of this thread returned (per instance: two workers reassembling
// at once must not read each other's lengths).
let resultLen: u32 = 0;
let resultNhoff: u32 = 0;
let resultThoff: u32 = 0;
let resultFragMax: u32 = 0;

/** Result of the last ip_defrag / ipv6_defrag that returned a datagram. */
export function reasmSetResult(r: u32, len: u32, nhoff: u32, thoff: u32): void {
  resultLen = len;
  resultNhoff = nhoff;
  resultThoff = thoff;
}

/** The reassembly lock (lock.ts: the shared build only). */
@inline export function reasmLock(): void {
  spinLock(netRoot() + NR_LOCK_FRAG);
}
@inline export function reasmUnlock(): void {
  spinUnlock(netRoot() + NR_LOCK_FRAG);
}

function keyHash(family: u32, id: u32, proto: u32, vif: u32, saddr: u32, daddr: u32): u32 {
  let h: u32 = id * 0x9e3779b1 ^ (proto << 16) ^ family ^ (vif * 0x85ebca6b);
  const n: u32 = family == 4 ? 1 : 4;
  for (let i: u32 = 0; i < n; i++) {
    h = (h ^ load<u32>(saddr + i * 4)) * 0xcc9e2d51;
    h = (h ^ (h >> 15) ^ load<u32>(daddr + i * 4)) * 0x1b873593;
  }
  h ^= h >> 16;
  return h & (REASM_BUCKETS - 1);
}

@inline function addrEq(a: u32, b: u32, family: u32): bool {
  if (family == 4) return load<u32>(a) == load<u32>(b);
  return load<u64>(a) == load<u64>(b) && load<u64>(a + 8) == load<u64>(b + 8);
}

/**
 * inet_frag_find: the queue for the key, made when there is none (its timer started: ipfrag_time from
 * now). 0 when the family's memory is above *frag_high_thresh (or the threshold is 0), or no queue
 * record is free.
 */
export function queueFind(r: u32, family: u32, id: u32, proto: u32, vif: u32, saddr: u32, daddr: u32, user: u32 = 0): u32 {
  const high = sysctl(family == 4 ? SYSCTL_IPFRAG_HIGH_THRESH : SYSCTL_IP6FRAG_HIGH_THRESH);
  if (high == 0 || load<u32>(memAddr(r, family)) > high) return 0;
  const b = r + R_BUCKETS + (keyHash(family, id, proto, vif, saddr, daddr) << 2);
  let qi = load<u32>(b);
  while (qi != 0) {
    const qp = queueAt(r, qi);
    if (
      load<u8>(qp + QR_FAMILY) == family && load<u32>(qp + QR_ID) == id && load<u8>(qp + QR_PROTO) == proto &&
      load<u32>(qp + QR_VIF) == vif && load<u32>(qp + QR_USER) == user && addrEq(qp + QR_SADDR, saddr, family) && addrEq(qp + QR_DADDR, daddr, family)
    ) return qi;
    qi = load<u32>(qp + QR_HNEXT);
  }
  qi = load<u32>(r + R_FREEQ);
  if (qi == 0) return 0;
  const qp = queueAt(r, qi);
  store<u32>(r + R_FREEQ, load<u32>(qp + QR_HNEXT));
  memory.fill(qp, 0, REASM_QREC);
  store<u8>(qp + QR_FAMILY, <u8>family);
  store<u8>(qp + QR_PROTO, <u8>proto);
  store<u32>(qp + QR_ID, id);
  store<u32>(qp + QR_VIF, vif);
  store<u32>(qp + QR_USER, user);
  copyBytes(qp + QR_SADDR, saddr, family == 4 ? 4 : 16);
  copyBytes(qp + QR_DADDR, daddr, family == 4 ? 4 : 16);
  if (family == 4 && sysctl(SYSCTL_IPFRAG_MAX_DIST) != 0) store<u32>(qp + QR_PEER, peerGet(r, load<u32>(saddr), vif));
  store<u32>(qp + QR_HNEXT, load<u32>(b));
  store<u32>(b, qi);
  store<u32>(r + R_NQUEUES, load<u32>(r + R_NQUEUES) + 1);
  const m = memAddr(r, family);
  store<u32>(m, load<u32>(m) + qsizeOf(family));
  timerArm(r, qi, netNow() + timeoutMs(family));
  return qi;
}

// ---- Timers: one list ordered by expiry; a queue is (re)armed at the tail end of its place ----

function timerUnlink(r: u32, qi: u32): void {
  const qp = queueAt(r, qi);
  const p = load<u32>(qp + QR_TPREV);
  const n = load<u32>(qp + QR_TNEXT);
  if (p != 0) store<u32>(queueAt(r, p) + QR_TNEXT, n);
  else store<u32>(r + R_THEAD, n);
  if (n != 0) store<u32>(queueAt(r, n) + QR_TPREV, p);
  else store<u32>(r + R_TTAIL, p);
  store<u32>(qp + QR_TPREV, 0);
  store<u32>(qp + QR_TNEXT, 0);
}

/** mod_timer: (re)start the queue's timer. Queues expire in order of expiry, equal ones as armed. */
export function timerArm(r: u32, qi: u32, expires: u64): void {
  const qp = queueAt(r, qi);
  if (load<u32>(qp + QR_TPREV) != 0 || load<u32>(r + R_THEAD) == qi) timerUnlink(r, qi);
  store<u64>(qp + QR_EXPIRES, expires);
  let p = load<u32>(r + R_TTAIL);
  while (p != 0 && load<u64>(queueAt(r, p) + QR_EXPIRES) > expires) p = load<u32>(queueAt(r, p) + QR_TPREV);
  const n = p == 0 ? load<u32>(r + R_THEAD) : load<u32>(queueAt(r, p) + QR_TNEXT);
  store<u32>(qp + QR_TPREV, p);
  store<u32>(qp + QR_TNEXT, n);
  if (p != 0) store<u32>(queueAt(r, p) + QR_TNEXT, qi);
  else store<u32>(r + R_THEAD, qi);
  if (n != 0) store<u32>(queueAt(r, n) + QR_TPREV, qi);
  else store<u32>(r + R_TTAIL, qi);
}

// ---- Peers (inet_peer's rid for ipfrag_max_dist) ----

/** The peer of `saddr`, made or taken over when none (index+1); 0 when its four slots are all in use. */
function peerGet(r: u32, saddr: u32, vif: u32): u32 {
  const peers = load<u32>(r + R_PEERS);
  const h = ((saddr * 0x9e3779b1) >> 22) & (REASM_PEERS - 1);
  let spare: u32 = 0;
  for (let k: u32 = 0; k < 4; k++) {
    const i = (h + k) & (REASM_PEERS - 1);
    const p = peers + i * PEER_SIZE;
    const refs = load<u32>(p + 12);
    if (refs != 0 && load<u32>(p) == saddr && load<u32>(p + 4) == vif) {
      store<u32>(p + 12, refs + 1);
      return i + 1;
    }
    if (refs == 0 && spare == 0) spare = i + 1;
  }
  if (spare == 0) return 0;
  // An unused peer is forgotten: its ID counter only ever matters between a queue's fragments.
  const p = peers + (spare - 1) * PEER_SIZE;
  store<u32>(p, saddr);
  store<u32>(p + 4, vif);
  store<u32>(p + 8, 0);
  store<u32>(p + 12, 1);
  return spare;
}

function peerPut(r: u32, pi: u32): void {
  const p = load<u32>(r + R_PEERS) + (pi - 1) * PEER_SIZE;
  store<u32>(p + 12, load<u32>(p + 12) - 1);
}

/**
 * ip_frag_too_far: more than ipfrag_max_dist fragments came from this source (to any queue) since this
 * queue's last one, and it holds fragments: it is stale (ReasmFails counted here, as the kernel does).
 */
function fragTooFar(r: u32, qp: u32): bool {
  const pi = load<u32>(qp + QR_PEER);
  const max = sysctl(SYSCTL_IPFRAG_MAX_DIST);
  if (pi == 0 || max == 0) return false;
  const p = load<u32>(r + R_PEERS) + (pi - 1) * PEER_SIZE;
  const start = load<u32>(qp + QR_RID);
  const end = load<u32>(p + 8) + 1;
  store<u32>(p + 8, end);
  store<u32>(qp + QR_RID, end);
  const rc = load<u32>(qp + QR_TAIL) != 0 && end - start > max;
  if (rc) mibInc(MIB_IP_REASM_FAILS);
  return rc;
}

// ---- Fragments ----

/** Free the queue's fragments (each counted as dropped for `reason`, 0: consumed); returns how many. */
function fragsFlush(r: u32, qp: u32, reason: u32): u32 {
  let si = load<u32>(qp + QR_FIRST);
  let n: u32 = 0;
  while (si != 0) {
    const s = slotAt(r, si);
    const next = load<u32>(s + FS_NEXT);
    netFree(load<u32>(s + FS_Q), load<u32>(s + FS_DATA));
    if (reason != 0) netDrop(reason);
    store<u32>(s + FS_NEXT, load<u32>(r + R_FREES));
    store<u32>(r + R_FREES, si);
    n++;
    si = next;
  }
  store<u32>(qp + QR_FIRST, 0);
  store<u32>(qp + QR_TAIL, 0);
  store<u32>(qp + QR_RUN, 0);
  const m = memAddr(r, load<u8>(qp + QR_FAMILY));
  store<u32>(m, load<u32>(m) - n * REASM_TRUESIZE);
  return n;
}

/** ip_frag_reinit: a stale queue starts over (its fragments dropped as FRAG_TOO_FAR, its timer restarted). */
function queueReinit(r: u32, qi: u32): void {
  const qp = queueAt(r, qi);
  timerArm(r, qi, netNow() + timeoutMs(4));
  fragsFlush(r, qp, NDROP_FRAG_TOO_FAR);
  store<u8>(qp + QR_FLAGS, 0);
  store<u32>(qp + QR_LEN, 0);
  store<u32>(qp + QR_MEAT, 0);
  store<u32>(qp + QR_IIF, 0);
  store<u8>(qp + QR_ECN, 0);
}

/**
 * inet_frag_kill + destroy: the queue leaves the hash and the timer list, its fragments are freed
 * (counted for `reason`, 0: consumed) and its memory given back.
 */
export function queueDestroy(r: u32, qi: u32, reason: u32): void {
  const qp = queueAt(r, qi);
  const family = <u32>load<u8>(qp + QR_FAMILY);
  const b = r + R_BUCKETS + (keyHash(family, load<u32>(qp + QR_ID), load<u8>(qp + QR_PROTO), load<u32>(qp + QR_VIF), qp + QR_SADDR, qp + QR_DADDR) << 2);
  let prev: u32 = 0;
  let cur = load<u32>(b);
  while (cur != 0 && cur != qi) {
    prev = cur;
    cur = load<u32>(queueAt(r, cur) + QR_HNEXT);
  }
  if (cur == qi) {
    if (prev == 0) store<u32>(b, load<u32>(qp + QR_HNEXT));
    else store<u32>(queueAt(r, prev) + QR_HNEXT, load<u32>(qp + QR_HNEXT));
  }
  timerUnlink(r, qi);
  fragsFlush(r, qp, reason);
  const pi = load<u32>(qp + QR_PEER);
  if (pi != 0) peerPut(r, pi);
  const m = memAddr(r, family);
  store<u32>(m, load<u32>(m) - qsizeOf(family));
  store<u32>(r + R_NQUEUES, load<u32>(r + R_NQUEUES) - 1);
  store<u8>(qp + QR_FAMILY, 0);
  store<u32>(qp + QR_HNEXT, load<u32>(r + R_FREEQ));
  store<u32>(r + R_FREEQ, qi);
}

/**
 * inet_frag_queue_insert: place payload [offset, end) of the fragment at `data` among the queued ones.
 * IPFRAG_OK (taken: slot `si` filled), IPFRAG_DUP (inside a run already queued) or IPFRAG_OVERLAP.
 */
export function fragInsert(r: u32, qp: u32, si: u32, q: u32, data: u32, offset: u32, end: u32, hlen: u32): i32 {
  const s = slotAt(r, si);
  const tail = load<u32>(qp + QR_TAIL);
  let prev: u32 = 0; // the slot this one follows (index+1), 0: first
  let runHead = true;
  if (tail != 0) {
    const t = slotAt(r, tail);
    const tailEnd = load<u32>(t + FS_OFFSET) + load<u32>(t + FS_LEN);
    if (tailEnd < end) {
      // The common case: it goes at the end, appended to the last run when adjacent.
      if (offset < tailEnd) return IPFRAG_OVERLAP;
      prev = tail;
      if (offset == tailEnd) {
        runHead = false;
        const rh = slotAt(r, load<u32>(qp + QR_RUN));
        store<u32>(rh + FS_RUN, load<u32>(rh + FS_RUN) + (end - offset));
      }
    } else {
      // Somewhere before the tail: find the run it meets, if any; it becomes a run of its own.
      let si2 = load<u32>(qp + QR_FIRST);
      while (si2 != 0) {
        const c = slotAt(r, si2);
        const runLen = load<u32>(c + FS_RUN);
        const cOff = load<u32>(c + FS_OFFSET);
        if (runLen != 0) {
          if (end <= cOff) break;
          const runEnd = cOff + runLen;
          if (offset < runEnd) return offset >= cOff && end <= runEnd ? IPFRAG_DUP : IPFRAG_OVERLAP;
        }
        if (cOff < offset) prev = si2;
        si2 = load<u32>(c + FS_NEXT);
      }
    }
  }
  store<u32>(s + FS_Q, q);
  store<u32>(s + FS_DATA, data);
  store<u32>(s + FS_OFFSET, offset);
  store<u32>(s + FS_LEN, end - offset);
  store<u32>(s + FS_HLEN, hlen);
  store<u32>(s + FS_RUN, runHead ? end - offset : 0);
  if (prev == 0) {
    store<u32>(s + FS_NEXT, load<u32>(qp + QR_FIRST));
    store<u32>(qp + QR_FIRST, si);
  } else {
    const p = slotAt(r, prev);
    store<u32>(s + FS_NEXT, load<u32>(p + FS_NEXT));
    store<u32>(p + FS_NEXT, si);
  }
  if (tail == 0 || prev == tail) {
    store<u32>(qp + QR_TAIL, si);
    if (runHead) store<u32>(qp + QR_RUN, si);
  }
  return IPFRAG_OK;
}

/** A free fragment slot (index+1), taken off the free list; 0 when none. */
export function slotTake(r: u32): u32 {
  const si = load<u32>(r + R_FREES);
  if (si != 0) store<u32>(r + R_FREES, load<u32>(slotAt(r, si) + FS_NEXT));
  return si;
}

export function slotGive(r: u32, si: u32): void {
  store<u32>(slotAt(r, si) + FS_NEXT, load<u32>(r + R_FREES));
  store<u32>(r + R_FREES, si);
}

/** The fragment was queued: account its truesize. */
@inline export function memCharge(r: u32, family: u32): void {
  const m = memAddr(r, family);
  store<u32>(m, load<u32>(m) + REASM_TRUESIZE);
}

/**
 * ip_frag_ecn_table: the ECN codepoint to OR into the reassembled header, or 0xff when the fragments
 * mix Not-ECT with ECT/CE (RFC 3168 5.3: drop). `seen`: bits 1 << ECN of every fragment.
 */
export function fragEcn(seen: u32): u32 {
  const NOT_ECT: u32 = 1;
  const CE: u32 = 8;
  if ((seen & NOT_ECT) != 0 && seen != NOT_ECT) return 0xff;
  return (seen & CE) != 0 && seen != CE ? 3 : 0;
}

/**
 * A frame for a datagram of `l3len` bytes, its L3 header at the returned address (the Ethernet header
 * in the 14 bytes before): a pool frame when it fits one, else a big frame. 0 when none is free.
 */
export function reasmFrame(l3len: u32): u32 {
  const f = l3len <= REASM_FRAME_L3_MAX ? frameAlloc() : bigFrameAlloc();
  return f == 0 ? 0 : f + XDP_PACKET_HEADROOM + 14;
}

/** Copy every held fragment's payload to `dst` + its offset (the queue is whole: no gap, no overlap). */
export function fragsGather(r: u32, qp: u32, dst: u32): void {
  let si = load<u32>(qp + QR_FIRST);
  while (si != 0) {
    const s = slotAt(r, si);
    copyBytes(dst + load<u32>(s + FS_OFFSET), load<u32>(s + FS_DATA) + load<u32>(s + FS_HLEN), load<u32>(s + FS_LEN));
    si = load<u32>(s + FS_NEXT);
  }
}

@inline export function queueSetFirst(qp: u32): void {
  store<u8>(qp + QR_FLAGS, <u8>(load<u8>(qp + QR_FLAGS) | QF_FIRST_IN));
}

/** Both ends came and every byte between: the datagram can be built. */
@inline export function queueWhole(qp: u32): bool {
  return <u32>load<u8>(qp + QR_FLAGS) == (QF_FIRST_IN | QF_LAST_IN) && load<u32>(qp + QR_MEAT) == load<u32>(qp + QR_LEN);
}

/**
 * The fragment's payload [offset, end) joins the queue: held (meat, ECN and memory accounted) → true;
 * dropped as a duplicate, refused (wxdp's table full: the kernel has no such bound), or the whole
 * datagram discarded on an overlap → false, the frame given back.
 */
export function fragQueueAdd(r: u32, qi: u32, q: u32, data: u32, offset: u32, end: u32, hlen: u32, ecn: u32, failsMib: u32): bool {
  const qp = queueAt(r, qi);
  const si = slotTake(r);
  if (si == 0) {
    mibInc(failsMib);
    netDrop(NDROP_FRAG_MEM);
    netFree(q, data);
    return false;
  }
  const ins = fragInsert(r, qp, si, q, data, offset, end, hlen);
  if (ins != IPFRAG_OK) {
    slotGive(r, si);
    if (ins == IPFRAG_DUP) {
      netDrop(NDROP_DUP_FRAG);
      netFree(q, data);
    } else {
      discardQueue(r, qi, q, data, failsMib);
    }
    return false;
  }
  store<u32>(qp + QR_MEAT, load<u32>(qp + QR_MEAT) + (end - offset));
  store<u8>(qp + QR_ECN, <u8>(load<u8>(qp + QR_ECN) | ecn));
  memCharge(r, load<u8>(qp + QR_FAMILY));
  return true;
}

// ---- IPv4 ----

const IP_MF: u32 = 0x2000;
const IP_DF: u32 = 0x4000;
const IP_OFFSET: u32 = 0x1fff;

/**
 * An IPv4 fragment for local delivery (ip_defrag with IP_DEFRAG_LOCAL_DELIVER): data at the IP header,
 * len = tot_len (the frame trimmed to it), received on `ifindex`. Takes the frame. Returns the L3
 * address of the reassembled datagram when this fragment completed one (its length in reasmLen(); a
 * frame of the stack's own: q = 0), else 0.
 */
export function ip_defrag(ifindex: u32, q: u32, data: u32, len: u32): u32 {
  reasmLock();
  const d = ipDefrag(ifindex, q, data, len, IP_DEFRAG_LOCAL_DELIVER);
  reasmUnlock();
  return d;
}

export const IP_DEFRAG_LOCAL_DELIVER: u32 = 0;
export const IP_DEFRAG_CONNTRACK_IN: u32 = 2; // + the zone (0 here)

/**
 * ip_defrag for another user (enum ip_defrag_users: nf_defrag_ipv4's IP_DEFRAG_CONNTRACK_IN): queues of
 * their own, apart from local delivery's, as the kernel keys them by user. As ip_defrag otherwise; the
 * datagram's frag_max_size (its largest fragment) in reasmFragMax().
 */
export function ip_defrag_user(ifindex: u32, q: u32, data: u32, len: u32, user: u32): u32 {
  reasmLock();
  const d = ipDefrag(ifindex, q, data, len, user);
  reasmUnlock();
  return d;
}

function ipDefrag(ifindex: u32, q: u32, data: u32, len: u32, user: u32): u32 {
  mibInc(MIB_IP_REASM_REQDS);
  const r = reasmTable();
  const qi = r == 0 ? 0 : queueFind(r, 4, load<u16>(data + 4), load<u8>(data + 9), 0, data + 12, data + 16, user);
  if (qi == 0) {
    mibInc(MIB_IP_REASM_FAILS);
    netDrop(r == 0 ? NDROP_NOMEM : NDROP_FRAG_MEM);
    netFree(q, data);
    return 0;
  }
  return ipFragQueue(r, qi, ifindex, q, data, len);
}

/** ip_frag_queue: add the fragment; reassemble when the queue is whole. */
function ipFragQueue(r: u32, qi: u32, ifindex: u32, q: u32, data: u32, len: u32): u32 {
  const qp = queueAt(r, qi);
  if (fragTooFar(r, qp)) queueReinit(r, qi);

  const ecn: u32 = 1 << (load<u8>(data + 1) & 3);
  const fo = be16(data + 6);
  const offset = (fo & IP_OFFSET) << 3;
  const ihl: u32 = (<u32>load<u8>(data) & 15) << 2;
  let end = offset + len - ihl;
  let qlen = load<u32>(qp + QR_LEN);
  const flags = <u32>load<u8>(qp + QR_FLAGS);
  if ((fo & IP_MF) == 0) {
    // The last fragment: nothing may lie beyond it, nor may another last one disagree.
    if (end < qlen || ((flags & QF_LAST_IN) != 0 && end != qlen)) return discardQueue(r, qi, q, data, MIB_IP_REASM_FAILS);
    store<u8>(qp + QR_FLAGS, <u8>(flags | QF_LAST_IN));
    store<u32>(qp + QR_LEN, end);
  } else {
    end &= ~7; // a fragment before the last carries a multiple of 8 bytes; the rest is trimmed
    if (end > qlen) {
      if ((flags & QF_LAST_IN) != 0) return discardQueue(r, qi, q, data, MIB_IP_REASM_FAILS);
      store<u32>(qp + QR_LEN, end);
    }
  }
  if (end == offset) return discardQueue(r, qi, q, data, MIB_IP_REASM_FAILS);

  if (!fragQueueAdd(r, qi, q, data, offset, end, ihl, ecn, MIB_IP_REASM_FAILS)) return 0;
  store<u32>(qp + QR_IIF, ifindex);
  if (offset == 0) {
    queueSetFirst(qp);
    // local delivery's fragments had their options compiled before ip_defrag (ip_rcv_finish); the datagram keeps the first's
    store<u32>(qp + QR_OPTECHO, ihl > 20 ? optEchoSave(data) : 0);
  }
  const fragsize = end - offset + ihl;
  if (fragsize > load<u32>(qp + QR_MAX_SIZE)) store<u32>(qp + QR_MAX_SIZE, fragsize);
  if ((fo & IP_DF) != 0 && fragsize > load<u32>(qp + QR_MAX_DF)) store<u32>(qp + QR_MAX_DF, fragsize);
  return queueWhole(qp) ? ipFragReasm(r, qi) : 0;
}

/**
 * discard_qp: the fragment contradicts the queue (overlap, a second end, bytes past the end, nothing
 * left after the trim): the whole datagram goes (RFC 5722's rule, the kernel's for IPv4 as well).
 */
export function discardQueue(r: u32, qi: u32, q: u32, data: u32, failsMib: u32): u32 {
  queueDestroy(r, qi, NDROP_FRAG_INVALID);
  mibInc(failsMib);
  netDrop(NDROP_FRAG_INVALID);
  netFree(q, data);
  return 0;
}

/** ip_frag_reasm: the queue is whole; build the datagram from the first fragment's header and every payload. */
function ipFragReasm(r: u32, qi: u32): u32 {
  const qp = queueAt(r, qi);
  const ecn = fragEcn(load<u8>(qp + QR_ECN));
  if (ecn == 0xff) return reasmFail(r, qi, MIB_IP_REASM_FAILS, NDROP_FRAG_ECN);
  const head = slotAt(r, load<u32>(qp + QR_FIRST));
  const hdata = load<u32>(head + FS_DATA);
  const ihl = load<u32>(head + FS_HLEN);
  const total = ihl + load<u32>(qp + QR_LEN);
  if (total > 65535) return reasmFail(r, qi, MIB_IP_REASM_FAILS, NDROP_FRAG_OVERSIZE);
  const dst = reasmFrame(total);
  if (dst == 0) return reasmFail(r, qi, MIB_IP_REASM_FAILS, NDROP_NOMEM);
  copyBytes(dst - 14, hdata - 14, 14 + ihl);
  fragsGather(r, qp, dst + ihl);
  store<u16>(dst + 2, bswap<u16>(<u16>total));
  store<u8>(dst + 1, load<u8>(dst + 1) | <u8>ecn);
  // DF only when the largest fragment had it: refragmenting must not send more than the sender did.
  const df = load<u32>(qp + QR_MAX_DF) == load<u32>(qp + QR_MAX_SIZE);
  store<u16>(dst + 6, df ? bswap<u16>(<u16>IP_DF) : 0);
  store<u16>(dst + 10, 0);
  store<u16>(dst + 10, bswap<u16>(<u16>csumFold(csumPartial(dst, ihl, 0))));
  // IPCB(skb)->frag_max_size = max(max_df_size, q.max_size): what refragmenting may not exceed
  resultFragMax = load<u32>(qp + QR_MAX_SIZE);
  if (load<u32>(qp + QR_USER) != IP_DEFRAG_LOCAL_DELIVER) reasmKeepGeometry(r, qp, dst, total);
  else optEchoRestore(dst, load<u32>(qp + QR_OPTECHO));
  queueDestroy(r, qi, 0);
  mibInc(MIB_IP_REASM_OKS);
  reasmSetResult(r, total, 0, ihl);
  return dst;
}

/**
 * The fragments' payload lengths in order into the datagram's geometry block (netfilter.ts
 * nf_frag_geo): the kernel's reassembled skb keeps them as its frag_list (inet_frag_reasm_finish without
 * coalescing for conntrack's users), which ip_do_fragment / ip6_fragment send again as they were. None (slow path) past GEO_MAX fragments.
 */
export function reasmKeepGeometry(r: u32, qp: u32, dst: u32, len: u32): void {
  const g = nf_frag_geo(dst, len);
  if (g == 0) return;
  store<u32>(g, 0);
  let n: u32 = 0;
  let si = load<u32>(qp + QR_FIRST);
  while (si != 0) {
    if (n == GEO_MAX) return;
    const s = slotAt(r, si);
    store<u16>(g + 8 + (n << 1), <u16>load<u32>(s + FS_LEN));
    n++;
    si = load<u32>(s + FS_NEXT);
  }
  store<u16>(g + 4, <u16>n);
  store<u32>(g, dst ^ GEO_TAG);
}

/** out_fail: ReasmFails (none when `failsMib` is 0: conntrack's reassembly), the queue and its fragments dropped for `reason`. */
export function reasmFail(r: u32, qi: u32, failsMib: u32, reason: u32): u32 {
  queueDestroy(r, qi, reason);
  if (failsMib != 0) mibInc(failsMib);
  return 0;
}

/** Length of the datagram the last ip_defrag / ipv6_defrag returned. */
export function reasmLen(): u32 {
  return resultLen;
}

/**
 * For the datagram the last ipv6_defrag returned: the offset of the next-header byte that names the
 * header to go on with (reasmNhoff) and of that header (reasmThoff). IPv4: 0 and the IHL.
 */
/** frag_max_size of the IPv4 datagram the last ip_defrag / ip_defrag_user returned (its largest fragment's L3 bytes). */
export function reasmFragMax(): u32 {
  return resultFragMax;
}

/** IPv6 (nf_ct_frag6_reasm): the datagram's IP6CB frag_max_size, for reasmFragMax(). */
export function reasmSetFragMax(v: u32): void {
  resultFragMax = v;
}

export function reasmNhoff(): u32 {
  return resultNhoff;
}

export function reasmThoff(): u32 {
  return resultThoff;
}

// ---- Expiry ----

/** The clock moved to `now` (ms): queues whose time is up expire, oldest first. */
export function reasm_tick(now: u64): void {
  const root = netRoot();
  const r = root == 0 ? 0 : load<u32>(root + NR_FRAG);
  if (r == 0) return;
  reasmLock();
  let qi = load<u32>(r + R_THEAD);
  while (qi != 0 && load<u64>(queueAt(r, qi) + QR_EXPIRES) <= now) {
    queueExpire(r, qi);
    qi = load<u32>(r + R_THEAD);
  }
  reasmUnlock();
}

/** When the oldest reassembly queue expires (ms on the stack clock), -1 when none waits. */
export function reasm_next_timer(): i64 {
  const root = netRoot();
  const r = root == 0 ? 0 : load<u32>(root + NR_FRAG);
  const qi = r == 0 ? 0 : load<u32>(r + R_THEAD);
  return qi == 0 ? -1 : <i64>load<u64>(queueAt(r, qi) + QR_EXPIRES);
}

/**
 * ip_expire / ip6frag_expire_frag_queue: ReasmFails and ReasmTimeout (IPv6: only while the device of
 * the last fragment exists), and when the first fragment came, ICMP time exceeded (code 1) quoting it,
 * sent on that device; every fragment dropped as FRAG_REASM_TIMEOUT.
 */
function queueExpire(r: u32, qi: u32): void {
  const qp = queueAt(r, qi);
  const family = <u32>load<u8>(qp + QR_FAMILY);
  const iif = load<u32>(qp + QR_IIF);
  const counted = family == 4 || netdevGet(iif) != 0;
  if (counted) {
    mibInc(family == 4 ? MIB_IP_REASM_FAILS : MIB_IP6_REASM_FAILS);
    mibInc(family == 4 ? MIB_IP_REASM_TIMEOUT : MIB_IP6_REASM_TIMEOUT);
  }
  const first = load<u32>(qp + QR_FIRST);
  if (counted && (<u32>load<u8>(qp + QR_FLAGS) & QF_FIRST_IN) != 0 && first != 0 && netdevGet(iif) != 0) {
    const head = slotAt(r, first);
    const hdata = load<u32>(head + FS_DATA);
    const qlen = load<u32>(head + FS_HLEN) + load<u32>(head + FS_LEN);
    // "only an end host" answers (RFC 792): frag_expire_skip_icmp — conntrack's defrag (IP_DEFRAG_CONNTRACK_IN + zone)
    // sends nothing about a datagram whose input route is not local (nf fuzz seed 744: a forwarded flow's fragments
    // cut short). The route: table local's type of the destination (ip_route_input_noref's, rules aside)
    const user = load<u32>(qp + QR_USER);
    const ctIn = family == 4 && user >= IP_DEFRAG_CONNTRACK_IN && user <= IP_DEFRAG_CONNTRACK_IN + 0xffff;
    if (ctIn && fib4_local_type(load<u32>(hdata + 16), 0) != RTN_LOCAL) {
      queueDestroy(r, qi, NDROP_FRAG_REASM_TIMEOUT);
      return;
    }
    if (family == 4) icmp_send(iif, hdata, qlen, 11, 1, 0);
    else icmpv6_send(iif, hdata, qlen, 3, 1, 0);
  }
  queueDestroy(r, qi, NDROP_FRAG_REASM_TIMEOUT);
}

/** Bytes the family's fragments are accounted for (truesize of held fragments and queue structs). */
export function reasm_mem(family: u32): u32 {
  const root = netRoot();
  const r = root == 0 ? 0 : load<u32>(root + NR_FRAG);
  return r == 0 ? 0 : load<u32>(memAddr(r, family == 10 ? 6 : 4));
}

/** Queues waiting for fragments. */
export function reasm_queues(): u32 {
  const root = netRoot();
  const r = root == 0 ? 0 : load<u32>(root + NR_FRAG);
  return r == 0 ? 0 : load<u32>(r + R_NQUEUES);
}
