// nft's stmt_reduce (nftables 1.0.6 rule.c payload_do_merge, payload.c payload_can_merge): before a rule goes to
// the kernel, nft gathers its payload matches against single values and joins those of adjacent header fields
// into one load and one compare. The kernel runs the joined form, so wxdp compiles it (nft_compile.ts) and lists
// it (nft_print.ts) as nft does:
// - a statement of another kind (counter, verdict, log…) ends the gathering only once two are held (1.0.6; later
//   nft resets there): `tcp dport 2 counter tcp sport 1` joins across the counter, which then counts every tcp
//   packet, as the kernel does with nft 1.0.6's bytecode;
// - `!=` joins too (1.0.6; fixed in 2024): `tcp sport != 1 tcp dport != 2` is one 4-byte `neq`, true when either
//   port differs;
// - fields join in (base, offset) order while adjacent, byte-aligned, of one operator, up to 4 bytes past the
//   link layer (16 there, or when either is longer than 4); the joined match sits where the lower field's
//   statement was, or the higher's when that one names the next protocol (ether type, ip protocol), so the
//   protocol is still tested before the header it names.
// Reads: a rule's statements. Sets: nothing (pure). The dependencies nft inserted for a moved statement stay
// where it was (impliedDeps says which of those nft's listing then shows).

import type { NftFamily, Selector } from './nft_parse.js';
import type { RStmt } from './nft_model.js';

export type Match = Extract<RStmt, { k: 'match' }>;

/** A field's place: nft_payload's base (0 link layer, 1 network, 2 transport), offset and length in bytes. */
export interface FieldAt {
  base: 0 | 1 | 2;
  off: number;
  len: number;
  /** The field names the next header's protocol (EXPR_F_PROTOCOL). */
  key?: boolean;
}

const AT: Readonly<Record<string, Readonly<Record<string, FieldAt>>>> = {
  ether: { daddr: { base: 0, off: 0, len: 6 }, saddr: { base: 0, off: 6, len: 6 }, type: { base: 0, off: 12, len: 2, key: true } },
  vlan: { type: { base: 0, off: 16, len: 2, key: true } },
  arp: {
    htype: { base: 1, off: 0, len: 2 },
    ptype: { base: 1, off: 2, len: 2 },
    hlen: { base: 1, off: 4, len: 1 },
    plen: { base: 1, off: 5, len: 1 },
    operation: { base: 1, off: 6, len: 2 },
    'saddr ether': { base: 1, off: 8, len: 6 },
    'saddr ip': { base: 1, off: 14, len: 4 },
    'daddr ether': { base: 1, off: 18, len: 6 },
    'daddr ip': { base: 1, off: 24, len: 4 },
  },
  ip: {
    length: { base: 1, off: 2, len: 2 },
    id: { base: 1, off: 4, len: 2 },
    'frag-off': { base: 1, off: 6, len: 2 },
    ttl: { base: 1, off: 8, len: 1 },
    protocol: { base: 1, off: 9, len: 1, key: true },
    checksum: { base: 1, off: 10, len: 2 },
    saddr: { base: 1, off: 12, len: 4 },
    daddr: { base: 1, off: 16, len: 4 },
  },
  ip6: { length: { base: 1, off: 4, len: 2 }, nexthdr: { base: 1, off: 6, len: 1, key: true }, hoplimit: { base: 1, off: 7, len: 1 }, saddr: { base: 1, off: 8, len: 16 }, daddr: { base: 1, off: 24, len: 16 } },
  tcp: { sport: { base: 2, off: 0, len: 2 }, dport: { base: 2, off: 2, len: 2 }, window: { base: 2, off: 14, len: 2 }, checksum: { base: 2, off: 16, len: 2 }, urgptr: { base: 2, off: 18, len: 2 } },
  udp: { sport: { base: 2, off: 0, len: 2 }, dport: { base: 2, off: 2, len: 2 }, length: { base: 2, off: 4, len: 2 }, checksum: { base: 2, off: 6, len: 2 } },
  th: { sport: { base: 2, off: 0, len: 2 }, dport: { base: 2, off: 2, len: 2 } },
  icmp: { type: { base: 2, off: 0, len: 1 }, code: { base: 2, off: 1, len: 1 } },
  icmpv6: { type: { base: 2, off: 0, len: 1 }, code: { base: 2, off: 1, len: 1 } },
};

/** Where a whole-byte payload field sits (bit fields — vlan id, pcp, dei, tcp flags — and others: undefined). */
export function fieldAt(sel: Selector): FieldAt | undefined {
  return sel.concat ? undefined : AT[sel.proto]?.[sel.field];
}

/** A statement stmt_reduce gathers: a payload field `==` or `!=` one value (no prefix, range or set). */
function gathered(s: RStmt): boolean {
  if (s.k !== 'match' || s.type === 'tcp_flag' || s.bits || s.abits || (s.op !== 'eq' && s.op !== 'neq')) return false;
  const at = fieldAt(s.sel);
  return at !== undefined && s.value.k === 'elem' && s.value.e.kind === 'value' && s.value.e.lo.length === at.len;
}

/**
 * The rule's statements placed as nft places them after stmt_reduce: slot i holds what stands at statement i's
 * place — itself, nothing (joined into another's), or a joined run of matches in header order.
 */
export function stmtReduce(stmts: readonly RStmt[]): RStmt[][] {
  const slots: RStmt[][] = stmts.map((x) => [x]);
  const join = (held: number[]): void => {
    const at = (i: number): FieldAt => fieldAt((stmts[i] as Match).sel)!;
    // qsort by (base, offset): glibc's is a merge sort, so equal keys keep their order
    const order = [...held].sort((a, b) => at(a).base - at(b).base || at(a).off - at(b).off);
    let run = [order[0]!];
    let keep = order[0]!;
    let end = at(keep).off + at(keep).len;
    let len = at(keep).len;
    const close = (): void => {
      if (run.length < 2) return;
      for (const i of run) slots[i] = [];
      slots[keep] = run.map((i) => stmts[i]!);
    };
    for (const i of order.slice(1)) {
      const f = at(i);
      const last = stmts[run[0]!] as Match;
      const total = len + f.len;
      const can = f.base === at(run[0]!).base && end === f.off && last.op === (stmts[i] as Match).op && total <= 16 && (total <= 4 || f.base === 0 || len > 4 || f.len > 4);
      if (!can) {
        close();
        run = [i];
        keep = i;
        end = f.off + f.len;
        len = f.len;
        continue;
      }
      run.push(i);
      if (f.key) keep = i;
      end += f.len;
      len = total;
    }
    close();
  };
  let held: number[] = [];
  stmts.forEach((x, i) => {
    if (gathered(x)) held.push(i);
    else if (x.k !== 'match' && held.length >= 2) {
      join(held);
      held = [];
    }
  });
  if (held.length >= 2) join(held);
  return slots;
}

/** The protocol a match needs tested first, by class: the transport protocol, the network family, Ethernet, a VLAN tag. */
type Dep = 'l4' | 'nf' | 'll' | 'vlan';


function needs(family: NftFamily, s: RStmt): Array<[Dep, string]> {
  if (s.k !== 'match') return [];
  const out: Array<[Dep, string]> = [];
  for (const f of s.sel.concat ?? [s.sel]) {
    const v4 = f.proto === 'ip' || f.proto === 'icmp';
    if ((v4 || f.proto === 'ip6' || f.proto === 'icmpv6') && (family === 'netdev' || family === 'inet')) out.push(['nf', family === 'netdev' ? `meta protocol ${v4 ? 'ip' : 'ip6'}` : `meta nfproto ${v4 ? 'ipv4' : 'ipv6'}`]);
    if (f.proto === 'tcp' || f.proto === 'udp' || f.proto === 'icmp') out.push(['l4', `meta l4proto ${f.proto}`]);
    if (f.proto === 'icmpv6') out.push(['l4', 'meta l4proto ipv6-icmp']);
    if (f.proto === 'ether' || f.proto === 'vlan') out.push(['ll', 'meta iiftype ether']);
    if (f.proto === 'vlan' && family === 'netdev') out.push(['vlan', 'ether type 8021q']);
  }
  return out;
}

/**
 * The dependencies nft inserted that its listing shows, by the statement they stand before: a dependency is left
 * out (payload_dependency_kill) when a match of its protocol comes next with no statement of another kind between;
 * only a join that moved a statement past a counter or the like leaves one showing (`meta l4proto tcp counter
 * tcp sport 1 tcp dport 2`, measured).
 */
export function impliedDeps(family: NftFamily, stmts: readonly RStmt[], slots: readonly RStmt[][]): Map<number, string[]> {
  const shown = new Map<number, string[]>();
  const have = new Set<string>();
  stmts.forEach((s, i) => {
    for (const [cls, text] of needs(family, s)) {
      if (have.has(text)) continue;
      have.add(text);
      if (cls === 'nf' && have.has('meta iiftype ether')) continue; // then `ether type`, a payload match itself
      const after = slots.slice(i).flat();
      const stop = after.findIndex((x) => x.k !== 'match');
      const users = (stop < 0 ? after : after.slice(0, stop)).filter((x) => needs(family, x).some(([c, t]) => c === cls && t === text));
      // a netdev table's `ether type 8021q` stays when only `vlan type` of one value reads the tag (measured)
      const kills = users.filter((x) => !(cls === 'vlan' && x.k === 'match' && x.sel.field === 'type' && x.value.k === 'elem'));
      if (kills.length === 0) shown.set(i, [...(shown.get(i) ?? []), text]);
    }
    // an explicit protocol match stands for the dependency (nft adds none after it)
    if (s.k === 'match' && s.op === 'eq' && s.value.k === 'elem' && s.value.e.kind === 'value') {
      const { proto, field } = s.sel;
      const p = s.value.e.lo[0];
      const name = p === 6 ? 'tcp' : p === 17 ? 'udp' : p === 1 ? 'icmp' : p === 58 ? 'ipv6-icmp' : undefined;
      if (name && ((proto === 'meta' && field === 'l4proto') || (proto === 'ip' && field === 'protocol') || (proto === 'ip6' && field === 'nexthdr'))) have.add(`meta l4proto ${name}`);
      if (proto === 'ether' && field === 'type' && p === 0x81 && s.value.e.lo[1] === 0) have.add('ether type 8021q');
    }
  });
  return shown;
}
