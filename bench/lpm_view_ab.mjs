// PROTOTYPE harness (branch lpm43, not for merge): the S = 24 bulk lookup against variants, one process,
// one table, the same 1M destinations, rounds interleaved with the order flipped, medians of the best of 5
// by thread CPU time, answers compared with the shipped loop's.
//   node bench/lpm_view_ab.mjs dpdk|bgp '["cur","view"]'      (variants: cur v2_32 v2_128 v2_1024 v3 v4 view)
// view: lpm4_view_build's run-compressed copy of the direct table (a 2^16 top of block addresses; a block:
// 4 x u64 run-start bitmaps, u8 run counts, the runs' direct entries), lookups in lpm4_lookup_bulk_view.
import { dpdkRoutes, bgpRoutes, rng } from '../dist/bench/fib.js';
import { Lpm4Table } from '../dist/src/control/lpm.js';
import { FastPath } from '../dist/src/runtime/fastpath.js';
import { EngineMemory } from '../dist/src/runtime/memory.js';
import { threadCpuNs } from '../dist/bench/rate.js';
import { loadavg } from 'node:os';
const which = process.argv[2] ?? 'dpdk';
const fp = await FastPath.load(new EngineMemory());
const x = fp.exports;
const routes = which === 'dpdk' ? dpdkRoutes(1) : bgpRoutes(1000000);
const table = Lpm4Table.create(fp); table.load(routes);
const n = 1 << 20;
const r = rng(which === 'dpdk' ? 11 : 12);
let dsts;
if (which === 'dpdk') dsts = Uint32Array.from({ length: n }, () => r());
else { dsts = new Uint32Array(n); for (let i = 0; i < n; i++) { const [a, len] = routes[r() % routes.length]; dsts[i] = (a + (len === 32 ? 0 : r() % 2 ** (32 - len))) >>> 0; } }
const V = JSON.parse(process.argv[3] ?? '["cur","v2_128","v2_1024","v3","v4"]');
const src = x.arena_alloc(n * 4 * (V.length + 1), 64) >>> 0;
new Uint32Array(fp.memory.memory.buffer, src, n).set(dsts);
const T = table.address;
const fns = { cur: (d) => x.lpm4_lookup_bulk(T, src, d, n), v2_128: (d) => x.lpm4_bulk_v2(T, src, d, n, 128), v2_1024: (d) => x.lpm4_bulk_v2(T, src, d, n, 1024), v2_32: (d) => x.lpm4_bulk_v2(T, src, d, n, 32), v3: (d) => x.lpm4_bulk_v3(T, src, d, n), v4: (d) => x.lpm4_bulk_v4(T, src, d, n), view: (d) => x.lpm4_lookup_bulk_view(T, src, d, n) };
const mib = () => ((table.memory.held - table.memory.rules) / 2 ** 20).toFixed(1);
console.log('structure MiB', mib());
if (V.includes('view')) { const v0 = performance.now(); x.lpm4_view_build(T); console.log('view built in', (performance.now() - v0).toFixed(0), 'ms; structure MiB with the view', mib()); }
const runs = V.map((v, k) => { const d = src + n * 4 * (k + 1); return () => fns[v](d); });
for (let i = 0; i < 3; i++) runs.forEach((f) => f());
const ref = new Uint32Array(fp.memory.memory.buffer, src + n * 4, n);
V.forEach((v, k) => { const o = new Uint32Array(fp.memory.memory.buffer, src + n * 4 * (k + 1), n); let diff = 0; for (let i = 0; i < n; i++) if (o[i] !== ref[i]) diff++; if (diff) console.log(v, 'DIFFERS', diff); });
const time = (f) => { let best = Infinity; for (let k = 0; k < 5; k++) { const c0 = threadCpuNs(); f(); best = Math.min(best, threadCpuNs() - c0); } return n / best * 1e3; };
const res = V.map(() => []);
const R = Number(process.env.ROUNDS ?? 10);
const l0 = loadavg()[0];
for (let round = 0; round < R; round++) {
  const order = V.map((_, k) => k); if (round & 1) order.reverse();
  for (const k of order) res[k].push(time(runs[k]));
}
const med = (v) => [...v].sort((p, q) => p - q)[v.length >> 1];
console.log(which, `load ${l0.toFixed(1)}-${loadavg()[0].toFixed(1)}`, V.map((v, k) => `${v} ${med(res[k]).toFixed(1)}`).join('  '));
const base = res[0];
V.forEach((v, k) => { if (k) { const ratios = res[k].map((y, i) => y / base[i]); console.log(`  ${v}/cur paired median ${med(ratios).toFixed(2)} (wins ${ratios.filter((q) => q > 1).length}/${R})`); } });
