// A flowtable hit needs the whole key (nf_flow_table_core.c flow_offload_lookup: the rhashtable compares
// struct flow_offload_tuple's address, port, protocol and input-interface fields — all of them, nothing
// but them): a frame that differs from an offloaded flow's tuple in one field only (source or destination
// address, source or destination port, protocol, the device it came in on) is no hit, in a burst beside
// the flow's own frames as alone. The table is made with one bucket, so that half the records sit on the
// bucket's overflow list, where the key compare alone tells flows apart. And nf_flow_state_check tears a
// TCP flow down on an RST as on a FIN (`tcph->fin || tcph->rst`): the segment goes through the stack.

import { describe, expect, it } from 'vitest';
import { Fixture, eth, ipv4, stackUnready, udp4 } from '../net/support.js';
import { ACK, H0, H1, LINKS, M0, M1, NEIGH, PSH, ROUTES, RST, SYN, SYN_OPTS, tcp4, tcpFrame } from './ct_support.js';

const unready = await stackUnready();
const C = '192.0.2.2';
const S = '203.0.113.5';
const PUB = '198.51.100.1';
const FLOWS = 12;
const hits = (fx: Fixture): number => fx.mib()['nf_flowtable:hit'] ?? 0;
const slow = (fx: Fixture): number => fx.mib()['nf_flowtable:slowpath'] ?? 0;
const udpFrame = (to: string, src: string, dst: string, sp: number, dp: number): Uint8Array =>
  eth({ dst: to, src: to === M0 ? H0 : H1, type: 0x0800 }, ipv4({ src, dst, proto: 17 }, udp4(src, dst, sp, dp, new Uint8Array(8))));
/** The flow's frames: client port `sp` to the server's port 53 (in on eth0), the reply to the masqueraded address (in on eth1). */
const inUdp = (sp: number): Uint8Array => udpFrame(M0, C, S, sp, 53);
const outUdp = (sp: number): Uint8Array => udpFrame(M1, S, PUB, 53, sp);
const u16 = (f: Uint8Array, at: number): number => (f[at]! << 8) | f[at + 1]!;

describe.skipIf(unready !== '')('a flowtable hit needs the whole key', () => {
  it('frames one field away from a flow (addresses, ports, protocol, input device) miss, in a burst with its own frames and alone', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    const init = fx.dp.fastPath.exports['nf_flowtable_init'] as (max: number, buckets: number) => number;
    expect(init(64, 1)).toBe(0); // one bucket: 24 records, 15 in its slots, 9 on its overflow list
    fx.dp.nat.add({ hook: 'postrouting', oif: 'eth1', type: 'masquerade' });
    fx.dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'] });
    for (let i = 0; i < FLOWS; i++) {
      fx.rx('eth0', inUdp(7000 + i));
      fx.rx('eth1', outUdp(7000 + i));
    }
    expect(fx.dp.flowtable.list().length).toBe(FLOWS);
    const eth0 = fx.devs.get('eth0')!;
    const eth1 = fx.devs.get('eth1')!;
    for (let i = 0; i < FLOWS; i++) {
      const sp = 7000 + i;
      // ORIGINAL: its key is (C, S, sp, 53, UDP, eth0); each near miss changes one of them (ports and
      // addresses no other flow has, so each is a connection of its own for the stack)
      const near = [
        udpFrame(M0, '192.0.2.3', S, sp, 53),
        udpFrame(M0, C, '203.0.113.6', sp, 53),
        udpFrame(M0, C, S, sp + 1000, 53),
        udpFrame(M0, C, S, sp, 54),
        eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: C, dst: S, proto: 6 }, tcp4(C, S, sp, 53, { seq: 1, flags: SYN }))),
      ];
      const h0 = hits(fx);
      const s0 = slow(fx);
      // each near miss right after one of the flow's frames (the burst lookup's same-key short cut
      // compares it with that frame's key: it must not take the flow's record)
      const burst = [...near.flatMap((f) => [inUdp(sp), f]), inUdp(sp)];
      for (const f of burst) expect(eth0.inject(f)).toBe(true);
      eth0.poll();
      const out = fx.tx().get('eth1') ?? [];
      // the six hits and the five misses all leave by eth1 (the misses through the stack and its masquerade)
      expect(out.length).toBe(burst.length);
      expect(hits(fx) - h0).toBe(near.length + 1);
      expect(slow(fx) - s0).toBe(0); // misses, not the flow's frames sent to the stack
      // the hits: translated by the flow (masquerade keeps the port), TTL 63
      const own = out.filter((f) => u16(f, 14 + 20) === sp && u16(f, 14 + 22) === 53 && f[14 + 9] === 17 && f.subarray(14 + 12, 14 + 16).join('.') === PUB && f.subarray(14 + 16, 14 + 20).join('.') === S);
      expect(own.length).toBe(near.length + 1);
      for (const f of own) expect(f[14 + 8]).toBe(63);
      // one near miss alone: no hit either (the one-frame burst)
      const h1 = hits(fx);
      fx.rx('eth0', near[i % near.length]!);
      expect(hits(fx)).toBe(h1);
      // REPLY: (S, PUB, 53, sp, UDP, eth1); the same tuple in on eth0 is another input device's
      const h2 = hits(fx);
      expect(fx.rx('eth1', outUdp(sp)).get('eth0')?.length).toBe(1);
      expect(hits(fx) - h2).toBe(1);
      fx.rx('eth0', udpFrame(M0, S, PUB, 53, sp));
      fx.rx('eth1', udpFrame(M1, C, S, sp, 53)); // ORIGINAL's tuple in on eth1
      expect(hits(fx) - h2).toBe(1);
    }
    // every flow still hits in both directions
    const h3 = hits(fx);
    for (let i = 0; i < FLOWS; i++) {
      expect(eth0.inject(inUdp(7000 + i))).toBe(true);
      expect(eth1.inject(outUdp(7000 + i))).toBe(true);
    }
    eth0.poll();
    eth1.poll();
    expect(hits(fx) - h3).toBe(2 * FLOWS);
  });

  // nf_flow_state_check (6.14 on): an RST marks the flow closing as a FIN does and goes through it; a SYN
  // on the closing flow tears it down and takes the slow path
  it('an RST marks the TCP flow closing as a FIN does: it hits, a SYN after it takes the slow path', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nat.add({ hook: 'postrouting', oif: 'eth1', type: 'masquerade' });
    fx.dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'] });
    fx.rx('eth0', tcpFrame('in', C, S, 40000, 80, { seq: 1000, flags: SYN, options: SYN_OPTS }));
    fx.rx('eth1', tcpFrame('out', S, PUB, 80, 40000, { seq: 5000, ack: 1001, flags: SYN | ACK, options: SYN_OPTS }));
    fx.rx('eth0', tcpFrame('in', C, S, 40000, 80, { seq: 1001, ack: 5001, flags: ACK }));
    expect(fx.dp.flowtable.list().length).toBe(1);
    fx.rx('eth1', tcpFrame('out', S, PUB, 80, 40000, { seq: 5001, ack: 1001, flags: PSH | ACK, data: new Uint8Array(10) }));
    expect(hits(fx)).toBe(1);
    // the server resets: REPLY's direction, in on eth1; through the flowtable, de-masqueraded to the client
    const rst = fx.rx('eth1', tcpFrame('out', S, PUB, 80, 40000, { seq: 5011, ack: 1001, flags: RST | ACK }));
    expect(hits(fx)).toBe(2);
    expect(slow(fx)).toBe(0);
    const f = rst.get('eth0')![0]!;
    expect(f.subarray(14 + 16, 14 + 20).join('.')).toBe(C);
    expect(f[14 + 20 + 13]).toBe(RST | ACK);
    fx.dp.flowtable.gc();
    expect(fx.dp.flowtable.list().length).toBe(1);
    // the client opens again: the SYN tears the closing flow down and goes to the stack
    fx.rx('eth0', tcpFrame('in', C, S, 40000, 80, { seq: 70000, flags: SYN, options: SYN_OPTS }));
    expect(hits(fx)).toBe(2);
    expect(slow(fx)).toBe(1);
    fx.dp.flowtable.gc();
    expect(fx.dp.flowtable.list()).toEqual([]);
  });
});
