// IPv6 defragmentation before conntrack against the kernel: fragmented UDP through a router that
// masquerades out of its outside link (`table ip6 nat`) and drops `ct state new` to one port in a forward
// chain, built in namespaces with Debian's nftables (`nft -f` of RULESET) and compared frame by frame with
// wxdp given the same ruleset (dp.nft). The kernel's nf_defrag_ipv6 (PRE_ROUTING, priority -400,
// nf_ct_frag6_gather) holds the fragments in conntrack's own queues (IP6_DEFRAG_CONNTRACK_IN, the input
// device part of the key); the one that completes the datagram carries it, Fragment header gone, through
// conntrack, NAT and the chains, and ip6_fragment cuts it again on the way out at the size of the largest
// fragment that came in (IP6CB frag_max_size): the pieces leave translated, hop limit 63, with a new
// Fragment header. Masked, as the kernel randomises it: the Fragment header's identification
// (ipv6_select_ident hashes a boot secret) — compared instead to be one value across a datagram's pieces.
// Then `conntrack -L -f ipv6` against dp.conntrack's listing.

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture, concat, eth, fragments6, hex, ipv6, stackUnready, type LinkCfg, type NeighCfg, type RouteCfg } from '../net/support.js';
import { KernelRouter, kernelUnavailable } from '../net/kernel.js';
import { H0, H1, M0, M1, l4over6, parseConntrackL, udpBytes } from './ct_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('conntrack', ['--version']).status !== 0 ? 'conntrack (Debian conntrack) missing' : '') ||
  (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const LINKS6: LinkCfg[] = [
  { name: 'eth0', mac: M0, forwarding: true, v6: ['2001:db8:1::1/64'] },
  { name: 'eth1', mac: M1, forwarding: true, v6: ['2001:db8:2::1/64'] },
];
const ROUTES6: RouteCfg[] = [{ dst: '2001:db8:3::/48', via: '2001:db8:2::2', dev: 'eth1' }];
const NEIGH6: NeighCfg[] = [
  { dev: 'eth0', addr: '2001:db8:1::2', mac: H0 },
  { dev: 'eth1', addr: '2001:db8:2::2', mac: H1 },
];
const RULESET = `
table ip6 nat {
	chain postrouting {
		type nat hook postrouting priority 100;
		oifname "eth1" masquerade
	}
}
table ip6 filter {
	chain forward {
		type filter hook forward priority 0; policy accept;
		udp dport 7777 ct state new counter drop
	}
}
`;
const C = '2001:db8:1::2';
const S = '2001:db8:3::5';
const PUB = '2001:db8:2::1';

const data = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);
/** A UDP datagram of `n` payload bytes cut into fragments of at most `mtu` bytes (identification `id`), each in a frame to the router. */
function frags(from: 'in' | 'out', src: string, dst: string, sp: number, dp: number, n: number, id: number, mtu: number): Uint8Array[] {
  const [dmac, smac] = from === 'in' ? [M0, H0] : [M1, H1];
  const dgram = ipv6({ src, dst, nh: 17 }, l4over6(src, dst, 17, udpBytes(sp, dp, data(n, id & 0xff))));
  return fragments6(dgram, mtu, id).map((f) => eth({ dst: dmac, src: smac, type: 0x86dd }, f));
}

/**
 * Fragments of an IPv6 datagram whose first `unfrag` bytes (header and extension headers, the last of
 * which names the upper layer at `nhoff`) stay in each, cut as `cuts` says: [offset, length, more] of
 * the fragmentable part (RFC 8200 4.5), each in a frame from the inside host.
 */
function cut6(dgram: Uint8Array, unfrag: number, nhoff: number, id: number, cuts: Array<[number, number, boolean]>): Uint8Array[] {
  const nh = dgram[nhoff]!;
  return cuts.map(([off, n, more]) => {
    const h = Uint8Array.from(dgram.subarray(0, unfrag));
    h[nhoff] = 44;
    const plen = unfrag - 40 + 8 + n;
    h[4] = plen >> 8;
    h[5] = plen & 0xff;
    const fo = off | (more ? 1 : 0);
    const f = concat(h, Uint8Array.from([nh, 0, fo >> 8, fo & 0xff, (id >>> 24) & 0xff, (id >> 16) & 0xff, (id >> 8) & 0xff, id & 0xff]),
      dgram.subarray(unfrag + off, unfrag + off + n));
    return eth({ dst: M0, src: H0, type: 0x86dd }, f);
  });
}
/** A UDP datagram from the inside host with a hop-by-hop and a destination options header (PadN) before its UDP header. */
function withExt(sp: number, n: number, seed: number): Uint8Array {
  const udp = l4over6(C, S, 17, udpBytes(sp, 53, data(n, seed)));
  return ipv6({ src: C, dst: S, nh: 0 }, concat(Uint8Array.from([60, 0, 1, 4, 0, 0, 0, 0]), Uint8Array.from([17, 0, 1, 4, 0, 0, 0, 0]), udp));
}
const plain = (sp: number, n: number, seed: number): Uint8Array => ipv6({ src: C, dst: S, nh: 17 }, l4over6(C, S, 17, udpBytes(sp, 53, data(n, seed))));

type Step = { what: string; dev: 'eth0' | 'eth1'; frame: Uint8Array };
const steps = (what: string, dev: 'eth0' | 'eth1', fs: Uint8Array[], order?: number[]): Step[] =>
  (order ?? fs.map((_, i) => i)).map((i) => ({ what: `${what}, fragment ${i + 1}/${fs.length}`, dev, frame: fs[i]! }));

const STEPS: Step[] = [
  // 3,000 bytes out at 1,500: masqueraded, refragmented at 1,500
  ...steps('UDP out (masquerade)', 'eth0', frags('in', C, S, 5000, 53, 3000, 0x61010101, 1500)),
  // the answer, 2,000 bytes in two: translated back to the inside host
  ...steps('UDP reply (de-masqueraded)', 'eth1', frags('out', S, PUB, 53, 5000, 2000, 0x61020202, 1500)),
  // fragments of 1,280 bytes (the IPv6 minimum MTU), the last first: cut again at 1,280 (frag_max_size)
  ...steps('UDP out in 1,280-byte fragments, out of order', 'eth0', frags('in', C, S, 5001, 53, 3600, 0x61030303, 1280), [2, 0, 1]),
  // 8,000 bytes: reassembled into a big frame (over a pool frame's size), its conntrack kept there
  ...steps('UDP out, 8,000 bytes (masquerade)', 'eth0', frags('in', C, S, 5003, 53, 8000, 0x61060606, 1500)),
  // `ct state new` seen on the whole datagram: dropped, fragments and all
  ...steps('UDP to port 7777 (ct state new: dropped)', 'eth0', frags('in', C, S, 5002, 7777, 2000, 0x61050505, 1500)),
  // hop-by-hop and destination options before the Fragment header: kept in every piece (ip6_find_1stfragopt)
  ...steps('UDP with hop-by-hop and destination options', 'eth0', cut6(withExt(5005, 2400, 5), 56, 48, 0x61080808,
    [[0, 1400, true], [1400, 1008, false]])),
  // a duplicate is taken silently (DUP_FRAG); the datagram goes once
  ...steps('UDP with a duplicate fragment', 'eth0', cut6(plain(5006, 2000, 6), 40, 6, 0x61090909, [[0, 1448, true], [0, 1448, true], [1448, 560, false]])),
  // an overlap kills the queue (NF_DROP): what comes after starts a queue that never completes
  ...steps('UDP with an overlapping fragment', 'eth0', cut6(plain(5007, 2000, 7), 40, 6, 0x610a0a0a, [[1448, 560, false], [1400, 96, true], [0, 1448, true]])),
  // unequal pieces: cut again at the largest (1,200 bytes of payload + 48: frag_max_size 1,248 → 1,280)
  ...steps('UDP in unequal pieces', 'eth0', cut6(plain(5008, 3000, 8), 40, 6, 0x610b0b0b, [[0, 504, true], [504, 1200, true], [1704, 1304, false]])),
  // a fragment before the last whose payload is no multiple of 8: its queue goes, it passes as it is (-EPROTO)
  ...steps('UDP first fragment of 1,001 bytes with M set', 'eth0', cut6(plain(5009, 2000, 9), 40, 6, 0x610c0c0c, [[0, 1001, true]])),
  // an atomic fragment (offset 0, M 0; RFC 6946): whole as it is, its Fragment header taken out by reassembly
  ...steps('UDP atomic fragment', 'eth0', [eth({ dst: M0, src: H0, type: 0x86dd }, ipv6({ src: C, dst: S, nh: 44 },
    concat(Uint8Array.from([17, 0, 0, 0, 0x61, 7, 7, 7]), l4over6(C, S, 17, udpBytes(5004, 53, data(100, 7))))))]),
];

/** The frame's hex with a Fragment header's identification masked (the kernel's is ipv6_select_ident's), and that identification. */
function masked(f: Uint8Array): { hex: string; id: number | null } {
  const g = Uint8Array.from(f);
  // the Fragment header after any hop-by-hop / destination options headers
  let nh = g[14 + 6]!;
  let off = 14 + 40;
  while ((nh === 0 || nh === 60) && off + 2 <= g.length) {
    nh = g[off]!;
    off += (g[off + 1]! + 1) * 8;
  }
  if (g[12] === 0x86 && g[13] === 0xdd && nh === 44 && off + 8 <= g.length) {
    const at = off + 4;
    const id = ((g[at]! << 24) | (g[at + 1]! << 16) | (g[at + 2]! << 8) | g[at + 3]!) >>> 0;
    g.fill(0, at, at + 4);
    return { hex: hex(g), id };
  }
  return { hex: hex(g), id: null };
}

describe.skipIf(unready !== '' || noKernel !== '')(`IPv6 defragmentation before conntrack against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  let k: KernelRouter | undefined;
  let kern: ReturnType<KernelRouter['send']> = [];
  let kernCt = '';
  beforeAll(() => {
    k = KernelRouter.create(LINKS6, ROUTES6, NEIGH6, { 'net.ipv6.conf.all.forwarding': 1 }, 'ft15c');
    const r = spawnSync('ip', ['netns', 'exec', k.router, 'nft', '-f', '-'], { input: RULESET, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nft -f: ${r.stderr}`);
    kern = k.send(STEPS.map((s) => [s.dev, s.frame]));
    kernCt = spawnSync('ip', ['netns', 'exec', k.router, 'conntrack', '-L', '-f', 'ipv6'], { encoding: 'utf8' }).stdout;
    if (process.env.CT_DEBUG) {
      STEPS.forEach((s, i) => {
        for (const [dev, fs] of kern[i]!.tx) for (const f of fs) console.log(s.what, dev, f.length, masked(f).id?.toString(16), hex(f).slice(28, 28 + 200));
      });
      console.log(kernCt);
    }
  }, 60_000);
  afterAll(() => k?.close());

  it(`forwards ${STEPS.length} IPv6 fragments as Linux does: held until whole, translated, cut again as they came`, async () => {
    const fx = await Fixture.create(LINKS6, ROUTES6, NEIGH6);
    fx.sysctl('IPV6_ALL_FORWARDING', 1);
    fx.dp.nft(RULESET);
    let sent = 0;
    STEPS.forEach((s, i) => {
      const ours = fx.rx(s.dev, s.frame);
      for (const dev of ['eth0', 'eth1']) {
        const a = (ours.get(dev) ?? []).map(masked);
        const b = (kern[i]!.tx.get(dev) ?? []).map(masked);
        if (process.env.CT_DEBUG) console.log(s.what, dev, b.map((x) => x.hex));
        sent += b.length;
        expect({ what: s.what, dev, out: a.map((x) => x.hex) }).toEqual({ what: s.what, dev, out: b.map((x) => x.hex) });
        // one identification across a datagram's pieces, ours as the kernel's
        expect(new Set(a.map((x) => x.id)).size).toBe(new Set(b.map((x) => x.id)).size);
      }
    });
    if (process.env.CT_DEBUG) console.log('sent', sent);
    expect(sent).toBe(3 + 2 + 3 + 6 + 2 + 2 + 3 + 1 + 1); // what the kernel sent: the 7777 datagram and the overlapped one nothing
    if (process.env.CT_DEBUG) console.log(fx.dp.conntrack.format(), kernCt);
    const ours = parseConntrackL(fx.dp.conntrack.format());
    const theirs = parseConntrackL(kernCt);
    expect(ours.map((l) => `${l.proto} ${l.rest}`)).toEqual(theirs.map((l) => `${l.proto} ${l.rest}`));
  });
});
