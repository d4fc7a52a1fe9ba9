// perf_event_array, bpf_perf_event_output and PerfBuffer (libbpf's perf_buffer). Expected bytes are
// derived from the kernel's sources: bpf_xdp_event_output (flags: index | BPF_F_CTXLEN_MASK frame
// bytes; -EINVAL for other bits, -EFAULT past the frame), __bpf_perf_event_output (-E2BIG past
// max_entries, -ENOENT with no event, -EOPNOTSUPP for another CPU's event), perf_sample_save_raw_data
// (raw size padded so that 4 + size is a multiple of 8), perf_output_begin (CIRC_SPACE, -ENOSPC and a
// PERF_RECORD_LOST before the next record that fits). The first test compares a sample with the one the
// kernel writes for the same object and frame (bpftool map event_pipe), where the kernel can be used.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { createMap, Errno, MapType, PerfBuffer } from '../../src/maps/index.js';
import { CTX_BASE } from '../../src/runtime/memory.js';
import * as oracle from '../../src/oracle/index.js';
import { fresh, haveWasm, Prog, u32le } from './support.js';

const ipv4 = (len: number): Uint8Array => {
  const b = new Uint8Array(len);
  b.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 0], 0);
  for (let i = 14; i < len; i++) b[i] = i & 0xff;
  return b;
};

/** xdp_perf_dump's sample: struct pkt_meta (16 bytes), the first min(len, 96) frame bytes, the pad. */
function dumpSample(frame: Uint8Array, ifindex: number): Uint8Array {
  const cap = Math.min(frame.length, 96);
  const raw = ((16 + cap + 4 + 7) & ~7) - 4;
  const out = new Uint8Array(raw);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, ifindex, true);
  dv.setUint32(4, 0, true);
  dv.setUint16(8, frame.length, true);
  dv.setUint16(10, cap, true);
  dv.setUint32(12, 0x78647064, true);
  out.set(frame.subarray(0, cap), 16);
  return out;
}

async function perfDump(): Promise<{ dp: Datapath; run: (f: Uint8Array) => void; results: () => number[]; map: import('../../src/maps/index.js').BpfMap }> {
  const dp = await Datapath.create({ ncpus: 2 });
  const obj = await dp.loadObject('programs/xdp_perf_dump.o');
  const prog = obj.program('xdp_perf_dump');
  const res = obj.map('perf_results');
  return {
    dp,
    map: obj.map('dump_perf'),
    run: (f) => void prog.testRun({ data: f }),
    results: () => [...res.entries()].map(([, v]) => Number(new DataView(v.buffer).getBigUint64(0, true))),
  };
}

describe.skipIf(!haveWasm)('bpf_perf_event_output and PerfBuffer', () => {
  it('libbpf sizes the map to the CPUs; a sample is the metadata, the frame bytes and the pad', async () => {
    const { map, run, results } = await perfDump();
    expect(map.maxEntries).toBe(2);
    const got: Array<[number, string]> = [];
    const pb = new PerfBuffer(map, { onSample: (cpu, d) => got.push([cpu, Buffer.from(d).toString('hex')]) });
    expect(pb.bufferCount).toBe(2);
    for (const len of [60, 61, 64, 200]) run(ipv4(len));
    expect(pb.consume()).toBe(4);
    expect(got).toEqual([60, 61, 64, 200].map((len) => [0, Buffer.from(dumpSample(ipv4(len), 1)).toString('hex')]));
    // sizes: 16 + 60 → 76, 16 + 61 → 84 (4 + 77 rounds to 88), 16 + 64 → 84, 16 + 96 → 116
    expect(got.map(([, h]) => h.length / 2)).toEqual([76, 84, 84, 116]);
    // per call: written (0), -E2BIG (7), -EFAULT (14), -EINVAL (22)
    expect(results()).toEqual([4, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('a full ring counts lost samples (-ENOSPC) and reports them before the next sample; records wrap', async () => {
    const { map, run, results } = await perfDump();
    const events: string[] = [];
    const pb = new PerfBuffer(map, { pageCount: 1, onSample: (_c, d) => events.push(`s${d.length}:${d[16 + 14]}`), onLost: (cpu, n) => events.push(`lost ${n} on ${cpu}`) });
    // 88-byte records (8 + 4 + 76) in 4096 bytes, one byte always free (CIRC_SPACE): 46 fit.
    for (let i = 0; i < 50; i++) run(ipv4(60));
    expect(results()[28]).toBe(4); // ENOSPC
    expect(pb.consume()).toBe(46);
    run(ipv4(60));
    expect(pb.consume()).toBe(2);
    expect(events.slice(-2)).toEqual(['lost 4 on 0', 's76:14']);
    // Many more rounds: records straddle the ring's end and are read back whole.
    events.length = 0;
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 30; i++) run(ipv4(60 + (i % 5)));
      pb.consume();
    }
    expect(events.length).toBe(300);
    expect(new Set(events)).toEqual(new Set(['s76:14', 's84:14']));
  });

  it('poll() waits for records: 0 after the timeout on empty rings, the count once a sample is there', async () => {
    const { map, run } = await perfDump();
    let n = 0;
    const pb = new PerfBuffer(map, { intervalMs: 5, onSample: () => n++ });
    expect(await pb.poll(20)).toBe(0);
    setTimeout(() => run(ipv4(60)), 10);
    expect(await pb.poll(2000)).toBe(1);
    expect(n).toBe(1);
    pb.close();
    run(ipv4(60));
    expect(await pb.poll(20)).toBe(0);
  });

  it('the helper\'s errors: no event (-ENOENT), another CPU\'s event (-EOPNOTSUPP), index past the map (-E2BIG)', async () => {
    const fp = await fresh({ ncpus: 2, cpu: 0 });
    const m = createMap(fp, { name: 'pe', type: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 });
    const p = new Prog(fp);
    const out = (flags: bigint) => Number(p.call('bpf_perf_event_output', CTX_BASE, m.address, flags, p.place(u32le(7)), 4));
    expect(out(0xffffffffn)).toBe(-Errno.ENOENT);
    new PerfBuffer(m, { onSample: () => {} });
    expect(out(0xffffffffn)).toBe(0);
    expect(out(0n)).toBe(0);
    expect(out(1n)).toBe(-Errno.EOPNOTSUPP);
    expect(out(2n)).toBe(-Errno.E2BIG);
    expect(out(1n << 52n)).toBe(-Errno.EINVAL);
    expect(out(1n << 32n)).toBe(-Errno.EFAULT); // one frame byte asked, the frame is empty
  });

  it('a sample of 0..4 bytes has raw size 4, its record 16 bytes whose last word holds the raw size', async () => {
    // perf_sample_save_raw_data: raw size = round_up(size + 4, 8) - 4, the pad zeroed. A u32 event id is
    // a 16-byte record (header, u32 raw size 4, the id): zeroing the pad's last word must not wipe the
    // raw size (the kernel's event_pipe shows a 4-byte meta as 4 bytes: tests/realworld/perf_frags).
    const fp = await fresh({ ncpus: 1, cpu: 0 });
    const m = createMap(fp, { name: 'pe', type: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    const p = new Prog(fp);
    const got: string[] = [];
    const pb = new PerfBuffer(m, { onSample: (_cpu, d) => got.push(Buffer.from(d).toString('hex')) });
    const meta = Uint8Array.from([0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18, 0x29, 0x3a, 0x4b, 0x5c]);
    const want: string[] = [];
    for (let n = 0; n <= meta.length; n++) {
      expect(Number(p.call('bpf_perf_event_output', CTX_BASE, m.address, 0xffffffffn, p.place(meta.subarray(0, n)), n))).toBe(0);
      const raw = ((n + 4 + 7) & ~7) - 4;
      want.push(Buffer.from(meta.subarray(0, n)).toString('hex') + '00'.repeat(raw - n));
    }
    pb.consume();
    expect(got).toEqual(want);
  });

  it('refuses other maps, page counts that are not powers of two, and syscall lookups (ENOTSUPP)', async () => {
    const fp = await fresh();
    const a = createMap(fp, { name: 'a', type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    expect(() => new PerfBuffer(a, { onSample: () => {} })).toThrow(expect.objectContaining({ code: 'MAP_INVALID', message: expect.stringContaining('is not a perf_event_array') }));
    const m = createMap(fp, { name: 'pe', type: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    expect(() => new PerfBuffer(m, { pageCount: 3, onSample: () => {} })).toThrow(expect.objectContaining({ errno: Errno.EINVAL, message: expect.stringContaining('page count 3') }));
    expect(() => m.lookup(u32le(0))).toThrow(expect.objectContaining({ code: 'MAP_UNSUPPORTED', errno: Errno.ENOTSUPP }));
    // A value that is no perf event (no ring): a bad descriptor.
    expect(() => m.update(u32le(0), u32le(1234))).toThrow(expect.objectContaining({ errno: Errno.EBADF }));
    const pb = new PerfBuffer(m, { onSample: () => {} });
    pb.close();
    expect(() => m.delete(u32le(0))).toThrow(expect.objectContaining({ errno: Errno.ENOENT }));
  });
});

const avail = oracle.kernelAvailability();
const haveTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
describe.skipIf(!haveWasm || !avail.ok || !haveTaskset)(
  `the kernel's sample for the same object and frame${avail.ok ? '' : ` (skipped: ${avail.reason})`}`,
  () => {
    it('bpftool map event_pipe reads the bytes wxdp\'s PerfBuffer reads', async () => {
      const frame = ipv4(61);
      const o = oracle.loadKernelObject(readFileSync('programs/xdp_perf_dump.o'), { pinMaps: true });
      const dir = mkdtempSync(join(tmpdir(), 'wxdp-maps14-perf-'));
      let kernel: number[] | undefined;
      try {
        writeFileSync(join(dir, 'frame'), frame);
        // The reader on CPU 0's event, the run pinned to CPU 0 (BPF_F_CURRENT_CPU).
        const ev = spawn('taskset', ['-c', '0', 'bpftool', '-j', 'map', 'event_pipe', 'pinned', o.map('dump_perf').pinPath, 'cpu', '0', 'index', '0']);
        let out = '';
        ev.stdout.on('data', (d: Buffer) => (out += d.toString()));
        const closed = new Promise((r) => ev.on('close', r));
        await new Promise((r) => setTimeout(r, 500));
        const run = spawnSync('taskset', ['-c', '0', 'bpftool', 'prog', 'run', 'pinned', o.program('xdp_perf_dump').pinPath, 'data_in', join(dir, 'frame')], { encoding: 'utf8', timeout: 10_000 });
        expect(run.stdout).toMatch(/Return value: 2/);
        await new Promise((r) => setTimeout(r, 300));
        ev.kill('SIGINT');
        await Promise.race([closed, new Promise((r) => setTimeout(r, 5000))]);
        ev.kill('SIGKILL');
        const events = JSON.parse(out) as Array<{ type: number; cpu: number; data: number[] }>;
        expect(events.map((e) => [e.type, e.cpu])).toEqual([[9, 0]]);
        kernel = events[0]!.data;
      } finally {
        o.close();
        rmSync(dir, { recursive: true, force: true });
      }
      const { map, run } = await perfDump();
      const ours: number[][] = [];
      const pb = new PerfBuffer(map, { onSample: (_c, d) => ours.push([...d]) });
      run(frame);
      pb.consume();
      expect(ours).toEqual([kernel]);
      expect(kernel).toEqual([...dumpSample(frame, 1)]);
    });
  },
);
