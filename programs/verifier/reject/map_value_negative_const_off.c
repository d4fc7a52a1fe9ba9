// Reject: negative constant offset into a map value.
// A load at value - 8 reads before the value; check_map_access wants 0 <= off and off + size <=
// value_size.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

ARRAY_MAP(counters, __u64, 4);

SEC("xdp")
__naked int map_value_negative_const_off(void)
{
	asm volatile(
	ASM_LOOKUP_KEY0(counters)
	"if r0 == 0 goto 1f;"
	"r0 = *(u64 *)(r0 - 8);"
	"exit;"
"1:"
	"r0 = 2;"
	"exit;"
	:: __imm_addr(counters), __imm(map_lookup_elem)
	: __clobber_all);
}

LICENSE;
