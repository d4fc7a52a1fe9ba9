// The router's own ICMP error turned by LOCAL_OUT's NAT toward another device, against the kernel: an ICMP error
// the stack makes about a packet conntrack found invalid carries no conntrack (nf_ct_attach has none to give), so
// LOCAL_OUT's conntrack looks its quote up (nf_conntrack_inet_error) and may find a DNAT'd connection the quote is
// the inverse of — RELATED in its original direction; NAT then turns the error toward the address behind the DNAT
// (nf_nat_icmp_reply_translation), and nf_nat_ipv4_local_fn, the connection's destination not the other
// direction's source, routes it again (ip_route_me_harder): it leaves by that address's device, not by the one
// the error was first routed out of. Found by the nf fuzzer (seed 909: a time exceeded about a FIN at TTL 0 sent
// from a DNAT target's untranslated address, which wxdp translated and sent out of the first route's device).

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture, hex, stackUnready, type NeighCfg } from '../net/support.js';
import { KernelRouter, kernelUnavailable } from '../net/kernel.js';
import { ACK, FIN, LINKS, NEIGH, ROUTES, SYN, SYN_OPTS, parseConntrackL, tcpFrame } from './ct_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('conntrack', ['--version']).status !== 0 ? 'conntrack (Debian conntrack) missing' : '') ||
  (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

// 198.51.100.70 a virtual address on the outside link, forwarded to the inside host (its neighbour entry only so
// that a route out of eth1 would have somewhere to send to)
const NEIGHS: NeighCfg[] = [...NEIGH, { dev: 'eth1', addr: '198.51.100.70', mac: '02:00:00:00:02:70' }];
const RULESET = `table ip t {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr 198.51.100.70 tcp dport 5000 dnat to 192.0.2.2
  }
  chain output {
    type filter hook output priority filter; policy accept;
    ct state related counter
  }
}
`;
const V = '198.51.100.70';
const X = '203.0.113.5';
const STEPS: Array<{ what: string; dev: 'eth0' | 'eth1'; frame: Uint8Array }> = [
  { what: 'SYN to the virtual address, DNAT to the inside host', dev: 'eth1', frame: tcpFrame('out', X, V, 40000, 5000, { seq: 1000, flags: SYN, options: SYN_OPTS }) },
  // from the virtual address itself, the connection's original turned round: no entry, and a FIN opens none (invalid)
  { what: 'a FIN at TTL 1 from the virtual address', dev: 'eth1', frame: ttl1(tcpFrame('out', V, X, 5000, 40000, { seq: 7000, ack: 1001, flags: FIN | ACK })) },
];

/** The frame with TTL 1 (its header checksum made again). */
function ttl1(f: Uint8Array): Uint8Array {
  const g = Uint8Array.from(f);
  g[22] = 1;
  g[24] = g[25] = 0;
  let s = 0;
  for (let i = 14; i < 34; i += 2) s += (g[i]! << 8) | g[i + 1]!;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  const c = ~s & 0xffff;
  g[24] = c >> 8;
  g[25] = c & 0xff;
  return g;
}

describe.skipIf(unready !== '' || noKernel !== '')(`an ICMP error of the router's NATed at LOCAL_OUT is routed again, against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  let k: KernelRouter | undefined;
  let kern: ReturnType<KernelRouter['send']> = [];
  let kernCt = '';
  let kernList = '';
  beforeAll(() => {
    k = KernelRouter.create(LINKS, ROUTES, NEIGHS, {}, 'natrrt');
    const r = spawnSync('ip', ['netns', 'exec', k.router, 'nft', '-f', '-'], { input: RULESET, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nft -f: ${r.stderr}`);
    kern = k.send(STEPS.map((s) => [s.dev, s.frame]));
    kernCt = spawnSync('ip', ['netns', 'exec', k.router, 'conntrack', '-L'], { encoding: 'utf8' }).stdout;
    kernList = spawnSync('ip', ['netns', 'exec', k.router, 'nft', 'list', 'ruleset'], { encoding: 'utf8' }).stdout;
  }, 60_000);
  afterAll(() => k?.close());

  it('sends the time exceeded, turned toward the inside host, out of the inside device as Linux does', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGHS);
    fx.dp.nft(RULESET);
    const out = STEPS.map((s) => fx.rx(s.dev, s.frame));
    // the error's IPv4 ID is the kernel's keyed hash (ip_select_ident), its header checksum with it: both cleared
    const own = (f: Uint8Array): string => hex(f[23] === 1 ? Uint8Array.from(f).fill(0, 18, 20).fill(0, 24, 26) : f);
    STEPS.forEach((s, i) => {
      for (const dev of ['eth0', 'eth1']) {
        const a = (out[i]!.get(dev) ?? []).map(own);
        const b = (kern[i]!.tx.get(dev) ?? []).map(own);
        expect({ what: s.what, dev, out: a }).toEqual({ what: s.what, dev, out: b });
      }
    });
    // derived by hand: the SYN forwarded to 192.0.2.2 by eth0; the time exceeded (11/0) from 198.51.100.1 to 192.0.2.2
    // by eth0, nothing by eth1
    expect(kern.map((r) => ['eth0', 'eth1'].map((d) => r.tx.get(d)?.length ?? 0))).toEqual([[1, 0], [1, 0]]);
    const err = kern[1]!.tx.get('eth0')![0]!;
    expect([err[23], err[34], err[35]]).toEqual([1, 11, 0]);
    expect(hex(err.subarray(26, 34))).toBe('c6336401c0000202');
    expect(fx.dp.nft('list ruleset')).toBe(kernList);
    expect(kernList).toContain('ct state related counter packets 1 bytes');
    const line = (t: string): string[] => parseConntrackL(t).map((l) => `${l.proto} ${l.rest}`);
    expect(line(fx.dp.conntrack.format())).toEqual(line(kernCt));
  });
});
