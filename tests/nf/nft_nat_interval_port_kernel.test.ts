// Named maps to address and port ranges for NAT (`type ipv4_addr : interval ipv4_addr . inet_service`, or `typeof ip
// saddr : interval ip daddr . tcp dport`): each element's data is min address, min port, max address, max port
// (NFTA_NAT_REG_ADDR_MIN/MAX, _PROTO_MIN/MAX), a single address and port the kernel's EINVAL at its key. Loaded, listed
// and refused alike with nft 1.0.6; then connections DNATed by source through a Linux 6.18 router in namespaces and
// through wxdp: each to the kernel's address and port in its element's ranges (addresses routed through the gateway:
// one of the link's own would wait for its neighbour).

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { eth, ipv4, stackUnready, udp4 } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { H0, M0 } from './ct_support.js';
import { kernelNftRun, oursNftRun } from './nft_kernel_support.js';
import { expectSequenceAsNft, nftAgainst, nftSession } from './nft_support.js';

const { nsa, skip, why } = nftAgainst('nft58n');

const SEQUENCE = [
  'add table ip t',
  'add map ip t m { type ipv4_addr : interval ipv4_addr . inet_service; flags interval; }',
  'add element ip t m { 192.0.2.1 : 198.51.100.0/28 . 80-90 }',
  'add element ip t m { 192.0.2.2-192.0.2.3 : 198.51.100.1-198.51.100.5 . 8080 }',
  'add element ip t m { 192.0.2.4 : 198.51.100.7 . 53 }',
  'add element ip t m { 192.0.2.5 : 198.51.100.7-198.51.100.7 . 53-53 }',
  'add element ip t m { 192.0.2.6 : 198.51.100.7 }',
  'add element ip t m { 192.0.2.7 : 198.51.100.7 . 53 . 54 }',
  'add map ip t y { typeof ip saddr : interval ip daddr . udp dport; }',
  'add element ip t y { 192.0.2.3 : 198.51.100.9 . 100-200 }',
  'add chain ip t c { type nat hook prerouting priority dstnat; }',
  'add rule ip t c dnat to ip saddr map @m',
  'add rule ip t c meta l4proto tcp dnat to ip saddr map @m',
  'add rule ip t c udp dport 53 dnat ip to ip saddr map @y',
  'add rule ip t c meta l4proto tcp dnat to ip saddr map @y',
  'add map ip t a { type ipv4_addr : interval ipv4_addr; flags interval; }',
  'add rule ip t c meta l4proto tcp dnat to ip saddr . tcp dport map @m',
  'list ruleset',
  '-a list ruleset',
];

describe.skipIf(skip)(`maps to address and port ranges, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'nft58n');

  it(`takes, lists and refuses as nft does (${SEQUENCE.length} commands)`, () => {
    expectSequenceAsNft(s.ns, s.dp, SEQUENCE);
  });
});

const RULESET = `table ip x {
	map m {
		type ipv4_addr : interval ipv4_addr . inet_service
		flags interval
		elements = { 192.0.2.0/29 : 203.0.113.16/28 . 5000-5009, 192.0.2.8-192.0.2.11 : 203.0.113.40-203.0.113.42 . 6000,
			     192.0.2.12 : 203.0.113.50 . 7000-7001 }
	}
	map t {
		typeof ip saddr : interval ip daddr . udp dport
		elements = { 192.0.2.20 : 203.0.113.60-203.0.113.61 . 8000-8099 }
	}
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		udp dport 3000 dnat ip to ip saddr map @m
		udp dport 3001 dnat ip to ip saddr map @t
	}
}
`;
const dgram = (host: number, dport: number, sport: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: `192.0.2.${host}`, dst: '203.0.113.9', proto: 17, id: 0x5800 + sport }, udp4(`192.0.2.${host}`, '203.0.113.9', sport, dport, new Uint8Array(12).fill(host))));
// [source host, dport, sport]: several connections per element (the picks spread over its ranges), one of no element
const RUNS: Array<[number, number, number]> = [
  ...[2, 3, 4, 5, 6, 7].flatMap((h): Array<[number, number, number]> => [[h, 3000, 4000], [h, 3000, 4001]]),
  ...[8, 9, 10, 11].map((h): [number, number, number] => [h, 3000, 4000]),
  [12, 3000, 4000], [12, 3000, 4001], [12, 3000, 4002],
  [20, 3001, 4000], [20, 3001, 4001], [20, 3001, 4002],
  [13, 3000, 4000],
];
const FRAMES = RUNS.map(([h, d, s]) => dgram(h, d, s));

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

describe.skipIf(unready !== '' || noKernel !== '')(`named maps to address and port ranges for NAT against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RULESET, FRAMES, 'nft58n', ['list ruleset']);

  it(`translates each of ${FRAMES.length} connections to the kernel's address and port and lists the maps as nft`, async () => {
    const { fx, out } = await oursNftRun(RULESET, FRAMES);
    expect(kern.out.every((o) => o.length === 1)).toBe(true);
    expect(out).toEqual(kern.out);
    expect(fx.dp.nft('list ruleset')).toBe(kern.lists['0 list ruleset']);
    // derived by hand: each destination address and port in its element's ranges (daddr at 14 + 16, dport at 14 + 20 + 2)
    const daddr = (o: string[]): number => parseInt(o[0]!.slice(66, 68), 16);
    const dport = (o: string[]): number => parseInt(o[0]!.slice(72, 76), 16);
    const within = (o: string[], a: [number, number], p: [number, number]): boolean => daddr(o) >= a[0] && daddr(o) <= a[1] && dport(o) >= p[0] && dport(o) <= p[1];
    kern.out.slice(0, 12).forEach((o) => expect(within(o, [16, 31], [5000, 5009])).toBe(true));
    kern.out.slice(12, 16).forEach((o) => expect(within(o, [40, 42], [6000, 6000])).toBe(true));
    kern.out.slice(16, 19).forEach((o) => expect(within(o, [50, 50], [7000, 7001])).toBe(true));
    kern.out.slice(19, 22).forEach((o) => expect(within(o, [60, 61], [8000, 8099])).toBe(true));
    expect(daddr(kern.out[22]!)).toBe(9); // no element: not translated
  });
});
