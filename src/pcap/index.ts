// Captures in and out: classic pcap and pcapng, read with the format detected from the first bytes,
// written whole (writePcap / writePcapng) or packet by packet to a sink (CaptureWriter), e.g.
//
//   const w = new CaptureWriter((chunk) => stream.write(chunk), { format: 'pcapng' });
//   for (const frame of frames) w.write({ data: frame, timestampNs: process.hrtime.bigint() });

import { WxdpError } from '../errors.js';
import { type Capture, type PacketToWrite, PcapError, type ReadOptions } from './packet.js';
import { DEFAULT_SNAPLEN, isPcap, pcapFileHeader, pcapRecord, readClassicPcap, type PcapWriteOptions } from './pcap.js';
import { concat, isPcapng, pcapngEnhancedPacket, pcapngHeader, readPcapng, type PcapngWriteOptions } from './pcapng.js';

export { LINKTYPE_ETHERNET, PcapError, type Capture, type CapturedPacket, type CaptureInterface, type PacketToWrite, type ReadOptions } from './packet.js';
export { convertible, linktypeName, toEthernet, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6, type Converted } from './linktype.js';
export { PCAP_MAGIC_NS, PCAP_MAGIC_US, type PcapWriteOptions } from './pcap.js';
export type { PcapngInterfaceOptions, PcapngWriteOptions } from './pcapng.js';

/**
 * Parse a classic pcap (either byte order, µs or ns) or pcapng capture. Throws PcapError (PCAP_INVALID);
 * with keepTruncated, a file that ends inside a packet gives the packets before it and `truncated`.
 */
export function readPcap(input: Uint8Array, opts: ReadOptions = {}): Capture {
  // A plain Uint8Array view: a Buffer's slice() would share memory and return Buffers.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (isPcapng(bytes)) return readPcapng(bytes, opts);
  if (isPcap(bytes)) return readClassicPcap(bytes, opts);
  throw new PcapError('pcap', 0, bytes.length < 4 ? `file of ${bytes.length} bytes is too short for a magic` : 'neither a pcap nor a pcapng magic');
}

export type CaptureWriterOptions = ({ format: 'pcap' } & PcapWriteOptions) | ({ format: 'pcapng' } & PcapngWriteOptions);

/** Writes a capture chunk by chunk: the header when constructed, then one chunk per packet. */
export class CaptureWriter {
  readonly format: 'pcap' | 'pcapng';
  private readonly sink: (chunk: Uint8Array) => void;
  private readonly snaplens: number[];
  /** Packets written so far. */
  count = 0;

  constructor(sink: (chunk: Uint8Array) => void, opts: CaptureWriterOptions = { format: 'pcap' }) {
    this.sink = sink;
    this.format = opts.format;
    if (opts.format === 'pcap') {
      this.snaplens = [opts.snaplen ?? DEFAULT_SNAPLEN];
      sink(pcapFileHeader(opts));
    } else {
      this.snaplens = (opts.interfaces ?? [{}]).map((i) => i.snaplen ?? DEFAULT_SNAPLEN);
      sink(pcapngHeader(opts));
    }
  }

  write(p: PacketToWrite): void {
    if (this.format === 'pcap') {
      this.sink(pcapRecord(p, this.snaplens[0]));
    } else {
      const id = p.interfaceId ?? 0;
      const snaplen = this.snaplens[id];
      if (snaplen === undefined) throw new WxdpError('USAGE', `pcapng: interface id ${id} but the section has ${this.snaplens.length} interface(s)`);
      this.sink(pcapngEnhancedPacket(p, snaplen));
    }
    this.count++;
  }
}

function writeAll(packets: Iterable<PacketToWrite>, opts: CaptureWriterOptions): Uint8Array {
  const parts: Uint8Array[] = [];
  const w = new CaptureWriter((c) => parts.push(c), opts);
  for (const p of packets) w.write(p);
  return concat(parts);
}

/** A classic pcap file: little-endian, microsecond timestamps, LINKTYPE_ETHERNET unless told. */
export function writePcap(packets: Iterable<PacketToWrite>, opts: PcapWriteOptions = {}): Uint8Array {
  return writeAll(packets, { format: 'pcap', ...opts });
}

/** A pcapng file: one section, its interfaces (default one Ethernet), one Enhanced Packet Block per packet. */
export function writePcapng(packets: Iterable<PacketToWrite>, opts: PcapngWriteOptions = {}): Uint8Array {
  return writeAll(packets, { format: 'pcapng', ...opts });
}
