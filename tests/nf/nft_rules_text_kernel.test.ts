// Everyday rule and chain editing in the nft text front end against nft itself (Debian's nftables 1.0.6 and the
// 6.18 kernel, in a namespace of the test's own): one command sequence run on both, each command's output or first
// error compared — `add|insert rule … handle|position N` (after or before that rule; the kernel's ENOENT at the
// number, or over `position N`), `index N` (nft's own: the Nth rule of its cache), `replace rule … handle N` (the
// rule keeps its handle, anonymous sets in it take new ones), `rename chain` (jumps follow it; EEXIST over the
// command; ENOENT over it for a chain added in the same transaction), `list tables`, `list chains`, `list chain` and `list table` with and without handles, a base chain's
// policy changed alone (`add chain … { policy drop; }`), verdict maps.

import { describe, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { useNamespaces } from '../support/netns.js';
import { expectSequenceAsNft, nftSession } from './nft_support.js';

const built = existsSync(new URL('../../build/fastpath.wasm', import.meta.url));
const nftMissing = spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) is not installed' : '';
const nsa = useNamespaces('nftru');
const skip = !built || !nsa.available.ok || nftMissing !== '';
// (useNamespaces names its own reason when namespaces are unavailable)
const why = !built ? 'build/fastpath.wasm is not built' : nftMissing;

const SEQUENCE = [
  'add table inet f',
  'add chain inet f in { type filter hook input priority 0; policy accept; }',
  'add chain inet f c2',
  'add chain inet f in { policy drop; }', // a base chain's policy alone
  'list chain inet f in',
  'add chain inet f c2 { policy drop; }',
  'add chain inet f nosuch { policy drop; }',
  'add chain inet f in',
  'add chain inet f in { policy accept; }',
  'add rule inet f in tcp dport 22 accept',
  'add rule inet f in tcp dport 23 counter accept',
  'add rule inet f c2 tcp dport 23 jump c2x',
  'add chain inet f c2x',
  'add rule inet f in tcp dport 30 jump c2',
  'insert rule inet f in position 2 tcp dport 24 accept',
  'insert rule inet f in position 99 tcp dport 24 accept',
  'add rule inet f in position 3 tcp dport 25 accept',
  'add rule inet f in handle 3 tcp dport 25 accept',
  'add rule inet f in handle 99 tcp dport 25 accept',
  'insert rule inet f in index 1 tcp dport 26 accept',
  'add rule inet f in index 0 tcp dport 27 accept',
  'add rule inet f in index 40 tcp dport 27 accept',
  'insert rule inet f in index 40 tcp dport 27 accept',
  '-a list chain inet f in',
  'replace rule inet f in handle 2 tcp dport { 222, 223 } drop',
  'replace rule inet f in handle 99 tcp dport 222 drop',
  'replace rule inet f in tcp dport 222 drop',
  'replace rule inet f in position 2 tcp dport 222 drop',
  'replace rule inet f in handle 3 tcp dport 223 counter jump c2',
  '-a list chain inet f in',
  'rename chain inet f c2 c3',
  'rename chain inet f in c4',
  'rename chain inet f nosuch c5',
  'rename chain inet f c3 c4',
  // a chain added in the same transaction: no handle in nft's cache yet, the kernel's ENOENT over the command
  'add chain inet f n1; rename chain inet f n1 n2',
  'add chain inet f n5; add chain inet f n6; rename chain inet f n5 n6',
  'add chain inet f n7; delete chain inet f n7; add chain inet f n7; rename chain inet f n7 n8',
  'rename table inet f g',
  'delete chain inet f c3',
  '-a list table inet f',
  'list tables',
  'list tables inet',
  'add table ip x',
  'add chain ip x y',
  'list chains',
  '-a list chains',
  'list chains ip',
  // verdict maps
  'add chain inet f vc',
  'add map inet f vm { type inet_service : verdict; elements = { 80 : accept, 81 : drop, 82 : jump vc, 83 : goto vc, 84 : return, 85 : continue, 86 : drop }; }',
  'add rule inet f c4 tcp dport vmap { 22 : accept, 23 : drop, 24 : jump vc }',
  'add rule inet f c4 tcp dport vmap @vm',
  'add rule inet f c4 ip saddr vmap { 192.0.2.0/24 : drop, 198.51.100.1 : accept }',
  'add rule inet f c4 meta mark vmap { 1 : accept } accept',
  'add rule inet f c4 tcp dport != 5 ip saddr vmap { 192.0.2.1 : accept } counter',
  'add rule inet f c4 tcp dport vmap { 1 : jump nosuch }',
  'add rule inet f c4 tcp dport vmap { 1 : jump c4 }',
  'add rule inet f c4 tcp dport vmap { 1 : foo }',
  'add rule inet f c4 tcp dport vmap { 1 }',
  'add rule inet f c4 tcp dport vmap @nosuch',
  'add rule inet f c4 ip saddr vmap @vm',
  'add rule inet f c4 tcp dport vmap { 1 : accept, 1 : drop }',
  'delete chain inet f vc',
  'add element inet f vm { 90 : jump nosuch }',
  'add element inet f vm { 80 : drop }',
  'add element inet f vm { 80 : accept }',
  'delete element inet f vm { 82, 83 }',
  'delete map inet f vm',
  'rename chain inet f vc vd',
  '-a list table inet f',
  // ICMP types
  'add rule inet f c4 icmp type echo-request accept',
  'add rule inet f c4 icmp type { echo-request, echo-reply, 3 } accept',
  'add rule inet f c4 icmpv6 type { nd-neighbor-solicit, echo-request, 1 } accept',
  'add rule inet f c4 icmp type != 8 drop',
  'add rule inet f c4 meta l4proto icmp icmp type 0 accept',
  'add rule inet f c4 icmpv6 type vmap { echo-request : accept, 136 : drop }',
  'add rule inet f c4 icmp type foo',
  'add rule inet f c4 icmpv6 type foo',
  'add rule inet f c4 icmp type 300',
  // TCP flags: nft's forms and how it lists each back
  'add rule inet f c4 tcp flags syn accept',
  'add rule inet f c4 tcp flags syn,ack accept',
  'add rule inet f c4 tcp flags { syn, ack } accept',
  'add rule inet f c4 tcp flags { ack, 0x09, rst, rst } accept',
  'add rule inet f c4 tcp flags { ack, fin|psh, syn | rst } accept',
  'add rule inet f c4 tcp dport { 22, 22, 23 } accept',
  'add rule inet f c4 tcp flags & (fin|syn|rst|ack) == syn accept',
  'add rule inet f c4 tcp flags & (syn|ack) != syn accept',
  'add rule inet f c4 tcp flags & (syn | ack) == syn,ack accept',
  'add rule inet f c4 tcp flags & syn == syn accept',
  'add rule inet f c4 tcp flags & syn != syn accept',
  'add rule inet f c4 tcp flags & syn != 0 accept',
  'add rule inet f c4 tcp flags & (syn|ack) == 0 accept',
  'add rule inet f c4 tcp flags ! syn accept',
  'add rule inet f c4 tcp flags != 0 accept',
  'add rule inet f c4 tcp flags == 0 accept',
  'add rule inet f c4 tcp flags == syn accept',
  'add rule inet f c4 tcp flags != syn,ack accept',
  'add rule inet f c4 tcp flags 0x02 accept',
  'add rule inet f c4 tcp flags 0 accept',
  'add rule inet f c4 tcp flags syn / syn,ack accept',
  'add rule inet f c4 tcp flags != syn / syn,ack accept',
  'add rule inet f c4 tcp flags fin,psh,urg,ecn,cwr tcp dport 22 accept',
  'add rule inet f c4 tcp flags foo accept',
  'add rule inet f c4 tcp flags 300 accept',
  'add rule inet f c4 tcp flags & (syn|foo) == syn accept',
  // transport header ports: no dependency; after a known protocol nft lists that protocol's header
  'add rule inet f c4 th dport 22 accept',
  'add rule inet f c4 th sport { 1, 2 } accept',
  'add rule inet f c4 th dport != 80 accept',
  'add rule inet f c4 meta l4proto udp th dport 53 accept',
  'add rule inet f c4 meta l4proto tcp th dport 22 accept',
  'add rule inet f c4 meta l4proto { tcp, udp } th dport 53 accept',
  'add rule inet f c4 th dport 22 tcp flags syn accept',
  'add rule inet f c4 th dport foo accept',
  // ICMP codes
  'add rule inet f c4 icmp code port-unreachable accept',
  'add rule inet f c4 icmp code 3 accept',
  'add rule inet f c4 icmp code { 1, 3, host-unreachable, frag-needed } accept',
  'add rule inet f c4 icmp code 7 accept',
  'add rule inet f c4 icmp code != admin-prohibited accept',
  'add rule inet f c4 icmp type destination-unreachable icmp code port-unreachable accept',
  'add rule inet f c4 icmpv6 code admin-prohibited accept',
  'add rule inet f c4 icmpv6 code 0 accept',
  'add rule inet f c4 icmpv6 code { policy-fail, 4 } accept',
  'add rule inet f c4 icmp code foo accept',
  'add rule inet f c4 icmpv6 code foo accept',
  'add rule inet f c4 icmpv6 code 300 accept',
  '-a list chain inet f c4',
  'list ruleset',
];

describe.skipIf(skip)(`rule positions, replace, rename and listings, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'nftru');

  it('answers each command of a sequence as nft does', () => {
    expectSequenceAsNft(s.ns, s.dp, SEQUENCE);
  });
});
