// Accept: variable packet offset, masked, then checked itself.
// data + (x & 63) has a new id and range 0; comparing (that pointer + 4) with data_end gives it
// range 4, whatever x was, so the u32 load at it is proven.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int pkt_var_offset_masked_checked(void)
{
	asm volatile(
	"r6 = r1;"
	"call %[get_prandom_u32];"
	"r0 &= 63;"
	"r2 = *(u32 *)(r6 + %[xdp_data]);"
	"r3 = *(u32 *)(r6 + %[xdp_data_end]);"
	"r2 += r0;"
	"r4 = r2;"
	"r4 += 4;"
	"if r4 > r3 goto 1f;"
	"r0 = *(u32 *)(r2 + 0);"
	"exit;"
"1:"
	"r0 = 2;"
	"exit;"
	:: __xdp_data, __xdp_data_end, __imm(get_prandom_u32)
	: __clobber_all);
}

LICENSE;
