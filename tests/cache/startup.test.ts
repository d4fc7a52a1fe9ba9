// bin/ runs the start-up bundle (scripts/bundle.mjs → dist/src/bundle/) when it is current, and the
// compiled modules otherwise; both answer the same.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- bin/ is plain JavaScript without declarations
import { entry } from '../../bin/entry.js';

const root = new URL('../../', import.meta.url).pathname;
const bundled = existsSync(join(root, 'dist/src/bundle/cli.js')) && existsSync(join(root, 'dist/src/cli/main.js'));
const pick = entry as (name: string, fallback: string, dist?: URL) => string;

describe('bin/entry.js', () => {
  const dist = mkdtempSync(join(tmpdir(), 'wxdp-entry-'));
  afterAll(() => rmSync(dist, { recursive: true, force: true }));
  const base = pathToFileURL(`${dist}/`);
  mkdirSync(join(dist, 'bundle'));
  mkdirSync(join(dist, 'cli'));
  const bundle = join(dist, 'bundle/cli.js');
  const modules = join(dist, 'cli/main.js');
  writeFileSync(bundle, '');
  writeFileSync(modules, '');

  it('picks the bundle when it is as new as the modules', () => {
    utimesSync(modules, 1000, 1000);
    utimesSync(bundle, 2000, 2000);
    expect(pick('cli.js', 'cli/main.js', base)).toBe(pathToFileURL(bundle).href);
  });

  it('picks the modules when the bundle is older (tsc ran after it), or with WXDP_NO_BUNDLE', () => {
    utimesSync(bundle, 3000, 3000);
    process.env['WXDP_NO_BUNDLE'] = '1';
    try {
      expect(pick('cli.js', 'cli/main.js', base)).toBe(pathToFileURL(modules).href);
    } finally {
      delete process.env['WXDP_NO_BUNDLE'];
    }
    utimesSync(modules, 4000, 4000);
    expect(pick('cli.js', 'cli/main.js', base)).toBe(pathToFileURL(modules).href);
  });

  it('falls back to the modules for a bundle entry that does not exist', () => {
    expect(pick('plugin.js', 'cli/main.js', base)).toBe(pathToFileURL(modules).href);
  });
});

describe.skipIf(!bundled)('the bundled CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wxdp-startup-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const pkt = join(dir, 'pkt.bin');
  writeFileSync(pkt, Buffer.alloc(64));
  const run = (noBundle: boolean, ...args: string[]) =>
    spawnSync(process.execPath, [join(root, 'bin/wxdp.js'), ...args], {
      encoding: 'utf8',
      env: { ...process.env, WXDP_CACHE_DIR: join(dir, 'cache'), ...(noBundle ? { WXDP_NO_BUNDLE: '1' } : {}) },
    });

  it('answers prog run, errors included, as the modules do', () => {
    for (const args of [
      ['prog', 'run', join(root, 'programs/xdp_icmp_echo.o'), 'data_in', pkt],
      ['prog', 'run', join(root, 'programs/no_such.o'), 'data_in', pkt, '--json'],
    ]) {
      const a = run(false, ...args);
      const b = run(true, ...args);
      expect(a.status).toBe(b.status);
      expect(a.stdout.replace(/duration: \d+ns/, '')).toBe(b.stdout.replace(/duration: \d+ns/, ''));
      expect(a.stderr).toBe(b.stderr);
    }
  }, 120_000);

  it('the conformance plugin answers from the bundle', () => {
    const r = spawnSync(process.execPath, [join(root, 'bin/wxdp-conformance-plugin.js')], { input: 'b70000002a0000009500000000000000', encoding: 'utf8', env: { ...process.env, WXDP_CACHE_DIR: join(dir, 'cache') } });
    expect(r.stdout.trim()).toBe('2a');
  }, 60_000);
});
