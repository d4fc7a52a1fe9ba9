// bench/pktgen.ts runs (one quick workload) and reports a consistent row, as a table and as JSON.

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatPktgenTable, pktgenBenchCommand, runPktgenBench } from '../../bench/pktgen.js';

const wasmPath = new URL('../../build/fastpath.wasm', import.meta.url);

describe.skipIf(!existsSync(wasmPath))('bench/pktgen', () => {
  it('measures the fill rate and the same-run JS baseline for a workload', async () => {
    const rows = await runPktgenBench({ quick: true, only: 'icmp4' });
    expect(rows.map((r) => r.workload)).toEqual(['icmp4 64B seq 1k']);
    const r = rows[0]!;
    expect(r.meanFrameBytes).toBe(60);
    expect(r.nsPerFrame).toBeGreaterThan(0);
    expect(r.mpps).toBeCloseTo(1e3 / r.nsPerFrame, 6);
    expect(r.speedupOverJsCopy).toBeCloseTo(r.jsCopyNsPerFrame / r.nsPerFrame, 6);
    expect(formatPktgenTable(rows)).toMatch(/^workload\s+bytes\s+ns\/frame\s+Mpps/);
  });

  it('prints JSON with --json', async () => {
    let out = '';
    const code = await pktgenBenchCommand(['--quick', '--json', '--only', 'icmp4'], { out: (s) => (out += s), err: () => {} });
    expect(code).toBe(0);
    const j = JSON.parse(out) as { burst: number; rows: { workload: string }[] };
    expect(j.burst).toBe(64);
    expect(j.rows.map((x) => x.workload)).toEqual(['icmp4 64B seq 1k']);
  });
});
