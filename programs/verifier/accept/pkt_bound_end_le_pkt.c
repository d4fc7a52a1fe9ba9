// Accept: packet bound written data_end <= data + 14, the read on the fall-through.
// Falling through means data_end > data + 14: more than 14 bytes are there.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int pkt_bound_end_le_pkt(void)
{
	asm volatile(
	ASM_PKT_PTRS(14)
	"if r3 <= r4 goto 1f;"
	"r0 = *(u8 *)(r2 + 14);"
	"exit;"
"1:"
	"r0 = 2;"
	"exit;"
	:: __xdp_data, __xdp_data_end
	: __clobber_all);
}

LICENSE;
