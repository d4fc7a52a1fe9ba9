// Reject: variable offset added to a packet pointer after the bound check.
// The check proves 64 bytes from data, and the offset is masked to 0..63, but adding a variable
// offset gives the pointer a new id with range 0: it has to be compared with data_end again.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int pkt_range_lost_after_var_add(void)
{
	asm volatile(
	"r6 = *(u32 *)(r1 + %[xdp_data]);"
	"r7 = *(u32 *)(r1 + %[xdp_data_end]);"
	"r2 = r6;"
	"r2 += 64;"
	"if r2 > r7 goto 1f;"
	"call %[get_prandom_u32];"
	"r0 &= 63;"
	"r6 += r0;"
	"r0 = *(u8 *)(r6 + 0);"
	"exit;"
"1:"
	"r0 = 2;"
	"exit;"
	:: __xdp_data, __xdp_data_end, __imm(get_prandom_u32)
	: __clobber_all);
}

LICENSE;
