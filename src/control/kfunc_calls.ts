// The loader's side of kfuncs, as libbpf and the kernel split it: libbpf resolves each `__ksym`
// function by name against the provider's BTF and writes the BTF id into the call's imm
// (bpf_object__resolve_ksym_func_btf_id); the verifier checks the call; here, after verification, the
// call becomes a helper call of the kfunc's lowered id, which both engines know how to make.

import type { ProgramSpec } from '../elf/index.js';
import { ProgramError } from '../errors.js';
import { KFUNC_HELPER_BASE, kfuncByName } from '../helpers/kfuncs.js';
import type { Insn } from '../isa/insn.js';
import { PseudoCall } from '../isa/opcodes.js';

/** imm of every kfunc call := its id in wxdp's BTF; a name wxdp lacks is PROG_UNSUPPORTED. */
export function resolveKfuncs(spec: ProgramSpec, insns: Insn[]): void {
  for (const c of spec.kfuncCalls ?? []) {
    const def = kfuncByName(c.name);
    if (!def) {
      throw new ProgramError(`kfunc '${c.name}' is not supported by wxdp (libbpf: extern (func ksym) '${c.name}': not found in kernel or module BTFs)`, c.index, 'PROG_UNSUPPORTED');
    }
    insns[c.index]!.imm = def.btfId;
  }
}

/** The verified program's kfunc calls as helper calls (KFUNC_HELPER_BASE + BTF id), for the engines. */
export function lowerKfuncs(insns: Insn[]): Insn[] {
  return insns.map((i) => (i.src === PseudoCall.KFUNC && i.code === 0x85 ? { ...i, src: PseudoCall.HELPER, imm: KFUNC_HELPER_BASE + i.imm } : i));
}
