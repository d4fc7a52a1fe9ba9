// Reject: misaligned stack access.
// Stack accesses are always checked strictly for alignment (whatever the architecture) because
// spill tracking works per 8-byte slot; a u64 store at fp-12 straddles two slots.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int stack_misaligned(void)
{
	asm volatile(
	"r1 = 0;"
	"*(u64 *)(r10 - 12) = r1;"
	"r0 = 2;"
	"exit;"
	:: 
	: __clobber_all);
}

LICENSE;
