// Per-field intervals in concatenations (`flags interval` on `type ipv4_addr . inet_service`, ranges and prefixes
// per field in anonymous sets and verdict maps: the kernel's nft_set_pipapo) against nft itself (Debian's nftables
// 1.0.6 and the 6.18 kernel): a file of named sets, maps and rules of IPv4, IPv6, host-order marks and
// `meta l4proto . th dport`, listed back alike (elements in the order they were added, one a line, each field a
// value, a prefix or a range as the kernel's bounds give it; auto-merge merges nothing); a command sequence with the
// kernel's answers for elements that overlap (EEXIST when a corner lies in another element, none for the same one
// twice unless `create`), deletes that find the element the start key is in, and nft's own errors for ranges in a
// set without the flag; then the same rules through the whole stack, a Linux router in namespaces against wxdp,
// frame by frame, where a key matches only when every field is in its element's range.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eth, ipv4, stackUnready, udp4 } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { H0, M0 } from './ct_support.js';
import { ipv4 as ip4, ipv6, udp } from '../support/frames.js';
import { kernelNftRun, oursNftRun } from './nft_kernel_support.js';
import { ChainRunner, expectSequenceAsNft, loadListedAsNft, nftAgainst, nftDatapath, nftSession, passedPerRun, tcp, TH } from './nft_support.js';

const built = existsSync(new URL('../../build/fastpath.wasm', import.meta.url));
const FIXTURE = new URL('./fixtures/nft_pipapo.nft', import.meta.url).pathname;
const { nsa, skip, why } = nftAgainst('ks45pp');

// each command in order against one table: what nft answers, or its first error (measured on 6.18 with nft 1.0.6)
const SEQUENCE = [
  'add table inet x',
  'add chain inet x c',
  'add set inet x s { type ipv4_addr . inet_service; flags interval; }',
  'add element inet x s { 198.51.100.7 . 22 }',
  'add element inet x s { 192.0.2.0/24 . 1000-2000, 10.0.0.0-10.0.0.5 . 80, 192.0.2.0/24 . 10-20 }',
  'add element inet x s { 192.0.2.0/24 . 1000-2000 }', // the same element again: taken (EEXIST without NLM_F_EXCL)
  'create element inet x s { 192.0.2.0/24 . 1000-2000 }', // with it: File exists
  'add element inet x s { 192.0.2.0/24 . 1500 }', // its start inside an element: ENOTEMPTY, reported as EEXIST
  'add element inet x s { 192.0.2.0/24 . 500-1000 }', // its end inside one
  'add element inet x s { 192.0.2.0/25 . 900-1000 }',
  'add element inet x s { 192.0.2.0/23 . 900 }', // a field outside: no overlap
  'add element inet x s { 198.51.100.0/24 . 22 }', // a box around 198.51.100.7 . 22, whose corners are in none: taken
  'add element inet x s { 5.5.5.0/24 . 1-100, 5.5.5.5 . 50 }', // the second against the first of the same command
  'list set inet x s',
  'delete element inet x s { 192.0.2.5 . 15 }', // the element its start key is in: 192.0.2.0/24 . 10-20
  'delete element inet x s { 10.0.0.0/24 . 80-81 }', // its start in 10.0.0.0-10.0.0.5 . 80: that one, whatever the end
  'delete element inet x s { 192.0.2.5 . 15 }', // gone: ENOENT
  'delete element inet x s { 9.9.9.9 . 9 }',
  'add element inet x s { 192.0.2.0/24 . 10-20 }', // added again: listed last
  'list set inet x s',
  'add set inet x n { type ipv4_addr . inet_service; }',
  'add element inet x n { 192.0.2.0/24 . 22 }', // no interval flag: nft's own errors
  'add element inet x n { 192.0.2.1 . 22-23 }',
  'add map inet x nm { type ipv4_addr . inet_service : verdict; }',
  'add element inet x nm { 192.0.2.0/24 . 22 : accept }',
  'add rule inet x c ip saddr . tcp dport { 192.0.2.0/24 . 1-100, 192.0.2.5 . 50 } drop', // EEXIST at the element
  'add rule inet x c ip saddr . tcp dport { 192.0.2.0/24 . 1-100, 192.0.2.0/24 . 1-100 } drop', // once
  'add rule inet x c ip saddr . tcp dport vmap { 192.0.2.0/24 . 1-100 : accept, 192.0.2.5 . 50 : drop }',
  'add rule inet x c ip saddr . tcp dport vmap { 192.0.2.0/24 . 1-100 : accept, 192.0.2.0/24 . 1-100 : drop }',
  'add rule inet x c ip saddr . tcp dport vmap { 192.0.2.0/24 . 1-100 : accept, 192.0.2.0/24 . 1-100 : accept }',
  'add rule inet x c ip saddr . tcp dport vmap { 192.0.2.1 . 22 counter : accept }', // an anonymous map's elements have no statements
  'add rule inet x c ip saddr vmap { 192.0.2.1 counter : accept }',
  'add set inet x am { type ipv4_addr . inet_service; flags interval; auto-merge; }',
  'add element inet x am { 192.0.2.0/24 . 1-10, 192.0.2.0/24 . 11-20, 192.0.2.0/25 . 30, 192.0.2.128/25 . 30 }', // not merged
  'add map inet x m { type ipv4_addr . inet_service : verdict; flags interval; }',
  'add element inet x m { 203.0.113.0/24 . 80-90 : accept, 203.0.113.7 . 80 : drop }',
  'add element inet x m { 203.0.113.0/24 . 80-90 : drop }', // the same key, another verdict: EEXIST
  'add element inet x m { 203.0.113.0/24 . 80-90 : accept, 198.51.100.0/25 . 1-2 : drop }',
  'add rule inet x c ip daddr . tcp dport vmap @m',
  'add rule inet x c ip saddr . tcp dport @s accept',
  '-a list chain inet x c',
  'list map inet x m',
  'list set inet x am',
];

describe.skipIf(skip)(`per-field intervals in concatenations, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'ks45pp');

  it('lists the file as nft does, handles included: elements as added, each field a value, prefix or range', () => {
    const k = loadListedAsNft(s.ns, s.dp, FIXTURE);
    // the written order, not nft's mergesort order of exact concatenations; 22-22 lists as 22, a /24 range as a prefix
    expect(k).toContain('ip saddr . tcp dport { 192.0.2.1 . 22, 10.0.0.1 . 5 } accept');
    expect(k).toContain('ip saddr . ip daddr . tcp dport { 192.0.2.0/24 . 198.51.100.0/25 . 22 } accept');
  });

  it("answers each command of a sequence as nft does: the kernel's EEXIST and ENOENT for overlapping and missing elements", () => {
    expectSequenceAsNft(s.ns, s.dp, SEQUENCE);
  });
});
