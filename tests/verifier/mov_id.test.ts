// A 64-bit register move links an unlinked, non-constant scalar with its copy (check_alu_op's BPF_MOV64_X:
// assign_scalar_id_before_mov), whatever the state's history: the kernel's log for
// programs/verifier/accept/div_by_register_maybe_zero (bpftool -d prog loadall, 6.18.44) shows after
// `4: (bf) r7 = r0` "R0=scalar(id=2) R7=scalar(id=2)" (id 1 went to an earlier link). wxdp gave the id only
// when the state shared r0 with another, so this straight-line program logged both unlinked.

import { expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';

const root = new URL('../../', import.meta.url).pathname;

it('r7 = r0 links the unknown scalar r0 with r7 (the same id, as the kernel logs)', async () => {
  const dp = await Datapath.create();
  const o = await dp.loadObject(`${root}programs/verifier/accept/div_by_register_maybe_zero.o`, { logLevel: 2 });
  const log = [...o.programs.values()][0]!.verifierLog.split('\n');
  const after = log[log.findIndex((l) => l.startsWith('4: (bf) r7 = r0')) + 1]!;
  expect(after).toMatch(/^4: R0=scalar\(id=2\) .*R7=scalar\(id=2\)/);
  await dp.close();
});
