// Interpreter bench (issue 17): every program of the programs/ suite on its bench packet through the
// reference interpreter and through wxdp's warm JIT, loaded the same way (verified where the suite
// verifies, else checked), measured in the same run. Reports ns/run of each and interp / JIT; the goal is
// the interpreter within TARGET_INTERP_RATIO of the JIT, fit to be the quick path.
//
//   wxdp bench interp [--quick] [--json] [--only NAME]     (or node dist/bench/interp.js, same options)

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { Datapath } from '../src/control/datapath.js';
import type { EngineName } from '../src/runtime/types.js';
import { parseObject } from '../src/elf/index.js';
import type * as Suite from '../scripts/program-suite.mjs';
import { benchPacket } from './programs.js';
import { projectRoot } from './project_root.js';

export const TARGET_INTERP_RATIO = 50;
/** The first program's extra warm-up (ms): see runInterpBench. */
const FIRST_WARM_MS = 1500;
/** The least time (ms) the measured rounds of a program are spread over (twice that without --quick). */
const ROUNDS_MS = 250;

export interface InterpRow {
  program: string;
  packet: string;
  retval: number;
  interpNsPerRun: number;
  jitNsPerRun: number;
  /** interp / JIT. */
  ratio: number;
  /** Instructions the interpreter executed for one run. */
  insns: number;
  /** The interpreter's tier that ran: 'compiled' (src/interp/compile.ts) or 'switch' (the reference). */
  tier: 'compiled' | 'switch';
}

export async function runInterpBench(opts: { quick?: boolean; only?: string; log?: (s: string) => void } = {}): Promise<InterpRow[]> {
  const root = projectRoot();
  const suite = (await import(pathToFileURL(join(root, 'scripts', 'program-suite.mjs')).href)) as typeof Suite;
  const corpus = suite.loadCorpus(root);
  const byName = new Map(corpus.map((p) => [p.name, p]));
  const rows: InterpRow[] = [];
  for (const config of suite.loadConfigs(root)) {
    const names = config.programs ?? parseObject(new Uint8Array(readFileSync(config.objectPath))).programs.map((p) => p.name);
    for (const name of names) {
      if (opts.only && !name.includes(opts.only)) continue;
      opts.log?.(`  ${name}…\n`);
      const pkt = byName.get(benchPacket(root, name)) ?? corpus[0]!;
      const ctx = config.ctx ? { ingressIfindex: config.ctx.ingressIfindex ?? 1, rxQueueIndex: config.ctx.rxQueueIndex ?? 0 } : undefined;
      const prepare = async (engine: EngineName) => {
        const d = await Datapath.create({ ncpus: 2, cpu: 0 });
        const o = await d.loadObject(config.objectPath, { engine, ...(config.wxdpVerify ? {} : { checked: true, verify: false }) });
        for (const s of config.setup) o.map(s.map).update(s.keyBytes, s.valueBytes, { any: 0, noexist: 1, exist: 2 }[s.flag]);
        const p = o.program(name);
        return { p, run: (n: number) => p.testRun({ data: pkt.data, repeat: n, ...(ctx ? { ctx } : {}) }) };
      };
      const interp = await prepare('interp');
      const jit = await prepare('jit');
      // testRun warms each engine up within one call (src/jit/timing.ts); the interpreter's JavaScript
      // also needs V8 to optimise this program's function (src/interp/compile.ts), so it runs short
      // calls first. V8 optimises on a background thread, in the order functions became hot: the first
      // program's loads run binaryen and the verifier cold, whose hot functions queue ahead of the
      // interpreter's, and on a loaded machine its function waited 1–1.5 s (xdp_atomics, the first row,
      // measured at 2.6–5 µs a run instead of 0.29), so the first program warms up for longer.
      const warmUntil = performance.now() + (opts.quick ? 300 : 1000) + (rows.length === 0 ? FIRST_WARM_MS : 0);
      while (performance.now() < warmUntil) interp.run(200);
      const nInterp = opts.quick ? 5_000 : 20_000;
      const nJit = opts.quick ? 100_000 : 1_000_000;
      let bi = Infinity;
      let bj = Infinity;
      let retval = 0;
      // rounds alternate the engines and are spread over ROUNDS_MS at least (the least of each kept): a
      // burst of load from elsewhere on the machine does not decide a row
      const roundsUntil = performance.now() + (opts.quick ? ROUNDS_MS : 2 * ROUNDS_MS);
      for (let round = 0; round < (opts.quick ? 2 : 4) || performance.now() < roundsUntil; round++) {
        const a = interp.run(nInterp);
        const b = jit.run(nJit);
        if (a.retval !== b.retval) throw new Error(`${name}: interp says ${a.retval}, JIT ${b.retval}`);
        retval = a.retval;
        bi = Math.min(bi, a.duration);
        bj = Math.min(bj, b.duration);
      }
      interp.run(1);
      const { executed: insns, tier } = interp.p.engine as unknown as { executed: number; tier: InterpRow['tier'] };
      rows.push({ program: name, packet: pkt.name, retval, interpNsPerRun: bi, jitNsPerRun: bj, ratio: bi / bj, insns, tier });
    }
  }
  return rows;
}

export const INTERP_LEGEND = `interp / jit: the interpreter's ns/run over the JIT's, both through testRun (steady state, the warm-up
not timed) on the same packet and map setup, measured in this run (absolute ns move with the machine's load; the
ratio is the figure). insns: instructions the interpreter executed for one run (tail calls included). The
interpreter runs its compiled tier (the program written out as a JavaScript function, src/interp/compile.ts);
its switch tier, the reference the tiers are tested against, runs traces (--json: "tier" per row).
`;

export function formatInterpTable(rows: readonly InterpRow[]): string {
  const head = ['program', 'packet', 'retval', 'insns', 'interp ns/run', 'jit ns/run', 'interp / jit'];
  const body = rows.map((r) => [r.program, r.packet, String(r.retval), String(r.insns), r.interpNsPerRun.toFixed(0), r.jitNsPerRun.toFixed(1), r.ratio.toFixed(1) + 'x']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const over = rows.filter((r) => r.ratio > TARGET_INTERP_RATIO).map((r) => r.program);
  const foot = `target: interp within ${TARGET_INTERP_RATIO}x of the warm JIT; ${over.length === 0 ? 'every row meets it' : `over: ${over.join(', ')}`}`;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line), foot].join('\n') + '\n';
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
  const rows = await runInterpBench({ quick: values.quick, ...(values.only ? { only: values.only } : {}), ...(values.json ? {} : { log: (s: string) => process.stderr.write(s) }) });
  if (values.json) process.stdout.write(JSON.stringify({ node: process.version, target: TARGET_INTERP_RATIO, rows }, null, 1) + '\n');
  else process.stdout.write(`wxdp interpreter vs warm JIT, node ${process.version}\n` + formatInterpTable(rows));
}
