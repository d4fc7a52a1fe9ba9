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
// JSON report when the slow files change. Refreshed 12-07 from the fresh clone's run of 05:53 (the lead's
// fuzz seeds beside it for its first minutes), with the cuts of branch tt52 (mutants, wxdp_vs_kernel,
// links_kernel, tiers, corpus) estimated from their side-by-side runs.

import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export const SLOWEST_FIRST: readonly string[] = [
  'tests/verifier/cow.test.ts', // 47
  'tests/net/fib_gaps_kernel.test.ts', // 44
  'tests/nf/nf_fuzz_kernel.test.ts', // 43
  'tests/diff/random.test.ts', // 41
  'tests/cli/cli.test.ts', // 40
  'tests/net/neigh_kernel.test.ts', // 38
  'tests/nf/nf_fuzz_cases.test.ts', // 35
  'tests/net/lpm.test.ts', // 32
  'tests/verifier/soundness_accept.test.ts', // 31
  'tests/verifier/corpus.test.ts', // 30
  'tests/programs/wxdp_vs_kernel.test.ts', // 30
  'tests/net/validate_source_kernel.test.ts', // 29
  'tests/package_readme.test.ts', // 29
  'tests/maps/lru_kernel.test.ts', // 28
  'tests/net/links_kernel.test.ts', // 27
  'tests/cli/bench_datapath.test.ts', // 27
  'tests/udp/udp_fuzz_kernel.test.ts', // 26
  'tests/verifier/corpus_kernel.test.ts', // 24
  'tests/net/frag_kernel.test.ts', // 24
  'tests/net/fib_kernel.test.ts', // 24
  'tests/verifier/soundness_programs.test.ts', // 23
  'tests/udp/udp_lean_diff.test.ts', // 21
  'tests/interp/tiers.test.ts', // 19
  'tests/udp/sk_prog.test.ts', // 19
  'tests/verifier/mutants.test.ts', // 18
  'tests/programs/kernel_live.test.ts', // 18
  'tests/udp/bench_udp.test.ts', // 18
  'tests/nf/nft_log_kernel.test.ts', // 18
  'tests/udp/sockets.test.ts', // 16
  'tests/net/router_fuzz_kernel.test.ts', // 15
  'tests/cache/program_cache.test.ts', // 13
  'tests/udp/mcast_report_kernel.test.ts', // 12
  'tests/net/ndisc_redirect_kernel.test.ts', // 12
  'tests/net/router_kernel.test.ts', // 11
  'tests/net/bench_forward.test.ts', // 11
  'tests/net/mp_own_kernel.test.ts', // 10
  'tests/nf/bench_flows.test.ts', // 10
  'tests/net/forward.test.ts', // 10
  'tests/e2e/udp_service.test.ts', // 10
  'tests/nf/nft_nat_maps_kernel.test.ts', // 10
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
