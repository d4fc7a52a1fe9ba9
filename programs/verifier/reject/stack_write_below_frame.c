// Reject: stack write below the 512-byte frame.
// The stack is fp-512..fp-1 (MAX_BPF_STACK); fp-520 is outside it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int stack_write_below_frame(void)
{
	asm volatile(
	"r1 = 0;"
	"*(u64 *)(r10 - 520) = r1;"
	"r0 = 2;"
	"exit;"
	:: 
	: __clobber_all);
}

LICENSE;
