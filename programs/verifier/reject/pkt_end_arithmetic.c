// Reject: arithmetic on data_end.
// A PTR_TO_PACKET_END can only be compared; `data_end - 14` (to test "at least 14 bytes left") is
// pointer arithmetic the verifier has no meaning for.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int pkt_end_arithmetic(void)
{
	asm volatile(
	"r2 = *(u32 *)(r1 + %[xdp_data]);"
	"r3 = *(u32 *)(r1 + %[xdp_data_end]);"
	"r3 += -14;"
	"if r2 > r3 goto 1f;"
	"r0 = *(u8 *)(r2 + 0);"
	"exit;"
"1:"
	"r0 = 2;"
	"exit;"
	:: __xdp_data, __xdp_data_end
	: __clobber_all);
}

LICENSE;
