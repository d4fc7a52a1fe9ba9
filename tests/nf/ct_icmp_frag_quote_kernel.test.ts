// ICMP and ICMPv6 errors quoting a fragment, through conntrack and masquerade, against the kernel. Conntrack
// takes an error's tuple from the packet it quotes (nf_conntrack_inet_error → nf_ct_get_tuplepr): a first
// fragment's quote (IPv4 MF at offset 0, an IPv6 Fragment header at offset 0) carries the transport header and
// is the connection's like a whole packet's — RELATED, and NAT turns the quote back (nf_nat_icmp_reply_translation,
// nf_nat_icmpv6_reply_translation); a later fragment's has no transport header (ipv4_get_l4proto: "we might still
// see fragments inside ICMP packets", frag_off & IP_OFFSET; ipv6_get_l4proto: frag_off & ~7) — no tuple, the error
// is untracked (`ct state invalid`), whatever its bytes. Found by the nf fuzzer's quotes of fragments (seed 901,
// genFlow's `fq`): wxdp read a later IPv4 fragment's first bytes as ports and found the connection, counting the
// error under `ct state related` (and, for a masqueraded flow, sending it translated to the inside host where Linux
// took it for the router itself).

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture, concat, eth, hex, icmp4, icmp6, ipv4, ipv6, stackUnready, udp4, udp6, type LinkCfg, type NeighCfg, type RouteCfg } from '../net/support.js';
import { KernelRouter, kernelUnavailable } from '../net/kernel.js';
import { H0, H1, M0, M1, parseConntrackL } from './ct_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('conntrack', ['--version']).status !== 0 ? 'conntrack (Debian conntrack) missing' : '') ||
  (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const LINKS: LinkCfg[] = [
  { name: 'eth0', mac: M0, forwarding: true, v4: ['192.0.2.1/24'], v6: ['2001:db8:1::1/64'] },
  { name: 'eth1', mac: M1, forwarding: true, v4: ['198.51.100.1/24'], v6: ['2001:db8:2::1/64'] },
];
const ROUTES: RouteCfg[] = [
  { dst: '203.0.113.0/24', via: '198.51.100.2', dev: 'eth1' },
  { dst: '2001:db8:3::/48', via: '2001:db8:2::2', dev: 'eth1' },
];
const NEIGH: NeighCfg[] = [
  { dev: 'eth0', addr: '192.0.2.2', mac: H0 },
  { dev: 'eth1', addr: '198.51.100.2', mac: H1 },
  { dev: 'eth0', addr: '2001:db8:1::2', mac: H0 },
  { dev: 'eth1', addr: '2001:db8:2::2', mac: H1 },
];

// port 40000 masqueraded (its port kept: no other flow holds it), port 40001 not translated
const RULESET = `table inet t {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "eth1" udp sport 40000 masquerade
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    ct state related counter
    ct state invalid counter
  }
  chain input {
    type filter hook input priority filter; policy accept;
    ct state related counter
    ct state invalid counter
  }
}
`;

const C4 = '192.0.2.2';
const S4 = '203.0.113.5';
const P4 = '198.51.100.1';
const C6 = '2001:db8:1::2';
const S6 = '2001:db8:3::5';
const P6 = '2001:db8:2::1';
const data = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 1) & 0xff);
const be16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];

const in4 = (ip: Uint8Array): Uint8Array => eth({ dst: M0, src: H0, type: 0x0800 }, ip);
const out4 = (ip: Uint8Array): Uint8Array => eth({ dst: M1, src: H1, type: 0x0800 }, ip);
const in6 = (ip: Uint8Array): Uint8Array => eth({ dst: M0, src: H0, type: 0x86dd }, ip);
const out6 = (ip: Uint8Array): Uint8Array => eth({ dst: M1, src: H1, type: 0x86dd }, ip);

/** A UDP datagram as the router sent it out of eth1 (`src` its source there), quoted as the fragment `at` (-1: the first, with MF; n: offset n eights). */
function quote4(src: string, sport: number, at: number): Uint8Array {
  const u = udp4(src, S4, sport, 53, data(32));
  return ipv4({ src, dst: S4, proto: 17, ttl: 63, id: 0x2222, mf: true, fragOff: at < 0 ? 0 : at * 8 }, u);
}
/** Port unreachable from the server about `quoted`, to `dst`. */
const unreach4 = (dst: string, quoted: Uint8Array): Uint8Array => out4(ipv4({ src: S4, dst, proto: 1, id: 0x3333 }, icmp4(3, 3, [0, 0, 0, 0], quoted)));

/** The IPv6 one: a Fragment header (next header UDP, `at` as quote4's, M set) between the fixed header and the UDP header. */
function quote6(src: string, sport: number, at: number): Uint8Array {
  const u = udp6(src, S6, sport, 53, data(32));
  const frag = Uint8Array.from([17, 0, ...be16(((at < 0 ? 0 : at) << 3) | 1), 0, 0, 0x44, 0x44]);
  return ipv6({ src, dst: S6, nh: 44, hlim: 63 }, concat(frag, u));
}
const unreach6 = (dst: string, quoted: Uint8Array): Uint8Array => out6(ipv6({ src: S6, dst, nh: 58 }, icmp6(S6, dst, 1, 4, [0, 0, 0, 0], quoted)));

const STEPS: Array<{ what: string; dev: 'eth0' | 'eth1'; frame: Uint8Array }> = [
  { what: 'UDP out, masqueraded', dev: 'eth0', frame: in4(ipv4({ src: C4, dst: S4, proto: 17, id: 0x2222 }, udp4(C4, S4, 40000, 53, data(32)))) },
  { what: 'UDP out, untranslated', dev: 'eth0', frame: in4(ipv4({ src: C4, dst: S4, proto: 17, id: 0x2223 }, udp4(C4, S4, 40001, 53, data(32)))) },
  { what: 'port unreachable quoting the masqueraded datagram as a first fragment', dev: 'eth1', frame: unreach4(P4, quote4(P4, 40000, -1)) },
  { what: 'the same quoting a later fragment (offset 8)', dev: 'eth1', frame: unreach4(P4, quote4(P4, 40000, 1)) },
  { what: 'port unreachable quoting the untranslated datagram as a first fragment', dev: 'eth1', frame: unreach4(C4, quote4(C4, 40001, -1)) },
  { what: 'the same quoting a later fragment (offset 1480)', dev: 'eth1', frame: unreach4(C4, quote4(C4, 40001, 185)) },
  { what: 'UDP out over IPv6, masqueraded', dev: 'eth0', frame: in6(ipv6({ src: C6, dst: S6, nh: 17 }, udp6(C6, S6, 40000, 53, data(32)))) },
  { what: 'UDP out over IPv6, untranslated', dev: 'eth0', frame: in6(ipv6({ src: C6, dst: S6, nh: 17 }, udp6(C6, S6, 40001, 53, data(32)))) },
  { what: 'port unreachable quoting the masqueraded datagram as a first fragment (IPv6)', dev: 'eth1', frame: unreach6(P6, quote6(P6, 40000, -1)) },
  { what: 'the same quoting a later fragment (IPv6, offset 8)', dev: 'eth1', frame: unreach6(P6, quote6(P6, 40000, 1)) },
  { what: 'port unreachable quoting the untranslated datagram as a first fragment (IPv6)', dev: 'eth1', frame: unreach6(C6, quote6(C6, 40001, -1)) },
  { what: 'the same quoting a later fragment (IPv6, offset 16)', dev: 'eth1', frame: unreach6(C6, quote6(C6, 40001, 2)) },
];

describe.skipIf(unready !== '' || noKernel !== '')(`ICMP errors quoting fragments through conntrack and NAT, against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  let k: KernelRouter | undefined;
  let kern: ReturnType<KernelRouter['send']> = [];
  let kernCt = '';
  let kernList = '';
  beforeAll(() => {
    k = KernelRouter.create(LINKS, ROUTES, NEIGH, { 'net.ipv6.conf.all.forwarding': 1 }, 'icmpfq');
    const r = spawnSync('ip', ['netns', 'exec', k.router, 'nft', '-f', '-'], { input: RULESET, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nft -f: ${r.stderr}`);
    kern = k.send(STEPS.map((s) => [s.dev, s.frame]));
    kernCt = spawnSync('ip', ['netns', 'exec', k.router, 'conntrack', '-L', '-f', 'ipv4'], { encoding: 'utf8' }).stdout +
      spawnSync('ip', ['netns', 'exec', k.router, 'conntrack', '-L', '-f', 'ipv6'], { encoding: 'utf8' }).stdout;
    kernList = spawnSync('ip', ['netns', 'exec', k.router, 'nft', 'list', 'ruleset'], { encoding: 'utf8' }).stdout;
  }, 60_000);
  afterAll(() => k?.close());

  it('relates a first fragment\'s quote (translated back), leaves a later fragment\'s untracked, as Linux does', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.sysctl('IPV6_ALL_FORWARDING', 1);
    fx.dp.nft(RULESET);
    const out = STEPS.map((s) => fx.rx(s.dev, s.frame));
    STEPS.forEach((s, i) => {
      for (const dev of ['eth0', 'eth1']) {
        const a = (out[i]!.get(dev) ?? []).map(hex);
        const b = (kern[i]!.tx.get(dev) ?? []).map(hex);
        expect({ what: s.what, dev, out: a }).toEqual({ what: s.what, dev, out: b });
      }
    });
    // derived by hand: the datagrams go out by eth1; the first fragments' errors go to the inside host by eth0
    // (the masqueraded ones translated back); of the later fragments' errors, those to the router's own address
    // stay in it, those to the inside host are forwarded as they came
    const sent = (i: number): string => ['eth0', 'eth1'].map((d) => `${d}:${kern[i]!.tx.get(d)?.length ?? 0}`).join(' ');
    expect(STEPS.map((_, i) => sent(i))).toEqual([
      'eth0:0 eth1:1', 'eth0:0 eth1:1', 'eth0:1 eth1:0', 'eth0:0 eth1:0', 'eth0:1 eth1:0', 'eth0:1 eth1:0',
      'eth0:0 eth1:1', 'eth0:0 eth1:1', 'eth0:1 eth1:0', 'eth0:0 eth1:0', 'eth0:1 eth1:0', 'eth0:1 eth1:0',
    ]);
    const translated = kern[2]!.tx.get('eth0')![0]!;
    // the quote's source turned back to the inside host's (IPv4 header at 14, ICMP at 34, the quote's source at 42 + 12)
    expect(hex(translated.subarray(54, 58))).toBe('c0000202');
    // counters: forward's related 4 (two first-fragment errors a family), invalid 2 (the later ones to the inside
    // host); input's invalid 2 (the later ones to the router)
    expect(fx.dp.nft('list ruleset')).toBe(kernList);
    expect(kernList.match(/counter packets \d+/g)).toEqual(['counter packets 4', 'counter packets 2', 'counter packets 0', 'counter packets 2']);
    const line = (t: string): string[] => parseConntrackL(t).map((l) => `${l.proto} ${l.rest}`);
    expect(line(fx.dp.conntrack.format())).toEqual(line(kernCt));
  });
});
