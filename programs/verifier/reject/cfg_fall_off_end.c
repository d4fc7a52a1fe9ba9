// Reject: execution falls off the end of the program.
// The last instruction must be an exit or an unconditional jump.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int cfg_fall_off_end(void)
{
	asm volatile(
	"r0 = 2;"
	:: 
	: __clobber_all);
}

LICENSE;
