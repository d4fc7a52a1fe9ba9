// Reject: jump past the end of the program.
// A jump target must be an instruction of the same program.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int cfg_jump_out_of_range(void)
{
	asm volatile(
	"r0 = 2;"
	"if r1 == 0 goto +8;"
	"exit;"
	:: 
	: __clobber_all);
}

LICENSE;
