// The kernel side of tests/elf/configure.test.ts and kconfig.test.ts: tests/support/kernel_config.c
// (libbpf: set_max_entries, globals through BTF, the kconfig option, then test_run), built once per
// test file with gcc -lbpf into a temporary directory removed after the file; skipped with the reason
// without root, gcc or libbpf. And `refusal`, the [code, message] a WxdpError-throwing call gives.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { WxdpError } from '../../src/errors.js';
import { kernelAvailability } from '../../src/oracle/kernel.js';

const root = new URL('../../', import.meta.url).pathname;

/** The built tool and a scratch directory, or why the kernel side cannot run (reason ''). */
export function kernelConfigTool(): { tool: string; dir: string; reason: string } {
  const dir = mkdtempSync(join(tmpdir(), 'wx-kcfg-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const tool = join(dir, 'kernel_config');
  const k = kernelAvailability();
  if (!k.ok) return { tool, dir, reason: k.reason };
  const built = spawnSync('gcc', ['-O1', '-o', tool, join(root, 'tests/support/kernel_config.c'), '-lbpf'], { encoding: 'utf8' });
  const reason = built.error ? `gcc: ${built.error.message}` : built.status !== 0 ? `gcc -lbpf failed: ${built.stderr.split('\n')[0]}` : '';
  return { tool, dir, reason };
}

/** [code, message] of the WxdpError `f` throws (fails the test when it throws nothing or another error). */
export function refusal(f: () => unknown): [string, string] {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(WxdpError);
    return [(e as WxdpError).code, (e as Error).message];
  }
  throw new Error('no error');
}
