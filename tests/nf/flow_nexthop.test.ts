// The flowtable's next hops, as nf_flow_offload_ip_hook's FLOW_OFFLOAD_XMIT_NEIGH transmit has them: the
// next hop is the route's gateway, or on an on-link route the packet's own destination (rt_nexthop), and
// its neighbour is looked up for every frame (neigh_xmit), so a hit follows a changed link-layer address
// at once — every flow through that gateway alike — and two on-link hosts behind one route each get
// their own. A FIB change makes the flows' routes stale (dst_check): each is torn down at its next frame,
// which the stack forwards by the new route; once collected, the connection is offloaded again through
// the new route and its hits leave by it. These pin what a next-hop record shared among flows (as the
// kernel's dst is) must keep. Expected frames are built whole: masqueraded to 198.51.100.1 on the way
// out, translated back on the way in, TTL 63 on a hit. IPv6 (nf_flow_offload_ipv6_hook, rt6_nexthop): two
// on-link hosts behind one prefix, each flow's hits to its own host, hop limit 63.

import { describe, expect, it } from 'vitest';
import { Fixture, eth, ipv4, ipv6, stackUnready, udp4 } from '../net/support.js';
import { H0, H1, LINKS, M0, M1, NEIGH, ROUTES, l4over6, udpBytes } from './ct_support.js';

const unready = await stackUnready();
const C = '192.0.2.2';
const C2 = '192.0.2.3';
const H2 = '02:00:00:00:02:02'; // the second inside host
const S = '203.0.113.5';
const PUB = '198.51.100.1';
const pay = new Uint8Array(8);

/** Host `src` (MAC `mac`) to S:53 from port `sp`, into eth0. */
const inUdp = (src: string, mac: string, sp: number): Uint8Array =>
  eth({ dst: M0, src: mac, type: 0x0800 }, ipv4({ src, dst: S, proto: 17 }, udp4(src, S, sp, 53, pay)));
/** S:53's answer to PUB:`dp`, into eth1 from the gateway. */
const outUdp = (dp: number): Uint8Array => eth({ dst: M1, src: H1, type: 0x0800 }, ipv4({ src: S, dst: PUB, proto: 17 }, udp4(S, PUB, 53, dp, pay)));
/** inUdp(…, sp) as the router sends it toward the gateway `gw` (masqueraded, the port kept). */
const fwdOut = (sp: number, gw: string, ttl = 63): Uint8Array =>
  eth({ dst: gw, src: M1, type: 0x0800 }, ipv4({ src: PUB, dst: S, proto: 17, ttl }, udp4(PUB, S, sp, 53, pay)));
/** outUdp(dp) as the router sends it to host `dst` at `mac`. */
const fwdIn = (dst: string, mac: string, dp: number): Uint8Array =>
  eth({ dst: mac, src: M0, type: 0x0800 }, ipv4({ src: S, dst, proto: 17, ttl: 63 }, udp4(S, dst, 53, dp, pay)));
const hits = (fx: Fixture): number => fx.mib()['nf_flowtable:hit'] ?? 0;

async function router(): Promise<Fixture> {
  const fx = await Fixture.create(LINKS, ROUTES, [...NEIGH, { dev: 'eth0', addr: C2, mac: H2 }]);
  fx.dp.nat.add({ hook: 'postrouting', oif: 'eth1', type: 'masquerade' });
  fx.dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'] });
  return fx;
}

/** Flows from C's ports `ports` (and C2's `ports2`), each offloaded once its answer is seen. */
function offload(fx: Fixture, ports: number[], ports2: number[] = []): void {
  for (const p of ports) fx.rx('eth0', inUdp(C, H0, p));
  for (const p of ports2) fx.rx('eth0', inUdp(C2, H2, p));
  for (const p of [...ports, ...ports2]) fx.rx('eth1', outUdp(p));
  expect(fx.dp.flowtable.list().length).toBe(ports.length + ports2.length);
}

describe.skipIf(unready !== '')('the flowtable\'s next hops', () => {
  it('the gateway\'s new link-layer address: the next hit of every flow through it goes there', async () => {
    const fx = await router();
    const ports = [6000, 6001, 6002];
    offload(fx, ports);
    for (const p of ports) expect(fx.rx('eth0', inUdp(C, H0, p)).get('eth1')).toEqual([fwdOut(p, H1)]);
    const mac = '02:00:00:00:02:99';
    fx.ip(`neigh replace 198.51.100.2 lladdr ${mac} dev eth1 nud permanent`);
    for (const p of ports) expect(fx.rx('eth0', inUdp(C, H0, p)).get('eth1')).toEqual([fwdOut(p, mac)]);
    expect(hits(fx)).toBe(2 * ports.length);
    expect(fx.dp.flowtable.list().length).toBe(ports.length);
  });

  it('an on-link host\'s new link-layer address: the next hit toward it goes there', async () => {
    const fx = await router();
    offload(fx, [6000]);
    expect(fx.rx('eth1', outUdp(6000)).get('eth0')).toEqual([fwdIn(C, H0, 6000)]);
    const mac = '02:00:00:00:02:98';
    fx.ip(`neigh replace ${C} lladdr ${mac} dev eth0 nud permanent`);
    expect(fx.rx('eth1', outUdp(6000)).get('eth0')).toEqual([fwdIn(C, mac, 6000)]);
    expect(hits(fx)).toBe(2);
  });

  it('two on-link hosts behind one route: each flow\'s hits go to its own host, in one burst too', async () => {
    const fx = await router();
    offload(fx, [6000, 6001], [6100, 6101]);
    const want = new Map([[6000, fwdIn(C, H0, 6000)], [6001, fwdIn(C, H0, 6001)], [6100, fwdIn(C2, H2, 6100)], [6101, fwdIn(C2, H2, 6101)]]);
    for (const [p, f] of want) expect(fx.rx('eth1', outUdp(p)).get('eth0')).toEqual([f]);
    // a burst alternating between the two hosts
    const order = [6000, 6100, 6001, 6101, 6100, 6000];
    const d = fx.devs.get('eth1')!;
    for (const p of order) expect(d.inject(outUdp(p))).toBe(true);
    d.poll();
    expect(fx.tx().get('eth0')).toEqual(order.map((p) => want.get(p)));
    expect(hits(fx)).toBe(4 + order.length);
  });

  it('a route change: every flow through the old route is torn down at its next frame, then offloaded again through the new one', async () => {
    const fx = await router();
    const ports = [6000, 6001];
    offload(fx, ports);
    for (const p of ports) expect(fx.rx('eth0', inUdp(C, H0, p)).get('eth1')).toEqual([fwdOut(p, H1)]);
    const h0 = hits(fx);
    expect(h0).toBe(ports.length);
    const gw2 = '02:00:00:00:02:03';
    fx.ip(`neigh replace 198.51.100.3 lladdr ${gw2} dev eth1 nud permanent`);
    fx.ip('route replace 203.0.113.0/24 via 198.51.100.3 dev eth1');
    // torn down (dst_check): the stack forwards each frame by the new route
    for (const p of ports) expect(fx.rx('eth0', inUdp(C, H0, p)).get('eth1')).toEqual([fwdOut(p, gw2)]);
    expect(hits(fx)).toBe(h0);
    expect(fx.mib()['nf_flowtable:slowpath']).toBe(ports.length);
    fx.dp.flowtable.gc();
    expect(fx.dp.flowtable.list()).toEqual([]);
    // still the stack's (the frame that offloads the connection again goes on through it), then hits by the new route
    for (const p of ports) expect(fx.rx('eth0', inUdp(C, H0, p)).get('eth1')).toEqual([fwdOut(p, gw2)]);
    expect(fx.dp.flowtable.list().length).toBe(ports.length);
    expect(hits(fx)).toBe(h0);
    for (const p of ports) expect(fx.rx('eth0', inUdp(C, H0, p)).get('eth1')).toEqual([fwdOut(p, gw2)]);
    expect(hits(fx)).toBe(h0 + ports.length);
    // and the answers back through the flows' other direction
    for (const p of ports) expect(fx.rx('eth1', outUdp(p)).get('eth0')).toEqual([fwdIn(C, H0, p)]);
    expect(hits(fx)).toBe(h0 + 2 * ports.length);
  });

  // A burst's hits through one next hop check its neighbour once (the burst's memo); a frame the stack
  // takes in between may change that neighbour, and then the next hit must look at it again, as each of
  // the kernel's hits does (neigh_xmit). Hairpin (C → C2 through the router, both on eth0, so the hits and
  // the ARP request come in on one device, in one burst): C2's entry is REACHABLE; C2's ARP request for
  // the router with a new MAC makes it STALE with that MAC (arp_process → neigh_event_ns → neigh_update
  // with NEIGH_UPDATE_F_OVERRIDE). The kernel's next frame to C2 goes out through that STALE entry
  // (neigh_resolve_output: __neigh_event_send moves it to DELAY) to the new MAC. Here a hit leaves a
  // STALE entry to the stack, whose output does the same: the entry is DELAY after the burst and the
  // frame went to the new MAC (a hit through the memo would have left it STALE).
  it('a frame the stack takes mid-burst makes the next hit check its neighbour again (hairpin, ARP-learned MAC)', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'] });
    fx.ip(`neigh replace ${C2} lladdr ${H2} dev eth0 nud reachable`);
    const fromC = (ttl = 64, dmac = M0, smac = H0): Uint8Array =>
      eth({ dst: dmac, src: smac, type: 0x0800 }, ipv4({ src: C, dst: C2, proto: 17, ttl }, udp4(C, C2, 6000, 53, pay)));
    const fromC2 = eth({ dst: M0, src: H2, type: 0x0800 }, ipv4({ src: C2, dst: C, proto: 17 }, udp4(C2, C, 53, 6000, pay)));
    fx.rx('eth0', fromC());
    fx.rx('eth0', fromC2);
    expect(fx.dp.flowtable.list().length).toBe(1);
    const toC2 = (mac: string): Uint8Array => fromC(63, mac, M0);
    expect(fx.rx('eth0', fromC()).get('eth0')).toEqual([toC2(H2)]);
    const h0 = hits(fx);
    const H3 = '02:00:00:00:02:33';
    // ARP request (RFC 826): C2 at H3 asks for 192.0.2.1
    const arpReq = eth({ dst: 'ff:ff:ff:ff:ff:ff', src: H3, type: 0x0806 }, Uint8Array.from([
      0, 1, 8, 0, 6, 4, 0, 1, ...H3.split(':').map((x) => parseInt(x, 16)), 192, 0, 2, 3, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1,
    ]));
    const d = fx.devs.get('eth0')!;
    for (const f of [fromC(), arpReq, fromC()]) expect(d.inject(f)).toBe(true);
    d.poll();
    const udpOut = (fx.tx().get('eth0') ?? []).filter((f) => f[12] === 8 && f[13] === 0 && f[14 + 9] === 17);
    expect(udpOut).toEqual([toC2(H2), toC2(H3)]);
    expect(hits(fx)).toBe(h0 + 1);
    expect(fx.dp.neigh.list().find((e) => e.dst === C2)).toMatchObject({ lladdr: H3, state: ['DELAY'] });
  });

  it('IPv6: two on-link hosts behind one prefix: each flow\'s hits go to its own host, in one burst too', async () => {
    const c6 = ['2001:db8:1::2', '2001:db8:1::3'];
    const macs = [H0, H2];
    const s6 = '2001:db8:3::5';
    const pub6 = '2001:db8:2::1';
    const fx = await Fixture.create(
      [{ name: 'eth0', mac: M0, forwarding: true, v6: ['2001:db8:1::1/64'] }, { name: 'eth1', mac: M1, forwarding: true, v6: ['2001:db8:2::1/64'] }],
      [{ dst: '2001:db8:3::/48', via: '2001:db8:2::2', dev: 'eth1' }],
      [{ dev: 'eth0', addr: c6[0]!, mac: H0 }, { dev: 'eth0', addr: c6[1]!, mac: H2 }, { dev: 'eth1', addr: '2001:db8:2::2', mac: H1 }],
    );
    fx.sysctl('IPV6_ALL_FORWARDING', 1);
    fx.dp.nat.add({ hook: 'postrouting', oif: 'eth1', type: 'masquerade', family: 'ipv6' });
    fx.dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'], family: 'ipv6' });
    const flows = [[0, 7000], [1, 7100], [0, 7001], [1, 7101]] as const;
    const in6 = (h: number, sp: number): Uint8Array =>
      eth({ dst: M0, src: macs[h]!, type: 0x86dd }, ipv6({ src: c6[h]!, dst: s6, nh: 17 }, l4over6(c6[h]!, s6, 17, udpBytes(sp, 53, pay))));
    const out6 = (dp: number): Uint8Array => eth({ dst: M1, src: H1, type: 0x86dd }, ipv6({ src: s6, dst: pub6, nh: 17 }, l4over6(s6, pub6, 17, udpBytes(53, dp, pay))));
    const back6 = (h: number, dp: number): Uint8Array =>
      eth({ dst: macs[h]!, src: M0, type: 0x86dd }, ipv6({ src: s6, dst: c6[h]!, nh: 17, hlim: 63 }, l4over6(s6, c6[h]!, 17, udpBytes(53, dp, pay))));
    for (const [h, p] of flows) fx.rx('eth0', in6(h, p));
    for (const [, p] of flows) fx.rx('eth1', out6(p));
    expect(fx.dp.flowtable.list().length).toBe(flows.length);
    for (const [h, p] of flows) expect(fx.rx('eth1', out6(p)).get('eth0')).toEqual([back6(h, p)]);
    const d = fx.devs.get('eth1')!;
    const order = [2, 1, 0, 3, 1];
    for (const i of order) expect(d.inject(out6(flows[i]![1]))).toBe(true);
    d.poll();
    expect(fx.tx().get('eth0')).toEqual(order.map((i) => back6(flows[i]![0], flows[i]![1])));
    expect(hits(fx)).toBe(flows.length + order.length);
  });
});
