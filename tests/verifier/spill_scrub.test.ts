// A store at a fixed offset into a stack slot whose lowest byte is a spilled register's makes the whole
// slot plain data: check_stack_write_fixed_off scrubs it (is_stack_slot_special, then scrub_spilled_slot
// on each byte: every byte but an uninitialised one becomes STACK_MISC), the STACK_ZERO bytes a narrower
// spill had kept beside it too. Linux 6.18.44's verifier log (level 2) for
// programs/verifier/accept/narrow_spill_write_scrubs_zero:
//   3: (73) *(u8 *)(r10 -16) = r2         ; R2=5 R10=fp0 fp-16=?????0?5
//   5: (6b) *(u16 *)(r10 -12) = r3        ; R3=7 R10=fp0 fp-16=??mm?m?m
//   6: (71) r0 = *(u8 *)(r10 -14)         ; R0=scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff)) …
// wxdp kept the zero byte at fp-14 and read a known 0 back (fp-16=??mm?z?m, R0=0).

import { expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';

const root = new URL('../../', import.meta.url).pathname;

it('a store beside a narrower spill turns the slot\'s zero bytes into MISC, as the kernel logs', async () => {
  const dp = await Datapath.create();
  try {
    const o = await dp.loadObject(`${root}programs/verifier/accept/narrow_spill_write_scrubs_zero.o`, { logLevel: 2 });
    const log = [...o.programs.values()][0]!.verifierLog.split('\n');
    const after = (pc: number) => log[log.findIndex((l) => l.startsWith(`${pc}: (`)) + 1]!;
    expect(after(5)).toMatch(/ fp-16=\?\?mm\?m\?m$/);
    expect(after(6)).toMatch(/^6: R0=scalar\(umax=255,var_off=\(0x0; 0xff\)\) /);
  } finally {
    await dp.close();
  }
});
