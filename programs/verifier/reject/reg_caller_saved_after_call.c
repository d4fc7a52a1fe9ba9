// Reject: caller-saved register read after a helper call.
// A call clobbers r1-r5 (the kernel marks them unreadable); keeping the context in r1 across
// bpf_get_prandom_u32() and reading it afterwards is refused.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int reg_caller_saved_after_call(void)
{
	asm volatile(
	"call %[get_prandom_u32];"
	"r0 = *(u32 *)(r1 + 0);"
	"exit;"
	:: __imm(get_prandom_u32)
	: __clobber_all);
}

LICENSE;
