// programs/xdp_pull_data.c: the bpf_xdp_pull_data kfunc (Linux 6.18) on multi-buffer test-run frames
// whose linear part ctx_in.data_end sets, with metadata from ctx_in.data. Every expected value is
// what 6.18.44's BPF_PROG_TEST_RUN gave for the same object and data_in (bpftool prog run with
// ctx_in, 12-06): the kfunc's return, the linear length after it, the byte read at `probe` (written
// back complemented) and ctx_out. The frame is (i * 7 + 3) & 0xff after metadata bytes 0xe0 | (i & 15).

import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { Datapath, TestRunError } from '../../src/control/datapath.js';

const OBJ = fileURLToPath(new URL('../../programs/xdp_pull_data.o', import.meta.url));
const EINVAL = -22;

const frameOf = (meta: number, n: number): Uint8Array => {
  const f = new Uint8Array(meta + n);
  for (let i = 0; i < meta; i++) f[i] = 0xe0 | (i & 15);
  for (let i = 0; i < n; i++) f[meta + i] = (i * 7 + 3) & 0xff;
  return f;
};

/** struct io of the program: pull_len, probe in; ret, linear_before/after, meta_len, buff_len, seen, grow in, grown out. */
const ioIn = (pull: number, probe: number, grow = 0): Uint8Array => {
  const v = new DataView(new ArrayBuffer(40));
  v.setUint32(0, pull, true);
  v.setUint32(4, probe, true);
  for (let o = 8; o < 32; o += 4) v.setUint32(o, 0xdead, true);
  v.setInt32(32, grow, true);
  v.setInt32(36, 0x5555, true);
  return new Uint8Array(v.buffer);
};

// total, meta, linear (ctx_in.data_end - data), pull_len, probe, kfunc return, linear after, byte seen
// (null: XDP_DROP, the pull failed). The selftests' cases (tools/testing/selftests/bpf/prog_tests/
// xdp_pull_data.c) with this machine's sizes — headroom 256 - 40 (xdp_frame), tailroom a page less
// 256 and 320 (skb_shared_info) — and a few more.
const PULLS: [number, number, number, number, number, number, number, number | null][] = [
  [2048, 0, 2048, 2048, 1024, 0, 2048, 3], // linear already
  [2048, 0, 1024, 2048, 1024, 0, 2048, 3], // the whole fragment comes in: linear again
  [9000, 0, 1024, 1025, 1024, 0, 1025, 3], // one byte
  [9000, 0, 1025, 1025, 1024, 0, 1025, 3], // nothing to do
  [9000, 0, 0, 3736, 3735, 0, 3736, 36], // empty linear part: tailroom and all the headroom
  [9000, 216, 1024, 3520, 3519, 0, 3520, 60], // no headroom left by the metadata
  [9000, 0, 3520, 3736, 3735, 0, 3736, 36], // no tailroom: data moves down 216
  [2048, 0, 2048, 2049, 0, EINVAL, 2048, null], // past the frame
  [9000, 216, 3520, 3521, 0, EINVAL, 3520, null],
  [9000, 0, 0, 3737, 0, EINVAL, 0, null],
  [9000, 216, 1024, 3521, 0, EINVAL, 1024, null],
  [9000, 0, 3520, 3737, 0, EINVAL, 3520, null],
  [9000, 0, 100, 9000, 50, EINVAL, 100, null],
  [9000, 0, 100, 9001, 0, EINVAL, 100, null],
  [9000, 0, 100, 5000, 4999, EINVAL, 100, null],
  [5000, 8, 14, 4200, 4100, EINVAL, 14, null],
  [9000, 0, 3520, 0, 10, 0, 3520, 73], // len 0: nothing
  [12000, 0, 3520, 3600, 3599, 0, 3600, 108],
];

// total, linear, pull_len, grow, kfunc return, bpf_xdp_adjust_tail's return, linear after: the last
// fragment's room after a pull took bytes from the first (3388 = 4096 - the 708 bytes of the third
// page of 8900; a page grid that forgot where the first fragment now starts would give 2192).
const GROWS: [number, number, number, number, number, number, number][] = [
  [12000, 3520, 3600, 3808, 0, 0, 3600],
  [12000, 3520, 3600, 3809, 0, EINVAL, 3600],
  [12000, 3520, 7626, 3808, EINVAL, 0, 3520],
  [9000, 3520, 3600, 3288, 0, EINVAL, 3600],
  [9000, 100, 3000, 3288, 0, 0, 3000],
  [9000, 100, 3000, 3388, 0, 0, 3000],
  [9000, 100, 3000, 3389, 0, EINVAL, 3000],
  [9000, 100, 5097, 3389, EINVAL, EINVAL, 100],
  [5000, 3520, 5000, 100, EINVAL, 0, 3520],
];

describe.each(['jit', 'interp'] as const)('bpf_xdp_pull_data (%s)', (engine) => {
  it('pulls, moves the frame down and refuses as 6.18 does', async () => {
    const dp = await Datapath.create();
    const obj = await dp.loadObject(OBJ, { engine });
    const p = obj.program('xdp_pull');
    const io = obj.map('xdp_pull.bss');
    const got = PULLS.map(([total, meta, linear, pull, probe]) => {
      io.update(new Uint8Array(4), ioIn(pull, probe));
      const input = frameOf(meta, total);
      const r = p.testRun({ data: input, ctx: { data: meta, dataEnd: meta + linear } });
      const v = new DataView(io.lookup(new Uint8Array(4))!.buffer);
      const ret = v.getInt32(8, true);
      // what the program saw besides, and the frame out: the probed byte complemented, all else as in
      expect([v.getUint32(12, true), v.getUint32(20, true), v.getUint32(24, true)]).toEqual([linear, meta, total]);
      const want = input.slice();
      if (r.retval === 2) want[meta + probe] = ~want[meta + probe]! & 0xff;
      expect(Buffer.from(r.data).equals(Buffer.from(want))).toBe(true);
      expect([r.ctx.data, r.ctx.dataEnd]).toEqual([meta, meta + v.getUint32(16, true)]);
      return [total, meta, linear, pull, probe, ret, v.getUint32(16, true), r.retval === 2 ? v.getUint32(28, true) : null];
    });
    expect(got).toEqual(PULLS);
  });

  it('keeps the last fragment\'s room when the first one shrank', async () => {
    const dp = await Datapath.create();
    const obj = await dp.loadObject(OBJ, { engine });
    const p = obj.program('xdp_pull_grow');
    const io = obj.map('xdp_pull.bss');
    const got = GROWS.map(([total, linear, pull, grow]) => {
      io.update(new Uint8Array(4), ioIn(pull, 0, grow));
      const input = frameOf(0, total);
      const r = p.testRun({ data: input, ctx: { dataEnd: linear } });
      const v = new DataView(io.lookup(new Uint8Array(4))!.buffer);
      const grown = v.getInt32(36, true);
      const want = new Uint8Array(total + (grown === 0 ? grow : 0));
      want.set(input);
      expect(Buffer.from(r.data).equals(Buffer.from(want))).toBe(true);
      return [total, linear, pull, grow, v.getInt32(8, true), grown, r.ctx.dataEnd];
    });
    expect(got).toEqual(GROWS);
  });
});

describe('a test run\'s ctx_in as 6.18 checks it', () => {
  // 6.18.44: EINVAL for each (bpftool prog run ... ctx_in); the last two run
  const errno = async (total: number, meta: number, dataEnd: number): Promise<string> => {
    const dp = await Datapath.create();
    const p = (await dp.loadObject(OBJ)).program('xdp_pull');
    try {
      return `retval ${p.testRun({ data: new Uint8Array(total), ctx: { data: meta, dataEnd } }).retval}`;
    } catch (e) {
      if (e instanceof TestRunError) return e.errno;
      throw e;
    }
  };
  it.each([
    [5000, 220, 1000, 'EINVAL'], // the metadata would reach into the xdp_frame (256 - 40 = 216 at most)
    [5000, 0, 5001, 'EINVAL'], // data_end past data_in
    [5000, 4, 2, 'EINVAL'], // data (the metadata's end) past data_end
    [18, 8, 18, 'EINVAL'], // 10 bytes of packet after the metadata: less than an Ethernet header
    [22, 8, 8, 'retval 0'], // no byte of packet in the linear part is fine (the probe's check aborts)
    [5000, 216, 1000, 'retval 2'],
  ])('%i bytes, metadata %i, data_end %i: %s', async (total, meta, dataEnd, want) => {
    expect(await errno(total, meta, dataEnd)).toBe(want);
  });
});
