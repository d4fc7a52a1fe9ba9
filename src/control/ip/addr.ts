// `ip address` (iproute2 ip/ipaddress.c): add, change, replace, delete → an AddrSpec for dp.addresses
// (with `ip`'s own work done first: `brd +`/`brd -` computed from the prefix, scope host for 127/8,
// the IPv4 wildcard delete of an address written without a length); show and flush with the
// selectors of ipaddr_list_flush_or_save, printed as print_linkinfo + print_addrinfo print them.

import type { AddrSpec } from '../net_types.js';
import { AF_INET, AF_INET6, AF_UNSPEC, ifindexOf, talk, unsupported, type IpContext } from './context.js';
import { addrSpecOf, FLAGS, INFINITY, ipaddrList } from './show.js';
import { scopeA2n } from './names.js';
import { addrText, Argv, duparg, duparg2, failed, fatal, getAddr, getPrefix, getU32, invarg, IpError, matches, nodev, type InetPrefix } from './syntax.js';

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

/** do_ipaddr */
export function doIpaddr(ctx: IpContext, a: Argv): string {
  if (a.argc < 1) return ipaddrList(ctx, a, 'show', usage);
  const w = a.arg;
  a.fwd();
  if (matches(w, 'add')) return modify(ctx, a, 'add');
  if (matches(w, 'change') || w === 'chg') return modify(ctx, a, 'change');
  if (matches(w, 'replace')) return modify(ctx, a, 'replace');
  if (matches(w, 'delete')) return modify(ctx, a, 'delete');
  if (matches(w, 'list') || matches(w, 'show') || matches(w, 'lst')) return ipaddrList(ctx, a, 'show', usage);
  if (matches(w, 'flush')) return ipaddrList(ctx, a, 'flush', usage);
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
  let metric: number | undefined;
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
      metric = getU32(a.arg, 0);
      if (metric === undefined) throw invarg('"metric" value is invalid\n', a.arg);
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
  // IFA_RT_PRIORITY: the metric of the prefix route the address adds
  if (metric !== undefined) (spec as AddrSpec & { metric?: number }).metric = metric;
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


