// Per-field intervals in concatenations (`flags interval` on `type ipv4_addr . inet_service`, ranges and prefixes
// per field in anonymous sets and verdict maps: the kernel's nft_set_pipapo) against nft itself (Debian's nftables
// 1.0.6 and the 6.18 kernel): a file of named sets, maps and rules of IPv4, IPv6, host-order marks and
// `meta l4proto . th dport`, listed back alike (elements in the order they were added, one a line, each field a
// value, a prefix or a range as the kernel's bounds give it; auto-merge merges nothing); a command sequence with the
// kernel's answers for elements that overlap (EEXIST when a corner lies in another element, none for the same one
// twice unless `create`), deletes that find the element the start key is in, and nft's own errors for ranges in a
// set without the flag (and, beside them, anonymous sets of one element folded into plain relationals, a counter in
// an anonymous map refused with nft's words); then the same rules through the whole stack, a Linux router in namespaces against wxdp,
// frame by frame, where a key matches only when every field is in its element's range.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eth, ipv4, stackUnready, udp4 } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { H0, M0 } from './ct_support.js';
import { ipv4 as ip4, ipv6, udp } from '../support/frames.js';
import { expectOursAsKernel, kernelNftRun } from './nft_kernel_support.js';
import { ChainRunner, expectSequenceAsNft, loadListedAsNft, nftAgainst, nftDatapath, nftSession } from './nft_support.js';

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
  // one written element is no set: nft folds it into the plain relational (no set handle; its statements dropped)
  'add rule inet x c ip saddr { 192.0.2.1 } accept',
  'add rule inet x c ip saddr != { 192.0.2.0/24 } tcp dport { 22-22 } accept',
  'add rule inet x c tcp flags { syn | ack } accept',
  'add rule inet x c tcp flags != { syn }',
  'add rule inet x c meta l4proto { tcp } tcp dport 22',
  'add rule inet x c ip saddr { 192.0.2.1 counter }',
  'add rule inet x c ip saddr { 192.0.2.1, 192.0.2.1 }', // two written: a set of one
  'add rule inet x c ip saddr . tcp dport { 192.0.2.1 . 22 }', // a concatenation's is kept
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

describe.skipIf(!built)('per-field intervals in the data path', () => {
  it('IPv6 prefixes and ranges, host-order mark ranges and a 1-byte protocol: every field in its own range', async () => {
    const dp = await nftDatapath([]);
    dp.nft(`table inet k {
	chain c {
		type filter hook input priority 0; policy accept;
		ip6 saddr . udp dport { 2001:db8::/64 . 50-59, 2001:db8:1::1-2001:db8:1::5 . 80 } drop
		meta mark . meta l4proto . udp dport { 0x10-0x20 . udp . 100-200 } drop
		ip6 daddr . ip6 saddr . udp dport vmap { 2001:db8:9::/48 . 2001:db8:3::/48 . 1-1000 : drop, 2001:db8:9::/48 . 2001:db8:3::/48 . 1001-2000 : accept }
		udp dport 1500 drop
	}
}`);
    const r = new ChainRunner(dp);
    const d6 = (src: string, dst: string, dport: number): Uint8Array => ipv6({ src, dst, nextHeader: 17, payload: udp(src, dst, 4000, dport, new Uint8Array(4)) });
    const d4 = (dport: number): Uint8Array => ip4({ src: '192.0.2.1', dst: '192.0.2.9', proto: 17, payload: udp('192.0.2.1', '192.0.2.9', 4000, dport, new Uint8Array(4)) });
    const v = (pkt: Uint8Array, mark = 0): number => r.run('inet', 'k', 'c', pkt, { hook: 1, mark }).verdict;
    // derived from the rules: 0 drop, 1 accept (the policy or the map's accept)
    const x = '2001:db8:7::1';
    // 2001:db8::ffff . 55 in the /64 and 50-59; 2001:db8::1 . 60 is past the range (a lexicographic [lo, hi] over
    // the whole key would take it: its address is inside); 2001:db8:1::3 . 80 in the address range; . 81 not
    expect([v(d6('2001:db8::ffff', x, 55)), v(d6('2001:db8::1', x, 60)), v(d6('2001:db8:1::3', x, 80)), v(d6('2001:db8:1::3', x, 81)), v(d6('2001:db8:1::6', x, 80))]).toEqual([0, 1, 0, 1, 1]);
    // mark 0x15 in 0x10-0x20 (host order: 0x1500 is not, though its first byte is); 150 in 100-200
    expect([v(d4(150), 0x15), v(d4(150), 0x1500), v(d4(150), 0x21), v(d4(201), 0x10), v(d4(100), 0x20)]).toEqual([0, 1, 1, 1, 0]);
    // the verdict map: the first field, then the second, then the port picks drop or accept; no element breaks the rule
    expect([v(d6('2001:db8:3::7', '2001:db8:9::1', 999)), v(d6('2001:db8:3::7', '2001:db8:9::1', 1500)), v(d6('2001:db8:4::7', '2001:db8:9::1', 1500)), v(d6('2001:db8:3::7', '2001:db8:9::1', 2001))]).toEqual([0, 1, 0, 1]);
  });
});

describe.skipIf(!built)("per-field intervals' index", () => {
  it('finds the first element added that holds every field, as a scan of the elements would (random sets and keys)', async () => {
    const dp = await nftDatapath([]);
    dp.nft('add table ip x; add map ip x m { type ipv4_addr . inet_service : verdict; flags interval; }; add chain ip x c { type filter hook input priority 0; policy accept; }');
    dp.nft('add rule ip x c ip saddr . tcp dport vmap @m; add rule ip x c meta mark set 7 accept');
    // a fixed LCG, so a failure repeats; addresses in 192.0.2.0/26 and ports 0-63 make overlaps and shared bounds common
    let seed = 45;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
    const taken: Array<{ a: [number, number]; p: [number, number] }> = [];
    for (let i = 0; i < 120; i++) {
      const plen = 26 + rnd(7);
      const base = rnd(64) & ~((1 << (32 - plen)) - 1);
      const p0 = rnd(64);
      const p1 = p0 + rnd(8);
      // accepted or refused as the kernel would (EEXIST): only what was taken is in the reference
      try {
        dp.nft(`add element ip x m { 192.0.2.${base}/${plen} . ${p0}-${p1} : ${taken.length % 2 ? 'accept' : 'drop'} }`);
        taken.push({ a: [base, base + (1 << (32 - plen)) - 1], p: [p0, p1] });
      } catch {
        /* EEXIST: an overlapping corner */
      }
    }
    expect(taken.length).toBeGreaterThan(20);
    const r = new ChainRunner(dp);
    for (let q = 0; q < 400; q++) {
      const host = rnd(70);
      const port = rnd(72);
      const first = taken.findIndex((e) => host >= e.a[0] && host <= e.a[1] && port >= e.p[0] && port <= e.p[1]);
      const pkt = ip4({ src: `192.0.2.${host}`, dst: '192.0.2.200', proto: 6, payload: tcpHeader(port) });
      const got = r.run('ip', 'x', 'c', pkt, { hook: 1 });
      // the first element's verdict (even: drop, odd: accept), or none: the next rule marks 7 and accepts
      expect([got.verdict, got.mark], `192.0.2.${host} . ${port}`).toEqual(first < 0 ? [1, 7] : [first % 2, 0]);
    }
  });

  it('passes over an expired element for the next that holds the key (nft_pipapo_lookup)', async () => {
    const dp = await nftDatapath([]);
    dp.nft('add table ip x; add map ip x m { type ipv4_addr . inet_service : verdict; flags interval,timeout; }; add chain ip x c { type filter hook input priority 0; policy accept; }');
    // the /24 is taken after .1 . 22: its corners are in no element
    dp.nft('add element ip x m { 192.0.2.1 . 22 timeout 1s : drop, 192.0.2.0/24 . 20-30 : accept }; add rule ip x c ip saddr . tcp dport vmap @m; add rule ip x c meta mark set 7');
    const r = new ChainRunner(dp);
    const v = (): [number, number] => {
      const got = r.run('ip', 'x', 'c', ip4({ src: '192.0.2.1', dst: '192.0.2.200', proto: 6, payload: tcpHeader(22) }), { hook: 1 });
      return [got.verdict, got.mark];
    };
    expect(v()).toEqual([0, 0]);
    dp.stack.advance(1000);
    expect(v()).toEqual([1, 0]);
  });

  it('fails with ENOMEM naming the set when its index would pass the bound, and applies nothing', async () => {
    const dp = await nftDatapath([]);
    dp.nft('add table inet t; add set inet t s { type ipv4_addr . inet_service; flags interval; }; add chain inet t c; add rule inet t c ip saddr . tcp dport @s');
    dp.nftables.fieldIndexMax = 1024;
    const elems = (from: number, n: number): string => Array.from({ length: n }, (_, i) => `10.0.${from + i}.0/24 . ${1000 + from + i}`).join(', ');
    dp.nft(`add element inet t s { ${elems(0, 10)} }`);
    expect(() => dp.nft(`add element inet t s { ${elems(10, 40)} }`)).toThrow(expect.objectContaining({ nftMessage: expect.stringMatching(/^Could not process rule: Cannot allocate memory \(the per-field index of set inet t s would take \d+ bytes, more than wxdp's 1024\)$/) }));
    expect(dp.nft('list set inet t s').match(/\. 10/g)).toHaveLength(10);
  });
});

/** A TCP header to `dport` (20 bytes; the fields the rules read). */
function tcpHeader(dport: number): Uint8Array {
  const t = new Uint8Array(20);
  t[0] = 0x0f;
  t[2] = dport >> 8;
  t[3] = dport & 0xff;
  t[12] = 0x50;
  return t;
}

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const RULESET = `table inet f {
	set ps {
		type ipv4_addr . inet_service
		flags interval
		elements = { 203.0.113.0/28 . 3000-3009, 203.0.113.20-203.0.113.29 . 3100 }
	}
	map vm {
		typeof ip daddr . udp dport : verdict
		flags interval
		elements = { 203.0.113.32/28 . 3200-3209 : drop, 203.0.113.48/28 . 3200-3209 : accept, 203.0.113.132 . 3800 : drop, 203.0.113.128/28 . 3800 : accept }
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		ip daddr . udp dport @ps drop
		ip saddr . ip daddr . udp dport { 192.0.2.0/24 . 203.0.113.64/28 . 3300-3399 } drop
		meta l4proto . th dport { udp . 3400-3409, tcp . 3410 } counter drop
		ip daddr . udp dport vmap @vm
		ip daddr . udp dport vmap { 203.0.113.80/28 . 3500-3509 : drop, 203.0.113.80/28 . 3510-3519 : accept }
		udp dport 3510 drop
		meta mark . ip daddr . udp dport { 0x00000000-0x00000005 . 203.0.113.96/28 . 3600 } drop
		ip daddr 203.0.113.112/28 ip daddr . udp dport != { 203.0.113.112/28 . 3700-3709 } drop
	}
}
`;

/** A UDP datagram from the inside host (192.0.2.2) to `dst`. */
const dgram = (dst: string, dport: number, i: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst, proto: 17, id: 0x7200 + i }, udp4('192.0.2.2', dst, 4000 + i, dport, new Uint8Array(12).fill(i))));

// [dport, frames, how many the rules let through (derived by hand from the ruleset), last octet of the address]
const RUNS: Array<[number, number, number, number]> = [
  [3000, 1, 0, 5], // .5 . 3000 in @ps: drop
  [3010, 1, 1, 5], // port past 3009: through (inside [.0 . 3000, .15 . 3009] read as one lexicographic range)
  [3005, 1, 1, 16], // .16 outside the /28: through
  [3100, 1, 0, 25], // in .20-.29 . 3100
  [3101, 1, 1, 25],
  [3100, 1, 1, 30],
  [3300, 1, 0, 70], // three fields, each in range: drop
  [3299, 1, 1, 70],
  [3405, 2, 0, 5], // udp . 3400-3409: counted and dropped
  [3410, 1, 1, 5], // tcp . 3410 only
  [3205, 1, 0, 40], // @vm: .32/28 drops
  [3205, 1, 1, 50], // .48/28 accepts
  [3210, 1, 1, 50], // no element: the rule breaks, the policy accepts
  [3505, 1, 0, 85],
  [3510, 1, 1, 85], // the anonymous map accepts before `udp dport 3510 drop`
  [3510, 1, 0, 5], // no element for .5: the next rule drops
  [3600, 1, 0, 100], // mark 0 in 0-5
  [3601, 1, 1, 100],
  [3705, 1, 1, 120], // in the != set: not dropped
  [3800, 1, 0, 120], // not in it: dropped
  [3800, 1, 1, 200],
  [3800, 1, 0, 132], // in both .132 . 3800 (drop) and .128/28 . 3800 (accept, taken: no corner in the other): the first added
  [3800, 1, 1, 135], // only in the /28
];
const FRAMES = RUNS.flatMap(([dport, n, , host]) => Array.from({ length: n }, (_, i) => dgram(`203.0.113.${host}`, dport, i)));

describe.skipIf(unready !== '' || noKernel !== '')(`per-field intervals through the stack against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RULESET, FRAMES, 'ks45px', ['list ruleset']);

  it(`forwards what the kernel forwards of ${FRAMES.length} frames, and lists the ruleset (counter included) as it does`, async () => {
    const fx = await expectOursAsKernel(kern, RULESET, FRAMES, RUNS);
    // elements added and deleted after the load take effect at once: the deleted one by a key inside it
    const through = (host: number, dport: number): number => (fx.rx('eth0', dgram(`203.0.113.${host}`, dport, 0)).get('eth1') ?? []).length;
    expect([through(5, 3010), through(5, 3000)]).toEqual([1, 0]);
    fx.dp.nft('add element inet f ps { 203.0.113.0/28 . 3010-3019 }; delete element inet f ps { 203.0.113.7 . 3004 }');
    expect([through(5, 3010), through(5, 3000)]).toEqual([0, 1]);
  });
});
