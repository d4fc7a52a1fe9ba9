import { defineConfig } from 'vitest/config';
import { LongestFirst } from './tests/support/sequencer.js';

// Files that get a process of their own (vitest's isolate: true): they start worker threads, daemons,
// servers or child processes that a shared process would keep (tests/workers, up, e2e, link), measure a
// fresh process (tests/cache: startup, the program cache's own counters), set the environment before an
// import reads it (programs/kernel_live: WXDP_BPFTOOL) or hold the kernel's tracepoints
// (datapath/tracepoints_*: tests/support/tp_lock.ts).
const FRESH_PROCESS = [
  'tests/workers/**/*.test.ts',
  'tests/up/**/*.test.ts',
  'tests/e2e/**/*.test.ts',
  'tests/link/**/*.test.ts',
  'tests/cache/**/*.test.ts',
  'tests/programs/kernel_live.test.ts',
  'tests/datapath/tracepoints*.test.ts',
];

export default defineConfig({
  test: {
    // one temporary directory per run, removed at its end (tests/support/global_tmp.ts)
    globalSetup: ['tests/support/global_tmp.ts'],
    // fast-check properties from one fixed seed unless WXDP_FC_SEED says otherwise (tests/support/fc_seed.ts)
    setupFiles: ['tests/support/fc_seed.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two files at once: vitest's default is one worker fewer than the CPUs (one on a 2-core machine), and
    // much of the suite waits on the kernel's tools (ip, bpftool, python, ping) — measured on 2 cores:
    // 13.2 min with one worker, 8.1 min with two, the same 5,048 tests passing. Kernel tests name their
    // namespaces and devices per process and file (tests/support/netns.ts), so files do not collide.
    maxWorkers: 2,
    // The rest run one after another in the same two processes (isolate: false): each file's own module
    // is evaluated afresh, src/ and the fast path's compiled wasm stay loaded. A process per file spent
    // ~1-4 s importing src/ through vite and compiling the fast path before its first test — 300 files'
    // worth (823 s of the 12-05 baseline's import time, load 11-19). Measured on every 6th file (46 files,
    // 979 tests, runs old/new/new/old/old/new, load 6-13): 560/206/202 s a process each, 150/90/93 s
    // shared; the same tests pass. The longest files go first (tests/support/sequencer.ts).
    sequence: { sequencer: LongestFirst },
    projects: [
      { extends: true, test: { name: 'fresh-process', include: FRESH_PROCESS, isolate: true } },
      { extends: true, test: { name: 'shared-process', include: ['tests/**/*.test.ts'], exclude: FRESH_PROCESS, isolate: false } },
    ],
  },
});
