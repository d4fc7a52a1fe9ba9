// ICMPv6 Redirect by hand (RFC 4861 sections 4.5, 8.1-8.3), no kernel needed: the messages wxdp sends are
// built here field by field and compared whole, and a received one is followed into the lookups after it.
// tests/net/ndisc_redirect_kernel.test.ts holds the same behaviour against the kernel.

import { describe, expect, it } from 'vitest';
import { Fixture, concat, echo6, eth, hex, icmp6, ipv6, type LinkCfg, type NeighCfg, type RouteCfg } from './support.js';
import { ipv6Bytes } from '../../src/control/addresses.js';

const R_MAC = '02:00:00:00:00:01';
const H_MAC = '02:00:00:00:00:02';
/** The router's link-local address: EUI-64 of 02:00:00:00:00:01 (RFC 4291 appendix A). */
const R_LL = 'fe80::ff:fe00:1';
const mac = (m: string): number[] => m.split(':').map((x) => parseInt(x, 16));
const ETH_HLEN = 14;

describe('a Redirect received (RFC 4861 8.1, 8.3)', () => {
  const LINKS: LinkCfg[] = [{ name: 'eth0', mac: R_MAC, v6: ['2001:db8:1::1/64'] }];
  const ROUTES: RouteCfg[] = [{ dst: '2001:db8:9::/48', dev: 'eth0', via: 'fe80::2' }];
  const NEIGH: NeighCfg[] = [{ dev: 'eth0', addr: 'fe80::2', mac: H_MAC }];
  const redirect = (src: string, target: string, dest: string, tlla?: string): Uint8Array => {
    const opts = tlla ? [2, 1, ...mac(tlla)] : [];
    const m = icmp6(src, '2001:db8:1::1', 137, 0, [0, 0, 0, 0], Uint8Array.from([...ipv6Bytes(target), ...ipv6Bytes(dest), ...opts]));
    return eth({ dst: R_MAC, src: H_MAC, type: 0x86dd }, ipv6({ src, dst: '2001:db8:1::1', nh: 58, hlim: 255 }, m));
  };
  const echoFrom = (src: string): Uint8Array =>
    eth({ dst: R_MAC, src: H_MAC, type: 0x86dd }, ipv6({ src, dst: '2001:db8:1::1', nh: 58 }, echo6(src, '2001:db8:1::1', 1, 1, new Uint8Array(8))));

  it('from the current first hop: the target becomes the first hop, learned STALE as a router; others are ignored', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    // not from the current first hop toward the destination (8.1): ignored
    fx.rx('eth0', redirect('fe80::4', 'fe80::3', '2001:db8:9::5', '02:00:00:00:00:03'));
    expect(fx.dp.ip('-6 route get 2001:db8:9::5').stdout).toContain('via fe80::2 dev eth0');
    expect(fx.dp.ip('-6 neigh show fe80::3').stdout).toBe('');
    fx.rx('eth0', redirect('fe80::2', 'fe80::3', '2001:db8:9::5', '02:00:00:00:00:03'));
    expect(fx.mib()['Icmp6:InRedirects']).toBe(2);
    // the exception: the new gateway, no protocol (a cloned route)
    expect(fx.dp.ip('-6 route get 2001:db8:9::5').stdout).toBe('2001:db8:9::5 from :: via fe80::3 dev eth0 src 2001:db8:1::1 metric 1024 pref medium\n');
    expect(fx.dp.ip('-6 neigh show fe80::3').stdout).toBe('fe80::3 dev eth0 lladdr 02:00:00:00:00:03 router STALE \n');
    // other destinations of the route keep their first hop
    expect(fx.dp.ip('-6 route get 2001:db8:9::6').stdout).toContain('via fe80::2 dev eth0');
    // the reply to the redirected destination goes to the target's link-layer address
    const out = fx.rx('eth0', echoFrom('2001:db8:9::5')).get('eth0') ?? [];
    expect(out.map((f) => hex(f.subarray(0, 6)))).toEqual(['020000000003']);
    // the route's device going down takes the exception with the route
    fx.ip('link set eth0 down');
    fx.ip('link set eth0 up');
    fx.ip('route add 2001:db8:9::/48 via fe80::2 dev eth0');
    expect(fx.dp.ip('-6 route get 2001:db8:9::5').stdout).toContain('via fe80::2 dev eth0');
  });

  it('naming the destination as target: the destination is on the link (no gateway)', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.rx('eth0', redirect('fe80::2', '2001:db8:9::7', '2001:db8:9::7', '02:00:00:00:00:07'));
    expect(fx.dp.ip('-6 route get 2001:db8:9::7').stdout).toBe('2001:db8:9::7 from :: dev eth0 src 2001:db8:1::1 metric 1024 pref medium\n');
    // on-link: learned, but not as a router
    expect(fx.dp.ip('-6 neigh show 2001:db8:9::7').stdout).toBe('2001:db8:9::7 dev eth0 lladdr 02:00:00:00:00:07 STALE \n');
  });

  it('with accept_redirects 0 on the device, or forwarding on: ignored', async () => {
    for (const [name, v] of [['net.ipv6.conf.eth0.accept_redirects', 0], ['net.ipv6.conf.eth0.forwarding', 1]] as const) {
      const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
      fx.dp.sysctl(name, v);
      fx.rx('eth0', redirect('fe80::2', 'fe80::3', '2001:db8:9::5', '02:00:00:00:00:03'));
      expect({ name, out: fx.dp.ip('-6 route get 2001:db8:9::5').stdout }).toEqual({ name, out: expect.stringContaining('via fe80::2 dev eth0') });
      expect(fx.mib()['Icmp6:InRedirects']).toBe(1);
    }
  });
});

describe('a Redirect sent (RFC 4861 8.2)', () => {
  const LINKS: LinkCfg[] = [{ name: 'eth0', mac: R_MAC, v6: ['2001:db8:1::1/64'] }];
  const ROUTES: RouteCfg[] = [{ dst: '2001:db8:9::/48', dev: 'eth0', via: 'fe80::3' }];
  const NEIGH: NeighCfg[] = [
    { dev: 'eth0', addr: '2001:db8:1::2', mac: H_MAC },
    { dev: 'eth0', addr: 'fe80::3', mac: '02:00:00:00:00:03' },
  ];
  const SYSCTLS = { 'net.ipv6.conf.all.forwarding': 1 };
  const datagram = (dst: string, seq: number): Uint8Array =>
    ipv6({ src: '2001:db8:1::2', dst, nh: 58, hlim: 64 }, echo6('2001:db8:1::2', dst, 6, seq, new Uint8Array(8)));

  it('to the sender of a datagram forwarded back out its input device: target, destination, TLLA, the datagram quoted', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH, { sysctls: SYSCTLS });
    const d = datagram('2001:db8:9::5', 1);
    const out = fx.rx('eth0', eth({ dst: R_MAC, src: H_MAC, type: 0x86dd }, d)).get('eth0') ?? [];
    // the redirected header option: type 4, length in 8-octet units, 6 reserved bytes, the datagram as
    // received (hop limit not yet decremented), within a 1280-byte packet
    const rh = concat(Uint8Array.from([4, (8 + d.length) / 8, 0, 0, 0, 0, 0, 0]), d);
    const body = Uint8Array.from([...ipv6Bytes('fe80::3'), ...ipv6Bytes('2001:db8:9::5'), 2, 1, ...mac('02:00:00:00:00:03'), ...rh]);
    const expected = eth({ dst: H_MAC, src: R_MAC, type: 0x86dd },
      ipv6({ src: R_LL, dst: '2001:db8:1::2', nh: 58, hlim: 255 }, icmp6(R_LL, '2001:db8:1::2', 137, 0, [0, 0, 0, 0], body)));
    expect(out.length).toBe(2);
    expect(hex(out[0]!)).toBe(hex(expected));
    // then the datagram itself, forwarded to the router on the link (hop limit 63)
    expect(hex(out[1]!.subarray(0, 6))).toBe('020000000003');
    expect(out[1]![ETH_HLEN + 7]).toBe(63);
    expect(fx.mib()['Icmp6:OutRedirects']).toBe(1);
    expect(fx.mib()['Ip6:OutForwDatagrams']).toBe(1);
    // one a second per destination and per source (inet_peer_xrlim_allow, 1 s a message, a burst of
    // XRLIM_BURST_FACTOR 6 from a new peer): five more go with a redirect, the seventh is only forwarded
    const types = (seq: number): number[] =>
      (fx.rx('eth0', eth({ dst: R_MAC, src: H_MAC, type: 0x86dd }, datagram('2001:db8:9::5', seq))).get('eth0') ?? []).map((f) => f[ETH_HLEN + 40]!);
    for (let seq = 2; seq <= 6; seq++) expect({ seq, types: types(seq) }).toEqual({ seq, types: [137, 128] });
    expect(types(7)).toEqual([128]);
    expect(fx.mib()['Icmp6:OutRedirects']).toBe(6);
    // a second later the bucket holds one message again
    fx.advance(1000);
    expect(types(8)).toEqual([137, 128]);
    expect(types(9)).toEqual([128]);
  });

  it('without the target\'s link-layer address while its entry is not valid', async () => {
    const fx = await Fixture.create(LINKS, [{ dst: '2001:db8:9::/48', dev: 'eth0', via: 'fe80::8' }], NEIGH, { sysctls: SYSCTLS });
    const out = fx.rx('eth0', eth({ dst: R_MAC, src: H_MAC, type: 0x86dd }, datagram('2001:db8:9::5', 1))).get('eth0') ?? [];
    const redirects = out.filter((f) => f[ETH_HLEN + 40] === 137);
    expect(redirects.length).toBe(1);
    // target, destination, then straight to the redirected header option (type 4)
    expect(redirects[0]![ETH_HLEN + 40 + 40]).toBe(4);
  });
});
