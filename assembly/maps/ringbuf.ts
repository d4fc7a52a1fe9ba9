// BPF_MAP_TYPE_RINGBUF (kernel/bpf/ringbuf.c): a multi-record ring of max_entries bytes (a power of
// two, whole pages) with the kernel's 8-byte record header and 64-bit producer / consumer positions.
//
//   map (4096-aligned)
//   +0     header: MAP_* fields, then
//          +32 u64 consumer_pos   advanced by the consumer (TypeScript's RingBufReader)
//          +40 u64 producer_pos   end of the last reserved record
//          +48 u64 pending_pos    oldest record not yet committed (reserve moves it)
//          +56 u32 mask           max_entries - 1
//   +4096  MAP_DATA: ring of max_entries bytes, then a mirror of another max_entries bytes
//
//   record at data + (pos & mask):  u32 len | u32 pg_off | sample, padded to 8
//       len bit 31 BUSY (reserved, not committed), bit 30 DISCARD; pg_off: pages from the map
//       header to the record header, so submit/discard find the map from the sample alone
//       (bpf_ringbuf_restore_from_rec). The kernel counts pg_off from its struct bpf_ringbuf, whose
//       data starts 3 pages in; here data starts 1 page in.
//
// The kernel maps the data pages twice so a record that runs past the end stays contiguous. Wasm
// cannot alias memory, so a record reserved near the end runs on into the mirror, and submit copies
// the part beyond the end back to the start of the ring. A consumer may read a committed record
// contiguously at data + (pos & mask), mirror included: the mirror bytes of a record stay valid
// until it is consumed, because no later record can reach the ring positions they shadow sooner.
//
// Producers on several workers (the shared build): a reservation is made under the map's writer lock
// (map_lock.ts), as the kernel's under rb->spinlock; the record's header is written before the producer
// position that covers it is published, and a commit clears BUSY with one store after the sample's
// bytes (smp_store_release / xchg in the kernel), so the consumer never reads a record being written.

import { MAP_DATA } from '../abi';
import { allocMap } from './arena';
import { BPF_F_NUMA_NODE, EAGAIN, EINVAL, ENOMEM } from './uapi';
import { copyBytes } from '../bytes';
import { mapWriterLock, mapWriterUnlock } from './map_lock';

export const MAPS_RB_CONSUMER_POS: u32 = 32;
export const MAPS_RB_PRODUCER_POS: u32 = 40;
export const MAPS_RB_PENDING_POS: u32 = 48;
export const MAPS_RB_MASK: u32 = 56;
export const MAPS_RB_DATA_OFFSET: u32 = 4096;

const BPF_RINGBUF_BUSY_BIT: u32 = 1 << 31;
const BPF_RINGBUF_DISCARD_BIT: u32 = 1 << 30;
const BPF_RINGBUF_HDR_SZ: u32 = 8;
const RINGBUF_MAX_RECORD_SZ: u64 = 0xffffffff / 4;
const RINGBUF_CREATE_FLAG_MASK: u32 = BPF_F_NUMA_NODE;
const BPF_RB_NO_WAKEUP: u64 = 1;
const BPF_RB_FORCE_WAKEUP: u64 = 2;
const PAGE_SIZE: u32 = 4096;

/** ringbuf_map_alloc(). */
export function ringbufCreate(type: u32, keySize: u32, valueSize: u32, maxEntries: u32, flags: u32, id: u32): i64 {
  if ((flags & ~RINGBUF_CREATE_FLAG_MASK) != 0) return -EINVAL;
  if (keySize != 0 || valueSize != 0 || maxEntries == 0 || (maxEntries & (maxEntries - 1)) != 0 ||
      (maxEntries & (PAGE_SIZE - 1)) != 0) return -EINVAL;
  const m = allocMap(type, keySize, valueSize, maxEntries, flags, id, <u64>maxEntries * 2, PAGE_SIZE);
  if (m == 0) return -ENOMEM;
  store<u32>(m, maxEntries - 1, MAPS_RB_MASK);
  return m;
}

/** __bpf_ringbuf_reserve(): the sample's address, or 0 when it does not fit. */
export function ringbufReserve(m: u32, size: u64): u32 {
  if (size > RINGBUF_MAX_RECORD_SZ) return 0;
  const len = (size + BPF_RINGBUF_HDR_SZ + 7) & ~7;
  const mask = <u64>load<u32>(m, MAPS_RB_MASK);
  if (len > mask + 1) return 0;
  mapWriterLock(m);
  const r = reserve(m, len, size, mask);
  mapWriterUnlock(m);
  return r;
}

function reserve(m: u32, len: u64, size: u64, mask: u64): u32 {
  const data = load<u32>(m, MAP_DATA);
  const consPos = ASC_FEATURE_THREADS ? atomic.load<u64>(m + MAPS_RB_CONSUMER_POS) : load<u64>(m, MAPS_RB_CONSUMER_POS);
  const prodPos = load<u64>(m, MAPS_RB_PRODUCER_POS);
  let pendPos = load<u64>(m, MAPS_RB_PENDING_POS);
  const newProdPos = prodPos + len;

  // Move pending_pos past records committed since.
  while (pendPos < prodPos) {
    const hdrLen = ASC_FEATURE_THREADS ? atomic.load<u32>(data + <u32>(pendPos & mask)) : load<u32>(data + <u32>(pendPos & mask));
    if ((hdrLen & BPF_RINGBUF_BUSY_BIT) != 0) break;
    pendPos += (<u64>(hdrLen & ~BPF_RINGBUF_DISCARD_BIT) + BPF_RINGBUF_HDR_SZ + 7) & ~7;
  }
  store<u64>(m, pendPos, MAPS_RB_PENDING_POS);

  // No more than ring size - 1 bytes ahead of the consumer, nor of the oldest uncommitted record.
  if (newProdPos - consPos > mask || newProdPos - pendPos > mask) return 0;

  const hdr = data + <u32>(prodPos & mask);
  store<u32>(hdr, <u32>size | BPF_RINGBUF_BUSY_BIT);
  store<u32>(hdr, (hdr - m) >> 12, 4);
  if (ASC_FEATURE_THREADS) atomic.store<u64>(m + MAPS_RB_PRODUCER_POS, newProdPos);
  else store<u64>(m, newProdPos, MAPS_RB_PRODUCER_POS);
  return hdr + BPF_RINGBUF_HDR_SZ;
}

/** bpf_ringbuf_commit(): publish (or discard) the record whose sample is at `sample`. */
export function ringbufCommit(sample: u32, discard: bool): void {
  const hdr = sample - BPF_RINGBUF_HDR_SZ;
  const m = (hdr & ~(PAGE_SIZE - 1)) - (load<u32>(hdr, 4) << 12);
  let len = load<u32>(hdr) ^ BPF_RINGBUF_BUSY_BIT;
  if (discard) {
    len |= BPF_RINGBUF_DISCARD_BIT;
  } else {
    // Bring the part past the end of the ring back from the mirror.
    const data = load<u32>(m, MAP_DATA);
    const ringSize = load<u32>(m, MAPS_RB_MASK) + 1;
    const end = <u64>(hdr - data) + BPF_RINGBUF_HDR_SZ + len;
    if (end > ringSize) copyBytes(data, data + ringSize, <u32>(end - ringSize));
  }
  if (ASC_FEATURE_THREADS) atomic.store<u32>(hdr, len);
  else store<u32>(hdr, len);
}

/** bpf_ringbuf_output(): 0, -EINVAL (flags) or -EAGAIN (no room). */
export function ringbufOutput(m: u32, src: u32, size: u64, flags: u64): i32 {
  if ((flags & ~(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) != 0) return -EINVAL;
  const rec = ringbufReserve(m, size);
  if (rec == 0) return -EAGAIN;
  copyBytes(rec, src, <u32>size);
  ringbufCommit(rec, false);
  return 0;
}

/** bpf_ringbuf_query(). */
export function ringbufQuery(m: u32, flags: u64): u64 {
  if (flags == 0) return load<u64>(m, MAPS_RB_PRODUCER_POS) - load<u64>(m, MAPS_RB_CONSUMER_POS); // BPF_RB_AVAIL_DATA
  if (flags == 1) return <u64>load<u32>(m, MAPS_RB_MASK) + 1; // BPF_RB_RING_SIZE
  if (flags == 2) return load<u64>(m, MAPS_RB_CONSUMER_POS); // BPF_RB_CONS_POS
  if (flags == 3) return load<u64>(m, MAPS_RB_PRODUCER_POS); // BPF_RB_PROD_POS
  return 0;
}
