// Random frames through the Linux router of tests/net/fixtures/router.batch and through wxdp configured
// the same (tests/support/router.ts), compared port by port after router_kernel's masks. Where
// router_cases.ts holds one hand-built frame per behaviour, this draws them: IPv4 with every TTL edge,
// TOS, DF/MF/offsets, options (record route, timestamps, source routes, router alert, unknown, cut
// short), odd lengths and checksums, martian and broadcast addresses; IPv6 with extension header chains
// (hop-by-hop options of every action class, routing types 0/2/4, fragments, destination options),
// odd lengths, scoped addresses; local delivery (ICMP of every type, UDP to closed ports, TCP). The
// kernel's answer is the expectation.
//
//   WXDP_ROUTER_FUZZ=N        N cases per seed (default 40)
//   WXDP_ROUTER_FUZZ_SEEDS=a,b the seeds (default 1, 2); random:K adds K random ones (printed)
//
// Destinations are those with permanent neighbours or reached through one, so nothing waits on ARP or
// NDISC. Route errors (ip_error) are rate limited per source in the kernel (net.ipv4.route.error_cost,
// init namespace only): no case draws a route-error destination.

import { describe, expect, it } from 'vitest';
import { ETH_P_IP, ETH_P_IPV6, concat, describeFrame, eth, hex, icmp4, icmp6, inetChecksum, ipv4, ipv6, pattern, udp } from '../support/frames.js';
import { fuzzSeeds, Rng } from '../support/gen.js';
import { useNamespaces } from '../support/netns.js';
import { pythonAvailability } from '../support/afpacket.js';
import { KernelRouter, readRouterConfig, WxdpRouter, type PortOutput, type SendCase } from '../support/router.js';
import { MAC, masked, PORTS, ROUTER_ADDRS } from './router_cases.js';
import { ipv4Bytes, ipv6Bytes } from '../../src/control/addresses.js';

const N = Number(process.env['WXDP_ROUTER_FUZZ'] ?? 40);
const seeds = (): number[] => fuzzSeeds(process.env['WXDP_ROUTER_FUZZ_SEEDS']);

const H1 = '198.51.100.2';
const H1V6 = '2001:db8:1::2';
const u16 = (v: number) => Uint8Array.of((v >>> 8) & 0xff, v & 0xff);

interface FuzzCase extends SendCase {
  what: string;
}

function l4v4(g: Rng, src: string, dst: string): { proto: number; payload: Uint8Array; what: string } {
  switch (g.int(6)) {
    case 0:
    case 1: {
      const d = udp(src, dst, 40000 + g.int(8), g.pick([9, 7, 53, 33434, 0]), pattern(g.pick([0, 1, 18, 100]), g.int(256)));
      if (g.chance(0.15)) d.set(u16(0), 6); // no checksum (RFC 768)
      if (g.chance(0.1)) d[7] = d[7]! ^ 0x55; // bad checksum
      if (g.chance(0.1)) d.set(u16(g.pick([0, 7, 9, d.length + 4, d.length - 1])), 4); // bad length
      return { proto: 17, payload: d, what: 'udp' };
    }
    case 2: {
      // no timestamp requests (13): the reply carries each side's clock
      const type = g.pick([8, 8, 8, 0, 14, 15, 17, 3, 11, 5, 42, 255]);
      const code = g.chance(0.8) ? 0 : g.int(16);
      const m = icmp4(type, code, g.next(), pattern(g.pick([0, 4, 32, 64]), 3));
      if (g.chance(0.1)) m[2] = m[2]! ^ 1;
      return { proto: 1, payload: m, what: `icmp ${type}/${code}` };
    }
    case 3: {
      // TCP: 20-byte header, random flags, checksum over the pseudo-header
      const t = new Uint8Array(20 + g.pick([0, 4]));
      const v = new DataView(t.buffer);
      v.setUint16(0, 40000 + g.int(4));
      v.setUint16(2, g.pick([22, 80, 9]));
      v.setUint32(4, g.next());
      v.setUint32(8, g.next());
      t[12] = 5 << 4;
      t[13] = g.pick([0x02, 0x10, 0x12, 0x04, 0x14, 0x01, 0x11, 0x00, 0x29, 0x3f, 0xc2]);
      v.setUint16(14, 1024);
      const ph = concat(ipv4Bytes(src), ipv4Bytes(dst), Uint8Array.of(0, 6), u16(t.length));
      v.setUint16(16, inetChecksum(ph, t));
      if (g.chance(0.1)) t[17] = t[17]! ^ 1;
      return { proto: 6, payload: t, what: `tcp flags 0x${t[13]!.toString(16)}` };
    }
    case 4:
      return { proto: g.pick([253, 47, 50, 132, 0, 41, 4]), payload: pattern(g.pick([0, 8, 40]), 9), what: 'other proto' };
    default:
      return { proto: 17, payload: udp(src, dst, 40001, 9, pattern(18, 0x41)), what: 'udp' };
  }
}

function v4options(g: Rng): { opts: Uint8Array; what: string } {
  const pick = g.int(12);
  const addr = (a: string) => ipv4Bytes(a);
  let o: Uint8Array;
  switch (pick) {
    case 0: // record route, empty slots
      o = Uint8Array.of(7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0);
      break;
    case 1: // record route, full
      o = concat(Uint8Array.of(7, 7, 8), addr('192.0.2.9'), Uint8Array.of(0));
      break;
    case 2: // record route, pointer odd / small
      o = Uint8Array.of(7, 7, g.pick([3, 5, 1, 9]), 0, 0, 0, 0, 0);
      break;
    case 3: // timestamp of prespecified addresses (not the router's: nothing written), or a bad flag
      o = concat(Uint8Array.of(68, 12, 5, g.pick([3, 2])), ipv4Bytes('192.0.2.99'), new Uint8Array(4));
      break;
    case 4: // timestamp full (overflow counter)
      o = concat(Uint8Array.of(68, 8, 9, g.pick([0, 0xf0])), new Uint8Array(4));
      break;
    case 5: // loose / strict source route
      o = concat(Uint8Array.of(g.pick([131, 137]), 11, g.pick([4, 8, 12])), addr('203.0.113.2'), addr('192.0.2.2'), Uint8Array.of(0));
      break;
    case 6: // router alert
      o = Uint8Array.of(148, 4, 0, 0);
      break;
    case 7: // NOPs and an end
      o = Uint8Array.of(1, 1, 1, 0);
      break;
    case 8: // unknown option
      o = Uint8Array.of(g.pick([30, 94, 158, 222, 25]), 4, 0, 0);
      break;
    case 9: // length 0 / 1 / past the end
      o = Uint8Array.of(g.pick([7, 68, 30]), g.pick([0, 1, 2, 9]), 4, 0);
      break;
    case 10: // security (RFC 1108)
      o = Uint8Array.of(130, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
      break;
    default: // copied option then EOL then garbage
      o = Uint8Array.of(0, 7, 3, 4);
  }
  while (o.length % 4) o = concat(o, Uint8Array.of(0));
  return { opts: o, what: `opts ${hex(o)}` };
}

function v4case(g: Rng): FuzzCase {
  const dst = g.pick([
    '203.0.113.2', '203.0.113.2', '198.51.100.70', '192.0.2.70', '192.0.2.200', '198.51.100.130', '203.0.113.100',
    '198.51.100.1', '198.51.100.1', '203.0.113.1', '192.0.2.1', '198.51.100.63', '255.255.255.255', '224.0.0.1',
    '224.0.0.22', '239.1.2.3', '127.0.0.1', '0.0.0.0', '203.0.113.130', '203.0.113.63',
  ]);
  const src = g.chance(0.8) ? g.pick([H1, H1, '198.51.100.3']) : g.pick(['0.0.0.0', '255.255.255.255', '224.0.0.5', '198.51.100.1', '198.51.100.63', '240.0.0.9', '203.0.113.2', '10.0.0.1', '169.254.1.1']);
  const l4 = l4v4(g, src, dst);
  const f: Parameters<typeof ipv4>[0] = { src, dst, proto: l4.proto, payload: l4.payload, id: g.int(0x10000) };
  const what: string[] = [`${src} > ${dst} ${l4.what}`];
  if (g.chance(0.3)) (f.ttl = g.pick([0, 1, 2, 255]), what.push(`ttl ${f.ttl}`));
  if (g.chance(0.2)) (f.tos = g.int(256), what.push(`tos ${f.tos}`));
  if (g.chance(0.2)) (f.df = true, what.push('df'));
  // incomplete fragments to the router itself are not drawn: the kernel's reassembly times out 30 s
  // later with an ICMP error into some later case, on a clock wxdp's side does not share
  if (g.chance(0.15) && !ROUTER_ADDRS.includes(dst)) {
    f.mf = g.chance(0.5);
    f.fragOffset = g.pick([0, 0, 1, 185, 8191]);
    what.push(`frag mf ${f.mf} off ${f.fragOffset}`);
  }
  if (g.chance(0.05)) (f.payload = concat(f.payload, pattern(1300, 1)), what.push('big'));
  if (g.chance(0.25)) {
    const o = v4options(g);
    f.options = o.opts;
    what.push(o.what);
  }
  let ip = ipv4(f);
  if (g.chance(0.08)) {
    const tl = g.pick([ip.length - 1, ip.length + 3, 20, 21, 0xffff]);
    ip = ipv4({ ...f, totalLength: tl });
    what.push(`totlen ${tl}`);
  }
  if (g.chance(0.04)) (ip = ipv4({ ...f, checksum: 0 }), what.push('csum 0'));
  let frame = eth(g.chance(0.9) ? MAC.r0 : g.pick(['ff:ff:ff:ff:ff:ff', '01:00:5e:00:00:01', MAC.other]), MAC.h1, ETH_P_IP, ip);
  if (g.chance(0.1)) (frame = concat(frame, pattern(g.pick([1, 6, 30]), 0xaa)), what.push('trailer'));
  return { what: what.join(', '), ingress: 'eth0', frames: [frame] };
}

function l4v6(g: Rng, src: string, dst: string): { nh: number; payload: Uint8Array; what: string } {
  switch (g.int(5)) {
    case 0:
    case 1: {
      const d = udp(src, dst, 40000 + g.int(8), g.pick([9, 7, 53]), pattern(g.pick([0, 18, 100]), g.int(256)));
      if (g.chance(0.15)) d.set(u16(0), 6); // zero checksum: not allowed over IPv6 (RFC 8200 §8.1)
      if (g.chance(0.1)) d[7] = d[7]! ^ 0x55;
      return { nh: 17, payload: d, what: 'udp' };
    }
    case 2: {
      const type = g.pick([128, 128, 129, 1, 2, 3, 4, 133, 135, 136, 137, 143, 200, 0]);
      const m = icmp6(src, dst, type, g.chance(0.8) ? 0 : g.int(8), g.next(), pattern(g.pick([0, 8, 32]), 5));
      if (g.chance(0.1)) m[2] = m[2]! ^ 1;
      return { nh: 58, payload: m, what: `icmp6 ${type}` };
    }
    case 3:
      return { nh: 59, payload: pattern(g.pick([0, 8]), 1), what: 'no next header' };
    default:
      return { nh: g.pick([253, 6, 4, 41, 50]), payload: pattern(g.pick([0, 20]), 7), what: 'other nh' };
  }
}

/** One extension header in front of `inner` (next header `nh`); returns the new chain. */
function ext6(g: Rng, nh: number, inner: Uint8Array, local: boolean): { nh: number; payload: Uint8Array; what: string } {
  switch (g.int(7)) {
    case 0:
    case 1: {
      // hop-by-hop (0) or destination (60) options with one option
      const type = g.pick([0, 60]);
      const opt = g.pick([
        Uint8Array.of(1, 4, 0, 0, 0, 0), // PadN
        Uint8Array.of(0, 0, 0, 0, 0, 0), // Pad1 ×6
        Uint8Array.of(5, 2, 0, 0, 1, 0), // router alert + Pad1s... (RFC 2711) then PadN 0
        Uint8Array.of(0x1e, 4, 0, 0, 0, 0), // unknown, skip
        Uint8Array.of(0x5e, 4, 0, 0, 0, 0), // unknown, discard
        Uint8Array.of(0x9e, 4, 0, 0, 0, 0), // unknown, discard + ICMP
        Uint8Array.of(0xde, 4, 0, 0, 0, 0), // unknown, discard + ICMP unless multicast
        Uint8Array.of(0xc2, 4, 0, 0, 0, 0), // jumbo payload (zero)
        Uint8Array.of(1, 5, 0, 0, 0, 0), // PadN past the end
        Uint8Array.of(1, 4, 1, 2, 3, 4), // PadN with non-zero padding
      ]);
      return { nh: type, payload: concat(Uint8Array.of(nh, 0), opt, inner), what: `${type === 0 ? 'hbh' : 'dst'} ${hex(opt)}` };
    }
    case 2: {
      // routing header: type 0 (deprecated), 2, 4 (SRH), 253; segments left 0 or 1
      const type = g.pick([0, 2, 4, 253]);
      const left = g.pick([0, 0, 1]);
      const r = concat(Uint8Array.of(nh, 2, type, left, 0, 0, 0, 0), ipv6Bytes('2001:db8:2::2'));
      return { nh: 43, payload: concat(r, inner), what: `rh type ${type} left ${left}` };
    }
    case 3: {
      // fragment header: atomic, first, later
      // to the router only atomic fragments (a partial one would time out in reassembly, see v4case)
      const off = local ? 0 : g.pick([0, 0, 1, 100]);
      const m = !local && g.chance(0.4) ? 1 : 0;
      const fh = concat(Uint8Array.of(nh, 0), u16((off << 3) | m), Uint8Array.of(0, 0, 0x12, 0x34));
      return { nh: 44, payload: concat(fh, inner), what: `frag off ${off} m ${m}` };
    }
    case 4:
      // hop-by-hop with a bad header length (past the packet)
      return { nh: 0, payload: concat(Uint8Array.of(nh, 8, 1, 4, 0, 0, 0, 0), inner), what: 'hbh len past end' };
    default:
      return { nh, payload: inner, what: '' };
  }
}

function v6case(g: Rng): FuzzCase {
  const dst = g.pick([
    '2001:db8:2::2', '2001:db8:2::2', '2001:db8:10::5', '2001:db8:30::5', '2001:db8:40::5', '2001:db8:1::1', '2001:db8:1::1', '2001:db8:2::1',
    'ff02::1', 'ff02::2', 'ff01::1', 'ff05::1', 'ff0e::1', '::1', '::', 'fe80::ff:fe00:a00', '2001:db8:f0::1', '::ffff:198.51.100.1', '2001:db8:1::', '2001:db8:2::',
  ]);
  const src = g.chance(0.8) ? H1V6 : g.pick(['::', '::1', 'ff02::1', '2001:db8:1::1', '::ffff:198.51.100.2', '::198.51.100.2', '2001:db8:2::2']);
  let l = l4v6(g, src, dst);
  const what: string[] = [`${src} > ${dst} ${l.what}`];
  for (let k = g.pick([0, 0, 1, 1, 2]); k > 0; k--) {
    const e = ext6(g, l.nh, l.payload, ROUTER_ADDRS.includes(dst) || dst.startsWith('ff') || dst === '2001:db8:1::' || dst === '2001:db8:2::');
    l = { ...l, nh: e.nh, payload: e.payload };
    if (e.what) what.push(e.what);
  }
  const f: Parameters<typeof ipv6>[0] = { src, dst, nextHeader: l.nh, payload: l.payload, flowLabel: g.int(0x100000) };
  if (g.chance(0.3)) (f.hopLimit = g.pick([0, 1, 2, 255]), what.push(`hlim ${f.hopLimit}`));
  if (g.chance(0.2)) (f.trafficClass = g.int(256), what.push(`tc ${f.trafficClass}`));
  if (g.chance(0.05)) (f.payload = concat(f.payload, pattern(1300, 1)), what.push('big'));
  if (g.chance(0.08)) {
    f.payloadLength = g.pick([f.payload.length - 1, 0, f.payload.length + 8]);
    what.push(`plen ${f.payloadLength}`);
  }
  const dstMac = dst.startsWith('ff') ? `33:33:${[...ipv6Bytes(dst).subarray(12)].map((b) => b.toString(16).padStart(2, '0')).join(':')}` : MAC.r0;
  let frame = eth(g.chance(0.92) ? dstMac : g.pick(['ff:ff:ff:ff:ff:ff', MAC.other, MAC.r0]), MAC.h1, ETH_P_IPV6, ipv6(f));
  if (g.chance(0.1)) (frame = concat(frame, pattern(g.pick([1, 6, 30]), 0xaa)), what.push('trailer'));
  return { what: what.join(', '), ingress: 'eth0', frames: [frame] };
}

export function fuzzCases(seed: number, n: number): FuzzCase[] {
  const g = new Rng(seed);
  return Array.from({ length: n }, () => (g.chance(0.55) ? v4case(g) : v6case(g)));
}

const nsa = useNamespaces('rfuzz');
const py = pythonAvailability();
const config = readRouterConfig(new URL('./fixtures/router.batch', import.meta.url));

function shown(out: PortOutput): Record<string, string[]> {
  const r: Record<string, string[]> = {};
  for (const p of PORTS) r[p.name] = (out[p.name] ?? []).map((f) => hex(masked(f)));
  return r;
}

describe.skipIf(!nsa.available.ok || !py.ok)('random frames through the Linux router and wxdp', () => {
  for (const seed of seeds()) {
    it(`seed ${seed}: ${N} random frames come out the same (WXDP_ROUTER_FUZZ_SEEDS=${seed} replays)`, async () => {
      const cases = fuzzCases(seed, N);
      const kernel = KernelRouter.build(nsa.set, PORTS, config);
      const k = kernel.run(cases);
      const w = (await WxdpRouter.create(PORTS, config)).run(cases);
      const bad: string[] = [];
      cases.forEach((c, i) => {
        const ks = shown(k[i]!);
        const ws = shown(w[i]!);
        if (JSON.stringify(ks) === JSON.stringify(ws)) return;
        bad.push(`case ${i}: ${c.what}\n  in: ${hex(c.frames[0]!)}\n` + PORTS.flatMap((p) => [
          ...k[i]![p.name]!.map((f) => `  kernel ${p.name} ${describeFrame(f)}\n    ${hex(f)}`),
          ...(w[i]![p.name] ?? []).map((f) => `  wxdp   ${p.name} ${describeFrame(f)}\n    ${hex(f)}`),
        ]).join('\n'));
      });
      if (bad.length) console.error(`seed ${seed}: ${bad.length} of ${N} differ\n${bad.join('\n')}`);
      expect(bad).toEqual([]);
    }, 600_000);
  }
});
