// Reject: bpf_check_mtu's mtu_len pointer is not 4-byte aligned.
// The argument is MEM_ALIGNED: after the 4-byte access check (fine: fp-6 .. fp-3 is stack),
// check_ptr_alignment asks strict alignment of a stack pointer for the argument's size, and fp-6 is not
// a multiple of 4.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int check_mtu_len_misaligned(void)
{
	asm volatile(
	"r2 = 0;"
	"*(u64 *)(r10 - 8) = r2;"
	"r3 = r10;"
	"r3 += -6;"
	"r4 = 0;"
	"r5 = 0;"
	"call %[check_mtu];"
	"r0 = 2;"
	"exit;"
	:: __imm(check_mtu)
	: __clobber_all);
}

LICENSE;
