// A flowtable slot is reused only after every worker has let go of it, with real workers racing: worker 0
// runs an XDP program that got flow A's direction record from bpf_xdp_flow_lookup and keeps re-reading it
// (programs/xdp_flow_hold.c: the program run is its RCU read-side section), while the control plane
// deletes A (conntrack flush), runs the collector, and worker 1 forwards a new connection B through the
// stack. The pool has room for one flow, so B could only go into A's slot: the kernel frees a flow after
// a grace period (flow_offload_free → kfree_rcu), so B is not offloaded while worker 0 holds A, and the
// holder never sees a field of B. Once worker 0 lets go (and passes a quiescent point), the collector's
// next turn frees the slot and B is offloaded into it — the same record the holder read.

import { afterEach, describe, expect, it } from 'vitest';
import type { Datapath } from '../../src/control/datapath.js';
import type { Device } from '../../src/control/device.js';
import { eth, ipv4, udp4 } from '../net/support.js';
import { twoWorkerRouter } from './support.js';

const HOLD = new URL('../../programs/xdp_flow_hold.o', import.meta.url).pathname;
const MAC = { eth0: '02:00:00:00:0f:00', eth1: '02:00:00:00:0f:01', client: '02:00:00:00:0e:01', gw: '02:00:00:00:0e:02' };
const SERVER = '198.51.100.7';
const PUBLIC = '203.0.113.1';
/** struct hold (xdp_flow_hold.c): u32 words. */
const H = { STATE: 0, GATE: 1, CHANGED: 2, ROUNDS: 3, SRC: 4, DST: 5, PORTS: 6, IIF: 7 } as const;
const WAIT_MS = 10_000;

const open: Datapath[] = [];
afterEach(async () => {
  for (const dp of open.splice(0)) await dp.close();
});

const nap = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number) => Atomics.wait(nap, 0, 0, ms);

/** The client's datagram (first payload byte `mark`: 0xAA makes it a probe) and the server's answer to the masqueraded address. */
const request = (client: string, sport: number, mark = 0) =>
  eth({ dst: MAC.eth0, src: MAC.client, type: 0x0800 }, ipv4({ src: client, dst: SERVER, proto: 17 }, udp4(client, SERVER, sport, 53, Uint8Array.from([mark, 1, 2, 3, 4, 5, 6, 7]))));
const reply = (sport: number) =>
  eth({ dst: MAC.eth1, src: MAC.gw, type: 0x0800 }, ipv4({ src: SERVER, dst: PUBLIC, proto: 17 }, udp4(SERVER, PUBLIC, 53, sport, new Uint8Array(8))));
const be32 = (a: string) => a.split('.').reduce((v, b) => v * 256 + Number(b), 0);
const swap32 = (v: number) => (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
const swap16 = (v: number) => ((v & 0xff) << 8) | (v >> 8);

async function router() {
  const r = await twoWorkerRouter(open, MAC, { umemFrames: 4096, ringSize: 256, clients: ['192.0.2.2', '192.0.2.3'] });
  r.dp.conntrack.enable({ family: 'ipv4', max: 1024 });
  r.dp.nat.add({ hook: 'postrouting', family: 'ipv4', oif: 'eth1', type: 'masquerade' });
  r.dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'], maxFlows: 1 });
  return r;
}

describe('flowtable slot reclaim under two workers', () => {
  it("worker 0 holds flow A's record while A is deleted and worker 1 forwards B: B waits for the slot, the holder never sees B's fields", async () => {
    const { dp, eth0, eth1 } = await router();
    const obj = await dp.loadObject(HOLD);
    eth0.attachXdp(obj.program('xdp_flow_hold'));
    const hold = obj.map('hold').valueAddress(0);
    const word = (i: number) => Atomics.load(new Int32Array(dp.memory.memory.buffer, hold, 8), i) >>> 0;
    const x = dp.fastPath.exports as unknown as { nf_flow_at(i: number): number };
    const offloaded = () => dp.flowtable.list().map((f) => `${f.original.src}:${f.original.sport}`);
    const rounds1 = () => dp.workers!.stats()[1]!.rounds;
    /** Worker 1 (queues 1) has polled what was injected on queue 1 of both devices, while worker 0 may be busy. */
    const settle1 = () => {
      const deadline = performance.now() + WAIT_MS;
      const start = rounds1();
      while (eth0.rings(1).rx.available() + eth1.rings(1).rx.available() > 0 || rounds1() - start < 3) {
        if (performance.now() > deadline) throw new Error('worker 1 made no progress');
        dp.workers!.wake();
        sleep(1);
      }
    };
    /** One exchange of a connection on queues 1 (worker 1): forwarded both ways through the stack or the flowtable. */
    const exchange = (client: string, sport: number) => {
      expect(eth0.inject(request(client, sport), { queue: 1 })).toBe(true);
      settle1();
      expect(eth1.readTx({ queue: 1 }).length).toBe(1);
      expect(eth1.inject(reply(sport), { queue: 1 })).toBe(true);
      settle1();
      expect(eth0.readTx({ queue: 1 }).length).toBe(1);
    };

    // flow A: opened and answered (offloaded by the reply's forward)
    exchange('192.0.2.2', 6000);
    expect(offloaded()).toEqual(['192.0.2.2:6000']);
    const slot = x.nf_flow_at(0);
    expect(slot).not.toBe(0);

    // worker 0 takes A's original direction record and holds it
    expect(eth0.inject(request('192.0.2.2', 6000, 0xaa), { queue: 0 })).toBe(true);
    dp.workers!.wake();
    const deadline = performance.now() + WAIT_MS;
    while (word(H.STATE) === 0 && performance.now() < deadline) sleep(1);
    try {
      expect(word(H.STATE)).toBe(1);
      expect([word(H.SRC), word(H.DST), word(H.PORTS), word(H.IIF)]).toEqual([swap32(be32('192.0.2.2')), swap32(be32(SERVER)), swap16(6000) | (swap16(53) << 16), eth0.ifindex]);

      // the control plane deletes A; collector turns pass; worker 1 forwards B, which would fit only in A's slot
      dp.conntrack.flush();
      expect(offloaded()).toEqual([]);
      dp.stack.advance(1000);
      exchange('192.0.2.3', 7000);
      expect(offloaded()).toEqual([]);
      dp.stack.advance(3000);
      exchange('192.0.2.3', 7000);
      expect(offloaded()).toEqual([]);
      const r = word(H.ROUNDS);
      sleep(20);
      expect(word(H.ROUNDS)).toBeGreaterThan(r); // still holding, still reading
      expect(word(H.CHANGED)).toBe(0);
    } finally {
      Atomics.store(new Int32Array(dp.memory.memory.buffer, hold, 8), H.GATE, 1);
    }
    dp.workers!.settle(2);
    expect(word(H.CHANGED)).toBe(0);
    expect(eth0.stats().queues[0]!.verdicts.XDP_DROP).toBe(1);

    // worker 0 let go: the collector's next turn frees the slot, and B is offloaded into it
    dp.stack.advance(1000);
    exchange('192.0.2.3', 7000);
    exchange('192.0.2.3', 7000);
    expect(offloaded()).toEqual(['192.0.2.3:7000']);
    expect(x.nf_flow_at(0)).toBe(slot);
  }, 60_000);
});
