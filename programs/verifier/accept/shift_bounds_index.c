// Accept: an index bounded by a right shift.
// A 64-bit unknown shifted right by 58 keeps 6 bits: 0..63, exactly the value size, with no
// comparison (the verifier's tnum knows the upper 58 bits are zero).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

ARRAY_MAP(bytes, __u8[64], 1);

SEC("xdp")
__naked int shift_bounds_index(void)
{
	asm volatile(
	ASM_LOOKUP_KEY0(bytes)
	"if r0 == 0 goto 1f;"
	"r6 = r0;"
	"call %[get_prandom_u32];"
	"r0 >>= 58;"
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
