// bpf_dynptr_from_mem's data must be a map value (check_helper_call: "Unsupported reg type %s for
// bpf_dynptr_from_mem data", EACCES), though its proto's ARG_PTR_TO_UNINIT_MEM alone takes stack bytes.
// wxdp's verifier took a frame buffer, and the unchecked JIT then met bpf_dynptr_data answering a
// pointer into the frame its frame walk (src/jit/stack_slots.ts) took for none: store merging made
// `buf[1] = buf[0]; buf[2] = buf[1]` through that pointer one u16 copy (a0 a1 for a0 a0). The kernel
// on this machine is asked the same programs when it can be (root, gcc and libbpf for the loader).

import { beforeAll, describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import type { Insn } from '../../src/isa/insn.js';
import { kernel, kernelUnavailable, wxdp } from '../support/verifier_kernel.js';

/** `data` (an r10 buffer or the fz_array value) made a local dynptr, then bpf_dynptr_data of 2 bytes at 1. */
const program = (data: 'stack' | 'map'): Insn[] => {
  const buf =
    data === 'stack'
      ? ['r1 = 0', '*(u64 *)(r10 - 32) = r1', 'r1 = r10', 'r1 += -32']
      : ['*(u32 *)(r10 - 4) = 0', 'r1 = 0 ll', 'r2 = r10', 'r2 += -4', 'call 1', 'if r0 == 0 goto out', 'r1 = r0'];
  const insns = assemble(
    [...buf, 'r2 = 8', 'r3 = 0', 'r4 = r10', 'r4 += -48', 'call 197', 'r1 = r10', 'r1 += -48', 'r2 = 1', 'r3 = 2', 'call 203', 'out:', 'r0 = 2', 'exit'].join('\n'),
  );
  // the map ld_imm64 names FUZZ_MAPS[0] (BPF_PSEUDO_MAP_FD), as the loader and fuzzSpec patch it
  for (const i of insns) if (i.code === 0x18 && i.imm64 === 0n && data === 'map') i.src = 1;
  return insns;
};

const STACK_REFUSAL = { accepted: false, errno: 'EACCES', message: 'Unsupported reg type fp for bpf_dynptr_from_mem data' };

describe('bpf_dynptr_from_mem takes a map value only', () => {
  let dp: Datapath;
  beforeAll(async () => {
    dp = await Datapath.create();
  });

  it('refuses a frame buffer, at the call', async () => {
    const v = await wxdp(dp, program('stack'), false, []);
    expect(v).toMatchObject({ ...STACK_REFUSAL, insn: 8 });
  });

  it('takes a map value', async () => {
    expect(await wxdp(dp, program('map'), false, [])).toMatchObject({ accepted: true });
  });

  const why = kernelUnavailable();
  it.skipIf(why !== undefined)(`the kernel answers both the same${why ? ` (skipped: ${why})` : ''}`, () => {
    const [stack, map] = kernel([
      { insns: program('stack'), run: false, packets: [] },
      { insns: program('map'), run: false, packets: [] },
    ]);
    expect(stack).toMatchObject(STACK_REFUSAL);
    expect(map).toMatchObject({ accepted: true });
  });
});
