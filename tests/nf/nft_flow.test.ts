// `flow add @ft` from an nft rule: the flowtable an nft file declares becomes the flowtable stage's
// (dp.flowtable), a connection the rule sees established is offloaded into it, and the frames that follow
// take the flowtable (its masquerade applied) instead of the stack. The kernel of this machine has no
// flowtable support (nft -f answers ENOENT for one), so the frames are checked against the ones the same
// ruleset without the flowtable forwards: offloaded or not, what leaves must be the same bytes.

import { describe, expect, it } from 'vitest';
import { Fixture, hex, stackUnready } from '../net/support.js';
import { ACK, LINKS, NEIGH, PSH, ROUTES, SYN, SYN_OPTS, tcpFrame } from './ct_support.js';

const unready = await stackUnready();
const NAT = `table ip nat {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "eth1" masquerade
	}
}
`;
const WITH_FT = `table inet filter {
	flowtable ft {
		hook ingress priority filter
		devices = { eth0, eth1 }
	}

	chain forward {
		type filter hook forward priority filter; policy accept;
		ip protocol tcp flow add @ft
	}
}
${NAT}`;
const WITHOUT_FT = `table inet filter {
	chain forward {
		type filter hook forward priority filter; policy accept;
		ip protocol tcp counter
	}
}
${NAT}`;

const C = '192.0.2.2';
const S = '203.0.113.5';
const PUB = '198.51.100.1';
const pay = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 3) & 0xff);
const STEPS: Array<{ dev: 'eth0' | 'eth1'; frame: Uint8Array }> = [
  { dev: 'eth0', frame: tcpFrame('in', C, S, 40000, 80, { seq: 1000, flags: SYN, options: SYN_OPTS }) },
  { dev: 'eth1', frame: tcpFrame('out', S, PUB, 80, 40000, { seq: 5000, ack: 1001, flags: SYN | ACK, win: 65160, options: SYN_OPTS }) },
  { dev: 'eth0', frame: tcpFrame('in', C, S, 40000, 80, { seq: 1001, ack: 5001, flags: ACK, win: 502 }) },
  { dev: 'eth0', frame: tcpFrame('in', C, S, 40000, 80, { seq: 1001, ack: 5001, flags: PSH | ACK, win: 502, data: pay(20) }) },
  { dev: 'eth1', frame: tcpFrame('out', S, PUB, 80, 40000, { seq: 5001, ack: 1021, flags: PSH | ACK, win: 509, data: pay(30) }) },
  { dev: 'eth0', frame: tcpFrame('in', C, S, 40000, 80, { seq: 1021, ack: 5031, flags: ACK, win: 502 }) },
];

describe.skipIf(unready !== '')('flow add @ft from an nft rule', () => {
  it('offloads the established connection and forwards the same bytes the stack does', async () => {
    const run = async (rules: string): Promise<{ fx: Fixture; out: string[][] }> => {
      const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
      fx.dp.nft(rules);
      const out = STEPS.map((s) => ['eth0', 'eth1'].flatMap((d) => (fx.rx(s.dev, s.frame).get(d) ?? []).map((f) => `${d} ${hex(f)}`)));
      return { fx, out };
    };
    const ft = await run(WITH_FT);
    const plain = await run(WITHOUT_FT);
    expect(ft.out).toEqual(plain.out);
    expect(ft.out.every((o) => o.length === 1)).toBe(true);
    const flows = ft.fx.dp.flowtable.list();
    expect(flows.map((f) => [f.flowtable, f.proto])).toEqual([['nft.inet.filter.ft', 'tcp']]);
    expect(plain.fx.dp.flowtable.list()).toEqual([]);
    // the nft listing names it as nft does; deleting the rule and the flowtable removes it from the stage
    expect(ft.fx.dp.nft('list table inet filter')).toContain('\tflowtable ft {\n\t\thook ingress priority filter\n\t\tdevices = { eth0, eth1 }\n\t}\n');
    ft.fx.dp.nft('flush chain inet filter forward\ndelete flowtable inet filter ft');
    expect(() => ft.fx.dp.flowtable.delete('nft.inet.filter.ft')).toThrow(/no flowtable/);
  });

  it("a flowtable declared with `counter` is listed with it (nft's flowtable_print_declaration) and its hits count into the connection", async () => {
    const counted = async (rules: string): Promise<Fixture> => {
      const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
      fx.dp.nft(rules);
      for (const s of STEPS) fx.rx(s.dev, s.frame);
      return fx;
    };
    const fx = await counted(WITH_FT.replace('devices = { eth0, eth1 }\n', 'devices = { eth0, eth1 }\n\t\tcounter\n'));
    expect(fx.dp.nft('list table inet filter')).toContain('\tflowtable ft {\n\t\thook ingress priority filter\n\t\tdevices = { eth0, eth1 }\n\t\tcounter\n\t}\n');
    expect(fx.dp.flowtable.counter('nft.inet.filter.ft')).toBe(true);
    // the last three frames took the flowtable: counted or not, the connection's totals are the frames'
    const plain = await counted(WITHOUT_FT);
    const totals = (f: Fixture) => f.dp.conntrack.list().map((e) => [e.packets, e.bytes]);
    expect(fx.mib()['nf_flowtable:hit']).toBe(3);
    expect(totals(fx)).toEqual(totals(plain));
    expect(totals(fx)).toEqual([[[4, 2], [STEPS.filter((s) => s.dev === 'eth0').reduce((n, s) => n + s.frame.length - 14, 0), STEPS.filter((s) => s.dev === 'eth1').reduce((n, s) => n + s.frame.length - 14, 0)]]]);
    // without `counter`: only the frames the stack saw (the first three), and `add flowtable` with it turns it on
    const off = await counted(WITH_FT);
    expect(off.dp.flowtable.counter('nft.inet.filter.ft')).toBe(false);
    expect(totals(off)).toEqual([[[2, 1], [STEPS.slice(0, 3).filter((s) => s.dev === 'eth0').reduce((n, s) => n + s.frame.length - 14, 0), STEPS[1]!.frame.length - 14]]]);
    off.dp.nft('add flowtable inet filter ft { counter; }');
    expect(off.dp.flowtable.counter('nft.inet.filter.ft')).toBe(true);
    expect(off.dp.nft('list table inet filter')).toContain('\t\tcounter\n');
  });
});

describe.skipIf(unready !== '')('flow add @ft offloads what nft_flow_offload_eval does', () => {
  // nf_fuzz_kernel seed 409: nft_flow_offload_eval takes a TCP connection only once
  // nf_conntrack_tcp_established (ESTABLISHED and ASSURED). A picked-up connection is ESTABLISHED from its
  // first segment but ASSURED only by the segment after its first reply (IPS_SEEN_REPLY is set after that
  // reply's tcp_packet); wxdp offloaded it at the first reply. Once offloaded, the frames that follow hit.
  it('a picked-up TCP connection is offloaded by the segment after its first reply, not by that reply', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nft(WITH_FT);
    const steps: Array<{ dev: 'eth0' | 'eth1'; frame: Uint8Array; flows: number; hit: number }> = [
      { dev: 'eth0', frame: tcpFrame('in', C, S, 40001, 80, { seq: 7000, ack: 9000, flags: PSH | ACK, win: 502, data: pay(10) }), flows: 0, hit: 0 },
      { dev: 'eth1', frame: tcpFrame('out', S, PUB, 80, 40001, { seq: 9000, ack: 7010, flags: ACK, win: 509 }), flows: 0, hit: 0 },
      { dev: 'eth0', frame: tcpFrame('in', C, S, 40001, 80, { seq: 7010, ack: 9000, flags: PSH | ACK, win: 502, data: pay(20) }), flows: 1, hit: 0 },
      { dev: 'eth1', frame: tcpFrame('out', S, PUB, 80, 40001, { seq: 9000, ack: 7030, flags: ACK, win: 509 }), flows: 1, hit: 1 },
    ];
    for (const [i, s] of steps.entries()) {
      const before = fx.mib()['nf_flowtable:hit'] ?? 0;
      expect(fx.rx(s.dev, s.frame).get(s.dev === 'eth0' ? 'eth1' : 'eth0')?.length, `step ${i} forwarded`).toBe(1);
      expect({ i, flows: fx.dp.flowtable.list().length, hit: (fx.mib()['nf_flowtable:hit'] ?? 0) - before }).toEqual({ i, flows: s.flows, hit: s.hit });
    }
  });
});
