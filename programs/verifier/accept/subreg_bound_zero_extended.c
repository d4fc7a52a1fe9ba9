// Accept: a 32-bit bound that is also a 64-bit bound.
// w0 = w0 zero-extends (upper half known 0), so after `if w0 > 63` the whole 64-bit register is
// 0..63; compare reject/map_value_index_32bit_bound.c, where the upper half is unknown.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

ARRAY_MAP(bytes, __u8[64], 1);

SEC("xdp")
__naked int subreg_bound_zero_extended(void)
{
	asm volatile(
	ASM_LOOKUP_KEY0(bytes)
	"if r0 == 0 goto 1f;"
	"r6 = r0;"
	"call %[get_prandom_u32];"
	"w0 = w0;"
	"if w0 > 63 goto 1f;"
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
