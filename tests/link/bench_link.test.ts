// bench/link.ts (`wxdp bench link`): a quick run has one row per path, both carrying traffic, and the
// table reads them.

import { describe, expect, it } from 'vitest';
import { formatLinkTable, linkBenchUnavailable, runLinkBench } from '../../bench/link.js';

const why = linkBenchUnavailable();
if (why) it.skip(`wxdp bench link unavailable: ${why}`, () => {});

describe.skipIf(why !== '')('bench/link', () => {
  it('measures wxdp and the kernel routing the same datagrams through VXLAN, in the same run', async () => {
    const rows = await runLinkBench({ seconds: 0.5, sizes: [64] });
    expect(rows.map((r) => [r.path, r.size])).toEqual([
      ['wxdp', 64],
      ['linux', 64],
    ]);
    for (const r of rows) {
      expect(r.sent).toBeGreaterThan(0);
      expect(r.received).toBeGreaterThan(0);
      expect(r.received).toBeLessThanOrEqual(r.sent);
    }
    const table = formatLinkTable(rows);
    expect(table).toMatch(/^path\s+bytes\s+sent\s+offered kpps\s+received\s+kpps/);
    expect(table).toMatch(/\nwxdp\s+64\s+\d+\s+[\d.]+\s+\d+\s+[\d.]+\s+[\d.]+\s+[\d.]+%\s+[\d.]+×/);
  }, 60_000);
});
