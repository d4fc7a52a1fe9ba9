// A masqueraded connection whose packets start leaving by another device (nf_nat_inet_fn's
// nf_nat_oif_changed): at POST_ROUTING, a packet of the original direction of a connection masqueraded
// for device A that now leaves by device B kills the connection (nf_ct_kill_acct) and is dropped; the
// next packet makes a new connection (a mid-stream ACK: nf_conntrack_tcp_loose), masqueraded anew.
// Here the route changes under the connection by a mark the mangle chain sets on established packets (a
// fwmark rule to table 77, whose route leaves by eth2): Linux drops the handshake's last ACK, then
// forwards the data segment by eth1 (new, unmarked); wxdp forwarded both by eth2 with the stale address
// (found by the nf fuzzer, seed 621 without its binary-operation rules).

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture, hex, stackUnready, type LinkCfg, type NeighCfg, type RouteCfg } from '../net/support.js';
import { KernelRouter, kernelUnavailable } from '../net/kernel.js';
import { ACK, H1, M0, M1, PSH, SYN, SYN_OPTS, tcpFrame } from './ct_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');
const skipWhy = noKernel ? ` (skipped: ${noKernel})` : '';

const M2 = '02:00:00:00:01:02'; // router eth2
const H2 = '02:00:00:00:02:02'; // the gateway behind eth2
const LINKS: LinkCfg[] = [
  { name: 'eth0', mac: M0, forwarding: true, v4: ['192.0.2.1/25'] },
  { name: 'eth1', mac: M1, forwarding: true, v4: ['198.51.100.1/24'] },
  { name: 'eth2', mac: M2, forwarding: true, v4: ['192.0.2.129/25'] },
];
const ROUTES: RouteCfg[] = [{ dst: '203.0.113.0/24', via: '198.51.100.2', dev: 'eth1' }];
const NEIGH: NeighCfg[] = [
  { dev: 'eth0', addr: '192.0.2.2', mac: '02:00:00:00:02:00' },
  { dev: 'eth1', addr: '198.51.100.2', mac: H1 },
  { dev: 'eth2', addr: '192.0.2.130', mac: H2 },
];
const IP = ['route add 203.0.113.0/24 via 192.0.2.130 dev eth2 table 77', 'rule add fwmark 0x7 lookup 77 pref 100'];

const RULESET = `table ip t {
  chain mangle {
    type filter hook prerouting priority -150; policy accept;
    ct state established meta mark set 0x7
  }
  chain forward {
    type filter hook forward priority 0; policy accept;
    counter
  }
  chain post {
    type nat hook postrouting priority 100; policy accept;
    oifname "eth1" masquerade
  }
}
`;

const C = '192.0.2.2';
const S = '203.0.113.5';
const STEPS: Array<[string, Uint8Array]> = [
  ['eth0', tcpFrame('in', C, S, 40000, 80, { seq: 1000, flags: SYN, options: SYN_OPTS })], // masqueraded out of eth1
  ['eth1', tcpFrame('out', S, '198.51.100.1', 80, 40000, { seq: 5000, ack: 1001, flags: SYN | ACK, win: 65160, options: SYN_OPTS })], // back to C
  ['eth0', tcpFrame('in', C, S, 40000, 80, { seq: 1001, ack: 5001, flags: ACK, win: 502 })], // established, marked: eth2 → killed, dropped
  ['eth0', tcpFrame('in', C, S, 40000, 80, { seq: 1001, ack: 5001, flags: PSH | ACK, win: 502, data: new Uint8Array(10).fill(7) })], // new: eth1
];

/** What each step sent out of the router's devices, as `DEV HEX` in order. */
const sent = (tx: Map<string, Uint8Array[]>): string[] => ['eth0', 'eth1', 'eth2'].flatMap((d) => (tx.get(d) ?? []).map((f) => `${d} ${hex(f)}`));

describe.skipIf(unready !== '' || noKernel !== '')(`a masqueraded connection routed to another device against the kernel${skipWhy}`, () => {
  let k: KernelRouter | undefined;
  let kern: string[][] = [];
  let kernList = '';
  beforeAll(() => {
    k = KernelRouter.create(LINKS, ROUTES, NEIGH, {}, 'nfoif');
    for (const line of IP) {
      const r = spawnSync('ip', ['-n', k.router, ...line.split(' ')], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ip ${line}: ${r.stderr}`);
    }
    const r = spawnSync('ip', ['netns', 'exec', k.router, 'nft', '-f', '-'], { input: RULESET, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nft -f: ${r.stderr}`);
    kern = k.send(STEPS).map((x) => sent(x.tx));
    kernList = spawnSync('ip', ['netns', 'exec', k.router, 'nft', 'list', 'ruleset'], { encoding: 'utf8' }).stdout;
  }, 60_000);
  afterAll(() => k?.close());

  it('drops the packet that changed device and masquerades the next one anew, as the kernel', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    for (const line of IP) fx.dp.ip(line);
    fx.dp.nft(RULESET);
    const ours = STEPS.map(([dev, f]) => sent(fx.rx(dev, f)));
    expect(ours).toEqual(kern);
    // derived by hand: the SYN out of eth1, the SYN/ACK out of eth0, nothing for the ACK, the data out of eth1
    expect(ours.map((x) => x.map((f) => f.slice(0, 4)))).toEqual([['eth1'], ['eth0'], [], ['eth1']]);
    expect(fx.dp.nft('list ruleset')).toBe(kernList);
    expect(kernList).toContain('counter packets 4 bytes');
  });
});
