// The stack's layout: assembly/net/abi.ts and src/runtime/net_abi.ts must agree, name for name.

import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as N from '../../src/runtime/net_abi.js';
import { EngineMemory } from '../../src/runtime/memory.js';
import { FastPath } from '../../src/runtime/fastpath.js';

const wasmPath = new URL('../../build/fastpath.wasm', import.meta.url);
/** Every constant assembly/net/abi.ts declares (stage files may export more with the same prefixes). */
const abiNames = [...readFileSync(new URL('../../assembly/net/abi.ts', import.meta.url), 'utf8').matchAll(/^export const (\w+): u32/gm)].map((m) => m[1]!);

describe.skipIf(!existsSync(wasmPath))('assembly/net/abi.ts and src/runtime/net_abi.ts', async () => {
  const fp = await FastPath.load(new EngineMemory());
  const x = fp.exports as Record<string, WebAssembly.Global>;
  const g = (name: string): number | undefined => (x[name] instanceof WebAssembly.Global ? (x[name].value as number) : undefined);

  it('agree on the root, sizes and enums, field by field', () => {
    for (const k of ['NET_ROOT_PTR', 'NET_MAGIC', 'NET_ROOT_SIZE', 'NET_SCRATCH_SIZE', 'NETDEV_MAX', 'NETDEV_SIZE', 'ADDR_LIST_HEADER',
      'ADDR_ENTRY_SIZE', 'FL_SIZE', 'FR_SIZE', 'SYSCTL_COUNT', 'MIB_COUNT', 'NDROP_COUNT', 'LOOPBACK_IFINDEX', 'AF_INET', 'AF_INET6',
      'RT_TABLE_DEFAULT', 'RT_TABLE_MAIN', 'RT_TABLE_LOCAL', 'CONF4_COUNT', 'CONF6_COUNT', 'NDSTAT_COUNT'] as const) {
      expect(g(k), k).toBe((N as unknown as Record<string, number>)[k]);
    }
    const groups: Array<[string, Record<string, number>]> = [
      ['NR_', N.NR], ['ND_', N.ND], ['NDK_', N.NDK], ['IFF_', N.IFF], ['CONF4_', N.CONF4], ['CONF6_', N.CONF6], ['NDSTAT_', N.NDSTAT], ['PCPU_', N.PCPU],
      ['AE_', N.AE], ['FL_', N.FL], ['FR_', N.FR], ['RTN_', N.RTN], ['RT_SCOPE_', N.RT_SCOPE], ['NE_', N.NE], ['NUD_', N.NUD], ['SK_', N.SK], ['SKF_', N.SKF], ['SK6F_', N.SK6F], ['SYSCTL_', N.SYSCTL],
    ];
    for (const [prefix, obj] of groups) {
      for (const [k, v] of Object.entries(obj)) expect(g(prefix + k), prefix + k).toBe(v);
      // and nothing in assembly/net/abi.ts with this prefix that TypeScript lacks
      const tsNames = Object.keys(obj).map((k) => prefix + k);
      const extra = abiNames.filter((n) => n.startsWith(prefix) && !tsNames.includes(n) && !/_COUNT$|_SIZE$|_HEADER$/.test(n));
      expect(extra, `${prefix}* only in assembly/net/abi.ts`).toEqual([]);
    }
  });

  it('name every SNMP counter and every drop reason the fast path counts', () => {
    const mib = abiNames.filter((n) => n.startsWith('MIB_') && n !== 'MIB_COUNT');
    // the UDP groups are named from their bases (UDP_MIB_* offsets), not one constant each
    // but UdpLite6's IgnoredMulti, which /proc/net/snmp6 does not print (snmp6_udplite6_list)
    const hidden = N.UDP_MIB_BASES.UdpLite6 + 7;
    expect(mib.length + 4 * N.UDP_MIB_COUNT - 1).toBe(Object.keys(N.MIB_NAMES).length);
    for (const [group, base] of Object.entries(N.UDP_MIB_BASES)) {
      expect(g(`${group.toUpperCase()}_MIB_BASE`), group).toBe(base);
      for (let i = 0; i < N.UDP_MIB_COUNT; i++) if (base + i !== hidden) expect(N.MIB_NAMES[base + i]?.startsWith(`${group}:`), `${group} ${i}`).toBe(true);
    }
    expect(N.MIB_NAMES[hidden]).toBeUndefined();
    expect(N.MIB_NAMES[N.UDP_MIB_BASES.Udp6 + 7]).toBe('Udp6:IgnoredMulti');
    for (const n of mib) expect(N.MIB_NAMES[g(n)!], n).toBeDefined();
    const drops = abiNames.filter((n) => n.startsWith('NDROP_') && n !== 'NDROP_COUNT');
    expect(drops.length).toBe(Object.keys(N.NET_DROP_REASONS).length);
    for (const n of drops) expect(N.NET_DROP_REASONS[g(n)!], n).toBe(n.slice('NDROP_'.length));
    for (const i of Object.keys(N.MIB_NAMES).map(Number)) expect(i).toBeLessThan(N.MIB_COUNT);
    for (const i of Object.keys(N.NET_DROP_REASONS).map(Number)) expect(i).toBeLessThan(N.NDROP_COUNT);
  });
});

// The worker scratch area is carved by hand into SCR_* parts (assembly/net/abi.ts): two branches once
// took the same offset (SCR_BURST +1536 by two warm-ups; 6144 by ndisc redirects and the local input
// memo), and frames were routed on each other's bytes. Every part starts where no other part lies.
describe('the worker scratch area (abi.ts SCR_*)', () => {
  it('parts are disjoint and inside NET_SCRATCH_SIZE', () => {
    const text = readFileSync(new URL('../../assembly/net/abi.ts', import.meta.url), 'utf8');
    const consts = new Map([...text.matchAll(/^export const (\w+): u32 = (\d+);/gm)].map((m) => [m[1]!, Number(m[2])]));
    const total = consts.get('NET_SCRATCH_SIZE')!;
    expect(total).toBeGreaterThan(0);
    // SCR_FIB is declared as NET_SCRATCH_SIZE - SCR_FIB_SIZE
    const fibSize = consts.get('SCR_FIB_SIZE')!;
    const parts = [...consts].filter(([k]) => k.startsWith('SCR_') && !k.endsWith('_SIZE')).map(([k, start]) => ({ k, start, size: consts.get(`${k}_SIZE`) }));
    parts.push({ k: 'SCR_FIB', start: total - fibSize, size: fibSize });
    parts.sort((a, b) => a.start - b.start);
    expect(parts.length).toBeGreaterThan(5);
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      const next = parts[i + 1]?.start ?? total;
      expect(next, `${p.k} (${p.start}) and ${parts[i + 1]?.k} start at the same offset`).toBeGreaterThan(p.start);
      if (p.size !== undefined) expect(p.start + p.size, `${p.k} (${p.start}+${p.size}) runs into ${parts[i + 1]?.k ?? 'the end'} (${next})`).toBeLessThanOrEqual(next);
    }
  });
});
