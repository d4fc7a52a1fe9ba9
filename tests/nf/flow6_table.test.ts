// The IPv6 flowtable's life cycle through the API (dp.flowtable.create({ family: 'ipv6' }) + dp.nat's
// IPv6 masquerade): a UDP exchange is offloaded once the reply is seen; a route change tears it down at
// its next frame; a neighbour change is followed by the next hit (the cached entry is checked at each
// use); a flow without hits for nf_flowtable_udp_timeout (30 s) is collected and its connection handed
// back to conntrack with its own timeout (nf_conntrack_udp_timeout_stream, 120 s); a frame over the
// route's MTU goes to the stack, which answers Packet Too Big (RFC 8201); a hop limit of 1 goes to the
// stack (Time Exceeded); refusals name what is wrong.

import { describe, expect, it } from 'vitest';
import { NetError } from '../../src/control/net_types.js';
import { Fixture, eth, ipv4, ipv6, stackUnready, udp4, type LinkCfg } from '../net/support.js';
import { H0, H1, LINKS, LINKS6, expectOneFlowTimeout, M0, M1, NEIGH, NEIGH6, ROUTES, ROUTES6, l4over6, udpBytes } from './ct_support.js';

const unready = await stackUnready();
const C = '2001:db8:1::2';
const S = '2001:db8:3::5';
const PUB = '2001:db8:2::1';
const inUdp = (n: number, hlim = 64): Uint8Array => eth({ dst: M0, src: H0, type: 0x86dd }, ipv6({ src: C, dst: S, nh: 17, hlim }, l4over6(C, S, 17, udpBytes(6000, 53, new Uint8Array(n)))));
const outUdp = (): Uint8Array => eth({ dst: M1, src: H1, type: 0x86dd }, ipv6({ src: S, dst: PUB, nh: 17 }, l4over6(S, PUB, 17, udpBytes(53, 6000, new Uint8Array(8)))));
/** What the flowtable sends for inUdp(n): masqueraded, hop limit 63, toward `mac`. */
const fwdUdp = (n: number, mac = H1): Uint8Array => eth({ dst: mac, src: M1, type: 0x86dd }, ipv6({ src: PUB, dst: S, nh: 17, hlim: 63 }, l4over6(PUB, S, 17, udpBytes(6000, 53, new Uint8Array(n)))));

async function router(): Promise<Fixture> {
  const fx = await Fixture.create(LINKS6, ROUTES6, NEIGH6);
  fx.sysctl('IPV6_ALL_FORWARDING', 1);
  fx.dp.nat.add({ hook: 'postrouting', oif: 'eth1', type: 'masquerade', family: 'ipv6' });
  fx.dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'], family: 'ipv6' });
  return fx;
}
const hits = (fx: Fixture): number => fx.mib()['nf_flowtable:hit'] ?? 0;

async function counting(): Promise<Fixture> {
  const fx = await Fixture.create(LINKS6, ROUTES6, NEIGH6);
  fx.sysctl('IPV6_ALL_FORWARDING', 1);
  fx.dp.nat.add({ hook: 'postrouting', oif: 'eth1', type: 'masquerade', family: 'ipv6' });
  fx.dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'], family: 'ipv6', counter: true });
  return fx;
}
/** The offloaded connection's counters (conntrack's acct): original packets, bytes, reply packets. */
const acct = (fx: Fixture): number[] => {
  const [f] = fx.dp.flowtable.list();
  return [f!.original.packets, f!.original.bytes, f!.reply.packets];
};

function offloadUdp(fx: Fixture): void {
  fx.rx('eth0', inUdp(8));
  fx.rx('eth1', outUdp());
  expect(fx.dp.flowtable.list().map((f) => `${f.family} ${f.proto} ${f.original.src}`)).toEqual([`ipv6 udp ${C}`]);
}

describe.skipIf(unready !== '')('the IPv6 flowtable', () => {
  it('forwards an offloaded UDP flow: masqueraded, hop limit − 1; without `counter` its hits leave the connection\'s counters alone', async () => {
    const fx = await router();
    offloadUdp(fx);
    const before = acct(fx);
    expect(fx.rx('eth0', inUdp(8)).get('eth1')).toEqual([fwdUdp(8)]);
    expect(fx.rx('eth0', inUdp(20)).get('eth1')).toEqual([fwdUdp(20)]);
    expect(hits(fx)).toBe(2);
    expect(acct(fx)).toEqual(before);
    expect(fx.dp.flowtable.list()[0]!.timeout).toBe(30);
  });

  it('with `counter` each hit adds one packet and its skb->len (40 + payload length) to its direction (nf_ct_acct_update)', async () => {
    const fx = await counting();
    offloadUdp(fx);
    const [p, b, r] = acct(fx);
    expect(fx.rx('eth0', inUdp(8)).get('eth1')).toEqual([fwdUdp(8)]);
    expect(fx.rx('eth0', inUdp(20)).get('eth1')).toEqual([fwdUdp(20)]);
    expect(hits(fx)).toBe(2);
    expect(acct(fx)).toEqual([p! + 2, b! + (40 + 8 + 8) + (40 + 8 + 20), r]);
  });

  it('a route change tears the flow down at its next frame', async () => {
    const fx = await router();
    offloadUdp(fx);
    fx.ip('route add 2001:db8:3:8000::/49 via 2001:db8:2::2 dev eth1');
    expect(fx.rx('eth0', inUdp(8)).get('eth1')).toEqual([fwdUdp(8)]);
    expect(hits(fx)).toBe(0);
    expect(fx.mib()['nf_flowtable:slowpath']).toBe(1);
    fx.dp.flowtable.gc();
    expect(fx.dp.flowtable.list()).toEqual([]);
  });

  it('a neighbour change: the next hit goes to the new link-layer address', async () => {
    const fx = await router();
    offloadUdp(fx);
    expect(fx.rx('eth0', inUdp(8)).get('eth1')).toEqual([fwdUdp(8)]);
    const mac = '02:00:00:00:02:99';
    fx.ip(`neigh replace 2001:db8:2::2 lladdr ${mac} dev eth1 nud permanent`);
    expect(fx.rx('eth0', inUdp(8)).get('eth1')).toEqual([fwdUdp(8, mac)]);
    expect(hits(fx)).toBe(2);
  });

  // flow_offload_refresh: the flow's one timeout, as for IPv4 (ct_support.ts expectOneFlowTimeout)
  it('a flow has one timeout: a hit of the other direction within a second of its last move leaves it', async () => {
    const fx = await router();
    offloadUdp(fx);
    expectOneFlowTimeout(fx, () => fx.rx('eth0', inUdp(8)), () => fx.rx('eth1', outUdp()));
  });

  it('a flow without hits for 30 s is collected; its connection gets the UDP stream timeout back', async () => {
    const fx = await router();
    offloadUdp(fx);
    fx.rx('eth0', inUdp(8));
    expect(hits(fx)).toBe(1);
    fx.advance(29_000);
    expect(fx.dp.flowtable.list().length).toBe(1);
    fx.advance(2_000);
    expect(fx.dp.flowtable.list()).toEqual([]);
    expect(fx.dp.conntrack.list()[0]).toMatchObject({ proto: 'udp', offload: false, timeout: 119 });
  });

  it('a frame over the route MTU goes to the stack, which answers Packet Too Big', async () => {
    const fx = await router();
    fx.ip('route replace 2001:db8:3::/48 via 2001:db8:2::2 dev eth1 mtu 1400');
    offloadUdp(fx);
    const out = fx.rx('eth0', inUdp(1400 - 48 + 1));
    expect(hits(fx)).toBe(0);
    expect(out.get('eth1')).toBeUndefined();
    const icmp = out.get('eth0')![0]!;
    expect([icmp[14 + 6], icmp[14 + 40], icmp[14 + 41]]).toEqual([58, 2, 0]);
    expect(fx.rx('eth0', inUdp(1400 - 48)).get('eth1')).toEqual([fwdUdp(1400 - 48)]);
    expect(hits(fx)).toBe(1);
  });

  it('a hop limit of 1 goes to the stack, which answers Time Exceeded', async () => {
    const fx = await router();
    offloadUdp(fx);
    const out = fx.rx('eth0', inUdp(8, 1));
    expect(hits(fx)).toBe(0);
    expect(out.get('eth1')).toBeUndefined();
    expect(out.get('eth0')![0]![14 + 40]).toBe(3);
  });

  // nf_flow_tuple_ipv6: a payload length that is not the frame's (here 4 bytes trail it), a version
  // other than 6, a frame to another MAC: no flowtable hit, whatever the 5-tuple
  it('frames nf_flow_tuple_ipv6 refuses take the slow path, not the flow', async () => {
    const fx = await router();
    offloadUdp(fx);
    const trailing = Uint8Array.from([...inUdp(8), 0, 0, 0, 0]);
    fx.rx('eth0', trailing);
    const v5 = inUdp(8);
    v5[14] = 0x50;
    fx.rx('eth0', v5);
    const other = inUdp(8);
    other[5] = 0x7f;
    fx.rx('eth0', other);
    expect(hits(fx)).toBe(0);
    expect(fx.mib()['nf_flowtable:slowpath'] ?? 0).toBe(0);
    expect(fx.rx('eth0', inUdp(8)).get('eth1')).toEqual([fwdUdp(8)]);
    expect(hits(fx)).toBe(1);
  });

  it("family 'both': an IPv4 and an IPv6 flow offloaded side by side, listed, expired together", async () => {
    const links: LinkCfg[] = LINKS.map((l, i) => ({ ...l, v6: LINKS6[i]!.v6 }));
    const fx = await Fixture.create(links, [...ROUTES, ...ROUTES6], [...NEIGH, ...NEIGH6]);
    fx.sysctl('IPV6_ALL_FORWARDING', 1);
    fx.dp.nat.add({ hook: 'postrouting', oif: 'eth1', type: 'masquerade' });
    fx.dp.nat.add({ hook: 'postrouting', oif: 'eth1', type: 'masquerade', family: 'ipv6' });
    fx.dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'], family: 'both' });
    const in4 = (): Uint8Array => eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '203.0.113.5', proto: 17 }, udp4('192.0.2.2', '203.0.113.5', 6000, 53, new Uint8Array(8))));
    const out4 = (): Uint8Array => eth({ dst: M1, src: H1, type: 0x0800 }, ipv4({ src: '203.0.113.5', dst: '198.51.100.1', proto: 17 }, udp4('203.0.113.5', '198.51.100.1', 53, 6000, new Uint8Array(8))));
    fx.rx('eth0', in4());
    fx.rx('eth1', out4());
    fx.rx('eth0', inUdp(8));
    fx.rx('eth1', outUdp());
    expect(fx.dp.flowtable.list().map((f) => `${f.family} ${f.original.src} ${f.reply.dst}`).sort()).toEqual([
      'ipv4 192.0.2.2 198.51.100.1', `ipv6 ${C} ${PUB}`,
    ]);
    expect(fx.rx('eth0', in4()).get('eth1')?.length).toBe(1);
    expect(fx.rx('eth0', inUdp(8)).get('eth1')).toEqual([fwdUdp(8)]);
    expect(hits(fx)).toBe(2);
    fx.advance(31_000);
    expect(fx.dp.flowtable.list()).toEqual([]);
    // the pools' slots are reused: both offloaded again
    fx.rx('eth0', in4());
    fx.rx('eth1', out4());
    fx.rx('eth0', inUdp(8));
    fx.rx('eth1', outUdp());
    expect(fx.dp.flowtable.list().length).toBe(2);
  });

  it('a full IPv6 pool offloads no more (the connection stays on the slow path) until a flow leaves it', async () => {
    const fx = await Fixture.create(LINKS6, ROUTES6, NEIGH6);
    fx.sysctl('IPV6_ALL_FORWARDING', 1);
    fx.dp.nat.add({ hook: 'postrouting', oif: 'eth1', type: 'masquerade', family: 'ipv6' });
    fx.dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'], family: 'ipv6', maxFlows: 1 });
    const second = (): Uint8Array => eth({ dst: M0, src: H0, type: 0x86dd }, ipv6({ src: C, dst: S, nh: 17 }, l4over6(C, S, 17, udpBytes(6001, 53, new Uint8Array(8)))));
    const secondReply = (): Uint8Array => eth({ dst: M1, src: H1, type: 0x86dd }, ipv6({ src: S, dst: PUB, nh: 17 }, l4over6(S, PUB, 17, udpBytes(53, 6001, new Uint8Array(8)))));
    offloadUdp(fx);
    fx.rx('eth0', second());
    fx.rx('eth1', secondReply());
    expect(fx.dp.flowtable.list().map((f) => f.original.sport)).toEqual([6000]);
    expect(fx.rx('eth0', second()).get('eth1')?.length).toBe(1); // forwarded by the stack
    expect(hits(fx)).toBe(0);
    fx.advance(31_000); // the first flow expires (and the second's unoffloaded connection: 30 s); anew, it is offloaded
    fx.rx('eth0', second());
    fx.rx('eth1', secondReply());
    expect(fx.dp.flowtable.list().map((f) => f.original.sport)).toEqual([6001]);
  });

  it('`flow add @ft` in a `table ip6` ruleset offloads the IPv6 connection', async () => {
    const fx = await Fixture.create(LINKS6, ROUTES6, NEIGH6);
    fx.sysctl('IPV6_ALL_FORWARDING', 1);
    fx.dp.nft(`table ip6 t {
	flowtable ft {
		hook ingress priority 0; devices = { eth0, eth1 };
	}

	chain forward {
		type filter hook forward priority filter; policy accept;
		meta l4proto udp flow add @ft
	}

	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "eth1" masquerade
	}
}
`);
    offloadUdp(fx);
    expect(fx.dp.flowtable.list()[0]!.flowtable).toBe('nft.ip6.t.ft');
    expect(fx.rx('eth0', inUdp(8)).get('eth1')).toEqual([fwdUdp(8)]);
    expect(hits(fx)).toBe(1);
  });

  it('refuses a bad family with a reason', async () => {
    const fx = await Fixture.create(LINKS6, ROUTES6, NEIGH6);
    const bad = { name: 'x', devices: ['eth0'], family: 'ipx' } as unknown as Parameters<typeof fx.dp.flowtable.create>[0];
    expect(() => fx.dp.flowtable.create(bad)).toThrow(NetError);
    expect(() => fx.dp.flowtable.create(bad)).toThrow(/family must be ipv4, ipv6 or both, not "ipx"/);
  });
});
