// net.netfilter.nf_conntrack_tcp_ignore_invalid_rst against the kernel: a RST whose sequence number is
// before what the other side acknowledged (seen[!dir].td_maxack) is INVALID by default (nf_conntrack_tcp_packet:
// "invalid rst", here dropped by `ct state invalid drop`); with the sysctl 1 it goes on — not the exact sequence
// number of an established connection, so the state stays ESTABLISHED (a challenge ACK may follow) — and is
// forwarded. Found by the nf fuzzer (seed 668): a flowtable forwards such a RST of an offloaded connection
// (nf_flow_state_check), which the fuzzer's judge, a kernel without nf_flow_table, then takes on its slow path
// with this sysctl set (FLOW_SLOW).

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

/** A connection from port `p` (ct_support.ts rstAfterData), its RST at 5001: before the acknowledged 5101. */
const steps = (p: number): Array<[string, Uint8Array]> => rstAfterData(p, 5001);
const KEY = 'net.netfilter.nf_conntrack_tcp_ignore_invalid_rst';


describe.skipIf(unready !== '' || noKernel !== '')(`a RST before the acknowledged sequence, nf_conntrack_tcp_ignore_invalid_rst 0 and 1, against the kernel${skipWhy}`, () => {
  let kern: string[][] = [];
  let kernList = '';
  let kernCt = '';
  beforeAll(() => {
    ({ sent: kern, list: kernList, ct: kernCt } = kernelBeforeAfter('ctrst', RULESET, KEY, steps(40000), steps(40001)));
  }, 60_000);

  it('drops the RST as invalid by default, forwards it with the sysctl, the connection left ESTABLISHED', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nft(RULESET);
    expect(fx.dp.sysctl(KEY)).toBe(0);
    const ours = steps(40000).map(([dev, f]) => sentOf(fx.rx(dev, f)));
    fx.dp.sysctl(KEY, 1);
    ours.push(...steps(40001).map(([dev, f]) => sentOf(fx.rx(dev, f))));
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
