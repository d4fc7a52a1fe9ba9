// nft_fib at input for what the host sends itself (over lo): nft_fib_can_skip — at prerouting, ingress and input a
// packet of a loopback device (or PACKET_LOOPBACK) is the input device's, no lookup — so `fib saddr . iif oif` is lo
// (`exists`), not the local route's nothing (`missing`: rv55, wxdp skipped only at prerouting, and a reverse path
// filter in an input chain, `fib saddr . iif oif missing drop`, dropped the host's datagrams to itself). The same
// rules in a Linux 6.18 namespace (a Python UDP socket's sends) and in wxdp (its UDP sockets), counters listed alike.

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture, stackUnready, type LinkCfg } from '../net/support.js';
import { KernelRouter, kernelUnavailable } from '../net/kernel.js';
import { udpSocket } from '../net/udp_send_support.js';
import { UdpSender } from '../../src/control/udp_send.js';
import { AF_INET, AF_INET6 } from '../../src/runtime/net_abi.js';
import { LINKS, NEIGH, ROUTES } from './ct_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const LINKS46: LinkCfg[] = LINKS.map((l) => (l.name === 'eth0' ? { ...l, v6: ['2001:db8:1::1/64'] } : l));
const RULESET = `table inet t {
	chain in_f {
		type filter hook input priority filter; policy accept;
		udp dport 7300 fib saddr . iif oif missing counter packets 0 bytes 0
		udp dport 7300 fib saddr . iif oif exists counter packets 0 bytes 0
		udp dport 7300 fib saddr oif missing counter packets 0 bytes 0
		udp dport 7300 fib saddr oif "lo" counter packets 0 bytes 0
	}
}
`;
const PY = "import socket\nfor f, a in ((socket.AF_INET, '192.0.2.1'), (socket.AF_INET6, '2001:db8:1::1')):\n  s = socket.socket(f, socket.SOCK_DGRAM)\n  s.sendto(b'ab', (a, 7300))\n";

describe.skipIf(unready !== '' || noKernel !== '')(`fib at input for the host's own datagrams${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  let k: KernelRouter | undefined;
  let kernRules = '';
  beforeAll(() => {
    k = KernelRouter.create(LINKS46, ROUTES, NEIGH, {}, 'rv55l');
    const ns = (cmd: string[], input?: string): string => {
      const r = spawnSync('ip', ['netns', 'exec', k!.router, ...cmd], { input, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${cmd.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    ns(['ip', 'link', 'set', 'lo', 'up']);
    ns(['nft', '-f', '-'], RULESET);
    ns(['python3', '-c', PY]);
    kernRules = ns(['nft', 'list', 'ruleset']);
  }, 60_000);
  afterAll(() => k?.close());

  it('finds lo as the kernel does (no lookup at input for a loopback packet)', async () => {
    const fx = await Fixture.create(LINKS46, ROUTES, NEIGH);
    fx.dp.ip('link set lo up');
    fx.dp.nft(RULESET);
    const tx = new UdpSender(fx.dp);
    for (const [family, addr] of [[AF_INET, '192.0.2.1'], [AF_INET6, '2001:db8:1::1']] as const) {
      const c = udpSocket(fx.dp, { family, v6only: family === AF_INET6, bind: { addr, port: 6300 } });
      tx.send(c, Uint8Array.of(0x61, 0x62), { address: addr, port: 7300 });
    }
    // not silences: both datagrams counted by the `exists` rule
    expect(kernRules).toMatch(/oif exists counter packets 2 /);
    expect(fx.dp.nft('list ruleset')).toBe(kernRules);
  });
});
