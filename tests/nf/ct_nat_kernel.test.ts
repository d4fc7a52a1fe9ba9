// Conntrack and NAT against the kernel: a router that masquerades its inside link behind its outside
// address and forwards outside TCP port 8080 to an inside server (DNAT), built in namespaces with
// Debian's nftables and compared, frame by frame, with wxdp configured the same through dp.nat — UDP
// out and back, a TCP handshake, data and teardown, ICMP echo, an ICMP error quoting a translated
// datagram, a DNATed connection — and then `conntrack -L` (Debian's conntrack) against dp.conntrack's
// listing of the same sequence, timeouts within the seconds the kernel's run took.

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture, echo4, eth, hex, icmp4, ipv4, stackUnready, udp4 } from '../net/support.js';
import { KernelRouter, kernelUnavailable } from '../net/kernel.js';
import { ACK, FIN, H0, H1, LINKS, M0, M1, NEIGH, PSH, ROUTES, SYN, SYN_OPTS, parseConntrackL, tcpFrame } from './ct_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('conntrack', ['--version']).status !== 0 ? 'conntrack (Debian conntrack) missing' : '') ||
  (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const RULESET = `
table ip nat {
  chain prerouting {
    type nat hook prerouting priority -100;
    iifname "eth1" tcp dport 8080 dnat to 192.0.2.2:80
  }
  chain postrouting {
    type nat hook postrouting priority 100;
    oifname "eth1" masquerade
  }
}
`;

const data = (n: number, seed = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);
const inUdp = (src: string, dst: string, sp: number, dp: number, n: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src, dst, proto: 17, id: 0x2001 }, udp4(src, dst, sp, dp, data(n))));
const outUdp = (src: string, dst: string, sp: number, dp: number, n: number): Uint8Array =>
  eth({ dst: M1, src: H1, type: 0x0800 }, ipv4({ src, dst, proto: 17, id: 0x2002 }, udp4(src, dst, sp, dp, data(n, 3))));

const C = '192.0.2.2';
const S = '203.0.113.5';
const PUB = '198.51.100.1';
// the quoted datagram of an ICMP error: as it left the router (translated), its first 8 bytes of UDP
const quoted = ipv4({ src: PUB, dst: '203.0.113.6', proto: 17, id: 0x2001, ttl: 63 }, udp4(PUB, '203.0.113.6', 5001, 9, data(4)));

const STEPS: Array<{ what: string; dev: 'eth0' | 'eth1'; frame: Uint8Array }> = [
  { what: 'UDP out (masqueraded, port kept)', dev: 'eth0', frame: inUdp(C, S, 5000, 53, 20) },
  { what: 'UDP reply (de-masqueraded)', dev: 'eth1', frame: outUdp(S, PUB, 53, 5000, 40) },
  { what: 'TCP SYN out', dev: 'eth0', frame: tcpFrame('in', C, S, 40000, 80, { seq: 1000, flags: SYN, options: SYN_OPTS }) },
  { what: 'TCP SYN/ACK back', dev: 'eth1', frame: tcpFrame('out', S, PUB, 80, 40000, { seq: 5000, ack: 1001, flags: SYN | ACK, win: 65160, options: SYN_OPTS }) },
  { what: 'TCP ACK out', dev: 'eth0', frame: tcpFrame('in', C, S, 40000, 80, { seq: 1001, ack: 5001, flags: ACK, win: 502 }) },
  { what: 'TCP data out', dev: 'eth0', frame: tcpFrame('in', C, S, 40000, 80, { seq: 1001, ack: 5001, flags: PSH | ACK, win: 502, data: data(10) }) },
  { what: 'TCP ACK of the data back', dev: 'eth1', frame: tcpFrame('out', S, PUB, 80, 40000, { seq: 5001, ack: 1011, flags: ACK, win: 509 }) },
  { what: 'TCP FIN out', dev: 'eth0', frame: tcpFrame('in', C, S, 40000, 80, { seq: 1011, ack: 5001, flags: FIN | ACK, win: 502 }) },
  { what: 'TCP FIN back', dev: 'eth1', frame: tcpFrame('out', S, PUB, 80, 40000, { seq: 5001, ack: 1012, flags: FIN | ACK, win: 509 }) },
  { what: 'TCP last ACK out', dev: 'eth0', frame: tcpFrame('in', C, S, 40000, 80, { seq: 1012, ack: 5002, flags: ACK, win: 502 }) },
  { what: 'ICMP echo out', dev: 'eth0', frame: eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: C, dst: S, proto: 1, id: 0x3001 }, echo4(0x1234, 1, data(16)))) },
  { what: 'ICMP echo reply back', dev: 'eth1', frame: eth({ dst: M1, src: H1, type: 0x0800 }, ipv4({ src: S, dst: PUB, proto: 1, id: 0x3002 }, icmp4(0, 0, [0x12, 0x34, 0, 1], data(16)))) },
  { what: 'UDP out to a closed port', dev: 'eth0', frame: inUdp(C, '203.0.113.6', 5001, 9, 4) },
  {
    what: 'ICMP port unreachable quoting it (RELATED: the quote translated back)', dev: 'eth1',
    frame: eth({ dst: M1, src: H1, type: 0x0800 }, ipv4({ src: '203.0.113.6', dst: PUB, proto: 1, id: 0x3003 }, icmp4(3, 3, [0, 0, 0, 0], quoted))),
  },
  { what: 'TCP SYN to the forwarded port (DNAT)', dev: 'eth1', frame: tcpFrame('out', '203.0.113.7', PUB, 33000, 8080, { seq: 7000, flags: SYN, options: SYN_OPTS }) },
  { what: 'SYN/ACK from the inside server (un-DNATed)', dev: 'eth0', frame: tcpFrame('in', C, '203.0.113.7', 80, 33000, { seq: 9000, ack: 7001, flags: SYN | ACK, win: 65160, options: SYN_OPTS }) },
  { what: 'an ACK for no connection from outside (picked up: nf_conntrack_tcp_loose)', dev: 'eth0', frame: tcpFrame('in', C, S, 41000, 443, { seq: 123456, ack: 654321, flags: ACK, win: 300 }) },
];

describe.skipIf(unready !== '' || noKernel !== '')(`conntrack and NAT against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  let k: KernelRouter | undefined;
  let kern: ReturnType<KernelRouter['send']> = [];
  let kernCt = '';
  let kernSeconds = 0; // how long the kernel's run took, from its first frame to its conntrack -L
  beforeAll(() => {
    k = KernelRouter.create(LINKS, ROUTES, NEIGH, {}, 'ct15');
    const r = spawnSync('ip', ['netns', 'exec', k.router, 'nft', '-f', '-'], { input: RULESET, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nft -f: ${r.stderr}`);
    const t0 = Date.now();
    kern = k.send(STEPS.map((s) => [s.dev, s.frame]));
    kernCt = spawnSync('ip', ['netns', 'exec', k.router, 'conntrack', '-L'], { encoding: 'utf8' }).stdout;
    kernSeconds = (Date.now() - t0) / 1000;
  }, 60_000);
  afterAll(() => k?.close());

  it(`translates ${STEPS.length} frames as Linux does (addresses, ports, TTL, checksums, the ICMP quote)`, async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nat.add({ hook: 'prerouting', iif: 'eth1', proto: 'tcp', dport: 8080, type: 'dnat', to: '192.0.2.2:80' });
    fx.dp.nat.add({ hook: 'postrouting', oif: 'eth1', type: 'masquerade' });
    STEPS.forEach((s, i) => {
      const ours = fx.rx(s.dev, s.frame);
      for (const dev of ['eth0', 'eth1']) {
        const a = (ours.get(dev) ?? []).map(hex);
        const b = (kern[i]!.tx.get(dev) ?? []).map(hex);
        expect({ what: s.what, dev, out: a }).toEqual({ what: s.what, dev, out: b });
      }
    });
    // conntrack -L: the same entries, states and flags; timeouts as the kernel's plus the seconds its run took
    if (process.env.CT_DEBUG) console.log(fx.dp.conntrack.format(), kernCt, STEPS.map((s, i) => `${s.what}: ${[...kern[i]!.tx.keys()].join(",")}`).join("\n"));
    const ours = parseConntrackL(fx.dp.conntrack.format());
    const theirs = parseConntrackL(kernCt);
    expect(ours.map((l) => `${l.proto} ${l.rest}`)).toEqual(theirs.map((l) => `${l.proto} ${l.rest}`));
    ours.forEach((l, i) => {
      expect(l.timeout - theirs[i]!.timeout, `${l.rest}`).toBeGreaterThanOrEqual(0);
      // an entry's timer runs from its last frame to the listing: at most the run's length, plus the
      // second conntrack -L rounds down (a loaded machine took 16 s once)
      expect(l.timeout - theirs[i]!.timeout, `${l.rest}`).toBeLessThanOrEqual(Math.max(15, Math.ceil(kernSeconds) + 1));
    });
  });
});
