// Reject: NULL passed where a map is expected.
// The first argument of bpf_map_lookup_elem() is ARG_CONST_MAP_PTR: it must come from a map's
// ld_imm64, never a scalar.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int helper_null_map(void)
{
	asm volatile(
	"r1 = 0;"
	"*(u32 *)(r10 - 4) = r1;"
	"r2 = r10;"
	"r2 += -4;"
	"call %[map_lookup_elem];"
	"r0 = 2;"
	"exit;"
	:: __imm(map_lookup_elem)
	: __clobber_all);
}

LICENSE;
