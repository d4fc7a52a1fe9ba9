// `ip rule` (iproute2 ip/iprule.c): add/del → a RuleSpec for dp.rules (table main and action lookup
// filled in for an add, as `ip` does; a del leaves out what was not said, so it matches any), list and
// flush with iprule's selectors, printed as print_rule prints them. `dscp` follows iproute2 ≥ 6.12
// (the `ip` of this machine predates it).

import type { RuleAction, RuleInfo, RuleSpec } from '../net_types.js';
import { AF_INET, AF_INET6, AF_UNSPEC, familyOf, talk, unsupported, type IpContext } from './context.js';
import { dscpA2n, dscpN2a, dsfieldA2n, dsfieldN2a, inetProtoA2n, inetProtoN2a, protoA2n, rtntypeA2n, tableA2n, tableN2a } from './names.js';
import { Printer } from './printer.js';
import { addrText, Argv, failed, fatal, getInteger, getPrefix, getPrefix1, getU32, invarg, IpError, matches, prefixMatch, scanRange, strtoul, validIfname, type InetPrefix } from './syntax.js';

export const RULE_USAGE = `Usage: ip rule { add | del } SELECTOR ACTION
       ip rule { flush }
       ip rule [ list [ SELECTOR ]]
SELECTOR := [ not ] [ from PREFIX ] [ to PREFIX ] [ tos TOS ] [ dscp DSCP ]
            [ fwmark FWMARK[/MASK] ]
            [ iif STRING ] [ oif STRING ] [ pref NUMBER ]
            [ ipproto PROTOCOL ]
            [ sport [ NUMBER | NUMBER-NUMBER ]
            [ dport [ NUMBER | NUMBER-NUMBER ] ]
ACTION := [ table TABLE_ID ]
          [ goto NUMBER ]
          [ blackhole | unreachable | prohibit | nop ]
          SUPPRESSOR
SUPPRESSOR := [ suppress_prefixlength NUMBER ]
              [ suppress_ifgroup DEVGROUP ]
TABLE_ID := [ local | main | default | NUMBER ]
`;

function usage(): never {
  throw fatal(RULE_USAGE);
}

/** do_iprule */
export function doIprule(ctx: IpContext, a: Argv): string {
  if (a.argc < 1) return listOrFlush(ctx, a, false);
  const w = a.arg;
  a.fwd();
  if (matches(w, 'list') || matches(w, 'lst') || matches(w, 'show')) return listOrFlush(ctx, a, false);
  if (matches(w, 'save') || matches(w, 'restore')) throw unsupported(`rule ${w}`, 'rule');
  if (matches(w, 'add')) return modify(ctx, a, false);
  if (matches(w, 'delete')) return modify(ctx, a, true);
  if (matches(w, 'flush')) return listOrFlush(ctx, a, true);
  if (matches(w, 'help')) usage();
  throw fatal(`Command "${w}" is unknown, try "ip rule help".\n`);
}

/** rtnl_group_a2n: "default" or a number ≥ 0. */
function groupA2n(arg: string): number | undefined {
  if (arg === 'default') return 0;
  const r = strtoul(arg, 0);
  if (r.end === 0 || r.end !== arg.length || r.negative || r.value > 0x7fffffff) return undefined;
  return r.value;
}

/** `fwmark VALUE[/MASK]` */
function fwmark(a: Argv): [number, number | undefined] {
  a.next();
  const slash = a.arg.indexOf('/');
  const markText = slash >= 0 ? a.arg.slice(0, slash) : a.arg;
  const mark = getU32(markText, 0);
  if (mark === undefined) throw invarg('fwmark value is invalid\n', markText);
  if (slash < 0) return [mark, undefined];
  const mask = getU32(a.arg.slice(slash + 1), 0);
  if (mask === undefined) throw invarg('fwmask value is invalid\n', a.arg.slice(slash + 1));
  return [mark, mask];
}

/** `sport|dport N[-M]` as sscanf("%hu-%hu") reads it (one number: N-N). */
function ports(a: Argv, w: 'sport' | 'dport'): [number, number] {
  a.next();
  const r = scanRange(a.arg);
  if (r.n === 0) throw invarg(w === 'sport' ? 'invalid port range\n' : 'invalid dport range\n', a.arg);
  return [r.start, r.n === 1 ? r.start : r.end];
}

/** `iif|dev|oif NAME`: check_ifname. */
function ifname(a: Argv, w: string): string {
  a.next();
  if (!validIfname(a.arg)) throw invarg(w === 'oif' ? '"oif" not a valid ifname' : '"iif"/"dev" not a valid ifname', a.arg);
  return a.arg;
}

/** FR_ACT_* by number: iproute2 reads an action as a route type, and the numbers coincide. */
const ACTIONS: Record<number, RuleAction> = { 1: 'lookup', 2: 'goto', 3: 'nop', 6: 'blackhole', 7: 'unreachable', 8: 'prohibit' };

function prefixOf(p: InetPrefix): string {
  return `${addrText(p.family, p.bytes)}/${p.bitlen}`;
}

/** iprule_modify */
function modify(ctx: IpContext, a: Argv, del: boolean): string {
  if (a.argc === 0) throw failed(`"ip rule ${del ? 'del' : 'add'}" requires arguments.\n`);
  const spec: RuleSpec = { family: familyOf(ctx.family === AF_UNSPEC ? AF_INET : ctx.family) };
  let action: number | undefined = del ? undefined : 1;
  let table: number | undefined;
  let tableOk = false;
  const todo: string[] = [];
  for (; a.argc > 0; a.fwd()) {
    const w = a.arg;
    if (w === 'not') {
      spec.not = true;
    } else if (w === 'from' || w === 'to') {
      a.next();
      const p = getPrefix(a.arg, ctx.family);
      if (p.bitlen > 0) spec[w] = prefixOf(p);
      else delete spec[w];
    } else if (matches(w, 'preference') || matches(w, 'order') || matches(w, 'priority')) {
      a.next();
      const pref = getU32(a.arg, 0);
      if (pref === undefined) throw invarg('preference value is invalid\n', a.arg);
      spec.priority = pref;
    } else if (w === 'tos' || matches(w, 'dsfield')) {
      a.next();
      const tos = dsfieldA2n(a.arg);
      if (tos === undefined) throw invarg('TOS value is invalid\n', a.arg);
      spec.tos = tos;
    } else if (w === 'fwmark') {
      const [mark, mask] = fwmark(a);
      spec.fwmark = mark;
      if (mask !== undefined) spec.fwmask = mask;
    } else if (matches(w, 'realms')) {
      a.next();
      todo.push('realms');
    } else if (matches(w, 'protocol')) {
      a.next();
      const proto = protoA2n(a.arg);
      if (proto === undefined) throw invarg('"protocol" value is invalid\n', a.arg);
      spec.protocol = proto;
    } else if (matches(w, 'tun_id')) {
      a.next();
      if (getU32(a.arg, 0) === undefined && !/^(0x)?[0-9a-f]+$/i.test(a.arg)) throw invarg('"tun_id" value is invalid\n', a.arg);
      todo.push('tun_id');
    } else if (matches(w, 'table') || w === 'lookup') {
      a.next();
      const tid = tableA2n(a.arg);
      if (tid === undefined) throw invarg('invalid table ID\n', a.arg);
      table = tid;
      tableOk = true;
    } else if (matches(w, 'suppress_prefixlength') || w === 'sup_pl') {
      a.next();
      const pl = getInteger(a.arg, 0);
      if (pl === undefined || pl < 0) throw invarg('suppress_prefixlength value is invalid\n', a.arg);
      spec.suppressPrefixlength = pl;
    } else if (matches(w, 'suppress_ifgroup') || w === 'sup_group') {
      a.next();
      const g = groupA2n(a.arg);
      if (g === undefined) throw invarg('Invalid "suppress_ifgroup" value\n', a.arg);
      spec.suppressIfgroup = g;
    } else if (w === 'dev' || w === 'iif' || w === 'oif') {
      spec[w === 'oif' ? 'oif' : 'iif'] = ifname(a, w);
    } else if (w === 'l3mdev') {
      todo.push('l3mdev');
      tableOk = true;
    } else if (w === 'uidrange') {
      a.next();
      spec.uidrange = uidRange(a.arg);
    } else if (w === 'nat' || matches(w, 'map-to')) {
      a.next();
      ctx.warnings.push('Warning: route NAT is deprecated\n');
      if (!getPrefix1(a.arg, AF_INET) || a.arg.includes('/')) throw failed(`Error: an IP address is expected rather than "${a.arg}"\n`, 1);
      todo.push('nat');
    } else if (w === 'ipproto') {
      a.next();
      const p = inetProtoA2n(a.arg);
      if (p === undefined) throw invarg('Invalid "ipproto" value\n', a.arg);
      spec.ipproto = p;
    } else if (w === 'sport' || w === 'dport') {
      spec[w] = ports(a, w);
    } else if (w === 'dscp') {
      a.next();
      const slash = a.arg.indexOf('/');
      const text = slash >= 0 ? a.arg.slice(0, slash) : a.arg;
      const dscp = dscpA2n(text);
      if (dscp === undefined) throw invarg('invalid dscp', text);
      if (slash >= 0) {
        const mask = getU32(a.arg.slice(slash + 1), 0);
        if (mask === undefined) throw invarg('invalid dscp mask', a.arg.slice(slash + 1));
        if (mask !== 0x3f) todo.push('dscp mask');
      }
      spec.dscp = dscp;
    } else {
      if (w === 'type') a.next();
      if (matches(a.arg, 'help')) usage();
      let type: number;
      if (matches(a.arg, 'goto')) {
        type = 2;
        a.next();
        const target = getU32(a.arg, 0);
        if (target === undefined) throw invarg('invalid target\n', a.arg);
        spec.goto = target;
      } else if (matches(a.arg, 'nop')) type = 3;
      else {
        const t = rtntypeA2n(a.arg);
        if (t === undefined) throw invarg('Failed to parse rule type', a.arg);
        type = t;
      }
      action = type;
      tableOk = true;
    }
  }
  if (!tableOk && !del) table = 254;
  if (todo.length) throw unsupported(todo[0]!, 'rule');
  if (action !== undefined) {
    const name = ACTIONS[action];
    // fib_nl2rule refuses actions past FR_ACT_MAX (8); 0, 4 and 5 (FR_ACT_RES3/4) are not in wxdp's rules
    if (action > 8) throw new IpError('Error: Invalid action.\n', { status: 2, fatal: false, errno: 'EINVAL' });
    if (!name) throw unsupported(`action ${action}`, 'rule');
    spec.action = name;
  }
  if (table !== undefined) spec.table = table;
  talk(() => (del ? ctx.t.rules.del(spec) : ctx.t.rules.add(spec)));
  return '';
}

interface RuleFilter {
  pref: number | undefined;
  not: boolean;
  src: InetPrefix | undefined;
  dst: InetPrefix | undefined;
  tos: number | undefined;
  fwmark: number;
  fwmask: number;
  iif: string | undefined;
  oif: string | undefined;
  tb: number;
  ipproto: number;
  sport: [number, number] | undefined;
  dport: [number, number] | undefined;
  dscp: number | undefined;
  /** flush only: FRA_PROTOCOL */
  protocol: number | undefined;
  /** selectors wxdp rules never carry (l3mdev, tun_id): nothing matches */
  none: boolean;
  uidrange?: [number, number];
}

/** iprule_list_flush_or_save */
function listOrFlush(ctx: IpContext, a: Argv, flush: boolean): string {
  const af = ctx.family === AF_UNSPEC ? AF_INET : ctx.family;
  const f: RuleFilter = { pref: undefined, not: false, src: undefined, dst: undefined, tos: undefined, fwmark: 0, fwmask: 0, iif: undefined, oif: undefined, tb: 0, ipproto: 0, sport: undefined, dport: undefined, dscp: undefined, protocol: undefined, none: false };
  for (; a.argc > 0; a.fwd()) {
    const w = a.arg;
    if (matches(w, 'preference') || matches(w, 'order') || matches(w, 'priority')) {
      a.next();
      const pref = getU32(a.arg, 0);
      if (pref === undefined) throw invarg('preference value is invalid\n', a.arg);
      f.pref = pref;
    } else if (w === 'not') {
      f.not = true;
    } else if (w === 'tos' || w === 'dsfield') {
      a.next();
      const tos = dsfieldA2n(a.arg);
      if (tos === undefined) throw invarg('TOS value is invalid\n', a.arg);
      f.tos = tos;
    } else if (w === 'fwmark') {
      const [mark, mask] = fwmark(a);
      f.fwmark = mark;
      if (mask !== undefined) f.fwmask = mask;
    } else if (w === 'dev' || w === 'iif' || w === 'oif') {
      f[w === 'oif' ? 'oif' : 'iif'] = ifname(a, w);
    } else if (w === 'l3mdev') {
      f.none = true;
    } else if (w === 'uidrange') {
      a.next();
      f.uidrange = uidRange(a.arg);
    } else if (matches(w, 'tun_id')) {
      a.next();
      const v = getU32(a.arg, 0);
      if (v === undefined && !/^(0x)?[0-9a-f]+$/i.test(a.arg)) throw invarg('"tun_id" value is invalid\n', a.arg);
      if (v !== 0) f.none = true;
    } else if (matches(w, 'lookup') || matches(w, 'table')) {
      a.next();
      const tid = tableA2n(a.arg);
      if (tid === undefined) throw invarg('table id value is invalid\n', a.arg);
      f.tb = tid;
    } else if (matches(w, 'from') || matches(w, 'src')) {
      a.next();
      f.src = getPrefix(a.arg, af);
    } else if (matches(w, 'protocol')) {
      a.next();
      const p = protoA2n(a.arg);
      if (p === undefined && a.arg !== 'all') throw invarg('invalid "protocol"\n', a.arg);
      f.protocol = p;
    } else if (w === 'ipproto') {
      a.next();
      const p = inetProtoA2n(a.arg);
      if (p === undefined) throw invarg('Invalid "ipproto" value\n', a.arg);
      f.ipproto = p;
    } else if (w === 'sport' || w === 'dport') {
      f[w] = ports(a, w);
    } else if (w === 'dscp') {
      a.next();
      const d = dscpA2n(a.arg.split('/')[0]!);
      if (d === undefined) throw invarg('invalid dscp', a.arg);
      f.dscp = d;
    } else {
      if (matches(w, 'dst') || matches(w, 'to')) a.next();
      f.dst = getPrefix(a.arg, af);
    }
  }

  const rules = talk(() => ctx.t.rules.list(familyOf(af)));
  const p = new Printer(ctx.json);
  for (const r of rules) {
    if (!filterRule(f, af, r)) continue;
    if (flush) {
      // flush_rule: rules without FRA_PRIORITY (priority 0) stay; a protocol filter applies here only
      if (f.protocol !== undefined && f.protocol !== protoA2n((r as RuleInfo & { protocol?: string }).protocol ?? 'unspec')) continue;
      if (r.priority) talk(() => ctx.t.rules.del(ruleSpecOf(af, r)));
    } else printRule(p, af, r, ctx.details > 0);
  }
  return flush ? '' : p.output();
}

function hostLen(af: number): number {
  return af === AF_INET6 ? 128 : 32;
}

/** A rule's from/to as an inet_prefix ('all' and no `to`: length 0). */
function rulePrefix(af: number, addr: string | undefined, len: number | undefined): InetPrefix {
  if (addr === undefined || addr === 'all' || addr === '0') return { family: af, bytes: new Uint8Array(16), bytelen: 0, bitlen: len ?? 0, prefixSpecified: false, any: true };
  return getPrefix1(`${addr}/${len ?? hostLen(af)}`, af) ?? { family: af, bytes: new Uint8Array(16), bytelen: 0, bitlen: 0, prefixSpecified: false, any: true };
}

function portRange(s: string | undefined): [number, number] | undefined {
  if (s === undefined) return undefined;
  const [lo, hi] = String(s).split('-').map(Number);
  return [lo!, hi ?? lo!];
}

function tableOfRule(r: RuleInfo): number {
  return r.table === undefined ? 0 : tableA2n(r.table) ?? 0;
}

/** filter_nlmsg of iprule.c */
function filterRule(f: RuleFilter, af: number, r: RuleInfo): boolean {
  if (f.none) return false;
  if (f.pref !== undefined && f.pref !== r.priority) return false;
  if (f.not && r.not === undefined) return false;
  for (const [fp, addr, len] of [[f.src, r.src, r.srclen], [f.dst, r.dst, r.dstlen]] as const) {
    if (!fp?.family) continue;
    const rp = rulePrefix(af, addr, len);
    if (fp.family !== af || fp.bitlen > rp.bitlen) return false;
    if (!prefixMatch(rp.bytes, fp.bytes, fp.bitlen)) return false;
  }
  if (f.tos !== undefined && f.tos !== (r.tos === undefined ? 0 : dsfieldA2n(r.tos) ?? 0)) return false;
  if (f.fwmark && f.fwmark !== (r.fwmark === undefined ? 0 : Number(r.fwmark))) return false;
  if (f.fwmask && f.fwmask !== (r.fwmask === undefined ? (r.fwmark === undefined ? 0 : 0xffffffff) : Number(r.fwmask))) return false;
  if (f.iif !== undefined && r.iif !== f.iif) return false;
  if (f.oif !== undefined && r.oif !== f.oif) return false;
  if (f.ipproto && f.ipproto !== (r.ipproto === undefined ? 0 : inetProtoA2n(r.ipproto) ?? 0)) return false;
  for (const [fr, rr] of [[f.sport, r.sport], [f.dport, r.dport]] as const) {
    if (!fr || !fr[0]) continue;
    const got = portRange(rr);
    if (!got || got[0] !== fr[0] || got[1] !== fr[1]) return false;
  }
  if (f.dscp !== undefined && f.dscp !== (r.dscp === undefined ? -1 : dscpA2n(r.dscp))) return false;
  if (f.tb > 0 && f.tb !== tableOfRule(r)) return false;
  if (f.uidrange && (r.uid_start !== f.uidrange[0] || r.uid_end !== f.uidrange[1])) return false;
  return true;
}

/** sscanf("%u-%u"): a uid range (each end as strtoul takes it: blanks and a sign, wrapping mod 2^32). */
function uidRange(text: string): [number, number] {
  const m = /^\s*([+-]?\d+)-\s*([+-]?\d+)/.exec(text);
  if (!m) throw invarg('invalid UID range\n', text);
  const u = (t: string): number => Number(BigInt.asUintN(32, BigInt(t)));
  return [u(m[1]!), u(m[2]!)];
}

/** The RuleSpec that deletes exactly the listed rule. */
export function ruleSpecOf(af: number, r: RuleInfo): RuleSpec {
  const s: RuleSpec = { family: familyOf(af), priority: r.priority };
  if (r.not !== undefined) s.not = true;
  if (r.src !== 'all' && r.src !== undefined) s.from = `${r.src}/${r.srclen ?? hostLen(af)}`;
  if (r.dst !== undefined) s.to = `${r.dst}/${r.dstlen ?? hostLen(af)}`;
  if (r.iif !== undefined) s.iif = r.iif;
  if (r.oif !== undefined) s.oif = r.oif;
  if (r.fwmark !== undefined) s.fwmark = Number(r.fwmark);
  if (r.fwmask !== undefined) s.fwmask = Number(r.fwmask);
  if (r.tos !== undefined) s.tos = dsfieldA2n(r.tos) ?? 0;
  if (r.dscp !== undefined) s.dscp = dscpA2n(r.dscp) ?? 0;
  if (r.ipproto !== undefined) s.ipproto = inetProtoA2n(r.ipproto) ?? 0;
  if (r.sport !== undefined) s.sport = portRange(r.sport)!;
  if (r.dport !== undefined) s.dport = portRange(r.dport)!;
  const action = actionOf(r);
  s.action = action;
  if (action === 'goto' && r.target !== undefined) s.goto = r.target;
  const tb = tableOfRule(r);
  if (tb) s.table = tb;
  if (r.suppress_prefixlen !== undefined) s.suppressPrefixlength = r.suppress_prefixlen;
  if (r.uid_start !== undefined && r.uid_end !== undefined) s.uidrange = [r.uid_start, r.uid_end];
  if (r.protocol !== undefined) s.protocol = r.protocol;
  return s;
}

function actionOf(r: RuleInfo): RuleAction {
  if (r.action === undefined) return r.target !== undefined ? 'goto' : 'lookup';
  return (['lookup', 'goto', 'blackhole', 'unreachable', 'prohibit', 'nop'] as const).find((x) => x === r.action) ?? 'lookup';
}

/** print_rule */
export function printRule(p: Printer, af: number, r: RuleInfo, details = false): void {
  const hl = hostLen(af);
  p.obj();
  p.any('priority', r.priority, `${r.priority}:\t`);
  if (r.not !== undefined) p.any('not', null, 'not ');
  if (r.src !== undefined && r.src !== 'all' && r.src !== '0') {
    p.fp('from ');
    p.any('src', r.src, r.src);
    if ((r.srclen ?? hl) !== hl) p.any('srclen', r.srclen!, `/${r.srclen}`);
  } else if (r.srclen) {
    p.any('src', '0', 'from 0');
    p.any('srclen', r.srclen, `/${r.srclen}`);
  } else p.any('src', 'all', 'from all');
  if (r.dst !== undefined && r.dst !== '0') {
    p.fp(' to ');
    p.any('dst', r.dst, r.dst);
    if ((r.dstlen ?? hl) !== hl) p.any('dstlen', r.dstlen!, `/${r.dstlen}`);
  } else if (r.dstlen) {
    p.any('dst', '0', ' to 0');
    p.any('dstlen', r.dstlen, `/${r.dstlen}`);
  }
  const tos = r.tos === undefined ? 0 : dsfieldA2n(r.tos) ?? 0;
  if (tos) p.any('tos', dsfieldN2a(tos), ` tos ${dsfieldN2a(tos)}`);
  if (r.dscp !== undefined) {
    const d = dscpN2a(dscpA2n(r.dscp) ?? 0);
    p.any('dscp', d, ` dscp ${d}`);
  }
  if (r.fwmark !== undefined || r.fwmask !== undefined) {
    const mark = Number(r.fwmark ?? 0);
    const mask = r.fwmask === undefined ? 0xffffffff : Number(r.fwmask);
    p.any('fwmark', hex(mark), ` fwmark ${hex(mark)}`);
    if (mask !== 0xffffffff) p.any('fwmask', hex(mask), `/${hex(mask)}`);
  }
  if (r.iif !== undefined) {
    p.fp(' iif ');
    p.any('iif', r.iif, r.iif);
  }
  if (r.oif !== undefined) {
    p.fp(' oif ');
    p.any('oif', r.oif, r.oif);
  }
  if (r.uid_start !== undefined) {
    p.any('uid_start', r.uid_start, ` uidrange ${r.uid_start}`);
    p.any('uid_end', r.uid_end!, `-${r.uid_end}`);
  }
  if (r.ipproto !== undefined) {
    const name = inetProtoN2a(inetProtoA2n(r.ipproto) ?? 0);
    p.any('ipproto', name, ` ipproto ${name}`);
  }
  for (const [key, v] of [['sport', r.sport], ['dport', r.dport]] as const) {
    const range = portRange(v);
    if (!range) continue;
    if (range[0] === range[1]) p.any(key, range[0], ` ${key} ${range[0]}`);
    else {
      p.any(`${key}_start`, range[0], ` ${key} ${range[0]}`);
      p.any(`${key}_end`, range[1], `-${range[1]}`);
    }
  }
  const table = tableOfRule(r);
  if (table) {
    p.any('table', tableN2a(table), ` lookup ${tableN2a(table)}`);
    if (r.suppress_prefixlen !== undefined && r.suppress_prefixlen !== -1) p.any('suppress_prefixlen', r.suppress_prefixlen, ` suppress_prefixlength ${r.suppress_prefixlen}`);
    const group = (r as RuleInfo & { suppress_ifgroup?: string }).suppress_ifgroup;
    if (group !== undefined) p.any('suppress_ifgroup', group, ` suppress_ifgroup ${group}`);
  }
  const action = actionOf(r);
  if (action === 'goto') {
    if (r.target !== undefined) p.any('goto', r.target, ` goto ${r.target}`);
    else p.any('goto', 'none', ' goto none');
    if (r.unresolved) p.any('unresolved', null, ' [unresolved]');
  } else if (action === 'nop') p.any('nop', null, ' nop');
  else if (action !== 'lookup') p.any('action', action, ` ${action}`);
  // FRA_PROTOCOL, when the rules table reports it: shown unless unspec or kernel, or always with -d
  const proto = r.protocol;
  if (proto !== undefined && ((proto !== 'unspec' && proto !== 'kernel' && proto !== '0') || details)) p.any('protocol', proto, ` proto ${proto}`);
  p.fp('\n');
  p.end();
}

/** %#llx: 0 prints as "0", others as 0x… */
function hex(v: number): string {
  return v === 0 ? '0' : `0x${(v >>> 0).toString(16)}`;
}

