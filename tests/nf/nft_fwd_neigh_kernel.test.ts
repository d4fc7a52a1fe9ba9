// `fwd ip to ADDR device DEV` / `fwd ip6 …` in a netdev chain (issue 15; nft_fwd_neigh_eval): a packet of that
// family leaves by the device to that neighbour — its TTL lowered with no check for 0, the checksum patched, a new
// Ethernet header from the neighbour's address (neigh_xmit: an unresolved neighbour is asked for first) — and one of
// another family breaks out of the rule. A Linux router in namespaces loaded with `nft -f` and wxdp with the same
// file; the same frames sent into both on eth0, what each sent out of eth1 compared byte for byte, then `list
// ruleset`. Then nft's listing of the statement and its errors with their places.

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eth, Fixture, hex, ipv4, stackUnready, udp4 } from '../net/support.js';
import { KernelRouter, kernelUnavailable } from '../net/kernel.js';
import { H0, H1, LINKS, M0, M1, NEIGH, ROUTES } from './ct_support.js';
import { kernelNftRun, oursNftRun } from './nft_kernel_support.js';
import { expectSequenceAsNft, nftAgainst, nftSession } from './nft_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const RULESET = `table netdev fn {
	chain in0 {
		type filter hook ingress device "eth0" priority filter; policy accept;
		udp dport 3800 fwd ip to 198.51.100.2 device "eth1"
		udp dport 3801 counter fwd ip to 198.51.100.2 device "eth1"
		udp dport 3802 fwd ip6 to 2001:db8:2::2 device "eth1"
		udp dport 3802 counter
		udp dport 3804 fwd ip to 198.51.100.7 device "eth1"
	}
}
`;

const dgram = (dport: number, ipLen: number, ttl: number, i: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '203.0.113.5', proto: 17, id: 0x4a00 + i, ttl }, udp4('192.0.2.2', '203.0.113.5', 4000 + i, dport, new Uint8Array(ipLen - 28).fill(i))));

// [dport, IP length, TTL, frames out of eth1 (derived by hand)]
const RUNS: Array<[number, number, number, number]> = [
  [3800, 60, 64, 1], // to H1 with TTL 63
  [3800, 60, 1, 0], // TTL 1: dropped (Linux 6.18's nft_fwd_neigh_eval: ttl <= 1 is NF_DROP, measured)
  [3801, 70, 64, 1], // counted, then to H1
  [3802, 60, 64, 1], // fwd ip6 breaks on an IPv4 packet: counted by the next rule, routed to H1 (TTL 63)
  [3803, 60, 64, 1], // no rule: routed
  [3804, 60, 64, 1], // to a neighbour not yet known: the ARP request for 198.51.100.7 leaves eth1, the frame waits
];
const FRAMES = RUNS.map(([dport, len, ttl], i) => dgram(dport, len, ttl, i));

describe.skipIf(unready !== '' || noKernel !== '')(`fwd to a neighbour against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RULESET, FRAMES, 'nf47fn');

  it(`sends out of eth1 what the kernel sends for ${FRAMES.length} frames, byte for byte, and counts as it counts`, async () => {
    const { fx, out } = await oursNftRun(RULESET, FRAMES);
    expect(out).toEqual(kern.out);
    expect(out.map((x) => x.length)).toEqual(RUNS.map((r) => r[3]));
    const ethHdr = (f: string): string => f.slice(0, 28);
    const mac = (m: string): string => m.replace(/:/g, '');
    // derived by hand: fwd's frames go to H1 from eth1's address; the TTL byte (IP offset 8) one less, wrapping nothing
    expect(ethHdr(out[0]![0]!)).toBe(`${mac(H1)}${mac(M1)}0800`);
    expect(out[0]![0]!.slice(28 + 16, 28 + 18)).toBe('3f');
    // the unknown neighbour: an ARP request (broadcast, type 0806) and not the frame
    expect(ethHdr(out[5]![0]!)).toBe(`ffffffffffff${mac(M1)}0806`);
    const list = kern.lists['0 list ruleset']!;
    expect(fx.dp.nft('list ruleset')).toBe(list);
    expect(list).toContain('udp dport 3801 counter packets 1 bytes 70 fwd ip to 198.51.100.2 device "eth1"\n');
    expect(list).toContain('udp dport 3802 counter packets 1 bytes 60\n');
  });
});

const { nsa, skip, why } = nftAgainst('nf47fl');

describe.skipIf(skip)(`fwd to a neighbour, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'nf47fl');

  it('lists it as nft does and refuses what nft refuses, at its place', () => {
    expectSequenceAsNft(s.ns, s.dp, [
      'add table netdev x',
      'add chain netdev x a { type filter hook ingress device eth0 priority 0; }',
      'add rule netdev x a fwd ip to 198.51.100.2 device "lo"',
      'add rule netdev x a fwd ip6 to 2001:db8::2 device lo',
      'add rule netdev x a udp dport 1 fwd ip to 198.51.100.2 device lo',
      'add rule netdev x a fwd ip to 2001:db8::2 device lo',
      'add rule netdev x a fwd ip6 to 198.51.100.2 device lo',
      'add rule netdev x a fwd ip to 198.51.100.2',
      'add rule netdev x a fwd ip to 198.51.100.2 device nope',
      'add rule netdev x a fwd ip to 198.51.100.2 device lo counter',
      'list ruleset',
      'add table ip y',
      'add chain ip y c { type filter hook prerouting priority 0; }',
      'add rule ip y c fwd ip to 198.51.100.2 device lo',
      'flush ruleset',
    ]);
  });
});

// A device removed after the rule was loaded: Linux 6.18.44 drops the packet (NETFILTER_DROP, measured: the next
// rule never runs) where older sources of nft_fwd_neigh_eval returned with the verdict untouched; nft then lists the
// device by its index. A veth of the router's own (v0, its peer v1) is the target, removed before the frames.
const GONE = `table netdev fg {
	chain in0 {
		type filter hook ingress device "eth0" priority filter; policy accept;
		udp dport 3810 fwd ip to 198.51.100.2 device "v0"
		udp dport 3810 counter
		udp dport 3811 fwd ip6 to 2001:db8:2::2 device "v0"
		udp dport 3811 counter
	}
}
`;
// [dport, TTL]: nothing leaves for any (derived by hand: dropped at the fwd; fwd ip6 breaks on IPv4, routed)
const GONE_RUNS: Array<[number, number, number]> = [
  [3810, 64, 0],
  [3810, 1, 0],
  [3811, 64, 1], // fwd ip6 on an IPv4 packet breaks first (the device never looked up): counted, routed
];
const GONE_FRAMES = GONE_RUNS.map(([dport, ttl], i) => dgram(dport, 60, ttl, 20 + i));

describe.skipIf(unready !== '' || noKernel !== '')(`fwd to a neighbour of a removed device against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = { out: [] as string[][], drops: [] as string[][], list: '' };
  let k: KernelRouter | undefined;
  beforeAll(() => {
    k = KernelRouter.create(LINKS, ROUTES, NEIGH, {}, 'nf48fg');
    const inR = (args: string[], input?: string): void => {
      const r = spawnSync('ip', ['netns', 'exec', k!.router, ...args], { input, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${args.join(' ')}: ${String(r.stderr)}`);
    };
    inR(['ip', 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
    inR(['nft', '-f', '-'], GONE);
    inR(['ip', 'link', 'del', 'v0']);
    const res = k.send(GONE_FRAMES.map((f) => ['eth0', f]), 0.05);
    kern.out = res.map((x) => (x.tx.get('eth1') ?? []).map(hex));
    kern.drops = res.map((x) => x.drops);
    kern.list = String(spawnSync('ip', ['netns', 'exec', k.router, 'nft', 'list', 'ruleset'], { encoding: 'utf8' }).stdout);
  }, 60_000);
  afterAll(() => k?.close());

  it('drops as the kernel does (NETFILTER_DROP, the next rule not run) and lists the device by its index', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.links.add({ kind: 'veth', name: 'v0', peer: { name: 'v1' } });
    fx.dp.nft(GONE);
    const v0 = fx.dp.links.ifindex('v0');
    fx.dp.links.del('v0');
    const before = fx.drops();
    const out = GONE_FRAMES.map((f) => (fx.rx('eth0', f).get('eth1') ?? []).map(hex));
    expect(out).toEqual(kern.out);
    expect(out.map((x) => x.length)).toEqual(GONE_RUNS.map((r) => r[2]));
    expect(kern.drops.slice(0, 2)).toEqual([['NETFILTER_DROP'], ['NETFILTER_DROP']]);
    expect((fx.drops()['NETFILTER_DROP'] ?? 0) - (before['NETFILTER_DROP'] ?? 0)).toBe(2);
    expect(kern.list).toContain('udp dport 3810 counter packets 0 bytes 0\n');
    // the kernel's index for v0 is its own; the listing is compared with that number put in
    const kIndex = /fwd ip to 198\.51\.100\.2 device (\d+)/.exec(kern.list)![1]!;
    expect(fx.dp.nft('list ruleset')).toBe(kern.list.replaceAll(`device ${kIndex}`, `device ${v0}`));
  });
});
