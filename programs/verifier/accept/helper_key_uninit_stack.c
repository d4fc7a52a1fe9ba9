// Accept: map key pointer to uninitialised stack (root only).
// Expected a reject ("invalid indirect read from stack"), but since 6.x privileged programs
// (CAP_PERFMON) may read uninitialised stack (allow_uninit_stack), through helpers too: the key is
// whatever the stack held. Unprivileged loads still refuse it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

ARRAY_MAP(counters, __u64, 4);

SEC("xdp")
__naked int helper_key_uninit_stack(void)
{
	asm volatile(
	"r2 = r10;"
	"r2 += -4;"
	"r1 = %[counters] ll;"
	"call %[map_lookup_elem];"
	"r0 = 2;"
	"exit;"
	:: __imm_addr(counters), __imm(map_lookup_elem)
	: __clobber_all);
}

LICENSE;
