// fib_validate_source's reverse route memo (assembly/net/ipv4_rcv.ts): the last answers are kept per
// worker under the FIB generation, so whatever changes the route back — a route added or removed, a
// rule added or removed, rp_filter, the input device's addresses — must give the next frame a new
// answer. The same frame is sent again after each change; each outcome is derived by hand from
// __fib_validate_source (net/ipv4/fib_frontend.c): strict mode (rp_filter 1) accepts a source whose
// route back leaves by the input device, and drops it as IP_RPFILTER otherwise (counted in
// TcpExt:IPReversePathFilter); with rp_filter 0 and a rule added the route back is still looked up,
// but only its type decides. tests/net/validate_source_kernel.test.ts checks the answers themselves
// against the kernel, frame by frame.

import { describe, expect, it } from 'vitest';
import { Fixture, stackUnready, eth, ipv4, udp4, type LinkCfg, type NeighCfg } from './support.js';

const M0 = '02:00:00:00:03:00';
const M1 = '02:00:00:00:03:01';
const H0 = '02:00:00:00:04:00';
const H1 = '02:00:00:00:04:01';
const LINKS: LinkCfg[] = [
  { name: 'eth0', mac: M0, forwarding: true, v4: ['192.0.2.1/24'] },
  { name: 'eth1', mac: M1, forwarding: true, v4: ['198.51.100.1/24'] },
];
const NEIGH: NeighCfg[] = [
  { dev: 'eth0', addr: '192.0.2.2', mac: H0 },
  { dev: 'eth1', addr: '198.51.100.2', mac: H1 },
];
const RPF = 'TcpExt:IPReversePathFilter';

/** From 192.0.2.2 (on eth0's link) to 198.51.100.2 (on eth1's). */
const FRAME = eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '198.51.100.2', proto: 17 }, udp4('192.0.2.2', '198.51.100.2', 1000, 2000, new Uint8Array(8))));

const unready = await stackUnready();

describe.skipIf(unready !== '')('the reverse route memo follows every change to the route back', () => {
  it.each([false, true])('the same frame after each change (full path: %s)', async (full) => {
    // ip_forward_use_pmtu on sends every frame through the full path instead of the lean forward
    const fx = await Fixture.create(LINKS, [], NEIGH, { sysctls: { 'net.ipv4.conf.all.rp_filter': 1, ...(full ? { 'net.ipv4.ip_forward_use_pmtu': 1 } : {}) } });
    const send = (): string => {
      const rpf0 = fx.mib()[RPF] ?? 0;
      const d0 = fx.drops()['IP_RPFILTER'] ?? 0;
      const out = fx.rx('eth0', FRAME).get('eth1')?.length ?? 0;
      const rpf = (fx.mib()[RPF] ?? 0) - rpf0;
      const drop = (fx.drops()['IP_RPFILTER'] ?? 0) - d0;
      if (out === 1 && rpf === 0 && drop === 0) return 'fwd';
      if (out === 0 && rpf === 1 && drop === 1) return 'IP_RPFILTER';
      return `out ${out}, ${RPF} +${rpf}, IP_RPFILTER +${drop}`;
    };
    const seen: Array<[string, string]> = [];
    const step = (what: string, change: () => void): void => {
      change();
      seen.push([what, send()], [`${what}, again`, send()]);
    };
    step('connected route back by eth0', () => {});
    step('a /32 back by eth1', () => fx.ip('route add 192.0.2.2/32 dev eth1'));
    step('the /32 removed', () => fx.ip('route del 192.0.2.2/32 dev eth1'));
    fx.ip('route add 192.0.2.0/24 dev eth1 table 100');
    step('a rule for the destination to table 100 (back by eth1)', () => fx.ip('rule add from 198.51.100.2 lookup 100 pref 100'));
    step('rp_filter 0 (a rule: the route back looked up, unicast)', () => fx.dp.sysctl('net.ipv4.conf.all.rp_filter', 0));
    step('rp_filter 1 again', () => fx.dp.sysctl('net.ipv4.conf.all.rp_filter', 1));
    step('the rule removed', () => fx.ip('rule del pref 100'));
    step("eth0's address removed (no address on the input device)", () => fx.ip('addr del 192.0.2.1/24 dev eth0'));
    expect(seen).toEqual([
      ['connected route back by eth0', 'fwd'],
      ['connected route back by eth0, again', 'fwd'],
      ['a /32 back by eth1', 'IP_RPFILTER'],
      ['a /32 back by eth1, again', 'IP_RPFILTER'],
      ['the /32 removed', 'fwd'],
      ['the /32 removed, again', 'fwd'],
      ['a rule for the destination to table 100 (back by eth1)', 'IP_RPFILTER'],
      ['a rule for the destination to table 100 (back by eth1), again', 'IP_RPFILTER'],
      ['rp_filter 0 (a rule: the route back looked up, unicast)', 'fwd'],
      ['rp_filter 0 (a rule: the route back looked up, unicast), again', 'fwd'],
      ['rp_filter 1 again', 'IP_RPFILTER'],
      ['rp_filter 1 again, again', 'IP_RPFILTER'],
      ['the rule removed', 'fwd'],
      ['the rule removed, again', 'fwd'],
      // no route back at all now (the connected route went with the address) and no address on
      // eth0: __fib_validate_source's no_addr/last_resort with rp_filter on → -EXDEV
      ["eth0's address removed (no address on the input device)", 'IP_RPFILTER'],
      ["eth0's address removed (no address on the input device), again", 'IP_RPFILTER'],
    ]);
  });
});
