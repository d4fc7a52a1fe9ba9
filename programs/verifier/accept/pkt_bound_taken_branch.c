// Accept: the read on the taken branch of data + 14 <= data_end.
// The range is set on whichever branch the comparison proves it, here the jump target.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int pkt_bound_taken_branch(void)
{
	asm volatile(
	ASM_PKT_PTRS(14)
	"if r4 <= r3 goto 1f;"
	"r0 = 2;"
	"exit;"
"1:"
	"r0 = *(u16 *)(r2 + 12);"
	"exit;"
	:: __xdp_data, __xdp_data_end
	: __clobber_all);
}

LICENSE;
