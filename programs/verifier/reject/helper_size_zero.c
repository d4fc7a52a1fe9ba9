// Reject: zero size where the helper's argument is ARG_CONST_SIZE.
// bpf_xdp_load_bytes() declares its length ARG_CONST_SIZE (not _OR_ZERO): a length that may be 0
// is refused even though copying nothing would be harmless.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int helper_size_zero(void)
{
	asm volatile(
	"r2 = 0;"
	"r3 = r10;"
	"r3 += -8;"
	"r4 = 0;"
	"call %[xdp_load_bytes];"
	"r0 = 2;"
	"exit;"
	:: __imm(xdp_load_bytes)
	: __clobber_all);
}

LICENSE;
