// A random FIB scenario for the bpf_fib_lookup differential test (tests/net/fib_kernel.test.ts): the
// devices, the route and rule commands (as RouteSpec / RuleSpec and as `ip` arguments, so the kernel
// and wxdp are told the same thing), the sysctls, and the lookups — all drawn from one seed, so a seed
// replays exactly. Lookups are aimed: most destinations lie inside a configured prefix, most ingress
// devices forward, most sizes fit, so the answers spread over SUCCESS, NO_NEIGH, FRAG_NEEDED and the
// reject codes instead of piling up on NOT_FWDED / FWD_DISABLED.
//
// A lookup is the fib_probe frame (programs/fib_probe.c): struct bpf_fib_lookup (64 bytes), u32 flags,
// s32 the helper's return value (filled in by the run), 8 spare bytes.

import type { RouteSpec, RuleSpec } from '../../../src/control/net_types.js';
import { Rng } from '../../support/gen.js';

export const DEVS = ['a0', 'a1', 'a2', 'a3'] as const;
/** IPv4 address h of device i: a0 has 192.0.2.0/26, a1 192.0.2.64/26, ... */
export const GW4 = (i: number, h: number): string => `192.0.2.${64 * i + h}`;
/** IPv6 address h of device i (a3 has no IPv6 address). */
export const GW6 = (i: number, h: number): string => `2001:db8:${i.toString(16)}::${h.toString(16)}`;
export const HAS_V6 = (i: number): boolean => i < 3;

export const FLAG = { DIRECT: 1, OUTPUT: 2, SKIP_NEIGH: 4, TBID: 8, SRC: 16, MARK: 32 } as const;
export const RET_NAMES: Readonly<Record<number, string>> = {
  0: 'SUCCESS', 1: 'BLACKHOLE', 2: 'UNREACHABLE', 3: 'PROHIBIT', 4: 'NOT_FWDED', 5: 'FWD_DISABLED', 6: 'UNSUPP_LWT',
  7: 'NO_NEIGH', 8: 'FRAG_NEEDED', 9: 'NO_SRC_ADDR', [-22]: '-EINVAL', [-19]: '-ENODEV', [-97]: '-EAFNOSUPPORT',
};

export interface DeviceCfg {
  name: string;
  mtu: number;
}

export interface RouteCmd {
  verb: 'add' | 'replace' | 'append' | 'prepend';
  spec: RouteSpec;
}

export interface NeighCmd {
  addr: string;
  dev: string;
  state: string;
  /** The link-layer address (none: an entry still resolving, failed or none). */
  lladdr?: string;
}

export interface Scenario {
  seed: number;
  devices: DeviceCfg[];
  /** Neighbour entries in every NUD state, for gateways and on-link hosts of both families. */
  neighbours: NeighCmd[];
  /** net.ipv4.fib_multipath_use_neigh. */
  useNeigh: number;
  routes: RouteCmd[];
  rules: RuleSpec[];
  policy: number;
  policy6: number;
  hashSeed: number;
  /** net.ipv4.conf.DEV.forwarding / net.ipv6.conf.DEV.forwarding for lo, a*, b0, b1. */
  forwarding: Array<{ dev: string; f4: boolean; f6: boolean }>;
  /** a3 is set down after the routes (its next hops die, fib_sync_down_dev). */
  a3Down: boolean;
}

const TABLES = [100, 200, 'main', 'default'] as const;
const TOS = [0x04, 0x10, 0x1c, 0xb8] as const;
const MARKS = [1, 2, 0x10] as const;

/** The configuration of seed `seed`: devices, route and rule commands, sysctls. */
export function makeScenario(seed: number): Scenario {
  const rng = new Rng(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
  // (a wxdp ring device carries up to 3502 bytes: DEVICE_MAX_MTU; 9000 would configure one side only)
  const devices = DEVS.map((name) => ({ name, mtu: pick([1500, 1500, 1400, 3000, 1280]) }));
  const v4dst = (): string => {
    const base = pick(['198.51.100', '203.0.113']);
    const len = pick([24, 25, 26, 27, 28, 30, 32, 24]);
    const host = rng.int(256) & (len === 32 ? 0xff : (0xff << (32 - len)) & 0xff);
    return rng.int(12) === 0 ? 'default' : `${base}.${host}/${len}`;
  };
  const v6dst = (): string => (rng.int(10) === 0 ? 'default' : `2001:db8:${pick(['10', '20', '20:1'])}::/${pick([48, 56, 64, 64])}`);
  const routes: RouteCmd[] = [];
  const nRoutes = 40 + rng.int(30);
  for (let n = 0; n < nRoutes; n++) {
    const v6 = rng.int(4) === 0;
    const spec: RouteSpec = { dst: v6 ? v6dst() : v4dst(), ...(v6 ? { family: 'inet6' as const } : {}) };
    const t = pick(TABLES);
    if (t !== 'main') spec.table = t;
    const kind = rng.int(10);
    const ndev = v6 ? 3 : 4;
    if (kind === 0) spec.type = pick(['blackhole', 'unreachable', 'prohibit', 'throw'] as const);
    else if (kind <= 2) {
      const k = 2 + rng.int(2);
      spec.nexthops = Array.from({ length: k }, () => {
        const i = rng.int(ndev);
        return { via: v6 ? GW6(i, 2 + rng.int(5)) : GW4(i, 2 + rng.int(5)), dev: DEVS[i]!, weight: 1 + rng.int(4) };
      });
    } else if (kind === 3) spec.dev = DEVS[rng.int(ndev)]!;
    else {
      const i = rng.int(ndev);
      spec.via = v6 ? GW6(i, 2 + rng.int(5)) : rng.int(8) === 0 ? `198.51.100.${rng.int(256)}` : GW4(i, 2 + rng.int(5));
      if (v6 || rng.int(3) === 0) spec.dev = DEVS[i]!;
      if (!v6 && rng.int(10) === 0 && spec.dev) spec.onlink = true;
    }
    if (!v6 && rng.int(5) === 0) spec.tos = pick(TOS);
    // source-specific routes (IPv6 subtrees; the IPv4 FIB ignores a source prefix)
    if (rng.int(v6 ? 4 : 20) === 0) spec.from = v6 ? pick(['2001:db8:0::/64', '2001:db8:1::/64', '2001:db8:2::/64', '2001:db8::/47', '2001:db8:1::9/64']) : '192.0.2.0/26';
    if (rng.int(3) === 0) spec.metric = pick([0, 10, 100, 1024]);
    if (rng.int(8) === 0) {
      spec.mtu = pick([1280, 1300, 1400, 1492]);
      spec.mtuLock = rng.int(2) === 0;
    }
    routes.push({ verb: pick(['add', 'add', 'add', 'replace', 'append', 'prepend'] as const), spec });
  }
  const rules: RuleSpec[] = [];
  const prefs: number[] = [];
  const nRules = rng.int(9);
  for (let n = 0; n < nRules; n++) {
    const v6 = rng.int(4) === 0;
    const r: RuleSpec = v6 ? { family: 'inet6' } : {};
    if (rng.int(2) === 0) {
      r.priority = 100 + rng.int(400);
      prefs.push(r.priority);
    }
    if (rng.int(3) === 0) r.from = v6 ? `2001:db8:${rng.int(3)}::/64` : `192.0.2.${64 * rng.int(4)}/26`;
    if (rng.int(3) === 0) r.to = v6 ? '2001:db8:20::/48' : pick(['198.51.100.0/25', '203.0.113.0/24', '198.51.100.128/26']);
    if (!v6 && rng.int(5) === 0) r.tos = pick([0x04, 0x10, 0x1c]);
    if (rng.int(4) === 0) {
      r.fwmark = pick(MARKS);
      if (rng.int(2) === 0) r.fwmask = pick([0xff, 0x3]);
    }
    if (rng.int(5) === 0) r.iif = pick(['a0', 'a1', 'lo', 'ghost0']);
    if (rng.int(6) === 0) r.oif = pick(['a0', 'a2', 'ghost1']);
    if (rng.int(5) === 0) r.ipproto = pick([6, 17]);
    if (rng.int(6) === 0) r.sport = [1000, 2000];
    if (rng.int(6) === 0) r.dport = [53, 80];
    if (rng.int(8) === 0) r.not = true;
    const act = rng.int(10);
    if (act < 5) {
      r.action = 'lookup';
      r.table = pick([100, 200, 'main'] as const);
    } else if (act === 5) r.action = 'blackhole';
    else if (act === 6) r.action = 'unreachable';
    else if (act === 7) r.action = 'prohibit';
    else if (act === 8) r.action = 'nop';
    else if (prefs.length && r.priority !== undefined) {
      r.action = 'goto';
      r.goto = pick(prefs.filter((p) => p > r.priority!).concat([32766, r.priority + 1]));
    } else {
      r.action = 'lookup';
      r.table = 100;
    }
    if (r.action === 'lookup' && rng.int(4) === 0) r.suppressPrefixlength = pick([0, 24, 26]);
    // every link is in group 0 ("default"): suppress_ifgroup default suppresses what has a device
    if (r.action === 'lookup' && rng.int(6) === 0) r.suppressIfgroup = pick([0, 0, 1]);
    rules.push(r);
  }
  const policy = rng.int(2);
  const policy6 = rng.int(2);
  const hashSeed = 1 + rng.int(0x7fffffff);
  const neighbours: NeighCmd[] = [];
  // every state `ip neigh` sets but none (the kernel takes it; wxdp's ip neigh refuses it, so a line
  // with it could not configure both sides)
  const STATES = ['permanent', 'noarp', 'reachable', 'stale', 'delay', 'probe', 'incomplete', 'failed'] as const;
  for (let i = 0; i < DEVS.length; i++) {
    // the gateways routes use (hosts 2..6) and on-link hosts lookups aim at (7..12)
    for (let h = 2; h <= 12; h++) {
      for (const v6 of [false, true]) {
        if ((v6 && !HAS_V6(i)) || rng.int(10) < 3) continue;
        const state = pick(STATES);
        const unresolved = state === 'incomplete' || state === 'failed';
        const lladdr = unresolved && rng.int(2) === 0 ? undefined : `02:00:00:${(i + 1).toString(16).padStart(2, '0')}:${v6 ? '06' : '04'}:${h.toString(16).padStart(2, '0')}`;
        neighbours.push({ addr: v6 ? GW6(i, h) : GW4(i, h), dev: DEVS[i]!, state, ...(lladdr ? { lladdr } : {}) });
      }
    }
  }
  // forwarding on for most devices: a lookup on a device without it only answers FWD_DISABLED
  const forwarding = ['lo', ...DEVS, 'b0', 'b1'].map((dev) => ({ dev, f4: rng.int(6) !== 0, f6: rng.int(6) !== 0 }));
  return { seed, devices, neighbours, useNeigh: rng.int(2), routes, rules, policy, policy6, hashSeed, forwarding, a3Down: rng.int(2) === 0 };
}

/** ifindex of device a_i and its veth peer b_i (set explicitly, so both sides number them alike). */
export const IFINDEX = (i: number, peer = false): number => 10 + 2 * i + (peer ? 1 : 0);
/** MAC of a_i (peer: b_i). */
export const MAC = (i: number, peer = false): string => `02:00:00:00:${peer ? '0b' : '0a'}:0${i}`;

/** The scenario as `ip` command lines (each without `ip`; `-6` where the family is not in the words). */
export interface ScenarioLines {
  /** Links, MTUs, addresses: before the sysctls that need the links. */
  setup: string[];
  /** Routes and rules. */
  config: string[];
  neighbours: string[];
  /** After the sysctls: a device taken down. */
  after: string[];
}

export function scenarioLines(sc: Scenario): ScenarioLines {
  const setup: string[] = [];
  sc.devices.forEach((d, i) => {
    setup.push(`link add ${d.name} index ${IFINDEX(i)} address ${MAC(i)} type veth peer name b${i} index ${IFINDEX(i, true)} address ${MAC(i, true)}`);
    setup.push(`link set ${d.name} mtu ${d.mtu}`, `link set ${d.name} up`, `link set b${i} up`, `addr add ${GW4(i, 1)}/26 dev ${d.name}`);
    if (HAS_V6(i)) setup.push(`-6 addr add ${GW6(i, 1)}/64 dev ${d.name} nodad`);
  });
  const config = [
    ...sc.routes.map(({ verb, spec }) => `${spec.family === 'inet6' ? '-6 ' : ''}route ${verb} ${routeArgs(spec).join(' ')}`),
    ...sc.rules.map((r) => `${r.family === 'inet6' ? '-6 ' : ''}rule add ${ruleArgs(r).join(' ')}`),
  ];
  const neighbours = sc.neighbours.map(neighLine);
  return { setup, config, neighbours, after: sc.a3Down ? ['link set a3 down'] : [] };
}

/** The `ip` line (without `ip`) that makes neighbour entry `n`. */
export function neighLine(n: NeighCmd): string {
  return `neigh replace ${n.addr}${n.lladdr ? ` lladdr ${n.lladdr}` : ''} dev ${n.dev} nud ${n.state}`;
}

/** The scenario's sysctls by name (after the links exist). */
export function scenarioSysctls(sc: Scenario): Array<[string, number]> {
  const out: Array<[string, number]> = [
    ['net.ipv4.fib_multipath_hash_policy', sc.policy], ['net.ipv6.fib_multipath_hash_policy', sc.policy6],
    ['net.ipv4.fib_multipath_hash_seed', sc.hashSeed], ['net.ipv4.fib_multipath_use_neigh', sc.useNeigh],
  ];
  for (const { dev, f4, f6 } of sc.forwarding) out.push([`net.ipv4.conf.${dev}.forwarding`, f4 ? 1 : 0], [`net.ipv6.conf.${dev}.forwarding`, f6 ? 1 : 0]);
  return out;
}

/**
 * Neighbour timers slowed to hours on every link (a namespace other than the first has no
 * neigh.default), so no entry changes state while the kernel answers the lookups; wxdp's clock does
 * not move anyway.
 */
export const NEIGH_TIMERS: ReadonlyArray<[string, number]> = ['ipv4', 'ipv6'].flatMap((f) => DEVS.flatMap((d) => [
  [`net.${f}.neigh.${d}.retrans_time_ms`, 3_600_000], [`net.${f}.neigh.${d}.base_reachable_time_ms`, 3_600_000],
  [`net.${f}.neigh.${d}.delay_first_probe_time`, 3600], [`net.${f}.neigh.${d}.gc_stale_time`, 3600],
] as Array<[string, number]>));

export function routeArgs(s: RouteSpec): string[] {
  const a: string[] = [];
  if (s.type && s.type !== 'unicast') a.push(s.type);
  a.push(s.dst);
  if (s.from) a.push('from', s.from);
  if (s.tos) a.push('tos', `0x${s.tos.toString(16)}`);
  if (s.table !== undefined) a.push('table', String(s.table));
  if (s.metric !== undefined) a.push('metric', String(s.metric));
  if (s.via) a.push('via', s.via);
  if (s.dev) a.push('dev', s.dev);
  if (s.onlink) a.push('onlink');
  if (s.src) a.push('src', s.src);
  if (s.mtu) a.push('mtu', ...(s.mtuLock ? ['lock'] : []), String(s.mtu));
  for (const n of s.nexthops ?? []) {
    a.push('nexthop');
    if (n.via) a.push('via', n.via);
    if (n.dev) a.push('dev', n.dev);
    if (n.weight) a.push('weight', String(n.weight));
  }
  return a;
}

export function ruleArgs(r: RuleSpec): string[] {
  const a: string[] = [];
  if (r.not) a.push('not');
  if (r.from) a.push('from', r.from);
  if (r.to) a.push('to', r.to);
  if (r.tos) a.push('tos', `0x${r.tos.toString(16)}`);
  if (r.fwmark !== undefined) a.push('fwmark', `0x${r.fwmark.toString(16)}${r.fwmask !== undefined ? `/0x${r.fwmask.toString(16)}` : ''}`);
  if (r.iif) a.push('iif', r.iif);
  if (r.oif) a.push('oif', r.oif);
  if (r.priority !== undefined) a.push('pref', String(r.priority));
  if (r.ipproto) a.push('ipproto', String(r.ipproto));
  if (r.sport) a.push('sport', `${r.sport[0]}-${r.sport[1]}`);
  if (r.dport) a.push('dport', `${r.dport[0]}-${r.dport[1]}`);
  if (r.action === 'goto') a.push('goto', String(r.goto));
  else if (r.action && r.action !== 'lookup') a.push(r.action);
  else a.push('lookup', String(r.table ?? 'main'));
  if (r.suppressPrefixlength !== undefined) a.push('suppress_prefixlength', String(r.suppressPrefixlength));
  if (r.suppressIfgroup !== undefined) a.push('suppress_ifgroup', r.suppressIfgroup === 0 ? 'default' : String(r.suppressIfgroup));
  return a;
}

/** A prefix the lookups aim into: family, address bytes, length. */
export interface Target {
  v6: boolean;
  addr: number[];
  len: number;
}

function prefixTarget(dst: string, v6: boolean): Target {
  if (dst === 'default') return { v6, addr: new Array(v6 ? 16 : 4).fill(0), len: 0 };
  const [a, l] = dst.split('/');
  const len = l === undefined ? (v6 ? 128 : 32) : Number(l);
  if (!v6) return { v6, addr: a!.split('.').map(Number), len };
  const [head, tail] = a!.split('::');
  const words = (s: string | undefined): number[] => (s ? s.split(':').map((w) => parseInt(w, 16)) : []);
  const h = words(head);
  const t = words(tail);
  const all = [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  return { v6, addr: all.flatMap((w) => [w >> 8, w & 0xff]), len };
}

/** An address inside `t` (random host bits). */
function inside(rng: Rng, t: Target): number[] {
  return t.addr.map((b, i) => {
    const bits = Math.max(0, Math.min(8, t.len - i * 8));
    const keep = (0xff << (8 - bits)) & 0xff;
    return (b & keep) | (rng.int(256) & ~keep & 0xff);
  });
}

export interface LookupEnv {
  /** ifindex by device name (kernel numbering, mirrored in wxdp). */
  ifindexOf: ReadonlyMap<string, number>;
}

/**
 * `count` lookups for scenario `sc`: destinations mostly inside the configured prefixes (or the
 * devices' own subnets), sources mostly the ingress device's neighbours or its own address, sizes
 * mostly below the smallest MTU with some just around each device's MTU, flags spread over every
 * combination (with a few unknown bits and bad ifindexes kept for the error paths).
 */
export function makeLookups(sc: Scenario, env: LookupEnv, count: number, rng: Rng): Uint8Array[] {
  const pick = <T,>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
  const targets4: Target[] = [];
  const targets6: Target[] = [];
  for (const { spec } of sc.routes) (spec.family === 'inet6' ? targets6 : targets4).push(prefixTarget(spec.dst, spec.family === 'inet6'));
  for (let i = 0; i < DEVS.length; i++) {
    targets4.push(prefixTarget(`${GW4(i, 0)}/26`, false));
    if (HAS_V6(i)) targets6.push(prefixTarget(`2001:db8:${i}::/64`, true));
  }
  const fwd4 = sc.forwarding.filter((f) => f.f4 && f.dev.startsWith('a')).map((f) => f.dev);
  const fwd6 = sc.forwarding.filter((f) => f.f6 && f.dev.startsWith('a')).map((f) => f.dev);
  const mtus = [...new Set(sc.devices.map((d) => d.mtu).concat([1280, 1300, 1400, 1492]))];
  const out: Uint8Array[] = [];
  for (let n = 0; n < count; n++) {
    const f = new Uint8Array(80);
    for (let i = 0; i < 64; i++) f[i] = rng.int(256);
    const v = new DataView(f.buffer);
    const v6 = rng.int(10) < 3;
    f[0] = rng.int(200) === 0 ? pick([0, 1, 17]) : v6 ? 10 : 2;
    f[1] = pick([0, 6, 17, 1]);
    v.setUint16(2, pick([0, 1500, 1234, 4000]), false);
    v.setUint16(4, pick([0, 53, 80, 443, 65]), false);
    const r = rng.int(20);
    const mtu = pick(mtus);
    v.setUint16(6, r < 13 ? 20 + rng.int(1261) : r < 18 ? mtu - 1 + rng.int(3) : rng.int(65536), true);
    // the ingress device: one that forwards (mostly), any device, or none
    const fwd = v6 ? fwd6 : fwd4;
    const dr = rng.int(20);
    const dev = dr < 16 && fwd.length ? pick(fwd) : dr < 19 ? pick(['lo', ...DEVS, 'b0', 'b1', 'b2']) : undefined;
    const ifindex = dev === undefined ? 99 : env.ifindexOf.get(dev)!;
    const di = dev && dev.startsWith('a') ? Number(dev.slice(1)) : rng.int(3);
    v.setUint32(8, ifindex, true);
    if (v6) {
      v.setUint32(12, rng.int(2) ? 0 : rng.int(2 ** 32), true);
      const a6 = (t?: Target): number[] => {
        const k = rng.int(20);
        if (k === 0) return [0xfe, 0x80, ...new Array(13).fill(0), 1];
        if (k === 1) return new Array(16).fill(0);
        if (k === 2) return [0xff, 0x02, ...new Array(13).fill(0), 1];
        if (t) return inside(rng, t);
        return [0x20, 0x01, 0x0d, 0xb8, 0, pick([0, 1, 2, 0x10, 0x20]), 0, pick([0, 1]), ...Array.from({ length: 8 }, () => rng.int(256))];
      };
      const sr = rng.int(10);
      const src = sr < 2 && HAS_V6(di) ? prefixTarget(GW6(di, 1), true).addr : sr < 7 && HAS_V6(di) ? a6(prefixTarget(`2001:db8:${di}::/64`, true)) : a6();
      f.set(src, 16);
      const nb6 = sc.neighbours.filter((n) => n.addr.includes(':'));
      f.set(rng.int(7) === 0 && nb6.length ? prefixTarget(pick(nb6).addr, true).addr : a6(rng.int(10) < 8 ? pick(targets6) : undefined), 32);
    } else {
      f[12] = pick([0, 0, 0x04, 0x10, 0x1c, 0xb8, 0x11, rng.int(256)]);
      const a4 = (t?: Target): number[] => {
        const k = rng.int(20);
        if (k === 0) return [0, 0, 0, 0];
        if (k === 1) return [224, 0, 0, rng.int(256)];
        if (t) return inside(rng, t);
        return [...pick([[192, 0, 2], [198, 51, 100], [203, 0, 113]]), rng.int(256)];
      };
      const sr = rng.int(10);
      const src = sr < 2 ? GW4(di, 1).split('.').map(Number) : sr < 7 ? a4(prefixTarget(`${GW4(di, 0)}/26`, false)) : a4();
      f.set(src, 16);
      const nb4 = sc.neighbours.filter((n) => !n.addr.includes(':'));
      f.set(rng.int(7) === 0 && nb4.length ? pick(nb4).addr.split('.').map(Number) : a4(rng.int(10) < 8 ? pick(targets4) : undefined), 32);
    }
    let flags = 0;
    if (rng.int(6) === 0) flags |= FLAG.DIRECT;
    if (rng.int(6) === 0) flags |= FLAG.OUTPUT;
    if (rng.int(5) === 0) flags |= FLAG.SKIP_NEIGH;
    if (rng.int(8) === 0) flags |= FLAG.TBID | (rng.int(3) ? FLAG.DIRECT : 0);
    if (rng.int(3) === 0) flags |= FLAG.MARK;
    if (rng.int(4) === 0) flags |= FLAG.SRC;
    if (rng.int(80) === 0) flags |= 64;
    if (flags & FLAG.TBID) v.setUint32(48, pick([100, 200, 254, 255, 253, 999]), true);
    if (flags & FLAG.MARK) v.setUint32(52, pick([0, ...MARKS, 0x13, rng.int(2 ** 32)]), true);
    v.setUint32(64, flags, true);
    out.push(f);
  }
  return out;
}

/** iproute2 prints a tos by its rt_dsfield name where it has one. */
function tosValue(t: unknown): number {
  if (t === undefined) return 0;
  const names: Record<string, number> = { EF: 0xb8, CS1: 0x20, CS2: 0x40, CS3: 0x60, CS4: 0x80, CS5: 0xa0, CS6: 0xc0, CS7: 0xe0, AF11: 0x28, AF12: 0x30, AF13: 0x38 };
  return names[String(t)] ?? Number(t);
}

/** A route dump (kernel `ip -j route show table all`, or wxdp's list) as comparable lines by prefix. */
export function canonRoutes(list: ReadonlyArray<Record<string, unknown>>, v6: boolean): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of list) {
    const table = String(r['table'] ?? 'main');
    // the kernel's own IPv6 multicast and anycast routes are not ours to compare
    if (v6 && table === 'local' && (r['type'] === 'multicast' || r['type'] === 'anycast')) continue;
    const key = `${table} ${String(r['dst'])}${r['from'] ? ` from ${String(r['from'])}` : ''}`;
    const nhs = (r['nexthops'] as Array<Record<string, unknown>> | undefined) ?? [r];
    const nh = nhs.map((n) => `${n['gateway'] ?? '-'}@${n['dev'] ?? '-'}${r['nexthops'] ? `*${n['weight'] ?? 1}` : ''}${(n['flags'] as string[] | undefined)?.includes('dead') ? ' dead' : ''}`).join(',');
    const mtu = (r['metrics'] as Array<Record<string, unknown>> | undefined)?.find((m) => m['mtu'] !== undefined)?.['mtu'] ?? r['mtu'];
    const line = `${r['type'] ?? 'unicast'} tos ${tosValue(r['tos'])} metric ${r['metric'] ?? 0} scope ${r['scope'] ?? 'global'} src ${r['prefsrc'] ?? '-'} mtu ${mtu ?? 0} ${nh}`;
    out.set(key, [...(out.get(key) ?? []), line]);
  }
  // the link-local prefix routes come in the order the links became ready, which the kernel's
  // linkwatch decides (a veth pair turns ready on both ends at once): compared as a set
  for (const [k, v] of out) if (k.endsWith(' fe80::/64')) v.sort();
  return out;
}

/** The lines by which two canonical dumps differ (empty: the same). */
export function diffRoutes(kernel: Map<string, string[]>, ours: Map<string, string[]>): string[] {
  const diffs: string[] = [];
  for (const k of new Set([...kernel.keys(), ...ours.keys()])) {
    const a = (kernel.get(k) ?? []).join(' | ');
    const b = (ours.get(k) ?? []).join(' | ');
    if (a !== b) diffs.push(`${k}:\n    kernel: ${a || '(none)'}\n    wxdp:   ${b || '(none)'}`);
  }
  return diffs;
}

/** A probe frame decoded for a failure message. */
export function describeLookup(hex: string): string {
  const b = Buffer.from(hex, 'hex');
  const fam = b[0];
  const addr = (o: number): string => (fam === 10 ? [...Array(8)].map((_, i) => b.readUInt16BE(o + 2 * i).toString(16)).join(':') : [...b.subarray(o, o + 4)].join('.'));
  const flags = b.readUInt32LE(64);
  const names = Object.entries(FLAG).filter(([, bit]) => flags & bit).map(([k]) => k);
  if (flags & ~63) names.push(`0x${(flags & ~63).toString(16)}`);
  return `family ${fam} proto ${b[1]} sport ${b.readUInt16BE(2)} dport ${b.readUInt16BE(4)} tot_len ${b.readUInt16LE(6)} ifindex ${b.readUInt32LE(8)} ` +
    `tos/flowinfo 0x${b.readUInt32LE(12).toString(16)} src ${addr(16)} dst ${addr(32)} tbid ${b.readUInt32LE(48)} mark 0x${b.readUInt32LE(52).toString(16)} flags ${names.join('|') || 0}`;
}
