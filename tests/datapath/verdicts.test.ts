// Every verdict through a device's NAPI poll, with programs/ objects, against what Linux's
// BPF_PROG_TEST_RUN recorded for the same program and packet (programs/expected/*.json): the whole
// corpus is injected, polled, and each frame must come out where its recorded action sends it —
// XDP_PASS on the host ring, XDP_TX on the device's TX ring, both with the recorded data_out (which is
// [data_meta, data_end)), XDP_DROP and XDP_ABORTED nowhere — and the verdict counters must equal the
// recorded actions' counts.

import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { EngineMemory } from '../../src/runtime/memory.js';
import { corpus, hex, recorded, root, frame } from './support.js';

const CASES: Array<[object: string, program: string]> = [
  ['xdp_pass_drop.o', 'xdp_pass'],
  ['xdp_pass_drop.o', 'xdp_drop'],
  ['xdp_icmp_echo.o', 'xdp_icmp_echo'], // XDP_TX with the reply built in place
  ['xdp_trim.o', 'xdp_trim'], // bpf_xdp_adjust_tail on the real frame
  ['xdp_meta.o', 'xdp_meta'], // bpf_xdp_adjust_meta: metadata in front of the data
  ['xdp_parse.o', 'xdp_parse'], // PASS, DROP and ABORTED (vlan-triple)
  ['xdp_tailcall.o', 'xdp_dispatch'], // tail calls through the shared table from a device's program
];

describe.each(['table', 'burst'] as const)('verdicts through the poll loop agree with the kernel (%s dispatch)', (dispatch) => {
  it.each(CASES)('%s %s: every corpus frame lands where the recorded action sends it, with the recorded data', async (object, program) => {
    const dp = await Datapath.create({ dispatch });
    const eth0 = dp.addDevice({ name: 'eth0', ringSize: 128 });
    const obj = await dp.loadObject(`${root}programs/${object}`);
    eth0.attachXdp(obj.program(program));
    const rec = recorded(program);
    const byName = new Map(rec.map((r) => [r.packet, r]));
    const want = { XDP_ABORTED: 0, XDP_DROP: 0, XDP_PASS: 0, XDP_TX: 0, XDP_REDIRECT: 0, XDP_INVALID: 0 };
    for (const p of corpus) {
      const r = byName.get(p.name)!;
      expect(eth0.inject(p.data), p.name).toBe(true);
      expect(eth0.poll()).toBe(1);
      want[r.action as keyof typeof want]++;
      const host = eth0.readHost();
      const tx = eth0.readTx();
      const out = r.action === 'XDP_PASS' ? host : r.action === 'XDP_TX' ? tx : [];
      expect([host.length + tx.length, out.length], `${p.name}: ${r.action}`).toEqual([out.length, r.action === 'XDP_PASS' || r.action === 'XDP_TX' ? 1 : 0]);
      if (out[0]) expect(hex(out[0].meta) + hex(out[0].data), p.name).toBe(r.dataOut);
    }
    const s = eth0.stats();
    expect(s.verdicts).toEqual(want);
    expect(s.rxPackets).toBe(corpus.length);
    expect(s.rxBytes).toBe(corpus.reduce((n, p) => n + p.data.length, 0));
    expect(s.txPackets).toBe(want.XDP_TX);
    expect(s.drops.XDP_DROP).toBe(want.XDP_DROP);
    expect(s.drops.XDP_ABORTED).toBe(want.XDP_ABORTED);
    // Every frame is back: the fill ring is full again and nothing leaked from the pool.
    eth0.poll();
    expect(eth0.rings().fill.available()).toBe(128);
    expect(dp.freeFrames()).toBe(1024 - 128);
  });
});

describe.each(['table', 'burst'] as const)('verdicts (%s dispatch)', (dispatch) => {
  it('XDP_ABORTED and an action that is no XDP action are counted, traced and dropped', async () => {
    const dp = await Datapath.create({ dispatch });
    const eth0 = dp.addDevice({ name: 'eth0' });
    const aborted = await dp.loadInsns(assemble('r0 = 0\nexit'));
    const invalid = await dp.loadInsns(assemble('r0 = 7\nexit'));
    eth0.attachXdp(aborted);
    eth0.injectBatch([frame(60), frame(60)]);
    expect(eth0.poll()).toBe(2);
    eth0.attachXdp(invalid);
    eth0.inject(frame(60));
    eth0.poll();
    const s = eth0.stats();
    expect(s.verdicts.XDP_ABORTED).toBe(2);
    expect(s.verdicts.XDP_INVALID).toBe(1);
    expect(s.drops.XDP_ABORTED).toBe(3);
    expect(eth0.readHost().length + eth0.readTx().length).toBe(0);
    expect(dp.traceEvents()).toEqual([
      { ifindex: eth0.ifindex, queue: 0, action: 0, programSlot: aborted.fd },
      { ifindex: eth0.ifindex, queue: 0, action: 0, programSlot: aborted.fd },
      { ifindex: eth0.ifindex, queue: 0, action: 7, programSlot: invalid.fd },
    ]);
  });

  it('without a program every frame goes to the host untouched; adjust_head moves the descriptor', async () => {
    const dp = await Datapath.create({ dispatch });
    const eth0 = dp.addDevice({ name: 'eth0' });
    const f = frame(64, 9);
    eth0.inject(f);
    eth0.poll();
    expect(eth0.readHost().map((o) => hex(o.data))).toEqual([hex(f)]);
    // Strip 4 bytes at the front (bpf_xdp_adjust_head(ctx, 4)), then XDP_TX.
    eth0.attachXdp(await dp.loadInsns(assemble('r6 = r1\nr2 = 4\ncall 44\nr0 = 3\nexit')));
    eth0.inject(f);
    eth0.poll();
    expect(eth0.readTx().map((o) => hex(o.data))).toEqual([hex(f.subarray(4))]);
    // Grow 8 bytes into the headroom (-8): the new bytes are whatever the headroom held; the tail is the frame.
    eth0.attachXdp(await dp.loadInsns(assemble('r2 = -8\ncall 44\nr0 = 2\nexit')));
    eth0.inject(f);
    eth0.poll();
    const [h] = eth0.readHost();
    expect(h!.data.length).toBe(72);
    expect(hex(h!.data.subarray(8))).toBe(hex(f));
  });
});

// A dropped frame goes back on its queue's fill ring, as a driver recycles its page into its own page
// pool; when the fill ring has no room (here: topped up by hand after the frame was received, as an
// AF_XDP user fills it), the frame goes to the UMEM pool instead (device.ts recycle → frameFree). Both
// builds: the shared one gathers a poll's fill-ring entries and checks the room it had when last asked.
describe.each(['plain', 'shared'] as const)('XDP_DROP with a full fill ring (%s memory)', (kind) => {
  it('the frame goes back to the pool and the fill ring stays full', async () => {
    const dp = await Datapath.create(kind === 'shared' ? { memory: new EngineMemory({ shared: true }) } : {});
    const eth0 = dp.addDevice({ name: 'eth0', ringSize: 128 });
    eth0.attachXdp(await dp.loadInsns(assemble('r0 = 1\nexit')));
    expect(eth0.inject(frame(60))).toBe(true);
    const fill = eth0.rings().fill;
    expect(fill.available()).toBe(127);
    const x = dp.fastPath.exports as unknown as { frame_alloc(): number };
    const i = fill.reserve(1);
    fill.setAddr(i, x.frame_alloc());
    fill.submit(1);
    const pool = dp.freeFrames();
    expect(eth0.poll()).toBe(1);
    expect(eth0.stats().drops.XDP_DROP).toBe(1);
    expect(fill.available()).toBe(128);
    expect(dp.freeFrames()).toBe(pool + 1);
  });
});

// One poll over many frames of mixed verdicts: napi_poll counts its XDP_DROP verdicts once at the end of
// the poll (napi.ts dropCount), the others per frame. Each counter must still equal the kernel's recorded
// actions of the frames that poll took — all of them, not one per poll — in both builds and dispatches.
describe.each([
  ['plain', 'table'],
  ['plain', 'burst'],
  ['shared', 'table'],
  ['shared', 'burst'],
] as const)('verdicts of one poll over the whole corpus (%s memory, %s dispatch)', (kind, dispatch) => {
  it('xdp_parse: every verdict counted once per frame', async () => {
    const dp = await Datapath.create({ dispatch, ...(kind === 'shared' ? { memory: new EngineMemory({ shared: true }) } : {}) });
    const eth0 = dp.addDevice({ name: 'eth0', ringSize: 128 });
    eth0.attachXdp((await dp.loadObject(`${root}programs/xdp_parse.o`)).program('xdp_parse'));
    const byName = new Map(recorded('xdp_parse').map((r) => [r.packet, r.action]));
    const want = { XDP_ABORTED: 0, XDP_DROP: 0, XDP_PASS: 0, XDP_TX: 0, XDP_REDIRECT: 0, XDP_INVALID: 0 };
    for (const p of corpus) {
      expect(eth0.inject(p.data), p.name).toBe(true);
      want[byName.get(p.name) as keyof typeof want]++;
    }
    expect(want.XDP_DROP).toBeGreaterThan(1);
    expect(eth0.poll({ budget: corpus.length })).toBe(corpus.length);
    const s = eth0.stats();
    expect(s.verdicts).toEqual(want);
    expect(s.drops.XDP_DROP).toBe(want.XDP_DROP);
    expect(s.drops.XDP_ABORTED).toBe(want.XDP_ABORTED);
    expect(eth0.readHost()).toHaveLength(want.XDP_PASS);
  });
});
