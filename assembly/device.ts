// Devices: the table by ifindex, each device's queues with their fill / RX / TX / completion rings and
// counters, the host ring (what the program passed up), and the two ends of a device: receive (a
// frame from outside lands on an RX ring) and transmit (a frame goes onto a TX ring, or, for a
// veth-like device with a peer, onto the peer's RX ring).
//
//   device  +0 ifindex | +4 mtu | +8 n queues | +12 program slot | +16 MAC (6) | +24 host ring
//           +28 peer ifindex | +32 burst slot | +36 block bytes (reclaim.ts; 0: arena) | ... DEV_HEADER_SIZE,
//           then n × QUEUE_SIZE, then the rings (dev_create):
//   queue   +0 fill | +4 rx | +8 tx | +12 completion | +16 bound socket id + 1 | ... | +64 counters (u64)
//
// Descriptor options: bits 0-7 metadata length in front of the data, bits 16-23 veth hops taken.
//
// Reads: DP_DEVS. Sets: rings, counters. Next: napi.ts polls the RX rings; TypeScript reads TX and host.

import { tp_mem_event, tpBulkOn } from './tracepoints';
import { ndStat } from './net/netdev';
import { NDSTAT_TX_BYTES, NDSTAT_TX_DROPPED, NDSTAT_TX_PACKETS } from './net/abi';
import {
  BURST_RECORD_SIZE, DEV_BLOCK, DEV_HEADER_SIZE, DEV_HOST_RING, DEV_IFINDEX, DEV_MTU, DEV_NQUEUES, DEV_PEER, DP_DEVS, DESC_SIZE, DROP_NO_BUFFER,
  DROP_PKT_TOO_BIG, DROP_PKT_TOO_SMALL, DROP_REDIRECT_LOOP, DROP_REDIRECT_NO_DEVICE, DROP_RX_RING_FULL, DROP_TX_RING_FULL, FRAME_SIZE,
  FRAME_TAILROOM_RESERVED, MAX_DEVICES, MAX_REDIRECT_HOPS, Q_COMP, Q_FILL, Q_RX, Q_STATS, Q_TX, QSTAT_DROP_BASE,
  QSTAT_TX_BYTES, QSTAT_TX_PACKETS, QUEUE_SIZE, XDP_PACKET_HEADROOM, RING_CONSUMER, RING_PRODUCER, RING_MASK, RING_ENTRIES,
} from './abi';
import { copyBytes } from './bytes';
import { arena_alloc } from './maps/arena';
import { ring_init, ringBytes, ringEntry, ringPopAddr, ringPushAddr, ringPushDesc, ringProducerLock, ringProducerUnlock, ringFree, ringSizeOk, ringProducerAcquire, ringProducerRelease, ringConsumerAcquire, ringConsumerRelease } from './ring';
import { rc_alloc, rc_retire } from './net/reclaim';
import { frameFree, framesAllocTo, framesFreeFrom } from './umem';
import { pg_fill_strided } from './pktgen';
import { DEV_RSS, rssHash, rssQueue, rssType, rxHashSet } from './rss';

export const ETH_HLEN: u32 = 14;
/** Largest frame a device takes beyond its MTU: the Ethernet header (and a VLAN tag, as xdp_ok_fwd_dev). */
export const VLAN_HLEN: u32 = 4;
export const OPT_META_MASK: u32 = 0xff;
export const OPT_HOPS_SHIFT: u32 = 16;
/** The most data a frame holds (FRAME_SIZE less headroom and skb_shared_info). */
export const MAX_FRAME_DATA: u32 = FRAME_SIZE - XDP_PACKET_HEADROOM - FRAME_TAILROOM_RESERVED;

@inline export function devLookup(ifindex: u32): u32 {
  return ifindex < MAX_DEVICES ? load<u32>(DP_DEVS + (ifindex << 2)) : 0;
}

@inline export function devQueue(dev: u32, q: u32): u32 {
  return dev + DEV_HEADER_SIZE + q * QUEUE_SIZE;
}

@inline export function count(q: u32, stat: u32, n: u64): void {
  const a = q + Q_STATS + (stat << 3);
  store<u64>(a, load<u64>(a) + n);
}

/**
 * count() on a queue other workers count on too (transmit: a TX queue, or a veth peer's RX queue, that
 * several workers' redirects reach, as a driver's XDP TX queue shared between CPUs): an atomic add in
 * the shared build, the plain count in the release build.
 */
@inline export function countShared(q: u32, stat: u32, n: u64): void {
  if (ASC_FEATURE_THREADS) atomic.add<u64>(q + Q_STATS + (stat << 3), n);
  else count(q, stat, n);
}

@inline export function countDrop(q: u32, reason: u32): void {
  count(q, QSTAT_DROP_BASE + reason, 1);
}

/** `n` rounded up to 64 bytes (each part of a device block starts on a cache line). */
@inline function line(n: u32): u32 {
  return (n + 63) & ~63;
}

/** The bytes one block holding a device takes: header and queues, host ring, 4 rings a queue. */
function devBytes(nqueues: u32, ringSize: u32, hostRingSize: u32): u32 {
  const perQueue = line(ringBytes(ringSize, 8)) * 2 + line(ringBytes(ringSize, DESC_SIZE)) * 2;
  return line(DEV_HEADER_SIZE + nqueues * QUEUE_SIZE) + line(ringBytes(hostRingSize, DESC_SIZE)) + nqueues * perQueue;
}

/**
 * A device at `ifindex` with `nqueues` queues of rings of `ringSize` entries, each fill ring stocked
 * from the pool. Returns its address, or -22 (EINVAL: bad ifindex, size or queues), -17 (EEXIST),
 * -12 (ENOMEM).
 *
 * The device is one block: its header and queues, then the host ring, then each queue's fill, RX, TX
 * and completion rings. With the stack set up the block comes from reclaim.ts (DEV_BLOCK holds its
 * size) and goes back there when the device is destroyed, reused once every worker has passed a
 * quiescent point; without it (a data path with no stack) it comes from the arena and stays there.
 */
export function dev_create(ifindex: u32, nqueues: u32, mtu: u32, ringSize: u32, hostRingSize: u32): i32 {
  if (ifindex == 0 || ifindex >= MAX_DEVICES || nqueues == 0 || nqueues > 64) return -22;
  if (mtu < 68 || mtu + ETH_HLEN + VLAN_HLEN > MAX_FRAME_DATA) return -22;
  if (!ringSizeOk(ringSize) || !ringSizeOk(hostRingSize)) return -12; // as ring_create refused them
  if (devLookup(ifindex) != 0) return -17;
  const bytes = devBytes(nqueues, ringSize, hostRingSize);
  let dev = rc_alloc(bytes);
  const reclaimable = dev != 0;
  if (!reclaimable) dev = arena_alloc(bytes, 64);
  if (dev == 0) return -12;
  let at = dev + line(DEV_HEADER_SIZE + nqueues * QUEUE_SIZE);
  store<u32>(dev, ifindex, DEV_IFINDEX);
  store<u32>(dev, mtu, DEV_MTU);
  store<u32>(dev, nqueues, DEV_NQUEUES);
  store<u32>(dev, reclaimable ? bytes : 0, DEV_BLOCK);
  store<u32>(dev, 0, DEV_RSS);
  store<u32>(dev, ring_init(at, hostRingSize, DESC_SIZE), DEV_HOST_RING);
  at += line(ringBytes(hostRingSize, DESC_SIZE));
  for (let i: u32 = 0; i < nqueues; i++) {
    const q = devQueue(dev, i);
    store<u32>(q, ring_init(at, ringSize, 8), Q_FILL);
    at += line(ringBytes(ringSize, 8));
    store<u32>(q, ring_init(at, ringSize, DESC_SIZE), Q_RX);
    at += line(ringBytes(ringSize, DESC_SIZE));
    store<u32>(q, ring_init(at, ringSize, DESC_SIZE), Q_TX);
    at += line(ringBytes(ringSize, DESC_SIZE));
    store<u32>(q, ring_init(at, ringSize, 8), Q_COMP);
    at += line(ringBytes(ringSize, 8));
    queueRefill(q);
  }
  store<u32>(DP_DEVS + (ifindex << 2), dev);
  for (let i: u32 = 0; i < nqueues; i++) tp_mem_event(dev, devQueue(dev, i), i, true);
  return <i32>dev;
}

/**
 * Take `dev` out of the device table (DP_DEVS): a poller's round that starts after this does not see it,
 * nor does a transmit that looks it up by ifindex. With workers the control plane then waits for every
 * worker to finish the round it is in (Workers.sync) before dev_destroy drains the rings, which have
 * one consumer each.
 */
export function dev_unlist(dev: u32): void {
  const at = DP_DEVS + (load<u32>(dev, DEV_IFINDEX) << 2);
  if (load<u32>(at) == dev) store<u32>(at, 0);
}

/**
 * Take `dev` out of the device table and give every frame its rings hold (fill, RX, TX, completion and
 * host rings) back to the pool; its block is retired to reclaim.ts (reused after the grace period the
 * control plane runs with rc_reclaim) when it came from there. With workers, after dev_unlist and their
 * round (src/control/datapath.ts removeDevice).
 */
export function dev_destroy(dev: u32): void {
  dev_unlist(dev);
  const nq = load<u32>(dev, DEV_NQUEUES);
  for (let i: u32 = 0; i < nq; i++) {
    const q = devQueue(dev, i);
    tp_mem_event(dev, q, i, false);
    drainRing(load<u32>(q, Q_FILL));
    drainRing(load<u32>(q, Q_RX));
    drainRing(load<u32>(q, Q_TX));
    drainRing(load<u32>(q, Q_COMP));
  }
  drainRing(load<u32>(dev, DEV_HOST_RING));
  const bytes = load<u32>(dev, DEV_BLOCK);
  if (bytes != 0) rc_retire(dev, bytes);
}

/** Every entry of a ring (addresses or descriptors: both start with the u64 address) to the pool. */
function drainRing(r: u32): void {
  let a = ringPopAddr(r);
  while (a >= 0) {
    frameFree(<u32>a);
    a = ringPopAddr(r);
  }
}

/** Make two devices a veth-like pair: what one transmits, the other receives. */
export function dev_set_peer(dev: u32, peerIfindex: u32): void {
  store<u32>(dev, peerIfindex, DEV_PEER);
}

/**
 * Driver clean-up: completed transmissions back to the fill ring (or the pool when it is full), the fill
 * ring topped up from the pool. In bulk, as a driver refills: the entries written first, each ring index
 * published once and the pool's lock taken once (the shared build's atomics per batch, not per frame).
 */
export function queueRefill(q: u32): void {
  const fill = load<u32>(q, Q_FILL);
  const comp = load<u32>(q, Q_COMP);
  const fp = load<u32>(fill, RING_PRODUCER);
  let room = load<u32>(fill, RING_MASK) + 1 - (fp - ringConsumerAcquire(fill));
  const cc = load<u32>(comp, RING_CONSUMER);
  const done = ringProducerAcquire(comp) - cc;
  const k = min(done, room);
  const fe = load<u32>(fill, RING_ENTRIES);
  const fm = load<u32>(fill, RING_MASK);
  const ce = load<u32>(comp, RING_ENTRIES);
  const cm = load<u32>(comp, RING_MASK);
  for (let i: u32 = 0; i < k; i++) store<u64>(fe + (((fp + i) & fm) << 3), <u64>(<u32>load<u64>(ce + (((cc + i) & cm) << 3)) & ~(FRAME_SIZE - 1)));
  if (done != 0) {
    framesFreeFrom(comp, cc + k, done - k);
    ringConsumerRelease(comp, cc + done);
  }
  room -= k;
  const got = framesAllocTo(fill, fp + k, room);
  if (k + got != 0) ringProducerRelease(fill, fp + k + got);
}

// The shared build batches the fill-ring pushes of the queue being polled (napi.ts: recycleBatchBegin at
// the top of a poll, recycleBatchEnd before its refill): the entries are written past the published
// producer index and published once, as a driver returns a NAPI poll's pages in bulk — one release
// store per poll instead of one per dropped frame. Per instance (wasm globals): the polling thread's.
let batchQ: u32 = 0;
let batchN: u32 = 0;
// The batch's fill ring read once a poll: its entries and mask, its producer (only the poll that owns
// the queue produces on it, so it stands still meanwhile), and the room it had when last asked (the
// consumer only moves on, so the room only grows: asked again only when the batch has filled it).
let batchEnts: u32 = 0;
let batchMask: u32 = 0;
let batchP0: u32 = 0;
let batchRoom: u32 = 0;

@inline export function recycleBatchBegin(q: u32): void {
  if (ASC_FEATURE_THREADS) {
    batchQ = q;
    batchN = 0;
    const fill = load<u32>(q, Q_FILL);
    batchEnts = load<u32>(fill, RING_ENTRIES);
    batchMask = load<u32>(fill, RING_MASK);
    batchP0 = load<u32>(fill, RING_PRODUCER);
    batchRoom = 0;
  }
}

@inline export function recycleBatchEnd(): void {
  if (ASC_FEATURE_THREADS && batchQ != 0) {
    if (batchN != 0) {
      const fill = load<u32>(batchQ, Q_FILL);
      ringProducerRelease(fill, load<u32>(fill, RING_PRODUCER) + batchN);
    }
    batchQ = 0;
    batchN = 0;
  }
}

/**
 * recycle() when the fill ring is full: the frame goes to the pool. Not inlined: frameFree is the pool's
 * lock, the worker's frame cache and the big frames, and recycle is inlined at every verdict of the
 * poll loop (napi.ts), where a copy of it each would only lengthen the loop's code and the registers
 * its hot path keeps.
 */
function recycleOverflow(f: u32): void {
  frameFree(f);
}

/** A frame is done with: back on the queue's fill ring, or the pool when that is full. */
@inline export function recycle(q: u32, addr: u32): void {
  const f = addr & ~(FRAME_SIZE - 1);
  if (ASC_FEATURE_THREADS && q == batchQ) {
    if (batchN >= batchRoom) {
      // full as last asked: ask again (entries on the ring: the producer's less the consumer's)
      batchRoom = batchMask + 1 - (batchP0 - ringConsumerAcquire(load<u32>(q, Q_FILL)));
      if (batchN >= batchRoom) {
        recycleOverflow(f);
        return;
      }
    }
    store<u64>(batchEnts + (((batchP0 + batchN) & batchMask) << 3), <u64>f);
    batchN++;
    return;
  }
  if (!ringPushAddr(load<u32>(q, Q_FILL), <u64>f)) recycleOverflow(f);
}

/**
 * Receive `len` bytes at `src` on queue `qi`: the NIC's side of the RX ring. Takes a frame from the
 * fill ring, copies the bytes after the headroom and posts a descriptor. 1 when queued, 0 when dropped
 * (counted with its reason).
 */
export function dev_rx(dev: u32, qi: u32, src: u32, len: u32): u32 {
  return rxOne(dev, devQueue(dev, qi), src, len, 0, 0);
}

/** dev_rx on the queue RSS picks (rss.ts), the hash in the frame's head. */
export function dev_rx_rss(dev: u32, src: u32, len: u32): u32 {
  const qi = rssQueue(dev, src, len);
  return rxOne(dev, devQueue(dev, qi), src, len, rssHash(), rssType());
}

@inline function rxOne(dev: u32, q: u32, src: u32, len: u32, hash: u32, htype: u32): u32 {
  if (len < ETH_HLEN) {
    countDrop(q, DROP_PKT_TOO_SMALL);
    return 0;
  }
  if (len > load<u32>(dev, DEV_MTU) + ETH_HLEN) {
    countDrop(q, DROP_PKT_TOO_BIG);
    return 0;
  }
  const f = ringPopAddr(load<u32>(q, Q_FILL));
  if (f < 0) {
    countDrop(q, DROP_NO_BUFFER);
    return 0;
  }
  const data = <u32>f + XDP_PACKET_HEADROOM;
  // the bytes first, then the descriptor: a worker polling this queue may take it at once
  copyBytes(data, src, len);
  rxHashSet(<u32>f, hash, htype);
  if (!ringPushDesc(load<u32>(q, Q_RX), <u64>data, len, 0)) {
    recycle(q, <u32>f);
    countDrop(q, DROP_RX_RING_FULL);
    return 0;
  }
  return 1;
}

/** dev_rx_batch with each frame on the queue RSS picks (rss.ts). Returns how many were queued. */
export function dev_rx_batch_rss(dev: u32, buf: u32, n: u32): u32 {
  let queued: u32 = 0;
  let p = buf;
  for (let i: u32 = 0; i < n; i++) {
    const len = load<u32>(p);
    const qi = rssQueue(dev, p + 4, len);
    queued += rxOne(dev, devQueue(dev, qi), p + 4, len, rssHash(), rssType());
    p += (4 + len + 3) & ~3;
  }
  return queued;
}

/**
 * Receive a batch laid out at `buf` as records: u32 length, then the bytes, the next record at the
 * next 4-byte boundary. Returns how many were queued.
 */
export function dev_rx_batch(dev: u32, qi: u32, buf: u32, n: u32): u32 {
  const q = devQueue(dev, qi);
  let queued: u32 = 0;
  let p = buf;
  for (let i: u32 = 0; i < n; i++) {
    const len = load<u32>(p);
    queued += rxOne(dev, q, p + 4, len, 0, 0);
    p += (4 + len + 3) & ~3;
  }
  return queued;
}

// Where transmit puts a frame (txResolve; per instance, wasm globals): the TX queue that counts it, the
// ring it goes onto (that queue's TX ring, or a veth peer's RX ring), the queue that ring belongs to, the
// descriptor's options, and the drop reason when the ring is full.
let txQ: u32 = 0;
let txRing: u32 = 0;
let txRingQ: u32 = 0;
let txOpts: u32 = 0;
let txFull: u32 = 0;

/**
 * transmit's checks, and where the frame goes (the tx* globals). False when it is dropped here (too big,
 * a veth loop or a peer that is gone: counted on `q`, the frame recycled).
 */
@inline function txResolve(q: u32, dev: u32, qi: u32, addr: u32, len: u32, options: u32): bool {
  const nq = load<u32>(dev, DEV_NQUEUES);
  const tq = devQueue(dev, qi < nq ? qi : qi % nq);
  if (len > load<u32>(dev, DEV_MTU) + ETH_HLEN + VLAN_HLEN) {
    recycle(q, addr);
    countDrop(q, DROP_PKT_TOO_BIG);
    return false;
  }
  // Onto the TX ring, or for a veth the peer's RX ring (one hop more): a full ring is a drop counted
  // on the ring's queue.
  txQ = tq;
  txRing = load<u32>(tq, Q_TX);
  txRingQ = tq;
  txOpts = options & OPT_META_MASK;
  txFull = DROP_TX_RING_FULL;
  const peer = load<u32>(dev, DEV_PEER);
  if (peer != 0) {
    const hops = (options >> OPT_HOPS_SHIFT) + 1;
    const pdev = devLookup(peer);
    if (hops > MAX_REDIRECT_HOPS || pdev == 0) {
      recycle(q, addr);
      countDrop(q, DROP_REDIRECT_LOOP);
      return false;
    }
    const pn = load<u32>(pdev, DEV_NQUEUES);
    txRingQ = devQueue(pdev, qi < pn ? qi : qi % pn);
    txRing = load<u32>(txRingQ, Q_RX);
    txOpts |= (hops & 0xff) << OPT_HOPS_SHIFT;
    txFull = DROP_RX_RING_FULL;
    // the peer receives an xdp_frame without an skb: no RX hash (veth_xdp_rx_hash: -ENODATA)
    rxHashSet(addr, 0, 0);
  }
  return true;
}

/**
 * Transmit on `dev` (queue `qi` modulo its queues): onto its TX ring, or a veth peer's RX ring.
 * `q` is the queue the frame is accounted to when dropped. False when dropped (counted; the frame
 * is recycled). At once, one frame: the NAPI polls of the shared build queue theirs (xmit, below).
 */
export function transmit(q: u32, dev: u32, qi: u32, addr: u32, len: u32, options: u32): bool {
  if (!txResolve(q, dev, qi, addr, len, options)) return false;
  const tq = txQ;
  const ring = txRing;
  // A TX queue's counters are guarded by its TX ring's producer lock, as a driver counts its TX stats
  // under the queue's xmit lock: plain adds while it is held, no atomic on the hot path. (A veth end's
  // frames go onto the peer's RX ring under that ring's lock; its own TX ring's lock guards its counters.)
  const own = load<u32>(tq, Q_TX);
  ringProducerLock(ring);
  const ok = ringPushDesc(ring, <u64>addr, len, txOpts);
  if (ring == own) {
    if (ok) {
      count(tq, QSTAT_TX_PACKETS, 1);
      count(tq, QSTAT_TX_BYTES, len);
    } else {
      count(tq, QSTAT_DROP_BASE + txFull, 1);
    }
    ringProducerUnlock(ring);
  } else {
    ringProducerUnlock(ring);
    if (!ok) countShared(txRingQ, QSTAT_DROP_BASE + txFull, 1);
    else {
      ringProducerLock(own);
      count(tq, QSTAT_TX_PACKETS, 1);
      count(tq, QSTAT_TX_BYTES, len);
      ringProducerUnlock(own);
    }
  }
  if (!ok) recycle(q, addr);
  return ok;
}

/** What transmitBurst did: frames on the ring and their bytes, frames dropped (the stack's device counts them). */
export let txBurstSent: u32 = 0;
export let txBurstBytes: u64 = 0;
export let txBurstDropped: u32 = 0;

/**
 * transmit of the `n` frames at `buf` (u32 data, u32 len each, in order) onto `dev` queue `qi`, each
 * accounted to `q`: the same checks, ring entries, counters and drops as `n` transmit calls in a row,
 * with the ring's producer index published and the TX queue's counters added once: the stack's lean
 * bursts (net/netdev.ts netdev_xmit_flush) and gathered redirects (napi.ts redirFlush). The room counted
 * under the producer lock can only grow meanwhile (a consumer drains, no other producer adds). A veth
 * end (a peer's RX ring) takes the frames one transmit at a time.
 * Totals in txBurst*.
 */
export function transmitBurst(q: u32, dev: u32, qi: u32, buf: u32, n: u32): void {
  txRun(q, dev, qi, buf, n, 8, false);
}

/**
 * transmitBurst of the frames of `n` burst records at `recs` (napi.ts: a burst the program redirected
 * whole to `dev`), read from the records themselves (data, data_end) instead of a copy of each.
 */
export function transmitRecords(q: u32, dev: u32, qi: u32, recs: u32, n: u32): void {
  txRun(q, dev, qi, recs + 4, n, BURST_RECORD_SIZE, true);
}

/**
 * transmitBurst's work on `n` frames `stride` bytes apart from `at`: u32 data, then the u32 length, or
 * with `ends` the u32 address the frame ends at (a burst record's data_end).
 */
@inline function txRun(q: u32, dev: u32, qi: u32, at: u32, n: u32, stride: u32, ends: bool): void {
  txBurstSent = 0;
  txBurstBytes = 0;
  txBurstDropped = 0;
  // the shared build's poll bulks what else it transmits (xmit): what they hold was sent first
  if (ASC_FEATURE_THREADS && load<u32>(txb) != 0) txBulkFlushAll();
  if (load<u32>(dev, DEV_PEER) != 0) {
    for (let i: u32 = 0; i < n; i++) {
      const addr = load<u32>(at + i * stride);
      const len = ends ? load<u32>(at + i * stride, 4) - addr : load<u32>(at + i * stride, 4);
      if (transmit(q, dev, qi, addr, len, 0)) {
        txBurstSent++;
        txBurstBytes += len;
      } else txBurstDropped++;
    }
    return;
  }
  const nq = load<u32>(dev, DEV_NQUEUES);
  const tq = devQueue(dev, qi < nq ? qi : qi % nq);
  const most = load<u32>(dev, DEV_MTU) + ETH_HLEN + VLAN_HLEN;
  const ring = load<u32>(tq, Q_TX);
  ringProducerLock(ring);
  const p = load<u32>(ring, RING_PRODUCER);
  const room = load<u32>(ring, RING_MASK) + 1 - (p - ringConsumerAcquire(ring));
  const ents = load<u32>(ring, RING_ENTRIES);
  const mask = load<u32>(ring, RING_MASK);
  let k: u32 = 0;
  let bytes: u64 = 0;
  let full: u32 = 0;
  // Not done: a first loop over the frames the ring has room for, up to the first too big, with no
  // recycle inlined in it (its descriptor one u64 store of len | opts 0), this loop for the rest: the
  // loop below spills (perf annotate, 12-07) but that measured the same (12-07, in-process toggle,
  // alternated 1-s rounds, load 5-7: xdp router 10k 97.2 -> 100.6 ns (3/8 faster), 100.5 -> 96.1
  // (6/10); xdp_lb 108.8 -> 115.3 (6/10)). Nor the descriptor's length and options as one u64 store
  // (perf put a third of transmitRecords' samples on these stores): xdp router 1M, -0.06 ns a round
  // (11/20 rounds faster; 12-07, spr57, in-process toggle, load 21-25; more in napi.ts's profile note).
  for (let i: u32 = 0; i < n; i++) {
    const addr = load<u32>(at + i * stride);
    const len = ends ? load<u32>(at + i * stride, 4) - addr : load<u32>(at + i * stride, 4);
    if (len > most) {
      recycle(q, addr);
      countDrop(q, DROP_PKT_TOO_BIG);
      txBurstDropped++;
    } else if (k < room) {
      const e = ents + ((p + k) & mask) * DESC_SIZE;
      store<u64>(e, <u64>addr);
      store<u32>(e, len, 8);
      store<u32>(e, 0, 12);
      k++;
      bytes += len;
    } else {
      recycle(q, addr);
      full++;
    }
  }
  if (k != 0) {
    ringProducerRelease(ring, p + k);
    count(tq, QSTAT_TX_PACKETS, k);
    count(tq, QSTAT_TX_BYTES, bytes);
  }
  if (full != 0) count(tq, QSTAT_DROP_BASE + DROP_TX_RING_FULL, full);
  ringProducerUnlock(ring);
  txBurstSent = k;
  txBurstBytes = bytes;
  txBurstDropped += full;
}

// ---- transmit in bulk: the shared build's NAPI polls ----
//
// As the kernel's per-CPU bulk queues (devmap.c bq_enqueue, flushed by xdp_do_flush at the end of the
// NAPI poll; a driver's XDP_TX bulk, veth_xdp_flush_bq): while a worker polls (txBulkBegin .. txBulkEnd)
// the frames it transmits are queued per target TX queue, TXB_SIZE at most (DEV_MAP_BULK_SIZE), and a
// bulk goes onto its ring under one hold of the ring's producer lock with one producer store: when it
// is full, when its slot is needed for another target (TXB_TARGETS kept), and when the poll ends. The
// ring's room is known only then: the frames it cannot take are dropped there, counted on the ring's
// queue (bq_xmit_all: drops = cnt - sent, the frames freed by the bulk's owner). The stack's frames
// carry their device's counters (tx_packets, tx_bytes, tx_dropped), counted as the bulk goes out.
// The unshared build (one thread, no lock to save) and polls with the bulk tracepoints on (the tallies
// report each frame as it reaches a ring) transmit at once.
//
// Per instance: the main thread's bulks are a static, a worker's lie in its own area (worker_init).
//   +0  u32 targets in use, then TXB_TARGETS targets of TXB_TARGET bytes:
//   target  +0 TX queue | +4 ring | +8 the ring's queue | +12 frames | +16 device | +20 full reason
//           +24 netdev record of the stack's frames (0: none) | +32 TXB_SIZE × { addr, len, opts, q }
// A frame's opts: the descriptor's options, TXO_STACK set when the stack sent it (its netdev counts it).
const TXB_SIZE: u32 = 16;
const TXB_TARGETS: u32 = 8;
const TXB_TARGET: u32 = 32 + TXB_SIZE * 16;
export const TXB_BYTES: u32 = 64 + TXB_TARGETS * TXB_TARGET;
const TXO_STACK: u32 = 0x80000000;
let txb: u32 = <u32>memory.data(TXB_BYTES, 64);
/** A poll is under way on this instance (polls do not nest: napi_poll and cpumap_poll run one after the other). */
let txbOn: bool = false;

/** worker_init: this instance's bulks move to `a` (TXB_BYTES of its own area). */
export function devTxBulkSet(a: u32): void {
  txb = a;
}

/** Whether a transmit now goes into this instance's bulks (a poll of the shared build is under way). */
@inline export function txBulkOn(): bool {
  return ASC_FEATURE_THREADS && txbOn && !tpBulkOn();
}

/** A poll starts: transmits are queued until it ends. */
@inline export function txBulkBegin(): void {
  if (ASC_FEATURE_THREADS) txbOn = true;
}

/**
 * A poll ends: every bulk goes out (xdp_do_flush). (A poll a trap cut short leaves its bulks: the next
 * poll's end sends them.)
 */
@inline export function txBulkEnd(): void {
  if (ASC_FEATURE_THREADS) {
    txbOn = false;
    if (load<u32>(txb) != 0) txBulkFlushAll();
  }
}

/**
 * transmit, into this instance's bulk when txBulkOn (the frame's fate is known when the bulk goes out:
 * true here means queued), else at once. `nd`: the stack's netdev record that counts the frame (0: none).
 * False when it was dropped here (as transmit: counted, recycled); the stack counts that one itself.
 */
export function xmit(q: u32, dev: u32, qi: u32, addr: u32, len: u32, options: u32, nd: u32): bool {
  if (!txBulkOn()) return transmit(q, dev, qi, addr, len, options);
  if (!txResolve(q, dev, qi, addr, len, options)) return false;
  const n = load<u32>(txb);
  let t: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const x = txb + 64 + i * TXB_TARGET;
    if (load<u32>(x) == txQ) {
      t = x;
      break;
    }
  }
  if (t == 0) {
    if (n == TXB_TARGETS) {
      // more targets in one poll than kept: the oldest bulk goes out now, the others move up
      txBulkFlush(txb + 64);
      memory.copy(txb + 64, txb + 64 + TXB_TARGET, (TXB_TARGETS - 1) * TXB_TARGET);
      t = txb + 64 + (TXB_TARGETS - 1) * TXB_TARGET;
    } else {
      t = txb + 64 + n * TXB_TARGET;
      store<u32>(txb, n + 1);
    }
    store<u32>(t, txQ);
    store<u32>(t, txRing, 4);
    store<u32>(t, txRingQ, 8);
    store<u32>(t, 0, 12);
    store<u32>(t, dev, 16);
    store<u32>(t, txFull, 20);
    store<u32>(t, 0, 24);
  } else if (load<u32>(t, 12) == TXB_SIZE) {
    // bq_enqueue: a full bulk goes out before the next frame joins
    txBulkFlush(t);
  }
  const k = load<u32>(t, 12);
  const e = t + 32 + (k << 4);
  store<u32>(e, addr);
  store<u32>(e, len, 4);
  store<u32>(e, nd != 0 ? txOpts | TXO_STACK : txOpts, 8);
  store<u32>(e, q, 12);
  if (nd != 0) store<u32>(t, nd, 24);
  store<u32>(t, k + 1, 12);
  return true;
}

/** Every bulk of this instance onto its ring. */
function txBulkFlushAll(): void {
  const n = load<u32>(txb);
  for (let i: u32 = 0; i < n; i++) txBulkFlush(txb + 64 + i * TXB_TARGET);
  store<u32>(txb, 0);
}

/**
 * Bulk `t` onto its ring: as many frames as it has room for, in order, under one hold of the producer
 * lock, published with one store; the TX queue's counters in one add each. The rest are dropped
 * (counted on the ring's queue, recycled to the queue each came from). The bulk is empty after.
 */
function txBulkFlush(t: u32): void {
  const n = load<u32>(t, 12);
  if (n == 0) return;
  store<u32>(t, 0, 12);
  const tq = load<u32>(t);
  const ring = load<u32>(t, 4);
  const ringQ = load<u32>(t, 8);
  const dev = load<u32>(t, 16);
  const reason = load<u32>(t, 20);
  const own = load<u32>(tq, Q_TX);
  let k: u32 = 0;
  let bytes: u64 = 0;
  let stackSent: u32 = 0;
  let stackBytes: u64 = 0;
  // the device left the table while the frames waited (the control plane destroyed it): none are sent
  const live = devLookup(load<u32>(dev, DEV_IFINDEX)) == dev;
  ringProducerLock(ring);
  if (live) {
    const p = load<u32>(ring, RING_PRODUCER);
    k = min(n, load<u32>(ring, RING_MASK) + 1 - (p - ringConsumerAcquire(ring)));
    for (let i: u32 = 0; i < k; i++) {
      const f = t + 32 + (i << 4);
      const len = load<u32>(f, 4);
      const opts = load<u32>(f, 8);
      const d = ringEntry(ring, p + i);
      store<u64>(d, <u64>load<u32>(f));
      store<u32>(d, len, 8);
      store<u32>(d, opts & ~TXO_STACK, 12);
      bytes += len;
      if ((opts & TXO_STACK) != 0) {
        stackSent++;
        stackBytes += len;
      }
    }
    if (k != 0) ringProducerRelease(ring, p + k);
  }
  const drops = n - k;
  const why = live ? reason : DROP_REDIRECT_NO_DEVICE;
  if (ring == own) {
    if (k != 0) {
      count(tq, QSTAT_TX_PACKETS, k);
      count(tq, QSTAT_TX_BYTES, bytes);
    }
    if (drops != 0) count(tq, QSTAT_DROP_BASE + why, drops);
    ringProducerUnlock(ring);
  } else {
    ringProducerUnlock(ring);
    if (drops != 0) countShared(ringQ, QSTAT_DROP_BASE + why, drops);
    if (k != 0) {
      ringProducerLock(own);
      count(tq, QSTAT_TX_PACKETS, k);
      count(tq, QSTAT_TX_BYTES, bytes);
      ringProducerUnlock(own);
    }
  }
  let stackDropped: u32 = 0;
  for (let i = k; i < n; i++) {
    const f = t + 32 + (i << 4);
    if ((load<u32>(f, 8) & TXO_STACK) != 0) stackDropped++;
    recycle(load<u32>(f, 12), load<u32>(f));
  }
  const nd = load<u32>(t, 24);
  if (nd != 0) {
    if (stackSent != 0) {
      ndStat(nd, NDSTAT_TX_PACKETS, stackSent);
      ndStat(nd, NDSTAT_TX_BYTES, stackBytes);
    }
    if (stackDropped != 0) ndStat(nd, NDSTAT_TX_DROPPED, stackDropped);
  }
}

/**
 * The NIC sent `n` frames from queue `qi`'s TX ring (TypeScript read them): they move to the completion
 * ring; the next poll of the queue recycles them.
 */
export function dev_tx_done(dev: u32, qi: u32, n: u32): void {
  const q = devQueue(dev, qi);
  const tx = load<u32>(q, Q_TX);
  const comp = load<u32>(q, Q_COMP);
  let c = load<u32>(tx, RING_CONSUMER);
  const avail = ringProducerAcquire(tx) - c;
  if (n > avail) n = avail;
  if (n == 0) return;
  // in bulk: the completion entries written, then its producer index published once
  const cp = load<u32>(comp, RING_PRODUCER);
  const k = min(n, load<u32>(comp, RING_MASK) + 1 - (cp - ringConsumerAcquire(comp)));
  // (the rings' geometry read once: ringEntry per entry re-reads it after every store)
  const ce = load<u32>(comp, RING_ENTRIES);
  const cm = load<u32>(comp, RING_MASK);
  const te = load<u32>(tx, RING_ENTRIES);
  const tm = load<u32>(tx, RING_MASK);
  for (let i: u32 = 0; i < k; i++) store<u64>(ce + (((cp + i) & cm) << 3), <u64>(<u32>load<u64>(te + ((c + i) & tm) * DESC_SIZE) & ~(FRAME_SIZE - 1)));
  framesFreeFrom(tx, c + k, n - k);
  if (k != 0) ringProducerRelease(comp, cp + k);
  ringConsumerRelease(tx, c + n);
}

/** The host took `n` frames from the device's host ring: their frames go back to the pool. */
export function dev_host_done(dev: u32, n: u32): void {
  const r = load<u32>(dev, DEV_HOST_RING);
  const c = load<u32>(r, RING_CONSUMER);
  const avail = ringProducerAcquire(r) - c;
  if (n > avail) n = avail;
  if (n == 0) return; // nothing to publish: the shared build's release store is a full barrier
  framesFreeFrom(r, c, n);
  ringConsumerRelease(r, c + n);
}

/**
 * The NIC receives `n` frames of `len` bytes on queue `qi` without copying: fill-ring frames are posted
 * as they are (their bytes are whatever the frame last held). For measuring the poll loop alone:
 * inject a frame once, let the program drop it, then replay. Returns how many were posted.
 */
export function dev_rx_replay(dev: u32, qi: u32, len: u32, n: u32): u32 {
  return rxPost(dev, qi, len, n, 0);
}

/**
 * The NIC receives `n` frames on queue `qi`, each fill-ring frame written by packet generator `g` first
 * (assembly/pktgen.ts), as a NIC receiving pktgen's traffic: no copy, no JavaScript per packet.
 */
export function dev_rx_generate(dev: u32, qi: u32, g: u32, n: u32): u32 {
  return rxPost(dev, qi, 0, n, g);
}

/** Where the generator leaves a frame's length: a static on the main thread, the worker's own area on a worker. */
let GEN_LEN: u32 = <u32>memory.data(4);

/** worker_init: this instance's generator length slot moves to `a` (4 bytes of its own area). */
export function devGenLenSet(a: u32): void {
  GEN_LEN = a;
}

/** Post up to `n` fill-ring frames on the RX ring: `len` bytes as they are, or generated by `g` (≠ 0). */
function rxPost(dev: u32, qi: u32, len: u32, n: u32, g: u32): u32 {
  const q = devQueue(dev, qi);
  const fill = load<u32>(q, Q_FILL);
  const rx = load<u32>(q, Q_RX);
  // a batch, as a NIC posts a burst: the entries first, then each index published once
  const fc = load<u32>(fill, RING_CONSUMER);
  const rp = load<u32>(rx, RING_PRODUCER);
  const k = min(n, min(ringFree(rx), ringProducerAcquire(fill) - fc));
  // the rings' geometry read once (ringEntry reads it again for every entry): fill entries are u64
  // addresses, RX entries descriptors
  const fe = load<u32>(fill, RING_ENTRIES);
  const fm = load<u32>(fill, RING_MASK);
  const re = load<u32>(rx, RING_ENTRIES);
  const rm = load<u32>(rx, RING_MASK);
  for (let i: u32 = 0; i < k; i++) {
    const data = <u32>load<u64>(fe + (((fc + i) & fm) << 3)) + XDP_PACKET_HEADROOM;
    if (g) {
      pg_fill_strided(g, data, 0, <u32>GEN_LEN, 1);
      len = load<u32>(GEN_LEN);
    }
    const e = re + ((rp + i) & rm) * DESC_SIZE;
    store<u64>(e, <u64>data);
    store<u64>(e, <u64>len, 8); // len, options 0
  }
  if (k != 0) {
    ringConsumerRelease(fill, fc + k);
    ringProducerRelease(rx, rp + k);
  }
  return k;
}
