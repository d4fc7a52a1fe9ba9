// Randomized differential test of the iproute2 front end: a seed draws a bounded sequence of `ip` lines
// (route add/replace/change/append/prepend/del/flush with ECMP next hops, metrics, proto, scope, src,
// onlink, every route type, IPv6 routes; rule add/del; addr add/del with peer/broadcast/label/
// noprefixroute and secondary promotion; neigh add/replace/del; route get with from/iif/oif/mark/tos/
// ipproto/sport/dport; and shows, text and -j), each line run through the real `ip -n NS` in a namespace
// this test creates and through ipCommand on a fresh Datapath set up with the same links. Every line's
// exit status, stdout and stderr must be the kernel's; a mismatch names the seed, the line's index and
// the line (the whole sequence replays with WXDP_IP_DIFF_SEEDS=<seed>).
//
//   WXDP_IP_DIFF_SEEDS=a,b    the seeds (default 2, 3, 6, 7); random:K adds 1, 2 and K random ones; a-b a range
//   WXDP_IP_DIFF_LOG=1        print each mismatch as one JSON line (MISMATCH {...}, with the lines before it)
//   WXDP_IP_DIFF_LINES=N      lines per seed (default 60)
//
// The kernel's link-local addresses are set without DAD (accept_dad 0, as wxdp has no DAD) and the veths'
// MACs fixed, so `addr show` and the local table are deterministic. Neighbour dumps are compared as sets
// (the kernel's hash order is random).
//
// Cases the fuzz found, fixed in wxdp, are pinned in PINNED below (each a short sequence, replayed the
// same way).
//
// Runs (12-07, ipd56, Linux 6.18.44, iproute2 6.1, 60 lines a seed): the first build differed on 40 of seeds 1-40,
// nearly all at the first route line; after the fixes pinned below, 19 of seeds 1-60 and 36 of 61-160 still differed.
// ipd57: the multipath hash seed is now fixed on both sides (HASH_SEED: the kernel's default key is random per
// namespace, which was most of the "ECMP choice of route get" differences), and the rest fixed and pinned below;
// with them (12-07 22:51, the pinned cases and seeds 1-300) none of seeds 1-160 differs but seed 9, a timing flake
// under load (fixed since: expiries compare within 15 s, sameStdout), and 7 of 161-300 do,
// first at (12-07 23:40: 298 and 270 agree since, pinned; 268 now differs later, a `203.0.113.64/26 dev v0 table 100 scope link
// src 198.51.100.1 hoplimit 10` route the kernel keeps and wxdp lacks): an IPv6 reject route
// keeping its src (281); an IPv4 onlink gateway the kernel calls invalid (282); IPv4 `route get … tos` not echoing
// the tos (293); an IPv6 prefix route of v0 missing from `-6 route show` after address changes (297).
// ipd58 (12-08): those five fixed and pinned (268: fib_sync_down_addr is table main's only; 282: the onlink gateway typed
// by table local through any device; 297: noprefixroute by change keeps a prefix route others need; 281: rt6_remove_prefsrc
// on every device; 293: route get echoes the found route's tos). Seeds 301-400 agree (263 s under load 14), 401-500 but
// 408 (modify_prefix_route takes the first prefix route through the device) and 427 (a replace adding `window` lost it:
// alias records shared by a key without the metrics) agree (185 s); both fixed and pinned; with them 1-160 (794 s),
// 161-300 (613 s) and 301-500 (637 s) agree, the pinned cases too.
// Not drawn: `-d link show` (veth maxmtu and queue counts differ by design), link add/del, nexthop objects.

import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { ipCommand, IpError, makeArgs } from '../../src/control/ip/index.js';
import { fuzzSeeds, Rng } from '../support/gen.js';
import { useNamespaces, type Netns } from '../support/netns.js';

const LINES = Number(process.env['WXDP_IP_DIFF_LINES'] ?? 60);
function seeds(): number[] {
  const env = process.env['WXDP_IP_DIFF_SEEDS'];
  const m = env ? /^(\d+)-(\d+)$/.exec(env) : null;
  if (m) return Array.from({ length: Number(m[2]) - Number(m[1]) + 1 }, (_, i) => Number(m[1]) + i);
  // by default seeds that agree (the header lists the seeds that still differ)
  return env ? fuzzSeeds(env) : [2, 3, 6, 7];
}

const SETUP = [
  'link set lo up',
  'link add v0 address 02:00:00:00:00:01 type veth peer name v1 address 02:00:00:00:00:02',
  'link set v0 up',
  'link set v1 up',
  'addr add 192.0.2.1/24 dev v0',
  'addr add 198.51.100.1/24 dev v1',
  'addr add 2001:db8::1/64 dev v0 nodad',
  'addr add 2001:db8:1::1/64 dev v1 nodad',
  'neigh add 192.0.2.2 lladdr 02:00:00:00:00:12 dev v0',
  'neigh add 198.51.100.2 lladdr 02:00:00:00:00:22 dev v1',
];

/** Both sides hash multipath routes with this seed (the kernel's default, 0, is a random key per namespace). */
const HASH_SEED = 4242;

interface Out {
  status: number;
  stdout: string;
  stderr: string;
}

function kernel(ns: Netns, line: string): Out {
  const r = ns.spawn(['ip', ...makeArgs(line)]);
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function ours(dp: Datapath, line: string): Out {
  try {
    const r = ipCommand(dp, line);
    return { status: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    if (!(e instanceof IpError)) throw e;
    return { status: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

/**
 * Neighbour dumps in any order. `expires NNNsec` of IPv6 routes is read on the two sides at different
 * moments (seconds apart under load), so the outputs compare with each expiry as a placeholder and
 * the two readings of each within EXPIRES_SLACK seconds (sameStdout); rounding to tens straddled a
 * boundary now and then.
 */
function norm(line: string, o: Out): Out {
  let stdout = o.stdout;
  if (/\bneigh(bou?r)?\b.*\b(show|list)\b/.test(line) || /^(-\S+ )*n(e(i(gh?)?)?)?\s+(sh|show|ls|list)?\b/.test(line)) {
    stdout = stdout.startsWith('[') ? JSON.stringify((JSON.parse(stdout) as unknown[]).map((e) => JSON.stringify(e)).sort()) : stdout.split('\n').sort().join('\n');
  }
  return { ...o, stdout };
}

const EXPIRES_SLACK = 15;
const EXPIRES = /(expires |"expires":)(\d+)/g;

/** Equal outputs, but for expiries read within EXPIRES_SLACK seconds of each other. */
function sameStdout(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.replace(EXPIRES, '$1N') !== b.replace(EXPIRES, '$1N')) return false;
  const na = [...a.matchAll(EXPIRES)].map((m) => Number(m[2]));
  const nb = [...b.matchAll(EXPIRES)].map((m) => Number(m[2]));
  return na.every((v, i) => Math.abs(v - nb[i]!) <= EXPIRES_SLACK);
}

// ---- the generator ----

const V4_DST = ['203.0.113.0/24', '203.0.113.0/25', '203.0.113.128/25', '203.0.113.64/26', '203.0.113.7', '203.0.113.7/32', 'default', '0.0.0.0/0', '198.51.100.128/25', '192.0.2.0/24', '10.0.0.0/8'.replace('10.0.0.0/8', '203.0.113.200/29')];
const V6_DST = ['2001:db8:5::/48', '2001:db8:5:1::/64', '2001:db8:5::7', 'default', '::/0', '2001:db8::/64', '2001:db8:6::/56'];
const V4_GW = ['192.0.2.2', '192.0.2.3', '198.51.100.2', '198.51.100.9', '203.0.113.9'];
const V6_GW = ['2001:db8::2', '2001:db8:1::2', 'fe80::1', '2001:db8:9::1'];
const DEVS = ['v0', 'v1', 'lo'];
const TABLES = ['', '', '', 'table main', 'table 100', 'table 100', 'table 200', 'table local'];
const TYPES = ['', '', '', '', 'blackhole', 'unreachable', 'prohibit', 'throw', 'local', 'broadcast', 'anycast', 'multicast', 'unicast'];
const PROTOS = ['proto static', 'proto boot', 'proto 42', 'proto kernel', 'proto dhcp', 'proto ra'];
const SCOPES = ['scope link', 'scope host', 'scope global', 'scope 200', 'scope site'];
const V4_SRC = ['192.0.2.1', '198.51.100.1', '203.0.113.1', '192.0.2.77'];
const V6_SRC = ['2001:db8::1', '2001:db8:1::1', '2001:db8:9::9'];

function routeLine(g: Rng, v6: boolean): string {
  const verb = g.pick(['add', 'add', 'add', 'replace', 'replace', 'change', 'append', 'prepend', 'del', 'del']);
  const w: string[] = [v6 && g.chance(0.3) ? '-6 route' : 'route', verb];
  const type = g.chance(0.7) ? '' : g.pick(TYPES);
  if (type) w.push(type);
  w.push(g.pick(v6 ? V6_DST : V4_DST));
  const gws = v6 ? V6_GW : V4_GW;
  const simple = type === '' || type === 'unicast' || g.chance(0.2);
  if (simple) {
    if (!v6 && g.chance(0.15)) {
      // multipath
      const n = 1 + g.int(3);
      const hops: string[] = [];
      for (let i = 0; i < n; i++) {
        const hop = ['nexthop'];
        if (g.chance(0.85)) hop.push('via', g.pick(gws));
        if (g.chance(0.6)) hop.push('dev', g.pick(['v0', 'v1']));
        if (g.chance(0.4)) hop.push('weight', String(g.pick([1, 2, 3, 10, 256])));
        if (g.chance(0.05)) hop.push('onlink');
        hops.push(hop.join(' '));
      }
      if (g.chance(0.3)) w.push(g.pick(TABLES));
      if (g.chance(0.3)) w.push('metric', String(g.pick([0, 1, 5, 1024])));
      w.push(...hops);
      return w.filter(Boolean).join(' ');
    }
    if (v6 && g.chance(0.1)) {
      const n = 1 + g.int(3);
      for (let i = 0; i < n; i++) w.push('nexthop', 'via', g.pick(gws), ...(g.chance(0.7) ? ['dev', g.pick(['v0', 'v1'])] : []), ...(g.chance(0.3) ? ['weight', String(g.pick([1, 2, 7]))] : []));
      return w.join(' ');
    }
    if (g.chance(0.6)) w.push('via', g.pick(gws));
    if (g.chance(0.6)) w.push('dev', g.pick(DEVS));
  } else if (g.chance(0.4)) w.push('dev', g.pick(DEVS));
  const opts = g.int(4);
  for (let i = 0; i < opts; i++) {
    switch (g.int(12)) {
      case 0:
        w.push(g.pick(TABLES));
        break;
      case 1:
        w.push('metric', String(g.pick([0, 1, 2, 5, 1024, 4294967295])));
        break;
      case 2:
        w.push(g.pick(PROTOS));
        break;
      case 3:
        if (!v6) w.push(g.pick(SCOPES));
        break;
      case 4:
        w.push('src', g.pick(v6 ? V6_SRC : V4_SRC));
        break;
      case 5:
        w.push('onlink');
        break;
      case 6:
        w.push('mtu', String(g.pick([1280, 1400, 9000, 100])));
        break;
      case 7:
        w.push('advmss', String(g.pick([536, 1300])));
        break;
      case 8:
        if (!v6) w.push('tos', g.pick(['0x10', '0x08', 'lowdelay', '0x1c']));
        else w.push('pref', g.pick(['low', 'high', 'medium']));
        break;
      case 9:
        if (v6) w.push('expires', String(g.pick([100, 3600])));
        else w.push('mtu', 'lock', '1300');
        break;
      case 10:
        w.push(g.pick(['hoplimit 10', 'rtt 100ms', 'window 1000', 'initcwnd 10', 'quickack 1', 'fastopen_no_cookie 1']));
        break;
      case 11:
        w.push('table', '100');
        break;
    }
  }
  return w.filter(Boolean).join(' ');
}

function ruleLine(g: Rng): string {
  const v6 = g.chance(0.3);
  const verb = g.pick(['add', 'add', 'add', 'del', 'del']);
  const w = [v6 ? '-6 rule' : 'rule', verb];
  if (g.chance(0.15)) w.push('not');
  const n = 1 + g.int(3);
  for (let i = 0; i < n; i++) {
    switch (g.int(8)) {
      case 0:
        w.push('from', v6 ? g.pick(['2001:db8::/64', '2001:db8:1::1', 'all']) : g.pick(['192.0.2.0/24', '198.51.100.1', 'all', '203.0.113.0/25']));
        break;
      case 1:
        w.push('to', v6 ? g.pick(['2001:db8:5::/48', '2001:db8::/32']) : g.pick(['203.0.113.0/24', '203.0.113.128/25', '0/0']));
        break;
      case 2:
        w.push('fwmark', g.pick(['0x10', '0x10/0xff', '7', '0x1/0x1']));
        break;
      case 3:
        w.push(g.pick(['iif', 'oif']), g.pick(['v0', 'v1', 'lo']));
        break;
      case 4:
        w.push('tos', g.pick(['0x10', '0x08']));
        break;
      case 5:
        w.push('ipproto', g.pick(['tcp', 'udp', '17']), ...(g.chance(0.5) ? ['dport', g.pick(['80', '1000-2000'])] : []), ...(g.chance(0.3) ? ['sport', '53'] : []));
        break;
      case 6:
        w.push('uidrange', '100-200');
        break;
      case 7:
        w.push('suppress_prefixlength', '0');
        break;
    }
  }
  if (g.chance(0.7)) w.push(g.pick(['pref', 'priority', 'preference']), String(g.pick([10, 20, 100, 32765, 32766, 32767, 0])));
  switch (g.int(6)) {
    case 0:
      w.push('blackhole');
      break;
    case 1:
      w.push(g.pick(['unreachable', 'prohibit', 'nop']));
      break;
    case 2:
      w.push('goto', String(g.pick([20, 100, 32766])));
      break;
    default:
      w.push(g.pick(['lookup', 'table']), g.pick(['100', '200', 'main', 'local', 'default', '254']));
  }
  return w.join(' ');
}

function addrLine(g: Rng): string {
  const v6 = g.chance(0.3);
  const verb = g.pick(['add', 'add', 'add', 'del', 'del', 'replace', 'change']);
  const dev = g.pick(['v0', 'v1', 'v0']);
  const w = ['addr', verb];
  if (v6) w.push(g.pick(['2001:db8::5/64', '2001:db8::6/64', '2001:db8:2::1/64', '2001:db8:2::1/128', '2001:db8::1/64']));
  else w.push(g.pick(['192.0.2.5/24', '192.0.2.6/24', '192.0.2.1/24', '192.0.2.17/28', '203.0.113.1/24', '203.0.113.2/24', '203.0.113.3/25', '198.51.100.1/24', '198.51.100.5/32']));
  if (!v6 && g.chance(0.15)) w.push('peer', g.pick(['203.0.113.99', '203.0.113.96/27']));
  if (!v6 && g.chance(0.2)) w.push('brd', g.pick(['+', '-', '192.0.2.255', '203.0.113.127']));
  w.push('dev', dev);
  if (!v6 && g.chance(0.15)) w.push('label', `${dev}:${g.pick(['1', 'x'])}`);
  if (g.chance(0.15)) w.push('noprefixroute');
  if (g.chance(0.1)) w.push('scope', g.pick(['link', 'host', 'global']));
  if (g.chance(0.1)) w.push('metric', String(g.pick([5, 300])));
  if (v6) w.push('nodad');
  return w.join(' ');
}

function neighLine(g: Rng): string {
  const verb = g.pick(['add', 'replace', 'del', 'change']);
  const v6 = g.chance(0.3);
  const dev = g.pick(['v0', 'v1']);
  const w = ['neigh', verb, v6 ? g.pick(['2001:db8::9', 'fe80::9']) : g.pick(['192.0.2.9', '198.51.100.9', '192.0.2.2'])];
  if (verb !== 'del' && g.chance(0.8)) w.push('lladdr', g.pick(['02:00:00:00:00:99', '02:00:00:00:00:98']));
  w.push('dev', dev);
  if (verb !== 'del' && g.chance(0.4)) w.push('nud', g.pick(['permanent', 'stale', 'noarp', 'reachable']));
  return w.join(' ');
}

function getLine(g: Rng): string {
  const v6 = g.chance(0.3);
  const w = [g.pick(['', '-j ', '-d ']) + 'route get'];
  w.push(v6 ? g.pick(['2001:db8:5::1', '2001:db8::2', '2001:db8:6::1', '2001:db8:7::1', 'fe80::1', '2001:db8::1']) : g.pick(['203.0.113.5', '203.0.113.7', '203.0.113.130', '203.0.113.70', '198.51.100.200', '192.0.2.2', '192.0.2.1', '8.8.8.8'.replace('8.8.8.8', '203.0.113.255'), '192.0.2.255', '127.0.0.1']));
  const n = g.int(3);
  for (let i = 0; i < n; i++) {
    switch (g.int(8)) {
      case 0:
        w.push('from', v6 ? g.pick(['2001:db8::1', '2001:db8:1::2']) : g.pick(['192.0.2.1', '192.0.2.9', '198.51.100.1']));
        break;
      case 1:
        w.push('iif', g.pick(['v0', 'v1']));
        break;
      case 2:
        w.push('oif', g.pick(['v0', 'v1']));
        break;
      case 3:
        w.push('mark', g.pick(['0x10', '7']));
        break;
      case 4:
        if (!v6) w.push('tos', g.pick(['0x10', '0x08']));
        break;
      case 5:
        w.push('ipproto', g.pick(['tcp', 'udp']), 'dport', g.pick(['80', '1500']), 'sport', '53');
        break;
      case 6:
        w.push('fibmatch');
        break;
      case 7:
        w.push('uid', '150');
        break;
    }
  }
  return w.join(' ');
}

const SHOWS = [
  'route show', '-j route show', 'route show table all', '-j route show table all', 'route show table 100', 'route show table local', '-6 route show',
  '-j -6 route show', '-6 route show table all', 'route show table 200', '-d route show', '-4 route show table all', 'route show proto static',
  'route show type blackhole', 'route show scope link', 'route list table main', '-6 route show table 100',
  'rule show', '-j rule show', '-6 rule show', '-j -6 rule show',
  'addr show', '-j addr show', '-4 addr show', '-6 addr show dev v0', 'addr show dev v1',
  'neigh show', '-j neigh show',
  'link show',
];

function flushLine(g: Rng): string {
  return g.pick(['route flush table 100', 'route flush table 200', '-6 route flush table 100', 'route flush dev v1', 'route flush proto static', 'addr flush dev v1', '-4 addr flush dev v0 label v0:1', 'neigh flush dev v0', 'route flush cache', 'rule flush']);
}

export function drawLines(seed: number, n: number): string[] {
  const g = new Rng(seed * 2654435761);
  g.next();
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = g.int(100);
    if (r < 38) out.push(routeLine(g, g.chance(0.35)));
    else if (r < 48) out.push(ruleLine(g));
    else if (r < 58) out.push(addrLine(g));
    else if (r < 63) out.push(neighLine(g));
    else if (r < 78) out.push(getLine(g));
    else if (r < 81) out.push(flushLine(g));
    else out.push(g.pick(SHOWS));
  }
  // the state at the end
  out.push('route show table all', '-j route show table all', 'rule show', '-6 rule show', 'addr show', 'neigh show');
  return out;
}

interface Mismatch {
  index: number;
  line: string;
  kernel: Out;
  wxdp: Out;
}

/** Replays `lines` on both sides; the first line they answer differently (or undefined). */
async function replay(ns: Netns, lines: readonly string[]): Promise<Mismatch | undefined> {
  const dp = await Datapath.create();
  try {
    dp.sysctl('net.ipv4.fib_multipath_hash_seed', HASH_SEED);
    for (const l of SETUP) {
      const k = kernel(ns, l);
      if (k.status !== 0) throw new Error(`setup ${l}: ${k.stderr}`);
      ours(dp, l);
      if (l === 'link set v1 up') settle(ns);
    }
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const k = norm(line, kernel(ns, line));
      const o = norm(line, ours(dp, line));
      if (k.status !== o.status || !sameStdout(k.stdout, o.stdout) || k.stderr !== o.stderr) return { index: i, line, kernel: k, wxdp: o };
    }
    return undefined;
  } finally {
    await dp.close();
  }
}

/**
 * The veths' carrier comes up through linkwatch, which configures IPv6 on v0 and v1 in either order: wait
 * for both, and bounce v0 until its fe80::/64 and ff00::/8 routes come after v1's (as wxdp adds them).
 */
function settle(ns: Netns): void {
  for (let tries = 0; tries < 50; tries++) {
    const out = kernel(ns, '-6 route show table all').stdout;
    const order = [...out.matchAll(/^multicast ff00::\/8 dev (v\d)/gm)].map((m) => m[1]).join();
    if (order === 'v1,v0' && /^fe80::\/64 dev v1[^]*^fe80::\/64 dev v0/m.test(out)) return;
    if (order === 'v0,v1') {
      kernel(ns, 'link set v0 down');
      kernel(ns, 'link set v0 up');
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  throw new Error('the veths did not come up');
}

const nsa = useNamespaces('ipd56');

function freshNs(): Netns {
  const ns = nsa.set.create({ lo: false });
  ns.sysctl({ 'net.ipv4.fib_multipath_hash_seed': HASH_SEED, 'net.ipv6.conf.all.accept_dad': 0, 'net.ipv6.conf.default.accept_dad': 0 });
  return ns;
}

function dropNs(ns: Netns): void {
  // the set deletes what is left at afterAll; delete as we go so a long run holds one at a time
  nsa.set.cleanup();
  void ns;
}

/** Sequences the fuzz found wxdp answering differently, fixed since: each must now agree line for line. */
const PINNED: Record<string, string[]> = {
  // seeds 1, 3, 5, 6, 13, 16, 28 (first run): a route without device or gateway is ENODEV (fib_check_nh_nongw,
  // fib6_nh_init), with onlink PERVASIVE/ONLINK (IPv4) or "Nexthop device required for onlink" (IPv6, before the gateway)
  'no device': [
    'route add 203.0.113.0/24', 'route replace 203.0.113.7/32 metric 0', 'route add local 203.0.113.9', 'route append multicast 0.0.0.0/0 onlink',
    'route add 203.0.113.0/24 onlink', '-6 route prepend 2001:db8:5::7', '-6 route replace default proto 42', '-6 route add 2001:db8:5::/48 onlink',
    '-6 route change 2001:db8:5::/48 via 2001:db8:9::1 onlink', 'route show table all',
  ],
  // seeds 2, 4, 7, 8, 12, 23, 24, 32, 36, 39: route metrics other than mtu, and IPv6's pref, kept and shown (also by route get)
  metrics: [
    '-6 route add 2001:db8:5::/48 via 2001:db8::2 dev v0 rtt 100ms advmss 536 pref low', 'route add 203.0.113.0/24 via 192.0.2.2 rtt 1.5s hoplimit 10 initcwnd 10 quickack 1 window lock 1000',
    'route add 203.0.113.128/25 dev v1 rttvar 7 advmss 70000 fastopen_no_cookie 1 initrwnd 0 reordering 3 ssthresh 9 cwnd 4 mtu lock 1300 rto_min 2s',
    '-6 route add blackhole 2001:db8:6::/56 pref high hoplimit 300 initcwnd 0', 'route show', '-j route show', '-6 route show', '-j -6 route show',
    'route get 203.0.113.5', '-j route get 203.0.113.130', '-6 route get 2001:db8:5::1', '-j -6 route get 2001:db8:5::1',
    'route append 203.0.113.0/24 via 192.0.2.2 rtt 1.5s hoplimit 10 initcwnd 10 quickack 1 window lock 1000', 'route append 203.0.113.0/24 via 192.0.2.2 hoplimit 11',
    'route del 203.0.113.128/25 advmss 1300', 'route del 203.0.113.0/24 hoplimit 11', 'route show',
  ],
  // seeds 10, 25, 27, 39: a goto is checked on delete too; a goto to a priority no rule has is [unresolved]
  rules: ['rule add pref 10 fwmark 1 goto 20', 'rule add pref 30 goto 32766', 'rule show', '-j rule show', 'rule del pref 32765 goto 20', 'rule add pref 20 lookup 100', 'rule show', 'rule del pref 20', '-j rule show'],
  // seeds 21, 22, 24, 29, 38: IPv6 change without a match, a gateway through lo
  'ipv6 errors': [
    '-6 route change unreachable 2001:db8:5::/48 table 100', '-6 route change 2001:db8::/64 via 2001:db8::2 dev v0', 'route change ::/0 dev lo',
    '-6 route add 2001:db8:5::7 via fe80::1 dev lo', '-6 route prepend ::/0 via fe80::1 dev lo table local',
  ],
  // seeds 17, 20: route get through an oif without a route has no table; -6 addr show dev asks for the one link
  // seeds 4, 35: an IPv6 reject route (a reject type, or through lo) loses RTF_EXPIRES and RTF_PREF
  'ipv6 reject flags': [
    '-6 route add unreachable 2001:db8:5::7 expires 3600 pref high mtu 1400', 'route replace default dev lo pref low src 2001:db8::1 expires 100',
    '-6 route add 2001:db8:6::/56 dev v0 expires 3600 pref low', '-6 route show', '-j -6 route show',
  ],
  // seeds 13, 18, 45, 46, 47, 57, 59: the last IPv4 address of a device going takes its ARP entries, permanent ones too (fib_disable_ip's arp_ifdown)
  'neighbours after the last address': ['addr add 192.0.2.5/24 dev v0', 'addr del 192.0.2.1/24 dev v0', 'neigh show', 'addr del 192.0.2.5/24 dev v0', 'neigh show', 'addr flush dev v1', '-j neigh show', '-6 neigh show'],
  // seeds 29, 47: an IPv6 route's src must be an address (ipv6_chk_addr), checked before the table; seed 8: an IPv6
  // reject route given a device keeps onlink
  'ipv6 src and onlink': [
    'route add 2001:db8::/64 dev v1 src 2001:db8:1::1', 'route add 2001:db8:5::/48 dev v1 src 2001:db8:9::9', 'route change 2001:db8:5::/48 dev v1 src 2001:db8:9::9 mtu 100',
    'route add 2001:db8:5::/48 dev v1 src 2001:db8::1', 'route replace throw 2001:db8:6::/56 dev v1 onlink advmss 536', '-6 route show table all',
  ],
  // seeds 24, 35 (ipd57): an address on two devices: deleting one keeps the other's local and prefix routes, and the
  // routes with it as prefsrc (fib_del_ifaddr flushes only when inet_addr_type_dev_table no longer says local)
  'one address on two devices': [
    'addr add 198.51.100.1/24 dev v0', 'route add 203.0.113.0/24 dev v0 src 198.51.100.1', 'route show table all', 'addr del 198.51.100.1/24 dev v1', 'route show table all',
    'addr add 198.51.100.1/24 dev v1', 'addr flush dev v0', 'route show table all', 'route add local 192.0.2.7 dev lo', 'addr add 192.0.2.7/24 dev v1',
    'route add 203.0.113.128/25 dev v1 src 192.0.2.7', 'addr del 192.0.2.7/24 dev v1', 'route show table all',
    // a device unregistered with its address: the address is gone, its own local route does not count
    'link add d9 type veth peer name d8', 'link set d9 up', 'addr add 203.0.113.1/24 dev d9', 'route add 198.51.100.128/25 dev v1 src 203.0.113.1', 'link del d9', 'route show',
  ],
  // seeds 63, 89, 113, 130 (ipd57): an IPv4 reject route keeps onlink (fib_nh_init copies rtm_flags to its lone next hop,
  // which has no device; fib_nexthop_info reports it), and it makes a fib_info of its own (nh_comp)
  'ipv4 reject onlink': [
    'route add prohibit 203.0.113.0/25 src 192.0.2.77 onlink table 100', 'route add blackhole 198.51.100.128/25 onlink mtu 9000', 'route append blackhole 198.51.100.128/25 mtu 9000',
    'route append blackhole 198.51.100.128/25 onlink mtu 9000', 'route show table all', '-j route show table all', 'route show type blackhole', 'route get 198.51.100.130',
    'route del blackhole 198.51.100.128/25 onlink', 'route show', 'route replace unreachable default onlink', 'route show', 'route replace unreachable default', '-j route show',
  ],
  // seeds 37, 74, 83, 108, 121, 124, 125 (ipd57): an IPv6 table without a default route has fib6_null_entry at its root:
  // `del ::/0` reaches it when nothing given rules it out (its metric ~0, proto kernel, dev lo, no gateway) and
  // __ip6_del_rt_siblings refuses it with ENOENT
  'ipv6 del at the null entry': [
    '-6 route del default expires 100 pref medium mtu 9000', 'route del ::/0 dev lo onlink', 'route del ::/0 dev v0', '-6 route del default metric 4294967295',
    '-6 route del default metric 5', '-6 route del default proto kernel', '-6 route del default proto static', '-6 route del default via 2001:db8::2',
    '-6 route del default table 100', '-6 route del throw default table local', '-6 route add default via 2001:db8::2 dev v0', '-6 route del default dev lo',
    '-6 route del default', '-6 route del default', '-6 route add 2001:db8:5::/48 dev v0 table 100', '-6 route del default table 100', '-6 route show table all',
  ],
  // seeds 11, 51, 86, 95, 103 (ipd57): an IPv6 multipath route's next hops are each made whole (fib6_nh_init: device,
  // gateway, prefsrc) and only then compared with those before (ip6_route_info_append: EEXIST), in order; a reject
  // route's next hops all become the loopback without a gateway, so a second one is a duplicate
  'ipv6 multipath next hops in order': [
    'route add default nexthop via 2001:db8:9::1 nexthop via 2001:db8:9::1 nexthop via fe80::1',
    '-6 route add default nexthop via 2001:db8::2 dev v1 nexthop via fe80::1 dev v1 nexthop via 2001:db8::2 dev v1',
    'route append 2001:db8:5::7 nexthop via 2001:db8::2 dev v0 nexthop via 2001:db8::2 nexthop via fe80::1',
    'route prepend 2001:db8::/64 nexthop via fe80::1 dev v1 nexthop via 2001:db8:9::1 dev v0 nexthop via 2001:db8:9::1 dev v0',
    'route add unreachable 2001:db8:6::/56 nexthop via 2001:db8::2 dev v1 nexthop via fe80::1 dev v1 weight 1',
    'route add blackhole 2001:db8:6::/56 nexthop dev v0', 'route add 2001:db8:5::/48 nexthop via fe80::1 dev v0 nexthop weight 2',
    'route add 2001:db8:5::/48 src 2001:db8:1::1 nexthop via fe80::1 dev v0 nexthop via fe80::1 dev v0',
    'route add 2001:db8:5::/48 nexthop via fe80::1 dev v0 nexthop via fe80::1 dev v0 onlink', '-6 route show table all',
  ],
  // seeds 50, 145, 156, 157, 158 (ipd57): an IPv6 onlink gateway is looked up in main (ip6_route_check_nh_onlink): a
  // route to it through another device, or not unicast, is "invalid gateway or device mismatch" (not the default
  // route, nor a reject one); and a gateway that is a local address is refused (ip6_validate_gw)
  'ipv6 onlink gateway': [
    'route add 2001:db8:6::/56 via 2001:db8:1::2 dev lo expires 3600 onlink proto dhcp', 'route add default via 2001:db8:1::2 dev v0 onlink',
    '-6 route append 2001:db8:5::/48 via 2001:db8::2 dev v1 proto static mtu 1280 onlink', 'route add 2001:db8:5::/48 via 2001:db8::2 dev lo advmss 536 proto static onlink',
    'route add 2001:db8:5::/48 via 2001:db8::2 dev v0 onlink', 'route add 2001:db8:6::/56 via 2001:db8:9::1 dev v1 onlink', 'route add 2001:db8:5:1::/64 via 2001:db8:5::9 dev v1 onlink',
    'route add unreachable 2001:db8:7::/48', 'route add 2001:db8:8::/48 via 2001:db8:7::1 dev v1 onlink', 'route add 2001:db8:9::/48 via 2001:db8::1 dev v1',
    'route add 2001:db8:9::/48 via 2001:db8::1', 'route add 2001:db8:9::/48 via 2001:db8:1::1 dev v1 onlink', 'route add 2001:db8:9::/48 via fe80::ff:fe00:1 dev v0',
    'route add 2001:db8:9::/48 via fe80::ff:fe00:1 dev v1', 'route add anycast 2001:db8:a::/48 dev v0', 'route add 2001:db8:b::/48 via 2001:db8:a::1 dev v0 onlink',
    'route add default via 2001:db8:1::2 dev v1', 'route add 2001:db8:c::/48 via 2001:db8:77::1 dev v0 onlink', '-6 route show table all',
  ],
  // seeds 268, 298: `addr change` of an IPv6 address without a metric (or with metric 0) keeps its metric and its prefix
  // route's (inet6_addr_modify changes rt_priority only to a non-zero one); IPv4's sets it whatever it is
  'ipv6 addr change keeps the metric': [
    'addr add 2001:db8:2::1/64 dev v0 nodad', 'addr change 2001:db8:2::1/128 dev v0 metric 300 nodad', '-6 route show dev v0', 'addr change 2001:db8:2::1/128 dev v0 nodad',
    '-6 route show dev v0', '-6 addr show dev v0', 'addr change 2001:db8:2::1/64 dev v0 metric 0 nodad', '-j -6 addr show dev v0', 'addr replace 2001:db8:2::1/64 dev v0 metric 20 nodad',
    '-6 route show dev v0', 'addr add 192.0.2.9/24 dev v0 metric 300', 'addr change 192.0.2.9/24 dev v0', 'route show dev v0', 'addr show dev v0',
  ],
  // seed 270: ip6_route_check_nh looks the gateway up in the route's table with RT6_LOOKUP_F_IFACE, so a default
  // route through the named device answers it even where another route of the table (or a prohibit rule) would not
  'ipv6 gateway check strict on the device': [
    'route prepend default via 2001:db8::2 dev lo', '-6 rule add from all prohibit', 'route prepend ::/0 dev v0', 'route append ::/0 via 2001:db8:1::2 dev v0',
    '-6 route show', 'route add 2001:db8:5::/48 via 2001:db8:1::2 dev v0', 'route add 2001:db8:5::/48 via 2001:db8:1::2 dev v0 table 100', '-6 rule del from all prohibit',
    'route add 2001:db8:5::/48 via 2001:db8:1::2 dev v0 table 100', '-6 route show table all',
  ],
  // seeds 1, 61, 68, 112, 141 (ipd57): IPv6 `route get … fibmatch iif D` carries RTA_IIF (rt6_fill_node is given the iif); IPv4's does not
  fibmatch: [
    '-j route get 2001:db8::2 iif v1 fibmatch', '-d route get 2001:db8::1 iif v1 fibmatch', 'route get 2001:db8::2 fibmatch iif v0', 'route get 2001:db8:1::2 fibmatch iif v0 mark 7',
    'route get 192.0.2.2 fibmatch iif v1', '-j route get 192.0.2.2 fibmatch iif v1 mark 7', 'route get 2001:db8::2 fibmatch', '-j -d route get 2001:db8::2 fibmatch oif v0',
  ],
  // seeds 4, 9, 15, 48, 72, 79 (ipd57): deleting an IPv4 rule marks the rules custom (fib4_rule_delete), so lookups follow
  // them from then on (a flushed main is not looked up, gateways included; table local is named); IPv6's delete does not
  'rule delete makes rules custom': [
    '-6 rule del pref 32766', '-6 route get 2001:db8:1::2', 'route get 127.0.0.1', 'rule del pref 32767', 'route get 127.0.0.1', 'route get 198.51.100.2', 'rule flush', 'rule show',
    'route replace 203.0.113.0/25 nexthop via 198.51.100.2', 'route replace 203.0.113.0/25 via 198.51.100.2 dev v1', 'route get 198.51.100.2', 'route get 198.51.100.2 oif v1',
    'route add 203.0.113.0/25 via 198.51.100.2 table 100', 'route add 198.51.100.0/24 dev v1 table 100', 'route add 203.0.113.0/25 via 198.51.100.2 table 100', 'route show table all',
  ],
  // seeds 65, 93, 97 (ipd57): a user's IPv6 anycast route has no RTF_ANYCAST (rtm_to_fib6_config sets only RTF_LOCAL), so
  // `route get` answers with its own device; only addrconf's anycast routes (and local ones) answer through lo
  'ipv6 anycast route get': [
    'route add anycast 2001:db8:7::/48 via 2001:db8::2 dev v0', 'route get 2001:db8:7::1', '-j route get 2001:db8:7::1 iif v1', 'route add anycast 2001:db8::2 dev v0 metric 1',
    '-d route get 2001:db8::2', 'route get 2001:db8::2 iif v1', 'route add local 2001:db8:8::/48 dev v1', 'route get 2001:db8:8::1', 'route get 2001:db8:8::1 iif v0',
  ],
  // seeds 49, 109, 122 (ipd57): an output dst of a broadcast or local FIB route keeps the route (__mkroute_output drops fi
  // only for 255.255.255.255 and short multicast routes; a local route's other device only stops caching), so its
  // metrics are the answer's
  'route get through broadcast and local routes': [
    'route add broadcast 203.0.113.128/25 dev v0 table main mtu 1400', 'route add local 203.0.113.64/26 dev lo mtu lock 1300 advmss 536', 'route add broadcast 203.0.113.0/26 dev v0 mtu lock 1300 quickack 1',
    '-d route get 203.0.113.130 from 192.0.2.1', 'route get 203.0.113.130', '-j route get 203.0.113.70', 'route get 203.0.113.70 oif v0', 'route get 203.0.113.5',
    'route get 203.0.113.5 iif v1', 'route get 203.0.113.70 iif v1 from 198.51.100.2', 'route get 255.255.255.255', 'route add broadcast 203.0.113.0/24 via 192.0.2.2 table 100',
    'route add local 192.0.2.9 dev v1 mtu 1280', 'route get 192.0.2.9', 'route get 192.0.2.9 oif v0',
  ],
  // seed 83 (ipd57): `route del … nexthop dev D` does not match a reject route, whose lone next hop has no device (fib_nh_match)
  'del with next hops and a reject route': [
    'route add blackhole 203.0.113.0/25 mtu lock 1300', 'route del 203.0.113.0/25 nexthop via 203.0.113.9 dev v1 weight 256 nexthop dev v1', 'route del 203.0.113.0/25 nexthop dev v1',
    'route del 203.0.113.0/25 nexthop via 192.0.2.2', 'route show', 'route del 203.0.113.0/25 nexthop weight 3', 'route show',
  ],
  // seeds 104, 118, 127 (ipd57): an IPv4 `route get` without ipproto is a UDP flow (inet_rtm_getroute), so ipproto rules
  // match it; IPv6's is protocol 0
  'route get is udp': [
    'rule add ipproto 17 pref 20 prohibit', 'route get 203.0.113.7', 'route get 198.51.100.200 ipproto tcp', 'route get 198.51.100.200 iif v0 from 192.0.2.9',
    '-6 rule add ipproto 17 pref 20 prohibit', 'route get 2001:db8:1::2', 'route get 2001:db8:1::2 ipproto udp', 'rule add not ipproto udp pref 10 unreachable',
    'route get 192.0.2.2', 'route get 192.0.2.2 ipproto tcp', 'rule flush', 'rule add ipproto udp dport 0 pref 5 blackhole', 'route get 192.0.2.2',
  ],
  // seed 169 (ipd57): a device's next hops the last address took come back when an address comes (fib_inetaddr_event
  // NETDEV_UP: fib_sync_up(dev, RTNH_F_DEAD))
  'next hops back with an address': [
    'route append 203.0.113.200/29 nexthop via 198.51.100.2 dev v1 weight 10 nexthop via 192.0.2.2 dev v0', 'addr del 192.0.2.1/24 dev v0', 'route show',
    'addr add 203.0.113.1/24 dev v0 noprefixroute', 'route show', '-j route show',
  ],
  // seed 227 (ipd57): an IPv6 rule's table exists once the rule is added (fib6_rule_configure: fib6_new_table); IPv4's does not
  'rule tables': [
    '-6 route del 2001:db8:5:1::/64 dev v0 table 200', 'route del 203.0.113.0/24 table 200', '-6 rule add pref 20 lookup 200', 'rule add pref 20 lookup 200',
    '-6 route del 2001:db8:5:1::/64 dev v0 table 200', 'route del 203.0.113.0/24 table 200', '-6 route show table all',
  ],
  // seed 268 (ipd58): an IPv4 address leaving takes only table main's routes with it as prefsrc (fib_sync_down_addr
  // compares fib_tb_id): table 100's and local's keep it
  'prefsrc gone outside table main': [
    'route add 203.0.113.64/26 dev v0 src 198.51.100.1 table 100 hoplimit 10', 'route add 203.0.113.128/25 dev v0 src 198.51.100.1',
    'route add broadcast 203.0.113.7 dev v0 src 198.51.100.1 table local', 'addr flush dev v1', 'route show table all', 'addr add 198.51.100.1/24 dev v0', 'route show table all',
  ],
  // seed 282 (ipd58): an IPv4 onlink gateway's type is table local's answer through any device (inet_addr_type_dev_table
  // passes no device): a `broadcast default dev lo` or a local route through another device makes it invalid
  'ipv4 onlink gateway typed by table local': [
    'route replace broadcast default dev lo mtu lock 1300', 'route change local default proto ra rtt 100ms', 'route add 203.0.113.64/26 via 203.0.113.9 dev v0 onlink',
    'route add 203.0.113.64/26 via 203.0.113.9 dev lo onlink', 'route del broadcast default table local', 'route add local 203.0.113.0/24 dev v1',
    'route add 203.0.113.64/26 via 203.0.113.9 dev v0 onlink', 'route del local 203.0.113.0/24 dev v1', 'route add 203.0.113.64/26 via 203.0.113.9 dev v0 onlink', 'route show',
  ],
  // seed 297 (ipd58): `addr replace … noprefixroute` keeps the prefix route another permanent (or noprefixroute) address of
  // the prefix needs (inet6_addr_modify: check_cleanup_prefix_route, only for a permanent address); an address made
  // permanent re-adds its prefix route, which clears the expiry of the one there (fib6_add_rt2node's duplicate)
  'ipv6 noprefixroute by change': [
    'addr add 2001:db8::5/64 dev v0 noprefixroute nodad', 'addr replace 2001:db8::1/64 dev v0 noprefixroute metric 300 nodad', '-6 route show', 'addr change 2001:db8::5/64 dev v0 nodad',
    'addr replace 2001:db8::5/64 dev v0 noprefixroute nodad', '-6 route show', 'addr change 2001:db8::1/64 dev v0 nodad', '-6 route show',
    'addr add 2001:db8:2::1/64 dev v0 valid_lft 300 preferred_lft 300 nodad', 'addr add 2001:db8:2::2/64 dev v0 nodad', 'addr change 2001:db8:2::2/64 dev v0 noprefixroute nodad',
    'addr change 2001:db8:2::1/64 dev v0 noprefixroute nodad', '-6 route show', 'addr change 2001:db8:2::1/64 dev v0 nodad', '-6 route show',
  ],
  // seed 281 (ipd58): an IPv6 address leaving takes itself as prefsrc from every route it no longer serves, whatever its
  // device (rt6_remove_prefsrc: ipv6_chk_addr against the route's device), reject routes through lo too
  'ipv6 prefsrc gone from every device': [
    'route append unreachable 2001:db8:5::/48 dev v0 src 2001:db8:1::1', 'route add 2001:db8:6::/56 dev v0 src 2001:db8:1::1', 'addr add 2001:db8:1::1/64 dev v0 nodad',
    'route add 2001:db8:7::/56 dev v1 src 2001:db8:1::1', 'addr del 2001:db8:1::1/64 dev v1', '-6 route show', 'addr flush dev v0', '-6 route show',
  ],
  // seed 293 (ipd58): IPv4 `route get` echoes the tos of the FIB route found (rt_fill_info's res.dscp), not the query's
  'route get tos': [
    'route get 192.0.2.2 tos 0x10', 'route add 203.0.113.0/24 via 198.51.100.9 tos 0x08', 'route get 203.0.113.70 tos 0x08', '-j route get 203.0.113.70 tos 0x08',
    'route get 203.0.113.70', 'route add local 203.0.113.64/26 dev lo tos 0x10', 'route get 203.0.113.70 tos 0x10', '-j route get 203.0.113.70 tos 0x10 iif v0 from 192.0.2.2',
    'route get 203.0.113.70 tos 0x10 oif v1', 'route add broadcast 203.0.113.128/25 dev v0 tos 0x10', 'route get 203.0.113.130 tos 0x10',
  ],
  // seed 408 (ipd58): `addr change` of an IPv6 address with metric 300 replaces the first prefix route through the device,
  // another address's of metric 256 (modify_prefix_route: addrconf_get_prefix_route looks at prefix and device only)
  'ipv6 addr change takes the first prefix route': [
    'addr add 2001:db8::6/64 dev v0 metric 300 nodad', '-6 route show', 'addr change 2001:db8::6/64 dev v0 nodad', '-6 route show',
    'route add 2001:db8:2::/64 dev v0 proto static metric 256', 'addr add 2001:db8:2::1/64 dev v0 metric 20 nodad', 'addr change 2001:db8:2::1/64 dev v0 nodad', '-6 route show',
    'addr change 2001:db8:2::1/64 dev v0 metric 20 valid_lft 500 preferred_lft 100 nodad', 'addr change 2001:db8:2::1/64 dev v0 metric 20 nodad', '-6 route show',
  ],
  // seed 427 (ipd58): `route replace` adding a metric (window) to an otherwise equal IPv4 route keeps it (fib_find_info compares
  // the metrics): wxdp's shared alias records went by a key without them
  'replace with a metric': [
    'route add 203.0.113.7/32 via 192.0.2.3', 'route replace 203.0.113.7 via 192.0.2.3 dev v0 proto boot window 1000', 'route get 203.0.113.7', 'route show',
    'route add 203.0.113.8/32 via 192.0.2.3 window 1000', 'route replace 203.0.113.8 via 192.0.2.3', 'route get 203.0.113.8', 'route show',
  ],
  // ipd58 (found by hand with seed 297's fix): appending a duplicate of an expiring IPv6 route gives it the new lifetime
  // (or none) and MTU before EEXIST (fib6_add_rt2node); one without an expiry is left alone
  'ipv6 duplicate of an expiring route': [
    '-6 route add 2001:db8:5::/48 dev v0 expires 100', '-6 route append 2001:db8:5::/48 dev v0 mtu 1400 expires 3600 advmss 536', '-6 route show',
    '-6 route append 2001:db8:5::/48 dev v0 mtu 1300', '-6 route show', '-6 route add 2001:db8:6::/48 dev v0', '-6 route append 2001:db8:6::/48 dev v0 mtu 1300 expires 100', '-6 route show',
  ],
  shows: ['-d route get 203.0.113.70 oif v1', '-j -d route get 203.0.113.70 oif v0', '-6 addr show dev v0', '-j -6 addr show dev v1', '-6 addr show'],
};

describe.skipIf(!nsa.available.ok)('ip lines through the kernel and through wxdp agree line for line', () => {
  it.each(Object.entries(PINNED))('pinned: %s', async (_name, lines) => {
    const ns = freshNs();
    try {
      const m = await replay(ns, lines);
      if (m && process.env['WXDP_IP_DIFF_LOG']) console.log(`MISMATCH ${JSON.stringify(m)}`);
      expect(m).toBeUndefined();
    } finally {
      dropNs(ns);
    }
  });

  it.each(seeds())('seed %i', async (seed) => {
    const ns = freshNs();
    try {
      const lines = drawLines(seed, LINES);
      const m = await replay(ns, lines);
      if (m && process.env['WXDP_IP_DIFF_LOG']) console.log(`MISMATCH ${JSON.stringify({ seed, ...m, before: lines.slice(0, m.index) })}`);
      if (m) expect({ seed, ...m }).toEqual({ seed, ...m, wxdp: m.kernel });
    } finally {
      dropNs(ns);
    }
  }, 60_000);
});
