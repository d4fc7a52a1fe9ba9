import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // one temporary directory per run, removed at its end (tests/support/global_tmp.ts)
    globalSetup: ['tests/support/global_tmp.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two files at once: vitest's default is one worker fewer than the CPUs (one on a 2-core machine), and
    // much of the suite waits on the kernel's tools (ip, bpftool, python, ping) — measured on 2 cores:
    // 13.2 min with one worker, 8.1 min with two, the same 5,048 tests passing. Kernel tests name their
    // namespaces and devices per process and file (tests/support/netns.ts), so files do not collide.
    maxWorkers: 2,
  },
});
