// bench/udp.ts (`wxdp bench udp`): a quick run's rows — the demux delivers every generated datagram to
// a socket queue without a receive-buffer drop, the JS rows count what reached JavaScript, the send
// rows what left by the TX ring — the table, and the --json shape. Figures are not judged: speed is the
// bench's business; the tests check what each row counts and that the ratios are the rows' quotients.

import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { demuxLabel, formatUdpTable, runUdpBench, udpOnlyMatches, type UdpBenchResult } from '../../bench/udp.js';
import { main } from '../../src/cli/main.js';

const wasm = existsSync(new URL('../../build/fastpath.wasm', import.meta.url));

describe.skipIf(!wasm)('wxdp bench udp', () => {
  let r: UdpBenchResult;
  beforeAll(async () => {
    r = await runUdpBench({ quick: true });
  }, 300_000);

  it('demuxes to queues of 10 / 10k / 100k sockets in reuseport groups of 16, with and without XDP_PASS, beside XDP_DROP and the stack without L4', () => {
    expect(r.demux.map(demuxLabel)).toEqual([
      'xdp drop (baseline)',
      'stack without L4 (baseline)',
      'stack 10 sockets', 'stack+pass 10 sockets',
      'stack 10k sockets', 'stack+pass 10k sockets',
      'stack 100k sockets', 'stack+pass 100k sockets',
      'stack v6 without L4 (baseline)',
      'stack v6 10 sockets', 'stack v6 10k sockets', 'stack v6 100k sockets',
    ]);
    expect(r.demux.map((x) => [x.sockets, x.ports, x.group])).toEqual([
      [0, 6250, 0], [10, 1, 10], [10, 1, 10], [10, 1, 10], [10_000, 625, 16], [10_000, 625, 16], [100_000, 6250, 16], [100_000, 6250, 16],
      [10, 1, 10], [10, 1, 10], [10_000, 625, 16], [100_000, 6250, 16],
    ]);
    const [drop, noL4, noL4v6] = [r.demux[0]!, r.demux[1]!, r.demux[8]!];
    expect(noL4v6.mpps).toBeGreaterThan(0);
    expect([noL4v6.delivered, noL4v6.l4Ns, noL4v6.target, noL4v6.note]).toEqual([null, null, null, undefined]);
    expect(drop.mpps).toBeGreaterThan(0);
    expect(drop.delivered).toBeNull();
    expect(noL4.mpps).toBeGreaterThan(0);
    expect([noL4.delivered, noL4.l4Ns, noL4.target, noL4.note]).toEqual([null, null, null, undefined]);
    for (const row of r.demux.slice(2).filter((x) => x !== noL4v6)) {
      expect(row.note, demuxLabel(row)).toBeUndefined(); // no Udp:RcvbufErrors, nothing lost
      expect(row.delivered).toBe(1); // every generated frame was taken off a socket queue by the reader
      expect(row.mpps! * row.nsPerPacket!).toBeCloseTo(1000, 6);
      expect(row.readerNs).toBeGreaterThan(0);
      expect(row.generatorNs).toBeGreaterThan(0);
      expect(row.dataPathNs).toBeCloseTo(Math.max(row.nsPerPacket! - row.generatorNs!, 0.1), 9);
      expect(row.dataPathMpps! * row.dataPathNs!).toBeCloseTo(1000, 6);
      expect(row.ofXdpOnly).toBeCloseTo(row.dataPathMpps! / drop.dataPathMpps!, 9);
      // each family's L4 over its own stack without L4
      expect(row.l4Ns).toBeCloseTo(row.dataPathNs! - (row.path === 'stack v6' ? noL4v6 : noL4).dataPathNs!, 9);
      expect(row.target).toBe(25);
    }
  });

  it("counts datagrams reaching JavaScript through 'message', receiveBatch (into arrays and into a MessageBatch) and the async iterator, beside node:dgram", () => {
    expect(r.toJs.map((x) => x.path)).toEqual(["'message'", 'receiveBatch', 'receiveBatch into', 'async iterator', 'node:dgram']);
    const node = r.toJs[4]!;
    expect(node.datagramsPerSec).toBeGreaterThan(0);
    expect(node.delivered).toBeGreaterThan(0); // the kernel may drop what the receiver cannot keep up with
    expect(node.delivered).toBeLessThanOrEqual(1);
    for (const row of r.toJs.slice(0, 4)) {
      expect(row.note, row.path).toBeUndefined();
      expect(row.delivered, row.path).toBe(1); // every generated datagram reached JavaScript
      expect(row.vsNodeDgram).toBeCloseTo(row.datagramsPerSec! / node.datagramsPerSec!, 9);
    }
    expect(r.toJs.map((x) => x.target)).toEqual([null, 10, 10, null, null]);
  });

  it('sends through udp_sendmsg (connected, unconnected) and socket.send, every datagram out of the TX ring, beside node:dgram', () => {
    expect(r.send.map((x) => x.path)).toEqual(['udp_sendmsg connected', 'udp_sendmsg unconnected', 'socket.send connected', 'node:dgram send']);
    const node = r.send[3]!;
    expect(node.mpps).toBeGreaterThan(0);
    expect(node.vsNodeDgram).toBe(1);
    for (const row of r.send.slice(0, 3)) {
      expect(row.note, row.path).toBeUndefined();
      expect(row.transmitted, row.path).toBe(1);
      expect(row.vsNodeDgram).toBeCloseTo(row.mpps! / node.mpps!, 9);
    }
  });

  it('prints three tables with the targets judged', () => {
    const t = formatUdpTable(r);
    expect(t).toMatch(/^demux row +groups × size +Mpps +ns\/pkt +generator ns +data path ns +data path Mpps +L4 ns +reader ns\/dgram +delivered +of XDP-only +target \(data path\) +note$/m);
    expect(t).toMatch(/^xdp drop \(baseline\) +- +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +n\/a +n\/a +n\/a +n\/a$/m);
    expect(t).toMatch(/^stack without L4 \(baseline\) +- +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +n\/a +n\/a +n\/a +[\d.]+$/m);
    expect(t).toMatch(/^stack 100k sockets +6250 × 16 +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +-?[\d.]+ +[\d.]+ +100\.0% +[\d.]+ +≥ 25: (met|NOT met)$/m);
    expect(t).toMatch(/^to JS +datagrams\/s +delivered +vs node:dgram +target +note$/m);
    expect(t).toMatch(/^receiveBatch +[\d,]+ +100\.0% +[\d.]+× +≥ 10×: (met|NOT met)$/m);
    expect(t).toMatch(/^node:dgram +[\d,]+ +[\d.]+% +1\.0×$/m);
    expect(t).toMatch(/^send +Mpps +ns\/dgram +transmitted +vs node:dgram +note$/m);
    expect(t).toMatch(/^udp_sendmsg unconnected +[\d.]+ +[\d.]+ +100\.0% +[\d.]+×$/m);
  });
});

describe.skipIf(!wasm)('the wxdp bench udp command', () => {
  it('--json prints the parts under "udp"; --only picks a part', async () => {
    let out = '';
    let err = '';
    const code = await main(['bench', 'udp', '--quick', '--json', '--only', 'send'], { out: (s) => (out += s), err: (s) => (err += s) });
    expect(code, err).toBe(0);
    const j = JSON.parse(out) as { udp: UdpBenchResult };
    expect(Object.keys(j.udp)).toEqual(['demux', 'toJs', 'send']);
    expect(j.udp.demux).toEqual([]);
    expect(j.udp.toJs).toEqual([]);
    expect(j.udp.send.map((x) => Object.keys(x).sort())).toEqual(Array(4).fill(['mpps', 'nsPerDatagram', 'path', 'transmitted', 'vsNodeDgram']));
  }, 120_000);

  it('prints the table and its legend; names udp in the usage line', async () => {
    let out = '';
    let err = '';
    expect(await main(['bench', 'udp', '--quick', '--only', 'stack 10 sockets'], { out: (s) => (out += s), err: (s) => (err += s) })).toBe(0);
    expect(out).toMatch(/^wxdp udp bench — /);
    expect(out).toMatch(/^xdp drop \(baseline\) /m);
    expect(out).toMatch(/^stack without L4 \(baseline\) /m);
    expect(out).toMatch(/^stack 10 sockets +1 × 10 /m);
    expect(out).not.toMatch(/^stack\+pass /m);
    expect(out).not.toMatch(/^stack v6 /m); // IPv6's baseline only beside an IPv6 row
    expect(out).toContain("of XDP-only: data path Mpps ÷ XDP_DROP's");
    err = '';
    expect(await main(['bench', 'udpx'], { out: () => undefined, err: (s) => (err += s) })).toBe(2);
    expect(err).toMatch(/usage: wxdp bench \[.*\|udp\|.*\]/);
  }, 120_000);
});

describe('wxdp bench udp --only', () => {
  it('takes a part or a piece of a demux row\'s label, and nothing else', () => {
    for (const name of ['demux', 'js', 'send', 'stack 10 sockets', '100k', 'stack+pass', 'xdp drop', 'stack v6', 'v6 10k']) expect(udpOnlyMatches(name), name).toBe(true);
    for (const name of ['no-such-row', 'Stack', 'sockets 10', 'jss']) expect(udpOnlyMatches(name), name).toBe(false);
  });

  it('refuses a name that picks no row before anything runs (exit 2; --json: a USAGE error)', async () => {
    let out = '';
    let err = '';
    expect(await main(['bench', 'udp', '--quick', '--only', 'no-such-row'], { out: (s) => (out += s), err: (s) => (err += s) })).toBe(2);
    expect(err).toMatch(/--only 'no-such-row' matches no udp row: nothing ran/);
    expect(err).not.toMatch(/xdp drop|node:dgram/); // not even a baseline was measured
    out = '';
    expect(await main(['bench', 'udp', '--quick', '--json', '--only', 'no-such-row'], { out: (s) => (out += s), err: () => undefined })).toBe(2);
    expect(JSON.parse(out).error.code).toBe('USAGE');
  });
});
