// reject in a netdev ingress chain (nft_reject_netdev.c) against Linux 6.18: the same file loaded with `nft -f` into the
// kernel router and into wxdp, the same frames sent in on eth0, what each sent back out of eth0 compared byte for byte
// (the kernel's reset checksum, left CHECKSUM_PARTIAL, completed as the device would), then `list ruleset` — eth0's
// egress chain counts the answers, which leave through dev_queue_xmit. The answers are built from the frame alone
// (swapped MACs, TTL ip_default_ttl / hop limit net.ipv6.conf.all.hop_limit, ID 0, DF) and go out untagged whatever tag the frame had; none for
// a broadcast destination MAC, a segment with Ethernet padding (its checksum is verified over skb->len), an IPv4
// header with a bad checksum, an ICMP error, another protocol. Then what nft refuses: reject at egress (the kernel),
// after a match fixing another network protocol, an ICMP type of the other family (nft), with their places; reject in a
// chain an ingress chain jumps to, answered alike, and refused once an egress chain reaches it.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { concat, eth, hex, icmp4, icmp6, ipv4, ipv6, stackUnready, udp4, udp6 } from '../net/support.js';
import { kernelUnavailable, maskOwn } from '../net/kernel.js';
import { ACK, H0, LINKS, LINKS6, M0, NEIGH, NEIGH6, ROUTES, ROUTES6, SYN } from './ct_support.js';
import { kernelNftRun, oursNftRun } from './nft_kernel_support.js';
import { expectSequenceAsNft, expectTextRefusedAsNft, nftAgainst, nftSession, tcp } from './nft_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const RULESET = `table netdev rj {
	chain in0 {
		type filter hook ingress device "eth0" priority filter; policy accept;
		counter
		udp dport 3000 reject
		tcp dport 80 reject with tcp reset
		udp dport 3001 reject with icmpx admin-prohibited
		meta protocol ip udp dport 3002 reject with icmp host-unreachable
		udp dport 3003 reject with icmpv6 admin-prohibited
		udp dport 3004 jump rj
		meta l4proto icmp reject
		ether saddr 02:00:00:00:02:77 reject
		meta l4proto ipv6-icmp reject
	}
	chain rj {
		counter
		reject with icmpx host-unreachable
	}
	chain out0 {
		type filter hook egress device "eth0" priority filter; policy accept;
		counter
	}
}
`;

const A = '192.0.2.2';
const B = '203.0.113.5';
const A6 = '2001:db8:1::2';
const B6 = '2001:db8:3::5';
const OTHER = '02:00:00:00:02:99';
const u4 = (dport: number, n: number, src = A): Uint8Array => ipv4({ src, dst: B, proto: 17, id: 0x100 + n }, udp4(src, B, 4000, dport, new Uint8Array(n).fill(0x78)));
const u6 = (dport: number, n: number): Uint8Array => ipv6({ src: A6, dst: B6, nh: 17 }, udp6(A6, B6, 4000, dport, new Uint8Array(n).fill(0x79)));
const to = (payload: Uint8Array, o: { dst?: string; src?: string; type?: number; tags?: Array<[number, number]> } = {}): Uint8Array =>
  eth({ dst: o.dst ?? M0, src: o.src ?? H0, type: o.type ?? 0x0800, tags: o.tags }, payload);
const syn4 = ipv4({ src: A, dst: B, proto: 6 }, tcp(A, B, 40000, 80, SYN, 1000, 0));
const badSum = u4(3000, 20);
badSum[10]! ^= 1;

// [what, frame, answers out of eth0 (derived by hand)]
const CASES: Array<[string, Uint8Array, number]> = [
  ['udp, plain reject: icmpx port-unreachable as ICMP code 3', to(u4(3000, 20)), 1],
  ['the same behind an 802.1Q tag: answered untagged', to(u4(3000, 20), { tags: [[0x8100, 5]] }), 1],
  ['to the broadcast MAC: dropped unanswered', to(u4(3000, 20), { dst: 'ff:ff:ff:ff:ff:ff' }), 0],
  ['to another host\'s MAC: answered from that MAC', to(u4(3000, 20), { dst: OTHER }), 1],
  ['a SYN: reset, ACK = SEQ + 1', to(syn4), 1],
  ['the SYN padded to 60 bytes: its checksum over skb->len fails, no reset', to(concat(syn4, new Uint8Array(6))), 0],
  ['an ACK segment: reset with SEQ = its ACK', to(ipv4({ src: A, dst: B, proto: 6 }, tcp(A, B, 40001, 80, ACK, 5000, 7000, new Uint8Array(10).fill(1)))), 1],
  ['udp with 14 bytes of padding: the quote takes them', to(concat(u4(3000, 4), new Uint8Array(14).fill(0xab))), 1],
  ['icmpx admin-prohibited: ICMP code 13', to(u4(3001, 20)), 1],
  ['icmp host-unreachable: code 1', to(u4(3002, 20)), 1],
  ['icmpv6 admin-prohibited on an IPv4 packet: its meta protocol ip6 fails, forwarded', to(u4(3003, 20)), 0],
  ['udp 3004, in a chain the ingress chain jumps to: icmpx host-unreachable as ICMP code 1', to(u4(3004, 20)), 1],
  ['the same over IPv6: ICMPv6 code 3', to(u6(3004, 20), { type: 0x86dd }), 1],
  ['a bad IP header checksum: no answer', to(badSum), 0],
  ['an ICMP port unreachable: no answer to an ICMP error', to(ipv4({ src: A, dst: B, proto: 1 }, icmp4(3, 3, [0, 0, 0, 0], u4(9, 8, B)))), 0],
  ['an echo request: answered', to(ipv4({ src: A, dst: B, proto: 1 }, icmp4(8, 0, [0, 1, 0, 1], new Uint8Array(8)))), 1],
  ['an ARP request from the rejected MAC: dropped unanswered', to(Uint8Array.from([0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 2, 0x77, 192, 0, 2, 2, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1]), { src: '02:00:00:00:02:77', type: 0x0806 }), 0],
  // nf_reject_verify_csum: GRE's checksum is not verified (a bad one answered); DCCP's is since 6.16 (none here)
  ['GRE with a bad checksum, from the rejected MAC: answered', to(ipv4({ src: A, dst: B, proto: 47 }, Uint8Array.of(0x80, 0, 8, 0, 0x12, 0x34, 0, 0)), { src: '02:00:00:00:02:77' }), 1],
  ['DCCP with a bad checksum, from the rejected MAC: no answer', to(ipv4({ src: A, dst: B, proto: 33 }, new Uint8Array(16).fill(0x11)), { src: '02:00:00:00:02:77' }), 0],
  ['a long datagram: 536 bytes quoted', to(u4(3000, 1000)), 1],
  ['IPv6 udp: ICMPv6 port unreachable, hop limit 64', to(u6(3000, 20), { type: 0x86dd }), 1],
  ['IPv6 long: 1220 bytes quoted', to(u6(3000, 1300), { type: 0x86dd }), 1],
  ['IPv6 SYN: reset', to(ipv6({ src: A6, dst: B6, nh: 6 }, tcp(A6, B6, 40002, 80, SYN, 77, 0)), { type: 0x86dd }), 1],
  ['IPv6 icmpv6 admin-prohibited: code 1', to(u6(3003, 20), { type: 0x86dd }), 1],
  ['an ICMPv6 destination unreachable: no answer', to(ipv6({ src: A6, dst: B6, nh: 58 }, icmp6(A6, B6, 1, 4, [0, 0, 0, 0], u6(9, 8))), { type: 0x86dd }), 0],
  // nf_skb_is_icmp6_unreach asks for frag_off 0 (the whole field): a first fragment (MF set) is answered
  ['an ICMPv6 destination unreachable in a first fragment: answered', to(ipv6({ src: A6, dst: B6, nh: 44 }, concat(Uint8Array.of(58, 0, 0, 1, 0, 0, 0, 9), icmp6(A6, B6, 1, 4, [0, 0, 0, 0], u6(9, 8)))), { type: 0x86dd }), 1],
  ['an ICMPv6 redirect: answered', to(ipv6({ src: A6, dst: B6, nh: 58 }, icmp6(A6, B6, 137, 0, [0, 0, 0, 0], new Uint8Array(32))), { type: 0x86dd }), 1],
];
const FRAMES = CASES.map((c) => c[1]);

describe.skipIf(unready !== '' || noKernel !== '')(`reject in a netdev ingress chain against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RULESET, FRAMES, 'nf49rj', ['list ruleset'], 'eth0');

  it(`answers ${CASES.length} frames out of eth0 as Linux 6.18 does and counts the answers at eth0's egress`, async () => {
    const { fx, out } = await oursNftRun(RULESET, FRAMES, 'eth0');
    expect(out.map((o, i) => [CASES[i]![0], o])).toEqual(kern.out.map((o, i) => [CASES[i]![0], o]));
    expect(kern.out.map((o) => o.length)).toEqual(CASES.map((c) => c[2]));
    expect(fx.dp.nft('list ruleset')).toBe(kern.lists['0 list ruleset']);
  });
});

const { nsa, skip, why } = nftAgainst('nf49rr');
const netdev = (hook: string, rule: string): string => `table netdev t {\n\tchain c {\n\t\ttype filter hook ${hook} device "eth0" priority filter; policy accept;\n\t\t${rule}\n\t}\n}\n`;

describe.skipIf(skip)(`reject in netdev chains listed and refused as nft 1.0.6 and Linux 6.18 do${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'nf49rr');

  const refusals: Array<[string, string]> = [
    ['reject at egress (the kernel: ingress only)', netdev('egress', 'reject')],
    ['reject with tcp reset at egress', netdev('egress', 'tcp dport 1 reject with tcp reset')],
    ['reject after meta protocol arp', netdev('ingress', 'meta protocol arp reject')],
    ['reject after ether type arp', netdev('ingress', 'ether type arp reject with icmpx admin-prohibited')],
    ['an icmpv6 reject after meta protocol ip', netdev('ingress', 'meta protocol ip reject with icmpv6 port-unreachable')],
    ['an icmp reject after ether type ip6', netdev('ingress', 'ether type ip6 reject with icmp port-unreachable')],
  ];
  it.each(refusals)('refuses %s with its words and place, applying nothing', (label, text) => expectTextRefusedAsNft(s, text, label));

  it('lists each reject with the dependencies nft shows or hides', () => {
    expectSequenceAsNft(s.ns, s.dp, [
      'add table netdev x',
      'add chain netdev x i { type filter hook ingress device eth0 priority 0; }',
      'add rule netdev x i reject',
      'add rule netdev x i reject with icmp port-unreachable',
      'add rule netdev x i reject with icmpv6 port-unreachable',
      'add rule netdev x i reject with icmpx admin-prohibited',
      'add rule netdev x i reject with tcp reset',
      'add rule netdev x i ether type ip reject',
      'add rule netdev x i meta protocol ip6 reject',
      'add rule netdev x i ip protocol udp reject',
      'add rule netdev x i ip6 nexthdr udp reject',
      'add rule netdev x i udp dport 1 reject',
      'add rule netdev x i tcp dport 1 reject with tcp reset',
      'add rule netdev x i meta protocol ip reject with tcp reset',
      'add rule netdev x i meta protocol ip reject with icmpx host-unreachable',
      'add rule netdev x i meta protocol ip counter reject',
      'add rule netdev x i meta protocol ip6 meta l4proto tcp reject with tcp reset',
      'add rule netdev x i ip saddr 192.0.2.2 reject',
      'add rule netdev x i vlan id 5 reject',
      'add rule netdev x i ip protocol tcp reject with tcp reset',
      'add rule netdev x i reject with icmp 13',
      'add rule netdev x i meta protocol arp reject',
      'list ruleset',
      'flush ruleset',
    ]);
  });
});

// A chain jumps reach: nft_table_validate validates it with each base chain that reaches it as the context, so its reject
// is refused only once an egress chain reaches it — at the jump, the goto, the verdict map (anonymous, or a named one's
// new element), or at the reject when the jump came first; a chain nothing reaches, or only ingress, may hold one.
// log and notrack are taken at either hook, and in the arp family (reject is not: nft). Each against nft 1.0.6 on
// Linux 6.18, same words, same places.
const jumped = (first: string, second: string): string => `table netdev t {\n${first}${second}}\n`;
const rj = '\tchain r {\n\t\tcounter\n\t\treject\n\t}\n';
const base = (hook: string, rule: string): string => `\tchain b {\n\t\ttype filter hook ${hook} device "eth0" priority filter; policy accept;\n\t\t${rule}\n\t}\n`;

describe.skipIf(skip)(`reject, log and notrack in chains jumps reach and in the arp family as nft 1.0.6 and Linux 6.18 take them${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'nr50rj');

  const refusals: Array<[string, string]> = [
    ['an egress chain jumping to a reject', jumped(rj, base('egress', 'jump r'))],
    ['the reject after the jump to its chain', jumped(base('egress', 'jump r'), rj)],
    ['a goto two chains deep', jumped('\tchain d {\n\t\treject with tcp reset\n\t}\n\tchain r {\n\t\tgoto d\n\t}\n', base('egress', 'counter jump r'))],
    ['a verdict map', jumped(rj, base('egress', 'udp dport vmap { 1 : jump r, 2 : accept }'))],
    ['ingress and egress both reaching it', jumped(rj, base('ingress', 'jump r') + '\tchain e {\n\t\ttype filter hook egress device "eth0" priority filter; policy accept;\n\t\tjump r\n\t}\n')],
    ['a named verdict map given the element in its block again', jumped(rj, '\tmap m {\n\t\ttype inet_service : verdict\n\t}\n' + base('egress', 'udp dport vmap @m') + '\tmap m {\n\t\ttype inet_service : verdict\n\t\telements = { 2 : jump r }\n\t}\n')],
    ['a named verdict map given the element by `add map`', jumped(rj, '\tmap m {\n\t\ttype inet_service : verdict\n\t}\n' + base('egress', 'udp dport vmap @m')) + 'add map netdev t m { type inet_service : verdict; elements = { 2 : jump r } }\n'],
  ];
  it.each(refusals)('refuses %s with its words and place, applying nothing', (label, text) => expectTextRefusedAsNft(s, text, label));

  it('takes the rest, and a named verdict map\'s element that makes an egress chain reach a reject is refused', () => {
    expectSequenceAsNft(s.ns, s.dp, [
      'add table netdev x',
      'add chain netdev x r',
      'add rule netdev x r reject',
      'add rule netdev x r log prefix "r "',
      'add rule netdev x r notrack',
      'add chain netdev x i { type filter hook ingress device eth0 priority 0; }',
      'add rule netdev x i jump r',
      'add chain netdev x l',
      'add rule netdev x l log',
      'add rule netdev x l notrack',
      'add chain netdev x e { type filter hook egress device eth0 priority 0; }',
      'add rule netdev x e jump l',
      'add rule netdev x e goto r',
      'add map netdev x m { type inet_service : verdict; }',
      'add rule netdev x e udp dport vmap @m',
      'add element netdev x m { 1 : jump l }',
      'add element netdev x m { 2 : jump r }',
      'add table arp y',
      'add chain arp y c { type filter hook input priority 0; }',
      'add rule arp y c log prefix "in " flags ether',
      'add rule arp y c log group 3',
      'add rule arp y c notrack',
      'add chain arp y j',
      'add rule arp y c jump j',
      'add rule arp y j log level info',
      'add rule arp y j reject',
      'list ruleset',
      'flush ruleset',
    ]);
  });
});

// The IPv6 answers' hop limit: nf_reject_skb_v6_unreach / _tcp_reset put net->ipv6.devconf_all->hop_limit (no route is
// looked up, so no RTAX_HOPLIMIT metric and not the device's own hop_limit): with net.ipv6.conf.all.hop_limit 33 and
// eth0's 44, Linux 6.18 answers with 33 (the IPv4 ones with net.ipv4.ip_default_ttl, 99 here).
const HOPS = { 'net.ipv6.conf.all.hop_limit': 33, 'net.ipv6.conf.eth0.hop_limit': 44, 'net.ipv4.ip_default_ttl': 99 };
const HOP_CASES: Uint8Array[] = [
  to(u6(3000, 20), { type: 0x86dd }),
  to(ipv6({ src: A6, dst: B6, nh: 6 }, tcp(A6, B6, 40002, 80, SYN, 77, 0)), { type: 0x86dd }),
  to(u4(3000, 20)),
];

describe.skipIf(unready !== '' || noKernel !== '')(`the netdev reject's hop limit and TTL against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const topo = { links: LINKS, routes: ROUTES, neigh: NEIGH, sysctls: HOPS };
  const kern = kernelNftRun(RULESET, HOP_CASES, 'nr50hl', [], 'eth0', topo);

  it('answers with net.ipv6.conf.all.hop_limit and net.ipv4.ip_default_ttl', async () => {
    const { out } = await oursNftRun(RULESET, HOP_CASES, 'eth0', topo);
    expect(out).toEqual(kern.out);
    // derived by hand: the IPv6 header's byte 7, the IPv4 header's byte 8 (after 14 bytes of Ethernet header)
    expect(kern.out.map((o) => o.map((h) => parseInt(h.slice((14 + (h.slice(24, 28) === '86dd' ? 7 : 8)) * 2, (14 + (h.slice(24, 28) === '86dd' ? 7 : 8)) * 2 + 2), 16)))).toEqual([[33], [33], [99]]);
  });
});

// The ip6 family's reject, for contrast: nf_send_reset6 and icmpv6_send route the answer and put ip6_dst_hoplimit — the
// route's RTAX_HOPLIMIT metric (wxdp has none: `ip route … hoplimit` is refused), else the route's device's hop_limit:
// eth0's 44, not all's 33 (Linux 6.18).
const INET6 = `table ip6 f {
	chain pre {
		type filter hook prerouting priority filter; policy accept;
		udp dport 3000 reject
		tcp dport 80 reject with tcp reset
	}
}
`;
const IN6_CASES: Uint8Array[] = [HOP_CASES[0]!, HOP_CASES[1]!];

describe.skipIf(unready !== '' || noKernel !== '')(`the ip6 reject's hop limit against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const topo = { links: LINKS6, routes: ROUTES6, neigh: NEIGH6, sysctls: { ...HOPS, 'net.ipv6.conf.all.forwarding': 1 } };
  const kern = kernelNftRun(INET6, IN6_CASES, 'nr50h6', [], 'eth0', topo);

  it("answers with the route's device's hop_limit", async () => {
    const { out } = await oursNftRun(INET6, IN6_CASES, 'eth0', topo);
    // masked: the ICMPv6 error's flow label (icmpv6_send's auto flow label hashes a secret)
    const own = (o: string[][]): string[][] => o.map((x) => x.map((h) => hex(maskOwn(Buffer.from(h, 'hex')))));
    expect(own(out)).toEqual(own(kern.out));
    // derived by hand: the IPv6 header's byte 7 (after 14 bytes of Ethernet header)
    expect(kern.out.map((o) => o.map((h) => parseInt(h.slice(42, 44), 16)))).toEqual([[44], [44]]);
  });
});

// When the answer leaves: nft_reject_netdev_eval sends it from inside the rule (dev_queue_xmit: eth0's egress chains
// run then), after what the hook's earlier rules dup'd — so eth1 sees the copy of the frame before the copy of the
// answer eth0's egress chain makes, and an answer follows however many copies came first (16 here: wxdp's list of a
// hook's frames held 16, and lost the answer behind them). Frames out of eth0 and eth1, in order, as Linux 6.18's.
const DUPS = Array.from({ length: 16 }, () => 'dup to "eth1"').join(' ');
const ORDER = `table netdev od {
	chain in0 {
		type filter hook ingress device "eth0" priority filter; policy accept;
		udp dport 3010 dup to "eth1"
		udp dport 3011 ${DUPS}
		udp dport { 3010, 3011 } jump rj
	}
	chain rj {
		reject
	}
	chain out0 {
		type filter hook egress device "eth0" priority filter; policy accept;
		dup to "eth1"
	}
}
`;
const ORDER_CASES = [to(u4(3010, 20)), to(u4(3011, 20))];

describe.skipIf(unready !== '' || noKernel !== '')(`the netdev reject's answer among the hook's copies against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(ORDER, ORDER_CASES, 'nr50od', [], ['eth0', 'eth1']);

  it('sends the answer after the copies before it, however many', async () => {
    const { out } = await oursNftRun(ORDER, ORDER_CASES, ['eth0', 'eth1']);
    expect(out).toEqual(kern.out);
    // derived by hand: the answer out of eth0; out of eth1 the copies of the frame, then the answer's copy
    // (the IP protocol after `DEV ` and 14 bytes of Ethernet header: ICMP for the answer)
    expect(kern.out.map((o) => o.map((x) => x.slice(0, 4) + (x.slice(5 + 46, 5 + 48) === '01' ? 'answer' : 'frame')))).toEqual([
      ['eth0answer', 'eth1frame', 'eth1answer'],
      ['eth0answer', ...Array<string>(16).fill('eth1frame'), 'eth1answer'],
    ]);
  });
});
