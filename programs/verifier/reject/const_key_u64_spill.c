// Reject: ARRAY lookup whose key was stored as a u64 spill: the result may be NULL.
// get_constant_map_key takes a key as a known constant only from zero bytes or from a spill of
// exactly key_size bytes (4 for an ARRAY): `*(u64 *)(r10 - 8) = r1` with r1 = 2 is an 8-byte spill,
// so the lookup returns map_value_or_null and the store through it without a null check is refused
// ("R0 invalid mem access 'map_value_or_null'"), though the key's low four bytes are 2.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

ARRAY_MAP(counters, __u64, 4);

SEC("xdp")
__naked int const_key_u64_spill(void)
{
	asm volatile(
	"r1 = 2;"
	"*(u64 *)(r10 - 8) = r1;"
	"r2 = r10;"
	"r2 += -8;"
	"r1 = %[counters] ll;"
	"call %[map_lookup_elem];"
	"r1 = 1;"
	"lock *(u64 *)(r0 + 0) += r1;"
	"r0 = 2;"
	"exit;"
	:: __imm_addr(counters), __imm(map_lookup_elem)
	: __clobber_all);
}

LICENSE;
