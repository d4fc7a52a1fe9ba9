// tp_btf programs on wxdp's XDP tracepoints (programs/xdp_tp_counters): attached with
// prog.attachTracepoint(), they run on the events the data path raises, with the kernel's arguments
// (include/trace/events/xdp.h): xdp_exception(dev, xdp, act) for XDP_ABORTED and invalid actions,
// xdp_redirect / xdp_redirect_err(dev, xdp, tgt, err, map_type, map_id, index) — bpf_redirect reports
// map_type BPF_MAP_TYPE_UNSPEC (0), map_id INT_MAX and the target ifindex as index (_trace_xdp_redirect);
// a missing target device is -EINVAL (xdp_do_redirect's dev_get_by_index_rcu failing).

import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { codec } from '../../src/maps/index.js';
import { frame, root } from './support.js';

const OBJ = `${root}programs/xdp_tp_counters.o`;
const u32 = (v: number) => codec.u32.encode(v);
const INT_MAX = 0x7fffffff;
const EINVAL = 22;

async function setup(dispatch: 'table' | 'burst', mode: number, to = 0) {
  const dp = await Datapath.create({ dispatch });
  const eth0 = dp.addDevice({ name: 'eth0' });
  const eth1 = dp.addDevice({ name: 'eth1' });
  const obj = await dp.loadObject(OBJ);
  obj.map('cfg').update(u32(0), u32(mode));
  obj.map('cfg').update(u32(1), u32(to === -1 ? eth1.ifindex : to));
  eth0.attachXdp(obj.program('xdp_act'));
  const count = (k: number): number => Number(codec.u64.decode(obj.map('counts').lookup(u32(k))!));
  return { dp, eth0, eth1, obj, count };
}

describe.each(['table', 'burst'] as const)('XDP tracepoints (%s dispatch)', (dispatch) => {
  it('loads the tp_btf programs beside the XDP one, attaching none until asked', async () => {
    const { eth0, obj, count } = await setup(dispatch, 0);
    expect([...obj.programs.keys()].sort()).toEqual(['tp_exception', 'tp_redirect', 'tp_redirect_err', 'xdp_act']);
    expect(obj.skipped.size).toBe(0);
    eth0.inject(frame(60));
    eth0.poll();
    expect(count(0)).toBe(0);
  });

  it('xdp_exception: act and dev->ifindex of each XDP_ABORTED and invalid verdict', async () => {
    const { eth0, obj, count } = await setup(dispatch, 0);
    const link = obj.program('tp_exception').attachTracepoint();
    eth0.injectBatch([frame(60), frame(60), frame(60)]);
    eth0.poll();
    expect(count(0)).toBe(3);
    expect(count(10)).toBe(eth0.ifindex);
    obj.map('cfg').update(u32(0), u32(2));
    eth0.inject(frame(60));
    eth0.poll();
    expect(count(7)).toBe(1);
    link.detach();
    expect(link.isAttached).toBe(false);
    eth0.inject(frame(60));
    eth0.poll();
    expect(count(7)).toBe(1);
    expect(() => link.detach()).toThrow(/ENOENT/);
  });

  it('xdp_redirect: a bpf_redirect that went out, with UNSPEC / INT_MAX / the ifindex', async () => {
    const { eth0, eth1, obj, count } = await setup(dispatch, 1, -1);
    obj.program('tp_redirect').attachTracepoint();
    obj.program('tp_redirect_err').attachTracepoint();
    eth0.injectBatch([frame(60), frame(60)]);
    eth0.poll();
    expect(eth1.readTx().length).toBe(2);
    expect(count(8)).toBe(2);
    expect(count(9)).toBe(0);
    expect([count(10), count(12), count(13), count(14)]).toEqual([eth0.ifindex, INT_MAX, eth1.ifindex, 0]);
  });

  it('xdp_redirect_err: a bpf_redirect to no device is -EINVAL', async () => {
    const { eth0, obj, count } = await setup(dispatch, 1, 42);
    obj.program('tp_redirect').attachTracepoint();
    obj.program('tp_redirect_err').attachTracepoint();
    eth0.inject(frame(60));
    eth0.poll();
    expect(count(8)).toBe(0);
    expect(count(9)).toBe(1);
    expect([count(10), count(11), count(12), count(13)]).toEqual([eth0.ifindex, EINVAL, INT_MAX, 42]);
  });

  it('a program loaded unverified (checked) is not attached', async () => {
    const dp = await Datapath.create({ dispatch });
    const obj = await dp.loadObject(OBJ, { verify: false });
    expect(() => obj.program('tp_exception').attachTracepoint()).toThrow(/loaded unverified/);
  });

  it('an XDP program is not a tracepoint program', async () => {
    const { obj } = await setup(dispatch, 0);
    expect(() => obj.program('xdp_act').attachTracepoint()).toThrow(/is not a tp_btf, raw_tp or tracepoint program \(EINVAL\)/);
  });
});
