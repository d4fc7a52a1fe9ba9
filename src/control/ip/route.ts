// `ip route` (iproute2 ip/iproute.c): add, change, replace, prepend, append, test, delete → a RouteSpec
// for dp.routes, with the defaults `ip` itself fills in before it asks the kernel (protocol boot, type
// unicast, table main — local for local/broadcast/anycast/nat —, scope link for a route without a
// gateway, host for local/nat, link for broadcast/multicast/anycast); list/flush with iproute2's
// selectors (root/match/exact, table, proto, scope, type, dev, via, src, metric, tos), filtered here
// as `ip` filters a dump; get as RTM_GETROUTE. Output: print_route's words and JSON keys.

import { ROUTE_METRICS, type NexthopSpec, type RouteInfo, type RouteMetric, type RouteSpec, type RouteType } from '../net_types.js';
import { AF_INET, AF_INET6, AF_UNSPEC, familyOf, ifindexOf, talk, unsupported, type IpContext } from './context.js';
import { dsfieldA2n, dsfieldN2a, inetProtoA2n, protoA2n, protoN2a, rtntypeA2n, rtntypeN2a, scopeA2n, scopeN2a, tableA2n, tableN2a, RTN_NAMES } from './names.js';
import { Printer } from './printer.js';
import {
  addrText, Argv, duparg2, failed, fatal, getAddr, getPrefix, getPrefix1, getU16, getU32, getU8, getUnsigned,
  invarg, IpError, matches, nodev, prefixMatch, readFamily, type InetPrefix,
} from './syntax.js';

const RT_TABLE_MAIN = 254;
const RT_TABLE_LOCAL = 255;
const RTPROT_BOOT = 3;
const RT_SCOPE_UNIVERSE = 0;
const RT_SCOPE_LINK = 253;
const RT_SCOPE_HOST = 254;
const RTN_UNICAST = 1;

export const ROUTE_USAGE = `Usage: ip route { list | flush } SELECTOR
       ip route get [ ROUTE_GET_FLAGS ] ADDRESS
                            [ from ADDRESS iif STRING ]
                            [ oif STRING ] [ tos TOS ]
                            [ mark NUMBER ] [ uid NUMBER ] [ ipproto PROTOCOL ]
                            [ sport NUMBER ] [ dport NUMBER ]
       ip route { add | del | change | append | replace } ROUTE
SELECTOR := [ root PREFIX ] [ match PREFIX ] [ exact PREFIX ]
            [ table TABLE_ID ] [ proto RTPROTO ]
            [ type TYPE ] [ scope SCOPE ]
ROUTE := NODE_SPEC [ INFO_SPEC ]
NODE_SPEC := [ TYPE ] PREFIX [ tos TOS ]
             [ table TABLE_ID ] [ proto RTPROTO ]
             [ scope SCOPE ] [ metric METRIC ]
INFO_SPEC := NH OPTIONS FLAGS [ nexthop NH ]...
NH := [ via [ FAMILY ] ADDRESS ] [ dev STRING ] [ weight NUMBER ] NHFLAGS
FAMILY := [ inet | inet6 ]
OPTIONS := FLAGS [ mtu [ lock ] NUMBER ] [ src ADDRESS ]
TYPE := { unicast | local | broadcast | multicast | throw |
          unreachable | prohibit | blackhole | nat }
TABLE_ID := [ local | main | default | all | NUMBER ]
SCOPE := [ host | link | global | NUMBER ]
NHFLAGS := [ onlink ]
RTPROTO := [ kernel | boot | static | NUMBER ]
`;

function usage(): never {
  throw fatal(ROUTE_USAGE);
}

type ModifyCmd = 'add' | 'change' | 'replace' | 'prepend' | 'append' | 'test' | 'delete';

/** do_iproute */
export function doIproute(ctx: IpContext, a: Argv): string {
  if (a.argc < 1) return listOrFlush(ctx, a, false);
  const w = a.arg;
  a.fwd();
  if (matches(w, 'add')) return modify(ctx, a, 'add');
  if (matches(w, 'change') || w === 'chg') return modify(ctx, a, 'change');
  if (matches(w, 'replace')) return modify(ctx, a, 'replace');
  if (matches(w, 'prepend')) return modify(ctx, a, 'prepend');
  if (matches(w, 'append')) return modify(ctx, a, 'append');
  if (matches(w, 'test')) return modify(ctx, a, 'test');
  if (matches(w, 'delete')) return modify(ctx, a, 'delete');
  if (matches(w, 'list') || matches(w, 'show') || matches(w, 'lst')) return listOrFlush(ctx, a, false);
  if (matches(w, 'get')) return get(ctx, a);
  if (matches(w, 'flush')) return listOrFlush(ctx, a, true);
  if (matches(w, 'save') || matches(w, 'restore') || matches(w, 'showdump')) throw unsupported(`route ${w}`, 'route');
  if (matches(w, 'help')) usage();
  throw fatal(`Command "${w}" is unknown, try "ip route help".\n`);
}

/** rtnl_rtntype number → the RouteSpec type (wxdp has no xresolve). */
function routeType(t: number): RouteType | undefined {
  return t >= 1 && t <= 10 ? (RTN_NAMES[t] as RouteType) : undefined;
}

/** `via [inet|inet6] ADDR`: the gateway's text; the route takes the gateway's family when it has none yet. */
function readVia(a: Argv, st: { family: number }): string {
  a.next();
  let family = readFamily(a.arg);
  if (family === AF_UNSPEC) family = st.family;
  else a.next();
  const addr = getAddr(a.arg, family);
  if (st.family === AF_UNSPEC) st.family = addr.family;
  return addrText(addr.family, addr.bytes);
}

/** parse_one_nh: the words after one `nexthop`, until a word that is not a next-hop option. */
/** printf's %g for the seconds print_rta_metrics gives an rtt of 1000 ms or more. */
function fmtG(x: number): string {
  const t = Number(x.toPrecision(6));
  return Math.abs(t) >= 1e6 || (t !== 0 && Math.abs(t) < 1e-4) ? t.toExponential().replace(/e([+-])(\d)$/, 'e$10$2') : String(t);
}

/** lib/utils.c get_time_rtt: ms (a "s"/"ms" suffix; no suffix: `raw`, the kernel's units), rounded up. */
function getTimeRtt(arg: string): { val: number; raw: boolean } | undefined {
  let t: number;
  let rest: string;
  if (arg.includes('.')) {
    const m = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?/i.exec(arg);
    if (!m) return undefined;
    t = Number(m[0]);
    if (t < 0) return undefined;
    rest = arg.slice(m[0].length);
  } else {
    const m = /^\s*(0x[0-9a-f]+|0[0-7]*|[1-9]\d*)/i.exec(arg);
    if (!m) return undefined;
    t = Number(m[1]!.startsWith('0') && !/^0x/i.test(m[1]!) && m[1]!.length > 1 ? parseInt(m[1]!, 8) : m[1]);
    if (t > 0xffffffff) return undefined;
    rest = arg.slice(m[0].length);
  }
  let raw = true;
  if (rest) {
    raw = false;
    if (/^(s|sec|secs)$/i.test(rest)) t *= 1000;
    else if (!/^(ms|msec|msecs)$/i.test(rest)) return undefined;
  }
  let val = Math.trunc(t) >>> 0;
  if (val < t) val = (val + 1) >>> 0;
  return { val, raw };
}

function parseOneNh(ctx: IpContext, a: Argv, st: { family: number }, todo: string[]): NexthopSpec {
  const nh: NexthopSpec = {};
  for (a.fwd(); a.argc > 0; a.fwd()) {
    const w = a.arg;
    if (w === 'via') {
      nh.via = readVia(a, st);
    } else if (w === 'dev') {
      a.next();
      if (!ifindexOf(ctx, a.arg)) throw fatal(`Cannot find device "${a.arg}"\nError: cannot parse nexthop\n`);
      nh.dev = a.arg;
    } else if (w === 'weight') {
      a.next();
      const weight = getUnsigned(a.arg, 0);
      if (weight === undefined || weight === 0 || weight > 256) throw invarg('"weight" is invalid\n', a.arg);
      nh.weight = weight;
    } else if (w === 'onlink') {
      nh.onlink = true;
    } else if (matches(w, 'realms') || w === 'encap' || w === 'as') {
      a.next();
      todo.push(w);
    } else break;
  }
  return nh;
}

/** parse_nexthops: `nexthop NH` repeated to the end of the line. */
function parseNexthops(ctx: IpContext, a: Argv, st: { family: number }, todo: string[]): NexthopSpec[] {
  const out: NexthopSpec[] = [];
  while (a.argc > 0) {
    if (a.arg !== 'nexthop') throw fatal(`Error: "nexthop" or end of line is expected instead of "${a.arg}"\n`);
    if (a.argc <= 1) throw fatal('Error: unexpected end of line after "nexthop"\n');
    out.push(parseOneNh(ctx, a, st, todo));
  }
  return out;
}

/** iproute_modify */
function modify(ctx: IpContext, a: Argv, cmd: ModifyCmd): string {
  const del = cmd === 'delete';
  const st = { family: ctx.family };
  let type: number | undefined = del ? undefined : RTN_UNICAST;
  let protocol: number | undefined = del ? undefined : RTPROT_BOOT;
  let scope: number | undefined;
  let table = RT_TABLE_MAIN;
  let tableOk = false;
  let gwOk = false;
  let nhsOk = false;
  let dst: InetPrefix | undefined;
  let dev: string | undefined;
  const spec: Partial<RouteSpec> = {};
  /** Options `ip` takes and the kernel honours but wxdp's FIB does not: refused once the line has parsed. */
  const todo: string[] = [];
  // RTA_METRICS as iproute2 fills it: the value (rtt and rttvar in the kernel's units, <<3 and <<2,
  // unless given raw), and RTAX_LOCK's bit when `lock` comes first
  const metricWord = (name: RouteMetric, check: (v: string) => boolean, lockable = true, value = (v: string) => getUnsigned(v, 0)!): void => {
    a.next();
    if (lockable && a.arg === 'lock') {
      (spec.locks ??= []).push(name);
      a.next();
    }
    if (!check(a.arg)) throw invarg(`"${name}" value is invalid\n`, a.arg);
    (spec.metrics ??= {})[name] = value(a.arg);
  };

  for (; a.argc > 0; a.fwd()) {
    const w = a.arg;
    if (w === 'src') {
      a.next();
      const addr = getAddr(a.arg, st.family);
      if (st.family === AF_UNSPEC) st.family = addr.family;
      spec.src = addrText(addr.family, addr.bytes);
    } else if (w === 'as') {
      a.next();
      if (a.arg === 'to') a.next();
      const addr = getAddr(a.arg, st.family);
      if (st.family === AF_UNSPEC) st.family = addr.family;
      todo.push('as');
    } else if (w === 'via') {
      if (gwOk) throw invarg('use nexthop syntax to specify multiple via\n', w);
      gwOk = true;
      spec.via = readVia(a, st);
    } else if (w === 'from') {
      a.next();
      const p = getPrefix(a.arg, st.family);
      if (st.family === AF_UNSPEC) st.family = p.family;
      // RTA_SRC: an IPv6 source prefix (a subtree route); the IPv4 FIB ignores it, as the kernel's does
      spec.from = a.arg;
    } else if (w === 'tos' || matches(w, 'dsfield')) {
      a.next();
      const tos = dsfieldA2n(a.arg);
      if (tos === undefined) throw invarg('"tos" value is invalid\n', a.arg);
      spec.tos = tos;
    } else if (w === 'expires') {
      a.next();
      const expires = getU32(a.arg, 0);
      if (expires === undefined) throw invarg('"expires" value is invalid\n', a.arg);
      spec.expires = expires;
    } else if (matches(w, 'metric') || matches(w, 'priority') || w === 'preference') {
      a.next();
      const metric = getU32(a.arg, 0);
      if (metric === undefined) throw invarg('"metric" value is invalid\n', a.arg);
      spec.metric = metric;
    } else if (w === 'scope') {
      a.next();
      const s = scopeA2n(a.arg);
      if (s === undefined) throw invarg('invalid "scope" value\n', a.arg);
      scope = s;
    } else if (w === 'mtu') {
      a.next();
      if (a.arg === 'lock') {
        spec.mtuLock = true;
        a.next();
      }
      const mtu = getUnsigned(a.arg, 0);
      if (mtu === undefined) throw invarg('"mtu" value is invalid\n', a.arg);
      spec.mtu = mtu;
    } else if (w === 'hoplimit') {
      metricWord('hoplimit', (v) => (getUnsigned(v, 0) ?? 256) <= 255);
    } else if (w === 'advmss') {
      a.next();
      if (a.arg === 'lock') {
        (spec.locks ??= []).push('advmss');
        a.next();
      }
      const mss = getUnsigned(a.arg, 0);
      if (mss === undefined) throw invarg('"mss" value is invalid\n', a.arg);
      (spec.metrics ??= {}).advmss = mss;
    } else if (matches(w, 'reordering')) {
      metricWord('reordering', (v) => getUnsigned(v, 0) !== undefined);
    } else if (w === 'rtt' || w === 'rto_min' || matches(w, 'rttvar')) {
      const name = w === 'rtt' || w === 'rto_min' ? w : 'rttvar';
      const shift = name === 'rtt' ? 8 : name === 'rttvar' ? 4 : 1;
      if (name === 'rto_min') (spec.locks ??= []).push('rto_min'); // iproute2 always locks it
      metricWord(name, (v) => getTimeRtt(v) !== undefined, name !== 'rto_min', (v) => {
        const t = getTimeRtt(v)!;
        return t.raw ? t.val : (t.val * shift) >>> 0;
      });
    } else if (matches(w, 'window') || matches(w, 'cwnd') || matches(w, 'initcwnd') || matches(w, 'initrwnd') || matches(w, 'ssthresh')) {
      const name = (['window', 'cwnd', 'initcwnd', 'initrwnd', 'ssthresh'] as const).find((n) => matches(w, n))!;
      metricWord(name, (v) => getUnsigned(v, 0) !== undefined);
    } else if (matches(w, 'features')) {
      a.next();
      if (a.arg !== 'ecn') throw invarg('"features" value not valid\n', a.arg);
      todo.push('features');
    } else if (matches(w, 'quickack') || matches(w, 'fastopen_no_cookie')) {
      const name = matches(w, 'quickack') ? 'quickack' : 'fastopen_no_cookie';
      a.next();
      const v = getUnsigned(a.arg, 0);
      if (v === undefined) throw invarg(`"${name}" value is invalid\n`, a.arg);
      if (v !== 0 && v !== 1) throw invarg(`"${name}" value should be 0 or 1\n`, a.arg);
      (spec.metrics ??= {})[name] = v;
    } else if (matches(w, 'congctl')) {
      a.next();
      if (a.arg === 'lock') a.next();
      todo.push('congctl');
    } else if (matches(w, 'realms')) {
      a.next();
      todo.push('realms');
    } else if (w === 'onlink') {
      spec.onlink = true;
    } else if (w === 'nexthop') {
      nhsOk = true;
      break;
    } else if (w === 'nhid') {
      a.next();
      if (getU32(a.arg, 0) === undefined) throw invarg('"id" value is invalid\n', a.arg);
      todo.push('nhid');
    } else if (matches(w, 'protocol')) {
      a.next();
      const p = protoA2n(a.arg);
      if (p === undefined) throw invarg('"protocol" value is invalid\n', a.arg);
      protocol = p;
    } else if (matches(w, 'table')) {
      a.next();
      const tid = tableA2n(a.arg);
      if (tid === undefined) throw invarg('"table" value is invalid\n', a.arg);
      table = tid;
      tableOk = true;
    } else if (matches(w, 'vrf')) {
      a.next();
      throw invarg('Invalid VRF\n', a.arg);
    } else if (w === 'dev' || w === 'oif') {
      a.next();
      dev = a.arg;
    } else if (matches(w, 'pref')) {
      a.next();
      const pref = a.arg === 'low' ? 3 : a.arg === 'medium' ? 0 : a.arg === 'high' ? 1 : getU8(a.arg, 0);
      if (pref === undefined) throw invarg('"pref" value is invalid\n', a.arg);
      spec.pref = pref;
    } else if (w === 'encap') {
      throw unsupported('encap', 'route');
    } else if (w === 'ttl-propagate') {
      a.next();
      if (!matches(a.arg, 'enabled') && !matches(a.arg, 'disabled')) throw invarg('"ttl-propagate" value is invalid\n', a.arg);
      todo.push('ttl-propagate');
    } else {
      if (w === 'to') a.next();
      const t = a.arg[0]! < '0' || a.arg[0]! > '9' ? rtntypeA2n(a.arg) : undefined;
      if (t !== undefined) {
        a.next();
        type = t;
      }
      if (matches(a.arg, 'help')) usage();
      if (dst) throw duparg2('to', a.arg);
      dst = getPrefix(a.arg, st.family);
      if (st.family === AF_UNSPEC) st.family = dst.family;
    }
  }

  if (!dst) usage();
  if (dev !== undefined) {
    if (!ifindexOf(ctx, dev)) throw nodev(dev);
    spec.dev = dev;
  }
  if (nhsOk) spec.nexthops = parseNexthops(ctx, a, st, todo);
  if (st.family === AF_UNSPEC) st.family = AF_INET;
  if (!tableOk && (type === 2 || type === 3 || type === 10 || type === 4)) table = RT_TABLE_LOCAL;
  if (scope === undefined) {
    if (st.family === AF_INET6) scope = RT_SCOPE_UNIVERSE;
    else if (type === 2 || type === 10) scope = RT_SCOPE_HOST;
    else if (type === 3 || type === 5 || type === 4) scope = RT_SCOPE_LINK;
    else if (type === RTN_UNICAST || type === undefined) {
      if (del) scope = undefined; // RT_SCOPE_NOWHERE: any scope
      else if (!gwOk && !nhsOk) scope = RT_SCOPE_LINK;
      else scope = RT_SCOPE_UNIVERSE;
    } else scope = RT_SCOPE_UNIVERSE;
  }
  if (todo.length) throw unsupported(todo[0]!, 'route');

  if (cmd === 'test') throw unsupported('route test', 'route');
  const out: RouteSpec = { dst: dst.any && dst.bitlen === 0 ? 'default' : `${addrText(dst.family, dst.bytes)}/${dst.bitlen}`, family: familyOf(st.family), table };
  if (type !== undefined) {
    const name = routeType(type);
    // the kernel's rtm_to_fib_config: types past RTN_MAX are refused; wxdp's FIB has no xresolve (11) either
    if (!name) throw new IpError('Error: Invalid route type.\n', { status: 2, fatal: false, errno: 'EINVAL' });
    out.type = name;
  }
  if (protocol !== undefined) out.protocol = protocol;
  if (scope !== undefined) out.scope = scope;
  Object.assign(out, spec);
  const flags = MODIFY_FLAGS[cmd];
  talk(() => (del ? ctx.t.routes.del(out) : ctx.t.routes.add(out, flags)));
  return '';
}

/** NLM_F_* of each command as the Routes.add options (add: CREATE|EXCL; prepend: CREATE alone). */
const MODIFY_FLAGS: Record<ModifyCmd, { replace?: boolean; append?: boolean; change?: boolean; prepend?: boolean }> = {
  add: {},
  change: { change: true },
  replace: { replace: true },
  prepend: { prepend: true },
  append: { append: true },
  test: {},
  delete: {},
};

// ---- list / flush ----

interface RouteFilter {
  tb: number;
  cloned: boolean;
  tos: number;
  tosmask: number;
  protocol: number;
  protocolmask: number;
  scope: number;
  scopemask: number;
  typemask: number;
  oif: string | undefined;
  metric: number;
  metricmask: boolean;
  rvia: InetPrefix | undefined;
  rprefsrc: InetPrefix | undefined;
  rdst: InetPrefix | undefined;
  mdst: InetPrefix | undefined;
  rsrc: InetPrefix | undefined;
  msrc: InetPrefix | undefined;
  iif: string | undefined;
  mark: number;
}

function newFilter(): RouteFilter {
  return {
    tb: RT_TABLE_MAIN, cloned: false, tos: 0, tosmask: 0, protocol: 0, protocolmask: 0, scope: 0, scopemask: 0, typemask: 0,
    oif: undefined, metric: 0, metricmask: false, rvia: undefined, rprefsrc: undefined, rdst: undefined, mdst: undefined,
    rsrc: undefined, msrc: undefined, iif: undefined, mark: 0,
  };
}

/** `protocol X` / `scope X` of a selector: [value, -1], or for `all` [allValue, 0] (matches anything). */
function maskedValue(a: Argv, a2n: (s: string) => number | undefined, what: string, allValue: number): [number, number] {
  a.next();
  const v = a2n(a.arg);
  if (v !== undefined) return [v, -1];
  if (a.arg !== 'all') throw invarg(`invalid "${what}"\n`, a.arg);
  return [allValue, 0];
}

/** `root P` (routes inside P), `match P` (routes that contain P), `[exact] P` (both): the [root, match] pair after the word. */
function rootMatch(a: Argv, family: number, root: InetPrefix | undefined, match: InetPrefix | undefined): [InetPrefix | undefined, InetPrefix | undefined] {
  if (matches(a.arg, 'root')) {
    a.next();
    return [getPrefix(a.arg, family), match];
  }
  if (matches(a.arg, 'match')) {
    a.next();
    return [root, getPrefix(a.arg, family)];
  }
  if (matches(a.arg, 'exact')) a.next();
  const p = getPrefix(a.arg, family);
  return [p, p];
}

/** iproute_list_flush_or_save (list and flush) */
function listOrFlush(ctx: IpContext, a: Argv, flush: boolean): string {
  let dumpFamily = ctx.family;
  const f = newFilter();
  if (flush && a.argc <= 0) throw failed('"ip route flush" requires arguments.\n');
  for (; a.argc > 0; a.fwd()) {
    const w = a.arg;
    if (matches(w, 'table')) {
      a.next();
      const tid = tableA2n(a.arg);
      if (tid === undefined) {
        if (a.arg === 'all') f.tb = 0;
        else if (a.arg === 'cache') f.cloned = true;
        else if (a.arg === 'help') usage();
        else throw invarg('table id value is invalid\n', a.arg);
      } else f.tb = tid;
    } else if (matches(w, 'vrf')) {
      a.next();
      throw invarg('Invalid VRF\n', a.arg);
    } else if (matches(w, 'cached') || matches(w, 'cloned')) {
      f.cloned = true;
    } else if (w === 'tos' || matches(w, 'dsfield')) {
      a.next();
      const tos = dsfieldA2n(a.arg);
      if (tos === undefined) throw invarg('TOS value is invalid\n', a.arg);
      f.tos = tos;
      f.tosmask = -1;
    } else if (matches(w, 'protocol')) {
      [f.protocol, f.protocolmask] = maskedValue(a, protoA2n, 'protocol', 0);
    } else if (matches(w, 'scope')) {
      [f.scope, f.scopemask] = maskedValue(a, scopeA2n, 'scope', 255);
    } else if (matches(w, 'type')) {
      a.next();
      const t = rtntypeA2n(a.arg);
      if (t === undefined) throw invarg('node type value is invalid\n', a.arg);
      f.typemask = 1 << t;
    } else if (w === 'dev' || w === 'oif') {
      a.next();
      f.oif = a.arg;
    } else if (w === 'iif') {
      f.iif = a.next();
    } else if (w === 'mark') {
      a.next();
      const mark = getUnsigned(a.arg, 0);
      if (mark === undefined) throw invarg('invalid mark value', a.arg);
      f.mark = mark;
    } else if (matches(w, 'metric') || matches(w, 'priority') || w === 'preference') {
      a.next();
      const m = getU32(a.arg, 0);
      if (m === undefined) throw invarg('"metric" value is invalid\n', a.arg);
      f.metric = m;
      f.metricmask = true;
    } else if (w === 'via') {
      a.next();
      let family = readFamily(a.arg);
      if (family === AF_UNSPEC) family = dumpFamily;
      else a.next();
      f.rvia = getPrefix(a.arg, family);
    } else if (w === 'src') {
      a.next();
      f.rprefsrc = getPrefix(a.arg, dumpFamily);
    } else if (matches(w, 'realms')) {
      a.next();
      throw unsupported('realms', 'route');
    } else if (matches(w, 'from')) {
      a.next();
      [f.rsrc, f.msrc] = rootMatch(a, dumpFamily, f.rsrc, f.msrc);
    } else {
      if (matches(w, 'to')) a.next();
      [f.rdst, f.mdst] = rootMatch(a, dumpFamily, f.rdst, f.mdst);
    }
  }
  if (dumpFamily === AF_UNSPEC && f.tb) dumpFamily = AF_INET;
  if (f.iif !== undefined && !ifindexOf(ctx, f.iif)) throw nodev(f.iif);
  if (f.oif !== undefined && !ifindexOf(ctx, f.oif)) throw nodev(f.oif);

  const families = dumpFamily === AF_UNSPEC ? [AF_INET, AF_INET6] : [dumpFamily];
  const p = new Printer(ctx.json);
  const doomed: RouteInfo[] = [];
  const doomedFamily: number[] = [];
  for (const fam of families) {
    // inet_dump_fib / inet6_dump_fib with RTA_TABLE: a table that was never made ends the dump
    if (f.tb > 0 && !f.cloned && ctx.t.routes.tableExists?.(familyOf(fam), f.tb) === false) {
      throw new IpError(`Error: ${fam === AF_INET6 ? 'ipv6' : 'ipv4'}: FIB table does not exist.\n${flush ? 'Flush' : 'Dump'} terminated\n`, { status: 2, fatal: false, errno: 'ENOENT', stdout: ctx.json && !flush ? '[' : '' });
    }
    const routes = f.cloned ? [] : talk(() => ctx.t.routes.list({ family: familyOf(fam) }));
    for (const r of routes) {
      if (!filterRoute(ctx, f, fam, r)) continue;
      if (flush) {
        doomed.push(r);
        doomedFamily.push(fam);
      } else printRoute(ctx, p, fam, r, f);
    }
  }
  if (flush) {
    doomed.forEach((r, i) => talk(() => ctx.t.routes.del(specOf(doomedFamily[i]!, r))));
    return '';
  }
  return p.output();
}

/** The RouteSpec that deletes exactly the listed route (what flush sends back as RTM_DELROUTE). */
export function specOf(family: number, r: RouteInfo): RouteSpec {
  const s: RouteSpec = { dst: r.dst, family: familyOf(family), table: tableOf(r), type: (r.type ?? 'unicast') as RouteType, protocol: protoOf(r), scope: scopeOf(r) };
  if (r.tos !== undefined) s.tos = dsfieldA2n(r.tos)!;
  if (r.metric !== undefined) s.metric = r.metric;
  if (r.prefsrc !== undefined) s.src = r.prefsrc;
  if (r.nexthops?.length) s.nexthops = r.nexthops.map((n) => ({ ...(n.gateway !== undefined ? { via: n.gateway } : {}), dev: n.dev, weight: n.weight, ...(n.flags.includes('onlink') ? { onlink: true } : {}) }));
  else {
    if (r.gateway !== undefined) s.via = r.gateway;
    if (r.dev !== undefined) s.dev = r.dev;
    if (r.flags.includes('onlink')) s.onlink = true;
  }
  return s;
}

function tableOf(r: RouteInfo): number {
  return r.table === undefined ? RT_TABLE_MAIN : tableA2n(r.table) ?? RT_TABLE_MAIN;
}
function protoOf(r: RouteInfo): number {
  return r.protocol === undefined ? RTPROT_BOOT : protoA2n(r.protocol) ?? 0;
}
function scopeOf(r: RouteInfo): number {
  return r.scope === undefined ? RT_SCOPE_UNIVERSE : scopeA2n(r.scope) ?? 0;
}
function typeOf(r: RouteInfo): number {
  return r.type === undefined ? RTN_UNICAST : rtntypeA2n(r.type) ?? 0;
}

/** A route's destination as an inet_prefix (family, address bytes, length). */
function dstPrefix(family: number, dst: string): InetPrefix {
  const hostLen = family === AF_INET6 ? 128 : 32;
  if (dst === 'default') return { family, bytes: new Uint8Array(16), bytelen: 0, bitlen: 0, prefixSpecified: true, any: true };
  const p = getPrefix1(dst.includes('/') ? dst : `${dst}/${hostLen}`, family);
  return p ?? { family, bytes: new Uint8Array(16), bytelen: 0, bitlen: 0, prefixSpecified: true, any: true };
}

/** filter_nlmsg */
function filterRoute(ctx: IpContext, f: RouteFilter, family: number, r: RouteInfo): boolean {
  const table = tableOf(r);
  if (ctx.family !== AF_UNSPEC && family !== ctx.family) return false;
  if (f.tb > 0 && f.tb !== table) return false;
  if ((f.protocol ^ protoOf(r)) & f.protocolmask) return false;
  if ((f.scope ^ scopeOf(r)) & f.scopemask) return false;
  if (f.typemask && !(f.typemask & (1 << typeOf(r)))) return false;
  if ((f.tos ^ (r.tos === undefined ? 0 : dsfieldA2n(r.tos) ?? 0)) & f.tosmask) return false;
  const dst = dstPrefix(family, r.dst);
  if (f.rdst) {
    if (f.rdst.family ? family !== f.rdst.family || f.rdst.bitlen > dst.bitlen : f.rdst.prefixSpecified && f.rdst.bitlen > dst.bitlen) return false;
  }
  if (f.mdst) {
    if (f.mdst.family ? family !== f.mdst.family || (f.mdst.bitlen >= 0 && f.mdst.bitlen < dst.bitlen) : f.mdst.prefixSpecified && f.mdst.bitlen >= 0 && f.mdst.bitlen < dst.bitlen) return false;
  }
  if (f.rvia?.family) {
    const viaFamily = r.gateway !== undefined ? (r.gateway.includes(':') ? AF_INET6 : AF_INET) : family;
    if (viaFamily !== f.rvia.family) return false;
  }
  if (f.rprefsrc?.family && family !== f.rprefsrc.family) return false;
  if (f.rdst && (f.rdst.family || f.rdst.prefixSpecified) && !prefixMatch(dst.bytes, f.rdst.bytes, f.rdst.bitlen)) return false;
  if (f.mdst && (f.mdst.family || f.mdst.prefixSpecified) && !prefixMatch(dst.bytes, f.mdst.bytes, dst.bitlen)) return false;
  if (f.rvia?.family) {
    const gw = r.gateway !== undefined ? getPrefix1(r.gateway, AF_UNSPEC)?.bytes : undefined;
    if (!prefixMatch(f.rvia.bitlen > 0 ? gw ?? new Uint8Array(16) : new Uint8Array(16), f.rvia.bytes, f.rvia.bitlen)) return false;
  }
  if (f.rprefsrc?.family) {
    const ps = r.prefsrc !== undefined ? getPrefix1(r.prefsrc, AF_UNSPEC)?.bytes : undefined;
    if (!prefixMatch(f.rprefsrc.bitlen > 0 ? ps ?? new Uint8Array(16) : new Uint8Array(16), f.rprefsrc.bytes, f.rprefsrc.bitlen)) return false;
  }
  // FIB routes carry no RTA_SRC (source prefix 0/0), no RTA_IIF and no RTA_MARK
  if (f.rsrc && ((f.rsrc.family && family !== f.rsrc.family) || f.rsrc.bitlen > 0)) return false;
  if (f.msrc && f.msrc.family && family !== f.msrc.family) return false;
  if (f.iif !== undefined || f.mark !== 0) return false;
  if (f.oif !== undefined && r.dev !== f.oif) return false;
  if (f.metricmask && (r.metric ?? 0) !== f.metric) return false;
  return true;
}

/** What an `ip route get` answer carries beyond the route: the query's source, uid and input device. */
interface GetExtras {
  /** RTM_F_CLONED (IPv4 answers): no proto/scope, "uid N" and the "cache" line. */
  cloned: boolean;
  from?: string;
  uid?: number;
  iif?: string;
  mark?: number;
}

/** print_route: one route, text or JSON. */
export function printRoute(ctx: IpContext, p: Printer, family: number, r: RouteInfo, f: RouteFilter = { ...newFilter(), tb: 0 }, get: GetExtras = { cloned: false }): void {
  const hostLen = family === AF_INET6 ? 128 : 32;
  const type = typeOf(r);
  const cloned = get.cloned;
  // RouteInfo's optional extras; every IPv6 route carries RTA_PREF, and wxdp's are all "medium" (no RA preference)
  const extra = { ...(r as RouteInfo & { pref?: string; mtuLock?: boolean; cache?: string[]; expires?: number }), ...get };
  const pref = extra.pref ?? (family === AF_INET6 ? 'medium' : undefined);
  p.obj();
  if ((type !== RTN_UNICAST || ctx.details > 0) && (!f.typemask || f.typemask & (1 << type))) p.any('type', rtntypeN2a(type), `${rtntypeN2a(type)} `);
  const dst = dstPrefix(family, r.dst);
  const dstText = r.dst === 'default' ? 'default' : dst.bitlen !== hostLen ? `${addrText(family, dst.bytes)}/${dst.bitlen}` : addrText(family, dst.bytes);
  p.any('dst', dstText, `${dstText} `);
  if (extra.from !== undefined) p.any('from', extra.from, `from ${extra.from} `);
  if (r.tos !== undefined && r.tos !== '0' && dsfieldA2n(r.tos) !== 0 && f.tosmask !== -1) {
    const tos = dsfieldN2a(dsfieldA2n(r.tos) ?? 0);
    p.any('tos', tos, `tos ${tos} `);
  }
  if (r.gateway !== undefined && !r.nexthops?.length && !(f.rvia && f.rvia.bitlen === hostLen)) printGateway(p, family, r.gateway);
  if (r.dev !== undefined && f.oif === undefined) {
    p.js('dev', r.dev);
    p.fp(`dev ${r.dev} `);
  }
  const table = tableOf(r);
  if (table && (table !== RT_TABLE_MAIN || ctx.details > 0) && !f.tb) p.any('table', tableN2a(table), `table ${tableN2a(table)} `);
  if (!cloned) {
    const proto = protoOf(r);
    if ((proto !== RTPROT_BOOT || ctx.details > 0) && f.protocolmask !== -1) p.any('protocol', protoN2a(proto), `proto ${protoN2a(proto)} `);
    const scope = scopeOf(r);
    if ((scope !== RT_SCOPE_UNIVERSE || ctx.details > 0) && f.scopemask !== -1) p.any('scope', scopeN2a(scope), `scope ${scopeN2a(scope)} `);
  }
  // an answer to `get … from A` carries RTA_SRC, not the selected source (rt_fill_info puts RTA_PREFSRC only when none was asked)
  if (r.prefsrc !== undefined && !(f.rprefsrc && f.rprefsrc.bitlen === hostLen) && !(cloned && get.from !== undefined)) {
    p.js('prefsrc', r.prefsrc);
    p.fp(`src ${r.prefsrc} `);
  }
  if (r.metric !== undefined && !f.metricmask) p.any('metric', r.metric, `metric ${r.metric} `);
  printFlags(p, r.flags);
  if (get.mark) {
    p.js('mark', get.mark);
    p.fp(get.mark >= 16 ? `mark 0x${get.mark.toString(16)} ` : `mark ${get.mark} `);
  }
  if (extra.uid !== undefined) p.any('uid', extra.uid, `uid ${extra.uid} `);
  if (cloned && family === AF_INET) {
    const cache = extra.cache ?? (type === 2 ? ['local'] : type === 3 ? ['local', 'brd'] : type === 5 ? ['mc'] : []);
    p.arr('cache', '\n    cache ');
    if (cache.length) {
      p.fp('<');
      cache.forEach((c, i) => p.any(null, c, `${c}${i < cache.length - 1 ? ',' : '> '}`));
    }
    p.end();
  }
  if (extra.expires !== undefined) p.any('expires', extra.expires, `expires ${extra.expires}sec `);
  if (r.mtu !== undefined || r.metrics || r.locks) {
    // print_rta_metrics: RTAX_MTU, then the others in RTAX order; rtt, rttvar and rto_min in ms
    p.arr('metrics');
    p.obj();
    if (r.mtu !== undefined) {
      p.fp(`mtu ${extra.mtuLock ? 'lock ' : ''}`);
      p.any('mtu', r.mtu, `${r.mtu} `);
    }
    for (const name of Object.keys(ROUTE_METRICS) as RouteMetric[]) {
      const locked = r.locks?.includes(name) ?? false;
      let v = r.metrics?.[name];
      if (v === undefined && !locked) continue;
      v ??= 0;
      p.fp(`${name} ${locked ? 'lock ' : ''}`);
      if (name === 'rtt' || name === 'rttvar' || name === 'rto_min') {
        if (name === 'rtt') v = Math.floor(v / 8);
        else if (name === 'rttvar') v = Math.floor(v / 4);
        p.js(name, v);
        p.fp(v >= 1000 ? `${fmtG(v / 1e3)}s ` : `${v}ms `);
      } else p.any(name, v, `${v} `);
    }
    p.end();
    p.end();
  }
  if (extra.iif !== undefined) {
    p.js('iif', extra.iif);
    p.fp(`iif ${extra.iif} `);
  }
  if (pref !== undefined) p.any('pref', pref, `pref ${pref}`);
  if (r.nexthops?.length) {
    p.arr('nexthops');
    for (const nh of r.nexthops) {
      p.obj();
      p.fp('\n\tnexthop ');
      if (nh.gateway !== undefined) printGateway(p, family, nh.gateway);
      p.any('dev', nh.dev, `dev ${nh.dev} `);
      p.any('weight', nh.weight, `weight ${nh.weight} `);
      printFlags(p, nh.flags);
      p.end();
    }
    p.end();
  }
  p.fp('\n');
  p.end();
}

/** print_rta_gateway / print_rta_via (a gateway of the other family is an RTA_VIA). */
function printGateway(p: Printer, family: number, gw: string): void {
  const gwFamily = gw.includes(':') ? AF_INET6 : AF_INET;
  if (gwFamily === family) {
    p.js('gateway', gw);
    p.fp(`via ${gw} `);
    return;
  }
  const fam = gwFamily === AF_INET6 ? 'inet6' : 'inet';
  p.obj('via');
  p.js('family', fam);
  p.js('host', gw);
  p.end();
  p.fp(`via ${fam} ${gw} `);
}

/** print_rt_flags */
function printFlags(p: Printer, flags: readonly string[]): void {
  p.arr('flags');
  for (const fl of flags) p.any(null, fl, `${fl} `);
  p.end();
}

/** iproute_get */
function get(ctx: IpContext, a: Argv): string {
  let family = ctx.family;
  let dst: InetPrefix | undefined;
  let fromOk = false;
  let connected = false;
  let fibmatch = false;
  const q: { from?: string; iif?: string; oif?: string; mark?: number; tos?: number; ipproto?: number; sport?: number; dport?: number; uid?: number } = {};
  for (; a.argc > 0; a.fwd()) {
    const w = a.arg;
    if (w === 'tos' || matches(w, 'dsfield')) {
      a.next();
      const tos = dsfieldA2n(a.arg);
      if (tos === undefined) throw invarg('TOS value is invalid\n', a.arg);
      q.tos = tos;
    } else if (matches(w, 'from')) {
      a.next();
      if (matches(a.arg, 'help')) usage();
      fromOk = true;
      const p = getPrefix(a.arg, family);
      if (family === AF_UNSPEC) family = p.family;
      q.from = addrText(p.family, p.bytes);
    } else if (matches(w, 'iif')) {
      q.iif = a.next();
    } else if (matches(w, 'mark')) {
      a.next();
      const m = getUnsigned(a.arg, 0);
      if (m === undefined) throw invarg('invalid mark value', a.arg);
      q.mark = m;
    } else if (matches(w, 'oif') || w === 'dev') {
      q.oif = a.next();
    } else if (matches(w, 'notify')) {
      // RTM_F_NOTIFY: only adds "notify" to the flags the kernel echoes; wxdp has no notifications
    } else if (matches(w, 'connected')) {
      connected = true;
    } else if (matches(w, 'vrf')) {
      a.next();
      throw invarg('Invalid VRF\n', a.arg);
    } else if (matches(w, 'uid')) {
      a.next();
      const uid = getUnsigned(a.arg, 0);
      if (uid === undefined) throw invarg('invalid UID\n', a.arg);
      q.uid = uid;
    } else if (matches(w, 'fibmatch')) {
      fibmatch = true;
    } else if (w === 'as') {
      a.next();
      if (a.arg === 'to') a.next();
      const addr = getAddr(a.arg, family);
      if (family === AF_UNSPEC) family = addr.family;
      throw unsupported('as', 'route get');
    } else if (matches(w, 'sport')) {
      a.next();
      const v = getU16(a.arg, 0);
      if (v === undefined) throw invarg('invalid sport\n', a.arg);
      q.sport = v;
    } else if (matches(w, 'dport')) {
      a.next();
      const v = getU16(a.arg, 0);
      if (v === undefined) throw invarg('invalid dport\n', a.arg);
      q.dport = v;
    } else if (matches(w, 'ipproto')) {
      a.next();
      const v = inetProtoA2n(a.arg);
      if (v === undefined) throw invarg('Invalid "ipproto" value\n', a.arg);
      q.ipproto = v;
    } else {
      if (w === 'to') a.next();
      if (matches(a.arg, 'help')) usage();
      const p = getPrefix(a.arg, family);
      if (family === AF_UNSPEC) family = p.family;
      if (family === AF_INET && p.bitlen !== 32) ctx.warnings.push(`Warning: /${p.bitlen} as prefix is invalid, only /32 (or none) is supported.\n`);
      else if (family === AF_INET6 && p.bitlen !== 128) ctx.warnings.push(`Warning: /${p.bitlen} as prefix is invalid, only /128 (or none) is supported.\n`);
      dst = p;
    }
  }
  if (!dst) throw failed('need at least a destination address\n');
  if (q.iif !== undefined && !ifindexOf(ctx, q.iif)) throw nodev(q.iif);
  if (q.oif !== undefined && !ifindexOf(ctx, q.oif)) throw nodev(q.oif);
  if (family === AF_UNSPEC) family = AF_INET;
  if (connected && !fromOk) throw unsupported('connected', 'route get');
  const fam = family;
  const query = { family: familyOf(fam), to: addrText(dst.family === AF_UNSPEC ? fam : dst.family, dst.bytes), ...q, ...(fibmatch ? { fibmatch: true } : {}) };
  const answer = talk(() => ctx.t.routes.get(query));
  const p = new Printer(ctx.json);
  // fibmatch: the FIB route, printed as a dump prints it (IPv6's with the query's iif); else IPv4 answers are RTM_F_CLONED dst
  // entries (uid, cache line), IPv6 ones the fib6 route with RTA_SRC ("from ::")
  const extras: GetExtras = fibmatch
    ? { cloned: false, ...(answer.iif !== undefined ? { iif: answer.iif } : {}) }
    : { cloned: fam === AF_INET, uid: answer.uid, from: answer.from, iif: answer.iif, mark: answer.mark };
  printRoute(ctx, p, fam, answer, { ...newFilter(), tb: 0 }, extras);
  return p.output();
}
