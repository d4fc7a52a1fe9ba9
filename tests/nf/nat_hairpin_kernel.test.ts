// Hairpin NAT against the kernel: an inside host reaches an inside server through the router's public
// address (DNAT 198.51.100.1:8080 → 192.0.2.3:80) and the router masquerades the hairpinned connection
// behind its inside address, so the server's replies come back through it: Linux with nftables in
// namespaces, wxdp with dp.nat, the same frames both ways and the same `conntrack -L`.

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture, hex, stackUnready } from '../net/support.js';
import { KernelRouter, kernelUnavailable } from '../net/kernel.js';
import { ACK, H0, LINKS, NEIGH, ROUTES, SYN, SYN_OPTS, parseConntrackL, tcpFrame } from './ct_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('conntrack', ['--version']).status !== 0 ? 'conntrack (Debian conntrack) missing' : '') ||
  (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const NEIGH_H = [...NEIGH, { dev: 'eth0', addr: '192.0.2.3', mac: H0 }];
const RULESET = `
table ip nat {
  chain prerouting {
    type nat hook prerouting priority -100;
    iifname "eth0" ip daddr 198.51.100.1 tcp dport 8080 dnat to 192.0.2.3:80
  }
  chain postrouting {
    type nat hook postrouting priority 100;
    oifname "eth0" ip saddr 192.0.2.0/24 ip daddr 192.0.2.3 masquerade
  }
}
`;
const C = '192.0.2.2';
const SRV = '192.0.2.3';
const STEPS: Array<{ what: string; frame: Uint8Array }> = [
  { what: 'SYN to the public address (DNAT, then masquerade back out eth0)', frame: tcpFrame('in', C, '198.51.100.1', 40000, 8080, { seq: 100, flags: SYN, options: SYN_OPTS }) },
  { what: 'SYN/ACK from the server to the router (both translations undone)', frame: tcpFrame('in', SRV, '192.0.2.1', 80, 40000, { seq: 900, ack: 101, flags: SYN | ACK, options: SYN_OPTS }) },
  { what: 'ACK', frame: tcpFrame('in', C, '198.51.100.1', 40000, 8080, { seq: 101, ack: 901, flags: ACK }) },
];

describe.skipIf(unready !== '' || noKernel !== '')(`hairpin NAT against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  let k: KernelRouter | undefined;
  let kern: ReturnType<KernelRouter['send']> = [];
  let kernCt = '';
  beforeAll(() => {
    k = KernelRouter.create(LINKS, ROUTES, NEIGH_H, {}, 'ct15');
    const r = spawnSync('ip', ['netns', 'exec', k.router, 'nft', '-f', '-'], { input: RULESET, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nft -f: ${r.stderr}`);
    kern = k.send(STEPS.map((s) => ['eth0', s.frame]));
    kernCt = spawnSync('ip', ['netns', 'exec', k.router, 'conntrack', '-L'], { encoding: 'utf8' }).stdout;
  }, 60_000);
  afterAll(() => k?.close());

  it('translates the hairpinned connection as Linux does', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH_H);
    fx.dp.nat.add({ hook: 'prerouting', iif: 'eth0', dst: '198.51.100.1/32', proto: 'tcp', dport: 8080, type: 'dnat', to: '192.0.2.3:80' });
    fx.dp.nat.add({ hook: 'postrouting', oif: 'eth0', src: '192.0.2.0/24', dst: '192.0.2.3/32', type: 'masquerade' });
    STEPS.forEach((s, i) => {
      const ours = fx.rx('eth0', s.frame);
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
