// Adjacent payload matches nft 1.0.6 joins into one load and one compare (stmt_reduce, src/control/nft_merge.ts)
// against the kernel: the joined form is what runs, so `!=` of two ports is one 4-byte `neq` (true when either
// differs) and a join carried across a counter moves the test past it (the counter then counts every udp frame).
// A Linux router in namespaces loaded with `nft -f` and wxdp with the same file; the same frames sent into both on
// eth0, what each forwarded on eth1 compared frame by frame, then `list ruleset` byte for byte. Then nft's listing
// of more joins: field order, dependencies left showing, raw `@th` loads.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { eth, ipv4, stackUnready, udp4 } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { H0, M0 } from './ct_support.js';
import { expectOursAsKernel, kernelNftRun } from './nft_kernel_support.js';
import { expectSequenceAsNft, nftAgainst, nftSession } from './nft_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const OTHER = '02:00:00:00:02:09';
const RULESET = `table netdev mg {
	chain in0 {
		type filter hook ingress device "eth0" priority filter; policy accept;
		udp dport 3700 counter udp sport 4000
		ip ttl 64 ip protocol udp udp dport 3703 counter drop
		ether saddr != ${H0} ether type != ip counter
		udp sport != 4000 udp dport != 3701 counter drop
	}
}
`;

const dgram = (src: string, dport: number, ipLen: number, i: number): Uint8Array =>
  eth({ dst: M0, src, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '203.0.113.5', proto: 17, id: 0x4800 + i }, udp4('192.0.2.2', '203.0.113.5', 4000 + i, dport, new Uint8Array(ipLen - 28).fill(i))));

// [dport, IP length, frames (source port 4000 + i), how many go through (derived by hand), source MAC]
const RUNS: Array<[number, number, number, number, string]> = [
  [3700, 60, 2, 0, H0], // the last rule: (sport, 3700) != (4000, 3701) as one compare, dropped
  [3701, 64, 2, 1, H0], // (4000, 3701) equal: through; (4001, 3701) differs in one port: dropped
  [3703, 60, 1, 0, H0], // ip ttl 64 ip protocol udp (one 2-byte load) udp dport 3703: dropped
  [3701, 70, 1, 1, OTHER], // the ether rule's joined != counts it (its type is ip, its source not H0); through
];
const FRAMES = RUNS.flatMap(([dport, len, n, , src]) => Array.from({ length: n }, (_, i) => dgram(src, dport, len, i)));

describe.skipIf(unready !== '' || noKernel !== '')(`joined payload matches through the stack against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RULESET, FRAMES, 'nf47mg');

  it(`forwards and counts what the kernel does of ${FRAMES.length} frames and lists the ruleset as nft does`, async () => {
    await expectOursAsKernel(kern, RULESET, FRAMES, RUNS.map(([dport, , n, through]) => [dport, n, through, 5] as const));
    const list = kern.lists['0 list ruleset']!;
    // derived by hand (counters count skb->len at ingress, the IP datagram): the first rule's counter stands before
    // the joined port test, so it counts all six frames, 2×60 + 2×64 + 60 + 70; the ether rule one frame (70); the
    // last rule drops run 1's two and run 2's second, 2×60 + 64
    expect(list).toContain('meta l4proto udp counter packets 6 bytes 378 udp sport 4000 udp dport 3700\n');
    expect(list).toContain('ip ttl 64 ip protocol udp udp dport 3703 counter packets 1 bytes 60 drop\n');
    expect(list).toContain(`ether saddr != ${H0} ether type != ip counter packets 1 bytes 70\n`);
    expect(list).toContain('udp sport != 4000 udp dport != 3701 counter packets 3 bytes 184 drop\n');
  });
});

const { nsa, skip, why } = nftAgainst('nf47mt');

describe.skipIf(skip)(`joined payload matches, listed as nft 1.0.6 lists them${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'nf47mt');

  it('orders joined fields by header, keeps a protocol field\'s place and shows the dependencies a join left behind', () => {
    const rules = (family: string, chain: string, list: string[]): string[] => list.map((r) => `add rule ${family} x ${chain} ${r}`);
    expectSequenceAsNft(s.ns, s.dp, [
      'add table netdev x',
      'add chain netdev x a { type filter hook ingress device eth0 priority 0; }',
      ...rules('netdev', 'a', [
        'tcp dport 2 tcp sport 1',
        'ip daddr 198.51.100.1 ip saddr 192.0.2.1',
        'tcp dport 2 counter tcp sport 1 counter',
        'tcp dport 2 tcp dport 2 tcp sport 1',
        'tcp sport != 1 tcp dport != 2',
        'tcp sport 1 tcp dport != 2',
        'ip protocol tcp counter ip ttl 3',
        'ip ttl 3 counter ip protocol udp udp dport 3',
        'ip6 hoplimit 3 ip6 nexthdr tcp',
        'icmp code 3 icmp type echo-request',
        'ip saddr 192.0.2.1 tcp dport 2 ip daddr 198.51.100.1 tcp sport 1',
        'th dport 2 th sport 1',
        'th dport != 2 th sport != 1',
        'meta l4proto udp th dport 2 th sport 1',
        'ether saddr 02:00:00:00:00:01 counter ether daddr 02:00:00:00:00:02',
        'ether type ip ip saddr 192.0.2.1 ether saddr 02:00:00:00:00:03 counter',
        'ether saddr 02:00:00:00:00:01 ether type ip ip protocol udp udp dport 3',
        'meta l4proto udp counter udp dport 3',
        'ip protocol udp udp dport 3',
        'ip6 nexthdr udp udp dport 3',
        'meta protocol ip counter ip saddr 192.0.2.1',
        'tcp dport 2 tcp sport { 1, 3 }',
      ]),
      'add table ip x',
      'add chain ip x c { type filter hook input priority 0; }',
      ...rules('ip', 'c', ['tcp dport 2 counter tcp sport 1', 'udp dport 2 ip saddr 192.0.2.1 udp sport 1', 'ip ttl 3 ip protocol udp udp dport 3', 'ip protocol udp counter udp dport 3']),
      'add table inet x',
      'add chain inet x c { type filter hook input priority 0; }',
      ...rules('inet', 'c', ['ip ttl 3 ip protocol tcp tcp dport 3', 'meta nfproto ipv4 counter ip saddr 192.0.2.1', 'ip6 nexthdr tcp tcp dport 3', 'udp dport 5 counter udp sport 6']),
      'list ruleset',
      'flush ruleset',
    ]);
  });
});
