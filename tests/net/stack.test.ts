// dp.stack: the root is set up once, the clock moves only when the control plane advances it, and the
// counters read back by the kernel's names.

import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/index.js';
import { NET_ROOT_PTR, NR, SYSCTL, SYSCTL_COUNT } from '../../src/runtime/net_abi.js';

describe('dp.stack', () => {
  it('sets up the root once, with the kernel sysctl defaults', async () => {
    const dp = await Datapath.create();
    const s = dp.stack;
    expect(dp.stack).toBe(s);
    const root = dp.memory.view().getUint32(NET_ROOT_PTR, true);
    expect(root).toBeGreaterThan(0);
    const x = dp.fastPath.exports as unknown as { net_sysctl_get(i: number): number; net_sysctl_set(i: number, v: number): number; net_init(): number };
    expect(x.net_init()).toBe(-17); // EEXIST: a second set-up is refused
    expect(x.net_sysctl_get(SYSCTL.ICMP_RATELIMIT)).toBe(1000);
    expect(x.net_sysctl_get(SYSCTL.ICMP_RATEMASK)).toBe(6168);
    expect(x.net_sysctl_get(SYSCTL.IP_DEFAULT_TTL)).toBe(64);
    expect(x.net_sysctl_get(SYSCTL.IPFRAG_HIGH_THRESH)).toBe(4194304);
    expect(x.net_sysctl_get(SYSCTL.NEIGH4_GC_THRESH3)).toBe(1024);
    expect(x.net_sysctl_set(SYSCTL_COUNT, 1)).toBe(-22);
  });

  it('keeps a clock that only advance() moves', async () => {
    const dp = await Datapath.create();
    expect(dp.stack.now()).toBe(0);
    dp.stack.advance(1500);
    dp.stack.advance(2500);
    expect(dp.stack.now()).toBe(4000);
    const root = dp.memory.view().getUint32(NET_ROOT_PTR, true);
    expect(dp.memory.view().getBigUint64(root + NR.NOW, true)).toBe(4000n);
    expect(() => dp.stack.advance(-1)).toThrow(/whole number of milliseconds/);
    expect(() => dp.stack.advance(1.5)).toThrow(/whole number of milliseconds/);
  });

  it('reads SNMP counters and drop reasons by name, zero ones included', async () => {
    const dp = await Datapath.create();
    const mib = dp.stack.mib();
    expect(mib['Ip:InReceives']).toBe(0);
    expect(mib['Icmp6:OutPktTooBigs']).toBe(0);
    const drops = dp.stack.drops();
    expect(drops.IP_CSUM).toBe(0);
    expect(drops.NEIGH_FAILED).toBe(0);
  });
});
