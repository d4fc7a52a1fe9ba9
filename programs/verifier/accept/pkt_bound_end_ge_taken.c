// Accept: the read on the taken branch of data_end >= data + 14.
// pkt_end >= pkt, taken, proves the same 14 bytes as pkt <= pkt_end.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int pkt_bound_end_ge_taken(void)
{
	asm volatile(
	ASM_PKT_PTRS(14)
	"if r3 >= r4 goto 1f;"
	"r0 = 2;"
	"exit;"
"1:"
	"r0 = *(u16 *)(r2 + 12);"
	"exit;"
	:: __xdp_data, __xdp_data_end
	: __clobber_all);
}

LICENSE;
