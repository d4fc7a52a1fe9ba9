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
import type { EngineMemory } from '../src/runtime/memory.js';
import { adviseHugePages, hugePageAddon, hugePagesWanted, thpMode } from '../src/runtime/hugepages.js';

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

/** A word nobody notifies: Atomics.wait on it is a sleep. */
const napWord = new Int32Array(new SharedArrayBuffer(4));

/**
 * threadCpuNs brought up to date first. schedstat prints the thread's se.sum_exec_runtime as it stands
 * (fs/proc/base.c proc_pid_schedstat), and the scheduler adds a running thread's time to it only at a
 * tick (4 ms at HZ=250), a preemption check or when the thread leaves the CPU (kernel/sched/fair.c
 * update_curr): read by the running thread itself it lags by up to a tick. A 20-µs sleep first makes the
 * thread leave the CPU (dequeue_entity → update_curr), so the value read is its CPU time to the
 * microsecond. Over a window this matters when the thread got little CPU: 4 ms of 50 is 8%.
 */
export function threadCpuNsExact(): number | null {
  Atomics.wait(napWord, 0, 0, 0.02);
  return threadCpuNs();
}

/** What bestNsPerPacket measures with: 'thread-cpu' (this thread's CPU time) or 'wall'. */
export function rateClock(): 'thread-cpu' | 'wall' {
  return threadCpuNs() === null ? 'wall' : 'thread-cpu';
}

/**
 * ns per packet of `round` (one burst: returns the packets it processed), the best of 5 windows of
 * `seconds / 5` each (of the wall clock; each window's time is the thread's CPU time in it where it can
 * be read, see above: threadCpuNsExact at each end, as a window of a short run is a few ticks — read
 * lagging, a window could measure 0 ns, and did: tests/nf/bench_flows' 10-ms windows at load 15 gave
 * flowtable6 300 an nsPerPacket of 0). Rounds run 500 at a time between clock reads, so reading the
 * clock costs nothing measurable.
 */
export function bestNsPerPacket(round: () => number, seconds: number): number {
  const cpu = rateClock() === 'thread-cpu';
  let best = Infinity;
  for (let w = 0; w < 5; w++) {
    let pkts = 0;
    const t0 = process.hrtime.bigint();
    const c0 = cpu ? threadCpuNsExact()! : 0;
    let t = t0;
    while (Number(t - t0) < (seconds / 5) * 1e9) {
      for (let i = 0; i < 500; i++) pkts += round();
      t = process.hrtime.bigint();
    }
    const spent = cpu ? threadCpuNsExact()! - c0 : Number(t - t0);
    best = Math.min(best, spent / pkts);
  }
  return best;
}

/** Options of medianNsPerPacket: work around the timed rounds that is not the path's. */
export interface MedianOptions {
  /** Runs before each round, timed apart (the packet generator: a NIC's work, not the data path's). */
  before?: () => void;
  /** Runs after each sample, untimed there and timed on its own (a reader emptying what the rounds queued); returns its units of work. */
  between?: () => number;
}

/** The median of a sample list (0 for none). */
const median = (a: number[]): number => (a.length === 0 ? 0 : Float64Array.from(a).sort()[a.length >> 1]!);

/** What a read of process.hrtime.bigint() adds to an interval it closes: the median of empty intervals. */
function clockCost(): number {
  const d: number[] = [];
  for (let i = 0; i < 10001; i++) {
    const a = process.hrtime.bigint();
    d.push(Number(process.hrtime.bigint() - a));
  }
  return median(d);
}

/** Samples of one workload: ns per packet of its rounds, of `before` per packet, of `between` per unit. */
interface Samples {
  per: number[];
  pre: number[];
  other: number[];
}

/**
 * Samples of `perSample` rounds each, timed one by one on the wall clock, appended to `into` until the
 * clock passes `end`. With `before`, each round and its `before` are timed apart (three clock reads a
 * round, each read's own cost `clock` taken off); `between` runs after each sample and is timed on its own.
 */
function sampleUntil(end: bigint, round: () => number, perSample: number, opts: MedianOptions, clock: number, into: Samples): void {
  const { before, between } = opts;
  while (process.hrtime.bigint() < end) {
    let pkts = 0;
    let spent = 0;
    let spentBefore = 0;
    if (before) {
      for (let i = 0; i < perSample; i++) {
        const a = process.hrtime.bigint();
        before();
        const b = process.hrtime.bigint();
        pkts += round();
        const c = process.hrtime.bigint();
        spentBefore += Number(b - a) - clock;
        spent += Number(c - b) - clock;
      }
    } else {
      const t = process.hrtime.bigint();
      for (let i = 0; i < perSample; i++) pkts += round();
      spent = Number(process.hrtime.bigint() - t);
    }
    if (pkts > 0) {
      into.per.push(spent / pkts);
      into.pre.push(spentBefore / pkts);
    }
    if (between) {
      const t = process.hrtime.bigint();
      const units = between();
      if (units > 0) into.other.push(Number(process.hrtime.bigint() - t) / units);
    }
  }
}

const medians = (x: Samples) => ({ ns: median(x.per), beforeNs: median(x.pre), betweenNs: median(x.other) });

/**
 * ns per packet of `round` as the median over samples of `perSample` rounds each, timed one by one on
 * the wall clock, for `seconds` in all. On a machine shared by more runnable threads than cores a
 * sample of ~100 µs is rarely the one the scheduler preempts (a slice lasts milliseconds): the median
 * is the undisturbed cost, where a window's total would count the other processes' turns. With
 * `before`, each round and its `before` are timed apart (three clock reads a round, each read's own
 * cost taken off): `ns` is the rounds' alone, `beforeNs` the median of `before`'s per packet.
 * `betweenNs`: the median of `between`'s time per unit it reports (0 when it reports none).
 */
export function medianNsPerPacket(round: () => number, seconds: number, perSample: number, opts: MedianOptions = {}): { ns: number; beforeNs: number; betweenNs: number } {
  const into: Samples = { per: [], pre: [], other: [] };
  sampleUntil(process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9)), round, perSample, opts, opts.before ? clockCost() : 0, into);
  return medians(into);
}

/** One workload of interleavedMedians: medianNsPerPacket's round and options, and what re-warms it. */
export interface InterleavedWork extends MedianOptions {
  round: () => number;
  /** Runs untimed at the start of each of the workload's blocks: the work that brings its tables back into the caches the other workloads' blocks used. */
  rewarm?: () => void;
}

/**
 * medianNsPerPacket of several workloads, their samples taken in turns: `blocks` passes over the list
 * (forward, then backward, …), each workload sampled for `seconds / blocks` a pass after its `rewarm`,
 * so each one's samples are spread over the whole run. Why: this VM's caches are at times contended from
 * outside it (an L2-resident pointer chase run beside the UDP bench slowed 4.7 → 6–10 ns in the same 50 ms
 * windows as the data path's 22 → 40 ns, with no preemption and none of the VM's own processes the cause)
 * for 50 ms to over a second at a time. Measured one after the other in quarter-second windows, a
 * workload falling into such a spell read ~1.8× slower than the same build's next run; spread over the
 * run, a spell moves every workload's median a little instead of one workload's a lot, and the
 * workloads compared with each other (a row and its baseline) see the same machine.
 */
export function interleavedMedians(work: InterleavedWork[], seconds: number, perSample: number, blocks: number): Array<{ ns: number; beforeNs: number; betweenNs: number }> {
  const clock = clockCost();
  const into: Samples[] = work.map(() => ({ per: [], pre: [], other: [] }));
  const slice = BigInt(Math.round((seconds / blocks) * 1e9));
  for (let b = 0; b < blocks; b++) {
    for (let k = 0; k < work.length; k++) {
      const i = b % 2 === 0 ? k : work.length - 1 - k;
      const w = work[i]!;
      w.rewarm?.();
      sampleUntil(process.hrtime.bigint() + slice, w.round, perSample, w, w.before ? clock : 0, into[i]!);
    }
  }
  return into.map(medians);
}

/**
 * The host's transparent huge page mode (/sys/kernel/mm/transparent_hugepage/enabled: always, madvise or
 * never; null where Linux does not tell). Under `madvise` (Debian's default) wasm memory gets 2 MiB pages
 * only when the native addon advises it (src/runtime/hugepages.ts; on unless WXDP_HUGEPAGES=0); under
 * `always` the kernel gives them anyway, under `never` not at all.
 */
export function hugePageMode(file?: string): string | null {
  return thpMode(file);
}

/** Whether the benches' Datapaths ask for 2 MiB pages: a probe memory's advice (none when mode is given). */
export interface BenchHugePages {
  mode: string | null;
  /** 'built' or why the native addon is absent. */
  addon: string;
  advised: boolean;
  why: string | null;
}

/** What a memory made as the benches' Datapaths make theirs gets (a small probe, let go at once). */
export function benchHugePages(): BenchHugePages {
  const mode = thpMode();
  const a = adviseHugePages(new WebAssembly.Memory({ initial: 1, maximum: 32 }).buffer, 32 * 65536, hugePagesWanted(), mode);
  const addon = hugePageAddon();
  return { mode, addon: addon.addon ? 'built' : `absent (${addon.why})`, advised: a.advised, why: a.why };
}

/** The header's words for the THP mode and what wasm memory gets under it. */
export function hugePageNote(mode: string | null, hp?: BenchHugePages): string {
  if (mode === null) return 'transparent huge pages: unknown';
  if (mode === 'always') return 'transparent huge pages: always (wasm memory on 2 MiB pages)';
  if (mode === 'never') return 'transparent huge pages: never (wasm memory on 4 KiB pages)';
  if (hp?.advised) return `transparent huge pages: ${mode} (wasm memory on 2 MiB pages: advised by the native addon; WXDP_HUGEPAGES=0 turns it off)`;
  return `transparent huge pages: ${mode} (wasm memory on 4 KiB pages${hp?.why ? `: ${hp.why}` : ''}; the native addon or \`always\` gives it 2 MiB pages)`;
}

/** A row's wasm memory as the kernel holds it: MiB resident and of them on 2 MiB pages (/proc/self/smaps). */
export interface MemoryPagesMiB {
  rssMiB: number;
  anonHugePagesMiB: number;
}

/** What a Datapath's memory holds now (after a row's rounds: its tables are all touched). */
export function memoryPagesMiB(memory: EngineMemory): MemoryPagesMiB {
  const r = memory.hugePageReport();
  return { rssMiB: Math.round(r.rss / 2 ** 20), anonHugePagesMiB: Math.round(r.anonHugePages / 2 ** 20) };
}
