// Reject: deref of a spilled pointer after one of its bytes was overwritten.
// Writing a byte into the slot of a spilled packet pointer turns the slot into plain data (root may
// do that); the 8-byte fill is then a scalar, not a pointer, and cannot be dereferenced.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int stack_spill_clobbered(void)
{
	asm volatile(
	ASM_PKT_PTRS(1)
	"if r4 > r3 goto 1f;"
	"*(u64 *)(r10 - 8) = r2;"
	"r5 = 0;"
	"*(u8 *)(r10 - 8) = r5;"
	"r2 = *(u64 *)(r10 - 8);"
	"r0 = *(u8 *)(r2 + 0);"
	"exit;"
"1:"
	"r0 = 2;"
	"exit;"
	:: __xdp_data, __xdp_data_end
	: __clobber_all);
}

LICENSE;
