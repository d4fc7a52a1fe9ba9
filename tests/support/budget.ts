// A wall-clock cap for the long fuzz loops (tests/diff/random, tests/sandbox/random, tests/verifier/mutants,
// tests/jit/differential). WXDP_FUZZ_BUDGET_S caps the seconds each file spends on its cases (unset: no cap).
// CI sets it (.ci/run) so that a machine in a slow phase runs fewer cases, and says how many, instead of
// overrunning CI's limit with nothing reported. The cases that run are the same ones, in the same order, as
// without a cap: a cap only cuts the tail, it never changes what a seed means.

const CAP_S = Number(process.env['WXDP_FUZZ_BUDGET_S'] ?? 0);

export interface FuzzClock {
  /** true while the file may start another case; counts the case it starts. */
  more(): boolean;
  /** Cases started so far. */
  readonly done: number;
  /** Prints how many of the target ran, when the cap cut the run short. */
  report(): void;
}

export function fuzzClock(what: string, target: number): FuzzClock {
  const start = Date.now();
  let done = 0;
  let stopped = false;
  return {
    more(): boolean {
      if (!stopped && CAP_S > 0 && Date.now() - start > CAP_S * 1000) stopped = true;
      if (stopped) return false;
      done++;
      return true;
    },
    get done() {
      return done;
    },
    report(): void {
      if (stopped) console.warn(`${what}: ${done} of ${target} cases ran within WXDP_FUZZ_BUDGET_S=${CAP_S} s; the rest were cut`);
    },
  };
}
