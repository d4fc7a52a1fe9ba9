// xdp_bulk_tx (programs/xdp_tp_bulk): wxdp's devices bulk XDP_TX as veth does (drivers/net/veth.c):
// veth_xdp_tx sends a full bulk of VETH_XDP_TX_BULK_SIZE (16) before the next frame joins it, and veth_poll
// sends the rest after xdp_do_flush (veth_xdp_flush), each bulk one xdp_bulk_tx(dev, sent, drops, err)
// with drops = count - sent (veth_xdp_flush_bq). Expected values follow from that code: 40 frames in one
// poll are bulks of 16, 16 and 8. tests/datapath/tracepoints_kernel.test.ts compares one-frame polls
// with Linux's veth.

import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { codec } from '../../src/maps/index.js';
import { frame, root } from './support.js';

const OBJ = `${root}programs/xdp_tp_bulk.o`;
const u32 = (v: number) => codec.u32.encode(v);

async function setup(dispatch: 'table' | 'burst', ringSize = 256) {
  const dp = await Datapath.create({ dispatch });
  const eth0 = dp.addDevice({ name: 'eth0', ringSize });
  const obj = await dp.loadObject(OBJ);
  eth0.attachXdp(obj.program('xdp_act'));
  const count = (k: number): number => Number(codec.u64.decode(obj.map('counts').lookup(u32(k))!));
  return { dp, eth0, obj, count };
}

describe.each(['table', 'burst'] as const)('xdp_bulk_tx (%s dispatch)', (dispatch) => {
  it('nothing is raised until a program is attached', async () => {
    const { eth0, count } = await setup(dispatch);
    eth0.inject(frame(60));
    eth0.poll();
    expect(eth0.readTx().length).toBe(1);
    expect(count(0)).toBe(0);
  });

  it('one poll of 40 XDP_TX frames is three bulks: 16, 16, then 8 at the poll end', async () => {
    const { eth0, obj, count } = await setup(dispatch);
    obj.program('tp_bulk_tx').attachTracepoint();
    expect(eth0.injectBatch(Array.from({ length: 40 }, () => frame(60)))).toBe(40);
    expect(eth0.poll()).toBe(40);
    expect(eth0.readTx().length).toBe(40);
    expect(count(0)).toBe(3);
    expect(count(12)).toBe(40);
    expect(count(13)).toBe(0);
    expect([count(14), count(15)]).toEqual([8, 0]);
    expect(count(10)).toBe(eth0.ifindex);
    expect(count(11)).toBe(0);
    // exactly 16: one bulk, reported at the poll end
    eth0.injectBatch(Array.from({ length: 16 }, () => frame(60)));
    eth0.poll();
    expect(count(0)).toBe(4);
    expect(count(14)).toBe(16);
  });

  it('frames the TX ring cannot take are the bulk\'s drops', async () => {
    const { eth0, obj, count } = await setup(dispatch, 16);
    obj.program('tp_bulk_tx').attachTracepoint();
    eth0.injectBatch(Array.from({ length: 16 }, () => frame(60)));
    eth0.poll(); // the TX ring (16 slots) is now full: nothing reads it
    eth0.injectBatch(Array.from({ length: 5 }, () => frame(60)));
    eth0.poll();
    expect(count(0)).toBe(2);
    expect([count(14), count(15)]).toEqual([0, 5]);
    expect([count(12), count(13)]).toEqual([16, 5]);
    expect(eth0.readTx().length).toBe(16);
  });

  it('a detached program stops counting', async () => {
    const { eth0, obj, count } = await setup(dispatch);
    const link = obj.program('tp_bulk_tx').attachTracepoint();
    eth0.inject(frame(60));
    eth0.poll();
    link.detach();
    eth0.inject(frame(60));
    eth0.poll();
    expect(count(0)).toBe(1);
  });
});
