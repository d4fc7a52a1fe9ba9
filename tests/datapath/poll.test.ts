// The rings and the NAPI poll: wrap-around of the free-running indices, full and empty rings, the
// budget per queue and its fairness, program replacement and detach while frames flow (none lost),
// and the receive checks (shorter than an Ethernet header, longer than the MTU).

import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { RING } from '../../src/runtime/memory.js';
import { frame, tagOf } from './support.js';

describe('rings', () => {
  it('indices run free across 2^32: a ring near the wrap keeps order, count and capacity', async () => {
    const dp = await Datapath.create();
    const eth0 = dp.addDevice({ name: 'eth0', ringSize: 4 });
    const { rx } = eth0.rings();
    // Move the empty RX ring's indices to 2^32 - 2: two more entries and they wrap to 0.
    const v = dp.memory.view();
    v.setUint32(rx.address + RING.PRODUCER, 0xfffffffe, true);
    v.setUint32(rx.address + RING.CONSUMER, 0xfffffffe, true);
    expect([rx.available(), rx.free()]).toEqual([0, 4]);
    const tags = [1, 2, 3, 4];
    expect(eth0.injectBatch(tags.map((t) => frame(60, t)))).toBe(4);
    expect(rx.producer).toBe(2); // wrapped
    expect([rx.available(), rx.free()]).toEqual([4, 0]);
    // Full: all four frames of the fill ring wait on the RX ring, a fifth has no buffer (a counted drop).
    expect(eth0.rings().fill.available()).toBe(0);
    expect(eth0.inject(frame(60, 5))).toBe(false);
    expect(eth0.stats().drops.NO_BUFFER).toBe(1);
    expect(eth0.poll()).toBe(4);
    expect([rx.consumer, rx.available()]).toEqual([2, 0]);
    expect(eth0.readHost().map((o) => tagOf(o.data))).toEqual(tags);
    // Empty: a poll does nothing.
    expect(eth0.poll()).toBe(0);
  });

  it('an RX ring fed by a veth peer faster than it is polled fills up: RX_RING_FULL drops on the receiver', async () => {
    const dp = await Datapath.create();
    const a = dp.addDevice({ name: 'veth0', ringSize: 64 });
    const b = dp.addDevice({ name: 'veth1', ringSize: 4 });
    dp.linkPeers(a, b);
    a.attachXdp(await dp.loadInsns(assemble('r0 = 3\nexit')));
    expect(a.injectBatch([1, 2, 3, 4, 5, 6].map((t) => frame(60, t)))).toBe(6);
    expect(a.poll()).toBe(6);
    expect(b.stats().drops.RX_RING_FULL).toBe(2);
    expect(a.stats().txPackets).toBe(4);
    expect(b.poll()).toBe(4);
    expect(b.readHost().map((o) => tagOf(o.data))).toEqual([1, 2, 3, 4]);
    // The two dropped frames went back to veth0's fill ring, and the poll topped it up from the pool.
    expect(a.rings().fill.available()).toBe(64);
  });

  it('reserve/submit and peek/release behave as libxdp\'s: all or nothing, no more than available', async () => {
    const dp = await Datapath.create();
    const eth0 = dp.addDevice({ name: 'eth0' });
    const sock = dp.createXskSocket({ device: eth0, frames: 16, ringSize: 8 });
    const fill = sock.fill;
    expect(fill.reserve(9)).toBe(-1);
    const idx = fill.reserve(8);
    expect(idx).toBe(0);
    for (let i = 0; i < 8; i++) fill.setAddr(idx + i, i * 4096);
    fill.submit(8);
    expect(fill.reserve(1)).toBe(-1);
    expect(fill.peek(100)).toBe(8);
    expect(fill.addr(fill.consumer + 7)).toBe(7 * 4096);
    fill.release(3);
    expect([fill.available(), fill.free(), fill.reserve(3)]).toEqual([5, 3, 8]);
  });

  it('the fill ring empty: received frames are counted NO_BUFFER drops', async () => {
    const dp = await Datapath.create({ umemFrames: 4 });
    const eth0 = dp.addDevice({ name: 'eth0', ringSize: 8 });
    // Only 4 frames in the whole UMEM: the fill ring holds them all; the program passes (host ring keeps them).
    expect(eth0.rings().fill.available()).toBe(4);
    expect(eth0.injectBatch([1, 2, 3, 4, 5, 6].map((t) => frame(60, t)))).toBe(4);
    expect(eth0.stats().drops.NO_BUFFER).toBe(2);
    eth0.poll();
    expect(eth0.inject(frame(60))).toBe(false);
    expect(eth0.stats().drops.NO_BUFFER).toBe(3);
    // Reading the host ring frees them; the next poll restocks the fill ring from the pool.
    expect(eth0.readHost().length).toBe(4);
    eth0.poll();
    expect(eth0.inject(frame(60))).toBe(true);
  });
});

describe.each(['table', 'burst'] as const)('NAPI poll (%s dispatch)', (dispatch) => {
  it('takes at most `budget` frames per queue per poll, and every queue gets its budget', async () => {
    const dp = await Datapath.create({ dispatch });
    const eth0 = dp.addDevice({ name: 'eth0', queues: 3 });
    eth0.attachXdp(await dp.loadInsns(assemble('r0 = 1\nexit')));
    eth0.injectBatch(Array.from({ length: 200 }, (_, i) => frame(60, i)), { queue: 0 });
    eth0.injectBatch(Array.from({ length: 10 }, (_, i) => frame(60, i)), { queue: 1 });
    eth0.injectBatch(Array.from({ length: 64 }, (_, i) => frame(60, i)), { queue: 2 });
    const rx = (q: number) => eth0.queueStats(q).rxPackets;
    // Round 1: 64 + 10 + 64; the busy queue 0 cannot starve 1 and 2.
    expect(dp.poll({ budget: 64 })).toBe(138);
    expect([rx(0), rx(1), rx(2)]).toEqual([64, 10, 64]);
    expect(eth0.poll({ budget: 100 })).toBe(100);
    expect(eth0.poll({ budget: 100 })).toBe(36);
    expect(eth0.poll()).toBe(0);
    expect(eth0.stats().verdicts.XDP_DROP).toBe(274);
    expect(eth0.poll({ queue: 1, budget: 1 })).toBe(0);
    expect(() => eth0.poll({ budget: 0 })).toThrow(/budget/);
  });

  it('replacing and detaching the program while traffic flows loses no frame; each sees one program', async () => {
    const dp = await Datapath.create({ dispatch });
    const eth0 = dp.addDevice({ name: 'eth0', ringSize: 64 });
    const pass = await dp.loadInsns(assemble('r0 = 2\nexit'));
    const tx = await dp.loadInsns(assemble('r0 = 3\nexit'));
    eth0.attachXdp(pass);
    let next = 0;
    const host: number[] = [];
    const sent: number[] = [];
    for (let round = 0; round < 30; round++) {
      eth0.injectBatch(Array.from({ length: 17 }, () => frame(60, next++)));
      // Swap every few rounds, in the middle of the backlog.
      if (round % 3 === 1 && round < 20) eth0.attachXdp(round % 2 ? tx : pass);
      if (round === 20) eth0.detachXdp();
      eth0.poll({ budget: 16 }); // one frame of backlog more each round
      host.push(...eth0.readHost().map((o) => tagOf(o.data)));
      sent.push(...eth0.readTx().map((o) => tagOf(o.data)));
    }
    while (eth0.poll() > 0) {
      host.push(...eth0.readHost().map((o) => tagOf(o.data)));
      sent.push(...eth0.readTx().map((o) => tagOf(o.data)));
    }
    const s = eth0.stats();
    expect(Object.values(s.drops).reduce((a, b) => a + b, 0)).toBe(0);
    expect(s.rxPackets).toBe(next);
    expect([...host, ...sent].sort((a, b) => a - b)).toEqual([...Array(next).keys()]);
    expect(s.verdicts.XDP_PASS + s.verdicts.XDP_TX).toBe(next);
    expect(sent.length).toBeGreaterThan(0);
    expect(eth0.program).toBeUndefined();
  });

  it('frames shorter than an Ethernet header and longer than MTU + 14 are counted drops at receive', async () => {
    const dp = await Datapath.create({ dispatch });
    const eth0 = dp.addDevice({ name: 'eth0', mtu: 1500 });
    expect(eth0.inject(new Uint8Array(13))).toBe(false);
    expect(eth0.inject(new Uint8Array(0))).toBe(false);
    expect(eth0.inject(frame(14))).toBe(true);
    expect(eth0.inject(frame(1514))).toBe(true);
    expect(eth0.inject(frame(1515))).toBe(false);
    expect(eth0.inject(new Uint8Array(100_000))).toBe(false);
    expect(eth0.injectBatch([frame(10), frame(9000), frame(60)])).toBe(1);
    const s = eth0.stats();
    expect(s.drops.PKT_TOO_SMALL).toBe(3);
    expect(s.drops.PKT_TOO_BIG).toBe(3);
    expect(eth0.poll()).toBe(3);
    expect(eth0.readHost().map((o) => o.data.length)).toEqual([14, 1514, 60]);
    // A smaller MTU on the redirect target: a frame too big for it is dropped there.
    const small = dp.addDevice({ name: 'small', mtu: 576 });
    eth0.attachXdp(await dp.loadInsns(assemble(`r1 = ${small.ifindex}\nr2 = 0\ncall 23\nexit`)));
    eth0.injectBatch([frame(1000), frame(576 + 18)]);
    eth0.poll();
    expect(eth0.stats().drops.PKT_TOO_BIG).toBe(4);
    expect(small.readTx().map((o) => o.data.length)).toEqual([594]);
  });

  it('devices: names, ifindexes, MAC and MTU checks', async () => {
    const dp = await Datapath.create({ dispatch });
    const eth0 = dp.addDevice({ name: 'eth0', mac: '02:aa:bb:cc:dd:ee' });
    expect(eth0.ifindex).toBe(2);
    expect([...eth0.mac]).toEqual([2, 0xaa, 0xbb, 0xcc, 0xdd, 0xee]);
    expect(dp.device('eth0')).toBe(eth0);
    expect(dp.device(2)).toBe(eth0);
    expect(() => dp.addDevice({ name: 'eth0' })).toThrow(/exists/);
    expect(() => dp.addDevice({ name: 'x', mtu: 9000 })).toThrow(/MTU/);
    expect(() => dp.addDevice({ name: 'y', mac: 'zz' })).toThrow(/MAC/);
    expect(() => eth0.inject(frame(60), { queue: 1 })).toThrow(/queue/);
  });
});
