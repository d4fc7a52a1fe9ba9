// Classic tracepoint programs (SEC("tracepoint/xdp/NAME")) read each XDP event as a record laid out as
// tracefs describes it on Linux 6.18 (/sys/kernel/tracing/events/xdp/NAME/format; the field offsets
// below are that file's, and are checked against it when tracefs is there), filled as the kernel's
// TP_fast_assign fills it (include/trace/events/xdp.h). programs/xdp_tp_records copies every record
// into a map; the events come from programs/xdp_tp_bench (redirects to a device, a devmap, a cpumap),
// xdp_tp_classic (XDP_ABORTED) and xdp_tp_bulk (XDP_TX), and from adding and removing a device (its
// queue's frame pool). The expected values are worked out by hand from the frames sent.
// tracepoints_kernel.test.ts compares the counts and the attach refusals with the kernel's.

import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { TP_RECORD_SIZES } from '../../src/elf/index.js';
import { codec } from '../../src/maps/index.js';
import { frame, root } from './support.js';

const u32 = (v: number) => codec.u32.encode(v);
const cpumapVal = (qsize: number, prog: number) => Uint8Array.from([...u32(qsize), ...u32(prog)]);
/** xdp_tp_records' keys: the tracepoint's index in XDP_TRACEPOINTS. */
const K = { exception: 0, bulk_tx: 1, redirect: 2, redirect_err: 3, cpumap_kthread: 6, cpumap_enqueue: 7, devmap_xmit: 8, mem_disconnect: 9, mem_connect: 10 } as const;
const XDP_TX = 3, XDP_REDIRECT = 4, INT_MAX = 0x7fffffff, MEM_TYPE_PAGE_POOL = 2;

/** Each record's fields after the common header: [name, offset] as tracefs' format lists them (4 bytes each unless named *64). */
const FORMATS: Record<string, [string, number][]> = {
  xdp_exception: [['prog_id', 8], ['act', 12], ['ifindex', 16]],
  xdp_bulk_tx: [['ifindex', 8], ['act', 12], ['drops', 16], ['sent', 20], ['err', 24]],
  xdp_redirect: [['prog_id', 8], ['act', 12], ['ifindex', 16], ['err', 20], ['to_ifindex', 24], ['map_id', 28], ['map_index', 32]],
  xdp_cpumap_kthread: [['map_id', 8], ['act', 12], ['cpu', 16], ['drops', 20], ['processed', 24], ['sched', 28], ['xdp_pass', 32], ['xdp_drop', 36], ['xdp_redirect', 40]],
  xdp_cpumap_enqueue: [['map_id', 8], ['act', 12], ['cpu', 16], ['drops', 20], ['processed', 24], ['to_cpu', 28]],
  xdp_devmap_xmit: [['from_ifindex', 8], ['act', 12], ['to_ifindex', 16], ['drops', 20], ['sent', 24], ['err', 28]],
  mem_disconnect: [['xa', 8], ['mem_id', 16], ['mem_type', 20], ['allocator', 24]],
  mem_connect: [['xa', 8], ['mem_id', 16], ['mem_type', 20], ['allocator', 24], ['rxq', 32], ['ifindex', 40]],
};
const POINTERS = new Set(['xa', 'allocator', 'rxq']);

async function setup(opts: { workers?: number } = {}) {
  const dp = await Datapath.create(opts.workers ? { workers: opts.workers } : { ncpus: 2 });
  const recs = await dp.loadObject(`${root}programs/xdp_tp_records.o`);
  for (const p of recs.programs.values()) p.attachTracepoint();
  /** The record of `event` last raised, field by field, and how many were raised. */
  const rec = (event: keyof typeof K) => {
    const name = event.startsWith('mem_') ? event : `xdp_${event}`;
    const v = new DataView(recs.map('recs').lookup(u32(K[event]))!.buffer);
    const fields: Record<string, number | bigint> = {};
    for (const [f, off] of FORMATS[name === 'xdp_redirect_err' ? 'xdp_redirect' : name]!) {
      // the values here fit an int whether the field is signed or not
      fields[f] = POINTERS.has(f) ? v.getBigUint64(off - 8, true) : v.getInt32(off - 8, true);
    }
    const seen = Number(codec.u64.decode(recs.map('seen').lookup(u32(K[event]))!));
    return { seen, ...fields };
  };
  return { dp, recs, rec };
}

describe('classic tracepoint records (tracepoint/xdp/NAME)', () => {
  it('the field offsets and record sizes are tracefs\' own (read from it when mounted)', () => {
    const dir = '/sys/kernel/tracing/events/xdp';
    for (const [name, fields] of Object.entries(FORMATS)) {
      const last = fields.at(-1)!;
      expect(TP_RECORD_SIZES[name], name).toBe(last[1] + (POINTERS.has(last[0]) ? 8 : 4));
      const file = `${dir}/${name}/format`;
      if (!existsSync(file)) continue; // no tracefs here (not root, or not mounted): the table above stands
      const text = readFileSync(file, 'utf8');
      for (const [f, off] of fields) expect(text, `${name}.${f}`).toMatch(new RegExp(`[ *]${f};\\s*offset:${off};\\s*size:${POINTERS.has(f) ? 8 : 4};`));
      const ends = [...text.matchAll(/offset:(\d+);\s*size:(\d+);/g)].map((m) => Number(m[1]) + Number(m[2]));
      expect(Math.max(...ends), name).toBe(TP_RECORD_SIZES[name]);
    }
  });

  it('xdp_exception, xdp_redirect (bpf_redirect, devmap), xdp_redirect_err, xdp_devmap_xmit, the cpumap pair, xdp_bulk_tx', async () => {
    const { dp, rec } = await setup();
    const eth0 = dp.addDevice({ name: 'eth0' });
    const eth1 = dp.addDevice({ name: 'eth1' });
    const eth2 = dp.addDevice({ name: 'eth2' });
    const eth3 = dp.addDevice({ name: 'eth3' });
    const bench = await dp.loadObject(`${root}programs/xdp_tp_bench.o`);
    const classic = await dp.loadObject(`${root}programs/xdp_tp_classic.o`);
    const bulk = await dp.loadObject(`${root}programs/xdp_tp_bulk.o`);
    bench.map('tx_port').update(u32(0), u32(eth1.ifindex));
    bench.map('cpus').update(u32(0), cpumapVal(64, bench.program('cpu_pass').fd));
    eth0.attachXdp(bench.program('xdp_bench'));
    eth2.attachXdp(classic.program('xdp_act'));
    eth3.attachXdp(bulk.program('xdp_act'));
    const xdpBench = bench.program('xdp_bench').fd;
    const step = (mode: number, arg: number) => {
      bench.map('cfg').update(u32(0), u32(mode));
      bench.map('cfg').update(u32(1), u32(arg));
      eth0.inject(frame(60));
      eth0.poll();
    };

    // XDP_ABORTED on eth2 (cfg all 0)
    eth2.inject(frame(60));
    eth2.poll();
    expect(rec('exception')).toEqual({ seen: 1, prog_id: classic.program('xdp_act').fd, act: 0, ifindex: eth2.ifindex });

    // bpf_redirect(eth1): to_ifindex is the ifindex, map_id INT_MAX, map_index 0; one frame sent to eth1
    step(0, eth1.ifindex);
    expect(rec('redirect')).toEqual({ seen: 1, prog_id: xdpBench, act: XDP_REDIRECT, ifindex: eth0.ifindex, err: 0, to_ifindex: eth1.ifindex, map_id: INT_MAX, map_index: 0 });
    expect(rec('devmap_xmit')).toEqual({ seen: 1, from_ifindex: eth0.ifindex, act: XDP_REDIRECT, to_ifindex: eth1.ifindex, drops: 0, sent: 1, err: 0 });

    // bpf_redirect_map(&tx_port, 0): the entry's device, the map's id, the slot
    step(1, 0);
    expect(rec('redirect')).toEqual({ seen: 2, prog_id: xdpBench, act: XDP_REDIRECT, ifindex: eth0.ifindex, err: 0, to_ifindex: eth1.ifindex, map_id: bench.map('tx_port').id, map_index: 0 });

    // bpf_redirect(42): no such device, -EINVAL
    step(0, 42);
    expect(rec('redirect_err')).toEqual({ seen: 1, prog_id: xdpBench, act: XDP_REDIRECT, ifindex: eth0.ifindex, err: -22, to_ifindex: 42, map_id: INT_MAX, map_index: 0 });

    // bpf_redirect_map(&cpus, 0): a cpumap has no target device (to_ifindex 0, map_index the slot);
    // one thread runs the entry's batch here: enqueue then kthread, on CPU 0, its program passed it
    step(2, 0);
    expect(rec('redirect')).toEqual({ seen: 3, prog_id: xdpBench, act: XDP_REDIRECT, ifindex: eth0.ifindex, err: 0, to_ifindex: 0, map_id: bench.map('cpus').id, map_index: 0 });
    expect(rec('cpumap_enqueue')).toEqual({ seen: 1, map_id: bench.map('cpus').id, act: XDP_REDIRECT, cpu: 0, drops: 0, processed: 1, to_cpu: 0 });
    expect(rec('cpumap_kthread')).toEqual({ seen: 1, map_id: bench.map('cpus').id, act: XDP_REDIRECT, cpu: 0, drops: 0, processed: 1, sched: 0, xdp_pass: 1, xdp_drop: 0, xdp_redirect: 0 });

    // XDP_TX on eth3: one bulk of one frame
    eth3.inject(frame(60));
    eth3.poll();
    expect(rec('bulk_tx')).toEqual({ seen: 1, ifindex: eth3.ifindex, act: XDP_TX, drops: 0, sent: 1, err: 0 });
  });

  it('mem_connect / mem_disconnect: the queue\'s pool (id ifindex << 8 | queue + 1, MEM_TYPE_PAGE_POOL), its device', async () => {
    const { dp, rec } = await setup();
    const d = dp.addDevice({ name: 'eth5', queues: 2 });
    const c = rec('mem_connect');
    expect(c).toMatchObject({ seen: 2, mem_id: (d.ifindex << 8) | 2, mem_type: MEM_TYPE_PAGE_POOL, ifindex: d.ifindex });
    expect([c.xa, c.allocator, c.rxq].every((p) => p !== 0n)).toBe(true);
    dp.removeDevice(d);
    const g = rec('mem_disconnect');
    expect(g).toMatchObject({ seen: 2, mem_type: MEM_TYPE_PAGE_POOL });
    expect([(d.ifindex << 8) | 1, (d.ifindex << 8) | 2]).toContain(g.mem_id);
  });

  it('with workers: each thread fills its own record (the cpumap enqueue on worker 0, the batch on worker 1)', async () => {
    const { dp, rec } = await setup({ workers: 2 });
    try {
      const eth0 = dp.addDevice({ name: 'eth0', queues: 2, ringSize: 256, rss: false });
      const bench = await dp.loadObject(`${root}programs/xdp_tp_bench.o`);
      bench.map('cpus').update(u32(1), cpumapVal(256, bench.program('cpu_drop').fd));
      bench.map('cfg').update(u32(0), u32(2));
      bench.map('cfg').update(u32(1), u32(1));
      eth0.attachXdp(bench.program('xdp_bench'));
      // held while the frames are injected (each is published on its own): worker 0 polls all 8 in one burst
      dp.workers!.hold();
      expect(eth0.injectBatch(Array.from({ length: 8 }, (_, i) => frame(60, i)), { queue: 0 })).toBe(8);
      dp.workers!.release();
      dp.workers!.settle(3);
      expect(rec('cpumap_enqueue')).toEqual({ seen: 1, map_id: bench.map('cpus').id, act: XDP_REDIRECT, cpu: 0, drops: 0, processed: 8, to_cpu: 1 });
      expect(rec('cpumap_kthread')).toMatchObject({ map_id: bench.map('cpus').id, act: XDP_REDIRECT, cpu: 1, drops: 0, sched: 0, xdp_pass: 0, xdp_redirect: 0 });
      const k = rec('cpumap_kthread');
      expect(k.processed).toBe(k.xdp_drop);
    } finally {
      await dp.close();
    }
  });
});

describe('attaching classic and raw tracepoint programs', () => {
  it('refusals: a read past the record (EACCES), past the arguments (EINVAL), an event tracefs lacks (ENOENT)', async () => {
    const dp = await Datapath.create();
    const o = await dp.loadObject(`${root}programs/xdp_tp_classic.o`);
    const errno = (name: string) => {
      try {
        o.program(name).attachTracepoint();
        return 'attached';
      } catch (e) {
        return (e as { errno?: string }).errno;
      }
    };
    expect(['tp_past_record', 'raw_past_args', 'tp_gone', 'tp_exception'].map(errno)).toEqual(['EACCES', 'EINVAL', 'ENOENT', 'attached']);
  });

  it('test runs answer as the kernel does: tracepoint ENOTSUPP, raw_tp EINVAL (data_in), tp_btf EFAULT', async () => {
    const dp = await Datapath.create();
    const c = await dp.loadObject(`${root}programs/xdp_tp_classic.o`);
    const b = await dp.loadObject(`${root}programs/xdp_tp_counters.o`);
    const code = (p: { testRun(o: { data: Uint8Array }): unknown }) => {
      try {
        p.testRun({ data: frame(60) });
        return 'ran';
      } catch (e) {
        return (e as { errno?: string }).errno;
      }
    };
    expect([code(c.program('tp_exception')), code(c.program('raw_exception')), code(b.program('tp_exception')), code(c.program('xdp_act'))]).toEqual(['ENOTSUPP', 'EINVAL', 'EFAULT', 'ran']);
  });

  it('tracepoints of other categories, raw tracepoints wxdp does not raise: skipped at load with the reason', async () => {
    const { unsupportedProgram } = await import('../../src/elf/index.js');
    expect(unsupportedProgram({ type: 'tracepoint', section: 'tracepoint/sched/sched_switch' })).toBe('program type tracepoint (tracepoint/sched/sched_switch) is not supported by wxdp: it raises the xdp tracepoints only');
    expect(unsupportedProgram({ type: 'raw_tracepoint', section: 'raw_tp/sched_switch' })).toBe('program type raw_tracepoint (raw_tp/sched_switch) is not supported by wxdp: it raises the xdp tracepoints only');
    expect(unsupportedProgram({ type: 'tracepoint', section: 'tp/xdp/xdp_redirect_map' })).toBeUndefined();
    expect(unsupportedProgram({ type: 'raw_tracepoint', section: 'raw_tracepoint/xdp_exception' })).toBeUndefined();
  });
});
