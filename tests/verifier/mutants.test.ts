// Mutation fuzzing of the verifier: real programs (the accept corpus and the smaller programs/) with one
// instruction changed — an offset, an immediate, a register. The verifier must always answer (accept,
// or refuse with its own typed error; never crash, never hang), and every mutant it accepts must run
// unchecked exactly as the checked JIT runs it, which faults on any access outside the program's
// regions. A mutant the verifier wrongly accepts shows up here as a fault or a difference.
//
// WXDP_MUTANTS sets the number of mutants (default 1000 locally; CI runs 3000, .ci/run).

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fuzzClock } from '../support/budget.js';
import { Rng } from '../support/gen.js';
import { Datapath } from '../../src/control/datapath.js';
import { configureObject, parseObject, type ObjectSpec } from '../../src/elf/index.js';
import { ProgramError, VerifierError } from '../../src/errors.js';
import type { Insn } from '../../src/isa/insn.js';
import { MapType } from '../../src/maps/index.js';
import { RUN, RUN_BASE } from '../../src/runtime/memory.js';
import { loadCorpus } from '../../scripts/program-suite.mjs';

/**
 * Helpers whose results differ between two runs (clocks: ktime_get_ns, jiffies64, ktime_get_boot_ns,
 * ktime_get_coarse_ns, ktime_get_tai_ns): their mutants are checked for faults only.
 */
const CLOCKS = new Set([5, 118, 125, 160, 208]);

const root = new URL('../../', import.meta.url).pathname;
const MUTANTS = Number(process.env['WXDP_MUTANTS'] ?? 1000);
const BATCH = 50;
const corpus = loadCorpus(root).map((p) => p.data);

// Programs that verify in well under a second (xdp_parse and xdp_calls take seconds per mutant; xdp_bloom, 8,894
// instructions processed, 260 ms a load and its mutants one batch's 17 s of the suite's run on 12-07;
// xdp_obj_exhaust, 20000 bpf_obj_new + pops a run since the heap grows as the kernel's does: ~0.4 s a run
// checked, 40 runs on two engines a mutant — its behaviour is tests/programs/obj_graph.test.ts's).
const SLOW = new Set(['xdp_parse.o', 'xdp_calls.o', 'xdp_bloom.o', 'xdp_obj_exhaust.o']);
const objects: { name: string; spec: ObjectSpec }[] = [
  ...readdirSync(join(root, 'programs'))
    // Socket programs (sk_*.o) run in their own contexts, not in the XDP test run this harness uses.
    .filter((f) => f.endsWith('.o') && !SLOW.has(f) && !f.startsWith('sk_'))
    .map((f) => join(root, 'programs', f)),
  ...readdirSync(join(root, 'programs/verifier/accept'))
    .filter((f) => f.endsWith('.o'))
    .map((f) => join(root, 'programs/verifier/accept', f)),
]
  .sort()
  .map((path) => ({ name: path.slice(root.length), spec: sized(parseObject(new Uint8Array(readFileSync(path)), { path })) }));

/**
 * An object whose maps its loader sizes (max_entries 0: programs/xdp_config, as xdp-bench's) sized as
 * that loader would, to 4 entries; a perf_event_array's 0 is libbpf's own (the CPU count).
 */
function sized(spec: ObjectSpec): ObjectSpec {
  const zero = spec.maps.filter((m) => m.maxEntries === 0 && m.type !== MapType.PERF_EVENT_ARRAY && (m.kind === 'btf' || m.kind === 'legacy'));
  return zero.length ? configureObject(spec, { maxEntries: Object.fromEntries(zero.map((m) => [m.name, 4])) }) : spec;
}

/** xorshift32 (tests/support/gen.ts), seeded per case: a failure names its seed and replays exactly. */
function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

/** One field of one instruction changed (never an ld_imm64, whose pair the loader relocates). */
function mutate(insns: readonly Insn[], next: () => number): Insn[] {
  const out = insns.map((i) => ({ ...i }));
  const slots = out.map((_, k) => k).filter((k) => !out[k]!.isLdImm64Tail && out[k]!.code !== 0x18);
  const ins = out[slots[next() % slots.length]!]!;
  const small = (): number => (next() % 33) - 16;
  switch (next() % 5) {
    case 0:
      ins.off = Math.max(-32768, Math.min(32767, ins.off + small()));
      break;
    case 1:
      ins.imm = (ins.imm + small()) | 0;
      break;
    case 2:
      ins.imm = [0, 1, -1, 8, 14, 64, 255, 4096, 0x7fffffff][next() % 9]!;
      break;
    case 3:
      ins.dst = next() % 11;
      break;
    default:
      ins.src = next() % 11;
      break;
  }
  return out;
}

function packet(next: () => number): Uint8Array {
  const base = corpus[next() % corpus.length]!;
  const p = Uint8Array.from(base.subarray(0, 14 + (next() % Math.max(1, base.length - 13))));
  p[next() % p.length] = next() & 0xff;
  return p;
}

describe(`${MUTANTS} single-instruction mutants of verified programs`, () => {
  const clock = fuzzClock('verifier mutants', MUTANTS);
  afterAll(() => clock.report());
  it.each(Array.from({ length: Math.ceil(MUTANTS / BATCH) }, (_, b) => b))(
    'batch %i: every verdict is typed, every accepted mutant is safe',
    async (b) => {
      let accepted = 0;
      for (let m = b * BATCH; m < Math.min(MUTANTS, (b + 1) * BATCH) && clock.more(); m++) {
        const next = rng(0x51ed2701 ^ (m * 2654435761));
        const obj = objects[next() % objects.length]!;
        const pi = next() % obj.spec.programs.length;
        const prog = obj.spec.programs[pi]!;
        const insns = mutate(prog.insns, next);
        const programs = obj.spec.programs.map((p, k) => (k === pi ? { ...p, insns } : p));
        const clocked = insns.some((i) => i.code === 0x85 && i.src === 0 && CLOCKS.has(i.imm));
        const spec: ObjectSpec = { ...obj.spec, programs };
        const where = `mutant #${m} of ${obj.name}:${prog.name}`;
        const fast = await Datapath.create({ ncpus: 2 });
        let fo;
        try {
          fo = await fast.loadObject(spec, { path: obj.name });
        } catch (e) {
          if (e instanceof VerifierError || e instanceof ProgramError) continue;
          throw new Error(`${where}: the verifier threw ${String(e)}`, { cause: e });
        }
        // a program the object's loader skipped (a type or kfunc wxdp lacks) has nothing to run
        if (!fo.programs.has(prog.name)) continue;
        // programs the kernel has no test run for (devmap/cpumap entries, tracepoints): verified is all there is
        if (prog.type !== 'xdp' || prog.attachType === 'xdp_devmap' || prog.attachType === 'xdp_cpumap') continue;
        accepted++;
        const ref = await Datapath.create({ ncpus: 2 });
        const ro = await ref.loadObject(spec, { path: obj.name, checked: true });
        for (let n = 0; n < 40; n++) {
          const data = packet(next);
          // bpf_get_prandom_u32 gives both engines the same numbers.
          const seed = BigInt(next()) | 1n;
          for (const d of [fast, ref]) d.memory.view().setBigUint64(RUN_BASE + RUN.PRANDOM, seed, true);
          let want;
          try {
            want = ro.program(prog.name).testRun({ data });
          } catch (e) {
            throw new Error(`${where}: verified, yet the checked JIT faulted on packet ${Buffer.from(data).toString('hex')}: ${String(e)}`);
          }
          const got = fo.program(prog.name).testRun({ data });
          if (clocked) continue;
          expect({ where, retval: got.retval, data: Buffer.from(got.data).toString('hex') }).toEqual({
            where,
            retval: want.retval,
            data: Buffer.from(want.data).toString('hex'),
          });
        }
      }
      void accepted;
    },
    300_000,
  );
});
