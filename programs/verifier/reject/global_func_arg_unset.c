// Reject: a call to a global function whose unused pointer argument the caller never set.
// clang does not set a register for an argument the function does not use, and
// btf_check_func_arg_match does not check the argument registers as read: the NOT_INIT r1 fails
// check_func_arg_reg_off on its unknown var_off, "variable ? access var_off=(0x0; 0xffffffffffffffff)
// disallowed" (EACCES), then "Caller passes invalid args into func#1".
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

__noinline int pick(struct xdp_md *ctx, __u32 v)
{
	return v & 1;
}

SEC("xdp")
int global_func_arg_unset(struct xdp_md *ctx)
{
	return pick(ctx, bpf_get_prandom_u32()) ? XDP_PASS : XDP_DROP;
}

LICENSE;
