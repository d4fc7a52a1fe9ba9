// Reject: a pointer tag (arg:nonnull) on a scalar argument of a global function.
// btf_prepare_func_args: "arg#0 has pointer tag, but is not a pointer type" (EINVAL), found when the
// call is checked: "Caller passes invalid args into func#1".
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

__noinline int twice(__u32 v __arg_nonnull)
{
	return v * 2;
}

SEC("xdp")
int global_func_arg_tag_not_ptr(struct xdp_md *ctx)
{
	return twice(ctx->rx_queue_index) ? XDP_PASS : XDP_DROP;
}

LICENSE;
