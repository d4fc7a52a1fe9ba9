// Reject: packet bound checked with a signed comparison.
// Only unsigned comparisons (>, <, >=, <=) of a packet pointer with data_end set a range; with
// `s>` the fall-through proves nothing, so the load is at r=0.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int pkt_bound_signed_compare(void)
{
	asm volatile(
	ASM_PKT_PTRS(14)
	"if r4 s> r3 goto 1f;"
	"r0 = *(u16 *)(r2 + 12);"
	"exit;"
"1:"
	"r0 = 2;"
	"exit;"
	:: __xdp_data, __xdp_data_end
	: __clobber_all);
}

LICENSE;
