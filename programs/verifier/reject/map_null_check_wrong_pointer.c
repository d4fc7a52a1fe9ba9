// Reject: null check on the wrong lookup result.
// Two lookups give two map_value_or_null registers with different ids; checking the first says
// nothing about the second, which is still map_value_or_null when it is read.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

HASH_MAP(counters, __u64, 16);

SEC("xdp")
__naked int map_null_check_wrong_pointer(void)
{
	asm volatile(
	ASM_LOOKUP_KEY0(counters)
	"r6 = r0;"
	"r2 = r10;"
	"r2 += -4;"
	"r1 = %[counters] ll;"
	"call %[map_lookup_elem];"
	"if r6 == 0 goto 1f;"
	"r0 = *(u64 *)(r0 + 0);"
	"exit;"
"1:"
	"r0 = 2;"
	"exit;"
	:: __imm_addr(counters), __imm(map_lookup_elem)
	: __clobber_all);
}

LICENSE;
