// The generator of tests/nf/nf_fuzz_kernel.test.ts: a seeded nftables rule set within wxdp's subset
// (ct state matches, NAT with address and port ranges, counters, every reject variant, drops) and
// seeded flows between the hosts of tests/net/fixtures/router.batch (IPv4 and IPv6; TCP with flag
// sequences, UDP, ICMP echo, ICMP errors quoting an earlier packet of the flow as it left the router — with
// genFlow's `fq` some quoted as a first or a later fragment — fragments). A flow is a script of steps; a reply step is made when it is sent, from what the kernel
// forwarded last in the other direction (addresses and ports swapped, back in the port it came out of),
// so NAT's choices are the kernel's and wxdp gets the very same frames. With a fourth generator (`ft`)
// some rule sets declare `flowtable ft` with `flow add|offload @ft` rules first in the forward chain, and
// half their TCP / UDP flows go on past the offload (flowtableSteps).
//
// Nondeterminism the kernel has and the generator keeps out: SNAT/masquerade port ranges always hold
// the flow's source port and every flow has its own (nf_nat_l4proto_unique_tuple draws a random offset
// when the port must change: get_random_u16); `random`/`fully-random` only where they leave no choice
// (a DNAT or redirect to one port or none: natMore); destinations have permanent
// neighbours (no ARP timing); no incomplete fragments (reassembly timeouts).

import { concat, eth, ETH_P_IP, ETH_P_IPV6, icmp4, icmp6, inetChecksum, ipv4, ipv6, pattern, udp } from '../support/frames.js';
import type { Rng } from '../support/gen.js';
import { ipv4Bytes, ipv6Bytes } from '../../src/control/addresses.js';
import { MAC } from '../net/router_cases.js';

const u16 = (v: number) => Uint8Array.of((v >>> 8) & 0xff, v & 0xff);
const u32 = (v: number) => Uint8Array.of((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);

export const TCPF = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20 } as const;
const { FIN, SYN, RST, PSH, ACK, URG } = TCPF;

/** The router's port MACs and the hosts behind each port (router.batch). */
export const PORT_MAC: Record<string, string> = { eth0: MAC.r0, eth1: MAC.r1, eth2: MAC.r2 };

interface Host {
  port: string;
  mac: string;
  v4: string[];
  v6: string[];
}

/** Addresses reachable behind each port (directly or through the port's host), all with permanent neighbours. */
export const HOSTS: Host[] = [
  { port: 'eth0', mac: MAC.h1, v4: ['198.51.100.2', '198.51.100.4', '198.51.100.5'], v6: ['2001:db8:1::2'] },
  { port: 'eth0', mac: MAC.h1b, v4: ['198.51.100.3', '192.0.2.200'], v6: [] },
  { port: 'eth1', mac: MAC.h2, v4: ['203.0.113.2', '198.51.100.70', '198.51.100.90'], v6: ['2001:db8:2::2', '2001:db8:10::5', '2001:db8:10::6'] },
  { port: 'eth2', mac: MAC.h3, v4: ['192.0.2.2', '192.0.2.70', '192.0.2.80'], v6: ['2001:db8:3::2', '2001:db8:30::5', '2001:db8:30::6'] },
];
export const ROUTER4: Record<string, string> = { eth0: '198.51.100.1', eth1: '203.0.113.1', eth2: '192.0.2.1' };
export const ROUTER6: Record<string, string> = { eth0: '2001:db8:1::1', eth1: '2001:db8:2::1', eth2: '2001:db8:3::1' };
const PORT_NAMES = ['eth0', 'eth1', 'eth2'];
/** IP packet size each port takes (router.batch: eth2 has MTU 1280). */
const MTU: Record<string, number> = { eth0: 1500, eth1: 1500, eth2: 1280 };

// ---- the rule set ----

/** Service ports the flows draw their destination from (rules name these). */
const SERVICES = [22, 53, 80, 443, 8080, 9, 7, 5000];

/** An nftables rule set (nft -f text) and the DNAT/redirect targets flows may aim at. */
export interface Ruleset {
  text: string;
  /** Destinations a DNAT/redirect rule catches: flows sometimes use them. */
  virtual: Array<{ v6: boolean; addr: string; proto: 'tcp' | 'udp'; port: number; iif: string }>;
  /** A flowtable is declared and `flow add @ft` rules put in the forward chain (genRuleset's `ft`). */
  flowtable: boolean;
  /** The text without the flowtable and its `flow add` / `flow offload` statements (for a kernel without nf_flow_table). */
  slowText: string;
}

const REJECT4 = ['net-unreachable', 'host-unreachable', 'prot-unreachable', 'port-unreachable', 'net-prohibited', 'host-prohibited', 'admin-prohibited'];
const REJECT6 = ['no-route', 'admin-prohibited', 'addr-unreachable', 'port-unreachable', 'policy-fail', 'reject-route'];
const REJECTX = ['port-unreachable', 'admin-prohibited', 'no-route', 'host-unreachable'];

function filterRule(g: Rng): string {
  const proto = g.pick(['tcp', 'udp']);
  const port = g.pick(SERVICES);
  const host = g.pick(HOSTS);
  switch (g.int(14)) {
    case 0:
      return `ct state established,related ${g.pick(['accept', 'counter accept'])}`;
    case 1:
      return `ct state invalid ${g.pick(['drop', 'counter drop', 'counter', 'reject'])}`;
    case 2:
      return `ct state new ${proto} dport ${port} counter ${g.pick(['accept', 'drop', 'reject'])}`;
    case 3:
      return `tcp dport ${port} reject with tcp reset`;
    case 4:
      return `${proto} dport ${port} counter reject`;
    case 5:
      return `meta nfproto ipv4 ${proto} dport ${port} reject with icmp type ${g.pick(REJECT4)}`;
    case 6:
      return `meta nfproto ipv6 ${proto} dport ${port} reject with icmpv6 type ${g.pick(REJECT6)}`;
    case 7:
      return `${proto} dport ${port} reject with icmpx type ${g.pick(REJECTX)}`;
    case 8:
      return `ip saddr ${g.pick(host.v4)} ${proto} dport ${port} counter drop`;
    case 9:
      return host.v6.length ? `ip6 daddr ${g.pick(host.v6)} counter drop` : `ip daddr ${g.pick(host.v4)} counter drop`;
    case 10:
      return `ct state { new, untracked } meta l4proto ${g.pick(['icmp', 'ipv6-icmp', 'udp'])} counter`;
    case 11:
      return `iifname "${g.pick(PORT_NAMES)}" ${proto} sport ${g.pick(SERVICES)} counter ${g.pick(['drop', 'accept'])}`;
    case 12:
      return `ct state related counter ${g.pick(['accept', 'drop'])}`;
    default:
      return `ct state new counter`;
  }
}

function natAddr4(g: Rng, port: string): string {
  // the port's own address, another address on its subnet (no one owns it: the router answers for it only through conntrack), or a range
  const base = ROUTER4[port]!.split('.').slice(0, 3).join('.');
  switch (g.int(4)) {
    case 0:
      return ROUTER4[port]!;
    case 1:
      return `${base}.${40 + g.int(10)}`;
    default: {
      const a = 40 + g.int(10);
      return `${base}.${a}-${base}.${a + 1 + g.int(6)}`;
    }
  }
}

function natAddr6(g: Rng, port: string): string {
  const base = ROUTER6[port]!.replace(/::1$/, '::');
  switch (g.int(3)) {
    case 0:
      return ROUTER6[port]!;
    case 1:
      return `${base}${(0x40 + g.int(10)).toString(16)}`;
    default: {
      const a = 0x40 + g.int(10);
      return `${base}${a.toString(16)}-${base}${(a + 1 + g.int(6)).toString(16)}`;
    }
  }
}

/** A source port range that holds every flow's source port (40000–40999): the kernel keeps the port. */
const srcPorts = (g: Rng): string => g.pick(['', '', `:40000-41999`, `:1024-65535`, `:39000-40999`]);

// Rules as people write them (from a third generator, `x`): anonymous and named sets, prefixes and
// ranges, verdict maps, a user chain reached by jump/goto, tcp flags under a mask, marks set and matched,
// icmp types, ttl/hop limit compares, concatenations.
const SETS = [
  '\tset hosts4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { 198.51.100.2-198.51.100.4, 192.0.2.64/27, 203.0.113.2 }\n\t}',
  '\tset hosts6 {\n\t\ttype ipv6_addr\n\t\tflags interval\n\t\telements = { 2001:db8:10::/64, 2001:db8:3::2 }\n\t}',
  '\tset svc {\n\t\ttype inet_service\n\t\telements = { 22, 53, 443, 5000 }\n\t}',
];
const USER_CHAIN = ['tcp dport 22 counter accept', 'udp dport 53 counter return', 'ct state new counter', 'meta l4proto icmp counter drop', 'ip6 nexthdr ipv6-icmp counter accept', 'tcp flags & (syn | ack) == syn counter'];

function userRule(x: Rng): string {
  const proto = x.pick(['tcp', 'udp']);
  const verdict = (): string => x.pick(['', ' accept', ' drop']);
  const ports = (): string => [...new Set(Array.from({ length: 2 + x.int(3) }, () => x.pick(SERVICES)))].join(', ');
  switch (x.int(16)) {
    case 0:
      return `${proto} dport { ${ports()} } counter${verdict()}`;
    case 1:
      return `ip ${x.pick(['saddr', 'daddr'])} ${x.pick(['!= ', ''])}${x.pick(['198.51.100.0/24', '198.51.100.0/30', '192.0.2.64/26', '203.0.113.0/25', '192.0.2.0/31'])} counter${verdict()}`;
    case 2:
      return `ip6 ${x.pick(['saddr', 'daddr'])} ${x.pick(['2001:db8:10::/64', '2001:db8:30::/63', '2001:db8::/32', '2001:db8:3::/126'])} counter${verdict()}`;
    case 3:
      return `${proto} ${x.pick(['sport', 'dport'])} ${x.pick(['!= ', ''])}${x.pick(['1-1023', '5000-9000', '40000-40499', '53-80'])} counter${verdict()}`;
    case 4:
      return `ct state vmap { established : accept, related : accept, invalid : drop${x.chance(0.5) ? ', new : jump user' : ''} }`;
    case 5:
      {
      // distinct keys (nft: "File exists" for a key twice)
      const [a, b] = [x.pick([22, 53, 80]), x.pick([443, 8080, 5000])];
      return `${proto} dport vmap { ${x.chance(0.5) ? `${a} : accept, ${b} : jump user` : `${b} : accept, ${a} : jump user`}, 7 : drop }`;
    }
    case 6:
      return `ip ${x.pick(['saddr', 'daddr'])} @hosts4 counter${verdict()}`;
    case 7:
      return `ip6 ${x.pick(['saddr', 'daddr'])} @hosts6 counter${verdict()}`;
    case 8:
      return `${proto} dport @svc counter${verdict()}`;
    case 9:
      return `${x.pick(['jump', 'goto'])} user`;
    case 10:
      return `tcp flags & (${x.pick(['syn | ack', 'fin | syn | rst | ack', 'rst', 'syn | fin'])}) ${x.pick(['==', '!='])} ${x.pick(['syn', 'syn | ack', 'rst', 'ack', '0x0'])} counter${verdict()}`;
    case 11: {
      const m = 1 + x.int(3);
      return x.chance(0.5) ? `${proto} dport ${x.pick(SERVICES)} ${x.pick(['meta', 'ct'])} mark set ${m} counter` : `${x.pick(['meta', 'ct'])} mark ${m} counter${verdict()}`;
    }
    case 12:
      return x.chance(0.5)
        ? `icmp type { ${x.pick(['echo-request', 'echo-reply', 'destination-unreachable', 'time-exceeded'])}, ${x.pick(['echo-request', 'parameter-problem'])} } counter${verdict()}`
        : `icmpv6 type ${x.pick(['echo-request', 'echo-reply', 'destination-unreachable', 'packet-too-big', 'time-exceeded'])} counter${verdict()}`;
    case 13:
      return x.chance(0.5) ? `ip ttl ${x.pick(['<', '>', '!=', ''])} ${x.pick([1, 2, 63, 64, 200])} counter` : `ip6 hoplimit ${x.pick(['<', '>=', ''])} ${x.pick([1, 2, 64, 255])} counter`;
    case 14:
      return `ip daddr . ${proto} dport { ${x.pick(HOSTS).v4[0]} . ${x.pick(SERVICES)}, 192.0.2.2 . ${x.pick(SERVICES)} } counter${verdict()}`;
    default:
      return `${x.chance(0.5) ? `iifname { "${x.pick(PORT_NAMES)}", "${x.pick(PORT_NAMES)}" }` : `meta l4proto { tcp, udp }`} ${x.chance(0.5) ? `th dport ${x.pick(SERVICES)} ` : ''}ct direction ${x.pick(['original', 'reply'])} counter${verdict()}`;
  }
}

/**
 * The rule set from `g`; `x` (a third generator, so each seed's rules and flows stay what they were)
 * adds rules as people write them at random places in the filter chains, with the sets and chain they use.
 */
export function genRuleset(g: Rng, x?: Rng, ft?: Rng, m?: Rng, k?: Rng, b?: Rng, q?: Rng): Ruleset {
  const virtual: Ruleset['virtual'] = [];
  const fwdPolicy = g.pick(['accept', 'accept', 'drop']);
  const fwd: string[] = [];
  if (fwdPolicy === 'drop' || g.chance(0.5)) fwd.push('ct state established,related counter accept');
  for (let i = g.int(7); i > 0; i--) fwd.push(filterRule(g));
  if (fwdPolicy === 'drop') fwd.push(`ct state new counter accept`);
  const input: string[] = [];
  for (let i = g.int(3); i > 0; i--) input.push(filterRule(g));
  const lines = ['table inet filter {'];
  if (x) {
    for (let i = 1 + x.int(5); i > 0; i--) fwd.splice(x.int(fwd.length + 1), 0, userRule(x));
    for (let i = x.int(3); i > 0; i--) input.splice(x.int(input.length + 1), 0, userRule(x));
    const user = Array.from({ length: 1 + x.int(3) }, () => x.pick(USER_CHAIN));
    lines.push(...SETS, '\tchain user {', ...user.map((r) => `\t\t${r}`), '\t}');
  }
  const flowtable = ft !== undefined && ft.chance(0.6);
  if (ft && flowtable) {
    // the devices: all three ports or two of them (a frame in by a port not in the flowtable takes the slow path)
    // (the filter draws anew for each port, so it can leave none: seed 550's `devices = {  }`, which nft
    // refuses; all three then, with no further draw, so the other seeds' rule sets stay as they were)
    const some = ft.chance(0.6) ? PORT_NAMES : PORT_NAMES.filter((p) => p !== ft.pick(PORT_NAMES));
    const devs = some.length ? some : PORT_NAMES;
    lines.push('\tflowtable ft {', `\t\thook ingress priority ${ft.pick(['filter', '0', '-100', '10', 'filter + 5'])}`, `\t\tdevices = { ${devs.join(', ')} }`, ...(ft.chance(0.4) ? ['\t\tcounter'] : []), '\t}');
    // first in the chain, then established packets accepted: an offloaded connection's packets skip the
    // forward chain, so against a kernel without nf_flow_table only a chain whose other rules see new
    // connections alone forwards the same (seed 427: a drop by source address, a reject by port, that the
    // flowtable's hits passed by)
    const offload = Array.from({ length: 1 + ft.int(2) }, () => flowRule(ft));
    fwd.unshift(...offload, `ct state established,related ${ft.pick(['', 'counter '])}accept`);
  }
  if (m && m.chance(0.4)) {
    // a raw-priority prerouting chain that takes some traffic out of conntrack (nft_notrack): no NAT for it,
    // `ct state untracked` in the filter chains; a drop policy lets it through only where a rule says so
    const raw = Array.from({ length: 1 + m.int(2) }, () => notrackRule(m));
    const prio = m.pick(['raw', '-300', 'raw + 1']);
    const untracked = m.chance(0.6) ? [m.int(fwd.length + 1), `ct state untracked ${m.pick(['counter accept', 'counter', 'accept', 'counter drop'])}`] as const : undefined;
    // drawn but left out with a flowtable: a notrack rule takes one direction out of conntrack, whose
    // packets an offloaded flow's entry still forwards at ingress, before prerouting; a kernel without
    // nf_flow_table (the slow path) untracks and drops them (seed 581: the replies to 2001:db8:10::6)
    if (!flowtable) {
      lines.push('\tchain raw {', `\t\ttype filter hook prerouting priority ${prio}; policy accept;`, ...raw.map((r) => `\t\t${r}`), '\t}');
      if (untracked) fwd.splice(untracked[0], 0, untracked[1]);
    }
  }
  if (k && !flowtable && k.chance(0.6)) {
    // marks set before routing (a prerouting chain at mangle priority, before dstnat) that
    // MARK_RULES' fwmark rules route by, saved to and restored from the connection's mark. Not with a
    // flowtable: against a kernel without one (the slow path) an offloaded packet would still pass the
    // chain and be routed by its own mark (seed 559: a reply by table 77 on the slow path, by the flow's
    // cached route in wxdp; `ct mark set meta mark` setting back on the slow path what only the
    // offloaded connection's first packets set in wxdp)
    const pre = Array.from({ length: 1 + k.int(4) }, () => markRule(k));
    // marks through binary operations (nft_bitwise) from a seventh generator, among k's
    if (b) {
      for (let i = 1 + b.int(3); i > 0; i--) pre.splice(b.int(pre.length + 1), 0, bitwiseMarkRule(b));
      for (let i = b.int(3); i > 0; i--) fwd.splice(b.int(fwd.length + 1), 0, bitwiseMarkMatch(b));
    }
    lines.push('\tchain mangle {', `\t\ttype filter hook prerouting priority ${k.pick(['mangle', '-150', 'mangle + 5', 'dstnat - 1'])}; policy accept;`, ...pre.map((r) => `\t\t${r}`), '\t}');
    for (let i = k.int(3); i > 0; i--) fwd.splice(k.int(fwd.length + 1), 0, `${k.pick(['meta', 'ct'])} mark ${k.pick(['0x7', '0x8', '0x9', '!= 0x0', '{ 0x8, 0xa }'])} counter${k.pick(['', ' accept', ' drop'])}`);
    if (k.chance(0.3)) input.splice(k.int(input.length + 1), 0, `meta mark ${k.pick(['0x7', '0x8'])} counter`);
  }
  if (q && q.chance(0.7)) {
    // stateful statements along the flows (an eighth generator): named counters, quotas and limits (declared
    // first in the table) and inline ones, in the input chain, and in the forward chain without a flowtable
    // (against the slow path an offloaded packet would still pass them)
    lines.push(...STATEFUL_OBJECTS);
    for (let i = 1 + q.int(4); i > 0 && !flowtable; i--) fwd.splice(q.int(fwd.length + 1), 0, statefulRule(q));
    for (let i = q.int(3); i > 0; i--) input.splice(q.int(input.length + 1), 0, statefulRule(q));
  }
  lines.push('\tchain forward {', `\t\ttype filter hook forward priority filter; policy ${fwdPolicy};`, ...fwd.map((r) => `\t\t${r}`), '\t}');
  lines.push('\tchain input {', `\t\ttype filter hook input priority filter; policy accept;`, ...input.map((r) => `\t\t${r}`), '\t}', '}');

  for (const fam of ['ip', 'ip6'] as const) {
    if (!g.chance(0.75)) continue;
    const v6 = fam === 'ip6';
    const pre: string[] = [];
    const post: string[] = [];
    for (let i = g.int(3); i > 0; i--) {
      const iif = g.pick(PORT_NAMES);
      const proto = g.pick(['tcp', 'udp'] as const);
      const port = g.pick([8080, 5000, 53, 2222]);
      const inside = g.pick(HOSTS.filter((h) => h.port !== iif && (v6 ? h.v6.length : true)));
      const to = v6 ? g.pick(inside.v6) : g.pick(inside.v4);
      const vaddr = v6 ? ROUTER6[iif]! : g.pick([ROUTER4[iif]!, HOSTS.find((h) => h.port !== iif && h.port !== inside.port)!.v4[1]!]);
      if (g.chance(0.25)) {
        pre.push(`iifname "${iif}" ${proto} dport ${port} redirect to :${g.pick([9, 7, 22, 53])}`);
        virtual.push({ v6, addr: v6 ? ROUTER6[iif]! : vaddr, proto, port, iif });
        continue;
      }
      const target = g.pick([
        v6 ? `[${to}]` : to,
        v6 ? `[${to}]:${g.pick([80, 53, 22])}` : `${to}:${g.pick([80, 53, 22])}`,
        v6 ? `[${to}]:80-90` : `${to}:80-90`,
        // an address range up to .9 (::9), or nine past a host above it (nft refuses an empty range)
        v6 ? `${to}-${to.replace(/:[0-9a-f]+$/, ':9')}` : `${to}-${to.replace(/\.(\d+)$/, (_m, d: string) => `.${Number(d) <= 9 ? 9 : Number(d) + 9}`)}`,
      ]);
      const daddrSel = v6 ? `ip6 daddr ${vaddr}` : `ip daddr ${vaddr}`;
      pre.push(`${g.chance(0.5) ? `iifname "${iif}" ` : ''}${daddrSel} ${proto} dport ${port} ${g.chance(0.3) ? 'counter ' : ''}dnat to ${target}`);
      virtual.push({ v6, addr: vaddr, proto, port, iif });
    }
    for (let i = g.int(3); i > 0; i--) {
      const oif = g.pick(PORT_NAMES);
      switch (g.int(3)) {
        case 0:
          {
          // a port range needs a transport protocol match (nft: "transport protocol mapping is only valid after transport protocol match")
          const ports = srcPorts(g);
          post.push(`oifname "${oif}" ${ports ? `meta l4proto ${g.pick(['tcp', 'udp'])} ` : ''}${g.chance(0.3) ? 'counter ' : ''}masquerade${ports.replace(':', ' to :')}`);
          break;
        }
        case 1: {
          const src = g.pick(HOSTS.filter((h) => h.port !== oif && (v6 ? h.v6.length : true)));
          const sel = v6 ? `ip6 saddr ${g.pick(src.v6)}` : `ip saddr ${g.pick(src.v4)}`;
          const to = v6 ? natAddr6(g, oif) : natAddr4(g, oif);
          // an IPv6 range takes no port range in this form (nft: "syntax error, unexpected '['")
          const ports = v6 && to.includes('-') ? '' : srcPorts(g);
          post.push(`oifname "${oif}" ${sel} ${ports ? `meta l4proto ${g.pick(['tcp', 'udp'])} ` : ''}snat to ${v6 && ports ? `[${to}]` : to}${ports}`);
          break;
        }
        default:
          post.push(`oifname "${oif}" meta l4proto ${g.pick(['icmp', 'ipv6-icmp', 'udp', 'tcp'])} counter`);
      }
    }
    if (m) natMore(m, v6, pre, post, virtual);
    lines.push(`table ${fam} nat {`);
    lines.push('\tchain prerouting {', '\t\ttype nat hook prerouting priority dstnat; policy accept;', ...pre.map((r) => `\t\t${r}`), '\t}');
    lines.push('\tchain postrouting {', '\t\ttype nat hook postrouting priority srcnat; policy accept;', ...post.map((r) => `\t\t${r}`), '\t}', '}');
  }
  const text = lines.join('\n') + '\n';
  return { text, virtual, flowtable, slowText: flowtable ? slowPath(text) : text };
}

/**
 * The fwmark rules and tables genRuleset's `k` routes by (nf_fuzz_config's MARK_CONFIG adds them to the
 * router): mark 0x7 looks up table 77 (h2's far subnets by h3 and h3's by h2, both families), marks
 * 0x8-0xb table 78 (h2's far subnet prohibited, h3's IPv6 one unreachable); anything else falls to main.
 * Marks 1-3 (userRule's) match neither.
 */
export const MARK_RULES = [
  'rule add fwmark 0x7 lookup 77 pref 500',
  'rule add fwmark 0x8/0xc lookup 78 pref 510',
  'route add 198.51.100.64/26 via 192.0.2.2 dev eth2 table 77',
  'route add 192.0.2.64/26 via 203.0.113.2 dev eth1 table 77',
  'route add prohibit 198.51.100.64/26 table 78',
];
/** MARK_RULES' IPv6 half, for `ip -6` on each side (an ip batch line takes no -6; `from ::/0` stays IPv4, EEXIST on both). */
export const MARK_RULES6 = [
  'rule add fwmark 0x7 lookup 77 pref 500',
  'rule add fwmark 0x8/0xc lookup 78 pref 510',
  'route add 2001:db8:10::/64 via 2001:db8:3::2 dev eth2 table 77',
  'route add 2001:db8:30::/64 via 2001:db8:2::2 dev eth1 table 77',
  'route add unreachable 2001:db8:30::/64 table 78',
];

/** A mark rule of genRuleset's mangle chain: a mark set by port, address or device, saved, restored, matched. */
function markRule(k: Rng): string {
  const mark = (): string => k.pick(['0x7', '0x7', '0x8', '0xa', '0x3']);
  switch (k.int(9)) {
    case 0:
      return `iifname "${k.pick(PORT_NAMES)}" meta mark set ${mark()}${k.pick(['', ' counter'])}`;
    case 1:
      return `${k.pick(['tcp', 'udp'])} dport ${k.pick(SERVICES)} meta mark set ${mark()}`;
    case 2: {
      const h = k.pick(HOSTS);
      return h.v6.length && k.chance(0.5) ? `ip6 saddr ${k.pick(h.v6)} meta mark set ${mark()}` : `ip saddr ${k.pick(h.v4)} meta mark set ${mark()}`;
    }
    case 3:
      return `ct state new ct mark set ${mark()}`;
    case 4:
      // the restore, as is or through a map
      return k.chance(0.5) ? 'meta mark set ct mark' : `meta mark set ct mark map { 0x7 : 0x7, 0x8 : 0x8, 0xa : 0xa }`;
    case 5:
      // the save
      return k.chance(0.5) ? `${k.pick(['', 'meta mark != 0x0 '])}ct mark set meta mark` : `ct mark set meta mark map { 0x7 : 0x7, 0x8 : 0x8, 0x0 : 0x0 }`;
    case 6:
      return `ct mark ${mark()} meta mark set ${mark()}`;
    case 7:
      return `meta mark ${mark()} ct mark set ${mark()} counter`;
    default:
      return `${k.pick(['meta l4proto icmp', 'meta l4proto ipv6-icmp', 'ct direction reply', 'ct state established'])} meta mark set ${mark()}`;
  }
}

/**
 * A mangle rule setting or matching a mark through binary operations (nft_bitwise's mask / xor and shifts): the
 * marks MARK_RULES route by (0x7, 0x8 / 0xc) made from others by or, and, xor, shift, under masked matches.
 */
function bitwiseMarkRule(b: Rng): string {
  const which = (): string => b.pick(['meta', 'ct']);
  switch (b.int(8)) {
    case 0:
      return `meta mark set meta mark ${b.pick(['| 0x8', '| 0x7', '& 0xfffffff0 | 0x7', '& 0x3 | 0x8', '^ 0x2', '^ 0xf', 'and 0xc or 0x3'])}`;
    case 1: {
      const w = which();
      return `meta mark set ${b.pick([`${w} mark << 1`, `${w} mark >> 1`, `${w} mark >> 4 & 0xf`, `(${w} mark & 0xf0) >> 4`, `${w} mark << 8 >> 8`])}`;
    }
    case 2:
      return `ct mark set ${which()} mark ${b.pick(['& 0xff', '| 0x7', '^ 0x1', '& 0xfc | 0x8'])}`;
    case 3:
      return `${which()} mark & 0xc == 0x8 meta mark set meta mark ${b.pick(['| 0x3', '& 0x8', '^ 0x1'])}${b.pick(['', ' counter'])}`;
    case 4:
      return `${which()} mark & ${b.pick(['0x3', '0xf', '0xfffffff8', '0xffff0000'])} ${b.pick(['== 0x0', '!= 0x0', '== 0x3', '0x1-0x7', '{ 0x0, 0x3 }'])} meta mark set ${b.pick(['0x7', '0x8', '0xb', '0x10'])}`;
    case 5:
      return `meta mark ^ 0x1 ${b.pick(['== 0x6', '!= 0x6', '{ 0x6, 0x9 }'])} meta mark set meta mark ^ 0x1 counter`;
    case 6:
      return `meta mark | 0x1 == ${b.pick(['0x7', '0x3', '0x9'])} ct mark set meta mark & 0xe`;
    default:
      return `meta mark set ${b.pick(['0x1 | 0x6', '(0xf0 | 0x08) & 0xf', '0x2 ^ 0xa'])}`;
  }
}

/** A forward-chain match of a mark through a mask (the counters compared; some accept or drop). */
function bitwiseMarkMatch(b: Rng): string {
  const sel = b.pick(['meta', 'ct']);
  const m = b.pick(['& 0xc == 0x8', '& 0x3 != 0x0', '& 0xf 0x7-0x9', '& 0xff { 0x7, 0x8 }', '& 0xfffffff8 == 0x8', '^ 0x7 == 0x0', '| 0x1 != 0x7', '& 0xf0 == 0x0']);
  return `${sel} mark ${m} counter${b.pick(['', '', ' accept', ' drop'])}`;
}

/**
 * genRuleset's `q`: table inet filter's named stateful objects (nft_counter, nft_quota, nft_limit as objects), some
 * with state given at load. Limits per hour or day: a run of a few tens of seconds refills under a hundredth of one
 * packet's cost, so which packets pass is the burst's and the flows' business, not the clock's.
 */
const STATEFUL_OBJECTS = [
  '\tcounter ca {\n\t}',
  '\tcounter cb {\n\t\tpackets 5 bytes 300\n\t}',
  '\tquota qa {\n\t\tover 2000 bytes\n\t}',
  '\tquota qb {\n\t\tuntil 900 bytes used 100 bytes\n\t}',
  '\tquota qc {\n\t\t400 bytes\n\t}',
  '\tlimit la {\n\t\trate 3/hour burst 4 packets\n\t}',
  '\tlimit lb {\n\t\trate over 2 kbytes/hour burst 1500 bytes\n\t}',
];

/** A rule of `q`: an inline quota or limit, a named object, an object chosen by a map (nft_objref_map), under a match or none. */
function statefulRule(q: Rng): string {
  const proto = q.pick(['tcp', 'udp']);
  const verdict = (): string => q.pick(['', '', ' accept', ' drop']);
  const sel = (): string => q.pick(['', '', `${proto} dport ${q.pick(SERVICES)} `, `meta l4proto ${q.pick(['icmp', 'ipv6-icmp', 'tcp', 'udp'])} `, `iifname "${q.pick(PORT_NAMES)}" `, 'ct state new ', 'ct state established ', 'meta nfproto ipv6 ']);
  switch (q.int(8)) {
    case 0: {
      // `used` past the quota is refused (nft_quota_do_init: EINVAL; seed 695): left out then, no draw moved
      const [s, how, bytes] = [sel(), q.pick(['', 'over ', 'until ']), q.pick([60, 200, 500, 1500, 3000, 10000])];
      const used = q.chance(0.3) ? q.pick([40, 150, 1000]) : 0;
      return `${s}quota ${how}${bytes} bytes${used && used <= bytes ? ` used ${used} bytes` : ''}${verdict()}`;
    }
    case 1:
      return `${sel()}limit rate ${q.pick(['', 'over '])}${q.pick([1, 2, 5])}/${q.pick(['hour', 'day'])}${q.chance(0.7) ? ` burst ${q.pick([1, 2, 3, 6, 10])} packets` : ''}${q.pick(['', ' counter'])}${verdict()}`;
    case 2:
      return `${sel()}limit rate ${q.pick(['', 'over '])}${q.pick([1, 3])} kbytes/${q.pick(['hour', 'day'])} burst ${q.pick([100, 600, 1500, 4000])} bytes${verdict()}`;
    case 3:
      return `${sel()}counter name ${q.pick(['ca', 'cb', '"ca"'])}${q.chance(0.4) ? ` quota name ${q.pick(['qa', 'qb', 'qc'])}` : ''}${verdict()}`;
    case 4:
      return `${sel()}quota name ${q.pick(['qa', 'qb', 'qc'])}${q.pick(['', ' counter'])}${verdict()}`;
    case 5:
      return `${sel()}limit name ${q.pick(['la', 'lb'])}${q.pick(['', ' counter'])}${verdict()}`;
    case 6: {
      const [a, b] = [q.pick([22, 53, 80]), q.pick([443, 8080, 5000, 9, 7])];
      return `counter name ${proto} dport map { ${a} : "ca", ${b} : "cb" }${verdict()}`;
    }
    default: {
      const h = q.pick(HOSTS);
      return h.v6.length && q.chance(0.4)
        ? `quota name ip6 saddr map { ${q.pick(h.v6)} : "${q.pick(['qa', 'qb', 'qc'])}" }${verdict()}`
        : q.chance(0.5)
          ? `quota name ip saddr map { ${q.pick(HOSTS[0]!.v4)} : "${q.pick(['qc', 'qb'])}", ${q.pick(HOSTS[2]!.v4)} : "${q.pick(['qa', 'qc'])}" }${verdict()}`
          : `counter name ip daddr map { ${q.pick(HOSTS[3]!.v4)} : "${q.pick(['ca', 'cb'])}", ${q.pick(HOSTS[1]!.v4)} : "ca" }${verdict()}`;
    }
  }
}

/** A raw-priority prerouting rule taking traffic the flows send out of conntrack. */
function notrackRule(m: Rng): string {
  const host = m.pick(HOSTS);
  switch (m.int(5)) {
    case 0:
      return `udp dport ${m.pick([7, 53, 9])} ${m.pick(['', 'counter '])}notrack`;
    case 1:
      return `tcp dport ${m.pick([22, 80])} notrack`;
    case 2:
      return `ip saddr ${m.pick(host.v4)} ${m.pick(['', 'counter '])}notrack`;
    case 3:
      return `ip6 daddr ${m.pick(HOSTS.filter((h) => h.v6.length).flatMap((h) => h.v6))} notrack`;
    default:
      return `meta l4proto ${m.pick(['icmp', 'ipv6-icmp'])} notrack`;
  }
}

/**
 * NAT the other generators leave out (a fifth generator, `m`): the `persistent` flag on address ranges
 * (find_best_ips hashes the source alone), `random` / `fully-random` where they leave no choice, a DNAT address from a map keyed by the destination port or by
 * numgen's round robin (nft_numgen inc: one counter per rule, moved by every packet the rule sees — a
 * connection's first packet, or each one again while it is never confirmed), and `redirect` keeping the
 * port (to the ingress port's primary address). No `random` / `fully-random` on a source NAT or a port
 * range: a random port (nf_nat_l4proto_unique_tuple's get_random_u16).
 */
function natMore(m: Rng, v6: boolean, pre: string[], post: string[], virtual: Ruleset['virtual']): void {
  for (const rules of [pre, post]) for (let i = 0; i < rules.length; i++) {
    const r = rules[i]!;
    // an address range (`a-b`, not a port range alone), as the rule's last word
    if (/(snat|dnat) to \S*\d[.:][0-9a-f.:\[\]]*-/.test(r) && m.chance(0.6)) rules[i] = `${r} persistent`;
    // `random` / `fully-random` where they choose nothing: a DNAT or redirect to one port or none (the
    // port is min + off % 1, or a DNAT keeps it), TCP and UDP only (an echo's ID would be drawn afresh)
    else if (/ (dnat to|redirect)( |$)/.test(rules[i]!) && !/:\d+-\d+/.test(rules[i]!) && m.chance(0.4)) rules[i] = `${rules[i]} ${m.pick(['random', 'fully-random'])}`;
  }
  for (let k = m.int(3); k > 0; k--) {
    const iif = m.pick(PORT_NAMES);
    const proto = m.pick(['tcp', 'udp'] as const);
    const inside = HOSTS.filter((h) => h.port !== iif && (v6 ? h.v6.length : true));
    const to = (): string => { const h = m.pick(inside); return v6 ? m.pick(h.v6) : m.pick(h.v4); };
    const vaddr = v6 ? ROUTER6[iif]! : ROUTER4[iif]!;
    const daddr = v6 ? `ip6 daddr ${vaddr}` : `ip daddr ${vaddr}`;
    const base = 6000 + m.int(8) * 10;
    switch (m.int(3)) {
      case 0: {
        const [a, b] = [to(), to()];
        pre.push(`iifname "${iif}" ${daddr} dnat to ${proto} dport map { ${base} : ${a}, ${base + 1} : ${b} }`);
        virtual.push({ v6, addr: vaddr, proto, port: base, iif }, { v6, addr: vaddr, proto, port: base + 1, iif }, { v6, addr: vaddr, proto, port: base + 2, iif });
        break;
      }
      case 1: {
        const [a, b] = [to(), to()];
        pre.push(`iifname "${iif}" ${daddr} ${proto} dport ${base + 3} ${m.pick(['', 'counter '])}dnat to numgen inc mod 2 map { 0 : ${a}, 1 : ${b} }`);
        virtual.push({ v6, addr: vaddr, proto, port: base + 3, iif });
        break;
      }
      default:
        pre.push(`iifname "${iif}" ${daddr} ${proto} dport ${base + 4} redirect`);
        virtual.push({ v6, addr: vaddr, proto, port: base + 4, iif });
    }
  }
}

/** A forward-chain rule offloading into `ft` under a match (nft_flow_offload_eval offloads established connections only). */
function flowRule(ft: Rng): string {
  const verb = ft.pick(['flow add @ft', 'flow add @ft', 'flow offload @ft']);
  const counter = ft.chance(0.25) ? 'counter ' : '';
  switch (ft.int(7)) {
    case 0:
      return `ct state established ${counter}${verb}`;
    case 1:
      return `meta l4proto ${ft.pick(['tcp', 'udp'])} ${counter}${verb}`;
    case 2:
      return `meta l4proto { tcp, udp } ${counter}${verb}`;
    case 3:
      return `ip protocol ${ft.pick(['tcp', 'udp'])} ${counter}${verb}`;
    case 4:
      return `ip6 nexthdr ${ft.pick(['tcp', 'udp'])} ${counter}${verb}`;
    case 5:
      return `${ft.pick(['tcp', 'udp'])} dport { ${ft.pick(SERVICES)}, ${ft.pick(SERVICES)}, 80 } ${counter}${verb}`;
    default:
      return `${counter}${verb}`;
  }
}

/** `text` without its flowtable block and flow statements (a rule that only offloads goes, a match before it stays: it does nothing). */
export function slowPath(text: string): string {
  return text
    .replace(/\tflowtable ft \{\n(?:\t\t.*\n)*\t\}\n/, '')
    .split('\n')
    .map((l) => l.replace(/ ?flow (add|offload) @ft/, ''))
    .filter((l) => l.trim() !== '')
    .join('\n') + '\n';
}

// ---- flows ----

/** A packet's TTL / hop limit (64 when not given) and IPv4 options (NOP, NOP, NOP, EOL): the flowtable steps' edges. */
interface Edges {
  ttl?: number;
  opt?: boolean;
  /** IPv4 don't fragment (edgeSteps: a datagram over eth2's MTU then meets ip_forward's "fragmentation needed"). */
  df?: boolean;
}
export type Step =
  | ({ dir: 'o' | 'r'; kind: 'tcp'; flags: number; data: number; seqOff: number; ackOff: number } & Edges)
  | ({ dir: 'o' | 'r'; kind: 'udp'; len: number; badSum: boolean } & Edges)
  | ({ dir: 'o' | 'r'; kind: 'echo'; len: number } & Edges)
  | { dir: 'o' | 'r'; kind: 'err'; type: number; code: number; quoteLen: number; fromPeer: boolean; qfrag?: QuoteFrag };

/**
 * An ICMP error's quote made a fragment (genFlow's `fq`): the first (IPv4 MF with offset 0; IPv6 a Fragment
 * header with offset 0 and M, unless the packet forwarded was a fragment already) or a later one (offset `off`
 * eights, M as `more`), the bytes after the headers left as they were — for a later fragment the transport
 * header's bytes where its data would be, which conntrack must not read as ports (ipv4_get_l4proto's IP_OFFSET,
 * ipv6_get_l4proto's frag_off: no tuple, the error untracked).
 */
export interface QuoteFrag {
  later: boolean;
  off: number;
  more: boolean;
  id: number;
}

export interface Flow {
  v6: boolean;
  proto: 'tcp' | 'udp' | 'icmp';
  port: string;
  mac: string;
  cli: string;
  srv: string;
  srvPort: string;
  srvMac: string;
  sport: number;
  dport: number;
  steps: Step[];
  /** Split the original direction's datagrams into fragments (UDP and echo). */
  frag: 0 | 2 | 3;
  /** The reply direction's too (edgeSteps), and a duplicate of one fragment among them (ignored: IPFRAG_DUP). */
  fragR?: 0 | 2 | 3;
  fragDup?: boolean;
  /** Aimed at a NAT rule or the router itself. */
  local: boolean;
  what: string;
  /**
   * TCP: the window each side advertises (original, reply) and the window scale its SYN offers (-1: no
   * option; RFC 7323 §2.2: scaling only when both sides offered it, conntrack's td_scale likewise).
   */
  win: [number, number];
  wscale: [number, number];
  // state while it runs
  cseq: number;
  sseq: number;
  echoSeq: number;
  /** What the router forwarded last in each direction: the frame and the port it left by. */
  lastOut?: { port: string; frame: Uint8Array };
  lastBack?: { port: string; frame: Uint8Array };
}

function tcpScript(g: Rng): Step[] {
  const s: Step[] = [];
  const t = (dir: 'o' | 'r', flags: number, data = 0, seqOff = 0, ackOff = 0): void => void s.push({ dir, kind: 'tcp', flags, data, seqOff, ackOff });
  const start = g.int(10);
  if (start === 0) t('o', ACK, 10); // mid-stream: picked up (nf_conntrack_tcp_loose)
  else if (start === 1) t('o', SYN | ACK); // a SYN/ACK where a SYN belongs (tcp_new: no connection from it)
  else {
    t('o', SYN);
    if (g.chance(0.15)) t('o', SYN); // retransmitted
    t('r', g.chance(0.9) ? SYN | ACK : g.pick([RST | ACK, SYN, ACK]));
    t('o', ACK);
  }
  for (let i = g.int(3); i > 0; i--) {
    t('o', PSH | ACK, 1 + g.int(100));
    t('r', ACK);
    if (g.chance(0.4)) t('r', PSH | ACK, 1 + g.int(200));
  }
  switch (g.int(6)) {
    case 0:
      t('o', FIN | ACK), t('r', FIN | ACK), t('o', ACK);
      break;
    case 1:
      t('r', FIN | ACK), t('o', ACK), t('o', FIN | ACK), t('r', ACK);
      break;
    case 2:
      t(g.pick(['o', 'r'] as const), RST);
      break;
    case 3:
      t(g.pick(['o', 'r'] as const), RST | ACK);
      break;
    default:
  }
  // mutations: odd flag sets, sequence numbers out of the window, a new SYN on an old connection
  for (let i = 0; i < s.length; i++) {
    if (!g.chance(0.12)) continue;
    const st = s[i] as Extract<Step, { kind: 'tcp' }>;
    switch (g.int(5)) {
      case 0:
        st.flags = g.pick([0, SYN | FIN, FIN, SYN | RST, URG | PSH | FIN, 0x3f, SYN | ACK | FIN, ACK | URG]);
        break;
      case 1:
        st.seqOff = g.pick([1_000_000, -70_000, 0x7fffffff]);
        break;
      case 2:
        st.ackOff = g.pick([1_000_000, -5000]);
        break;
      case 3:
        s.splice(i + 1, 0, { ...st, flags: SYN, data: 0, seqOff: g.pick([0, 5_000_000]) });
        break;
      default:
        st.data = g.pick([0, 1, 1200]);
    }
  }
  return s;
}

function errStep(g: Rng, v6: boolean, dir: 'o' | 'r'): Step {
  const [type, code] = v6
    ? g.pick([[1, 4], [1, 0], [1, 3], [2, 0], [3, 0], [4, 0]] as const)
    : g.pick([[3, 3], [3, 1], [3, 4], [3, 13], [11, 0], [12, 0], [3, 0]] as const);
  return { dir, kind: 'err', type, code, quoteLen: g.pick([8, 8, 64, 1000]), fromPeer: g.chance(0.5) };
}

/**
 * Flow `i` from `g`; `t` (a second generator, so each seed's flows stay what they were) draws a TCP flow's
 * windows and window scales — without it every side advertises 64240 with scale 7. Small windows and
 * no or other scales put segments in and out of conntrack's window (tcp_in_window: td_maxend, td_maxwin,
 * td_scale), which `ct state invalid` rules and conntrack -L then show.
 */
export function genFlow(g: Rng, i: number, rs: Ruleset, t?: Rng, ft?: Rng, e?: Rng, z?: Rng, fq?: Rng): Flow {
  const v6 = g.chance(0.35);
  const hosts = HOSTS.filter((h) => (v6 ? h.v6.length > 0 : true));
  const c = g.pick(hosts);
  const proto = g.pick(['tcp', 'tcp', 'udp', 'udp', 'icmp'] as const);
  let srvHost = g.pick(hosts.filter((h) => h.port !== c.port));
  let srv = v6 ? g.pick(srvHost.v6) : g.pick(srvHost.v4);
  let dport = g.pick(SERVICES);
  let what = '';
  const virt = rs.virtual.filter((v) => v.v6 === v6 && v.proto === proto && v.iif === c.port);
  if (virt.length && g.chance(0.5)) {
    const v = g.pick(virt);
    srv = v.addr;
    dport = v.port;
    const owner = HOSTS.find((h) => (v6 ? h.v6 : h.v4).includes(srv));
    srvHost = owner ?? srvHost;
    what = ' (to a NAT rule)';
  } else if (g.chance(0.08)) {
    srv = v6 ? ROUTER6[g.pick(PORT_NAMES)]! : ROUTER4[g.pick(PORT_NAMES)]!;
    srvHost = c;
    what = ' (to the router)';
  }
  const steps: Step[] = [];
  if (proto === 'tcp') steps.push(...tcpScript(g));
  else
    for (let k = 1 + g.int(4); k > 0; k--) {
      // never a reply first: the server's packet would make the entry whose reply tuple the client's
      // first packet then clashes with, and NAT resolves that with a random port
      const dir = steps.length === 0 ? 'o' : k === 1 && g.chance(0.3) ? 'r' : steps.length % 2 === 0 ? 'o' : 'r';
      steps.push(proto === 'udp' ? { dir, kind: 'udp', len: g.pick([0, 8, 30, 100, 1300]), badSum: g.chance(0.05) } : { dir, kind: 'echo', len: g.pick([0, 16, 56, 1300]) });
    }
  // ICMP errors quoting a packet of the flow
  for (let k = g.int(3); k > 0; k--) steps.splice(1 + g.int(steps.length), 0, errStep(g, v6, g.chance(0.7) ? 'r' : 'o'));
  const cli = v6 ? g.pick(c.v6) : g.pick(c.v4);
  const frag = proto !== 'tcp' && g.chance(0.2) ? g.pick([2, 3] as const) : 0;
  if (ft && rs.flowtable) flowtableSteps(ft, proto, steps, c.port, srvHost.port);
  const win: [number, number] = [64240, 64240];
  const wscale: [number, number] = [7, 7];
  if (t && proto === 'tcp' && t.chance(0.5)) {
    for (const k of [0, 1]) {
      win[k] = t.pick([64240, 65535, 29200, 1000, 300, 100, 0]);
      wscale[k] = t.pick([7, 7, -1, 0, 2, 14]);
    }
  }
  // a tenth generator (genFlow's `z`): a window scale option past RFC 7323's 14 (tcp_options takes it as 14) or at
  // 14 with the largest window, on one side or both
  if (z && proto === 'tcp' && z.chance(0.3)) {
    for (const k of z.chance(0.5) ? [0, 1] : [z.int(2)]) {
      wscale[k] = z.pick([15, 15, 255, 14]);
      if (z.chance(0.4)) win[k] = z.pick([65535, 1, 8]);
    }
  }
  const edge = e ? edgeSteps(e, v6, proto, steps, c.port, srvHost.port, win, wscale, frag) : { fragR: 0 as const, fragDup: false };
  if (fq) fragQuoteSteps(fq, v6, steps);
  return {
    v6, proto, port: c.port, mac: c.mac, cli, srv, srvPort: srvHost.port, srvMac: srvHost.mac, win, wscale,
    sport: 40000 + i, dport: proto === 'icmp' ? 0 : dport, steps, frag, local: what !== '', ...edge,
    what: `${proto}${v6 ? '6' : ''} ${cli}:${40000 + i} > ${srv}:${proto === 'icmp' ? '' : dport}${what}${frag ? ` frag ${frag}` : ''}` +
      `${edge.fragR ? ` reply frag ${edge.fragR}` : ''}${edge.fragDup ? ' dup' : ''}` +
      (win[0] !== 64240 || win[1] !== 64240 || wscale[0] !== 7 || wscale[1] !== 7 ? ` win ${win.join('/')} wscale ${wscale.join('/')}` : ''),
    cseq: 0x10000000 + i * 0x1000000, sseq: 0x80000000 + i * 0x100000, echoSeq: 1,
  };
}

/**
 * The edges of any flow, from a ninth generator (genFlow's `e`, so the other draws stay what they were):
 * - TTL / hop limit 0, 1 or 2 on some packets, either way: ip_forward / ip6_forward answer time exceeded
 *   about a packet whose addresses NAT may have rewritten already (a DNAT in prerouting, a reply's
 *   reversed SNAT), which conntrack turns back in the quoted header (nf_nat_icmp_reply_translation);
 * - IPv4 don't fragment, and datagrams over eth2's MTU leaving by it: "fragmentation needed" the same way
 *   (IPv6's packet too big comes from any datagram over it);
 * - a TCP segment at the edges of the other side's window (seq + len at td_maxend, one past it, a byte
 *   retransmitted, an ACK of one byte never sent, an old ACK past MAXACKWINDOW: tcp_in_window), or a
 *   zero-window probe; `ct state invalid` rules and conntrack -L show what tracking thought;
 * - the reply direction's datagrams in fragments too, and a duplicate fragment among a set.
 */
function edgeSteps(e: Rng, v6: boolean, proto: 'tcp' | 'udp' | 'icmp', steps: Step[], cliPort: string, srvPort: string, win: [number, number], wscale: [number, number], frag: 0 | 2 | 3): { fragR: 0 | 2 | 3; fragDup: boolean } {
  const scaled = (k: 0 | 1): number => (wscale[0] >= 0 && wscale[1] >= 0 ? win[k] * 2 ** Math.min(14, wscale[k]) : win[k]);
  steps.forEach((s, i) => {
    if (s.kind === 'err') return;
    if (e.chance(0.08)) s.ttl = e.pick([0, 1, 1, 2]);
    if (!v6 && e.chance(0.3)) s.df = true;
    const out = s.dir === 'o' ? srvPort : cliPort;
    const inn = s.dir === 'o' ? cliPort : srvPort;
    const big = out === 'eth2' && inn !== 'eth2' && e.chance(0.12);
    if (s.kind === 'udp' && big) s.len = 1300;
    if (s.kind === 'echo' && big) s.len = 1300;
    if (s.kind !== 'tcp') return;
    if (big && (s.flags & ACK) !== 0 && (s.flags & (SYN | RST)) === 0) s.data = 1300;
    if (i < 3 || !e.chance(0.15) || (s.flags & (SYN | RST)) !== 0) return;
    // the window the receiver advertised (its SYN's is never scaled; later ones are when both offered a scale)
    const w = scaled(s.dir === 'o' ? 1 : 0);
    switch (e.int(6)) {
      case 0: // ends at the window's right edge, or one byte past it
        s.data = Math.max(1, Math.min(1400, w)) ;
        s.seqOff = w - s.data + e.pick([0, 1]);
        break;
      case 1: // starts at or just past the right edge
        s.seqOff = w + e.pick([0, 1, 2]);
        s.data = e.pick([0, 1, 10]);
        break;
      case 2: // a retransmission overlapping what went before
        s.seqOff = -e.pick([1, 10, 100]);
        s.data = e.pick([1, 10, 100]);
        break;
      case 3: // an ACK of data never sent, or far back
        s.ackOff = e.pick([1, 2, -66_000, -140_000, -(w + 66_001)]);
        break;
      case 4: // a zero-window probe / keep-alive: one byte before what was sent, or none
        s.seqOff = -1;
        s.data = e.pick([0, 1]);
        s.flags = ACK;
        break;
      default: // a window update: a pure ACK
        s.data = 0;
        s.flags = ACK;
    }
  });
  const fragR = proto !== 'tcp' && frag === 0 && e.chance(0.15) ? e.pick([2, 3] as const) : 0;
  const fragDup = (frag !== 0 || fragR !== 0) && e.chance(0.3);
  return { fragR, fragDup };
}

/**
 * ICMP errors quoting fragments, from an eleventh generator (genFlow's `fq`, so the other draws stay what they
 * were): half a flow's errors quote their packet as a first or a later fragment (QuoteFrag), and a third of the
 * flows without an error get one, either way, its quote sometimes cut to the transport header's first four
 * bytes (ports only: conntrack finds the connection, NAT cannot rewrite a UDP or TCP header it does not have).
 */
function fragQuoteSteps(fq: Rng, v6: boolean, steps: Step[]): void {
  if (!steps.some((s) => s.kind === 'err') && fq.chance(0.35)) steps.splice(1 + fq.int(steps.length), 0, errStep(fq, v6, fq.chance(0.6) ? 'r' : 'o'));
  for (const s of steps) {
    if (s.kind !== 'err' || !fq.chance(0.55)) continue;
    const later = fq.chance(0.5);
    s.qfrag = { later, off: later ? fq.pick([1, 2, 3, 8, 185]) : 0, more: later ? fq.chance(0.5) : true, id: 0x5000 + fq.int(0x1000) };
    if (fq.chance(0.2)) s.quoteLen = 4;
  }
}

/** Steps past the flowtable's offload, pushed to a flow whose rule set has one (from genFlow's `ft`, so the other draws stay what they were). */
const FT_MAX_STEPS = 11;

/**
 * More of an established flow, for a rule set with a flowtable: TCP segments both ways before the close
 * (or at the end), UDP datagrams both ways after the last; a few at TTL / hop limit 1 or 2, with IPv4
 * options, or longer than eth2's MTU (1280) when they leave by it — the frames nf_flow_offload_ip_hook and
 * nf_flow_offload_ipv6_hook hand back to the stack (nf_flow_tuple_ip: options, ttl ≤ 1; nf_flow_exceeds_mtu);
 * the close (FIN, RST) tears the flow down (nf_flow_state_check). At most FT_MAX_STEPS in all: the run is
 * a round per step of its longest flow.
 */
function flowtableSteps(ft: Rng, proto: 'tcp' | 'udp' | 'icmp', steps: Step[], cliPort: string, srvPort: string): void {
  if (proto === 'icmp') return;
  // past the handshake, only the flag sets tcp_valid_flags takes and no SYN: the flowtable forwards any
  // segment but a SYN on a closing flow (which tears it down, its connection back in CLOSE), where a
  // kernel without nf_flow_table finds the odd ones invalid and tracks a SYN on a closed connection as a
  // reopening (seeds 411, 412, 414: not comparable against its slow path)
  const VALID = [ACK, ACK | URG, FIN | ACK, FIN | ACK | URG, RST, RST | ACK];
  if (proto === 'tcp') for (let i = steps.length - 1; i >= 0; i--) {
    const st = steps[i]!;
    const handshake = i < 3 && (st.flags === SYN || st.flags === (SYN | ACK));
    if (st.kind === 'tcp' && !handshake && !VALID.includes(st.flags & ~PSH)) steps.splice(i, 1);
  }
  const edges = (dir: 'o' | 'r'): Edges & { big: boolean } => {
    const e: Edges & { big: boolean } = { big: false };
    if (ft.chance(0.15)) e.ttl = ft.pick([1, 2, 2, 255]);
    if (ft.chance(0.1)) e.opt = true;
    // longer than eth2's MTU only when it does not come in by eth2 (a veth drops it before the router)
    e.big = ft.chance(0.15) && (dir === 'o' ? cliPort : srvPort) !== 'eth2';
    return e;
  };
  // half the flows, two or three steps: each step is a capture window of its own (the default run's
  // seed 2 took 26 s with two to five for every flow, 19 s without a flowtable)
  const room = FT_MAX_STEPS - steps.length;
  if (room < 2 || ft.chance(0.5)) return;
  const add: Step[] = [];
  for (let k = Math.min(room, ft.chance(0.3) ? 3 : 2); k > 0; k--) {
    const dir = add.length % 2 === 0 ? 'o' : 'r';
    const { big, ...e } = edges(dir);
    if (proto === 'tcp') add.push({ dir, kind: 'tcp', flags: ft.chance(0.7) ? PSH | ACK : ACK, data: big ? 1300 : ft.pick([0, 1, 100, 500]), seqOff: 0, ackOff: 0, ...e });
    else add.push({ dir, kind: 'udp', len: big ? 1300 : ft.pick([8, 30, 100, 600]), badSum: false, ...e });
  }
  // TCP: before the close (its first FIN or RST), else at the end
  const close = proto === 'tcp' ? steps.findIndex((s) => s.kind === 'tcp' && (s.flags & (FIN | RST)) !== 0 && s.seqOff === 0) : -1;
  steps.splice(close < 0 ? steps.length : close, 0, ...add);
}

// ---- frames ----

/** The IP header and L4 of an Ethernet frame (IPv4 or IPv6, no extension headers but a fragment header). */
export interface Parsed {
  v6: boolean;
  src: string;
  dst: string;
  proto: number;
  /** L4 offset in the frame, -1 for a later fragment. */
  l4: number;
  sport: number;
  dport: number;
}

const v4str = (b: Uint8Array) => [...b].join('.');
function v6str(b: Uint8Array): string {
  const w: string[] = [];
  for (let i = 0; i < 16; i += 2) w.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return w.join(':').replace(/(^|:)0(:0)+(:|$)/, '::').replace(/:{3,}/, '::');
}

export function parse(f: Uint8Array): Parsed | undefined {
  const t = (f[12]! << 8) | f[13]!;
  if (t === ETH_P_IP && f.length >= 34) {
    const ihl = (f[14]! & 15) * 4;
    const off = ((f[20]! << 8) | f[21]!) & 0x1fff;
    const l4 = off ? -1 : 14 + ihl;
    const ports = l4 > 0 && f.length >= l4 + 4;
    return { v6: false, src: v4str(f.subarray(26, 30)), dst: v4str(f.subarray(30, 34)), proto: f[23]!, l4, sport: ports ? (f[l4]! << 8) | f[l4 + 1]! : 0, dport: ports ? (f[l4 + 2]! << 8) | f[l4 + 3]! : 0 };
  }
  if (t === ETH_P_IPV6 && f.length >= 54) {
    let nh = f[20]!;
    let l4 = 54;
    if (nh === 44) {
      const off = ((f[56]! << 8) | f[57]!) >> 3;
      nh = f[54]!;
      l4 = off ? -1 : 62;
    }
    const ports = l4 > 0 && f.length >= l4 + 4;
    return { v6: true, src: v6str(f.subarray(22, 38)), dst: v6str(f.subarray(38, 54)), proto: nh, l4, sport: ports ? (f[l4]! << 8) | f[l4 + 1]! : 0, dport: ports ? (f[l4 + 2]! << 8) | f[l4 + 3]! : 0 };
  }
  return undefined;
}

function tcpSeg(src: string, dst: string, sport: number, dport: number, flags: number, seq: number, ack: number, data: number, win = 64240, wscale = 7): Uint8Array {
  // on a SYN: MSS 1460, SACK permitted, then a window scale unless the side offers none
  const opts = flags & SYN ? Uint8Array.of(2, 4, 0x05, 0xb4, 4, 2, ...(wscale >= 0 ? [1, 3, 3, wscale] : [])) : new Uint8Array(0);
  const pad = concat(opts, new Uint8Array((4 - (opts.length % 4)) % 4));
  const h = concat(u16(sport), u16(dport), u32(seq >>> 0), u32(flags & ACK ? ack >>> 0 : 0), Uint8Array.of(((20 + pad.length) / 4) << 4, flags), u16(win), u16(0), u16(0), pad, pattern(data, seq & 0xff));
  const v6 = src.includes(':');
  const ph = v6 ? concat(ipv6Bytes(src), ipv6Bytes(dst), u32(h.length), Uint8Array.of(0, 0, 0, 6)) : concat(ipv4Bytes(src), ipv4Bytes(dst), Uint8Array.of(0, 6), u16(h.length));
  h.set(u16(inetChecksum(ph, h)), 16);
  return h;
}

/** IPv4 or IPv6 packet (no Ethernet) carrying `l4`. */
function ipPacket(v6: boolean, src: string, dst: string, proto: number, l4: Uint8Array, id: number, e: Edges = {}): Uint8Array {
  return v6
    ? ipv6({ src, dst, nextHeader: proto, payload: l4, flowLabel: id & 0xfffff, hopLimit: e.ttl })
    : ipv4({ src, dst, proto, payload: l4, id, ttl: e.ttl, df: e.df, options: e.opt ? Uint8Array.of(1, 1, 1, 0) : undefined });
}

/** Cut an IP packet into `n` fragments (offsets in 8-byte units), as Ethernet payloads. */
function fragments(v6: boolean, pkt: Uint8Array, n: number, id: number): Uint8Array[] {
  const hl = v6 ? 40 : (pkt[0]! & 15) * 4;
  const payload = pkt.subarray(hl);
  if (payload.length < 16 * n) return [pkt];
  const chunk = Math.floor(payload.length / n / 8) * 8;
  const out: Uint8Array[] = [];
  for (let k = 0; k < n; k++) {
    const from = k * chunk;
    const to = k === n - 1 ? payload.length : from + chunk;
    const more = k < n - 1;
    if (v6) {
      const fh = concat(Uint8Array.of(pkt[6]!, 0), u16(((from / 8) << 3) | (more ? 1 : 0)), u32(id));
      const h = pkt.slice(0, 40);
      h[6] = 44;
      h.set(u16(8 + to - from), 4);
      out.push(concat(h, fh, payload.subarray(from, to)));
    } else {
      // a later fragment keeps the options copied on fragmentation only (RFC 791): NOP and EOL are not
      const h = pkt.slice(0, from === 0 ? hl : 20);
      h[0] = 0x40 | (h.length / 4);
      h.set(u16(h.length + to - from), 2);
      h.set(u16((more ? 0x2000 : 0) | (from / 8)), 6);
      h[10] = h[11] = 0;
      h.set(u16(inetChecksum(h)), 10);
      out.push(concat(h, payload.subarray(from, to)));
    }
  }
  return out;
}

/**
 * `pkt` (an IP packet the router forwarded, whole or its first fragment) as the fragment `q` says (QuoteFrag):
 * IPv4's offset and MF set, the header checksum made again; IPv6's Fragment header put in after the fixed
 * header, or its offset and M set when the packet has one.
 */
function fragQuote(pkt: Uint8Array, v6: boolean, q: QuoteFrag): Uint8Array {
  const field = (q.off << 3) | (q.more ? 1 : 0);
  if (!v6) {
    const hl = (pkt[0]! & 15) * 4;
    const was = (pkt[6]! << 8) | pkt[7]!;
    if (!q.later && (was & 0x3fff) !== 0) return pkt; // a fragment already
    pkt.set(u16((was & 0x4000) | (q.more ? 0x2000 : 0) | q.off), 6);
    pkt[10] = pkt[11] = 0;
    pkt.set(u16(inetChecksum(pkt.subarray(0, hl))), 10);
    return pkt;
  }
  if (pkt[6] === 44) {
    if (q.later) pkt.set(u16(field), 42);
    return pkt;
  }
  const h = pkt.slice(0, 40);
  h[6] = 44;
  h.set(u16(((pkt[4]! << 8) | pkt[5]!) + 8), 4);
  return concat(h, Uint8Array.of(pkt[6]!, 0), u16(field), u32(q.id), pkt.subarray(40));
}

/**
 * The frames of a flow's step, built now: an original-direction packet from the client's tuple; a reply
 * from what the router forwarded last the other way (to the address and port it came out with), or,
 * when nothing came out, from the server to the client untranslated; an ICMP error quoting the last
 * packet forwarded in the other direction (from that packet's destination, or from the peer's
 * gateway address on its link). Returns the ingress port and the frames.
 */
export function stepFrames(f: Flow, s: Step, g: Rng, n: number): { ingress: string; frames: Uint8Array[]; what: string } | undefined {
  let src: string;
  let dst: string;
  let sport: number;
  let dport: number;
  let port: string;
  let mac: string;
  const fromOut = s.dir === 'r' ? f.lastOut : f.lastBack;
  const p = fromOut ? parse(fromOut.frame) : undefined;
  if (s.dir === 'o') {
    [src, dst, sport, dport, port, mac] = [f.cli, f.srv, f.sport, f.dport, f.port, f.mac];
  } else if (p && fromOut) {
    [src, dst, sport, dport, port] = [p.dst, p.src, p.dport, p.sport, fromOut.port];
    mac = Array.from(fromOut.frame.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':');
  } else {
    // nothing forwarded: the server's reply untranslated. Not for a flow a NAT rule or the router
    // took: its confirmed entry's original tuple is this reply's own reply tuple, a clash NAT's null
    // binding resolves with a random port (nf_nat_l4proto_unique_tuple: get_random_u16)
    if (f.local) return undefined;
    [src, dst, sport, dport, port, mac] = [f.srv, f.cli, f.dport, f.sport, f.srvPort, f.srvMac];
  }
  if (f.proto === 'icmp' && p) [sport, dport] = [f.sport, f.sport];
  const id = (0x1000 + n * 7) & 0xffff;
  const E = (ip: Uint8Array) => eth(PORT_MAC[port]!, mac, f.v6 ? ETH_P_IPV6 : ETH_P_IP, ip);
  let pkt: Uint8Array;
  let what: string;
  switch (s.kind) {
    case 'tcp': {
      const mine = s.dir === 'o' ? f.cseq : f.sseq;
      const theirs = s.dir === 'o' ? f.sseq : f.cseq;
      const seq = mine + s.seqOff;
      pkt = ipPacket(f.v6, src, dst, 6, tcpSeg(src, dst, sport, dport, s.flags, seq, theirs + s.ackOff, s.data, f.win[s.dir === 'o' ? 0 : 1], f.wscale[s.dir === 'o' ? 0 : 1]), id, s);
      const used = s.data + (s.flags & SYN ? 1 : 0) + (s.flags & FIN ? 1 : 0);
      if (s.dir === 'o') f.cseq = (f.cseq + used) >>> 0;
      else f.sseq = (f.sseq + used) >>> 0;
      what = `${s.dir} tcp flags 0x${s.flags.toString(16)} seq ${s.seqOff ? `+${s.seqOff}` : 'ok'} ack ${s.ackOff ? `+${s.ackOff}` : 'ok'} data ${s.data}`;
      break;
    }
    case 'udp': {
      const d = udp(src, dst, sport, dport, pattern(s.len, n & 0xff));
      if (s.badSum) d[6] = d[6]! ^ 0x21;
      pkt = ipPacket(f.v6, src, dst, 17, d, id, s);
      what = `${s.dir} udp len ${s.len}${s.badSum ? ' bad checksum' : ''}`;
      break;
    }
    case 'echo': {
      const type = f.v6 ? (s.dir === 'o' ? 128 : 129) : s.dir === 'o' ? 8 : 0;
      const echoId = s.dir === 'o' ? f.sport : p && p.l4 > 0 ? (fromOut!.frame[p.l4 + 4]! << 8) | fromOut!.frame[p.l4 + 5]! : f.sport;
      const rest = ((echoId << 16) | f.echoSeq) >>> 0;
      if (s.dir === 'r') f.echoSeq++;
      const m = f.v6 ? icmp6(src, dst, type, 0, rest, pattern(s.len, 3)) : icmp4(type, 0, rest, pattern(s.len, 3));
      pkt = ipPacket(f.v6, src, dst, f.v6 ? 58 : 1, m, id, s);
      what = `${s.dir} echo ${type} len ${s.len}`;
      break;
    }
    case 'err': {
      if (!fromOut || !p) return undefined;
      const whole = s.qfrag ? fragQuote(fromOut.frame.slice(14), p.v6, s.qfrag) : fromOut.frame.subarray(14);
      const hl = p.v6 ? 40 + (whole[6] === 44 ? 8 : 0) : (whole[0]! & 15) * 4;
      const quoted = whole.subarray(0, Math.min(whole.length, hl + s.quoteLen));
      // from the quoted packet's destination, or from the gateway on the link it was sent to
      const from = s.fromPeer ? src : HOSTS.find((h) => h.port === port && (f.v6 ? h.v6.length : true))?.[f.v6 ? 'v6' : 'v4'][0] ?? src;
      const rest = f.v6 ? (s.type === 2 ? 1280 : 0) : s.type === 3 && s.code === 4 ? 576 : s.type === 12 ? 0x14000000 : 0;
      const m = f.v6 ? icmp6(from, dst, s.type, s.code, rest, quoted.slice(0, Math.min(quoted.length, 1232))) : icmp4(s.type, s.code, rest, quoted);
      pkt = ipPacket(f.v6, from, dst, f.v6 ? 58 : 1, m, id);
      what = `${s.dir} icmp error ${s.type}/${s.code} from ${from} quoting ${s.quoteLen}${s.qfrag ? ` of a ${s.qfrag.later ? `later fragment (offset ${s.qfrag.off * 8}${s.qfrag.more ? ', MF' : ''})` : 'first fragment'}` : ''}`;
      break;
    }
  }
  if (s.kind !== 'err') what += `${s.ttl !== undefined ? ` ttl ${s.ttl}` : ''}${s.opt ? ' options' : ''}${s.df ? ' df' : ''}`;
  const cut = s.dir === 'o' ? f.frag : f.fragR ?? 0;
  // fragments never carry DF (a sender that fragments does not set it)
  if (cut && !f.v6 && s.kind !== 'err' && s.kind !== 'tcp') (pkt[6] = pkt[6]! & ~0x40, pkt.set(u16(0), 10), pkt.set(u16(inetChecksum(pkt.subarray(0, (pkt[0]! & 15) * 4))), 10));
  const frames = cut && s.kind !== 'err' && s.kind !== 'tcp' ? fragments(f.v6, pkt, cut, id) : [pkt];
  if (frames.length > 1 && g.chance(0.3)) frames.reverse();
  // the duplicate before the last fragment sent: one after it would open a queue of its own, which times out (seed 744)
  if (frames.length > 1 && f.fragDup) frames.splice(frames.length - 1, 0, frames[0]!);
  // eth2's MTU is 1280: a veth drops a longer frame before the router sees it (is_skb_forwardable)
  if (frames.some((x) => x.length > MTU[port]!)) return undefined;
  return { ingress: port, frames: frames.map(E), what: `${what}${frames.length > 1 ? ` in ${frames.length} fragments` : ''}` };
}
