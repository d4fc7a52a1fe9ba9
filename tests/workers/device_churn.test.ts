// Devices removed and added while two workers poll, with programs attached, replaced and detached
// meanwhile: nothing crashes, and every frame injected ends somewhere counted — a verdict of the
// device's program (XDP_DROP; XDP_PASS: read from the host ring, or a HOST_RING_FULL drop), or, for
// frames still on a removed device's rings, the removal's own accounting (frames received and not yet
// polled; passed to the host and not yet read). The workers stop and join on dp.close().

import { afterEach, describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import type { Device, DeviceStats } from '../../src/control/device.js';

const open: Datapath[] = [];
afterEach(async () => {
  for (const dp of open.splice(0)) await dp.close();
});

const frame = (i: number): Uint8Array => {
  const f = new Uint8Array(64);
  f.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00, i & 0xff, (i >> 8) & 0xff]);
  return f;
};

/** One device's life: what was injected into it, what its host ring gave back, how it ended. */
interface Life {
  dev: Device;
  /** Frames offered to inject, and those it took (the others: a NO_BUFFER or RX_RING_FULL drop). */
  offered: number;
  injected: number;
  hostRead: number;
  final?: DeviceStats;
  lost?: { rx: number; tx: number; host: number };
}

describe('devices removed and added under two workers', () => {
  it('a device goes and comes back while both workers poll and programs change: every frame is accounted for', async () => {
    const dp = await Datapath.create({ workers: 2, umemFrames: 8192 });
    open.push(dp);
    const drop = await dp.loadInsns(assemble('r0 = 1\nexit'), { name: 'drop' });
    const pass = await dp.loadInsns(assemble('r0 = 2\nexit'), { name: 'pass' });
    const add = (name: string): Life => ({ dev: dp.addDevice({ name, queues: 2, ringSize: 256, hostRingSize: 64, rss: false }), offered: 0, injected: 0, hostRead: 0 });
    const lives: Life[] = [add('eth0'), add('eth1')];
    lives[0]!.dev.attachXdp(drop);
    lives[1]!.dev.attachXdp(pass);
    const live = new Map([['eth0', lives[0]!], ['eth1', lives[1]!]]);
    let n = 0;
    for (let round = 0; round < 60; round++) {
      // traffic on every queue of both devices, the workers polling as it arrives
      for (const l of live.values()) {
        for (const q of [0, 1]) {
          l.offered += 40;
          l.injected += l.dev.injectBatch(Array.from({ length: 40 }, () => frame(n++)), { queue: q });
        }
      }
      // the control plane meanwhile
      const e0 = live.get('eth0')!;
      if (round % 3 === 0) e0.dev.attachXdp(round % 2 ? drop : pass); // replace
      if (round % 7 === 3) e0.dev.detachXdp();
      if (round % 7 === 4) e0.dev.attachXdp(drop);
      if (round % 4 === 0) for (const l of live.values()) l.hostRead += l.dev.readHost().length;
      if (round % 10 === 5) {
        // eth1 goes with frames on its rings (no settle before), and comes back with a program
        const old = live.get('eth1')!;
        const r = dp.removeDevice(old.dev);
        old.final = r.stats;
        old.lost = r.lost;
        const back = add('eth1');
        back.dev.attachXdp(round % 20 === 5 ? pass : drop);
        lives.push(back);
        live.set('eth1', back);
      }
    }
    dp.workers!.settle(4);
    for (const l of live.values()) {
      l.hostRead += l.dev.readHost().length;
      l.final = l.dev.stats();
      l.lost = { rx: 0, tx: 0, host: 0 };
    }
    expect(lives.length).toBe(2 + 6);
    expect(dp.workers!.stats().map((s) => s.faults)).toEqual([0, 0]);
    const removed = lives.filter((l) => !live.has(l.dev.name) || live.get(l.dev.name) !== l);
    expect(removed.length).toBe(6);
    // some removal found frames still on the rings: the accounting below is not vacuous
    expect(removed.reduce((s, l) => s + l.lost!.rx + l.lost!.host, 0)).toBeGreaterThan(0);
    for (const l of lives) {
      const s = l.final!;
      const what = `${l.dev.name}#${lives.indexOf(l)}`;
      // a frame inject did not take was dropped at receive, counted
      expect({ what, refused: l.offered - l.injected }).toEqual({ what, refused: s.drops.NO_BUFFER + s.drops.RX_RING_FULL });
      // each received frame was polled (a verdict) or was still on the RX ring at removal
      expect({ what, received: l.injected }).toEqual({ what, received: s.rxPackets + l.lost!.rx });
      const verdicts = Object.values(s.verdicts).reduce((a, b) => a + b, 0);
      expect({ what, polled: s.rxPackets }).toEqual({ what, polled: verdicts });
      expect({ what, other: s.verdicts.XDP_TX + s.verdicts.XDP_REDIRECT + s.verdicts.XDP_ABORTED + s.verdicts.XDP_INVALID }).toEqual({ what, other: 0 });
      // what passed went to the host ring: read, dropped when it was full, or there at removal
      expect({ what, passed: s.verdicts.XDP_PASS }).toEqual({ what, passed: l.hostRead + s.drops.HOST_RING_FULL + l.lost!.host });
      // the drops: XDP_DROP's (one each) and the full host ring's, nothing else
      expect({ what, dropped: s.drops.XDP_DROP }).toEqual({ what, dropped: s.verdicts.XDP_DROP });
      const otherDrops = Object.entries(s.drops).filter(([k, v]) => !['HOST_RING_FULL', 'XDP_DROP', 'NO_BUFFER', 'RX_RING_FULL'].includes(k) && v !== 0);
      expect({ what, otherDrops }).toEqual({ what, otherDrops: [] });
    }
    // the workers stop and join
    await dp.close();
    open.splice(0);
    expect(dp.workers!.stats().length).toBe(2);
  });
});
