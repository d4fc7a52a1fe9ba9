// The verifier corpus (programs/verifier/): first that it is complete, with no kernel needed (every
// source has its committed object and a recorded kernel verdict for exactly that object, the classes
// are distinct, the counts are those the project promises); then, where the kernel can be used, that
// the kernel still gives every recorded verdict: the same acceptance, and for a refusal the same
// message at the same instruction, so that the recording can be trusted as the reference.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseObject } from '../../src/elf/index.js';
import * as oracle from '../../src/oracle/index.js';
import {
  analyzeRejection,
  CORPUS_DIR,
  corpusSources,
  EXPECTED_PATH,
  loadVerdict,
  programOf,
  sha256,
} from '../../scripts/record-verifier-corpus.mjs';

interface RecordedProgram {
  file: string;
  object: string;
  class: string;
  sha256: string;
  accepted: boolean;
  insn: number | null;
  insnSource: 'log' | 'message' | 'object' | null;
  message: string | null;
  detail?: string[];
  log?: string[];
  functions?: { name: string; index: number; length: number }[];
  insnFunction?: string;
}
interface Recording {
  kernel: string;
  bpftool: string;
  logLevel: number;
  programs: RecordedProgram[];
}
interface Source {
  file: string;
  object: string;
  dir: 'reject' | 'accept';
  name: string;
  kind: 'Reject' | 'Accept' | null;
  class: string | null;
}

const sources = corpusSources() as Source[];
const recording = JSON.parse(readFileSync(EXPECTED_PATH, 'utf8')) as Recording;
const recorded = new Map(recording.programs.map((p) => [p.file, p]));
const program = (s: { object: string }) => programOf(parseObject, join(CORPUS_DIR, s.object));

describe('the verifier corpus (programs/verifier/), as recorded', () => {
  it('has at least 60 reject and 30 accept programs', () => {
    expect(sources.filter((s) => s.dir === 'reject').length).toBeGreaterThanOrEqual(60);
    expect(sources.filter((s) => s.dir === 'accept').length).toBeGreaterThanOrEqual(30);
  });

  it('gives every program a class on its first line, matching its directory, each class once', () => {
    for (const s of sources) {
      expect(s.kind, `${s.file}: first line "// Reject: …" or "// Accept: …"`).toBe(s.dir === 'reject' ? 'Reject' : 'Accept');
    }
    const classes = sources.map((s) => s.class);
    expect(new Set(classes).size).toBe(classes.length);
  });

  it('records exactly the corpus: one entry per source, no stale entries', () => {
    expect(recording.programs.map((p) => p.file)).toEqual(sources.map((s) => s.file));
    expect(recording.logLevel).toBe(1);
  });

  it.each(sources)('$file: object committed, recorded for these bytes, verdict as its directory says', (s) => {
    const objectPath = join(CORPUS_DIR, s.object);
    expect(existsSync(objectPath), `${s.object} missing: bash programs/verifier/build.sh`).toBe(true);
    const r = recorded.get(s.file)!;
    expect(r.sha256, `${s.object} changed since the recording: node scripts/record-verifier-corpus.mjs`).toBe(sha256(objectPath));
    expect(r.class).toBe(s.class);
    expect(r.accepted).toBe(s.dir === 'accept');

    const prog = program(s);
    const fns = prog.functions ?? [];
    if (fns.length > 1) expect(r.functions).toEqual(fns.map((f) => ({ name: f.name, index: f.index, length: f.length })));
    else expect(r.functions).toBeUndefined();
    if (r.insnFunction !== undefined) {
      const f = fns.find((fn) => fn.name === r.insnFunction)!;
      expect(r.insn).toBeGreaterThanOrEqual(f.index);
      expect(r.insn).toBeLessThan(f.index + f.length);
    }
    if (r.accepted) {
      expect([r.insn, r.insnSource, r.message]).toEqual([null, null, null]);
      return;
    }
    expect(r.message).toMatch(/\S/);
    expect(r.log!.length).toBeGreaterThan(0);
    // The stored tail ends with the error: the message must be in it.
    expect(r.log!.some((l) => l.startsWith(r.message!))).toBe(true);
    if (r.insn === null) expect(r.insnSource).toBeNull();
    else {
      expect(r.insnSource).not.toBeNull();
      expect(r.insn).toBeGreaterThanOrEqual(0);
      expect(r.insn).toBeLessThan(prog.insns.length);
    }
  });

  it('lists every program in programs/verifier/README.md', () => {
    const readme = readFileSync(join(CORPUS_DIR, 'README.md'), 'utf8');
    for (const s of sources) expect(readme).toContain(`\`${s.file}\``);
  });

  // the tail of 6.18.44's log (level 1) for wide fuzz seed 109554: the complexity limit struck at the callee's
  // first instruction, after check_func_call's state dump, whose frame 0 line has no label; the analyzer took
  // that line for the message
  it('takes the message after a call\'s state dump (frame 0 unlabelled) from the line that follows it', () => {
    const log = [
      '35: (b7) r5 = 1324575285              ; R5=0x4ef36a35',
      '36: (85) call pc+14',
      'caller:',
      ' R8=8 R10=fp0 fp-8=0 fp-16=0 fp-24=8 fp-32=0 fp-40=0 fp-48=mmmm0 fp-56=0 fp-64=0',
      'callee:',
      ' frame1: R1=47 R2=63 R3=0x1cc8975c R4=0x2a657472 R5=0x4ef36a35 R10=fp0',
      'BPF program is too large. Processed 1000001 insn',
      'processed 1000001 insns (limit 1000000) max_states_per_insn 65 total_states 93749 peak_states 31258 mark_read 0',
      '',
    ].join('\n');
    expect(analyzeRejection(log, { insns: [] })).toMatchObject({ message: 'BPF program is too large. Processed 1000001 insn', insn: 36, insnSource: 'log' });
  });

  // wide fuzz seed 120692 on 6.18.44: the limit struck at the caller's instruction after a callback's return,
  // after prepare_func_exit's state dump
  it('takes the message after a return\'s state dump from the line that follows it', () => {
    const log = [
      '81: (57) r0 &= 1                      ; frame1: R0=0 cb',
      '82: (95) exit',
      'returning from callee:',
      ' frame1: R0=0 R1=0 R2=0x69c8a R5=0xffffffff9ce5d78d R7=0xffffffffc7898451 R9=1 R10=fp0 fp-8=0 fp-16=0 fp-24=0 fp-32=0 fp-40=0 fp-48=0 fp-56=0 fp-64=0 cb',
      'to caller at 28:',
      ' R0=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R1=6 R2=func() R3=0 R4=0 R9=1 R10=fp0 fp-8=0 fp-16=0 fp-24=mmmmmmmm fp-32=0 fp-40=0 fp-48=0 fp-56=0 fp-64=0',
      'BPF program is too large. Processed 1000001 insn',
      'processed 1000001 insns (limit 1000000) max_states_per_insn 65 total_states 166660 peak_states 266651 mark_read 0',
      '',
    ].join('\n');
    expect(analyzeRejection(log, { insns: [] })).toMatchObject({ message: 'BPF program is too large. Processed 1000001 insn', insn: 82, insnSource: 'log' });
  });
});

const avail = oracle.kernelAvailability();
if (!avail.ok) it.skip(`verifier corpus live check skipped: kernel oracle unavailable: ${avail.reason}`, () => {});

describe.skipIf(!avail.ok)(`the kernel's verdicts, again (recorded on ${recording.kernel})`, () => {
  it.each(recording.programs)('$file', (r) => {
    const objectPath = join(CORPUS_DIR, r.object);
    const verdict = loadVerdict(oracle, objectPath) as { accepted: true } | { accepted: false; log: string };
    if (verdict.accepted) {
      expect(r.accepted, `the kernel now accepts ${r.file}`).toBe(true);
      return;
    }
    expect(r.accepted, `the kernel now rejects ${r.file}: ${verdict.log.trim().split('\n').slice(-3).join(' | ')}`).toBe(false);
    const now = analyzeRejection(verdict.log, program(r));
    expect({ message: now.message, insn: now.insn, insnSource: now.insnSource }).toEqual({
      message: r.message,
      insn: r.insn,
      insnSource: r.insnSource,
    });
  });
});
