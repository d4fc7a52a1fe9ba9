// What the pcap and pcapng readers return and the writers take, and the one error both raise.

import { WxdpError } from '../errors.js';

/** LINKTYPE_ETHERNET: the only link type the data path speaks. */
export const LINKTYPE_ETHERNET = 1;

/** One captured packet. */
export interface CapturedPacket {
  /** The captured bytes (may be shorter than `origLen` when the capture was cut at the snap length). */
  data: Uint8Array;
  /** Nanoseconds since the Unix epoch (0n for pcapng Simple Packet Blocks, which carry no time). */
  timestampNs: bigint;
  /** The packet's length on the wire. */
  origLen: number;
  /** pcapng: the Interface Description Block it was captured on (its index in the section). */
  interfaceId?: number;
  /** pcapng: the packet's opt_comment, when it has one. */
  comment?: string;
}

/** A pcapng Interface Description Block. */
export interface CaptureInterface {
  linktype: number;
  snaplen: number;
  /** if_name, when present. */
  name?: string;
  /** Timestamp units per second as if_tsresol gives them (1e6 when the option is absent). */
  unitsPerSecond: bigint;
  /** if_tsoffset: seconds added to every timestamp. */
  tsOffsetSeconds: bigint;
}

export interface Capture {
  format: 'pcap' | 'pcapng';
  /** The link type of the capture (pcapng: of the first interface; LINKTYPE_ETHERNET when it has none). */
  linktype: number;
  /** Classic pcap: the snap length of the file header; pcapng: of the first interface. */
  snaplen: number;
  /** Classic pcap: 'us' or 'ns' from the magic; pcapng: 'ns' (timestamps are converted to ns). */
  resolution: 'us' | 'ns';
  /** pcapng: every interface of every section, in file order (interfaceId indexes the packet's section). */
  interfaces: CaptureInterface[];
  packets: CapturedPacket[];
  /**
   * Set when the file ends inside a record or block and the reader was asked to keep what came
   * before (ReadOptions.keepTruncated, as tshark reads a capture "cut short in the middle of a packet").
   */
  truncated?: { byteOffset: number; message: string };
}

export interface ReadOptions {
  /** A file that ends inside a packet: return the complete packets before it, with `truncated` set (default: throw). */
  keepTruncated?: boolean;
}

/** A packet to write: only `data` is required. */
export interface PacketToWrite {
  data: Uint8Array;
  /** Nanoseconds since the epoch (default 0). */
  timestampNs?: bigint | number;
  /** Length on the wire (default: data.length). */
  origLen?: number;
  /** pcapng: the interface index (default 0). */
  interfaceId?: number;
  /** pcapng: written as the packet's opt_comment. */
  comment?: string;
}

/** A capture that is truncated or malformed; `byteOffset` is where in the file the problem is. */
export class PcapError extends WxdpError {
  readonly byteOffset: number;
  constructor(format: 'pcap' | 'pcapng', byteOffset: number, message: string) {
    super('PCAP_INVALID', `${format}: byte offset ${byteOffset}: ${message}`);
    this.byteOffset = byteOffset;
  }
}

/** A timestamp argument as a bigint number of nanoseconds (numbers are truncated to integers). */
export function toNs(t: bigint | number | undefined): bigint {
  if (t === undefined) return 0n;
  return typeof t === 'bigint' ? t : BigInt(Math.trunc(t));
}
