// A deleted flow's slot is reused only after every worker has passed a quiescent point (the kernel frees
// flows after RCU: flow_offload_free → kfree_rcu). A worker registered with reclaim.ts (net_worker_online)
// and not yet quiescent stands for one still holding the flow's direction record (nf_flow_burst_lookup's
// per-frame record, a chain walk): while it holds it, the record keeps the deleted flow's tuple and the
// slot is not handed out — with a pool of one flow the next connection is not offloaded (a full pool:
// flow_offload_add fails, the packet goes on through the stack); once the worker passes a quiescent point
// the collector's next turn frees the slot and the next connection is offloaded into it. With no worker
// online the slot is free again at the collector's turn that deleted it. Both pools (IPv4, IPv6), and
// both ways a flow goes: expired (collector) and with its connection (conntrack flush).

import { describe, expect, it } from 'vitest';
import { Fixture, eth, ipv4, ipv6, stackUnready, udp4, type LinkCfg, type NeighCfg, type RouteCfg } from '../net/support.js';
import { H0, H1, LINKS, M0, M1, NEIGH, ROUTES, l4over6, udpBytes } from './ct_support.js';

const unready = await stackUnready();
const WORKER = 7;

const C4 = '192.0.2.2';
const S4 = '203.0.113.5';
const PUB4 = '198.51.100.1';
const C6 = '2001:db8:1::2';
const S6 = '2001:db8:3::5';
const PUB6 = '2001:db8:2::1';
const LINKS6: LinkCfg[] = [
  { name: 'eth0', mac: M0, forwarding: true, v6: ['2001:db8:1::1/64'] },
  { name: 'eth1', mac: M1, forwarding: true, v6: ['2001:db8:2::1/64'] },
];
const ROUTES6: RouteCfg[] = [{ dst: '2001:db8:3::/48', via: '2001:db8:2::2', dev: 'eth1' }];
const NEIGH6: NeighCfg[] = [
  { dev: 'eth0', addr: '2001:db8:1::2', mac: H0 },
  { dev: 'eth1', addr: '2001:db8:2::2', mac: H1 },
];

type Family = 'ipv4' | 'ipv6';
const FAMILIES: Family[] = ['ipv4', 'ipv6'];

/** The client's datagram from port `sport` and the server's reply (masquerade keeps the port: it is free). */
function frames(family: Family, sport: number): [Uint8Array, Uint8Array] {
  if (family === 'ipv4') {
    return [
      eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: C4, dst: S4, proto: 17 }, udp4(C4, S4, sport, 53, new Uint8Array(8)))),
      eth({ dst: M1, src: H1, type: 0x0800 }, ipv4({ src: S4, dst: PUB4, proto: 17 }, udp4(S4, PUB4, 53, sport, new Uint8Array(8)))),
    ];
  }
  return [
    eth({ dst: M0, src: H0, type: 0x86dd }, ipv6({ src: C6, dst: S6, nh: 17 }, l4over6(C6, S6, 17, udpBytes(sport, 53, new Uint8Array(8))))),
    eth({ dst: M1, src: H1, type: 0x86dd }, ipv6({ src: S6, dst: PUB6, nh: 17 }, l4over6(S6, PUB6, 17, udpBytes(53, sport, new Uint8Array(8))))),
  ];
}

/** A router whose flowtable holds one flow. */
async function router(family: Family): Promise<Fixture> {
  const fx = family === 'ipv4' ? await Fixture.create(LINKS, ROUTES, NEIGH) : await Fixture.create(LINKS6, ROUTES6, NEIGH6);
  if (family === 'ipv6') fx.sysctl('IPV6_ALL_FORWARDING', 1);
  fx.dp.nat.add({ hook: 'postrouting', oif: 'eth1', type: 'masquerade', family });
  fx.dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'], family, maxFlows: 1 });
  return fx;
}

type X = Record<string, (...a: number[]) => number>;
const exportsOf = (fx: Fixture): X => fx.dp.fastPath.exports as unknown as X;
const glob = (fx: Fixture, name: string): number => (fx.dp.fastPath.exports as unknown as Record<string, WebAssembly.Global>)[name]!.value as number;

/** A connection from `sport`: request and reply forwarded (the reply offloads it when the pool has room). */
function connect(fx: Fixture, family: Family, sport: number): void {
  const [req, rep] = frames(family, sport);
  expect(fx.rx('eth0', req).get('eth1')?.length).toBe(1);
  expect(fx.rx('eth1', rep).get('eth0')?.length).toBe(1);
}
const offloaded = (fx: Fixture): number[] => fx.dp.flowtable.list().map((f) => f.original.sport);
/** The source port in a direction record (big-endian, as in the packet). */
const recSport = (fx: Fixture, d: number): number => fx.dp.memory.view().getUint16(d + glob(fx, 'FD_SPORT'), false);

/** Deletes the one flow: by expiry (the collector) or with its connection (conntrack flush). */
function deleteFlow(fx: Fixture, how: 'expire' | 'flush'): void {
  if (how === 'expire') fx.advance(31_000);
  else fx.dp.conntrack.flush();
  expect(offloaded(fx)).toEqual([]);
}

describe.skipIf(unready !== '')('the flowtable frees deleted flows after a grace period', () => {
  for (const family of FAMILIES) {
    for (const how of ['expire', 'flush'] as const) {
      it(`${family}, ${how === 'expire' ? 'expired' : 'conntrack flush'}: the slot waits for a worker still holding the flow`, async () => {
        const fx = await router(family);
        const x = exportsOf(fx);
        connect(fx, family, 6000);
        expect(offloaded(fx)).toEqual([6000]);
        const f = x.nf_flow_at!(0);
        expect(f).not.toBe(0);
        // the worker enters a burst and holds the flow's ORIGINAL record (never quiescent from here)
        x.net_worker_online!(WORKER);
        try {
          const held = f;
          deleteFlow(fx, how);
          fx.advance(1000); // a collector turn: the slot's grace period starts (and cannot end)
          // a new connection: the pool's one slot still waits, so it is full and the offload fails;
          // the packets go on through the stack
          connect(fx, family, 6001);
          expect(offloaded(fx)).toEqual([]);
          fx.advance(3000);
          connect(fx, family, 6001);
          expect(offloaded(fx)).toEqual([]);
          // what the worker holds is still the deleted flow's record, not a new one written over it
          expect(recSport(fx, held)).toBe(6000);
          // the worker passes a quiescent point: the collector's next turn frees the slot
          x.net_quiescent!(WORKER);
          connect(fx, family, 6001);
          expect(offloaded(fx)).toEqual([]);
          fx.advance(1000);
          connect(fx, family, 6001);
          expect(offloaded(fx)).toEqual([6001]);
          expect(x.nf_flow_at!(0)).toBe(f);
          expect(recSport(fx, f)).toBe(6001);
        } finally {
          x.net_worker_offline!(WORKER);
        }
      });
    }

    it(`${family}: with no worker online the slot is free again at the collector's turn`, async () => {
      const fx = await router(family);
      const x = exportsOf(fx);
      connect(fx, family, 6000);
      const f = x.nf_flow_at!(0);
      deleteFlow(fx, 'expire'); // deleted and freed at the same turn
      connect(fx, family, 6001);
      expect(offloaded(fx)).toEqual([6001]);
      expect(x.nf_flow_at!(0)).toBe(f);
      // deleted with its connection outside the collector: free at its next turn
      deleteFlow(fx, 'flush');
      connect(fx, family, 6002);
      expect(offloaded(fx)).toEqual([]);
      fx.advance(1000);
      connect(fx, family, 6002);
      expect(offloaded(fx)).toEqual([6002]);
      expect(x.nf_flow_at!(0)).toBe(f);
    });
  }
});
