// The flowtable's hits by what their connection translates (nf_flow_offload_ip_hook: nf_flow_nat_ip does
// SNAT when NF_FLOW_SNAT is set, DNAT when NF_FLOW_DNAT is, then ip_decrease_ttl): a port forward behind a
// masquerade translates both the source and the destination in each direction; a port forward alone the
// destination one way and the source the other; two clients translated to two different sources by the
// same route each keep their own (the fast path shares a next hop between the directions that leave by
// one route, and with it the address of a direction that translates one side); a connection without NAT
// only has its TTL decremented. Expected frames are built whole (checksums by the builders): the kernel's
// NAT of the same connection as the stack sends it, TTL 63.

import { describe, expect, it } from 'vitest';
import { Fixture, eth, ipv4, stackUnready, udp4 } from '../net/support.js';
import { H0, H1, LINKS, M0, M1, NEIGH, ROUTES } from './ct_support.js';

const unready = await stackUnready();
const C = '192.0.2.2';
const S = '203.0.113.5';
const S2 = '203.0.113.6'; // where the port forward sends S:53
const PUB = '198.51.100.1';
const C2 = '192.0.2.3';
const A1 = '198.51.100.10'; // C's translated source
const A2 = '198.51.100.11'; // C2's
const pay = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
const hits = (fx: Fixture): number => fx.mib()['nf_flowtable:hit'] ?? 0;

/** A UDP frame from `src`:`sp` to `dst`:`dp` with MACs `from` → `to`. */
const udpFrame = (from: string, to: string, src: string, dst: string, sp: number, dp: number, ttl = 64): Uint8Array =>
  eth({ dst: to, src: from, type: 0x0800 }, ipv4({ src, dst, proto: 17, ttl }, udp4(src, dst, sp, dp, pay)));

/**
 * `out` into eth0 and `back` into eth1 through the stack (the answer offloads the connection), then
 * twice more each through the flow: each time `outSent` out of eth1 and `backSent` out of eth0.
 */
function exchange(fx: Fixture, out: Uint8Array, back: Uint8Array, outSent: Uint8Array, backSent: Uint8Array): void {
  const h0 = hits(fx);
  const n0 = fx.dp.flowtable.list().length;
  for (let i = 0; i < 3; i++) {
    expect(fx.rx('eth0', out).get('eth1')).toEqual([outSent]);
    expect(fx.rx('eth1', back).get('eth0')).toEqual([backSent]);
    expect(fx.dp.flowtable.list().length).toBe(n0 + 1);
  }
  expect(hits(fx) - h0).toBe(4);
}

describe.skipIf(unready !== '')('the flowtable\'s NAT by side', () => {
  it('a port forward behind a masquerade: each direction\'s hits translate source and destination', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nat.add({ hook: 'prerouting', iif: 'eth0', dst: `${S}/32`, proto: 'udp', dport: 53, type: 'dnat', to: `${S2}:5353` });
    fx.dp.nat.add({ hook: 'postrouting', oif: 'eth1', type: 'masquerade' });
    fx.dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'] });
    exchange(fx, udpFrame(H0, M0, C, S, 6000, 53), udpFrame(H1, M1, S2, PUB, 5353, 6000),
      udpFrame(M1, H1, PUB, S2, 6000, 5353, 63), udpFrame(M0, H0, S, C, 53, 6000, 63));
  });

  it('a port forward alone: the ORIGINAL direction\'s hits translate the destination, the REPLY ones\' the source', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nat.add({ hook: 'prerouting', iif: 'eth0', dst: `${S}/32`, proto: 'udp', dport: 53, type: 'dnat', to: `${S2}:5353` });
    fx.dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'] });
    exchange(fx, udpFrame(H0, M0, C, S, 6000, 53), udpFrame(H1, M1, S2, C, 5353, 6000),
      udpFrame(M1, H1, C, S2, 6000, 5353, 63), udpFrame(M0, H0, S, C, 53, 6000, 63));
  });

  it('two clients translated to two sources by one route: each flow\'s hits write its own source, in either order', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, [...NEIGH, { dev: 'eth0', addr: C2, mac: H0 }]);
    fx.dp.nat.add({ hook: 'postrouting', src: `${C}/32`, type: 'snat', to: A1 });
    fx.dp.nat.add({ hook: 'postrouting', src: `${C2}/32`, type: 'snat', to: A2 });
    fx.dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'] });
    exchange(fx, udpFrame(H0, M0, C, S, 6000, 53), udpFrame(H1, M1, S, A1, 53, 6000),
      udpFrame(M1, H1, A1, S, 6000, 53, 63), udpFrame(M0, H0, S, C, 53, 6000, 63));
    exchange(fx, udpFrame(H0, M0, C2, S, 6000, 53), udpFrame(H1, M1, S, A2, 53, 6000),
      udpFrame(M1, H1, A2, S, 6000, 53, 63), udpFrame(M0, H0, S, C2, 53, 6000, 63));
    // both offloaded: one burst of each client's frames, each translated to its own source
    const eth0 = fx.devs.get('eth0')!;
    for (const c of [C2, C, C2]) expect(eth0.inject(udpFrame(H0, M0, c, S, 6000, 53))).toBe(true);
    const h0 = hits(fx);
    eth0.poll();
    expect(hits(fx) - h0).toBe(3);
    expect(fx.tx().get('eth1')).toEqual([udpFrame(M1, H1, A2, S, 6000, 53, 63), udpFrame(M1, H1, A1, S, 6000, 53, 63), udpFrame(M1, H1, A2, S, 6000, 53, 63)]);
  });

  it('a connection without NAT: hits only decrement the TTL (and update the header checksum)', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'] });
    exchange(fx, udpFrame(H0, M0, C, S, 6000, 53), udpFrame(H1, M1, S, C, 53, 6000),
      udpFrame(M1, H1, C, S, 6000, 53, 63), udpFrame(M0, H0, S, C, 53, 6000, 63));
  });
});
