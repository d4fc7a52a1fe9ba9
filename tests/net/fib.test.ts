// The FIB's semantics by hand, where the kernel is not easily asked: record layout, the control
// plane's errors (kernel errno, iproute2 wording), backtracking, rules, ECMP bounds, the dst cache and
// PMTU exceptions. Expected values come from the kernel's sources (fib_trie.c, fib_semantics.c,
// fib_rules.c, route.c), not from wxdp's output.

import { beforeEach, describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { FA, NH, RU } from '../../src/control/fib_layout.js';
import { NetError } from '../../src/control/net_types.js';
import { FL, FR } from '../../src/runtime/net_abi.js';

interface X {
  fib_flow_buf(): number;
  fib_res_buf(): number;
  fib_ctl_lookup(mode: number, table: number): number;
  dst4_route(fl: number, res: number): number;
  dst_pmtu_learn(family: number, dst: number, mtu: number): void;
  dst_pmtu(family: number, dst: number): number;
  net_advance(ms: number): void;
  fib_alloc(n: number): number;
  [k: string]: unknown;
}

let dp: Datapath;
let x: X;

beforeEach(async () => {
  dp = await Datapath.create();
  // eth0 192.0.2.1/26 and eth1 192.0.2.65/26 (their local, broadcast and prefix routes come with the
  // addresses, from dp.addresses), forwarding on; down0 stays down
  for (const line of [
    'link add eth0 index 2 address 02:00:00:00:00:02 type dummy', 'link add eth1 index 3 address 02:00:00:00:00:03 type dummy',
    'link add down0 index 4 type dummy', 'link set lo up', 'link set eth0 up', 'link set eth1 up',
    'addr add 192.0.2.1/26 dev eth0', 'addr add 192.0.2.65/26 dev eth1',
  ]) dp.ip(line);
  dp.sysctls.set('net.ipv4.conf.eth0.forwarding', 1);
  dp.sysctls.set('net.ipv4.conf.eth1.forwarding', 1);
  x = dp.stack.exports<X>();
});

function lookup(dst: string, opts: { iif?: number; oif?: number; tos?: number; mark?: number; src?: string } = {}): { err: number; table: number; plen: number; oif: number; type: number; gw: string } {
  const fl = x.fib_flow_buf();
  const v = dp.memory.view();
  new Uint8Array(v.buffer, fl, 64).fill(0);
  new Uint8Array(v.buffer, fl + FL.DST, 4).set(dst.split('.').map(Number));
  if (opts.src) new Uint8Array(v.buffer, fl + FL.SRC, 4).set(opts.src.split('.').map(Number));
  v.setUint32(fl + FL.IIF, opts.iif ?? 1, true);
  v.setUint32(fl + FL.OIF, opts.oif ?? 0, true);
  v.setUint8(fl + FL.TOS, opts.tos ?? 0);
  v.setUint32(fl + FL.MARK, opts.mark ?? 0, true);
  v.setUint8(fl + FL.FAMILY, 2);
  const err = x.fib_ctl_lookup(0, 0);
  const r = x.fib_res_buf();
  const w = dp.memory.view();
  return {
    err, table: w.getUint32(r + FR.TABLE, true), plen: w.getUint8(r + FR.PREFIXLEN), oif: w.getUint32(r + FR.OIF, true),
    type: w.getUint8(r + FR.TYPE), gw: [...new Uint8Array(w.buffer, r + FR.GW, 4)].join('.'),
  };
}

describe('the FIB record layout', () => {
  it('matches the constants the fast path exports', () => {
    const g = (n: string): number => (x[n] as WebAssembly.Global).value as number;
    expect([g('FA_TYPE'), g('FA_PRIORITY'), g('FA_NHS'), g('FA_PREFSRC'), g('FA_NH'), g('NH_SIZE'), g('NH_GW'), g('NH_UPPER')]).toEqual([FA.TYPE, FA.PRIORITY, FA.NHS, FA.PREFSRC, FA.NH, NH.SIZE, NH.GW, NH.UPPER]);
    expect([g('RU_PREF'), g('RU_TARGET'), g('RU_SRC'), g('RU_DST'), g('RULE_SIZE'), g('RULES_HEADER')]).toEqual([RU.PREF, RU.TARGET, RU.SRC, RU.DST, RU.SIZE, RU.HEADER]);
  });
});

describe('dp.routes', () => {
  it('add refuses a second route with the same prefix, tos and metric with EEXIST "File exists"', () => {
    dp.routes.add({ dst: '198.51.100.0/24', via: '192.0.2.2' });
    expect(() => dp.routes.add({ dst: '198.51.100.0/24', via: '192.0.2.3' })).toThrow(new NetError('EEXIST', 'File exists'));
    dp.routes.add({ dst: '198.51.100.0/24', via: '192.0.2.3', metric: 5 });
    expect(dp.routes.list({ dst: '198.51.100.0/24' }).map((r) => r.gateway)).toEqual(['192.0.2.2', '192.0.2.3']);
  });

  it('refuses a gateway that no link-scope route reaches with ENETUNREACH and keeps what was there', () => {
    dp.routes.add({ dst: '198.51.100.0/24', via: '192.0.2.2' });
    const before = dp.routes.list({ table: 'all' });
    const e = (() => {
      try {
        dp.routes.add({ dst: '203.0.113.0/24', via: '198.51.100.1' });
      } catch (err) {
        return err as NetError;
      }
      return undefined;
    })();
    expect(e?.errno).toBe('ENETUNREACH');
    expect(e?.message).toBe('Error: Nexthop has invalid gateway.');
    expect(dp.routes.list({ table: 'all' })).toEqual(before);
  });

  it('refuses unknown devices (ENODEV), devices that are down (ENETDOWN), host bits (EINVAL), ECN bits in tos (EINVAL)', () => {
    expect(() => dp.routes.add({ dst: '198.51.100.0/24', dev: 'nope' })).toThrow(/Cannot find device "nope"/);
    expect(() => dp.routes.add({ dst: '198.51.100.0/24', dev: 'down0' })).toThrow(expect.objectContaining({ errno: 'ENETDOWN' }));
    expect(() => dp.routes.add({ dst: '198.51.100.1/24', dev: 'eth0' })).toThrow('Error: Invalid prefix for given prefix length.');
    expect(() => dp.routes.add({ dst: '198.51.100.0/24', dev: 'eth0', tos: 0x11 })).toThrow('Error: Invalid dsfield (tos): ECN bits must be 0.');
    expect(() => dp.routes.add({ dst: '198.51.100.0/24', type: 'blackhole', dev: 'eth0' })).toThrow('Error: Gateway, device and multipath can not be specified for this route type.');
    expect(() => dp.routes.add({ dst: '198.51.100.0/24', type: 'local', dev: 'eth0', scope: 'link' })).toThrow('Error: Invalid scope.');
  });

  it('del names a missing route ESRCH "No such process"; change of a missing one is ENOENT', () => {
    expect(() => dp.routes.del({ dst: '198.51.100.0/24' })).toThrow(new NetError('ESRCH', 'No such process'));
    expect(() => dp.routes.change({ dst: '198.51.100.0/24', dev: 'eth0' })).toThrow(new NetError('ENOENT', 'No such file or directory'));
  });

  it('prints routes as ip -j route show does', () => {
    dp.routes.add({ dst: '198.51.100.0/24', nexthops: [{ via: '192.0.2.2', weight: 3 }, { via: '192.0.2.66', dev: 'eth1' }], metric: 7 });
    dp.routes.add({ dst: '203.0.113.0/24', type: 'prohibit', table: 100 });
    expect(dp.routes.list({ dst: '198.51.100.0/24' })).toEqual([
      { dst: '198.51.100.0/24', flags: [], metric: 7, nexthops: [{ gateway: '192.0.2.2', dev: 'eth0', weight: 3, flags: [] }, { gateway: '192.0.2.66', dev: 'eth1', weight: 1, flags: [] }] },
    ]);
    expect(dp.routes.list({ table: 100 })).toEqual([{ dst: '203.0.113.0/24', type: 'prohibit', table: '100', flags: [] }]);
    expect(dp.routes.list({ table: 'local', dst: '192.0.2.1' })[0]).toEqual({ dst: '192.0.2.1', type: 'local', table: 'local', dev: 'eth0', protocol: 'kernel', scope: 'host', prefsrc: '192.0.2.1', flags: [] });
  });

  it('get answers as ip route get, and its errors name the reject type', () => {
    dp.routes.add({ dst: '198.51.100.0/24', via: '192.0.2.2' });
    dp.routes.add({ dst: '203.0.113.0/25', type: 'unreachable' });
    dp.routes.add({ dst: '203.0.113.128/25', type: 'prohibit' });
    // an output route: the source inet_select_addr gives on eth0, the caller's uid, no RTCF_* flags
    expect(dp.routes.get({ to: '198.51.100.9' })).toEqual({ dst: '198.51.100.9', gateway: '192.0.2.2', dev: 'eth0', prefsrc: '192.0.2.1', flags: [], uid: 0, cache: [] });
    // a local address: through the loopback, cache <local>, table main while main and local are merged
    expect(dp.routes.get({ to: '192.0.2.65' })).toEqual({ type: 'local', dst: '192.0.2.65', dev: 'lo', prefsrc: '192.0.2.65', flags: [], uid: 0, cache: ['local'] });
    expect(() => dp.routes.get({ to: '203.0.113.1' })).toThrow(new NetError('EHOSTUNREACH', 'No route to host'));
    expect(() => dp.routes.get({ to: '203.0.113.200' })).toThrow(new NetError('EACCES', 'Permission denied'));
    expect(() => dp.routes.get({ to: '192.0.2.200' })).toThrow(new NetError('ENETUNREACH', 'Network is unreachable'));
  });
});

describe('fib_table_lookup', () => {
  it('backtracks to a shorter prefix when no alias of the longest qualifies (tos, oif)', () => {
    dp.routes.add({ dst: '198.51.100.0/24', via: '192.0.2.2' });
    dp.routes.add({ dst: '198.51.100.0/25', via: '192.0.2.66', tos: 0x10 });
    expect(lookup('198.51.100.5', { tos: 0x10 })).toMatchObject({ err: 0, plen: 25, oif: 3 });
    // 0x30 & 0x1c = 0x10: the legacy TOS bits decide
    expect(lookup('198.51.100.5', { tos: 0x30 })).toMatchObject({ err: 0, plen: 25 });
    expect(lookup('198.51.100.5', { tos: 0 })).toMatchObject({ err: 0, plen: 24, oif: 2 });
    expect(lookup('198.51.100.5', { tos: 0x10, oif: 2 })).toMatchObject({ err: 0, plen: 24, oif: 2 });
  });

  it('finds a prefix through its one route, then through its list when a second route joins, and again alone', () => {
    dp.routes.add({ dst: '198.51.100.0/24', via: '192.0.2.2', metric: 10 });
    expect(lookup('198.51.100.5')).toMatchObject({ err: 0, plen: 24, gw: '192.0.2.2' });
    dp.routes.add({ dst: '198.51.100.0/24', via: '192.0.2.66', metric: 5 });
    expect(lookup('198.51.100.5')).toMatchObject({ err: 0, plen: 24, gw: '192.0.2.66' }); // the lower metric first
    expect(lookup('198.51.100.5', { oif: 2 })).toMatchObject({ err: 0, plen: 24, gw: '192.0.2.2' }); // the second alias
    dp.routes.del({ dst: '198.51.100.0/24', via: '192.0.2.66', metric: 5 });
    expect(lookup('198.51.100.5')).toMatchObject({ err: 0, plen: 24, gw: '192.0.2.2' });
    dp.routes.del({ dst: '198.51.100.0/24', via: '192.0.2.2', metric: 10 });
    expect(lookup('198.51.100.5').err).toBe(-101);
  });

  it('a prefix shorter than /8 answers in every /8 it covers, in main and in local, until it is deleted', () => {
    dp.ip('route add 192.0.0.0/4 via 192.0.2.2');
    expect(lookup('207.1.2.3')).toMatchObject({ err: 0, plen: 4, gw: '192.0.2.2' });
    expect(lookup('208.1.2.3').err).toBe(-101);
    dp.ip('route add local 198.0.0.0/7 dev lo table local');
    expect(lookup('199.9.9.9')).toMatchObject({ err: 0, plen: 7, type: 2, table: 255 }); // RTN_LOCAL
    expect(lookup('200.9.9.9')).toMatchObject({ err: 0, plen: 4, table: 254 });
    dp.ip('route del local 198.0.0.0/7 dev lo table local');
    expect(lookup('199.9.9.9')).toMatchObject({ err: 0, plen: 4, table: 254 });
    dp.ip('route del 192.0.0.0/4');
    expect(lookup('207.1.2.3').err).toBe(-101);
  });

  it('a reject route stops the lookup with its error, a throw route lets the next rule try', () => {
    dp.routes.add({ dst: '198.51.100.0/24', via: '192.0.2.2' });
    dp.routes.add({ dst: '198.51.100.0/25', type: 'blackhole' });
    expect(lookup('198.51.100.5').err).toBe(-22);
    dp.routes.add({ dst: '203.0.113.0/24', type: 'throw', table: 100 });
    dp.routes.add({ dst: '203.0.113.0/24', via: '192.0.2.66' });
    dp.rules.add({ priority: 10, table: 100 });
    expect(lookup('203.0.113.9')).toMatchObject({ err: 0, table: 254, oif: 3 });
  });

  it('ECMP upper bounds are fib_rebalance\'s: round(w << 31 / total) - 1', () => {
    dp.routes.add({ dst: '198.51.100.0/24', nexthops: [{ via: '192.0.2.2', weight: 1 }, { via: '192.0.2.66', weight: 3 }] });
    const r = dp.routes.all().find((a) => a.len === 24)!;
    const v = dp.memory.view();
    expect(v.getInt32(r.fa + FA.NH + NH.UPPER, true)).toBe(Math.round(2 ** 31 / 4) - 1);
    expect(v.getInt32(r.fa + FA.NH + NH.SIZE + NH.UPPER, true)).toBe(2 ** 31 - 1);
    dp.routes.deviceDown(2);
    expect(v.getInt32(r.fa + FA.NH + NH.UPPER, true)).toBe(-1);
    expect(lookup('198.51.100.7')).toMatchObject({ err: 0, oif: 3 });
  });
});

describe('dp.rules', () => {
  it('starts with the kernel\'s default rules and numbers new ones below the second', () => {
    expect(dp.rules.list().map((r) => [r.priority, r.table])).toEqual([[0, 'local'], [32766, 'main'], [32767, 'default']]);
    expect(dp.rules.list('inet6').map((r) => r.priority)).toEqual([0, 32766]);
    dp.rules.add({ from: '198.51.100.0/24', table: 100 });
    dp.rules.add({ to: '203.0.113.0/24', action: 'prohibit' });
    expect(dp.rules.list().map((r) => r.priority)).toEqual([0, 32764, 32765, 32766, 32767]);
    // FRA_PROTOCOL: a rule added from user space without one is unspec (ip shows it with -d)
    expect(dp.rules.list()[2]).toEqual({ priority: 32765, src: '198.51.100.0', srclen: 24, table: '100', protocol: 'unspec' });
    expect(dp.rules.list()[0]!.protocol).toBe('kernel');
  });

  it('refuses a backward goto and a duplicate, and deletes by the fields given', () => {
    expect(() => dp.rules.add({ priority: 100, action: 'goto', goto: 50 })).toThrow('Error: Backward goto not supported.');
    dp.rules.add({ priority: 100, fwmark: 1, table: 100 });
    expect(() => dp.rules.add({ priority: 100, fwmark: 1, table: 100 })).toThrow(new NetError('EEXIST', 'File exists'));
    expect(() => dp.rules.del({ priority: 101 })).toThrow(new NetError('ENOENT', 'No such file or directory'));
    dp.rules.del({ fwmark: 1 });
    expect(dp.rules.list().length).toBe(3);
  });

  it('refuses the other family\'s prefix in a rule of a set family as fib_nl2rule does (its size), a /0 one is no selector', () => {
    // `ip rule add from 2001:db8::/32 …` without -6: iproute2 sends it in an IPv4 rule, Linux answers
    // "Error: Invalid source address." (wxdp said "inet prefix is expected"; nf fuzz fwmark rules, 12-07)
    expect(() => dp.rules.add({ family: 'inet', from: '2001:db8::/32', fwmark: 7, table: 77 })).toThrow(new NetError('EINVAL', 'Error: Invalid source address.'));
    expect(() => dp.rules.add({ family: 'inet', to: '2001:db8:1::/64', table: 77 })).toThrow(new NetError('EINVAL', 'Error: Invalid dst address.'));
    // an IPv6 rule with an IPv4 prefix comes from `ip -6`, which refuses it itself (iproute2's get_prefix)
    expect(() => dp.rules.add({ family: 'inet6', from: '192.0.2.0/24', table: 77 })).toThrow(new NetError('EINVAL', 'Error: inet6 prefix is expected rather than "192.0.2.0/24".'));
    dp.rules.add({ family: 'inet', from: '::/0', priority: 500, fwmark: 7, table: 77 });
    expect(dp.rules.list().find((r) => r.priority === 500)).toMatchObject({ fwmark: '0x7', table: '77' });
  });

  it('selects by fwmark/mask, iif and ports, and suppress_prefixlength skips short results', () => {
    dp.routes.add({ dst: '203.0.113.0/24', via: '192.0.2.66', table: 100 });
    dp.routes.add({ dst: 'default', via: '192.0.2.2', table: 100 });
    dp.routes.add({ dst: 'default', via: '192.0.2.2' });
    dp.rules.add({ priority: 10, fwmark: 0x10, fwmask: 0xf0, table: 100, suppressPrefixlength: 0 });
    expect(lookup('203.0.113.1', { mark: 0x1f })).toMatchObject({ table: 100, oif: 3 });
    expect(lookup('198.51.100.1', { mark: 0x1f })).toMatchObject({ table: 254 }); // /0 suppressed
    expect(lookup('203.0.113.1', { mark: 0x2f })).toMatchObject({ table: 254 });
    dp.rules.add({ priority: 5, iif: 'eth1', action: 'blackhole' });
    expect(lookup('203.0.113.1', { iif: 3 }).err).toBe(-22);
    expect(lookup('203.0.113.1', { iif: 2 }).err).toBe(0);
  });

  it('answers a flow repeated after other flows exactly as the first time (rule memo), and a rule change at the next lookup', () => {
    dp.routes.add({ dst: '203.0.113.0/24', via: '192.0.2.66', table: 100 });
    dp.routes.add({ dst: '203.0.113.0/24', via: '192.0.2.2', table: 200 });
    dp.routes.add({ dst: '203.0.113.0/24', via: '192.0.2.3' });
    // 10: from .10 → goto 30 (skipping 20); 20: from 192.0.2.0/26 lookup 100; 25: nop;
    // 30: from .10 lookup 200; 40: iif eth1 lookup 100; then local, main, default
    dp.rules.add({ priority: 10, from: '192.0.2.10/32', action: 'goto', goto: 30 });
    dp.rules.add({ priority: 20, from: '192.0.2.0/26', table: 100 });
    dp.rules.add({ priority: 25, action: 'nop' });
    dp.rules.add({ priority: 30, from: '192.0.2.10/32', table: 200 });
    dp.rules.add({ priority: 40, iif: 'eth1', table: 100 });
    const flows: Array<[{ src: string; iif?: number }, number, string]> = [
      [{ src: '192.0.2.10' }, 200, '192.0.2.2'], // goto 30 jumps over 20
      [{ src: '192.0.2.11' }, 100, '192.0.2.66'], // rule 20
      [{ src: '198.51.100.1' }, 254, '192.0.2.3'], // nothing before main
      [{ src: '198.51.100.1', iif: 3 }, 100, '192.0.2.66'], // rule 40
    ];
    for (let round = 0; round < 3; round++) {
      for (const [f, table, gw] of flows) {
        expect(lookup('203.0.113.7', f)).toMatchObject({ err: 0, table, gw });
        expect(lookup('203.0.113.7', f)).toMatchObject({ err: 0, table, gw }); // the same flow at once
      }
    }
    dp.rules.del({ priority: 10 });
    expect(lookup('203.0.113.7', { src: '192.0.2.10' })).toMatchObject({ table: 100, gw: '192.0.2.66' });
    dp.rules.add({ priority: 5, from: '192.0.2.10/32', action: 'unreachable' });
    expect(lookup('203.0.113.7', { src: '192.0.2.10' }).err).toBe(-101);
    expect(lookup('203.0.113.7', { src: '192.0.2.11' })).toMatchObject({ table: 100 });
  });

  it('suppress_ifgroup default skips a result whose first next hop has a device (every link is in group 0), another group none', () => {
    dp.routes.add({ dst: '203.0.113.0/24', via: '192.0.2.66', table: 100 });
    dp.routes.add({ dst: '203.0.113.0/25', type: 'unreachable', table: 100 });
    dp.routes.add({ dst: '203.0.113.0/24', via: '192.0.2.2' });
    dp.rules.add({ priority: 10, table: 100, suppressIfgroup: 0 });
    // fib4_rule_suppress: the table-100 route through eth1 is not taken, main's through eth0 is
    expect(lookup('203.0.113.200')).toMatchObject({ err: 0, table: 254, oif: 2 });
    // a reject route is an error, not a result: suppression never sees it
    expect(lookup('203.0.113.1').err).toBe(-113);
    dp.rules.del({ priority: 10 });
    dp.rules.add({ priority: 10, table: 100, suppressIfgroup: 1 });
    expect(lookup('203.0.113.200')).toMatchObject({ err: 0, table: 100, oif: 3 });
  });
});

describe('the dst cache', () => {
  it('serves a cached decision until the FIB generation moves', () => {
    dp.routes.add({ dst: '198.51.100.0/24', via: '192.0.2.2' });
    lookup('198.51.100.1');
    const fl = x.fib_flow_buf();
    const res = x.fib_alloc(64);
    expect(x.dst4_route(fl, res)).toBe(0);
    expect(dp.memory.view().getUint32(res + FR.OIF, true)).toBe(2);
    dp.routes.replace({ dst: '198.51.100.0/24', via: '192.0.2.66' });
    lookup('198.51.100.1');
    expect(x.dst4_route(fl, res)).toBe(0);
    expect(dp.memory.view().getUint32(res + FR.OIF, true)).toBe(3);
  });

  it('keeps a learned PMTU for mtu_expires, never below min_pmtu, only lowering', () => {
    const a = x.fib_alloc(16);
    new Uint8Array(dp.memory.view().buffer, a, 4).set([198, 51, 100, 1]);
    expect(x.dst_pmtu(2, a)).toBe(0);
    x.dst_pmtu_learn(2, a, 1400);
    expect(x.dst_pmtu(2, a)).toBe(1400);
    x.dst_pmtu_learn(2, a, 1450);
    expect(x.dst_pmtu(2, a)).toBe(1400);
    x.dst_pmtu_learn(2, a, 300);
    expect(x.dst_pmtu(2, a)).toBe(552);
    x.net_advance(599_000);
    expect(x.dst_pmtu(2, a)).toBe(552);
    x.net_advance(1_000);
    expect(x.dst_pmtu(2, a)).toBe(0);
  });
});

describe('IPv6 source-specific routes (subtrees)', () => {
  // as measured on the kernel (CONFIG_IPV6_SUBTREES): a destination prefix with a `from` subtree
  // answers only flows its subtree covers, its own routes included; the tree's root is the exception
  beforeEach(() => {
    dp.ip('-6 addr add 2001:db8::1/64 dev eth0 nodad');
    dp.ip('-6 route add 2001:db8:10::/48 via 2001:db8::2 dev eth0');
    dp.ip('-6 route add 2001:db8:10::/48 from 2001:db8:1::9/64 via 2001:db8::3 dev eth0');
    dp.ip('-6 route add 2001:db8::/32 via 2001:db8::4 dev eth0');
    dp.ip('-6 route add 2001:db8::/32 from 2001:db8:5::/64 via 2001:db8::5 dev eth0');
  });

  it('lists them with their source prefix, masked, before the prefix own routes', () => {
    expect(dp.routes.list({ family: 'inet6', dst: '2001:db8:10::/48' }).map((r) => [r.from, r.gateway])).toEqual([
      ['2001:db8:1::/64', '2001:db8::3'], [undefined, '2001:db8::2'],
    ]);
  });

  it('takes the route of the longest source prefix that covers the source, and no other at that destination', () => {
    expect(dp.routes.get({ to: '2001:db8:10::1', from: '2001:db8:1::9' }).gateway).toBe('2001:db8::3');
    // the /48's subtree does not cover 2001:db8:5::9: the /48 is passed over, own route too, for the /32's subtree
    expect(dp.routes.get({ to: '2001:db8:10::1', from: '2001:db8:5::9' }).gateway).toBe('2001:db8::5');
    for (const from of ['2001:db8:2::9', undefined]) {
      expect(() => dp.routes.get({ to: '2001:db8:10::1', ...(from ? { from } : {}) })).toThrow(new NetError('ENETUNREACH', 'Network is unreachable'));
    }
  });

  it('answers from the root own routes whatever the root subtree holds', () => {
    dp.ip('-6 route add default from 2001:db8:7::/64 via 2001:db8::7 dev eth0');
    dp.ip('-6 route add default via 2001:db8::8 dev eth0');
    expect(dp.routes.get({ to: '2001:db8:99::1', from: '2001:db8:7::1' }).gateway).toBe('2001:db8::7');
    expect(dp.routes.get({ to: '2001:db8:99::1', from: '2001:db8:2::1' }).gateway).toBe('2001:db8::8');
  });

  it('deletes one only when the source prefix is named (ESRCH without it)', () => {
    dp.ip('-6 route del 2001:db8:10::/48 via 2001:db8::2');
    expect(() => dp.routes.del({ dst: '2001:db8:10::/48', family: 'inet6' })).toThrow(new NetError('ESRCH', 'No such process'));
    dp.routes.del({ dst: '2001:db8:10::/48', from: '2001:db8:1::/64', family: 'inet6' });
    expect(dp.routes.list({ family: 'inet6', dst: '2001:db8:10::/48' })).toEqual([]);
  });
});
