// Reject: store into the XDP context.
// struct xdp_md is read-only for XDP programs (xdp_is_valid_access refuses every BPF_WRITE).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int ctx_write(void)
{
	asm volatile(
	"r2 = 0;"
	"*(u32 *)(r1 + %[xdp_data]) = r2;"
	"r0 = 2;"
	"exit;"
	:: __xdp_data
	: __clobber_all);
}

LICENSE;
