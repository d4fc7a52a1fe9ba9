// fwd and dup of VLAN-tagged frames from a netdev ingress chain against Linux 6.18. At ingress the kernel has taken an
// outer tag out of the frame into skb->vlan_tci (skb_vlan_untag, before the hook); fwd / dup push the 14-byte MAC
// header back and transmit with the tag still out of band, so the frame leaves tagged as it came (veth hands the tag
// over out of band: the probe's AF_PACKET read shows the frame without it, the tag in its auxdata — compared so here;
// wxdp's frame keeps its tag in place). At eth1's egress chain the kernel's skb->len is the frame less that outer tag
// (an inner one stays in it), its payload reads see the tag put back (ether type 8021q, vlan id), skb->protocol is the
// type after the outer tag. The counters of both chains are compared through `list ruleset`.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { eth, hex, ipv4, stackUnready, udp4 } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { H0, M0 } from './ct_support.js';
import { kernelNftRun, oursNftRun } from './nft_kernel_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const RULESET = `table netdev v {
	chain in0 {
		type filter hook ingress device "eth0" priority filter; policy accept;
		counter
		udp dport 3301 dup to "eth1"
		fwd to "eth1"
	}
	chain out1 {
		type filter hook egress device "eth1" priority filter; policy accept;
		counter
		ether type 8021q counter
		meta protocol ip counter
		vlan id 5 counter
		ip daddr 203.0.113.5 counter
	}
}
`;

const B = '203.0.113.5';
const dgram = (dport: number): Uint8Array => ipv4({ src: '192.0.2.2', dst: B, proto: 17, id: 1 }, udp4('192.0.2.2', B, 4000, dport, new Uint8Array(20).fill(0x78)));
const frame = (dport: number, tags: Array<[number, number]>): Uint8Array => eth({ dst: M0, src: H0, type: 0x0800, tags }, dgram(dport));
/** What the probe reads of a frame the kernel sent with its outer tag out of band. */
const outerOff = (f: Uint8Array): Uint8Array => (f[12] === 0x81 || f[12] === 0x88 ? Uint8Array.from([...f.subarray(0, 12), ...f.subarray(16)]) : f);

// [what, frame, copies out of eth1]
const CASES: Array<[string, Uint8Array, number]> = [
  ['untagged', frame(3300, []), 1],
  ['802.1Q vid 5', frame(3300, [[0x8100, 5]]), 1],
  ['802.1ad vid 7 over 802.1Q vid 5', frame(3300, [[0x88a8, 7], [0x8100, 5]]), 1],
  ['802.1Q vid 5, dup then fwd: two', frame(3301, [[0x8100, 5]]), 2],
];

describe.skipIf(unready !== '' || noKernel !== '')(`fwd / dup of VLAN-tagged frames from netdev ingress against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RULESET, CASES.map((c) => c[1]), 'nf49vl');

  it('sends each frame out of eth1 as it came, tag and all, and counts it at egress as Linux 6.18 does', async () => {
    const { fx, out } = await oursNftRun(RULESET, CASES.map((c) => c[1]));
    expect(out).toEqual(CASES.map(([, f, n]) => Array(n).fill(hex(f))));
    expect(kern.out).toEqual(CASES.map(([, f, n]) => Array(n).fill(hex(outerOff(f)))));
    const list = kern.lists['0 list ruleset']!;
    expect(fx.dp.nft('list ruleset')).toBe(list);
    // derived by hand (egress skb->len: 14 + 48, an inner tag 4 more): 5 frames 62 + 62 + 66 + 62 + 62; the Q-tagged
    // three read 8021q and vid 5 and have skb->protocol ip, as the untagged one
    expect(list).toContain('\t\tcounter packets 5 bytes 314\n\t\tether type 8021q counter packets 3 bytes 186');
    expect(list).toContain('meta protocol ip counter packets 4 bytes 248');
    expect(list).toContain('vlan id 5 counter packets 3 bytes 186');
  });
});
