// Reject: arithmetic on a map pointer (the ld_imm64 of a map, not a value).
// A CONST_PTR_TO_MAP may only be passed to helpers; offsetting it is prohibited.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

ARRAY_MAP(counters, __u64, 4);

SEC("xdp")
__naked int map_ptr_arithmetic(void)
{
	asm volatile(
	"r1 = 0;"
	"*(u32 *)(r10 - 4) = r1;"
	"r2 = r10;"
	"r2 += -4;"
	"r1 = %[counters] ll;"
	"r1 += 8;"
	"call %[map_lookup_elem];"
	"r0 = 2;"
	"exit;"
	:: __imm_addr(counters), __imm(map_lookup_elem)
	: __clobber_all);
}

LICENSE;
