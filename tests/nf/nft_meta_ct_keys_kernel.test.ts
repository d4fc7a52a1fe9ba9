// The meta and ct keys nft users write daily that wxdp lacked before 12-07 (nfm55): `meta pkttype`, `meta cpu`,
// `meta iiftype` / `oiftype`, `ct l3proto`, `ct protocol`, `ct zone`, `ct original|reply ip|ip6 saddr|daddr`,
// `ct original|reply zone`, `ct expiration`, `meta time`, `meta day`, `meta hour` (on the stack's wall clock), numgen and jhash as a verdict map's key (`numgen inc mod 2 vmap { 0 : accept, 1 : drop }`) — a file of rules loaded by nft 1.0.6 and by wxdp and listed back alike, bad values refused
// alike, then frames through a Linux 6.18 router in namespaces and through wxdp (a netdev ingress chain sees
// broadcast, multicast and other hosts' frames; the ip hooks the types ip_rcv took them with), counters listed alike.

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eth, ipv4, stackUnready, udp4 } from '../net/support.js';
import { ipv4 as ip4 } from '../support/frames.js';
import { kernelUnavailable } from '../net/kernel.js';
import { H0, M0 } from './ct_support.js';
import { expectOursAsKernel, kernelNftRun } from './nft_kernel_support.js';
import { ChainRunner, expectSequenceAsNft, loadListedAsNft, nftAgainst, nftDatapath, nftSession } from './nft_support.js';

const { nsa, skip, why } = nftAgainst('nfm55k');

const RULES = [
  'meta pkttype broadcast counter',
  'meta pkttype { host, multicast }',
  'pkttype other',
  'meta pkttype unicast',
  'meta pkttype 4',
  'meta pkttype != host',
  'meta cpu 1',
  'cpu { 0-1 } counter',
  'meta cpu > 3',
  'meta iiftype ether',
  'iiftype loopback',
  'meta iiftype { ether, ppp }',
  'meta oiftype != ipgre',
  'meta iiftype 2',
  'ct l3proto ipv4',
  'ct l3proto { ipv4, ipv6 }',
  'ct protocol tcp',
  'ct protocol { udp, 47 }',
  'ct original ip saddr 192.0.2.1',
  'ct reply ip daddr 192.0.2.0/24',
  'ct original ip6 saddr 2001:db8::1',
  'ct reply ip6 daddr { 2001:db8::/32, ::1 }',
  'ct zone 3',
  'ct zone != 0',
  'ct zone { 1, 2-5 }',
  'ct zone > 100',
  'ct original zone 2',
  'ct reply zone 1-4',
  'ct original ip saddr . ct reply ip daddr { 192.0.2.1 . 192.0.2.2 }',
  'meta pkttype . meta iiftype { host . ether }',
  'ct direction reply ct zone 0 ct l3proto ipv4 accept',
  'ct l3proto ipv4 ct protocol udp', // a dependency to nft's listing: not shown
  'numgen inc mod 2 vmap { 0 : accept, 1 : drop }',
  'ct expiration 1m30s',
  'ct expiration 30',
  'ct expiration 0', // listed as nft lists it: `ct expiration ` (time_print prints nothing for 0)
  'ct expiration { 1s, 5s-10s }',
  'ct expiration > 20s',
  'meta time "2024-01-01 10:00:00"-"2025-01-01"',
  'meta time 1700000000',
  'meta time < "2030-01-01"',
  'meta time "2024-01-01 10:00"',
  'meta time { "2024-01-01", "2025-06-01 12:00:00" }',
  'meta day "Sunday"',
  'meta day 6',
  'meta day { "Monday", "Friday" }',
  'meta day "Monday"-"Friday"',
  'meta day != Tuesday',
  'meta hour "17:00"-"18:00"',
  'meta hour "17:00:30"',
  'meta hour "17"',
  'meta hour 3600',
  'meta hour < "12:00"',
  'meta hour "1h30m"',
  'meta hour { "08:00", "12:00"-"13:00" }',
  'meta hour "23:00"-"01:00"', // across midnight: listed as nft turns it, != "01:00"-"23:00"
  'meta hour != "23:00"-"01:00"',
  'numgen random mod 3 offset 1 vmap { 1 : accept, 2-3 : drop }',
  'jhash ip saddr . udp dport mod 4 seed 0x1 vmap { 0 : accept }',
];

const REFUSED = [
  'add table inet t',
  'add chain inet t c',
  'add rule inet t c meta pkttype foo',
  'add rule inet t c meta pkttype 256',
  'add rule inet t c meta iiftype foo',
  'add rule inet t c meta iiftype 65536',
  'add rule inet t c meta cpu foo',
  'add rule inet t c meta cpu 4294967296',
  'add rule inet t c ct zone 70000',
  'add rule inet t c ct zone foo',
  'add rule inet t c ct l3proto foo',
  'add rule inet t c ct protocol 300',
  'add rule inet t c ct original ip6 saddr 192.0.2.1',
  'add table ip t4',
  'add chain ip t4 c',
  'add rule ip t4 c ct reply ip6 daddr 2001:db8::1',
  'add rule ip t4 c numgen inc mod 0 vmap { 0 : accept }',
  'add rule ip t4 c ct expiration foo',
  'add rule ip t4 c meta time "2024-13-01"',
  'add rule ip t4 c meta time "foo"',
  'add rule ip t4 c meta time "2025-01-01"-"2024-01-01"',
  'add rule ip t4 c meta day "sun"',
  'add rule ip t4 c meta day 7',
  'add rule ip t4 c meta hour "25:00"',
  'add rule ip t4 c meta hour foo',
  'add rule ip t4 c numgen inc mod 2 counter',
  'add rule ip t4 c numgen inc mod 2 vmap { foo : accept }',
  'list ruleset',
];

describe.skipIf(skip)(`meta pkttype / cpu / iiftype, ct l3proto / protocol / zone / addresses, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'nfm55k');

  it(`takes ${RULES.length} rules and lists them as nft does`, () => {
    const file = join(s.dir, 'keys.nft');
    writeFileSync(file, ['table inet f {', '\tchain c {', '\t\ttype filter hook prerouting priority 0; policy accept;', ...RULES.map((r) => `\t\t${r}`), '\t}', '}', ''].join('\n'));
    loadListedAsNft(s.ns, s.dp, file);
    expectSequenceAsNft(s.ns, s.dp, ['delete table inet f']);
  });

  it(`refuses ${REFUSED.length - 3} rules as nft does, each at its place`, () => {
    expectSequenceAsNft(s.ns, s.dp, REFUSED);
  });
});

describe.skipIf(skip)('meta cpu in the data path', () => {
  it("reads the worker's CPU, as raw_smp_processor_id", async () => {
    const dp = await nftDatapath(['eth0']);
    dp.nft(`table ip t {
	chain c {
		type filter hook forward priority filter; policy accept;
		meta cpu 0 counter
		meta cpu != 0 drop
	}
}`);
    const r = new ChainRunner(dp);
    expect(r.run('ip', 't', 'c', ip4({ src: '192.0.2.1', dst: '198.51.100.1', proto: 17, payload: new Uint8Array(8) })).verdict).toBe(1);
    expect(dp.nft('list chain ip t c')).toContain('meta cpu 0 counter packets 1 bytes 28');
  });
});

// the wall clock: the kernel's, and wxdp's stack clock started from this process's (Stack.setRealtime)
const now = new Date();
const today = now.getUTCDay();
const never = (now.getUTCHours() * 3600 + now.getUTCMinutes() * 60 + now.getUTCSeconds() + 7200) % 86400;

const RULESET = `table netdev n {
	chain in {
		type filter hook ingress device "eth0" priority filter; policy accept;
		meta pkttype broadcast counter
		meta pkttype multicast counter
		meta pkttype other counter
		meta pkttype host counter
		meta iiftype ether counter
	}
}
table ip h {
	chain pre {
		type filter hook prerouting priority filter; policy accept;
		meta pkttype broadcast counter
		meta pkttype multicast counter
		meta pkttype host counter
		pkttype { broadcast, multicast } udp dport 3299 counter drop
	}

	chain forward {
		type filter hook forward priority filter; policy accept;
		meta pkttype != host counter
		udp dport 3201 ct original ip saddr 192.0.2.2 counter drop
		udp dport 3202 ct reply ip daddr 192.0.2.2 ct reply ip saddr 203.0.113.5 counter drop
		udp dport 3203 ct l3proto ipv4 ct protocol udp counter drop
		udp dport 3204 ct zone 0 ct original zone 0 counter drop
		udp dport 3205 ct zone 1 counter drop
		udp dport 3206 ct protocol tcp counter drop
		udp dport 3207 meta iiftype ether meta oiftype ether counter drop
		udp dport 3208 ct original ip saddr . ct original ip daddr { 192.0.2.2 . 203.0.113.5 } counter drop
		udp dport 3301 counter numgen inc mod 2 vmap { 0 : accept, 1 : drop }
		udp dport 3302 counter jhash ip saddr . udp sport mod 2 seed 0x7 vmap { 0 : drop, 1 : accept }
		udp dport 3303 numgen random mod 1 offset 5 vmap { 5 : drop }
		udp dport 3501 ct status confirmed ct expiration > 25s ct expiration <= 30s counter drop
		udp dport 3601 meta time > "2020-01-01" meta time < "2099-01-01" counter drop
		udp dport 3602 meta time "2020-01-01"-"2021-01-01" counter drop
		udp dport 3603 meta time { "2020-01-01"-"2099-01-01" } counter drop
		udp dport 3401 meta day ${today} counter drop
		udp dport 3402 meta day != ${today} counter drop
		udp dport 3403 meta hour ${never} counter drop
		udp dport 3404 meta hour "00:00"-"23:59:59" counter drop
	}

	chain post {
		type filter hook postrouting priority filter; policy accept;
		meta pkttype host counter
		meta oiftype loopback counter
	}
}
table inet i {
	chain forward {
		type filter hook forward priority filter; policy accept;
		udp dport 3209 ct original ip6 saddr ::1 counter drop
		udp dport 3209 ct reply ip6 daddr != ::1 counter drop
	}
}
`;

/** A UDP datagram from the inside host to `dst` (through the router unless a broadcast or multicast), to MAC `dmac`. */
const dgram = (dport: number, i: number, dst = '203.0.113.5', dmac = M0): Uint8Array =>
  eth({ dst: dmac, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst, proto: 17, id: 0x5500 + i }, udp4('192.0.2.2', dst, 4200 + i, dport, new Uint8Array(8).fill(i))));

// [dport, frames, how many go through, host]; the frames below in the same order
const RUNS: Array<[number, number, number, number]> = [
  [3200, 1, 1, 5], // host: counted at ingress, prerouting, postrouting
  [3299, 3, 0, 5], // broadcast, multicast: dropped at prerouting; another host's: dropped before it (ip_rcv)
  [3201, 2, 0, 5], // both from 192.0.2.2: dropped
  [3202, 1, 0, 5],
  [3203, 1, 0, 5],
  [3204, 1, 0, 5],
  [3205, 1, 1, 5], // zone 0 is not 1
  [3206, 1, 1, 5],
  [3207, 1, 0, 5],
  [3208, 2, 1, 5], // the second to 203.0.113.6 is not in the set
  [3209, 1, 1, 5], // an IPv4 entry breaks at ct original ip6 saddr
  [3301, 4, 2, 5], // numgen inc: 0, 1, 0, 1
  [3302, 6, 4, 5], // jhash of the source port, seed 7: of 4200-4205 the kernel drops 2
  [3303, 1, 0, 5],
  [3501, 2, 1, 5], // the flow's first frame has no confirmed entry yet; the second's has 30s left of UDP's timeout
  [3601, 1, 0, 5], // now: between 2020 and 2099
  [3602, 1, 1, 5],
  [3603, 1, 0, 5],
  [3401, 1, 0, 5], // today: dropped
  [3402, 1, 1, 5],
  [3403, 1, 1, 5], // two hours from now: not now
  [3404, 1, 0, 5],
];
const FRAMES = [
  dgram(3200, 0),
  dgram(3299, 0, '192.0.2.255', 'ff:ff:ff:ff:ff:ff'),
  dgram(3299, 1, '224.0.0.251', '01:00:5e:00:00:fb'),
  dgram(3299, 2, '203.0.113.5', '02:00:00:00:09:09'),
  dgram(3201, 0),
  dgram(3201, 1),
  dgram(3202, 0),
  dgram(3203, 0),
  dgram(3204, 0),
  dgram(3205, 0),
  dgram(3206, 0),
  dgram(3207, 0),
  dgram(3208, 0),
  dgram(3208, 1, '203.0.113.6'),
  dgram(3209, 0),
  ...[0, 1, 2, 3].map((i) => dgram(3301, i)),
  ...[0, 1, 2, 3, 4, 5].map((i) => dgram(3302, i)),
  dgram(3303, 0),
  dgram(3501, 0),
  dgram(3501, 0),
  ...[3601, 3602, 3603, 3401, 3402, 3403, 3404].map((p) => dgram(p, 0)),
];

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

describe.skipIf(unready !== '' || noKernel !== '')(`meta and ct keys, the stack against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RULESET, FRAMES, 'nfm55x', ['list ruleset']);

  it(`forwards what the kernel forwards of ${FRAMES.length} frames, and counts as it does`, async () => {
    await expectOursAsKernel(kern, RULESET, FRAMES, RUNS);
  });
});
