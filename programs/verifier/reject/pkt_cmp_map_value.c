// Reject: packet pointer compared with a map value pointer instead of data_end.
// Root may compare pointers of different kinds (no address leak concern), but only a comparison
// with data_end gives a packet range, so the load after the "check" is still at r=0.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

ARRAY_MAP(limits, __u64, 1);

SEC("xdp")
__naked int pkt_cmp_map_value(void)
{
	asm volatile(
	"r6 = *(u32 *)(r1 + %[xdp_data]);"
	"r2 = 0;"
	"*(u32 *)(r10 - 4) = r2;"
	"r2 = r10;"
	"r2 += -4;"
	"r1 = %[limits] ll;"
	"call %[map_lookup_elem];"
	"if r0 == 0 goto 1f;"
	"r2 = r6;"
	"r2 += 14;"
	"if r2 > r0 goto 1f;"
	"r0 = *(u8 *)(r6 + 0);"
	"exit;"
"1:"
	"r0 = 2;"
	"exit;"
	:: __xdp_data, __imm_addr(limits), __imm(map_lookup_elem)
	: __clobber_all);
}

LICENSE;
