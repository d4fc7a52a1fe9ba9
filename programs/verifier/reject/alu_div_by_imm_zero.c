// Reject: division by an immediate zero.
// Division by a zero register is defined (the result is 0), but a constant zero divisor is
// refused as a certain mistake.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int alu_div_by_imm_zero(void)
{
	asm volatile(
	"r0 = 2;"
	"r0 /= 0;"
	"exit;"
	:: 
	: __clobber_all);
}

LICENSE;
