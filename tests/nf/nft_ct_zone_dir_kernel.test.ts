// `ct original zone set N` / `ct reply zone set N`: nft_ct_set_zone_eval gives a packet conntrack has not seen yet a
// template whose zone applies to one direction only (NF_CT_ZONE_DIR_ORIG / _REPL): the entry made from it keeps the id in
// that direction's tuple and the default zone (0) in the other, and a lookup matches a direction's tuple in that
// direction's zone of the template (resolve_normal_ct: the original direction's zone id first, then the reply's). Rules
// loaded by nft 1.0.6 and by wxdp and listed back alike, bad ones refused alike; then datagrams through a Linux 6.18
// router in namespaces and through wxdp: the same frames out, the same counters, conntrack -L alike (zone-orig= /
// zone-reply= inside a tuple).

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eth, Fixture, ipv4, stackUnready, udp4 } from '../net/support.js';
import { KernelRouter, kernelUnavailable } from '../net/kernel.js';
import { H0, H1, LINKS, M0, M1, NEIGH, ROUTES, parseConntrackL, sentCompleted } from './ct_support.js';
import { expectSequenceAsNft, loadListedAsNft, nftAgainst, nftSession } from './nft_support.js';

const { nsa, skip, why } = nftAgainst('nft58z');

const RULES = [
  'ct original zone set 5',
  'ct reply zone set 0x10',
  'udp dport 53 ct original zone set 65535 counter',
  'ct reply zone set 0',
  'ct original zone 5 ct reply zone set 3',
];

const REFUSED = [
  'add table inet t',
  'add chain inet t c { type filter hook prerouting priority raw; }',
  'add rule inet t c ct original zone set 65536',
  'add rule inet t c ct reply zone set foo',
  'add rule inet t c ct reply zone set -1',
  'add table netdev n',
  'add chain netdev n c { type filter hook ingress devices = { lo } priority 0; }',
  'add rule netdev n c ct original zone set 3',
  'list ruleset',
];

describe.skipIf(skip)(`ct original|reply zone set, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'nft58z');

  it(`takes ${RULES.length} rules and lists them as nft does`, () => {
    const file = join(s.dir, 'zones.nft');
    writeFileSync(file, ['table inet f {', '\tchain c {', '\t\ttype filter hook prerouting priority raw; policy accept;', ...RULES.map((r) => `\t\t${r}`), '\t}', '}', ''].join('\n'));
    loadListedAsNft(s.ns, s.dp, file);
    expectSequenceAsNft(s.ns, s.dp, ['delete table inet f']);
  });

  it(`refuses rules as nft does, each at its place (${REFUSED.length} commands)`, () => {
    expectSequenceAsNft(s.ns, s.dp, REFUSED);
  });
});

// 5801: the original direction's zone 5, its answer (no template) finds the entry by the reply tuple in zone 0.
// 5802: the reply direction's zone 6 given both ways: both find the one entry.
// 5803: the reply direction's zone 7 given to the first datagram only: its answer, in the default zone, misses the
//       entry's reply tuple (zone 7) and makes an entry of its own whose reply tuple is the first's original one:
//       conntrack's confirmation finds it taken and drops the answer (`ct state new` in forward counts it first).
// 5804: the original direction's zone 8 given both ways: the answer's original-direction lookup (zone 8) misses, its
//       reply-direction lookup (zone 0) finds the entry.
// The template itself (nf_ct_get finds it until conntrack runs): 5805 untracked, then given a zone — tracked in it;
// 5806 given a zone, then notrack — which leaves a packet with a conntrack alone; 5807 given two zones — the first
// stays, and rules after it see the template as state new, and nothing else of it (nft_ct_get_eval breaks).
const RULESET = `table ip z {
	chain raw {
		type filter hook prerouting priority raw; policy accept;
		udp dport 5801 ct original zone set 5
		udp dport 5802 ct reply zone set 6
		udp sport 5802 ct reply zone set 6
		udp dport 5803 ct reply zone set 7
		udp dport 5804 ct original zone set 8
		udp sport 5804 ct original zone set 8
		udp dport 5805 notrack
		udp dport 5805 ct zone set 9
		udp dport 5806 ct zone set 10
		udp dport 5806 notrack
		udp dport 5807 ct original zone set 11
		udp dport 5807 ct zone set 12
		udp dport 5807 ct state new counter
		udp dport 5807 ct zone 11 counter
		udp dport 5807 ct reply zone 0 counter
		udp dport 5807 ct direction original counter
		udp dport 5807 ct mark 0 counter
		udp dport 5807 ct status 0 counter
	}

	chain forward {
		type filter hook forward priority filter; policy accept;
		udp dport 5801 ct original zone 5 ct reply zone 0 ct zone 5 counter
		udp sport 5801 ct state established ct reply zone 0 ct direction reply counter
		udp dport 5802 ct original zone 0 ct reply zone 6 ct zone 6 counter
		udp sport 5802 ct state established ct direction reply counter
		udp sport 5803 ct state new ct direction original counter
		udp sport 5803 ct state established counter
		udp sport 5804 ct state established ct direction reply ct original zone 8 counter
		udp dport 5805 ct zone 9 counter
		udp dport 5806 ct zone 10 counter
		udp dport 5807 ct original zone 11 counter
		ct zone 0 counter
		ct zone != 0 counter
	}
}
`;

const IN = '192.0.2.2';
const OUT = '203.0.113.5';
/** A UDP datagram from the inside host (port `sport`) to OUT:`dport`; `reply`: from the outside back to it. */
const dgram = (dport: number, sport: number, reply = false, n = 8): [string, Uint8Array] => {
  const [src, dst] = reply ? [OUT, IN] : [IN, OUT];
  const [sp, dp] = reply ? [dport, sport] : [sport, dport];
  const mac = reply ? { dst: M1, src: H1, type: 0x0800 } : { dst: M0, src: H0, type: 0x0800 };
  return [reply ? 'eth1' : 'eth0', eth(mac, ipv4({ src, dst, proto: 17, id: 0x5800 + n + sp }, udp4(src, dst, sp, dp, new Uint8Array(n).fill(n))))];
};

const FRAMES: Array<[string, Uint8Array]> = [
  dgram(5801, 6801), dgram(5801, 6801), dgram(5801, 6801, true), dgram(5801, 6801),
  dgram(5802, 6802), dgram(5802, 6802, true), dgram(5802, 6802),
  dgram(5803, 6803), dgram(5803, 6803, true), dgram(5803, 6803, true),
  dgram(5804, 6804), dgram(5804, 6804, true), dgram(5804, 6804),
  dgram(5805, 6805), dgram(5806, 6806), dgram(5807, 6807), dgram(5807, 6807, true), dgram(5807, 6807),
];


const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '') ||
  (spawnSync('conntrack', ['--version']).status !== 0 ? 'conntrack (Debian conntrack) missing' : '');

describe.skipIf(unready !== '' || noKernel !== '')(`one direction's ct zone, the stack against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  let k: KernelRouter | undefined;
  const kern = { out: [] as string[][], list: '', ct: '' };
  beforeAll(() => {
    k = KernelRouter.create(LINKS, ROUTES, NEIGH, {}, 'nft58z');
    const inR = (cmd: string, args: string[], input?: string): string => {
      const r = spawnSync('ip', ['netns', 'exec', k!.router, cmd, ...args], { input, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    inR('nft', ['-f', '-'], RULESET);
    kern.out = k.send(FRAMES, 0.05).map((x) => sentCompleted(x.tx, true));
    kern.list = inR('nft', ['list', 'ruleset']);
    kern.ct = inR('conntrack', ['-L']);
  }, 60_000);
  afterAll(() => k?.close());

  it(`forwards what the kernel forwards of ${FRAMES.length} frames, counts as it does, and lists conntrack's zones alike`, async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nft(RULESET);
    const ours = FRAMES.map(([d, f]) => sentCompleted(fx.rx(d, f), false));
    expect(ours).toEqual(kern.out);
    // each frame forwarded but 5803's answers: new entries whose reply tuple clashes at confirmation (dropped)
    expect(kern.out.map((x) => x.length)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(fx.dp.nft('list ruleset')).toBe(kern.list);
    expect(kern.list).toContain('udp dport 5801 ct original zone 5 ct reply zone 0 ct zone 5 counter packets 3 ');
    expect(kern.list).toContain('udp sport 5804 ct state established ct direction reply ct original zone 8 counter packets 1 ');
    const mine = parseConntrackL(fx.dp.conntrack.format()).map((l) => `${l.proto} ${l.rest}`);
    const theirs = parseConntrackL(kern.ct).map((l) => `${l.proto} ${l.rest}`);
    expect(mine).toEqual(theirs);
    expect(theirs.find((l) => l.includes('sport=6801'))).toContain('zone-orig=5');
    expect(theirs.find((l) => l.includes('sport=6802'))).toContain('zone-reply=6');
    expect(kern.list).toContain('udp dport 5807 ct state new counter packets 2 ');
    expect(kern.list).toContain('udp dport 5807 ct zone 11 counter packets 0 ');
    expect(kern.list).toContain('udp dport 5806 ct zone 10 counter packets 1 ');
  });
});
