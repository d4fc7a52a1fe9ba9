// Accept: a map pointer compared with 0 is known non-NULL.
// `r1 = map ll` is CONST_PTR_TO_MAP, one of reg_not_null's types: is_branch_taken decides
// `if r1 == 0` not taken, so the unchecked packet read behind it is never walked (a JMP32 compare,
// `if w1 == 0`, is walked both ways by 6.18).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

HASH_MAP(counters, __u64, 16);

SEC("xdp")
__naked int map_pointer_never_null(void)
{
	asm volatile(
	"r2 = *(u32 *)(r1 + %[xdp_data]);"
	"r1 = %[counters] ll;"
	"*(u64 *)(r10 - 8) = r1;"
	"r1 = *(u64 *)(r10 - 8);"
	"if r1 == 0 goto 1f;"
	"r0 = 2;"
	"exit;"
"1:"
	"r0 = *(u8 *)(r2 + 100);"
	"exit;"
	:: __xdp_data, __imm_addr(counters)
	: __clobber_all);
}

LICENSE;
