// Accept: null check on a copy of the lookup result.
// r6 = r0 shares r0's id; testing r6 against 0 marks every register with that id, r0 included,
// as a map value.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

HASH_MAP(counters, __u64, 16);

SEC("xdp")
__naked int map_null_check_through_copy(void)
{
	asm volatile(
	ASM_LOOKUP_KEY0(counters)
	"r6 = r0;"
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
