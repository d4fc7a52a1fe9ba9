// `dup to ADDR [device DEV]` in the ip and ip6 families (issue 15; nft_dup_ipv4 / nft_dup_ipv6 → nf_dup_ipv4 /
// nf_dup_ipv6): a copy of the packet, untracked, its TTL / hop limit lowered at prerouting (0 wraps: no check), IPv4's
// DF set, routed to the address (the neighbour is the address unless the route names a gateway; `device`: a route
// through that device, else on link) and sent through output and postrouting before the original goes on. A Linux
// router in namespaces loaded with `nft -f` and wxdp with the same file; the same frames sent into both on eth0, what
// each sent compared byte for byte, then `list ruleset` (the counters of the copies' chains). Then nft's listing of
// the statement and its errors with their places.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { eth, fragments4, inetChecksum, ipv4, ipv6, stackUnready, udp4, udp6 } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { udpSocket } from '../net/udp_send_support.js';
import { UdpSender } from '../../src/control/udp_send.js';
import { AF_INET6 } from '../../src/runtime/net_abi.js';
import { H0, H1, LINKS6, M0, M1, NEIGH6, ROUTES6, SYN, tcp4 } from './ct_support.js';
import { kernelNftRun, oursNftRun } from './nft_kernel_support.js';
import { expectSequenceAsNft, nftAgainst, nftSession } from './nft_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');
const skipWhy = noKernel ? ` (skipped: ${noKernel})` : '';

const RULESET4 = `table ip d {
	chain pre {
		type filter hook prerouting priority filter; policy accept;
		udp dport 3900 dup to 198.51.100.2
		udp dport 3901 dup to 198.51.100.2 counter drop
		udp dport 3902 dup to 203.0.113.9
		udp dport 3903 dup to 198.51.100.7 device "eth1"
		udp dport 3904 dup to 198.51.100.2 device "eth0"
		udp dport 3905 jump sub
		udp dport 3905 counter
	}

	chain sub {
		dup to 198.51.100.2
		counter
	}

	chain forw {
		type filter hook forward priority filter; policy accept;
		udp dport 3906 dup to 192.0.2.2
		tcp dport 3907 reject with tcp reset
	}

	chain outp {
		type filter hook output priority filter; policy accept;
		udp dport 3900-3910 ct state untracked counter
		udp dport 3900-3910 dup to 198.51.100.2
		tcp flags rst dup to 198.51.100.2
	}

	chain post {
		type filter hook postrouting priority filter; policy accept;
		udp dport 3900-3910 ct state untracked counter
		udp dport 3900-3910 ct state new counter
	}
}
`;

const dgram4 = (dport: number, ipLen: number, ttl: number, i: number, df = false): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '203.0.113.5', proto: 17, id: 0x4b00 + i, ttl, df }, udp4('192.0.2.2', '203.0.113.5', 4100 + i, dport, new Uint8Array(ipLen - 28).fill(i))));

// [dport, IP length, TTL, frames out of eth1 (derived by hand)]
const RUNS4: Array<[number, number, number, number]> = [
  [3900, 60, 64, 2], // the copy to H1 (TTL 63, DF), then the original routed to H1 (TTL 63)
  [3900, 60, 1, 1], // the copy with TTL 0; the original is too old to forward (its ICMP error leaves eth0)
  [3900, 60, 0, 1], // TTL 0 wraps to 255 in the copy (no check); the original as above
  [3900, 80, 64, 2], // DF already set (the frame's): the same
  [3901, 70, 64, 1], // the copy only: the original is dropped after it
  [3902, 60, 64, 2], // to an address behind the gateway: the copy goes to the gateway H1
  [3903, 60, 64, 2], // to a neighbour not yet known: the ARP request for 198.51.100.7, then the original
  [3904, 60, 64, 1], // through eth0 (no route there: on link): nothing of it on eth1, the original
  [3905, 60, 64, 2], // from a jumped-to chain: the copy, then the rules after the jump go on (counted)
  [3906, 60, 64, 1], // from forward: the copy goes back out of eth0, the original out of eth1
  [3907, 40, 64, 1], // a SYN forward rejects: the reset (the stack's own, at output) copied to H1; itself out of eth0
];
const SYN4 = eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '203.0.113.5', proto: 6, id: 0x4c00, ttl: 64 }, tcp4('192.0.2.2', '203.0.113.5', 4300, 3907, { seq: 1000, flags: SYN })));
const FRAMES4 = RUNS4.map(([dport, len, ttl], i) => (dport === 3907 ? SYN4 : dgram4(dport, len, ttl, i, i === 3)));

describe.skipIf(unready !== '' || noKernel !== '')(`dup to an IPv4 address against the kernel${skipWhy}`, () => {
  const kern = kernelNftRun(RULESET4, FRAMES4, 'nf48d4', ['list ruleset'], 'eth1');

  it(`sends out of eth1 what the kernel sends for ${FRAMES4.length} frames, byte for byte, and counts as it counts`, async () => {
    const { fx, out } = await oursNftRun(RULESET4, FRAMES4);
    expect(out).toEqual(kern.out);
    expect(out.map((x) => x.length)).toEqual(RUNS4.map((r) => r[3]));
    const mac = (m: string): string => m.replace(/:/g, '');
    // derived by hand: the copy first, to H1 from eth1's address; TTL (IP byte 8) 63; DF (byte 6) 0x40; the
    // original after it with TTL 63 and its flags as they came
    const ip = (f: string, at: number): string => f.slice(28 + at * 2, 28 + at * 2 + 2);
    expect(out[0]![0]!.slice(0, 28)).toBe(`${mac(H1)}${mac(M1)}0800`);
    expect([ip(out[0]![0]!, 6), ip(out[0]![0]!, 8)]).toEqual(['40', '3f']);
    expect([ip(out[0]![1]!, 6), ip(out[0]![1]!, 8)]).toEqual(['00', '3f']);
    expect(ip(out[1]![0]!, 8)).toBe('00');
    expect(ip(out[2]![0]!, 8)).toBe('ff');
    expect(out[6]![0]!.slice(0, 28)).toBe(`ffffffffffff${mac(M1)}0806`);
    const list = kern.lists['0 list ruleset']!;
    expect(fx.dp.nft('list ruleset')).toBe(list);
    // the copies pass output and postrouting untracked (one per copy made, the two of dport 3906 included)
    expect(list).toContain('udp dport 3900-3910 ct state untracked counter packets 10 bytes 630\n');
    expect(list).toContain('udp dport 3901 dup to 198.51.100.2 counter packets 1 bytes 70 drop\n');
  });
});

describe.skipIf(unready !== '' || noKernel !== '')(`dup to an IPv4 address out of eth0 against the kernel${skipWhy}`, () => {
  const frames = [dgram4(3904, 60, 64, 20), dgram4(3906, 60, 64, 21), SYN4];
  const kern = kernelNftRun(RULESET4, frames, 'nf48d0', [], 'eth0');

  it('sends out of eth0 what the kernel sends: an ARP request on link, the forward hook\'s copy back to H0, a reset', async () => {
    const { out } = await oursNftRun(RULESET4, frames, 'eth0');
    expect(out).toEqual(kern.out);
    // the reset itself goes back to H0 (its output route kept while its copy was routed to H1)
    expect(out.map((x) => x.length)).toEqual([1, 1, 1]);
    expect(out[2]![0]!.slice(0, 12)).toBe(H0.replace(/:/g, ''));
    expect(out[0]![0]!.slice(24, 28)).toBe('0806');
    // forward's copy: TTL as forward left it (63), not lowered again
    expect(out[1]![0]!.slice(0, 12)).toBe(H0.replace(/:/g, ''));
    expect(out[1]![0]!.slice(28 + 16, 28 + 18)).toBe('3f');
  });
});

// A datagram conntrack reassembled: the copy keeps frag_max_size and shares the fragment list (pskb_copy), so it is
// cut again at frag_max_size (ip_do_fragment's slow path: the fragments are shared), DF not copied into the fragments
// — Linux 6.18 sends no fragmentation needed for it. 4,000 bytes (over a pool frame: the copy in a big frame), 1,400 in two (fits the MTU: cut as it
// came all the same), 1,400 whole (one frame, no DF: the copy whole with DF).
const dgramBig = (n: number, i: number): Uint8Array => ipv4({ src: '192.0.2.2', dst: '203.0.113.5', proto: 17, id: 0x4d00 + i, ttl: 64 }, udp4('192.0.2.2', '203.0.113.5', 4400 + i, 3900, new Uint8Array(n - 28).fill(i)));
const toM0 = (ip: Uint8Array): Uint8Array => eth({ dst: M0, src: H0, type: 0x0800 }, ip);
// fragments of the payload sizes given, in order (RFC 791: offsets in 8-byte units, MF on all but the last)
const cut4 = (d: Uint8Array, sizes: number[]): Uint8Array[] => {
  let off = 0;
  return sizes.map((n, i) => {
    const h = Uint8Array.from(d.subarray(0, 20));
    const fo = (off >> 3) | (i + 1 < sizes.length ? 0x2000 : 0);
    [h[2], h[3], h[6], h[7], h[10], h[11]] = [(20 + n) >> 8, (20 + n) & 0xff, fo >> 8, fo & 0xff, 0, 0];
    const c = inetChecksum(h);
    [h[10], h[11]] = [c >> 8, c & 0xff];
    const f = new Uint8Array(20 + n);
    f.set(h);
    f.set(d.subarray(20 + off, 20 + off + n), 20);
    off += n;
    return f;
  });
};
// and 1,400 in a short fragment then a long one: the copy cut at the long one's 996 (the slow path), not as it came
const FRAMES_REASM = [...fragments4(dgramBig(4000, 1), 1500).map(toM0), ...fragments4(dgramBig(1400, 2), 800).map(toM0), toM0(dgramBig(1400, 3)), ...cut4(dgramBig(1400, 4), [400, 980]).map(toM0)];

describe.skipIf(unready !== '' || noKernel !== '')(`dup of a reassembled IPv4 datagram against the kernel${skipWhy}`, () => {
  const kern = kernelNftRun(RULESET4, FRAMES_REASM, 'nf48dr', ['list ruleset'], ['eth0', 'eth1']);

  it('cuts the copy at the largest fragment, a big one too, as the kernel does', async () => {
    const { fx, out } = await oursNftRun(RULESET4, FRAMES_REASM, ['eth0', 'eth1']);
    expect(out).toEqual(kern.out);
    // by hand: 3 fragments of copy then 3 of the original (1500, 1500, 1040 of IP), then 2 + 2 (796, 624), then 2, then
    // the copy at 996 (976 bytes of data, then 404: 424 of IP) and the original as it came (420, 1000)
    expect(out.map((x) => x.map((f) => (f.length - 5) / 2 - 14))).toEqual([[], [], [1500, 1500, 1040, 1500, 1500, 1040], [], [796, 624, 796, 624], [1400, 1400], [], [996, 424, 420, 1000]]);
    // no DF in the copy's fragments (IP byte 6: MF only), DF in the whole one's copy
    expect(out[2]![0]!.slice(5 + 28 + 12, 5 + 28 + 14)).toBe('20');
    expect(out[5]![0]!.slice(5 + 28 + 12, 5 + 28 + 14)).toBe('40');
    expect(fx.dp.nft('list ruleset')).toBe(kern.lists['0 list ruleset']);
  });
});

const RULESET6 = `table ip6 d {
	chain pre {
		type filter hook prerouting priority filter; policy accept;
		udp dport 3900 dup to 2001:db8:2::2
		udp dport 3902 dup to 2001:db8:3::9 counter
		udp dport 3903 dup to 2001:db8:2::7 device "eth1"
		udp dport 3904 dup to 2001:db8:2::2 device "eth0"
	}

	chain post {
		type filter hook postrouting priority filter; policy accept;
		udp dport 3900-3910 ct state untracked counter
	}
}
`;

const dgram6 = (dport: number, ipLen: number, hop: number, i: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x86dd }, ipv6({ src: '2001:db8:1::2', dst: '2001:db8:3::5', nh: 17, hlim: hop }, udp6('2001:db8:1::2', '2001:db8:3::5', 4200 + i, dport, new Uint8Array(ipLen - 48).fill(i))));
const RUNS6: Array<[number, number, number, number]> = [
  [3900, 80, 64, 2], // the copy (hop limit 63), then the original routed (63)
  [3900, 80, 1, 1], // the copy with hop limit 0; the original is too old to forward
  [3902, 80, 64, 2], // behind the gateway: the copy to the gateway
  [3903, 80, 64, 2], // to a neighbour not yet known: a neighbour solicitation, then the original
  [3904, 80, 64, 1], // through eth0: no route there (IFACE-strict lookup), no copy; the original
];
const FRAMES6 = RUNS6.map(([dport, len, hop], i) => dgram6(dport, len, hop, i));

const TOPO6 = { links: LINKS6, routes: ROUTES6, neigh: NEIGH6, sysctls: { 'net.ipv6.conf.all.forwarding': 1 } };
describe.skipIf(unready !== '' || noKernel !== '')(`dup to an IPv6 address against the kernel${skipWhy}`, () => {
  const topo = TOPO6;
  const kern = kernelNftRun(RULESET6, FRAMES6, 'nf48d6', ['list ruleset'], 'eth1', topo);

  it(`sends out of eth1 what the kernel sends for ${FRAMES6.length} frames, byte for byte`, async () => {
    const { fx, out } = await oursNftRun(RULESET6, FRAMES6, 'eth1', topo);
    expect(out).toEqual(kern.out);
    expect(out.map((x) => x.length)).toEqual(RUNS6.map((r) => r[3]));
    // the hop limit (IPv6 byte 7): 63 in both, 0 in the copy of a frame that came with 1
    expect(out[0]!.map((f) => f.slice(28 + 14, 28 + 16))).toEqual(['3f', '3f']);
    expect(out[1]![0]!.slice(28 + 14, 28 + 16)).toBe('00');
    expect(fx.dp.nft('list ruleset')).toBe(kern.lists['0 list ruleset']);
  });
});

// The copy's route lookup sees nf_dup_ipv6_route's flowlabel: ((flow_lbl[0] & 0xf) << 16 | flow_lbl[1] << 8 |
// flow_lbl[2]) built in host order, not swapped — on a little-endian host the label's bytes reversed in the flowinfo
// word and no traffic class, so `tos 0x20` (ip6_dscp of the word: (label & 0xf) << 4 | (label >> 12 & 0xf)) matches
// the copy of a label 0x00002 with class 0 and not the copy of class 0x20 with label 0. Table 100 holds the copy's
// address as a blackhole: matched, no copy. By hand: [frames out of eth1].
const TOS6 = { ...TOPO6, ip: ['-6 rule add tos 0x20 lookup 100', '-6 route add blackhole 2001:db8:2::2/128 table 100'] };
const label6 = (tc: number, flow: number, i: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x86dd }, ipv6({ src: '2001:db8:1::2', dst: '2001:db8:3::5', nh: 17, hlim: 64, tc, flow }, udp6('2001:db8:1::2', '2001:db8:3::5', 4500 + i, 3900, new Uint8Array(40).fill(i))));
const RUNS_TOS6: Array<[number, number, number]> = [
  [0, 0x00002, 1], // the lookup's class 0x20: the blackhole, the original only
  [0x20, 0, 2], // class 0x20 but none in the lookup: the copy, then the original
  [0, 0x12345, 2], // class (5 << 4 | 2) = 0x52: the copy
  [0, 0x00202, 1], // (2 << 4) | (0x02 >> 4) = 0x20 again: no copy
];
const FRAMES_TOS6 = RUNS_TOS6.map(([tc, flow], i) => label6(tc, flow, i));

describe.skipIf(unready !== '' || noKernel !== '')(`dup to an IPv6 address routed by a tos rule against the kernel${skipWhy}`, () => {
  const kern = kernelNftRun(RULESET6, FRAMES_TOS6, 'nf48dt', [], 'eth1', TOS6);

  it('routes the copy with the flowlabel word the kernel builds', async () => {
    const { out } = await oursNftRun(RULESET6, FRAMES_TOS6, 'eth1', TOS6);
    expect(out).toEqual(kern.out);
    expect(out.map((x) => x.length)).toEqual(RUNS_TOS6.map((r) => r[2]));
  });
});

// By hand: the port unreachable this host sends itself (icmpv6_send: a local route, through lo) is looked up by
// __udp6_lib_err on inet6_iif, its local route's device — eth0 for 2001:db8:1::1, where the sender's socket is bound
// (SO_BINDTODEVICE): found, no Icmp6:InErrors. Its copy, dup'd at output to eth1's address (a local route too), comes
// back with eth1 and finds none (InErrors 1); the copy's route must not leave eth1 to the original.
describe.skipIf(unready !== '')('dup of a datagram this host sends itself to its own address', () => {
  it('leaves the original its local route\'s device', async () => {
    const rs = 'table ip6 o {\n\tchain outp {\n\t\ttype filter hook output priority filter; policy accept;\n\t\ticmpv6 type destination-unreachable dup to 2001:db8:2::1\n\t}\n}\n';
    const { fx } = await oursNftRun(rs, [], 'eth1', TOPO6);
    fx.dp.ip('link set lo up');
    const sk = udpSocket(fx.dp, { family: AF_INET6, boundDev: fx.dp.links.ifindex('eth0'), bind: { port: 5000 } });
    new UdpSender(fx.dp).send(sk, new Uint8Array(16).fill(9), { address: '2001:db8:1::1', port: 9 });
    const m = fx.nonzero();
    expect([m['Udp6:NoPorts'], m['Icmp6:OutDestUnreachs'], m['Icmp6:InDestUnreachs'], m['Icmp6:InErrors']]).toEqual([1, 1, 2, 1]);
  });
});

const { nsa, skip, why } = nftAgainst('nf48dl');

describe.skipIf(skip)(`dup to an address, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'nf48dl');

  it('lists it as nft does and refuses what nft refuses, at its place', () => {
    expectSequenceAsNft(s.ns, s.dp, [
      'add table ip x',
      'add chain ip x c { type filter hook prerouting priority 0; }',
      'add rule ip x c dup to 192.0.2.1',
      'add rule ip x c dup to 192.0.2.1 device lo',
      'add rule ip x c dup to 192.0.2.1 device "lo" counter',
      'add rule ip x c ip saddr 198.51.100.1 dup to 192.0.2.1 accept',
      'add rule ip x c dup to 192.0.2.1 device nope',
      'add rule ip x c dup to 2001:db8::1',
      'add rule ip x c dup to 192.0.2.1 device',
      'add rule ip x c dup to',
      'add rule ip x c fwd to lo',
      'add table ip6 y',
      'add chain ip6 y c { type filter hook input priority 0; }',
      'add rule ip6 y c dup to 2001:db8::1 device lo',
      'add rule ip6 y c dup to 2001:db8::1',
      'add rule ip6 y c dup to 192.0.2.1',
      'add table inet z',
      'add chain inet z c { type filter hook forward priority 0; }',
      'add rule inet z c dup to 192.0.2.1',
      'add table netdev n',
      'add chain netdev n a { type filter hook ingress device lo priority 0; }',
      'add rule netdev n a dup to 192.0.2.1 device lo',
      'add rule netdev n a dup to lo device lo',
      'add rule netdev n a fwd to lo device lo',
      'add rule netdev n a dup to 192.0.2.1',
      'list ruleset',
      'flush ruleset',
    ]);
  });

  // what a syntax error at a command's end expects: the end of input too at the top level, not inside a block
  it('words a command ended early as nft does, at the top level and inside a block', () => {
    expectSequenceAsNft(s.ns, s.dp, [
      'add table ip x',
      'add chain ip x c',
      'add rule ip x c counter device',
      'add table ip x extra',
      'add chain ip x c2 extra',
      'list ruleset extra',
      'add rule ip x c counter device; add rule ip x c accept',
      'table ip x { chain c { counter device; } }',
      'table ip x { chain c { counter; } } extra',
      'flush ruleset',
    ]);
    // `dup to ip saddr map { … }`, which nft takes: refused by name
    expect(() => s.dp.nft('add table ip d\nadd chain ip d c { type filter hook prerouting priority 0; }\nadd rule ip d c dup to ip saddr map { 192.0.2.2 : 198.51.100.2 }\n')).toThrow(/wxdp has no dup to an expression's value yet/);
  });
});
