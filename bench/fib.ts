// FIB bench (`wxdp bench fib`): longest-prefix-match lookups per second on large route tables, the
// memory each table takes, how long it takes to build and how many adds/deletes per second it takes —
// wxdp's LPM tables (assembly/net/lpm4.ts, lpm6.ts) beside baselines measured in the same run:
//   - the kernel's bpf_fib_lookup (BPF_FIB_LOOKUP_DIRECT | SKIP_NEIGH) through BPF_PROG_TEST_RUN, on the
//     same IPv4 table installed with `ip -batch` in a network namespace of its own
//     (programs/bench/fib_lookup_bench.o, 800 destinations per run);
//   - DIR-24-8 (DPDK rte_lpm's layout: a 2^24-entry first table and 256-entry groups) in JavaScript
//     typed arrays, the structure wxdp did not choose, and a per-prefix-length JS Map, the naive one.
// Tables:
//   dpdk-1M   DPDK's synthetic large table (app/test/test_lpm_routes.c, generate_large_route_rule_table:
//             its per-class, per-depth counts, prefixes spread evenly from a random start); lookups on
//             uniformly random addresses, as test_lpm_perf.c does.
//   bgp-1M    a real BGP table's prefix-length distribution with real tables' nesting (see BGP_LENGTHS);
//             lookups on addresses inside announced prefixes.
//   ipv6-200k /32–/48 heavy IPv6 table (see V6_LENGTHS) under the RIRs' blocks; lookups inside prefixes.
// --quick uses ~1/20 of each table.
//
// Rows are functions (wxdpRow, kernelRow, dir24Row, jsMapRow) over a prepared table: a future row (e.g.
// wxdp's full bpf_fib_lookup helper once the FIB lands) is one more function in ROWS.
//
//   node dist/bench/fib.js [--quick] [--json] [--only dpdk|bgp|ipv6] [--no-kernel]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Datapath } from '../src/control/datapath.js';
import { formatIpv4, formatIpv6, Lpm4Table, Lpm6Table } from '../src/control/lpm.js';
import { FastPath } from '../src/runtime/fastpath.js';
import { EngineMemory } from '../src/runtime/memory.js';
import { projectRoot } from './project_root.js';
import { benchHugePages, hugePageMode, hugePageNote, threadCpuNs } from './rate.js';

const MiB = 1 << 20;

// ---- Tables ----

type Family = 4 | 6;

export interface FibTable {
  name: string;
  family: Family;
  /** IPv4: [host-order address, len, value]; IPv6: [16 bytes, len, value]. */
  routes4: Array<[number, number, number]>;
  routes6: Array<[Uint8Array, number, number]>;
  /** Lookup destinations: IPv4 host-order u32s, or IPv6 16-byte addresses packed. */
  dsts4: Uint32Array;
  dsts6: Uint8Array;
  traffic: string;
}

/** xorshift32: deterministic tables, so runs compare (the LPM tests draw from it too). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

// DPDK app/test/test_lpm_routes.c: rules per depth 1..32 for addresses starting 0 (class A), 10 (B) and
// 110 (C), "got from previous large constant table ... dumped from a real router".
const DPDK_A = [0, 0, 1, 0, 2, 1, 3, 185, 26, 16, 39, 144, 233, 528, 866, 3856, 3268, 5662, 17301, 22226, 11147, 16746, 17120, 77578, 401, 656, 1107, 1121, 2316, 717, 10, 66];
const DPDK_B = [0, 0, 0, 0, 1, 1, 1, 3, 3, 30, 25, 168, 305, 569, 1129, 50800, 1645, 1820, 3506, 3258, 3424, 4971, 6885, 39771, 424, 170, 433, 92, 366, 377, 2, 200];
const DPDK_C = [0, 0, 0, 0, 0, 0, 0, 12, 8, 9, 33, 69, 237, 1007, 1717, 14663, 8070, 16185, 48261, 36870, 33960, 50638, 61422, 466549, 1829, 4824, 4927, 5914, 10254, 4905, 1, 716];

/** DPDK's generator: per class and depth, `n` prefixes `round(range / n)` apart from a random start. */
export function dpdkRoutes(scale: number, seed = 1): Array<[number, number, number]> {
  const r = rng(seed);
  const out: Array<[number, number, number]> = [];
  for (const [counts, fixed, head] of [[DPDK_A, 1, 0], [DPDK_B, 2, 0x80000000], [DPDK_C, 3, 0xc0000000]] as const) {
    for (let depth = 1; depth <= 32; depth++) {
      const n = Math.round(counts[depth - 1]! * scale);
      if (n === 0) continue;
      const range = 2 ** (depth - fixed);
      const step = range <= n ? 1 : Math.round(range / n);
      let start = r() % range;
      for (let k = 0; k < n; k++) {
        out.push([(start * 2 ** (32 - depth) + head) >>> 0, depth, 1 + (out.length % 0x7ffffffe)]);
        start = (start + step) % range;
      }
    }
  }
  return out;
}

// Prefix-length histogram of a RIPE RIS full IPv4 table (rrc collector), as tabulated in
// github.com/zhu849/IP-Address-Lookup-Algorithms, prefix_len_anaysis/README.md: /24 59.6 %, /22 11.7 %,
// /23 10.2 %, /21 5.6 %, /20 4.7 %, /19 3.4 %, /16 1.2 %, ... Scaled to the table size.
const BGP_LENGTHS: Record<number, number> = {
  8: 3, 9: 3, 10: 11, 11: 29, 12: 117, 13: 193, 14: 341, 15: 552, 16: 2454, 17: 1880, 18: 3792, 19: 6761, 20: 9161,
  21: 11054, 22: 22947, 23: 19978, 24: 117227, 25: 5, 26: 4, 27: 3, 28: 2, 29: 5, 30: 13, 31: 5, 32: 186,
};

/** Unicast space a BGP table covers: 1.0.0.0–223.255.255.255 without 10/8, 127/8, 172.16/12, 192.168/16. */
function unicast4(a: number): boolean {
  const o = a >>> 24;
  if (o === 0 || o === 10 || o === 127 || o >= 224) return false;
  if ((a & 0xfff00000) >>> 0 === 0xac100000 || (a & 0xffff0000) >>> 0 === 0xc0a80000) return false;
  return true;
}

/**
 * A table with BGP_LENGTHS' shape and real tables' structure: shortest first, each new prefix is with
 * probability 1/2 a more-specific inside a random shorter one already announced (deaggregation, traffic
 * engineering), otherwise a fresh block of unicast space.
 */
export function bgpRoutes(total: number, seed = 2): Array<[number, number, number]> {
  const r = rng(seed);
  const sum = Object.values(BGP_LENGTHS).reduce((a, b) => a + b, 0);
  const out: Array<[number, number, number]> = [];
  const seen = new Set<number>();
  for (let len = 8; len <= 32; len++) {
    const n = Math.round(((BGP_LENGTHS[len] ?? 0) * total) / sum);
    const shorter = out.length;
    for (let k = 0; k < n; k++) {
      let a: number;
      for (;;) {
        if (shorter > 0 && r() & 1) {
          const [pa, pl] = out[r() % shorter]!;
          a = (pa + (pl === 32 ? 0 : (r() % 2 ** (32 - pl)))) >>> 0;
        } else {
          a = r();
        }
        a = len === 0 ? 0 : (a & (0xffffffff << (32 - len))) >>> 0;
        if (unicast4(a) && !seen.has(a * 64 + len)) break;
      }
      seen.add(a * 64 + len);
      out.push([a, len, 1 + (out.length % 0x7ffffffe)]);
    }
  }
  return out;
}

// IPv6 prefix lengths: /48 and /32 dominate, /29–/47 fill in, few past /48 — chosen so the mean
// prefix length is 43.0, matching the IPv6 FIB reports of bgp.potaroo.net/v6/as1221 (mean 42.93 on
// 219,984 entries, Nov 2024), with RIPE Labs' observation that /32s and /48s are "the huge majority".
const V6_LENGTHS: Record<number, number> = {
  28: 1, 29: 3, 30: 0.5, 31: 0.5, 32: 14, 33: 1, 34: 1, 35: 0.5, 36: 4, 37: 0.5, 38: 1, 39: 0.5, 40: 7, 41: 0.5, 42: 1,
  43: 0.5, 44: 8, 45: 1, 46: 2, 47: 2, 48: 48, 56: 1, 64: 1.5,
};
const RIR6 = [0x2001, 0x2400, 0x2600, 0x2800, 0x2a00, 0x2c00];

/** IPv6 routes under the RIRs' blocks, shortest first, 60 % of them nested in a shorter one. */
export function v6Routes(total: number, seed = 3): Array<[Uint8Array, number, number]> {
  const r = rng(seed);
  const sum = Object.values(V6_LENGTHS).reduce((a, b) => a + b, 0);
  const out: Array<[Uint8Array, number, number]> = [];
  const seen = new Set<string>();
  const lens = Object.keys(V6_LENGTHS).map(Number).sort((a, b) => a - b);
  for (const len of lens) {
    const n = Math.round((V6_LENGTHS[len]! * total) / sum);
    const shorter = out.length;
    for (let k = 0; k < n; k++) {
      let b: Uint8Array;
      let key: string;
      for (;;) {
        b = new Uint8Array(16);
        if (shorter > 0 && r() % 10 < 6) {
          const [pb, pl] = out[r() % shorter]!;
          b.set(pb);
          for (let i = pl; i < len; i++) if (r() & 1) b[i >> 3]! |= 0x80 >> (i & 7);
        } else {
          const rir = RIR6[r() % RIR6.length]!;
          b[0] = rir >> 8;
          b[1] = rir & 0xff;
          for (let i = 16; i < len; i++) if (r() & 1) b[i >> 3]! |= 0x80 >> (i & 7);
          if (rir !== 0x2001) b[1] = (b[1]! & 0xf0) | (r() & 0x0f); // a /12: the second byte's low nibble varies
        }
        for (let i = len; i < 128; i++) b[i >> 3]! &= ~(0x80 >> (i & 7));
        key = `${Buffer.from(b).toString('hex')}/${len}`;
        if (!seen.has(key)) break;
      }
      seen.add(key);
      out.push([b, len, 1 + (out.length % 0x7ffffffe)]);
    }
  }
  return out;
}

/** `n` destinations inside the table's prefixes (a uniformly chosen prefix, a random host in it). */
function insideDsts4(routes: ReadonlyArray<[number, number, number]>, n: number, seed: number): Uint32Array {
  const r = rng(seed);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const [a, len] = routes[r() % routes.length]!;
    out[i] = (a + (len === 32 ? 0 : r() % 2 ** (32 - len))) >>> 0;
  }
  return out;
}

function insideDsts6(routes: ReadonlyArray<[Uint8Array, number, number]>, n: number, seed: number): Uint8Array {
  const r = rng(seed);
  const out = new Uint8Array(n * 16);
  for (let i = 0; i < n; i++) {
    const [b, len] = routes[r() % routes.length]!;
    const d = out.subarray(i * 16, i * 16 + 16);
    d.set(b);
    for (let k = len; k < 128; k++) if (r() & 1) d[k >> 3]! |= 0x80 >> (k & 7);
  }
  return out;
}

/** The tables to run, each made only when its turn comes (a 1M-route table is ~100 MB of JS objects). */
export function tableMakers(quick: boolean, only?: string): Array<{ name: string; make: () => FibTable }> {
  const scale = quick ? 0.05 : 1;
  const nDst = quick ? 1 << 18 : 1 << 20;
  const makers: Array<{ name: string; make: () => FibTable }> = [
    {
      name: quick ? 'dpdk-54k' : 'dpdk-1M',
      make: () => {
        const r = rng(11);
        return { name: quick ? 'dpdk-54k' : 'dpdk-1M', family: 4, routes4: dpdkRoutes(scale), routes6: [], dsts4: Uint32Array.from({ length: nDst }, () => r()), dsts6: new Uint8Array(0), traffic: 'uniform random' };
      },
    },
    {
      name: quick ? 'bgp-50k' : 'bgp-1M',
      make: () => {
        const routes4 = bgpRoutes(Math.round(1_000_000 * scale));
        return { name: quick ? 'bgp-50k' : 'bgp-1M', family: 4, routes4, routes6: [], dsts4: insideDsts4(routes4, nDst, 12), dsts6: new Uint8Array(0), traffic: 'inside prefixes' };
      },
    },
    {
      name: quick ? 'ipv6-10k' : 'ipv6-200k',
      make: () => {
        const routes6 = v6Routes(Math.round(200_000 * scale));
        return { name: quick ? 'ipv6-10k' : 'ipv6-200k', family: 6, routes4: [], routes6, dsts4: new Uint32Array(0), dsts6: insideDsts6(routes6, nDst >> 1, 13), traffic: 'inside prefixes' };
      },
    },
  ];
  return makers.filter((m) => only === undefined || m.name.includes(only) || m.name.split('-')[0] === only);
}

// ---- Rows ----

export interface FibRow {
  table: string;
  prefixes: number;
  traffic: string;
  engine: string;
  /** Million lookups per second (one core), null when not measured (see note). */
  mlps: number | null;
  nsPerLookup: number | null;
  /** The lookup structure's memory (MiB); rulesMiB: what deletes fall back on, where kept apart. */
  structureMiB: number | null;
  rulesMiB: number | null;
  buildMs: number | null;
  /** Single adds and deletes per second (delete then re-add of a sample of the table's prefixes). */
  updatesPerSec: number | null;
  /** Results of the row's lookups with a route, to compare across engines on the same destinations. */
  hits: number | null;
  note: string;
}

interface RowContext {
  quick: boolean;
  kernel: boolean;
  /** The memories' 2 MiB pages (EngineMemoryOptions.hugePages); undefined: the default. */
  hugePages?: boolean;
  log?: (s: string) => void;
  /** The wxdp row's results on the table's destinations (the kernel row checks its count against them). */
  wxdpResults?: Uint32Array;
  /** The value of the table's 127.0.0.0/8 route, if it has one (the kernel's local table shadows it). */
  shadowed?: number;
  /** The wxdp bpf_fib_lookup row's egress ifindex per destination (0: not SUCCESS), for the kernel's. */
  fibResults?: Uint32Array;
}

type RowFn = (t: FibTable, ctx: RowContext) => FibRow | null | Promise<FibRow | null>;

/**
 * Best of `rounds` timings of `fn` (this machine is shared and noisy: best-of approximates an idle core),
 * each by the main thread's CPU time where Linux tells it (rate.ts), else by the wall clock. The
 * scheduler updates a thread's CPU time at its ticks, not continuously: a round repeats `fn` until it
 * spans at least 20 ms of wall time, so one call's share is never read off a clock that did not move.
 */
function bestSeconds(fn: () => void, rounds: number): number {
  const cpu = threadCpuNs() !== null;
  const now = (): number => (cpu ? threadCpuNs()! : performance.now() * 1e6);
  let reps = 1;
  for (let w0 = performance.now(); ; reps *= 2) {
    for (let i = 0; i < reps; i++) fn();
    if (performance.now() - w0 >= 20 || reps >= 1 << 16) break;
    w0 = performance.now();
  }
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const w0 = performance.now();
    const t0 = now();
    for (let i = 0; i < reps; i++) fn();
    const ns = now() - t0;
    // a clock that did not move (or moved less than the wall) is not believed: the wall's reading then
    const wallNs = (performance.now() - w0) * 1e6;
    best = Math.min(best, (ns > 0 ? Math.min(ns, wallNs) : wallNs) / reps / 1e9);
  }
  return best;
}

function row(t: FibTable, engine: string, fields: Partial<FibRow>): FibRow {
  return {
    table: t.name, prefixes: t.family === 4 ? t.routes4.length : t.routes6.length, traffic: t.traffic, engine,
    mlps: null, nsPerLookup: null, structureMiB: null, rulesMiB: null, buildMs: null, updatesPerSec: null, hits: null, note: '', ...fields,
  };
}

/** A table of `t` loaded into `fp`'s memory, its destinations beside it, and one bulk lookup of them all. */
function lpmSetup(fp: FastPath, t: FibTable) {
  const x = fp.exports as unknown as Record<string, (...a: number[]) => number>;
  const table = t.family === 4 ? Lpm4Table.create(fp) : Lpm6Table.create(fp);
  const t0 = performance.now();
  if (table instanceof Lpm4Table) table.load(t.routes4);
  else table.load(t.routes6);
  const buildMs = performance.now() - t0;
  // as a Datapath's route load does (routes.bulk): the chunks the memory's grows left on 4 KiB pages
  fp.memory.collapseHugePages();
  const n = t.family === 4 ? t.dsts4.length : t.dsts6.length >> 4;
  const width = t.family === 4 ? 4 : 16;
  const src = x.arena_alloc!(n * width + n * 4, 64)! >>> 0;
  const dst = src + n * width;
  new Uint8Array(fp.memory.memory.buffer).set(t.family === 4 ? new Uint8Array(t.dsts4.buffer, t.dsts4.byteOffset, n * 4) : t.dsts6, src);
  const fn = t.family === 4 ? x.lpm4_lookup_bulk! : x.lpm6_lookup_bulk!;
  const bulk = (): void => void fn(table.address, src, dst, n);
  // Warm up (Liftoff to TurboFan, caches) before any timing.
  for (let i = 0; i < 3; i++) bulk();
  return { table, buildMs, n, bulk, results: () => new Uint32Array(fp.memory.memory.buffer, dst, n).slice() };
}

/** wxdp's LPM table: bulk load, lookups through lpm4/lpm6_lookup_bulk over destinations in wasm memory. */
export const wxdpRow: RowFn = (t, ctx) => {
  const { table, buildMs, n, bulk, results: read } = lpmSetup(FastPathSync.get(), t);
  // the structure's MiB: all the table holds but its rules, so the free blocks the heap keeps (the
  // gaps its by-line placement leaves, lpm_heap.ts) count too
  const mem = table.memory;
  const sec = bestSeconds(bulk, ctx.quick ? 5 : 15);
  const results = read();
  ctx.wxdpResults = results;
  if (table instanceof Lpm4Table) ctx.shadowed = table.get(0x7f000000, 8) ?? -1;
  // Updates: delete a sample of prefixes one by one, then add them back.
  const k = Math.min(ctx.quick ? 2000 : 20000, t.family === 4 ? t.routes4.length : t.routes6.length);
  const r = rng(99);
  const sample = Array.from({ length: k }, () => r());
  const u0 = performance.now();
  const updates = table instanceof Lpm4Table ? churn4(table, t.routes4, sample) : churn6(table, t.routes6, sample);
  const updatesPerSec = updates / ((performance.now() - u0) / 1e3);
  let hits = 0;
  for (const v of results) if (v !== 0) hits++;
  return row(t, t.family === 4 ? 'wxdp lpm4 (Poptrie)' : 'wxdp lpm6 (Poptrie)', {
    mlps: n / sec / 1e6, nsPerLookup: (sec * 1e9) / n, structureMiB: (mem.held - mem.rules) / MiB, rulesMiB: mem.rules / MiB,
    buildMs, updatesPerSec, hits, note: `${table.count} distinct prefixes; lookups: ${t.family === 4 ? 'lpm4' : 'lpm6'}_lookup_bulk`,
  });
};

/** The middle value (the mean of the two middle ones). */
function median(v: readonly number[]): number {
  const a = [...v].sort((x, y) => x - y);
  return a.length % 2 ? a[a.length >> 1]! : (a[a.length / 2 - 1]! + a[a.length / 2]!) / 2;
}

/**
 * `--huge-pages both`: the same table and destinations in two memories, one advised for 2 MiB pages and one
 * left on 4 KiB pages, lpm*_lookup_bulk timed on each in interleaved rounds (best of 5 each, the order
 * flipped every round, so a slow spell of the shared machine falls on both): each row's M lookups/s is
 * its median over the rounds, and the note gives the per-round ratios and what each memory holds.
 */
async function hugePagesRows(t: FibTable, ctx: RowContext): Promise<FibRow[]> {
  const sides = [];
  for (const on of [true, false]) {
    const fp = await FastPath.load(new EngineMemory({ hugePages: on }));
    sides.push({ on, fp, ...lpmSetup(fp, t), mlps: [] as number[] });
  }
  const [a, b] = sides as [(typeof sides)[0], (typeof sides)[0]];
  const [ra, rb] = [a.results(), b.results()];
  const same = ra.every((v, i) => v === rb[i]);
  const rounds = ctx.quick ? 4 : 10;
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const s of r & 1 ? [b, a] : [a, b]) s.mlps.push(s.n / bestSeconds(s.bulk, 5) / 1e6);
    ratios.push(a.mlps[r]! / b.mlps[r]!);
  }
  const pages = sides.map((s) => s.fp.memory.hugePageReport());
  const family = t.family === 4 ? 'lpm4' : 'lpm6';
  return sides.map((s, i) => {
    const p = pages[i]!;
    const held = `${(p.anonHugePages / MiB).toFixed(0)} of ${(p.rss / MiB).toFixed(0)} MiB resident on 2 MiB pages`;
    const why = s.on ? (p.advised ? 'advised' : `not advised: ${p.why}`) : 'not advised (hugePages: false)';
    const note = `${why}, ${held}; median of ${rounds} interleaved rounds (best of 5 each)${s.on
      ? `; 2 MiB / 4 KiB per round ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×, median ${median(ratios).toFixed(2)}×${same ? '' : '; ANSWERS DIFFER'}` : ''}`;
    const mlps = median(s.mlps);
    return row(t, `wxdp ${family}, ${s.on ? '2 MiB' : '4 KiB'} pages`, { mlps, nsPerLookup: 1e3 / mlps, buildMs: s.buildMs, note });
  });
}

/** bpf_fib_lookup's flags in the rows that compare with the kernel: the main table, no neighbour. */
const FIB_FLAGS = 1 | 4; // BPF_FIB_LOOKUP_DIRECT | BPF_FIB_LOOKUP_SKIP_NEIGH

/**
 * wxdp's whole lookup, the one the data path makes: a Datapath's FIB (tables local and main, route
 * records, next hops) holding the table as the kernel row installs it (`route replace PREFIX dev
 * wx0|wx1`, forwarding on), and bpf_fib_lookup with the kernel row's flags on every destination,
 * batched in wasm (fib4_lookup_bulk: each burst of 64 warmed by the FIB walk napi.ts runs ahead of a
 * program that calls the helper, then the helper per destination). Its SUCCESS count must equal the
 * kernel's on the same destinations (the same 127.0.0.0/8 answer included: main and local merged).
 */
export const wxdpFibRow: RowFn = async (t, ctx) => {
  if (t.family !== 4) return null;
  const dp = await Datapath.create({ umemFrames: 64, ...(ctx.hugePages === undefined ? {} : { hugePages: ctx.hugePages }) });
  try {
    const wx0 = dp.addDevice({ name: 'wx0', mac: '02:00:00:00:0f:00' });
    dp.addDevice({ name: 'wx1', mac: '02:00:00:00:0f:01' });
    dp.ip('link set dev wx0 up');
    dp.ip('link set dev wx1 up');
    dp.ip('link set dev lo up'); // as the kernel row's namespace: 127.0.0.1/8 and table local
    dp.sysctl('net.ipv4.conf.all.forwarding', 1);
    const t0 = performance.now();
    dp.routes.load(t.routes4.map(([a, len], i) => ({ dst: `${formatIpv4(a)}/${len}`, dev: `wx${i & 1}` })), { verb: 'replace' });
    const buildMs = performance.now() - t0;
    const fp = dp.fastPath;
    const x = fp.exports as unknown as Record<string, (...a: number[]) => number>;
    const n = t.dsts4.length;
    const src = x.arena_alloc!(n * 8, 64)! >>> 0;
    const dst = src + n * 4;
    const dv = new DataView(fp.memory.memory.buffer);
    for (let i = 0; i < n; i++) dv.setUint32(src + i * 4, t.dsts4[i]!, false); // network order, as in a frame
    const ifindex = wx0.ifindex;
    const bulk = (): number => x.fib4_lookup_bulk!(ifindex, FIB_FLAGS, src, dst, n, 0)!;
    for (let i = 0; i < 3; i++) bulk();
    const sec = bestSeconds(bulk, ctx.quick ? 5 : 10);
    const hits = bulk();
    ctx.fibResults = new Uint32Array(fp.memory.memory.buffer, dst, n).slice();
    return row(t, 'wxdp bpf_fib_lookup', {
      mlps: n / sec / 1e6, nsPerLookup: (sec * 1e9) / n, buildMs, hits,
      note: `the data path's lookup: bpf_fib_lookup (DIRECT | SKIP_NEIGH, as the kernel row) on a Datapath's FIB, ${n} destinations in bursts of 64 (fib4_lookup_bulk: the burst's FIB walk, then the helper per destination); build: routes.load (replace)`,
    });
  } finally {
    await dp.close();
  }
};

/** Delete the sampled routes one by one, then add them back: the number of operations. */
function churn4(table: Lpm4Table, routes: ReadonlyArray<[number, number, number]>, sample: number[]): number {
  const picked = new Map<string, [number, number, number]>();
  for (const s of sample) {
    const [a, len] = routes[s % routes.length]!;
    picked.set(`${a}/${len}`, [a, len, table.get(a, len) ?? 0]);
  }
  for (const [a, len] of picked.values()) table.del(a, len);
  for (const [a, len, v] of picked.values()) table.add(a, len, v);
  return picked.size * 2;
}

function churn6(table: Lpm6Table, routes: ReadonlyArray<[Uint8Array, number, number]>, sample: number[]): number {
  const picked = new Map<string, [Uint8Array, number, number]>();
  for (const s of sample) {
    const [a, len] = routes[s % routes.length]!;
    picked.set(`${formatIpv6(a)}/${len}`, [a, len, table.get(a, len) ?? 0]);
  }
  for (const [a, len] of picked.values()) table.del(a, len);
  for (const [a, len, v] of picked.values()) table.add(a, len, v);
  return picked.size * 2;
}

/** One fast path for every wxdp row (its memory grows per table; tables are not freed). */
class FastPathSync {
  static fp: FastPath | undefined;
  static get(): FastPath {
    if (!FastPathSync.fp) throw new Error('fast path not loaded');
    return FastPathSync.fp;
  }
}

/** DIR-24-8 in JS typed arrays (rte_lpm's layout): tbl24[a >>> 8], a group of 256 when a /24 holds a longer prefix. */
export const dir24Row: RowFn = (t, ctx) => {
  if (t.family !== 4) return null;
  const t0 = performance.now();
  const tbl24 = new Uint32Array(1 << 24);
  const sorted = [...t.routes4].sort((p, q) => p[1] - q[1]);
  let groups = 0;
  const tbl8Chunks: Uint32Array[] = [];
  const tbl8At = (g: number): Uint32Array => tbl8Chunks[g >> 12]!.subarray((g & 4095) << 8, ((g & 4095) + 1) << 8);
  for (const [a, len, v] of sorted) {
    if (len <= 24) {
      const first = a >>> 8;
      const last = first + 2 ** (24 - len);
      for (let i = first; i < last; i++) {
        const e = tbl24[i]!;
        if (e & 0x80000000) tbl8At(e & 0x7fffffff).fill(v);
        else tbl24[i] = v;
      }
    } else {
      const i = a >>> 8;
      let e = tbl24[i]!;
      if (!(e & 0x80000000)) {
        if ((groups & 4095) === 0) tbl8Chunks.push(new Uint32Array(4096 * 256));
        tbl8At(groups).fill(e);
        e = tbl24[i] = (0x80000000 | groups++) >>> 0;
      }
      const g = tbl8At(e & 0x7fffffff);
      g.fill(v, a & 255, (a & 255) + 2 ** (32 - len));
    }
  }
  const buildMs = performance.now() - t0;
  const tbl8 = new Uint32Array(groups * 256);
  for (let g = 0; g < groups; g++) tbl8.set(tbl8At(g), g * 256);
  const dsts = t.dsts4;
  const out = new Uint32Array(dsts.length);
  const run = (): void => {
    for (let i = 0; i < dsts.length; i++) {
      const a = dsts[i]!;
      const e = tbl24[a >>> 8]!;
      out[i] = e & 0x80000000 ? tbl8[((e & 0x7fffffff) << 8) | (a & 255)]! : e;
    }
  };
  for (let i = 0; i < 3; i++) run();
  const sec = bestSeconds(run, ctx.quick ? 5 : 10);
  let hits = 0;
  for (const v of out) if (v !== 0) hits++;
  return row(t, 'DIR-24-8 in JS', {
    mlps: dsts.length / sec / 1e6, nsPerLookup: (sec * 1e9) / dsts.length, structureMiB: (tbl24.byteLength + tbl8.byteLength) / MiB,
    buildMs, hits, note: `${groups} groups of 256; no rule table, no updates (rte_lpm keeps one apart)`,
  });
};

/** The naive JS LPM: one Map per prefix length, probed longest first. */
export const jsMapRow: RowFn = (t, ctx) => {
  if (t.family !== 4) return null;
  const t0 = performance.now();
  const maps: Array<Map<number, number>> = Array.from({ length: 33 }, () => new Map());
  for (const [a, len, v] of t.routes4) maps[len]!.set(a, v);
  const lens = maps.map((m, len) => (m.size > 0 ? len : -1)).filter((l) => l >= 0).reverse();
  const masks = lens.map((len) => (len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0));
  const buildMs = performance.now() - t0;
  const n = Math.min(t.dsts4.length, ctx.quick ? 1 << 16 : 1 << 18);
  const out = new Uint32Array(n);
  const run = (): void => {
    for (let i = 0; i < n; i++) {
      const a = t.dsts4[i]!;
      let v = 0;
      for (let k = 0; k < lens.length; k++) {
        const hit = maps[lens[k]!]!.get((a & masks[k]!) >>> 0);
        if (hit !== undefined) {
          v = hit;
          break;
        }
      }
      out[i] = v;
    }
  };
  run();
  const sec = bestSeconds(run, 3);
  return row(t, 'JS Map per length', { mlps: n / sec / 1e6, nsPerLookup: (sec * 1e9) / n, buildMs, note: `${lens.length} lengths probed longest first; first ${n} destinations` });
};

// ---- The kernel ----

const DSTS_PER_RUN = 800;

function sh(cmd: string, args: string[], input?: string): { ok: boolean; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, maxBuffer: 64 * MiB });
  return { ok: r.status === 0, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** Why the kernel row cannot run here, or null. */
export function kernelUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not root (network namespaces and BPF_PROG_TEST_RUN need CAP_SYS_ADMIN)';
  if (!sh('ip', ['-V']).ok) return 'iproute2 (ip) not found';
  if (!sh('bpftool', ['version']).ok) return 'bpftool not found';
  return null;
}

/**
 * The kernel's bpf_fib_lookup on the same table: a namespace wx-lpm-<pid> with a veth pair, the routes
 * through `ip -batch` (route replace PREFIX dev wx0|wx1), then fib_lookup_bench.o under test_run on
 * frames of 800 destinations. Removes the namespace whatever happens.
 */
export const kernelRow: RowFn = (t, ctx) => {
  if (t.family !== 4) return null;
  const why = ctx.kernel ? kernelUnavailable() : 'skipped (--no-kernel)';
  if (why) return row(t, 'kernel bpf_fib_lookup', { note: `not measured: ${why}` });
  const ns = `wx-lpm-${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'wx-lpm-'));
  try {
    for (const args of [['netns', 'add', ns], ['-n', ns, 'link', 'add', 'wx0', 'type', 'veth', 'peer', 'name', 'wx1'],
      ['-n', ns, 'link', 'set', 'wx0', 'up'], ['-n', ns, 'link', 'set', 'wx1', 'up'], ['-n', ns, 'link', 'set', 'lo', 'up']]) {
      const r = sh('ip', args);
      if (!r.ok) return row(t, 'kernel bpf_fib_lookup', { note: `not measured: ip ${args.join(' ')}: ${r.err.trim()}` });
    }
    sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    const lines = t.routes4.map(([a, len], i) => `route replace ${formatIpv4(a)}/${len} dev wx${i & 1}`);
    writeFileSync(join(dir, 'routes.batch'), lines.join('\n') + '\n');
    ctx.log?.(`  kernel: ip -batch ${lines.length} routes into ${ns} ...\n`);
    const b0 = performance.now();
    const load = sh('ip', ['-n', ns, '-batch', join(dir, 'routes.batch')]);
    const buildMs = performance.now() - b0;
    if (!load.ok) return row(t, 'kernel bpf_fib_lookup', { note: `not measured: ip -batch: ${load.err.trim().split('\n')[0]}` });
    const stat = sh('ip', ['netns', 'exec', ns, 'cat', '/proc/net/fib_triestat']).out;
    const kb = /Main:[\s\S]*?Total size: (\d+)\s*kB/.exec(stat);
    // Frames: ifindex of lo, two result words, then 800 destinations in network order.
    const frames = ctx.quick ? 8 : 32;
    const repeat = ctx.quick ? 20 : 50;
    const dsts = t.dsts4;
    const files: string[] = [];
    for (let f = 0; f < frames; f++) {
      const buf = Buffer.alloc(12 + DSTS_PER_RUN * 4);
      buf.writeUInt32LE(1, 0);
      for (let i = 0; i < DSTS_PER_RUN; i++) buf.writeUInt32BE(dsts[(f * DSTS_PER_RUN + i) % dsts.length]!, 12 + i * 4);
      const p = join(dir, `f${f}.bin`);
      writeFileSync(p, buf);
      files.push(p);
    }
    const obj = join(projectRoot(), 'programs', 'bench', 'fib_lookup_bench.o');
    // One shell inside the namespace: bpffs mounted in its own mount namespace, the program loaded once.
    const script = ['set -e', 'mount -t bpf bpf /sys/fs/bpf', `bpftool prog loadall ${obj} /sys/fs/bpf/wxfib type xdp`,
      ...files.map((p, i) => `bpftool -j prog run pinned /sys/fs/bpf/wxfib/fib_lookup_bench data_in ${p} data_out ${p}.out repeat ${repeat}; echo`), ''].join('\n');
    const run = sh('ip', ['netns', 'exec', ns, 'sh', '-c', script]);
    if (!run.ok) return row(t, 'kernel bpf_fib_lookup', { note: `not measured: test_run: ${run.err.trim().split('\n').slice(-2).join(' ')}` });
    const durations = run.out.split('\n').filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { duration: number }).duration);
    let ok = 0;
    for (const p of files) ok += readFileSync(`${p}.out`).readUInt32LE(4);
    const nsPerRun = durations.reduce((a, b) => a + b, 0) / durations.length;
    // The same destinations through wxdp: how many had a route (must equal the kernel's SUCCESS count),
    // leaving aside those whose longest match is 127.0.0.0/8: the local table holds that prefix too,
    // and with main and local merged (no custom rules) the kernel's main-table lookup meets the local
    // route first and answers NOT_FWDED (measured: 127.2.3.4 under 127.0.0.0/8 dev wx0 → NOT_FWDED,
    // 127.1.2.3 under 127.1.0.0/16 dev wx0 → SUCCESS).
    let agree = 'not compared';
    if (ctx.wxdpResults) {
      let mine = 0;
      for (let f = 0; f < frames; f++) {
        for (let i = 0; i < DSTS_PER_RUN; i++) {
          const v = ctx.wxdpResults[(f * DSTS_PER_RUN + i) % dsts.length]!;
          if (v !== 0 && v !== ctx.shadowed) mine++;
        }
      }
      agree = mine === ok ? `same ${ok} hits as wxdp (127.0.0.0/8 aside)` : `HITS DIFFER: kernel ${ok}, wxdp ${mine}`;
    }
    // and through wxdp's bpf_fib_lookup: the same SUCCESS count, 127.0.0.0/8 included (main and local merged)
    if (ctx.fibResults) {
      let mine = 0;
      for (let f = 0; f < frames; f++) for (let i = 0; i < DSTS_PER_RUN; i++) if (ctx.fibResults[(f * DSTS_PER_RUN + i) % dsts.length] !== 0) mine++;
      agree += mine === ok ? `; same ${ok} SUCCESS as wxdp bpf_fib_lookup` : `; SUCCESS DIFFERS: kernel ${ok}, wxdp bpf_fib_lookup ${mine}`;
    }
    // Updates: delete then re-add a sample (each distinct prefix once) through ip -batch.
    const k = Math.min(ctx.quick ? 2000 : 20000, t.routes4.length);
    const r = rng(99);
    const picked = new Map<string, number>();
    for (let i = 0; i < k; i++) {
      const j = r() % t.routes4.length;
      picked.set(`${formatIpv4(t.routes4[j]![0])}/${t.routes4[j]![1]}`, j);
    }
    const upd = [...picked.keys()].map((p) => `route del ${p}`).concat([...picked].map(([p, j]) => `route replace ${p} dev wx${j & 1}`));
    writeFileSync(join(dir, 'updates.batch'), upd.join('\n') + '\n');
    const u0 = performance.now();
    const ur = sh('ip', ['-n', ns, '-batch', join(dir, 'updates.batch')]);
    const updatesPerSec = ur.ok ? upd.length / ((performance.now() - u0) / 1e3) : null;
    return row(t, 'kernel bpf_fib_lookup', {
      mlps: DSTS_PER_RUN / nsPerRun * 1e3, nsPerLookup: nsPerRun / DSTS_PER_RUN, structureMiB: kb ? Number(kb[1]) / 1024 : null,
      buildMs, updatesPerSec, hits: ok,
      note: `test_run, ${frames} frames × repeat ${repeat} × ${DSTS_PER_RUN} lookups; ${agree}; MiB: fib_triestat trie (no fib_alias/fib_info); build and updates through ip -batch`,
    });
  } finally {
    sh('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  }
};

/** The rows of each table, in order (the kernel row reads the wxdp rows' results). */
export const ROWS: RowFn[] = [wxdpRow, wxdpFibRow, kernelRow, dir24Row, jsMapRow];

export interface FibBenchOptions {
  quick?: boolean;
  only?: string;
  kernel?: boolean;
  /**
   * 2 MiB pages for the rows' wasm memories: 'on' / 'off' (default: the Datapath's, on unless
   * WXDP_HUGEPAGES=0); 'both': only the LPM rows, once on each, timed in interleaved rounds.
   */
  hugePages?: 'on' | 'off' | 'both';
  log?: (s: string) => void;
}

export async function runFibBench(opts: FibBenchOptions = {}): Promise<FibRow[]> {
  const rows: FibRow[] = [];
  for (const maker of tableMakers(opts.quick ?? false, opts.only)) {
    const t = maker.make();
    opts.log?.(`${t.name}: ${t.family === 4 ? t.routes4.length : t.routes6.length} prefixes\n`);
    const hugePages = opts.hugePages === 'on' ? true : opts.hugePages === 'off' ? false : undefined;
    const ctx: RowContext = { quick: opts.quick ?? false, kernel: opts.kernel ?? true, ...(opts.log ? { log: opts.log } : {}), ...(hugePages === undefined ? {} : { hugePages }) };
    if (opts.hugePages === 'both') {
      for (const r of await hugePagesRows(t, ctx)) {
        rows.push(r);
        opts.log?.(`  ${r.engine}: ${r.mlps!.toFixed(1)} M lookups/s\n`);
      }
      continue;
    }
    // A fresh memory per table: each table's numbers stand alone, and no grow pays for an earlier table.
    FastPathSync.fp = await FastPath.load(new EngineMemory(hugePages === undefined ? {} : { hugePages }));
    for (const fn of ROWS) {
      const r = await fn(t, ctx);
      if (r) {
        rows.push(r);
        opts.log?.(`  ${r.engine}: ${r.mlps === null ? r.note : `${r.mlps.toFixed(1)} M lookups/s`}\n`);
      }
    }
    FastPathSync.fp = undefined;
  }
  return rows;
}

const fmt = (v: number | null, digits = 1): string => (v === null ? '—' : v.toFixed(digits));

export function formatFibTable(rows: readonly FibRow[]): string {
  const head = ['table', 'prefixes', 'engine', 'M lookups/s', 'ns/lookup', 'vs wxdp', 'MiB', 'rules MiB', 'build ms', 'updates/s'];
  const body = rows.map((r) => {
    const w = rows.find((x) => x.table === r.table && x.engine.startsWith('wxdp'));
    const ratio = w?.mlps && r.mlps ? `${(r.mlps / w.mlps).toFixed(2)}x` : '—';
    return [r.table, String(r.prefixes), r.engine, fmt(r.mlps), fmt(r.nsPerLookup, 2), ratio, fmt(r.structureMiB), fmt(r.rulesMiB),
      fmt(r.buildMs, 0), r.updatesPerSec === null ? '—' : Math.round(r.updatesPerSec).toString()];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i <= 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const notes = rows.filter((r) => r.note).map((r) => `  ${r.table} / ${r.engine}: ${r.note}`);
  return [line(head), line(widths.map((n) => '-'.repeat(n))), ...body.map(line), '', ...notes].join('\n') + '\n';
}

export async function fibBenchCommand(args: string[], io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { json: { type: 'boolean', default: false }, quick: { type: 'boolean', default: false }, only: { type: 'string' }, 'no-kernel': { type: 'boolean', default: false }, 'huge-pages': { type: 'string' } },
  });
  const hp = values['huge-pages'];
  if (hp !== undefined && hp !== 'on' && hp !== 'off' && hp !== 'both') {
    io.err(`wxdp bench: --huge-pages '${hp}': on, off or both\n`);
    return 2;
  }
  // an --only that names no table runs nothing: an error (exit 2), as the other benches' --only
  if (values.only !== undefined && tableMakers(values.quick, values.only).length === 0) {
    const message = `--only '${values.only}' matches no fib table (${tableMakers(values.quick).map((m) => m.name).join(', ')}): nothing ran`;
    if (values.json) io.out(JSON.stringify({ error: { code: 'USAGE', message } }) + '\n');
    else io.err(`wxdp bench: ${message}\n`);
    return 2;
  }
  const thp = benchHugePages();
  const rows = await runFibBench({
    quick: values.quick, kernel: !values['no-kernel'], ...(hp ? { hugePages: hp } : {}), ...(values.only !== undefined ? { only: values.only } : {}), ...(values.json ? {} : { log: io.err }),
  });
  if (values.json) {
    io.out(JSON.stringify({ node: process.version, transparentHugePages: hugePageMode(), hugePages: thp, quick: values.quick, rows }, null, 2) + '\n');
  } else {
    io.out(`wxdp fib bench — node ${process.version}; one core; best of rounds (shared machine); baselines measured in this run; ${hugePageNote(thp.mode, thp)}\n`);
    io.out(formatFibTable(rows));
    io.out('target: ≥ 150 M lookups/s on 1M IPv4 prefixes in ≤ 80 MiB\n');
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await fibBenchCommand(process.argv.slice(2), { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) });
}
