// Reject: helper size argument that may be negative.
// len is a sign-extended s16 checked with a signed `len s> 8` only: its minimum is -32768, and a
// size must be known non-negative.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int helper_size_negative(void)
{
	asm volatile(
	"r6 = r1;"
	"call %[get_prandom_u32];"
	"r0 <<= 48;"
	"r0 s>>= 48;"
	"if r0 s> 8 goto 1f;"
	"r4 = r0;"
	"r1 = r6;"
	"r2 = 0;"
	"r3 = r10;"
	"r3 += -8;"
	"call %[xdp_load_bytes];"
"1:"
	"r0 = 2;"
	"exit;"
	:: __imm(get_prandom_u32), __imm(xdp_load_bytes)
	: __clobber_all);
}

LICENSE;
