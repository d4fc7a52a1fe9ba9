// Per-CPU values whose size is not a multiple of 8, written by two workers at once: each worker's
// program writes its own CPU's value of a percpu_array, a percpu_hash and an lru_percpu_hash (value
// sizes 12, 4 and 20), and the TS API reads every worker's value back as libbpf does — ncpus values of
// round_up(value_size, 8) bytes (16, 8, 24) in one lookup, lookupPerCpu cutting each to value_size. The
// padding past each value is zero (the verifier keeps programs inside value_size; the kernel's percpu
// areas start zeroed and bpf_long_memcpy copies the rounded size). The expected values come from what
// each worker was given: worker w gets queue w's frames (N[w] frames of LEN[w] bytes).

import { afterEach, describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { createMap, MapType } from '../../src/maps/index.js';

const open: Datapath[] = [];
afterEach(async () => {
  for (const dp of open.splice(0)) await dp.close();
});

/** Frames per queue (queue w is worker w's) and their lengths. */
const N = [150, 90];
const LEN = [64, 90];
const u32 = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v]).buffer);
const words = (b: Uint8Array): number[] => Array.from({ length: b.length / 4 }, (_, i) => new DataView(b.buffer, b.byteOffset).getUint32(i * 4, true));

describe('per-CPU values of sizes not a multiple of 8 under two workers', () => {
  it("each worker writes its own CPU's value of percpu_array (12 bytes), percpu_hash (4) and lru_percpu_hash (20); each reads back exactly, rounded to 8 per CPU", async () => {
    const dp = await Datapath.create({ workers: 2, umemFrames: 2048 });
    open.push(dp);
    expect(dp.ncpus).toBe(2);
    const eth0 = dp.addDevice({ name: 'eth0', queues: 2, ringSize: 256, rss: false });
    const arr = createMap(dp.fastPath, { name: 'pc_arr', type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 12, maxEntries: 2 });
    const hash = createMap(dp.fastPath, { name: 'pc_hash', type: MapType.PERCPU_HASH, keySize: 4, valueSize: 4, maxEntries: 4 });
    const lru = createMap(dp.fastPath, { name: 'pc_lru', type: MapType.LRU_PERCPU_HASH, keySize: 4, valueSize: 20, maxEntries: 8 });
    // the hash maps' key 7 made by the control plane (every CPU's value zero), so that no worker inserts
    hash.update(u32(7), new Uint8Array(2 * 8));
    lru.update(u32(7), new Uint8Array(2 * 24));
    // per frame, with c = bpf_get_smp_processor_id() + 1 and len = data_end - data:
    //   pc_arr[1]  u32 frames += 1 | u32 0x11111111 × c | u32 bytes += len
    //   pc_hash[7] u32 (c << 24) | frames (low 24 bits += 1)
    //   pc_lru[7]  u32 frames += 1 | u32 bytes += len | u32 0x01010101 × c | u32 len (last) | u32 c
    const prog = await dp.loadInsns(
      assemble(`
        r6 = r1
        call 8
        r7 = r0
        r7 += 1
        r1 = *(u32 *)(r6 + 4)
        r2 = *(u32 *)(r6 + 0)
        r1 -= r2
        r8 = r1
        r1 = 1
        *(u32 *)(r10 - 4) = r1
        r1 = 7
        *(u32 *)(r10 - 8) = r1
        r1 = ${arr.address} ll
        r2 = r10
        r2 += -4
        call 1
        if r0 == 0 goto out
        r1 = *(u32 *)(r0 + 0)
        r1 += 1
        *(u32 *)(r0 + 0) = r1
        r1 = r7
        r1 *= 0x11111111
        *(u32 *)(r0 + 4) = r1
        r1 = *(u32 *)(r0 + 8)
        r1 += r8
        *(u32 *)(r0 + 8) = r1
        r1 = ${hash.address} ll
        r2 = r10
        r2 += -8
        call 1
        if r0 == 0 goto out
        r1 = *(u32 *)(r0 + 0)
        r1 &= 0xffffff
        r1 += 1
        r2 = r7
        r2 <<= 24
        r1 |= r2
        *(u32 *)(r0 + 0) = r1
        r1 = ${lru.address} ll
        r2 = r10
        r2 += -8
        call 1
        if r0 == 0 goto out
        r1 = *(u32 *)(r0 + 0)
        r1 += 1
        *(u32 *)(r0 + 0) = r1
        r1 = *(u32 *)(r0 + 4)
        r1 += r8
        *(u32 *)(r0 + 4) = r1
        r1 = r7
        r1 *= 0x01010101
        *(u32 *)(r0 + 8) = r1
        *(u32 *)(r0 + 12) = r8
        *(u32 *)(r0 + 16) = r7
      out:
        r0 = 1
        exit`),
      { verify: false, checked: false },
    );
    eth0.attachXdp(prog);
    const frame = (len: number, i: number): Uint8Array => {
      const f = new Uint8Array(len);
      f.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00, i & 0xff]);
      return f;
    };
    // both queues filled while the workers wait, then released together: the two write at once
    dp.workers!.hold();
    for (const q of [0, 1]) expect(eth0.injectBatch(Array.from({ length: N[q]! }, (_, i) => frame(LEN[q]!, i)), { queue: q })).toBe(N[q]);
    dp.workers!.release();
    dp.workers!.settle(3);
    expect(eth0.stats().queues.map((q) => q.verdicts.XDP_DROP)).toEqual(N);

    // percpu_array: one lookup, 2 × round_up(12, 8) = 32 bytes; each CPU's 12, then 4 zero bytes
    const a = arr.lookup(u32(1))!;
    expect(a.length).toBe(2 * 16);
    expect(words(a)).toEqual([N[0], 0x11111111, N[0]! * LEN[0]!, 0, N[1], 0x22222222, N[1]! * LEN[1]!, 0]);
    expect(arr.lookupPerCpu(u32(1))!.map(words)).toEqual([
      [N[0], 0x11111111, N[0]! * LEN[0]!],
      [N[1], 0x22222222, N[1]! * LEN[1]!],
    ]);
    // the other index: nobody wrote it
    expect(arr.lookupPerCpu(u32(0))!.map(words)).toEqual([[0, 0, 0], [0, 0, 0]]);

    // percpu_hash, value_size 4: 2 × 8 bytes
    const h = hash.lookup(u32(7))!;
    expect(h.length).toBe(2 * 8);
    expect(words(h)).toEqual([(1 << 24) | N[0]!, 0, (2 << 24) | N[1]!, 0]);
    expect(hash.lookupPerCpu(u32(7))!.map(words)).toEqual([[(1 << 24) | N[0]!], [(2 << 24) | N[1]!]]);

    // lru_percpu_hash, value_size 20: 2 × 24 bytes
    const l = lru.lookup(u32(7))!;
    expect(l.length).toBe(2 * 24);
    expect(words(l)).toEqual([N[0], N[0]! * LEN[0]!, 0x01010101, LEN[0], 1, 0, N[1], N[1]! * LEN[1]!, 0x02020202, LEN[1], 2, 0]);
    expect(lru.lookupPerCpu(u32(7))!.map(words)).toEqual([
      [N[0], N[0]! * LEN[0]!, 0x01010101, LEN[0], 1],
      [N[1], N[1]! * LEN[1]!, 0x02020202, LEN[1], 2],
    ]);

    // the control plane writes each CPU's value in the same rounded layout (BPF_MAP_UPDATE_ELEM of a
    // percpu map: ncpus × round_up(value_size, 8) bytes); the workers then add to what it wrote
    const put = new Uint8Array(2 * 16);
    new DataView(put.buffer).setUint32(0, 1000, true);
    new DataView(put.buffer).setUint32(16, 2000, true);
    arr.update(u32(1), put);
    dp.workers!.hold();
    for (const q of [0, 1]) expect(eth0.injectBatch(Array.from({ length: N[q]! }, (_, i) => frame(LEN[q]!, i)), { queue: q })).toBe(N[q]);
    dp.workers!.release();
    dp.workers!.settle(3);
    expect(arr.lookupPerCpu(u32(1))!.map(words)).toEqual([
      [1000 + N[0]!, 0x11111111, N[0]! * LEN[0]!],
      [2000 + N[1]!, 0x22222222, N[1]! * LEN[1]!],
    ]);
    expect(hash.lookupPerCpu(u32(7))!.map(words)).toEqual([[(1 << 24) | (2 * N[0]!)], [(2 << 24) | (2 * N[1]!)]]);
    expect(lru.lookupPerCpu(u32(7))!.map(words)).toEqual([
      [2 * N[0]!, 2 * N[0]! * LEN[0]!, 0x01010101, LEN[0], 1],
      [2 * N[1]!, 2 * N[1]! * LEN[1]!, 0x02020202, LEN[1], 2],
    ]);
  });
});
