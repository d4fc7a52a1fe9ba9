// RingBufReader: the user-space consumer of a BPF_MAP_TYPE_RINGBUF, as libbpf's ring_buffer__consume
// (ringbuf_process_ring): read records from the consumer position up to the producer position, skip
// discarded ones, stop at one still being written (BUSY), and publish the new consumer position after
// each record so producers can reuse the space. The layout is drawn in assembly/maps/ringbuf.ts; a
// record is read contiguously (the ring's mirror makes a record that wraps contiguous).

import { MAP_HDR } from '../runtime/memory.js';
import type { BpfMap } from './map.js';
import { MapError } from './errors.js';
import { BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, BPF_RINGBUF_HDR_SZ, Errno, MAPS_LAYOUT, MapType } from './uapi.js';

export interface RingBufReaderOptions {
  /** How long the async iterator sleeps when the ring is empty, in ms. Default 10. */
  intervalMs?: number;
}

/** libbpf's roundup_len(): the record's footprint in the ring (header + sample, 8-aligned). */
function footprint(len: number): number {
  const l = (len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT)) >>> 0;
  return (l + BPF_RINGBUF_HDR_SZ + 7) & ~7;
}

export class RingBufReader implements AsyncIterable<Uint8Array> {
  readonly map: BpfMap;
  readonly intervalMs: number;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(map: BpfMap, opts: RingBufReaderOptions = {}) {
    if (map.type !== MapType.RINGBUF) {
      throw new MapError('MAP_INVALID', map.name, 'ringbuf_reader', Errno.EINVAL, `${map.typeName} is not a ring buffer`);
    }
    this.map = map;
    this.intervalMs = opts.intervalMs ?? 10;
  }

  private get dv(): DataView {
    return this.map.fp.memory.view();
  }

  private readPos(dv: DataView, off: number): number {
    const a = this.map.address + off;
    return dv.getUint32(a, true) + dv.getUint32(a + 4, true) * 2 ** 32;
  }

  /** Bytes produced and not consumed yet (BPF_RB_AVAIL_DATA). */
  available(): number {
    const dv = this.dv;
    return this.readPos(dv, MAPS_LAYOUT.RB_PRODUCER_POS) - this.readPos(dv, MAPS_LAYOUT.RB_CONSUMER_POS);
  }

  /** The ring's data size (BPF_RB_RING_SIZE). */
  get ringSize(): number {
    return this.map.maxEntries;
  }

  /**
   * Consume up to `limit` committed records, calling `cb` with each sample: a view into the ring,
   * valid only during the call (copy it to keep it). Returns the number of records passed to `cb`, or
   * the negative number `cb` returned to stop (the consumer position has moved past that record, as
   * libbpf does).
   */
  poll(cb: (record: Uint8Array) => void | number, limit = Infinity): number {
    const m = this.map;
    const mask = m.maxEntries - 1;
    let count = 0;
    let dv = this.dv;
    const data = dv.getUint32(m.address + MAP_HDR.DATA, true);
    let cons = this.readPos(dv, MAPS_LAYOUT.RB_CONSUMER_POS);
    for (;;) {
      let progress = false;
      const prod = this.readPos(dv, MAPS_LAYOUT.RB_PRODUCER_POS);
      while (cons < prod) {
        const hdr = data + (cons % (mask + 1));
        const len = dv.getUint32(hdr, true);
        // Not committed yet: everything after it waits too.
        if (len & BPF_RINGBUF_BUSY_BIT) return count;
        progress = true;
        cons += footprint(len);
        let stop: number | undefined;
        if ((len & BPF_RINGBUF_DISCARD_BIT) === 0) {
          const start = hdr + BPF_RINGBUF_HDR_SZ;
          const r = cb(new Uint8Array(dv.buffer, start, len));
          if (typeof r === 'number' && r < 0) stop = r;
          else count++;
        }
        dv = this.dv;
        this.writeConsumer(dv, cons);
        if (stop !== undefined) return stop;
        if (count >= limit) return count;
      }
      if (!progress) return count;
    }
  }

  private writeConsumer(dv: DataView, pos: number): void {
    const a = this.map.address + MAPS_LAYOUT.RB_CONSUMER_POS;
    dv.setUint32(a, pos % 2 ** 32, true);
    dv.setUint32(a + 4, Math.floor(pos / 2 ** 32), true);
  }

  /** Records as they arrive (copies), polling every intervalMs while the ring is empty, until close(). */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    while (!this.closed) {
      let rec: Uint8Array | undefined;
      this.poll((r) => {
        rec = r.slice();
      }, 1);
      if (rec) {
        yield rec;
        continue;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, this.intervalMs);
      });
      this.timer = undefined;
      this.wake = undefined;
    }
  }

  /** End the async iteration (a pending wait ends at once). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
  }
}
