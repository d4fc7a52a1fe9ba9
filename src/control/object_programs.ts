// Which programs of an object load, as libbpf decides it program by program (bpf_object__load_progs):
//
//   autoload   `programs` names the ones wanted (bpf_program__set_autoload): only those, and the programs
//              the object's own prog_array initialisers name (so a dispatcher's tail calls still land);
//              without it, every program but the SEC("?…") ones, which libbpf opens with autoload off;
//   skipped    a program wxdp cannot run — a program type it has no hook for, or a helper or kfunc the
//              kernel provides and wxdp does not (PROG_UNSUPPORTED) — is left out with the reason, and the
//              rest of the object loads; asking for it by name (BpfObject.program) raises that reason;
//   refused    anything else the verifier or the load-time check rejects fails the whole object, as the
//              kernel's rejection fails libbpf's bpf_object__load.

import type { ObjectSpec, ProgramSpec } from '../elf/index.js';
import { unsupportedProgram } from '../elf/index.js';
import { WxdpError } from '../errors.js';

/** Why a program of the object was not loaded: 'unsupported' (with the reason) or 'autoload' (not asked for). */
export interface SkippedProgram {
  why: 'unsupported' | 'autoload';
  reason: string;
}

/** The programs to load (spec order) and those left out, with why. */
export function planPrograms(spec: ObjectSpec, wanted?: readonly string[]): { load: ProgramSpec[]; skipped: Map<string, SkippedProgram> } {
  const skipped = new Map<string, SkippedProgram>();
  let want: Set<string> | undefined;
  if (wanted) {
    want = new Set(wanted);
    for (const n of wanted) {
      if (!spec.programs.some((p) => p.name === n)) {
        throw new WxdpError('NOT_FOUND', `no program '${n}' (have: ${spec.programs.map((p) => p.name).join(', ') || 'none'})`);
      }
    }
    for (const m of spec.maps) for (const s of m.initSlots ?? []) if (s.program !== undefined) want.add(s.program);
  }
  const load: ProgramSpec[] = [];
  for (const p of spec.programs) {
    if (want && !want.has(p.name)) {
      skipped.set(p.name, { why: 'autoload', reason: `program ${p.name} was not loaded (autoload: only ${[...wanted!].join(', ')})` });
      continue;
    }
    if (!want && p.autoload === false) {
      skipped.set(p.name, { why: 'autoload', reason: `program ${p.name} was not loaded (section '?${p.section}': autoload off until asked for by name)` });
      continue;
    }
    const why = unsupportedProgram(p);
    if (why !== undefined) {
      skipped.set(p.name, { why: 'unsupported', reason: `program ${p.name} (section ${p.section}): ${why}` });
      continue;
    }
    load.push(p);
  }
  return { load, skipped };
}

/** Whether a load error means "wxdp lacks this", so the program is skipped rather than the object refused. */
export function isUnsupported(e: unknown): e is WxdpError {
  return e instanceof WxdpError && e.code === 'PROG_UNSUPPORTED';
}
