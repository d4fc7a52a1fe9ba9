// pcapng (draft-ietf-opsawg-pcapng): a sequence of blocks, each framed by its total length at both ends
// and padded to 32 bits. A Section Header Block starts each section and fixes its byte order (through
// its byte-order magic); Interface Description Blocks number the section's interfaces from 0; packet
// blocks refer to one of them. Blocks the reader does not know are skipped by their length.
//
//   every block                  SHB (0x0a0d0d0a)              IDB (1)
//   0 u32 block type             8  u32 magic 1a2b3c4d         8  u16 link type, u16 reserved
//   4 u32 total length           12 u16 major 1, u16 minor 0   12 u32 snap length
//   8 ... body, options          16 i64 section length (-1)    16 options (if_tsresol, if_name, ...)
//   n-4 u32 total length again   24 options
//
//   EPB (6)                       SPB (3)                       options: u16 code, u16 length, value
//   8  u32 interface id           8  u32 original length          padded to 32 bits; code 0 ends them
//   12 u32 timestamp high         12 data (captured length: min(original, snaplen of interface 0))
//   16 u32 timestamp low
//   20 u32 captured length, 24 u32 original length, 28 data padded to 32 bits, options

import { WxdpError } from '../errors.js';
import { LINKTYPE_ETHERNET, PcapError, toNs, type Capture, type CaptureInterface, type CapturedPacket, type PacketToWrite, type ReadOptions } from './packet.js';

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 1;
export const BT_OPB = 2; // the obsolete Packet Block: read, never written
export const BT_SPB = 3;
export const BT_EPB = 6;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const OPT_ENDOFOPT = 0;
const OPT_COMMENT = 1;
const OPT_SHB_USERAPPL = 4;
const OPT_IF_NAME = 2;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

/** Does `bytes` start with a pcapng Section Header Block type? */
export function isPcapng(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x0a && bytes[1] === 0x0d && bytes[2] === 0x0d && bytes[3] === 0x0a;
}

interface Option {
  code: number;
  /** Offset of the value in the file. */
  at: number;
  value: Uint8Array;
}

export function readPcapng(bytes: Uint8Array, opts: ReadOptions = {}): Capture {
  const fail = (off: number, msg: string): never => {
    throw new PcapError('pcapng', off, msg);
  };
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder();
  const interfaces: CaptureInterface[] = [];
  const packets: CapturedPacket[] = [];
  let section: CaptureInterface[] = [];
  let le = true;
  let sawShb = false;

  /** Options from `start` to `end` (the block's trailing length field). */
  const options = (start: number, end: number): Option[] => {
    const out: Option[] = [];
    let o = start;
    while (o < end) {
      if (end - o < 4) fail(o, `option header truncated (${end - o} bytes before the block's end)`);
      const code = dv.getUint16(o, le);
      const len = dv.getUint16(o + 2, le);
      if (code === OPT_ENDOFOPT) break;
      const padded = (len + 3) & ~3;
      if (padded > end - o - 4) fail(o, `option ${code} of ${len} bytes runs past the block's end`);
      out.push({ code, at: o + 4, value: bytes.subarray(o + 4, o + 4 + len) });
      o += 4 + padded;
    }
    return out;
  };
  const comment = (opts: Option[]): string | undefined => {
    const c = opts.find((x) => x.code === OPT_COMMENT);
    return c ? decoder.decode(c.value) : undefined;
  };
  const toNsFor = (itf: CaptureInterface, units: bigint): bigint => (units * 1_000_000_000n) / itf.unitsPerSecond + itf.tsOffsetSeconds * 1_000_000_000n;

  let truncated: Capture['truncated'];
  // the file ends inside a block (after its first section began): the packets before it, when the caller keeps them
  const cut = (at: number, msg: string): void => {
    if (!opts.keepTruncated || !sawShb) fail(at, msg);
    truncated = { byteOffset: at, message: new PcapError('pcapng', at, msg).message };
  };
  let off = 0;
  while (off < bytes.length) {
    if (bytes.length - off < 12) {
      cut(off, `block header truncated (${bytes.length - off} of 12 bytes)`);
      break;
    }
    const rawType = dv.getUint32(off, true);
    if (rawType === BT_SHB) {
      if (bytes.length - off < 28) fail(off, `Section Header Block truncated (${bytes.length - off} of 28 bytes)`);
      const magic = dv.getUint32(off + 8, true);
      if (magic === BYTE_ORDER_MAGIC) le = true;
      else if (dv.getUint32(off + 8, false) === BYTE_ORDER_MAGIC) le = false;
      else fail(off + 8, `bad byte-order magic 0x${dv.getUint32(off + 8, false).toString(16).padStart(8, '0')}`);
      sawShb = true;
      section = [];
    } else if (!sawShb) {
      fail(off, `block type 0x${rawType.toString(16)} before any Section Header Block`);
    }
    const type = dv.getUint32(off, le);
    const len = dv.getUint32(off + 4, le);
    if (len < 12 || len % 4 !== 0) fail(off + 4, `block total length ${len} is not a multiple of 4 of at least 12`);
    if (len > bytes.length - off) {
      cut(off + 4, `block of ${len} bytes runs past the end of the file (${bytes.length - off} left)`);
      break;
    }
    const end = off + len - 4;
    if (dv.getUint32(end, le) !== len) fail(end, `trailing block length ${dv.getUint32(end, le)} differs from the leading ${len}`);
    const need = (n: number, what: string) => {
      if (len < n) fail(off + 4, `${what} of ${len} bytes is shorter than its ${n}-byte minimum`);
    };
    switch (type) {
      case BT_SHB: {
        need(28, 'Section Header Block');
        const major = dv.getUint16(off + 12, le);
        if (major !== 1) fail(off + 12, `unsupported version ${major}.${dv.getUint16(off + 14, le)} (expected 1.x)`);
        options(off + 24, end);
        break;
      }
      case BT_IDB: {
        need(20, 'Interface Description Block');
        const itf: CaptureInterface = { linktype: dv.getUint16(off + 8, le), snaplen: dv.getUint32(off + 12, le), unitsPerSecond: 1_000_000n, tsOffsetSeconds: 0n };
        for (const o of options(off + 16, end)) {
          if (o.code === OPT_IF_TSRESOL) {
            if (o.value.length !== 1) fail(o.at - 4, `if_tsresol of ${o.value.length} bytes (expected 1)`);
            const v = o.value[0]!;
            const exp = v & 0x7f;
            if (v & 0x80 ? exp > 63 : exp > 18) fail(o.at, `if_tsresol ${v} is out of range`);
            itf.unitsPerSecond = v & 0x80 ? 1n << BigInt(exp) : 10n ** BigInt(exp);
          } else if (o.code === OPT_IF_TSOFFSET) {
            if (o.value.length !== 8) fail(o.at - 4, `if_tsoffset of ${o.value.length} bytes (expected 8)`);
            itf.tsOffsetSeconds = dv.getBigInt64(o.at, le);
          } else if (o.code === OPT_IF_NAME) {
            itf.name = decoder.decode(o.value);
          }
        }
        section.push(itf);
        interfaces.push(itf);
        break;
      }
      case BT_EPB:
      case BT_OPB: {
        need(32, type === BT_EPB ? 'Enhanced Packet Block' : 'Packet Block');
        const id = type === BT_EPB ? dv.getUint32(off + 8, le) : dv.getUint16(off + 8, le);
        const itf = section[id] ?? fail(off + 8, `interface id ${id} but the section has ${section.length} interface${section.length === 1 ? '' : 's'}`);
        const units = (BigInt(dv.getUint32(off + 12, le)) << 32n) | BigInt(dv.getUint32(off + 16, le));
        const cap = dv.getUint32(off + 20, le);
        const orig = dv.getUint32(off + 24, le);
        const data = off + 28;
        if (cap > end - data) fail(off + 20, `captured length ${cap} runs past the block's end (${end - data} bytes of data)`);
        const opts = options(data + ((cap + 3) & ~3), end);
        const p: CapturedPacket = { data: bytes.slice(data, data + cap), timestampNs: toNsFor(itf, units), origLen: orig, interfaceId: id };
        const c = comment(opts);
        if (c !== undefined) p.comment = c;
        packets.push(p);
        break;
      }
      case BT_SPB: {
        need(16, 'Simple Packet Block');
        const itf = section[0] ?? fail(off, 'Simple Packet Block in a section without an interface');
        const orig = dv.getUint32(off + 8, le);
        const data = off + 12;
        const cap = itf.snaplen === 0 ? orig : Math.min(orig, itf.snaplen);
        if (cap > end - data) fail(off + 8, `original length ${orig} (snap length ${itf.snaplen}) but the block holds ${end - data} bytes`);
        packets.push({ data: bytes.slice(data, data + cap), timestampNs: 0n, origLen: orig, interfaceId: 0 });
        break;
      }
      default:
        break; // statistics, name resolution, custom and future blocks: skipped
    }
    off += len;
  }
  if (!sawShb) fail(0, 'empty file: no Section Header Block');
  const first = interfaces[0];
  return {
    format: 'pcapng',
    linktype: first?.linktype ?? LINKTYPE_ETHERNET,
    snaplen: first?.snaplen ?? 0,
    resolution: 'ns',
    interfaces,
    packets,
    ...(truncated ? { truncated } : {}),
  };
}

// Writing: little-endian, one section, the interfaces given (default one Ethernet interface), timestamps
// in nanoseconds (if_tsresol = 9).

export interface PcapngInterfaceOptions {
  /** Default LINKTYPE_ETHERNET. */
  linktype?: number;
  /** Default 262144 (0 means no limit in pcapng). */
  snaplen?: number;
  /** if_name. */
  name?: string;
}

export interface PcapngWriteOptions {
  /** Default: one Ethernet interface. */
  interfaces?: PcapngInterfaceOptions[];
  /** The section's opt_comment. */
  comment?: string;
  /** shb_userappl (default 'wxdp'). */
  application?: string;
}

const encoder = new TextEncoder();

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** An options area: each option padded, then opt_endofopt; empty when there are none. */
function optionBytes(list: [number, Uint8Array][]): Uint8Array {
  if (list.length === 0) return new Uint8Array(0);
  const out = new Uint8Array(list.reduce((n, [, v]) => n + 4 + pad4(v.length), 4));
  const dv = new DataView(out.buffer);
  let o = 0;
  for (const [code, v] of list) {
    if (v.length > 0xffff) throw new WxdpError('USAGE', `pcapng: option ${code} of ${v.length} bytes exceeds 65535`);
    dv.setUint16(o, code, true);
    dv.setUint16(o + 2, v.length, true);
    out.set(v, o + 4);
    o += 4 + pad4(v.length);
  }
  return out; // the last 4 bytes stay zero: opt_endofopt
}

/** A block: type, total length, `fixed` body, padded `data`, options, total length. */
function block(type: number, fixed: Uint8Array, data: Uint8Array | undefined, opts: Uint8Array): Uint8Array {
  const dataLen = data ? pad4(data.length) : 0;
  const len = 12 + fixed.length + dataLen + opts.length;
  const out = new Uint8Array(len);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, type, true);
  dv.setUint32(4, len, true);
  out.set(fixed, 8);
  if (data) out.set(data, 8 + fixed.length);
  out.set(opts, 8 + fixed.length + dataLen);
  dv.setUint32(len - 4, len, true);
  return out;
}

/** The Section Header Block and one Interface Description Block per interface. */
export function pcapngHeader(opts: PcapngWriteOptions = {}): Uint8Array {
  const shbFixed = new Uint8Array(16);
  const sdv = new DataView(shbFixed.buffer);
  sdv.setUint32(0, BYTE_ORDER_MAGIC, true);
  sdv.setUint16(4, 1, true);
  sdv.setUint16(6, 0, true);
  sdv.setBigInt64(8, -1n, true); // section length not given
  const shbOpts: [number, Uint8Array][] = [];
  if (opts.comment !== undefined) shbOpts.push([OPT_COMMENT, encoder.encode(opts.comment)]);
  shbOpts.push([OPT_SHB_USERAPPL, encoder.encode(opts.application ?? 'wxdp')]);
  const parts = [block(BT_SHB, shbFixed, undefined, optionBytes(shbOpts))];
  for (const itf of opts.interfaces ?? [{}]) {
    const fixed = new Uint8Array(8);
    const dv = new DataView(fixed.buffer);
    dv.setUint16(0, itf.linktype ?? LINKTYPE_ETHERNET, true);
    dv.setUint32(4, itf.snaplen ?? 262144, true);
    const o: [number, Uint8Array][] = [];
    if (itf.name !== undefined) o.push([OPT_IF_NAME, encoder.encode(itf.name)]);
    o.push([OPT_IF_TSRESOL, Uint8Array.of(9)]);
    parts.push(block(BT_IDB, fixed, undefined, optionBytes(o)));
  }
  return concat(parts);
}

/** One Enhanced Packet Block (timestamps in ns, as pcapngHeader's if_tsresol says). */
export function pcapngEnhancedPacket(p: PacketToWrite, snaplen = 262144): Uint8Array {
  const cap = snaplen === 0 ? p.data.length : Math.min(p.data.length, snaplen);
  const t = toNs(p.timestampNs);
  if (t < 0n || t >= 1n << 64n) throw new WxdpError('USAGE', `pcapng: timestamp ${t} ns does not fit 64 unsigned bits`);
  const fixed = new Uint8Array(20);
  const dv = new DataView(fixed.buffer);
  dv.setUint32(0, p.interfaceId ?? 0, true);
  dv.setUint32(4, Number(t >> 32n), true);
  dv.setUint32(8, Number(t & 0xffffffffn), true);
  dv.setUint32(12, cap, true);
  dv.setUint32(16, Math.max(p.origLen ?? p.data.length, cap), true);
  const opts = p.comment !== undefined ? optionBytes([[OPT_COMMENT, encoder.encode(p.comment)]]) : new Uint8Array(0);
  return block(BT_EPB, fixed, p.data.subarray(0, cap), opts);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
