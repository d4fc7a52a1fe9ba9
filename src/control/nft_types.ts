// nft's data types as far as the subset needs them (nftables' datatype.c, proto.c, meta.c, ct.c): how a
// value written for a selector becomes the bytes the kernel compares (network order for packet fields,
// host order for meta and ct keys), how nft prints them back, and nft's words when a value is wrong.

import { readFileSync } from 'node:fs';
import { NftParseError, timeMs, type Loc, type RawValue } from './nft_parse.js';
import { formatAddr, parseAddr } from './route_text.js';

export type DataType =
  | 'ipv4_addr' | 'ipv6_addr' | 'inet_service' | 'inet_proto' | 'mark' | 'iface_index' | 'ifname' | 'ct_state' | 'ct_status' | 'ct_dir' | 'nf_proto' | 'integer8' | 'integer16'
  /** numgen's and jhash's value: a u32 in host order, listed in decimal. */
  | 'integer32'
  /** A TCP option's 32-bit field (`tcp option timestamp tsval`, sack edges): big-endian as on the wire, in decimal. */
  | 'integer32be'
  /** `rt mtu`: nft_rt's TCPMSS, a u16 in host order (nft_reg_store16), in decimal. */
  | 'integer16h'
  /** fib's `type` (nft's fib_addrtype: RTN_*, a u32 in host order) and `exists` / `missing` (nft's boolean, one byte). */
  | 'fib_addrtype' | 'boolean'
  | 'icmp_type' | 'icmpv6_type' | 'icmp_code' | 'icmpv6_code' | 'tcp_flag' | 'uid' | 'gid'
  /** `arp operation`: the ARP header's 16-bit opcode, big-endian. */
  | 'arp_op'
  /** `ether saddr` / `daddr`: a MAC address, 6 bytes as on the wire. */
  | 'ether_addr'
  /** `ether type`, `meta protocol`: an Ethernet protocol, 16 bits big-endian (skb->protocol is kept so too). */
  | 'ether_type'
  /**
   * `vlan id`, `vlan pcp`, `vlan dei`: bit fields of the tag's TCI, kept where they sit in its bytes (the id the low
   * 12 bits of 2 bytes, pcp the top 3 bits of a byte, dei the bit after them) as nft's bitwise leaves them.
   */
  | 'vlan_id' | 'vlan_pcp' | 'vlan_dei'
  /** `ip dscp` (the top 6 bits of the TOS byte, held there), `ip6 dscp` (bits 4-9 of the first two bytes), `ip ecn`. */
  | 'dscp' | 'dscp6' | 'ecn'
  /**
   * Header bit fields held where they sit in their bytes, as nft's bitwise leaves them (BITFIELDS draws each): the
   * top nibble of a byte (`ip version`, `tcp doff`, `tcp option mptcp subtype`), the low one (`ip hdrlength`, `tcp
   * reserved`), `ip6 ecn` (bits 2-3 of the second byte), `ip6 flowlabel` (the low 20 bits of 3 bytes), the IPv6
   * fragment header's `frag-off` (13 bits over 2 bytes), `reserved2` and `more-fragments` (its fourth byte's low bits).
   */
  | 'bits4h' | 'bits4l' | 'ecn6' | 'flowlabel' | 'frag_off' | 'frag_res2' | 'frag_mf'
  /** `ct bytes`, `ct packets`, `ct avgpkt`: nf_conn_acct's counters, a u64 in host order (nft's integer of 64 bits). */
  | 'integer64h'
  /** `meta pkttype`: skb->pkt_type (PACKET_*), one byte; `meta iiftype` / `oiftype`: dev->type (ARPHRD_*), u16 host order. */
  | 'pkt_type' | 'iface_type'
  /** `meta day`: the weekday, one byte (0 Sunday); `meta hour`: seconds since midnight UTC, a u32 in host order. */
  | 'day' | 'hour'
  /** `ct expiration`: what is left of the entry's timeout in ms, a u32 in host order (nft's time type). */
  | 'ct_time'
  /** `meta time`: the wall clock in ns since the Unix epoch, a u64 in host order (nft's date type). */
  | 'time'
  /** `ct zone`: the conntrack zone's id, a u16 in host order (nft's integer of 16 bits, host endian). */
  | 'zone16'
  /** A concatenation's key (its fields' types kept beside it): register bytes compared whole, its length its own. */
  | 'concat';

/** Bytes in the register and whether the kernel keeps the value in host order (meta, ct keys). */
export const TYPE_INFO: Readonly<Record<DataType, { len: number; host: boolean }>> = {
  ipv4_addr: { len: 4, host: false },
  ipv6_addr: { len: 16, host: false },
  inet_service: { len: 2, host: false },
  inet_proto: { len: 1, host: false },
  mark: { len: 4, host: true },
  iface_index: { len: 4, host: true },
  ifname: { len: 16, host: false }, // IFNAMSIZ: meta iifname / oifname load the device's name at each packet
  ct_state: { len: 4, host: true },
  ct_status: { len: 4, host: true },
  ct_dir: { len: 1, host: false },
  fib_addrtype: { len: 4, host: true },
  boolean: { len: 1, host: false },
  nf_proto: { len: 1, host: false },
  integer8: { len: 1, host: false },
  integer16: { len: 2, host: false },
  integer32: { len: 4, host: true },
  integer32be: { len: 4, host: false },
  integer16h: { len: 2, host: true },
  icmp_type: { len: 1, host: false },
  icmpv6_type: { len: 1, host: false },
  icmp_code: { len: 1, host: false },
  icmpv6_code: { len: 1, host: false },
  tcp_flag: { len: 1, host: false },
  uid: { len: 4, host: true }, // meta skuid / skgid: the socket's owner, a u32 in host order
  gid: { len: 4, host: true },
  arp_op: { len: 2, host: false },
  ether_addr: { len: 6, host: false },
  ether_type: { len: 2, host: false },
  vlan_id: { len: 2, host: false },
  vlan_pcp: { len: 1, host: false },
  dscp: { len: 1, host: false },
  dscp6: { len: 2, host: false },
  ecn: { len: 1, host: false },
  vlan_dei: { len: 1, host: false },
  bits4h: { len: 1, host: false },
  bits4l: { len: 1, host: false },
  ecn6: { len: 1, host: false },
  flowlabel: { len: 3, host: false },
  frag_off: { len: 2, host: false },
  frag_res2: { len: 1, host: false },
  frag_mf: { len: 1, host: false },
  integer64h: { len: 8, host: true },
  pkt_type: { len: 1, host: false },
  iface_type: { len: 2, host: true },
  zone16: { len: 2, host: true },
  day: { len: 1, host: false },
  hour: { len: 4, host: true },
  ct_time: { len: 4, host: true },
  time: { len: 8, host: true },
  concat: { len: 0, host: false },
};

/** ICMP and ICMPv6 code names as nft has them (datatype.c icmp_code_tbl, icmpv6_code_tbl); reject prints them too. */
export const ICMP_CODES: Readonly<Record<'icmp_code' | 'icmpv6_code', Readonly<Record<number, string>>>> = {
  icmp_code: { 0: 'net-unreachable', 1: 'host-unreachable', 2: 'prot-unreachable', 3: 'port-unreachable', 4: 'frag-needed', 9: 'net-prohibited', 10: 'host-prohibited', 13: 'admin-prohibited' },
  icmpv6_code: { 0: 'no-route', 1: 'admin-prohibited', 3: 'addr-unreachable', 4: 'port-unreachable', 5: 'policy-fail', 6: 'reject-route' },
};

/** Packet types as nft names them (meta.c pkttype_type_tbl: `unicast` is read as host, which lists first). */
const PKT_TYPES: ReadonlyArray<[string, number]> = [['host', 0], ['unicast', 0], ['broadcast', 1], ['multicast', 2], ['other', 3]];

/** Device types as nft names them (meta.c arphrd_tbl). */
const IFACE_TYPES: ReadonlyArray<[string, number]> = [['ether', 1], ['ppp', 512], ['ipip', 768], ['ipip6', 769], ['loopback', 772], ['sit', 776], ['ipgre', 778]];

/** Weekdays as nft names them (meta.c day_type_parse: the whole name, its case as here). */
const DAYS: readonly string[] = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** The local time zone's offset from UTC in seconds now (tm_gmtoff of localtime, as nft's hour type reads it). */
function gmtoff(): number {
  return -new Date().getTimezoneOffset() * 60;
}

/**
 * nft's hour_type_parse: `hh:mm:ss` or `hh:mm` (strptime's %T, %R), else a time (`17` is 17 seconds, `1h30m`), local
 * time turned into seconds since midnight UTC.
 */
function hourValue(text: string, loc: Loc): number {
  const m = /^([0-9]{1,2}):([0-9]{1,2})(?::([0-9]{1,2}))?$/.exec(text);
  let secs: number | undefined;
  if (m && Number(m[1]) <= 23 && Number(m[2]) <= 59 && Number(m[3] ?? 0) <= 60) secs = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0);
  else {
    const t = /^(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m(?!s))?(?:([0-9]+)s)?(?:([0-9]+)ms)?$/.exec(text);
    if (t && text !== '') secs = Math.floor((Number(t[1] ?? 0) * 86400000 + Number(t[2] ?? 0) * 3600000 + Number(t[3] ?? 0) * 60000 + Number(t[4] ?? 0) * 1000 + Number(t[5] ?? 0)) / 1000);
    else if (/^[0-9]+$/.test(text)) secs = Number(text);
  }
  if (secs === undefined) return err('wrong time format', loc);
  return (((secs - gmtoff()) % 86400) + 86400) % 86400;
}

/** ARP opcodes as nft names them (proto.c arpop_tbl). */
const ARP_OPS: ReadonlyArray<[string, number]> = [['request', 1], ['reply', 2], ['rrequest', 3], ['rreply', 4], ['inrequest', 8], ['inreply', 9], ['nak', 10]];

/** Ethernet protocols as nft names them (proto.c ethertype_tbl; `vlan` is read as 0x8100, listed as 8021q, measured). */
const ETHER_TYPES: ReadonlyArray<[string, number]> = [['ip', 0x0800], ['arp', 0x0806], ['ip6', 0x86dd], ['8021q', 0x8100], ['vlan', 0x8100], ['8021ad', 0x88a8]];

/** The TCI's bit fields: the largest value and the shift within its byte (the id's is within its 2 bytes). */
/** nft's dscp_type_tbl and ecn_type_tbl (proto.c), in its order: a value lists by its first name. */
const DSCP: ReadonlyArray<[string, number]> = [
  ['cs0', 0x00], ['cs1', 0x08], ['cs2', 0x10], ['cs3', 0x18], ['cs4', 0x20], ['cs5', 0x28], ['cs6', 0x30], ['cs7', 0x38], ['df', 0x00], ['be', 0x00], ['lephb', 0x01],
  ['af11', 0x0a], ['af12', 0x0c], ['af13', 0x0e], ['af21', 0x12], ['af22', 0x14], ['af23', 0x16], ['af31', 0x1a], ['af32', 0x1c], ['af33', 0x1e], ['af41', 0x22], ['af42', 0x24], ['af43', 0x26], ['va', 0x2c], ['ef', 0x2e],
];
const ECN: ReadonlyArray<[string, number]> = [['not-ect', 0], ['ect1', 1], ['ect0', 2], ['ce', 3]];
/** A DSCP or ECN value of its field's bytes (each held in place, as nft's bitwise leaves it). */
function dscpValue(type: 'dscp' | 'dscp6' | 'ecn', b: Uint8Array): number {
  return type === 'dscp' ? b[0]! >> 2 : type === 'dscp6' ? (((b[0]! << 8) | b[1]!) >> 6) & 0x3f : b[0]!;
}

/** A header bit field's type: its largest value, the shift of its lowest bit in its bytes, the mask nft's bitwise keeps. */
export const BITFIELDS: Readonly<Record<'bits4h' | 'bits4l' | 'ecn6' | 'flowlabel' | 'frag_off' | 'frag_res2' | 'frag_mf', { max: number; shift: number; mask: readonly number[] }>> = {
  bits4h: { max: 15, shift: 4, mask: [0xf0] },
  bits4l: { max: 15, shift: 0, mask: [0x0f] },
  ecn6: { max: 3, shift: 4, mask: [0x30] },
  flowlabel: { max: 0xfffff, shift: 0, mask: [0x0f, 0xff, 0xff] },
  frag_off: { max: 8191, shift: 3, mask: [0xff, 0xf8] },
  frag_res2: { max: 3, shift: 1, mask: [0x06] },
  frag_mf: { max: 1, shift: 0, mask: [0x01] },
};
type BitType = keyof typeof BITFIELDS;

/** Whether `type` is a header bit field's (BITFIELDS). */
export function isBitfield(type: DataType): type is BitType {
  return Object.hasOwn(BITFIELDS, type);
}

/** A bit field's value `n` in its bytes, big-endian, shifted to where it sits. */
function bitsBytes(type: BitType, n: number): Uint8Array {
  const { shift, mask } = BITFIELDS[type];
  let v = n * 2 ** shift;
  const out = new Uint8Array(mask.length);
  for (let i = mask.length - 1; i >= 0; i--) {
    out[i] = v & 0xff;
    v = Math.floor(v / 256);
  }
  return out;
}

/** A bit field's value of its bytes. */
function bitsValue(type: BitType, b: Uint8Array): number {
  const { shift, mask } = BITFIELDS[type];
  let v = 0;
  for (let i = 0; i < mask.length; i++) v = v * 256 + (b[i]! & mask[i]!);
  return Math.floor(v / 2 ** shift);
}

const VLAN_BITS: Readonly<Record<'vlan_id' | 'vlan_pcp' | 'vlan_dei', [number, number]>> = { vlan_id: [4095, 0], vlan_pcp: [7, 5], vlan_dei: [1, 4] };

/** TCP header flag bits, low to high (proto.c tcp_flag_tbl). */
const TCP_FLAGS: ReadonlyArray<string> = ['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'ecn', 'cwr'];

/** A tcp flags value as nft lists it: one flag by name, a comparison with several (or none) in hex. */
export function tcpFlagsText(bits: number, sep?: string): string {
  const names = TCP_FLAGS.filter((_, i) => bits & (1 << i));
  if (names.length === 1 || (sep !== undefined && names.length > 0)) return names.join(sep);
  return `0x${bits.toString(16)}`;
}

/** ICMP and ICMPv6 type names as nft has them (proto.c icmp_type_tbl, icmp6_type_tbl). */
const ICMP_TYPES: Readonly<Record<'icmp_type' | 'icmpv6_type', ReadonlyArray<[string, number]>>> = {
  icmp_type: [
    ['echo-reply', 0], ['destination-unreachable', 3], ['source-quench', 4], ['redirect', 5], ['echo-request', 8], ['router-advertisement', 9],
    ['router-solicitation', 10], ['time-exceeded', 11], ['parameter-problem', 12], ['timestamp-request', 13], ['timestamp-reply', 14],
    ['info-request', 15], ['info-reply', 16], ['address-mask-request', 17], ['address-mask-reply', 18],
  ],
  icmpv6_type: [
    ['destination-unreachable', 1], ['packet-too-big', 2], ['time-exceeded', 3], ['parameter-problem', 4], ['echo-request', 128],
    ['echo-reply', 129], ['mld-listener-query', 130], ['mld-listener-report', 131], ['mld-listener-done', 132], ['nd-router-solicit', 133],
    ['nd-router-advert', 134], ['nd-neighbor-solicit', 135], ['nd-neighbor-advert', 136], ['nd-redirect', 137], ['router-renumbering', 138],
    ['ind-neighbor-solicit', 141], ['ind-neighbor-advert', 142], ['mld2-listener-report', 143],
  ],
};

/** Set types nft names in `type …` declarations. */
export const SET_TYPES: ReadonlySet<string> = new Set(['ipv4_addr', 'ipv6_addr', 'inet_service', 'inet_proto', 'mark', 'ifname', 'ct_state', 'uid', 'gid', 'ether_addr', 'ether_type']);

/** One element: a value, a prefix or a range, as [lo, hi] in register bytes, with how nft prints it. */
export interface Elem {
  lo: Uint8Array;
  hi: Uint8Array;
  kind: 'value' | 'prefix' | 'range';
  /** For a prefix: its length. */
  plen?: number;
  /** ifname values: the name (a trailing `*` matches a prefix of names). */
  name?: string;
  /** A map element's data: the name of the stateful object it maps to (an object map's, NFT_SET_OBJECT). */
  obj?: string;
  /** A NAT map element's data: the address (network order). */
  data?: Uint8Array;
  /** A verdict map element's data. */
  verdict?: { v: 'accept' | 'drop' | 'return' | 'continue' | 'jump' | 'goto'; chain?: string };
  /** A named set's element with a timeout: the kernel's, in ms (whole jiffies), and when it expires on the stack clock (ms). */
  timeout?: number;
  expiration?: number;
  /** A named set's element of a set with `counter` (NFT_SET_EXT_EXPRESSIONS): its counter's state, as a rule's. */
  counter?: { k: 'counter'; packets: bigint; bytes: bigint; addr: number };
  comment?: string;
  /** A dynamic set's element's statements as listed (`limit rate over 10/second`, `counter packets 1 bytes 60`). */
  exprs?: string;
  /** A concatenation's element: each field's value (lo is then the key, each field padded to 4 bytes). */
  parts?: Elem[];
}

/** Without /etc/protocols: the names nft would find in Debian's. */
const BUILTIN_PROTOS: Readonly<Record<string, number>> = {
  icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, 'ipv6-icmp': 58, sctp: 132, udplite: 136, dccp: 33,
};

/**
 * Protocol names as nft resolves them, through libc's getprotobyname / getprotobynumber over /etc/protocols: a
 * name or any alias (case as written there) to its number, a number to the first name listed for it (`4` lists as
 * `ipencap`, `0` as `ip`). `icmpv6` is nft's own word for 58. Read once, when first needed.
 */
let protoTable: { byName: Map<string, number>; byNumber: Map<number, string> } | undefined;
function protos(): NonNullable<typeof protoTable> {
  if (protoTable) return protoTable;
  const byName = new Map<string, number>();
  const byNumber = new Map<number, string>();
  let text = '';
  try {
    text = readFileSync('/etc/protocols', 'utf8');
  } catch {
    text = Object.entries(BUILTIN_PROTOS).map(([n, p]) => `${n} ${p}`).join('\n');
  }
  for (const line of text.split('\n')) {
    const [name, num, ...aliases] = line.replace(/#.*/, '').trim().split(/\s+/);
    const p = Number(num);
    if (!name || !/^[0-9]+$/.test(num ?? '') || p > 255) continue;
    if (!byNumber.has(p)) byNumber.set(p, name);
    for (const n of [name, ...aliases]) if (!byName.has(n)) byName.set(n, p);
  }
  if (!byName.has('icmpv6')) byName.set('icmpv6', 58);
  return (protoTable = { byName, byNumber });
}

/** An /etc/passwd or /etc/group name's id, as getpwnam / getgrnam give it (nft's uid_type_parse, gid_type_parse). */
function accountId(file: '/etc/passwd' | '/etc/group', name: string): number | undefined {
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name && f.length > 2) return Number(f[2]);
    }
  } catch {
    // no such file: no names
  }
  return undefined;
}
const SERVICES: Readonly<Record<string, number>> = {
  ftp: 21, ssh: 22, telnet: 23, smtp: 25, domain: 53, http: 80, ntp: 123, bgp: 179, https: 443, 'http-alt': 8080,
};
/** nft's addrtype_tbl (fib.c): RTN_* by number, up to prohibit. */
export const FIB_ADDRTYPES: readonly string[] = ['unspec', 'unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit'];
export const CT_STATES: ReadonlyArray<[string, number]> = [['invalid', 1], ['established', 2], ['related', 4], ['new', 8], ['untracked', 64]];
/** nft's ct_status_tbl: the conntrack's IPS_* bits users match (`ct status dnat`). */
export const CT_STATUS: ReadonlyArray<[string, number]> = [['expected', 1], ['seen-reply', 2], ['assured', 4], ['confirmed', 8], ['snat', 16], ['dnat', 32], ['dying', 512]];

/** A bitmask type's names (ct state, ct status) for the bits of `v`: each known bit's name, the rest in hex after. */
export function flagNames(type: DataType, v: number): string[] {
  if (type !== 'ct_status') return CT_STATES.filter(([, bit]) => (v & bit) !== 0).map(([n]) => n);
  // nft's symbolic bitmask listing goes bit by bit, lowest first: a bit's name, else the bit in hex — 0xfffffdc0 is
  // `0x40,0x80,0x100,0x400,…`, not one word (nft 1.0.6, tests/nf/nft_ct_status_kernel)
  const names: string[] = [];
  for (let b = 0; b < 32; b++) {
    if (((v >>> b) & 1) === 0) continue;
    const bit = 2 ** b;
    names.push(CT_STATUS.find(([, x]) => x === bit)?.[0] ?? `0x${bit.toString(16)}`);
  }
  return names;
}

export function protoNumber(name: string): number | undefined {
  const n = protoInt(name);
  if (n !== undefined) return n <= 255 ? n : undefined;
  return protos().byName.get(name);
}

/** nft's inet_protocol_type_parse reads a number as strtoumax(…, 0) does (hex, octal, decimal) before a name. */
function protoInt(text: string): number | undefined {
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) return parseInt(text.slice(2), 16);
  if (/^0[0-7]*$/.test(text)) return parseInt(text, 8);
  if (/^[1-9][0-9]*$/.test(text)) return Number(text);
  return undefined;
}

function u32(v: number, host: boolean, len = 4): Uint8Array {
  const b = new Uint8Array(len);
  const dv = new DataView(b.buffer);
  if (len === 4) dv.setUint32(0, v >>> 0, host);
  else if (len === 2) dv.setUint16(0, v, host);
  else b[0] = v;
  return b;
}

function err(msg: string, loc: Loc): never {
  throw new NftParseError(msg, loc);
}

function intOf(text: string): number | undefined {
  if (/^0x[0-9a-fA-F]+$/.test(text)) return parseInt(text, 16);
  if (/^[0-9]+$/.test(text)) return Number(text);
  return undefined;
}

/**
 * glibc's inet_aton, which getaddrinfo tries before any lookup: `a`, `a.b`, `a.b.c` or `a.b.c.d`, each part decimal,
 * 0x hex or 0 octal, the last filling the bytes left (`22` is 0.0.0.22, `1.2` is 1.0.0.2).
 */
function inetAton(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length > 4 || parts.some((p) => !/^(0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*)$/.test(p))) return undefined;
  const nums = parts.map((p) => (/^0[xX]/.test(p) ? parseInt(p.slice(2) || '0', 16) : p.length > 1 && p.startsWith('0') ? parseInt(p, 8) : Number(p)));
  const last = nums.pop()!;
  if (nums.some((n) => n > 255) || last >= 2 ** (8 * (4 - nums.length))) return undefined;
  const out = new Uint8Array(4);
  nums.forEach((n, i) => (out[i] = n));
  for (let i = 3, v = last; i >= nums.length; i--, v = Math.floor(v / 256)) out[i] = v % 256;
  return out;
}

function addr(type: 'ipv4_addr' | 'ipv6_addr', text: string, loc: Loc): Uint8Array {
  const aton = type === 'ipv4_addr' ? inetAton(text) : undefined;
  if (aton) return aton;
  try {
    const a = parseAddr(text, type === 'ipv4_addr' ? 'inet' : 'inet6');
    if ((type === 'ipv4_addr') !== (a.family === 2)) throw new Error('family');
    return a.bytes.slice(0, type === 'ipv4_addr' ? 4 : 16);
  } catch {
    // getaddrinfo for one family with the other's literal: EAI_ADDRFAMILY (measured: `ip saddr 2001:db8::1`)
    const other = (() => {
      try {
        return parseAddr(text, type === 'ipv4_addr' ? 'inet6' : 'inet').family !== (type === 'ipv4_addr' ? 2 : 10);
      } catch {
        return false;
      }
    })();
    if (other) return err('Could not resolve hostname: Address family for hostname not supported', loc);
    return err('Could not resolve hostname: Name or service not known', loc);
  }
}

/** A 16-bit big-endian field written by its name in `table` or as a number (nft's symbol table types). */
function symbol16(table: ReadonlyArray<[string, number]>, text: string, loc: Loc, what: string): Uint8Array {
  const named = table.find(([n]) => n === text);
  if (named) return u32(named[1], false, 2);
  const n = intOf(text);
  if (n === undefined) return err(`Could not parse ${what}`, loc);
  if (n > 0xffff) return err(`Value ${n} exceeds valid range 0-65535`, loc);
  return u32(n, false, 2);
}

function scalar(type: DataType, text: string, loc: Loc): Uint8Array {
  const info = TYPE_INFO[type];
  switch (type) {
    case 'ipv4_addr':
    case 'ipv6_addr':
      return addr(type, text, loc);
    case 'inet_service': {
      const n = intOf(text) ?? SERVICES[text];
      if (n === undefined) return err('Could not resolve service: Servname not supported for ai_socktype', loc);
      if (n > 65535) return err('Service out of range', loc);
      return u32(n, false, 2);
    }
    case 'inet_proto': {
      const i = protoInt(text);
      if (i !== undefined && i > 255) return err('Protocol out of range', loc);
      const n = protoNumber(text);
      if (n === undefined) return err('Could not resolve protocol name', loc);
      return u32(n, false, 1);
    }
    case 'nf_proto': {
      const n = text === 'ipv4' ? 2 : text === 'ipv6' ? 10 : undefined;
      if (n === undefined) return err('Could not parse netfilter protocol', loc);
      return u32(n, false, 1);
    }
    case 'ct_dir': {
      const n = text === 'original' ? 0 : text === 'reply' ? 1 : undefined;
      if (n === undefined) return err('Could not parse conntrack direction', loc);
      return u32(n, false, 1);
    }
    case 'dscp':
    case 'dscp6':
    case 'ecn': {
      const n = (type === 'ecn' ? ECN : DSCP).find(([name]) => name === text)?.[1] ?? intOf(text);
      const max = type === 'ecn' ? 3 : 63;
      if (n === undefined) return err(type === 'ecn' ? 'Could not parse Explicit Congestion Notification' : 'Could not parse Differentiated Services Code Point', loc);
      if (n > max) return err(`Value ${n} exceeds valid range 0-${max}`, loc);
      return type === 'dscp' ? Uint8Array.of(n << 2) : type === 'dscp6' ? Uint8Array.of(n >> 2, (n << 6) & 0xff) : Uint8Array.of(n);
    }
    case 'arp_op':
      return symbol16(ARP_OPS, text, loc, 'ARP operation');
    case 'day': {
      const i = DAYS.indexOf(text);
      const n = i >= 0 ? i : intOf(text);
      if (n === undefined) return err('Could not parse Day of week of packet reception', loc);
      if (n > 6) return err(`Value ${n} exceeds valid range 0-6`, loc);
      return Uint8Array.of(n);
    }
    case 'hour':
      return u32(hourValue(text, loc), true);
    case 'time': {
      // date_type_parse: `%Y-%m-%d` then ` %H:%M:%S` (or ` %H:%M`) as local time (mktime), else a Unix timestamp in seconds
      const d = /^([0-9]{1,4})-([0-9]{1,2})-([0-9]{1,2})(?: ([0-9]{1,2}):([0-9]{1,2})(?::([0-9]{1,2}))?)?$/.exec(text);
      let secs: bigint | undefined;
      if (d && Number(d[2]) >= 1 && Number(d[2]) <= 12 && Number(d[3]) >= 1 && Number(d[3]) <= 31 && Number(d[4] ?? 0) <= 23 && Number(d[5] ?? 0) <= 59 && Number(d[6] ?? 0) <= 60) {
        secs = BigInt(Math.floor(new Date(Number(d[1]), Number(d[2]) - 1, Number(d[3]), Number(d[4] ?? 0), Number(d[5] ?? 0), Number(d[6] ?? 0)).getTime() / 1000));
      } else if (/^[0-9]+$/.test(text)) secs = BigInt(text);
      if (secs === undefined) return err('Cannot parse date', loc);
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, secs * 1_000_000_000n), true);
      return b;
    }
    case 'ct_time': {
      // time_type_parse: a timestring (`1m30s`), or a number of seconds
      const ms = /^[0-9]+$/.test(text) ? Number(text) * 1000 : timeMs(text);
      if (ms === undefined) return err('wrong time format', loc);
      if (ms > 0xffffffff) return err('Value too large', loc);
      return u32(ms, true);
    }
    case 'pkt_type': {
      const n = PKT_TYPES.find(([name]) => name === text)?.[1] ?? intOf(text);
      if (n === undefined) return err('Could not parse packet type', loc);
      if (n > 0xff) return err(`Value ${n} exceeds valid range 0-255`, loc);
      return Uint8Array.of(n);
    }
    case 'iface_type':
    case 'zone16': {
      const n = (type === 'iface_type' ? IFACE_TYPES.find(([name]) => name === text)?.[1] : undefined) ?? intOf(text);
      if (n === undefined) return err(type === 'iface_type' ? 'Could not parse network interface type' : 'Could not parse integer', loc);
      if (n > 0xffff) return err(`Value ${n} exceeds valid range 0-65535`, loc);
      return u32(n, true, 2);
    }
    case 'ether_type':
      return symbol16(ETHER_TYPES, text, loc, 'Ethernet protocol');
    case 'bits4h':
    case 'bits4l':
    case 'ecn6':
    case 'flowlabel':
    case 'frag_off':
    case 'frag_res2':
    case 'frag_mf': {
      const n = (type === 'ecn6' ? ECN.find(([name]) => name === text)?.[1] : undefined) ?? intOf(text);
      if (n === undefined) return err(type === 'ecn6' ? 'Could not parse Explicit Congestion Notification' : 'Could not parse integer', loc);
      const { max } = BITFIELDS[type];
      if (n > max) return err(`Value ${n} exceeds valid range 0-${max}`, loc);
      return bitsBytes(type, n);
    }
    case 'integer64h': {
      // nft's integer of 64 bits (ct bytes, packets, avgpkt): decimal or 0x hex, up to 2^64 - 1
      const n = /^0x[0-9a-fA-F]+$/.test(text) || /^[0-9]+$/.test(text) ? BigInt(text) : undefined;
      if (n === undefined) return err('Could not parse integer', loc);
      if (n > 0xffffffffffffffffn) return err(`Value ${text} exceeds valid range 0-18446744073709551615`, loc);
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, n, true);
      return b;
    }
    case 'vlan_id':
    case 'vlan_pcp':
    case 'vlan_dei': {
      const [max, shift] = VLAN_BITS[type];
      const n = intOf(text);
      if (n === undefined) return err('Could not parse integer', loc);
      if (n > max) return err(`Value ${n} exceeds valid range 0-${max}`, loc);
      return type === 'vlan_id' ? u32(n, false, 2) : Uint8Array.of(n << shift);
    }
    case 'ether_addr': {
      // nft's scanner has a MAC address as six groups of 1-2 hex digits; anything else it reads as `02:00` and a
      // colon, the grammar stopping at the second colon (measured: `02:00:00:00:00:zz`, `02:00:00:00:00`)
      const m = /^([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})$/.exec(text);
      if (m) return Uint8Array.from(m.slice(1).map((x) => parseInt(x, 16)));
      const colon = text.indexOf(':', text.indexOf(':') + 1);
      if (colon > 0) throw new NftParseError('syntax error, unexpected colon, expecting newline or semicolon', { ...loc, col: loc.col + colon, end: loc.col + colon });
      return err('Could not parse Ethernet address', loc);
    }
    case 'icmp_type':
    case 'icmpv6_type': {
      const named = ICMP_TYPES[type].find(([n]) => n === text);
      if (named) return u32(named[1], false, 1);
      const n = intOf(text);
      if (n === undefined) return err(`Could not parse ${type === 'icmp_type' ? 'ICMP' : 'ICMPv6'} type`, loc);
      if (n > 0xff) return err(`Value ${n} exceeds valid range 0-255`, loc);
      return u32(n, false, 1);
    }
    case 'icmp_code':
    case 'icmpv6_code':
    case 'tcp_flag': {
      const named = type === 'tcp_flag' ? TCP_FLAGS.indexOf(text) : Number(Object.entries(ICMP_CODES[type]).find(([, n]) => n === text)?.[0] ?? -1);
      if (named >= 0) return u32(type === 'tcp_flag' ? 1 << named : named, false, 1);
      const n = intOf(text);
      if (n === undefined) return err(type === 'tcp_flag' ? 'Could not parse TCP flag' : `Could not parse ${type === 'icmp_code' ? 'icmp' : 'icmpv6'} code`, loc);
      if (n > 0xff) return err(`Value ${n} exceeds valid range 0-255`, loc);
      return u32(n, false, 1);
    }
    case 'uid':
    case 'gid': {
      const n = intOf(text) ?? accountId(type === 'uid' ? '/etc/passwd' : '/etc/group', text);
      if (n === undefined) return err(type === 'uid' ? 'User does not exist' : 'Group does not exist', loc);
      if (n > 0xffffffff) return err('Value too large', loc);
      return u32(n, true);
    }
    case 'fib_addrtype': {
      const i = FIB_ADDRTYPES.indexOf(text);
      const n = i >= 0 ? i : intOf(text);
      if (n === undefined) return err('Could not parse fib address type', loc);
      if (n > 0xffffffff) return err('Value too large', loc);
      return u32(n, true);
    }
    case 'boolean':
      if (text !== 'exists' && text !== 'missing') return err('Could not parse boolean type', loc);
      return Uint8Array.of(text === 'exists' ? 1 : 0);
    case 'ct_state': {
      const s = CT_STATES.find(([n]) => n === text);
      if (!s) return err('Could not parse conntrack state', loc);
      return u32(s[1], true);
    }
    case 'ct_status': {
      const n = CT_STATUS.find(([name]) => name === text)?.[1] ?? intOf(text);
      if (n === undefined) return err('Could not parse conntrack status', loc);
      if (n > 0xffffffff) return err(`Value ${n} exceeds valid range 0-4294967295`, loc);
      return u32(n, true);
    }
    default: {
      const n = intOf(text);
      const max = info.len === 1 ? 0xff : info.len === 2 ? 0xffff : 0xffffffff;
      if (n === undefined) return err(`Could not parse ${type === 'mark' ? 'packet mark' : 'integer'}`, loc);
      if (n > max) return err(`Value ${n} exceeds valid range 0-${max}`, loc);
      return u32(n, info.host, info.len);
    }
  }
}

/** The interval `b/plen` covers: host bits cleared, and set. */
export function prefixBounds(b: Uint8Array, plen: number): [Uint8Array, Uint8Array] {
  const lo = b.slice();
  const hi = b.slice();
  for (let i = 0; i < b.length * 8; i++) {
    if (i < plen) continue;
    const m = 0x80 >> (i & 7);
    lo[i >> 3]! &= ~m;
    hi[i >> 3]! |= m;
  }
  return [lo, hi];
}

/** The prefix length whose interval is [lo, hi] (the bounds agree on the first plen bits, lo has zeros after them and hi ones), if any. */
export function prefixLen(lo: Uint8Array, hi: Uint8Array): number | undefined {
  const bits = lo.length * 8;
  let plen = 0;
  while (plen < bits && ((lo[plen >> 3]! ^ hi[plen >> 3]!) & (0x80 >> (plen & 7))) === 0) plen++;
  for (let i = plen; i < bits; i++) {
    const m = 0x80 >> (i & 7);
    if ((lo[i >> 3]! & m) !== 0 || (hi[i >> 3]! & m) === 0) return undefined;
  }
  return plen;
}

export function cmpBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** A word or quoted string of `type`: a value, `a/len` (addresses), or `a-b`. */
export function parseElem(type: DataType, v: RawValue): Elem {
  if (v.k === 'list' && type === 'tcp_flag') {
    // `syn,ack`, `syn|ack`: the flags together
    const b = Uint8Array.of(v.items.reduce((bits, i) => bits | parseElem(type, i).lo[0]!, 0));
    return { lo: b, hi: b.slice(), kind: 'value' };
  }
  // a concatenation where one value goes (measured: `add element` into a set of one type)
  if (v.k === 'concat') return err("Can't parse symbolic invalid expressions", v.items[0]!.loc);
  if (v.k !== 'word' && v.k !== 'str') return err('syntax error, unexpected ' + (v.k === 'set' ? "'{'" : "'@'"), v.loc);
  if (type === 'iface_index') return { lo: new Uint8Array(4), hi: new Uint8Array(4), kind: 'value', name: v.v };
  if (type === 'ifname') {
    // the name's bytes, NUL-padded to IFNAMSIZ; `stem*` is the interval of every name starting with stem
    const name = v.v;
    const wild = name.endsWith('*');
    if (new TextEncoder().encode(name).length >= 16) return err('String exceeds maximum length of 16', v.loc); // nft: the text, `*` included
    const b = new TextEncoder().encode(wild ? name.slice(0, -1) : name);
    const lo = new Uint8Array(16);
    lo.set(b);
    const hi = lo.slice();
    if (wild) hi.fill(0xff, b.length);
    return { lo, hi, kind: 'value', name };
  }
  const text = v.v;
  if ((type === 'ipv4_addr' || type === 'ipv6_addr' || type === 'ether_addr') && text.includes('/')) {
    const [a, l] = text.split('/') as [string, string];
    const b = type === 'ether_addr' ? scalar(type, a, v.loc) : addr(type, a, v.loc);
    const plen = /^[0-9]+$/.test(l) ? Number(l) : -1;
    if (plen < 0) return err(`Invalid prefix length`, v.loc);
    // (nft 1.0.6's words, measured: `1.2.3.4/33`, `::1/129`)
    if (plen > b.length * 8) return err(`Prefix length ${plen} is invalid for type of ${b.length * 8} bits width`, v.loc);
    const [lo, hi] = prefixBounds(b, plen);
    if (plen === b.length * 8) return { lo, hi, kind: 'value' };
    return { lo, hi, kind: 'prefix', plen };
  }
  const dateRange = type === 'time' ? /^([0-9]+-[0-9]+-[0-9]+(?: [0-9:]+)?|[0-9]+)-([0-9]+(?:-[0-9]+-[0-9]+(?: [0-9:]+)?)?)$/.exec(text) : undefined;
  if (dateRange) {
    const lo = scalar(type, dateRange[1]!, v.loc);
    const hi = scalar(type, dateRange[2]!, v.loc);
    if (cmpBytes(hostToBe(lo), hostToBe(hi)) > 0) return err('Range has zero or negative size', v.loc);
    return { lo, hi, kind: 'range' };
  }
  const dash = ['ipv6_addr', 'ipv4_addr', 'ether_addr', 'vlan_id', 'vlan_pcp', 'vlan_dei', 'bits4h', 'bits4l', 'ecn6', 'flowlabel', 'frag_off', 'frag_res2', 'frag_mf', 'integer64h', 'dscp', 'dscp6', 'ecn', 'inet_service', 'mark', 'inet_proto', 'uid', 'gid', 'integer8', 'integer16', 'integer32', 'integer32be', 'integer16h', 'zone16', 'iface_type', 'pkt_type', 'day', 'hour', 'ct_time'].includes(type) ? text.indexOf('-', 1) : -1;
  // a name with a dash is one word to nft's scanner (`not-ect`, `af11-af13`): only numbers make a range there
  const named = (type === 'dscp' || type === 'dscp6' || type === 'ecn' || type === 'ecn6') && !/^[0-9]/.test(text);
  if (dash > 0 && !named && !(type === 'inet_proto' && protos().byName.has(text))) {
    const lo = scalar(type, text.slice(0, dash), v.loc);
    const hi = scalar(type, text.slice(dash + 1), v.loc);
    const key = memcmpKey(type);
    if (cmpBytes(key(lo), key(hi)) > 0) return err('Range has zero or negative size', v.loc);
    return { lo, hi, kind: 'range' };
  }
  const b = scalar(type, text, v.loc);
  return { lo: b, hi: b.slice(), kind: 'value' };
}

/** Host-order u32 bytes → big-endian (for ordering in sets and ranges). */
export function hostToBe(b: Uint8Array): Uint8Array {
  return b.length === 8 || b.length === 4 || b.length === 2 ? b.slice().reverse() : b;
}

const same = (b: Uint8Array): Uint8Array => b;

/**
 * A type's key bytes as memcmp orders them (sets, ranges, sorting): host-order types big-endian, others as they
 * are. The swap is its own inverse, so the same function also turns such bytes back into register bytes.
 */
export function memcmpKey(type: DataType): (b: Uint8Array) => Uint8Array {
  return TYPE_INFO[type].host ? hostToBe : same;
}

/** The key one past `b` (big-endian), or undefined at the top of the type. */
export function nextKey(b: Uint8Array): Uint8Array | undefined {
  const out = b.slice();
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] !== 0xff) {
      out[i]!++;
      return out;
    }
    out[i] = 0;
  }
  return undefined;
}

export function hostValue(b: Uint8Array): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0, true);
}

function formatScalar(type: DataType, b: Uint8Array): string {
  switch (type) {
    case 'ipv4_addr':
      return formatAddr(2, b);
    case 'ipv6_addr':
      return formatAddr(10, b);
    case 'inet_service':
    case 'integer16':
      return String((b[0]! << 8) | b[1]!);
    case 'integer32be':
      return String(new DataView(b.buffer, b.byteOffset).getUint32(0, false));
    case 'integer16h':
      return String(b[0]! | (b[1]! << 8));
    case 'inet_proto':
      return protos().byNumber.get(b[0]!) ?? String(b[0]);
    case 'nf_proto':
      return b[0] === 2 ? 'ipv4' : b[0] === 10 ? 'ipv6' : String(b[0]);
    case 'ct_dir':
      return b[0] === 0 ? 'original' : 'reply';
    case 'fib_addrtype': {
      const v = hostValue(b);
      return FIB_ADDRTYPES[v] ?? String(v);
    }
    case 'boolean':
      return b[0] ? 'exists' : 'missing';
    case 'ct_state': {
      const v = hostValue(b);
      return CT_STATES.filter(([, bit]) => (v & bit) !== 0).map(([n]) => n).join(',') || '0x0';
    }
    case 'ct_status':
      return flagNames(type, hostValue(b)).join(',') || '0x0';
    case 'iface_index': // an index no device has (ifindex_type_print); devices list by name
      return String(new DataView(b.buffer, b.byteOffset).getUint32(0, false));
    case 'mark':
      return `0x${hostValue(b).toString(16).padStart(8, '0')}`;
    case 'integer8':
      return String(b[0]);
    case 'arp_op': {
      const v = (b[0]! << 8) | b[1]!;
      return ARP_OPS.find(([, n]) => n === v)?.[0] ?? String(v);
    }
    case 'ether_type': {
      const v = (b[0]! << 8) | b[1]!;
      return ETHER_TYPES.find(([, n]) => n === v)?.[0] ?? `0x${v.toString(16).padStart(4, '0')}`;
    }
    case 'vlan_id':
      return String((b[0]! << 8) | b[1]!);
    case 'dscp':
    case 'dscp6':
    case 'ecn': {
      const n = dscpValue(type, b);
      return (type === 'ecn' ? ECN : DSCP).find(([, v]) => v === n)?.[0] ?? `0x${n.toString(16).padStart(2, '0')}`;
    }
    case 'vlan_pcp':
    case 'vlan_dei':
      return String(b[0]! >> VLAN_BITS[type][1]);
    case 'ecn6': {
      const n = bitsValue(type, b);
      return ECN.find(([, v]) => v === n)![0];
    }
    case 'bits4h':
    case 'bits4l':
    case 'flowlabel':
    case 'frag_off':
    case 'frag_res2':
    case 'frag_mf':
      return String(bitsValue(type, b));
    case 'integer64h':
      return String(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
    case 'ether_addr':
      return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
    case 'icmp_type':
    case 'icmpv6_type':
      return ICMP_TYPES[type].find(([, v]) => v === b[0])?.[0] ?? String(b[0]);
    case 'icmp_code':
    case 'icmpv6_code':
      return ICMP_CODES[type][b[0]!] ?? String(b[0]);
    case 'tcp_flag':
      return tcpFlagsText(b[0]!);
    case 'time': {
      // date_type_print: local time, to the second
      const ms = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true) / 1_000_000_000n) * 1000;
      const t = new Date(ms);
      const p = (n: number): string => String(n).padStart(2, '0');
      return `"${t.getFullYear()}-${p(t.getMonth() + 1)}-${p(t.getDate())} ${p(t.getHours())}:${p(t.getMinutes())}:${p(t.getSeconds())}"`;
    }
    case 'ct_time': {
      // time_print: nothing for 0 (measured: `ct expiration 0` lists as `ct expiration `)
      const ms = hostValue(b);
      const parts: Array<[number, string]> = [[Math.floor(ms / 86400000), 'd'], [Math.floor(ms / 3600000) % 24, 'h'], [Math.floor(ms / 60000) % 60, 'm'], [Math.floor(ms / 1000) % 60, 's'], [ms % 1000, 'ms']];
      return parts.filter(([n]) => n !== 0).map(([n, u]) => `${n}${u}`).join('');
    }
    case 'day':
      return DAYS[b[0]!] !== undefined ? `"${DAYS[b[0]!]}"` : String(b[0]);
    case 'hour': {
      // hour_type_print: back to local time, seconds shown only when there are some
      const s = (hostValue(b) + gmtoff()) % 86400;
      const p = (n: number): string => String(n).padStart(2, '0');
      return `"${p(Math.floor(s / 3600))}:${p(Math.floor(s / 60) % 60)}${s % 60 ? `:${p(s % 60)}` : ''}"`;
    }
    case 'pkt_type':
      return PKT_TYPES.find(([, v]) => v === b[0])?.[0] ?? String(b[0]);
    case 'iface_type':
    case 'zone16': {
      const v = b[0]! | (b[1]! << 8);
      return (type === 'iface_type' ? IFACE_TYPES.find(([, n]) => n === v)?.[0] : undefined) ?? String(v);
    }
    default:
      return String(hostValue(b));
  }
}

/** A key's length in bytes: a concatenation's fields each padded to 4 (NFT_REG32 registers), another type's own. */
export function keyLen(type: DataType, concat?: readonly DataType[]): number {
  return concat ? concat.reduce((n, t) => n + ((TYPE_INFO[t].len + 3) & ~3), 0) : TYPE_INFO[type].len;
}

/** A concatenation's key as nft_concat lays it out in NFT_REG32 registers: each field's bytes padded to 4. */
export function concatKey(parts: readonly Elem[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + ((p.lo.length + 3) & ~3), 0));
  let at = 0;
  for (const p of parts) {
    out.set(p.lo, at);
    at += (p.lo.length + 3) & ~3;
  }
  return out;
}

/**
 * A per-field element's bound (`lo` or `hi` of each field) as the evaluator compares it: each field's bytes padded to
 * 4, host-order fields big-endian (nft loads them, then `byteorder … hton` before a lookup in an interval
 * concatenation, `--debug=netlink` measured for meta mark), so memcmp of one field orders its values.
 */
export function fieldBound(types: readonly DataType[], e: Elem, end: 'lo' | 'hi'): Uint8Array {
  const out = new Uint8Array(keyLen('concat', types));
  let at = 0;
  e.parts!.forEach((p, i) => {
    out.set(memcmpKey(types[i]!)(p[end]), at);
    at += (p.lo.length + 3) & ~3;
  });
  return out;
}

/**
 * nft_pipapo's match: the key (fieldBound's layout) is in the element iff every field lies in that field's range, not
 * a lexicographic range over the whole key.
 */
export function inFields(types: readonly DataType[], k: Uint8Array, lo: Uint8Array, hi: Uint8Array): boolean {
  let at = 0;
  for (const t of types) {
    const end = at + ((TYPE_INFO[t].len + 3) & ~3);
    // memcmp of the field against its low bound, then its high bound (no subarrays: this runs n² times on a big add)
    let below = 0;
    let above = 0;
    for (let i = at; i < end && (below === 0 || above === 0); i++) {
      if (below === 0 && k[i] !== lo[i]) below = k[i]! < lo[i]! ? -1 : 1;
      if (above === 0 && k[i] !== hi[i]) above = k[i]! > hi[i]! ? 1 : -1;
    }
    if (below < 0 || above > 0) return false;
    at = end;
  }
  return true;
}

/** Where each field but the first begins, as bits of its 4-byte word (word w: bit w - 1), for the set header. */
export function fieldStarts(types: readonly DataType[]): number {
  let mask = 0;
  let at = 0;
  types.forEach((t, i) => {
    if (i > 0) mask |= 1 << ((at >> 2) - 1);
    at += (TYPE_INFO[t].len + 3) & ~3;
  });
  return mask;
}

/** A concatenation's element as nft prints it: its fields joined by ` . `. */
export function formatConcat(types: readonly DataType[], e: Elem): string {
  return e.parts!.map((p, i) => formatElem(types[i]!, p)).join(' . ');
}

/**
 * A concatenation's elements in nft's listing order (mergesort.c concat_expr_msort_value): the fields' bytes
 * unpadded, each in its own byte order (host-order fields as the register holds them), read as one host-endian
 * (little-endian) number, so the last byte weighs most (measured: { 192.0.2.9 . 1, 10.0.0.1 . 5, 192.0.2.1 . 22 }).
 */
export function sortConcat(elems: readonly Elem[]): Elem[] {
  const v = (e: Elem): Uint8Array => Uint8Array.from(e.parts!.flatMap((p) => [...p.lo])).reverse();
  return elems.map((e) => ({ e, k: v(e) })).sort((a, b) => cmpBytes(a.k, b.k)).map((x) => x.e);
}

/** An element as nft prints it. */
export function formatElem(type: DataType, e: Elem): string {
  if (e.name !== undefined) return `"${e.name}"`;
  if (e.kind === 'prefix') return `${formatScalar(type, e.lo)}/${e.plen}`;
  // a DSCP range's bounds list in hex, not by name (measured: `ip dscp 10-20` is `0x0a-0x14`)
  if (e.kind === 'range' && (type === 'dscp' || type === 'dscp6')) return [e.lo, e.hi].map((b) => `0x${dscpValue(type, b).toString(16).padStart(2, '0')}`).join('-');
  // a range of days lists by number (measured: `"Monday"-"Friday"` is `1-5`)
  if (e.kind === 'range' && type === 'day') return `${e.lo[0]}-${e.hi[0]}`;
  if (e.kind === 'range') return `${formatScalar(type, e.lo)}-${formatScalar(type, e.hi)}`;
  return formatScalar(type, e.lo);
}

/** Sort by value (as nft prints sets) and give the disjoint intervals the lookup searches. */
export function sortElems(type: DataType, elems: Elem[]): Elem[] {
  // nft sorts `syn | ack` (a binop when listed) by its first flag (measured: { fin | psh, rst, ack })
  if (type === 'tcp_flag') return [...elems].sort((a, b) => (a.lo[0]! & -a.lo[0]!) - (b.lo[0]! & -b.lo[0]!));
  const key = memcmpKey(type);
  return [...elems].sort((a, b) => cmpBytes(key(a.lo), key(b.lo)) || cmpBytes(key(a.hi), key(b.hi)));
}

/** A run of elements merged into one interval: its bounds as memcmp keys, and the elements that grew it, in order. */
export interface Run {
  lo: Uint8Array;
  hi: Uint8Array;
  /** The element that began it, then each that extended its high bound (one inside it adds nothing). */
  grew: Elem[];
}

/**
 * Merge elements into disjoint [lo, hi] intervals of register bytes ordered as memcmp orders them; with `adjacent`
 * (nft's auto-merge) intervals that touch become one too.
 */
export function runs(type: DataType, elems: readonly Elem[], adjacent = false): Run[] {
  // the evaluator compares register bytes with memcmp: host-order keys are stored big-endian in sets
  // only when the compiler converts the register first (nft_compile.ts does for host types)
  const key = memcmpKey(type);
  const sorted = elems.map((e) => ({ e, lo: key(e.lo), hi: key(e.hi) })).sort((a, b) => cmpBytes(a.lo, b.lo));
  const out: Run[] = [];
  for (const { e, lo, hi } of sorted) {
    const last = out[out.length - 1];
    const after = last && adjacent ? nextKey(last.hi) : undefined;
    if (last && (cmpBytes(lo, last.hi) <= 0 || (adjacent && (after === undefined || cmpBytes(lo, after) <= 0)))) {
      if (cmpBytes(hi, last.hi) > 0) {
        last.hi = hi;
        last.grew.push(e);
      }
    } else out.push({ lo, hi, grew: [e] });
  }
  return out;
}

/** The disjoint intervals of `elems` (an anonymous set's, as the evaluator looks them up). */
export function intervals(type: DataType, elems: Elem[]): Array<[Uint8Array, Uint8Array]> {
  return runs(type, elems).map((r) => [r.lo, r.hi]);
}
