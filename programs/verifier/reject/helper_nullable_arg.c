// Reject: possibly-NULL pointer passed to a helper.
// The first lookup's result is used as the key of a second lookup before any null check; a
// map_value_or_null is not a valid ARG_PTR_TO_MAP_KEY.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

HASH_MAP(indirection, __u32, 4);

SEC("xdp")
__naked int helper_nullable_arg(void)
{
	asm volatile(
	ASM_LOOKUP_KEY0(indirection)
	"r2 = r0;"
	"r1 = %[indirection] ll;"
	"call %[map_lookup_elem];"
	"r0 = 2;"
	"exit;"
	:: __imm_addr(indirection), __imm(map_lookup_elem)
	: __clobber_all);
}

LICENSE;
