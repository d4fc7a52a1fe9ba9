// Policy rules: dp.rules (ip rule), with the kernel's default rules (IPv4: 0 lookup local, 32766
// lookup main, 32767 lookup default; IPv6: 0 and 32766), its automatic priorities
// (fib_default_rule_pref), its checks (fib_nl_newrule / fib_nl2rule / fib4_rule_configure) and
// iproute2's defaults (`ip rule add` without an action looks up table main).
//
// The rule list of a family is rebuilt whole on every change and published with one aligned store
// (fib_rules_set); a goto is resolved at build time to the first rule whose priority is its target,
// as the kernel's ctarget, and stays unresolved (the rule is skipped) while there is none.

import type { Datapath } from './datapath.js';
import { NetError, type Family, type RuleAction, type RuleInfo, type RuleSpec } from './net_types.js';
import { AF_INET, AF_INET6, RT_TABLE_DEFAULT, RT_TABLE_LOCAL, RT_TABLE_MAIN } from '../runtime/net_abi.js';
import { FR_ACT, RU, type FibExports } from './fib_layout.js';
import { formatAddr, parsePrefix, PROTOS, tableId, tableName } from './route_text.js';

const ACTIONS: Readonly<Record<RuleAction, number>> = { lookup: FR_ACT.TO_TBL, goto: FR_ACT.GOTO, nop: FR_ACT.NOP, blackhole: FR_ACT.BLACKHOLE, unreachable: FR_ACT.UNREACHABLE, prohibit: FR_ACT.PROHIBIT };
const PROTO_NAMES: Readonly<Record<number, string>> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'ipv6-icmp', 132: 'sctp' };

/** One rule as the control plane keeps it. */
export interface Rule {
  family: 2 | 10;
  pref: number;
  action: number;
  table: number;
  target: number;
  invert: boolean;
  src?: { bytes: Uint8Array; len: number };
  dst?: { bytes: Uint8Array; len: number };
  iifname?: string;
  oifname?: string;
  mark: number;
  markMask: number;
  dscp: number;
  ipproto: number;
  sport: [number, number];
  dport: [number, number];
  suppressPrefixlen: number;
  suppressIfgroup: number;
  /** uid_range; [0, 0xffffffff] when unset (fib_kuid_range_unset). */
  uid: [number, number];
  /** FRA_PROTOCOL. */
  proto: number;
}

const UID_UNSET: [number, number] = [0, 0xffffffff];
const RTPROT_KERNEL = 2;

function defaults(family: 2 | 10): Rule[] {
  const base = (pref: number, table: number): Rule => ({
    family, pref, action: FR_ACT.TO_TBL, table, target: 0, invert: false, mark: 0, markMask: 0, dscp: 0, ipproto: 0,
    sport: [0, 0], dport: [0, 0], suppressPrefixlen: -1, suppressIfgroup: -1, uid: UID_UNSET, proto: RTPROT_KERNEL,
  });
  const out = [base(0, RT_TABLE_LOCAL), base(32766, RT_TABLE_MAIN)];
  if (family === AF_INET) out.push(base(32767, RT_TABLE_DEFAULT));
  return out;
}

export class Rules {
  private readonly lists: Record<2 | 10, Rule[]> = { 2: defaults(AF_INET), 10: defaults(AF_INET6) };
  private readonly custom: Record<2 | 10, boolean> = { 2: false, 10: false };

  constructor(readonly dp: Datapath) {
    this.publish(AF_INET);
    this.publish(AF_INET6);
  }

  private get x(): FibExports {
    return this.dp.stack.exports<FibExports>();
  }

  /** `ip rule add`: EEXIST "File exists" for a rule equal in every field; EINVAL for a bad goto or tos. */
  add(spec: RuleSpec): void {
    const r = this.build(spec, true);
    const list = this.lists[r.family];
    if (list.some((o) => this.exists(o, r))) throw new NetError('EEXIST', 'File exists');
    // fib6_rule_configure: an IPv6 rule's table exists from now on (IPv4's rules make none)
    if (r.family === AF_INET6 && r.action === FR_ACT.TO_TBL) (this.dp.routes as { ruleTable?(family: 2 | 10, id: number): void }).ruleTable?.(AF_INET6, r.table);
    // after every rule of a lower or equal priority (fib_nl_newrule)
    let at = list.findIndex((o) => o.pref > r.pref);
    if (at < 0) at = list.length;
    const next = [...list];
    next.splice(at, 0, r);
    this.lists[r.family] = next;
    this.custom[r.family] = true;
    this.publish(r.family);
  }

  /** `ip rule del`: the first rule matching every field the spec gives; ENOENT when none. */
  del(spec: RuleSpec): void {
    const family = this.family(spec);
    const want = this.build(spec, false);
    const list = this.lists[family];
    const i = list.findIndex((o) => this.matches(o, want, spec));
    if (i < 0) throw new NetError('ENOENT', 'No such file or directory');
    this.lists[family] = list.filter((_, k) => k !== i);
    // fib4_rule_delete sets fib_has_custom_rules (and unmerges local and main) as an add does; IPv6's does not
    if (family === AF_INET) this.custom[family] = true;
    this.publish(family);
  }

  /** `ip rule flush`: every rule but those of priority 0 (the kernel keeps them: FIB_RULE_PERMANENT is not set, iproute2 skips pref 0). */
  flush(family: Family = 'inet'): void {
    const f = family === 'inet6' ? AF_INET6 : AF_INET;
    const kept = this.lists[f].filter((r) => r.pref === 0);
    // each rule goes by RTM_DELRULE: fib4_rule_delete marks the IPv4 rules custom
    if (f === AF_INET && kept.length < this.lists[f].length) this.custom[f] = true;
    this.lists[f] = kept;
    this.publish(f);
  }

  /** `ip rule show` as `ip -j rule show` prints it. */
  list(family: Family = 'inet'): RuleInfo[] {
    return this.lists[family === 'inet6' ? AF_INET6 : AF_INET].map((r) => this.info(r));
  }

  /** The rules of a family (for tests and the differential oracle). */
  rules(family: Family = 'inet'): readonly Rule[] {
    return this.lists[family === 'inet6' ? AF_INET6 : AF_INET];
  }

  /** A device was created or went away: rules naming it by iif/oif follow (republished). */
  devicesChanged(): void {
    this.publish(AF_INET);
    this.publish(AF_INET6);
  }

  private family(spec: RuleSpec): 2 | 10 {
    if (spec.family) return spec.family === 'inet6' ? AF_INET6 : AF_INET;
    const probe = spec.from ?? spec.to;
    return probe && probe.includes(':') ? AF_INET6 : AF_INET;
  }

  private build(spec: RuleSpec, adding: boolean): Rule {
    const family = this.family(spec);
    const action = spec.action ? ACTIONS[spec.action] : spec.goto !== undefined ? FR_ACT.GOTO : FR_ACT.TO_TBL;
    if (action === undefined) throw new NetError('EINVAL', `Error: argument "${String(spec.action)}" is wrong: Failed to parse rule type`);
    const prefix = (t: string | undefined, what: string): Rule['src'] => {
      if (t === undefined || t === 'all') return undefined;
      // the other family's prefix (`ip rule add from 2001:db8::/32`: iproute2 parses it as given, and the rule
      // is IPv4): fib_nl2rule refuses an FRA_SRC / FRA_DST of the wrong size ("Invalid source address." /
      // "Invalid dst address.", measured on 6.18). An IPv6 rule with an IPv4 prefix only comes from `ip -6`,
      // whose get_prefix refuses it before the kernel sees it.
      const p = parsePrefix(t, t.includes(':') ? 'inet6' : 'inet');
      if (p.len > 0 && t.includes(':') !== (family === AF_INET6)) {
        if (family === AF_INET6) throw new NetError('EINVAL', `Error: inet6 prefix is expected rather than "${t}".`);
        throw new NetError('EINVAL', `Error: Invalid ${what} address.`);
      }
      return p.len === 0 ? undefined : { bytes: p.bytes, len: p.len };
    };
    const tos = spec.tos ?? spec.dscp ?? 0;
    if (spec.tos !== undefined && tos & 3) throw new NetError('EINVAL', 'Error: Invalid dsfield (tos): ECN bits must be 0.');
    if (family === AF_INET && tos & ~0x1e) throw new NetError('EINVAL', 'Error: Invalid tos.');
    const range = (r: [number, number] | undefined, what: string): [number, number] => {
      if (!r) return [0, 0];
      if (!(r[0] >= 1 && r[1] >= r[0] && r[1] <= 65535)) throw new NetError('EINVAL', `Error: Invalid ${what} range.`);
      return [r[0], r[1]];
    };
    let pref: number;
    if (spec.priority !== undefined) pref = spec.priority;
    else if (adding) {
      // fib_default_rule_pref: one below the second rule's priority, when that is not 0
      const l = this.lists[family];
      pref = l.length > 1 && l[1]!.pref ? l[1]!.pref - 1 : 0;
    } else pref = -1;
    const r: Rule = {
      family, pref, action, table: action === FR_ACT.TO_TBL ? tableId(spec.table, RT_TABLE_MAIN) : spec.table !== undefined ? tableId(spec.table, 0) : 0,
      target: spec.goto ?? 0, invert: spec.not ?? false, src: prefix(spec.from, 'source'), dst: prefix(spec.to, 'dst'), iifname: spec.iif, oifname: spec.oif,
      mark: spec.fwmark ?? 0, markMask: spec.fwmask ?? (spec.fwmark !== undefined ? 0xffffffff : 0), dscp: tos, ipproto: spec.ipproto ?? 0,
      sport: range(spec.sport, 'sport'), dport: range(spec.dport, 'dport'), suppressPrefixlen: spec.suppressPrefixlength ?? -1,
      suppressIfgroup: spec.suppressIfgroup ?? -1, uid: UID_UNSET, proto: 0,
    };
    if (spec.uidrange) {
      // fib_nl2rule: both ends valid uids (not (uid_t)-1) and in order
      const [lo, hi] = spec.uidrange;
      if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 0 && hi < 0xffffffff && lo <= hi)) throw new NetError('EINVAL', 'Error: Invalid uid range.');
      r.uid = [lo, hi];
    }
    if (spec.protocol !== undefined) {
      const proto = typeof spec.protocol === 'number' ? spec.protocol : /^\d+$/.test(spec.protocol) ? Number(spec.protocol) : PROTOS[spec.protocol];
      if (proto === undefined || !(proto >= 0 && proto <= 255)) throw new NetError('EINVAL', `Error: argument "${String(spec.protocol)}" is wrong: "protocol" value is invalid`);
      r.proto = proto;
    }
    // fib_nl2rule, for a deletion as for an addition: the target past the priority (the default one when none is given)
    if (action === FR_ACT.GOTO) {
      if (spec.goto === undefined) throw new NetError('EINVAL', 'Error: Missing goto target for action goto.');
      const l = this.lists[family];
      const at = r.pref >= 0 ? r.pref : l.length > 1 && l[1]!.pref ? l[1]!.pref - 1 : 0;
      if (r.target <= at) throw new NetError('EINVAL', 'Error: Backward goto not supported.');
    }
    return r;
  }

  /**
   * rule_exists (NLM_F_EXCL): the same action, table, priority, devices, mark and mask, suppressors,
   * uid range, ip_proto, port ranges and protocol; source, destination and tos only when the new rule
   * gives them (fib4_rule_compare / fib6_rule_compare). Neither `not` nor a goto's target counts.
   */
  private exists(o: Rule, r: Rule): boolean {
    const p = (x?: Rule['src'], y?: Rule['src']): boolean => (!x || !y ? x === y : x.len === y.len && x.bytes.every((v, i) => v === y.bytes[i]));
    if (o.action !== r.action || o.table !== r.table || o.pref !== r.pref) return false;
    if (o.iifname !== r.iifname || o.oifname !== r.oifname || o.mark !== r.mark || o.markMask !== r.markMask) return false;
    if (o.suppressIfgroup !== r.suppressIfgroup || o.suppressPrefixlen !== r.suppressPrefixlen) return false;
    if (o.uid.join() !== r.uid.join() || o.ipproto !== r.ipproto || o.sport.join() !== r.sport.join() || o.dport.join() !== r.dport.join()) return false;
    if (o.proto !== r.proto) return false;
    if (r.src && !p(o.src, r.src)) return false;
    if (r.dst && !p(o.dst, r.dst)) return false;
    if (r.dscp && o.dscp !== r.dscp) return false;
    return true;
  }

  /** rule_find: the given fields only. */
  private matches(o: Rule, w: Rule, spec: RuleSpec): boolean {
    const p = (x?: Rule['src'], y?: Rule['src']): boolean => (!x || !y ? x === y : x.len === y.len && x.bytes.every((v, i) => v === y.bytes[i]));
    if (spec.priority !== undefined && o.pref !== w.pref) return false;
    if ((spec.action || spec.goto !== undefined) && o.action !== w.action) return false;
    if (spec.table !== undefined && o.table !== w.table) return false;
    if (spec.from !== undefined && !p(o.src, w.src)) return false;
    if (spec.to !== undefined && !p(o.dst, w.dst)) return false;
    if (spec.iif !== undefined && o.iifname !== w.iifname) return false;
    if (spec.oif !== undefined && o.oifname !== w.oifname) return false;
    if (spec.fwmark !== undefined && (o.mark !== w.mark || o.markMask !== w.markMask)) return false;
    if ((spec.tos !== undefined || spec.dscp !== undefined) && o.dscp !== w.dscp) return false;
    if (spec.ipproto !== undefined && o.ipproto !== w.ipproto) return false;
    if (spec.sport !== undefined && o.sport.join() !== w.sport.join()) return false;
    if (spec.dport !== undefined && o.dport.join() !== w.dport.join()) return false;
    if (spec.goto !== undefined && o.target !== w.target) return false;
    if (spec.not !== undefined && o.invert !== w.invert) return false;
    if (spec.suppressPrefixlength !== undefined && o.suppressPrefixlen !== w.suppressPrefixlen) return false;
    if (spec.uidrange !== undefined && o.uid.join() !== w.uid.join()) return false;
    if (w.proto && o.proto !== w.proto) return false;
    return true;
  }

  private devIndex(name: string | undefined): number {
    if (name === undefined) return 0;
    try {
      return this.dp.links.ifindex(name);
    } catch {
      return -1; // the kernel keeps the name and matches nothing until the device appears
    }
  }

  private publish(family: 2 | 10): void {
    const x = this.x;
    const list = this.lists[family];
    const addr = x.fib_alloc(RU.HEADER + RU.SIZE * list.length) >>> 0;
    if (addr === 0) throw new NetError('ENOMEM', 'Cannot allocate memory');
    const v = this.dp.memory.view();
    const b = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    v.setUint32(addr, list.length, true);
    list.forEach((r, i) => {
      const o = addr + RU.HEADER + i * RU.SIZE;
      v.setUint32(o + RU.PREF, r.pref, true);
      v.setUint32(o + RU.ACTION, r.action, true);
      v.setUint32(o + RU.TABLE, r.table, true);
      v.setInt32(o + RU.TARGET, r.action === FR_ACT.GOTO ? list.findIndex((t) => t.pref === r.target) : -1, true);
      v.setInt32(o + RU.IIF, this.devIndex(r.iifname), true);
      v.setInt32(o + RU.OIF, this.devIndex(r.oifname), true);
      v.setUint32(o + RU.MARK, r.mark, true);
      v.setUint32(o + RU.MARK_MASK, r.markMask, true);
      v.setUint8(o + RU.INVERT, r.invert ? 1 : 0);
      v.setUint8(o + RU.DSCP, r.dscp);
      v.setUint8(o + RU.PROTO, r.ipproto);
      v.setUint8(o + RU.SRC_LEN, r.src?.len ?? 0);
      v.setUint8(o + RU.DST_LEN, r.dst?.len ?? 0);
      v.setUint16(o + RU.SPORT_LO, r.sport[0], true);
      v.setUint16(o + RU.SPORT_HI, r.sport[1], true);
      v.setUint16(o + RU.DPORT_LO, r.dport[0], true);
      v.setUint16(o + RU.DPORT_HI, r.dport[1], true);
      v.setInt32(o + RU.SUPPRESS_PLEN, r.suppressPrefixlen, true);
      v.setInt32(o + RU.SUPPRESS_IFGROUP, r.suppressIfgroup, true);
      if (r.src) b.set(r.src.bytes, o + RU.SRC);
      if (r.dst) b.set(r.dst.bytes, o + RU.DST);
      v.setUint32(o + RU.UID_LO, r.uid[0], true);
      v.setUint32(o + RU.UID_HI, r.uid[1], true);
    });
    x.fib_rules_set(family, addr, this.custom[family] ? 1 : 0);
    (this.dp.routes as { rulesChanged?(): void }).rulesChanged?.();
  }

  /** A rule as `ip -j rule show` prints it. */
  info(r: Rule): RuleInfo {
    const out: RuleInfo = { priority: r.pref, src: r.src ? formatAddr(r.family, r.src.bytes) : 'all' };
    if (r.invert) out.not = null;
    if (r.src) out.srclen = r.src.len;
    if (r.dst) {
      out.dst = formatAddr(r.family, r.dst.bytes);
      out.dstlen = r.dst.len;
    }
    if (r.iifname) out.iif = r.iifname;
    if (r.oifname) out.oif = r.oifname;
    if (r.uid[0] !== UID_UNSET[0] || r.uid[1] !== UID_UNSET[1]) {
      out.uid_start = r.uid[0];
      out.uid_end = r.uid[1];
    }
    if (r.markMask) {
      out.fwmark = `0x${r.mark.toString(16)}`;
      if (r.markMask !== 0xffffffff) out.fwmask = `0x${r.markMask.toString(16)}`;
    }
    if (r.dscp) out.tos = `0x${r.dscp.toString(16).padStart(2, '0')}`;
    if (r.ipproto) out.ipproto = PROTO_NAMES[r.ipproto] ?? String(r.ipproto);
    if (r.sport[0]) out.sport = r.sport[0] === r.sport[1] ? String(r.sport[0]) : `${r.sport[0]}-${r.sport[1]}`;
    if (r.dport[0]) out.dport = r.dport[0] === r.dport[1] ? String(r.dport[0]) : `${r.dport[0]}-${r.dport[1]}`;
    if (r.action === FR_ACT.TO_TBL) out.table = tableName(r.table);
    else if (r.action === FR_ACT.GOTO) {
      out.action = 'goto';
      out.target = r.target;
      // FIB_RULE_UNRESOLVED: no rule has the target's priority (the kernel's ctarget is NULL)
      if (!this.lists[r.family].some((o) => o.pref === r.target)) out.unresolved = true;
    } else out.action = Object.entries(ACTIONS).find(([, v]) => v === r.action)![0];
    if (r.suppressPrefixlen >= 0) out.suppress_prefixlen = r.suppressPrefixlen;
    out.protocol = Object.entries(PROTOS).find(([, v]) => v === r.proto)?.[0] ?? String(r.proto);
    return out;
  }
}
