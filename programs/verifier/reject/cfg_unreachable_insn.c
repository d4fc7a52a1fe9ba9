// Reject: unreachable instruction.
// check_cfg walks every path from the first instruction; code no path reaches (here after an
// unconditional exit) is refused rather than silently kept.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int cfg_unreachable_insn(void)
{
	asm volatile(
	"r0 = 2;"
	"exit;"
	"r0 = 1;"
	"exit;"
	:: 
	: __clobber_all);
}

LICENSE;
