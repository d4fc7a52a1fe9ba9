// Accept: a signed index checked on both sides.
// The index is a sign-extended s16 (-32768..32767); `if r0 s< 0` and `if r0 s> 63` together give
// 0..63, and the unsigned bounds follow from the signed ones, so it indexes the 64-byte value
// (compare reject/map_value_index_signed_bound.c, which checks one side only).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

ARRAY_MAP(bytes, __u8[64], 1);

SEC("xdp")
__naked int signed_bound_both_sides(void)
{
	asm volatile(
	ASM_LOOKUP_KEY0(bytes)
	"if r0 == 0 goto 1f;"
	"r6 = r0;"
	"call %[get_prandom_u32];"
	"r0 <<= 48;"
	"r0 s>>= 48;"
	"if r0 s< 0 goto 1f;"
	"if r0 s> 63 goto 1f;"
	"r6 += r0;"
	"r0 = *(u8 *)(r6 + 0);"
	"exit;"
"1:"
	"r0 = 2;"
	"exit;"
	:: __imm_addr(bytes), __imm(map_lookup_elem), __imm(get_prandom_u32)
	: __clobber_all);
}

LICENSE;
