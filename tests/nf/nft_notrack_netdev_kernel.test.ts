// notrack in netdev chains against Linux 6.18. At ingress nft_notrack_eval sets skb->_nfct, which the frame carries
// to PRE_ROUTING: conntrack passes it by (`ct state untracked` matches at prerouting and forward) and defrag leaves
// its fragments alone — the last fragment of a datagram, sent first, is forwarded at once instead of held for
// reassembly. At egress it comes after conntrack and changes nothing. The same file through the kernel router and
// wxdp, the frames forwarded out of eth1 compared byte for byte, then `list ruleset` with its counters.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { eth, Fixture, ipv4, stackUnready, udp4 } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { H0, H1, LINKS, M0, M1, NEIGH, ROUTES } from './ct_support.js';
import { kernelNftRun, oursNftRun } from './nft_kernel_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const RULESET = `table netdev n {
	chain in0 {
		type filter hook ingress device "eth0" priority filter; policy accept;
		udp dport 3100 notrack
		ip saddr 192.0.2.3 notrack
	}
	chain out1 {
		type filter hook egress device "eth1" priority filter; policy accept;
		notrack
	}
}
table ip f {
	chain pre {
		type filter hook prerouting priority raw; policy accept;
		ct state untracked counter
	}
	chain fw {
		type filter hook forward priority filter; policy accept;
		ct state untracked counter
		ct state new counter
	}
}
`;

const B = '203.0.113.5';
const dgram = (src: string, dport: number, n: number): Uint8Array => ipv4({ src, dst: B, proto: 17, id: 77 }, udp4(src, B, 4000, dport, new Uint8Array(n).fill(0x78)));
const to = (ip: Uint8Array): Uint8Array => eth({ dst: M0, src: H0, type: 0x0800 }, ip);
// a 48-byte UDP datagram from 192.0.2.3 cut in two 24-byte fragments, the last sent first
const whole = dgram('192.0.2.3', 3102, 40).subarray(20);
const frag = (off: number, mf: boolean): Uint8Array => ipv4({ src: '192.0.2.3', dst: B, proto: 17, id: 77, fragOff: off, mf }, whole.subarray(off, off + 24));

// [what, frame, frames out of eth1 (derived by hand)]
const CASES: Array<[string, Uint8Array, number]> = [
  ['udp 3100, untracked at ingress: forwarded, counted untracked at prerouting and forward', to(dgram('192.0.2.2', 3100, 20)), 1],
  ['udp 3101: tracked, new at forward', to(dgram('192.0.2.2', 3101, 20)), 1],
  ['the last fragment first, untracked: forwarded at once (no defrag)', to(frag(24, false)), 1],
  ['then the first: forwarded as it came', to(frag(0, true)), 1],
];

describe.skipIf(unready !== '' || noKernel !== '')(`notrack in netdev chains against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RULESET, CASES.map((c) => c[1]), 'nf49nt');

  it(`forwards ${CASES.length} frames as Linux 6.18 does and counts 3 untracked, 1 new`, async () => {
    const { fx, out } = await oursNftRun(RULESET, CASES.map((c) => c[1]));
    expect(out.map((o, i) => [CASES[i]![0], o])).toEqual(kern.out.map((o, i) => [CASES[i]![0], o]));
    expect(kern.out.map((o) => o.length)).toEqual(CASES.map((c) => c[2]));
    const list = kern.lists['0 list ruleset']!;
    expect(fx.dp.nft('list ruleset')).toBe(list);
    // derived by hand: IP lengths 48 + 44 + 44 untracked, 48 new
    expect(list).toContain('ct state untracked counter packets 3 bytes 136');
    expect(list).toContain('ct state new counter packets 1 bytes 48');
  });
});

// A frame notrack left untracked at eth0's ingress that never reaches PRE_ROUTING (an ARP request; an IPv4 header
// with a bad checksum, dropped by ip_rcv) leaves no mark: the next burst, on eth1 (no ingress chain), is tracked
// whatever address its frame lands at. Derived by hand: its one datagram (IP length 48) counted new, none untracked.
describe.skipIf(unready !== '')('notrack at ingress of a frame that never reaches PRE_ROUTING', () => {
  const RS = `table netdev n {
	chain in0 {
		type filter hook ingress device "eth0" priority filter; policy accept;
		notrack
	}
}
table ip f {
	chain pre {
		type filter hook prerouting priority filter; policy accept;
		ct state untracked counter
		ct state new counter
	}
}
`;
  const arp = eth({ dst: 'ff:ff:ff:ff:ff:ff', src: H0, type: 0x0806 }, Uint8Array.from([
    0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 2, 0, 192, 0, 2, 2, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1,
  ]));
  const bad = to(dgram('192.0.2.2', 3100, 20));
  bad[14 + 10] ^= 0xff; // the IPv4 header checksum
  const back = eth({ dst: M1, src: H1, type: 0x0800 }, ipv4({ src: '198.51.100.2', dst: '192.0.2.2', proto: 17, id: 5 }, udp4('198.51.100.2', '192.0.2.2', 4000, 3100, new Uint8Array(20))));
  for (const [what, first] of [['ARP', arp], ['a bad IPv4 checksum', bad]] as const) {
    it(`${what}, then a frame on eth1: tracked`, async () => {
      const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
      fx.dp.nft(RS);
      fx.rx('eth0', first);
      fx.rx('eth1', back);
      const list = fx.dp.nft('list ruleset');
      expect(list).toContain('ct state untracked counter packets 0 bytes 0');
      expect(list).toContain('ct state new counter packets 1 bytes 48');
      expect(fx.mib()['nf_conntrack:insert']).toBe(1);
    });
  }
});

// The mark is the network header's address alone, and one left by a frame dropped before PRE_ROUTING lasts until the
// next burst. Its buffer, back in the pool (here: its queue's fill ring kept full, as a driver topping it up does), is
// the next frame the stack takes; one it loops back through lo (stack_rx on lo, laid out as a netdev dup's copy: the
// network header where the dropped frame's was) met the mark and passed conntrack untracked. The kernel's looped-back
// packet carries its own skb->_nfct, and wxdp runs no ingress chain of lo's: derived by hand, tracked — `ct state new`.
describe.skipIf(unready !== '')('a frame looped back through lo in the buffer of one notrack left untracked', () => {
  const RS = `table netdev n {
	chain in0 {
		type filter hook ingress device "eth0" priority filter; policy accept;
		notrack
	}
}
table ip f {
	chain pre {
		type filter hook prerouting priority filter; policy accept;
		iifname "lo" ct state untracked counter
		iifname "lo" ct state new counter
	}
}
`;
  it('is tracked, not untracked by the stale mark', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.ip('link set lo up');
    fx.dp.nft(RS);
    const bad = to(dgram('192.0.2.2', 3100, 20));
    bad[14 + 10] ^= 0xff; // the IPv4 header checksum: dropped by ip_rcv, after ingress marked it
    const x = fx.dp.fastPath.exports as unknown as { frame_alloc(): number; stack_rx(ifindex: number, q: number, qi: number, data: number, len: number): void };
    const d = fx.devs.get('eth0')!;
    d.inject(bad);
    const rx = d.rings().rx;
    const at = rx.desc(rx.consumer).addr; // the frame's Ethernet header
    const fill = d.rings().fill;
    const room = fill.free();
    const p = fill.reserve(room);
    for (let i = 0; i < room; i++) fill.setAddr(p + i, x.frame_alloc());
    fill.submit(room);
    d.poll();
    expect(fx.drops()['IP_CSUM']).toBe(1);
    // the pool's next frame is the dropped one's buffer
    const f = x.frame_alloc();
    expect(f + 256).toBe(at);
    const lo = eth({ dst: '00:00:00:00:00:00', src: '00:00:00:00:00:00', type: 0x0800 }, ipv4({ src: '127.0.0.1', dst: '127.0.0.1', proto: 17, id: 7 }, udp4('127.0.0.1', '127.0.0.1', 4000, 9, new Uint8Array(20))));
    fx.dp.memory.bytes().set(lo, at);
    x.stack_rx(1, 0, 0, at, lo.length); // netdev.ts's loopback drain
    const list = fx.dp.nft('list ruleset');
    expect(list).toContain('iifname "lo" ct state untracked counter packets 0 bytes 0');
    expect(list).toContain('iifname "lo" ct state new counter packets 1 bytes 48');
  });
});
