// Reject: packet pointer passed where the helper wants the context.
// bpf_xdp_adjust_head()'s first argument is ARG_PTR_TO_CTX; passing ctx->data instead (a common
// slip) fails earlier than the type check: this helper may not be given packet pointers at all
// (its proto has no pkt_access), since it moves the packet they point into.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int helper_ctx_arg_not_ctx(void)
{
	asm volatile(
	"r1 = *(u32 *)(r1 + %[xdp_data]);"
	"r2 = 4;"
	"call %[xdp_adjust_head];"
	"r0 = 2;"
	"exit;"
	:: __xdp_data, __imm(xdp_adjust_head)
	: __clobber_all);
}

LICENSE;
