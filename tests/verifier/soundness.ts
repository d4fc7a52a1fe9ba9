// Soundness of the verifier, by experiment: every program it accepts (programs/ and the accept corpus)
// runs in the JIT's unchecked mode — no bounds checks at all — side by side with checked engines,
// which fault on any access outside the program's regions, on fuzzed packets (corpus frames with
// bytes flipped, cut short, grown, and random frames). They must never differ, and the checked
// engines must never fault: a program the verifier passed never touches memory it may not.
//
// Every packet also runs through the checked JIT; every INTERP_EVERY-th through the checked
// interpreter too (the BigInt interpreter is ~50× slower, so all 100k would take minutes per program).
// WXDP_SOUNDNESS_PACKETS sets the packets per program: 10000 by default, 100000 in CI (.ci/run). The
// subjects are split over two test files (programs/, accept corpus) so that vitest runs them in parallel.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../support/gen.js';
import { Datapath, type BpfObject, type Program } from '../../src/control/datapath.js';
import { RUN, RUN_BASE } from '../../src/runtime/memory.js';
import { loadConfigs, loadCorpus, type SuiteConfig } from '../../scripts/program-suite.mjs';

const root = new URL('../../', import.meta.url).pathname;
const PACKETS = Number(process.env['WXDP_SOUNDNESS_PACKETS'] ?? 10_000);
const INTERP_EVERY = 20;
const corpus = loadCorpus(root).map((p) => p.data);
const configs = loadConfigs(root) as SuiteConfig[];

/** xorshift32 (tests/support/gen.ts), seeded per case: a failure names its seed and replays exactly. */
function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

/** A packet derived from the corpus: flips in the headers, a new length, or all random. */
function fuzzPacket(next: () => number): Uint8Array {
  const kind = next() % 8;
  if (kind === 0) {
    const len = 14 + (next() % 200);
    return Uint8Array.from({ length: len }, () => next() & 0xff);
  }
  const base = corpus[next() % corpus.length]!;
  let len = base.length;
  if (kind === 1) len = 14 + (next() % Math.max(1, base.length - 13)); // cut short
  if (kind === 2) len = base.length + (next() % 64); // grown
  const p = new Uint8Array(len);
  p.set(base.subarray(0, Math.min(len, base.length)));
  const flips = 1 + (next() % 4);
  for (let i = 0; i < flips; i++) {
    // Mostly within the headers, where parsers branch.
    const at = next() % Math.min(len, next() % 4 === 0 ? len : 80);
    p[at] = next() & 0xff;
  }
  return p;
}

interface Subject {
  name: string;
  object: string;
  program?: string;
  setup?: SuiteConfig['setup'];
}

const subjects: Subject[] = [
  ...configs.flatMap((c) =>
    (c.programs ?? [undefined]).map((program) => ({ name: `${c.name}${program ? `:${program}` : ''}`, object: c.objectPath, program, setup: c.setup })),
  ),
  ...readdirSync(join(root, 'programs/verifier/accept'))
    .filter((f) => f.endsWith('.o'))
    .sort()
    .map((f) => ({ name: `accept/${f}`, object: join(root, 'programs/verifier/accept', f) })),
];

/** bpf_get_prandom_u32 starts from the same state in every engine, so that they see the same numbers. */
function seedPrandom(p: { dp: Datapath }, seed: number): void {
  p.dp.memory.view().setBigUint64(RUN_BASE + RUN.PRANDOM, BigInt(seed) | 1n, true);
}

async function load(s: Subject, engine: 'jit' | 'interp', checked: boolean): Promise<{ dp: Datapath; obj: BpfObject; prog: Program }> {
  const dp = await Datapath.create({ ncpus: 2 });
  const obj = await dp.loadObject(readFileSync(s.object), checked ? { path: s.object, engine, checked } : { path: s.object, engine });
  for (const e of s.setup ?? []) obj.map(e.map).update(e.keyBytes, e.valueBytes, { any: 0, noexist: 1, exist: 2 }[e.flag]);
  return { dp, obj, prog: obj.program(s.program) };
}

/** Declare the soundness tests for the subjects from programs/ ('programs') or the accept corpus. */
export function soundnessSuite(which: 'programs' | 'accept'): void {
  const mine = subjects.map((s, i) => [s.name, s, i] as const).filter(([name]) => name.startsWith('accept/') === (which === 'accept'));
  describe(`verified programs (${which}) run unchecked exactly as the checked engines run them`, () => {
    it.each(mine)(
      '%s',
      async (_n, s, i) => {
        const fast = await load(s, 'jit', false);
        const refs = [await load(s, 'jit', true), await load(s, 'interp', true)];
        // The interpreter sees every INTERP_EVERY-th packet only: it is compared with an unchecked twin that
        // sees the same packets, so programs whose verdicts follow their maps' state (a counter) stay in step.
        const twin = await load(s, 'jit', false);
        expect(fast.prog.checked, 'the verified program runs unchecked').toBe(false);
        expect(refs.every((r) => r.prog.checked)).toBe(true);
        const seed = 0x9e3779b9 ^ (i * 2654435761);
        const next = rng(seed);
        for (let n = 0; n < PACKETS; n++) {
          const data = fuzzPacket(next);
          const prandom = next();
          seedPrandom(fast, prandom);
          const gotFast = fast.prog.testRun({ data });
          for (const ref of n % INTERP_EVERY === 0 ? refs : refs.slice(0, 1)) {
            let got = gotFast;
            if (ref === refs[1]) {
              seedPrandom(twin, prandom);
              got = twin.prog.testRun({ data });
            }
            let want;
            seedPrandom(ref, prandom);
            try {
              want = ref.prog.testRun({ data });
            } catch (e) {
              throw new Error(`${s.name}: the checked ${ref.prog.engine.constructor.name} faulted on packet #${n} (seed ${seed}): ${String(e)}`);
            }
            if (got.retval !== want.retval || Buffer.compare(got.data, want.data) !== 0) {
              expect({ n, seed, retval: got.retval, data: Buffer.from(got.data).toString('hex') }).toEqual({
                n,
                seed,
                retval: want.retval,
                data: Buffer.from(want.data).toString('hex'),
              });
            }
          }
        }
      },
      600_000,
    );
  });
}
