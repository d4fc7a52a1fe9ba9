// Accept: a scalar whose range and known bits leave one value is that constant.
// r0 & 2 is 0 or 2 (var_off (0x0; 0x2)); past `if r0 == 0` its range is [1, 2], and the only value
// of the tnum in it is 2, so `if r0 != 2` is never taken and the unchecked packet read behind it is
// never walked (6.18.y's __update_reg64_bounds, "bpf: Improve bounds when tnum has a single possible
// value"). Without that refinement the read is walked and refused.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int tnum_single_value(void)
{
	asm volatile(
	"r6 = *(u32 *)(r1 + %[xdp_data]);"
	"call %[get_prandom_u32];"
	"r0 &= 2;"
	"if r0 == 0 goto 1f;"
	"if r0 != 2 goto 2f;"
"1:"
	"r0 = 2;"
	"exit;"
"2:"
	"r0 = *(u8 *)(r6 + 0);"
	"exit;"
	:: __xdp_data, __imm(get_prandom_u32)
	: __clobber_all);
}

LICENSE;
