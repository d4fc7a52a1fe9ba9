// tcp flags and th ports through the whole stack against the kernel: the same rule file loaded with `nft -f` into a
// Linux router in namespaces and into wxdp, the same TCP and UDP segments (each flag combination on a port whose rule
// reads it) sent through both, what each forwarded compared frame by frame, then `list ruleset` on both.

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture, eth, hex, ipv4, stackUnready, udp4 } from '../net/support.js';
import { KernelRouter, kernelUnavailable } from '../net/kernel.js';
import { H0, LINKS, M0, NEIGH, ROUTES } from './ct_support.js';
import { TH, passedPerRun, tcp } from './nft_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const RULESET = `table inet f {
	chain forward {
		type filter hook forward priority filter; policy accept;
		tcp dport 5001 tcp flags & (fin|syn|rst|ack) != syn drop
		tcp dport 5002 tcp flags ! syn,ack drop
		tcp dport 5003 tcp flags { syn | ack, rst } drop
		tcp dport 5004 tcp flags == syn drop
		tcp dport 5005 tcp flags syn / syn,ack drop
		th dport 5006 drop
	}
}
`;

const { FIN, SYN, RST, PSH, ACK } = TH;
const seg = (proto: 6 | 17, dport: number, flags: number, i: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '203.0.113.5', proto, id: 0x7100 + i },
    proto === 6 ? tcp('192.0.2.2', '203.0.113.5', 4100 + i, dport, flags, 1000 + i, flags & ACK ? 1 : 0) : udp4('192.0.2.2', '203.0.113.5', 4100 + i, dport, new Uint8Array(8))));

// [protocol, dport, flags, forwarded (derived by hand from the rule on that port)]
const RUNS: Array<[6 | 17, number, number, number]> = [
  [6, 5001, SYN, 1], [6, 5001, SYN | PSH, 1], [6, 5001, SYN | ACK, 0], [6, 5001, ACK, 0], // (flags & 0x17) != 0x02 drops
  [6, 5002, FIN, 0], [6, 5002, SYN, 1], [6, 5002, ACK | PSH, 1], // neither syn nor ack drops
  [6, 5003, SYN | ACK, 0], [6, 5003, RST, 0], [6, 5003, SYN, 1], [6, 5003, RST | ACK, 1], // the byte, in the set
  [6, 5004, SYN, 0], [6, 5004, SYN | PSH, 1], // the byte, equal
  [6, 5005, SYN, 0], [6, 5005, SYN | PSH, 0], [6, 5005, SYN | ACK, 1], // (flags & 0x12) == 0x02
  [6, 5006, ACK, 0], [17, 5006, 0, 0], [17, 5007, 0, 1], // th: any transport header
];
const FRAMES = RUNS.map(([p, dport, flags], i) => seg(p, dport, flags, i));

describe.skipIf(unready !== '' || noKernel !== '')(`tcp flags and th ports through the stack against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  let k: KernelRouter | undefined;
  let kern: ReturnType<KernelRouter['send']> = [];
  let listing = '';
  beforeAll(() => {
    k = KernelRouter.create(LINKS, ROUTES, NEIGH, {}, 'ks41fl');
    const r = spawnSync('ip', ['netns', 'exec', k.router, 'nft', '-f', '-'], { input: RULESET, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nft -f: ${r.stderr}`);
    kern = k.send(FRAMES.map((f) => ['eth0', f]), 0.05);
    listing = spawnSync('ip', ['netns', 'exec', k.router, 'nft', 'list', 'ruleset'], { encoding: 'utf8' }).stdout;
  }, 60_000);
  afterAll(() => k?.close());

  it(`forwards what the kernel forwards of ${FRAMES.length} segments, and lists the rules as nft does`, async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nft(RULESET);
    const ours = FRAMES.map((f) => (fx.rx('eth0', f).get('eth1') ?? []).map(hex));
    const theirs = kern.map((r) => (r.tx.get('eth1') ?? []).map(hex));
    expect(ours).toEqual(theirs);
    // and the comparison is not of silences: which went through, as derived above
    expect(passedPerRun(theirs, RUNS.map(([, , , n], i) => [i, 0, 1, n] as const))).toEqual(RUNS.map((r) => r[3]));
    expect(fx.dp.nft('list ruleset')).toBe(listing);
  });
});
