// Steady-state timing of a test run's `repeat`: what `testRun({ repeat })`, `wxdp prog run … repeat N`
// and the benchmarks report.
//
// V8 runs a new wasm function in its baseline tier (Liftoff) and swaps in the optimised code only at
// the next call into it: one long `repeat` call keeps its loop in Liftoff to the end (a byte loop
// 3–7× slower than the same program warm). So the repeat is split into short calls, the first ones a
// warm-up that ends when the time per run stops falling, and the average is taken over the rest:
//
//   repeat N = [chunk][chunk]…[chunk]  (warm-up: until STALE_CHUNKS in a row bring no gain)
//            + [chunk][chunk]…[rest]   (measured: the median call's time per run)
//
// The program still runs exactly N times, in order, over the same memory (map updates, packet writes
// and tail-call counts are those of N runs); only the clock skips the warm-up. Short repeats (too few
// runs to split) are timed whole and say they were not warmed.

/** What the warm-up did before the measured runs. */
export interface WarmUp {
  /** Runs spent warming up (part of the repeat: the program ran exactly `repeat` times in all). */
  runs: number;
  /** The calls those runs were split into. */
  calls: number;
  /** Runs per call, warm-up and measurement alike. */
  chunk: number;
  /** The time per run had stopped falling when the measurement began. */
  steady: boolean;
  /** Runs the duration is measured over (in calls of `chunk`, the median call's time per run). */
  measuredRuns: number;
}

export interface RepeatTiming {
  /** r0 of the last run. */
  r0: bigint;
  /** ns per run of the median measured call (the average over the measured runs when not split). */
  nsPerRun: number;
  warmUp: WarmUp;
}

/** Runs per call: short enough for V8 to swap in optimised code between calls. */
const MAX_CHUNK = 1000;
/** Chunks in a row without a gain of GAIN that end the warm-up. */
const STALE_CHUNKS = 8;
const GAIN = 0.97;
/** Repeats below this are timed whole: too few runs to warm up and still measure. */
const MIN_SPLIT = 200;
/** The warm-up takes at most this share of the runs and this much time. */
const WARM_SHARE = 0.5;
const WARM_MAX_MS = 2000;

/**
 * Run `run(n)` (n runs of the program, returning the last r0) until `repeat` runs are done, timing the
 * steady part. `run` must be the in-order repetition of one run: splitting it must not change results.
 */
export function timeRepeat(run: (n: number) => bigint, repeat: number): RepeatTiming {
  if (repeat < MIN_SPLIT) {
    const t0 = process.hrtime.bigint();
    const r0 = run(repeat);
    const ns = Number(process.hrtime.bigint() - t0);
    return { r0, nsPerRun: ns / repeat, warmUp: { runs: 0, calls: 0, chunk: repeat, steady: false, measuredRuns: repeat } };
  }
  const chunk = Math.max(1, Math.min(MAX_CHUNK, Math.floor(repeat / 50)));
  const warmMax = Math.floor(repeat * WARM_SHARE);
  const deadline = performance.now() + WARM_MAX_MS;
  let r0 = 0n;
  let done = 0;
  let calls = 0;
  let best = Infinity;
  let stale = 0;
  let steady = false;
  while (done + chunk <= warmMax) {
    const t0 = process.hrtime.bigint();
    r0 = run(chunk);
    const ns = Number(process.hrtime.bigint() - t0) / chunk;
    done += chunk;
    calls++;
    if (ns < best * GAIN) {
      best = ns;
      stale = 0;
    } else if (++stale >= STALE_CHUNKS) {
      steady = true;
      break;
    }
    if (performance.now() > deadline) break;
  }
  const measured = repeat - done;
  const perRun: number[] = [];
  for (let left = measured; left > 0; left -= chunk) {
    const n = Math.min(chunk, left);
    const t0 = process.hrtime.bigint();
    r0 = run(n);
    perRun.push(Number(process.hrtime.bigint() - t0) / n);
  }
  return { r0, nsPerRun: median(perRun), warmUp: { runs: done, calls, chunk, steady, measuredRuns: measured } };
}

/**
 * The kernel's test timer stops around a reschedule (bpf_test_timer_continue), so its figure is the
 * program's time, not the machine's: the median call here does the same for a busy machine, where a
 * call the scheduler interrupted is slower by a time slice, not by anything the program did.
 */
function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** One line for a person: how the average was taken. */
export function describeWarmUp(w: WarmUp): string {
  if (w.calls === 0) return `timed whole: ${w.measuredRuns} runs in one call (too few to warm up first)`;
  return `warm-up: ${w.runs} runs in ${w.calls} calls of ${w.chunk}${w.steady ? ', until the time per run stopped falling' : ' (not yet steady)'}; duration: the median of the calls making the other ${w.measuredRuns} runs`;
}
