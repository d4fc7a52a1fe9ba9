// Reject: a global function reading the bytes of the dynptr its caller passed.
// do_check_common: a `struct bpf_dynptr *` argument is CONST_PTR_TO_DYNPTR, which only dynptr helpers
// and kfuncs take; a load through it is "R1 invalid mem access 'dynptr_ptr'".
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;

__noinline int peek(const struct bpf_dynptr *p)
{
	return *(const __u32 *)p;
}

SEC("xdp")
int global_func_arg_dynptr_deref(struct xdp_md *ctx)
{
	struct bpf_dynptr frame;

	if (bpf_dynptr_from_xdp(ctx, 0, &frame))
		return XDP_DROP;
	return peek(&frame) ? XDP_PASS : XDP_DROP;
}

LICENSE;
