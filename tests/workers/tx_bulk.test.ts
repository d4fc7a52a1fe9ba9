// Transmit in bulk (device.ts xmit): while a worker polls, the frames it transmits (XDP_TX, redirects,
// the stack's output) are queued per target TX queue and pushed onto the ring a bulk at a time, as the
// kernel's per-CPU bulk queues are (devmap.c bq_enqueue: DEV_MAP_BULK_SIZE 16, flushed by xdp_do_flush at
// the end of the NAPI poll; bq_xmit_all frees what the driver did not take: drops = cnt - sent). What the
// rings end up holding must be what one thread transmitting frame by frame leaves: every frame once, in
// the order each target got them, what did not fit counted as dropped, every frame back in the pool.
// Each case runs on one thread (the unshared build, frame by frame) and on workers (the shared build, in
// bulks), with the same expected values.

import { afterEach, describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import type { Device } from '../../src/control/device.js';
import { codec, createMap, MapType } from '../../src/maps/index.js';
import { eth, ipv4, udp4 } from '../net/support.js';
import { frame, tagOf, tagVerdicts } from '../datapath/support.js';

const u32 = (v: number) => codec.u32.encode(v);

const open: Datapath[] = [];
afterEach(async () => {
  for (const dp of open.splice(0)) await dp.close();
});

async function make(workers: number): Promise<Datapath> {
  const dp = await Datapath.create({ umemFrames: 4096, ...(workers ? { workers } : {}) });
  open.push(dp);
  return dp;
}

/** Everything injected is polled: workers until their RX rings are empty (then two more rounds), else dp.poll(). */
function drain(dp: Datapath, devs: Device[]): void {
  if (dp.workers) {
    const left = () => devs.reduce((n, d) => n + Array.from({ length: d.queues }, (_, q) => d.rings(q).rx.available()).reduce((a, b) => a + b, 0), 0);
    while (left() > 0) dp.workers.settle(1);
    dp.workers.settle(2);
  } else {
    while (dp.poll() !== 0) {}
  }
}

interface PoolX {
  dp_pool_free(): number;
}

/** Frames in the pool plus on every fill ring of `devs`: constant while no frame is in flight. */
function frames(dp: Datapath, devs: Device[]): number {
  const x = dp.fastPath.exports as unknown as PoolX;
  let n = x.dp_pool_free();
  for (const d of devs) for (let q = 0; q < d.queues; q++) n += d.rings(q).fill.available();
  return n;
}

const M0 = '02:00:00:00:01:00';

/** eth0 (192.0.2.1/24, `queues` queues) forwarding to eth1 (198.51.100.1/24, a `ring`-entry TX ring), the next hop 198.51.100.2 known. */
function router(dp: Datapath, queues: number, ring: number): { eth0: Device; eth1: Device } {
  const eth0 = dp.addDevice({ name: 'eth0', mac: M0, queues, ringSize: 256, rss: false });
  const eth1 = dp.addDevice({ name: 'eth1', mac: '02:00:00:00:01:01', queues: 1, ringSize: ring });
  dp.ip('link set dev eth0 up');
  dp.ip('link set dev eth1 up');
  dp.ip('addr add 192.0.2.1/24 dev eth0');
  dp.ip('addr add 198.51.100.1/24 dev eth1');
  dp.sysctl('net.ipv4.conf.all.forwarding', 1);
  dp.ip('neigh add 198.51.100.2 lladdr 02:00:00:00:03:02 dev eth1 nud permanent');
  return { eth0, eth1 };
}

describe('transmit in bulk', () => {
  it.each([0, 2])('redirects from both queues into one 64-entry TX ring (%i workers): 64 on the ring once, 136 counted TX_RING_FULL, every frame back', async (workers) => {
    const dp = await make(workers);
    const eth0 = dp.addDevice({ name: 'eth0', queues: 2, ringSize: 256, rss: false });
    const eth1 = dp.addDevice({ name: 'eth1', queues: 1, ringSize: 64 });
    const before = frames(dp, [eth0, eth1]);
    const ports = createMap(dp.fastPath, { name: 'ports', type: MapType.DEVMAP, keySize: 4, valueSize: 4, maxEntries: 1 });
    ports.update(u32(0), u32(eth1.ifindex));
    eth0.attachXdp(await dp.loadInsns(assemble([`r1 = ${ports.address} ll`, 'r2 = 0', 'r3 = 0', 'call 51', 'exit'].join('\n')), { verify: false, checked: false }));
    dp.workers?.hold();
    for (const q of [0, 1]) expect(eth0.injectBatch(Array.from({ length: 100 }, (_, i) => frame(60, q * 100 + i)), { queue: q })).toBe(100);
    dp.workers?.release();
    drain(dp, [eth0]);
    const st = eth1.stats();
    expect(st.txPackets).toBe(64);
    expect(st.txBytes).toBe(64 * 60);
    expect(st.drops.TX_RING_FULL).toBe(136);
    const got = eth1.readTx();
    expect(got.length).toBe(64);
    expect(new Set(got.map((f) => tagOf(f.data))).size).toBe(64);
    // each queue's frames reach the ring in the order they came in
    for (const q of [0, 1]) {
      const mine = got.map((f) => tagOf(f.data)).filter((t) => (t >= 100) === (q === 1));
      expect(mine).toEqual([...mine].sort((a, b) => a - b));
    }
    expect(eth0.stats().verdicts.XDP_REDIRECT).toBe(200);
    drain(dp, [eth0, eth1]);
    expect(frames(dp, [eth0, eth1])).toBe(before);
  });

  it.each([0, 1])('ten targets in one poll (more than a worker keeps bulks for) and 100 frames to one (%i workers): each device gets its frames once, in order', async (workers) => {
    const dp = await make(workers);
    const eth0 = dp.addDevice({ name: 'eth0', queues: 1, ringSize: 256, rss: false });
    const outs = Array.from({ length: 10 }, (_, k) => dp.addDevice({ name: `out${k}`, queues: 1, ringSize: 256 }));
    const before = frames(dp, [eth0, ...outs]);
    const ports = createMap(dp.fastPath, { name: 'ports', type: MapType.DEVMAP, keySize: 4, valueSize: 4, maxEntries: 10 });
    outs.forEach((d, k) => ports.update(u32(k), u32(d.ifindex)));
    // redirect to entry (tag mod 10): the tag is the u32 at byte 14 (frame())
    eth0.attachXdp(
      await dp.loadInsns(
        assemble(['r6 = *(u32 *)(r1 + 0)', 'r2 = *(u32 *)(r6 + 14)', 'r2 %= 10', `r1 = ${ports.address} ll`, 'r3 = 0', 'call 51', 'exit'].join('\n')),
        { verify: false, checked: false },
      ),
    );
    // round robin over the ten, then a run of 100 to out3 alone (bulks fill up: 16 a bulk)
    const tags = [...Array.from({ length: 100 }, (_, i) => i), ...Array.from({ length: 100 }, (_, i) => 1000 + i * 10 + 3)];
    dp.workers?.hold();
    expect(eth0.injectBatch(tags.map((t) => frame(60, t)))).toBe(200);
    dp.workers?.release();
    drain(dp, [eth0]);
    outs.forEach((d, k) => {
      const want = tags.filter((t) => t % 10 === k);
      expect(d.readTx().map((f) => tagOf(f.data))).toEqual(want);
      expect(d.stats().txPackets).toBe(want.length);
    });
    drain(dp, [eth0, ...outs]);
    expect(frames(dp, [eth0, ...outs])).toBe(before);
  });

  it.each([0, 2])("the stack forwarding from both queues into a 64-entry TX ring (%i workers): eth1's tx_packets 64, tx_dropped 136, each forwarded frame once", async (workers) => {
    const dp = await make(workers);
    const { eth0, eth1 } = router(dp, 2, 64);
    const before = frames(dp, [eth0, eth1]);
    const datagram = (q: number, i: number) =>
      eth({ dst: M0, src: '02:00:00:00:02:00', type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '198.51.100.2', proto: 17, id: q * 100 + i }, udp4('192.0.2.2', '198.51.100.2', 10000 + q * 100 + i, 53, new Uint8Array(18))));
    dp.workers?.hold();
    for (const q of [0, 1]) expect(eth0.injectBatch(Array.from({ length: 100 }, (_, i) => datagram(q, i)), { queue: q })).toBe(100);
    dp.workers?.release();
    drain(dp, [eth0]);
    const len = datagram(0, 0).length;
    const link = dp.links.stats('eth1');
    expect(link.tx).toEqual({ packets: 64, bytes: 64 * len, errors: 0, dropped: 136 });
    const st = eth1.stats();
    expect(st.txPackets).toBe(64);
    expect(st.drops.TX_RING_FULL).toBe(136);
    const got = eth1.readTx();
    expect(got.length).toBe(64);
    // forwarded: the next hop's MAC, TTL 63; the IP id tells the frames apart
    const ids = got.map((f) => (f.data[18]! << 8) | f.data[19]!);
    expect(new Set(ids).size).toBe(64);
    expect(got.every((f) => f.data[22] === 63 && f.data[0] === 2 && f.data[5] === 2)).toBe(true);
    drain(dp, [eth0, eth1]);
    expect(frames(dp, [eth0, eth1])).toBe(before);
  });

  it.each([0, 1])('XDP_TX, bpf_redirect and the stack forwarding passed frames in one poll (%i workers): each ring in the order one thread leaves it', async (workers) => {
    // One thread: a redirect is gathered until a frame with another verdict comes (napi.ts redirFlush),
    // the passed frames reach the stack as a burst at the poll's end and its lean forward holds them for
    // one transmit (netdev.ts netdev_xmit_pend). A worker gathers and holds the same way, and sends the
    // bulk its XDP_TX frames wait in first: the rings get the same order.
    const dp = await make(workers);
    const { eth0, eth1 } = router(dp, 1, 256);
    const before = frames(dp, [eth0, eth1]);
    // by the IP id's low two bits (byte 19): 0 XDP_TX, 1 bpf_redirect to eth0 itself, 2 to eth1, 3 XDP_PASS
    const prog = assemble(tagVerdicts(19, 20, eth0.ifindex, eth1.ifindex));
    eth0.attachXdp(await dp.loadInsns(prog, { verify: false, checked: false }));
    const datagram = (id: number) =>
      eth({ dst: M0, src: '02:00:00:00:02:00', type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '198.51.100.2', proto: 17, id }, udp4('192.0.2.2', '198.51.100.2', 10000 + id, 53, new Uint8Array(18))));
    // runs of each kind, then alternating
    const ids = [1, 5, 9, 0, 4, 2, 6, 10, 3, 13, 8, 17, 12, 14, 21, 7, 25, 16, 29, 18, 20, 33, 11, 15, 22, 26, 19];
    dp.workers?.hold();
    expect(eth0.injectBatch(ids.map(datagram))).toBe(ids.length);
    dp.workers?.release();
    drain(dp, [eth0]);
    const idOf = (f: { data: Uint8Array }) => (f.data[18]! << 8) | f.data[19]!;
    const out0 = eth0.readTx();
    const out1 = eth1.readTx();
    expect(out0.map(idOf)).toEqual(ids.filter((t) => t % 4 <= 1));
    // eth1: the redirects as they came, then the forwarded frames (the stack's burst at the poll's end), TTL 63
    expect(out1.map(idOf)).toEqual([...ids.filter((t) => t % 4 === 2), ...ids.filter((t) => t % 4 === 3)]);
    expect(out1.filter((f) => idOf(f) % 4 === 3).every((f) => f.data[22] === 63 && f.data[5] === 2)).toBe(true);
    expect(out1.filter((f) => idOf(f) % 4 === 2).every((f) => f.data[22] === 64)).toBe(true);
    expect(eth0.stats().txPackets).toBe(ids.filter((t) => t % 4 <= 1).length);
    expect(eth1.stats().txPackets).toBe(ids.filter((t) => t % 4 >= 2).length);
    expect(dp.links.stats('eth1').tx.packets).toBe(ids.filter((t) => t % 4 === 3).length);
    drain(dp, [eth0, eth1]);
    expect(frames(dp, [eth0, eth1])).toBe(before);
  });
});
