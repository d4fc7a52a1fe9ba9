// Reject: infinite loop.
// The loop body changes nothing: when the verifier comes back to the loop head in a state equal to
// the one it is still exploring, the loop can never end.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int loop_infinite(void)
{
	asm volatile(
	"r0 = 2;"
"1:"
	"r1 = 0;"
	"goto 1b;"
	:: 
	: __clobber_all);
}

LICENSE;
