// `wxdp bench` with no argument runs the data path scenario: frames through a device's RX ring, the
// NAPI poll and the program, in Mpps, with the verdicts counted and the baselines beside them.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { kernelAvailability } from '../../src/oracle/index.js';
import { hugePageMode, hugePageNote } from '../../bench/rate.js';
import { singleRunNs } from '../../bench/datapath.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const THP = '/sys/kernel/mm/transparent_hugepage/enabled';

describe('wxdp bench (the data path scenario)', () => {
  it('--quick --json --only xdp_drop: a row per frame size with Mpps, every frame dropped', async () => {
    const r = await cli('bench', '--quick', '--json', '--only', 'xdp_drop');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.datapath).toHaveLength(1);
    const row = j.datapath[0];
    expect(row).toMatchObject({ program: 'xdp_drop', frameSize: 64 });
    expect(row.mpps).toBeGreaterThan(0);
    expect(row.nsPerPacket * row.mpps).toBeCloseTo(1000, 0);
    expect(Object.keys(row.verdicts)).toEqual(['XDP_DROP']);
    expect(row.interpNsPerRun).toBeGreaterThan(0);
    // the host's transparent huge page mode, as /sys shows it (the bracketed word), beside the rows
    const thp = existsSync(THP) ? /\[(\w+)\]/.exec(readFileSync(THP, 'latin1'))![1] : null;
    expect(j.transparentHugePages).toBe(thp);
    // and whether the Datapaths' memories were advised for 2 MiB pages (the native addon), or why not
    expect(j.hugePages.mode).toBe(thp);
    expect(j.hugePages.advised).toBe(j.hugePages.addon === 'built' && (thp === 'madvise' || thp === 'always') && process.env.WXDP_HUGEPAGES !== '0');
    if (!j.hugePages.advised) expect(j.hugePages.why).toEqual(expect.any(String));
  }, 120_000);

  it('the table, for the load balancer: every generated frame is encapsulated and sent back out (XDP_TX)', async () => {
    const r = await cli('bench', '--quick', '--only', 'xdp_lb');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^program +frame +Mpps +ns\/pkt +verdicts/m);
    expect(r.out).toMatch(/^xdp_lb +64 B +[\d.]+ +[\d.]+ +TX \d+ \(incl\. pktgen refill\)/m);
    // its kernel column: no like-for-like figure (test_run's repeats re-run the rewritten frame), said so
    expect(r.out).toMatch(/^xdp_lb +64 B .* n\/a +\d+ +n\/a$/m);
    expect(r.out).toMatch(/xdp_lb rewrites its frame \(IPIP\)/);
  }, 120_000);

  it('singleRunNs: the median of single runs less the median of XDP_PASS\'s, plus XDP_PASS\'s own time, never below it', () => {
    let i = 0;
    // runs: 100 with an outlier every fifth call; pass: 40
    const run = (): number => (++i % 5 === 0 ? 900 : 100);
    expect(singleRunNs(run, () => 40, 5, 11)).toBe(65);
    expect(singleRunNs(() => 30, () => 40, 5, 11)).toBe(5);
  });
});

describe('wxdp bench --help and bad arguments', () => {
  it('--help (also after a benchmark name) prints every benchmark and exits 0 without running one', async () => {
    for (const argv of [['bench', '--help'], ['bench', 'forward', '--help'], ['bench', 'fib', '-h'], ['bench', 'udp', '--help'], ['bench', 'link', '--help']]) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.out).toMatch(/^usage: wxdp bench \[datapath\|engine\|programs\|interp\|verifier\|micro\|forward\|flows\|fib\|udp\|link\|workers\|all\]/);
      expect(r.err).toBe('');
    }
  });

  it('an unknown benchmark or option is a one-line usage error with exit 2', async () => {
    const a = await cli('bench', 'nosuch');
    expect(a.code).toBe(2);
    expect(a.err.split('\n')[0]).toBe("wxdp bench: unknown benchmark 'nosuch'");
    const b = await cli('bench', '--nosuch');
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/^wxdp bench: unknown option '--nosuch'\n$/);
  });

  it('--dispatch is bench forward\'s, burst or table: anything else is a usage error (exit 2), nothing run', async () => {
    const a = await cli('bench', 'forward', '--dispatch', 'inline');
    expect(a.code).toBe(2);
    expect(a.err.split('\n')[0]).toBe("wxdp bench: --dispatch 'inline': burst or table");
    const b = await cli('bench', 'udp', '--dispatch', 'burst');
    expect(b.code).toBe(2);
    expect(b.err).toBe('wxdp bench: --dispatch is an option of bench forward, not udp\n');
  });
});

describe('wxdp bench micro', () => {
  it('--quick --json: ring ops, program call and map ops, each with its baseline', async () => {
    const r = await cli('bench', 'micro', '--quick', '--json');
    expect(r.code, r.err).toBe(0);
    const rows = JSON.parse(r.out).micro as { name: string; nsPerOp: number; baselineNsPerOp: number }[];
    expect(rows.map((x) => x.name.split(' ')[0])).toEqual(['ring', 'xdp_drop', 'hash', 'hash']);
    for (const x of rows) expect(x.nsPerOp > 0 && x.baselineNsPerOp > 0, x.name).toBe(true);
  }, 120_000);
});

describe('wxdp bench verifier', () => {
  it('--json --only synthetic: the 1,000-instruction parser verifies, with the kernel beside it when available', async () => {
    const r = await cli('bench', 'verifier', '--quick', '--json', '--only', 'synthetic');
    expect(r.code, r.err).toBe(0);
    const rows = JSON.parse(r.out).verifier as { program: string; insns: number; processed: number; wxdpMs: number }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]!.program).toBe('synthetic_parser_1000');
    expect(rows[0]!.insns).toBeGreaterThanOrEqual(990);
    expect(rows[0]!.processed).toBeGreaterThanOrEqual(rows[0]!.insns);
    expect(rows[0]!.wxdpMs).toBeGreaterThan(0);
  }, 120_000);

  it.skipIf(!kernelAvailability().ok)('beside the kernel (root): its processed count and time, and the same verdict, per program', async () => {
    const r = await cli('bench', 'verifier', '--quick', '--json', '--only', 'xdp_lb');
    expect(r.code, r.err).toBe(0);
    const rows = JSON.parse(r.out).verifier as { program: string; kernelProcessed: number | null; kernelMs: number | null; wxdpAccepted: boolean; kernelAccepted: boolean | null }[];
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.kernelProcessed, row.program).toBeGreaterThan(0);
      expect(row.kernelMs, row.program).toBeGreaterThan(0);
      expect(row.kernelAccepted, row.program).toBe(row.wxdpAccepted);
    }
  }, 120_000);

  it('a warm time is the best of more verifications while they take little (V8 optimises a path after it has run): at least 3, at most 400', async () => {
    const r = await cli('bench', 'verifier', '--json', '--only', 'synthetic');
    expect(r.code, r.err).toBe(0);
    const [row] = JSON.parse(r.out).verifier as { program: string; wxdpReps: number; wxdpMs: number }[];
    expect(row!.program).toBe('synthetic_parser_1000');
    // a few ms a verification: the 250 ms budget holds more than 3 (400 at most) unless the machine is
    // so loaded that even the best one took 10 ms or more
    expect(row!.wxdpReps).toBeGreaterThanOrEqual(3);
    if (row!.wxdpMs < 10) expect(row!.wxdpReps).toBeGreaterThan(3);
    expect(row!.wxdpReps).toBeLessThanOrEqual(400);
  }, 120_000);

  it('--only names a row by its program too (OBJ:PROG holds it): that program alone, not its object\'s others', async () => {
    // programs/xdp_tcpopt.o's program is loop_tcpopt: the file name does not hold it
    const r = await cli('bench', 'verifier', '--quick', '--json', '--only', 'loop_tcpopt');
    expect(r.code, r.err).toBe(0);
    expect((JSON.parse(r.out).verifier as { program: string }[]).map((x) => x.program)).toEqual(['xdp_tcpopt:loop_tcpopt']);
  }, 120_000);

  it('--max-entries / --global configure the objects that have them, on both sides (programs/xdp_config: max_entries 0 until set)', async () => {
    const r = await cli('bench', 'verifier', '--quick', '--json', '--only', 'xdp_config', '--max-entries', 'rx_cnt=2', '--max-entries', 'seen=16', '--global', 'nr_cpus=2');
    expect(r.code, r.err).toBe(0);
    const [row] = JSON.parse(r.out).verifier as { program: string; processed: number; wxdpAccepted: boolean; kernelAccepted: boolean | null; kernelProcessed: number | null }[];
    expect(row).toMatchObject({ program: 'xdp_config:xdp_config', wxdpAccepted: true });
    // nr_cpus 2 makes the counting path live: more than the 0-CPU program's few instructions
    expect(row!.processed).toBeGreaterThan(50);
    if (kernelAvailability().ok) expect([row!.kernelAccepted, row!.kernelProcessed! > 50]).toEqual([true, true]);
    const none = await cli('bench', 'verifier', '--quick', '--only', 'xdp_config', '--global', 'nope=1');
    expect([none.code, none.err.split('\n').at(-2)]).toEqual([2, "wxdp bench: no object measured has 'nope' (--max-entries / --global)"]);
    const other = await cli('bench', 'micro', '--max-entries', 'rx_cnt=2');
    expect([other.code, other.err]).toEqual([2, 'wxdp bench: --object, --max-entries, --global, --kconfig and --type are options of bench verifier, not micro\n']);
  }, 120_000);

  it('.kconfig is filled in and frozen as a load does, and --kconfig FILE sets it on both sides (fixtures/kconfig_branch: a branch on a weak CONFIG_ bool)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxdp-bench-kconfig-'));
    try {
      const obj = fileURLToPath(new URL('fixtures/kconfig_branch.o', import.meta.url));
      const kconfig = join(dir, 'config');
      writeFileSync(kconfig, 'CONFIG_WXDP_BENCH_PARSE=y\n');
      const run = async (...extra: string[]) => {
        const r = await cli('bench', 'verifier', '--quick', '--json', '--only', 'kconfig_branch', '--object', obj, ...extra);
        expect(r.code, r.err).toBe(0);
        return (JSON.parse(r.out).verifier as { processed: number; kernelProcessed: number | null }[])[0]!;
      };
      // unset (weak: 0): the value is a constant, the parse is dead code — 5 insns (ld_imm64, load, branch,
      // mov, exit); unfrozen, the verifier walked the parse as well (255)
      const off = await run();
      expect(off.processed).toBe(5);
      const on = await run('--kconfig', kconfig);
      expect(on.processed).toBeGreaterThan(100);
      if (kernelAvailability().ok) expect([off.kernelProcessed, on.kernelProcessed]).toEqual([off.processed, on.processed]);
      const none = await cli('bench', 'verifier', '--quick', '--only', 'xdp_lb', '--kconfig', kconfig);
      expect([none.code, none.err.split('\n').at(-2)]).toEqual([2, 'wxdp bench: no object measured has __kconfig externs (--kconfig)']);
      const missing = await cli('bench', 'verifier', '--quick', '--only', 'kconfig_branch', '--kconfig', join(dir, 'nope'));
      expect([missing.code, missing.err]).toEqual([2, `wxdp bench: --kconfig: cannot read '${join(dir, 'nope')}': ENOENT\n`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('a program wxdp does not load is reported so, not verified as XDP; --type TYPE sets every program\'s type on both sides (fixtures/odd_section: SEC("xdp_swap"))', async () => {
    const obj = fileURLToPath(new URL('fixtures/odd_section.o', import.meta.url));
    const rowOf = async (...extra: string[]) => {
      const r = await cli('bench', 'verifier', '--quick', '--json', '--only', 'odd_section', '--object', obj, ...extra);
      expect(r.code, r.err).toBe(0);
      return (JSON.parse(r.out).verifier as { program: string; processed: number; wxdpAccepted: boolean; unsupported?: string; kernelProcessed: number | null }[])[0]!;
    };
    const plain = await rowOf();
    expect(plain).toMatchObject({ program: 'odd_section:swap_macs', wxdpAccepted: false, unsupported: "program type unspec (section 'xdp_swap' names none libbpf knows) is not supported by wxdp" });
    const table = await cli('bench', 'verifier', '--quick', '--only', 'odd_section', '--object', obj);
    expect(table.out).toMatch(/^odd_section:swap_macs .* wxdp: not supported/m);
    const typed = await rowOf('--type', 'xdp');
    expect(typed.unsupported).toBeUndefined();
    expect(typed.wxdpAccepted).toBe(true);
    if (kernelAvailability().ok) expect(typed.kernelProcessed).toBe(typed.processed);
  }, 120_000);

  it.skipIf(!kernelAvailability().ok)('an --object whose maps are pinned by name (LIBBPF_PIN_BY_NAME) leaves nothing in /sys/fs/bpf', async () => {
    const pin = '/sys/fs/bpf/wxdp_bench_pinned_counts';
    rmSync(pin, { force: true });
    const r = await cli('bench', 'verifier', '--quick', '--json', '--only', 'pinned_map', '--object', fileURLToPath(new URL('fixtures/pinned_map.o', import.meta.url)));
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).verifier[0]).toMatchObject({ program: 'pinned_map:pinned_count', kernelAccepted: true, wxdpAccepted: true });
    expect(existsSync(pin)).toBe(false);
  }, 120_000);

  it('the table for one object names each of its programs', async () => {
    const r = await cli('bench', 'verifier', '--quick', '--only', 'xdp_tailcall');
    expect(r.code, r.err).toBe(0);
    for (const p of ['xdp_dispatch', 'xdp_ipv4', 'xdp_ipv6', 'xdp_tcp', 'xdp_udp']) expect(r.out).toMatch(new RegExp(`^xdp_tailcall:${p} +\\d+ +\\d+ `, 'm'));
    expect(r.out).toMatch(/target: ≤ 50 ms to verify a 1,000-instruction program — not measured/);
  }, 120_000);

  it('a program of 100k+ processed insns is also verified cold (first in a fresh process), against the 1 s / 100 MB target', async () => {
    const r = await cli('bench', 'verifier', '--quick', '--only', 'xdp_parse');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^xdp_parse:xdp_parse +\d+ +\d{6} +.* \d+ +\d+ /m);
    expect(r.out).toMatch(/^target: xdp_parse:xdp_parse \(\d{6} processed\) in ≤ 1 s and ≤ 100 MB — warm \d+ ms, cold \d+ ms, \d+ MB: (met|NOT met)$/m);
    const j = await cli('bench', 'verifier', '--quick', '--json', '--only', 'xdp_pass_drop');
    const rows = JSON.parse(j.out).verifier as { processed: number; coldMs: number | null }[];
    for (const row of rows) expect(row.coldMs).toBeNull(); // small programs: no child process
  }, 120_000);
});

describe('wxdp bench workers', () => {
  it('--quick --json --only xdp_drop: main thread, one and two workers, with the ratios, over draws in fresh processes', async () => {
    const r = await cli('bench', 'workers', '--quick', '--json', '--only', 'xdp_drop');
    expect(r.code, r.err).toBe(0);
    const rows = JSON.parse(r.out).workers as Array<Record<string, number | string>>;
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row).toMatchObject({ program: 'xdp_drop', frameSize: 64 });
    for (const k of ['mainMpps', 'oneWorkerMpps', 'twoWorkersMpps']) expect(row[k], k).toBeGreaterThan(0);
    // three draws, each measured by its own child process; each ratio the median of the draws' (the middle
    // one of three), their spread the lowest and highest draw
    type Ratios = { pid: number; sharedOverUnshared: number; scaling: number; sharedOverUnsharedCpu: number | null; scalingCpu: number | null };
    const d = row as unknown as { draws: number; perDraw: Ratios[]; spread: Record<string, [number, number] | null> };
    expect(d.draws).toBe(3);
    expect(d.perDraw).toHaveLength(3);
    const pids = new Set(d.perDraw.map((p) => p.pid));
    expect(pids.size).toBe(3);
    expect(pids.has(process.pid)).toBe(false);
    const middle = (k: keyof Ratios) => d.perDraw.map((p) => p[k] as number).sort((a, b) => a - b)[1];
    const ends = (k: keyof Ratios) => {
      const v = d.perDraw.map((p) => p[k] as number);
      return [Math.min(...v), Math.max(...v)];
    };
    expect(row.sharedOverUnshared).toBe(middle('sharedOverUnshared'));
    expect(row.scaling).toBe(middle('scaling'));
    expect(d.spread.sharedOverUnshared).toEqual(ends('sharedOverUnshared'));
    expect(d.spread.scaling).toEqual(ends('scaling'));
    if (d.perDraw[0]!.sharedOverUnsharedCpu !== null) {
      expect((row as unknown as { sharedOverUnsharedCpu: number }).sharedOverUnsharedCpu).toBe(middle('sharedOverUnsharedCpu'));
      expect(d.spread.sharedOverUnsharedCpu).toEqual(ends('sharedOverUnsharedCpu'));
    }
    // the targets' verdicts: by CPU time when measured, else wall; xdp_drop is a row the scaling target names
    const t = (row as unknown as { targets: { sharing: boolean; scaling: boolean | null } }).targets;
    const c = row as unknown as { sharedOverUnsharedCpu: number | null; scalingCpu: number | null };
    expect(t.sharing).toBe((c.sharedOverUnsharedCpu ?? (row.sharedOverUnshared as number)) >= 0.95);
    expect(t.scaling).toBe((c.scalingCpu ?? (row.scaling as number)) >= 1.9);
    // medians of interleaved windows, the load they ran under, and the figures by each thread's CPU time
    expect(row.repeats).toBe(3);
    expect(row.load).toHaveLength(2);
    const r2 = rows[0] as unknown as { mainMppsCpu: number | null; oneWorkerMppsCpu: number | null; twoWorkersMppsCpu: number | null; scalingCpu: number | null; onCpu: Record<string, number | null> };
    if (r2.mainMppsCpu !== null) {
      expect(r2.scalingCpu).toBe(middle('scalingCpu'));
      for (const v of Object.values(r2.onCpu)) expect(v).toBeGreaterThan(0);
    }
    // the kernel's own 2-CPU scaling of the program (root, bpftool, taskset), or why it is missing
    const k = (rows[0] as unknown as { kernel: { aloneNs: number; togetherNs: number; scaling: number } | { why: string } }).kernel;
    if ('why' in k) expect(k.why.length).toBeGreaterThan(0);
    else {
      expect(k.aloneNs).toBeGreaterThan(0);
      expect(k.scaling).toBeCloseTo((2 * k.aloneNs) / k.togetherNs, 6);
    }
  }, 120_000);

  it('--only that names no workers row is a usage error (exit 2), nothing run', async () => {
    const r = await cli('bench', 'workers', '--only', 'nosuch');
    expect(r.code).toBe(2);
    expect(r.err).toBe("wxdp bench: --only 'nosuch' matches no workers row: nothing ran\n");
  });
});

describe('the benches\' host facts (bench/rate.ts)', () => {
  it('hugePageMode reads the bracketed mode of a transparent_hugepage/enabled file; null without one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxdp-thp-'));
    try {
      const f = join(dir, 'enabled');
      for (const [text, mode] of [['always [madvise] never\n', 'madvise'], ['[always] madvise never\n', 'always'], ['always madvise [never]\n', 'never']] as const) {
        writeFileSync(f, text);
        expect(hugePageMode(f)).toBe(mode);
      }
      expect(hugePageMode(join(dir, 'missing'))).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hugePageNote says which page size wasm memory gets: the mode, and under madvise whether the addon advised it', () => {
    expect(hugePageNote('always')).toBe('transparent huge pages: always (wasm memory on 2 MiB pages)');
    expect(hugePageNote('never')).toBe('transparent huge pages: never (wasm memory on 4 KiB pages)');
    expect(hugePageNote('madvise', { mode: 'madvise', addon: 'built', advised: true, why: null })).toMatch(/^transparent huge pages: madvise \(wasm memory on 2 MiB pages: advised by the native addon; WXDP_HUGEPAGES=0/);
    expect(hugePageNote('madvise', { mode: 'madvise', addon: 'absent (not built)', advised: false, why: 'native addon not built' }))
      .toBe('transparent huge pages: madvise (wasm memory on 4 KiB pages: native addon not built; the native addon or `always` gives it 2 MiB pages)');
    expect(hugePageNote(null)).toBe('transparent huge pages: unknown');
  });
});
