// Reject: ctx->egress_ifindex read by a plain XDP program.
// egress_ifindex is only defined for programs attached to a devmap (expected_attach_type
// BPF_XDP_DEVMAP); for others the field is not accessible.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int ctx_field_not_for_attach_type(void)
{
	asm volatile(
	"r0 = *(u32 *)(r1 + 20);"
	"exit;"
	:: 
	: __clobber_all);
}

LICENSE;
