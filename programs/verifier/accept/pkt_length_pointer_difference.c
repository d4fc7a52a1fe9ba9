// Accept: packet length as data_end - data.
// Root may subtract one pointer from another of the same kind; the difference is a scalar (not a
// pointer) and may be used freely.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int pkt_length_pointer_difference(void)
{
	asm volatile(
	"r2 = *(u32 *)(r1 + %[xdp_data]);"
	"r3 = *(u32 *)(r1 + %[xdp_data_end]);"
	"r3 -= r2;"
	"r0 = r3;"
	"r0 &= 3;"
	"exit;"
	:: __xdp_data, __xdp_data_end
	: __clobber_all);
}

LICENSE;
