// BPF_MAP_TYPE_RINGBUF (kernel/bpf/ringbuf.c) and its consumer (libbpf ringbuf.c,
// ringbuf_process_ring): records carry the kernel's 8-byte header (len with BUSY bit 31 and DISCARD
// bit 30, pg_off), __bpf_ringbuf_reserve keeps the producer at most ring size - 1 bytes ahead of the
// consumer and of the oldest uncommitted record, bpf_ringbuf_output fails with EAGAIN when full,
// bpf_ringbuf_query reports AVAIL_DATA / RING_SIZE / CONS_POS / PROD_POS. The consumer skips
// discarded records and stops at a busy one.

import { describe, expect, it } from 'vitest';
import {
  BPF_RB_AVAIL_DATA, BPF_RB_CONS_POS, BPF_RB_PROD_POS, BPF_RB_RING_SIZE, BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT,
  createMap, Errno, MAPS_LAYOUT, MapType, RingBufReader,
} from '../../src/maps/index.js';
import { fresh, haveWasm, Prog, rdU32, u32le } from './support.js';

async function ring(size = 4096) {
  const fp = await fresh();
  const m = createMap(fp, { name: 'rb', type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: size });
  const p = new Prog(fp);
  const reserve = (n: number, flags = 0) => Number(p.call('bpf_ringbuf_reserve', m.address, n, flags));
  const submit = (s: number) => p.call('bpf_ringbuf_submit', s, 0);
  const discard = (s: number) => p.call('bpf_ringbuf_discard', s, 0);
  const query = (f: number) => Number(p.call('bpf_ringbuf_query', m.address, f));
  const output = (data: Uint8Array, flags = 0) => Number(p.call('bpf_ringbuf_output', m.address, p.place(data), data.length, flags));
  const write = (at: number, data: Uint8Array) => fp.memory.bytes().set(data, at);
  const reader = new RingBufReader(m);
  const drain = () => {
    const out: Uint8Array[] = [];
    reader.poll((r) => {
      out.push(r.slice());
    });
    return out;
  };
  return { fp, m, p, reserve, submit, discard, query, output, write, reader, drain };
}

const pattern = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

describe.skipIf(!haveWasm)('ringbuf map', () => {
  it('reserve, write, submit; the reader gets the sample and moves the consumer position', async () => {
    const { fp, m, reserve, submit, write, query, drain, reader } = await ring();
    const s = reserve(5);
    expect(s).toBe(m.address + MAPS_LAYOUT.RB_DATA_OFFSET + 8);
    const dv = fp.memory.view();
    // The record header while reserved: len | BUSY, then pg_off (pages from the map to the header).
    expect(dv.getUint32(s - 8, true) >>> 0).toBe((5 | BPF_RINGBUF_BUSY_BIT) >>> 0);
    expect(dv.getUint32(s - 4, true)).toBe(1);
    write(s, Uint8Array.of(1, 2, 3, 4, 5));
    expect(drain()).toEqual([]);
    expect(submit(s)).toBe(0n);
    expect(dv.getUint32(s - 8, true)).toBe(5);
    expect(query(BPF_RB_AVAIL_DATA)).toBe(16);
    expect(query(BPF_RB_PROD_POS)).toBe(16);
    expect(query(BPF_RB_CONS_POS)).toBe(0);
    expect(query(BPF_RB_RING_SIZE)).toBe(4096);
    expect(query(99)).toBe(0);
    expect(reader.available()).toBe(16);
    expect(drain()).toEqual([Uint8Array.of(1, 2, 3, 4, 5)]);
    expect(query(BPF_RB_CONS_POS)).toBe(16);
    expect(query(BPF_RB_AVAIL_DATA)).toBe(0);
  });

  it('skips discarded records and stops at one still busy (later committed records wait)', async () => {
    const { reserve, submit, discard, write, drain, fp } = await ring();
    const a = reserve(4);
    const b = reserve(4);
    const c = reserve(4);
    write(a, u32le(1));
    write(b, u32le(2));
    write(c, u32le(3));
    discard(a);
    expect(fp.memory.view().getUint32(a - 8, true)).toBe((4 | BPF_RINGBUF_DISCARD_BIT) >>> 0);
    submit(c);
    // a is skipped, b is busy: c waits behind it.
    expect(drain()).toEqual([]);
    submit(b);
    expect(drain().map((r) => rdU32(r))).toEqual([2, 3]);
  });

  it('bpf_ringbuf_output copies and commits; it fails with EAGAIN when full, EINVAL on bad flags', async () => {
    const { output, drain, reserve, query } = await ring();
    expect(output(pattern(100, 1))).toBe(0);
    expect(output(pattern(10, 2), 4)).toBe(-Errno.EINVAL);
    expect(output(pattern(10, 2), 1 | 2)).toBe(0);
    expect(drain()).toEqual([pattern(100, 1), pattern(10, 2)]);
    // Fill the ring: 3 records of 1352 bytes (1360 with the header) leave 16 bytes.
    for (let i = 0; i < 3; i++) expect(output(pattern(1352, i))).toBe(0);
    expect(query(BPF_RB_AVAIL_DATA)).toBe(3 * 1360);
    expect(output(pattern(16, 9))).toBe(-Errno.EAGAIN);
    // At most ring size - 1 bytes ahead of the consumer: an 8-byte sample (16 with the header) does not fit.
    expect(reserve(8)).toBe(0);
    expect(drain().length).toBe(3);
    expect(output(pattern(16, 9))).toBe(0);
  });

  it('reserve: a non-zero flags argument or a record bigger than the ring gives NULL', async () => {
    const { reserve, submit, drain } = await ring();
    expect(reserve(8, 1)).toBe(0);
    expect(reserve(4096)).toBe(0);
    // The largest record: its 8-byte-rounded length plus header must stay below the ring size.
    expect(reserve(4081)).toBe(0);
    const s = reserve(4080);
    expect(s).not.toBe(0);
    submit(s);
    expect(drain()[0]!.length).toBe(4080);
  });

  it('wraps around: records that straddle the end of the ring arrive intact', async () => {
    const { reserve, submit, write, drain, query, discard } = await ring();
    let seed = 0;
    let total = 0;
    for (let round = 0; round < 60; round++) {
      const sizes = [700, 333, 1200, 4, 999].map((s) => (s + round * 13) % 700 + 1);
      const expected: Uint8Array[] = [];
      for (const [i, n] of sizes.entries()) {
        const s = reserve(n);
        expect(s, `round ${round} record ${i}`).not.toBe(0);
        const data = pattern(n, seed++);
        write(s, data);
        if (i === 1) {
          discard(s);
        } else {
          submit(s);
          expected.push(data);
        }
      }
      const got = drain();
      expect(got).toEqual(expected);
      total += sizes.reduce((a, n) => a + ((n + 15) & ~7), 0);
      expect(query(BPF_RB_CONS_POS)).toBe(total);
    }
    expect(total).toBeGreaterThan(10 * 4096);
  });

  it('a record that wraps is copied back to the start of the ring on submit', async () => {
    const { fp, m, reserve, submit, write, drain } = await ring();
    const data = fp.memory.view().getUint32(m.address + 28, true);
    // Move the positions to 4000: the next record starts 96 bytes before the end.
    const first = reserve(3992);
    submit(first);
    drain();
    const s = reserve(200);
    expect(s - 8 - data).toBe(4000);
    write(s, pattern(200, 3));
    submit(s);
    // Bytes past the ring's end now also sit at its start (what the kernel's double mapping shows).
    const mem = fp.memory.bytes();
    expect(mem.slice(data, data + 200 - 88)).toEqual(pattern(200, 3).slice(88));
    expect(drain()).toEqual([pattern(200, 3)]);
  });

  it('pending records block the space behind them (pending_pos)', async () => {
    const { reserve, submit, output, drain } = await ring();
    const a = reserve(1000);
    expect(output(pattern(1000, 1))).toBe(0);
    expect(output(pattern(1000, 2))).toBe(0);
    expect(output(pattern(1000, 3))).toBe(0);
    // The consumer cannot pass a; a new record would span more than ring size - 1 from it.
    expect(drain()).toEqual([]);
    expect(output(pattern(1000, 4))).toBe(-Errno.EAGAIN);
    submit(a);
    expect(drain().length).toBe(4);
    expect(output(pattern(1000, 4))).toBe(0);
  });

  it('the syscall has no element operations on a ring buffer (ENOTSUPP)', async () => {
    const { m } = await ring();
    const empty = new Uint8Array(0);
    expect(() => m.lookup(empty)).toThrow(expect.objectContaining({ code: 'MAP_UNSUPPORTED', errno: Errno.ENOTSUPP }));
    expect(() => m.update(empty, empty)).toThrow(expect.objectContaining({ errno: Errno.ENOTSUPP }));
    expect(() => m.delete(empty)).toThrow(expect.objectContaining({ errno: Errno.ENOTSUPP }));
    expect(() => m.nextKey(null)).toThrow(expect.objectContaining({ errno: Errno.ENOTSUPP }));
    expect(() => m.clear()).toThrow(expect.objectContaining({ errno: Errno.ENOTSUPP }));
  });

  it('poll(): a callback returning a negative number stops it (after consuming that record); a limit', async () => {
    const { output, reader, query } = await ring();
    for (let i = 0; i < 4; i++) output(u32le(i));
    expect(reader.poll(() => -5)).toBe(-5);
    expect(query(BPF_RB_CONS_POS)).toBe(16);
    const seen: number[] = [];
    expect(reader.poll((r) => void seen.push(rdU32(r)), 2)).toBe(2);
    expect(seen).toEqual([1, 2]);
    expect(reader.poll((r) => void seen.push(rdU32(r)))).toBe(1);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('async iteration yields records as they come, until close()', async () => {
    const { output, m } = await ring();
    const reader = new RingBufReader(m, { intervalMs: 1 });
    output(u32le(1));
    const got: number[] = [];
    const done = (async () => {
      for await (const r of reader) {
        got.push(rdU32(r));
        if (got.length === 3) reader.close();
      }
    })();
    await new Promise((r) => setTimeout(r, 5));
    output(u32le(2));
    output(u32le(3));
    await done;
    expect(got).toEqual([1, 2, 3]);
    // close() while waiting ends the loop at once.
    const idle = new RingBufReader(m, { intervalMs: 60_000 });
    const t0 = Date.now();
    const it = idle[Symbol.asyncIterator]();
    const next = it.next();
    setTimeout(() => idle.close(), 5);
    expect((await next).done).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('a RingBufReader needs a ring buffer', async () => {
    const fp = await fresh();
    const h = createMap(fp, { name: 'h', type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 1 });
    expect(() => new RingBufReader(h)).toThrow(expect.objectContaining({ code: 'MAP_INVALID' }));
  });
});
