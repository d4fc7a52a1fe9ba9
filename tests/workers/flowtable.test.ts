// The flowtable's hit path under two workers, with the control plane's collector running beside it: both
// workers forward frames of one offloaded flow's direction at once (the device spreads nothing by RSS
// here: each queue gets the same flow), while the main thread runs the collector (nf_flow_gc) and reads
// the flows. The flowtable counts (`counter`: its hits go to the connection's counters, as
// nf_ct_acct_update does with atomic64_add): the direction's counters must add up exactly (no lost update,
// no torn value), every frame forwarded, the flow kept while it is hit and deleted by the collector once
// its timeout (30 s without a hit) has gone by. Without `counter` the same hits leave them alone.

import { afterEach, describe, expect, it } from 'vitest';
import type { Datapath } from '../../src/control/datapath.js';
import { eth, ipv4, udp4 } from '../net/support.js';
import { twoWorkerRouter } from './support.js';

const MAC = { eth0: '02:00:00:00:0f:00', eth1: '02:00:00:00:0f:01', client: '02:00:00:00:0e:01', gw: '02:00:00:00:0e:02' };
const ROUNDS = 40;
const PER_QUEUE = 500;
/** A 64-byte frame's IPv4 datagram: 20 + 8 + 22 bytes of payload. */
const PAYLOAD = 22;
const TOT = 20 + 8 + PAYLOAD;

const open: Datapath[] = [];
afterEach(async () => {
  for (const dp of open.splice(0)) await dp.close();
});

const out = (id: number, ttl = 64) =>
  eth({ dst: MAC.eth0, src: MAC.client, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '198.51.100.7', proto: 17, id, ttl }, udp4('192.0.2.2', '198.51.100.7', 40000, 53, new Uint8Array(PAYLOAD))));
// the server's answer to the masqueraded source (203.0.113.1, the port kept: it is free)
const back = () =>
  eth({ dst: MAC.eth1, src: MAC.gw, type: 0x0800 }, ipv4({ src: '198.51.100.7', dst: '203.0.113.1', proto: 17, id: 1 }, udp4('198.51.100.7', '203.0.113.1', 53, 40000, new Uint8Array(PAYLOAD))));

/** Two workers routing eth0 (192.0.2.1/24) → eth1 (203.0.113.1/24, default via .2), conntrack on, masquerade out of eth1. */
async function router() {
  const r = await twoWorkerRouter(open, MAC, { umemFrames: 16384, ringSize: 1024 });
  r.dp.conntrack.enable({ family: 'ipv4', max: 1024 });
  r.dp.nat.add({ hook: 'postrouting', family: 'ipv4', oif: 'eth1', type: 'masquerade' });
  return r;
}

describe('the flowtable under two workers', () => {
  it("both workers hit one flow's direction while the collector runs: its counters add up exactly, every frame goes out, the flow expires once idle", async () => {
    const { dp, eth0, eth1 } = await router();
    dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'], maxFlows: 64, counter: true });
    let sent = 0;
    const drain = () => {
      for (const q of [0, 1]) sent += eth1.readTx({ queue: q }).length;
      eth0.readTx();
    };
    const settle = () => {
      for (let quiet = 0; quiet < 2; ) {
        const before = sent;
        dp.workers!.settle(2);
        drain();
        quiet = eth0.rings(0).rx.available() + eth0.rings(1).rx.available() === 0 && sent === before ? quiet + 1 : 0;
      }
    };
    // the connection opened and answered: established, offloaded (the stack took both frames)
    expect(eth0.inject(out(0), { queue: 0 })).toBe(true);
    settle();
    expect(eth1.inject(back(), { queue: 0 })).toBe(true);
    settle();
    const flows = dp.flowtable.list();
    expect(flows.length).toBe(1);
    // the connection's counters: the one frame the stack forwarded each way
    expect(flows[0]!.original).toMatchObject({ src: '192.0.2.2', dst: '198.51.100.7', sport: 40000, dport: 53, iif: 'eth0', oif: 'eth1', packets: 1, bytes: TOT });
    expect(flows[0]!.reply).toMatchObject({ packets: 1, bytes: TOT });
    sent = 0;
    let last = 0;
    for (let round = 0; round < ROUNDS; round++) {
      dp.workers!.hold();
      for (const q of [0, 1]) expect(eth0.injectBatch(Array.from({ length: PER_QUEUE }, (_, i) => out(1 + round * 1000 + q * 500 + i)), { queue: q })).toBe(PER_QUEUE);
      dp.workers!.release();
      // the control plane meanwhile: the collector (the flow is live: kept) and readers, whose counters
      // only ever grow and are whole (packets × TOT bytes at every read)
      for (let i = 0; i < 20; i++) {
        expect(dp.flowtable.gc()).toBe(0);
        const o = dp.flowtable.list()[0]!.original;
        expect(o.packets).toBeGreaterThanOrEqual(last);
        expect(o.bytes % TOT).toBe(0);
        last = o.packets;
      }
      settle();
    }
    const o = dp.flowtable.list()[0]!.original;
    expect([o.packets, o.bytes]).toEqual([1 + ROUNDS * 2 * PER_QUEUE, (1 + ROUNDS * 2 * PER_QUEUE) * TOT]);
    expect(sent).toBe(ROUNDS * 2 * PER_QUEUE);
    expect(dp.stack.mib()['nf_flowtable:hit']).toBe(ROUNDS * 2 * PER_QUEUE);
    // idle past nf_flowtable_udp_timeout (30 s): the collector (each second of stack time) deletes it
    dp.stack.advance(31_000);
    expect(dp.flowtable.list()).toEqual([]);
  });

  /** Two workers, eth0 → eth1 masqueraded, one UDP connection opened, answered and offloaded into `ft`. */
  async function offloaded(counter: boolean) {
    const { dp, eth0, eth1 } = await router();
    dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'], maxFlows: 64, counter });
    const settle = () => {
      for (let quiet = 0; quiet < 2; ) {
        dp.workers!.settle(2);
        let moved = 0;
        for (const q of [0, 1]) moved += eth1.readTx({ queue: q }).length + eth0.readTx({ queue: q }).length;
        quiet = eth0.rings(0).rx.available() + eth0.rings(1).rx.available() === 0 && moved === 0 ? quiet + 1 : 0;
      }
    };
    expect(eth0.inject(out(0), { queue: 0 })).toBe(true);
    settle();
    expect(eth1.inject(back(), { queue: 0 })).toBe(true);
    settle();
    expect(dp.flowtable.list().length).toBe(1);
    return { dp, eth0, settle };
  }

  it("the stack's counting (under the conntrack lock) and the flowtable's hits (atomic adds, without it) of one direction at once add up exactly", async () => {
    const { dp, eth0, settle } = await offloaded(true);
    const hit0 = dp.stack.mib()['nf_flowtable:hit'] ?? 0;
    const rounds = 20;
    const HITS = 1000;
    const SLOW = 100;
    for (let round = 0; round < rounds; round++) {
      dp.workers!.hold();
      // queue 0: hits (worker 0); queue 1: TTL 1, which the flowtable leaves to the stack (worker 1):
      // conntrack counts them at PRE_ROUTING before forwarding answers Time Exceeded — fewer, as each
      // takes longer, so that they go while the hits do
      expect(eth0.injectBatch(Array.from({ length: HITS }, (_, i) => out(1 + i)), { queue: 0 })).toBe(HITS);
      expect(eth0.injectBatch(Array.from({ length: SLOW }, (_, i) => out(1 + i, 1)), { queue: 1 })).toBe(SLOW);
      dp.workers!.release();
      settle();
    }
    expect((dp.stack.mib()['nf_flowtable:hit'] ?? 0) - hit0).toBe(rounds * HITS);
    const e = dp.conntrack.list();
    expect(e.length).toBe(1);
    // the opening frame, then every frame of both queues (all TOT bytes: skb->len, the datagram)
    expect([e[0]!.packets[0], e[0]!.bytes[0]]).toEqual([1 + rounds * (HITS + SLOW), (1 + rounds * (HITS + SLOW)) * TOT]);
    expect([e[0]!.packets[1], e[0]!.bytes[1]]).toEqual([1, TOT]);
  });

  it('without `counter` (the default) both workers\' hits leave the connection\'s counters as the stack left them', async () => {
    const { dp, eth0, settle } = await offloaded(false);
    const hit0 = dp.stack.mib()['nf_flowtable:hit'] ?? 0;
    dp.workers!.hold();
    for (const q of [0, 1]) expect(eth0.injectBatch(Array.from({ length: PER_QUEUE }, (_, i) => out(1 + q * 500 + i)), { queue: q })).toBe(PER_QUEUE);
    dp.workers!.release();
    settle();
    expect((dp.stack.mib()['nf_flowtable:hit'] ?? 0) - hit0).toBe(2 * PER_QUEUE);
    const e = dp.conntrack.list();
    expect([e[0]!.packets, e[0]!.bytes]).toEqual([[1, 1], [TOT, TOT]]);
  });
});
