// The stack behind XDP_PASS with two workers passing frames to it at once: neighbour resolution (both
// workers create and queue on the same new next hops, then an ARP reply flushes them), conntrack entries
// created from both, datagrams queued on one UDP socket from both while the main thread reads it, and
// fragments of one datagram arriving on different workers (one reassembly queue changed by both).
// Compared with the sequential model: the same frames through a Datapath without workers (one thread,
// the unshared build). Every count must add up exactly: SNMP counters, drops, conntrack entries,
// neighbour entries, frames transmitted (forwarded + ARP requests), datagrams received.

import { afterEach, describe, expect, it } from 'vitest';
import { ipv4Bytes, macBytes } from '../../src/control/addresses.js';
import { Datapath } from '../../src/control/datapath.js';
import type { Device } from '../../src/control/device.js';
import { ND } from '../../src/runtime/net_abi.js';
import { eth, ipBatchAfterSysctls, ipBatchLinks, ipv4, linkSysctls, udp4, type LinkCfg, type RouteCfg } from '../net/support.js';

const M0 = '02:00:00:00:01:00';
const M1 = '02:00:00:00:01:01';
const H0 = '02:00:00:00:02:00';
const LINKS: LinkCfg[] = [
  { name: 'eth0', mac: M0, forwarding: true, v4: ['192.0.2.1/24'] },
  { name: 'eth1', mac: M1, forwarding: true, v4: ['198.51.100.1/24'] },
];
const ROUTES: RouteCfg[] = [];
const ROUNDS = 24;
/** New next hops per round (198.51.100.x on eth1's link, none resolved yet): both workers forward to each. */
const HOPS = 8;
const FWD = 96; //   forwarded datagrams per queue per round
const LOCAL = 120; // datagrams to the socket per queue per round
const FRAGS = 90; // two-fragment datagrams per round: first fragment on queue 0, second on queue 1
const PORT = 5000;

const open: Datapath[] = [];
afterEach(async () => {
  for (const dp of open.splice(0)) await dp.close();
});

interface Sk {
  sk_create(family: number, protocol: number, flags: number): number;
  sk_rmem_default(v: number): void;
  sk_bind(id: number, addr: number, port: number, scopeId: number): number;
  sk_io_area(): number;
  sk_recv(id: number, buf: number, len: number, meta: number): number;
  neigh_ctl_entries(family: number, gc: number): number;
  dp_pool_free(): number;
  netdev_get(ifindex: number): number;
}

const payload = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);
const fromHost = (p: Uint8Array): Uint8Array => eth({ dst: M0, src: H0, type: 0x0800 }, p);
const hop = (round: number, k: number): string => `198.51.100.${10 + round * HOPS + k}`;
const hopMac = (round: number, k: number): string => `02:00:00:00:03:${(round * HOPS + k).toString(16).padStart(2, '0')}`;

/** The ARP reply of next hop k of `round` to the router's eth1 (RFC 826). */
function arpReply(round: number, k: number): Uint8Array {
  const body = Uint8Array.from([0, 1, 8, 0, 6, 4, 0, 2, ...macBytes(hopMac(round, k)), ...ipv4Bytes(hop(round, k)), ...macBytes(M1), ...ipv4Bytes('198.51.100.1')]);
  return eth({ dst: M1, src: hopMac(round, k), type: 0x0806 }, body);
}

/** What queue `q` receives in `round`: forwarded datagrams, datagrams to the socket, and fragments. */
function roundFrames(round: number, q: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < FWD; i++) {
    const sport = 10000 + round * 1000 + q * 100 + i;
    out.push(fromHost(ipv4({ src: '192.0.2.2', dst: hop(round, i % HOPS), proto: 17, id: sport }, udp4('192.0.2.2', hop(round, i % HOPS), sport, 2000, payload(32, i)))));
  }
  for (let i = 0; i < LOCAL; i++) {
    const sport = 20000 + round * 1000 + q * 100 + i;
    out.push(fromHost(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17, id: sport }, udp4('192.0.2.2', '192.0.2.1', sport, PORT, payload(24, i)))));
  }
  for (let i = 0; i < FRAGS; i++) {
    const sport = 30000 + round * 100 + i;
    const whole = udp4('192.0.2.2', '192.0.2.1', sport, PORT, payload(72, i)); // 80 bytes: 40 + 40
    const id = 0x4000 + round * 100 + i;
    out.push(
      q === 0
        ? fromHost(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17, id, mf: true, fragOff: 0 }, whole.subarray(0, 40)))
        : fromHost(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17, id, fragOff: 40 }, whole.subarray(40))),
    );
  }
  // interleaved, the same way for both models: the kinds meet in every burst
  return out.map((f, i) => ({ f, k: (i * 37) % out.length })).sort((a, b) => a.k - b.k).map((e) => e.f);
}

interface Outcome {
  mib: Record<string, number>;
  drops: Record<string, number>;
  conntrack: number;
  neighbours: number;
  forwarded: number;
  arpRequests: number;
  received: number;
  framesBack: boolean;
  /** `ip -s link` of eth0 and eth1 (the shared build counts per CPU, dev_get_stats sums), and the rings' TX counters. */
  links: Record<string, unknown>;
  ringTx: number[];
  /** Whether the netdev records have per-CPU counter blocks (ND_PCPU). */
  pcpu: boolean[];
}

/** Run every round through a Datapath with `workers` workers (0: the main thread polls). */
async function run(workers: number): Promise<Outcome> {
  const dp = await Datapath.create({ umemFrames: 8192, ...(workers ? { workers } : {}) });
  open.push(dp);
  const eth0 = dp.addDevice({ name: 'eth0', mac: M0, queues: 2, ringSize: 512, rss: false });
  const eth1 = dp.addDevice({ name: 'eth1', mac: M1, queues: 2, ringSize: 512, rss: false });
  for (const line of ipBatchLinks(LINKS)) dp.ip(line);
  for (const [k, v] of linkSysctls(LINKS)) dp.sysctl(k, v);
  // ipfrag_max_dist counts a source's fragments between two of one datagram: how far apart the two
  // workers get is timing, not the stack's, so the check is off (0) for both models
  dp.sysctl('net.ipv4.ipfrag_max_dist', 0);
  for (const line of ipBatchAfterSysctls(LINKS, ROUTES, [{ dev: 'eth0', addr: '192.0.2.2', mac: H0 }])) dp.ip(line);
  dp.conntrack.enable({ family: 'ipv4', max: 65536 });
  const x = dp.fastPath.exports as unknown as Sk;
  // room for a round's datagrams whenever the reader comes (the models read at different times)
  x.sk_rmem_default(16 << 20);
  const id = x.sk_create(2, 17, 0);
  expect(id).toBeGreaterThan(0);
  dp.memory.bytes().set([192, 0, 2, 1], x.sk_io_area());
  expect(x.sk_bind(id, x.sk_io_area(), PORT, 0)).toBe(0);
  const buf = x.sk_io_area() + 64;
  let received = 0;
  const readSocket = () => {
    while (x.sk_recv(id, buf, 256, 0) >= 0) received++;
  };
  let forwarded = 0;
  let arpRequests = 0;
  const readTx = (d: Device) => {
    for (const f of d.readTx()) {
      if (f.data[12] === 0x08 && f.data[13] === 0x06) arpRequests++;
      else forwarded++;
    }
  };
  const pending = () => [eth0, eth1].reduce((n, d) => n + d.rings(0).rx.available() + d.rings(1).rx.available(), 0);
  const settle = () => {
    if (workers) {
      // until the RX rings are empty and two full rounds of both workers bring nothing more (a loaded
      // machine may keep a worker off its core for a while); bounded by the workers' own timeout
      for (let quiet = 0; quiet < 2; ) {
        const before = received + forwarded + arpRequests;
        dp.workers!.settle(2);
        readSocket();
        readTx(eth1);
        quiet = pending() === 0 && received + forwarded + arpRequests === before ? quiet + 1 : 0;
      }
    } else {
      while (dp.poll() !== 0) {}
      readSocket();
      readTx(eth1);
    }
  };
  const total = x.dp_pool_free() + [0, 1].reduce((n, q) => n + eth0.rings(q).fill.available() + eth1.rings(q).fill.available(), 0);
  for (let round = 0; round < ROUNDS; round++) {
    // both queues loaded while the workers hold, then released together: they pass frames to the stack at once
    if (workers) dp.workers!.hold();
    for (const q of [0, 1]) expect(eth0.injectBatch(roundFrames(round, q), { queue: q })).toBe(FWD + LOCAL + FRAGS);
    if (workers) {
      dp.workers!.release();
      // the main thread reads the socket while the workers are still queueing on it
      for (let i = 0; i < 50; i++) readSocket();
    }
    settle();
    // the next hops answer: their queued frames go out
    if (workers) dp.workers!.hold();
    for (let k = 0; k < HOPS; k++) expect(eth1.inject(arpReply(round, k), { queue: k & 1 })).toBe(true);
    if (workers) dp.workers!.release();
    settle();
  }
  settle();
  const framesBack = x.dp_pool_free() + [0, 1].reduce((n, q) => n + eth0.rings(q).fill.available() + eth1.rings(q).fill.available(), 0) === total;
  return {
    mib: dp.stack.mib(),
    drops: dp.stack.drops(),
    conntrack: dp.conntrack.list().length,
    neighbours: x.neigh_ctl_entries(2, 0),
    forwarded,
    arpRequests,
    received,
    framesBack,
    links: { eth0: dp.links.stats('eth0'), eth1: dp.links.stats('eth1') },
    ringTx: [eth0, eth1].flatMap((d) => [d.stats().txPackets, d.stats().txBytes]),
    pcpu: [eth0, eth1].map((d) => dp.memory.view().getUint32(x.netdev_get(d.ifindex) + ND.PCPU, true) !== 0),
  };
}

describe('the stack under two workers', () => {
  it('neighbour resolution, conntrack creation, one UDP socket and reassembly from both workers at once add up exactly as one thread', async () => {
    const seq = await run(0);
    const par = await run(2);
    if (process.env.W16_DEBUG) console.log(JSON.stringify({ seq: { ...seq, mib: {}, drops: {} }, par: { ...par, mib: {}, drops: {} }, mib: Object.keys(seq.mib).filter((k) => seq.mib[k] !== par.mib[k]).map((k) => `${k} ${seq.mib[k]} ${par.mib[k]}`), drops: Object.keys(seq.drops).filter((k) => seq.drops[k] !== par.drops[k]).map((k) => `${k} ${seq.drops[k]} ${par.drops[k]}`) }));
    // the sequential model is what the RFCs and the kernel give for these frames
    expect(seq.forwarded).toBe(ROUNDS * 2 * FWD);
    expect(seq.arpRequests).toBe(ROUNDS * HOPS);
    expect(seq.received).toBe(ROUNDS * (2 * LOCAL + FRAGS));
    expect(seq.mib['Ip:ReasmOKs']).toBe(ROUNDS * FRAGS);
    expect(seq.mib['Ip:ForwDatagrams']).toBe(ROUNDS * 2 * FWD);
    expect(seq.framesBack).toBe(true);
    // two workers: the same, exactly
    expect(par.forwarded).toBe(seq.forwarded);
    expect(par.arpRequests).toBe(seq.arpRequests);
    expect(par.received).toBe(seq.received);
    expect(par.conntrack).toBe(seq.conntrack);
    expect(par.neighbours).toBe(seq.neighbours);
    // Two workers may create the same UDP connection at once: the second confirm finds the first's entry
    // and, as the kernel's nf_ct_resolve_clash does for protocols that allow it, the datagram goes on with
    // that entry (clash_resolve) instead of being dropped (insert_failed). Which packets meet a clash is
    // timing; the lookups that found an entry and the clashes resolved add up to the one-thread count.
    const ct = (m: Record<string, number>) => (m['nf_conntrack:found'] ?? 0) + (m['nf_conntrack:clash_resolve'] ?? 0);
    expect(ct(par.mib)).toBe(ct(seq.mib));
    expect(par.mib['nf_conntrack:insert_failed'] ?? 0).toBe(0);
    const rest = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).filter(([k]) => k !== 'nf_conntrack:found' && k !== 'nf_conntrack:clash_resolve'));
    expect(rest(par.mib)).toEqual(rest(seq.mib));
    expect(par.drops).toEqual(seq.drops);
    expect(par.framesBack).toBe(true);
    // device counters: every frame in and out counted once, whichever worker counted it (per-CPU slots
    // summed as dev_get_stats; a TX queue's counters under its ring's lock)
    const rx0 = ROUNDS * 2 * (FWD + LOCAL + FRAGS);
    const seqLinks = seq.links as Record<string, { rx: { packets: number }; tx: { packets: number } }>;
    expect(seqLinks.eth0!.rx.packets).toBe(rx0);
    expect(seqLinks.eth1!.rx.packets).toBe(ROUNDS * HOPS);
    expect(seqLinks.eth1!.tx.packets).toBe(seq.forwarded + seq.arpRequests);
    expect(seq.ringTx[2]).toBe(seq.forwarded + seq.arpRequests);
    expect(par.links).toEqual(seq.links);
    expect(par.ringTx).toEqual(seq.ringTx);
    expect(seq.pcpu).toEqual([false, false]);
    expect(par.pcpu).toEqual([true, true]);
  });
});

