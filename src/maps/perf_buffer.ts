// PerfBuffer: the user-space reader of a BPF_MAP_TYPE_PERF_EVENT_ARRAY, as libbpf's perf_buffer
// (perf_buffer__new / __poll / __consume): one ring per CPU, each put in the map at that CPU's index
// (libbpf opens a PERF_COUNT_SW_BPF_OUTPUT event per CPU and stores its fd there), then records are
// read from data_tail up to data_head and data_tail published, as perf_event_read_simple does.
//
// A record that wraps the ring's end is reassembled, as libbpf copies it into its scratch buffer.
// PERF_RECORD_SAMPLE gives `onSample(cpu, raw)` with the raw data as perf stores it: its size is the
// sample's size padded so that 4 + size is a multiple of 8 (libbpf's sample callback gets the same
// size). PERF_RECORD_LOST gives `onLost(cpu, count)`. The ring layout is in assembly/maps/perf_event.ts.

import { RUN, RUN_BASE } from '../runtime/memory.js';
import { MapError } from './errors.js';
import type { BpfMap } from './map.js';
import { Errno, MAPS_LAYOUT, MapType } from './uapi.js';

const PERF_RECORD_LOST = 2;
const PERF_RECORD_SAMPLE = 9;

export interface PerfBufferOptions {
  /** Data pages per CPU ring (a power of two; libbpf's page_cnt). Default 8. */
  pageCount?: number;
  /** A sample: the CPU whose ring held it and its raw bytes (a copy). */
  onSample: (cpu: number, data: Uint8Array) => void;
  /** PERF_RECORD_LOST: `count` samples of `cpu` found no room. */
  onLost?: (cpu: number, count: number) => void;
  /**
   * CPUs to open rings for (default: the fast path's CPU count, at most the map's max_entries, as
   * libbpf's perf_buffer__new caps it).
   */
  cpus?: number;
  /** How long the async poll sleeps when every ring is empty, in ms. Default 10. */
  intervalMs?: number;
}

interface Ring {
  cpu: number;
  address: number;
  size: number;
}

export class PerfBuffer {
  readonly map: BpfMap;
  readonly pageCount: number;
  private readonly rings: Ring[] = [];
  private readonly onSample: PerfBufferOptions['onSample'];
  private readonly onLost: PerfBufferOptions['onLost'];

  constructor(map: BpfMap, opts: PerfBufferOptions) {
    if (map.type !== MapType.PERF_EVENT_ARRAY) {
      throw new MapError('MAP_INVALID', map.name, 'perf_buffer', Errno.EINVAL, `${map.typeName} is not a perf_event_array`);
    }
    const pages = opts.pageCount ?? 8;
    if (!Number.isInteger(pages) || pages <= 0 || (pages & (pages - 1)) !== 0) {
      throw new MapError('MAP_INVALID', map.name, 'perf_buffer', Errno.EINVAL, `page count ${pages} is not a power of two`);
    }
    this.map = map;
    this.pageCount = pages;
    this.onSample = opts.onSample;
    this.onLost = opts.onLost;
    const fp = map.fp;
    const ncpus = Math.max(1, fp.memory.view().getUint32(RUN_BASE + RUN.NCPUS, true));
    const cpus = Math.min(opts.cpus ?? ncpus, map.maxEntries);
    const create = fp.fn<(cpu: number, pages: number) => number>('perf_ring_create');
    for (let cpu = 0; cpu < cpus; cpu++) {
      const r = create(cpu, pages);
      if (r < 0) throw MapError.from(map.name, 'perf_buffer', r, r === -Errno.ENOMEM ? `a ring of ${pages} pages: ${fp.memory.limitReached()}` : undefined);
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, cpu, true);
      const value = new Uint8Array(4);
      new DataView(value.buffer).setUint32(0, r >>> 0, true);
      map.update(key, value);
      this.rings.push({ cpu, address: r >>> 0, size: pages * MAPS_LAYOUT.PERF_PAGE });
    }
    this.intervalMs = opts.intervalMs ?? 10;
  }

  readonly intervalMs: number;

  /** CPUs with a ring (libbpf's perf_buffer__buffer_cnt). */
  get bufferCount(): number {
    return this.rings.length;
  }

  /** Read every ring (perf_buffer__consume): the number of records handled. */
  consume(): number {
    let n = 0;
    for (const r of this.rings) n += this.consumeRing(r);
    return n;
  }

  /** Read the ring of one CPU (perf_buffer__consume_buffer). */
  consumeBuffer(cpu: number): number {
    const r = this.rings.find((x) => x.cpu === cpu);
    if (!r) throw new MapError('MAP_INVALID', this.map.name, 'perf_buffer', Errno.ENOENT, `no ring for CPU ${cpu}`);
    return this.consumeRing(r);
  }

  private consumeRing(r: Ring): number {
    const mem = this.map.fp.memory.bytes();
    const dv = new DataView(mem.buffer);
    const u64 = (a: number) => dv.getUint32(a, true) + dv.getUint32(a + 4, true) * 2 ** 32;
    const head = u64(r.address + MAPS_LAYOUT.PERF_DATA_HEAD);
    let tail = u64(r.address + MAPS_LAYOUT.PERF_DATA_TAIL);
    const data = r.address + MAPS_LAYOUT.PERF_PAGE;
    const mask = r.size - 1;
    // Bytes at ring position `pos`, reassembled across the end.
    const read = (pos: number, len: number): Uint8Array => {
      const at = pos & mask;
      if (at + len <= r.size) return mem.slice(data + at, data + at + len);
      const out = new Uint8Array(len);
      out.set(mem.subarray(data + at, data + r.size));
      out.set(mem.subarray(data, data + len - (r.size - at)), r.size - at);
      return out;
    };
    let n = 0;
    while (tail < head) {
      const hdr = read(tail, 8);
      const h = new DataView(hdr.buffer);
      const type = h.getUint32(0, true);
      const size = h.getUint16(6, true);
      if (size < 8) break;
      const rec = read(tail, size);
      const rv = new DataView(rec.buffer);
      if (type === PERF_RECORD_SAMPLE) {
        const raw = rv.getUint32(8, true);
        this.onSample(r.cpu, rec.slice(12, 12 + raw));
      } else if (type === PERF_RECORD_LOST) {
        this.onLost?.(r.cpu, Number(rv.getBigUint64(16, true)));
      }
      tail += size;
      n++;
    }
    dv.setUint32(r.address + MAPS_LAYOUT.PERF_DATA_TAIL, tail % 2 ** 32, true);
    dv.setUint32(r.address + MAPS_LAYOUT.PERF_DATA_TAIL + 4, Math.floor(tail / 2 ** 32), true);
    return n;
  }

  private closed = false;

  /**
   * Wait up to `timeoutMs` for records and handle them (perf_buffer__poll without epoll: the rings are
   * checked every intervalMs). Resolves to the records handled.
   */
  async poll(timeoutMs: number): Promise<number> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const n = this.consume();
      if (n > 0 || this.closed || Date.now() >= end) return n;
      await new Promise((res) => setTimeout(res, Math.min(this.intervalMs, Math.max(0, end - Date.now()))));
    }
  }

  /** Take the rings out of the map (perf_buffer__free). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const r of this.rings) {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, r.cpu, true);
      try {
        this.map.delete(key);
      } catch {
        // another reader replaced it already
      }
    }
  }
}
