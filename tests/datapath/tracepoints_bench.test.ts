// programs/xdp_tp_bench: xdp-bench / xdp-monitor's counters on the bulk tracepoints. xdp_devmap_xmit
// reports each bulk of frames redirected to a device (bpf_redirect, a devmap entry, BPF_F_BROADCAST):
// sent, drops, from/to device; xdp_cpumap_enqueue each bulk for a cpumap entry, xdp_cpumap_kthread
// each batch its CPU ran, with the entry program's pass / drop / redirect counts. Bulks close at
// DEV_MAP_BULK_SIZE (16) / CPU_MAP_BULK_SIZE (8) frames and when the NAPI poll ends (xdp_do_flush).
// mem_connect / mem_disconnect: a device queue's frame pool registered / unregistered.
//
// Against the kernel (6.18): veths in a namespace, the object loaded and attached with libbpf
// (tests/support/tp_bench_loader.c), one frame at a time, each its own NAPI poll there as here. Every
// total must agree; the kernel's kthread batches depend on when its kthread wakes, so only their bounds
// are compared. veth raises no mem_connect (its queues register no page pool): that part is by hand.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { codec } from '../../src/maps/index.js';
import { useNamespaces } from '../support/netns.js';
import { withKernelTracepoints } from '../support/tp_lock.js';
import { frame, root } from './support.js';

const OBJ = `${root}programs/xdp_tp_bench.o`;
const u32 = (v: number) => codec.u32.encode(v);
const cpumapVal = (qsize: number, prog: number) => Uint8Array.from([...u32(qsize), ...u32(prog)]);

// counts[] keys (the enum of xdp_tp_bench.c)
const DX_SENT = 0, DX_DROPS = 1, DX_BULKS = 2, DX_LAST_FROM = 4, DX_LAST_TO = 5;
const CE_PROCESSED = 6, CE_BULKS = 8, CE_LAST_CPU = 9, CE_MAP_OK = 10;
const CK_PROCESSED = 11, CK_PASS = 13, CK_DROP = 14, CK_REDIRECT = 15, CK_BATCHES = 17;
const RD_OK = 18, RD_ERR = 19, MC_CONNECT = 20, MC_DISCONNECT = 21, MC_LAST_TYPE = 22, MC_ID_SET = 23, MC_LAST_QUEUE = 24;

/** mode arg n: 0 bpf_redirect(arg: 0 the TX device), 1 devmap slot 0, 2 cpumap slot arg, 3 broadcast. */
const STEPS: [mode: number, arg: number, n: number][] = [
  [0, 0, 5],
  [1, 0, 20],
  [3, 0, 3],
  [0, 42, 2],
  [2, 0, 10],
  [2, 1, 7],
];

async function setup() {
  const dp = await Datapath.create({ ncpus: 2 });
  const eth0 = dp.addDevice({ name: 'eth0' });
  const eth1 = dp.addDevice({ name: 'eth1' });
  const obj = await dp.loadObject(OBJ);
  for (const [name, p] of obj.programs) if (p.spec.type === 'tracing') obj.program(name).attachTracepoint();
  obj.map('tx_port').update(u32(0), u32(eth1.ifindex));
  obj.map('cpus').update(u32(0), cpumapVal(64, obj.program('cpu_pass').fd));
  obj.map('cpus').update(u32(1), cpumapVal(64, obj.program('cpu_drop').fd));
  eth0.attachXdp(obj.program('xdp_bench'));
  const counts = (): Record<number, number> => {
    const c: Record<number, number> = {};
    for (let k = 0; k < 32; k++) {
      const v = Number(codec.u64.decode(obj.map('counts').lookup(u32(k))!));
      if (v) c[k] = v;
    }
    return c;
  };
  const step = (mode: number, arg: number, n: number, perPoll: number): void => {
    obj.map('cfg').update(u32(0), u32(mode));
    obj.map('cfg').update(u32(1), u32(arg === 0 && mode !== 2 ? eth1.ifindex : arg));
    for (let i = 0; i < n; i += perPoll) {
      for (let j = i; j < Math.min(n, i + perPoll); j++) eth0.inject(frame(60));
      eth0.poll();
    }
  };
  return { dp, eth0, eth1, obj, counts, step };
}

describe('bulk tracepoints in wxdp', () => {
  it('one frame per poll: a bulk and a batch per frame; totals by kind', async () => {
    const { eth0, eth1, counts, step } = await setup();
    const seen = STEPS.map(([m, a, n]) => (step(m, a, n, 1), counts()));
    const dev = { [DX_LAST_FROM]: eth0.ifindex, [DX_LAST_TO]: eth1.ifindex };
    expect(seen[0]).toEqual({ [DX_SENT]: 5, [DX_BULKS]: 5, ...dev, [RD_OK]: 5 });
    expect(seen[1]).toEqual({ [DX_SENT]: 25, [DX_BULKS]: 25, ...dev, [RD_OK]: 25 });
    expect(seen[2]).toEqual({ [DX_SENT]: 28, [DX_BULKS]: 28, ...dev, [RD_OK]: 28 });
    // ifindex 42: xdp_redirect_err, nothing queued
    expect(seen[3]).toEqual({ ...seen[2], [RD_ERR]: 2 });
    const cpu0 = { [CE_PROCESSED]: 10, [CE_BULKS]: 10, [CE_MAP_OK]: 1, [CK_PROCESSED]: 10, [CK_PASS]: 10, [CK_BATCHES]: 10 };
    expect(seen[4]).toEqual({ ...seen[3], ...cpu0, [RD_OK]: 38 });
    expect(seen[5]).toEqual({ ...seen[3], ...cpu0, [CE_PROCESSED]: 17, [CE_BULKS]: 17, [CE_LAST_CPU]: 1, [CK_PROCESSED]: 17, [CK_DROP]: 7, [CK_BATCHES]: 17, [RD_OK]: 45 });
  });

  it('frames in one poll: bulks of 16 to a device, 8 to a CPU, the rest at the end of the poll', async () => {
    const { counts, step } = await setup();
    step(1, 0, 20, 20);
    expect(counts()).toMatchObject({ [DX_SENT]: 20, [DX_BULKS]: 2, [RD_OK]: 20 });
    step(2, 0, 10, 10);
    expect(counts()).toMatchObject({ [CE_PROCESSED]: 10, [CE_BULKS]: 2, [CK_PROCESSED]: 10, [CK_PASS]: 10, [CK_BATCHES]: 2 });
    expect(counts()[CK_REDIRECT]).toBeUndefined();
    // a devmap entry's frames dropped on the way out are the bulk's drops (bq_xmit_all: cnt - sent)
    expect(counts()[DX_DROPS]).toBeUndefined();
  });

  it('mem_connect / mem_disconnect: each queue of a device added or removed, MEM_TYPE_PAGE_POOL', async () => {
    const { dp, counts } = await setup();
    const d = dp.addDevice({ name: 'eth2', queues: 2 });
    expect(counts()).toMatchObject({ [MC_CONNECT]: 2, [MC_LAST_TYPE]: 2, [MC_ID_SET]: 1, [MC_LAST_QUEUE]: 1 });
    dp.removeDevice(d);
    expect(counts()).toMatchObject({ [MC_CONNECT]: 2, [MC_DISCONNECT]: 2 });
  });

  it('xdp_redirect_map / _map_err: attachable, never raised (a map redirect reports on xdp_redirect)', async () => {
    const { dp, step } = await setup();
    const rm = await dp.loadObject(`${root}programs/xdp_tp_redirect_map.o`);
    rm.program('tp_redirect_map').attachTracepoint();
    rm.program('tp_redirect_map_err').attachTracepoint();
    step(1, 0, 3, 1);
    step(2, 3, 2, 1); // cpumap slot 3: no entry, xdp_redirect_err
    for (const k of [0, 1]) expect(Number(codec.u64.decode(rm.map('counts').lookup(u32(k))!))).toBe(0);
  });
});

describe('bulk tracepoints with workers', () => {
  it('worker 0 reports the enqueue bulks, worker 1 (the entry\'s CPU) the kthread batches it ran', async () => {
    const dp = await Datapath.create({ workers: 2 });
    try {
      const eth0 = dp.addDevice({ name: 'eth0', queues: 2, ringSize: 256, rss: false });
      const obj = await dp.loadObject(OBJ);
      for (const [name, p] of obj.programs) if (p.spec.type === 'tracing') obj.program(name).attachTracepoint();
      obj.map('cpus').update(u32(1), cpumapVal(256, obj.program('cpu_drop').fd));
      obj.map('cfg').update(u32(0), u32(2));
      obj.map('cfg').update(u32(1), u32(1));
      eth0.attachXdp(obj.program('xdp_bench'));
      expect(eth0.injectBatch(Array.from({ length: 20 }, (_, i) => frame(60, i)), { queue: 0 })).toBe(20);
      dp.workers!.settle(3);
      const c = (k: number) => Number(codec.u64.decode(obj.map('counts').lookup(u32(k))!));
      // one poll of 20 frames: bulks 8 + 8 + 4; the CPU drains them in batches of at most 8
      expect([c(CE_PROCESSED), c(CE_BULKS), c(CE_LAST_CPU), c(RD_OK)]).toEqual([20, 3, 1, 20]);
      expect([c(CK_PROCESSED), c(CK_DROP), c(CK_PASS)]).toEqual([20, 20, 0]);
      expect(c(CK_BATCHES)).toBeGreaterThanOrEqual(3);
    } finally {
      await dp.close();
    }
  });
});

const nsa = useNamespaces('dyn14');
const dir = mkdtempSync(join(tmpdir(), 'wx-dyn14-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const loader = join(dir, 'tp_bench_loader');
const built = nsa.available.ok ? spawnSync('gcc', ['-O1', '-o', loader, `${root}tests/support/tp_bench_loader.c`, '-lbpf'], { encoding: 'utf8' }) : undefined;
const buildReason = !built ? '' : built.error ? `gcc: ${built.error.message}` : built.status !== 0 ? `gcc -lbpf failed: ${built.stderr.split('\n')[0]}` : '';
if (buildReason) it.skip(`kernel side unavailable: ${buildReason}`, () => {});

describe.skipIf(!nsa.available.ok || buildReason !== '')('xdp_tp_bench: the kernel and wxdp count the same', () => {
  it('devmap xmit, cpumap enqueue and kthread totals, redirect counts, last devices', async () => {
    const ns = nsa.set.create();
    ns.sysctl({ 'net.ipv6.conf.all.disable_ipv6': 1, 'net.ipv6.conf.default.disable_ipv6': 1 });
    ns.ip('link', 'add', 'tpa', 'type', 'veth', 'peer', 'name', 'tpb');
    ns.ip('link', 'add', 'tpc', 'type', 'veth', 'peer', 'name', 'tpd');
    for (const d of ['tpa', 'tpb', 'tpc', 'tpd']) ns.ip('link', 'set', d, 'up');
    const out = withKernelTracepoints(() => ns.exec([loader, OBJ, `${root}programs/xdp_pass_drop.o`, 'tpb', 'tpa', 'tpc', 'tpd'], {
      input: STEPS.map((s) => s.join(' ')).join('\n') + '\n',
      timeoutMs: 30_000,
    }));
    const lines = out.trim().split('\n');
    const [kx, kt] = /^ifindex (\d+) (\d+)/.exec(lines[0]!)!.slice(1).map(Number);
    const parse = (l: string) => Object.fromEntries(l.split(' ').slice(1).map((kv) => kv.split('=').map(Number))) as Record<number, number>;
    const k = lines.slice(2).map(parse);

    const { eth0, eth1, counts, step } = await setup();
    const w = STEPS.map(([m, a, n]) => (step(m, a, n, 1), counts()));
    // devices by role; the kthread's batching by timing (between ceil(n / CPUMAP_BATCH) and n per step)
    const norm = (c: Record<number, number>, x: number, t: number) => {
      const o: Record<number, number | string> = { ...c };
      for (const key of [DX_LAST_FROM, DX_LAST_TO]) o[key] = c[key] === x ? 'xdp dev' : c[key] === t ? 'tx dev' : String(c[key]);
      delete o[CK_BATCHES];
      return o;
    };
    expect(k.length).toBe(STEPS.length);
    expect(w.map((c) => norm(c, eth0.ifindex, eth1.ifindex))).toEqual(k.map((c) => norm(c, kx!, kt!)));
    const batches = k.map((c) => c[CK_BATCHES] ?? 0);
    expect(batches[5]! - batches[3]!).toBeGreaterThanOrEqual(Math.ceil(10 / 8) + 1);
    expect(batches[5]! - batches[3]!).toBeLessThanOrEqual(17);
  });
});
