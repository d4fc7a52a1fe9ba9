// Removing a device that an AF_XDP socket is bound to (the kernel's xsk_notifier on NETDEV_UNREGISTER:
// the socket is unbound, sk_err ENETDOWN; xsk_sendmsg then answers -ENXIO and xsk_rcv_check refuses
// frames with -ENXIO, so a redirect to it fails). The socket stays unbound: a device added later under
// the same ifindex (wxdp hands out the lowest free one) is another device, and the old socket neither
// receives its frames, nor sends out of it, nor unbinds the socket bound to it when it closes. On one
// thread and with a worker polling.

import { afterEach, describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { WxdpError } from '../../src/errors.js';
import { codec, createMap, MapType } from '../../src/maps/index.js';
import { frame, tagOf } from '../datapath/support.js';

const u32 = (v: number) => codec.u32.encode(v);

const open: Datapath[] = [];
afterEach(async () => {
  for (const dp of open.splice(0)) await dp.close();
});

describe.each([0, 1])('a device an AF_XDP socket is bound to goes away (%i workers)', (workers) => {
  it('the socket is unbound for good: a device under the same ifindex neither feeds it nor sends for it, and its close leaves that device\'s socket bound', async () => {
    const dp = await Datapath.create({ umemFrames: 1024, ...(workers ? { workers } : {}) });
    open.push(dp);
    const settle = () => (dp.workers ? dp.workers.settle(2) : void dp.poll());
    const xsks = createMap(dp.fastPath, { name: 'xsks', type: MapType.XSKMAP, keySize: 4, valueSize: 4, maxEntries: 4 });
    // bpf_redirect_map(&xsks, 0, 0): every frame to the socket in slot 0
    const toXsk = await dp.loadInsns(assemble(`r1 = ${xsks.address} ll\nr2 = 0\nr3 = 0\ncall 51\nexit`), { verify: false, checked: false });
    const eth0 = dp.addDevice({ name: 'eth0', queues: 1 });
    const old = dp.createXskSocket({ device: eth0, queue: 0, frames: 16, ringSize: 16 });
    old.fillAll();
    xsks.update(u32(0), u32(old.id));
    eth0.attachXdp(toXsk);
    expect(old.bound).toBe(true);
    eth0.inject(frame(60, 1));
    settle();
    expect(old.receive().map((f) => tagOf(f.data))).toEqual([1]);

    const ifindex = eth0.ifindex;
    dp.removeDevice(eth0);
    expect(old.bound).toBe(false);
    expect(() => old.send([frame(60, 2)])).toThrow(WxdpError);
    expect(() => old.send([frame(60, 2)])).toThrow(/ENXIO/);

    const eth1 = dp.addDevice({ name: 'eth1', queues: 1 });
    expect(eth1.ifindex).toBe(ifindex);
    eth1.attachXdp(toXsk);
    // the old socket, still in slot 0, takes nothing of eth1's: the redirect fails (XSK_INVALID)
    eth1.inject(frame(60, 3));
    settle();
    expect(old.receive()).toEqual([]);
    expect(eth1.stats().drops.XSK_INVALID).toBe(1);
    expect(() => old.send([frame(60, 4)])).toThrow(/ENXIO/);
    expect(eth1.readTx()).toEqual([]);
    expect(eth1.stats().txPackets).toBe(0);

    // a socket bound to eth1's queue; the old one closing leaves it bound
    const fresh = dp.createXskSocket({ device: eth1, queue: 0, frames: 16, ringSize: 16 });
    fresh.fillAll();
    xsks.update(u32(0), u32(fresh.id));
    old.close();
    eth1.inject(frame(60, 5));
    settle();
    expect(fresh.receive().map((f) => tagOf(f.data))).toEqual([5]);
    expect(fresh.send([frame(60, 6)])).toBe(1);
    expect(eth1.readTx().map((f) => tagOf(f.data))).toEqual([6]);
  });
});
