// What `ip link show`, `ip address show` and `ip address flush` share (iproute2 ip/ipaddress.c:
// ipaddr_list_flush_or_save, print_linkinfo, print_addrinfo): one set of selectors, links printed
// as print_linkinfo prints them and their addresses as print_addrinfo does.

import type { AddrSpec, LinkInfo } from '../net_types.js';
import { AF_INET, AF_INET6, AF_UNSPEC, familyOf, ifindexOf, talk, type IpContext } from './context.js';
import { scopeA2n, scopeN2a } from './names.js';
import { Printer } from './printer.js';
import { AF_PACKET, Argv, duparg2, failed, getAddr, getInteger, getPrefix, invarg, IpError, matches, prefixMatch, type InetPrefix } from './syntax.js';
import type { AddrEntry } from './tables.js';

export const INFINITY = 0xffffffff;

/** ifa_flag_data: name, IFA_F_* mask, read-only from user space, IPv6 only. */
export const FLAGS: ReadonlyArray<readonly [string, number, boolean, boolean]> = [
  ['secondary', 0x01, true, false], ['temporary', 0x01, true, false], ['nodad', 0x02, false, true], ['optimistic', 0x04, false, true],
  ['dadfailed', 0x08, true, true], ['home', 0x10, false, true], ['deprecated', 0x20, true, true], ['tentative', 0x40, true, true],
  ['permanent', 0x80, true, true], ['mngtmpaddr', 0x100, false, true], ['noprefixroute', 0x200, false, false], ['autojoin', 0x400, false, false],
  ['stable-privacy', 0x800, true, true],
];

/** The selectors of ipaddr_list_flush_or_save (link show, address show and flush). */
interface ShowFilter {
  dev?: string;
  up: boolean;
  kind?: string;
  /** group N ≠ 0, or master DEV: no wxdp link is in another group or has a master */
  none: boolean;
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
  if (e.valid_life_time === INFINITY && !x['dynamic']) f |= 0x80;
  if (x['mngtmpaddr']) f |= 0x100;
  if (e.noprefixroute) f |= 0x200;
  if (x['autojoin']) f |= 0x400;
  if (x['stable-privacy']) f |= 0x800;
  return f;
}

/** get_filter: a FLAG word of the show/flush syntax (with -FLAG, dynamic and primary). */
function flagFilter(f: ShowFilter, arg: string): boolean {
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
function addrMatches(f: ShowFilter, e: AddrEntry): boolean {
  if ((f.scope ^ (scopeA2n(e.scope) ?? 0)) & f.scopemask) return false;
  if ((f.flags ^ ifaFlags(e)) & f.flagmask) return false;
  if (f.family && f.family !== addrFamily(e)) return false;
  if (f.label !== undefined && !fnmatch(f.label, e.label ?? e.dev)) return false;
  if (f.pfx && f.pfx.family) {
    const local = getAddr(e.local, addrFamily(e));
    if (local.family !== f.pfx.family || !prefixMatch(local.bytes, f.pfx.bytes, f.pfx.bitlen)) return false;
  }
  return true;
}

/**
 * ipaddr_list_flush_or_save: `ip link show` (mode 'link': no addresses, the link mode shown),
 * `ip address show` and `ip address flush`, with one set of selectors.
 */
export function ipaddrList(ctx: IpContext, a: Argv, mode: 'link' | 'show' | 'flush', usage: () => never): string {
  const f: ShowFilter = { up: false, none: false, family: mode === 'link' ? AF_PACKET : ctx.family, scope: 0, scopemask: 0, flags: 0, flagmask: 0 };
  if (mode === 'flush' && a.argc <= 0) throw failed('Flush requires arguments.\n');
  for (; a.argc > 0; a.fwd()) {
    const w = a.arg;
    if (w === 'to') {
      a.next();
      f.pfx = getPrefix(a.arg, f.family);
      if (f.family === AF_UNSPEC) f.family = f.pfx.family;
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
      const g = a.arg === 'default' ? 0 : getInteger(a.arg, 0);
      if (g === undefined || g < 0) throw invarg('Invalid "group" value\n', a.arg);
      if (g !== 0) f.none = true;
    } else if (w === 'master' || w === 'vrf') {
      a.next();
      if (w === 'vrf' || !ifindexOf(ctx, a.arg)) throw invarg(w === 'master' ? 'Device does not exist\n' : 'Not a valid VRF name\n', a.arg);
      f.none = true;
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
  const entries = mode === 'link' ? [] : talk(() => ctx.t.addresses.list());
  if (mode === 'flush') {
    for (const e of entries) {
      if ((f.dev !== undefined && e.dev !== f.dev) || !addrMatches(f, e)) continue;
      try {
        talk(() => ctx.t.addresses.del(addrSpecOf(e)));
      } catch (err) {
        // a secondary goes with its primary (promote_secondaries off), before its own delete arrives
        if (!(err instanceof IpError && err.errno === 'EADDRNOTAVAIL')) throw err;
      }
    }
    return '';
  }
  const links = f.none ? [] : talk(() => ctx.t.links.list());
  const p = new Printer(ctx.json);
  for (const l of links) {
    if (!linkMatches(f, l)) continue;
    if (mode === 'link') {
      p.obj();
      printLinkinfo(ctx, p, l, links, { doLink: true, family: 'link' });
      p.end();
      continue;
    }
    const mine = entries.filter((e) => e.dev === l.ifname);
    // ipaddr_filter: a link stays if one of its addresses passes, or it has none and no family was asked
    const ok = mine.some((e) => addrMatches(f, e)) || (mine.length === 0 && f.family === AF_UNSPEC);
    if (!ok) continue;
    p.obj();
    // with `dev`, ipaddr_link_get asks for the one link (rtnl_getlink answers whatever the family): no inet6 dump
    printLinkinfo(ctx, p, l, links, { doLink: false, family: f.family === AF_UNSPEC ? 'any' : f.family === AF_INET6 ? 'inet6' : 'inet', single: f.dev !== undefined });
    p.arr('addr_info');
    for (const e of mine) {
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
export function addrSpecOf(e: AddrEntry): AddrSpec {
  const s: AddrSpec = { local: `${e.local}/${e.prefixlen}`, dev: e.dev };
  if (e.address !== undefined && e.address !== e.local) s.peer = `${e.address}/${e.prefixlen}`;
  return s;
}

function linkMatches(f: ShowFilter, l: LinkInfo): boolean {
  if (f.dev !== undefined && l.ifname !== f.dev) return false;
  if (f.up && !l.flags.includes('UP')) return false;
  if (f.kind !== undefined && l.linkinfo?.info_kind !== f.kind) return false;
  return true;
}

/** print_linkinfo (the object around it is the caller's: `ip addr` adds addr_info to it). */
export function printLinkinfo(ctx: IpContext, p: Printer, l: LinkInfo, all: readonly LinkInfo[], o: { doLink: boolean; family: 'link' | 'any' | 'inet' | 'inet6'; single?: boolean }): void {
  const extra = l as LinkInfo & { qdisc?: string; txqlen?: number; linkmode?: string; group?: string; min_mtu?: number; max_mtu?: number };
  p.any('ifindex', l.ifindex, `${l.ifindex}: `);
  let mdown = false;
  let name = l.ifname;
  if (l.link !== undefined) {
    p.js('link', l.link);
    name = `${l.ifname}@${l.link}`;
    const parent = all.find((x) => x.ifname === l.link);
    mdown = parent !== undefined && !parent.flags.includes('UP');
  }
  p.any('ifname', l.ifname, `${name}: `);
  p.arr('flags', '<');
  l.flags.forEach((fl, i) => p.any(null, fl, i < l.flags.length - 1 ? `${fl},` : fl));
  if (mdown && !l.flags.includes('M-DOWN')) p.any(null, 'M-DOWN', ',M-DOWN');
  p.end('> ');
  p.any('mtu', l.mtu, `mtu ${l.mtu} `);
  // an AF_INET6 link dump (inet6_dump_ifinfo, what `ip -6 addr` asks for) carries no qdisc and no group
  const v6dump = o.family === 'inet6' && !o.single;
  if (extra.qdisc !== undefined && !v6dump) p.any('qdisc', extra.qdisc, `qdisc ${extra.qdisc} `);
  p.js('operstate', l.operstate);
  p.fp(`state ${l.operstate} `);
  if (o.doLink) p.any('linkmode', extra.linkmode ?? 'DEFAULT', `mode ${extra.linkmode ?? 'DEFAULT'} `);
  if (!v6dump) p.any('group', extra.group ?? 'default', `group ${extra.group ?? 'default'} `);
  if (extra.txqlen) p.any('txqlen', extra.txqlen, `qlen ${extra.txqlen}`);
  if (o.family === 'link' || o.family === 'any' || ctx.details) {
    p.nl();
    p.any('link_type', l.link_type, `    link/${l.link_type} `);
    if (l.address !== '') p.any('address', l.address, l.address);
    if (l.broadcast !== '') {
      p.fp(l.flags.includes('POINTOPOINT') ? ' peer ' : ' brd ');
      if (l.flags.includes('POINTOPOINT')) p.js('link_pointtopoint', true);
      p.any('broadcast', l.broadcast, l.broadcast);
    }
  }
  if (ctx.details) {
    p.any('promiscuity', 0, ' promiscuity 0 ');
    p.any('allmulti', 0, ' allmulti 0 ');
    if (extra.min_mtu !== undefined) p.any('min_mtu', extra.min_mtu, `minmtu ${extra.min_mtu} `);
    if (extra.max_mtu !== undefined) p.any('max_mtu', extra.max_mtu, `maxmtu ${extra.max_mtu} `);
    if (l.linkinfo) {
      p.obj('linkinfo');
      p.nl();
      p.any('info_kind', l.linkinfo.info_kind, `    ${l.linkinfo.info_kind} `);
      if (l.linkinfo.info_data) {
        p.obj('info_data');
        for (const [k, v] of Object.entries(l.linkinfo.info_data)) {
          if (Array.isArray(v)) {
            p.arr(k, '<');
            v.forEach((x, i) => p.any(null, String(x), i < v.length - 1 ? `${x},` : String(x)));
            p.end('> ');
          } else p.any(k, v as string | number, `${k} ${String(v)} `);
        }
        p.end();
      }
      p.end();
    }
    // print_af_spec only for `ip link` (do_link), then the queue and offload limits
    if (o.doLink && l.inet6_addr_gen_mode) p.any('inet6_addr_gen_mode', l.inet6_addr_gen_mode, `addrgenmode ${l.inet6_addr_gen_mode} `);
    const limits: ReadonlyArray<[keyof LinkInfo, string]> = [
      ['num_tx_queues', 'numtxqueues'], ['num_rx_queues', 'numrxqueues'], ['gso_max_size', 'gso_max_size'], ['gso_max_segs', 'gso_max_segs'],
      ['tso_max_size', 'tso_max_size'], ['tso_max_segs', 'tso_max_segs'], ['gro_max_size', 'gro_max_size'],
    ];
    for (const [key, word] of limits) {
      const v = l[key];
      if (typeof v === 'number') p.any(key, v, `${word} ${v} `);
    }
  }
  p.fp('\n');
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

