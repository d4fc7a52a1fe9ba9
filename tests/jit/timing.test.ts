// Steady-state timing of test runs (src/jit/timing.ts): the repeat split into short calls, a warm-up
// the clock skips, and exactly `repeat` runs in all. The speed figures themselves are never asserted:
// a cold and a warm measurement of the same loop program are compared with each other, generously.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { Datapath } from '../../src/control/datapath.js';
import { clearJitCache } from '../../src/jit/index.js';
import { timeRepeat } from '../../src/jit/timing.js';

const root = new URL('../../', import.meta.url).pathname;
const object = join(root, 'programs', 'xdp_loops.o');
/** 1514 bytes: loop_bytes walks all 128 of its byte loop's iterations. */
const large = new Uint8Array(readFileSync(join(root, 'programs', 'corpus', '23-ipv4-udp-large.bin')));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('timeRepeat', () => {
  it('runs exactly `repeat` times, in order, and returns the last run\'s r0', () => {
    for (const repeat of [1, 7, 199, 200, 1234, 100_000]) {
      let runs = 0;
      const t = timeRepeat((n) => {
        expect(n).toBeGreaterThan(0);
        runs += n;
        return BigInt(runs);
      }, repeat);
      expect(runs).toBe(repeat);
      expect(t.r0).toBe(BigInt(repeat));
      expect(t.warmUp.runs + t.warmUp.measuredRuns).toBe(repeat);
      expect(t.warmUp.measuredRuns).toBeGreaterThanOrEqual(repeat / 2);
    }
  });

  it('warms up in short calls until the time per run stops falling, then measures the rest', () => {
    // a run that gets faster over its first 20 calls, as a function V8 tiers up does
    let calls = 0;
    const t = timeRepeat((n) => {
      const spin = Math.max(0, 20 - calls++) * 2000;
      let x = 0;
      for (let i = 0; i < spin; i++) x += i;
      return BigInt(x & 1) + BigInt(n - n);
    }, 1_000_000);
    expect(t.warmUp.chunk).toBe(1000);
    expect(t.warmUp.steady).toBe(true);
    expect(t.warmUp.calls).toBeGreaterThanOrEqual(20);
    expect(t.warmUp.runs).toBe(t.warmUp.calls * 1000);
  });

  it('times a short repeat whole and says so', () => {
    const t = timeRepeat(() => 2n, 3);
    expect(t.warmUp).toEqual({ runs: 0, calls: 0, chunk: 3, steady: false, measuredRuns: 3 });
  });
});

describe('testRun timing', () => {
  it('a cold and a warm measurement of a loop program agree (steady state from the first testRun)', async () => {
    clearJitCache(); // a module compiled afresh: its code starts in V8's baseline tier
    const dp = await Datapath.create();
    const p = (await dp.loadObject(object)).program('loop_bytes');
    const cold = p.testRun({ data: large, repeat: 1_000_000 });
    expect(cold.retval).toBe(2);
    expect(cold.warmUp.runs).toBeGreaterThan(0);
    // warm it further with many short calls, then measure the same way
    for (let i = 0; i < 50; i++) p.testRun({ data: large, repeat: 1000 });
    const warm = p.testRun({ data: large, repeat: 1_000_000 });
    // One long call used to stay in Liftoff (3–7× the warm figure); a generous 3× leaves room for a busy machine.
    const ratio = cold.duration / warm.duration;
    expect(ratio, `cold ${cold.duration.toFixed(1)} ns, warm ${warm.duration.toFixed(1)} ns`).toBeLessThan(3);
    expect(ratio, `cold ${cold.duration.toFixed(1)} ns, warm ${warm.duration.toFixed(1)} ns`).toBeGreaterThan(1 / 3);
  });

  it('every run still counts: the map sees exactly `repeat` packets', async () => {
    const dp = await Datapath.create({ ncpus: 1 });
    const o = await dp.loadObject(object);
    o.program('loop_bytes').testRun({ data: large, repeat: 54_321 });
    const value = o.map('byte_stats').lookupPerCpu(new Uint8Array(4))![0]!;
    expect(new DataView(value.buffer, value.byteOffset).getBigUint64(0, true)).toBe(54_321n);
  });
});

describe('wxdp prog run timing', () => {
  it('keeps bpftool\'s line on stdout, says how it warmed up on stderr and in --json', async () => {
    const pkt = join(root, 'programs', 'corpus', '23-ipv4-udp-large.bin');
    const r = await cli('prog', 'run', object, 'name', 'loop_bytes', 'data_in', pkt, 'repeat', '100000');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^Return value: 2, duration \(average\): \d+ns\n$/);
    expect(r.err).toMatch(/^warm-up: \d+ runs in \d+ calls of 1000/m);
    const j = JSON.parse((await cli('prog', 'run', object, 'name', 'loop_bytes', 'data_in', pkt, 'repeat', '100000', '--json')).out);
    expect(j.warmUp.runs + j.warmUp.measuredRuns).toBe(100_000);
    expect(j.warmUp.chunk).toBe(1000);
  });
});
