// skb->mark set by a netdev ingress chain, against the kernel: __netif_receive_skb_core runs nf_ingress before ip_rcv,
// and the mark it leaves in the skb is what prerouting matches and what ip_route_input's fwmark rule selects on.
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

const RULESET = `table netdev mi {
	chain ing {
		type filter hook ingress device "eth0" priority filter; policy accept;
		udp dport 5001 meta mark set 0x00000007 counter
		udp dport 5004 meta mark set 0x00000003 counter
	}
}
table inet mk {
	chain prer {
		type filter hook prerouting priority mangle; policy accept;
		meta mark 0x00000007 counter
		meta mark 0x00000003 counter
		meta mark 0x00000000 counter
	}

	chain postr {
		type filter hook postrouting priority filter; policy accept;
		oifname "eth2" meta mark 0x00000007 counter
		oifname "eth1" meta mark 0x00000003 counter
		oifname "eth1" meta mark 0x00000000 counter
	}
}
`;

// the ingress chain alone: no inet hook, the mark goes straight to the input route
const RULESET_ING = RULESET.slice(0, RULESET.indexOf('table inet'));

const dgram4 = (dport: number, i: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '203.0.113.5', proto: 17, id: 0x5200 + i, ttl: 64 }, udp4('192.0.2.2', '203.0.113.5', 4300 + i, dport, new Uint8Array(12).fill(i))));
const dgram6 = (dport: number, i: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x86dd }, ipv6({ src: '2001:db8:1::2', dst: '2001:db8:3::5', nh: 17, hlim: 64 }, udp6('2001:db8:1::2', '2001:db8:3::5', 4300 + i, dport, new Uint8Array(12).fill(i))));

// 5001: marked 7 at ingress, so table 100 routes it out of eth2; 5004: marked 3 (eth1); 5002 unmarked (eth1)
const PORTS = [5001, 5002, 5004, 5001, 5002];
const FRAMES = [...PORTS.map((p, i) => dgram4(p, i)), ...PORTS.map((p, i) => dgram6(p, i + 20))];
const ON = ['eth1', 'eth2'] as const;

describe.skipIf(unready !== '' || noKernel !== '')(`a mark set at netdev ingress reaches prerouting and the fwmark rule, against the kernel${skipWhy}`, () => {
  const kern = kernelNftRun(RULESET, FRAMES, 'nf52mi', ['list ruleset'], ON, TOPO);

  it(`routes and counts ${FRAMES.length} frames (IPv4 and IPv6) as the kernel does`, async () => {
    const { fx, out } = await oursNftRun(RULESET, FRAMES, ON, TOPO);
    expect(out).toEqual(kern.out);
    const mac = (m: string): string => m.replace(/:/g, '');
    const want = [...PORTS, ...PORTS].map((p) => (p === 5001 ? `eth2 ${mac(H2)}${mac(M2)}` : `eth1 ${mac(H1)}${mac(M1)}`));
    expect(out.map((x) => x.map((f) => f.slice(0, 29)))).toEqual(want.map((w) => [w]));
    const list = kern.lists['0 list ruleset']!;
    expect(fx.dp.nft('list ruleset')).toBe(list);
    expect(list).toContain('oifname "eth2" meta mark 0x00000007 counter packets 4 ');
    expect(list).toContain('oifname "eth1" meta mark 0x00000003 counter packets 2 ');
  });
});

describe.skipIf(unready !== '' || noKernel !== '')(`a mark set at netdev ingress with no inet hook selects the fwmark rule, against the kernel${skipWhy}`, () => {
  const kern = kernelNftRun(RULESET_ING, FRAMES, 'nf52mj', ['list ruleset'], ON, TOPO);

  it('routes as the kernel does', async () => {
    const { fx, out } = await oursNftRun(RULESET_ING, FRAMES, ON, TOPO);
    expect(out).toEqual(kern.out);
    expect(fx.dp.nft('list ruleset')).toBe(kern.lists['0 list ruleset']!);
    expect(out.filter((x) => x[0]!.startsWith('eth2')).length).toBe(4);
  });
});
