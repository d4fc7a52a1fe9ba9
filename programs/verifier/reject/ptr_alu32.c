// Reject: 32-bit ALU operation on a pointer.
// w2 += 1 would truncate the pointer to its low 32 bits.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int ptr_alu32(void)
{
	asm volatile(
	"r2 = *(u32 *)(r1 + %[xdp_data]);"
	"w2 += 1;"
	"r0 = 2;"
	"exit;"
	:: __xdp_data
	: __clobber_all);
}

LICENSE;
