// Accept: a map value compared equal with a value already known not NULL is not NULL either.
// Two lookups of the same key; after `if r6 == 0` r6 is a map value, r7 still map_value_or_null. Where
// `r6 != r7` falls through they are equal, and check_cond_jmp_op lifts PTR_MAYBE_NULL from r7
// (mark_ptr_not_null_reg: pointers on both sides, exactly one of them maybe NULL), so the read through
// r7 is allowed. The lift is that register's only: a copy made before the compare stays maybe NULL.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

HASH_MAP(counts, __u64, 4);

SEC("xdp")
__naked int map_value_equal_not_null(void)
{
	asm volatile(
	"r1 = 1;"
	"*(u32 *)(r10 - 4) = r1;"
	"r2 = r10;"
	"r2 += -4;"
	"r1 = %[counts] ll;"
	"call %[map_lookup_elem];"
	"r6 = r0;"
	"r2 = r10;"
	"r2 += -4;"
	"r1 = %[counts] ll;"
	"call %[map_lookup_elem];"
	"r7 = r0;"
	"if r6 == 0 goto 1f;"
	"if r6 != r7 goto 1f;"
	"r0 = *(u64 *)(r7 + 0);"
	"r0 = 2;"
	"exit;"
"1:"
	"r0 = 1;"
	"exit;"
	:: __imm_addr(counts), __imm(map_lookup_elem)
	: __clobber_all);
}

LICENSE;
