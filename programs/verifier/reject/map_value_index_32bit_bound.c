// Reject: 32-bit bound used for a 64-bit index.
// `if w0 > 63` bounds the low 32 bits only; the upper 32 bits of the helper's result are unknown,
// so as a 64-bit offset the index is still unbounded.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

ARRAY_MAP(bytes, __u8[64], 1);

SEC("xdp")
__naked int map_value_index_32bit_bound(void)
{
	asm volatile(
	ASM_LOOKUP_KEY0(bytes)
	"if r0 == 0 goto 1f;"
	"r6 = r0;"
	"call %[get_prandom_u32];"
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
