// The CLI in-process through main(), plus the two bin launchers as real processes (they run dist/,
// which `npm test` builds first).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { conformanceDir } from '../../bench/engine.js';
import { main } from '../../src/cli/main.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const tmp = mkdtempSync(join(tmpdir(), 'wxdp-cli-'));
const file = (name: string, content: string | Uint8Array) => {
  const p = join(tmp, name);
  writeFileSync(p, content);
  return p;
};
const root = new URL('../../', import.meta.url).pathname;
const built = existsSync(join(root, 'dist/src/cli/main.js'));
const confDir = conformanceDir();
const haveConf = existsSync(confDir);

describe('wxdp (in-process)', () => {
  it('prints usage for help and fails on an unknown command', async () => {
    expect((await cli('help')).out).toMatch(/usage: wxdp <command>/);
    const r = await cli('frobnicate');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown command 'frobnicate'/);
  });

  it('asm prints hex words; -o writes bytes; errors name file, line and column', async () => {
    const src = file('p.s', 'r0 = 2\nexit\n');
    const r = await cli('asm', src);
    expect(r.out).toBe('b7 00 00 00 02 00 00 00\n95 00 00 00 00 00 00 00\n');
    const out = join(tmp, 'p.bin');
    expect((await cli('asm', src, '-o', out)).code).toBe(0);
    expect([...readFileSync(out)]).toEqual([0xb7, 0, 0, 0, 2, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
    const bad = await cli('asm', file('bad.s', 'r0 = 2\nfrob r1\n'));
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/bad\.s:2:1: /);
  });

  it('disasm prints llvm syntax by default and uBPF syntax on request', async () => {
    const bin = file('d.bin', Uint8Array.from([0xb7, 0, 0, 0, 2, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]));
    expect((await cli('disasm', bin)).out).toBe('r0 = 2\nexit\n');
    expect((await cli('disasm', bin, '--syntax', 'ubpf')).out).toBe('mov %r0, 2\nexit\n');
    const trunc = await cli('disasm', file('t.bin', Uint8Array.of(0x95, 0, 0)));
    expect(trunc.code).toBe(1);
    expect(trunc.err).toMatch(/insn 0 \(byte offset 0\).*not a multiple of 8/);
  });

  it('exec runs a program on --mem with either engine and traces with the interpreter', async () => {
    const src = file('e.s', 'r0 = *(u16 *)(r1 + 1)\nexit\n');
    for (const engine of ['interp', 'jit']) {
      const r = await cli('exec', src, '--mem', '00 34 12', '--engine', engine);
      expect(r.out).toBe('r0 = 0x1234 (4660)\n');
    }
    const t = await cli('exec', src, '--mem', '003412', '--trace');
    expect(t.out).toMatch(/^ {4}0: r0 = \*\(u16 \*\)\(r1 \+ 1\) +; r0 0x0 -> 0x1234\n {4}1: exit/);
    const j = JSON.parse((await cli('exec', src, '--mem', '003412', '--json')).out);
    expect(j).toMatchObject({ engine: 'interp', r0: '0x1234', mem: '003412' });
  });

  it('exec reports a memory fault with the instruction index and address, exit 1', async () => {
    const r = await cli('exec', file('f.s', 'r0 = *(u32 *)(r1 + 0)\nexit\n'), '--mem', '00', '--engine', 'jit');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/insn 0: read of 4 bytes at 0x10000 is outside the program's memory/);
  });

  it('exec rejects malformed programs at load with the load-time check', async () => {
    const r = await cli('exec', file('l.s', 'r0 <<= 64\nexit\n'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/insn 0: invalid shift 64/);
    expect((await cli('exec', file('l2.s', 'r0 <<= 64\nexit\n'), '--relaxed')).out).toBe('r0 = 0x0 (0)\n');
  });

  it('rejects bad options with exit 2', async () => {
    expect((await cli('exec', file('o.s', 'exit'), '--engine', 'x')).code).toBe(2);
    expect((await cli('exec', file('o2.s', 'exit'), '--mem', 'zz')).err).toMatch(/--mem: not hex bytes/);
    expect((await cli('conformance')).code).toBe(2);
    expect((await cli('conformance', '/nonexistent')).err).toMatch(/not a directory/);
    expect((await cli('exec', join(tmp, 'missing.s'))).err).toMatch(/cannot read .*ENOENT/);
  });

  it.skipIf(!haveConf)('conformance runs a directory and ends with the summary line', async () => {
    const r = await cli('conformance', confDir, '--engine', 'interp');
    expect(r.out).toMatch(/\n300 passed, 0 failed, 13 skipped\n$/);
    const relaxed = await cli('conformance', confDir, '--engine', 'both', '--relaxed', '--json');
    expect(JSON.parse(relaxed.out)).toMatchObject({ passed: 626, failed: 0, skipped: 0 });
  });

  it('conformance exits 1 when a vector fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxdp-conf-'));
    writeFileSync(join(dir, 'wrong.data'), '-- asm\nmov %r0, 1\nexit\n-- result\n0x2\n');
    const r = await cli('conformance', dir);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAIL interp wrong: r0 = 0x1, expected 0x2/);
    expect(r.out).toMatch(/0 passed, 2 failed, 0 skipped\n$/);
  });

  it('bench engine --quick --json reports every workload', async () => {
    const r = await cli('bench', 'engine', '--quick', '--json');
    const j = JSON.parse(r.out);
    expect(j.engine.map((x: { workload: string }) => x.workload)).toContain('alu straight-line x1000');
    for (const row of j.engine) expect(row.jitNsPerRun).toBeGreaterThan(0);
  }, 300_000);

  it('bench interp --only times the interpreter beside the JIT of the same run; --help names it; an --only that matches nothing is a JSON error', async () => {
    const r = await cli('bench', 'interp', '--quick', '--json', '--only', 'xdp_drop');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.interp.target).toBe(50);
    expect(j.interp.rows.map((x: { program: string }) => x.program)).toEqual(['xdp_drop']);
    const row = j.interp.rows[0];
    // xdp_drop: r0 = XDP_DROP (1), exit — two instructions (programs/xdp_pass_drop.c)
    expect(row).toMatchObject({ retval: 1, insns: 2, tier: 'compiled' });
    expect(row.interpNsPerRun).toBeGreaterThan(0);
    expect(row.jitNsPerRun).toBeGreaterThan(0);
    expect(row.ratio).toBeCloseTo(row.interpNsPerRun / row.jitNsPerRun, 6);
    const t = await cli('bench', 'interp', '--quick', '--only', 'xdp_pass');
    expect(t.out).toMatch(/interp ns\/run +jit ns\/run +interp \/ jit/);
    expect(t.out).toMatch(/^xdp_pass +ipv4-tcp-syn-vip80 +2 +2 /m);
    expect((await cli('bench', '--help')).out).toMatch(/^  interp +the reference interpreter beside wxdp's warm JIT/m);
    const none = await cli('bench', 'interp', '--quick', '--json', '--only', 'no_such_program');
    expect(none.code).toBe(2);
    expect(JSON.parse(none.out)).toEqual({ error: { code: 'USAGE', message: "--only 'no_such_program' matches no interp row: nothing ran" } });
  }, 300_000);

  it('bench programs --only runs the named programs against the kernel baseline', async () => {
    const r = await cli('bench', 'programs', '--quick', '--json', '--only', 'xdp_pass');
    const j = JSON.parse(r.out);
    expect(j.programs.map((x: { program: string }) => x.program)).toEqual(['xdp_pass']);
    expect(j.programs[0].retval).toBe(2);
    expect(j.programs[0].wxdpNsPerRun).toBeGreaterThan(0);
    expect((await cli('bench', 'nope')).code).toBe(2);
  }, 300_000);
});

describe.skipIf(!built)('bin launchers (built dist/)', () => {
  it('wxdp runs as a process', () => {
    const r = spawnSync(process.execPath, [join(root, 'bin/wxdp.js'), 'exec', file('b.s', 'r0 = 7\nexit')], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('r0 = 0x7 (7)\n');
  });

  it('wxdp-conformance-plugin speaks the bpf_conformance plugin protocol', () => {
    const plugin = join(root, 'bin/wxdp-conformance-plugin.js');
    // ldxh r0, [r1+1]; exit — memory "00 34 12" as the first argument, r0 in hex on stdout.
    const prog = '69 10 01 00 00 00 00 00 95 00 00 00 00 00 00 00';
    for (const engine of ['interp', 'jit']) {
      const r = spawnSync(process.execPath, [plugin, '003412', '--engine', engine], { input: prog, encoding: 'utf8' });
      expect(r.stdout).toBe('1234\n');
      expect(r.status).toBe(0);
    }
    // No memory argument: r2 (length) is 0.
    const len = spawnSync(process.execPath, [plugin], { input: 'bf 20 00 00 00 00 00 00 95 00 00 00 00 00 00 00', encoding: 'utf8' });
    expect(len.stdout).toBe('0\n');
    // A rejected program: error on stderr, non-zero exit; --relaxed accepts it.
    const shift = '67 00 00 00 40 00 00 00 95 00 00 00 00 00 00 00'; // lsh r0, 64
    const bad = spawnSync(process.execPath, [plugin], { input: shift, encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/invalid shift 64/);
    expect(spawnSync(process.execPath, [plugin, '--relaxed'], { input: shift, encoding: 'utf8' }).stdout).toBe('0\n');
  });
});
