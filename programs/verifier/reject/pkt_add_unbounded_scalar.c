// Reject: packet pointer plus a scalar with no bounds at all.
// bpf_get_prandom_u32() returns an unknown 64-bit scalar (smin = S64_MIN); adjust_ptr_min_max_vals
// refuses such math on a packet pointer at the add itself, before any access.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int pkt_add_unbounded_scalar(void)
{
	asm volatile(
	"r6 = *(u32 *)(r1 + %[xdp_data]);"
	"call %[get_prandom_u32];"
	"r6 += r0;"
	"r0 = 2;"
	"exit;"
	:: __xdp_data, __imm(get_prandom_u32)
	: __clobber_all);
}

LICENSE;
