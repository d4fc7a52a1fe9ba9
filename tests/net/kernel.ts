// The Linux kernel as the oracle for the stack's tests: the same links, addresses, routes, neighbours and
// sysctls as a Fixture, built in a router namespace `wx-rx-<pid>-<n>-r` whose every link is a veth to a
// probe namespace `…-p`; tests/net/kprobe.py sends frames into the router from the probe side and
// reports what comes back, the drop reasons the kernel traced and the SNMP counters that moved.
// Namespaces are removed by close() (tests call it in afterAll, also when they fail).

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LinkCfg, NeighCfg, RouteCfg } from './support.js';
import { hex, ipBatchAfterSysctls, ipBatchLinks, linkSysctls } from './support.js';

const PROBE = fileURLToPath(new URL('./kprobe.py', import.meta.url));

/** Why the kernel cannot be asked here ('' when it can). */
export function kernelUnavailable(): string {
  if (process.getuid?.() !== 0) return 'not root';
  if (spawnSync('ip', ['-V']).status !== 0) return 'iproute2 missing';
  if (spawnSync('/usr/bin/python3', ['-c', 'import socket; socket.AF_PACKET']).status !== 0) return '/usr/bin/python3 missing';
  return '';
}

export interface KernelResult {
  /** Frames the router sent back, by the router-side link name. */
  tx: Map<string, Uint8Array[]>;
  drops: string[];
  counters: Record<string, number>;
}

let seq = 0;

export class KernelRouter {
  private constructor(readonly router: string, readonly probe: string, private readonly links: LinkCfg[]) {}

  /** `owner` names the namespaces (`wx-OWNER-…`): a test file's own prefix. */
  static create(links: LinkCfg[], routes: RouteCfg[] = [], neigh: NeighCfg[] = [], sysctls: Record<string, number> = {}, owner = 'rx'): KernelRouter {
    const base = `wx-${owner}-${process.pid}-${seq++}`;
    const k = new KernelRouter(`${base}-r`, `${base}-p`, links);
    try {
      k.setup(routes, neigh, sysctls);
    } catch (e) {
      k.close();
      throw e;
    }
    return k;
  }

  private ip(args: string): void {
    const r = spawnSync('ip', args.split(' '), { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip ${args}: ${r.stderr}`);
  }
  private sysctl(ns: string, name: string, value: number): void {
    const r = spawnSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', `${name}=${value}`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`sysctl ${name}: ${r.stderr}`);
  }

  private setup(routes: RouteCfg[], neigh: NeighCfg[], sysctls: Record<string, number>): void {
    const R = this.router;
    const P = this.probe;
    this.ip(`netns add ${R}`);
    this.ip(`netns add ${P}`);
    for (const ns of [R, P]) {
      this.sysctl(ns, 'net.ipv6.conf.default.accept_dad', 0);
      this.sysctl(ns, 'net.ipv6.conf.default.router_solicitations', 0);
      this.sysctl(ns, 'net.ipv6.conf.all.accept_dad', 0);
    }
    this.sysctl(P, 'net.ipv6.conf.default.disable_ipv6', 1);
    // wxdp's links start with send_redirects 0 (the issue: redirects off by default)
    this.sysctl(R, 'net.ipv4.conf.all.send_redirects', 0);
    this.sysctl(R, 'net.ipv4.conf.default.send_redirects', 0);
    for (const l of this.links) {
      if (l.vlan) continue;
      this.ip(`-n ${R} link add ${l.name} type veth peer name ${l.name} netns ${P}`);
      this.ip(`-n ${P} link set ${l.name} mtu ${l.mtu ?? 1500} up`);
    }
    this.batch(ipBatchLinks(this.links).join('\n'));
    for (const [name, v] of Object.entries(sysctls)) this.sysctl(R, name, v);
    for (const [name, v] of linkSysctls(this.links)) this.sysctl(R, name, v);
    // a link without IPv6 addresses keeps quiet (no MLD, no link-local address)
    for (const l of this.links) if (!l.v6?.length) this.sysctl(R, `net.ipv6.conf.${l.name}.disable_ipv6`, 1);
    this.batch(ipBatchAfterSysctls(this.links, routes, neigh).join('\n'));
  }

  private batch(text: string): void {
    const r = spawnSync('ip', ['-n', this.router, '-batch', '-'], { input: text + '\n', encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip -batch: ${r.stderr}`);
  }

  /** Send each [link, frame] into the router from the probe side, one at a time. */
  send(frames: Array<[string, Uint8Array]>, wait = 0.15): KernelResult[] {
    const input = frames.map(([l, f]) => `${l} ${hex(f)}`).join('\n') + '\n';
    const r = spawnSync('ip', ['netns', 'exec', this.probe, '/usr/bin/python3', PROBE, JSON.stringify({ router: this.router, wait })], {
      input,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`kprobe: exit ${r.status}, signal ${r.signal}${r.error ? `, ${r.error.message}` : ''}: ${r.stderr}`);
    const out = JSON.parse(r.stdout) as Array<{ tx: Array<[string, string]>; drops: string[]; counters: Record<string, number> }>;
    return out.map((o) => {
      const tx = new Map<string, Uint8Array[]>();
      for (const [l, h] of o.tx) tx.set(l, [...(tx.get(l) ?? []), Uint8Array.from(Buffer.from(h, 'hex'))]);
      return { tx, drops: o.drops, counters: o.counters };
    });
  }

  close(): void {
    spawnSync('ip', ['netns', 'del', this.router]);
    spawnSync('ip', ['netns', 'del', this.probe]);
  }
}

/**
 * A frame the router built itself, made comparable: the fields the kernel randomises cleared — an IPv4
 * header's ID and checksum (its own datagrams), an IPv6 flow label (auto flow labels hash a secret) and
 * the identification of an IPv6 fragment it made.
 */
export function maskOwn(f: Uint8Array): Uint8Array {
  const c = Uint8Array.from(f);
  let o = 12;
  while ((c[o]! << 8 | c[o + 1]!) === 0x8100 || (c[o]! << 8 | c[o + 1]!) === 0x88a8) o += 4;
  const type = (c[o]! << 8) | c[o + 1]!;
  const l3 = o + 2;
  if (type === 0x0800) {
    c[l3 + 4] = c[l3 + 5] = 0;
    c[l3 + 10] = c[l3 + 11] = 0;
  } else if (type === 0x86dd) {
    c[l3 + 1] &= 0xf0;
    c[l3 + 2] = c[l3 + 3] = 0;
    // a fragment of its own: the identification (ipv6_select_ident hashes a secret)
    if (c[l3 + 6] === 44) c.fill(0, l3 + 44, l3 + 48);
  }
  return c;
}

/**
 * The kernel's counters under the stack's names (Ip, Icmp, Ip6, Icmp6 as /proc/net/snmp{,6} print them;
 * IpExt:InCsumErrors / InNoRoutes / InTruncatedPkts are the stack's Ip: ones), `names` the ones to keep. MLD reports and router solicitations
 * the kernel sent by itself are taken back out of the Ip6/Icmp6 output counters.
 */
export function kernelMib(counters: Record<string, number>, names: Iterable<string>): Record<string, number> {
  const c = { ...counters };
  const noise = (c['Icmp6:OutMLDv2Reports'] ?? 0) + (c['Icmp6:OutRouterSolicits'] ?? 0);
  for (const k of ['Ip6:OutRequests', 'Icmp6:OutMsgs']) if (c[k]) c[k] -= noise;
  for (const n of ['InCsumErrors', 'InNoRoutes', 'InTruncatedPkts']) if (c[`IpExt:${n}`]) c[`Ip:${n}`] = c[`IpExt:${n}`]!;
  // names as /proc prints them (IpExt: for InCsumErrors, InNoRoutes, InTruncatedPkts)
  const lower = new Map(Object.entries(c).map(([k, v]) => [k.toLowerCase(), v]));
  const out: Record<string, number> = {};
  for (const n of names) {
    const v = lower.get(n.toLowerCase());
    if (v) out[n] = v;
  }
  return out;
}
