// IPv6 multicast neighbour entries, with the kernel as the judge: a host that sends to a multicast group
// (here the solicited-node group of the NS it sends to resolve a neighbour, and all nodes for the NA that
// answers a DAD probe) gets a NOARP entry for the
// group whose address is ndisc_mc_map's (ipv6_eth_mc_map: 33:33 and the group's low 32 bits), made by
// ndisc_constructor when ip6_finish_output2 looks the neighbour up; `ip -6 neigh show` hides it (iproute2's
// default state filter leaves NOARP out) and `nud noarp` / `nud all` show it.
//
// The same frames go into a router namespace (wx-net-gaps-PID-N-r, removed after the test, also when it
// fails) and into wxdp; then `ip -6 neigh show …` must print the same lines, compared as sorted sets (the
// kernel dumps a table in the order of a hash keyed with a random secret). Masked: the entries for the
// MLD groups the kernel reports to by itself when the link comes up (ff02::16, MLDv2 reports; ff02::2,
// router solicitations) — wxdp sends no MLD — are left out of the kernel's answer, and listed here.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Fixture, eth, echo6, icmp6, ipv6, type LinkCfg } from './support.js';
import { ipv6Bytes } from '../../src/control/addresses.js';
import { KernelRouter, kernelUnavailable } from './kernel.js';

const R_MAC = '02:00:00:00:00:01';
const H_MAC = '02:00:00:00:00:02';
const LINKS: LinkCfg[] = [{ name: 'eth0', mac: R_MAC, v6: ['2001:db8:1::1/64'] }];
/** Groups the kernel sends to by itself (MLD reports, router solicitations): not modelled in wxdp. */
const SELF_GROUPS = /^ff02::(16|2) /;

/** An echo request from `src` (a neighbour not yet known) to the router: the reply needs resolution. */
function echoFrom(src: string, seq: number): Uint8Array {
  return eth({ dst: R_MAC, src: H_MAC, type: 0x86dd }, ipv6({ src, dst: '2001:db8:1::1', nh: 58, hlim: 64 }, echo6(src, '2001:db8:1::1', 7, seq, new Uint8Array(8))));
}

/** A DAD probe for our own address (NS from ::): the answer is an NA to all nodes, ff02::1 (ndisc_recv_ns). */
function dadProbe(): Uint8Array {
  const ns = icmp6('::', 'ff02::1:ff00:1', 135, 0, [0, 0, 0, 0], Uint8Array.from(ipv6Bytes('2001:db8:1::1')));
  return eth({ dst: '33:33:ff:00:00:01', src: H_MAC, type: 0x86dd }, ipv6({ src: '::', dst: 'ff02::1:ff00:1', nh: 58, hlim: 255 }, ns));
}

const noKernel = kernelUnavailable();

describe('IPv6 multicast neighbour entries (ndisc_constructor: NOARP, ipv6_eth_mc_map)', () => {
  it.skipIf(noKernel !== '')(`made when the stack sends to a group, shown with nud noarp as the kernel does ${noKernel ? `(skipped: ${noKernel})` : ''}`, async () => {
    const k = KernelRouter.create(LINKS, [], [], {}, 'net-gaps');
    try {
      const fx = await Fixture.create(LINKS);
      const frames = [echoFrom('2001:db8:1::5', 1), echoFrom('2001:db8:1::1:abcd', 2), dadProbe()];
      const sent = k.send(frames.map((f) => ['eth0', f]));
      const ours = frames.map((f) => fx.rx('eth0', f).get('eth0') ?? []);
      // both solicited the neighbours at their solicited-node groups (33:33:ff:…)
      const firstDst = ['3333ff000005', '3333ff01abcd', '333300000001'];
      for (const [i, r] of sent.entries()) {
        expect((r.tx.get('eth0') ?? []).map((f) => Buffer.from(f.subarray(0, 6)).toString('hex'))).toEqual([firstDst[i]]);
        expect(ours[i]!.map((f) => Buffer.from(f.subarray(0, 6)).toString('hex'))).toEqual([firstDst[i]]);
      }
      const kip = (line: string): string => {
        const r = spawnSync('ip', ['-n', k.router, ...line.split(' ')], { encoding: 'utf8' });
        return r.stdout + r.stderr;
      };
      const unmasked = kip('-6 neigh show nud noarp');
      const masked = (s: string): string => s.split('\n').filter((l) => !SELF_GROUPS.test(l)).sort().join('\n');
      const maskedJson = (s: string): string[] =>
        (JSON.parse(s) as Array<{ dst: string }>).filter((e) => !SELF_GROUPS.test(`${e.dst} `)).map((e) => JSON.stringify(e)).sort();
      // the kernel has the entries to be seen (not a comparison of two empty answers)
      expect(unmasked).toContain('ff02::1:ff00:5 dev eth0 lladdr 33:33:ff:00:00:05 NOARP');
      for (const line of ['-6 neigh show nud noarp', '-6 neigh show', '-6 neigh show nud all', '-6 neigh show dev eth0 nud noarp', '-6 neigh get ff02::1:ff00:5 dev eth0']) {
        expect({ line, out: masked(fx.dp.ip(line).stdout) }).toEqual({ line, out: masked(kip(line)) });
      }
      expect(maskedJson(fx.dp.ip('-j -6 neigh show nud noarp').stdout)).toEqual(maskedJson(kip('-j -6 neigh show nud noarp')));
    } finally {
      k.close();
    }
  });
});

describe('IPv6 multicast neighbour entries, by hand (RFC 2464 7: 33:33 and the group\'s last 32 bits)', () => {
  it('an NS to a solicited-node group leaves a NOARP entry, hidden from a plain show', async () => {
    const fx = await Fixture.create(LINKS);
    fx.rx('eth0', echoFrom('2001:db8:1::1:abcd', 1));
    expect(fx.dp.ip('-6 neigh show nud noarp').stdout).toBe('ff02::1:ff01:abcd dev eth0 lladdr 33:33:ff:01:ab:cd NOARP \n');
    expect(fx.dp.ip('-6 neigh show').stdout).toBe('2001:db8:1::1:abcd dev eth0 INCOMPLETE \n');
    expect(JSON.parse(fx.dp.ip('-j -6 neigh show nud noarp').stdout)).toEqual([{ dst: 'ff02::1:ff01:abcd', dev: 'eth0', lladdr: '33:33:ff:01:ab:cd', state: ['NOARP'] }]);
  });
});
