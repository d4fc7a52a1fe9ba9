// Reject: stack write above the frame pointer.
// r10 points one past the top of the frame; fp+8 belongs to the caller (or nothing at all).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int stack_write_above_frame(void)
{
	asm volatile(
	"r1 = 0;"
	"*(u64 *)(r10 + 8) = r1;"
	"r0 = 2;"
	"exit;"
	:: 
	: __clobber_all);
}

LICENSE;
