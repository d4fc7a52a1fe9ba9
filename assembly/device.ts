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

import { tp_mem_event } from './tracepoints';
import {
  DEV_BLOCK, DEV_HEADER_SIZE, DEV_HOST_RING, DEV_IFINDEX, DEV_MTU, DEV_NQUEUES, DEV_PEER, DP_DEVS, DESC_SIZE, DROP_NO_BUFFER,
  DROP_PKT_TOO_BIG, DROP_PKT_TOO_SMALL, DROP_REDIRECT_LOOP, DROP_RX_RING_FULL, DROP_TX_RING_FULL, FRAME_SIZE,
  FRAME_TAILROOM_RESERVED, MAX_DEVICES, MAX_REDIRECT_HOPS, Q_COMP, Q_FILL, Q_RX, Q_STATS, Q_TX, QSTAT_DROP_BASE,
  QSTAT_TX_BYTES, QSTAT_TX_PACKETS, QUEUE_SIZE, XDP_PACKET_HEADROOM, RING_CONSUMER, RING_PRODUCER, RING_MASK,
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
 * Take `dev` out of the device table and give every frame its rings hold (fill, RX, TX, completion and
 * host rings) back to the pool; its block is retired to reclaim.ts (reused after the grace period the
 * control plane runs with rc_reclaim) when it came from there.
 */
export function dev_destroy(dev: u32): void {
  store<u32>(DP_DEVS + (load<u32>(dev, DEV_IFINDEX) << 2), 0);
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
  for (let i: u32 = 0; i < k; i++) store<u64>(ringEntry(fill, fp + i), <u64>(<u32>load<u64>(ringEntry(comp, cc + i)) & ~(FRAME_SIZE - 1)));
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

@inline export function recycleBatchBegin(q: u32): void {
  if (ASC_FEATURE_THREADS) {
    batchQ = q;
    batchN = 0;
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

/** A frame is done with: back on the queue's fill ring, or the pool when that is full. */
@inline export function recycle(q: u32, addr: u32): void {
  const f = addr & ~(FRAME_SIZE - 1);
  if (ASC_FEATURE_THREADS && q == batchQ) {
    const fill = load<u32>(q, Q_FILL);
    const p = load<u32>(fill, RING_PRODUCER) + batchN;
    if (p - ringConsumerAcquire(fill) > load<u32>(fill, RING_MASK)) {
      frameFree(f);
      return;
    }
    store<u64>(ringEntry(fill, p), <u64>f);
    batchN++;
    return;
  }
  if (!ringPushAddr(load<u32>(q, Q_FILL), <u64>f)) frameFree(f);
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

/**
 * Transmit on `dev` (queue `qi` modulo its queues): onto its TX ring, or a veth peer's RX ring.
 * `q` is the queue the frame is accounted to when dropped. False when dropped (counted; the frame
 * is recycled).
 */
export function transmit(q: u32, dev: u32, qi: u32, addr: u32, len: u32, options: u32): bool {
  const nq = load<u32>(dev, DEV_NQUEUES);
  const tq = devQueue(dev, qi < nq ? qi : qi % nq);
  if (len > load<u32>(dev, DEV_MTU) + ETH_HLEN + VLAN_HLEN) {
    recycle(q, addr);
    countDrop(q, DROP_PKT_TOO_BIG);
    return false;
  }
  // Onto the TX ring, or for a veth the peer's RX ring (one hop more): a full ring is a drop counted
  // on the ring's queue.
  let ring = load<u32>(tq, Q_TX);
  let ringQueue = tq;
  let opts = options & OPT_META_MASK;
  let fullReason = DROP_TX_RING_FULL;
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
    ringQueue = devQueue(pdev, qi < pn ? qi : qi % pn);
    ring = load<u32>(ringQueue, Q_RX);
    opts |= hops << OPT_HOPS_SHIFT;
    fullReason = DROP_RX_RING_FULL;
  }
  // A TX queue's counters are guarded by its TX ring's producer lock, as a driver counts its TX stats
  // under the queue's xmit lock: plain adds while it is held, no atomic on the hot path. (A veth end's
  // frames go onto the peer's RX ring under that ring's lock; its own TX ring's lock guards its counters.)
  const txRing = load<u32>(tq, Q_TX);
  ringProducerLock(ring);
  const ok = ringPushDesc(ring, <u64>addr, len, opts);
  if (ring == txRing) {
    if (ok) {
      count(tq, QSTAT_TX_PACKETS, 1);
      count(tq, QSTAT_TX_BYTES, len);
    } else {
      count(tq, QSTAT_DROP_BASE + fullReason, 1);
    }
    ringProducerUnlock(ring);
  } else {
    ringProducerUnlock(ring);
    if (!ok) countShared(ringQueue, QSTAT_DROP_BASE + fullReason, 1);
    else {
      ringProducerLock(txRing);
      count(tq, QSTAT_TX_PACKETS, 1);
      count(tq, QSTAT_TX_BYTES, len);
      ringProducerUnlock(txRing);
    }
  }
  if (!ok) recycle(q, addr);
  return ok;
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
  for (let i: u32 = 0; i < k; i++) store<u64>(ringEntry(comp, cp + i), <u64>(<u32>load<u64>(ringEntry(tx, c + i)) & ~(FRAME_SIZE - 1)));
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
  for (let i: u32 = 0; i < k; i++) {
    const data = <u32>load<u64>(ringEntry(fill, fc + i)) + XDP_PACKET_HEADROOM;
    if (g) {
      pg_fill_strided(g, data, 0, <u32>GEN_LEN, 1);
      len = load<u32>(GEN_LEN);
    }
    const e = ringEntry(rx, rp + i);
    store<u64>(e, <u64>data);
    store<u32>(e, len, 8);
    store<u32>(e, 0, 12);
  }
  if (k != 0) {
    ringConsumerRelease(fill, fc + k);
    ringProducerRelease(rx, rp + k);
  }
  return k;
}
