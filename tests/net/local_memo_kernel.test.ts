// The local input route memo (ipv4_rcv.ts) against the kernel: the same UDP datagram to our address
// before and after a change that alters its input route or its source check. No socket listens, so a
// datagram delivered locally answers with ICMP port unreachable (Udp:NoPorts) and one the input route
// refuses is dropped; each frame's answer and the SNMP counters it moved (the namespace's own) must be
// the kernel's. Drop reasons are not compared here: the kernel's drop trace is machine-wide and picks up
// other tests' namespaces (local_memo.test.ts checks them, hand-derived). The changes are applied to
// both with the same ip / sysctl lines.

import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { KernelRouter, kernelMib, kernelUnavailable, maskOwn } from './kernel.js';
import { Fixture, eth, hex, ipv4, stackUnready, udp4 } from './support.js';
import { H_MAC, LINKS, NEIGH, R_MAC } from '../udp/support.js';

const noKernel = kernelUnavailable() || (await stackUnready());
const SYSCTLS = { 'net.ipv4.icmp_ratelimit': 0 };
const dgram = (src: string): Uint8Array =>
  eth({ dst: R_MAC, src: H_MAC, type: 0x0800 }, ipv4({ src, dst: '192.0.2.1', proto: 17 }, udp4(src, '192.0.2.1', 40000, 5999, Uint8Array.from([1, 2, 3]))));

/** `unlike`: counters left out of the comparison for that frame, for a difference the memo does not cause (named where used). */
type Step = { frame: Uint8Array; unlike?: string[] } | { ip: string } | { sysctl: [string, number] };
const SCENARIOS: Array<{ what: string; steps: Step[] }> = [
  {
    what: 'the address removed, then added back',
    steps: [{ frame: dgram('192.0.2.2') }, { ip: 'addr del 192.0.2.1/24 dev eth0' }, { frame: dgram('192.0.2.2') }, { ip: 'addr add 192.0.2.1/24 brd + dev eth0' }, { frame: dgram('192.0.2.2') }],
  },
  {
    what: 'rp_filter turned on for a source with no route back',
    steps: [{ frame: dgram('203.0.113.9') }, { sysctl: ['net.ipv4.conf.eth0.rp_filter', 1] }, { frame: dgram('203.0.113.9') }, { frame: dgram('192.0.2.2') }],
  },
  {
    what: 'accept_local turned on for our own address as the source',
    // the kernel then sends its port unreachable to itself (Ip:OutRequests, Icmp:OutMsgs, OutDestUnreachs
    // over its loopback); wxdp's icmp_send sends nothing
    // toward its own address — the same before the memo (32da250), a gap of icmp.ts's, left out here
    steps: [
      { frame: dgram('192.0.2.2') },
      { frame: dgram('198.51.100.1') },
      { sysctl: ['net.ipv4.conf.eth0.accept_local', 1] },
      { frame: dgram('198.51.100.1'), unlike: ['Ip:OutRequests', 'Icmp:OutMsgs', 'Icmp:OutDestUnreachs'] },
    ],
  },
  {
    what: 'a rule by source before table local\'s',
    steps: [
      { frame: dgram('192.0.2.2') },
      { ip: 'route add unreachable 192.0.2.1/32 table 100' },
      { ip: 'rule add from 192.0.2.99 lookup 100 pref 10' },
      { ip: 'rule add lookup local pref 100' },
      { ip: 'rule del pref 0' },
      { frame: dgram('192.0.2.2') },
      { frame: dgram('192.0.2.99') },
      { frame: dgram('192.0.2.2') },
    ],
  },
];

describe.skipIf(noKernel !== '')(`the local memo answers as the kernel after each change ${noKernel ? `(skipped: ${noKernel})` : ''}`, () => {
  const routers: KernelRouter[] = [];
  afterAll(() => routers.forEach((k) => k.close()));

  it.each(SCENARIOS)('$what', async ({ steps }) => {
    const k = KernelRouter.create(LINKS, [], NEIGH, SYSCTLS);
    routers.push(k);
    const fx = await Fixture.create(LINKS, [], NEIGH, { sysctls: SYSCTLS });
    let before = fx.mib();
    steps.forEach((s, i) => {
      if ('ip' in s) {
        fx.ip(s.ip);
        const r = spawnSync('ip', ['-n', k.router, ...s.ip.split(' ')], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        return;
      }
      if ('sysctl' in s) {
        fx.dp.sysctl(s.sysctl[0], s.sysctl[1]);
        const r = spawnSync('ip', ['netns', 'exec', k.router, 'sysctl', '-qw', `${s.sysctl[0]}=${s.sysctl[1]}`], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        return;
      }
      const kern = k.send([['eth0', s.frame]])[0]!;
      const out = (fx.rx('eth0', s.frame).get('eth0') ?? []).map((f) => hex(maskOwn(f)));
      expect({ step: i, out }).toEqual({ step: i, out: (kern.tx.get('eth0') ?? []).map((f) => hex(maskOwn(f))) });
      const after = fx.mib();
      const names = Object.keys(after).filter((n) => /^(Ip|Icmp|Udp):/.test(n) && !s.unlike?.includes(n));
      const moved = Object.fromEntries(names.filter((n) => after[n] !== before[n]).map((n) => [n, after[n]! - before[n]!]));
      expect({ step: i, counters: moved }).toEqual({ step: i, counters: kernelMib(kern.counters, names) });
      before = after;
    });
  });
});
