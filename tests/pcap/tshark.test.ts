// Interoperability with Wireshark's tools, when they are installed: tshark reads what wxdp writes
// (packet count, captured and original lengths, timestamps), and wxdp reads what editcap writes.
// Without tshark the tests are skipped and say why.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readPcap, writePcap, writePcapng, type PacketToWrite } from '../../src/pcap/index.js';

function tool(name: string): boolean {
  try {
    execFileSync(name, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const haveTshark = tool('tshark');
const haveEditcap = tool('editcap');
const why = haveTshark ? '' : ' (skipped: tshark is not installed; `apt-get install -y tshark` enables it)';

const dir = mkdtempSync(join(tmpdir(), 'wxdp-pcap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const packets: PacketToWrite[] = [60, 64, 128, 512, 1514, 9000, 14].map((len, i) => ({
  data: Uint8Array.from({ length: len }, (_, j) => (i * 31 + j) & 0xff),
  timestampNs: 1_700_000_000_000_000_000n + BigInt(i) * 1_234_567n,
  ...(i === 1 ? { comment: 'second packet' } : {}),
}));

/** Per packet: captured length, original length, epoch time as tshark prints it. */
function tsharkFields(file: string): string[][] {
  const out = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.cap_len', '-e', 'frame.len', '-e', 'frame.time_epoch'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out.trim().split('\n').map((l) => l.split('\t'));
}

/** tshark's frame.time_epoch text (seconds, 9 decimals, or an ISO date in newer versions) as ns. */
function epochNs(text: string): bigint {
  const m = /^(\d+)\.(\d{1,9})$/.exec(text);
  if (m) return BigInt(m[1]!) * 1_000_000_000n + BigInt(m[2]!.padEnd(9, '0'));
  return BigInt(Date.parse(text)) * 1_000_000n;
}

describe.skipIf(!haveTshark)(`tshark reads the captures wxdp writes${why}`, () => {
  it.each([
    ['pcap', 1000n],
    ['pcapng', 1n],
  ] as const)('%s: packet count, lengths and timestamps', (format, unitNs) => {
    const file = join(dir, `out.${format}`);
    writeFileSync(file, format === 'pcap' ? writePcap(packets, { snaplen: 4096 }) : writePcapng(packets, { interfaces: [{ name: 'eth0', snaplen: 4096 }] }));
    const rows = tsharkFields(file);
    expect(rows.length).toBe(packets.length);
    rows.forEach(([cap, len, time], i) => {
      const p = packets[i]!;
      expect(Number(cap)).toBe(Math.min(p.data.length, 4096));
      expect(Number(len)).toBe(p.data.length);
      const t = p.timestampNs as bigint;
      const got = epochNs(time!);
      // Date.parse keeps milliseconds only; the numeric form is exact.
      const tol = time!.includes('-') ? 1_000_000n : 0n;
      expect(got - (t - (t % unitNs)) <= tol && (t - (t % unitNs)) - got <= tol, `${time} vs ${t}`).toBe(true);
    });
  });
});

describe.skipIf(!haveEditcap)(`wxdp reads the captures editcap writes${haveEditcap ? '' : ' (skipped: editcap is not installed)'}`, () => {
  it.each(['pcapng', 'nsecpcap', 'pcap'])('editcap -F %s', (fmt) => {
    const src = join(dir, 'src.pcap');
    const dst = join(dir, `dst.${fmt}`);
    writeFileSync(src, writePcap(packets));
    execFileSync('editcap', ['-F', fmt, src, dst], { stdio: 'ignore' });
    const c = readPcap(readFileSync(dst));
    expect(c.format).toBe(fmt === 'pcapng' ? 'pcapng' : 'pcap');
    expect(c.packets.map((p) => p.data)).toEqual(packets.map((p) => p.data));
    expect(c.packets.map((p) => p.timestampNs)).toEqual(packets.map((p) => (p.timestampNs as bigint) - ((p.timestampNs as bigint) % 1000n)));
  });
});
