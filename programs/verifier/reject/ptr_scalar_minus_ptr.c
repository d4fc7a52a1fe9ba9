// Reject: scalar minus pointer.
// pointer - scalar and pointer - pointer (same object) are defined; scalar - pointer is not.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int ptr_scalar_minus_ptr(void)
{
	asm volatile(
	"r2 = *(u32 *)(r1 + %[xdp_data]);"
	"r0 = 64;"
	"r0 -= r2;"
	"exit;"
	:: __xdp_data
	: __clobber_all);
}

LICENSE;
