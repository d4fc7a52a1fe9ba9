// bench/udp.ts (`wxdp bench udp`): the rows a quick run gives and the table they print (no timed
// assertions: speed is the bench's to report).

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatUdpDemuxTable, runUdpDemuxBench, udpDemuxSpecs } from '../../bench/udp.js';

const wasm = existsSync(new URL('../../build/fastpath.wasm', import.meta.url));

describe.skipIf(!wasm)('bench/udp', () => {
  it('the full run has 10, 10k, 60k and 100k (reuseport 16) rows beside the baseline', () => {
    expect(udpDemuxSpecs(false).map((s) => [s.sockets, s.group, s.consume ?? false])).toEqual([
      [10, 1, true], [10, 1, false], [10_000, 1, false], [60_000, 1, false], [100_000, 16, false],
    ]);
  });

  it('a quick run: every row measured, every datagram delivered to a queue, L4 ns against the baseline', async () => {
    const rows = await runUdpDemuxBench({ quick: true });
    expect(rows.map((r) => r.row)).toEqual(['baseline: stack, no L4', '10 sockets', '10k sockets', '10k sockets, reuseport 16']);
    for (const r of rows) {
      expect(r.note, r.row).toBeUndefined();
      expect(r.nsPerPacket, r.row).toBeGreaterThan(0);
      expect(r.delivered, r.row).toBe(1);
    }
    expect(rows[0]!.l4Ns).toBeNull();
    for (const r of rows.slice(1)) expect(r.l4Ns, r.row).not.toBeNull();
    const table = formatUdpDemuxTable(rows);
    expect(table.split('\n')[0]).toMatch(/^row\s+sockets\s+Mpps\s+ns\/pkt\s+L4 ns\s+delivered\s+target\s+note/);
    expect(table).toMatch(/≥ 25 Mpps: (met|NOT met)/);
  }, 300_000);
});
