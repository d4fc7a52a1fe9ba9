// programs/xdp_flowtable_nat.o: what xdp-tools' xdp_flowtable does, with masquerade. The program reads the
// entry bpf_xdp_flow_lookup returns as the kernel's structs (struct flow_offload_tuple_rhash: tuple.dir and
// tuple.xmit_type bitfields; container_of to struct flow_offload: flags NF_FLOW_SNAT / NF_FLOW_DNAT, the other
// direction's tuple for the new address and port) through bpf_core_read, with CO-RE relocations resolved
// against wxdp's description of its records (src/elf/core.ts). This kernel has no nf_flow_table module
// (nft -f answers ENOENT for a flowtable), so the expected frames are built by hand from
// nf_flow_table_ip.c: the masqueraded tuple (the source port kept: no clash), TTL 63, the checksums of
// the translated segment (support.ts builds each whole), the next hop's MACs. That the frames came
// from XDP and not from the stack's own flowtable: the program's counter, and no nf_flowtable:hit.

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { eth, Fixture, ipv4, stackUnready, udp4 } from '../net/support.js';
import { ACK, FIN, H0, H1, LINKS, M0, M1, NEIGH, PSH, ROUTES, SYN, SYN_OPTS, tcp4, tcpFrame, type TcpOpts } from './ct_support.js';
import { applyCoreRelos, WXDP_BTF } from '../../src/elf/core.js';

const unready = await stackUnready();
const PROG = fileURLToPath(new URL('../../programs/xdp_flowtable_nat.o', import.meta.url));
const RULES = `table inet filter {
	flowtable ft {
		hook ingress priority filter
		devices = { eth0, eth1 }
	}

	chain forward {
		type filter hook forward priority filter; policy accept;
		ip protocol tcp flow add @ft
		ip protocol udp flow add @ft
	}
}
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "eth1" masquerade
	}
}
`;
const C = '192.0.2.2';
const S = '203.0.113.5';
const PUB = '198.51.100.1';

/** ft_stats slots (the program's header). */
const FWD = 0;
const MISS = 1;
const FINRST = 3;
const BAD = 5;

async function router(): Promise<{ fx: Fixture; stats: () => number[] }> {
  const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
  fx.dp.nft(RULES);
  const obj = await fx.dp.loadObject(PROG);
  for (const d of ['eth0', 'eth1']) fx.devs.get(d)!.attachXdp(obj.program('xdp_flowtable_nat'));
  const m = obj.maps.get('ft_stats')!;
  const stats = (): number[] =>
    [0, 1, 2, 3, 4, 5].map((i) => Number(new DataView(m.lookup(Uint8Array.of(i, 0, 0, 0))!.buffer).getBigUint64(0, true)));
  return { fx, stats };
}

/** The client's segment as it enters eth0, or the server's reply to the public address as it enters eth1. */
const seg = (o: TcpOpts, fromC: boolean) => (fromC ? tcpFrame('in', C, S, 40000, 80, o) : tcpFrame('out', S, PUB, 80, 40000, o));
/** What leaves: masqueraded (source PUB) toward the server, or translated back (destination C) toward the client; TTL 63. */
function translated(o: TcpOpts, fromC: boolean): Uint8Array {
  const [src, dst, sp, dp, smac, dmac] = fromC ? [PUB, S, 40000, 80, M1, H1] : [S, C, 80, 40000, M0, H0];
  return eth({ dst: dmac, src: smac, type: 0x0800 }, ipv4({ src, dst, proto: 6, ttl: 63, id: 0x4000 + (o.seq & 0xfff) }, tcp4(src, dst, sp, dp, o)));
}
const hits = (fx: Fixture): number => fx.mib()['nf_flowtable:hit'] ?? 0;

describe.skipIf(unready !== '')('xdp_flowtable_nat: bpf_xdp_flow_lookup\'s entry read through CO-RE, NAT from XDP', () => {
  it('forwards both directions of a masqueraded TCP connection from XDP once it is offloaded', async () => {
    const { fx, stats } = await router();
    const handshake: Array<[TcpOpts, boolean]> = [
      [{ seq: 1000, flags: SYN, options: SYN_OPTS }, true],
      [{ seq: 5000, ack: 1001, flags: SYN | ACK, win: 65160, options: SYN_OPTS }, false],
      [{ seq: 1001, ack: 5001, flags: ACK, win: 502 }, true], // established: the forward hook offloads it
    ];
    for (const [o, fromC] of handshake) expect(fx.rx(fromC ? 'eth0' : 'eth1', seg(o, fromC)).get(fromC ? 'eth1' : 'eth0')).toEqual([translated(o, fromC)]);
    expect(stats()[MISS]).toBe(3);
    expect(fx.dp.flowtable.list().length).toBe(1);
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

  it('keeps a UDP checksum of 0 and sends a translated checksum of 0 as 0xffff', async () => {
    const { fx, stats } = await router();
    const udpIn = (data: Uint8Array) => eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: C, dst: S, proto: 17 }, udp4(C, S, 6000, 53, data)));
    const udpOut = (data: Uint8Array) => eth({ dst: H1, src: M1, type: 0x0800 }, ipv4({ src: PUB, dst: S, proto: 17, ttl: 63 }, udp4(PUB, S, 6000, 53, data)));
    fx.rx('eth0', udpIn(new Uint8Array(8)));
    fx.rx('eth1', eth({ dst: M1, src: H1, type: 0x0800 }, ipv4({ src: S, dst: PUB, proto: 17 }, udp4(S, PUB, 53, 6000, new Uint8Array(8)))));
    expect(fx.dp.flowtable.list().length).toBe(1);
    const noSum = udpIn(new Uint8Array(8));
    noSum[14 + 26] = 0;
    noSum[14 + 27] = 0;
    const want = udpOut(new Uint8Array(8));
    want[14 + 26] = 0;
    want[14 + 27] = 0;
    expect(fx.rx('eth0', noSum).get('eth1')).toEqual([want]);
    // two payload bytes that make the translated datagram's checksum sum to 0
    const probe = udp4(PUB, S, 6000, 53, new Uint8Array(2));
    const c = (probe[6]! << 8) | probe[7]!;
    const x = c === 0xffff ? 0 : c;
    const data = Uint8Array.of(x >> 8, x & 0xff);
    const zero = udpOut(data);
    expect([zero[14 + 26], zero[14 + 27]]).toEqual([0xff, 0xff]);
    expect(fx.rx('eth0', udpIn(data)).get('eth1')).toEqual([zero]);
    expect(stats()[FWD]).toBe(2);
    expect(hits(fx)).toBe(0);
  });
});

describe('CO-RE against wxdp\'s flowtable records (src/elf/core.ts)', () => {
  it('describes the direction record and the flow as the fast path lays them out', async () => {
    const { Datapath } = await import('../../src/index.js');
    const dp = await Datapath.create();
    const g = (n: string): number => (dp.fastPath.exports[n] as WebAssembly.Global).value as number;
    const t = WXDP_BTF['flow_offload_tuple']!.fields;
    expect(t['src_v4']!.offset).toBe(g('FD_SADDR'));
    expect(t['dst_v4']!.offset).toBe(g('FD_DADDR'));
    expect(t['src_port']!.offset).toBe(g('FD_SPORT'));
    expect(t['dst_port']!.offset).toBe(g('FD_DPORT'));
    expect(t['dir']!.offset).toBe(g('FD_BITS'));
    expect(WXDP_BTF['flow_offload_tuple_rhash']!.size).toBe(g('FD_SIZE'));
    expect(WXDP_BTF['flow_offload']!.fields['flags']!.offset).toBe(g('FLOW_FLAGS'));
    expect(typeof applyCoreRelos).toBe('function');
  });
});
