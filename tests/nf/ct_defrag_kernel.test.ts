// Defragmentation before conntrack against the kernel: fragmented UDP through a router that masquerades
// its inside link and forwards an outside UDP port inward (DNAT), with a forward rule on `ct state new`,
// built in namespaces with Debian's nftables (`nft -f` of RULESET) and compared frame by frame with
// wxdp given the same ruleset (dp.nft). The kernel's nf_defrag_ipv4 (PRE_ROUTING, priority -400) holds
// the fragments in conntrack's own queues (IP_DEFRAG_CONNTRACK_IN); the one that completes the datagram
// takes it through conntrack, NAT and the chains, and ip_do_fragment cuts it again on the way out: as
// the fragments came (its frag_list fast path, conntrack's reassembly not coalescing them) when they pass
// its geometry check, else at the size of the largest fragment that came in (IPCB frag_max_size): the fragments leave translated, TTL
// 63, header checksums redone, their IP ID the one they came with (nothing the kernel randomises: no
// field is masked). Then `conntrack -L` against dp.conntrack's listing.

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture, eth, fragments4, hex, ipv4, stackUnready, udp4 } from '../net/support.js';
import { KernelRouter, kernelUnavailable } from '../net/kernel.js';
import { H0, H1, LINKS, M0, M1, NEIGH, ROUTES, parseConntrackL } from './ct_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('conntrack', ['--version']).status !== 0 ? 'conntrack (Debian conntrack) missing' : '') ||
  (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const RULESET = `
table ip nat {
	chain prerouting {
		type nat hook prerouting priority -100;
		iifname "eth1" udp dport 5353 dnat to 192.0.2.2:53
	}
	chain postrouting {
		type nat hook postrouting priority 100;
		oifname "eth1" masquerade
	}
}
table ip filter {
	chain forward {
		type filter hook forward priority 0; policy accept;
		udp dport 7777 ct state new counter drop
	}
}
`;

const C = '192.0.2.2';
const S = '203.0.113.5';
const PUB = '198.51.100.1';

const data = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);
/** A UDP datagram of `n` payload bytes cut into fragments of at most `mtu` bytes, each in a frame to the router. */
function frags(from: 'in' | 'out', src: string, dst: string, sp: number, dp: number, n: number, id: number, mtu: number): Uint8Array[] {
  const [dmac, smac] = from === 'in' ? [M0, H0] : [M1, H1];
  const dgram = ipv4({ src, dst, proto: 17, id }, udp4(src, dst, sp, dp, data(n, id & 0xff)));
  return fragments4(dgram, mtu).map((f) => eth({ dst: dmac, src: smac, type: 0x0800 }, f));
}

/** 3,000 bytes cut as 552 + 1,480 + 976 of payload (UDP header included). */
function uneq(): Uint8Array[] {
  const dgram = ipv4({ src: C, dst: S, proto: 17, id: 0x4107 }, udp4(C, S, 5004, 53, data(3000, 0x07)));
  const rest = dgram.subarray(20 + 552);
  const hdr = Uint8Array.from(dgram.subarray(0, 20));
  const mk = (off: number, chunk: Uint8Array, more: boolean) => {
    const h = Uint8Array.from(hdr);
    const len = 20 + chunk.length;
    h[2] = len >> 8; h[3] = len & 0xff;
    const fo = (off >> 3) | (more ? 0x2000 : 0);
    h[6] = fo >> 8; h[7] = fo & 0xff; h[10] = h[11] = 0;
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += (h[i]! << 8) | h[i + 1]!;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
    const c = ~sum & 0xffff; h[10] = c >> 8; h[11] = c & 0xff;
    return eth({ dst: M0, src: H0, type: 0x0800 }, Uint8Array.from([...h, ...chunk]));
  };
  return [mk(552, rest.subarray(0, 1480), true), mk(2032, rest.subarray(1480), false)];
}

type Step = { what: string; dev: 'eth0' | 'eth1'; frame: Uint8Array };
const steps = (what: string, dev: 'eth0' | 'eth1', fs: Uint8Array[], order?: number[]): Step[] =>
  (order ?? fs.map((_, i) => i)).map((i) => ({ what: `${what}, fragment ${i + 1}/${fs.length}`, dev, frame: fs[i]! }));

const STEPS: Step[] = [
  // 3,000 bytes out at 1,500: masqueraded, its source port kept, refragmented at 1,500
  ...steps('UDP out (masquerade)', 'eth0', frags('in', C, S, 5000, 53, 3000, 0x4101, 1500)),
  // the answer, 2,000 bytes in two: translated back to the inside host
  ...steps('UDP reply (de-masqueraded)', 'eth1', frags('out', S, PUB, 53, 5000, 2000, 0x4102, 1500)),
  // fragments of 576 bytes, the last first: reassembled, translated, cut again at 576 (frag_max_size)
  ...steps('UDP out in 576-byte fragments, out of order', 'eth0', frags('in', C, S, 5001, 53, 1800, 0x4103, 576), [3, 1, 0, 2]),
  // DNAT of a fragmented datagram: its port is in the first fragment only
  ...steps('UDP to the forwarded port (DNAT)', 'eth1', frags('out', '203.0.113.7', PUB, 40000, 5353, 2500, 0x4104, 1500)),
  // 8,000 bytes: reassembled into a big frame (over a pool frame's 3,506), its conntrack kept there
  ...steps('UDP out, 8,000 bytes (masquerade)', 'eth0', frags('in', C, S, 5003, 53, 8000, 0x4106, 1500)),
  // `ct state new` seen on the whole datagram: dropped, fragments and all
  ...steps('UDP to port 7777 (ct state new: dropped)', 'eth0', frags('in', C, S, 5002, 7777, 2000, 0x4105, 1500)),
  // unequal pieces (576, then 1,500, then the rest): the kernel's frag_list fast path
  ...steps('UDP out in unequal pieces', 'eth0', [...frags('in', C, S, 5004, 53, 3000, 0x4107, 576).slice(0, 1), ...uneq()]),
];

describe.skipIf(unready !== '' || noKernel !== '')(`defragmentation before conntrack against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  let k: KernelRouter | undefined;
  let kern: ReturnType<KernelRouter['send']> = [];
  let kernCt = '';
  beforeAll(() => {
    k = KernelRouter.create(LINKS, ROUTES, NEIGH, {}, 'ct15');
    const r = spawnSync('ip', ['netns', 'exec', k.router, 'nft', '-f', '-'], { input: RULESET, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nft -f: ${r.stderr}`);
    kern = k.send(STEPS.map((s) => [s.dev, s.frame]));
    kernCt = spawnSync('ip', ['netns', 'exec', k.router, 'conntrack', '-L'], { encoding: 'utf8' }).stdout;
  }, 60_000);
  afterAll(() => k?.close());

  it(`forwards ${STEPS.length} fragments as Linux does: held until whole, translated, cut again as they came`, async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nft(RULESET);
    let sent = 0;
    STEPS.forEach((s, i) => {
      const ours = fx.rx(s.dev, s.frame);
      for (const dev of ['eth0', 'eth1']) {
        const a = (ours.get(dev) ?? []).map(hex);
        const b = (kern[i]!.tx.get(dev) ?? []).map(hex);
        sent += b.length;
        expect({ what: s.what, dev, out: a }).toEqual({ what: s.what, dev, out: b });
      }
    });
    expect(sent).toBe(3 + 2 + 4 + 2 + 6 + 3); // what the kernel sent: the 7777 datagram nothing
    const ours = parseConntrackL(fx.dp.conntrack.format());
    const theirs = parseConntrackL(kernCt);
    expect(ours.map((l) => `${l.proto} ${l.rest}`)).toEqual(theirs.map((l) => `${l.proto} ${l.rest}`));
  });
});
