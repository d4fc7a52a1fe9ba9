// A deleted conntrack entry is reused only after every worker has passed a quiescent point. The kernel
// keeps a deleted entry while references to it remain (a packet's skb->_nfct, the entry a program holds
// from bpf_xdp_ct_lookup until bpf_ct_release: nf_conntrack_put frees it at the last one); wxdp's workers
// hold such pointers only inside a burst, so a grace period (reclaim.ts) does what the reference count
// does. A worker registered with reclaim.ts (net_worker_online) and not yet quiescent stands for one
// holding the entry: while it does, the entry keeps the deleted connection's tuple (status dying) and a
// new connection gets another entry; once the worker has passed a quiescent point, the collector's next
// turn frees it and the next new connection is made in it. The limit counts live entries only
// (nf_conntrack_max, as the kernel's count): entries waiting do not fill the table.

import { describe, expect, it } from 'vitest';
import { Fixture, eth, ipv4, stackUnready, udp4 } from '../net/support.js';
import { H0, LINKS, M0, NEIGH, ROUTES } from './ct_support.js';

const unready = await stackUnready();
const WORKER = 9;

const udpIn = (sport: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '203.0.113.5', proto: 17, id: 7 }, udp4('192.0.2.2', '203.0.113.5', sport, 53, new Uint8Array(8))));

async function router(max: number): Promise<Fixture> {
  const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
  fx.dp.conntrack.enable({ family: 'ipv4', max });
  return fx;
}

type X = Record<string, (...a: number[]) => number>;
const glob = (fx: Fixture, name: string): number => (fx.dp.fastPath.exports as unknown as Record<string, WebAssembly.Global>)[name]!.value as number;

/** Forwards a new UDP connection from `sport` (one datagram: the entry is made and confirmed). */
function connect(fx: Fixture, sport: number): void {
  expect(fx.rx('eth0', udpIn(sport)).get('eth1')?.length).toBe(1);
}

/** The entry holding a connection from `sport` (its ORIGINAL tuple's source port), by a walk of the pool; 0 if none. */
function entryOf(fx: Fixture, sport: number): number {
  const v = fx.dp.memory.view();
  const root = fx.dp.conntrack.rootAddress;
  const pool = v.getUint32(root + glob(fx, 'CR_POOL'), true);
  const n = v.getUint32(root + glob(fx, 'CR_POOL_N'), true);
  const size = glob(fx, 'CT_SIZE');
  const port = glob(fx, 'CT_TUPLE_ORIG') + glob(fx, 'CTT_SPORT');
  for (let i = 0; i < n; i++) {
    const e = pool + i * size;
    if (v.getUint16(e + port, false) === sport && (v.getUint32(e + glob(fx, 'CT_STATUS'), true) & (1 << 9)) === 0) return e;
  }
  return 0;
}
const sportAt = (fx: Fixture, e: number): number => fx.dp.memory.view().getUint16(e + glob(fx, 'CT_TUPLE_ORIG') + glob(fx, 'CTT_SPORT'), false);
const statusAt = (fx: Fixture, e: number): number => fx.dp.memory.view().getUint32(e + glob(fx, 'CT_STATUS'), true);
const IPS_DYING = 1 << 9;

describe.skipIf(unready !== '')('deleted conntrack entries wait for a grace period', () => {
  it('a worker still holding the entry: a new connection gets another one; after its quiescent point and a collector turn the entry is reused', async () => {
    const fx = await router(4);
    const x = fx.dp.fastPath.exports as unknown as X;
    connect(fx, 7000);
    const held = entryOf(fx, 7000);
    expect(held).not.toBe(0);
    x.net_worker_online!(WORKER);
    try {
      expect(fx.dp.conntrack.flush()).toBe(1);
      // the worker holds the deleted entry: it reads the deleted connection's tuple, dying
      connect(fx, 7001);
      const other = entryOf(fx, 7001);
      expect(other).not.toBe(0);
      expect(other).not.toBe(held);
      expect(sportAt(fx, held)).toBe(7000);
      expect(statusAt(fx, held) & IPS_DYING).toBe(IPS_DYING);
      fx.advance(1000); // the collector's turn: the deleted entry starts waiting (the worker cannot have passed)
      expect(fx.dp.conntrack.flush()).toBe(1); // 7001's goes too
      connect(fx, 7002);
      expect(entryOf(fx, 7002)).not.toBe(held);
      expect(sportAt(fx, held)).toBe(7000);
      // the worker passes a quiescent point: the next turn frees the entry, and it is the next one made
      x.net_quiescent!(WORKER);
      fx.advance(1000);
      connect(fx, 7003);
      expect(entryOf(fx, 7003)).toBe(held);
      expect(fx.dp.conntrack.list().map((e) => e.original.sport).sort()).toEqual([7002, 7003]);
    } finally {
      x.net_worker_offline!(WORKER);
    }
  });

  it('entries waiting for their grace period do not count against nf_conntrack_max', async () => {
    const fx = await router(2);
    const x = fx.dp.fastPath.exports as unknown as X;
    x.net_worker_online!(WORKER);
    try {
      // three rounds of a full table deleted while the worker holds everything: each round's two
      // connections are made (the limit counts the live ones), none in an entry that is waiting
      const seen = new Set<number>();
      for (let round = 0; round < 3; round++) {
        for (const p of [8000 + 2 * round, 8001 + 2 * round]) {
          connect(fx, p);
          const e = entryOf(fx, p);
          expect(seen.has(e)).toBe(false);
          seen.add(e);
        }
        expect(fx.dp.conntrack.count).toBe(2);
        expect(fx.dp.conntrack.flush()).toBe(2);
      }
      expect(fx.dp.conntrack.stats()).toMatchObject({ drop: 0, early_drop: 0 });
    } finally {
      x.net_worker_offline!(WORKER);
    }
  });

  it('with no worker online a deleted entry is free again at the collector turn', async () => {
    const fx = await router(4);
    connect(fx, 7100);
    const e = entryOf(fx, 7100);
    expect(fx.dp.conntrack.flush()).toBe(1);
    fx.advance(1000);
    connect(fx, 7101);
    expect(entryOf(fx, 7101)).toBe(e);
  });
});
