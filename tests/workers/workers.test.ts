// Datapath.create({ workers: N }): N worker threads poll the device queues over one shared memory,
// queue k by worker k mod N, each with its own copy of the fast path and of the attached program.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { WK } from '../../src/runtime/memory.js';
import { MIB_COUNT, NDROP_COUNT } from '../../src/runtime/net_abi.js';
import { refusal } from './support.js';
import { corpus, frame } from '../datapath/support.js';

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
    expect([g('WK_CTX'), g('WK_RUN'), g('WK_BURST'), g('WK_CONTROL'), g('WK_TP_ARGS'), g('WK_LINK_KEYS'), g('WK_MIB'), g('WK_DROPS'), g('WK_SIZE')]).toEqual([
      WK.CTX, WK.RUN, WK.BURST, WK.CONTROL, WK.TP_ARGS, WK.LINK_KEYS, WK.MIB, WK.DROPS, WK.SIZE,
    ]);
    expect(WK.DROPS).toBe(WK.MIB + MIB_COUNT * 8);
    expect(WK.DROPS + NDROP_COUNT * 8).toBeLessThanOrEqual(WK.SIZE);
    expect(WK.TP_ARGS + g('TP_ARGS_SIZE')).toBeLessThanOrEqual(WK.LINK_KEYS);
    expect(WK.LINK_KEYS + g('LINK_KEYS_SIZE')).toBeLessThanOrEqual(WK.MIB);
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
