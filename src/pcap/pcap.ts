// Classic libpcap files (draft-ietf-opsawg-pcap): a 24-byte file header, then one 16-byte record header
// per packet followed by its captured bytes. The magic's byte order is the file's byte order; its
// value says whether the second timestamp field counts microseconds or nanoseconds.
//
//   file header                                  record header
//   0  u32 magic a1b2c3d4 (µs) / a1b23c4d (ns)   0  u32 seconds
//   4  u16 version major (2)  6 u16 minor (4)    4  u32 microseconds or nanoseconds
//   8  i32 thiszone (0)      12 u32 sigfigs (0)  8  u32 captured length
//   16 u32 snaplen           20 u32 link type   12  u32 original length
//                            (low 16 bits; the    16  captured bytes (no padding)
//                             rest: FCS flags)

import { WxdpError } from '../errors.js';
import { LINKTYPE_ETHERNET, PcapError, toNs, type Capture, type CapturedPacket, type PacketToWrite, type ReadOptions } from './packet.js';

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
const FILE_HEADER = 24;
const RECORD_HEADER = 16;
/** Wireshark's largest accepted record (WTAP_MAX_PACKET_SIZE_STANDARD); larger ones are corruption. */
export const PCAP_MAX_RECORD = 262144;
/** The snap length wxdp writes (the same, as tcpdump writes by default). */
export const DEFAULT_SNAPLEN = 262144;

/** Does `bytes` start with a classic pcap magic, in either byte order? */
export function isPcap(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, 4);
  for (const le of [true, false]) {
    const m = dv.getUint32(0, le);
    if (m === PCAP_MAGIC_US || m === PCAP_MAGIC_NS) return true;
  }
  return false;
}

export function readClassicPcap(bytes: Uint8Array, opts: ReadOptions = {}): Capture {
  const fail = (off: number, msg: string): never => {
    throw new PcapError('pcap', off, msg);
  };
  if (bytes.length < FILE_HEADER) fail(bytes.length, `file header truncated (${bytes.length} of ${FILE_HEADER} bytes)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le: boolean;
  let ns: boolean;
  const m = dv.getUint32(0, true);
  if (m === PCAP_MAGIC_US || m === PCAP_MAGIC_NS) {
    le = true;
    ns = m === PCAP_MAGIC_NS;
  } else {
    const mb = dv.getUint32(0, false);
    if (mb !== PCAP_MAGIC_US && mb !== PCAP_MAGIC_NS) return fail(0, `bad magic 0x${mb.toString(16).padStart(8, '0')}`);
    le = false;
    ns = mb === PCAP_MAGIC_NS;
  }
  const major = dv.getUint16(4, le);
  if (major !== 2) fail(4, `unsupported version ${major}.${dv.getUint16(6, le)} (expected 2.x)`);
  const snaplen = dv.getUint32(16, le);
  const linktype = dv.getUint32(20, le) & 0xffff;
  const unit = ns ? 1n : 1000n;
  const subMax = ns ? 1_000_000_000 : 1_000_000;
  const packets: CapturedPacket[] = [];
  let truncated: Capture['truncated'];
  // the file ends inside a record: the complete packets before it, when the caller keeps them
  const cut = (at: number, msg: string): void => {
    if (!opts.keepTruncated) fail(at, msg);
    truncated = { byteOffset: at, message: new PcapError('pcap', at, msg).message };
  };
  let off = FILE_HEADER;
  while (off < bytes.length) {
    if (bytes.length - off < RECORD_HEADER) {
      cut(off, `record header truncated (${bytes.length - off} of ${RECORD_HEADER} bytes)`);
      break;
    }
    const sec = dv.getUint32(off, le);
    const sub = dv.getUint32(off + 4, le);
    const incl = dv.getUint32(off + 8, le);
    const orig = dv.getUint32(off + 12, le);
    if (sub >= subMax) fail(off + 4, `timestamp fraction ${sub} is not below ${subMax}`);
    if (incl > Math.max(snaplen, PCAP_MAX_RECORD)) fail(off + 8, `captured length ${incl} exceeds the snap length ${snaplen}`);
    const data = off + RECORD_HEADER;
    if (incl > bytes.length - data) {
      cut(data, `packet data truncated (${bytes.length - data} of ${incl} bytes)`);
      break;
    }
    packets.push({ data: bytes.slice(data, data + incl), timestampNs: BigInt(sec) * 1_000_000_000n + BigInt(sub) * unit, origLen: orig });
    off = data + incl;
  }
  return { format: 'pcap', linktype, snaplen, resolution: ns ? 'ns' : 'us', interfaces: [], packets, ...(truncated ? { truncated } : {}) };
}

export interface PcapWriteOptions {
  /** Default LINKTYPE_ETHERNET. */
  linktype?: number;
  /** Default 262144; longer packets are cut (their origLen kept). */
  snaplen?: number;
}

/** The 24-byte file header: microseconds, little-endian. */
export function pcapFileHeader(opts: PcapWriteOptions = {}): Uint8Array {
  const out = new Uint8Array(FILE_HEADER);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, PCAP_MAGIC_US, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, opts.snaplen ?? DEFAULT_SNAPLEN, true);
  dv.setUint32(20, opts.linktype ?? LINKTYPE_ETHERNET, true);
  return out;
}

/** One record: header and captured bytes (cut at `snaplen`). */
export function pcapRecord(p: PacketToWrite, snaplen = DEFAULT_SNAPLEN): Uint8Array {
  const incl = Math.min(p.data.length, snaplen);
  const out = new Uint8Array(RECORD_HEADER + incl);
  const dv = new DataView(out.buffer);
  const t = toNs(p.timestampNs);
  if (t < 0n) throw new WxdpError('USAGE', `pcap: timestamp ${t} ns is before the epoch`);
  dv.setUint32(0, Number(t / 1_000_000_000n) >>> 0, true);
  dv.setUint32(4, Number((t % 1_000_000_000n) / 1000n), true);
  dv.setUint32(8, incl, true);
  dv.setUint32(12, Math.max(p.origLen ?? p.data.length, incl), true);
  out.set(p.data.subarray(0, incl), RECORD_HEADER);
  return out;
}
