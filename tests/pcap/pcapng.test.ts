// pcapng: files written out by hand from the format (draft-ietf-opsawg-pcapng) — both byte orders,
// if_tsresol in powers of 10 and of 2, Enhanced, Simple and obsolete Packet Blocks, unknown blocks,
// several sections — the writer's blocks, round trips, and malformed input.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CaptureWriter, readPcap, writePcapng } from '../../src/pcap/index.js';
import { expectOnlyPcapErrors, expectPcapError, hex } from './fixtures.js';

const SHB_LE = `
  0a 0d 0d 0a  1c 00 00 00   # SHB, 28 bytes
  4d 3c 2b 1a                # byte-order magic: little-endian
  01 00 00 00                # version 1.0
  ff ff ff ff ff ff ff ff    # section length unknown
  1c 00 00 00`;

const LE_FILE = hex(`
  ${SHB_LE}
  01 00 00 00  20 00 00 00   # IDB, 32 bytes
  01 00 00 00                # LINKTYPE_ETHERNET, reserved
  00 04 00 00                # snaplen 1024
  09 00 01 00  06 00 00 00   # if_tsresol = 6 (microseconds)
  00 00 00 00                # opt_endofopt
  20 00 00 00
  99 00 00 00  10 00 00 00   # a block type this reader does not know, 16 bytes
  aa bb cc dd
  10 00 00 00
  06 00 00 00  34 00 00 00   # EPB, 52 bytes
  00 00 00 00                # interface 0
  00 00 00 00  60 e3 16 00   # timestamp 1500000 us
  05 00 00 00  40 00 00 00   # captured 5, original 64
  01 02 03 04  05 00 00 00   # data, padded
  01 00 02 00  68 69 00 00   # opt_comment "hi"
  00 00 00 00
  34 00 00 00
  03 00 00 00  14 00 00 00   # SPB, 20 bytes
  03 00 00 00                # original 3
  0a 0b 0c 00
  14 00 00 00
`);

const BE_THEN_LE = hex(`
  0a 0d 0d 0a  00 00 00 1c   # SHB, big-endian
  1a 2b 3c 4d  00 01 00 00
  ff ff ff ff ff ff ff ff
  00 00 00 1c
  00 00 00 01  00 00 00 28   # IDB, 40 bytes (options end with the block, no opt_endofopt)
  00 01 00 00  00 00 00 00   # LINKTYPE_ETHERNET, snaplen 0 (no limit)
  00 09 00 01  83 00 00 00   # if_tsresol = 0x83: units of 2^-3 s
  00 0e 00 08                # if_tsoffset = 100 s
  00 00 00 00 00 00 00 64
  00 00 00 28
  00 00 00 06  00 00 00 24   # EPB, 36 bytes, no options
  00 00 00 00
  00 00 00 00  00 00 00 0b   # 11 units = 1.375 s
  00 00 00 04  00 00 00 04
  ca fe ba be
  00 00 00 24
  00 00 00 02  00 00 00 24   # obsolete Packet Block, 36 bytes
  00 00 00 00                # interface 0, drops 0
  00 00 00 00  00 00 00 10   # 16 units = 2 s
  00 00 00 02  00 00 00 05   # captured 2, original 5
  ab cd 00 00
  00 00 00 24
  ${SHB_LE}
  01 00 00 00  14 00 00 00   # IDB, 20 bytes, no options (microseconds)
  69 00 00 00  ff ff 00 00   # LINKTYPE_IEEE802_11 (105), snaplen 65535
  14 00 00 00
  06 00 00 00  24 00 00 00   # EPB in the second section: interface 0 is the 802.11 one
  00 00 00 00
  01 00 00 00  00 00 00 00   # 2^32 us
  04 00 00 00  04 00 00 00
  11 22 33 44
  24 00 00 00
`);

describe('readPcap() on pcapng', () => {
  it('reads a little-endian file written by hand: IDB with if_tsresol, an unknown block skipped, EPB with a comment, SPB', () => {
    const c = readPcap(LE_FILE);
    expect(c.format).toBe('pcapng');
    expect(c.linktype).toBe(1);
    expect(c.snaplen).toBe(1024);
    expect(c.interfaces).toEqual([{ linktype: 1, snaplen: 1024, unitsPerSecond: 1_000_000n, tsOffsetSeconds: 0n }]);
    expect(c.packets).toEqual([
      { data: hex('0102030405'), timestampNs: 1_500_000_000n, origLen: 64, interfaceId: 0, comment: 'hi' },
      { data: hex('0a0b0c'), timestampNs: 0n, origLen: 3, interfaceId: 0 },
    ]);
  });

  it('reads a big-endian section (binary if_tsresol, if_tsoffset, obsolete Packet Block) then a little-endian one', () => {
    const c = readPcap(BE_THEN_LE);
    expect(c.interfaces.map((i) => [i.linktype, i.snaplen, i.unitsPerSecond, i.tsOffsetSeconds])).toEqual([
      [1, 0, 8n, 100n],
      [105, 65535, 1_000_000n, 0n],
    ]);
    expect(c.packets).toEqual([
      { data: hex('cafebabe'), timestampNs: 101_375_000_000n, origLen: 4, interfaceId: 0 },
      { data: hex('abcd'), timestampNs: 102_000_000_000n, origLen: 5, interfaceId: 0 },
      { data: hex('11223344'), timestampNs: 2n ** 32n * 1000n, origLen: 4, interfaceId: 0 },
    ]);
  });

  it('cuts a Simple Packet Block at the interface snap length', () => {
    const b = hex(`
      ${SHB_LE}
      01 00 00 00  14 00 00 00  01 00 00 00  02 00 00 00  14 00 00 00   # IDB, snaplen 2
      03 00 00 00  14 00 00 00  09 00 00 00  aa bb 00 00  14 00 00 00   # SPB, original 9
    `);
    expect(readPcap(b).packets).toEqual([{ data: hex('aabb'), timestampNs: 0n, origLen: 9, interfaceId: 0 }]);
  });
});

describe('writePcapng()', () => {
  it('writes SHB, IDB (if_tsresol = 9) and EPBs with and without comments, field by field', () => {
    const out = writePcapng(
      [
        { data: hex('aabbcc'), timestampNs: 0x1_0000_0002n, origLen: 60, comment: 'x' },
        { data: hex('dd'), timestampNs: 7 },
      ],
      { application: 't' },
    );
    expect(out).toEqual(
      hex(`
        0a 0d 0d 0a  28 00 00 00   # SHB, 40 bytes
        4d 3c 2b 1a  01 00 00 00  ff ff ff ff ff ff ff ff
        04 00 01 00  74 00 00 00   # shb_userappl "t"
        00 00 00 00
        28 00 00 00
        01 00 00 00  20 00 00 00   # IDB, 32 bytes
        01 00 00 00  00 00 04 00   # Ethernet, snaplen 262144
        09 00 01 00  09 00 00 00   # if_tsresol = 9
        00 00 00 00
        20 00 00 00
        06 00 00 00  30 00 00 00   # EPB, 48 bytes
        00 00 00 00  01 00 00 00  02 00 00 00
        03 00 00 00  3c 00 00 00
        aa bb cc 00
        01 00 01 00  78 00 00 00   # opt_comment "x"
        00 00 00 00
        30 00 00 00
        06 00 00 00  24 00 00 00   # EPB, 36 bytes, no options
        00 00 00 00  00 00 00 00  07 00 00 00
        01 00 00 00  01 00 00 00
        dd 00 00 00
        24 00 00 00`),
    );
  });

  it('round-trips packets, interfaces, names and comments at nanosecond precision', () => {
    const packet = fc.record(
      {
        data: fc.uint8Array({ maxLength: 300 }),
        timestampNs: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        interfaceId: fc.integer({ min: 0, max: 1 }),
        comment: fc.string({ maxLength: 10 }),
      },
      { requiredKeys: ['data', 'timestampNs', 'interfaceId'] },
    );
    fc.assert(
      fc.property(fc.array(packet, { maxLength: 20 }), (packets) => {
        const c = readPcap(writePcapng(packets, { interfaces: [{ name: 'eth0' }, { name: 'eth1', snaplen: 0 }], comment: 'section' }));
        expect(c.interfaces.map((i) => i.name)).toEqual(['eth0', 'eth1']);
        expect(c.packets).toEqual(packets.map((p) => ({ ...p, origLen: p.data.length })));
      }),
      { numRuns: 200 },
    );
  });

  it('streams the same bytes through CaptureWriter and refuses an interface the section lacks', () => {
    const chunks: Uint8Array[] = [];
    const w = new CaptureWriter((c) => chunks.push(c), { format: 'pcapng' });
    w.write({ data: hex('01') });
    expect(Buffer.concat(chunks)).toEqual(Buffer.from(writePcapng([{ data: hex('01') }])));
    expect(() => w.write({ data: hex('01'), interfaceId: 1 })).toThrow(/interface id 1/);
  });
});

describe('readPcap() rejects malformed pcapng with the byte offset', () => {
  it('rejects a truncated Section Header Block', () => {
    expectPcapError(() => readPcap(LE_FILE.slice(0, 20)), 0, /Section Header Block truncated/);
  });
  it('rejects a Section Header Block whose length is below its minimum', () => {
    const b = LE_FILE.slice();
    b[4] = 0x10; // 16 (the fields of a SHB need 28), with the trailing copy where the version was
    b.set([0x10, 0, 0, 0], 12);
    expectPcapError(() => readPcap(b), 4, /Section Header Block of 16 bytes is shorter than its 28-byte minimum/);
  });
  it('rejects a bad byte-order magic', () => {
    const b = LE_FILE.slice();
    b[8] = 0;
    expectPcapError(() => readPcap(b), 8, /bad byte-order magic/);
  });
  it('rejects a block length that is not a multiple of 4', () => {
    const b = LE_FILE.slice();
    b[28 + 4] = 0x21;
    expectPcapError(() => readPcap(b), 32, /not a multiple of 4/);
  });
  it('rejects a block that runs past the end of the file', () => {
    expectPcapError(() => readPcap(LE_FILE.slice(0, 28 + 20)), 32, /runs past the end of the file \(20 left\)/);
  });
  it('rejects a trailing length that differs from the leading one', () => {
    const b = LE_FILE.slice();
    b[28 + 28] = 0x24;
    expectPcapError(() => readPcap(b), 56, /trailing block length 36 differs from the leading 32/);
  });
  it('rejects a packet on an interface the section has not described', () => {
    const b = LE_FILE.slice();
    b[28 + 32 + 16 + 8] = 1; // EPB interface id 1
    expectPcapError(() => readPcap(b), 84, /interface id 1 but the section has 1 interface$/);
  });
  it('rejects a captured length past the block', () => {
    const b = LE_FILE.slice();
    b[28 + 32 + 16 + 20] = 0x40;
    expectPcapError(() => readPcap(b), 96, /captured length 64 runs past the block's end/);
  });
  it('rejects an option longer than its block', () => {
    const b = LE_FILE.slice();
    b[28 + 32 + 16 + 36 + 2] = 0x20; // opt_comment of 32 bytes
    expectPcapError(() => readPcap(b), 112, /option 1 of 32 bytes runs past/);
  });
  it('rejects a Simple Packet Block longer than its block', () => {
    const b = LE_FILE.slice();
    b[LE_FILE.length - 12] = 9;
    expectPcapError(() => readPcap(b), LE_FILE.length - 12, /original length 9 .* holds 4 bytes/);
  });
  it('does not take a file that starts with another block for pcapng', () => {
    expectPcapError(() => readPcap(LE_FILE.slice(28)), 0, /neither a pcap nor a pcapng magic/);
  });
  it('never throws anything but PcapError on corrupted or cut files', () => {
    const good = writePcapng([{ data: new Uint8Array(70).fill(1), comment: 'c' }, { data: new Uint8Array(3) }], { interfaces: [{ name: 'x' }] });
    for (const base of [good, LE_FILE, BE_THEN_LE]) expectOnlyPcapErrors(base);
  });

});
