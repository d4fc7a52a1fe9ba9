// skb->mark across the hooks and into routing, against the kernel: a mark set at prerouting is what the input route's
// fwmark rule selects on (ip_route_input's flowi4_mark / ip6_route_input's flowi6_mark) and what forward and
// postrouting match; a mark set at forward reaches postrouting; a frame after a marked one (the same receive buffer
// in wxdp) starts with mark 0 again, with and without a prerouting chain. A Linux router in namespaces loaded with
// `nft -f` and `ip rule add fwmark 7 lookup 100`, wxdp with the same; the same frames into both on eth0, what each sent
// out of eth1 / eth2 compared byte for byte, then `list ruleset` (the counters say which mark each hook saw).

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { eth, ipv4, ipv6, stackUnready, udp4, udp6 } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { H0, H1, M0, M1 } from './ct_support.js';
import { kernelNftRun, oursNftRun, type NftTopo } from './nft_kernel_support.js';
import { H2, M2, MARK_IP, MARK_LINKS, MARK_NEIGH, MARK_ROUTES } from './mark_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');
const skipWhy = noKernel ? ` (skipped: ${noKernel})` : '';

const TOPO: NftTopo = { links: MARK_LINKS, routes: MARK_ROUTES, neigh: MARK_NEIGH, sysctls: { 'net.ipv6.conf.all.forwarding': 1 }, ip: MARK_IP };

const RULESET = `table inet mk {
	chain prer {
		type filter hook prerouting priority mangle; policy accept;
		udp dport 5001 meta mark set 0x00000007 counter
		udp dport 5004 meta mark set 0x00000003 counter
	}

	chain forw {
		type filter hook forward priority filter; policy accept;
		meta mark 0x00000007 counter
		meta mark 0x00000003 counter
		meta mark 0x00000000 counter
		udp dport 5003 meta mark set 0x00000009 counter
	}

	chain postr {
		type filter hook postrouting priority filter; policy accept;
		oifname "eth2" meta mark 0x00000007 counter
		oifname "eth1" meta mark 0x00000009 counter
		oifname "eth1" meta mark 0x00000003 counter
		oifname "eth1" meta mark 0x00000000 counter
	}
}
`;
// no prerouting chain: the mark forward set must not stay with the buffer for the next frame
const RULESET_NOPRE = `table ip mk {
	chain forw {
		type filter hook forward priority filter; policy accept;
		meta mark 0x00000009 counter
		udp dport 5003 meta mark set 0x00000009 counter
	}

	chain postr {
		type filter hook postrouting priority filter; policy accept;
		meta mark 0x00000009 counter
		meta mark 0x00000000 counter
	}
}
`;

const dgram4 = (dport: number, i: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '203.0.113.5', proto: 17, id: 0x5100 + i, ttl: 64 }, udp4('192.0.2.2', '203.0.113.5', 4200 + i, dport, new Uint8Array(12).fill(i))));
const dgram6 = (dport: number, i: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x86dd }, ipv6({ src: '2001:db8:1::2', dst: '2001:db8:3::5', nh: 17, hlim: 64 }, udp6('2001:db8:1::2', '2001:db8:3::5', 4200 + i, dport, new Uint8Array(12).fill(i))));

// dport 5001: marked 7 at prerouting, so table 100 routes it out of eth2; 5002: unmarked, main, eth1; 5003: marked 9
// at forward (after the route: eth1); 5004: marked 3 (no rule for it: eth1). Each kind more than once and in turns, so
// a frame follows one its buffer held marked.
const PORTS = [5001, 5002, 5001, 5003, 5002, 5004, 5002, 5003, 5001, 5002];
const FRAMES = [...PORTS.map((p, i) => dgram4(p, i)), ...PORTS.map((p, i) => dgram6(p, i + 20))];
const ON = ['eth1', 'eth2'] as const;

describe.skipIf(unready !== '' || noKernel !== '')(`skb->mark through the hooks and the fwmark rule against the kernel${skipWhy}`, () => {
  const kern = kernelNftRun(RULESET, FRAMES, 'nf51mk', ['list ruleset'], ON, TOPO);

  it(`routes and counts ${FRAMES.length} frames (IPv4 and IPv6) as the kernel does, byte for byte`, async () => {
    const { fx, out } = await oursNftRun(RULESET, FRAMES, ON, TOPO);
    expect(out).toEqual(kern.out);
    // derived by hand: the marked-7 frames leave eth2 to its gateway, every other one eth1 to H1
    const mac = (m: string): string => m.replace(/:/g, '');
    const want = [...PORTS, ...PORTS].map((p) => (p === 5001 ? `eth2 ${mac(H2)}${mac(M2)}` : `eth1 ${mac(H1)}${mac(M1)}`));
    expect(out.map((x) => x.map((f) => f.slice(0, 29)))).toEqual(want.map((w) => [w]));
    const list = kern.lists['0 list ruleset']!;
    expect(fx.dp.nft('list ruleset')).toBe(list);
    expect(list).toContain('oifname "eth2" meta mark 0x00000007 counter packets 6 ');
    expect(list).toContain('oifname "eth1" meta mark 0x00000009 counter packets 4 ');
    expect(list).toContain('oifname "eth1" meta mark 0x00000000 counter packets 8 ');
  });
});

describe.skipIf(unready !== '' || noKernel !== '')(`a mark set at forward stays with its packet, not its buffer, against the kernel${skipWhy}`, () => {
  const frames = PORTS.map((p, i) => dgram4(p, i));
  const kern = kernelNftRun(RULESET_NOPRE, frames, 'nf51mn', ['list ruleset'], ON, TOPO);

  it('counts as the kernel counts', async () => {
    const { fx, out } = await oursNftRun(RULESET_NOPRE, frames, ON, TOPO);
    expect(out).toEqual(kern.out);
    const list = kern.lists['0 list ruleset']!;
    expect(fx.dp.nft('list ruleset')).toBe(list);
    // by hand: no frame arrives marked (forward's first rule never matches); the two 5003s leave marked 9
    expect(list).toContain('\t\tmeta mark 0x00000009 counter packets 0 bytes 0\n');
    expect(list).toMatch(/chain postr \{[^}]*meta mark 0x00000009 counter packets 2 [^}]*meta mark 0x00000000 counter packets 8 /);
  });
});
