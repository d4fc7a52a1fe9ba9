// Kernel-oracle tests whose programs call a helper this kernel build may refuse (6.18.44-fc-v1300 refuses
// bpf_xdp_adjust_meta#54 for XDP, "program of this type cannot use helper", where mainline and the v1272
// build the recordings were made on allow it; wxdp keeps mainline's set): the reason to skip with,
// instead of reading that kernel's refusal as a difference in wxdp.
import { readFileSync } from 'node:fs';
import { parseObject } from '../../src/elf/index.js';
import type { Insn } from '../../src/isa/insn.js';
import { kernelXdpHelper } from '../../src/oracle/kernel.js';

/** Why the kernel cannot be the oracle for XDP instructions `insns` (a helper they call is refused), or null. */
export function kernelInsnsHelperGap(insns: Iterable<Insn>): string | null {
  const ids = new Set<number>();
  for (const i of insns) if (i.code === 0x85 && i.src === 0) ids.add(i.imm);
  for (const id of [...ids].sort((a, b) => a - b)) {
    const h = kernelXdpHelper(id);
    if (!h.ok) return h.reason;
  }
  return null;
}

/** Why the kernel cannot be the oracle for the XDP programs of object `path` (a helper they call is refused), or null. */
export function kernelHelperGap(path: string): string | null {
  const spec = parseObject(readFileSync(path), { path });
  return kernelInsnsHelperGap(spec.programs.flatMap((p) => p.insns));
}
