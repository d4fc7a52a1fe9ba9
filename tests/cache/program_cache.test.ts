// The on-disk cache of verified and compiled programs (src/cache): entries found again, damaged ones
// ignored and rewritten, the size limit, options in the key, --no-cache, and several processes sharing
// one directory at once (through the built CLI, as users run it).

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { configureProgramCache, defaultCacheDir, parseCacheSize, programCache, ProgramCache } from '../../src/cache/program_cache.js';
import { main } from '../../src/cli/main.js';
import { plugin } from '../../src/cli/plugin.js';
import { clearJitCache, compile } from '../../src/jit/index.js';
import { baseHelpers } from '../../src/helpers/index.js';
import { EngineMemory } from '../../src/runtime/memory.js';
import { Alu64, Ins } from '../../src/isa/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'wxdp-cache-test-'));
let n = 0;
const freshDir = () => join(tmp, `c${n++}`);
const entriesOf = (dir: string) => (existsSync(join(dir, 'v1')) ? readdirSync(join(dir, 'v1')).filter((f) => f.endsWith('.bin')) : []);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => configureProgramCache({}));

describe('ProgramCache', () => {
  it('misses, then hits what was put, per namespace and key', () => {
    const c = new ProgramCache({ dir: freshDir() });
    expect(c.get('jit', 'k')).toBeUndefined();
    c.put('jit', 'k', Buffer.from('module bytes'));
    expect(c.get('jit', 'k')?.toString()).toBe('module bytes');
    expect(c.get('verify', 'k')).toBeUndefined();
    expect(c.get('jit', 'k2')).toBeUndefined();
    expect(c.stats).toMatchObject({ hits: 1, misses: 3, writes: 1, corrupt: 0 });
  });

  it('ignores a damaged entry (truncated, flipped byte, foreign file) and the next put rewrites it', () => {
    const c = new ProgramCache({ dir: freshDir() });
    const payload = Buffer.from('x'.repeat(100));
    c.put('verify', 'k', payload);
    const path = c.pathOf('verify', 'k');
    const whole = readFileSync(path);
    const damaged = [whole.subarray(0, whole.length - 1), Buffer.from(whole), Buffer.from('not a cache entry')];
    damaged[1]![whole.length - 5] ^= 1;
    for (const bad of damaged) {
      writeFileSync(path, bad);
      expect(c.get('verify', 'k')).toBeUndefined();
    }
    expect(c.stats.corrupt).toBe(3);
    c.put('verify', 'k', payload);
    expect(c.get('verify', 'k')).toEqual(payload);
  });

  it('keeps the directory within its size limit, dropping the least recently used first', () => {
    const dir = freshDir();
    const c = new ProgramCache({ dir, maxBytes: 3 * 1100 });
    const kb = Buffer.alloc(1000, 7);
    c.put('jit', 'a', kb);
    c.put('jit', 'b', kb);
    c.put('jit', 'c', kb);
    // Age them (mtime is the recency), then use `a` again: `b` is now the oldest.
    const past = new Date(Date.now() - 60_000);
    for (const k of ['a', 'b', 'c']) utimesSync(c.pathOf('jit', k), past, past);
    utimesSync(c.pathOf('jit', 'b'), new Date(past.getTime() - 1000), new Date(past.getTime() - 1000));
    expect(c.get('jit', 'a')).toBeDefined();
    c.put('jit', 'd', kb);
    // four entries of 1,048 bytes (payload and header) pass 3,300: the oldest go until the rest are
    // within nine tenths of it (2,970): `b`, then `c`
    expect(c.get('jit', 'b')).toBeUndefined();
    expect(c.get('jit', 'c')).toBeUndefined();
    for (const k of ['a', 'd']) expect(c.get('jit', k)).toBeDefined();
    expect(c.stats.evicted).toBe(2);
    const total = entriesOf(dir).reduce((s, f) => s + statSync(join(dir, 'v1', f)).size, 0);
    expect(total).toBeLessThanOrEqual(Math.floor(3 * 1100 * 0.9));
  });

  it('a directory kept at its limit is scanned again only after a tenth of the limit is written, not on every put', () => {
    const dir = freshDir();
    const c = new ProgramCache({ dir, maxBytes: 100 * 1048 });
    const kb = Buffer.alloc(1000, 7);
    // 400 entries of 1,048 bytes through a 100-entry limit: a scan at the first put, then one each time
    // the cleanup's 90 entries have grown past 100 (every 11 puts), never one per put
    for (let i = 0; i < 400; i++) c.put('jit', `k${i}`, kb);
    expect(entriesOf(dir).length).toBeLessThanOrEqual(100);
    expect(c.stats.scans).toBeLessThanOrEqual(1 + Math.ceil(400 / 10));
    expect(c.stats.scans).toBeGreaterThan(1);
    for (let i = 390; i < 400; i++) expect(c.get('jit', `k${i}`)).toBeDefined();
  });

  it('disabled, it neither reads nor writes', () => {
    const dir = freshDir();
    new ProgramCache({ dir }).put('jit', 'k', Buffer.from('v'));
    const off = new ProgramCache({ dir, enabled: false });
    expect(off.get('jit', 'k')).toBeUndefined();
    off.put('jit', 'k2', Buffer.from('v'));
    expect(entriesOf(dir)).toHaveLength(1);
  });

  it('an unwritable directory makes it a no-op instead of an error', () => {
    const file = join(tmp, 'plain-file');
    writeFileSync(file, '');
    const c = new ProgramCache({ dir: join(file, 'sub') });
    expect(() => c.put('jit', 'k', Buffer.from('v'))).not.toThrow();
    expect(c.get('jit', 'k')).toBeUndefined();
  });

  it('finds its directory as ccache does: WXDP_CACHE_DIR, XDG_CACHE_HOME/wxdp, ~/.cache/wxdp; sizes with K/M/G', () => {
    expect(defaultCacheDir({ WXDP_CACHE_DIR: '/x/y' })).toBe('/x/y');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/wxdp');
    expect(defaultCacheDir({ HOME: '/home/u' })).toMatch(/\.cache\/wxdp$/);
    expect(parseCacheSize('512M')).toBe(512 * 1024 * 1024);
    expect(parseCacheSize('2G')).toBe(2 * 1024 ** 3);
    expect(parseCacheSize('65536')).toBe(65536);
    expect(parseCacheSize('lots')).toBeUndefined();
  });
});

describe('--no-cache', () => {
  it('anywhere in a wxdp command (before --) or a plugin invocation, turns the process cache off', async () => {
    const io = { out: () => {}, err: () => {} };
    const src = join(tmp, 'r0.s');
    writeFileSync(src, 'r0 = 7\nexit\n');
    configureProgramCache({ dir: freshDir() });
    expect(await main(['exec', src, '--no-cache'], io)).toBe(0);
    expect(programCache().enabled).toBe(false);
    configureProgramCache({ dir: freshDir() });
    expect(await main(['exec', src, '--', '--no-cache'], io)).not.toBe(0);
    expect(programCache().enabled).toBe(true);
    configureProgramCache({ dir: freshDir() });
    expect(await plugin(['--engine', 'interp', '--no-cache'], 'b7 00 00 00 07 00 00 00 95 00 00 00 00 00 00 00', io)).toBe(0);
    expect(programCache().enabled).toBe(false);
  });
});

describe('the JIT through the cache', () => {
  it('a module compiled in another process (a cleared in-memory cache) comes from disk; a changed option is another entry', async () => {
    const dir = freshDir();
    configureProgramCache({ dir });
    const prog = [Alu64.mov.imm(0, 42), Ins.exit()];
    const opts = { memory: new EngineMemory(), helpers: baseHelpers() };
    clearJitCache();
    const a = await compile(prog, opts);
    expect(a.info.fromDisk).toBe(false);
    expect(entriesOf(dir)).toHaveLength(1);
    clearJitCache();
    const b = await compile(prog, opts);
    expect(b.info.fromDisk).toBe(true);
    expect(b.run({ args: [], regions: [] }).r0).toBe(42n);
    clearJitCache();
    const c = await compile(prog, { ...opts, checked: false });
    expect(c.info.fromDisk).toBe(false);
    expect(entriesOf(dir)).toHaveLength(2);
    clearJitCache();
  });
});

const root = new URL('../../', import.meta.url).pathname;
const built = existsSync(join(root, 'dist/src/cli/main.js'));
const wxdp = join(root, 'bin/wxdp.js');
const obj = join(root, 'programs/xdp_icmp_echo.o');

describe.skipIf(!built)('wxdp prog run with the cache (built dist/)', () => {
  const pkt = join(tmp, 'pkt.bin');
  writeFileSync(pkt, Buffer.alloc(64));
  const run = (dir: string, ...extra: string[]) =>
    spawnSync(process.execPath, [wxdp, 'prog', 'run', obj, 'data_in', pkt, ...extra], { encoding: 'utf8', env: { ...process.env, WXDP_CACHE_DIR: dir } });

  it('the first run fills the cache (a verdict and a module), the second uses it and answers the same', () => {
    const dir = freshDir();
    const first = run(dir);
    expect(first.status).toBe(0);
    const entries = entriesOf(dir);
    expect(entries).toHaveLength(2);
    const second = run(dir);
    expect(second.status).toBe(0);
    expect(second.stdout.replace(/duration: \d+ns/, '')).toBe(first.stdout.replace(/duration: \d+ns/, ''));
    expect(entriesOf(dir)).toEqual(entries);
  }, 120_000);

  it('--no-cache keeps nothing; the interpreter needs only the verdict', () => {
    const dir = freshDir();
    expect(run(dir, '--no-cache').status).toBe(0);
    expect(entriesOf(dir)).toHaveLength(0);
    expect(run(dir, 'engine', 'interp').status).toBe(0);
    expect(entriesOf(dir)).toHaveLength(1);
  }, 120_000);

  it('four processes sharing one empty directory all succeed and leave whole entries', async () => {
    const dir = freshDir();
    const one = () =>
      new Promise<number>((resolve) => {
        const p = spawn(process.execPath, [wxdp, 'prog', 'run', obj, 'data_in', pkt], { env: { ...process.env, WXDP_CACHE_DIR: dir }, stdio: 'ignore' });
        p.on('exit', (code) => resolve(code ?? -1));
      });
    expect(await Promise.all([one(), one(), one(), one()])).toEqual([0, 0, 0, 0]);
    const names = readdirSync(join(dir, 'v1'));
    expect(names.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(names).toHaveLength(2);
    // Every entry is whole: its header's length and sha256 match its payload.
    for (const f of names) {
      const bytes = readFileSync(join(dir, 'v1', f));
      expect(bytes.subarray(0, 8).toString('latin1')).toBe('WXDPCACH');
      expect(bytes.readUInt32LE(12)).toBe(bytes.length - 48);
      expect(createHash('sha256').update(bytes.subarray(48)).digest()).toEqual(bytes.subarray(16, 48));
    }
  }, 180_000);
});
