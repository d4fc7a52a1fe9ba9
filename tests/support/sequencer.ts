// The order vitest starts test files in (vitest.config.ts sequence.sequencer). Two workers take files off
// one queue, so a long file started near the end runs on alone while the other worker idles. Vitest's own
// order is by the durations of a previous run when it has them (node_modules/.vite/vitest), else by file
// size, which a fresh clone — CI's case — puts many of the longest files late (the verifier's soundness
// and mutant fuzz, diff/random: small files, minutes each, started last in the 12-05 baseline). The files
// below, measured with `vitest run --reporter=json` (2 cores, 12-05, load 11-19: the seconds in the
// comments are inflated alike), go first, slowest first. The rest keep vitest's order, the files of each
// project together (a process of the shared project is reused only while the next file is also the
// shared project's: vitest.config.ts).
//
// A stale list costs time, never a test: every file runs whatever its place. Refresh it from a run's
// JSON report when the slow files change.

import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export const SLOWEST_FIRST: readonly string[] = [
  'tests/programs/wxdp_vs_kernel.test.ts', // 420
  'tests/verifier/mutants.test.ts', // 387
  'tests/verifier/soundness_accept.test.ts', // 370 (still running at 370 s)
  'tests/verifier/soundness_programs.test.ts', // 370 (still running at 370 s)
  'tests/verifier/corpus_kernel.test.ts', // 288
  'tests/diff/random.test.ts', // 265
  'tests/programs/kernel_live.test.ts', // 163
  'tests/cli/cli.test.ts', // 85
  'tests/udp/bench_udp.test.ts', // 70
  'tests/net/lpm.test.ts', // 66
  'tests/nf/nf_fuzz_cases.test.ts', // 66
  'tests/net/fib_kernel.test.ts', // 66
  'tests/udp/udp_fuzz_kernel.test.ts', // 65
  'tests/maps/lru_kernel.test.ts', // 60
  'tests/asm/roundtrip.property.test.ts', // 60
  'tests/nf/nf_fuzz_kernel.test.ts', // 51
  'tests/elf/fuzz.test.ts', // 43
  'tests/cache/program_cache.test.ts', // 43
  'tests/net/fib_bulk.test.ts', // 42
  'tests/cli/bench_datapath.test.ts', // 41
  'tests/udp/sk_prog_kernel.test.ts', // 40
  'tests/net/links_kernel.test.ts', // 40
  'tests/net/fib_gaps_kernel.test.ts', // 37
  'tests/jit/differential.test.ts', // 34
  'tests/net/validate_source_kernel.test.ts', // 34
  'tests/udp/udp_kernel.test.ts', // 34
  'tests/net/frag_kernel.test.ts', // 33
  'tests/net/neigh_kernel.test.ts', // 31
  'tests/sandbox/random.test.ts', // 28
  'tests/control/xdp_helpers.test.ts', // 24
  'tests/workers/device_removal.test.ts', // 24
  'tests/verifier/bounds_diff.test.ts', // 23
  'tests/interp/tiers.test.ts', // 20
];

export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const root = this.ctx.config.root;
    const rank = (f: TestSpecification): number => {
      const i = SLOWEST_FIRST.indexOf(relative(root, f.moduleId));
      return i < 0 ? SLOWEST_FIRST.length : i;
    };
    return base.map((f, i) => ({ f, i, r: rank(f) })).sort((a, b) => a.r - b.r || a.i - b.i).map((x) => x.f);
  }
}
