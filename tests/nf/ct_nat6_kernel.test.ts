// Conntrack and NAT over IPv6 against the kernel: the router of ct_nat_kernel with IPv6 links (inside
// 2001:db8:1::/64, outside 2001:db8:2::/64, 2001:db8:3::/48 behind the gateway), `table ip6 nat`
// masquerading out of eth1 in Linux and dp.nat's masquerade in wxdp: UDP out and back, a TCP handshake
// and ICMPv6 echo come out byte for byte the same (addresses, ports and checksums over the IPv6
// pseudo-header, hop limit), and `conntrack -L -f ipv6` lists what dp.conntrack lists.

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture, echo6, eth, hex, icmp6, ipv6, stackUnready, type LinkCfg, type NeighCfg, type RouteCfg } from '../net/support.js';
import { KernelRouter, kernelUnavailable } from '../net/kernel.js';
import { ACK, H0, H1, M0, M1, SYN, SYN_OPTS, l4over6, parseConntrackL, tcp4, udpBytes } from './ct_support.js';

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
const RULESET = `
table ip6 nat {
  chain postrouting {
    type nat hook postrouting priority 100;
    oifname "eth1" masquerade
  }
}
`;
const C = '2001:db8:1::2';
const S = '2001:db8:3::5';
const PUB = '2001:db8:2::1';
const data = (n: number, seed = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 3 + seed) & 0xff);
const in6 = (nh: number, l4: Uint8Array, src = C, dst = S): Uint8Array => eth({ dst: M0, src: H0, type: 0x86dd }, ipv6({ src, dst, nh }, l4));
const out6 = (nh: number, l4: Uint8Array, src = S, dst = PUB): Uint8Array => eth({ dst: M1, src: H1, type: 0x86dd }, ipv6({ src, dst, nh }, l4));
/** tcp4's header bytes, the checksum redone over IPv6. */
const tcp6 = (src: string, dst: string, sp: number, dp: number, o: Parameters<typeof tcp4>[4]): Uint8Array => l4over6(src, dst, 6, tcp4('0.0.0.0', '0.0.0.0', sp, dp, o));

const STEPS: Array<{ what: string; dev: 'eth0' | 'eth1'; frame: Uint8Array }> = [
  { what: 'UDP out (masqueraded)', dev: 'eth0', frame: in6(17, l4over6(C, S, 17, udpBytes(5000, 53, data(20)))) },
  { what: 'UDP reply', dev: 'eth1', frame: out6(17, l4over6(S, PUB, 17, udpBytes(53, 5000, data(30, 1)))) },
  { what: 'TCP SYN', dev: 'eth0', frame: in6(6, tcp6(C, S, 40000, 80, { seq: 1000, flags: SYN, options: SYN_OPTS })) },
  { what: 'TCP SYN/ACK', dev: 'eth1', frame: out6(6, tcp6(S, PUB, 80, 40000, { seq: 5000, ack: 1001, flags: SYN | ACK, options: SYN_OPTS })) },
  { what: 'TCP ACK', dev: 'eth0', frame: in6(6, tcp6(C, S, 40000, 80, { seq: 1001, ack: 5001, flags: ACK, win: 502 })) },
  { what: 'ICMPv6 echo', dev: 'eth0', frame: in6(58, echo6(C, S, 0x4321, 1, data(8))) },
  { what: 'ICMPv6 echo reply', dev: 'eth1', frame: out6(58, icmp6(S, PUB, 129, 0, [0x43, 0x21, 0, 1], data(8))) },
];

describe.skipIf(unready !== '' || noKernel !== '')(`conntrack and NAT over IPv6 against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  let k: KernelRouter | undefined;
  let kern: ReturnType<KernelRouter['send']> = [];
  let kernCt = '';
  beforeAll(() => {
    k = KernelRouter.create(LINKS6, ROUTES6, NEIGH6, { 'net.ipv6.conf.all.forwarding': 1 }, 'ct15');
    const r = spawnSync('ip', ['netns', 'exec', k.router, 'nft', '-f', '-'], { input: RULESET, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nft -f: ${r.stderr}`);
    kern = k.send(STEPS.map((s) => [s.dev, s.frame]));
    kernCt = spawnSync('ip', ['netns', 'exec', k.router, 'conntrack', '-L', '-f', 'ipv6'], { encoding: 'utf8' }).stdout;
  }, 60_000);
  afterAll(() => k?.close());

  it(`translates ${STEPS.length} IPv6 frames as Linux does`, async () => {
    const fx = await Fixture.create(LINKS6, ROUTES6, NEIGH6);
    fx.sysctl('IPV6_ALL_FORWARDING', 1);
    fx.dp.nat.add({ hook: 'postrouting', oif: 'eth1', type: 'masquerade', family: 'ipv6' });
    STEPS.forEach((s, i) => {
      const ours = fx.rx(s.dev, s.frame);
      for (const dev of ['eth0', 'eth1']) {
        const a = (ours.get(dev) ?? []).map(hex);
        const b = (kern[i]!.tx.get(dev) ?? []).map(hex);
        expect({ what: s.what, dev, out: a }).toEqual({ what: s.what, dev, out: b });
      }
    });
    if (process.env.CT_DEBUG) console.log(fx.dp.conntrack.format(), kernCt);
    const ours = parseConntrackL(fx.dp.conntrack.format());
    const theirs = parseConntrackL(kernCt);
    expect(ours.map((l) => `${l.proto} ${l.rest}`)).toEqual(theirs.map((l) => `${l.proto} ${l.rest}`));
  });
});
