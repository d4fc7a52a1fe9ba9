// Named counters, quotas and limits through the whole stack against the kernel: the same rule file loaded with
// `nft -f` into a Linux router in namespaces and into wxdp, the same frames sent through both, what each forwarded
// compared frame by frame — a counter two rules count into (nft_objref: one object, one state), a quota two ports
// consume together, a limit two ports share one bucket of — then `list counters`, `list quotas` and
// `list ruleset` on both, and `reset counters` (the values, then zero) followed by a listing. The limit's rate is
// per minute, so the kernel's clock running during the run refills less than a tenth of one packet's cost.

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture, eth, hex, ipv4, stackUnready, udp4 } from '../net/support.js';
import { KernelRouter, kernelUnavailable } from '../net/kernel.js';
import { H0, LINKS, M0, NEIGH, ROUTES } from './ct_support.js';
import { passedPerRun } from './nft_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const RULESET = `table inet f {
	counter both { packets 10 bytes 1000 }
	quota shared { 1000 bytes }
	limit burst3 { rate 1/minute burst 3 packets }
	counter unused {
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		udp dport 2000 counter name "both"
		udp dport 2001 counter name "both" accept
		udp dport { 2002, 2003 } quota name "shared" accept
		udp dport { 2002, 2003 } drop
		udp dport { 2004, 2005 } limit name "burst3" counter accept
		udp dport { 2004, 2005 } drop
	}
}
`;

/** A UDP datagram of `ipLen` bytes (IP header included) from the inside host to 203.0.113.5. */
const dgram = (dport: number, ipLen: number, i: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '203.0.113.5', proto: 17, id: 0x6000 + i }, udp4('192.0.2.2', '203.0.113.5', 4000 + i, dport, new Uint8Array(ipLen - 28).fill(i))));

// [dport, IP length, frames, how many the rules let through (derived by hand from the kernel's arithmetic)]
const RUNS: Array<[number, number, number, number]> = [
  [2000, 100, 2, 2], // counted into `both`, then the policy accepts
  [2001, 60, 3, 3], // the same counter: 10 + 5 packets, 1000 + 200 + 180 bytes
  [2002, 300, 2, 2], // 300, 600 of the shared 1000
  [2003, 300, 2, 1], // 900 passes; 1200 is over, for this port too
  [2004, 60, 2, 2], // two of the shared burst of three
  [2005, 60, 2, 1], // the third; then the bucket is empty for either port
];
const FRAMES = RUNS.flatMap(([dport, len, n]) => Array.from({ length: n }, (_, i) => dgram(dport, len, i)));

describe.skipIf(unready !== '' || noKernel !== '')(`named counters, quotas and limits through the stack against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  let k: KernelRouter | undefined;
  let kern: ReturnType<KernelRouter['send']> = [];
  const kernOut: Record<string, string> = {};
  const nftK = (...args: string[]): string => spawnSync('ip', ['netns', 'exec', k!.router, 'nft', ...args], { encoding: 'utf8' }).stdout;
  beforeAll(() => {
    k = KernelRouter.create(LINKS, ROUTES, NEIGH, {}, 'nftob');
    const r = spawnSync('ip', ['netns', 'exec', k.router, 'nft', '-f', '-'], { input: RULESET, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nft -f: ${r.stderr}`);
    kern = k.send(FRAMES.map((f) => ['eth0', f]), 0.05);
    for (const cmd of ['list counters', 'list quotas', 'list ruleset', 'reset counters', 'list counters', 'reset quota inet f shared', 'list ruleset']) kernOut[`${Object.keys(kernOut).length} ${cmd}`] = nftK(...cmd.split(' '));
  }, 60_000);
  afterAll(() => k?.close());

  it(`forwards what the kernel forwards of ${FRAMES.length} frames, and lists and resets the objects as it does`, async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nft(RULESET);
    const ours = FRAMES.map((f) => (fx.rx('eth0', f).get('eth1') ?? []).map(hex));
    const theirs = kern.map((r) => (r.tx.get('eth1') ?? []).map(hex));
    expect(ours).toEqual(theirs);
    // and the comparison is not of silences: how many of each run went through, as derived above
    expect(passedPerRun(theirs, RUNS)).toEqual(RUNS.map((r) => r[3]));
    for (const [key, out] of Object.entries(kernOut)) expect(fx.dp.nft(key.slice(key.indexOf(' ') + 1)), key).toBe(out);
    // the two rules counted into one counter, values derived by hand; the reset listed them, then zeroed
    expect(kernOut['0 list counters']).toContain('\tcounter both {\n\t\tpackets 15 bytes 1380\n\t}\n');
    expect(kernOut['3 reset counters']).toContain('packets 15 bytes 1380');
    expect(kernOut['4 list counters']).toContain('\tcounter both {\n\t\tpackets 0 bytes 0\n\t}\n');
  });
});
