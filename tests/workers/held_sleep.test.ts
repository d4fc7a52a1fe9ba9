// A held worker (Workers.hold) polls nothing, so it has no reason to run: it sleeps on its wake word
// until Workers.wake (a message, release(), close()), at most HELD_MS (100 ms) at a time, instead of
// waking every IDLE_MS (1 ms) — about 800 wake-ups a second per worker that take a core from, and
// pollute the caches of, the threads that are running (bench/workers.ts holds the rigs it is not
// measuring). Counted by the kernel: each wait ended is one voluntary context switch of the worker's
// thread (/proc/self/task/<tid>/status voluntary_ctxt_switches). Held, it still applies messages.

import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';

const open: Datapath[] = [];
afterEach(async () => {
  for (const dp of open.splice(0)) await dp.close();
});

const tasks = (): Set<string> => new Set(readdirSync('/proc/self/task'));
const switches = (tid: string): number => {
  try {
    return Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync(`/proc/self/task/${tid}/status`, 'latin1'))?.[1] ?? 0);
  } catch {
    return 0; // the thread ended
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a held worker sleeps', () => {
  it('two held workers wake a few times in 500 ms (not every millisecond), and still apply a message', async () => {
    const before = tasks();
    const dp = await Datapath.create({ workers: 2 });
    open.push(dp);
    // the threads this Datapath started: its two workers (and whatever Node starts with a worker)
    const mine = [...tasks()].filter((t) => !before.has(t));
    expect(mine.length).toBeGreaterThanOrEqual(2);
    dp.workers!.hold();
    await sleep(50);
    const s0 = mine.map(switches);
    await sleep(500);
    const woke = mine.map((t, i) => switches(t) - s0[i]!).reduce((a, b) => a + b, 0);
    // 100 ms at a time: about 5 wake-ups per worker, 10 in all (with 1-ms waits: ~800)
    expect(woke).toBeLessThan(60);
    // a held worker still applies messages: sync returns once every worker has acknowledged (it throws
    // after ACK_TIMEOUT_MS otherwise)
    dp.workers!.sync();
    expect(dp.workers!.stats().every((s) => s.faults === 0)).toBe(true);
    dp.workers!.release();
  });
});
