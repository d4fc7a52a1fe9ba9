// Reject: multiplication of a pointer.
// Only + and - (of scalars) are defined on pointers; *= would make the offset meaningless.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int ptr_multiply(void)
{
	asm volatile(
	"r2 = *(u32 *)(r1 + %[xdp_data]);"
	"r2 *= 2;"
	"r0 = 2;"
	"exit;"
	:: __xdp_data
	: __clobber_all);
}

LICENSE;
