// Verifier verdicts in the on-disk cache (program_cache.ts): an accepted program's log, statistics and facts,
// or a refusal's reason, instruction, log and errno, as JSON. The instructions are not stored: the caller has
// them, and they are part of the key.

import { VerifierError, type VerifierErrno } from '../errors.js';
import type { Insn } from '../isa/insn.js';
import type { VerifiedProgram, VerifierStats } from '../verifier/verifier.js';
import { programCache } from './program_cache.js';

type Stored =
  | { ok: { log: string; stats: Omit<VerifierStats, 'stackDepth'> & { stackDepth: [number, number][] }; facts: { loopCountMax: [number, number][]; loopInlined: number[]; probeLoads?: number[]; objNewSizes?: [number, number][] } } }
  | { error: { reason: string; index: number; log: string; errno: VerifierErrno; name?: string } };

/** The verdict stored under `key` (a VerifierError for a refusal), or undefined. */
export function cachedVerdict(key: string, insns: readonly Insn[]): VerifiedProgram | VerifierError | undefined {
  const cache = programCache();
  const payload = cache.get('verify', key);
  if (!payload) return undefined;
  try {
    const v = JSON.parse(payload.toString('utf8')) as Stored;
    if ('error' in v) return new VerifierError(v.error.reason, v.error.index, v.error.log, v.error.name, v.error.errno);
    return { insns, log: v.ok.log, stats: { ...v.ok.stats, stackDepth: new Map(v.ok.stats.stackDepth) }, facts: { loopCountMax: new Map(v.ok.facts.loopCountMax), loopInlined: new Set(v.ok.facts.loopInlined), probeLoads: new Set(v.ok.facts.probeLoads ?? []), ...(v.ok.facts.objNewSizes ? { objNewSizes: new Map(v.ok.facts.objNewSizes) } : {}) } };
  } catch {
    cache.stats.corrupt++;
    return undefined;
  }
}

export function storeVerdict(key: string, v: VerifiedProgram | VerifierError, name?: string): void {
  const stored: Stored =
    v instanceof VerifierError
      ? { error: { reason: v.reason, index: v.index, log: v.log, errno: v.errno, ...(name !== undefined ? { name } : {}) } }
      : { ok: { log: v.log, stats: { ...v.stats, stackDepth: [...v.stats.stackDepth] }, facts: { loopCountMax: [...v.facts.loopCountMax], loopInlined: [...v.facts.loopInlined], probeLoads: [...v.facts.probeLoads], ...(v.facts.objNewSizes ? { objNewSizes: [...v.facts.objNewSizes] } : {}) } } };
  programCache().put('verify', key, Buffer.from(JSON.stringify(stored), 'utf8'));
}
