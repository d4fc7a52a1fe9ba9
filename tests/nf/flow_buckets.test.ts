// The flowtable's buckets (nf_flow_table.ts: one cache line of 15 tagged slots, then an overflow list):
// a table of one bucket for 12 flows (24 direction records: 15 in the slots, 9 on the overflow list)
// still finds every flow in both directions, one frame at a time and in a burst (the burst lookup's
// passes: a tag match, the overflow walk), NATs each as its own connection (the translated port is the
// flow's), and after the flows expire (30 s without a hit) the bucket holds none of them: the next
// frames take the slow path and offload the flows again, found again.

import { describe, expect, it } from 'vitest';
import { Fixture, eth, ipv4, stackUnready, udp4 } from '../net/support.js';
import { H0, H1, LINKS, M0, M1, NEIGH, ROUTES } from './ct_support.js';

const unready = await stackUnready();
const C = '192.0.2.2';
const S = '203.0.113.5';
const PUB = '198.51.100.1';
const FLOWS = 12;
const inUdp = (sp: number): Uint8Array => eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: C, dst: S, proto: 17 }, udp4(C, S, sp, 53, new Uint8Array(8))));
const outUdp = (dp: number): Uint8Array => eth({ dst: M1, src: H1, type: 0x0800 }, ipv4({ src: S, dst: PUB, proto: 17 }, udp4(S, PUB, 53, dp, new Uint8Array(8))));
const hits = (fx: Fixture): number => fx.mib()['nf_flowtable:hit'] ?? 0;
const port = (f: Uint8Array, at: number): number => (f[14 + 20 + at]! << 8) | f[14 + 20 + at + 1]!;

describe.skipIf(unready !== '')('the flowtable with one bucket', () => {
  it(`finds ${FLOWS} flows (${2 * FLOWS} records, most on the overflow list) in both directions, alone and in a burst, and forgets them when they expire`, async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    // the table made first with one bucket (dp.flowtable.create then keeps it)
    const init = fx.dp.fastPath.exports['nf_flowtable_init'] as (max: number, buckets: number) => number;
    expect(init(64, 1)).toBe(0);
    fx.dp.nat.add({ hook: 'postrouting', oif: 'eth1', type: 'masquerade' });
    fx.dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'], counter: true });
    const offload = (): void => {
      for (let i = 0; i < FLOWS; i++) {
        fx.rx('eth0', inUdp(7000 + i));
        fx.rx('eth1', outUdp(7000 + i));
      }
      expect(fx.dp.flowtable.list().length).toBe(FLOWS);
    };
    offload();
    let h = hits(fx);
    // one at a time, each direction: forwarded by its own flow (masquerade keeps the port)
    for (let i = FLOWS - 1; i >= 0; i--) {
      const out = fx.rx('eth0', inUdp(7000 + i)).get('eth1')!;
      expect(out.length).toBe(1);
      expect(port(out[0]!, 0)).toBe(7000 + i);
      const back = fx.rx('eth1', outUdp(7000 + i)).get('eth0')!;
      expect(back.length).toBe(1);
      expect(port(back[0]!, 2)).toBe(7000 + i);
    }
    expect(hits(fx) - h).toBe(2 * FLOWS);
    // a burst of every flow's frame, in a mixed order
    h = hits(fx);
    const d = fx.devs.get('eth0')!;
    const order = Array.from({ length: FLOWS }, (_, i) => (i * 5) % FLOWS);
    for (const i of order) expect(d.inject(inUdp(7000 + i))).toBe(true);
    d.poll();
    const burst = fx.tx().get('eth1')!;
    expect(burst.map((f) => port(f, 0))).toEqual(order.map((i) => 7000 + i));
    expect(hits(fx) - h).toBe(FLOWS);
    const listed = fx.dp.flowtable.list();
    // its connection's counters (the flowtable counts): the two frames that opened it, then its hits: one each way, one in the burst
    for (const f of listed) expect(f.original.packets + f.reply.packets).toBe(2 + 3);
    // expired: gone from the bucket, slots and overflow list alike; offloaded again, found again
    fx.advance(31_000);
    expect(fx.dp.flowtable.list()).toEqual([]);
    h = hits(fx);
    fx.rx('eth0', inUdp(7003));
    expect(hits(fx)).toBe(h);
    fx.advance(1_000); // the deleted flows' grace period
    offload();
    h = hits(fx);
    for (let i = 0; i < FLOWS; i++) expect(fx.rx('eth1', outUdp(7000 + i)).get('eth0')?.length).toBe(1);
    expect(hits(fx) - h).toBe(FLOWS);
  });
});
