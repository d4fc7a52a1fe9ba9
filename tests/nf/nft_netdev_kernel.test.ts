// The netdev family against the kernel: a Linux router in namespaces with netdev ingress chains on its veths (one
// on eth0, one on both devices at priority filter - 5), loaded with `nft -f`, and wxdp with the same file; the same
// frames sent into both on eth0 (AF_PACKET), what each forwarded on eth1 compared frame by frame, then `list
// ruleset` byte for byte — counters there count skb->len at ingress, the frame without its Ethernet header. Then
// nft's own errors for netdev chains (no device, a hook of another family, a priority name the family lacks, a
// chain type it lacks, a device on an ip chain, conntrack in a netdev chain) with their lines and columns.

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture, eth, hex, ipv4, stackUnready, udp4 } from '../net/support.js';
import { KernelRouter, kernelUnavailable } from '../net/kernel.js';
import { H0, H1, LINKS, M0, M1, NEIGH, ROUTES } from './ct_support.js';
import { expectOursAsKernel, kernelNftRun, oursNftRun } from './nft_kernel_support.js';
import { expectRefusedAsNft, expectSequenceAsNft, nftAgainst, nftSession } from './nft_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const RULESET = `table netdev nd {
	chain in0 {
		type filter hook ingress device "eth0" priority filter; policy accept;
		counter
		udp dport 3001 counter drop
		udp dport 3002 limit rate 1/minute burst 2 packets accept
		udp dport 3002 drop
		ip daddr 203.0.113.7 drop
		ip daddr 203.0.113.9 meta l4proto udp counter
	}
	chain both {
		type filter hook ingress devices = { eth0, eth1 } priority filter - 5; policy accept;
		udp dport 3003 drop
		udp dport 3004 counter
	}
}
`;

const dgram = (dst: string, dport: number, ipLen: number, i: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst, proto: 17, id: 0x4500 + i }, udp4('192.0.2.2', dst, 4000 + i, dport, new Uint8Array(ipLen - 28).fill(i))));

// [dport, IP length, frames, how many the chains let through (derived by hand), last octet of the destination]
const RUNS: Array<[number, number, number, number, number]> = [
  [3000, 100, 2, 2, 5], // nothing matches: the policy accepts, forwarded
  [3001, 60, 2, 0, 5], // counted and dropped at ingress
  [3002, 60, 3, 2, 5], // the limit's burst of 2 accepts two, the next rule drops the third
  [3003, 72, 1, 0, 5], // `both` runs first (priority -5) and drops it before in0 counts it
  [3004, 72, 1, 1, 5], // counted by `both` (skb->len at ingress: the IP datagram, 72), forwarded
  [3005, 60, 1, 0, 7], // ip daddr 203.0.113.7 drop
  [3006, 80, 2, 2, 9], // counted by the l4proto rule, forwarded
];
const FRAMES = RUNS.flatMap(([dport, len, n, , host]) => Array.from({ length: n }, (_, i) => dgram(`203.0.113.${host}`, dport, len, i)));

describe.skipIf(unready !== '' || noKernel !== '')(`netdev ingress chains through the stack against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RULESET, FRAMES, 'nf45nd');

  it(`forwards what the kernel forwards of ${FRAMES.length} frames and lists the ruleset and its counters as nft does`, async () => {
    await expectOursAsKernel(kern, RULESET, FRAMES, RUNS.map(([dport, , n, through, host]) => [dport, n, through, host] as const));
    const list = kern.lists['0 list ruleset']!;
    // derived by hand: in0's first counter sees every frame `both` let through (11 of 12: 3003's went), their IP
    // lengths 2×100 + 2×60 + 3×60 + 72 + 60 + 2×80 = 792
    expect(list).toContain('\t\tcounter packets 11 bytes 792\n');
    expect(list).toContain('udp dport 3001 counter packets 2 bytes 120 drop');
    expect(list).toContain('udp dport 3004 counter packets 1 bytes 72');
  });
});

// fwd, dup and an egress chain: fwd sends the frame as it came out of eth1 (no routing: TTL and MACs as they were),
// dup a copy before the original is routed; eth1's egress chain sees both the routed frames and the copies, and
// counts skb->len there with the Ethernet header (14 + the IP length).
const FWD_RULESET = `table netdev fw {
	chain in0 {
		type filter hook ingress device "eth0" priority filter; policy accept;
		udp dport 3200 fwd to "eth1"
		udp dport 3201 dup to "eth1"
		udp dport 3202 dup to "eth1" drop
		udp dport 3203 counter
	}
	chain out1 {
		type filter hook egress device "eth1" priority filter; policy accept;
		udp dport 3203 drop
		udp dport 3201 counter
		udp dport 3202 counter
	}
}
`;
// [dport, IP length, frames, frames out of eth1 per frame (derived by hand), last octet of the destination]
const FWD_RUNS: Array<[number, number, number, number, number]> = [
  [3200, 64, 2, 1, 5], // fwd: out unchanged
  [3201, 70, 2, 2, 5], // dup: the copy, then the routed frame
  [3202, 90, 1, 1, 5], // dup then drop: only the copy leaves
  [3203, 60, 2, 0, 5], // routed, then dropped at eth1's egress
  [3204, 60, 1, 1, 5], // routed
];
const FWD_FRAMES = FWD_RUNS.flatMap(([dport, len, n, , host]) => Array.from({ length: n }, (_, i) => dgram(`203.0.113.${host}`, dport, len, i)));

describe.skipIf(unready !== '' || noKernel !== '')(`netdev fwd, dup and egress chains against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(FWD_RULESET, FWD_FRAMES, 'nf45fw');

  it(`sends out of eth1 what the kernel sends for ${FWD_FRAMES.length} frames, byte for byte, and counts as it counts`, async () => {
    const { fx, out } = await oursNftRun(FWD_RULESET, FWD_FRAMES);
    expect(out).toEqual(kern.out);
    expect(out.map((x) => x.length)).toEqual(FWD_RUNS.flatMap(([, , n, per]) => Array.from({ length: n }, () => per)));
    // fwd's frame is the one sent (its TTL not decremented); dup's copy likewise, the routed frame after it
    expect(out[0]![0]).toBe(hex(FWD_FRAMES[0]!));
    expect(out[2]![0]).toBe(hex(FWD_FRAMES[2]!));
    const list = kern.lists['0 list ruleset']!;
    expect(fx.dp.nft('list ruleset')).toBe(list);
    // derived by hand: at egress 3201 passes 4 times (2 copies, 2 routed) × (14 + 70); 3202's copy once, 14 + 90;
    // at ingress 3203 counts 2 × 60
    expect(list).toContain('udp dport 3201 counter packets 4 bytes 336');
    expect(list).toContain('udp dport 3202 counter packets 1 bytes 104');
    expect(list).toContain('udp dport 3203 counter packets 2 bytes 120');
  });
});

// notrack in a raw-priority prerouting chain: the flow is untracked, `ct state untracked` matches it in forward,
// `ct state new` does not; the flows not marked are tracked as before.
const NOTRACK_RULESET = `table ip raw {
	chain pre {
		type filter hook prerouting priority raw; policy accept;
		udp dport { 3100, 3102 } notrack
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct state new udp dport 3100 drop
		ct state untracked udp dport 3100 counter
		ct state untracked udp dport 3101 drop
		ct state new udp dport 3101 counter
		udp dport 3102 ct state untracked drop
	}
}
`;
const NOTRACK_RUNS: Array<[number, number, number, number, number]> = [
  [3100, 60, 2, 2, 5], // untracked: not new, counted, forwarded
  [3101, 60, 2, 2, 5], // tracked: both new (no reply yet: IP_CT_NEW), counted, forwarded
  [3102, 60, 1, 0, 5], // untracked: dropped
];
const NOTRACK_FRAMES = NOTRACK_RUNS.flatMap(([dport, len, n, , host]) => Array.from({ length: n }, () => dgram(`203.0.113.${host}`, dport, len, 0)));

describe.skipIf(unready !== '' || noKernel !== '')(`notrack and ct state untracked against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(NOTRACK_RULESET, NOTRACK_FRAMES, 'nf45nk');

  it(`forwards and counts as the kernel does for ${NOTRACK_FRAMES.length} frames`, async () => {
    await expectOursAsKernel(kern, NOTRACK_RULESET, NOTRACK_FRAMES, NOTRACK_RUNS.map(([dport, , n, through, host]) => [dport, n, through, host] as const));
    const list = kern.lists['0 list ruleset']!;
    // derived by hand: both 3100 frames untracked; both of 3101's new (one direction only: never established)
    expect(list).toContain('ct state untracked udp dport 3100 counter packets 2 bytes 120');
    expect(list).toContain('ct state new udp dport 3101 counter packets 2 bytes 120');
  });
});

// The arp family: input and output chains over the ARP requests the router receives on eth0 and the replies it
// sends back there, `arp operation` / `arp saddr ip` / `arp daddr ip` matches; what each side sent on eth0 compared
// frame by frame and the ruleset listed alike (counters count skb->len: the ARP packet with the frame's padding at
// input, arp_create's whole frame at output).
const ARP_RULESET = `table arp a {
	chain ain {
		type filter hook input priority filter; policy accept;
		arp operation request arp saddr ip 192.0.2.3 drop
		arp operation request counter
		arp daddr ip 192.0.2.99 counter
		meta protocol arp counter
		meta protocol ip counter
	}
	chain aout {
		type filter hook output priority filter; policy accept;
		arp operation reply arp daddr ip 192.0.2.4 drop
		arp operation reply counter
	}
}
`;
const arpRequest = (spa: string, tpa: string, pad = 0): Uint8Array => {
  const ip = (a: string): number[] => a.split('.').map(Number);
  const mac = (m: string): number[] => m.split(':').map((x) => parseInt(x, 16));
  const arp = [0, 1, 8, 0, 6, 4, 0, 1, ...mac(H0), ...ip(spa), 0, 0, 0, 0, 0, 0, ...ip(tpa)];
  return eth({ dst: 'ff:ff:ff:ff:ff:ff', src: H0, type: 0x0806 }, Uint8Array.from([...arp, ...new Array<number>(pad).fill(0)]));
};
// [sender, target, padding, replies out of eth0 (derived by hand)]
const ARP_RUNS: Array<[string, string, number, number]> = [
  ['192.0.2.2', '192.0.2.1', 0, 1], // answered; counted at input (28) and output (42)
  ['192.0.2.3', '192.0.2.1', 0, 0], // dropped at input
  ['192.0.2.4', '192.0.2.1', 0, 0], // counted at input, its reply dropped at output
  ['192.0.2.2', '192.0.2.1', 18, 1], // a frame padded to 60: counted at input as 46
  ['192.0.2.2', '192.0.2.99', 0, 0], // not ours: no reply; counted by both input rules
];
const ARP_FRAMES = ARP_RUNS.map(([spa, tpa, pad]) => arpRequest(spa, tpa, pad));

describe.skipIf(unready !== '' || noKernel !== '')(`arp family chains against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = { out: [] as string[][], list: '' };
  let k: KernelRouter | undefined;
  beforeAll(() => {
    k = KernelRouter.create(LINKS, ROUTES, NEIGH, {}, 'nf45ap');
    const r = spawnSync('ip', ['netns', 'exec', k.router, 'nft', '-f', '-'], { input: ARP_RULESET, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nft -f: ${r.stderr}`);
    kern.out = k.send(ARP_FRAMES.map((f) => ['eth0', f]), 0.05).map((x) => (x.tx.get('eth0') ?? []).map(hex));
    kern.list = String(spawnSync('ip', ['netns', 'exec', k.router, 'nft', 'list', 'ruleset'], { encoding: 'utf8' }).stdout);
  }, 60_000);
  afterAll(() => k?.close());

  it(`answers on eth0 what the kernel answers for ${ARP_FRAMES.length} ARP requests and counts as it counts`, async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nft(ARP_RULESET);
    const out = ARP_FRAMES.map((f) => (fx.rx('eth0', f).get('eth0') ?? []).map(hex));
    expect(out).toEqual(kern.out);
    expect(out.map((x) => x.length)).toEqual(ARP_RUNS.map((r) => r[3]));
    expect(fx.dp.nft('list ruleset')).toBe(kern.list);
    // derived by hand: requests 1, 3, 4, 5 at input (28 + 28 + 46 + 28), the one for .99 (28); replies 1 and 4 (2 × 42)
    expect(kern.list).toContain('arp operation request counter packets 4 bytes 130');
    expect(kern.list).toContain('arp daddr ip 192.0.2.99 counter packets 1 bytes 28');
    expect(kern.list).toContain('arp operation reply counter packets 2 bytes 84');
    // skb->protocol is ETH_P_ARP in arp_rcv: the four requests the first rule let by, the same as request's counter
    expect(kern.list).toContain('meta protocol arp counter packets 4 bytes 130');
    expect(kern.list).toContain('meta protocol ip counter packets 0 bytes 0');
  });
});

// A netdev chain names its devices: Linux 6.18 hooks one when a device of that name appears (created or renamed to
// it) and lets it go when it leaves (measured here: a chain on "wan" counted a veth's frames only while it was named
// wan). wxdp's links tell the ruleset so: of three frames on eth0, only the one sent while it was named wan counts.
describe.skipIf(unready !== '')('netdev chains follow their devices\' names', () => {
  it('hooks eth0 while it is named wan, as the kernel does, and counts that frame only', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nft('table netdev late {\n\tchain c {\n\t\ttype filter hook ingress device "wan" priority filter; policy accept;\n\t\tcounter\n\t}\n}\n');
    const f = (i: number): Uint8Array => dgram('203.0.113.5', 3300, 60, i);
    const rename = (from: string, to: string): void => {
      fx.dp.links.set(from, { up: false });
      fx.dp.links.set(from, { name: to });
      fx.dp.links.set(to, { up: true });
    };
    fx.rx('eth0', f(0));
    rename('eth0', 'wan');
    fx.rx('eth0', f(1));
    rename('wan', 'eth0');
    fx.rx('eth0', f(2));
    expect(fx.dp.nft('list ruleset')).toContain('\t\tcounter packets 1 bytes 60\n');
  });
});

// A device's netdev chains are its own (the kernel's dev->nf_hooks_ingress / nf_hooks_egress): an ingress chain on
// eth0 and an egress chain on eth1 leave the frames that come in on eth1 and leave by eth0 unseen — their lists are
// empty, so each frame pays the load of that word — and eth0's transmit batched (netdev.ts: one transmitBurst for a
// burst's forwards, per frame while the device has egress chains). Counted, not timed: the lists' lengths, the chains'
// counters, the batched transmits.
describe.skipIf(unready !== '')('netdev chains on one device leave another\'s frames alone', () => {
  it('an ingress chain on eth0 and an egress chain on eth1 neither count nor unbatch what eth1 forwards to eth0', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nft(`table netdev own {
	chain in0 {
		type filter hook ingress device "eth0" priority filter; policy accept;
		counter
	}
	chain out1 {
		type filter hook egress device "eth1" priority filter; policy accept;
		counter
	}
}
`);
    const x = fx.dp.fastPath.exports as unknown as { nf_netdev_hook_count(hook: number, ifindex: number): number; netdev_xmit_bursts(): number };
    const [eth0, eth1] = [fx.dp.links.ifindex('eth0'), fx.dp.links.ifindex('eth1')];
    // [ingress, egress] entries per device: what each of its frames walks
    expect([x.nf_netdev_hook_count(0, eth0), x.nf_netdev_hook_count(1, eth0)]).toEqual([1, 0]);
    expect([x.nf_netdev_hook_count(0, eth1), x.nf_netdev_hook_count(1, eth1)]).toEqual([0, 1]);
    const burst = (dev: string, frames: Uint8Array[]): Map<string, Uint8Array[]> => {
      const d = fx.devs.get(dev)!;
      for (const f of frames) if (!d.inject(f)) throw new Error(`inject on ${dev} failed`);
      d.poll();
      return fx.tx();
    };
    const back = (i: number): Uint8Array =>
      eth({ dst: M1, src: H1, type: 0x0800 }, ipv4({ src: '203.0.113.5', dst: '192.0.2.2', proto: 17, id: 0x4600 + i }, udp4('203.0.113.5', '192.0.2.2', 5000 + i, 3400, new Uint8Array(32).fill(i))));
    let b0 = x.netdev_xmit_bursts();
    const out = burst('eth1', [0, 1, 2, 3].map(back));
    expect(out.get('eth0')?.length).toBe(4);
    expect(x.netdev_xmit_bursts() - b0).toBe(1); // the burst's four forwards in one transmit
    expect(fx.dp.nft('list ruleset').match(/counter packets \d+/g)).toEqual(['counter packets 0', 'counter packets 0']);
    // the other way both chains see the frames, and eth1's transmit goes a frame at a time through its chain
    b0 = x.netdev_xmit_bursts();
    expect(burst('eth0', [0, 1].map((i) => dgram('203.0.113.5', 3401, 60, i))).get('eth1')?.length).toBe(2);
    expect(x.netdev_xmit_bursts() - b0).toBe(0);
    expect(fx.dp.nft('list ruleset').match(/counter packets \d+/g)).toEqual(['counter packets 2', 'counter packets 2']);
  });
});

// A copy an egress chain's dup sends out of its own device skips that device's egress chains (the skb's
// nf_skip_egress, a parameter of the transmit here): the chain counts the routed frame once and both leave — the
// copy first (sent when the chain is done, before the original goes on), then the original.
describe.skipIf(unready !== '')('dup from an egress chain to its own device', () => {
  it('sends the copy past the chain: one count, two frames out of eth1', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nft('table netdev self {\n\tchain out1 {\n\t\ttype filter hook egress device "eth1" priority filter; policy accept;\n\t\tudp dport 3205 counter dup to "eth1"\n\t}\n}\n');
    const out = fx.rx('eth0', dgram('203.0.113.5', 3205, 60, 0)).get('eth1') ?? [];
    expect(out.length).toBe(2);
    expect(hex(out[0]!)).toBe(hex(out[1]!));
    expect(fx.dp.nft('list ruleset')).toContain('udp dport 3205 counter packets 1 bytes 74 dup to "eth1"');
  });
});

const { nsa, skip, why } = nftAgainst('nf45nt');

const chainFile = (family: string, decl: string, rule = ''): string => `table ${family} t {\n\tchain c {\n\t\t${decl}\n${rule ? `\t\t${rule}\n` : ''}\t}\n}\n`;

describe.skipIf(skip)(`netdev tables, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'nf45nt');

  it('lists netdev chains as nft does: one device, a set of them, egress, a device that does not exist, priorities', () => {
    expectSequenceAsNft(s.ns, s.dp, [
      'add table netdev x',
      'add chain netdev x a { type filter hook ingress device eth0 priority 0; policy drop; }',
      'add chain netdev x b { type filter hook ingress devices = { eth0, eth1 } priority -300; }',
      'add chain netdev x c { type filter hook egress device "eth0" priority filter + 3; }',
      'add chain netdev x d { type filter hook ingress device nope priority 7; }',
      'add rule netdev x a ip saddr 192.0.2.1 tcp dport 22 counter accept',
      'add rule netdev x a ip6 daddr 2001:db8::1 limit rate 10/second drop',
      'list ruleset',
      '-a list chain netdev x a',
      'list chains',
      'delete chain netdev x d',
      'list table netdev x',
      'add rule netdev x a dup to lo',
      'add rule netdev x a udp dport 53 fwd to "lo"',
      'add rule netdev x a fwd to nope',
      'add rule netdev x a fwd to lo counter',
      'add table ip z',
      'add chain ip z c { type filter hook prerouting priority raw; }',
      'add rule ip z c fwd to lo',
      'add rule ip z c udp dport 53 notrack',
      'add rule ip z c ct state untracked counter',
      '-a list ruleset',
      'flush ruleset',
    ]);
  });

  it('lists arp chains as nft does and refuses what nft refuses there', () => {
    expectSequenceAsNft(s.ns, s.dp, [
      'add table arp y',
      'add chain arp y i { type filter hook input priority 0; }',
      'add chain arp y o { type filter hook output priority filter + 2; policy drop; }',
      'add rule arp y i arp operation { request, reply } counter',
      'add rule arp y i arp operation 5 arp saddr ip 192.0.2.0/24 arp daddr ip != 198.51.100.7 drop',
      'add rule arp y o arp operation reply accept',
      'list ruleset',
      'add chain arp y p { type filter hook prerouting priority 0; }',
      'add chain arp y r { type filter hook input priority raw; }',
      'add chain arp y d { type filter hook input device lo priority 0; }',
      'add chain arp y n { type nat hook input priority 0; }',
      'add rule arp y i arp operation foo',
      'add rule arp y i arp operation 70000',
      'add rule arp y i ip saddr 192.0.2.1',
      'add rule arp y i tcp dport 22',
      'list chains',
      'flush ruleset',
    ]);
  });

  const refusals: Array<[string, string]> = [
    ['no device', chainFile('netdev', 'type filter hook ingress priority 0; policy accept;')],
    ['a hook of the inet families', chainFile('netdev', 'type filter hook input device "eth0" priority 0; policy accept;')],
    ['a priority name the family lacks', chainFile('netdev', 'type filter hook ingress device eth0 priority raw; policy accept;')],
    ['a chain type the family lacks', chainFile('netdev', 'type route hook ingress device eth0 priority 0; policy accept;')],
    ['a device on an ip chain', chainFile('ip', 'type filter hook prerouting device eth0 priority 0; policy accept;')],
    ['conntrack in a netdev chain', chainFile('netdev', 'type filter hook ingress device eth0 priority 0; policy accept;', 'ct state established accept')],
    ['meta nfproto in a netdev chain', chainFile('netdev', 'type filter hook ingress device eth0 priority 0; policy accept;', 'meta nfproto ipv4 accept')],
  ];
  it.each(refusals)('refuses %s as nft does, at its line and column', (label, text) => {
    const file = join(s.dir, 'refused.nft');
    writeFileSync(file, text);
    expectRefusedAsNft(s.ns, s.dp, file, label);
    expectSequenceAsNft(s.ns, s.dp, ['list ruleset']);
  });
});
