// Reject: NULL passed as a map key.
// ARG_PTR_TO_MAP_KEY must be a pointer to readable memory (stack, packet, map value…) holding
// key_size bytes; a NULL scalar is not one.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

HASH_MAP(counters, __u64, 4);

SEC("xdp")
__naked int helper_null_key(void)
{
	asm volatile(
	"r1 = %[counters] ll;"
	"r2 = 0;"
	"call %[map_lookup_elem];"
	"r0 = 2;"
	"exit;"
	:: __imm_addr(counters), __imm(map_lookup_elem)
	: __clobber_all);
}

LICENSE;
