// wxdp's verifier on the programs of kernel_cases.ts against the kernel's recorded answers
// (kernel_cases.json): the same acceptance and processed count, or the same message at the same
// instruction. Where the kernel can be asked (root, gcc, libbpf-dev), the recording is checked against
// it too; WXDP_RECORD_KERNEL_CASES=1 writes the recording anew from the running kernel.

import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { kernel, kernelUnavailable, wxdp, type FuzzProgType, type Verdict } from '../support/verifier_kernel.js';
import { KERNEL_CASES } from './kernel_cases.js';
import { kernelInsnsHelperGap } from '../support/kernel_helpers.js';

const PATH = new URL('./kernel_cases.json', import.meta.url).pathname;
const unavailable = kernelUnavailable();

/** The kernel's answers for every case, by name (the loader takes one program type a run). */
function kernelAnswers(): Record<string, Verdict> {
  const out: Record<string, Verdict> = {};
  for (const type of new Set(KERNEL_CASES.map((c): FuzzProgType => c.type ?? 'xdp'))) {
    const cases = KERNEL_CASES.filter((c) => (c.type ?? 'xdp') === type);
    if (cases.length === 0) continue;
    const answers = kernel(cases.map((c) => ({ insns: c.insns, run: false, packets: [] })), type);
    cases.forEach((c, i) => (out[c.name] = answers[i]!));
  }
  return out;
}

if (process.env['WXDP_RECORD_KERNEL_CASES']) {
  if (unavailable) throw new Error(`cannot record: ${unavailable}`);
  const answers = kernelAnswers();
  const release = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  writeFileSync(PATH, JSON.stringify({ kernel: release, nrCpuIds: availableParallelism(), cases: Object.fromEntries(KERNEL_CASES.map((c) => [c.name, answers[c.name]])) }, null, 1) + '\n');
}
/** nr_cpu_ids is the recording machine's: wxdp's Datapath is given as many CPUs. */
const recorded = JSON.parse(readFileSync(PATH, 'utf8')) as { kernel: string; nrCpuIds: number; cases: Record<string, Verdict> };

describe('the verifier answers as the kernel did on the programs the kernel comparison found', () => {
  it('has a recorded answer for every case', () => {
    expect(Object.keys(recorded.cases).sort()).toEqual(KERNEL_CASES.map((c) => c.name).sort());
  });

  it.each(KERNEL_CASES.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    const dp = await Datapath.create({ ncpus: recorded.nrCpuIds });
    try {
      const { interp: _, runs: __, ...ours } = { ...(await wxdp(dp, c.insns, false, [], c.type)) } as Verdict & { interp?: unknown; runs?: unknown };
      const want = recorded.cases[name]!;
      // the kernel's log names no instruction for some refusals (insn null): then any is fine
      expect(ours).toEqual(!want.accepted && want.insn === null ? { ...want, insn: (ours as { insn: number }).insn } : want);
    } finally {
      await dp.close();
    }
  });

  const otherCpus = availableParallelism() !== recorded.nrCpuIds ? `this machine has ${availableParallelism()} CPUs, the recording's ${recorded.nrCpuIds}` : undefined;
  const live = unavailable ?? otherCpus;
  // a case calling an XDP helper this kernel build refuses though mainline allows it (tests/support/kernel_helpers.ts:
  // bpf_xdp_adjust_meta#54 on 6.18.44-fc-v1300) is left out of the live comparison, by name
  const gapOf = (c: (typeof KERNEL_CASES)[number]): string | null => (live !== undefined || (c.type ?? 'xdp') !== 'xdp' ? null : kernelInsnsHelperGap(c.insns));
  const gaps = new Map(KERNEL_CASES.map((c) => [c.name, gapOf(c)] as const));
  for (const [name, gap] of gaps) if (gap !== null) it.skip(`${name}: not compared with the running kernel: ${gap}`, () => {});
  it.skipIf(live !== undefined)(`matches the running kernel${live ? ` (skipped: ${live})` : ''}`, () => {
    const answers = kernelAnswers();
    const compared = KERNEL_CASES.filter((c) => gaps.get(c.name) === null).map((c) => c.name);
    expect(Object.fromEntries(compared.map((n) => [n, answers[n]]))).toEqual(Object.fromEntries(compared.map((n) => [n, recorded.cases[n]])));
  });
});
