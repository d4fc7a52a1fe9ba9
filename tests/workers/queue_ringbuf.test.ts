// A queue map and a ring buffer that programs on both workers produce into at once, as the kernel
// allows (queue_stack_maps.c under qs->lock, ringbuf.c reserving under rb->spinlock): every frame's
// tag is pushed once and output once, and the control plane pops and consumes each exactly once —
// nothing lost, nothing doubled, no record torn.

import { afterEach, describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { createMap, MapType, RingBufReader } from '../../src/maps/index.js';
import { frame, tagOf } from '../datapath/support.js';

const open: Datapath[] = [];
afterEach(async () => {
  for (const dp of open.splice(0)) await dp.close();
});

describe('a queue and a ring buffer shared by two workers', () => {
  it('both workers push and output every frame\'s tag at once: each is popped once and read once', async () => {
    const dp = await Datapath.create({ workers: 2, umemFrames: 8192 });
    open.push(dp);
    const eth0 = dp.addDevice({ name: 'eth0', queues: 2, ringSize: 1024, rss: false });
    const queue = createMap(dp.fastPath, { name: 'tags', type: MapType.QUEUE, keySize: 0, valueSize: 8, maxEntries: 4096 });
    const ring = createMap(dp.fastPath, { name: 'events', type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 1 << 17 });
    // the tag (u32 at byte 14) as a u64: bpf_map_push_elem(queue), bpf_ringbuf_output(ring); XDP_DROP
    const src = [
      'r6 = *(u32 *)(r1 + 0)',
      'r7 = *(u32 *)(r6 + 14)',
      '*(u64 *)(r10 - 8) = r7',
      `r1 = ${queue.address} ll`,
      'r2 = r10',
      'r2 += -8',
      'r3 = 0',
      'call 87',
      'if r0 != 0 goto out',
      `r1 = ${ring.address} ll`,
      'r2 = r10',
      'r2 += -8',
      'r3 = 8',
      'r4 = 0',
      'call 130',
      'out:',
      'r0 = 1',
      'exit',
    ].join('\n');
    eth0.attachXdp(await dp.loadInsns(assemble(src), { verify: false, checked: false }));
    const reader = new RingBufReader(ring);
    const popped: number[] = [];
    const read: number[] = [];
    const take = () => {
      for (let v = queue.pop(); v; v = queue.pop()) popped.push(Number(new DataView(v.buffer, v.byteOffset).getBigUint64(0, true)));
      reader.poll((r) => {
        expect(r.length).toBe(8);
        read.push(Number(new DataView(r.buffer, r.byteOffset).getBigUint64(0, true)));
      });
    };
    const ROUNDS = 6;
    const N = 1000;
    for (let round = 0; round < ROUNDS; round++) {
      dp.workers!.hold();
      for (const q of [0, 1]) expect(eth0.injectBatch(Array.from({ length: N }, (_, i) => frame(60, round * 10_000 + q * N + i)), { queue: q })).toBe(N);
      dp.workers!.release();
      // the control plane pops and consumes while both workers produce
      do take();
      while (eth0.rings(0).rx.available() + eth0.rings(1).rx.available() > 0);
      dp.workers!.settle(2);
      take();
    }
    const want = Array.from({ length: ROUNDS }, (_, r) => Array.from({ length: 2 * N }, (_, i) => r * 10_000 + i)).flat();
    expect(eth0.stats().verdicts.XDP_DROP).toBe(want.length);
    expect([...popped].sort((a, b) => a - b)).toEqual(want);
    expect([...read].sort((a, b) => a - b)).toEqual(want);
    // each queue's frames come out of the queue map in the order its worker pushed them
    for (const q of [0, 1]) {
      const mine = popped.filter((t) => Math.floor((t % 10_000) / N) === q);
      expect(mine).toEqual([...mine].sort((a, b) => a - b));
    }
    expect(tagOf(frame(60, 7))).toBe(7);
  });
});
