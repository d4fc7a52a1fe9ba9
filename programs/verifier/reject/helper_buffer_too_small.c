// Reject: helper buffer larger than the stack space behind the pointer.
// 16 bytes at fp-8 would run past the frame's top (fp+0): the indirect stack access is out of
// bounds.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int helper_buffer_too_small(void)
{
	asm volatile(
	"r2 = 0;"
	"r3 = r10;"
	"r3 += -8;"
	"r4 = 16;"
	"call %[xdp_load_bytes];"
	"r0 = 2;"
	"exit;"
	:: __imm(xdp_load_bytes)
	: __clobber_all);
}

LICENSE;
