// net.netfilter.nf_conntrack_tcp_ignore_invalid_rst against the kernel for a RST out of the window (review rv56):
// ct_ignore_invalid_rst_kernel sends one before the acknowledged sequence (nf_conntrack_tcp_packet's check); this
// one's sequence number is past what the receiver's window allows (tcp_in_window), and one is in the window but not
// exact. The sysctl's documentation says "If it's 1, we don't mark out of window RST segments as INVALID", but 6.18
// measured: the far one is INVALID (dropped) with the sysctl 0 and 1 alike; the near one goes through, the entry
// left ESTABLISHED with the close timeout (10 s). Each sent with the sysctl 0 and 1 through a Linux 6.18 router and
// through wxdp: what each forwarded, the counters and the conntrack entries (their timeouts too) compared. wxdp alike.

import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { Fixture, stackUnready } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { LINKS, NEIGH, ROUTES, kernelBeforeAfter, parseConntrackL, rstAfterData, sentOf } from './ct_support.js';

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

const KEY = 'net.netfilter.nf_conntrack_tcp_ignore_invalid_rst';
// far past the window C advertised (502 << 7 bytes past 5101), and inside it but not the exact next sequence
const FAR = 5101 + 0x1000000;
const NEAR = 5101 + 1000;
const RUN = (p: number): Array<[string, Uint8Array]> => [...rstAfterData(p, FAR), ...rstAfterData(p + 1, NEAR)];


describe.skipIf(unready !== '' || noKernel !== '')(`a RST out of the window, nf_conntrack_tcp_ignore_invalid_rst 0 and 1, against the kernel${skipWhy}`, () => {
  let kern: string[][] = [];
  let kernList = '';
  let kernCt = '';
  beforeAll(() => {
    ({ sent: kern, list: kernList, ct: kernCt } = kernelBeforeAfter('rv56rw', RULESET, KEY, RUN(40100), RUN(40200)));
  }, 60_000);

  it('forwards, drops and tracks the RSTs as the kernel does', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nft(RULESET);
    const ours = RUN(40100).map(([dev, f]) => sentOf(fx.rx(dev, f)));
    fx.dp.sysctl(KEY, 1);
    ours.push(...RUN(40200).map(([dev, f]) => sentOf(fx.rx(dev, f))));
    expect(ours).toEqual(kern);
    expect(fx.dp.nft('list ruleset')).toBe(kernList);
    // the kernel's (measured): the far RST dropped with the sysctl 0 and 1, the near one forwarded
    expect(kern.map((x) => x.length)).toEqual([1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1]);
    const line = (t: string): string[] => parseConntrackL(t).map((l) => `${l.proto} ${l.rest}`).sort();
    expect(line(fx.dp.conntrack.format())).toEqual(line(kernCt));
    // timeouts: ours on a clock that did not move, the kernel's a few seconds on
    const timeouts = (t: string): number[] => parseConntrackL(t).sort((a, b) => a.rest.localeCompare(b.rest)).map((l) => l.timeout);
    const ot = timeouts(fx.dp.conntrack.format());
    const kt = timeouts(kernCt);
    expect(ot).toEqual([432000, 10, 432000, 10]);
    ot.forEach((t, i) => expect(t - kt[i]!).toBeGreaterThanOrEqual(0));
    ot.forEach((t, i) => expect(t - kt[i]!).toBeLessThan(30));
  });
});
