// bench/udp_deliver.ts (the delivery-to-JS rows of `wxdp bench udp`): a quick run gives the three rows
// with figures, the ratios over node:dgram's row, and a table naming the target. No speed is asserted.

import { describe, expect, it } from 'vitest';
import { formatUdpDeliverTable, runUdpDeliverBench } from '../../bench/udp_deliver.js';

describe('bench/udp_deliver', () => {
  it('measures node:dgram, then dp.udp through message and receiveBatch, each over the baseline', async () => {
    const rows = await runUdpDeliverBench({ quick: true });
    expect(rows.map((r) => r.row)).toEqual(['node:dgram on loopback (baseline)', "dp.udp 'message'", 'dp.udp receiveBatch']);
    for (const r of rows) {
      expect(r.note).toBeUndefined();
      expect(r.nsPerDatagram).toBeGreaterThan(0);
      expect(r.mpps).toBeCloseTo(1000 / r.nsPerDatagram!, 6);
    }
    expect(rows[0]!.ratio).toBeNull();
    expect(rows[2]!.ratio).toBeCloseTo(rows[0]!.nsPerDatagram! / rows[2]!.nsPerDatagram!, 6);
    const table = formatUdpDeliverTable(rows);
    expect(table.split('\n')[0]).toMatch(/^row +M\/s +ns\/dgram +× node +target +note/);
    expect(table).toMatch(/dp\.udp receiveBatch .*≥ 10×: (met|NOT met)/);
  }, 120_000);
});
