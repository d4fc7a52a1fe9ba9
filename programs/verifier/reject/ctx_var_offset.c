// Reject: context access at a variable offset.
// Which field (and so which rewrite) a ctx load is must be known; offset 0 or 4 is not.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int ctx_var_offset(void)
{
	asm volatile(
	"r6 = r1;"
	"call %[get_prandom_u32];"
	"r0 &= 4;"
	"r6 += r0;"
	"r0 = *(u32 *)(r6 + 0);"
	"exit;"
	:: __imm(get_prandom_u32)
	: __clobber_all);
}

LICENSE;
