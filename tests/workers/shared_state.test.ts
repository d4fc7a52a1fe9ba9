// State two workers change at once besides the maps and the stack's tables: the ICMP rate limiter (one
// global token bucket and the per-peer buckets, net/ipv4/icmp.c) and the tracepoints' arguments (each
// worker raises its own events, with its own arguments). Each compared with the sequential model (the
// same frames through a Datapath without workers) and with what the kernel's rules give by hand.

import { afterEach, describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import type { Device } from '../../src/control/device.js';
import { codec } from '../../src/maps/index.js';
import { eth, ipBatchAfterSysctls, ipBatchLinks, ipv4, udp4, type LinkCfg } from '../net/support.js';
import { frame, root } from '../datapath/support.js';

const M0 = '02:00:00:00:05:00';
const LINKS: LinkCfg[] = [{ name: 'eth0', mac: M0, v4: ['192.0.2.1/24'] }];
const peer = (p: number): string => `192.0.2.${10 + p}`;
const peerMac = (p: number): string => `02:00:00:00:06:${p.toString(16).padStart(2, '0')}`;
/** XRLIM_BURST_FACTOR: a peer's bucket holds 6 messages (inet_peer_xrlim_allow). */
const XRLIM_BURST_FACTOR = 6;

const open: Datapath[] = [];
afterEach(async () => {
  for (const dp of open.splice(0)) await dp.close();
});

/** A datagram from peer `p` to a port nobody listens on: each asks for an ICMP port unreachable. */
const toClosedPort = (p: number, i: number): Uint8Array =>
  eth({ dst: M0, src: peerMac(p), type: 0x0800 }, ipv4({ src: peer(p), dst: '192.0.2.1', proto: 17, id: i }, udp4(peer(p), '192.0.2.1', 40000 + i, 9999, new Uint8Array(8))));

interface Limited {
  unreachables: number;
  mib: Record<string, number>;
}

/**
 * `perQueue(q)` datagrams on queue q of eth0 (both queues loaded while the workers hold, then released
 * together), the stack's clock standing still: how many port unreachables went out, and the Icmp counters.
 */
async function limited(workers: number, peers: number, perQueue: (q: number) => Uint8Array[]): Promise<Limited> {
  const dp = await Datapath.create({ umemFrames: 4096, ...(workers ? { workers } : {}) });
  open.push(dp);
  const eth0 = dp.addDevice({ name: 'eth0', mac: M0, queues: 2, ringSize: 512, rss: false });
  for (const line of ipBatchLinks(LINKS)) dp.ip(line);
  const neigh = Array.from({ length: peers }, (_, p) => ({ dev: 'eth0', addr: peer(p), mac: peerMac(p) }));
  for (const line of ipBatchAfterSysctls(LINKS, [], neigh)) dp.ip(line);
  let unreachables = 0;
  const readTx = (d: Device) => {
    // IPv4, ICMP, type 3 code 3 (RFC 792 port unreachable)
    for (const f of d.readTx()) if (f.data[12] === 0x08 && f.data[23] === 1 && f.data[34] === 3 && f.data[35] === 3) unreachables++;
  };
  if (workers) dp.workers!.hold();
  for (const q of [0, 1]) {
    const frames = perQueue(q);
    expect(eth0.injectBatch(frames, { queue: q })).toBe(frames.length);
  }
  if (workers) {
    dp.workers!.release();
    for (let quiet = 0; quiet < 2; ) {
      const before = unreachables;
      dp.workers!.settle(2);
      readTx(eth0);
      quiet = eth0.rings(0).rx.available() + eth0.rings(1).rx.available() === 0 && unreachables === before ? quiet + 1 : 0;
    }
  } else {
    while (dp.poll() !== 0) readTx(eth0);
    readTx(eth0);
  }
  return { unreachables, mib: dp.stack.mib() };
}

const icmp = (m: Record<string, number>) => ({
  out: m['Icmp:OutDestUnreachs'] ?? 0,
  host: m['Icmp:OutRateLimitHost'] ?? 0,
  global: m['Icmp:OutRateLimitGlobal'] ?? 0,
});

describe('the ICMP rate limiter under two workers', () => {
  it('per peer: both workers charge one bucket, and each peer gets exactly XRLIM_BURST_FACTOR errors while the clock stands', async () => {
    // 4 peers × 20 datagrams, 10 of each on each queue: the two workers ask for the same peers at once.
    // 24 messages cost the global bucket (50) at most 48 tokens: only the peers' buckets limit.
    const PEERS = 4;
    const frames = (q: number) => Array.from({ length: 40 }, (_, i) => toClosedPort(i % PEERS, q * 100 + i));
    const seq = await limited(0, PEERS, frames);
    const par = await limited(2, PEERS, frames);
    expect(seq.unreachables).toBe(PEERS * XRLIM_BURST_FACTOR);
    expect(icmp(seq.mib)).toEqual({ out: PEERS * XRLIM_BURST_FACTOR, host: 80 - PEERS * XRLIM_BURST_FACTOR, global: 0 });
    expect(par.unreachables).toBe(seq.unreachables);
    expect(icmp(par.mib)).toEqual(icmp(seq.mib));
  });

  it('global: the bucket of icmp_msgs_burst runs out once for both workers; every datagram is sent or counted as limited', async () => {
    // 64 peers × 2 datagrams (one on each queue): no peer bucket runs out, the global one (50, 0-2 tokens a
    // message) does. The check (credit > 0) and the charge are apart in the kernel too (icmp_global_allow,
    // then icmp_global_consume once the peer allowed): a worker may pass the check while the other's
    // message is between the two, so two workers send the one-thread count or one more, never fewer.
    const PEERS = 64;
    const frames = (q: number) => Array.from({ length: PEERS }, (_, p) => toClosedPort(p, q * 100 + p));
    const seq = await limited(0, PEERS, frames);
    const par = await limited(2, PEERS, frames);
    const s = icmp(seq.mib);
    const p = icmp(par.mib);
    expect(s.out).toBe(seq.unreachables);
    expect(s.out + s.global).toBe(2 * PEERS);
    expect(s.host).toBe(0);
    // 50 tokens at 0-2 a message: somewhere between 25 and 50 messages and a few (the last may overdraw)
    expect(s.out).toBeGreaterThanOrEqual(25);
    expect(s.out).toBeLessThanOrEqual(60);
    expect(p.out).toBe(par.unreachables);
    expect(p.out + p.global).toBe(2 * PEERS);
    expect(p.host).toBe(0);
    expect(p.out).toBeGreaterThanOrEqual(s.out);
    expect(p.out).toBeLessThanOrEqual(s.out + 1);
  });
});

// programs/xdp_tp_bench.o's counts (its enum): xdp_devmap_xmit's sent / drops / bulks, xdp_redirect's
const DX_SENT = 0;
const DX_DROPS = 1;
const DX_BULKS = 2;
const DX_ERRS = 3;
const DX_LAST_FROM = 4;
const DX_LAST_TO = 5;
const RD_OK = 18;
const RD_ERR = 19;
const u32 = (v: number) => codec.u32.encode(v);

describe('tracepoint arguments under two workers', () => {
  it("xdp_devmap_xmit and xdp_redirect raised by both workers at once: each event's arguments are its own worker's", async () => {
    // eth0's queue 0 (worker 0) gets 40 frames a round, queue 1 (worker 1) 100; both redirect to eth1
    // (bpf_redirect), whose TX rings hold 64: worker 1 sends 64 and drops 36 a round (the TX ring is
    // read between rounds), worker 0 sends 40. Bulks of at most 16 (DEV_MAP_BULK_SIZE): 3 a round for
    // worker 0 (16 + 16 + 8), 7 for worker 1. Were the arguments one buffer, a worker's sent/drops would
    // land in the other's events and the sums would not come out.
    const ROUNDS = 12;
    const dp = await Datapath.create({ workers: 2 });
    open.push(dp);
    const eth0 = dp.addDevice({ name: 'eth0', queues: 2, ringSize: 256, rss: false });
    const eth1 = dp.addDevice({ name: 'eth1', queues: 2, ringSize: 64, rss: false });
    const obj = await dp.loadObject(`${root}programs/xdp_tp_bench.o`);
    for (const [name, p] of obj.programs) if (p.spec.type === 'tracing') obj.program(name).attachTracepoint();
    obj.map('cfg').update(u32(0), u32(0));
    obj.map('cfg').update(u32(1), u32(eth1.ifindex));
    eth0.attachXdp(obj.program('xdp_bench'));
    const c = (k: number) => Number(codec.u64.decode(obj.map('counts').lookup(u32(k))!));
    for (let round = 0; round < ROUNDS; round++) {
      dp.workers!.hold();
      expect(eth0.injectBatch(Array.from({ length: 40 }, (_, i) => frame(60, i)), { queue: 0 })).toBe(40);
      expect(eth0.injectBatch(Array.from({ length: 100 }, (_, i) => frame(60, i)), { queue: 1 })).toBe(100);
      dp.workers!.release();
      for (let i = 0; i < 1000 && eth0.rings(0).rx.available() + eth0.rings(1).rx.available() > 0; i++) dp.workers!.settle(1);
      dp.workers!.settle(2);
      expect(eth1.readTx({ queue: 0 }).length).toBe(40);
      expect(eth1.readTx({ queue: 1 }).length).toBe(64);
    }
    expect([c(DX_SENT), c(DX_DROPS), c(DX_ERRS), c(RD_OK), c(RD_ERR)]).toEqual([ROUNDS * 104, ROUNDS * 36, 0, ROUNDS * 140, 0]);
    expect(c(DX_BULKS)).toBe(ROUNDS * (3 + 7));
    expect([c(DX_LAST_FROM), c(DX_LAST_TO)]).toEqual([eth0.ifindex, eth1.ifindex]);
    const st = eth1.stats();
    expect([st.queues[0]!.txPackets, st.queues[1]!.txPackets, st.queues[1]!.drops.TX_RING_FULL]).toEqual([ROUNDS * 40, ROUNDS * 64, ROUNDS * 36]);
  });
});
