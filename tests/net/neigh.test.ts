// The neighbour state machine on the stack clock, step by step, with the states and times derived from
// net/core/neighbour.c (6.18): __neigh_event_send, neigh_timer_handler, __neigh_update, the unresolved
// queue (unres_qlen_bytes by truesize), neigh_periodic_work and neigh_forced_gc.
//
// Times: retrans_time 1000 ms, delay_first_probe_time 5000 ms, the timer floor HZ/100 = 10 ms; a
// REACHABLE entry's timer fires at confirmed + reachable_time, finds it "still alive" (time_before_eq)
// and re-arms 10 ms later, when it goes STALE (or DELAY if used within delay_first_probe_time).

import { beforeEach, describe, expect, it } from 'vitest';
import { NeighBench, arp, cat, eth, ip4, ip6, ipv4, ipv6, mac } from './neigh_env.js';

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
    const d = b.addDev('eth0', OURS);
    b.addrs4(d, [{ addr: '192.0.2.1', plen: 24 }]);
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
    const d = b.addDev('eth0', OURS);
    b.addrs4(d, [{ addr: '192.0.2.1', plen: 24 }]);
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
    c.addrs4(c.addDev('eth0', OURS), [{ addr: '192.0.2.1', plen: 24 }]);
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
    b.addrs4(b.addDev('eth0', OURS), [{ addr: '192.0.2.1', plen: 24 }]);
  });

  it('holds unres_qlen_bytes of truesize (4352 a frame): the oldest go with NEIGH_QUEUEFULL', () => {
    const free = b.x.dp_pool_free();
    for (let i = 0; i < 50; i++) b.output('inet', 'eth0', '192.0.2.2', udp());
    // 212992 / 4352 = 48.9: 48 frames fit
    expect(b.dp.neigh.queue('192.0.2.2', 'eth0')).toEqual({ frames: 48, bytes: 48 * 4352 });
    expect(b.drops('NEIGH_QUEUEFULL')).toBe(2);
    expect(b.dp.neigh.stats('inet').unresolvedDiscards).toBe(2);
    expect(b.x.dp_pool_free()).toBe(free - 48 - 1); // and the request on the TX ring
    b.dp.stack.advance(3000);
    expect(b.drops('NEIGH_FAILED')).toBe(48);
    expect(b.tx('eth0')).toHaveLength(3);
    expect(b.x.dp_pool_free()).toBe(free - 3); // every queued frame back; the three requests went to the rings
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

describe('garbage collection', () => {
  let b: NeighBench;
  beforeEach(async () => {
    b = await NeighBench.create();
    b.addrs4(b.addDev('eth0', OURS), [{ addr: '192.0.2.1', plen: 24 }]);
  });
  const to = (i: number): string => `192.0.2.${10 + i}`;

  it('at gc_thresh3 with every entry still resolving (held by its timer) a new one is refused: NEIGH_CREATEFAIL', () => {
    b.dp.neigh.setParam('inet', 'default', 'gc_thresh3', 4);
    for (let i = 0; i < 4; i++) b.output('inet', 'eth0', to(i), udp(to(i)));
    b.output('inet', 'eth0', to(4), udp(to(4)));
    expect(b.drops('NEIGH_CREATEFAIL')).toBe(1);
    expect(b.state(to(4), 'eth0')).toBeUndefined();
    const s = b.dp.neigh.stats('inet');
    expect(s).toMatchObject({ entries: 4, gcEntries: 4, tableFulls: 1, forcedGcRuns: 1 });
  });

  it('forced gc makes room from the oldest FAILED entries, down to gc_thresh2', () => {
    b.dp.neigh.setParam('inet', 'default', 'gc_thresh3', 4);
    b.dp.neigh.setParam('inet', 'default', 'gc_thresh2', 2);
    for (let i = 0; i < 4; i++) b.output('inet', 'eth0', to(i), udp(to(i)));
    b.dp.stack.advance(3000); // all FAILED; last_flush is still 0, so no gc before thresh3
    b.output('inet', 'eth0', to(4), udp(to(4)));
    // max_clean = gc_entries (5, the new one counted) - gc_thresh2 = 3: the three oldest go
    expect(b.dp.neigh.list().map((n) => n.dst).sort()).toEqual([to(3), to(4)]);
    expect(b.dp.neigh.stats('inet')).toMatchObject({ entries: 2, forcedGcRuns: 1, tableFulls: 0, destroys: 3 });
  });

  it('above gc_thresh2 a forced gc runs when the last flush is more than 5 s old, taking entries not updated for 5 s', () => {
    b.dp.neigh.setParam('inet', 'default', 'gc_thresh2', 2);
    for (let i = 0; i < 2; i++) b.dp.neigh.add({ to: to(i), dev: 'eth0', lladdr: PEER, nud: 'stale' });
    b.dp.stack.advance(5001);
    b.dp.neigh.add({ to: to(2), dev: 'eth0', lladdr: PEER, nud: 'stale' });
    // max_clean = 3 - gc_thresh2 = 1: only the oldest goes
    expect(b.dp.neigh.list().map((n) => n.dst).sort()).toEqual([to(1), to(2)]);
    expect(b.dp.neigh.stats('inet').forcedGcRuns).toBe(1);
  });

  it('the hash blocks a table grew out of go back to reclaim.ts at the next tick', () => {
    const fn = <T>(n: string) => b.dp.fastPath.fn<T>(n);
    const free = () => Number(fn<() => bigint>('rc_free_bytes')());
    const before = free();
    // 8 buckets at first (neigh_hash_alloc(3)); 100 entries double it to 128: 8, 16, 32 and 64 retired
    for (let i = 0; i < 100; i++) b.dp.neigh.add({ to: `198.51.100.${i}`, dev: 'eth0', lladdr: '02:00:00:00:00:09' });
    expect(b.dp.neigh.stats('inet').hashGrows).toBe(4);
    b.dp.stack.advance(1);
    // blocks of 16 + 8·2^shift bytes, in reclaim.ts's power-of-two classes: 128 + 256 + 512 + 1024
    expect(free() - before).toBe(128 + 256 + 512 + 1024);
  });

  it('permanent entries are exempt: not counted against gc_thresh3 and never collected', () => {
    b.dp.neigh.setParam('inet', 'default', 'gc_thresh3', 2);
    for (let i = 0; i < 5; i++) b.dp.neigh.add({ to: to(i), dev: 'eth0', lladdr: PEER });
    expect(b.dp.neigh.stats('inet')).toMatchObject({ entries: 5, gcEntries: 0 });
    b.dp.neigh.setParam('inet', 'default', 'gc_thresh1', 0);
    b.dp.stack.advance(200000);
    expect(b.dp.neigh.list()).toHaveLength(5);
    // nud permanent → stale through replace puts it back on the gc list
    b.dp.neigh.replace({ to: to(0), dev: 'eth0', lladdr: PEER, nud: 'stale' });
    expect(b.dp.neigh.stats('inet').gcEntries).toBe(1);
  });

  it('the periodic work removes entries unused for gc_stale_time once the table holds gc_thresh1', () => {
    b.dp.neigh.setParam('inet', 'default', 'gc_thresh1', 0);
    b.dp.neigh.add({ to: to(0), dev: 'eth0', lladdr: PEER, nud: 'stale' }); // used = 0
    // the work runs at the default parms' reachable_time, then every base_reachable_time / 2
    let t = b.dp.neigh.nextGc('inet');
    expect(t).toBeGreaterThanOrEqual(15000);
    expect(t).toBeLessThan(45000);
    while (t < 60000) {
      b.dp.stack.advance(t - b.dp.stack.now());
      expect(b.state(to(0), 'eth0')).toEqual(['STALE']);
      const next = b.dp.neigh.nextGc('inet');
      expect(next).toBe(t + 15000);
      t = next;
    }
    b.dp.stack.advance(t - b.dp.stack.now() - 1);
    expect(b.state(to(0), 'eth0')).toEqual(['STALE']);
    b.dp.stack.advance(1);
    expect(b.state(to(0), 'eth0')).toBeUndefined();
    expect(b.dp.neigh.stats('inet').periodicGcRuns).toBeGreaterThanOrEqual(3);
  });

  it('below gc_thresh1 nothing is collected, and FAILED entries go at the next periodic run once it is reached', () => {
    b.dp.neigh.add({ to: to(0), dev: 'eth0', lladdr: PEER, nud: 'stale' });
    b.dp.stack.advance(300000);
    expect(b.state(to(0), 'eth0')).toEqual(['STALE']); // 1 entry < gc_thresh1 (128)
    b.dp.neigh.setParam('inet', 'default', 'gc_thresh1', 1);
    b.dp.neigh.add({ to: to(1), dev: 'eth0', nud: 'failed' });
    b.dp.stack.advance(b.dp.neigh.nextGc('inet') - b.dp.stack.now());
    expect(b.dp.neigh.list()).toEqual([]);
  });
});

describe('dp.neigh: ip neigh add/replace/change/del/get/flush', () => {
  let b: NeighBench;
  beforeEach(async () => {
    b = await NeighBench.create();
    b.addrs4(b.addDev('eth0', OURS), [{ addr: '192.0.2.1', plen: 24 }]);
    b.addDev('eth1', '02:00:00:00:01:01');
  });

  it('adds a permanent entry by default, as iproute2 does', () => {
    b.dp.neigh.add({ to: '192.0.2.6', dev: 'eth0', lladdr: '02:00:00:00:00:06' });
    expect(b.dp.neigh.list()).toEqual([{ dst: '192.0.2.6', dev: 'eth0', lladdr: '02:00:00:00:00:06', state: ['PERMANENT'] }]);
  });

  it('refuses a second add with EEXIST; replace overwrites; change needs an entry (ENOENT)', () => {
    b.dp.neigh.add({ to: '192.0.2.6', dev: 'eth0', lladdr: '02:00:00:00:00:06' });
    expect(() => b.dp.neigh.add({ to: '192.0.2.6', dev: 'eth0', lladdr: '02:00:00:00:00:07' })).toThrow(
      expect.objectContaining({ errno: 'EEXIST', message: 'RTNETLINK answers: File exists' }),
    );
    b.dp.neigh.replace({ to: '192.0.2.6', dev: 'eth0', lladdr: '02:00:00:00:00:07', nud: 'reachable', router: true });
    expect(b.dp.neigh.get('192.0.2.6', 'eth0')).toEqual({ dst: '192.0.2.6', dev: 'eth0', lladdr: '02:00:00:00:00:07', router: null, state: ['REACHABLE'] });
    b.dp.neigh.change({ to: '192.0.2.6', dev: 'eth0', lladdr: '02:00:00:00:00:08', nud: 'stale' });
    expect(b.dp.neigh.get('192.0.2.6', 'eth0')).toMatchObject({ lladdr: '02:00:00:00:00:08', state: ['STALE'] });
    expect(() => b.dp.neigh.change({ to: '192.0.2.8', dev: 'eth0', lladdr: '02:00:00:00:00:08' })).toThrow(
      expect.objectContaining({ errno: 'ENOENT', message: 'RTNETLINK answers: No such file or directory' }),
    );
  });

  it('without lladdr a valid state is refused, and the new entry stays in state NONE, as the kernel leaves it', () => {
    expect(() => b.dp.neigh.add({ to: '192.0.2.5', dev: 'eth0' })).toThrow(
      expect.objectContaining({ errno: 'EINVAL', message: 'Error: No link layer address given.' }),
    );
    expect(b.dp.neigh.list({ nud: 'ip' })).toEqual([]);
    expect(b.dp.neigh.list()).toEqual([{ dst: '192.0.2.5', dev: 'eth0', state: [] }]);
    expect(b.dp.neigh.list({ nud: ['none'] })).toHaveLength(1);
  });

  it('nud incomplete, failed and none keep no address; probe and delay start their timers', () => {
    b.dp.neigh.add({ to: '192.0.2.21', dev: 'eth0', lladdr: PEER, nud: 'incomplete' });
    b.dp.neigh.add({ to: '192.0.2.22', dev: 'eth0', lladdr: PEER, nud: 'failed' });
    b.dp.neigh.add({ to: '192.0.2.23', dev: 'eth0', lladdr: PEER, nud: 'none' });
    b.dp.neigh.add({ to: '192.0.2.26', dev: 'eth0', lladdr: PEER, nud: 'probe' });
    b.dp.neigh.add({ to: '192.0.2.27', dev: 'eth0', lladdr: PEER, nud: 'delay' });
    const all = Object.fromEntries(b.dp.neigh.list().map((n) => [n.dst, n]));
    expect(all['192.0.2.21']).toEqual({ dst: '192.0.2.21', dev: 'eth0', state: ['INCOMPLETE'] });
    expect(all['192.0.2.22']).toEqual({ dst: '192.0.2.22', dev: 'eth0', state: ['FAILED'] });
    expect(all['192.0.2.23']).toEqual({ dst: '192.0.2.23', dev: 'eth0', state: [] });
    b.dp.stack.advance(1);
    // their timers were armed at now + 0: PROBE sends its first unicast probe, DELAY (never confirmed) becomes PROBE
    expect(b.state('192.0.2.26', 'eth0')).toEqual(['PROBE']);
    expect(b.state('192.0.2.27', 'eth0')).toEqual(['PROBE']);
    expect(b.mib('Arp:OutRequests')).toBe(2);
  });

  it('a permanent entry is not changed by ARP', () => {
    b.dp.neigh.add({ to: '192.0.2.2', dev: 'eth0', lladdr: '02:00:00:00:00:aa' });
    b.arpIn('eth0', reply());
    expect(b.dp.neigh.get('192.0.2.2', 'eth0')).toMatchObject({ lladdr: '02:00:00:00:00:aa', state: ['PERMANENT'] });
  });

  it('takes a longer lladdr (its first 6 bytes, as the kernel) and refuses a shorter one', () => {
    b.dp.neigh.add({ to: '192.0.2.24', dev: 'eth0', lladdr: '02:00:00:00:00:01:02' });
    expect(b.dp.neigh.get('192.0.2.24', 'eth0').lladdr).toBe('02:00:00:00:00:01');
    expect(() => b.dp.neigh.add({ to: '192.0.2.25', dev: 'eth0', lladdr: '02:00:00:00:00' })).toThrow(
      expect.objectContaining({ errno: 'EINVAL', message: 'Error: Invalid link address.' }),
    );
  });

  it("words bad input as iproute2 does", () => {
    expect(() => b.dp.neigh.add({ to: 'foo', dev: 'eth0', lladdr: PEER })).toThrow('Error: any valid address is expected rather than "foo".');
    expect(() => b.dp.neigh.add({ to: '192.0.2.20', dev: 'eth0', lladdr: 'zz' })).toThrow('"zz" is invalid lladdr.');
    expect(() => b.dp.neigh.add({ to: '192.0.2.20', dev: 'eth0', lladdr: PEER, nud: 'foo' as 'stale' })).toThrow(
      'Error: argument "foo" is wrong: nud state is bad',
    );
    expect(() => b.dp.neigh.add({ to: '192.0.2.20', dev: '', lladdr: PEER })).toThrow('Device and destination are required arguments.');
    expect(() => b.dp.neigh.add({ to: '192.0.2.20', dev: 'nosuch', lladdr: PEER })).toThrow(expect.objectContaining({ errno: 'ENODEV' }));
    expect(() => b.dp.neigh.del({ to: '192.0.2.7', dev: 'eth0' })).toThrow(
      expect.objectContaining({ errno: 'ENOENT', message: 'RTNETLINK answers: No such file or directory' }),
    );
    expect(() => b.dp.neigh.get('192.0.2.99', 'eth0')).toThrow(expect.objectContaining({ errno: 'ENOENT', message: 'Error: Neighbour entry not found.' }));
    expect(() => b.dp.neigh.flush({})).toThrow('Flush requires arguments.');
  });

  it('flush removes what matches, permanent and NOARP entries aside; to and dev select', () => {
    b.dp.neigh.add({ to: '192.0.2.6', dev: 'eth0', lladdr: PEER });
    b.dp.neigh.add({ to: '192.0.2.7', dev: 'eth0', lladdr: PEER, nud: 'stale' });
    b.dp.neigh.add({ to: '198.51.100.7', dev: 'eth0', lladdr: PEER, nud: 'reachable' });
    b.dp.neigh.add({ to: '192.0.2.8', dev: 'eth1', lladdr: PEER, nud: 'stale' });
    expect(b.dp.neigh.flush({ dev: 'eth0', to: '192.0.2.0/24' })).toBe(1);
    expect(b.dp.neigh.list().map((n) => n.dst).sort()).toEqual(['192.0.2.6', '192.0.2.8', '198.51.100.7']);
    expect(b.dp.neigh.flush({ dev: 'eth0', nud: 'all' })).toBe(2);
    expect(b.dp.neigh.list().map((n) => n.dst)).toEqual(['192.0.2.8']);
  });

  it('shows -s ages in seconds as ip -s neigh does: new entries were "confirmed" 2 × base_reachable_time ago', () => {
    b.dp.neigh.add({ to: '192.0.2.6', dev: 'eth0', lladdr: PEER, nud: 'stale' });
    b.dp.stack.advance(65000);
    expect(b.dp.neigh.get('192.0.2.6', 'eth0', { stats: true })).toEqual({
      dst: '192.0.2.6', dev: 'eth0', lladdr: PEER, used: 65, confirmed: 125, updated: 65, probes: 0, state: ['STALE'],
    });
    b.output('inet', 'eth0', '192.0.2.6', udp('192.0.2.6'));
    expect(b.dp.neigh.get('192.0.2.6', 'eth0', { stats: true })).toMatchObject({ refcnt: 1, used: 0, state: ['DELAY'] });
  });

  it('deviceDown flushes every entry of the device, permanent ones too, and drops what waits', () => {
    b.dp.neigh.add({ to: '192.0.2.6', dev: 'eth0', lladdr: PEER });
    b.dp.neigh.add({ to: '192.0.2.8', dev: 'eth1', lladdr: PEER });
    b.output('inet', 'eth0', '192.0.2.9', udp('192.0.2.9'));
    const free = b.x.dp_pool_free();
    expect(b.dp.neigh.deviceDown(2)).toBe(2);
    expect(b.dp.neigh.list().map((n) => n.dst)).toEqual(['192.0.2.8']);
    expect(b.x.dp_pool_free()).toBe(free + 1);
    expect(b.drops('NOT_SPECIFIED')).toBe(1); // __skb_queue_purge: kfree_skb
    b.dp.stack.advance(5000); // no timer of a removed entry fires
    expect(b.mib('Arp:OutRequests')).toBe(1);
  });

  it('device events: down for one family, carrier loss keeps permanent entries, unregister and a new MAC take all', () => {
    b.dp.neigh.add({ to: '192.0.2.6', dev: 'eth0', lladdr: PEER });
    b.dp.neigh.add({ to: '192.0.2.7', dev: 'eth0', lladdr: PEER, nud: 'stale' });
    b.dp.neigh.add({ to: '2001:db8::7', dev: 'eth0', lladdr: PEER, nud: 'stale' });
    expect(b.dp.neigh.deviceCarrier(2, true)).toBe(0);
    expect(b.dp.neigh.deviceCarrier(2, false)).toBe(2); // neigh_carrier_down: not the permanent one
    expect(b.dp.neigh.list().map((n) => n.dst)).toEqual(['192.0.2.6']);
    b.dp.neigh.add({ to: '2001:db8::7', dev: 'eth0', lladdr: PEER, nud: 'stale' });
    expect(b.dp.neigh.deviceDown(2, { family: 'inet6' })).toBe(1);
    expect(b.dp.neigh.list().map((n) => n.dst)).toEqual(['192.0.2.6']);
    expect(b.dp.neigh.deviceAddress(2)).toBe(1);
    b.dp.neigh.add({ to: '192.0.2.6', dev: 'eth1', lladdr: PEER });
    expect(b.dp.neigh.deviceGone(3)).toBe(1);
    expect(b.dp.neigh.list()).toEqual([]);
  });
});

describe('dp.neigh parameters', () => {
  let b: NeighBench;
  beforeEach(async () => {
    b = await NeighBench.create();
    b.addDev('eth0', OURS);
    b.addDev('eth1', '02:00:00:00:01:01');
  });

  it('reads back in each sysctl unit', () => {
    b.dp.neigh.setParam('inet', 'eth0', 'retrans_time', 50); // USER_HZ ticks
    expect(b.dp.neigh.getParam('inet', 'eth0', 'retrans_time_ms')).toBe(500);
    b.dp.neigh.setParam('inet', 'eth0', 'base_reachable_time', 10); // seconds
    expect(b.dp.neigh.getParam('inet', 'eth0', 'base_reachable_time_ms')).toBe(10000);
    b.dp.neigh.setParam('inet6', 'eth0', 'retrans_time', 100); // IPv6: raw jiffies (HZ 250), as the kernel reads it
    expect(b.dp.neigh.getParam('inet6', 'eth0', 'retrans_time_ms')).toBe(400);
    b.dp.neigh.setParam('inet', 'eth0', 'locktime', 250);
    expect(b.dp.neigh.getParam('inet', 'eth0', 'locktime')).toBe(250);
    b.dp.neigh.setParam('inet6', 'default', 'gc_thresh3', 77);
    expect(b.dp.neigh.getParam('inet6', 'default', 'gc_thresh3')).toBe(77);
    expect(b.dp.neigh.getParam('inet', 'default', 'gc_thresh3')).toBe(1024);
  });

  it('reads back on the kernel\'s jiffy grid (HZ 250): what Linux 6.18 printed after each write', () => {
    // sysctl -w then -n on a veth in a namespace: [family, name written, value, name read, printed]
    const seen: Array<[string, string, number, string, number]> = [
      ['inet', 'retrans_time', 123, 'retrans_time', 122],
      ['inet', 'retrans_time', 123, 'retrans_time_ms', 1228],
      ['inet', 'retrans_time', 101, 'retrans_time_ms', 1008],
      ['inet', 'retrans_time', 1, 'retrans_time', 0],
      ['inet', 'retrans_time', 7, 'retrans_time_ms', 68],
      ['inet', 'retrans_time_ms', 1001, 'retrans_time_ms', 1004],
      ['inet', 'retrans_time_ms', 1001, 'retrans_time', 100],
      ['inet', 'retrans_time_ms', 5, 'retrans_time_ms', 8],
      ['inet', 'retrans_time_ms', 1, 'retrans_time_ms', 4],
      ['inet6', 'retrans_time', 123, 'retrans_time', 123],
      ['inet6', 'retrans_time', 123, 'retrans_time_ms', 492],
      ['inet6', 'retrans_time_ms', 1001, 'retrans_time', 251],
      ['inet6', 'retrans_time_ms', 5, 'retrans_time', 2],
      ['inet6', 'anycast_delay', 123, 'anycast_delay', 122],
      ['inet', 'proxy_delay', 7, 'proxy_delay', 6],
      ['inet', 'locktime', 101, 'locktime', 100],
      ['inet', 'base_reachable_time_ms', 1003, 'base_reachable_time_ms', 1004],
      ['inet', 'base_reachable_time_ms', 1003, 'base_reachable_time', 1],
      ['inet6', 'interval_probe_time_ms', 1001, 'interval_probe_time_ms', 1004],
      ['inet', 'interval_probe_time_ms', 1, 'interval_probe_time_ms', 4],
      ['inet', 'retrans_time_ms', 2147483647, 'retrans_time_ms', 2147483648],
      ['inet', 'unres_qlen', 1027504, 'unres_qlen_bytes', 2147483360],
      ['inet', 'unres_qlen_bytes', 4179, 'unres_qlen', 1],
      ['inet', 'mcast_resolicit', 2147483647, 'mcast_resolicit', 2147483647],
      ['inet6', 'proxy_qlen', 5, 'proxy_qlen', 5],
    ];
    for (const [fam, w, v, r, want] of seen) {
      b.dp.neigh.setParam(fam as 'inet' | 'inet6', 'eth0', w, v);
      expect([fam, w, v, r, b.dp.neigh.getParam(fam as 'inet' | 'inet6', 'eth0', r)]).toEqual([fam, w, v, r, want]);
    }
  });

  it('times out on the grid it printed: retrans_time 123 (USER_HZ) asks again after 1228 ms', () => {
    b.dp.neigh.setParam('inet', 'eth0', 'retrans_time', 123);
    b.output('inet', 'eth0', '192.0.2.2', udp());
    expect(b.mib('Arp:OutRequests')).toBe(1);
    b.dp.stack.advance(1227);
    expect(b.mib('Arp:OutRequests')).toBe(1);
    b.dp.stack.advance(1);
    expect(b.mib('Arp:OutRequests')).toBe(2);
  });

  it('a "default" value reaches the devices that did not set their own', () => {
    b.dp.neigh.setParam('inet', 'eth0', 'ucast_solicit', 1);
    b.dp.neigh.setParam('inet', 'default', 'ucast_solicit', 7);
    b.dp.neigh.setParam('inet', 'default', 'mcast_solicit', 5);
    expect(b.dp.neigh.getParam('inet', 'eth0', 'ucast_solicit')).toBe(1);
    expect(b.dp.neigh.getParam('inet', 'eth1', 'ucast_solicit')).toBe(7);
    expect(b.dp.neigh.getParam('inet', 'eth0', 'mcast_solicit')).toBe(5);
    expect(b.dp.neigh.getParam('inet6', 'eth0', 'mcast_solicit')).toBe(3); // the other family's are its own
  });

  it('draws reachable_time in [base/2, 3·base/2) again when base_reachable_time is set', () => {
    const seen = new Set<number>();
    for (const base of [1000, 2000, 30000, 60000]) {
      b.dp.neigh.setParam('inet', 'eth0', 'base_reachable_time_ms', base);
      const rt = b.dp.neigh.getParam('inet', 'eth0', 'reachable_time');
      expect(rt).toBeGreaterThanOrEqual(base / 2);
      expect(rt).toBeLessThan((3 * base) / 2);
      seen.add(rt);
    }
    expect(seen.size).toBe(4);
    b.dp.neigh.setParam('inet', 'eth0', 'base_reachable_time_ms', 0);
    expect(b.dp.neigh.getParam('inet', 'eth0', 'reachable_time')).toBe(0);
  });

  it('a device that goes away takes its parameters along: the next one on its ifindex starts from "default"', async () => {
    const c = await NeighBench.create();
    c.addDev('eth0', OURS);
    c.dp.links.add({ name: 'v0', kind: 'veth', peer: { name: 'v1' }, index: 40 });
    c.dp.neigh.setParam('inet', 'v0', 'ucast_solicit', 1);
    c.dp.neigh.setParam('inet6', 'v0', 'retrans_time_ms', 2000);
    c.dp.links.del('v0');
    c.dp.links.add({ name: 'w0', kind: 'veth', peer: { name: 'w1' }, index: 40 });
    expect([c.dp.neigh.getParam('inet', 'w0', 'ucast_solicit'), c.dp.neigh.getParam('inet6', 'w0', 'retrans_time_ms')]).toEqual([3, 1000]);
  });

  it('refuses unknown names, gc_* on a device and values that are not integers in range', () => {
    expect(() => b.dp.neigh.setParam('inet', 'eth0', 'nonesuch', 1)).toThrow(expect.objectContaining({ errno: 'ENOENT' }));
    expect(() => b.dp.neigh.setParam('inet', 'eth0', 'gc_thresh1', 1)).toThrow(/under "default" only/);
    expect(() => b.dp.neigh.getParam('inet', 'eth0', 'gc_interval')).toThrow(/under "default" only/);
    expect(() => b.dp.neigh.setParam('inet', 'eth0', 'ucast_solicit', -1)).toThrow(/not an integer/);
    expect(() => b.dp.neigh.setParam('inet', 'eth0', 'ucast_solicit', 1.5)).toThrow(/not an integer/);
    expect(() => b.dp.neigh.setParam('inet', 'eth0', 'interval_probe_time_ms', 0)).toThrow(/not an integer in 1\.\.2147483647/);
    // past what a u32 of milliseconds holds (the kernel goes on to INT_MAX jiffies): refused, not wrapped
    expect(() => b.dp.neigh.setParam('inet', 'eth0', 'base_reachable_time', 4294968)).toThrow(/not an integer in 0\.\.4294967/);
    expect(() => b.dp.neigh.setParam('inet6', 'eth0', 'retrans_time', 1073741824)).toThrow(/0\.\.1073741823/);
    expect(() => b.dp.neigh.setParam('inet', 'eth0', 'retrans_time', 429496730)).toThrow(/0\.\.429496729/);
    expect(() => b.dp.neigh.setParam('inet', 'nosuch', 'ucast_solicit', 1)).toThrow(expect.objectContaining({ errno: 'ENODEV' }));
    expect(() => b.dp.neigh.getParam('inet', 'eth0', 'nonesuch')).toThrow(expect.objectContaining({ errno: 'ENOENT' }));
  });
});

describe('when resolution fails the source hears of it (arp_error_report / ndisc_error_report → dst_link_failure)', () => {
  it('IPv4: ICMP host unreachable toward the frame\'s source, the frame dropped with NEIGH_FAILED', async () => {
    const b = await NeighBench.create();
    b.addrs4(b.addDev('eth0', OURS), [{ addr: '192.0.2.1', plen: 24 }]);
    b.addrs4(b.addDev('eth1', '02:00:00:00:01:01'), [{ addr: '198.51.100.1', plen: 24 }]);
    b.dp.neigh.add({ to: '198.51.100.9', dev: 'eth1', lladdr: '02:00:00:00:01:09' });
    b.output('inet', 'eth0', '192.0.2.2', udp('192.0.2.2', '198.51.100.9')); // a forwarded datagram
    b.dp.stack.advance(3000);
    expect(b.drops('NEIGH_FAILED')).toBe(1);
    expect(b.mib('Icmp:OutDestUnreachs')).toBe(1);
    expect(b.mib('Icmp:OutMsgs')).toBe(1);
  });

  it('IPv4: the error names the device the datagram came in on (icmp_errors_use_inbound_ifaddr picks its address)', async () => {
    // __icmp_send: with the sysctl on, the source is inet_select_addr(inbound device, dst, LINK);
    // without it, the route's source toward the destination (eth1's 198.51.100.1 here)
    const b = await NeighBench.create();
    b.addrs4(b.addDev('eth0', OURS), [{ addr: '192.0.2.1', plen: 24 }]);
    b.addrs4(b.addDev('eth1', '02:00:00:00:01:01'), [{ addr: '198.51.100.1', plen: 24 }]);
    b.addrs4(b.addDev('eth2', '02:00:00:00:02:01'), [{ addr: '203.0.113.1', plen: 24 }]);
    b.dp.neigh.add({ to: '198.51.100.9', dev: 'eth1', lladdr: '02:00:00:00:01:09' });
    const icmpSource = (): string => {
      const out = b.tx('eth1');
      expect(out.length).toBe(1);
      return [...out[0]!.subarray(14 + 12, 14 + 16)].join('.');
    };
    b.output('inet', 'eth0', '192.0.2.2', udp('192.0.2.2', '198.51.100.9'), { dev: 'eth2' });
    b.dp.stack.advance(3000);
    expect(icmpSource()).toBe('198.51.100.1');
    b.dp.sysctl('net.ipv4.icmp_errors_use_inbound_ifaddr', 1);
    b.output('inet', 'eth0', '192.0.2.3', udp('192.0.2.3', '198.51.100.9'), { dev: 'eth2' });
    b.dp.stack.advance(3000);
    expect(icmpSource()).toBe('203.0.113.1');
    // the stack's own datagram (no input device) keeps the route's source
    b.output('inet', 'eth0', '192.0.2.4', udp('192.0.2.4', '198.51.100.9'));
    b.dp.stack.advance(3000);
    expect(icmpSource()).toBe('198.51.100.1');
    // one that came in to a multicast MAC is not answered (the kernel: not PACKET_HOST)
    b.output('inet', 'eth0', '192.0.2.5', udp('192.0.2.5', '198.51.100.9'), { dev: 'eth2', rxEth: eth(mac('01:00:5e:00:00:01'), mac('02:00:00:00:99:99'), 0x0800) });
    b.dp.stack.advance(3000);
    expect(b.tx('eth1')).toEqual([]);
    expect(b.drops('NEIGH_FAILED')).toBe(4);
    expect(b.mib('Icmp:OutDestUnreachs')).toBe(3);
  });

  it('IPv6: ICMPv6 address unreachable toward the source', async () => {
    const b = await NeighBench.create();
    b.addrs6(b.addDev('eth0', OURS), [{ addr: '2001:db8::1', plen: 64 }, { addr: 'fe80::1', plen: 64 }]);
    b.addrs6(b.addDev('eth1', '02:00:00:00:01:01'), [{ addr: '2001:db8:1::1', plen: 64 }]);
    b.dp.neigh.add({ to: '2001:db8:1::9', dev: 'eth1', lladdr: '02:00:00:00:01:09' });
    const pkt = ipv6(ip6('2001:db8:1::9'), ip6('2001:db8::2'), 17, new Uint8Array(16));
    b.output('inet6', 'eth0', '2001:db8::2', pkt);
    b.dp.stack.advance(3000);
    expect(b.drops('NEIGH_FAILED')).toBe(1);
    expect(b.mib('Icmp6:OutDestUnreachs')).toBe(1);
  });
});

describe('destinations that need no resolution (NOARP entries)', () => {
  let b: NeighBench;
  beforeEach(async () => {
    b = await NeighBench.create();
    const d = b.addDev('eth0', OURS);
    b.addrs4(d, [{ addr: '192.0.2.1', plen: 24 }]);
    b.addrs6(d, [{ addr: 'fe80::1', plen: 64 }]);
  });

  it('multicast groups map to 01:00:5e + 23 bits (arp_mc_map) and 33:33 + 32 bits (ndisc_mc_map)', () => {
    b.output('inet', 'eth0', '224.0.0.251', udp('224.0.0.251'));
    b.output('inet', 'eth0', '239.129.2.3', udp('239.129.2.3'));
    b.output('inet6', 'eth0', 'ff02::1:ff12:3456', ipv6(ip6('fe80::1'), ip6('ff02::1:ff12:3456'), 17, new Uint8Array(8)));
    expect(b.dp.neigh.list().sort((x, y) => x.dst.localeCompare(y.dst))).toEqual([
      { dst: '224.0.0.251', dev: 'eth0', lladdr: '01:00:5e:00:00:fb', state: ['NOARP'] },
      { dst: '239.129.2.3', dev: 'eth0', lladdr: '01:00:5e:01:02:03', state: ['NOARP'] },
      { dst: 'ff02::1:ff12:3456', dev: 'eth0', lladdr: '33:33:ff:12:34:56', state: ['NOARP'] },
    ]);
    expect(b.mib('Arp:OutRequests') + b.mib('Icmp6:OutNeighborSolicits')).toBe(0);
  });

  it('broadcast addresses (limited, and the subnet\'s from table local) map to ff:ff:ff:ff:ff:ff', () => {
    b.output('inet', 'eth0', '255.255.255.255', udp('255.255.255.255'));
    b.output('inet', 'eth0', '192.0.2.255', udp('192.0.2.255'));
    expect(b.dp.neigh.get('255.255.255.255', 'eth0')).toMatchObject({ lladdr: 'ff:ff:ff:ff:ff:ff', state: ['NOARP'] });
    expect(b.dp.neigh.get('192.0.2.255', 'eth0')).toMatchObject({ lladdr: 'ff:ff:ff:ff:ff:ff', state: ['NOARP'] });
    expect(b.mib('Arp:OutRequests')).toBe(0);
  });

  it('a NOARP device resolves every neighbour to its own address', async () => {
    const c = await NeighBench.create();
    c.addrs4(c.addDev('tun0', '02:00:00:00:00:0a', { noarp: true }), [{ addr: '192.0.2.1', plen: 24 }]);
    c.output('inet', 'tun0', '192.0.2.2', udp());
    expect(c.dp.neigh.list()).toEqual([{ dst: '192.0.2.2', dev: 'tun0', lladdr: '02:00:00:00:00:0a', state: ['NOARP'] }]);
    expect(c.mib('Arp:OutRequests')).toBe(0);
  });

  it('`arp off` makes a device NOARP: what it resolves next is its own address, both families, as the kernel', async () => {
    // measured on Linux 6.18 (veth va, arp off, a UDP datagram to 192.0.2.9 and to 2001:db8::9):
    //   192.0.2.9 dev va lladdr <va's MAC> NOARP / 2001:db8::9 dev va lladdr <va's MAC> NOARP
    const c = await NeighBench.create();
    const d = c.addDev('eth0', '02:00:00:00:00:0a');
    c.addrs4(d, [{ addr: '192.0.2.1', plen: 24 }]);
    c.addrs6(d, [{ addr: '2001:db8::1', plen: 64 }]);
    c.dp.ip('link set eth0 arp off');
    expect(c.dp.links.show('eth0').flags).toEqual(['BROADCAST', 'MULTICAST', 'NOARP', 'UP', 'LOWER_UP']);
    c.output('inet', 'eth0', '192.0.2.9', udp('192.0.2.9'));
    c.output('inet6', 'eth0', '2001:db8::9', ipv6(ip6('2001:db8::1'), ip6('2001:db8::9'), 17, new Uint8Array(8)));
    expect(c.dp.neigh.list()).toEqual([
      { dst: '192.0.2.9', dev: 'eth0', lladdr: '02:00:00:00:00:0a', state: ['NOARP'] },
      { dst: '2001:db8::9', dev: 'eth0', lladdr: '02:00:00:00:00:0a', state: ['NOARP'] },
    ]);
    expect(c.mib('Arp:OutRequests') + c.mib('Icmp6:OutNeighborSolicits')).toBe(0);
    // both frames went out at once, to the device's own address
    expect(c.tx('eth0').map((f) => [...f.subarray(0, 6)])).toEqual([[2, 0, 0, 0, 0, 10], [2, 0, 0, 0, 0, 10]]);
  });

  it('flipping arp on an up link flushes its neighbours, permanent ones too (NETDEV_CHANGE → neigh_changeaddr)', async () => {
    // the kernel: `ip link set va arp off` on an up veth took 192.0.2.7 STALE, 192.0.2.8 PERMANENT and
    // 2001:db8::7 REACHABLE of va (vb's stayed); `arp off` again changed nothing; `arp on` flushed again
    const c = await NeighBench.create();
    c.addDev('eth0', OURS);
    c.addDev('eth1', '02:00:00:00:01:01');
    const fill = () => {
      c.dp.neigh.add({ to: '192.0.2.7', dev: 'eth0', lladdr: '02:00:00:00:00:07', nud: 'stale' });
      c.dp.neigh.add({ to: '192.0.2.8', dev: 'eth0', lladdr: '02:00:00:00:00:08', nud: 'permanent' });
      c.dp.neigh.add({ to: '2001:db8::7', dev: 'eth0', lladdr: '02:00:00:00:00:07', nud: 'reachable' });
    };
    fill();
    c.dp.neigh.add({ to: '192.0.2.6', dev: 'eth1', lladdr: '02:00:00:00:00:06', nud: 'stale' });
    c.dp.ip('link set eth0 arp off');
    expect(c.dp.neigh.list().map((n) => `${n.dst} ${n.dev}`)).toEqual(['192.0.2.6 eth1']);
    c.dp.neigh.add({ to: '192.0.2.8', dev: 'eth0', lladdr: '02:00:00:00:00:08', nud: 'permanent' });
    c.dp.ip('link set eth0 arp off');
    expect(c.dp.neigh.list().map((n) => `${n.dst} ${n.state}`)).toEqual(['192.0.2.8 PERMANENT', '192.0.2.6 STALE']);
    c.dp.ip('link set eth0 arp on');
    expect(c.dp.neigh.list().map((n) => `${n.dst} ${n.dev}`)).toEqual(['192.0.2.6 eth1']);
    // a link that is down sends no NETDEV_CHANGE (and a link going down is flushed anyway)
    c.dp.ip('link set eth0 down');
    c.dp.ip('link set eth0 arp off');
    expect(c.dp.links.show('eth0').flags).toEqual(['BROADCAST', 'MULTICAST', 'NOARP']);
  });

  it('a new MAC flushes the link\'s neighbours (NETDEV_CHANGEADDR → neigh_changeaddr), even the same MAC again', async () => {
    // the kernel: `ip link set va address 02:11:22:33:44:55` took every entry of va, permanent too, and
    // so did setting that same address again
    const c = await NeighBench.create();
    c.addDev('eth0', OURS);
    c.addDev('eth1', '02:00:00:00:01:01');
    c.dp.neigh.add({ to: '192.0.2.8', dev: 'eth0', lladdr: '02:00:00:00:00:08', nud: 'permanent' });
    c.dp.neigh.add({ to: '2001:db8::7', dev: 'eth0', lladdr: '02:00:00:00:00:07', nud: 'stale' });
    c.dp.neigh.add({ to: '192.0.2.6', dev: 'eth1', lladdr: '02:00:00:00:00:06', nud: 'stale' });
    c.dp.ip('link set eth0 address 02:11:22:33:44:55');
    expect(c.dp.neigh.list().map((n) => `${n.dst} ${n.dev}`)).toEqual(['192.0.2.6 eth1']);
    c.dp.neigh.add({ to: '192.0.2.8', dev: 'eth0', lladdr: '02:00:00:00:00:08', nud: 'permanent' });
    c.dp.ip('link set eth0 address 02:11:22:33:44:55');
    expect(c.dp.neigh.list().map((n) => `${n.dst} ${n.dev}`)).toEqual(['192.0.2.6 eth1']);
    // frames go out from the new address
    c.output('inet', 'eth0', '224.0.0.251', udp('224.0.0.251'));
    expect([...c.tx('eth0')[0]!.subarray(6, 12)]).toEqual([2, 0x11, 0x22, 0x33, 0x44, 0x55]);
  });

  it('loopback keeps one IPv4 entry, 0.0.0.0, NOARP, exempt from gc', async () => {
    const c = await NeighBench.create();
    c.addDev('eth0', OURS); // the first ring device sets up the frame pool
    c.lo();
    c.output('inet', 'lo', '127.0.0.1', udp('127.0.0.1', '127.0.0.1'));
    c.output('inet', 'lo', '192.0.2.1', udp('192.0.2.1', '192.0.2.1'));
    c.output('inet6', 'lo', '::1', ipv6(ip6('::1'), ip6('::1'), 17, new Uint8Array(8)));
    expect(c.dp.neigh.list()).toEqual([
      { dst: '0.0.0.0', dev: 'lo', lladdr: '00:00:00:00:00:00', state: ['NOARP'] },
      { dst: '::1', dev: 'lo', lladdr: '00:00:00:00:00:00', state: ['NOARP'] },
    ]);
    expect(c.dp.neigh.stats('inet')).toMatchObject({ entries: 1, gcEntries: 0 });
  });
});
