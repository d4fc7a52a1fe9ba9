// A fragment queue of conntrack's defrag (nf_defrag_ipv4: IP_DEFRAG_CONNTRACK_IN) that never completes: at
// ipfrag_time (30 s) ip_expire counts ReasmFails and ReasmTimeout, and answers with ICMP time exceeded
// (11/1, "fragment reassembly time exceeded") only as an end host does (RFC 792): frag_expire_skip_icmp is true
// for conntrack's users, so a datagram whose input route is not RTN_LOCAL — one the router forwards — gets no
// error; one to the router's own address does. Found by nf fuzz seed 744 (fz56: a duplicate first fragment after
// its datagram was whole opened a queue of its own, which wxdp answered 30 s later). Expectations from
// net/ipv4/ip_fragment.c (ip_expire) and include/net/inet_frag.h (frag_expire_skip_icmp).

import { describe, expect, it } from 'vitest';
import { Fixture, eth, fragments4, ipv4, stackUnready, udp4 } from '../net/support.js';
import { H0, LINKS, M0, NEIGH, ROUTES } from './ct_support.js';

const unready = await stackUnready();

const RULESET = `
table ip filter {
	chain forward {
		type filter hook forward priority 0; policy accept;
		ct state new counter
	}
}
`;

/** The first of the fragments (MTU 576) of a 1,200-byte UDP datagram from the inside host to `dst`. */
function firstFragment(dst: string, id: number): Uint8Array {
  const d = ipv4({ src: '192.0.2.2', dst, proto: 17, id }, udp4('192.0.2.2', dst, 5000, 9, new Uint8Array(1200)));
  return eth({ dst: M0, src: H0, type: 0x0800 }, fragments4(d, 576)[0]!);
}

describe.skipIf(unready !== '')('conntrack defrag queues that expire', () => {
  it('a forwarded datagram cut short gets no ICMP error at ipfrag_time, only the counters', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nft(RULESET);
    expect(fx.rx('eth0', firstFragment('203.0.113.5', 0x5101)).size).toBe(0);
    fx.advance(31_000);
    expect(fx.tx().size).toBe(0);
    const m = fx.mib();
    expect([m['Ip:ReasmFails'], m['Ip:ReasmTimeout']]).toEqual([1, 1]);
  });

  it('one to the router itself gets time exceeded 11/1 quoting its first fragment', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nft(RULESET);
    const frag = firstFragment('192.0.2.1', 0x5102);
    expect(fx.rx('eth0', frag).size).toBe(0);
    fx.advance(31_000);
    const out = fx.tx().get('eth0') ?? [];
    expect(out.length).toBe(1);
    const f = out[0]!;
    // IPv4 from 192.0.2.1 to the host, ICMP type 11 code 1, quoting the fragment's header and first 8 bytes
    expect([f[23], f[34], f[35]]).toEqual([1, 11, 1]);
    expect([...f.subarray(26, 34)]).toEqual([192, 0, 2, 1, 192, 0, 2, 2]);
    expect([...f.subarray(42, 42 + 28)]).toEqual([...frag.subarray(14, 14 + 28)]);
  });
});
