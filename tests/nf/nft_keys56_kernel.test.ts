// The nft keys wxdp refused before 12-07 (nfk56): conntrack's counters (`ct bytes`, `ct packets`, `ct avgpkt`, of a
// direction or both: nft_ct_get_eval reads nf_conn_acct, 0 for an entry made while net.netfilter.nf_conntrack_acct was
// 0) and the header bit fields nft loads with a mask (`ip version` / `hdrlength`, `ip6 version` / `ecn` / `flowlabel`,
// `tcp doff` / `reserved`, the IPv6 fragment header's `frag-off` / `more-fragments` / `reserved2`, `tcp option mptcp
// subtype`) — rules loaded by nft 1.0.6 and by wxdp and listed back alike, bad values refused alike, then frames through
// a Linux 6.18 router in namespaces (the sysctl turned on mid-run) and through wxdp: the same frames out, the same
// counters, and conntrack -L alike (its counters shown for the entries made with accounting on). Then `meta pkttype set`,
// `ct original|reply proto-src|proto-dst`, and `symhash` (its buckets the kernel's seed decides: both directions of a flow
// hash alike and flows spread, compared so).

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat, eth, Fixture, ipv4, ipv6, stackUnready, udp4 } from '../net/support.js';
import { KernelRouter, kernelUnavailable } from '../net/kernel.js';
import { H0, H1, LINKS, M0, M1, NEIGH, SYN, l4over6, parseConntrackL, tcpFrame, udpBytes, sentCompleted, TOPO_DUAL } from './ct_support.js';
import { expectSequenceAsNft, loadListedAsNft, nftAgainst, nftSession } from './nft_support.js';

const { nsa, skip, why } = nftAgainst('nfk56o');

const RULES = [
  'ct bytes 100',
  'ct original bytes > 10',
  'ct reply packets 3',
  'ct avgpkt 5',
  'ct packets 0',
  'ct original avgpkt < 100',
  'ct bytes 0x10',
  'ct reply avgpkt { 1, 5-10 }',
  'ct original packets >= 3 ct reply bytes != 0',
  'frag more-fragments 1',
  'frag frag-off 5',
  'frag frag-off 5-7',
  'frag reserved2 1',
  'frag frag-off 0 frag more-fragments 0',
  'tcp option mptcp subtype 1',
  'tcp option mptcp subtype { 0, 2 }',
  'ip6 flowlabel 5',
  'ip6 flowlabel { 5, 7 }',
  'ip6 flowlabel 0x12345',
  'tcp doff 5',
  'tcp doff > 5',
  'tcp doff 5-8',
  'ip hdrlength 5',
  'ip hdrlength != 5',
  'ip version 4',
  'ip6 version 6',
  'ip6 ecn ce',
  'ip6 ecn { ce, ect0 }',
  'ip6 ecn 2',
  'tcp reserved 0',
  'ip6 version 6 ip6 flowlabel 0',
  'tcp doff 5 tcp dport 22',
  'meta l4proto tcp ct original proto-src 53',
  'udp dport 53 ct reply proto-dst != 53',
  'meta l4proto udp ct original proto-dst 1-1024',
  'meta l4proto icmp ct original proto-src 5',
  'symhash mod 2 vmap { 0 : accept, 1 : drop }',
  'meta mark set symhash mod 3 offset 1',
  'ct mark set symhash mod 2',
  'ct zone set 3',
  'udp dport 53 ct zone set 0x10 counter',
];

const REFUSED = [
  'add table inet t',
  'add chain inet t c { type filter hook forward priority 0; }',
  'add rule inet t c ct bytes 18446744073709551616',
  'add rule inet t c ct bytes foo',
  'add rule inet t c ct original avgpkt -1',
  'add rule inet t c tcp option mptcp subtype 16',
  'add rule inet t c ip6 flowlabel 1048576',
  'add rule inet t c tcp doff 16',
  'add rule inet t c ip version foo',
  'add rule inet t c ip6 ecn foo',
  'add rule inet t c ip6 ecn 4',
  'add rule inet t c frag more-fragments 2',
  'add rule inet t c frag frag-off 8192',
  'add rule inet t c frag reserved2 4',
  'add rule inet t c meta pkttype set host',
  'add rule inet t c ct proto-src 1',
  'add rule inet t c meta l4proto udp ct proto-dst 53',
  'add rule inet t c ct protocol tcp ct reply proto-dst 80',
  'add rule inet t c symhash mod 0 vmap { 0 : accept }',
  'add rule inet t c ct zone set 65536',
  'add rule inet t c ct zone set foo',
  'add rule inet t c symhash mod 2 seed 3 vmap { 0 : accept }',
  'add rule inet t c symhash mod 4294967295 offset 2 vmap { 0 : accept }',
  'add chain inet t p { type filter hook prerouting priority 0; }',
  'add rule inet t p meta pkttype set foo',
  'add rule inet t p meta pkttype set broadcast',
  'add rule inet t p pkttype set 7',
  'add chain inet t r',
  'add rule inet t r meta pkttype set host',
  'add rule inet t p jump r',
  'add rule inet t c jump r',
  'add table arp a',
  'add chain arp a c { type filter hook input priority 0; }',
  'add rule arp a c meta pkttype set host',
  'add table netdev n',
  'add chain netdev n c { type filter hook ingress devices = { lo } priority 0; }',
  'add rule netdev n c ct zone set 3',
  'list ruleset',
];

describe.skipIf(skip)(`ct counters and header bit fields, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'nfk56o');

  it(`takes ${RULES.length} rules and lists them as nft does`, () => {
    const file = join(s.dir, 'keys56.nft');
    writeFileSync(file, ['table inet f {', '\tchain c {', '\t\ttype filter hook forward priority 0; policy accept;', ...RULES.map((r) => `\t\t${r}`), '\t}', '}', ''].join('\n'));
    loadListedAsNft(s.ns, s.dp, file);
    expectSequenceAsNft(s.ns, s.dp, ['delete table inet f']);
  });

  it(`refuses rules as nft does, each at its place (${REFUSED.length} commands)`, () => {
    expectSequenceAsNft(s.ns, s.dp, REFUSED);
  });
});

const RULESET = `table ip a {
	chain forward {
		type filter hook forward priority filter; policy accept;
		udp dport 5001 ct original packets > 2 counter drop
		udp dport 5002 ct bytes >= 100 counter drop
		udp dport 5003 ct avgpkt > 40 counter drop
		udp sport 5004 ct reply packets 1 ct original packets 1 counter
		udp dport 5004 ct reply bytes > 0 counter drop
		udp dport 5005 ct packets 0 counter
		udp dport 5005 ct original bytes 36 ct avgpkt 36 counter
		udp dport 5101 ip hdrlength 6 counter drop
		udp dport 5102 ip version 4 counter
		tcp dport 5201 tcp doff 8 counter drop
		tcp dport 5202 tcp option mptcp subtype 1 counter drop
		tcp dport 5203 tcp reserved 0 counter
		udp dport 5501 ct original proto-src 6501 counter drop
		udp sport 5502 ct reply proto-dst 6503 counter drop
		meta l4proto udp ct original proto-dst 5503-5504 ct reply proto-src 5503 counter drop
		udp dport 5701 ct zone 3 counter
		udp dport 5701 ct zone 0 counter drop
		udp dport 5702 ct zone 0 counter
	}

	chain raw {
		type filter hook prerouting priority raw; policy accept;
		udp dport 5701 ct zone set 3
	}

	chain pre {
		type filter hook prerouting priority filter; policy accept;
		udp dport 5401 meta pkttype set host counter
		udp dport 5402 meta pkttype set other counter
		udp dport 5403 meta pkttype set 7 counter
	}
}
table ip6 b {
	chain forward {
		type filter hook forward priority filter; policy accept;
		udp dport 5301 ip6 flowlabel 0x12345 counter drop
		udp dport 5302 ip6 ecn ce counter drop
		udp dport 5303 ip6 dscp cs1 ip6 ecn ect0 counter drop
		udp dport 5304 ip6 version 6 counter
		frag more-fragments 1 frag id 11 counter drop
		frag frag-off 100 counter drop
		frag reserved2 1 counter drop
	}

	chain pre {
		type filter hook prerouting priority filter; policy accept;
		udp dport 5404 meta pkttype set host counter
	}
}
`;

const IN = '192.0.2.2';
const OUT = '203.0.113.5';
/** A UDP datagram from the inside host (port `sport`), `n` bytes of payload; `reply`: from the outside back to it. */
const dgram = (dport: number, sport: number, n = 8, reply = false, options: number[] = [], dmac?: string): [string, Uint8Array] => {
  const [src, dst] = reply ? [OUT, IN] : [IN, OUT];
  const [sp, dp] = reply ? [dport, sport] : [sport, dport];
  const mac = reply ? { dst: M1, src: H1, type: 0x0800 } : { dst: dmac ?? M0, src: H0, type: 0x0800 };
  return [reply ? 'eth1' : 'eth0', eth(mac, ipv4({ src, dst, proto: 17, id: 0x5600 + n + sp, options }, udp4(src, dst, sp, dp, new Uint8Array(n).fill(n))))];
};
/** MP_CAPABLE (subtype 0, version 1) and MP_JOIN (subtype 1) in a SYN, 12 bytes each. */
const MP_CAPABLE = [30, 12, 0x01, 0x81, 1, 2, 3, 4, 5, 6, 7, 8];
const MP_JOIN = [30, 12, 0x10, 0x00, 1, 2, 3, 4, 5, 6, 7, 8];
const seg = (dport: number, i: number, options: number[]): [string, Uint8Array] => ['eth0', tcpFrame('in', IN, OUT, 40100 + i, dport, { seq: 500 + i, flags: SYN, options })];

/** A UDP datagram over IPv6 to 2001:db8:3::5, its traffic class and flow label as given, behind `ext` headers (first: the next header). */
const dgram6 = (dport: number, i: number, tc = 0, flow = 0, first = 17, ext: Uint8Array[] = [], dmac = M0): [string, Uint8Array] =>
  ['eth0', eth({ dst: dmac, src: H0, type: 0x86dd }, ipv6({ src: '2001:db8:1::2', dst: '2001:db8:3::5', nh: first, hlim: 64, tc, flow }, concat(...ext, l4over6('2001:db8:1::2', '2001:db8:3::5', 17, udpBytes(42000 + i, dport, new Uint8Array(8).fill(i))))))];
/** A fragment header: next header UDP, offset (8-byte units), reserved2, M, id. */
const frag = (off: number, res2: number, m: number, id: number): Uint8Array => Uint8Array.of(17, 0, off >> 5, ((off & 0x1f) << 3) | (res2 << 1) | m, 0, 0, 0, id);

/** Frames sent while net.netfilter.nf_conntrack_acct is 0 (flow 5005 A), then the rest with it 1. */
const BEFORE: Array<[string, Uint8Array]> = [dgram(5005, 6000), dgram(5005, 6000)];
const AFTER: Array<[string, Uint8Array]> = [
  ...[0, 1, 2, 3].map(() => dgram(5001, 6001)), // packets 1, 2 through; 3, 4 dropped
  ...[0, 1, 2, 3].map(() => dgram(5002, 6002)), // bytes 36, 72 through; 108, 144 dropped
  dgram(5003, 6003), dgram(5003, 6003, 32), dgram(5003, 6003), // avg 36 through; 48, 44 dropped
  dgram(5004, 6004), dgram(5004, 6004, 8, true), dgram(5004, 6004), // the third sees the reply's bytes: dropped
  dgram(5005, 6000), dgram(5005, 6005), // the old entry has no counters (reads 0); the new one counts
  dgram(5101, 6101, 8, false, [1, 1, 1, 0]), dgram(5101, 6102), // IHL 6 dropped, 5 through
  dgram(5102, 6103),
  seg(5201, 0, [2, 4, 5, 0xb4, 4, 2, 1, 3, 3, 7]), seg(5201, 1, [2, 4, 5, 0xb4]), // doff 8 dropped, 6 through
  seg(5202, 0, MP_CAPABLE), seg(5202, 1, MP_JOIN), // MP_JOIN dropped
  seg(5203, 0, []),
  dgram6(5301, 0, 0, 0x12345), dgram6(5301, 1, 0, 0x12346),
  dgram6(5302, 0, 3), dgram6(5302, 1, 2),
  dgram6(5303, 0, (8 << 2) | 2), dgram6(5303, 1, 8 << 2),
  dgram6(5304, 0),
  dgram6(5305, 0, 0, 0, 44, [frag(0, 0, 1, 11)]), dgram6(5305, 1, 0, 0, 44, [frag(0, 0, 1, 12)]), // M with id 11 dropped
  dgram6(5306, 0, 0, 0, 44, [frag(100, 0, 0, 13)]), dgram6(5306, 1, 0, 0, 44, [frag(101, 0, 0, 13)]), // offset 100 dropped
  dgram6(5307, 0, 0, 0, 44, [frag(0, 1, 0, 14)]), dgram6(5307, 1, 0, 0, 44, [frag(0, 2, 0, 14)]), // reserved2 1 dropped
  // a broadcast and a multicast frame made host at prerouting are forwarded (ip_forward takes PACKET_HOST only); a
  // broadcast one the rule does not touch is not; the router's own frame made otherhost is not; type 7 changes nothing
  dgram(5401, 6401, 8, false, [], 'ff:ff:ff:ff:ff:ff'), dgram(5401, 6402, 8, false, [], '01:00:5e:00:00:fb'), dgram(5400, 6403, 8, false, [], 'ff:ff:ff:ff:ff:ff'),
  dgram(5402, 6404), dgram(5403, 6405), dgram(5403, 6406, 8, false, [], 'ff:ff:ff:ff:ff:ff'),
  dgram6(5404, 0, 0, 0, 17, [], '33:33:00:00:00:01'), dgram6(5405, 0, 0, 0, 17, [], '33:33:00:00:00:01'),
  dgram(5501, 6501), dgram(5501, 6502), // the original source port 6501 dropped
  dgram(5502, 6503), dgram(5502, 6503, 8, true), // the reply's destination port: the original source's
  dgram(5503, 6504), dgram(5504, 6505), // the reply's source port is the original destination's
  dgram(5701, 6701), dgram(5701, 6701), dgram(5701, 6701, 8, true), dgram(5702, 6702), // zone 3 both ways (conntrack -L: zone=3)
];
/** How many of AFTER's frames each run lets through, in order: [label, frames, through]. */
const RUNS: Array<[number, number, number]> = [
  [5001, 4, 2], [5002, 4, 2], [5003, 3, 1], [5004, 3, 2], [5005, 2, 2], [5101, 2, 1], [5102, 1, 1], [5201, 2, 1], [5202, 2, 1], [5203, 1, 1],
  [5301, 2, 1], [5302, 2, 1], [5303, 2, 1], [5304, 1, 1], [5305, 2, 1], [5306, 2, 1], [5307, 2, 1],
  [5401, 3, 2], [5402, 1, 0], [5403, 2, 1], [5404, 2, 1],
  [5501, 2, 1], [5502, 2, 1], [5503, 2, 1], [5701, 4, 4],
];



const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '') ||
  (spawnSync('conntrack', ['--version']).status !== 0 ? 'conntrack (Debian conntrack) missing' : '');

describe.skipIf(unready !== '' || noKernel !== '')(`ct counters and bit fields, the stack against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  let k: KernelRouter | undefined;
  const kern = { out: [] as string[][], list: '', ct: '' };
  beforeAll(() => {
    k = KernelRouter.create(TOPO_DUAL.links, TOPO_DUAL.routes, TOPO_DUAL.neigh, TOPO_DUAL.sysctls, 'nfk56x');
    const inR = (cmd: string, args: string[], input?: string): string => {
      const r = spawnSync('ip', ['netns', 'exec', k!.router, cmd, ...args], { input, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    for (const l of TOPO_DUAL.links) for (const f of ['ipv4', 'ipv6']) inR('sysctl', ['-qw', `net/${f}/neigh/${l.name}/retrans_time_ms=60000`]);
    inR('nft', ['-f', '-'], RULESET);
    inR('sysctl', ['-qw', 'net.netfilter.nf_conntrack_acct=0']);
    kern.out = k.send(BEFORE, 0.05).map((x) => sentCompleted(x.tx, true));
    inR('sysctl', ['-qw', 'net.netfilter.nf_conntrack_acct=1']);
    kern.out.push(...k.send(AFTER, 0.05).map((x) => sentCompleted(x.tx, true)));
    kern.list = inR('nft', ['list', 'ruleset']);
    kern.ct = inR('conntrack', ['-L']);
  }, 60_000);
  afterAll(() => k?.close());

  it(`forwards what the kernel forwards of ${BEFORE.length + AFTER.length} frames, counts as it does, and lists conntrack's counters alike`, async () => {
    const fx = await Fixture.create(TOPO_DUAL.links, TOPO_DUAL.routes, TOPO_DUAL.neigh, { sysctls: TOPO_DUAL.sysctls });
    fx.dp.nft(RULESET);
    expect(fx.dp.sysctl('net.netfilter.nf_conntrack_acct')).toBe(0);
    const ours = BEFORE.map(([d, f]) => sentCompleted(fx.rx(d, f), false));
    fx.dp.sysctl('net.netfilter.nf_conntrack_acct', 1);
    ours.push(...AFTER.map(([d, f]) => sentCompleted(fx.rx(d, f), false)));
    expect(ours).toEqual(kern.out);
    // not silences compared: each run let through what its comment says
    let at = BEFORE.length;
    const through = RUNS.map(([, n]) => {
      const c = kern.out.slice(at, at + n).filter((x) => x.length === 1).length;
      at += n;
      return c;
    });
    expect(through).toEqual(RUNS.map((r) => r[2]));
    expect(fx.dp.nft('list ruleset')).toBe(kern.list);
    // the counters nft counted: flow 5005's old entry read 0 three times, the new one's first frame 36 bytes
    expect(kern.list).toContain('udp dport 5005 ct packets 0 counter packets 3 bytes 108');
    expect(kern.list).toContain('udp dport 5005 ct original bytes 36 ct avgpkt 36 counter packets 1 bytes 36');
    // conntrack -L: the same entries, counters on those made with accounting on (timeouts apart)
    const mine = parseConntrackL(fx.dp.conntrack.format()).map((l) => `${l.proto} ${l.rest}`);
    const theirs = parseConntrackL(kern.ct).map((l) => `${l.proto} ${l.rest}`);
    expect(mine).toEqual(theirs);
    expect(theirs.filter((l) => l.includes('packets=')).length).toBeGreaterThan(3);
    expect(theirs.find((l) => l.includes('sport=6000'))).not.toContain('packets=');
    expect(theirs.find((l) => l.includes('sport=6701'))).toContain('zone=3');
  });
});

/**
 * symhash: the kernel's seed is its own (hashrnd, drawn once), so no frame's bucket can be predicted — its properties
 * can: both directions of a flow hash alike (__flow_hash_consistentify) and flows spread over the buckets. 16 flows,
 * each a datagram out and its answer back, jump by `symhash mod 2` to one of two chains that count each direction.
 */
const SYM_RULESET = `table ip s {
	chain c0 {
		udp dport 5601 counter
		udp sport 5601 counter
	}

	chain c1 {
		udp dport 5601 counter
		udp sport 5601 counter
	}

	chain forward {
		type filter hook forward priority filter; policy accept;
		udp dport 5601 symhash mod 2 vmap { 0 : jump c0, 1 : jump c1 }
		udp sport 5601 symhash mod 2 offset 0 vmap { 0 : jump c0, 1 : jump c1 }
	}
}
`;
const SYM_FRAMES: Array<[string, Uint8Array]> = Array.from({ length: 16 }, (_, i) => [dgram(5601, 7000 + i * 7), dgram(5601, 7000 + i * 7, 8, true)]).flat();

/** The four counters of SYM_RULESET's listing: [c0 out, c0 back, c1 out, c1 back] in packets. */
const symCounts = (listing: string): number[] => [...listing.matchAll(/udp [sd]port 5601 counter packets (\d+)/g)].map((m) => Number(m[1]));

describe.skipIf(unready !== '' || noKernel !== '')(`symhash, the stack against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  let k: KernelRouter | undefined;
  let kernList = '';
  let kernOut: string[][] = [];
  beforeAll(() => {
    k = KernelRouter.create(LINKS, [{ dst: '203.0.113.0/24', via: '198.51.100.2', dev: 'eth1' }], NEIGH, {}, 'nfk56s');
    const r = spawnSync('ip', ['netns', 'exec', k.router, 'nft', '-f', '-'], { input: SYM_RULESET, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nft -f: ${r.stderr}`);
    kernOut = k.send(SYM_FRAMES, 0.05).map((x) => sentCompleted(x.tx, true));
    kernList = spawnSync('ip', ['netns', 'exec', k.router, 'nft', 'list', 'table', 'ip', 's'], { encoding: 'utf8' }).stdout;
  }, 60_000);
  afterAll(() => k?.close());

  it('hashes both directions of a flow alike and spreads 16 flows over both buckets, as the kernel does', async () => {
    const fx = await Fixture.create(LINKS, [{ dst: '203.0.113.0/24', via: '198.51.100.2', dev: 'eth1' }], NEIGH);
    fx.dp.nft(SYM_RULESET);
    const ours = SYM_FRAMES.map(([d, f]) => sentCompleted(fx.rx(d, f), false));
    expect(ours).toEqual(kernOut);
    const mine = symCounts(fx.dp.nft('list table ip s'));
    const theirs = symCounts(kernList);
    for (const c of [mine, theirs]) {
      expect(c[0]! + c[2]!).toBe(16);
      expect(c[0]).toBe(c[1]); // each flow's answer went where its datagram went
      expect(c[2]).toBe(c[3]);
      expect(c[0]! > 0 && c[2]! > 0).toBe(true); // both buckets used (all 16 in one: 2^-15)
    }
    // the listing but for the counters is the kernel's
    const bare = (s: string): string => s.replace(/packets \d+ bytes \d+/g, 'packets N bytes N');
    expect(bare(fx.dp.nft('list table ip s'))).toBe(bare(kernList));
  });
});
