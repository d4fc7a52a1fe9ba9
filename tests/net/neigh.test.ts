// The neighbour state machine on the stack clock, step by step, with the states and times derived from
// net/core/neighbour.c (6.18): __neigh_event_send, neigh_timer_handler, __neigh_update, the unresolved
// queue (unres_qlen_bytes by truesize), neigh_periodic_work and neigh_forced_gc.
//
// Times: retrans_time 1000 ms, delay_first_probe_time 5000 ms, the timer floor HZ/100 = 10 ms; a
// REACHABLE entry's timer fires at confirmed + reachable_time, finds it "still alive" (time_before_eq)
// and re-arms 10 ms later, when it goes STALE (or DELAY if used within delay_first_probe_time).

import { beforeEach, describe, expect, it } from 'vitest';
import { NeighBench, arp, cat, eth, ip4, ipv4, mac } from './neigh_env.js';

const PEER = '02:00:00:00:00:02';
const OURS = '02:00:00:00:00:01';
const BCAST = 'ff:ff:ff:ff:ff:ff';

/** A unicast ARP reply from 192.0.2.2 (PEER) to us. */
function reply(from = PEER, sip = '192.0.2.2'): Uint8Array {
  return cat(eth(mac(OURS), mac(from), 0x0806), arp(2, mac(from), ip4(sip), mac(OURS), ip4('192.0.2.1')));
}

function udp(dst = '192.0.2.2', src = '192.0.2.1'): Uint8Array {
  return ipv4(ip4(src), ip4(dst), 17, new Uint8Array(16));
}

describe('the IPv4 neighbour state machine', () => {
  let b: NeighBench;
  beforeEach(async () => {
    b = await NeighBench.create();
    const d = b.addDev('eth0', 2, OURS);
    b.setAddrs4(d, [{ addr: '192.0.2.1', plen: 24 }]);
  });

  it('an unknown next hop goes INCOMPLETE and is asked for at once, then every retrans_time', () => {
    b.output('inet', 'eth0', '192.0.2.2', udp());
    expect(b.state('192.0.2.2', 'eth0')).toEqual(['INCOMPLETE']);
    expect(b.mib('Arp:OutRequests')).toBe(1);
    expect(b.dp.neigh.queue('192.0.2.2', 'eth0')).toEqual({ frames: 1, bytes: 4096 + 256 });
    b.dp.stack.advance(999);
    expect(b.mib('Arp:OutRequests')).toBe(1);
    b.dp.stack.advance(1);
    expect(b.mib('Arp:OutRequests')).toBe(2);
    b.dp.stack.advance(1000);
    expect(b.mib('Arp:OutRequests')).toBe(3);
    expect(b.state('192.0.2.2', 'eth0')).toEqual(['INCOMPLETE']);
  });

  it('after mcast_solicit requests without an answer it is FAILED and its frames are dropped with NEIGH_FAILED', () => {
    b.output('inet', 'eth0', '192.0.2.2', udp());
    b.output('inet', 'eth0', '192.0.2.2', udp());
    b.dp.stack.advance(2999);
    expect(b.state('192.0.2.2', 'eth0')).toEqual(['INCOMPLETE']);
    b.dp.stack.advance(1);
    expect(b.state('192.0.2.2', 'eth0')).toEqual(['FAILED']);
    expect(b.mib('Arp:OutRequests')).toBe(3);
    expect(b.drops('NEIGH_FAILED')).toBe(2);
    expect(b.dp.neigh.stats('inet').resFailed).toBe(1);
    expect(b.dp.neigh.queue('192.0.2.2', 'eth0')).toEqual({ frames: 0, bytes: 0 });
  });

  it('a reply while INCOMPLETE makes it REACHABLE with the sender address and sends what waited', () => {
    b.output('inet', 'eth0', '192.0.2.2', udp());
    b.dp.stack.advance(300);
    b.arpIn('eth0', reply());
    const n = b.dp.neigh.get('192.0.2.2', 'eth0');
    expect(n).toEqual({ dst: '192.0.2.2', dev: 'eth0', lladdr: PEER, state: ['REACHABLE'] });
    expect(b.dp.neigh.queue('192.0.2.2', 'eth0').frames).toBe(0);
    expect(b.mib('Arp:InReplies')).toBe(1);
  });
});

describe('the IPv4 neighbour state machine, timers', () => {
  let b: NeighBench;
  beforeEach(async () => {
    b = await NeighBench.create();
    const d = b.addDev('eth0', 2, OURS);
    b.setAddrs4(d, [{ addr: '192.0.2.1', plen: 24 }]);
  });

  /** Resolve 192.0.2.2 at t = 300 ms (request at 0, reply at 300): the entry is REACHABLE, confirmed at 300. */
  function resolve(): number {
    b.output('inet', 'eth0', '192.0.2.2', udp());
    b.dp.stack.advance(300);
    b.arpIn('eth0', reply());
    return b.dp.neigh.getParam('inet', 'eth0', 'reachable_time');
  }

  it('REACHABLE lasts reachable_time (a draw in [base/2, 3·base/2)) and then, unused, goes STALE 10 ms later', () => {
    const rt = resolve();
    expect(rt).toBeGreaterThanOrEqual(15000);
    expect(rt).toBeLessThan(45000);
    b.dp.stack.advance(rt + 9); // t = 300 + rt + 9
    expect(b.state('192.0.2.2', 'eth0')).toEqual(['REACHABLE']);
    b.dp.stack.advance(1);
    expect(b.state('192.0.2.2', 'eth0')).toEqual(['STALE']);
  });

  it('the result does not depend on how the clock is stepped', async () => {
    const rt = resolve();
    const c = await NeighBench.create();
    c.setAddrs4(c.addDev('eth0', 2, OURS), [{ addr: '192.0.2.1', plen: 24 }]);
    c.output('inet', 'eth0', '192.0.2.2', udp());
    c.dp.stack.advance(300);
    c.arpIn('eth0', reply());
    expect(c.dp.neigh.getParam('inet', 'eth0', 'reachable_time')).toBe(rt); // the same deterministic draw
    for (let i = 0; i < rt + 10; i += 7) c.dp.stack.advance(Math.min(7, rt + 10 - i));
    b.dp.stack.advance(rt + 10);
    expect(c.state('192.0.2.2', 'eth0')).toEqual(['STALE']);
    expect(b.state('192.0.2.2', 'eth0')).toEqual(['STALE']);
  });

  it('STALE and used again: DELAY for delay_first_probe_time, then PROBE with unicast requests, then FAILED', () => {
    const rt = resolve();
    b.dp.stack.advance(rt + 10);
    expect(b.state('192.0.2.2', 'eth0')).toEqual(['STALE']);
    const requests = b.mib('Arp:OutRequests');
    b.output('inet', 'eth0', '192.0.2.2', udp()); // sent at once, with the cached address
    expect(b.state('192.0.2.2', 'eth0')).toEqual(['DELAY']);
    expect(b.mib('Arp:OutRequests')).toBe(requests);
    b.dp.stack.advance(4999);
    expect(b.state('192.0.2.2', 'eth0')).toEqual(['DELAY']);
    b.dp.stack.advance(1);
    expect(b.state('192.0.2.2', 'eth0')).toEqual(['PROBE']);
    expect(b.mib('Arp:OutRequests')).toBe(requests + 1);
    b.output('inet', 'eth0', '192.0.2.2', udp()); // PROBE still sends with the cached address
    expect(b.dp.neigh.queue('192.0.2.2', 'eth0').frames).toBe(0);
    b.dp.stack.advance(2000);
    expect(b.mib('Arp:OutRequests')).toBe(requests + 3); // ucast_solicit 3, mcast_resolicit 0
    expect(b.state('192.0.2.2', 'eth0')).toEqual(['PROBE']);
    b.dp.stack.advance(1000);
    expect(b.state('192.0.2.2', 'eth0')).toEqual(['FAILED']);
    expect(b.dp.neigh.get('192.0.2.2', 'eth0').lladdr).toBeUndefined();
  });

  it('a unicast reply during DELAY confirms it: REACHABLE again', () => {
    const rt = resolve();
    b.dp.stack.advance(rt + 10);
    b.output('inet', 'eth0', '192.0.2.2', udp());
    b.dp.stack.advance(2000);
    expect(b.state('192.0.2.2', 'eth0')).toEqual(['DELAY']);
    b.arpIn('eth0', reply());
    expect(b.state('192.0.2.2', 'eth0')).toEqual(['REACHABLE']);
  });

  it('REACHABLE used within delay_first_probe_time of its expiry goes to DELAY, not STALE', () => {
    b.dp.neigh.setParam('inet', 'eth0', 'base_reachable_time_ms', 2000);
    const rt = resolve(); // the queued frame went out at 300: used = 300
    expect(rt).toBeGreaterThanOrEqual(1000);
    expect(rt).toBeLessThan(3000);
    b.dp.stack.advance(rt + 10);
    expect(b.state('192.0.2.2', 'eth0')).toEqual(['DELAY']);
    b.dp.stack.advance(5000);
    expect(b.state('192.0.2.2', 'eth0')).toEqual(['PROBE']);
  });

  it('a second reply with another address inside locktime is ignored; after locktime it overrides', () => {
    resolve();
    b.dp.stack.advance(500);
    b.arpIn('eth0', reply('02:00:00:00:00:99'));
    expect(b.dp.neigh.get('192.0.2.2', 'eth0').lladdr).toBe(PEER);
    b.dp.stack.advance(600); // updated at 300: now 1400 > 300 + locktime
    b.arpIn('eth0', reply('02:00:00:00:00:99'));
    expect(b.dp.neigh.get('192.0.2.2', 'eth0')).toMatchObject({ lladdr: '02:00:00:00:00:99', state: ['REACHABLE'] });
  });

  it('a broadcast reply or a request does not confirm reachability: STALE', () => {
    // entries the administrator set INCOMPLETE: no frame waits, so nothing moves them on to DELAY
    b.dp.neigh.add({ to: '192.0.2.2', dev: 'eth0', nud: 'incomplete' });
    b.dp.neigh.add({ to: '192.0.2.3', dev: 'eth0', nud: 'incomplete' });
    b.arpIn('eth0', cat(eth(mac(BCAST), mac(PEER), 0x0806), arp(2, mac(PEER), ip4('192.0.2.2'), mac(OURS), ip4('192.0.2.1'))));
    expect(b.dp.neigh.get('192.0.2.2', 'eth0')).toMatchObject({ lladdr: PEER, state: ['STALE'] });
    // a request from a neighbour we track, for someone else, refreshes it as STALE too
    b.arpIn('eth0', cat(eth(mac(BCAST), mac('02:00:00:00:00:03'), 0x0806), arp(1, mac('02:00:00:00:00:03'), ip4('192.0.2.3'), new Uint8Array(6), ip4('192.0.2.77'))));
    expect(b.dp.neigh.get('192.0.2.3', 'eth0')).toMatchObject({ lladdr: '02:00:00:00:00:03', state: ['STALE'] });
  });

  it('a frame waiting when the entry turns STALE goes out through it, which moves it on to DELAY', () => {
    b.output('inet', 'eth0', '192.0.2.2', udp());
    b.arpIn('eth0', cat(eth(mac(BCAST), mac(PEER), 0x0806), arp(2, mac(PEER), ip4('192.0.2.2'), mac(OURS), ip4('192.0.2.1'))));
    expect(b.state('192.0.2.2', 'eth0')).toEqual(['DELAY']);
    expect(b.dp.neigh.queue('192.0.2.2', 'eth0').frames).toBe(0);
  });

  it('without mcast_solicit and app_solicit nothing can be asked: FAILED at once, the frame dropped', () => {
    b.dp.neigh.setParam('inet', 'eth0', 'mcast_solicit', 0);
    b.output('inet', 'eth0', '192.0.2.2', udp());
    expect(b.state('192.0.2.2', 'eth0')).toEqual(['FAILED']);
    expect(b.drops('NEIGH_FAILED')).toBe(1);
    expect(b.mib('Arp:OutRequests')).toBe(0);
  });

  it('app_solicit probes go to user space: no request on the wire for them', () => {
    b.dp.neigh.setParam('inet', 'eth0', 'mcast_solicit', 1);
    b.dp.neigh.setParam('inet', 'eth0', 'app_solicit', 2);
    b.output('inet', 'eth0', '192.0.2.2', udp());
    // probes start at ucast_solicit (3): 3-3 = 0 is not < 0, 0-2 < 0: neigh_app_ns
    expect(b.mib('Arp:OutRequests')).toBe(0);
    b.dp.stack.advance(2000); // probes 4, 5: 4-3-2 < 0 still app; 5-3-2 = 0: broadcast
    expect(b.mib('Arp:OutRequests')).toBe(1);
    b.dp.stack.advance(1000);
    expect(b.state('192.0.2.2', 'eth0')).toEqual(['FAILED']); // max probes 3 + 2 + 1 = 6
  });
});

describe('the unresolved queue', () => {
  let b: NeighBench;
  beforeEach(async () => {
    b = await NeighBench.create();
    b.setAddrs4(b.addDev('eth0', 2, OURS), [{ addr: '192.0.2.1', plen: 24 }]);
  });

  it('holds unres_qlen_bytes of truesize (4352 a frame): the oldest go with NEIGH_QUEUEFULL', () => {
    const free = b.x.dp_pool_free();
    for (let i = 0; i < 50; i++) b.output('inet', 'eth0', '192.0.2.2', udp());
    // 212992 / 4352 = 48.9: 48 frames fit
    expect(b.dp.neigh.queue('192.0.2.2', 'eth0')).toEqual({ frames: 48, bytes: 48 * 4352 });
    expect(b.drops('NEIGH_QUEUEFULL')).toBe(2);
    expect(b.dp.neigh.stats('inet').unresolvedDiscards).toBe(2);
    expect(b.x.dp_pool_free()).toBe(free - 48);
    b.dp.stack.advance(3000);
    expect(b.drops('NEIGH_FAILED')).toBe(48);
    expect(b.x.dp_pool_free()).toBe(free);
  });

  it('keeps the newest frame even when unres_qlen_bytes is smaller than one frame', () => {
    b.dp.neigh.setParam('inet', 'eth0', 'unres_qlen_bytes', 1000);
    for (let i = 0; i < 3; i++) b.output('inet', 'eth0', '192.0.2.2', udp());
    expect(b.dp.neigh.queue('192.0.2.2', 'eth0').frames).toBe(1);
    expect(b.drops('NEIGH_QUEUEFULL')).toBe(2);
  });

  it('unres_qlen is counted in SKB_TRUESIZE(ETH_FRAME_LEN) = 2090 bytes', () => {
    expect(b.dp.neigh.getParam('inet', 'default', 'unres_qlen')).toBe(101);
    b.dp.neigh.setParam('inet', 'eth0', 'unres_qlen', 3);
    expect(b.dp.neigh.getParam('inet', 'eth0', 'unres_qlen_bytes')).toBe(6270);
    for (let i = 0; i < 3; i++) b.output('inet', 'eth0', '192.0.2.2', udp());
    expect(b.dp.neigh.queue('192.0.2.2', 'eth0').frames).toBe(1); // 2 × 4352 > 6270
  });

  it('is sent in order once the reply arrives, and deleting an INCOMPLETE entry fails its frames', () => {
    for (let i = 0; i < 3; i++) b.output('inet', 'eth0', '192.0.2.2', udp());
    b.arpIn('eth0', reply());
    expect(b.dp.neigh.queue('192.0.2.2', 'eth0').frames).toBe(0);
    for (let i = 0; i < 2; i++) b.output('inet', 'eth0', '192.0.2.3', udp('192.0.2.3'));
    b.dp.neigh.del({ to: '192.0.2.3', dev: 'eth0' });
    expect(b.drops('NEIGH_FAILED')).toBe(2);
    expect(b.state('192.0.2.3', 'eth0')).toBeUndefined();
  });
});
