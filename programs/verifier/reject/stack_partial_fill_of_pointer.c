// Reject: partial fill of a spilled pointer.
// A pointer spilled to the stack can only be filled back whole (8 bytes); reading 4 of its bytes
// would turn half an address into a scalar.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int stack_partial_fill_of_pointer(void)
{
	asm volatile(
	"r2 = *(u32 *)(r1 + %[xdp_data]);"
	"*(u64 *)(r10 - 8) = r2;"
	"r0 = *(u32 *)(r10 - 8);"
	"exit;"
	:: __xdp_data
	: __clobber_all);
}

LICENSE;
