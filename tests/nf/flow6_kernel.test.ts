// The IPv6 flowtable against the kernel: the IPv6 router of ct_nat6_kernel (inside 2001:db8:1::/64,
// outside 2001:db8:2::/64, 2001:db8:3::/48 behind the gateway), Linux with the ruleset below (`table ip6
// nat` masquerade out of eth1, a forward chain), wxdp with the same ruleset plus `flowtable ft { hook
// ingress priority 0; devices = { eth0, eth1 }; }` and `flow add @ft` in the forward chain (nft -f text
// through dp.nft). This kernel has no nf_flow_table (CONFIG_NF_FLOW_TABLE is not set: a flowtable
// declaration fails), so Linux forwards every frame on its slow path — which the flowtable's hits must
// equal byte for byte: masqueraded source and port, the TCP / UDP checksum over the new pseudo-header,
// hop limit − 1, MACs. wxdp's counters say which frames took the flowtable, dp.flowtable.list() and
// `conntrack -L -f ipv6`'s tuples the connections; ours are [OFFLOAD] until the FIN tears the TCP one down.
// Masked: the flow label of IPv6 frames (the kernel's ICMPv6 time exceeded carries a random one,
// net.ipv6.auto_flowlabels; forwarded frames keep the sender's 0 on both sides).

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture, eth, hex, ipv6, stackUnready, type LinkCfg, type NeighCfg, type RouteCfg } from '../net/support.js';
import { KernelRouter, kernelUnavailable } from '../net/kernel.js';
import { ACK, FIN, H0, H1, M0, M1, PSH, SYN, SYN_OPTS, l4over6, parseConntrackL, tcp4, udpBytes } from './ct_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('conntrack', ['--version']).status !== 0 ? 'conntrack (Debian conntrack) missing' : '') ||
  (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const LINKS6: LinkCfg[] = [
  { name: 'eth0', mac: M0, forwarding: true, v6: ['2001:db8:1::1/64'] },
  { name: 'eth1', mac: M1, forwarding: true, v6: ['2001:db8:2::1/64'] },
];
const ROUTES6: RouteCfg[] = [{ dst: '2001:db8:3::/48', via: '2001:db8:2::2', dev: 'eth1' }];
const NEIGH6: NeighCfg[] = [
  { dev: 'eth0', addr: '2001:db8:1::2', mac: H0 },
  { dev: 'eth1', addr: '2001:db8:2::2', mac: H1 },
];
const NAT = `table ip6 nat {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "eth1" masquerade
	}
}
`;
/** The kernel's ruleset; wxdp's adds the flowtable and its rule (the kernel here cannot load them). */
const KERNEL = `table inet filter {
	chain forward {
		type filter hook forward priority filter; policy accept;
		meta l4proto { tcp, udp } counter
	}
}
${NAT}`;
const WXDP = `table inet filter {
	flowtable ft {
		hook ingress priority 0; devices = { eth0, eth1 };
	}

	chain forward {
		type filter hook forward priority filter; policy accept;
		meta l4proto { tcp, udp } flow add @ft
	}
}
${NAT}`;

const C = '2001:db8:1::2';
const S = '2001:db8:3::5';
const PUB = '2001:db8:2::1';
const data = (n: number, seed = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);
const in6 = (nh: number, l4: Uint8Array, hlim = 64): Uint8Array => eth({ dst: M0, src: H0, type: 0x86dd }, ipv6({ src: C, dst: S, nh, hlim }, l4));
const out6 = (nh: number, l4: Uint8Array): Uint8Array => eth({ dst: M1, src: H1, type: 0x86dd }, ipv6({ src: S, dst: PUB, nh }, l4));
const tcp6 = (src: string, dst: string, sp: number, dp: number, o: Parameters<typeof tcp4>[4]): Uint8Array => l4over6(src, dst, 6, tcp4('0.0.0.0', '0.0.0.0', sp, dp, o));
const cIn = (o: Parameters<typeof tcp4>[4], hlim = 64): Uint8Array => in6(6, tcp6(C, S, 40000, 80, o), hlim);
const sOut = (o: Parameters<typeof tcp4>[4]): Uint8Array => out6(6, tcp6(S, PUB, 80, 40000, o));
const uIn = (n: number, seed: number): Uint8Array => in6(17, l4over6(C, S, 17, udpBytes(5000, 53, data(n, seed))));
const uOut = (n: number, seed: number): Uint8Array => out6(17, l4over6(S, PUB, 17, udpBytes(53, 5000, data(n, seed))));

/** The frame in hex, an IPv6 header's flow label (20 bits) masked. */
const masked = (f: Uint8Array): string => {
  const c = Uint8Array.from(f);
  if (c[12] === 0x86 && c[13] === 0xdd) {
    c[15] = c[15]! & 0xf0;
    c[16] = c[17] = 0;
  }
  return hex(c);
};

const STEPS: Array<{ what: string; dev: 'eth0' | 'eth1'; frame: Uint8Array; offloaded: boolean }> = [
  { what: 'SYN', dev: 'eth0', frame: cIn({ seq: 1000, flags: SYN, options: SYN_OPTS }), offloaded: false },
  { what: 'SYN/ACK', dev: 'eth1', frame: sOut({ seq: 5000, ack: 1001, flags: SYN | ACK, win: 65160, options: SYN_OPTS }), offloaded: false },
  { what: 'ACK (established: offloaded here)', dev: 'eth0', frame: cIn({ seq: 1001, ack: 5001, flags: ACK, win: 502 }), offloaded: false },
  { what: 'data out (flowtable)', dev: 'eth0', frame: cIn({ seq: 1001, ack: 5001, flags: PSH | ACK, win: 502, data: data(100) }), offloaded: true },
  { what: 'data back (flowtable, de-masqueraded)', dev: 'eth1', frame: sOut({ seq: 5001, ack: 1101, flags: PSH | ACK, win: 509, data: data(200, 9) }), offloaded: true },
  { what: 'hop limit 1 (stack: time exceeded)', dev: 'eth0', frame: cIn({ seq: 1101, ack: 5201, flags: ACK, win: 500 }, 1), offloaded: false },
  { what: 'hop limit 2 (flowtable)', dev: 'eth0', frame: cIn({ seq: 1101, ack: 5201, flags: PSH | ACK, win: 500, data: data(50, 4) }, 2), offloaded: true },
  { what: 'UDP out', dev: 'eth0', frame: uIn(30, 1), offloaded: false },
  { what: 'UDP reply (established: offloaded here)', dev: 'eth1', frame: uOut(60, 2), offloaded: false },
  { what: 'UDP out again (flowtable)', dev: 'eth0', frame: uIn(31, 3), offloaded: true },
  { what: 'UDP reply again (flowtable)', dev: 'eth1', frame: uOut(61, 4), offloaded: true },
  // nf_flow_state_check (6.14 on): a FIN marks the flow closing and takes it, as the FIN/ACK back
  { what: 'FIN (flowtable: the flow closing)', dev: 'eth0', frame: cIn({ seq: 1151, ack: 5201, flags: FIN | ACK, win: 500 }), offloaded: true },
  { what: 'FIN/ACK back (flowtable)', dev: 'eth1', frame: sOut({ seq: 5201, ack: 1152, flags: FIN | ACK, win: 509 }), offloaded: true },
];

describe.skipIf(unready !== '' || noKernel !== '')(`the IPv6 flowtable against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  let k: KernelRouter | undefined;
  let kern: ReturnType<KernelRouter['send']> = [];
  let kernCt = '';
  beforeAll(() => {
    k = KernelRouter.create(LINKS6, ROUTES6, NEIGH6, { 'net.ipv6.conf.all.forwarding': 1 }, 'ft15');
    const r = spawnSync('ip', ['netns', 'exec', k.router, 'nft', '-f', '-'], { input: KERNEL, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nft -f: ${r.stderr}`);
    kern = k.send(STEPS.map((s) => [s.dev, s.frame]));
    kernCt = spawnSync('ip', ['netns', 'exec', k.router, 'conntrack', '-L', '-f', 'ipv6'], { encoding: 'utf8' }).stdout;
  }, 60_000);
  afterAll(() => k?.close());

  it(`forwards the ${STEPS.length} frames as Linux does, the established ones through the flowtable`, async () => {
    const fx = await Fixture.create(LINKS6, ROUTES6, NEIGH6);
    fx.sysctl('IPV6_ALL_FORWARDING', 1);
    fx.dp.nft(WXDP);
    let listed: string[] = [];
    STEPS.forEach((s, i) => {
      const before = fx.mib()['nf_flowtable:hit'] ?? 0;
      const ours = fx.rx(s.dev, s.frame);
      for (const dev of ['eth0', 'eth1']) {
        const a = (ours.get(dev) ?? []).map(masked);
        const b = (kern[i]!.tx.get(dev) ?? []).map(masked);
        expect({ what: s.what, dev, out: a }).toEqual({ what: s.what, dev, out: b });
      }
      expect({ what: s.what, hit: (fx.mib()['nf_flowtable:hit'] ?? 0) - before }).toEqual({ what: s.what, hit: s.offloaded ? 1 : 0 });
      if (s.what.startsWith('UDP reply again')) {
        listed = fx.dp.flowtable.list().map((f) => `${f.family} ${f.proto} ${f.original.src}.${f.original.sport} > ${f.original.dst}.${f.original.dport} ` +
          `reply ${f.reply.src}.${f.reply.sport} > ${f.reply.dst}.${f.reply.dport} ${f.original.packets}/${f.reply.packets}`);
        // both offloaded: conntrack -L's [OFFLOAD]
        expect(fx.dp.conntrack.list().map((e) => `${e.proto} ${e.offload}`)).toEqual(['tcp true', 'udp true']);
        expect(fx.dp.conntrack.format()).toMatch(/\[OFFLOAD\]/);
      }
    });
    // the connection's own counters (conntrack's acct): SYN, ACK and the hop-limit-1 ACK the stack took —
    // in the window only because the offload made the connection's tracking liberal (flow_offload_ct_tcp:
    // IP_CT_TCP_FLAG_BE_LIBERAL; conntrack saw none of the offloaded data, so ack 5201 is past its td_end)
    expect(listed.sort()).toEqual([
      `ipv6 tcp ${C}.40000 > ${S}.80 reply ${S}.80 > ${PUB}.40000 3/1`,
      `ipv6 udp ${C}.5000 > ${S}.53 reply ${S}.53 > ${PUB}.5000 1/1`,
    ]);
    if (process.env.CT_DEBUG) console.log(fx.dp.conntrack.format(), kernCt);
    // the same connections as Linux tracks (tuples); both still offloaded (the TCP one closing)
    const tuples = (text: string): string[] =>
      parseConntrackL(text).map((l) => `${l.proto} ${[...l.rest.matchAll(/(src|dst|sport|dport)=\S+/g)].map((m) => m[0]).join(' ')}`).sort();
    expect(tuples(fx.dp.conntrack.format())).toEqual(tuples(kernCt));
    fx.dp.flowtable.gc();
    expect(fx.dp.flowtable.list().map((f) => f.proto).sort()).toEqual(['tcp', 'udp']);
    expect(fx.dp.conntrack.list().map((e) => `${e.proto} ${e.offload}`).sort()).toEqual(['tcp true', 'udp true']);
  });
});
