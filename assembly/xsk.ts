// AF_XDP-style sockets (net/xdp/xsk.c in copy mode): each has its own UMEM of XSK_FRAME_SIZE chunks
// and four rings whose addresses are offsets into that UMEM. User space (TypeScript) gives chunks on
// the fill ring, reads received descriptors on the RX ring, posts frames to send on the TX ring and
// takes sent chunks back from the completion ring.
//
//   socket  +0 ifindex | +4 queue | +8 UMEM address | +12 UMEM bytes | +16 fill | +20 rx | +24 tx
//           +28 completion | +32 u64 rx dropped | ... XSK_HEADER_SIZE
//
// Reads: DP_XSKS, the device queue the socket is bound to. Sets: the socket's rings. A socket whose
// device went away has ifindex 0 (unbound: xsk_unbind_device).
// Entered from napi.ts (an xskmap redirect) and from TypeScript (xsk_tx: sendto()).

import {
  DESC_SIZE, DP_XSKS, DROP_XSK_INVALID, DROP_XSK_NO_BUFFER, DROP_XSK_RX_FULL, MAX_XSKS, Q_XSK, XSK_COMP, XSK_FILL,
  XSK_FRAME_SIZE, XSK_HEADER_SIZE, XSK_IFINDEX, XSK_QUEUE, XSK_RX, XSK_RX_DROPPED, XSK_TX, XSK_UMEM, XSK_UMEM_SIZE,
  DEV_NQUEUES, XDP_PACKET_HEADROOM, RING_CONSUMER, RING_PRODUCER,
} from './abi';
import { copyBytes } from './bytes';
import { countDrop, devLookup, devQueue, transmit, recycle } from './device';
import { arena_alloc } from './maps/arena';
import { ring_create, ringEntry, ringFree, ringPopAddr, ringPushAddr, ringPushDesc, ringProducerAcquire, ringConsumerAcquire, ringConsumerRelease } from './ring';
import { frameAlloc } from './umem';

/**
 * A socket with `frames` chunks and rings of `ringSize`, bound to device `ifindex` queue `queue`, at
 * socket id `id` (what an xskmap slot holds). Returns its address, or -22 / -12 / -16 (EBUSY: the
 * queue has a socket already).
 */
export function xsk_create(id: u32, ifindex: u32, queue: u32, frames: u32, ringSize: u32): i32 {
  if (id >= MAX_XSKS || load<u32>(DP_XSKS + (id << 2)) != 0) return -22;
  const dev = devLookup(ifindex);
  if (dev == 0 || queue >= load<u32>(dev, DEV_NQUEUES)) return -22;
  const q = devQueue(dev, queue);
  if (load<u32>(q, Q_XSK) != 0) return -16;
  const s = arena_alloc(XSK_HEADER_SIZE, 64);
  const umem = arena_alloc(frames * XSK_FRAME_SIZE, XSK_FRAME_SIZE);
  const fill = ring_create(ringSize, 8);
  const rx = ring_create(ringSize, DESC_SIZE);
  const tx = ring_create(ringSize, DESC_SIZE);
  const comp = ring_create(ringSize, 8);
  if (s == 0 || umem == 0 || fill == 0 || rx == 0 || tx == 0 || comp == 0) return -12;
  store<u32>(s, ifindex, XSK_IFINDEX);
  store<u32>(s, queue, XSK_QUEUE);
  store<u32>(s, umem, XSK_UMEM);
  store<u32>(s, frames * XSK_FRAME_SIZE, XSK_UMEM_SIZE);
  store<u32>(s, fill, XSK_FILL);
  store<u32>(s, rx, XSK_RX);
  store<u32>(s, tx, XSK_TX);
  store<u32>(s, comp, XSK_COMP);
  store<u32>(q, id + 1, Q_XSK);
  store<u32>(DP_XSKS + (id << 2), s);
  return <i32>s;
}

/** Unbind and forget socket `id` (its memory stays in the arena). */
export function xsk_close(id: u32): void {
  if (id >= MAX_XSKS) return;
  const s = load<u32>(DP_XSKS + (id << 2));
  if (s == 0) return;
  const dev = devLookup(load<u32>(s, XSK_IFINDEX));
  if (dev != 0) store<u32>(devQueue(dev, load<u32>(s, XSK_QUEUE)), 0, Q_XSK);
  store<u32>(DP_XSKS + (id << 2), 0);
}

/**
 * The device `ifindex` is going away (xsk_notifier, NETDEV_UNREGISTER): every socket bound to it is
 * unbound for good (ifindex 0: xsk_is_bound false), so a device added later under the same ifindex is not
 * its device — a redirect to it fails (XSK_INVALID), sendto() does nothing (the control plane answers
 * ENXIO) and its close leaves that device's queues alone. With workers, after their round (nothing of the
 * device is polled any more). Returns how many sockets were unbound.
 */
export function xsk_unbind_device(ifindex: u32): u32 {
  if (ifindex == 0) return 0;
  let n: u32 = 0;
  for (let id: u32 = 0; id < MAX_XSKS; id++) {
    const s = load<u32>(DP_XSKS + (id << 2));
    if (s != 0 && load<u32>(s, XSK_IFINDEX) == ifindex) {
      store<u32>(s, 0, XSK_IFINDEX);
      n++;
    }
  }
  return n;
}

/**
 * __xsk_rcv (copy mode): the frame at data/len, redirected through an xskmap slot holding socket `id`,
 * is copied into a chunk from the socket's fill ring. The socket must be bound to the ingress device
 * and queue (else -EINVAL in the kernel). The device frame goes back to its fill ring either way.
 */
export function xskDeliver(q: u32, id: u32, ifindex: u32, queue: u32, data: u32, len: u32): bool {
  const s = id < MAX_XSKS ? load<u32>(DP_XSKS + (id << 2)) : 0;
  if (s == 0 || load<u32>(s, XSK_IFINDEX) != ifindex || load<u32>(s, XSK_QUEUE) != queue) {
    recycle(q, data);
    countDrop(q, DROP_XSK_INVALID);
    return false;
  }
  const rx = load<u32>(s, XSK_RX);
  if (load<u32>(rx, RING_PRODUCER) - ringConsumerAcquire(rx) > load<u32>(rx, 8)) {
    recycle(q, data);
    countDrop(q, DROP_XSK_RX_FULL);
    store<u64>(s, load<u64>(s, XSK_RX_DROPPED) + 1, XSK_RX_DROPPED);
    return false;
  }
  const chunk = ringPopAddr(load<u32>(s, XSK_FILL));
  const umemSize = load<u32>(s, XSK_UMEM_SIZE);
  if (chunk < 0 || <u64>chunk + <u64>len > <u64>umemSize) {
    recycle(q, data);
    countDrop(q, DROP_XSK_NO_BUFFER);
    store<u64>(s, load<u64>(s, XSK_RX_DROPPED) + 1, XSK_RX_DROPPED);
    return false;
  }
  const off = <u32>chunk & ~(XSK_FRAME_SIZE - 1);
  copyBytes(load<u32>(s, XSK_UMEM) + off, data, len);
  ringPushDesc(rx, <u64>off, len, 0);
  recycle(q, data);
  return true;
}

/**
 * sendto() on socket `id`: up to `budget` descriptors from its TX ring are copied into device frames
 * and transmitted on the bound device queue; their chunks go to the completion ring. Returns how many
 * were sent (a descriptor past the UMEM, no free device frame or a full completion ring stops the batch).
 */
export function xsk_tx(id: u32, budget: u32): u32 {
  const s = id < MAX_XSKS ? load<u32>(DP_XSKS + (id << 2)) : 0;
  if (s == 0) return 0;
  const dev = devLookup(load<u32>(s, XSK_IFINDEX));
  if (dev == 0) return 0;
  const qi = load<u32>(s, XSK_QUEUE);
  const q = devQueue(dev, qi);
  const tx = load<u32>(s, XSK_TX);
  const comp = load<u32>(s, XSK_COMP);
  const umem = load<u32>(s, XSK_UMEM);
  const umemSize = load<u32>(s, XSK_UMEM_SIZE);
  let sent: u32 = 0;
  while (sent < budget) {
    const c = load<u32>(tx, RING_CONSUMER);
    // Nothing to send, or no room to report it sent (the chunk would be lost to user space).
    if (ringProducerAcquire(tx) == c || ringFree(comp) == 0) break;
    const e = ringEntry(tx, c);
    const addr = load<u64>(e);
    const len = load<u32>(e, 8);
    if (addr + <u64>len > <u64>umemSize) break;
    const f = frameAlloc();
    if (f == 0) break;
    const data = f + XDP_PACKET_HEADROOM;
    copyBytes(data, umem + <u32>addr, len);
    ringConsumerRelease(tx, c + 1);
    ringPushAddr(comp, addr);
    transmit(q, dev, qi, data, len, 0);
    sent++;
  }
  return sent;
}
