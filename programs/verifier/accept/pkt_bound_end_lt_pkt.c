// Accept: packet bound written data_end < data + 14 (data_end on the left).
// try_match_pkt_pointers knows both operand orders: `pkt_end < pkt` taken means short, and the
// fall-through proves the 14 bytes just as `pkt > pkt_end` would.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int pkt_bound_end_lt_pkt(void)
{
	asm volatile(
	ASM_PKT_PTRS(14)
	"if r3 < r4 goto 1f;"
	"r0 = *(u16 *)(r2 + 12);"
	"exit;"
"1:"
	"r0 = 2;"
	"exit;"
	:: __xdp_data, __xdp_data_end
	: __clobber_all);
}

LICENSE;
