// SocketTable's multicast calls without a kernel beside them: argument errors, the device groups they
// make (users counted per group, newest first, gone with the last membership or the socket), the
// kernel's default limits (net.ipv4.igmp_max_memberships 20, igmp_max_msf 10, net.ipv6.mld_max_msf 64),
// and IP_MULTICAST_IF's ip_mreqn form. The kernel comparisons are udp_mcast_kernel.test.ts,
// mcast_report_kernel.test.ts and dgram_mcast.test.ts.

import { describe, expect, it } from 'vitest';
import { Fixture, concat, eth, inetChecksum, ipv4, ipv6, udp4 } from '../net/support.js';
import { H_MAC, LINKS, NEIGH, be16 } from './support.js';
import { ipv6Bytes } from '../../src/control/addresses.js';
import { SocketError } from '../../src/control/sockets.js';
import { WxdpError } from '../../src/errors.js';

const errnoOf = (f: () => void): string => {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (e instanceof SocketError) return e.errno;
    throw e;
  }
};

describe('SocketTable.membership', () => {
  it('refuses a source where none belongs, none where one is needed, and an unknown operation (USAGE); bad text is EINVAL', async () => {
    const fx = await Fixture.create(LINKS, [], NEIGH);
    const t = fx.dp.socketTable;
    const s = t.create({ family: 'inet' });
    expect(() => t.membership(s, 'join', '239.1.1.1', { source: '192.0.2.2' })).toThrow(WxdpError);
    expect(() => t.membership(s, 'joinSource', '232.1.1.1')).toThrow(/IP_ADD_SOURCE_MEMBERSHIP: a source address is needed/);
    expect(() => t.membership(s, 'nope' as 'join', '239.1.1.1')).toThrow(/unknown membership operation 'nope'/);
    expect(errnoOf(() => t.membership(s, 'join', '239.1.1.300', { iface: '192.0.2.1' }))).toBe('EINVAL');
    expect(errnoOf(() => t.membership(s, 'join', 'ff02::1:2', { iface: 1 }))).toBe('ENOPROTOOPT'); // IPv6 level on AF_INET
    expect(errnoOf(() => t.membership(999, 'join', '239.1.1.1'))).toBe('EBADF');
  });

  it('device groups: users per group, newest first, both families; gone with the last membership and with the socket', async () => {
    const fx = await Fixture.create(LINKS, [], NEIGH);
    const t = fx.dp.socketTable;
    const eth0 = fx.devs.get('eth0')!.ifindex;
    const a = t.create({ family: 'inet' });
    const b = t.create({ family: 'inet6' });
    t.membership(a, 'join', '239.1.1.1', { iface: '192.0.2.1' });
    t.membership(b, 'join', '239.1.1.1', { iface: eth0 }); // an IPv4 group on an IPv6 socket (IP_ADD_MEMBERSHIP)
    t.membership(b, 'join', 'ff15::7', { iface: eth0 });
    expect(t.deviceGroups()).toEqual([
      { ifindex: eth0, family: 'inet6', group: 'ff15::7', users: 1 },
      { ifindex: eth0, family: 'inet', group: '239.1.1.1', users: 2 },
    ]);
    t.membership(a, 'leave', '239.1.1.1', { iface: '192.0.2.1' });
    expect(t.deviceGroups().map((g) => [g.group, g.users])).toEqual([['ff15::7', 1], ['239.1.1.1', 1]]);
    t.close(b); // ip_mc_drop_socket / ipv6_sock_mc_close
    expect(t.deviceGroups()).toEqual([]);
  });

  it('a device that goes away takes its groups; the socket keeps its membership until it leaves it by ifindex (ip_mc_leave_group without the device)', async () => {
    const fx = await Fixture.create(LINKS, [], NEIGH);
    const t = fx.dp.socketTable;
    fx.ip('link add link eth0 name eth0.7 type vlan id 7');
    fx.ip('link set eth0.7 up');
    fx.ip('addr add 203.0.113.1/24 dev eth0.7');
    const vlan = fx.dp.links.ifindex('eth0.7');
    const s = t.create({ family: 'inet' });
    t.membership(s, 'join', '239.7.7.7', { iface: '203.0.113.1' });
    t.membership(s, 'join', '239.7.7.7', { iface: '192.0.2.1' });
    expect(t.deviceGroups().map((g) => g.ifindex)).toEqual([fx.devs.get('eth0')!.ifindex, vlan]);
    fx.ip('link del eth0.7');
    // the kernel answers the same (a Python socket's ip_mreqn leave after its veth was deleted: ok, then EADDRNOTAVAIL)
    expect(t.deviceGroups().map((g) => g.ifindex)).toEqual([fx.devs.get('eth0')!.ifindex]);
    expect(errnoOf(() => t.membership(s, 'leave', '239.7.7.7', { iface: vlan }))).toBe('ok');
    expect(errnoOf(() => t.membership(s, 'leave', '239.7.7.7', { iface: vlan }))).toBe('EADDRNOTAVAIL');
    t.close(s);
    expect(t.deviceGroups()).toEqual([]);
  });

  it('the kernel\'s default limits: a 21st group ENOBUFS, an 11th IPv4 source ENOBUFS, a 65th IPv6 source ENOBUFS', async () => {
    const fx = await Fixture.create(LINKS, [], NEIGH);
    const t = fx.dp.socketTable;
    const eth0 = fx.devs.get('eth0')!.ifindex;
    const s = t.create({ family: 'inet' });
    for (let i = 1; i <= 20; i++) t.membership(s, 'join', `239.2.0.${i}`, { iface: '192.0.2.1' });
    expect(errnoOf(() => t.membership(s, 'join', '239.2.0.21', { iface: '192.0.2.1' }))).toBe('ENOBUFS');
    const u = t.create({ family: 'inet' });
    for (let i = 1; i <= 10; i++) t.membership(u, 'joinSource', '232.2.2.2', { source: `198.51.100.${i}`, iface: '192.0.2.1' });
    expect(errnoOf(() => t.membership(u, 'joinSource', '232.2.2.2', { source: '198.51.100.11', iface: '192.0.2.1' }))).toBe('ENOBUFS');
    const v = t.create({ family: 'inet6' });
    for (let i = 1; i <= 64; i++) t.membership(v, 'joinSource', 'ff35::9', { source: `2001:db8:9::${i.toString(16)}`, iface: eth0 });
    expect(errnoOf(() => t.membership(v, 'joinSource', 'ff35::9', { source: '2001:db8:9::ff', iface: eth0 }))).toBe('ENOBUFS');
  });

  it('IP_MULTICAST_IF by ifindex (ip_mreqn); EADDRNOTAVAIL for no such device, EINVAL against SO_BINDTODEVICE', async () => {
    const fx = await Fixture.create(LINKS, [], NEIGH);
    const t = fx.dp.socketTable;
    const eth0 = fx.devs.get('eth0')!.ifindex;
    const s = t.create({ family: 'inet' });
    t.setMulticastIf4(s, eth0);
    expect(errnoOf(() => t.setMulticastIf4(s, 3999))).toBe('EADDRNOTAVAIL');
    t.setOption(s, 'SO_BINDTODEVICE', 1);
    expect(errnoOf(() => t.setMulticastIf4(s, eth0))).toBe('EINVAL');
    expect(errnoOf(() => t.setMulticastIf4(s, '0.0.0.0'))).toBe('ok');
  });
});

const nonzero = (r: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== 0));

describe('frames to a group the device is not in for this source', () => {
  const g4 = (group: string, mac: string): Uint8Array =>
    eth({ dst: mac, src: H_MAC, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: group, proto: 17, ttl: 1 }, udp4('192.0.2.2', group, 4000, 5000, Uint8Array.of(1, 2, 3))));
  function g6(group: string, src: string): Uint8Array {
    const u = Uint8Array.from([...be16(4000), ...be16(5000), 0, 11, 0, 0, 1, 2, 3]);
    const c = inetChecksum(Uint8Array.from([...ipv6Bytes(src), ...ipv6Bytes(group), 0, 0, 0, 11, 0, 0, 0, 17]), u) || 0xffff;
    u[6] = c >> 8;
    u[7] = c & 0xff;
    return eth({ dst: '33:33:00:00:00:09', src: H_MAC, type: 0x86dd }, concat(ipv6({ src, dst: group, nh: 17, hlim: 1 }, u)));
  }

  it('IPv4, no socket joined: the input route drops it (NOT_SPECIFIED), counted only as received', async () => {
    const fx = await Fixture.create(LINKS, [], NEIGH);
    const before = fx.mib();
    fx.rx('eth0', g4('239.9.9.9', '01:00:5e:09:09:09'));
    const after = fx.mib();
    const moved = Object.fromEntries(Object.keys(after).filter((n) => after[n] !== before[n]).map((n) => [n, after[n]! - (before[n] ?? 0)]));
    expect(moved).toEqual({ 'Ip:InReceives': 1 });
    expect(nonzero(fx.drops())).toEqual({ NOT_SPECIFIED: 1 });
  });

  it('IPv6, a source-specific group from another source: ip6_protocol_deliver_rcu discards it (InDiscards, IP_INADDRERRORS)', async () => {
    const fx = await Fixture.create(LINKS, [], NEIGH);
    const t = fx.dp.socketTable;
    const s = t.create({ family: 'inet6' });
    t.bind(s, '::', 5000);
    t.membership(s, 'joinSource', 'ff3e::9', { source: '2001:db8:1::2', iface: fx.devs.get('eth0')!.ifindex });
    fx.tx();
    fx.rx('eth0', g6('ff3e::9', '2001:db8:1::3'));
    expect(fx.mib()['Ip6:InDiscards']).toBe(1);
    expect(nonzero(fx.drops())).toEqual({ IP_INADDRERRORS: 1 });
    fx.rx('eth0', g6('ff3e::9', '2001:db8:1::2'));
    expect(t.recv(s)?.address).toBe('2001:db8:1::2');
  });
});
