// Workers sharing maps: per-CPU maps hold one value per worker (bpf_get_smp_processor_id is the
// worker's index, possible CPUs = workers, read per CPU as libbpf does); a hash map that both workers
// insert into and count in (atomic adds, racing inserts falling back to the lookup) adds up exactly;
// an LRU map never holds more than max_entries while both evict; the program is replaced under load
// without losing a frame.

import { afterEach, describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import type { Device } from '../../src/control/device.js';
import { createMap, MapType } from '../../src/maps/index.js';

const prog = (name: string): string => new URL(`../../programs/${name}.o`, import.meta.url).pathname;

const open: Datapath[] = [];
afterEach(async () => {
  for (const dp of open.splice(0)) await dp.close();
});
async function withWorkers(n: number): Promise<Datapath> {
  const dp = await Datapath.create({ workers: n, umemFrames: 2048 });
  open.push(dp);
  return dp;
}

/** Ethernet + IPv4 (no options) + TCP (or UDP) from 192.0.2.<flow>:<1000 + flow> to 198.51.100.1:80, 64 bytes. */
function flowFrame(flow: number, proto = 6): Uint8Array {
  const f = new Uint8Array(64);
  f.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00]);
  f.set([0x45, 0, 0, 50, 0, 0, 0x40, 0, 64, proto, 0, 0, 192, 0, 2, flow & 0xff, 198, 51, 100, 1], 14);
  const sport = 1000 + flow;
  f.set([sport >> 8, sport & 0xff, 0, 80], 34);
  if (proto === 6) f[47] = 0x10; // ACK only: xdp_flow_stats deletes on FIN/RST
  return f;
}

/** Inject `frames` on `queue`, draining the host ring (XDP_PASS) as the workers fill it. */
function feed(dp: Datapath, dev: Device, frames: readonly Uint8Array[], queue: number): number {
  let sent = 0;
  for (const f of frames) {
    for (let tries = 0; !dev.inject(f, { queue }); tries++) {
      // the fill ring is empty until the worker polls: let it, then take back what it passed
      dp.workers!.settle(1);
      dev.readHost();
      if (tries > 1000) throw new Error('the queue does not drain');
    }
    sent++;
  }
  return sent;
}

function drain(dp: Datapath, dev: Device): void {
  dp.workers!.settle();
  dev.readHost();
  dp.workers!.settle();
  dev.readHost();
}

describe('per-CPU maps and bpf_get_smp_processor_id under workers', () => {
  it('percpu_array: each worker counts into its own value; lookupPerCpu reads one value per worker', async () => {
    const dp = await withWorkers(2);
    expect(dp.ncpus).toBe(2);
    const eth0 = dp.addDevice({ name: 'eth0', queues: 2 });
    const obj = await dp.loadObject(prog('xdp_proto_count'));
    eth0.attachXdp(obj.program());
    feed(dp, eth0, Array.from({ length: 30 }, (_, i) => flowFrame(i, 17)), 0);
    feed(dp, eth0, Array.from({ length: 20 }, (_, i) => flowFrame(i, 17)), 1);
    drain(dp, eth0);
    const stats = obj.maps.get('proto_stats')!;
    expect(stats.ncpus).toBe(2);
    const key = (slot: number) => Uint8Array.of(slot, 0, 0, 0);
    const packets = (slot: number) => stats.lookupPerCpu(key(slot))!.map((v) => Number(new DataView(v.buffer, v.byteOffset).getBigUint64(0, true)));
    expect(packets(2)).toEqual([30, 20]); // SLOT_IPV4
    expect(packets(5)).toEqual([30, 20]); // SLOT_UDP
    expect(packets(4)).toEqual([0, 0]); // SLOT_TCP
  });

  it('bpf_get_smp_processor_id is the index of the worker running the program', async () => {
    const dp = await withWorkers(2);
    const eth0 = dp.addDevice({ name: 'eth0', queues: 2 });
    // worker 0 drops (XDP_DROP 1), worker 1 passes (XDP_PASS 2)
    const p = await dp.loadInsns(assemble('call 8\nif r0 == 0 goto +2\nr0 = 2\nexit\nr0 = 1\nexit'));
    eth0.attachXdp(p);
    feed(dp, eth0, Array.from({ length: 10 }, (_, i) => flowFrame(i)), 0);
    feed(dp, eth0, Array.from({ length: 7 }, (_, i) => flowFrame(i)), 1);
    drain(dp, eth0);
    const st = eth0.stats();
    expect(st.queues.map((q) => [q.verdicts.XDP_DROP, q.verdicts.XDP_PASS])).toEqual([
      [10, 0],
      [0, 7],
    ]);
  });
});

describe('shared maps under two workers', () => {
  it('a hash map both workers insert into and count in adds up exactly (xdp_flow_count: atomic adds, racing inserts)', async () => {
    const dp = await withWorkers(2);
    const eth0 = dp.addDevice({ name: 'eth0', queues: 2, ringSize: 256 });
    const obj = await dp.loadObject(prog('xdp_flow_count'));
    eth0.attachXdp(obj.program());
    const FLOWS = 48;
    const ROUNDS = 25;
    const frames = Array.from({ length: ROUNDS }, () => Array.from({ length: FLOWS }, (_, i) => flowFrame(i))).flat();
    // the same flows on both queues at once: both workers insert and add to the same keys
    for (let k = 0; k < frames.length; k += 64) {
      feed(dp, eth0, frames.slice(k, k + 64), 0);
      feed(dp, eth0, frames.slice(k, k + 64), 1);
    }
    drain(dp, eth0);
    expect(eth0.stats().rxPackets).toBe(2 * FLOWS * ROUNDS);
    const counts = obj.maps.get('flow_counts')!;
    expect(counts.count).toBe(FLOWS);
    let key = counts.nextKey(null);
    let total = 0;
    let seen = 0;
    while (key) {
      const v = counts.lookup(key)!;
      const dv = new DataView(v.buffer, v.byteOffset);
      expect(Number(dv.getBigUint64(0, true))).toBe(2 * ROUNDS);
      expect(Number(dv.getBigUint64(8, true))).toBe(2 * ROUNDS * 64);
      total += Number(dv.getBigUint64(0, true));
      seen++;
      key = counts.nextKey(key);
    }
    expect([seen, total]).toEqual([FLOWS, 2 * FLOWS * ROUNDS]);
  });

  it('an LRU map both workers evict from never holds more than max_entries; per-CPU hash bytes add up per worker', async () => {
    const dp = await withWorkers(2);
    const eth0 = dp.addDevice({ name: 'eth0', queues: 2, ringSize: 256 });
    const obj = await dp.loadObject(prog('xdp_flow_stats'));
    eth0.attachXdp(obj.program());
    const lru = obj.maps.get('lru_flows')!;
    const frames = Array.from({ length: 400 }, (_, i) => flowFrame(i % 100));
    let most = 0;
    for (let k = 0; k < frames.length; k += 50) {
      feed(dp, eth0, frames.slice(k, k + 50), 0);
      feed(dp, eth0, frames.slice(k, k + 50).reverse(), 1);
      // read while the workers may still be evicting: the live count never passes max_entries; a walk
      // meanwhile is no snapshot (the kernel's get_next_key starts again from the first bucket when its
      // key was evicted, so it may meet keys twice): it only has to end
      let n = 0;
      for (let key = lru.nextKey(null); key && n < 1000; key = lru.nextKey(key)) n++;
      expect(n).toBeLessThan(1000);
      most = Math.max(most, lru.count);
    }
    drain(dp, eth0);
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(8);
    let quiet = 0;
    for (let key = lru.nextKey(null); key; key = lru.nextKey(key)) quiet++;
    expect(quiet).toBeGreaterThan(0);
    expect(quiet).toBeLessThanOrEqual(8);
    // the program inserts with BPF_NOEXIST after a lookup that found nothing: when both workers meet the
    // first frame at once, both find nothing, one insert wins and the other gets EEXIST and drops that one
    // frame's bytes (the same race on the kernel's CPUs). The key exists from then on, so at most one
    // worker, and by one frame, falls short; every other frame lands in its own worker's slot
    const bytes = obj.maps.get('proto_bytes')!.lookupPerCpu(Uint8Array.of(6, 0, 0, 0))!;
    const per = bytes.map((v) => Number(new DataView(v.buffer, v.byteOffset).getBigUint64(0, true)));
    expect(per.every((b) => b === 400 * 64 || b === 399 * 64)).toBe(true);
    expect(per[0] + per[1]).toBeGreaterThanOrEqual(799 * 64);
  });

  it('no torn 64-bit value: while worker 0 stores 0 and worker 1 stores all ones to one word, every read is one or the other', async () => {
    const dp = await withWorkers(2);
    const eth0 = dp.addDevice({ name: 'eth0', queues: 2, ringSize: 256 });
    const word = createMap(dp.fastPath, { name: 'word', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 }).valueAddress(0);
    expect(word % 8).toBe(0);
    // read the word: neither 0 nor ~0 is a torn read (XDP_ABORTED); then store this worker's pattern; XDP_DROP
    const src = [
      `r6 = ${word}`,
      'r1 = *(u64 *)(r6 + 0)',
      'if r1 == 0 goto +3',
      'r2 = -1',
      'if r1 == r2 goto +1',
      'goto +7',
      'call 8',
      'r7 = 0',
      'if r0 == 0 goto +1',
      'r7 = -1',
      '*(u64 *)(r6 + 0) = r7',
      'r0 = 1',
      'exit',
      'r0 = 0',
      'exit',
    ].join('\n');
    eth0.attachXdp(await dp.loadInsns(assemble(src), { verify: false, checked: false }));
    let sent = 0;
    for (let k = 0; k < 40; k++) for (const q of [0, 1]) sent += feed(dp, eth0, Array.from({ length: 64 }, (_, i) => flowFrame(i)), q);
    drain(dp, eth0);
    const st = eth0.stats();
    expect(st.queues.map((q) => q.rxPackets)).toEqual([sent / 2, sent / 2]);
    expect(st.verdicts).toMatchObject({ XDP_DROP: sent, XDP_ABORTED: 0 });
    // and the check does see a value that is neither: a half-written word aborts
    dp.memory.view().setBigUint64(word, 0xffffffffn, true);
    feed(dp, eth0, [flowFrame(1)], 0);
    drain(dp, eth0);
    expect(eth0.stats().verdicts.XDP_ABORTED).toBe(1);
  });

  it('replacing the program while both workers receive loses no frame: every frame runs under the old or the new one', async () => {
    const dp = await withWorkers(2);
    const eth0 = dp.addDevice({ name: 'eth0', queues: 2, ringSize: 256 });
    const drop = await dp.loadInsns(assemble('r0 = 1\nexit'));
    const pass = await dp.loadInsns(assemble('r0 = 2\nexit'));
    let sent = 0;
    for (let round = 0; round < 12; round++) {
      eth0.attachXdp(round % 2 === 0 ? drop : pass);
      for (const q of [0, 1]) sent += feed(dp, eth0, Array.from({ length: 40 }, (_, i) => flowFrame(i)), q);
      eth0.readHost();
    }
    eth0.detachXdp();
    drain(dp, eth0);
    const st = eth0.stats();
    expect(st.rxPackets).toBe(sent);
    expect(st.verdicts.XDP_DROP + st.verdicts.XDP_PASS).toBe(sent);
    expect(st.verdicts.XDP_ABORTED + st.verdicts.XDP_INVALID).toBe(0);
    expect(dp.workers!.faults).toEqual([]);
  });
});
