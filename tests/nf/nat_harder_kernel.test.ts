// nf_nat_used_tuple_harder (nf_nat_core.c): in the last NF_NAT_HARDER_THRESH tries of a port search, a TCP SYN
// whose every candidate port is held evicts the source-NATed connection in TIME_WAIT that holds one, when the
// SYN's sequence has moved past that connection's, and takes its port. Two connections through `snat to
// 198.51.100.1:2000-2001` closed to TIME_WAIT hold both ports; a third one's SYN goes out from one of them on
// the kernel's side, the connection it evicted gone from `conntrack -L`. The same steps through wxdp. Which of
// the two ports each connection gets is random on both sides (get_random_u16), so the frames are read for
// their port and the listings compared with the ports named by role.

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture, hex, stackUnready } from '../net/support.js';
import { KernelRouter, kernelUnavailable } from '../net/kernel.js';
import { ACK, FIN, LINKS, NEIGH, ROUTES, SYN, SYN_OPTS, parseConntrackL, tcpFrame } from './ct_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('conntrack', ['--version']).status !== 0 ? 'conntrack (Debian conntrack) missing' : '') ||
  (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const RULESET = `table ip nat {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "eth1" meta l4proto tcp snat to 198.51.100.1:2000-2001
	}
}
`;
const C = '192.0.2.2';
const S = '203.0.113.5';
const PUB = '198.51.100.1';

/** A router either side: one frame in, the frames out by device. */
type Step = (dev: 'eth0' | 'eth1', f: Uint8Array) => Map<string, Uint8Array[]>;
/** The TCP source port of the frame eth1 sent, or -1 when it sent none. */
const natPort = (out: Map<string, Uint8Array[]>): number => {
  const f = out.get('eth1')?.[0];
  return f ? (f[34]! << 8) | f[35]! : -1;
};

/**
 * Two connections opened and closed to TIME_WAIT, then a third's SYN: the ports each went out from. The second
 * starts below the first's sequence, so it cannot evict the first (its tries are within the threshold too).
 */
function run(step: Step): number[] {
  const ports: number[] = [];
  for (const [cp, cs, ss] of [[40000, 1000, 5000], [40001, 500, 6000]] as const) {
    const p = natPort(step('eth0', tcpFrame('in', C, S, cp, 80, { seq: cs, flags: SYN, options: SYN_OPTS })));
    ports.push(p);
    step('eth1', tcpFrame('out', S, PUB, 80, p, { seq: ss, ack: cs + 1, flags: SYN | ACK, win: 65160, options: SYN_OPTS }));
    step('eth0', tcpFrame('in', C, S, cp, 80, { seq: cs + 1, ack: ss + 1, flags: ACK, win: 502 }));
    step('eth0', tcpFrame('in', C, S, cp, 80, { seq: cs + 1, ack: ss + 1, flags: FIN | ACK, win: 502 }));
    step('eth1', tcpFrame('out', S, PUB, 80, p, { seq: ss + 1, ack: cs + 2, flags: FIN | ACK, win: 509 }));
    step('eth0', tcpFrame('in', C, S, cp, 80, { seq: cs + 2, ack: ss + 2, flags: ACK, win: 502 }));
  }
  // a new connection's SYN, its sequence past both: every port is held by a connection in TIME_WAIT
  ports.push(natPort(step('eth0', tcpFrame('in', C, S, 40002, 80, { seq: 900000, flags: SYN, options: SYN_OPTS }))));
  return ports;
}

/** `conntrack -L` lines with the NAT ports and the client ports named by the connection that has them. */
function roles(text: string, ports: number[]): string[] {
  const byPort = new Map(ports.slice(0, 2).map((p, i) => [String(p), `P${i}`]));
  return parseConntrackL(text).map((l) => `${l.proto} ${l.rest}`.replace(/(sport|dport)=(\d+)/g, (m, k: string, v: string) => (byPort.has(v) ? `${k}=${byPort.get(v)}` : m))).sort();
}

describe.skipIf(unready !== '' || noKernel !== '')(`a SYN evicts a TIME_WAIT connection holding the last NAT port, as the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  let k: KernelRouter | undefined;
  let kernPorts: number[] = [];
  let kernCt = '';
  beforeAll(() => {
    k = KernelRouter.create(LINKS, ROUTES, NEIGH, {}, 'natharder');
    const r = spawnSync('ip', ['netns', 'exec', k.router, 'nft', '-f', '-'], { input: RULESET, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nft -f: ${r.stderr}`);
    const router = k;
    kernPorts = run((dev, f) => router.send([[dev, f]], 0.05)[0]!.tx);
    kernCt = spawnSync('ip', ['netns', 'exec', k.router, 'conntrack', '-L'], { encoding: 'utf8' }).stdout;
  }, 60_000);
  afterAll(() => k?.close());

  it('sends the third SYN from the evicted connection\'s port and lists what the kernel lists', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nft(RULESET);
    const ours = run((dev, f) => fx.rx(dev, f));
    // the kernel: the two ports, then the third SYN out from one of them
    expect([...kernPorts.slice(0, 2)].sort()).toEqual([2000, 2001]);
    expect(kernPorts.slice(0, 2)).toContain(kernPorts[2]);
    expect([...ours.slice(0, 2)].sort()).toEqual([2000, 2001]);
    expect(ours.slice(0, 2)).toContain(ours[2]);
    // one connection in TIME_WAIT left and the new one in SYN_SENT, the same by role on both sides
    const theirs = roles(kernCt, kernPorts);
    expect(theirs).toHaveLength(2);
    const mine = roles(fx.dp.conntrack.format(), ours);
    // which of the two the SYN evicted depends on the random offset: the survivor is named by its port's role
    const norm = (ls: string[], evicted: number, ports: number[]): string[] => ls.map((l) => l.replaceAll(`P${ports.indexOf(evicted)}`, 'EVICTED').replaceAll(`P${1 - ports.indexOf(evicted)}`, 'KEPT').replace(/sport=4000[01]/g, 'sport=C').replace(/dport=4000[01]/g, 'dport=C'));
    expect(norm(mine, ours[2]!, ours)).toEqual(norm(theirs, kernPorts[2]!, kernPorts));
    void hex;
  });
});
