// Classic pcap: files written out by hand from the format (draft-ietf-opsawg-pcap) in both byte orders
// and both timestamp resolutions, the writer's output field by field, round trips, and malformed input.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WxdpError } from '../../src/errors.js';
import { CaptureWriter, LINKTYPE_ETHERNET, readPcap, writePcap } from '../../src/pcap/index.js';
import { expectOnlyPcapErrors, expectPcapError, hex } from './fixtures.js';

const LE_US = hex(`
  d4 c3 b2 a1   # magic a1b2c3d4, little-endian: microseconds
  02 00 04 00   # version 2.4
  00 00 00 00   # thiszone
  00 00 00 00   # sigfigs
  ff ff 00 00   # snaplen 65535
  01 00 00 00   # LINKTYPE_ETHERNET
  # record 1
  01 00 00 00   # 1 s
  20 a1 07 00   # 500000 us
  04 00 00 00   # captured 4
  3c 00 00 00   # original 60
  de ad be ef
  # record 2
  0a 00 00 00   # 10 s
  00 00 00 00   # 0 us
  02 00 00 00   # captured 2
  02 00 00 00   # original 2
  ca fe
`);

const BE_NS = hex(`
  a1 b2 3c 4d   # magic a1b23c4d, big-endian: nanoseconds
  00 02 00 04   # version 2.4
  00 00 00 00  00 00 00 00
  00 00 04 00   # snaplen 1024
  10 00 00 01   # link type 1 with FCS bits set above the low 16
  00 00 00 02   # 2 s
  07 5b cd 15   # 123456789 ns
  00 00 00 03   # captured 3
  00 00 00 03   # original 3
  01 02 03
`);

describe('readPcap() on classic pcap', () => {
  it('reads a little-endian microsecond file written by hand', () => {
    const c = readPcap(LE_US);
    expect(c.format).toBe('pcap');
    expect(c.resolution).toBe('us');
    expect(c.linktype).toBe(LINKTYPE_ETHERNET);
    expect(c.snaplen).toBe(65535);
    expect(c.packets).toEqual([
      { data: hex('deadbeef'), timestampNs: 1_500_000_000n, origLen: 60 },
      { data: hex('cafe'), timestampNs: 10_000_000_000n, origLen: 2 },
    ]);
  });

  it('reads a big-endian nanosecond file written by hand and keeps only the link type of the link-type field', () => {
    const c = readPcap(BE_NS);
    expect(c.resolution).toBe('ns');
    expect(c.linktype).toBe(1);
    expect(c.snaplen).toBe(1024);
    expect(c.packets).toEqual([{ data: hex('010203'), timestampNs: 2_123_456_789n, origLen: 3 }]);
  });

  it('returns copies, as plain Uint8Arrays, when given a Buffer', () => {
    const buf = Buffer.from(LE_US);
    const c = readPcap(buf);
    expect(Object.getPrototypeOf(c.packets[0]!.data)).toBe(Uint8Array.prototype);
    buf.fill(0);
    expect(c.packets[0]!.data).toEqual(hex('deadbeef'));
  });

  it('reads a header-only file as an empty capture', () => {
    expect(readPcap(LE_US.slice(0, 24)).packets).toEqual([]);
  });
});

describe('writePcap()', () => {
  it('writes the little-endian microsecond header and records field by field', () => {
    const out = writePcap([{ data: hex('aabbcc'), timestampNs: 3_000_004_999n, origLen: 64 }]);
    expect(out).toEqual(
      hex(`
        d4 c3 b2 a1  02 00 04 00  00 00 00 00  00 00 00 00
        00 00 04 00  # snaplen 262144
        01 00 00 00
        03 00 00 00  # 3 s
        04 00 00 00  # 4 us (4999 ns truncated)
        03 00 00 00  40 00 00 00
        aa bb cc`),
    );
  });

  it('cuts packets at the snap length and keeps their original length', () => {
    const c = readPcap(writePcap([{ data: new Uint8Array(100).fill(7) }], { snaplen: 64 }));
    expect(c.snaplen).toBe(64);
    expect(c.packets[0]!.data.length).toBe(64);
    expect(c.packets[0]!.origLen).toBe(100);
  });

  it('round-trips any packets (timestamps at microsecond precision)', () => {
    const packet = fc.record({
      data: fc.uint8Array({ maxLength: 300 }),
      timestampNs: fc.bigInt({ min: 0n, max: 0xffffffffn * 1_000_000_000n }).map((t) => t - (t % 1000n)),
    });
    fc.assert(
      fc.property(fc.array(packet, { maxLength: 20 }), (packets) => {
        const c = readPcap(writePcap(packets));
        expect(c.packets).toEqual(packets.map((p) => ({ ...p, origLen: p.data.length })));
      }),
      { numRuns: 200 },
    );
  });

  it('streams the same bytes through CaptureWriter as writePcap writes at once', () => {
    const packets = [{ data: hex('01') }, { data: hex('0203'), timestampNs: 5 }];
    const chunks: Uint8Array[] = [];
    const w = new CaptureWriter((c) => chunks.push(c), { format: 'pcap' });
    for (const p of packets) w.write(p);
    expect(w.count).toBe(2);
    expect(chunks.length).toBe(3);
    expect(Buffer.concat(chunks)).toEqual(Buffer.from(writePcap(packets)));
  });

  it('refuses a timestamp before the epoch', () => {
    expect(() => writePcap([{ data: hex('00'), timestampNs: -1n }])).toThrow(WxdpError);
  });
});

describe('readPcap() rejects malformed classic pcap with the byte offset', () => {
  it('rejects a file too short for a magic', () => {
    expectPcapError(() => readPcap(hex('d4c3')), 0, /too short/);
  });
  it('rejects an unknown magic', () => {
    expectPcapError(() => readPcap(hex('00112233 44556677')), 0, /neither a pcap nor a pcapng magic/);
  });
  it('rejects a truncated file header', () => {
    expectPcapError(() => readPcap(LE_US.slice(0, 20)), 20, /file header truncated \(20 of 24/);
  });
  it('rejects a version other than 2', () => {
    const b = LE_US.slice();
    b[4] = 3;
    expectPcapError(() => readPcap(b), 4, /unsupported version 3\.4/);
  });
  it('rejects a truncated record header', () => {
    expectPcapError(() => readPcap(LE_US.slice(0, 24 + 10)), 24, /record header truncated \(10 of 16/);
  });
  it('rejects truncated packet data', () => {
    expectPcapError(() => readPcap(LE_US.slice(0, 24 + 16 + 3)), 40, /packet data truncated \(3 of 4/);
  });
  it('rejects a captured length beyond the snap length', () => {
    const b = BE_NS.slice();
    b.set([0x00, 0x10, 0x00, 0x00], 24 + 8); // 1 MiB captured, snaplen 1024
    expectPcapError(() => readPcap(b), 32, /captured length 1048576 exceeds the snap length 1024/);
  });
  it('rejects a microsecond fraction of a second or more', () => {
    const b = LE_US.slice();
    b.set([0x40, 0x42, 0x0f, 0x00], 28); // 1000000 us
    expectPcapError(() => readPcap(b), 28, /fraction 1000000/);
  });
  it('never throws anything but PcapError on corrupted or cut files', () => {
    expectOnlyPcapErrors(writePcap([{ data: new Uint8Array(70).fill(1) }, { data: new Uint8Array(3) }]));
  });

});
