// The FIB at scale and its memory: dp.routes.load (a bulk path with a progress callback) measured on a
// large random IPv4 table (WXDP_FIB_SCALE=N, default 100,000; the figure is 1,000,000), every
// route then found by lookup; what a replace or delete unpublishes comes back for reuse only after a
// grace period (each registered worker passed a quiescent point); the JavaScript heap holds no copy of
// the routes.

import { beforeEach, describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { NetError, type RouteSpec } from '../../src/control/net_types.js';
import { FL, FR } from '../../src/runtime/net_abi.js';
import { ipBatch } from '../../src/control/ip/index.js';

const SCALE = Number(process.env['WXDP_FIB_SCALE'] ?? 100_000);

interface X {
  fib_flow_buf(): number;
  fib_res_buf(): number;
  fib_ctl_lookup(mode: number, table: number): number;
  fib_reclaim(): number;
  rc_arena_bytes(): bigint;
  rc_free_bytes(): bigint;
  net_worker_online(w: number): void;
  net_quiescent(w: number): void;
  net_worker_offline(w: number): void;
  arena_top(): number;
}

let dp: Datapath;
let x: X;

beforeEach(async () => {
  dp = await Datapath.create();
  for (const line of [
    'link add eth0 index 2 type dummy', 'link add eth1 index 3 type dummy', 'link set lo up', 'link set eth0 up', 'link set eth1 up',
    'addr add 192.0.2.1/25 dev eth0', 'addr add 192.0.2.129/25 dev eth1',
  ]) dp.ip(line);
  x = dp.stack.exports<X>();
});

/** Route i of a table of distinct /24s (a multiplicative hash spreads them over the address space). */
function prefix24(i: number): string {
  const a = (Math.imul(i, 2654435761) >>> 8) & 0xffffff;
  return `${a >>> 16}.${(a >>> 8) & 0xff}.${a & 0xff}.0/24`;
}

function lookup(dst: string): { err: number; gw: string; oif: number } {
  const fl = x.fib_flow_buf() >>> 0;
  const v = dp.memory.view();
  new Uint8Array(v.buffer, fl, 64).fill(0);
  new Uint8Array(v.buffer, fl + FL.DST, 4).set(dst.split('.').map(Number));
  v.setUint32(fl + FL.IIF, 1, true);
  v.setUint8(fl + FL.FAMILY, 2);
  const err = x.fib_ctl_lookup(0, 0);
  const r = x.fib_res_buf() >>> 0;
  const w = dp.memory.view();
  return { err, gw: [...new Uint8Array(w.buffer, r + FR.GW, 4)].join('.'), oif: w.getUint32(r + FR.OIF, true) };
}

describe('dp.routes.load', () => {
  it(`loads ${SCALE.toLocaleString('en')} routes with progress, each then found by lookup`, () => {
    const specs: RouteSpec[] = [];
    for (let i = 0; i < SCALE; i++) specs.push({ dst: prefix24(i), via: i % 2 ? `192.0.2.${2 + (i % 100)}` : `192.0.2.${130 + (i % 100)}` });
    // distinct /24s by construction? the hash may repeat one: count what must fail
    const distinct = new Set(specs.map((s) => s.dst)).size;
    const progress: Array<[number, number | undefined]> = [];
    const heap0 = process.memoryUsage().heapUsed;
    const arena0 = x.arena_top() >>> 0;
    const t0 = performance.now();
    const r = dp.routes.load(specs, { force: true, progressEvery: Math.max(1, Math.floor(SCALE / 10)), onProgress: (d, t) => progress.push([d, t]) });
    const ms = performance.now() - t0;
    const heap = process.memoryUsage().heapUsed - heap0;
    const wasm = (x.arena_top() >>> 0) - arena0;
    console.log(`fib_scale: ${SCALE.toLocaleString('en')} routes loaded in ${(ms / 1000).toFixed(2)} s (${((ms * 1000) / SCALE).toFixed(2)} µs/route); ` +
      `memory taken +${(wasm / 2 ** 20).toFixed(0)} MiB (${(wasm / SCALE).toFixed(0)} B/route: records, prefix hash, LPM), JS heap ${heap >= 0 ? '+' : ''}${(heap / 2 ** 20).toFixed(0)} MiB`);
    expect(r.loaded).toBe(distinct);
    expect(r.failed.length).toBe(SCALE - distinct);
    for (const f of r.failed) expect(f.error.errno).toBe('EEXIST');
    expect(progress.at(-1)).toEqual([SCALE, SCALE]);
    expect(progress.length).toBeGreaterThanOrEqual(10);
    const firstOf = new Map<string, number>();
    specs.forEach((s, i) => { if (!firstOf.has(s.dst)) firstOf.set(s.dst, i); });
    for (let i = 0; i < SCALE; i += Math.max(1, Math.floor(SCALE / 5000))) {
      if (prefix24(i) === '192.0.2.0/24') continue; // the connected /25s are longer
      const dst = prefix24(i).replace('.0/24', '.77');
      const got = lookup(dst);
      expect(got.err, dst).toBe(0);
      // the first route of the prefix stays (a repeated one was refused)
      const first = firstOf.get(prefix24(i))!;
      expect(got.gw, dst).toBe(specs[first]!.via);
      expect(got.oif, dst).toBe(first % 2 ? 2 : 3);
    }
  }, 600_000);

  it(`loads an ip -batch file of ${(SCALE / 10).toLocaleString('en')} routes in bulk, with progress, the LPM current after`, () => {
    const n = SCALE / 10;
    let text = '';
    for (let i = 0; i < n; i++) text += `route add ${prefix24(i)} via 192.0.2.${2 + (i % 100)}\n`;
    const seen: number[] = [];
    const t0 = performance.now();
    const r = ipBatch(dp, text, { force: true, onProgress: (d) => seen.push(d) });
    const ms = performance.now() - t0;
    console.log(`fib_scale: ${n.toLocaleString('en')} ip -batch route lines in ${(ms / 1000).toFixed(2)} s (${((ms * 1000) / n).toFixed(2)} µs/line)`);
    const distinct = new Set(Array.from({ length: n }, (_, i) => prefix24(i))).size;
    expect(r.commands).toBe(n);
    expect(r.errors.length).toBe(n - distinct);
    expect(seen.at(-1)).toBe(n);
    // after the batch the LPM answers again: a sample through the lookup the data path uses
    for (let i = 0; i < n; i += Math.max(1, Math.floor(n / 500))) {
      if (prefix24(i) === '192.0.2.0/24') continue;
      expect(lookup(prefix24(i).replace('.0/24', '.9')).err).toBe(0);
    }
  }, 600_000);

  it('stops at the first refused route without force, naming it, and keeps the routes before', () => {
    let err: unknown;
    try {
      dp.routes.load([{ dst: '198.51.100.0/24', via: '192.0.2.2' }, { dst: '203.0.113.0/24', via: '198.51.100.9' }, { dst: '203.0.113.128/25', via: '192.0.2.3' }]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NetError);
    expect((err as NetError & { index: number }).index).toBe(1);
    expect((err as NetError).errno).toBe('ENETUNREACH');
    expect(dp.routes.list().map((r) => r.dst)).toEqual(['192.0.2.0/25', '192.0.2.128/25', '198.51.100.0/24']);
  });

  it('checks a gateway again once a link-scope route it depends on changed within the load', () => {
    // 198.51.100.7 is reachable only after the load adds 198.51.100.0/24 dev eth1
    const r = dp.routes.load([
      { dst: '203.0.113.0/26', via: '198.51.100.7' },
      { dst: '198.51.100.0/24', dev: 'eth1' },
      { dst: '203.0.113.64/26', via: '198.51.100.7' },
    ], { force: true });
    expect(r.loaded).toBe(2);
    expect(r.failed.map((f) => [f.index, f.error.errno])).toEqual([[0, 'ENETUNREACH']]);
    expect(lookup('203.0.113.70').oif).toBe(3);
  });

  it('refuses a verb it cannot load with EINVAL', () => {
    expect(() => dp.routes.load([], { verb: 'del' as 'add' })).toThrow(NetError);
  });
});

describe('the FIB memory', () => {
  it('keeps no JavaScript copy of the routes: list and delete read the FIB', () => {
    dp.routes.add({ dst: '198.51.100.0/24', via: '192.0.2.2' });
    dp.routes.append({ dst: '198.51.100.0/24', via: '192.0.2.3' });
    expect(dp.routes.list({ dst: '198.51.100.0/24' }).map((r) => r.gateway)).toEqual(['192.0.2.2', '192.0.2.3']);
    dp.routes.del({ dst: '198.51.100.0/24', via: '192.0.2.2' });
    expect(dp.routes.list({ dst: '198.51.100.0/24' }).map((r) => r.gateway)).toEqual(['192.0.2.3']);
  });

  it('reuses the records a replace unpublished once the grace period is over', () => {
    dp.routes.add({ dst: '198.51.100.0/24', via: '192.0.2.2' });
    x.fib_reclaim();
    const free0 = x.rc_free_bytes();
    dp.routes.replace({ dst: '198.51.100.0/24', via: '192.0.2.3' });
    // no worker registered: the control plane is the only reader, the old alias and list are free at once
    expect(Number(x.rc_free_bytes() - free0)).toBeGreaterThanOrEqual(128 + 16);
    const arena = x.rc_arena_bytes();
    dp.routes.replace({ dst: '198.51.100.0/24', via: '192.0.2.4' });
    // the next replace takes its records from the free lists, not the arena
    expect(x.rc_arena_bytes()).toBe(arena);
  });

  it('holds retired records while a registered worker has not passed a quiescent point', () => {
    x.net_worker_online(3);
    dp.routes.add({ dst: '198.51.100.0/24', via: '192.0.2.2' });
    x.fib_reclaim();
    x.net_quiescent(3);
    x.fib_reclaim();
    const free0 = x.rc_free_bytes();
    dp.routes.replace({ dst: '198.51.100.0/24', via: '192.0.2.3' });
    // worker 3 may still hold the old alias: nothing is free yet, however often the control plane asks
    // (the chunk recording them may itself come off a free list)
    expect(x.fib_reclaim()).toBeGreaterThanOrEqual(128 + 16);
    expect(x.fib_reclaim()).toBeGreaterThanOrEqual(128 + 16);
    const waiting = x.rc_free_bytes();
    expect(waiting).toBeLessThanOrEqual(free0);
    x.net_quiescent(3);
    expect(x.fib_reclaim()).toBe(0);
    expect(Number(x.rc_free_bytes() - waiting)).toBeGreaterThanOrEqual(128 + 16);
    // an offline worker holds nothing back
    dp.routes.replace({ dst: '198.51.100.0/24', via: '192.0.2.4' });
    x.fib_reclaim();
    x.net_worker_offline(3);
    expect(x.fib_reclaim()).toBe(0);
  });
});

// IPv4 routes with the same content (table, prefix length, type, scope, metric, next hops…) share one
// alias record, as the kernel's routes share a fib_info (fib_find_info on insert, refcounted): the
// memory per route drops by the record, and what one route does to it the others see only when the
// kernel's would too (next-hop flags live in the shared fib_nh there as well).
describe('shared alias records', () => {
  const N = 50_000;
  /**
   * FIB bytes in use (the reclaim arena less its free lists, counted by 1 MiB slabs: N large enough that
   * a slab is under 21 bytes a route) for N /24s via one gateway loaded in bulk, with metric `metric(i)`.
   */
  function bytesFor(metric: (i: number) => number): number {
    const a0 = x.rc_arena_bytes() - x.rc_free_bytes();
    dp.routes.load(Array.from({ length: N }, (_, i) => ({ dst: `10.${i >> 8}.${i & 255}.0/24`, via: '192.0.2.2', metric: metric(i) })), { force: true });
    x.fib_reclaim();
    return Number(x.rc_arena_bytes() - x.rc_free_bytes() - a0);
  }

  it('take one record for routes alike: ≥ 100 bytes less per route than a record each', async () => {
    const shared = bytesFor(() => 0);
    dp = await Datapath.create();
    for (const line of ['link add eth0 index 2 type dummy', 'link set lo up', 'link set eth0 up', 'addr add 192.0.2.1/25 dev eth0']) dp.ip(line);
    x = dp.stack.exports<X>();
    // a metric each: no two alike, one record per route
    const own = bytesFor((i) => i + 1);
    expect((own - shared) / N).toBeGreaterThanOrEqual(100);
    expect(lookup('10.1.7.9')).toEqual({ err: 0, gw: '192.0.2.2', oif: 2 });
  });

  it('outlive the routes that leave them, and are freed with the last', () => {
    for (const d of ['198.51.100.0/24', '203.0.113.0/24']) dp.routes.add({ dst: d, via: '192.0.2.2' });
    x.fib_reclaim();
    const free0 = x.rc_free_bytes();
    dp.routes.del({ dst: '198.51.100.0/24' });
    expect(lookup('203.0.113.5')).toEqual({ err: 0, gw: '192.0.2.2', oif: 2 });
    // the list and prefix record went, the alias stayed (free grows by less than a record)
    const afterFirst = x.rc_free_bytes() - free0;
    dp.routes.del({ dst: '203.0.113.0/24' });
    expect(Number(x.rc_free_bytes() - free0 - afterFirst)).toBeGreaterThanOrEqual(Number(afterFirst) + 100);
    expect(lookup('203.0.113.5').err).not.toBe(0);
    // a route added again takes a record of its own, alive
    dp.routes.add({ dst: '203.0.113.0/24', via: '192.0.2.2' });
    expect(lookup('203.0.113.5')).toEqual({ err: 0, gw: '192.0.2.2', oif: 2 });
  });

  it('change for every route that holds them when a device goes down, as fib_sync_down_dev changes a shared fib_info', () => {
    const mp = (d: string) => `route add ${d} nexthop via 192.0.2.2 dev eth0 nexthop via 192.0.2.130 dev eth1`;
    dp.ip(mp('198.51.100.0/24'));
    dp.ip(mp('203.0.113.0/24'));
    dp.ip('link set eth1 down');
    for (const d of ['198.51.100.0/24', '203.0.113.0/24']) {
      const [r] = dp.routes.list({ dst: d });
      expect(r!.nexthops!.map((n) => n.flags)).toEqual([[], ['dead', 'linkdown']]);
      expect(lookup(d.replace('.0/24', '.1'))).toEqual({ err: 0, gw: '192.0.2.2', oif: 2 });
    }
    dp.ip('link set eth1 up');
    dp.ip(mp('198.18.0.0/24'));
    for (const d of ['198.51.100.0/24', '203.0.113.0/24', '198.18.0.0/24']) {
      const [r] = dp.routes.list({ dst: d });
      expect(r!.nexthops!.map((n) => n.flags)).toEqual([[], []]);
    }
    dp.routes.del({ dst: '198.51.100.0/24' });
    expect(dp.routes.list({ dst: '203.0.113.0/24' })[0]!.nexthops!.length).toBe(2);
  });
});
