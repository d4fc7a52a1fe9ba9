// Accept: a bounded scalar spilled and filled keeps its bounds.
// x & 63 is spilled as a whole register and filled back into another one: still 0..63, so it
// indexes a 64-byte map value.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

ARRAY_MAP(bytes, __u8[64], 1);

SEC("xdp")
__naked int scalar_spill_fill_bounds(void)
{
	asm volatile(
	"call %[get_prandom_u32];"
	"r0 &= 63;"
	"*(u64 *)(r10 - 16) = r0;"
	ASM_LOOKUP_KEY0(bytes)
	"if r0 == 0 goto 1f;"
	"r1 = *(u64 *)(r10 - 16);"
	"r0 += r1;"
	"r0 = *(u8 *)(r0 + 0);"
	"exit;"
"1:"
	"r0 = 2;"
	"exit;"
	:: __imm_addr(bytes), __imm(map_lookup_elem), __imm(get_prandom_u32)
	: __clobber_all);
}

LICENSE;
