// The control plane while traffic flows (the FIB published atomically: fib.ts swaps a table with one
// store, the old one freed after the workers' quiescent points): both workers forward while the main
// thread moves the default route between two next hops on two devices, adds and deletes a more specific
// route, and adds a device: every frame leaves once, through one of the next hops whole (its MAC and
// device agree), and none is lost.

import { afterEach, describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { eth, ipv4, udp4 } from '../net/support.js';

const M = { eth0: '02:00:00:00:0f:00', eth1: '02:00:00:00:0f:01', eth2: '02:00:00:00:0f:02', client: '02:00:00:00:0e:01', gwA: '02:00:00:00:0e:0a', gwB: '02:00:00:00:0e:0b' };

const open: Datapath[] = [];
afterEach(async () => {
  for (const dp of open.splice(0)) await dp.close();
});

describe('route and device changes while two workers forward', () => {
  it('the default route moves between two next hops under load: every frame leaves once, by a whole route', async () => {
    const dp = await Datapath.create({ workers: 2, umemFrames: 16384 });
    open.push(dp);
    const eth0 = dp.addDevice({ name: 'eth0', mac: M.eth0, queues: 2, ringSize: 1024, rss: false });
    const eth1 = dp.addDevice({ name: 'eth1', mac: M.eth1, queues: 2, ringSize: 1024, rss: false });
    const eth2 = dp.addDevice({ name: 'eth2', mac: M.eth2, queues: 2, ringSize: 1024, rss: false });
    for (const l of ['link set dev eth0 up', 'link set dev eth1 up', 'link set dev eth2 up', 'addr add 192.0.2.1/24 dev eth0', 'addr add 198.51.100.1/24 dev eth1', 'addr add 203.0.113.1/24 dev eth2']) dp.ip(l);
    dp.sysctl('net.ipv4.conf.all.forwarding', 1);
    dp.ip(`neigh add 198.51.100.2 lladdr ${M.gwA} dev eth1 nud permanent`);
    dp.ip(`neigh add 203.0.113.2 lladdr ${M.gwB} dev eth2 nud permanent`);
    dp.ip('route add default via 198.51.100.2 dev eth1');
    const frame = (i: number) =>
      eth({ dst: M.eth0, src: M.client, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: `10.${(i >> 8) & 255}.${i & 255}.1`, proto: 17, id: i & 0xffff }, udp4('192.0.2.2', `10.${(i >> 8) & 255}.${i & 255}.1`, 5000, 53, new Uint8Array(8))));
    const out = { eth1: 0, eth2: 0 };
    const ids = new Set<number>();
    const take = () => {
      for (const [name, dev, gw] of [['eth1', eth1, M.gwA], ['eth2', eth2, M.gwB]] as const) {
        for (const f of dev.readTx()) {
          // a whole route: the next hop's MAC on its own device, and the device's own source MAC
          const dst = Array.from(f.data.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':');
          expect(dst).toBe(gw);
          ids.add((f.data[18]! << 8) | f.data[19]!);
          out[name]++;
        }
      }
    };
    const ROUNDS = 10;
    const N = 800;
    let sent = 0;
    let added = false;
    for (let r = 0; r < ROUNDS; r++) {
      dp.workers!.hold();
      for (const q of [0, 1]) {
        const fs = Array.from({ length: N }, (_, i) => frame(r * 2 * N + q * N + i));
        expect(eth0.injectBatch(fs, { queue: q })).toBe(N);
        sent += N;
      }
      dp.workers!.release();
      let pass = 0;
      do {
        // the default route flips, a more specific route comes and goes, a device is added once
        dp.ip(`route replace default via ${pass % 2 === 0 ? '203.0.113.2 dev eth2' : '198.51.100.2 dev eth1'}`);
        if (pass % 3 === 0) dp.ip('route add 10.0.0.0/16 via 203.0.113.2 dev eth2');
        if (pass % 3 === 1) dp.ip('route del 10.0.0.0/16');
        if (!added) {
          dp.addDevice({ name: 'eth3', queues: 2, ringSize: 256 });
          dp.ip('link set dev eth3 up');
          added = true;
        }
        take();
        pass++;
      } while (eth0.rings(0).rx.available() + eth0.rings(1).rx.available() > 0);
      dp.workers!.settle(2);
      take();
      if (pass % 3 === 1) dp.ip('route del 10.0.0.0/16');
    }
    expect(out.eth1 + out.eth2).toBe(sent);
    expect(out.eth2).toBeGreaterThan(0);
    expect(ids.size).toBe(Math.min(sent, 65536));
    expect(eth0.stats().rxPackets).toBe(sent);
    expect(Object.entries(dp.stack.drops()).filter(([, n]) => n !== 0)).toEqual([]);
    expect(dp.workers!.faults).toEqual([]);
  }, 120_000);
});
