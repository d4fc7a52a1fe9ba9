// `ip address` (iproute2 ip/ipaddress.c): add, change, replace, delete → an AddrSpec for dp.addresses
// (with `ip`'s own work done first: `brd +`/`brd -` computed from the prefix, scope host for 127/8,
// the IPv4 wildcard delete of an address written without a length); show and flush with the
// selectors of ipaddr_list_flush_or_save, printed as print_linkinfo + print_addrinfo print them.

import type { AddrSpec } from '../net_types.js';
import { AF_INET, AF_INET6, AF_UNSPEC, familyOf, ifindexOf, talk, unsupported, type IpContext } from './context.js';
import { linkMatches, printLinkinfo, type LinkFilter } from './link.js';
import { scopeA2n, scopeN2a } from './names.js';
import { Printer } from './printer.js';
import { addrText, AF_PACKET, Argv, duparg, duparg2, failed, fatal, getAddr, getInteger, getPrefix, getU32, invarg, IpError, matches, nodev, type InetPrefix } from './syntax.js';
import type { AddrEntry } from './tables.js';

export const ADDR_USAGE = `Usage: ip address {add|change|replace} IFADDR dev IFNAME [ LIFETIME ]
                                                      [ CONFFLAG-LIST ]
       ip address del IFADDR dev IFNAME
       ip address flush [ dev IFNAME ] [ scope SCOPE-ID ]
                            [ to PREFIX ] [ FLAG-LIST ] [ label LABEL ] [up]
       ip address [ show [ dev IFNAME ] [ scope SCOPE-ID ]
                         [ to PREFIX ] [ FLAG-LIST ] [ label LABEL ] [up] ]
IFADDR := PREFIX | ADDR peer PREFIX
          [ broadcast ADDR ]
          [ label IFNAME ] [ scope SCOPE-ID ]
SCOPE-ID := [ host | link | global | NUMBER ]
FLAG-LIST := [ FLAG-LIST ] FLAG
FLAG  := [ permanent | dynamic | secondary | primary |
           [-]tentative | [-]deprecated | [-]dadfailed | temporary |
           CONFFLAG-LIST ]
CONFFLAG-LIST := [ CONFFLAG-LIST ] CONFFLAG
CONFFLAG  := [ nodad | noprefixroute ]
LIFETIME := [ valid_lft LFT ] [ preferred_lft LFT ]
LFT := forever | SECONDS
`;

function usage(): never {
  throw fatal(ADDR_USAGE);
}

const INFINITY = 0xffffffff;

/** ifa_flag_data: name, IFA_F_* mask, read-only from user space, IPv6 only. */
const FLAGS: ReadonlyArray<readonly [string, number, boolean, boolean]> = [
  ['secondary', 0x01, true, false], ['temporary', 0x01, true, false], ['nodad', 0x02, false, true], ['optimistic', 0x04, false, true],
  ['dadfailed', 0x08, true, true], ['home', 0x10, false, true], ['deprecated', 0x20, true, true], ['tentative', 0x40, true, true],
  ['permanent', 0x80, true, true], ['mngtmpaddr', 0x100, false, true], ['noprefixroute', 0x200, false, false], ['autojoin', 0x400, false, false],
  ['stable-privacy', 0x800, true, true],
];

/** do_ipaddr */
export function doIpaddr(ctx: IpContext, a: Argv): string {
  if (a.argc < 1) return listOrFlush(ctx, a, false);
  const w = a.arg;
  a.fwd();
  if (matches(w, 'add')) return modify(ctx, a, 'add');
  if (matches(w, 'change') || w === 'chg') return modify(ctx, a, 'change');
  if (matches(w, 'replace')) return modify(ctx, a, 'replace');
  if (matches(w, 'delete')) return modify(ctx, a, 'delete');
  if (matches(w, 'list') || matches(w, 'show') || matches(w, 'lst')) return listOrFlush(ctx, a, false);
  if (matches(w, 'flush')) return listOrFlush(ctx, a, true);
  if (matches(w, 'save') || matches(w, 'showdump') || matches(w, 'restore')) throw unsupported(`address ${w}`, 'address');
  if (matches(w, 'help')) usage();
  throw fatal(`Command "${w}" is unknown, try "ip address help".\n`);
}

function setLifetime(arg: string): number | undefined {
  return arg === 'forever' ? INFINITY : getU32(arg, 0);
}

/** ipaddr_modify */
function modify(ctx: IpContext, a: Argv, cmd: 'add' | 'change' | 'replace' | 'delete'): string {
  const del = cmd === 'delete';
  let family = ctx.family;
  let dev: string | undefined;
  let label: string | undefined;
  let lcl: InetPrefix | undefined;
  let lclArg = '';
  let peer: InetPrefix | undefined;
  let prefixlen = 0;
  let brd: InetPrefix | '+' | '-' | undefined;
  let scope: number | undefined;
  let valid: number | undefined;
  let preferred: number | undefined;
  let validGiven = false;
  let preferredGiven = false;
  let flags = 0;
  const todo: string[] = [];
  for (; a.argc > 0; a.fwd()) {
    const w = a.arg;
    if (w === 'peer' || w === 'remote') {
      a.next();
      if (peer) throw duparg('peer', a.arg);
      peer = getPrefix(a.arg, family);
      if (family === AF_UNSPEC) family = peer.family;
      prefixlen = peer.bitlen;
    } else if (matches(w, 'broadcast') || w === 'brd') {
      a.next();
      if (brd !== undefined) throw duparg('broadcast', a.arg);
      if (a.arg === '+' || a.arg === '-') brd = a.arg;
      else {
        brd = getAddr(a.arg, family);
        if (family === AF_UNSPEC) family = brd.family;
      }
    } else if (w === 'anycast') {
      a.next();
      const any = getAddr(a.arg, family);
      if (family === AF_UNSPEC) family = any.family;
      todo.push('anycast');
    } else if (w === 'scope') {
      a.next();
      const s = scopeA2n(a.arg);
      if (s === undefined) throw invarg('invalid scope value.', a.arg);
      scope = s;
    } else if (w === 'dev') {
      dev = a.next();
    } else if (w === 'label') {
      label = a.next();
    } else if (matches(w, 'metric') || matches(w, 'priority') || matches(w, 'preference')) {
      a.next();
      if (getU32(a.arg, 0) === undefined) throw invarg('"metric" value is invalid\n', a.arg);
      todo.push('metric');
    } else if (matches(w, 'valid_lft')) {
      if (validGiven) throw duparg('valid_lft', a.arg);
      a.next();
      validGiven = true;
      valid = setLifetime(a.arg);
      if (valid === undefined) throw invarg('valid_lft value', a.arg);
    } else if (matches(w, 'preferred_lft')) {
      if (preferredGiven) throw duparg('preferred_lft', a.arg);
      a.next();
      preferredGiven = true;
      preferred = setLifetime(a.arg);
      if (preferred === undefined) throw invarg('preferred_lft value', a.arg);
    } else if (FLAGS.some(([n]) => n === w)) {
      const [name, mask, readonly, v6only] = FLAGS.find(([n]) => n === w)!;
      if (readonly) ctx.warnings.push(`Warning: ${name} option is not mutable from userspace\n`);
      else if (v6only && family !== AF_INET6) ctx.warnings.push(`Warning: ${name} option can be set only for IPv6 addresses\n`);
      else flags |= mask;
    } else {
      if (w === 'local') a.next();
      if (matches(a.arg, 'help')) usage();
      if (lcl) throw duparg2('local', a.arg);
      lclArg = a.arg;
      lcl = getPrefix(a.arg, family);
      if (family === AF_UNSPEC) family = lcl.family;
    }
  }
  if (dev === undefined) throw failed('Not enough information: "dev" argument is required.\n');
  let wildcard = false;
  if (!peer && lcl) {
    if (del && lcl.family === AF_INET && !lcl.prefixSpecified) {
      wildcard = true;
      ctx.warnings.push(
        'Warning: Executing wildcard deletion to stay compatible with old scripts.\n' +
          `         Explicitly specify the prefix length (${lclArg}/${lcl.bytelen * 8}) to avoid this warning.\n` +
          '         This special behaviour is likely to disappear in further releases,\n' +
          '         fix your scripts!\n',
      );
    } else peer = lcl;
  }
  if (prefixlen === 0) prefixlen = lcl?.bitlen ?? 0;
  let broadcast: string | undefined;
  if ((brd === '+' || brd === '-') && !del) {
    if (family !== AF_INET) throw failed('Broadcast can be set only for IPv4 addresses\n');
    if (peer && peer.bitlen <= 30) {
      const v = (peer.bytes[0]! << 24) | (peer.bytes[1]! << 16) | (peer.bytes[2]! << 8) | peer.bytes[3]!;
      const host = peer.bitlen === 0 ? 0xffffffff : (1 << (32 - peer.bitlen)) - 1;
      const b = (brd === '+' ? v | host : v & ~host) >>> 0;
      broadcast = `${b >>> 24}.${(b >>> 16) & 255}.${(b >>> 8) & 255}.${b & 255}`;
    }
  } else if (brd !== undefined && brd !== '+' && brd !== '-') broadcast = addrText(brd.family, brd.bytes);
  if (scope === undefined && !del) scope = lcl && lcl.family === AF_INET && lcl.bytes[0] === 127 ? 254 : 0;
  if (!ifindexOf(ctx, dev)) throw nodev(dev);
  if (validGiven || preferredGiven) {
    const v = valid ?? INFINITY;
    const pr = preferred ?? INFINITY;
    if (!v) throw failed('valid_lft is zero\n');
    if (v < pr) throw failed('preferred_lft is greater than valid_lft\n');
  }
  if (flags & 0x400) throw failed('autojoin needs multicast address\n');
  const other = FLAGS.filter(([n, m]) => flags & m && n !== 'nodad' && n !== 'noprefixroute');
  if (other.length) todo.push(other[0]![0]);
  if (todo.length) throw unsupported(todo[0]!, 'address');
  if (!lcl) return noLocal(ctx, del, family, dev, label);
  const spec: AddrSpec = { local: wildcard ? addrText(lcl.family, lcl.bytes) : `${addrText(lcl.family, lcl.bytes)}/${prefixlen}`, dev };
  if (peer && peer !== lcl) spec.peer = `${addrText(peer.family, peer.bytes)}/${peer.bitlen}`;
  if (broadcast !== undefined) spec.broadcast = broadcast;
  if (scope !== undefined) spec.scope = scope;
  if (label !== undefined) spec.label = label;
  if (flags & 0x200) spec.noprefixroute = true;
  if (flags & 0x02) spec.nodad = true;
  if (valid !== undefined && valid !== INFINITY) spec.validLft = valid;
  if (preferred !== undefined && preferred !== INFINITY) spec.preferredLft = preferred;
  talk(() => (del ? ctx.t.addresses.del(spec) : ctx.t.addresses.add(spec, cmd === 'replace' ? { replace: true } : cmd === 'change' ? { change: true } : {})));
  return '';
}

/**
 * A request without IFA_LOCAL, answered as the kernel answers it: AF_UNSPEC has no handler
 * (EOPNOTSUPP); IPv4 add wants a local address, IPv4 delete removes the link's first address (with the
 * label, when one was given); IPv6 wants an address either way (EINVAL).
 */
function noLocal(ctx: IpContext, del: boolean, family: number, dev: string, label: string | undefined): string {
  const err = (text: string, errno: 'EOPNOTSUPP' | 'EINVAL' | 'EADDRNOTAVAIL'): IpError => new IpError(text, { status: 2, fatal: false, errno });
  if (family === AF_UNSPEC) throw err('RTNETLINK answers: Operation not supported\n', 'EOPNOTSUPP');
  if (family === AF_INET6 || !del) throw family === AF_INET6 ? err('RTNETLINK answers: Invalid argument\n', 'EINVAL') : err('Error: ipv4: Local address is not supplied.\n', 'EINVAL');
  const first = talk(() => ctx.t.addresses.list()).find((e) => e.dev === dev && e.family === 'inet' && (label === undefined || e.label === label));
  if (!first) throw err('Error: ipv4: Address not found.\n', 'EADDRNOTAVAIL');
  talk(() => ctx.t.addresses.del(addrSpecOf(first)));
  return '';
}

interface AddrFilter extends LinkFilter {
  family: number;
  pfx?: InetPrefix;
  scope: number;
  scopemask: number;
  flags: number;
  flagmask: number;
  label?: string;
}

/** The IFA_F_* bits of a listed address, as the kernel reports them. */
function ifaFlags(e: AddrEntry): number {
  const x = e as AddrEntry & Record<string, unknown>;
  let f = 0;
  if (e.secondary || x['temporary']) f |= 0x01;
  if (x['nodad']) f |= 0x02;
  if (x['optimistic']) f |= 0x04;
  if (x['dadfailed']) f |= 0x08;
  if (x['home']) f |= 0x10;
  if (x['deprecated']) f |= 0x20;
  if (x['tentative']) f |= 0x40;
  if (e.valid_life_time === INFINITY) f |= 0x80;
  if (x['mngtmpaddr']) f |= 0x100;
  if (e.noprefixroute) f |= 0x200;
  if (x['autojoin']) f |= 0x400;
  if (x['stable-privacy']) f |= 0x800;
  return f;
}

/** get_filter: a FLAG word of the show/flush syntax (with -FLAG, dynamic and primary). */
function flagFilter(f: AddrFilter, arg: string): boolean {
  let inv = false;
  if (arg[0] === '-') {
    inv = true;
    arg = arg.slice(1);
  }
  if (arg === 'dynamic') {
    inv = !inv;
    arg = 'permanent';
  } else if (arg === 'primary') {
    inv = !inv;
    arg = 'secondary';
  }
  const d = FLAGS.find(([n]) => n === arg);
  if (!d) return false;
  if (inv) f.flags &= ~d[1];
  else f.flags |= d[1];
  f.flagmask |= d[1];
  return true;
}

/** fnmatch(pattern, label, 0) for the shell patterns `label` takes (*, ?, [..]). */
function fnmatch(pattern: string, s: string): boolean {
  const re = pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.').replace(/\[!/g, '[^');
  return new RegExp(`^${re}$`).test(s);
}

function addrFamily(e: AddrEntry): number {
  return e.family === 'inet6' ? AF_INET6 : AF_INET;
}

/** print_addrinfo's filters beyond the family. */
function addrMatches(f: AddrFilter, e: AddrEntry): boolean {
  if ((f.scope ^ (scopeA2n(e.scope) ?? 0)) & f.scopemask) return false;
  if ((f.flags ^ ifaFlags(e)) & f.flagmask) return false;
  if (f.family && f.family !== AF_PACKET && f.family !== addrFamily(e)) return false;
  if (f.label !== undefined && !fnmatch(f.label, e.label ?? e.dev)) return false;
  if (f.pfx && f.pfx.family) {
    const local = getAddr(e.local, addrFamily(e));
    if (local.family !== f.pfx.family) return false;
    for (let i = 0; i < f.pfx.bitlen; i++) {
      const m = 0x80 >> (i & 7);
      if ((local.bytes[i >> 3]! & m) !== (f.pfx.bytes[i >> 3]! & m)) return false;
    }
  }
  return true;
}

/** ipaddr_list_flush_or_save (list and flush) */
function listOrFlush(ctx: IpContext, a: Argv, flush: boolean): string {
  const f: AddrFilter = { up: false, family: ctx.family, scope: 0, scopemask: 0, flags: 0, flagmask: 0 };
  if (flush && a.argc <= 0) throw failed('Flush requires arguments.\n');
  let noneMatch = false;
  for (; a.argc > 0; a.fwd()) {
    const w = a.arg;
    if (w === 'to') {
      a.next();
      const p = getPrefix(a.arg, f.family);
      f.pfx = p;
      if (f.family === AF_UNSPEC) f.family = p.family;
    } else if (w === 'scope') {
      a.next();
      f.scopemask = -1;
      const s = scopeA2n(a.arg);
      if (s === undefined) {
        if (a.arg !== 'all') throw invarg('invalid "scope"\n', a.arg);
        f.scope = 255;
        f.scopemask = 0;
      } else f.scope = s;
    } else if (w === 'up') {
      f.up = true;
    } else if (flagFilter(f, w)) {
      // a FLAG word
    } else if (w === 'label') {
      f.label = a.next();
    } else if (w === 'group') {
      a.next();
      if (a.arg !== 'default' && getInteger(a.arg, 0) === undefined) throw invarg('Invalid "group" value\n', a.arg);
      if (a.arg !== 'default' && getInteger(a.arg, 0) !== 0) noneMatch = true;
    } else if (w === 'master' || w === 'vrf') {
      a.next();
      throw invarg(w === 'master' ? 'Device does not exist\n' : 'Not a valid VRF name\n', a.arg);
    } else if (w === 'nomaster') {
      // no wxdp link has a master
    } else if (w === 'type') {
      f.kind = a.next();
    } else {
      if (w === 'dev') a.next();
      else if (matches(w, 'help')) usage();
      if (f.dev !== undefined) throw duparg2('dev', a.arg);
      f.dev = a.arg;
    }
  }
  if (f.dev !== undefined && !ifindexOf(ctx, f.dev)) throw failed(`Device "${f.dev}" does not exist.\n`);
  const entries = talk(() => ctx.t.addresses.list());
  if (flush) {
    for (const e of entries) {
      if (f.dev !== undefined && e.dev !== f.dev) continue;
      if (!addrMatches(f, e)) continue;
      try {
        talk(() => ctx.t.addresses.del(addrSpecOf(e)));
      } catch (err) {
        // a secondary goes with its primary (promote_secondaries off), before its own delete arrives
        if (!(err instanceof Error && 'errno' in err && (err as { errno?: string }).errno === 'EADDRNOTAVAIL')) throw err;
      }
    }
    return '';
  }
  const links = noneMatch ? [] : talk(() => ctx.t.links.list());
  const p = new Printer(ctx.json);
  for (const l of links) {
    if (!linkMatches(f, l)) continue;
    const mine = entries.filter((e) => e.dev === l.ifname);
    // ipaddr_filter: a link stays if one of its addresses passes, or it has none and no family was asked
    const ok = mine.some((e) => (!f.family || f.family === addrFamily(e)) && addrMatches(f, e)) || (mine.length === 0 && (f.family === AF_UNSPEC || f.family === AF_PACKET));
    if (!ok) continue;
    p.obj();
    printLinkinfo(ctx, p, l, links, { doLink: false, family: f.family === AF_UNSPEC ? 'any' : f.family === AF_INET6 ? 'inet6' : 'inet' });
    p.arr('addr_info');
    for (const e of mine) {
      if (f.family && f.family !== addrFamily(e)) continue;
      if (f.up && !l.flags.includes('UP')) continue;
      if (!addrMatches(f, e)) continue;
      p.obj();
      printAddrinfo(p, e);
      p.end();
    }
    p.end();
    p.end();
  }
  return p.output();
}

/** The AddrSpec that deletes exactly the listed address. */
function addrSpecOf(e: AddrEntry): AddrSpec {
  const s: AddrSpec = { local: `${e.local}/${e.prefixlen}`, dev: e.dev };
  if (e.address !== undefined && e.address !== e.local) s.peer = `${e.address}/${e.prefixlen}`;
  return s;
}

/** print_addrinfo (not brief, not oneline) */
export function printAddrinfo(p: Printer, e: AddrEntry): void {
  const fam = familyOf(addrFamily(e));
  p.any('family', fam, `    ${fam} `);
  p.any('local', e.local, e.local);
  if (e.address !== undefined && e.address !== e.local) {
    p.fp(' peer ');
    p.any('address', e.address, e.address);
  }
  p.any('prefixlen', e.prefixlen, `/${e.prefixlen} `);
  const metric = (e as AddrEntry & { metric?: number }).metric;
  if (metric !== undefined) p.any('metric', metric, `metric ${metric} `);
  if (e.broadcast !== undefined) {
    p.fp('brd ');
    p.any('broadcast', e.broadcast, `${e.broadcast} `);
  }
  const scope = scopeN2a(scopeA2n(e.scope) ?? 0);
  p.any('scope', scope, `scope ${scope} `);
  const flags = ifaFlags(e);
  let rest = flags;
  for (const [name, mask] of FLAGS) {
    if (mask === 0x80) {
      if (!(rest & mask)) p.any('dynamic', true, 'dynamic ');
    } else if (rest & mask) {
      if (mask === 0x01 && fam === 'inet6') p.any('temporary', true, 'temporary ');
      else p.any(name, true, `${name} `);
    }
    rest &= ~mask;
  }
  if (e.label !== undefined) p.any('label', e.label, e.label);
  p.nl();
  p.fp('       valid_lft ');
  if (e.valid_life_time === INFINITY) {
    p.js('valid_life_time', INFINITY);
    p.fp('forever');
  } else p.any('valid_life_time', e.valid_life_time, `${e.valid_life_time}sec`);
  p.fp(' preferred_lft ');
  if (e.preferred_life_time === INFINITY) {
    p.js('preferred_life_time', INFINITY);
    p.fp('forever');
  } else p.any('preferred_life_time', e.preferred_life_time, `${e.preferred_life_time}sec`);
  p.fp('\n');
}

