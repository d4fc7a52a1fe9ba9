// The flowtable's key hash (nf_flow_table.ts keyHash / keyHashV6: NH over word pairs, not the kernel's
// jhash: its buckets are not seen) must spread keys that differ in any one word of an IPv6 address: 2049
// IPv6 flows in a table of 512 buckets (8 direction records a bucket on average, the density of 1M flows
// in 2^18 buckets), their servers' addresses differing in one word only (the /48's fourth group, the third
// word, the fourth word), leave at most 1% of their records on the buckets' overflow lists (a uniform hash
// ~0.1%: P(Poisson(8) > 15) × 512 buckets; a hash that dropped a word would put a whole group in one
// bucket), and every flow is still found by the burst lookup (each frame forwarded, masqueraded).

import { describe, expect, it } from 'vitest';
import { Fixture, eth, ipv6, stackUnready } from '../net/support.js';
import { H0, H1, LINKS6, M0, M1, NEIGH6, ROUTES6, l4over6, udpBytes } from './ct_support.js';

const unready = await stackUnready();
const C = '2001:db8:1::2';
const PUB = '2001:db8:2::1';
const GROUP = 683; // three groups: 2049 flows
const hex = (n: number): string => n.toString(16);
/** Server i's address: group 0 varies the /48's fourth group, group 1 the third word, group 2 the fourth. */
function server(i: number): string {
  const g = Math.floor(i / GROUP);
  const k = (i % GROUP) + 1;
  if (g === 0) return `2001:db8:3:${hex(k)}::5`;
  if (g === 1) return `2001:db8:3:0:${hex(k)}:${hex(k * 7)}::5`;
  return `2001:db8:3::${hex(k >> 4)}:${hex((k * 40503) & 0xffff)}`;
}
const out = (s: string): Uint8Array => eth({ dst: M0, src: H0, type: 0x86dd }, ipv6({ src: C, dst: s, nh: 17 }, l4over6(C, s, 17, udpBytes(6000, 53, new Uint8Array(8)))));
const back = (s: string): Uint8Array => eth({ dst: M1, src: H1, type: 0x86dd }, ipv6({ src: s, dst: PUB, nh: 17 }, l4over6(s, PUB, 17, udpBytes(53, 6000, new Uint8Array(8)))));
const num = (fx: Fixture, name: string): number => (fx.dp.fastPath.exports[name] as WebAssembly.Global).value as number;

describe.skipIf(unready !== '')('the flowtable key hash', () => {
  it('spreads IPv6 keys differing in one address word over the buckets, and finds each', async () => {
    const fx = await Fixture.create(LINKS6, ROUTES6, NEIGH6);
    fx.sysctl('IPV6_ALL_FORWARDING', 1);
    const init = fx.dp.fastPath.exports['nf_flowtable_init'] as (max: number, buckets: number) => number;
    expect(init(4096, 2048)).toBe(0);
    fx.dp.nat.add({ hook: 'postrouting', oif: 'eth1', type: 'masquerade', family: 'ipv6' });
    fx.dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'], family: 'ipv6' });
    const n = 3 * GROUP;
    for (let i = 0; i < n; i++) {
      fx.rx('eth0', out(server(i)));
      fx.rx('eth1', back(server(i)));
    }
    expect(fx.dp.flowtable.list().length).toBe(n);
    // the buckets' overflow lists, walked in the wasm memory
    const mem = new DataView(fx.dp.fastPath.memory.memory.buffer);
    const root = (fx.dp.fastPath.exports['nf_flow_root'] as () => number)();
    const buckets = mem.getUint32(root + num(fx, 'FTR_BUCKETS'), true);
    const table = mem.getUint32(root + num(fx, 'FTR_TABLE6'), true);
    expect(buckets).toBe(512);
    let over = 0;
    for (let b = 0; b < buckets; b++) {
      for (let d = mem.getUint32(table + b * num(fx, 'BKT_SIZE') + num(fx, 'BKT_OVF'), true); d !== 0; d = mem.getUint32(d + num(fx, 'FD_NEXT'), true)) over++;
    }
    expect(over).toBeLessThanOrEqual(Math.floor((2 * n) / 100));
    // every flow found: a burst of 64 frames each, one per flow, all forwarded by the flowtable
    const hits0 = fx.mib()['nf_flowtable:hit'] ?? 0;
    const d = fx.devs.get('eth0')!;
    for (let i = 0; i < n; i += 64) {
      for (let j = i; j < Math.min(n, i + 64); j++) expect(d.inject(out(server(j)))).toBe(true);
      d.poll();
      expect(fx.tx().get('eth1')!.length).toBe(Math.min(n, i + 64) - i);
    }
    expect((fx.mib()['nf_flowtable:hit'] ?? 0) - hits0).toBe(n);
  });
});
