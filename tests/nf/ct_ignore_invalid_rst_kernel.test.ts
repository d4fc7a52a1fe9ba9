// net.netfilter.nf_conntrack_tcp_ignore_invalid_rst against the kernel: a RST whose sequence number is
// before what the other side acknowledged (seen[!dir].td_maxack) is INVALID by default (nf_conntrack_tcp_packet:
// "invalid rst", here dropped by `ct state invalid drop`); with the sysctl 1 it goes on — not the exact sequence
// number of an established connection, so the state stays ESTABLISHED (a challenge ACK may follow) — and is
// forwarded. Found by the nf fuzzer (seed 668): a flowtable forwards such a RST of an offloaded connection
// (nf_flow_state_check), which the fuzzer's judge, a kernel without nf_flow_table, then takes on its slow path
// with this sysctl set (FLOW_SLOW).

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture, hex, stackUnready } from '../net/support.js';
import { KernelRouter, kernelUnavailable } from '../net/kernel.js';
import { ACK, LINKS, NEIGH, PSH, ROUTES, RST, SYN, SYN_OPTS, parseConntrackL, tcpFrame } from './ct_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '') ||
  (spawnSync('conntrack', ['--version']).status !== 0 ? 'conntrack (Debian conntrack) missing' : '');
const skipWhy = noKernel ? ` (skipped: ${noKernel})` : '';

const RULESET = `table ip t {
  chain forward {
    type filter hook forward priority 0; policy accept;
    ct state invalid counter drop
    tcp flags rst counter
  }
}
`;

const C = '192.0.2.2';
const S = '203.0.113.5';
/** A connection from port `p`: handshake, 100 bytes from S acknowledged by C (td_maxack 5101), then S's RST at 5001. */
const steps = (p: number): Array<[string, Uint8Array]> => [
  ['eth0', tcpFrame('in', C, S, p, 80, { seq: 1000, flags: SYN, options: SYN_OPTS })],
  ['eth1', tcpFrame('out', S, C, 80, p, { seq: 5000, ack: 1001, flags: SYN | ACK, win: 65160, options: SYN_OPTS })],
  ['eth0', tcpFrame('in', C, S, p, 80, { seq: 1001, ack: 5001, flags: ACK, win: 502 })],
  ['eth1', tcpFrame('out', S, C, 80, p, { seq: 5001, ack: 1001, flags: PSH | ACK, win: 509, data: new Uint8Array(100).fill(7) })],
  ['eth0', tcpFrame('in', C, S, p, 80, { seq: 1001, ack: 5101, flags: ACK, win: 502 })],
  ['eth1', tcpFrame('out', S, C, 80, p, { seq: 5001, ack: 0, flags: RST, win: 0 })],
];
const KEY = 'net.netfilter.nf_conntrack_tcp_ignore_invalid_rst';

/** What each step sent out of the router's devices, as `DEV HEX` in order. */
const sent = (tx: Map<string, Uint8Array[]>): string[] => ['eth0', 'eth1'].flatMap((d) => (tx.get(d) ?? []).map((f) => `${d} ${hex(f)}`));

describe.skipIf(unready !== '' || noKernel !== '')(`a RST before the acknowledged sequence, nf_conntrack_tcp_ignore_invalid_rst 0 and 1, against the kernel${skipWhy}`, () => {
  let k: KernelRouter | undefined;
  let kern: string[][] = [];
  let kernList = '';
  let kernCt = '';
  beforeAll(() => {
    k = KernelRouter.create(LINKS, ROUTES, NEIGH, {}, 'ctrst');
    const r = spawnSync('ip', ['netns', 'exec', k.router, 'nft', '-f', '-'], { input: RULESET, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nft -f: ${r.stderr}`);
    kern = k.send(steps(40000)).map((x) => sent(x.tx));
    const s = spawnSync('ip', ['netns', 'exec', k.router, 'sysctl', '-qw', `${KEY}=1`], { encoding: 'utf8' });
    if (s.status !== 0) throw new Error(`sysctl: ${s.stderr}`);
    kern.push(...k.send(steps(40001)).map((x) => sent(x.tx)));
    kernList = spawnSync('ip', ['netns', 'exec', k.router, 'nft', 'list', 'ruleset'], { encoding: 'utf8' }).stdout;
    kernCt = spawnSync('ip', ['netns', 'exec', k.router, 'conntrack', '-L'], { encoding: 'utf8' }).stdout;
  }, 60_000);
  afterAll(() => k?.close());

  it('drops the RST as invalid by default, forwards it with the sysctl, the connection left ESTABLISHED', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nft(RULESET);
    expect(fx.dp.sysctl(KEY)).toBe(0);
    const ours = steps(40000).map(([dev, f]) => sent(fx.rx(dev, f)));
    fx.dp.sysctl(KEY, 1);
    ours.push(...steps(40001).map(([dev, f]) => sent(fx.rx(dev, f))));
    expect(ours).toEqual(kern);
    // derived by hand: every step forwarded but the first connection's RST
    expect(ours.map((x) => x.length)).toEqual([1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1]);
    expect(fx.dp.nft('list ruleset')).toBe(kernList);
    expect(kernList).toContain('ct state invalid counter packets 1 bytes 40 drop');
    const line = (t: string): string[] => parseConntrackL(t).map((l) => `${l.proto} ${l.rest}`);
    expect(line(fx.dp.conntrack.format())).toEqual(line(kernCt));
    expect(line(kernCt).filter((l) => l.includes('ESTABLISHED')).length).toBe(2);
  });
});
