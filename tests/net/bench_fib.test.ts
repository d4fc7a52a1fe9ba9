// bench/fib.ts: the table generators keep the shapes they cite (DPDK's per-depth counts, the BGP length
// histogram, the IPv6 mean length), and `wxdp bench fib --quick --json` reports a row per engine with
// the kernel's bpf_fib_lookup either measured on the same destinations (same hit count as wxdp) or
// skipped with its reason.

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bgpRoutes, dpdkRoutes, formatFibTable, tableMakers, v6Routes, type FibRow } from '../../bench/fib.js';
import { main } from '../../src/cli/main.js';

const haveWasm = existsSync(new URL('../../build/fastpath.wasm', import.meta.url));

describe('bench/fib table generators', () => {
  it('dpdkRoutes(1) has test_lpm_routes.c\'s rule counts per depth (1,076,801 rules, 466,549 class C /24s)', () => {
    const routes = dpdkRoutes(1);
    expect(routes.length).toBe(1_076_801);
    const depth = (d: number): number => routes.filter(([, len]) => len === d).length;
    expect(depth(24)).toBe(77578 + 39771 + 466549);
    expect(depth(32)).toBe(66 + 200 + 716);
    // Class C rules start with bits 110.
    expect(routes.filter(([a, len]) => len === 24 && a >>> 29 === 0b110).length).toBe(466549);
    // no host bits set past the length (counted, then one assertion: a million expect() calls took 50 s)
    let hostBits = 0;
    for (const [a, len] of routes) if (len !== 32 && (a & (2 ** (32 - len) - 1)) !== 0) hostBits++;
    expect(hostBits).toBe(0);
  });

  it('bgpRoutes follows the cited length histogram (/24 ≈ 59.6 %) and nests prefixes in shorter ones', () => {
    const routes = bgpRoutes(20000);
    const share = (l: number): number => routes.filter(([, len]) => len === l).length / routes.length;
    expect(share(24)).toBeCloseTo(117227 / 196738, 2);
    expect(share(22)).toBeCloseTo(22947 / 196738, 2);
    const keys = new Set(routes.map(([a, len]) => `${a}/${len}`));
    expect(keys.size).toBe(routes.length);
    // Some /24s sit inside a shorter announced prefix (a more-specific), as in real tables.
    const short = routes.filter(([, len]) => len <= 20);
    const nested = routes.filter(([a, len]) => len === 24 && short.some(([b, l]) => ((a ^ b) >>> (32 - l)) === 0)).length;
    expect(nested).toBeGreaterThan(routes.length * 0.1);
  });

  it('v6Routes is /32–/48 heavy with a mean length near 43, under 2000::/3', () => {
    const routes = v6Routes(20000);
    const mean = routes.reduce((s, [, len]) => s + len, 0) / routes.length;
    expect(mean).toBeGreaterThan(41.5);
    expect(mean).toBeLessThan(44.5);
    expect(routes.filter(([, len]) => len === 48).length / routes.length).toBeGreaterThan(0.4);
    for (const [b] of routes) expect(b[0]! >> 5).toBe(1);
  });

  it('--only picks tables by name or by family word', () => {
    expect(tableMakers(true, 'bgp').map((m) => m.name)).toEqual(['bgp-50k']);
    expect(tableMakers(false).map((m) => m.name)).toEqual(['dpdk-1M', 'bgp-1M', 'ipv6-200k']);
  });
});

describe.skipIf(!haveWasm)('wxdp bench fib', () => {
  it('--quick --json gives wxdp (LPM and the data path\'s bpf_fib_lookup), kernel, DIR-24-8 and JS Map rows for an IPv4 table', async () => {
    let out = '';
    let err = '';
    const code = await main(['bench', 'fib', '--quick', '--json', '--only', 'bgp'], { out: (s) => (out += s), err: (s) => (err += s) });
    expect(code, err).toBe(0);
    const j = JSON.parse(out) as { quick: boolean; rows: FibRow[] };
    expect(j.quick).toBe(true);
    expect(j.rows.map((r) => r.engine)).toEqual(['wxdp lpm4 (Poptrie)', 'wxdp bpf_fib_lookup', 'kernel bpf_fib_lookup', 'DIR-24-8 in JS', 'JS Map per length']);
    const [w, f, k] = j.rows;
    expect(w).toMatchObject({ table: 'bgp-50k', prefixes: 49999, traffic: 'inside prefixes' });
    expect(w!.mlps).toBeGreaterThan(0);
    expect(w!.nsPerLookup).toBeCloseTo(1e3 / w!.mlps!, 6);
    expect(w!.structureMiB).toBeGreaterThan(0);
    expect(w!.rulesMiB).toBeGreaterThan(0);
    expect(w!.updatesPerSec).toBeGreaterThan(0);
    // Every destination lies inside an announced prefix.
    expect(w!.hits).toBe(1 << 18);
    // The data path's whole lookup (bpf_fib_lookup, DIRECT | SKIP_NEIGH) on a Datapath's FIB holding the
    // same table: SUCCESS for every one (the BGP table leaves out 127.0.0.0/8, which table local shadows)
    expect(f).toMatchObject({ table: 'bgp-50k', engine: 'wxdp bpf_fib_lookup' });
    expect(f!.mlps).toBeGreaterThan(0);
    expect(f!.nsPerLookup).toBeCloseTo(1e3 / f!.mlps!, 6);
    expect(f!.hits).toBe(1 << 18);
    if (k!.mlps === null) {
      expect(k!.note).toMatch(/^not measured: /);
    } else {
      // The kernel answered the same destinations from the same table: every one is routed.
      expect(k!.note).toMatch(/same \d+ hits as wxdp \(127\.0\.0\.0\/8 aside\); same \d+ SUCCESS as wxdp bpf_fib_lookup/);
      expect(k!.hits).toBeGreaterThan(0);
      expect(k!.updatesPerSec).toBeGreaterThan(0);
    }
  });

  it('prints a table with ratios to the wxdp row, and IPv6 rows without the IPv4-only baselines', async () => {
    let out = '';
    const code = await main(['bench', 'fib', '--quick', '--only', 'ipv6', '--no-kernel'], { out: (s) => (out += s), err: () => {} });
    expect(code).toBe(0);
    expect(out).toMatch(/^table\s+prefixes\s+engine\s+M lookups\/s\s+ns\/lookup\s+vs wxdp\s+MiB\s+rules MiB\s+build ms\s+updates\/s$/m);
    expect(out).toMatch(/^ipv6-10k\s+10000\s+wxdp lpm6 \(Poptrie\)\s+[\d.]+\s+[\d.]+\s+1\.00x/m);
    expect(out).not.toMatch(/DIR-24-8/);
  });

  it('--huge-pages both: the LPM rows on 2 MiB and on 4 KiB pages, same answers, timed in interleaved rounds; a bad value is refused', async () => {
    let out = '';
    let err = '';
    const code = await main(['bench', 'fib', '--quick', '--json', '--no-kernel', '--only', 'bgp', '--huge-pages', 'both'], { out: (s) => (out += s), err: (s) => (err += s) });
    expect(code, err).toBe(0);
    const j = JSON.parse(out) as { hugePages: { advised: boolean }; rows: FibRow[] };
    expect(j.rows.map((r) => r.engine)).toEqual(['wxdp lpm4, 2 MiB pages', 'wxdp lpm4, 4 KiB pages']);
    for (const r of j.rows) expect(r.mlps).toBeGreaterThan(0);
    // the advised side says so with what smaps shows (or why not); the baseline is never advised
    expect(j.rows[0]!.note).toMatch(j.hugePages.advised ? /^advised, \d+ of \d+ MiB resident on 2 MiB pages; median of 4 interleaved rounds.*per round [\d.]+–[\d.]+×, median [\d.]+×$/ : /^not advised: /);
    expect(j.rows[0]!.note).not.toMatch(/ANSWERS DIFFER/);
    expect(j.rows[1]!.note).toMatch(/^not advised \(hugePages: false\), \d+ of \d+ MiB/);
    err = '';
    expect(await main(['bench', 'fib', '--quick', '--huge-pages', 'maybe'], { out: () => undefined, err: (s) => (err += s) })).toBe(2);
    expect(err).toBe("wxdp bench: --huge-pages 'maybe': on, off or both\n");
  }, 120_000);

  it('--only refuses a name that picks no table before anything runs (exit 2; --json: a USAGE error)', async () => {
    let out = '';
    let err = '';
    expect(await main(['bench', 'fib', '--quick', '--only', 'no-such-table'], { out: (s) => (out += s), err: (s) => (err += s) })).toBe(2);
    expect(err).toBe("wxdp bench: --only 'no-such-table' matches no fib table (dpdk-54k, bgp-50k, ipv6-10k): nothing ran\n");
    expect(out).toBe('');
    // the full run's names are not the quick run's
    err = '';
    expect(await main(['bench', 'fib', '--quick', '--only', 'bgp-1M'], { out: () => undefined, err: (s) => (err += s) })).toBe(2);
    expect(err).toMatch(/matches no fib table/);
    out = '';
    expect(await main(['bench', 'fib', '--quick', '--json', '--only', 'no-such-table'], { out: (s) => (out += s), err: () => undefined })).toBe(2);
    expect(JSON.parse(out).error).toEqual({ code: 'USAGE', message: "--only 'no-such-table' matches no fib table (dpdk-54k, bgp-50k, ipv6-10k): nothing ran" });
  });

  it('formatFibTable shows — for what a row did not measure', () => {
    const base = { table: 't', prefixes: 1, traffic: 'x', hits: null, rulesMiB: null, buildMs: null, updatesPerSec: null, structureMiB: null };
    const text = formatFibTable([
      { ...base, engine: 'wxdp lpm4 (Poptrie)', mlps: 100, nsPerLookup: 10, note: '' },
      { ...base, engine: 'kernel bpf_fib_lookup', mlps: null, nsPerLookup: null, note: 'not measured: not root' },
    ]);
    expect(text).toMatch(/kernel bpf_fib_lookup\s+—\s+—\s+—/);
    expect(text).toContain('t / kernel bpf_fib_lookup: not measured: not root');
  });
});
