// Accept: packet bound written data + 14 >= data_end.
// The fall-through knows data + 14 < data_end, i.e. 15 bytes: the read of bytes 12..13 is inside.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int pkt_bound_pkt_ge_end(void)
{
	asm volatile(
	ASM_PKT_PTRS(14)
	"if r4 >= r3 goto 1f;"
	"r0 = *(u16 *)(r2 + 12);"
	"exit;"
"1:"
	"r0 = 2;"
	"exit;"
	:: __xdp_data, __xdp_data_end
	: __clobber_all);
}

LICENSE;
