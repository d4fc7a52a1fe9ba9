// bpf_fib_lookup against the kernel: one random configuration (devices, addresses, routes of every
// type in several tables, ECMP with weights, rules with every selector and action, a device taken
// down, sysctls) applied to a network namespace with `ip` and to wxdp through dp.routes / dp.rules;
// every command must be accepted or refused alike (same errno). Then thousands of random lookups
// (both families, every flag) run through programs/fib_probe.o under the kernel's BPF_PROG_TEST_RUN
// inside the namespace and under wxdp's testRun: the struct and the return code must agree byte for
// byte. Seeded (WXDP_FIB_SEED=N to replay); the seed and the first disagreement are printed.
// Needs root, ip, bpftool and python3; skipped with the reason otherwise.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { NetError, type RouteSpec, type RuleSpec } from '../../src/control/net_types.js';
import { loadKernelProgram, kernelAvailability, type KernelProgram } from '../../src/oracle/kernel.js';
import { SYSCTL } from '../../src/runtime/net_abi.js';
import { Rng } from '../support/gen.js';
import { FakeLinks } from './support/fake_links.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const PROBE = join(root, 'programs/fib_probe.o');
const RUNNER = join(root, 'tests/net/support/test_run_batch.py');
const NS = `wx-fib-${process.pid}`;
const LOOKUPS = Number(process.env['WXDP_FIB_LOOKUPS'] ?? 2500);
const SEED = Number(process.env['WXDP_FIB_SEED'] ?? Math.floor(Math.random() * 2 ** 31));

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, BPF_PROG_TEST_RUN)';
  for (const tool of ['ip', 'python3']) if (spawnSync(tool, ['-V']).error && spawnSync(tool, ['--version']).error) return `${tool} not found`;
  const k = kernelAvailability();
  return k.ok ? undefined : k.reason;
}
const skip = skipReason();

function sh(args: string[], input?: string): { status: number; out: string; err: string } {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', input, maxBuffer: 64 << 20 });
  return { status: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
}
function ip(...args: string[]): { status: number; out: string; err: string } {
  return sh(['ip', '-n', NS, ...args]);
}
function must(r: { status: number; err: string }, what: string): void {
  if (r.status !== 0) throw new Error(`${what}: ${r.err}`);
}

/** The errno iproute2's message names (what the kernel refused with). */
function errnoOf(msg: string): string {
  if (/File exists/.test(msg)) return 'EEXIST';
  if (/No such process/.test(msg)) return 'ESRCH';
  if (/No such file or directory/.test(msg)) return 'ENOENT';
  if (/Nexthop has invalid gateway|Network is unreachable/.test(msg)) return /Network is unreachable/.test(msg) ? 'ENETUNREACH' : 'EINVAL|ENETUNREACH';
  if (/No such device|Cannot find device/.test(msg)) return 'ENODEV';
  if (/Network is down|not up/.test(msg)) return 'ENETDOWN';
  return 'EINVAL';
}

afterAll(() => {
  if (!skip) sh(['ip', 'netns', 'del', NS]);
});

const DEVS = ['a0', 'a1', 'a2', 'a3'];
const GW4 = (i: number, h: number): string => `192.0.2.${64 * i + h}`;
const GW6 = (i: number, h: number): string => `2001:db8:${i}::${h}`;

function routeArgs(s: RouteSpec): string[] {
  const a: string[] = [];
  if (s.type && s.type !== 'unicast') a.push(s.type);
  a.push(s.dst);
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

function ruleArgs(r: RuleSpec): string[] {
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
  return a;
}

describe.skipIf(skip !== undefined)(`bpf_fib_lookup agrees with the kernel${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it(`answers ${LOOKUPS} random lookups over a random FIB byte for byte as the kernel does`, async () => {
    console.log(`fib_kernel: seed ${SEED} (WXDP_FIB_SEED=${SEED} replays), namespace ${NS}`);
    const rng = new Rng(SEED);
    const pick = <T,>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;

    // ---- devices and addresses in the kernel ----
    must(sh(['ip', 'netns', 'add', NS]), 'netns add');
    must(sh(['ip', 'netns', 'exec', NS, 'sysctl', '-qw', 'net.ipv6.conf.default.addr_gen_mode=1']), 'addr_gen_mode');
    must(ip('link', 'set', 'lo', 'up'), 'lo up');
    for (let i = 0; i < DEVS.length; i++) {
      must(ip('link', 'add', DEVS[i]!, 'type', 'veth', 'peer', 'name', `b${i}`), 'veth');
      const mtu = pick([1500, 1500, 1400, 9000, 1280]);
      must(ip('link', 'set', DEVS[i]!, 'mtu', String(mtu)), 'mtu');
      must(ip('link', 'set', DEVS[i]!, 'up'), 'up');
      must(ip('link', 'set', `b${i}`, 'up'), 'peer up');
      must(ip('addr', 'add', `${GW4(i, 1)}/26`, 'dev', DEVS[i]!), 'addr');
      if (i < 3) must(ip('-6', 'addr', 'add', `${GW6(i, 1)}/64`, 'dev', DEVS[i]!, 'nodad'), 'addr6');
    }
    const links = JSON.parse(ip('-j', 'link', 'show').out) as Array<{ ifindex: number; ifname: string; mtu: number; address: string }>;
    const ifindexOf = new Map(links.map((l) => [l.ifname, l.ifindex]));

    // ---- the same devices in wxdp ----
    const dp = await Datapath.create();
    const fake = new FakeLinks(dp);
    for (const l of links) fake.add({ name: l.ifname, ifindex: l.ifindex, mtu: l.mtu, mac: Uint8Array.from(l.address.split(':'), (h) => parseInt(h, 16)) });
    // the routes the kernel made for the addresses, mirrored (what dp.addresses does through kernelAdd)
    for (const fam of ['-4', '-6']) {
      const rs = JSON.parse(ip(fam, '-j', 'route', 'show', 'table', 'all').out) as Array<Record<string, unknown>>;
      // as fib_add_ifaddr installs them: the address's own local route first (prefsrc checks need it)
      const plen = (r: Record<string, unknown>): number => (String(r['dst']).includes('/') ? Number(String(r['dst']).split('/')[1]) : 128);
      rs.sort((a, b) => (a['type'] === 'local' ? 0 : 1) - (b['type'] === 'local' ? 0 : 1) || plen(b) - plen(a));
      for (const r of rs) {
        const spec: RouteSpec = {
          dst: String(r['dst']), family: fam === '-6' ? 'inet6' : 'inet', type: (r['type'] as RouteSpec['type']) ?? 'unicast',
          table: r['table'] === undefined ? 'main' : /^\d+$/.test(String(r['table'])) ? Number(r['table']) : (r['table'] as 'local'),
          scope: (r['scope'] as RouteSpec['scope']) ?? 'global', protocol: String(r['protocol'] ?? 'kernel'),
          ...(r['prefsrc'] ? { src: String(r['prefsrc']) } : {}), ...(r['metric'] !== undefined ? { metric: Number(r['metric']) } : {}),
        };
        dp.routes.kernelAdd(spec, ifindexOf.get(String(r['dev']))!);
      }
    }

    // ---- random routes and rules, command by command, accepted or refused alike ----
    const tables = [100, 200, 'main', 'default'] as const;
    const v4dst = (): string => {
      const base = pick(['198.51.100', '203.0.113']);
      const len = pick([24, 25, 26, 27, 28, 30, 32, 24]);
      const host = rng.int(256) & (len === 32 ? 0xff : (0xff << (32 - len)) & 0xff);
      return rng.int(12) === 0 ? 'default' : `${base}.${host}/${len}`;
    };
    const v6dst = (): string => (rng.int(10) === 0 ? 'default' : `2001:db8:${pick(['10', '20', '20:1'])}::/${pick([48, 56, 64, 64])}`);
    const mismatches: string[] = [];
    const apply = (what: string, kernelArgs: string[], ours: () => void): void => {
      const k = ip(...kernelArgs);
      let w: string | undefined;
      try {
        ours();
      } catch (e) {
        if (!(e instanceof NetError)) throw e;
        w = e.errno;
      }
      const ke = k.status === 0 ? undefined : errnoOf(k.err);
      const agree = ke === w || (ke !== undefined && w !== undefined && ke.split('|').includes(w));
      if (!agree) mismatches.push(`${what}: kernel ${ke ?? "ok"} (${k.err.trim()}), wxdp ${w ?? "ok"}\n  kernel has: ${ip(...(what.includes(":") ? ["-6"] : []), "route", "show", "table", "all", "root", (what.split(" ")[2] ?? "")).out.trim()}\n  wxdp has: ${JSON.stringify(dp.routes.list({ table: "all", family: what.includes(":") ? "inet6" : "inet", dst: what.split(" ")[2] }))}`);
    };
    const nRoutes = 40 + rng.int(30);
    for (let n = 0; n < nRoutes; n++) {
      const v6 = rng.int(4) === 0;
      const spec: RouteSpec = { dst: v6 ? v6dst() : v4dst(), ...(v6 ? { family: 'inet6' as const } : {}) };
      const t = pick(tables);
      if (t !== 'main') spec.table = t;
      const kind = rng.int(10);
      if (kind === 0) spec.type = pick(['blackhole', 'unreachable', 'prohibit', 'throw'] as const);
      else if (kind <= 2) {
        const k = 2 + rng.int(2);
        spec.nexthops = Array.from({ length: k }, () => {
          const i = rng.int(v6 ? 3 : 4);
          return { via: v6 ? GW6(i, 2 + rng.int(5)) : GW4(i, 2 + rng.int(5)), dev: DEVS[i]!, weight: 1 + rng.int(4) };
        });
      } else if (kind === 3) spec.dev = DEVS[rng.int(v6 ? 3 : 4)]!;
      else {
        const i = rng.int(v6 ? 3 : 4);
        spec.via = v6 ? GW6(i, 2 + rng.int(5)) : rng.int(8) === 0 ? `198.51.100.${rng.int(256)}` : GW4(i, 2 + rng.int(5));
        if (v6 || rng.int(3) === 0) spec.dev = DEVS[i]!;
        if (!v6 && rng.int(10) === 0 && spec.dev) spec.onlink = true;
      }
      if (!v6 && rng.int(5) === 0) spec.tos = pick([0x04, 0x10, 0x1c, 0xb8]);
      if (rng.int(3) === 0) spec.metric = pick([0, 10, 100, 1024]);
      if (rng.int(8) === 0) {
        spec.mtu = pick([1280, 1300, 1400, 1492]);
        spec.mtuLock = rng.int(2) === 0;
      }
      const verb = pick(['add', 'add', 'add', 'replace', 'append', 'prepend'] as const);
      const fam = v6 ? ['-6'] : [];
      apply(`route ${verb} ${routeArgs(spec).join(' ')}`, [...fam, 'route', verb, ...routeArgs(spec)], () => dp.routes[verb](spec));
    }
    const nRules = rng.int(9);
    const prefs: number[] = [];
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
        r.fwmark = pick([1, 2, 0x10]);
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
      apply(`rule add ${ruleArgs(r).join(' ')}`, [...(v6 ? ['-6'] : []), 'rule', 'add', ...ruleArgs(r)], () => dp.rules.add(r));
    }

    // ---- sysctls, forwarding per device, a device down ----
    const x = dp.stack.exports<{ net_sysctl_set(i: number, v: number): number }>();
    const policy = rng.int(2);
    const policy6 = rng.int(2);
    const seed = 1 + rng.int(0x7fffffff);
    must(sh(['ip', 'netns', 'exec', NS, 'sysctl', '-qw', `net.ipv4.fib_multipath_hash_policy=${policy}`, `net.ipv6.fib_multipath_hash_policy=${policy6}`, `net.ipv4.fib_multipath_hash_seed=${seed}`]), 'sysctl');
    x.net_sysctl_set(SYSCTL.FIB_MULTIPATH_HASH_POLICY, policy);
    x.net_sysctl_set(SYSCTL.FIB6_MULTIPATH_HASH_POLICY, policy6);
    x.net_sysctl_set(SYSCTL.FIB_MULTIPATH_HASH_SEED, seed);
    for (const d of ['lo', ...DEVS, 'b0', 'b1']) {
      const f4 = rng.int(4) !== 0;
      const f6 = rng.int(4) !== 0;
      must(sh(['ip', 'netns', 'exec', NS, 'sysctl', '-qw', `net.ipv4.conf.${d}.forwarding=${f4 ? 1 : 0}`, `net.ipv6.conf.${d}.forwarding=${f6 ? 1 : 0}`]), 'forwarding');
      fake.set(d, { forwarding4: f4, forwarding6: f6 });
    }
    if (rng.int(2) === 0) {
      must(ip('link', 'set', 'a3', 'down'), 'a3 down');
      fake.set('a3', { up: false });
      dp.routes.deviceDown(ifindexOf.get('a3')!);
    }
    if (mismatches.length) console.log(`fib_kernel: ${mismatches.length} command(s) disagree:\n${mismatches.join('\n')}`);
    expect(mismatches).toEqual([]);

    // ---- lookups ----
    const devIdx = [...ifindexOf.values(), 99];
    const frames: Uint8Array[] = [];
    for (let n = 0; n < LOOKUPS; n++) {
      const f = new Uint8Array(80);
      for (let i = 0; i < 64; i++) f[i] = rng.int(256);
      const v = new DataView(f.buffer);
      const v6 = rng.int(10) < 3;
      f[0] = v6 ? 10 : 2;
      f[1] = pick([0, 6, 17, 1]);
      v.setUint16(2, pick([0, 1500, 1234, 4000]), false);
      v.setUint16(4, pick([0, 53, 80, 443, 65]), false);
      v.setUint16(6, pick([0, 100, 1280, 1400, 1500, 1501, 9000, 9001, rng.int(65536)]), true);
      v.setUint32(8, rng.int(12) === 0 ? 99 : pick(devIdx.slice(0, -1)), true);
      if (v6) {
        v.setUint32(12, rng.int(2) ? 0 : rng.int(2 ** 32), true);
        const a6 = (): number[] => {
          const r = rng.int(10);
          if (r === 0) return [0xfe, 0x80, ...new Array(13).fill(0), 1];
          if (r === 1) return new Array(16).fill(0);
          return [0x20, 0x01, 0x0d, 0xb8, 0, pick([0, 1, 2, 0x10, 0x20]), 0, pick([0, 1]), ...Array.from({ length: 8 }, () => rng.int(256))];
        };
        f.set(a6(), 16);
        f.set(a6(), 32);
      } else {
        f[12] = pick([0, 0x04, 0x10, 0x1c, 0xb8, 0x11, rng.int(256)]);
        const a4 = (): number[] => {
          const r = rng.int(8);
          if (r === 0) return [0, 0, 0, 0];
          if (r <= 2) return [192, 0, 2, rng.int(256)];
          return [...pick([[198, 51, 100], [203, 0, 113]]), rng.int(256)];
        };
        f.set(a4(), 16);
        f.set(a4(), 32);
      }
      let flags = 0;
      for (const bit of [1, 2, 4, 8, 32]) if (rng.int(3) === 0) flags |= bit;
      if (rng.int(40) === 0) flags |= 64;
      if (flags & 8) v.setUint32(48, pick([100, 200, 254, 255, 253, 999]), true);
      if (flags & 32) v.setUint32(52, pick([0, 1, 2, 0x10, 0x13, rng.int(2 ** 32)]), true);
      v.setUint32(64, flags, true);
      frames.push(f);
    }
    const prog: KernelProgram = loadKernelProgram(PROBE);
    let kernelOut: string[];
    try {
      const r = sh(['python3', RUNNER, prog.pinPath, NS], frames.map((f) => Buffer.from(f).toString('hex')).join('\n') + '\n');
      must(r, 'test_run batch');
      kernelOut = r.out.trim().split('\n');
    } finally {
      prog.close();
    }
    const obj = await dp.loadObject(PROBE);
    const p = obj.program('fib_probe');
    let agreed = 0;
    const codes = new Map<number, number>();
    for (let n = 0; n < frames.length; n++) {
      const w = p.testRun({ data: frames[n]! });
      const ours = `${w.retval} ${Buffer.from(w.data).toString('hex')}`;
      const theirs = kernelOut[n]!;
      if (ours !== theirs) {
        const f = Buffer.from(frames[n]!).toString('hex');
        console.log(`fib_kernel: seed ${SEED}: lookup ${n} disagrees\n  in:     ${f}\n  kernel: ${theirs}\n  wxdp:   ${ours}`);
        console.log(`routes:\n${ip('route', 'show', 'table', 'all').out}${ip('-6', 'route', 'show', 'table', 'all').out}rules:\n${ip('rule').out}${ip('-6', 'rule').out}`);
        expect(ours).toBe(theirs);
      }
      agreed++;
      const rc = new DataView(w.data.buffer, w.data.byteOffset).getInt32(68, true);
      codes.set(rc, (codes.get(rc) ?? 0) + 1);
    }
    console.log(`fib_kernel: ${agreed} lookups agree (return codes: ${[...codes].sort((a, b) => a[0] - b[0]).map(([c, k]) => `${c}×${k}`).join(' ')})`);
  }, 600_000);
});
