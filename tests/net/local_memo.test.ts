// The local input route memo (ipv4_rcv.ts): once a destination has been routed RTN_LOCAL, later
// datagrams to it skip the FIB — and must still get exactly the answers ip_route_input_slow gives
// after whatever changed in between. Each case first delivers a datagram (the memo now holds the
// destination), changes one thing, and sends again. Expected values from the kernel's code paths
// (net/ipv4/route.c ip_route_input_slow / ip_error, net/ipv4/fib_frontend.c __fib_validate_source)
// as each test names them.

import { describe, expect, it } from 'vitest';
import { Fixture, stackUnready, eth, ipv4, udp4 } from './support.js';
import { H_MAC, LINKS, NEIGH, R_MAC } from '../udp/support.js';

const payload = Uint8Array.from([1, 2, 3, 4]);
const u4 = (src: string, dst: string, o: { tos?: number } = {}): Uint8Array =>
  eth({ dst: R_MAC, src: H_MAC, type: 0x0800 }, ipv4({ src, dst, proto: 17, ...o }, udp4(src, dst, 40000, 5300, payload)));

const unready = await stackUnready();

async function warmed(): Promise<{ fx: Fixture; got: () => number }> {
  const fx = await Fixture.create(LINKS, [], NEIGH);
  const t = fx.dp.socketTable;
  const s = t.create({ family: 'inet' });
  t.bind(s, '0.0.0.0', 5300);
  const got = (): number => {
    let n = 0;
    while (t.recv(s)) n++;
    return n;
  };
  fx.rx('eth0', u4('192.0.2.2', '192.0.2.1'));
  expect(got()).toBe(1);
  return { fx, got };
}

/** The counters the second datagram moved (the first one's taken off). */
function delta(fx: Fixture, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(fx.nonzero())) if (v !== (before[k] ?? 0)) out[k] = v - (before[k] ?? 0);
  return out;
}

describe.skipIf(unready !== '')('the local input route memo gives the FIB\'s answers after a change', () => {
  it('the address removed: no route, forwarding off → Ip:InAddrErrors (ip_route_input_slow: -EHOSTUNREACH; ip_error)', async () => {
    const { fx, got } = await warmed();
    fx.ip('addr del 192.0.2.1/24 dev eth0');
    const before = fx.nonzero();
    fx.rx('eth0', u4('192.0.2.2', '192.0.2.1'));
    expect(got()).toBe(0);
    expect(delta(fx, before)).toEqual({ 'Ip:InReceives': 1, 'Ip:InAddrErrors': 1, 'drop:IP_INADDRERRORS': 1 });
  });

  it('the address back: delivered again', async () => {
    const { fx, got } = await warmed();
    fx.ip('addr del 192.0.2.1/24 dev eth0');
    fx.rx('eth0', u4('192.0.2.2', '192.0.2.1'));
    fx.ip('addr add 192.0.2.1/24 brd + dev eth0');
    fx.rx('eth0', u4('192.0.2.2', '192.0.2.1'));
    expect(got()).toBe(1);
  });

  it('rp_filter turned on: a source with no route back → IP_RPFILTER (__fib_validate_source: last_resort, rpf)', async () => {
    const { fx, got } = await warmed();
    fx.rx('eth0', u4('203.0.113.9', '192.0.2.1'));
    expect(got()).toBe(1); // rp_filter 0: any source not ours
    fx.dp.sysctl('net.ipv4.conf.eth0.rp_filter', 1);
    const before = fx.nonzero();
    fx.rx('eth0', u4('203.0.113.9', '192.0.2.1'));
    expect(got()).toBe(0);
    expect(delta(fx, before)).toEqual({ 'Ip:InReceives': 1, 'TcpExt:IPReversePathFilter': 1, 'drop:IP_RPFILTER': 1 });
    fx.rx('eth0', u4('192.0.2.2', '192.0.2.1'));
    expect(got()).toBe(1); // on the link: the route back is through eth0
  });

  it('accept_local: our own address as the source is IP_LOCAL_SOURCE until it is set (fib_validate_source)', async () => {
    const { fx, got } = await warmed();
    const before = fx.nonzero();
    fx.rx('eth0', u4('198.51.100.1', '192.0.2.1'));
    expect(got()).toBe(0);
    expect(delta(fx, before)).toEqual({ 'Ip:InReceives': 1, 'drop:IP_LOCAL_SOURCE': 1 });
    fx.dp.sysctl('net.ipv4.conf.eth0.accept_local', 1);
    fx.rx('eth0', u4('198.51.100.1', '192.0.2.1'));
    expect(got()).toBe(1);
  });

  it('a rule by source: only that source meets the rule\'s unreachable route; the others are still delivered', async () => {
    const { fx, got } = await warmed();
    // the rule must come before table local's (pref 0) to be seen: local's rule moved behind it
    fx.ip('route add unreachable 192.0.2.1/32 table 100');
    fx.ip('rule add from 192.0.2.99 lookup 100 pref 10');
    fx.ip('rule add lookup local pref 100');
    fx.ip('rule del pref 0');
    fx.rx('eth0', u4('192.0.2.2', '192.0.2.1'));
    expect(got()).toBe(1);
    const before = fx.nonzero();
    fx.rx('eth0', u4('192.0.2.99', '192.0.2.1'));
    expect(got()).toBe(0);
    // fib_lookup → -EHOSTUNREACH (RTN_UNREACHABLE); forwarding off: -EHOSTUNREACH, ip_error → InAddrErrors
    expect(delta(fx, before)).toEqual({ 'Ip:InReceives': 1, 'Ip:InAddrErrors': 1, 'drop:IP_INADDRERRORS': 1 });
    fx.rx('eth0', u4('192.0.2.2', '192.0.2.1'));
    expect(got()).toBe(1);
  });

  it('route_localnet is read for every datagram: 127.0.0.1 as the source is IP_LOCALNET', async () => {
    const { fx, got } = await warmed();
    const before = fx.nonzero();
    fx.rx('eth0', u4('127.0.0.1', '192.0.2.1'));
    expect(got()).toBe(0);
    expect(delta(fx, before)).toEqual({ 'Ip:InReceives': 1, 'drop:IP_LOCALNET': 1 });
  });

  it('another TOS is routed on its own: delivered as well', async () => {
    const { fx, got } = await warmed();
    fx.rx('eth0', u4('192.0.2.2', '192.0.2.1', { tos: 0x10 }));
    fx.rx('eth0', u4('192.0.2.2', '192.0.2.1'));
    expect(got()).toBe(2);
  });
});
