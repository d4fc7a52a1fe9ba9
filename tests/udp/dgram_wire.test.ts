// The wire between two Datapaths and the poll driver that carries it: frames one end transmits arrive
// at the other end's RX byte for byte; two stacks joined by a wire resolve each other (ARP both ways)
// and forward; the poller sleeps when idle, runs on a kick, wakes for the stack's timers only, and
// keeps the process alive only while something holds it.

import { afterEach, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { Datapath } from '../../src/control/datapath.js';
import { Poller } from '../../src/control/poller.js';
import { assemble } from '../../src/asm/index.js';
import { echo4, eth, hex, inetChecksum, ipv4 } from '../net/support.js';

const pattern = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);

async function xdpTx(dp: Datapath) {
  // XDP_TX (3): every frame leaves by the device it came in on.
  return dp.loadInsns(assemble('r0 = 3\nexit'));
}

/** Run both pollers until neither has anything to do (bounded). */
function drain(...ps: Poller[]): void {
  for (let i = 0; i < 100; i++) {
    let n = 0;
    for (const p of ps) n += p.run();
    if (n === 0) return;
  }
  throw new Error('the pollers did not settle in 100 rounds');
}

const wires: Array<{ close(): void }> = [];
afterEach(() => {
  for (const w of wires.splice(0)) w.close();
});

describe('Datapath.wire', () => {
  it('carries what one end transmits to the other end, byte for byte and in order', async () => {
    const a = await Datapath.create();
    const b = await Datapath.create();
    const devA = a.addDevice({ name: 'wa' });
    const devB = b.addDevice({ name: 'wb' });
    devA.attachXdp(await xdpTx(a));
    const seen: Array<[number, 'a' | 'b']> = [];
    const w = Datapath.wire(a, devA, b, devB, { tap: (f, from) => seen.push([f.length, from]) });
    wires.push(w);
    Poller.of(a, { clock: 'manual' });
    Poller.of(b, { clock: 'manual' });
    const frames = [pattern(60, 1), pattern(1514, 2), pattern(64, 3)];
    for (const f of frames) expect(devA.inject(f)).toBe(true);
    drain(Poller.of(a), Poller.of(b));
    // devB has no program and is no stack link: XDP_PASS frames wait on its host ring.
    expect(devB.readHost().map((o) => o.data)).toEqual(frames);
    expect(seen).toEqual([[60, 'a'], [1514, 'a'], [64, 'a']]);
    expect(w.stats).toEqual({ aToB: 3, aToBDropped: 0, bToA: 0, bToADropped: 0 });
    // and back: a without its program passes what comes in to its host ring; b now answers with XDP_TX
    devA.detachXdp();
    devB.attachXdp(await xdpTx(b));
    expect(devB.inject(frames[1]!)).toBe(true);
    drain(Poller.of(a), Poller.of(b));
    expect(devA.readHost().map((o) => o.data)).toEqual([frames[1]]);
    expect(w.stats.bToA).toBe(1);
  });

  it('drops what the far end cannot take, as veth does: longer than its MTU', async () => {
    const a = await Datapath.create();
    const b = await Datapath.create();
    const devA = a.addDevice({ name: 'wa', mtu: 3000 });
    const devB = b.addDevice({ name: 'wb', mtu: 1500 });
    devA.attachXdp(await xdpTx(a));
    const w = Datapath.wire(a, devA, b, devB);
    wires.push(w);
    Poller.of(a, { clock: 'manual' });
    Poller.of(b, { clock: 'manual' });
    expect(devA.inject(pattern(2000, 5))).toBe(true);
    drain(Poller.of(a), Poller.of(b));
    expect(w.stats).toEqual({ aToB: 0, aToBDropped: 1, bToA: 0, bToADropped: 0 });
    expect(devB.stats().drops.PKT_TOO_BIG).toBe(1);
  });

  it('refuses a device of another Datapath, a device on a wire already, and one device twice', async () => {
    const a = await Datapath.create();
    const b = await Datapath.create();
    const devA = a.addDevice({ name: 'wa' });
    const devA2 = a.addDevice({ name: 'wa2' });
    const devB = b.addDevice({ name: 'wb' });
    expect(() => Datapath.wire(a, devB, b, devA)).toThrow(/device wb \(end a\) is not a device of that Datapath/);
    expect(() => Datapath.wire(a, devA, a, devA)).toThrow(/both ends are device wa/);
    wires.push(Datapath.wire(a, devA, b, devB));
    expect(() => Datapath.wire(a, devA2, b, devB)).toThrow(/device wb \(end b\) is on a wire already/);
    // unplugged, the device may be wired again
    wires.pop()!.close();
    wires.push(Datapath.wire(a, devA2, b, devB));
  });

  it('joins two stacks: a frame forwarded by one reaches the other, ARP resolved across the wire both ways', async () => {
    const a = await Datapath.create();
    const b = await Datapath.create();
    const ext = a.addDevice({ name: 'ext', mac: '02:00:00:00:0a:01' });
    const wa = a.addDevice({ name: 'w0', mac: '02:00:00:00:0a:02' });
    const wb = b.addDevice({ name: 'w0', mac: '02:00:00:00:0b:02' });
    for (const line of ['link set ext up', 'link set w0 up', 'addr add 198.51.100.1/24 dev ext', 'addr add 192.0.2.1/24 dev w0', 'neigh add 198.51.100.2 lladdr 02:00:00:00:0c:01 dev ext']) a.ip(line);
    a.sysctl('net.ipv4.ip_forward', 1);
    for (const line of ['link set w0 up', 'addr add 192.0.2.2/24 dev w0', 'route add 198.51.100.0/24 via 192.0.2.1']) b.ip(line);
    wires.push(Datapath.wire(a, wa, b, wb));
    const pa = Poller.of(a, { clock: 'manual' });
    const pb = Poller.of(b, { clock: 'manual' });
    const req = eth({ dst: '02:00:00:00:0a:01', src: '02:00:00:00:0c:01', type: 0x0800 }, ipv4({ src: '198.51.100.2', dst: '192.0.2.2', proto: 1, id: 7 }, echo4(1, 1, pattern(24, 9))));
    expect(ext.inject(req)).toBe(true);
    drain(pa, pb);
    const out = ext.readTx().map((o) => o.data);
    expect(out).toHaveLength(1);
    const f = out[0]!;
    // The reply as b built it and a forwarded it: MACs of the ext hop, 192.0.2.2 → 198.51.100.2 with
    // TTL 64 - 1, ICMP echo reply (type 0) with the request's id, sequence and data.
    expect(hex(f.subarray(0, 14))).toBe('020000000c01' + '020000000a01' + '0800');
    expect([...f.subarray(26, 34)]).toEqual([192, 0, 2, 2, 198, 51, 100, 2]);
    expect(f[22]).toBe(63);
    expect(f[23]).toBe(1);
    expect(f[34]).toBe(0);
    expect(f.subarray(38)).toEqual(echo4(1, 1, pattern(24, 9)).subarray(4));
    expect(inetChecksum(f.subarray(34))).toBe(0);
    expect(a.neigh.list({ dev: 'w0' }).map((n) => [n.dst, n.state])).toEqual([['192.0.2.2', ['REACHABLE']]]);
  });
});

describe('Poller', () => {
  it('sleeps when idle: no run scheduled, no timer without stack timers, nothing holding the process', async () => {
    const dp = await Datapath.create();
    dp.addDevice({ name: 'd0' });
    const p = Poller.of(dp);
    expect(p.run()).toBe(0);
    expect(p.scheduled).toBe(false);
    expect(p.held).toBe(false);
  });

  it('runs once after any number of kicks, then sleeps again', async () => {
    const dp = await Datapath.create();
    const d = dp.addDevice({ name: 'd0' });
    const p = Poller.of(dp, { clock: 'manual' });
    const runs = p.counters.runs;
    expect(d.inject(pattern(60, 1))).toBe(true);
    p.kick();
    p.kick();
    p.kick();
    expect(p.scheduled).toBe(true);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    // one run that polled the frame (to the host ring), a second round that found nothing
    expect(p.counters.runs - runs).toBe(1);
    expect(d.readHost()).toHaveLength(1);
    expect(p.scheduled).toBe(false);
  });

  it('lets the event loop in after `bursts` busy rounds and resumes', async () => {
    const dp = await Datapath.create();
    const d = dp.addDevice({ name: 'd0' });
    const p = Poller.of(dp, { clock: 'manual', bursts: 2 });
    let budget = 5;
    p.addStage(() => (budget > 0 ? budget-- : 0));
    expect(d.inject(pattern(60, 1))).toBe(true);
    p.run();
    expect(budget).toBe(3);
    expect(p.scheduled).toBe(true);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(budget).toBe(0);
    expect(p.scheduled).toBe(false);
  });

  it('wakes for a stack timer (an unanswered ARP request is sent again a second later), wall clock', async () => {
    const dp = await Datapath.create();
    const d = dp.addDevice({ name: 'd0', mac: '02:00:00:00:0a:01' });
    const ext = dp.addDevice({ name: 'ext', mac: '02:00:00:00:0a:02' });
    for (const line of ['link set d0 up', 'link set ext up', 'addr add 192.0.2.1/24 dev d0', 'addr add 198.51.100.1/24 dev ext']) dp.ip(line);
    dp.sysctl('net.ipv4.ip_forward', 1);
    const p = Poller.of(dp, { clock: 'manual' });
    expect(p.nextTimer()).toBe(-1);
    // a frame to forward to 192.0.2.9, which never answers: the kernel's ARP retries (retrans_time 1 s)
    ext.inject(eth({ dst: '02:00:00:00:0a:02', src: '02:00:00:00:0c:01', type: 0x0800 }, ipv4({ src: '198.51.100.2', dst: '192.0.2.9', proto: 1 }, echo4(1, 1, pattern(8, 1)))));
    p.run();
    expect(d.readTx()).toHaveLength(1); // the first ARP request
    const due = p.nextTimer();
    expect(due).toBe(dp.stack.now() + 1000);
    p.configure({ clock: 'wall' });
    p.run();
    expect(p.scheduled).toBe(true); // the timer, not a busy loop
    await new Promise((r) => setTimeout(r, 1300));
    expect(p.counters.timers).toBeGreaterThanOrEqual(1);
    expect(d.readTx()).toHaveLength(1); // the second ARP request
    p.configure({ clock: 'manual' });
  });

  it('does not count a stall of the event loop while a run is pending: a blocked event loop does not expire the ARP probes of a send waiting to leave', async () => {
    const a = await Datapath.create();
    const b = await Datapath.create();
    const wire = Datapath.wire(a, a.addDevice({ name: 'eth0', mac: '02:00:00:00:0b:01' }), b, b.addDevice({ name: 'eth0', mac: '02:00:00:00:0b:02' }));
    wires.push(wire);
    for (const [dp, addr] of [[a, '192.0.2.1'], [b, '192.0.2.2']] as const) {
      dp.ip('link set eth0 up');
      dp.ip(`addr add ${addr}/24 dev eth0`);
    }
    const sink = b.udp.createSocket('udp4');
    sink.bind(9, '192.0.2.2');
    const got = new Promise<Buffer>((resolve) => sink.once('message', resolve));
    const client = a.udp.createSocket('udp4');
    client.bind(0, '192.0.2.1');
    await new Promise((r) => client.once('listening', r));
    const before = a.stack.now();
    // sent (the callback comes after): ARP first, the datagram waits in the neighbour's queue, a run is pending
    await new Promise((r) => client.send('across', 9, '192.0.2.2', r));
    expect(Poller.of(a).scheduled).toBe(true);
    const until = performance.now() + 4000; // a blocked loop, longer than the 3 probes × 1 s of the kernel's ARP
    while (performance.now() < until);
    expect(String(await got)).toBe('across');
    expect(a.stack.drops().NEIGH_FAILED).toBe(0);
    expect(a.stack.now() - before).toBeLessThan(3000); // the stall beyond 100 ms is not the stack's time
    client.close();
    sink.close();
  }, 30_000);

  it('refuses a clock other than wall or manual and a burst count that is not a positive integer', async () => {
    const dp = await Datapath.create();
    expect(() => Poller.of(dp, { clock: 'fast' as 'wall' })).toThrow(/poller clock must be 'wall' or 'manual', not fast/);
    expect(() => Poller.of(dp).configure({ bursts: 0 })).toThrow(/poller bursts must be a positive integer, not 0/);
    expect(Poller.of(dp).clock).toBe('wall');
  });

  it('keeps the process alive while held, and not after', async () => {
    const dp = await Datapath.create();
    const p = Poller.of(dp);
    const h = {};
    p.hold(h);
    expect(p.held).toBe(true);
    p.release(h);
    expect(p.held).toBe(false);
  });
});

describe('link-local destinations across wires', () => {
  it("a zoned link-local destination leaves by the zone's device (udpv6_sendmsg's sin6_scope_id), the same address on another link is another host", async () => {
    // A's w0 and w1 are two links; B (on w0) and C (on w1) have the same link-local address
    const a = await Datapath.create();
    const b = await Datapath.create();
    const c = await Datapath.create();
    const a0 = a.addDevice({ name: 'w0', mac: '02:00:00:00:0a:01' });
    const a1 = a.addDevice({ name: 'w1', mac: '02:00:00:00:0a:02' });
    const b0 = b.addDevice({ name: 'w0', mac: '02:00:00:00:0b:01' });
    const c0 = c.addDevice({ name: 'w0', mac: '02:00:00:00:0c:01' });
    for (const line of ['link set w0 up', 'link set w1 up', 'addr add fe80::a/64 dev w0 nodad', 'addr add fe80::a/64 dev w1 nodad']) a.ip(line);
    for (const dp of [b, c]) for (const line of ['link set w0 up', 'addr add fe80::b/64 dev w0 nodad']) dp.ip(line);
    wires.push(Datapath.wire(a, a0, b, b0), Datapath.wire(a, a1, c, c0));
    const onB = b.udp.createSocket('udp6');
    const onC = c.udp.createSocket('udp6');
    for (const s of [onB, onC]) {
      s.bind(4444, 'fe80::b%w0');
      await once(s, 'listening');
    }
    const got: string[] = [];
    onB.on('message', (m, rinfo) => got.push(`B ${m} from ${rinfo.address}`));
    onC.on('message', (m, rinfo) => got.push(`C ${m} from ${rinfo.address}`));
    const s = a.udp.createSocket('udp6');
    s.bind(0);
    await once(s, 'listening');
    for (const [m, to] of [['to w1', 'fe80::b%w1'], ['to w0', 'fe80::b%w0']]) {
      await new Promise((resolve) => s.send(m!, 4444, to!, resolve));
      while (got.length < (m === 'to w1' ? 1 : 2)) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // each receiver sees A by its link-local address on the link it came in on
    expect(got).toEqual(['C to w1 from fe80::a%w0', 'B to w0 from fe80::a%w0']);
    for (const x of [s, onB, onC]) x.close();
  });
});
