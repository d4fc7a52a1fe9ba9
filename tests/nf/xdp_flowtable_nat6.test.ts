// programs/xdp_flowtable_nat6.o: xdp_flowtable_nat for IPv6 — bpf_xdp_flow_lookup asked with a struct
// bpf_fib_lookup of family AF_INET6 (net/netfilter/nf_flow_table_bpf.c), its entry read through CO-RE as
// the kernel's structs (tuple.src_v6 / dst_v6 of the other direction for the translation: src/elf/core.ts
// places them in wxdp's IPv6 records), NAT and hop limit as nf_flow_offload_ipv6_hook. This kernel has
// no nf_flow_table (CONFIG_NF_FLOW_TABLE is not set), so the expected frames are built by hand from
// nf_flow_table_ip.c: the masqueraded tuple (source port kept: no clash), hop limit 63, the TCP checksum
// over the translated pseudo-header (support.ts builds each segment whole), the next hop's MACs. That the
// frames came from XDP and not from the stack's flowtable: the program's counter, and no nf_flowtable:hit.

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { eth, Fixture, ipv6, stackUnready, type LinkCfg, type NeighCfg, type RouteCfg } from '../net/support.js';
import { ACK, FIN, H0, H1, M0, M1, PSH, SYN, SYN_OPTS, l4over6, tcp4, type TcpOpts } from './ct_support.js';
import { WXDP_BTF } from '../../src/elf/core.js';

const unready = await stackUnready();
const PROG = fileURLToPath(new URL('../../programs/xdp_flowtable_nat6.o', import.meta.url));
const LINKS6: LinkCfg[] = [
  { name: 'eth0', mac: M0, forwarding: true, v6: ['2001:db8:1::1/64'], conf6: { forwarding: 1 } }, // bpf_fib_lookup asks the input device's
  { name: 'eth1', mac: M1, forwarding: true, v6: ['2001:db8:2::1/64'], conf6: { forwarding: 1 } },
];
const ROUTES6: RouteCfg[] = [{ dst: '2001:db8:3::/48', via: '2001:db8:2::2', dev: 'eth1' }];
const NEIGH6: NeighCfg[] = [
  { dev: 'eth0', addr: '2001:db8:1::2', mac: H0 },
  { dev: 'eth1', addr: '2001:db8:2::2', mac: H1 },
];
const RULES = `table inet filter {
	flowtable ft {
		hook ingress priority filter
		devices = { eth0, eth1 }
	}

	chain forward {
		type filter hook forward priority filter; policy accept;
		meta l4proto tcp flow add @ft
	}
}
table ip6 nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "eth1" masquerade
	}
}
`;
const C = '2001:db8:1::2';
const S = '2001:db8:3::5';
const PUB = '2001:db8:2::1';

/** ft_stats slots (the program's header). */
const FWD = 0;
const MISS = 1;
const FINRST = 3;
const BAD = 5;

async function router(): Promise<{ fx: Fixture; stats: () => number[] }> {
  const fx = await Fixture.create(LINKS6, ROUTES6, NEIGH6);
  fx.sysctl('IPV6_ALL_FORWARDING', 1);
  fx.dp.nft(RULES);
  const obj = await fx.dp.loadObject(PROG);
  for (const d of ['eth0', 'eth1']) fx.devs.get(d)!.attachXdp(obj.program('xdp_flowtable_nat6'));
  const m = obj.maps.get('ft_stats')!;
  const stats = (): number[] =>
    [0, 1, 2, 3, 4, 5].map((i) => Number(new DataView(m.lookup(Uint8Array.of(i, 0, 0, 0))!.buffer).getBigUint64(0, true)));
  return { fx, stats };
}

const tcp6 = (src: string, dst: string, sp: number, dp: number, o: TcpOpts): Uint8Array => l4over6(src, dst, 6, tcp4('0.0.0.0', '0.0.0.0', sp, dp, o));
/** The client's segment entering eth0, or the server's reply to the public address entering eth1. */
const seg = (o: TcpOpts, fromC: boolean): Uint8Array => fromC
  ? eth({ dst: M0, src: H0, type: 0x86dd }, ipv6({ src: C, dst: S, nh: 6 }, tcp6(C, S, 40000, 80, o)))
  : eth({ dst: M1, src: H1, type: 0x86dd }, ipv6({ src: S, dst: PUB, nh: 6 }, tcp6(S, PUB, 80, 40000, o)));
/** What leaves: masqueraded toward the server, or translated back toward the client; hop limit 63. */
function translated(o: TcpOpts, fromC: boolean): Uint8Array {
  const [src, dst, sp, dp, smac, dmac] = fromC ? [PUB, S, 40000, 80, M1, H1] : [S, C, 80, 40000, M0, H0];
  return eth({ dst: dmac, src: smac, type: 0x86dd }, ipv6({ src, dst, nh: 6, hlim: 63 }, tcp6(src, dst, sp, dp, o)));
}
const hits = (fx: Fixture): number => fx.mib()['nf_flowtable:hit'] ?? 0;

describe.skipIf(unready !== '')('xdp_flowtable_nat6: bpf_xdp_flow_lookup for AF_INET6, the IPv6 entry read through CO-RE', () => {
  it('forwards both directions of a masqueraded IPv6 TCP connection from XDP once it is offloaded', async () => {
    const { fx, stats } = await router();
    const handshake: Array<[TcpOpts, boolean]> = [
      [{ seq: 1000, flags: SYN, options: SYN_OPTS }, true],
      [{ seq: 5000, ack: 1001, flags: SYN | ACK, win: 65160, options: SYN_OPTS }, false],
      [{ seq: 1001, ack: 5001, flags: ACK, win: 502 }, true], // established: the forward hook offloads it
    ];
    for (const [o, fromC] of handshake) expect(fx.rx(fromC ? 'eth0' : 'eth1', seg(o, fromC)).get(fromC ? 'eth1' : 'eth0')).toEqual([translated(o, fromC)]);
    expect(stats()[MISS]).toBe(3);
    expect(fx.dp.flowtable.list().map((f) => `${f.family} ${f.original.src} ${f.reply.dst}`)).toEqual([`ipv6 ${C} ${PUB}`]);
    const data: Array<[TcpOpts, boolean]> = [
      [{ seq: 1001, ack: 5001, flags: PSH | ACK, win: 502, data: Uint8Array.of(1, 2, 3, 4) }, true],
      [{ seq: 5001, ack: 1005, flags: PSH | ACK, win: 509, data: Uint8Array.of(5, 6) }, false],
      [{ seq: 1005, ack: 5003, flags: ACK, win: 502, data: new Uint8Array(100).fill(0xa5) }, true],
    ];
    for (const [o, fromC] of data) expect(fx.rx(fromC ? 'eth0' : 'eth1', seg(o, fromC)).get(fromC ? 'eth1' : 'eth0')).toEqual([translated(o, fromC)]);
    expect(stats()[FWD]).toBe(3);
    expect(stats()[BAD]).toBe(0);
    expect(hits(fx)).toBe(0);
    // a FIN is left to the stack, which tears the flow down and translates it itself
    const fin = { seq: 1105, ack: 5003, flags: FIN | ACK, win: 502 };
    expect(fx.rx('eth0', seg(fin, true)).get('eth1')).toEqual([translated(fin, true)]);
    expect(stats()[FINRST]).toBe(1);
  });

  it('places src_v6 / dst_v6 where the fast path keeps an IPv6 flow\'s addresses', async () => {
    const { fx } = await router();
    const g = (n: string): number => (fx.dp.fastPath.exports[n] as WebAssembly.Global).value as number;
    const t = WXDP_BTF['flow_offload_tuple']!.fields;
    expect(t['src_v6']!.offset).toBe(g('FD6_SADDR'));
    expect(t['dst_v6']!.offset).toBe(g('FD6_DADDR'));
  });
});
