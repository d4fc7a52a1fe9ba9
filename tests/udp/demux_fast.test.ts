// The lookup's short cut (sock_lookup.ts udp4_lookup_fast) decides from a hash2 chain's head only
// while nothing connected or programmed could change the answer; these are the cases at its edges,
// with no socket connected (the short cut's condition), each answered as __udp4_lib_lookup answers
// (compute_score, udp4_lib_lookup2, the wildcard chain after the exact one). Hand-derived from
// net/ipv4/udp.c as each name says.

import { describe, expect, it } from 'vitest';
import { Fixture, stackUnready, eth, ipv4, udp4 } from '../net/support.js';
import { H_MAC, LINKS, NEIGH, R_MAC } from './support.js';

const unready = await stackUnready();
const payload = Uint8Array.from([9, 8, 7]);
const u4 = (dst: string, dport: number, sport = 40000): Uint8Array =>
  eth({ dst: R_MAC, src: H_MAC, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst, proto: 17 }, udp4('192.0.2.2', dst, sport, dport, payload)));

async function setup() {
  const fx = await Fixture.create(LINKS, [], NEIGH);
  const t = fx.dp.socketTable;
  const count = (id: number): number => {
    let n = 0;
    while (t.recv(id)) n++;
    return n;
  };
  return { fx, t, count };
}

describe.skipIf(unready !== '')('the lookup short cut answers as __udp4_lib_lookup', () => {
  it('a head that does not score (bound to another device) leaves it to the wildcard socket of the port', async () => {
    const { fx, t, count } = await setup();
    const wild = t.create({ family: 'inet', reuseAddr: true });
    t.bind(wild, '0.0.0.0', 6000);
    const other = t.create({ family: 'inet', reuseAddr: true });
    t.setOption(other, 'SO_BINDTODEVICE', 1); // loopback: compute_score −1 for eth0
    t.bind(other, '192.0.2.1', 6000);
    fx.rx('eth0', u4('192.0.2.1', 6000));
    expect([count(wild), count(other)]).toEqual([1, 0]);
  });

  it('a socket alone on the wildcard chain, bound to another device: no socket, NoPorts and port unreachable', async () => {
    const { fx, t, count } = await setup();
    const s = t.create({ family: 'inet' });
    t.setOption(s, 'SO_BINDTODEVICE', 1);
    t.bind(s, '0.0.0.0', 6001);
    const out = fx.rx('eth0', u4('192.0.2.1', 6001));
    expect(count(s)).toBe(0);
    expect(fx.mib()['Udp:NoPorts']).toBe(1);
    expect(out.get('eth0')?.length).toBe(1); // ICMP destination unreachable, port (3/3)
    expect(out.get('eth0')![0]![14 + 20]).toBe(3);
    expect(out.get('eth0')![0]![14 + 21]).toBe(3);
  });

  it('three sockets on one chain (SO_REUSEADDR, no group): the one bound to the device scores best (compute_score +4)', async () => {
    const { fx, t, count } = await setup();
    const a = t.create({ family: 'inet', reuseAddr: true });
    t.bind(a, '192.0.2.1', 6002);
    const b = t.create({ family: 'inet', reuseAddr: true });
    t.bind(b, '192.0.2.1', 6002);
    const c = t.create({ family: 'inet', reuseAddr: true });
    t.setOption(c, 'SO_BINDTODEVICE', fx.devs.get('eth0')!.ifindex); // scores 4 more: the best
    t.bind(c, '192.0.2.1', 6002);
    fx.rx('eth0', u4('192.0.2.1', 6002));
    expect([count(a), count(b), count(c)]).toEqual([0, 0, 1]);
  });

  it('a reuseport group on the wildcard: every datagram to one member, each flow always to the same one', async () => {
    const { fx, t, count } = await setup();
    t.setHashSecret(0x1234);
    const ids = [0, 1, 2, 3].map(() => {
      const id = t.create({ family: 'inet', reusePort: true });
      t.bind(id, '0.0.0.0', 6003);
      return id;
    });
    for (let round = 0; round < 2; round++) {
      const per: number[] = [];
      for (let p = 0; p < 16; p++) {
        fx.rx('eth0', u4('192.0.2.1', 6003, 41000 + p));
        per.push(ids.findIndex((id) => count(id) === 1));
      }
      expect(per.every((i) => i >= 0)).toBe(true);
      if (round === 1) continue;
      // the same 16 flows again land where they did
      const again: number[] = [];
      for (let p = 0; p < 16; p++) {
        fx.rx('eth0', u4('192.0.2.1', 6003, 41000 + p));
        again.push(ids.findIndex((id) => count(id) === 1));
      }
      expect(again).toEqual(per);
    }
  });
});
