// `redirect` (nft_redir_eval → nf_nat_redirect_ipv4): destination NAT to the router itself — the input
// device's first address, the port given — against the kernel: the same rule file through `nft -f` in
// namespaces and through wxdp, the same frames in. Nothing listens on the redirected ports on either
// side, so the router answers, and its answer goes back translated (the reply's source is the address
// and port the client asked for): a TCP reset for a SYN, ICMP port unreachable for a UDP datagram (the
// quoted datagram translated back too). Fields the router chooses (its IP ID) are masked.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture, eth, hex, ipv4, stackUnready, udp4 } from '../net/support.js';
import { KernelRouter, kernelUnavailable, maskOwn } from '../net/kernel.js';
import { H0, LINKS, M0, NEIGH, ROUTES, SYN, SYN_OPTS, tcpFrame } from './ct_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const RULESET = `table ip nat {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "eth0" tcp dport 2222 redirect to :22
		iifname "eth0" udp dport 5353 redirect to :53
	}
}
`;
const C = '192.0.2.2';
const S = '203.0.113.5';
const STEPS: Array<{ what: string; frame: Uint8Array }> = [
  { what: 'TCP SYN to port 2222: redirected to the router :22, a reset back from S:2222', frame: tcpFrame('in', C, S, 40000, 2222, { seq: 1000, flags: SYN, options: SYN_OPTS }) },
  {
    what: 'UDP to port 5353: redirected to the router :53, port unreachable back about S:5353',
    frame: eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: C, dst: S, proto: 17, id: 0x4100 }, udp4(C, S, 5000, 5353, Uint8Array.of(1, 2, 3, 4, 5, 6)))),
  },
];

/**
 * A reset the router built: over IPv4 the kernel leaves its TCP checksum to the device (CHECKSUM_PARTIAL:
 * the field holds the pseudo-header's folded sum, which a veth hands on), wxdp writes the whole checksum:
 * the field is cleared on both sides so the rest is compared byte for byte.
 */
function settle(f: Uint8Array): Uint8Array {
  const c = maskOwn(f);
  if (c[12] === 0x08 && c[13] === 0x00 && c[14 + 9] === 6) c[14 + 20 + 16] = c[14 + 20 + 17] = 0;
  return c;
}

describe.skipIf(unready !== '' || noKernel !== '')(`nft redirect against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  let k: KernelRouter | undefined;
  let kern: ReturnType<KernelRouter['send']> = [];
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'wx-ft15-'));
    writeFileSync(join(dir, 'redir.nft'), RULESET);
    k = KernelRouter.create(LINKS, ROUTES, NEIGH, {}, 'ft15');
    const r = spawnSync('ip', ['netns', 'exec', k.router, 'nft', '-f', join(dir, 'redir.nft')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nft -f: ${r.stderr}`);
    kern = k.send(STEPS.map((s) => ['eth0', s.frame]));
  }, 60_000);
  afterAll(() => {
    k?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers the redirected connections as the kernel does, translated back', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nftFile(join(dir, 'redir.nft'));
    STEPS.forEach((s, i) => {
      const ours = fx.rx('eth0', s.frame);
      for (const dev of ['eth0', 'eth1']) {
        const a = (ours.get(dev) ?? []).map((f) => hex(settle(f)));
        const b = (kern[i]!.tx.get(dev) ?? []).map((f) => hex(settle(f)));
        expect({ what: s.what, dev, out: a }).toEqual({ what: s.what, dev, out: b });
      }
    });
    // not silences: each answer came back on eth0, from the address the client asked for
    expect(kern.map((r) => r.tx.get('eth0')?.length ?? 0)).toEqual([1, 1]);
    const rst = kern[0]!.tx.get('eth0')![0]!;
    expect([...rst.subarray(14 + 12, 14 + 16)].join('.')).toBe(S);
    expect((rst[14 + 20]! << 8) | rst[14 + 21]!).toBe(2222);
    expect(fx.dp.conntrack.list().map((c) => c.reply.src)).toContain('192.0.2.1');
  });
});
