// Frames in bursts: napi.ts hands the stack what a poll passes a burst at a time, after the FIB is warmed
// for the burst's destinations (fib_prefetch.ts), and warms it before a burst of an XDP program that calls
// bpf_fib_lookup; the route cache steps aside while it misses. None of that may change an answer: a burst
// of 64 frames polled at once leaves exactly as the same frames polled one by one, each by its own route
// (the gateway for its destination, drawn by hand below), and a route change is seen by the next frame.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Fixture, stackUnready, eth, ipv4, udp4, type LinkCfg, type NeighCfg, type RouteCfg } from './support.js';

const M0 = '02:00:00:00:0c:00'; // router eth0
const M1 = '02:00:00:00:0c:01'; // router eth1
const H0 = '02:00:00:00:0d:00'; // the sender on eth0's link
const GW = ['02:00:00:00:0e:00', '02:00:00:00:0e:01']; // gateways 198.51.100.2 and .3 on eth1's link
const LINKS: LinkCfg[] = [
  { name: 'eth0', mac: M0, forwarding: true, v4: ['192.0.2.1/24'] },
  { name: 'eth1', mac: M1, forwarding: true, v4: ['198.51.100.1/24'] },
];
// 203.0.113.0/24 cut into /28s, alternately via gateway 0 and 1, the /29 at .16 via gateway 0 inside
// the /28 at .16 via gateway 1 (the longest prefix wins), the /28 at .224 a blackhole
const ROUTES: RouteCfg[] = [
  ...Array.from({ length: 14 }, (_, i) => ({ dst: `203.0.113.${i * 16}/28`, via: `198.51.100.${2 + (i % 2)}`, dev: 'eth1' })),
  { dst: '203.0.113.16/29', via: '198.51.100.2', dev: 'eth1' },
  { dst: '203.0.113.224/28', dev: 'eth1', type: 'blackhole' },
];
const NEIGH: NeighCfg[] = [
  { dev: 'eth0', addr: '192.0.2.2', mac: H0 },
  { dev: 'eth1', addr: '198.51.100.2', mac: GW[0]! },
  { dev: 'eth1', addr: '198.51.100.3', mac: GW[1]! },
];
const ROUTER = fileURLToPath(new URL('../../programs/xdp_fib_forward.o', import.meta.url));

/** The gateway (0, 1) of 203.0.113.x as the table above says; -1: blackhole. */
function gatewayOf(x: number): number {
  if (x >= 224 && x < 240) return -1;
  if (x >= 16 && x < 24) return 0;
  return (x >> 4) % 2;
}

const macBytes = (m: string) => Uint8Array.from(m.split(':').map((h) => parseInt(h, 16)));
const frame = (x: number, src = '192.0.2.2'): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src, dst: `203.0.113.${x}`, proto: 17, ttl: 64 }, udp4(src, `203.0.113.${x}`, 1000 + x, 9, new Uint8Array(18))));

/** 64 destinations over the whole /24 (every /28, the nested /29, the blackhole), in a scrambled order. */
const DESTS = Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff).filter((x) => x < 240);

async function router(withProgram: boolean): Promise<Fixture> {
  const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
  if (withProgram) {
    const obj = await fx.dp.loadObject(ROUTER);
    fx.devs.get('eth0')!.attachXdp(obj.program('xdp_fib_forward'));
  }
  return fx;
}

/** The frames of DESTS through eth0: all in one poll, or one poll each. What eth1 sent, and the counters. */
async function run(withProgram: boolean, oneByOne: boolean): Promise<{ out: Uint8Array[]; counters: Record<string, number> }> {
  const fx = await router(withProgram);
  const eth0 = fx.devs.get('eth0')!;
  // twice: the second round finds the program's FIB hint set (napi warms before its burst)
  let out: Uint8Array[] = [];
  for (let round = 0; round < 2; round++) {
    if (oneByOne) {
      for (const x of DESTS) {
        expect(eth0.inject(frame(x))).toBe(true);
        eth0.poll();
      }
    } else {
      expect(eth0.injectBatch(DESTS.map((x) => frame(x)))).toBe(DESTS.length);
      expect(eth0.poll({ budget: 64 })).toBe(DESTS.length);
    }
    out = fx.tx().get('eth1') ?? [];
  }
  return { out, counters: fx.nonzero() };
}

const unready = await stackUnready();

describe.skipIf(unready)('a burst through the stack', () => {
  it('leaves by each frame own route: the gateway of its destination, TTL one less, in arrival order', async () => {
    const { out } = await run(false, false);
    const forwarded = DESTS.filter((x) => gatewayOf(x) >= 0);
    expect(out).toHaveLength(forwarded.length);
    out.forEach((f, i) => {
      const x = forwarded[i]!;
      expect(f.subarray(0, 6)).toEqual(macBytes(GW[gatewayOf(x)]!));
      expect(f.subarray(6, 12)).toEqual(macBytes(M1));
      expect(f[14 + 19]).toBe(x); // the destination's last octet
      expect(f[14 + 8]).toBe(63);
    });
  });

  it('is what the same frames polled one by one give, frames and counters alike', async () => {
    const burst = await run(false, false);
    const single = await run(false, true);
    expect(burst.out).toEqual(single.out);
    expect(burst.counters).toEqual(single.counters);
    // the blackholed ones, counted as the kernel's ip_error counts them (both rounds)
    const holes = DESTS.filter((x) => gatewayOf(x) < 0).length;
    expect(burst.counters['drop:IP_BLACKHOLE']).toBe(2 * holes);
  });

  it('sees a route change at the next frame after random destinations made the route cache step aside', async () => {
    const fx = await router(false);
    const eth0 = fx.devs.get('eth0')!;
    // 1536 lookups of distinct flows (source × destination): the cache misses them all and steps aside
    for (let k = 0; k < 24; k++) {
      eth0.injectBatch(Array.from({ length: 64 }, (_, i) => frame(32 + (i % 32), `192.0.2.${2 + 2 * k + (i >> 5)}`)));
      eth0.poll({ budget: 64 });
      fx.tx();
    }
    fx.ip('route replace 203.0.113.32/28 via 198.51.100.3 dev eth1');
    const sent = fx.rx('eth0', frame(33)).get('eth1')!;
    expect(sent).toHaveLength(1);
    expect(sent[0]!.subarray(0, 6)).toEqual(macBytes(GW[1]!));
    fx.ip('route replace 203.0.113.32/28 via 198.51.100.2 dev eth1');
    expect(fx.rx('eth0', frame(33)).get('eth1')![0]!.subarray(0, 6)).toEqual(macBytes(GW[0]!));
  });
});

describe.skipIf(unready)('the answers a burst walk keeps', () => {
  it('are not what a later lookup of the same destination gets once a route changed, with no burst between', async () => {
    const fx = await router(false);
    const eth0 = fx.devs.get('eth0')!;
    eth0.injectBatch(DESTS.map((x) => frame(x)));
    eth0.poll({ budget: 64 });
    fx.tx();
    // 203.0.113.48 (one of the burst's) is in the /28 at .48, via gateway 1; then a /32 for it via gateway 0
    expect(fx.dp.routes.get({ to: '203.0.113.48' })).toMatchObject({ gateway: '198.51.100.3' });
    fx.ip('route add 203.0.113.48/32 via 198.51.100.2 dev eth1');
    expect(fx.dp.routes.get({ to: '203.0.113.48' })).toMatchObject({ gateway: '198.51.100.2' });
    fx.ip('route del 203.0.113.48/32');
    fx.ip('route replace 203.0.113.48/28 via 198.51.100.2 dev eth1');
    expect(fx.dp.routes.get({ to: '203.0.113.48' })).toMatchObject({ gateway: '198.51.100.2' });
  });
});

describe.skipIf(unready)('the neighbour the output path remembers', () => {
  it('is given up when the entry is deleted: the next frame goes to the new entry MAC', async () => {
    const fx = await router(false);
    const NEW = '02:00:00:00:0e:7f';
    // 203.0.113.48 is in the /28 at .48, via gateway 1 (198.51.100.3)
    expect(fx.rx('eth0', frame(48)).get('eth1')![0]!.subarray(0, 6)).toEqual(macBytes(GW[1]!));
    expect(fx.rx('eth0', frame(48)).get('eth1')![0]!.subarray(0, 6)).toEqual(macBytes(GW[1]!));
    fx.ip('neigh del 198.51.100.3 dev eth1');
    fx.ip(`neigh add 198.51.100.3 lladdr ${NEW} dev eth1 nud permanent`);
    expect(fx.rx('eth0', frame(48)).get('eth1')![0]!.subarray(0, 6)).toEqual(macBytes(NEW));
    fx.ip(`neigh replace 198.51.100.3 lladdr ${GW[1]!} dev eth1 nud permanent`);
    expect(fx.rx('eth0', frame(48)).get('eth1')![0]!.subarray(0, 6)).toEqual(macBytes(GW[1]!));
  });
});

describe.skipIf(unready || !existsSync(ROUTER))('a burst through an XDP router (bpf_fib_lookup, bpf_redirect)', () => {
  it('redirects each frame by its own lookup, as the same frames one by one and as the stack forwards them', async () => {
    const burst = await run(true, false);
    const single = await run(true, true);
    const stack = await run(false, false);
    expect(burst.out).toEqual(single.out);
    expect(burst.out.map((f) => Array.from(f.subarray(0, 34)))).toEqual(stack.out.map((f) => Array.from(f.subarray(0, 34))));
  });
});

// The helper reads a frame's answer by its slot among the destinations the poll warmed (napi.ts counts
// the untagged IPv4 frames of at least 34 bytes), so frames that get no slot — too short for an IPv4
// header, ARP — sit between those that do: each forwarded frame must still leave by its own gateway.
describe.skipIf(unready || !existsSync(ROUTER))('a burst through an XDP router with frames that are not IPv4 between the others', () => {
  it('forwards each IPv4 frame by its own destination\'s gateway, in order, as one by one', async () => {
    const short = eth({ dst: M0, src: H0, type: 0x0800 }, new Uint8Array(16)); // 30 bytes: no IPv4 header
    const arp = eth({ dst: M0, src: H0, type: 0x0806 }, new Uint8Array(28));
    const frames: Uint8Array[] = [];
    const sent: number[] = [];
    for (const [i, x] of DESTS.entries()) {
      if (i % 5 === 1) frames.push(short);
      else if (i % 7 === 3) frames.push(arp);
      if (frames.length === 64) break;
      frames.push(frame(x));
      sent.push(x);
      if (frames.length === 64) break;
    }
    const outs: Uint8Array[][] = [];
    for (const oneByOne of [false, true]) {
      const fx = await router(true);
      const eth0 = fx.devs.get('eth0')!;
      for (let round = 0; round < 2; round++) {
        if (oneByOne) {
          for (const f of frames) {
            expect(eth0.inject(f)).toBe(true);
            eth0.poll();
          }
        } else {
          expect(eth0.injectBatch(frames)).toBe(frames.length);
          expect(eth0.poll({ budget: 64 })).toBe(frames.length);
        }
        outs.push(fx.tx().get('eth1') ?? []);
      }
    }
    const forwarded = sent.filter((x) => gatewayOf(x) >= 0);
    for (const out of outs) {
      expect(out).toHaveLength(forwarded.length);
      out.forEach((f, i) => {
        expect(f[14 + 19]).toBe(forwarded[i]);
        expect(f.subarray(0, 6)).toEqual(macBytes(GW[gatewayOf(forwarded[i]!)]!));
        expect(f[14 + 8]).toBe(63);
      });
    }
  });
});

// The lean paths (fwd4_lean.ts for the stack, ipv4Lean in fib_helper.ts for bpf_fib_lookup) take a
// forwarded frame's route whole from the burst walk's answer while no rule was ever added. A rule that
// matches nothing changes no answer in the kernel (fib_rules_lookup walks on to main), but here it
// turns the lean route off (every lookup walks the rules): the same frames through both routers, with
// the FIB, the neighbours and the devices changed between bursts, must leave alike.
describe.skipIf(unready)('the route a burst walk gives whole', () => {
  const ARP = 0x0806;
  const etherType = (f: Uint8Array) => (f[12]! << 8) | f[13]!;

  /** What eth1 sent for each of five bursts of DESTS: as set up, after a route change, a multipath route, a neighbour deleted, eth1 down. */
  async function steps(withProgram: boolean, rule: boolean): Promise<{ outs: Uint8Array[][]; counters: Record<string, number> }> {
    const fx = await router(withProgram);
    if (rule) fx.ip('rule add pref 100 from 192.0.2.200 lookup 100');
    const eth0 = fx.devs.get('eth0')!;
    const burst = (): Uint8Array[] => {
      expect(eth0.injectBatch(DESTS.map((x) => frame(x)))).toBe(DESTS.length);
      eth0.poll({ budget: 64 });
      return fx.tx().get('eth1') ?? [];
    };
    burst(); // the program's FIB hint is set from here on
    const outs = [burst()];
    fx.ip('route replace 203.0.113.48/28 via 198.51.100.2 dev eth1');
    outs.push(burst());
    // a multipath route: the lean route leaves it to the full lookup (the multipath hash)
    fx.ip('route replace 203.0.113.64/28 nexthop via 198.51.100.2 dev eth1 nexthop via 198.51.100.3 dev eth1');
    outs.push(burst());
    fx.ip('neigh del 198.51.100.3 dev eth1');
    outs.push(burst());
    fx.ip('link set dev eth1 down');
    outs.push(burst());
    return { outs, counters: fx.nonzero() };
  }

  for (const withProgram of [false, true]) {
    it(`${withProgram ? 'by the XDP router' : 'by the stack'}: leave as through the rules, after a route change, a multipath route, a neighbour deleted and the device down`, async () => {
      const lean = await steps(withProgram, false);
      const full = await steps(withProgram, true);
      expect(lean.outs).toEqual(full.outs);
      expect(lean.counters).toEqual(full.counters);
      const [first, moved, multipath, noNeigh, down] = lean.outs as [Uint8Array[], Uint8Array[], Uint8Array[], Uint8Array[], Uint8Array[]];
      const via = (out: Uint8Array[], x: number) => out.find((f) => etherType(f) === 0x0800 && f[14 + 19] === x)?.subarray(0, 6);
      // 203.0.113.48 (in DESTS) is in the /28 at .48: via gateway 1, then (route replace) via gateway 0
      expect(DESTS).toContain(48);
      expect(via(first, 48)).toEqual(macBytes(GW[1]!));
      expect(via(moved, 48)).toEqual(macBytes(GW[0]!));
      // every frame of the burst still leaves, those of the multipath /28 by one of its two gateways
      expect(multipath.length).toBe(first.length);
      for (const x of DESTS.filter((d) => d >= 64 && d < 80)) expect([GW[0], GW[1]].map((m) => macBytes(m!))).toContainEqual(via(multipath, x));
      // gateway 1 unresolved: nothing to its old MAC, an ARP request for it; gateway 0's frames unchanged
      expect(noNeigh.filter((f) => etherType(f) === 0x0800 && f.subarray(0, 6).every((b, i) => b === macBytes(GW[1]!)[i]))).toEqual([]);
      expect(noNeigh.some((f) => etherType(f) === ARP && f[21] === 1 && Array.from(f.subarray(38, 42)).join('.') === '198.51.100.3')).toBe(true);
      expect(via(noNeigh, 48)).toEqual(macBytes(GW[0]!));
      // eth1 down: nothing leaves it
      expect(down).toEqual([]);
    });
  }
});

// With rules added the lean paths walk the rules each frame's flow key matches (fib.ts
// fib4BurstRuleRouteAt / fib4_burst_rule_route: the rule memo, goto and nop followed, table local and
// empty tables passed over, main's route taken whole) and leave everything else to the full lookup.
// Expected by hand from fib_rules_lookup's order: from .2, goto 200 skips the blackhole at 100, nop at
// 200, table 101 (no routes) passed over, then main (each /28's gateway, main's blackhole drops); from
// .9, table 100's default via gateway 1 for every destination (main's blackhole never reached); from
// .7, the blackhole rule drops all. Sources interleaved in each burst, so the memo changes flow by flow.
describe.skipIf(unready)('a burst through rules', () => {
  const RULES = [
    'rule add pref 50 from 192.0.2.2 goto 200',
    'rule add pref 100 from 192.0.2.2 blackhole',
    'rule add pref 150 from 192.0.2.7 blackhole',
    'rule add pref 200 nop',
    'rule add pref 300 from 192.0.2.9 lookup 100',
    'rule add pref 400 from 192.0.2.2 lookup 101',
    'route add default via 198.51.100.3 dev eth1 table 100',
  ];
  const SRCS = ['192.0.2.2', '192.0.2.9', '192.0.2.7'];
  /** Frame i of the burst: destination DESTS[i % n], source SRCS[i % 3]. */
  const burstFrames = DESTS.map((x, i) => ({ x, src: SRCS[i % 3]! }));

  for (const withProgram of [false, true]) {
    it(`${withProgram ? 'by the XDP router' : 'by the stack'}: each frame leaves by the table its source's rules lead to`, async () => {
      const fx = await router(withProgram);
      for (const l of RULES) fx.ip(l);
      const eth0 = fx.devs.get('eth0')!;
      let out: Uint8Array[] = [];
      for (let round = 0; round < 3; round++) {
        expect(eth0.injectBatch(burstFrames.map((f) => frame(f.x, f.src)))).toBe(burstFrames.length);
        eth0.poll({ budget: 64 });
        out = (fx.tx().get('eth1') ?? []).filter((f) => ((f[12]! << 8) | f[13]!) === 0x0800);
      }
      const want = burstFrames
        .filter((f) => f.src === '192.0.2.9' || (f.src === '192.0.2.2' && gatewayOf(f.x) >= 0))
        .map((f) => ({ src: f.src, x: f.x, mac: f.src === '192.0.2.9' ? GW[1]! : GW[gatewayOf(f.x)]! }));
      const got = out.map((f) => ({
        src: Array.from(f.subarray(26, 30)).join('.'),
        x: f[33]!,
        mac: Array.from(f.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':'),
      }));
      expect(got).toEqual(want);
      // TTL one less on every one
      for (const f of out) expect(f[22]).toBe(63);
    });
  }
});

// A multipath route on the lean paths: fib4_mp_pick (fib.ts) chooses the next hop for fwd4_lean.ts and
// bpf_fib_lookup's ipv4Lean without the full lookup's scoring walk when no next hop has the flow's
// source as its own; the choice must be fib_select_multipath's, which `ip route get … iif` answers
// through the full path (and which tests/net/fib_gaps_kernel.test.ts holds to the kernel's). Four next
// hops with weights 1..4, policies 0 and 1 (L3, L4), with the hash seed set and without.
describe.skipIf(unready)('a burst to a multipath route', () => {
  const GWS = ['198.51.100.2', '198.51.100.3', '198.51.100.4', '198.51.100.5'];
  const MACS = [...GW, '02:00:00:00:0e:02', '02:00:00:00:0e:03'];
  const mpFrame = (x: number, sport: number, src: string): Uint8Array =>
    eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src, dst: `203.0.113.${x}`, proto: 17, ttl: 64 }, udp4(src, `203.0.113.${x}`, sport, 9, new Uint8Array(18))));

  for (const withProgram of [false, true]) {
    for (const [policy, seed] of [[0, 0], [1, 0], [1, 4242], [0, 4242]] as const) {
      it(`${withProgram ? 'by the XDP router' : 'by the stack'}, policy ${policy}${seed ? ', seed set' : ''}: each flow leaves by the next hop ip route get gives it`, async () => {
        const fx = await router(withProgram);
        fx.dp.sysctl('net.ipv4.fib_multipath_hash_policy', policy);
        if (seed) fx.dp.sysctl('net.ipv4.fib_multipath_hash_seed', seed);
        fx.ip('neigh add 198.51.100.4 lladdr 02:00:00:00:0e:02 dev eth1 nud permanent');
        fx.ip('neigh add 198.51.100.5 lladdr 02:00:00:00:0e:03 dev eth1 nud permanent');
        fx.ip(`route add 203.0.113.240/28 ${GWS.map((g, i) => `nexthop via ${g} dev eth1 weight ${i + 1}`).join(' ')}`);
        // 64 flows: destinations over the /28, sources over the sender's /24, source ports spread
        const flows = Array.from({ length: 64 }, (_, i) => ({ x: 240 + (i % 16), sport: 1024 + ((i * 7919) & 0x7fff), src: `192.0.2.${2 + ((i * 5) % 200)}` }));
        const eth0 = fx.devs.get('eth0')!;
        let out: Uint8Array[] = [];
        for (let round = 0; round < 2; round++) {
          expect(eth0.injectBatch(flows.map((f) => mpFrame(f.x, f.sport, f.src)))).toBe(flows.length);
          eth0.poll({ budget: 64 });
          out = (fx.tx().get('eth1') ?? []).filter((f) => ((f[12]! << 8) | f[13]!) === 0x0800);
        }
        expect(out.length).toBe(flows.length);
        const used = new Set<string>();
        out.forEach((f, i) => {
          const fl = flows[i]!;
          expect(f[33]).toBe(fl.x);
          const r = fx.dp.routes.get({ to: `203.0.113.${fl.x}`, from: fl.src, iif: 'eth0', ipproto: 17, sport: fl.sport, dport: 9 });
          const mac = MACS[GWS.indexOf(r.gateway!)]!;
          used.add(mac);
          expect(Array.from(f.subarray(0, 6)), `flow ${i}`).toEqual(Array.from(macBytes(mac)));
        });
        // the flows spread over the next hops (policy 1 and the seed see the ports)
        expect(used.size).toBeGreaterThan(1);
      });
    }
  }
});

// The hash of a multipath route over the addresses alone is worked out from registers and its last
// answer kept by source, destination and seed (mphash.ts mp_hash4_addrs): a flow sent again after the
// seed changed must follow the new seed's hash — the next hop `ip route get` gives (the full path,
// which hashes the whole flow key and keeps nothing) under each seed, one chosen to differ from the
// other's.
describe.skipIf(unready)('a multipath route\'s hash for a flow sent before', () => {
  const GWS = ['198.51.100.2', '198.51.100.3', '198.51.100.4', '198.51.100.5'];
  const MACS = [...GW, '02:00:00:00:0e:02', '02:00:00:00:0e:03'];
  for (const withProgram of [false, true]) {
    it(`${withProgram ? 'by the XDP router' : 'by the stack'}: follows a new fib_multipath_hash_seed`, async () => {
      const fx = await router(withProgram);
      fx.ip('neigh add 198.51.100.4 lladdr 02:00:00:00:0e:02 dev eth1 nud permanent');
      fx.ip('neigh add 198.51.100.5 lladdr 02:00:00:00:0e:03 dev eth1 nud permanent');
      fx.ip(`route add 203.0.113.240/28 ${GWS.map((g) => `nexthop via ${g} dev eth1`).join(' ')}`);
      const gwFor = (seed: number): string => {
        fx.dp.sysctl('net.ipv4.fib_multipath_hash_seed', seed);
        return fx.dp.routes.get({ to: '203.0.113.241', from: '192.0.2.7', iif: 'eth0' }).gateway!;
      };
      const seeds = [1, 0];
      for (let s = 2; seeds[1] === 0; s++) if (gwFor(s) !== gwFor(1)) seeds[1] = s;
      const eth0 = fx.devs.get('eth0')!;
      for (const seed of [seeds[0]!, seeds[1]!, seeds[0]!]) {
        const want = MACS[GWS.indexOf(gwFor(seed))]!;
        // twice: the second round finds the program's FIB hint set
        let out: Uint8Array[] = [];
        for (let round = 0; round < 2; round++) {
          expect(eth0.injectBatch([frame(241, '192.0.2.7'), frame(241, '192.0.2.7')])).toBe(2);
          eth0.poll({ budget: 64 });
          out = (fx.tx().get('eth1') ?? []).filter((f) => ((f[12]! << 8) | f[13]!) === 0x0800);
        }
        expect(out).toHaveLength(2);
        for (const f of out) expect(Array.from(f.subarray(0, 6)), `seed ${seed}`).toEqual(Array.from(macBytes(want)));
      }
    });
  }
});

// fib_select_multipath (6.18) prefers the next hop whose nh_saddr is the flow's source. The lean
// choice (fib.ts mpChoose) asks each next hop only when their nh_saddr differ (FA_NH_SADDR_ONE): here
// one next hop out of eth1 (nh_saddr 198.51.100.1) and one out of eth0 (192.0.2.1), and an XDP router
// (which checks no source) asked for flows from 198.51.100.1: every one leaves by the eth1 next hop,
// as `ip route get … from 198.51.100.1` says — the hash alone would send some by eth0.
describe.skipIf(unready || !existsSync(ROUTER))('a multipath route whose next hops have their own sources', () => {
  it('by the XDP router: a flow from one of them leaves by that next hop whatever its hash', async () => {
    const fx = await router(true);
    fx.dp.sysctl('net.ipv4.fib_multipath_hash_seed', 4242);
    fx.ip('route add 203.0.113.240/28 nexthop via 198.51.100.2 dev eth1 nexthop via 192.0.2.2 dev eth0');
    const xs = Array.from({ length: 16 }, (_, i) => 240 + i);
    const gwOf = (x: number, from: string): string => fx.dp.routes.get({ to: `203.0.113.${x}`, from }).gateway!;
    for (const x of xs) expect(gwOf(x, '198.51.100.1')).toBe('198.51.100.2');
    const eth0 = fx.devs.get('eth0')!;
    let out: Uint8Array[] = [];
    for (let round = 0; round < 2; round++) {
      expect(eth0.injectBatch(xs.map((x) => frame(x, '198.51.100.1')))).toBe(xs.length);
      eth0.poll({ budget: 64 });
      out = (fx.tx().get('eth1') ?? []).filter((f) => ((f[12]! << 8) | f[13]!) === 0x0800);
    }
    expect(out.map((f) => f[33])).toEqual(xs);
    for (const f of out) expect(Array.from(f.subarray(0, 6))).toEqual(Array.from(macBytes(GW[0]!)));
  });
});

// The neighbour hint each next hop keeps (fib.ts NH_NEIGH, neigh.ts neigh4Hinted): an entry deleted and
// added again is a new entry; frames after it go to the new one's MAC, not the hint's old entry.
describe.skipIf(unready)('the neighbour a next hop remembers', () => {
  const mpFrameSport = (x: number, sport: number): Uint8Array =>
    eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: `203.0.113.${x}`, proto: 17, ttl: 64 }, udp4('192.0.2.2', `203.0.113.${x}`, sport, 9, new Uint8Array(18))));
  for (const withProgram of [false, true]) {
    it(`${withProgram ? 'by the XDP router' : 'by the stack'}: is given up when its entry is replaced by a new one`, async () => {
      const fx = await router(withProgram);
      const eth0 = fx.devs.get('eth0')!;
      const burst = (): Uint8Array[] => {
        expect(eth0.injectBatch(DESTS.map((x) => frame(x)))).toBe(DESTS.length);
        eth0.poll({ budget: 64 });
        return (fx.tx().get('eth1') ?? []).filter((f) => ((f[12]! << 8) | f[13]!) === 0x0800);
      };
      const macOf = (out: Uint8Array[], x: number) => out.find((f) => f[33] === x)?.subarray(0, 6);
      burst();
      expect(macOf(burst(), 48)).toEqual(macBytes(GW[1]!));
      fx.ip('neigh del 198.51.100.3 dev eth1');
      fx.ip('neigh add 198.51.100.3 lladdr 02:00:00:00:0e:09 dev eth1 nud permanent');
      const out = burst();
      expect(macOf(out, 48)).toEqual(macBytes('02:00:00:00:0e:09'));
      expect(macOf(out, DESTS.find((x) => gatewayOf(x) === 0)!)).toEqual(macBytes(GW[0]!));
      fx.ip('neigh replace 198.51.100.3 lladdr 02:00:00:00:0e:0a dev eth1 nud permanent');
      expect(macOf(burst(), 48)).toEqual(macBytes('02:00:00:00:0e:0a'));
    });

    it(`${withProgram ? 'by the XDP router' : 'by the stack'}: is given up when its entry left the table with its device, the route staying`, async () => {
      // a multipath route via eth0 and eth1: eth1 down kills one next hop (the route and its record
      // stay) and takes eth1's neighbours out of the table whatever their state (neigh_ifdown)
      const fx = await router(withProgram);
      fx.ip('route replace 203.0.113.48/28 nexthop via 192.0.2.2 dev eth0 nexthop via 198.51.100.3 dev eth1');
      const eth0 = fx.devs.get('eth0')!;
      const frames = Array.from({ length: 32 }, (_, i) => mpFrameSport(48 + (i % 16), 2000 + i * 97));
      const burst = (): Uint8Array[] => {
        expect(eth0.injectBatch(frames)).toBe(frames.length);
        eth0.poll({ budget: 64 });
        return (fx.tx().get('eth1') ?? []).filter((f) => ((f[12]! << 8) | f[13]!) === 0x0800);
      };
      burst();
      const before = burst();
      expect(before.length).toBeGreaterThan(0);
      for (const f of before) expect(Array.from(f.subarray(0, 6))).toEqual(Array.from(macBytes(GW[1]!)));
      fx.ip('link set eth1 down');
      fx.ip('link set eth1 up');
      fx.ip('neigh add 198.51.100.3 lladdr 02:00:00:00:0e:0b dev eth1 nud permanent');
      const after = burst();
      expect(after.length).toBe(before.length);
      for (const f of after) expect(Array.from(f.subarray(0, 6))).toEqual(Array.from(macBytes('02:00:00:00:0e:0b')));
    });
  }
});
