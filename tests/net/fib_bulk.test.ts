// bpf_fib_lookup in bursts (fib_helper.ts fib4_lookup_bulk: the burst's FIB walk, fib_prefetch.ts, then
// the helper per destination, whose common cases — flags 0, DIRECT, DIRECT | SKIP_NEIGH — read the
// walk's answer directly: ipv4Lean, fib4_burst_route / fib4_burst_direct) must answer exactly what the
// helper answers one call at a time with no burst walk (the full ipv4Lookup, checked against the kernel
// in fib_kernel.test.ts): the same return code and the same struct, byte for byte, over a random table
// with every route type, multipath, TOS routes, locked MTUs, local and broadcast routes, 127.0.0.0/8,
// neighbours present and missing — before and after a custom rule unmerges tables local and main.

import { describe, expect, it } from 'vitest';
import { Fixture, stackUnready } from './support.js';

const unready = await stackUnready();

/** xorshift32, deterministic. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>>= 0);
  };
}

const dotted = (a: number): string => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;

type X = {
  arena_alloc(size: number, align: number): number;
  fib_table_get(family: number, id: number): number;
  fib4_lookup_bulk(ifindex: number, flags: number, src: number, dst: number, n: number, out: number): number;
  bpf_fib_lookup(ctx: bigint, params: bigint, plen: bigint, flags: bigint, r5: bigint): bigint;
};

/** A router with eth0 (192.0.2.1/24) and eth1 (198.51.100.1/24), forwarding on, and a random table in 10.0.0.0/8. */
async function router(seed: number): Promise<Fixture> {
  const fx = await Fixture.create(
    [
      { name: 'eth0', mac: '02:00:00:00:1a:00', forwarding: true, v4: ['192.0.2.1/24'] },
      { name: 'eth1', mac: '02:00:00:00:1a:01', forwarding: true, v4: ['198.51.100.1/24'], mtu: 1400 },
    ],
    [],
    [
      { dev: 'eth1', addr: '198.51.100.2', mac: '02:00:00:00:1b:02' },
      { dev: 'eth1', addr: '198.51.100.3', mac: '02:00:00:00:1b:03' },
      { dev: 'eth0', addr: '192.0.2.9', mac: '02:00:00:00:1b:09' },
    ],
  );
  fx.ip('link set dev lo up');
  // one of each reject type for sure (the random ones below may shadow or split them)
  fx.ip('route add unreachable 10.250.0.0/16');
  fx.ip('route add prohibit 10.251.0.0/16');
  fx.ip('route add blackhole 10.252.0.0/16');
  const r = rng(seed);
  for (let k = 0; k < 400; k++) {
    const len = 8 + (r() % 25);
    const a = ((0x0a000000 | (r() & 0x00ffffff)) & (len === 32 ? 0xffffffff : ~(0xffffffff >>> len))) >>> 0;
    const p = `${dotted(a)}/${len}`;
    const kind = r() % 100;
    // .4 has no neighbour entry: NO_NEIGH (flags 0) or the full path's answer
    const gw = `198.51.100.${2 + (r() % 3)}`;
    if (kind < 55) fx.ip(`route replace ${p} via ${gw} dev eth1`);
    else if (kind < 65) fx.ip(`route replace ${p} dev eth0`);
    else if (kind < 70) fx.ip(`route replace blackhole ${p}`);
    else if (kind < 74) fx.ip(`route replace unreachable ${p}`);
    else if (kind < 77) fx.ip(`route replace prohibit ${p}`);
    else if (kind < 85) fx.ip(`route replace ${p} nexthop via 198.51.100.2 dev eth1 nexthop via 198.51.100.3 dev eth1 weight 3`);
    else if (kind < 90) fx.ip(`route replace ${p} tos 0x10 via ${gw} dev eth1`);
    else if (kind < 94) fx.ip(`route replace ${p} via ${gw} dev eth1 mtu lock 1280`);
    else if (kind < 97) fx.ip(`route replace ${p} via ${gw} dev eth1 metric 7`);
    else fx.ip(`route append ${p} via ${gw} dev eth1 metric 9`);
  }
  return fx;
}

/** Destinations: mostly inside 10.0.0.0/8, then the links' subnets (local, broadcast, on-link), 127/8, elsewhere. */
function destinations(seed: number, n: number): number[] {
  const r = rng(seed);
  const fixed = ['10.250.1.1', '10.251.1.1', '10.252.1.1', '192.0.2.1', '192.0.2.255', '192.0.2.9', '192.0.2.77', '198.51.100.1', '198.51.100.255', '198.51.100.2', '127.0.0.1', '127.9.9.9', '203.0.113.5', '0.0.0.0', '10.0.0.0'];
  const out = fixed.map((s) => s.split('.').reduce((v, o) => v * 256 + Number(o), 0));
  while (out.length < n) out.push(r() % 10 < 8 ? (0x0a000000 | (r() & 0x00ffffff)) >>> 0 : r());
  return out;
}

/** The helper one call at a time (no burst walk before it: the full path), as fib4_lookup_bulk sets the struct. */
function oneByOne(x: X, mem: () => DataView, p: number, ifindex: number, flags: number, dsts: number[]): Array<{ rc: number; struct: string }> {
  return dsts.map((d) => {
    const v = mem();
    for (let i = 0; i < 64; i++) v.setUint8(p + i, 0);
    v.setUint8(p, 2);
    v.setUint32(p + 8, ifindex, true);
    v.setUint32(p + 32, d, false);
    const rc = Number(BigInt.asIntN(64, x.bpf_fib_lookup(0n, BigInt(p), 64n, BigInt(flags), 0n)));
    return { rc, struct: Buffer.from(new Uint8Array(v.buffer, p, 64)).toString('hex') };
  });
}

function bulk(x: X, mem: () => DataView, ifindex: number, flags: number, dsts: number[]): Array<{ rc: number; struct: string; oif: number }> {
  const n = dsts.length;
  const src = x.arena_alloc(n * 8 + n * 68, 64) >>> 0;
  const dst = src + n * 4;
  const out = dst + n * 4;
  let v = mem();
  dsts.forEach((d, i) => v.setUint32(src + i * 4, d, false));
  const ok = x.fib4_lookup_bulk(ifindex, flags, src, dst, n, out);
  v = mem();
  const res = dsts.map((_, i) => ({
    rc: v.getInt32(out + i * 68, true),
    struct: Buffer.from(new Uint8Array(v.buffer, out + i * 68 + 4, 64)).toString('hex'),
    oif: v.getUint32(dst + i * 4, true),
  }));
  expect(ok).toBe(res.filter((e) => e.rc === 0).length);
  for (const e of res) expect(e.oif).toBe(e.rc === 0 ? Buffer.from(e.struct, 'hex').readUInt32LE(8) : 0);
  return res;
}

describe.skipIf(unready !== '')('bpf_fib_lookup in bursts (fib4_lookup_bulk)', () => {
  it('answers each destination as the helper does one call at a time: return code and struct, for flags 0, DIRECT, DIRECT | SKIP_NEIGH and DIRECT | SRC', async () => {
    for (const seed of [1, 2]) {
      const fx = await router(seed);
      const x = fx.dp.fastPath.exports as unknown as X;
      const mem = (): DataView => new DataView(fx.dp.fastPath.memory.memory.buffer);
      const p = x.arena_alloc(64, 8) >>> 0;
      const ifindex = fx.devs.get('eth0')!.ifindex;
      const dsts = destinations(seed + 10, 1500);
      const flagSets = [0, 1, 1 | 4, 1 | 16];
      const check = (): void => {
        // every reference first: no burst walk is kept for them
        const want = flagSets.map((f) => oneByOne(x, mem, p, ifindex, f, dsts));
        flagSets.forEach((f, k) => {
          const got = bulk(x, mem, ifindex, f, dsts);
          for (let i = 0; i < dsts.length; i++) {
            expect({ dst: dotted(dsts[i]!), flags: f, rc: got[i]!.rc, struct: got[i]!.struct }).toEqual({ dst: dotted(dsts[i]!), flags: f, rc: want[k]![i]!.rc, struct: want[k]![i]!.struct });
          }
        });
        // the answers cover the cases the lean paths take and those they leave
        const rcs = new Set(want.flat().map((e) => e.rc));
        for (const rc of [0, 1, 2, 3, 4, 7]) expect(rcs, `rc ${rc}`).toContain(rc);
      };
      check();
      // a custom rule unmerges local and main: the short ways step aside, the answers stay the helper's
      fx.ip('rule add from 192.0.2.200 lookup 100 pref 50');
      check();
    }
  }, 120_000);

  it('answers as the helper one call at a time on a main table of 2^18 routes, whose LPM has grown to a 24-bit direct table', async () => {
    const fx = await router(3);
    const x = fx.dp.fastPath.exports as unknown as X;
    const mem = (): DataView => new DataView(fx.dp.fastPath.memory.memory.buffer);
    // 2^18 more routes in bulk (one batch commit: poptrie.ts ptGrow), /16 to /32 outside 10/8, so the
    // burst walk (fib_prefetch.ts) meets direct leaves, /25+ nodes and the 10/8 routes' walks alike
    const r = rng(77);
    const seen = new Set<string>();
    const routes: Array<{ dst: string; via: string; dev: string }> = [];
    const lens = [16, 20, 22, 23, 24, 24, 24, 25, 27, 29, 32];
    while (routes.length < 1 << 18) {
      const len = lens[r() % lens.length]!;
      const a = ((0x0b000000 + (r() % 0xb5000000)) & (len === 32 ? 0xffffffff : ~(0xffffffff >>> len))) >>> 0;
      const dst = `${dotted(a)}/${len}`;
      if (seen.has(dst)) continue;
      seen.add(dst);
      routes.push({ dst, via: `198.51.100.${2 + (r() % 3)}`, dev: 'eth1' });
    }
    fx.dp.routes.load(routes);
    // main's LPM (fib.ts TB_LPM at +12): its direct-table word (address | S, poptrie.ts) says 24
    const lpm = mem().getUint32(x.fib_table_get(2, 254) + 12, true);
    expect(mem().getUint32(lpm + 12, true) & 63).toBe(24);
    const p = x.arena_alloc(64, 8) >>> 0;
    const ifindex = fx.devs.get('eth0')!.ifindex;
    const dsts = destinations(13, 1500);
    for (let i = 0; i < 1500; i++) {
      const [a, len] = routes[r() % routes.length]!.dst.split('/');
      const base = a!.split('.').reduce((v, o) => v * 256 + Number(o), 0);
      dsts.push((base + (Number(len) === 32 ? 0 : r() % 2 ** (32 - Number(len)))) >>> 0);
    }
    for (const f of [0, 1, 1 | 4]) {
      const want = oneByOne(x, mem, p, ifindex, f, dsts);
      const got = bulk(x, mem, ifindex, f, dsts);
      for (let i = 0; i < dsts.length; i++) {
        expect({ dst: dotted(dsts[i]!), flags: f, rc: got[i]!.rc, struct: got[i]!.struct }).toEqual({ dst: dotted(dsts[i]!), flags: f, rc: want[i]!.rc, struct: want[i]!.struct });
      }
      expect(want.filter((e) => e.rc === 0).length).toBeGreaterThan(1500);
    }
  }, 300_000);
});
