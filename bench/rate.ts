// Packet rates for the benches that drive the poll loop (bench/datapath.ts, bench/forward.ts), and the
// clock bench/fib.ts times its rounds by: a leaf module, so the benches share it without importing
// each other.
//
// The clock. On a shared machine the wall clock counts the time other processes held the core; the
// main thread's own CPU time (Linux: /proc/self/task/<pid>/schedstat, nanoseconds on the CPU) does not,
// so a window preempted halfway still measures the data path alone. It is used where it can be read,
// the wall clock otherwise (rateClock() says which). Caches other processes dirty still count: that is
// why the best of several windows is kept.

import { readFileSync } from 'node:fs';

const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;

/** The main thread's CPU time in ns, or null where the kernel does not tell. */
export function threadCpuNs(): number | null {
  try {
    const ns = Number(readFileSync(SCHEDSTAT, 'latin1').split(' ')[0]);
    return Number.isFinite(ns) && ns > 0 ? ns : null;
  } catch {
    return null;
  }
}

/** What bestNsPerPacket measures with: 'thread-cpu' (this thread's CPU time) or 'wall'. */
export function rateClock(): 'thread-cpu' | 'wall' {
  return threadCpuNs() === null ? 'wall' : 'thread-cpu';
}

/**
 * ns per packet of `round` (one burst: returns the packets it processed), the best of 5 windows of
 * `seconds / 5` each (of the wall clock; each window's time is the thread's CPU time in it where it can
 * be read, see above). Rounds run 500 at a time between clock reads, so reading the clock costs nothing
 * measurable.
 */
export function bestNsPerPacket(round: () => number, seconds: number): number {
  const cpu = rateClock() === 'thread-cpu';
  let best = Infinity;
  for (let w = 0; w < 5; w++) {
    let pkts = 0;
    const t0 = process.hrtime.bigint();
    const c0 = cpu ? threadCpuNs()! : 0;
    let t = t0;
    while (Number(t - t0) < (seconds / 5) * 1e9) {
      for (let i = 0; i < 500; i++) pkts += round();
      t = process.hrtime.bigint();
    }
    const spent = cpu ? threadCpuNs()! - c0 : Number(t - t0);
    best = Math.min(best, spent / pkts);
  }
  return best;
}
