// Reject: pointer arithmetic on a lookup result before its null check.
// The verifier refuses to move a map_value_or_null: after `r0 += 8`, a null test of r0 could no
// longer tell NULL from a valid value.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

HASH_MAP(pairs, __u64[2], 16);

SEC("xdp")
__naked int map_or_null_arithmetic(void)
{
	asm volatile(
	ASM_LOOKUP_KEY0(pairs)
	"r0 += 8;"
	"if r0 == 0 goto 1f;"
	"r0 = *(u64 *)(r0 + 0);"
	"exit;"
"1:"
	"r0 = 2;"
	"exit;"
	:: __imm_addr(pairs), __imm(map_lookup_elem)
	: __clobber_all);
}

LICENSE;
