// The ip front end against a recording fake of the tables: each iproute2 line must become the spec
// `ip` would send (its defaults filled in as iproute2's iproute_modify/iprule_modify/ipneigh_modify/
// ipaddr_modify/iplink_parse fill them), and bad lines must fail with iproute2's own words. Expected
// specs are derived by hand from iproute2 6.1's sources (ip/iproute.c etc.), not from our output.

import { describe, expect, it } from 'vitest';
import { NetError } from '../../src/control/net_types.js';
import { batchLines, ipBatch, ipCommand, IpError, makeArgs } from '../../src/control/ip/index.js';
import { FakeTables } from '../support/ip_fake.js';

function run(line: string, t = new FakeTables()): { t: FakeTables; out: string; err: string } {
  const r = ipCommand(t, line);
  return { t, out: r.stdout, err: r.stderr };
}

function fails(line: string, t = new FakeTables()): IpError {
  try {
    ipCommand(t, line);
  } catch (e) {
    if (e instanceof IpError) return e;
    throw e;
  }
  throw new Error(`"${line}" did not fail`);
}

describe('ip route add/del build the RouteSpec iproute_modify sends', () => {
  it.each([
    ['route add 198.51.100.0/24 via 192.0.2.1', { dst: '198.51.100.0/24', family: 'inet', table: 254, type: 'unicast', protocol: 3, scope: 0, via: '192.0.2.1' }],
    ['r a 198.51.100.0/24 dev eth0', { dst: '198.51.100.0/24', family: 'inet', table: 254, type: 'unicast', protocol: 3, scope: 253, dev: 'eth0' }],
    ['ro add default via 192.0.2.1 dev eth0 table 100 metric 7', { dst: 'default', family: 'inet', table: 100, type: 'unicast', protocol: 3, scope: 0, via: '192.0.2.1', dev: 'eth0', metric: 7 }],
    ['route add blackhole 198.51.100.0/24', { dst: '198.51.100.0/24', family: 'inet', table: 254, type: 'blackhole', protocol: 3, scope: 0 }],
    ['route add local 192.0.2.9 dev eth0', { dst: '192.0.2.9/32', family: 'inet', table: 255, type: 'local', protocol: 3, scope: 254, dev: 'eth0' }],
    ['route add broadcast 192.0.2.255 dev eth0', { dst: '192.0.2.255/32', family: 'inet', table: 255, type: 'broadcast', protocol: 3, scope: 253, dev: 'eth0' }],
    ['route add unreachable 203.0.113.0/24 table main proto static', { dst: '203.0.113.0/24', family: 'inet', table: 254, type: 'unreachable', protocol: 4, scope: 0 }],
    ['route add to 10.8/16 dev eth0 scope host', { dst: '10.8.0.0/16', family: 'inet', table: 254, type: 'unicast', protocol: 3, scope: 254, dev: 'eth0' }],
    ['route add 198.51.100.0/255.255.255.0 dev eth0 tos 0x10 src 192.0.2.2 mtu lock 1400 onlink', { dst: '198.51.100.0/24', family: 'inet', table: 254, type: 'unicast', protocol: 3, scope: 253, dev: 'eth0', tos: 0x10, src: '192.0.2.2', mtu: 1400, mtuLock: true, onlink: true }],
    ['route add 198.51.100.0/24 dsfield AF11 dev eth0', { dst: '198.51.100.0/24', family: 'inet', table: 254, type: 'unicast', protocol: 3, scope: 253, dev: 'eth0', tos: 0x28 }],
    ['route add 2001:db8::/32 via fe80::1 dev eth0', { dst: '2001:db8::/32', family: 'inet6', table: 254, type: 'unicast', protocol: 3, scope: 0, via: 'fe80::1', dev: 'eth0' }],
    ['-6 route add default via 2001:db8::1 preference 1', { dst: 'default', family: 'inet6', table: 254, type: 'unicast', protocol: 3, scope: 0, via: '2001:db8::1', metric: 1 }],
    ['route add 198.51.100.0/24 via inet6 fe80::1 dev eth0', { dst: '198.51.100.0/24', family: 'inet', table: 254, type: 'unicast', protocol: 3, scope: 0, via: 'fe80::1', dev: 'eth0' }],
    ['route add 198.51.100.0/24 nexthop via 192.0.2.1 dev eth0 weight 2 nexthop via 192.0.2.2 dev eth1 onlink', {
      dst: '198.51.100.0/24', family: 'inet', table: 254, type: 'unicast', protocol: 3, scope: 0,
      nexthops: [{ via: '192.0.2.1', dev: 'eth0', weight: 2 }, { via: '192.0.2.2', dev: 'eth1', onlink: true }],
    }],
  ])('%s', (line, spec) => {
    const { t } = run(line);
    expect(t.calls).toEqual([['routes.add', spec]]);
  });

  it('replace, append, change and prepend carry the NLM_F_* of their command', () => {
    const t = new FakeTables();
    for (const c of ['replace', 'append', 'change', 'prepend']) ipCommand(t, `route ${c} 198.51.100.0/24 dev eth0`);
    expect(t.calls.map((c) => c[2])).toEqual([{ replace: true }, { append: true }, { change: true }, { prepend: true }]);
  });

  it('del leaves scope, type and protocol out (any), but keeps table main as ip sends it', () => {
    expect(run('route del 198.51.100.0/24').t.calls).toEqual([['routes.del', { dst: '198.51.100.0/24', family: 'inet', table: 254 }]]);
    expect(run('route delete local 192.0.2.9 table local').t.calls).toEqual([['routes.del', { dst: '192.0.2.9/32', family: 'inet', table: 255, type: 'local', scope: 254 }]]);
    expect(run('route del default via 192.0.2.1 metric 5').t.calls).toEqual([['routes.del', { dst: 'default', family: 'inet', table: 254, via: '192.0.2.1', metric: 5 }]]);
  });

  it('rejects bad words with iproute2 messages and exit statuses', () => {
    const cases: Array<[string, string, number]> = [
      ['route add bogus dev eth0', 'Error: any valid prefix is expected rather than "bogus".', 1],
      ['route add 198.51.100.0/33 dev eth0', 'Error: any valid prefix is expected rather than "198.51.100.0/33".', 1],
      ['-4 route add 2001:db8::/32 dev eth0', 'Error: inet prefix is expected rather than "2001:db8::/32".', 1],
      ['route add 198.51.100.0/24 via 192.0.2.2 via 192.0.2.1', 'Error: argument "via" is wrong: use nexthop syntax to specify multiple via', 255],
      ['route add 198.51.100.0/24 via 2001:db8::1', 'Error: inet address is expected rather than "2001:db8::1".', 1],
      ['route frob', 'Command "frob" is unknown, try "ip route help".', 255],
      ['route add 198.51.100.0/24 dev eth0 198.51.100.7', 'Error: either "to" is duplicate, or "198.51.100.7" is a garbage.', 255],
      ['route add 198.51.100.0/24 metric x', 'Error: argument "x" is wrong: "metric" value is invalid', 255],
      ['route add 198.51.100.0/24 tos 0x100', 'Error: argument "0x100" is wrong: "tos" value is invalid', 255],
      ['route add 198.51.100.0/24 table foo', 'Error: argument "foo" is wrong: "table" value is invalid', 255],
      ['route add 198.51.100.0/24 proto 256', 'Error: argument "256" is wrong: "protocol" value is invalid', 255],
      ['route add 198.51.100.0/24 scope galaxy', 'Error: argument "galaxy" is wrong: invalid "scope" value', 255],
      ['route add 198.51.100.0/24 dev eth9', 'Cannot find device "eth9"', 1],
      ['route add 198.51.100.0/24 dev', 'Command line is not complete. Try option "help"', 255],
      ['route add 198.51.100.0/24 nexthop via 192.0.2.1 weight 0', 'Error: argument "0" is wrong: "weight" is invalid', 255],
      ['route add 198.51.100.0/24 nexthop via 192.0.2.1 dev eth9', 'Cannot find device "eth9"', 255],
      ['route add 198.51.100.0/24 nexthop via 192.0.2.1 metric 3', 'Error: "nexthop" or end of line is expected instead of "metric"', 255],
      ['route add 198.51.100.0/24 nexthop', 'Error: unexpected end of line after "nexthop"', 255],
      ['route flush', '"ip route flush" requires arguments.', 1],
      ['route get', 'need at least a destination address', 1],
      ['frob', 'Object "frob" is unknown, try "ip help".', 1],
      ['-x route', 'Option "-x" is unknown, try "ip -help".', 255],
    ];
    for (const [line, msg, status] of cases) {
      const e = fails(line);
      expect([line, e.message, e.status]).toEqual([line, msg, status]);
    }
  });

  it('turns a table refusal into "RTNETLINK answers" or the extack "Error:" line', () => {
    const t = new FakeTables();
    t.refuse.set('routes.add', new NetError('EEXIST', 'File exists'));
    const e = fails('route add 198.51.100.0/24 dev eth0', t);
    expect([e.message, e.status, e.errno, e.fatal]).toEqual(['RTNETLINK answers: File exists', 2, 'EEXIST', false]);
    t.refuse.set('routes.add', new NetError('EINVAL', 'Nexthop has invalid gateway'));
    expect(fails('route add 198.51.100.0/24 via 192.0.2.1', t).message).toBe('Error: Nexthop has invalid gateway.');
  });
});

describe('ip route show/get print what print_route prints', () => {
  const routes = () => {
    const t = new FakeTables();
    t.routeList.inet = [
      { dst: '192.0.2.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '192.0.2.2', flags: [] },
      { dst: '198.51.100.0/24', gateway: '192.0.2.1', dev: 'eth0', flags: [] },
      { dst: '198.51.100.128/25', tos: '0x10', protocol: 'static', prefsrc: '192.0.2.2', metric: 10, flags: [], mtu: 1400, nexthops: [{ gateway: '192.0.2.1', dev: 'eth0', weight: 2, flags: [] }, { gateway: '203.0.113.2', dev: 'eth1', weight: 1, flags: [] }] } as never,
      { type: 'unreachable', dst: '198.51.100.0/26', table: '100', metric: 5, flags: [] },
      { type: 'local', dst: '192.0.2.2', table: 'local', dev: 'eth0', protocol: 'kernel', scope: 'host', prefsrc: '192.0.2.2', flags: [] },
    ];
    (t.routeList.inet[2] as { mtuLock?: boolean }).mtuLock = true;
    return t;
  };

  it('shows table main by default, with the kernel text (lines taken from ip on this machine)', () => {
    expect(run('route show', routes()).out).toBe(
      '192.0.2.0/24 dev eth0 proto kernel scope link src 192.0.2.2 \n' +
        '198.51.100.0/24 via 192.0.2.1 dev eth0 \n' +
        '198.51.100.128/25 tos 0x10 proto static src 192.0.2.2 metric 10 mtu lock 1400 \n\tnexthop via 192.0.2.1 dev eth0 weight 2 \n\tnexthop via 203.0.113.2 dev eth1 weight 1 \n',
    );
  });

  it('-j prints iproute2 JSON keys in its order', () => {
    expect(JSON.parse(run('-j route show 198.51.100.128/25', routes()).out)).toEqual([
      { dst: '198.51.100.128/25', tos: '0x10', protocol: 'static', prefsrc: '192.0.2.2', metric: 10, flags: [], metrics: [{ mtu: 1400 }], nexthops: [{ gateway: '192.0.2.1', dev: 'eth0', weight: 2, flags: [] }, { gateway: '203.0.113.2', dev: 'eth1', weight: 1, flags: [] }] },
    ]);
    expect(run('-j route show', new FakeTables()).out).toBe('[]\n');
  });

  it('filters by table, type, dev, proto, root and match as filter_nlmsg does', () => {
    const t = routes();
    expect(run('route show table all', t).out.split('\n').filter(Boolean)).toHaveLength(7);
    // a multipath route has no RTA_OIF: `dev` does not select it (iproute.c filters on RTA_OIF alone)
    expect(run('route show dev eth1', t).out).toBe('');
    expect(run('route show table 100', t).out).toBe('unreachable 198.51.100.0/26 metric 5 \n');
    expect(run('route list table local type local', t).out).toBe('local 192.0.2.2 dev eth0 proto kernel scope host src 192.0.2.2 \n');
    expect(run('route show dev eth0 proto kernel', t).out).toBe('192.0.2.0/24 scope link src 192.0.2.2 \n');
    expect(run('route show root 198.51.100.0/24', t).out.split('\n').filter((l) => /^\d/.test(l)).map((l) => l.split(' ')[0])).toEqual(['198.51.100.0/24', '198.51.100.128/25']);
    expect(run('route show match 198.51.100.200', t).out.split('\n').filter((l) => /^\d/.test(l)).map((l) => l.split(' ')[0])).toEqual(['198.51.100.0/24', '198.51.100.128/25']);
    expect(run('route show exact 198.51.100.0/24', t).out).toBe('198.51.100.0/24 via 192.0.2.1 dev eth0 \n');
  });

  it('flush deletes each listed route with the spec that names it', () => {
    const t = routes();
    ipCommand(t, 'route flush proto static');
    expect(t.calls).toEqual([['routes.del', { dst: '198.51.100.128/25', family: 'inet', table: 254, type: 'unicast', protocol: 4, scope: 0, tos: 0x10, metric: 10, src: '192.0.2.2', nexthops: [{ via: '192.0.2.1', dev: 'eth0', weight: 2 }, { via: '203.0.113.2', dev: 'eth1', weight: 1 }] }]]);
  });

  it('get asks the FIB and prints the answer as a cloned route (uid and the cache line)', () => {
    const t = new FakeTables();
    // as ip prints the kernel's answer: RTA_SRC instead of the chosen source, the mark, the uid
    t.routeAnswer = { dst: '198.51.100.7', from: '192.0.2.2', gateway: '192.0.2.1', dev: 'eth0', flags: [], mark: 7, uid: 0, cache: [] };
    expect(run('route get 198.51.100.7 from 192.0.2.2 mark 7 ipproto udp dport 53', t).out).toBe('198.51.100.7 from 192.0.2.2 via 192.0.2.1 dev eth0 mark 7 uid 0 \n    cache \n');
    expect(t.calls[0]).toEqual(['routes.get', { family: 'inet', to: '198.51.100.7', from: '192.0.2.2', mark: 7, ipproto: 17, dport: 53 }]);
    t.routeAnswer = { dst: '198.51.100.7', gateway: '192.0.2.1', dev: 'eth0', prefsrc: '192.0.2.2', flags: [], mark: 32, uid: 5, cache: [] };
    expect(run('route get 198.51.100.7 mark 0x20 uid 5', t).out).toBe('198.51.100.7 via 192.0.2.1 dev eth0 src 192.0.2.2 mark 0x20 uid 5 \n    cache \n');
    expect(t.calls[1]).toEqual(['routes.get', { family: 'inet', to: '198.51.100.7', mark: 32, uid: 5 }]);
    t.routeAnswer = { dst: '198.51.100.7', gateway: '192.0.2.1', dev: 'eth0', prefsrc: '192.0.2.2', flags: [], uid: 0, cache: [] };
    expect(JSON.parse(run('-j route get 198.51.100.7', t).out)).toEqual([{ dst: '198.51.100.7', gateway: '192.0.2.1', dev: 'eth0', prefsrc: '192.0.2.2', flags: [], uid: 0, cache: [] }]);
    t.routeAnswer = { type: 'local', dst: '192.0.2.2', dev: 'lo', table: 'local', prefsrc: '192.0.2.2', flags: [], uid: 0, cache: ['local'] };
    expect(run('route get 192.0.2.2', t).out).toBe('local 192.0.2.2 dev lo table local src 192.0.2.2 uid 0 \n    cache <local> \n');
    // a multicast answer: RTCF_MULTICAST is also RTM_F_OFFLOAD_FAILED to iproute2
    t.routeAnswer = { type: 'multicast', dst: '239.1.1.1', dev: 'eth0', prefsrc: '192.0.2.2', flags: ['rt_offload_failed'], uid: 0, cache: ['mc'] };
    expect(run('route get 239.1.1.1', t).out).toBe('multicast 239.1.1.1 dev eth0 src 192.0.2.2 rt_offload_failed uid 0 \n    cache <mc> \n');
    t.routeAnswer = undefined;
    expect(fails('route get 203.0.113.1', t).message).toBe('RTNETLINK answers: Network is unreachable');
  });
});

describe('ip rule', () => {
  it.each([
    ['rule add from 192.0.2.0/24 lookup 100', { family: 'inet', from: '192.0.2.0/24', table: 100, action: 'lookup' }],
    ['ru add not to 198.51.100.0/24 goto 32766 pref 200', { family: 'inet', not: true, to: '198.51.100.0/24', goto: 32766, priority: 200, action: 'goto' }],
    ['rule add iif eth0 fwmark 0x10/0xff ipproto tcp sport 1000-2000 dport 80 tos 0x10 pref 100 table 100 suppress_prefixlength 0', { family: 'inet', iif: 'eth0', fwmark: 16, fwmask: 255, ipproto: 6, sport: [1000, 2000], dport: [80, 80], tos: 16, priority: 100, table: 100, suppressPrefixlength: 0, action: 'lookup' }],
    ['rule add blackhole pref 300 oif eth1', { family: 'inet', action: 'blackhole', priority: 300, oif: 'eth1' }],
    ['rule add prohibit from 198.51.100.7', { family: 'inet', action: 'prohibit', from: '198.51.100.7/32' }],
    ['rule add nop pref 400', { family: 'inet', action: 'nop', priority: 400 }],
    ['rule add dscp AF11 lookup main', { family: 'inet', dscp: 10, table: 254, action: 'lookup' }],
    ['-6 rule add from 2001:db8::/32 table 10 sup_group default', { family: 'inet6', from: '2001:db8::/32', table: 10, suppressIfgroup: 0, action: 'lookup' }],
    ['rule add from all priority 5 unreachable', { family: 'inet', priority: 5, action: 'unreachable' }],
    // sscanf("%hu-%hu") reads one number from "1-x": ip takes it as "sport 1" (checked against ip: "99: from all sport 1 lookup 5")
    ['rule add sport 1-x lookup 5', { family: 'inet', sport: [1, 1], table: 5, action: 'lookup' }],
  ])('%s', (line, spec) => {
    expect(run(line).t.calls).toEqual([['rules.add', spec]]);
  });

  it('del says only what it was told', () => {
    expect(run('rule del pref 100').t.calls).toEqual([['rules.del', { family: 'inet', priority: 100 }]]);
    expect(run('rule del from 192.0.2.0/24 table 100').t.calls).toEqual([['rules.del', { family: 'inet', from: '192.0.2.0/24', table: 100 }]]);
  });

  it('shows rules as print_rule does (text and JSON taken from ip on this machine)', () => {
    const t = new FakeTables();
    t.ruleList.inet.splice(1, 0,
      { priority: 100, src: '192.0.2.0', srclen: 24, tos: '0x10', fwmark: '0x10', fwmask: '0xff', iif: 'eth0', ipproto: 'tcp', sport: '1000-2000', dport: '80', table: '100', suppress_prefixlen: 0 },
      { priority: 200, not: null, src: 'all', dst: '198.51.100.0', dstlen: 24, target: 32766, action: 'goto' },
      { priority: 300, src: 'all', oif: 'eth1', action: 'blackhole' },
      { priority: 400, src: 'all', action: 'nop' },
    );
    expect(run('rule show', t).out).toBe(
      '0:\tfrom all lookup local\n' +
        '100:\tfrom 192.0.2.0/24 tos 0x10 fwmark 0x10/0xff iif eth0 ipproto tcp sport 1000-2000 dport 80 lookup 100 suppress_prefixlength 0\n' +
        '200:\tnot from all to 198.51.100.0/24 goto 32766\n' +
        '300:\tfrom all oif eth1 blackhole\n' +
        '400:\tfrom all nop\n' +
        '32766:\tfrom all lookup main\n' +
        '32767:\tfrom all lookup default\n',
    );
    expect(run('-j rule show', t).out).toBe(
      '[{"priority":0,"src":"all","table":"local"},{"priority":100,"src":"192.0.2.0","srclen":24,"tos":"0x10","fwmark":"0x10","fwmask":"0xff","iif":"eth0","ipproto":"tcp","sport_start":1000,"sport_end":2000,"dport":80,"table":"100","suppress_prefixlen":0},{"priority":200,"not":null,"src":"all","dst":"198.51.100.0","dstlen":24,"goto":32766},{"priority":300,"src":"all","oif":"eth1","action":"blackhole"},{"priority":400,"src":"all","nop":null},{"priority":32766,"src":"all","table":"main"},{"priority":32767,"src":"all","table":"default"}]\n',
    );
    expect(run('rule show pref 300', t).out).toBe('300:\tfrom all oif eth1 blackhole\n');
    expect(run('rule list table main', t).out).toBe('32766:\tfrom all lookup main\n');
  });

  it('flush deletes every rule but priority 0', () => {
    const t = new FakeTables();
    ipCommand(t, 'rule flush');
    expect(t.calls).toEqual([
      ['rules.del', { family: 'inet', priority: 32766, action: 'lookup', table: 254 }],
      ['rules.del', { family: 'inet', priority: 32767, action: 'lookup', table: 253 }],
    ]);
  });

  it('rejects bad selectors with iprule.c messages', () => {
    const cases: Array<[string, string]> = [
      ['rule add', '"ip rule add" requires arguments.'],
      ['rule add fwmark x', 'Error: argument "x" is wrong: fwmark value is invalid'],
      ['rule add fwmark 1/y', 'Error: argument "y" is wrong: fwmask value is invalid'],
      ['rule add pref -1', 'Error: argument "-1" is wrong: preference value is invalid'],
      ['rule add sport x', 'Error: argument "x" is wrong: invalid port range'],
      ['rule add dport x', 'Error: argument "x" is wrong: invalid dport range'],
      ['rule add ipproto frob', 'Error: argument "frob" is wrong: Invalid "ipproto" value'],
      ['rule add table frob', 'Error: argument "frob" is wrong: invalid table ID'],
      ['rule add frobnicate', 'Error: argument "frobnicate" is wrong: Failed to parse rule type'],
      ['rule add goto x', 'Error: argument "x" is wrong: invalid target'],
      ['rule add iif a/b', 'Error: argument "a/b" is wrong: "iif"/"dev" not a valid ifname'],
      ['rule add sup_pl -1', 'Error: argument "-1" is wrong: suppress_prefixlength value is invalid'],
      ['rule frob', 'Command "frob" is unknown, try "ip rule help".'],
    ];
    for (const [line, msg] of cases) expect([line, fails(line).message]).toEqual([line, msg]);
  });
});

describe('ip neigh', () => {
  it('add/replace/change/del build NeighSpecs (nud permanent unless told)', () => {
    const t = new FakeTables();
    ipCommand(t, 'neigh add 192.0.2.9 lladdr 02:00:00:00:00:09 dev eth0');
    ipCommand(t, 'n replace 192.0.2.10 dev eth0 nud stale lladdr 2:0:0:0:0:a router');
    ipCommand(t, 'neigh change 2001:db8::1 dev eth0 lladdr 02:00:00:00:00:0b nud reach');
    ipCommand(t, 'neigh del 192.0.2.9 dev eth0');
    expect(t.calls).toEqual([
      ['neigh.add', { to: '192.0.2.9', dev: 'eth0', lladdr: '02:00:00:00:00:09', nud: 'permanent' }],
      ['neigh.add', { to: '192.0.2.10', dev: 'eth0', lladdr: '02:00:00:00:00:0a', nud: 'stale', router: true }, { replace: true }],
      ['neigh.add', { to: '2001:db8::1', dev: 'eth0', lladdr: '02:00:00:00:00:0b', nud: 'reachable' }, { change: true }],
      ['neigh.del', { to: '192.0.2.9', dev: 'eth0' }],
    ]);
  });

  it('shows entries as print_neigh does, hiding NOARP unless asked', () => {
    const t = new FakeTables();
    t.neighList = [
      { dst: '192.0.2.10', dev: 'eth0', lladdr: '02:00:00:00:00:0a', router: null, state: ['STALE'] },
      { dst: '192.0.2.9', dev: 'eth0', lladdr: '02:00:00:00:00:09', state: ['PERMANENT'] },
      { dst: 'ff02::2', dev: 'eth0', lladdr: '33:33:00:00:00:02', state: ['NOARP'] },
    ];
    expect(run('neigh show', t).out).toBe('192.0.2.10 dev eth0 lladdr 02:00:00:00:00:0a router STALE \n192.0.2.9 dev eth0 lladdr 02:00:00:00:00:09 PERMANENT \n');
    expect(run('neigh show dev eth0 nud permanent', t).out).toBe('192.0.2.9 lladdr 02:00:00:00:00:09 PERMANENT \n');
    expect(run('-6 neigh show nud all', t).out).toBe('ff02::2 dev eth0 lladdr 33:33:00:00:00:02 NOARP \n');
    expect(run('-j neigh show', t).out).toBe('[{"dst":"192.0.2.10","dev":"eth0","lladdr":"02:00:00:00:00:0a","router":null,"state":["STALE"]},{"dst":"192.0.2.9","dev":"eth0","lladdr":"02:00:00:00:00:09","state":["PERMANENT"]}]\n');
    // -s: print_cacheinfo's spacing and keys, as ip prints them (lines from ip on this machine)
    Object.assign(t.neighList[0]!, { used: 0, confirmed: 60, updated: 0, probes: 0 });
    Object.assign(t.neighList[1]!, { used: 0, confirmed: 0, updated: 0, probes: 0 });
    expect(run('-s neigh show', t).out).toBe('192.0.2.10 dev eth0 lladdr 02:00:00:00:00:0a router  used 0/60/0probes 0 STALE \n192.0.2.9 dev eth0 lladdr 02:00:00:00:00:09  used 0/0/0probes 0 PERMANENT \n');
    expect(run('-s -j neigh show', t).out).toBe('[{"dst":"192.0.2.10","dev":"eth0","lladdr":"02:00:00:00:00:0a","router":null,"used":0,"confirmed":60,"updated":0,"probes":0,"state":["STALE"]},{"dst":"192.0.2.9","dev":"eth0","lladdr":"02:00:00:00:00:09","used":0,"confirmed":0,"updated":0,"probes":0,"state":["PERMANENT"]}]\n');
    ipCommand(t, 'neigh flush dev eth0');
    expect(t.calls).toEqual([['neigh.del', { to: '192.0.2.10', dev: 'eth0' }]]);
    expect(run('neigh get 192.0.2.9 dev eth0', t).out).toBe('192.0.2.9 dev eth0 lladdr 02:00:00:00:00:09 PERMANENT \n');
    expect(fails('neigh get 192.0.2.77 dev eth0', t).message).toBe('Error: Neighbour entry not found.');
  });

  it('rejects bad lines with ipneigh.c messages; a refused request ends ip (exit 2)', () => {
    expect(fails('neigh add 192.0.2.20 lladdr 02:00:00:00:00:zz dev eth0').message).toBe('"zz" is invalid lladdr.');
    expect(fails('neigh add 192.0.2.20 dev eth0 nud bogus').message).toBe('Error: argument "bogus" is wrong: nud state is bad');
    expect(fails('neigh add 192.0.2.20').message).toBe('Device and destination are required arguments.');
    expect(fails('neigh flush').message).toBe('Flush requires arguments.');
    const t = new FakeTables();
    t.refuse.set('neigh.add', new NetError('EEXIST', 'File exists'));
    const e = fails('neigh add 192.0.2.9 dev eth0 lladdr 02:00:00:00:00:09', t);
    expect([e.message, e.status, e.fatal]).toEqual(['RTNETLINK answers: File exists', 2, true]);
  });
});

describe('ip link', () => {
  it('add builds LinkSpecs for dummy, veth and vlan', () => {
    const t = new FakeTables();
    ipCommand(t, 'link add d0 type dummy');
    ipCommand(t, 'l add name v0 index 10 mtu 9000 address 02:00:00:00:00:10 type veth peer name v1 index 11');
    ipCommand(t, 'link add link eth0 name eth0.5 type vlan id 5');
    ipCommand(t, 'link add link eth0 eth0.6 type vlan protocol 802.1ad id 6');
    ipCommand(t, 'link add d1 up type dummy');
    ipCommand(t, 'link add d2 arp on type dummy');
    expect(t.calls).toEqual([
      ['links.add', { name: 'd0', kind: 'dummy' }],
      ['links.add', { name: 'v0', kind: 'veth', index: 10, mtu: 9000, address: '02:00:00:00:00:10', peer: { name: 'v1', index: 11 } }],
      ['links.add', { name: 'eth0.5', kind: 'vlan', vlan: { parent: 'eth0', id: 5 } }],
      ['links.add', { name: 'eth0.6', kind: 'vlan', vlan: { parent: 'eth0', id: 6, protocol: '802.1ad' } }],
      ['links.add', { name: 'd1', kind: 'dummy' }],
      ['links.set', 'd1', { up: true }],
      ['links.add', { name: 'd2', kind: 'dummy' }],
      ['links.set', 'd2', { arp: true }],
    ]);
  });

  it('set and del', () => {
    const t = new FakeTables();
    ipCommand(t, 'link set eth0 up');
    ipCommand(t, 'link set dev eth1 down mtu 1400 address 02:00:00:00:00:99 name wan');
    ipCommand(t, 'link del dev eth1');
    // arp: IFF_NOARP in ifi_change (off sets it); the last word wins, as iplink_parse's flags do
    ipCommand(t, 'link set eth0 arp off');
    ipCommand(t, 'link set eth0 arp off arp on up');
    expect(t.calls).toEqual([
      ['links.set', 'eth0', { up: true }],
      ['links.set', 'eth1', { up: false, mtu: 1400, address: '02:00:00:00:00:99', name: 'wan' }],
      ['links.del', 'eth1'],
      ['links.set', 'eth0', { arp: false }],
      ['links.set', 'eth0', { up: true, arp: true }],
    ]);
  });

  it('rejects bad lines with iplink.c and 8021q messages', () => {
    const cases: Array<[string, string]> = [
      ['link add d0', 'Not enough information: "type" argument is required'],
      ['link set up', 'Not enough information: "dev" argument is required.'],
      ['link set eth9 up', 'Cannot find device "eth9"'],
      ['link set eth0 mtu x', 'Error: argument "x" is wrong: Invalid "mtu" value'],
      ['link set eth0 arp of', 'Error: argument of "arp" must be "on" or "off", not "of"'],
      ['link set eth0 index 5', 'index can be used only when creating devices or when moving device to another netns.'],
      ['link add d0 mtu 1 mtu 2 type dummy', 'Error: duplicate "mtu": "2" is the second value.'],
      ['link add d0 type dummy frob', 'Garbage instead of arguments "frob ...". Try "ip link help".'],
      ['link add name eth0.5 type vlan id 5', 'Error: 8021q: link not specified.'],
      ['link add link eth0 name eth0.5 type vlan', 'Error: 8021q: VLAN properties not specified.'],
      ['link add link eth0 name eth0.5 type vlan protocol 802.1Q', 'Error: 8021q: VLAN id not specified.'],
      ['link add link eth0 name eth0.5 type vlan id 4095', 'Error: 8021q: Invalid VLAN id.'],
      ['link add link eth0 name eth0.5 type vlan id x', 'Error: argument "x" is wrong: id is invalid'],
      ['link add x type bridge', 'Error: Unknown device type.'],
      ['link set eth0 address 02:00:zz', '"zz" is invalid lladdr.'],
      ['link set eth0 address 02:00', 'Invalid address length 2 - must be 6 bytes'],
      ['link frob', 'Command "frob" is unknown, try "ip link help".'],
    ];
    for (const [line, msg] of cases) expect([line, fails(line).message]).toEqual([line, msg]);
  });

  it('shows links as print_linkinfo does', () => {
    const t = new FakeTables();
    t.linkList.push({ ifindex: 4, ifname: 'v0', link: 'eth1', flags: ['BROADCAST', 'MULTICAST', 'UP'], mtu: 1500, operstate: 'LOWERLAYERDOWN', link_type: 'ether', address: '02:00:00:00:00:04', broadcast: 'ff:ff:ff:ff:ff:ff' });
    expect(run('link show', t).out).toBe(
      '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 state UNKNOWN mode DEFAULT group default \n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n' +
        '2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP mode DEFAULT group default \n    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff\n' +
        '3: eth1: <BROADCAST,MULTICAST> mtu 1500 state DOWN mode DEFAULT group default \n    link/ether 02:00:00:00:00:02 brd ff:ff:ff:ff:ff:ff\n' +
        '4: v0@eth1: <BROADCAST,MULTICAST,UP,M-DOWN> mtu 1500 state LOWERLAYERDOWN mode DEFAULT group default \n    link/ether 02:00:00:00:00:04 brd ff:ff:ff:ff:ff:ff\n',
    );
    expect(JSON.parse(run('-j link show v0', t).out)).toEqual([{ ifindex: 4, link: 'eth1', ifname: 'v0', flags: ['BROADCAST', 'MULTICAST', 'UP', 'M-DOWN'], mtu: 1500, operstate: 'LOWERLAYERDOWN', linkmode: 'DEFAULT', group: 'default', link_type: 'ether', address: '02:00:00:00:00:04', broadcast: 'ff:ff:ff:ff:ff:ff' }]);
    expect(run('link show up', t).out.split('\n').filter((l) => /^\d/.test(l)).map((l) => l.split(':')[1])).toEqual([' lo', ' eth0', ' v0@eth1']);
    expect(fails('link show eth9', t).message).toBe('Device "eth9" does not exist.');
  });
});

describe('ip address', () => {
  it('add/del build AddrSpecs with ip\'s broadcast, scope and wildcard rules', () => {
    const t = new FakeTables();
    ipCommand(t, 'address add 192.0.2.2/24 dev eth0');
    ipCommand(t, 'a add 203.0.113.1/24 dev eth0 brd + label eth0:x');
    ipCommand(t, 'addr add 192.0.2.50 peer 192.0.2.51/32 dev eth0');
    ipCommand(t, 'addr add 127.0.0.2/8 dev lo brd -');
    ipCommand(t, 'addr add 2001:db8::1/64 dev eth0 nodad noprefixroute valid_lft 100 preferred_lft 50');
    ipCommand(t, 'addr replace 192.0.2.3/24 dev eth0 scope link');
    const del = ipCommand(t, 'addr del 192.0.2.2 dev eth0');
    ipCommand(t, 'addr del 2001:db8::1/64 dev eth0');
    expect(t.calls).toEqual([
      ['addresses.add', { local: '192.0.2.2/24', dev: 'eth0', scope: 0 }],
      ['addresses.add', { local: '203.0.113.1/24', dev: 'eth0', broadcast: '203.0.113.255', scope: 0, label: 'eth0:x' }],
      ['addresses.add', { local: '192.0.2.50/32', dev: 'eth0', peer: '192.0.2.51/32', scope: 0 }],
      ['addresses.add', { local: '127.0.0.2/8', dev: 'lo', broadcast: '127.0.0.0', scope: 254 }],
      ['addresses.add', { local: '2001:db8::1/64', dev: 'eth0', scope: 0, noprefixroute: true, nodad: true, validLft: 100, preferredLft: 50 }],
      ['addresses.add', { local: '192.0.2.3/24', dev: 'eth0', scope: 253 }, { replace: true }],
      ['addresses.del', { local: '192.0.2.2', dev: 'eth0' }],
      ['addresses.del', { local: '2001:db8::1/64', dev: 'eth0' }],
    ]);
    expect(del.stderr).toMatch(/^Warning: Executing wildcard deletion to stay compatible with old scripts\.\n {9}Explicitly specify the prefix length \(192\.0\.2\.2\/32\)/);
  });

  it('rejects bad lines with ipaddress.c messages', () => {
    const cases: Array<[string, string]> = [
      ['addr add 192.0.2.2/24', 'Not enough information: "dev" argument is required.'],
      ['addr add 192.0.2.2/24 dev eth9', 'Cannot find device "eth9"'],
      ['addr add 192.0.2.2/24 192.0.2.3/24 dev eth0', 'Error: either "local" is duplicate, or "192.0.2.3/24" is a garbage.'],
      ['addr add 192.0.2.2/24 dev eth0 scope galaxy', 'Error: argument "galaxy" is wrong: invalid scope value.'],
      ['addr add 2001:db8::1/64 brd + dev eth0', 'Broadcast can be set only for IPv4 addresses'],
      ['addr add 192.0.2.2/24 dev eth0 valid_lft 0', 'valid_lft is zero'],
      ['addr add 192.0.2.2/24 dev eth0 valid_lft 10 preferred_lft 20', 'preferred_lft is greater than valid_lft'],
      ['addr add dev eth0', 'RTNETLINK answers: Operation not supported'],
      ['-4 addr add dev eth0', 'Error: ipv4: Local address is not supplied.'],
      ['addr flush', 'Flush requires arguments.'],
      ['addr frob', 'Command "frob" is unknown, try "ip address help".'],
    ];
    for (const [line, msg] of cases) expect([line, fails(line).message]).toEqual([line, msg]);
    expect(run('addr add 192.0.2.99/24 dev eth0 nodad').err).toBe('Warning: nodad option can be set only for IPv6 addresses\n');
  });

  it('shows links with their addresses as ip addr does', () => {
    const t = new FakeTables();
    t.addrList = [
      { dev: 'eth0', family: 'inet', local: '192.0.2.2', prefixlen: 24, broadcast: '192.0.2.255', scope: 'global', label: 'eth0', valid_life_time: 4294967295, preferred_life_time: 4294967295 },
      { dev: 'eth0', family: 'inet', local: '192.0.2.50', address: '192.0.2.51', prefixlen: 32, scope: 'global', secondary: true, label: 'eth0', valid_life_time: 4294967295, preferred_life_time: 4294967295 },
      { dev: 'eth0', family: 'inet6', local: '2001:db8::1', prefixlen: 64, scope: 'global', noprefixroute: true, valid_life_time: 100, preferred_life_time: 50 },
    ];
    expect(run('addr show dev eth0', t).out).toBe(
      '2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP group default \n    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff\n' +
        '    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\n       valid_lft forever preferred_lft forever\n' +
        '    inet 192.0.2.50 peer 192.0.2.51/32 scope global secondary eth0\n       valid_lft forever preferred_lft forever\n' +
        '    inet6 2001:db8::1/64 scope global dynamic noprefixroute \n       valid_lft 100sec preferred_lft 50sec\n',
    );
    expect(run('-6 addr show', t).out.match(/^\d+: \w+/gm)).toEqual(['2: eth0']);
    expect(run('addr show', t).out.match(/^\d+: \w+/gm)).toEqual(['1: lo', '2: eth0', '3: eth1']);
    expect(JSON.parse(run('-j -4 addr show primary', t).out)).toEqual([
      { ifindex: 2, ifname: 'eth0', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500, operstate: 'UP', group: 'default', addr_info: [{ family: 'inet', local: '192.0.2.2', prefixlen: 24, broadcast: '192.0.2.255', scope: 'global', label: 'eth0', valid_life_time: 4294967295, preferred_life_time: 4294967295 }] },
    ]);
    ipCommand(t, 'addr flush dev eth0 scope global to 192.0.2.0/24');
    expect(t.calls).toEqual([
      ['addresses.del', { local: '192.0.2.2/24', dev: 'eth0' }],
      ['addresses.del', { local: '192.0.2.50/32', dev: 'eth0', peer: '192.0.2.51/32' }],
    ]);
  });
});

describe('ip -batch', () => {
  it('splits words as makeargs does (quotes, blanks) and lines as getcmdline does (#, continuation)', () => {
    expect(makeArgs(` route  add\t'a b'"c" x\r\n`)).toEqual(['route', 'add', 'a b', 'c', 'x']);
    expect(batchLines('route add 192.0.2.0/24 \\\n dev eth0 # c\n\n# only\nlink show\n')).toEqual([
      { line: 2, text: 'route add 192.0.2.0/24  dev eth0 \n' },
      { line: 3, text: '\n' },
      { line: 4, text: '\n' },
      { line: 5, text: 'link show\n' },
    ]);
  });

  it('reports progress about every 1% of the lines, and once at the end', () => {
    const text = Array.from({ length: 250 }, (_, i) => `rule add pref ${i + 1} table 7`).join('\n') + '\n';
    const seen: Array<[number, number]> = [];
    ipBatch(new FakeTables(), text, { onProgress: (d, t) => seen.push([d, t]) });
    expect(seen[0]).toEqual([0, 250]);
    expect(seen[1]).toEqual([2, 250]);
    expect(seen[seen.length - 1]).toEqual([250, 250]);
    expect(seen.length).toBe(126);
  });

  it('runs lines in order and stops at the first refused one, naming it', () => {
    const t = new FakeTables();
    t.refuse.set('rules.add', new NetError('EEXIST', 'File exists'));
    let err: IpError | undefined;
    try {
      ipBatch(t, 'route add 203.0.113.0/24 dev eth0\n\nrule add pref 5 table 7\nroute add 203.0.113.64/26 dev eth0\n', { name: 'b.txt' });
    } catch (e) {
      err = e as IpError;
    }
    expect(err).toBeInstanceOf(IpError);
    expect([err!.line, err!.file, err!.stderr]).toEqual([3, 'b.txt', 'RTNETLINK answers: File exists\nCommand failed b.txt:3\n']);
    expect(t.calls.map((c) => c[0])).toEqual(['routes.add', 'rules.add']);
  });

  it('a parse error ends the batch without "Command failed" (ip exits), -force goes past refusals only', () => {
    const t = new FakeTables();
    let err: IpError | undefined;
    try {
      ipBatch(t, 'route add 203.0.113.128/26 dev eth0\nroute add bogus dev eth0\nroute add 203.0.113.192/26 dev eth0\n', { name: 'x', force: true });
    } catch (e) {
      err = e as IpError;
    }
    expect([err!.line, err!.stderr]).toEqual([2, 'Error: any valid prefix is expected rather than "bogus".\n']);
    expect(t.calls).toHaveLength(1);
    const t2 = new FakeTables();
    t2.refuse.set('rules.add', new NetError('EEXIST', 'File exists'));
    const r = ipBatch(t2, 'rule add pref 5 table 7\nroute add 203.0.113.0/24 dev eth0\nroute show\n', { name: 'y', force: true });
    expect([r.commands, r.errors.map((e) => e.line), r.stderr]).toEqual([3, [1], 'RTNETLINK answers: File exists\nCommand failed y:1\n']);
    expect(t2.calls.map((c) => c[0])).toEqual(['rules.add', 'routes.add']);
  });
});
