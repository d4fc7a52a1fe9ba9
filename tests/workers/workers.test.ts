// Datapath.create({ workers: N }): N worker threads poll the device queues over one shared memory,
// queue k by worker k mod N, each with its own copy of the fast path and of the attached program.

import { afterEach, describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { frame } from '../datapath/support.js';

const PASS_DROP = new URL('../../programs/xdp_pass_drop.o', import.meta.url).pathname;

const open: Datapath[] = [];
afterEach(async () => {
  for (const dp of open.splice(0)) await dp.close();
});
async function withWorkers(n: number): Promise<Datapath> {
  const dp = await Datapath.create({ workers: n });
  open.push(dp);
  return dp;
}

describe('workers', () => {
  it('two workers each poll their own queue: every frame is dropped once, by the queue it came in on', async () => {
    const dp = await withWorkers(2);
    expect(dp.workers?.count).toBe(2);
    expect(dp.memory.shared).toBe(true);
    const eth0 = dp.addDevice({ name: 'eth0', queues: 2, ringSize: 256 });
    const obj = await dp.loadObject(PASS_DROP);
    eth0.attachXdp(obj.program('xdp_drop'));
    const sent = [0, 0];
    for (let round = 0; round < 20; round++) {
      for (const q of [0, 1]) for (let i = 0; i < 10 + q * 5; i++) if (eth0.inject(frame(60, i), { queue: q })) sent[q]!++;
      dp.workers!.settle();
    }
    expect(sent).toEqual([200, 300]);
    const st = eth0.stats();
    expect(st.verdicts.XDP_DROP).toBe(500);
    expect(st.queues[0]!.verdicts.XDP_DROP).toBe(200);
    expect(st.queues[1]!.verdicts.XDP_DROP).toBe(300);
    const ws = dp.workers!.stats();
    expect(ws.map((w) => w.frames)).toEqual([200, 300]);
    expect(ws.every((w) => w.faults === 0)).toBe(true);
  });

  it('close() stops and joins the workers; a second close is a no-op', async () => {
    const dp = await Datapath.create({ workers: 2 });
    await dp.close();
    await dp.close();
    expect(dp.closed).toBe(true);
  });
});
