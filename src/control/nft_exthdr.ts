// nft's TCP option expressions (nftables' tcpopt.c templates over the kernel's nft_exthdr with NFT_EXTHDR_OP_TCPOPT)
// and its route expression (nft_rt): what `tcp option NAME [FIELD]` and `rt mtu|classid|ip nexthop|ip6 nexthop`
// read, as nft 1.0.6 sends them to the kernel (`--debug=netlink`, measured on Linux 6.18):
//
//   tcp option maxseg size          exthdr load tcpopt 2b @ 2 + 2        (kind 2, offset 2, 2 bytes, big-endian)
//   tcp option maxseg exists        exthdr load tcpopt 1b @ 2 + 0 present → a one-byte boolean, 1 or 0
//   tcp option sack2 right          exthdr load tcpopt 4b @ 5 + 22
//   tcp option 254 exists           any kind by number (listed so)
//   rt mtu                          rt load tcpmss (a u16 in host order: the route's MTU less the headers)
//
// The parser (nft_parse.ts) keeps such a selector as proto 'tcpopt' (field `NAME` for presence, `NAME FIELD`) or
// 'rt' (field `mtu`, `classid`, `ip nexthop`, `ip6 nexthop`).

import type { DataType } from './nft_types.js';

/** One option field: its offset in the option, bytes, type. */
export interface TcpOptField {
  off: number;
  len: number;
  type: DataType;
}

/** An option nft names: its kind, and its fields (tcpopt.c's templates; nft 1.0.6's grammar takes no `kind` field). */
interface TcpOptDesc {
  kind: number;
  fields: Readonly<Record<string, TcpOptField>>;
}

const LENGTH: TcpOptField = { off: 1, len: 1, type: 'integer8' };
const sack = (n: number): TcpOptDesc => ({ kind: 5, fields: { length: LENGTH, left: { off: 2 + 8 * n, len: 4, type: 'integer32be' }, right: { off: 6 + 8 * n, len: 4, type: 'integer32be' } } });

/** By the names nft reads (sack0 is sack, sack-permitted sack-perm: listed by the first name). */
const OPTIONS: Readonly<Record<string, TcpOptDesc>> = {
  eol: { kind: 0, fields: {} },
  nop: { kind: 1, fields: {} },
  maxseg: { kind: 2, fields: { length: LENGTH, size: { off: 2, len: 2, type: 'integer16' } } },
  window: { kind: 3, fields: { length: LENGTH, count: { off: 2, len: 1, type: 'integer8' } } },
  'sack-perm': { kind: 4, fields: { length: LENGTH } },
  sack: sack(0),
  sack1: sack(1),
  sack2: sack(2),
  sack3: sack(3),
  timestamp: { kind: 8, fields: { length: LENGTH, tsval: { off: 2, len: 4, type: 'integer32be' }, tsecr: { off: 6, len: 4, type: 'integer32be' } } },
  // the MPTCP option's subtype: the top nibble of its third byte (exthdr load tcpopt 1b @ 30 + 2, then & 0xf0)
  mptcp: { kind: 30, fields: { length: LENGTH, subtype: { off: 2, len: 1, type: 'bits4h' } } },
};
const ALIASES: Readonly<Record<string, string>> = { sack0: 'sack', 'sack-permitted': 'sack-perm' };

/** The option's name as nft lists it, or undefined for a word that names none (a number 0-255 names its kind). */
export function tcpOptName(word: string): string | undefined {
  if (/^[0-9]+$/.test(word)) return Number(word) <= 255 ? String(Number(word)) : undefined;
  const n = ALIASES[word] ?? word;
  return Object.hasOwn(OPTIONS, n) ? n : undefined;
}

/** The fields nft's grammar takes after the option's name. */
export function tcpOptFields(name: string): readonly string[] {
  return Object.keys(OPTIONS[name]?.fields ?? {});
}

/** The kind of an option named as tcpOptName lists it. */
export function tcpOptKind(name: string): number {
  return OPTIONS[name]?.kind ?? Number(name);
}

/** What a `tcp option` selector's field (`maxseg size`, or `maxseg` for presence) loads: offset, bytes, type. */
export function tcpOptAt(field: string): TcpOptField & { kind: number; present: boolean } {
  const [name, f] = field.split(' ') as [string, string | undefined];
  const kind = tcpOptKind(name);
  if (f === undefined) return { kind, present: true, off: 0, len: 1, type: 'boolean' };
  return { kind, present: false, ...OPTIONS[name]!.fields[f]! };
}

/** nft_rt's keys (enum nft_rt_keys) by the field nft lists. */
export const RT_KEYS: Readonly<Record<string, number>> = { classid: 0, 'ip nexthop': 1, 'ip6 nexthop': 2, mtu: 3 };

/** The type of an `rt` field: realm (a u32 in host order), an address, the MSS (a u16 in host order). */
export function rtType(field: string): DataType {
  return field === 'mtu' ? 'integer16h' : field === 'classid' ? 'integer32' : field === 'ip nexthop' ? 'ipv4_addr' : 'ipv6_addr';
}

/**
 * IPv6 extension headers (nftables' exthdr.c templates over nft_exthdr with NFT_EXTHDR_OP_IPV6): `exthdr NAME exists`
 * (a one-byte boolean) and `NAME FIELD` (nft lists the header's name alone), each header by its protocol number.
 *
 *   exthdr frag missing             exthdr load ipv6 1b @ 44 + 0 present
 *   rt seg-left 1                   exthdr load ipv6 1b @ 43 + 3
 *   frag id 7                       exthdr load ipv6 4b @ 44 + 4
 */
const NEXTHDR: TcpOptField = { off: 0, len: 1, type: 'inet_proto' };
const HDRLEN: TcpOptField = { off: 1, len: 1, type: 'integer8' };
const EXTHDRS: Readonly<Record<string, TcpOptDesc>> = {
  hbh: { kind: 0, fields: { nexthdr: NEXTHDR, hdrlength: HDRLEN } },
  rt: { kind: 43, fields: { nexthdr: NEXTHDR, hdrlength: HDRLEN, type: { off: 2, len: 1, type: 'integer8' }, 'seg-left': { off: 3, len: 1, type: 'integer8' } } },
  // frag-off: 13 bits over bytes 2-3 (exthdr load ipv6 2b @ 44 + 2, then & 0xfff8); reserved2 and more-fragments the
  // low bits of byte 3 (1b @ 44 + 3, & 0x06 and & 0x01)
  frag: {
    kind: 44,
    fields: {
      nexthdr: NEXTHDR, reserved: { off: 1, len: 1, type: 'integer8' }, 'frag-off': { off: 2, len: 2, type: 'frag_off' }, reserved2: { off: 3, len: 1, type: 'frag_res2' },
      'more-fragments': { off: 3, len: 1, type: 'frag_mf' }, id: { off: 4, len: 4, type: 'integer32be' },
    },
  },
  dst: { kind: 60, fields: { nexthdr: NEXTHDR, hdrlength: HDRLEN } },
  mh: { kind: 135, fields: {} },
};

/** The extension headers `exthdr NAME exists` names. */
export const EXTHDR_NAMES: readonly string[] = Object.keys(EXTHDRS);

/** The fields wxdp reads of an extension header (`mh type` not yet). */
export function exthdrFields(name: string): readonly string[] {
  return Object.keys(EXTHDRS[name]?.fields ?? {});
}

/** What an `exthdr` selector's field (`frag id`, or `frag` for presence) loads. */
export function exthdrAt(field: string): TcpOptField & { kind: number; present: boolean } {
  const [name, f] = field.split(' ') as [string, string | undefined];
  const kind = EXTHDRS[name]!.kind;
  if (f === undefined) return { kind, present: true, off: 0, len: 1, type: 'boolean' };
  return { kind, present: false, ...EXTHDRS[name]!.fields[f]! };
}

/**
 * IPv4 options (nftables' ipopt.c over nft_exthdr with NFT_EXTHDR_OP_IPV4): `ip option NAME exists` and its fields —
 * the source and record routes' type, length, ptr, addr; the router alert's type, length, value.
 *
 *   ip option rr addr 3             exthdr load ipv4 4b @ 7 + 3
 *   ip option ra missing            exthdr load ipv4 1b @ 148 + 0 present
 */
const TYPE: TcpOptField = { off: 0, len: 1, type: 'integer8' };
const route = (kind: number): TcpOptDesc => ({ kind, fields: { type: TYPE, length: LENGTH, ptr: { off: 2, len: 1, type: 'integer8' }, addr: { off: 3, len: 4, type: 'integer32be' } } });
const IPOPTS: Readonly<Record<string, TcpOptDesc>> = {
  lsrr: route(131),
  rr: route(7),
  ssrr: route(137),
  ra: { kind: 148, fields: { type: TYPE, length: LENGTH, value: { off: 2, len: 2, type: 'integer16' } } },
};

/** The options `ip option NAME` names, as nft's grammar lists them when another word comes. */
export const IPOPT_NAMES: readonly string[] = Object.keys(IPOPTS);

/** Every field word of any IPv4 option (nft refuses one its option lacks after the grammar took it). */
export const IPOPT_FIELD_WORDS: readonly string[] = ['type', 'length', 'ptr', 'addr', 'value'];

export function ipoptFields(name: string): readonly string[] {
  return Object.keys(IPOPTS[name]?.fields ?? {});
}

/** What an `ipopt` selector's field (`rr addr`, or `rr` for presence) loads. */
export function ipoptAt(field: string): TcpOptField & { kind: number; present: boolean } {
  const [name, f] = field.split(' ') as [string, string | undefined];
  const kind = IPOPTS[name]!.kind;
  if (f === undefined) return { kind, present: true, off: 0, len: 1, type: 'boolean' };
  return { kind, present: false, ...IPOPTS[name]!.fields[f]! };
}

/**
 * Payload bit fields (nftables' proto.c templates with a bit offset): where their bytes are and their type (nft_types.ts
 * BITFIELDS: the mask nft's bitwise keeps), as nft 1.0.6 sends them (`--debug=netlink`, measured):
 *
 *   ip version 4                    payload load 1b @ network header + 0, & 0xf0, cmp eq 0x40
 *   ip6 flowlabel 5                 payload load 3b @ network header + 1, & 0x0fffff, cmp eq 0x000005
 *   tcp doff 5                      payload load 1b @ transport header + 12, & 0xf0, cmp eq 0x50
 */
const PAYLOAD_BITS: Readonly<Record<string, { off: number; type: 'bits4h' | 'bits4l' | 'ecn6' | 'flowlabel' }>> = {
  'ip version': { off: 0, type: 'bits4h' },
  'ip hdrlength': { off: 0, type: 'bits4l' },
  'ip6 version': { off: 0, type: 'bits4h' },
  'ip6 ecn': { off: 1, type: 'ecn6' },
  'ip6 flowlabel': { off: 1, type: 'flowlabel' },
  'tcp doff': { off: 12, type: 'bits4h' },
  'tcp reserved': { off: 12, type: 'bits4l' },
};

/** A payload bit field's place and type (`ip version`, `tcp doff`…), undefined for other selectors. */
export function payloadBits(sel: { proto: string; field: string; concat?: unknown }): { off: number; type: DataType } | undefined {
  return sel.concat ? undefined : PAYLOAD_BITS[`${sel.proto} ${sel.field}`];
}
