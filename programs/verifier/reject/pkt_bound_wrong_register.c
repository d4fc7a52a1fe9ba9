// Reject: bound check against the wrong register (data instead of data_end).
// Comparing two pointers into the packet proves nothing about its length; only a comparison with
// data_end (or of data_meta with data) sets a range, so the load still has r=0.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int pkt_bound_wrong_register(void)
{
	asm volatile(
	ASM_PKT_PTRS(14)
	"if r4 > r2 goto 1f;"
	"r0 = *(u8 *)(r2 + 0);"
	"exit;"
"1:"
	"r0 = 2;"
	"exit;"
	:: __xdp_data, __xdp_data_end
	: __clobber_all);
}

LICENSE;
