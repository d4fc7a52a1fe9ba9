// dp.addresses: IPv4 and IPv6 addresses in the kernel's order, with the routes the kernel adds and
// withdraws for them, lifetimes on the stack's clock, and source address selection. Expected values
// are what Linux 6.18 printed for the same `ip` commands in a network namespace (quoted where used),
// or derived by hand from devinet.c / fib_frontend.c / addrconf.c and RFC 6724; links_kernel.test.ts
// runs the same operations against the kernel live.

import { beforeEach, describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import type { AddrSpec } from '../../src/control/net_types.js';
import { AF_INET, CONF4, CONF6 } from '../../src/runtime/net_abi.js';
import { KernelRoutesFake } from './kernel_routes.js';
import { refused } from './refused.js';

interface X {
  netdev_conf_set(ifindex: number, family: number, i: number, v: number): number;
}

let dp: Datapath;
let fib: KernelRoutesFake;

async function setup(): Promise<void> {
  dp = await Datapath.create();
  fib = new KernelRoutesFake(dp);
  dp.addDevice({ name: 'eth0', mac: '02:00:00:00:00:aa' });
  dp.addDevice({ name: 'eth1', mac: '02:00:00:00:00:bb' });
  dp.links.set('eth0', { up: true });
}

const add = (local: string, more: Partial<AddrSpec> = {}) => dp.addresses.add({ local, dev: 'eth0', ...more });
const addrs = (dev = 'eth0', family?: 'inet' | 'inet6') => dp.addresses.show({ dev, ...(family ? { family } : {}) })[0]?.addr_info ?? [];
const locals = (dev = 'eth0', family: 'inet' | 'inet6' = 'inet') => addrs(dev, family).map((a) => `${a.local}/${a.prefixlen}${a.secondary ? ' secondary' : ''}`);
const v4 = (dev = 'eth0') => fib.lines('inet').filter((l) => l.includes(` dev ${dev} `));
const v6 = (dev = 'eth0') => fib.lines('inet6').filter((l) => l.includes(` dev ${dev} `));

describe('IPv4 addresses', () => {
  beforeEach(setup);

  it('keep the kernel order: primaries by scope, a second address in a subnet as its secondary at the end', () => {
    // ip addr add 192.0.2.1/24; 192.0.2.2/24; 198.51.100.1/24 brd +; 203.0.113.5/32;
    // 203.0.113.9 peer 203.0.113.10/32; 192.0.2.77/26 scope link label eth0:x
    add('192.0.2.1/24');
    add('192.0.2.2/24');
    add('198.51.100.1/24', { broadcast: '+' });
    add('203.0.113.5/32');
    add('203.0.113.9', { peer: '203.0.113.10/32' });
    add('192.0.2.77/26', { scope: 'link', label: 'eth0:x' });
    // the kernel printed the link-scope address first (scope 253 sorts before 0) and the secondary last
    expect(locals()).toEqual(['192.0.2.77/26', '192.0.2.1/24', '198.51.100.1/24', '203.0.113.5/32', '203.0.113.9/32', '192.0.2.2/24 secondary']);
    const a = addrs();
    expect(a[0]).toEqual({ family: 'inet', local: '192.0.2.77', prefixlen: 26, scope: 'link', label: 'eth0:x', valid_life_time: 4294967295, preferred_life_time: 4294967295 });
    expect(a[2]).toEqual({ family: 'inet', local: '198.51.100.1', prefixlen: 24, broadcast: '198.51.100.255', scope: 'global', label: 'eth0', valid_life_time: 4294967295, preferred_life_time: 4294967295 });
    expect(a[4]).toEqual({ family: 'inet', local: '203.0.113.9', address: '203.0.113.10', prefixlen: 32, scope: 'global', label: 'eth0', valid_life_time: 4294967295, preferred_life_time: 4294967295 });
    expect(a[5]!.secondary).toBe(true);
  });

  it('add the routes the kernel showed: local and broadcast in table local, the prefix in main, prefsrc the primary', () => {
    add('192.0.2.1/24');
    add('192.0.2.2/24');
    add('198.51.100.1/24', { broadcast: '+' });
    add('203.0.113.5/32');
    add('203.0.113.9', { peer: '203.0.113.10/32' });
    add('192.0.2.77/26', { scope: 'link' });
    add('203.0.113.129/25', { noprefixroute: true });
    expect(v4()).toEqual(
      [
        'local broadcast 192.0.2.127/32 dev eth0 scope link src 192.0.2.77 metric 0',
        'local broadcast 192.0.2.255/32 dev eth0 scope link src 192.0.2.1 metric 0',
        'local broadcast 198.51.100.255/32 dev eth0 scope link src 198.51.100.1 metric 0',
        'local broadcast 203.0.113.255/32 dev eth0 scope link src 203.0.113.129 metric 0',
        'local local 192.0.2.1/32 dev eth0 scope host src 192.0.2.1 metric 0',
        'local local 192.0.2.2/32 dev eth0 scope host src 192.0.2.1 metric 0',
        'local local 192.0.2.77/32 dev eth0 scope host src 192.0.2.77 metric 0',
        'local local 198.51.100.1/32 dev eth0 scope host src 198.51.100.1 metric 0',
        'local local 203.0.113.129/32 dev eth0 scope host src 203.0.113.129 metric 0',
        'local local 203.0.113.5/32 dev eth0 scope host src 203.0.113.5 metric 0',
        'local local 203.0.113.9/32 dev eth0 scope host src 203.0.113.9 metric 0',
        'main unicast 192.0.2.0/24 dev eth0 scope link src 192.0.2.1 metric 0',
        'main unicast 192.0.2.64/26 dev eth0 scope link src 192.0.2.77 metric 0',
        'main unicast 198.51.100.0/24 dev eth0 scope link src 198.51.100.1 metric 0',
        'main unicast 203.0.113.10/32 dev eth0 scope link src 203.0.113.9 metric 0',
      ].sort(),
    );
  });

  it('on a link that is down add only the local route, and the rest when it comes up', () => {
    dp.addresses.add({ local: '192.0.2.1/24', dev: 'eth1' });
    expect(v4('eth1')).toEqual(['local local 192.0.2.1/32 dev eth1 scope host src 192.0.2.1 metric 0']);
    dp.links.set('eth1', { up: true });
    expect(v4('eth1')).toHaveLength(3);
    // down: the kernel kept only the local routes (fib_sync_down_dev spares host-scope next hops)
    dp.links.set('eth1', { up: false });
    expect(v4('eth1')).toEqual(['local local 192.0.2.1/32 dev eth1 scope host src 192.0.2.1 metric 0']);
    expect(locals('eth1')).toEqual(['192.0.2.1/24']);
  });

  it('delete a primary with its secondaries when promote_secondaries is off (the kernel default)', () => {
    add('192.0.2.1/24');
    add('192.0.2.2/24');
    add('192.0.2.3/24');
    add('198.51.100.1/24');
    dp.addresses.del({ local: '192.0.2.1/24', dev: 'eth0' });
    expect(locals()).toEqual(['198.51.100.1/24']);
    expect(v4().filter((l) => l.includes('192.0.2.'))).toEqual([]);
  });

  it('promote the first secondary with promote_secondaries, behind the last primary, routes re-made with its prefsrc', () => {
    (dp.fastPath.exports as unknown as X).netdev_conf_set(dp.links.ifindex('eth0'), AF_INET, CONF4.PROMOTE_SECONDARIES, 1);
    add('192.0.2.1/24');
    add('198.51.100.1/24');
    add('192.0.2.2/24');
    add('192.0.2.3/24');
    dp.addresses.del({ local: '192.0.2.1/24', dev: 'eth0' });
    // the kernel: "198.51.100.1, 192.0.2.2 (primary), 192.0.2.3 secondary", prefsrc 192.0.2.2 throughout
    expect(locals()).toEqual(['198.51.100.1/24', '192.0.2.2/24', '192.0.2.3/24 secondary']);
    expect(v4().filter((l) => l.includes('192.0.2.'))).toEqual(
      [
        'local broadcast 192.0.2.255/32 dev eth0 scope link src 192.0.2.2 metric 0',
        'local local 192.0.2.2/32 dev eth0 scope host src 192.0.2.2 metric 0',
        'local local 192.0.2.3/32 dev eth0 scope host src 192.0.2.2 metric 0',
        'main unicast 192.0.2.0/24 dev eth0 scope link src 192.0.2.2 metric 0',
      ].sort(),
    );
  });

  it('keep a broadcast route another address still needs, and the local route of a local address used twice', () => {
    add('192.0.2.1/24');
    add('192.0.2.1/25'); // another subnet (the mask differs): allowed, a second primary
    dp.addresses.del({ local: '192.0.2.1/25', dev: 'eth0' });
    expect(v4()).toContain('local local 192.0.2.1/32 dev eth0 scope host src 192.0.2.1 metric 0');
    expect(v4()).toContain('local broadcast 192.0.2.255/32 dev eth0 scope link src 192.0.2.1 metric 0');
    expect(v4()).not.toContain('local broadcast 192.0.2.127/32 dev eth0 scope link src 192.0.2.1 metric 0');
  });

  it('take every IPv4 route of the device (forced) when its last address goes', () => {
    add('192.0.2.1/24');
    dp.addresses.del({ local: '192.0.2.1/24', dev: 'eth0' });
    expect(fib.log).toContain(`down ${dp.links.ifindex('eth0')} inet force`);
  });

  it('delete by the address alone when no prefix length is given (iproute2 wildcard deletion)', () => {
    add('192.0.2.1/24');
    dp.addresses.del({ local: '192.0.2.1', dev: 'eth0' });
    expect(locals()).toEqual([]);
  });

  it('refuse what the kernel refuses, in its words', () => {
    add('192.0.2.77/26', { scope: 'link' });
    expect(refused(() => add('192.0.2.77/26'))).toMatchObject({ errno: 'EEXIST', message: 'Error: ipv4: Address already assigned.' });
    expect(refused(() => add('192.0.2.78/26'))).toMatchObject({ errno: 'EINVAL', message: 'Error: ipv4: Invalid scope value.' });
    expect(refused(() => dp.addresses.del({ local: '192.0.2.199/24', dev: 'eth0' }))).toMatchObject({ errno: 'EADDRNOTAVAIL', message: 'Error: ipv4: Address not found.' });
    expect(refused(() => add('1.2.3.4/33'))).toMatchObject({ errno: 'EINVAL', message: 'Error: any valid prefix is expected rather than "1.2.3.4/33".' });
    expect(refused(() => add('bogus'))).toMatchObject({ errno: 'EINVAL', message: 'Error: any valid prefix is expected rather than "bogus".' });
    expect(refused(() => dp.addresses.add({ local: '192.0.2.1/24', dev: 'nope' }))).toMatchObject({ errno: 'ENODEV', message: 'Cannot find device "nope"' });
    expect(refused(() => add('192.0.2.1/24', { validLft: 0 }))).toMatchObject({ errno: 'EINVAL', message: 'valid_lft is zero' });
    expect(refused(() => add('192.0.2.1/24', { validLft: 10, preferredLft: 20 }))).toMatchObject({ message: 'preferred_lft is greater than valid_lft' });
    expect(refused(() => add('192.0.2.1/24', { label: 'eth0:0123456789abc' }))).toMatchObject({ errno: 'EINVAL', message: 'Error: Attribute failed policy validation.' });
    expect(refused(() => add('192.0.2.1/24', { scope: 'bogus' as never }))).toMatchObject({ errno: 'EINVAL' });
  });

  it('ignore 0.0.0.0 as the kernel does', () => {
    add('0.0.0.0/8');
    expect(locals()).toEqual([]);
  });

  it('take `change` for an address that is not there as an add, as the kernel does', () => {
    dp.addresses.add({ local: '192.0.2.9/24', dev: 'eth0' }, { change: true });
    expect(locals()).toEqual(['192.0.2.9/24']);
  });

  it('replace an address: new lifetimes, and the prefix route moves to the new metric', () => {
    add('192.0.2.1/24');
    dp.addresses.add({ local: '192.0.2.1/24', dev: 'eth0', metric: 50, validLft: 100, preferredLft: 100 }, { replace: true });
    expect(v4()).toContain('main unicast 192.0.2.0/24 dev eth0 scope link src 192.0.2.1 metric 50');
    expect(v4()).not.toContain('main unicast 192.0.2.0/24 dev eth0 scope link src 192.0.2.1 metric 0');
    expect(addrs()[0]).toMatchObject({ dynamic: true, valid_life_time: 100, preferred_life_time: 100 });
  });

  it('count lifetimes down on the stack clock, deprecate, then delete (check_lifetime)', () => {
    add('192.0.2.1/24');
    add('192.0.2.50/24', { validLft: 100, preferredLft: 50 });
    // the kernel printed: secondary, dynamic, label, valid_life_time 100, preferred_life_time 50
    expect(addrs()[1]).toEqual({ family: 'inet', local: '192.0.2.50', prefixlen: 24, scope: 'global', secondary: true, dynamic: true, label: 'eth0', valid_life_time: 100, preferred_life_time: 50 });
    dp.stack.advance(30_000);
    expect(addrs()[1]).toMatchObject({ valid_life_time: 70, preferred_life_time: 20 });
    dp.stack.advance(20_000);
    expect(addrs()[1]).toMatchObject({ deprecated: true, preferred_life_time: 0 });
    dp.stack.advance(50_000);
    expect(locals()).toEqual(['192.0.2.1/24']);
    expect(v4()).not.toContain('local local 192.0.2.50/32 dev eth0 scope host src 192.0.2.1 metric 0');
  });

  it('flush every address of a device, in show order', () => {
    add('192.0.2.1/24');
    add('192.0.2.2/24');
    add('198.51.100.1/24');
    add('2001:db8::1/64', { nodad: true });
    expect(dp.addresses.flush('eth0', { family: 'inet' })).toBe(2);
    expect(locals()).toEqual([]);
    expect(locals('eth0', 'inet6')).toHaveLength(2);
    dp.addresses.flush('eth0');
    expect(addrs()).toEqual([]);
  });

  it('relabel addresses on rename as inetdev_changename does', () => {
    add('192.0.2.77/26', { scope: 'link', label: 'eth0:x' });
    add('192.0.2.1/24');
    add('198.51.100.1/24');
    dp.links.set('eth0', { up: false });
    dp.links.set('eth0', { name: 'w0' });
    // the kernel printed "w0", then "w0:2" ... for addresses without a colon label
    expect(addrs('w0').map((a) => a.label)).toEqual(['w0', 'w0:2', 'w0:3']);
  });

  it('take all IPv4 addresses away below 68 bytes of MTU (inetdev_destroy)', () => {
    add('192.0.2.1/24');
    dp.links.add({ name: 'd0', kind: 'dummy' });
    dp.addresses.add({ local: '198.51.100.1/24', dev: 'd0' });
    dp.links.set('d0', { mtu: 60 });
    expect(locals('d0')).toEqual([]);
    expect(refused(() => dp.addresses.add({ local: '198.51.100.1/24', dev: 'd0' }))).toMatchObject({ errno: 'ENOBUFS', message: 'RTNETLINK answers: No buffer space available' });
    expect(refused(() => dp.addresses.del({ local: '198.51.100.1/24', dev: 'd0' }))).toMatchObject({ errno: 'ENODEV', message: 'Error: ipv4: Device not found.' });
  });

  it('name the device that is not there, and the scope that is not one', () => {
    expect(refused(() => dp.addresses.list({ dev: 'nope' }))).toMatchObject({ errno: 'ENODEV', message: 'Cannot find device "nope"' });
    expect(refused(() => dp.addresses.flush('nope'))).toMatchObject({ errno: 'ENODEV' });
    expect(refused(() => dp.addresses.selectSource4('eth0', '192.0.2.1', 300))).toMatchObject({ errno: 'EINVAL' });
    expect(refused(() => dp.addresses.selectSource6('2001:db8::1', 'nope'))).toMatchObject({ errno: 'ENODEV' });
  });

  it('list every address flat with its link, as the ip front end reads them', () => {
    add('192.0.2.1/24');
    dp.addresses.add({ local: '198.51.100.1/24', dev: 'eth1' });
    expect(dp.addresses.list({ family: 'inet' }).map((a) => `${a.dev} ${a.local}`)).toEqual(['eth0 192.0.2.1', 'eth1 198.51.100.1']);
  });
});

describe('loopback', () => {
  beforeEach(setup);

  it('gets 127.0.0.1/8 and ::1 when it comes up, with the routes the kernel showed', () => {
    dp.links.set('lo', { up: true });
    expect(addrs('lo')).toEqual([
      { family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host', label: 'lo', valid_life_time: 4294967295, preferred_life_time: 4294967295 },
      { family: 'inet6', local: '::1', prefixlen: 128, scope: 'host', valid_life_time: 4294967295, preferred_life_time: 4294967295 },
    ]);
    expect(fib.lines().filter((l) => l.includes(' dev lo '))).toEqual(
      [
        'local broadcast 127.255.255.255/32 dev lo scope link src 127.0.0.1 metric 0',
        'local local 127.0.0.0/8 dev lo scope host src 127.0.0.1 metric 0',
        'local local 127.0.0.1/32 dev lo scope host src 127.0.0.1 metric 0',
        'local local ::1/128 dev lo metric 0',
      ].sort(),
    );
  });

  it('keeps 127.0.0.1 but loses ::1 when it goes down, as the kernel printed', () => {
    dp.links.set('lo', { up: true });
    dp.links.set('lo', { up: false });
    expect(addrs('lo').map((a) => a.local)).toEqual(['127.0.0.1']);
    expect(fib.lines().filter((l) => l.includes(' dev lo '))).toEqual([
      'local local 127.0.0.0/8 dev lo scope host src 127.0.0.1 metric 0',
      'local local 127.0.0.1/32 dev lo scope host src 127.0.0.1 metric 0',
    ]);
    dp.links.set('lo', { up: true });
    expect(addrs('lo').map((a) => a.local)).toEqual(['127.0.0.1', '::1']);
  });
});

describe('IPv6 addresses', () => {
  beforeEach(setup);

  it('get the EUI-64 link-local address, fe80::/64 and ff00::/8 when the link comes up', () => {
    // MAC 02:00:00:00:00:aa: the universal/local bit flipped, ff:fe in the middle
    expect(addrs('eth0', 'inet6')).toEqual([{ family: 'inet6', local: 'fe80::ff:fe00:aa', prefixlen: 64, scope: 'link', valid_life_time: 4294967295, preferred_life_time: 4294967295 }]);
    expect(v6()).toEqual(['local local fe80::ff:fe00:aa/128 dev eth0 metric 0', 'local multicast ff00::/8 dev eth0 metric 256', 'main unicast fe80::/64 dev eth0 metric 256']);
  });

  it('sort by scope, the newest first within one, as the kernel listed them', () => {
    add('2001:db8::1/64', { nodad: true });
    add('2001:db8::2/64', { nodad: true });
    add('2001:db8:1::1/64', { nodad: true });
    add('fe80::99/64', { nodad: true });
    expect(addrs('eth0', 'inet6').map((a) => a.local)).toEqual(['2001:db8:1::1', '2001:db8::2', '2001:db8::1', 'fe80::99', 'fe80::ff:fe00:aa']);
  });

  it('add the local route in table local and the prefix route in main (a /128 gets one too)', () => {
    add('2001:db8::1/64', { nodad: true });
    add('2001:db8:2::1/128', { nodad: true });
    add('2001:db8:3::1/64', { nodad: true, noprefixroute: true });
    add('2001:db8:4::1/64', { nodad: true, validLft: 100, preferredLft: 50 });
    add('fe80::99/64', { nodad: true });
    expect(v6()).toEqual(
      [
        'local local 2001:db8::1/128 dev eth0 metric 0',
        'local local 2001:db8:2::1/128 dev eth0 metric 0',
        'local local 2001:db8:3::1/128 dev eth0 metric 0',
        'local local 2001:db8:4::1/128 dev eth0 metric 0',
        'local local fe80::99/128 dev eth0 metric 0',
        'local local fe80::ff:fe00:aa/128 dev eth0 metric 0',
        'local multicast ff00::/8 dev eth0 metric 256',
        'main unicast 2001:db8::/64 dev eth0 metric 256',
        'main unicast 2001:db8:2::1/128 dev eth0 metric 256',
        'main unicast 2001:db8:4::/64 dev eth0 metric 256',
        'main unicast fe80::/64 dev eth0 metric 256',
      ].sort(),
    );
    expect(fib.routes.find((r) => r.dst === '2001:db8:4::/64')!.expires).toBe(100);
    expect(addrs('eth0', 'inet6').find((a) => a.local === '2001:db8:4::1')).toEqual({
      family: 'inet6',
      local: '2001:db8:4::1',
      prefixlen: 64,
      scope: 'global',
      nodad: true,
      dynamic: true,
      valid_life_time: 100,
      preferred_life_time: 50,
    });
  });

  it('keep the prefix route while another address of the same prefix and length needs it', () => {
    add('2001:db8::1/64', { nodad: true });
    add('2001:db8::2/64', { nodad: true });
    dp.addresses.del({ local: '2001:db8::1/64', dev: 'eth0' });
    expect(v6()).toContain('main unicast 2001:db8::/64 dev eth0 metric 256');
    dp.addresses.del({ local: '2001:db8::2/64', dev: 'eth0' });
    expect(v6()).not.toContain('main unicast 2001:db8::/64 dev eth0 metric 256');
    // the kernel took the /64 although 2001:db8:a::2/48 shares its first 64 bits: lengths must match too
    add('2001:db8:a::1/64', { nodad: true });
    add('2001:db8:a::2/48', { nodad: true });
    dp.addresses.del({ local: '2001:db8:a::1/64', dev: 'eth0' });
    expect(v6().filter((l) => l.includes('2001:db8:a:'))).toEqual(['local local 2001:db8:a::2/128 dev eth0 metric 0', 'main unicast 2001:db8:a::/48 dev eth0 metric 256']);
  });

  it('give the prefix route a lifetime when only a dynamic address of the prefix is left', () => {
    add('2001:db8:b::1/64', { nodad: true });
    add('2001:db8:b::2/64', { nodad: true, validLft: 300, preferredLft: 300 });
    dp.addresses.del({ local: '2001:db8:b::1/64', dev: 'eth0' });
    expect(fib.routes.find((r) => r.dst === '2001:db8:b::/64')).toBeDefined();
  });

  it('route to a peer and prefix by the peer length (/128 without one)', () => {
    add('2001:db8:c::1/64', { peer: '2001:db8:c::2', nodad: true });
    expect(addrs('eth0', 'inet6')[0]).toMatchObject({ local: '2001:db8:c::1', address: '2001:db8:c::2', prefixlen: 128 });
    expect(v6()).toEqual(expect.arrayContaining(['main unicast 2001:db8:c::1/128 dev eth0 metric 256', 'main unicast 2001:db8:c::2/128 dev eth0 metric 256']));
    dp.addresses.del({ local: '2001:db8:c::1/128', dev: 'eth0' });
    expect(v6().filter((l) => l.includes('2001:db8:c:'))).toEqual([]);
  });

  it('stay tentative on a link that is not ready, and complete when it is', () => {
    dp.links.add({ name: 'v0', kind: 'veth', peer: { name: 'v1' } });
    dp.links.set('v0', { up: true });
    dp.addresses.add({ local: '2001:db8:7::1/64', dev: 'v0' });
    dp.addresses.add({ local: '2001:db8:8::1/64', dev: 'v0', nodad: true });
    expect(addrs('v0', 'inet6').map((a) => [a.local, a.tentative ?? false])).toEqual([
      ['2001:db8:8::1', false],
      ['2001:db8:7::1', true],
    ]);
    expect(v6('v0')).toEqual(['local local 2001:db8:8::1/128 dev v0 metric 0', 'local multicast ff00::/8 dev v0 metric 256', 'main unicast 2001:db8:7::/64 dev v0 metric 256', 'main unicast 2001:db8:8::/64 dev v0 metric 256']);
    expect(dp.addresses.selectSource6('2001:db8:7::99', 'v0')).toBe('2001:db8:8::1');
    dp.links.set('v1', { up: true });
    expect(addrs('v0', 'inet6').map((a) => a.local)).toEqual(['2001:db8:8::1', '2001:db8:7::1', 'fe80::ff:fe00:5']);
    expect(addrs('v0', 'inet6').some((a) => a.tentative)).toBe(false);
    expect(v6('v0')).toContain('local local 2001:db8:7::1/128 dev v0 metric 0');
  });

  it('all go when the link goes down, and the link-local comes back when it is up again', () => {
    add('2001:db8::1/64', { nodad: true });
    dp.links.set('eth0', { up: false });
    expect(addrs('eth0', 'inet6')).toEqual([]);
    expect(v6()).toEqual([]);
    dp.links.set('eth0', { up: true });
    expect(addrs('eth0', 'inet6').map((a) => a.local)).toEqual(['fe80::ff:fe00:aa']);
  });

  it('are added on a link that is down with no prefix route until it comes up', () => {
    dp.addresses.add({ local: '2001:db8:7::1/64', dev: 'eth1', nodad: true });
    expect(v6('eth1')).toEqual(['local local 2001:db8:7::1/128 dev eth1 metric 0']);
    dp.links.set('eth1', { up: true });
    expect(v6('eth1')).toContain('main unicast 2001:db8:7::/64 dev eth1 metric 256');
  });

  it('refuse what the kernel refuses, in its words', () => {
    add('2001:db8:7::1/64', { nodad: true });
    expect(refused(() => add('2001:db8:7::1/64'))).toMatchObject({ errno: 'EEXIST', message: 'Error: ipv6: address already assigned.' });
    expect(refused(() => dp.addresses.del({ local: '2001:db8:99::1/64', dev: 'eth0' }))).toMatchObject({ errno: 'EADDRNOTAVAIL', message: 'Error: ipv6: address not found.' });
    expect(refused(() => add('::/64'))).toMatchObject({ message: 'Error: ipv6: Invalid address.' });
    expect(refused(() => add('ff02::5/64'))).toMatchObject({ message: 'Error: ipv6: Cannot assign multicast address without "IFA_F_MCAUTOJOIN" flag.' });
    expect(refused(() => add('::1/128'))).toMatchObject({ message: 'Error: ipv6: Cannot assign loopback address on this device.' });
    expect(refused(() => add('2001:db8::1/129'))).toMatchObject({ errno: 'EINVAL', message: 'Error: any valid prefix is expected rather than "2001:db8::1/129".' });
    // IPv6 needs 1280 bytes of MTU: below it the device has none
    dp.links.set('eth0', { mtu: 1279 });
    expect(addrs('eth0', 'inet6')).toEqual([]);
    expect(refused(() => add('2001:db8:7::2/64'))).toMatchObject({ errno: 'EINVAL', message: 'RTNETLINK answers: Invalid argument' });
    expect(refused(() => dp.addresses.del({ local: 'fe80::ff:fe00:aa/64', dev: 'eth0' }))).toMatchObject({ errno: 'ENXIO', message: 'Error: ipv6: IPv6 is disabled on this device.' });
    dp.links.set('eth0', { mtu: 1500 });
    expect(addrs('eth0', 'inet6').map((a) => a.local)).toEqual(['fe80::ff:fe00:aa']);
  });

  it('expire on the stack clock (addrconf_verify), the prefix route with them', () => {
    add('2001:db8:4::1/64', { nodad: true, validLft: 10, preferredLft: 5 });
    dp.stack.advance(5_000);
    expect(addrs('eth0', 'inet6')[0]).toMatchObject({ local: '2001:db8:4::1', deprecated: true, preferred_life_time: 0, valid_life_time: 5 });
    dp.stack.advance(5_000);
    expect(addrs('eth0', 'inet6').map((a) => a.local)).toEqual(['fe80::ff:fe00:aa']);
    expect(v6()).not.toContain('local local 2001:db8:4::1/128 dev eth0 metric 0');
  });
});

describe('source address selection', () => {
  beforeEach(setup);

  it('inet_select_addr prefers the primary whose subnet holds the destination, then the first that fits the scope', () => {
    add('192.0.2.1/24');
    add('198.51.100.1/24');
    add('198.51.100.2/24'); // secondary: never chosen
    expect(dp.addresses.selectSource4('eth0', '198.51.100.77', 'link')).toBe('198.51.100.1');
    expect(dp.addresses.selectSource4('eth0', '203.0.113.1', 'link')).toBe('192.0.2.1');
    expect(dp.addresses.selectSource4('eth0', '0.0.0.0', 'host')).toBe('192.0.2.1');
  });

  it('inet_select_addr skips addresses wider than the scope and then asks the other devices, lo first', () => {
    dp.links.set('lo', { up: true });
    add('192.0.2.77/26', { scope: 'link' });
    // scope global wanted: eth0's link-scope address does not do; lo's 127.0.0.1 is host scope: no
    expect(dp.addresses.selectSource4('eth0', '192.0.2.70', 'global')).toBeUndefined();
    dp.addresses.add({ local: '198.51.100.9/24', dev: 'eth1' });
    expect(dp.addresses.selectSource4('eth0', '192.0.2.70', 'global')).toBe('198.51.100.9');
    // a device with no address of its own, scope host: the first device in order with one is lo
    expect(dp.addresses.selectSource4('eth1', '0.0.0.0', 'host')).toBe('198.51.100.9');
    expect(dp.addresses.selectSource4('lo', '0.0.0.0', 'host')).toBe('127.0.0.1');
  });

  it('inet_select_addr takes a host-scope address for link scope with route_localnet', () => {
    add('127.0.0.5/8');
    expect(dp.addresses.selectSource4('eth0', '0.0.0.0', 'link')).toBeUndefined();
    (dp.fastPath.exports as unknown as X).netdev_conf_set(dp.links.ifindex('eth0'), AF_INET, CONF4.ROUTE_LOCALNET, 1);
    expect(dp.addresses.selectSource4('eth0', '0.0.0.0', 'link')).toBe('127.0.0.5');
  });

  it('ipv6_dev_get_saddr: same address, then appropriate scope, then longest matching prefix (RFC 6724 rules 1, 2, 8)', () => {
    add('2001:db8::1/64', { nodad: true });
    add('2001:db8:1::1/64', { nodad: true });
    expect(dp.addresses.selectSource6('2001:db8::1')).toBe('2001:db8::1');
    expect(dp.addresses.selectSource6('2001:db8:1::77')).toBe('2001:db8:1::1');
    expect(dp.addresses.selectSource6('2001:db8::77')).toBe('2001:db8::1');
    // a link-local destination takes the link-local address of the outgoing device only
    expect(dp.addresses.selectSource6('fe80::1', 'eth0')).toBe('fe80::ff:fe00:aa');
  });

  it('ipv6_dev_get_saddr avoids deprecated addresses (rule 3) and skips tentative ones', () => {
    add('2001:db8::1/64', { nodad: true, validLft: 100, preferredLft: 0 });
    add('2001:db8:1::1/64', { nodad: true });
    // 2001:db8::1 matches 64 bits of the destination but is deprecated
    expect(dp.addresses.selectSource6('2001:db8::77')).toBe('2001:db8:1::1');
  });

  it('ipv6_dev_get_saddr prefers the outgoing interface (rule 5) and a matching label (rule 6)', () => {
    dp.links.set('eth1', { up: true });
    dp.addresses.add({ local: '2001:db8:5::1/64', dev: 'eth1', nodad: true });
    add('2001:db8:6::1/64', { nodad: true });
    expect(dp.addresses.selectSource6('2001:db8:7::1', 'eth0')).toBe('2001:db8:6::1');
    expect(dp.addresses.selectSource6('2001:db8:7::1', 'eth1')).toBe('2001:db8:5::1');
    // label 5 (fc00::/7) for the destination: the ULA source wins over the 2001::/32 one (label 6)
    add('fd00::1/64', { nodad: true });
    expect(dp.addresses.selectSource6('fd12::1', 'eth0')).toBe('fd00::1');
  });

  it('net.ipv6.conf.DEV.use_oif_addrs_only keeps the choice on the outgoing device; conf.all does not (the kernel reads the device\'s)', () => {
    dp.links.set('eth1', { up: true });
    dp.addresses.add({ local: '2001:db8:5::1/64', dev: 'eth1', nodad: true });
    // eth0 has only its link-local address: a global one elsewhere wins on scope (rule 2). Linux 6.18,
    // `ip -6 route get` out of a veth with only fe80::: src the other veth's 2001:db8:5::1, the same with
    // all.use_oif_addrs_only=1, the veth's own fe80:: with its own use_oif_addrs_only=1
    expect(dp.addresses.selectSource6('2001:db8:5::77', 'eth0')).toBe('2001:db8:5::1');
    dp.sysctl('net.ipv6.conf.all.use_oif_addrs_only', 1);
    expect(dp.addresses.selectSource6('2001:db8:5::77', 'eth0')).toBe('2001:db8:5::1');
    dp.sysctl('net.ipv6.conf.eth0.use_oif_addrs_only', 1);
    expect(dp.addresses.selectSource6('2001:db8:5::77', 'eth0')).toBe('fe80::ff:fe00:aa');
  });

  it('net.ipv4.conf.all.promote_secondaries reaches every link (IN_DEV_ORCONF)', () => {
    dp.sysctl('net.ipv4.conf.all.promote_secondaries', 1);
    add('192.0.2.1/24');
    add('192.0.2.2/24');
    dp.addresses.del({ local: '192.0.2.1/24', dev: 'eth0' });
    expect(locals()).toEqual(['192.0.2.2/24']);
  });

  it('ipv6_dev_get_saddr answers nothing when no device has an address', async () => {
    const fresh = await Datapath.create();
    expect(fresh.addresses.selectSource6('2001:db8::1')).toBeUndefined();
  });
});

describe('the addresses the stack reads', () => {
  beforeEach(setup);

  it('are published as the entries netdev.ts lays out (network order, flags, prefix, scope)', () => {
    add('192.0.2.1/24');
    add('192.0.2.2/24');
    const rec = (dp.fastPath.exports as unknown as { netdev_get(i: number): number }).netdev_get(dp.links.ifindex('eth0')) >>> 0;
    const v = dp.memory.view();
    const list = v.getUint32(rec + 40, true);
    expect(v.getUint32(list, true)).toBe(2);
    const e1 = list + 8 + 48;
    expect([...dp.memory.bytes().slice(e1, e1 + 4)]).toEqual([192, 0, 2, 2]);
    expect(v.getUint8(e1 + 36)).toBe(24);
    expect(v.getUint16(e1 + 38, true) & 0x01).toBe(0x01); // IFA_F_SECONDARY
    expect(v.getUint32(e1 + 44, true)).toBe(0xffffffff);
  });

  it('ipv6 conf keeps the device MTU (net.ipv6.conf.DEV.mtu)', () => {
    dp.links.set('eth0', { mtu: 1400 });
    const x = dp.fastPath.exports as unknown as { netdev_conf_get(i: number, f: number, k: number): number };
    expect(x.netdev_conf_get(dp.links.ifindex('eth0'), 10, CONF6.MTU)).toBe(1400);
  });
});
