// The order vitest starts test files in (vitest.config.ts sequence.sequencer). Two workers take files off
// one queue, so a long file started near the end runs on alone while the other worker idles. Vitest's own
// order is by the durations of a previous run when it has them (node_modules/.vite/vitest), else by file
// size, which a fresh clone — CI's case — puts many of the longest files late (the verifier's cow, soundness
// and mutant fuzz, diff/random: small files, minutes each, started last in the 12-05 baseline). The files
// below, measured with `vitest run --reporter=json` (2 cores, 12-06, load 13-29 from other jobs: the
// seconds in the comments are inflated, the kernel tests' waits less than the CPU-bound files), go first,
// slowest first. The rest keep vitest's order, the files of each project together (a process of the
// shared project is reused only while the next file is also the shared project's: vitest.config.ts).
//
// A stale list costs time, never a test: every file runs whatever its place. Refresh it from a run's
// JSON report when the slow files change.

import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export const SLOWEST_FIRST: readonly string[] = [
  'tests/maps/lru_kernel.test.ts', // 297
  'tests/programs/wxdp_vs_kernel.test.ts', // 192
  'tests/verifier/mutants.test.ts', // 172
  'tests/net/links_kernel.test.ts', // 145
  'tests/nf/nf_fuzz_cases.test.ts', // 121
  'tests/net/fib_kernel.test.ts', // 112
  'tests/udp/udp_fuzz_kernel.test.ts', // 102
  'tests/net/lpm.test.ts', // 98
  'tests/net/neigh_kernel.test.ts', // 94
  'tests/net/fib_gaps_kernel.test.ts', // 92
  'tests/verifier/cow.test.ts', // 87
  'tests/verifier/corpus_kernel.test.ts', // 87
  'tests/net/validate_source_kernel.test.ts', // 86
  'tests/cli/bench_datapath.test.ts', // 84
  'tests/cli/cli.test.ts', // 82
  'tests/nf/nf_fuzz_kernel.test.ts', // 79
  'tests/udp/udp_kernel.test.ts', // 79
  'tests/interp/tiers.test.ts', // 68
  'tests/udp/sockets.test.ts', // 62
  'tests/net/sysctl.test.ts', // 62
  'tests/jit/inline_helpers.test.ts', // 58
  'tests/verifier/bounds_diff.test.ts', // 54
  'tests/net/bench_forward.test.ts', // 54
  'tests/net/frag_kernel.test.ts', // 52
  'tests/diff/random.test.ts', // 50
  'tests/package_readme.test.ts', // 49
  'tests/verifier/soundness_accept.test.ts', // 48
  'tests/net/fib_scale.test.ts', // 46
  'tests/udp/sk_prog.test.ts', // 44
  'tests/verifier/corpus.test.ts', // 43
  'tests/udp/udp_lean_diff.test.ts', // 40
  'tests/verifier/soundness_programs.test.ts', // 40
  'tests/cache/program_cache.test.ts', // 40
  'tests/net/ip_kernel.test.ts', // 40
  'tests/datapath/verdicts.test.ts', // 39
  'tests/workers/device_removal.test.ts', // 38
  'tests/net/udp_send.test.ts', // 38
  'tests/net/neigh.test.ts', // 37
  'tests/net/fib_answers.test.ts', // 36
  'tests/udp/dgram_batch.test.ts', // 36
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
