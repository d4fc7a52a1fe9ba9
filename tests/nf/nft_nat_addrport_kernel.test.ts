// NAT maps whose data is an address and a port (`dnat ip to ip daddr . tcp dport map { 203.0.113.100 . 5000 :
// 203.0.113.50 . 8080 }`, named maps of `… : ipv4_addr . inet_service`, snat alike, IPv6's `2001:db8:3::50 . 8080`)
// against nft 1.0.6 and the 6.18 kernel: parsed, listed and refused as nft does, then TCP and UDP frames through a
// Linux router in namespaces and through wxdp, the translated bytes, the rules' counters and the listing compared.
// Ranges in an anonymous map's data (`198.51.100.0/30 . 80-81`: min address, min port, max address, max port) are
// nft's; in a named map's (`: interval ipv4_addr . inet_service`) see nft_nat_interval_port_kernel.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { eth, ipv6, stackUnready, udp4, udp6, ipv4 } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { H0, LINKS6, M0, NEIGH6, ROUTES6, SYN, SYN_OPTS, tcpFrame } from './ct_support.js';
import { expectOursAsKernel, kernelNftRun } from './nft_kernel_support.js';
import { expectSequenceAsNft, nftAgainst, nftSession } from './nft_support.js';

const { nsa, skip, why } = nftAgainst('nf55ap');

const SEQUENCE = [
  'add table ip x',
  'add chain ip x c { type nat hook prerouting priority dstnat; }',
  'add chain ip x p { type nat hook postrouting priority srcnat; }',
  'add rule ip x c dnat to ip saddr map { 192.0.2.1 : 198.51.100.1 . 8080 }', // no transport protocol
  'add rule ip x c dnat ip to ip daddr . tcp dport map { 203.0.113.1 . 80 : 198.51.100.2 . 8080 }',
  'add map ip x m { type ipv4_addr . inet_service : ipv4_addr . inet_service; elements = { 203.0.113.1 . 80 : 198.51.100.2 . 8080 }; }',
  'add rule ip x c dnat ip to ip daddr . tcp dport map @m',
  'add rule ip x c dnat to tcp dport map { 80 : 198.51.100.1 . 8080 }',
  'add rule ip x c meta l4proto tcp dnat to ip saddr map { 192.0.2.1 : 198.51.100.1 . 8080 } persistent',
  'add rule ip x p meta l4proto udp snat to ip saddr map { 192.0.2.1 : 198.51.100.1 . 8080 }',
  'add rule ip x c meta l4proto tcp dnat to ip saddr map { 192.0.2.3 : 198.51.100.1 . 80 . 80 }',
  'add rule ip x c meta l4proto tcp dnat to ip saddr map { 192.0.2.3 : 2001:db8::1 . 80 }',
  'add rule ip x c meta l4proto tcp dnat to ip saddr map { 192.0.2.3 : 198.51.100.1 . 70000 }',
  'add map ip x n { type ipv4_addr : ipv4_addr . inet_service; }',
  'add rule ip x c dnat to ip saddr map @n',
  'add rule ip x c tcp dport 1 dnat to ip saddr map @n',
  'add element ip x n { 192.0.2.1 : 198.51.100.1 . 9 }',
  'add element ip x n { 192.0.2.2 : 198.51.100.1-198.51.100.3 . 9 }', // a named map's: one address and port
  'add element ip x n { 192.0.2.2 : 198.51.100.1 }',
  'add rule ip x c meta l4proto tcp dnat to ip saddr map { 192.0.2.3 : 198.51.100.1 . 80, 192.0.2.4 : 198.51.100.2 }',
  // the key's tcp field hides the transport protocol match before it (a counter between keeps it), a port map's not
  'add rule ip x c meta l4proto tcp dnat to ip saddr . tcp dport map { 192.0.2.3 . 1-100 : 198.51.100.1 . 80 }',
  'add rule ip x c meta l4proto tcp counter dnat to ip saddr . tcp dport map { 192.0.2.3 . 1 : 198.51.100.1 . 80 }',
  'add rule ip x c meta l4proto tcp dnat to tcp dport map { 80 : 192.0.2.10 }',
  'add rule ip x c meta l4proto tcp dnat to 1.1.1.1 : tcp dport map { 1 : 2 }',
  'add rule ip x c tcp dport 1 dnat to ip saddr map @m',
  'add rule ip x c tcp dport 1 dnat to ip saddr . tcp dport map @n',
  'add map ip x t { typeof ip saddr : ip daddr . tcp dport; elements = { 192.0.2.1 : 198.51.100.1 . 80 }; }',
  'add map ip x u { typeof ip saddr . tcp dport : ip daddr . tcp dport; }',
  'add rule ip x c tcp dport 1 dnat to ip saddr map @t',
  'add rule ip x c dnat ip to ip saddr . tcp dport map @u',
  'add element ip x u { 192.0.2.1 . 22 : 198.51.100.1 . 2222 }',
  'add table inet y',
  'add chain inet y c { type nat hook prerouting priority dstnat; }',
  'add map inet y t6 { typeof ip6 saddr : ip6 daddr . udp dport; elements = { 2001:db8::1 : 2001:db8::2 . 53 }; }',
  'add rule inet y c meta l4proto tcp dnat ip6 to ip6 saddr map { 2001:db8::1 : 2001:db8::2 . 8080 }',
  'add rule inet y c dnat ip6 to ip6 daddr . tcp dport map { 2001:db8::1 . 80 : 2001:db8::2 . 8080 }',
  'add rule inet y c dnat ip to ip daddr . tcp dport map { 203.0.113.1 . 80 : 198.51.100.2 . 8080 }',
  'add map inet y m6 { type ipv6_addr . inet_service : ipv6_addr . inet_service; }',
  'add rule inet y c dnat ip6 to ip6 daddr . udp dport map @m6',
  'add element inet y m6 { 2001:db8::1 . 53 : 2001:db8::5 . 5353 }',
  // ranges and prefixes in the data: min and max of each (a prefix listed as one, equal bounds as a value)
  'add rule ip x c meta l4proto tcp dnat to ip saddr map { 192.0.2.3 : 198.51.100.0-198.51.100.3 . 80, 192.0.2.4 : 198.51.100.7 . 80-81, 192.0.2.5 : 198.51.100.8/31 . 1-2 }',
  'add rule ip x c meta l4proto tcp dnat to ip saddr map { 192.0.2.4 : 198.51.100.7-198.51.100.7 . 80-80 }',
  'add rule ip x c meta l4proto tcp dnat to ip saddr map { 192.0.2.3 : 198.51.100.0/30 . 80, 192.0.2.2 : 198.51.100.1 . 8080 }', // EINVAL
  'add rule ip x c meta l4proto tcp dnat to ip saddr map { 192.0.2.3 : 198.51.100.5-198.51.100.1 . 80 }',
  'add rule ip x c meta l4proto tcp dnat to ip saddr map { 192.0.2.3 : 198.51.100.1 . 90-80 }',
  'add rule inet y c meta l4proto tcp dnat ip6 to ip6 saddr map { 2001:db8::1 : 2001:db8::2-2001:db8::5 . 8080-8090 }', // ENODATA
  'list ruleset',
];

describe.skipIf(skip)(`NAT maps to an address and a port, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'nf55ap');
  it('answers each command as nft does: listed back, or its error at the line and column', () => {
    expectSequenceAsNft(s.ns, s.dp, SEQUENCE);
  });
});

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

// every flow from the inside host to 203.0.113.100 (the backends behind eth1's gateway too)
const RULESET = `table ip n {
	map m {
		type ipv4_addr . inet_service : ipv4_addr . inet_service
		elements = { 203.0.113.100 . 5002 : 203.0.113.52 . 6002 }
	}

	map s {
		type inet_service : ipv4_addr . inet_service
		elements = { 7000 : 198.51.100.1 . 3000 }
	}

	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		counter dnat ip to ip daddr . tcp dport map { 203.0.113.100 . 5000 : 203.0.113.50 . 8080 }
		counter dnat ip to ip daddr . udp dport map { 203.0.113.100 . 5001 : 203.0.113.51 . 9090 }
		dnat ip to ip daddr . udp dport map @m
		meta l4proto tcp counter dnat ip to tcp dport map { 5003 : 203.0.113.53 . 80 }
		counter dnat ip to udp dport map { 5004 : 203.0.113.54-203.0.113.57 . 9000 }
	}

	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		udp dport 7000 counter snat ip to udp dport map @s
	}
}
`;

const dgram = (sport: number, dport: number, i: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '203.0.113.100', proto: 17, id: 0x5500 + i }, udp4('192.0.2.2', '203.0.113.100', sport, dport, new Uint8Array(8).fill(i))));
const syn = (sport: number, dport: number, i: number): Uint8Array => tcpFrame('in', '192.0.2.2', '203.0.113.100', sport, dport, { seq: 1000 + i, flags: SYN, options: SYN_OPTS });

// [dport, frames, through, sport]: TCP to 5000 (twice: the second is the connection's), UDP to 5001, to 5002 (the
// named map), to 5009 (no element: not NATed), TCP to 5003, UDP to 7000 (SNATed to 198.51.100.1:3000), to 5004 (an
// address of the map's range, the kernel's choice)
const RUNS: Array<[number, number, number, number]> = [[5000, 1, 1, 40000], [5000, 1, 1, 40000], [5001, 1, 1, 40001], [5002, 1, 1, 40002], [5009, 1, 1, 40003], [5003, 1, 1, 40004], [7000, 1, 1, 40005], [5004, 1, 1, 40006]];
const FRAMES = RUNS.map(([dport, , , sport], i) => (dport === 5000 || dport === 5003 ? syn(sport, dport, i) : dgram(sport, dport, i)));

/** The IPv4 addresses and ports of a forwarded frame (hex: saddr at byte 26, daddr 30, sport 34, dport 36). */
const flow = (hex: string): string => {
  const b = (i: number): number => parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return `${[26, 27, 28, 29].map(b).join('.')}:${(b(34) << 8) | b(35)} > ${[30, 31, 32, 33].map(b).join('.')}:${(b(36) << 8) | b(37)}`;
};

describe.skipIf(unready !== '' || noKernel !== '')(`NAT to an address and a port through the stack against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RULESET, FRAMES, 'nf55ak', ['list ruleset']);

  it(`translates ${FRAMES.length} TCP and UDP frames to the kernel's bytes, counts and lists as it does`, async () => {
    await expectOursAsKernel(kern, RULESET, FRAMES, RUNS);
    expect(kern.out.slice(0, 7).map((x) => flow(x[0]!))).toEqual([
      '192.0.2.2:40000 > 203.0.113.50:8080',
      '192.0.2.2:40000 > 203.0.113.50:8080',
      '192.0.2.2:40001 > 203.0.113.51:9090',
      '192.0.2.2:40002 > 203.0.113.52:6002',
      '192.0.2.2:40003 > 203.0.113.100:5009',
      '192.0.2.2:40004 > 203.0.113.53:80',
      '198.51.100.1:3000 > 203.0.113.100:7000',
    ]);
    // not the range's first: nf_nat's find_best_ips_proto hash over the addresses (wxdp's the same)
    expect(flow(kern.out[7]![0]!)).toBe('192.0.2.2:40006 > 203.0.113.56:9000');
  });
});

const RULESET6 = `table ip6 n {
	map m {
		type ipv6_addr . inet_service : ipv6_addr . inet_service
		elements = { 2001:db8:3::100 . 5002 : 2001:db8:3::52 . 6002 }
	}

	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		counter dnat ip6 to ip6 daddr . udp dport map { 2001:db8:3::100 . 5001 : 2001:db8:3::51 . 9090 }
		dnat ip6 to ip6 daddr . udp dport map @m
	}
}
`;
const dgram6 = (sport: number, dport: number, i: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x86dd }, ipv6({ src: '2001:db8:1::2', dst: '2001:db8:3::100', nh: 17, hlim: 64 }, udp6('2001:db8:1::2', '2001:db8:3::100', sport, dport, new Uint8Array(8).fill(i))));
const RUNS6: Array<[number, number, number, number]> = [[5001, 1, 1, 41001], [5002, 1, 1, 41002], [5009, 1, 1, 41003]];
const FRAMES6 = RUNS6.map(([dport, , , sport], i) => dgram6(sport, dport, i));
const TOPO6 = { links: LINKS6, routes: ROUTES6, neigh: NEIGH6, sysctls: { 'net.ipv6.conf.all.forwarding': 1 } };

describe.skipIf(unready !== '' || noKernel !== '')(`IPv6 NAT to an address and a port against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RULESET6, FRAMES6, 'nf55a6', ['list ruleset'], 'eth1', TOPO6);

  it('translates UDP frames to the kernel\'s bytes, counts and lists as it does', async () => {
    await expectOursAsKernel(kern, RULESET6, FRAMES6, RUNS6, TOPO6);
    // the destination port (bytes 56..57 of the frame): 9090, 6002, untouched
    expect(kern.out.map((x) => parseInt(x[0]!.slice(112, 116), 16))).toEqual([9090, 6002, 5009]);
  });
});
