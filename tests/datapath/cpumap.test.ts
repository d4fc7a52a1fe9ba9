// XDP_REDIRECT into a cpumap (kernel/bpf/cpumap.c). The kernel queues the frame for the entry's CPU,
// whose kthread runs the entry's program (cpu_map_bpf_prog_run_xdp: the frame's ingress device,
// rx_queue_index 0) and builds an skb for the stack on XDP_PASS. wxdp has one worker: the frame is
// handled at once on the redirecting CPU, the entry's program then the host path (the stack when the
// device is a stack link, else the host ring), XDP_REDIRECT where that program points it, anything
// else dropped and counted. A missing entry is a counted drop (the kernel: the redirect fails).

import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { codec, createMap, MapType } from '../../src/maps/index.js';
import { frame, hex } from './support.js';

const u32 = (v: number) => codec.u32.encode(v);
const val = (qsize: number, prog = 0) => Uint8Array.from([...u32(qsize), ...u32(prog)]);

describe.each(['table', 'burst'] as const)('cpumap (%s dispatch)', (dispatch) => {
  it('runs the entry\'s program, then XDP_PASS goes to the host path; no entry: a counted drop', async () => {
    const dp = await Datapath.create({ dispatch, ncpus: 2 });
    const eth0 = dp.addDevice({ name: 'eth0', queues: 2 });
    const cpus = createMap(dp.fastPath, { name: 'cpus', type: MapType.CPUMAP, keySize: 4, valueSize: 8, maxEntries: 4 });
    // The entry's program stamps ingress_ifindex and rx_queue_index into bytes 0 and 1 and passes.
    const stamp = await dp.loadInsns(assemble(
      'r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 14\nif r4 > r3 goto +6\n' +
      'r5 = *(u32 *)(r1 + 12)\n*(u8 *)(r2 + 0) = r5\nr5 = *(u32 *)(r1 + 16)\n*(u8 *)(r2 + 1) = r5\nr0 = 2\nexit\nr0 = 1\nexit'), { attachType: 'xdp_cpumap' });
    cpus.update(u32(1), val(192, stamp.fd));
    // The device's program: redirect to the CPU named by the frame's byte 14, fallback XDP_ABORTED.
    eth0.attachXdp(await dp.loadInsns(assemble(
      `r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 15\nif r4 > r3 goto +5\nr2 = *(u8 *)(r2 + 14)\nr1 = ${cpus.address} ll\nr3 = 0\ncall 51\nexit\nr0 = 1\nexit`),
      { verify: false }));
    eth0.inject(frame(80, 1), { queue: 1 });
    eth0.inject(frame(80, 0), { queue: 1 });
    eth0.poll();
    const host = eth0.readHost();
    const want = frame(80, 1);
    want[0] = eth0.ifindex;
    want[1] = 0;
    expect(host.map((o) => hex(o.data))).toEqual([hex(want)]);
    expect(eth0.stats().verdicts.XDP_REDIRECT).toBe(1);
    expect(eth0.stats().verdicts.XDP_ABORTED).toBe(1);
  });

  it('an entry without a program passes the frame unchanged; its program\'s XDP_DROP is a counted drop', async () => {
    const dp = await Datapath.create({ dispatch, ncpus: 2 });
    const eth0 = dp.addDevice({ name: 'eth0' });
    const cpus = createMap(dp.fastPath, { name: 'cpus', type: MapType.CPUMAP, keySize: 4, valueSize: 8, maxEntries: 2 });
    cpus.update(u32(0), val(64));
    cpus.update(u32(1), val(64, (await dp.loadInsns(assemble('r0 = 1\nexit'), { attachType: 'xdp_cpumap' })).fd));
    eth0.attachXdp(await dp.loadInsns(assemble(
      `r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 15\nif r4 > r3 goto +5\nr2 = *(u8 *)(r2 + 14)\nr1 = ${cpus.address} ll\nr3 = 0\ncall 51\nexit\nr0 = 1\nexit`),
      { verify: false }));
    eth0.inject(frame(64, 0));
    eth0.inject(frame(64, 1));
    eth0.poll();
    expect(eth0.readHost().map((o) => hex(o.data))).toEqual([hex(frame(64, 0))]);
    expect(eth0.stats().drops.XDP_DROP).toBe(1);
    expect(eth0.stats().verdicts.XDP_REDIRECT).toBe(2);
  });
});

describe('cpumap entries (cpu_map_update_elem)', () => {
  it('qsize 0 empties an entry, qsize past 16384 is EOVERFLOW, a CPU that is not possible ENODEV', async () => {
    const dp = await Datapath.create({ ncpus: 2 });
    const cpus = createMap(dp.fastPath, { name: 'cpus', type: MapType.CPUMAP, keySize: 4, valueSize: 4, maxEntries: 8 });
    cpus.update(u32(1), u32(2048));
    expect(codec.u32.decode(cpus.lookup(u32(1))!)).toBe(2048);
    cpus.update(u32(1), u32(0));
    expect(cpus.lookup(u32(1))).toBeUndefined();
    expect(() => cpus.update(u32(0), u32(16385))).toThrow(expect.objectContaining({ errno: 75 }));
    expect(() => cpus.update(u32(2), u32(64))).toThrow(expect.objectContaining({ errno: 19 }));
    expect(() => cpus.update(u32(8), u32(64))).toThrow(expect.objectContaining({ errno: 7 }));
    expect(() => cpus.update(u32(0), u32(64), 1 /* BPF_NOEXIST */)).toThrow(expect.objectContaining({ errno: 17 }));
    expect(() => cpus.delete(u32(8))).toThrow(expect.objectContaining({ errno: 22 }));
  });
});
