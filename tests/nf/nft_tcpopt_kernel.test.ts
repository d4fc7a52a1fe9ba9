// TCP options, IPv6 extension headers and the route expression (nft_exthdr's NFT_EXTHDR_OP_TCPOPT and _IPV6, nft_rt):
// MSS clamping as everyone writes it (`tcp flags syn tcp option maxseg size set rt mtu`), option fields and presence,
// `reset tcp option`, `exthdr frag exists` / `frag id`, `ip option rr exists`, `rt mtu` / `rt ip nexthop`, which wxdp refused with a syntax
// error before 12-07 (nfx55): rules loaded by nft 1.0.6 and by wxdp and listed back alike, bad ones refused alike, then
// SYNs with crafted option lists (malformed ones too) and IPv6 datagrams behind extension headers through a Linux 6.18
// router in namespaces and through wxdp — the rewritten options and checksums compared byte for byte, counters alike.

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { concat, eth, ipv4, ipv6, optHdr, stackUnready, udp4 } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { ACK, H0, LINKS, LINKS6, M0, NEIGH, NEIGH6, SYN, SYN_OPTS, l4over6, tcp4, tcpFrame, udpBytes } from './ct_support.js';
import { expectOursAsKernel, kernelNftRun, type NftTopo } from './nft_kernel_support.js';
import { expectSequenceAsNft, loadListedAsNft, nftAgainst, nftSession } from './nft_support.js';

const { nsa, skip, why } = nftAgainst('nfx55o');

const RULES = [
  'tcp flags syn tcp option maxseg size set rt mtu',
  'tcp flags syn tcp option maxseg size set 1400 counter',
  'tcp option maxseg size > 1400 counter',
  'tcp option maxseg size != 1460',
  'tcp option maxseg size { 1000-1400 } counter',
  'tcp option maxseg size { 536, 1220, 1460 }',
  'tcp option maxseg exists counter',
  'tcp option maxseg missing',
  'tcp option sack-perm missing counter',
  'tcp option sack-permitted exists',
  'tcp option window count 3',
  'tcp option window length 3',
  'tcp option timestamp tsval 5',
  'tcp option timestamp tsecr != 0',
  'tcp option timestamp tsval set 3',
  'tcp option sack0 left 1',
  'tcp option sack right 2',
  'tcp option sack3 right 1',
  'tcp option mptcp exists',
  'tcp option 254 exists',
  'tcp option eol exists',
  'tcp option nop missing',
  'rt mtu 1500 counter',
  'rt mtu < 1400',
  'rt mtu { 1360, 1460 }',
  'rt ip nexthop 192.0.2.1 counter',
  'rt ip6 nexthop 2001:db8::1',
  'rt classid 5',
  'exthdr hbh exists',
  'exthdr rt exists',
  'exthdr frag missing',
  'exthdr dst exists',
  'exthdr mh exists',
  'rt type 2',
  'rt seg-left 1',
  'rt nexthdr udp',
  'frag id 7',
  'frag nexthdr udp',
  'frag reserved 1',
  'hbh nexthdr tcp',
  'hbh hdrlength 0',
  'dst nexthdr 6',
  'ip option rr exists',
  'ip option ra missing',
  'ip option lsrr type 131',
  'ip option ssrr ptr 4',
  'ip option rr addr 3',
  'ip option ra value 0',
  'ip option ra length 4',
  'reset tcp option sack-perm',
  'reset tcp option 254',
  'reset tcp option sack0',
  'reset tcp option timestamp counter',
];

const REFUSED = [
  'add table inet t',
  'add chain inet t c { type filter hook forward priority 0; }',
  'add chain inet t p { type filter hook prerouting priority 0; }',
  'add rule inet t c tcp option maxseg size set 70000',
  'add rule inet t c tcp option maxseg size 70000',
  'add rule inet t c tcp option foo exists',
  'add rule inet t c tcp option maxseg size',
  'add rule inet t c tcp option window count set 3',
  'add rule inet t c rt nexthop 192.0.2.1',
  'add rule inet t p rt mtu 1500',
  'add rule inet t p tcp option maxseg size set rt mtu',
  'add rule inet t p rt ip nexthop 192.0.2.1',
  'add rule inet t c reset tcp option maxseg size',
  'add rule inet t c reset tcp option foo',
  'add rule inet t c reset tcp',
  'add rule inet t c exthdr foo exists',
  'add rule inet t c ip option foo exists',
  'add rule inet t c ip option 7 exists',
  'add rule inet t c ip option ra ptr 1',
  'list ruleset',
];

describe.skipIf(skip)(`tcp options and rt, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'nfx55o');

  it(`takes ${RULES.length} rules and lists them as nft does`, () => {
    const file = join(s.dir, 'tcpopt.nft');
    writeFileSync(file, ['table inet f {', '\tchain c {', '\t\ttype filter hook forward priority 0; policy accept;', ...RULES.map((r) => `\t\t${r}`), '\t}', '}', ''].join('\n'));
    loadListedAsNft(s.ns, s.dp, file);
    expectSequenceAsNft(s.ns, s.dp, ['delete table inet f']);
  });

  it(`refuses ${REFUSED.length - 4} rules as nft does, each at its place`, () => {
    expectSequenceAsNft(s.ns, s.dp, REFUSED);
  });
});

const RULESET = `table inet m {
	chain forward {
		type filter hook forward priority filter; policy accept;
		tcp dport 4001 tcp flags syn tcp option maxseg size set rt mtu counter
		tcp dport 4002 tcp flags syn tcp option maxseg size set 1400 counter
		tcp dport 4003 tcp option maxseg size > 1400 counter drop
		tcp dport 4004 tcp option sack-perm missing counter drop
		tcp dport 4005 tcp option timestamp tsval 5 counter drop
		tcp dport 4006 rt mtu 1360 counter drop
		tcp dport 4007 rt ip nexthop 198.51.100.2 counter drop
		tcp dport 4008 tcp option window count 7 counter drop
		tcp dport 4009 tcp option maxseg exists counter drop
		tcp dport 4010 tcp option timestamp tsval set 77 counter
		tcp dport 4011 reset tcp option sack-perm counter
	}

	chain prerouting {
		type filter hook prerouting priority filter; policy accept;
		udp dport 4301 ip option rr exists counter drop
		udp dport 4302 ip option lsrr exists counter
		udp dport 4303 ip option ra exists counter drop
		udp dport 4304 ip option rr ptr 8 counter drop
		udp dport 4305 ip option ra value 1 counter drop
	}
}
`;

const MSS = (n: number): number[] => [2, 4, n >> 8, n & 0xff];
const TS = (v: number): number[] => [1, 1, 8, 10, 0, 0, 0, v, 0, 0, 0, 0];
/** An MSS option whose length runs past the header (nft_exthdr: NFT_BREAK, `exists` reads 0). */
const PAST = [1, 1, 2, 40, 5, 0xb4];
/** A zero-length option (optlen: one byte), then an EOL byte walked over, then MSS 1460 at 22. */
const ZERO = [3, 0, 0, 0, ...MSS(1460)];
/** An MSS kind in the header's last byte: the walk stops before it. */
const LAST = [1, 1, 1, 2];

/** A UDP datagram with IPv4 options `options` (padded by the caller to 4 bytes). */
const opt4 = (dport: number, i: number, options: number[]): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '203.0.113.5', proto: 17, id: 0x6000 + i, options }, udp4('192.0.2.2', '203.0.113.5', 43000 + i, dport, new Uint8Array(8).fill(i))));

const seg = (dport: number, i: number, options: number[], flags = SYN): Uint8Array =>
  tcpFrame('in', '192.0.2.2', '203.0.113.5', 40000 + i, dport, { seq: 1000 + i, flags, ack: flags & ACK ? 1 : 0, options });

// [dport, frames, how many go through, host]; the frames below in the same order
const RUNS: Array<[number, number, number, number]> = [
  [4001, 4, 4, 5], // 1460 → 1360 (route mtu 1400 - 40), 1300 kept, an ACK's 1460 kept, 1380 → 1360
  [4002, 3, 3, 5], // 1460 → 1400, 1300 never raised, the malformed list breaks (not counted)
  [4003, 4, 2, 5], // 1460 dropped, 1300 through, the zero-length walk's 1460 dropped, no options through
  [4004, 2, 1, 5], // SACK permitted: through; MSS alone: dropped
  [4005, 2, 1, 5], // tsval 5 dropped, 6 through
  [4006, 1, 0, 5], // rt mtu: 1360
  [4007, 1, 0, 5], // the gateway
  [4008, 2, 1, 5], // window scale 7 dropped
  [4009, 3, 2, 5], // malformed and last-byte MSS through, a plain one dropped
  [4010, 2, 2, 5], // tsval rewritten (a 4-byte write), no timestamp: counted as is
  [4011, 3, 2, 5], // SACK permitted at an even and at an odd offset become NOPs; one running past the header: dropped
  [4301, 3, 1, 5], // record route: dropped; malformed (pointer 3): not found, then refused by ip_rcv_options; none: through
  [4302, 2, 0, 5], // a loose source route: counted, then refused (accept_source_route 0); one of pointer 8: not counted
  [4303, 3, 2, 5], // router alert 0 dropped; value 1: no router_alert (only a zero one counts), through; NOPs alone: through
  [4304, 2, 1, 5], // record route pointer 8 dropped, 4 through
  [4305, 1, 1, 5], // router alert 1: `ra` not found, so no field: through
];
const FRAMES = [
  seg(4001, 0, SYN_OPTS),
  seg(4001, 1, MSS(1300)),
  seg(4001, 2, MSS(1460), ACK),
  seg(4001, 3, [...MSS(1380), ...TS(9)]),
  seg(4002, 0, SYN_OPTS),
  seg(4002, 1, MSS(1300)),
  seg(4002, 2, PAST),
  seg(4003, 0, MSS(1460)),
  seg(4003, 1, MSS(1300)),
  seg(4003, 2, ZERO),
  seg(4003, 3, []),
  seg(4004, 0, SYN_OPTS),
  seg(4004, 1, MSS(1460)),
  seg(4005, 0, TS(5)),
  seg(4005, 1, TS(6)),
  seg(4006, 0, SYN_OPTS),
  seg(4007, 0, SYN_OPTS),
  seg(4008, 0, SYN_OPTS),
  seg(4008, 1, MSS(1300)),
  seg(4009, 0, PAST),
  seg(4009, 1, LAST),
  seg(4009, 2, MSS(1460)),
  seg(4010, 0, [...MSS(1460), ...TS(5)]),
  seg(4010, 1, MSS(1460)),
  seg(4011, 0, SYN_OPTS),
  seg(4011, 1, [1, 4, 2, 1, ...MSS(1460)]),
  seg(4011, 2, [1, 1, 4, 40]),
  opt4(4301, 0, [7, 7, 4, 0, 0, 0, 0, 0]),
  opt4(4301, 1, [7, 7, 3, 0, 0, 0, 0, 0]),
  opt4(4301, 2, []),
  opt4(4302, 0, [131, 7, 4, 198, 51, 100, 2, 0]),
  opt4(4302, 1, [131, 11, 8, 198, 51, 100, 2, 203, 0, 113, 5, 0]),
  opt4(4303, 0, [148, 4, 0, 0]),
  opt4(4303, 1, [148, 4, 0, 1]),
  opt4(4303, 2, [1, 1, 1, 1]),
  opt4(4304, 0, [7, 11, 8, 192, 0, 2, 9, 0, 0, 0, 0, 0]),
  opt4(4304, 1, [7, 7, 4, 0, 0, 0, 0, 0]),
  opt4(4305, 0, [148, 4, 0, 1]),
];

/** The IPv4 router with a route MTU of 1400 toward 203.0.113.0/24 (rt mtu: 1400 - 40). */
const TOPO: NftTopo = { links: LINKS, routes: [{ dst: '203.0.113.0/24', via: '198.51.100.2', dev: 'eth1', mtu: 1400 }], neigh: NEIGH };

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const RULESET6 = `table ip6 m6 {
	chain forward {
		type filter hook forward priority filter; policy accept;
		tcp dport 4101 tcp flags syn tcp option maxseg size set rt mtu counter
		tcp dport 4102 rt mtu 1340 counter drop
		tcp dport 4103 rt ip6 nexthop 2001:db8:2::2 counter drop
		tcp dport 4104 tcp option maxseg size < 1400 counter drop
		exthdr dst exists udp dport 4201 counter drop
		dst nexthdr udp udp dport 4202 counter drop
		exthdr frag exists udp dport 4203 counter drop
		frag id 7 counter drop
		rt seg-left 0 counter drop
		exthdr hbh exists udp dport 4206 counter drop
		exthdr mh exists counter drop
	}
}
`;

/** A TCP segment over IPv6 from the inside host to 2001:db8:3::5 (its checksum over the IPv6 pseudo-header). */
const seg6 = (dport: number, i: number, options: number[], flags = SYN): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x86dd }, ipv6({ src: '2001:db8:1::2', dst: '2001:db8:3::5', nh: 6, hlim: 64 }, l4over6('2001:db8:1::2', '2001:db8:3::5', 6, tcp4('192.0.2.2', '203.0.113.5', 41000 + i, dport, { seq: 2000 + i, flags, options }))));

const RUNS6: Array<[number, number, number, number]> = [
  [4101, 3, 3, 5], // 1460 → 1340 (route mtu 1400 - 60), 1300 kept, 1380 → 1340
  [4102, 1, 0, 5], // rt mtu: 1340
  [4103, 1, 0, 5], // the gateway
  [4104, 2, 1, 5], // 1300 dropped, 1460 through
  [4201, 2, 1, 5], // destination options: dropped; none: through
  [4202, 2, 1, 5], // destination options before UDP: dropped; before another destination options header: through
  [4203, 2, 1, 5], // an atomic fragment: dropped
  [4204, 2, 1, 5], // fragment id 7 dropped, 8 through
  [4205, 2, 1, 5], // a routing header with no segments left: dropped; after hop-by-hop: through (hbh's the first)
  [4206, 2, 1, 5], // hop-by-hop (PadN) dropped
];
/** A UDP datagram over IPv6 to 2001:db8:3::5 behind extension headers `ext` (each header's bytes, its next header first). */
const udpExt = (dport: number, i: number, first: number, ext: Uint8Array[]): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x86dd }, ipv6({ src: '2001:db8:1::2', dst: '2001:db8:3::5', nh: first, hlim: 64 }, concat(...ext, l4over6('2001:db8:1::2', '2001:db8:3::5', 17, udpBytes(42000 + i, dport, new Uint8Array(8).fill(i))))));
const frag = (nh: number, id: number): Uint8Array => Uint8Array.of(nh, 0, 0, 0, 0, 0, 0, id);
const rh0 = (nh: number): Uint8Array => Uint8Array.of(nh, 0, 0, 0, 0, 0, 0, 0);
const FRAMES6 = [seg6(4101, 0, SYN_OPTS), seg6(4101, 1, MSS(1300)), seg6(4101, 2, [...MSS(1380), ...TS(9)]), seg6(4102, 0, SYN_OPTS), seg6(4103, 0, SYN_OPTS), seg6(4104, 0, MSS(1300)), seg6(4104, 1, MSS(1460)),
  udpExt(4201, 0, 60, [optHdr(17, [1, 4, 0, 0, 0, 0])]),
  udpExt(4201, 1, 17, []),
  udpExt(4202, 0, 60, [optHdr(17, [1, 4, 0, 0, 0, 0])]),
  udpExt(4202, 1, 60, [optHdr(60, [1, 4, 0, 0, 0, 0]), optHdr(17, [1, 4, 0, 0, 0, 0])]),
  udpExt(4203, 0, 44, [frag(17, 1)]),
  udpExt(4203, 1, 17, []),
  udpExt(4204, 0, 44, [frag(17, 7)]),
  udpExt(4204, 1, 44, [frag(17, 8)]),
  udpExt(4205, 0, 43, [rh0(17)]),
  udpExt(4205, 1, 17, []),
  udpExt(4206, 0, 0, [optHdr(17, [1, 4, 0, 0, 0, 0])]),
  udpExt(4206, 1, 17, []),
];

/** The IPv6 router with a route MTU of 1400 toward 2001:db8:3::/48 (rt mtu: 1400 - 60). */
/** One router for both families (a second would cost another namespace's setup): the two route MTUs of 1400. */
const TOPO46: NftTopo = {
  links: LINKS.map((l, i) => ({ ...l, v6: LINKS6[i]!.v6 })),
  routes: [...TOPO.routes, { dst: '2001:db8:3::/48', via: '2001:db8:2::2', dev: 'eth1', mtu: 1400 }],
  neigh: [...NEIGH, ...NEIGH6],
  sysctls: { 'net.ipv6.conf.all.forwarding': 1 },
};
const RULESET46 = `${RULESET}${RULESET6}`;
const FRAMES46 = [...FRAMES, ...FRAMES6];

describe.skipIf(unready !== '' || noKernel !== '')(`tcp options, extension headers and rt, the stack against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RULESET46, FRAMES46, 'nfx55x', ['list ruleset'], 'eth1', TOPO46);

  it(`forwards what the kernel forwards of ${FRAMES46.length} frames, options and checksums rewritten alike, and counts as it does`, async () => {
    await expectOursAsKernel(kern, RULESET46, FRAMES46, [...RUNS, ...RUNS6], TOPO46);
    // not a silence compared with a silence: the clamps happened (MSS 1360, 1400; 1340 over IPv6), the tsval was
    // written (77), SACK permitted became NOPs
    expect(kern.out[0]![0]).toContain('02040550');
    expect(kern.out[4]![0]).toContain('02040578');
    expect(kern.out[22]![0]).toContain('080a0000004d');
    expect(kern.out[24]![0]).toContain('020405b401010103');
    expect(kern.out[FRAMES.length]![0]).toContain('0204053c');
  });
});


