// `ip neigh` (iproute2 ip/ipneigh.c): add, change, replace, delete → a NeighSpec for dp.neigh (nud
// permanent unless told, as `ip` sends it); show, flush and get filtered and printed as ipneigh.c
// does. A refused add/change/delete ends `ip` (exit 2) even in a batch, as ipneigh_modify's exit(2) does.

import type { NeighInfo, NeighSpec, NudState } from '../net_types.js';
import { AF_UNSPEC, afOf, ifindexOf, talk, unsupported, type IpContext } from './context.js';
import { protoA2n } from './names.js';
import { Printer } from './printer.js';
import { addrText, Argv, duparg, duparg2, failed, fatal, getAddr, getPrefix, getUnsigned, invarg, IpError, llAddr, macText, matches, nodev, prefixMatch, type InetPrefix } from './syntax.js';

export const NEIGH_USAGE = `Usage: ip neigh { add | del | change | replace }
                { ADDR [ lladdr LLADDR ] [ nud STATE ] }
                [ dev DEV ] [ router ]

	ip neigh { show | flush } [ to PREFIX ] [ dev DEV ] [ nud STATE ]
	ip neigh get ADDR dev DEV

STATE := { delay | failed | incomplete | noarp | none |
           permanent | probe | reachable | stale }
`;

function usage(): never {
  throw fatal(NEIGH_USAGE);
}

const NUD_BITS: ReadonlyArray<readonly [Exclude<NudState, 'NONE'>, number]> = [
  ['INCOMPLETE', 0x01], ['REACHABLE', 0x02], ['STALE', 0x04], ['DELAY', 0x08], ['PROBE', 0x10], ['FAILED', 0x20], ['NOARP', 0x40], ['PERMANENT', 0x80],
];
const NUD_PERMANENT = 0x80;
const NUD_NOARP = 0x40;
const NUD_FAILED = 0x20;

/** nud_state_a2n */
function nudA2n(arg: string): number | undefined {
  if (matches(arg, 'permanent')) return NUD_PERMANENT;
  if (matches(arg, 'reachable')) return 0x02;
  if (arg === 'noarp') return NUD_NOARP;
  if (arg === 'none') return 0;
  if (arg === 'stale') return 0x04;
  if (arg === 'incomplete') return 0x01;
  if (arg === 'delay') return 0x08;
  if (arg === 'probe') return 0x10;
  if (matches(arg, 'failed')) return NUD_FAILED;
  const n = getUnsigned(arg, 0);
  if (n === undefined || n >= 0x100 || (n & (n - 1)) !== 0) return undefined;
  return n;
}

/** do_ipneigh */
export function doIpneigh(ctx: IpContext, a: Argv): string {
  if (a.argc < 1) return showOrFlush(ctx, a, false);
  const w = a.arg;
  a.fwd();
  if (matches(w, 'add')) return modify(ctx, a, 'add');
  if (matches(w, 'change') || w === 'chg') return modify(ctx, a, 'change');
  if (matches(w, 'replace')) return modify(ctx, a, 'replace');
  if (matches(w, 'delete')) return modify(ctx, a, 'delete');
  if (matches(w, 'get')) return get(ctx, a);
  if (matches(w, 'show') || matches(w, 'lst') || matches(w, 'list')) return showOrFlush(ctx, a, false);
  if (matches(w, 'flush')) return showOrFlush(ctx, a, true);
  if (matches(w, 'help')) usage();
  throw fatal(`Command "${w}" is unknown, try "ip neigh help".\n`);
}

/** ipneigh_modify */
function modify(ctx: IpContext, a: Argv, cmd: 'add' | 'change' | 'replace' | 'delete'): string {
  let state = NUD_PERMANENT;
  let dev: string | undefined;
  let dst: InetPrefix | undefined;
  let lla: string | undefined;
  let router = false;
  const todo: string[] = [];
  for (; a.argc > 0; a.fwd()) {
    const w = a.arg;
    if (matches(w, 'lladdr')) {
      a.next();
      if (lla !== undefined) throw duparg('lladdr', a.arg);
      lla = a.arg;
    } else if (w === 'nud') {
      a.next();
      const s = nudA2n(a.arg);
      if (s === undefined) throw invarg('nud state is bad', a.arg);
      state = s;
    } else if (matches(w, 'proxy')) {
      a.next();
      if (matches(a.arg, 'help')) usage();
      if (dst) throw duparg('address', a.arg);
      dst = getAddr(a.arg, ctx.family);
      todo.push('proxy');
      dev = dev ?? '';
    } else if (w === 'router') {
      router = true;
    } else if (w === 'use' || w === 'managed' || matches(w, 'extern_learn')) {
      todo.push(w);
    } else if (w === 'dev') {
      dev = a.next();
    } else if (matches(w, 'protocol')) {
      a.next();
      if (protoA2n(a.arg) === undefined) throw invarg('"protocol" value is invalid\n', a.arg);
      todo.push('protocol');
    } else {
      if (w === 'to') a.next();
      if (matches(a.arg, 'help')) a.next();
      if (dst) throw duparg2('to', a.arg);
      dst = getAddr(a.arg, ctx.family);
    }
  }
  if (dev === undefined || !dst || dst.family === AF_UNSPEC) throw fatal('Device and destination are required arguments.\n');
  let mac: Uint8Array | undefined;
  if (lla !== undefined && lla !== 'null') {
    const m = llAddr(lla);
    if (!(m instanceof Uint8Array)) throw m;
    mac = m;
  }
  if (dev !== '' && !ifindexOf(ctx, dev)) throw nodev(dev);
  if (todo.length) throw unsupported(todo[0]!, 'neigh');
  const to = addrText(dst.family, dst.bytes);
  if (cmd === 'delete') {
    talk(() => ctx.t.neigh.del({ to, dev }), { fatal: true });
    return '';
  }
  const spec: NeighSpec = { to, dev };
  if (mac) spec.lladdr = macText(mac);
  const nud = NUD_BITS.find(([, bit]) => bit === state)?.[0].toLowerCase() as NeighSpec['nud'] | undefined;
  if (!nud) throw unsupported('nud none', 'neigh');
  spec.nud = nud;
  if (router) spec.router = true;
  talk(() => ctx.t.neigh.add(spec, cmd === 'replace' ? { replace: true } : cmd === 'change' ? { change: true } : {}), { fatal: true });
  return '';
}

function stateBits(n: NeighInfo): number {
  return n.state.reduce((acc, s) => acc | (NUD_BITS.find(([name]) => name === s)?.[1] ?? 0), 0);
}

/** do_show_or_flush */
function showOrFlush(ctx: IpContext, a: Argv, flush: boolean): string {
  let family = ctx.family;
  let dev: string | undefined;
  let pfx: InetPrefix | undefined;
  let stateGiven = false;
  let none = false;
  if (flush && a.argc <= 0) throw failed('Flush requires arguments.\n');
  let state = flush ? ~(NUD_PERMANENT | NUD_NOARP) : 0xff & ~NUD_NOARP;
  for (; a.argc > 0; a.fwd()) {
    const w = a.arg;
    if (w === 'dev') {
      a.next();
      if (dev !== undefined) throw duparg('dev', a.arg);
      dev = a.arg;
    } else if (w === 'master' || w === 'vrf') {
      a.next();
      if (!ifindexOf(ctx, a.arg)) throw invarg(w === 'master' ? 'Device does not exist\n' : 'Not a valid VRF name\n', a.arg);
      if (w === 'vrf') throw invarg('Not a valid VRF name\n', a.arg);
      none = true; // no wxdp link has a master
    } else if (w === 'nomaster' || w === 'unused') {
      // every wxdp link has no master; neighbours hold no references
    } else if (w === 'nud') {
      a.next();
      if (!stateGiven) {
        stateGiven = true;
        state = 0;
      }
      let s = nudA2n(a.arg);
      if (s === undefined) {
        if (a.arg !== 'all') throw invarg('nud state is bad', a.arg);
        s = ~0;
        if (flush) s &= ~NUD_NOARP;
      }
      if (s === 0) s = 0x100;
      state |= s;
    } else if (w === 'proxy') {
      none = true; // wxdp keeps no proxy entries
    } else if (matches(w, 'protocol')) {
      a.next();
      if (protoA2n(a.arg) === undefined && a.arg !== 'all') throw invarg('invalid "protocol"\n', a.arg);
      if (a.arg !== 'all' && protoA2n(a.arg) !== 0) none = true; // wxdp's entries carry no protocol
    } else {
      if (w === 'to') a.next();
      if (matches(a.arg, 'help')) usage();
      pfx = getPrefix(a.arg, family);
      if (family === AF_UNSPEC) family = pfx.family;
    }
  }
  if (dev !== undefined && !ifindexOf(ctx, dev)) throw nodev(dev);
  const p = new Printer(ctx.json);
  const entries = none ? [] : talk(() => ctx.t.neigh.list(ctx.stats ? { stats: true } : {}));
  for (const n of entries) {
    const fam = afOf(n.dst);
    if (family !== AF_UNSPEC && family !== fam) continue;
    if (dev !== undefined && n.dev !== dev) continue;
    const bits = stateBits(n);
    if (!(state & bits) && (bits || !(state & 0x100))) continue;
    if (pfx && pfx.bitlen > 0) {
      const d = getAddr(n.dst, fam);
      if (pfx.family !== fam || !prefixMatch(d.bytes, pfx.bytes, pfx.bitlen)) continue;
    }
    if (flush) talk(() => ctx.t.neigh.del({ to: n.dst, dev: n.dev }));
    else printNeigh(p, n, dev !== undefined, ctx.stats > 0);
  }
  return flush ? '' : p.output();
}

/** print_neigh */
export function printNeigh(p: Printer, n: NeighInfo, devFiltered: boolean, stats = false): void {
  p.obj();
  p.any('dst', n.dst, `${n.dst} `);
  if (!devFiltered) {
    p.fp('dev ');
    p.any('dev', n.dev, `${n.dev} `);
  }
  if (n.lladdr !== undefined) {
    p.fp('lladdr ');
    p.any('lladdr', n.lladdr, `${n.lladdr} `);
  }
  if (n.router !== undefined) p.any('router', null, 'router ');
  if (stats) {
    // print_cacheinfo's spacing, as ip prints it: "  used 0/60/0probes 0 "
    if (n.refcnt) p.any('refcnt', n.refcnt, ` ref ${n.refcnt}`);
    if (n.used !== undefined) {
      p.any('used', n.used, ` used ${n.used}`);
      p.any('confirmed', n.confirmed ?? 0, `/${n.confirmed ?? 0}`);
      p.any('updated', n.updated ?? 0, `/${n.updated ?? 0}`);
    }
    if (n.probes !== undefined) p.any('probes', n.probes, `probes ${n.probes} `);
  }
  const bits = stateBits(n);
  if (bits) {
    p.arr('state');
    for (const [name, bit] of NUD_BITS) if (bits & bit) p.any(null, name, `${name} `);
    p.end();
  }
  p.fp('\n');
  p.end();
}

/** ipneigh_get */
function get(ctx: IpContext, a: Argv): string {
  let dev: string | undefined;
  let dst: InetPrefix | undefined;
  for (; a.argc > 0; a.fwd()) {
    const w = a.arg;
    if (w === 'dev') dev = a.next();
    else if (matches(w, 'proxy')) {
      a.next();
      if (matches(a.arg, 'help')) usage();
      throw unsupported('proxy', 'neigh');
    } else {
      if (w === 'to') a.next();
      if (matches(a.arg, 'help')) usage();
      if (dst) throw duparg2('to', a.arg);
      dst = getAddr(a.arg, ctx.family);
    }
  }
  if (dev === undefined || !dst || dst.family === AF_UNSPEC) throw failed('Device and address are required arguments.\n');
  if (!ifindexOf(ctx, dev)) throw failed(`Cannot find device "${dev}"\n`);
  const to = addrText(dst.family, dst.bytes);
  const n = talk(() => ctx.t.neigh.list()).find((e) => e.dev === dev && e.dst === to);
  // neigh_get's extack when the entry is missing
  if (!n) throw new IpError('Error: Neighbour entry not found.\n', { status: 2, fatal: false, errno: 'ENOENT' });
  const p = new Printer(ctx.json);
  printNeigh(p, n, false);
  return p.output();
}

