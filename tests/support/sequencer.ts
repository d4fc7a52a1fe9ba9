// The order vitest starts test files in (vitest.config.ts sequence.sequencer). Two workers take files off
// one queue, so a long file started near the end runs on alone while the other worker idles. Vitest's own
// order is by the durations of a previous run when it has them (node_modules/.vite/vitest), else by file
// size, which a fresh clone — CI's case — puts many of the longest files late (the verifier's cow, soundness
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
  'tests/programs/wxdp_vs_kernel.test.ts', // 421
  'tests/verifier/mutants.test.ts', // 387
  'tests/verifier/cow.test.ts', // 372
  'tests/verifier/corpus_kernel.test.ts', // 288
  'tests/diff/random.test.ts', // 265
  'tests/programs/kernel_live.test.ts', // 163
  'tests/verifier/corpus.test.ts', // 152
  'tests/verifier/soundness_programs.test.ts', // 123
  'tests/cli/cli.test.ts', // 85
  'tests/package_readme.test.ts', // 71
  'tests/verifier/soundness_accept.test.ts', // 70
  'tests/net/lpm.test.ts', // 66
  'tests/net/fib_kernel.test.ts', // 66
  'tests/nf/nf_fuzz_cases.test.ts', // 66
  'tests/udp/udp_fuzz_kernel.test.ts', // 65
  'tests/maps/lru_kernel.test.ts', // 60
  'tests/asm/roundtrip.property.test.ts', // 60
  'tests/nf/nf_fuzz_kernel.test.ts', // 51
  'tests/elf/fuzz.test.ts', // 43
  'tests/cache/program_cache.test.ts', // 42
  'tests/net/fib_bulk.test.ts', // 42
  'tests/net/bench_fib.test.ts', // 41
  'tests/cli/bench_datapath.test.ts', // 41
  'tests/net/links_kernel.test.ts', // 40
  'tests/udp/sk_prog_kernel.test.ts', // 39
  'tests/cache/startup.test.ts', // 38
  'tests/nf/bench_flows.test.ts', // 38
  'tests/net/fib_gaps_kernel.test.ts', // 37
  'tests/verifier/kernel_cases.test.ts', // 37
  'tests/net/bench_forward.test.ts', // 36
  'tests/jit/differential.test.ts', // 34
  'tests/net/validate_source_kernel.test.ts', // 34
  'tests/udp/udp_kernel.test.ts', // 34
  'tests/maps/hash_key16.test.ts', // 32
  'tests/net/frag_kernel.test.ts', // 32
  'tests/net/neigh_kernel.test.ts', // 31
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
