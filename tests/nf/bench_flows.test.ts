// `wxdp bench flows` runs and reports its rows: with tiny flow counts and windows (no timing is asserted,
// only that every row measured something, the flows were forwarded and the flowtable rows were hits), the
// table's and --json's shape, and an --only matching no row refused.

import { describe, expect, it } from 'vitest';
import { flowsRowLabel, formatFlowsTable, runFlowsBench, selectFlowsRows } from '../../bench/flows.js';
import { main } from '../../src/cli/main.js';
import { stackUnready } from '../net/support.js';

const unready = await stackUnready();

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe.skipIf(unready !== '')('wxdp bench flows', () => {
  it('every row with tiny sizes: forwarded, the flowtable rows all hits, ratios to the baseline', async () => {
    const rows = await runFlowsBench({ flowCounts: [1, 300], seconds: 0.05 });
    expect(rows.map(flowsRowLabel)).toEqual([
      'forward (baseline)', 'flowtable 1', 'conntrack 1', 'flowtable 300', 'conntrack 300', 'new conns', 'churn 10000', 'bidir 1', 'bidir 300',
      'forward6 (baseline)', 'flowtable6 1', 'flowtable6 300', 'bidir6 1', 'bidir6 300',
    ]);
    for (const r of rows) {
      expect(r.note, flowsRowLabel(r)).toBeUndefined();
      expect(r.nsPerPacket, flowsRowLabel(r)).toBeGreaterThan(0);
      expect(r.forwarded, flowsRowLabel(r)).toBe(1);
    }
    expect(rows.filter((r) => r.path === 'flowtable').map((r) => r.hits)).toEqual([1, 1]);
    expect(rows.filter((r) => r.path === 'flowtable6').map((r) => r.hits)).toEqual([1, 1]);
    expect(rows.filter((r) => r.path === 'flowtable6').every((r) => r.vsForward! > 0)).toBe(true);
    // both ways: every frame of either direction a hit, each row with its family's baseline's ratio
    expect(rows.filter((r) => r.path === 'bidir' || r.path === 'bidir6').map((r) => [r.hits, r.vsForward! > 0])).toEqual(
      [[1, true], [1, true], [1, true], [1, true]],
    );
    expect(rows.find((r) => r.path === 'forward6')!.vsForward).toBeNull();
    expect(rows.filter((r) => r.path === 'conntrack').map((r) => r.hits)).toEqual([null, null]);
    expect(rows[0]!.vsForward).toBeNull();
    expect(rows.slice(1, 5).every((r) => r.vsForward! > 0)).toBe(true);
    expect(rows.filter((r) => r.connsPerSec !== null).map((r) => r.path)).toEqual(['new conns', 'churn']);
    const table = formatFlowsTable(rows);
    expect(table).toMatch(/^row +Mpps +ns\/pkt +harness ns +data path ns +data path Mpps +vs forward +forwarded +hits +conns\/s +target \(data path\)/);
    expect(table).toMatch(/^flowtable 300 +[\d.]+ .* 100\.0% +100\.0% +- +≥ 25: (met|NOT met)/m);
  }, 120_000);

  it('--only picks rows by label (an exact label only itself) with the baseline, or none', () => {
    const c = [1, 10_000];
    expect(selectFlowsRows('flowtable 1', c).map(flowsRowLabel)).toEqual(['forward (baseline)', 'flowtable 1']);
    expect(selectFlowsRows('conntrack', c).map(flowsRowLabel)).toEqual(['forward (baseline)', 'conntrack 1', 'conntrack 10000']);
    expect(selectFlowsRows('flowtable6 1', c).map(flowsRowLabel)).toEqual(['forward6 (baseline)', 'flowtable6 1']);
    expect(selectFlowsRows('flowtable 1,flowtable6', c).map(flowsRowLabel)).toEqual(
      ['forward (baseline)', 'flowtable 1', 'forward6 (baseline)', 'flowtable6 1', 'flowtable6 10000'],
    );
    expect(selectFlowsRows('bidir', c).map(flowsRowLabel)).toEqual(
      ['forward (baseline)', 'bidir 1', 'bidir 10000', 'forward6 (baseline)', 'bidir6 1', 'bidir6 10000'],
    );
    expect(selectFlowsRows('nope', c)).toEqual([]);
  });

  it('the CLI: --json holds the rows; an --only matching nothing is refused', async () => {
    const r = await cli('bench', 'flows', '--quick', '--json', '--only', 'flowtable 1');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.flows.map((x: { path: string; flows: number }) => [x.path, x.flows])).toEqual([['forward', 0], ['flowtable', 1]]);
    expect(Object.keys(j.flows[1]).sort()).toEqual(
      ['anonHugePagesMiB', 'connsPerSec', 'dataPathMpps', 'dataPathNs', 'flows', 'forwarded', 'harnessNs', 'hits', 'mpps', 'nsPerPacket', 'path', 'rssMiB', 'target', 'vsForward'],
    );
    // the row's memory as smaps tells it: MiB resident, and of them on 2 MiB pages (its address comes from the
    // native addon: without it, as on a machine with no compiler, both are 0)
    expect(j.flows[1].anonHugePagesMiB).toBeLessThanOrEqual(j.flows[1].rssMiB);
    if (j.hugePages.addon === 'built') expect(j.flows[1].rssMiB).toBeGreaterThan(0);
    else expect([j.flows[1].rssMiB, j.flows[1].anonHugePagesMiB]).toEqual([0, 0]);
    const bad = await cli('bench', 'flows', '--only', 'nope');
    expect([bad.code, bad.err]).toEqual([2, "wxdp bench: --only 'nope' matches no flows row: nothing ran\n"]);
  }, 120_000);
});
