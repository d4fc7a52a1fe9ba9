// Reject: shift by an immediate at least the operand width.
// A 64-bit shift by 64 is undefined on most CPUs; immediate shift amounts must be < 64.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int alu_shift_too_far(void)
{
	asm volatile(
	"r0 = 2;"
	"r0 <<= 64;"
	"exit;"
	:: 
	: __clobber_all);
}

LICENSE;
