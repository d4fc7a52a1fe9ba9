// The flowtable's life cycle through the API: a FIN tears an offloaded TCP flow down and goes (translated)
// through the slow path; a route change tears flows down; a flow without hits for
// nf_flowtable_udp_timeout (30 s) is collected and its connection handed back to conntrack with its own
// timeout; a frame over the route's MTU leaves the flowtable for the stack (which answers fragmentation
// needed); refusals name what is wrong. The `counter` flag (NF_FLOWTABLE_COUNTER, off by default): hits
// count into their connections' counters (nf_ct_acct_update) only while it is set, and a counting flow holds
// its connection's entry until its grace period is over, as the kernel's flow holds a reference on its ct.

import { describe, expect, it } from 'vitest';
import { NetError } from '../../src/control/net_types.js';
import { Fixture, eth, ipv4, stackUnready, udp4 } from '../net/support.js';
import { ACK, FIN, H0, H1, LINKS, expectOneFlowTimeout, M0, M1, NEIGH, PSH, ROUTES, SYN, SYN_OPTS, tcp4, tcpFrame } from './ct_support.js';

const unready = await stackUnready();
const C = '192.0.2.2';
const S = '203.0.113.5';
const PUB = '198.51.100.1';
const inUdp = (n: number, df = false): Uint8Array => eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: C, dst: S, proto: 17, df }, udp4(C, S, 6000, 53, new Uint8Array(n))));
const outUdp = (): Uint8Array => eth({ dst: M1, src: H1, type: 0x0800 }, ipv4({ src: S, dst: PUB, proto: 17 }, udp4(S, PUB, 53, 6000, new Uint8Array(8))));

async function router(): Promise<Fixture> {
  const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
  fx.dp.nat.add({ hook: 'postrouting', oif: 'eth1', type: 'masquerade' });
  fx.dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'] });
  return fx;
}
const hits = (fx: Fixture): number => fx.mib()['nf_flowtable:hit'] ?? 0;

/** A UDP exchange, offloaded once the reply is seen. */
function offloadUdp(fx: Fixture): void {
  fx.rx('eth0', inUdp(8));
  fx.rx('eth1', outUdp());
  expect(fx.dp.flowtable.list().length).toBe(1);
}

describe.skipIf(unready !== '')('the flowtable', () => {
  // nf_flow_state_check since Linux 6.14 (NF_FLOW_CLOSING): a FIN or RST marks the flow closing and goes
  // on through it; a SYN on a closing flow tears it down and takes the slow path, the connection handed
  // back in CLOSE (flow_offload_fixup_ct) for conntrack to track the reopening (nf fuzz seed 411)
  it('a FIN marks the TCP flow closing and takes it; a SYN after tears it down to the slow path', async () => {
    const fx = await router();
    fx.rx('eth0', tcpFrame('in', C, S, 40000, 80, { seq: 1000, flags: SYN, options: SYN_OPTS }));
    fx.rx('eth1', tcpFrame('out', S, PUB, 80, 40000, { seq: 5000, ack: 1001, flags: SYN | ACK, options: SYN_OPTS }));
    fx.rx('eth0', tcpFrame('in', C, S, 40000, 80, { seq: 1001, ack: 5001, flags: ACK }));
    expect(fx.dp.flowtable.list().length).toBe(1);
    fx.rx('eth0', tcpFrame('in', C, S, 40000, 80, { seq: 1001, ack: 5001, flags: PSH | ACK, data: new Uint8Array(10) }));
    expect(hits(fx)).toBe(1);
    const fin = fx.rx('eth0', tcpFrame('in', C, S, 40000, 80, { seq: 1011, ack: 5001, flags: FIN | ACK }));
    expect(hits(fx)).toBe(2);
    expect(fx.mib()['nf_flowtable:slowpath'] ?? 0).toBe(0);
    expect([...fin.get('eth1')![0]!.subarray(14 + 12, 14 + 16)].join('.')).toBe(PUB);
    fx.dp.flowtable.gc();
    expect(fx.dp.flowtable.list().length).toBe(1);
    expect(fx.dp.conntrack.list()[0]).toMatchObject({ state: 'ESTABLISHED', offload: true });
    const syn = fx.rx('eth0', tcpFrame('in', C, S, 40000, 80, { seq: 90000, flags: SYN, options: SYN_OPTS }));
    expect(hits(fx)).toBe(2);
    expect(fx.mib()['nf_flowtable:slowpath']).toBe(1);
    expect(syn.get('eth1')?.length ?? 0).toBeLessThanOrEqual(1);
    fx.dp.flowtable.gc();
    expect(fx.dp.flowtable.list()).toEqual([]);
    expect(fx.dp.conntrack.list().every((e) => !e.offload)).toBe(true);
  });

  it('one burst of hits, a FIN and a segment after it leaves in arrival order, each counted once', async () => {
    const fx = await router();
    fx.rx('eth0', tcpFrame('in', C, S, 40000, 80, { seq: 1000, flags: SYN, options: SYN_OPTS }));
    fx.rx('eth1', tcpFrame('out', S, PUB, 80, 40000, { seq: 5000, ack: 1001, flags: SYN | ACK, options: SYN_OPTS }));
    fx.rx('eth0', tcpFrame('in', C, S, 40000, 80, { seq: 1001, ack: 5001, flags: ACK }));
    expect(fx.dp.flowtable.list().length).toBe(1);
    const before = fx.dp.links.stats('eth1').tx;
    // 10-byte segments at 1001 and 1011, the FIN at 1021 (marks the flow closing), then a segment at
    // 1022: all four hits, in one poll of eth0
    const eth0 = fx.devs.get('eth0')!;
    for (const [seq, flags, n] of [[1001, PSH | ACK, 10], [1011, PSH | ACK, 10], [1021, FIN | ACK, 0], [1022, PSH | ACK, 10]] as const) {
      expect(eth0.inject(tcpFrame('in', C, S, 40000, 80, { seq, ack: 5001, flags, data: new Uint8Array(n) }))).toBe(true);
    }
    eth0.poll();
    const out = fx.tx().get('eth1')!;
    // as the kernel sends them: in the order they came (TCP sequence number at 14 + 20 + 4)
    expect(out.map((f) => new DataView(f.buffer, f.byteOffset).getUint32(14 + 20 + 4))).toEqual([1001, 1011, 1021, 1022]);
    expect(out.every((f) => [...f.subarray(14 + 12, 14 + 16)].join('.') === PUB)).toBe(true);
    expect(hits(fx)).toBe(4);
    expect(fx.mib()['nf_flowtable:slowpath'] ?? 0).toBe(0);
    const after = fx.dp.links.stats('eth1').tx;
    expect(after.packets - before.packets).toBe(4);
    expect(after.bytes - before.bytes).toBe(out.reduce((s, f) => s + f.length, 0));
  });

  // nf_flow_offload_forward checks the MTU first (nf_flow_exceeds_mtu: return 0, the frame to the stack,
  // the flow left alone), the TCP flags only after (nf_flow_state_check: FIN / RST tear down): a FIN over
  // the route's MTU goes to the stack, which answers fragmentation needed, and the flow still takes the
  // connection's next segment.
  it('a FIN over the route MTU goes to the stack without tearing the flow down', async () => {
    const fx = await router();
    fx.ip('route replace 203.0.113.0/24 via 198.51.100.2 dev eth1 mtu 1400');
    fx.rx('eth0', tcpFrame('in', C, S, 40000, 80, { seq: 1000, flags: SYN, options: SYN_OPTS }));
    fx.rx('eth1', tcpFrame('out', S, PUB, 80, 40000, { seq: 5000, ack: 1001, flags: SYN | ACK, options: SYN_OPTS }));
    fx.rx('eth0', tcpFrame('in', C, S, 40000, 80, { seq: 1001, ack: 5001, flags: ACK }));
    expect(fx.dp.flowtable.list().length).toBe(1);
    const big = tcp4(C, S, 40000, 80, { seq: 1001, ack: 5001, flags: FIN | ACK, data: new Uint8Array(1400 - 40 + 1) });
    const out = fx.rx('eth0', eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: C, dst: S, proto: 6, df: true }, big)));
    expect(out.get('eth1')).toBeUndefined();
    expect([out.get('eth0')![0]![14 + 20], out.get('eth0')![0]![14 + 21]]).toEqual([3, 4]);
    expect(hits(fx)).toBe(0);
    expect(fx.dp.conntrack.list()[0]).toMatchObject({ offload: true });
    fx.rx('eth0', tcpFrame('in', C, S, 40000, 80, { seq: 1001, ack: 5001, flags: PSH | ACK, data: new Uint8Array(10) }));
    expect(hits(fx)).toBe(1);
  });

  it('a route change tears flows down at their next frame', async () => {
    const fx = await router();
    offloadUdp(fx);
    fx.ip('route add 203.0.113.128/25 via 198.51.100.2 dev eth1');
    const out = fx.rx('eth0', inUdp(8));
    expect(out.get('eth1')?.length).toBe(1);
    expect(hits(fx)).toBe(0);
    fx.dp.flowtable.gc();
    expect(fx.dp.flowtable.list()).toEqual([]);
  });

  it('a flow without hits for 30 s is collected; its connection gets the UDP stream timeout back', async () => {
    const fx = await router();
    offloadUdp(fx);
    fx.rx('eth0', inUdp(8));
    expect(hits(fx)).toBe(1);
    fx.advance(29_000);
    expect(fx.dp.flowtable.list().length).toBe(1);
    fx.advance(2_000);
    expect(fx.dp.flowtable.list()).toEqual([]);
    // collected at the 30 s tick, a second ago
    expect(fx.dp.conntrack.list()[0]).toMatchObject({ proto: 'udp', offload: false, timeout: 119 });
  });

  // flow_offload_refresh: `if (timeout - READ_ONCE(flow->timeout) > HZ)` in u32 arithmetic. A hit within a
  // second of the last refresh leaves the timeout; a hit after nf_flowtable_udp_timeout was lowered (30 s →
  // 10 s) makes the difference negative, which as u32 is above HZ: the flow's one timeout moves back to
  // now + 10 s, and the flow expires then (its other direction, not hit since the add, included).
  it('a hit moves the timeout only by more than a second, and back when the flowtable timeout is lowered', async () => {
    const fx = await router();
    offloadUdp(fx);
    expect(fx.dp.flowtable.list()[0]!.timeout).toBe(30);
    fx.advance(500);
    fx.rx('eth0', inUdp(8));
    expect(hits(fx)).toBe(1);
    expect(fx.dp.flowtable.list()[0]!.timeout).toBe(29); // 29.5 s left: not moved
    fx.dp.sysctl('net.netfilter.nf_flowtable_udp_timeout', 10);
    fx.rx('eth0', inUdp(8));
    expect(hits(fx)).toBe(2);
    expect(fx.dp.flowtable.list()[0]!.timeout).toBe(10);
    fx.advance(9_000);
    expect(fx.dp.flowtable.list().length).toBe(1);
    fx.advance(2_000);
    expect(fx.dp.flowtable.list()).toEqual([]);
  });

  // flow_offload_refresh: the flow's one timeout (ct_support.ts expectOneFlowTimeout)
  it('a flow has one timeout: a hit of the other direction within a second of its last move leaves it', async () => {
    const fx = await router();
    offloadUdp(fx);
    expectOneFlowTimeout(fx, () => fx.rx('eth0', inUdp(8)), () => fx.rx('eth1', outUdp()));
  });

  it('a frame over the route MTU with DF goes to the stack, which answers fragmentation needed', async () => {
    const fx = await router();
    fx.ip('route replace 203.0.113.0/24 via 198.51.100.2 dev eth1 mtu 1400');
    offloadUdp(fx);
    const out = fx.rx('eth0', inUdp(1400 - 28 + 1, true));
    expect(hits(fx)).toBe(0);
    expect(out.get('eth1')).toBeUndefined();
    const icmp = out.get('eth0')![0]!;
    expect([icmp[14 + 20], icmp[14 + 21]]).toEqual([3, 4]);
  });

  // nf_flow_nat_port_udp / nf_flow_nat_ip_udp: a UDP checksum of 0 (none) is left alone; one the
  // translation turns into 0 is sent as 0xffff (CSUM_MANGLED_0, RFC 768). Expected frames: the
  // translated datagram built whole (support.ts's udp4 maps a computed 0 to 0xffff as RFC 768 does).
  it('a hit keeps a UDP checksum of 0 and sends a translated checksum of 0 as 0xffff', async () => {
    const fx = await router();
    offloadUdp(fx);
    const outFrame = (data: Uint8Array, ttl: number) =>
      eth({ dst: H1, src: M1, type: 0x0800 }, ipv4({ src: PUB, dst: S, proto: 17, ttl }, udp4(PUB, S, 6000, 53, data)));
    const noSum = inUdp(8);
    noSum[14 + 20 + 6] = 0;
    noSum[14 + 20 + 7] = 0;
    const want = outFrame(new Uint8Array(8), 63);
    want[14 + 20 + 6] = 0;
    want[14 + 20 + 7] = 0;
    expect(fx.rx('eth0', noSum).get('eth1')).toEqual([want]);
    // two payload bytes chosen so that the translated datagram's checksum sums to 0
    const probe = udp4(PUB, S, 6000, 53, new Uint8Array(2));
    const c = (probe[6]! << 8) | probe[7]!; // ~sum with the payload 0 0
    const x = c === 0xffff ? 0 : c; // adds x to the sum: ~(sum + x) = 0
    const data = Uint8Array.of(x >> 8, x & 0xff);
    const zero = outFrame(data, 63);
    expect([zero[14 + 20 + 6], zero[14 + 20 + 7]]).toEqual([0xff, 0xff]);
    const frame = eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: C, dst: S, proto: 17 }, udp4(C, S, 6000, 53, data)));
    expect(fx.rx('eth0', frame).get('eth1')).toEqual([zero]);
    expect(hits(fx)).toBe(2);
  });

  it("the counter flag: off by default (hits leave the connection's counters alone), then set and cleared on the flows it holds", async () => {
    const fx = await router();
    expect(fx.dp.flowtable.counter('ft')).toBe(false);
    offloadUdp(fx);
    const acct = (): number[] => {
      const [e] = fx.dp.conntrack.list();
      return [...e!.packets, ...e!.bytes];
    };
    // the two frames the stack forwarded: 20 + 8 + 8 bytes out, 20 + 8 + 8 back
    expect(acct()).toEqual([1, 1, 36, 36]);
    fx.rx('eth0', inUdp(8));
    expect(hits(fx)).toBe(1);
    expect(acct()).toEqual([1, 1, 36, 36]);
    fx.dp.flowtable.setCounter('ft', true);
    expect(fx.dp.flowtable.counter('ft')).toBe(true);
    fx.rx('eth0', inUdp(100));
    fx.rx('eth1', outUdp());
    expect(hits(fx)).toBe(3);
    // skb->len of each: the IPv4 datagram (the frames carry no padding)
    expect(acct()).toEqual([2, 2, 36 + 128, 36 + 36]);
    fx.dp.flowtable.setCounter('ft', false);
    fx.rx('eth0', inUdp(8));
    expect(hits(fx)).toBe(4);
    expect(acct()).toEqual([2, 2, 164, 72]);
    expect(() => fx.dp.flowtable.setCounter('nope', true)).toThrow(/no flowtable "nope"/);
  });

  it("a counting flow's connection, deleted, keeps its entry until the flow's grace period is over (the flow's ct reference)", async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.conntrack.enable({ family: 'ipv4', max: 1 });
    fx.dp.nat.add({ hook: 'postrouting', oif: 'eth1', type: 'masquerade' });
    fx.dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'], counter: true });
    offloadUdp(fx);
    expect(fx.dp.conntrack.flush()).toBe(1);
    expect(fx.dp.conntrack.list()).toEqual([]);
    expect(fx.dp.flowtable.list()).toEqual([]);
    // its one entry is still held: a new connection finds the table full (nf_conntrack_max 1)
    const other = eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: C, dst: S, proto: 17 }, udp4(C, S, 6001, 53, new Uint8Array(8))));
    fx.rx('eth0', other);
    expect(fx.dp.conntrack.list()).toEqual([]);
    // the collector's turn (no worker: the grace period is over at once) lets it go
    fx.dp.flowtable.gc();
    fx.rx('eth0', other);
    expect(fx.dp.conntrack.list().map((e) => e.original.sport)).toEqual([6001]);
  });

  // nf_flow_tuple_ip: a frame the flowtable does not take goes to the stack untouched — TTL ≤ 1, IP
  // options (ihl ≠ 5), a fragment (MF or an offset), a TCP datagram shorter than its header, a
  // datagram longer than the frame; and one not to the device's MAC is no frame of ours. Each of the
  // flow's 5-tuple, so only the test keeps it from the flow; the stack answers TTL 1 with Time Exceeded.
  it('frames nf_flow_tuple_ip refuses take the slow path, not the flow', async () => {
    const fx = await router();
    offloadUdp(fx);
    const frame = (ip: Partial<Parameters<typeof ipv4>[0]>, to = M0): Uint8Array =>
      eth({ dst: to, src: H0, type: 0x0800 }, ipv4({ src: C, dst: S, proto: 17, ...ip }, udp4(C, S, 6000, 53, new Uint8Array(8))));
    const ttl1 = fx.rx('eth0', frame({ ttl: 1 }));
    expect([ttl1.get('eth0')![0]![14 + 20], ttl1.get('eth0')![0]![14 + 21]]).toEqual([11, 0]);
    fx.rx('eth0', frame({ options: [1, 1, 1, 0] }));
    fx.rx('eth0', frame({ mf: true }));
    fx.rx('eth0', frame({ fragOff: 8 }));
    fx.rx('eth0', frame({ totLen: 20 + 16 + 1 }));
    fx.rx('eth0', frame({}, '02:00:00:00:0a:0b'));
    const tcpShort = eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: C, dst: S, proto: 6 }, udp4(C, S, 6000, 53, new Uint8Array(8))));
    fx.rx('eth0', tcpShort);
    expect(hits(fx)).toBe(0);
    expect(fx.mib()['nf_flowtable:slowpath'] ?? 0).toBe(0);
    // the flow's own frame still hits
    expect(fx.rx('eth0', frame({})).get('eth1')!.length).toBe(1);
    expect(hits(fx)).toBe(1);
  });

  it('refuses bad flowtables with a reason', async () => {
    const fx = await router();
    expect(() => fx.dp.flowtable.create({ name: 'ft', devices: ['eth0'] })).toThrow(/ft exists/);
    expect(() => fx.dp.flowtable.create({ name: 'x', devices: ['eth7'] })).toThrow(/no device "eth7"/);
    expect(() => fx.dp.flowtable.create({ name: 'x', devices: [] })).toThrow(/needs devices/);
    expect(() => fx.dp.flowtable.create({ name: '1 bad', devices: ['eth0'] })).toThrow(NetError);
    expect(() => fx.dp.flowtable.delete('nope')).toThrow(/no flowtable "nope"/);
    fx.dp.flowtable.delete('ft');
    offloadUdpNot(fx);
  });
});

/** After delete, nothing is offloaded any more. */
function offloadUdpNot(fx: Fixture): void {
  fx.rx('eth0', inUdp(8));
  fx.rx('eth1', outUdp());
  expect(fx.dp.flowtable.list()).toEqual([]);
}
