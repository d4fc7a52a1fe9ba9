// wxdp's verifier against the kernel's verdicts on the corpus (programs/verifier/, recorded with
// bpftool by scripts/record-verifier-corpus.mjs): every program the kernel accepted loads; every program
// it rejected is refused with the kernel's message, naming the same instruction, with the kernel's
// second line (e.g. `R2 offset is outside of the packet`) in the log.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { ProgramError, VerifierError } from '../../src/errors.js';

const DIR = join(import.meta.dirname, '../../programs/verifier');

interface Recorded {
  file: string;
  object: string;
  accepted: boolean;
  insn: number | null;
  insnSource: 'log' | 'message' | 'object' | null;
  message: string | null;
  detail?: string[];
  /** The last lines of the kernel's log, ending with its "processed N insns" summary. */
  log?: string[];
}

/**
 * Refusals where wxdp's walk processes a different number of instructions than the kernel's before
 * it stops (the kernel's count, then wxdp's).
 */
const PROCESSED_DIFFERS: Record<string, string> = {};

const recording = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as { programs: Recorded[] };
/** The errno the kernel's bpf(BPF_PROG_LOAD) returned for each refused object, recorded with bpftool. */
const errnos = JSON.parse(readFileSync(join(DIR, 'errno.json'), 'utf8')) as { errno: Record<string, string> };
const accepts = recording.programs.filter((p) => p.accepted);
const rejects = recording.programs.filter((p) => !p.accepted);

// One Datapath for the file (without 2 MiB page advice): each object loaded into it and unloaded after, a
// refused one leaving nothing to unload; a Datapath a program spent ~20 ms of CPU each before its load.
let shared: Datapath | undefined;

async function load(p: Recorded): Promise<unknown> {
  const dp = (shared ??= await Datapath.create({ hugePages: false }));
  try {
    dp.unloadObject(await dp.loadObject(join(DIR, p.object)));
    return undefined;
  } catch (e) {
    return e;
  }
}

describe('verifier vs the kernel: the accept corpus', () => {
  it.each(accepts.map((p) => [p.file, p] as const))('%s loads', async (_f, p) => {
    const err = await load(p);
    expect(err === undefined ? 'accepted' : String(err)).toBe('accepted');
  });
});

describe('verifier vs the kernel: the reject corpus', () => {
  it.each(rejects.map((p) => [p.file, p] as const))(
    '%s is refused as the kernel refuses it',
    async (_f, p) => {
      const err = await load(p);
      expect(err, 'wxdp accepted it').toBeDefined();
      expect(err instanceof VerifierError || err instanceof ProgramError, String(err)).toBe(true);
      const e = err as VerifierError | ProgramError;
      expect(e.reason).toBe(p.message);
      // Where the kernel's log names the failing instruction, wxdp names the same one. (For the
      // messages that carry their own number — `jump into the middle of ldimm64 insn 2` — the message
      // above already matched; wxdp's index there is the offending jump.)
      if (p.insn !== null && p.insnSource === 'log') expect(e.index).toBe(p.insn);
      // The kernel's second line, when it is a message (not a dump of states).
      const detail = p.detail?.find((d) => !/^(cur|old) state:/.test(d));
      if (e instanceof VerifierError && detail) expect(e.log).toContain(detail);
      // The instructions processed up to the refusal, where the walk ran (a ProgramError's checks
      // come before it: the kernel's count is 0 there).
      const processed = /^processed (\d+) insns/.exec(p.log?.at(-1) ?? '')?.[1];
      if (e instanceof VerifierError && processed && !(p.file in PROCESSED_DIFFERS)) expect(/processed (\d+) insns/.exec(e.log)?.[1]).toBe(processed);
      // and bpf(BPF_PROG_LOAD)'s errno, as the kernel returned it (programs/verifier/errno.json)
      const errno = errnos.errno[p.object];
      if (errno) expect(e.errno).toBe(errno);
    },
    60_000,
  );
});
