// Accept: negation of a pointer (root only).
// Expected a reject ("pointer arithmetic prohibited"), but that check applies only when pointer
// leaks are forbidden; for root, BPF_NEG turns the pointer into an unknown scalar, harmless since
// it is never dereferenced.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int ptr_negate(void)
{
	asm volatile(
	"r2 = *(u32 *)(r1 + %[xdp_data]);"
	"r2 = -r2;"
	"r0 = 2;"
	"exit;"
	:: __xdp_data
	: __clobber_all);
}

LICENSE;
