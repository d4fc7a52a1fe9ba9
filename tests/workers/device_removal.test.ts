// Removing a device that frames are still queued from, or that a socket is bound to.
//
// cpumap: frames a worker redirected to a cpumap entry wait on the entry's queue (its ptr_ring) for the
// entry's worker. The kernel's xdp_frame names its ingress netdev (dev_rx), not a number: frames of a
// device removed meanwhile are never run as frames of the device that takes its ifindex next (wxdp hands
// out the lowest free one); they are dropped when drained, back in the pool.
//
// AF_XDP: removing a device that an AF_XDP socket is bound to (the kernel's xsk_notifier on NETDEV_UNREGISTER:
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
import type { Device } from '../../src/control/device.js';

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

describe('a device goes away with frames of it queued on a cpumap entry (1 worker)', () => {
  it('the queued frames are dropped when drained, not run as frames of the device that takes its ifindex; every frame back in the pool', async () => {
    const dp = await Datapath.create({ workers: 1, umemFrames: 8192 });
    open.push(dp);
    const x = dp.fastPath.exports as unknown as { dp_pool_free(): number; cpumap_queue_stat(m: number, cpu: number, which: number): bigint };
    const cpus = createMap(dp.fastPath, { name: 'cpus', type: MapType.CPUMAP, keySize: 4, valueSize: 8, maxEntries: 1 });
    cpus.update(u32(0), Uint8Array.from([...u32(4096), ...u32(0)]));
    // bpf_redirect_map(&cpus, 0, 0): every frame to CPU 0 (the worker), no entry program: XDP_PASS to the host ring
    const toCpu = await dp.loadInsns(assemble(`r1 = ${cpus.address} ll\nr2 = 0\nr3 = 0\ncall 51\nexit`), { verify: false, checked: false });
    const add = (name: string) => dp.addDevice({ name, queues: 1, ringSize: 1024, hostRingSize: 2048 });
    const eth0 = add('eth0');
    const eth2 = add('eth2');
    eth0.attachXdp(toCpu);
    eth2.attachXdp(toCpu);
    const devs = (): Device[] => dp.listDevices();
    const frames = () => x.dp_pool_free() + devs().reduce((n, d) => n + d.rings(0).fill.available(), 0);
    const before = frames();
    const backlog = () => Number(x.cpumap_queue_stat(cpus.address, 0, 0) - x.cpumap_queue_stat(cpus.address, 0, 2));
    // a round takes 64 of each device's frames onto the queue and 64 off it: the queue fills up, and the
    // workers are held while it is long (again, when this thread looked too late: a loaded machine)
    let injected0 = 0;
    const sent2: number[] = [];
    const host2: number[] = [];
    for (let attempt = 0; ; attempt++) {
      expect(attempt).toBeLessThan(20);
      dp.workers!.hold();
      injected0 += eth0.injectBatch(Array.from({ length: 1000 }, (_, i) => frame(60, i)));
      const tags = Array.from({ length: 1000 }, (_, i) => 5000 + i);
      expect(eth2.injectBatch(tags.map((t) => frame(60, t)))).toBe(1000);
      sent2.push(...tags);
      dp.workers!.release();
      const until = performance.now() + 2000;
      while (backlog() < 400 && performance.now() < until) {}
      dp.workers!.hold();
      if (backlog() > 128) break;
      dp.workers!.release();
      while (backlog() > 0 || eth0.rings(0).rx.available() > 0 || eth2.rings(0).rx.available() > 0) dp.workers!.settle(1);
      host2.push(...eth2.readHost({ max: 4096 }).map((f) => tagOf(f.data)));
    }
    // eth0's frames are among the last queued (each round: eth0's 64, then eth2's)
    const drained0 = Number(x.cpumap_queue_stat(cpus.address, 0, 2));
    const removal = dp.removeDevice(eth0);
    const eth1 = add('eth1');
    expect(eth1.ifindex).toBe(eth0.ifindex);
    dp.workers!.release();
    while (backlog() > 0 || eth2.rings(0).rx.available() > 0) dp.workers!.settle(1);
    dp.workers!.settle(2);
    // nothing of eth0's reached eth1: no frame in, nothing on its host ring
    expect(eth1.stats().rxPackets).toBe(0);
    expect(eth1.readHost({ max: 4096 })).toEqual([]);
    // eth2's frames all went their way, in order
    host2.push(...eth2.readHost({ max: 4096 }).map((f) => tagOf(f.data)));
    expect(host2).toEqual(sent2);
    // eth0: what its host ring got before it went, what its rings still held, and the rest dropped off the queue
    expect(removal.stats.rxPackets + removal.lost.rx).toBe(injected0);
    expect(Number(x.cpumap_queue_stat(cpus.address, 0, 2))).toBeGreaterThan(drained0);
    dp.workers!.settle(2);
    expect(frames()).toBe(before);
  });
});
