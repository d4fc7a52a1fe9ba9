// Accept: a write beside a narrower spill scrubs the whole slot, its zero bytes too.
// fp-14 is written with a zero register (STACK_ZERO: no spill off a slot boundary), then a 1-byte spill
// of 5 at fp-16 keeps that zero byte (save_register_state leaves STACK_ZERO bytes as they are). A 2-byte
// store at fp-12 lands in the same slot, whose lowest byte is a spill's: check_stack_write_fixed_off
// scrubs every initialised byte of it to STACK_MISC (is_stack_slot_special, scrub_spilled_slot), so the
// byte read back from fp-14 is an unknown scalar and both ways of the compare are walked: Linux 6.18
// logs `fp-16=??mm?m?m` after the store and processes 12 instructions (with a known zero there, 10).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int narrow_spill_write_scrubs_zero(void)
{
	asm volatile(
	"r1 = 0;"
	"*(u8 *)(r10 - 14) = r1;"
	"r2 = 5;"
	"*(u8 *)(r10 - 16) = r2;"
	"r3 = 7;"
	"*(u16 *)(r10 - 12) = r3;"
	"r0 = *(u8 *)(r10 - 14);"
	"if r0 == 0 goto 1f;"
	"r0 = 1;"
	"exit;"
"1:"
	"r0 = 2;"
	"exit;"
	::: __clobber_all);
}

LICENSE;
