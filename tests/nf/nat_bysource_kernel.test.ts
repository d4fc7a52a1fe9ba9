// find_appropriate_src (nf_nat_core.c get_unique_tuple): a new connection from a source (address, port,
// protocol) that an earlier connection already got a source NAT mapping for reuses that mapping when it is in
// the range and free, instead of choosing afresh. With a range of ten addresses the fresh choice is
// find_best_ips_proto's jhash of the source and the destination, so connections from one source to three
// destinations would leave from different addresses; the kernel sends them from the first one's. The same
// frames through a Linux router in namespaces (`nft -f` of the same rules) and through wxdp, compared byte
// for byte.

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture, eth, hex, ipv4, stackUnready, udp4 } from '../net/support.js';
import { KernelRouter, kernelUnavailable } from '../net/kernel.js';
import { H0, LINKS, M0, NEIGH, ROUTES } from './ct_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const RULESET = `table ip nat {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "eth1" snat to 198.51.100.10-198.51.100.19
	}
}
`;

const dgram = (sport: number, dst: string, i: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst, proto: 17, id: 0x6000 + i }, udp4('192.0.2.2', dst, sport, 53, Uint8Array.of(i, 1, 2, 3))));
// one source to three destinations, then another source port to the last of them
const FRAMES = [dgram(5000, '203.0.113.5', 0), dgram(5000, '203.0.113.6', 1), dgram(5000, '203.0.113.77', 2), dgram(5001, '203.0.113.77', 3)];
const srcOf = (f: string): string => f.slice(52, 60) + ':' + f.slice(68, 72); // IPv4 source and UDP source port

describe.skipIf(unready !== '' || noKernel !== '')(`NAT reuses a source's mapping (find_appropriate_src) as the kernel does${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  let k: KernelRouter | undefined;
  let kern: string[] = [];
  beforeAll(() => {
    k = KernelRouter.create(LINKS, ROUTES, NEIGH, {}, 'natsrc');
    const r = spawnSync('ip', ['netns', 'exec', k.router, 'nft', '-f', '-'], { input: RULESET, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nft -f: ${r.stderr}`);
    kern = k.send(FRAMES.map((f) => ['eth0', f]), 0.05).map((o) => (o.tx.get('eth1') ?? []).map(hex).join(' '));
  }, 60_000);
  afterAll(() => k?.close());

  it('sends later connections of a source from its first mapping, byte for byte as the kernel', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nft(RULESET);
    const ours = FRAMES.map((f) => (fx.rx('eth0', f).get('eth1') ?? []).map(hex).join(' '));
    expect(ours).toEqual(kern);
    // what the comparison shows: the three connections of 192.0.2.2:5000 leave from one address and port
    const from = kern.map(srcOf);
    expect(new Set(from.slice(0, 3)).size).toBe(1);
  });
});
