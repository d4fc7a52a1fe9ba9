// Reject: bounded loop whose iterations exceed the verifier's budget.
// The counter is precise, so every one of the 2^20 iterations is a new state; walking them takes
// more than the 1M instructions the verifier may process.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int loop_too_complex(void)
{
	asm volatile(
	"r0 = 2;"
	"r1 = 0;"
"1:"
	"r1 += 1;"
	"if r1 < 0x100000 goto 1b;"
	"exit;"
	:: 
	: __clobber_all);
}

LICENSE;
