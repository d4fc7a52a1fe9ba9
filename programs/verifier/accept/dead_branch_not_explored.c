// Accept: an invalid access on a branch that can never run.
// r0 is the constant 0, so `if r0 != 0` is known not taken and the verifier never walks the
// unchecked packet read behind it (dead code is then patched out).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int dead_branch_not_explored(void)
{
	asm volatile(
	"r0 = 0;"
	"r2 = *(u32 *)(r1 + %[xdp_data]);"
	"if r0 != 0 goto 1f;"
	"r0 = 2;"
	"exit;"
"1:"
	"r0 = *(u8 *)(r2 + 100);"
	"exit;"
	:: __xdp_data
	: __clobber_all);
}

LICENSE;
