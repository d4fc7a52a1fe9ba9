// A fault in an unverified (checked) program during a device's poll ends that run as XDP_ABORTED, as the
// kernel treats a program exception (trace_xdp_exception, the frame dropped): the poll does not throw,
// the rest of the burst is processed, and ring and pool accounting stay exact.

import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { createMap, MapType } from '../../src/maps/index.js';
import { frame } from '../datapath/support.js';

const u32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];

// The frame's tag (bytes 14..17, frame()) % 3 == 0: a load from address 16, outside every region the
// run may touch (a fault); anything else: XDP_DROP.
const FAULT_EVERY_THIRD = `
  r2 = *(u32 *)(r1 + 0)
  r3 = *(u32 *)(r2 + 14)
  r3 %= 3
  if r3 != 0 goto +3
  r4 = 16
  r0 = *(u64 *)(r4 + 0)
  exit
  r0 = 1
  exit`;

describe.each(['table', 'burst'] as const)('a program fault in poll() (%s dispatch)', (dispatch) => {
  it('1000 frames, a fault on every third: counted as XDP_ABORTED, traced, dropped; no throw, no frame lost', async () => {
    const dp = await Datapath.create({ dispatch });
    const eth0 = dp.addDevice({ name: 'eth0', ringSize: 128 });
    const prog = await dp.loadInsns(assemble(FAULT_EVERY_THIRD), { verify: false });
    eth0.attachXdp(prog);
    eth0.poll(); // the fill ring primed
    const free = dp.freeFrames();
    let faults = 0;
    for (let i = 0; i < 1000; i += 100) {
      const burst = Array.from({ length: 100 }, (_, k) => frame(60, i + k));
      expect(eth0.injectBatch(burst)).toBe(100);
      expect(eth0.poll({ budget: 64 }) + eth0.poll({ budget: 64 })).toBe(100);
      faults += burst.filter((_, k) => (i + k) % 3 === 0).length;
    }
    expect(faults).toBe(334);
    const s = eth0.stats();
    expect(s.rxPackets).toBe(1000);
    expect(s.verdicts).toMatchObject({ XDP_ABORTED: 334, XDP_DROP: 666, XDP_PASS: 0, XDP_TX: 0, XDP_REDIRECT: 0, XDP_INVALID: 0 });
    expect(s.drops.XDP_ABORTED).toBe(334);
    expect(s.drops.XDP_DROP).toBe(666);
    expect(eth0.readHost().length + eth0.readTx().length).toBe(0);
    // trace_xdp_exception for each: the last 32 kept, all this program's, action XDP_ABORTED
    const ev = dp.traceEvents();
    expect(ev.length).toBe(32);
    for (const e of ev) expect(e).toEqual({ ifindex: eth0.ifindex, queue: 0, action: 0, programSlot: prog.fd });
    eth0.poll();
    expect(dp.freeFrames()).toBe(free);
    expect(eth0.rings().fill.available()).toBe(128);
  });

  it('a faulting devmap entry program drops that frame (DEVMAP_PROG) and the poll goes on', async () => {
    const dp = await Datapath.create({ dispatch });
    const eth0 = dp.addDevice({ name: 'eth0' });
    const eth1 = dp.addDevice({ name: 'eth1' });
    const devmap = createMap(dp.fastPath, { name: 'ports', type: MapType.DEVMAP, keySize: 4, valueSize: 8, maxEntries: 1 });
    // The entry's program faults on every third frame and passes the others (to eth1's TX ring).
    const entry = await dp.loadInsns(assemble(FAULT_EVERY_THIRD.replace('r0 = 1\n', 'r0 = 2\n')), { verify: false, attachType: 'xdp_devmap' });
    devmap.update(u32(0), Uint8Array.of(...u32(eth1.ifindex), ...u32(entry.fd)));
    eth0.attachXdp(await dp.loadInsns(assemble(`r1 = ${devmap.address} ll\nr2 = 0\nr3 = 0\ncall 51\nexit`), { verify: false }));
    dp.poll();
    const free = dp.freeFrames() + [eth0, eth1].reduce((n, d) => n + d.rings().fill.available(), 0);
    expect(eth0.injectBatch(Array.from({ length: 30 }, (_, k) => frame(60, k)))).toBe(30);
    expect(eth0.poll()).toBe(30);
    expect(eth0.stats().verdicts.XDP_REDIRECT).toBe(30);
    expect(eth0.stats().drops.DEVMAP_PROG).toBe(10);
    expect(eth1.readTx().length).toBe(20);
    dp.poll();
    expect(dp.freeFrames() + [eth0, eth1].reduce((n, d) => n + d.rings().fill.available(), 0)).toBe(free);
  });
});

describe('a fault in a checked program run through the table outside a poll', () => {
  it('testRunSkLookup reports it (RUN_MEM_FAULT), as testRun does, instead of a silent SK_DROP', async () => {
    const dp = await Datapath.create();
    const p = await dp.loadInsns(assemble('r4 = 16\nr0 = *(u64 *)(r4 + 0)\nexit'), { verify: false, type: 'sk_lookup' });
    expect(() => p.testRunSkLookup({ family: 2 })).toThrow(expect.objectContaining({ code: 'RUN_MEM_FAULT' }));
    const ok = await dp.loadInsns(assemble('r0 = 1\nexit'), { verify: false, type: 'sk_lookup' });
    expect(ok.testRunSkLookup({ family: 2 }).retval).toBe(1);
  });
});
