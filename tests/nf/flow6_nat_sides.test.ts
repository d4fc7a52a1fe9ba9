// The IPv6 flowtable's hits by what their connection translates (nf_flow_offload_ipv6_hook: nf_flow_nat_ipv6
// does SNAT when NF_FLOW_SNAT is set, DNAT when NF_FLOW_DNAT is, the L4 checksum by
// inet_proto_csum_replace16 / _replace2; then the hop limit). Flows that leave by one route share its next
// hop, and with it the address of a direction that translates one side: two clients translated to two
// different sources by the same route must each keep their own; a port forward behind a masquerade
// translates both sides; a connection without NAT only has its hop limit decremented. Expected frames are
// built whole (the L4 checksum computed by the builder over the translated pseudo-header): what the
// kernel's NAT sends for the same connection, hop limit 63.

import { describe, expect, it } from 'vitest';
import { Fixture, eth, ipv6, stackUnready, type LinkCfg, type NeighCfg, type RouteCfg } from '../net/support.js';
import { H0, H1, M0, M1, l4over6, udpBytes } from './ct_support.js';

const unready = await stackUnready();
const LINKS6: LinkCfg[] = [
  { name: 'eth0', mac: M0, forwarding: true, v6: ['2001:db8:1::1/64'] },
  { name: 'eth1', mac: M1, forwarding: true, v6: ['2001:db8:2::1/64'] },
];
const ROUTES6: RouteCfg[] = [{ dst: '2001:db8:3::/48', via: '2001:db8:2::2', dev: 'eth1' }];
const C1 = '2001:db8:1::2';
const C2 = '2001:db8:1::3';
const NEIGH6: NeighCfg[] = [
  { dev: 'eth0', addr: C1, mac: H0 },
  { dev: 'eth0', addr: C2, mac: H0 },
  { dev: 'eth1', addr: '2001:db8:2::2', mac: H1 },
];
const S = '2001:db8:3::5';
const S2 = '2001:db8:3::6'; // where the port forward sends S:53
const PUB = '2001:db8:2::1';
const A1 = '2001:db8:2::10'; // C1's translated source
const A2 = '2001:db8:2::11'; // C2's
const hits = (fx: Fixture): number => fx.mib()['nf_flowtable:hit'] ?? 0;

/** A UDP datagram from `src`:`sp` to `dst`:`dp` with MACs `from` → `to`, hop limit `hlim`. */
const udpFrame = (from: string, to: string, src: string, dst: string, sp: number, dp: number, hlim = 64): Uint8Array =>
  eth({ dst: to, src: from, type: 0x86dd }, ipv6({ src, dst, nh: 17, hlim }, l4over6(src, dst, 17, udpBytes(sp, dp, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])))));

/**
 * `out` into eth0 and `back` into eth1 through the stack (the answer offloads the connection), then
 * twice more each through the flow: each time `outSent` out of eth1 and `backSent` out of eth0.
 */
function exchange(fx: Fixture, out: Uint8Array, back: Uint8Array, outSent: Uint8Array, backSent: Uint8Array): void {
  const h0 = hits(fx);
  for (let i = 0; i < 3; i++) {
    expect(fx.rx('eth0', out).get('eth1')).toEqual([outSent]);
    expect(fx.rx('eth1', back).get('eth0')).toEqual([backSent]);
  }
  expect(hits(fx) - h0).toBe(4);
}

async function router(): Promise<Fixture> {
  const fx = await Fixture.create(LINKS6, ROUTES6, NEIGH6);
  fx.sysctl('IPV6_ALL_FORWARDING', 1);
  return fx;
}

describe.skipIf(unready !== '')('the IPv6 flowtable\'s NAT by side', () => {
  it('two clients translated to two sources by one route: each flow\'s hits write its own source, in either order', async () => {
    const fx = await router();
    fx.dp.nat.add({ hook: 'postrouting', family: 'ipv6', src: `${C1}/128`, type: 'snat', to: A1 });
    fx.dp.nat.add({ hook: 'postrouting', family: 'ipv6', src: `${C2}/128`, type: 'snat', to: A2 });
    fx.dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'], family: 'ipv6' });
    exchange(fx, udpFrame(H0, M0, C1, S, 6000, 53), udpFrame(H1, M1, S, A1, 53, 6000),
      udpFrame(M1, H1, A1, S, 6000, 53, 63), udpFrame(M0, H0, S, C1, 53, 6000, 63));
    exchange(fx, udpFrame(H0, M0, C2, S, 6000, 53), udpFrame(H1, M1, S, A2, 53, 6000),
      udpFrame(M1, H1, A2, S, 6000, 53, 63), udpFrame(M0, H0, S, C2, 53, 6000, 63));
    expect(fx.dp.flowtable.list().length).toBe(2);
    // both offloaded: one burst of each client's frames, each translated to its own source
    const eth0 = fx.devs.get('eth0')!;
    for (const c of [C2, C1, C2]) expect(eth0.inject(udpFrame(H0, M0, c, S, 6000, 53))).toBe(true);
    const h0 = hits(fx);
    eth0.poll();
    expect(hits(fx) - h0).toBe(3);
    expect(fx.tx().get('eth1')).toEqual([udpFrame(M1, H1, A2, S, 6000, 53, 63), udpFrame(M1, H1, A1, S, 6000, 53, 63), udpFrame(M1, H1, A2, S, 6000, 53, 63)]);
  });

  it('a port forward behind a masquerade: each direction\'s hits translate source and destination', async () => {
    const fx = await router();
    fx.dp.nat.add({ hook: 'prerouting', family: 'ipv6', iif: 'eth0', dst: `${S}/128`, proto: 'udp', dport: 53, type: 'dnat', to: `[${S2}]:5353` });
    fx.dp.nat.add({ hook: 'postrouting', family: 'ipv6', oif: 'eth1', type: 'masquerade' });
    fx.dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'], family: 'ipv6' });
    exchange(fx, udpFrame(H0, M0, C1, S, 6000, 53), udpFrame(H1, M1, S2, PUB, 5353, 6000),
      udpFrame(M1, H1, PUB, S2, 6000, 5353, 63), udpFrame(M0, H0, S, C1, 53, 6000, 63));
  });

  it('a port forward alone: the ORIGINAL direction\'s hits translate the destination, the REPLY ones\' the source', async () => {
    const fx = await router();
    fx.dp.nat.add({ hook: 'prerouting', family: 'ipv6', iif: 'eth0', dst: `${S}/128`, proto: 'udp', dport: 53, type: 'dnat', to: `[${S2}]:5353` });
    fx.dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'], family: 'ipv6' });
    exchange(fx, udpFrame(H0, M0, C1, S, 6000, 53), udpFrame(H1, M1, S2, C1, 5353, 6000),
      udpFrame(M1, H1, C1, S2, 6000, 5353, 63), udpFrame(M0, H0, S, C1, 53, 6000, 63));
  });

  it('a connection without NAT: hits only decrement the hop limit', async () => {
    const fx = await router();
    fx.dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'], family: 'ipv6' });
    exchange(fx, udpFrame(H0, M0, C1, S, 6000, 53), udpFrame(H1, M1, S, C1, 53, 6000),
      udpFrame(M1, H1, C1, S, 6000, 53, 63), udpFrame(M0, H0, S, C1, 53, 6000, 63));
  });
});
