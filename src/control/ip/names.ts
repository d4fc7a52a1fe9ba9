// iproute2's name databases (lib/rt_names.c, lib/rtm_map.c, lib/inet_proto.c) with the contents Debian
// ships in /etc/iproute2 and /etc/protocols, built in so wxdp reads and prints the same names as the
// `ip` it is compared with: route tables, protocols, scopes, DS field values, route types, IP protocols.

import { getU8, getU32, matches, strtoul } from './syntax.js';

function byName(table: ReadonlyArray<readonly [number, string]>, arg: string): number | undefined {
  for (const [id, name] of table) if (name === arg) return id;
  return undefined;
}

/** strtoul(arg, &end, base) with nothing left over and res ≤ max (the *_a2n fallback). */
function numberUpTo(arg: string, base: number, max: number): number | undefined {
  const r = strtoul(arg, base);
  if (r.end === 0 || r.end !== arg.length || (r.negative && r.value !== 0) || r.value > max) return undefined;
  return r.value;
}

// /etc/iproute2/rt_tables
const TABLES: ReadonlyArray<readonly [number, string]> = [[255, 'local'], [254, 'main'], [253, 'default'], [0, 'unspec']];

/** rtnl_rttable_a2n: a table name or number (≤ 2^32-1). */
export function tableA2n(arg: string): number | undefined {
  return byName(TABLES, arg) ?? numberUpTo(arg, 0, 0xffffffff);
}

export function tableN2a(id: number): string {
  return TABLES.find(([t]) => t === id)?.[1] ?? String(id);
}

// lib/rt_names.c rtnl_rtprot_tab, then /etc/iproute2/rt_protos (which adds openr and renumbers babel)
const PROTOS: ReadonlyArray<readonly [number, string]> = [
  [0, 'unspec'], [1, 'redirect'], [2, 'kernel'], [3, 'boot'], [4, 'static'], [8, 'gated'], [9, 'ra'], [10, 'mrt'],
  [11, 'zebra'], [12, 'bird'], [13, 'dnrouted'], [14, 'xorp'], [15, 'ntk'], [16, 'dhcp'], [18, 'keepalived'],
  [42, 'babel'], [99, 'openr'], [186, 'bgp'], [187, 'isis'], [188, 'ospf'], [189, 'rip'], [192, 'eigrp'],
];

export function protoA2n(arg: string): number | undefined {
  return byName(PROTOS, arg) ?? numberUpTo(arg, 0, 255);
}

export function protoN2a(id: number): string {
  return PROTOS.find(([p]) => p === id)?.[1] ?? String(id);
}

// /etc/iproute2/rt_scopes
const SCOPES: ReadonlyArray<readonly [number, string]> = [[0, 'global'], [255, 'nowhere'], [254, 'host'], [253, 'link'], [200, 'site']];

export function scopeA2n(arg: string): number | undefined {
  return byName(SCOPES, arg) ?? numberUpTo(arg, 0, 255);
}

export function scopeN2a(id: number): string {
  return SCOPES.find(([s]) => s === id)?.[1] ?? String(id);
}

// /etc/iproute2/rt_dsfield (the table starts with "0" at 0, replaced by the file's "default")
const DSFIELD: ReadonlyArray<readonly [number, string]> = [
  [0x00, 'default'], [0x28, 'AF11'], [0x30, 'AF12'], [0x38, 'AF13'], [0x48, 'AF21'], [0x50, 'AF22'], [0x58, 'AF23'],
  [0x68, 'AF31'], [0x70, 'AF32'], [0x78, 'AF33'], [0x88, 'AF41'], [0x90, 'AF42'], [0x98, 'AF43'], [0x20, 'CS1'],
  [0x40, 'CS2'], [0x60, 'CS3'], [0x80, 'CS4'], [0xa0, 'CS5'], [0xc0, 'CS6'], [0xe0, 'CS7'], [0xb8, 'EF'],
];

/** rtnl_dsfield_a2n: a name, or a number read in base 16 ("tos 10" is 0x10). */
export function dsfieldA2n(arg: string): number | undefined {
  return byName(DSFIELD, arg) ?? numberUpTo(arg, 16, 255);
}

export function dsfieldN2a(id: number): string {
  return DSFIELD.find(([d]) => d === id)?.[1] ?? `0x${id.toString(16).padStart(2, '0')}`;
}

/** rtnl_dscp_a2n (iproute2 ≥ 6.12): a number in any base, or a DS field name shifted right by 2. */
export function dscpA2n(arg: string): number | undefined {
  const n = getU32(arg, 0);
  if (n !== undefined) return n;
  const ds = dsfieldA2n(arg);
  return ds === undefined ? undefined : ds >> 2;
}

export function dscpN2a(id: number): string {
  return DSFIELD.find(([d]) => d === id << 2)?.[1] ?? String(id);
}

export const RTN_NAMES = ['none', 'unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat', 'xresolve'] as const;

/** rtnl_rtntype_a2n: route type names (some by abbreviation, as matches() allows) or a number ≤ 255. */
export function rtntypeA2n(arg: string): number | undefined {
  if (arg === 'local') return 2;
  if (arg === 'nat') return 10;
  if (matches(arg, 'broadcast') || arg === 'brd') return 3;
  if (matches(arg, 'anycast')) return 4;
  if (matches(arg, 'multicast')) return 5;
  if (matches(arg, 'prohibit')) return 8;
  if (matches(arg, 'unreachable')) return 7;
  if (matches(arg, 'blackhole')) return 6;
  if (matches(arg, 'xresolve')) return 11;
  if (matches(arg, 'unicast')) return 1;
  if (arg === 'throw') return 9;
  return numberUpTo(arg, 0, 255);
}

export function rtntypeN2a(id: number): string {
  return RTN_NAMES[id] ?? String(id);
}

// /etc/protocols (name and aliases), as getprotobyname/getprotobynumber read it
const IP_PROTOS: ReadonlyArray<readonly [number, ...string[]]> = [
  [0, 'ip', 'IP'], [0, 'hopopt', 'HOPOPT'], [1, 'icmp', 'ICMP'], [2, 'igmp', 'IGMP'], [3, 'ggp', 'GGP'], [4, 'ipencap', 'IP-ENCAP'],
  [5, 'st', 'ST'], [6, 'tcp', 'TCP'], [8, 'egp', 'EGP'], [9, 'igp', 'IGP'], [12, 'pup', 'PUP'], [17, 'udp', 'UDP'], [20, 'hmp', 'HMP'],
  [22, 'xns-idp', 'XNS-IDP'], [27, 'rdp', 'RDP'], [29, 'iso-tp4', 'ISO-TP4'], [33, 'dccp', 'DCCP'], [36, 'xtp', 'XTP'], [37, 'ddp', 'DDP'],
  [38, 'idpr-cmtp', 'IDPR-CMTP'], [41, 'ipv6', 'IPv6'], [43, 'ipv6-route', 'IPv6-Route'], [44, 'ipv6-frag', 'IPv6-Frag'],
  [45, 'idrp', 'IDRP'], [46, 'rsvp', 'RSVP'], [47, 'gre', 'GRE'], [50, 'esp', 'IPSEC-ESP'], [51, 'ah', 'IPSEC-AH'], [57, 'skip', 'SKIP'],
  [58, 'ipv6-icmp', 'IPv6-ICMP'], [59, 'ipv6-nonxt', 'IPv6-NoNxt'], [60, 'ipv6-opts', 'IPv6-Opts'], [73, 'rspf', 'RSPF', 'CPHB'],
  [81, 'vmtp', 'VMTP'], [88, 'eigrp', 'EIGRP'], [89, 'ospf', 'OSPFIGP'], [93, 'ax.25', 'AX.25'], [94, 'ipip', 'IPIP'],
  [97, 'etherip', 'ETHERIP'], [98, 'encap', 'ENCAP'], [103, 'pim', 'PIM'], [108, 'ipcomp', 'IPCOMP'], [112, 'vrrp', 'VRRP'],
  [115, 'l2tp', 'L2TP'], [124, 'isis', 'ISIS'], [132, 'sctp', 'SCTP'], [133, 'fc', 'FC'], [135, 'mobility-header', 'Mobility-Header'],
  [136, 'udplite', 'UDPLite'], [137, 'mpls-in-ip', 'MPLS-in-IP'], [138, 'manet'], [139, 'hip', 'HIP'], [140, 'shim6', 'Shim6'],
  [141, 'wesp', 'WESP'], [142, 'rohc', 'ROHC'], [143, 'ethernet', 'Ethernet'],
];

/** inet_proto_a2n: a decimal number ≤ 255 or a protocol name; undefined when neither. */
export function inetProtoA2n(arg: string): number | undefined {
  const n = getU8(arg, 10);
  if (n !== undefined) return n;
  return IP_PROTOS.find(([, ...names]) => names.includes(arg))?.[0];
}

export function inetProtoN2a(id: number): string {
  return IP_PROTOS.find(([p]) => p === id)?.[1] ?? `ipproto-${id}`;
}

/** ll_proto_a2n for the VLAN protocols wxdp has (names case-insensitive, else a 16-bit number). */
export function vlanProtoA2n(arg: string): number | undefined {
  if (arg.toLowerCase() === '802.1q') return 0x8100;
  if (arg.toLowerCase() === '802.1ad') return 0x88a8;
  const r = strtoul(arg, 0);
  if (r.end === 0 || r.end !== arg.length || (r.negative && r.value !== 0) || r.value > 0xffff) return undefined;
  return r.value;
}
