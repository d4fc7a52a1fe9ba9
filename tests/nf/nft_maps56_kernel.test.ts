// Maps the data path writes (nft_dynset with NFTA_DYNSET_SREG_DATA) against the kernel: the same rule file loaded
// with `nft -f` into a Linux router in namespaces and into wxdp, the same frames forwarded by both and compared frame
// by frame, then `list ruleset` and the same commands on both. `add @m { ip saddr : 0x5 }` and `update @m { ip saddr
// timeout 10s : meta mark }` fill a map of marks (its size fills: the add fails, the rule breaks; an element found
// keeps its data), `meta mark set ip saddr map @m` reads it back, a concatenation with a counter per element counts,
// `ct mark` is the data of another, a NAT map (`dnat to ip saddr map @nat`) is filled by the packets before it is
// read, and a `flags dynamic` verdict map's elements (the control plane's) decide; then `flush map`.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { eth, ipv4, stackUnready, udp4 } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { H0, M0 } from './ct_support.js';
import { kernelNftRun, oursNftRun } from './nft_kernel_support.js';
import { noExpiry } from './nft_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const RULESET = `table ip f {
	map marks {
		type ipv4_addr : mark
		size 3
		flags dynamic,timeout
		timeout 30s
	}
	map pairs {
		type ipv4_addr . inet_service : mark
		flags dynamic
	}
	map ctm {
		type ipv4_addr : mark
	}
	map nat {
		type ipv4_addr : ipv4_addr
		flags dynamic
	}
	map vm {
		type ipv4_addr : verdict
		flags dynamic
		elements = { 192.0.2.30 : drop }
	}
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		udp dport 3010 dnat to ip saddr map @nat
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		add @pairs { ip saddr . udp dport counter : 0x00000001 }
		ip saddr vmap @vm
		udp dport 3000 add @marks { ip saddr : 0x5 } accept
		udp dport 3000 drop
		udp dport 3001 meta mark set 0x7 update @marks { ip saddr timeout 10s : meta mark } accept
		udp dport 3001 drop
		udp dport 3002 meta mark set ip saddr map @marks
		udp dport 3002 meta mark 0x00000005 drop
		udp dport 3003 ct mark set 0x9 add @ctm { ip saddr : ct mark }
		udp dport 3004 meta mark set ip saddr map @ctm meta mark 0x00000009 drop
		udp dport 3005 add @nat { ip saddr : 203.0.113.7 }
	}
}
`;

const dgram = (host: number, dport: number, i: number, sport = 4000): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: `192.0.2.${host}`, dst: '203.0.113.9', proto: 17, id: 0x5600 + i }, udp4(`192.0.2.${host}`, '203.0.113.9', sport, dport, new Uint8Array(16 + host).fill(i))));

// [source's last octet, dport, frames, how many the rules let through (derived by hand), sport]
const RUNS: Array<[number, number, number, number, number]> = [
  [2, 3000, 1, 1, 4000], // marks gets .2 : 0x5, accepted
  [3, 3001, 1, 1, 4000], // and .3 : 0x7 (meta mark's value, the rule's timeout 10s)
  [2, 3001, 1, 1, 4000], // .2 is there: update keeps its data (0x5) and accepts
  [4, 3000, 1, 1, 4000], // .4 : 0x5: the third element, the map (size 3) is full
  [5, 3000, 1, 0, 4000], // no room for .5: the add fails, the rule breaks; the next drops
  [2, 3002, 1, 0, 4000], // .2's mark read back 0x5: dropped
  [3, 3002, 1, 1, 4000], // .3's is 0x7: through
  [6, 3002, 1, 1, 4000], // .6 has none: the map lookup breaks, through
  [7, 3003, 1, 1, 4000], // ctm gets .7 : ct mark 0x9
  [7, 3004, 2, 0, 4000], // read back 0x9: dropped
  [8, 3004, 1, 1, 4000], // .8 has none
  [30, 3000, 1, 0, 4000], // the verdict map drops .30
  [9, 3010, 1, 1, 4001], // no NAT element for .9 yet: its connection is not translated
  [9, 3005, 1, 1, 4000], // nat gets .9 : 203.0.113.7
  [9, 3010, 1, 1, 4002], // a new connection of .9: DNATed to 203.0.113.7
];
const FRAMES = RUNS.flatMap(([host, dport, n, , sport]) => Array.from({ length: n }, (_, i) => dgram(host, dport, i, sport)));
const WANT = RUNS.flatMap(([, , n, through]) => Array.from({ length: n }, (_, i) => i < through));

describe.skipIf(unready !== '' || noKernel !== '')(`maps the data path writes against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const AFTER = ['list ruleset', 'flush map ip f marks', 'list map ip f marks', 'list map ip f pairs'];
  const kern = kernelNftRun(RULESET, FRAMES, 'nfs56mp', AFTER);

  it(`forwards what the kernel forwards of ${FRAMES.length} frames, translates as it does and lists the elements the packets added`, async () => {
    const { fx, out } = await oursNftRun(RULESET, FRAMES);
    expect(kern.out.map((o) => o.length > 0)).toEqual(WANT);
    expect(out).toEqual(kern.out);
    AFTER.forEach((cmd, i) => expect(noExpiry(fx.dp.nft(cmd)), cmd).toBe(noExpiry(kern.lists[`${i} ${cmd}`]!)));
    const kernList = kern.lists['0 list ruleset']!;
    // derived by hand: the data each element got, the counter of .2's pair (one frame to 3000, one to 3002)
    expect(noExpiry(kernList)).toContain('192.0.2.3 timeout 10s expires … : 0x00000007');
    expect(kernList).toContain('192.0.2.7 : 0x00000009');
    expect(kernList).toContain('192.0.2.9 : 203.0.113.7');
    expect(kernList).toContain('192.0.2.2 . 3002 counter packets 1 bytes 46 : 0x00000001');
    // the last frame went out DNATed: its destination 203.0.113.7 (IPv4 header's daddr at 14 + 16)
    const last = kern.out[kern.out.length - 1]![0]!;
    expect(last).toMatch(/cb007107/);
  });
});

// Dynamic sets keyed by devices: `add @s { iif }` (an index, listed by the device's name), `oif`, `iifname`, a
// concatenation with one (`ip saddr . iif`), then lookups of what the packets added (`iif @s`, `iifname @n`).
const IFACES = `table ip f {
	set si {
		type iface_index
		flags dynamic
	}
	set so {
		type iface_index
		flags dynamic
	}
	set sn {
		type ifname
		flags dynamic
	}
	set sc {
		type ipv4_addr . iface_index
		flags dynamic
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		udp dport 3000 add @si { iif }
		udp dport 3000 add @so { oif }
		udp dport 3000 add @sn { iifname }
		udp dport 3000 add @sc { ip saddr . iif counter }
		udp dport 3001 iifname @sn drop
		udp dport 3002 ip saddr . iif @sc drop
		udp dport 3003 iif @si drop
		udp dport 3003 oif @si drop
	}
}
`;
const IF_RUNS: Array<[number, number, number, number, number]> = [
  [2, 3001, 1, 1, 4000], // nothing in sn yet: through
  [2, 3000, 1, 1, 4000], // si gets eth0's index, so eth1's, sn "eth0", sc .2 . eth0
  [3, 3001, 1, 0, 4000], // eth0 is in sn: dropped
  [2, 3002, 1, 0, 4000], // .2 . eth0 is in sc: dropped
  [3, 3002, 1, 1, 4000], // .3 . eth0 is not
  [4, 3003, 1, 0, 4000], // eth0's index is in si: dropped
];
const IF_FRAMES = IF_RUNS.flatMap(([host, dport, n, , sport]) => Array.from({ length: n }, (_, i) => dgram(host, dport, i, sport)));
const IF_WANT = IF_RUNS.flatMap(([, , n, through]) => Array.from({ length: n }, (_, i) => i < through));

describe.skipIf(unready !== '' || noKernel !== '')(`dynamic sets keyed by devices against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const AFTER = ['list ruleset', 'flush set ip f si', 'list set ip f si', 'add element ip f si { eth1, lo }', 'list set ip f si'];
  const kern = kernelNftRun(IFACES, IF_FRAMES, 'nfs56if', AFTER);

  it(`forwards what the kernel forwards of ${IF_FRAMES.length} frames and lists the devices the packets added`, async () => {
    const { fx, out } = await oursNftRun(IFACES, IF_FRAMES);
    expect(kern.out.map((o) => o.length > 0)).toEqual(IF_WANT);
    expect(out).toEqual(kern.out);
    AFTER.forEach((cmd, i) => expect(fx.dp.nft(cmd), cmd).toBe(kern.lists[`${i} ${cmd}`]!));
    // derived by hand: every device key listed by its name, the pair's counter over .2's two frames (46 bytes each)
    expect(kern.lists['0 list ruleset']).toContain('elements = { 192.0.2.2 . "eth0" counter packets 2 bytes 92 }');
    expect(kern.lists['4 list set ip f si']).toContain('elements = { "lo", "eth1" }');
    expect(() => fx.dp.nft('add element ip f sc { 192.0.2.9 . "eth0" }')).toThrow('wxdp has no elements with a device index in a concatenation');
  });
});

// Named maps to address ranges (`type ipv4_addr : interval ipv4_addr`, `flags interval`: prefixes and ranges as keys,
// ranges as data) for NAT: `dnat ip to ip saddr map @m` picks each connection's address in its element's range as the
// kernel does (find_best_ips_proto: jhash of the source address, the destination's last word unless persistent).
const RANGES = `table ip x {
	map m {
		type ipv4_addr : interval ipv4_addr
		flags interval
		elements = { 192.0.2.0/29 : 203.0.113.1-203.0.113.10, 192.0.2.8-192.0.2.15 : 203.0.113.32/28,
			     192.0.2.16 : 203.0.113.20-203.0.113.20 }
	}
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		udp dport 3000 dnat ip to ip saddr map @m
		udp dport 3001 dnat ip to ip saddr map @m persistent
	}
}
`;
const NAT_RUNS: Array<[number, number, number, number, number]> = [
  ...[2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16].map((h): [number, number, number, number, number] => [h, 3000, 1, 1, 4000]),
  ...[2, 3, 9, 10].map((h): [number, number, number, number, number] => [h, 3001, 1, 1, 4000]),
  [17, 3000, 1, 1, 4000], // no element: not translated
];
const NAT_FRAMES = NAT_RUNS.flatMap(([host, dport, n, , sport]) => Array.from({ length: n }, (_, i) => dgram(host, dport, i, sport)));

describe.skipIf(unready !== '' || noKernel !== '')(`named maps to address ranges for NAT against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RANGES, NAT_FRAMES, 'nfs56rg', ['list ruleset']);

  it(`translates each of ${NAT_FRAMES.length} connections to the kernel's address in its range and lists the map as nft`, async () => {
    const { fx, out } = await oursNftRun(RANGES, NAT_FRAMES);
    expect(kern.out.every((o) => o.length === 1)).toBe(true);
    expect(out).toEqual(kern.out);
    expect(fx.dp.nft('list ruleset')).toBe(kern.lists['0 list ruleset']);
    // derived by hand: every destination in its element's range (the IPv4 header's daddr at 14 + 16)
    const daddr = (o: string[]): string => o[0]!.slice(60, 68);
    const inRange = (d: string, lo: number, hi: number): boolean => d.startsWith('cb0071') && parseInt(d.slice(6), 16) >= lo && parseInt(d.slice(6), 16) <= hi;
    kern.out.slice(0, 6).forEach((o) => expect(inRange(daddr(o), 1, 10)).toBe(true));
    kern.out.slice(6, 13).forEach((o) => expect(inRange(daddr(o), 32, 47)).toBe(true));
    expect(daddr(kern.out[13]!)).toBe('cb007114');
    expect(kern.lists['0 list ruleset']).toContain('192.0.2.16 : 203.0.113.20/32');
    // spread over the range by the hash, not its first address
    expect(new Set(kern.out.slice(0, 6).map(daddr)).size).toBeGreaterThan(3);
    expect(daddr(kern.out[kern.out.length - 1]!)).toBe('cb007109');
  });
});
