// The answers a poll makes ahead for an XDP router's bpf_fib_lookup calls (assembly/net/fib_helper.ts
// fibAnswersWalk; the JIT reads them inline, src/jit/emit.ts fibLookupInline): right after the burst's
// FIB walk, each warmed frame's answer to the common call (IPv4, flags 0, one next hop, valid
// neighbour) is worked out, and the program's call matches its struct against the running frame's
// record. What it answers must be what the helper answers when the call is made — the MTU compared with
// the call's own tot_len, and the stack running in the middle of a burst (a neighbour it changes)
// seen by the frames after it. Expected outputs are derived by hand from the kernel's rules cited.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Fixture, stackUnready, eth, ipv4, udp4, MAC_BCAST, type LinkCfg, type NeighCfg, type RouteCfg } from './support.js';

const M0 = '02:00:00:00:1c:00'; // router eth0
const M1 = '02:00:00:00:1c:01'; // router eth1
const H0 = '02:00:00:00:1d:00'; // the sender, 192.0.2.2 on eth0's link
const GW = '02:00:00:00:1e:00'; // gateway 198.51.100.2 on eth1's link
const OLD = '02:00:00:00:1f:0a'; // gateway 192.0.2.3 on eth0's link, before and after its ARP request
const NEW = '02:00:00:00:1f:0b';
const ROUTER = fileURLToPath(new URL('../../programs/xdp_fib_forward.o', import.meta.url));
const bytes = (m: string) => Array.from(m.split(':'), (h) => parseInt(h, 16));
const etherType = (f: Uint8Array) => (f[12]! << 8) | f[13]!;

const LINKS: LinkCfg[] = [
  { name: 'eth0', mac: M0, forwarding: true, v4: ['192.0.2.1/24'] },
  { name: 'eth1', mac: M1, forwarding: true, v4: ['198.51.100.1/24'], mtu: 1000 },
];
const ROUTES: RouteCfg[] = [
  { dst: '203.0.113.0/25', via: '198.51.100.2', dev: 'eth1' },
  { dst: '203.0.113.128/25', via: '192.0.2.3', dev: 'eth0' },
];
const NEIGH: NeighCfg[] = [
  { dev: 'eth0', addr: '192.0.2.2', mac: H0 },
  { dev: 'eth1', addr: '198.51.100.2', mac: GW },
];

/** A UDP datagram from 192.0.2.2 to 203.0.113.x, DF set, `payload` bytes of data. */
const frame = (x: number, payload = 18): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: `203.0.113.${x}`, proto: 17, ttl: 64, df: true }, udp4('192.0.2.2', `203.0.113.${x}`, 4000 + x, 9, new Uint8Array(payload))));

/** As frame(), from `src` (a host beyond eth0's link) with UDP source port `sport`. */
const frameFrom = (src: string, x: number, sport: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src, dst: `203.0.113.${x}`, proto: 17, ttl: 64, df: true }, udp4(src, `203.0.113.${x}`, sport, 9, new Uint8Array(18))));

/** ARP request (RFC 826) from 192.0.2.3 at `mac` for the router's 192.0.2.1. */
const arpRequest = (mac: string): Uint8Array =>
  eth({ dst: MAC_BCAST, src: mac, type: 0x0806 }, Uint8Array.from([0, 1, 8, 0, 6, 4, 0, 1, ...bytes(mac), 192, 0, 2, 3, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1]));

async function router(dispatch: 'table' | 'burst' = 'table'): Promise<{ fx: Fixture; hits: () => number }> {
  const fx = await Fixture.create(LINKS, ROUTES, NEIGH, { dispatch });
  fx.ip(`neigh add 192.0.2.3 lladdr ${OLD} dev eth0 nud stale`);
  const obj = await fx.dp.loadObject(ROUTER);
  fx.devs.get('eth0')!.attachXdp(obj.program('xdp_fib_forward'));
  const at = fx.dp.fastPath.global('FIB_ANSWERS') >>> 0;
  // lookups answered from the records (0 in a build that keeps none: the shared one)
  const hits = () => (at === 0 ? 0 : fx.dp.memory.view().getUint32(at + fx.dp.fastPath.global('ANS_HITS'), true));
  return { fx, hits };
}

/** `frames` into eth0 and one poll of them all: what each device sent. */
function burst(fx: Fixture, frames: Uint8Array[]): Map<string, Uint8Array[]> {
  const eth0 = fx.devs.get('eth0')!;
  expect(eth0.injectBatch(frames)).toBe(frames.length);
  expect(eth0.poll({ budget: frames.length })).toBe(frames.length);
  return fx.tx();
}

/** 32 datagrams from 32 senders beyond eth0 (192.0.2.40..71, UDP source ports 6000..6031) to 203.0.113.20. */
const senders = Array.from({ length: 32 }, (_, i) => frameFrom(`192.0.2.${40 + i}`, 20, 6000 + i));

/** What eth1 sent of a burst's UDP datagrams: each one's destination MAC by its UDP source port. */
const dmacs = (out: Map<string, Uint8Array[]>): Map<number, string> =>
  new Map((out.get('eth1') ?? []).filter((f) => etherType(f) === 0x0800 && f[14 + 9] === 17).map((f) => [(f[34]! << 8) | f[35]!, Array.from(f.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':')]));

/**
 * router() with 203.0.113.0/25 a 2-way route over 198.51.100.2 and `gw` (MAC `mac`) on eth1, hash seed
 * 1234567 (fib_multipath_hash policy 0: the saddr and daddr alone), the program's FIB hint set.
 */
async function multipathRouter(gw: string, mac: string): Promise<{ fx: Fixture; hits: () => number }> {
  const r = await router();
  r.fx.dp.sysctl('net.ipv4.fib_multipath_hash_seed', 1234567);
  r.fx.ip(`neigh add ${gw} lladdr ${mac} dev eth1 nud permanent`);
  r.fx.ip('route del 203.0.113.0/25');
  r.fx.ip(`route add 203.0.113.0/25 nexthop via 198.51.100.2 dev eth1 nexthop via ${gw} dev eth1`);
  burst(r.fx, [frame(1)]); // the program's FIB hint is set from here on
  return r;
}

const unready = await stackUnready();

describe.skipIf(unready || !existsSync(ROUTER))('the answers a poll makes ahead for an XDP router', () => {
  it.each(['table', 'burst'] as const)('compare the MTU with each call\'s tot_len: datagrams over eth1\'s 1000 bytes get FRAG_NEEDED (the stack\'s ICMP), the others leave (dispatch %s)', async (dispatch) => {
    const { fx, hits } = await router(dispatch);
    const small = Array.from({ length: 8 }, (_, i) => i * 13);
    burst(fx, small.map((x) => frame(x))); // the program's FIB hint is set from here on
    // 1100-byte datagrams (tot_len 1100 > 1000) between 100-byte ones, every destination via 198.51.100.2
    const xs = Array.from({ length: 32 }, (_, i) => (i * 37) & 0x7f);
    const big = (i: number) => i % 3 === 1;
    const h0 = hits();
    const out = burst(fx, xs.map((x, i) => frame(x, big(i) ? 1100 - 28 : 100 - 28)));
    const sent = out.get('eth1') ?? [];
    // bpf_fib_lookup SUCCESS: TTL 63, the gateway's MAC, eth1's; in arrival order
    expect(sent.map((f) => f[14 + 19])).toEqual(xs.filter((_, i) => !big(i)));
    for (const f of sent) {
      expect(Array.from(f.subarray(0, 12))).toEqual([...bytes(GW), ...bytes(M1)]);
      expect(f[14 + 8]).toBe(63);
      expect(f.length).toBe(14 + 100);
    }
    // FRAG_NEEDED: XDP_PASS, then ip_forward's "fragmentation needed" (RFC 792 type 3 code 4, next-hop
    // MTU 1000, RFC 1191) to the sender through eth0 (icmp_ratelimit may hold some back, never all)
    const icmp = (out.get('eth0') ?? []).filter((f) => etherType(f) === 0x0800 && f[14 + 9] === 1);
    expect(icmp.length).toBeGreaterThan(0);
    for (const f of icmp) expect([f[34], f[35], (f[40]! << 8) | f[41]!]).toEqual([3, 4, 1000]);
    // the small ones were answered from the records (where the build keeps them)
    if (fx.dp.fastPath.global('FIB_ANSWERS') !== 0) expect(hits() - h0).toBe(xs.filter((_, i) => !big(i)).length);
  });

  it('hold the helper\'s outputs for each warmed frame where the JIT reads them: rt_metric, output ifindex, gateway, MTU, smac/dmac', async () => {
    // bpf_ipv4_fib_lookup's SUCCESS (net/core/filter.c): rt_metric = fib_priority, ifindex = the next
    // hop's device, ipv4_dst = its gateway, mtu_result = the device's MTU (ip_mtu_from_fib_result),
    // smac = that device's address, dmac = the gateway's neighbour (bpf_fib_set_fwd_params)
    const { fx, hits } = await router();
    fx.ip('route del 203.0.113.0/25');
    fx.ip('route add 203.0.113.0/25 via 198.51.100.2 dev eth1 metric 7');
    burst(fx, [frame(1)]); // the program's FIB hint is set from here on
    const xs = [5, 9, 126];
    const h0 = hits();
    const out = burst(fx, xs.map((x) => frame(x)));
    expect((out.get('eth1') ?? []).map((f) => f[14 + 19])).toEqual(xs);
    const at = fx.dp.fastPath.global('FIB_ANSWERS') >>> 0;
    if (at === 0) return; // the shared build keeps no records
    expect(hits() - h0).toBe(xs.length);
    const g = (k: string) => fx.dp.fastPath.global(k);
    const v = fx.dp.memory.view();
    const eth0 = fx.devs.get('eth0')!.ifindex;
    const eth1 = fx.devs.get('eth1')!.ifindex;
    xs.forEach((x, s) => {
      const r = at + g('ANS_RECS') + s * g('ANS_REC_SIZE');
      const u32 = (k: string) => v.getUint32(r + g(k), true);
      const be = (k: string) => v.getUint32(r + g(k), false);
      expect([be('ANSR_DST'), u32('ANSR_IFINDEX'), u32('ANSR_MTU'), u32('ANSR_METRIC'), u32('ANSR_OIF'), be('ANSR_NEWDST')]).toEqual([
        ((203 << 24) | (113 << 8) | x) >>> 0, eth0, 1000, 7, eth1, ((198 << 24) | (51 << 16) | (100 << 8) | 2) >>> 0,
      ]);
      expect(Array.from(new Uint8Array(v.buffer, r + g('ANSR_MACS'), 12))).toEqual([...bytes(M1), ...bytes(GW)]);
    });
  });

  it('are given up when the stack runs within the burst: frames after an ARP request that changed the gateway\'s MAC go to the new one', async () => {
    const { fx, hits } = await router();
    burst(fx, [frame(200), frame(201)]); // the program's FIB hint is set from here on
    // 128 frames, one poll, two bursts of 64: 63 too short for an IPv4 header (XDP_PASS, gathered for
    // the stack) and one to 203.0.113.130; then the ARP request — the 64th frame for the stack, so the
    // stack runs right there, in the second burst, after that burst's answers were made — then 63
    // frames via 192.0.2.3. arp_process: a request for our address updates the sender's entry
    // (neigh_event_ns: NUD_STALE, lladdr overridden), so those 63 leave to NEW.
    const short = eth({ dst: M0, src: H0, type: 0x0800 }, new Uint8Array(16));
    const after = Array.from({ length: 63 }, (_, i) => 129 + ((i * 7) & 0x7f) % 127);
    const frames = [...Array.from({ length: 63 }, () => short), frame(130), arpRequest(NEW), ...after.map((x) => frame(x))];
    const h0 = hits();
    const out = burst(fx, frames);
    const fwd = (out.get('eth0') ?? []).filter((f) => etherType(f) === 0x0800 && f[14 + 9] === 17);
    expect(fwd.map((f) => f[14 + 19])).toEqual([130, ...after]);
    expect(Array.from(fwd[0]!.subarray(0, 12))).toEqual([...bytes(OLD), ...bytes(M0)]);
    for (const f of fwd.slice(1)) expect(Array.from(f.subarray(0, 12))).toEqual([...bytes(NEW), ...bytes(M0)]);
    // the ARP reply went to the new MAC (arp_send_dst to sha)
    const reply = (out.get('eth0') ?? []).find((f) => etherType(f) === 0x0806);
    expect(reply && Array.from(reply.subarray(0, 6))).toEqual(bytes(NEW));
    // the frame before the ARP request was answered from its record (where the build keeps them)
    if (fx.dp.fastPath.global('FIB_ANSWERS') !== 0) expect(hits() - h0).toBeGreaterThanOrEqual(1);
  });

  it('are read by each frame\'s slot in the program\'s own burst loop too: short frames between IPv4 ones take no slot', async () => {
    const { fx, hits } = await router('burst');
    burst(fx, [frame(200), frame(1)]); // the program's FIB hint is set from here on
    // one burst: frames too short for an IPv4 header (XDP_PASS, for the stack, which drops them) after
    // every second datagram, destinations alternating between the two routes: 203.0.113.0/25 via
    // 198.51.100.2 (GW, out of eth1) and 203.0.113.128/25 via 192.0.2.3 (OLD, out of eth0)
    const short = eth({ dst: M0, src: H0, type: 0x0800 }, new Uint8Array(16));
    const xs = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 0 : 128) + ((i * 11) & 0x7f) % 120 + 1);
    const frames = xs.flatMap((x, i) => (i % 2 === 1 ? [frame(x), short] : [frame(x)]));
    const h0 = hits();
    const out = burst(fx, frames);
    const udp = (dev: string) => (out.get(dev) ?? []).filter((f) => etherType(f) === 0x0800 && f[14 + 9] === 17);
    // bpf_fib_lookup SUCCESS for each: TTL 63, the route's gateway MAC and its device's, in arrival order
    expect(udp('eth1').map((f) => f[14 + 19])).toEqual(xs.filter((x) => x < 128));
    expect(udp('eth0').map((f) => f[14 + 19])).toEqual(xs.filter((x) => x >= 128));
    for (const f of udp('eth1')) expect([...f.subarray(0, 12), f[14 + 8]]).toEqual([...bytes(GW), ...bytes(M1), 63]);
    for (const f of udp('eth0')) expect([...f.subarray(0, 12), f[14 + 8]]).toEqual([...bytes(OLD), ...bytes(M0), 63]);
    // every datagram answered from its own record (where the build keeps them): its slot skips the short frames
    if (fx.dp.fastPath.global('FIB_ANSWERS') !== 0) expect(hits() - h0).toBe(xs.length);
  });

  it('are made through the rules too: a rule on the source sends its frames to another table, the others reach main from their records', async () => {
    // fib_rules_lookup (net/core/fib_rules.c): rule 100 `from 192.0.2.7 lookup 100` matches on the flow's
    // source (fib4_rule_match: saddr ^ src under the mask), so 192.0.2.7's datagrams take table 100's
    // route via 192.0.2.3 (OLD, out of eth0); everyone else's fall through to main's rule and its route
    // via 198.51.100.2 (GW, out of eth1). The records are made with each frame's own source.
    const { fx, hits } = await router();
    fx.ip('rule add from 192.0.2.7/32 lookup 100 pref 100');
    fx.ip('route add 203.0.113.0/24 via 192.0.2.3 dev eth0 table 100');
    burst(fx, [frame(1)]); // the program's FIB hint is set from here on
    const srcs = Array.from({ length: 24 }, (_, i) => (i % 3 === 1 ? '192.0.2.7' : `192.0.2.${20 + i}`));
    const h0 = hits();
    const out = burst(fx, srcs.map((src, i) => frameFrom(src, 10, 5000 + i)));
    const udp = (dev: string) => (out.get(dev) ?? []).filter((f) => etherType(f) === 0x0800 && f[14 + 9] === 17);
    const sport = (f: Uint8Array) => (f[34]! << 8) | f[35]!;
    expect(udp('eth1').map(sport)).toEqual(srcs.flatMap((s, i) => (s === '192.0.2.7' ? [] : [5000 + i])));
    expect(udp('eth0').map(sport)).toEqual(srcs.flatMap((s, i) => (s === '192.0.2.7' ? [5000 + i] : [])));
    for (const f of udp('eth1')) expect([...f.subarray(0, 12), f[14 + 8]]).toEqual([...bytes(GW), ...bytes(M1), 63]);
    for (const f of udp('eth0')) expect([...f.subarray(0, 12), f[14 + 8]]).toEqual([...bytes(OLD), ...bytes(M0), 63]);
    // main's answers from the records (where the build keeps them); table 100's from the helper
    if (fx.dp.fastPath.global('FIB_ANSWERS') !== 0) expect(hits() - h0).toBe(srcs.filter((s) => s !== '192.0.2.7').length);
  });

  it('reuse the rules\' decision for one sender only while its TOS and protocol are the same: a rule on the TOS, then one on the protocol, sends every other frame to another table', async () => {
    // fib4_rule_match (net/ipv4/fib_rules.c): a rule with a dscp matches a flow whose TOS carries that
    // dscp (`tos 0x10`), one with ip_proto (`ipproto tcp`) a flow of that protocol; the others fall
    // through to main. One sender, one destination, TOS (then protocol) alternating within a burst: the
    // frames the rule matches take table 100's route via 192.0.2.3 (OLD, out of eth0), the others main's
    // via 198.51.100.2 (GW, out of eth1), whatever frame went before them.
    const { fx } = await router();
    fx.ip('route add 203.0.113.0/24 via 192.0.2.3 dev eth0 table 100');
    const sent = (frames: Uint8Array[]) => {
      const out = burst(fx, frames);
      // the datagrams that left each device, by their source port
      const ports = (dev: string) => (out.get(dev) ?? []).filter((f) => etherType(f) === 0x0800).map((f) => (f[34]! << 8) | f[35]!);
      return { eth0: ports('eth0'), eth1: ports('eth1') };
    };
    const datagram = (i: number, tos: number, proto: number) =>
      eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '203.0.113.10', proto, tos, ttl: 64, df: true }, udp4('192.0.2.2', '203.0.113.10', 7000 + i, 9, new Uint8Array(18))));
    const odd = (n: number, odd: boolean) => Array.from({ length: n }, (_, i) => 7000 + i).filter((p) => ((p - 7000) % 2 === 1) === odd);

    fx.ip('rule add tos 0x10 lookup 100 pref 100');
    burst(fx, [frame(1)]); // the program's FIB hint is set from here on
    const byTos = sent(Array.from({ length: 16 }, (_, i) => datagram(i, i % 2 === 1 ? 0x10 : 0, 17)));
    expect(byTos.eth0).toEqual(odd(16, true));
    expect(byTos.eth1).toEqual(odd(16, false));

    fx.ip('rule del pref 100');
    fx.ip('rule add ipproto tcp lookup 100 pref 100');
    // a UDP header under protocol 6 is still 4 bytes of ports to the router: it forwards without reading more
    const byProto = sent(Array.from({ length: 16 }, (_, i) => datagram(i, 0, i % 2 === 1 ? 6 : 17)));
    expect(byProto.eth0).toEqual(odd(16, true));
    expect(byProto.eth1).toEqual(odd(16, false));
  });

  it('pick a multipath route\'s next hop per flow from the records as ip_forward picks it for the same datagram', async () => {
    // fib_multipath_hash policy 0 hashes the flow's saddr and daddr alone, from fl4 in bpf_fib_lookup
    // and from the IP header in ip_route_input (ip_multipath_l3_keys), with the same seed: the XDP
    // router and the stack send each datagram to the same gateway. 32 sources, one destination.
    const G2 = '02:00:00:00:1e:02';
    const { fx, hits } = await multipathRouter('198.51.100.3', G2);
    const h0 = hits();
    const viaXdp = dmacs(burst(fx, senders));
    if (fx.dp.fastPath.global('FIB_ANSWERS') !== 0) expect(hits() - h0).toBe(senders.length);
    fx.devs.get('eth0')!.detachXdp();
    const viaStack = dmacs(burst(fx, senders));
    expect(viaXdp.size).toBe(senders.length);
    expect(viaXdp).toEqual(viaStack);
    // both gateways carry some of the 32 flows
    expect(new Set(viaXdp.values())).toEqual(new Set([GW, G2]));
  });

  it('clear the next hops\' answers when the count of walks wraps: the next walk 1 does not take walk 1\'s answer, made before the gateway\'s neighbour changed', async () => {
    const NEWGW = '02:00:00:00:1e:0b';
    const { fx } = await router();
    if (fx.dp.fastPath.global('FIB_ANSWERS') === 0) return; // the shared build keeps no answers
    const walks = fx.dp.fastPath.exports['nhMemoWalk'] as WebAssembly.Global;
    burst(fx, [frame(1)]); // the program's FIB hint is set from here on
    walks.value = 0; // the next walk is walk 1
    const before = burst(fx, [frame(5), frame(6)]).get('eth1') ?? [];
    expect(before.map((f) => Array.from(f.subarray(0, 6)))).toEqual([bytes(GW), bytes(GW)]);
    fx.ip(`neigh replace 198.51.100.2 lladdr ${NEWGW} dev eth1 nud permanent`);
    walks.value = 0xffffffff; // the next walk wraps the count to walk 1 again
    const after = burst(fx, [frame(7)]).get('eth1') ?? [];
    expect(after.map((f) => Array.from(f.subarray(0, 6)))).toEqual([bytes(NEWGW)]);
  });

  it('keep a route\'s answer from one burst to the next only while the FIB and the gateway\'s neighbour are as they were: the gateway\'s MAC replaced, then the route replaced by one via another gateway', async () => {
    // the walk's route memo (fib_helper.ts ROUTE_MEMO) outlives its walk at the same FIB generation, its
    // next hop's part (the neighbour's MAC) made again by each walk
    const G3 = '02:00:00:00:1e:03';
    const NEWGW = '02:00:00:00:1e:0b';
    const { fx } = await router();
    fx.ip(`neigh add 198.51.100.3 lladdr ${G3} dev eth1 nud permanent`);
    burst(fx, [frame(1)]); // the program's FIB hint is set from here on
    const macsOf = (xs: number[]) => (burst(fx, xs.map((x) => frame(x))).get('eth1') ?? []).map((f) => Array.from(f.subarray(0, 12)));
    expect(macsOf([2, 3])).toEqual([[...bytes(GW), ...bytes(M1)], [...bytes(GW), ...bytes(M1)]]);
    fx.ip(`neigh replace 198.51.100.2 lladdr ${NEWGW} dev eth1 nud permanent`);
    expect(macsOf([4, 5])).toEqual([[...bytes(NEWGW), ...bytes(M1)], [...bytes(NEWGW), ...bytes(M1)]]);
    fx.ip('route replace 203.0.113.0/25 via 198.51.100.3 dev eth1');
    expect(macsOf([6, 7])).toEqual([[...bytes(G3), ...bytes(M1)], [...bytes(G3), ...bytes(M1)]]);
  });

  it('take a next hop\'s MACs from this walk\'s own answer for that gateway: two gateways whose last octets share a slot, then one\'s neighbour replaced between bursts', async () => {
    // 198.51.100.2 and .18: the walk keeps each next hop's answer by the gateway's last octet mod 16
    // (fib_helper.ts NH_MEMO), where these two meet. A 2-way route over them: each datagram must leave
    // with its own gateway's MAC, the one ip_forward gives it; and after `ip neigh replace` gives .18 a
    // new MAC, the next burst's frames to .18 carry the new one (bpf_fib_lookup copies neigh->ha). That
    // burst's walk also hashes its frames' addresses four at a time (the first walk met a multipath
    // route: mp_hash4_addrs_many), so a hash given to the wrong frame sends a flow to the other gateway.
    const G18 = '02:00:00:00:1e:12';
    const G18b = '02:00:00:00:1e:13';
    const { fx } = await multipathRouter('198.51.100.18', G18);
    const first = dmacs(burst(fx, senders));
    fx.ip(`neigh replace 198.51.100.18 lladdr ${G18b} dev eth1 nud permanent`);
    const second = dmacs(burst(fx, senders));
    fx.devs.get('eth0')!.detachXdp();
    const viaStack = dmacs(burst(fx, senders));
    expect(second).toEqual(viaStack);
    expect(second.size).toBe(senders.length);
    // the same gateway for each flow both times, .18's flows with its MAC of the time
    const to18 = [...first.keys()].filter((k) => first.get(k) !== GW);
    expect(to18.length).toBeGreaterThan(0);
    expect(to18.length).toBeLessThan(senders.length);
    for (const k of to18) {
      expect(first.get(k)).toBe(G18);
      expect(second.get(k)).toBe(G18b);
    }
  });

  it('answer each frame by its own TOS where consecutive frames share a route: a TOS-selected route\'s frames alternate with frames of another TOS', async () => {
    // fib_table_lookup (net/ipv4/fib_trie.c) skips an alias whose fa_dscp is set and differs from the
    // flow's (fib_dscp_masked_match): 203.0.113.0/25 tos 0x10 via 198.51.100.2 (GW, eth1) answers only
    // TOS 0x10; the others back off to 203.0.113.0/24 via 192.0.2.3 (OLD, eth0). The frames alternate
    // between the two TOS values to destinations under the same /25, so each frame's route handle is
    // the one before it's.
    const { fx, hits } = await router();
    fx.ip('route del 203.0.113.0/25');
    fx.ip('route add 203.0.113.0/25 tos 0x10 via 198.51.100.2 dev eth1');
    fx.ip('route add 203.0.113.0/24 via 192.0.2.3 dev eth0');
    burst(fx, [frame(1)]); // the program's FIB hint is set from here on
    const tosFrame = (x: number, tos: number): Uint8Array =>
      eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: `203.0.113.${x}`, proto: 17, ttl: 64, tos, df: true }, udp4('192.0.2.2', `203.0.113.${x}`, 4000 + x, 9, new Uint8Array(18))));
    const xs = Array.from({ length: 16 }, (_, i) => 2 + i);
    const h0 = hits();
    const out = burst(fx, xs.map((x, i) => tosFrame(x, i % 4 < 2 ? 0x10 : 0)));
    const udp = (dev: string) => (out.get(dev) ?? []).filter((f) => etherType(f) === 0x0800 && f[14 + 9] === 17);
    expect(udp('eth1').map((f) => f[14 + 19])).toEqual(xs.filter((_, i) => i % 4 < 2));
    expect(udp('eth0').map((f) => f[14 + 19])).toEqual(xs.filter((_, i) => i % 4 >= 2));
    for (const f of udp('eth1')) expect([...f.subarray(0, 12), f[14 + 1]]).toEqual([...bytes(GW), ...bytes(M1), 0x10]);
    for (const f of udp('eth0')) expect([...f.subarray(0, 12), f[14 + 1]]).toEqual([...bytes(OLD), ...bytes(M0), 0]);
    if (fx.dp.fastPath.global('FIB_ANSWERS') !== 0) expect(hits() - h0).toBeGreaterThan(0);
  });

  it('give a frame the MACs of its own route\'s gateway after a frame whose gateway has no neighbour: the route before it, then a gateway to resolve, then the route again', async () => {
    // 203.0.113.0/25 via 198.51.100.2 (GW), .128/26 via 198.51.100.3 (G3), .192/26 via 198.51.100.4 with
    // no neighbour entry (bpf_fib_lookup: NO_NEIGH, the program passes the frame to the stack, which
    // resolves it). Each datagram the program forwards leaves with its own gateway's MAC (neigh->ha).
    const G3 = '02:00:00:00:1e:03';
    const { fx } = await router();
    fx.ip(`neigh add 198.51.100.3 lladdr ${G3} dev eth1 nud permanent`);
    fx.ip('route add 203.0.113.128/26 via 198.51.100.3 dev eth1');
    fx.ip('route add 203.0.113.192/26 via 198.51.100.4 dev eth1');
    burst(fx, [frame(1)]); // the program's FIB hint is set from here on
    const xs = [2, 130, 3, 200, 4, 131, 5];
    const out = burst(fx, xs.map((x) => frame(x)));
    const udp = (out.get('eth1') ?? []).filter((f) => etherType(f) === 0x0800 && f[14 + 9] === 17);
    const mac = (f: Uint8Array) => Array.from(f.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':');
    expect(udp.map((f) => [f[14 + 19], mac(f)])).toEqual(xs.filter((x) => x < 192).map((x) => [x, x < 128 ? GW : G3]));
  });

  it('give each route\'s frames their own gateway\'s MACs when a burst meets more routes than the walk keeps answers for: 32 routes, each via its own gateway, met twice in turn', async () => {
    // 203.0.113.4k/30 via 198.51.100.(10 + k), k = 0..31, each gateway with its own MAC on eth1. The
    // walk keeps the answers of routes it met by route handle in 256 entries (fib_helper.ts ROUTE_MEMO),
    // where some of these may meet, and each next hop's by its gateway's last octet in 16 (NH_MEMO),
    // where .10 and .26 (and every such pair) do; each datagram must still leave with the MAC of its own
    // route's gateway (bpf_fib_lookup: fib_table_lookup's longest prefix, then neigh->ha of its gateway).
    const { fx, hits } = await router();
    const gwMac = (k: number) => `02:00:00:00:2e:${(0x10 + k).toString(16)}`;
    for (let k = 0; k < 32; k++) {
      fx.ip(`neigh add 198.51.100.${10 + k} lladdr ${gwMac(k)} dev eth1 nud permanent`);
      fx.ip(`route add 203.0.113.${4 * k}/30 via 198.51.100.${10 + k} dev eth1`);
    }
    burst(fx, [frame(1)]); // the program's FIB hint is set from here on
    const ks = [...Array.from({ length: 32 }, (_, k) => k), ...Array.from({ length: 32 }, (_, k) => k)];
    const h0 = hits();
    const out = burst(fx, ks.map((k) => frame(4 * k + 1 + (k & 1))));
    const udp = (out.get('eth1') ?? []).filter((f) => etherType(f) === 0x0800 && f[14 + 9] === 17);
    const mac = (f: Uint8Array) => Array.from(f.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':');
    expect(udp.map((f) => [f[14 + 19], mac(f)])).toEqual(ks.map((k) => [4 * k + 1 + (k & 1), gwMac(k)]));
    if (fx.dp.fastPath.global('FIB_ANSWERS') !== 0) expect(hits() - h0).toBe(ks.length);
  });

  it('walk with main\'s direct table as it is after a load grew it: a burst after 2^18 prefixes (S 18 → 24) and a longer prefix', async () => {
    // poptrie.ts ptGrow: a batch that leaves 2^18 prefixes publishes a new direct table (S = 24) and
    // retires the old one, reclaimed at the load's end. The poll computes each destination's direct
    // entry address as it gathers the burst, with the direct table the last walk read; the walk must
    // see that main's is another now. The load also adds 203.0.113.0/26 via 192.0.2.3 (OLD, eth0), which
    // the frames to 203.0.113.3 and .4 take (longest prefix) instead of the /25 via 198.51.100.2.
    const { fx, hits } = await router();
    burst(fx, [frame(1)]); // the program's FIB hint is set from here on
    burst(fx, [frame(2)]); // a walk has read S = 18's direct table
    const routes = Array.from({ length: 1 << 18 }, (_, i) => ({ dst: `10.${i >> 10}.${(i >> 2) & 255}.${(i & 3) << 6}/26`, via: '198.51.100.2', dev: 'eth1' }));
    // main's LPM (fib.ts TB_LPM at +12) and its direct table's word (lpm_heap.ts HDR_DIR at +12): S in the low 6 bits
    const x = fx.dp.fastPath.exports as unknown as { fib_table_get(family: number, id: number): number };
    const sBits = () => fx.dp.memory.view().getUint32(fx.dp.memory.view().getUint32(x.fib_table_get(2, 254) + 12, true) + 12, true) & 63;
    expect(sBits()).toBe(18);
    fx.dp.routes.load([...routes, { dst: '203.0.113.0/26', via: '192.0.2.3', dev: 'eth0' }]);
    expect(sBits()).toBe(24);
    const h0 = hits();
    const out = burst(fx, [frame(3), frame(4)]);
    const udp = (out.get('eth0') ?? []).filter((f) => etherType(f) === 0x0800 && f[14 + 9] === 17);
    expect(udp.map((f) => [f[14 + 19], ...f.subarray(0, 12)])).toEqual([3, 4].map((d) => [d, ...bytes(OLD), ...bytes(M0)]));
    // both answered from the walk's records (where the build keeps them), made from the new direct table
    if (fx.dp.fastPath.global('FIB_ANSWERS') !== 0) expect(hits() - h0).toBe(2);
  }, 60_000);
});
