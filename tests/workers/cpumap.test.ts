// cpumap across workers (kernel/bpf/cpumap.c): a frame redirected to entry k goes on that entry's
// ptr_ring (qsize frames; cpu_map_enqueue / bq_flush_to_queue return the frame and count a drop when it
// is full), and CPU k — here worker k — takes it off and runs the entry's program there
// (cpu_map_bpf_prog_run_xdp: the frame's ingress device, rx_queue_index 0) before the host path.

import { afterEach, describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { codec, createMap, MapType, type BpfMap } from '../../src/maps/index.js';
import { frame } from '../datapath/support.js';

const u32 = (v: number) => codec.u32.encode(v);
const val = (qsize: number, prog = 0) => Uint8Array.from([...u32(qsize), ...u32(prog)]);

const open: Datapath[] = [];
afterEach(async () => {
  for (const dp of open.splice(0)) await dp.close();
});

/** Datapath with 2 workers, eth0 (2 queues, no RSS), a cpumap of 2 entries and a 2 × u64 per-CPU run count. */
async function setup() {
  const dp = await Datapath.create({ workers: 2 });
  open.push(dp);
  const eth0 = dp.addDevice({ name: 'eth0', queues: 2, ringSize: 256, rss: false });
  const cpus = createMap(dp.fastPath, { name: 'cpus', type: MapType.CPUMAP, keySize: 4, valueSize: 8, maxEntries: 2 });
  const runs = createMap(dp.fastPath, { name: 'runs', type: MapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 1 }).valueAddress(0);
  // The entry's program: runs[bpf_get_smp_processor_id()] += 1, then XDP_DROP (only one CPU runs it: plain adds).
  const record = await dp.loadInsns(
    assemble([`r6 = ${runs}`, 'call 8', 'r0 <<= 3', 'r6 += r0', 'r1 = *(u64 *)(r6 + 0)', 'r1 += 1', '*(u64 *)(r6 + 0) = r1', 'r0 = 1', 'exit'].join('\n')),
    { verify: false, checked: false, attachType: 'xdp_cpumap' },
  );
  // The device's program: redirect to cpumap entry 1 - rx_queue_index (queue 0 → CPU 1, queue 1 → CPU 0).
  eth0.attachXdp(
    await dp.loadInsns(
      assemble([`r2 = *(u32 *)(r1 + 16)`, 'r3 = 1', 'r3 -= r2', 'r2 = r3', `r1 = ${cpus.address} ll`, 'r3 = 0', 'call 51', 'exit'].join('\n')),
      { verify: false, checked: false },
    ),
  );
  const runCounts = () => [0, 8].map((o) => Number(dp.memory.view().getBigUint64(runs + o, true)));
  const x = dp.fastPath.exports as unknown as { cpumap_queue_stat(m: number, cpu: number, which: number): bigint };
  const queue = (m: BpfMap, cpu: number) => ({
    enqueued: Number(x.cpumap_queue_stat(m.address, cpu, 0)),
    dropped: Number(x.cpumap_queue_stat(m.address, cpu, 1)),
    drained: Number(x.cpumap_queue_stat(m.address, cpu, 2)),
  });
  return { dp, eth0, cpus, record, runCounts, queue };
}

describe('cpumap with two workers', () => {
  it("frames worker 0 redirects to entry 1 are run by worker 1 (the entry's program sees CPU 1); entry 0 without a program passes to the host", async () => {
    const { dp, eth0, cpus, record, runCounts, queue } = await setup();
    cpus.update(u32(1), val(256, record.fd));
    cpus.update(u32(0), val(64));
    let host = 0;
    for (let round = 0; round < 4; round++) {
      expect(eth0.injectBatch(Array.from({ length: 50 }, (_, i) => frame(60, i)), { queue: 0 })).toBe(50);
      expect(eth0.injectBatch(Array.from({ length: 20 }, (_, i) => frame(60, i)), { queue: 1 })).toBe(20);
      dp.workers!.settle(3);
      host += eth0.readHost().length;
    }
    dp.workers!.settle(3);
    host += eth0.readHost().length;
    // every frame from queue 0 ran the entry's program on worker 1, none on worker 0
    expect(runCounts()).toEqual([0, 200]);
    expect(queue(cpus, 1)).toEqual({ enqueued: 200, dropped: 0, drained: 200 });
    expect(queue(cpus, 0)).toEqual({ enqueued: 80, dropped: 0, drained: 80 });
    expect(host).toBe(80);
    const st = eth0.stats();
    expect(st.queues.map((q) => q.verdicts.XDP_REDIRECT)).toEqual([200, 80]);
    // worker 1 ran the entry's XDP_DROP on its own queue of the ingress device
    expect(st.queues.map((q) => q.drops.XDP_DROP)).toEqual([0, 200]);
    expect(dp.workers!.stats().map((w) => w.faults)).toEqual([0, 0]);
    await dp.close();
    expect(dp.workers!.faults).toEqual([]);
  });

  it('a full queue drops what it has no room for and counts it: enqueued + dropped = redirected, drained = enqueued = runs', async () => {
    const { dp, eth0, cpus, record, runCounts, queue } = await setup();
    cpus.update(u32(1), val(1, record.fd));
    const free = () => (dp.fastPath.exports as unknown as { dp_pool_free(): number }).dp_pool_free() + eth0.rings(0).fill.available() + eth0.rings(1).fill.available();
    const before = free();
    let sent = 0;
    for (let round = 0; round < 4; round++) {
      sent += eth0.injectBatch(Array.from({ length: 200 }, (_, i) => frame(60, i)), { queue: 0 });
      dp.workers!.settle(3);
    }
    expect(sent).toBe(800);
    const q = queue(cpus, 1);
    expect(q.enqueued + q.dropped).toBe(800);
    // one slot: a burst of up to 64 frames finds it taken after the first
    expect(q.dropped).toBeGreaterThan(0);
    expect(q.drained).toBe(q.enqueued);
    expect(runCounts()).toEqual([0, q.enqueued]);
    expect(eth0.stats().queues[0]!.verdicts.XDP_REDIRECT).toBe(800);
    // every frame is back (dropped ones on worker 0's fill ring, run ones on worker 1's): none lost
    expect(free()).toBe(before);
  });
});

describe('cpumap queues are freed', () => {
  // kernel/bpf/cpumap.c: deleting or replacing an entry frees its bpf_cpu_map_entry after an RCU grace
  // period, once its kthread has emptied the ring; frames are never lost on the way.
  const CPUMAP_QUEUES = 0x2200 + 40; // assembly/maps/cpumap.ts: DP_BASE + 40, the list of every queue
  const queues = (dp: Datapath): number[] => {
    const v = dp.memory.view();
    const out: number[] = [];
    for (let q = v.getUint32(CPUMAP_QUEUES, true); q !== 0 && out.length < 100; q = v.getUint32(q + 24, true)) out.push(q);
    return out;
  };
  const reclaim = (dp: Datapath): number => (dp.fastPath.exports as unknown as { cpumap_reclaim(): number }).cpumap_reclaim();

  it('a replaced and a deleted entry: their queues are drained, unlinked after a grace period, and their memory is reused; every frame is back', async () => {
    const { dp, eth0, cpus, record, runCounts, queue } = await setup();
    const x = dp.fastPath.exports as unknown as { dp_pool_free(): number; rc_arena_bytes(): bigint };
    const free = () => x.dp_pool_free() + eth0.rings(0).fill.available() + eth0.rings(1).fill.available();
    const before = free();
    cpus.update(u32(1), val(64, record.fd));
    const first = queues(dp);
    expect(first).toHaveLength(1);
    let sent = 0;
    const traffic = () => {
      sent += eth0.injectBatch(Array.from({ length: 40 }, (_, i) => frame(60, i)), { queue: 0 });
      dp.workers!.settle(3);
    };
    traffic();
    // a bigger qsize than the queue holds: a new queue; the old one is DYING until drained and a grace period is over
    cpus.update(u32(1), val(512, record.fd));
    expect(queues(dp)).toHaveLength(2);
    traffic();
    for (let i = 0; i < 20 && queues(dp).length > 1; i++) {
      dp.workers!.settle(2);
      reclaim(dp);
    }
    const second = queues(dp);
    expect(second).toHaveLength(1);
    expect(second[0]).not.toBe(first[0]);
    expect(queue(cpus, 1).enqueued).toBe(40);
    traffic();
    cpus.delete(u32(1));
    for (let i = 0; i < 20 && queues(dp).length > 0; i++) {
      dp.workers!.settle(2);
      reclaim(dp);
    }
    expect(queues(dp)).toEqual([]);
    // frames after the delete: bpf_redirect_map to an empty entry fails (XDP_ABORTED path), none queued
    traffic();
    dp.workers!.settle(3);
    expect(runCounts()[1]).toBe(120);
    expect(sent).toBe(160);
    expect(free()).toBe(before);
    // the freed queues' memory serves the next entry: the reclaimer takes nothing new from the arena
    for (let i = 0; i < 5; i++) {
      dp.workers!.settle(2);
      reclaim(dp);
    }
    const arena = x.rc_arena_bytes();
    cpus.update(u32(1), val(512, record.fd));
    expect(queues(dp)).toHaveLength(1);
    expect(x.rc_arena_bytes()).toBe(arena);
    expect(dp.workers!.stats().map((w) => w.faults)).toEqual([0, 0]);
  });

  it('a cpumap freed (its object unloaded) gives its entries\' queues up: drained, then unlinked', async () => {
    const { dp, eth0, cpus, record } = await setup();
    cpus.update(u32(1), val(256, record.fd));
    cpus.update(u32(0), val(256, record.fd));
    eth0.injectBatch(Array.from({ length: 50 }, (_, i) => frame(60, i)), { queue: 0 });
    dp.workers!.settle(3);
    expect(queues(dp)).toHaveLength(2);
    // the device's program still names the map: detach it first, as unloadObject requires
    eth0.detachXdp();
    cpus.release();
    for (let i = 0; i < 20 && queues(dp).length > 0; i++) {
      dp.workers!.settle(2);
      reclaim(dp);
    }
    expect(queues(dp)).toEqual([]);
  });

  it('close() frees every queue and gives back the frames still on them', async () => {
    const { dp, eth0, cpus, record } = await setup();
    const x = dp.fastPath.exports as unknown as { dp_pool_free(): number };
    cpus.update(u32(1), val(256, record.fd));
    cpus.update(u32(0), val(256, record.fd));
    const total = x.dp_pool_free() + eth0.rings(0).fill.available() + eth0.rings(1).fill.available();
    eth0.injectBatch(Array.from({ length: 100 }, (_, i) => frame(60, i)), { queue: 0 });
    eth0.injectBatch(Array.from({ length: 100 }, (_, i) => frame(60, i)), { queue: 1 });
    await dp.close();
    expect(queues(dp)).toEqual([]);
    // what the workers did not get to is on the RX rings; the rest is back in the pool or on fill rings
    const onRx = eth0.rings(0).rx.available() + eth0.rings(1).rx.available();
    expect(x.dp_pool_free() + eth0.rings(0).fill.available() + eth0.rings(1).fill.available() + onRx).toBe(total);
  });
});

describe('devmap redirects between workers', () => {
  // The kernel transmits a devmap redirect on the redirecting CPU (bq_xmit_all → ndo_xdp_xmit), and a
  // driver whose XDP TX queue is shared between CPUs takes its lock (__netif_tx_lock): so do workers
  // on a TX queue another worker also uses (ring.ts ringPushDescShared, device.ts countShared).
  it('two workers redirecting into a one-queue device: every frame is on its TX ring once and its counters add up exactly', async () => {
    const dp = await Datapath.create({ workers: 2, umemFrames: 2048 });
    open.push(dp);
    const eth0 = dp.addDevice({ name: 'eth0', queues: 2, ringSize: 256, rss: false });
    const eth1 = dp.addDevice({ name: 'eth1', queues: 1, ringSize: 512 });
    const ports = createMap(dp.fastPath, { name: 'ports', type: MapType.DEVMAP, keySize: 4, valueSize: 4, maxEntries: 1 });
    ports.update(u32(0), u32(eth1.ifindex));
    eth0.attachXdp(await dp.loadInsns(assemble([`r1 = ${ports.address} ll`, 'r2 = 0', 'r3 = 0', 'call 51', 'exit'].join('\n')), { verify: false, checked: false }));
    let tx = 0;
    for (let round = 0; round < 20; round++) {
      expect(eth0.injectBatch(Array.from({ length: 50 }, (_, i) => frame(60, i)), { queue: 0 })).toBe(50);
      expect(eth0.injectBatch(Array.from({ length: 50 }, (_, i) => frame(60, i)), { queue: 1 })).toBe(50);
      dp.workers!.settle(3);
      tx += eth1.readTx().length;
    }
    expect(tx).toBe(2000);
    const st = eth1.stats();
    expect(st.txPackets).toBe(2000);
    expect(st.txBytes).toBe(2000 * 60);
    expect(eth0.stats().queues.map((q) => q.verdicts.XDP_REDIRECT)).toEqual([1000, 1000]);
  });
});

