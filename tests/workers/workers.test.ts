// Datapath.create({ workers: N }): N worker threads poll the device queues over one shared memory,
// queue k by worker k mod N, each with its own copy of the fast path and of the attached program.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { WK } from '../../src/runtime/memory.js';
import { fastPathModule, nap } from '../../src/runtime/fastpath.js';
import { MIB_COUNT, NDROP_COUNT } from '../../src/runtime/net_abi.js';
import { refusal } from './support.js';
import { corpus, frame, tagOf } from '../datapath/support.js';

const PASS_DROP = new URL('../../programs/xdp_pass_drop.o', import.meta.url).pathname;

const open: Datapath[] = [];
afterEach(async () => {
  for (const dp of open.splice(0)) await dp.close();
});
async function withWorkers(n: number): Promise<Datapath> {
  const dp = await Datapath.create({ workers: n });
  open.push(dp);
  return dp;
}

describe('workers', () => {
  it('hold() stops every worker polling until release(): frames injected meanwhile wait on the RX rings', async () => {
    const dp = await withWorkers(2);
    const eth0 = dp.addDevice({ name: 'eth0', queues: 2, ringSize: 256 });
    const obj = await dp.loadObject(PASS_DROP);
    eth0.attachXdp(obj.program('xdp_drop'));
    dp.workers!.hold();
    for (const q of [0, 1]) expect(eth0.injectBatch(Array.from({ length: 40 }, (_, i) => frame(60, i)), { queue: q })).toBe(40);
    const before = dp.workers!.stats().map((s) => s.rounds);
    // every worker goes round (applying messages) without polling
    dp.workers!.sync();
    dp.workers!.sync();
    expect([eth0.rings(0).rx.available(), eth0.rings(1).rx.available()]).toEqual([40, 40]);
    expect(eth0.stats().verdicts.XDP_DROP ?? 0).toBe(0);
    expect(dp.workers!.stats().map((s) => s.rounds)).toEqual(before);
    // settle() does not wait for held workers (they poll nothing until release): no timeout (USAGE)
    expect(refusal(() => dp.workers!.settle(3))).toBe('accepted');
    expect([eth0.rings(0).rx.available(), eth0.rings(1).rx.available()]).toEqual([40, 40]);
    dp.workers!.release();
    dp.workers!.settle();
    expect([eth0.rings(0).rx.available(), eth0.rings(1).rx.available()]).toEqual([0, 0]);
    expect(eth0.stats().queues.map((q) => q.verdicts.XDP_DROP)).toEqual([40, 40]);
  });

  it("a worker's area: src/runtime/memory.ts WK agrees with assembly/worker.ts, the counter arrays fit", async () => {
    const dp = await withWorkers(1);
    const x = dp.fastPath.exports as unknown as Record<string, WebAssembly.Global>;
    const g = (n: string) => x[n]!.value as number;
    expect([g('WK_CTX'), g('WK_RUN'), g('WK_BURST'), g('WK_CONTROL'), g('WK_TP_ARGS'), g('WK_LINK_KEYS'), g('WK_HOST_BUF'), g('WK_MIB'), g('WK_DROPS'), g('WK_TXB'), g('WK_PEND_BUF'), g('WK_REDIR_BUF'), g('WK_FRAME_CACHE'), g('WK_SIZE')]).toEqual([
      WK.CTX, WK.RUN, WK.BURST, WK.CONTROL, WK.TP_ARGS, WK.LINK_KEYS, WK.HOST_BUF, WK.MIB, WK.DROPS, WK.TXB, WK.PEND_BUF, WK.REDIR_BUF, WK.FRAME_CACHE, WK.SIZE,
    ]);
    expect(WK.DROPS).toBe(WK.MIB + MIB_COUNT * 8);
    expect(WK.DROPS + NDROP_COUNT * 8).toBeLessThanOrEqual(WK.TXB);
    expect(WK.TXB + g('TXB_BYTES')).toBeLessThanOrEqual(WK.PEND_BUF);
    expect(WK.PEND_BUF + g('PEND_BUF_SIZE')).toBeLessThanOrEqual(WK.REDIR_BUF);
    expect(WK.REDIR_BUF + g('REDIR_BUF_SIZE')).toBeLessThanOrEqual(WK.FRAME_CACHE);
    expect(WK.FRAME_CACHE + g('FC_BYTES')).toBeLessThanOrEqual(WK.SIZE);
    expect(WK.TP_ARGS + g('TP_ARGS_SIZE')).toBeLessThanOrEqual(WK.LINK_KEYS);
    expect(WK.LINK_KEYS + g('LINK_KEYS_SIZE')).toBeLessThanOrEqual(WK.HOST_BUF);
    expect(WK.HOST_BUF + g('HOST_BUF_SIZE')).toBeLessThanOrEqual(WK.MIB);
  });

  it("link.ts's flow keys are per instance: a worker's hash input goes to its own area, never to another thread's buffer", async () => {
    const dp = await withWorkers(1);
    type LinkX = { arena_alloc(n: number, a: number): number; link_src_port(l: number, f: number, n: number): number; linkKeysSet(a: number): void; LINK_KEYS_SIZE: WebAssembly.Global };
    const main = dp.fastPath.exports as unknown as LinkX;
    // a second instance over the same memory, as a worker thread makes one
    const table = new WebAssembly.Table({ element: 'anyfunc', initial: 1 });
    const env = { memory: dp.memory.memory, table, abort: () => { throw new Error('abort'); }, nap };
    const other = new WebAssembly.Instance(await fastPathModule(true), { env }).exports as unknown as LinkX;
    const size = main.LINK_KEYS_SIZE.value as number;
    const area = main.arena_alloc(size, 8);
    other.linkKeysSet(area);
    // a link block: source ports 49152..65535, seed 7 (assembly/link.ts layout)
    const link = main.arena_alloc(64, 64);
    const v = dp.memory.view();
    v.setUint32(link + 12, 49152, true);
    v.setUint32(link + 16, 65535, true);
    v.setUint32(link + 20, 7, true);
    const put = (f: Uint8Array) => {
      const a = main.arena_alloc(f.length, 8);
      dp.memory.bytes().set(f, a);
      return a;
    };
    // IPv4 UDP 10.0.0.1:1000 → 10.0.0.2:2000 and 10.0.0.3 → 10.0.0.4
    const udp = (s: number, d: number) => {
      const f = new Uint8Array(42);
      f.set([0x08, 0x00], 12);
      f.set([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, s, 10, 0, 0, d], 14);
      f.set([0x03, 0xe8, 0x07, 0xd0, 0, 8, 0, 0], 34);
      return put(f);
    };
    const f1 = udp(1, 2);
    const f2 = udp(3, 4);
    const p1 = other.link_src_port(link, f1, 42);
    const keys = dp.memory.bytes().slice(area, area + 16);
    // the keys in the other instance's area: the addresses (the lower first), the ports, the protocols
    expect([...keys.subarray(0, 8)]).toEqual([10, 0, 0, 1, 10, 0, 0, 2]);
    // the main thread hashes another flow: the other instance's keys stay as they were
    const p2 = main.link_src_port(link, f2, 42);
    expect([...dp.memory.bytes().slice(area, area + 16)]).toEqual([...keys]);
    // and both instances give a flow the same port
    expect(main.link_src_port(link, f1, 42)).toBe(p1);
    expect(other.link_src_port(link, f2, 42)).toBe(p2);
    for (const p of [p1, p2]) expect(p >= 49152 && p < 65535).toBe(true);
  });

  it("XDP_PASS to the host ring from both workers: what fits is on the ring once, the rest counted HOST_RING_FULL on its queue, every frame back", async () => {
    // host ring 64 entries, 100 frames a queue passed at once: the ring takes 64 (each poll pushes what it
    // gathered under the ring's producer lock), 136 are dropped and counted on the queues they came in on
    for (const workers of [0, 2]) {
      const dp = workers ? await withWorkers(workers) : await Datapath.create();
      if (!workers) open.push(dp);
      const eth0 = dp.addDevice({ name: 'eth0', queues: 2, ringSize: 256, hostRingSize: 64, rss: false });
      const x = dp.fastPath.exports as unknown as { dp_pool_free(): number };
      const total = () => x.dp_pool_free() + eth0.rings(0).fill.available() + eth0.rings(1).fill.available();
      const before = total();
      eth0.attachXdp((await dp.loadObject(PASS_DROP)).program('xdp_pass'));
      dp.workers?.hold();
      for (const q of [0, 1]) expect(eth0.injectBatch(Array.from({ length: 100 }, (_, i) => frame(60, q * 100 + i)), { queue: q })).toBe(100);
      if (dp.workers) {
        dp.workers.release();
        while (eth0.rings(0).rx.available() + eth0.rings(1).rx.available() > 0) dp.workers.settle(1);
        dp.workers.settle(2);
      } else {
        while (dp.poll() !== 0) {}
      }
      const got = eth0.readHost();
      expect(got.length).toBe(64);
      // each frame at most once
      expect(new Set(got.map((f) => tagOf(f.data))).size).toBe(64);
      const st = eth0.stats();
      expect(st.verdicts.XDP_PASS).toBe(200);
      expect(st.drops.HOST_RING_FULL).toBe(136);
      expect(st.queues.map((q) => q.verdicts.XDP_PASS - q.drops.HOST_RING_FULL).reduce((a, b) => a + b)).toBe(64);
      if (dp.workers) dp.workers.settle(2);
      else dp.poll();
      expect(total()).toBe(before);
    }
  });

  it('two workers each poll their own queue: every frame is dropped once, by the queue it came in on', async () => {
    const dp = await withWorkers(2);
    expect(dp.workers?.count).toBe(2);
    expect(dp.memory.shared).toBe(true);
    const eth0 = dp.addDevice({ name: 'eth0', queues: 2, ringSize: 256 });
    const obj = await dp.loadObject(PASS_DROP);
    eth0.attachXdp(obj.program('xdp_drop'));
    const sent = [0, 0];
    for (let round = 0; round < 20; round++) {
      for (const q of [0, 1]) for (let i = 0; i < 10 + q * 5; i++) if (eth0.inject(frame(60, i), { queue: q })) sent[q]!++;
      dp.workers!.settle();
    }
    expect(sent).toEqual([200, 300]);
    const st = eth0.stats();
    expect(st.verdicts.XDP_DROP).toBe(500);
    expect(st.queues[0]!.verdicts.XDP_DROP).toBe(200);
    expect(st.queues[1]!.verdicts.XDP_DROP).toBe(300);
    const ws = dp.workers!.stats();
    expect(ws.map((w) => w.frames)).toEqual([200, 300]);
    expect(ws.every((w) => w.faults === 0)).toBe(true);
  });

  it('tail calls through a prog_array run on the workers: the corpus gets the verdicts it gets on one thread (xdp_tailcall)', async () => {
    const TAILCALL = new URL('../../programs/xdp_tailcall.o', import.meta.url).pathname;
    const verdicts = async (workers: number): Promise<Record<string, number>> => {
      const dp = workers ? await withWorkers(workers) : await Datapath.create();
      const eth0 = dp.addDevice({ name: 'eth0', queues: 2, rss: false });
      eth0.attachXdp((await dp.loadObject(TAILCALL)).program('xdp_dispatch'));
      corpus.forEach((p, i) => expect(eth0.inject(p.data, { queue: i % 2 })).toBe(true));
      if (workers) dp.workers!.settle();
      else eth0.poll();
      return eth0.stats().verdicts;
    };
    const one = await verdicts(0);
    expect(one.XDP_DROP + one.XDP_TX).toBeGreaterThan(0);
    expect(await verdicts(2)).toEqual(one);
  });

  it('dp.poll() wakes the workers and returns 0: the queues are theirs', async () => {
    const dp = await withWorkers(1);
    const eth0 = dp.addDevice({ name: 'eth0' });
    eth0.inject(frame(60));
    expect(dp.poll()).toBe(0);
    dp.workers!.settle();
    expect(eth0.stats().rxPackets).toBe(1);
    expect(eth0.readHost()).toHaveLength(1);
  });

  it('refuses what a worker cannot run: an unverified (checked) program, a program calling a JavaScript helper', async () => {
    const dp = await withWorkers(1);
    const eth0 = dp.addDevice({ name: 'eth0' });
    const checked = await dp.loadInsns(assemble('r0 = 1\nexit'), { verify: false });
    expect(refusal(() => eth0.attachXdp(checked))).toMatch(/^PROG_ATTACH: program prog: runs checked .*workers run verified programs only/);
    // bpf_trace_printk (6) runs in JavaScript on the main thread
    const printk = await dp.loadInsns(assemble('r1 = r10\nr1 += -8\nr2 = 0\n*(u64 *)(r10 - 8) = r2\nr2 = 1\ncall 6\nr0 = 2\nexit'));
    expect(refusal(() => eth0.attachXdp(printk))).toMatch(/^PROG_ATTACH: program prog: imports helper_6, which runs in JavaScript/);
    expect(eth0.program).toBeUndefined();
  });

  it('workers must be 1..64', async () => {
    for (const n of [-1, 65, 1.5]) {
      await expect(Datapath.create({ workers: n })).rejects.toThrow(/workers must be 1\.\.64/);
    }
  });

  it('close() stops and joins the workers; a second close is a no-op', async () => {
    const dp = await Datapath.create({ workers: 2 });
    await dp.close();
    await dp.close();
    expect(dp.closed).toBe(true);
  });
});

const dist = new URL('../../dist/src/index.js', import.meta.url).pathname;

describe.skipIf(!existsSync(dist))('workers and the process (the dist build)', () => {
  const run = (body: string) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', `import { Datapath } from ${JSON.stringify(dist)};\n${body}`], { encoding: 'utf8', timeout: 30000 });

  it('a script that closes its Datapath waits for the workers to end, then exits 0', () => {
    const r = run("const dp = await Datapath.create({ workers: 2 });\ndp.addDevice({ name: 'eth0', queues: 2 });\nawait dp.close();\nconsole.log('closed');");
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'closed\n', '']);
  });

  it('idle workers do not keep the process up: a script that never closes still ends', () => {
    const r = run("await Datapath.create({ workers: 2 });\nconsole.log('up');");
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'up\n', '']);
  });
});
