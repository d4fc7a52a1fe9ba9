// When conntrack (and its defragmentation) runs, against the kernel: Linux registers conntrack's hooks in a
// namespace only while an nftables expression uses them — ct matches and `ct mark set`, the NAT statements,
// `flow add` take a reference per table family (nf_ct_netns_get; inet: IPv4 and IPv6) and their rule's
// deletion drops it (nf_ct_netns_put); base chains take none, a NAT chain included. Fragmented echo
// requests (3,000 bytes, three fragments each family) to the host's own addresses after each ruleset step
// show it: with conntrack on for a family its fragments are reassembled by nf_defrag (IPv4: ip_defrag, which
// counts Ip:ReasmReqds for every user; IPv6: nf_ct_frag6_gather, which counts nothing, so Ip6:ReasmReqds
// stays), and `conntrack -L` lists the echo's connection; with it off, local delivery reassembles (Ip6:
// ReasmReqds 3) and nothing is tracked. Entries made stay after the last reference goes (they time out).
//
// Recorded from Linux 6.18.44 (two namespaces over a veth pair, `ping -s 3000`, nstat and `conntrack -L`
// after each step); the live check repeats it when the machine can make namespaces.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Fixture, echo4, echo6, eth, fragments4, fragments6, ipv4, ipv6, stackUnready } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { parseConntrackL } from './ct_support.js';
import type { Datapath } from '../../src/control/datapath.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('conntrack', ['--version']).status !== 0 ? 'conntrack (Debian conntrack) missing' : '') ||
  (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const M0 = '02:00:00:00:01:00';
const H0 = '02:00:00:00:02:00';
const A4 = '192.0.2.1', P4 = '192.0.2.2', A6 = '2001:db8::1', P6 = '2001:db8::2';

/** Ruleset steps (nft input), and what each showed in the kernel for one IPv4 and one IPv6 echo after it. */
interface Step {
  nft: string;
  /** wxdp's own way to the same ruleset, when not through dp.nft. */
  api?: (dp: Datapath) => void;
  /** Ip:ReasmReqds, Ip6:ReasmReqds the two echoes added. */
  reasm: [number, number];
  /** `conntrack -L`: the protocols of the entries listed after it (all steps' entries, sorted). */
  ct: string[];
}
const STEPS: Step[] = [
  { nft: '', reasm: [3, 3], ct: [] },
  // a base chain with no ct expression: nothing tracked, both families reassembled in local delivery
  { nft: 'add table inet t\nadd chain inet t c { type filter hook input priority 0; }', reasm: [3, 3], ct: [] },
  // a ct match in an inet table: both families tracked, IPv6 reassembled by conntrack's defrag (uncounted)
  { nft: 'add rule inet t c ct state established accept', reasm: [3, 0], ct: ['icmp 1', 'icmpv6 58'] },
  // its table gone: untracked again; the entries stay
  { nft: 'flush ruleset', reasm: [3, 3], ct: ['icmp 1', 'icmpv6 58'] },
  // an ip6 table's ct mark match: IPv6 only
  { nft: 'add table ip6 t6\nadd chain ip6 t6 c { type filter hook input priority 0; }\nadd rule ip6 t6 c ct mark 1', reasm: [3, 0], ct: ['icmp 1', 'icmpv6 58', 'icmpv6 58'] },
  // a NAT chain alone takes no reference
  { nft: 'delete table ip6 t6\nadd table ip n\nadd chain ip n p { type nat hook postrouting priority 100; }', reasm: [3, 3], ct: ['icmp 1', 'icmpv6 58', 'icmpv6 58'] },
  { nft: 'delete table ip n', reasm: [3, 3], ct: ['icmp 1', 'icmpv6 58', 'icmpv6 58'] },
];

// dp.nat's rules are nft NAT rules (nft_nat_init / nft_masq_init: a conntrack reference each, put by
// nft_nat_destroy when the rule goes), a family's rules at a hook one NAT chain, deleted with its last rule.
// Recorded from Linux 6.18.44 with the nft commands beside each step (a rule deleted while another of the
// family is left keeps conntrack on; the last one's deletion turns it off, though its chain stays).
const NAT_API_STEPS: Step[] = [
  { nft: '', reasm: [3, 3], ct: [] },
  {
    nft: 'add table ip6 nat\nadd chain ip6 nat post { type nat hook postrouting priority 100; }\nadd rule ip6 nat post oifname "vb" masquerade\nadd rule ip6 nat post ip6 daddr 2001:db8::9 snat to 2001:db8::5',
    api: (dp) => (dp.nat.add({ hook: 'postrouting', oif: 'eth0', family: 'ipv6', type: 'masquerade' }), dp.nat.add({ hook: 'postrouting', dst: '2001:db8::9/128', type: 'snat', to: '2001:db8::5' })),
    reasm: [3, 0], ct: ['icmpv6 58'],
  },
  { nft: 'delete rule ip6 nat post handle 2', api: (dp) => dp.nat.del(0), reasm: [3, 0], ct: ['icmpv6 58', 'icmpv6 58'] },
  { nft: 'delete rule ip6 nat post handle 3', api: (dp) => dp.nat.del(0), reasm: [3, 3], ct: ['icmpv6 58', 'icmpv6 58'] },
  {
    nft: 'add rule ip6 nat post oifname "vb" masquerade\nadd table ip nat\nadd chain ip nat pre { type nat hook prerouting priority -100; }\nadd rule ip nat pre udp dport 53 dnat to 192.0.2.7',
    api: (dp) => (dp.nat.add({ hook: 'postrouting', oif: 'eth0', family: 'ipv6', type: 'masquerade' }), dp.nat.add({ hook: 'prerouting', proto: 'udp', dport: 53, type: 'dnat', to: '192.0.2.7' })),
    reasm: [3, 0], ct: ['icmp 1', 'icmpv6 58', 'icmpv6 58', 'icmpv6 58'],
  },
  { nft: 'delete table ip6 nat', api: (dp) => dp.nat.del(0), reasm: [3, 3], ct: ['icmp 1', 'icmp 1', 'icmpv6 58', 'icmpv6 58', 'icmpv6 58'] },
  { nft: 'delete table ip nat', api: (dp) => dp.nat.flush(), reasm: [3, 3], ct: ['icmp 1', 'icmp 1', 'icmpv6 58', 'icmpv6 58', 'icmpv6 58'] },
];

const data = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

/** wxdp: each step's ruleset, then a fragmented echo request of each family to eth0's addresses (a new echo id each, as ping's). */
async function ours(steps: Step[]): Promise<Array<{ reasm: [number, number]; ct: string[] }>> {
  const fx = await Fixture.create(
    [{ name: 'eth0', mac: M0, v4: [`${A4}/24`], v6: [`${A6}/64`] }],
    [],
    [{ dev: 'eth0', addr: P4, mac: H0 }, { dev: 'eth0', addr: P6, mac: H0 }],
  );
  const out: Array<{ reasm: [number, number]; ct: string[] }> = [];
  steps.forEach((s, i) => {
    if (s.api) s.api(fx.dp);
    else if (s.nft) fx.dp.nft(s.nft);
    const before = fx.mib();
    const d4 = ipv4({ src: P4, dst: A4, proto: 1, id: 0x5100 + i }, echo4(0x7700 + i, 1, data(3000, i)));
    for (const f of fragments4(d4, 1500)) fx.rx('eth0', eth({ dst: M0, src: H0, type: 0x0800 }, f));
    const d6 = ipv6({ src: P6, dst: A6, nh: 58 }, echo6(P6, A6, 0x7800 + i, 1, data(3000, i)));
    for (const f of fragments6(d6, 1500, 0x6100 + i)) fx.rx('eth0', eth({ dst: M0, src: H0, type: 0x86dd }, f));
    const m = fx.mib();
    out.push({
      reasm: [m['Ip:ReasmReqds']! - before['Ip:ReasmReqds']!, m['Ip6:ReasmReqds']! - before['Ip6:ReasmReqds']!],
      ct: parseConntrackL(fx.dp.conntrack.format()).map((l) => l.proto).sort(),
    });
  });
  return out;
}

describe('conntrack runs while an expression uses it (nf_ct_netns_get / put)', () => {
  it.skipIf(unready)('wxdp reassembles and tracks as Linux 6.18 did at each ruleset step', async () => {
    expect(await ours(STEPS)).toEqual(STEPS.map((s) => ({ reasm: s.reasm, ct: s.ct })));
  });

  it.skipIf(unready)('dp.nat\'s rules hold conntrack as the nft NAT rules they stand for: deleting or flushing them puts it back', async () => {
    expect(await ours(NAT_API_STEPS)).toEqual(NAT_API_STEPS.map((s) => ({ reasm: s.reasm, ct: s.ct })));
  });

  it.skipIf(unready)('a rule deleted by handle drops its reference; the other rule of the family keeps conntrack on', async () => {
    const fx = await Fixture.create([{ name: 'eth0', mac: M0, v4: [`${A4}/24`] }]);
    const x = fx.dp.fastPath.exports as unknown as { nf_ct_netns_users(pf: number): number };
    fx.dp.nft('add table ip t\nadd chain ip t c { type filter hook forward priority 0; }\nadd rule ip t c ct state new accept\nadd rule ip t c ip daddr 192.0.2.9 ct mark set 5');
    expect([x.nf_ct_netns_users(2), x.nf_ct_netns_users(10)]).toEqual([1, 0]);
    fx.dp.nft('delete rule ip t c handle 2');
    expect(x.nf_ct_netns_users(2)).toBe(1);
    fx.dp.nft('delete rule ip t c handle 3');
    expect(x.nf_ct_netns_users(2)).toBe(0);
    // dp.conntrack.enable holds its own, once however often it is called
    fx.dp.conntrack.enable();
    fx.dp.conntrack.enable();
    fx.dp.nft('add rule ip t c ct mark 1');
    fx.dp.nft('flush ruleset');
    expect([x.nf_ct_netns_users(2), x.nf_ct_netns_users(10)]).toEqual([1, 1]);
  });

  // nf_tables_newflowtable registers the flowtable's ingress hooks and takes no conntrack reference; the
  // `flow add` expression does (nft_flow_offload_init: nf_ct_netns_get with its table's family). Read
  // from net/netfilter/nf_tables_api.c and nft_flow_offload.c: this kernel has no CONFIG_NF_FLOW_TABLE,
  // so a live check cannot make the flowtable (`flowtable f { … }` fails with ENOENT).
  it.skipIf(unready)('a flowtable alone takes no conntrack reference; its `flow add` rule takes one per family of the table', async () => {
    const fx = await Fixture.create([{ name: 'eth0', mac: M0, v4: [`${A4}/24`] }, { name: 'eth1', mac: '02:00:00:00:01:01', v4: ['198.51.100.1/24'] }]);
    const x = fx.dp.fastPath.exports as unknown as { nf_ct_netns_users(pf: number): number };
    fx.dp.nft('add table inet t\nadd flowtable inet t f { hook ingress priority 0; devices = { eth0, eth1 }; }\nadd chain inet t c { type filter hook forward priority 0; }');
    expect([x.nf_ct_netns_users(2), x.nf_ct_netns_users(10)]).toEqual([0, 0]);
    fx.dp.nft('add rule inet t c ip protocol tcp flow add @f');
    expect([x.nf_ct_netns_users(2), x.nf_ct_netns_users(10)]).toEqual([1, 1]);
    fx.dp.nft('delete rule inet t c handle 3');
    expect([x.nf_ct_netns_users(2), x.nf_ct_netns_users(10)]).toEqual([0, 0]);
    // dp.flowtable's own offload rule is such a rule: its reference goes with the flowtable
    fx.dp.flowtable.create({ name: 'api', devices: ['eth0', 'eth1'] });
    expect(x.nf_ct_netns_users(2)).toBe(1);
    fx.dp.flowtable.delete('api');
    expect(x.nf_ct_netns_users(2)).toBe(0);
  });

  it.skipIf(noKernel)('the recorded steps are what the kernel does now (namespaces, veth, ping)', () => kernelSteps(STEPS));
  it.skipIf(noKernel)('the recorded dp.nat steps are what the kernel does now with their nft commands', () => kernelSteps(NAT_API_STEPS));
});

/** The steps' nft commands in a namespace of the kernel, an echo of each family after each. */
function kernelSteps(steps: Step[]): void {
  const tag = `ksct${process.pid}`;
  const A = `${tag}a`, B = `${tag}b`;
  const sh = (cmd: string, input?: string): string => {
    const r = spawnSync('sh', ['-c', cmd], { input, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
    return r.stdout;
  };
  const nstat = (): Record<string, number> => Object.fromEntries(
    sh(`ip netns exec ${B} nstat -asz`).split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f.length >= 2).map((f) => [f[0]!, Number(f[1])]));
  try {
    sh(`ip netns add ${A} && ip netns add ${B} && ip link add va netns ${A} type veth peer name vb netns ${B}`);
    sh(`ip -n ${A} link set va up && ip -n ${B} link set vb up && ip -n ${A} addr add ${P4}/24 dev va && ip -n ${B} addr add ${A4}/24 dev vb`);
    sh(`ip -n ${A} addr add ${P6}/64 dev va nodad && ip -n ${B} addr add ${A6}/64 dev vb nodad`);
    const got: Array<{ reasm: [number, number]; ct: string[] }> = [];
    for (const s of steps) {
      if (s.nft) sh(`ip netns exec ${B} nft -f -`, s.nft + '\n');
      const before = nstat();
      sh(`ip netns exec ${A} ping -c1 -W2 -s 3000 ${A4} >/dev/null && ip netns exec ${A} ping -6 -c1 -W2 -s 3000 ${A6} >/dev/null`);
      const after = nstat();
      got.push({
        reasm: [after['IpReasmReqds']! - before['IpReasmReqds']!, after['Ip6ReasmReqds']! - before['Ip6ReasmReqds']!],
        ct: parseConntrackL(spawnSync('ip', ['netns', 'exec', B, 'conntrack', '-L'], { encoding: 'utf8' }).stdout).map((l) => l.proto).sort(),
      });
    }
    expect(got).toEqual(steps.map((s) => ({ reasm: s.reasm, ct: s.ct })));
  } finally {
    spawnSync('ip', ['netns', 'del', A]);
    spawnSync('ip', ['netns', 'del', B]);
  }
}
