// Neighbour discovery as net/ipv6/ndisc.c: resolution with NS (solicited-node group, then unicast in
// PROBE), NA flags and their effect on the entry (ndisc_recv_na → neigh_update), NS for our
// addresses answered (ndisc_recv_ns), DAD probes, RS on routers, and the checks with their
// IPV6_NDISC_* reasons. Packets are written by hand from RFC 4861 and RFC 8200.

import { beforeEach, describe, expect, it } from 'vitest';
import { NeighBench, cat, eth, hex, icmp6, ip6, ipv6, llOpt, mac, naMsg, nsMsg, solicitedNode } from './neigh_env.js';

const OURS = '02:00:00:00:00:01';
const PEER = '02:00:00:00:00:02';
const S = 0x40;
const O = 0x20;
const R = 0x80;

/** An ND message from `src` to `dst` (hop limit 255 unless told), in an Ethernet frame from PEER. */
function nd(src: string, dst: string, msg: Uint8Array, opts: { hop?: number; ethDst?: string } = {}): Uint8Array {
  const s = ip6(src);
  const d = ip6(dst);
  const ethDst = opts.ethDst ?? (dst.startsWith('ff02') ? '33:33:' + Array.from(d.subarray(12), (x) => x.toString(16).padStart(2, '0')).join(':') : OURS);
  return cat(eth(mac(ethDst), mac(PEER), 0x86dd), ipv6(s, d, 58, icmp6(s, d, msg), opts.hop ?? 255));
}

function udp6(dst = '2001:db8::2', src = '2001:db8::1'): Uint8Array {
  return ipv6(ip6(src), ip6(dst), 17, new Uint8Array(16));
}

describe('NDISC resolution', () => {
  let b: NeighBench;
  beforeEach(async () => {
    b = await NeighBench.create();
    b.addrs6(b.addDev('eth0', OURS), [{ addr: '2001:db8::1', plen: 64 }, { addr: 'fe80::1', plen: 64 }]);
  });

  it('asks the solicited-node group, whose entry is NOARP with the 33:33 address, every retrans_time, then FAILED', () => {
    b.output('inet6', 'eth0', '2001:db8::2', udp6());
    expect(b.state('2001:db8::2', 'eth0')).toEqual(['INCOMPLETE']);
    expect(b.mib('Icmp6:OutNeighborSolicits')).toBe(1);
    expect(b.mib('Ip6:OutRequests')).toBe(1);
    expect(b.mib('Icmp6:OutMsgs')).toBe(1);
    expect(b.dp.neigh.get('ff02::1:ff00:2', 'eth0')).toEqual({ dst: 'ff02::1:ff00:2', dev: 'eth0', lladdr: '33:33:ff:00:00:02', state: ['NOARP'] });
    expect(b.dp.neigh.list({ family: 'inet6', nud: 'ip' }).map((n) => n.dst)).toEqual(['2001:db8::2']); // ip neigh show leaves NOARP entries out
    b.dp.stack.advance(2000);
    expect(b.mib('Icmp6:OutNeighborSolicits')).toBe(3);
    b.dp.stack.advance(1000);
    expect(b.state('2001:db8::2', 'eth0')).toEqual(['FAILED']);
    expect(b.drops('NEIGH_FAILED')).toBe(1);
  });

  it('sends no NS without a usable source: no link-local address and a waiting frame not from us', async () => {
    const c = await NeighBench.create();
    c.addrs6(c.addDev('eth0', OURS), [{ addr: '2001:db8::1', plen: 64 }]);
    c.output('inet6', 'eth0', '2001:db8::2', udp6('2001:db8::2', '2001:db8::99'));
    expect(c.mib('Icmp6:OutNeighborSolicits')).toBe(0);
    c.output('inet6', 'eth0', '2001:db8::3', udp6('2001:db8::3', '2001:db8::1')); // from our address: that one is used
    expect(c.mib('Icmp6:OutNeighborSolicits')).toBe(1);
    // a tentative link-local address is not used either
    const e1 = c.addDev('eth1', '02:00:00:00:01:01');
    c.addrs6(e1, [{ addr: 'fe80::1', plen: 64 }]);
    c.markTentative(e1, 'fe80::1');
    c.output('inet6', 'eth1', '2001:db8::4', udp6('2001:db8::4', '2001:db8::99'));
    expect(c.mib('Icmp6:OutNeighborSolicits')).toBe(1);
  });

  it('a solicited NA with override and the target address makes it REACHABLE and sends what waited', () => {
    b.output('inet6', 'eth0', '2001:db8::2', udp6());
    b.ndiscIn('eth0', nd('2001:db8::2', '2001:db8::1', naMsg(ip6('2001:db8::2'), S | O, llOpt(2, mac(PEER)))));
    expect(b.dp.neigh.get('2001:db8::2', 'eth0')).toEqual({ dst: '2001:db8::2', dev: 'eth0', lladdr: PEER, state: ['REACHABLE'] });
    expect(b.dp.neigh.queue('2001:db8::2', 'eth0').frames).toBe(0);
    // on the wire: the NS, then the datagram that waited, now with the neighbour's address
    const [ns, udp] = b.tx('eth0');
    expect(hex(ns!.subarray(0, 14))).toBe(hex(eth(mac('33:33:ff:00:00:02'), mac(OURS), 0x86dd)));
    expect(hex(udp!)).toBe(hex(cat(eth(mac(PEER), mac(OURS), 0x86dd), udp6())));
  });

  it('the router flag follows the NA: set by R, cleared by an NA without it', () => {
    b.output('inet6', 'eth0', '2001:db8::2', udp6());
    b.ndiscIn('eth0', nd('2001:db8::2', '2001:db8::1', naMsg(ip6('2001:db8::2'), R | S | O, llOpt(2, mac(PEER)))));
    expect(b.dp.neigh.get('2001:db8::2', 'eth0').router).toBeNull();
    b.ndiscIn('eth0', nd('2001:db8::2', '2001:db8::1', naMsg(ip6('2001:db8::2'), S, llOpt(2, mac(PEER)))));
    expect(b.dp.neigh.get('2001:db8::2', 'eth0').router).toBeUndefined();
  });

  describe('NA flags on a REACHABLE entry (neigh_update with WEAK_OVERRIDE, OVERRIDE per O)', () => {
    beforeEach(() => {
      b.output('inet6', 'eth0', '2001:db8::2', udp6());
      b.ndiscIn('eth0', nd('2001:db8::2', '2001:db8::1', naMsg(ip6('2001:db8::2'), S | O, llOpt(2, mac(PEER)))));
    });
    const NEW = '02:00:00:00:00:99';

    it('unsolicited with override and a new address: the address changes, STALE', () => {
      b.ndiscIn('eth0', nd('2001:db8::2', 'ff02::1', naMsg(ip6('2001:db8::2'), O, llOpt(2, mac(NEW)))));
      expect(b.dp.neigh.get('2001:db8::2', 'eth0')).toMatchObject({ lladdr: NEW, state: ['STALE'] });
    });

    it('solicited without override and a new address: the address stays, the entry is suspect (STALE)', () => {
      b.ndiscIn('eth0', nd('2001:db8::2', '2001:db8::1', naMsg(ip6('2001:db8::2'), S, llOpt(2, mac(NEW)))));
      expect(b.dp.neigh.get('2001:db8::2', 'eth0')).toMatchObject({ lladdr: PEER, state: ['STALE'] });
    });

    it('unsolicited with the same address: nothing changes (STALE is not taken over a valid entry)', () => {
      b.ndiscIn('eth0', nd('2001:db8::2', 'ff02::1', naMsg(ip6('2001:db8::2'), O, llOpt(2, mac(PEER)))));
      expect(b.state('2001:db8::2', 'eth0')).toEqual(['REACHABLE']);
    });
  });

  it('a solicited NA without a target address does not resolve an INCOMPLETE entry', () => {
    b.output('inet6', 'eth0', '2001:db8::2', udp6());
    b.ndiscIn('eth0', nd('2001:db8::2', '2001:db8::1', naMsg(ip6('2001:db8::2'), S | O)));
    expect(b.state('2001:db8::2', 'eth0')).toEqual(['INCOMPLETE']);
    expect(b.drops('NOT_SPECIFIED')).toBe(0); // consumed all the same
  });

  it('NAs that are refused: unknown target, solicited to a group, our own address, a FAILED entry', () => {
    b.ndiscIn('eth0', nd('2001:db8::5', '2001:db8::1', naMsg(ip6('2001:db8::5'), S, llOpt(2, mac(PEER)))));
    b.output('inet6', 'eth0', '2001:db8::2', udp6());
    b.ndiscIn('eth0', nd('2001:db8::2', 'ff02::1', naMsg(ip6('2001:db8::2'), S | O, llOpt(2, mac(PEER)))));
    b.ndiscIn('eth0', nd('2001:db8::2', '2001:db8::1', naMsg(ip6('2001:db8::1'), S | O, llOpt(2, mac(PEER)))));
    b.ndiscIn('eth0', nd('2001:db8::2', '2001:db8::1', naMsg(ip6('ff02::1'), S | O, llOpt(2, mac(PEER)))));
    expect(b.drops('NOT_SPECIFIED')).toBe(4);
    b.dp.stack.advance(3000);
    b.ndiscIn('eth0', nd('2001:db8::2', '2001:db8::1', naMsg(ip6('2001:db8::2'), S | O, llOpt(2, mac(PEER)))));
    expect(b.state('2001:db8::2', 'eth0')).toEqual(['FAILED']);
    expect(b.drops('NOT_SPECIFIED')).toBe(5);
  });
});

describe('NS received', () => {
  let b: NeighBench;
  beforeEach(async () => {
    b = await NeighBench.create();
    b.addrs6(b.addDev('eth0', OURS), [{ addr: '2001:db8::1', plen: 64 }, { addr: 'fe80::1', plen: 64 }]);
  });
  const ns = (src: string, dst: string, target: string, ...opts: Uint8Array[]): Uint8Array => nd(src, dst, nsMsg(ip6(target), ...opts));

  it('for our address with the source address option: the sender is learned, our NA sent through it (DELAY)', () => {
    b.ndiscIn('eth0', ns('2001:db8::2', 'ff02::1:ff00:1', '2001:db8::1', llOpt(1, mac(PEER))));
    expect(b.mib('Icmp6:OutNeighborAdvertisements')).toBe(1);
    // STALE from the NS, then the NA went out through it: neigh_event_send moved it to DELAY
    expect(b.dp.neigh.get('2001:db8::2', 'eth0')).toMatchObject({ lladdr: PEER, state: ['DELAY'] });
    expect(b.dp.neigh.stats('inet6')).toMatchObject({ rcvProbesMcast: 1, rcvProbesUcast: 0 });
    b.dp.stack.advance(5000);
    expect(b.state('2001:db8::2', 'eth0')).toEqual(['PROBE']);
    expect(b.mib('Icmp6:OutNeighborSolicits')).toBe(1); // unicast probe
  });

  it('unicast without a source address option from a stranger: an entry without address, and our NA waits for resolution', () => {
    b.ndiscIn('eth0', ns('2001:db8::2', '2001:db8::1', '2001:db8::1'));
    expect(b.state('2001:db8::2', 'eth0')).toEqual(['INCOMPLETE']);
    expect(b.mib('Icmp6:OutNeighborSolicits')).toBe(1);
    expect(b.mib('Icmp6:OutNeighborAdvertisements')).toBe(1);
    expect(b.dp.neigh.queue('2001:db8::2', 'eth0').frames).toBe(1);
    expect(b.dp.neigh.stats('inet6').rcvProbesUcast).toBe(1);
  });

  it('multicast without a source address option from a stranger: nothing learned, no NA', () => {
    b.ndiscIn('eth0', ns('2001:db8::2', 'ff02::1:ff00:1', '2001:db8::1'));
    expect(b.dp.neigh.list()).toEqual([]);
    expect(b.mib('Icmp6:OutNeighborAdvertisements')).toBe(0);
    expect(b.drops('NOT_SPECIFIED')).toBe(1);
  });

  it('for an address that is not ours: IPV6_NDISC_NS_OTHERHOST', () => {
    b.ndiscIn('eth0', ns('2001:db8::2', 'ff02::1:ff00:9', '2001:db8::9', llOpt(1, mac(PEER))));
    expect(b.drops('IPV6_NDISC_NS_OTHERHOST')).toBe(1);
    expect(b.dp.neigh.list()).toEqual([]);
  });

  it('a DAD probe for our address is answered to all nodes, unsolicited; the kernel counts the probe dropped', () => {
    b.ndiscIn('eth0', ns('::', 'ff02::1:ff00:1', '2001:db8::1'));
    expect(b.mib('Icmp6:OutNeighborAdvertisements')).toBe(1);
    expect(b.dp.neigh.get('ff02::1', 'eth0')).toMatchObject({ lladdr: '33:33:00:00:00:01', state: ['NOARP'] });
    expect(b.drops('NOT_SPECIFIED')).toBe(1);
    // malformed DAD: to a unicast address, or with a source address option
    b.ndiscIn('eth0', ns('::', '2001:db8::1', '2001:db8::1'));
    b.ndiscIn('eth0', ns('::', 'ff02::1:ff00:1', '2001:db8::1', llOpt(1, mac(PEER))));
    expect(b.drops('NOT_SPECIFIED')).toBe(3);
    expect(b.mib('Icmp6:OutNeighborAdvertisements')).toBe(1);
  });

  it('checks: hop limit 255, code 0, whole options, option lengths, message length, a unicast target', () => {
    b.ndiscIn('eth0', nd('2001:db8::2', '2001:db8::1', nsMsg(ip6('2001:db8::1'), llOpt(1, mac(PEER))), { hop: 64 }));
    expect(b.drops('IPV6_NDISC_HOP_LIMIT')).toBe(1);
    const bad = nsMsg(ip6('2001:db8::1'), llOpt(1, mac(PEER)));
    bad[1] = 1;
    b.ndiscIn('eth0', nd('2001:db8::2', '2001:db8::1', bad));
    expect(b.drops('IPV6_NDISC_BAD_CODE')).toBe(1);
    b.ndiscIn('eth0', ns('2001:db8::2', '2001:db8::1', '2001:db8::1', Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0)));
    b.ndiscIn('eth0', ns('2001:db8::2', '2001:db8::1', '2001:db8::1', Uint8Array.of(1, 2, 0, 0, 0, 0, 0, 0)));
    expect(b.drops('IPV6_NDISC_BAD_OPTIONS')).toBe(2);
    b.ndiscIn('eth0', ns('2001:db8::2', '2001:db8::1', '2001:db8::1', Uint8Array.of(1, 2, 2, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8)));
    b.ndiscIn('eth0', ns('2001:db8::2', '2001:db8::1', 'ff02::1', llOpt(1, mac(PEER))));
    expect(b.drops('NOT_SPECIFIED')).toBe(2);
    b.ndiscIn('eth0', nd('2001:db8::2', '2001:db8::1', nsMsg(ip6('2001:db8::1')).subarray(0, 20)));
    expect(b.drops('PKT_TOO_SMALL')).toBe(1);
    // an unknown option is ignored
    b.ndiscIn('eth0', ns('2001:db8::2', '2001:db8::1', '2001:db8::1', Uint8Array.of(99, 1, 0, 0, 0, 0, 0, 0), llOpt(1, mac(PEER))));
    expect(b.mib('Icmp6:OutNeighborAdvertisements')).toBe(1);
  });
});

describe('RS and the device switches', () => {
  it('a router learns a soliciting host STALE; a host ignores RS', async () => {
    const b = await NeighBench.create();
    const d = b.addDev('eth0', OURS);
    b.addrs6(d, [{ addr: 'fe80::1', plen: 64 }]);
    const rs = (): Uint8Array => nd('fe80::2', 'ff02::2', cat(Uint8Array.of(133, 0, 0, 0, 0, 0, 0, 0), llOpt(1, mac(PEER))));
    b.ndiscIn('eth0', rs());
    expect(b.drops('NOT_SPECIFIED')).toBe(1);
    b.conf6(d, 'forwarding', 1);
    b.ndiscIn('eth0', rs());
    expect(b.dp.neigh.get('fe80::2', 'eth0')).toMatchObject({ lladdr: PEER, state: ['STALE'] });
  });

  it('with IPv6 disabled on the device nothing leaves it: IPV6DISABLED, Ip6:OutDiscards', async () => {
    const b = await NeighBench.create();
    const d = b.addDev('eth0', OURS);
    b.conf6(d, 'disable_ipv6', 1);
    b.output('inet6', 'eth0', '2001:db8::2', udp6());
    expect(b.drops('IPV6DISABLED')).toBe(1);
    expect(b.mib('Ip6:OutDiscards')).toBe(1);
    expect(() => b.dp.neigh.add({ to: '2001:db8::2', dev: 'eth0', lladdr: PEER })).toThrow('Error: IPv6 is disabled on this device.');
  });

  it('an NA frame whose Ethernet destination is ours is still checked for the 33:33 helper', () => {
    expect(solicitedNode(ip6('2001:db8::1:2:3'))).toEqual(ip6('ff02::1:ff02:3'));
  });
});
