// `nft list ruleset` / `list table` / `list chain` output, as nftables 1.0.6 prints it: a tab per level,
// a blank line between a table's sets, flowtables and chains, named priorities (`priority filter`,
// `srcnat + 10`), marks as 0x%08x, sets sorted by value, dependencies nft added left out (`udp dport 53`
// for `meta l4proto udp udp dport 53`) and those it shows kept (`meta l4proto tcp reject with tcp reset`).

import { STD_PRIOS, type NftChain, type NftFlowtable, type NftObj, type NftObjType, type NftSet, type NftState, type NftTable, type RStmt, type NatMap, type MapData } from './nft_model.js';
import { anonFields } from './nft_pipapo.js';
import { tcpOptAt } from './nft_exthdr.js';
import { fieldAt, impliedDeps, stmtReduce } from './nft_merge.js';
import { flagNames, formatConcat, formatElem, cmpBytes, prefixLen, sortConcat, sortElems, tcpFlagsText, ICMP_CODES as ICMP_CODE_TABLES, TYPE_INFO, type DataType, type Elem } from './nft_types.js';
import { LOG_LEVELS, TIME_UNITS, type CmpOp, type Selector } from './nft_parse.js';
import { addrBoolOps, bitOpsText, boolOps, maskPrefix, prefixOf } from './nft_bitwise.js';

const OPS: Readonly<Record<string, string>> = { eq: '', neq: '!= ', lt: '< ', gt: '> ', lte: '<= ', gte: '>= ' };
const { icmp_code: ICMP_CODES, icmpv6_code: ICMPV6_CODES } = ICMP_CODE_TABLES;
const ICMPX_CODES: Readonly<Record<number, string>> = { 0: 'no-route', 1: 'port-unreachable', 2: 'host-unreachable', 3: 'admin-prohibited' };
export const REJECT_CODES = { icmp: ICMP_CODES, icmpv6: ICMPV6_CODES, icmpx: ICMPX_CODES };

/** nftables' prio2str: a named priority within ±10 of the value when the name fits the hook. */
export function prioText(prio: number, hook: string, family?: string): string {
  for (const p of STD_PRIOS) {
    if (p.hooks && !p.hooks.includes(hook)) continue;
    // std_prio_family_hook_compat: the netdev and arp families name only `filter`
    if ((family === 'netdev' || family === 'arp') && p.name !== 'filter') continue;
    const off = prio - p.value;
    if (off >= -10 && off <= 10) return off === 0 ? p.name : off > 0 ? `${p.name} + ${off}` : `${p.name} - ${-off}`;
  }
  return String(prio);
}

/** A rule's two u64 at `addr` in the arena (a counter's packets and bytes; a quota's consumed bytes first), or `s` before publishing. */
export interface CounterReader {
  (addr: number, s: { packets: bigint; bytes: bigint }): { packets: bigint; bytes: bigint };
  /** The stack clock when the listing is made (ms): what is left of an element's timeout, and which have expired. */
  now?: number;
  /** A set the data path writes: its elements now, from its store (nft.ts). */
  dynElems?(s: NftSet): Elem[] | undefined;
  /**
   * A device's name now by its index (fwd / dup hold the index: nft lists the name the kernel's index has when it
   * lists, the bare number once the device is gone); absent: the name as loaded.
   */
  ifname?: (ifindex: number) => string | undefined;
}

/** fwd / dup's device as nft lists it: its name now, quoted, or its index once it is gone. */
function devText(counter: CounterReader, ifindex: number, loaded: string): string {
  if (!counter.ifname) return `"${loaded}"`;
  const n = counter.ifname(ifindex);
  return n === undefined ? String(ifindex) : `"${n}"`;
}

/** nftables' time_print: days, hours, minutes, seconds and ms, each when nonzero (`1d2h`, `1m30s`, `500ms`). */
export function timeText(ms: number): string {
  const parts: Array<[number, string]> = [[Math.floor(ms / 86400000), 'd'], [Math.floor(ms / 3600000) % 24, 'h'], [Math.floor(ms / 60000) % 60, 'm'], [Math.floor(ms / 1000) % 60, 's'], [ms % 1000, 'ms']];
  return parts.filter(([n]) => n !== 0).map(([n, u]) => `${n}${u}`).join('') || '0s';
}

/** The parser's time units by their seconds. */
const TIME_UNIT_NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(TIME_UNITS).map(([name, s]) => [s, name]));

/** nftables' get_rate: the largest of bytes, kbytes, mbytes that divides the value. */
function rateText(v: bigint): string {
  const units = ['bytes', 'kbytes', 'mbytes'];
  let i = 0;
  while (v !== 0n && i < units.length - 1 && v % 1024n === 0n) {
    v /= 1024n;
    i++;
  }
  return `${v} ${units[i]}`;
}

/** limit_stmt_print (nftables 1.0.6: a packet burst shown unless it is the default 5, a byte burst unless 0). */
function limitText(s: Extract<RStmt, { k: 'limit' }>): string {
  const over = s.inv ? 'over ' : '';
  const unit = TIME_UNIT_NAMES[s.unit] ?? 'error';
  if (!s.bytes) return `limit rate ${over}${s.rate}/${unit}${s.burst !== 0n && s.burst !== 5n ? ` burst ${s.burst} packets` : ''}`;
  return `limit rate ${over}${rateText(s.rate)}/${unit}${s.burst !== 0n ? ` burst ${rateText(s.burst)}` : ''}`;
}

/**
 * quota_stmt_print over what nft_quota_do_dump reports: the consumed bytes capped at the quota (a depleted quota
 * shows `used` equal to its size), `used` left out while 0.
 */
function quotaText(s: Extract<RStmt, { k: 'quota' }>, counter: CounterReader): string {
  let used = counter(s.addr, { packets: s.used, bytes: 0n }).packets;
  if (used > s.bytes) used = s.bytes;
  return `quota ${s.inv ? 'over ' : ''}${rateText(s.bytes)}${used !== 0n ? ` used ${rateText(used)}` : ''}`;
}

/** log_stmt_print over what nft_log_dump reports for each log type. */
function logText(s: Extract<RStmt, { k: 'log' }>): string {
  let out = 'log';
  if (s.prefix !== undefined) out += ` prefix "${s.prefix}"`;
  if (s.group !== undefined) {
    out += ` group ${s.group}`;
    if (s.snaplen) out += ` snaplen ${s.snaplen}`;
    if (s.qthreshold) out += ` queue-threshold ${s.qthreshold}`;
    return out;
  }
  if (s.level !== 4) out += ` level ${LOG_LEVELS[s.level]}`;
  const f = s.logflags;
  if ((f & 0x2f) === 0x2f) return `${out} flags all`;
  if (f & 0x03) out += ` flags tcp ${[f & 1 ? 'sequence' : '', f & 2 ? 'options' : ''].filter(Boolean).join(',')}`;
  if (f & 0x04) out += ' flags ip options';
  if (f & 0x08) out += ' flags skuid';
  if (f & 0x20) out += ' flags ether';
  return out;
}

/** The fields a statement reads: a concatenation's each, or its one selector. */
function fieldsOf(x: RStmt): Selector[] {
  // a NAT address map's key (a field, a concatenation, jhash's) is read by the statement (its port map's is not)
  if (x.k === 'nat' && x.map && x.map.key.k !== 'numgen') return x.map.key.sel.concat ?? [x.map.key.sel];
  return x.k === 'match' || x.k === 'vmap' || x.k === 'objmap' ? x.sel.concat ?? [x.sel] : [];
}

/** A selector as nft lists it; `th` after a protocol nft knows (`l4`) as that protocol's header. */
function selText(s: { sel: Selector }, l4 = ''): string {
  if (s.sel.concat) return s.sel.concat.map((f) => (f.proto === 'th' && l4 ? `${l4} ${f.field}` : selText({ sel: f }))).join(' . ');
  const { proto, field } = s.sel;
  if (proto === 'meta' && ['mark', 'iif', 'oif', 'iifname', 'oifname'].includes(field)) return field === 'mark' ? 'meta mark' : field;
  if (proto === 'tcpopt') return `tcp option ${field}`;
  if (proto === 'ipopt') return `ip option ${field}`;
  if (proto === 'exthdr') return field.includes(' ') ? field : `exthdr ${field}`;
  return `${proto} ${field}`;
}

function valueText(s: Extract<RStmt, { k: 'match' }>, set: (name: string) => NftSet | undefined): string {
  const v = s.value;
  const t: DataType = s.type;
  if (v.k === 'ref') return `@${v.name}`;
  if (v.k === 'flags') return flagNames(t, v.bits).join(',');
  if (v.k === 'set' && s.concat) return `{ ${concatOrder(v.elems).map((e) => formatConcat(s.concat!, e)).join(', ')} }`;
  if (v.k === 'set') return `{ ${sortElems(t, v.elems).map((e) => (t === 'tcp_flag' ? tcpFlagsText(e.lo[0]!, ' | ') : formatElem(t, e))).join(', ')} }`;
  void set;
  return v.k === 'masked' ? '' : formatElem(t, v.e);
}

/** The transport headers nft knows a `th` port as (proto.c: tcp, udp, udplite, dccp, sctp), by protocol number. */
const TH_PROTOS: Readonly<Record<number, string>> = { 6: 'tcp', 17: 'udp', 33: 'dccp', 132: 'sctp', 136: 'udplite' };

/** The transport protocol a statement fixes for the ones after it (one with ports), if any. */
function l4Of(x: RStmt): string | undefined {
  if (x.k !== 'match') return undefined;
  const l4 = fieldsOf(x).find((f) => f.proto === 'tcp' || f.proto === 'udp');
  if (l4) return l4.proto;
  if (x.type !== 'inet_proto' || x.bits || x.op !== 'eq' || x.value.k !== 'elem' || x.value.e.kind !== 'value') return undefined;
  return TH_PROTOS[x.value.e.lo[0]!];
}

/**
 * `tcp flags & mask op value` as nft 1.0.6 lists it (netlink_delinearize.c binop_postprocess, measured): `F` for
 * `& F != 0`, `! F` for `& F == 0`, the `& F == F` of a single flag kept, otherwise `V / M`.
 */
function maskedText(op: CmpOp, mask: number, value: number): string {
  if (value === 0) return `${op === 'eq' ? '! ' : ''}${tcpFlagsText(mask, ',')}`;
  if (value === mask && (mask & (mask - 1)) === 0) return `& ${tcpFlagsText(mask, ',')} ${op === 'eq' ? '==' : '!='} ${tcpFlagsText(value, ',')}`;
  return `${OPS[op]}${tcpFlagsText(value, ',')} / ${tcpFlagsText(mask, ',')}`;
}

/**
 * A match through NFT_BITWISE_BOOL as nft 1.0.6 lists it (measured): a mask that keeps every bit is not shown, a lone
 * `&` of a prefix's mask shows the value as that prefix (`meta mark 0x00010000/16`), otherwise the operations, then
 * `==` before a value or a set of values (must_print_eq_op: the left side is an operation) but not before a range or
 * an interval set.
 */
function bitsMatchText(sel: string, s: Extract<RStmt, { k: 'match' }>, value: string): string {
  const bits = s.bits!;
  const mark = s.type === 'mark';
  const width = mark ? 32 : TYPE_INFO[s.type].len * 8;
  const ops = boolOps(bits.mask, bits.xor, width);
  const v = s.value;
  const one = ctStatusWord(s);
  if (ops.length === 0) {
    // an all-ones mask, which nft's listing drops: ct status's whole word compared, listed as `==` / `!=` is
    // (`& 0xffffffff == dnat` is `ct status == dnat`, an implicit `ct status 0xffffffff` is `ct status != 0x0`; nft 1.0.6)
    if (one !== undefined && (s.op === 'eq' || s.op === 'neq')) return exactFlagsText(sel, s.op, s.type, one);
    return `${sel} ${OPS[s.op]}${value}`;
  }
  // a mark's type takes prefixes (DTYPE_F_PREFIX), a header's integer does not
  const plen = mark ? prefixOf(bits) : undefined;
  if (plen !== undefined && v.k === 'elem' && v.e.kind === 'value' && (s.op === 'eq' || s.op === 'neq')) return `${sel} ${OPS[s.op]}${value}/${plen}`;
  // a mark's range or interval set is looked up in network order (a byteorder between): no `==` shown before it
  const interval = mark && ((v.k === 'elem' && v.e.kind !== 'value') || (v.k === 'set' && v.elems.some((e) => e.kind !== 'value')));
  const op = s.op === 'eq' ? (interval ? '' : '== ') : OPS[s.op];
  // a bitmask type's `& F == 0` lists as `! F`, `& F != 0` as `F` (binop_postprocess, as tcp flags'; measured)
  // and `& M op V` of another V as `V / M` but for a single flag's `& F op F` (maskedText's forms)
  if (bits.xor === 0 && one !== undefined && (s.op === 'eq' || s.op === 'neq')) {
    const names = (n: number): string => flagNames(s.type, n).join(',') || '0x0';
    if (one === 0) return `${sel} ${s.op === 'eq' ? '! ' : ''}${names(bits.mask)}`;
    if (one !== bits.mask || (one & (one - 1)) !== 0) return `${sel} ${s.op === 'neq' ? '!= ' : ''}${names(one)} / ${names(bits.mask)}`;
  }
  // a bitmask type's constants by their names (`ct status & dnat == dnat`)
  const fmt = s.type === 'ct_status' ? (n: number): string => flagNames(s.type, n).join(',') || '0x0' : undefined;
  return `${bitOpsText(sel, [{ k: 'bool', ...bits }], width, fmt)} ${op}${value}`;
}

/** ct status's one value compared (its flags, or a number), unsigned; undefined for another type, a set or a range. */
function ctStatusWord(s: Extract<RStmt, { k: 'match' }>): number | undefined {
  const v = s.value;
  if (s.type !== 'ct_status') return undefined;
  if (v.k === 'flags') return v.bits >>> 0;
  return v.k === 'elem' && v.e.kind === 'value' ? new DataView(v.e.lo.buffer, v.e.lo.byteOffset).getUint32(0, true) : undefined;
}

/**
 * A bitmask type's whole value compared (ct state == …, ct status == …): one name shows its `==` (must_print_eq_op),
 * several or-ed show as `a | b`, none as 0x0 (`ct status == 0x0`, `ct status != 0x0`: nft 1.0.6).
 */
function exactFlagsText(sel: string, op: CmpOp, type: DataType, bits: number): string {
  const names = flagNames(type, bits);
  if (names.length === 0) names.push('0x0');
  return `${sel} ${op === 'neq' ? '!= ' : names.length === 1 ? '== ' : ''}${names.join(' | ')}`;
}

/**
 * An address through NFT_BITWISE_BOOL as nft 1.0.6 lists it (measured): a lone mask of leading ones before one value
 * shows the value as that prefix (`ip saddr 192.0.2.1/24`, `ip saddr < 192.0.2.0/24`; all ones: the value alone),
 * otherwise the operations with addresses for constants, `==` before a value or a set.
 */
function addrBitsText(sel: string, s: Extract<RStmt, { k: 'match' }>, value: string): string {
  const { mask, xor } = s.abits!;
  const plen = xor.every((b) => b === 0) ? maskPrefix(mask) : undefined;
  if (plen !== undefined && s.value.k === 'elem') return `${sel} ${OPS[s.op]}${value}${plen === mask.length * 8 ? '' : `/${plen}`}`;
  const ops = addrBoolOps(mask, xor).map(([op, b]) => ` ${op} ${formatElem(s.type, { kind: 'value', lo: b, hi: b })}`);
  return `${sel}${ops.join('')} ${s.op === 'eq' ? '== ' : OPS[s.op]}${value}`;
}

/** Statements nft added as dependencies (or that stand for one a later statement needs) are not shown. */
function hidden(t: NftTable, stmts: RStmt[], i: number): boolean {
  const s = stmts[i]!;
  if (s.k !== 'match' || s.op !== 'eq' || s.value.k !== 'elem' || s.value.e.kind !== 'value' || s.bits) return false;
  const { proto, field } = s.sel;
  const after = stmts.slice(i + 1);
  // only the matches up to a statement of another kind (a counter) can make it redundant: nft's listing forgets a
  // dependency there (rule_maybe_reset_payload_deps; `meta l4proto tcp counter tcp dport 2` lists so, measured)
  const stop = after.findIndex((x) => x.k !== 'match' && x.k !== 'vmap' && x.k !== 'objmap');
  // (a NAT statement's map key there is a load too: `meta l4proto tcp dnat to tcp dport map { … }` lists without it)
  const later = stop < 0 ? after : after.slice(0, after[stop]!.k === 'nat' ? stop + 1 : stop);
  if ((proto === 'meta' && field === 'l4proto') || (proto === 'ip' && field === 'protocol') || (proto === 'ip6' && field === 'nexthdr')) {
    // in a netdev or inet table the transport's dependency is `meta l4proto`: an `ip protocol` stays (measured)
    if (proto !== 'meta' && (t.family === 'netdev' || t.family === 'inet')) return false;
    const p = s.value.e.lo[0];
    const name = p === 6 ? 'tcp' : p === 17 ? 'udp' : p === 1 ? 'icmp' : p === 58 ? 'icmpv6' : undefined;
    const reads = (x: RStmt): boolean => fieldsOf(x).some((f) => f.proto === name || (f.proto === 'th' && TH_PROTOS[p!] !== undefined));
    if ((name !== undefined || TH_PROTOS[p!] !== undefined) && later.some(reads)) return true;
    // in an ip or ip6 table the tcp dependency of a reset is not shown (an inet or netdev table shows it)
    return p === 6 && t.family !== 'inet' && t.family !== 'netdev' && releasedByReject(after, (r) => r.type === 1);
  }
  if ((proto === 'meta' && field === 'protocol') || ((proto === 'ether' || proto === 'vlan') && field === 'type')) {
    // skb->protocol / the Ethernet type as a network header's dependency (measured, nft 1.0.6): in an ip or ip6 table
    // `meta protocol` of the table's own is never shown; in a netdev table either is not when an ip / ip6 header's
    // field follows (an inet table's dependency is meta nfproto: both shown)
    const v = (s.value.e.lo[0]! << 8) | s.value.e.lo[1]!;
    const own = v === 0x0800 ? 'ip' : v === 0x86dd ? 'ip6' : undefined;
    if (own === undefined) return false;
    if (proto === 'meta' && t.family === own) return true;
    const ps = own === 'ip' ? ['ip', 'icmp'] : ['ip6', 'icmpv6'];
    if (t.family !== 'netdev') return false;
    // an icmp, icmpv6 or tcp reset reject stands for it too (stmt_reject_postprocess; not behind a vlan tag's type)
    return later.some((x) => x.k === 'match' && fieldsOf(x).some((f) => ps.includes(f.proto))) || (proto !== 'vlan' && releasedByReject(after, (r) => r.type !== 2));
  }
  // `ct protocol udp` (one value) is read over a network protocol nft takes as known: `meta nfproto` or `ct l3proto`
  // before it is not shown (measured, nft 1.0.6; a set of protocols keeps it)
  const ctProto = (x: RStmt): boolean => x.k === 'match' && !x.sel.concat && x.sel.proto === 'ct' && x.sel.field === 'protocol' && x.op === 'eq' && x.value.k === 'elem' && x.value.e.kind === 'value';
  if (proto === 'meta' && field === 'nfproto') {
    const ps = s.value.e.lo[0] === 2 ? ['ip', 'icmp'] : ['ip6', 'icmpv6'];
    // an icmp, icmpv6 or tcp reset reject stands for the network protocol (an icmpx one does not)
    return later.some((x) => ctProto(x) || (x.k === 'match' && fieldsOf(x).some((f) => ps.includes(f.proto)))) || releasedByReject(after, (r) => r.type !== 2);
  }
  if (proto === 'ct' && field === 'l3proto') {
    // a network-layer dependency to nft's listing, of either family: a later header field's (ip, ip6, tcp, udp, icmp,
    // icmpv6; not th), or `ct protocol` / `meta l4proto` of one value, hides it (measured, nft 1.0.6)
    const l4 = (x: RStmt): boolean => x.k === 'match' && !x.sel.concat && x.sel.proto === 'meta' && x.sel.field === 'l4proto' && x.op === 'eq' && x.value.k === 'elem' && x.value.e.kind === 'value';
    const ps = ['ip', 'ip6', 'tcp', 'udp', 'icmp', 'icmpv6'];
    return later.some((x) => ctProto(x) || l4(x) || (x.k === 'match' && fieldsOf(x).some((f) => ps.includes(f.proto))));
  }
  return false;
}

/**
 * Whether the rule ends in a reject of the kind that releases a dependency, with only matches between: nft's
 * stmt_reject_postprocess releases the one held (payload_dependency_release), and every statement that is not a
 * match resets what is held (rule_maybe_reset_payload_deps), so `meta nfproto ipv4 counter reject` keeps it.
 */
function releasedByReject(later: RStmt[], kind: (r: Extract<RStmt, { k: 'reject' }>) => boolean): boolean {
  const at = later.findIndex((x) => x.k === 'reject');
  return at >= 0 && kind(later[at] as Extract<RStmt, { k: 'reject' }>) && later.slice(0, at).every((x) => x.k === 'match');
}

export function ruleText(t: NftTable, rstmts: RStmt[], counter: CounterReader): string {
  // the statements as nft placed them when it joined adjacent payload matches (nft_merge.ts), each joined run
  // listed field by field, and the dependencies a moved match left showing before the statement they preceded
  const slots = stmtReduce(rstmts);
  const deps = impliedDeps(t.family, rstmts, slots);
  const stmts = slots.flat();
  const depsAt = new Map<number, string[]>();
  const runs = new Map<number, number>();
  slots.forEach((slot, i) => {
    const at = slots.slice(0, i).reduce((n, x) => n + x.length, 0);
    if (deps.has(i)) depsAt.set(at, [...(depsAt.get(at) ?? []), ...deps.get(i)!]);
    if (slot.length > 1) runs.set(at, slot.length);
  });
  let skip = 0;
  /** The protocol a `th` field of statement `i` prints as: the last one fixed before it ('' when none or no `th`). */
  const thProto = (x: RStmt, i: number): string => (fieldsOf(x).some((f) => f.proto === 'th') ? stmts.slice(0, i).reduce((p, y) => l4Of(y) ?? p, '') : '');
  const parts: string[] = [];
  const l4Shown = (): boolean => stmts.some((x) => x.k === 'match' && (x.sel.proto === 'tcp' || ((x.sel.field === 'l4proto' || x.sel.field === 'protocol' || x.sel.field === 'nexthdr') && x.value.k === 'elem' && x.value.e.lo[0] === 6)));
  stmts.forEach((s, i) => {
    parts.push(...(depsAt.get(i) ?? []));
    if (skip > 0 && skip--) return;
    const run = runs.get(i);
    if (run && stmts.slice(i, i + run).every((x) => x.k === 'match' && x.sel.proto === 'th') && thProto(s, i) === '') {
      // ports of no known protocol joined: nft lists the load raw (`@th,0,32 0x10002`)
      const bytes = stmts.slice(i, i + run).flatMap((x) => [...((x as Extract<RStmt, { k: 'match' }>).value as { e: Elem }).e.lo]);
      const at = fieldAt((s as Extract<RStmt, { k: 'match' }>).sel)!;
      const op = (s as Extract<RStmt, { k: 'match' }>).op === 'neq' ? '!= ' : '';
      parts.push(`@th,${at.off * 8},${bytes.length * 8} ${op}0x${BigInt(`0x${Buffer.from(bytes).toString('hex')}`).toString(16)}`);
      skip = run - 1;
      return;
    }
    if (hidden(t, stmts, i)) return;
    switch (s.k) {
      case 'match': {
        // `th` after a protocol nft knows prints as that protocol's header (its payload dependency)
        const l4 = thProto(s, i);
        const sel = s.key ? natKeyText(s.key) : s.sel.concat ? selText(s, l4) : l4 ? `${l4} ${s.sel.field}` : selText(s);
        const v = s.value;
        if (s.bits) {
          parts.push(bitsMatchText(sel, s, valueText(s, (n) => t.sets.find((x) => x.name === n))));
          break;
        }
        if (s.abits) {
          parts.push(addrBitsText(sel, s, valueText(s, (n) => t.sets.find((x) => x.name === n))));
          break;
        }
        if (s.exact && v.k === 'flags') {
          parts.push(exactFlagsText(sel, s.op, s.type, v.bits));
          break;
        }
        // an implicit test of every bit (`ct status 0xffffffff`: & 0xffffffff != 0, the all-ones mask nft's listing drops)
        if (!s.exact && s.type === 'ct_status' && s.op === 'eq' && ctStatusWord(s) === 0xffffffff) {
          parts.push(`${sel} != 0x0`);
          break;
        }
        // a bitmask type's plain comparison shows its `==` (must_print_eq_op)
        const op = s.type === 'tcp_flag' && s.op === 'eq' && v.k === 'elem' ? '== ' : OPS[s.op];
        parts.push(v.k === 'masked' ? `${sel} ${maskedText(s.op, v.mask, v.value)}` : `${sel} ${op}${valueText(s, (n) => t.sets.find((x) => x.name === n))}`);
        break;
      }
      case 'counter': {
        const c = counter(s.addr, s);
        parts.push(`counter packets ${c.packets} bytes ${c.bytes}`);
        break;
      }
      case 'verdict':
        parts.push(s.chain !== undefined ? `${s.v} ${s.chain}` : s.v);
        break;
      case 'reject':
        if (s.type === 1) {
          if ((t.family === 'inet' || t.family === 'netdev') && !l4Shown()) parts.push('meta l4proto tcp');
          parts.push('reject with tcp reset');
        } else if (s.type === 2) parts.push(s.code === 1 ? 'reject' : `reject with icmpx ${ICMPX_CODES[s.code]}`);
        else if (s.family === 'ip6') parts.push(s.code === 4 && t.family === 'ip6' ? 'reject' : `reject with icmpv6 ${ICMPV6_CODES[s.code]}`);
        else parts.push(s.code === 3 && t.family === 'ip' ? 'reject' : `reject with icmp ${ICMP_CODES[s.code]}`);
        break;
      case 'nat':
        if (s.map || s.portMap) {
          parts.push(`${s.map ? `${s.text} ${dataMapText(s.map)}` : s.text}${s.portMap ? `:${dataMapText(s.portMap)}` : ''}${natFlagsText(s.flags)}`);
        } else parts.push(s.text);
        break;
      case 'set':
        if (s.map) parts.push(`${s.target} set ${dataMapText(s.map)}`);
        else if (s.key && s.bits) parts.push(`${s.target} set ${bitOpsText(natKeyText(s.key), s.bits)}`);
        else if (s.key) parts.push(`${s.target} set ${natKeyText(s.key)}`);
        else if (s.target === 'ct zone') parts.push(`ct ${s.dir ? `${s.dir} ` : ''}zone set ${s.value}`);
        else if (s.target === 'meta pkttype') parts.push(`meta pkttype set ${formatElem('pkt_type', { lo: Uint8Array.of(s.value), hi: Uint8Array.of(s.value), kind: 'value' })}`);
        else parts.push(`${s.target} set 0x${(s.value >>> 0).toString(16).padStart(8, '0')}`);
        break;
      case 'optreset':
        parts.push(`reset tcp option ${s.name}`);
        break;
      case 'optset': {
        const at = tcpOptAt(s.sel.field);
        parts.push(`${selText(s)} set ${s.rt ? 'rt mtu' : formatElem(at.type, { lo: s.value!, hi: s.value!, kind: 'value' })}`);
        break;
      }
      case 'notrack':
        parts.push('notrack');
        break;
      case 'fwd':
        if (s.nh) parts.push(`fwd ${s.nh.family} to ${formatElem(s.nh.family === 'ip' ? 'ipv4_addr' : 'ipv6_addr', { lo: s.nh.addr, hi: s.nh.addr, kind: 'value' })} device ${devText(counter, s.ifindex, s.name)}`);
        else parts.push(`${s.dup ? 'dup' : 'fwd'} to ${devText(counter, s.ifindex, s.name)}`);
        break;
      case 'dup':
        parts.push(`dup to ${formatElem(s.family === 'ip' ? 'ipv4_addr' : 'ipv6_addr', { lo: s.addr, hi: s.addr, kind: 'value' })}${s.name !== undefined ? ` device ${devText(counter, s.ifindex, s.name)}` : ''}`);
        break;
      case 'flow':
        parts.push(`flow add @${s.name}`);
        break;
      case 'limit':
        parts.push(limitText(s));
        break;
      case 'quota':
        parts.push(quotaText(s, counter));
        break;
      case 'log':
        parts.push(logText(s));
        break;
      case 'objref':
        parts.push(`${s.type} name "${s.name}"`);
        break;
      case 'objmap': {
        // a named map's objects are of its type, whatever the statement was written with (set->objtype)
        const map = s.map;
        const type = map.k === 'ref' ? t.sets.find((x) => x.name === map.name)?.mapTo ?? s.type : s.type;
        parts.push(`${type} name ${selText(s)} map ${mapOperandText(s)}`);
        break;
      }
      case 'vmap': {
        const l4 = thProto(s, i);
        parts.push(`${s.key ? natKeyText(s.key) : selText(s, l4)} vmap ${mapOperandText(s)}`);
        break;
      }
      case 'dynset': {
        // set_stmt_print / meter_stmt_print: the key, its timeout, the element's statements (templates: no counts)
        const body = [selText(s), ...(s.timeout ? [`timeout ${timeText(s.timeout)}`] : []), ...s.exprs.map((x) => dynExprText(x))].join(' ');
        // (an address and a port: its len is the two registers' — NAT's layout, dataText reads it)
        const pair = s.data && !s.data.sel && (s.data.type === 'ipv4_addr' || s.data.type === 'ipv6_addr') && s.data.len > TYPE_INFO[s.data.type].len;
        const d = s.data && (s.data.sel ? selText({ sel: s.data.sel }) : pair ? dataText(s.data.type === 'ipv4_addr' ? 'ipv4_addr . inet_service' : 'ipv6_addr . inet_service', { lo: s.data.value!, hi: s.data.value!, kind: 'value', data: s.data.value! } as Elem) : formatElem(s.data.type, { lo: s.data.value!, hi: s.data.value!, kind: 'value' }));
        if (d !== undefined) {
          parts.push(`${s.op} @${s.set} { ${body} : ${d} }`);
          break;
        }
        if (s.meter) parts.push(`meter ${s.set} size ${t.sets.find((x) => x.name === s.set)?.size ?? 0xffff} { ${body} }`);
        else parts.push(`${s.op} @${s.set} { ${body} }`);
        break;
      }
    }
  });
  return parts.join(' ');
}

/** A dynset's or a dynamic set element's statement: a counter without counts when it is a template. */
export function dynExprText(x: Extract<RStmt, { k: 'counter' | 'limit' | 'quota' }>, counts?: { packets: bigint; bytes: bigint }): string {
  if (x.k === 'counter') return counts ? `counter packets ${counts.packets} bytes ${counts.bytes}` : 'counter';
  if (x.k === 'limit') return limitText(x);
  return quotaText(x, () => ({ packets: counts?.packets ?? 0n, bytes: 0n }));
}

/** NAT flags as nft lists them after the statement: ` random,fully-random,persistent`. */
export function natFlagsText(flags: number): string {
  const fl = [flags & 4 ? 'random' : '', flags & 16 ? 'fully-random' : '', flags & 8 ? 'persistent' : ''].filter(Boolean);
  return fl.length ? ` ${fl.join(',')}` : '';
}

/** A NAT map's key as nft lists it: the field, `numgen inc mod 2 offset 3`, `jhash ip saddr mod 2 seed 0x1`. */
function natKeyText(k: NatMap['key']): string {
  if (k.k === 'sel') return selText(k);
  const off = k.offset !== 0 ? ` offset ${k.offset}` : '';
  if (k.k === 'numgen') return k.mode === 'symhash' ? `symhash mod ${k.mod}${off}` : `numgen ${k.mode} mod ${k.mod}${off}`;
  return `jhash ${selText(k)} mod ${k.mod}${k.seedSet ? ` seed 0x${k.seed.toString(16)}` : ''}${off}`;
}

/** A data map element's data as listed (an address, a port, a mark). */
function dataText(type: DataType | MapData, e: Elem): string {
  if (type === 'ipv4_addr . inet_service' || type === 'ipv6_addr . inet_service' || type === 'interval ipv4_addr . inet_service' || type === 'interval ipv6_addr . inet_service') {
    // the address, then the port in a register of its own (nft_compile.ts: NAT's address and port registers); a
    // map to intervals of both (`interval ipv4_addr . inet_service`) holds ranges only
    const alen = type.includes('ipv4_addr') ? 4 : 16;
    const d = e.data!;
    // min address, min port, then (ranges) max address, max port: each bound pair a value, a prefix or a range
    const hiAt = d.length > alen + 4 ? alen + 4 : 0;
    const bound = (t: DataType, lo: Uint8Array, hi: Uint8Array): string => {
      const plen = t === 'inet_service' ? undefined : prefixLen(lo, hi);
      const kind = cmpBytes(lo, hi) === 0 ? 'value' : plen !== undefined ? 'prefix' : 'range';
      return formatElem(t, { lo, hi, kind, plen });
    };
    return `${bound(alen === 4 ? 'ipv4_addr' : 'ipv6_addr', d.subarray(0, alen), d.subarray(hiAt, hiAt + alen))} . ${bound('inet_service', d.subarray(alen, alen + 2), d.subarray(hiAt + alen, hiAt + alen + 2))}`;
  }
  if (type === 'interval ipv4_addr' || type === 'interval ipv6_addr') {
    // a range of addresses, listed as a prefix when it is one (nft 1.0.6, measured: `203.0.113.20-203.0.113.20`
    // lists as `203.0.113.20/32`)
    const alen = e.data!.length / 2;
    const [lo, hi] = [e.data!.subarray(0, alen), e.data!.subarray(alen)];
    const plen = prefixLen(lo, hi);
    return formatElem(alen === 4 ? 'ipv4_addr' : 'ipv6_addr', { lo, hi, kind: plen !== undefined ? 'prefix' : 'range', plen });
  }
  return formatElem(type, { lo: e.data!, hi: e.data!, kind: 'value' });
}

/** A data map as listed: `KEY map { key : data, … }`, the data of the map's type (address, port, mark). */
function dataMapText(m: NatMap): string {
  if (m.ref !== undefined) return `${natKeyText(m.key)} map @${m.ref}`;
  const concat = m.key.k === 'sel' ? m.key.concat : undefined;
  // an address range that is a prefix lists as one (nft's interval_map_decompose, measured: `192.0.2.8-192.0.2.15 : …`
  // is `192.0.2.8/29 : …`)
  const addr = m.keyType === 'ipv4_addr' || m.keyType === 'ipv6_addr';
  const asPrefix = (e: Elem): Elem => {
    const plen = addr && e.kind === 'range' ? prefixLen(e.lo, e.hi) : undefined;
    return plen !== undefined ? { ...e, kind: 'prefix', plen } : e;
  };
  const elems = concat ? concatOrder(m.elems) : sortElems(m.keyType, m.elems).map(asPrefix);
  return `${natKeyText(m.key)} map { ${elems.map((e) => `${elemText(m.keyType, e, undefined, concat)} : ${dataText(m.dataType, e)}`).join(', ')} }`;
}

/** An anonymous concatenation's elements as listed: per-field intervals (pipapo) as added, nft's mergesort order otherwise. */
function concatOrder(elems: Elem[]): Elem[] {
  return anonFields(elems) ? elems : sortConcat(elems);
}

/** The map an object map or verdict map names (`@m`), or the one written in the rule with its elements. */
function mapOperandText(s: Extract<RStmt, { k: 'objmap' | 'vmap' }>): string {
  const m = s.map;
  if (m.k === 'set' && s.k === 'vmap' && s.concat) return `{ ${concatOrder(m.elems).map((e) => elemText(s.keyType, e, undefined, s.concat)).join(', ')} }`;
  return m.k === 'ref' ? `@${m.name}` : `{ ${sortElems(s.keyType, m.elems).map((e) => elemText(s.keyType, e)).join(', ')} }`;
}

/**
 * An element as nft prints it: its key, its counter, its timeout (unless the set's own) and what is left of it,
 * its comment, then a map's data (`192.0.2.1 counter packets 1 bytes 60 timeout 10s expires 9s996ms : accept`).
 */
function elemText(type: DataType, e: Elem, set?: { s: NftSet; counter: CounterReader }, concat?: readonly DataType[]): string {
  let key = concat ? formatConcat(concat, e) : formatElem(type, e);
  if (e.counter && set) {
    const c = set.counter(e.counter.addr, e.counter);
    key += ` counter packets ${c.packets} bytes ${c.bytes}`;
  }
  if (e.exprs) key += ` ${e.exprs}`;
  if (e.timeout !== undefined && set && e.timeout !== set.s.timeout) key += ` timeout ${timeText(e.timeout)}`;
  if (e.expiration !== undefined && set) key += ` expires ${timeText(e.expiration - (set.counter.now ?? 0))}`;
  if (e.comment !== undefined) key += ` comment "${e.comment}"`;
  if (e.data && set && set.s.mapTo !== undefined) return `${key} : ${dataText(set.s.mapTo as DataType | MapData, e)}`;
  if (e.verdict) return `${key} : ${e.verdict.v}${e.verdict.chain !== undefined ? ` ${e.verdict.chain}` : ''}`;
  return e.obj !== undefined ? `${key} : "${e.obj}"` : key;
}

/** A named set's elements as a dump shows them: the expired ones are not there (nft_set_elem_expired). */
function liveElems(s: NftSet, now: number): Elem[] {
  return s.elems.filter((e) => e.expiration === undefined || now < e.expiration);
}

/**
 * Elements per line in a named set's listing (nftables' calculate_delim, by the key's type): 5 of integer-like
 * types, 2 of IPv4 addresses and ct states, one of the others (IPv6 addresses, names); measured with 1.0.6.
 * Continuation lines are indented by three tabs and five spaces, under the first element.
 */
const PER_LINE: Readonly<Partial<Record<DataType, number>>> = {
  inet_service: 5, inet_proto: 5, mark: 5, uid: 5, gid: 5, integer8: 5, integer16: 5, nf_proto: 5, ct_dir: 5, iface_index: 5, ipv4_addr: 2, ct_state: 2,
};

function elementsText(s: NftSet, elems: Elem[], counter: CounterReader): string {
  const per = PER_LINE[s.type] ?? 1;
  let out = '';
  (s.concat ? (s.flags.includes('interval') ? elems : sortConcat(elems)) : sortElems(s.type, elems)).forEach((e, i) => {
    if (i > 0) out += i % per === 0 ? ',\n\t\t\t     ' : ', ';
    out += elemText(s.type, e, { s, counter }, s.concat);
  });
  return `{ ${out} }`;
}

/** Set flags in the order nft prints them (set_print_declaration; measured with 1.0.6: `flags dynamic,timeout`). */
const SET_FLAG_ORDER = ['constant', 'interval', 'dynamic', 'timeout'];

/**
 * A named set's declaration: type, flags, `counter`, `timeout`, elements (measured order). nft 1.0.6 leaves a flags
 * line out when `timeout` is its only flag and the set has a timeout (`timeout 30s` says it).
 */
export function setText(s: NftSet, ind: string, handles: boolean, counter: CounterReader = () => ({ packets: 0n, bytes: 0n })): string[] {
  const out = [`${ind}${s.meter ? 'meter' : s.mapTo ? 'map' : 'set'} ${s.name} {${handles ? ` # handle ${s.handle}` : ''}`, `${ind}\t${s.typeof ? `typeof ${s.typeof}` : `type ${s.concat ? s.concat.join(' . ') : s.type}`}${s.mapTo ? ` : ${s.dataTypeof ?? s.mapTo}` : ''}`];
  // (nf_tables_fill_set dumps NFTA_SET_DESC_SIZE only when it is not 0)
  if (s.size) out.push(`${ind}\tsize ${s.size}`);
  const flags = SET_FLAG_ORDER.filter((f) => s.flags.includes(f));
  if (flags.length && !(s.timeout && flags.length === 1 && flags[0] === 'timeout')) out.push(`${ind}\tflags ${flags.join(',')}`);
  // nft 1.0.6's order (measured): the set's statements, then auto-merge, then the timeout
  if (s.counter) out.push(`${ind}\tcounter`);
  if (s.autoMerge) out.push(`${ind}\tauto-merge`);
  if (s.timeout) out.push(`${ind}\ttimeout ${timeText(s.timeout)}`);
  const elems = (s.live ? counter.dynElems?.(s) : undefined) ?? liveElems(s, counter.now ?? 0);
  if (elems.length) out.push(`${ind}\telements = ${elementsText(s, elems, counter)}`);
  out.push(`${ind}}`);
  return out;
}

/** Each table as a block of the lines `body` gives it, with no blank lines between (the `list sets|maps|chains` shape). */
function tableBlocks(tables: readonly NftTable[], body: (t: NftTable) => string[]): string {
  const lines = tables.flatMap((t) => [`table ${t.family} ${t.name} {`, ...body(t), '}']);
  return lines.length ? lines.join('\n') + '\n' : '';
}

/**
 * `list sets`, `list maps` (do_list_sets): every table of the family, its named sets (or maps) with no blank line
 * between them; a table with none is an empty block (measured).
 */
export function setsText(tables: readonly NftTable[], maps: boolean, handles: boolean, counter: CounterReader, meters = false): string {
  // `list meters`: the meters' sets alone, in the same blocks
  return tableBlocks(tables, (t) => t.sets.filter((s) => (meters ? s.meter === true : (s.mapTo !== undefined) === maps && !s.meter)).flatMap((s) => setText(s, '\t', handles, counter)));
}

/**
 * obj_print_data for a counter, a quota, a limit: the statement's own words less its keyword (`packets 3 bytes
 * 100`, `over 25 mbytes used 1 kbytes`, `rate 10/second`), on a line of its own inside the object's block.
 */
function objText(o: NftObj, counter: CounterReader, ind: string, handles: boolean): string[] {
  const s = o.stmt;
  let body: string;
  if (s.k === 'counter') {
    const c = counter(s.addr, s);
    body = `packets ${c.packets} bytes ${c.bytes}`;
  } else body = (s.k === 'quota' ? quotaText(s, counter) : limitText(s)).replace(/^\S+ /, '');
  return [`${ind}${s.k} ${o.name} {${handles ? ` # handle ${o.handle}` : ''}`, `${ind}\t${body}`, `${ind}}`];
}

/**
 * `list counters`, `list quota inet t q`, a reset's listing (do_list_obj): each table that has objects, its
 * objects of the type in order with no blank line between them; a table with no objects at all is left out,
 * one with objects of other types only is an empty block (measured: `table ip x {` then `}`) — except in a
 * reset's listing.
 */
export function objectsText(tables: readonly NftTable[], type: NftObjType, counter: CounterReader, reset = false, handles = false): string {
  const lines: string[] = [];
  for (const t of tables) {
    const objs = t.objects.filter((o) => o.stmt.k === type);
    // a reset's cache holds only what NFT_MSG_GETOBJ_RESET returned: the objects of the type
    if ((reset ? objs : t.objects).length === 0) continue;
    lines.push(`table ${t.family} ${t.name} {`);
    for (const o of objs) lines.push(...objText(o, counter, '\t', handles));
    lines.push('}');
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

function flowtableText(f: NftFlowtable, ind: string): string[] {
  // flowtable_print_declaration: hook, devices, then `counter` when NFT_FLOWTABLE_COUNTER is set
  return [
    `${ind}flowtable ${f.name} {`, `${ind}\thook ${f.hook} priority ${prioText(f.prio, 'ingress')}`, `${ind}\tdevices = { ${f.devices.join(', ')} }`,
    ...(f.counter ? [`${ind}\tcounter`] : []), `${ind}}`,
  ];
}

export function chainText(t: NftTable, c: NftChain, counter: CounterReader, handles: boolean, ind = '\t'): string[] {
  const out = [`${ind}chain ${c.name} {${handles ? ` # handle ${c.handle}` : ''}`];
  if (c.base) {
    // chain_print_declaration: one device as `device "x"`, more as a set of names
    const devs = c.base.devices;
    const dev = !devs ? '' : devs.length === 1 ? ` device "${devs[0]}"` : ` devices = { ${devs.join(', ')} }`;
    out.push(`${ind}\ttype ${c.base.type} hook ${c.base.hook}${dev} priority ${prioText(c.base.prio, c.base.hook, t.family)}; policy ${c.base.policy};`);
  }
  for (const r of c.rules) out.push(`${ind}\t${ruleText(t, r.stmts, counter)}${handles ? ` # handle ${r.handle}` : ''}`);
  out.push(`${ind}}`);
  return out;
}

/** `list chains` (do_list_chains): every table, each chain's declaration without its rules, no blank lines. */
export function chainsText(tables: readonly NftTable[], handles: boolean): string {
  return tableBlocks(tables, (t) => t.chains.flatMap((c) => chainText(t, { ...c, rules: [] }, () => ({ packets: 0n, bytes: 0n }), handles)));
}

export function tableText(t: NftTable, counter: CounterReader, handles: boolean): string[] {
  const blocks: string[][] = [];
  // table_print: stateful objects (in creation order), then sets, flowtables and chains
  for (const o of t.objects) blocks.push(objText(o, counter, '\t', handles));
  for (const s of t.sets) if (!s.meter) blocks.push(setText(s, '\t', handles, counter));
  for (const f of t.flowtables) blocks.push(flowtableText(f, '\t'));
  for (const c of t.chains) blocks.push(chainText(t, c, counter, handles));
  const out = [`table ${t.family} ${t.name} {${handles ? ` # handle ${t.handle}` : ''}`];
  blocks.forEach((b, i) => {
    if (i > 0) out.push('');
    out.push(...b);
  });
  out.push('}');
  return out;
}

/** The whole ruleset (optionally one family) as `nft list ruleset` prints it, with a final newline. */
export function rulesetText(state: NftState, counter: CounterReader, family?: string, handles = false): string {
  const lines: string[] = [];
  for (const t of state.tables) if (family === undefined || t.family === family) lines.push(...tableText(t, counter, handles));
  return lines.length ? lines.join('\n') + '\n' : '';
}
