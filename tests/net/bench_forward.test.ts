// bench/forward.ts (`wxdp bench forward`): the table it builds, and the shape of its rows on a quick run.

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatForwardTable, forwardPrefixes, rowLabel, runForwardBench, selectRows } from '../../bench/forward.js';
import { main } from '../../src/cli/main.js';
import { kernelAvailability } from '../../src/oracle/kernel.js';
import { netnsAvailability } from '../../src/oracle/netns.js';

const wasm = existsSync(new URL('../../build/fastpath.wasm', import.meta.url));
const routerObject = existsSync(new URL('../../programs/xdp_fib_forward.o', import.meta.url));
const kernel = kernelAvailability().ok && netnsAvailability('router').ok;

describe('the forwarding table', () => {
  it('is n distinct prefixes inside 1.0.0.0-126.255.255.255, deterministic for a seed', () => {
    const a = forwardPrefixes(20_000);
    expect(a).toHaveLength(20_000);
    expect(new Set(a.map((p) => `${p.addr}/${p.len}`)).size).toBe(20_000);
    for (const p of a) {
      expect(p.addr >>> 24).toBeGreaterThanOrEqual(1);
      expect(p.addr >>> 24).toBeLessThanOrEqual(126);
      // no host bits set
      expect(p.len === 32 || (p.addr & (0xffffffff >>> p.len)) === 0).toBe(true);
    }
    expect(forwardPrefixes(100)).toEqual(forwardPrefixes(100));
    expect(forwardPrefixes(100, 7)).not.toEqual(forwardPrefixes(100));
  });

  it('has a BGP-like length mix: /24 the most common (about 60%), then /22 and /23', () => {
    const a = forwardPrefixes(20_000);
    const share = (len: number) => a.filter((p) => p.len === len).length / a.length;
    expect(share(24)).toBeGreaterThan(0.55);
    expect(share(24)).toBeLessThan(0.65);
    expect(share(22)).toBeGreaterThan(0.09);
    expect(share(23)).toBeGreaterThan(0.07);
  });
});

describe('wxdp bench forward --only', () => {
  it('picks the row of an exact label, else the rows whose label holds it (comma-separated), with the baseline', () => {
    expect(selectRows('stack').map(rowLabel)).toEqual(['xdp drop (baseline)', 'stack']);
    expect(selectRows('rules 10').map(rowLabel)).toEqual(['xdp drop (baseline)', 'stack rules 10', 'stack+pass rules 10', 'xdp router rules 10', 'stack rules 100', 'stack+pass rules 100', 'xdp router rules 100']);
    expect(selectRows('ecmp 16,xdp router rules 1').map(rowLabel)).toEqual(['xdp drop (baseline)', 'xdp router rules 1', 'stack ecmp 16', 'stack+pass ecmp 16', 'xdp router ecmp 16']);
    expect(selectRows('xdp drop').map(rowLabel)).toEqual(['xdp drop (baseline)']);
    expect(selectRows(undefined)).toHaveLength(1 + 6 * 3 + 1);
    expect(selectRows('ipv6').map(rowLabel)).toEqual(['xdp drop (baseline)', 'stack ipv6']);
    expect(selectRows('no-such-row')).toEqual([]);
  });

  it('refuses a name that picks no row before anything runs (exit 2; --json: a USAGE error)', async () => {
    let out = '';
    let err = '';
    expect(await main(['bench', 'forward', '--quick', '--only', 'no-such-row'], { out: (s) => (out += s), err: (s) => (err += s) })).toBe(2);
    expect(err).toMatch(/--only 'no-such-row' matches no forward row: nothing ran/);
    expect(err).not.toMatch(/xdp drop|kernel:/); // not even the baseline, nor the kernel's table
    out = '';
    expect(await main(['bench', 'forward', '--quick', '--json', '--only', 'no-such-row'], { out: (s) => (out += s), err: () => undefined })).toBe(2);
    expect(JSON.parse(out).error.code).toBe('USAGE');
  });
});

describe.skipIf(!wasm)('bench/forward', () => {
  it('labels rows by path, rules and ECMP', () => {
    expect(rowLabel({ path: 'stack', rules: 0, ecmp: 1 })).toBe('stack');
    expect(rowLabel({ path: 'stack+pass', rules: 10, ecmp: 1 })).toBe('stack+pass rules 10');
    expect(rowLabel({ path: 'xdp router', rules: 0, ecmp: 16 })).toBe('xdp router ecmp 16');
    expect(rowLabel({ path: 'xdp drop', rules: 0, ecmp: 1 })).toBe('xdp drop (baseline)');
  });

  it('measures the XDP_DROP baseline and one row, with the kernel beside it when it can be asked', async () => {
    const rows = await runForwardBench({ quick: true, only: 'xdp router', prefixes: 2000 });
    expect(rows.map(rowLabel)).toEqual(['xdp drop (baseline)', 'xdp router']);
    const [drop, router] = rows as [(typeof rows)[0], (typeof rows)[0]];
    expect(drop.mpps).toBeGreaterThan(0);
    expect(drop.nsPerPacket! * drop.mpps!).toBeCloseTo(1000, 6);
    expect(router.prefixes).toBe(2000);
    // Every generated frame leaves eth1 through the XDP router (bpf_fib_lookup, bpf_redirect).
    expect(router.mpps).toBeGreaterThan(0);
    expect(router.forwarded).toBeGreaterThan(0.99);
    expect(router.ofXdpOnly).toBeCloseTo(router.mpps! / drop.mpps!, 6);
    if (kernel && routerObject) {
      expect(router.kernelNsPerRun).toBeGreaterThan(0);
      expect(router.vsKernel).toBeCloseTo(router.nsPerPacket! / router.kernelNsPerRun!, 6);
      expect(router.note ?? '').not.toMatch(/kernel verdicts/); // every sample frame redirected
    } else {
      expect(router.kernelNsPerRun).toBeNull();
      expect(router.note).toMatch(/kernel:/);
    }
    // the harness (generator, JavaScript calls) is a part of each row's time; the data path is the rest
    for (const r of rows) {
      expect(r.harnessNs).toBeGreaterThan(0);
      expect(r.dataPathNs).toBeCloseTo(Math.max(r.nsPerPacket! - r.harnessNs!, 0.1), 6);
      expect(r.dataPathMpps! * r.dataPathNs!).toBeCloseTo(1000, 6);
    }
    const table = formatForwardTable(rows);
    expect(table).toMatch(/^row +prefixes +Mpps +ns\/pkt +harness ns +data path ns +data path Mpps +forwarded +kernel ns\/run +vs kernel +of XDP-only +target \(data path\) +2 MiB pages +note/);
    // the router row's memory: MiB on 2 MiB pages of MiB resident (smaps), after its rounds
    expect(table).toMatch(/^xdp router .* \d+ of \d+ MiB/m);
    expect(table).toMatch(/^xdp drop \(baseline\) +- +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +0\.0%/m);
  }, 120_000);

  it('wxdp bench forward --json prints the rows under "forward"', async () => {
    let out = '';
    let err = '';
    const code = await main(['bench', 'forward', '--quick', '--json', '--only', 'stack rules 100'], { out: (s) => (out += s), err: (s) => (err += s) });
    expect(code, err).toBe(0);
    const j = JSON.parse(out) as { forward: Array<{ path: string; rules: number; ecmp: number; prefixes: number; mpps: number; forwarded: number }> };
    expect(j.forward.map((r) => [r.path, r.rules, r.ecmp, r.prefixes])).toEqual([
      ['xdp drop', 0, 1, 0],
      ['stack', 100, 1, 10_000],
    ]);
    // The stack forwards every frame past 100 rules that do not match.
    expect(j.forward[1]!.mpps).toBeGreaterThan(0);
    expect(j.forward[1]!.forwarded).toBeGreaterThan(0.99);
  }, 120_000);
});
