// Accept: a helper size clamped with a branch (len = min(len, 32)) and kept nonzero.
// `if r4 <= 32` keeps 0..32 on one branch, the other sets 32: the join is 0..32, and after
// `if r4 == 0` it is 1..32, a valid size for the 32-byte buffer. The same register is tested and
// passed (compare reject/bound_on_copy.c).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int min_via_branch_size(void)
{
	asm volatile(
	"r6 = r1;"
	"call %[get_prandom_u32];"
	"r4 = r0;"
	"if r4 <= 32 goto 1f;"
	"r4 = 32;"
"1:"
	"if r4 == 0 goto 2f;"
	"r1 = r6;"
	"r2 = 0;"
	"r3 = r10;"
	"r3 += -32;"
	"call %[xdp_load_bytes];"
"2:"
	"r0 = 2;"
	"exit;"
	:: __imm(get_prandom_u32), __imm(xdp_load_bytes)
	: __clobber_all);
}

LICENSE;
